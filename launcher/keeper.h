/*
 * keeper.h — the keeper of one rank: the MPI process that serves its compute
 * process's channel (DESIGN §2, §4).
 *
 * The keeper's loop takes submissions in order, hands each to the server of
 * its area (keeper_register_* below), polls the MPI requests those servers
 * started, and pushes one completion per submission. While nothing is
 * pending it sleeps on its doorbell; while MPI requests are pending it polls
 * them, spinning or yielding by the waiting policy chosen at start-up.
 *
 * Invariants: every submission gets exactly one completion (keeper_complete),
 * except WOP_ABORT, which ends the job; the keeper never blocks in MPI (only
 * non-blocking PMPI calls, then polling), so it always notices its compute
 * process dying; completions that do not fit the ring wait in a private
 * queue, in order.
 */
#ifndef MPICKPT_LAUNCHER_KEEPER_H
#define MPICKPT_LAUNCHER_KEEPER_H

#include <mpi.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/channel.h"
#include "common/config.h"
#include "common/waiting.h"
#include "common/wire.h"

struct keeper;

/* Serves one submission; must eventually lead to keeper_complete(req). */
typedef void (*keeper_serve_fn)(struct keeper *k, const struct chan_sub *sub);
/* Called when an MPI request started by a server completes. */
typedef void (*keeper_done_fn)(struct keeper *k, void *ctx, const MPI_Status *status);
/* Called at every poll while a server has work that is not an MPI request
 * (e.g. a blocking probe); returns 1 once that work is finished. */
typedef int (*keeper_poll_fn)(struct keeper *k, void *ctx);

/* A compute process just started, and where it runs. */
struct compute_started {
    pid_t pid;
    int out_fd, err_fd;          /* read ends of its stdout and stderr */
    enum waiting_policy policy;
    int idle_cores;
    const char *binding;
};

/* Starts the compute process of a coordinated job in the channel `ch`
 * (created by the callee): the application afresh (image NULL) or the
 * restorer of `image`, in `cwd`. Returns 0, or -1 after one line. */
typedef int (*keeper_start_fn)(void *ctx, const char *image, const char *cwd,
                               struct channel *ch, struct compute_started *out);

struct keeper_options {
    struct mk_config cfg;
    enum waiting_policy policy;  /* common/waiting.h, for both sides */
    const char *binding;         /* where the keeper runs, for --verbose */
    /* Coordinated jobs: the keeper starts the compute process itself,
     * after MPI_Init, once the ranks agreed where it starts from. */
    keeper_start_fn start;
    void *start_ctx;
    char **app_argv;             /* the program and its arguments */
    const char *restart_dir;     /* the job to restart, or NULL */
};

/* Registration of the areas' servers (one function per area file). */
void keeper_register(struct keeper *k, enum wire_op op, keeper_serve_fn fn);
void keeper_register_env(struct keeper *k);
void keeper_register_p2p(struct keeper *k);
void keeper_register_coll(struct keeper *k);
void keeper_register_comm(struct keeper *k);
/* The keepers' own communicators for create_group (its barriers, its
 * parent), fresh (an in-place recovery: nothing of the failed incarnation
 * counts). */
void serve_comm_reset(void);

struct supervisor;

/* Runs the keeper until its compute process has exited; returns the exit
 * status for the keeper's own exit. `ch` is the mapped channel, `sup` watches
 * the compute process and forwards its output. MPI is initialized here.
 * With opt->start, `ch` is filled and `sup` created here instead (NULL). */
int keeper_run(struct channel *ch, struct supervisor *sup, const struct keeper_options *opt);

/* --- for servers ------------------------------------------------------- */

/* The completion record for `sub`, with rc = MPI_SUCCESS; fill and pass to
 * keeper_complete. */
struct chan_cmp keeper_completion(const struct chan_sub *sub);
void keeper_complete(struct keeper *k, const struct chan_cmp *cmp);
/* As keeper_complete, but never held back by a cut: for MPI_Init's answer,
 * which the compute process needs before it can take any cut at all. */
void keeper_complete_unheld(struct keeper *k, const struct chan_cmp *cmp);
/* Shorthand: completes `sub` with just an error class. */
void keeper_complete_rc(struct keeper *k, const struct chan_sub *sub, int rc);

/* Polls `request` with the others; `done(k, ctx, status)` runs once it
 * completes. `owner` is the compute request it serves (for WOP_CANCEL), or 0. */
void keeper_track(struct keeper *k, MPI_Request request, uint64_t owner,
                  keeper_done_fn done, void *ctx);
/* As keeper_track, for a request an in-place recovery gives a bounded
 * time to complete first (the barrier before a communicator creation). */
void keeper_track_settled(struct keeper *k, MPI_Request request, uint64_t owner,
                          keeper_done_fn done, void *ctx);
/* Calls `poll(k, ctx)` at every turn of the loop until it returns 1. */
void keeper_poll_until(struct keeper *k, keeper_poll_fn poll, void *ctx);
/* MPI requests being tracked. */
size_t keeper_pending_requests(const struct keeper *k);
/* Asks MPI to cancel the request tracked for compute request `owner`;
 * returns 0, or -1 if no such request is pending. */
int keeper_cancel(struct keeper *k, uint64_t owner);

/* The keeper's communicator for the plugin's id, or MPI_COMM_NULL. */
MPI_Comm keeper_comm(struct keeper *k, int64_t id);
/* Records `comm` under `id` (replacing nothing: the id must be free). */
int keeper_comm_add(struct keeper *k, int64_t id, MPI_Comm comm);
/* Forgets and frees the communicator `id`. */
void keeper_comm_remove(struct keeper *k, int64_t id);

struct protocol_engine;
/* The protocol engine in force (launcher/protocol.h). */
const struct protocol_engine *keeper_protocol(const struct keeper *k);
/* The number of the submission being served (1, 2, ... in the order the
 * compute process made them, counted across the incarnation's channel). */
uint64_t keeper_serving_seq(const struct keeper *k);
/* How many submissions were taken from the channel so far (the number of
 * the last one). */
uint64_t keeper_popped(const struct keeper *k);
/* Coordinated restore: the next submission is numbered `served` + 1. */
void keeper_set_served(struct keeper *k, uint64_t served);
/* Serves submission number `seq` now (the protocol already decided it may
 * go: one held back, or pending at a restored cut). */
void keeper_serve_now(struct keeper *k, const struct chan_sub *sub, uint64_t seq);
/* While on, completions are held back from the compute process (a cut is
 * being taken); turning it off pushes the held ones, in order. */
void keeper_set_holding(struct keeper *k, int on);
const struct chan_cmp *keeper_held_completions(const struct keeper *k, size_t *n);
/* Ids below this may name a communicator. */
size_t keeper_comm_capacity(const struct keeper *k);
/* The protocol's header for a message to rank `dest` of communicator
 * `comm`, and its verdict on one that arrived (whole wire bytes): 0, or -1
 * for a message not sent through mpickpt. */
void keeper_stamp(struct keeper *k, struct wire_msg_header *header, int64_t comm, int dest);
int keeper_arrived(struct keeper *k, const void *wire, size_t bytes, int64_t comm, int source,
                   int tag);
/* Whether MPI may be finalized now (no checkpoint under way). */
int keeper_may_finalize(struct keeper *k);
/* In-place recovery (coordinated): kills the compute process and its
 * strays, forgets every request, poller, completion and communicator of
 * the failed incarnation, takes fresh duplicates of WORLD and SELF (a
 * collective of the keepers), and starts a new compute process in a new
 * channel: restored from `image` (its output cut at `cut`), or afresh
 * (image and cut NULL). Returns 0, or -1 after one line. */
int keeper_recover(struct keeper *k, const char *image, const char *cwd, const uint64_t cut[2]);
/* Ends this rank at once with `status`: the compute process killed, its
 * pending output forwarded (the job stops after its last checkpoint). */
_Noreturn void keeper_stop(struct keeper *k, int status);
/* The current compute process. */
pid_t keeper_compute_pid(const struct keeper *k);
/* How far the job's stdout and stderr have been forwarded, and copied into
 * the job directory (launcher/supervise.h: P of each stream). */
void keeper_output_emitted(struct keeper *k, uint64_t pos[2]);
/* The mapped channel (for heap access). */
struct channel *keeper_channel(struct keeper *k);
/* This rank in MPI_COMM_WORLD. */
int keeper_world_rank(const struct keeper *k);
/* The application's MPI_Finalize may return: MPI is finalized now and the
 * loop stops, or, under the coordinated protocol, once every rank's compute
 * process has exited normally (a failure until then is recovered like any
 * other). Returns the MPI error code for the application. */
int keeper_finalize(struct keeper *k);
/* Ends the job with `code` after forwarding the compute's pending output. */
_Noreturn void keeper_abort(struct keeper *k, MPI_Comm comm, int code);
/* Prints "mpickpt: rank R: <message>" on stderr (unless --quiet for
 * progress; errors always). */
void keeper_say(const struct keeper *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
