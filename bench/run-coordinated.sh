#!/bin/sh
# bench/run-coordinated.sh — coordinated checkpointing (issue 5) at np = 4:
# what checkpoints cost a running job, how long one takes, and how long a
# job takes to compute again after a failure, in the same run as native
# Open MPI.
#
#   bench/run-coordinated.sh [--quick] [--runs=N] [--write[=FILE]] [BUILD_DIR]
#
# 1. Overhead. nqueens 17, tsp --cities 24 --seed 10 and gauss --n 3000
#    (about 28, 19 and 5 s natively on an idle 2-core machine: long
#    enough for checkpoints every 5 s) each run
#    --runs times in each of five configurations, in an order rotated every
#    round (so a drift in the machine's load hits all alike): native;
#    mpickpt-run with protocol none (the runtime alone, issue 3);
#    --protocol=coordinated without --interval (no checkpoint is taken);
#    --interval=5 and --interval=30 (coordinated, checkpoints every 5 s
#    and every 30 s). Each run's stdout must be the first native run's.
#    Reported: median wall time of the whole job, ratio to native, the
#    checkpoints committed, and the cost of one checkpoint to the job,
#    (median with --interval=5 - median without checkpoint) / checkpoints.
# 2. and 3. One job of bench/coord_bench per size and run (10 and
#    100 MiB per rank): --protocol=coordinated with no interval, so that
#    nothing but the driver starts a checkpoint. After 30 iterations the
#    driver asks for one (a CHECKPOINT file in the job directory, what the
#    coordinator polls every 100 ms) and waits for it to commit; 1 s later
#    it kills rank 1's compute process (SIGKILL) and times the in-place
#    recovery until rank 0 of the restored job finishes an iteration; 1 s
#    later it kills the whole job (every process below its mpirun, stopped
#    first, as tests/ckpt_lib.sh does) and times mpickpt-restart until rank
#    0 finishes an iteration again. Times come from CLOCK_REALTIME in
#    bench/coord_bench's trace (see its header), in the driver (date) and
#    on each line of the job's stderr (stamped as it arrives).
#
# Only processes of this driver's own jobs are ever killed: the compute
# process killed is the child of an mpickpt-run whose command line holds
# this run's unique --dir, and a whole-job kill takes the descendants of
# the mpirun this driver started.
# --quick: one run of nqueens 14, tsp --cities 14 and gauss --n 1000 with
# --interval=1 in place of 5 and 30, and of 10 MiB per rank: checks the
# driver works (a couple of minutes). A full run takes about 30 minutes.
. "$(dirname "$0")/lib.sh"
bench_parse_args "$@"
tmp=$bench_tmp
. "$bench_srcdir/tests/ckpt_lib.sh"
# A driver that stops half-way (an error, ^C) ends the job it started.
job_pid=""
trap '[ -n "$job_pid" ] && alive "$job_pid" && kill_job; rm -rf "$bench_tmp"' EXIT
trap 'exit 130' INT TERM

np=4
coord_bench="$top_builddir/bench/coord_bench"
[ -x "$coord_bench" ] || bench_die "$coord_bench is not built (run make in $top_builddir)"
[ -x "$ckpt_restart_cmd" ] || bench_die "$ckpt_restart_cmd is not built (run make in $top_builddir)"
command -v bash >/dev/null || bench_die "bash is needed to stamp the jobs' stderr"

if [ $bench_quick = yes ]; then
    intervals="1"
    sizes="10"
else
    intervals="5 30"
    sizes="10 100"
fi
configs="native none never"
for i in $intervals; do configs="$configs every$i"; done
# program|arguments|quick arguments
workloads="nqueens|17|14
tsp|--cities 24 --seed 10|--cities 14
gauss|--n 3000|--n 1000"

# --- 1. overhead ----------------------------------------------------------

# run_app CONFIG NAME ARGS — one timed run; appends "WALL CHECKPOINTS" to
# $bench_tmp/CONFIG.NAME.
run_app() {
    out="$bench_tmp/app.out"
    dir="$bench_tmp/ck.$1"
    coord="-x MPICKPT_PLUGIN -x MPICKPT_RESTORE $MPICKPT_KEEPER --protocol=coordinated --dir=$dir"
    case $1 in
    native) launch="" ;;
    none) launch="-x MPICKPT_PLUGIN $MPICKPT_KEEPER --" ;;
    never) launch="$coord --" ;;
    every*) launch="$coord --interval=${1#every} --" ;;
    esac
    start=$(bench_now)
    # $launch and $3 are lists of words: split on purpose. mpirun forwards
    # its stdin to rank 0, so it must not eat the workload list.
    run_mpi $np $launch "$top_builddir/apps/$2" $3 </dev/null >"$out" 2>"$out.err" ||
        bench_die "$2 $3 ($1) failed: $(tail -n 5 "$out.err")"
    end=$(bench_now)
    n=$(grep -c '^mpickpt: rank 0: checkpoint [0-9]* committed' "$out.err")
    echo "$start $end $n" | awk '{ printf "%.3f %d\n", $2 - $1, $3 }' >>"$bench_tmp/$1.$2"
    rm -rf "$dir"
    if [ -f "$bench_tmp/$2.expected" ]; then
        cmp -s "$bench_tmp/$2.expected" "$out" ||
            bench_die "$2 $3 ($1) printed '$(cat "$out")', native printed '$(cat "$bench_tmp/$2.expected")'"
    else
        [ "$1" = native ] || bench_die "the first run of $2 must be native"
        cp "$out" "$bench_tmp/$2.expected"
    fi
}

# rotated LIST N — the words of LIST, starting from the N-th (1-based),
# wrapping around; native stays first in round 1 (it sets the expected output).
rotated() {
    echo "$1" | tr ' ' '\n' | awk -v n="$2" '{ w[NR] = $0 }
        END { for (i = 0; i < NR; i++) print w[(n - 1 + i) % NR + 1] }'
}

# col CONFIG NAME FIELD — the median of FIELD over the runs of CONFIG.
col() {
    awk -v f="$3" '{ print $f }' "$bench_tmp/$1.$2" | bench_median
}

echo "$workloads" | while IFS='|' read -r name args quick_args; do
    [ $bench_quick = yes ] && args=$quick_args
    for run in $(seq "$bench_runs"); do
        for config in $(rotated "$configs" "$run"); do
            run_app "$config" "$name" "$args"
        done
        echo "$0: $name $args, round $run of $bench_runs done" >&2
    done
done || exit 1

overhead_rows="$bench_tmp/overhead.rows" cost_rows="$bench_tmp/cost.rows"
: >"$overhead_rows"
: >"$cost_rows"
first_interval=${intervals%% *}
echo "$workloads" | while IFS='|' read -r name args quick_args; do
    [ $bench_quick = yes ] && args=$quick_args
    native=$(col native "$name" 1)
    row="| $name $args | $(printf %.2f "$native")"
    for config in $configs; do
        [ $config = native ] && continue
        w=$(col "$config" "$name" 1)
        n=$(col "$config" "$name" 2)
        case $config in
        every*) row="$row | $(awk -v w="$w" -v b="$native" -v n="$n" \
            'BEGIN { printf "%.2f (%.3f), %g ckpt", w, w / b, n }')" ;;
        *) row="$row | $(awk -v w="$w" -v b="$native" 'BEGIN { printf "%.2f (%.3f)", w, w / b }')" ;;
        esac
    done
    echo "$row |" >>"$overhead_rows"
    none=$(col none "$name" 1)
    never=$(col never "$name" 1)
    every=$(col "every$first_interval" "$name" 1)
    n=$(col "every$first_interval" "$name" 2)
    awk -v p="$name $args" -v none="$none" -v never="$never" -v every="$every" -v n="$n" \
        -v i="$first_interval" 'BEGIN {
        same = never / none
        printf "| %s | %.3f | %s |", p, same, (same <= 1.02 ? "met" : "**missed**")
        if (n > 0) {
            c = (every - never) / n
            printf " %+.2f | %+.1f %% | %s |\n", c, 100 * c / 30, (c / 30 <= 0.02 ? "met" : "**missed**")
        } else
            printf " – | – | no checkpoint at --interval=%d |\n", i
    }' >>"$cost_rows"
done

# --- 2. and 3. checkpoint, in-place recovery, restart ---------------------

# stamped FIFO OUT — copies the lines of FIFO to OUT, each prefixed with
# the time it arrived (CLOCK_REALTIME seconds), in the background.
stamped() {
    bash -c 'while IFS= read -r l; do printf "%s %s\n" "$EPOCHREALTIME" "$l"; done' \
        <"$1" >"$2" &
}

# iters TRACE — the number of iter lines in the trace so far.
iters() {
    cat "$1" 2>/dev/null | grep -c '^iter '
}

# poll WHAT COMMAND... — waits (20 ms steps) until COMMAND prints a
# non-empty line, and prints it; gives up after MPICKPT_TEST_TIMEOUT
# seconds or when the job ($job_pid) ended.
poll() {
    p_what=$1; shift
    p_deadline=$(($(now_cs) + MPICKPT_TEST_TIMEOUT * 100))
    while :; do
        p_got=$("$@")
        [ -n "$p_got" ] && { echo "$p_got"; return 0; }
        alive "$job_pid" || bench_die "$p_what: the job ended first"
        [ "$(now_cs)" -lt $p_deadline ] || bench_die "$p_what: not after $MPICKPT_TEST_TIMEOUT s"
        sleep 0.02
    done
}

# at_least N TRACE — prints something once TRACE has N iter lines.
at_least() {
    [ "$(iters "$2")" -ge "$1" ] && echo yes
}

# iter_after TIME TRACE [NOT_PID] — the first iter line ending after TIME
# (of a process other than NOT_PID).
iter_after() {
    awk -v t="$1" -v not="${3:-}" '$1 == "iter" && $3 > t && $4 != not { print; exit }' "$2"
}

# past K TIME TRACE NOT_PID — the end of the first iteration numbered
# above K that ended after TIME (of a process other than NOT_PID).
past() {
    awk -v k="$1" -v t="$2" -v not="$4" \
        '$1 == "iter" && $3 > t && $4 != not && $2 > k { print $3; exit }' "$3"
}

# rank_compute DIR RANK — the pid of the compute process of rank RANK of
# the job checkpointing into DIR: the child of the mpickpt-run process whose
# command line holds --dir=DIR and whose environment says that rank.
rank_compute() {
    for rc_p in $(pgrep -f -- "--dir=$1"); do
        case $(tr '\0' '\n' <"/proc/$rc_p/cmdline" 2>/dev/null | head -n 1) in
        *mpickpt-run) ;;
        *) continue ;;
        esac
        tr '\0' '\n' <"/proc/$rc_p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" ||
            continue
        for rc_c in $(pgrep -P "$rc_p"); do
            tr '\0' ' ' <"/proc/$rc_c/cmdline" 2>/dev/null | grep -q coord_bench && echo "$rc_c"
        done
    done
}

# stamp_of ERR PATTERN — the arrival time of the first line of ERR (a
# stamped stderr) matching the extended regular expression PATTERN.
stamp_of() {
    awk -v re="$2" '$0 ~ re { print $1; exit }' "$1"
}

# trial SIZE RUN — one job of SIZE MiB per rank: a checkpoint, an in-place
# recovery, a restart. Appends its figures to $bench_tmp/SIZE.records:
#   ckpt COMMIT_S RAW_MB IMAGE_MB PAUSE_MAX_MS PAUSE_MED_MS ITER_MS LONGEST_MS LOST_MS
#   inplace BACK_S DETECT_S ORDER_S RESTORED_S REGAINED_S RECOVERIES
#   restart BACK_S
trial() {
    d="$bench_tmp/job.$1.$2"
    mkdir "$d" && mkfifo "$d/err.fifo" || bench_die "cannot create $d"
    trace="$d/trace"
    stamped "$d/err.fifo" "$d/err"
    run_mpi $np -x MPICKPT_PLUGIN -x MPICKPT_RESTORE "$MPICKPT_KEEPER" --protocol=coordinated \
        --verbose --dir="$d" -- "$coord_bench" --mib "$1" --log "$trace" \
        </dev/null >"$d/out" 2>"$d/err.fifo" &
    job_pid=$!
    poll "$1 MiB: 30 iterations" at_least 30 "$trace" >/dev/null
    jobdir=$(job_dir "$d")

    # The checkpoint.
    t_ask=$(bench_now)
    : >"$jobdir/CHECKPOINT"
    wait_committed "$d" 1
    sleep 1
    # The in-place recovery.
    victim=$(rank_compute "$d" 1)
    case $victim in
    "" | *[!0-9]*) bench_die "$1 MiB: no single compute process of rank 1 (found '$victim')" ;;
    esac
    t_kill=$(bench_now)
    kill -KILL "$victim"
    last=$(awk -v t="$t_kill" '$1 == "iter" && $3 <= t { k = $2; p = $4 } END { print k, p }' "$trace")
    last_iter=${last% *} old_pid=${last#* }
    back=$(poll "$1 MiB: an iteration after the in-place recovery" \
        iter_after "$t_kill" "$trace" "$old_pid" | awk '{ print $3 }')
    regained=$(poll "$1 MiB: iteration $last_iter again after the in-place recovery" \
        past "$last_iter" "$t_kill" "$trace" "$old_pid")
    sleep 1
    # The restart.
    kill_job
    t_restart=$(bench_now)
    run_bounded "$ckpt_restart_cmd" "$jobdir" -- --oversubscribe --bind-to none \
        </dev/null >"$d/rs.out" 2>"$d/rs.err" &
    job_pid=$!
    restarted=$(poll "$1 MiB: an iteration after the restart" iter_after "$t_restart" "$trace")
    kill_job
    wait # the stamper, once every writer of the FIFO is gone

    e="$d/err"
    commit=$(sed -n 's/.*rank 0: checkpoint 1 committed: [0-9]* ranks, \([0-9.]*\) MB -> \([0-9.]*\) MB in \([0-9.]*\) s$/\3 \1 \2/p' "$e")
    [ -n "$commit" ] || bench_die "$1 MiB: no commit line in $(cat "$e")"
    t_commit=$(stamp_of "$e" 'rank 0: checkpoint 1 committed')
    pauses=$(awk -v np=$np '$1 == "pause" && n++ < np { print $3 / 1e6 }' "$trace")
    [ "$(echo "$pauses" | wc -l)" -eq $np ] || bench_die "$1 MiB: $np pause lines expected in $trace"
    pause_max=$(echo "$pauses" | sort -g | tail -n 1)
    pause_med=$(echo "$pauses" | bench_median)
    # Iterations of the first incarnation: their median length before the
    # request, the longest and the time lost (sum of the excess over the
    # median) among those that ended from the request to one median
    # iteration after the commit.
    awk -v pid="$old_pid" '$1 == "iter" && $4 == pid { if (prev) print $3, $3 - prev; prev = $3 }' \
        "$trace" >"$d/lengths"
    iter_med=$(awk -v a="$t_ask" '$1 < a { print $2 }' "$d/lengths" | bench_median) ||
        bench_die "$1 MiB: no iteration before the checkpoint"
    stall=$(awk -v a="$t_ask" -v c="$t_commit" -v med="$iter_med" '
        $1 > a && $1 <= c + med { if ($2 > longest) longest = $2; lost += $2 - med }
        END { printf "%.1f %.1f %.1f\n", med * 1e3, longest * 1e3, lost * 1e3 }' "$d/lengths")
    echo "ckpt $commit $pause_max $pause_med $stall" >>"$bench_tmp/$1.records"
    # The keepers' lines of the recovery ("-" where a line is missing).
    detect=$(stamp_of "$e" 'rank 1: application killed')
    order=$(stamp_of "$e" 'recovering every rank from checkpoint')
    restored=$(awk '/restored checkpoint/ { t = $1 } END { print t }' "$e")
    # How often the coordinator ordered a recovery (one kill: once).
    orders=$(grep -c -e 'recovering every rank' -e 'restarting every rank' "$e")
    echo "$t_kill $back ${detect:--} ${order:--} ${restored:--} $regained" | awk -v n="$orders" '{
        printf "inplace"
        for (i = 2; i <= NF; i++) if ($i == "-") printf " -"; else printf " %.3f", $i - $1
        printf " %d\n", n }' >>"$bench_tmp/$1.records"
    echo "$t_restart $restarted" | awk '{ printf "restart %.3f\n", $4 - $1 }' >>"$bench_tmp/$1.records"
    rm -rf "$d"
}
for size in $sizes; do
    for run in $(seq "$bench_runs"); do
        trial "$size" "$run"
        echo "$0: $size MiB per rank, run $run of $bench_runs done" >&2
    done
done

# med SIZE KIND FIELD — the median of FIELD of SIZE's KIND records ("-"
# where no record has that field).
med() {
    awk -v k="$2" -v f="$3" '$1 == k && $f != "-" { print $f }' "$bench_tmp/$1.records" |
        bench_median || echo -
}

ckpt_rows="$bench_tmp/ckpt.rows" rec_rows="$bench_tmp/rec.rows" target_rows="$bench_tmp/targets"
: >"$ckpt_rows"
: >"$rec_rows"
: >"$target_rows"
for size in $sizes; do
    awk -v s="$size" -v c="$(med "$size" ckpt 2)" -v raw="$(med "$size" ckpt 3)" \
        -v img="$(med "$size" ckpt 4)" -v pmax="$(med "$size" ckpt 5)" \
        -v pmed="$(med "$size" ckpt 6)" -v it="$(med "$size" ckpt 7)" \
        -v lg="$(med "$size" ckpt 8)" -v lost="$(med "$size" ckpt 9)" 'BEGIN {
        printf "| %d MiB | %.0f | %.0f | %.1f | %.1f | %.1f | %.0f | %.0f | %.2f | %.0f |\n",
            s, raw, img, pmed, pmax, it, lg, lost, c, img / c
    }' >>"$ckpt_rows"
    back=$(med "$size" inplace 2)
    awk -v s="$size" -v b="$back" -v dt="$(med "$size" inplace 3)" -v o="$(med "$size" inplace 4)" \
        -v r="$(med "$size" inplace 5)" -v g="$(med "$size" inplace 6)" \
        -v rs="$(med "$size" restart 2)" \
        -v n="$(awk '$1 == "inplace" && $7 > n { n = $7 } END { print n + 0 }' "$bench_tmp/$size.records")" 'BEGIN {
        printf "| %d MiB | %s | %s | %s | %.2f | %.2f | %d | %.2f |\n", s, f(dt), f(o), f(r), b, g, n, rs
    }
    function f(x) { return x == "-" ? "–" : sprintf("%.2f", x)
    }' >>"$rec_rows"
    [ "$size" = 100 ] && awk -v b="$back" 'BEGIN {
        printf "| in-place recovery of 4 ranks × 100 MiB back to computing < 2 s | %.2f s | %s |\n",
            b, (b < 2 ? "met" : "**missed**")
    }' >>"$target_rows"
done

report="$bench_tmp/report.md"
{
    echo "np = $np on $(nproc) cores, **oversubscribed**: under mpickpt each rank is"
    echo "a keeper and a compute process, 8 processes (plus the image writers"
    echo "during a checkpoint) on $(nproc) cores; natively 4. Other jobs may share"
    echo "the machine: see the load averages."
    echo
    bench_context | sed "s/^- Runs per configuration: .*/- Runs per configuration: $bench_runs; part 1 in an order rotated every round; medians/"
    echo
    echo "**Overhead**: wall time of the whole job in seconds (\`mpirun\` to exit),"
    echo "median, and its ratio to native in the same run; \"none\" is"
    echo "\`mpickpt-run\` with protocol none (the runtime of issue 3), \"no ckpt\" is"
    echo "\`--protocol=coordinated\` without \`--interval\`, \"every N s\" is"
    echo "\`--interval=N\`, with the median number of checkpoints committed."
    echo
    header="| program | native s | none | no ckpt"
    rule="|---|---:|---:|---:"
    for i in $intervals; do
        header="$header | every $i s"
        rule="$rule|---:"
    done
    echo "$header |"
    echo "$rule|"
    cat "$overhead_rows"
    echo
    echo "No checkpoint against the runtime alone (judged: within 2 %), and what"
    echo "one checkpoint costs the job, from the every-$first_interval-s runs:"
    echo "(median every $first_interval s − median no ckpt) / checkpoints committed; at one"
    echo "checkpoint every 30 s that is the cost / 30 s of run time (judged: ≤ 2 %)."
    echo
    echo "| program | no ckpt / none | | s per checkpoint | per 30 s | |"
    echo "|---|---:|---|---:|---:|---|"
    cat "$cost_rows"
    echo
    echo "**Checkpoint** of \`bench/coord_bench\` (4 ranks, each N MiB of doubles"
    echo "updated 10 ms of CPU per iteration, then an \`MPI_Allreduce\`), asked for"
    echo "by the driver and committed: memory and image sizes summed over the"
    echo "ranks (MB = 10^6 B, the coordinator's line); *pause* is the plugin's"
    echo "\`img_capture_last_pause_ns()\` of each rank (the capture's fork and"
    echo "bookkeeping; median and slowest rank); *iteration* is rank 0's median"
    echo "iteration before the checkpoint; *longest* is its longest iteration and"
    echo "*lost* the sum of its iterations' excess over that median, from the"
    echo "request to the commit (what the checkpoint cost the application:"
    echo "pauses, waits for the other ranks' cuts, and the image writers taking"
    echo "CPU); *commit* is the coordinator's time from its CUT to COMMITTED."
    echo
    echo "| per rank | memory MB | image MB | pause ms | slowest ms | iteration ms | longest ms | lost ms | commit s | image MB/s |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    cat "$ckpt_rows"
    echo
    echo "**Recovery**, seconds from the \`kill -KILL\` of rank 1's compute process:"
    echo "its keeper reports it (*detected*), the coordinator orders the"
    echo "recovery (*ordered*), the last keeper says it restored the checkpoint"
    echo "(*restored*), rank 0 of the restored job ends an iteration (**back**:"
    echo "computing again), and ends one past the last iteration before the"
    echo "kill (*regained*: the lost work redone); *recoveries* is the most"
    echo "recoveries the coordinator ordered in one run (one kill: 1). Keeper"
    echo "lines are stamped as they reach the driver through \`mpirun\`, so"
    echo "their times include its forwarding. **Restart**: seconds from the"
    echo "start of \`mpickpt-restart\` (after the whole job was killed) until rank"
    echo "0 ends an iteration."
    echo
    echo "| per rank | detected | ordered | restored | **back** | regained | recoveries | **restart** |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|"
    cat "$rec_rows"
    if [ -s "$target_rows" ]; then
        echo
        echo "| target (issue 5) | measured | |"
        echo "|---|---:|---|"
        cat "$target_rows"
    fi
} >"$report"
cat "$report"
bench_write_section coordinated "$report"
