#!/bin/sh
# tests/long.sh — the long checkpoint/restart test, run by hand (not part of
# `make check`):
#
#   tests/long.sh [BUILD_DIR] [--trials=N]
#
# BUILD_DIR is a configured and built tree (default: $top_builddir, else
# build/ in the source tree); it needs tests/programs/ckpt_app, which
# `make check` (or `make tests/programs/ckpt_app`) builds.
#
# Many trials of the cycle tests/integration/ckpt_*.sh check once: a
# single-rank job under `mpickpt-run --interval=1` is killed (SIGKILL of
# mpirun and every process below it) at a random moment after a committed
# checkpoint, restarted with mpickpt-restart, and must end exactly as an
# uninterrupted native run of the same program: same stdout, same output
# file, byte for byte. Scenarios, each with its own trial count:
#   ckpt_app        tests/programs/ckpt_app, N trials (--trials, default 20),
#                   killed at a random moment in the 0.6 D after its first
#                   checkpoint (D: the native run's duration);
#   ckpt_app_chain  ckpt_app, three kills in a row: each restarted job is
#                   killed in the 0.5 s after it committed a checkpoint of
#                   its own, then restarted again; M trials;
#   nqueens, tsp, gauss, gauss_coll
#                   the apps at the sizes of ckpt_apps.sh, killed in the
#                   D/2 after their first checkpoint; M trials each;
# with M = (N + 4) / 5 (4 for the default 20). A trial ends identical (the
# restart ended well and its outputs are the reference's), differed (the
# restart ended well, its outputs differ) or failed (the job, a kill or the
# restart went wrong: ended early, hung, refused, crashed). Every run is
# bounded in time (run_bounded / run_mpi) and every wait polls with a bound,
# so a hang fails its trial and the next one goes on.
#
# Output: one line per trial, then the tally — one line per scenario,
#   "<scenario>: N trials, N identical, N differed, N failed",
# and last "long: N passed, N failed". Exit status 0 if and only if no trial
# differed or failed. The files of every trial that did not pass (its
# checkpoint directory, the job's and the restarts' stdout and stderr, its
# log) and of its scenario's reference are kept in the directory the tally
# names; otherwise everything is removed.
#
# Adding a scenario (e.g. multi-rank coordinated trials): write
#   setup_NAME SDIR      — once per scenario, in a subshell: what every trial
#                          compares with (usually `reference SDIR PROGRAM
#                          ARGS...`, which leaves SDIR/ref.out and the
#                          duration in SDIR/ref.cs); `:` if nothing;
#   trial_NAME TDIR SDIR — one trial in its own subshell, with $tmp = TDIR
#                          (start_job, kill_random, restart_job... from
#                          tests/ckpt_lib.sh write there); its last line of
#                          output is the trial's summary; it ends with
#                          `verdict ...` (exit 0 identical, 3 differed) or
#                          fail (lib.sh: exit 1, failed) — any exit status
#                          but 0 and 3 counts as failed;
# then add `run_scenario NAME COUNT` to the list at the end of this file.
usage() {
    echo "usage: tests/long.sh [BUILD_DIR] [--trials=N]"
}

srcdir=$(cd "$(dirname "$0")/.." && pwd) || exit 2
build=${top_builddir:-$srcdir/build}
trials=20
for arg in "$@"; do
    case $arg in
    --trials=*)
        trials=${arg#--trials=}
        case $trials in
        '' | *[!0-9]*) usage >&2; echo "long.sh: --trials needs a number" >&2; exit 2 ;;
        esac
        [ "$trials" -ge 1 ] || { echo "long.sh: --trials needs at least 1" >&2; exit 2; }
        ;;
    -h | --help) usage; exit 0 ;;
    -*) usage >&2; exit 2 ;;
    *) build=$arg ;;
    esac
done
top_builddir=$(cd "$build" 2>/dev/null && pwd) ||
    { echo "long.sh: no build directory $build" >&2; exit 2; }
top_srcdir=${top_srcdir:-$srcdir}
export top_srcdir top_builddir
for f in tests/programs/ckpt_app apps/nqueens apps/tsp apps/gauss launcher/mpickpt-run \
    launcher/mpickpt-restart launcher/restore/mpickpt-restore plugin/.libs/libmpickpt.so; do
    [ -x "$top_builddir/$f" ] || [ -f "$top_builddir/$f" ] || {
        echo "long.sh: $top_builddir/$f is missing: build it first" \
            "(make && make tests/programs/ckpt_app)" >&2
        exit 2
    }
done

. "$top_srcdir/tests/lib.sh"
. "$top_srcdir/tests/ckpt_lib.sh"
MPICKPT_TEST_TIMEOUT=120
few=$(((trials + 4) / 5))
ckpt_app="$top_builddir/tests/programs/ckpt_app"
apps="$top_builddir/apps"

work=$(mktemp -d "${TMPDIR:-/tmp}/mpickpt-long.XXXXXX") ||
    { echo "long.sh: mktemp -d failed" >&2; exit 2; }
trap 'echo "long.sh: interrupted; files in $work" >&2; exit 130' INT TERM
passed=0
failed=0
tally=""

# --- helpers for scenarios ---------------------------------------------------

# reference SDIR PROGRAM ARGS... — the uninterrupted native run: stdout in
# SDIR/ref.out, stderr in SDIR/ref.err, duration in centiseconds in SDIR/ref.cs.
reference() {
    ref_dir=$1; shift
    ref_start=$(now_cs)
    run_mpi 1 "$@" >"$ref_dir/ref.out" 2>"$ref_dir/ref.err"
    rc=$?
    echo $(($(now_cs) - ref_start)) >"$ref_dir/ref.cs"
    check_not_hung $rc "reference run"
    [ $rc -eq 0 ] || fail "reference run: exit status $rc: $(head -n 5 "$ref_dir/ref.err")"
    echo "reference: $* in $(cs_to_s "$(cat "$ref_dir/ref.cs")") s"
}

# ref_span SDIR PERCENT — PERCENT % of the reference run's duration, in centiseconds.
ref_span() {
    echo $(($(cat "$1/ref.cs") * $2 / 100))
}

# kill_restart TDIR SPAN_CS PROGRAM ARGS... — runs the program checkpointed
# into TDIR/ck, kills it at a random moment in the SPAN_CS centiseconds
# after its first committed checkpoint and restarts it (stdout in
# TDIR/rs.out). Sets detail, a summary of the trial.
kill_restart() {
    kr_dir=$1; kr_span=$2; shift 2
    start_job "$kr_dir/ck" "$@"
    kill_random "$kr_dir/ck" 1 "$kr_span"
    detail="killed after $killed_after s (checkpoint $killed_epoch)"
    [ "$ended_early" = no ] || detail="$detail, but it had ended by itself"
    restart_job "$kr_dir/ck" "restart"
    from=$(restarted_from)
    [ -n "$from" ] || fail "the restart does not say which checkpoint it restored"
    detail="$detail, restarted from $from"
}

# verdict REF_OUT OUT [REF_FILE FILE] — ends the trial: exit 0 if the
# outputs are the reference's (identical), 3 if not (differed).
verdict() {
    if same_outputs "trial" "$@"; then
        echo "$detail"
        exit 0
    fi
    echo "$detail; outputs differ"
    exit 3
}

# --- scenarios ---------------------------------------------------------------

ckpt_app_steps=2500
setup_ckpt_app() { reference "$1" "$ckpt_app" "$1/ref.txt" $ckpt_app_steps; }
trial_ckpt_app() {
    kill_restart "$1" "$(ref_span "$2" 60)" "$ckpt_app" "$1/run.txt" $ckpt_app_steps
    verdict "$2/ref.out" "$1/rs.out" "$2/ref.txt" "$1/run.txt"
}

chain_steps=5000
setup_ckpt_app_chain() { reference "$1" "$ckpt_app" "$1/ref.txt" $chain_steps; }
trial_ckpt_app_chain() {
    start_job "$1/ck" "$ckpt_app" "$1/run.txt" $chain_steps
    kill_random "$1/ck" 1 50
    detail="killed after $killed_after s (checkpoint $killed_epoch)"
    for k in 1 2; do
        start_restart "$1/ck" "rs$k"
        kill_random "$1/ck" $((killed_epoch + 1)) 50
        from=$(restarted_from "rs$k")
        [ -n "$from" ] || fail "restart $k does not say which checkpoint it restored"
        detail="$detail, restarted from $from, killed after $killed_after s (checkpoint $killed_epoch)"
        [ "$ended_early" = no ] || detail="$detail, but it had ended by itself"
    done
    restart_job "$1/ck" "restart 3"
    from=$(restarted_from)
    [ -n "$from" ] || fail "restart 3 does not say which checkpoint it restored"
    detail="$detail, restarted from $from"
    verdict "$2/ref.out" "$1/rs.out" "$2/ref.txt" "$1/run.txt"
}

# app_setup SDIR ARGS... / app_trial TDIR SDIR ARGS... — an app without
# output file, killed in the D/2 after its first checkpoint.
app_setup() {
    a_dir=$1
    prog="$apps/$2"
    shift 2
    reference "$a_dir" "$prog" "$@"
}
app_trial() {
    a_dir=$1; a_ref=$2; shift 2
    prog="$apps/$1"; shift
    kill_restart "$a_dir" "$(ref_span "$a_ref" 50)" "$prog" "$@"
    verdict "$a_ref/ref.out" "$a_dir/rs.out"
}
setup_nqueens() { app_setup "$1" nqueens 16; }
trial_nqueens() { app_trial "$1" "$2" nqueens 16; }
setup_tsp() { app_setup "$1" tsp --cities 22 --seed 10; }
trial_tsp() { app_trial "$1" "$2" tsp --cities 22 --seed 10; }
setup_gauss() { app_setup "$1" gauss --n 2300; }
trial_gauss() { app_trial "$1" "$2" gauss --n 2300; }
setup_gauss_coll() { app_setup "$1" gauss --n 2300 --collectives; }
trial_gauss_coll() { app_trial "$1" "$2" gauss --n 2300 --collectives; }

# --- the driver --------------------------------------------------------------

# run_scenario NAME COUNT — setup_NAME once, then COUNT trials of
# trial_NAME, each in a subshell of its own; adds a line to the tally.
run_scenario() {
    s_name=$1; s_count=$2
    s_dir="$work/$s_name"
    mkdir -p "$s_dir"
    s_ok=0; s_diff=0; s_fail=0
    if ! (tmp=$s_dir; "setup_$s_name" "$s_dir") >"$s_dir/setup.log" 2>&1; then
        echo "$s_name: setup failed:"
        sed 's/^/    /' "$s_dir/setup.log"
        s_fail=$s_count
    else
        echo "$s_name: $(tail -n 1 "$s_dir/setup.log")"
        s_i=1
        while [ $s_i -le "$s_count" ]; do
            t_dir="$s_dir/trial-$s_i"
            mkdir -p "$t_dir"
            t_start=$(now_cs)
            (tmp=$t_dir; "trial_$s_name" "$t_dir" "$s_dir") >"$t_dir/log" 2>&1
            t_status=$?
            t_time=$(cs_to_s $(($(now_cs) - t_start)))
            t_last=$(tail -n 1 "$t_dir/log")
            case $t_status in
            0)
                s_ok=$((s_ok + 1))
                echo "$s_name $s_i/$s_count: identical in $t_time s: $t_last"
                rm -rf "$t_dir"
                ;;
            3)
                s_diff=$((s_diff + 1))
                echo "$s_name $s_i/$s_count: DIFFERED in $t_time s: $t_last; files in $t_dir"
                grep -v '^$' "$t_dir/log" | head -n 30 | sed 's/^/    /'
                ;;
            *)
                s_fail=$((s_fail + 1))
                echo "$s_name $s_i/$s_count: FAILED (exit status $t_status) in $t_time s; files in $t_dir"
                grep -v '^$' "$t_dir/log" | tail -n 30 | sed 's/^/    /'
                ;;
            esac
            s_i=$((s_i + 1))
        done
    fi
    [ $((s_diff + s_fail)) -eq 0 ] && rm -rf "$s_dir"
    tally="$tally$s_name: $s_count trials, $s_ok identical, $s_diff differed, $s_fail failed
"
    passed=$((passed + s_ok))
    failed=$((failed + s_diff + s_fail))
}

echo "long: build $top_builddir, $trials trials of ckpt_app, $few of the others; files in $work"
run_scenario ckpt_app "$trials"
run_scenario ckpt_app_chain "$few"
run_scenario nqueens "$few"
run_scenario tsp "$few"
run_scenario gauss "$few"
run_scenario gauss_coll "$few"

echo
printf '%s' "$tally"
if [ $failed -eq 0 ]; then
    rm -rf "$work"
else
    echo "long: the files of the trials that did not pass are in $work"
fi
echo "long: $passed passed, $failed failed"
[ $failed -eq 0 ]
