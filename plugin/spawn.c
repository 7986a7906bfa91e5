/*
 * spawn.c — splitting an LD_PRELOAD-started app into keeper and compute
 * process (see spawn.h).
 *
 * The parent must become the keeper, not the child: mpirun and Open MPI's
 * runtime know the parent's pid and environment, and the keeper is the
 * process that calls MPI_Init for real. It execs mpickpt-run without the
 * plugin preloaded, so no MPI call in the keeper is ever intercepted, and
 * hands it the program's command line (after "--") and the plugin's path
 * (MPICKPT_PLUGIN): a keeper that checkpoints starts the program again
 * when a failure comes before the first checkpoint. The child is set up as
 * mpickpt-run sets up the compute processes it starts itself.
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

/* Removes libmpickpt.so from LD_PRELOAD, keeping any other preloads; the
 * keeper finds it in MPICKPT_PLUGIN (unless that is set already). */
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
        if (strstr(item, "libmpickpt")) {
            setenv("MPICKPT_PLUGIN", item, 0);
            continue;
        }
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

/* "mpickpt-run --adopt=... -- <this program's argv>", from
 * /proc/self/cmdline (NUL-separated arguments); NULL if it cannot be read. */
static char **keeper_argv(const char *adopt)
{
    enum { CMDLINE_MAX = 1 << 20 };
    char *text = malloc(CMDLINE_MAX);
    int fd = text ? open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC) : -1;
    size_t len = 0;
    ssize_t n;
    while (fd >= 0 && len < CMDLINE_MAX - 1 &&
           (n = read(fd, text + len, CMDLINE_MAX - 1 - len)) > 0)
        len += (size_t)n;
    if (fd >= 0)
        close(fd);
    size_t nargs = 0;
    for (size_t i = 0; i < len; i++)
        nargs += text[i] == '\0';
    char **argv = len > 0 && len < CMDLINE_MAX - 1 ? calloc(nargs + 4, sizeof *argv) : NULL;
    if (!argv) {
        free(text);
        return NULL;
    }
    text[len] = '\0';
    size_t at = 0;
    argv[at++] = "mpickpt-run";
    argv[at++] = (char *)adopt;
    argv[at++] = "--";
    for (size_t i = 0; i < len; i += strlen(text + i) + 1)
        argv[at++] = text + i;
    return argv;
}

static _Noreturn void become_keeper(pid_t compute, int channel_fd, int out_fd, int err_fd)
{
    char adopt[96];
    snprintf(adopt, sizeof adopt, "--adopt=%d,%d,%d,%d", (int)compute, channel_fd, out_fd, err_fd);
    unpreload_plugin();
    const char *path = keeper_path();
    char **argv = keeper_argv(adopt);
    if (argv)
        execv(path, argv);
    else /* without the program: a keeper that does not checkpoint needs none */
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
    /* Signals mpirun forwards to the job (SIGUSR1: checkpoint, SIGTERM)
     * are the keeper's to act on, not the application's. */
    setpgid(0, 0);
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
