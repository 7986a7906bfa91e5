#!/bin/sh
# tests/integration/runtime_apps.sh — Johnson's three programs run
# unchanged under mpickpt: nqueens 10, tsp --cities 9 --seed 3, gauss
# --n 200 and gauss --n 200 --collectives at np 1, 2, 4 and 8 must exit 0
# and print on stdout exactly the bytes the native run of the same test
# printed, under mpickpt-run (mode run) and with only the plugin preloaded
# (mode preload). stderr is not compared: the programs print their timing
# there. Every case is run and reported before the test fails, so one log
# shows all that differ.
. "$top_srcdir/tests/lib.sh"

make_tmpdir
status=0

for spec in "nqueens 10" "tsp --cities 9 --seed 3" "gauss --n 200" \
    "gauss --n 200 --collectives"; do
    # $spec is split on purpose: the program, then its arguments.
    set -- $spec
    prog="$top_builddir/apps/$1"
    shift
    for np in 1 2 4 8; do
        run_mode native "$np" "$prog" "$@" >"$tmp/native" 2>"$tmp/native.err"
        rc=$?
        check_not_hung $rc "$spec np=$np (native)"
        [ $rc -eq 0 ] || fail "$spec np=$np (native): exit status $rc: $(cat "$tmp/native.err")"
        for mode in $(mpickpt_modes); do
            run_mode "$mode" "$np" "$prog" "$@" >"$tmp/$mode" 2>"$tmp/$mode.err"
            rc=$?
            check_not_hung $rc "$spec np=$np ($mode)"
            if [ $rc -ne 0 ]; then
                echo "FAIL: $spec np=$np ($mode): exit status $rc, stderr:" >&2
                head -n 20 "$tmp/$mode.err" >&2
                status=1
            elif ! same_file "$tmp/native" "$tmp/$mode" "$spec np=$np ($mode)"; then
                status=1
            else
                echo "ok: $spec np=$np ($mode) prints what native prints"
            fi
        done
    done
done
exit $status
