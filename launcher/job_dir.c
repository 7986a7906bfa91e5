/*
 * job_dir.c — a job's directory as the keepers create and reopen it
 * (see job_dir.h).
 */
#include "launcher/job_dir.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "launcher/launch_env.h"

#define JOB_ENV_MAX 16   /* entries of job.json's env: PWD and the settings */

/* Where the job ran and its settings, which a restart reuses. Returns the
 * number of entries, or -1 with errno set. */
static int job_env(const struct mk_config *cfg, char *env[JOB_ENV_MAX],
                   char buf[JOB_ENV_MAX][PATH_MAX + 32])
{
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd))
        return -1;
    snprintf(buf[0], sizeof buf[0], "PWD=%s", cwd);
    int n = 1, more;
    while (n < JOB_ENV_MAX && (more = config_env_entry(cfg, (size_t)n - 1, buf[n], sizeof buf[n])) > 0)
        n++;
    if (n == JOB_ENV_MAX || more < 0) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (int i = 0; i < n; i++)
        env[i] = buf[i];
    return n;
}

/* The program as an absolute path, and its XXH64. */
static int identify_binary(const char *program, char path[PATH_MAX], uint64_t *xxh,
                           char err[LAYOUT_ERROR_MAX])
{
    char found[PATH_MAX];
    uint64_t size;
    if (launch_resolve(program, found, sizeof found) != 0 || !realpath(found, path)) {
        snprintf(err, LAYOUT_ERROR_MAX, "cannot find the program %s: %s", program,
                 strerror(errno));
        return -1;
    }
    return layout_file_sum(path, &size, xxh, err);
}

int job_dir_create(const struct mk_config *cfg, char **app_argv, int np,
                   struct layout_job *job, char err[LAYOUT_ERROR_MAX])
{
    struct layout_job_info info = { .np = np, .created = time(NULL) };
    char binary[PATH_MAX], *env[JOB_ENV_MAX];
    static char env_buf[JOB_ENV_MAX][PATH_MAX + 32];
    snprintf(info.protocol, sizeof info.protocol, "%s", config_protocol_name(cfg->protocol));
    if (identify_binary(app_argv[0], binary, &info.binary_xxh64, err) != 0 ||
        layout_job_id_new(info.id, err) != 0)
        return -1;
    if ((info.envc = job_env(cfg, env, env_buf)) < 0) {
        snprintf(err, LAYOUT_ERROR_MAX, "cannot record the working directory and settings: %s",
                 strerror(errno));
        return -1;
    }
    while (app_argv[info.argc])
        info.argc++;
    char *argv0 = app_argv[0];
    app_argv[0] = binary; /* a restart checks the very file that ran */
    info.argv = app_argv;
    info.env = env;
    int rc = layout_job_create(job, cfg->dir, &info, err);
    app_argv[0] = argv0;
    return rc;
}

void job_dir_cwd(const struct layout_job_info *info, char cwd[PATH_MAX])
{
    snprintf(cwd, PATH_MAX, "/");
    for (int i = 0; i < info->envc; i++)
        if (strncmp(info->env[i], "PWD=", 4) == 0)
            snprintf(cwd, PATH_MAX, "%s", info->env[i] + 4);
}

