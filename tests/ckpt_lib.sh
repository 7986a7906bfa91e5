# tests/ckpt_lib.sh — shell helpers for the checkpoint/kill/restart tests
# (tests/integration/ckpt_*.sh and tests/long.sh), sourced after
# tests/lib.sh (it needs run_mpi, run_bounded, fail and $tmp).
#
# A trial: start_job runs a single-rank job in the background under
# `mpickpt-run --interval=1 --dir=DIR`; kill_after or kill_random waits for
# a committed checkpoint (polling, bounded by MPICKPT_TEST_TIMEOUT), then
# kill_job kills the whole job at once — every process below the job is
# stopped first, so none can fork past the kill, then all get SIGKILL, as
# in the loss of a node; restart_job runs mpickpt-restart on the job's
# directory. Output goes to $tmp: run.out/run.err for the job,
# rs.out/rs.err (or NAME.out/NAME.err) for a restart.
#
# Failures call fail (lib.sh), which ends the script — or the subshell a
# trial runs in (tests/long.sh runs each trial in one). Helpers that must
# not end the caller return a status instead. Every variable a helper sets
# for its own use starts with ck_, so callers' variables are left alone.

ckpt_restart_cmd="$top_builddir/launcher/mpickpt-restart"

# ckpt_restart JOBDIR — mpickpt-restart, bounded in time, with the mpirun
# options run_mpi gives the job it restarts (--bind-to none): the restarted
# rank runs as the original one did.
ckpt_restart() {
    run_bounded "$ckpt_restart_cmd" "$1" -- --bind-to none
}

# descendants PID — PID and every process below it (Open MPI starts the
# ranks in process groups of their own, so a group kill misses them).
descendants() {
    echo "$1"
    for ck_c in $(pgrep -P "$1"); do descendants "$ck_c"; done
}

# committed DIR — how many committed epochs the job under DIR has now.
committed() {
    ls "$1"/*/epochs/*/COMMITTED 2>/dev/null | wc -l
}

# newest_epoch DIR — the number of the newest committed epoch of the job
# under DIR, 0 if there is none. Unlike committed, it keeps growing when
# old epochs are deleted (the keeper keeps the newest few) and across
# restarts.
newest_epoch() {
    ls -d "$1"/*/epochs/*/COMMITTED 2>/dev/null |
        awk -F/ 'BEGIN { n = 0 } { e = $(NF - 1) + 0; if (e > n) n = e } END { print n }'
}

# job_dir DIR — the job directory mpickpt-run created under DIR (one job per DIR).
job_dir() {
    ls -d "$1"/*/ 2>/dev/null | head -n 1
}

# now_cs — centiseconds on a monotonic clock (since boot).
now_cs() {
    awk '{ printf "%d\n", $1 * 100 }' /proc/uptime
}

# cs_to_s CS — centiseconds as seconds: 456 is "4.56".
cs_to_s() {
    echo "$(($1 / 100)).$(($1 / 10 % 10))$(($1 % 10))"
}

# random_below N — a random integer in [0, N), N <= 65536.
random_below() {
    echo $(($(od -An -N2 -tu2 /dev/urandom | tr -d ' ') % $1))
}

# alive PID — PID is a process that has not ended (a zombie has ended).
alive() {
    ck_st=$(ps -o stat= -p "$1" 2>/dev/null)
    case $ck_st in
    '' | Z*) return 1 ;;
    esac
    return 0
}

# start_job DIR PROGRAM ARGS... — a job checkpointed every second into DIR,
# in the background: $job_pid, started at $job_start (now_cs); stdout and
# stderr in $tmp/run.out and $tmp/run.err.
start_job() {
    ck_dir=$1; shift
    job_start=$(now_cs)
    run_mpi 1 -x MPICKPT_PLUGIN -x MPICKPT_RESTORE "$MPICKPT_KEEPER" --interval=1 \
        --dir="$ck_dir" -- "$@" >"$tmp/run.out" 2>"$tmp/run.err" &
    job_pid=$!
}

# start_restart DIR [NAME] — restarts the job under DIR in the background
# ($job_pid, $job_start), like start_job; stdout and stderr in
# $tmp/NAME.out and $tmp/NAME.err (NAME rs by default).
start_restart() {
    ck_name=${2:-rs}
    ck_job=$(job_dir "$1")
    [ -n "$ck_job" ] || fail "$1: no job directory to restart"
    job_start=$(now_cs)
    ckpt_restart "$ck_job" >"$tmp/$ck_name.out" 2>"$tmp/$ck_name.err" &
    job_pid=$!
}

# restart_job DIR WHAT [NAME] — restarts the job under DIR and waits for it
# to end; stdout in $tmp/NAME.out, stderr in $tmp/NAME.err (NAME rs by
# default). A restart that fails or hangs fails WHAT.
restart_job() {
    ck_name=${3:-rs}
    ck_job=$(job_dir "$1")
    [ -n "$ck_job" ] || fail "$2: no job directory under $1"
    ckpt_restart "$ck_job" >"$tmp/$ck_name.out" 2>"$tmp/$ck_name.err"
    ck_rc=$?
    [ $ck_rc -eq 0 ] && return 0
    head -n 20 "$tmp/$ck_name.err" >&2
    check_not_hung $ck_rc "$2: restart"
    fail "$2: restart failed (exit status $ck_rc)"
}

# restarted_from [NAME] — the epoch the restart whose stderr is
# $tmp/NAME.err restored (its keeper's "restarting from checkpoint N" line),
# empty if there is no such line.
restarted_from() {
    sed -n 's/^mpickpt: rank 0: restarting from checkpoint \([0-9]*\) .*/\1/p' \
        "$tmp/${1:-rs}.err" | tail -n 1
}

# wait_until WHAT CONDITION... — polls CONDITION (a command) every 20 ms
# until it succeeds. Fails WHAT if the job ($job_pid) ends first or
# MPICKPT_TEST_TIMEOUT seconds pass.
wait_until() {
    ck_what=$1; shift
    ck_deadline=$(($(now_cs) + MPICKPT_TEST_TIMEOUT * 100))
    until "$@"; do
        if ! alive "$job_pid"; then
            "$@" && return 0 # it happened just before the end
            fail "$ck_what: the job ended first"
        fi
        [ "$(now_cs)" -lt $ck_deadline ] || fail "$ck_what: not after $MPICKPT_TEST_TIMEOUT s"
        sleep 0.02
    done
}

ck_has_committed() { [ "$(committed "$1")" -ge "$2" ]; }
ck_has_epoch() { [ "$(newest_epoch "$1")" -ge "$2" ]; }

# wait_committed DIR N — waits for N committed epochs under DIR.
wait_committed() {
    wait_until "$1: $2 committed checkpoints" ck_has_committed "$1" "$2"
}

# wait_epoch DIR N — waits for a committed epoch numbered N or higher.
wait_epoch() {
    wait_until "$1: committed checkpoint $2" ck_has_epoch "$1" "$2"
}

# kill_job — kills the job $job_pid and every process below it at once and
# waits until they are gone: stops the whole tree (again until no new
# process appears), then sends SIGKILL to all of it.
kill_job() {
    ck_pids=""
    ck_i=0
    while [ $ck_i -lt 50 ]; do
        ck_now=$(descendants "$job_pid" | sort -n | tr '\n' ' ')
        [ "$ck_now" = "$ck_pids" ] && break
        ck_pids=$ck_now
        kill -STOP $ck_pids 2>/dev/null
        ck_i=$((ck_i + 1))
    done
    kill -KILL $ck_pids 2>/dev/null
    wait "$job_pid" 2>/dev/null
    ck_i=0
    for ck_p in $ck_pids; do
        while alive "$ck_p"; do
            ck_i=$((ck_i + 1))
            [ $ck_i -lt 500 ] || fail "process $ck_p still there 10 s after SIGKILL"
            sleep 0.02
        done
    done
}

# kill_after DIR N — waits for N committed epochs, then a random 0-0.25 s,
# then kills the whole job.
kill_after() {
    wait_committed "$1" "$2"
    sleep "$(random_below 250 | awk '{ printf "%.3f", $1 / 1000 }')"
    kill_job
}

# kill_random DIR EPOCH SPAN_CS — waits for committed epoch EPOCH (or a
# later one), then for a random time in [0, SPAN_CS) centiseconds, then
# kills the whole job. Sets killed_after (seconds since the job started,
# "1.23"), killed_epoch (the newest committed epoch when it was killed) and
# ended_early (yes if the job had ended by itself before the kill, no if not).
kill_random() {
    wait_epoch "$1" "$2"
    ck_at=$(($(now_cs) + $(random_below "$(($3 > 0 ? $3 : 1))")))
    ended_early=no
    while [ "$(now_cs)" -lt $ck_at ]; do
        alive "$job_pid" || { ended_early=yes; break; }
        sleep 0.02
    done
    killed_after=$(cs_to_s $(($(now_cs) - job_start)))
    kill_job
    killed_epoch=$(newest_epoch "$1")
}

# same_outputs WHAT REF_OUT OUT [REF_FILE FILE] — succeeds if OUT has the
# bytes of REF_OUT (and FILE those of REF_FILE); otherwise prints the
# differences on stderr and returns 1.
same_outputs() {
    ck_same=0
    same_file "$2" "$3" "$1: stdout" || ck_same=1
    if [ $# -ge 5 ]; then
        same_file "$4" "$5" "$1: output file" || ck_same=1
    fi
    return $ck_same
}

# tree_state DIR — every entry under DIR (type, mode, size, mtime, path) and
# the SHA-256 of every file: the same before and after anything that must
# leave DIR alone.
tree_state() {
    find "$1" -printf '%y %m %s %T@ %p\n' | sort
    find "$1" -type f -print0 | sort -z | xargs -0 -r sha256sum
}

# job_json_edit JOBDIR SED-SCRIPT — edits JOBDIR/job.json with sed, then
# seals it again (its last field, "xxh64", is the XXH64 of every byte
# before its opening quote), so the job reads back as if it had been
# written that way. Needs xxh64sum (Debian package xxhash): returns 1
# without it, or if sed fails.
job_json_edit() {
    command -v xxh64sum >/dev/null 2>&1 || return 1
    ck_json="$1/job.json"
    # The lines before the checksum's, edited, then its two-space indent.
    sed '/^  "xxh64": /,$d' "$ck_json" | sed "$2" >"$tmp/.ck_json" || return 1
    printf '  ' >>"$tmp/.ck_json"
    ck_sum=$(xxh64sum <"$tmp/.ck_json" | cut -d ' ' -f 1)
    printf '"xxh64": "%s"\n}\n' "$ck_sum" >>"$tmp/.ck_json"
    mv "$tmp/.ck_json" "$ck_json"
}

# flip_byte FILE OFFSET — inverts the byte at OFFSET in FILE (so it changes,
# whatever it was), keeping the file's size.
flip_byte() {
    ck_byte=$(dd if="$1" bs=1 skip="$2" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
    printf "\\$(printf '%03o' $((255 - ck_byte)))" |
        dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
