#!/bin/sh
# scripts/demo.sh — the README's main command: installs missing Debian
# packages, builds, and runs the demo:
#
#  1. gauss on 4 ranks natively, its answer checked (residual below 1e-9,
#     same bytes as a 1-rank run);
#  2. the same program on 4 ranks under mpickpt (the keeper + compute split),
#     same bytes again;
#  3. a failure: gauss on 4 ranks under mpickpt with a checkpoint every
#     second; rank 2's application process is killed with kill -9; every
#     rank recovers in place from the last checkpoint and the job prints
#     the failure-free answer, once;
#  4. the whole job killed with kill -9 after a checkpoint, then
#     `mpickpt-restart` — the restarted job reaches the same answer, and
#     the killed run's output plus the restart's is the failure-free output.
. "$(dirname "$0")/setup.sh"

install_missing_packages
build_tree

gauss="$build/apps/gauss"
keeper="$build/launcher/mpickpt-run"
restart="$build/launcher/mpickpt-restart"
export MPICKPT_PLUGIN="$build/plugin/.libs/libmpickpt.so"
export MPICKPT_KEEPER="$keeper"
export MPICKPT_RESTORE="$build/launcher/restore/mpickpt-restore"
oversub=""
[ 4 -gt "$(nproc)" ] && oversub="--oversubscribe" && export OMPI_MCA_mpi_yield_when_idle=1
out="$build/demo"
rm -rf "$out" && mkdir -p "$out"

die() {
    echo "demo: FAILED: $*" >&2
    exit 1
}

# descendants PID — PID and every process below it (Open MPI puts ranks in
# process groups of their own, so a group kill would miss them).
descendants() {
    echo "$1"
    for c in $(pgrep -P "$1"); do descendants "$c"; done
}

# start_checkpointed DIR NAME — gauss --n $n on 4 ranks under mpickpt-run,
# a checkpoint every second into DIR, in the background ($job), stdout and
# stderr in $out/NAME.out and .err; returns once a checkpoint is committed
# (30 s at most).
start_checkpointed() {
    mpirun -np 4 $oversub --bind-to none -x MPICKPT_PLUGIN -x MPICKPT_RESTORE "$keeper" \
        --interval=1 --dir="$1" -- "$gauss" --n $n >"$out/$2.out" 2>"$out/$2.err" &
    job=$!
    waited=0
    until ls "$1"/*/epochs/*/COMMITTED >/dev/null 2>&1; do
        sleep 0.2
        waited=$((waited + 1))
        [ $waited -lt 150 ] || die "no checkpoint committed after 30 s"
    done
}

n=1500
echo "== 1. gauss --n $n natively, on 1 rank and on 4"
mpirun -np 1 "$gauss" --n $n >"$out/reference.out" 2>/dev/null || die "reference run"
mpirun -np 4 $oversub --bind-to none "$gauss" --n $n >"$out/native4.out" 2>/dev/null || die "native job"
cat "$out/native4.out"
grep -q "residual_ok=yes" "$out/native4.out" || die "residual too large"
cmp -s "$out/reference.out" "$out/native4.out" || die "4-rank answer differs from 1-rank answer"
echo "   verified: residual below 1e-9, 4-rank answer identical to the 1-rank one"

echo "== 2. the same job under mpickpt: mpirun -np 4 mpickpt-run -- gauss --n $n"
mpirun -np 4 $oversub --bind-to none -x MPICKPT_PLUGIN "$keeper" -- "$gauss" --n $n \
    >"$out/mpickpt4.out" 2>/dev/null || die "job under mpickpt"
cat "$out/mpickpt4.out"
cmp -s "$out/reference.out" "$out/mpickpt4.out" || die "answer under mpickpt differs"
echo "   identical to the native answer"

n=2600
echo "== 3. a failure: gauss --n $n on 4 ranks, a checkpoint every second, one rank's"
echo "   application process killed with kill -9; the job recovers in place"
mpirun -np 4 $oversub --bind-to none "$gauss" --n $n >"$out/reference4.out" 2>/dev/null ||
    die "reference run"
ck="$out/ckpt"
start_checkpointed "$ck" recovered
sleep 0.5
# The application process of rank 2: the child of its keeper.
victim=""
for k in $(descendants $job); do
    [ "$(cat /proc/$k/comm 2>/dev/null)" = mpickpt-run ] || continue
    grep -q "OMPI_COMM_WORLD_RANK=2" /proc/$k/environ 2>/dev/null || continue
    victim=$(pgrep -P $k | head -1)
done
[ -n "$victim" ] || die "rank 2's application process not found"
kill -9 "$victim"
echo "   killed rank 2's application process (pid $victim)"
wait $job || die "the job did not recover (exit status $?)"
grep -E "killed|recovering|restarting every" "$out/recovered.err" | sed 's/^/   /'
cat "$out/recovered.out"
cmp -s "$out/reference4.out" "$out/recovered.out" || die "the recovered job's answer differs"
echo "   identical to the failure-free answer, printed once"

echo "== 4. the whole job killed with kill -9 after a checkpoint, then mpickpt-restart"
ck="$out/ckpt-restart"
start_checkpointed "$ck" killed
sleep 1
kill -9 $(descendants $job) 2>/dev/null
wait $job 2>/dev/null
grep -q "checksum" "$out/killed.out" && die "the job finished before it was killed (machine too fast?)"
echo "   job killed; restarting: mpickpt-restart $(ls -d "$ck"/*/) -- $oversub --bind-to none"
timeout 300 "$restart" "$(ls -d "$ck"/*/)" -- $oversub --bind-to none -x MPICKPT_PLUGIN \
    -x MPICKPT_RESTORE >"$out/restarted.out" 2>"$out/restarted.err" ||
    { cat "$out/restarted.err" >&2; die "mpickpt-restart"; }
grep "restarting" "$out/restarted.err" | sed 's/^/   /'
cat "$out/killed.out" "$out/restarted.out" >"$out/whole.out"
cat "$out/restarted.out"
cmp -s "$out/reference4.out" "$out/whole.out" || die "the restarted job's answer differs"
echo "   identical to the failure-free answer (killed run + restart, output once)"
echo "demo: OK"
