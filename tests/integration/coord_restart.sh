#!/bin/sh
# coord_restart.sh — a 4-rank job under `mpickpt-run --interval=1` killed
# whole (SIGKILL of mpirun and every process of the job at once, as in the
# loss of the machine: tests/ckpt_lib.sh kill_job) and restarted with
# `mpickpt-restart JOBDIR -- --oversubscribe --bind-to none` ends as an
# uninterrupted native run does. Output is exactly once across restarts:
# each run's stdout is the native run's from where the previous one stopped
# (the keepers' recorded positions) — nothing emitted twice, nothing wrong,
# the last run to the end — and every rank's output file is the native one.
# Bytes a killed mpirun had taken from the keepers but not yet written are
# lost with it (at most a pipe's worth per run, reported in a note); the
# copies of stdout in the job directory (output/rank-<r>.stdout) must be
# the native stdout exactly.
#   - coord_ring, killed at a random moment in the D/2 after its first
#     committed checkpoint, restarted;
#   - coord_ring, two restarts in a row: the restarted job is killed again
#     in the 0.5 s after it committed a checkpoint of its own, and the
#     second restart must restore that one (an image of a restored
#     process);
#   - coord_ring, the newest committed epoch's rank-2 image corrupted (one
#     byte inverted): the restart says it falls back and restores the
#     epoch before, with the same result;
#   - coord_ring printing on stderr, mpirun frozen (SIGSTOP) from one
#     committed checkpoint to the next, then killed: bytes the keepers
#     forwarded that mpirun never read must come back from the job
#     directory's copy, none lost, and the keeper's own lines unread in
#     the same pipe must not be taken for the ring's (no repeat);
#   - gauss --collectives (broadcasts, which do not synchronize: the
#     collective fence; its stdout comes at the end only), killed and
#     restarted once.
# D is the native run's duration. Time-bounded: every run goes through
# run_bounded / run_mpi, every wait polls with a bound. About 40-60 s on a
# loaded 2-core machine.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ckpt_lib.sh"
MPICKPT_TEST_TIMEOUT=60
make_tmpdir
np=4
ring="$top_builddir/tests/programs/coord_ring"
ring_iterations=2500

# emitted DIR — the stdout position rank 0's keeper of the job under DIR
# recorded last (stats/rank-0.output: stdout bytes, then stderr bytes, 8
# bytes each): what it had forwarded to mpirun, where a restart goes on
# from (0 if it recorded none). Only rank 0 writes stdout in these programs.
emitted() {
    e_pos=$(od -An -tu8 -N8 "$(job_dir "$1")stats/rank-0.output" 2>/dev/null | tr -d ' ')
    echo "${e_pos:-0}"
}

# job_lines FILE — FILE, an output of mpirun, less mpirun's own line when
# it is killed mid-abort, and less mpickpt's lines (whole lines, written
# between chunks of the job's output): the job's output.
job_lines() {
    sed '/^Abort is in progress\.\.\.hit ctrl-c again/{N;d;}' "$1" |
        perl -0pe 's/mpickpt(-run|-restart)?: [^\n]*\n//g'
}

# check_joined WHAT REF OUT POS [OUT POS...] OUT — the outputs OUT (one
# stream: stdout, or stderr, less mpickpt's own lines) one after the other
# (the killed runs', then the last restart's) are REF's bytes: exactly
# once across the restarts.
# POS after each killed run's OUT is its keeper's position of that stream
# after its kill (emitted, for stdout). If they are not, says for each run
# where its output departs from REF: bytes the keeper had forwarded that
# never left mpirun (lost in mpirun when it was killed), bytes emitted
# again, or bytes that are not REF's.
check_joined() {
    c_what=$1; c_ref=$2; shift 2
    c_start=0
    c_run=1
    c_why=""
    c_lost=0
    while [ $# -gt 0 ]; do
        job_lines "$1" >"$tmp/segment.out"
        c_end=${2:-$(wc -c <"$c_ref")}
        c_size=$(wc -c <"$tmp/segment.out")
        tail -c +$((c_start + 1)) "$c_ref" | head -c "$c_size" >"$tmp/segment.ref"
        if ! cmp -s "$tmp/segment.ref" "$tmp/segment.out"; then
            c_at=$(cmp "$tmp/segment.ref" "$tmp/segment.out" 2>/dev/null | sed -n 's/.* byte \([0-9]*\),.*/\1/p')
            c_line=$(tail -c +"${c_at:-1}" "$tmp/segment.out" | head -n 1 | cut -c 1-120)
            c_why="$c_why; run $c_run's output departs from the native run's (from its byte $c_start) at its byte ${c_at:-?}: '$c_line'"
        elif [ $((c_start + c_size)) -gt "$c_end" ]; then
            c_why="$c_why; run $c_run: bytes $c_end-$((c_start + c_size)) reached mpirun's output, its keeper's position says $c_end (emitted again after the restart)"
        elif [ $((c_start + c_size)) -lt "$c_end" ]; then
            # Handed to mpirun, which was killed before it wrote them out
            # (docs/COORDINATED.md, "Limits"): at most a pipe's worth.
            c_gap=$((c_end - c_start - c_size))
            [ $c_gap -le 65536 ] ||
                c_why="$c_why; run $c_run: $c_gap bytes forwarded by its keeper never left mpirun"
            c_lost=$((c_lost + c_gap))
        fi
        [ $# -gt 1 ] || [ $((c_start + c_size)) -eq "$c_end" ] ||
            c_why="$c_why; the last run stops at byte $((c_start + c_size)) of $c_end"
        c_start=$c_end
        c_run=$((c_run + 1))
        shift; [ $# -gt 0 ] && shift
    done
    [ -z "$c_why" ] || fail "$c_what: output not exactly once across the restarts$c_why"
    [ $c_lost -eq 0 ] ||
        echo "note: $c_what: $c_lost bytes were inside mpirun when it was killed (lost with it)"
}

# check_from WHAT NAME — the restart whose stderr is $tmp/NAME.err said
# which checkpoint it restored; sets from.
check_from() {
    from=$(restarted_from "$2")
    [ -n "$from" ] ||
        fail "$1: the restart does not say which checkpoint it restored: $(head -n 5 "$tmp/$2.err")"
}

# note_early WHAT — the job had ended by itself before the kill came.
note_early() {
    [ "$ended_early" = no ] || echo "note: $1: the job ended before the kill came"
}

# kill_and_restart WHAT DIR SPAN_CS — kills the job under DIR whole at a
# random moment in SPAN_CS after its first commit, then restarts it and
# waits: pos is what its keepers had emitted, from the epoch restored.
kill_and_restart() {
    kill_random "$2" 1 "$3"
    note_early "$1"
    pos=$(emitted "$2")
    restart_job "$2" "$1"
    check_from "$1" rs
}

native_reference ring "$ring" "$tmp/ring.ref" $ring_iterations

what="ring, one restart"
start_job_np $np "$tmp/ck1" "$ring" "$tmp/ring.run" $ring_iterations
kill_and_restart "$what" "$tmp/ck1" $((ref_cs / 2))
check_joined "$what" "$tmp/ring.ref" "$tmp/run.out" "$pos" "$tmp/rs.out"
same_copies "$what" "$tmp/ck1" $np "$tmp/ring.ref"
same_rank_files "$what" $np "$tmp/ring.ref" "$tmp/ring.run" || fail "$what: output files differ"
echo "ok: $what: native $(cs_to_s $ref_cs) s; killed after $killed_after s" \
    "(checkpoint $killed_epoch committed, $(wc -c <"$tmp/run.out") bytes out)," \
    "restarted from checkpoint $from, exactly-once stdout, same files"

# Two restarts in a row.
what="ring, two restarts"
start_job_np $np "$tmp/ck2" "$ring" "$tmp/ring.run" $ring_iterations
kill_random "$tmp/ck2" 1 50
note_early "$what (first kill)"
pos1=$(emitted "$tmp/ck2")
first="killed after $killed_after s (checkpoint $killed_epoch, $(wc -c <"$tmp/run.out") bytes out)"
start_restart "$tmp/ck2" rs1
kill_random "$tmp/ck2" $((killed_epoch + 1)) 50
note_early "$what (second kill)"
pos2=$(emitted "$tmp/ck2")
check_from "$what (first restart)" rs1
first="$first, restarted from $from, killed after $killed_after s more (checkpoint $killed_epoch)"
second_kill_epoch=$killed_epoch
restart_job "$tmp/ck2" "$what" rs2
check_from "$what (second restart)" rs2
[ "$from" -eq "$second_kill_epoch" ] ||
    fail "$what: the second restart restored checkpoint $from, not the newest, $second_kill_epoch"
check_joined "$what" "$tmp/ring.ref" "$tmp/run.out" "$pos1" "$tmp/rs1.out" "$pos2" "$tmp/rs2.out"
same_copies "$what" "$tmp/ck2" $np "$tmp/ring.ref"
same_rank_files "$what" $np "$tmp/ring.ref" "$tmp/ring.run" || fail "$what: output files differ"
echo "ok: $what: $first, restarted from $from, exactly-once stdout, same files"

# The newest epoch's rank-2 image corrupted: the restart falls back.
what="ring, corrupted newest epoch"
start_job_np $np "$tmp/ck3" "$ring" "$tmp/ring.run" $ring_iterations
kill_random "$tmp/ck3" 2 50
note_early "$what"
pos=$(emitted "$tmp/ck3")
newest=$(newest_epoch "$tmp/ck3")
img="$(job_dir "$tmp/ck3")epochs/$newest/rank-2.img"
[ -f "$img" ] || fail "$what: no image $img"
flip_byte "$img" $(($(wc -c <"$img") / 2))
restart_job "$tmp/ck3" "$what"
grep -q "epoch $newest is not a usable recovery line.*falling back" "$tmp/rs.err" ||
    { cat "$tmp/rs.err" >&2; fail "$what: no fallback line for epoch $newest"; }
check_from "$what" rs
[ "$from" -lt "$newest" ] || fail "$what: restored checkpoint $from, the corrupted one"
check_joined "$what" "$tmp/ring.ref" "$tmp/run.out" "$pos" "$tmp/rs.out"
same_copies "$what" "$tmp/ck3" $np "$tmp/ring.ref"
same_rank_files "$what" $np "$tmp/ring.ref" "$tmp/ring.run" || fail "$what: output files differ"
echo "ok: $what: killed after $killed_after s, rank 2's image of checkpoint $newest corrupted," \
    "restarted from checkpoint $from, exactly-once stdout, same files"

# mpirun frozen (SIGSTOP) once a checkpoint is committed, killed with the
# job once the next one is, the ring's lines on stderr (COORD_RING_STDERR:
# a pipe to mpirun, whose unread bytes the keeper counts): the keepers had
# forwarded bytes written before that checkpoint's cut that mpirun never
# read, so the restart must emit them from the job directory's copy: its
# stderr is the native lines from its keeper's position on, that position
# before the cut. Rank 0's keeper wrote its own line "checkpoint N
# committed" into the same frozen pipe: counted as the ring's, the
# position would be that much too early, and the restart would repeat as
# many bytes mpirun had printed.
what="ring on stderr, mpirun frozen before the kill"
COORD_RING_STDERR=1 \
    start_job_np $np "$tmp/ck5" "$ring" "$tmp/ring.run" $ring_iterations
wait_epoch "$tmp/ck5" 1
frozen_epoch=$(newest_epoch "$tmp/ck5")
mpirun_pid=$(for p in $(descendants "$job_pid"); do
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = mpirun ] && echo "$p"; done)
[ -n "$mpirun_pid" ] || fail "$what: no mpirun below the job"
kill -STOP $mpirun_pid
wait_epoch "$tmp/ck5" $((frozen_epoch + 1))
killed_after=$(cs_to_s $(($(now_cs) - job_start)))
kill_job
killed_epoch=$(newest_epoch "$tmp/ck5")
pos=$(od -An -tu8 -j8 -N8 "$(job_dir "$tmp/ck5")stats/rank-0.output" | tr -d ' ')
restart_job "$tmp/ck5" "$what"
! grep -q "were lost" "$tmp/rs.err" || fail "$what: $(grep "were lost" "$tmp/rs.err")"
# The restart goes on at its keeper's position, which lies before the
# restored cut: what mpirun never read comes from the copy.
check_joined "$what" "$tmp/ring.ref" "$tmp/run.err" "$pos" "$tmp/rs.err"
cat "$(job_dir "$tmp/ck5")"output/rank-*.stderr | cmp -s "$tmp/ring.ref" - ||
    fail "$what: the job directory's copy of stderr is not the native lines"
same_rank_files "$what" $np "$tmp/ring.ref" "$tmp/ring.run" || fail "$what: output files differ"
unread_line="its own line 'checkpoint $killed_epoch committed' was not printed"
grep -q "checkpoint $killed_epoch committed" "$tmp/run.err" &&
    unread_line="its own lines were all printed"
echo "ok: $what: frozen at checkpoint $frozen_epoch, killed after $killed_after s" \
    "(checkpoint $killed_epoch; $unread_line); $(job_lines "$tmp/run.err" | wc -c) bytes" \
    "out before the freeze, the restart went on from byte $pos: exactly once, same copy," \
    "same files"

what="gauss --collectives, one restart"
native_reference gauss_coll "$top_builddir/apps/gauss" --n 2400 --collectives
start_job_np $np "$tmp/ck4" "$top_builddir/apps/gauss" --n 2400 --collectives
kill_and_restart "$what" "$tmp/ck4" $((ref_cs / 3))
check_joined "$what" "$tmp/gauss_coll.ref" "$tmp/run.out" "$pos" "$tmp/rs.out"
same_copies "$what" "$tmp/ck4" $np "$tmp/gauss_coll.ref"
echo "ok: $what: native $(cs_to_s $ref_cs) s; killed after $killed_after s" \
    "(checkpoint $killed_epoch committed), restarted from checkpoint $from, same stdout"
