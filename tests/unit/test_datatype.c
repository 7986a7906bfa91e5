/*
 * test_datatype.c — unit tests of the plugin's datatype engine
 * (plugin/datatype.h), checked against Open MPI itself.
 *
 * The test links the real Open MPI and runs as a singleton (MPI_Init
 * without mpirun). Every type is built twice, once by each library
 * (struct twin), and the two must agree on size and bounds, on the bytes
 * MPI_Pack produces for 1..3 instances, on what MPI_Unpack writes — and
 * leaves alone — in a buffer, on ranged packing reassembling the stream,
 * on element counts of partial messages and on envelope/contents. Tests
 * that need no reference (references, errors, memory use, guard pages)
 * use the engine alone.
 *
 * Invariant: the engine under test never calls MPI; only this file does.
 * Twins are kept in a pool freed after each test, so a failing assertion
 * leaks nothing into the next test.
 */
#include <setjmp.h> /* cmocka needs these before cmocka.h */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <limits.h>
#include <malloc.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "plugin/basic_kind.h"
#include "plugin/basic_kind_mpi.h"
#include "plugin/datatype.h"

/* ---- twins: one type built by both libraries ---------------------------- */

struct twin {
    MPI_Datatype mpi;
    struct dt_type *dt;
    bool named;
};

/* What the current check is about, for failure messages. */
static const char *label = "";
static struct dt_type *current;

#define POOL_MAX 4096
static struct twin pool[POOL_MAX];
static size_t pool_n;

static struct twin keep(struct twin t)
{
    assert_true(pool_n < POOL_MAX);
    pool[pool_n++] = t;
    return t;
}

static void drain_pool(void)
{
    current = NULL;
    while (pool_n > 0) {
        struct twin t = pool[--pool_n];
        if (!t.named)
            MPI_Type_free(&t.mpi);
        dt_release(t.dt);
    }
}

static int teardown_pool(void **state)
{
    (void)state;
    drain_pool();
    return 0;
}

static MPI_Datatype mpi_of(enum basic_kind kind)
{
    MPI_Datatype t = basic_kind_mpi_type(kind);
    if (t == MPI_DATATYPE_NULL)
        fail_msg("no MPI type for kind %d", (int)kind);
    return t;
}

static struct twin tw_basic(enum basic_kind k)
{
    return (struct twin){ mpi_of(k), dt_basic(k), true };
}

/* Each constructor builds the same type in both libraries; both must
 * accept it. The inputs stay owned by the pool. */
#define BOTH(mpi_call, dt_call)                                           \
    do {                                                                  \
        int mpi_rc_ = (mpi_call), dt_rc_ = (dt_call);                     \
        if (mpi_rc_ != MPI_SUCCESS || dt_rc_ != DT_OK)                    \
            fail_msg("%s: Open MPI %d, engine %d (%s)", #dt_call, mpi_rc_, \
                     dt_rc_, dt_strerror(dt_rc_));                        \
    } while (0)

static struct twin tw_contiguous(int count, struct twin old)
{
    struct twin t = { 0 };
    BOTH(MPI_Type_contiguous(count, old.mpi, &t.mpi),
         dt_contiguous(count, old.dt, &t.dt));
    return keep(t);
}

static struct twin tw_vector(int count, int blocklen, int stride, struct twin old)
{
    struct twin t = { 0 };
    BOTH(MPI_Type_vector(count, blocklen, stride, old.mpi, &t.mpi),
         dt_vector(count, blocklen, stride, old.dt, &t.dt));
    return keep(t);
}

static struct twin tw_hvector(int count, int blocklen, MPI_Aint stride, struct twin old)
{
    struct twin t = { 0 };
    BOTH(MPI_Type_create_hvector(count, blocklen, stride, old.mpi, &t.mpi),
         dt_hvector(count, blocklen, stride, old.dt, &t.dt));
    return keep(t);
}

static struct twin tw_indexed(int count, const int *bl, const int *disp, struct twin old)
{
    struct twin t = { 0 };
    BOTH(MPI_Type_indexed(count, bl, disp, old.mpi, &t.mpi),
         dt_indexed(count, bl, disp, old.dt, &t.dt));
    return keep(t);
}

static struct twin tw_hindexed(int count, const int *bl, const MPI_Aint *disp,
                               struct twin old)
{
    struct twin t = { 0 };
    BOTH(MPI_Type_create_hindexed(count, bl, disp, old.mpi, &t.mpi),
         dt_hindexed(count, bl, disp, old.dt, &t.dt));
    return keep(t);
}

static struct twin tw_indexed_block(int count, int bl, const int *disp, struct twin old)
{
    struct twin t = { 0 };
    BOTH(MPI_Type_create_indexed_block(count, bl, disp, old.mpi, &t.mpi),
         dt_indexed_block(count, bl, disp, old.dt, &t.dt));
    return keep(t);
}

static struct twin tw_hindexed_block(int count, int bl, const MPI_Aint *disp,
                                     struct twin old)
{
    struct twin t = { 0 };
    BOTH(MPI_Type_create_hindexed_block(count, bl, disp, old.mpi, &t.mpi),
         dt_hindexed_block(count, bl, disp, old.dt, &t.dt));
    return keep(t);
}

#define STRUCT_MAX 16

static struct twin tw_struct(int count, const int *bl, const MPI_Aint *disp,
                             const struct twin *types)
{
    MPI_Datatype mt[STRUCT_MAX];
    struct dt_type *dtt[STRUCT_MAX];
    struct twin t = { 0 };
    assert_true(count <= STRUCT_MAX);
    for (int i = 0; i < count; i++) {
        mt[i] = types[i].mpi;
        dtt[i] = types[i].dt;
    }
    BOTH(MPI_Type_create_struct(count, bl, disp, mt, &t.mpi),
         dt_create_struct(count, bl, disp, dtt, &t.dt));
    return keep(t);
}

/* A struct of single elements: {type0 @ disp0, type1 @ disp1, ...}. */
static struct twin tw_members(int count, const MPI_Aint *disp, const struct twin *types)
{
    int ones[STRUCT_MAX];
    for (int i = 0; i < count; i++)
        ones[i] = 1;
    return tw_struct(count, ones, disp, types);
}

static struct twin tw_resized(struct twin old, MPI_Aint lb, MPI_Aint extent)
{
    struct twin t = { 0 };
    BOTH(MPI_Type_create_resized(old.mpi, lb, extent, &t.mpi),
         dt_resized(old.dt, lb, extent, &t.dt));
    return keep(t);
}

static struct twin tw_dup(struct twin old)
{
    struct twin t = { 0 };
    BOTH(MPI_Type_dup(old.mpi, &t.mpi), dt_dup(old.dt, &t.dt));
    return keep(t);
}

static struct twin tw_subarray(int ndims, const int *sizes, const int *subsizes,
                               const int *starts, bool fortran, struct twin old)
{
    struct twin t = { 0 };
    BOTH(MPI_Type_create_subarray(ndims, sizes, subsizes, starts,
                                  fortran ? MPI_ORDER_FORTRAN : MPI_ORDER_C,
                                  old.mpi, &t.mpi),
         dt_subarray(ndims, sizes, subsizes, starts,
                     fortran ? DT_ORDER_FORTRAN : DT_ORDER_C, old.dt, &t.dt));
    return keep(t);
}

/* The engine's darray constants equal Open MPI's (datatype.h). */
static struct twin tw_darray(int size, int rank, int ndims, const int *gsizes,
                             const int *distribs, const int *dargs,
                             const int *psizes, bool fortran, struct twin old)
{
    struct twin t = { 0 };
    BOTH(MPI_Type_create_darray(size, rank, ndims, gsizes, distribs, dargs, psizes,
                                fortran ? MPI_ORDER_FORTRAN : MPI_ORDER_C,
                                old.mpi, &t.mpi),
         dt_darray(size, rank, ndims, gsizes, distribs, dargs, psizes,
                   fortran ? DT_ORDER_FORTRAN : DT_ORDER_C, old.dt, &t.dt));
    return keep(t);
}

/* ---- comparisons with Open MPI ------------------------------------------ */


/* Prints the constructor tree of t (from its envelope and contents), so a
 * failure on a generated type says which type it was. */
static void describe(struct dt_type *t, int depth)
{
    int ni, na, nd;
    enum dt_combiner c;
    enum basic_kind kind;
    dt_get_envelope(t, &ni, &na, &nd, &c);
    if (dt_named_kind(t, &kind)) {
        print_message("%*s%s\n", 2 * depth, "", basic_kind_name(kind));
        return;
    }
    int *ints = calloc((size_t)ni + 1, sizeof *ints);
    ptrdiff_t *addrs = calloc((size_t)na + 1, sizeof *addrs);
    struct dt_type **types = calloc((size_t)nd + 1, sizeof *types);
    assert_true(ints && addrs && types);
    dt_get_contents(t, ni, na, nd, ints, addrs, types);
    print_message("%*scombiner %d ints", 2 * depth, "", (int)c);
    for (int i = 0; i < ni; i++)
        print_message(" %d", ints[i]);
    print_message(" addrs");
    for (int i = 0; i < na; i++)
        print_message(" %td", addrs[i]);
    print_message("  (lb %td extent %td size %zu)\n", dt_lb(t), dt_extent(t), dt_size(t));
    for (int i = 0; i < nd; i++) {
        describe(types[i], depth + 1);
        dt_release(types[i]);
    }
    free(ints), free(addrs), free(types);
}

static void mismatch(void)
{
    if (current)
        describe(current, 1);
}

/* `at` says which count, byte length or array index was being compared. */
static void same(long long engine, long long open_mpi, const char *what, int at)
{
    if (engine != open_mpi) {
        mismatch();
        fail_msg("%s: %s [%d]: engine %lld, Open MPI %lld", label, what, at,
                 engine, open_mpi);
    }
}

static void same_bytes(const void *engine, const void *open_mpi, size_t n,
                       const char *what, int count)
{
    const unsigned char *e = engine, *o = open_mpi;
    for (size_t i = 0; i < n; i++)
        if (e[i] != o[i]) {
            mismatch();
            fail_msg("%s: %s [count %d]: byte %zu of %zu: engine %d, Open MPI %d",
                     label, what, count, i, n, e[i], o[i]);
        }
}

static void expect_same_bounds(struct twin t)
{
    MPI_Count size, lb, extent, true_lb, true_extent;
    MPI_Type_size_x(t.mpi, &size);
    MPI_Type_get_extent_x(t.mpi, &lb, &extent);
    MPI_Type_get_true_extent_x(t.mpi, &true_lb, &true_extent);
    same((long long)dt_size(t.dt), size, "size", 1);
    same(dt_lb(t.dt), lb, "lb", 1);
    same(dt_extent(t.dt), extent, "extent", 1);
    if (size > 0) { /* Open MPI's true bounds of empty types are garbage */
        same(dt_true_lb(t.dt), true_lb, "true_lb", 1);
        same(dt_true_extent(t.dt), true_extent, "true_extent", 1);
    }
}

/* A buffer covering every byte `count` instances can touch, with margins. */
struct span {
    unsigned char *mem;
    size_t len;
    ptrdiff_t origin; /* offset of the buffer address passed to MPI */
};

#define MARGIN 64

static struct span span_for(struct twin t, int count)
{
    ptrdiff_t reach = (ptrdiff_t)(count - 1) * dt_extent(t.dt);
    ptrdiff_t lo = dt_true_lb(t.dt) + (reach < 0 ? reach : 0);
    ptrdiff_t hi = dt_true_lb(t.dt) + dt_true_extent(t.dt) + (reach > 0 ? reach : 0);
    struct span s = { .len = (size_t)(hi - lo) + 2 * MARGIN, .origin = MARGIN - lo };
    s.mem = malloc(s.len);
    assert_non_null(s.mem);
    return s;
}

/* Distinct-looking bytes, so a byte from the wrong place shows up. */
static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)((i * 131u + (i >> 8) * 71u + seed * 29u) % 251u + 1u);
}

/* MPI_Pack of `count` instances from `src`; returns the packed bytes. */
static unsigned char *mpi_pack(struct twin t, int count, struct span src, int *bytes)
{
    int room = 0;
    MPI_Pack_size(count, t.mpi, MPI_COMM_WORLD, &room);
    unsigned char *out = malloc((size_t)room + 1);
    assert_non_null(out);
    *bytes = 0;
    assert_int_equal(MPI_Pack(src.mem + src.origin, count, t.mpi, out, room, bytes,
                              MPI_COMM_WORLD), MPI_SUCCESS);
    return out;
}

static void expect_same_pack(struct twin t, int count, struct span src,
                             const unsigned char *reference, int bytes)
{
    size_t total = (size_t)count * dt_size(t.dt);
    unsigned char *out = malloc(total + 1);
    assert_non_null(out);
    same((long long)total, bytes, "packed size", count);
    assert_int_equal(dt_pack(t.dt, (size_t)count, src.mem + src.origin, out, total), DT_OK);
    same_bytes(out, reference, total, "packed bytes", count);
    free(out);
}

/* Unpacks into buffers holding the same canary: the whole buffers, margins
 * included, must end up equal, so the engine writes exactly where Open MPI
 * writes. */
static void expect_same_unpack(struct twin t, int count, const unsigned char *packed,
                               int bytes)
{
    struct span mine = span_for(t, count), theirs = span_for(t, count);
    int position = 0;
    memset(mine.mem, 0xEE, mine.len);
    memset(theirs.mem, 0xEE, theirs.len);
    assert_int_equal(MPI_Unpack(packed, bytes, &position, theirs.mem + theirs.origin,
                                count, t.mpi, MPI_COMM_WORLD), MPI_SUCCESS);
    assert_int_equal(dt_unpack(packed, (size_t)bytes, t.dt, (size_t)count,
                               mine.mem + mine.origin), DT_OK);
    same_bytes(mine.mem, theirs.mem, mine.len, "unpacked buffer", count);
    free(mine.mem);
    free(theirs.mem);
}

static unsigned next_random(unsigned *state)
{
    *state = *state * 1103515245u + 12345u;
    return (*state >> 8) & 0xffffffu;
}

/* Random pieces of the stream, in order, rebuild it in both directions. */
static void expect_ranges_reassemble(struct twin t, int count, struct span src,
                                     const unsigned char *reference, unsigned seed)
{
    size_t total = (size_t)count * dt_size(t.dt);
    unsigned char *out = calloc(1, total + 1);
    struct span dst = span_for(t, count), whole = span_for(t, count);
    assert_non_null(out);
    memset(dst.mem, 0xEE, dst.len);
    memset(whole.mem, 0xEE, whole.len);
    for (size_t at = 0; at < total;) {
        size_t len = 1 + next_random(&seed) % (total / 3 + 1);
        if (len > total - at)
            len = total - at;
        assert_int_equal(dt_pack_range(t.dt, (size_t)count, src.mem + src.origin,
                                       at, len, out + at), DT_OK);
        assert_int_equal(dt_unpack_range(reference + at, at, len, t.dt,
                                         (size_t)count, dst.mem + dst.origin), DT_OK);
        at += len;
    }
    same_bytes(out, reference, total, "ranged pack", count);
    assert_int_equal(dt_unpack(reference, total, t.dt, (size_t)count,
                               whole.mem + whole.origin), DT_OK);
    same_bytes(dst.mem, whole.mem, dst.len, "ranged unpack", count);
    free(out);
    free(dst.mem);
    free(whole.mem);
}

static long long mpi_elements(struct twin t, MPI_Count bytes, int *count)
{
    MPI_Status status;
    MPI_Count n;
    MPI_Status_set_elements_x(&status, MPI_BYTE, bytes);
    MPI_Get_elements_x(&status, t.mpi, &n);
    MPI_Get_count(&status, t.mpi, count);
    return n == MPI_UNDEFINED ? DT_UNDEFINED : n;
}

/* MPI_Get_elements_x and MPI_Get_count for every message length up to
 * `count` instances (sampled when that is long). */
static void expect_same_elements(struct twin t, int count)
{
    size_t total = (size_t)count * dt_size(t.dt);
    size_t step = total / 2000 + 1;
    for (size_t bytes = 0; bytes <= total; bytes += step) {
        int mpi_count;
        long long mpi = mpi_elements(t, (MPI_Count)bytes, &mpi_count);
        same(dt_get_elements(t.dt, bytes), mpi, "get_elements", (int)bytes);
        same(dt_get_count(t.dt, bytes),
             mpi_count == MPI_UNDEFINED ? DT_UNDEFINED : mpi_count, "get_count",
             (int)bytes);
    }
}

static int mpi_combiner(enum dt_combiner c)
{
    static const int map[] = {
        [DT_COMBINER_NAMED] = MPI_COMBINER_NAMED,
        [DT_COMBINER_DUP] = MPI_COMBINER_DUP,
        [DT_COMBINER_CONTIGUOUS] = MPI_COMBINER_CONTIGUOUS,
        [DT_COMBINER_VECTOR] = MPI_COMBINER_VECTOR,
        [DT_COMBINER_HVECTOR] = MPI_COMBINER_HVECTOR,
        [DT_COMBINER_INDEXED] = MPI_COMBINER_INDEXED,
        [DT_COMBINER_HINDEXED] = MPI_COMBINER_HINDEXED,
        [DT_COMBINER_INDEXED_BLOCK] = MPI_COMBINER_INDEXED_BLOCK,
        [DT_COMBINER_HINDEXED_BLOCK] = MPI_COMBINER_HINDEXED_BLOCK,
        [DT_COMBINER_STRUCT] = MPI_COMBINER_STRUCT,
        [DT_COMBINER_SUBARRAY] = MPI_COMBINER_SUBARRAY,
        [DT_COMBINER_DARRAY] = MPI_COMBINER_DARRAY,
        [DT_COMBINER_RESIZED] = MPI_COMBINER_RESIZED,
    };
    return map[c];
}

static void expect_same_contents(struct twin t, int ni, int na, int nd)
{
    int *ints = calloc((size_t)ni + 1, sizeof *ints), *mints = calloc((size_t)ni + 1, sizeof *ints);
    MPI_Aint *addrs = calloc((size_t)na + 1, sizeof *addrs), *maddrs = calloc((size_t)na + 1, sizeof *addrs);
    struct dt_type **types = calloc((size_t)nd + 1, sizeof *types);
    MPI_Datatype *mtypes = calloc((size_t)nd + 1, sizeof *mtypes);
    assert_true(ints && mints && addrs && maddrs && types && mtypes);
    assert_int_equal(MPI_Type_get_contents(t.mpi, ni, na, nd, mints, maddrs, mtypes),
                     MPI_SUCCESS);
    assert_int_equal(dt_get_contents(t.dt, ni, na, nd, ints, addrs, types), DT_OK);
    for (int i = 0; i < ni; i++)
        same(ints[i], mints[i], "contents integer", i);
    for (int i = 0; i < na; i++)
        same(addrs[i], maddrs[i], "contents address", i);
    for (int i = 0; i < nd; i++) {
        MPI_Count msize;
        MPI_Type_size_x(mtypes[i], &msize);
        same((long long)dt_size(types[i]), msize, "contents datatype size", i);
        int mni, mna, mnd, mcomb;
        MPI_Type_get_envelope(mtypes[i], &mni, &mna, &mnd, &mcomb);
        if (mcomb != MPI_COMBINER_NAMED)
            MPI_Type_free(&mtypes[i]);
        dt_release(types[i]);
    }
    free(ints), free(mints), free(addrs), free(maddrs), free(types), free(mtypes);
}

static void expect_same_envelope(struct twin t)
{
    int ni, na, nd, combiner, mni, mna, mnd, mcombiner;
    enum dt_combiner c;
    MPI_Type_get_envelope(t.mpi, &mni, &mna, &mnd, &mcombiner);
    assert_int_equal(dt_get_envelope(t.dt, &ni, &na, &nd, &c), DT_OK);
    combiner = mpi_combiner(c);
    same(combiner, mcombiner, "combiner", 1);
    same(ni, mni, "num_integers", 1);
    same(na, mna, "num_addresses", 1);
    same(nd, mnd, "num_datatypes", 1);
    if (c != DT_COMBINER_NAMED)
        expect_same_contents(t, ni, na, nd);
}

/* Open MPI 4.1 flaw: when a type's data is one block and a later member
 * of size 0 moves its bounds, Open MPI keeps the type flagged gap-free and
 * packs count > 1 instances back to back from true_lb, ignoring the extent.
 * The engine follows MPI (instance i at i * extent), so for such types
 * Open MPI is no reference beyond one instance. */
static bool open_mpi_ignores_extent(struct twin t, int count, struct span src,
                                    const unsigned char *reference)
{
    size_t total = (size_t)count * dt_size(t.dt);
    return count > 1 && (ptrdiff_t)dt_size(t.dt) != dt_extent(t.dt) &&
           memcmp(reference, src.mem + src.origin + dt_true_lb(t.dt), total) == 0;
}

/* Everything this file compares, for 1..3 instances of a type. */
static void check_twin(struct twin t, const char *what)
{
    label = what;
    current = t.dt;
    expect_same_bounds(t);
    expect_same_envelope(t);
    assert_int_equal(MPI_Type_commit(&t.mpi), MPI_SUCCESS);
    assert_int_equal(dt_commit(t.dt), DT_OK);
    for (int count = 1; count <= 3; count++) {
        struct span src = span_for(t, count);
        int bytes;
        fill(src.mem, src.len, (unsigned)count);
        unsigned char *reference = mpi_pack(t, count, src, &bytes);
        if (open_mpi_ignores_extent(t, count, src, reference)) {
            assert_int_equal(dt_pack(t.dt, (size_t)count, src.mem + src.origin,
                                     reference, (size_t)bytes), DT_OK);
        } else {
            expect_same_pack(t, count, src, reference, bytes);
            expect_same_unpack(t, count, reference, bytes);
        }
        expect_ranges_reassemble(t, count, src, reference, (unsigned)count * 7u);
        expect_same_elements(t, count);
        free(reference);
        free(src.mem);
    }
}

/* ---- predefined types --------------------------------------------------- */

static void test_basic_kind_tables_match_open_mpi(void **state)
{
    (void)state;
    for (int k = 0; k < BASIC_KIND_COUNT; k++) {
        MPI_Aint lb, extent;
        MPI_Type_get_extent(mpi_of((enum basic_kind)k), &lb, &extent);
        label = basic_kind_name((enum basic_kind)k);
        same((long long)basic_kind_size((enum basic_kind)k), extent, "C size", 1);
        assert_true(basic_kind_align((enum basic_kind)k) >= 1);
        assert_int_equal(strncmp(label, "MPI_", 4), 0);
    }
    assert_true(basic_kind_is_pair(BASIC_SHORT_INT));
    assert_false(basic_kind_is_pair(BASIC_DOUBLE));
}

static void test_pair_types_are_the_c_structs(void **state)
{
    struct si { short v; int i; };
    struct ldi { long double v; int i; };
    (void)state;
    assert_int_equal(dt_size(dt_basic(BASIC_SHORT_INT)), sizeof(short) + sizeof(int));
    assert_int_equal(dt_true_extent(dt_basic(BASIC_SHORT_INT)), offsetof(struct si, i) + sizeof(int));
    assert_int_equal(dt_extent(dt_basic(BASIC_SHORT_INT)), sizeof(struct si));
    assert_int_equal(dt_true_extent(dt_basic(BASIC_LONG_DOUBLE_INT)),
                     offsetof(struct ldi, i) + sizeof(int));
}

static void test_predefined_types_match_open_mpi(void **state)
{
    (void)state;
    for (int k = 0; k < BASIC_KIND_COUNT; k++)
        check_twin(tw_basic((enum basic_kind)k), basic_kind_name((enum basic_kind)k));
}

static void test_basic_types_are_shared_and_never_freed(void **state)
{
    struct dt_type *t = dt_basic(BASIC_DOUBLE);
    (void)state;
    assert_ptr_equal(t, dt_basic(BASIC_DOUBLE));
    assert_ptr_equal(dt_retain(t), t);
    dt_release(t);
    dt_release(t);
    assert_true(dt_is_committed(t));
    assert_int_equal(dt_size(t), sizeof(double));
    assert_null(dt_basic(BASIC_KIND_COUNT));
}

/* ---- every constructor ---------------------------------------------------- */

static void test_contiguous_matches_open_mpi(void **state)
{
    (void)state;
    struct twin i = tw_basic(BASIC_INT);
    check_twin(tw_contiguous(5, i), "contiguous(5, int)");
    check_twin(tw_contiguous(1, tw_basic(BASIC_LONG_DOUBLE)), "contiguous(1, long double)");
    check_twin(tw_contiguous(3, tw_basic(BASIC_SHORT_INT)), "contiguous(3, short_int)");
    check_twin(tw_contiguous(0, i), "contiguous(0, int)");
}

static void test_vector_matches_open_mpi(void **state)
{
    (void)state;
    struct twin d = tw_basic(BASIC_DOUBLE), c = tw_basic(BASIC_CHAR);
    check_twin(tw_vector(4, 2, 3, d), "vector(4,2,3,double)");
    check_twin(tw_vector(3, 2, 2, d), "vector(3,2,2,double): blocks touch");
    check_twin(tw_vector(1, 3, 7, d), "vector(1,3,7,double)");
    check_twin(tw_vector(5, 1, 2, c), "vector(5,1,2,char)");
    check_twin(tw_vector(3, 2, 1, c), "vector(3,2,1,char): overlapping blocks");
    check_twin(tw_vector(3, 1, 0, d), "vector(3,1,0,double): same block thrice");
    check_twin(tw_vector(0, 2, 3, d), "vector(0,...)");
    check_twin(tw_vector(3, 0, 3, d), "vector(3,0,...)");
}

static void test_vector_negative_stride_matches_open_mpi(void **state)
{
    (void)state;
    struct twin i = tw_basic(BASIC_INT);
    check_twin(tw_vector(3, 2, -4, i), "vector(3,2,-4,int)");
    check_twin(tw_vector(4, 1, -1, i), "vector(4,1,-1,int): backwards contiguous");
}

/* Open MPI 4.1's opal_datatype_add takes a step of -1 to mean "the inner
 * type's extent", so vector(3, 1, -1, MPI_CHAR) comes out forwards there
 * (lb 0, packing bytes 0, 1, 2). The engine follows MPI: bytes 0, -1, -2. */
static void test_vector_with_byte_stride_minus_one_follows_mpi(void **state)
{
    (void)state;
    struct dt_type *v;
    char buf[5] = { 'a', 'b', 'c', 'd', 'e' }, out[3];
    assert_int_equal(dt_vector(3, 1, -1, dt_basic(BASIC_CHAR), &v), DT_OK);
    assert_int_equal(dt_lb(v), -2);
    assert_int_equal(dt_extent(v), 3);
    assert_int_equal(dt_commit(v), DT_OK);
    assert_int_equal(dt_pack(v, 1, buf + 2, out, sizeof out), DT_OK);
    assert_memory_equal(out, "cba", 3);
    dt_release(v);
}

static void test_hvector_matches_open_mpi(void **state)
{
    (void)state;
    struct twin i = tw_basic(BASIC_INT), s = tw_basic(BASIC_SHORT);
    check_twin(tw_hvector(3, 2, 5, i), "hvector(3,2,5,int): misaligned stride");
    check_twin(tw_hvector(3, 2, -5, i), "hvector(3,2,-5,int)");
    check_twin(tw_hvector(2, 1, -3, i), "hvector(2,1,-3,int)");
    check_twin(tw_hvector(3, 2, 8, i), "hvector(3,2,8,int): blocks touch");
    check_twin(tw_hvector(2, 2, 3, tw_hvector(3, 2, 7, s)), "hvector of hvector");
}

static void test_indexed_matches_open_mpi(void **state)
{
    (void)state;
    struct twin s = tw_basic(BASIC_SHORT), i = tw_basic(BASIC_INT);
    int bl1[3] = { 1, 2, 1 }, d1[3] = { 4, 0, 2 };
    check_twin(tw_indexed(3, bl1, d1, s), "indexed out of order");
    int bl2[3] = { 1, 0, 2 }, d2[3] = { 5, -3, 1 };
    check_twin(tw_indexed(3, bl2, d2, i), "indexed with an empty block");
    int bl3[3] = { 2, 3, 1 }, d3[3] = { -6, -4, 10 };
    check_twin(tw_indexed(3, bl3, d3, i), "indexed negative, touching blocks");
    int bl4[2] = { 0, 0 }, d4[2] = { 3, 9 };
    check_twin(tw_indexed(2, bl4, d4, i), "indexed all empty");
    check_twin(tw_indexed(0, bl4, d4, i), "indexed count 0");
}

static void test_hindexed_matches_open_mpi(void **state)
{
    (void)state;
    struct twin i = tw_basic(BASIC_INT), d = tw_basic(BASIC_DOUBLE);
    int bl[4] = { 4, 4, 1, 2 };
    MPI_Aint d1[4] = { 0, 4, -9, 40 };
    check_twin(tw_hindexed(4, bl, d1, i), "hindexed overlapping, negative");
    MPI_Aint d2[3] = { 24, 0, 1 };
    check_twin(tw_hindexed(3, bl + 1, d2, d), "hindexed misaligned doubles");
    MPI_Aint d3[3] = { 0, 1, -1 };
    int ones[3] = { 1, 1, 1 };
    check_twin(tw_hindexed(3, ones, d3, i), "hindexed epsilon grows per block");
}

static void test_indexed_block_matches_open_mpi(void **state)
{
    (void)state;
    struct twin i = tw_basic(BASIC_INT);
    int d[4] = { 7, 0, 3, -2 };
    check_twin(tw_indexed_block(4, 2, d, i), "indexed_block(4,2)");
    check_twin(tw_indexed_block(4, 0, d, i), "indexed_block(4,0)");
    check_twin(tw_indexed_block(1, 3, d, tw_basic(BASIC_DOUBLE_INT)), "indexed_block of pairs");
}

static void test_hindexed_block_matches_open_mpi(void **state)
{
    (void)state;
    struct twin i = tw_basic(BASIC_INT), c = tw_basic(BASIC_CHAR);
    MPI_Aint d1[2] = { 0, 4 };
    check_twin(tw_hindexed_block(2, 4, d1, i), "hindexed_block overlapping blocks");
    MPI_Aint d2[3] = { 0, 4, 8 };
    check_twin(tw_hindexed_block(3, 1, d2, c), "hindexed_block chars");
    check_twin(tw_hindexed_block(3, 1, d2, i), "hindexed_block touching ints");
    MPI_Aint d3[2] = { 0, 1 };
    check_twin(tw_hindexed_block(2, 1, d3, i), "hindexed_block misaligned ints");
    MPI_Aint d4[3] = { 16, -16, 0 };
    check_twin(tw_hindexed_block(3, 2, d4, tw_basic(BASIC_DOUBLE)), "hindexed_block negative");
}

static void test_struct_padding_matches_open_mpi(void **state)
{
    (void)state;
    struct twin c = tw_basic(BASIC_CHAR), s = tw_basic(BASIC_SHORT),
                i = tw_basic(BASIC_INT), d = tw_basic(BASIC_DOUBLE);
    MPI_Aint d08[2] = { 0, 8 };
    check_twin(tw_members(2, d08, (struct twin[]){ c, d }), "{char@0, double@8}");
    check_twin(tw_members(2, d08, (struct twin[]){ d, c }), "{double@0, char@8}: extent 16");
    MPI_Aint d01[2] = { 0, 1 };
    check_twin(tw_members(2, d01, (struct twin[]){ c, d }), "{char@0, double@1}");
    MPI_Aint dneg[3] = { 0, 2, -1 };
    check_twin(tw_members(3, dneg, (struct twin[]){ s, i, c }), "{short@0, int@2, char@-1}");
    MPI_Aint dm8[2] = { -8, 0 };
    check_twin(tw_members(2, dm8, (struct twin[]){ d, c }), "{double@-8, char@0}");
    MPI_Aint d016[2] = { 0, 16 };
    check_twin(tw_members(2, d016, (struct twin[]){ tw_basic(BASIC_LONG_DOUBLE), c }),
               "{long double@0, char@16}");
    check_twin(tw_members(2, d016, (struct twin[]){ tw_basic(BASIC_DOUBLE_INT), c }),
               "{double_int@0, char@16}");
    int bl[3] = { 2, 0, 3 };
    MPI_Aint dz[3] = { 4, -100, 16 };
    check_twin(tw_struct(3, bl, dz, (struct twin[]){ i, d, c }), "struct with empty member");
}

static void test_struct_sticky_bounds_match_open_mpi(void **state)
{
    (void)state;
    struct twin c = tw_basic(BASIC_CHAR), d = tw_basic(BASIC_DOUBLE), i = tw_basic(BASIC_INT);
    struct twin r100 = tw_resized(i, 0, 100), rneg = tw_resized(i, -4, 10);
    MPI_Aint a[2] = { 0, 200 }, b[2] = { 200, 0 }, e[2] = { 0, 16 }, f[2] = { -16, 0 };
    check_twin(tw_members(2, a, (struct twin[]){ r100, c }), "{resized@0, char@200}");
    check_twin(tw_members(2, b, (struct twin[]){ c, r100 }), "{char@200, resized@0}");
    check_twin(tw_members(2, e, (struct twin[]){ rneg, d }), "{resized(-4,10)@0, double@16}");
    check_twin(tw_members(2, f, (struct twin[]){ d, rneg }), "{double@-16, resized(-4,10)@0}");
    struct twin r3 = tw_resized(c, 0, 3);
    MPI_Aint g[2] = { 4, 0 };
    check_twin(tw_members(2, g, (struct twin[]){ r3, i }), "{resized char@4, int@0}");
}

static void test_resized_matches_open_mpi(void **state)
{
    (void)state;
    struct twin i = tw_basic(BASIC_INT);
    check_twin(tw_resized(i, -4, 12), "resized(int,-4,12)");
    check_twin(tw_contiguous(3, tw_resized(i, 4, 4)), "contiguous(3, resized(int,4,4))");
    check_twin(tw_contiguous(3, tw_resized(i, 0, 0)), "contiguous of zero extent");
    check_twin(tw_contiguous(3, tw_resized(i, 2, -8)), "contiguous of negative extent");
    check_twin(tw_vector(3, 2, 2, tw_resized(i, -2, 6)), "vector of resized");
    check_twin(tw_hvector(3, 1, 5, tw_resized(i, -2, 5)), "hvector of resized, no epsilon");
    struct twin pair = tw_members(2, (MPI_Aint[]){ 0, 8 },
                                  (struct twin[]){ tw_basic(BASIC_DOUBLE), tw_basic(BASIC_CHAR) });
    check_twin(tw_resized(pair, 0, 9), "struct resized to its true extent");
}

static void test_dup_matches_open_mpi(void **state)
{
    (void)state;
    check_twin(tw_dup(tw_basic(BASIC_FLOAT)), "dup(float)");
    check_twin(tw_dup(tw_basic(BASIC_SHORT_INT)), "dup(short_int): pair counts 2");
    check_twin(tw_dup(tw_vector(2, 1, 3, tw_basic(BASIC_INT))), "dup(vector)");
}

static void test_pair_types_in_derived_types_match_open_mpi(void **state)
{
    (void)state;
    static const enum basic_kind pairs[] = {
        BASIC_FLOAT_INT, BASIC_DOUBLE_INT, BASIC_LONG_INT,
        BASIC_2INT, BASIC_SHORT_INT, BASIC_LONG_DOUBLE_INT,
    };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
        struct twin p = tw_basic(pairs[k]);
        check_twin(tw_contiguous(2, p), basic_kind_name(pairs[k]));
        check_twin(tw_vector(2, 2, 3, p), basic_kind_name(pairs[k]));
    }
}

static void test_subarray_matches_open_mpi(void **state)
{
    (void)state;
    struct twin i = tw_basic(BASIC_INT);
    int s2[2] = { 4, 5 }, sub2[2] = { 2, 3 }, st2[2] = { 1, 1 };
    check_twin(tw_subarray(2, s2, sub2, st2, false, i), "subarray 2D C");
    check_twin(tw_subarray(2, s2, sub2, st2, true, i), "subarray 2D Fortran");
    int s3[3] = { 4, 5, 6 }, sub3[3] = { 2, 3, 2 }, st3[3] = { 1, 2, 3 };
    check_twin(tw_subarray(3, s3, sub3, st3, false, i), "subarray 3D C");
    check_twin(tw_subarray(3, s3, sub3, st3, true, i), "subarray 3D Fortran");
    check_twin(tw_subarray(1, s2, sub2, st2, false, i), "subarray 1D");
    int full[2] = { 0, 0 };
    check_twin(tw_subarray(2, s2, s2, full, false, i), "subarray of everything");
}

static void test_subarray_of_derived_types_matches_open_mpi(void **state)
{
    (void)state;
    int s2[2] = { 4, 5 }, sub2[2] = { 2, 3 }, st2[2] = { 1, 1 }, st0[2] = { 0, 0 };
    struct twin r = tw_resized(tw_basic(BASIC_INT), -4, 12);
    check_twin(tw_subarray(2, s2, sub2, st2, false, r), "subarray of resized(int,-4,12)");
    check_twin(tw_subarray(2, s2, sub2, st0, true, r), "subarray of resized at 0");
    struct twin dc = tw_members(2, (MPI_Aint[]){ 0, 8 },
                                (struct twin[]){ tw_basic(BASIC_DOUBLE), tw_basic(BASIC_CHAR) });
    check_twin(tw_subarray(2, s2, sub2, st2, false, dc), "subarray of {double, char}");
}

static void test_darray_matches_open_mpi(void **state)
{
    (void)state;
    struct twin i = tw_basic(BASIC_INT);
    int g[2] = { 7, 5 }, p[2] = { 2, 2 };
    int dist[2] = { MPI_DISTRIBUTE_BLOCK, MPI_DISTRIBUTE_CYCLIC };
    int darg[2] = { MPI_DISTRIBUTE_DFLT_DARG, 2 };
    for (int rank = 0; rank < 4; rank++) {
        check_twin(tw_darray(4, rank, 2, g, dist, darg, p, false, i), "darray block/cyclic C");
        check_twin(tw_darray(4, rank, 2, g, dist, darg, p, true, i), "darray block/cyclic F");
    }
    int g3[3] = { 5, 4, 6 }, p3[3] = { 3, 1, 2 };
    int dist3[3] = { MPI_DISTRIBUTE_CYCLIC, MPI_DISTRIBUTE_NONE, MPI_DISTRIBUTE_BLOCK };
    int darg3[3] = { MPI_DISTRIBUTE_DFLT_DARG, MPI_DISTRIBUTE_DFLT_DARG, 4 };
    struct twin r = tw_resized(tw_basic(BASIC_SHORT), -2, 6);
    for (int rank = 0; rank < 6; rank++) {
        check_twin(tw_darray(6, rank, 3, g3, dist3, darg3, p3, false, r), "darray 3D C");
        check_twin(tw_darray(6, rank, 3, g3, dist3, darg3, p3, true, r), "darray 3D F");
    }
}

static void test_nested_types_match_open_mpi(void **state)
{
    (void)state;
    struct twin c = tw_basic(BASIC_CHAR), i = tw_basic(BASIC_INT), d = tw_basic(BASIC_DOUBLE);
    struct twin inner = tw_members(3, (MPI_Aint[]){ 0, 4, 16 }, (struct twin[]){ i, c, d });
    struct twin row = tw_vector(3, 2, 4, inner);
    int bl[2] = { 1, 2 }, dp[2] = { 3, -1 };
    struct twin idx = tw_indexed(2, bl, dp, row);
    check_twin(idx, "indexed of vector of struct");
    struct twin outer = tw_struct(2, (int[]){ 2, 1 }, (MPI_Aint[]){ -40, 200 },
                                  (struct twin[]){ idx, tw_resized(row, 8, 64) });
    check_twin(outer, "struct of indexed and resized vector");
    check_twin(tw_contiguous(2, tw_dup(outer)), "contiguous of dup of struct");
    check_twin(tw_hvector(2, 1, -300, outer), "hvector of struct, negative stride");
}

static void test_empty_types_match_open_mpi(void **state)
{
    (void)state;
    struct twin e = tw_contiguous(0, tw_basic(BASIC_INT));
    struct twin far = tw_members(2, (MPI_Aint[]){ 0, 100 },
                                 (struct twin[]){ tw_basic(BASIC_INT), e });
    check_twin(far, "{int@0, empty@100}: empty members move bounds");
    /* Open MPI packs a second instance from offset 4 (see
     * open_mpi_ignores_extent); MPI puts it at the extent, 100. */
    int two[26] = { 0 }, packed[2];
    two[0] = 7;
    two[25] = 9;
    assert_int_equal(dt_pack(far.dt, 2, two, packed, sizeof packed), DT_OK);
    assert_int_equal(packed[0] * 10 + packed[1], 7 * 10 + 9);
    check_twin(tw_members(2, (MPI_Aint[]){ -100, 0 }, (struct twin[]){ e, tw_basic(BASIC_INT) }),
               "{empty@-100, int@0}");
    struct twin re = tw_resized(e, 4, 8);
    check_twin(re, "resized empty");
    check_twin(tw_contiguous(3, re), "contiguous of resized empty");
    check_twin(tw_vector(3, 1, 2, re), "vector of resized empty");
    check_twin(tw_indexed(2, (int[]){ 1, 2 }, (int[]){ 3, 0 }, re), "indexed of resized empty");
    check_twin(tw_members(2, (MPI_Aint[]){ 0, 20 }, (struct twin[]){ re, tw_basic(BASIC_CHAR) }),
               "{resized empty@0, char@20}");
    check_twin(tw_struct(2, (int[]){ 0, 0 }, (MPI_Aint[]){ 8, 16 },
                         (struct twin[]){ tw_basic(BASIC_INT), tw_basic(BASIC_DOUBLE) }),
               "struct of empty blocks");
}

/* ---- random types ----------------------------------------------------------- */

static int pick(unsigned *seed, int lo, int hi)
{
    return lo + (int)(next_random(seed) % (unsigned)(hi - lo + 1));
}

static struct twin random_type(unsigned *seed, int depth);

static struct twin random_indexed_family(unsigned *seed, int which, struct twin old)
{
    int n = pick(seed, 0, 4), bl[4], d[4], block = pick(seed, 0, 3);
    MPI_Aint hd[4];
    for (int k = 0; k < 4; k++) {
        bl[k] = pick(seed, 0, 3);
        d[k] = pick(seed, -6, 6);
        hd[k] = pick(seed, -40, 40);
    }
    switch (which) {
    case 0: return tw_indexed(n, bl, d, old);
    case 1: return tw_hindexed(n, bl, hd, old);
    case 2: return tw_indexed_block(n, block, d, old);
    default: return tw_hindexed_block(n, block, hd, old);
    }
}

static struct twin random_struct(unsigned *seed, int depth)
{
    int n = pick(seed, 1, 3), bl[3];
    MPI_Aint d[3];
    struct twin types[3];
    for (int k = 0; k < n; k++) {
        bl[k] = pick(seed, 0, 2);
        d[k] = pick(seed, -48, 48);
        types[k] = random_type(seed, depth - 1);
    }
    return tw_struct(n, bl, d, types);
}

static struct twin random_subarray(unsigned *seed, struct twin old)
{
    int nd = pick(seed, 1, 3), sizes[3], subs[3], starts[3];
    for (int k = 0; k < nd; k++) {
        sizes[k] = pick(seed, 1, 4);
        subs[k] = pick(seed, 1, sizes[k]);
        starts[k] = pick(seed, 0, sizes[k] - subs[k]);
    }
    return tw_subarray(nd, sizes, subs, starts, pick(seed, 0, 1), old);
}

static struct twin random_darray(unsigned *seed, struct twin old)
{
    int g[2], dist[2], darg[2], p[2];
    for (int k = 0; k < 2; k++) {
        g[k] = pick(seed, 1, 6);
        dist[k] = pick(seed, 0, 2);
        p[k] = dist[k] == MPI_DISTRIBUTE_NONE ? 1 : pick(seed, 1, 2);
        darg[k] = MPI_DISTRIBUTE_DFLT_DARG;
        if (dist[k] == MPI_DISTRIBUTE_CYCLIC && pick(seed, 0, 1))
            darg[k] = pick(seed, 1, 3);
        if (dist[k] == MPI_DISTRIBUTE_BLOCK && pick(seed, 0, 1))
            darg[k] = (g[k] + p[k] - 1) / p[k] + pick(seed, 0, 2);
    }
    int size = p[0] * p[1];
    if (dt_size(old.dt) == 0) /* both libraries reject darrays of no data */
        old = tw_basic(BASIC_INT);
    return tw_darray(size, pick(seed, 0, size - 1), 2, g, dist, darg, p,
                     pick(seed, 0, 1), old);
}

static struct twin random_type(unsigned *seed, int depth)
{
    if (depth == 0 || pick(seed, 0, 4) == 0)
        return tw_basic((enum basic_kind)pick(seed, 0, BASIC_KIND_COUNT - 1));
    int which = pick(seed, 0, 10);
    if (which == 6)
        return random_struct(seed, depth);
    struct twin old = random_type(seed, depth - 1);
    int stride = pick(seed, -4, 4);
    MPI_Aint hstride = pick(seed, -30, 30);
    /* Open MPI 4.1 reads a byte stride of -1 as "the inner extent"
     * (test_vector_with_byte_stride_minus_one_follows_mpi). */
    if (stride * dt_extent(old.dt) == -1)
        stride *= 2;
    if (hstride == -1)
        hstride = -2;
    switch (which) {
    case 0: return tw_contiguous(pick(seed, 0, 3), old);
    case 1: return tw_vector(pick(seed, 0, 3), pick(seed, 0, 3), stride, old);
    case 2: return tw_hvector(pick(seed, 0, 3), pick(seed, 0, 3), hstride, old);
    case 3: case 4: case 5:
        return random_indexed_family(seed, pick(seed, 0, 3), old);
    case 7: return tw_resized(old, pick(seed, -8, 8), pick(seed, -4, 24));
    case 8: return tw_dup(old);
    case 9: return random_subarray(seed, old);
    default: return random_darray(seed, old);
    }
}

static void test_random_types_match_open_mpi(void **state)
{
    (void)state;
    char what[64];
    for (unsigned n = 0; n < 400; n++) {
        unsigned seed = 0x5eed0000u + n;
        struct twin t = random_type(&seed, 3);
        snprintf(what, sizeof what, "random type %u", n);
        check_twin(t, what);
        drain_pool();
    }
}

/* ---- buffers, ranges, large messages ----------------------------------------- */

/* MPI_BOTTOM: absolute displacements from a NULL buffer. */
static void test_absolute_displacements_from_null_buffer(void **state)
{
    (void)state;
    int a[2] = { 11, 22 }, b = 33, out[3] = { 0 };
    MPI_Aint disp[2] = { (MPI_Aint)(uintptr_t)&b, (MPI_Aint)(uintptr_t)a };
    struct dt_type *t;
    assert_int_equal(dt_hindexed(2, (int[]){ 1, 2 }, disp, dt_basic(BASIC_INT), &t), DT_OK);
    assert_int_equal(dt_commit(t), DT_OK);
    assert_int_equal(dt_pack(t, 1, NULL, out, sizeof out), DT_OK);
    assert_int_equal(out[0], 33);
    assert_int_equal(out[2], 22);
    int packed[3] = { 1, 2, 3 };
    assert_int_equal(dt_unpack(packed, sizeof packed, t, 1, NULL), DT_OK);
    assert_int_equal(b, 1);
    assert_int_equal(a[1], 3);
    dt_release(t);
}

/* A span of memory with inaccessible pages right before and after it. */
struct guarded {
    unsigned char *map, *data;
    size_t map_len;
};

static struct guarded guarded_alloc(size_t len, bool flush_end)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t pages = (len + page - 1) / page;
    struct guarded g = { .map_len = (pages + 2) * page };
    g.map = mmap(NULL, g.map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(g.map != MAP_FAILED);
    assert_int_equal(mprotect(g.map, page, PROT_NONE), 0);
    assert_int_equal(mprotect(g.map + (pages + 1) * page, page, PROT_NONE), 0);
    /* Against the front guard, or ending against the back one. */
    g.data = flush_end ? g.map + (pages + 1) * page - len : g.map + page;
    return g;
}

/* Packing reads, and unpacking writes, only [true_lb, true_ub) of each
 * instance: with the data flush against guard pages on either side, any
 * access beyond them would fault. */
static void test_pack_stays_inside_the_true_extent(void **state)
{
    (void)state;
    struct dt_type *row, *t;
    int d[3] = { 5, 0, 9 };
    assert_int_equal(dt_vector(3, 2, 5, dt_basic(BASIC_DOUBLE), &row), DT_OK);
    assert_int_equal(dt_indexed(3, (int[]){ 1, 2, 1 }, d, row, &t), DT_OK);
    assert_int_equal(dt_commit(t), DT_OK);
    size_t len = (size_t)dt_true_extent(t), packed = dt_size(t);
    unsigned char *stream = malloc(packed);
    assert_non_null(stream);
    for (int flush_end = 0; flush_end <= 1; flush_end++) {
        struct guarded g = guarded_alloc(len, flush_end);
        unsigned char *origin = g.data - dt_true_lb(t);
        fill(g.data, len, 3);
        assert_int_equal(dt_pack(t, 1, origin, stream, packed), DT_OK);
        assert_int_equal(dt_unpack(stream, packed, t, 1, origin), DT_OK);
        assert_int_equal(dt_pack_range(t, 1, origin, packed - 3, 3, stream), DT_OK);
        munmap(g.map, g.map_len);
    }
    free(stream);
    dt_release(t);
    dt_release(row);
}

/* Bytes in the gaps of a typemap keep their old value on unpack: checked
 * against the typemap written out by hand, not against Open MPI. */
static void test_unpack_leaves_gaps_untouched(void **state)
{
    (void)state;
    /* {int@0, char@6, short@10} x 2, extent 12: data at 0-3, 6, 10-11. */
    struct dt_type *t, *types[3] = { dt_basic(BASIC_INT), dt_basic(BASIC_CHAR),
                                     dt_basic(BASIC_SHORT) };
    assert_int_equal(dt_create_struct(3, (int[]){ 1, 1, 1 }, (ptrdiff_t[]){ 0, 6, 10 },
                                      types, &t), DT_OK);
    assert_int_equal(dt_commit(t), DT_OK);
    unsigned char stream[14], buf[40];
    memset(stream, 0xAB, sizeof stream);
    memset(buf, 0x11, sizeof buf);
    assert_int_equal(dt_extent(t), 12);
    assert_int_equal(dt_unpack(stream, sizeof stream, t, 2, buf + 4), DT_OK);
    for (int i = 0; i < 40; i++) {
        int off = (i - 4) % 12, inst = (i - 4) / 12;
        bool data = i >= 4 && inst < 2 && (off < 4 || off == 6 || off == 10 || off == 11);
        assert_int_equal(buf[i], data ? 0xAB : 0x11);
    }
    dt_release(t);
}

/* A 64 MiB message of a strided type goes through a 1 MiB window and comes
 * back identical, while MPI_Pack of the same type gives the same stream. */
static void test_large_message_streams_through_a_window(void **state)
{
    (void)state;
    const int blocks = 1 << 20;                 /* 1 Mi blocks of 8 doubles */
    struct twin t = tw_vector(blocks, 8, 9, tw_basic(BASIC_DOUBLE));
    size_t total = dt_size(t.dt), span = (size_t)dt_extent(t.dt);
    assert_int_equal(total, (size_t)64 << 20);
    unsigned char *src = malloc(span), *dst = calloc(1, span), *window = malloc(1 << 20);
    unsigned char *whole = malloc(total), *reference = malloc(total);
    assert_true(src && dst && window && whole && reference);
    fill(src, span, 9);
    assert_int_equal(MPI_Type_commit(&t.mpi), MPI_SUCCESS);
    assert_int_equal(dt_commit(t.dt), DT_OK);
    int position = 0;
    assert_int_equal(MPI_Pack(src, 1, t.mpi, reference, (int)total, &position,
                              MPI_COMM_WORLD), MPI_SUCCESS);
    for (size_t at = 0; at < total; at += 1 << 20) {
        assert_int_equal(dt_pack_range(t.dt, 1, src, at, 1 << 20, window), DT_OK);
        memcpy(whole + at, window, 1 << 20);
        assert_int_equal(dt_unpack_range(window, at, 1 << 20, t.dt, 1, dst), DT_OK);
    }
    assert_memory_equal(whole, reference, total);
    for (size_t b = 0; b < (size_t)blocks; b++)
        assert_memory_equal(dst + b * 72, src + b * 72, 64);
    free(src), free(dst), free(window), free(whole), free(reference);
}

static void test_contiguous_pack_is_one_copy(void **state)
{
    (void)state;
    const size_t n = (size_t)8 << 20; /* 64 MiB of doubles */
    struct dt_type *t;
    assert_int_equal(dt_contiguous((int)n, dt_basic(BASIC_DOUBLE), &t), DT_OK);
    assert_int_equal(dt_commit(t), DT_OK);
    assert_true(dt_is_contiguous(t));
    unsigned char *src = malloc(n * 8), *out = malloc(n * 8);
    assert_true(src && out);
    fill(src, n * 8, 4);
    assert_int_equal(dt_pack(t, 1, src, out, n * 8), DT_OK);
    assert_memory_equal(src, out, n * 8);
    free(src), free(out);
    dt_release(t);
}

static void test_pack_range_rejects_ranges_past_the_end(void **state)
{
    (void)state;
    int src[4] = { 1, 2, 3, 4 }, out[4];
    struct dt_type *i = dt_basic(BASIC_INT);
    assert_int_equal(dt_pack_range(i, 4, src, 12, 4, out), DT_OK);
    assert_int_equal(out[0], 4);
    assert_int_equal(dt_pack_range(i, 4, src, 12, 5, out), DT_ERR_ARG);
    assert_int_equal(dt_pack_range(i, 4, src, 17, 0, out), DT_ERR_ARG);
    assert_int_equal(dt_unpack_range(out, 16, 0, i, 4, src), DT_OK);
}

/* ---- memory use ---------------------------------------------------------------- */

static size_t heap_in_use(void)
{
    return mallinfo2().uordblks;
}

/* Huge counts of tiny blocks flatten to a few ops, not one per block. */
static void test_commit_of_huge_counts_is_compact(void **state)
{
    (void)state;
    struct dt_type *v, *s, *c, *types[2] = { dt_basic(BASIC_INT), dt_basic(BASIC_DOUBLE) };
    assert_int_equal(dt_vector(1000000, 1, 2, dt_basic(BASIC_INT), &v), DT_OK);
    assert_int_equal(dt_create_struct(2, (int[]){ 1, 1 }, (ptrdiff_t[]){ 0, 8 }, types, &s),
                     DT_OK);
    assert_int_equal(dt_contiguous(1000000, s, &c), DT_OK);
    size_t before = heap_in_use();
    assert_int_equal(dt_commit(v), DT_OK);
    assert_int_equal(dt_commit(c), DT_OK);
    assert_true(heap_in_use() - before < 4096);
    dt_release(v), dt_release(c), dt_release(s);
}

static void test_pack_does_not_allocate(void **state)
{
    (void)state;
    struct dt_type *v;
    assert_int_equal(dt_vector(1000000, 1, 2, dt_basic(BASIC_INT), &v), DT_OK);
    assert_int_equal(dt_commit(v), DT_OK);
    int *src = calloc(2000000, sizeof *src), *out = malloc(1000000 * sizeof *out);
    assert_true(src && out);
    src[2 * 999999] = 7;
    size_t before = heap_in_use();
    assert_int_equal(dt_pack(v, 1, src, out, 1000000 * sizeof *out), DT_OK);
    assert_int_equal(dt_pack_range(v, 1, src, 40, 400, out), DT_OK);
    assert_int_equal(heap_in_use(), before);
    free(src), free(out);
    dt_release(v);
}

static void test_counts_up_to_2_31_have_64_bit_sizes(void **state)
{
    (void)state;
    struct twin t = tw_contiguous(INT_MAX, tw_basic(BASIC_DOUBLE));
    struct twin v = tw_vector(INT_MAX, 2, 3, tw_basic(BASIC_INT));
    label = "huge counts";
    expect_same_bounds(t);
    expect_same_bounds(v);
    assert_int_equal(dt_size(t.dt), (size_t)INT_MAX * 8);
    assert_int_equal(dt_get_elements(t.dt, (size_t)INT_MAX * 8), INT_MAX);
    assert_int_equal(dt_get_count(v.dt, dt_size(v.dt) * 2), 2);
    assert_int_equal(dt_element_count(v.dt), (size_t)INT_MAX * 2);
}

/* ---- queries ------------------------------------------------------------------ */

static void test_get_elements_of_partial_messages(void **state)
{
    (void)state;
    struct dt_type *s, *types[2] = { dt_basic(BASIC_CHAR), dt_basic(BASIC_DOUBLE) };
    assert_int_equal(dt_create_struct(2, (int[]){ 1, 1 }, (ptrdiff_t[]){ 0, 8 }, types, &s),
                     DT_OK);
    assert_int_equal(dt_get_elements(s, 0), 0);
    assert_int_equal(dt_get_elements(s, 1), 1);
    assert_int_equal(dt_get_elements(s, 5), DT_UNDEFINED);
    assert_int_equal(dt_get_elements(s, 9), 2);
    assert_int_equal(dt_get_elements(s, 10), 3);
    assert_int_equal(dt_get_elements(s, 27), 6);
    /* a predefined pair is one element, the same pair in a type is two */
    assert_int_equal(dt_get_elements(dt_basic(BASIC_DOUBLE_INT), 24), 2);
    assert_int_equal(dt_get_elements(dt_basic(BASIC_DOUBLE_INT), 8), DT_UNDEFINED);
    struct dt_type *c;
    assert_int_equal(dt_contiguous(1, dt_basic(BASIC_DOUBLE_INT), &c), DT_OK);
    assert_int_equal(dt_get_elements(c, 8), 1);
    assert_int_equal(dt_get_elements(c, 12), 2);
    dt_release(c), dt_release(s);
}

static void test_get_count_counts_whole_instances(void **state)
{
    (void)state;
    struct dt_type *e;
    assert_int_equal(dt_get_count(dt_basic(BASIC_INT), 12), 3);
    assert_int_equal(dt_get_count(dt_basic(BASIC_INT), 13), DT_UNDEFINED);
    assert_int_equal(dt_get_count(dt_basic(BASIC_SHORT_INT), 12), 2);
    assert_int_equal(dt_contiguous(0, dt_basic(BASIC_INT), &e), DT_OK);
    assert_int_equal(dt_get_count(e, 5), 0);
    assert_int_equal(dt_get_elements(e, 5), 0);
    dt_release(e);
}

static void expect_signature(struct dt_type *t, enum basic_kind kind, size_t units)
{
    enum basic_kind got;
    size_t n;
    assert_true(dt_signature(t, &got, &n));
    assert_int_equal(got, kind);
    assert_int_equal(n, units);
}

static void test_signature_finds_uniform_typemaps(void **state)
{
    (void)state;
    struct dt_type *v, *p, *s, *m, *e, *r;
    enum basic_kind k;
    size_t n;
    assert_int_equal(dt_vector(4, 3, 5, dt_basic(BASIC_INT), &v), DT_OK);
    expect_signature(v, BASIC_INT, 12);
    expect_signature(dt_basic(BASIC_DOUBLE_INT), BASIC_DOUBLE_INT, 1);
    assert_int_equal(dt_contiguous(3, dt_basic(BASIC_DOUBLE_INT), &p), DT_OK);
    expect_signature(p, BASIC_DOUBLE_INT, 3);
    struct dt_type *ii[2] = { dt_basic(BASIC_INT), dt_basic(BASIC_INT) };
    assert_int_equal(dt_create_struct(2, (int[]){ 1, 2 }, (ptrdiff_t[]){ 0, 8 }, ii, &s), DT_OK);
    expect_signature(s, BASIC_INT, 3);
    assert_int_equal(dt_resized(s, 0, 64, &r), DT_OK);
    expect_signature(r, BASIC_INT, 3);
    struct dt_type *mixed[2] = { dt_basic(BASIC_INT), dt_basic(BASIC_INT32) };
    assert_int_equal(dt_create_struct(2, (int[]){ 1, 1 }, (ptrdiff_t[]){ 0, 4 }, mixed, &m),
                     DT_OK);
    assert_false(dt_signature(m, &k, &n));
    assert_int_equal(dt_contiguous(0, dt_basic(BASIC_INT), &e), DT_OK);
    assert_false(dt_signature(e, &k, &n));
    dt_release(v), dt_release(p), dt_release(s), dt_release(r), dt_release(m), dt_release(e);
}

static bool committed_contiguous(struct dt_type *t)
{
    assert_int_equal(dt_commit(t), DT_OK);
    bool contiguous = dt_is_contiguous(t);
    dt_release(t);
    return contiguous;
}

static void test_is_contiguous_recognises_plain_copies(void **state)
{
    (void)state;
    struct dt_type *t, *ii[2] = { dt_basic(BASIC_INT), dt_basic(BASIC_INT) };
    assert_true(dt_is_contiguous(dt_basic(BASIC_FLOAT_INT)));
    assert_false(dt_is_contiguous(dt_basic(BASIC_DOUBLE_INT))); /* padded */
    assert_false(dt_is_contiguous(dt_basic(BASIC_SHORT_INT)));  /* hole */
    assert_int_equal(dt_contiguous(10, dt_basic(BASIC_INT), &t), DT_OK);
    assert_false(dt_is_contiguous(t)); /* not committed */
    assert_true(committed_contiguous(t));
    assert_int_equal(dt_create_struct(2, (int[]){ 1, 3 }, (ptrdiff_t[]){ 0, 4 }, ii, &t), DT_OK);
    assert_true(committed_contiguous(t));
    assert_int_equal(dt_vector(3, 2, 2, dt_basic(BASIC_INT), &t), DT_OK);
    assert_true(committed_contiguous(t));
    assert_int_equal(dt_vector(3, 2, 3, dt_basic(BASIC_INT), &t), DT_OK);
    assert_false(committed_contiguous(t));
    assert_int_equal(dt_resized(dt_basic(BASIC_INT), 0, 8, &t), DT_OK);
    assert_false(committed_contiguous(t));
    assert_int_equal(dt_indexed(2, (int[]){ 1, 1 }, (int[]){ 1, 0 }, dt_basic(BASIC_INT), &t),
                     DT_OK);
    assert_false(committed_contiguous(t)); /* right bytes, wrong order */
}

/* ---- references and contents ---------------------------------------------------- */

static void test_inner_type_outlives_its_release(void **state)
{
    (void)state;
    struct dt_type *inner, *outer;
    int src[12], out[6];
    for (int i = 0; i < 12; i++)
        src[i] = i;
    assert_int_equal(dt_contiguous(3, dt_basic(BASIC_INT), &inner), DT_OK);
    assert_int_equal(dt_vector(2, 1, 2, inner, &outer), DT_OK);
    dt_release(inner); /* MPI_Type_free of the inner type */
    assert_int_equal(dt_commit(outer), DT_OK);
    assert_int_equal(dt_pack(outer, 1, src, out, sizeof out), DT_OK);
    assert_int_equal(out[3], 6);
    /* a pending operation keeps the outer type alive past its free */
    struct dt_type *pending = dt_retain(outer);
    dt_release(outer);
    assert_int_equal(dt_pack(pending, 1, src, out, sizeof out), DT_OK);
    assert_int_equal(out[5], 8);
    dt_release(pending);
}

static void test_get_contents_returns_referenced_types(void **state)
{
    (void)state;
    struct dt_type *inner, *outer, *got[2];
    int ints[3];
    ptrdiff_t addrs[1];
    int ni, na, nd;
    enum dt_combiner c;
    assert_int_equal(dt_contiguous(2, dt_basic(BASIC_INT), &inner), DT_OK);
    assert_int_equal(dt_hvector(3, 1, -40, inner, &outer), DT_OK);
    assert_int_equal(dt_get_envelope(outer, &ni, &na, &nd, &c), DT_OK);
    assert_int_equal(c, DT_COMBINER_HVECTOR);
    assert_int_equal(ni * 10 + na * 100 + nd, 2 * 10 + 100 + 1);
    assert_int_equal(dt_get_contents(outer, 1, 1, 1, ints, addrs, got), DT_ERR_ARG);
    assert_int_equal(dt_get_contents(outer, 3, 1, 2, ints, addrs, got), DT_OK);
    assert_int_equal(ints[0], 3);
    assert_int_equal(ints[1], 1);
    assert_int_equal(addrs[0], -40);
    assert_ptr_equal(got[0], inner);
    dt_release(inner);
    dt_release(outer);
    assert_int_equal(dt_size(got[0]), 8); /* still alive: we hold a reference */
    dt_release(got[0]);
    assert_int_equal(dt_get_contents(dt_basic(BASIC_INT), 3, 1, 1, ints, addrs, got),
                     DT_ERR_ARG);
}

/* ---- errors ---------------------------------------------------------------------- */

static void test_invalid_arguments_return_codes(void **state)
{
    (void)state;
    struct dt_type *t = NULL, *i = dt_basic(BASIC_INT);
    int sizes[2] = { 4, 4 }, subs[2] = { 2, 3 }, bad_starts[2] = { 3, 0 }, starts[2] = { 0, 0 };
    int g[1] = { 8 }, block[1] = { DT_DISTRIBUTE_BLOCK }, darg[1] = { 2 }, p[1] = { 2 };
    assert_int_equal(dt_contiguous(-1, i, &t), DT_ERR_ARG);
    assert_int_equal(dt_vector(2, -1, 1, i, &t), DT_ERR_ARG);
    assert_int_equal(dt_indexed(2, (int[]){ 1, -1 }, (int[]){ 0, 1 }, i, &t), DT_ERR_ARG);
    assert_int_equal(dt_create_struct(1, (int[]){ 1 }, (ptrdiff_t[]){ 0 },
                                      (struct dt_type *[]){ NULL }, &t), DT_ERR_ARG);
    assert_int_equal(dt_contiguous(1, NULL, &t), DT_ERR_ARG);
    assert_int_equal(dt_subarray(2, sizes, subs, bad_starts, DT_ORDER_C, i, &t), DT_ERR_ARG);
    assert_int_equal(dt_subarray(2, sizes, subs, starts, 7, i, &t), DT_ERR_ARG);
    assert_int_equal(dt_subarray(0, sizes, subs, starts, DT_ORDER_C, i, &t), DT_ERR_ARG);
    /* blocks of 2 on 2 processes cannot cover 8 elements */
    assert_int_equal(dt_darray(2, 0, 1, g, block, darg, p, DT_ORDER_C, i, &t), DT_ERR_ARG);
    assert_int_equal(dt_darray(3, 0, 1, g, block, (int[]){ 4 }, p, DT_ORDER_C, i, &t),
                     DT_ERR_ARG);
    /* a type whose bounds cannot be represented */
    assert_int_equal(dt_hvector(3, 1, PTRDIFF_MAX / 2, i, &t), DT_ERR_ARG);
    assert_int_equal(dt_resized(i, PTRDIFF_MAX, 1, &t), DT_ERR_ARG);
    assert_null(t);
    assert_string_equal(dt_strerror(DT_ERR_TRUNCATE), "buffer too small for the packed data");
}

static void test_pack_requires_commit_and_room(void **state)
{
    (void)state;
    struct dt_type *t;
    int src[6] = { 0 }, out[6];
    assert_int_equal(dt_contiguous(3, dt_basic(BASIC_INT), &t), DT_OK);
    assert_int_equal(dt_pack(t, 1, src, out, sizeof out), DT_ERR_NOT_COMMITTED);
    assert_int_equal(dt_commit(t), DT_OK);
    assert_int_equal(dt_commit(t), DT_OK);
    assert_int_equal(dt_pack(t, 2, src, out, 23), DT_ERR_TRUNCATE);
    assert_int_equal(dt_unpack(out, 11, t, 1, src), DT_ERR_TRUNCATE);
    assert_int_equal(dt_pack(t, 2, src, out, 24), DT_OK);
    size_t bytes;
    assert_int_equal(dt_packed_size(t, SIZE_MAX / 4, &bytes), DT_ERR_ARG);
    dt_release(t);
}

#define TEST(f) cmocka_unit_test_teardown(f, teardown_pool)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_basic_kind_tables_match_open_mpi),
        TEST(test_pair_types_are_the_c_structs),
        TEST(test_predefined_types_match_open_mpi),
        TEST(test_basic_types_are_shared_and_never_freed),
        TEST(test_contiguous_matches_open_mpi),
        TEST(test_vector_matches_open_mpi),
        TEST(test_vector_negative_stride_matches_open_mpi),
        TEST(test_vector_with_byte_stride_minus_one_follows_mpi),
        TEST(test_hvector_matches_open_mpi),
        TEST(test_indexed_matches_open_mpi),
        TEST(test_hindexed_matches_open_mpi),
        TEST(test_indexed_block_matches_open_mpi),
        TEST(test_hindexed_block_matches_open_mpi),
        TEST(test_struct_padding_matches_open_mpi),
        TEST(test_struct_sticky_bounds_match_open_mpi),
        TEST(test_resized_matches_open_mpi),
        TEST(test_dup_matches_open_mpi),
        TEST(test_pair_types_in_derived_types_match_open_mpi),
        TEST(test_subarray_matches_open_mpi),
        TEST(test_subarray_of_derived_types_matches_open_mpi),
        TEST(test_darray_matches_open_mpi),
        TEST(test_nested_types_match_open_mpi),
        TEST(test_empty_types_match_open_mpi),
        TEST(test_random_types_match_open_mpi),
        TEST(test_absolute_displacements_from_null_buffer),
        TEST(test_pack_stays_inside_the_true_extent),
        TEST(test_unpack_leaves_gaps_untouched),
        TEST(test_large_message_streams_through_a_window),
        TEST(test_contiguous_pack_is_one_copy),
        TEST(test_pack_range_rejects_ranges_past_the_end),
        TEST(test_commit_of_huge_counts_is_compact),
        TEST(test_pack_does_not_allocate),
        TEST(test_counts_up_to_2_31_have_64_bit_sizes),
        TEST(test_get_elements_of_partial_messages),
        TEST(test_get_count_counts_whole_instances),
        TEST(test_signature_finds_uniform_typemaps),
        TEST(test_is_contiguous_recognises_plain_copies),
        TEST(test_inner_type_outlives_its_release),
        TEST(test_get_contents_returns_referenced_types),
        TEST(test_invalid_arguments_return_codes),
        TEST(test_pack_requires_commit_and_room),
    };
    MPI_Init(NULL, NULL);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    MPI_Finalize();
    return failed;
}
