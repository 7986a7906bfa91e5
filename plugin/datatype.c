/*
 * datatype.c — datatype objects: predefined types, references, the simple
 * constructors, the bounds model, queries and envelope/contents.
 * See datatype.h for the contract and datatype_internal.h for the layout.
 *
 * Bounds are computed the way Open MPI 4.1 computes them (its
 * opal_datatype_add), because the application saw those values before it
 * ran under mpickpt and may have sized buffers with them: a constructor
 * appends its components one "block" at a time (count copies of an inner
 * type at disp, disp + step, ...), and after each block
 *   - lb/ub become the min/max of the old and the block's bounds, except
 *     that bounds set by dt_resized are sticky: once either side carries
 *     them, plain bounds of the other side no longer move them;
 *   - while no sticky ub is involved, ub is pushed up so that the extent is
 *     a multiple of the largest alignment seen so far (MPI's epsilon). Doing
 *     this per block, not once at the end, is what Open MPI does and it is
 *     visible: struct {short@0, int@2, char@-1} has extent 12, not 8.
 * Components of size 0 move lb/ub but never true_lb/true_ub. A constructor
 * that adds nothing yields Open MPI's empty type: size 0, all bounds 0.
 *
 * Invariant: every constructor validates its arguments and the arithmetic
 * of its bounds before returning a type, so later code (flattening,
 * packing, element counting) can compute offsets without overflow checks.
 */
#include "plugin/datatype.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "plugin/datatype_internal.h"

const char *dt_strerror(int status)
{
    switch (status) {
    case DT_OK: return "success";
    case DT_ERR_ARG: return "invalid datatype argument";
    case DT_ERR_NOMEM: return "out of memory";
    case DT_ERR_UNSUPPORTED: return "datatype operation not supported";
    case DT_ERR_NOT_COMMITTED: return "datatype not committed";
    case DT_ERR_TRUNCATE: return "buffer too small for the packed data";
    default: return "unknown datatype error";
    }
}

/* ---- predefined types -------------------------------------------------- */

static struct dt_type basics[BASIC_KIND_COUNT];
static struct dt_op basic_ops[BASIC_KIND_COUNT][2];
static struct dt_list basic_lists[BASIC_KIND_COUNT];
static once_flag basics_once = ONCE_FLAG_INIT;

static enum basic_kind pair_value_kind(enum basic_kind kind)
{
    switch (kind) {
    case BASIC_FLOAT_INT: return BASIC_FLOAT;
    case BASIC_DOUBLE_INT: return BASIC_DOUBLE;
    case BASIC_LONG_INT: return BASIC_LONG;
    case BASIC_SHORT_INT: return BASIC_SHORT;
    case BASIC_LONG_DOUBLE_INT: return BASIC_LONG_DOUBLE;
    default: return BASIC_INT; /* BASIC_2INT */
    }
}

/* A pair type is the C struct {value; int}: the int sits at the first
 * int-aligned offset after the value, which is how the C ABI lays it out
 * (basic_kind_size of the pair includes the trailing padding). */
static size_t pair_int_offset(enum basic_kind kind)
{
    size_t value = basic_kind_size(pair_value_kind(kind));
    size_t align = basic_kind_align(BASIC_INT);
    return (value + align - 1) / align * align;
}

/* The data of one element: a single block, except for pair types, which
 * pack value then int and skip the padding between them. Returns the
 * number of ops. */
static size_t basic_layout(enum basic_kind kind, struct dt_bounds *b,
                           struct dt_op ops[2])
{
    if (!basic_kind_is_pair(kind)) {
        b->size = basic_kind_size(kind);
        b->true_ub = b->ub;
        b->nelems = 1;
        ops[0] = (struct dt_op){ .reps = 1, .len = b->size };
        return 1;
    }
    size_t value = basic_kind_size(pair_value_kind(kind));
    size_t offset = pair_int_offset(kind);
    size_t isize = basic_kind_size(BASIC_INT);
    b->size = value + isize;
    b->true_ub = (ptrdiff_t)(offset + isize);
    b->nelems = 2;
    ops[0] = (struct dt_op){ .reps = 1, .len = value };
    if (offset == value) { /* no padding: one block */
        ops[0].len += isize;
        return 1;
    }
    ops[1] = (struct dt_op){ .disp = (ptrdiff_t)offset, .reps = 1, .len = isize,
                             .before = value };
    return 2;
}

static void init_basic(enum basic_kind kind)
{
    struct dt_type *t = &basics[kind];
    t->combiner = DT_COMBINER_NAMED;
    t->kind = kind;
    t->predefined = true;
    t->b = (struct dt_bounds){
        .ub = (ptrdiff_t)basic_kind_size(kind),
        .align = basic_kind_align(kind),
        .touched = true,
        .sig = DT_SIG_UNIFORM,
        .sig_kind = kind,
        .sig_units = 1,
    };
    size_t n = basic_layout(kind, &t->b, basic_ops[kind]);
    basic_lists[kind] = (struct dt_list){ .n = n, .packed = t->b.size,
                                          .ops = basic_ops[kind] };
    t->flat = &basic_lists[kind];
}

static void init_basics(void)
{
    for (int k = 0; k < BASIC_KIND_COUNT; k++)
        init_basic((enum basic_kind)k);
}

struct dt_type *dt_basic(enum basic_kind kind)
{
    if ((unsigned)kind >= BASIC_KIND_COUNT)
        return NULL;
    call_once(&basics_once, init_basics);
    return &basics[kind];
}

bool dt_named_kind(const struct dt_type *t, enum basic_kind *kind)
{
    if (!t->predefined)
        return false;
    *kind = t->kind;
    return true;
}

/* ---- objects and references -------------------------------------------- */

static void type_destroy(struct dt_type *t)
{
    dti_arena_free(&t->arena);
    for (int i = 0; t->types && i < t->nd; i++)
        dt_release(t->types[i]);
    dt_release(t->impl);
    free(t->ints);
    free(t->addrs);
    free(t->types);
    free(t);
}

struct dt_type *dti_type_new(enum dt_combiner combiner, int ni, int na, int nd)
{
    struct dt_type *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    atomic_init(&t->refs, 1);
    t->combiner = combiner;
    t->ni = ni;
    t->na = na;
    t->nd = nd;
    t->ints = ni ? calloc((size_t)ni, sizeof *t->ints) : NULL;
    t->addrs = na ? calloc((size_t)na, sizeof *t->addrs) : NULL;
    t->types = nd ? calloc((size_t)nd, sizeof *t->types) : NULL;
    if ((ni && !t->ints) || (na && !t->addrs) || (nd && !t->types)) {
        type_destroy(t);
        return NULL;
    }
    return t;
}

struct dt_type *dt_retain(struct dt_type *t)
{
    if (!t->predefined)
        atomic_fetch_add_explicit(&t->refs, 1, memory_order_relaxed);
    return t;
}

void dt_release(struct dt_type *t)
{
    if (!t || t->predefined)
        return;
    /* acq_rel: the destroying thread must see every write made through the
     * references other threads dropped before it. */
    if (atomic_fetch_sub_explicit(&t->refs, 1, memory_order_acq_rel) == 1)
        type_destroy(t);
}

ptrdiff_t dti_extent(const struct dt_type *t)
{
    return t->b.ub - t->b.lb;
}

/* ---- the bounds model (Open MPI's opal_datatype_add) -------------------- */

static void bounds_init(struct dt_bounds *b)
{
    *b = (struct dt_bounds){
        .lb = PTRDIFF_MAX, .ub = PTRDIFF_MIN,
        .true_lb = PTRDIFF_MAX, .true_ub = PTRDIFF_MIN,
        .align = 1,
    };
}

static void sig_add(struct dt_bounds *b, const struct dt_bounds *add, size_t count)
{
    if (add->sig == DT_SIG_EMPTY)
        return;
    if (b->sig == DT_SIG_EMPTY) {
        b->sig = add->sig;
        b->sig_kind = add->sig_kind;
        b->sig_units = count * add->sig_units;
    } else if (b->sig == DT_SIG_UNIFORM && add->sig == DT_SIG_UNIFORM &&
               b->sig_kind == add->sig_kind) {
        b->sig_units += count * add->sig_units;
    } else {
        b->sig = DT_SIG_MIXED;
    }
}

/* lb/ub after adding [lo, hi): sticky (resized) bounds win over plain ones. */
static void merge_sticky(struct dt_bounds *b, const struct dt_bounds *add,
                         ptrdiff_t lo, ptrdiff_t hi)
{
    if (add->user_lb != b->user_lb) {
        if (b->user_lb)
            lo = b->lb;
        b->user_lb = true;
    } else if (b->lb < lo) {
        lo = b->lb;
    }
    if (add->user_ub != b->user_ub) {
        if (b->user_ub)
            hi = b->ub;
        b->user_ub = true;
    } else if (b->ub > hi) {
        hi = b->ub;
    }
    b->lb = lo;
    b->ub = hi;
}

/* MPI's epsilon: round the extent up to the alignment, unless a sticky ub
 * fixes it. Same signed arithmetic as Open MPI. */
static int pad_extent(struct dt_bounds *b)
{
    ptrdiff_t extent, eps;
    if (b->user_ub)
        return DT_OK;
    if (!sub_ok(b->ub, b->lb, &extent))
        return DT_ERR_ARG;
    eps = extent % (ptrdiff_t)b->align;
    if (eps != 0 && !add_ok(b->ub, (ptrdiff_t)b->align - eps, &b->ub))
        return DT_ERR_ARG;
    return DT_OK;
}

/* Data bytes of the block: true bounds and size. */
static int add_data(struct dt_bounds *b, const struct dt_bounds *add,
                    size_t count, ptrdiff_t lo, ptrdiff_t hi)
{
    ptrdiff_t gap_lo, gap_hi, tlo, thi;
    size_t bytes;
    if (!sub_ok(add->true_lb, add->lb, &gap_lo) || !add_ok(lo, gap_lo, &tlo) ||
        !sub_ok(add->ub, add->true_ub, &gap_hi) || !sub_ok(hi, gap_hi, &thi) ||
        __builtin_mul_overflow(count, add->size, &bytes) ||
        __builtin_add_overflow(b->size, bytes, &b->size) ||
        b->size > PTRDIFF_MAX)
        return DT_ERR_ARG;
    if (tlo > thi) { /* a negative extent reverses the copies */
        ptrdiff_t swap = tlo;
        tlo = thi;
        thi = swap;
    }
    if (tlo < b->true_lb)
        b->true_lb = tlo;
    if (thi > b->true_ub)
        b->true_ub = thi;
    /* Both are bounded by the byte count, which fits. */
    b->nelems += count * add->nelems;
    sig_add(b, add, count);
    return DT_OK;
}

/* Appends `count` copies of a type with bounds `add`, the first at `disp`,
 * the next ones `step` bytes apart. */
static int bounds_add(struct dt_bounds *b, const struct dt_bounds *add,
                      size_t count, ptrdiff_t disp, ptrdiff_t step)
{
    ptrdiff_t span, last, lo, hi;
    if (count == 0)
        return DT_OK;
    if (count > PTRDIFF_MAX || !mul_ok((ptrdiff_t)count - 1, step, &span) ||
        !add_ok(disp, span, &last))
        return DT_ERR_ARG;
    lo = disp < last ? disp : last;
    hi = disp < last ? last : disp;
    if (!add_ok(lo, add->lb, &lo) || !add_ok(hi, add->ub, &hi))
        return DT_ERR_ARG;
    merge_sticky(b, add, lo, hi);
    if (add->align > b->align)
        b->align = add->align;
    int rc = pad_extent(b);
    b->touched = true;
    if (rc != DT_OK || add->size == 0)
        return rc;
    return add_data(b, add, count, lo, hi);
}

static void bounds_finish(struct dt_bounds *b)
{
    if (!b->touched) {
        *b = (struct dt_bounds){ .align = 1 };
        return;
    }
    if (b->size == 0)
        b->true_lb = b->true_ub = 0;
}

/* ---- blocks of derived types ------------------------------------------- */

int dti_block_count(const struct dt_type *t)
{
    switch (t->combiner) {
    case DT_COMBINER_CONTIGUOUS:
    case DT_COMBINER_DUP:
    case DT_COMBINER_RESIZED:
    case DT_COMBINER_SUBARRAY:
    case DT_COMBINER_DARRAY:
        return 1;
    case DT_COMBINER_INDEXED:
    case DT_COMBINER_HINDEXED:
    case DT_COMBINER_INDEXED_BLOCK:
    case DT_COMBINER_HINDEXED_BLOCK:
    case DT_COMBINER_STRUCT:
        return t->ints[0];
    default:
        return 0;
    }
}

struct dt_block dti_block(const struct dt_type *t, int i)
{
    struct dt_type *old = t->nd ? t->types[0] : NULL;
    ptrdiff_t ext = old ? dti_extent(old) : 0;
    int n = t->ni ? t->ints[0] : 0;
    switch (t->combiner) {
    case DT_COMBINER_CONTIGUOUS:
        return (struct dt_block){ old, (size_t)t->ints[0], 0, ext };
    case DT_COMBINER_INDEXED:
        return (struct dt_block){ old, (size_t)t->ints[1 + i],
                                  t->ints[1 + n + i] * ext, ext };
    case DT_COMBINER_HINDEXED:
        return (struct dt_block){ old, (size_t)t->ints[1 + i], t->addrs[i], ext };
    case DT_COMBINER_INDEXED_BLOCK:
        return (struct dt_block){ old, (size_t)t->ints[1],
                                  t->ints[2 + i] * ext, ext };
    case DT_COMBINER_HINDEXED_BLOCK:
        return (struct dt_block){ old, (size_t)t->ints[1], t->addrs[i], ext };
    case DT_COMBINER_STRUCT:
        return (struct dt_block){ t->types[i], (size_t)t->ints[1 + i],
                                  t->addrs[i], dti_extent(t->types[i]) };
    case DT_COMBINER_SUBARRAY:
    case DT_COMBINER_DARRAY:
        return (struct dt_block){ t->impl, 1, 0, 0 };
    default: /* dup, resized */
        return (struct dt_block){ old, 1, 0, 0 };
    }
}

/* Open MPI returns its empty type, ignoring the blocks, when the inner type
 * of contiguous, indexed or hindexed has no data (not for the _block
 * variants nor vectors, whose empty blocks still move the bounds). */
static bool empty_by_inner(const struct dt_type *t)
{
    switch (t->combiner) {
    case DT_COMBINER_CONTIGUOUS:
    case DT_COMBINER_INDEXED:
    case DT_COMBINER_HINDEXED:
        return t->types[0]->b.size == 0;
    default:
        return false;
    }
}

static int layout_blocks(struct dt_type *t)
{
    bounds_init(&t->b);
    if (empty_by_inner(t))
        return DT_OK;
    for (int i = 0; i < dti_block_count(t); i++) {
        struct dt_block blk = dti_block(t, i);
        int rc = bounds_add(&t->b, &blk.type->b, blk.count, blk.disp, blk.step);
        if (rc != DT_OK)
            return rc;
    }
    return DT_OK;
}

/* Open MPI's (h)vector: one block when the blocks touch (or there is one),
 * else count blocks of a "blocklength copies" temporary. */
static int layout_vector(struct dt_type *t, ptrdiff_t stride_bytes, bool touching)
{
    const struct dt_type *old = t->types[0];
    size_t count = (size_t)t->ints[0], blocklen = (size_t)t->ints[1];
    ptrdiff_t ext = dti_extent(old);
    struct dt_bounds block;
    int rc;

    bounds_init(&t->b);
    if (count == 0 || blocklen == 0)
        return DT_OK;
    if (touching || count == 1)
        return bounds_add(&t->b, &old->b, count * blocklen, 0, ext);
    if (blocklen == 1)
        return bounds_add(&t->b, &old->b, count, 0, stride_bytes);
    bounds_init(&block);
    rc = bounds_add(&block, &old->b, blocklen, 0, ext);
    if (rc != DT_OK)
        return rc;
    return bounds_add(&t->b, &block, count, 0, stride_bytes);
}

/* Publishes a freshly built type, or destroys it when building failed. */
static int publish(struct dt_type *t, int rc, struct dt_type **newtype)
{
    if (rc != DT_OK) {
        type_destroy(t);
        return rc;
    }
    bounds_finish(&t->b);
    *newtype = t;
    return DT_OK;
}

/* ---- constructors ------------------------------------------------------- */

int dt_contiguous(int count, struct dt_type *oldtype, struct dt_type **newtype)
{
    if (count < 0 || !oldtype || !newtype)
        return DT_ERR_ARG;
    struct dt_type *t = dti_type_new(DT_COMBINER_CONTIGUOUS, 1, 0, 1);
    if (!t)
        return DT_ERR_NOMEM;
    t->ints[0] = count;
    t->types[0] = dt_retain(oldtype);
    return publish(t, layout_blocks(t), newtype);
}

static int new_vector(enum dt_combiner combiner, int count, int blocklength,
                      struct dt_type *oldtype, struct dt_type **out)
{
    if (count < 0 || blocklength < 0 || !oldtype || !out)
        return DT_ERR_ARG;
    bool hvector = combiner == DT_COMBINER_HVECTOR;
    *out = dti_type_new(combiner, hvector ? 2 : 3, hvector ? 1 : 0, 1);
    if (!*out)
        return DT_ERR_NOMEM;
    (*out)->ints[0] = count;
    (*out)->ints[1] = blocklength;
    (*out)->types[0] = dt_retain(oldtype);
    return DT_OK;
}

int dt_vector(int count, int blocklength, int stride, struct dt_type *oldtype,
              struct dt_type **newtype)
{
    struct dt_type *t;
    ptrdiff_t stride_bytes;
    int rc = new_vector(DT_COMBINER_VECTOR, count, blocklength, oldtype, &t);
    if (rc != DT_OK)
        return rc;
    t->ints[2] = stride;
    rc = mul_ok(stride, dti_extent(oldtype), &stride_bytes) ? DT_OK : DT_ERR_ARG;
    if (rc == DT_OK)
        rc = layout_vector(t, stride_bytes, blocklength == stride);
    return publish(t, rc, newtype);
}

int dt_hvector(int count, int blocklength, ptrdiff_t stride,
               struct dt_type *oldtype, struct dt_type **newtype)
{
    struct dt_type *t;
    ptrdiff_t block_bytes;
    int rc = new_vector(DT_COMBINER_HVECTOR, count, blocklength, oldtype, &t);
    if (rc != DT_OK)
        return rc;
    t->addrs[0] = stride;
    bool touching = mul_ok(blocklength, dti_extent(oldtype), &block_bytes) &&
                    block_bytes == stride;
    return publish(t, layout_vector(t, stride, touching), newtype);
}

static bool lengths_ok(int count, const int blocklengths[])
{
    for (int i = 0; i < count; i++)
        if (blocklengths[i] < 0)
            return false;
    return true;
}

/* Element displacements must stay addressable once scaled by the extent. */
static bool scaled_ok(int count, const int displacements[], ptrdiff_t extent)
{
    ptrdiff_t bytes;
    for (int i = 0; i < count; i++)
        if (!mul_ok(displacements[i], extent, &bytes))
            return false;
    return true;
}

/* Validates the common arguments of the (h)indexed(_block) constructors
 * and allocates the type with room for the contents. */
static int new_indexed(enum dt_combiner combiner, int count, int ni, int na,
                       struct dt_type *oldtype, struct dt_type **out)
{
    if (count < 0 || ni < 0 || !oldtype || !out)
        return DT_ERR_ARG;
    *out = dti_type_new(combiner, ni, na, 1);
    if (!*out)
        return DT_ERR_NOMEM;
    (*out)->ints[0] = count;
    (*out)->types[0] = dt_retain(oldtype);
    return DT_OK;
}

/* num_integers as MPI counts them, or -1 when it does not fit an int. */
static int integers_for(int count, int per_entry, int fixed)
{
    long long n = (long long)count * per_entry + fixed;
    return count < 0 || n > INT_MAX ? -1 : (int)n;
}

int dt_indexed(int count, const int blocklengths[], const int displacements[],
               struct dt_type *oldtype, struct dt_type **newtype)
{
    struct dt_type *t;
    if (count > 0 && (!blocklengths || !displacements ||
                      !lengths_ok(count, blocklengths)))
        return DT_ERR_ARG;
    int rc = new_indexed(DT_COMBINER_INDEXED, count, integers_for(count, 2, 1),
                         0, oldtype, &t);
    if (rc != DT_OK)
        return rc;
    for (int i = 0; i < count; i++) {
        t->ints[1 + i] = blocklengths[i];
        t->ints[1 + count + i] = displacements[i];
    }
    rc = scaled_ok(count, displacements, dti_extent(oldtype)) ? layout_blocks(t)
                                                              : DT_ERR_ARG;
    return publish(t, rc, newtype);
}

int dt_hindexed(int count, const int blocklengths[],
                const ptrdiff_t displacements[], struct dt_type *oldtype,
                struct dt_type **newtype)
{
    struct dt_type *t;
    if (count > 0 && (!blocklengths || !displacements ||
                      !lengths_ok(count, blocklengths)))
        return DT_ERR_ARG;
    int rc = new_indexed(DT_COMBINER_HINDEXED, count, integers_for(count, 1, 1),
                         count, oldtype, &t);
    if (rc != DT_OK)
        return rc;
    for (int i = 0; i < count; i++) {
        t->ints[1 + i] = blocklengths[i];
        t->addrs[i] = displacements[i];
    }
    return publish(t, layout_blocks(t), newtype);
}

int dt_indexed_block(int count, int blocklength, const int displacements[],
                     struct dt_type *oldtype, struct dt_type **newtype)
{
    struct dt_type *t;
    if (blocklength < 0 || (count > 0 && !displacements))
        return DT_ERR_ARG;
    int rc = new_indexed(DT_COMBINER_INDEXED_BLOCK, count,
                         integers_for(count, 1, 2), 0, oldtype, &t);
    if (rc != DT_OK)
        return rc;
    t->ints[1] = blocklength;
    for (int i = 0; i < count; i++)
        t->ints[2 + i] = displacements[i];
    rc = scaled_ok(count, displacements, dti_extent(oldtype)) ? layout_blocks(t)
                                                              : DT_ERR_ARG;
    return publish(t, rc, newtype);
}

int dt_hindexed_block(int count, int blocklength,
                      const ptrdiff_t displacements[], struct dt_type *oldtype,
                      struct dt_type **newtype)
{
    struct dt_type *t;
    if (blocklength < 0 || (count > 0 && !displacements))
        return DT_ERR_ARG;
    int rc = new_indexed(DT_COMBINER_HINDEXED_BLOCK, count, 2, count, oldtype, &t);
    if (rc != DT_OK)
        return rc;
    t->ints[1] = blocklength;
    for (int i = 0; i < count; i++)
        t->addrs[i] = displacements[i];
    return publish(t, layout_blocks(t), newtype);
}

static bool struct_args_ok(int count, const int blocklengths[],
                           const ptrdiff_t displacements[],
                           struct dt_type *const types[])
{
    if (count < 0 || integers_for(count, 1, 1) < 0)
        return false;
    if (count == 0)
        return true;
    if (!blocklengths || !displacements || !types || !lengths_ok(count, blocklengths))
        return false;
    for (int i = 0; i < count; i++)
        if (!types[i])
            return false;
    return true;
}

int dt_create_struct(int count, const int blocklengths[],
                     const ptrdiff_t displacements[],
                     struct dt_type *const types[], struct dt_type **newtype)
{
    if (!newtype || !struct_args_ok(count, blocklengths, displacements, types))
        return DT_ERR_ARG;
    struct dt_type *t = dti_type_new(DT_COMBINER_STRUCT, count + 1, count, count);
    if (!t)
        return DT_ERR_NOMEM;
    t->ints[0] = count;
    for (int i = 0; i < count; i++) {
        t->ints[1 + i] = blocklengths[i];
        t->addrs[i] = displacements[i];
        t->types[i] = dt_retain(types[i]);
    }
    return publish(t, layout_blocks(t), newtype);
}

int dt_resized(struct dt_type *oldtype, ptrdiff_t lb, ptrdiff_t extent,
               struct dt_type **newtype)
{
    if (!oldtype || !newtype)
        return DT_ERR_ARG;
    struct dt_type *t = dti_type_new(DT_COMBINER_RESIZED, 0, 2, 1);
    if (!t)
        return DT_ERR_NOMEM;
    t->addrs[0] = lb;
    t->addrs[1] = extent;
    t->types[0] = dt_retain(oldtype);
    t->b = oldtype->b;
    t->b.lb = lb;
    t->b.user_lb = t->b.user_ub = true;
    /* Resizing even an empty type gives it bounds, as in Open MPI. */
    t->b.touched = true;
    int rc = add_ok(lb, extent, &t->b.ub) ? DT_OK : DT_ERR_ARG;
    return publish(t, rc, newtype);
}

int dt_dup(struct dt_type *oldtype, struct dt_type **newtype)
{
    if (!oldtype || !newtype)
        return DT_ERR_ARG;
    struct dt_type *t = dti_type_new(DT_COMBINER_DUP, 0, 0, 1);
    if (!t)
        return DT_ERR_NOMEM;
    t->types[0] = dt_retain(oldtype);
    t->b = oldtype->b;
    return publish(t, DT_OK, newtype);
}

/* ---- commit ------------------------------------------------------------- */

int dt_commit(struct dt_type *t)
{
    if (!t)
        return DT_ERR_ARG;
    return t->flat ? DT_OK : dti_flatten(t);
}

bool dt_is_committed(const struct dt_type *t)
{
    return t->flat != NULL;
}

bool dt_is_contiguous(const struct dt_type *t)
{
    if (!t->flat)
        return false;
    if (t->b.size == 0)
        return true;
    const struct dt_op *op = &t->flat->ops[0];
    return t->flat->n == 1 && !op->body && op->reps == 1 &&
           (ptrdiff_t)t->b.size == dti_extent(t);
}

/* ---- queries ------------------------------------------------------------ */

size_t dt_size(const struct dt_type *t) { return t->b.size; }
ptrdiff_t dt_lb(const struct dt_type *t) { return t->b.lb; }
ptrdiff_t dt_extent(const struct dt_type *t) { return dti_extent(t); }
ptrdiff_t dt_true_lb(const struct dt_type *t) { return t->b.true_lb; }
ptrdiff_t dt_true_extent(const struct dt_type *t) { return t->b.true_ub - t->b.true_lb; }

size_t dt_element_count(const struct dt_type *t)
{
    /* Open MPI counts a predefined pair type as one element by itself and
     * as its two members anywhere else. */
    return t->predefined ? 1 : t->b.nelems;
}

static ptrdiff_t prefix_elements(const struct dt_type *t, size_t bytes);

/* Elements in the first `bytes` of back-to-back instances of t. */
static ptrdiff_t copies_prefix(const struct dt_type *t, size_t bytes)
{
    if (bytes == 0)
        return 0;
    size_t whole = bytes / t->b.size;
    ptrdiff_t rest = prefix_elements(t, bytes % t->b.size);
    if (rest == DT_UNDEFINED)
        return DT_UNDEFINED;
    return (ptrdiff_t)(whole * t->b.nelems) + rest;
}

/* Inside a derived type a pair counts as value and int. */
static ptrdiff_t basic_prefix(const struct dt_type *t, size_t bytes)
{
    if (bytes == t->b.size)
        return (ptrdiff_t)t->b.nelems;
    if (basic_kind_is_pair(t->kind) &&
        bytes == basic_kind_size(pair_value_kind(t->kind)))
        return 1;
    return DT_UNDEFINED;
}

/* Elements in the first `bytes` (at most size) of one instance, in typemap
 * order; DT_UNDEFINED when they end inside an element. A vector is its
 * count * blocklength instances of oldtype back to back in typemap order. */
static ptrdiff_t prefix_elements(const struct dt_type *t, size_t bytes)
{
    size_t done = 0;
    if (bytes == 0)
        return 0;
    if (t->predefined)
        return basic_prefix(t, bytes);
    if (t->combiner == DT_COMBINER_VECTOR || t->combiner == DT_COMBINER_HVECTOR)
        return copies_prefix(t->types[0], bytes);
    for (int i = 0; i < dti_block_count(t); i++) {
        struct dt_block blk = dti_block(t, i);
        size_t part = blk.count * blk.type->b.size;
        if (bytes > part) {
            bytes -= part;
            done += blk.count * blk.type->b.nelems;
            continue;
        }
        ptrdiff_t rest = copies_prefix(blk.type, bytes);
        return rest == DT_UNDEFINED ? DT_UNDEFINED : (ptrdiff_t)done + rest;
    }
    return DT_UNDEFINED;
}

ptrdiff_t dt_get_elements(const struct dt_type *t, size_t bytes)
{
    size_t size = t->b.size;
    if (size == 0)
        return 0;
    if (t->predefined)
        return bytes % size ? DT_UNDEFINED : (ptrdiff_t)(bytes / size);
    return copies_prefix(t, bytes);
}

ptrdiff_t dt_get_count(const struct dt_type *t, size_t bytes)
{
    size_t size = t->b.size;
    if (size == 0)
        return 0;
    return bytes % size ? DT_UNDEFINED : (ptrdiff_t)(bytes / size);
}

bool dt_signature(const struct dt_type *t, enum basic_kind *kind,
                  size_t *per_instance)
{
    if (t->b.sig != DT_SIG_UNIFORM)
        return false;
    *kind = t->b.sig_kind;
    *per_instance = t->b.sig_units;
    return true;
}

/* ---- envelope and contents ---------------------------------------------- */

int dt_get_envelope(const struct dt_type *t, int *num_integers,
                    int *num_addresses, int *num_datatypes,
                    enum dt_combiner *combiner)
{
    *num_integers = t->ni;
    *num_addresses = t->na;
    *num_datatypes = t->nd;
    *combiner = t->combiner;
    return DT_OK;
}

int dt_get_contents(const struct dt_type *t, int max_integers,
                    int max_addresses, int max_datatypes, int integers[],
                    ptrdiff_t addresses[], struct dt_type *datatypes[])
{
    if (t->predefined || max_integers < t->ni || max_addresses < t->na ||
        max_datatypes < t->nd)
        return DT_ERR_ARG;
    if (t->ni)
        memcpy(integers, t->ints, (size_t)t->ni * sizeof *integers);
    if (t->na)
        memcpy(addresses, t->addrs, (size_t)t->na * sizeof *addresses);
    for (int i = 0; i < t->nd; i++)
        datatypes[i] = dt_retain(t->types[i]);
    return DT_OK;
}
