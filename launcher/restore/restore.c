/*
 * restore.c — mpickpt-restore IMAGE: turns this process into the process
 * an image was captured from (DESIGN §5). Freestanding: see rt.h.
 *
 * Phases, and the invariant between them:
 *   1. Check. Map the image read-only in the restorer's zone, verify every
 *      checksum (storage/image_format.h), every referenced file (size and
 *      mtime), the binary's identity and the vdso layout. Any failure: one
 *      line on stderr, exit 1, and nothing of the image has been mapped.
 *   2. Make room. Unmap the kernel's stack (we run on a private one), move
 *      [vvar], [vvar_vclock] and [vdso] to the image's addresses (libc in
 *      the image caches pointers into the vdso): first all into scratch
 *      space, then to their targets, so no move lands on another.
 *   3. Map. Every region at its address with MAP_FIXED_NOREPLACE (so a
 *      collision is an error, never a silent overwrite), filled from its
 *      frames, then given its protection.
 *   4. mm fields with PR_SET_MM_MAP (said once if not permitted), the
 *      hand-off record in the image's memory, every signal blocked, fs base,
 *      jump. The image's post_restore.c does the rest.
 * From phase 2 on a failure still exits 1 with a message, but the process
 * is no longer the restorer's nor the image's.
 */
#include "launcher/restore/rt.h"

#include <asm/prctl.h>
#include <asm/stat.h>
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "plugin/capture/maps_parse.h"
#include "storage/image_format.h"

#define IMAGE_ADDR 0x310000000000ull    /* the image's mapping, in the zone */
#define SCRATCH_ADDR 0x318000000000ull  /* where vdso VMAs wait to move */
#define MAX_VDSO 4

/* Copied out of argv: the kernel's stack goes away in phase 2. */
static char image_path_buf[IMG_PATH_MAX];
static char hook_arg[sizeof ((struct img_handoff *)0)->hook_arg];
static const char *image_path;
static int verbose;

/* The kernel's stack and special mappings of this process. */
struct own_layout {
    uint64_t stack_start, stack_end;
    struct { uint64_t start, end; uint32_t kind; } vdso[MAX_VDSO];
    int n_vdso;
};

static char maps_text[1 << 16];
static unsigned char dctx_space[1 << 20] __attribute__((aligned(64)));
static struct img_cpu jump_cpu;

/* --- messages ---------------------------------------------------------- */

__attribute__((noreturn)) static void die(const char *what, const char *detail, long err)
{
    rt_puts(2, "mpickpt-restore: ");
    if (image_path) {
        rt_puts(2, image_path);
        rt_puts(2, ": ");
    }
    rt_puts(2, what);
    if (detail) {
        rt_puts(2, " ");
        rt_puts(2, detail);
    }
    if (err) {
        rt_puts(2, ": ");
        rt_puts(2, rt_errname(err));
    }
    rt_puts(2, "\n");
    rt_exit(1);
}

static void usage(int fd)
{
    rt_puts(fd, "usage: mpickpt-restore [-v] [--hook-arg STRING] IMAGE\n"
                "Restores the process saved in IMAGE (written by mpickpt's capture) in place\n"
                "of this one. The image is verified before anything is mapped.\n"
                "  -v, --verbose       print what is restored and how long it took\n"
                "  --hook-arg STRING   passed to the restored process's restore hook\n");
}

/* Copies src into dst of size cap, or dies naming the argument. */
static void copy_arg(char *dst, size_t cap, const char *src, const char *what)
{
    size_t n = rt_strlen(src);
    if (n >= cap)
        die(what, "is too long", 0);
    memcpy(dst, src, n + 1);
}

static void parse_args(uint64_t *sp)
{
    long argc = (long)sp[0];
    char **argv = (char **)(sp + 1);
    const char *path = NULL;
    for (long i = 1; i < argc; i++) {
        if (rt_streq(argv[i], "-h") || rt_streq(argv[i], "--help")) {
            usage(1);
            rt_exit(0);
        } else if (rt_streq(argv[i], "-v") || rt_streq(argv[i], "--verbose"))
            verbose = 1;
        else if (rt_streq(argv[i], "--hook-arg") && i + 1 < argc)
            copy_arg(hook_arg, sizeof hook_arg, argv[++i], "--hook-arg");
        else if (argv[i][0] == '-' || path) {
            usage(2);
            rt_exit(2);
        } else
            path = argv[i];
    }
    if (!path) {
        usage(2);
        rt_exit(2);
    }
    copy_arg(image_path_buf, sizeof image_path_buf, path, "the image path");
    image_path = image_path_buf;
}

/* --- phase 1: check -------------------------------------------------------- */

static int vdso_kind_of(const struct maps_entry *e)
{
    if (maps_name_is(e, "[vvar]"))
        return IMG_VDSO_VVAR;
    if (maps_name_is(e, "[vvar_vclock]"))
        return IMG_VDSO_VVAR_VCLOCK;
    if (maps_name_is(e, "[vdso]"))
        return IMG_VDSO_VDSO;
    return 0;
}

static void read_own_layout(struct own_layout *o, uint64_t sp)
{
    long fd = rt_syscall(__NR_open, "/proc/self/maps", O_RDONLY, 0);
    if (fd < 0)
        die("cannot open /proc/self/maps", NULL, -fd);
    long len = 0, k;
    while ((k = rt_syscall(__NR_read, fd, maps_text + len, sizeof maps_text - len)) > 0)
        len += k;
    rt_syscall(__NR_close, fd, 0, 0);
    const char *cur = maps_text;
    struct maps_entry e;
    while (maps_next(&cur, maps_text + len, &e) > 0) {
        int kind = vdso_kind_of(&e);
        if (e.start <= sp && sp < e.end) {
            o->stack_start = e.start;
            o->stack_end = e.end;
        } else if (kind && o->n_vdso < MAX_VDSO) {
            o->vdso[o->n_vdso].start = e.start;
            o->vdso[o->n_vdso].end = e.end;
            o->vdso[o->n_vdso++].kind = (uint32_t)kind;
        }
    }
}

static void map_image(struct img_view *v)
{
    long fd = rt_syscall(__NR_open, image_path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0)
        die("cannot open the image", NULL, -fd);
    struct stat sb;
    long rc = rt_syscall(__NR_fstat, fd, &sb, 0);
    if (rc < 0)
        die("cannot stat the image", NULL, -rc);
    if (sb.st_size == 0)
        die(img_status_text(IMG_E_SHORT), NULL, 0);
    long p = rt_mmap(IMAGE_ADDR, (uint64_t)sb.st_size, PROT_READ,
                     MAP_PRIVATE | MAP_FIXED_NOREPLACE, (int)fd, 0);
    if (p < 0)
        die("cannot map the image", NULL, -p);
    rt_syscall(__NR_close, fd, 0, 0);
    enum img_status st = img_view_open((const void *)p, (size_t)sb.st_size, v);
    if (st != IMG_OK)
        die(img_status_text(st), NULL, 0);
}

/* The file at path must have the identity the image recorded. */
static void check_file(const char *path, uint64_t size, int64_t mtime_sec, int64_t mtime_nsec,
                       int check_mtime)
{
    struct stat sb;
    long rc = rt_syscall(__NR_stat, path, &sb, 0);
    if (rc < 0)
        die("cannot find a file the image maps:", path, -rc);
    if ((uint64_t)sb.st_size != size ||
        (check_mtime && ((int64_t)sb.st_mtime != mtime_sec ||
                         (int64_t)sb.st_mtime_nsec != mtime_nsec)))
        die("a file the image maps changed since the checkpoint:", path, 0);
}

static void check_files(const struct img_view *v)
{
    const struct img_header *h = v->hdr;
    check_file(h->exe_path, h->exe_size, h->exe_mtime_sec, h->exe_mtime_nsec, 1);
    for (size_t i = 0; i < v->n_regions; i++) {
        const struct img_region *r = &v->regions[i];
        if (r->kind == IMG_REGION_FILE)
            check_file(r->path, r->file_size, r->file_mtime_sec, r->file_mtime_nsec, 1);
        else if (r->kind == IMG_REGION_FILE_SHARED) {
            struct stat sb;
            long rc = rt_syscall(__NR_stat, r->path, &sb, 0);
            if (rc < 0)
                die("cannot find a file the image maps:", r->path, -rc);
        }
    }
}

/* Our special mapping of kind k, or NULL. */
static int own_vdso(const struct own_layout *o, uint32_t kind)
{
    for (int i = 0; i < o->n_vdso; i++)
        if (o->vdso[i].kind == kind)
            return i;
    return -1;
}

/* The image's special mappings and ours must match one to one, in size:
 * the image's libc calls into the vdso this kernel gives us. */
static void check_vdso(const struct img_view *v, const struct own_layout *o)
{
    int seen = 0;
    for (size_t i = 0; i < v->n_regions; i++) {
        const struct img_region *r = &v->regions[i];
        if (r->kind != IMG_REGION_VDSO)
            continue;
        int j = own_vdso(o, r->vdso);
        if (j < 0 || o->vdso[j].end - o->vdso[j].start != r->end - r->start)
            die("this kernel's vdso differs from the image's (another kernel?)", NULL, 0);
        seen++;
    }
    if (seen != o->n_vdso)
        die("this kernel's vdso differs from the image's (another kernel?)", NULL, 0);
}

/* --- phase 2: make room ---------------------------------------------------- */

static void move_vdso(const struct img_view *v, struct own_layout *o)
{
    uint64_t scratch = SCRATCH_ADDR;
    for (int i = 0; i < o->n_vdso; i++) {
        uint64_t len = o->vdso[i].end - o->vdso[i].start;
        long rc = rt_syscall6(__NR_mremap, (long)o->vdso[i].start, (long)len, (long)len,
                              MREMAP_MAYMOVE | MREMAP_FIXED, (long)scratch, 0);
        if (rc < 0)
            die("cannot move the vdso out of the way", NULL, -rc);
        o->vdso[i].start = scratch;
        o->vdso[i].end = scratch + len;
        scratch += len;
    }
    for (size_t i = 0; i < v->n_regions; i++) {
        const struct img_region *r = &v->regions[i];
        if (r->kind != IMG_REGION_VDSO)
            continue;
        int j = own_vdso(o, r->vdso);
        uint64_t len = r->end - r->start;
        long rc = rt_syscall6(__NR_mremap, (long)o->vdso[j].start, (long)len, (long)len,
                              MREMAP_MAYMOVE | MREMAP_FIXED, (long)r->start, 0);
        if (rc < 0)
            die("cannot move the vdso to the image's address", NULL, -rc);
    }
}

/* --- phase 3: map ---------------------------------------------------------- */

static long open_region_file(const struct img_region *r)
{
    int shared_w = r->kind == IMG_REGION_FILE_SHARED && (r->prot & PROT_WRITE);
    long fd = rt_syscall(__NR_open, r->path, (shared_w ? O_RDWR : O_RDONLY) | O_CLOEXEC, 0);
    if (fd < 0)
        die("cannot open a file the image maps:", r->path, -fd);
    return fd;
}

static long map_region(const struct img_region *r)
{
    uint64_t len = r->end - r->start;
    int prot = (int)r->prot | (r->n_chunks ? PROT_READ | PROT_WRITE : 0);
    int flags = MAP_FIXED_NOREPLACE;
    long fd = -1, p;
    switch (r->kind) {
    case IMG_REGION_ANON:
        flags |= MAP_PRIVATE | MAP_ANONYMOUS | (r->flags & IMG_RF_STACK ? MAP_GROWSDOWN : 0);
        break;
    case IMG_REGION_SHARED_ANON:
        flags |= MAP_SHARED | MAP_ANONYMOUS;
        break;
    case IMG_REGION_FILE:
        flags |= MAP_PRIVATE;
        fd = open_region_file(r);
        break;
    default:
        flags |= MAP_SHARED;
        fd = open_region_file(r);
        break;
    }
    p = rt_mmap(r->start, len, prot, flags, (int)fd, fd >= 0 ? r->file_offset : 0);
    if (fd >= 0)
        rt_syscall(__NR_close, fd, 0, 0);
    return p;
}

static void fill_region(const struct img_view *v, const struct img_region *r, ZSTD_DCtx *dctx)
{
    for (uint64_t i = r->first_chunk; i < r->first_chunk + r->n_chunks; i++) {
        const struct img_chunk *c = &v->chunks[i];
        if (img_chunk_decompress(v, c, (void *)(uintptr_t)(r->start + c->offset), dctx) != IMG_OK)
            die(img_status_text(IMG_E_FRAME), NULL, 0);
    }
    if (r->n_chunks && r->prot != (PROT_READ | PROT_WRITE)) {
        long rc = rt_syscall(__NR_mprotect, r->start, r->end - r->start, r->prot);
        if (rc < 0)
            die("cannot set a region's protection", NULL, -rc);
    }
}

static void map_regions(const struct img_view *v)
{
    ZSTD_DCtx *dctx = ZSTD_initStaticDCtx(dctx_space, sizeof dctx_space);
    if (!dctx)
        die("cannot set up the zstd decompression context", NULL, 0);
    for (size_t i = 0; i < v->n_regions; i++) {
        const struct img_region *r = &v->regions[i];
        if (r->kind == IMG_REGION_VDSO)
            continue;
        long p = map_region(r);
        if (p < 0)
            die("cannot map a region of the image", r->path[0] ? r->path : NULL, -p);
        fill_region(v, r, dctx);
    }
}

/* --- phase 4: mm fields, hand-off, jump ------------------------------------ */

static long set_mm(const struct img_mm *mm)
{
    struct prctl_mm_map map = {
        .start_code = mm->start_code, .end_code = mm->end_code,
        .start_data = mm->start_data, .end_data = mm->end_data,
        .start_brk = mm->start_brk, .brk = mm->brk, .start_stack = mm->start_stack,
        .arg_start = mm->arg_start, .arg_end = mm->arg_end,
        .env_start = mm->env_start, .env_end = mm->env_end,
        .auxv = (__u64 *)(uintptr_t)mm->auxv, .auxv_size = (__u32)(mm->auxv_words * 8),
        .exe_fd = (__u32)-1,
    };
    return rt_syscall6(__NR_prctl, PR_SET_MM, PR_SET_MM_MAP, (long)&map, sizeof map, 0, 0);
}

/* Whether [addr, addr + len) lies in one writable region. */
static int writable(const struct img_view *v, uint64_t addr, uint64_t len)
{
    for (size_t i = 0; i < v->n_regions; i++) {
        const struct img_region *r = &v->regions[i];
        if (r->start <= addr && addr + len <= r->end)
            return (r->prot & PROT_WRITE) && r->kind != IMG_REGION_VDSO;
    }
    return 0;
}

static void hand_off(const struct img_view *v, long mm_rc, int64_t t0)
{
    const struct img_header *h = v->hdr;
    if (!h->handoff_addr)
        return;
    if (!writable(v, h->handoff_addr, sizeof(struct img_handoff)))
        die("the image's hand-off record is not in writable memory", NULL, 0);
    struct img_handoff *ho = (struct img_handoff *)(uintptr_t)h->handoff_addr;
    ho->magic = IMG_HANDOFF_MAGIC;
    ho->flags = mm_rc == 0 ? IMG_HANDOFF_MM_RESTORED : 0;
    ho->mm_errno = mm_rc == 0 ? 0 : (int32_t)-mm_rc;
    ho->start_ns = t0;
    size_t n = rt_strlen(hook_arg);
    memcpy(ho->hook_arg, hook_arg, n + 1);
}

static void report(const struct img_view *v, int64_t t0)
{
    uint64_t raw = 0;
    for (size_t i = 0; i < v->n_chunks; i++)
        raw += v->chunks[i].raw_len;
    rt_puts(2, "mpickpt-restore: ");
    rt_puts(2, image_path);
    rt_puts(2, ": ");
    rt_putu(2, v->n_regions);
    rt_puts(2, " regions, ");
    rt_putu(2, raw >> 20);
    rt_puts(2, " MiB from ");
    rt_putu(2, v->size >> 20);
    rt_puts(2, " MiB mapped in ");
    rt_putu(2, (uint64_t)(rt_now_ns() - t0) / 1000);
    rt_puts(2, " us\n");
}

void rt_main(uint64_t *initial_sp)
{
    static struct own_layout own;
    static struct img_view view;
    rt_setup_tls();
    int64_t t0 = rt_now_ns();
    parse_args(initial_sp);
    read_own_layout(&own, (uint64_t)(uintptr_t)initial_sp);
    map_image(&view);
    check_files(&view);
    check_vdso(&view, &own);
    rt_syscall(__NR_munmap, own.stack_start, own.stack_end - own.stack_start, 0);
    move_vdso(&view, &own);
    map_regions(&view);
    long mm_rc = set_mm(&view.hdr->mm);
    hand_off(&view, mm_rc, t0);
    if (verbose)
        report(&view, t0);
    jump_cpu = view.hdr->cpu;
    uint64_t all = ~0ull;
    rt_syscall(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &all, 8);
    rt_syscall(__NR_arch_prctl, ARCH_SET_FS, jump_cpu.fs_base, 0);
    rt_jump(&jump_cpu);
}
