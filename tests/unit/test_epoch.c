/*
 * test_epoch.c — the Lai–Yang epoch and counting rules of
 * coordinated/epoch.h: the single rules one by one, then a randomized
 * simulation of ranks, FIFO channels, late receives and cuts at random
 * moments, which checks the property the rules exist for: the cut is
 * consistent (no message is delivered before its receiver's cut that was
 * sent after its sender's), every message in transit across the cut is
 * saved as channel state, and a rank balances exactly when every message
 * of the old epoch sent to it has arrived.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coordinated/epoch.h"

static void test_cut_without_messages_balances_at_once(void **state)
{
    (void)state;
    struct epoch_state a, b;
    assert_int_equal(epoch_init(&a, 2, 0, 0), 0);
    assert_int_equal(epoch_init(&b, 2, 1, 0), 0);
    assert_int_equal(epoch_begin_cut(&a), 0);
    assert_int_equal(epoch_begin_cut(&a), -1);
    assert_int_equal(epoch_cut_taken(&a, 0), 0);
    assert_int_equal(a.epoch, 1);
    assert_int_equal(epoch_pre_cut_served(&a, 0), 1);
    assert_int_equal(epoch_pre_cut_served(&a, 0), 0);   /* only once */
    assert_false(epoch_balanced(&a));                    /* b has not said */
    assert_int_equal(epoch_peer_sent(&a, 1, 0), 0);
    assert_true(epoch_balanced(&a));
    assert_int_equal(epoch_finish(&a), 0);
    assert_int_equal(a.phase, EPOCH_RUNNING);
    assert_int_equal(epoch_finish(&b), -1);              /* b never cut */
    epoch_free(&a);
    epoch_free(&b);
}

static void test_message_in_transit_is_channel_state(void **state)
{
    (void)state;
    struct epoch_state s, r;
    epoch_init(&s, 2, 0, 0);
    epoch_init(&r, 2, 1, 0);
    assert_int_equal(epoch_send(&s, 1, 1), 0);           /* stamped 0 */
    epoch_begin_cut(&s);
    epoch_cut_taken(&s, 1);
    assert_int_equal(epoch_pre_cut_served(&s, 1), 1);
    assert_int_equal(epoch_sent_old(&s, 1), 1);
    epoch_begin_cut(&r);
    epoch_cut_taken(&r, 0);
    epoch_pre_cut_served(&r, 0);
    assert_int_equal(epoch_peer_sent(&r, 0, epoch_sent_old(&s, 1)), 0);
    assert_false(epoch_balanced(&r));                    /* still in transit */
    assert_int_equal(epoch_arrival(&r, 0, 0), EPOCH_ARRIVAL_OK);
    assert_true(epoch_balanced(&r));
    assert_int_equal(epoch_delivery(&r, 0), EPOCH_DELIVER_RECORD);
    assert_int_equal(epoch_delivery(&r, 1), EPOCH_DELIVER);
    epoch_free(&s);
    epoch_free(&r);
}

static void test_newer_message_makes_the_receiver_cut_first(void **state)
{
    (void)state;
    struct epoch_state r;
    epoch_init(&r, 2, 1, 3);
    assert_int_equal(epoch_arrival(&r, 0, 4), EPOCH_ARRIVAL_CUT_FIRST);
    assert_int_equal(epoch_delivery(&r, 4), EPOCH_DELIVER_HOLD);
    epoch_begin_cut(&r);
    assert_int_equal(epoch_delivery(&r, 3), EPOCH_DELIVER_HOLD);   /* cutting */
    assert_int_equal(epoch_arrival(&r, 0, 4), EPOCH_ARRIVAL_OK);    /* already cutting */
    epoch_cut_taken(&r, 7);
    assert_int_equal(r.epoch, 4);
    assert_int_equal(epoch_delivery(&r, 4), EPOCH_DELIVER);
    assert_int_equal(r.peers[0].recv_cur, 2);            /* both count as new */
    epoch_free(&r);
}

static void test_pre_cut_submissions_keep_the_old_stamp(void **state)
{
    (void)state;
    struct epoch_state s;
    epoch_init(&s, 3, 0, 0);
    assert_int_equal(epoch_send(&s, 1, 2), 0);
    epoch_begin_cut(&s);
    epoch_cut_taken(&s, 3);                              /* 2 and 3 still queued */
    assert_int_equal(epoch_pre_cut_served(&s, 1), 0);
    assert_int_equal(epoch_send(&s, 2, 2), 0);
    assert_int_equal(epoch_send(&s, 3, 1), 0);
    assert_int_equal(epoch_pre_cut_served(&s, 3), 1);
    assert_int_equal(epoch_send(&s, 4, 2), 1);           /* after the cut */
    assert_int_equal(epoch_sent_old(&s, 2), 2);
    assert_int_equal(epoch_sent_old(&s, 1), 1);
    /* Send sequence numbers run on across the cut. */
    assert_int_equal(epoch_sent_total(&s, 2), 3);
    assert_int_equal(epoch_sent_total(&s, 1), 1);
    assert_int_equal(epoch_sent_total(&s, 0), 0);
    assert_int_equal(s.peers[0].expect_known, 1);        /* itself: nothing */
    epoch_free(&s);
}

static void test_impossible_stamps_and_counts_are_protocol_errors(void **state)
{
    (void)state;
    struct epoch_state r;
    epoch_init(&r, 2, 1, 5);
    assert_int_equal(epoch_arrival(&r, 0, 7), EPOCH_PROTOCOL_ERROR);
    assert_int_equal(epoch_arrival(&r, 0, 4), EPOCH_PROTOCOL_ERROR);  /* running */
    epoch_begin_cut(&r);
    epoch_cut_taken(&r, 0);
    assert_int_equal(epoch_arrival(&r, 0, 3), EPOCH_PROTOCOL_ERROR);
    assert_int_equal(epoch_arrival(&r, 0, 7), EPOCH_PROTOCOL_ERROR);
    assert_int_equal(epoch_arrival(&r, 0, 5), EPOCH_ARRIVAL_OK);
    assert_int_equal(epoch_arrival(&r, 0, 5), EPOCH_ARRIVAL_OK);
    assert_int_equal(epoch_peer_sent(&r, 0, 1), -1);    /* 2 arrived, 1 sent? */
    epoch_free(&r);
}

static void test_reset_after_recovery_starts_counting_afresh(void **state)
{
    (void)state;
    struct epoch_state r;
    epoch_init(&r, 2, 0, 0);
    epoch_send(&r, 1, 1);
    epoch_arrival(&r, 1, 0);
    epoch_begin_cut(&r);
    epoch_reset(&r, 2);
    assert_int_equal(r.phase, EPOCH_RUNNING);
    assert_int_equal(r.epoch, 2);
    assert_int_equal(r.peers[1].sent_cur + r.peers[1].recv_cur, 0);
    assert_int_equal(epoch_sent_total(&r, 1), 0);
    assert_int_equal(epoch_send(&r, 1, 1), 2);
    epoch_free(&r);
}

/* --- the simulation ------------------------------------------------------ */

#define SIM_RANKS 4
#define SIM_MSGS 4096

struct sim_msg {
    int from, to;
    uint64_t stamp;
    int sent_after_cut;      /* by the sender's cut of this checkpoint */
    int arrived, delivered;
    int delivered_after_cut; /* by the receiver's cut */
    int recorded;            /* saved as channel state */
};

struct sim_rank {
    struct epoch_state st;
    uint64_t submitted, served;     /* submissions are sends only here */
    int queue[SIM_MSGS];            /* dest of each submission, by number */
    int cut;                        /* this checkpoint's cut taken */
    int told;                       /* told to checkpoint */
    int counts_sent;                /* its final counts went to the peers */
    int finished;
    int arrived[SIM_MSGS];          /* message ids, arrival order */
    int n_arrived, n_delivered;
};

/* A control message: rank `from` sent rank `to` `count` old messages. */
struct sim_ctl {
    int from, to;
    uint64_t count;
    int done;
};

struct sim {
    struct sim_rank r[SIM_RANKS];
    struct sim_msg m[SIM_MSGS];
    int n_msgs;
    struct sim_ctl ctl[SIM_RANKS * SIM_RANKS];
    int n_ctl;
};

static unsigned sim_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return (*seed >> 16) & 0x7fff;
}

static void sim_serve(struct sim *s, int i)
{
    struct sim_rank *r = &s->r[i];
    if (r->st.phase == EPOCH_CUTTING)
        return;
    while (r->served < r->submitted) {
        r->served++;
        struct sim_msg *m = &s->m[s->n_msgs++];
        m->from = i;
        m->to = r->queue[r->served];
        m->stamp = epoch_send(&r->st, r->served, m->to);
        m->sent_after_cut = r->cut && r->served > r->st.sub_cut;
    }
    if (r->cut && !r->counts_sent && epoch_pre_cut_served(&r->st, r->served)) {
        r->counts_sent = 1;
        for (int d = 0; d < SIM_RANKS; d++)
            if (d != i)
                s->ctl[s->n_ctl++] = (struct sim_ctl){ i, d, epoch_sent_old(&r->st, d), 0 };
    }
}

/* Hands arrived messages to the "application" (some later than others). */
static void sim_deliver(struct sim *s, int i, unsigned *seed)
{
    struct sim_rank *r = &s->r[i];
    while (r->n_delivered < r->n_arrived && sim_rand(seed) % 3 != 0) {
        struct sim_msg *m = &s->m[r->arrived[r->n_delivered]];
        enum epoch_delivery d = epoch_delivery(&r->st, m->stamp);
        if (d == EPOCH_DELIVER_HOLD)
            return;
        m->delivered = 1;
        m->delivered_after_cut = r->cut;
        m->recorded |= d == EPOCH_DELIVER_RECORD;
        r->n_delivered++;
    }
}

static void sim_take_cut(struct sim_rank *r)
{
    assert_int_equal(epoch_cut_taken(&r->st, r->submitted), 0);
    r->cut = 1;
}

static void sim_arrive(struct sim *s, int id)
{
    struct sim_msg *m = &s->m[id];
    struct sim_rank *r = &s->r[m->to];
    enum epoch_arrival a = epoch_arrival(&r->st, m->from, m->stamp);
    assert_int_not_equal(a, EPOCH_PROTOCOL_ERROR);
    if (a == EPOCH_ARRIVAL_CUT_FIRST)
        assert_int_equal(epoch_begin_cut(&r->st), 0);
    m->arrived = 1;
    r->arrived[r->n_arrived++] = id;
}

/* The oldest message in flight from `from` to `to` (channels are FIFO). */
static int sim_in_flight(const struct sim *s, int from, int to)
{
    for (int id = 0; id < s->n_msgs; id++)
        if (!s->m[id].arrived && s->m[id].from == from && s->m[id].to == to)
            return id;
    return -1;
}

/* At its state save the keeper records what arrived and is not delivered
 * yet (held completions, the early queue). */
static void sim_finish(struct sim *s, int i)
{
    struct sim_rank *r = &s->r[i];
    for (int k = r->n_delivered; k < r->n_arrived; k++) {
        struct sim_msg *m = &s->m[r->arrived[k]];
        if (m->stamp < r->st.epoch)
            m->recorded = 1;
    }
    /* Balanced means: every old message to this rank has arrived. */
    for (int id = 0; id < s->n_msgs; id++)
        if (s->m[id].to == i && s->m[id].stamp < r->st.epoch)
            assert_true(s->m[id].arrived);
    assert_int_equal(epoch_finish(&r->st), 0);
    r->finished = 1;
}

static void sim_step(struct sim *s, unsigned *seed, int *started)
{
    int i = (int)(sim_rand(seed) % SIM_RANKS);
    struct sim_rank *r = &s->r[i];
    switch (sim_rand(seed) % 8) {
    case 0: case 1:   /* the application sends */
        if (r->submitted + 1 < SIM_MSGS / SIM_RANKS && s->n_msgs < SIM_MSGS - SIM_RANKS * 4)
            r->queue[++r->submitted] = (int)(sim_rand(seed) % SIM_RANKS);
        sim_serve(s, i);
        break;
    case 2: case 3: { /* the network moves a message */
        int id = sim_in_flight(s, (int)(sim_rand(seed) % SIM_RANKS), i);
        if (id >= 0)
            sim_arrive(s, id);
        break;
    }
    case 4:
        sim_deliver(s, i, seed);
        break;
    case 5:           /* the coordinator's request reaches a rank */
        if (*started && !r->told) {
            r->told = 1;
            if (r->st.phase == EPOCH_RUNNING && !r->cut)
                epoch_begin_cut(&r->st);
        }
        if (!*started && sim_rand(seed) % 16 == 0)
            *started = 1;
        break;
    case 6:           /* a cutting compute process reaches a safe point */
        if (r->st.phase == EPOCH_CUTTING)
            sim_take_cut(r);
        sim_serve(s, i);
        break;
    case 7:           /* control messages */
        for (int c = 0; c < s->n_ctl; c++)
            if (!s->ctl[c].done && s->ctl[c].to == i && sim_rand(seed) % 2) {
                assert_int_equal(epoch_peer_sent(&r->st, s->ctl[c].from, s->ctl[c].count), 0);
                s->ctl[c].done = 1;
            }
        if (r->cut && !r->finished && epoch_balanced(&r->st))
            sim_finish(s, i);
        break;
    }
}

static void run_simulation(unsigned seed)
{
    struct sim *s = calloc(1, sizeof *s);
    assert_non_null(s);
    for (int i = 0; i < SIM_RANKS; i++)
        assert_int_equal(epoch_init(&s->r[i].st, SIM_RANKS, i, 0), 0);
    int started = 0, steps = 0, all_finished = 0;
    while (!all_finished) {
        assert_true(++steps < 2000000);    /* it always ends */
        sim_step(s, &seed, &started);
        all_finished = 1;
        for (int i = 0; i < SIM_RANKS; i++)
            all_finished &= s->r[i].finished;
    }
    /* Flush what is still in flight or undelivered. */
    for (int from = 0; from < SIM_RANKS; from++)
        for (int to = 0; to < SIM_RANKS; to++)
            for (int id; (id = sim_in_flight(s, from, to)) >= 0;)
                sim_arrive(s, id);
    for (int id = 0; id < s->n_msgs; id++) {
        struct sim_msg *m = &s->m[id];
        if (!m->delivered)
            m->delivered_after_cut = 1;
        /* consistent: nothing sent after a cut is delivered before one */
        assert_false(m->sent_after_cut && !m->delivered_after_cut);
        /* stamps say which side of the sender's cut a message is on */
        assert_int_equal(m->stamp, (uint64_t)m->sent_after_cut);
        /* in transit across the cut: saved as channel state */
        if (!m->sent_after_cut && m->delivered_after_cut)
            assert_true(m->recorded);
        if (m->sent_after_cut || !m->delivered_after_cut)
            assert_false(m->recorded);
    }
    for (int i = 0; i < SIM_RANKS; i++)
        epoch_free(&s->r[i].st);
    free(s);
}

static void test_random_runs_give_consistent_cuts(void **state)
{
    (void)state;
    for (unsigned seed = 1; seed <= 300; seed++)
        run_simulation(seed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cut_without_messages_balances_at_once),
        cmocka_unit_test(test_message_in_transit_is_channel_state),
        cmocka_unit_test(test_newer_message_makes_the_receiver_cut_first),
        cmocka_unit_test(test_pre_cut_submissions_keep_the_old_stamp),
        cmocka_unit_test(test_impossible_stamps_and_counts_are_protocol_errors),
        cmocka_unit_test(test_reset_after_recovery_starts_counting_afresh),
        cmocka_unit_test(test_random_runs_give_consistent_cuts),
    };
    return cmocka_run_group_tests_name("epoch", tests, NULL, NULL);
}
