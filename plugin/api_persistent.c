/*
 * api_persistent.c — MPI's persistent requests in the compute process:
 * MPI_{Send,Bsend,Ssend,Rsend,Recv}_init, MPI_Start, MPI_Startall.
 *
 * A persistent request is the plugin's own business: the keeper sees each
 * MPI_Start as an ordinary send or receive, so nothing about persistence
 * crosses the channel.
 */
#include "common/wire.h"
#include "plugin/errors.h"
#include "plugin/p2p.h"
#include "plugin/request.h"

static int make_persistent(enum mk_request_kind kind, const void *buf, int count,
                           MPI_Datatype type, int peer, int tag, MPI_Comm comm, int mode,
                           MPI_Request *request, const char *fn)
{
    mk_require_init(fn);
    struct mk_comm *c;
    struct dt_type *t;
    int rc = p2p_check(comm, type, count, peer, tag, kind == MKR_RECV, &c, &t);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, fn);
    struct mk_request *r = request_new(kind);
    if (!r)
        return mk_error(c, MPI_ERR_NO_MEM, fn);
    if (kind == MKR_SEND)
        p2p_prepare_send(r, buf, count, t, c, peer, tag, mode);
    else
        p2p_prepare_recv(r, (void *)buf, count, t, c, peer, tag);
    r->persistent = 1;
    *request = request_handle(r);
    return MPI_SUCCESS;
}

int MPI_Send_init(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                  MPI_Comm comm, MPI_Request *request)
{
    return make_persistent(MKR_SEND, buf, count, type, dest, tag, comm, WIRE_SEND_STANDARD,
                           request, "MPI_Send_init");
}

int MPI_Bsend_init(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                   MPI_Comm comm, MPI_Request *request)
{
    return make_persistent(MKR_SEND, buf, count, type, dest, tag, comm, WIRE_SEND_STANDARD,
                           request, "MPI_Bsend_init");
}

int MPI_Rsend_init(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                   MPI_Comm comm, MPI_Request *request)
{
    return make_persistent(MKR_SEND, buf, count, type, dest, tag, comm, WIRE_SEND_STANDARD,
                           request, "MPI_Rsend_init");
}

int MPI_Ssend_init(const void *buf, int count, MPI_Datatype type, int dest, int tag,
                   MPI_Comm comm, MPI_Request *request)
{
    return make_persistent(MKR_SEND, buf, count, type, dest, tag, comm, WIRE_SEND_SYNCHRONOUS,
                           request, "MPI_Ssend_init");
}

int MPI_Recv_init(void *buf, int count, MPI_Datatype type, int source, int tag,
                  MPI_Comm comm, MPI_Request *request)
{
    return make_persistent(MKR_RECV, buf, count, type, source, tag, comm, 0, request,
                           "MPI_Recv_init");
}

int MPI_Start(MPI_Request *request)
{
    mk_require_init("MPI_Start");
    struct mk_request *r = request_get(*request);
    if (!r || !r->persistent || r->active)
        return mk_error(r ? r->comm : NULL, MPI_ERR_REQUEST, "MPI_Start");
    int rc = p2p_start(r);
    return rc == MPI_SUCCESS ? rc : mk_error(r->comm, rc, "MPI_Start");
}

int MPI_Startall(int count, MPI_Request requests[])
{
    for (int i = 0; i < count; i++) {
        int rc = MPI_Start(&requests[i]);
        if (rc != MPI_SUCCESS)
            return rc;
    }
    return MPI_SUCCESS;
}
