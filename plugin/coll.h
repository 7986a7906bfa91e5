/*
 * coll.h — starting MPI collectives from the plugin: the code the blocking
 * (api_coll.c) and non-blocking (api_coll_nb.c) entries share.
 *
 * A collective is one MKR_COLL request and one WOP_COLL submission. At the
 * start the plugin packs this rank's contribution into a single heap block
 * (argument arrays, send part, receive part); the keeper runs one
 * non-blocking Open MPI collective on those bytes; when the completion
 * arrives, the request's on_complete hook unpacks the receive part into the
 * app's buffers and, for reductions the keeper cannot do, reduces here.
 *
 * Reductions: a predefined op on a type whose typemap is one basic kind is
 * computed by the keeper with Open MPI's op on that kind's predefined
 * datatype (the data travels as an array of C elements). A user op is
 * computed here, by the app's own function, from every contribution
 * gathered (allgather, or gather to the root) in a fixed order that is
 * right for non-commutative ops: acc = x(n-1), then acc = x(i) op acc for i
 * from n-2 down to 0, each contribution unpacked into the type's layout
 * first. Every rank thus gets the same bits, whatever the op.
 *
 * Invariants: the app's buffers are read only while the call starts and
 * written only when the request completes; a started request holds
 * references on its datatypes and op, so the app may free them meanwhile.
 */
#ifndef MPICKPT_PLUGIN_COLL_H
#define MPICKPT_PLUGIN_COLL_H

#include <mpi.h>

struct mk_comm;
struct mk_request;

/* One MPI collective entry in progress: its name for errors, the resolved
 * communicator (NULL while unknown or invalid) and the started request. */
struct coll_call {
    const char *fn;
    struct mk_comm *comm;
    struct mk_request *req;
};

/* Begins an entry named `fn` ("MPI_Bcast"): requires MPI to be initialized. */
struct coll_call coll_call_begin(const char *fn);
/* Ends a blocking entry: `rc` is what the starter returned; waits for the
 * request and returns its outcome through the communicator's handler. */
int coll_wait(struct coll_call *call, int rc);
/* Ends a non-blocking entry: hands the started request to the app. */
int coll_return(struct coll_call *call, int rc, MPI_Request *request);

/* The starters. Each validates its arguments as MPI does and returns
 * MPI_SUCCESS with call->req started, or an MPI error class with nothing
 * started. Arguments mean what they mean for the MPI function of the name. */
int coll_barrier(struct coll_call *call, MPI_Comm comm);
int coll_bcast(struct coll_call *call, void *buf, int count, MPI_Datatype type, int root,
               MPI_Comm comm);
int coll_gather(struct coll_call *call, const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                void *recvbuf, int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm);
int coll_gatherv(struct coll_call *call, const void *sendbuf, int sendcount,
                 MPI_Datatype sendtype, void *recvbuf, const int recvcounts[], const int displs[],
                 MPI_Datatype recvtype, int root, MPI_Comm comm);
int coll_scatter(struct coll_call *call, const void *sendbuf, int sendcount,
                 MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                 int root, MPI_Comm comm);
int coll_scatterv(struct coll_call *call, const void *sendbuf, const int sendcounts[],
                  const int displs[], MPI_Datatype sendtype, void *recvbuf, int recvcount,
                  MPI_Datatype recvtype, int root, MPI_Comm comm);
int coll_allgather(struct coll_call *call, const void *sendbuf, int sendcount,
                   MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                   MPI_Comm comm);
int coll_allgatherv(struct coll_call *call, const void *sendbuf, int sendcount,
                    MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                    const int displs[], MPI_Datatype recvtype, MPI_Comm comm);
int coll_alltoall(struct coll_call *call, const void *sendbuf, int sendcount,
                  MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                  MPI_Comm comm);
int coll_alltoallv(struct coll_call *call, const void *sendbuf, const int sendcounts[],
                   const int sdispls[], MPI_Datatype sendtype, void *recvbuf,
                   const int recvcounts[], const int rdispls[], MPI_Datatype recvtype,
                   MPI_Comm comm);
int coll_alltoallw(struct coll_call *call, const void *sendbuf, const int sendcounts[],
                   const int sdispls[], const MPI_Datatype sendtypes[], void *recvbuf,
                   const int recvcounts[], const int rdispls[], const MPI_Datatype recvtypes[],
                   MPI_Comm comm);
int coll_reduce(struct coll_call *call, const void *sendbuf, void *recvbuf, int count,
                MPI_Datatype type, MPI_Op op, int root, MPI_Comm comm);
int coll_allreduce(struct coll_call *call, const void *sendbuf, void *recvbuf, int count,
                   MPI_Datatype type, MPI_Op op, MPI_Comm comm);
int coll_reduce_scatter(struct coll_call *call, const void *sendbuf, void *recvbuf,
                        const int recvcounts[], MPI_Datatype type, MPI_Op op, MPI_Comm comm);
int coll_reduce_scatter_block(struct coll_call *call, const void *sendbuf, void *recvbuf,
                              int recvcount, MPI_Datatype type, MPI_Op op, MPI_Comm comm);
int coll_scan(struct coll_call *call, const void *sendbuf, void *recvbuf, int count,
              MPI_Datatype type, MPI_Op op, MPI_Comm comm);
int coll_exscan(struct coll_call *call, const void *sendbuf, void *recvbuf, int count,
                MPI_Datatype type, MPI_Op op, MPI_Comm comm);

/* For starters outside coll.c (neighbourhood collectives): resolves
 * `comm` into call->comm; MPI_SUCCESS or MPI_ERR_COMM. */
int coll_resolve(struct coll_call *call, MPI_Comm comm);

/* One block of an exchange: `count` instances of `type` at `buf` moved by
 * `disp` extents of `type` (or `disp` bytes when `in_bytes`), sent to or
 * received from rank `peer` of the communicator. */
struct coll_block {
    int peer;
    const void *buf;
    MPI_Aint disp;
    int in_bytes;
    int count;
    MPI_Datatype type;
};

/* Starts an exchange of any blocks on call->comm (resolved) as the
 * keeper's ALLTOALLV: the blocks for one rank travel concatenated in the
 * order given, and the bytes from a rank fill this rank's receive blocks
 * from it in their order. So the k-th block sent to a rank meets the k-th
 * block that rank receives from this one: the caller orders them so. */
int coll_exchange(struct coll_call *call, const struct coll_block send[], int nsend,
                  const struct coll_block recv[], int nrecv);

#endif
