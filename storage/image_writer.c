/*
 * image_writer.c — the streaming image writer (see image_writer.h).
 *
 * Invariants: w->offset is the number of bytes emitted so far (written or
 * still in w->out); w->hdr is the header as written, for the root checksum;
 * every allocation is an mmap (writer state, tables, zstd's contexts), so
 * nothing here touches malloc or stdio.
 */
#define ZSTD_STATIC_LINKING_ONLY
#include "storage/image_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>    /* rename(2)'s declaration only: no stdio call */
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#include "storage/checksum.h"

#define OUT_SIZE (1u << 20)
#define ALLOC_HEADER 64u   /* keeps zstd's allocations 64-byte aligned */

struct img_writer {
    int fd;
    struct img_write_error err;
    uint64_t offset;
    struct img_header hdr;
    ZSTD_CCtx *cctx;
    unsigned char *out;      /* OUT_SIZE bytes */
    size_t out_used;
    struct img_region *regions;
    size_t n_regions, cap_regions;
    struct img_chunk *chunks;
    size_t n_chunks, cap_chunks;
    uint64_t raw_bytes;
    char path[IMG_PATH_MAX];
    char tmp[IMG_PATH_MAX + 8];
};

/* --- memory: mmap only ---------------------------------------------------- */

static void *map_anon(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* zstd's allocator: one mapping per allocation, its length in front. */
static void *zstd_alloc(void *opaque, size_t size)
{
    (void)opaque;
    unsigned char *p = map_anon(size + ALLOC_HEADER);
    if (!p)
        return NULL;
    *(size_t *)p = size + ALLOC_HEADER;
    return p + ALLOC_HEADER;
}

static void zstd_free(void *opaque, void *addr)
{
    (void)opaque;
    if (!addr)
        return;
    unsigned char *p = (unsigned char *)addr - ALLOC_HEADER;
    munmap(p, *(size_t *)p);
}

/* Grows a table mapped with map_anon to hold at least need elements. */
static int grow(void **table, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t ncap = *cap ? *cap * 2 : 64;
    while (ncap < need)
        ncap *= 2;
    void *p = *table ? mremap(*table, *cap * elem, ncap * elem, MREMAP_MAYMOVE)
                     : mmap(NULL, ncap * elem, PROT_READ | PROT_WRITE,
                            MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    *table = p;
    *cap = ncap;
    return 0;
}

static int fail(struct img_writer *w, const char *what, int errnum)
{
    w->err.what = what;
    w->err.errnum = errnum;
    return -1;
}

/* --- output ---------------------------------------------------------------- */

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static int flush_out(struct img_writer *w)
{
    if (write_all(w->fd, w->out, w->out_used) < 0)
        return fail(w, "writing the image", errno ? errno : EIO);
    w->out_used = 0;
    return 0;
}

static int emit(struct img_writer *w, const void *data, size_t n)
{
    const unsigned char *p = data;
    while (n > 0) {
        size_t k = OUT_SIZE - w->out_used;
        if (k > n)
            k = n;
        memcpy(w->out + w->out_used, p, k);
        w->out_used += k;
        w->offset += k;
        p += k;
        n -= k;
        if (w->out_used == OUT_SIZE && flush_out(w) < 0)
            return -1;
    }
    return 0;
}

/* --- open / header -------------------------------------------------------- */

static size_t str_copy(char *dst, size_t cap, const char *src)
{
    size_t n = 0;
    while (src[n] && n + 1 < cap) {
        dst[n] = src[n];
        n++;
    }
    dst[n] = '\0';
    return src[n] ? 0 : n;   /* 0: did not fit */
}

/* "dir/.name.tmp" for "dir/name" (tmp holds n + 6 bytes): a dot-name, so a
 * leftover of a killed writer is never taken for an image by a listing. */
static void tmp_name(char *tmp, const char *path, size_t n)
{
    size_t base = n;
    while (base > 0 && path[base - 1] != '/')
        base--;
    memcpy(tmp, path, base);
    tmp[base] = '.';
    memcpy(tmp + base + 1, path + base, n - base);
    memcpy(tmp + n + 1, ".tmp", 5);
}

static int setup_cctx(struct img_writer *w, const struct img_writer_opts *opts)
{
    ZSTD_customMem mem = { zstd_alloc, zstd_free, NULL };
    w->cctx = ZSTD_createCCtx_advanced(mem);
    if (!w->cctx)
        return fail(w, "creating the zstd compression context", ENOMEM);
    if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, opts->level)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_contentSizeFlag, 1)))
        return fail(w, "setting zstd's compression parameters", EINVAL);
    /* A zstd built without threads refuses workers: compress inline then. */
    if (opts->workers > 0)
        ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_nbWorkers, opts->workers);
    return 0;
}

static void release(struct img_writer *w)
{
    if (w->cctx)
        ZSTD_freeCCtx(w->cctx);
    if (w->fd >= 0)
        close(w->fd);
    if (w->regions)
        munmap(w->regions, w->cap_regions * sizeof *w->regions);
    if (w->chunks)
        munmap(w->chunks, w->cap_chunks * sizeof *w->chunks);
    if (w->out)
        munmap(w->out, OUT_SIZE);
    munmap(w, sizeof *w);
}

struct img_writer *img_writer_open(const char *path, const struct img_writer_opts *opts,
                                   struct img_write_error *err)
{
    struct img_writer *w = map_anon(sizeof *w);
    if (!w) {
        err->what = "allocating the image writer";
        err->errnum = errno;
        return NULL;
    }
    w->fd = -1;
    size_t n = str_copy(w->path, sizeof w->path, path);
    int bad = 0;
    if (n == 0)
        bad = fail(w, "image path too long", ENAMETOOLONG);
    else
        tmp_name(w->tmp, w->path, n);
    if (!bad && !(w->out = map_anon(OUT_SIZE)))
        bad = fail(w, "allocating the image output buffer", errno);
    if (!bad)
        bad = setup_cctx(w, opts);
    if (!bad && (w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        bad = fail(w, "creating the temporary image file", errno);
    if (bad) {
        *err = w->err;
        release(w);
        return NULL;
    }
    return w;
}

int img_writer_header(struct img_writer *w, const struct img_header *hdr)
{
    struct img_header *h = &w->hdr;
    *h = *hdr;
    memcpy(h->magic, IMG_MAGIC, sizeof h->magic);
    h->version = IMG_VERSION;
    h->header_size = sizeof *h;
    h->page_size = IMG_PAGE_SIZE;
    h->raw_bytes = 0;   /* the final header is rewritten by the commit */
    return emit(w, h, sizeof *h);
}

/* --- regions and frames -------------------------------------------------- */

int img_writer_region(struct img_writer *w, const struct img_region *r)
{
    if (w->n_regions && r->start < w->regions[w->n_regions - 1].end)
        return fail(w, "regions out of address order", EINVAL);
    if (grow((void **)&w->regions, &w->cap_regions, w->n_regions + 1, sizeof *r) < 0)
        return fail(w, "growing the region table", errno);
    struct img_region *nr = &w->regions[w->n_regions++];
    *nr = *r;
    nr->first_chunk = w->n_chunks;
    nr->n_chunks = 0;
    return 0;
}

/* One frame: [p, p + len) of the current region at offset. */
static int put_frame(struct img_writer *w, uint64_t offset, const unsigned char *p, size_t len)
{
    if (grow((void **)&w->chunks, &w->cap_chunks, w->n_chunks + 1, sizeof *w->chunks) < 0)
        return fail(w, "growing the chunk table", errno);
    struct img_chunk c = { .offset = offset, .raw_len = len, .file_off = w->offset };
    struct xxh64_state frame_hash;
    xxh64_init(&frame_hash, 0);
    ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_only);
    ZSTD_CCtx_setPledgedSrcSize(w->cctx, len);
    ZSTD_inBuffer in = { p, len, 0 };
    size_t left;
    do {
        ZSTD_outBuffer out = { w->out + w->out_used, OUT_SIZE - w->out_used, 0 };
        left = ZSTD_compressStream2(w->cctx, &out, &in, ZSTD_e_end);
        if (ZSTD_isError(left))
            return fail(w, "compressing memory (zstd)", EIO);
        xxh64_update(&frame_hash, out.dst, out.pos);
        w->out_used += out.pos;
        w->offset += out.pos;
        c.comp_len += out.pos;
        if (w->out_used == OUT_SIZE && flush_out(w) < 0)
            return -1;
    } while (left != 0);
    c.checksum = xxh64_digest(&frame_hash);
    w->chunks[w->n_chunks++] = c;
    w->regions[w->n_regions - 1].n_chunks++;
    w->raw_bytes += len;
    return 0;
}

static int page_is_zero(const unsigned char *p)
{
    const uint64_t *q = (const uint64_t *)(const void *)p;
    for (size_t i = 0; i < IMG_PAGE_SIZE / 8; i++)
        if (q[i])
            return 0;
    return 1;
}

int img_writer_data(struct img_writer *w, uint64_t offset, const void *data, size_t len)
{
    const unsigned char *p = data;
    size_t run = 0;   /* non-zero pages pending before page i */
    if (!w->n_regions || (offset | len) & (IMG_PAGE_SIZE - 1))
        return fail(w, "memory data outside a region or not page aligned", EINVAL);
    for (size_t i = 0; i < len; i += IMG_PAGE_SIZE) {
        int zero = page_is_zero(p + i);
        if (run && (zero || run == IMG_FRAME_MAX)) {
            if (put_frame(w, offset + i - run, p + i - run, run) < 0)
                return -1;
            run = 0;
        }
        if (!zero)
            run += IMG_PAGE_SIZE;
    }
    if (run && put_frame(w, offset + len - run, p + len - run, run) < 0)
        return -1;
    return 0;
}

/* --- commit --------------------------------------------------------------- */

/* The header again at offset 0, now that raw_bytes is known; after every
 * buffered byte is written, so nothing overwrites it. */
static int rewrite_header(struct img_writer *w)
{
    if (pwrite(w->fd, &w->hdr, sizeof w->hdr, 0) != (ssize_t)sizeof w->hdr)
        return fail(w, "rewriting the image header", errno ? errno : EIO);
    return 0;
}

static int emit_tables(struct img_writer *w, struct img_trailer *t)
{
    static const unsigned char pad[8];
    w->hdr.raw_bytes = w->raw_bytes;
    w->hdr.header_checksum = img_header_checksum(&w->hdr);
    if (emit(w, pad, (8 - w->offset % 8) % 8) < 0)
        return -1;
    t->table_offset = w->offset;
    t->n_regions = w->n_regions;
    t->n_chunks = w->n_chunks;
    size_t rbytes = w->n_regions * sizeof *w->regions, cbytes = w->n_chunks * sizeof *w->chunks;
    struct xxh64_state s;
    xxh64_init(&s, 0);
    xxh64_update(&s, &w->hdr, sizeof w->hdr);
    xxh64_update(&s, w->regions, rbytes);
    xxh64_update(&s, w->chunks, cbytes);
    t->root_checksum = xxh64_digest(&s);   /* img_root_checksum() of a split table */
    if (emit(w, w->regions, rbytes) < 0 || emit(w, w->chunks, cbytes) < 0 || flush_out(w) < 0)
        return -1;
    return rewrite_header(w);
}

static int sync_dir(struct img_writer *w)
{
    char dir[IMG_PATH_MAX];
    size_t n = str_copy(dir, sizeof dir, w->path), slash = 0;
    for (size_t i = 0; i < n; i++)
        if (dir[i] == '/')
            slash = i + 1;
    if (slash == 0)
        str_copy(dir, sizeof dir, ".");
    else
        dir[slash == 1 ? 1 : slash - 1] = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return fail(w, "opening the image directory to fsync it", errno);
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    return rc < 0 ? fail(w, "fsyncing the image directory", e) : 0;
}

static int finish(struct img_writer *w, struct img_write_stats *st)
{
    struct img_trailer t = { .magic = IMG_TRAILER_MAGIC };
    if (emit_tables(w, &t) < 0)
        return -1;
    t.file_size = w->offset + sizeof t;
    t.trailer_checksum = img_trailer_checksum(&t);
    if (write_all(w->fd, (const void *)&t, sizeof t) < 0)
        return fail(w, "writing the image trailer", errno ? errno : EIO);
    if (fsync(w->fd) < 0)
        return fail(w, "fsyncing the image", errno);
    if (rename(w->tmp, w->path) < 0)
        return fail(w, "renaming the temporary image into place", errno);
    if (sync_dir(w) < 0)
        return -1;
    if (st) {
        st->file_bytes = t.file_size;
        st->raw_bytes = w->raw_bytes;
        st->n_regions = w->n_regions;
        st->n_chunks = w->n_chunks;
        st->mapped_bytes = 0;
        for (size_t i = 0; i < w->n_regions; i++)
            st->mapped_bytes += w->regions[i].end - w->regions[i].start;
    }
    return 0;
}

int img_writer_commit(struct img_writer *w, struct img_write_stats *st,
                      struct img_write_error *err)
{
    if (finish(w, st) < 0) {
        *err = w->err;
        img_writer_abort(w);
        return -1;
    }
    release(w);
    return 0;
}

void img_writer_abort(struct img_writer *w)
{
    unlink(w->tmp);
    release(w);
}

struct img_write_error img_writer_error(const struct img_writer *w)
{
    return w->err;
}

/* --- hosted readers ------------------------------------------------------ */

int img_map_file(const char *path, const void **base, size_t *size)
{
    static const uint64_t empty;   /* an empty file: a view that is too short */
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat sb;
    void *p = (void *)&empty;
    if (fstat(fd, &sb) < 0)
        p = MAP_FAILED;
    else if (sb.st_size > 0)
        p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED) {
        errno = e;
        return -1;
    }
    *base = p;
    *size = (size_t)sb.st_size;
    return 0;
}

void img_unmap_file(const void *base, size_t size)
{
    if (size > 0)
        munmap((void *)base, size);
}
