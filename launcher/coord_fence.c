/*
 * coord_fence.c — a rank's share of the collective fence (coordinated/
 * fence.h) and the queue of submissions it holds back: collectives beyond
 * the fence, and after its cut every collective and communicator creation
 * until all ranks have cut (rule 1, docs/COORDINATED.md).
 *
 * The queue is first in, first out: collectives and creations reach MPI in
 * the order the application made them, so every member of a communicator
 * starts them in the same order (a creation begins with a barrier on its
 * parent). Only its head is ever let go. Held submissions stay where the
 * compute process put them (their heap blocks stay allocated: the compute
 * process waits for their completion).
 *
 * When the head may go:
 *   no checkpoint, or every rank has cut           always;
 *   this rank has cut                              a collective or creation
 *                                                  never (a free, yes);
 *   otherwise a creation or a free                 always;
 *   a collective on a communicator of one member   always;
 *   a collective, fence not known yet (FREEZE)     never;
 *   a collective, fence known                      while below the target.
 * A collective held at the cut (submitted before it) is pending at the cut
 * without having started anywhere: it is saved and started again after a
 * restore, with every member (coord_rank.c counts it).
 */
#include <stdlib.h>

#include "launcher/comm_log.h"
#include "launcher/coord_internal.h"
#include "launcher/keeper.h"
#include "launcher/serve_coll.h"

static _Noreturn void fail(struct coord *c, const char *what)
{
    keeper_say(c->k, "collective fence: %s", what);
    keeper_abort(c->k, MPI_COMM_WORLD, 1);
}

static int is_held_op(uint32_t op)
{
    return op == WOP_COLL || (op >= WOP_COMM_DUP && op <= WOP_COMM_CREATE_GROUP) ||
           op == WOP_COMM_FREE;
}

static int may_go(const struct coord *c, const struct chan_sub *sub)
{
    if (c->epoch == 0 || c->all_cut)
        return 1;
    if (c->ep.phase == EPOCH_DRAINING)
        return sub->op == WOP_COMM_FREE;
    if (sub->op != WOP_COLL)
        return 1;
    int64_t comm = sub->arg[0];
    if (comm_log_size(comm) <= 1)
        return 1;
    if (c->fence_stage != FENCE_STAGE_SET)
        return 0;
    return serve_coll_count(comm) < fence_table_target(&c->fence, comm_log_name(comm));
}

static void hold(struct coord *c, const struct chan_sub *sub, uint64_t seq)
{
    if (c->n_deferred == c->cap_deferred) {
        size_t cap = c->cap_deferred ? 2 * c->cap_deferred : 16;
        struct coord_deferred *d = realloc(c->deferred, cap * sizeof *d);
        if (!d)
            fail(c, "out of memory holding a collective back");
        c->deferred = d;
        c->cap_deferred = cap;
    }
    c->deferred[c->n_deferred++] = (struct coord_deferred){ seq, *sub };
}

int coord_hold_back(struct coord *c, const struct chan_sub *sub, uint64_t seq)
{
    if (!is_held_op(sub->op))
        return 0;
    if (c->n_deferred == 0 && may_go(c, sub))
        return 0;
    hold(c, sub, seq);
    return 1;
}

uint64_t coord_held_collectives(const struct coord *c, int64_t comm, uint64_t max_seq)
{
    uint64_t n = 0;
    for (size_t i = 0; i < c->n_deferred; i++)
        n += c->deferred[i].seq <= max_seq && c->deferred[i].sub.op == WOP_COLL &&
             c->deferred[i].sub.arg[0] == comm;
    return n;
}

/* Serves the head of the queue while it may go. */
static void release(struct coord *c)
{
    size_t gone = 0;
    while (gone < c->n_deferred && may_go(c, &c->deferred[gone].sub)) {
        struct coord_deferred d = c->deferred[gone++];
        coord_pending_add(c, &d.sub, d.seq);
        keeper_serve_now(c->k, &d.sub, d.seq);
    }
    if (gone) {
        c->n_deferred -= gone;
        for (size_t i = 0; i < c->n_deferred; i++)
            c->deferred[i] = c->deferred[i + gone];
    }
}

/* Every live communicator of several members at its target. */
static int reached(struct coord *c)
{
    size_t ncomms = keeper_comm_capacity(c->k);
    for (size_t id = 0; id < ncomms; id++) {
        if (keeper_comm(c->k, (int64_t)id) == MPI_COMM_NULL || comm_log_size((int64_t)id) <= 1)
            continue;
        if (serve_coll_count((int64_t)id) < fence_table_target(&c->fence, comm_log_name((int64_t)id)))
            return 0;
    }
    return 1;
}

/* Tells the coordinator where this rank stands, when that changed. */
static void report(struct coord *c)
{
    struct fence_status st = { .version = c->fence_version, .reached = reached(c) };
    if (c->n_deferred > 0 && c->deferred[0].sub.op == WOP_COLL) {
        int64_t comm = c->deferred[0].sub.arg[0];
        st.blocked_name = comm_log_name(comm);
        st.blocked_next = serve_coll_count(comm) + 1;
    }
    if (st.version == c->fence_sent.version && st.reached == c->fence_sent.reached &&
        st.blocked_name == c->fence_sent.blocked_name &&
        st.blocked_next == c->fence_sent.blocked_next)
        return;
    c->fence_sent = st;
    int64_t msg[7] = { CTL_STATUS, (int64_t)c->incarnation, (int64_t)c->epoch,
                       (int64_t)st.version, st.reached, (int64_t)st.blocked_name,
                       (int64_t)st.blocked_next };
    coord_ctl_send(c, 0, msg, 7);
}

void coord_fence_poll(struct coord *c)
{
    release(c);
    if (c->fence_stage == FENCE_STAGE_SET && c->ep.phase == EPOCH_RUNNING)
        report(c);
}

void coord_fence_freeze(struct coord *c, uint64_t epoch)
{
    if (c->epoch != 0 || c->fence_stage != FENCE_STAGE_NONE)
        fail(c, "a checkpoint started while another is under way");
    c->epoch = epoch;
    c->fence_stage = FENCE_STAGE_FROZEN;
    size_t ncomms = keeper_comm_capacity(c->k);
    int64_t *msg = malloc((4 + 2 * ncomms) * sizeof *msg);
    if (!msg)
        fail(c, "out of memory");
    size_t at = 4;
    for (size_t id = 0; id < ncomms; id++) {
        if (keeper_comm(c->k, (int64_t)id) == MPI_COMM_NULL || comm_log_size((int64_t)id) <= 1)
            continue;
        msg[at++] = (int64_t)comm_log_name((int64_t)id);
        msg[at++] = (int64_t)serve_coll_count((int64_t)id);
    }
    msg[0] = CTL_COUNTS;
    msg[1] = (int64_t)c->incarnation;
    msg[2] = (int64_t)epoch;
    msg[3] = (int64_t)(at - 4) / 2;
    coord_ctl_send(c, 0, msg, at);
    free(msg);
}

void coord_fence_targets(struct coord *c, const int64_t *msg, size_t n)
{
    if (n < 5 || (uint64_t)msg[2] != c->epoch || c->fence_stage == FENCE_STAGE_NONE)
        fail(c, "targets for a checkpoint that is not under way");
    size_t m = (size_t)msg[4];
    if (n < 5 + 2 * m)
        fail(c, "malformed FENCE");
    fence_table_clear(&c->fence);
    for (size_t i = 0; i < m; i++)
        if (fence_table_raise(&c->fence, (uint64_t)msg[5 + 2 * i], (uint64_t)msg[6 + 2 * i]) < 0)
            fail(c, "out of memory");
    c->fence_version = (uint64_t)msg[3];
    c->fence_stage = FENCE_STAGE_SET;
    coord_fence_poll(c);
}

void coord_fence_end(struct coord *c)
{
    c->fence_stage = FENCE_STAGE_NONE;
    c->fence_version = 0;
    c->fence_sent = (struct fence_status){ 0 };
    fence_table_clear(&c->fence);
}

void coord_fence_reset(struct coord *c)
{
    coord_fence_end(c);
    c->n_deferred = 0;
}
