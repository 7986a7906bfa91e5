/*
 * dump.c — the image writer (capture.h, step 3). The child of the fork,
 * W, records the process state the parent could not record before the
 * fork, forks once more, and writes the memory of that second child, S
 * (the snapshot), which does nothing but wait to be killed.
 *
 * Why a snapshot process: the writer's own memory changes while it writes
 * (its stack, errno, and with zstd worker threads, libc's thread lists and
 * counters). Reading itself, it would store a process that never existed,
 * and frames whose content checksum no longer matches. S's memory is the
 * parent's at the fork plus W's state records, and nothing writes it: S
 * blocks every signal and pauses. W reads it with process_vm_readv (or
 * /proc/S/mem for pages S cannot read), its layout from /proc/S/maps and
 * its page flags from /proc/S/pagemap, and may use memory and threads
 * freely.
 *
 * Invariants:
 *   - No malloc, no stdio: W is the child of a fork that may have been taken
 *     from a signal handler, with their locks held. W's memory comes from
 *     mmap; zstd worker threads are not used then (capture.h).
 *   - Between the two forks W writes nothing but cap_state and the part of
 *     its stack below the saved stack pointer, which the restored process
 *     does not use: cap_state is complete in S, so the restored process
 *     finds in its own memory what post_restore.c needs.
 *   - Page classification comes from S's pagemap: a page never touched is
 *     not stored (zero); in a private file mapping only pages copied on
 *     write (present and not "file/shared", bit 61) or swapped are stored,
 *     the rest is the file's.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "plugin/capture/capture_internal.h"
#include "plugin/capture/maps_parse.h"
#include "storage/image_writer.h"

#define MAPS_MAX (4u << 20)
#define PAGEMAP_BATCH 512
#define BOUNCE_SIZE (4u << 20)
#define PM_PRESENT (1ull << 63)
#define PM_SWAPPED (1ull << 62)
#define PM_FILE (1ull << 61)

/* W's scratch memory: one mmap, made after S exists. */
struct arena {
    char maps[MAPS_MAX];
    char text[4096];              /* /proc/loadavg */
    uint64_t pagemap[PAGEMAP_BATCH];
    unsigned char bounce[BOUNCE_SIZE];   /* S's memory on its way to zstd */
    struct img_header hdr;
    struct img_region region;
};

struct dump {
    struct arena *a;
    pid_t snap;           /* S */
    size_t maps_len;
    int pagemap_fd, mem_fd;
    struct img_writer *w;
    const char *what;     /* what failed, for the message */
    int errnum;
};

static int dump_fail(struct dump *d, const char *what, int errnum)
{
    d->what = what;
    d->errnum = errnum;
    return -1;
}

/* --- process state -------------------------------------------------------- */

static void record_signals(void)
{
    for (int sig = 1; sig <= CAP_NSIG; sig++)
        if (syscall(SYS_rt_sigaction, sig, NULL, &cap_state.act[sig], 8) < 0)
            cap_state.act[sig].handler = (uint64_t)(uintptr_t)SIG_DFL;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cap_state.sigmask, 8);
}

static void record_thread(void)
{
    int *tid_address = NULL;
    void *head = NULL;
    size_t len = 0;
    prctl(PR_GET_TID_ADDRESS, &tid_address);
    cap_state.tid_address = (uint64_t)(uintptr_t)tid_address;
    syscall(SYS_get_robust_list, 0, &head, &len);
    cap_state.robust_head = (uint64_t)(uintptr_t)head;
    cap_state.robust_len = len;
    syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &cap_state.cpu.fs_base);
    prctl(PR_GET_NAME, cap_state.comm);
}

/* Field n (1-based, as in proc(5)) of /proc/self/stat; the comm field may
 * hold spaces and parentheses, so counting starts after the last ')'. */
static uint64_t stat_field(const char *s, size_t len, int n)
{
    size_t i = len;
    while (i > 0 && s[i - 1] != ')')
        i--;
    int field = 2;
    uint64_t v = 0;
    for (; i < len; i++) {
        if (s[i] == ' ' && ++field > n)
            break;
        if (field == n && s[i] >= '0' && s[i] <= '9')
            v = v * 10 + (uint64_t)(s[i] - '0');
    }
    return v;
}

/* The buffer is on W's stack, below the saved stack pointer: not part of
 * what the restored process uses (see the invariants). */
static int record_mm(struct dump *d)
{
    struct img_mm *mm = &cap_state.mm;
    char s[2048];
    ssize_t n = cap_read_file("/proc/self/stat", s, sizeof s);
    if (n < 0)
        return dump_fail(d, "reading /proc/self/stat", errno);
    mm->start_code = stat_field(s, (size_t)n, 26);
    mm->end_code = stat_field(s, (size_t)n, 27);
    mm->start_stack = stat_field(s, (size_t)n, 28);
    mm->start_data = stat_field(s, (size_t)n, 45);
    mm->end_data = stat_field(s, (size_t)n, 46);
    mm->start_brk = stat_field(s, (size_t)n, 47);
    mm->arg_start = stat_field(s, (size_t)n, 48);
    mm->arg_end = stat_field(s, (size_t)n, 49);
    mm->env_start = stat_field(s, (size_t)n, 50);
    mm->env_end = stat_field(s, (size_t)n, 51);
    mm->brk = (uint64_t)syscall(SYS_brk, 0);
    n = cap_read_file("/proc/self/auxv", (char *)mm->auxv, sizeof mm->auxv);
    if (n < 0)
        return dump_fail(d, "reading /proc/self/auxv", errno);
    mm->auxv_words = (uint64_t)n / 8;
    return 0;
}

static int record_state(struct dump *d)
{
    record_signals();
    record_thread();
    if (record_mm(d) < 0)
        return -1;
    ssize_t n = readlink("/proc/self/exe", cap_state.exe_path, sizeof cap_state.exe_path - 1);
    if (n < 0)
        return dump_fail(d, "reading /proc/self/exe", errno);
    cap_state.exe_path[n] = '\0';
    cap_state.handoff.magic = 0;   /* the restorer sets it */
    return 0;
}

static void build_header(struct dump *d)
{
    struct img_header *h = &d->a->hdr;
    struct timespec now;
    struct stat sb;
    memcpy(h->exe_path, cap_state.exe_path, sizeof h->exe_path);
    if (stat(cap_state.exe_path, &sb) == 0) {
        h->exe_size = (uint64_t)sb.st_size;
        h->exe_mtime_sec = sb.st_mtim.tv_sec;
        h->exe_mtime_nsec = sb.st_mtim.tv_nsec;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    h->created_sec = now.tv_sec;
    h->pid = cap_state.parent_pid;
    h->cpu = cap_state.cpu;
    h->mm = cap_state.mm;
    h->handoff_addr = (uint64_t)(uintptr_t)&cap_state.handoff;
}

/* --- regions -------------------------------------------------------------- */

static int is_vdso_name(const struct maps_entry *e, uint32_t *kind)
{
    if (maps_name_is(e, "[vvar]"))
        *kind = IMG_VDSO_VVAR;
    else if (maps_name_is(e, "[vvar_vclock]"))
        *kind = IMG_VDSO_VVAR_VCLOCK;
    else if (maps_name_is(e, "[vdso]"))
        *kind = IMG_VDSO_VDSO;
    else
        return 0;
    return 1;
}

/* A path we can open again and find the same inode at. */
static int reopenable(const struct maps_entry *e, char *path, struct stat *sb)
{
    if (e->name_len == 0 || e->name[0] != '/' || e->name_len >= IMG_REGION_PATH_MAX ||
        maps_name_ends_with(e, " (deleted)"))
        return 0;
    memcpy(path, e->name, e->name_len);
    path[e->name_len] = '\0';
    if (stat(path, sb) < 0 || sb->st_ino != e->inode || major(sb->st_dev) != e->dev_major ||
        minor(sb->st_dev) != e->dev_minor)
        return 0;
    return S_ISREG(sb->st_mode);
}

/* Fills the region's kind, path and file identity from the maps entry.
 * Returns 0 for a region to skip ([vsyscall] and unknown kernel maps). */
static int classify(const struct maps_entry *e, struct img_region *r)
{
    struct stat sb;
    memset(r, 0, sizeof *r);
    r->prot = e->prot;
    if (is_vdso_name(e, &r->vdso)) {
        r->kind = IMG_REGION_VDSO;
        return 1;
    }
    if (e->name_len && e->name[0] == '[' && !maps_name_is(e, "[heap]") &&
        !maps_name_is(e, "[stack]") && !(e->name_len > 6 && !memcmp(e->name, "[anon:", 6)))
        return 0;
    r->flags = maps_name_is(e, "[stack]") ? IMG_RF_STACK : maps_name_is(e, "[heap]") ? IMG_RF_HEAP : 0;
    if (!reopenable(e, r->path, &sb)) {
        r->kind = e->shared ? IMG_REGION_SHARED_ANON : IMG_REGION_ANON;
        r->path[0] = '\0';
        return 1;
    }
    r->kind = e->shared ? IMG_REGION_FILE_SHARED : IMG_REGION_FILE;
    r->file_offset = e->offset;
    r->file_size = (uint64_t)sb.st_size;
    /* A shared file changes through its mapping: only its size is kept. */
    if (!e->shared) {
        r->file_mtime_sec = sb.st_mtim.tv_sec;
        r->file_mtime_nsec = sb.st_mtim.tv_nsec;
    }
    return 1;
}

/* Whether page entry pm must be stored, for a region of this kind. */
static int page_wanted(const struct img_region *r, uint64_t pm)
{
    switch (r->kind) {
    case IMG_REGION_ANON:
        return (pm & (PM_PRESENT | PM_SWAPPED)) != 0;
    case IMG_REGION_FILE:
        return (pm & PM_SWAPPED) || ((pm & PM_PRESENT) && !(pm & PM_FILE));
    default:   /* shared memory: fork copied no page table, read it all */
        return 1;
    }
}

static int read_pagemap(struct dump *d, uint64_t addr, size_t npages)
{
    size_t want = npages * 8;
    ssize_t n = pread(d->pagemap_fd, d->a->pagemap, want, (off_t)(addr / IMG_PAGE_SIZE * 8));
    if (n != (ssize_t)want)
        return dump_fail(d, "reading the snapshot's pagemap", n < 0 ? errno : EIO);
    return 0;
}

/* Copies [addr, addr + len) of S into the bounce buffer: process_vm_readv,
 * or /proc/S/mem, which also reads pages S itself may not (PROT_NONE). */
static int read_snapshot(struct dump *d, uint64_t addr, size_t len)
{
    struct iovec local = { d->a->bounce, len };
    struct iovec remote = { (void *)(uintptr_t)addr, len };
    if (process_vm_readv(d->snap, &local, 1, &remote, 1, 0) == (ssize_t)len)
        return 0;
    for (size_t done = 0; done < len;) {
        ssize_t k = pread(d->mem_fd, d->a->bounce + done, len - done, (off_t)(addr + done));
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return dump_fail(d, "reading the snapshot's memory", k < 0 ? errno : EIO);
        done += (size_t)k;
    }
    return 0;
}

/* Stores [start, start + len) of region r, through the bounce buffer. */
static int store_run(struct dump *d, const struct img_region *r, uint64_t start, uint64_t len)
{
    while (len > 0) {
        size_t part = len < BOUNCE_SIZE ? (size_t)len : BOUNCE_SIZE;
        if (read_snapshot(d, start, part) < 0 ||
            img_writer_data(d->w, start - r->start, d->a->bounce, part) < 0)
            return -1;
        start += part;
        len -= part;
    }
    return 0;
}

/* Stores the wanted pages of region r. */
static int store_pages(struct dump *d, const struct img_region *r)
{
    uint64_t run_start = 0, run_len = 0;
    for (uint64_t a = r->start; a < r->end; a += PAGEMAP_BATCH * IMG_PAGE_SIZE) {
        size_t np = (size_t)((r->end - a) / IMG_PAGE_SIZE);
        if (np > PAGEMAP_BATCH)
            np = PAGEMAP_BATCH;
        if (read_pagemap(d, a, np) < 0)
            return -1;
        for (size_t i = 0; i < np; i++) {
            uint64_t page = a + i * IMG_PAGE_SIZE;
            if (page_wanted(r, d->a->pagemap[i])) {
                if (!run_len)
                    run_start = page;
                run_len += IMG_PAGE_SIZE;
                continue;
            }
            if (run_len && store_run(d, r, run_start, run_len) < 0)
                return -1;
            run_len = 0;
        }
    }
    return run_len ? store_run(d, r, run_start, run_len) : 0;
}

static int put_region(struct dump *d, struct img_region *r)
{
    if (img_writer_region(d->w, r) < 0)
        return -1;
    if (r->kind == IMG_REGION_VDSO || r->kind == IMG_REGION_FILE_SHARED)
        return 0;
    return store_pages(d, r);
}

/* The range widened to whole pages: a region is made of whole pages. */
static struct img_range page_range(const struct img_range *x)
{
    struct img_range r = { x->start & ~(uintptr_t)(IMG_PAGE_SIZE - 1),
                           (x->end + IMG_PAGE_SIZE - 1) & ~(uintptr_t)(IMG_PAGE_SIZE - 1) };
    return r;
}

/* Of the caller's excluded ranges, the first one that intersects
 * [start, end), in *out; 0 if none does. */
static int first_exclusion(uint64_t start, uint64_t end, struct img_range *out)
{
    int found = 0;
    for (size_t i = 0; i < cap_state.n_exclude; i++) {
        struct img_range x = page_range(&cap_state.exclude[i]);
        if (x.start < end && x.end > start && (!found || x.start < out->start)) {
            *out = x;
            found = 1;
        }
    }
    return found;
}

/* One maps entry, minus the excluded ranges, as one or more regions. */
static int put_entry(struct dump *d, const struct maps_entry *e)
{
    struct img_region *r = &d->a->region;
    if (!classify(e, r))
        return 0;
    uint64_t start = e->start;
    while (start < e->end) {
        struct img_range xr;
        const struct img_range *x = first_exclusion(start, e->end, &xr) ? &xr : NULL;
        uint64_t stop = x ? (x->start > start ? x->start : start) : e->end;
        if (stop > start) {
            struct img_region part = *r;
            part.start = start;
            part.end = stop;
            part.file_offset = r->file_offset + (start - e->start);
            if (put_region(d, &part) < 0)
                return -1;
        }
        start = x ? x->end : e->end;
    }
    return 0;
}

static int put_regions(struct dump *d)
{
    const char *cur = d->a->maps, *end = d->a->maps + d->maps_len;
    struct maps_entry e;
    int rc;
    while ((rc = maps_next(&cur, end, &e)) != 0) {
        if (rc < 0)
            return dump_fail(d, "parsing the snapshot's maps", EINVAL);
        if (put_entry(d, &e) < 0)
            return -1;
    }
    return 0;
}

/* --- the child ------------------------------------------------------------- */

/* Worker threads: asked for, or one per idle core (cores we may run on
 * minus the runnable tasks other than us, from /proc/loadavg), at least 1.
 * None from a signal handler: see capture.h. */
static int choose_workers(struct dump *d)
{
    if (cap_state.flags & IMG_CAPTURE_IN_SIGNAL)
        return 0;
    if (cap_state.workers >= 0)
        return cap_state.workers;
    cpu_set_t set;
    int cores = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 1;
    /* "0.52 0.58 0.59 3/811 12345": the runnable count precedes '/'. */
    int running = 1;
    ssize_t n = cap_read_file("/proc/loadavg", d->a->text, sizeof d->a->text);
    const char *slash = n > 0 ? memchr(d->a->text, '/', (size_t)n) : NULL;
    if (slash) {
        const char *p = slash;
        while (p > d->a->text && p[-1] >= '0' && p[-1] <= '9')
            p--;
        for (running = 0; p < slash; p++)
            running = running * 10 + (*p - '0');
    }
    int idle = cores - (running - 1);
    return idle < 1 ? 1 : idle;
}

static void report_done(const struct img_write_stats *st, int64_t t0)
{
    struct cap_msg m = { .len = 0 };
    msg_str(&m, "mpickpt: image ");
    msg_str(&m, cap_state.path);
    msg_str(&m, " written, ");
    msg_fixed(&m, st->raw_bytes / 100000, 1);
    msg_str(&m, " MB -> ");
    msg_fixed(&m, st->file_bytes / 100000, 1);
    msg_str(&m, " MB in ");
    msg_fixed(&m, (uint64_t)(cap_now_ns() - t0) / 1000000, 3);
    msg_str(&m, " s (");
    msg_u64(&m, st->n_regions);
    msg_str(&m, " regions, ");
    msg_u64(&m, st->n_chunks);
    msg_str(&m, " frames)");
    msg_emit(&m);
}

static int write_image(struct dump *d, int64_t t0)
{
    struct img_writer_opts wo = { .level = cap_state.level, .workers = choose_workers(d) };
    struct img_write_error err;
    struct img_write_stats st;
    d->w = img_writer_open(cap_state.path, &wo, &err);
    if (!d->w)
        return dump_fail(d, err.what, err.errnum);
    build_header(d);
    if (img_writer_header(d->w, &d->a->hdr) < 0 || put_regions(d) < 0) {
        if (!d->what) {
            err = img_writer_error(d->w);
            dump_fail(d, err.what, err.errnum);
        }
        img_writer_abort(d->w);
        return -1;
    }
    if (img_writer_commit(d->w, &st, &err) < 0)
        return dump_fail(d, err.what, err.errnum);
    if (cap_state.flags & IMG_CAPTURE_VERBOSE)
        report_done(&st, t0);
    return 0;
}

/* S: keeps the snapshot still until W kills it. Every signal is blocked,
 * so pause() never returns and nothing writes S's memory. */
__attribute__((noreturn)) static void snapshot_child(pid_t writer)
{
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != writer)
        _exit(1);
    for (;;)
        pause();
}

/* "/proc/<S>/<name>" into buf (64 bytes is always enough). */
static const char *snapshot_path(const struct dump *d, const char *name, char buf[64])
{
    struct cap_msg m = { .len = 0 };
    msg_str(&m, "/proc/");
    msg_u64(&m, (uint64_t)d->snap);
    msg_str(&m, "/");
    msg_str(&m, name);
    memcpy(buf, m.buf, m.len);
    buf[m.len] = '\0';
    return buf;
}

static int open_snapshot(struct dump *d)
{
    char path[64];
    ssize_t n = cap_read_file(snapshot_path(d, "maps", path), d->a->maps, sizeof d->a->maps);
    if (n < 0)
        return dump_fail(d, "reading the snapshot's maps", errno);
    d->maps_len = (size_t)n;
    d->pagemap_fd = open(snapshot_path(d, "pagemap", path), O_RDONLY | O_CLOEXEC);
    if (d->pagemap_fd < 0)
        return dump_fail(d, "opening the snapshot's pagemap", errno);
    d->mem_fd = open(snapshot_path(d, "mem", path), O_RDONLY | O_CLOEXEC);
    if (d->mem_fd < 0)
        return dump_fail(d, "opening the snapshot's memory", errno);
    return 0;
}

static int run(struct dump *d, int64_t t0)
{
    if (record_state(d) < 0)
        return -1;
    pid_t self = getpid();
    d->snap = _Fork();
    if (d->snap < 0)
        return dump_fail(d, "forking the snapshot process", errno);
    if (d->snap == 0)
        snapshot_child(self);
    /* W's own signals are blocked too: the application's handlers must not
     * run in the writer (a SIGINT to the process group, say). */
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    d->a = mmap(NULL, sizeof *d->a, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (d->a == MAP_FAILED)
        return dump_fail(d, "allocating the writer's scratch memory", errno);
    if (open_snapshot(d) < 0)
        return -1;
    return write_image(d, t0);
}

void cap_dump_child(void)
{
    int64_t t0 = cap_now_ns();
    struct dump d = { .pagemap_fd = -1, .mem_fd = -1, .snap = -1 };
    /* The image of a dead process is not wanted: die with the parent. */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != cap_state.parent_pid)
        _exit(1);
    int rc = run(&d, t0);
    if (d.snap > 0) {
        kill(d.snap, SIGKILL);
        waitpid(d.snap, NULL, 0);
    }
    if (rc == 0)
        _exit(0);
    struct cap_msg m = { .len = 0 };
    msg_str(&m, "mpickpt: image ");
    msg_str(&m, cap_state.path);
    msg_str(&m, ": ");
    msg_str(&m, d.what ? d.what : "failed");
    if (d.errnum)
        msg_errno(&m, d.errnum);
    msg_emit(&m);
    _exit(1);
}
