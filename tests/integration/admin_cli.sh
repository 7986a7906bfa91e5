#!/bin/sh
# admin_cli.sh — the `mpickpt` admin CLI on checkpoint directories made by
# storage/layout.h (through tests/programs/layout_fake_job): list and verify
# report a healthy job and exit 0; a flipped byte, a missing file or a
# damaged job.json makes verify name the file and exit 1; --epoch narrows
# verify; info refuses what is not an image; bad usage exits 2 with one line
# on stderr; every command has --help.
. "$top_srcdir/tests/lib.sh"

mpickpt="$top_builddir/launcher/mpickpt"
fake="$top_builddir/tests/programs/layout_fake_job"
make_tmpdir
root="$tmp/ckpt"

# expect_status STATUS WHAT COMMAND... — runs COMMAND, output in $tmp/out and
# $tmp/err, and fails unless it exits with STATUS.
expect_status() {
    want=$1 what=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    if [ "$got" -ne "$want" ]; then
        echo "stdout:" >&2; cat "$tmp/out" >&2
        echo "stderr:" >&2; cat "$tmp/err" >&2
        fail "$what: exit status $got, expected $want"
    fi
}

# out_has TEXT WHAT — stdout of the last command contains TEXT.
out_has() {
    grep -qF -- "$1" "$tmp/out" || { cat "$tmp/out" >&2; fail "$2: no \"$1\" in the output"; }
}

# one_line_error WHAT — the last command said exactly one line on stderr.
one_line_error() {
    [ "$(wc -l <"$tmp/err")" -eq 1 ] || { cat "$tmp/err" >&2; fail "$1: not one line on stderr"; }
}

# flip_byte FILE OFFSET — changes one byte of FILE in place.
flip_byte() {
    old=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "$(printf '\\%03o' $(((old + 1) % 256)))" |
        dd of="$1" bs=1 seek="$2" count=1 conv=notrunc 2>/dev/null || fail "cannot change $1"
}

"$fake" "$root" job-a 3 4 --uncommitted || fail "layout_fake_job job-a"
"$fake" "$root" job-b 2 1 || fail "layout_fake_job job-b"

# --- healthy jobs ----------------------------------------------------------
expect_status 0 "list of a healthy checkpoint directory" "$mpickpt" list "$root"
out_has "job job-a  np 3  protocol coordinated" "list"
out_has "job job-b  np 2" "list"
out_has "epoch 3  committed  6 files" "list (retention kept epochs 3 and 4)"
out_has "epoch 4  committed  6 files" "list"
out_has "ratio 4.00" "list (images' uncompressed sizes are known)"
out_has "epoch 5  not committed" "list"

expect_status 0 "list of one job" "$mpickpt" list "$root/job-a"
out_has "job job-a" "list of one job"
grep -q job-b "$tmp/out" && fail "list of one job shows another job"
grep -q "epoch [12] " "$tmp/out" && fail "list: retention left epoch 1 or 2"

expect_status 0 "verify of a healthy checkpoint directory" "$mpickpt" verify "$root"
out_has "$root/job-a/epochs/3: ok, 6 files" "verify"
out_has "$root/job-a/epochs/4: ok, 6 files" "verify"
out_has "$root/job-a/epochs/5: not committed, skipped" "verify"
out_has "$root/job-b/epochs/1: ok, 4 files" "verify"

expect_status 1 "verify --epoch of an uncommitted epoch" "$mpickpt" verify "$root/job-a" --epoch 5
out_has "$root/job-a/epochs/5: not committed" "verify --epoch 5"
expect_status 1 "verify --epoch of a removed epoch" "$mpickpt" verify "$root/job-a" --epoch=1
out_has "epochs/1: no such epoch" "verify --epoch=1"

# --- damage ----------------------------------------------------------------
flip_byte "$root/job-a/epochs/4/rank-1.img" 1000
expect_status 1 "verify after a flipped byte" "$mpickpt" verify "$root"
out_has "$root/job-a/epochs/4/rank-1.img: checksum mismatch" "verify"
out_has "$root/job-a/epochs/3: ok" "verify (the other epoch is intact)"
out_has "1 problem found" "verify"
[ "$(grep -c "checksum mismatch" "$tmp/out")" -eq 1 ] || fail "verify: one line per problem"
expect_status 0 "verify --epoch of the intact epoch" "$mpickpt" verify "$root/job-a" --epoch 3
expect_status 1 "verify --epoch of the damaged epoch" "$mpickpt" verify "$root/job-a" --epoch 4
# A flipped byte keeps the size: list (sizes only) does not see it.
expect_status 0 "list after a flipped byte" "$mpickpt" list "$root/job-a"

rm "$root/job-b/epochs/1/rank-0.keeper"
expect_status 1 "list after a missing file" "$mpickpt" list "$root/job-b"
out_has "epoch 1  damaged: $root/job-b/epochs/1/rank-0.keeper: missing" "list"
expect_status 1 "verify after a missing file" "$mpickpt" verify "$root/job-b"
out_has "$root/job-b/epochs/1/rank-0.keeper: missing" "verify"

sed -i 's/"np": 3/"np": 4/' "$root/job-a/job.json"
expect_status 1 "verify after an edited job.json" "$mpickpt" verify "$root/job-a" --epoch 3
out_has "$root/job-a/job.json: checksum mismatch" "verify"

# --- info --------------------------------------------------------------------
expect_status 1 "info of a file that is not an image" "$mpickpt" info "$root/job-a/job.json"
out_has "not a valid image" "info"
expect_status 1 "info of a missing file" "$mpickpt" info "$tmp/none.img"
one_line_error "info of a missing file"
grep -qF "$tmp/none.img" "$tmp/err" || fail "info: the error does not name the file"

# --- usage ---------------------------------------------------------------------
expect_status 1 "list of a missing directory" "$mpickpt" list "$tmp/none"
one_line_error "list of a missing directory"
for bad in "" "frobnicate" "list" "list a b" "verify --bogus $root" \
    "verify $root --epoch" "verify $root --epoch x" "verify $root --epoch -1" "info"; do
    expect_status 2 "mpickpt $bad" "$mpickpt" $bad
    one_line_error "mpickpt $bad"
done
expect_status 0 "mpickpt --help" "$mpickpt" --help
out_has "Usage: mpickpt COMMAND" "--help"
for cmd in list verify info; do
    expect_status 0 "mpickpt $cmd --help" "$mpickpt" "$cmd" --help
    out_has "Usage: mpickpt $cmd" "$cmd --help"
    out_has "Exit status" "$cmd --help"
done

echo "PASS admin_cli"
