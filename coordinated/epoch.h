/*
 * epoch.h — one rank's side of non-blocking coordinated checkpointing:
 * Lai–Yang epochs with message counting (DESIGN §7, docs/COORDINATED.md),
 * as pure state: no MPI, no I/O, so the rules are tested on their own.
 *
 * Vocabulary. The rank's *epoch* E is the stamp its messages carry from
 * its latest cut on (0 before any). A checkpoint moves it from E to E+1 in
 * three phases:
 *   RUNNING  — no checkpoint of this rank under way;
 *   CUTTING  — the keeper decided to cut (told so, or a message stamped E+1
 *              arrived); it holds completions and serves no submission
 *              until the compute process has forked for its image;
 *   DRAINING — the cut is taken (E is now the new epoch); submissions
 *              numbered up to `sub_cut` still go out with the old stamp;
 *              the rank waits until every message of the old epochs sent
 *              to it has arrived (counts per peer), then the keeper saves
 *              its state and calls epoch_finish.
 *
 * What the keeper asks, and when:
 *   epoch_send       — for each message, as the submission is served: the
 *                      stamp to put in its header (counts it).
 *   epoch_arrival    — for each message as it arrives at the keeper
 *                      (counts it; may ask to cut first).
 *   epoch_delivery   — as a received message's completion is handed to the
 *                      compute process: whether it is channel state.
 *   epoch_pre_cut_served — after serving submissions while DRAINING: once
 *                      all submissions up to sub_cut are served, the rank's
 *                      old-epoch sent counts are final (send them to peers).
 *   epoch_peer_sent  — a peer's final old-epoch count of messages to us.
 *   epoch_balanced   — every peer's old-epoch messages have arrived.
 *
 * Counts are cumulative since the start of the incarnation and split by
 * stamp: "old" = stamped below E, "cur" = stamped E. A cut folds cur into
 * old. After a recovery both sides restart from zero (epoch_reset), so
 * they stay comparable: messages of a dead incarnation are discarded
 * before they reach this module.
 *
 * Invariants: while DRAINING, arriving stamps are E-1 or E; otherwise E or
 * E+1 (a checkpoint starts only after the previous one ended at every
 * rank, so no older message is still in flight). Anything else is
 * EPOCH_PROTOCOL_ERROR, never silently accepted. Messages a rank sends
 * itself are counted like any other.
 */
#ifndef MPICKPT_COORDINATED_EPOCH_H
#define MPICKPT_COORDINATED_EPOCH_H

#include <stdint.h>

enum epoch_phase { EPOCH_RUNNING, EPOCH_CUTTING, EPOCH_DRAINING };

/* What an arrival asks of the keeper. */
enum epoch_arrival {
    EPOCH_ARRIVAL_OK,          /* counted; nothing else to do */
    EPOCH_ARRIVAL_CUT_FIRST,   /* stamped E+1 at a rank that has not cut:
                                  start cutting now, before its delivery */
    EPOCH_PROTOCOL_ERROR,      /* a stamp no correct peer can send now */
};

/* What a delivery to the compute process is. */
enum epoch_delivery {
    EPOCH_DELIVER,             /* an ordinary delivery */
    EPOCH_DELIVER_RECORD,      /* in transit across the cut: deliver it,
                                  and save it as channel state */
    EPOCH_DELIVER_HOLD,        /* stamped after a cut this rank has not
                                  taken: keep it until the cut is taken */
};

struct epoch_peer {
    uint64_t sent_old, sent_cur;   /* messages to the peer, by stamp */
    uint64_t recv_old, recv_cur;   /* messages from the peer, by stamp */
    uint64_t recv_next;            /* stamped E+1, arrived before our cut */
    uint64_t expect_old;           /* the peer's final sent_old to us */
    int expect_known;
};

struct epoch_state {
    int nranks, rank;
    enum epoch_phase phase;
    uint64_t epoch;                /* E */
    uint64_t sub_cut;              /* DRAINING: last pre-cut submission */
    int sent_final;                /* DRAINING: sent_old is final */
    struct epoch_peer *peers;      /* [nranks], by world rank */
};

/* Sets up `st` for world rank `rank` of `nranks` at epoch `epoch` (0 for a
 * fresh job, the restored epoch after a recovery). Returns 0, or -1 when
 * memory is short. */
int epoch_init(struct epoch_state *st, int nranks, int rank, uint64_t epoch);
void epoch_free(struct epoch_state *st);
/* After a recovery to `epoch`: every count back to zero, RUNNING. */
void epoch_reset(struct epoch_state *st, uint64_t epoch);

/* RUNNING → CUTTING, for the checkpoint that will make the epoch E+1.
 * Returns 0, or -1 if a checkpoint is already under way. */
int epoch_begin_cut(struct epoch_state *st);
/* CUTTING → DRAINING: the compute process forked after making `sub_cut`
 * submissions (numbered 1..sub_cut). E becomes E+1. Returns 0, or -1 when
 * not CUTTING. */
int epoch_cut_taken(struct epoch_state *st, uint64_t sub_cut);

/* The stamp for a message of submission number `sub_seq` to world rank
 * `dest`, counted as sent. Not while CUTTING (nothing is served then). */
uint64_t epoch_send(struct epoch_state *st, uint64_t sub_seq, int dest);
/* How many messages this incarnation sent world rank `dest` so far: the
 * send sequence number of the next one (cuts do not change it). */
uint64_t epoch_sent_total(const struct epoch_state *st, int dest);
/* A message stamped `stamp` arrived from world rank `source`. */
enum epoch_arrival epoch_arrival(struct epoch_state *st, int source, uint64_t stamp);
/* A message stamped `stamp` is about to be handed to the compute process. */
enum epoch_delivery epoch_delivery(const struct epoch_state *st, uint64_t stamp);

/* While DRAINING: `served` submissions have been served in all. Returns 1
 * the first time they include every pre-cut one (sent counts are then
 * final: epoch_sent_old gives them, and the rank's own is taken as its
 * expectation of itself), else 0. */
int epoch_pre_cut_served(struct epoch_state *st, uint64_t served);
/* The final old-epoch count of messages sent to world rank `dest`. */
uint64_t epoch_sent_old(const struct epoch_state *st, int dest);
/* World rank `source` sent us `count` old-epoch messages in all. Returns 0,
 * or -1 if more have already arrived than that (a protocol error). */
int epoch_peer_sent(struct epoch_state *st, int source, uint64_t count);
/* DRAINING, our own sent counts final, and every peer's old-epoch messages
 * arrived. */
int epoch_balanced(const struct epoch_state *st);
/* DRAINING → RUNNING once the keeper saved its state (after balance).
 * Returns 0, or -1 when not balanced. */
int epoch_finish(struct epoch_state *st);

#endif
