/*
 * api_comm_query.c — local communicator queries in the compute process:
 * MPI_Comm_rank and MPI_Comm_size, answered from the plugin's own objects
 * without asking the keeper.
 */
#include "plugin/comm.h"
#include "plugin/errors.h"

int MPI_Comm_rank(MPI_Comm comm, int *rank)
{
    mk_require_init("MPI_Comm_rank");
    struct mk_comm *c = comm_get(comm);
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Comm_rank");
    *rank = c->rank;
    return MPI_SUCCESS;
}

int MPI_Comm_size(MPI_Comm comm, int *size)
{
    mk_require_init("MPI_Comm_size");
    struct mk_comm *c = comm_get(comm);
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Comm_size");
    *size = c->size;
    return MPI_SUCCESS;
}
