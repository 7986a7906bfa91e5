#!/bin/sh
# tests/integration/app_gauss.sh — the gauss program end to end: n=200 at
# np=1,2,4,8, point-to-point and with --collectives, must print the same
# bytes every time with residual_ok=yes; a bad argument exits with status 2
# and one error line.
. "$top_srcdir/tests/lib.sh"

prog="$top_builddir/apps/gauss"
errors=$(mktemp) || fail "mktemp"
trap 'rm -f "$errors"' EXIT

first=""
for np in 1 2 4 8; do
    for mode in "" --collectives; do
        # $mode is empty or one word: unquoted on purpose.
        out=$(run_mpi "$np" "$prog" --n 200 --seed 1 $mode) ||
            fail "gauss at np=$np $mode: exit status $?"
        case "$out" in
        "gauss n=200 seed=1 checksum="*" residual_ok=yes") ;;
        *) fail "gauss at np=$np $mode: unexpected output '$out'" ;;
        esac
        [ -z "$first" ] && first="$out"
        [ "$out" = "$first" ] ||
            fail "gauss at np=$np $mode: '$out' differs from np=1 '$first'"
        echo "ok: np=$np ${mode:-point-to-point} $out"
    done
done

for bad in "--n 0" "--n 200x" "--seed" "--pivot"; do
    # $bad is split on purpose: option and value.
    run_mpi 2 "$prog" $bad >/dev/null 2>"$errors"
    status=$?
    [ $status -eq 2 ] || fail "gauss $bad: exit status $status, expected 2"
    [ "$(grep -c '^gauss: ' "$errors")" -eq 1 ] ||
        fail "gauss $bad: expected one error line, got: $(cat "$errors")"
done
run_mpi 1 "$prog" --help | grep -q '^usage: gauss' || fail "gauss --help"
echo "ok: argument errors"
