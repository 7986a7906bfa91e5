/*
 * coord_ring.c — a multi-rank MPI program for the coordinated checkpoint
 * tests (tests/integration/coord_*.sh, tests/long.sh): its output depends
 * on every message and every collective of the run, so a recovery that
 * lost, repeated or reordered one shows in the output.
 *
 *   coord_ring PREFIX ITERATIONS [WORK]
 *
 * Each iteration: every rank does WORK steps of integer busy computation
 * (default 200000) seeded by the iteration and its rank; a token goes
 * once around the ring 0 -> 1 -> ... -> size-1 -> 0 with MPI_Send/MPI_Recv,
 * each rank mixing its computed value into it (on odd iterations the
 * ranks but 0 take the token with MPI_Mprobe, compute, then MPI_Mrecv, so
 * a cut can fall between a matched probe and its receive); then an
 * MPI_Allreduce sums
 * the ranks' values and tokens. Rank 0 prints one line per iteration on
 * stdout, "iter <i> token <t> sum <s>", flushed at once (so output reaches
 * the keeper during the run, not only at exit), and every rank appends one
 * line per iteration to its own file PREFIX.<rank> through a buffered
 * FILE* (so stdio buffers are part of a checkpoint). Rank 0 ends with
 * "done <iterations> iterations on <size> ranks". With COORD_RING_STDERR
 * set in the environment, rank 0's lines go to stderr instead (Open MPI
 * hands a rank's stderr to mpirun through a pipe, its stdout through a
 * pseudo-terminal).
 *
 * Invariant: the output (stdout and every PREFIX.<rank>) depends only on
 * the arguments and the rank count: integer arithmetic, fixed message
 * order. Exit status 2 on bad arguments, 1 if a file cannot be written.
 */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { TAG_TOKEN = 7, DEFAULT_WORK = 200000 };

/* The busy computation: WORK steps of a 64-bit LCG and an xorshift mix,
 * starting from a seed made of the iteration and the rank. */
static uint64_t busy_value(int iteration, int rank, long work)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)iteration << 20) ^ (uint64_t)rank;
    for (long i = 0; i < work; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        x ^= x >> 29;
    }
    return x % 1000003;
}

/* The rank's computation of this iteration, and one trip of the token
 * around the ring; returns the token after it came back to rank 0 (on
 * rank 0), or as this rank passed it on (others). */
static int64_t pass_token(int iteration, int rank, int size, long work, uint64_t *value_out)
{
    int64_t token = iteration;
    int next = (rank + 1) % size;
    int prev = (rank + size - 1) % size;
    if (rank != 0 && iteration % 2) {
        MPI_Message message;
        MPI_Mprobe(prev, TAG_TOKEN, MPI_COMM_WORLD, &message, MPI_STATUS_IGNORE);
        *value_out = busy_value(iteration, rank, work);
        MPI_Mrecv(&token, 1, MPI_INT64_T, &message, MPI_STATUS_IGNORE);
    } else {
        *value_out = busy_value(iteration, rank, work);
    }
    uint64_t value = *value_out;
    if (size == 1)
        return token * 31 + (int64_t)value;
    if (rank == 0) {
        token = token * 31 + (int64_t)value;
        MPI_Send(&token, 1, MPI_INT64_T, next, TAG_TOKEN, MPI_COMM_WORLD);
        MPI_Recv(&token, 1, MPI_INT64_T, prev, TAG_TOKEN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        return token;
    }
    if (iteration % 2 == 0)
        MPI_Recv(&token, 1, MPI_INT64_T, prev, TAG_TOKEN, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    /* Modulo keeps the token small whatever the rank count. */
    token = (token * 31 + (int64_t)value) % 1000000007;
    MPI_Send(&token, 1, MPI_INT64_T, next, TAG_TOKEN, MPI_COMM_WORLD);
    return token;
}

static int parse_positive(const char *text, long *value)
{
    char *end;
    *value = strtol(text, &end, 10);
    return *end == '\0' && *value > 0;
}

int main(int argc, char **argv)
{
    long iterations, work = DEFAULT_WORK;
    if (argc < 3 || argc > 4 || !parse_positive(argv[2], &iterations) ||
        (argc == 4 && !parse_positive(argv[3], &work))) {
        fprintf(stderr, "usage: coord_ring PREFIX ITERATIONS [WORK]\n");
        return 2;
    }
    FILE *lines = getenv("COORD_RING_STDERR") ? stderr : stdout;
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    char path[4096];
    snprintf(path, sizeof path, "%s.%d", argv[1], rank);
    FILE *out = fopen(path, "w");
    if (!out) {
        perror(path);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (long i = 0; i < iterations; i++) {
        uint64_t value;
        int64_t token = pass_token((int)i, rank, size, work, &value);
        int64_t mine[2] = { (int64_t)value, token }, sums[2];
        MPI_Allreduce(mine, sums, 2, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
        fprintf(out, "iter %ld value %llu token %lld sums %lld %lld\n", i,
                (unsigned long long)value, (long long)token, (long long)sums[0],
                (long long)sums[1]);
        if (rank == 0) {
            fprintf(lines, "iter %ld token %lld sum %lld\n", i, (long long)token,
                    (long long)sums[0]);
            fflush(lines);
        }
    }
    if (fclose(out) != 0) {
        perror(path);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    if (rank == 0)
        fprintf(lines, "done %ld iterations on %d ranks\n", iterations, size);
    MPI_Finalize();
    return 0;
}
