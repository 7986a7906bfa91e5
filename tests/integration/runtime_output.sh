#!/bin/sh
# tests/integration/runtime_output.sh — the application's stdout and
# stderr pass through mpickpt unchanged.
#
# tests/programs/output writes 1 MiB of numbered lines on rank 0's stdout,
# numbered lines on stderr from rank 0 and the last rank, a line left in
# stdio's buffer when MPI_Finalize is called, lines after MPI_Finalize, and
# a last stdout line without a line feed. At np 1, 2 and 4, in every mode:
# stdout must be exactly the expected bytes (so, in the mpickpt modes,
# byte-identical to native), and each rank's stderr lines must all be
# there, whole and in order, with nothing else on stderr. Only one rank
# writes stdout and lines are compared per rank on stderr, because mpirun
# interleaves the output of different ranks as it pleases.
. "$top_srcdir/tests/lib.sh"

make_tmpdir
prog="$top_builddir/tests/programs/output"

# The numbers below are the constants of tests/programs/output.c.
awk 'BEGIN {
    for (i = 1; i <= 65536; i++)
        printf "line %010d\n", i
    printf "before finalize\nafter finalize\nend without newline"
}' >"$tmp/expected.out"

# expect_rank_err RANK LINES AFTER — what RANK writes to stderr: LINES
# numbered lines, then the after-finalize line if AFTER is yes.
expect_rank_err() {
    awk -v r="$1" -v n="$2" -v after="$3" 'BEGIN {
        for (i = 1; i <= n; i++)
            printf "err rank %d line %d\n", r, i
        if (after == "yes")
            printf "err rank %d after finalize\n", r
    }'
}

# check_stderr FILE NP WHAT — each writing rank's lines, in order, and no
# other line.
check_stderr() {
    last=$(($2 - 1))
    expect_rank_err 0 16 no >"$tmp/expected.err0"
    grep '^err rank 0 ' "$1" >"$tmp/err0"
    same_file "$tmp/expected.err0" "$tmp/err0" "$3: rank 0's stderr" || return 1
    total=16
    if [ "$last" -gt 0 ]; then
        expect_rank_err "$last" 100 yes >"$tmp/expected.errN"
        grep "^err rank $last " "$1" >"$tmp/errN"
        same_file "$tmp/expected.errN" "$tmp/errN" "$3: rank $last's stderr" || return 1
        total=$((total + 101))
    fi
    lines=$(wc -l <"$1")
    [ "$lines" -eq $total ] || {
        echo "$3: $lines lines on stderr, expected $total:" >&2
        grep -v '^err rank ' "$1" | head -n 20 >&2
        return 1
    }
}

status=0
for np in 1 2 4; do
    run_mode native "$np" "$prog" >"$tmp/native.out" 2>"$tmp/native.err"
    rc=$?
    check_not_hung $rc "np=$np (native)"
    [ $rc -eq 0 ] || fail "np=$np (native): exit status $rc: $(head -n 20 "$tmp/native.err")"
    same_file "$tmp/expected.out" "$tmp/native.out" "np=$np (native) stdout" &&
        check_stderr "$tmp/native.err" "$np" "np=$np (native)" ||
        fail "np=$np (native): the reference run is wrong; is tests/programs/output.c in step?"
    for mode in $(mpickpt_modes); do
        run_mode "$mode" "$np" "$prog" >"$tmp/$mode.out" 2>"$tmp/$mode.err"
        rc=$?
        check_not_hung $rc "np=$np ($mode)"
        if [ $rc -ne 0 ]; then
            echo "FAIL: np=$np ($mode): exit status $rc, stderr:" >&2
            grep -v '^err rank ' "$tmp/$mode.err" | head -n 20 >&2
            status=1
        elif same_file "$tmp/native.out" "$tmp/$mode.out" "np=$np ($mode) stdout" &&
            check_stderr "$tmp/$mode.err" "$np" "np=$np ($mode)"; then
            echo "ok: np=$np ($mode): stdout as native, stderr complete and in order"
        else
            status=1
        fi
    done
done
exit $status
