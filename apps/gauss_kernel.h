/*
 * gauss_kernel.h — Gaussian elimination with partial pivoting on rows spread
 * cyclically over processes: the computing part of the gauss program.
 *
 * The system is A x = b, n×n, generated row by row from a seed; each row is
 * stored augmented, as n+1 doubles (A's row, then b's entry). Global row g
 * belongs to process g mod nprocs, at local index g / nprocs. Rows never
 * move: step k picks a pivot row among the rows not yet pivoted, and that
 * row becomes the k-th row of the upper-triangular system.
 *
 * Invariants:
 * - The arithmetic done to a row depends only on the row and the pivot rows,
 *   never on which process holds it, so any nprocs gives bit-identical x.
 * - Pivot order is total: larger |value| first, then smaller row index —
 *   the order MPI_MAXLOC uses on (value, index) pairs.
 * No MPI here.
 */
#ifndef MPICKPT_APPS_GAUSS_KERNEL_H
#define MPICKPT_APPS_GAUSS_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

/* A process's offer for step k: its best unpivoted row. `row` is the global
 * index, or GAUSS_NO_ROW with magnitude -1 when it has no rows left. */
struct gauss_candidate {
    double magnitude;
    int row;
};
enum { GAUSS_NO_ROW = -1 };

/* The rows one process owns. */
struct gauss_part {
    int n;
    int nprocs;
    int rank;
    int count;     /* rows owned */
    double *rows;  /* count × (n+1), row g at local index g / nprocs */
    bool *pivoted; /* per local row: already used as a pivot */
};

/* Rows process `rank` owns among n. */
int gauss_rows_of(int n, int nprocs, int rank);
/* Fills row g of the system of `seed`: A's entries and b's, uniform in
 * [-1, 1) — no diagonal dominance, so pivoting really swaps rows. */
void gauss_generate_row(uint64_t seed, int n, int g, double *row);

/* Allocates and generates the rows of `rank`; false if out of memory. */
bool gauss_part_init(struct gauss_part *part, int n, int nprocs, int rank,
                     uint64_t seed);
void gauss_part_free(struct gauss_part *part);
/* The owned row g (g mod nprocs == rank). */
double *gauss_part_row(const struct gauss_part *part, int g);

/* Best unpivoted local row for column k. */
struct gauss_candidate gauss_part_candidate(const struct gauss_part *part,
                                            int k);
/* The better pivot of a and b in the pivot order. */
struct gauss_candidate gauss_better_candidate(struct gauss_candidate a,
                                              struct gauss_candidate b);
/* Step k: marks row `pivot_row` pivoted if owned, and eliminates column k
 * from every other unpivoted local row with `pivot` (columns k..n valid). */
void gauss_part_eliminate(struct gauss_part *part, int k, int pivot_row,
                          const double *pivot);

/* Where row g sits in the rows of all processes gathered rank after rank
 * (rank 0's rows first): the layout of the final gather. */
double *gauss_gathered_row(double *all, int n, int nprocs, int g);
/* Solves the triangular system left by the elimination: pivot_rows[k] is
 * the pivot of step k, `all` the gathered rows. */
void gauss_back_substitute(int n, int nprocs, double *all,
                           const int *pivot_rows, double *x);

/* ||A x - b|| / ||b|| (Euclidean norms), regenerating A and b from seed. */
double gauss_residual(uint64_t seed, int n, const double *x);
/* A weighted sum of x that changes if any x_i changes much: Σ x_i (i%7+1). */
double gauss_checksum(int n, const double *x);

#endif
