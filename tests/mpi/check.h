/*
 * check.h — assertions shared by the MPI feature programs in tests/mpi/.
 *
 * A feature program calls check_init() after MPI_Init, records every
 * expectation with CHECK(), and ends with `return check_finish();`, which
 * gathers the failure count over MPI_COMM_WORLD, calls MPI_Finalize and
 * returns the exit status. Invariant: a passing run prints exactly one line
 * on stdout, from rank 0: "PASS <name> np=<size>"; every failed expectation
 * prints "FAIL <name>: <what> (rank <r>, <file>:<line>)" where it happened,
 * then rank 0 prints "FAIL <name> np=<size> failures=<n>" and all ranks
 * exit 1. Output must not depend on timing, so programs print nothing else
 * on stdout.
 */
#ifndef MPICKPT_TESTS_MPI_CHECK_H
#define MPICKPT_TESTS_MPI_CHECK_H

#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static const char *check_name = "unnamed";
static int check_failures;
static int check_rank;
static int check_size;

static inline void check_init(const char *name)
{
    check_name = name;
    MPI_Comm_rank(MPI_COMM_WORLD, &check_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &check_size);
}

#define CHECK(cond, ...)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            check_failures++;                                                \
            printf("FAIL %s: ", check_name);                                 \
            printf(__VA_ARGS__);                                             \
            printf(" (rank %d, %s:%d)\n", check_rank, __FILE__, __LINE__);   \
            fflush(stdout);                                                  \
        }                                                                    \
    } while (0)

/* CHECK_MPI(call): the call must return MPI_SUCCESS. */
#define CHECK_MPI(call)                                                      \
    do {                                                                     \
        int check_rc_ = (call);                                              \
        CHECK(check_rc_ == MPI_SUCCESS, "%s returned %d", #call, check_rc_); \
    } while (0)

static inline int check_finish(void)
{
    int total = 0;
    MPI_Allreduce(&check_failures, &total, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (check_rank == 0) {
        if (total == 0)
            printf("PASS %s np=%d\n", check_name, check_size);
        else
            printf("FAIL %s np=%d failures=%d\n", check_name, check_size, total);
        fflush(stdout);
    }
    MPI_Finalize();
    return total == 0 ? 0 : 1;
}

#endif
