/*
 * failing_rank.c — rank 1 fails in the middle of a job, the way the
 * argument says:
 *
 *   failing_rank segv     rank 1 is killed by SIGSEGV
 *   failing_rank exit     rank 1 calls exit(3) without MPI_Finalize
 *   failing_rank abort    rank 1 calls MPI_Abort(MPI_COMM_WORLD, 5)
 *
 * Needs at least 2 ranks. Every other rank first tells rank 1 it is
 * running (point-to-point only, so the program does not depend on
 * collectives), then blocks in a receive nobody will ever match: the job
 * can only end if the failure of rank 1 takes the others down, so a hang
 * is a failure (tests/integration/runtime_failure.sh and runtime_cleanup.sh
 * run it under a time bound). Before failing, rank 1 prints and flushes
 * "failing_rank: rank 1 fails by <how>" on stdout: that line must reach
 * the user even though the process dies right after.
 *
 * A bad argument or fewer than 2 ranks: one line on stderr, exit status 2.
 */
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_READY 1
#define TAG_NEVER 2
#define EXIT_STATUS 3
#define ABORT_CODE 5

int main(int argc, char **argv)
{
    int rank, size, token = 0;

    if (argc != 2 || (strcmp(argv[1], "segv") != 0 && strcmp(argv[1], "exit") != 0 &&
                      strcmp(argv[1], "abort") != 0)) {
        fprintf(stderr, "usage: failing_rank segv|exit|abort\n");
        return 2;
    }
    const char *how = argv[1];

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size < 2) {
        if (rank == 0)
            fprintf(stderr, "failing_rank: needs at least 2 ranks\n");
        MPI_Finalize();
        return 2;
    }

    if (rank != 1) {
        MPI_Send(&token, 1, MPI_INT, 1, TAG_READY, MPI_COMM_WORLD);
        MPI_Recv(&token, 1, MPI_INT, MPI_ANY_SOURCE, TAG_NEVER, MPI_COMM_WORLD,
                 MPI_STATUS_IGNORE);
    } else {
        /* Fail only once every rank is inside the job. */
        for (int i = 0; i < size - 1; i++)
            MPI_Recv(&token, 1, MPI_INT, MPI_ANY_SOURCE, TAG_READY, MPI_COMM_WORLD,
                     MPI_STATUS_IGNORE);
        printf("failing_rank: rank 1 fails by %s\n", how);
        fflush(stdout);
        if (strcmp(how, "segv") == 0) {
            /* Open MPI installs its own SIGSEGV handler in native runs;
             * the default action makes every mode die the same way. */
            signal(SIGSEGV, SIG_DFL);
            raise(SIGSEGV);
        } else if (strcmp(how, "exit") == 0) {
            exit(EXIT_STATUS);
        } else {
            MPI_Abort(MPI_COMM_WORLD, ABORT_CODE);
        }
    }

    /* Not reached: every rank dies with rank 1 or blocks forever. */
    fprintf(stderr, "failing_rank: rank %d survived the failure of rank 1\n", rank);
    return 1;
}
