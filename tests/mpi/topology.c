/*
 * topology.c — process topologies, shared-memory splitting, handle
 * conversion.
 *
 * Exercises: Dims_create (known answers, with free and fixed dimensions);
 * Cart_create (periodic and not, reorder = 0, 2D and 3D), Topo_test,
 * Cartdim_get, Cart_get, Cart_rank (wrapping in periodic dimensions),
 * Cart_coords, Cart_shift (MPI_PROC_NULL past non-periodic edges), Cart_sub;
 * a 2D halo exchange with Sendrecv (a vector type for the columns) whose
 * ghost cells must hold exactly the neighbours' edges, or stay untouched
 * past a non-periodic edge; Neighbor_allgather on the Cartesian
 * communicator; Graph_create for a ring with Graphdims_get, Graph_get,
 * Graph_neighbors_count and Graph_neighbors, and a message to every graph
 * neighbour; Dist_graph_create_adjacent with its neighbour queries and
 * Neighbor_alltoall; Comm_split_type(MPI_COMM_TYPE_SHARED), checked for
 * consistency without assuming one node; Comm, Type, Group, Op and Request
 * c2f/f2c round trips, with the converted handles used in real calls.
 *
 * Invariants: reorder is always 0, so ranks in a topology are the ranks
 * of MPI_COMM_WORLD and every expectation is computed from rank and size
 * (grid shapes from Dims_create, whose answers are checked first). At one
 * or two ranks the ring graph has fewer neighbours (never a self loop or a
 * repeated edge). Output is only the PASS line (check.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/mpi/check.h"

#define SENTINEL (-7777)

static int rank, size;

static void expect_dims(int nnodes, int ndims, const int *given,
                        const int *want)
{
    int dims[3];
    memcpy(dims, given, sizeof(int) * (size_t)ndims);
    CHECK_MPI(MPI_Dims_create(nnodes, ndims, dims));
    int ok = 1;
    for (int i = 0; i < ndims; i++)
        ok &= dims[i] == want[i];
    CHECK(ok, "Dims_create(%d, %d, {%d,%d,%d}) gave {%d,%d,%d}", nnodes, ndims,
          given[0], ndims > 1 ? given[1] : -1, ndims > 2 ? given[2] : -1,
          dims[0], ndims > 1 ? dims[1] : -1, ndims > 2 ? dims[2] : -1);
}

/* Free dimensions are as close to each other as possible, in
 * non-increasing order; fixed (nonzero) ones are kept. */
static void test_dims_create(void)
{
    expect_dims(6, 2, (int[]){0, 0}, (int[]){3, 2});
    expect_dims(7, 2, (int[]){0, 0}, (int[]){7, 1});
    expect_dims(8, 3, (int[]){0, 0, 0}, (int[]){2, 2, 2});
    expect_dims(12, 3, (int[]){0, 0, 0}, (int[]){3, 2, 2});
    expect_dims(30, 2, (int[]){0, 0}, (int[]){6, 5});
    expect_dims(1, 3, (int[]){0, 0, 0}, (int[]){1, 1, 1});
    expect_dims(24, 3, (int[]){0, 3, 0}, (int[]){4, 3, 2});
    expect_dims(18, 3, (int[]){3, 0, 0}, (int[]){3, 3, 2});
    expect_dims(16, 2, (int[]){0, 4}, (int[]){4, 4});
    expect_dims(12, 2, (int[]){2, 6}, (int[]){2, 6});
    /* the shapes this program's grids get at np = 1, 2, 4, 8 */
    expect_dims(1, 2, (int[]){0, 0}, (int[]){1, 1});
    expect_dims(2, 2, (int[]){0, 0}, (int[]){2, 1});
    expect_dims(4, 2, (int[]){0, 0}, (int[]){2, 2});
    expect_dims(8, 2, (int[]){0, 0}, (int[]){4, 2});
    expect_dims(4, 3, (int[]){0, 0, 0}, (int[]){2, 2, 1});
}

/* Row-major coordinates of rank r in a grid of dims (what Cart_coords must
 * give with reorder = 0). */
static void coords_of(int r, int ndims, const int *dims, int *coords)
{
    for (int i = ndims - 1; i >= 0; i--) {
        coords[i] = r % dims[i];
        r /= dims[i];
    }
}

static int rank_of(int ndims, const int *dims, const int *coords)
{
    int r = 0;
    for (int i = 0; i < ndims; i++)
        r = r * dims[i] + coords[i];
    return r;
}

/* Expected Cart_shift result: the rank disp steps away along dim, wrapped
 * when periodic, MPI_PROC_NULL when it falls off a non-periodic edge. */
static int shifted(int ndims, const int *dims, const int *periods,
                   const int *coords, int dim, int disp)
{
    int c[3];
    memcpy(c, coords, sizeof(int) * (size_t)ndims);
    c[dim] += disp;
    if (periods[dim])
        c[dim] = ((c[dim] % dims[dim]) + dims[dim]) % dims[dim];
    else if (c[dim] < 0 || c[dim] >= dims[dim])
        return MPI_PROC_NULL;
    return rank_of(ndims, dims, c);
}

/* Everything a Cartesian communicator reports about itself. */
static void check_cart(MPI_Comm cart, int ndims, const int *dims,
                       const int *periods, const char *what)
{
    int status, nd, gdims[3], gper[3], gcoords[3], mine[3], r;
    CHECK_MPI(MPI_Topo_test(cart, &status));
    CHECK(status == MPI_CART, "%s: Topo_test %d", what, status);
    CHECK_MPI(MPI_Cartdim_get(cart, &nd));
    CHECK(nd == ndims, "%s: Cartdim_get %d", what, nd);
    CHECK_MPI(MPI_Cart_get(cart, ndims, gdims, gper, gcoords));
    coords_of(rank, ndims, dims, mine);
    for (int i = 0; i < ndims; i++)
        CHECK(gdims[i] == dims[i] && !gper[i] == !periods[i] &&
                  gcoords[i] == mine[i],
              "%s: Cart_get dim %d: %d %d %d", what, i, gdims[i], gper[i],
              gcoords[i]);
    int cr;
    CHECK_MPI(MPI_Comm_rank(cart, &cr));
    CHECK(cr == rank, "%s: rank %d in a reorder=0 grid", what, cr);

    /* Cart_coords and Cart_rank are inverse for every rank of the grid. */
    for (int other = 0; other < size; other++) {
        int c[3], want[3];
        CHECK_MPI(MPI_Cart_coords(cart, other, ndims, c));
        coords_of(other, ndims, dims, want);
        CHECK(memcmp(c, want, sizeof(int) * (size_t)ndims) == 0,
              "%s: Cart_coords(%d)", what, other);
        CHECK_MPI(MPI_Cart_rank(cart, c, &r));
        CHECK(r == other, "%s: Cart_rank of coords of %d gave %d", what,
              other, r);
    }

    for (int d = 0; d < ndims; d++) {
        /* Out-of-range coordinates wrap in a periodic dimension. */
        if (periods[d]) {
            int c[3];
            memcpy(c, mine, sizeof c);
            c[d] = mine[d] - dims[d];
            CHECK_MPI(MPI_Cart_rank(cart, c, &r));
            CHECK(r == rank, "%s: Cart_rank wrapping dim %d gave %d", what,
                  d, r);
        }
        const int disps[3] = {1, -1, 2};
        for (int k = 0; k < 3; k++) {
            int src, dst;
            CHECK_MPI(MPI_Cart_shift(cart, d, disps[k], &src, &dst));
            int wsrc = shifted(ndims, dims, periods, mine, d, -disps[k]);
            int wdst = shifted(ndims, dims, periods, mine, d, disps[k]);
            CHECK(src == wsrc && dst == wdst,
                  "%s: Cart_shift(dim %d, disp %d) = (%d,%d), expected "
                  "(%d,%d)", what, d, disps[k], src, dst, wsrc, wdst);
        }
    }
}

/* Cart_sub keeping one dimension of a 2D grid: the lines along it. */
static void check_cart_sub(MPI_Comm cart, const int *dims, int keep)
{
    int remain[2] = {keep == 0, keep == 1}, mine[2];
    MPI_Comm line;
    coords_of(rank, 2, dims, mine);
    CHECK_MPI(MPI_Cart_sub(cart, remain, &line));
    int lsize, lrank, nd, status;
    CHECK_MPI(MPI_Comm_size(line, &lsize));
    CHECK_MPI(MPI_Comm_rank(line, &lrank));
    CHECK(lsize == dims[keep] && lrank == mine[keep],
          "Cart_sub keep %d: size %d rank %d", keep, lsize, lrank);
    CHECK_MPI(MPI_Topo_test(line, &status));
    CHECK_MPI(MPI_Cartdim_get(line, &nd));
    CHECK(status == MPI_CART && nd == 1, "Cart_sub keep %d: topo %d dims %d",
          keep, status, nd);
    /* The line holds the ranks that share my other coordinate. */
    int sum = 0, want = 0;
    CHECK_MPI(MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, line));
    for (int i = 0; i < dims[keep]; i++) {
        int c[2] = {mine[0], mine[1]};
        c[keep] = i;
        want += rank_of(2, dims, c);
    }
    CHECK(sum == want, "Cart_sub keep %d: rank sum %d, expected %d", keep,
          sum, want);
    CHECK_MPI(MPI_Comm_free(&line));
}

/* Global cell value of the halo test: any function of (row, col) works;
 * this one is distinct for every cell of every grid used here. */
static int cell(int gi, int gj)
{
    return gi * 1000 + gj;
}

/*
 * Each rank owns an NXxNY block of a global (dims[0]*NX)x(dims[1]*NY)
 * array, stored with one ghost layer. Rows exchange along dim 0
 * (periodic), columns — through a vector type — along dim 1 (not
 * periodic). Afterwards the ghost rows hold the wrapped neighbours' edge
 * rows; ghost columns hold the neighbours' edge columns, or SENTINEL past
 * the grid's edge where the shift gave MPI_PROC_NULL.
 */
static void test_halo(MPI_Comm cart, const int *dims)
{
    enum { NX = 3, NY = 4, W = NY + 2 };
    int a[NX + 2][W], mine[2];
    coords_of(rank, 2, dims, mine);
    for (int i = 0; i < NX + 2; i++)
        for (int j = 0; j < W; j++)
            a[i][j] = (i >= 1 && i <= NX && j >= 1 && j <= NY)
                          ? cell(mine[0] * NX + i - 1, mine[1] * NY + j - 1)
                          : SENTINEL;

    int up, down, lft, rgt;
    CHECK_MPI(MPI_Cart_shift(cart, 0, 1, &up, &down));
    CHECK_MPI(MPI_Cart_shift(cart, 1, 1, &lft, &rgt));
    /* my last row goes down, the row from above fills my top ghost row */
    CHECK_MPI(MPI_Sendrecv(&a[NX][1], NY, MPI_INT, down, 1, &a[0][1], NY,
                           MPI_INT, up, 1, cart, MPI_STATUS_IGNORE));
    CHECK_MPI(MPI_Sendrecv(&a[1][1], NY, MPI_INT, up, 2, &a[NX + 1][1], NY,
                           MPI_INT, down, 2, cart, MPI_STATUS_IGNORE));
    MPI_Datatype column;
    CHECK_MPI(MPI_Type_vector(NX, 1, W, MPI_INT, &column));
    CHECK_MPI(MPI_Type_commit(&column));
    CHECK_MPI(MPI_Sendrecv(&a[1][NY], 1, column, rgt, 3, &a[1][0], 1, column,
                           lft, 3, cart, MPI_STATUS_IGNORE));
    CHECK_MPI(MPI_Sendrecv(&a[1][1], 1, column, lft, 4, &a[1][NY + 1], 1,
                           column, rgt, 4, cart, MPI_STATUS_IGNORE));
    CHECK_MPI(MPI_Type_free(&column));

    const int rows = dims[0] * NX, cols = dims[1] * NY;
    for (int i = 0; i < NX + 2; i++)
        for (int j = 0; j < W; j++) {
            int row_ghost = i == 0 || i == NX + 1;
            int col_ghost = j == 0 || j == NY + 1;
            int want;
            if (row_ghost && col_ghost) {
                want = SENTINEL; /* corners are never exchanged */
            } else {
                int gi = ((mine[0] * NX + i - 1) % rows + rows) % rows;
                int gj = mine[1] * NY + j - 1;
                want = gj < 0 || gj >= cols ? SENTINEL : cell(gi, gj);
            }
            CHECK(a[i][j] == want, "halo [%d][%d] = %d, expected %d", i, j,
                  a[i][j], want);
        }
}

/* Neighbor_allgather on a Cartesian communicator: one block per neighbour,
 * for each dimension the negative then the positive direction; blocks of
 * MPI_PROC_NULL neighbours are left untouched. */
static void test_cart_neighbor(MPI_Comm cart, int ndims, const int *dims,
                               const int *periods)
{
    int got[6], mine[3];
    for (int i = 0; i < 6; i++)
        got[i] = SENTINEL;
    coords_of(rank, ndims, dims, mine);
    CHECK_MPI(MPI_Neighbor_allgather(&rank, 1, MPI_INT, got, 1, MPI_INT,
                                     cart));
    for (int d = 0; d < ndims; d++)
        for (int s = 0; s < 2; s++) {
            int nb = shifted(ndims, dims, periods, mine, d, s ? 1 : -1);
            int want = nb == MPI_PROC_NULL ? SENTINEL : nb;
            CHECK(got[2 * d + s] == want,
                  "Neighbor_allgather dim %d dir %d: %d, expected %d", d, s,
                  got[2 * d + s], want);
        }
}

static void test_cartesian(void)
{
    int dims2[2] = {0, 0}, per2[2] = {1, 0};
    MPI_Comm cart;
    CHECK_MPI(MPI_Dims_create(size, 2, dims2));
    CHECK_MPI(MPI_Cart_create(MPI_COMM_WORLD, 2, dims2, per2, 0, &cart));
    check_cart(cart, 2, dims2, per2, "2D torus/line");
    check_cart_sub(cart, dims2, 0);
    check_cart_sub(cart, dims2, 1);
    test_halo(cart, dims2);
    test_cart_neighbor(cart, 2, dims2, per2);
    CHECK_MPI(MPI_Comm_free(&cart));

    int dims3[3] = {0, 0, 0}, per3[3] = {0, 0, 0};
    CHECK_MPI(MPI_Dims_create(size, 3, dims3));
    CHECK_MPI(MPI_Cart_create(MPI_COMM_WORLD, 3, dims3, per3, 0, &cart));
    check_cart(cart, 3, dims3, per3, "3D non-periodic");
    test_cart_neighbor(cart, 3, dims3, per3);
    CHECK_MPI(MPI_Comm_free(&cart));

    int status;
    CHECK_MPI(MPI_Topo_test(MPI_COMM_WORLD, &status));
    CHECK(status == MPI_UNDEFINED, "Topo_test(world) = %d", status);
}

/* Distinct ring neighbours of r, never r itself: none at one rank, one at
 * two ranks, left and right from three up. */
static int ring_neighbors(int r, int *nb)
{
    int n = 0, l = (r + size - 1) % size, rt = (r + 1) % size;
    if (l != r)
        nb[n++] = l;
    if (rt != r && rt != l)
        nb[n++] = rt;
    return n;
}

static void test_graph(void)
{
    int *index = malloc(sizeof(int) * (size_t)size);
    int *edges = malloc(sizeof(int) * 2 * (size_t)size);
    int nedges = 0, nb[2], want_n = ring_neighbors(rank, nb);
    for (int r = 0; r < size; r++) {
        nedges += ring_neighbors(r, edges + nedges);
        index[r] = nedges;
    }
    MPI_Comm g;
    CHECK_MPI(MPI_Graph_create(MPI_COMM_WORLD, size, index, edges, 0, &g));
    int status, nn, ne, cnt, got[2];
    CHECK_MPI(MPI_Topo_test(g, &status));
    CHECK(status == MPI_GRAPH, "graph Topo_test %d", status);
    CHECK_MPI(MPI_Graphdims_get(g, &nn, &ne));
    CHECK(nn == size && ne == nedges, "Graphdims_get %d %d", nn, ne);
    int *gi = malloc(sizeof(int) * (size_t)size);
    int *ge = malloc(sizeof(int) * 2 * (size_t)size);
    CHECK_MPI(MPI_Graph_get(g, size, 2 * size, gi, ge));
    CHECK(memcmp(gi, index, sizeof(int) * (size_t)size) == 0 &&
              memcmp(ge, edges, sizeof(int) * (size_t)nedges) == 0,
          "Graph_get differs from what was given");
    CHECK_MPI(MPI_Graph_neighbors_count(g, rank, &cnt));
    CHECK(cnt == want_n, "Graph_neighbors_count %d, expected %d", cnt, want_n);
    CHECK_MPI(MPI_Graph_neighbors(g, rank, 2, got));
    for (int i = 0; i < want_n && i < cnt; i++)
        CHECK(got[i] == nb[i], "graph neighbour %d is %d, expected %d", i,
              got[i], nb[i]);

    /* One message to and from each neighbour over the graph communicator. */
    MPI_Request req[4];
    int in[2] = {SENTINEL, SENTINEL};
    for (int i = 0; i < want_n; i++) {
        CHECK_MPI(MPI_Irecv(&in[i], 1, MPI_INT, nb[i], 0, g, &req[i]));
        CHECK_MPI(MPI_Isend(&rank, 1, MPI_INT, nb[i], 0, g,
                            &req[want_n + i]));
    }
    CHECK_MPI(MPI_Waitall(2 * want_n, req, MPI_STATUSES_IGNORE));
    for (int i = 0; i < want_n; i++)
        CHECK(in[i] == nb[i], "graph message from %d: %d", nb[i], in[i]);

    CHECK_MPI(MPI_Comm_free(&g));
    free(index);
    free(edges);
    free(gi);
    free(ge);
}

/* A directed ring as a distributed graph: receive from the left, send to
 * the right (both are rank itself at one rank, which is allowed here). */
static void test_dist_graph(void)
{
    int src = (rank + size - 1) % size, dst = (rank + 1) % size;
    /* MPI_UNWEIGHTED is a sentinel address ((int *)2 in Open MPI) that a
     * layer over MPI must pass through untouched. Read through a volatile
     * so gcc 12 does not take it for a zero-size array (a false
     * -Wstringop-overread). */
    int *volatile unweighted = MPI_UNWEIGHTED;
    MPI_Comm g;
    CHECK_MPI(MPI_Dist_graph_create_adjacent(MPI_COMM_WORLD, 1, &src,
                                             unweighted, 1, &dst, unweighted,
                                             MPI_INFO_NULL, 0, &g));
    int status, indeg, outdeg, weighted, s, d;
    CHECK_MPI(MPI_Topo_test(g, &status));
    CHECK(status == MPI_DIST_GRAPH, "dist graph Topo_test %d", status);
    CHECK_MPI(MPI_Dist_graph_neighbors_count(g, &indeg, &outdeg, &weighted));
    CHECK(indeg == 1 && outdeg == 1 && !weighted,
          "Dist_graph_neighbors_count %d %d %d", indeg, outdeg, weighted);
    CHECK_MPI(MPI_Dist_graph_neighbors(g, 1, &s, unweighted, 1, &d,
                                       unweighted));
    CHECK(s == src && d == dst, "Dist_graph_neighbors %d %d", s, d);
    int out = rank * 3, in = SENTINEL;
    CHECK_MPI(MPI_Neighbor_alltoall(&out, 1, MPI_INT, &in, 1, MPI_INT, g));
    CHECK(in == src * 3, "Neighbor_alltoall got %d", in);
    CHECK_MPI(MPI_Comm_free(&g));
}

/* Shared-memory nodes, without assuming how many: every node
 * communicator lists its members in world order, agrees on its leader
 * (lowest world rank), and the leaders' node sizes add up to the world. */
static void test_split_shared(void)
{
    MPI_Comm node, leaders;
    CHECK_MPI(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0,
                                  MPI_INFO_NULL, &node));
    int nsize, nrank;
    CHECK_MPI(MPI_Comm_size(node, &nsize));
    CHECK_MPI(MPI_Comm_rank(node, &nrank));
    CHECK(nsize >= 1 && nsize <= size && nrank < nsize, "node size %d rank %d",
          nsize, nrank);

    int *members = malloc(sizeof(int) * (size_t)nsize);
    CHECK_MPI(MPI_Allgather(&rank, 1, MPI_INT, members, 1, MPI_INT, node));
    CHECK(members[nrank] == rank, "node member %d is not me", nrank);
    for (int i = 1; i < nsize; i++)
        CHECK(members[i] > members[i - 1], "node members out of key order");
    int leader = members[0], leader_seen = -1;
    if (nrank == 0)
        leader_seen = rank;
    CHECK_MPI(MPI_Bcast(&leader_seen, 1, MPI_INT, 0, node));
    CHECK(leader_seen == leader, "node leader %d, expected %d", leader_seen,
          leader);
    free(members);

    CHECK_MPI(MPI_Comm_split(MPI_COMM_WORLD, nrank == 0 ? 0 : MPI_UNDEFINED,
                             rank, &leaders));
    int nleaders = 0, is_leader = nrank == 0;
    CHECK_MPI(MPI_Allreduce(&is_leader, &nleaders, 1, MPI_INT, MPI_SUM,
                            MPI_COMM_WORLD));
    if (nrank == 0) {
        int total = 0, lsize;
        CHECK_MPI(MPI_Allreduce(&nsize, &total, 1, MPI_INT, MPI_SUM, leaders));
        CHECK(total == size, "node sizes add up to %d, not %d", total, size);
        CHECK_MPI(MPI_Comm_size(leaders, &lsize));
        CHECK(lsize == nleaders, "%d leaders in their comm, %d counted",
              lsize, nleaders);
        CHECK_MPI(MPI_Comm_free(&leaders));
    } else {
        CHECK(leaders == MPI_COMM_NULL, "non-leader in leaders' comm");
    }
    CHECK_MPI(MPI_Comm_free(&node));
}

/* Handles survive a round trip through their Fortran integer form and
 * still work afterwards. */
static void test_f2c(void)
{
    MPI_Comm dup, c;
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
    c = MPI_Comm_f2c(MPI_Comm_c2f(MPI_COMM_WORLD));
    CHECK(c == MPI_COMM_WORLD, "Comm round trip of MPI_COMM_WORLD");
    c = MPI_Comm_f2c(MPI_Comm_c2f(dup));
    CHECK(c == dup, "Comm round trip of a dup");
    int result;
    CHECK_MPI(MPI_Comm_compare(c, MPI_COMM_WORLD, &result));
    CHECK(result == MPI_CONGRUENT, "round-tripped dup compares %d", result);

    MPI_Datatype vec, t;
    CHECK_MPI(MPI_Type_vector(2, 1, 2, MPI_INT, &vec));
    CHECK_MPI(MPI_Type_commit(&vec));
    t = MPI_Type_f2c(MPI_Type_c2f(MPI_INT));
    CHECK(t == MPI_INT, "Type round trip of MPI_INT");
    t = MPI_Type_f2c(MPI_Type_c2f(vec));
    CHECK(t == vec, "Type round trip of a vector");
    int tsize;
    CHECK_MPI(MPI_Type_size(t, &tsize));
    CHECK(tsize == 2 * (int)sizeof(int), "round-tripped vector size %d",
          tsize);

    MPI_Group wg, g;
    CHECK_MPI(MPI_Comm_group(MPI_COMM_WORLD, &wg));
    g = MPI_Group_f2c(MPI_Group_c2f(wg));
    CHECK(g == wg, "Group round trip");
    int gsize;
    CHECK_MPI(MPI_Group_size(g, &gsize));
    CHECK(gsize == size, "round-tripped group size %d", gsize);
    CHECK_MPI(MPI_Group_free(&wg));

    MPI_Op op = MPI_Op_f2c(MPI_Op_c2f(MPI_SUM));
    CHECK(op == MPI_SUM, "Op round trip of MPI_SUM");
    int sum = 0;
    CHECK_MPI(MPI_Allreduce(&rank, &sum, 1, MPI_INT, op, c));
    CHECK(sum == size * (size - 1) / 2, "Allreduce with round-tripped "
          "handles: %d", sum);

    /* A pending request converted back and forth can still be waited on. */
    int in[3] = {SENTINEL, SENTINEL, SENTINEL}, out[3];
    for (int i = 0; i < 3; i++)
        out[i] = rank * 10 + i;
    MPI_Request req, back;
    CHECK_MPI(MPI_Irecv(in, 1, vec, (rank + size - 1) % size, 0, dup, &req));
    back = MPI_Request_f2c(MPI_Request_c2f(req));
    CHECK(back == req, "Request round trip");
    CHECK_MPI(MPI_Send(out, 1, vec, (rank + 1) % size, 0, dup));
    CHECK_MPI(MPI_Wait(&back, MPI_STATUS_IGNORE));
    int left = (rank + size - 1) % size;
    CHECK(in[0] == left * 10 && in[1] == SENTINEL && in[2] == left * 10 + 2,
          "message through a round-tripped request: %d %d %d", in[0], in[1],
          in[2]);

    CHECK_MPI(MPI_Type_free(&vec));
    CHECK_MPI(MPI_Comm_free(&dup));
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    check_init("topology");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    test_dims_create();
    test_cartesian();
    test_graph();
    test_dist_graph();
    test_split_shared();
    test_f2c();
    return check_finish();
}
