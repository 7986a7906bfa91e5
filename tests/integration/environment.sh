#!/bin/sh
# tests/integration/environment.sh — tests/mpi/environment at every thread
# level (np 1 and 4), in every mode (native, under mpickpt-run, preloaded),
# and its usage error.
#
# Each --thread=<level> run must exit 0 and print exactly
# "PASS environment np=<n>" (under mpickpt, MULTIPLE is granted as
# SERIALIZED, which the program accepts as MPI allows). Without an argument, or with an unknown level,
# the program must print one usage line on stderr, nothing on stdout, and
# exit with status 2 (it does so before initializing MPI).
. "$top_srcdir/tests/lib.sh"

prog="$top_builddir/tests/mpi/environment"
errors=$(mktemp) || fail "mktemp"
trap 'rm -f "$errors"' EXIT

for mode in $MPICKPT_TEST_MODES; do
    for level in single funneled serialized multiple; do
        for np in 1 4; do
            out=$(run_mode "$mode" "$np" "$prog" --thread="$level")
            status=$?
            if [ $status -ne 0 ] || [ "$out" != "PASS environment np=$np" ]; then
                fail "$mode --thread=$level np=$np: exit status $status, output: $out"
            fi
            echo "ok: $mode --thread=$level $out"
        done
    done
done

for args in "" --thread=bogus; do
    # $args is split on purpose: "" must pass no argument at all.
    out=$(run_mpi 1 "$prog" $args 2>"$errors")
    status=$?
    [ $status -eq 2 ] || fail "arguments '$args': exit status $status, expected 2"
    [ -z "$out" ] || fail "arguments '$args': unexpected stdout: $out"
    [ "$(grep -c '^usage: .*--thread=' "$errors")" -eq 1 ] ||
        fail "arguments '$args': expected one usage line, got: $(cat "$errors")"
done
echo "ok: usage errors"
