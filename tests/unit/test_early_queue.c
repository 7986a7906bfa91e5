/*
 * test_early_queue.c — the keeper's early queue (coordinated/early_queue.h):
 * MPI's matching rules one by one (exact, ANY_SOURCE, ANY_TAG, both, other
 * communicators), first match in arrival order, taking from anywhere,
 * dropping a communicator, clearing, iteration, ownership of the wire
 * buffers (the binary runs clean under valgrind), then a randomized
 * comparison with a reference model (an array scanned linearly).
 *
 * Every pushed wire buffer holds a message number in its first bytes, so a
 * test knows which message it got back without trusting the envelope.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/wire.h"
#include "coordinated/early_queue.h"

enum { ANY_SRC = WIRE_ANY_SOURCE, ANY_TAG = WIRE_ANY_TAG };

/* A malloc'd wire buffer of `bytes` (>= sizeof id) starting with `id`. */
static void *wire_with_id(uint32_t id, size_t bytes)
{
    unsigned char *w = malloc(bytes);
    assert_non_null(w);
    memset(w, 0xA5, bytes);
    memcpy(w, &id, sizeof id);
    return w;
}

static uint32_t id_of(const struct early_msg *m)
{
    uint32_t id;
    memcpy(&id, m->wire, sizeof id);
    return id;
}

/* Pushes message `id` with a 32-byte wire. */
static void push(struct early_queue *q, int64_t comm, int32_t source,
                 int32_t tag, uint32_t id)
{
    assert_int_equal(early_queue_push(q, comm, source, tag,
                                      wire_with_id(id, 32), 32), 0);
}

/* The id find returns, or -1 if nothing matches. */
static long found_id(const struct early_queue *q, int64_t comm,
                     int32_t source, int32_t tag)
{
    const struct early_msg *m = early_queue_find(q, comm, source, tag);
    return m == NULL ? -1 : (long)id_of(m);
}

/* Takes the first match (which must exist) and returns its id, checking
 * the envelope handed back and freeing the wire, now ours. */
static uint32_t take_id(struct early_queue *q, int64_t comm, int32_t source,
                        int32_t tag)
{
    const struct early_msg *m = early_queue_find(q, comm, source, tag);
    assert_non_null(m);
    struct early_msg got;
    early_queue_take(q, m, &got);
    assert_true(got.comm == comm);
    if (source != ANY_SRC)
        assert_int_equal(got.source, source);
    if (tag != ANY_TAG)
        assert_int_equal(got.tag, tag);
    uint32_t id = id_of(&got);
    free(got.wire);
    return id;
}

static void test_empty_queue_matches_nothing(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    assert_null(early_queue_find(&q, WIRE_COMM_WORLD, ANY_SRC, ANY_TAG));
    assert_int_equal(early_queue_count(&q), 0);
    assert_int_equal(early_queue_bytes(&q), 0);
    assert_int_equal(early_queue_drop_comm(&q, WIRE_COMM_WORLD), 0);
    early_queue_clear(&q);
}

static void test_exact_match_needs_comm_source_and_tag(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    push(&q, 2, 1, 5, 10);
    push(&q, 2, 1, 6, 11);
    push(&q, 2, 3, 5, 12);
    assert_int_equal(found_id(&q, 2, 1, 5), 10);
    assert_int_equal(found_id(&q, 2, 1, 6), 11);
    assert_int_equal(found_id(&q, 2, 3, 5), 12);
    assert_int_equal(found_id(&q, 2, 3, 6), -1);
    assert_int_equal(found_id(&q, 2, 0, 5), -1);
    assert_int_equal(found_id(&q, 2, 1, 7), -1);
    assert_int_equal(found_id(&q, 0, 1, 5), -1);
    assert_int_equal(found_id(&q, 2, WIRE_PROC_NULL, 5), -1);
    early_queue_clear(&q);
}

static void test_any_source_matches_first_with_tag(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    push(&q, 2, 4, 1, 20);
    push(&q, 2, 3, 7, 21);
    push(&q, 2, 0, 7, 22);
    assert_int_equal(found_id(&q, 2, ANY_SRC, 7), 21);
    assert_int_equal(found_id(&q, 2, ANY_SRC, 1), 20);
    assert_int_equal(found_id(&q, 2, ANY_SRC, 9), -1);
    assert_int_equal(take_id(&q, 2, ANY_SRC, 7), 21);
    assert_int_equal(found_id(&q, 2, ANY_SRC, 7), 22);
    early_queue_clear(&q);
}

static void test_any_tag_matches_first_from_source(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    push(&q, 2, 1, 9, 30);
    push(&q, 2, 5, 3, 31);
    push(&q, 2, 5, 0, 32);
    assert_int_equal(found_id(&q, 2, 5, ANY_TAG), 31);
    assert_int_equal(found_id(&q, 2, 1, ANY_TAG), 30);
    assert_int_equal(found_id(&q, 2, 2, ANY_TAG), -1);
    assert_int_equal(take_id(&q, 2, 5, ANY_TAG), 31);
    assert_int_equal(found_id(&q, 2, 5, ANY_TAG), 32);
    early_queue_clear(&q);
}

static void test_any_source_and_tag_match_first_on_comm(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    push(&q, 3, 0, 0, 40);
    push(&q, 2, 6, 8, 41);
    push(&q, 3, 1, 1, 42);
    push(&q, 2, 0, 0, 43);
    assert_int_equal(found_id(&q, 2, ANY_SRC, ANY_TAG), 41);
    assert_int_equal(found_id(&q, 3, ANY_SRC, ANY_TAG), 40);
    assert_int_equal(found_id(&q, 4, ANY_SRC, ANY_TAG), -1);
    early_queue_clear(&q);
}

/* Communicator ids are 64-bit: ids that differ only in their high bits
 * are different communicators. */
static void test_other_comm_never_matches(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    const int64_t high = (int64_t)1 << 40;
    push(&q, high + 2, 1, 5, 50);
    push(&q, 2, 1, 5, 51);
    assert_int_equal(found_id(&q, 2, 1, 5), 51);
    assert_int_equal(found_id(&q, 2, ANY_SRC, ANY_TAG), 51);
    assert_int_equal(found_id(&q, high + 2, ANY_SRC, ANY_TAG), 50);
    assert_int_equal(found_id(&q, WIRE_COMM_SELF, ANY_SRC, ANY_TAG), -1);
    early_queue_clear(&q);
}

/* Two senders, two tags, interleaved: every receive gets the oldest
 * matching message, so each sender's messages come out in sending order
 * whatever the mix of wildcards. */
static void test_first_match_in_arrival_order_interleaved(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    /*        id: 0  1  2  3  4  5  6  7 */
    int src[] = { 0, 1, 0, 1, 1, 0, 0, 1 };
    int tag[] = { 7, 7, 8, 8, 7, 7, 8, 8 };
    for (uint32_t i = 0; i < 8; i++)
        push(&q, 2, src[i], tag[i], i);
    assert_int_equal(take_id(&q, 2, 1, 8), 3);
    assert_int_equal(take_id(&q, 2, ANY_SRC, 8), 2);
    assert_int_equal(take_id(&q, 2, 0, ANY_TAG), 0);
    assert_int_equal(take_id(&q, 2, 0, ANY_TAG), 5);
    assert_int_equal(take_id(&q, 2, ANY_SRC, ANY_TAG), 1);
    assert_int_equal(take_id(&q, 2, 1, 7), 4);
    assert_int_equal(take_id(&q, 2, ANY_SRC, 8), 6);
    assert_int_equal(take_id(&q, 2, ANY_SRC, ANY_TAG), 7);
    assert_int_equal(early_queue_count(&q), 0);
    assert_null(q.head);
    assert_null(q.tail);
    early_queue_clear(&q);
}

/* Taking the head, a middle message and the tail keeps the rest linked
 * and in order, and the queue accepts pushes afterwards. */
static void test_take_from_head_middle_and_tail(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    for (uint32_t i = 0; i < 5; i++)
        push(&q, 2, (int32_t)i, 0, i);
    assert_int_equal(take_id(&q, 2, 2, 0), 2);            /* middle */
    assert_int_equal(found_id(&q, 2, ANY_SRC, 0), 0);
    assert_int_equal(take_id(&q, 2, 0, 0), 0);            /* head */
    assert_int_equal(found_id(&q, 2, ANY_SRC, 0), 1);
    assert_int_equal(take_id(&q, 2, 4, 0), 4);            /* tail */
    push(&q, 2, 9, 0, 9);
    assert_int_equal(early_queue_count(&q), 3);
    assert_int_equal(take_id(&q, 2, ANY_SRC, ANY_TAG), 1);
    assert_int_equal(take_id(&q, 2, ANY_SRC, ANY_TAG), 3);
    assert_int_equal(take_id(&q, 2, ANY_SRC, ANY_TAG), 9);
    assert_null(early_queue_find(&q, 2, ANY_SRC, ANY_TAG));
    early_queue_clear(&q);
}

/* Take hands back the very buffer pushed, with its envelope and length;
 * peeking with find leaves the message in place. */
static void test_take_hands_back_the_buffer(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    void *wire = wire_with_id(77, 100);
    assert_int_equal(early_queue_push(&q, 5, 3, 4, wire, 100), 0);
    const struct early_msg *peek = early_queue_find(&q, 5, ANY_SRC, 4);
    assert_non_null(peek);
    assert_ptr_equal(peek->wire, wire);
    assert_ptr_equal(early_queue_find(&q, 5, 3, ANY_TAG), peek);
    assert_int_equal(early_queue_count(&q), 1);
    struct early_msg got;
    early_queue_take(&q, peek, &got);
    assert_ptr_equal(got.wire, wire);
    assert_int_equal(got.bytes, 100);
    assert_true(got.comm == 5);
    assert_int_equal(got.source, 3);
    assert_int_equal(got.tag, 4);
    assert_int_equal(early_queue_count(&q), 0);
    assert_int_equal(early_queue_bytes(&q), 0);
    free(got.wire);
    early_queue_clear(&q);
}

static void test_count_and_bytes_follow_contents(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    assert_int_equal(early_queue_push(&q, 2, 0, 0, wire_with_id(0, 40), 40), 0);
    assert_int_equal(early_queue_push(&q, 3, 0, 0, wire_with_id(1, 50), 50), 0);
    assert_int_equal(early_queue_push(&q, 2, 1, 0, wire_with_id(2, 60), 60), 0);
    assert_int_equal(early_queue_count(&q), 3);
    assert_int_equal(early_queue_bytes(&q), 150);
    assert_int_equal(take_id(&q, 3, ANY_SRC, ANY_TAG), 1);
    assert_int_equal(early_queue_count(&q), 2);
    assert_int_equal(early_queue_bytes(&q), 100);
    assert_int_equal(early_queue_drop_comm(&q, 2), 2);
    assert_int_equal(early_queue_count(&q), 0);
    assert_int_equal(early_queue_bytes(&q), 0);
    early_queue_clear(&q);
}

/* A wildcard or PROC_NULL is not an envelope: refused, queue unchanged,
 * the buffer still the caller's. */
static void test_push_refuses_negative_source_or_tag(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    void *wire = wire_with_id(1, 32);
    errno = 0;
    assert_int_equal(early_queue_push(&q, 2, ANY_SRC, 0, wire, 32), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(early_queue_push(&q, 2, WIRE_PROC_NULL, 0, wire, 32), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(early_queue_push(&q, 2, 0, ANY_TAG, wire, 32), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(early_queue_count(&q), 0);
    assert_int_equal(early_queue_bytes(&q), 0);
    assert_null(early_queue_find(&q, 2, ANY_SRC, ANY_TAG));
    free(wire);
    early_queue_clear(&q);
}

/* Dropping a communicator frees its messages (valgrind checks) and keeps
 * the others, in order, at the head, in the middle and at the tail. */
static void test_drop_comm_keeps_others_in_order(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    int64_t comm[] = { 4, 2, 4, 4, 2, 3, 4 };
    for (uint32_t i = 0; i < 7; i++)
        push(&q, comm[i], 0, 0, i);
    assert_int_equal(early_queue_drop_comm(&q, 4), 4);
    assert_int_equal(early_queue_drop_comm(&q, 4), 0);
    assert_int_equal(early_queue_count(&q), 3);
    assert_int_equal(early_queue_bytes(&q), 3 * 32);
    assert_int_equal(found_id(&q, 4, ANY_SRC, ANY_TAG), -1);
    push(&q, 2, 0, 0, 7);
    assert_int_equal(take_id(&q, 2, 0, 0), 1);
    assert_int_equal(take_id(&q, 2, 0, 0), 4);
    assert_int_equal(take_id(&q, 2, 0, 0), 7);
    assert_int_equal(take_id(&q, 3, 0, 0), 5);
    assert_int_equal(early_queue_count(&q), 0);
    early_queue_clear(&q);
}

static void test_clear_empties_and_queue_stays_usable(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    for (uint32_t i = 0; i < 10; i++)
        push(&q, (int64_t)(i % 3), (int32_t)i, 1, i);
    early_queue_clear(&q);
    assert_int_equal(early_queue_count(&q), 0);
    assert_int_equal(early_queue_bytes(&q), 0);
    assert_null(early_queue_find(&q, 0, ANY_SRC, ANY_TAG));
    push(&q, 0, 0, 1, 99);
    assert_int_equal(found_id(&q, 0, ANY_SRC, ANY_TAG), 99);
    early_queue_clear(&q);
    early_queue_clear(&q);                 /* clearing twice is harmless */
}

struct visit_log {
    uint32_t ids[16];
    size_t n;
    size_t stop_after;   /* return nonzero after this many visits */
};

static int log_visit(const struct early_msg *m, void *arg)
{
    struct visit_log *log = arg;
    log->ids[log->n++] = id_of(m);
    return log->n == log->stop_after ? 42 : 0;
}

static void test_foreach_visits_in_arrival_order(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    for (uint32_t i = 0; i < 6; i++)
        push(&q, (int64_t)(i % 2), 0, (int32_t)i, i);
    assert_int_equal(take_id(&q, 1, 0, 3), 3);

    struct visit_log all = { .stop_after = 0 };
    assert_int_equal(early_queue_foreach(&q, log_visit, &all), 0);
    assert_int_equal(all.n, 5);
    uint32_t expect[] = { 0, 1, 2, 4, 5 };
    for (size_t i = 0; i < 5; i++)
        assert_int_equal(all.ids[i], expect[i]);

    struct visit_log some = { .stop_after = 2 };
    assert_int_equal(early_queue_foreach(&q, log_visit, &some), 42);
    assert_int_equal(some.n, 2);
    assert_int_equal(some.ids[1], 1);
    early_queue_clear(&q);
}

/* ---- randomized comparison with a reference model ------------------------ */

/* A deterministic generator (xorshift64*), independent of the libc. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static uint32_t rnd(uint32_t bound)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return (uint32_t)((rng_state * 0x2545F4914F6CDD1Du) >> 32) % bound;
}

struct model_msg {
    int64_t comm;
    int32_t source, tag;
    uint32_t id;
    size_t bytes;
};

struct model {
    struct model_msg *msgs;   /* arrival order */
    size_t n, cap;
};

static long model_find(const struct model *m, int64_t comm, int32_t source,
                       int32_t tag)
{
    for (size_t i = 0; i < m->n; i++) {
        const struct model_msg *x = &m->msgs[i];
        if (x->comm == comm && (source == ANY_SRC || x->source == source)
            && (tag == ANY_TAG || x->tag == tag))
            return (long)i;
    }
    return -1;
}

static void model_remove(struct model *m, size_t i)
{
    memmove(&m->msgs[i], &m->msgs[i + 1], (m->n - i - 1) * sizeof *m->msgs);
    m->n--;
}

static size_t model_bytes(const struct model *m)
{
    size_t sum = 0;
    for (size_t i = 0; i < m->n; i++)
        sum += m->msgs[i].bytes;
    return sum;
}

struct order_check {
    const struct model *model;
    size_t next;
};

static int check_against_model(const struct early_msg *msg, void *arg)
{
    struct order_check *c = arg;
    assert_true(c->next < c->model->n);
    const struct model_msg *x = &c->model->msgs[c->next++];
    assert_int_equal(id_of(msg), x->id);
    assert_true(msg->comm == x->comm);
    assert_int_equal(msg->source, x->source);
    assert_int_equal(msg->tag, x->tag);
    assert_int_equal(msg->bytes, x->bytes);
    return 0;
}

static void random_push(struct early_queue *q, struct model *m, uint32_t id)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? 2 * m->cap : 64;
        m->msgs = realloc(m->msgs, m->cap * sizeof *m->msgs);
        assert_non_null(m->msgs);
    }
    struct model_msg x = { .comm = rnd(3), .source = (int32_t)rnd(4),
                           .tag = (int32_t)rnd(4), .id = id,
                           .bytes = sizeof(uint32_t) + rnd(60) };
    assert_int_equal(early_queue_push(q, x.comm, x.source, x.tag,
                                      wire_with_id(id, x.bytes), x.bytes), 0);
    m->msgs[m->n++] = x;
}

/* A receive or probe envelope: each field a wildcard a quarter of the
 * time, comm sometimes one nothing was sent on. */
static void random_envelope(int64_t *comm, int32_t *source, int32_t *tag)
{
    *comm = rnd(4);
    *source = rnd(4) == 0 ? ANY_SRC : (int32_t)rnd(4);
    *tag = rnd(4) == 0 ? ANY_TAG : (int32_t)rnd(4);
}

static void test_random_operations_match_reference_model(void **state)
{
    (void)state;
    struct early_queue q;
    early_queue_init(&q);
    struct model m = { 0 };
    uint32_t next_id = 0;
    for (int op = 0; op < 5000; op++) {
        uint32_t kind = rnd(100);
        int64_t comm;
        int32_t source, tag;
        random_envelope(&comm, &source, &tag);
        long want = model_find(&m, comm, source, tag);
        if (kind < 45) {
            random_push(&q, &m, next_id++);
        } else if (kind < 70) {                       /* probe */
            const struct early_msg *got = early_queue_find(&q, comm, source, tag);
            if (want < 0)
                assert_null(got);
            else
                assert_int_equal(id_of(got), m.msgs[want].id);
        } else if (kind < 99) {                       /* receive */
            const struct early_msg *got = early_queue_find(&q, comm, source, tag);
            if (want < 0) {
                assert_null(got);
            } else {
                struct early_msg out;
                early_queue_take(&q, got, &out);
                assert_int_equal(id_of(&out), m.msgs[want].id);
                free(out.wire);
                model_remove(&m, (size_t)want);
            }
        } else {                                      /* comm freed */
            size_t before = m.n;
            for (size_t i = m.n; i-- > 0;)
                if (m.msgs[i].comm == comm)
                    model_remove(&m, i);
            assert_int_equal(early_queue_drop_comm(&q, comm), before - m.n);
        }
        assert_int_equal(early_queue_count(&q), m.n);
        assert_int_equal(early_queue_bytes(&q), model_bytes(&m));
    }
    assert_true(m.n > 50);                /* the run left a queue to check */
    struct order_check check = { .model = &m, .next = 0 };
    assert_int_equal(early_queue_foreach(&q, check_against_model, &check), 0);
    assert_int_equal(check.next, m.n);
    early_queue_clear(&q);
    free(m.msgs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_queue_matches_nothing),
        cmocka_unit_test(test_exact_match_needs_comm_source_and_tag),
        cmocka_unit_test(test_any_source_matches_first_with_tag),
        cmocka_unit_test(test_any_tag_matches_first_from_source),
        cmocka_unit_test(test_any_source_and_tag_match_first_on_comm),
        cmocka_unit_test(test_other_comm_never_matches),
        cmocka_unit_test(test_first_match_in_arrival_order_interleaved),
        cmocka_unit_test(test_take_from_head_middle_and_tail),
        cmocka_unit_test(test_take_hands_back_the_buffer),
        cmocka_unit_test(test_count_and_bytes_follow_contents),
        cmocka_unit_test(test_push_refuses_negative_source_or_tag),
        cmocka_unit_test(test_drop_comm_keeps_others_in_order),
        cmocka_unit_test(test_clear_empties_and_queue_stays_usable),
        cmocka_unit_test(test_foreach_visits_in_arrival_order),
        cmocka_unit_test(test_random_operations_match_reference_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
