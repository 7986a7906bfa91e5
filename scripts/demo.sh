#!/bin/sh
# scripts/demo.sh — the README's main command: installs missing Debian
# packages, builds, and runs the demo job.
#
# Today the demo runs gauss natively under `mpirun -np 4` and checks its
# answer against a single-rank run (same bytes) and its residual; the
# checkpoint issues extend it to inject a failure and recover.
. "$(dirname "$0")/setup.sh"

install_missing_packages
build_tree

gauss="$build/apps/gauss"
n=1500
oversub=""
[ 4 -gt "$(nproc)" ] && oversub="--oversubscribe" && export OMPI_MCA_mpi_yield_when_idle=1
out="$build/demo"
mkdir -p "$out"

echo "== reference: gauss --n $n on 1 rank"
mpirun -np 1 "$gauss" --n $n >"$out/reference.out" || { echo "demo: reference run failed" >&2; exit 1; }
cat "$out/reference.out"
echo "== the job: gauss --n $n on 4 ranks"
mpirun -np 4 $oversub --bind-to none "$gauss" --n $n >"$out/job.out" || { echo "demo: job failed" >&2; exit 1; }
cat "$out/job.out"

grep -q "residual_ok=yes" "$out/job.out" || { echo "demo: FAILED: residual too large" >&2; exit 1; }
cmp -s "$out/reference.out" "$out/job.out" || { echo "demo: FAILED: 4-rank answer differs from 1-rank answer" >&2; exit 1; }
echo "demo: OK: the 4-rank answer is verified (residual below 1e-9) and byte-identical to the 1-rank answer"
