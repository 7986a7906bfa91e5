#!/bin/sh
# restart_bad_input.sh — mpickpt-restart's checks and the mpirun command
# line it builds, without running a restart. Every refusal must exit 2 with
# one line on stderr naming the reason, print nothing on stdout, and leave
# the job directory exactly as it was (tree_state before and after):
#   - the command line: no job directory, an unknown option, two directories;
#   - the directory: an empty string, missing, a regular file, empty, foreign
#     (files but no job.json; /etc), the checkpoint root above the job, a
#     damaged job.json;
#   - rank counts in the mpirun options other than the job's (-np, --np, -n,
#     --n, -c), "=" forms mpirun does not take, a missing or bad count;
#   - no valid committed checkpoint (none committed; every one corrupted);
#   - the program changed since the checkpoint, then gone.
# --dry-run gives the command line: mpirun -np <job.json's np>, the job's
# MPICKPT_* settings, the extra options passed through (a matching rank
# count once), the keeper with --restart=JOBDIR.
# One real job makes the job directory (ckpt_app from a copy of the binary,
# killed after its first committed checkpoint); the other cases are copies
# of it, edited. The np = 4 cases rewrite job.json, which needs xxh64sum:
# without it they are skipped and so is the test (exit 77) once the rest
# has passed.
. "${top_srcdir:-.}/tests/lib.sh"
. "${top_srcdir:-.}/tests/ckpt_lib.sh"
MPICKPT_TEST_TIMEOUT=30
make_tmpdir
# A failure while the job runs must not leave it running.
trap '[ -n "${job_pid:-}" ] && alive "$job_pid" && kill_job; rm -rf "$tmp"' EXIT
restart=$ckpt_restart_cmd

# expect_refused WHAT PHRASE DIR ARGS... — mpickpt-restart ARGS exits 2
# with exactly one line on stderr, containing PHRASE, and nothing on
# stdout; DIR (unless "") is unchanged. Its mpirun is false: a check that
# fails to refuse ends with status 1 instead of starting a job.
expect_refused() {
    what=$1 phrase=$2 dir=$3
    shift 3
    [ -z "$dir" ] || tree_state "$dir" >"$tmp/before"
    run_bounded env MPIRUN=false "$restart" "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 2 ] || { cat "$tmp/err" >&2; fail "$what: exit status $rc, not 2"; }
    [ "$(wc -l <"$tmp/err")" -eq 1 ] ||
        { cat "$tmp/err" >&2; fail "$what: not one line on stderr"; }
    grep -qF -- "$phrase" "$tmp/err" || { cat "$tmp/err" >&2; fail "$what: no \"$phrase\""; }
    [ -s "$tmp/out" ] && fail "$what: output on stdout"
    expect_unchanged "$what" "$dir"
}

# expect_unchanged WHAT DIR — DIR (unless "") is as $tmp/before recorded it.
expect_unchanged() {
    [ -z "$2" ] && return 0
    tree_state "$2" >"$tmp/after"
    same_file "$tmp/before" "$tmp/after" "$1: the job directory" || fail "$1: job directory changed"
}

# dry_run WHAT JOBDIR [MPIRUN-OPTIONS...] — mpickpt-restart --dry-run exits
# 0 with one line on stdout, nothing on stderr, JOBDIR unchanged; the
# line's words, as a shell reads them, go to $tmp/words, one a line.
dry_run() {
    what=$1 dir=$2
    shift 2
    tree_state "$dir" >"$tmp/before"
    run_bounded "$restart" --dry-run "$dir" -- "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc -eq 0 ] || { cat "$tmp/err" >&2; fail "$what: exit status $rc"; }
    [ -s "$tmp/err" ] && { cat "$tmp/err" >&2; fail "$what: output on stderr"; }
    [ "$(wc -l <"$tmp/out")" -eq 1 ] || { cat "$tmp/out" >&2; fail "$what: not one line"; }
    expect_unchanged "$what" "$dir"
    (eval "set -- $(cat "$tmp/out")" && printf '%s\n' "$@") >"$tmp/words" ||
        fail "$what: the command line does not parse as shell words"
}

# expect_command WHAT NP JOBDIR OPTIONS... — the words of the last dry_run
# are the job's settings (NAME=value), then mpirun -np NP, -x for each
# setting, OPTIONS, the keeper and --restart=JOBDIR; and no other
# rank-count option.
expect_command() {
    what=$1 np=$2 dir=$3
    shift 3
    awk -v mpirun="$MPIRUN" '$0 == mpirun { exit } { print }' "$tmp/words" >"$tmp/settings"
    grep -q '^MPICKPT_INTERVAL=1s$' "$tmp/settings" || fail "$what: no MPICKPT_INTERVAL=1s setting"
    {
        cat "$tmp/settings"
        printf '%s\n' "$MPIRUN" -np "$np"
        sed 's/=.*//; s/^/-x\n/' "$tmp/settings"
        printf '%s\n' "$@" "$MPICKPT_KEEPER" "--restart=$dir"
    } >"$tmp/expected"
    same_file "$tmp/expected" "$tmp/words" "$what: command line" || fail "$what: command line"
    [ "$(grep -cxE -- '-np|--np|-n|--n|-c' "$tmp/words")" -eq 1 ] || fail "$what: rank count twice"
}

# ---- a real job directory ---------------------------------------------------
mkdir "$tmp/prog"
cp "$top_builddir/tests/programs/ckpt_app" "$tmp/prog/ckpt_app" || fail "copy ckpt_app"
prog=$(cd "$tmp/prog" && pwd -P)/ckpt_app
start_job "$tmp/ck" "$prog" "$tmp/run.txt" 1000000
wait_committed "$tmp/ck" 1
kill_job
job=$(job_dir "$tmp/ck")
job=${job%/}
[ -n "$job" ] || fail "no job directory under $tmp/ck"
id=$(basename "$job")
copy_job() { mkdir "$tmp/$1" && cp -a "$job" "$tmp/$1/$id" && echo "$tmp/$1/$id"; }

# ---- the command line ----------------------------------------------------------
expect_refused "no arguments" "no job directory" ""
expect_refused "unknown option" "unknown option --frobnicate" "$job" --frobnicate "$job"
expect_refused "two directories" "a second job directory, $tmp" "$job" "$job" "$tmp"
run_bounded "$restart" --help >"$tmp/help" 2>&1 || fail "--help: exit status $?"
for phrase in "--dry-run" "-np N" "--oversubscribe" "exit status 2" "changed since"; do
    grep -qF -- "$phrase" "$tmp/help" || fail "--help does not mention $phrase"
done

# ---- the directory -------------------------------------------------------------
expect_refused "empty string" "the job directory is an empty string" "" ""
expect_refused "missing directory" "cannot restart $tmp/none: No such file or directory" "" \
    "$tmp/none"
echo x >"$tmp/file"
expect_refused "regular file" "$tmp/file is not a directory" "$tmp/file" "$tmp/file"
mkdir "$tmp/empty"
expect_refused "empty directory" "$tmp/empty is not an mpickpt job directory (it is empty)" \
    "$tmp/empty" "$tmp/empty"
mkdir -p "$tmp/foreign/sub"
echo data >"$tmp/foreign/notes.txt"
echo more >"$tmp/foreign/sub/job.txt"
expect_refused "foreign directory" "$tmp/foreign is not an mpickpt job directory (no job.json)" \
    "$tmp/foreign" "$tmp/foreign"
expect_refused "/etc" "/etc is not an mpickpt job directory (no job.json)" "" /etc
expect_refused "checkpoint root" "checkpoint directory with one job: restart $tmp/ck/$id" \
    "$tmp/ck" "$tmp/ck"
damaged=$(copy_job damaged)
sed -i 's/"np": 1,/"np": 2,/' "$damaged/job.json"
expect_refused "damaged job.json" "$damaged/job.json: checksum mismatch" "$damaged" "$damaged"

# ---- rank counts ------------------------------------------------------------------
for opt in -np --np -n --n -c; do
    expect_refused "$opt 2" \
        "the job ran on 1 rank; $opt 2 asks for 2: a job restarts on the rank count" \
        "$job" "$job" -- --oversubscribe "$opt" 2
done
expect_refused "--np=1" "mpirun takes no --np=1: write --np 1" "$job" "$job" -- --np=1
expect_refused "-np=1" "mpirun takes no -np=1: write -np 1" "$job" "$job" -- -np=1
expect_refused "-np x" "-np x: not a rank count" "$job" "$job" -- -np x
expect_refused "-np last" "-np needs a rank count" "$job" "$job" -- --bind-to none -np

dry_run "np = 1, no options" "$job"
expect_command "np = 1, no options" 1 "$job"
dry_run "np = 1, options" "$job" --oversubscribe -np 1 --bind-to none -x "A=a b" -x "B=it's"
expect_command "np = 1, options" 1 "$job" --oversubscribe --bind-to none -x "A=a b" -x "B=it's"

skipped=""
np4=$(copy_job np4)
if job_json_edit "$np4" 's/"np": 1,/"np": 4,/'; then
    dry_run "np = 4" "$np4" --oversubscribe --bind-to none -x FOO
    expect_command "np = 4" 4 "$np4" --oversubscribe --bind-to none -x FOO
    dry_run "np = 4, -n 4" "$np4" -n 4 --oversubscribe
    expect_command "np = 4, -n 4" 4 "$np4" --oversubscribe
    expect_refused "np = 4, -np 2" \
        "the job ran on 4 ranks; -np 2 asks for 2: a job restarts on the rank count it was" \
        "$np4" "$np4" -- -np 2
else
    skipped="the np = 4 cases (no xxh64sum to rewrite job.json: install xxhash)"
fi

# ---- no valid committed checkpoint ------------------------------------------------
uncommitted=$(copy_job uncommitted)
rm "$uncommitted"/epochs/*/COMMITTED
expect_refused "nothing committed" "$uncommitted has no valid committed checkpoint" \
    "$uncommitted" "$uncommitted"
corrupted=$(copy_job corrupted)
# One byte changed, not the size: only the full check (every byte) sees it.
for img in "$corrupted"/epochs/*/rank-0.img; do flip_byte "$img" $(($(wc -c <"$img") / 2)); done
tree_state "$corrupted" >"$tmp/before"
run_bounded env MPIRUN=false "$restart" "$corrupted" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] || fail "every epoch corrupted: not refused with exit status 2"
epochs=$(ls "$corrupted"/epochs/*/COMMITTED | wc -l)
[ "$(grep -c "is not a usable recovery line" "$tmp/err")" -eq "$epochs" ] &&
    tail -n 1 "$tmp/err" | grep -q "$corrupted has no valid committed checkpoint" &&
    [ "$(wc -l <"$tmp/err")" -eq $((epochs + 1)) ] ||
    { cat "$tmp/err" >&2; fail "every epoch corrupted: not one line per epoch and the refusal"; }
expect_unchanged "every epoch corrupted" "$corrupted"

# ---- the program -----------------------------------------------------------------
printf x >>"$prog"
expect_refused "changed program" "$prog changed since it was checkpointed (its XXH64 is" \
    "$job" "$job"
rm "$prog"
expect_refused "missing program" "the job's program $prog is missing" "$job" "$job"

if [ -n "$skipped" ]; then
    echo "SKIP: $skipped"
    exit 77
fi
echo "restart_bad_input: every refusal exits 2 with its line; the command line is right"
