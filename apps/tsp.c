/*
 * tsp.c — Johnson's tsp as an MPI program: the shortest tour through a map of
 * cities generated from a seed, by branch and bound (tsp_kernel.h).
 *
 * Decomposition (as in the thesis): rank 0, the main process, sends the map
 * to every worker, then serves requests until every worker is done. An idle
 * worker asks for a first edge out of city 0 and gets one in the reply,
 * together with the best tour known so far; each tour a worker finds better
 * than the best it knows goes to main, whose reply is main's best, which
 * may be better still. A worker that finds nothing better also sends its
 * best every TSP_SHARE_NODES subtrees, to get main's: otherwise it would
 * search a whole subtree with the bound it had at its last exchange, and
 * the run time would hang on message timing (2 s or minutes for the same
 * map). Workers never talk to each other, and main blocks in
 * MPI_Recv(MPI_ANY_SOURCE) instead of polling. With np>1 main only
 * coordinates; at np=1 it searches every first edge itself.
 *
 * Output invariant: stdout is "tsp cities=<n> seed=<s> length=<l>" then
 * "tour: 0 ... 0", the canonical smallest optimal tour, so the same bytes
 * whatever the rank count or the timing of the bound updates. The time
 * goes to stderr.
 */
#include "apps/apputil.h"
#include "apps/tsp_kernel.h"

#include <inttypes.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

/* The map on which 16..19 cities take from under a second to tens of
 * seconds (see tsp_kernel.c): the sizes of a benchmark. */
enum { DEFAULT_CITIES = 16, DEFAULT_SEED = 2 };

enum tsp_tag {
    TAG_MAP = 1,  /* main -> worker: map.dist, TSP_MAX_CITIES² ints */
    TAG_ASK_EDGE, /* worker -> main: idle, no payload */
    TAG_EDGE,     /* main -> worker: struct edge_reply */
    TAG_TOUR,     /* worker -> main: a better tour, struct tsp_tour */
    TAG_BEST,     /* main -> worker: main's best tour, struct tsp_tour */
};

/* First city of the next subtree to search, or NO_EDGE when all are given
 * out; and the best tour so far, the worker's starting bound. */
struct edge_reply {
    int first;
    struct tsp_tour best;
};
enum { NO_EDGE = -1 };

/* Messages are plain int structs, sent as MPI_INT arrays. */
#define INTS_IN(type) ((int)(sizeof(type) / sizeof(int)))
_Static_assert(sizeof(struct tsp_tour) % sizeof(int) == 0, "tour is ints");
_Static_assert(sizeof(struct edge_reply) % sizeof(int) == 0, "reply is ints");

struct options {
    int cities;
    uint64_t seed;
};

static void print_usage(void)
{
    printf("usage: tsp [--cities N] [--seed S]\n"
           "Finds the shortest tour through N cities (%d <= N <= %d, default "
           "%d)\n"
           "placed at random from seed S (default %d). Rank 0 hands out the\n"
           "first edges out of city 0 to the other ranks and keeps the best\n"
           "tour; it prints the shortest tour, the lexicographically smallest\n"
           "one if several are as short.\n",
           TSP_MIN_CITIES, TSP_MAX_CITIES, DEFAULT_CITIES, DEFAULT_SEED);
}

static enum app_args_result parse_args(int argc, char **argv,
                                       struct options *options)
{
    *options = (struct options){.cities = DEFAULT_CITIES,
                                .seed = DEFAULT_SEED};
    for (int i = 1; i < argc; i++) {
        const char *value;
        long cities;
        if (strcmp(argv[i], "--help") == 0)
            return APP_ARGS_HELP;
        if (strcmp(argv[i], "--cities") == 0) {
            value = app_option_value(argc, argv, &i);
            if (!value || !app_parse_long("--cities", value, TSP_MIN_CITIES,
                                          TSP_MAX_CITIES, &cities))
                return APP_ARGS_ERROR;
            options->cities = (int)cities;
        } else if (strcmp(argv[i], "--seed") == 0) {
            value = app_option_value(argc, argv, &i);
            if (!value || !app_parse_seed("--seed", value, &options->seed))
                return APP_ARGS_ERROR;
        } else {
            app_error("unknown argument '%s' (try --help)", argv[i]);
            return APP_ARGS_ERROR;
        }
    }
    return APP_ARGS_RUN;
}

static void search_alone(const struct tsp_map *map, struct tsp_tour *best)
{
    int first[TSP_MAX_CITIES];
    int count = tsp_first_cities(map, first);
    for (int k = 0; k < count; k++)
        tsp_search_first_edge(map, first[k], best, NULL, NULL);
}

/* Main with workers: answers requests until every worker got NO_EDGE. */
static void serve_workers(const struct tsp_map *map, struct tsp_tour *best,
                          int nprocs)
{
    for (int worker = 1; worker < nprocs; worker++)
        MPI_Send(map->dist, INTS_IN(map->dist), MPI_INT, worker, TAG_MAP,
                 MPI_COMM_WORLD);
    int first[TSP_MAX_CITIES];
    int count = tsp_first_cities(map, first);
    int handed_out = 0;
    int working = nprocs - 1;
    while (working > 0) {
        struct tsp_tour tour;
        MPI_Status status;
        MPI_Recv(&tour, INTS_IN(tour), MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG,
                 MPI_COMM_WORLD, &status);
        if (status.MPI_TAG == TAG_TOUR) {
            if (tsp_tour_better(map->n, &tour, best))
                *best = tour;
            MPI_Send(best, INTS_IN(*best), MPI_INT, status.MPI_SOURCE,
                     TAG_BEST, MPI_COMM_WORLD);
        } else {
            struct edge_reply reply = {.first = NO_EDGE, .best = *best};
            if (handed_out < count)
                reply.first = first[handed_out++];
            else
                working--;
            MPI_Send(&reply, INTS_IN(reply), MPI_INT, status.MPI_SOURCE,
                     TAG_EDGE, MPI_COMM_WORLD);
        }
    }
}

/* tsp_improved_fn of a worker: tells main its best (improved, or the one it
 * had: a periodic call), and adopts main's answer. */
static void exchange_best_with_main(void *context, struct tsp_tour *best)
{
    (void)context;
    MPI_Send(best, INTS_IN(*best), MPI_INT, 0, TAG_TOUR, MPI_COMM_WORLD);
    MPI_Recv(best, INTS_IN(*best), MPI_INT, 0, TAG_BEST, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
}

static void run_worker(int cities)
{
    struct tsp_map map = {.n = cities};
    MPI_Recv(map.dist, INTS_IN(map.dist), MPI_INT, 0, TAG_MAP, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    tsp_map_index(&map);
    for (;;) {
        MPI_Send(NULL, 0, MPI_INT, 0, TAG_ASK_EDGE, MPI_COMM_WORLD);
        struct edge_reply reply;
        MPI_Recv(&reply, INTS_IN(reply), MPI_INT, 0, TAG_EDGE, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        if (reply.first == NO_EDGE)
            return;
        /* Main's best is at least as good as any tour this worker found:
         * every improvement went through main. */
        struct tsp_tour best = reply.best;
        tsp_search_first_edge(&map, reply.first, &best,
                              exchange_best_with_main, NULL);
    }
}

static void print_result(const struct options *options,
                         const struct tsp_tour *best)
{
    printf("tsp cities=%d seed=%" PRIu64 " length=%d\ntour:", options->cities,
           options->seed, best->length);
    for (int i = 0; i <= options->cities; i++)
        printf(" %d", best->city[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, nprocs;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
    app_errors_init("tsp", rank == 0);

    struct options options;
    enum app_args_result args = parse_args(argc, argv, &options);
    if (args != APP_ARGS_RUN) {
        if (args == APP_ARGS_HELP && rank == 0)
            print_usage();
        MPI_Finalize();
        return args == APP_ARGS_HELP ? 0 : APP_EXIT_USAGE;
    }

    if (rank == 0) {
        double start = app_wall_seconds();
        struct tsp_map map;
        tsp_map_generate(&map, options.cities, options.seed);
        struct tsp_tour best;
        tsp_initial_tour(&map, &best);
        if (nprocs == 1)
            search_alone(&map, &best);
        else
            serve_workers(&map, &best, nprocs);
        print_result(&options, &best);
        app_report_time("tsp", app_wall_seconds() - start, nprocs);
    } else {
        run_worker(options.cities);
    }
    MPI_Finalize();
    return 0;
}
