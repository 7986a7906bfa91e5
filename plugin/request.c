/*
 * request.c — creation, handles and the two lifetimes of request objects
 * (see request.h).
 */
#include "plugin/request.h"

#include <stdlib.h>

#include "common/offset_heap.h"
#include "plugin/client.h"
#include "plugin/comm.h"
#include "plugin/datatype.h"

struct mk_request *request_new(enum mk_request_kind kind)
{
    struct mk_request *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->magic = MK_REQUEST_MAGIC;
    r->kind = kind;
    r->block = OFFSET_HEAP_NONE;
    request_empty_status(&r->status);
    return r;
}

MPI_Request request_handle(struct mk_request *r)
{
    return (MPI_Request)(void *)r;
}

struct mk_request *request_get(MPI_Request handle)
{
    if (handle == MPI_REQUEST_NULL || handle == NULL)
        return NULL;
    struct mk_request *r = (struct mk_request *)(void *)handle;
    return r->magic == MK_REQUEST_MAGIC ? r : NULL;
}

void request_free_block(struct mk_request *r)
{
    if (r->block != OFFSET_HEAP_NONE) {
        client_free(r->block, r->block_bytes);
        r->block = OFFSET_HEAP_NONE;
    }
}

void request_set_comm(struct mk_request *r, struct mk_comm *comm)
{
    if (comm)
        comm_retain(comm);
    if (r->comm)
        comm_release(r->comm);
    r->comm = comm;
}

void request_drop_args(struct mk_request *r)
{
    if (r->type)
        dt_release(r->type);
    r->type = NULL;
    request_set_comm(r, NULL);
}

static void destroy(struct mk_request *r)
{
    request_free_block(r);
    request_drop_args(r);
    if (r->extra && r->free_extra)
        r->free_extra(r->extra);
    r->magic = 0;
    free(r);
}

void request_release(struct mk_request *r)
{
    r->released = 1;
    if (!r->in_flight)
        destroy(r);
}

void request_completed(struct mk_request *r)
{
    r->in_flight = 0;
    if (r->on_complete)
        r->on_complete(r);
    else
        r->complete = 1;
    if (r->released && !r->in_flight)
        destroy(r);
}

void request_empty_status(MPI_Status *status)
{
    status->MPI_SOURCE = MPI_ANY_SOURCE;
    status->MPI_TAG = MPI_ANY_TAG;
    status->MPI_ERROR = MPI_SUCCESS;
    status->_cancelled = 0;
    status->_ucount = 0;
}

void request_copy_status(const struct mk_request *r, MPI_Status *status)
{
    if (status == MPI_STATUS_IGNORE)
        return;
    /* MPI: single-completion calls leave MPI_ERROR alone; the multiple-
     * completion calls set it themselves when they return
     * MPI_ERR_IN_STATUS. */
    int error = status->MPI_ERROR;
    *status = r->status;
    status->MPI_ERROR = error;
}
