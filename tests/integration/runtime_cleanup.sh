#!/bin/sh
# tests/integration/runtime_cleanup.sh — a job under mpickpt leaves
# nothing behind, whether it succeeds or fails.
#
# After each job at np 4 — nqueens 10, which succeeds, and
# tests/programs/failing_rank with rank 1 killed by SIGSEGV or calling
# MPI_Abort — in both entry points, no process of the job may remain once a
# short bounded wait is over, and no new file may have appeared in /dev/shm:
# the keeper-compute channel is a memfd, so mpickpt never needs one.
#
# The job's processes are found two ways: the programs are copies under a
# private directory, so `pgrep -f` on that path finds the compute
# processes and, with mpickpt-run, the keepers; and each job runs with a
# tag in its environment, which finds the keepers the plugin execs (their
# command line is only "mpickpt-run --adopt=..."). Open MPI's own
# shared-memory files of these jobs go to the private directory
# (btl_vader_backing_directory), and vader files of other jobs running at
# the same time (make -j check) are ignored.
. "$top_srcdir/tests/lib.sh"

make_tmpdir
app="$tmp/cleanup-nqueens"
failing="$tmp/cleanup-failing_rank"
cp "$top_builddir/apps/nqueens" "$app" &&
    cp "$top_builddir/tests/programs/failing_rank" "$failing" || fail "cannot copy the programs"
tag="MPICKPT_TEST_TAG=runtime_cleanup-$$"
export OMPI_MCA_btl_vader_backing_directory="$tmp"

shm_files() {
    ls -A /dev/shm | grep -v '^vader_segment\.' | sort
}

# leftovers — pids of processes of this test's jobs that still exist.
leftovers() {
    {
        pgrep -f -- "$tmp/cleanup-"
        grep -lsxzF -- "$tag" /proc/[0-9]*/environ | sed 's|^/proc/\([0-9]*\)/environ$|\1|'
    } | sort -u
}

# check_clean WHAT — waits up to 5 s for the job's processes to go, then
# fails if any remains or /dev/shm has a file it did not have at the start.
check_clean() {
    tries=50
    while [ -n "$(leftovers)" ] && [ $tries -gt 0 ]; do
        sleep 0.1
        tries=$((tries - 1))
    done
    left=$(leftovers)
    if [ -n "$left" ]; then
        # $left is a list of pids: split on purpose.
        ps -o pid,ppid,stat,args -p "$(echo $left | tr ' ' ,)" >&2
        fail "$1: processes of the job remain"
    fi
    shm_files >"$tmp/shm.after"
    new=$(comm -13 "$tmp/shm.before" "$tmp/shm.after")
    [ -z "$new" ] || fail "$1: new files in /dev/shm: $new"
    echo "ok: $1: no process left, no new file in /dev/shm"
}

# job MODE PROGRAM ARGS... — runs a tagged job at np 4; sets rc.
job() {
    mode=$1
    shift
    (
        export "$tag" # $tag is NAME=value
        run_mode "$mode" 4 "$@" >/dev/null 2>&1
    )
    rc=$?
}

shm_files >"$tmp/shm.before"
for mode in $(mpickpt_modes); do
    job "$mode" "$app" 10
    check_not_hung $rc "nqueens np=4 ($mode)"
    [ $rc -eq 0 ] || fail "nqueens np=4 ($mode): exit status $rc"
    check_clean "nqueens np=4 ($mode), success"

    for how in segv abort; do
        job "$mode" "$failing" "$how"
        check_not_hung $rc "failing_rank $how np=4 ($mode)"
        [ $rc -ne 0 ] || fail "failing_rank $how np=4 ($mode): exit status 0"
        check_clean "failing_rank $how np=4 ($mode), failure"
    done
done
