/*
 * comm.h — the plugin's communicator objects: what an MPI_Comm of the app
 * points to (MPI_COMM_WORLD and MPI_COMM_SELF map to two static objects).
 *
 * A communicator lives in the compute process with everything local calls
 * need (rank, size, members, name, error handler, attributes, topology), so
 * only calls that involve other ranks go to the keeper, which knows it by
 * `id`. Ids are assigned here, in creation order, which is the same at every
 * restart of the same program.
 *
 * Invariants: `members[i]` is the MPI_COMM_WORLD rank of rank i. An object
 * lives while the app's handle or a request (comm_retain) holds it: after
 * MPI_Comm_free its handle is invalid at once (comm_get says NULL), but an
 * operation still under way on it may go on using the object, e.g. to apply
 * its error handler; the object holds one reference to its error handler.
 */
#ifndef MPICKPT_PLUGIN_COMM_H
#define MPICKPT_PLUGIN_COMM_H

#include <mpi.h>
#include <stdint.h>

struct client_world;
struct mk_errhandler;

struct mk_comm {
    uint32_t magic;
    int64_t id;                /* the keeper's id (wire.h) */
    int rank, size;
    int *members;              /* world ranks, `size` of them */
    struct mk_errhandler *errhandler;
    char name[MPI_MAX_OBJECT_NAME];
    void *attributes;          /* plugin/attributes: cached attribute values */
    void *topology;            /* plugin/topology: Cartesian or graph data */
    void *info;                /* plugin/info: hints (MPI_Comm_set_info), or NULL */
    int refs;                  /* the app's handle + requests holding it */
};

#define MK_COMM_MAGIC 0x4d4b434du /* "MKCM" */

/* Sets up MPI_COMM_WORLD and MPI_COMM_SELF from what the keeper said. */
int comm_init_predefined(const struct client_world *world);
/* The object behind an app handle; NULL for MPI_COMM_NULL or garbage. */
struct mk_comm *comm_get(MPI_Comm handle);
/* The app handle of an object. */
MPI_Comm comm_handle(struct mk_comm *comm);
/* The id the next communicator will have. */
int64_t comm_next_id(void);
/* A new communicator object with the given id, rank, size and members
 * (copied), held by the app's handle; NULL when memory is short. Inherits
 * `parent`'s error handler. */
struct mk_comm *comm_new(int64_t id, int rank, int size, const int *members,
                         const struct mk_comm *parent);
/* The app's handle is gone (not the keeper's side): the handle is invalid
 * from now on, and the object, its attribute memory (callbacks are the
 * caller's business), topology and hints are freed once no request holds it. */
void comm_destroy(struct mk_comm *comm);
/* A request holds `comm` while its operation is under way, and lets go. */
void comm_retain(struct mk_comm *comm);
void comm_release(struct mk_comm *comm);

struct chan_sub;
/* Creates a communicator from `parent` through the keeper (one of the
 * creating WOP_COMM_* operations: the caller sets `op` and the arguments
 * from arg4 on, this fills the rest). *out is the new object (inheriting
 * parent's error handler), or NULL where this rank is not a member.
 * Returns an MPI error class. */
int comm_create_via_keeper(struct chan_sub *sub, struct mk_comm *parent, struct mk_comm **out);
/* Frees the keeper's side of `comm`, then the app's handle (comm_destroy);
 * attribute callbacks are the caller's business. */
int comm_free_via_keeper(struct mk_comm *comm);
/* The world rank of rank `rank` of `comm` (rank must be valid). */
static inline int comm_world_rank(const struct mk_comm *comm, int rank)
{
    return comm->members[rank];
}

#endif
