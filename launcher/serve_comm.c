/*
 * serve_comm.c — the keeper's side of communicator management (wire.h,
 * WOP_COMM_DUP … WOP_COMM_FREE): creates the keeper's communicator for each
 * one the app creates, records it under the id the plugin chose and in the
 * communicator log (comm_log.h), and tells the plugin this rank's place in
 * it (rank, size, members as world ranks).
 *
 * The keeper never waits inside a collective creation: it must go on
 * polling its loop (control messages, its compute process dying), and a
 * checkpoint may hold a peer back from entering the creation until every
 * rank has cut (docs/COORDINATED.md, "Collectives are never cut"), which
 * would deadlock a keeper blocked inside it. So each creation that is
 * collective over the parent (dup, split, split_type, create) is served as
 * a PMPI_Ibarrier on the parent, tracked like any request; once it
 * completes, every member has arrived, and the blocking PMPI creation
 * called then completes promptly. No other collective on the parent can
 * come between the barrier and the creation on some member only: the
 * compute process waits for the creation's answer before it submits
 * anything else, so every member starts the same sequence (earlier
 * collectives, barrier, creation) on the parent.
 *
 * create_group is collective over the new group only, not the parent, so
 * there is no communicator to barrier on: its members meet in a barrier of
 * notes instead (group_barrier.h), then call the blocking
 * PMPI_Comm_create_group (on a parent of the keeper's own:
 * comm_log_set_group_parent). Freeing is local and immediate.
 *
 * Invariants: the keeper's communicators carry MPI_ERRORS_RETURN
 * (keeper_comm_add), so a failure comes back as an error class; a rank
 * outside the new communicator records no communicator and answers
 * val0 = 0; every creation and free served is logged in the order served,
 * with the number of the submission that asked for it (taken at serve
 * time, not when the barrier completes).
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "coordinated/comm_name.h"
#include "launcher/comm_log.h"
#include "launcher/group_barrier.h"
#include "launcher/keeper.h"

_Static_assert(sizeof(int) == sizeof(int32_t), "members travel as int32");

/* A creation waiting for its barrier. */
struct creation_wait {
    struct chan_sub sub;
    long entry;
};

/* Answers `sub` after its creation ran with `rc`; `joined`: this rank got
 * the communicator sub->arg[1], whose members go to the block arg2/arg3. */
static void answer_created(struct keeper *k, const struct chan_sub *sub, int rc, int joined)
{
    struct chan_cmp cmp = keeper_completion(sub);
    cmp.rc = rc;
    if (rc == MPI_SUCCESS && joined) {
        int64_t id = sub->arg[1];
        int rank = 0, size = comm_log_size(id);
        PMPI_Comm_rank(keeper_comm(k, id), &rank);
        int32_t *out = chan_heap_ptr(keeper_channel(k), (uint64_t)sub->arg[2]);
        for (int i = 0; i < size; i++)
            out[i] = comm_log_world_rank(id, i);
        cmp.val[0] = 1;
        cmp.val[1] = rank;
        cmp.val[2] = size;
    }
    keeper_complete(k, &cmp);
}

/* The group of a CREATE/CREATE_GROUP: the block arg4/arg5 holds arg6
 * ranks of the parent, returned as world ranks in *group (malloc'd).
 * Returns an MPI error class. */
static int group_of(struct keeper *k, const struct chan_sub *sub, int32_t **group)
{
    int64_t n = sub->arg[6];
    int parent_size = comm_log_size(sub->arg[0]);
    if (n < 0 || n > parent_size || n * (int64_t)sizeof(int32_t) > sub->arg[5])
        return MPI_ERR_ARG;
    const int32_t *ranks = chan_heap_ptr(keeper_channel(k), (uint64_t)sub->arg[4]);
    *group = malloc((size_t)(n ? n : 1) * sizeof **group);
    if (!*group)
        return MPI_ERR_NO_MEM;
    for (int64_t i = 0; i < n; i++) {
        (*group)[i] = comm_log_world_rank(sub->arg[0], ranks[i]);
        if ((*group)[i] < 0)
            return MPI_ERR_RANK;
    }
    return MPI_SUCCESS;
}

/* Decodes the creation `sub` asks for into `c` (its group, if any, in
 * *group, which the caller frees). Returns an MPI error class. */
static int decode_creation(struct keeper *k, const struct chan_sub *sub,
                           struct comm_creation *c, int32_t **group)
{
    *c = (struct comm_creation){ .op = sub->op, .id = sub->arg[1], .parent = sub->arg[0] };
    *group = NULL;
    /* The plugin sizes the members block by the parent. */
    if ((int64_t)comm_log_size(c->parent) * (int64_t)sizeof(int32_t) > sub->arg[3])
        return MPI_ERR_INTERN;
    switch (sub->op) {
    case WOP_COMM_SPLIT:
    case WOP_COMM_SPLIT_TYPE:
        c->color = sub->arg[4];
        c->key = sub->arg[5];
        return MPI_SUCCESS;
    case WOP_COMM_CREATE_GROUP:
        c->tag = sub->arg[7];
        /* fall through */
    case WOP_COMM_CREATE: {
        int rc = group_of(k, sub, group);
        c->group = *group;
        c->ngroup = (uint32_t)sub->arg[6];
        return rc;
    }
    default:
        return MPI_SUCCESS;
    }
}

/* The barrier before a collective creation completed: run the creation. */
static void barrier_done(struct keeper *k, void *ctx, const MPI_Status *status)
{
    struct creation_wait *w = ctx;
    int rc = status->MPI_ERROR, joined = 0;
    if (rc == MPI_SUCCESS)
        rc = comm_log_create(k, w->entry, &joined);
    else
        comm_log_drop(w->entry);
    answer_created(k, &w->sub, rc, joined);
    free(w);
}

/* Every member of a create_group's group arrived: run it. */
static void group_met(struct keeper *k, void *ctx)
{
    struct creation_wait *w = ctx;
    int joined = 0;
    int rc = comm_log_create(k, w->entry, &joined);
    answer_created(k, &w->sub, rc, joined);
    free(w);
}

/* Starts the barrier on `parent` before logged entry `entry` runs. */
static void await_members(struct keeper *k, const struct chan_sub *sub, MPI_Comm parent,
                          long entry)
{
    struct creation_wait *w = malloc(sizeof *w);
    if (!w) {
        comm_log_drop(entry);
        return keeper_complete_rc(k, sub, MPI_ERR_NO_MEM);
    }
    *w = (struct creation_wait){ .sub = *sub, .entry = entry };
    MPI_Request req;
    int rc = PMPI_Ibarrier(parent, &req);
    if (rc != MPI_SUCCESS) {
        comm_log_drop(entry);
        free(w);
        return keeper_complete_rc(k, sub, rc);
    }
    keeper_track_settled(k, req, sub->req, barrier_done, w);
}

static void serve_create(struct keeper *k, const struct chan_sub *sub)
{
    MPI_Comm parent = keeper_comm(k, sub->arg[0]);
    if (parent == MPI_COMM_NULL || comm_log_size(sub->arg[0]) == 0)
        return keeper_complete_rc(k, sub, MPI_ERR_COMM);
    struct comm_creation c;
    int32_t *group;
    int rc = decode_creation(k, sub, &c, &group);
    long entry = -1;
    if (rc == MPI_SUCCESS) {
        entry = comm_log_begin(&c, keeper_serving_seq(k));
        if (entry < 0)
            rc = errno == ENOMEM ? MPI_ERR_NO_MEM : MPI_ERR_INTERN; /* EINVAL: a predefined id */
    }
    if (rc != MPI_SUCCESS) {
        free(group);
        return keeper_complete_rc(k, sub, rc);
    }
    if (sub->op != WOP_COMM_CREATE_GROUP) {
        free(group);
        return await_members(k, sub, parent, entry);
    }
    struct creation_wait *w = malloc(sizeof *w);
    if (!w) {
        free(group);
        comm_log_drop(entry);
        return keeper_complete_rc(k, sub, MPI_ERR_NO_MEM);
    }
    *w = (struct creation_wait){ .sub = *sub, .entry = entry };
    uint64_t key = comm_name_group_key(comm_log_name(c.parent), c.tag, c.group, c.ngroup);
    group_barrier_enter(k, key, c.group, c.ngroup, group_met, w);
    free(group);
}

void serve_comm_reset(void)
{
    MPI_Comm notes, group_parent;
    PMPI_Comm_dup(MPI_COMM_WORLD, &notes);
    PMPI_Comm_dup(MPI_COMM_WORLD, &group_parent);
    group_barrier_reset(notes);
    comm_log_set_group_parent(group_parent);
}

static void serve_free(struct keeper *k, const struct chan_sub *sub)
{
    if (keeper_comm(k, sub->arg[0]) == MPI_COMM_NULL)
        return keeper_complete_rc(k, sub, MPI_ERR_COMM);
    /* Operations still under way on it finish normally (MPI_Comm_free
     * only marks the communicator for deallocation). */
    keeper_complete_rc(k, sub, comm_log_free(k, sub->arg[0], keeper_serving_seq(k)));
}

void keeper_register_comm(struct keeper *k)
{
    int world_size;
    PMPI_Comm_size(MPI_COMM_WORLD, &world_size);
    comm_log_reset(keeper_world_rank(k), world_size);
    serve_comm_reset();
    keeper_register(k, WOP_COMM_DUP, serve_create);
    keeper_register(k, WOP_COMM_SPLIT, serve_create);
    keeper_register(k, WOP_COMM_SPLIT_TYPE, serve_create);
    keeper_register(k, WOP_COMM_CREATE, serve_create);
    keeper_register(k, WOP_COMM_CREATE_GROUP, serve_create);
    keeper_register(k, WOP_COMM_FREE, serve_free);
}
