/*
 * fence.h — the collective fence of a coordinated checkpoint
 * (docs/COORDINATED.md, "Collectives are never cut"), as pure state: no
 * MPI, so the coordinator's decisions are tested on their own.
 *
 * Why: a collective that does not synchronize its members (a broadcast
 * completes at its root, and at a leaf once the root's data came) could
 * otherwise be consumed by one member before its cut and entered by
 * another only after its own. So before any rank cuts, the ranks agree on
 * a *target* per communicator (by job-wide name): how many collectives
 * each member will have started there at its cut. Every member then cuts
 * having started exactly that many; none starts one more before every rank
 * has cut.
 *
 * The exchange, for checkpoint E:
 *   FREEZE   coordinator → all: start no collective from now on;
 *   COUNTS   rank → coordinator: the collectives started so far per
 *            communicator; the targets begin as the maxima (fence_leader_counts);
 *   FENCE    coordinator → all: the targets, with a version number; a rank
 *            starts collectives while it is below target and
 *   STATUS   rank → coordinator: per version, whether it is at every target
 *            ("reached"), and the communicator of the collective it holds
 *            back at the head of its queue, if any ("blocked at").
 *   CUT      once every rank reached the current version.
 * A rank below target whose next collective is held back (it is at the
 * target of another communicator, which it must pass first) gets that
 * target raised at once. A rank can also be waiting for a peer that holds a
 * collective back (the peer would pass it in a run without checkpoints); so
 * while not every rank has reached, the coordinator raises every blocked
 * target after a delay that doubles each time (FENCE_FIRST_DELAY_NS), which
 * cannot keep a slow rank from ever reaching: at most one raise per
 * doubling.
 *
 * Any target at least the maxima is a correct fence; raising only costs
 * the ranks one more collective before the cut.
 *
 * Invariants: targets only grow; a version names one set of targets; the
 * coordinator answers CUT only when every rank's latest status is for the
 * current version and reached.
 */
#ifndef MPICKPT_COORDINATED_FENCE_H
#define MPICKPT_COORDINATED_FENCE_H

#include <stddef.h>
#include <stdint.h>

#define FENCE_FIRST_DELAY_NS 10000000     /* 10 ms */
#define FENCE_MAX_DELAY_NS 5000000000     /* 5 s */

struct fence_target {
    uint64_t name;    /* job-wide communicator name (coordinated/comm_name.h) */
    uint64_t count;   /* collectives started there at every member's cut */
};

/* A set of targets; communicators not in it have target 0. */
struct fence_table {
    struct fence_target *t;
    size_t n, cap;
};

/* Raises `name`'s target to `count` if it is lower. Returns 1 if it
 * changed, 0 if not, -1 when out of memory. */
int fence_table_raise(struct fence_table *ft, uint64_t name, uint64_t count);
uint64_t fence_table_target(const struct fence_table *ft, uint64_t name);
void fence_table_clear(struct fence_table *ft);
void fence_table_free(struct fence_table *ft);

/* One rank's latest STATUS. */
struct fence_status {
    uint64_t version;     /* 0: none yet */
    int reached;
    uint64_t blocked_name;   /* 0: nothing held back at the head */
    uint64_t blocked_next;   /*    else the number of that collective */
};

enum fence_action {
    FENCE_WAIT,   /* nothing to send */
    FENCE_SEND,   /* send the targets (a new version) to every rank */
    FENCE_GO,     /* every rank reached: send CUT */
};

struct fence_leader {
    int size;
    int n_counts;                 /* COUNTS received */
    uint64_t version;             /* of the targets last sent; 0: none */
    struct fence_table targets;
    struct fence_status *ranks;   /* [size] */
    int64_t delay_ns, raise_at;   /* the timed raise */
};

int fence_leader_init(struct fence_leader *l, int size);
void fence_leader_free(struct fence_leader *l);
/* A new checkpoint's fence: no counts, no version. */
void fence_leader_start(struct fence_leader *l);
/* Rank's COUNTS: `m` (name, count) pairs. Returns 0 or -1 (memory). */
int fence_leader_counts(struct fence_leader *l, const uint64_t *pairs, size_t m);
/* Rank `rank`'s STATUS; one for an older version than the current is
 * ignored. */
void fence_leader_status(struct fence_leader *l, int rank, const struct fence_status *st);
/* What to do at time `now_ns`; FENCE_SEND has bumped the version. Returns
 * -1 when out of memory. */
int fence_leader_decide(struct fence_leader *l, int64_t now_ns);

#endif
