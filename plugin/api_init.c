/*
 * api_init.c — MPI's environment calls in the compute process: MPI_Init,
 * MPI_Init_thread, MPI_Finalize, MPI_Abort, the thread-level and state
 * queries, timers, versions and the MPI_Pcontrol profiling hook.
 *
 * MPI_Init connects to the keeper: through the channel mpickpt-run created
 * (MPICKPT_CHANNEL_FD), or, when the app was started with only the plugin
 * preloaded, by splitting the process first (spawn.c).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "common/wire.h"
#include "plugin/attributes.h"
#include "plugin/checkpoint.h"
#include "plugin/client.h"
#include "plugin/comm.h"
#include "plugin/errors.h"
#include "plugin/spawn.h"

static struct client_world world;
static pthread_t main_thread;   /* the thread that initialized MPI */

static int init(int required, int *provided, const char *fn)
{
    if (mk_is_initialized())
        return mk_error(NULL, MPI_ERR_OTHER, fn);
    const char *fd_text = getenv("MPICKPT_CHANNEL_FD");
    int fd = fd_text ? atoi(fd_text) : spawn_keeper();
    if (client_connect(fd, required, &world) != 0 || comm_init_predefined(&world) != 0) {
        fprintf(stderr, "mpickpt: %s: cannot reach the keeper\n", fn);
        exit(1);
    }
    main_thread = pthread_self();
    mk_set_initialized();
    if (provided)
        *provided = world.thread_level;
    return MPI_SUCCESS;
}

int MPI_Init(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return init(MPI_THREAD_SINGLE, NULL, "MPI_Init");
}

int MPI_Init_thread(int *argc, char ***argv, int required, int *provided)
{
    (void)argc;
    (void)argv;
    return init(required, provided, "MPI_Init_thread");
}

int MPI_Initialized(int *flag)
{
    *flag = mk_is_initialized();
    return MPI_SUCCESS;
}

int MPI_Finalized(int *flag)
{
    *flag = mk_is_finalized();
    return MPI_SUCCESS;
}

int MPI_Finalize(void)
{
    mk_require_init("MPI_Finalize");
    /* MPI-3.1 §8.7.1: finalizing first deletes MPI_COMM_SELF's attributes,
     * as if the communicator were freed, so layered libraries can clean up. */
    attributes_delete_comm(comm_get(MPI_COMM_SELF));
    /* Output the app wrote before finalizing must reach the keeper first. */
    fflush(stdout);
    fflush(stderr);
    /* A coordinated job may still checkpoint while this rank waits for the
     * others to finalize (its keeper completes the checkpoint first); once
     * finalized, nobody would commit one. */
    struct chan_sub sub = { .op = WOP_FINALIZE };
    struct chan_cmp cmp = client_call(&sub);
    checkpoint_disable();
    mk_set_finalized();
    return cmp.rc;
}

int MPI_Abort(MPI_Comm comm, int errorcode)
{
    mk_require_init("MPI_Abort");
    mk_abort(comm_get(comm), errorcode);
}

int MPI_Query_thread(int *provided)
{
    mk_require_init("MPI_Query_thread");
    *provided = world.thread_level;
    return MPI_SUCCESS;
}

int MPI_Is_thread_main(int *flag)
{
    mk_require_init("MPI_Is_thread_main");
    *flag = pthread_equal(pthread_self(), main_thread);
    return MPI_SUCCESS;
}

double MPI_Wtime(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double MPI_Wtick(void)
{
    struct timespec res;
    clock_getres(CLOCK_MONOTONIC, &res);
    return (double)res.tv_sec + (double)res.tv_nsec * 1e-9;
}

int MPI_Get_processor_name(char *name, int *resultlen)
{
    mk_require_init("MPI_Get_processor_name");
    snprintf(name, MPI_MAX_PROCESSOR_NAME, "%s", world.processor_name);
    *resultlen = (int)strlen(name);
    return MPI_SUCCESS;
}

int MPI_Get_version(int *version, int *subversion)
{
    *version = MPI_VERSION;
    *subversion = MPI_SUBVERSION;
    return MPI_SUCCESS;
}

int MPI_Get_library_version(char *version, int *resultlen)
{
    char ompi[MPI_MAX_LIBRARY_VERSION_STRING];
    int len = 0;
    /* Allowed before MPI_Init: Open MPI only copies a string. */
    PMPI_Get_library_version(ompi, &len);
    snprintf(version, MPI_MAX_LIBRARY_VERSION_STRING, "mpickpt %s over %.*s",
             PACKAGE_VERSION, len, ompi);
    *resultlen = (int)strlen(version);
    return MPI_SUCCESS;
}

int MPI_Pcontrol(const int level, ...)
{
    /* A hook for profiling libraries; MPI defines it as doing nothing
     * unless one is interposed. */
    (void)level;
    return MPI_SUCCESS;
}
