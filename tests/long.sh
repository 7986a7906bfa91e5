#!/bin/sh
# tests/long.sh — the long checkpoint/restart test, run by hand (not part of
# `make check`):
#
#   tests/long.sh [BUILD_DIR] [--trials=N]
#
# BUILD_DIR is a configured and built tree (default: $top_builddir, else
# build/ in the source tree); it needs tests/programs/ckpt_app and
# tests/programs/coord_ring, which `make check` (or `make
# tests/programs/ckpt_app tests/programs/coord_ring`) builds.
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
#   coord_kill      a 4-rank job (coord_ring, gauss, gauss --collectives,
#                   nqueens or tsp, at random) loses one random rank's
#                   compute process to a random signal (KILL, SEGV, BUS,
#                   ABRT) at a random moment — in the 0.6 D after every
#                   rank computes (so often before the first checkpoint),
#                   or, one trial in five, while a checkpoint's image is
#                   being written — recovers in place and must end as the
#                   native run: exit status 0, a recovery line naming the
#                   killed rank, same stdout, same coord_ring files;
#                   2N trials;
#   coord_features  a 4-rank job of one of the MPI feature programs
#                   (tests/mpi, as coord_features.sh runs them, at random)
#                   under checkpoints asked for every 0.1 s loses one
#                   random rank's compute process to a random signal at a
#                   random moment in its native run's 0.6 D, recovers in
#                   place and must end as the native run: exit status 0,
#                   a recovery line naming the killed rank, same stdout
#                   ("PASS <name> np=4"); 2N trials;
#   coord_restart   coord_ring at 4 ranks killed whole (mpirun and every
#                   process of the job) in the D/2 after its first
#                   checkpoint and restarted with mpickpt-restart — one
#                   trial in two killed again in the 0.5 s after the
#                   restarted job committed a checkpoint of its own and
#                   restarted again —; the killed runs' stdout followed by
#                   the last restart's must be the native stdout (exactly
#                   once across restarts), and so must the copy of stdout
#                   in the job directory, and the files the native ones;
#                   N/2 trials (at least 1);
# with M = (N + 4) / 5 (4 for the default 20): 90 multi-rank trials by
# default. A trial ends identical (the
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
for f in tests/programs/ckpt_app tests/programs/coord_ring apps/nqueens apps/tsp apps/gauss launcher/mpickpt-run \
    launcher/mpickpt-restart launcher/restore/mpickpt-restore plugin/.libs/libmpickpt.so; do
    [ -x "$top_builddir/$f" ] || [ -f "$top_builddir/$f" ] || {
        echo "long.sh: $top_builddir/$f is missing: build it first" \
            "(make && make tests/programs/ckpt_app tests/programs/coord_ring)" >&2
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

# joined TDIR RUNS... — TDIR/joined.out: the stdout of the runs named
# (TDIR/RUN.out each), one after the other: output is exactly once across
# restarts, so a killed job's stdout followed by its restarts' is the
# reference's (a job that had ended by itself printed everything, and its
# restart nothing). Prints the file's name.
joined() {
    j_dir=$1; shift
    for j_run in "$@"; do cat "$j_dir/$j_run.out"; done >"$j_dir/joined.out"
    echo "$j_dir/joined.out"
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
    verdict "$2/ref.out" "$(joined "$1" run rs)" "$2/ref.txt" "$1/run.txt"
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
    verdict "$2/ref.out" "$(joined "$1" run rs1 rs2 rs)" "$2/ref.txt" "$1/run.txt"
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
    verdict "$a_ref/ref.out" "$(joined "$a_dir" run rs)"
}
setup_nqueens() { app_setup "$1" nqueens 16; }
trial_nqueens() { app_trial "$1" "$2" nqueens 16; }
setup_tsp() { app_setup "$1" tsp --cities 22 --seed 10; }
trial_tsp() { app_trial "$1" "$2" tsp --cities 22 --seed 10; }
setup_gauss() { app_setup "$1" gauss --n 2300; }
trial_gauss() { app_trial "$1" "$2" gauss --n 2300; }
setup_gauss_coll() { app_setup "$1" gauss --n 2300 --collectives; }
trial_gauss_coll() { app_trial "$1" "$2" gauss --n 2300 --collectives; }

# --- multi-rank scenarios (coordinated checkpoints) --------------------------

coord_np=4
coord_ring="$top_builddir/tests/programs/coord_ring"
coord_ring_iterations=4000

# reference_np SDIR NAME PROGRAM ARGS... — the uninterrupted native run at
# coord_np ranks: stdout in SDIR/NAME.out, duration in centiseconds in
# SDIR/NAME.cs.
reference_np() {
    ref_dir=$1; ref_name=$2; shift 2
    ref_start=$(now_cs)
    run_mpi $coord_np "$@" >"$ref_dir/$ref_name.out" 2>"$ref_dir/$ref_name.err"
    rc=$?
    echo $(($(now_cs) - ref_start)) >"$ref_dir/$ref_name.cs"
    check_not_hung $rc "reference run of $ref_name"
    [ $rc -eq 0 ] || fail "reference run of $ref_name: exit status $rc: $(head -n 5 "$ref_dir/$ref_name.err")"
}

# coord_app NAME — the program and arguments of coord_kill's app NAME
# (coord_ring's output prefix comes after it): sizes that run 2-6 s
# natively on an idle 2-core machine, so that most kills come after a
# checkpoint and the recovery restores one.
coord_app() {
    case $1 in
    ring) echo "$coord_ring" ;;
    gauss) echo "$apps/gauss --n 3000" ;;
    gauss_coll) echo "$apps/gauss --n 3000 --collectives" ;;
    nqueens) echo "$apps/nqueens 16" ;;
    tsp) echo "$apps/tsp --cities 22 --seed 10" ;;
    esac
}
coord_apps="ring gauss gauss_coll nqueens tsp"

# pick WORDS... — one of WORDS at random.
pick() {
    shift "$(random_below $#)"
    echo "$1"
}
kill_signals="KILL SEGV BUS ABRT"

# judge_recovery — after a job that lost rank $killed_rank ended well: it
# recovered once, and the recovery names that rank (recovered_epoch: the
# checkpoint it restored), or, if the job had ended before the kill
# (ended_early), it never recovered. Adds what happened to detail.
judge_recovery() {
    if [ $ended_early = yes ]; then
        detail="$detail, but the job had ended by itself"
        [ "$(recoveries)" -eq 0 ] || fail "$detail: yet it recovered"
        return
    fi
    detail="$detail after $killed_after s (checkpoint $killed_epoch)"
    [ "$(recoveries)" -eq 1 ] || fail "$detail: $(recoveries) recoveries, not 1"
    j_line=$(recovered_from)
    recovered_epoch=${j_line% *}
    [ "${j_line#* }" = "$killed_rank" ] || fail "$detail: the recovery names rank ${j_line#* }"
    detail="$detail, recovered from $recovered_epoch"
}

# references_summary SDIR NAME... — one line of the native durations
# reference_np measured for the NAMEs.
references_summary() {
    rs_dir=$1; shift
    printf 'references:'
    for rs_name in "$@"; do
        printf ' %s %s s' "$rs_name" "$(cs_to_s "$(cat "$rs_dir/$rs_name.cs")")"
    done
    echo
}

setup_coord_kill() {
    for ck_name in $coord_apps; do
        if [ $ck_name = ring ]; then
            reference_np "$1" ring "$coord_ring" "$1/ring.ref" $coord_ring_iterations
        else
            # $(coord_app ...) is split on purpose: the program, its arguments.
            reference_np "$1" $ck_name $(coord_app $ck_name)
        fi
    done
    references_summary "$1" $coord_apps
}
trial_coord_kill() {
    k_app=$(pick $coord_apps)
    k_sig=$(pick $kill_signals)
    k_dir=$1/ck
    if [ $k_app = ring ]; then
        start_job_np $coord_np "$k_dir" "$coord_ring" "$1/ring.run" $coord_ring_iterations
    else
        start_job_np $coord_np "$k_dir" $(coord_app $k_app)
    fi
    if [ "$(random_below 5)" -eq 0 ]; then
        killed_rank=$(random_below $coord_np)
        kill_rank_writing "$k_dir" $coord_np "$killed_rank" "$k_sig"
        ended_early=no
        [ -n "$caught_image" ] || ended_early=yes
        when="while $caught_image was written"
    else
        kill_rank_random "$k_dir" $coord_np $(($(cat "$2/$k_app.cs") * 6 / 10)) "$k_sig"
        when="at random"
    fi
    detail="$k_app: SIG$k_sig to rank $killed_rank $when"
    wait_job "$detail"
    judge_recovery
    [ $ended_early = yes ] ||
        { [ "$recovered_epoch" -ge "$killed_epoch" ] &&
            [ "$recovered_epoch" -le $((killed_epoch + 1)) ]; } ||
        fail "$detail: not the newest checkpoint at the kill or the one under way"
    if [ $k_app = ring ]; then
        same_rank_files "trial" $coord_np "$2/ring.ref" "$1/ring.run" ||
            { echo "$detail; output files differ"; exit 3; }
    fi
    verdict "$2/$k_app.out" "$tmp/run.out"
}

setup_coord_features() {
    for cf_name in $feature_programs; do
        reference_np "$1" $cf_name "$top_builddir/tests/mpi/$cf_name" $(feature_args $cf_name)
    done
    references_summary "$1" $feature_programs
}
trial_coord_features() {
    f_name=$(pick $feature_programs)
    f_sig=$(pick $kill_signals)
    f_dir=$1/ck
    start_job_np $coord_np "$f_dir" "$top_builddir/tests/mpi/$f_name" $(feature_args $f_name)
    checkpoint_often "$f_dir" &
    f_trigger=$!
    kill_while_running "$f_dir" $coord_np $(($(cat "$2/$f_name.cs") * 6 / 10)) "$f_sig"
    detail="$f_name: SIG$f_sig to rank $killed_rank"
    wait_job "$detail"
    wait "$f_trigger"
    judge_recovery
    verdict "$2/$f_name.out" "$tmp/run.out"
}

setup_coord_restart() {
    reference_np "$1" ring "$coord_ring" "$1/ring.ref" $coord_ring_iterations
    echo "reference: coord_ring at $coord_np ranks in $(cs_to_s "$(cat "$1/ring.cs")") s"
}
trial_coord_restart() {
    r_dir=$1/ck
    start_job_np $coord_np "$r_dir" "$coord_ring" "$1/ring.run" $coord_ring_iterations
    kill_random "$r_dir" 1 $(($(cat "$2/ring.cs") / 2))
    detail="killed after $killed_after s (checkpoint $killed_epoch)"
    [ "$ended_early" = no ] || detail="$detail, but it had ended by itself"
    r_outs="$1/run.out"
    if [ "$(random_below 2)" -eq 0 ]; then
        start_restart "$r_dir" rs1
        kill_random "$r_dir" $((killed_epoch + 1)) 50
        from=$(restarted_from rs1)
        [ -n "$from" ] || fail "restart 1 does not say which checkpoint it restored"
        detail="$detail, restarted from $from, killed after $killed_after s (checkpoint $killed_epoch)"
        [ "$ended_early" = no ] || detail="$detail, but it had ended by itself"
        r_outs="$r_outs $1/rs1.out"
    fi
    restart_job "$r_dir" "restart"
    from=$(restarted_from)
    [ -n "$from" ] || fail "the restart does not say which checkpoint it restored"
    detail="$detail, restarted from $from"
    # $r_outs: paths under the trial's directory, without spaces.
    cat $r_outs "$1/rs.out" >"$1/joined.out"
    same_rank_files "trial" $coord_np "$2/ring.ref" "$1/ring.run" ||
        { echo "$detail; output files differ"; exit 3; }
    r_rank=0
    while [ $r_rank -lt $coord_np ]; do
        cat "$(job_dir "$r_dir")output/rank-$r_rank.stdout"
        r_rank=$((r_rank + 1))
    done >"$1/copies.out"
    cmp -s "$2/ring.out" "$1/copies.out" ||
        { echo "$detail; the job directory's copy of stdout differs"; exit 3; }
    verdict "$2/ring.out" "$1/joined.out"
}

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

echo "long: build $top_builddir, $trials trials of ckpt_app, $few of the single-rank others," \
    "$((2 * trials)) of coord_kill, $((2 * trials)) of coord_features," \
    "$(((trials + 1) / 2)) of coord_restart; files in $work"
run_scenario ckpt_app "$trials"
run_scenario ckpt_app_chain "$few"
run_scenario nqueens "$few"
run_scenario tsp "$few"
run_scenario gauss "$few"
run_scenario gauss_coll "$few"
run_scenario coord_kill $((2 * trials))
run_scenario coord_features $((2 * trials))
run_scenario coord_restart $(((trials + 1) / 2))

echo
printf '%s' "$tally"
if [ $failed -eq 0 ]; then
    rm -rf "$work"
else
    echo "long: the files of the trials that did not pass are in $work"
fi
echo "long: $passed passed, $failed failed"
[ $failed -eq 0 ]
