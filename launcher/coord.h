/*
 * coord.h — the keeper's side of the coordinated protocol (DESIGN §7,
 * docs/COORDINATED.md): one rank's cut and its share of each checkpoint,
 * and, on rank 0, the coordinator that starts checkpoints and commits them.
 *
 * The keeper calls in at fixed points of its loop:
 *   coord_before_serve  — each submission popped, before it is served
 *                         (it may be deferred: a collective after this
 *                         rank's cut waits until every rank has cut);
 *   coord_after_serve   — after each served submission;
 *   coord_stamp / coord_arrived — each application message sent/arrived;
 *   coord_completing    — each completion made (collective results);
 *   coord_pushed        — each completion the compute process can now see;
 *   coord_poll          — every turn (a keeper poller): control messages,
 *                         the coordinator's triggers, the commit steps.
 *
 * Invariants: while this rank is CUTTING the keeper holds every completion
 * (keeper_set_holding), so the operations pending at the cut are exactly
 * the served submissions numbered up to sub_cut whose completion the
 * compute process had not seen; the keeper state of an epoch is written
 * only once every message sent to this rank before the senders' cuts has
 * arrived, every pre-cut collective has completed, the image is durable
 * and the output written before the cut is in the job directory's copy;
 * rank 0 commits an epoch only when every rank reported DONE.
 */
#ifndef MPICKPT_LAUNCHER_COORD_H
#define MPICKPT_LAUNCHER_COORD_H

#include <limits.h>
#include <stdint.h>

#include "common/channel.h"
#include "common/config.h"
#include "common/wire.h"
#include "coordinated/keeper_state.h"
#include "storage/layout.h"

struct keeper;
struct coord;

/* What a coordinated keeper starts from. */
struct coord_start {
    uint64_t epoch;              /* committed epoch to restore; 0: fresh start */
    char image[PATH_MAX];        /* this rank's image in it */
    char cwd[PATH_MAX];          /* the job's working directory */
    uint64_t cut[2];             /* output positions at the cut (epoch != 0) */
    uint64_t emitted[2];         /* output the job emitted so far */
    char output_path[PATH_MAX];  /* where the keeper keeps `emitted` */
    char copy_path[2][PATH_MAX]; /* ... and the copies of stdout, stderr */
};

/* Sets up the protocol after MPI_Init: the control communicator and, on
 * rank 0, the job directory (a new one, or `restart_dir`'s), shared with
 * every rank; decides where this rank starts (`start`). Collective over
 * the keepers. Returns NULL after printing one line on error. */
struct coord *coord_create(struct keeper *k, const struct mk_config *cfg, char **app_argv,
                           const char *restart_dir, struct coord_start *start);
/* Begins serving the compute process started from coord_create's
 * `start` (a restored rank's state is applied: its pending operations are
 * served again), whose channel is `ch` and pid `compute`. */
int coord_begin(struct coord *c, struct channel *ch, pid_t compute, int idle_cores);

int coord_before_serve(struct coord *c, const struct chan_sub *sub, uint64_t seq);
void coord_after_serve(struct coord *c);
void coord_stamp(struct coord *c, struct wire_msg_header *h, int64_t comm, int dest);
/* A message arrived: `wire` is its header and payload. Returns 0, or -1
 * for a message no peer under mpickpt sent. */
int coord_arrived(struct coord *c, const void *wire, size_t wire_bytes, int64_t comm,
                  int source, int tag);
void coord_completing(struct coord *c, const struct chan_cmp *cmp);
void coord_pushed(struct coord *c, uint64_t req);
int coord_poll(struct keeper *k, void *ctx);
/* Whether nothing of a checkpoint, a recovery or the finalize is under way
 * at this rank (nor, on rank 0, at the coordinator): its control messages
 * and triggers can wait a few milliseconds, so the keeper need not poll
 * for them often while the application computes. */
int coord_quiet(const struct coord *c);
/* This rank's compute process died: the leader decides the recovery. */
void coord_compute_failed(struct coord *c);
/* Called while the application waits in MPI_Finalize: whether its
 * MPI_Finalize may return (every rank is finalizing, no checkpoint is under
 * way, none will start). */
int coord_may_finalize(struct coord *c);
/* Called once this rank's compute process exited normally after
 * MPI_Finalize, until it returns 1: every rank's has (a barrier of the
 * keepers), so the keeper may finalize MPI. Until then a failure of any
 * rank is still recovered. */
int coord_all_exited(struct coord *c);

#endif
