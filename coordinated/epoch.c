/*
 * epoch.c — Lai–Yang epochs with message counting for one rank (see
 * epoch.h). Each function is a direct transcription of one rule there.
 */
#include "coordinated/epoch.h"

#include <stdlib.h>
#include <string.h>

int epoch_init(struct epoch_state *st, int nranks, int rank, uint64_t epoch)
{
    memset(st, 0, sizeof *st);
    st->peers = calloc((size_t)nranks, sizeof *st->peers);
    if (!st->peers)
        return -1;
    st->nranks = nranks;
    st->rank = rank;
    st->epoch = epoch;
    return 0;
}

void epoch_free(struct epoch_state *st)
{
    free(st->peers);
    st->peers = NULL;
}

void epoch_reset(struct epoch_state *st, uint64_t epoch)
{
    memset(st->peers, 0, (size_t)st->nranks * sizeof *st->peers);
    st->phase = EPOCH_RUNNING;
    st->epoch = epoch;
    st->sub_cut = 0;
    st->sent_final = 0;
}

int epoch_begin_cut(struct epoch_state *st)
{
    if (st->phase != EPOCH_RUNNING)
        return -1;
    st->phase = EPOCH_CUTTING;
    return 0;
}

int epoch_cut_taken(struct epoch_state *st, uint64_t sub_cut)
{
    if (st->phase != EPOCH_CUTTING)
        return -1;
    for (int i = 0; i < st->nranks; i++) {
        struct epoch_peer *p = &st->peers[i];
        p->sent_old += p->sent_cur;
        p->sent_cur = 0;
        p->recv_old += p->recv_cur;
        p->recv_cur = p->recv_next;
        p->recv_next = 0;
    }
    st->epoch++;
    st->sub_cut = sub_cut;
    st->sent_final = 0;
    st->phase = EPOCH_DRAINING;
    return 0;
}

uint64_t epoch_send(struct epoch_state *st, uint64_t sub_seq, int dest)
{
    struct epoch_peer *p = &st->peers[dest];
    if (st->phase == EPOCH_DRAINING && sub_seq <= st->sub_cut) {
        p->sent_old++;
        return st->epoch - 1;
    }
    p->sent_cur++;
    return st->epoch;
}

uint64_t epoch_sent_total(const struct epoch_state *st, int dest)
{
    return st->peers[dest].sent_old + st->peers[dest].sent_cur;
}

enum epoch_arrival epoch_arrival(struct epoch_state *st, int source, uint64_t stamp)
{
    struct epoch_peer *p = &st->peers[source];
    uint64_t e = st->epoch;
    if (st->phase == EPOCH_DRAINING) {
        if (e > 0 && stamp == e - 1) {
            p->recv_old++;
            return EPOCH_ARRIVAL_OK;
        }
        if (stamp == e) {
            p->recv_cur++;
            return EPOCH_ARRIVAL_OK;
        }
        return EPOCH_PROTOCOL_ERROR;
    }
    if (stamp == e) {
        p->recv_cur++;
        return EPOCH_ARRIVAL_OK;
    }
    if (stamp == e + 1) {
        p->recv_next++;
        return st->phase == EPOCH_RUNNING ? EPOCH_ARRIVAL_CUT_FIRST : EPOCH_ARRIVAL_OK;
    }
    return EPOCH_PROTOCOL_ERROR;
}

enum epoch_delivery epoch_delivery(const struct epoch_state *st, uint64_t stamp)
{
    switch (st->phase) {
    case EPOCH_CUTTING:
        return EPOCH_DELIVER_HOLD;
    case EPOCH_DRAINING:
        if (stamp < st->epoch)
            return EPOCH_DELIVER_RECORD;
        return stamp == st->epoch ? EPOCH_DELIVER : EPOCH_DELIVER_HOLD;
    case EPOCH_RUNNING:
        break;
    }
    /* Old stamps delivered after the state was saved come from the early
     * queue, which the saved state holds: nothing more to record. */
    return stamp <= st->epoch ? EPOCH_DELIVER : EPOCH_DELIVER_HOLD;
}

int epoch_pre_cut_served(struct epoch_state *st, uint64_t served)
{
    if (st->phase != EPOCH_DRAINING || st->sent_final || served < st->sub_cut)
        return 0;
    st->sent_final = 1;
    struct epoch_peer *self = &st->peers[st->rank];
    self->expect_old = self->sent_old;
    self->expect_known = 1;
    return 1;
}

uint64_t epoch_sent_old(const struct epoch_state *st, int dest)
{
    return st->peers[dest].sent_old;
}

int epoch_peer_sent(struct epoch_state *st, int source, uint64_t count)
{
    struct epoch_peer *p = &st->peers[source];
    /* Before our cut, what will be "old" is still counted as cur. */
    uint64_t have = st->phase == EPOCH_DRAINING ? p->recv_old : p->recv_old + p->recv_cur;
    if (have > count)
        return -1;
    p->expect_old = count;
    p->expect_known = 1;
    return 0;
}

int epoch_balanced(const struct epoch_state *st)
{
    if (st->phase != EPOCH_DRAINING || !st->sent_final)
        return 0;
    for (int i = 0; i < st->nranks; i++) {
        const struct epoch_peer *p = &st->peers[i];
        if (!p->expect_known || p->recv_old != p->expect_old)
            return 0;
    }
    return 1;
}

int epoch_finish(struct epoch_state *st)
{
    if (!epoch_balanced(st))
        return -1;
    for (int i = 0; i < st->nranks; i++)
        st->peers[i].expect_known = 0;
    st->phase = EPOCH_RUNNING;
    return 0;
}
