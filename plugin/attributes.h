/*
 * attributes.h — keyvals and attribute caching on communicators and
 * datatypes (MPI-3.1 §6.7), all local to the compute process.
 *
 * A keyval belongs to one kind of object (communicator or datatype) and
 * carries the app's copy and delete callbacks and extra state. An object's
 * attributes are a list of (keyval, value) in the order they were first
 * set, stored in the object's `attributes` field (struct mk_comm, struct
 * mk_type; predefined datatypes have a side table here).
 *
 * Invariants: a keyval lives while its handle or any attribute uses it, so
 * a freed keyval's delete callback still runs when an object carrying it is
 * freed; a delete callback runs exactly once per value that leaves an
 * object (replaced, deleted, or the object freed), a copy callback once per
 * value when an object is duplicated (in set order), deletes at free in
 * reverse set order. The predefined keyvals of MPI_COMM_WORLD (MPI_TAG_UB,
 * MPI_HOST, MPI_IO, MPI_WTIME_IS_GLOBAL, MPI_APPNUM, MPI_UNIVERSE_SIZE,
 * MPI_LASTUSEDCODE) are answered with a pointer to their value, as MPI
 * requires, and can be neither set nor deleted.
 *
 * Every int function returns an MPI error class (or a callback's code);
 * the classes follow Open MPI's: MPI_ERR_KEYVAL for a keyval that is not
 * (or no longer) a handle of the right kind, MPI_ERR_OTHER for setting or
 * deleting a predefined attribute and for deleting one that is not set.
 */
#ifndef MPICKPT_PLUGIN_ATTRIBUTES_H
#define MPICKPT_PLUGIN_ATTRIBUTES_H

#include <mpi.h>

struct mk_comm;

/* Records the values of MPI_COMM_WORLD's predefined attributes. */
void attributes_init_world(int tag_ub, int world_size);

/* --- keyvals ------------------------------------------------------------- */

int keyval_create_comm(MPI_Comm_copy_attr_function *copy, MPI_Comm_delete_attr_function *del,
                       void *extra_state, int *keyval);
int keyval_create_type(MPI_Type_copy_attr_function *copy, MPI_Type_delete_attr_function *del,
                       void *extra_state, int *keyval);
/* Frees the app's handle to a keyval (of the kind `for_types` says) and
 * sets it to MPI_KEYVAL_INVALID. */
int keyval_free(int *keyval, int for_types);

/* --- communicators ------------------------------------------------------------ */

int attributes_set_comm(struct mk_comm *comm, int keyval, void *value);
/* Stores the value in *(void **)value_out when set; *flag says if it is. */
int attributes_get_comm(struct mk_comm *comm, int keyval, void *value_out, int *flag);
int attributes_delete_comm_attr(struct mk_comm *comm, int keyval);
/* MPI_Comm_dup: runs the copy callbacks of `from`'s attributes onto `to`. */
int attributes_copy_comm(struct mk_comm *from, struct mk_comm *to);
/* MPI_Comm_free: deletes every attribute, running the delete callbacks;
 * stops at the first that fails, leaving the rest in place. */
int attributes_delete_comm(struct mk_comm *comm);

/* --- datatypes (for api_datatype.c as well) ------------------------------------ */

int attributes_set_type(MPI_Datatype type, int keyval, void *value);
int attributes_get_type(MPI_Datatype type, int keyval, void *value_out, int *flag);
int attributes_delete_type_attr(MPI_Datatype type, int keyval);
/* MPI_Type_dup: call once `newtype` is a valid handle. */
int attributes_copy_type(MPI_Datatype oldtype, MPI_Datatype newtype);
/* MPI_Type_free: call while `type` is still a valid handle. */
int attributes_delete_type(MPI_Datatype type);

/* Frees an object's attribute list without running callbacks (the object
 * is going away after its callbacks ran, or after a failed creation). */
void attributes_discard(void **list);

#endif
