#!/bin/sh
# bench/run-images.sh — process images (issue 4): what a checkpoint of a
# process with 100 MiB and 1 GiB of resident memory costs, and zstd against
# gzip -1 and an uncompressed copy on the same memory, in the same run.
#
#   bench/run-images.sh [--quick] [--runs=N] [--write[=FILE]] [--dir=DIR] [BUILD_DIR]
#
# Each run of a size is one bench/image_bench process (see its header for
# the memory it holds and what it measures): the app's pause and the write
# time of a capture with each zstd setting (level 1 and 3, 0, 1 and 2
# worker threads, in an order rotated every run), one restore with
# mpickpt-restore of the default setting's image (level 1, 1 worker: what
# mpickpt-run picks for one rank on this 2-core machine), zstd alone in
# memory, and the same memory dumped raw to a file. The driver then times,
# on that file, in alternating order:
#   dd if=RAW of=DIR/dd.out bs=1M conv=fsync           (uncompressed write)
#   gzip -1 -c RAW >DIR/gzip.out && sync DIR/gzip.out  (DMTCP's default)
# Reported: medians of --runs runs, and the issue's targets met or not.
# Images and files go to a fresh directory under DIR (default: ${TMPDIR:-/tmp}),
# removed at the end. --quick: one run of 8 and 32 MiB (under a minute).
# A full run takes about 7 minutes on the 2-core VM and needs 3 GiB free in DIR.

# --dir=DIR is this driver's own option; lib.sh parses the others.
images_command="$0${*:+ $*}"
images_parent=${TMPDIR:-/tmp}
n_args=$#
for arg in "$@"; do
    case $arg in
    --dir=*) images_parent=${arg#--dir=} ;;
    *) set -- "$@" "$arg" ;;
    esac
done
shift $n_args
. "$(dirname "$0")/lib.sh"
bench_parse_args "$@"
bench_command=$images_command

image_bench="$top_builddir/bench/image_bench"
[ -x "$image_bench" ] || bench_die "no $image_bench: build the tree first (make)"
[ -x "$MPICKPT_RESTORE" ] || bench_die "no $MPICKPT_RESTORE: build the tree first (make)"
command -v gzip >/dev/null || bench_die "gzip is not installed"
imgdir=$(mktemp -d "$images_parent/mpickpt-images.XXXXXX") ||
    bench_die "cannot create a directory for the images in $images_parent"
trap 'rm -rf "$bench_tmp" "$imgdir"' EXIT
raw="$imgdir/raw.bin"

# Sizes (MiB of resident memory) and the zstd settings image_bench captures
# with, default first ("level workers").
if [ $bench_quick = yes ]; then sizes="8 32"; else sizes="100 1024"; fi
settings="1 1
1 0
1 2
3 0
3 1
3 2"

# elapsed_ns START END — nanoseconds between two bench_now readings.
elapsed_ns() {
    awk -v s="$1" -v e="$2" 'BEGIN { printf "%.0f\n", (e - s) * 1e9 }'
}

# time_dd RECORDS — copies the raw dump with dd, fsync included; appends
# "dd NS BYTES" to RECORDS.
time_dd() {
    start=$(bench_now)
    dd if="$raw" of="$imgdir/dd.out" bs=1M conv=fsync 2>"$bench_tmp/err" ||
        bench_die "dd failed: $(tail -n 3 "$bench_tmp/err")"
    end=$(bench_now)
    echo "dd $(elapsed_ns "$start" "$end") $(stat -c %s "$imgdir/dd.out")" >>"$1"
    rm -f "$imgdir/dd.out"
}

# time_gzip RECORDS — compresses the raw dump with gzip -1 and syncs the
# result; appends "gzip NS BYTES" to RECORDS.
time_gzip() {
    start=$(bench_now)
    { gzip -1 -c "$raw" >"$imgdir/gzip.out" && sync "$imgdir/gzip.out"; } 2>"$bench_tmp/err" ||
        bench_die "gzip -1 failed: $(tail -n 3 "$bench_tmp/err")"
    end=$(bench_now)
    echo "gzip $(elapsed_ns "$start" "$end") $(stat -c %s "$imgdir/gzip.out")" >>"$1"
    rm -f "$imgdir/gzip.out"
}

# run_round SIZE RUN — one image_bench process, then dd and gzip on its
# raw dump; every record goes to $bench_tmp/SIZE.records.
run_round() {
    records="$bench_tmp/$1.records"
    # A fresh file for image_bench's stdout: a restored process reopens a
    # regular-file stdout at its checkpoint-time size.
    run_bounded "$image_bench" --mib "$1" --dir "$imgdir" --raw "$raw" --round "$2" \
        --restorer "$MPICKPT_RESTORE" </dev/null >"$bench_tmp/round.out" 2>"$bench_tmp/round.err" ||
        bench_die "image_bench --mib $1 failed: $(tail -n 5 "$bench_tmp/round.err")"
    cat "$bench_tmp/round.out" >>"$records"
    if [ $(($2 % 2)) -eq 1 ]; then
        time_dd "$records"
        time_gzip "$records"
    else
        time_gzip "$records"
        time_dd "$records"
    fi
    rm -f "$raw"
}

# med RECORDS KEY FIELD [LEVEL WORKERS] — the median of field FIELD of the
# records KEY (of that zstd setting, when given).
med() {
    awk -v k="$2" -v f="$3" -v l="${4-}" -v w="${5-}" \
        '$1 == k && (l == "" || ($2 == l && $3 == w)) { print $f }' "$1" | bench_median ||
        bench_die "no '$2' record in $1"
}

# figures SIZE — the medians of one size as shell assignments (eval'd).
figures() {
    r="$bench_tmp/$1.records"
    echo "resident=$(med "$r" resident 2) fork=$(med "$r" fork 2)"
    echo "pause=$(med "$r" capture 4 1 1) write=$(med "$r" capture 5 1 1)"
    echo "image=$(med "$r" capture 6 1 1) restore=$(med "$r" restore 4 1 1)"
    echo "rawb=$(med "$r" raw 2) dd=$(med "$r" dd 2) gzip_ns=$(med "$r" gzip 2)"
    echo "gzip_b=$(med "$r" gzip 3) mem_c=$(med "$r" zstd_mem 5) mem_d=$(med "$r" zstd_mem 6)"
    echo "mem_b=$(med "$r" zstd_mem 4) xxh_b=$(med "$r" xxh64 2) xxh_ns=$(med "$r" xxh64 3)"
    echo "fault_b=$(med "$r" fault 2) fault_ns=$(med "$r" fault 3)"
}

# size_name MIB — "100 MiB", "1 GiB".
size_name() {
    if [ $(($1 % 1024)) -eq 0 ]; then echo "$(($1 / 1024)) GiB"; else echo "$1 MiB"; fi
}

for size in $sizes; do
    for run in $(seq "$bench_runs"); do
        run_round "$size" "$run"
        echo "$0: $(size_name "$size"), run $run of $bench_runs done" >&2
    done
done

# Every figure below is computed by awk from medians: MiB and GiB are
# 2^20 and 2^30 bytes.
main_rows="$bench_tmp/main" comp_rows="$bench_tmp/comp" target_rows="$bench_tmp/targets"
why="$bench_tmp/why"
: >"$main_rows"
: >"$comp_rows"
: >"$target_rows"
: >"$why"
for size in $sizes; do
    eval "$(figures "$size")"
    for v in "$resident" "$fork" "$pause" "$write" "$image" "$restore" "$rawb" "$dd" \
        "$gzip_ns" "$gzip_b" "$mem_c" "$mem_d" "$mem_b" "$xxh_b" "$xxh_ns" "$fault_b" "$fault_ns"; do
        [ -n "$v" ] || bench_die "missing figures for $(size_name "$size")"
    done
    name=$(size_name "$size")
    awk -v n="$name" -v res="$resident" -v p="$pause" -v f="$fork" -v w="$write" \
        -v img="$image" -v rs="$restore" 'BEGIN {
        gib = res / 2^30
        printf "| %s | %.1f | %.2f | %.1f | %.2f | %.3f | %.0f | %.1f | %.3f | %.3f | %.2f |\n",
            n, res / 2^20, p / 1e6, p / 1e6 / gib, f / 1e6, w / 1e9, (res / 2^20) / (w / 1e9),
            img / 2^20, img / res, rs / 1e9, gib / (rs / 1e9)
    }' >>"$main_rows"
    {
        printf '\n%s resident (%s of it the workload, the file dd and gzip read):\n\n' \
            "$name" "$(awk -v b="$rawb" 'BEGIN { printf "%.1f MiB", b / 2^20 }')"
        echo "| method | output MiB | output / input | s | MiB/s of input |"
        echo "|---|---:|---:|---:|---:|"
        awk -v b="$rawb" -v t="$dd" 'BEGIN {
            printf "| uncompressed: `dd … bs=1M conv=fsync` | %.1f | 1.000 | %.3f | %.0f |\n",
                b / 2^20, t / 1e9, (b / 2^20) / (t / 1e9) }'
        awk -v b="$rawb" -v o="$gzip_b" -v t="$gzip_ns" 'BEGIN {
            printf "| `gzip -1 -c … && sync` | %.1f | %.3f | %.3f | %.0f |\n",
                o / 2^20, o / b, t / 1e9, (b / 2^20) / (t / 1e9) }'
        echo "$settings" | while read -r level workers; do
            w=$(med "$bench_tmp/$size.records" capture 5 "$level" "$workers")
            i=$(med "$bench_tmp/$size.records" capture 6 "$level" "$workers")
            awk -v l="$level" -v k="$workers" -v res="$resident" -v w="$w" -v i="$i" 'BEGIN {
                printf "| zstd -%d, %d worker%s: capture%s | %.1f | %.3f | %.3f | %.0f |\n",
                    l, k, (k == 1 ? "" : "s"), ((l == 1 && k == 1) ? " (default)" : ""),
                    i / 2^20, i / res, w / 1e9, (res / 2^20) / (w / 1e9) }'
        done
        awk -v b="$mem_b" -v t="$mem_c" -v d="$mem_d" 'BEGIN {
            printf "| zstd -1 in memory, one thread, no I/O: compress | – | – | %.3f | %.0f |\n",
                t / 1e9, (b / 2^20) / (t / 1e9)
            printf "| zstd -1 in memory, one thread: decompress | – | – | %.3f | %.0f |\n",
                d / 1e9, (b / 2^20) / (d / 1e9) }'
    } >>"$comp_rows"
    awk -v n="$name" -v res="$resident" -v p="$pause" -v w="$write" -v b="$rawb" -v dd="$dd" \
        -v rs="$restore" 'BEGIN {
        gib = res / 2^30
        pg = p / 1e6 / gib
        printf "| app pause ≤ 25 ms per GiB resident, %s | %.1f ms/GiB (%.2f ms) | %s |\n",
            n, pg, p / 1e6, (pg <= 25 ? "met" : "**not met**")
        ddr = (b / 2^20) / (dd / 1e9)
        need = (0.8 * ddr < 500) ? 0.8 * ddr : 500
        wr = (res / 2^20) / (w / 1e9)
        printf "| compressed write ≥ min(500, 80 %% of dd = %.0f) = %.0f MiB/s, %s | %.0f MiB/s | %s |\n",
            0.8 * ddr, need, n, wr, (wr >= need ? "met" : "**not met**")
        rr = gib / (rs / 1e9)
        printf "| restore ≥ 1 GiB/s from page cache, %s | %.2f GiB/s | %s |\n",
            n, rr, (rr >= 1 ? "met" : "**not met**")
    }' >>"$target_rows"
    # What the figures are made of, measured apart in the same runs and
    # scaled to the resident memory (or to the image, for its checksums).
    awk -v n="$name" -v res="$resident" -v p="$pause" -v f="$fork" -v w="$write" \
        -v img="$image" -v b="$rawb" -v dd="$dd" -v mb="$mem_b" -v mc="$mem_c" -v md="$mem_d" \
        -v xb="$xxh_b" -v xn="$xxh_ns" -v fb="$fault_b" -v fn="$fault_ns" -v rs="$restore" 'BEGIN {
        gib = res / 2^30
        printf "- %s, pause %.2f ms: a bare `_Fork()` of the same process takes %.2f ms (%.1f ms per GiB).\n",
            n, p / 1e6, f / 1e6, f / 1e6 / gib
        ct = mc / 1e9 * res / mb
        wt = img / (b / (dd / 1e9))
        printf "  Write %.2f s: zstd -1 alone compresses at %.0f MiB/s on one core (%.2f s for this memory), dd writes at %.0f MiB/s (%.2f s for this image); one after the other, %.2f s.\n",
            w / 1e9, (mb / 2^20) / (mc / 1e9), ct, (b / 2^20) / (dd / 1e9), wt, ct + wt
        xt = img / (xb / (xn / 1e9))
        dt = md / 1e9 * res / mb
        ft = fn / 1e9 * res / fb
        printf "  Restore %.2f s: checking the image'"'"'s checksums (XXH64 at %.1f GiB/s) %.2f s, decompressing (zstd alone, %.0f MiB/s) %.2f s, faulting in fresh zeroed pages (%.1f GiB/s) %.2f s; together %.2f s.\n",
            rs / 1e9, (xb / 2^30) / (xn / 1e9), xt, (mb / 2^20) / (md / 1e9), dt, (fb / 2^30) / (fn / 1e9), ft, xt + dt + ft
    }' >>"$why"
done

size_list=$(for size in $sizes; do size_name "$size"; done | sed '$!s/$/ or/' | tr '\n' ' ' | sed 's/ $//')
report="$bench_tmp/report.md"
{
    echo "A plain program (\`bench/image_bench\`, no MPI) holding $size_list"
    echo "of resident memory — half doubles of a smooth 2-D field with noise in"
    echo "the low mantissa bits, a quarter int32 column indices of a 7-point"
    echo "stencil matrix, a quarter random bytes; fixed seeds, the same bytes in"
    echo "every run — checkpoints itself with \`img_capture\` once per zstd"
    echo "setting and is restored once by \`mpickpt-restore\`; its memory, dumped"
    echo "raw to a file in the same directory, is copied with \`dd\` and"
    echo "compressed with \`gzip -1\` in the same run."
    echo
    bench_context | sed "s/^- Runs per configuration: .*/- Runs per configuration: $bench_runs, zstd settings in an order rotated each run, dd and gzip alternating; medians/"
    echo "- Images: \`$images_parent\` ($(df -PT "$imgdir" | awk 'NR == 2 { print $1 ", " $2 }')); transparent huge pages: $(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)"
    echo
    echo "Default setting (zstd -1, 1 worker): pause is \`img_capture_last_pause_ns()\`;"
    echo "write is \`img_capture()\` until \`img_capture_wait()\` reports the image"
    echo "committed (fsync and rename included), in MiB of resident memory per"
    echo "second; restore is from just before \`posix_spawn\` of \`mpickpt-restore\`"
    echo "to the restored process's first instruction after \`img_capture()\`"
    echo "returned \`IMG_CAPTURE_RESTORED\` (CLOCK_REALTIME both), image in the page cache."
    echo
    echo "| resident | MiB | pause ms | ms per GiB | bare fork ms | write s | MiB/s | image MiB | image / resident | restore s | GiB/s |"
    echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    cat "$main_rows"
    echo
    echo "Compressors on the same memory. Input is the resident memory for the"
    echo "captures (whole process: fork, page scan, write, fsync, rename), the raw"
    echo "file for dd and gzip (which read it from the page cache)."
    cat "$comp_rows"
    echo
    echo "| target (issue 4) | measured | |"
    echo "|---|---:|---|"
    cat "$target_rows"
    echo
    echo "Where the time goes (same runs):"
    echo
    cat "$why"
} >"$report"
cat "$report"
bench_write_section images "$report"
