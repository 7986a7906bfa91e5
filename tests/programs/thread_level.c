/*
 * thread_level.c — asks for MPI_THREAD_MULTIPLE and reports what it got.
 *
 * Rank 0 prints one line, "thread_level provided=<MPI_THREAD_... name>",
 * with the level MPI_Init_thread granted; every rank checks that
 * MPI_Query_thread reports the same level and exits 1 if not.
 * tests/integration/runtime_bad_input.sh expects MPI_THREAD_SERIALIZED
 * under mpickpt: the compute process forwards MPI calls over one channel,
 * one call at a time, so it must never promise MPI_THREAD_MULTIPLE.
 */
#include <mpi.h>
#include <stdio.h>

static const char *level_name(int level)
{
    switch (level) {
    case MPI_THREAD_SINGLE: return "MPI_THREAD_SINGLE";
    case MPI_THREAD_FUNNELED: return "MPI_THREAD_FUNNELED";
    case MPI_THREAD_SERIALIZED: return "MPI_THREAD_SERIALIZED";
    case MPI_THREAD_MULTIPLE: return "MPI_THREAD_MULTIPLE";
    default: return "unknown";
    }
}

int main(int argc, char **argv)
{
    int provided = -1, queried = -2, rank = 0;

    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Query_thread(&queried);
    if (queried != provided) {
        printf("thread_level: rank %d: MPI_Query_thread says %s, MPI_Init_thread said %s\n",
               rank, level_name(queried), level_name(provided));
        MPI_Finalize();
        return 1;
    }
    if (rank == 0)
        printf("thread_level provided=%s\n", level_name(provided));
    MPI_Finalize();
    return 0;
}
