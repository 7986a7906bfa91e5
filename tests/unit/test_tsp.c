/*
 * test_tsp.c — unit tests of apps/tsp_kernel and of the seeded generator in
 * apps/apputil: the branch and bound must return exactly what an independent
 * brute force returns (the length AND the canonical, lexicographically
 * smallest optimal tour) on many maps, whatever the order of the first edges
 * and the starting bound — the property the tsp program relies on to print
 * the same tour at every rank count.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "apps/apputil.h"
#include "apps/tsp_kernel.h"

/* Rearranges a[0..count-1] into the next permutation in lexicographic order;
 * false after the last one. */
static bool next_permutation(int *a, int count)
{
    int i = count - 2;
    while (i >= 0 && a[i] >= a[i + 1])
        i--;
    if (i < 0)
        return false;
    int j = count - 1;
    while (a[j] <= a[i])
        j--;
    int swap = a[i];
    a[i] = a[j];
    a[j] = swap;
    for (int lo = i + 1, hi = count - 1; lo < hi; lo++, hi--) {
        swap = a[lo];
        a[lo] = a[hi];
        a[hi] = swap;
    }
    return true;
}

/* Every canonical tour in lexicographic order; the first of the shortest is
 * the answer, so only strictly shorter tours replace it. */
static void brute_force(const struct tsp_map *map, struct tsp_tour *best)
{
    int n = map->n;
    int city[TSP_MAX_CITIES + 1];
    for (int i = 0; i < n; i++)
        city[i] = i;
    city[n] = 0;
    best->length = -1;
    do {
        if (city[1] > city[n - 1])
            continue;
        int length = 0;
        for (int i = 0; i < n; i++)
            length += map->dist[city[i]][city[i + 1]];
        if (best->length < 0 || length < best->length) {
            best->length = length;
            memcpy(best->city, city, sizeof city);
        }
    } while (next_permutation(city + 1, n - 1));
}

static void search_all(const struct tsp_map *map, const int *first, int count,
                       struct tsp_tour *best)
{
    for (int k = 0; k < count; k++)
        tsp_search_first_edge(map, first[k], best, NULL, NULL);
}

static void assert_same_tour(int n, const struct tsp_tour *a,
                             const struct tsp_tour *b)
{
    assert_int_equal(a->length, b->length);
    assert_memory_equal(a->city, b->city, sizeof(int) * (size_t)(n + 1));
}

static void test_search_matches_brute_force(void **state)
{
    (void)state;
    for (int n = 4; n <= 10; n++) {
        for (uint64_t seed = 1; seed <= (n <= 8 ? 12u : 3u); seed++) {
            struct tsp_map map;
            tsp_map_generate(&map, n, seed);
            struct tsp_tour expected, found;
            brute_force(&map, &expected);
            tsp_initial_tour(&map, &found);
            int first[TSP_MAX_CITIES];
            search_all(&map, first, tsp_first_cities(&map, first), &found);
            assert_same_tour(n, &found, &expected);
        }
    }
}

/* A map where many tours tie: cities on a 3×3 grid with unit spacing. */
static void build_grid_map(struct tsp_map *map)
{
    map->n = 9;
    for (int a = 0; a < 9; a++)
        for (int b = 0; b < 9; b++)
            map->dist[a][b] = abs(a % 3 - b % 3) + abs(a / 3 - b / 3);
    tsp_map_index(map);
}

static void test_ties_give_smallest_tour_in_any_order(void **state)
{
    (void)state;
    struct tsp_map map;
    build_grid_map(&map);
    struct tsp_tour expected;
    brute_force(&map, &expected);

    int first[TSP_MAX_CITIES];
    int count = tsp_first_cities(&map, first);
    int reversed[TSP_MAX_CITIES];
    for (int k = 0; k < count; k++)
        reversed[k] = first[count - 1 - k];
    /* A poor starting bound: the tour 0 1 2 ... n-1 0. */
    struct tsp_tour identity;
    for (int i = 0; i < map.n; i++)
        identity.city[i] = i;
    identity.city[map.n] = 0;
    identity.length = tsp_tour_length(&map, identity.city);

    struct tsp_tour found = identity;
    search_all(&map, first, count, &found);
    assert_same_tour(map.n, &found, &expected);
    found = identity;
    search_all(&map, reversed, count, &found);
    assert_same_tour(map.n, &found, &expected);
}

/* Simulates workers that each learn about the others' tours late: separate
 * bests per first edge, merged afterwards, must give the same answer. */
static void test_independent_edges_merge_to_optimum(void **state)
{
    (void)state;
    struct tsp_map map;
    tsp_map_generate(&map, 9, 42);
    struct tsp_tour expected;
    brute_force(&map, &expected);
    struct tsp_tour start, merged;
    tsp_initial_tour(&map, &start);
    merged = start;
    int first[TSP_MAX_CITIES];
    int count = tsp_first_cities(&map, first);
    for (int k = 0; k < count; k++) {
        struct tsp_tour local = start;
        tsp_search_first_edge(&map, first[k], &local, NULL, NULL);
        if (tsp_tour_better(map.n, &local, &merged))
            merged = local;
    }
    assert_same_tour(map.n, &merged, &expected);
}

static int improvements;

static void count_improvement(void *context, struct tsp_tour *best)
{
    (void)context;
    (void)best;
    improvements++;
}

static void test_improved_callback_sees_each_better_tour(void **state)
{
    (void)state;
    struct tsp_map map;
    build_grid_map(&map);
    struct tsp_tour best;
    for (int i = 0; i < map.n; i++)
        best.city[i] = i;
    best.city[map.n] = 0;
    best.length = tsp_tour_length(&map, best.city);
    improvements = 0;
    int first[TSP_MAX_CITIES];
    int count = tsp_first_cities(&map, first);
    for (int k = 0; k < count; k++)
        tsp_search_first_edge(&map, first[k], &best, count_improvement, NULL);
    assert_true(improvements > 0);
    assert_int_equal(best.length, 10);
}

static void test_initial_tour_is_canonical_permutation(void **state)
{
    (void)state;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct tsp_map map;
        tsp_map_generate(&map, 15, seed);
        struct tsp_tour tour;
        tsp_initial_tour(&map, &tour);
        assert_int_equal(tour.city[0], 0);
        assert_int_equal(tour.city[map.n], 0);
        assert_true(tour.city[1] < tour.city[map.n - 1]);
        uint32_t seen = 0;
        for (int i = 0; i < map.n; i++)
            seen |= UINT32_C(1) << tour.city[i];
        assert_int_equal(seen, (UINT32_C(1) << map.n) - 1);
        assert_int_equal(tour.length, tsp_tour_length(&map, tour.city));
    }
}

static void test_tour_order(void **state)
{
    (void)state;
    struct tsp_tour a = {.length = 10, .city = {0, 1, 2, 3, 0}};
    struct tsp_tour b = {.length = 10, .city = {0, 1, 3, 2, 0}};
    struct tsp_tour c = {.length = 9, .city = {0, 2, 1, 3, 0}};
    assert_true(tsp_tour_better(4, &a, &b));
    assert_false(tsp_tour_better(4, &b, &a));
    assert_false(tsp_tour_better(4, &a, &a));
    assert_true(tsp_tour_better(4, &c, &a));
}

static void test_maps_are_seeded(void **state)
{
    (void)state;
    struct tsp_map a, b, c;
    tsp_map_generate(&a, 12, 7);
    tsp_map_generate(&b, 12, 7);
    tsp_map_generate(&c, 12, 8);
    assert_memory_equal(a.dist, b.dist, sizeof a.dist[0] * 12);
    assert_memory_not_equal(a.dist, c.dist, sizeof a.dist[0] * 12);
    for (int x = 0; x < 12; x++)
        for (int y = 0; y < 12; y++)
            assert_int_equal(a.dist[x][y], a.dist[y][x]);
    int first[TSP_MAX_CITIES];
    int count = tsp_first_cities(&a, first);
    assert_int_equal(count, 10);
    for (int k = 0; k < count; k++)
        assert_true(first[k] >= 1 && first[k] <= 10);
}

static void test_rng_is_deterministic(void **state)
{
    (void)state;
    struct app_rng a, b, other_stream, other_seed;
    app_rng_init(&a, 12345, 0);
    app_rng_init(&b, 12345, 0);
    app_rng_init(&other_stream, 12345, 1);
    app_rng_init(&other_seed, 12346, 0);
    int differ_stream = 0, differ_seed = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = app_rng_next(&a);
        assert_int_equal(x, app_rng_next(&b));
        differ_stream += x != app_rng_next(&other_stream);
        differ_seed += x != app_rng_next(&other_seed);
    }
    assert_int_equal(differ_stream, 1000);
    assert_int_equal(differ_seed, 1000);
    /* splitmix64's published first output for state 0 after one step. */
    struct app_rng raw = {.state = 0};
    assert_int_equal(app_rng_next(&raw), UINT64_C(0xe220a8397b1dcdaf));

    struct app_rng r;
    app_rng_init(&r, 99, 3);
    for (int i = 0; i < 10000; i++) {
        assert_true(app_rng_below(&r, 7) < 7);
        double u = app_rng_uniform(&r, -1.0, 1.0);
        assert_true(u >= -1.0 && u < 1.0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_search_matches_brute_force),
        cmocka_unit_test(test_ties_give_smallest_tour_in_any_order),
        cmocka_unit_test(test_independent_edges_merge_to_optimum),
        cmocka_unit_test(test_improved_callback_sees_each_better_tour),
        cmocka_unit_test(test_initial_tour_is_canonical_permutation),
        cmocka_unit_test(test_tour_order),
        cmocka_unit_test(test_maps_are_seeded),
        cmocka_unit_test(test_rng_is_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
