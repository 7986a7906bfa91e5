/*
 * serve_p2p.c — the keeper's side of point-to-point communication: sends,
 * receives, probes, matched probes and cancellation (wire.h, WOP_SEND …
 * WOP_CANCEL).
 *
 * Every operation becomes one non-blocking PMPI call on the keeper's
 * duplicate of the app's communicator, with the app's source, destination
 * and tag, so matching and ordering are Open MPI's own. Payload blocks in
 * the channel heap start with the message header (wire.h), which the
 * protocol engine fills before the message leaves and inspects when it
 * arrives; sizes on the wire include it, sizes reported to the plugin do not.
 *
 * The early queue (coordinated/early_queue.h) holds messages the keeper
 * already took out of MPI: drained from Open MPI's unexpected queue while
 * a checkpoint waits for in-flight messages (p2p_drain), or replayed from
 * a checkpoint's channel state. Receives and probes look there first, so
 * the app sees MPI's matching and ordering whatever detour a message took.
 *
 * A message MPROBE matches in MPI is taken out of it at once (MPI_Mrecv
 * into the keeper's memory): it is then shown to the protocol before the
 * application learns of it, as a received one is, and a checkpoint can
 * save it with the id of the application's handle (p2p_foreach_matched).
 *
 * Invariants: a matched message handed out by MPROBE lives in `messages`
 * until its MRECV (its id is its index there); every message that arrives
 * from MPI is shown to the protocol exactly once (keeper_arrived), when it
 * leaves MPI — queued messages were shown when queued, or belong to an
 * earlier incarnation (channel state) and are not shown again.
 */
#include "launcher/serve_p2p.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "coordinated/early_queue.h"
#include "launcher/keeper.h"

struct p2p_op {
    struct chan_sub sub;
};

static struct p2p_op *op_new(struct keeper *k, const struct chan_sub *sub)
{
    struct p2p_op *op = malloc(sizeof *op);
    if (!op) {
        keeper_say(k, "out of memory serving a message");
        keeper_abort(k, MPI_COMM_WORLD, 1);
    }
    op->sub = *sub;
    return op;
}

static int mpi_source(int64_t wire)
{
    return wire == WIRE_ANY_SOURCE ? MPI_ANY_SOURCE : wire == WIRE_PROC_NULL ? MPI_PROC_NULL : (int)wire;
}

static int mpi_tag(int64_t wire)
{
    return wire == WIRE_ANY_TAG ? MPI_ANY_TAG : (int)wire;
}

static int wire_source(int mpi)
{
    return mpi == MPI_ANY_SOURCE ? WIRE_ANY_SOURCE : mpi == MPI_PROC_NULL ? WIRE_PROC_NULL : mpi;
}

static int wire_tag(int mpi)
{
    return mpi == MPI_ANY_TAG ? WIRE_ANY_TAG : mpi;
}

/* Wire bytes of a block holding `payload` bytes, or -1 if MPI's int count
 * cannot express it. */
static int wire_count(int64_t payload)
{
    if (payload < 0 || payload > INT_MAX - WIRE_HEADER_BYTES)
        return -1;
    return (int)(payload + WIRE_HEADER_BYTES);
}

/* Fills the status part of `cmp` from a receive-like MPI status. */
static void fill_status(struct chan_cmp *cmp, const MPI_Status *status)
{
    int cancelled = 0, bytes = 0;
    PMPI_Test_cancelled(status, &cancelled);
    cmp->cancelled = cancelled;
    cmp->source = wire_source(status->MPI_SOURCE);
    cmp->tag = wire_tag(status->MPI_TAG);
    if (!cancelled && status->MPI_SOURCE != MPI_PROC_NULL) {
        PMPI_Get_count(status, MPI_BYTE, &bytes);
        cmp->bytes = bytes >= WIRE_HEADER_BYTES ? bytes - WIRE_HEADER_BYTES : 0;
    }
}

/* --- send ------------------------------------------------------------------ */

static void send_done(struct keeper *k, void *ctx, const MPI_Status *status)
{
    struct p2p_op *op = ctx;
    struct chan_cmp cmp = keeper_completion(&op->sub);
    int cancelled = 0;
    PMPI_Test_cancelled(status, &cancelled);
    cmp.rc = status->MPI_ERROR;
    cmp.cancelled = cancelled;
    keeper_complete(k, &cmp);
    free(op);
}

static void serve_send(struct keeper *k, const struct chan_sub *sub)
{
    MPI_Comm comm = keeper_comm(k, sub->arg[0]);
    int dest = mpi_source(sub->arg[1]);
    int count = wire_count(sub->arg[4]);
    if (comm == MPI_COMM_NULL)
        return keeper_complete_rc(k, sub, MPI_ERR_COMM);
    if (count < 0)
        return keeper_complete_rc(k, sub, MPI_ERR_COUNT);
    if (dest == MPI_PROC_NULL)
        return keeper_complete_rc(k, sub, MPI_SUCCESS);
    void *block = chan_heap_ptr(keeper_channel(k), (uint64_t)sub->arg[3]);
    keeper_stamp(k, block, sub->arg[0], dest);

    MPI_Request req;
    int rc = sub->arg[5] == WIRE_SEND_SYNCHRONOUS
        ? PMPI_Issend(block, count, MPI_BYTE, dest, (int)sub->arg[2], comm, &req)
        : PMPI_Isend(block, count, MPI_BYTE, dest, (int)sub->arg[2], comm, &req);
    if (rc != MPI_SUCCESS)
        return keeper_complete_rc(k, sub, rc);
    keeper_track(k, req, sub->req, send_done, op_new(k, sub));
}

/* --- receive ------------------------------------------------------------------ */

static struct early_queue early;

/* Shows a message that just left MPI to the protocol. */
static void arrived(struct keeper *k, const void *wire, size_t bytes, int64_t comm, int source,
                    int tag)
{
    if (keeper_arrived(k, wire, bytes, comm, source, tag) != 0) {
        keeper_say(k, "a message from rank %d was not sent through mpickpt (every rank must run "
                   "under mpickpt-run or with libmpickpt.so preloaded)", source);
        keeper_abort(k, MPI_COMM_WORLD, 1);
    }
}

/* Completes a receive-like operation on comm `comm` whose payload block
 * is `block`. */
static void complete_receive(struct keeper *k, const struct chan_sub *sub, int64_t comm,
                             const void *block, const MPI_Status *status)
{
    struct chan_cmp cmp = keeper_completion(sub);
    fill_status(&cmp, status);
    cmp.rc = status->MPI_ERROR;
    if (!cmp.cancelled && status->MPI_SOURCE != MPI_PROC_NULL && cmp.rc == MPI_SUCCESS)
        arrived(k, block, (size_t)cmp.bytes + WIRE_HEADER_BYTES, comm, status->MPI_SOURCE,
                status->MPI_TAG);
    keeper_complete(k, &cmp);
}

static void recv_done(struct keeper *k, void *ctx, const MPI_Status *status)
{
    struct p2p_op *op = ctx;
    complete_receive(k, &op->sub, op->sub.arg[0],
                     chan_heap_ptr(keeper_channel(k), (uint64_t)op->sub.arg[3]), status);
    free(op);
}

/* Completes a receive from a queued message (taken: freed here). */
static void receive_queued(struct keeper *k, const struct chan_sub *sub, struct early_msg *m,
                           uint64_t block_off, int64_t capacity)
{
    struct chan_cmp cmp = keeper_completion(sub);
    int64_t payload = (int64_t)m->bytes - WIRE_HEADER_BYTES;
    int64_t copied = payload <= capacity ? payload : capacity;
    memcpy(chan_heap_ptr(keeper_channel(k), block_off), m->wire,
           (size_t)(copied + WIRE_HEADER_BYTES));
    cmp.rc = payload <= capacity ? MPI_SUCCESS : MPI_ERR_TRUNCATE;
    cmp.source = m->source;
    cmp.tag = m->tag;
    cmp.bytes = copied;
    free(m->wire);
    keeper_complete(k, &cmp);
}

static void serve_recv(struct keeper *k, const struct chan_sub *sub)
{
    MPI_Comm comm = keeper_comm(k, sub->arg[0]);
    int count = wire_count(sub->arg[4]);
    if (comm == MPI_COMM_NULL)
        return keeper_complete_rc(k, sub, MPI_ERR_COMM);
    if (count < 0)
        return keeper_complete_rc(k, sub, MPI_ERR_COUNT);
    const struct early_msg *queued =
        sub->arg[1] == WIRE_PROC_NULL ? NULL
                                      : early_queue_find(&early, sub->arg[0], (int32_t)sub->arg[1],
                                                         (int32_t)sub->arg[2]);
    if (queued) {
        struct early_msg m;
        early_queue_take(&early, queued, &m);
        return receive_queued(k, sub, &m, (uint64_t)sub->arg[3], sub->arg[4]);
    }
    void *block = chan_heap_ptr(keeper_channel(k), (uint64_t)sub->arg[3]);
    MPI_Request req;
    int rc = PMPI_Irecv(block, count, MPI_BYTE, mpi_source(sub->arg[1]), mpi_tag(sub->arg[2]),
                        comm, &req);
    if (rc != MPI_SUCCESS)
        return keeper_complete_rc(k, sub, rc);
    keeper_track(k, req, sub->req, recv_done, op_new(k, sub));
}

/* --- probes -------------------------------------------------------------------- */

/* A message MPROBE matched, until its MRECV, out of MPI. */
struct matched {
    int used;
    struct early_msg queued;
};

static struct matched *messages;
static size_t nmessages;

/* Makes room for id `id` in `messages`; returns 0, or -1 (memory). */
static int message_room(size_t id)
{
    if (id < nmessages)
        return 0;
    size_t n = nmessages ? 2 * nmessages : 16;
    while (n <= id)
        n *= 2;
    struct matched *bigger = realloc(messages, n * sizeof *bigger);
    if (!bigger)
        return -1;
    memset(bigger + nmessages, 0, (n - nmessages) * sizeof *bigger);
    messages = bigger;
    nmessages = n;
    return 0;
}

/* Stores a matched message; returns its id, or -1 when memory is short. */
static int64_t message_store(const struct early_msg *m)
{
    size_t id = 0;
    while (id < nmessages && messages[id].used)
        id++;
    if (message_room(id) != 0)
        return -1;
    messages[id] = (struct matched){ .used = 1, .queued = *m };
    return (int64_t)id;
}

/* A probe answered from the early queue. */
static void probe_queued(struct keeper *k, const struct chan_sub *sub, const struct early_msg *q)
{
    struct chan_cmp cmp = keeper_completion(sub);
    cmp.val[0] = 1;
    cmp.source = q->source;
    cmp.tag = q->tag;
    cmp.bytes = (int64_t)q->bytes - WIRE_HEADER_BYTES;
    if (sub->op == WOP_MPROBE) {
        struct early_msg m;
        early_queue_take(&early, q, &m);
        if ((cmp.val[1] = message_store(&m)) < 0) {
            free(m.wire);
            cmp.rc = MPI_ERR_NO_MEM;
        }
    }
    keeper_complete(k, &cmp);
}

/* MPROBE matched `msg` in MPI: takes it out into a matched entry.
 * Returns its id, or -1 with *rc an MPI error. */
static int64_t take_matched(struct keeper *k, int64_t comm, MPI_Message *msg,
                            const MPI_Status *status, int *rc)
{
    int bytes = 0;
    PMPI_Get_count(status, MPI_BYTE, &bytes);
    struct early_msg m = { .comm = comm, .source = status->MPI_SOURCE, .tag = status->MPI_TAG,
                           .wire = malloc(bytes ? (size_t)bytes : 1), .bytes = (size_t)bytes };
    *rc = m.wire ? PMPI_Mrecv(m.wire, bytes, MPI_BYTE, msg, MPI_STATUS_IGNORE) : MPI_ERR_NO_MEM;
    if (*rc != MPI_SUCCESS) {
        free(m.wire);
        return -1;
    }
    arrived(k, m.wire, m.bytes, comm, m.source, m.tag);
    int64_t id = message_store(&m);
    if (id < 0) {
        free(m.wire);
        *rc = MPI_ERR_NO_MEM;
    }
    return id;
}

/* One probe attempt; completes `op` and returns 1 when a message matched
 * (or the probe was non-blocking), else 0. */
static int try_probe(struct keeper *k, void *ctx)
{
    struct p2p_op *op = ctx;
    const struct chan_sub *sub = &op->sub;
    const struct early_msg *q =
        sub->arg[1] == WIRE_PROC_NULL ? NULL
                                      : early_queue_find(&early, sub->arg[0], (int32_t)sub->arg[1],
                                                         (int32_t)sub->arg[2]);
    if (q) {
        probe_queued(k, sub, q);
        free(op);
        return 1;
    }
    MPI_Comm comm = keeper_comm(k, sub->arg[0]);
    int flag = 0, matched_probe = sub->op == WOP_MPROBE;
    MPI_Status status;
    MPI_Message msg = MPI_MESSAGE_NULL;
    int rc = matched_probe
        ? PMPI_Improbe(mpi_source(sub->arg[1]), mpi_tag(sub->arg[2]), comm, &flag, &msg, &status)
        : PMPI_Iprobe(mpi_source(sub->arg[1]), mpi_tag(sub->arg[2]), comm, &flag, &status);
    if (rc == MPI_SUCCESS && !flag && sub->arg[3])
        return 0;
    struct chan_cmp cmp = keeper_completion(sub);
    cmp.rc = rc;
    cmp.val[0] = flag;
    if (rc == MPI_SUCCESS && flag) {
        status.MPI_ERROR = MPI_SUCCESS;
        fill_status(&cmp, &status);
        if (matched_probe && status.MPI_SOURCE != MPI_PROC_NULL)
            cmp.val[1] = take_matched(k, sub->arg[0], &msg, &status, &cmp.rc);
    }
    keeper_complete(k, &cmp);
    free(op);
    return 1;
}

static void serve_probe(struct keeper *k, const struct chan_sub *sub)
{
    if (keeper_comm(k, sub->arg[0]) == MPI_COMM_NULL)
        return keeper_complete_rc(k, sub, MPI_ERR_COMM);
    struct p2p_op *op = op_new(k, sub);
    if (!try_probe(k, op))
        keeper_poll_until(k, try_probe, op);
}

static void serve_mrecv(struct keeper *k, const struct chan_sub *sub)
{
    int64_t id = sub->arg[0];
    int count = wire_count(sub->arg[2]);
    if (id < 0 || (size_t)id >= nmessages || !messages[id].used)
        return keeper_complete_rc(k, sub, MPI_ERR_REQUEST);
    if (count < 0)
        return keeper_complete_rc(k, sub, MPI_ERR_COUNT);
    messages[id].used = 0;
    receive_queued(k, sub, &messages[id].queued, (uint64_t)sub->arg[1], sub->arg[2]);
}

static void serve_cancel(struct keeper *k, const struct chan_sub *sub)
{
    /* Nothing to cancel is not an error: the operation may have finished. */
    keeper_cancel(k, (uint64_t)sub->arg[0]);
    keeper_complete_rc(k, sub, MPI_SUCCESS);
}

/* --- the early queue ------------------------------------------------------------- */

size_t p2p_drain(struct keeper *k)
{
    size_t drained = 0, ncomms = keeper_comm_capacity(k);
    for (size_t id = 0; id < ncomms; id++) {
        MPI_Comm comm = keeper_comm(k, (int64_t)id);
        if (comm == MPI_COMM_NULL)
            continue;
        for (;;) {
            int flag = 0, count = 0;
            MPI_Message msg;
            MPI_Status status;
            if (PMPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &msg, &status) !=
                    MPI_SUCCESS || !flag)
                break;
            PMPI_Get_count(&status, MPI_BYTE, &count);
            void *wire = malloc(count > 0 ? (size_t)count : 1);
            if (!wire) {
                keeper_say(k, "out of memory draining a message");
                keeper_abort(k, MPI_COMM_WORLD, 1);
            }
            PMPI_Mrecv(wire, count, MPI_BYTE, &msg, MPI_STATUS_IGNORE);
            arrived(k, wire, (size_t)count, (int64_t)id, status.MPI_SOURCE, status.MPI_TAG);
            if (early_queue_push(&early, (int64_t)id, status.MPI_SOURCE, status.MPI_TAG, wire,
                                 (size_t)count) != 0) {
                keeper_say(k, "out of memory queueing a drained message");
                keeper_abort(k, MPI_COMM_WORLD, 1);
            }
            drained++;
        }
    }
    return drained;
}

int p2p_queue_message(int64_t comm, int source, int tag, const void *wire, size_t bytes)
{
    void *copy = malloc(bytes ? bytes : 1);
    if (!copy)
        return -1;
    memcpy(copy, wire, bytes);
    if (early_queue_push(&early, comm, source, tag, copy, bytes) != 0) {
        free(copy);
        return -1;
    }
    return 0;
}

int p2p_foreach_queued(int (*fn)(const struct early_msg *msg, void *arg), void *arg)
{
    return early_queue_foreach(&early, fn, arg);
}

int p2p_foreach_matched(int (*fn)(int64_t id, const struct early_msg *msg, void *arg), void *arg)
{
    for (size_t id = 0; id < nmessages; id++)
        if (messages[id].used) {
            int rc = fn((int64_t)id, &messages[id].queued, arg);
            if (rc != 0)
                return rc;
        }
    return 0;
}

int64_t p2p_matched_comm(int64_t id)
{
    return id >= 0 && (size_t)id < nmessages ? messages[id].queued.comm : -1;
}

int p2p_restore_matched(int64_t id, int64_t comm, int source, int tag, const void *wire,
                        size_t bytes)
{
    void *copy = malloc(bytes ? bytes : 1);
    if (id < 0 || !copy || message_room((size_t)id) != 0 || messages[id].used) {
        free(copy);
        return -1;
    }
    memcpy(copy, wire, bytes);
    messages[id] = (struct matched){ .used = 1, .queued = { comm, source, tag, copy, bytes } };
    return 0;
}

void p2p_reset(void)
{
    early_queue_clear(&early);
    for (size_t i = 0; i < nmessages; i++)
        if (messages[i].used)
            free(messages[i].queued.wire);
    memset(messages, 0, nmessages * sizeof *messages);
}

void keeper_register_p2p(struct keeper *k)
{
    p2p_reset();
    keeper_register(k, WOP_SEND, serve_send);
    keeper_register(k, WOP_RECV, serve_recv);
    keeper_register(k, WOP_PROBE, serve_probe);
    keeper_register(k, WOP_MPROBE, serve_probe);
    keeper_register(k, WOP_MRECV, serve_mrecv);
    keeper_register(k, WOP_CANCEL, serve_cancel);
}
