#!/bin/sh
# bench/run-pingpong.sh — ping-pong latency and bandwidth, native Open MPI
# against mpickpt (the program under mpickpt-run), in the same run.
#
#   bench/run-pingpong.sh [--quick] [--runs=N] [--write[=FILE]] [BUILD_DIR]
#
# At np 2 and np 4 (4 is oversubscribed on 2 cores, as the keeper and the
# compute process of each rank share one), bench/pingpong runs --runs times
# natively and --runs times under mpickpt-run, alternating (and swapping
# which goes first each round, so a drift in the machine's load hits both
# sides alike). Each run prints, per size, the median one-way latency over
# its repetitions; this driver takes the median over the runs and prints a
# markdown table per np — size, native and mpickpt latency and their ratio,
# native and mpickpt bandwidth and mpickpt's share of native — then the
# issue's targets. --write puts the same text in docs/BENCHMARKS.md.
# --quick: one run, 1 repetition of at most 20 round trips per size.
. "$(dirname "$0")/lib.sh"
bench_parse_args "$@"

prog="$top_builddir/bench/pingpong"
[ -x "$prog" ] || bench_die "$prog is not built (run make in $top_builddir)"
pp_args=""
[ $bench_quick = yes ] && pp_args="--reps=1 --max-iters=20"
mkdir "$bench_tmp/out" "$bench_tmp/err" || exit 1

# run_pingpong MODE NP RUN — one run of the benchmark, into out/MODE.NP.RUN.
run_pingpong() {
    # $pp_args is a list of options: split on purpose.
    run_mode "$1" "$2" "$prog" $pp_args >"$bench_tmp/out/$1.$2.$3" 2>"$bench_tmp/err/$1.$2.$3" ||
        bench_die "pingpong np=$2 ($1) failed: $(tail -n 5 "$bench_tmp/err/$1.$2.$3")"
}

# medians MODE NP — "size median-µs" lines over every run of MODE at NP.
medians() {
    for size in $(awk '!/^#/ { print $1 }' "$bench_tmp/out/$1.$2.1"); do
        echo "$size $(cat "$bench_tmp/out/$1.$2".* |
            awk -v s="$size" '$1 == s { print $2 }' | bench_median)"
    done
}

for np in 2 4; do
    for run in $(seq "$bench_runs"); do
        if [ $((run % 2)) -eq 1 ]; then
            run_pingpong native "$np" "$run"
            run_pingpong run "$np" "$run"
        else
            run_pingpong run "$np" "$run"
            run_pingpong native "$np" "$run"
        fi
        echo "$0: np=$np, run $run of $bench_runs done" >&2
    done
    medians native "$np" >"$bench_tmp/native.$np"
    medians run "$np" >"$bench_tmp/mpickpt.$np"
done

# table NP — the markdown table of np=NP.
table() {
    echo "np = $1 ($(($1 * 2)) processes under mpickpt, $(nproc) cores):"
    echo
    echo "| size | native µs | mpickpt µs | ratio | native GB/s | mpickpt GB/s | % of native |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    awk 'NR == FNR { native[$1] = $2; next }
    {
        size = $1 >= 1048576 ? ($1 / 1048576) " MiB" : $1 >= 1024 ? ($1 / 1024) " KiB" : $1 " B"
        n = native[$1]; nbw = $1 / n / 1000; mbw = $1 / $2 / 1000
        printf "| %s | %.2f | %.2f | %.2f | %.3f | %.3f | %.0f %% |\n", size, n, $2, $2 / n, nbw, mbw, 100 * mbw / nbw
    }' "$bench_tmp/native.$1" "$bench_tmp/mpickpt.$1"
    echo
}

# latency NP SIZE MODE-FILE — the median latency of SIZE in that file.
latency() {
    awk -v s="$2" '$1 == s { print $2 }' "$bench_tmp/$3.$1"
}

# verdict VALUE OP LIMIT — "met" or "not met".
verdict() {
    awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN {
        ok = op == "<=" ? v <= l : v >= l
        print ok ? "met" : "**not met**" }'
}

big=4194304
lat2=$(latency 2 1 mpickpt | awk '{ printf "%.2f", $1 }')
lat4=$(latency 4 1 mpickpt | awk '{ printf "%.2f", $1 }')
share2=$(awk -v n="$(latency 2 $big native)" -v m="$(latency 2 $big mpickpt)" 'BEGIN { printf "%.0f", 100 * n / m }')
share4=$(awk -v n="$(latency 4 $big native)" -v m="$(latency 4 $big mpickpt)" 'BEGIN { printf "%.0f", 100 * n / m }')

report="$bench_tmp/report.md"
{
    echo "Ping-pong between rank pairs (0↔1, 2↔3, …), rank 0's pair reported: one-way"
    echo "latency in µs, bandwidth in GB/s (10^9 B/s); mpickpt means"
    echo "\`mpirun … mpickpt-run -- bench/pingpong\`."
    echo
    bench_context
    echo
    table 2
    table 4
    echo "| target (issue 3) | measured | |"
    echo "|---|---:|---|"
    echo "| 1 B one-way latency at np = 2 ≤ 2.5 µs | $lat2 µs | $(verdict "$lat2" "<=" 2.5) |"
    echo "| 1 B one-way latency at np = 4 ≤ 8 µs | $lat4 µs | $(verdict "$lat4" "<=" 8) |"
    echo "| 4 MiB bandwidth at np = 2 ≥ 40 % of native | $share2 % | $(verdict "$share2" ">=" 40) |"
    echo "| 4 MiB bandwidth at np = 4 ≥ 40 % of native | $share4 % | $(verdict "$share4" ">=" 40) |"
} >"$report"
cat "$report"
bench_write_section pingpong "$report"
