/*
 * test_image_format.c — the image format (storage/image_format.h) and its
 * writer (storage/image_writer.h): a written image reads back to the same
 * memory, zero pages are not stored, the commit is atomic, and every kind
 * of damage is caught by img_view_open() before anything could be mapped:
 * a bit flip in a frame, in the header or the tables, bytes outside every
 * frame, a truncated file, a missing trailer, bytes after the trailer, a
 * wrong magic or version, a region in the restorer's zone.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zstd.h>

#include "storage/image_format.h"
#include "storage/image_writer.h"

#define PAGE IMG_PAGE_SIZE
#define NPAGES 64

struct fixture {
    char dir[64];
    char path[128];
    unsigned char *mem;          /* the "memory" of the anonymous region */
    unsigned char *image;        /* the image file's bytes, 8-byte aligned */
    size_t size;
};

/* Pages 0-9 random, 10-19 zero, 20-39 a repeated pattern, 40-63 zero but
 * page 50: runs, zero gaps and compressible data. */
static void fill_memory(unsigned char *m)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    memset(m, 0, NPAGES * PAGE);
    for (size_t i = 0; i < 10 * PAGE; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        m[i] = (unsigned char)x;
    }
    for (size_t i = 20 * PAGE; i < 40 * PAGE; i++)
        m[i] = (unsigned char)(i % 251);
    memset(m + 50 * PAGE, 0xa5, PAGE);
}

static const struct img_writer_opts opts = { .level = 1, .workers = 0 };

static void write_image(struct fixture *f, uint64_t anon_start)
{
    struct img_write_error err;
    struct img_writer *w = img_writer_open(f->path, &opts, &err);
    assert_non_null(w);
    struct img_header h;
    memset(&h, 0, sizeof h);
    strcpy(h.exe_path, "/bin/true");
    h.cpu.rip = 0x401000;
    assert_int_equal(img_writer_header(w, &h), 0);
    struct img_region r = { .start = anon_start, .end = anon_start + NPAGES * PAGE,
                            .prot = 3, .kind = IMG_REGION_ANON };
    assert_int_equal(img_writer_region(w, &r), 0);
    assert_int_equal(img_writer_data(w, 0, f->mem, NPAGES * PAGE), 0);
    struct img_region v = { .start = 0x7fff00000000ull, .end = 0x7fff00002000ull,
                            .prot = 1, .kind = IMG_REGION_VDSO, .vdso = IMG_VDSO_VDSO };
    assert_int_equal(img_writer_region(w, &v), 0);
    struct img_write_stats st;
    assert_int_equal(img_writer_commit(w, &st, &err), 0);
    assert_int_equal(st.n_regions, 2);
    assert_int_equal(st.raw_bytes, 31 * PAGE);   /* pages 0-9, 20-39, 50 */
}

static void load_image(struct fixture *f)
{
    const void *base;
    size_t size;
    assert_int_equal(img_map_file(f->path, &base, &size), 0);
    f->image = aligned_alloc(8, (size + 7) / 8 * 8);
    assert_non_null(f->image);
    memcpy(f->image, base, size);
    f->size = size;
    img_unmap_file(base, size);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/test_image_format.XXXXXX");
    if (!f || !mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/img", f->dir);
    f->mem = aligned_alloc(PAGE, NPAGES * PAGE);
    fill_memory(f->mem);
    write_image(f, 0x10000000);
    load_image(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    unlink(f->path);
    rmdir(f->dir);
    free(f->mem);
    free(f->image);
    free(f);
    return 0;
}

static enum img_status open_view(struct fixture *f, size_t size, struct img_view *v)
{
    return img_view_open(f->image, size, v);
}

/* Recomputes the header's, the root and the trailer's checksums, as a
 * writer of the damaged content would: damage then shows in the finer
 * checks. */
static void reseal(struct fixture *f)
{
    struct img_header *h = (void *)f->image;
    struct img_trailer *t = (void *)(f->image + f->size - sizeof *t);
    h->header_checksum = img_header_checksum(h);
    t->root_checksum = img_root_checksum(h, f->image + t->table_offset,
                                         f->size - sizeof *t - t->table_offset);
    t->trailer_checksum = img_trailer_checksum(t);
}

static void test_round_trip(void **state)
{
    struct fixture *f = *state;
    struct img_view v;
    assert_int_equal(open_view(f, f->size, &v), IMG_OK);
    assert_int_equal(v.n_regions, 2);
    assert_int_equal(v.regions[0].kind, IMG_REGION_ANON);
    assert_int_equal(v.regions[0].n_chunks, 3);   /* three runs of non-zero pages */
    assert_int_equal(v.regions[1].n_chunks, 0);
    assert_true(v.hdr->cpu.rip == 0x401000);
    assert_int_equal(v.hdr->raw_bytes, 31 * PAGE);
    assert_string_equal(v.hdr->exe_path, "/bin/true");
    unsigned char *back = calloc(NPAGES, PAGE);
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    for (size_t i = 0; i < v.regions[0].n_chunks; i++) {
        const struct img_chunk *c = &v.chunks[v.regions[0].first_chunk + i];
        assert_int_equal(img_chunk_decompress(&v, c, back + c->offset, (void *)dctx), IMG_OK);
    }
    assert_memory_equal(back, f->mem, NPAGES * PAGE);
    ZSTD_freeDCtx(dctx);
    free(back);
}

/* After a commit the directory holds the image and nothing else. */
static void test_commit_leaves_no_temporary(void **state)
{
    struct fixture *f = *state;
    DIR *d = opendir(f->dir);
    assert_non_null(d);
    int entries = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            assert_string_equal(e->d_name, "img");
            entries++;
        }
    closedir(d);
    assert_int_equal(entries, 1);
}

static void test_abort_keeps_previous_image(void **state)
{
    struct fixture *f = *state;
    struct img_write_error err;
    struct img_writer *w = img_writer_open(f->path, &opts, &err);
    struct img_header h;
    memset(&h, 0, sizeof h);
    assert_non_null(w);
    assert_int_equal(img_writer_header(w, &h), 0);
    img_writer_abort(w);
    const void *base;
    size_t size;
    struct img_view v;
    assert_int_equal(img_map_file(f->path, &base, &size), 0);
    assert_int_equal(img_view_open(base, size, &v), IMG_OK);
    img_unmap_file(base, size);
}

static void test_bit_flip_in_frame(void **state)
{
    struct fixture *f = *state;
    struct img_view v;
    assert_int_equal(open_view(f, f->size, &v), IMG_OK);
    size_t at = v.chunks[1].file_off + v.chunks[1].comp_len / 2;
    f->image[at] ^= 0x10;
    assert_int_equal(open_view(f, f->size, &v), IMG_E_FRAME_SUM);
    assert_int_equal(v.bad_index, 1);
}

static void test_bit_flip_in_header_and_tables(void **state)
{
    struct fixture *f = *state;
    struct img_view v;
    struct img_header *h = (void *)f->image;
    struct img_trailer *t = (void *)(f->image + f->size - sizeof *t);
    f->image[offsetof(struct img_header, exe_path) + 3] ^= 1;
    assert_int_equal(open_view(f, f->size, &v), IMG_E_HEADER);
    /* A header changed along with its own checksum: the root sees it. */
    h->header_checksum = img_header_checksum(h);
    assert_int_equal(open_view(f, f->size, &v), IMG_E_ROOT_SUM);
    f->image[offsetof(struct img_header, exe_path) + 3] ^= 1;
    reseal(f);
    assert_int_equal(open_view(f, f->size, &v), IMG_OK);
    f->image[t->table_offset + 8] ^= 4;   /* a region's end */
    assert_int_equal(open_view(f, f->size, &v), IMG_E_ROOT_SUM);
    reseal(f);
    assert_int_equal(open_view(f, f->size, &v), IMG_E_TABLE);
    f->image[t->table_offset + 8] ^= 4;
    f->image[f->size - sizeof *t - 1] ^= 1;   /* the chunk table's last byte */
    assert_int_equal(open_view(f, f->size, &v), IMG_E_ROOT_SUM);
}

/* Bytes between frames that no checksum would cover are refused. */
static void test_frames_must_tile(void **state)
{
    struct fixture *f = *state;
    struct img_view v;
    struct img_trailer *t = (void *)(f->image + f->size - sizeof *t);
    struct img_chunk *c = (void *)(f->image + t->table_offset + 2 * sizeof(struct img_region));
    c[1].file_off += 1;
    c[1].comp_len -= 1;
    reseal(f);
    assert_int_equal(open_view(f, f->size, &v), IMG_E_TABLE);
}

static void test_truncated(void **state)
{
    struct fixture *f = *state;
    struct img_view v;
    assert_int_equal(open_view(f, f->size - 1, &v), IMG_E_TRAILER);
    assert_int_equal(open_view(f, f->size / 2, &v), IMG_E_TRAILER);
    assert_int_equal(open_view(f, 100, &v), IMG_E_SHORT);
    assert_int_equal(open_view(f, 0, &v), IMG_E_SHORT);
}

static void test_missing_trailer(void **state)
{
    struct fixture *f = *state;
    struct img_view v;
    assert_int_equal(open_view(f, f->size - sizeof(struct img_trailer), &v), IMG_E_TRAILER);
}

/* A trailer whose size is not the file's: bytes appended after it. */
static void test_trailing_garbage(void **state)
{
    struct fixture *f = *state;
    struct img_view v;
    unsigned char *longer = aligned_alloc(8, f->size + 64);
    memcpy(longer, f->image, f->size);
    memcpy(longer + 64, f->image, f->size);   /* the trailer is at the end again */
    assert_int_equal(img_view_open(longer, f->size + 64, &v), IMG_E_SIZE);
    free(longer);
}

static void test_wrong_version_and_magic(void **state)
{
    struct fixture *f = *state;
    struct img_view v;
    struct img_header *h = (void *)f->image;
    h->version = IMG_VERSION + 1;
    assert_int_equal(open_view(f, f->size, &v), IMG_E_VERSION);
    h->version = IMG_VERSION;
    h->magic[0] = 'X';
    assert_int_equal(open_view(f, f->size, &v), IMG_E_MAGIC);
    assert_string_equal(img_status_text(IMG_E_MAGIC), "not an mpickpt process image");
}

static void test_region_in_restorer_zone(void **state)
{
    struct fixture *f = *state;
    struct img_view v;
    write_image(f, IMG_RESTORER_ZONE_START + 0x1000);
    free(f->image);
    load_image(f);
    assert_int_equal(open_view(f, f->size, &v), IMG_E_OVERLAP);
}

static void test_regions_out_of_order_refused(void **state)
{
    struct fixture *f = *state;
    struct img_write_error err;
    struct img_writer *w = img_writer_open(f->path, &opts, &err);
    struct img_header h;
    memset(&h, 0, sizeof h);
    assert_int_equal(img_writer_header(w, &h), 0);
    struct img_region a = { .start = 0x20000, .end = 0x30000, .prot = 3, .kind = IMG_REGION_ANON };
    struct img_region b = { .start = 0x10000, .end = 0x20000, .prot = 3, .kind = IMG_REGION_ANON };
    assert_int_equal(img_writer_region(w, &a), 0);
    assert_int_equal(img_writer_region(w, &b), -1);
    assert_string_equal(img_writer_error(w).what, "regions out of address order");
    img_writer_abort(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_leaves_no_temporary, setup, teardown),
        cmocka_unit_test_setup_teardown(test_abort_keeps_previous_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bit_flip_in_frame, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bit_flip_in_header_and_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(test_frames_must_tile, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_trailer, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trailing_garbage, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wrong_version_and_magic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_region_in_restorer_zone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_regions_out_of_order_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
