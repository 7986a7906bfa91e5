/*
 * nqueens.c — Johnson's nqueens as an MPI program: counts the solutions of
 * the N-queens problem on an N×N board.
 *
 * Decomposition (thesis: "an equal division of the possible placements of
 * the first two queens"): rank 0, the main process, sends each worker its
 * share of the work items of nqueens_kernel.h — a static cyclic split, item
 * k going to rank k mod np — counts its own share, then receives one count
 * per worker. So each worker exchanges exactly one message with main at the
 * start and one at the end; at np=1 main counts every item itself.
 *
 * Output invariant: stdout is the single line "nqueens N=<N> solutions=<s>",
 * the same bytes at every rank count; the time goes to stderr.
 */
#include "apps/apputil.h"
#include "apps/nqueens_kernel.h"

#include <inttypes.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

enum nqueens_tag {
    TAG_SHARE = 1, /* main -> worker: struct share, as 3 ints */
    TAG_COUNT = 2, /* worker -> main: the share's solutions, one uint64 */
};

/* The items of one process: first, first + stride, first + 2 stride, ... */
struct share {
    int n;
    int first;
    int stride;
};

static void print_usage(void)
{
    printf("usage: nqueens N\n"
           "Counts the solutions of the N-queens problem (%d <= N <= %d).\n"
           "Rank 0 splits the placements of the first two queens among all\n"
           "ranks and adds up their counts.\n",
           NQUEENS_MIN_N, NQUEENS_MAX_N);
}

static enum app_args_result parse_args(int argc, char **argv, int *n)
{
    int positional = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0)
            return APP_ARGS_HELP;
        long value;
        if (argv[i][0] == '-' || positional > 0) {
            app_error("unexpected argument '%s' (try --help)", argv[i]);
            return APP_ARGS_ERROR;
        }
        if (!app_parse_long("N", argv[i], NQUEENS_MIN_N, NQUEENS_MAX_N,
                            &value))
            return APP_ARGS_ERROR;
        *n = (int)value;
        positional++;
    }
    if (positional == 0) {
        app_error("missing board size N (try --help)");
        return APP_ARGS_ERROR;
    }
    return APP_ARGS_RUN;
}

static uint64_t count_share(struct share share)
{
    uint64_t solutions = 0;
    int items = nqueens_item_count(share.n);
    for (int k = share.first; k < items; k += share.stride)
        solutions += nqueens_count_item(share.n, nqueens_item(share.n, k));
    return solutions;
}

static uint64_t run_main(int n, int nprocs)
{
    for (int worker = 1; worker < nprocs; worker++) {
        struct share share = {.n = n, .first = worker, .stride = nprocs};
        MPI_Send(&share, 3, MPI_INT, worker, TAG_SHARE, MPI_COMM_WORLD);
    }
    uint64_t solutions =
        count_share((struct share){.n = n, .first = 0, .stride = nprocs});
    /* Workers finish in any order; integer sums do not care. */
    for (int reports = 1; reports < nprocs; reports++) {
        uint64_t count;
        MPI_Recv(&count, 1, MPI_UINT64_T, MPI_ANY_SOURCE, TAG_COUNT,
                 MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        solutions += count;
    }
    return solutions;
}

static void run_worker(void)
{
    struct share share;
    MPI_Recv(&share, 3, MPI_INT, 0, TAG_SHARE, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    uint64_t count = count_share(share);
    MPI_Send(&count, 1, MPI_UINT64_T, 0, TAG_COUNT, MPI_COMM_WORLD);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, nprocs;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &nprocs);
    app_errors_init("nqueens", rank == 0);

    int n = 0;
    enum app_args_result args = parse_args(argc, argv, &n);
    if (args != APP_ARGS_RUN) {
        if (args == APP_ARGS_HELP && rank == 0)
            print_usage();
        MPI_Finalize();
        return args == APP_ARGS_HELP ? 0 : APP_EXIT_USAGE;
    }

    if (rank == 0) {
        double start = app_wall_seconds();
        uint64_t solutions = run_main(n, nprocs);
        printf("nqueens N=%d solutions=%" PRIu64 "\n", n, solutions);
        app_report_time("nqueens", app_wall_seconds() - start, nprocs);
    } else {
        run_worker();
    }
    MPI_Finalize();
    return 0;
}
