/*
 * serve_env.c — the keeper's side of the environment calls: the compute
 * process's hello (MPI_Init), MPI_Finalize and MPI_Abort.
 */
#include <stdio.h>
#include <string.h>

#include "launcher/keeper.h"

/* Thread levels the plugin may be granted: the compute process talks to its
 * keeper over one channel, so calls must not overlap (SERIALIZED at most). */
static int granted_thread_level(int64_t asked)
{
    return asked > MPI_THREAD_SERIALIZED ? MPI_THREAD_SERIALIZED : (int)asked;
}

static void serve_hello(struct keeper *k, const struct chan_sub *sub)
{
    struct chan_cmp cmp = keeper_completion(sub);
    if (sub->arg[1] != WIRE_VERSION) {
        keeper_say(k, "the compute process speaks channel version %lld, this keeper %d: "
                   "libmpickpt.so and mpickpt-run come from different builds",
                   (long long)sub->arg[1], WIRE_VERSION);
        keeper_abort(k, MPI_COMM_WORLD, 1);
    }
    int rank, size, flag, *tag_ub;
    PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
    PMPI_Comm_size(MPI_COMM_WORLD, &size);
    PMPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag);
    cmp.val[0] = rank;
    cmp.val[1] = size;
    cmp.val[2] = flag ? *tag_ub : 32767;
    cmp.val[3] = granted_thread_level(sub->arg[2]);

    char name[MPI_MAX_PROCESSOR_NAME];
    int len = 0;
    PMPI_Get_processor_name(name, &len);
    size_t room = (size_t)sub->arg[4];
    if (room > 0) {
        char *out = chan_heap_ptr(keeper_channel(k), (uint64_t)sub->arg[3]);
        snprintf(out, room, "%.*s", len, name);
    }
    keeper_complete_unheld(k, &cmp);
}

/* MPI_Finalize waits for the keeper's own sends: a standard send completed
 * for the app as soon as its data was in the channel, but its message may
 * still be on its way, and MPI must not be finalized under it. */
static struct chan_sub finalize_sub;

static int finish_finalize(struct keeper *k, void *ctx)
{
    (void)ctx;
    if (!keeper_may_finalize(k) || keeper_pending_requests(k) > 0)
        return 0;
    keeper_complete_rc(k, &finalize_sub, keeper_finalize(k));
    return 1;
}

static void serve_finalize(struct keeper *k, const struct chan_sub *sub)
{
    finalize_sub = *sub;
    keeper_poll_until(k, finish_finalize, NULL);
}

static void serve_abort(struct keeper *k, const struct chan_sub *sub)
{
    MPI_Comm comm = keeper_comm(k, sub->arg[0]);
    keeper_abort(k, comm == MPI_COMM_NULL ? MPI_COMM_WORLD : comm, (int)sub->arg[1]);
}

void keeper_register_env(struct keeper *k)
{
    keeper_register(k, WOP_HELLO, serve_hello);
    keeper_register(k, WOP_FINALIZE, serve_finalize);
    keeper_register(k, WOP_ABORT, serve_abort);
}
