/*
 * output.c — writes a known stream of output, for
 * tests/integration/runtime_output.sh, which checks that it passes through
 * mpickpt unchanged.
 *
 * Rank 0 writes OUT_LINES numbered lines of 16 bytes ("line 0000000001"
 * ...), 1 MiB in all, to stdout, and after every ERR_EVERY of them a
 * numbered line "err rank 0 line <k>" to stderr. The last rank (when there
 * are several) writes ERR_LINES lines "err rank <r> line <k>" to stderr.
 * Other ranks print nothing. Then:
 *   - rank 0 prints "before finalize" on stdout without flushing it, so
 *     the line is still in stdio's buffer when MPI_Finalize is called;
 *   - after MPI_Finalize, rank 0 prints "after finalize" and the last rank
 *     "err rank <r> after finalize"; rank 0 ends with "end without newline",
 *     which has no line feed, so only exit's flush can send it.
 * Only rank 0 writes stdout, because mpirun may interleave the streams of
 * different ranks at any byte: stdout is then deterministic, and each
 * rank's stderr lines are complete and ordered.
 */
#include <mpi.h>
#include <stdio.h>

#define OUT_LINES 65536  /* 16 bytes each: 1 MiB */
#define ERR_EVERY 4096
#define ERR_LINES 100

int main(int argc, char **argv)
{
    int rank, size;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    if (rank == 0) {
        for (int i = 1; i <= OUT_LINES; i++) {
            printf("line %010d\n", i);
            if (i % ERR_EVERY == 0)
                fprintf(stderr, "err rank 0 line %d\n", i / ERR_EVERY);
        }
        printf("before finalize\n");
    } else if (rank == size - 1) {
        for (int i = 1; i <= ERR_LINES; i++)
            fprintf(stderr, "err rank %d line %d\n", rank, i);
    }

    MPI_Finalize();

    if (rank == 0) {
        printf("after finalize\n");
        printf("end without newline");
    } else if (rank == size - 1) {
        fprintf(stderr, "err rank %d after finalize\n", rank);
    }
    return 0;
}
