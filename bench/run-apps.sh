#!/bin/sh
# bench/run-apps.sh — Johnson's three programs, native Open MPI against
# mpickpt (the program under mpickpt-run), in the same run, at np = 2.
#
#   bench/run-apps.sh [--quick] [--runs=N] [--write[=FILE]] [BUILD_DIR]
#
# nqueens 16, tsp --cities 18 and gauss --n 3000 each run --runs times
# natively and --runs times under mpickpt-run, alternating (swapping which
# goes first each round, so a drift in the machine's load hits both sides
# alike). Each run's stdout must be the same bytes as the first native
# run's: a wrong answer is not a benchmark. Reported per program: the
# median wall time of the whole job (mpirun to exit, what a user waits
# for), the ratio mpickpt / native judged against the issue's target, and
# the median of the time the program itself prints on stderr (its
# computation, without the start-up of mpirun and the keepers).
# --quick: one run of nqueens 12, tsp --cities 10, gauss --n 300.
. "$(dirname "$0")/lib.sh"
bench_parse_args "$@"

np=2
# program|arguments|quick arguments|target (largest mpickpt/native ratio)
workloads="nqueens|16|12|1.02
tsp|--cities 18|--cities 10|1.02
gauss|--n 3000|--n 300|1.10"

# run_app MODE NAME ARGS RUN — one timed run; appends the wall seconds to
# MODE.NAME.wall and the program's own seconds to MODE.NAME.app.
run_app() {
    out="$bench_tmp/$1.$2.$4"
    start=$(bench_now)
    # $3 holds the program's arguments: split on purpose. mpirun forwards
    # its stdin to rank 0, so it must not eat the workload list.
    run_mode "$1" $np "$top_builddir/apps/$2" $3 </dev/null >"$out" 2>"$out.err" ||
        bench_die "$2 $3 ($1) failed: $(tail -n 5 "$out.err")"
    end=$(bench_now)
    echo "$start $end" | awk '{ printf "%.3f\n", $2 - $1 }' >>"$bench_tmp/$1.$2.wall"
    # The programs end with "<name>: <seconds> s on <n> ranks" on stderr.
    sed -n "s/^$2: \([0-9.]*\) s on .*/\1/p" "$out.err" >>"$bench_tmp/$1.$2.app"
    if [ -f "$bench_tmp/$2.expected" ]; then
        cmp -s "$bench_tmp/$2.expected" "$out" ||
            bench_die "$2 $3 ($1) printed '$(cat "$out")', native printed '$(cat "$bench_tmp/$2.expected")'"
    else
        cp "$out" "$bench_tmp/$2.expected"
    fi
}

rows="$bench_tmp/rows"
: >"$rows"
echo "$workloads" | while IFS='|' read -r name args quick_args target; do
    [ $bench_quick = yes ] && args=$quick_args
    for run in $(seq "$bench_runs"); do
        if [ $((run % 2)) -eq 1 ]; then
            run_app native "$name" "$args" "$run"
            run_app run "$name" "$args" "$run"
        else
            run_app run "$name" "$args" "$run"
            run_app native "$name" "$args" "$run"
        fi
        echo "$0: $name $args, run $run of $bench_runs done" >&2
    done
    nw=$(bench_median <"$bench_tmp/native.$name.wall")
    mw=$(bench_median <"$bench_tmp/run.$name.wall")
    na=$(bench_median <"$bench_tmp/native.$name.app")
    ma=$(bench_median <"$bench_tmp/run.$name.app")
    awk -v p="$name $args" -v nw="$nw" -v mw="$mw" -v na="$na" -v ma="$ma" -v t="$target" 'BEGIN {
        r = mw / nw
        ra = na > 0 ? sprintf("%.3f", ma / na) : "–"
        printf "| %s | %.2f | %.2f | %.3f | ≤ %.2f | %s | %.2f | %.2f | %s |\n",
            p, nw, mw, r, t, r <= t ? "met" : "**not met**", na, ma, ra
    }' >>"$rows"
done || exit 1

report="$bench_tmp/report.md"
{
    echo "Johnson's programs at np = $np: wall time of the whole job in seconds"
    echo "(\`mpirun\` start to exit), and the time each program prints for its"
    echo "computation; mpickpt means \`mpirun … mpickpt-run -- apps/…\`."
    echo
    bench_context
    echo
    echo "| program | native s | mpickpt s | ratio | target | | native own s | mpickpt own s | own ratio |"
    echo "|---|---:|---:|---:|---:|---|---:|---:|---:|"
    cat "$rows"
} >"$report"
cat "$report"
bench_write_section apps "$report"
