/*
 * image_bench.c — one round of the process-image benchmark (issue 4),
 * driven by bench/run-images.sh: a plain program (no MPI) that fills a
 * given amount of memory with realistic content, checkpoints itself with
 * plugin/capture once per compression setting, restores itself once with
 * mpickpt-restore, and dumps the same memory raw for the driver's gzip and
 * dd comparisons.
 *
 *   image_bench --mib N --dir DIR --restorer PATH [--raw FILE] [--round R]
 *
 * The memory (resident N MiB in total, the program's own pages included;
 * generated from fixed seeds, so identical in every run):
 *   - 1/2 doubles of a smooth 2-D field (a few sine modes around 300,
 *     like a temperature), with noise of relative size about 1e-7 in the
 *     low mantissa bits, as simulation data has;
 *   - 1/4 int32 column indices of a 7-point stencil matrix in CSR form;
 *   - 1/4 bytes of a xorshift64* generator (incompressible).
 *
 * What one round does, in this order:
 *   1. bare fork: times _Fork() of this process (the child exits at once)
 *      FORK_SAMPLES times: the page-table copy a capture pays too;
 *   2. zstd alone: the workload compressed at level 1 in memory, in frames
 *      of MEM_FRAME bytes as the image writer cuts them, on this thread, and
 *      each frame decompressed again into one reused buffer: the speed of
 *      the compressor and decompressor without I/O, fork or page faults;
 *      then XXH64 over the workload (what verifying an image costs per
 *      byte) and the first touch of a fresh mapping of the workload's size
 *      (the page faults and zeroing a restore pays for its memory);
 *   3. one capture per setting of SETTINGS (zstd level x workers), in an
 *      order rotated by the round number; each is img_capture() until
 *      img_capture_wait() says the image is committed (fsync and rename
 *      included); every image but the default setting's is removed;
 *   4. the default setting's image is read once (page cache warm), then
 *      mpickpt-restore is started on it with posix_spawn: the restored
 *      process takes CLOCK_REALTIME right after img_capture() returned
 *      IMG_CAPTURE_RESTORED, checks its memory's checksum and writes both
 *      to DIR/restored.txt; the restore time is that timestamp minus the
 *      one taken just before posix_spawn;
 *   5. with --raw, the workload's memory is written to FILE and fsynced.
 * Then it prints one record a line on stdout (the driver's input):
 *   resident BYTES
 *   fork NS
 *   zstd_mem LEVEL RAW_BYTES COMPRESSED_BYTES COMPRESS_NS DECOMPRESS_NS
 *   xxh64 BYTES NS
 *   fault BYTES NS
 *   capture LEVEL WORKERS PAUSE_NS WRITE_NS IMAGE_BYTES
 *   restore LEVEL WORKERS RESTORE_NS
 *   raw BYTES
 *
 * Invariants: at every capture the only open descriptors are 0-2 (those
 * above are closed at start), and nothing has been written to them since
 * the first capture: a restored process reopens a regular-file stdout at
 * its size at checkpoint time, so anything written after the capture
 * would be cut off. Records are therefore kept in memory and printed at
 * the end. Every failure ends the program with a message saying what
 * failed, and a non-zero status.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zstd.h>

#include "plugin/capture/capture.h"
#include "storage/checksum.h"

extern char **environ;

#define MIB (1024u * 1024u)
#define FORK_SAMPLES 3
#define FIELD_NX 1024          /* columns of the 2-D field */
#define FIELD_DIAG 997         /* period of the field's diagonal mode */
#define STENCIL_N 128          /* the stencil matrix's grid is N x N x ... */
#define PI 3.14159265358979323846

struct setting {
    int level, workers;
};

/* Compared in every round; the first is what mpickpt-run uses by default
 * with one rank on a 2-core node (level 1, one worker per idle core). */
static const struct setting SETTINGS[] = {
    { 1, 1 }, { 1, 0 }, { 1, 2 }, { 3, 0 }, { 3, 1 }, { 3, 2 },
};
#define N_SETTINGS (sizeof SETTINGS / sizeof SETTINGS[0])
#define DEFAULT_SETTING 0
#define MEM_LEVEL 1            /* zstd level of the in-memory measurement */
/* The image writer's frames: the capture hands it the snapshot's memory
 * 4 MiB at a time (dump.c's bounce buffer), each run of pages a frame. */
#define MEM_FRAME (4u << 20)

struct options {
    long mib, round;
    const char *dir, *raw, *restorer;
};

struct workload {
    double *field;
    size_t n_field;
    int32_t *index;
    size_t n_index;
    uint64_t *random;
    size_t n_random;
    uint64_t checksum;
};

struct zstd_mem_result {
    uint64_t raw_bytes, compressed_bytes;
    int64_t compress_ns, decompress_ns;
};

struct capture_result {
    int64_t pause_ns, write_ns;
    uint64_t image_bytes;
};

/* Everything the round measured, printed at the end (see the invariants). */
struct results {
    uint64_t resident;
    int64_t fork_ns[FORK_SAMPLES];
    struct zstd_mem_result zstd_mem;
    uint64_t workload_bytes;
    int64_t xxh64_ns, fault_ns;
    struct capture_result capture[N_SETTINGS];
    int64_t restore_ns;
    uint64_t raw_bytes;
};

static struct options opt = { .round = 1 };
static struct workload work;
/* Where the restored process reports (set before any capture). */
static char result_path[4096];

/* --- small helpers --------------------------------------------------------- */

static _Noreturn void die(const char *what, const char *detail, int errnum)
{
    fprintf(stderr, "image_bench: %s%s%s%s%s\n", what, detail ? " " : "", detail ? detail : "",
            errnum ? ": " : "", errnum ? strerror(errnum) : "");
    exit(1);
}

static int64_t now_ns(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void path_in_dir(char *buf, size_t cap, const char *name)
{
    if ((size_t)snprintf(buf, cap, "%s/%s", opt.dir, name) >= cap)
        die("path too long in", opt.dir, 0);
}

/* VmRSS of this process, in bytes. */
static uint64_t resident_bytes(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    if (!f)
        die("cannot open", "/proc/self/status", errno);
    char line[256];
    unsigned long long kib = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "VmRSS: %llu kB", &kib) == 1)
            break;
    fclose(f);
    if (kib == 0)
        die("no VmRSS line in", "/proc/self/status", 0);
    return kib * 1024;
}

static uint64_t file_size(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) < 0)
        die("cannot stat", path, errno);
    return (uint64_t)sb.st_size;
}

static long parse_long(const char *s, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v <= 0)
        die("expected a positive number for", what, 0);
    return v;
}

static void parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (i + 1 >= argc)
            die("unknown or incomplete argument", a, 0);
        const char *v = argv[++i];
        if (!strcmp(a, "--mib"))
            opt.mib = parse_long(v, a);
        else if (!strcmp(a, "--round"))
            opt.round = parse_long(v, a);
        else if (!strcmp(a, "--dir"))
            opt.dir = v;
        else if (!strcmp(a, "--raw"))
            opt.raw = v;
        else if (!strcmp(a, "--restorer"))
            opt.restorer = v;
        else
            die("unknown argument", a, 0);
    }
    if (!opt.mib || !opt.dir || !opt.restorer)
        die("usage: image_bench --mib N --dir DIR --restorer PATH [--raw FILE] [--round R]",
            NULL, 0);
}

/* --- the workload ------------------------------------------------------------ */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* xorshift64*: fast, and the same sequence on every run. */
static uint64_t rng_next(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static void *alloc_or_die(size_t bytes, const char *what)
{
    void *p = malloc(bytes);
    if (!p)
        die("cannot allocate", what, errno);
    return p;
}

/* sin(x) by its Taylor series after reducing x to [-pi, pi] (error below
 * 1e-12): the tables need no more, and the program links without libm. */
static double sine(double x)
{
    double turns = x / (2 * PI);
    x -= 2 * PI * (double)(long long)(turns + (turns < 0 ? -0.5 : 0.5));
    double term = x, sum = x;
    for (int k = 1; k <= 12; k++) {
        term *= -x * x / ((2.0 * k) * (2.0 * k + 1));
        sum += term;
    }
    return sum;
}

/* u(i, j) = 300 + 25 sin(6 pi i / nx) cos(4 pi j / ny) + 3 sin(2 pi (i + j) / 997),
 * plus noise of about 1e-7 relative (the low mantissa bits, as in simulation
 * data); the sines are tabulated, so the fill stays cheap. */
static void fill_field(double *u, size_t n)
{
    size_t ny = (n + FIELD_NX - 1) / FIELD_NX;
    double *sx = alloc_or_die(FIELD_NX * sizeof *sx, "the field's tables");
    double *cy = alloc_or_die(ny * sizeof *cy, "the field's tables");
    double *diag = alloc_or_die(FIELD_DIAG * sizeof *diag, "the field's tables");
    for (size_t i = 0; i < FIELD_NX; i++)
        sx[i] = 25.0 * sine(6.0 * PI * (double)i / FIELD_NX);
    for (size_t j = 0; j < ny; j++)
        cy[j] = sine(4.0 * PI * (double)j / (double)ny + PI / 2);
    for (size_t d = 0; d < FIELD_DIAG; d++)
        diag[d] = 3.0 * sine(2.0 * PI * (double)d / FIELD_DIAG);
    for (size_t k = 0; k < n; k++) {
        size_t i = k % FIELD_NX, j = k / FIELD_NX;
        double noise = (double)(rng_next() >> 11) * 0x1p-53 - 0.5;
        u[k] = 300.0 + sx[i] * cy[j] + diag[(i + j) % FIELD_DIAG] + 3e-5 * noise;
    }
    free(sx);
    free(cy);
    free(diag);
}

/* Column indices of a 7-point stencil on an N x N x ... grid, row after
 * row, as a sparse matrix in CSR form stores them. */
static void fill_index(int32_t *col, size_t n)
{
    const int64_t plane = (int64_t)STENCIL_N * STENCIL_N;
    const int64_t offsets[7] = { -plane, -STENCIL_N, -1, 0, 1, STENCIL_N, plane };
    size_t k = 0;
    for (int64_t row = 0; k < n; row++)
        for (int d = 0; d < 7 && k < n; d++)
            if (row + offsets[d] >= 0)
                col[k++] = (int32_t)(row + offsets[d]);
}

static void fill_random(uint64_t *r, size_t n)
{
    for (size_t k = 0; k < n; k++)
        r[k] = rng_next();
}

static uint64_t hash_words(uint64_t h, const void *p, size_t bytes)
{
    const uint64_t *w = p;
    for (size_t i = 0; i < bytes / 8; i++)
        h = (h ^ w[i]) * 1099511628211ull;
    return h;
}

static uint64_t workload_checksum(void)
{
    uint64_t h = 1469598103934665603ull;
    h = hash_words(h, work.field, work.n_field * sizeof *work.field);
    h = hash_words(h, work.index, work.n_index * sizeof *work.index);
    return hash_words(h, work.random, work.n_random * sizeof *work.random);
}

/* Sizes the three parts so that the process's resident memory comes to
 * opt.mib MiB, its own pages (libc, stack, tables) included. */
static void make_workload(void)
{
    uint64_t own = resident_bytes();
    uint64_t want = (uint64_t)opt.mib * MIB;
    if (want < own + MIB)
        die("--mib is smaller than the program itself plus 1 MiB", NULL, 0);
    uint64_t bytes = (want - own) / 64 * 64;
    work.n_field = bytes / 2 / sizeof(double);
    work.n_index = bytes / 4 / sizeof(int32_t);
    work.n_random = bytes / 4 / sizeof(uint64_t);
    work.field = alloc_or_die(work.n_field * sizeof *work.field, "the field");
    work.index = alloc_or_die(work.n_index * sizeof *work.index, "the index array");
    work.random = alloc_or_die(work.n_random * sizeof *work.random, "the random bytes");
    fill_field(work.field, work.n_field);
    fill_index(work.index, work.n_index);
    fill_random(work.random, work.n_random);
    work.checksum = workload_checksum();
}

/* --- measurements ------------------------------------------------------------ */

/* The cost of a fork of this process alone: what the capture's pause is
 * made of, mostly (copying the page tables). */
static int64_t bare_fork_ns(void)
{
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    pid_t pid = _Fork();
    if (pid == 0)
        _exit(0);
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    if (pid < 0)
        die("cannot fork", NULL, errno);
    if (waitpid(pid, NULL, 0) < 0)
        die("cannot wait for the forked child", NULL, errno);
    return t1 - t0;
}

/* Scratch memory outside malloc, so that unmapping it leaves the resident
 * memory the captures see as it was. */
static void *map_scratch(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("cannot map scratch memory", NULL, errno);
    return p;
}

/* Compresses [p, p + len) frame by frame with cctx and decompresses each
 * frame again, adding the bytes and times to *r. */
static void zstd_mem_part(ZSTD_CCtx *cctx, ZSTD_DCtx *dctx, const unsigned char *p, size_t len,
                          unsigned char *comp, size_t comp_cap, unsigned char *back,
                          struct zstd_mem_result *r)
{
    for (size_t off = 0; off < len; off += MEM_FRAME) {
        size_t n = len - off < MEM_FRAME ? len - off : MEM_FRAME;
        int64_t t0 = now_ns(CLOCK_MONOTONIC);
        size_t c = ZSTD_compress2(cctx, comp, comp_cap, p + off, n);
        int64_t t1 = now_ns(CLOCK_MONOTONIC);
        if (ZSTD_isError(c))
            die("zstd compression failed:", ZSTD_getErrorName(c), 0);
        size_t d = ZSTD_decompressDCtx(dctx, back, MEM_FRAME, comp, c);
        int64_t t2 = now_ns(CLOCK_MONOTONIC);
        if (ZSTD_isError(d) || d != n)
            die("zstd decompression failed:", ZSTD_isError(d) ? ZSTD_getErrorName(d) : "size", 0);
        r->raw_bytes += n;
        r->compressed_bytes += c;
        r->compress_ns += t1 - t0;
        r->decompress_ns += t2 - t1;
    }
}

/* zstd on the workload without I/O: level MEM_LEVEL, content checksums on
 * (as in images), one thread. */
static struct zstd_mem_result zstd_in_memory(void)
{
    struct zstd_mem_result r = { 0, 0, 0, 0 };
    size_t comp_cap = ZSTD_compressBound(MEM_FRAME);
    unsigned char *comp = map_scratch(comp_cap), *back = map_scratch(MEM_FRAME);
    memset(comp, 1, comp_cap);   /* fault the pages in before timing */
    memset(back, 1, MEM_FRAME);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    if (!cctx || !dctx)
        die("cannot create the zstd contexts", NULL, ENOMEM);
    if (ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, MEM_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1)))
        die("cannot set zstd's compression parameters", NULL, EINVAL);
    zstd_mem_part(cctx, dctx, (const unsigned char *)work.field,
                  work.n_field * sizeof *work.field, comp, comp_cap, back, &r);
    zstd_mem_part(cctx, dctx, (const unsigned char *)work.index,
                  work.n_index * sizeof *work.index, comp, comp_cap, back, &r);
    zstd_mem_part(cctx, dctx, (const unsigned char *)work.random,
                  work.n_random * sizeof *work.random, comp, comp_cap, back, &r);
    ZSTD_freeCCtx(cctx);
    ZSTD_freeDCtx(dctx);
    munmap(comp, comp_cap);
    munmap(back, MEM_FRAME);
    return r;
}

static uint64_t workload_bytes(void)
{
    return work.n_field * sizeof *work.field + work.n_index * sizeof *work.index +
           work.n_random * sizeof *work.random;
}

/* XXH64 over the workload, as the restorer checks an image's frames. */
static int64_t xxh64_ns(void)
{
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    uint64_t h = xxh64(work.field, work.n_field * sizeof *work.field, 0);
    h ^= xxh64(work.index, work.n_index * sizeof *work.index, 0);
    h ^= xxh64(work.random, work.n_random * sizeof *work.random, 0);
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    /* Keeps the compiler from dropping the calls. */
    __asm__ volatile("" : : "r"(h));
    return t1 - t0;
}

/* One write to each page of a fresh mapping of `bytes`: the page faults
 * and page zeroing a restored process's memory costs. */
static int64_t first_touch_ns(uint64_t bytes)
{
    long page = sysconf(_SC_PAGESIZE);
    volatile unsigned char *p = map_scratch(bytes);
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    for (uint64_t off = 0; off < bytes; off += (uint64_t)page)
        p[off] = 1;
    int64_t t1 = now_ns(CLOCK_MONOTONIC);
    munmap((void *)p, bytes);
    return t1 - t0;
}

/* In the restored process: report and end (never returns). */
static _Noreturn void report_restored(void)
{
    int64_t t1 = now_ns(CLOCK_REALTIME);
    int intact = workload_checksum() == work.checksum;
    FILE *f = fopen(result_path, "we");
    if (!f)
        die("restored process: cannot create", result_path, errno);
    fprintf(f, "%lld %s\n", (long long)t1, intact ? "intact" : "DIFFERS");
    if (fclose(f) != 0)
        die("restored process: cannot write", result_path, errno);
    exit(intact ? 0 : 1);
}

static void image_path(char *buf, size_t cap, const struct setting *s)
{
    char name[64];
    snprintf(name, sizeof name, "zstd-%d-w%d.img", s->level, s->workers);
    path_in_dir(buf, cap, name);
}

static struct capture_result capture_once(const struct setting *s)
{
    char path[4096];
    image_path(path, sizeof path, s);
    struct img_capture_opts o = { .path = path, .level = s->level, .workers = s->workers,
                                  .flags = IMG_CAPTURE_WAIT };
    struct capture_result r;
    int64_t t0 = now_ns(CLOCK_MONOTONIC);
    int rc = img_capture(&o);
    if (rc == IMG_CAPTURE_RESTORED)
        report_restored();
    if (rc != IMG_CAPTURE_STARTED)
        die("img_capture failed for", path, 0);
    r.pause_ns = img_capture_last_pause_ns();
    enum img_writer_state st = img_capture_wait(1);
    r.write_ns = now_ns(CLOCK_MONOTONIC) - t0;
    if (st != IMG_WRITER_COMMITTED)
        die("the image writer did not commit", path, 0);
    r.image_bytes = file_size(path);
    return r;
}

/* Reads the whole file, so that the restore finds it in the page cache. */
static void warm_page_cache(const char *path)
{
    static char buf[1 << 20];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        die("cannot open", path, errno);
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        ;
    if (n < 0)
        die("cannot read", path, errno);
    close(fd);
}

/* The restored process's report: its CLOCK_REALTIME after the restore. */
static int64_t read_restored_report(void)
{
    FILE *f = fopen(result_path, "re");
    if (!f)
        die("the restored process left no report in", result_path, errno);
    long long t1;
    char state[16];
    int n = fscanf(f, "%lld %15s", &t1, state);
    fclose(f);
    unlink(result_path);
    if (n != 2 || strcmp(state, "intact") != 0)
        die("the restored process found its memory changed, see", result_path, 0);
    return (int64_t)t1;
}

/* Runs mpickpt-restore on the image; returns the time until the restored
 * process ran again (page cache warm). */
static int64_t restore_once(const char *image)
{
    warm_page_cache(image);
    unlink(result_path);
    char *argv[] = { (char *)"mpickpt-restore", (char *)image, NULL };
    pid_t pid;
    int64_t t0 = now_ns(CLOCK_REALTIME);
    int err = posix_spawn(&pid, opt.restorer, NULL, NULL, argv, environ);
    if (err)
        die("cannot start", opt.restorer, err);
    int status;
    if (waitpid(pid, &status, 0) < 0)
        die("cannot wait for", opt.restorer, errno);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("the restore failed (its message is above):", image, 0);
    return read_restored_report() - t0;
}

/* The workload's memory as one plain file, for the driver's gzip and dd. */
static uint64_t dump_raw(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        die("cannot create", path, errno);
    const struct { const void *p; size_t len; } parts[] = {
        { work.field, work.n_field * sizeof *work.field },
        { work.index, work.n_index * sizeof *work.index },
        { work.random, work.n_random * sizeof *work.random },
    };
    uint64_t total = 0;
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const char *p = parts[i].p;
        for (size_t done = 0; done < parts[i].len;) {
            ssize_t k = write(fd, p + done, parts[i].len - done);
            if (k < 0 && errno == EINTR)
                continue;
            if (k <= 0)
                die("cannot write", path, k < 0 ? errno : EIO);
            done += (size_t)k;
        }
        total += parts[i].len;
    }
    if (fsync(fd) < 0 || close(fd) < 0)
        die("cannot write", path, errno);
    return total;
}

static void run_captures(struct results *res)
{
    for (size_t k = 0; k < N_SETTINGS; k++) {
        size_t i = (k + (size_t)opt.round) % N_SETTINGS;
        res->capture[i] = capture_once(&SETTINGS[i]);
        if (i != DEFAULT_SETTING) {
            char path[4096];
            image_path(path, sizeof path, &SETTINGS[i]);
            unlink(path);
        }
    }
}

static void print_results(const struct results *res)
{
    printf("resident %llu\n", (unsigned long long)res->resident);
    for (int i = 0; i < FORK_SAMPLES; i++)
        printf("fork %lld\n", (long long)res->fork_ns[i]);
    printf("zstd_mem %d %llu %llu %lld %lld\n", MEM_LEVEL,
           (unsigned long long)res->zstd_mem.raw_bytes,
           (unsigned long long)res->zstd_mem.compressed_bytes,
           (long long)res->zstd_mem.compress_ns, (long long)res->zstd_mem.decompress_ns);
    printf("xxh64 %llu %lld\n", (unsigned long long)res->workload_bytes, (long long)res->xxh64_ns);
    printf("fault %llu %lld\n", (unsigned long long)res->workload_bytes, (long long)res->fault_ns);
    for (size_t i = 0; i < N_SETTINGS; i++)
        printf("capture %d %d %lld %lld %llu\n", SETTINGS[i].level, SETTINGS[i].workers,
               (long long)res->capture[i].pause_ns, (long long)res->capture[i].write_ns,
               (unsigned long long)res->capture[i].image_bytes);
    printf("restore %d %d %lld\n", SETTINGS[DEFAULT_SETTING].level,
           SETTINGS[DEFAULT_SETTING].workers, (long long)res->restore_ns);
    if (opt.raw)
        printf("raw %llu\n", (unsigned long long)res->raw_bytes);
    if (fflush(stdout) != 0)
        die("cannot write the results", NULL, errno);
}

/* A descriptor above 2 inherited from the caller would be in every image
 * (and reopened, or reported as not restorable, by every restore). */
static void close_inherited_descriptors(void)
{
    if (close_range(3, ~0u, 0) < 0)
        die("cannot close the inherited descriptors", NULL, errno);
}

int main(int argc, char **argv)
{
    static struct results res;
    parse(argc, argv);
    close_inherited_descriptors();
    path_in_dir(result_path, sizeof result_path, "restored.txt");
    make_workload();
    for (int i = 0; i < FORK_SAMPLES; i++)
        res.fork_ns[i] = bare_fork_ns();
    res.zstd_mem = zstd_in_memory();
    res.workload_bytes = workload_bytes();
    res.xxh64_ns = xxh64_ns();
    res.fault_ns = first_touch_ns(res.workload_bytes);
    res.resident = resident_bytes();   /* what the captures find */
    fflush(stdout);
    fflush(stderr);
    run_captures(&res);
    char image[4096];
    image_path(image, sizeof image, &SETTINGS[DEFAULT_SETTING]);
    res.restore_ns = restore_once(image);
    unlink(image);
    if (opt.raw)
        res.raw_bytes = dump_raw(opt.raw);
    print_results(&res);
    return 0;
}
