#!/bin/sh
# tests/integration/image_selftest.sh — process images end to end, without
# MPI: tests/programs/ckpt_selftest checkpoints itself (plugin/capture), is
# SIGKILLed at a random point after its first image, and is brought back by
# mpickpt-restore from its last image. Its stdout and output file must then
# be byte-identical to an uninterrupted run's.
#
# Trials: checkpoints at safe points and from a SIGALRM handler, with ASLR
# on, off (setarch -R) for both runs, and captured with ASLR on but restored
# with it off; a chain (restore, checkpoint again, kill, restore); and a
# damaged image, which must be refused with one line and a non-zero status.
. "$top_srcdir/tests/lib.sh"

make_tmpdir
# Background runs are started with exec, so $! is the program itself (not a
# timeout wrapper, whose death would leave the program running); they are
# bounded by the waits below and killed at exit if still there.
bg=""
trap 'for p in $bg; do kill -KILL $p 2>/dev/null; done; sleep 0.2; rm -rf "$tmp"' EXIT
prog="$top_builddir/tests/programs/ckpt_selftest"
restore="$top_builddir/launcher/restore/mpickpt-restore"
bound="timeout -k 5 60"
args="--steps 1500 --work 20000 --mem 16"

# The reference: no checkpoint at all. Its output file (a line per step)
# measures how far a run has got: kills come at a point of progress, not
# of time, so they land while the run is still going however fast or
# loaded the machine is.
$bound "$prog" $args --out "$tmp/ref.dat" >"$tmp/ref.out" || fail "reference run failed"
ref_bytes=$(wc -c <"$tmp/ref.dat")

# wait_progress FILE MAX_FRACTION — waits until output file FILE has grown
# to a random size between its size now and MAX_FRACTION of the
# reference's (it only grows, to the reference's size: this ends), at most
# 60 s.
wait_progress() {
    wp_now=$(stat -c %s "$1" 2>/dev/null || echo 0)
    wp_target=$(awk -v now="$wp_now" -v max="$(awk -v r="$ref_bytes" -v f="$2" 'BEGIN { printf "%d", r * f }')" \
        'BEGIN { srand(); if (max < now) max = now; printf "%d", now + rand() * (max - now) }')
    i=0
    while [ "$(stat -c %s "$1" 2>/dev/null || echo 0)" -lt "$wp_target" ]; do
        i=$((i + 1))
        [ $i -lt 6000 ] || fail "$1 did not reach $wp_target bytes in 60 s"
        sleep 0.01
    done
}

# wait_for_image IMAGE OLD_INODE — waits until IMAGE exists with an inode
# other than OLD_INODE (a new image was committed), at most 30 s.
wait_for_image() {
    i=0
    while [ $i -lt 300 ]; do
        ino=$(stat -c %i "$1" 2>/dev/null)
        [ -n "$ino" ] && [ "$ino" != "$2" ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    fail "no new image $1 after 30 s"
}

# kill_running PID WHAT — SIGKILLs PID, which must still be running (and
# not a zombie: a finished run would make the trial vacuous).
kill_running() {
    case $(ps -o stat= -p "$1" 2>/dev/null) in
    '' | Z*) fail "$2 ended before it could be killed" ;;
    esac
    kill -KILL "$1"
    wait "$1" 2>/dev/null
}

# check_unfinished NAME — the killed run did not get to its last line, so
# what follows is the restored process's work.
check_unfinished() {
    ! grep -q '^final sum' "$tmp/$1.out" || fail "$1: the run finished before the kill"
}

# check_output NAME — NAME's stdout and output file against the reference.
check_output() {
    same_file "$tmp/ref.out" "$tmp/$1.out" "$1: stdout" || fail "$1: stdout differs"
    same_file "$tmp/ref.dat" "$tmp/$1.dat" "$1: output file" || fail "$1: output file differs"
    echo "PASS $1"
}

# trial NAME RUN_PREFIX RESTORE_PREFIX CKPT_ARGS — one kill and restore.
trial() {
    name=$1 run_prefix=$2 restore_prefix=$3 ckpt=$4
    img="$tmp/$name.img"
    (exec $run_prefix "$prog" $args $ckpt --image "$img" --out "$tmp/$name.dat" \
        >"$tmp/$name.out" 2>"$tmp/$name.err") &
    pid=$!
    bg="$bg $pid"
    wait_for_image "$img" ""
    wait_progress "$tmp/$name.dat" 0.6
    kill_running $pid "$name: the first run"
    check_unfinished "$name"
    $bound $restore_prefix "$restore" "$img" 2>>"$tmp/$name.err"
    rc=$?
    [ $rc -eq 0 ] || { cat "$tmp/$name.err" >&2; fail "$name: restored run exit status $rc"; }
    check_output "$name"
}

norand="setarch -R"
trial steps-1 "" "" "--every 100"
trial steps-2 "" "" "--every 150"
trial alarm "" "" "--alarm 250"
trial aslr-off "$norand" "$norand" "--every 100"
trial aslr-off-alarm "$norand" "$norand" "--alarm 200"
trial aslr-on-then-off "" "$norand" "--every 100"

# A chain: the restored process checkpoints again, is killed, and the image
# it wrote is restored.
img="$tmp/chain.img"
(exec "$prog" $args --every 100 --image "$img" --out "$tmp/chain.dat" \
    >"$tmp/chain.out" 2>"$tmp/chain.err") &
pid=$!
bg="$bg $pid"
wait_for_image "$img" ""
wait_progress "$tmp/chain.dat" 0.3
kill_running $pid "chain: the first run"
first=$(stat -c %i "$img")
(exec "$restore" "$img" 2>>"$tmp/chain.err") &
pid=$!
bg="$bg $pid"
wait_for_image "$img" "$first"
kill_running $pid "chain: the restored run"
check_unfinished chain
$bound "$restore" "$img" 2>>"$tmp/chain.err" || fail "chain: second restore failed"
check_output chain

# Damage: a flipped byte in a frame, a truncated image. Nothing may run.
cp "$tmp/steps-1.img" "$tmp/bad.img"
size=$(stat -c %s "$tmp/bad.img")
byte=$(od -An -tu1 -j $((size / 2)) -N1 "$tmp/bad.img")
printf "\\$(printf %o $(((byte + 1) % 256)))" |
    dd of="$tmp/bad.img" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
truncate -s $((size - 100)) "$tmp/steps-1.img"
for bad in bad steps-1; do
    msg=$($bound "$restore" "$tmp/$bad.img" 2>&1 >/dev/null)
    rc=$?
    [ $rc -ne 0 ] || fail "damaged image $bad.img was restored"
    [ "$(printf '%s\n' "$msg" | wc -l)" -eq 1 ] || fail "damaged image $bad.img: not one line: $msg"
    echo "PASS damaged $bad.img refused: $msg"
done
