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
 * Invariant: a matched message handed out by MPROBE lives in `messages` until
 * its MRECV; its id is its index there.
 */
#include <limits.h>
#include <stdlib.h>

#include "launcher/keeper.h"
#include "launcher/protocol.h"

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
    keeper_protocol(k)->on_send(block, dest);

    MPI_Request req;
    int rc = sub->arg[5] == WIRE_SEND_SYNCHRONOUS
        ? PMPI_Issend(block, count, MPI_BYTE, dest, (int)sub->arg[2], comm, &req)
        : PMPI_Isend(block, count, MPI_BYTE, dest, (int)sub->arg[2], comm, &req);
    if (rc != MPI_SUCCESS)
        return keeper_complete_rc(k, sub, rc);
    keeper_track(k, req, sub->req, send_done, op_new(k, sub));
}

/* --- receive ------------------------------------------------------------------ */

/* Completes a receive-like operation whose payload block is `block`. */
static void complete_receive(struct keeper *k, const struct chan_sub *sub, const void *block,
                             const MPI_Status *status)
{
    struct chan_cmp cmp = keeper_completion(sub);
    fill_status(&cmp, status);
    cmp.rc = status->MPI_ERROR;
    if (!cmp.cancelled && status->MPI_SOURCE != MPI_PROC_NULL && cmp.rc == MPI_SUCCESS &&
        keeper_protocol(k)->on_deliver(block, status->MPI_SOURCE) == DELIVER_REJECT_FOREIGN) {
        keeper_say(k, "a message from rank %d was not sent through mpickpt (every rank must run "
                   "under mpickpt-run or with libmpickpt.so preloaded)", status->MPI_SOURCE);
        keeper_abort(k, MPI_COMM_WORLD, 1);
    }
    keeper_complete(k, &cmp);
}

static void recv_done(struct keeper *k, void *ctx, const MPI_Status *status)
{
    struct p2p_op *op = ctx;
    complete_receive(k, &op->sub, chan_heap_ptr(keeper_channel(k), (uint64_t)op->sub.arg[3]), status);
    free(op);
}

static void serve_recv(struct keeper *k, const struct chan_sub *sub)
{
    MPI_Comm comm = keeper_comm(k, sub->arg[0]);
    int count = wire_count(sub->arg[4]);
    if (comm == MPI_COMM_NULL)
        return keeper_complete_rc(k, sub, MPI_ERR_COMM);
    if (count < 0)
        return keeper_complete_rc(k, sub, MPI_ERR_COUNT);
    void *block = chan_heap_ptr(keeper_channel(k), (uint64_t)sub->arg[3]);
    MPI_Request req;
    int rc = PMPI_Irecv(block, count, MPI_BYTE, mpi_source(sub->arg[1]), mpi_tag(sub->arg[2]),
                        comm, &req);
    if (rc != MPI_SUCCESS)
        return keeper_complete_rc(k, sub, rc);
    keeper_track(k, req, sub->req, recv_done, op_new(k, sub));
}

/* --- probes -------------------------------------------------------------------- */

static MPI_Message *messages;
static size_t nmessages;

/* Stores a matched message; returns its id, or -1 when memory is short. */
static int64_t message_store(MPI_Message msg)
{
    for (size_t i = 0; i < nmessages; i++)
        if (messages[i] == MPI_MESSAGE_NULL) {
            messages[i] = msg;
            return (int64_t)i;
        }
    size_t n = nmessages ? 2 * nmessages : 16;
    MPI_Message *bigger = realloc(messages, n * sizeof *bigger);
    if (!bigger)
        return -1;
    for (size_t i = nmessages; i < n; i++)
        bigger[i] = MPI_MESSAGE_NULL;
    size_t id = nmessages;
    messages = bigger;
    messages[id] = msg;
    nmessages = n;
    return (int64_t)id;
}

/* One probe attempt; completes `op` and returns 1 when a message matched
 * (or the probe was non-blocking), else 0. */
static int try_probe(struct keeper *k, void *ctx)
{
    struct p2p_op *op = ctx;
    const struct chan_sub *sub = &op->sub;
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
        if (matched_probe && (cmp.val[1] = message_store(msg)) < 0)
            cmp.rc = MPI_ERR_NO_MEM;
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
    if (id < 0 || (size_t)id >= nmessages || messages[id] == MPI_MESSAGE_NULL)
        return keeper_complete_rc(k, sub, MPI_ERR_REQUEST);
    if (count < 0)
        return keeper_complete_rc(k, sub, MPI_ERR_COUNT);
    void *block = chan_heap_ptr(keeper_channel(k), (uint64_t)sub->arg[1]);
    MPI_Request req;
    int rc = PMPI_Imrecv(block, count, MPI_BYTE, &messages[id], &req);
    messages[id] = MPI_MESSAGE_NULL;
    if (rc != MPI_SUCCESS)
        return keeper_complete_rc(k, sub, rc);
    struct p2p_op *op = op_new(k, sub);
    /* recv_done reads the block offset from arg[3]: put it there. */
    op->sub.arg[3] = sub->arg[1];
    keeper_track(k, req, sub->req, recv_done, op);
}

static void serve_cancel(struct keeper *k, const struct chan_sub *sub)
{
    /* Nothing to cancel is not an error: the operation may have finished. */
    keeper_cancel(k, (uint64_t)sub->arg[0]);
    keeper_complete_rc(k, sub, MPI_SUCCESS);
}

void keeper_register_p2p(struct keeper *k)
{
    keeper_register(k, WOP_SEND, serve_send);
    keeper_register(k, WOP_RECV, serve_recv);
    keeper_register(k, WOP_PROBE, serve_probe);
    keeper_register(k, WOP_MPROBE, serve_probe);
    keeper_register(k, WOP_MRECV, serve_mrecv);
    keeper_register(k, WOP_CANCEL, serve_cancel);
}
