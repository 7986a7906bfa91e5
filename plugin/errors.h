/*
 * errors.h — how the plugin reports errors: MPI error handlers, the job's
 * end on a fatal error, and calls made before MPI_Init.
 *
 * Every MPI entry returns through mk_error() when something is wrong, which
 * applies the communicator's error handler as MPI does: MPI_ERRORS_ARE_FATAL
 * prints "mpickpt: MPI_<Name>: <reason>" and ends the job through the
 * keeper (MPI_Abort semantics); MPI_ERRORS_RETURN returns the code; a user
 * handler is called, then the code is returned.
 */
#ifndef MPICKPT_PLUGIN_ERRORS_H
#define MPICKPT_PLUGIN_ERRORS_H

#include <mpi.h>
#include <stdint.h>

struct mk_comm;

struct mk_errhandler {
    uint32_t magic;
    MPI_Comm_errhandler_function *fn;  /* NULL for the two predefined ones */
    int returns;                       /* predefined MPI_ERRORS_RETURN */
    int refs;
};

#define MK_ERRHANDLER_MAGIC 0x4d4b4548u /* "MKEH" */

/* The predefined handlers, and the object behind an app handle (NULL if
 * not a handler). */
struct mk_errhandler *errhandler_fatal(void);
struct mk_errhandler *errhandler_return(void);
struct mk_errhandler *errhandler_get(MPI_Errhandler handle);
MPI_Errhandler errhandler_handle(struct mk_errhandler *eh);
/* A user handler calling `fn`, with one reference (the app's handle); NULL
 * when memory is short. */
struct mk_errhandler *errhandler_new(MPI_Comm_errhandler_function *fn);
/* References: every communicator using a handler and every app handle to
 * it hold one; the handler is freed when the last goes. The predefined
 * handlers are never freed. */
void errhandler_retain(struct mk_errhandler *eh);
void errhandler_release(struct mk_errhandler *eh);

/* Applies comm's handler (MPI_COMM_WORLD's when comm is NULL) to error
 * `code` raised by MPI function `fn` ("MPI_Send"); returns `code`. */
int mk_error(struct mk_comm *comm, int code, const char *fn);
/* Ends the job: prints "mpickpt: <message>" and aborts through the keeper
 * (or exits 1 before MPI_Init). */
_Noreturn void mk_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Ends the job with MPI_Abort(comm, code) semantics. */
_Noreturn void mk_abort(struct mk_comm *comm, int code);
/* Ends the job because the app called an MPI function the plugin does not
 * implement: prints "mpickpt: <name> is not supported yet" and aborts
 * through the keeper with a non-zero status (the generated stubs.c). */
_Noreturn void mk_unsupported(const char *name);
/* The text of an error code (MPI_Error_string), user-defined ones too. */
const char *mk_error_text(int code);
/* User-defined error codes (api_errors.c): the text of a code the app
 * added ("" if it set none; NULL if `code` is not one), and the last code
 * handed out (MPI_LASTUSEDCODE; MPI_ERR_LASTCODE while none was added). */
const char *mk_user_error_text(int code);
int mk_error_lastused(void);

/* Entry check of every MPI function that needs MPI initialized and not yet
 * finalized: a clear message and exit otherwise. */
void mk_require_init(const char *fn);
/* 1 between MPI_Init and MPI_Finalize. */
int mk_is_initialized(void);
int mk_is_finalized(void);
void mk_set_initialized(void);
void mk_set_finalized(void);

#endif
