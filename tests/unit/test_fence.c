/*
 * test_fence.c — the collective fence of coordinated/fence.h: the targets,
 * the coordinator's decisions one by one, then a randomized simulation of
 * ranks running programs of collectives on overlapping communicators,
 * frozen at random points, which checks what the fence exists for: when
 * the coordinator says CUT, every member of every communicator has started
 * exactly the same number of collectives there.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "coordinated/fence.h"

static void test_targets_only_grow_and_absent_is_zero(void **state)
{
    (void)state;
    struct fence_table t = { 0 };
    assert_int_equal(fence_table_target(&t, 7), 0);
    assert_int_equal(fence_table_raise(&t, 7, 0), 0);
    assert_int_equal(t.n, 0);
    assert_int_equal(fence_table_raise(&t, 7, 5), 1);
    assert_int_equal(fence_table_raise(&t, 7, 3), 0);
    assert_int_equal(fence_table_raise(&t, 7, 5), 0);
    assert_int_equal(fence_table_target(&t, 7), 5);
    for (uint64_t name = 100; name < 140; name++)
        assert_int_equal(fence_table_raise(&t, name, name), 1);
    assert_int_equal(fence_table_target(&t, 139), 139);
    assert_int_equal(fence_table_target(&t, 7), 5);
    fence_table_clear(&t);
    assert_int_equal(fence_table_target(&t, 7), 0);
    fence_table_free(&t);
}

static void counts(struct fence_leader *l, uint64_t name, uint64_t count)
{
    uint64_t pair[2] = { name, count };
    assert_int_equal(fence_leader_counts(l, pair, 1), 0);
}

static void status(struct fence_leader *l, int rank, int reached, uint64_t blocked_name,
                   uint64_t blocked_next)
{
    struct fence_status st = { l->version, reached, blocked_name, blocked_next };
    fence_leader_status(l, rank, &st);
}

static void test_targets_are_the_maxima_once_every_rank_counted(void **state)
{
    (void)state;
    struct fence_leader l;
    assert_int_equal(fence_leader_init(&l, 3), 0);
    fence_leader_start(&l);
    counts(&l, 1, 985);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_WAIT);
    counts(&l, 1, 986);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_WAIT);
    counts(&l, 1, 984);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_SEND);
    assert_int_equal(l.version, 1);
    assert_int_equal(fence_table_target(&l.targets, 1), 986);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_WAIT);
    fence_leader_free(&l);
}

static void test_cut_only_when_every_rank_reached_this_version(void **state)
{
    (void)state;
    struct fence_leader l;
    assert_int_equal(fence_leader_init(&l, 2), 0);
    fence_leader_start(&l);
    counts(&l, 1, 4);
    counts(&l, 1, 3);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_SEND);
    status(&l, 0, 1, 0, 0);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_WAIT);
    status(&l, 1, 0, 0, 0);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_WAIT);
    /* A status of an older version does not count, nor replace a newer. */
    struct fence_status old = { 0, 1, 0, 0 };
    fence_leader_status(&l, 1, &old);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_WAIT);
    status(&l, 1, 1, 0, 0);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_GO);
    fence_leader_free(&l);
}

static void test_a_blocked_rank_below_target_gets_a_raise_at_once(void **state)
{
    (void)state;
    struct fence_leader l;
    assert_int_equal(fence_leader_init(&l, 2), 0);
    fence_leader_start(&l);
    uint64_t a[4] = { 10, 5, 20, 2 }, b[4] = { 10, 4, 20, 3 };
    assert_int_equal(fence_leader_counts(&l, a, 2), 0);
    assert_int_equal(fence_leader_counts(&l, b, 2), 0);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_SEND);
    /* Rank 0 must start collective 6 on 10 before its third on 20. */
    status(&l, 0, 0, 10, 6);
    status(&l, 1, 0, 0, 0);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_SEND);
    assert_int_equal(l.version, 2);
    assert_int_equal(fence_table_target(&l.targets, 10), 6);
    assert_int_equal(fence_table_target(&l.targets, 20), 3);
    /* The statuses of version 1 no longer count. */
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_WAIT);
    status(&l, 0, 1, 0, 0);
    status(&l, 1, 1, 0, 0);
    assert_int_equal(fence_leader_decide(&l, 0), FENCE_GO);
    fence_leader_free(&l);
}

static void test_reached_ranks_are_raised_after_a_doubling_delay(void **state)
{
    (void)state;
    struct fence_leader l;
    assert_int_equal(fence_leader_init(&l, 2), 0);
    fence_leader_start(&l);
    counts(&l, 1, 7);
    counts(&l, 2, 1);
    int64_t now = 1000;
    assert_int_equal(fence_leader_decide(&l, now), FENCE_SEND);
    /* Rank 0 is at every target, holding collective 8 on 1; rank 1 waits
     * for something else (say a message rank 0 sends after that 8th). */
    status(&l, 0, 1, 1, 8);
    status(&l, 1, 0, 0, 0);
    assert_int_equal(fence_leader_decide(&l, now + FENCE_FIRST_DELAY_NS - 1), FENCE_WAIT);
    now += FENCE_FIRST_DELAY_NS;
    assert_int_equal(fence_leader_decide(&l, now), FENCE_SEND);
    assert_int_equal(fence_table_target(&l.targets, 1), 8);
    status(&l, 0, 1, 1, 9);
    status(&l, 1, 0, 0, 0);
    assert_int_equal(fence_leader_decide(&l, now + 2 * FENCE_FIRST_DELAY_NS - 1), FENCE_WAIT);
    now += 2 * FENCE_FIRST_DELAY_NS;
    assert_int_equal(fence_leader_decide(&l, now), FENCE_SEND);
    assert_int_equal(fence_table_target(&l.targets, 1), 9);
    /* Nobody blocked: nothing to raise, the delay still grows. */
    status(&l, 0, 1, 0, 0);
    status(&l, 1, 0, 0, 0);
    now += 4 * FENCE_FIRST_DELAY_NS;
    assert_int_equal(fence_leader_decide(&l, now), FENCE_WAIT);
    assert_int_equal(l.delay_ns, 8 * FENCE_FIRST_DELAY_NS);
    status(&l, 1, 1, 0, 0);
    assert_int_equal(fence_leader_decide(&l, now), FENCE_GO);
    fence_leader_free(&l);
}

static void test_the_delay_stops_doubling_at_its_cap(void **state)
{
    (void)state;
    struct fence_leader l;
    assert_int_equal(fence_leader_init(&l, 1), 0);
    fence_leader_start(&l);
    counts(&l, 1, 1);
    int64_t now = 0;
    assert_int_equal(fence_leader_decide(&l, now), FENCE_SEND);
    for (int i = 0; i < 20; i++) {
        status(&l, 0, 0, 0, 0);
        now += FENCE_MAX_DELAY_NS;
        assert_int_equal(fence_leader_decide(&l, now), FENCE_WAIT);
    }
    assert_true(l.delay_ns >= FENCE_MAX_DELAY_NS && l.delay_ns < 2 * FENCE_MAX_DELAY_NS);
    fence_leader_free(&l);
}

/* --- simulation ----------------------------------------------------------- */

#define SIM_RANKS 5
#define SIM_COMMS 4
#define SIM_OPS 60

/* A job: one global order of collectives, each on one communicator; a rank
 * runs the subsequence of those on communicators it belongs to (so the
 * members of a communicator start its collectives in the same order, as
 * MPI requires). */
struct sim {
    int member[SIM_COMMS][SIM_RANKS];
    int comm_of[SIM_OPS];
    int program[SIM_RANKS][SIM_OPS], length[SIM_RANKS];
    int done[SIM_RANKS];                 /* collectives started */
    uint64_t count[SIM_RANKS][SIM_COMMS];
};

static uint64_t name_of(int comm)
{
    return 1000 + (uint64_t)comm;
}

static void sim_make(struct sim *s, unsigned *seed)
{
    memset(s, 0, sizeof *s);
    for (int c = 0; c < SIM_COMMS; c++)
        for (int r = 0; r < SIM_RANKS; r++)
            s->member[c][r] = c == 0 || rand_r(seed) % 2;
    for (int i = 0; i < SIM_OPS; i++) {
        int c = rand_r(seed) % SIM_COMMS;
        s->comm_of[i] = c;
        for (int r = 0; r < SIM_RANKS; r++)
            if (s->member[c][r])
                s->program[r][s->length[r]++] = c;
    }
}

static void sim_start(struct sim *s, int r)
{
    int c = s->program[r][s->done[r]++];
    s->count[r][c]++;
}

/* What rank r tells the coordinator under `targets`, after starting every
 * collective it may. */
static struct fence_status sim_rank_step(struct sim *s, int r, const struct fence_table *t,
                                         uint64_t version)
{
    while (s->done[r] < s->length[r]) {
        int c = s->program[r][s->done[r]];
        if (s->count[r][c] >= fence_table_target(t, name_of(c)))
            break;
        sim_start(s, r);
    }
    struct fence_status st = { .version = version, .reached = 1 };
    for (int c = 0; c < SIM_COMMS; c++)
        if (s->member[c][r] && s->count[r][c] < fence_table_target(t, name_of(c)))
            st.reached = 0;
    if (s->done[r] < s->length[r]) {
        int c = s->program[r][s->done[r]];
        st.blocked_name = name_of(c);
        st.blocked_next = s->count[r][c] + 1;
    }
    return st;
}

static void test_simulated_jobs_cut_at_equal_counts(void **state)
{
    (void)state;
    unsigned seed = 20261124;
    for (int trial = 0; trial < 2000; trial++) {
        struct sim s;
        sim_make(&s, &seed);
        /* At FREEZE each rank is at a random point of its program
         * (collectives that do not synchronize let ranks drift apart). */
        for (int r = 0; r < SIM_RANKS; r++) {
            int upto = s.length[r] ? rand_r(&seed) % (s.length[r] + 1) : 0;
            while (s.done[r] < upto)
                sim_start(&s, r);
        }
        struct fence_leader l;
        assert_int_equal(fence_leader_init(&l, SIM_RANKS), 0);
        fence_leader_start(&l);
        for (int r = 0; r < SIM_RANKS; r++) {
            uint64_t pairs[2 * SIM_COMMS];
            size_t m = 0;
            for (int c = 0; c < SIM_COMMS; c++)
                if (s.member[c][r]) {
                    pairs[2 * m] = name_of(c);
                    pairs[2 * m + 1] = s.count[r][c];
                    m++;
                }
            assert_int_equal(fence_leader_counts(&l, pairs, m), 0);
        }
        int64_t now = 0;
        int action, rounds = 0;
        while ((action = fence_leader_decide(&l, now)) != FENCE_GO) {
            assert_int_not_equal(action, -1);
            if (action == FENCE_SEND)
                for (int r = 0; r < SIM_RANKS; r++) {
                    struct fence_status st = sim_rank_step(&s, r, &l.targets, l.version);
                    fence_leader_status(&l, r, &st);
                }
            now += FENCE_FIRST_DELAY_NS;
            assert_true(++rounds < 10000);
        }
        for (int c = 0; c < SIM_COMMS; c++)
            for (int r = 0; r < SIM_RANKS; r++)
                if (s.member[c][r])
                    assert_int_equal(s.count[r][c], fence_table_target(&l.targets, name_of(c)));
        fence_leader_free(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_targets_only_grow_and_absent_is_zero),
        cmocka_unit_test(test_targets_are_the_maxima_once_every_rank_counted),
        cmocka_unit_test(test_cut_only_when_every_rank_reached_this_version),
        cmocka_unit_test(test_a_blocked_rank_below_target_gets_a_raise_at_once),
        cmocka_unit_test(test_reached_ranks_are_raised_after_a_doubling_delay),
        cmocka_unit_test(test_the_delay_stops_doubling_at_its_cap),
        cmocka_unit_test(test_simulated_jobs_cut_at_equal_counts),
    };
    return cmocka_run_group_tests_name("fence", tests, NULL, NULL);
}
