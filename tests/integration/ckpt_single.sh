#!/bin/sh
# ckpt_single.sh — end-to-end checkpoint/restart of single-rank jobs. A job
# under `mpickpt-run --interval=1` is killed (kill -9 of mpirun and every
# process below it) at a random moment after a committed checkpoint,
# restarted with mpickpt-restart, and must end exactly as an uninterrupted
# run: same final stdout, byte-identical output file.
#   - tests/programs/ckpt_app (heap, rand(), a buffered FILE*, signal
#     handler, blocked signal, MPI_Allreduce between computations): 3 trials;
#   - apps/nqueens 16 (computes without MPI calls: the signal path);
#   - the newest epoch corrupted: the restart falls back to the previous one;
#   - refusals: np > 1 with --interval (exit 2), an empty directory.
# Time-bounded: every run goes through run_bounded / run_mpi.
. "${top_srcdir:-.}/tests/lib.sh"
MPICKPT_TEST_TIMEOUT=40
make_tmpdir
app="$top_builddir/tests/programs/ckpt_app"
restart="$top_builddir/launcher/mpickpt-restart"
steps=2500

# descendants PID — PID and every process below it (Open MPI starts the
# ranks in process groups of their own, so a group kill misses them).
descendants() {
    echo "$1"
    for c in $(pgrep -P "$1"); do descendants "$c"; done
}

# committed DIR — how many committed epochs the job under DIR has now.
committed() {
    ls "$1"/*/epochs/*/COMMITTED 2>/dev/null | wc -l
}

# start_job DIR PROGRAM ARGS... — a checkpointed job in the background ($job_pid).
start_job() {
    d=$1; shift
    run_mpi 1 -x MPICKPT_PLUGIN -x MPICKPT_RESTORE "$MPICKPT_KEEPER" --interval=1 \
        --dir="$d" -- "$@" >"$tmp/run.out" 2>"$tmp/run.err" &
    job_pid=$!
}

# kill_after DIR N — waits for N committed epochs, then a random 0-0.25 s,
# then kills the whole job.
kill_after() {
    i=0
    while [ "$(committed "$1")" -lt "$2" ]; do
        i=$((i + 1))
        [ $i -lt 200 ] || fail "$1: fewer than $2 committed checkpoints after 20 s"
        sleep 0.1
    done
    sleep "0.$(( $(od -An -N1 -tu1 /dev/urandom) % 25 ))"
    kill -9 $(descendants $job_pid) 2>/dev/null
    wait $job_pid 2>/dev/null
}

# restart_job DIR WHAT — restarts the job under DIR; stdout in $tmp/rs.out.
restart_job() {
    run_bounded "$restart" "$(ls -d "$1"/*/)" >"$tmp/rs.out" 2>"$tmp/rs.err" ||
        { cat "$tmp/rs.err" >&2; fail "$2: restart failed"; }
}

run_mpi 1 "$MPICKPT_KEEPER" --quiet -- "$app" "$tmp/ref.txt" $steps >"$tmp/ref.out" ||
    fail "uninterrupted run of ckpt_app"

for trial in 1 2 3; do
    start_job "$tmp/ck$trial" "$app" "$tmp/run.txt" $steps
    kill_after "$tmp/ck$trial" 1
    restart_job "$tmp/ck$trial" "ckpt_app trial $trial"
    same_file "$tmp/ref.out" "$tmp/rs.out" "trial $trial: stdout after restart" || fail "trial $trial"
    same_file "$tmp/ref.txt" "$tmp/run.txt" "trial $trial: output file" || fail "trial $trial"
done

# Corrupt one byte in the middle of the newest committed image.
start_job "$tmp/ckc" "$app" "$tmp/run.txt" $steps
kill_after "$tmp/ckc" 2
job=$(ls -d "$tmp"/ckc/*/)
newest=$(ls "$job/epochs" | sort -n | while read -r n; do
    [ -f "$job/epochs/$n/COMMITTED" ] && echo "$n"; done | tail -n 1)
img="$job/epochs/$newest/rank-0.img"
size=$(wc -c <"$img")
# The byte is inverted, so it changes whatever it was.
byte=$(dd if="$img" bs=1 skip=$((size / 2)) count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
printf "\\$(printf '%03o' $((255 - byte)))" | dd of="$img" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
restart_job "$tmp/ckc" "corrupted newest epoch"
grep -q "epoch $newest is not a usable recovery line.*falling back" "$tmp/rs.err" ||
    { cat "$tmp/rs.err" >&2; fail "corrupted newest epoch $newest: no fallback line"; }
same_file "$tmp/ref.out" "$tmp/rs.out" "fallback: stdout after restart" || fail "fallback"
same_file "$tmp/ref.txt" "$tmp/run.txt" "fallback: output file" || fail "fallback"

# nqueens: pure computation between MPI_Init and the end.
start_job "$tmp/ckq" "$top_builddir/apps/nqueens" 16
kill_after "$tmp/ckq" 1
restart_job "$tmp/ckq" "nqueens"
has_line "$tmp/rs.out" "nqueens N=16 solutions=14772512" || fail "nqueens: wrong result after restart"

run_mpi 2 "$MPICKPT_KEEPER" --interval=1 --dir="$tmp/np2" -- "$app" "$tmp/x" 10 2>"$tmp/np2.err"
[ $? -eq 2 ] && grep -q "need np = 1" "$tmp/np2.err" || fail "np = 2 with --interval not refused"
mkdir "$tmp/empty"
run_bounded "$restart" "$tmp/empty" 2>"$tmp/empty.err"
[ $? -eq 2 ] || fail "restart of an empty directory not refused"
echo "ckpt_single: ckpt_app x3, fallback, nqueens restarted identically"
