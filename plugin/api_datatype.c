/*
 * api_datatype.c — MPI's datatype calls in the compute process: the
 * constructors, commit and free, size/extent queries, envelope and
 * contents, names, MPI_Type_match_size, and the MPI-1 names Open MPI's
 * library still exports (MPI_Type_hvector, _hindexed, _struct, _extent,
 * _lb, _ub).
 *
 * Everything here is local: the datatype engine (datatype.h) builds and
 * describes the types, types.h turns app handles into engine objects and
 * back. The keeper never hears of a datatype; messages carry packed bytes.
 *
 * Invariants: a constructor stores a new handle only on success; every
 * handle it stores owns one engine reference, which MPI_Type_free drops
 * (inner types stay alive in the engine for as long as an outer type
 * uses them). Predefined handles are never freed (MPI_ERR_TYPE). Errors
 * go to MPI_COMM_WORLD's error handler, as MPI-3.1 §8.3 says for calls
 * without a communicator. Argument checks mirror Open MPI's error classes:
 * a bad count is MPI_ERR_COUNT, a bad datatype MPI_ERR_TYPE, anything
 * else the engine rejects MPI_ERR_ARG.
 *
 * Type attributes are copied by MPI_Type_dup and deleted by MPI_Type_free
 * through plugin/attributes, with their keyvals' callbacks.
 */

/* Declare the MPI-1 functions removed from mpi.h in MPI-3 mode: Open MPI's
 * library still exports them, so old binaries may call them. */
#define OMPI_OMIT_MPI1_COMPAT_DECLS 0

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/attributes.h"
#include "plugin/datatype.h"
#include "plugin/errors.h"
#include "plugin/types.h"

/* The engine takes these constants unchanged (datatype.h). */
_Static_assert(MPI_ORDER_C == DT_ORDER_C && MPI_ORDER_FORTRAN == DT_ORDER_FORTRAN,
               "MPI_ORDER_* differ from the engine's");
_Static_assert(MPI_DISTRIBUTE_BLOCK == DT_DISTRIBUTE_BLOCK &&
                   MPI_DISTRIBUTE_CYCLIC == DT_DISTRIBUTE_CYCLIC &&
                   MPI_DISTRIBUTE_NONE == DT_DISTRIBUTE_NONE &&
                   MPI_DISTRIBUTE_DFLT_DARG == DT_DISTRIBUTE_DFLT_DARG,
               "MPI_DISTRIBUTE_* differ from the engine's");
_Static_assert(sizeof(MPI_Aint) == sizeof(ptrdiff_t), "MPI_Aint is not ptrdiff_t");

/* --- helpers -------------------------------------------------------------- */

static int fail(int code, const char *fn)
{
    return mk_error(NULL, code, fn);
}

/* Common checks of a constructor: a live old type, a count >= 0, an output
 * handle. Returns MPI_SUCCESS and the engine type in *old. */
static int check_ctor(int count, MPI_Datatype oldtype, const MPI_Datatype *newtype,
                      struct dt_type **old)
{
    if (count < 0)
        return MPI_ERR_COUNT;
    if (!newtype)
        return MPI_ERR_ARG;
    *old = type_get(oldtype);
    return *old ? MPI_SUCCESS : MPI_ERR_TYPE;
}

/* Turns an engine result into an app handle in *newtype. The type comes by
 * address because callers pass the constructor call itself as `status`,
 * and C leaves the order of argument evaluation open. */
static int finish(int status, struct dt_type *const *dt, MPI_Datatype *newtype, const char *fn)
{
    if (status != DT_OK)
        return fail(type_mpi_error(status), fn);
    MPI_Datatype h = type_wrap(*dt);
    if (h == MPI_DATATYPE_NULL)
        return fail(MPI_ERR_NO_MEM, fn);
    *newtype = h;
    return MPI_SUCCESS;
}

/* The committed-or-not engine type behind a handle for a query. */
static struct dt_type *query_type(MPI_Datatype type, const char *fn)
{
    mk_require_init(fn);
    return type_get(type);
}

/* --- constructors --------------------------------------------------------- */

int MPI_Type_contiguous(int count, MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    mk_require_init("MPI_Type_contiguous");
    struct dt_type *old, *dt = NULL;
    int rc = check_ctor(count, oldtype, newtype, &old);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Type_contiguous");
    return finish(dt_contiguous(count, old, &dt), &dt, newtype, "MPI_Type_contiguous");
}

int MPI_Type_vector(int count, int blocklength, int stride, MPI_Datatype oldtype,
                    MPI_Datatype *newtype)
{
    mk_require_init("MPI_Type_vector");
    struct dt_type *old, *dt = NULL;
    int rc = check_ctor(count, oldtype, newtype, &old);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Type_vector");
    return finish(dt_vector(count, blocklength, stride, old, &dt), &dt, newtype,
                  "MPI_Type_vector");
}

static int hvector(int count, int blocklength, MPI_Aint stride, MPI_Datatype oldtype,
                   MPI_Datatype *newtype, const char *fn)
{
    mk_require_init(fn);
    struct dt_type *old, *dt = NULL;
    int rc = check_ctor(count, oldtype, newtype, &old);
    if (rc != MPI_SUCCESS)
        return fail(rc, fn);
    return finish(dt_hvector(count, blocklength, stride, old, &dt), &dt, newtype, fn);
}

int MPI_Type_create_hvector(int count, int blocklength, MPI_Aint stride,
                            MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    return hvector(count, blocklength, stride, oldtype, newtype, "MPI_Type_create_hvector");
}

int MPI_Type_hvector(int count, int blocklength, MPI_Aint stride, MPI_Datatype oldtype,
                     MPI_Datatype *newtype)
{
    return hvector(count, blocklength, stride, oldtype, newtype, "MPI_Type_hvector");
}

int MPI_Type_indexed(int count, const int array_of_blocklengths[],
                     const int array_of_displacements[], MPI_Datatype oldtype,
                     MPI_Datatype *newtype)
{
    mk_require_init("MPI_Type_indexed");
    struct dt_type *old, *dt = NULL;
    int rc = check_ctor(count, oldtype, newtype, &old);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Type_indexed");
    return finish(dt_indexed(count, array_of_blocklengths, array_of_displacements, old, &dt),
                  &dt, newtype, "MPI_Type_indexed");
}

static int hindexed(int count, const int blocklengths[], const MPI_Aint displacements[],
                    MPI_Datatype oldtype, MPI_Datatype *newtype, const char *fn)
{
    mk_require_init(fn);
    struct dt_type *old, *dt = NULL;
    int rc = check_ctor(count, oldtype, newtype, &old);
    if (rc != MPI_SUCCESS)
        return fail(rc, fn);
    return finish(dt_hindexed(count, blocklengths, displacements, old, &dt), &dt, newtype, fn);
}

int MPI_Type_create_hindexed(int count, const int array_of_blocklengths[],
                             const MPI_Aint array_of_displacements[], MPI_Datatype oldtype,
                             MPI_Datatype *newtype)
{
    return hindexed(count, array_of_blocklengths, array_of_displacements, oldtype, newtype,
                    "MPI_Type_create_hindexed");
}

int MPI_Type_hindexed(int count, int array_of_blocklengths[], MPI_Aint array_of_displacements[],
                      MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    return hindexed(count, array_of_blocklengths, array_of_displacements, oldtype, newtype,
                    "MPI_Type_hindexed");
}

int MPI_Type_create_indexed_block(int count, int blocklength,
                                  const int array_of_displacements[], MPI_Datatype oldtype,
                                  MPI_Datatype *newtype)
{
    mk_require_init("MPI_Type_create_indexed_block");
    struct dt_type *old, *dt = NULL;
    int rc = check_ctor(count, oldtype, newtype, &old);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Type_create_indexed_block");
    return finish(dt_indexed_block(count, blocklength, array_of_displacements, old, &dt), &dt,
                  newtype, "MPI_Type_create_indexed_block");
}

int MPI_Type_create_hindexed_block(int count, int blocklength,
                                   const MPI_Aint array_of_displacements[],
                                   MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    mk_require_init("MPI_Type_create_hindexed_block");
    struct dt_type *old, *dt = NULL;
    int rc = check_ctor(count, oldtype, newtype, &old);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Type_create_hindexed_block");
    return finish(dt_hindexed_block(count, blocklength, array_of_displacements, old, &dt), &dt,
                  newtype, "MPI_Type_create_hindexed_block");
}

static int create_struct(int count, const int blocklengths[], const MPI_Aint displacements[],
                         const MPI_Datatype types[], MPI_Datatype *newtype, const char *fn)
{
    mk_require_init(fn);
    if (count < 0)
        return fail(MPI_ERR_COUNT, fn);
    if (!newtype || (count > 0 && !types))
        return fail(MPI_ERR_ARG, fn);
    struct dt_type **inner = malloc(sizeof *inner * (size_t)(count ? count : 1));
    if (!inner)
        return fail(MPI_ERR_NO_MEM, fn);
    for (int i = 0; i < count; i++)
        if (!(inner[i] = type_get(types[i]))) {
            free(inner);
            return fail(MPI_ERR_TYPE, fn);
        }
    struct dt_type *dt = NULL;
    int status = dt_create_struct(count, blocklengths, displacements, inner, &dt);
    free(inner);
    return finish(status, &dt, newtype, fn);
}

int MPI_Type_create_struct(int count, const int array_of_block_lengths[],
                           const MPI_Aint array_of_displacements[],
                           const MPI_Datatype array_of_types[], MPI_Datatype *newtype)
{
    return create_struct(count, array_of_block_lengths, array_of_displacements,
                         array_of_types, newtype, "MPI_Type_create_struct");
}

int MPI_Type_struct(int count, int array_of_blocklengths[], MPI_Aint array_of_displacements[],
                    MPI_Datatype array_of_types[], MPI_Datatype *newtype)
{
    return create_struct(count, array_of_blocklengths, array_of_displacements, array_of_types,
                         newtype, "MPI_Type_struct");
}

int MPI_Type_create_subarray(int ndims, const int size_array[], const int subsize_array[],
                             const int start_array[], int order, MPI_Datatype oldtype,
                             MPI_Datatype *newtype)
{
    mk_require_init("MPI_Type_create_subarray");
    struct dt_type *old, *dt = NULL;
    int rc = check_ctor(ndims, oldtype, newtype, &old);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Type_create_subarray");
    return finish(dt_subarray(ndims, size_array, subsize_array, start_array, order, old, &dt),
                  &dt, newtype, "MPI_Type_create_subarray");
}

int MPI_Type_create_darray(int size, int rank, int ndims, const int gsize_array[],
                           const int distrib_array[], const int darg_array[],
                           const int psize_array[], int order, MPI_Datatype oldtype,
                           MPI_Datatype *newtype)
{
    mk_require_init("MPI_Type_create_darray");
    struct dt_type *old, *dt = NULL;
    int rc = check_ctor(ndims, oldtype, newtype, &old);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Type_create_darray");
    return finish(dt_darray(size, rank, ndims, gsize_array, distrib_array, darg_array,
                            psize_array, order, old, &dt),
                  &dt, newtype, "MPI_Type_create_darray");
}

int MPI_Type_create_resized(MPI_Datatype oldtype, MPI_Aint lb, MPI_Aint extent,
                            MPI_Datatype *newtype)
{
    mk_require_init("MPI_Type_create_resized");
    struct dt_type *old, *dt = NULL;
    int rc = check_ctor(0, oldtype, newtype, &old);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Type_create_resized");
    return finish(dt_resized(old, lb, extent, &dt), &dt, newtype, "MPI_Type_create_resized");
}

/* The name of any handle: "" for an unnamed derived type. */
static const char *name_of(MPI_Datatype type)
{
    struct mk_type *t = type_derived(type);
    return t ? t->name : type_predefined_name(type);
}

/* Open MPI names a duplicate "Dup <name>"; so do we, for identical output. */
int MPI_Type_dup(MPI_Datatype oldtype, MPI_Datatype *newtype)
{
    mk_require_init("MPI_Type_dup");
    struct dt_type *old, *dt = NULL;
    int rc = check_ctor(0, oldtype, newtype, &old);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Type_dup");
    /* A duplicate is committed when its original is (MPI-3.1 §4.1.10). */
    int status = dt_dup(old, &dt);
    if (status == DT_OK && dt_is_committed(old) && (status = dt_commit(dt)) != DT_OK)
        dt_release(dt);
    rc = finish(status, &dt, newtype, "MPI_Type_dup");
    if (rc != MPI_SUCCESS)
        return rc;
    struct mk_type *t = type_derived(*newtype);
    /* Cut the original name, as Open MPI does, so the prefix fits. */
    snprintf(t->name, sizeof t->name, "Dup %.*s", (int)sizeof t->name - 5, name_of(oldtype));
    /* Attributes follow their keyvals' copy callbacks (MPI-3.1 §6.7.2). */
    rc = attributes_copy_type(oldtype, *newtype);
    if (rc != MPI_SUCCESS) {
        attributes_delete_type(*newtype);
        type_destroy(t);
        *newtype = MPI_DATATYPE_NULL;
        return fail(rc, "MPI_Type_dup");
    }
    return MPI_SUCCESS;
}

/* --- commit and free ------------------------------------------------------ */

int MPI_Type_commit(MPI_Datatype *type)
{
    mk_require_init("MPI_Type_commit");
    struct dt_type *t = type ? type_get(*type) : NULL;
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_commit");
    int status = dt_commit(t);
    return status == DT_OK ? MPI_SUCCESS : fail(type_mpi_error(status), "MPI_Type_commit");
}

int MPI_Type_free(MPI_Datatype *type)
{
    mk_require_init("MPI_Type_free");
    struct mk_type *t = type ? type_derived(*type) : NULL;
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_free");
    /* The delete callbacks run first, while the handle is still valid. */
    int rc = attributes_delete_type(*type);
    if (rc != MPI_SUCCESS)
        return fail(rc, "MPI_Type_free");
    type_destroy(t);
    *type = MPI_DATATYPE_NULL;
    return MPI_SUCCESS;
}

/* --- size and extent ------------------------------------------------------ */

int MPI_Type_size(MPI_Datatype type, int *size)
{
    struct dt_type *t = query_type(type, "MPI_Type_size");
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_size");
    size_t s = dt_size(t);
    *size = s > INT_MAX ? MPI_UNDEFINED : (int)s;
    return MPI_SUCCESS;
}

int MPI_Type_size_x(MPI_Datatype type, MPI_Count *size)
{
    struct dt_type *t = query_type(type, "MPI_Type_size_x");
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_size_x");
    *size = (MPI_Count)dt_size(t);
    return MPI_SUCCESS;
}

int MPI_Type_get_extent(MPI_Datatype type, MPI_Aint *lb, MPI_Aint *extent)
{
    struct dt_type *t = query_type(type, "MPI_Type_get_extent");
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_get_extent");
    *lb = dt_lb(t);
    *extent = dt_extent(t);
    return MPI_SUCCESS;
}

int MPI_Type_get_extent_x(MPI_Datatype type, MPI_Count *lb, MPI_Count *extent)
{
    struct dt_type *t = query_type(type, "MPI_Type_get_extent_x");
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_get_extent_x");
    *lb = dt_lb(t);
    *extent = dt_extent(t);
    return MPI_SUCCESS;
}

int MPI_Type_get_true_extent(MPI_Datatype type, MPI_Aint *true_lb, MPI_Aint *true_extent)
{
    struct dt_type *t = query_type(type, "MPI_Type_get_true_extent");
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_get_true_extent");
    *true_lb = dt_true_lb(t);
    *true_extent = dt_true_extent(t);
    return MPI_SUCCESS;
}

int MPI_Type_get_true_extent_x(MPI_Datatype type, MPI_Count *true_lb, MPI_Count *true_extent)
{
    struct dt_type *t = query_type(type, "MPI_Type_get_true_extent_x");
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_get_true_extent_x");
    *true_lb = dt_true_lb(t);
    *true_extent = dt_true_extent(t);
    return MPI_SUCCESS;
}

int MPI_Type_extent(MPI_Datatype type, MPI_Aint *extent)
{
    struct dt_type *t = query_type(type, "MPI_Type_extent");
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_extent");
    *extent = dt_extent(t);
    return MPI_SUCCESS;
}

int MPI_Type_lb(MPI_Datatype type, MPI_Aint *lb)
{
    struct dt_type *t = query_type(type, "MPI_Type_lb");
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_lb");
    *lb = dt_lb(t);
    return MPI_SUCCESS;
}

int MPI_Type_ub(MPI_Datatype mtype, MPI_Aint *ub)
{
    struct dt_type *t = query_type(mtype, "MPI_Type_ub");
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_ub");
    *ub = dt_lb(t) + dt_extent(t);
    return MPI_SUCCESS;
}

/* --- envelope and contents ------------------------------------------------ */

static int mpi_combiner(enum dt_combiner c)
{
    static const int combiners[] = {
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
    return combiners[c];
}

int MPI_Type_get_envelope(MPI_Datatype type, int *num_integers, int *num_addresses,
                          int *num_datatypes, int *combiner)
{
    struct dt_type *t = query_type(type, "MPI_Type_get_envelope");
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_get_envelope");
    enum dt_combiner c;
    dt_get_envelope(t, num_integers, num_addresses, num_datatypes, &c);
    *combiner = mpi_combiner(c);
    return MPI_SUCCESS;
}

/* The app handle for an engine type get_contents returned (its reference
 * passes to the handle): the predefined handle of a basic type, else a new
 * derived handle the app must free, as MPI says. */
static MPI_Datatype contents_handle(struct dt_type *dt)
{
    enum basic_kind kind;
    if (dt_named_kind(dt, &kind))
        return type_predefined_handle(kind);
    return type_wrap(dt);
}

int MPI_Type_get_contents(MPI_Datatype mtype, int max_integers, int max_addresses,
                          int max_datatypes, int array_of_integers[],
                          MPI_Aint array_of_addresses[], MPI_Datatype array_of_datatypes[])
{
    struct dt_type *t = query_type(mtype, "MPI_Type_get_contents");
    if (!t)
        return fail(MPI_ERR_TYPE, "MPI_Type_get_contents");
    if (max_integers < 0 || max_addresses < 0 || max_datatypes < 0)
        return fail(MPI_ERR_ARG, "MPI_Type_get_contents");
    struct dt_type **inner = malloc(sizeof *inner * (size_t)(max_datatypes ? max_datatypes : 1));
    if (!inner)
        return fail(MPI_ERR_NO_MEM, "MPI_Type_get_contents");
    int status = dt_get_contents(t, max_integers, max_addresses, max_datatypes,
                                 array_of_integers, array_of_addresses, inner);
    if (status == DT_OK) {
        int ni, na, nd;
        enum dt_combiner c;
        dt_get_envelope(t, &ni, &na, &nd, &c);
        for (int i = 0; i < nd; i++)
            array_of_datatypes[i] = contents_handle(inner[i]);
    }
    free(inner);
    return status == DT_OK ? MPI_SUCCESS
                           : fail(type_mpi_error(status), "MPI_Type_get_contents");
}

/* --- names ---------------------------------------------------------------- */

int MPI_Type_set_name(MPI_Datatype type, const char *type_name)
{
    mk_require_init("MPI_Type_set_name");
    if (!type_name)
        return fail(MPI_ERR_ARG, "MPI_Type_set_name");
    struct mk_type *t = type_derived(type);
    if (t) {
        snprintf(t->name, sizeof t->name, "%s", type_name);
        return MPI_SUCCESS;
    }
    int rc = type_set_predefined_name(type, type_name);
    return rc == MPI_SUCCESS ? rc : fail(rc, "MPI_Type_set_name");
}

int MPI_Type_get_name(MPI_Datatype type, char *type_name, int *resultlen)
{
    mk_require_init("MPI_Type_get_name");
    const char *name = name_of(type);
    if (!name)
        return fail(MPI_ERR_TYPE, "MPI_Type_get_name");
    if (!type_name || !resultlen)
        return fail(MPI_ERR_ARG, "MPI_Type_get_name");
    snprintf(type_name, MPI_MAX_OBJECT_NAME, "%s", name);
    *resultlen = (int)strlen(type_name);
    return MPI_SUCCESS;
}

/* --- MPI_Type_match_size -------------------------------------------------- */

/* Open MPI answers with the Fortran types of each size (all of them have a
 * basic kind here); for 16-byte reals and 32-byte complexes, which Open
 * MPI gives as Fortran REAL16/COMPLEX32, the C long double types stand in:
 * a C program asking for them means long double. */
static MPI_Datatype match_size(int typeclass, int size)
{
    switch (typeclass) {
    case MPI_TYPECLASS_INTEGER:
        return size == 1 ? MPI_INTEGER1 : size == 2 ? MPI_INTEGER2 : size == 4 ? MPI_INTEGER
             : size == 8 ? MPI_INTEGER8 : MPI_DATATYPE_NULL;
    case MPI_TYPECLASS_REAL:
        return size == 4 ? MPI_REAL : size == 8 ? MPI_REAL8
             : size == 16 ? MPI_LONG_DOUBLE : MPI_DATATYPE_NULL;
    case MPI_TYPECLASS_COMPLEX:
        return size == 8 ? MPI_COMPLEX : size == 16 ? MPI_COMPLEX16
             : size == 32 ? MPI_C_LONG_DOUBLE_COMPLEX : MPI_DATATYPE_NULL;
    default:
        return MPI_DATATYPE_NULL;
    }
}

int MPI_Type_match_size(int typeclass, int size, MPI_Datatype *type)
{
    mk_require_init("MPI_Type_match_size");
    MPI_Datatype t = match_size(typeclass, size);
    if (t == MPI_DATATYPE_NULL || !type)
        return fail(MPI_ERR_ARG, "MPI_Type_match_size");
    *type = t;
    return MPI_SUCCESS;
}
