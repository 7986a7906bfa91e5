/*
 * api_topo.c — MPI's process-topology calls in the compute process:
 * MPI_Dims_create; Cartesian (Cart_create, Cartdim_get, Cart_get,
 * Cart_rank, Cart_coords, Cart_shift, Cart_sub, Cart_map); graph
 * (Graph_create, Graphdims_get, Graph_get, Graph_neighbors_count,
 * Graph_neighbors, Graph_map); distributed graph
 * (Dist_graph_create_adjacent, Dist_graph_neighbors_count,
 * Dist_graph_neighbors, and Dist_graph_create, whose edges are sent to
 * both ends with the plugin's own MPI_Alltoall/Alltoallv); Topo_test.
 *
 * A topology's communicator is made by the keeper like any other:
 * Cart_create and Graph_create split the old communicator, keeping its
 * first prod(dims) (nnodes) ranks in their order (color 0, key = rank) and
 * leaving out the rest (MPI_UNDEFINED); Cart_sub splits by the dropped
 * coordinates; Dist_graph_create_adjacent duplicates. `reorder` is
 * therefore never applied, which MPI allows. The topology itself lives on
 * the plugin's communicator object (topology.h), so every query is local.
 */
#include <stdlib.h>
#include <string.h>

#include "common/wire.h"
#include "plugin/client.h"
#include "plugin/comm.h"
#include "plugin/errors.h"
#include "plugin/topology.h"

/* --- helpers --------------------------------------------------------------------- */

static struct mk_comm *comm_arg(MPI_Comm comm, const char *fn)
{
    mk_require_init(fn);
    return comm_get(comm);
}

/* The topology of `c` if it is of `kind`, else NULL. */
static struct mk_topology *topology_of(const struct mk_comm *c, int kind)
{
    struct mk_topology *t = c->topology;
    return t && t->kind == kind ? t : NULL;
}

/* Creates through the keeper a communicator of `c`'s ranks below `n`, in
 * their order; *made is NULL on the other ranks. */
static int keep_first_ranks(struct mk_comm *c, int n, struct mk_comm **made)
{
    struct chan_sub sub = { .op = WOP_COMM_SPLIT };
    sub.arg[4] = c->rank < n ? 0 : WIRE_UNDEFINED;
    sub.arg[5] = c->rank;
    return comm_create_via_keeper(&sub, c, made);
}

/* Attaches `t` to the new communicator `made` and hands it to the app; a
 * NULL `t` (memory short) undoes the communicator. */
static int give_topology_comm(struct mk_comm *parent, struct mk_comm *made,
                              struct mk_topology *t, MPI_Comm *newcomm, const char *fn)
{
    if (!t) {
        comm_free_via_keeper(made);
        *newcomm = MPI_COMM_NULL;
        return mk_error(parent, MPI_ERR_NO_MEM, fn);
    }
    made->topology = t;
    *newcomm = comm_handle(made);
    return MPI_SUCCESS;
}

/* --- MPI_Dims_create and MPI_Topo_test ------------------------------------------------ */

int MPI_Dims_create(int nnodes, int ndims, int dims[])
{
    mk_require_init("MPI_Dims_create");
    int rc = topology_dims_create(nnodes, ndims, dims);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Dims_create");
}

int MPI_Topo_test(MPI_Comm comm, int *status)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Topo_test");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Topo_test");
    const struct mk_topology *t = c->topology;
    *status = t ? t->kind : MPI_UNDEFINED;
    return MPI_SUCCESS;
}

/* --- Cartesian ---------------------------------------------------------------------------- */

/* Checks a grid's shape against a communicator of `size`; returns an MPI
 * error class and the number of ranks in the grid. */
static int check_grid(int ndims, const int dims[], int size, int *nranks)
{
    if (ndims < 0)
        return MPI_ERR_DIMS;
    for (int i = 0; i < ndims; i++)
        if (dims[i] <= 0)
            return MPI_ERR_DIMS;
    *nranks = topology_cart_size(ndims, dims);
    return *nranks < 0 || *nranks > size ? MPI_ERR_ARG : MPI_SUCCESS;
}

int MPI_Cart_create(MPI_Comm comm_old, int ndims, const int dims[], const int periods[],
                    int reorder, MPI_Comm *comm_cart)
{
    (void)reorder;
    const char *fn = "MPI_Cart_create";
    struct mk_comm *c = comm_arg(comm_old, fn), *made = NULL;
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    int nranks, rc = check_grid(ndims, dims, c->size, &nranks);
    if (rc == MPI_SUCCESS)
        rc = keep_first_ranks(c, nranks, &made);
    *comm_cart = MPI_COMM_NULL;
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, fn);
    if (!made)
        return MPI_SUCCESS;
    return give_topology_comm(c, made, topology_cart_new(ndims, dims, periods, made->rank),
                              comm_cart, fn);
}

int MPI_Cartdim_get(MPI_Comm comm, int *ndims)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Cartdim_get");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Cartdim_get");
    const struct mk_topology *t = topology_of(c, MPI_CART);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, "MPI_Cartdim_get");
    *ndims = t->ndims;
    return MPI_SUCCESS;
}

int MPI_Cart_get(MPI_Comm comm, int maxdims, int dims[], int periods[], int coords[])
{
    struct mk_comm *c = comm_arg(comm, "MPI_Cart_get");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Cart_get");
    const struct mk_topology *t = topology_of(c, MPI_CART);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, "MPI_Cart_get");
    for (int i = 0; i < maxdims && i < t->ndims; i++) {
        dims[i] = t->dims[i];
        periods[i] = t->periods[i];
        coords[i] = t->coords[i];
    }
    return MPI_SUCCESS;
}

int MPI_Cart_rank(MPI_Comm comm, const int coords[], int *rank)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Cart_rank");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Cart_rank");
    const struct mk_topology *t = topology_of(c, MPI_CART);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, "MPI_Cart_rank");
    int rc = topology_cart_rank(t, coords, rank);
    return rc == MPI_SUCCESS ? rc : mk_error(c, rc, "MPI_Cart_rank");
}

int MPI_Cart_coords(MPI_Comm comm, int rank, int maxdims, int coords[])
{
    struct mk_comm *c = comm_arg(comm, "MPI_Cart_coords");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Cart_coords");
    const struct mk_topology *t = topology_of(c, MPI_CART);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, "MPI_Cart_coords");
    if (rank < 0 || rank >= c->size)
        return mk_error(c, MPI_ERR_RANK, "MPI_Cart_coords");
    if (maxdims < t->ndims)
        return mk_error(c, MPI_ERR_ARG, "MPI_Cart_coords");
    topology_cart_coords(t, rank, coords);
    return MPI_SUCCESS;
}

int MPI_Cart_shift(MPI_Comm comm, int direction, int disp, int *rank_source, int *rank_dest)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Cart_shift");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Cart_shift");
    const struct mk_topology *t = topology_of(c, MPI_CART);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, "MPI_Cart_shift");
    if (direction < 0 || direction >= t->ndims)
        return mk_error(c, MPI_ERR_ARG, "MPI_Cart_shift");
    topology_cart_shift(t, direction, disp, rank_source, rank_dest);
    return MPI_SUCCESS;
}

int MPI_Cart_sub(MPI_Comm comm, const int remain_dims[], MPI_Comm *newcomm)
{
    const char *fn = "MPI_Cart_sub";
    struct mk_comm *c = comm_arg(comm, fn), *made = NULL;
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    const struct mk_topology *t = topology_of(c, MPI_CART);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, fn);
    int *dims = malloc(((size_t)t->ndims + 1) * sizeof *dims);
    int *periods = malloc(((size_t)t->ndims + 1) * sizeof *periods);
    if (!dims || !periods) {
        free(dims);
        free(periods);
        return mk_error(c, MPI_ERR_NO_MEM, fn);
    }
    /* One sub-grid per value of the dropped coordinates; within it, ranks
     * in row-major order of the kept ones. */
    int color = 0, key = 0, kept = 0;
    for (int i = 0; i < t->ndims; i++) {
        if (remain_dims[i]) {
            key = key * t->dims[i] + t->coords[i];
            dims[kept] = t->dims[i];
            periods[kept++] = t->periods[i];
        } else {
            color = color * t->dims[i] + t->coords[i];
        }
    }
    struct chan_sub sub = { .op = WOP_COMM_SPLIT };
    sub.arg[4] = color;
    sub.arg[5] = key;
    int rc = comm_create_via_keeper(&sub, c, &made);
    *newcomm = MPI_COMM_NULL;
    if (rc == MPI_SUCCESS)
        rc = give_topology_comm(c, made, topology_cart_new(kept, dims, periods, made->rank),
                                newcomm, fn);
    else
        rc = mk_error(c, rc, fn);
    free(dims);
    free(periods);
    return rc;
}

int MPI_Cart_map(MPI_Comm comm, int ndims, const int dims[], const int periods[], int *newrank)
{
    (void)periods;
    struct mk_comm *c = comm_arg(comm, "MPI_Cart_map");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Cart_map");
    int nranks, rc = check_grid(ndims, dims, c->size, &nranks);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, "MPI_Cart_map");
    *newrank = c->rank < nranks ? c->rank : MPI_UNDEFINED;
    return MPI_SUCCESS;
}

/* --- graphs ------------------------------------------------------------------------------------ */

/* Checks a graph's description against a communicator of `size`. */
static int check_graph(int nnodes, const int index[], const int edges[], int size)
{
    if (nnodes < 0 || nnodes > size)
        return MPI_ERR_ARG;
    for (int i = 0; i < nnodes; i++)
        if (index[i] < (i ? index[i - 1] : 0))
            return MPI_ERR_ARG;
    for (int e = 0; nnodes > 0 && e < index[nnodes - 1]; e++)
        if (edges[e] < 0 || edges[e] >= nnodes)
            return MPI_ERR_ARG;
    return MPI_SUCCESS;
}

int MPI_Graph_create(MPI_Comm comm_old, int nnodes, const int index[], const int edges[],
                     int reorder, MPI_Comm *comm_graph)
{
    (void)reorder;
    const char *fn = "MPI_Graph_create";
    struct mk_comm *c = comm_arg(comm_old, fn), *made = NULL;
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    int rc = check_graph(nnodes, index, edges, c->size);
    if (rc == MPI_SUCCESS)
        rc = keep_first_ranks(c, nnodes, &made);
    *comm_graph = MPI_COMM_NULL;
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, fn);
    if (!made)
        return MPI_SUCCESS;
    return give_topology_comm(c, made, topology_graph_new(nnodes, index, edges, made->rank),
                              comm_graph, fn);
}

int MPI_Graphdims_get(MPI_Comm comm, int *nnodes, int *nedges)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Graphdims_get");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Graphdims_get");
    const struct mk_topology *t = topology_of(c, MPI_GRAPH);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, "MPI_Graphdims_get");
    *nnodes = t->nnodes;
    *nedges = t->nnodes > 0 ? t->index[t->nnodes - 1] : 0;
    return MPI_SUCCESS;
}

int MPI_Graph_get(MPI_Comm comm, int maxindex, int maxedges, int index[], int edges[])
{
    struct mk_comm *c = comm_arg(comm, "MPI_Graph_get");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Graph_get");
    const struct mk_topology *t = topology_of(c, MPI_GRAPH);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, "MPI_Graph_get");
    int nedges = t->nnodes > 0 ? t->index[t->nnodes - 1] : 0;
    for (int i = 0; i < maxindex && i < t->nnodes; i++)
        index[i] = t->index[i];
    for (int e = 0; e < maxedges && e < nedges; e++)
        edges[e] = t->edges[e];
    return MPI_SUCCESS;
}

/* The edges of node `rank`: *first is its first edge's position. */
static int graph_degree(const struct mk_topology *t, int rank, int *first)
{
    *first = rank > 0 ? t->index[rank - 1] : 0;
    return t->index[rank] - *first;
}

int MPI_Graph_neighbors_count(MPI_Comm comm, int rank, int *nneighbors)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Graph_neighbors_count");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Graph_neighbors_count");
    const struct mk_topology *t = topology_of(c, MPI_GRAPH);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, "MPI_Graph_neighbors_count");
    if (rank < 0 || rank >= t->nnodes)
        return mk_error(c, MPI_ERR_RANK, "MPI_Graph_neighbors_count");
    int first;
    *nneighbors = graph_degree(t, rank, &first);
    return MPI_SUCCESS;
}

int MPI_Graph_neighbors(MPI_Comm comm, int rank, int maxneighbors, int neighbors[])
{
    struct mk_comm *c = comm_arg(comm, "MPI_Graph_neighbors");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Graph_neighbors");
    const struct mk_topology *t = topology_of(c, MPI_GRAPH);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, "MPI_Graph_neighbors");
    if (rank < 0 || rank >= t->nnodes)
        return mk_error(c, MPI_ERR_RANK, "MPI_Graph_neighbors");
    int first, degree = graph_degree(t, rank, &first);
    for (int i = 0; i < maxneighbors && i < degree; i++)
        neighbors[i] = t->edges[first + i];
    return MPI_SUCCESS;
}

int MPI_Graph_map(MPI_Comm comm, int nnodes, const int index[], const int edges[], int *newrank)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Graph_map");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Graph_map");
    int rc = check_graph(nnodes, index, edges, c->size);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, "MPI_Graph_map");
    *newrank = c->rank < nnodes ? c->rank : MPI_UNDEFINED;
    return MPI_SUCCESS;
}

/* --- distributed graphs ----------------------------------------------------------------------------- */

static int ranks_valid(int n, const int ranks[], int size)
{
    for (int i = 0; i < n; i++)
        if (ranks[i] < 0 || ranks[i] >= size)
            return 0;
    return 1;
}

int MPI_Dist_graph_create_adjacent(MPI_Comm comm_old, int indegree, const int sources[],
                                   const int sourceweights[], int outdegree,
                                   const int destinations[], const int destweights[],
                                   MPI_Info info, int reorder, MPI_Comm *comm_dist_graph)
{
    (void)info; /* no hint changes what is built here */
    (void)reorder;
    const char *fn = "MPI_Dist_graph_create_adjacent";
    struct mk_comm *c = comm_arg(comm_old, fn), *made = NULL;
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    *comm_dist_graph = MPI_COMM_NULL;
    if (indegree < 0 || outdegree < 0 || !ranks_valid(indegree, sources, c->size) ||
        !ranks_valid(outdegree, destinations, c->size))
        return mk_error(c, MPI_ERR_ARG, fn);
    struct chan_sub sub = { .op = WOP_COMM_DUP };
    int rc = comm_create_via_keeper(&sub, c, &made);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, fn);
    struct mk_topology *t = topology_dist_graph_new(indegree, sources, sourceweights, outdegree,
                                                    destinations, destweights);
    return give_topology_comm(c, made, t, comm_dist_graph, fn);
}

/* One edge as told to one of its ends: in-edge (from `peer`) or out-edge
 * (to `peer`). */
struct edge_record {
    int out, peer, weight;
};

/* Checks Dist_graph_create's edge list against a communicator of `size`;
 * counts the edges. */
static int check_edges(int n, const int nodes[], const int degrees[], const int targets[],
                       int size, int *nedges)
{
    *nedges = 0;
    if (n < 0)
        return MPI_ERR_ARG;
    for (int i = 0; i < n; i++) {
        if (nodes[i] < 0 || nodes[i] >= size || degrees[i] < 0)
            return MPI_ERR_ARG;
        *nedges += degrees[i];
    }
    return ranks_valid(*nedges, targets, size) ? MPI_SUCCESS : MPI_ERR_ARG;
}

/* Sends every edge s -> t to rank s (an out-edge) and rank t (an
 * in-edge); *got receives this rank's records (*ngot of them), grouped by
 * the rank that named them, in their order. Returns an MPI error class. */
static int exchange_edges(MPI_Comm comm, int size, int n, const int nodes[],
                          const int degrees[], const int targets[], const int weights[],
                          struct edge_record **got, int *ngot)
{
    const int *w = weights == MPI_UNWEIGHTED || weights == MPI_WEIGHTS_EMPTY ? NULL : weights;
    int nedges = 0, rc = MPI_ERR_NO_MEM;
    for (int i = 0; i < n; i++)
        nedges += degrees[i];
    int *counts = calloc(4 * (size_t)size, sizeof *counts);
    struct edge_record *out = malloc(2 * ((size_t)nedges + 1) * sizeof *out);
    *got = NULL;
    if (!counts || !out)
        goto done;
    int *sdispls = counts + size, *rcounts = counts + 2 * size, *rdispls = counts + 3 * size;
    for (int i = 0, e = 0; i < n; i++)
        for (int j = 0; j < degrees[i]; j++, e++) {
            counts[nodes[i]] += (int)(sizeof *out / sizeof(int));
            counts[targets[e]] += (int)(sizeof *out / sizeof(int));
        }
    for (int r = 1; r < size; r++)
        sdispls[r] = sdispls[r - 1] + counts[r - 1];
    int *fill = calloc((size_t)size, sizeof *fill);
    if (!fill)
        goto done;
    for (int i = 0, e = 0; i < n; i++)
        for (int j = 0; j < degrees[i]; j++, e++) {
            int s = nodes[i], t = targets[e], weight = w ? w[e] : 1;
            int *at = (int *)out;
            memcpy(at + sdispls[s] + fill[s], &(struct edge_record){ 1, t, weight }, sizeof *out);
            fill[s] += (int)(sizeof *out / sizeof(int));
            memcpy(at + sdispls[t] + fill[t], &(struct edge_record){ 0, s, weight }, sizeof *out);
            fill[t] += (int)(sizeof *out / sizeof(int));
        }
    free(fill);
    rc = MPI_Alltoall(counts, 1, MPI_INT, rcounts, 1, MPI_INT, comm);
    if (rc != MPI_SUCCESS)
        goto done;
    for (int r = 1; r < size; r++)
        rdispls[r] = rdispls[r - 1] + rcounts[r - 1];
    int total = rdispls[size - 1] + rcounts[size - 1];
    *got = malloc(((size_t)total + 1) * sizeof(int));
    rc = MPI_ERR_NO_MEM;
    if (!*got)
        goto done;
    rc = MPI_Alltoallv(out, counts, sdispls, MPI_INT, *got, rcounts, rdispls, MPI_INT, comm);
    *ngot = total / (int)(sizeof *out / sizeof(int));
done:
    free(counts);
    free(out);
    if (rc != MPI_SUCCESS) {
        free(*got);
        *got = NULL;
    }
    return rc;
}

/* This rank's topology from its edge records. */
static struct mk_topology *topology_from_records(const struct edge_record *rec, int n,
                                                 int weighted)
{
    int *lists = malloc(4 * ((size_t)n + 1) * sizeof *lists), in = 0, out = 0;
    if (!lists)
        return NULL;
    int *sources = lists, *sw = lists + n + 1, *dests = lists + 2 * (n + 1);
    int *dw = lists + 3 * (n + 1);
    for (int i = 0; i < n; i++) {
        if (rec[i].out) {
            dw[out] = rec[i].weight;
            dests[out++] = rec[i].peer;
        } else {
            sw[in] = rec[i].weight;
            sources[in++] = rec[i].peer;
        }
    }
    struct mk_topology *t = topology_dist_graph_new(in, sources, weighted ? sw : MPI_UNWEIGHTED,
                                                    out, dests, weighted ? dw : MPI_UNWEIGHTED);
    free(lists);
    return t;
}

int MPI_Dist_graph_create(MPI_Comm comm_old, int n, const int nodes[], const int degrees[],
                          const int targets[], const int weights[], MPI_Info info, int reorder,
                          MPI_Comm *comm_dist_graph)
{
    (void)info;
    (void)reorder;
    const char *fn = "MPI_Dist_graph_create";
    struct mk_comm *c = comm_arg(comm_old, fn), *made = NULL;
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    *comm_dist_graph = MPI_COMM_NULL;
    int nedges, ngot = 0, rc = check_edges(n, nodes, degrees, targets, c->size, &nedges);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, fn);
    struct edge_record *got = NULL;
    rc = exchange_edges(comm_old, c->size, n, nodes, degrees, targets, weights, &got, &ngot);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, fn);
    struct chan_sub sub = { .op = WOP_COMM_DUP };
    rc = comm_create_via_keeper(&sub, c, &made);
    if (rc != MPI_SUCCESS) {
        free(got);
        return mk_error(c, rc, fn);
    }
    struct mk_topology *t = topology_from_records(got, ngot, weights != MPI_UNWEIGHTED);
    free(got);
    return give_topology_comm(c, made, t, comm_dist_graph, fn);
}

int MPI_Dist_graph_neighbors_count(MPI_Comm comm, int *indegree, int *outdegree, int *weighted)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Dist_graph_neighbors_count");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Dist_graph_neighbors_count");
    const struct mk_topology *t = topology_of(c, MPI_DIST_GRAPH);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, "MPI_Dist_graph_neighbors_count");
    *indegree = t->indegree;
    *outdegree = t->outdegree;
    *weighted = t->weighted;
    return MPI_SUCCESS;
}

/* Copies up to `max` of n ints, unless `to` is one of MPI's weight
 * sentinels (never written through). */
static void copy_out(int *to, const int *from, int n, int max)
{
    if (!to || to == MPI_UNWEIGHTED || to == MPI_WEIGHTS_EMPTY || !from)
        return;
    for (int i = 0; i < n && i < max; i++)
        to[i] = from[i];
}

int MPI_Dist_graph_neighbors(MPI_Comm comm, int maxindegree, int sources[], int sourceweights[],
                             int maxoutdegree, int destinations[], int destweights[])
{
    struct mk_comm *c = comm_arg(comm, "MPI_Dist_graph_neighbors");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Dist_graph_neighbors");
    const struct mk_topology *t = topology_of(c, MPI_DIST_GRAPH);
    if (!t)
        return mk_error(c, MPI_ERR_TOPOLOGY, "MPI_Dist_graph_neighbors");
    copy_out(sources, t->in, t->indegree, maxindegree);
    copy_out(destinations, t->out, t->outdegree, maxoutdegree);
    copy_out(sourceweights, t->sourceweights, t->indegree, maxindegree);
    copy_out(destweights, t->destweights, t->outdegree, maxoutdegree);
    return MPI_SUCCESS;
}
