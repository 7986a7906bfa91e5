/*
 * api_op.c — MPI's reduction-operation entries in the compute process:
 * MPI_Op_create, MPI_Op_free, MPI_Op_commutative, MPI_Reduce_local.
 *
 * Everything here is local: a user op is a function of the app, so it runs
 * in the compute process; predefined ops on local data use the plugin's
 * kernels (reduce_ops.h), which compute what Open MPI would.
 */
#include <stdlib.h>

#include "plugin/datatype.h"
#include "plugin/errors.h"
#include "plugin/ops.h"
#include "plugin/reduce_ops.h"
#include "plugin/types.h"

int MPI_Op_create(MPI_User_function *user_fn, int commute, MPI_Op *op)
{
    mk_require_init("MPI_Op_create");
    if (!user_fn)
        return mk_error(NULL, MPI_ERR_ARG, "MPI_Op_create");
    struct mk_op *o = op_create(user_fn, commute);
    if (!o)
        return mk_error(NULL, MPI_ERR_NO_MEM, "MPI_Op_create");
    *op = op_handle(o);
    return MPI_SUCCESS;
}

int MPI_Op_free(MPI_Op *op)
{
    mk_require_init("MPI_Op_free");
    struct mk_op *o = op_get(*op);
    if (!o || op_is_predefined(o))
        return mk_error(NULL, MPI_ERR_OP, "MPI_Op_free");
    /* Pending collectives hold their own references. */
    op_release(o);
    *op = MPI_OP_NULL;
    return MPI_SUCCESS;
}

int MPI_Op_commutative(MPI_Op op, int *commute)
{
    mk_require_init("MPI_Op_commutative");
    struct mk_op *o = op_get(op);
    if (!o)
        return mk_error(NULL, MPI_ERR_OP, "MPI_Op_commutative");
    *commute = o->commute;
    return MPI_SUCCESS;
}

/* inout = in op inout for a predefined op: both operands as element arrays,
 * one kernel call, the result back into the app's layout. */
static int reduce_local_predefined(const void *in, void *inout, int count,
                                   const struct dt_type *t, const struct mk_op *o)
{
    if (dt_size(t) * (size_t)count == 0)
        return MPI_SUCCESS;
    enum basic_kind kind;
    size_t n;
    int rc = op_elements(o, t, (size_t)count, &kind, &n);
    if (rc != MPI_SUCCESS)
        return rc;
    unsigned char *a = malloc(2 * n * basic_kind_size(kind));
    if (!a)
        return MPI_ERR_NO_MEM;
    unsigned char *b = a + n * basic_kind_size(kind);
    rc = op_to_elements(t, (size_t)count, in, kind, n, a);
    if (rc == MPI_SUCCESS)
        rc = op_to_elements(t, (size_t)count, inout, kind, n, b);
    if (rc == MPI_SUCCESS)
        rc = reduce_apply(o->predefined, kind, a, b, n) == 0 ? MPI_SUCCESS : MPI_ERR_OP;
    if (rc == MPI_SUCCESS)
        rc = op_from_elements(b, kind, n, t, (size_t)count, inout);
    free(a);
    return rc;
}

int MPI_Reduce_local(const void *inbuf, void *inoutbuf, int count, MPI_Datatype datatype,
                     MPI_Op op)
{
    mk_require_init("MPI_Reduce_local");
    struct mk_op *o = op_get(op);
    struct dt_type *t = type_get(datatype);
    int rc = !o ? MPI_ERR_OP
           : !t || (type_derived(datatype) && !dt_is_committed(t)) ? MPI_ERR_TYPE
           : count < 0 ? MPI_ERR_COUNT : MPI_SUCCESS;
    if (rc == MPI_SUCCESS && op_is_predefined(o))
        rc = reduce_local_predefined(inbuf, inoutbuf, count, t, o);
    else if (rc == MPI_SUCCESS)
        o->fn((void *)inbuf, inoutbuf, &count, &datatype);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Reduce_local");
}
