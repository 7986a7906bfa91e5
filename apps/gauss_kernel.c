/*
 * gauss_kernel.c — rows, pivots, elimination and back substitution of the
 * gauss program (see gauss_kernel.h for the layout and the contract).
 *
 * Invariant that makes results independent of the distribution: every
 * floating-point operation on a row is written once, here, and sums run in
 * a fixed index order; nothing depends on the local index or the owner.
 */
#include "apps/gauss_kernel.h"

#include <math.h>
#include <stdlib.h>

#include "apps/apputil.h"

int gauss_rows_of(int n, int nprocs, int rank)
{
    /* Rows rank, rank + nprocs, ... below n. */
    return (n - rank + nprocs - 1) / nprocs;
}

void gauss_generate_row(uint64_t seed, int n, int g, double *row)
{
    struct app_rng rng;
    /* One stream per row: any process can make any row on its own. */
    app_rng_init(&rng, seed, (uint64_t)g);
    for (int j = 0; j <= n; j++)
        row[j] = app_rng_uniform(&rng, -1.0, 1.0);
}

bool gauss_part_init(struct gauss_part *part, int n, int nprocs, int rank,
                     uint64_t seed)
{
    int count = gauss_rows_of(n, nprocs, rank);
    *part = (struct gauss_part){
        .n = n, .nprocs = nprocs, .rank = rank, .count = count};
    /* One spare element: a process with no rows still gets a buffer. */
    part->rows = malloc(sizeof(double) * ((size_t)count * (size_t)(n + 1) + 1));
    part->pivoted = calloc((size_t)count + 1, sizeof(bool));
    if (!part->rows || !part->pivoted) {
        gauss_part_free(part);
        return false;
    }
    for (int local = 0; local < count; local++)
        gauss_generate_row(seed, n, rank + local * nprocs,
                           part->rows + (size_t)local * (size_t)(n + 1));
    return true;
}

void gauss_part_free(struct gauss_part *part)
{
    free(part->rows);
    free(part->pivoted);
    part->rows = NULL;
    part->pivoted = NULL;
}

double *gauss_part_row(const struct gauss_part *part, int g)
{
    return part->rows + (size_t)(g / part->nprocs) * (size_t)(part->n + 1);
}

struct gauss_candidate gauss_better_candidate(struct gauss_candidate a,
                                              struct gauss_candidate b)
{
    if (a.magnitude != b.magnitude)
        return a.magnitude > b.magnitude ? a : b;
    return a.row < b.row ? a : b;
}

struct gauss_candidate gauss_part_candidate(const struct gauss_part *part,
                                            int k)
{
    struct gauss_candidate best = {.magnitude = -1.0, .row = GAUSS_NO_ROW};
    for (int local = 0; local < part->count; local++) {
        if (part->pivoted[local])
            continue;
        int g = part->rank + local * part->nprocs;
        struct gauss_candidate mine = {
            .magnitude = fabs(gauss_part_row(part, g)[k]), .row = g};
        /* Local rows come in increasing g, so `best` wins ties already. */
        if (best.row == GAUSS_NO_ROW || mine.magnitude > best.magnitude)
            best = mine;
    }
    return best;
}

/* row -= (row[k] / pivot[k]) * pivot, over columns k..n. */
static void eliminate_row(double *row, const double *pivot, int k, int n)
{
    double factor = row[k] / pivot[k];
    row[k] = 0.0;
    for (int j = k + 1; j <= n; j++)
        row[j] -= factor * pivot[j];
}

void gauss_part_eliminate(struct gauss_part *part, int k, int pivot_row,
                          const double *pivot)
{
    if (pivot_row % part->nprocs == part->rank)
        part->pivoted[pivot_row / part->nprocs] = true;
    for (int local = 0; local < part->count; local++) {
        if (part->pivoted[local])
            continue;
        eliminate_row(part->rows + (size_t)local * (size_t)(part->n + 1),
                      pivot, k, part->n);
    }
}

double *gauss_gathered_row(double *all, int n, int nprocs, int g)
{
    int owner = g % nprocs;
    size_t before = 0;
    for (int rank = 0; rank < owner; rank++)
        before += (size_t)gauss_rows_of(n, nprocs, rank);
    return all + (before + (size_t)(g / nprocs)) * (size_t)(n + 1);
}

void gauss_back_substitute(int n, int nprocs, double *all,
                           const int *pivot_rows, double *x)
{
    for (int k = n - 1; k >= 0; k--) {
        const double *row = gauss_gathered_row(all, n, nprocs, pivot_rows[k]);
        double sum = row[n];
        for (int j = k + 1; j < n; j++)
            sum -= row[j] * x[j];
        x[k] = sum / row[k];
    }
}

double gauss_residual(uint64_t seed, int n, const double *x)
{
    double *row = malloc(sizeof(double) * (size_t)(n + 1));
    if (!row)
        return INFINITY;
    double residual2 = 0.0, b2 = 0.0;
    for (int g = 0; g < n; g++) {
        gauss_generate_row(seed, n, g, row);
        double ax = 0.0;
        for (int j = 0; j < n; j++)
            ax += row[j] * x[j];
        residual2 += (ax - row[n]) * (ax - row[n]);
        b2 += row[n] * row[n];
    }
    free(row);
    return sqrt(residual2 / b2);
}

double gauss_checksum(int n, const double *x)
{
    double sum = 0.0;
    for (int i = 0; i < n; i++)
        sum += x[i] * (double)(i % 7 + 1);
    return sum;
}
