/*
 * spawn.c — splitting an LD_PRELOAD-started app into keeper and compute
 * process (see spawn.h).
 *
 * The parent must become the keeper, not the child: mpirun and Open MPI's
 * runtime know the parent's pid and environment, and the keeper is the
 * process that calls MPI_Init for real. It execs mpickpt-run without the
 * plugin preloaded, so no MPI call in the keeper is ever intercepted.
 */
#include "plugin/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "common/channel.h"
#include "common/config.h"

static const char *keeper_path(void)
{
    const char *env = getenv("MPICKPT_KEEPER");
    return env && *env ? env : MPICKPT_KEEPER_PATH;
}

/* Removes libmpickpt.so from LD_PRELOAD, keeping any other preloads. */
static void unpreload_plugin(void)
{
    const char *old = getenv("LD_PRELOAD");
    if (!old)
        return;
    char *kept = calloc(1, strlen(old) + 1);
    char *copy = strdup(old);
    if (!kept || !copy) {
        unsetenv("LD_PRELOAD");
        free(kept);
        free(copy);
        return;
    }
    for (char *save = NULL, *item = strtok_r(copy, ": ", &save); item;
         item = strtok_r(NULL, ": ", &save)) {
        if (strstr(item, "libmpickpt"))
            continue;
        if (*kept)
            strcat(kept, ":");
        strcat(kept, item);
    }
    if (*kept)
        setenv("LD_PRELOAD", kept, 1);
    else
        unsetenv("LD_PRELOAD");
    free(kept);
    free(copy);
}

static _Noreturn void fail(const char *what)
{
    fprintf(stderr, "mpickpt: %s: %s\n", what, strerror(errno));
    exit(1);
}

static _Noreturn void become_keeper(pid_t compute, int channel_fd, int out_fd, int err_fd)
{
    char adopt[96];
    snprintf(adopt, sizeof adopt, "--adopt=%d,%d,%d,%d", (int)compute, channel_fd, out_fd, err_fd);
    unpreload_plugin();
    const char *path = keeper_path();
    execl(path, "mpickpt-run", adopt, (char *)NULL);
    fprintf(stderr, "mpickpt: cannot start the keeper %s: %s (set MPICKPT_KEEPER to the path of "
            "mpickpt-run)\n", path, strerror(errno));
    kill(compute, SIGKILL);
    exit(1);
}

int spawn_keeper(void)
{
    struct mk_config cfg;
    char err[CONFIG_ERROR_MAX];
    config_defaults(&cfg);
    if (config_from_env(&cfg, err) != 0) {
        fprintf(stderr, "mpickpt: %s\n", err);
        exit(2);
    }
    struct channel ch;
    int rc = chan_create(&ch, CHAN_DEFAULT_HEAP);
    if (rc != 0) {
        errno = -rc;
        fail("cannot create the channel to the keeper");
    }
    int out_pipe[2], err_pipe[2];
    if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0)
        fail("cannot create the output pipes");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        fail("cannot fork the compute process");
    if (pid > 0) {
        close(out_pipe[1]);
        close(err_pipe[1]);
        /* The keeper inherits these across exec. */
        fcntl(ch.fd, F_SETFD, 0);
        become_keeper(pid, ch.fd, out_pipe[0], err_pipe[0]);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the keeper */
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    close(out_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[0]);
    close(err_pipe[1]);
    int fd = dup(ch.fd);
    chan_detach(&ch);
    return fd;
}
