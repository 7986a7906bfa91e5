/*
 * early_call.c — calls MPI_Comm_rank before MPI_Init, which MPI forbids.
 *
 * tests/integration/runtime_bad_input.sh runs it under mpickpt: the plugin
 * must stop the process with "mpickpt: MPI_Comm_rank called before
 * MPI_Init" and a non-zero status, and the job must end. Reaching the line
 * after MPI_Init means the mistake went unnoticed, so that path says so and
 * fails.
 */
#include <mpi.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    int rank = -1;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Init(&argc, &argv);
    printf("early_call: MPI_Comm_rank before MPI_Init was not stopped\n");
    MPI_Finalize();
    return 1;
}
