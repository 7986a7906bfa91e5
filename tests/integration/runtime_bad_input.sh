#!/bin/sh
# tests/integration/runtime_bad_input.sh — what mpickpt says when it is
# given something it cannot run, and the MPI calls it must refuse or limit.
#
# A bad option, a bad --protocol or MPICKPT_PROTOCOL (checked by
# mpickpt-run, or by the plugin's MPI_Init when only the plugin is
# preloaded), a missing program, a non-executable file and a statically
# linked program must each stop the rank before MPI_Init with exit status 2
# and one line on stderr naming what is wrong. Each case is run once
# directly, where the status and the single line can be checked exactly,
# and once under mpirun, whose own status is then the first failed rank's
# (2 with Open MPI 4.1; the test only requires non-zero) and whose output
# adds mpirun's report, so there the line only has to be present.
# Also: MPI_Comm_rank before MPI_Init is stopped with a clear line;
# MPI_Init_thread(MPI_THREAD_MULTIPLE) is granted MPI_THREAD_SERIALIZED;
# --help and --version work.
. "$top_srcdir/tests/lib.sh"

make_tmpdir
keeper=$MPICKPT_KEEPER
app="$top_builddir/apps/nqueens"
static="$top_builddir/tests/programs/static_hello"

# has_line_like FILE PATTERN — some line of FILE matches the glob PATTERN.
has_line_like() {
    while IFS= read -r line; do
        # $2 is a glob pattern: unquoted on purpose.
        case $line in $2) return 0 ;; esac
    done <"$1"
    return 1
}

# rejected_directly WHAT PATTERN COMMAND... — COMMAND, run without mpirun,
# must exit with status 2, print nothing on stdout and exactly one line on
# stderr, matching the glob PATTERN.
rejected_directly() {
    what=$1
    pattern=$2
    shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    check_not_hung $rc "$what"
    [ $rc -eq 2 ] || fail "$what: exit status $rc, expected 2; stderr: $(cat "$tmp/err")"
    [ ! -s "$tmp/out" ] || fail "$what: unexpected stdout: $(cat "$tmp/out")"
    [ "$(wc -l <"$tmp/err")" -eq 1 ] && has_line_like "$tmp/err" "$pattern" ||
        fail "$what: expected one line like '$pattern' on stderr, got: $(cat "$tmp/err")"
    echo "ok: $what: exit status 2, $(cat "$tmp/err")"
}

# rejected_by_job WHAT PATTERN NP MPIRUN-ARGS... — the job run_mpi starts
# must end with a non-zero status, and its output (stdout and stderr
# together) must have a line matching the glob PATTERN. Every rank prints
# the line, so it comes out whole only if each rank writes it in a single
# write(); a line cut by another rank's output counts as missing.
rejected_by_job() {
    what=$1
    pattern=$2
    np=$3
    shift 3
    run_mpi "$np" "$@" >"$tmp/out" 2>&1
    rc=$?
    check_not_hung $rc "$what"
    [ $rc -ne 0 ] || fail "$what: exit status 0, expected an error"
    has_line_like "$tmp/out" "$pattern" ||
        fail "$what: no line like '$pattern' in the output: $(cat "$tmp/out")"
    echo "ok: $what: exit status $rc and the line"
}

# (a) An unknown option.
bad_option="mpickpt-run: unknown option '--bogus'*"
rejected_directly "unknown option" "$bad_option" run_bounded "$keeper" --bogus -- "$app" 8
rejected_by_job "unknown option, np=2" "$bad_option" 2 \
    -x MPICKPT_PLUGIN "$keeper" --bogus -- "$app" 8

# (b) A protocol nobody implements, as a flag and as a variable, in both
# entry points. The list of accepted values grows with the protocols, so
# only "none" is required in it.
bad_flag="mpickpt-run: invalid --protocol 'bogus': accepted values are *none*"
rejected_directly "--protocol=bogus" "$bad_flag" \
    run_bounded "$keeper" --protocol=bogus -- "$app" 8
rejected_by_job "--protocol=bogus, np=2" "$bad_flag" 2 \
    -x MPICKPT_PLUGIN "$keeper" --protocol=bogus -- "$app" 8

bad_env="mpickpt-run: invalid MPICKPT_PROTOCOL 'bogus': accepted values are *none*"
rejected_directly "MPICKPT_PROTOCOL=bogus (mpickpt-run)" "$bad_env" \
    run_bounded env MPICKPT_PROTOCOL=bogus "$keeper" -- "$app" 8
# mpirun hands its environment to the ranks it starts on this node.
(
    export MPICKPT_PROTOCOL=bogus
    rejected_by_job "MPICKPT_PROTOCOL=bogus (mpickpt-run), np=2" "$bad_env" 2 \
        -x MPICKPT_PLUGIN "$keeper" -- "$app" 8
) || exit 1

bad_env_plugin="mpickpt: invalid MPICKPT_PROTOCOL 'bogus': accepted values are *none*"
rejected_directly "MPICKPT_PROTOCOL=bogus (preload)" "$bad_env_plugin" \
    run_bounded env LD_PRELOAD="$MPICKPT_PLUGIN" MPICKPT_PROTOCOL=bogus "$app" 8
(
    export MPICKPT_PROTOCOL=bogus
    rejected_by_job "MPICKPT_PROTOCOL=bogus (preload), np=2" "$bad_env_plugin" 2 \
        -x LD_PRELOAD="$MPICKPT_PLUGIN" -x MPICKPT_KEEPER "$app" 8
) || exit 1

# (c) No program, a missing one (by path and by PATH lookup), a file that
# is not executable.
rejected_directly "no program" "mpickpt-run: no program given*" run_bounded "$keeper" --
missing="$tmp/no-such-program"
rejected_directly "missing program" "mpickpt-run: cannot run $missing: no such program" \
    run_bounded "$keeper" -- "$missing"
rejected_directly "missing program in PATH" \
    "mpickpt-run: cannot run mpickpt-no-such-program: no such program" \
    run_bounded "$keeper" -- mpickpt-no-such-program
rejected_by_job "missing program, np=2" "mpickpt-run: cannot run $missing: no such program" 2 \
    -x MPICKPT_PLUGIN "$keeper" -- "$missing"
plain="$tmp/not-executable"
printf '#!/bin/sh\nexit 0\n' >"$plain"
chmod 644 "$plain"
rejected_directly "non-executable file" \
    "mpickpt-run: cannot run $plain: not an executable file" run_bounded "$keeper" -- "$plain"

# (d) A statically linked program: the plugin cannot be preloaded into it,
# so running it would silently bypass mpickpt.
"$static" >"$tmp/out" && [ "$(cat "$tmp/out")" = "static_hello: ran" ] ||
    fail "$static does not run by itself"
static_line="mpickpt-run: cannot run $static: it is statically linked, so libmpickpt.so cannot be preloaded*"
rejected_directly "static program" "$static_line" run_bounded "$keeper" -- "$static"
rejected_by_job "static program, np=2" "$static_line" 2 \
    -x MPICKPT_PLUGIN "$keeper" -- "$static"

# (e) An MPI call before MPI_Init, in both entry points.
for mode in $(mpickpt_modes); do
    run_mode "$mode" 2 "$top_builddir/tests/programs/early_call" >"$tmp/out" 2>&1
    rc=$?
    check_not_hung $rc "early MPI_Comm_rank ($mode)"
    [ $rc -ne 0 ] || fail "early MPI_Comm_rank ($mode): exit status 0: $(cat "$tmp/out")"
    has_line "$tmp/out" "mpickpt: MPI_Comm_rank called before MPI_Init" ||
        fail "early MPI_Comm_rank ($mode): no 'called before MPI_Init' line: $(cat "$tmp/out")"
    echo "ok: early MPI_Comm_rank ($mode): exit status $rc and the line"
done

# (f) MPI_THREAD_MULTIPLE is asked for, MPI_THREAD_SERIALIZED granted:
# the compute process has a single channel to its keeper. Natively any
# level is fine; the run only checks that the program works.
prog="$top_builddir/tests/programs/thread_level"
out=$(run_mode native 2 "$prog") || fail "thread_level (native): exit status $?"
case $out in
"thread_level provided="*) ;;
*) fail "thread_level (native): unexpected output: $out" ;;
esac
for mode in $(mpickpt_modes); do
    for np in 1 2; do
        out=$(run_mode "$mode" "$np" "$prog")
        rc=$?
        check_not_hung $rc "thread_level np=$np ($mode)"
        [ $rc -eq 0 ] && [ "$out" = "thread_level provided=MPI_THREAD_SERIALIZED" ] ||
            fail "thread_level np=$np ($mode): exit status $rc, output: $out"
        echo "ok: thread_level np=$np ($mode): $out"
    done
done

# (g) --help and --version.
run_bounded "$keeper" --help >"$tmp/out" 2>"$tmp/err" || fail "mpickpt-run --help: exit status $?"
grep -q '^Usage: ' "$tmp/out" && [ ! -s "$tmp/err" ] ||
    fail "mpickpt-run --help: no Usage line, or stderr: $(cat "$tmp/out" "$tmp/err")"
out=$(run_bounded "$keeper" --version) || fail "mpickpt-run --version: exit status $?"
case $out in
"mpickpt-run "[0-9]*) ;;
*) fail "mpickpt-run --version: unexpected output: $out" ;;
esac
echo "ok: --help, --version ($out)"
