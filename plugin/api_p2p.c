/*
 * api_p2p.c — MPI's point-to-point entries in the compute process: blocking
 * and non-blocking sends in every mode, receives, Sendrecv(_replace),
 * probes and matched probes, and the attached buffer of buffered mode.
 *
 * Modes: the data of every send is copied into the channel when the call
 * starts, so standard, buffered and ready sends are all carried as standard
 * sends (each is complete when the call returns, which MPI allows) and only
 * synchronous sends wait for the match. The attached buffer is kept for
 * MPI_Buffer_detach's sake; the data never needs it.
 */
#include <stdlib.h>

#include "common/wire.h"
#include "plugin/client.h"
#include "plugin/comm.h"
#include "plugin/datatype.h"
#include "plugin/errors.h"
#include "plugin/p2p.h"
#include "plugin/request.h"
#include "plugin/types.h"

/* --- helpers -------------------------------------------------------------- */

static int request_done(void *ctx)
{
    return ((struct mk_request *)ctx)->complete;
}

/* Runs a blocking operation on a request on the stack. */
static int run_blocking(struct mk_request *r, MPI_Status *status, const char *fn)
{
    int rc = p2p_start(r);
    if (rc == MPI_SUCCESS) {
        client_wait_until(request_done, r);
        rc = r->status.MPI_ERROR;
        request_copy_status(r, status);
    }
    struct mk_comm *c = r->comm;
    request_drop_args(r);
    return rc == MPI_SUCCESS ? rc : mk_error(c, rc, fn);
}

static int blocking_send(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                         MPI_Comm comm, int mode, const char *fn)
{
    mk_require_init(fn);
    struct mk_comm *c;
    struct dt_type *t;
    int rc = p2p_check(comm, type, count, dest, tag, 0, &c, &t);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, fn);
    struct mk_request r = { .magic = MK_REQUEST_MAGIC, .kind = MKR_SEND };
    p2p_prepare_send(&r, buf, count, t, c, dest, tag, mode);
    return run_blocking(&r, MPI_STATUS_IGNORE, fn);
}

static int nonblocking(struct mk_request *r, MPI_Request *request, const char *fn)
{
    int rc = p2p_start(r);
    if (rc != MPI_SUCCESS) {
        struct mk_comm *c = r->comm;
        request_release(r);
        *request = MPI_REQUEST_NULL;
        return mk_error(c, rc, fn);
    }
    *request = request_handle(r);
    return MPI_SUCCESS;
}

static int nonblocking_send(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                            MPI_Comm comm, int mode, MPI_Request *request, const char *fn)
{
    mk_require_init(fn);
    struct mk_comm *c;
    struct dt_type *t;
    int rc = p2p_check(comm, type, count, dest, tag, 0, &c, &t);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, fn);
    struct mk_request *r = request_new(MKR_SEND);
    if (!r)
        return mk_error(c, MPI_ERR_NO_MEM, fn);
    p2p_prepare_send(r, buf, count, t, c, dest, tag, mode);
    return nonblocking(r, request, fn);
}

/* --- sends ---------------------------------------------------------------- */

int MPI_Send(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
{
    return blocking_send(buf, count, type, dest, tag, comm, WIRE_SEND_STANDARD, "MPI_Send");
}

int MPI_Bsend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
{
    return blocking_send(buf, count, type, dest, tag, comm, WIRE_SEND_STANDARD, "MPI_Bsend");
}

int MPI_Rsend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
{
    return blocking_send(buf, count, type, dest, tag, comm, WIRE_SEND_STANDARD, "MPI_Rsend");
}

int MPI_Ssend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm)
{
    return blocking_send(buf, count, type, dest, tag, comm, WIRE_SEND_SYNCHRONOUS, "MPI_Ssend");
}

int MPI_Isend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm,
              MPI_Request *request)
{
    return nonblocking_send(buf, count, type, dest, tag, comm, WIRE_SEND_STANDARD, request,
                            "MPI_Isend");
}

int MPI_Ibsend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm,
               MPI_Request *request)
{
    return nonblocking_send(buf, count, type, dest, tag, comm, WIRE_SEND_STANDARD, request,
                            "MPI_Ibsend");
}

int MPI_Irsend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm,
               MPI_Request *request)
{
    return nonblocking_send(buf, count, type, dest, tag, comm, WIRE_SEND_STANDARD, request,
                            "MPI_Irsend");
}

int MPI_Issend(const void *buf, int count, MPI_Datatype type, int dest, int tag, MPI_Comm comm,
               MPI_Request *request)
{
    return nonblocking_send(buf, count, type, dest, tag, comm, WIRE_SEND_SYNCHRONOUS, request,
                            "MPI_Issend");
}

/* --- receives ---------------------------------------------------------------- */

int MPI_Recv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm,
             MPI_Status *status)
{
    mk_require_init("MPI_Recv");
    struct mk_comm *c;
    struct dt_type *t;
    int rc = p2p_check(comm, type, count, source, tag, 1, &c, &t);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, "MPI_Recv");
    struct mk_request r = { .magic = MK_REQUEST_MAGIC, .kind = MKR_RECV };
    p2p_prepare_recv(&r, buf, count, t, c, source, tag);
    return run_blocking(&r, status, "MPI_Recv");
}

int MPI_Irecv(void *buf, int count, MPI_Datatype type, int source, int tag, MPI_Comm comm,
              MPI_Request *request)
{
    mk_require_init("MPI_Irecv");
    struct mk_comm *c;
    struct dt_type *t;
    int rc = p2p_check(comm, type, count, source, tag, 1, &c, &t);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, "MPI_Irecv");
    struct mk_request *r = request_new(MKR_RECV);
    if (!r)
        return mk_error(c, MPI_ERR_NO_MEM, "MPI_Irecv");
    p2p_prepare_recv(r, buf, count, t, c, source, tag);
    return nonblocking(r, request, "MPI_Irecv");
}

int MPI_Sendrecv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int dest,
                 int sendtag, void *recvbuf, int recvcount, MPI_Datatype recvtype, int source,
                 int recvtag, MPI_Comm comm, MPI_Status *status)
{
    mk_require_init("MPI_Sendrecv");
    struct mk_comm *c;
    struct dt_type *st, *rt;
    int rc = p2p_check(comm, sendtype, sendcount, dest, sendtag, 0, &c, &st);
    if (rc == MPI_SUCCESS)
        rc = p2p_check(comm, recvtype, recvcount, source, recvtag, 1, &c, &rt);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, "MPI_Sendrecv");
    /* Receive posted first, then the send: neither can block the other. */
    struct mk_request recv = { .magic = MK_REQUEST_MAGIC, .kind = MKR_RECV };
    struct mk_request send = { .magic = MK_REQUEST_MAGIC, .kind = MKR_SEND };
    p2p_prepare_recv(&recv, recvbuf, recvcount, rt, c, source, recvtag);
    p2p_prepare_send(&send, sendbuf, sendcount, st, c, dest, sendtag, WIRE_SEND_STANDARD);
    rc = p2p_start(&recv);
    if (rc == MPI_SUCCESS) {
        rc = run_blocking(&send, MPI_STATUS_IGNORE, "MPI_Sendrecv");
        client_wait_until(request_done, &recv);
        if (rc == MPI_SUCCESS)
            rc = recv.status.MPI_ERROR;
        request_copy_status(&recv, status);
    } else {
        request_drop_args(&send);
    }
    request_drop_args(&recv);
    return rc == MPI_SUCCESS ? rc : mk_error(c, rc, "MPI_Sendrecv");
}

int MPI_Sendrecv_replace(void *buf, int count, MPI_Datatype type, int dest, int sendtag,
                         int source, int recvtag, MPI_Comm comm, MPI_Status *status)
{
    /* The send packs `buf` before the receive can write into it, so one
     * buffer serves both. */
    return MPI_Sendrecv(buf, count, type, dest, sendtag, buf, count, type, source, recvtag,
                        comm, status);
}

/* --- probes ------------------------------------------------------------------ */

/* Fills an MPI status from a probe's completion. */
static void probe_status(const struct chan_cmp *cmp, MPI_Status *status)
{
    if (status == MPI_STATUS_IGNORE)
        return;
    request_empty_status(status);
    status->MPI_SOURCE = cmp->source == WIRE_PROC_NULL ? MPI_PROC_NULL : cmp->source;
    status->MPI_TAG = cmp->tag == WIRE_ANY_TAG ? MPI_ANY_TAG : cmp->tag;
    status->_ucount = (size_t)cmp->bytes;
}

/* One probe through the keeper; returns an MPI error class. */
static int probe(int op, int source, int tag, MPI_Comm comm, int blocking, int *flag,
                 int64_t *message, MPI_Status *status, const char *fn)
{
    mk_require_init(fn);
    struct mk_comm *c = comm_get(comm);
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    if (source != MPI_ANY_SOURCE && source != MPI_PROC_NULL && (source < 0 || source >= c->size))
        return mk_error(c, MPI_ERR_RANK, fn);
    if (source == MPI_PROC_NULL) {
        /* MPI: a probe of MPI_PROC_NULL matches at once, empty. */
        *flag = 1;
        if (message)
            *message = -1;
        if (status != MPI_STATUS_IGNORE) {
            request_empty_status(status);
            status->MPI_SOURCE = MPI_PROC_NULL;
        }
        return MPI_SUCCESS;
    }
    struct chan_sub sub = { .op = (uint32_t)op,
                            .arg = { c->id, source == MPI_ANY_SOURCE ? WIRE_ANY_SOURCE : source,
                                     tag == MPI_ANY_TAG ? WIRE_ANY_TAG : tag, blocking } };
    struct chan_cmp cmp = client_call(&sub);
    if (cmp.rc != MPI_SUCCESS)
        return mk_error(c, cmp.rc, fn);
    *flag = (int)cmp.val[0];
    if (*flag) {
        probe_status(&cmp, status);
        if (message)
            *message = cmp.val[1];
    }
    return MPI_SUCCESS;
}

int MPI_Probe(int source, int tag, MPI_Comm comm, MPI_Status *status)
{
    int flag;
    return probe(WOP_PROBE, source, tag, comm, 1, &flag, NULL, status, "MPI_Probe");
}

int MPI_Iprobe(int source, int tag, MPI_Comm comm, int *flag, MPI_Status *status)
{
    return probe(WOP_PROBE, source, tag, comm, 0, flag, NULL, status, "MPI_Iprobe");
}

/* --- matched probes ------------------------------------------------------------- */

/* What an MPI_Message of the app points to. MPI_MESSAGE_NO_PROC stands for
 * a probe of MPI_PROC_NULL. */
struct mk_message {
    uint32_t magic;
    int64_t id;                /* the keeper's id */
    struct mk_comm *comm;
};

#define MK_MESSAGE_MAGIC 0x4d4b4d53u /* "MKMS" */

static int matched_probe(int source, int tag, MPI_Comm comm, int blocking, int *flag,
                         MPI_Message *message, MPI_Status *status, const char *fn)
{
    int64_t id = -1;
    int rc = probe(WOP_MPROBE, source, tag, comm, blocking, flag, &id, status, fn);
    if (rc != MPI_SUCCESS || !*flag)
        return rc;
    if (id < 0) {
        *message = MPI_MESSAGE_NO_PROC;
        return MPI_SUCCESS;
    }
    struct mk_message *m = malloc(sizeof *m);
    if (!m)
        return mk_error(comm_get(comm), MPI_ERR_NO_MEM, fn);
    *m = (struct mk_message){ MK_MESSAGE_MAGIC, id, comm_get(comm) };
    *message = (MPI_Message)(void *)m;
    return MPI_SUCCESS;
}

int MPI_Mprobe(int source, int tag, MPI_Comm comm, MPI_Message *message, MPI_Status *status)
{
    int flag;
    return matched_probe(source, tag, comm, 1, &flag, message, status, "MPI_Mprobe");
}

int MPI_Improbe(int source, int tag, MPI_Comm comm, int *flag, MPI_Message *message,
                MPI_Status *status)
{
    return matched_probe(source, tag, comm, 0, flag, message, status, "MPI_Improbe");
}

/* Starts the receive of a matched message into a new request. */
static int start_mrecv(void *buf, int count, MPI_Datatype type, MPI_Message *message,
                       struct mk_request **out, const char *fn)
{
    mk_require_init(fn);
    struct dt_type *t = type_get(type);
    struct mk_request *r = request_new(MKR_RECV);
    if (!r)
        return mk_error(NULL, MPI_ERR_NO_MEM, fn);
    if (*message == MPI_MESSAGE_NO_PROC) {
        r->status.MPI_SOURCE = MPI_PROC_NULL;
        r->complete = 1;
        *message = MPI_MESSAGE_NULL;
        *out = r;
        return MPI_SUCCESS;
    }
    struct mk_message *m = (struct mk_message *)(void *)*message;
    if (*message == MPI_MESSAGE_NULL || m->magic != MK_MESSAGE_MAGIC || !t || count < 0) {
        request_release(r);
        return mk_error(NULL, !t ? MPI_ERR_TYPE : count < 0 ? MPI_ERR_COUNT : MPI_ERR_ARG, fn);
    }
    p2p_prepare_recv(r, buf, count, t, m->comm, MPI_ANY_SOURCE, MPI_ANY_TAG);
    int rc = p2p_start_mrecv(r, m->id);
    m->magic = 0;
    free(m);
    *message = MPI_MESSAGE_NULL;
    if (rc != MPI_SUCCESS) {
        struct mk_comm *c = r->comm;
        request_release(r);
        return mk_error(c, rc, fn);
    }
    *out = r;
    return MPI_SUCCESS;
}

int MPI_Mrecv(void *buf, int count, MPI_Datatype type, MPI_Message *message, MPI_Status *status)
{
    struct mk_request *r;
    int rc = start_mrecv(buf, count, type, message, &r, "MPI_Mrecv");
    if (rc != MPI_SUCCESS)
        return rc;
    client_wait_until(request_done, r);
    rc = r->status.MPI_ERROR;
    request_copy_status(r, status);
    struct mk_comm *c = r->comm;
    request_release(r);
    return rc == MPI_SUCCESS ? rc : mk_error(c, rc, "MPI_Mrecv");
}

int MPI_Imrecv(void *buf, int count, MPI_Datatype type, MPI_Message *message,
               MPI_Request *request)
{
    struct mk_request *r;
    int rc = start_mrecv(buf, count, type, message, &r, "MPI_Imrecv");
    *request = rc == MPI_SUCCESS ? request_handle(r) : MPI_REQUEST_NULL;
    return rc;
}

/* --- buffered mode's attached buffer ------------------------------------------- */

static void *attached_buffer;
static int attached_size;

int MPI_Buffer_attach(void *buffer, int size)
{
    mk_require_init("MPI_Buffer_attach");
    if (attached_buffer)
        return mk_error(NULL, MPI_ERR_BUFFER, "MPI_Buffer_attach");
    if (size < 0)
        return mk_error(NULL, MPI_ERR_ARG, "MPI_Buffer_attach");
    attached_buffer = buffer;
    attached_size = size;
    return MPI_SUCCESS;
}

int MPI_Buffer_detach(void *buffer_addr, int *size)
{
    mk_require_init("MPI_Buffer_detach");
    *(void **)buffer_addr = attached_buffer;
    *size = attached_size;
    attached_buffer = NULL;
    attached_size = 0;
    return MPI_SUCCESS;
}
