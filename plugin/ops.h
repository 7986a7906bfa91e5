/*
 * ops.h — what an MPI_Op of the app stands for in the plugin.
 *
 * Predefined handles (MPI_SUM, …: the addresses the app's mpi.h produced)
 * map to static objects naming an enum reduce_op, computed by Open MPI in
 * the keeper or by plugin/reduce_ops in the compute process. Ops from
 * MPI_Op_create are heap objects holding the app's function, which only the
 * compute process can run.
 *
 * Invariants: a user op lives while the app holds its handle or a pending
 * collective uses it (reference counted, so MPI_Op_free during a
 * non-blocking collective is safe); predefined objects are never freed and
 * op_retain/op_release ignore them.
 */
#ifndef MPICKPT_PLUGIN_OPS_H
#define MPICKPT_PLUGIN_OPS_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "plugin/basic_kind.h"
#include "plugin/reduce_ops.h"

struct dt_type;

struct mk_op {
    uint32_t magic;
    MPI_User_function *fn;     /* user ops; NULL for predefined ones */
    enum reduce_op predefined; /* predefined ops only */
    int commute;
    int refs;                  /* user ops: the app's handle + pending uses */
};

#define MK_OP_MAGIC 0x4d4b4f50u /* "MKOP" */

/* The object behind an app handle; NULL for MPI_OP_NULL or garbage. */
struct mk_op *op_get(MPI_Op handle);
/* The app handle of an object. */
MPI_Op op_handle(struct mk_op *op);
/* A new user op holding one reference (the app's); NULL when memory is short. */
struct mk_op *op_create(MPI_User_function *fn, int commute);
int op_is_predefined(const struct mk_op *op);
struct mk_op *op_retain(struct mk_op *op);
void op_release(struct mk_op *op);

/* For a predefined op on `count` instances of `t`: whether the reduction
 * is one kernel on an array of basic elements. Returns MPI_SUCCESS with the
 * element kind and the number of elements, or MPI_ERR_OP when the op is not
 * defined on that kind (or is an RMA-only op), when the typemap mixes
 * kinds, or when there are no elements at all (the caller treats empty
 * reductions separately). */
int op_elements(const struct mk_op *op, const struct dt_type *t, size_t count,
                enum basic_kind *kind, size_t *nelems);

/* Conversions between `count` instances of `t` in the app's layout and the
 * array of `nelems` elements of `kind` (C layout, basic_kind_size() apart)
 * that reduction kernels and Open MPI's predefined datatypes use. For most
 * kinds that array is just the packed stream; pair kinds pack without their
 * struct padding, so they go through a temporary. Return MPI_SUCCESS or an
 * MPI error class. */
int op_to_elements(const struct dt_type *t, size_t count, const void *buf,
                   enum basic_kind kind, size_t nelems, void *elements);
int op_from_elements(const void *elements, enum basic_kind kind, size_t nelems,
                     const struct dt_type *t, size_t count, void *buf);

#endif
