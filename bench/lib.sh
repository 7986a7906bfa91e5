# bench/lib.sh — shell helpers sourced by the bench/run-*.sh drivers.
#
# A driver is run by hand from anywhere: `bench/run-X.sh [OPTIONS] [BUILD_DIR]`.
# BUILD_DIR is a configured and built tree (default: $top_builddir, else the
# current directory); nothing is built here. Jobs are started with
# tests/lib.sh's run_mode, so a benchmark launches native and mpickpt jobs
# exactly as the tests do (same mpirun options, same environment).
#
# Common options:
#   --quick         one run of a tiny workload: checks the driver works; the
#                   figures are not a measurement, and say so
#   --runs=N        runs per configuration (default 5; medians are taken)
#   --write[=FILE]  also replace this driver's section of FILE
#                   (default: docs/BENCHMARKS.md in the source tree)

bench_srcdir=$(cd "$(dirname "$0")/.." && pwd)
top_srcdir=$bench_srcdir
export top_srcdir

bench_usage() {
    echo "usage: $0 [--quick] [--runs=N] [--write[=FILE]] [BUILD_DIR]" >&2
    exit 2
}

# bench_parse_args "$@" — sets bench_quick, bench_runs, bench_doc (empty
# unless --write), top_builddir; keeps the command line for the report.
bench_parse_args() {
    bench_command="$0${*:+ $*}"
    bench_quick=no
    bench_runs=5
    bench_doc=""
    builddir=""
    for arg in "$@"; do
        case $arg in
        --quick) bench_quick=yes ;;
        --runs=*)
            bench_runs=${arg#--runs=}
            case $bench_runs in
            "" | *[!0-9]* | 0) bench_usage ;;
            esac
            ;;
        --write) bench_doc="$bench_srcdir/docs/BENCHMARKS.md" ;;
        --write=*) bench_doc=${arg#--write=} ;;
        -*) bench_usage ;;
        *) [ -z "$builddir" ] || bench_usage; builddir=$arg ;;
        esac
    done
    [ $bench_quick = yes ] && bench_runs=1
    top_builddir=$(cd "${builddir:-${top_builddir:-.}}" && pwd) ||
        { echo "$0: no build directory" >&2; exit 2; }
    export top_builddir
    [ -x "$top_builddir/launcher/mpickpt-run" ] ||
        { echo "$0: $top_builddir is not a built mpickpt tree (no launcher/mpickpt-run)" >&2; exit 2; }
    # A full run takes minutes; a job that hangs still has to end.
    : "${MPICKPT_TEST_TIMEOUT:=600}"
    . "$bench_srcdir/tests/lib.sh"
    bench_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpickpt-bench.XXXXXX") || exit 1
    trap 'rm -rf "$bench_tmp"' EXIT
}

# bench_die MESSAGE — reports why the benchmark cannot go on.
bench_die() {
    echo "$0: $*" >&2
    exit 1
}

# bench_median — the median of the numbers on stdin, one a line.
bench_median() {
    sort -g | awk '{ v[NR] = $1 }
        END {
            if (NR == 0) exit 1
            if (NR % 2) print v[(NR + 1) / 2]
            else printf "%.6g\n", (v[NR / 2] + v[NR / 2 + 1]) / 2
        }'
}

# bench_now — seconds since the epoch, with nanoseconds.
bench_now() {
    date +%s.%N
}

# bench_context — markdown lines saying how, when and where the figures
# were made: the command, the source revision, the machine, the load.
bench_context() {
    rev=$(git -C "$bench_srcdir" describe --always --dirty 2>/dev/null || echo unknown)
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    ompi=$("$MPIRUN" --version 2>/dev/null | head -n 1)
    echo "- Command: \`$bench_command\`"
    echo "- Source: $rev; build tree: \`$top_builddir\`"
    echo "- Machine: $(nproc) cores ($cpu), Linux $(uname -r), $ompi"
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average before: $bench_load_before, after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- Runs per configuration: $bench_runs, native and mpickpt alternating; medians"
    if [ $bench_quick = yes ]; then
        echo "- **--quick smoke run: tiny workload, one run — these figures are not a measurement.**"
    fi
}
bench_load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# bench_write_section NAME FILE — replaces what lies between the lines
# "<!-- bench:NAME begin -->" and "<!-- bench:NAME end -->" of $bench_doc
# with the contents of FILE; both marker lines must be there.
bench_write_section() {
    [ -n "$bench_doc" ] || return 0
    begin="<!-- bench:$1 begin -->"
    end="<!-- bench:$1 end -->"
    grep -qxF "$begin" "$bench_doc" && grep -qxF "$end" "$bench_doc" ||
        bench_die "$bench_doc has no '$begin' ... '$end' section"
    awk -v begin="$begin" -v end="$end" -v body="$2" '
        $0 == begin { print; while ((getline line < body) > 0) print line; skip = 1; next }
        $0 == end { skip = 0 }
        !skip { print }' "$bench_doc" >"$bench_tmp/doc" &&
        cat "$bench_tmp/doc" >"$bench_doc" || bench_die "cannot update $bench_doc"
    echo "$0: wrote the $1 section of $bench_doc" >&2
}
