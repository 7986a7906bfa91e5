/*
 * api_errhandler.c — MPI's communicator error-handler calls in the compute
 * process: MPI_Comm_create_errhandler, Comm_set_errhandler,
 * Comm_get_errhandler, Comm_call_errhandler, Errhandler_free, and the MPI-1
 * names Errhandler_create/set/get (removed in MPI-3.0, but Open MPI's
 * library still exports them, so old binaries may call them).
 *
 * Invariant (errors.h): every app handle and every communicator using a
 * handler holds one reference to it, so a handler freed by the app lives
 * on while a communicator uses it; the predefined handlers are never freed.
 */
/* Declares the removed MPI-1 names in mpi.h. */
#define OMPI_OMIT_MPI1_COMPAT_DECLS 0

#include "plugin/comm.h"
#include "plugin/errors.h"

static int create_errhandler(MPI_Comm_errhandler_function *function, MPI_Errhandler *errhandler,
                             const char *fn)
{
    mk_require_init(fn);
    if (!function)
        return mk_error(NULL, MPI_ERR_ARG, fn);
    struct mk_errhandler *eh = errhandler_new(function);
    if (!eh)
        return mk_error(NULL, MPI_ERR_NO_MEM, fn);
    *errhandler = errhandler_handle(eh);
    return MPI_SUCCESS;
}

static int set_errhandler(MPI_Comm comm, MPI_Errhandler errhandler, const char *fn)
{
    mk_require_init(fn);
    struct mk_comm *c = comm_get(comm);
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    struct mk_errhandler *eh = errhandler_get(errhandler);
    if (!eh)
        return mk_error(c, MPI_ERR_ARG, fn);
    errhandler_retain(eh);
    errhandler_release(c->errhandler);
    c->errhandler = eh;
    return MPI_SUCCESS;
}

static int get_errhandler(MPI_Comm comm, MPI_Errhandler *errhandler, const char *fn)
{
    mk_require_init(fn);
    struct mk_comm *c = comm_get(comm);
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    /* MPI: the handle returned is a new reference, freed by the app. */
    errhandler_retain(c->errhandler);
    *errhandler = errhandler_handle(c->errhandler);
    return MPI_SUCCESS;
}

int MPI_Comm_create_errhandler(MPI_Comm_errhandler_function *function,
                               MPI_Errhandler *errhandler)
{
    return create_errhandler(function, errhandler, "MPI_Comm_create_errhandler");
}

int MPI_Comm_set_errhandler(MPI_Comm comm, MPI_Errhandler errhandler)
{
    return set_errhandler(comm, errhandler, "MPI_Comm_set_errhandler");
}

int MPI_Comm_get_errhandler(MPI_Comm comm, MPI_Errhandler *errhandler)
{
    return get_errhandler(comm, errhandler, "MPI_Comm_get_errhandler");
}

int MPI_Comm_call_errhandler(MPI_Comm comm, int errorcode)
{
    mk_require_init("MPI_Comm_call_errhandler");
    struct mk_comm *c = comm_get(comm);
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Comm_call_errhandler");
    /* MPI: success once the handler has been called (and has returned). */
    mk_error(c, errorcode, "MPI_Comm_call_errhandler");
    return MPI_SUCCESS;
}

int MPI_Errhandler_free(MPI_Errhandler *errhandler)
{
    mk_require_init("MPI_Errhandler_free");
    struct mk_errhandler *eh = errhandler_get(*errhandler);
    if (!eh)
        return mk_error(NULL, MPI_ERR_ARG, "MPI_Errhandler_free");
    errhandler_release(eh);
    *errhandler = MPI_ERRHANDLER_NULL;
    return MPI_SUCCESS;
}

/* --- removed MPI-1 names ------------------------------------------------------ */

int MPI_Errhandler_create(MPI_Handler_function *function, MPI_Errhandler *errhandler)
{
    return create_errhandler(function, errhandler, "MPI_Errhandler_create");
}

int MPI_Errhandler_set(MPI_Comm comm, MPI_Errhandler errhandler)
{
    return set_errhandler(comm, errhandler, "MPI_Errhandler_set");
}

int MPI_Errhandler_get(MPI_Comm comm, MPI_Errhandler *errhandler)
{
    return get_errhandler(comm, errhandler, "MPI_Errhandler_get");
}
