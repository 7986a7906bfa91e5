#!/bin/sh
# tests/run-test.sh — runs one test binary for `make check` (LOG_COMPILER).
#
# Unit tests (tests/unit/*) run directly. MPI feature programs (tests/mpi/*)
# run under mpirun at np = 1, 2, 4 and 8; each run must exit 0 and print
# exactly "PASS <name> np=<n>" on stdout. Every run is bounded in time.
. "$top_srcdir/tests/lib.sh"

prog=$1
name=$(basename "$prog")
case "$prog" in
*tests/mpi/*)
    status=0
    for np in 1 2 4 8; do
        out=$(run_mpi "$np" "$prog")
        rc=$?
        expected="PASS $name np=$np"
        if [ $rc -ne 0 ] || [ "$out" != "$expected" ]; then
            echo "$name np=$np: exit status $rc, output:"
            echo "$out"
            status=1
        else
            echo "$expected"
        fi
    done
    exit $status
    ;;
*)
    exec timeout -k 10 "$MPICKPT_TEST_TIMEOUT" "$prog"
    ;;
esac
