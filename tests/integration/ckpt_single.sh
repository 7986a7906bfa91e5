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
. "${top_srcdir:-.}/tests/ckpt_lib.sh"
MPICKPT_TEST_TIMEOUT=40
make_tmpdir
app="$top_builddir/tests/programs/ckpt_app"
steps=2500

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
job=$(job_dir "$tmp/ckc")
newest=$(newest_epoch "$tmp/ckc")
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

mkdir "$tmp/empty"
run_bounded "$ckpt_restart_cmd" "$tmp/empty" 2>"$tmp/empty.err"
[ $? -eq 2 ] || fail "restart of an empty directory not refused"
echo "ckpt_single: ckpt_app x3, fallback, nqueens restarted identically"
