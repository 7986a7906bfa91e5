#!/bin/sh
# scripts/test.sh — the README's test command: installs missing Debian
# packages, builds with warnings as errors, runs `make check` (unit and
# integration tests) and ends with one summary line "mpickpt: N passed, N failed".
# Exit status 0 only when every test passed.
. "$(dirname "$0")/setup.sh"

install_missing_packages
build_tree --enable-werror
cd "$build" || exit 1
say "running make check"
start=$(date +%s)
make -j"$(nproc)" check >check.out 2>&1
status=$?
elapsed=$(( $(date +%s) - start ))

count() { sed -n "s/^# $1: *\([0-9]*\)/\1/p" test-suite.log 2>/dev/null | head -1; }
if [ -f test-suite.log ]; then
    pass=$(count PASS); fail=$(count FAIL); error=$(count ERROR); xpass=$(count XPASS)
    failed=$(( ${fail:-0} + ${error:-0} + ${xpass:-0} ))
    grep -E '^(FAIL|ERROR|XPASS):' check.out
    [ "$failed" -gt 0 ] && sed -n '/^=\{10,\}$/,$p' test-suite.log | tail -80
else
    pass=0; failed=1
    tail -30 check.out
fi
[ $status -ne 0 ] && [ "$failed" -eq 0 ] && { tail -30 check.out; failed=1; }
echo "make check took ${elapsed} s (logs: build/check.out, build/test-suite.log)"
echo "mpickpt: ${pass:-0} passed, $failed failed"
[ $status -eq 0 ] && [ "$failed" -eq 0 ]
