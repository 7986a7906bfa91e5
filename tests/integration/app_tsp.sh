#!/bin/sh
# tests/integration/app_tsp.sh — the tsp program end to end: on small maps
# it must print the optimal tour a brute force finds (the expected lines
# below come from the brute force of tests/unit/test_tsp.c), the canonical
# one when several tours tie (maps 8/2, 9/6 and 10/6 have two optimal
# tours each), and the same bytes at every rank count.
. "$top_srcdir/tests/lib.sh"

prog="$top_builddir/apps/tsp"
errors=$(mktemp) || fail "mktemp"
trap 'rm -f "$errors"' EXIT

# expect_tour CITIES SEED LENGTH TOUR — every rank count prints the answer.
expect_tour() {
    expected="tsp cities=$1 seed=$2 length=$3
tour: $4"
    for np in 1 2 4 8; do
        out=$(run_mpi "$np" "$prog" --cities "$1" --seed "$2") ||
            fail "tsp $1/$2 at np=$np: exit status $?"
        [ $np -eq 1 ] && first="$out"
        [ "$out" = "$first" ] ||
            fail "tsp $1/$2: np=$np printed '$out', np=1 '$first'"
    done
    [ "$first" = "$expected" ] ||
        fail "tsp $1/$2: got '$first', expected '$expected'"
    echo "ok: tsp cities=$1 seed=$2 length=$3 at np=1,2,4,8"
}

expect_tour 7 1 2234 "0 1 2 5 3 4 6 0"
expect_tour 8 2 2664 "0 2 4 3 6 1 7 5 0"
expect_tour 9 6 3229 "0 2 4 3 8 1 6 7 5 0"
expect_tour 10 4 2421 "0 5 3 7 9 6 2 1 4 8 0"
expect_tour 10 6 3233 "0 2 4 3 8 1 6 9 7 5 0"

for bad in "--cities 2" "--cities 31" "--seed -1" "--seed" "--map"; do
    # $bad is split on purpose: option and value.
    run_mpi 2 "$prog" $bad >/dev/null 2>"$errors"
    status=$?
    [ $status -eq 2 ] || fail "tsp $bad: exit status $status, expected 2"
    [ "$(grep -c '^tsp: ' "$errors")" -eq 1 ] ||
        fail "tsp $bad: expected one error line, got: $(cat "$errors")"
done
run_mpi 1 "$prog" --help | grep -q '^usage: tsp' || fail "tsp --help"
echo "ok: argument errors"
