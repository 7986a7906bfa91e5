/*
 * layout.c — the epochs of a job: their paths, their creation, the
 * search for the recovery line (newest valid committed epoch, falling back
 * to older ones), and retention.
 *
 * Retention never lets a half-removed epoch be seen: an epoch is first
 * renamed to epochs/.removing-<n> (one atomic step, made durable by a
 * directory fsync), then emptied. A crash in between leaves a dot-name,
 * which is no epoch and which the next retention removes.
 */
#include "storage/layout.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage/layout_internal.h"

#define REMOVING_PREFIX ".removing-"

int layout_epoch_path(const struct layout_job *job, uint64_t epoch, const char *name,
                      char out[PATH_MAX])
{
    if (name)
        return layout_path(out, "%s/epochs/%" PRIu64 "/%s", job->dir, epoch, name);
    return layout_path(out, "%s/epochs/%" PRIu64, job->dir, epoch);
}

void layout_rank_name(int rank, enum layout_rank_file kind, char out[LAYOUT_NAME_MAX])
{
    snprintf(out, LAYOUT_NAME_MAX, "rank-%d.%s", rank, kind == LAYOUT_IMAGE ? "img" : "keeper");
}

int layout_rank_path(const struct layout_job *job, uint64_t epoch, int rank,
                     enum layout_rank_file kind, char out[PATH_MAX])
{
    char name[LAYOUT_NAME_MAX];
    layout_rank_name(rank, kind, name);
    return layout_epoch_path(job, epoch, name, out);
}

static int epochs_dir(const struct layout_job *job, char out[PATH_MAX], char err[LAYOUT_ERROR_MAX])
{
    if (layout_path(out, "%s/epochs", job->dir) < 0)
        return layout_fail(err, "cannot name the epochs of %s", job->dir);
    return 0;
}

static int is_committed(const struct layout_job *job, uint64_t epoch)
{
    char path[PATH_MAX];
    struct stat st;
    return layout_epoch_path(job, epoch, "COMMITTED", path) == 0 && lstat(path, &st) == 0;
}

int layout_epoch_create(const struct layout_job *job, uint64_t epoch, char err[LAYOUT_ERROR_MAX])
{
    char dir[PATH_MAX];
    if (layout_epoch_path(job, epoch, NULL, dir) < 0)
        return layout_fail(err, "cannot name epoch %" PRIu64 " of %s", epoch, job->dir);
    if (is_committed(job, epoch))
        return layout_bad(err, EEXIST, "cannot write epoch %" PRIu64 " of %s: it is committed",
                          epoch, job->dir);
    return layout_mkdir(dir, err);
}

/* ---- listing -------------------------------------------------------------- */

static int by_number(const void *a, const void *b)
{
    uint64_t x = ((const struct layout_epoch *)a)->number;
    uint64_t y = ((const struct layout_epoch *)b)->number;
    return (x > y) - (x < y);
}

static int add_epoch(struct layout_epoch **out, size_t *count, uint64_t number, int committed)
{
    struct layout_epoch *grown = realloc(*out, sizeof **out * (*count + 1));
    if (!grown)
        return -1;
    grown[*count].number = number;
    grown[*count].committed = committed;
    ++*count;
    *out = grown;
    return 0;
}

int layout_list_epochs(const struct layout_job *job, struct layout_epoch **out, size_t *count,
                       char err[LAYOUT_ERROR_MAX])
{
    char dir[PATH_MAX];
    *out = NULL;
    *count = 0;
    if (epochs_dir(job, dir, err) < 0)
        return -1;
    DIR *d = opendir(dir);
    if (!d)
        return layout_fail(err, "cannot open %s", dir);
    struct dirent *e;
    uint64_t n;
    while ((errno = 0, e = readdir(d)) != NULL)
        if (layout_parse_u64(e->d_name, &n) == 0 &&
            add_epoch(out, count, n, is_committed(job, n)) < 0)
            break;
    int rc = errno ? layout_fail(err, "cannot list %s", dir) : 0;
    closedir(d);
    if (rc < 0) {
        free(*out);
        *out = NULL;
        *count = 0;
        return -1;
    }
    qsort(*out, *count, sizeof **out, by_number);
    return 0;
}

/* ---- the recovery line ----------------------------------------------------- */

/* Keeps the first problem of an epoch, for the fallback line. */
static void first_problem(void *ctx, const char *problem)
{
    char *first = ctx;
    if (first[0] == '\0')
        snprintf(first, LAYOUT_ERROR_MAX, "%s", problem);
}

/* The committed epoch before index i, or -1. */
static long older_committed(const struct layout_epoch *e, long i)
{
    while (--i >= 0 && !e[i].committed)
        ;
    return i;
}

int layout_find_recovery_line(const struct layout_job *job, enum layout_check check, FILE *log,
                              uint64_t *epoch, char err[LAYOUT_ERROR_MAX])
{
    struct layout_epoch *e;
    size_t count;
    if (layout_list_epochs(job, &e, &count, err) < 0)
        return -1;
    long i = older_committed(e, (long)count);
    while (i >= 0) {
        char first[LAYOUT_ERROR_MAX] = "";
        if (layout_epoch_verify(job, e[i].number, check, first_problem, first) == 0)
            break;
        long next = older_committed(e, i);
        if (log && next >= 0)
            fprintf(log, "mpickpt: %s: epoch %" PRIu64 " is not a usable recovery line (%s); "
                         "falling back to epoch %" PRIu64 "\n",
                    job->dir, e[i].number, first, e[next].number);
        else if (log)
            fprintf(log, "mpickpt: %s: epoch %" PRIu64 " is not a usable recovery line (%s); "
                         "no older committed epoch: starting afresh\n",
                    job->dir, e[i].number, first);
        i = next;
    }
    if (i >= 0)
        *epoch = e[i].number;
    free(e);
    return i >= 0;
}

/* ---- retention ------------------------------------------------------------ */

/* Renames epochs/<n> to a dot-name (durably), then removes it. */
static int remove_epoch(const char *epochs, uint64_t n, char err[LAYOUT_ERROR_MAX])
{
    char from[PATH_MAX], to[PATH_MAX];
    if (layout_path(from, "%s/%" PRIu64, epochs, n) < 0 ||
        layout_path(to, "%s/" REMOVING_PREFIX "%" PRIu64, epochs, n) < 0)
        return layout_fail(err, "cannot name epoch %" PRIu64 " in %s", n, epochs);
    if (rename(from, to) < 0)
        return layout_fail(err, "cannot rename %s to %s to remove it", from, to);
    if (layout_fsync_dir(epochs, err) < 0)
        return -1;
    return layout_remove_tree(to, err);
}

/* Removes what interrupted removals left behind. */
static int remove_leftovers(const char *epochs, char err[LAYOUT_ERROR_MAX])
{
    DIR *d = opendir(epochs);
    if (!d)
        return layout_fail(err, "cannot open %s", epochs);
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
        char path[PATH_MAX];
        if (strncmp(e->d_name, REMOVING_PREFIX, strlen(REMOVING_PREFIX)) != 0)
            continue;
        if (layout_path(path, "%s/%s", epochs, e->d_name) < 0)
            rc = layout_fail(err, "cannot name %s in %s", e->d_name, epochs);
        else
            rc = layout_remove_tree(path, err);
    }
    if (rc == 0 && errno)
        rc = layout_fail(err, "cannot list %s", epochs);
    closedir(d);
    return rc;
}

int layout_retain(const struct layout_job *job, unsigned keep, char err[LAYOUT_ERROR_MAX])
{
    char epochs[PATH_MAX];
    struct layout_epoch *e;
    size_t count;
    if (keep < 1)
        return layout_bad(err, EINVAL, "cannot keep fewer than 1 committed epoch");
    if (epochs_dir(job, epochs, err) < 0 || remove_leftovers(epochs, err) < 0 ||
        layout_list_epochs(job, &e, &count, err) < 0)
        return -1;
    long newest = older_committed(e, (long)count);
    unsigned kept = 0;
    int rc = 0;
    for (long i = newest; rc == 0 && i >= 0; i--) {
        if (e[i].committed && ++kept <= keep)
            continue;
        rc = remove_epoch(epochs, e[i].number, err);
    }
    free(e);
    return rc;
}
