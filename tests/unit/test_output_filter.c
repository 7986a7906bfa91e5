/*
 * test_output_filter.c — unit tests of the exactly-once output arithmetic
 * and of the position sequence lock (common/output_filter.h).
 *
 * The randomized test plays a whole job with a fixed seed: incarnations
 * write a deterministic stream into a modelled pipe, the supervisor reads
 * it in chunks of arbitrary size, cuts record the compute side's position
 * (published read position plus what is in the pipe), and failures restore
 * an incarnation to any earlier cut, or restart the job from the persisted
 * position. What was forwarded must be exactly the failure-free stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/output_filter.h"

static void test_a_new_stream_forwards_everything(void **state)
{
    (void)state;
    struct output_stream st;
    output_stream_init(&st, 0);
    struct output_split split = output_stream_take(&st, 100);
    assert_int_equal(split.drop, 0);
    assert_int_equal(split.forward, 100);
    assert_int_equal(output_stream_emitted(&st), 100);
    assert_int_equal(output_stream_read_position(&st), 100);
}

static void test_a_restored_stream_drops_what_was_emitted_after_its_cut(void **state)
{
    (void)state;
    struct output_stream st;
    output_stream_init(&st, 1000);
    output_stream_restore(&st, 900);
    assert_int_equal(output_stream_read_position(&st), 900);
    struct output_split split = output_stream_take(&st, 250);
    assert_int_equal(split.drop, 100);
    assert_int_equal(split.forward, 150);
    assert_int_equal(output_stream_emitted(&st), 1150);
    assert_int_equal(output_stream_read_position(&st), 1150);
}

static void test_a_drop_spans_several_chunks(void **state)
{
    (void)state;
    struct output_stream st;
    output_stream_init(&st, 500);
    output_stream_restore(&st, 0);
    size_t chunks[] = { 100, 1, 0, 298, 100, 50 };
    size_t dropped = 0, forwarded = 0;
    for (size_t i = 0; i < sizeof chunks / sizeof *chunks; i++) {
        struct output_split split = output_stream_take(&st, chunks[i]);
        assert_int_equal(split.drop + split.forward, chunks[i]);
        assert_true(split.forward == 0 || dropped + split.drop == 500);
        dropped += split.drop;
        forwarded += split.forward;
        /* Still dropping, the published position trails P. */
        assert_int_equal(output_stream_read_position(&st), dropped + forwarded);
        assert_int_equal(output_stream_emitted(&st), 500 + forwarded);
    }
    assert_int_equal(dropped, 500);
    assert_int_equal(forwarded, 49);
}

static void test_a_zero_length_chunk_changes_nothing(void **state)
{
    (void)state;
    struct output_stream st;
    output_stream_init(&st, 40);
    output_stream_restore(&st, 10);
    struct output_split split = output_stream_take(&st, 0);
    assert_int_equal(split.drop, 0);
    assert_int_equal(split.forward, 0);
    assert_int_equal(output_stream_emitted(&st), 40);
    assert_int_equal(output_stream_read_position(&st), 10);
}

static void test_a_stream_without_a_position_drops_nothing(void **state)
{
    (void)state;
    struct output_stream st;
    output_stream_init(&st, 700);
    output_stream_restore(&st, OUTPUT_NO_POSITION);
    struct output_split split = output_stream_take(&st, 30);
    assert_int_equal(split.drop, 0);
    assert_int_equal(split.forward, 30);
    assert_int_equal(output_stream_emitted(&st), 730);
}

static void test_a_cut_beyond_the_emitted_position_moves_it_up(void **state)
{
    (void)state;
    /* The persisted P lags the bytes really forwarded up to the cut (a
     * keeper killed between a forward and its pwrite): nothing is dropped
     * and the next cut is still counted from C. */
    struct output_stream st;
    output_stream_init(&st, 100);
    output_stream_restore(&st, 160);
    assert_int_equal(output_stream_emitted(&st), 160);
    assert_int_equal(output_stream_read_position(&st), 160);
    struct output_split split = output_stream_take(&st, 5);
    assert_int_equal(split.drop, 0);
    assert_int_equal(output_stream_emitted(&st), 165);
}

static void test_restoring_to_the_emitted_position_drops_nothing(void **state)
{
    (void)state;
    struct output_stream st;
    output_stream_init(&st, 64);
    output_stream_restore(&st, 64);
    assert_int_equal(output_stream_take(&st, 1).drop, 0);
}

/* --- the whole job, randomized ------------------------------------------------ */

#define STREAM_BYTES 20000
#define MAX_CUTS 256

static unsigned char stream_byte(uint64_t k)
{
    return (unsigned char)(k * 131u + k / 251u);
}

/* One rank's stdout: the incarnation writes the stream from `written` into
 * the pipe [pipe_lo, written); the supervisor reads from pipe_lo. */
struct job {
    struct output_stream st;
    uint64_t written, pipe_lo;
    unsigned char out[2 * STREAM_BYTES];
    size_t out_len;
    uint64_t cuts[MAX_CUTS];
    int ncuts;
};

static void incarnation_writes(struct job *j, uint64_t n)
{
    if (n > STREAM_BYTES - j->written)
        n = STREAM_BYTES - j->written;
    j->written += n;
}

static void supervisor_reads(struct job *j, uint64_t n)
{
    if (n > j->written - j->pipe_lo)
        n = j->written - j->pipe_lo;
    struct output_split split = output_stream_take(&j->st, (size_t)n);
    assert_int_equal(split.drop + split.forward, n);
    for (uint64_t k = j->pipe_lo + split.drop; k < j->pipe_lo + n; k++) {
        assert_true(j->out_len < sizeof j->out);
        j->out[j->out_len++] = stream_byte(k);
    }
    j->pipe_lo += n;
    assert_int_equal(j->out_len, output_stream_emitted(&j->st));
}

/* What the compute process computes at its cut. */
static void take_cut(struct job *j)
{
    uint64_t cut = output_stream_read_position(&j->st) + (j->written - j->pipe_lo);
    assert_int_equal(cut, j->written);
    if (j->ncuts < MAX_CUTS)
        j->cuts[j->ncuts++] = cut;
}

/* Restores a new incarnation to a random earlier cut (or a fresh start). */
static void restore_somewhere(struct job *j)
{
    int pick = rand() % (j->ncuts + 1);
    uint64_t cut = pick == j->ncuts ? 0 : j->cuts[pick];
    output_stream_restore(&j->st, cut);
    j->written = j->pipe_lo = cut;
}

static void recover_in_place(struct job *j)
{
    supervisor_reads(j, UINT64_MAX);   /* supervisor_replace drains the old pipe */
    restore_somewhere(j);
}

static void restart_job(struct job *j)
{
    supervisor_reads(j, UINT64_MAX);
    uint64_t persisted = output_stream_emitted(&j->st);
    output_stream_init(&j->st, persisted);
    restore_somewhere(j);
}

static void test_output_after_many_recoveries_is_the_failure_free_stream(void **state)
{
    (void)state;
    static struct job j;
    memset(&j, 0, sizeof j);
    output_stream_init(&j.st, 0);
    srand(12345);
    int recoveries = 0, restarts = 0;
    while (j.written < STREAM_BYTES || j.pipe_lo < j.written) {
        int what = rand() % 100;
        if (what < 45)
            incarnation_writes(&j, (uint64_t)(rand() % 100));
        else if (what < 90)
            supervisor_reads(&j, (uint64_t)(rand() % 150));
        else if (what < 97)
            take_cut(&j);
        else if (recoveries < 60) {
            recoveries++;
            if (what == 99) {
                restarts++;
                restart_job(&j);
            } else {
                recover_in_place(&j);
            }
        }
    }
    assert_true(restarts >= 3 && recoveries - restarts >= 30);
    assert_int_equal(j.out_len, STREAM_BYTES);
    for (uint64_t k = 0; k < STREAM_BYTES; k++)
        assert_int_equal(j.out[k], stream_byte(k));
}

/* --- the sequence lock ---------------------------------------------------------- */

static void test_readers_wait_out_a_publication(void **state)
{
    (void)state;
    struct chan_output out = {0};
    uint32_t seq;
    assert_true(output_read_begin(&out, &seq));
    output_publish_begin(&out);
    uint32_t during;
    assert_false(output_read_begin(&out, &during));
    output_publish_end(&out);
    uint32_t after;
    assert_true(output_read_begin(&out, &after));
    assert_int_not_equal(after, seq);
}

static void test_a_read_across_a_publication_is_retried(void **state)
{
    (void)state;
    struct chan_output out = {0};
    uint32_t seq;
    assert_true(output_read_begin(&out, &seq));
    assert_false(output_read_changed(&out, seq));
    output_publish_begin(&out);
    output_publish_position(&out, 1, 42);
    output_publish_end(&out);
    assert_true(output_read_changed(&out, seq));
}

static void test_published_fields_read_back(void **state)
{
    (void)state;
    struct chan_output out = {0};
    output_publish_begin(&out);
    output_publish_position(&out, 0, 7);
    output_publish_position(&out, 1, 9);
    output_publish_pipe(&out, 1, 1234, 56);
    output_publish_end(&out);
    uint32_t seq;
    assert_true(output_read_begin(&out, &seq));
    assert_int_equal(output_read_position(&out, 0), 7);
    assert_int_equal(output_read_position(&out, 1), 9);
    uint64_t ino, dev;
    output_read_pipe(&out, 1, &ino, &dev);
    assert_int_equal(ino, 1234);
    assert_int_equal(dev, 56);
    output_read_pipe(&out, 0, &ino, &dev);
    assert_int_equal(ino, 0);
    assert_false(output_read_changed(&out, seq));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_new_stream_forwards_everything),
        cmocka_unit_test(test_a_restored_stream_drops_what_was_emitted_after_its_cut),
        cmocka_unit_test(test_a_drop_spans_several_chunks),
        cmocka_unit_test(test_a_zero_length_chunk_changes_nothing),
        cmocka_unit_test(test_a_stream_without_a_position_drops_nothing),
        cmocka_unit_test(test_a_cut_beyond_the_emitted_position_moves_it_up),
        cmocka_unit_test(test_restoring_to_the_emitted_position_drops_nothing),
        cmocka_unit_test(test_output_after_many_recoveries_is_the_failure_free_stream),
        cmocka_unit_test(test_readers_wait_out_a_publication),
        cmocka_unit_test(test_a_read_across_a_publication_is_retried),
        cmocka_unit_test(test_published_fields_read_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
