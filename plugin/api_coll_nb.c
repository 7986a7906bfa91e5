/*
 * api_coll_nb.c — MPI's non-blocking collectives in the compute process.
 *
 * Each starts one keeper-side non-blocking collective (coll.h) and hands
 * the app an MPI_Request for it, which MPI_Wait/Test and their relatives
 * complete like any other: results reach the app's buffers when the
 * request completes, never before.
 */
#include "plugin/coll.h"

int MPI_Ibarrier(MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ibarrier");
    int rc = coll_barrier(&call, comm);
    return coll_return(&call, rc, request);
}

int MPI_Ibcast(void *buffer, int count, MPI_Datatype datatype, int root, MPI_Comm comm,
               MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ibcast");
    int rc = coll_bcast(&call, buffer, count, datatype, root, comm);
    return coll_return(&call, rc, request);
}

int MPI_Igather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Igather");
    int rc = coll_gather(&call, sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root,
                         comm);
    return coll_return(&call, rc, request);
}

int MPI_Igatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                 const int recvcounts[], const int displs[], MPI_Datatype recvtype, int root,
                 MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Igatherv");
    int rc = coll_gatherv(&call, sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs,
                          recvtype, root, comm);
    return coll_return(&call, rc, request);
}

int MPI_Iscatter(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                 int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm,
                 MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Iscatter");
    int rc = coll_scatter(&call, sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, root,
                          comm);
    return coll_return(&call, rc, request);
}

int MPI_Iscatterv(const void *sendbuf, const int sendcounts[], const int displs[],
                  MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                  int root, MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Iscatterv");
    int rc = coll_scatterv(&call, sendbuf, sendcounts, displs, sendtype, recvbuf, recvcount,
                           recvtype, root, comm);
    return coll_return(&call, rc, request);
}

int MPI_Iallgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                   int recvcount, MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Iallgather");
    int rc = coll_allgather(&call, sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype,
                            comm);
    return coll_return(&call, rc, request);
}

int MPI_Iallgatherv(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                    const int recvcounts[], const int displs[], MPI_Datatype recvtype,
                    MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Iallgatherv");
    int rc = coll_allgatherv(&call, sendbuf, sendcount, sendtype, recvbuf, recvcounts, displs,
                             recvtype, comm);
    return coll_return(&call, rc, request);
}

int MPI_Ialltoall(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                  int recvcount, MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ialltoall");
    int rc = coll_alltoall(&call, sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm);
    return coll_return(&call, rc, request);
}

int MPI_Ialltoallv(const void *sendbuf, const int sendcounts[], const int sdispls[],
                   MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                   const int rdispls[], MPI_Datatype recvtype, MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ialltoallv");
    int rc = coll_alltoallv(&call, sendbuf, sendcounts, sdispls, sendtype, recvbuf, recvcounts,
                            rdispls, recvtype, comm);
    return coll_return(&call, rc, request);
}

int MPI_Ialltoallw(const void *sendbuf, const int sendcounts[], const int sdispls[],
                   const MPI_Datatype sendtypes[], void *recvbuf, const int recvcounts[],
                   const int rdispls[], const MPI_Datatype recvtypes[], MPI_Comm comm,
                   MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ialltoallw");
    int rc = coll_alltoallw(&call, sendbuf, sendcounts, sdispls, sendtypes, recvbuf, recvcounts,
                            rdispls, recvtypes, comm);
    return coll_return(&call, rc, request);
}

int MPI_Ireduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                int root, MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ireduce");
    int rc = coll_reduce(&call, sendbuf, recvbuf, count, datatype, op, root, comm);
    return coll_return(&call, rc, request);
}

int MPI_Iallreduce(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                   MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Iallreduce");
    int rc = coll_allreduce(&call, sendbuf, recvbuf, count, datatype, op, comm);
    return coll_return(&call, rc, request);
}

int MPI_Ireduce_scatter(const void *sendbuf, void *recvbuf, const int recvcounts[],
                        MPI_Datatype datatype, MPI_Op op, MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ireduce_scatter");
    int rc = coll_reduce_scatter(&call, sendbuf, recvbuf, recvcounts, datatype, op, comm);
    return coll_return(&call, rc, request);
}

int MPI_Ireduce_scatter_block(const void *sendbuf, void *recvbuf, int recvcount,
                              MPI_Datatype datatype, MPI_Op op, MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Ireduce_scatter_block");
    int rc = coll_reduce_scatter_block(&call, sendbuf, recvbuf, recvcount, datatype, op, comm);
    return coll_return(&call, rc, request);
}

int MPI_Iscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
              MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Iscan");
    int rc = coll_scan(&call, sendbuf, recvbuf, count, datatype, op, comm);
    return coll_return(&call, rc, request);
}

int MPI_Iexscan(const void *sendbuf, void *recvbuf, int count, MPI_Datatype datatype, MPI_Op op,
                MPI_Comm comm, MPI_Request *request)
{
    struct coll_call call = coll_call_begin("MPI_Iexscan");
    int rc = coll_exscan(&call, sendbuf, recvbuf, count, datatype, op, comm);
    return coll_return(&call, rc, request);
}
