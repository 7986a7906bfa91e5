/*
 * topology.h — process topologies attached to communicators (MPI-3.1 §7):
 * Cartesian grids, graphs and distributed graphs, kept in the compute
 * process on the communicator (struct mk_comm's `topology`), so every
 * query is local; only creating the communicator reaches the keeper.
 *
 * Invariants: ranks in a topology are ranks of its communicator; a
 * Cartesian grid's ranks are in row-major order of the coordinates (no
 * reordering is ever applied, which MPI allows); `in`/`out` are this
 * rank's neighbour lists in MPI's order for neighbourhood collectives:
 * Cartesian — for each dimension the -1 then the +1 neighbour, with
 * MPI_PROC_NULL past a non-periodic edge, same list both ways; graph — the
 * MPI_Graph_neighbors list both ways; distributed graph — sources in,
 * destinations out.
 */
#ifndef MPICKPT_PLUGIN_TOPOLOGY_H
#define MPICKPT_PLUGIN_TOPOLOGY_H

#include <mpi.h>

struct mk_comm;

struct mk_topology {
    int kind;                  /* MPI_CART, MPI_GRAPH or MPI_DIST_GRAPH */
    /* MPI_CART */
    int ndims;
    int *dims, *periods, *coords;
    /* MPI_GRAPH: index and edges as MPI_Graph_create takes them */
    int nnodes;
    int *index, *edges;
    /* MPI_DIST_GRAPH: weights are NULL when unweighted */
    int weighted;
    int *sourceweights, *destweights;
    /* Neighbours of this rank (see above). */
    int indegree, outdegree;
    int *in, *out;
};

/* MPI_Dims_create's answer, by Open MPI's algorithm (so both agree):
 * the prime factors of the free part, largest first, each to the
 * currently smallest free dimension, then the free dimensions in
 * non-increasing order. Returns an MPI error class. */
int topology_dims_create(int nnodes, int ndims, int dims[]);

/* New topologies for rank `rank` (NULL when memory is short). Arrays are
 * copied; weights may be MPI_UNWEIGHTED or MPI_WEIGHTS_EMPTY. */
struct mk_topology *topology_cart_new(int ndims, const int dims[], const int periods[], int rank);
struct mk_topology *topology_graph_new(int nnodes, const int index[], const int edges[], int rank);
struct mk_topology *topology_dist_graph_new(int indegree, const int sources[],
                                            const int sourceweights[], int outdegree,
                                            const int destinations[], const int destweights[]);
/* A copy (MPI_Comm_dup keeps the topology); NULL when memory is short. */
struct mk_topology *topology_dup(const struct mk_topology *t);
void topology_free(struct mk_topology *t);

/* Cartesian helpers: the product of the dimensions (positive ones; -1
 * when it overflows an int); the rank at `coords`
 * (wrapped in periodic dimensions; MPI_ERR_ARG outside a non-periodic
 * one); the coordinates of `rank`. */
int topology_cart_size(int ndims, const int dims[]);
int topology_cart_rank(const struct mk_topology *t, const int coords[], int *rank);
void topology_cart_coords(const struct mk_topology *t, int rank, int coords[]);
/* MPI_Cart_shift's answer for this rank. */
void topology_cart_shift(const struct mk_topology *t, int direction, int disp, int *source,
                         int *dest);

/* For neighbourhood collectives: this rank's neighbours in `c`, in MPI's
 * order (the arrays live as long as the communicator). Returns
 * MPI_SUCCESS, or MPI_ERR_TOPOLOGY when `c` has no topology. */
int topology_neighbors(const struct mk_comm *c, int *indegree, const int **sources,
                       int *outdegree, const int **destinations);

#endif
