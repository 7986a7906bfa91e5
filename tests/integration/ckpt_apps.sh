#!/bin/sh
# ckpt_apps.sh — Johnson's three programs survive a kill -9 of the whole job
# at np = 1: nqueens 16, tsp --cities 22 --seed 10, gauss --n 2300 and
# gauss --n 2300 --collectives (about 4-9 s each at np = 1 on an idle 2-core
# machine, so that the kill lands mid-run). Each is first run natively,
# uninterrupted: the reference, and its duration D. Then it runs under
# `mpickpt-run --interval=1`, is killed (SIGKILL of mpirun and every
# process below it, tests/ckpt_lib.sh) at a random moment between its
# first committed checkpoint and D/2 after it, and is restarted with
# mpickpt-restart: the restart must say which checkpoint it restored and
# print on stdout exactly the bytes of the reference (the apps write no
# files).
# gauss --collectives is the trial of two restarts in a row: killed at a
# random moment in the D/4 after its first checkpoint, restarted, killed
# again in the 0.5 s after the restarted job committed a checkpoint of its
# own, restarted again — from that checkpoint, an image of a restored
# process — and the same bytes as the reference.
# A job that had ended by itself before its kill is noted in the log (its
# restart is still checked). Time-bounded: every run goes through
# run_bounded / run_mpi, every wait polls with a bound. About 60 s on an
# idle 2-core machine.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ckpt_lib.sh"
MPICKPT_TEST_TIMEOUT=90
make_tmpdir
apps="$top_builddir/apps"

# reference NAME PROGRAM ARGS... — the native run: $tmp/NAME.ref, and its
# duration in centiseconds in ref_cs.
reference() {
    ref_name=$1; shift
    ref_start=$(now_cs)
    run_mpi 1 "$@" >"$tmp/$ref_name.ref" 2>"$tmp/$ref_name.ref.err"
    rc=$?
    ref_cs=$(($(now_cs) - ref_start))
    check_not_hung $rc "$ref_name (native)"
    [ $rc -eq 0 ] || fail "$ref_name (native): exit status $rc: $(cat "$tmp/$ref_name.ref.err")"
}

# check_restart NAME WHAT [RS] — the restart (stderr $tmp/RS.err, stdout
# $tmp/RS.out) named the checkpoint it restored and printed the reference's
# bytes.
check_restart() {
    from=$(restarted_from "${3:-rs}")
    [ -n "$from" ] || fail "$2: the restart does not say which checkpoint it restored: $(head -n 5 "$tmp/${3:-rs}.err")"
    same_outputs "$2" "$tmp/$1.ref" "$tmp/${3:-rs}.out" || fail "$2: output after the restart differs"
}

# note_early WHAT — says so when the job had finished by itself before the
# kill (the machine was faster than the sizes assume): the restart from its
# last checkpoint is still checked, but no kill landed mid-run.
note_early() {
    [ "$ended_early" = no ] || echo "note: $1: the job ended before the kill came"
}

for spec in "nqueens nqueens 16" "tsp tsp --cities 22 --seed 10" "gauss gauss --n 2300"; do
    # $spec is split on purpose: a name, the program, its arguments.
    set -- $spec
    name=$1
    prog="$apps/$2"
    shift 2
    reference "$name" "$prog" "$@"
    start_job "$tmp/ck-$name" "$prog" "$@"
    kill_random "$tmp/ck-$name" 1 $((ref_cs / 2))
    note_early "$name"
    restart_job "$tmp/ck-$name" "$name"
    check_restart "$name" "$name"
    echo "ok: $name: native $(cs_to_s $ref_cs) s; killed after $killed_after s" \
        "(checkpoint $killed_epoch committed), restarted from checkpoint $from, same stdout"
done

# Two restarts in a row: the second kill comes after the restarted job has
# committed a checkpoint of its own, so the second restart restores an
# image taken by a restored process.
what="gauss --collectives, two restarts"
reference gauss_coll "$apps/gauss" --n 2300 --collectives
start_job "$tmp/ck-coll" "$apps/gauss" --n 2300 --collectives
kill_random "$tmp/ck-coll" 1 $((ref_cs / 4))
note_early "$what (first kill)"
first=$killed_epoch
first_after=$killed_after
start_restart "$tmp/ck-coll" rs1
kill_random "$tmp/ck-coll" $((first + 1)) 50
note_early "$what (second kill)"
from1=$(restarted_from rs1)
[ -n "$from1" ] || fail "$what: the first restart does not say which checkpoint it restored: $(head -n 5 "$tmp/rs1.err")"
restart_job "$tmp/ck-coll" "$what"
check_restart gauss_coll "$what"
[ "$from" -gt "$first" ] ||
    fail "$what: the second restart restored checkpoint $from, not one the restarted job took (> $first)"
echo "ok: $what: native $(cs_to_s $ref_cs) s; killed after $first_after s (checkpoint $first)," \
    "restarted from $from1, killed after $killed_after s more (checkpoint $killed_epoch)," \
    "restarted from $from, same stdout"
