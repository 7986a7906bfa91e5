/*
 * group_barrier.h — a barrier among the members of a group that has no
 * communicator (yet): what the keeper waits on before MPI_Comm_create_group,
 * which only the group's members call, so that it never blocks inside that
 * call while a checkpoint holds a member back (docs/COORDINATED.md,
 * "Collectives are never cut"; serve_comm.c does the same for the other
 * creations with an MPI_Ibarrier on their parent).
 *
 * Each member sends every other member a note — the barrier's key — on a
 * communicator of the keepers' own, and the barrier is over once a note
 * with that key came from every other member; the keeper polls for notes
 * in its loop and never blocks. Notes with the same key from one member
 * arrive in the order sent (MPI's non-overtaking rule) and are counted, so
 * repeated barriers with one key pair up in order; notes for barriers this
 * keeper has not reached yet wait for it.
 *
 * Invariants: one instance per process (the keeper serves one rank); a
 * reset (start, in-place recovery) forgets every note and waiting barrier
 * and takes the communicator of the new incarnation, so no note of a failed
 * incarnation is ever counted.
 */
#ifndef MPICKPT_LAUNCHER_GROUP_BARRIER_H
#define MPICKPT_LAUNCHER_GROUP_BARRIER_H

#include <mpi.h>
#include <stdint.h>

#include "launcher/keeper.h"

typedef void (*group_barrier_fn)(struct keeper *k, void *ctx);

/* Forgets everything; notes go over `comm` (a duplicate of WORLD that only
 * keepers use) from now on. */
void group_barrier_reset(MPI_Comm comm);

/* Enters the barrier `key` of the n members `group` (world ranks, this
 * keeper's among them); `done(k, ctx)` runs once every member entered it
 * (at once if it is the only member). */
void group_barrier_enter(struct keeper *k, uint64_t key, const int32_t *group, uint32_t n,
                         group_barrier_fn done, void *ctx);

/* Takes the notes that came and ends the barriers they complete; returns
 * how many barriers still wait (the keeper's poller, and a recovery's
 * settling, keeper.c). */
size_t group_barrier_poll(struct keeper *k);

#endif
