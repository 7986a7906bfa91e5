/*
 * tsp_kernel.h — the travelling-salesman branch and bound behind the tsp
 * program: seeded maps, tours, and the search of the subtree of tours that
 * start with a given first edge out of city 0.
 *
 * Invariants:
 * - A map is symmetric with integer distances; the same (n, seed) gives the
 *   same map everywhere.
 * - Every tour is canonical: it starts and ends at city 0 and runs in the
 *   direction where city[1] < city[n-1], so each cycle has one spelling.
 * - "Better" is a total order: shorter, or as short and lexicographically
 *   smaller. The search keeps the best tour in that order and prunes only
 *   subtrees that cannot hold a better one, so the optimum it returns is the
 *   lexicographically smallest optimal tour whatever the order in which
 *   first edges are searched, the bound updates received meanwhile, or the
 *   number of processes.
 * No MPI here.
 */
#ifndef MPICKPT_APPS_TSP_KERNEL_H
#define MPICKPT_APPS_TSP_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

/* Sets of cities are bitmasks in 32 bits. */
enum { TSP_MIN_CITIES = 3, TSP_MAX_CITIES = 30 };

struct tsp_map {
    int n;
    int dist[TSP_MAX_CITIES][TSP_MAX_CITIES];
    /* near[c]: the other cities by increasing distance from c (ties by
     * index), derived from dist by tsp_map_index. */
    int near[TSP_MAX_CITIES][TSP_MAX_CITIES - 1];
};

struct tsp_tour {
    int length;
    int city[TSP_MAX_CITIES + 1]; /* city[0] == city[n] == 0 */
};

/* Places n cities at random integer points of a 1000×1000 square from
 * `seed`; distances are rounded Euclidean. Indexes the map. */
void tsp_map_generate(struct tsp_map *map, int n, uint64_t seed);
/* Derives map->near from map->dist (after receiving a map's distances). */
void tsp_map_index(struct tsp_map *map);

/* Length of the closed tour city[0..n]. */
int tsp_tour_length(const struct tsp_map *map, const int *city);
/* Whether tour a comes strictly before tour b in the order above. */
bool tsp_tour_better(int n, const struct tsp_tour *a, const struct tsp_tour *b);
/* The canonical nearest-neighbour tour: the starting bound of the search. */
void tsp_initial_tour(const struct tsp_map *map, struct tsp_tour *tour);

/* The first cities (city[1]) a canonical tour can have, in the order the
 * search should try them (nearest first); returns how many. */
int tsp_first_cities(const struct tsp_map *map, int *first);

/* Subtrees a search enters between two calls of its tsp_improved_fn when it
 * improves nothing: a few tens of milliseconds on one core, so a worker
 * adopts a better bound found elsewhere soon, and its exchanges with main
 * (a message round trip each) cost well under 1 % of its time. */
enum { TSP_SHARE_NODES = 1 << 19 };

/* Called whenever the search improves *best, and also once every
 * TSP_SHARE_NODES subtrees it enters (*best then unchanged by the search);
 * may improve *best further (e.g. with a better tour found by another
 * process). */
typedef void (*tsp_improved_fn)(void *context, struct tsp_tour *best);

/* Searches every canonical tour that starts 0, first, and leaves in *best
 * the better of *best and the best of them. `improved` may be NULL. */
void tsp_search_first_edge(const struct tsp_map *map, int first,
                           struct tsp_tour *best, tsp_improved_fn improved,
                           void *context);

#endif
