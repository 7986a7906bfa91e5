/*
 * errors.c — error handlers, fatal errors and the initialization state (see
 * errors.h).
 */
#include "plugin/errors.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/wire.h"
#include "plugin/client.h"
#include "plugin/comm.h"

static struct mk_errhandler fatal_handler = { MK_ERRHANDLER_MAGIC, NULL, 0, 1 };
static struct mk_errhandler return_handler = { MK_ERRHANDLER_MAGIC, NULL, 1, 1 };
static int initialized, finalized;

struct mk_errhandler *errhandler_fatal(void) { return &fatal_handler; }
struct mk_errhandler *errhandler_return(void) { return &return_handler; }

struct mk_errhandler *errhandler_get(MPI_Errhandler handle)
{
    if (handle == MPI_ERRORS_ARE_FATAL)
        return &fatal_handler;
    if (handle == MPI_ERRORS_RETURN)
        return &return_handler;
    if (handle == MPI_ERRHANDLER_NULL || handle == NULL)
        return NULL;
    struct mk_errhandler *eh = (struct mk_errhandler *)(void *)handle;
    return eh->magic == MK_ERRHANDLER_MAGIC ? eh : NULL;
}

MPI_Errhandler errhandler_handle(struct mk_errhandler *eh)
{
    if (eh == &fatal_handler)
        return MPI_ERRORS_ARE_FATAL;
    if (eh == &return_handler)
        return MPI_ERRORS_RETURN;
    return (MPI_Errhandler)(void *)eh;
}

struct mk_errhandler *errhandler_new(MPI_Comm_errhandler_function *fn)
{
    struct mk_errhandler *eh = malloc(sizeof *eh);
    if (eh)
        *eh = (struct mk_errhandler){ .magic = MK_ERRHANDLER_MAGIC, .fn = fn, .refs = 1 };
    return eh;
}

static int predefined(const struct mk_errhandler *eh)
{
    return eh == &fatal_handler || eh == &return_handler;
}

void errhandler_retain(struct mk_errhandler *eh)
{
    if (!predefined(eh))
        eh->refs++;
}

void errhandler_release(struct mk_errhandler *eh)
{
    if (predefined(eh) || --eh->refs > 0)
        return;
    eh->magic = 0;
    free(eh);
}

static const char *const error_texts[] = {
    [MPI_SUCCESS] = "MPI_SUCCESS: no errors",
    [MPI_ERR_BUFFER] = "MPI_ERR_BUFFER: invalid buffer pointer",
    [MPI_ERR_COUNT] = "MPI_ERR_COUNT: invalid count argument",
    [MPI_ERR_TYPE] = "MPI_ERR_TYPE: invalid datatype",
    [MPI_ERR_TAG] = "MPI_ERR_TAG: invalid tag",
    [MPI_ERR_COMM] = "MPI_ERR_COMM: invalid communicator",
    [MPI_ERR_RANK] = "MPI_ERR_RANK: invalid rank",
    [MPI_ERR_REQUEST] = "MPI_ERR_REQUEST: invalid request",
    [MPI_ERR_ROOT] = "MPI_ERR_ROOT: invalid root",
    [MPI_ERR_GROUP] = "MPI_ERR_GROUP: invalid group",
    [MPI_ERR_OP] = "MPI_ERR_OP: invalid reduce operation",
    [MPI_ERR_TOPOLOGY] = "MPI_ERR_TOPOLOGY: invalid communicator topology",
    [MPI_ERR_DIMS] = "MPI_ERR_DIMS: invalid topology dimension",
    [MPI_ERR_ARG] = "MPI_ERR_ARG: invalid argument of some other kind",
    [MPI_ERR_UNKNOWN] = "MPI_ERR_UNKNOWN: unknown error",
    [MPI_ERR_TRUNCATE] = "MPI_ERR_TRUNCATE: message truncated",
    [MPI_ERR_OTHER] = "MPI_ERR_OTHER: known error not in list",
    [MPI_ERR_INTERN] = "MPI_ERR_INTERN: internal error",
    [MPI_ERR_IN_STATUS] = "MPI_ERR_IN_STATUS: error code is in status",
    [MPI_ERR_PENDING] = "MPI_ERR_PENDING: pending request",
    [MPI_ERR_KEYVAL] = "MPI_ERR_KEYVAL: invalid key value",
    [MPI_ERR_NO_MEM] = "MPI_ERR_NO_MEM: out of memory",
    [MPI_ERR_INFO_KEY] = "MPI_ERR_INFO_KEY: invalid info key",
    [MPI_ERR_INFO_VALUE] = "MPI_ERR_INFO_VALUE: invalid info value",
    [MPI_ERR_INFO_NOKEY] = "MPI_ERR_INFO_NOKEY: unknown info key",
    [MPI_ERR_INFO] = "MPI_ERR_INFO: invalid info object",
    [MPI_ERR_UNSUPPORTED_OPERATION] = "MPI_ERR_UNSUPPORTED_OPERATION: operation not supported",
};

const char *mk_error_text(int code)
{
    const char *user = mk_user_error_text(code);
    if (user)
        return user;
    if (code >= 0 && (size_t)code < sizeof error_texts / sizeof error_texts[0] && error_texts[code])
        return error_texts[code];
    return "unknown error code";
}

int mk_error(struct mk_comm *comm, int code, const char *fn)
{
    if (!comm)
        comm = comm_get(MPI_COMM_WORLD);
    struct mk_errhandler *eh = comm ? comm->errhandler : &fatal_handler;
    if (eh->fn) {
        MPI_Comm handle = comm_handle(comm);
        eh->fn(&handle, &code);
        return code;
    }
    if (eh->returns)
        return code;
    fprintf(stderr, "mpickpt: %s: %s\n", fn, mk_error_text(code));
    mk_abort(comm, code);
}

_Noreturn void mk_abort(struct mk_comm *comm, int code)
{
    fflush(stdout);
    fflush(stderr);
    if (!client_connected())
        _exit(code ? code : 1);
    struct chan_sub sub = { .op = WOP_ABORT, .arg = { comm ? comm->id : WIRE_COMM_WORLD, code } };
    client_call(&sub); /* the keeper ends the job: this never returns */
    _exit(code ? code : 1);
}

/* One fprintf, hence one write on the unbuffered stderr: the lines of ranks
 * failing together do not interleave. */
_Noreturn void mk_fatal(const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mpickpt: %s\n", message);
    mk_abort(NULL, 1);
}

_Noreturn void mk_unsupported(const char *name)
{
    mk_fatal("%s is not supported yet", name);
}

void mk_require_init(const char *fn)
{
    if (initialized && !finalized)
        return;
    fprintf(stderr, "mpickpt: %s called %s\n", fn,
            finalized ? "after MPI_Finalize" : "before MPI_Init");
    fflush(stderr);
    _exit(1);
}

int mk_is_initialized(void) { return initialized; }
int mk_is_finalized(void) { return finalized; }
void mk_set_initialized(void) { initialized = 1; }
void mk_set_finalized(void) { finalized = 1; }
