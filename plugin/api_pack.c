/*
 * api_pack.c — MPI's packing calls in the compute process: MPI_Pack,
 * MPI_Unpack, MPI_Pack_size, and addresses (MPI_Get_address and the MPI-1
 * MPI_Address Open MPI's library still exports).
 *
 * The packed format is the datatype engine's, byte-identical to Open MPI's
 * native MPI_Pack on this (homogeneous) machine: no header, the data bytes
 * of each instance in typemap order. So a buffer the app packs and sends
 * as MPI_PACKED is unpacked by a peer exactly as under Open MPI, and
 * MPI_Pack_size is count * size, Open MPI's answer.
 *
 * Not here: MPI_Aint_add and MPI_Aint_diff are macros in Open MPI's mpi.h
 * (no symbol to intercept); the "external32" calls stay unsupported (the
 * generated stubs), as the engine has no big-endian representation.
 *
 * Invariant: *position moves only when the whole call succeeds.
 */

/* Declare the MPI-1 functions removed from mpi.h in MPI-3 mode: Open MPI's
 * library still exports them, so old binaries may call them. */
#define OMPI_OMIT_MPI1_COMPAT_DECLS 0

#include <limits.h>
#include <stdint.h>

#include "plugin/comm.h"
#include "plugin/datatype.h"
#include "plugin/errors.h"
#include "plugin/types.h"

/* The checks Pack and Unpack share, in Open MPI's order: communicator,
 * buffer position, count, datatype (committed, as for a send). On success
 * *t is the engine type and *c the communicator. */
static int check_pack(MPI_Comm comm, const int *position, int size, int count,
                      MPI_Datatype type, struct mk_comm **c, struct dt_type **t)
{
    *c = comm_get(comm);
    if (!*c)
        return MPI_ERR_COMM;
    if (!position || *position < 0 || size < 0)
        return MPI_ERR_ARG;
    if (count < 0)
        return MPI_ERR_COUNT;
    *t = type_get(type);
    if (!*t || !dt_is_committed(*t))
        return MPI_ERR_TYPE;
    return MPI_SUCCESS;
}

int MPI_Pack(const void *inbuf, int incount, MPI_Datatype datatype, void *outbuf, int outsize,
             int *position, MPI_Comm comm)
{
    mk_require_init("MPI_Pack");
    struct mk_comm *c;
    struct dt_type *t;
    int rc = check_pack(comm, position, outsize, incount, datatype, &c, &t);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, "MPI_Pack");
    if (*position > outsize)
        return mk_error(c, MPI_ERR_TRUNCATE, "MPI_Pack");
    size_t room = (size_t)(outsize - *position);
    int status = dt_pack(t, (size_t)incount, inbuf, (char *)outbuf + *position, room);
    if (status != DT_OK)
        return mk_error(c, type_mpi_error(status), "MPI_Pack");
    *position += (int)(dt_size(t) * (size_t)incount);
    return MPI_SUCCESS;
}

int MPI_Unpack(const void *inbuf, int insize, int *position, void *outbuf, int outcount,
               MPI_Datatype datatype, MPI_Comm comm)
{
    mk_require_init("MPI_Unpack");
    struct mk_comm *c;
    struct dt_type *t;
    int rc = check_pack(comm, position, insize, outcount, datatype, &c, &t);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, "MPI_Unpack");
    if (*position > insize)
        return mk_error(c, MPI_ERR_TRUNCATE, "MPI_Unpack");
    size_t avail = (size_t)(insize - *position);
    int status = dt_unpack((const char *)inbuf + *position, avail, t, (size_t)outcount, outbuf);
    if (status != DT_OK)
        return mk_error(c, type_mpi_error(status), "MPI_Unpack");
    *position += (int)(dt_size(t) * (size_t)outcount);
    return MPI_SUCCESS;
}

/* Open MPI does not ask for a committed type here, nor do we. */
int MPI_Pack_size(int incount, MPI_Datatype datatype, MPI_Comm comm, int *size)
{
    mk_require_init("MPI_Pack_size");
    struct mk_comm *c = comm_get(comm);
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Pack_size");
    if (incount < 0)
        return mk_error(c, MPI_ERR_COUNT, "MPI_Pack_size");
    struct dt_type *t = type_get(datatype);
    if (!t)
        return mk_error(c, MPI_ERR_TYPE, "MPI_Pack_size");
    if (!size)
        return mk_error(c, MPI_ERR_ARG, "MPI_Pack_size");
    size_t bytes;
    int status = dt_packed_size(t, (size_t)incount, &bytes);
    if (status != DT_OK || bytes > INT_MAX)
        return mk_error(c, status != DT_OK ? type_mpi_error(status) : MPI_ERR_ARG,
                        "MPI_Pack_size");
    *size = (int)bytes;
    return MPI_SUCCESS;
}

/* An address is the pointer's value, so that MPI_BOTTOM (NULL) plus an
 * address is the pointer again (datatype.h's addressing rule). */
int MPI_Get_address(const void *location, MPI_Aint *address)
{
    *address = (MPI_Aint)(uintptr_t)location;
    return MPI_SUCCESS;
}

int MPI_Address(void *location, MPI_Aint *address)
{
    return MPI_Get_address(location, address);
}
