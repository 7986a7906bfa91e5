/*
 * test_output_ledger.c — unit tests of whose bytes are unread in the pipe
 * to mpirun (common/output_ledger.h).
 *
 * The randomized test models the pipe as a byte-by-byte record of who
 * wrote each byte: writes of random sizes by the compute and the keeper go
 * in, a reader takes random amounts out, and at every step the ledger must
 * name exactly the compute's share of what is unread, or, once more own
 * writes are unread than it remembers, never less than that share (a
 * repeat at a restart, never a loss).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/output_ledger.h"

static void test_only_the_compute_wrote(void **state)
{
    (void)state;
    struct output_ledger l;
    output_ledger_init(&l, 0);
    output_ledger_wrote(&l, 1000, 0);
    assert_int_equal(output_ledger_compute_unread(&l, 0), 0);
    assert_int_equal(output_ledger_compute_unread(&l, 300), 300);
    assert_int_equal(output_ledger_compute_unread(&l, 1000), 1000);
}

static void test_own_lines_are_not_the_computes(void **state)
{
    (void)state;
    struct output_ledger l;
    output_ledger_init(&l, 0);
    output_ledger_wrote(&l, 100, 0); /* [0, 100) compute */
    output_ledger_wrote(&l, 40, 1);  /* [100, 140) keeper */
    output_ledger_wrote(&l, 60, 0);  /* [140, 200) compute */
    assert_int_equal(output_ledger_compute_unread(&l, 50), 50);
    assert_int_equal(output_ledger_compute_unread(&l, 60), 60);
    assert_int_equal(output_ledger_compute_unread(&l, 80), 60);
    assert_int_equal(output_ledger_compute_unread(&l, 100), 60);
    assert_int_equal(output_ledger_compute_unread(&l, 110), 70);
    assert_int_equal(output_ledger_compute_unread(&l, 200), 160);
}

static void test_bytes_in_the_pipe_at_the_start_are_not_the_computes(void **state)
{
    (void)state;
    struct output_ledger l;
    output_ledger_init(&l, 70);
    output_ledger_wrote(&l, 30, 0);
    assert_int_equal(output_ledger_compute_unread(&l, 100), 30);
    assert_int_equal(output_ledger_compute_unread(&l, 30), 30);
}

static void test_more_unread_than_written_counts_what_was_written(void **state)
{
    (void)state;
    struct output_ledger l;
    output_ledger_init(&l, 0);
    output_ledger_wrote(&l, 10, 1);
    output_ledger_wrote(&l, 20, 0);
    assert_int_equal(output_ledger_compute_unread(&l, 500), 20);
}

static void test_adjacent_own_writes_take_one_slot(void **state)
{
    (void)state;
    struct output_ledger l;
    output_ledger_init(&l, 0);
    output_ledger_wrote(&l, 5, 0);
    for (int i = 0; i < 3 * OUTPUT_LEDGER_OWN_WRITES; i++)
        output_ledger_wrote(&l, 10, 1);
    assert_int_equal(output_ledger_compute_unread(&l, 5 + 30 * OUTPUT_LEDGER_OWN_WRITES), 5);
}

static void test_forgotten_own_writes_count_as_the_computes(void **state)
{
    (void)state;
    struct output_ledger l;
    output_ledger_init(&l, 0);
    for (int i = 0; i < OUTPUT_LEDGER_OWN_WRITES + 2; i++) {
        output_ledger_wrote(&l, 10, 1);
        output_ledger_wrote(&l, 1, 0);
    }
    /* All unread: the two oldest own writes are forgotten. */
    uint64_t all = 11 * (OUTPUT_LEDGER_OWN_WRITES + 2);
    assert_int_equal(output_ledger_compute_unread(&l, all), OUTPUT_LEDGER_OWN_WRITES + 2 + 20);
    /* The newest ones are still known exactly. */
    assert_int_equal(output_ledger_compute_unread(&l, 11 * 5), 5);
}

/* --- the randomized model ------------------------------------------------- */

#define MODEL_BYTES 400000

static void test_random_writes_and_reads_match_a_byte_model(void **state)
{
    (void)state;
    static unsigned char own[MODEL_BYTES]; /* who wrote byte i of the pipe */
    srand(20261124);
    for (int trial = 0; trial < 20; trial++) {
        struct output_ledger l;
        uint64_t foreign = (uint64_t)(rand() % 3) * 50;
        output_ledger_init(&l, foreign);
        memset(own, 1, foreign);
        uint64_t written = foreign, read = 0;
        unsigned recent_own_writes = foreign ? 1 : 0; /* own writes since `read` */
        while (written < MODEL_BYTES - 5000) {
            int is_own = rand() % 4 == 0;
            uint64_t len = is_own ? 1 + (uint64_t)(rand() % 100) : (uint64_t)(rand() % 4000);
            output_ledger_wrote(&l, len, is_own);
            /* A separate own run only if the byte before is the compute's. */
            if (is_own && len > 0 && (written == 0 || !own[written - 1]))
                recent_own_writes++;
            memset(own + written, is_own, len);
            written += len;
            if (rand() % 3 == 0) {
                read += (uint64_t)rand() % (written - read + 1);
                recent_own_writes = 0;
                for (uint64_t i = read; i < written; i++)
                    recent_own_writes += own[i] && (i == read || !own[i - 1]);
            }
            uint64_t compute = 0;
            for (uint64_t i = read; i < written; i++)
                compute += !own[i];
            uint64_t said = output_ledger_compute_unread(&l, written - read);
            if (recent_own_writes <= OUTPUT_LEDGER_OWN_WRITES)
                assert_int_equal(said, compute);
            else
                assert_true(said >= compute && said <= written - read);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_the_compute_wrote),
        cmocka_unit_test(test_own_lines_are_not_the_computes),
        cmocka_unit_test(test_bytes_in_the_pipe_at_the_start_are_not_the_computes),
        cmocka_unit_test(test_more_unread_than_written_counts_what_was_written),
        cmocka_unit_test(test_adjacent_own_writes_take_one_slot),
        cmocka_unit_test(test_forgotten_own_writes_count_as_the_computes),
        cmocka_unit_test(test_random_writes_and_reads_match_a_byte_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
