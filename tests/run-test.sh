#!/bin/sh
# tests/run-test.sh — runs one test binary for `make check` (LOG_COMPILER).
#
# Unit tests (tests/unit/*) run directly. MPI feature programs (tests/mpi/*)
# run under mpirun at np = 1, 2, 4 and 8, natively, under mpickpt-run and
# with only libmpickpt.so preloaded; each run must exit 0 and print exactly
# "PASS <name> np=<n>" on stdout, so the three outputs are byte-identical.
# Every run is bounded in time.
. "$top_srcdir/tests/lib.sh"

prog=$1
name=$(basename "$prog")
case "$prog" in
*tests/mpi/*)
    status=0
    for mode in $MPICKPT_TEST_MODES; do
        for np in 1 2 4 8; do
            out=$(run_mode "$mode" "$np" "$prog")
            rc=$?
            expected="PASS $name np=$np"
            if [ $rc -ne 0 ] || [ "$out" != "$expected" ]; then
                echo "$name np=$np ($mode): exit status $rc, output:"
                echo "$out"
                status=1
            else
                echo "$expected ($mode)"
            fi
        done
    done
    exit $status
    ;;
*)
    exec timeout -k 10 "$MPICKPT_TEST_TIMEOUT" "$prog"
    ;;
esac
