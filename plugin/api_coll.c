/*
 * api_coll.c — MPI's blocking collectives in the compute process.
 *
 * Each is its non-blocking counterpart (coll.h) waited for at once: the
 * keeper never blocks in MPI, and the compute process sleeps on its
 * doorbell meanwhile.
 */
#include "plugin/coll.h"

int MPI_Barrier(MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Barrier");
    return coll_wait(&call, coll_barrier(&call, comm));
}

int MPI_Bcast(void *buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Bcast");
    return coll_wait(&call, coll_bcast(&call, buffer, count, datatype, root, comm));
}

int MPI_Gather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
               int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Gather");
    return coll_wait(&call, coll_gather(&call, sendbuf, sendcount, sendtype, recvbuf, recvcount,
                                        recvtype, root, comm));
}

int MPI_Gatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                const int recvcounts[], const int displs[], MPI_Datatype recvtype, int root,
                MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Gatherv");
    return coll_wait(&call, coll_gatherv(&call, sendbuf, sendcount, sendtype, recvbuf,
                                         recvcounts, displs, recvtype, root, comm));
}

int MPI_Scatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Scatter");
    return coll_wait(&call, coll_scatter(&call, sendbuf, sendcount, sendtype, recvbuf,
                                         recvcount, recvtype, root, comm));
}

int MPI_Scatterv(const void *sendbuf, const int sendcounts[], const int displs[],
                 MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                 int root, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Scatterv");
    return coll_wait(&call, coll_scatterv(&call, sendbuf, sendcounts, displs, sendtype, recvbuf,
                                          recvcount, recvtype, root, comm));
}

int MPI_Allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                  int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Allgather");
    return coll_wait(&call, coll_allgather(&call, sendbuf, sendcount, sendtype, recvbuf,
                                           recvcount, recvtype, comm));
}

int MPI_Allgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                   const int recvcounts[], const int displs[], MPI_Datatype recvtype,
                   MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Allgatherv");
    return coll_wait(&call, coll_allgatherv(&call, sendbuf, sendcount, sendtype, recvbuf,
                                            recvcounts, displs, recvtype, comm));
}

int MPI_Alltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                 int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Alltoall");
    return coll_wait(&call, coll_alltoall(&call, sendbuf, sendcount, sendtype, recvbuf,
                                          recvcount, recvtype, comm));
}

int MPI_Alltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                  MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                  const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Alltoallv");
    return coll_wait(&call, coll_alltoallv(&call, sendbuf, sendcounts, sdispls, sendtype,
                                           recvbuf, recvcounts, rdispls, recvtype, comm));
}

int MPI_Alltoallw(const void *sendbuf, const int sendcounts[], const int sdispls[],
                  const MPI_Datatype sendtypes[], void *recvbuf, const int recvcounts[],
                  const int rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Alltoallw");
    return coll_wait(&call, coll_alltoallw(&call, sendbuf, sendcounts, sdispls, sendtypes,
                                           recvbuf, recvcounts, rdispls, recvtypes, comm));
}

int MPI_Reduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
               int root, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Reduce");
    return coll_wait(&call, coll_reduce(&call, sendbuf, recvbuf, count, datatype, op, root,
                                        comm));
}

int MPI_Allreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype,
                  MPI_Op op, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Allreduce");
    return coll_wait(&call, coll_allreduce(&call, sendbuf, recvbuf, count, datatype, op, comm));
}

int MPI_Reduce_scatter(const void *sendbuf, void *recvbuf, const int recvcounts[],
                       MPI_Datatype datatype, MPI_Op op, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Reduce_scatter");
    return coll_wait(&call, coll_reduce_scatter(&call, sendbuf, recvbuf, recvcounts, datatype,
                                                op, comm));
}

int MPI_Reduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount,
                             MPI_Datatype datatype, MPI_Op op, MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Reduce_scatter_block");
    return coll_wait(&call, coll_reduce_scatter_block(&call, sendbuf, recvbuf, recvcount,
                                                      datatype, op, comm));
}

int MPI_Scan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
             MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Scan");
    return coll_wait(&call, coll_scan(&call, sendbuf, recvbuf, count, datatype, op, comm));
}

int MPI_Exscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
               MPI_Comm comm)
{
    struct coll_call call = coll_call_begin("MPI_Exscan");
    return coll_wait(&call, coll_exscan(&call, sendbuf, recvbuf, count, datatype, op, comm));
}
