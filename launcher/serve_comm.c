/*
 * serve_comm.c — the keeper's side of communicator management (wire.h,
 * WOP_COMM_DUP … WOP_COMM_FREE): creates the keeper's communicator for each
 * one the app creates, records it under the id the plugin chose, and tells
 * the plugin this rank's place in it (rank, size, members as world ranks).
 *
 * The creating calls are Open MPI's blocking collectives
 * (PMPI_Comm_dup/split/split_type/create/create_group), so while one runs
 * this keeper serves nothing else and notices nothing (not even its compute
 * process dying) until every member has joined. That is accepted for now:
 * the compute process is waiting for the answer anyway, and MPI lets
 * communicator creation synchronize its members; requests already started
 * keep progressing inside Open MPI meanwhile. Freeing is local.
 *
 * Invariants: the keeper's communicators carry MPI_ERRORS_RETURN
 * (keeper_comm_add), so a failure comes back as an error class; a rank
 * outside the new communicator records nothing and answers val0 = 0.
 */
#include <stdint.h>
#include <stdlib.h>

#include "launcher/keeper.h"

_Static_assert(sizeof(int) == sizeof(int32_t), "members travel as int32");

/* Writes the world ranks of `comm`'s members into the block named by
 * sub->arg[2]/arg[3]; returns an MPI error class. */
static int write_members(struct keeper *k, const struct chan_sub *sub, MPI_Comm comm, int size)
{
    if ((int64_t)size * (int64_t)sizeof(int32_t) > sub->arg[3])
        return MPI_ERR_INTERN; /* the plugin sizes the block by the parent */
    int *ranks = malloc((size_t)size * sizeof *ranks);
    if (!ranks)
        return MPI_ERR_NO_MEM;
    for (int i = 0; i < size; i++)
        ranks[i] = i;
    MPI_Group group, world;
    int rc = PMPI_Comm_group(comm, &group);
    if (rc == MPI_SUCCESS) {
        rc = PMPI_Comm_group(MPI_COMM_WORLD, &world);
        if (rc == MPI_SUCCESS) {
            int32_t *out = chan_heap_ptr(keeper_channel(k), (uint64_t)sub->arg[2]);
            rc = PMPI_Group_translate_ranks(group, size, ranks, world, out);
            PMPI_Group_free(&world);
        }
        PMPI_Group_free(&group);
    }
    free(ranks);
    return rc;
}

/* Completes a creating operation whose MPI call returned `rc` and `comm`. */
static void answer_created(struct keeper *k, const struct chan_sub *sub, int rc, MPI_Comm comm)
{
    struct chan_cmp cmp = keeper_completion(sub);
    int rank = 0, size = 0;
    if (rc == MPI_SUCCESS && comm != MPI_COMM_NULL) {
        PMPI_Comm_rank(comm, &rank);
        PMPI_Comm_size(comm, &size);
        rc = write_members(k, sub, comm, size);
        if (rc == MPI_SUCCESS && keeper_comm_add(k, sub->arg[1], comm) != 0)
            rc = MPI_ERR_INTERN; /* the id is in use, or memory is short */
        if (rc != MPI_SUCCESS)
            PMPI_Comm_free(&comm);
    }
    cmp.rc = rc;
    if (rc == MPI_SUCCESS && comm != MPI_COMM_NULL) {
        cmp.val[0] = 1;
        cmp.val[1] = rank;
        cmp.val[2] = size;
    }
    keeper_complete(k, &cmp);
}

/* The parent communicator of `sub`, or MPI_COMM_NULL after answering
 * MPI_ERR_COMM. */
static MPI_Comm parent_of(struct keeper *k, const struct chan_sub *sub)
{
    MPI_Comm parent = keeper_comm(k, sub->arg[0]);
    if (parent == MPI_COMM_NULL)
        keeper_complete_rc(k, sub, MPI_ERR_COMM);
    return parent;
}

static int mpi_undefined(int64_t wire)
{
    return wire == WIRE_UNDEFINED ? MPI_UNDEFINED : (int)wire;
}

static void serve_dup(struct keeper *k, const struct chan_sub *sub)
{
    MPI_Comm parent = parent_of(k, sub), comm = MPI_COMM_NULL;
    if (parent == MPI_COMM_NULL)
        return;
    int rc = PMPI_Comm_dup(parent, &comm);
    answer_created(k, sub, rc, comm);
}

static void serve_split(struct keeper *k, const struct chan_sub *sub)
{
    MPI_Comm parent = parent_of(k, sub), comm = MPI_COMM_NULL;
    if (parent == MPI_COMM_NULL)
        return;
    int rc = PMPI_Comm_split(parent, mpi_undefined(sub->arg[4]), (int)sub->arg[5], &comm);
    answer_created(k, sub, rc, comm);
}

static void serve_split_type(struct keeper *k, const struct chan_sub *sub)
{
    MPI_Comm parent = parent_of(k, sub), comm = MPI_COMM_NULL;
    if (parent == MPI_COMM_NULL)
        return;
    int type = sub->arg[4] == WIRE_SPLIT_SHARED ? MPI_COMM_TYPE_SHARED : MPI_UNDEFINED;
    int rc = PMPI_Comm_split_type(parent, type, (int)sub->arg[5], MPI_INFO_NULL, &comm);
    answer_created(k, sub, rc, comm);
}

/* The group of the parent's ranks listed in the block arg4/arg5 (arg6 of
 * them); returns an MPI error class. */
static int group_of(struct keeper *k, const struct chan_sub *sub, MPI_Comm parent,
                    MPI_Group *group)
{
    int n = (int)sub->arg[6];
    if (n < 0 || (int64_t)n * (int64_t)sizeof(int32_t) > sub->arg[5])
        return MPI_ERR_ARG;
    const int *ranks = chan_heap_ptr(keeper_channel(k), (uint64_t)sub->arg[4]);
    MPI_Group parent_group;
    int rc = PMPI_Comm_group(parent, &parent_group);
    if (rc != MPI_SUCCESS)
        return rc;
    rc = PMPI_Group_incl(parent_group, n, ranks, group);
    PMPI_Group_free(&parent_group);
    return rc;
}

static void serve_create(struct keeper *k, const struct chan_sub *sub)
{
    MPI_Comm parent = parent_of(k, sub), comm = MPI_COMM_NULL;
    if (parent == MPI_COMM_NULL)
        return;
    MPI_Group group;
    int rc = group_of(k, sub, parent, &group);
    if (rc == MPI_SUCCESS) {
        rc = sub->op == WOP_COMM_CREATE_GROUP
            ? PMPI_Comm_create_group(parent, group, (int)sub->arg[7], &comm)
            : PMPI_Comm_create(parent, group, &comm);
        PMPI_Group_free(&group);
    }
    answer_created(k, sub, rc, comm);
}

static void serve_free(struct keeper *k, const struct chan_sub *sub)
{
    if (keeper_comm(k, sub->arg[0]) == MPI_COMM_NULL)
        return keeper_complete_rc(k, sub, MPI_ERR_COMM);
    /* Operations still under way on it finish normally (MPI_Comm_free
     * only marks the communicator for deallocation). */
    keeper_comm_remove(k, sub->arg[0]);
    keeper_complete_rc(k, sub, MPI_SUCCESS);
}

void keeper_register_comm(struct keeper *k)
{
    keeper_register(k, WOP_COMM_DUP, serve_dup);
    keeper_register(k, WOP_COMM_SPLIT, serve_split);
    keeper_register(k, WOP_COMM_SPLIT_TYPE, serve_split_type);
    keeper_register(k, WOP_COMM_CREATE, serve_create);
    keeper_register(k, WOP_COMM_CREATE_GROUP, serve_create);
    keeper_register(k, WOP_COMM_FREE, serve_free);
}
