/*
 * gauss.c — Johnson's gauss as an MPI program: solves A x = b, n×n, seeded
 * random doubles, by Gaussian elimination with partial pivoting
 * (gauss_kernel.h).
 *
 * Decomposition (as in the thesis): rows are spread cyclically over all
 * ranks, main (rank 0) included. At each step every rank sends its best
 * candidate pivot (|value|, row) to main, main picks the pivot and tells
 * everyone, the row's owner sends the pivot row to everyone, and everyone
 * reduces its rows. At the end the rows return to main, which solves the
 * triangular system. With --collectives the same exchanges are an
 * MPI_Allreduce(MPI_MAXLOC), an MPI_Bcast and an MPI_Gatherv.
 *
 * Output invariant: stdout is the single line
 * "gauss n=<n> seed=<s> checksum=<c> residual_ok=<yes|no>", the same bytes
 * at any rank count, with or without --collectives: pivot choice is the
 * same total order both ways, and each row's arithmetic does not depend on
 * its owner. The residual itself and the time go to stderr. Exit status 1
 * if the residual is not below 1e-9.
 */
#include "apps/apputil.h"
#include "apps/gauss_kernel.h"

#include <inttypes.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { DEFAULT_N = 1000, DEFAULT_SEED = 1, MAX_N = 8000 };
#define RESIDUAL_LIMIT 1e-9

enum gauss_tag {
    TAG_CANDIDATE = 1, /* rank -> main: struct gauss_candidate */
    TAG_PIVOT,         /* main -> rank: the pivot's row index, one int */
    TAG_PIVOT_ROW,     /* owner -> rank: the pivot row, columns k..n */
    TAG_ROWS,          /* rank -> main: all its rows, after the last step */
};

struct options {
    int n;
    uint64_t seed;
    bool collectives;
};

/* What each rank knows during the elimination. */
struct solver {
    int rank;
    int nprocs;
    int n;
    bool collectives;
    struct gauss_part part;
    double *pivot_buffer; /* n+1 doubles: a pivot row owned elsewhere */
    int *pivot_rows;      /* pivot row of each step, on every rank */
};

static void print_usage(void)
{
    printf("usage: gauss [--n N] [--seed S] [--collectives]\n"
           "Solves a random NxN system (1 <= N <= %d, default %d; seed S,\n"
           "default %d) by Gaussian elimination with partial pivoting, rows\n"
           "spread cyclically over the ranks. Prints a checksum of x and\n"
           "whether ||Ax-b||/||b|| < %g. --collectives exchanges pivots and\n"
           "rows with collective operations instead of point-to-point ones.\n",
           MAX_N, DEFAULT_N, DEFAULT_SEED, RESIDUAL_LIMIT);
}

static enum app_args_result parse_args(int argc, char **argv,
                                       struct options *options)
{
    *options = (struct options){.n = DEFAULT_N, .seed = DEFAULT_SEED};
    for (int i = 1; i < argc; i++) {
        const char *value;
        long n;
        if (strcmp(argv[i], "--help") == 0)
            return APP_ARGS_HELP;
        if (strcmp(argv[i], "--collectives") == 0) {
            options->collectives = true;
        } else if (strcmp(argv[i], "--n") == 0) {
            value = app_option_value(argc, argv, &i);
            if (!value || !app_parse_long("--n", value, 1, MAX_N, &n))
                return APP_ARGS_ERROR;
            options->n = (int)n;
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

/* Main gathers every rank's candidate and answers with the winner. */
static int choose_pivot_p2p(const struct solver *s,
                            struct gauss_candidate mine)
{
    if (s->rank != 0) {
        int pivot;
        MPI_Send(&mine, 1, MPI_DOUBLE_INT, 0, TAG_CANDIDATE, MPI_COMM_WORLD);
        MPI_Recv(&pivot, 1, MPI_INT, 0, TAG_PIVOT, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
        return pivot;
    }
    struct gauss_candidate best = mine;
    /* The pivot order is total, so arrival order does not matter. */
    for (int reports = 1; reports < s->nprocs; reports++) {
        struct gauss_candidate theirs;
        MPI_Recv(&theirs, 1, MPI_DOUBLE_INT, MPI_ANY_SOURCE, TAG_CANDIDATE,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        best = gauss_better_candidate(best, theirs);
    }
    for (int rank = 1; rank < s->nprocs; rank++)
        MPI_Send(&best.row, 1, MPI_INT, rank, TAG_PIVOT, MPI_COMM_WORLD);
    return best.row;
}

static int choose_pivot(const struct solver *s, int k)
{
    struct gauss_candidate mine = gauss_part_candidate(&s->part, k);
    if (!s->collectives)
        return choose_pivot_p2p(s, mine);
    /* MAXLOC takes the larger value, then the smaller index on a tie: the
     * pivot order of gauss_better_candidate. */
    struct gauss_candidate best;
    MPI_Allreduce(&mine, &best, 1, MPI_DOUBLE_INT, MPI_MAXLOC,
                  MPI_COMM_WORLD);
    return best.row;
}

/* Gets row `pivot_row` (columns k..n) to every rank; returns where it is. */
static const double *share_pivot_row(const struct solver *s, int k,
                                     int pivot_row)
{
    int owner = pivot_row % s->nprocs;
    int count = s->n + 1 - k;
    double *pivot = s->rank == owner ? gauss_part_row(&s->part, pivot_row)
                                     : s->pivot_buffer;
    if (s->collectives) {
        MPI_Bcast(pivot + k, count, MPI_DOUBLE, owner, MPI_COMM_WORLD);
    } else if (s->rank == owner) {
        for (int rank = 0; rank < s->nprocs; rank++)
            if (rank != owner)
                MPI_Send(pivot + k, count, MPI_DOUBLE, rank, TAG_PIVOT_ROW,
                         MPI_COMM_WORLD);
    } else {
        MPI_Recv(pivot + k, count, MPI_DOUBLE, owner, TAG_PIVOT_ROW,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
    return pivot;
}

static void eliminate(struct solver *s)
{
    for (int k = 0; k < s->n; k++) {
        int pivot_row = choose_pivot(s, k);
        s->pivot_rows[k] = pivot_row;
        const double *pivot = share_pivot_row(s, k, pivot_row);
        gauss_part_eliminate(&s->part, k, pivot_row, pivot);
    }
}

/* Sends every rank's rows to main, rank after rank into `all` (the layout
 * of gauss_gathered_row); `all` matters on main only. */
static void gather_rows(const struct solver *s, double *all)
{
    int row_size = s->n + 1;
    int my_size = s->part.count * row_size;
    if (s->collectives) {
        int *counts = NULL, *displacements = NULL;
        if (s->rank == 0) {
            counts = malloc(sizeof(int) * (size_t)s->nprocs);
            displacements = malloc(sizeof(int) * (size_t)s->nprocs);
            for (int rank = 0, offset = 0; rank < s->nprocs; rank++) {
                counts[rank] = gauss_rows_of(s->n, s->nprocs, rank) * row_size;
                displacements[rank] = offset;
                offset += counts[rank];
            }
        }
        MPI_Gatherv(s->part.rows, my_size, MPI_DOUBLE, all, counts,
                    displacements, MPI_DOUBLE, 0, MPI_COMM_WORLD);
        free(counts);
        free(displacements);
    } else if (s->rank != 0) {
        MPI_Send(s->part.rows, my_size, MPI_DOUBLE, 0, TAG_ROWS,
                 MPI_COMM_WORLD);
    } else {
        memcpy(all, s->part.rows, sizeof(double) * (size_t)my_size);
        double *next = all + my_size;
        for (int rank = 1; rank < s->nprocs; rank++) {
            int size = gauss_rows_of(s->n, s->nprocs, rank) * row_size;
            MPI_Recv(next, size, MPI_DOUBLE, rank, TAG_ROWS, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            next += size;
        }
    }
}

/* Main's last part: back substitution, then the report. Returns the exit
 * status. */
static int solve_and_report(const struct solver *s, const struct options *o,
                            double *all, double start)
{
    double *x = malloc(sizeof(double) * (size_t)s->n);
    if (!x) {
        app_error("out of memory for x");
        return 1;
    }
    gauss_back_substitute(s->n, s->nprocs, all, s->pivot_rows, x);
    double seconds = app_wall_seconds() - start;
    double residual = gauss_residual(o->seed, s->n, x);
    bool ok = residual < RESIDUAL_LIMIT;
    printf("gauss n=%d seed=%" PRIu64 " checksum=%.10e residual_ok=%s\n",
           s->n, o->seed, gauss_checksum(s->n, x), ok ? "yes" : "no");
    fprintf(stderr, "gauss: ||Ax-b||/||b|| = %.3e (%s)\n", residual,
            s->collectives ? "collectives" : "point-to-point");
    app_report_time("gauss", seconds, s->nprocs);
    free(x);
    return ok ? 0 : 1;
}

static int run(const struct options *options, int rank, int nprocs)
{
    double start = app_wall_seconds();
    struct solver s = {.rank = rank,
                       .nprocs = nprocs,
                       .n = options->n,
                       .collectives = options->collectives};
    size_t all_size = rank == 0 ? (size_t)s.n * (size_t)(s.n + 1) : 1;
    double *all = malloc(sizeof(double) * all_size);
    s.pivot_buffer = malloc(sizeof(double) * (size_t)(s.n + 1));
    s.pivot_rows = malloc(sizeof(int) * (size_t)s.n);
    if (!all || !s.pivot_buffer || !s.pivot_rows ||
        !gauss_part_init(&s.part, s.n, nprocs, rank, options->seed)) {
        fprintf(stderr, "gauss: rank %d: out of memory for n=%d\n", rank, s.n);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    eliminate(&s);
    gather_rows(&s, all);
    int status = rank == 0 ? solve_and_report(&s, options, all, start) : 0;
    gauss_part_free(&s.part);
    free(s.pivot_rows);
    free(s.pivot_buffer);
    free(all);
    return status;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, nprocs;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
    app_errors_init("gauss", rank == 0);

    struct options options;
    enum app_args_result args = parse_args(argc, argv, &options);
    if (args != APP_ARGS_RUN) {
        if (args == APP_ARGS_HELP && rank == 0)
            print_usage();
        MPI_Finalize();
        return args == APP_ARGS_HELP ? 0 : APP_EXIT_USAGE;
    }
    int status = run(&options, rank, nprocs);
    MPI_Finalize();
    return status;
}
