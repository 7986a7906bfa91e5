/*
 * api_coll_neighbor.c — MPI's neighbourhood collectives, blocking and
 * non-blocking (MPI_[I]Neighbor_allgather[v], _alltoall[vw]), on
 * Cartesian, graph and distributed-graph communicators.
 *
 * Each is one coll_exchange (coll.h): the keeper's ALLTOALLV over the whole
 * communicator, with zero bytes to and from non-neighbours and, per
 * neighbour rank, the blocks for it packed one after the other. Blocks of
 * MPI_PROC_NULL neighbours are neither sent nor received, so their part of
 * the receive buffer is left untouched.
 *
 * A rank may appear several times among the neighbours (a periodic
 * Cartesian dimension of size 1 or 2; repeated graph edges), and then the
 * blocks to it must meet the right blocks at its end. coll_exchange pairs
 * the k-th block sent to a rank with the k-th block that rank receives from
 * this one, so the sender lists its blocks to a rank in the order of the
 * receive slots they fill there, and every receiver lists its slots in
 * ascending order:
 *   graph, distributed graph: MPI matches repeated edges between two ranks
 *     in order (as if by one tag), so the k-th send goes to the k-th receive
 *     slot: send blocks in their own order;
 *   Cartesian: what is sent in direction -1 of dimension d (block 2d) is
 *     what the neighbour receives from its +1 side (slot 2d+1) and vice
 *     versa, so block k fills slot k^1 at its destination: send the blocks
 *     in the order k = 1, 0, 3, 2, ... This is MPI-4.0's rule (an erratum
 *     to 3.1) and Open MPI 4.1's blocking forms, which tell the directions
 *     apart by tag; its non-blocking forms (libnbc) still pair by list
 *     order, so natively MPI_Ineighbor_alltoall* disagree with this there.
 *
 * Invariants: as for every collective (coll.h), the app's buffers are read
 * only while the call starts and written only when the request completes.
 */
#include <stdlib.h>

#include "plugin/coll.h"
#include "plugin/comm.h"
#include "plugin/topology.h"

/* One side (send or receive) of a neighbourhood collective as the app
 * describes it. Block i is counts[i] (or count) instances of types[i] (or
 * type) at buf, moved by bytes[i] (w variant), by displs[i] extents (v),
 * by nothing (`same`: Neighbor_allgather sends its one buffer to all) or
 * else by i*count extents. */
struct side {
    const void *buf;
    int count;
    const int *counts;
    MPI_Datatype type;
    const MPI_Datatype *types;
    const int *displs;
    const MPI_Aint *bytes;
    int same;
};

static struct coll_block side_block(const struct side *s, int i, int peer)
{
    struct coll_block b = { .peer = peer, .buf = s->buf,
                            .count = s->counts ? s->counts[i] : s->count,
                            .type = s->types ? s->types[i] : s->type };
    if (s->bytes) {
        b.disp = s->bytes[i];
        b.in_bytes = 1;
    } else if (s->displs) {
        b.disp = s->displs[i];
    } else if (!s->same) {
        b.disp = (MPI_Aint)i * s->count;
    }
    return b;
}

/* The index of the i-th block to send, in the order explained above. */
static int send_order(const struct mk_comm *c, int i)
{
    const struct mk_topology *t = c->topology;
    return t->kind == MPI_CART ? i ^ 1 : i;
}

/* Lists the blocks of both sides for the actual neighbours and starts the
 * exchange. */
static int exchange(struct coll_call *call, const struct side *send, const struct side *recv)
{
    int indegree, outdegree;
    const int *sources, *destinations;
    int rc = topology_neighbors(call->comm, &indegree, &sources, &outdegree, &destinations);
    if (rc != MPI_SUCCESS)
        return rc;
    struct coll_block *sb = malloc(((size_t)outdegree + 1) * sizeof *sb);
    struct coll_block *rb = malloc(((size_t)indegree + 1) * sizeof *rb);
    int nsend = 0, nrecv = 0;
    for (int i = 0; sb && i < outdegree; i++) {
        int k = send_order(call->comm, i);
        if (destinations[k] != MPI_PROC_NULL)
            sb[nsend++] = side_block(send, k, destinations[k]);
    }
    for (int i = 0; rb && i < indegree; i++)
        if (sources[i] != MPI_PROC_NULL)
            rb[nrecv++] = side_block(recv, i, sources[i]);
    rc = sb && rb ? coll_exchange(call, sb, nsend, rb, nrecv) : MPI_ERR_NO_MEM;
    free(sb);
    free(rb);
    return rc;
}

static int start(struct coll_call *call, MPI_Comm comm, const struct side *send,
                 const struct side *recv)
{
    int rc = coll_resolve(call, comm);
    return rc == MPI_SUCCESS ? exchange(call, send, recv) : rc;
}

/* ---- starters ----------------------------------------------------------------- */

static int neighbor_allgather(struct coll_call *call, const void *sendbuf, int sendcount,
                              MPI_Datatype sendtype, void *recvbuf, int recvcount,
                              MPI_Datatype recvtype, MPI_Comm comm)
{
    struct side send = { .buf = sendbuf, .count = sendcount, .type = sendtype, .same = 1 };
    struct side recv = { .buf = recvbuf, .count = recvcount, .type = recvtype };
    return start(call, comm, &send, &recv);
}

static int neighbor_allgatherv(struct coll_call *call, const void *sendbuf, int sendcount,
                               MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                               const int displs[], MPI_Datatype recvtype, MPI_Comm comm)
{
    struct side send = { .buf = sendbuf, .count = sendcount, .type = sendtype, .same = 1 };
    struct side recv = { .buf = recvbuf, .counts = recvcounts, .type = recvtype,
                         .displs = displs };
    return start(call, comm, &send, &recv);
}

static int neighbor_alltoall(struct coll_call *call, const void *sendbuf, int sendcount,
                             MPI_Datatype sendtype, void *recvbuf, int recvcount,
                             MPI_Datatype recvtype, MPI_Comm comm)
{
    struct side send = { .buf = sendbuf, .count = sendcount, .type = sendtype };
    struct side recv = { .buf = recvbuf, .count = recvcount, .type = recvtype };
    return start(call, comm, &send, &recv);
}

static int neighbor_alltoallv(struct coll_call *call, const void *sendbuf,
                              const int sendcounts[], const int sdispls[],
                              MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                              const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm)
{
    struct side send = { .buf = sendbuf, .counts = sendcounts, .type = sendtype,
                         .displs = sdispls };
    struct side recv = { .buf = recvbuf, .counts = recvcounts, .type = recvtype,
                         .displs = rdispls };
    return start(call, comm, &send, &recv);
}

static int neighbor_alltoallw(struct coll_call *call, const void *sendbuf,
                              const int sendcounts[], const MPI_Aint sdispls[],
                              const MPI_Datatype sendtypes[], void *recvbuf,
                              const int recvcounts[], const MPI_Aint rdispls[],
                              const MPI_Datatype recvtypes[], MPI_Comm comm)
{
    struct side send = { .buf = sendbuf, .counts = sendcounts, .types = sendtypes,
                         .bytes = sdispls };
    struct side recv = { .buf = recvbuf, .counts = recvcounts, .types = recvtypes,
                         .bytes = rdispls };
    return start(call, comm, &send, &recv);
}

/* ---- blocking entries --------------------------------------------------------- */

int MPI_Neighbor_allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                           void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Neighbor_allgather");
    return coll_wait(&call, neighbor_allgather(&call, sendbuf, sendcount, sendtype, recvbuf,
                                               recvcount, recvtype, comm));
}

int MPI_Neighbor_allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                            void *recvbuf, const int recvcounts[], const int displs[],
                            MPI_Datatype recvtype, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Neighbor_allgatherv");
    return coll_wait(&call, neighbor_allgatherv(&call, sendbuf, sendcount, sendtype, recvbuf,
                                                recvcounts, displs, recvtype, comm));
}

int MPI_Neighbor_alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                          void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Neighbor_alltoall");
    return coll_wait(&call, neighbor_alltoall(&call, sendbuf, sendcount, sendtype, recvbuf,
                                              recvcount, recvtype, comm));
}

int MPI_Neighbor_alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                           MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                           const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Neighbor_alltoallv");
    return coll_wait(&call, neighbor_alltoallv(&call, sendbuf, sendcounts, sdispls, sendtype,
                                               recvbuf, recvcounts, rdispls, recvtype, comm));
}

int MPI_Neighbor_alltoallw(const void *sendbuf, const int sendcounts[], const MPI_Aint sdispls[],
                           const MPI_Datatype sendtypes[], void *recvbuf, const int recvcounts[],
                           const MPI_Aint rdispls[], const MPI_Datatype recvtypes[],
                           MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Neighbor_alltoallw");
    return coll_wait(&call, neighbor_alltoallw(&call, sendbuf, sendcounts, sdispls, sendtypes,
                                               recvbuf, recvcounts, rdispls, recvtypes, comm));
}

/* ---- non-blocking entries ----------------------------------------------------- */

int MPI_Ineighbor_allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                            void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm,
                            MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ineighbor_allgather");
    int rc = neighbor_allgather(&call, sendbuf, sendcount, sendtype, recvbuf, recvcount,
                                recvtype, comm);
    return coll_return(&call, rc, request);
}

int MPI_Ineighbor_allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                             void *recvbuf, const int recvcounts[], const int displs[],
                             MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ineighbor_allgatherv");
    int rc = neighbor_allgatherv(&call, sendbuf, sendcount, sendtype, recvbuf, recvcounts,
                                 displs, recvtype, comm);
    return coll_return(&call, rc, request);
}

int MPI_Ineighbor_alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                           void *recvbuf, int recvcount, MPI_Datatype recvtype, MPI_Comm comm,
                           MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ineighbor_alltoall");
    int rc = neighbor_alltoall(&call, sendbuf, sendcount, sendtype, recvbuf, recvcount,
                               recvtype, comm);
    return coll_return(&call, rc, request);
}

int MPI_Ineighbor_alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                            MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                            const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm,
                            MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ineighbor_alltoallv");
    int rc = neighbor_alltoallv(&call, sendbuf, sendcounts, sdispls, sendtype, recvbuf,
                                recvcounts, rdispls, recvtype, comm);
    return coll_return(&call, rc, request);
}

int MPI_Ineighbor_alltoallw(const void *sendbuf, const int sendcounts[],
                            const MPI_Aint sdispls[], const MPI_Datatype sendtypes[],
                            void *recvbuf, const int recvcounts[], const MPI_Aint rdispls[],
                            const MPI_Datatype recvtypes[], MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ineighbor_alltoallw");
    int rc = neighbor_alltoallw(&call, sendbuf, sendcounts, sdispls, sendtypes, recvbuf,
                                recvcounts, rdispls, recvtypes, comm);
    return coll_return(&call, rc, request);
}
