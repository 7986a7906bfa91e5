/*
 * nqueens_kernel.c — the N-queens counter behind the nqueens program: work
 * items and a bitmask backtracking search (see nqueens_kernel.h).
 *
 * Invariant of the search: at each row, `cols` holds the columns already
 * taken and `left`/`right` the squares of this row attacked along the two
 * diagonals, each one bit per column of the board.
 */
#include "apps/nqueens_kernel.h"

#include <stdbool.h>

/* Whether queens in row 0 at col0 and row 1 at col1 leave each other alone:
 * different columns, and not on a shared diagonal. */
static bool first_rows_compatible(int col0, int col1)
{
    int gap = col0 > col1 ? col0 - col1 : col1 - col0;
    return gap > 1;
}

int nqueens_item_count(int n)
{
    if (n == 1)
        return 1;
    int count = 0;
    for (int col0 = 0; col0 < n; col0++)
        for (int col1 = 0; col1 < n; col1++)
            count += first_rows_compatible(col0, col1);
    return count;
}

struct nqueens_item nqueens_item(int n, int index)
{
    if (n == 1)
        return (struct nqueens_item){.rows = 1, .col = {0, 0}};
    /* Compatible pairs in row-major order of (col0, col1). */
    for (int col0 = 0; col0 < n; col0++)
        for (int col1 = 0; col1 < n; col1++)
            if (first_rows_compatible(col0, col1) && index-- == 0)
                return (struct nqueens_item){.rows = 2, .col = {col0, col1}};
    /* Out of range: two queens in one column, an item with no solution. */
    return (struct nqueens_item){.rows = 2, .col = {0, 0}};
}

/* Solutions for the remaining rows, given the attacks on the current row. */
static uint64_t count_rows(uint32_t board, uint32_t cols, uint32_t left,
                           uint32_t right)
{
    if (cols == board)
        return 1;
    uint64_t solutions = 0;
    uint32_t available = board & ~(cols | left | right);
    while (available != 0) {
        uint32_t bit = available & -available;
        available ^= bit;
        /* Diagonal attacks move one column per row; bits shifted past the
         * board's edge are masked off by `board` above. */
        solutions += count_rows(board, cols | bit, (left | bit) << 1,
                                (right | bit) >> 1);
    }
    return solutions;
}

uint64_t nqueens_count_item(int n, struct nqueens_item item)
{
    uint32_t board = (UINT32_C(1) << n) - 1;
    uint32_t cols = 0, left = 0, right = 0;
    for (int row = 0; row < item.rows; row++) {
        uint32_t bit = UINT32_C(1) << item.col[row];
        if ((cols | left | right) & bit)
            return 0;
        cols |= bit;
        left = (left | bit) << 1;
        right = (right | bit) >> 1;
    }
    return count_rows(board, cols, left, right);
}
