/*
 * datatype_flat.c — flattening a type at commit into lists of ops (see
 * datatype.h for the representation and why it is shaped this way).
 *
 * A list is built bottom-up: the list of an inner type is replicated
 * (`count` copies, `step` bytes apart) and appended to the list being
 * built, op by op, merging each op into the previous one when they
 * continue each other. Replication of a one-op list folds into that op
 * (a block repeated becomes a run, a run continued becomes a longer run);
 * anything else becomes a loop op whose body is the inner list, shared.
 *
 * Invariants: ops stay in typemap order (merging only ever extends the
 * last op with the next one); a leaf never has stride == len with reps > 1
 * (such runs are stored as one block); lists are immutable once finished.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/datatype.h"
#include "plugin/datatype_internal.h"

/* A list of one inner type small enough to copy instead of wrapping it in a
 * loop: copying lets its blocks merge with their neighbours (a struct
 * member that is itself a small struct), while a large list stays shared. */
#define INLINE_MAX_OPS 8

/* A list under construction. */
struct builder {
    struct dt_op *ops;
    size_t n, cap;
};

/* What one flattening needs besides the builder: where lists live, and the
 * list built last, reused when consecutive blocks name the same type. */
struct flatten_ctx {
    struct dt_arena *arena;
    const struct dt_type *last_type;
    const struct dt_list *last_list;
};

static int list_of(struct flatten_ctx *ctx, const struct dt_type *t,
                   const struct dt_list **out);

/* ---- arena --------------------------------------------------------------- */

static void *arena_alloc(struct dt_arena *a, size_t bytes)
{
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 8;
        void **grown = realloc(a->blocks, cap * sizeof *grown);
        if (!grown)
            return NULL;
        a->blocks = grown;
        a->cap = cap;
    }
    void *p = malloc(bytes);
    if (p)
        a->blocks[a->n++] = p;
    return p;
}

void dti_arena_free(struct dt_arena *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->blocks[i]);
    free(a->blocks);
    memset(a, 0, sizeof *a);
}

/* ---- ops ----------------------------------------------------------------- */

size_t dti_op_unit(const struct dt_op *op)
{
    return op->body ? op->body->packed : op->len;
}

/* A run of blocks that touch each other is one block. */
static void normalize(struct dt_op *op)
{
    if (!op->body && op->reps > 1 && op->stride == (ptrdiff_t)op->len) {
        op->len *= op->reps;
        op->reps = 1;
        op->stride = 0;
    }
}

bool dti_fold(const struct dt_op *op, size_t count, ptrdiff_t step,
              struct dt_op *out)
{
    ptrdiff_t span;
    *out = *op;
    if (op->reps == 1) {
        out->reps = count;
        out->stride = step;
    } else if (mul_ok((ptrdiff_t)op->reps, op->stride, &span) && span == step &&
               !__builtin_mul_overflow(op->reps, count, &out->reps)) {
        /* the copies continue the run at its own stride */
    } else {
        return false;
    }
    normalize(out);
    return true;
}

/* Whether `next` continues `last` as more repetitions of the same unit at
 * the same stride; if so `last` absorbs it. */
static bool extend_run(struct dt_op *last, const struct dt_op *next)
{
    ptrdiff_t gap, end;
    if (last->body != next->body || (!last->body && last->len != next->len) ||
        !sub_ok(next->disp, last->disp, &gap))
        return false;
    if (last->reps == 1) {
        if (next->reps > 1 && gap != next->stride)
            return false;
        last->stride = next->reps > 1 ? next->stride : gap;
    } else if (!mul_ok((ptrdiff_t)last->reps, last->stride, &end) || end != gap ||
               (next->reps > 1 && next->stride != last->stride)) {
        return false;
    }
    last->reps += next->reps;
    return true;
}

/* Whether single block `next` starts where single block `last` ends. */
static bool extend_block(struct dt_op *last, const struct dt_op *next)
{
    if (last->body || next->body || last->reps != 1 || next->reps != 1 ||
        last->disp + (ptrdiff_t)last->len != next->disp)
        return false;
    last->len += next->len;
    return true;
}

/* Appends `op` shifted by `disp`, merged into the last op when possible. */
static int push(struct builder *b, const struct dt_op *op, ptrdiff_t disp)
{
    struct dt_op shifted = *op;
    shifted.disp += disp;
    normalize(&shifted);
    if (b->n > 0) {
        struct dt_op *last = &b->ops[b->n - 1];
        if (extend_block(last, &shifted) || extend_run(last, &shifted)) {
            normalize(last);
            return DT_OK;
        }
    }
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 8;
        struct dt_op *grown = realloc(b->ops, cap * sizeof *grown);
        if (!grown)
            return DT_ERR_NOMEM;
        b->ops = grown;
        b->cap = cap;
    }
    b->ops[b->n++] = shifted;
    return DT_OK;
}

/* Appends `count` copies of list `l`, the first at `disp`, `step` apart. */
static int push_copies(struct builder *b, const struct dt_list *l, size_t count,
                       ptrdiff_t disp, ptrdiff_t step)
{
    struct dt_op op;
    if (count == 0 || l->n == 0)
        return DT_OK;
    if (count == 1 && l->n <= INLINE_MAX_OPS) {
        for (size_t i = 0; i < l->n; i++) {
            int rc = push(b, &l->ops[i], disp);
            if (rc != DT_OK)
                return rc;
        }
        return DT_OK;
    }
    if (l->n == 1 && dti_fold(&l->ops[0], count, step, &op))
        return push(b, &op, disp);
    op = (struct dt_op){ .stride = step, .reps = count, .body = l };
    return push(b, &op, disp);
}

/* Freezes the builder into an arena list, with the prefix sizes seeking
 * needs. The builder keeps ownership of its own array. */
static int finish(struct builder *b, struct dt_arena *a, const struct dt_list **out)
{
    struct dt_list *l = arena_alloc(a, sizeof *l + b->n * sizeof *b->ops);
    if (!l)
        return DT_ERR_NOMEM;
    struct dt_op *ops = (struct dt_op *)(l + 1);
    size_t packed = 0;
    for (size_t i = 0; i < b->n; i++) {
        ops[i] = b->ops[i];
        ops[i].before = packed;
        packed += ops[i].reps * dti_op_unit(&ops[i]);
    }
    *l = (struct dt_list){ .n = b->n, .packed = packed, .ops = ops };
    *out = l;
    return DT_OK;
}

/* ---- types ----------------------------------------------------------------- */

static int push_type(struct flatten_ctx *ctx, struct builder *b,
                     const struct dt_type *t, size_t count, ptrdiff_t disp,
                     ptrdiff_t step)
{
    const struct dt_list *l;
    int rc = list_of(ctx, t, &l);
    return rc == DT_OK ? push_copies(b, l, count, disp, step) : rc;
}

/* (h)vector: blocklength copies make a block, count blocks a vector. */
static int build_vector(struct flatten_ctx *ctx, const struct dt_type *t,
                        struct builder *b)
{
    const struct dt_type *old = t->types[0];
    ptrdiff_t ext = dti_extent(old), stride = t->combiner == DT_COMBINER_VECTOR
                                                 ? t->ints[2] * ext : t->addrs[0];
    struct builder block = { 0 };
    const struct dt_list *l;
    int rc = push_type(ctx, &block, old, (size_t)t->ints[1], 0, ext);
    if (rc == DT_OK)
        rc = finish(&block, ctx->arena, &l);
    free(block.ops);
    return rc == DT_OK ? push_copies(b, l, (size_t)t->ints[0], 0, stride) : rc;
}

static int build(struct flatten_ctx *ctx, const struct dt_type *t, struct builder *b)
{
    if (t->combiner == DT_COMBINER_VECTOR || t->combiner == DT_COMBINER_HVECTOR)
        return build_vector(ctx, t, b);
    for (int i = 0; i < dti_block_count(t); i++) {
        struct dt_block blk = dti_block(t, i);
        int rc = push_type(ctx, b, blk.type, blk.count, blk.disp, blk.step);
        if (rc != DT_OK)
            return rc;
    }
    return DT_OK;
}

/* The list of one instance of t: its own when committed (predefined types
 * always are), else built into the arena being filled. */
static int list_of(struct flatten_ctx *ctx, const struct dt_type *t,
                   const struct dt_list **out)
{
    struct builder b = { 0 };
    if (t->flat) {
        *out = t->flat;
        return DT_OK;
    }
    if (t == ctx->last_type) {
        *out = ctx->last_list;
        return DT_OK;
    }
    int rc = build(ctx, t, &b);
    if (rc == DT_OK)
        rc = finish(&b, ctx->arena, out);
    free(b.ops);
    if (rc == DT_OK) {
        ctx->last_type = t;
        ctx->last_list = *out;
    }
    return rc;
}

int dti_flatten(struct dt_type *t)
{
    struct flatten_ctx ctx = { .arena = &t->arena };
    const struct dt_list *l;
    int rc = list_of(&ctx, t, &l);
    if (rc != DT_OK) {
        dti_arena_free(&t->arena);
        return rc;
    }
    t->flat = l;
    return DT_OK;
}
