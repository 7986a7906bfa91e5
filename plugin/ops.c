/*
 * ops.c — MPI_Op handles and the element view of reductions (see ops.h).
 */
#include "plugin/ops.h"

#include <stdlib.h>

#include "plugin/datatype.h"

static const MPI_Op predefined_handles[REDUCE_OP_COUNT] = {
    [ROP_MAX] = MPI_MAX,       [ROP_MIN] = MPI_MIN,       [ROP_SUM] = MPI_SUM,
    [ROP_PROD] = MPI_PROD,     [ROP_LAND] = MPI_LAND,     [ROP_BAND] = MPI_BAND,
    [ROP_LOR] = MPI_LOR,       [ROP_BOR] = MPI_BOR,       [ROP_LXOR] = MPI_LXOR,
    [ROP_BXOR] = MPI_BXOR,     [ROP_MAXLOC] = MPI_MAXLOC, [ROP_MINLOC] = MPI_MINLOC,
    [ROP_REPLACE] = MPI_REPLACE, [ROP_NO_OP] = MPI_NO_OP,
};

#define PREDEFINED(op) { MK_OP_MAGIC, NULL, op, 1, 1 }
static struct mk_op predefined_ops[REDUCE_OP_COUNT] = {
    PREDEFINED(ROP_MAX),    PREDEFINED(ROP_MIN),    PREDEFINED(ROP_SUM),
    PREDEFINED(ROP_PROD),   PREDEFINED(ROP_LAND),   PREDEFINED(ROP_BAND),
    PREDEFINED(ROP_LOR),    PREDEFINED(ROP_BOR),    PREDEFINED(ROP_LXOR),
    PREDEFINED(ROP_BXOR),   PREDEFINED(ROP_MAXLOC), PREDEFINED(ROP_MINLOC),
    PREDEFINED(ROP_REPLACE), PREDEFINED(ROP_NO_OP),
};
#undef PREDEFINED

struct mk_op *op_get(MPI_Op handle)
{
    if (handle == MPI_OP_NULL || handle == NULL)
        return NULL;
    for (int i = 0; i < REDUCE_OP_COUNT; i++)
        if (predefined_handles[i] == handle)
            return &predefined_ops[i];
    struct mk_op *op = (struct mk_op *)(void *)handle;
    return op->magic == MK_OP_MAGIC && op->fn ? op : NULL;
}

MPI_Op op_handle(struct mk_op *op)
{
    if (op_is_predefined(op))
        return predefined_handles[op->predefined];
    return (MPI_Op)(void *)op;
}

struct mk_op *op_create(MPI_User_function *fn, int commute)
{
    struct mk_op *op = calloc(1, sizeof *op);
    if (!op)
        return NULL;
    *op = (struct mk_op){ MK_OP_MAGIC, fn, ROP_NO_OP, commute != 0, 1 };
    return op;
}

int op_is_predefined(const struct mk_op *op)
{
    return op->fn == NULL;
}

struct mk_op *op_retain(struct mk_op *op)
{
    if (!op_is_predefined(op))
        op->refs++;
    return op;
}

void op_release(struct mk_op *op)
{
    if (op && !op_is_predefined(op) && --op->refs == 0) {
        op->magic = 0;
        free(op);
    }
}

int op_elements(const struct mk_op *op, const struct dt_type *t, size_t count,
                enum basic_kind *kind, size_t *nelems)
{
    size_t per_instance;
    /* MPI_REPLACE and MPI_NO_OP belong to RMA; collectives reject them as
     * Open MPI does. */
    if (!op_is_predefined(op) || op->predefined == ROP_REPLACE || op->predefined == ROP_NO_OP ||
        count == 0 || !dt_signature(t, kind, &per_instance) ||
        !reduce_op_valid(op->predefined, *kind))
        return MPI_ERR_OP;
    *nelems = per_instance * count;
    return MPI_SUCCESS;
}

/* Whether the packed stream of `kind` elements is their C array already. */
static int packs_as_array(enum basic_kind kind)
{
    return dt_size(dt_basic(kind)) == basic_kind_size(kind);
}

static int dt_class(int status)
{
    return status == DT_OK ? MPI_SUCCESS : status == DT_ERR_NOMEM ? MPI_ERR_NO_MEM
         : status == DT_ERR_TRUNCATE ? MPI_ERR_TRUNCATE : MPI_ERR_TYPE;
}

int op_to_elements(const struct dt_type *t, size_t count, const void *buf,
                   enum basic_kind kind, size_t nelems, void *elements)
{
    size_t bytes = dt_size(t) * count;
    if (packs_as_array(kind))
        return dt_class(dt_pack(t, count, buf, elements, bytes));
    void *packed = malloc(bytes);
    if (!packed)
        return MPI_ERR_NO_MEM;
    int status = dt_pack(t, count, buf, packed, bytes);
    if (status == DT_OK)
        status = dt_unpack(packed, bytes, dt_basic(kind), nelems, elements);
    free(packed);
    return dt_class(status);
}

int op_from_elements(const void *elements, enum basic_kind kind, size_t nelems,
                     const struct dt_type *t, size_t count, void *buf)
{
    size_t bytes = dt_size(t) * count;
    if (packs_as_array(kind))
        return dt_class(dt_unpack(elements, bytes, t, count, buf));
    void *packed = malloc(bytes);
    if (!packed)
        return MPI_ERR_NO_MEM;
    int status = dt_pack(dt_basic(kind), nelems, elements, packed, bytes);
    if (status == DT_OK)
        status = dt_unpack(packed, bytes, t, count, buf);
    free(packed);
    return dt_class(status);
}
