/*
 * topology.c — Cartesian, graph and distributed-graph topologies (see
 * topology.h).
 *
 * Every array of a topology is its own allocation, so topology_free and
 * topology_dup treat all kinds alike; absent arrays are NULL.
 */
#include "plugin/topology.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/comm.h"

/* --- MPI_Dims_create ---------------------------------------------------------- */

/* The prime factors of n > 1 in ascending order into `f` (room for 31). */
static int prime_factors(int n, int *f)
{
    int count = 0;
    for (int d = 2; (long long)d * d <= n; d += d == 2 ? 1 : 2)
        while (n % d == 0) {
            f[count++] = d;
            n /= d;
        }
    if (n > 1)
        f[count++] = n;
    return count;
}

int topology_dims_create(int nnodes, int ndims, int dims[])
{
    if (ndims < 0 || nnodes < 1)
        return ndims < 0 ? MPI_ERR_DIMS : MPI_ERR_ARG;
    int left = nnodes, nfree = 0;
    for (int i = 0; i < ndims; i++) {
        if (dims[i] < 0 || (dims[i] > 0 && left % dims[i] != 0))
            return MPI_ERR_DIMS;
        if (dims[i] == 0)
            nfree++;
        else
            left /= dims[i];
    }
    if (nfree == 0)
        return left == 1 ? MPI_SUCCESS : MPI_ERR_DIMS;

    int *bins = malloc((size_t)nfree * sizeof *bins), factors[32];
    if (!bins)
        return MPI_ERR_NO_MEM;
    for (int i = 0; i < nfree; i++)
        bins[i] = 1;
    for (int j = prime_factors(left, factors) - 1; j >= 0; j--) {
        int smallest = 0;
        for (int i = 1; i < nfree; i++)
            if (bins[i] < bins[smallest])
                smallest = i;
        bins[smallest] *= factors[j];
    }
    /* Non-increasing order (insertion sort: ndims is small). */
    for (int i = 1; i < nfree; i++)
        for (int k = i; k > 0 && bins[k] > bins[k - 1]; k--) {
            int t = bins[k];
            bins[k] = bins[k - 1];
            bins[k - 1] = t;
        }
    for (int i = 0, b = 0; i < ndims; i++)
        if (dims[i] == 0)
            dims[i] = bins[b++];
    free(bins);
    return MPI_SUCCESS;
}

/* --- objects ------------------------------------------------------------------------- */

/* A copy of n ints (NULL for none); *ok becomes 0 when memory is short. */
static int *copy_ints(const int *from, int n, int *ok)
{
    if (!from || n <= 0)
        return NULL;
    int *to = malloc((size_t)n * sizeof *to);
    if (!to) {
        *ok = 0;
        return NULL;
    }
    memcpy(to, from, (size_t)n * sizeof *to);
    return to;
}

void topology_free(struct mk_topology *t)
{
    if (!t)
        return;
    free(t->dims);
    free(t->periods);
    free(t->coords);
    free(t->index);
    free(t->edges);
    free(t->sourceweights);
    free(t->destweights);
    free(t->in);
    free(t->out);
    free(t);
}

/* Keeps `t` if all its copies succeeded, else frees it. */
static struct mk_topology *complete(struct mk_topology *t, int ok)
{
    if (ok)
        return t;
    topology_free(t);
    return NULL;
}

struct mk_topology *topology_dup(const struct mk_topology *t)
{
    struct mk_topology *d = malloc(sizeof *d);
    if (!d)
        return NULL;
    int ok = 1, nedges = t->kind == MPI_GRAPH && t->nnodes > 0 ? t->index[t->nnodes - 1] : 0;
    *d = *t;
    d->dims = copy_ints(t->dims, t->ndims, &ok);
    d->periods = copy_ints(t->periods, t->ndims, &ok);
    d->coords = copy_ints(t->coords, t->ndims, &ok);
    d->index = copy_ints(t->index, t->nnodes, &ok);
    d->edges = copy_ints(t->edges, nedges, &ok);
    d->sourceweights = copy_ints(t->sourceweights, t->indegree, &ok);
    d->destweights = copy_ints(t->destweights, t->outdegree, &ok);
    d->in = copy_ints(t->in, t->indegree, &ok);
    d->out = copy_ints(t->out, t->outdegree, &ok);
    return complete(d, ok);
}

/* --- Cartesian ---------------------------------------------------------------------------- */

int topology_cart_size(int ndims, const int dims[])
{
    long long size = 1;
    for (int i = 0; i < ndims; i++) {
        size *= dims[i];
        if (size > INT_MAX)
            return -1;
    }
    return (int)size;
}

void topology_cart_coords(const struct mk_topology *t, int rank, int coords[])
{
    for (int i = t->ndims - 1; i >= 0; i--) {
        coords[i] = rank % t->dims[i];
        rank /= t->dims[i];
    }
}

int topology_cart_rank(const struct mk_topology *t, const int coords[], int *rank)
{
    int r = 0;
    for (int i = 0; i < t->ndims; i++) {
        int c = coords[i];
        if (t->periods[i])
            c = (c % t->dims[i] + t->dims[i]) % t->dims[i];
        else if (c < 0 || c >= t->dims[i])
            return MPI_ERR_ARG;
        r = r * t->dims[i] + c;
    }
    *rank = r;
    return MPI_SUCCESS;
}

/* The rank `disp` steps from this rank along `dim`, or MPI_PROC_NULL. */
static int cart_neighbor(const struct mk_topology *t, int dim, int disp)
{
    long long pos = (long long)t->coords[dim] + disp;
    if (t->periods[dim])
        pos = (pos % t->dims[dim] + t->dims[dim]) % t->dims[dim];
    else if (pos < 0 || pos >= t->dims[dim])
        return MPI_PROC_NULL;
    int r = 0;
    for (int i = 0; i < t->ndims; i++)
        r = r * t->dims[i] + (i == dim ? (int)pos : t->coords[i]);
    return r;
}

void topology_cart_shift(const struct mk_topology *t, int direction, int disp, int *source,
                         int *dest)
{
    *source = cart_neighbor(t, direction, -disp);
    *dest = cart_neighbor(t, direction, disp);
}

struct mk_topology *topology_cart_new(int ndims, const int dims[], const int periods[], int rank)
{
    struct mk_topology *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    int ok = 1;
    t->kind = MPI_CART;
    t->ndims = ndims;
    t->dims = copy_ints(dims, ndims, &ok);
    t->periods = ndims > 0 ? calloc((size_t)ndims, sizeof *t->periods) : NULL;
    t->coords = ndims > 0 ? calloc((size_t)ndims, sizeof *t->coords) : NULL;
    t->in = ndims > 0 ? malloc(2 * (size_t)ndims * sizeof *t->in) : NULL;
    t->out = ndims > 0 ? malloc(2 * (size_t)ndims * sizeof *t->out) : NULL;
    if (!ok || (ndims > 0 && (!t->periods || !t->coords || !t->in || !t->out)))
        return complete(t, 0);
    for (int i = 0; i < ndims; i++)
        t->periods[i] = periods[i] != 0;
    topology_cart_coords(t, rank, t->coords);
    t->indegree = t->outdegree = 2 * ndims;
    for (int i = 0; i < ndims; i++)
        topology_cart_shift(t, i, 1, &t->in[2 * i], &t->in[2 * i + 1]);
    if (ndims > 0)
        memcpy(t->out, t->in, 2 * (size_t)ndims * sizeof *t->out);
    return t;
}

/* --- graphs ----------------------------------------------------------------------------------- */

struct mk_topology *topology_graph_new(int nnodes, const int index[], const int edges[], int rank)
{
    struct mk_topology *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    int ok = 1, first = rank > 0 ? index[rank - 1] : 0;
    t->kind = MPI_GRAPH;
    t->nnodes = nnodes;
    t->index = copy_ints(index, nnodes, &ok);
    t->edges = copy_ints(edges, nnodes > 0 ? index[nnodes - 1] : 0, &ok);
    t->indegree = t->outdegree = index[rank] - first;
    t->in = copy_ints(edges + first, t->indegree, &ok);
    t->out = copy_ints(edges + first, t->outdegree, &ok);
    return complete(t, ok);
}

/* Weights given by the app, or NULL for MPI_UNWEIGHTED / MPI_WEIGHTS_EMPTY. */
static const int *real_weights(const int *w)
{
    return w == MPI_UNWEIGHTED || w == MPI_WEIGHTS_EMPTY ? NULL : w;
}

struct mk_topology *topology_dist_graph_new(int indegree, const int sources[],
                                            const int sourceweights[], int outdegree,
                                            const int destinations[], const int destweights[])
{
    struct mk_topology *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    int ok = 1;
    t->kind = MPI_DIST_GRAPH;
    t->weighted = sourceweights != MPI_UNWEIGHTED && destweights != MPI_UNWEIGHTED;
    t->indegree = indegree;
    t->outdegree = outdegree;
    t->in = copy_ints(sources, indegree, &ok);
    t->out = copy_ints(destinations, outdegree, &ok);
    if (t->weighted) {
        t->sourceweights = copy_ints(real_weights(sourceweights), indegree, &ok);
        t->destweights = copy_ints(real_weights(destweights), outdegree, &ok);
    }
    return complete(t, ok);
}

/* --- for neighbourhood collectives --------------------------------------------------------------- */

int topology_neighbors(const struct mk_comm *c, int *indegree, const int **sources,
                       int *outdegree, const int **destinations)
{
    const struct mk_topology *t = c->topology;
    if (!t)
        return MPI_ERR_TOPOLOGY;
    *indegree = t->indegree;
    *sources = t->in;
    *outdegree = t->outdegree;
    *destinations = t->out;
    return MPI_SUCCESS;
}
