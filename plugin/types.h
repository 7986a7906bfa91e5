/*
 * types.h — what an MPI_Datatype of the app stands for in the plugin: a
 * datatype-engine object (datatype.h). Predefined handles (MPI_INT, …, the
 * addresses the app's mpi.h produced) map to the engine's basic types;
 * derived types are mk_type objects the plugin created.
 *
 * Invariants: a derived handle is the address of a live mk_type whose
 * magic is MK_TYPE_MAGIC; it holds one reference on its engine type, so
 * the engine type lives at least as long as the handle (and longer while
 * other types or pending requests hold theirs). Predefined handles carry
 * Open MPI's names and Fortran indices, so MPI_Type_get_name and
 * MPI_Type_c2f answer as they would natively. Several handles may share
 * one basic kind (MPI_INT and MPI_INTEGER); type_predefined_handle answers
 * with the C one.
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
/* Ends a derived handle: drops its engine reference and frees the wrapper
 * (attributes must have been deleted by the caller). */
void type_destroy(struct mk_type *t);
/* The predefined handle of a basic kind (e.g. for MPI_Type_get_contents),
 * and the name of a predefined handle (NULL if not predefined): Open MPI's
 * name, or the one MPI_Type_set_name gave it. */
MPI_Datatype type_predefined_handle(enum basic_kind kind);
const char *type_predefined_name(MPI_Datatype handle);
/* Renames a predefined handle; MPI_ERR_TYPE if it is not one. */
int type_set_predefined_name(MPI_Datatype handle, const char *name);
/* Open MPI's Fortran index of a predefined handle (-1 if not predefined),
 * and the reverse (MPI_DATATYPE_NULL if no predefined handle has it). */
int type_predefined_fortran(MPI_Datatype handle);
MPI_Datatype type_predefined_from_fortran(int index);
/* The first Fortran index Open MPI gives a derived type. */
#define TYPE_FIRST_DERIVED_FORTRAN 73
/* The MPI error class of an engine status (enum dt_status). */
int type_mpi_error(int dt_status);

#endif
