#!/bin/sh
# coord_apps.sh — in-place recovery of a 4-rank job: one rank's compute
# process dies (SIGKILL, or SIGSEGV as a crash would), every keeper
# restores its rank from the last committed checkpoint (or starts it afresh
# when none is committed yet) and the job ends as an uninterrupted native
# run does: exit status 0, stdout byte-identical (exactly once: what was
# emitted before the failure is not emitted again) and, for coord_ring,
# every rank's output file byte-identical.
#
# Programs, at sizes that run 2-5 s natively at np = 4 on a 2-core machine:
# tests/programs/coord_ring (every message and collective shows in its
# output), gauss (point-to-point), gauss --collectives (broadcasts, which
# do not synchronize: the collective fence), nqueens and tsp
# (MPI_ANY_SOURCE receives). Each
# is first run natively: the reference and its duration D. Trials, each
# under `mpickpt-run --interval=1`, the rank chosen at random:
#   coord_ring, SIGKILL before the first checkpoint (0-0.3 s after every
#       rank computes): the job must restart every rank from the beginning;
#   coord_ring, SIGSEGV while a checkpoint's image is being written (a
#       .rank-R.img.tmp file exists): the recovery uses the last committed
#       epoch (or the one being written, if it still completed);
#   gauss (SIGKILL), gauss --collectives (SIGABRT), nqueens (SIGSEGV), tsp
#       (SIGKILL), at a random moment in the D/3 after
#       every rank computes
#       (D includes mpirun's start: a later kill often comes after the end);
#   coord_ring, two failures in a row: SIGKILL at a random moment, then,
#       once the recovered job committed a checkpoint of its own, SIGSEGV
#       of another random rank; the second recovery must use that
#       checkpoint.
# Only processes of the test's own jobs are signalled (tests/ckpt_lib.sh:
# kill_rank). A job that ended before its kill came is noted in the log
# (its output is still checked). Time-bounded: every run goes through
# run_bounded / run_mpi, every wait polls with a bound. About 60-90 s on a
# loaded 2-core machine.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ckpt_lib.sh"
MPICKPT_TEST_TIMEOUT=60
make_tmpdir
np=4
apps="$top_builddir/apps"
ring="$top_builddir/tests/programs/coord_ring"
ring_iterations=2500

# check_recovery WHAT N EPOCH_MIN EPOCH_MAX — the job went through N
# recoveries, the last from an epoch in [EPOCH_MIN, EPOCH_MAX] (0: from the
# beginning) after the failure of rank $killed_rank. Sets from_epoch.
check_recovery() {
    n=$(recoveries)
    [ "$n" -eq "$2" ] || { cat "$tmp/run.err" >&2; fail "$1: $n recoveries, not $2"; }
    set -- "$1" "$2" "$3" "$4" $(recovered_from)
    from_epoch=$5
    [ "$6" = "$killed_rank" ] ||
        { cat "$tmp/run.err" >&2; fail "$1: the recovery names rank $6, not the killed rank $killed_rank"; }
    [ "$from_epoch" -ge "$3" ] && [ "$from_epoch" -le "$4" ] ||
        { cat "$tmp/run.err" >&2; fail "$1: recovered from epoch $from_epoch, not one in [$3, $4]"; }
}

# check_outputs NAME WHAT DIR [REF_PREFIX PREFIX] — the stdout of the job
# under DIR, and the keepers' copy of it, are the reference's (and its np
# output files those of REF_PREFIX).
check_outputs() {
    same_file "$tmp/$1.ref" "$tmp/run.out" "$2: stdout" || fail "$2: stdout differs from the native run's"
    same_copies "$2" "$3" $np "$tmp/$1.ref"
    if [ $# -ge 5 ]; then
        same_rank_files "$2" $np "$4" "$5" || fail "$2: output files differ from the native run's"
    fi
}

# trial NAME HOW SIGNAL PROGRAM ARGS... — one failure of a random rank in a
# job of PROGRAM (HOW: early, writing or random), then the checks; the
# reference $tmp/NAME.ref must exist (and for coord_ring, PROGRAM's prefix
# must be $tmp/NAME.run with reference files $tmp/NAME.ref.<rank>).
trial() {
    t_name=$1; t_how=$2; t_sig=$3; shift 3
    t_dir="$tmp/ck-$t_name-$t_how"
    what="$t_name, SIG$t_sig $t_how"
    ref_cs=$(cat "$tmp/$t_name.ref.cs")
    start_job_np $np "$t_dir" "$@"
    case $t_how in
    early) kill_rank_random "$t_dir" $np 30 "$t_sig" ;;
    writing)
        killed_rank=$(random_below $np)
        kill_rank_writing "$t_dir" $np "$killed_rank" "$t_sig"
        ended_early=no
        [ -n "$caught_image" ] || ended_early=yes
        ;;
    random) kill_rank_random "$t_dir" $np $((ref_cs / 3)) "$t_sig" ;;
    esac
    wait_job "$what"
    if [ $ended_early = yes ]; then
        echo "note: $what: the job ended before the kill came"
    else
        case $t_how in
        early)
            [ "$killed_epoch" -eq 0 ] || echo "note: $what: a checkpoint was committed before the kill"
            check_recovery "$what" 1 "$killed_epoch" "$killed_epoch"
            ;;
        *) check_recovery "$what" 1 "$killed_epoch" $((killed_epoch + 1)) ;;
        esac
    fi
    case $t_name in
    ring*) check_outputs "$t_name" "$what" "$t_dir" "$tmp/$t_name.ref" "$tmp/$t_name.run" ;;
    *) check_outputs "$t_name" "$what" "$t_dir" ;;
    esac
    [ $ended_early = yes ] && return 0
    where="after $killed_after s, rank $killed_rank, checkpoint $killed_epoch committed"
    [ -z "$caught_image" ] || [ "$t_how" != writing ] || where="$where, $caught_image being written"
    echo "ok: $what: native $(cs_to_s "$ref_cs") s; killed $where; recovered from epoch $from_epoch; same output"
}

native_reference ring "$ring" "$tmp/ring.ref" $ring_iterations
trial ring early KILL "$ring" "$tmp/ring.run" $ring_iterations
trial ring writing SEGV "$ring" "$tmp/ring.run" $ring_iterations

native_reference gauss "$apps/gauss" --n 2400
trial gauss random KILL "$apps/gauss" --n 2400
native_reference gauss_coll "$apps/gauss" --n 2400 --collectives
trial gauss_coll random ABRT "$apps/gauss" --n 2400 --collectives
native_reference nqueens "$apps/nqueens" 16
trial nqueens random SEGV "$apps/nqueens" 16
native_reference tsp "$apps/tsp" --cities 22 --seed 10
trial tsp random KILL "$apps/tsp" --cities 22 --seed 10

# Two failures in a row: the second comes once the recovered job has
# committed a checkpoint of its own, so the second recovery restores
# images taken by restored processes.
what="ring, two failures"
ref_cs=$(cat "$tmp/ring.ref.cs")
dir="$tmp/ck-ring-twice"
start_job_np $np "$dir" "$ring" "$tmp/ring.run" $ring_iterations
wait_epoch "$dir" 1
kill_rank_random "$dir" $np 30 KILL
[ $ended_early = no ] || fail "$what: the job ended before the first kill"
first="after $killed_after s, rank $killed_rank, checkpoint $killed_epoch committed"
wait_recovered 1
check_recovery "$what (first)" 1 "$killed_epoch" $((killed_epoch + 1))
first="$first; recovered from epoch $from_epoch"
wait_epoch "$dir" $(($(newest_epoch "$dir") + 1))
killed_rank=$(random_below $np)
kill_rank "$dir" "$killed_rank" SEGV || fail "$what: the job ended before the second kill"
wait_job "$what"
check_recovery "$what (second)" 2 "$killed_epoch" $((killed_epoch + 1))
check_outputs ring "$what" "$dir" "$tmp/ring.ref" "$tmp/ring.run"
echo "ok: $what: killed $first; SIGSEGV after $killed_after s, rank $killed_rank," \
    "checkpoint $killed_epoch committed; recovered from epoch $from_epoch; same output"
