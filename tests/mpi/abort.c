/*
 * abort.c — MPI_Abort ends the whole job.
 *
 * Every rank reaches a barrier; then the last rank prints
 * "abort: calling MPI_Abort" on stdout and calls
 * MPI_Abort(MPI_COMM_WORLD, 3), while every other rank blocks in an
 * MPI_Recv that no one will ever match. The job can only end because the
 * abort takes all ranks down, so a hang is a failure (run by
 * tests/integration/abort.sh under a timeout, never by tests/run-test.sh).
 *
 * Invariants: the message is flushed before MPI_Abort, so it reaches the
 * launcher however the process dies; main never returns normally.
 */
#include "tests/mpi/check.h"

#define ABORT_CODE 3

int main(int argc, char **argv)
{
    int never = 0;

    MPI_Init(&argc, &argv);
    check_init("abort");

    /* After the barrier every rank is running, so the abort has to reach
     * live processes, including ones blocked in MPI. */
    CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
    if (check_rank == check_size - 1) {
        printf("abort: calling MPI_Abort\n");
        fflush(stdout);
        MPI_Abort(MPI_COMM_WORLD, ABORT_CODE);
    } else {
        CHECK_MPI(MPI_Recv(&never, 1, MPI_INT, MPI_ANY_SOURCE, 0,
                           MPI_COMM_WORLD, MPI_STATUS_IGNORE));
    }

    /* Not reached: MPI_Abort does not return and the receive never
     * completes. Should it happen anyway, say so and fail. */
    CHECK(0, "rank survived MPI_Abort");
    return 1;
}
