/*
 * coord_internal.h — the state the coordinated protocol's files share
 * (coord_rank.c: this rank's cut and epoch; coord_leader.c: rank 0's
 * coordinator; coord_restore.c: starting from a checkpoint), and the
 * control messages the keepers exchange over their own communicator.
 *
 * Control messages are arrays of int64, tagged with their type:
 *   FREEZE    [type, incarnation, epoch]                 leader -> all
 *   COUNTS    [type, inc, epoch, m, (name, count)[m]]    rank -> leader
 *   FENCE     [type, inc, epoch, version, m, (name, target)[m]]
 *                                                        leader -> all
 *   STATUS    [type, inc, epoch, version, reached, blocked name, next]
 *                                                        rank -> leader
 *   CUT       [type, inc, epoch]                         leader -> all
 *   CUT_DONE  [type, inc, epoch, n, sent[n], m, (name, count)[m]]
 *                                                        rank -> leader
 *   ALL_CUT   [type, inc, epoch, n, expect[n], m, (name, min)[m]]
 *                                                        leader -> rank
 *   DONE      [type, inc, epoch, ok, image size, image xxh64, image raw,
 *              keeper size, keeper xxh64]                rank -> leader
 *   FIN       [type, inc, 0]                             leader -> all
 *   FAILED    [type, inc, 0]                             rank -> leader
 *   RECOVER   [type, inc, epoch, failed rank]            leader -> all
 *   TERM      [type, inc, 0]     SIGTERM with --checkpoint-on-term: rank -> leader
 *   STOP      [type, inc, epoch] the last checkpoint is over: leader -> all
 * FREEZE to CUT is the collective fence (coordinated/fence.h,
 * coord_fence.c): CUT goes out once every rank has started exactly the
 * targets' collectives.
 * FIN: every rank's application is in MPI_Finalize (a barrier of the
 * keepers said so) and no checkpoint is under way or will start; a keeper
 * finalizes MPI only after it. Sent after any CUT on the same channel, a
 * FIN cannot overtake a CUT (MPI's non-overtaking rule).
 * `sent` is what this rank sent each peer before its cut; `expect` what
 * each peer sent this rank before theirs; (name, count) the collectives
 * this rank had made on each communicator (job-wide name) at its cut;
 * (name, min) the least of those over the communicator's members.
 * Messages of another incarnation are dropped on arrival.
 */
#ifndef MPICKPT_LAUNCHER_COORD_INTERNAL_H
#define MPICKPT_LAUNCHER_COORD_INTERNAL_H

#include <mpi.h>
#include <stdint.h>

#include "coordinated/epoch.h"
#include "coordinated/fence.h"
#include "launcher/coord.h"

enum ctl_type { CTL_CUT = 1, CTL_CUT_DONE, CTL_ALL_CUT, CTL_DONE, CTL_FIN, CTL_FAILED,
                CTL_RECOVER, CTL_TERM, CTL_STOP, CTL_FREEZE, CTL_COUNTS, CTL_FENCE, CTL_STATUS };

/* Where a rank is in the collective fence of the checkpoint under way. */
enum fence_stage { FENCE_STAGE_NONE, FENCE_STAGE_FROZEN, FENCE_STAGE_SET };

/* A served submission whose completion the compute process has not seen. */
struct coord_pending {
    uint64_t req;                /* 0: free slot */
    uint64_t seq;
    struct chan_sub sub;
};

/* A submission held back (coord_fence.c). */
struct coord_deferred {
    uint64_t seq;
    struct chan_sub sub;
};

struct coord_leader;

struct coord {
    struct keeper *k;
    int rank, size;
    MPI_Comm ctl;
    uint64_t incarnation;
    struct epoch_state ep;
    struct layout_job job;
    unsigned interval;
    int keep, level, workers, quiet, verbose;
    struct channel *ch;
    pid_t compute;

    /* Pending table: open addressing on `req`, capacity a power of two. */
    struct coord_pending *pending;
    size_t cap_pending, n_pending;

    /* This rank's checkpoint under way (epoch 0: none). */
    uint64_t epoch;
    int requested;               /* the image was asked for */
    int cut_done_sent, all_cut;
    int64_t poke_at;
    struct keeper_state ks;      /* the state being assembled */
    size_t *coll_index;          /* per ks.pending entry awaiting its result: index */
    uint64_t *coll_req;          /*   ... and its req */
    size_t n_coll_wait, cap_coll_wait;
    /* The collective fence and the submissions held back (coord_fence.c). */
    enum fence_stage fence_stage;
    uint64_t fence_version;
    struct fence_table fence;
    struct fence_status fence_sent;
    struct coord_deferred *deferred;
    size_t n_deferred, cap_deferred;

    /* Finalizing: the keepers' barrier, then FIN from the leader; then,
     * once the compute process exited, the keepers' exit barrier. */
    int fin_entered, fin_barrier_done, fin_go;
    MPI_Request fin_barrier;
    int exit_entered;
    MPI_Request exit_barrier;

    MPI_Comm fin_comm;           /* this incarnation's, for the barrier */

    /* Starting from a checkpoint: its keeper state, until applied. */
    struct keeper_state restored;
    int have_restored;
    int max_recoveries;
    int on_term;                 /* --checkpoint-on-term */
    int term_sent;
    char cwd[PATH_MAX];

    struct coord_leader *leader; /* rank 0 only */
};

/* Sends a control message (copied) to world rank `dest`. */
void coord_ctl_send(struct coord *c, int dest, const int64_t *msg, size_t n);
/* The leader's handlers (coord_leader.c). */
struct coord_leader *coord_leader_create(struct coord *c);
void coord_leader_poll(struct coord *c);
/* No checkpoint under way and the job not finalizing. */
int coord_leader_quiet(const struct coord_leader *l);
void coord_leader_message(struct coord *c, int source, const int64_t *msg, size_t n);
/* Every application is in MPI_Finalize: no new checkpoint; FIN once the
 * one under way is committed. */
void coord_leader_finalizing(struct coord *c);
/* Forgets the checkpoint under way (a recovery). */
void coord_leader_reset(struct coord *c);
/* SIGUSR1 (every keeper: mpirun forwards it to all) and, with
 * --checkpoint-on-term, SIGTERM. */
void coord_install_signals(int on_term);
int coord_term_seen(void);
/* A rank got SIGTERM: a last checkpoint, then STOP. */
void coord_leader_term(struct coord *c);
/* The rank's handlers (coord_rank.c). */
void coord_rank_cut(struct coord *c, uint64_t epoch);
/* The heap block submission `sub` reads, if any (1): saved with it when
 * it is pending at a cut, put back before it is served again. */
int coord_input_block(const struct chan_sub *sub, int64_t *off, size_t *len);
/* A served submission the compute process has not seen complete yet. */
void coord_pending_add(struct coord *c, const struct chan_sub *sub, uint64_t seq);
/* coord_fence.c: FREEZE (counts to the leader), FENCE (the targets), the
 * queue: holding a submission back (1: held), the held collectives on `comm` submitted up to `max_seq`, serving
 * what may go and reporting (every poll), forgetting the fence after the
 * checkpoint (end) or everything held (reset: a recovery). */
void coord_fence_freeze(struct coord *c, uint64_t epoch);
void coord_fence_targets(struct coord *c, const int64_t *msg, size_t n);
int coord_hold_back(struct coord *c, const struct chan_sub *sub, uint64_t seq);
uint64_t coord_held_collectives(const struct coord *c, int64_t comm, uint64_t max_seq);
void coord_fence_poll(struct coord *c);
void coord_fence_end(struct coord *c);
void coord_fence_reset(struct coord *c);
/* Forgets the checkpoint under way and the pending table (a recovery). */
void coord_rank_reset(struct coord *c);
/* coord_restore.c: loads this rank's keeper state of `epoch` into
 * c->restored, and applies it once the compute process is started. */
int coord_load(struct coord *c, uint64_t epoch);
int coord_apply(struct coord *c);
/* coord_recover.c */
void coord_leader_failed(struct coord *c, int rank);
void coord_recover(struct coord *c, const int64_t *msg, size_t n);

int64_t coord_now_ns(void);

#endif
