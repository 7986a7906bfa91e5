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
 * With --interval or --protocol=coordinated, the job is checkpointed with
 * the coordinated protocol (launcher/coord.h): the keeper initializes MPI
 * first, the ranks agree where to start from, and the keeper starts the
 * compute process itself (start_for_keeper), again after each in-place
 * recovery. `mpickpt-run --restart=JOBDIR` (what mpickpt-restart runs)
 * starts it from the job's newest valid checkpoint: mpickpt-restore IMAGE,
 * which inherits the new channel (--hook-arg FD) and output pipes, and
 * continues the app where the image left it, without MPI_Init.
 *
 * The plugin's own entry point (an app started with LD_PRELOAD) reaches the
 * same keeper through the internal --adopt form: the plugin forked the
 * compute process itself and hands over its pid, channel and output pipes,
 * and the program's command line after "--". With checkpoints, that
 * process is the first compute process; after a failure the keeper starts
 * the program again, or restores it, as above.
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
            "  --restart=JOBDIR         continue the job from its newest checkpoint\n"
            "\n"
            "Environment: MPICKPT_PLUGIN overrides the path of libmpickpt.so,\n"
            "MPICKPT_RESTORE that of mpickpt-restore.\n"
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
    int adopted;               /* coordinated: that process was started */
    const char *restart;       /* job directory to restart, or NULL */
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
        if (strncmp(arg, "--restart=", 10) == 0) {
            ra->restart = arg + 10;
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
    if (ra->restart && ra->app_argv[0])
        die_usage("--restart=JOBDIR takes no program: the job's image holds it ('%s')",
                  ra->app_argv[0]);
    if (!ra->adopt && !ra->restart && !ra->app_argv[0])
        die_usage("%s", "no program given: mpickpt-run [OPTIONS] -- PROGRAM [ARGS...]");
}

static const char *restore_path(void)
{
    const char *env = getenv("MPICKPT_RESTORE");
    return env && *env ? env : MPICKPT_RESTORE_PATH;
}

/* Output of the compute process goes to the pipes' write ends. */
/* The compute process inherits only stdin, its output pipes and the
 * channel: a keeper that already initialized MPI (coordinated jobs) holds
 * Open MPI's sockets, which are not the application's to keep, and which
 * no image could restore. */
static void redirect_output(int out_pipe[2], int err_pipe[2], int channel_fd)
{
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    if (channel_fd > 3)
        close_range(3, (unsigned)channel_fd - 1, 0);
    close_range((unsigned)(channel_fd > 2 ? channel_fd + 1 : 3), ~0u, 0);
    prctl(PR_SET_PDEATHSIG, SIGKILL); /* never outlive the keeper */
    /* Signals mpirun forwards to the job (SIGUSR1: checkpoint, SIGTERM)
     * are the keeper's to act on, not the application's. */
    setpgid(0, 0);
}

/* Starts the compute process of a restart: the restorer, in the job's
 * working directory, with the channel's descriptor kept across exec. */
static pid_t spawn_restored(const char *image, const char *cwd, struct channel *ch,
                            int out_pipe[2], int err_pipe[2])
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    redirect_output(out_pipe, err_pipe, ch->fd);
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", ch->fd);
    if (fcntl(ch->fd, F_SETFD, 0) != 0 || chdir(cwd) != 0) {
        fprintf(stderr, "mpickpt-run: cannot prepare the restored process (%s): %s\n", cwd,
                strerror(errno));
        _exit(127);
    }
    const char *restorer = restore_path();
    execl(restorer, "mpickpt-restore", "--hook-arg", fd_text, image, (char *)NULL);
    fprintf(stderr, "mpickpt-run: cannot run %s: %s\n", restorer, strerror(errno));
    _exit(127);
}

/* Starts the compute process: the app with the plugin preloaded. */
static pid_t spawn_compute(char **app_argv, const char *plugin, struct channel *ch,
                           int out_pipe[2], int err_pipe[2])
{
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    redirect_output(out_pipe, err_pipe, ch->fd);
    if (launch_env_for_compute(plugin, ch->fd) != 0) {
        fprintf(stderr, "mpickpt-run: cannot prepare the environment: %s\n", strerror(errno));
        _exit(127);
    }
    execvp(app_argv[0], app_argv);
    fprintf(stderr, "mpickpt-run: cannot run %s: %s\n", app_argv[0], strerror(errno));
    _exit(127);
}

/* Creates the channel and starts the compute process (the app, or the
 * restorer of `image`); sets its pid and output pipes' read ends. */
static int start_compute(struct run_args *ra, struct channel *ch, const char *image,
                         const char *cwd, pid_t *compute, int *out_fd, int *err_fd)
{
    const char *plugin = launch_plugin_path();
    if (!image) {
        char why[512];
        if (launch_check_program(ra->app_argv[0], plugin, why, sizeof why) != 0) {
            fprintf(stderr, "mpickpt-run: %s\n", why);
            exit(2);
        }
    }
    int rc = chan_create(ch, CHAN_DEFAULT_HEAP);
    if (rc != 0) {
        fprintf(stderr, "mpickpt-run: cannot create the channel: %s\n", strerror(-rc));
        return -1;
    }
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
        fprintf(stderr, "mpickpt-run: cannot create output pipes: %s\n", strerror(errno));
        return -1;
    }
    if (config_export(&ra->cfg) != 0) {
        fprintf(stderr, "mpickpt-run: cannot export the settings: %s\n", strerror(errno));
        return -1;
    }
    *compute = image ? spawn_restored(image, cwd, ch, out_pipe, err_pipe)
                     : spawn_compute(ra->app_argv, plugin, ch, out_pipe, err_pipe);
    if (*compute < 0) {
        fprintf(stderr, "mpickpt-run: cannot start the compute process: %s\n", strerror(errno));
        return -1;
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    *out_fd = out_pipe[0];
    *err_fd = err_pipe[0];
    return 0;
}

/* Binds a started compute process next to its keeper and says how. */
static void bind_compute(struct compute_started *out)
{
    static struct binding_plan plan;
    binding_apply(out->pid, &plan);
    out->policy = plan.policy;
    out->idle_cores = plan.idle_cores;
    out->binding = plan.where;
}

/* keeper_start_fn of a coordinated job: the compute process, and where it
 * runs. */
static int start_for_keeper(void *ctx, const char *image, const char *cwd, struct channel *ch,
                            struct compute_started *out)
{
    if (start_compute(ctx, ch, image, cwd, &out->pid, &out->out_fd, &out->err_fd) != 0)
        return -1;
    bind_compute(out);
    return 0;
}

/* Maps the channel the plugin created and takes over its compute process
 * and pipes. Returns 0, or -1 after one line. */
static int adopt_compute(struct run_args *ra, struct channel *ch, pid_t *compute, int *out_fd,
                         int *err_fd)
{
    int rc = chan_attach(ch, ra->adopt_fds[1], NULL);
    if (rc != 0) {
        fprintf(stderr, "mpickpt-run: cannot map the channel of libmpickpt.so: %s\n", strerror(-rc));
        return -1;
    }
    *compute = ra->adopt_fds[0];
    *out_fd = ra->adopt_fds[2];
    *err_fd = ra->adopt_fds[3];
    return 0;
}

/* keeper_start_fn of a coordinated job the plugin started: the process it
 * forked first, then as start_for_keeper. */
static int start_adopted_for_keeper(void *ctx, const char *image, const char *cwd,
                                    struct channel *ch, struct compute_started *out)
{
    struct run_args *ra = ctx;
    if (ra->adopted)
        return start_for_keeper(ctx, image, cwd, ch, out);
    ra->adopted = 1;
    if (adopt_compute(ra, ch, &out->pid, &out->out_fd, &out->err_fd) != 0)
        return -1;
    bind_compute(out);
    return 0;
}

/* A protocol that takes checkpoints: coordinated, also by default when
 * checkpoints are asked for (--interval) or a coordinated job restarts. */
static int coordinated(struct run_args *ra)
{
    if (ra->cfg.protocol == MK_PROTOCOL_NONE && (ra->cfg.interval > 0 || ra->restart))
        ra->cfg.protocol = MK_PROTOCOL_COORDINATED;
    return ra->cfg.protocol == MK_PROTOCOL_COORDINATED;
}

int main(int argc, char **argv)
{
    struct run_args ra = {0};
    parse_args(argc, argv, &ra);
    if (coordinated(&ra)) {
        struct channel ch = { .fd = -1 };
        struct keeper_options opt = { .cfg = ra.cfg,
                                      .start = ra.adopt ? start_adopted_for_keeper
                                                        : start_for_keeper,
                                      .start_ctx = &ra, .app_argv = ra.app_argv,
                                      .restart_dir = ra.restart };
        if (ra.adopt && !ra.app_argv[0]) {
            fprintf(stderr, "mpickpt-run: checkpoints need the program's command line, which "
                            "libmpickpt.so could not read\n");
            kill(ra.adopt_fds[0], SIGKILL);
            return 2;
        }
        if (!ra.restart) {
            char why[512];
            if (launch_check_program(ra.app_argv[0], launch_plugin_path(), why, sizeof why) != 0) {
                fprintf(stderr, "mpickpt-run: %s\n", why);
                return 2;
            }
        }
        return keeper_run(&ch, NULL, &opt);
    }

    struct channel ch = { .fd = -1 };
    pid_t compute;
    int out_fd, err_fd;
    if (ra.adopt) {
        if (adopt_compute(&ra, &ch, &compute, &out_fd, &err_fd) != 0)
            return 1;
    } else if (start_compute(&ra, &ch, NULL, NULL, &compute, &out_fd, &err_fd) != 0) {
        return 1;
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
