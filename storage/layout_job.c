/*
 * layout_job.c — the job directory: its id, its creation (sub-directories
 * first, job.json last, so a job directory with job.json is complete), its
 * per-rank paths outside epochs, and the jobs under a checkpoint root.
 */
#include "storage/layout.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/layout_internal.h"

#define JOB_JSON_MAX (1 << 20)

int layout_id_check(const char *id)
{
    size_t len = strlen(id);
    if (len == 0 || len >= LAYOUT_ID_MAX || id[0] == '.')
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", id[i]))
            return -1;
    return 0;
}

int layout_job_id_new(char id[LAYOUT_ID_MAX], char err[LAYOUT_ERROR_MAX])
{
    uint32_t random;
    time_t now = time(NULL);
    struct tm tm;
    char stamp[32];
    if (getrandom(&random, sizeof random, 0) != (ssize_t)sizeof random)
        return layout_fail(err, "cannot get random bytes for a job id");
    if (!gmtime_r(&now, &tm) || strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm) == 0)
        return layout_bad(err, EOVERFLOW, "cannot format the time for a job id");
    snprintf(id, LAYOUT_ID_MAX, "%s-%08x", stamp, (unsigned)random);
    return 0;
}

/* <job>/<rel> */
static int job_file(const struct layout_job *job, const char *rel, char out[PATH_MAX],
                    char err[LAYOUT_ERROR_MAX])
{
    if (layout_path(out, "%s/%s", job->dir, rel) < 0)
        return layout_fail(err, "cannot name %s in %s", rel, job->dir);
    return 0;
}

/* mkdir -p, each new level made durable. */
static int make_root(const char *root, char err[LAYOUT_ERROR_MAX])
{
    char path[PATH_MAX];
    if (layout_path(path, "%s", root) < 0)
        return layout_fail(err, "cannot use %s as the checkpoint directory", root);
    for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
        *slash = '\0';
        int rc = layout_mkdir(path, err);
        *slash = '/';
        if (rc < 0)
            return -1;
    }
    return layout_mkdir(path, err);
}

int layout_job_create(struct layout_job *job, const char *root,
                      const struct layout_job_info *info, char err[LAYOUT_ERROR_MAX])
{
    static const char *const subdirs[] = { "epochs", "events", "stats", "output" };
    char path[PATH_MAX];
    if (layout_id_check(info->id) < 0)
        return layout_bad(err, EINVAL, "cannot create a job directory: bad job id \"%s\"", info->id);
    if (make_root(root, err) < 0)
        return -1;
    if (layout_path(job->dir, "%s/%s", root, info->id) < 0)
        return layout_fail(err, "cannot name the job directory of %s in %s", info->id, root);
    if (mkdir(job->dir, 0755) < 0)
        return layout_fail(err, "cannot create job directory %s", job->dir);
    if (layout_fsync_dir(root, err) < 0)
        return -1;
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++)
        if (job_file(job, subdirs[i], path, err) < 0 || layout_mkdir(path, err) < 0)
            return -1;
    return layout_job_info_write(job, info, err);
}

int layout_job_open(struct layout_job *job, const char *dir, char err[LAYOUT_ERROR_MAX])
{
    char path[PATH_MAX];
    struct stat st;
    if (layout_path(job->dir, "%s", dir) < 0)
        return layout_fail(err, "cannot use %s as a job directory", dir);
    if (job_file(job, "job.json", path, err) < 0)
        return -1;
    if (stat(path, &st) < 0)
        return layout_fail(err, "%s is not a job directory: cannot stat %s", dir, path);
    return 0;
}

int layout_job_info_write(const struct layout_job *job, const struct layout_job_info *info,
                          char err[LAYOUT_ERROR_MAX])
{
    char path[PATH_MAX], *text;
    size_t len;
    if (job_file(job, "job.json", path, err) < 0)
        return -1;
    if (layout_job_json_encode(info, &text, &len) < 0)
        return layout_fail(err, "cannot format %s", path);
    int rc = atomic_write_file(path, text, len, err);
    free(text);
    return rc;
}

int layout_job_info_read(const struct layout_job *job, struct layout_job_info *info,
                         char err[LAYOUT_ERROR_MAX])
{
    char path[PATH_MAX], *text, why[LAYOUT_ERROR_MAX];
    size_t len;
    if (job_file(job, "job.json", path, err) < 0 ||
        layout_read_small(path, JOB_JSON_MAX, &text, &len, err) < 0)
        return -1;
    int rc = layout_job_json_decode(text, len, info, why);
    free(text);
    if (rc < 0)
        return layout_bad(err, errno, "%s: %s", path, why);
    return 0;
}

int layout_events_path(const struct layout_job *job, int rank, char out[PATH_MAX])
{
    return layout_path(out, "%s/events/rank-%d.log", job->dir, rank);
}

int layout_output_path(const struct layout_job *job, int rank, char out[PATH_MAX])
{
    return layout_path(out, "%s/stats/rank-%d.output", job->dir, rank);
}

int layout_output_copy_path(const struct layout_job *job, int rank, int stream,
                            char out[PATH_MAX])
{
    return layout_path(out, "%s/output/rank-%d.%s", job->dir, rank, stream ? "stderr" : "stdout");
}

int layout_stats_path(const struct layout_job *job, int rank, char out[PATH_MAX])
{
    return layout_path(out, "%s/stats/rank-%d.json", job->dir, rank);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* 1 if <root>/<name> has a job.json. */
static int is_job(const char *root, const char *name)
{
    char path[PATH_MAX];
    struct stat st;
    return layout_id_check(name) == 0 && layout_path(path, "%s/%s/job.json", root, name) == 0 &&
           stat(path, &st) == 0;
}

static int add_name(char ***ids, size_t *count, const char *name)
{
    char *copy = strdup(name);
    char **grown = copy ? realloc(*ids, sizeof **ids * (*count + 1)) : NULL;
    if (!grown) {
        free(copy);
        return -1;
    }
    grown[(*count)++] = copy;
    *ids = grown;
    return 0;
}

int layout_list_jobs(const char *root, char ***ids, size_t *count, char err[LAYOUT_ERROR_MAX])
{
    DIR *d = opendir(root);
    struct dirent *e;
    *ids = NULL;
    *count = 0;
    if (!d)
        return layout_fail(err, "cannot open checkpoint directory %s", root);
    while ((errno = 0, e = readdir(d)) != NULL)
        if (is_job(root, e->d_name) && add_name(ids, count, e->d_name) < 0)
            break;
    int rc = errno ? layout_fail(err, "cannot list jobs in %s", root) : 0;
    closedir(d);
    if (rc < 0) {
        for (size_t i = 0; i < *count; i++)
            free((*ids)[i]);
        free(*ids);
        *ids = NULL;
        *count = 0;
        return -1;
    }
    qsort(*ids, *count, sizeof **ids, by_name);
    return 0;
}
