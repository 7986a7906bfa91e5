/*
 * test_reduce_ops.c — checks plugin/reduce_ops against Open MPI's own
 * reductions: every valid (op, kind) pair on random data, byte for byte
 * with MPI_Reduce_local on the matching MPI datatype and op; which pairs
 * are rejected (and that Open MPI rejects them too, but for the documented
 * exceptions); unaligned buffers; MAXLOC/MINLOC ties; integer wrap; NaN and
 * signed zero; count 0; REPLACE and NO_OP.
 *
 * Invariants: MPI is initialized once, as a singleton (no mpirun), with
 * Open MPI's "avx" op component disabled, because that component's results
 * depend on an element's position in the buffer (see reduce_ops.h); the
 * base component it falls back to is the reference the kernels match.
 * Inputs come from a seeded splitmix64, so every run checks the same data.
 * Buffers are laid out with basic_kind_size(), itself checked against
 * Open MPI's extents; they start as random bytes, so padding is compared
 * too (both sides must leave it alone).
 */
#include <mpi.h>

#include <float.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "plugin/basic_kind.h"
#include "plugin/basic_kind_mpi.h"
#include "plugin/reduce_ops.h"

/* Bytes of a long double that hold its value (x87: 10 of 16); the
 * generator writes only those, like the code under test. */
#if LDBL_MANT_DIG == 64
#define LDOUBLE_VALUE_BYTES 10
#else
#define LDOUBLE_VALUE_BYTES sizeof(long double)
#endif

/* Elements per random comparison: odd, so no vector width divides it. */
enum { RANDOM_COUNT = 1031, UNALIGNED_COUNT = 67 };

/* ---- deterministic random numbers -------------------------------------- */

struct rng {
    uint64_t state;
};

static struct rng rng_for(uint64_t stream)
{
    return (struct rng){ UINT64_C(0x5eed0f4ed0c0ffee) ^ (stream << 32) };
}

/* splitmix64: a fixed sequence for a fixed seed on every machine. */
static uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->state += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* ---- kinds, ops and their MPI handles ---------------------------------- */

static MPI_Datatype mpi_type(enum basic_kind kind)
{
    MPI_Datatype t = basic_kind_mpi_type(kind);
    if (t == MPI_DATATYPE_NULL)
        fail_msg("no MPI type for kind %d", (int)kind);
    return t;
}

static MPI_Op mpi_op(enum reduce_op op)
{
    switch (op) {
    case ROP_MAX: return MPI_MAX;
    case ROP_MIN: return MPI_MIN;
    case ROP_SUM: return MPI_SUM;
    case ROP_PROD: return MPI_PROD;
    case ROP_LAND: return MPI_LAND;
    case ROP_BAND: return MPI_BAND;
    case ROP_LOR: return MPI_LOR;
    case ROP_BOR: return MPI_BOR;
    case ROP_LXOR: return MPI_LXOR;
    case ROP_BXOR: return MPI_BXOR;
    case ROP_MAXLOC: return MPI_MAXLOC;
    case ROP_MINLOC: return MPI_MINLOC;
    case ROP_REPLACE: return MPI_REPLACE;
    case ROP_NO_OP: return MPI_NO_OP;
    case REDUCE_OP_COUNT: break;
    }
    return MPI_OP_NULL;
}

/* The ops of MPI_Reduce and friends, i.e. all but the RMA-only two. */
static bool is_reduction(enum reduce_op op)
{
    return op != ROP_REPLACE && op != ROP_NO_OP;
}

/* The pairs Open MPI 4.1 reduces although the standard does not define
 * them and reduce_op_valid() follows the standard: MPI_BYTE as uint8_t. */
static bool open_mpi_extension(enum reduce_op op, enum basic_kind kind)
{
    return kind == BASIC_BYTE
           && (op == ROP_MAX || op == ROP_MIN || op == ROP_SUM
               || op == ROP_PROD || op == ROP_LAND || op == ROP_LOR
               || op == ROP_LXOR);
}

/* ---- element writers ---------------------------------------------------- */

/* The C structs of the pair kinds, to find the index field. */
#define PAIR_K_OFFSET(T) offsetof(struct { T v; int k; }, k)

static void write_int(unsigned char *p, size_t size, uint64_t bits)
{
    uint8_t b8 = (uint8_t)bits;
    uint16_t b16 = (uint16_t)bits;
    uint32_t b32 = (uint32_t)bits;
    switch (size) {
    case 1: memcpy(p, &b8, 1); break;
    case 2: memcpy(p, &b16, 2); break;
    case 4: memcpy(p, &b32, 4); break;
    default: memcpy(p, &bits, 8); break;
    }
}

/* Stores v as the floating type of `kind` (FLOAT, DOUBLE or LONG_DOUBLE). */
static void write_real(unsigned char *p, enum basic_kind kind, long double v)
{
    float f = (float)v;
    double d = (double)v;
    switch (kind) {
    case BASIC_FLOAT: memcpy(p, &f, sizeof f); break;
    case BASIC_DOUBLE: memcpy(p, &d, sizeof d); break;
    default: memcpy(p, &v, LDOUBLE_VALUE_BYTES); break;
    }
}

/* ---- random elements ---------------------------------------------------- */

/* Integers: many zeros (logical ops), small values, the extremes of each
 * width (overflow), and random bits. */
static uint64_t random_int_bits(struct rng *r)
{
    static const uint64_t extremes[] = {
        UINT64_C(0x7f7f7f7f7f7f7f7f), UINT64_C(0x8080808080808080),
        UINT64_C(0xffffffffffffffff), UINT64_C(0x7fff7fff7fff7fff),
        UINT64_C(0x8000800080008000), UINT64_C(0x7fffffff7fffffff),
        UINT64_C(0x8000000080000000), UINT64_C(0x7fffffffffffffff),
        UINT64_C(0x8000000000000000),
    };
    uint64_t x = rng_next(r);
    switch (x & 7) {
    case 0:
    case 1: return 0;
    case 2: return 1 + (x >> 3) % 3;
    case 3: return extremes[(x >> 3) % (sizeof extremes / sizeof *extremes)];
    default: return rng_next(r);
    }
}

/* m * 2^e for a 64-bit m in [0.5, 1), computed exactly in long double. */
static long double scaled(uint64_t m, int e)
{
    long double v = (long double)(m | UINT64_C(1) << 63) * 0x1p-64L;
    for (; e > 0; e--)
        v *= 2;
    for (; e < 0; e++)
        v /= 2;
    return v;
}

/* Reals: mostly near 1 (so sums and products round), some far apart
 * (overflow, underflow to subnormals), signed zeros and infinities.
 * No NaN: two NaN operands give a payload that depends on instruction
 * order, not on the operation (NaN is tested apart, for MAX/MIN). */
static long double random_real(struct rng *r)
{
    uint64_t x = rng_next(r);
    long double sign = (x & 1) ? -1.0L : 1.0L;
    switch ((x >> 1) & 15) {
    case 0: return sign * 0.0L;
    case 1: return sign * (long double)INFINITY;
    case 2:
    case 3: return sign * scaled(rng_next(r), (int)((x >> 8) % 2200) - 1100);
    default: return sign * scaled(rng_next(r), (int)((x >> 8) % 17) - 8);
    }
}

/* The component kind of a complex kind, or the value kind of a floating
 * pair kind. */
static enum basic_kind real_part(enum basic_kind kind)
{
    switch (kind) {
    case BASIC_FLOAT_COMPLEX: case BASIC_FLOAT_INT: return BASIC_FLOAT;
    case BASIC_DOUBLE_COMPLEX: case BASIC_DOUBLE_INT: return BASIC_DOUBLE;
    default: return BASIC_LONG_DOUBLE;
    }
}

/* Where the index field of a pair kind's struct starts: after the value
 * and its padding. */
static size_t pair_k_offset(enum basic_kind kind)
{
    switch (kind) {
    case BASIC_FLOAT_INT: return PAIR_K_OFFSET(float);
    case BASIC_DOUBLE_INT: return PAIR_K_OFFSET(double);
    case BASIC_LONG_INT: return PAIR_K_OFFSET(long);
    case BASIC_SHORT_INT: return PAIR_K_OFFSET(short);
    case BASIC_LONG_DOUBLE_INT: return PAIR_K_OFFSET(long double);
    default: return PAIR_K_OFFSET(int);
    }
}

/* Pairs: values in -2..2 (so ties are frequent; -0.0 for floating ones)
 * and random indices, negative ones included. */
static void random_pair(unsigned char *p, enum basic_kind kind, struct rng *r)
{
    uint64_t x = rng_next(r);
    int v = (int)(x % 5) - 2;
    int k = (int)(uint32_t)(x >> 32);
    switch (kind) {
    case BASIC_FLOAT_INT:
    case BASIC_DOUBLE_INT:
    case BASIC_LONG_DOUBLE_INT:
        write_real(p, real_part(kind),
                   v == 0 && (x & 8) ? -0.0L : (long double)v);
        break;
    case BASIC_LONG_INT:
        write_int(p, sizeof(long), (uint64_t)(int64_t)v);
        break;
    case BASIC_SHORT_INT:
        write_int(p, sizeof(short), (uint64_t)(int64_t)v);
        break;
    default:
        write_int(p, sizeof(int), (uint64_t)(int64_t)v);
        break;
    }
    memcpy(p + pair_k_offset(kind), &k, sizeof k);
}

static void random_element(unsigned char *p, enum basic_kind kind,
                           struct rng *r)
{
    size_t size = basic_kind_size(kind);
    switch (kind) {
    case BASIC_C_BOOL:
        p[0] = rng_next(r) & 1;
        break;
    case BASIC_FLOAT:
    case BASIC_DOUBLE:
    case BASIC_LONG_DOUBLE:
        write_real(p, kind, random_real(r));
        break;
    case BASIC_FLOAT_COMPLEX:
    case BASIC_DOUBLE_COMPLEX:
    case BASIC_LONG_DOUBLE_COMPLEX:
        write_real(p, real_part(kind), random_real(r));
        write_real(p + size / 2, real_part(kind), random_real(r));
        break;
    case BASIC_FLOAT_INT:
    case BASIC_DOUBLE_INT:
    case BASIC_LONG_INT:
    case BASIC_2INT:
    case BASIC_SHORT_INT:
    case BASIC_LONG_DOUBLE_INT:
        random_pair(p, kind, r);
        break;
    default:
        write_int(p, size, random_int_bits(r));
        break;
    }
}

/* Fills in[] and inout[] (count elements each) with random bytes, then
 * random values; one element in eight of inout equals in's (ties). */
static void random_operands(unsigned char *in, unsigned char *inout,
                            enum basic_kind kind, size_t count,
                            struct rng *r)
{
    size_t size = basic_kind_size(kind);
    for (size_t i = 0; i < count * size; i++) {
        in[i] = (unsigned char)rng_next(r);
        inout[i] = (unsigned char)rng_next(r);
    }
    for (size_t i = 0; i < count; i++) {
        random_element(in + i * size, kind, r);
        if (rng_next(r) % 8 == 0)
            memcpy(inout + i * size, in + i * size, size);
        else
            random_element(inout + i * size, kind, r);
    }
}

/* ---- comparison with Open MPI ------------------------------------------ */

static void print_bytes(const char *label, const unsigned char *p,
                        size_t size)
{
    char hex[3 * 64 + 1] = "";
    for (size_t i = 0; i < size && i < 64; i++)
        snprintf(hex + 3 * i, 4, " %02x", p[i]);
    print_error("  %-10s%s\n", label, hex);
}

/* Reduces (in, inout) both with MPI_Reduce_local and with reduce_apply
 * (in, inout_here: any alignment, same contents as inout) and fails on
 * the first element whose bytes differ. */
static void expect_same_as_mpi(enum reduce_op op, enum basic_kind kind,
                               const unsigned char *in,
                               const unsigned char *inout,
                               const unsigned char *in_here,
                               unsigned char *inout_here, size_t count)
{
    size_t size = basic_kind_size(kind);
    unsigned char *expected = malloc(count * size);
    assert_non_null(expected);
    memcpy(expected, inout, count * size);
    assert_int_equal(MPI_Reduce_local(in, expected, (int)count,
                                      mpi_type(kind), mpi_op(op)),
                     MPI_SUCCESS);
    assert_int_equal(reduce_apply(op, kind, in_here, inout_here, count), 0);
    for (size_t i = 0; i < count; i++) {
        if (memcmp(expected + i * size, inout_here + i * size, size) != 0) {
            print_error("%s on %s differs from Open MPI at element %zu\n",
                        reduce_op_name(op), basic_kind_name(kind), i);
            print_bytes("in", in + i * size, size);
            print_bytes("inout", inout + i * size, size);
            print_bytes("Open MPI", expected + i * size, size);
            print_bytes("ours", inout_here + i * size, size);
            free(expected);
            fail();
        }
    }
    free(expected);
}

/* expect_same_as_mpi() with reduce_apply() on an aligned copy of inout. */
static void expect_same_as_mpi_aligned(enum reduce_op op,
                                       enum basic_kind kind,
                                       const unsigned char *in,
                                       const unsigned char *inout,
                                       size_t count)
{
    size_t bytes = count * basic_kind_size(kind);
    unsigned char *ours = malloc(bytes);
    assert_non_null(ours);
    memcpy(ours, inout, bytes);
    expect_same_as_mpi(op, kind, in, inout, in, ours, count);
    free(ours);
}

/* ---- fixtures ------------------------------------------------------------ */

static int setup_mpi(void **state)
{
    (void)state;
    /* The base op component is the reference (see the header comment). */
    if (setenv("OMPI_MCA_op", "^avx", 1) != 0)
        return -1;
    if (MPI_Init(NULL, NULL) != MPI_SUCCESS)
        return -1;
    /* Rejections must come back as error codes, not abort the test. */
    return MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN)
                   == MPI_SUCCESS
               ? 0
               : -1;
}

static int teardown_mpi(void **state)
{
    (void)state;
    return MPI_Finalize() == MPI_SUCCESS ? 0 : -1;
}

/* ---- tests --------------------------------------------------------------- */

/* Every other test sizes its buffers with basic_kind_size(). */
static void test_kind_sizes_match_open_mpi_extents(void **state)
{
    (void)state;
    for (int k = 0; k < BASIC_KIND_COUNT; k++) {
        MPI_Aint lb, extent;
        assert_int_equal(MPI_Type_get_extent(mpi_type(k), &lb, &extent),
                         MPI_SUCCESS);
        if ((size_t)extent != basic_kind_size(k))
            fail_msg("%s: basic_kind_size %zu, Open MPI extent %ld",
                     basic_kind_name(k), basic_kind_size(k), (long)extent);
    }
}

/* Per kind (the state): every valid reduction op on RANDOM_COUNT random
 * elements gives Open MPI's bytes. */
static void test_valid_ops_match_mpi_reduce_local(void **state)
{
    enum basic_kind kind = *(enum basic_kind *)*state;
    size_t bytes = RANDOM_COUNT * basic_kind_size(kind);
    unsigned char *in = malloc(bytes), *inout = malloc(bytes);
    assert_non_null(in);
    assert_non_null(inout);
    int checked = 0;
    for (int op = 0; op < REDUCE_OP_COUNT; op++) {
        if (!is_reduction(op) || !reduce_op_valid(op, kind))
            continue;
        struct rng r = rng_for((uint64_t)kind * REDUCE_OP_COUNT + op);
        random_operands(in, inout, kind, RANDOM_COUNT, &r);
        expect_same_as_mpi_aligned(op, kind, in, inout, RANDOM_COUNT);
        checked++;
    }
    assert_true(checked > 0);
    free(in);
    free(inout);
}

static void test_invalid_pairs_return_error_and_leave_inout(void **state)
{
    (void)state;
    unsigned char in[64], inout[64], before[64];
    memset(in, 0x5a, sizeof in);
    for (size_t i = 0; i < sizeof inout; i++)
        inout[i] = (unsigned char)i;
    memcpy(before, inout, sizeof inout);
    for (int k = 0; k < BASIC_KIND_COUNT; k++) {
        for (int op = 0; op < REDUCE_OP_COUNT; op++) {
            if (reduce_op_valid(op, k))
                continue;
            assert_int_equal(reduce_apply(op, k, in, inout, 1),
                             REDUCE_ERR_OP);
            assert_memory_equal(inout, before, sizeof inout);
        }
    }
}

/* Open MPI rejects what we reject, with MPI_ERR_OP, except on MPI_BYTE
 * (open_mpi_extension), and accepts what we accept. */
static void test_open_mpi_accepts_the_same_reduction_pairs(void **state)
{
    (void)state;
    unsigned char in[64] = { 0 }, inout[64] = { 0 };
    for (int k = 0; k < BASIC_KIND_COUNT; k++) {
        for (int op = 0; op < REDUCE_OP_COUNT; op++) {
            if (!is_reduction(op))
                continue;
            int rc = MPI_Reduce_local(in, inout, 1, mpi_type(k), mpi_op(op));
            bool open_mpi_ok = rc == MPI_SUCCESS;
            bool expected = reduce_op_valid(op, k) || open_mpi_extension(op, k);
            if (open_mpi_ok != expected)
                fail_msg("%s on %s: Open MPI %s it, expected %s",
                         reduce_op_name(op), basic_kind_name(k),
                         open_mpi_ok ? "accepts" : "rejects",
                         expected ? "acceptance" : "rejection");
            if (!open_mpi_ok)
                assert_int_equal(rc, MPI_ERR_OP);
        }
    }
}

/* MPI_CHAR takes every C integer op and MPI_WCHAR none, as in Open MPI;
 * MPI_BYTE only the bitwise ones, as in the standard. */
static void test_char_kinds_take_open_mpi_integer_ops(void **state)
{
    (void)state;
    for (int op = ROP_MAX; op <= ROP_BXOR; op++) {
        assert_true(reduce_op_valid(op, BASIC_CHAR));
        assert_true(reduce_op_valid(op, BASIC_SIGNED_CHAR));
        assert_true(reduce_op_valid(op, BASIC_UNSIGNED_CHAR));
        assert_false(reduce_op_valid(op, BASIC_WCHAR));
        assert_int_equal(reduce_op_valid(op, BASIC_BYTE),
                         op == ROP_BAND || op == ROP_BOR || op == ROP_BXOR);
    }
}

/* Open MPI reduces MPI_CHAR as int8_t: MAX(-1, 1) is 1. */
static void test_char_max_compares_signed(void **state)
{
    (void)state;
    char in = -1, inout = 1, expected = 1;
    assert_int_equal(reduce_apply(ROP_MAX, BASIC_CHAR, &in, &inout, 1), 0);
    assert_int_equal(inout, 1);
    assert_int_equal(MPI_Reduce_local(&in, &expected, 1, MPI_CHAR, MPI_MAX),
                     MPI_SUCCESS);
    assert_int_equal(inout, expected);
}

/* Open MPI reduces MPI_OFFSET as uint64_t: MAX(-1, 1) is -1. */
static void test_offset_max_compares_unsigned_like_open_mpi(void **state)
{
    (void)state;
    MPI_Offset in = -1, inout = 1, expected = 1;
    assert_int_equal(reduce_apply(ROP_MAX, BASIC_OFFSET, &in, &inout, 1), 0);
    assert_int_equal(inout, -1);
    assert_int_equal(MPI_Reduce_local(&in, &expected, 1, MPI_OFFSET,
                                      MPI_MAX),
                     MPI_SUCCESS);
    assert_int_equal(inout, expected);
}

/* Open MPI 4.1.4 reduces MPI_UNSIGNED_LONG as long (open-mpi/ompi#10525):
 * MAX(ULONG_MAX, 1) is 1. Should this fail after an Open MPI upgrade, the
 * bug is fixed there: map the kind back to unsigned in reduce_ops.c. */
static void test_unsigned_long_max_compares_signed_like_open_mpi(void **state)
{
    (void)state;
    unsigned long in = (unsigned long)-1, inout = 1, expected = 1;
    assert_int_equal(reduce_apply(ROP_MAX, BASIC_UNSIGNED_LONG, &in, &inout,
                                  1),
                     0);
    assert_true(inout == 1);
    assert_int_equal(MPI_Reduce_local(&in, &expected, 1, MPI_UNSIGNED_LONG,
                                      MPI_MAX),
                     MPI_SUCCESS);
    assert_true(inout == expected);
}

static void test_out_of_range_op_or_kind_is_rejected(void **state)
{
    (void)state;
    int in = 1, inout = 2;
    assert_false(reduce_op_valid(REDUCE_OP_COUNT, BASIC_INT));
    assert_false(reduce_op_valid(ROP_SUM, BASIC_KIND_COUNT));
    assert_false(reduce_op_valid((enum reduce_op)-1, BASIC_INT));
    assert_int_equal(reduce_apply(REDUCE_OP_COUNT, BASIC_INT, &in, &inout, 1),
                     REDUCE_ERR_OP);
    assert_int_equal(reduce_apply(ROP_SUM, BASIC_KIND_COUNT, &in, &inout, 1),
                     REDUCE_ERR_OP);
    assert_int_equal(inout, 2);
    assert_string_equal(reduce_op_name(REDUCE_OP_COUNT), "?");
}

static void test_op_names_are_mpi_names(void **state)
{
    (void)state;
    assert_string_equal(reduce_op_name(ROP_MAX), "MPI_MAX");
    assert_string_equal(reduce_op_name(ROP_LXOR), "MPI_LXOR");
    assert_string_equal(reduce_op_name(ROP_MINLOC), "MPI_MINLOC");
    assert_string_equal(reduce_op_name(ROP_NO_OP), "MPI_NO_OP");
}

/* Every valid pair at several misalignments of in and inout gives the
 * bytes Open MPI computes on aligned copies. */
static void test_unaligned_buffers_match_aligned_results(void **state)
{
    (void)state;
    static const size_t offsets[][2] = { { 1, 3 }, { 3, 1 }, { 5, 5 },
                                         { 7, 2 }, { 0, 1 } };
    for (int k = 0; k < BASIC_KIND_COUNT; k++) {
        size_t bytes = UNALIGNED_COUNT * basic_kind_size(k);
        unsigned char *in = malloc(bytes), *inout = malloc(bytes);
        unsigned char *in_raw = malloc(bytes + 8), *inout_raw = malloc(bytes + 8);
        assert_true(in && inout && in_raw && inout_raw);
        for (int op = 0; op < REDUCE_OP_COUNT; op++) {
            if (!is_reduction(op) || !reduce_op_valid(op, k))
                continue;
            for (size_t o = 0; o < sizeof offsets / sizeof *offsets; o++) {
                struct rng r = rng_for(UINT64_C(1) << 20 | (uint64_t)k << 8
                                       | (uint64_t)op << 4 | o);
                random_operands(in, inout, k, UNALIGNED_COUNT, &r);
                unsigned char *in_here = in_raw + offsets[o][0];
                unsigned char *inout_here = inout_raw + offsets[o][1];
                memcpy(in_here, in, bytes);
                memcpy(inout_here, inout, bytes);
                expect_same_as_mpi(op, k, in, inout, in_here, inout_here,
                                   UNALIGNED_COUNT);
            }
        }
        free(in);
        free(inout);
        free(in_raw);
        free(inout_raw);
    }
}

/* Equal values: the smaller index wins, whichever buffer holds it, and
 * the value stays inout's (visible with -0.0 against +0.0). */
static void test_maxloc_minloc_ties_take_smaller_index(void **state)
{
    (void)state;
    struct { double v; int k; } in[4] = {
        { 2.0, 5 }, { 2.0, 9 }, { -0.0, 3 }, { 0.0, -4 },
    };
    for (int op = ROP_MAXLOC; op <= ROP_MINLOC; op++) {
        struct { double v; int k; } inout[4] = {
            { 2.0, 7 }, { 2.0, 1 }, { 0.0, 8 }, { -0.0, 6 },
        };
        assert_int_equal(reduce_apply(op, BASIC_DOUBLE_INT, in, inout, 4), 0);
        assert_int_equal(inout[0].k, 5);
        assert_int_equal(inout[1].k, 1);
        assert_int_equal(inout[2].k, 3);
        assert_false(signbit(inout[2].v));
        assert_int_equal(inout[3].k, -4);
        assert_true(signbit(inout[3].v));
    }
    /* The same rule on every pair kind, against Open MPI: values in a
     * small range so most elements tie. */
    for (int k = BASIC_FLOAT_INT; k <= BASIC_LONG_DOUBLE_INT; k++) {
        size_t bytes = RANDOM_COUNT * basic_kind_size(k);
        unsigned char *a = malloc(bytes), *b = malloc(bytes);
        assert_true(a && b);
        for (int op = ROP_MAXLOC; op <= ROP_MINLOC; op++) {
            struct rng r = rng_for(UINT64_C(2) << 20 | (uint64_t)k << 4 | op);
            random_operands(a, b, k, RANDOM_COUNT, &r);
            /* Give every element of b the value of a's: all tie, and the
             * indices decide. */
            size_t size = basic_kind_size(k);
            for (size_t i = 0; i < RANDOM_COUNT; i++)
                memcpy(b + i * size, a + i * size, pair_k_offset(k));
            expect_same_as_mpi_aligned(op, k, a, b, RANDOM_COUNT);
        }
        free(a);
        free(b);
    }
}

/* A NaN value never wins and never ties: inout stays as it was. */
static void test_maxloc_minloc_nan_keeps_inout(void **state)
{
    (void)state;
    struct { float v; int k; } in[2] = { { NAN, 1 }, { 5.0f, 1 } };
    for (int op = ROP_MAXLOC; op <= ROP_MINLOC; op++) {
        struct { float v; int k; } inout[2] = { { 3.0f, 2 }, { NAN, 2 } };
        struct { float v; int k; } expected[2];
        memcpy(expected, inout, sizeof inout);
        assert_int_equal(MPI_Reduce_local(in, expected, 2, MPI_FLOAT_INT,
                                          mpi_op(op)),
                         MPI_SUCCESS);
        assert_int_equal(reduce_apply(op, BASIC_FLOAT_INT, in, inout, 2), 0);
        assert_true(inout[0].v == 3.0f && inout[0].k == 2);
        assert_true(isnan(inout[1].v) && inout[1].k == 2);
        assert_memory_equal(inout, expected, sizeof inout);
    }
}

/* MAX is (inout > in ? inout : in): NaN or ±0 operands give `in`. */
static void test_float_max_min_return_in_when_unordered_or_equal(void **state)
{
    (void)state;
    double in[3] = { -0.0, NAN, 1.0 };
    for (int op = ROP_MAX; op <= ROP_MIN; op++) {
        double inout[3] = { 0.0, 1.0, NAN };
        assert_int_equal(reduce_apply(op, BASIC_DOUBLE, in, inout, 3), 0);
        assert_true(inout[0] == 0.0 && signbit(inout[0]));
        assert_true(isnan(inout[1]));
        assert_true(inout[2] == 1.0);
    }
}

/* Special value number `which` as the floating type of `kind`: infinities,
 * ±1, signed zeros, NaNs of both signs, and (last) a quiet NaN with a
 * payload for float and double. */
enum { SPECIAL_COUNT = 9 };
static void write_special(unsigned char *p, enum basic_kind kind, int which)
{
    static const long double specials[SPECIAL_COUNT - 1] = {
        -(long double)INFINITY, -1.0L, -0.0L, 0.0L, 1.0L,
        (long double)INFINITY, (long double)NAN, -(long double)NAN,
    };
    const uint32_t f = UINT32_C(0x7fc00123);
    const uint64_t d = UINT64_C(0x7ff8000000000123);
    if (which < SPECIAL_COUNT - 1)
        write_real(p, kind, specials[which]);
    else if (kind == BASIC_FLOAT)
        memcpy(p, &f, sizeof f);
    else if (kind == BASIC_DOUBLE)
        memcpy(p, &d, sizeof d);
    else
        write_real(p, kind, (long double)NAN);
}

/* All pairs of special values, for each floating kind and MAX/MIN,
 * against Open MPI. */
static void test_float_max_min_special_values_match_open_mpi(void **state)
{
    (void)state;
    enum { PAIRS = SPECIAL_COUNT * SPECIAL_COUNT };
    unsigned char in[PAIRS * sizeof(long double)] = { 0 };
    unsigned char inout[sizeof in] = { 0 };
    for (int k = BASIC_FLOAT; k <= BASIC_LONG_DOUBLE; k++) {
        size_t size = basic_kind_size(k);
        for (int i = 0; i < PAIRS; i++) {
            write_special(in + i * size, k, i / SPECIAL_COUNT);
            write_special(inout + i * size, k, i % SPECIAL_COUNT);
        }
        for (int op = ROP_MAX; op <= ROP_MIN; op++)
            expect_same_as_mpi_aligned(op, k, in, inout, PAIRS);
    }
}

/* Signed SUM and PROD wrap modulo 2^width, like Open MPI's scalar loops. */
static void test_integer_overflow_wraps(void **state)
{
    (void)state;
    int8_t i8_in[2] = { 100, -128 }, i8_io[2] = { 100, -1 };
    assert_int_equal(reduce_apply(ROP_SUM, BASIC_INT8, i8_in, i8_io, 2), 0);
    assert_int_equal(i8_io[0], -56);
    assert_int_equal(i8_io[1], 127);

    int16_t i16_in = -32768, i16_io = -1;
    assert_int_equal(reduce_apply(ROP_PROD, BASIC_INT16, &i16_in, &i16_io, 1),
                     0);
    assert_int_equal(i16_io, -32768);

    uint16_t u16_in = 65535, u16_io = 65535;
    assert_int_equal(reduce_apply(ROP_PROD, BASIC_UINT16, &u16_in, &u16_io, 1),
                     0);
    assert_int_equal(u16_io, 1);

    int in[2] = { INT32_MAX, INT32_MIN }, io[2] = { 1, -1 };
    assert_int_equal(reduce_apply(ROP_SUM, BASIC_INT, in, io, 2), 0);
    assert_int_equal(io[0], INT32_MIN);
    assert_int_equal(io[1], INT32_MAX);

    int64_t i64_in = INT64_MAX, i64_io = 3;
    assert_int_equal(reduce_apply(ROP_PROD, BASIC_INT64, &i64_in, &i64_io, 1),
                     0);
    assert_true(i64_io == INT64_MAX - 2); /* 3 * (2^63 - 1) mod 2^64 */

    /* Open MPI agrees on every integer kind: each extreme of each width
     * against each, for 16 elements. */
    static const uint64_t extremes[4] = {
        UINT64_C(0x7f7f7f7f7f7f7f7f), UINT64_C(0x8080808080808080),
        UINT64_C(0xffffffffffffffff), UINT64_C(0x0101010101010101),
    };
    for (int k = 0; k < BASIC_KIND_COUNT; k++) {
        if (!reduce_op_valid(ROP_SUM, k) || !reduce_op_valid(ROP_BAND, k))
            continue;
        size_t size = basic_kind_size(k);
        unsigned char a[16 * sizeof(uint64_t)], b[sizeof a];
        for (size_t i = 0; i < 16; i++) {
            write_int(a + i * size, size, extremes[i % 4]);
            write_int(b + i * size, size, extremes[i / 4]);
        }
        expect_same_as_mpi_aligned(ROP_SUM, k, a, b, 16);
        expect_same_as_mpi_aligned(ROP_PROD, k, a, b, 16);
    }
}

/* LAND/LOR/LXOR give 0 or 1, not an operand, and see every bit. */
static void test_logical_ops_yield_zero_or_one(void **state)
{
    (void)state;
    int in[3] = { 5, 0, 2 };
    int land[3] = { 7, 0x100, 4 }, lor[3], lxor[3];
    memcpy(lor, land, sizeof land);
    memcpy(lxor, land, sizeof land);
    assert_int_equal(reduce_apply(ROP_LAND, BASIC_INT, in, land, 3), 0);
    assert_int_equal(reduce_apply(ROP_LOR, BASIC_INT, in, lor, 3), 0);
    assert_int_equal(reduce_apply(ROP_LXOR, BASIC_INT, in, lxor, 3), 0);
    assert_true(land[0] == 1 && land[1] == 0 && land[2] == 1);
    assert_true(lor[0] == 1 && lor[1] == 1 && lor[2] == 1);
    assert_true(lxor[0] == 0 && lxor[1] == 1 && lxor[2] == 0);
    int expected[3] = { 7, 0x100, 4 };
    assert_int_equal(MPI_Reduce_local(in, expected, 3, MPI_INT, MPI_LAND),
                     MPI_SUCCESS);
    assert_memory_equal(land, expected, sizeof land);
}

/* Count 0: no access to the buffers (NULL is fine), but validity is still
 * checked, as Open MPI does. */
static void test_count_zero_touches_nothing_but_still_validates(void **state)
{
    (void)state;
    for (int k = 0; k < BASIC_KIND_COUNT; k++) {
        for (int op = 0; op < REDUCE_OP_COUNT; op++) {
            assert_int_equal(reduce_apply(op, k, NULL, NULL, 0),
                             reduce_op_valid(op, k) ? 0 : REDUCE_ERR_OP);
        }
    }
    double d = 1.0, e = 2.0;
    assert_int_equal(MPI_Reduce_local(&d, &e, 0, MPI_DOUBLE, MPI_BAND),
                     MPI_ERR_OP);
    assert_int_equal(MPI_Reduce_local(NULL, NULL, 0, MPI_DOUBLE, MPI_SUM),
                     MPI_SUCCESS);
}

/* REPLACE copies in over inout, padding included; NO_OP leaves inout.
 * Both take every kind but MPI_PACKED; Open MPI's MPI_Reduce_local takes
 * neither (RMA only). */
static void test_replace_copies_and_no_op_keeps(void **state)
{
    (void)state;
    for (int k = 0; k < BASIC_KIND_COUNT; k++) {
        bool valid = k != BASIC_PACKED;
        assert_int_equal(reduce_op_valid(ROP_REPLACE, k), valid);
        assert_int_equal(reduce_op_valid(ROP_NO_OP, k), valid);
        unsigned char in[3 * 32], inout[3 * 32], before[3 * 32];
        size_t bytes = 3 * basic_kind_size(k);
        for (size_t i = 0; i < sizeof in; i++) {
            in[i] = (unsigned char)(i * 7 + 1);
            inout[i] = before[i] = (unsigned char)(i * 13 + 2);
        }
        assert_int_equal(MPI_Reduce_local(in, inout, 3, mpi_type(k), MPI_NO_OP),
                         MPI_ERR_OP);
        assert_int_equal(MPI_Reduce_local(in, inout, 3, mpi_type(k),
                                          MPI_REPLACE),
                         MPI_ERR_OP);
        if (!valid)
            continue;
        assert_int_equal(reduce_apply(ROP_NO_OP, k, in, inout, 3), 0);
        assert_memory_equal(inout, before, sizeof inout);
        assert_int_equal(reduce_apply(ROP_REPLACE, k, in, inout, 3), 0);
        assert_memory_equal(inout, in, bytes);
        assert_memory_equal(inout + bytes, before + bytes,
                            sizeof inout - bytes);
    }
}

/* in == inout is allowed: each element is read before it is written. */
static void test_in_and_inout_may_be_the_same_buffer(void **state)
{
    (void)state;
    double d[3] = { 1.5, -2.0, 0.25 };
    assert_int_equal(reduce_apply(ROP_SUM, BASIC_DOUBLE, d, d, 3), 0);
    assert_true(d[0] == 3.0 && d[1] == -4.0 && d[2] == 0.5);
    int v[2] = { 6, 9 };
    assert_int_equal(reduce_apply(ROP_REPLACE, BASIC_INT, v, v, 2), 0);
    assert_true(v[0] == 6 && v[1] == 9);
}

/* x87 long double: 6 of its 16 bytes are padding, which stays as it was
 * (Open MPI stores 10 bytes too; the random tests compare all 16). */
static void test_long_double_padding_is_left_untouched(void **state)
{
    (void)state;
    unsigned char in[sizeof(long double)], inout[sizeof(long double)];
    long double a = 1.5L, b = 2.25L, sum;
    memset(in, 0xaa, sizeof in);
    memset(inout, 0xbb, sizeof inout);
    memcpy(in, &a, LDOUBLE_VALUE_BYTES);
    memcpy(inout, &b, LDOUBLE_VALUE_BYTES);
    assert_int_equal(reduce_apply(ROP_SUM, BASIC_LONG_DOUBLE, in, inout, 1),
                     0);
    memcpy(&sum, inout, sizeof sum);
    assert_true(sum == 3.75L);
    for (size_t i = LDOUBLE_VALUE_BYTES; i < sizeof inout; i++)
        assert_int_equal(inout[i], 0xbb);
}

/* ---- runner -------------------------------------------------------------- */

/* The states of the per-kind tests: the kinds that take a reduction op. */
static enum basic_kind kind_state[BASIC_KIND_COUNT] = {
#define K(k) [k] = k
    K(BASIC_CHAR), K(BASIC_SIGNED_CHAR), K(BASIC_UNSIGNED_CHAR),
    K(BASIC_BYTE), K(BASIC_SHORT), K(BASIC_UNSIGNED_SHORT), K(BASIC_INT),
    K(BASIC_UNSIGNED), K(BASIC_LONG), K(BASIC_UNSIGNED_LONG),
    K(BASIC_LONG_LONG), K(BASIC_UNSIGNED_LONG_LONG), K(BASIC_FLOAT),
    K(BASIC_DOUBLE), K(BASIC_LONG_DOUBLE), K(BASIC_C_BOOL), K(BASIC_INT8),
    K(BASIC_INT16), K(BASIC_INT32), K(BASIC_INT64), K(BASIC_UINT8),
    K(BASIC_UINT16), K(BASIC_UINT32), K(BASIC_UINT64), K(BASIC_AINT),
    K(BASIC_OFFSET), K(BASIC_COUNT), K(BASIC_FLOAT_COMPLEX),
    K(BASIC_DOUBLE_COMPLEX), K(BASIC_LONG_DOUBLE_COMPLEX),
    K(BASIC_FLOAT_INT), K(BASIC_DOUBLE_INT), K(BASIC_LONG_INT),
    K(BASIC_2INT), K(BASIC_SHORT_INT), K(BASIC_LONG_DOUBLE_INT),
#undef K
};

#define PER_KIND(k)                                                           \
    {                                                                         \
        "valid_ops_match_mpi_reduce_local/" #k,                               \
        test_valid_ops_match_mpi_reduce_local, NULL, NULL, &kind_state[k]     \
    }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kind_sizes_match_open_mpi_extents),
        PER_KIND(BASIC_CHAR), PER_KIND(BASIC_SIGNED_CHAR),
        PER_KIND(BASIC_UNSIGNED_CHAR), PER_KIND(BASIC_BYTE),
        PER_KIND(BASIC_SHORT), PER_KIND(BASIC_UNSIGNED_SHORT),
        PER_KIND(BASIC_INT), PER_KIND(BASIC_UNSIGNED), PER_KIND(BASIC_LONG),
        PER_KIND(BASIC_UNSIGNED_LONG), PER_KIND(BASIC_LONG_LONG),
        PER_KIND(BASIC_UNSIGNED_LONG_LONG), PER_KIND(BASIC_FLOAT),
        PER_KIND(BASIC_DOUBLE), PER_KIND(BASIC_LONG_DOUBLE),
        PER_KIND(BASIC_C_BOOL), PER_KIND(BASIC_INT8), PER_KIND(BASIC_INT16),
        PER_KIND(BASIC_INT32), PER_KIND(BASIC_INT64), PER_KIND(BASIC_UINT8),
        PER_KIND(BASIC_UINT16), PER_KIND(BASIC_UINT32), PER_KIND(BASIC_UINT64),
        PER_KIND(BASIC_AINT), PER_KIND(BASIC_OFFSET), PER_KIND(BASIC_COUNT),
        PER_KIND(BASIC_FLOAT_COMPLEX), PER_KIND(BASIC_DOUBLE_COMPLEX),
        PER_KIND(BASIC_LONG_DOUBLE_COMPLEX), PER_KIND(BASIC_FLOAT_INT),
        PER_KIND(BASIC_DOUBLE_INT), PER_KIND(BASIC_LONG_INT),
        PER_KIND(BASIC_2INT), PER_KIND(BASIC_SHORT_INT),
        PER_KIND(BASIC_LONG_DOUBLE_INT),
        cmocka_unit_test(test_invalid_pairs_return_error_and_leave_inout),
        cmocka_unit_test(test_open_mpi_accepts_the_same_reduction_pairs),
        cmocka_unit_test(test_char_kinds_take_open_mpi_integer_ops),
        cmocka_unit_test(test_char_max_compares_signed),
        cmocka_unit_test(test_offset_max_compares_unsigned_like_open_mpi),
        cmocka_unit_test(test_unsigned_long_max_compares_signed_like_open_mpi),
        cmocka_unit_test(test_out_of_range_op_or_kind_is_rejected),
        cmocka_unit_test(test_op_names_are_mpi_names),
        cmocka_unit_test(test_unaligned_buffers_match_aligned_results),
        cmocka_unit_test(test_maxloc_minloc_ties_take_smaller_index),
        cmocka_unit_test(test_maxloc_minloc_nan_keeps_inout),
        cmocka_unit_test(test_float_max_min_return_in_when_unordered_or_equal),
        cmocka_unit_test(test_float_max_min_special_values_match_open_mpi),
        cmocka_unit_test(test_integer_overflow_wraps),
        cmocka_unit_test(test_logical_ops_yield_zero_or_one),
        cmocka_unit_test(test_count_zero_touches_nothing_but_still_validates),
        cmocka_unit_test(test_replace_copies_and_no_op_keeps),
        cmocka_unit_test(test_in_and_inout_may_be_the_same_buffer),
        cmocka_unit_test(test_long_double_padding_is_left_untouched),
    };
    return cmocka_run_group_tests(tests, setup_mpi, teardown_mpi);
}
