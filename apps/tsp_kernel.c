/*
 * tsp_kernel.c — maps, tours and the branch and bound of the tsp program
 * (see tsp_kernel.h for the contract).
 *
 * Search invariants: path[0..depth] is a simple path from city 0, `unvisited`
 * the set of cities not on it, `cost` its length. A subtree is cut only if
 * its lower bound exceeds the best length, or equals it while its path is
 * already lexicographically after the best tour — in both cases none of its
 * tours can be better in the order of tsp_kernel.h. Equal-length subtrees
 * that might hold a smaller tour are searched: that is what makes the
 * answer independent of timing.
 *
 * The lower bound is the cheapest-edge bound, on purpose: this program is a
 * workload, and the tighter bound that averages the two cheapest edges per
 * city solves 18 cities in a fraction of a second. With this one the tsp
 * program's default map takes about 0.4 s, 1.6 s, 8 s and 13 s (one core)
 * for 16, 17, 18 and 19 cities: benchmark sizes, as in the thesis.
 */
#include "apps/tsp_kernel.h"

#include <math.h>
#include <string.h>

#include "apps/apputil.h"

enum { MAP_SIDE = 1000 };

static uint32_t city_bit(int city)
{
    return UINT32_C(1) << city;
}

void tsp_map_generate(struct tsp_map *map, int n, uint64_t seed)
{
    struct app_rng rng;
    app_rng_init(&rng, seed, 0);
    int x[TSP_MAX_CITIES], y[TSP_MAX_CITIES];
    for (int c = 0; c < n; c++) {
        x[c] = (int)app_rng_below(&rng, MAP_SIDE);
        y[c] = (int)app_rng_below(&rng, MAP_SIDE);
    }
    map->n = n;
    for (int a = 0; a < n; a++)
        for (int b = 0; b < n; b++)
            map->dist[a][b] = (int)lround(hypot(x[a] - x[b], y[a] - y[b]));
    tsp_map_index(map);
}

void tsp_map_index(struct tsp_map *map)
{
    for (int c = 0; c < map->n; c++) {
        int *near = map->near[c];
        int count = 0;
        /* Insertion sort by (distance, index); n is small. */
        for (int other = 0; other < map->n; other++) {
            if (other == c)
                continue;
            int at = count++;
            while (at > 0 && map->dist[c][near[at - 1]] > map->dist[c][other]) {
                near[at] = near[at - 1];
                at--;
            }
            near[at] = other;
        }
    }
}

int tsp_tour_length(const struct tsp_map *map, const int *city)
{
    int length = 0;
    for (int i = 0; i < map->n; i++)
        length += map->dist[city[i]][city[i + 1]];
    return length;
}

/* Compares city[1..count] of two paths: <0, 0 or >0 like memcmp. */
static int compare_prefix(const int *a, const int *b, int count)
{
    for (int i = 1; i <= count; i++)
        if (a[i] != b[i])
            return a[i] < b[i] ? -1 : 1;
    return 0;
}

bool tsp_tour_better(int n, const struct tsp_tour *a, const struct tsp_tour *b)
{
    if (a->length != b->length)
        return a->length < b->length;
    return compare_prefix(a->city, b->city, n - 1) < 0;
}

static void reverse_cities(int *city, int from, int to)
{
    for (; from < to; from++, to--) {
        int swap = city[from];
        city[from] = city[to];
        city[to] = swap;
    }
}

/* The city of `set` nearest to `city` (set holds another city). */
static int nearest_in(const struct tsp_map *map, int city, uint32_t set)
{
    const int *near = map->near[city];
    int k = 0;
    while (!(set & city_bit(near[k])))
        k++;
    return near[k];
}

static uint32_t all_cities_but_0(const struct tsp_map *map)
{
    return (city_bit(map->n) - 1) & ~city_bit(0);
}

static void build_nearest_neighbour_tour(const struct tsp_map *map, int *city)
{
    uint32_t unvisited = all_cities_but_0(map);
    city[0] = 0;
    for (int i = 1; i < map->n; i++) {
        city[i] = nearest_in(map, city[i - 1], unvisited);
        unvisited &= ~city_bit(city[i]);
    }
    city[map->n] = 0;
}

void tsp_initial_tour(const struct tsp_map *map, struct tsp_tour *tour)
{
    build_nearest_neighbour_tour(map, tour->city);
    if (tour->city[1] > tour->city[map->n - 1])
        reverse_cities(tour->city, 1, map->n - 1);
    tour->length = tsp_tour_length(map, tour->city);
}

int tsp_first_cities(const struct tsp_map *map, int *first)
{
    /* city[1] < city[n-1] <= n-1, so city n-1 never comes first. */
    int count = 0;
    for (int k = 0; k < map->n - 1; k++)
        if (map->near[0][k] < map->n - 1)
            first[count++] = map->near[0][k];
    return count;
}

struct search {
    const struct tsp_map *map;
    struct tsp_tour *best;
    tsp_improved_fn improved;
    void *context;
    uint32_t nodes; /* subtrees entered, modulo 2^32: paces `improved` */
    int path[TSP_MAX_CITIES + 1];
};

/* Length of the cheapest edge from `city` to a city of `set`. */
static int cheapest_edge(const struct tsp_map *map, int city, uint32_t set)
{
    return map->dist[city][nearest_in(map, city, set)];
}

/* A lower bound of the rest of the tour, from `last` through every unvisited
 * city back to 0: it leaves `last` for an unvisited city, then leaves each
 * unvisited city for another one or for 0, each time by an edge at least as
 * long as the cheapest such edge. */
static int rest_bound(const struct tsp_map *map, int last, uint32_t unvisited)
{
    int bound = cheapest_edge(map, last, unvisited);
    for (uint32_t rest = unvisited; rest != 0; rest &= rest - 1) {
        int city = __builtin_ctz(rest);
        uint32_t targets = (unvisited | city_bit(0)) & ~city_bit(city);
        bound += cheapest_edge(map, city, targets);
    }
    return bound;
}

static void offer_tour(struct search *s, int length)
{
    int n = s->map->n;
    s->path[n] = 0;
    struct tsp_tour *best = s->best;
    if (length > best->length ||
        (length == best->length &&
         compare_prefix(s->path, best->city, n - 1) >= 0))
        return;
    best->length = length;
    memcpy(best->city, s->path, sizeof(int) * (size_t)(n + 1));
    if (s->improved)
        s->improved(s->context, best);
}

/* Whether the subtree of path[0..depth] may hold a tour better than best. */
static bool worth_exploring(const struct search *s, int depth,
                            uint32_t unvisited, int cost)
{
    /* The last city must exceed path[1] for the tour to be canonical. */
    if (31 - __builtin_clz(unvisited) < s->path[1])
        return false;
    int bound = cost + rest_bound(s->map, s->path[depth], unvisited);
    if (bound > s->best->length)
        return false;
    /* Tours only as short as the best cannot win if the path already sorts
     * after the best tour. */
    if (bound == s->best->length &&
        compare_prefix(s->path, s->best->city, depth) > 0)
        return false;
    return true;
}

static void explore(struct search *s, int depth, uint32_t unvisited, int cost)
{
    const struct tsp_map *map = s->map;
    int last = s->path[depth];
    /* A search that finds nothing better never hears of the better tours
     * found elsewhere unless it asks: without this, its bound stays the one
     * it started with, and how long it runs depends on message timing. */
    if (s->improved && ++s->nodes % TSP_SHARE_NODES == 0)
        s->improved(s->context, s->best);
    if (unvisited == 0) {
        offer_tour(s, cost + map->dist[last][0]);
        return;
    }
    if (!worth_exploring(s, depth, unvisited, cost))
        return;
    /* Nearest cities first: good tours early make the bound cut sooner. */
    for (int k = 0; k < map->n - 1; k++) {
        int next = map->near[last][k];
        if (!(unvisited & city_bit(next)))
            continue;
        s->path[depth + 1] = next;
        explore(s, depth + 1, unvisited & ~city_bit(next),
                cost + map->dist[last][next]);
    }
}

void tsp_search_first_edge(const struct tsp_map *map, int first,
                           struct tsp_tour *best, tsp_improved_fn improved,
                           void *context)
{
    struct search s = {
        .map = map, .best = best, .improved = improved, .context = context};
    s.path[0] = 0;
    s.path[1] = first;
    uint32_t unvisited = all_cities_but_0(map) & ~city_bit(first);
    explore(&s, 1, unvisited, map->dist[0][first]);
}
