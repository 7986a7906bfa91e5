#!/bin/sh
# tests/integration/runtime_failure.sh — a rank that fails ends the job,
# promptly and with a clear message, under both entry points of mpickpt.
#
# tests/programs/failing_rank makes rank 1 fail while the other ranks block
# in a receive that never completes, at np 2 and 4:
#   segv   rank 1 is killed by SIGSEGV: the keeper must say
#          "mpickpt: rank 1: application killed by SIGSEGV";
#   exit   rank 1 calls exit(3) before MPI_Finalize: "mpickpt: rank 1:
#          application exited with status 3 before MPI_Finalize: the job ends";
#   abort  rank 1 calls MPI_Abort(MPI_COMM_WORLD, 5): mpirun must exit
#          with the status it has natively (Open MPI passes the code on).
# Every job must end with a non-zero status before run_mpi's timeout (a
# timeout is a hang), and rank 1's last line on stdout, flushed just
# before it fails, must not be lost. The native runs are the reference.
. "$top_srcdir/tests/lib.sh"

make_tmpdir
prog="$top_builddir/tests/programs/failing_rank"

# run_failing MODE NP HOW — runs the job; sets rc, leaves stdout in
# $tmp/out and stderr in $tmp/err; fails unless the job ended with a
# non-zero status and rank 1's last words.
run_failing() {
    run_mode "$1" "$2" "$prog" "$3" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    what="$3 np=$2 ($1)"
    check_not_hung $rc "$what"
    [ $rc -ne 0 ] || fail "$what: exit status 0"
    has_line "$tmp/out" "failing_rank: rank 1 fails by $3" ||
        fail "$what: rank 1's last line is missing from stdout: $(cat "$tmp/out")"
}

for np in 2 4; do
    for how in segv exit abort; do
        run_failing native "$np" "$how"
        native_rc=$rc
        echo "ok: $how np=$np (native): exit status $native_rc"
        for mode in $(mpickpt_modes); do
            run_failing "$mode" "$np" "$how"
            case $how in
            segv) line="mpickpt: rank 1: application killed by SIGSEGV" ;;
            exit) line="mpickpt: rank 1: application exited with status 3 before MPI_Finalize: the job ends" ;;
            abort) line="" ;;
            esac
            if [ -n "$line" ]; then
                has_line "$tmp/err" "$line" ||
                    fail "$how np=$np ($mode): no line '$line' on stderr: $(cat "$tmp/err")"
                echo "ok: $how np=$np ($mode): exit status $rc, $line"
            else
                [ $rc -eq "$native_rc" ] ||
                    fail "$how np=$np ($mode): exit status $rc, native $native_rc"
                echo "ok: $how np=$np ($mode): exit status $rc, as native"
            fi
        done
    done
done
