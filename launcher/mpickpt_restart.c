/*
 * mpickpt_restart.c — `mpickpt-restart`, relaunching a checkpointed job
 * (DESIGN §8, job recovery):
 *
 *   mpickpt-restart JOBDIR [-- MPIRUN-OPTIONS...]
 *
 * Checks before anything runs, refusing with one line and exit status 2:
 * JOBDIR is a job directory (job.json reads back), the job is one this
 * version can restart (np = 1), its program is still the binary that was
 * checkpointed (XXH64 recorded in job.json), and it has a valid committed
 * epoch (each skipped epoch gets one line). Then it becomes
 *
 *   mpirun -np 1 [-x MPICKPT_...] MPIRUN-OPTIONS mpickpt-run --restart=JOBDIR
 *
 * with the settings the job ran with (job.json's MPICKPT_* entries) in the
 * environment, so the restarted job keeps checkpointing as before.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "storage/layout.h"

static _Noreturn __attribute__((format(printf, 1, 2))) void refuse(const char *fmt, ...)
{
    char msg[LAYOUT_ERROR_MAX + PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mpickpt-restart: %s\n", msg); /* one write: one line */
    exit(2);
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: mpickpt-restart JOBDIR [-- MPIRUN-OPTIONS...]\n"
                 "Restarts the job checkpointed in JOBDIR (a directory under mpickpt-run's\n"
                 "--dir) from its newest valid checkpoint.\n"
                 "Environment: MPIRUN (default mpirun), MPICKPT_KEEPER (mpickpt-run).\n");
}

/* The binary that ran must be the one that would be restored into. */
static void check_binary(const struct layout_job_info *info)
{
    char err[LAYOUT_ERROR_MAX];
    uint64_t size, xxh;
    if (info->argc < 1)
        refuse("job.json records no program");
    if (layout_file_sum(info->argv[0], &size, &xxh, err) != 0)
        refuse("cannot read the job's program: %s", err);
    if (xxh != info->binary_xxh64)
        refuse("%s changed since it was checkpointed (its XXH64 differs); refusing to restart",
               info->argv[0]);
}

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* mpirun's command line; job.json's MPICKPT_* settings go to the
 * environment and are forwarded with -x. */
static char **mpirun_argv(const struct layout_job_info *info, const char *job_dir,
                          char **extra, int nextra)
{
    size_t n = 0, cap = 8 + 2 * (size_t)info->envc + (size_t)nextra;
    char **av = calloc(cap, sizeof *av);
    static char restart_arg[PATH_MAX + 16];
    if (!av)
        refuse("out of memory: %s", strerror(errno));
    av[n++] = (char *)env_or("MPIRUN", "mpirun");
    av[n++] = "-np";
    av[n++] = "1";
    for (int i = 0; i < info->envc; i++) {
        char *eq = strchr(info->env[i], '=');
        if (strncmp(info->env[i], "MPICKPT_", 8) != 0 || !eq)
            continue;
        *eq = '\0';
        setenv(info->env[i], eq + 1, 1);
        av[n++] = "-x";
        av[n++] = info->env[i];
    }
    for (int i = 0; i < nextra; i++)
        av[n++] = extra[i];
    snprintf(restart_arg, sizeof restart_arg, "--restart=%s", job_dir);
    av[n++] = (char *)env_or("MPICKPT_KEEPER", MPICKPT_KEEPER_PATH);
    av[n++] = restart_arg;
    av[n] = NULL;
    return av;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (argc < 2 || (argc > 2 && strcmp(argv[2], "--") != 0)) {
        usage(stderr);
        return 2;
    }
    const char *dir = argv[1];
    char err[LAYOUT_ERROR_MAX];
    struct layout_job job;
    struct layout_job_info info;
    if (layout_job_open(&job, dir, err) != 0 || layout_job_info_read(&job, &info, err) != 0)
        refuse("cannot restart: %s", err);
    if (info.np != 1)
        refuse("%s ran on np = %d, which cannot be restarted yet", dir, info.np);
    check_binary(&info);
    uint64_t epoch;
    int found = layout_find_recovery_line(&job, LAYOUT_CHECK_FULL, stderr, &epoch, err);
    if (found < 0)
        refuse("%s: %s", dir, err);
    if (found == 0)
        refuse("%s has no valid committed checkpoint", dir);
    char **av = mpirun_argv(&info, job.dir, argv + 3, argc > 3 ? argc - 3 : 0);
    execvp(av[0], av);
    refuse("cannot run %s: %s", av[0], strerror(errno));
}
