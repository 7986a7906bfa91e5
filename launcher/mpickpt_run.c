/*
 * mpickpt_run.c — `mpickpt-run`, the keeper of one rank (DESIGN §2).
 *
 *   mpirun -np N mpickpt-run [options] -- ./app args...
 *
 * Checks the settings and the application before anything else (a bad value
 * stops the rank with one line and exit status 2, before MPI_Init), creates
 * the channel, starts the application with libmpickpt.so preloaded as the
 * compute process, and serves it until it exits; exits with its status.
 *
 * The plugin's own entry point (an app started with LD_PRELOAD) reaches the
 * same keeper through the internal --adopt form: the plugin forked the
 * compute process itself and hands over its pid, channel and output pipes.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

#include "common/channel.h"
#include "common/config.h"
#include "launcher/binding.h"
#include "launcher/keeper.h"
#include "launcher/launch_env.h"
#include "launcher/supervise.h"

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: mpirun -np N mpickpt-run [OPTIONS] -- PROGRAM [ARGS...]\n"
            "Runs one MPI rank of PROGRAM under mpickpt: this process (the keeper) owns\n"
            "MPI; PROGRAM runs as the compute process with libmpickpt.so preloaded.\n"
            "\n"
            "Options:\n");
    config_print_help(out);
    fprintf(out,
            "  --help                   show this help\n"
            "  --version                show the version\n"
            "\n"
            "Environment: MPICKPT_PLUGIN overrides the path of libmpickpt.so.\n"
            "Exit status: the application's; 2 for bad options or a program that cannot\n"
            "be run under mpickpt.\n");
}

/* One line, written at once: the lines of several ranks failing together
 * must not interleave. */
static _Noreturn void die_usage(const char *fmt, const char *arg)
{
    char msg[CONFIG_ERROR_MAX + 64];
    snprintf(msg, sizeof msg, fmt, arg);
    fprintf(stderr, "mpickpt-run: %s\n", msg);
    exit(2);
}

/* Parses "--adopt=PID,CHANNEL_FD,STDOUT_FD,STDERR_FD". */
static int parse_adopt(const char *value, int fds[4])
{
    return sscanf(value, "%d,%d,%d,%d", &fds[0], &fds[1], &fds[2], &fds[3]) == 4 ? 0 : -1;
}

struct run_args {
    struct mk_config cfg;
    int adopt;                 /* internal: the plugin forked the compute */
    int adopt_fds[4];          /* pid, channel, stdout, stderr */
    char **app_argv;
};

static void parse_args(int argc, char **argv, struct run_args *ra)
{
    char err[CONFIG_ERROR_MAX];
    config_defaults(&ra->cfg);
    if (config_from_env(&ra->cfg, err) != 0)
        die_usage("%s", err);
    int i = 1;
    for (; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(arg, "--help") == 0) {
            usage(stdout);
            exit(0);
        }
        if (strcmp(arg, "--version") == 0) {
            printf("mpickpt-run %s\n", PACKAGE_VERSION);
            exit(0);
        }
        if (strncmp(arg, "--adopt=", 8) == 0) {
            if (parse_adopt(arg + 8, ra->adopt_fds) != 0)
                die_usage("invalid --adopt '%s' (internal option of libmpickpt.so)", arg + 8);
            ra->adopt = 1;
            continue;
        }
        int r = config_apply_flag(&ra->cfg, arg, err);
        if (r < 0)
            die_usage("%s", err);
        if (r == 0) {
            if (arg[0] == '-')
                die_usage("unknown option '%s' (see mpickpt-run --help)", arg);
            break; /* the program, without "--" */
        }
    }
    ra->app_argv = argv + i;
    if (!ra->adopt && !ra->app_argv[0])
        die_usage("%s", "no program given: mpickpt-run [OPTIONS] -- PROGRAM [ARGS...]");
}

/* Starts the compute process: the app with the plugin preloaded. */
static pid_t spawn_compute(char **app_argv, const char *plugin, struct channel *ch,
                           int out_pipe[2], int err_pipe[2])
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    close(out_pipe[0]);
    close(err_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the keeper */
    if (launch_env_for_compute(plugin, ch->fd) != 0) {
        fprintf(stderr, "mpickpt-run: cannot prepare the environment: %s\n", strerror(errno));
        _exit(127);
    }
    execvp(app_argv[0], app_argv);
    fprintf(stderr, "mpickpt-run: cannot run %s: %s\n", app_argv[0], strerror(errno));
    _exit(127);
}

int main(int argc, char **argv)
{
    struct run_args ra = {0};
    parse_args(argc, argv, &ra);

    struct channel ch = { .fd = -1 };
    pid_t compute;
    int out_fd, err_fd;
    if (ra.adopt) {
        int rc = chan_attach(&ch, ra.adopt_fds[1], NULL);
        if (rc != 0) {
            fprintf(stderr, "mpickpt-run: cannot map the channel of libmpickpt.so: %s\n", strerror(-rc));
            return 1;
        }
        compute = ra.adopt_fds[0];
        out_fd = ra.adopt_fds[2];
        err_fd = ra.adopt_fds[3];
    } else {
        char why[512];
        const char *plugin = launch_plugin_path();
        if (launch_check_program(ra.app_argv[0], plugin, why, sizeof why) != 0) {
            fprintf(stderr, "mpickpt-run: %s\n", why);
            return 2;
        }
        int rc = chan_create(&ch, CHAN_DEFAULT_HEAP);
        if (rc != 0) {
            fprintf(stderr, "mpickpt-run: cannot create the channel: %s\n", strerror(-rc));
            return 1;
        }
        int out_pipe[2], err_pipe[2];
        if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
            fprintf(stderr, "mpickpt-run: cannot create output pipes: %s\n", strerror(errno));
            return 1;
        }
        if (config_export(&ra.cfg) != 0) {
            fprintf(stderr, "mpickpt-run: cannot export the settings: %s\n", strerror(errno));
            return 1;
        }
        compute = spawn_compute(ra.app_argv, plugin, &ch, out_pipe, err_pipe);
        if (compute < 0) {
            fprintf(stderr, "mpickpt-run: cannot start %s: %s\n", ra.app_argv[0], strerror(errno));
            return 1;
        }
        close(out_pipe[1]);
        close(err_pipe[1]);
        out_fd = out_pipe[0];
        err_fd = err_pipe[0];
    }

    struct supervisor *sup = supervisor_start(compute, out_fd, err_fd, &ch.ctl->keeper_bell);
    if (!sup) {
        fprintf(stderr, "mpickpt-run: cannot supervise the compute process: %s\n", strerror(errno));
        kill(compute, SIGKILL);
        return 1;
    }
    struct binding_plan plan;
    binding_apply(compute, &plan);
    struct keeper_options opt = { .cfg = ra.cfg, .policy = plan.policy, .binding = plan.where };
    return keeper_run(&ch, sup, &opt);
}
