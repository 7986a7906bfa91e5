/*
 * test_checksum.c — XXH64 (storage/checksum.h) against reference values
 * (from xxhsum) and against zstd's frame checksums, and the streaming form
 * against the one-shot form for every split of an input.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zstd.h>

#include "storage/checksum.h"

static void test_reference_values(void **state)
{
    (void)state;
    static unsigned char zeros[1000];
    assert_true(xxh64("", 0, 0) == 0xef46db3751d8e999ULL);
    assert_true(xxh64("a", 1, 0) == 0xd24ec4f1a98c6e5bULL);
    assert_true(xxh64("abc", 3, 0) == 0x44bc2cf5ad770999ULL);
    assert_true(xxh64(zeros, sizeof zeros, 0) == 0x0e2b1ef27944075aULL);
}

/* "1\n2\n…1000\n", the output of `seq 1 1000`. */
static size_t make_seq(char *out)
{
    size_t n = 0;
    for (int i = 1; i <= 1000; i++) {
        char tmp[8];
        int len = 0, v = i;
        do {
            tmp[len++] = (char)('0' + v % 10);
            v /= 10;
        } while (v);
        while (len)
            out[n++] = tmp[--len];
        out[n++] = '\n';
    }
    return n;
}

static void test_long_reference_value(void **state)
{
    (void)state;
    char text[8192];
    size_t n = make_seq(text);
    assert_true(xxh64(text, n, 0) == 0x7d093e5ad940a99dULL);
}

static void test_streaming_matches_one_shot_for_every_split(void **state)
{
    (void)state;
    unsigned char data[300];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (unsigned char)(i * 131 + 7);
    for (size_t len = 0; len <= sizeof data; len += 37) {
        uint64_t want = xxh64(data, len, 42);
        for (size_t cut = 0; cut <= len; cut++) {
            struct xxh64_state s;
            xxh64_init(&s, 42);
            xxh64_update(&s, data, cut);
            xxh64_update(&s, data + cut, len - cut);
            assert_true(xxh64_digest(&s) == want);
        }
    }
}

/* A zstd frame with a content checksum ends with the low 32 bits of the
 * XXH64 (seed 0) of its content. */
static void test_matches_zstd_frame_checksum(void **state)
{
    (void)state;
    size_t len = 100000;
    unsigned char *data = malloc(len);
    for (size_t i = 0; i < len; i++)
        data[i] = (unsigned char)((i * 2654435761u) >> 13);
    size_t cap = ZSTD_compressBound(len);
    unsigned char *frame = malloc(cap);
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    size_t n = ZSTD_compress2(cctx, frame, cap, data, len);
    assert_false(ZSTD_isError(n));
    uint32_t stored = (uint32_t)frame[n - 4] | (uint32_t)frame[n - 3] << 8 |
                      (uint32_t)frame[n - 2] << 16 | (uint32_t)frame[n - 1] << 24;
    assert_int_equal(stored, (uint32_t)xxh64(data, len, 0));
    ZSTD_freeCCtx(cctx);
    free(frame);
    free(data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_values),
        cmocka_unit_test(test_long_reference_value),
        cmocka_unit_test(test_streaming_matches_one_shot_for_every_split),
        cmocka_unit_test(test_matches_zstd_frame_checksum),
    };
    return cmocka_run_group_tests_name("checksum", tests, NULL, NULL);
}
