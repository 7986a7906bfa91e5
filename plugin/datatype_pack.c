/*
 * datatype_pack.c — packing and unpacking over the flattened form.
 *
 * One walker serves both directions and every range: a cursor carries how
 * many stream bytes to skip before copying and how many to copy, and the
 * walk descends the op tree of `count` instances, jumping over whole ops
 * and whole repetitions arithmetically (binary search on the ops' prefix
 * sizes, division inside a run), so starting in the middle of a stream
 * costs O(depth * log ops), not a replay of the bytes before it.
 *
 * Invariants: only bytes of blocks in the typemap are read (pack) or
 * written (unpack); the stream is touched in order; nothing allocates.
 * User memory is addressed as uintptr_t so that negative displacements
 * and a NULL (MPI_BOTTOM) buffer are plain modular arithmetic, never
 * undefined pointer arithmetic.
 */
#include <stdint.h>
#include <string.h>

#include "plugin/datatype.h"
#include "plugin/datatype_internal.h"

struct cursor {
    unsigned char *stream; /* next stream byte to produce or consume */
    size_t skip;           /* stream bytes to pass over before copying */
    size_t left;           /* stream bytes still to copy */
    bool pack;             /* user memory -> stream, else stream -> memory */
};

static uintptr_t offset_by(uintptr_t base, ptrdiff_t disp)
{
    return base + (uintptr_t)disp;
}

/* `n` blocks of `len` bytes, `stride` apart in memory, back to back in the
 * stream. The common element sizes get a copy of constant size, which the
 * compiler turns into one load/store instead of a memcpy call. */
#define COPY_RUN(LEN)                                                        \
    do {                                                                     \
        for (size_t i = 0; i < n; i++, mem += (uintptr_t)stride, s += (LEN)) \
            if (pack)                                                        \
                memcpy(s, (const void *)mem, (LEN));                         \
            else                                                             \
                memcpy((void *)mem, s, (LEN));                               \
    } while (0)

static void copy_run(struct cursor *c, uintptr_t mem, ptrdiff_t stride,
                     size_t len, size_t n)
{
    unsigned char *s = c->stream;
    bool pack = c->pack;
    switch (len) {
    case 1: COPY_RUN(1); break;
    case 2: COPY_RUN(2); break;
    case 4: COPY_RUN(4); break;
    case 8: COPY_RUN(8); break;
    case 16: COPY_RUN(16); break;
    default: COPY_RUN(len); break;
    }
    c->stream = s;
    c->left -= n * len;
}

/* Part of one block: `n` bytes starting `from` bytes into it. */
static void copy_part(struct cursor *c, uintptr_t block, size_t from, size_t n)
{
    uintptr_t mem = block + from;
    if (c->pack)
        memcpy(c->stream, (const void *)mem, n);
    else
        memcpy((void *)mem, c->stream, n);
    c->stream += n;
    c->left -= n;
    c->skip = 0;
}

static void walk_list(const struct dt_list *l, uintptr_t origin, struct cursor *c);

/* Repetitions [r, op->reps) of a leaf. Whole blocks go through copy_run;
 * a block cut by the start or the end of the range goes through copy_part. */
static void walk_leaf(const struct dt_op *op, size_t r, uintptr_t origin,
                      struct cursor *c)
{
    uintptr_t at = offset_by(origin, op->disp) + (uintptr_t)r * (uintptr_t)op->stride;
    while (r < op->reps && c->left > 0) {
        if (c->skip == 0 && c->left >= op->len) {
            size_t n = c->left / op->len;
            if (n > op->reps - r)
                n = op->reps - r;
            copy_run(c, at, op->stride, op->len, n);
            r += n;
            at += (uintptr_t)n * (uintptr_t)op->stride;
            continue;
        }
        size_t n = op->len - c->skip;
        copy_part(c, at, c->skip, n < c->left ? n : c->left);
        r++;
        at += (uintptr_t)op->stride;
    }
}

/* One whole pass over a list, the common case inside loops: no skipping,
 * no cut blocks, so none of walk_list's bookkeeping per element. */
static void copy_list(const struct dt_list *l, uintptr_t origin, struct cursor *c)
{
    for (size_t i = 0; i < l->n; i++) {
        const struct dt_op *op = &l->ops[i];
        uintptr_t at = offset_by(origin, op->disp);
        if (!op->body) {
            copy_run(c, at, op->stride, op->len, op->reps);
            continue;
        }
        for (size_t r = 0; r < op->reps; r++, at += (uintptr_t)op->stride)
            copy_list(op->body, at, c);
    }
}

static void walk_op(const struct dt_op *op, uintptr_t origin, struct cursor *c)
{
    size_t unit = dti_op_unit(op);
    size_t r = c->skip / unit;
    c->skip -= r * unit;
    if (!op->body) {
        walk_leaf(op, r, origin, c);
        return;
    }
    uintptr_t at = offset_by(origin, op->disp) + (uintptr_t)r * (uintptr_t)op->stride;
    for (; r < op->reps && c->left > 0; r++, at += (uintptr_t)op->stride) {
        if (c->skip == 0 && c->left >= unit)
            copy_list(op->body, at, c);
        else
            walk_list(op->body, at, c);
    }
}

/* The op holding stream byte `skip` of the list: the last op starting at
 * or before it (ops of size 0 do not exist, so starts increase). */
static size_t find_op(const struct dt_list *l, size_t skip)
{
    size_t lo = 0, hi = l->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo + 1) / 2;
        if (l->ops[mid].before <= skip)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

static void walk_list(const struct dt_list *l, uintptr_t origin, struct cursor *c)
{
    size_t i = c->skip ? find_op(l, c->skip) : 0;
    c->skip -= l->ops[i].before;
    for (; i < l->n && c->left > 0; i++)
        walk_op(&l->ops[i], origin, c);
}

/* Moves stream bytes [offset, offset + len) of `count` instances of t. */
static int walk(const struct dt_type *t, size_t count, uintptr_t buf,
                unsigned char *stream, size_t offset, size_t len, bool pack)
{
    size_t total;
    int rc = dt_packed_size(t, count, &total);
    if (rc != DT_OK)
        return rc;
    if (!t->flat)
        return DT_ERR_NOT_COMMITTED;
    if (offset > total || len > total - offset)
        return DT_ERR_ARG;
    if (len == 0)
        return DT_OK;
    /* The instances are one more repetition level, folded into the type's
     * single op when they continue it (a contiguous type becomes a single
     * block of count * size bytes). */
    struct dt_op top;
    const struct dt_list *l = t->flat;
    if (l->n != 1 || !dti_fold(&l->ops[0], count, dti_extent(t), &top))
        top = (struct dt_op){ .stride = dti_extent(t), .reps = count, .body = l };
    struct cursor c = { .stream = stream, .skip = offset, .left = len, .pack = pack };
    walk_op(&top, buf, &c);
    return DT_OK;
}

int dt_packed_size(const struct dt_type *t, size_t count, size_t *bytes)
{
    if (!t || !bytes || __builtin_mul_overflow(count, t->b.size, bytes))
        return DT_ERR_ARG;
    return DT_OK;
}

int dt_pack(const struct dt_type *t, size_t count, const void *inbuf,
            void *out, size_t out_size)
{
    size_t total;
    int rc = dt_packed_size(t, count, &total);
    if (rc != DT_OK)
        return rc;
    if (out_size < total)
        return DT_ERR_TRUNCATE;
    return walk(t, count, (uintptr_t)inbuf, out, 0, total, true);
}

int dt_unpack(const void *in, size_t in_size, const struct dt_type *t,
              size_t count, void *outbuf)
{
    size_t total;
    int rc = dt_packed_size(t, count, &total);
    if (rc != DT_OK)
        return rc;
    if (in_size < total)
        return DT_ERR_TRUNCATE;
    return walk(t, count, (uintptr_t)outbuf, (unsigned char *)in, 0, total, false);
}

int dt_pack_range(const struct dt_type *t, size_t count, const void *inbuf,
                  size_t offset, size_t len, void *out)
{
    return walk(t, count, (uintptr_t)inbuf, out, offset, len, true);
}

int dt_unpack_range(const void *in, size_t offset, size_t len,
                    const struct dt_type *t, size_t count, void *outbuf)
{
    return walk(t, count, (uintptr_t)outbuf, (unsigned char *)in, offset, len, false);
}
