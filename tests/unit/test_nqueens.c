/*
 * test_nqueens.c — unit tests of apps/nqueens_kernel: the solution counts of
 * small boards, and the work items of the nqueens program (they must cover
 * every solution exactly once, so that any split of them among ranks adds up
 * to the right total).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "apps/nqueens_kernel.h"

/* Solutions of the whole n×n board, adding up every work item. */
static uint64_t count_board(int n)
{
    uint64_t total = 0;
    for (int k = 0; k < nqueens_item_count(n); k++)
        total += nqueens_count_item(n, nqueens_item(n, k));
    return total;
}

static void test_known_counts(void **state)
{
    (void)state;
    /* OEIS A000170 */
    static const uint64_t known[] = {1, 0, 0, 2, 10, 4, 40, 92, 352, 724};
    for (int n = 1; n <= 10; n++)
        assert_int_equal(count_board(n), known[n - 1]);
    assert_int_equal(count_board(12), 14200);
}

static void test_items_are_compatible_first_rows(void **state)
{
    (void)state;
    for (int n = 2; n <= 10; n++) {
        /* n choices in row 0, minus the attacked columns of row 1: its own
         * column and one or two diagonal neighbours. */
        int expected = n * n - n - 2 * (n - 1);
        assert_int_equal(nqueens_item_count(n), expected);
        for (int k = 0; k < nqueens_item_count(n); k++) {
            struct nqueens_item item = nqueens_item(n, k);
            assert_int_equal(item.rows, 2);
            int gap = item.col[0] - item.col[1];
            assert_true(gap > 1 || gap < -1);
        }
    }
    assert_int_equal(nqueens_item_count(1), 1);
    assert_int_equal(nqueens_item(1, 0).rows, 1);
}

static void test_cyclic_shares_sum_to_total(void **state)
{
    (void)state;
    const int n = 9;
    for (int nprocs = 1; nprocs <= 8; nprocs++) {
        uint64_t total = 0;
        for (int rank = 0; rank < nprocs; rank++)
            for (int k = rank; k < nqueens_item_count(n); k += nprocs)
                total += nqueens_count_item(n, nqueens_item(n, k));
        assert_int_equal(total, 352);
    }
}

static void test_item_counts_match_first_row_split(void **state)
{
    (void)state;
    /* An independent split: by the first queen only (one-row items). */
    const int n = 8;
    static const uint64_t by_first_col[8] = {4, 8, 16, 18, 18, 16, 8, 4};
    uint64_t per_col[8] = {0};
    for (int k = 0; k < nqueens_item_count(n); k++) {
        struct nqueens_item item = nqueens_item(n, k);
        per_col[item.col[0]] += nqueens_count_item(n, item);
    }
    for (int col = 0; col < n; col++)
        assert_int_equal(per_col[col], by_first_col[col]);
}

static void test_conflicting_item_has_no_solution(void **state)
{
    (void)state;
    struct nqueens_item same_column = {.rows = 2, .col = {3, 3}};
    struct nqueens_item same_diagonal = {.rows = 2, .col = {3, 4}};
    assert_int_equal(nqueens_count_item(8, same_column), 0);
    assert_int_equal(nqueens_count_item(8, same_diagonal), 0);
    struct nqueens_item past_end = nqueens_item(8, nqueens_item_count(8));
    assert_int_equal(nqueens_count_item(8, past_end), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_counts),
        cmocka_unit_test(test_items_are_compatible_first_rows),
        cmocka_unit_test(test_cyclic_shares_sum_to_total),
        cmocka_unit_test(test_item_counts_match_first_row_split),
        cmocka_unit_test(test_conflicting_item_has_no_solution),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
