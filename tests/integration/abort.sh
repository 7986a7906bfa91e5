#!/bin/sh
# tests/integration/abort.sh — MPI_Abort ends a whole job promptly.
#
# tests/mpi/abort makes its last rank call MPI_Abort(MPI_COMM_WORLD, 3)
# while the others block in a receive that never completes. At np 1, 2 and
# 4, in every mode (native, under mpickpt-run, preloaded), mpirun must exit
# with the abort code, 3 (Open MPI passes it through),
# stdout must show the aborting rank's message, and the job must end before
# run_mpi's timeout: a timeout (exit status 124, or 137 once killed) is a
# hang, not an abort.
. "$top_srcdir/tests/lib.sh"

prog="$top_builddir/tests/mpi/abort"

for mode in $MPICKPT_TEST_MODES; do
    for np in 1 2 4; do
        # mpirun explains the abort on stderr; only stdout and the status count.
        out=$(run_mode "$mode" "$np" "$prog" 2>/dev/null)
        status=$?
        case $status in
        3) ;;
        124 | 137) fail "$mode np=$np: still running at the timeout (exit status $status)" ;;
        *) fail "$mode np=$np: exit status $status, expected the abort code 3" ;;
        esac
        case $out in
        *"abort: calling MPI_Abort"*) ;;
        *) fail "$mode np=$np: stdout lacks 'abort: calling MPI_Abort': $out" ;;
        esac
        echo "ok: $mode np=$np aborted with status 3"
    done
done
