/*
 * test_gauss.c — unit tests of apps/gauss_kernel: small systems solve with a
 * tiny residual, partial pivoting swaps rows when it must and breaks ties
 * toward the smaller row index, and the solution is bit-identical however
 * the rows are spread over processes (simulated here without MPI, the way
 * the gauss program drives the kernel).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apps/gauss_kernel.h"

enum { MAX_PROCS = 8 };

/* What the gauss program does, with `nprocs` parts in one process: pick the
 * pivot among every part's candidate, hand its row to every part, gather,
 * back-substitute. `rows`, if not NULL, replaces the seeded system. */
static void solve(uint64_t seed, const double *rows, int n, int nprocs,
                  double *x, int *pivot_rows)
{
    struct gauss_part part[MAX_PROCS];
    for (int rank = 0; rank < nprocs; rank++) {
        assert_true(gauss_part_init(&part[rank], n, nprocs, rank, seed));
        for (int g = rank; rows && g < n; g += nprocs)
            memcpy(gauss_part_row(&part[rank], g), rows + g * (n + 1),
                   sizeof(double) * (size_t)(n + 1));
    }
    double *pivot = malloc(sizeof(double) * (size_t)(n + 1));
    for (int k = 0; k < n; k++) {
        struct gauss_candidate best = gauss_part_candidate(&part[0], k);
        for (int rank = 1; rank < nprocs; rank++)
            best = gauss_better_candidate(best,
                                          gauss_part_candidate(&part[rank], k));
        assert_int_not_equal(best.row, GAUSS_NO_ROW);
        pivot_rows[k] = best.row;
        memcpy(pivot, gauss_part_row(&part[best.row % nprocs], best.row),
               sizeof(double) * (size_t)(n + 1));
        for (int rank = 0; rank < nprocs; rank++)
            gauss_part_eliminate(&part[rank], k, best.row, pivot);
    }
    double *all = malloc(sizeof(double) * (size_t)n * (size_t)(n + 1));
    size_t filled = 0;
    for (int rank = 0; rank < nprocs; rank++) {
        size_t size = (size_t)part[rank].count * (size_t)(n + 1);
        memcpy(all + filled, part[rank].rows, sizeof(double) * size);
        filled += size;
        gauss_part_free(&part[rank]);
    }
    gauss_back_substitute(n, nprocs, all, pivot_rows, x);
    free(all);
    free(pivot);
}

static void test_small_system_exact(void **state)
{
    (void)state;
    /* 2x + y - z = 8, -3x - y + 2z = -11, -2x + y + 2z = -3: x = (2, 3, -1). */
    const double rows[] = {2, 1, -1, 8, -3, -1, 2, -11, -2, 1, 2, -3};
    double x[3];
    int pivots[3];
    solve(0, rows, 3, 1, x, pivots);
    assert_true(fabs(x[0] - 2) < 1e-12);
    assert_true(fabs(x[1] - 3) < 1e-12);
    assert_true(fabs(x[2] + 1) < 1e-12);
    /* |-3| is the largest entry of column 0. */
    assert_int_equal(pivots[0], 1);
}

static void test_zero_diagonal_needs_swap(void **state)
{
    (void)state;
    /* Without a row swap the first step would divide by zero. */
    const double rows[] = {0, 1, 2, 1, 0, 3};
    double x[2];
    int pivots[2];
    for (int nprocs = 1; nprocs <= 3; nprocs++) {
        solve(0, rows, 2, nprocs, x, pivots);
        assert_int_equal(pivots[0], 1);
        assert_int_equal(pivots[1], 0);
        assert_true(x[0] == 3.0 && x[1] == 2.0);
    }
}

static void test_tiny_pivot_is_avoided(void **state)
{
    (void)state;
    /* Pivoting on 1e-20 would lose x[1] entirely to rounding. */
    const double rows[] = {1e-20, 1, 1, 1, 1, 2};
    double x[2];
    int pivots[2];
    solve(0, rows, 2, 1, x, pivots);
    assert_int_equal(pivots[0], 1);
    assert_true(fabs(x[0] - 1) < 1e-12 && fabs(x[1] - 1) < 1e-12);
}

static void test_pivot_tie_picks_smallest_row(void **state)
{
    (void)state;
    struct gauss_candidate a = {.magnitude = 0.5, .row = 7};
    struct gauss_candidate b = {.magnitude = 0.5, .row = 3};
    struct gauss_candidate c = {.magnitude = 0.75, .row = 9};
    struct gauss_candidate none = {.magnitude = -1.0, .row = GAUSS_NO_ROW};
    assert_int_equal(gauss_better_candidate(a, b).row, 3);
    assert_int_equal(gauss_better_candidate(b, a).row, 3);
    assert_int_equal(gauss_better_candidate(a, c).row, 9);
    assert_int_equal(gauss_better_candidate(none, a).row, 7);
    assert_int_equal(gauss_better_candidate(a, none).row, 7);

    /* Column 0 is ±1 everywhere: row 0 wins at every rank count, and the
     * rows owned by other parts (1, 2, ...) lose the tie. */
    const double rows[] = {1, 2, 0, 3, -1, 0, 1, 4, 1, 1, 1, 5};
    double x[3];
    int pivots[3];
    for (int nprocs = 1; nprocs <= 4; nprocs++) {
        solve(0, rows, 3, nprocs, x, pivots);
        assert_int_equal(pivots[0], 0);
    }
}

static void test_part_candidate_skips_pivoted_rows(void **state)
{
    (void)state;
    struct gauss_part part;
    assert_true(gauss_part_init(&part, 4, 2, 1, 5));
    /* Rank 1 of 2 owns rows 1 and 3. */
    assert_int_equal(part.count, 2);
    gauss_part_row(&part, 1)[0] = -0.9;
    gauss_part_row(&part, 3)[0] = 0.9;
    assert_int_equal(gauss_part_candidate(&part, 0).row, 1);
    double pivot[5] = {-0.9, 0, 0, 0, 0};
    gauss_part_eliminate(&part, 0, 1, pivot);
    assert_int_equal(gauss_part_candidate(&part, 1).row, 3);
    gauss_part_eliminate(&part, 1, 3, pivot);
    struct gauss_candidate none = gauss_part_candidate(&part, 2);
    assert_int_equal(none.row, GAUSS_NO_ROW);
    assert_true(none.magnitude < 0);
    gauss_part_free(&part);
}

static void test_random_systems_identical_at_any_distribution(void **state)
{
    (void)state;
    const int n = 60;
    double x1[60], x[60];
    int pivots1[60], pivots[60];
    for (uint64_t seed = 1; seed <= 4; seed++) {
        solve(seed, NULL, n, 1, x1, pivots1);
        assert_true(gauss_residual(seed, n, x1) < 1e-12);
        int swaps = 0;
        for (int k = 0; k < n; k++)
            swaps += pivots1[k] != k;
        assert_true(swaps > 0);
        for (int nprocs = 2; nprocs <= MAX_PROCS; nprocs++) {
            solve(seed, NULL, n, nprocs, x, pivots);
            assert_memory_equal(pivots, pivots1, sizeof pivots);
            assert_memory_equal(x, x1, sizeof x);
            assert_true(gauss_checksum(n, x) == gauss_checksum(n, x1));
        }
    }
}

static void test_more_processes_than_rows(void **state)
{
    (void)state;
    double x1[3], x[3];
    int pivots1[3], pivots[3];
    solve(11, NULL, 3, 1, x1, pivots1);
    solve(11, NULL, 3, 5, x, pivots);
    assert_memory_equal(x, x1, sizeof x);
    assert_int_equal(gauss_rows_of(3, 5, 4), 0);
    assert_true(gauss_residual(11, 3, x) < 1e-12);
}

static void test_generation_and_layout(void **state)
{
    (void)state;
    double a[11], b[11], c[11];
    gauss_generate_row(3, 10, 4, a);
    gauss_generate_row(3, 10, 4, b);
    gauss_generate_row(3, 10, 5, c);
    assert_memory_equal(a, b, sizeof a);
    assert_memory_not_equal(a, c, sizeof a);
    for (int j = 0; j < 11; j++)
        assert_true(a[j] >= -1.0 && a[j] < 1.0);

    /* 10 rows over 3 ranks: 4, 3, 3 rows; row 5 is rank 2's second. */
    assert_int_equal(gauss_rows_of(10, 3, 0), 4);
    assert_int_equal(gauss_rows_of(10, 3, 1), 3);
    assert_int_equal(gauss_rows_of(10, 3, 2), 3);
    double all[10 * 11];
    assert_ptr_equal(gauss_gathered_row(all, 10, 3, 5), all + (4 + 3 + 1) * 11);
    assert_ptr_equal(gauss_gathered_row(all, 10, 3, 0), all);
    assert_ptr_equal(gauss_gathered_row(all, 10, 3, 4), all + (4 + 1) * 11);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_system_exact),
        cmocka_unit_test(test_zero_diagonal_needs_swap),
        cmocka_unit_test(test_tiny_pivot_is_avoided),
        cmocka_unit_test(test_pivot_tie_picks_smallest_row),
        cmocka_unit_test(test_part_candidate_skips_pivoted_rows),
        cmocka_unit_test(test_random_systems_identical_at_any_distribution),
        cmocka_unit_test(test_more_processes_than_rows),
        cmocka_unit_test(test_generation_and_layout),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
