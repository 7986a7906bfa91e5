# tests/lib.sh — shell helpers sourced by tests/run-test.sh and the scripts in
# tests/integration/. Every MPI launch goes through run_mpi, which bounds its
# time (a hang fails the test instead of blocking CI) and adds what mpirun
# needs on this kind of machine (root, more ranks than cores).
#
# Environment from `make check`: top_srcdir, top_builddir, MPIRUN.

: "${MPIRUN:=mpirun}"
: "${MPICKPT_TEST_TIMEOUT:=120}"

if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
# Ranks that outnumber cores must yield while they wait, or they starve
# each other of the core (milliseconds per message).
export OMPI_MCA_mpi_yield_when_idle=1

test_cores=$(nproc 2>/dev/null || echo 1)

# run_bounded COMMAND [ARGS...] — runs COMMAND, killed if it outlives
# MPICKPT_TEST_TIMEOUT (exit status 124, or 137 if it had to be killed).
run_bounded() {
    timeout -k 10 "$MPICKPT_TEST_TIMEOUT" "$@"
}

# run_mpi NP PROGRAM [ARGS...] — runs PROGRAM on NP ranks, bounded in time.
run_mpi() {
    np=$1; shift
    extra=""
    [ "$np" -gt "$test_cores" ] && extra="--oversubscribe"
    run_bounded "$MPIRUN" -np "$np" $extra --bind-to none "$@"
}

# The build tree's plugin and keeper, for running jobs under mpickpt.
MPICKPT_PLUGIN="$top_builddir/plugin/.libs/libmpickpt.so"
MPICKPT_KEEPER="$top_builddir/launcher/mpickpt-run"
export MPICKPT_PLUGIN MPICKPT_KEEPER
MPICKPT_RESTORE="$top_builddir/launcher/restore/mpickpt-restore"
export MPICKPT_RESTORE

# run_mode MODE NP PROGRAM [ARGS...] — runs PROGRAM on NP ranks natively
# (MODE native), under the keeper (MODE run: mpickpt-run -- PROGRAM), or with
# only the plugin preloaded (MODE preload).
run_mode() {
    mode=$1; shift
    np=$1; shift
    case "$mode" in
    native) run_mpi "$np" "$@" ;;
    run) run_mpi "$np" -x MPICKPT_PLUGIN "$MPICKPT_KEEPER" -- "$@" ;;
    preload) run_mpi "$np" -x LD_PRELOAD="$MPICKPT_PLUGIN" -x MPICKPT_KEEPER "$@" ;;
    *) fail "unknown run mode $mode" ;;
    esac
}

# The modes every program is checked in: MPICKPT_TEST_MODES narrows them.
: "${MPICKPT_TEST_MODES:=native run preload}"

# fail MESSAGE — reports a failed expectation and ends the test.
fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# make_tmpdir — creates a private temporary directory, $tmp, removed when
# the test exits (for tests that set no EXIT trap of their own).
make_tmpdir() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/mpickpt-test.XXXXXX") || fail "mktemp -d"
    trap 'rm -rf "$tmp"' EXIT
}

# mpickpt_modes — the modes of MPICKPT_TEST_MODES that run under mpickpt
# (every one but native, which tests run anyway as the reference).
mpickpt_modes() {
    for m in $MPICKPT_TEST_MODES; do
        [ "$m" = native ] || printf '%s\n' "$m"
    done
}

# check_not_hung STATUS WHAT — a run that ended by run_bounded's timeout
# hung: that is a failure.
check_not_hung() {
    case $1 in
    124 | 137) fail "$2: still running at the timeout (exit status $1)" ;;
    esac
}

# same_file EXPECTED ACTUAL WHAT — succeeds if the two files are
# byte-identical; otherwise prints WHAT and the start of a unified diff on
# stderr and returns 1 (the caller decides whether to go on).
same_file() {
    cmp -s "$1" "$2" && return 0
    echo "$3: differs from the expected output (diff expected actual):" >&2
    diff -a -u "$1" "$2" | head -n 40 >&2
    return 1
}

# has_line FILE LINE — FILE has a line exactly equal to LINE.
has_line() {
    grep -qxF -- "$2" "$1"
}
