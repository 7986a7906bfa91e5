/*
 * group.h — the plugin's group objects: what an MPI_Group of the app points
 * to. A group is an ordered list of processes, each named by its
 * MPI_COMM_WORLD rank, so groups are purely local objects: no group call
 * ever reaches the keeper.
 *
 * Invariants: `members[i]` is the world rank of group rank i, and no world
 * rank appears twice; MPI_GROUP_EMPTY is one static object of size 0, and
 * every empty result is that object (as in Open MPI), never a new one.
 */
#ifndef MPICKPT_PLUGIN_GROUP_H
#define MPICKPT_PLUGIN_GROUP_H

#include <mpi.h>
#include <stdint.h>

struct mk_group {
    uint32_t magic;
    int size;
    int *members;              /* world ranks, `size` of them */
};

#define MK_GROUP_MAGIC 0x4d4b4750u /* "MKGP" */

/* The object behind an app handle: the empty group for MPI_GROUP_EMPTY,
 * NULL for MPI_GROUP_NULL or a handle that is no group. */
struct mk_group *group_get(MPI_Group handle);
/* The app handle of a group object. */
MPI_Group group_handle(struct mk_group *group);
/* A group of `size` world ranks (copied); the empty group when size is 0;
 * NULL when memory is short. */
struct mk_group *group_new(int size, const int *members);
/* Frees a group made by group_new (the empty group is never freed). */
void group_destroy(struct mk_group *group);
/* The rank in `group` of world rank `world_rank`, or MPI_UNDEFINED. */
int group_rank_of(const struct mk_group *group, int world_rank);

#endif
