/*
 * p2p.c — starting sends and receives through the channel (see p2p.h).
 */
#include "plugin/p2p.h"

#include <string.h>

#include "common/offset_heap.h"
#include "common/wire.h"
#include "plugin/client.h"
#include "plugin/comm.h"
#include "plugin/datatype.h"
#include "plugin/errors.h"
#include "plugin/types.h"

int p2p_check(MPI_Comm comm, MPI_Datatype type, int count, int peer, int tag, int receive,
              struct mk_comm **c, struct dt_type **t)
{
    *c = comm_get(comm);
    if (!*c)
        return MPI_ERR_COMM;
    *t = type_get(type);
    if (!*t || (type_derived(type) && !dt_is_committed(*t)))
        return MPI_ERR_TYPE;
    if (count < 0)
        return MPI_ERR_COUNT;
    if (peer != MPI_PROC_NULL && !(receive && peer == MPI_ANY_SOURCE) &&
        (peer < 0 || peer >= (*c)->size))
        return MPI_ERR_RANK;
    if (!(receive && tag == MPI_ANY_TAG) && tag < 0)
        return MPI_ERR_TAG;
    return MPI_SUCCESS;
}

static void set_args(struct mk_request *r, void *buf, int count, struct dt_type *type,
                     struct mk_comm *comm, int peer, int tag)
{
    r->buf = buf;
    r->count = count;
    if (r->type)
        dt_release(r->type);
    r->type = dt_retain(type);
    request_set_comm(r, comm);
    r->peer = peer;
    r->tag = tag;
}

void p2p_prepare_send(struct mk_request *r, const void *buf, int count, struct dt_type *type,
                      struct mk_comm *comm, int dest, int tag, int mode)
{
    set_args(r, NULL, count, type, comm, dest, tag);
    r->sendbuf = buf;
    r->send_mode = mode;
}

void p2p_prepare_recv(struct mk_request *r, void *buf, int count, struct dt_type *type,
                      struct mk_comm *comm, int source, int tag)
{
    set_args(r, buf, count, type, comm, source, tag);
}

static int64_t wire_peer(int peer)
{
    return peer == MPI_ANY_SOURCE ? WIRE_ANY_SOURCE : peer == MPI_PROC_NULL ? WIRE_PROC_NULL : peer;
}

/* --- sends ---------------------------------------------------------------- */

static void wire_send_done(struct mk_request *w)
{
    request_free_block(w);
    w->status.MPI_ERROR = w->cmp.rc;
    w->status._cancelled = w->cmp.cancelled;
    w->complete = 1;
}

/* The channel operation of a standard send, owned by nobody but itself. */
static void detached_send_done(struct mk_request *w)
{
    wire_send_done(w);
    if (w->cmp.rc != MPI_SUCCESS)
        mk_error(w->comm, w->cmp.rc, "MPI_Send (completing)");
}

/* Packs r's data behind a header in a new block of `w` and submits it. */
static int submit_send(struct mk_request *r, struct mk_request *w)
{
    size_t bytes = dt_size(r->type) * (size_t)r->count;
    uint64_t block = client_alloc((uint64_t)WIRE_HEADER_BYTES + bytes);
    if (block == OFFSET_HEAP_NONE)
        return MPI_ERR_NO_MEM;
    w->block = block;
    w->block_bytes = (uint64_t)WIRE_HEADER_BYTES + bytes;
    unsigned char *data = (unsigned char *)client_ptr(block) + WIRE_HEADER_BYTES;
    if (bytes > 0 && dt_pack(r->type, (size_t)r->count, r->sendbuf, data, bytes) != 0)
        return MPI_ERR_TYPE;
    struct chan_sub sub = { .op = WOP_SEND,
                            .arg = { r->comm->id, r->peer, r->tag, (int64_t)block,
                                     (int64_t)bytes, r->send_mode } };
    client_submit(w, &sub);
    return MPI_SUCCESS;
}

static int start_send(struct mk_request *r)
{
    request_empty_status(&r->status);
    if (r->peer == MPI_PROC_NULL) {
        r->complete = 1;
        return MPI_SUCCESS;
    }
    if (r->send_mode == WIRE_SEND_SYNCHRONOUS) {
        r->complete = 0;
        r->on_complete = wire_send_done;
        return submit_send(r, r);
    }
    /* Standard mode: complete now; the wire operation lives on alone. */
    struct mk_request *w = request_new(MKR_SEND);
    if (!w)
        return MPI_ERR_NO_MEM;
    request_set_comm(w, r->comm);
    w->on_complete = detached_send_done;
    w->released = 1;
    int rc = submit_send(r, w);
    if (rc != MPI_SUCCESS) {
        request_free_block(w);
        request_release(w);
        return rc;
    }
    r->complete = 1;
    return MPI_SUCCESS;
}

/* --- receives ---------------------------------------------------------------- */

static void recv_done(struct mk_request *r)
{
    const struct chan_cmp *cmp = &r->cmp;
    r->status.MPI_SOURCE = cmp->source == WIRE_PROC_NULL ? MPI_PROC_NULL : cmp->source;
    r->status.MPI_TAG = cmp->tag == WIRE_ANY_TAG ? MPI_ANY_TAG : cmp->tag;
    r->status.MPI_ERROR = cmp->rc;
    r->status._cancelled = cmp->cancelled;
    r->status._ucount = (size_t)cmp->bytes;
    if (!cmp->cancelled && cmp->bytes > 0) {
        const unsigned char *data = (unsigned char *)client_ptr(r->block) + WIRE_HEADER_BYTES;
        /* A message shorter than the buffer fills only its first bytes. */
        dt_unpack_range(data, 0, (size_t)cmp->bytes, r->type, (size_t)r->count, r->buf);
    }
    request_free_block(r);
    r->complete = 1;
}

static int alloc_recv_block(struct mk_request *r)
{
    size_t capacity = dt_size(r->type) * (size_t)r->count;
    uint64_t block = client_alloc((uint64_t)WIRE_HEADER_BYTES + capacity);
    if (block == OFFSET_HEAP_NONE)
        return MPI_ERR_NO_MEM;
    r->block = block;
    r->block_bytes = (uint64_t)WIRE_HEADER_BYTES + capacity;
    return MPI_SUCCESS;
}

static int start_recv(struct mk_request *r)
{
    request_empty_status(&r->status);
    r->complete = 0;
    if (r->peer == MPI_PROC_NULL) {
        r->status.MPI_SOURCE = MPI_PROC_NULL;
        r->complete = 1;
        return MPI_SUCCESS;
    }
    int rc = alloc_recv_block(r);
    if (rc != MPI_SUCCESS)
        return rc;
    r->on_complete = recv_done;
    struct chan_sub sub = { .op = WOP_RECV,
                            .arg = { r->comm->id, wire_peer(r->peer),
                                     r->tag == MPI_ANY_TAG ? WIRE_ANY_TAG : r->tag,
                                     (int64_t)r->block,
                                     (int64_t)(r->block_bytes - WIRE_HEADER_BYTES) } };
    client_submit(r, &sub);
    return MPI_SUCCESS;
}

int p2p_start(struct mk_request *r)
{
    if (r->persistent)
        r->active = 1;
    return r->kind == MKR_SEND ? start_send(r) : start_recv(r);
}

int p2p_start_mrecv(struct mk_request *r, int64_t message_id)
{
    request_empty_status(&r->status);
    r->complete = 0;
    int rc = alloc_recv_block(r);
    if (rc != MPI_SUCCESS)
        return rc;
    r->on_complete = recv_done;
    struct chan_sub sub = { .op = WOP_MRECV,
                            .arg = { message_id, (int64_t)r->block,
                                     (int64_t)(r->block_bytes - WIRE_HEADER_BYTES) } };
    client_submit(r, &sub);
    return MPI_SUCCESS;
}
