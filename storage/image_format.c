/*
 * image_format.c — verification and decompression of process images (see
 * image_format.h for the format and what a verified view guarantees).
 *
 * Freestanding: no libc call, no allocation, no global state, and no zstd
 * (decompression is image_decompress.c's), so the same code serves the
 * restorer (linked -nostdlib), the admin tools and the unit tests. Checks run cheapest first, and every check that guards
 * an offset runs before that offset is used.
 */
#include "storage/image_format.h"

#include "storage/checksum.h"

static int bytes_equal(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return 0;
    return 1;
}

uint64_t img_header_checksum(const struct img_header *h)
{
    struct xxh64_state s;
    uint64_t zero = 0;
    size_t before = offsetof(struct img_header, header_checksum);
    xxh64_init(&s, 0);
    xxh64_update(&s, h, before);
    xxh64_update(&s, &zero, sizeof zero);
    return xxh64_digest(&s);
}

uint64_t img_trailer_checksum(const struct img_trailer *t)
{
    struct xxh64_state s;
    uint64_t zero = 0;
    xxh64_init(&s, 0);
    xxh64_update(&s, t, offsetof(struct img_trailer, trailer_checksum));
    xxh64_update(&s, &zero, sizeof zero);
    return xxh64_digest(&s);
}

static int page_aligned(uint64_t x)
{
    return (x & (IMG_PAGE_SIZE - 1)) == 0;
}

/* The trailer: its own checksum, and the size it records. */
static enum img_status check_trailer(const unsigned char *base, size_t size,
                                     const struct img_trailer **out)
{
    if (size < sizeof(struct img_header) + sizeof(struct img_trailer))
        return IMG_E_SHORT;
    const struct img_trailer *t = (const void *)(base + size - sizeof *t);
    if (!bytes_equal(t->magic, IMG_TRAILER_MAGIC, sizeof t->magic) ||
        t->trailer_checksum != img_trailer_checksum(t))
        return IMG_E_TRAILER;
    if (t->file_size != size)
        return IMG_E_SIZE;
    *out = t;
    return IMG_OK;
}

/* Magic and version come first in every version of the format, so an
 * image of another version is named as such even if its layout differs. */
static enum img_status check_identity(const unsigned char *base, size_t size)
{
    const struct img_header *h = (const void *)base;
    if (size < offsetof(struct img_header, header_size))
        return IMG_E_SHORT;
    if (!bytes_equal(h->magic, IMG_MAGIC, sizeof h->magic))
        return IMG_E_MAGIC;
    if (h->version != IMG_VERSION)
        return IMG_E_VERSION;
    return IMG_OK;
}

static enum img_status check_header(const struct img_header *h)
{
    if (h->header_size != sizeof *h || h->page_size != IMG_PAGE_SIZE ||
        h->header_checksum != img_header_checksum(h) ||
        h->mm.auxv_words > 2 * IMG_AUXV_MAX || h->exe_path[IMG_PATH_MAX - 1] != '\0')
        return IMG_E_HEADER;
    return IMG_OK;
}

static enum img_status check_tables(const struct img_trailer *t, size_t size)
{
    size_t frames_end = size - sizeof *t;
    if (t->table_offset < sizeof(struct img_header) || t->table_offset > frames_end ||
        t->table_offset % 8 != 0)
        return IMG_E_TABLE;
    uint64_t room = frames_end - t->table_offset;
    if (t->n_regions > room / sizeof(struct img_region))
        return IMG_E_TABLE;
    if (t->n_chunks > (room - t->n_regions * sizeof(struct img_region)) / sizeof(struct img_chunk))
        return IMG_E_TABLE;
    if (t->n_regions * sizeof(struct img_region) + t->n_chunks * sizeof(struct img_chunk) != room)
        return IMG_E_TABLE;
    return IMG_OK;
}

static int in_zone(const struct img_region *r)
{
    return r->start < IMG_RESTORER_ZONE_END && r->end > IMG_RESTORER_ZONE_START;
}

/* One region's own fields and its chunk list, against the previous region
 * (prev_end) and the frames area [header end, table_offset). */
static enum img_status check_region(const struct img_view *v, const struct img_region *r,
                                    uint64_t prev_end, uint64_t table_offset)
{
    if (!page_aligned(r->start) || !page_aligned(r->end) || r->start >= r->end ||
        r->start < prev_end || r->path[IMG_REGION_PATH_MAX - 1] != '\0')
        return IMG_E_TABLE;
    if (r->kind < IMG_REGION_ANON || r->kind > IMG_REGION_VDSO)
        return IMG_E_TABLE;
    if (in_zone(r))
        return IMG_E_OVERLAP;
    if (r->first_chunk > v->n_chunks || r->n_chunks > v->n_chunks - r->first_chunk)
        return IMG_E_TABLE;
    if ((r->kind == IMG_REGION_VDSO || r->kind == IMG_REGION_FILE_SHARED) && r->n_chunks)
        return IMG_E_TABLE;
    uint64_t next = 0;
    for (uint64_t i = r->first_chunk; i < r->first_chunk + r->n_chunks; i++) {
        const struct img_chunk *c = &v->chunks[i];
        if (!page_aligned(c->offset) || !page_aligned(c->raw_len) || c->raw_len == 0 ||
            c->offset < next || c->raw_len > r->end - r->start - c->offset ||
            c->file_off < sizeof(struct img_header) || c->file_off > table_offset ||
            c->comp_len > table_offset - c->file_off)
            return IMG_E_TABLE;
        next = c->offset + c->raw_len;
    }
    return IMG_OK;
}

/* Frames tile [header end, table_offset) in table order, up to at most 7
 * zero bytes of padding: so no byte escapes the checksums. */
static enum img_status check_tiling(const struct img_view *v, uint64_t table_offset)
{
    uint64_t at = sizeof(struct img_header);
    for (size_t i = 0; i < v->n_chunks; i++) {
        if (v->chunks[i].file_off != at)
            return IMG_E_TABLE;
        at += v->chunks[i].comp_len;
    }
    if (table_offset < at || table_offset - at >= 8)
        return IMG_E_TABLE;
    for (; at < table_offset; at++)
        if (v->base[at] != 0)
            return IMG_E_TABLE;
    return IMG_OK;
}

static enum img_status check_frames(struct img_view *v)
{
    for (size_t i = 0; i < v->n_chunks; i++) {
        const struct img_chunk *c = &v->chunks[i];
        if (xxh64(v->base + c->file_off, c->comp_len, 0) != c->checksum) {
            v->bad_index = i;
            return IMG_E_FRAME_SUM;
        }
    }
    return IMG_OK;
}

uint64_t img_root_checksum(const struct img_header *h, const void *tables, size_t len)
{
    struct xxh64_state s;
    xxh64_init(&s, 0);
    xxh64_update(&s, h, sizeof *h);
    xxh64_update(&s, tables, len);
    return xxh64_digest(&s);
}

enum img_status img_view_open(const void *base, size_t size, struct img_view *v)
{
    const struct img_trailer *t = 0;
    enum img_status st;
    v->base = base;
    v->size = size;
    v->bad_index = 0;
    if ((st = check_identity(v->base, size)) != IMG_OK)
        return st;
    if ((st = check_trailer(v->base, size, &t)) != IMG_OK)
        return st;
    v->hdr = base;
    if ((st = check_header(v->hdr)) != IMG_OK)
        return st;
    if ((st = check_tables(t, size)) != IMG_OK)
        return st;
    if (img_root_checksum(v->hdr, v->base + t->table_offset, size - sizeof *t - t->table_offset) !=
        t->root_checksum)
        return IMG_E_ROOT_SUM;
    v->regions = (const void *)(v->base + t->table_offset);
    v->n_regions = t->n_regions;
    v->chunks = (const void *)(v->regions + t->n_regions);
    v->n_chunks = t->n_chunks;
    uint64_t prev_end = 0;
    for (size_t i = 0; i < v->n_regions; i++) {
        if ((st = check_region(v, &v->regions[i], prev_end, t->table_offset)) != IMG_OK) {
            v->bad_index = i;
            return st;
        }
        prev_end = v->regions[i].end;
    }
    if ((st = check_tiling(v, t->table_offset)) != IMG_OK)
        return st;
    return check_frames(v);
}

const char *img_status_text(enum img_status st)
{
    switch (st) {
    case IMG_OK: return "image is valid";
    case IMG_E_SHORT: return "file too short to be an image (truncated?)";
    case IMG_E_TRAILER: return "no valid trailer (truncated or not an image)";
    case IMG_E_SIZE: return "file size differs from the size its trailer records (truncated?)";
    case IMG_E_ROOT_SUM: return "checksum of the image's header and tables does not match (corrupted)";
    case IMG_E_MAGIC: return "not an mpickpt process image";
    case IMG_E_VERSION: return "image format version not supported by this program";
    case IMG_E_HEADER: return "image header is invalid";
    case IMG_E_TABLE: return "region or chunk table is invalid";
    case IMG_E_FRAME_SUM: return "checksum of a data frame does not match (corrupted)";
    case IMG_E_FRAME: return "a data frame does not decompress to its recorded size";
    case IMG_E_OVERLAP: return "a region lies in the restorer's address zone";
    }
    return "unknown image status";
}
