#!/bin/sh
# tests/integration/app_nqueens.sh — the nqueens program end to end: exact
# output line at several rank counts (np=1 means main counts everything
# alone), and the argument errors (exit status 2, one line on stderr).
. "$top_srcdir/tests/lib.sh"

prog="$top_builddir/apps/nqueens"
errors=$(mktemp) || fail "mktemp"
trap 'rm -f "$errors"' EXIT

# expect_line NP N LINE — nqueens N on NP ranks prints exactly LINE.
expect_line() {
    out=$(run_mpi "$1" "$prog" "$2") ||
        fail "nqueens $2 at np=$1: exit status $?"
    [ "$out" = "$3" ] || fail "nqueens $2 at np=$1: got '$out', expected '$3'"
    echo "ok: np=$1 $out"
}

for np in 1 2 4; do
    expect_line "$np" 8 "nqueens N=8 solutions=92"
    expect_line "$np" 12 "nqueens N=12 solutions=14200"
done
expect_line 8 10 "nqueens N=10 solutions=724"

for bad in 0 21 x "8 9" --queens; do
    # $bad is split on purpose: "8 9" is two arguments.
    run_mpi 2 "$prog" $bad >/dev/null 2>"$errors"
    status=$?
    [ $status -eq 2 ] || fail "nqueens $bad: exit status $status, expected 2"
    [ "$(grep -c '^nqueens: ' "$errors")" -eq 1 ] ||
        fail "nqueens $bad: expected one error line, got: $(cat "$errors")"
done
run_mpi 1 "$prog" --help | grep -q '^usage: nqueens' || fail "nqueens --help"
echo "ok: argument errors"
