/*
 * datatype_internal.h — what the datatype engine's files share: the type
 * object, its bounds summary and its flattened (committed) form. Only
 * plugin/datatype*.c include this; everyone else uses datatype.h.
 *
 * Files: datatype.c (objects, references, constructors, bounds, queries,
 * envelope/contents), datatype_array.c (subarray and darray, composed from
 * the simple constructors), datatype_flat.c (flattening at commit),
 * datatype_pack.c (pack/unpack over the flattened form).
 *
 * Invariants:
 * - A type's contents (ints/addrs/types, laid out as MPI_Type_get_contents
 *   returns them) are the single description of its typemap; bounds and
 *   the flattened form are both computed from them.
 * - `flat` is non-NULL exactly for committed types (predefined types are
 *   born committed). Lists are immutable once built and live in the arena of
 *   the type that built them; a list may point at the lists of committed
 *   inner types, which stay alive because the outer type holds references.
 * - Every block of a type lies within [true_lb, true_ub) of its bounds, and
 *   constructors reject types whose bounds overflow ptrdiff_t, so offset
 *   arithmetic on ops cannot overflow.
 */
#ifndef MPICKPT_PLUGIN_DATATYPE_INTERNAL_H
#define MPICKPT_PLUGIN_DATATYPE_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "plugin/basic_kind.h"
#include "plugin/datatype.h"

/* Whether the typemap is one basic kind repeated (for reductions). */
enum dt_sig { DT_SIG_EMPTY, DT_SIG_UNIFORM, DT_SIG_MIXED };

/* The summary of a typemap that Open MPI keeps while building a type. */
struct dt_bounds {
    ptrdiff_t lb, ub;           /* extent = ub - lb */
    ptrdiff_t true_lb, true_ub; /* data bytes only; 0, 0 when size is 0 */
    size_t size;                /* data bytes */
    size_t align;               /* largest alignment of any component */
    size_t nelems;              /* basic elements; a pair counts 2 */
    bool user_lb, user_ub;      /* set by dt_resized: sticky bounds */
    bool touched;               /* some component with count > 0 was added */
    enum dt_sig sig;
    enum basic_kind sig_kind;   /* DT_SIG_UNIFORM: the kind ... */
    size_t sig_units;           /* ... and how many (a pair counts 1) */
};

struct dt_list;

/* One step of the flattened form. A leaf (body == NULL) is `reps` blocks of
 * `len` bytes at disp, disp + stride, ...; a loop is `reps` passes over
 * `body`, whose offsets are relative to disp + k * stride. */
struct dt_op {
    ptrdiff_t disp;
    ptrdiff_t stride;
    size_t reps;                /* >= 1 */
    size_t len;                 /* leaf only: bytes per block */
    size_t before;              /* packed bytes of the earlier ops of the list */
    const struct dt_list *body; /* loop only */
};

/* Ops in typemap order, relative to the origin of one instance. */
struct dt_list {
    size_t n;
    size_t packed;              /* packed bytes of the whole list */
    const struct dt_op *ops;
};

/* Every allocation behind a type's flattened form, freed together. */
struct dt_arena {
    void **blocks;
    size_t n, cap;
};

struct dt_type {
    atomic_size_t refs;         /* unused for predefined types */
    enum dt_combiner combiner;
    enum basic_kind kind;       /* predefined types only */
    bool predefined;
    struct dt_bounds b;
    int ni, na, nd;             /* contents, in MPI's get_contents layout */
    int *ints;
    ptrdiff_t *addrs;
    struct dt_type **types;     /* each holds a reference */
    struct dt_type *impl;       /* subarray/darray: the composed layout */
    const struct dt_list *flat; /* committed form, NULL until dt_commit */
    struct dt_arena arena;
};

/* One run of copies of an inner type inside a derived type: `count`
 * instances of `type`, the first at `disp`, then every `step` bytes. */
struct dt_block {
    struct dt_type *type;
    size_t count;
    ptrdiff_t disp;
    ptrdiff_t step;
};

/* Checked ptrdiff_t arithmetic: false when the result does not fit. */
static inline bool add_ok(ptrdiff_t a, ptrdiff_t b, ptrdiff_t *out)
{
    return !__builtin_add_overflow(a, b, out);
}

static inline bool sub_ok(ptrdiff_t a, ptrdiff_t b, ptrdiff_t *out)
{
    return !__builtin_sub_overflow(a, b, out);
}

static inline bool mul_ok(ptrdiff_t a, ptrdiff_t b, ptrdiff_t *out)
{
    return !__builtin_mul_overflow(a, b, out);
}

/* datatype.c */
struct dt_type *dti_type_new(enum dt_combiner combiner, int ni, int na, int nd);
ptrdiff_t dti_extent(const struct dt_type *t);
/* Number of blocks of a derived type other than (h)vector, and block i:
 * contiguous, dup, resized, subarray and darray have one; the (h)indexed
 * kinds and struct one per array entry. */
int dti_block_count(const struct dt_type *t);
struct dt_block dti_block(const struct dt_type *t, int i);

/* datatype_flat.c */
int dti_flatten(struct dt_type *t);
/* `count` copies of `op`, `step` bytes apart, as one op when possible. */
bool dti_fold(const struct dt_op *op, size_t count, ptrdiff_t step,
              struct dt_op *out);
size_t dti_op_unit(const struct dt_op *op);
void dti_arena_free(struct dt_arena *a);

#endif
