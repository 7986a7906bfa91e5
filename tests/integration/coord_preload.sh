#!/bin/sh
# coord_preload.sh — checkpoints through the plugin's own entry point: a
# 4-rank coord_ring started with nothing but LD_PRELOAD=libmpickpt.so and
# the settings in the environment (MPICKPT_INTERVAL=1, MPICKPT_DIR), whose
# compute processes the plugin forked in MPI_Init, ends as an
# uninterrupted native run does (stdout, the job directory's copy of it,
# every rank's output file):
#   - a rank killed (SIGKILL) before the first checkpoint: every rank
#     starts over, the keepers starting the program themselves from the
#     command line the plugin handed them;
#   - a rank killed (SIGSEGV) after the first checkpoint: every rank is
#     restored from it;
#   - the whole job killed after a checkpoint and restarted with
#     `mpickpt-restart`, as any checkpointed job.
# The ring's output prefix contains the checkpoint directory's name, which
# is how tests/ckpt_lib.sh finds the keepers of the job (their command line
# has no --dir). Time-bounded like the other coord_*.sh; about 20-30 s on a
# loaded 2-core machine.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ckpt_lib.sh"
MPICKPT_TEST_TIMEOUT=60
make_tmpdir
np=4
ring="$top_builddir/tests/programs/coord_ring"
ring_iterations=2500

# start_preloaded DIR — the ring under the preloaded plugin, checkpointed
# every second into DIR, in the background like start_job_np; its output
# files are DIR-ring.<rank>.
start_preloaded() {
    job_start=$(now_cs)
    run_mpi $np -x LD_PRELOAD="$MPICKPT_PLUGIN" -x MPICKPT_KEEPER -x MPICKPT_RESTORE \
        -x MPICKPT_INTERVAL=1 -x MPICKPT_DIR="$1" \
        "$ring" "$1-ring" $ring_iterations >"$tmp/run.out" 2>"$tmp/run.err" &
    job_pid=$!
}

# check_recovered WHAT EPOCH_MIN EPOCH_MAX DIR — the job recovered once, from
# an epoch in [EPOCH_MIN, EPOCH_MAX], after the failure of $killed_rank,
# and its outputs are the native ones.
check_recovered() {
    set -- "$1" "$2" "$3" "$4" $(recovered_from)
    [ "$(recoveries)" -eq 1 ] && [ "$6" = "$killed_rank" ] &&
        [ "$5" -ge "$2" ] && [ "$5" -le "$3" ] ||
        { cat "$tmp/run.err" >&2; fail "$1: not one recovery from an epoch in [$2, $3] after rank $killed_rank failed"; }
    from_epoch=$5
    same_file "$tmp/ring.ref" "$tmp/run.out" "$1: stdout" || fail "$1: stdout differs from the native run's"
    same_copies "$1" "$4" $np "$tmp/ring.ref"
    same_rank_files "$1" $np "$tmp/ring.ref" "$4-ring" || fail "$1: output files differ"
}

native_reference ring "$ring" "$tmp/ring.ref" $ring_iterations

what="preloaded ring, SIGKILL before the first checkpoint"
dir="$tmp/ck-early"
start_preloaded "$dir"
kill_rank_random "$dir" $np 30 KILL
[ $ended_early = no ] || fail "$what: the job ended before the kill"
wait_job "$what"
check_recovered "$what" 0 "$killed_epoch" "$dir"
echo "ok: $what: rank $killed_rank after $killed_after s, recovered from epoch $from_epoch, same output"

what="preloaded ring, SIGSEGV after a checkpoint"
dir="$tmp/ck-later"
start_preloaded "$dir"
wait_epoch "$dir" 1
kill_rank_random "$dir" $np 50 SEGV
[ $ended_early = no ] || fail "$what: the job ended before the kill"
wait_job "$what"
check_recovered "$what" 1 $((killed_epoch + 1)) "$dir"
echo "ok: $what: rank $killed_rank after $killed_after s, recovered from epoch $from_epoch, same output"

what="preloaded ring, killed whole and restarted"
dir="$tmp/ck-whole"
start_preloaded "$dir"
kill_random "$dir" 1 50
[ "$ended_early" = no ] || fail "$what: the job ended before the kill"
restart_job "$dir" "$what"
from=$(restarted_from)
[ -n "$from" ] || fail "$what: the restart does not say which checkpoint it restored"
same_copies "$what" "$dir" $np "$tmp/ring.ref"
[ "$(tail -n 1 "$tmp/rs.out")" = "$(tail -n 1 "$tmp/ring.ref")" ] ||
    fail "$what: the restart's stdout does not end as the native run's"
same_rank_files "$what" $np "$tmp/ring.ref" "$dir-ring" || fail "$what: output files differ"
echo "ok: $what: killed after $killed_after s (checkpoint $killed_epoch), restarted from $from, same output"
