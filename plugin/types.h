/*
 * types.h — what an MPI_Datatype of the app stands for in the plugin: a
 * datatype-engine object (datatype.h). Predefined handles (MPI_INT, …, the
 * addresses the app's mpi.h produced) map to the engine's basic types;
 * derived types are mk_type objects the plugin created.
 */
#ifndef MPICKPT_PLUGIN_TYPES_H
#define MPICKPT_PLUGIN_TYPES_H

#include <mpi.h>
#include <stdint.h>

#include "plugin/basic_kind.h"

struct dt_type;

struct mk_type {
    uint32_t magic;
    struct dt_type *dt;        /* one reference held */
    char name[MPI_MAX_OBJECT_NAME];
    void *attributes;          /* plugin/attributes: cached attribute values */
};

#define MK_TYPE_MAGIC 0x4d4b5459u /* "MKTY" */

/* The engine type of an app handle; NULL for MPI_DATATYPE_NULL or a handle
 * that is no datatype. No reference is taken. */
struct dt_type *type_get(MPI_Datatype handle);
/* The mk_type of a derived handle, NULL for predefined or invalid ones. */
struct mk_type *type_derived(MPI_Datatype handle);
/* A new app handle for engine type `dt` (takes over the reference), or
 * MPI_DATATYPE_NULL when memory is short. */
MPI_Datatype type_wrap(struct dt_type *dt);
/* The predefined handle of a basic kind (e.g. for MPI_Type_get_contents),
 * and the name of a predefined handle (NULL if not predefined). */
MPI_Datatype type_predefined_handle(enum basic_kind kind);
const char *type_predefined_name(MPI_Datatype handle);

#endif
