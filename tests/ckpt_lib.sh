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
# options run_mpi gives the job it restarts (--bind-to none; --oversubscribe,
# since the job may have more ranks than the machine has cores): the
# restarted ranks run as the original ones did.
ckpt_restart() {
    run_bounded "$ckpt_restart_cmd" "$1" -- --oversubscribe --bind-to none
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
    start_job_np 1 "$@"
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
# process appears), then sends SIGKILL to all of it, children before their
# parents: a parent's death orphans its children's process group, and the
# kernel then wakes a stopped group with SIGHUP and SIGCONT — mpirun would
# print "Forwarding signal 18" if it ran before its own SIGKILL came.
kill_job() {
    ck_pids=""
    ck_i=0
    while [ $ck_i -lt 50 ]; do
        ck_now=$(descendants "$job_pid" | tr '\n' ' ')
        [ "$ck_now" = "$ck_pids" ] && break
        ck_pids=$ck_now
        kill -STOP $ck_pids 2>/dev/null
        ck_i=$((ck_i + 1))
    done
    kill -KILL $(printf '%s\n' $ck_pids | tac) 2>/dev/null
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

# --- multi-rank jobs (tests/integration/coord_*.sh, tests/long.sh) -----------
#
# A job of NP ranks under `mpickpt-run --interval=1` (start_job_np) recovers
# in place when one rank's compute process dies: kill_rank sends a signal
# to one rank's compute process only — the child of that rank's keeper,
# found among the processes below $job_pid whose command line names the
# job's directory, never by name, so other jobs on the machine are left
# alone. Its keepers' lines on $tmp/run.err say how it recovered
# (recoveries, recovered_from). Restarts of a killed multi-rank job go
# through start_restart / restart_job, which let mpirun place more
# ranks than cores.

# start_job_np NP DIR PROGRAM ARGS... — start_job at NP ranks.
start_job_np() {
    ck_np=$1; ck_dir=$2; shift 2
    job_start=$(now_cs)
    run_mpi "$ck_np" -x MPICKPT_PLUGIN -x MPICKPT_RESTORE "$MPICKPT_KEEPER" --interval=1 \
        --dir="$ck_dir" -- "$@" >"$tmp/run.out" 2>"$tmp/run.err" &
    job_pid=$!
}

# job_keepers DIR — one line "PID COMPUTE" per keeper of the job $job_pid:
# a process below it whose program is mpickpt-run and whose command line
# names DIR (--dir=DIR, or --restart=JOBDIR under DIR); COMPUTE is its
# child, the rank's compute process, or - when it has none. One ps for the
# whole tree: a poll must be cheap on a loaded machine.
job_keepers() {
    ps -e -ww -o pid=,ppid=,args= | awk -v top="$job_pid" -v dir="$1" '
        { pid[NR] = $1; ppid[NR] = $2; prog[NR] = $3; line[NR] = $0 }
        END {
            below[top] = 1
            do {
                grew = 0
                for (i = 1; i <= NR; i++)
                    if ((ppid[i] in below) && !(pid[i] in below)) { below[pid[i]] = 1; grew = 1 }
            } while (grew)
            for (i = 1; i <= NR; i++) {
                if (!(pid[i] in below) || prog[i] !~ /(^|\/)mpickpt-run$/ || !index(line[i], dir))
                    continue
                child = "-"
                for (j = 1; j <= NR; j++)
                    if (ppid[j] == pid[i]) { child = pid[j]; break }
                print pid[i], child
            }
        }'
}

# keeper_rank PID — the rank of keeper PID (its OMPI_COMM_WORLD_RANK).
keeper_rank() {
    grep -z '^OMPI_COMM_WORLD_RANK=' "/proc/$1/environ" 2>/dev/null | tr -d '\0' | cut -d = -f 2
}

# compute_pid DIR RANK — the PID of rank RANK's compute process (its
# keeper's child) in the job $job_pid under DIR; empty if it has none.
compute_pid() {
    job_keepers "$1" | while read -r ck_keeper ck_compute; do
        if [ "$(keeper_rank "$ck_keeper")" = "$2" ]; then
            [ "$ck_compute" = - ] || echo "$ck_compute"
            break
        fi
    done
}

# ck_all_computing DIR NP — every one of the NP ranks has a compute process.
ck_all_computing() {
    [ "$(job_keepers "$1" | grep -cv ' -$')" -ge "$2" ]
}

# wait_computing DIR NP — waits until the NP ranks of the job under DIR all
# have their compute process.
wait_computing() {
    wait_until "$1: $2 compute processes" ck_all_computing "$1" "$2"
}

# kill_rank DIR RANK SIGNAL — sends SIGNAL (a name: KILL, SEGV...) to rank
# RANK's compute process. Returns 1 if that rank has none (the job ended).
# Sets killed_after (seconds since the job started) and killed_epoch (the
# newest committed epoch at the kill).
kill_rank() {
    ck_pid=$(compute_pid "$1" "$2")
    [ -n "$ck_pid" ] || return 1
    # A process that exited since compute_pid looked, not yet reaped,
    # takes the signal without effect: no kill. Read with built-ins, just
    # before the kill (/proc/PID/stat: "PID (COMM) STATE ...").
    ck_stat=""
    read -r ck_stat 2>/dev/null <"/proc/$ck_pid/stat"
    case ${ck_stat##*) } in
    '' | Z* | X*) return 1 ;;
    esac
    kill -s "$3" "$ck_pid" 2>/dev/null || return 1
    killed_after=$(cs_to_s $(($(now_cs) - job_start)))
    killed_epoch=$(newest_epoch "$1")
}

# kill_rank_random DIR NP SPAN_CS SIGNAL — waits until the NP ranks compute,
# then a random time in [0, SPAN_CS) centiseconds, then kill_rank of a
# random rank (killed_rank). Sets ended_early to yes (and kills nothing) if
# the job had ended by then, to no otherwise.
kill_rank_random() {
    wait_computing "$1" "$2"
    killed_rank=$(random_below "$2")
    ck_at=$(($(now_cs) + $(random_below "$(($3 > 0 ? $3 : 1))")))
    ended_early=no
    while [ "$(now_cs)" -lt $ck_at ]; do
        alive "$job_pid" || break
        sleep 0.02
    done
    kill_rank "$1" "$killed_rank" "$4" || ended_early=yes
}

# The MPI feature programs (tests/mpi) that run under coordinated kills
# (abort ends its job on purpose), and feature_args NAME — the arguments
# program NAME runs with.
feature_programs="p2p_blocking p2p_nonblocking p2p_matching completion coll_blocking
    coll_nonblocking comm_group datatypes topology environment"
feature_args() {
    [ "$1" != environment ] || echo --thread=single
}

# checkpoint_often DIR — until the job $job_pid ends, asks every 0.1 s for
# a checkpoint of each job directory under DIR (`mpickpt checkpoint`), so
# that cuts land among a short program's traffic. Run it in the
# background.
checkpoint_often() {
    while alive "$job_pid"; do
        for ck_job in "$1"/*/; do
            [ -f "$ck_job/job.json" ] &&
                "$top_builddir/launcher/mpickpt" checkpoint "$ck_job" >/dev/null 2>&1
        done
        sleep 0.1
    done
}

# ck_computing_or_ended DIR NP — the NP ranks compute, or the job is over.
ck_computing_or_ended() {
    ! alive "$job_pid" || ck_all_computing "$1" "$2"
}

# kill_while_running DIR NP SPAN_CS SIGNAL — kill_rank_random for programs
# that may end before all their ranks were even seen computing: then, or
# when the chosen rank has no compute process any more, ended_early=yes.
kill_while_running() {
    ended_early=yes
    wait_until "$1: $2 compute processes" ck_computing_or_ended "$1" "$2"
    alive "$job_pid" || return 0
    killed_rank=$(random_below "$2")
    sleep "$(cs_to_s "$(random_below "$3")")"
    kill_rank "$1" "$killed_rank" "$4" && ended_early=no
}

# ck_image_being_written DIR — an image file of an epoch in progress under
# DIR exists now (.rank-R.img.tmp, the name it has until it is complete);
# sets ck_image to it. Shell built-ins only, so a poll costs no fork.
ck_image_being_written() {
    for ck_image in "$1"/*/epochs/*/.rank-*.img.tmp; do
        [ -e "$ck_image" ] && return 0
    done
    return 1
}

# kill_rank_writing DIR NP RANK SIGNAL — waits until the NP ranks compute,
# then until an image is being written (a checkpoint in progress, not
# committed yet), and sends SIGNAL at once to rank RANK's compute process
# (looked up before the wait: between checkpoints it does not change).
# Sets killed_after, killed_epoch, and caught_image to the image file that
# was being written (empty if the job ended first, and then nothing is
# killed). Polls every 5 ms, bounded by MPICKPT_TEST_TIMEOUT.
kill_rank_writing() {
    wait_computing "$1" "$2"
    ck_pid=$(compute_pid "$1" "$3")
    caught_image=""
    ck_deadline=$(($(now_cs) + MPICKPT_TEST_TIMEOUT * 100))
    ck_polls=0
    until ck_image_being_written "$1"; do
        ck_polls=$((ck_polls + 1))
        if [ $((ck_polls % 40)) -eq 0 ]; then
            alive "$job_pid" || return 0
            [ "$(now_cs)" -lt $ck_deadline ] || fail "$1: no image written in $MPICKPT_TEST_TIMEOUT s"
        fi
        sleep 0.005
    done
    kill -s "$4" "$ck_pid" 2>/dev/null || return 0
    caught_image=${ck_image#"$1"/}
    killed_after=$(cs_to_s $(($(now_cs) - job_start)))
    killed_epoch=$(newest_epoch "$1")
}

# recoveries [NAME] — how many in-place recoveries the job whose stderr is
# $tmp/NAME.err (run by default) went through: its coordinator's
# "recovering every rank from checkpoint N" and "restarting every rank from
# the beginning" lines.
recoveries() {
    grep -cE '^mpickpt: rank 0: (recovering every rank from checkpoint [0-9]+|restarting every rank from the beginning) after rank [0-9]+ failed' \
        "$tmp/${1:-run}.err"
}

# recovered_from [NAME] — "EPOCH RANK" of the job's last in-place recovery
# (EPOCH 0: from the beginning; RANK: the rank that failed), empty if none.
recovered_from() {
    sed -n -e 's/^mpickpt: rank 0: recovering every rank from checkpoint \([0-9]*\) after rank \([0-9]*\) failed.*/\1 \2/p' \
        -e 's/^mpickpt: rank 0: restarting every rank from the beginning after rank \([0-9]*\) failed.*/0 \1/p' \
        "$tmp/${1:-run}.err" | tail -n 1
}

# ck_has_recovered N [NAME] — the job went through N recoveries or more.
ck_has_recovered() { [ "$(recoveries "$2")" -ge "$1" ]; }

# wait_recovered N [NAME] — waits for the job's Nth in-place recovery line.
wait_recovered() {
    wait_until "recovery $1" ck_has_recovered "$1" "$2"
}

# wait_job WHAT — waits for the job $job_pid to end; fails WHAT if it hung
# or ended with a status other than 0 (showing the start of its stderr).
wait_job() {
    wait "$job_pid"
    ck_rc=$?
    [ $ck_rc -eq 0 ] && return 0
    grep -v '^$' "$tmp/run.err" | head -n 30 >&2
    check_not_hung $ck_rc "$1"
    fail "$1: the job ended with exit status $ck_rc"
}

# same_rank_files WHAT NP REF_PREFIX PREFIX — the NP files PREFIX.<rank>
# have the bytes of REF_PREFIX.<rank>; prints the differences otherwise
# and returns 1.
same_rank_files() {
    ck_same=0
    ck_r=0
    while [ $ck_r -lt "$2" ]; do
        same_file "$3.$ck_r" "$4.$ck_r" "$1: output file of rank $ck_r" || ck_same=1
        ck_r=$((ck_r + 1))
    done
    return $ck_same
}

# same_copies WHAT DIR NP REF — the copies of stdout the keepers of the
# job under DIR kept (output/rank-<r>.stdout), one after the other in rank
# order, are REF's bytes: the job's whole stdout, however often it was
# killed. Fails otherwise.
same_copies() {
    sc_r=0
    : >"$tmp/copies.out"
    while [ $sc_r -lt "$3" ]; do
        cat "$(job_dir "$2")output/rank-$sc_r.stdout" >>"$tmp/copies.out" ||
            fail "$1: no copy of rank $sc_r's stdout"
        sc_r=$((sc_r + 1))
    done
    cmp -s "$4" "$tmp/copies.out" ||
        fail "$1: the job directory's copy of stdout is not the native stdout:" \
            "$(cmp "$4" "$tmp/copies.out" 2>&1)"
}

# native_reference NAME PROGRAM ARGS... — the native run on $np ranks: stdout in
# $tmp/NAME.ref, its duration in centiseconds in ref_cs and
# $tmp/NAME.ref.cs.
native_reference() {
    ref_name=$1; shift
    ref_start=$(now_cs)
    run_mpi $np "$@" >"$tmp/$ref_name.ref" 2>"$tmp/$ref_name.ref.err"
    rc=$?
    ref_cs=$(($(now_cs) - ref_start))
    echo $ref_cs >"$tmp/$ref_name.ref.cs"
    check_not_hung $rc "$ref_name (native)"
    [ $rc -eq 0 ] || fail "$ref_name (native): exit status $rc: $(head -n 5 "$tmp/$ref_name.ref.err")"
}
