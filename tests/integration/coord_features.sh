#!/bin/sh
# coord_features.sh — the MPI feature programs (tests/mpi) at np = 4 under
# coordinated checkpoints taken back to back (`mpickpt checkpoint JOBDIR`
# every 0.1 s besides `--interval=1`, so cuts land among their point-to-
# point traffic, collectives and communicator creations), each losing one
# random rank's compute process (SIGKILL and SIGSEGV in turn) at a random
# moment: every job must recover in place and end as the native run does,
# printing exactly "PASS <name> np=4", exit status 0. abort is left out:
# it ends the job on purpose. A program that ended before its kill came is
# noted in the log (its output is still checked). About 40-70 s on a loaded
# 2-core machine.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ckpt_lib.sh"
MPICKPT_TEST_TIMEOUT=60
make_tmpdir
np=4
signal=KILL
recovered=0
for name in $feature_programs; do
    set -- "$top_builddir/tests/mpi/$name" $(feature_args $name)
    native_reference "$name" "$@"
    dir="$tmp/ck-$name"
    what="$name, SIG$signal"
    start_job_np $np "$dir" "$@"
    checkpoint_often "$dir" &
    trigger_pid=$!
    kill_while_running "$dir" $np 5 $signal
    wait_job "$what"
    wait "$trigger_pid"
    same_file "$tmp/$name.ref" "$tmp/run.out" "$what: stdout" ||
        fail "$what: stdout differs from the native run's"
    if [ $ended_early = yes ]; then
        echo "note: $what: the program ended before the kill came"
    else
        n=$(recoveries)
        [ "$n" -eq 1 ] || { cat "$tmp/run.err" >&2; fail "$what: $n recoveries, not 1"; }
        set -- $(recovered_from)
        [ "$2" = "$killed_rank" ] || fail "$what: the recovery names rank $2, not $killed_rank"
        echo "ok: $what: killed rank $killed_rank after $killed_after s" \
            "(checkpoint $killed_epoch committed), recovered from epoch $1, same output"
        recovered=$((recovered + 1))
    fi
    case $signal in KILL) signal=SEGV ;; *) signal=KILL ;; esac
done
# Most kills must land while the program runs, or this tests nothing.
[ $recovered -ge 5 ] || fail "only $recovered of 10 programs were still running at their kill"
echo "coord_features: $recovered of 10 programs recovered from a kill"
