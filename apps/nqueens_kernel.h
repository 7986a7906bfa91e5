/*
 * nqueens_kernel.h — counts the solutions of the N-queens problem, split into
 * work items as in Johnson's nqueens: one item per valid placement of the
 * queens of the first two rows.
 *
 * Invariants: items are numbered 0 .. nqueens_item_count(n) - 1 in a fixed
 * order that depends only on n, and the counts of all items add up to the
 * number of solutions of the whole board. For n == 1 the board has a single
 * row, so its only item places that row's queen. No MPI here.
 */
#ifndef MPICKPT_APPS_NQUEENS_KERNEL_H
#define MPICKPT_APPS_NQUEENS_KERNEL_H

#include <stdint.h>

/* Boards are bitmasks of columns in 32 bits; beyond 20 the count would take
 * days anyway. */
enum { NQUEENS_MIN_N = 1, NQUEENS_MAX_N = 20 };

/* The queens' columns in the first rows (two, or one when n == 1). */
struct nqueens_item {
    int rows;
    int col[2];
};

/* Number of work items of an n×n board. */
int nqueens_item_count(int n);
/* Fills the item numbered `index` (0 <= index < nqueens_item_count(n)). */
struct nqueens_item nqueens_item(int n, int index);
/* Solutions of the n×n board that start with the item's queens. */
uint64_t nqueens_count_item(int n, struct nqueens_item item);

#endif
