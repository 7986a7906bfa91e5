/*
 * request.h — the plugin's request objects: what an MPI_Request of the app
 * points to.
 *
 * A request has two lifetimes: the app's (from creation until a completing
 * Wait/Test or MPI_Request_free releases the handle) and the channel's (from
 * submission until the keeper's completion arrives). The object is freed
 * when both have ended, so the app may release a request whose operation is
 * still under way (a standard send that is complete for the app as soon as
 * its data is in the channel, or MPI_Request_free on a pending receive).
 *
 * Invariant: `complete` means "MPI says this operation is complete":
 * Wait/Test return it, and `status` is final. A persistent request lives on
 * after completion, inactive, until MPI_Request_free.
 */
#ifndef MPICKPT_PLUGIN_REQUEST_H
#define MPICKPT_PLUGIN_REQUEST_H

#include <mpi.h>
#include <stdint.h>

#include "common/channel.h"

struct dt_type;
struct mk_comm;

enum mk_request_kind {
    MKR_SEND,
    MKR_RECV,
    MKR_COLL,       /* a collective; see the area's hooks */
    MKR_CALL,       /* a synchronous call (client_call) */
    MKR_DONE,       /* complete at creation (e.g. to MPI_PROC_NULL) */
    MKR_GREQUEST,   /* generalized request (MPI_Grequest_start) */
};

struct mk_request {
    uint32_t magic;
    enum mk_request_kind kind;
    int complete;              /* complete by MPI's rules (Wait may return) */
    int in_flight;             /* a submission awaits its completion */
    int released;              /* the app no longer holds the handle */
    int persistent;            /* from *_init: survives completion */
    int active;                /* persistent: started and not yet completed */
    MPI_Status status;         /* final once complete */
    struct chan_cmp cmp;       /* the keeper's completion record */

    uint64_t block;            /* heap block, or OFFSET_HEAP_NONE */
    uint64_t block_bytes;

    /* The operation's arguments, kept for unpacking on completion and for
     * restarting persistent requests. */
    const void *sendbuf;
    void *buf;
    int count;
    struct dt_type *type;      /* referenced while the request lives */
    struct mk_comm *comm;      /* referenced too (request_set_comm) */
    int peer;                  /* destination or source */
    int tag;
    int send_mode;             /* enum wire_send_mode; MKR_SEND only */

    /* Runs when the completion record has arrived (cmp is filled). Sets
     * `complete` and fills `status` as the operation requires. */
    void (*on_complete)(struct mk_request *r);
    /* Area-specific state (collectives), freed with the request. */
    void *extra;
    void (*free_extra)(void *extra);
};

#define MK_REQUEST_MAGIC 0x4d4b5251u /* "MKRQ" */

/* A new request with no heap block; NULL when memory is short. */
struct mk_request *request_new(enum mk_request_kind kind);
/* The app's handle for `r`, and back. request_get returns NULL for
 * MPI_REQUEST_NULL and for anything that is not a live request. */
MPI_Request request_handle(struct mk_request *r);
struct mk_request *request_get(MPI_Request handle);
/* The app lets go of `r`; it is freed now or when its completion arrives. */
void request_release(struct mk_request *r);
/* Called by the client when r's completion record has been stored. */
void request_completed(struct mk_request *r);
/* Makes `r` hold `comm` (a reference, so a communicator freed by the app
 * stays valid for the operation under way); NULL lets go. */
void request_set_comm(struct mk_request *r, struct mk_comm *comm);
/* Lets go of the type and communicator `r` holds (done when the request
 * is freed; requests on the stack call it themselves). */
void request_drop_args(struct mk_request *r);
/* Frees the heap block of `r`, if any. */
void request_free_block(struct mk_request *r);
/* Sets `status` to MPI's empty status (source MPI_ANY_SOURCE, tag
 * MPI_ANY_TAG, error MPI_SUCCESS, count 0, not cancelled). */
void request_empty_status(MPI_Status *status);
/* Copies r's status to the app's `status` (which may be MPI_STATUS_IGNORE),
 * except its MPI_ERROR field, which MPI's single-completion calls keep. */
void request_copy_status(const struct mk_request *r, MPI_Status *status);

#endif
