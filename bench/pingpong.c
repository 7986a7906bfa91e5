/*
 * pingpong.c — MPI ping-pong latency and bandwidth, for comparing native
 * Open MPI with mpickpt (bench/run-pingpong.sh runs it both ways).
 *
 *   mpirun -np N pingpong [--reps=R] [--max-iters=I] [--max-size=BYTES]
 *
 * Ranks are paired 0↔1, 2↔3, ...; all pairs ping-pong at the same time, so
 * at np 4 two pairs compete for the cores, and rank 0 reports its own pair.
 * For each size, the powers of 4 from 1 B up to --max-size (4 MiB by
 * default): a warm-up, then R timed repetitions (7 by default) of `iters`
 * round trips, where `iters` is --max-iters (2000) for small sizes and
 * shrinks with the size so a full sweep takes a few seconds. One-way
 * latency is a repetition's time over 2 × iters; the median over the
 * repetitions is printed, with the bandwidth it implies (size / latency,
 * 1 GB = 10^9 bytes).
 *
 * Output (rank 0, stdout), one line per size after '#' comment lines:
 *   <size bytes> <one-way µs> <GB/s> <iters>
 * Only point-to-point calls and MPI_Wtime are used, so the benchmark runs
 * under any layer that provides blocking send and receive. Bad options or
 * an odd rank count: one line on stderr, exit status 2.
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_PING 1
#define TAG_PONG 2
#define WARMUP_ROUNDS 10
#define MAX_REPS 101
/* Small sizes do max_iters round trips; above this many bytes per
 * repetition the count shrinks in proportion to the size. */
#define BYTES_PER_REP ((size_t)64 << 20)
#define MIN_ITERS 4

struct options {
    int reps;
    int max_iters;
    size_t max_size;
};

/* Parses "--name=<positive integer>"; 1 if `arg` was that option. */
static int int_option(const char *arg, const char *name, long *out)
{
    size_t len = strlen(name);
    if (strncmp(arg, name, len) != 0 || arg[len] != '=')
        return 0;
    char *end;
    *out = strtol(arg + len + 1, &end, 10);
    if (*end != '\0' || *out <= 0)
        *out = -1;
    return 1;
}

static int parse_options(int argc, char **argv, struct options *o)
{
    o->reps = 7;
    o->max_iters = 2000;
    o->max_size = (size_t)4 << 20;
    for (int i = 1; i < argc; i++) {
        long v;
        if (int_option(argv[i], "--reps", &v) && v > 0 && v <= MAX_REPS)
            o->reps = (int)v;
        else if (int_option(argv[i], "--max-iters", &v) && v > 0 && v <= 1000000)
            o->max_iters = (int)v;
        else if (int_option(argv[i], "--max-size", &v) && v > 0 && v <= (1L << 30))
            o->max_size = (size_t)v;
        else {
            fprintf(stderr, "pingpong: bad option '%s' (--reps=1..%d, --max-iters=N, "
                    "--max-size=BYTES up to 1 GiB)\n", argv[i], MAX_REPS);
            return -1;
        }
    }
    return 0;
}

static int iterations(size_t size, int max_iters)
{
    size_t iters = BYTES_PER_REP / size;
    if (iters > (size_t)max_iters)
        iters = (size_t)max_iters;
    return iters < MIN_ITERS ? MIN_ITERS : (int)iters;
}

/* `rounds` round trips of `size` bytes with `peer`; the pinger (the lower
 * rank of the pair) sends first. Returns the elapsed seconds. */
static double ping_pong(char *buf, size_t size, int rounds, int peer, int pinger)
{
    double start = MPI_Wtime();
    for (int i = 0; i < rounds; i++) {
        if (pinger) {
            MPI_Send(buf, (int)size, MPI_BYTE, peer, TAG_PING, MPI_COMM_WORLD);
            MPI_Recv(buf, (int)size, MPI_BYTE, peer, TAG_PONG, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        } else {
            MPI_Recv(buf, (int)size, MPI_BYTE, peer, TAG_PING, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
            MPI_Send(buf, (int)size, MPI_BYTE, peer, TAG_PONG, MPI_COMM_WORLD);
        }
    }
    return MPI_Wtime() - start;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    struct options opt;
    int rank, size;

    if (parse_options(argc, argv, &opt) != 0)
        return 2;
    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size % 2 != 0) {
        if (rank == 0)
            fprintf(stderr, "pingpong: needs an even number of ranks, got %d\n", size);
        MPI_Finalize();
        return 2;
    }

    char *buf = malloc(opt.max_size);
    if (!buf) {
        fprintf(stderr, "pingpong: rank %d: out of memory for %zu bytes\n", rank,
                opt.max_size);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    /* Touch every page now, so no size pays for first-touch faults. */
    memset(buf, rank & 0xff, opt.max_size);
    int peer = rank ^ 1, pinger = rank % 2 == 0;

    if (rank == 0) {
        printf("# pingpong np=%d pairs=%d reps=%d max_iters=%d\n", size, size / 2,
               opt.reps, opt.max_iters);
        printf("# size_bytes one_way_us bandwidth_GBps iters\n");
    }
    double seconds[MAX_REPS];
    for (size_t bytes = 1; bytes <= opt.max_size; bytes *= 4) {
        int iters = iterations(bytes, opt.max_iters);
        ping_pong(buf, bytes, iters < WARMUP_ROUNDS ? iters : WARMUP_ROUNDS, peer, pinger);
        for (int r = 0; r < opt.reps; r++)
            seconds[r] = ping_pong(buf, bytes, iters, peer, pinger);
        if (rank == 0) {
            qsort(seconds, (size_t)opt.reps, sizeof seconds[0], compare_doubles);
            double median = opt.reps % 2 ? seconds[opt.reps / 2]
                : (seconds[opt.reps / 2 - 1] + seconds[opt.reps / 2]) / 2;
            double one_way_us = median / (2.0 * iters) * 1e6;
            printf("%zu %.3f %.4f %d\n", bytes, one_way_us,
                   (double)bytes / one_way_us * 1e-3, iters);
            fflush(stdout);
        }
    }
    free(buf);
    MPI_Finalize();
    return 0;
}
