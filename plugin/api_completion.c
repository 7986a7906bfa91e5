/*
 * api_completion.c — MPI's completion entries in the compute process:
 * Wait/Test and their any/all/some forms, MPI_Request_free,
 * MPI_Request_get_status, MPI_Cancel.
 *
 * Rules kept here (MPI-3.1 §3.7): MPI_REQUEST_NULL and inactive persistent
 * requests count as complete with an empty status; a completed
 * non-persistent request is released and its handle set to
 * MPI_REQUEST_NULL; a completed persistent one becomes inactive. The
 * multiple-completion calls report per-request errors with
 * MPI_ERR_IN_STATUS.
 */
#include "common/wire.h"
#include "plugin/client.h"
#include "plugin/comm.h"
#include "plugin/errors.h"
#include "plugin/request.h"

/* A request that takes part in completion: live and, if persistent, active. */
static struct mk_request *active_request(MPI_Request handle)
{
    struct mk_request *r = request_get(handle);
    if (r && r->persistent && !r->active)
        return NULL;
    return r;
}

/* Hands a completed request's status to the app and retires the request
 * (persistent: inactive; else released, handle nulled). Returns its error. */
static int retire(MPI_Request *handle, MPI_Status *status)
{
    struct mk_request *r = request_get(*handle);
    int rc = r->status.MPI_ERROR;
    request_copy_status(r, status);
    if (r->persistent) {
        r->active = 0;
    } else {
        request_release(r);
        *handle = MPI_REQUEST_NULL;
    }
    return rc;
}

static void empty(MPI_Status *status)
{
    if (status != MPI_STATUS_IGNORE)
        request_empty_status(status);
}

static MPI_Status *status_at(MPI_Status *statuses, int i)
{
    return statuses == MPI_STATUSES_IGNORE ? MPI_STATUS_IGNORE : &statuses[i];
}

static int one_done(void *ctx)
{
    return ((struct mk_request *)ctx)->complete;
}

static int check_handles(int count, MPI_Request requests[], const char *fn)
{
    for (int i = 0; i < count; i++)
        if (requests[i] != MPI_REQUEST_NULL && !request_get(requests[i]))
            return mk_error(NULL, MPI_ERR_REQUEST, fn);
    return MPI_SUCCESS;
}

/* --- single request ------------------------------------------------------ */

int MPI_Wait(MPI_Request *request, MPI_Status *status)
{
    mk_require_init("MPI_Wait");
    if (*request != MPI_REQUEST_NULL && !request_get(*request))
        return mk_error(NULL, MPI_ERR_REQUEST, "MPI_Wait");
    struct mk_request *r = active_request(*request);
    if (!r) {
        empty(status);
        return MPI_SUCCESS;
    }
    client_wait_until(one_done, r);
    struct mk_comm *c = r->comm;
    int rc = retire(request, status);
    return rc == MPI_SUCCESS ? rc : mk_error(c, rc, "MPI_Wait");
}

int MPI_Test(MPI_Request *request, int *flag, MPI_Status *status)
{
    mk_require_init("MPI_Test");
    if (*request != MPI_REQUEST_NULL && !request_get(*request))
        return mk_error(NULL, MPI_ERR_REQUEST, "MPI_Test");
    struct mk_request *r = active_request(*request);
    if (!r) {
        *flag = 1;
        empty(status);
        return MPI_SUCCESS;
    }
    client_progress();
    *flag = r->complete;
    if (!*flag)
        return MPI_SUCCESS;
    struct mk_comm *c = r->comm;
    int rc = retire(request, status);
    return rc == MPI_SUCCESS ? rc : mk_error(c, rc, "MPI_Test");
}

int MPI_Request_get_status(MPI_Request request, int *flag, MPI_Status *status)
{
    mk_require_init("MPI_Request_get_status");
    struct mk_request *r = active_request(request);
    if (!r) {
        *flag = 1;
        empty(status);
        return MPI_SUCCESS;
    }
    client_progress();
    *flag = r->complete;
    if (*flag)
        request_copy_status(r, status);
    return MPI_SUCCESS;
}

/* --- all ---------------------------------------------------------------------- */

struct many {
    int count;
    MPI_Request *requests;
};

static int all_done(void *ctx)
{
    struct many *m = ctx;
    for (int i = 0; i < m->count; i++) {
        struct mk_request *r = active_request(m->requests[i]);
        if (r && !r->complete)
            return 0;
    }
    return 1;
}

/* Retires every request (all complete); returns MPI_ERR_IN_STATUS if any
 * failed, with every status's MPI_ERROR set then. */
static int retire_all(int count, MPI_Request requests[], MPI_Status statuses[])
{
    int failed = 0;
    for (int i = 0; i < count; i++) {
        MPI_Status *st = status_at(statuses, i);
        int rc = MPI_SUCCESS;
        if (active_request(requests[i]))
            rc = retire(&requests[i], st);
        else
            empty(st);
        if (st != MPI_STATUS_IGNORE)
            st->MPI_ERROR = rc;
        failed |= rc != MPI_SUCCESS;
    }
    return failed ? MPI_ERR_IN_STATUS : MPI_SUCCESS;
}

int MPI_Waitall(int count, MPI_Request requests[], MPI_Status statuses[])
{
    mk_require_init("MPI_Waitall");
    int rc = check_handles(count, requests, "MPI_Waitall");
    if (rc != MPI_SUCCESS)
        return rc;
    struct many m = { count, requests };
    client_wait_until(all_done, &m);
    rc = retire_all(count, requests, statuses);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Waitall");
}

int MPI_Testall(int count, MPI_Request requests[], int *flag, MPI_Status statuses[])
{
    mk_require_init("MPI_Testall");
    int rc = check_handles(count, requests, "MPI_Testall");
    if (rc != MPI_SUCCESS)
        return rc;
    struct many m = { count, requests };
    client_progress();
    *flag = all_done(&m);
    if (!*flag)
        return MPI_SUCCESS;
    rc = retire_all(count, requests, statuses);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Testall");
}

/* --- any ------------------------------------------------------------------------ */

/* The index of the first complete active request, -1 if none is complete,
 * MPI_UNDEFINED if none is active. */
static int first_complete(int count, MPI_Request requests[])
{
    int any_active = 0;
    for (int i = 0; i < count; i++) {
        struct mk_request *r = active_request(requests[i]);
        if (!r)
            continue;
        if (r->complete)
            return i;
        any_active = 1;
    }
    return any_active ? -1 : MPI_UNDEFINED;
}

static int any_done(void *ctx)
{
    struct many *m = ctx;
    return first_complete(m->count, m->requests) != -1;
}

static int finish_any(int count, MPI_Request requests[], int *index, MPI_Status *status,
                      const char *fn)
{
    int i = first_complete(count, requests);
    *index = i;
    if (i == MPI_UNDEFINED) {
        empty(status);
        return MPI_SUCCESS;
    }
    struct mk_comm *c = request_get(requests[i])->comm;
    int rc = retire(&requests[i], status);
    return rc == MPI_SUCCESS ? rc : mk_error(c, rc, fn);
}

int MPI_Waitany(int count, MPI_Request requests[], int *index, MPI_Status *status)
{
    mk_require_init("MPI_Waitany");
    int rc = check_handles(count, requests, "MPI_Waitany");
    if (rc != MPI_SUCCESS)
        return rc;
    struct many m = { count, requests };
    client_wait_until(any_done, &m);
    return finish_any(count, requests, index, status, "MPI_Waitany");
}

int MPI_Testany(int count, MPI_Request requests[], int *index, int *flag, MPI_Status *status)
{
    mk_require_init("MPI_Testany");
    int rc = check_handles(count, requests, "MPI_Testany");
    if (rc != MPI_SUCCESS)
        return rc;
    client_progress();
    int i = first_complete(count, requests);
    *flag = i != -1;
    if (!*flag) {
        *index = MPI_UNDEFINED;
        return MPI_SUCCESS;
    }
    return finish_any(count, requests, index, status, "MPI_Testany");
}

/* --- some ------------------------------------------------------------------------- */

static int finish_some(int count, MPI_Request requests[], int *outcount, int indices[],
                       MPI_Status statuses[], const char *fn)
{
    if (first_complete(count, requests) == MPI_UNDEFINED) {
        *outcount = MPI_UNDEFINED;
        return MPI_SUCCESS;
    }
    int n = 0, failed = 0;
    for (int i = 0; i < count; i++) {
        struct mk_request *r = active_request(requests[i]);
        if (!r || !r->complete)
            continue;
        indices[n] = i;
        MPI_Status *st = status_at(statuses, n);
        int rc = retire(&requests[i], st);
        if (st != MPI_STATUS_IGNORE)
            st->MPI_ERROR = rc;
        failed |= rc != MPI_SUCCESS;
        n++;
    }
    *outcount = n;
    return failed ? mk_error(NULL, MPI_ERR_IN_STATUS, fn) : MPI_SUCCESS;
}

int MPI_Waitsome(int incount, MPI_Request requests[], int *outcount, int indices[],
                 MPI_Status statuses[])
{
    mk_require_init("MPI_Waitsome");
    int rc = check_handles(incount, requests, "MPI_Waitsome");
    if (rc != MPI_SUCCESS)
        return rc;
    struct many m = { incount, requests };
    client_wait_until(any_done, &m);
    return finish_some(incount, requests, outcount, indices, statuses, "MPI_Waitsome");
}

int MPI_Testsome(int incount, MPI_Request requests[], int *outcount, int indices[],
                 MPI_Status statuses[])
{
    mk_require_init("MPI_Testsome");
    int rc = check_handles(incount, requests, "MPI_Testsome");
    if (rc != MPI_SUCCESS)
        return rc;
    client_progress();
    return finish_some(incount, requests, outcount, indices, statuses, "MPI_Testsome");
}

/* --- freeing and cancelling -------------------------------------------------------- */

int MPI_Request_free(MPI_Request *request)
{
    mk_require_init("MPI_Request_free");
    struct mk_request *r = request_get(*request);
    if (!r)
        return mk_error(NULL, MPI_ERR_REQUEST, "MPI_Request_free");
    request_release(r);
    *request = MPI_REQUEST_NULL;
    return MPI_SUCCESS;
}

int MPI_Cancel(MPI_Request *request)
{
    mk_require_init("MPI_Cancel");
    struct mk_request *r = request_get(*request);
    if (!r)
        return mk_error(NULL, MPI_ERR_REQUEST, "MPI_Cancel");
    /* Only an operation still at the keeper can be cancelled; a standard
     * send is complete already and stays so (MPI allows a cancel to fail). */
    if (r->in_flight && !r->complete) {
        struct chan_sub sub = { .op = WOP_CANCEL, .arg = { (int64_t)(uintptr_t)r } };
        client_call(&sub);
    }
    return MPI_SUCCESS;
}

int MPI_Test_cancelled(const MPI_Status *status, int *flag)
{
    *flag = status->_cancelled;
    return MPI_SUCCESS;
}
