/*
 * layout_manifest.c — MANIFEST and COMMITTED: what makes an epoch a
 * recovery line, and how anyone can check every byte of it without knowing
 * any file format.
 *
 *   MANIFEST                              COMMITTED
 *   mpickpt-manifest 1                    mpickpt-committed 1
 *   epoch 7                               epoch 7
 *   files 2                               manifest 118 89ab0123cdef4567
 *   rank-0.img 4096 0123456789abcdef 16384
 *   rank-0.keeper 312 fedcba9876543210 0
 *
 * A file line is: name, size, XXH64, uncompressed size (0: not known).
 * COMMITTED holds the size and XXH64 of MANIFEST, so a damaged or swapped
 * MANIFEST is detected, and a damaged COMMITTED either fails to parse or
 * no longer matches MANIFEST: the chain of checksums goes from the tiny
 * COMMITTED down to every byte of every file.
 *
 * Order of commit: every listed file is durable (the ranks wrote them with
 * atomic_file_commit) and checked to exist with its size; MANIFEST is
 * written; COMMITTED is written last. A crash before COMMITTED's rename
 * leaves an uncommitted epoch, which does not exist for recovery.
 */
#include "storage/layout.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storage/layout_internal.h"

#define MANIFEST_MAGIC "mpickpt-manifest 1"
#define COMMITTED_MAGIC "mpickpt-committed 1"
#define COMMITTED_MAX 4096
#define MANIFEST_MAX (64u << 20)
#define PROBLEM_MAX (PATH_MAX + 256)

int layout_entry_of(struct layout_entry *e, const struct atomic_file *f, uint64_t raw_size)
{
    const char *slash = strrchr(f->path, '/');
    const char *name = slash ? slash + 1 : f->path;
    if (strlen(name) >= sizeof e->name) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(e->name, name, strlen(name) + 1);
    e->size = f->size;
    e->xxh64 = f->xxh64;
    e->raw_size = raw_size;
    return 0;
}

/* A file name an epoch may list: a plain name, not one of ours. */
static int entry_name_ok(const char *name)
{
    return layout_id_check(name) == 0 && strcmp(name, "MANIFEST") != 0 &&
           strcmp(name, "COMMITTED") != 0;
}

static int by_entry_name(const void *a, const void *b)
{
    return strcmp(((const struct layout_entry *)a)->name, ((const struct layout_entry *)b)->name);
}

/* ---- commit ------------------------------------------------------------- */

/* Sorted copy of the entries; bad and duplicate names are refused. */
static int sorted_entries(const struct layout_entry *files, size_t count,
                          struct layout_entry **out, char err[LAYOUT_ERROR_MAX])
{
    if (count == 0)
        return layout_bad(err, EINVAL, "cannot commit an epoch with no files");
    struct layout_entry *s = malloc(sizeof *s * count);
    if (!s)
        return layout_fail(err, "cannot allocate %zu manifest entries", count);
    memcpy(s, files, sizeof *s * count);
    qsort(s, count, sizeof *s, by_entry_name);
    for (size_t i = 0; i < count; i++) {
        if (!entry_name_ok(s[i].name) || (i > 0 && strcmp(s[i - 1].name, s[i].name) == 0)) {
            layout_bad(err, EINVAL, "cannot commit: bad or duplicate file name \"%s\"", s[i].name);
            free(s);
            return -1;
        }
    }
    *out = s;
    return 0;
}

/* Every listed file is there with its size. */
static int check_present(const struct layout_job *job, uint64_t epoch,
                         const struct layout_entry *files, size_t count, char err[LAYOUT_ERROR_MAX])
{
    for (size_t i = 0; i < count; i++) {
        char path[PATH_MAX];
        struct stat st;
        if (layout_epoch_path(job, epoch, files[i].name, path) < 0)
            return layout_fail(err, "cannot name %s of epoch %" PRIu64, files[i].name, epoch);
        if (lstat(path, &st) < 0)
            return layout_fail(err, "cannot commit epoch %" PRIu64 ": cannot stat %s", epoch, path);
        if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size != files[i].size)
            return layout_bad(err, EIO,
                              "cannot commit epoch %" PRIu64 ": %s has %lld bytes, expected %" PRIu64,
                              epoch, path, (long long)st.st_size, files[i].size);
    }
    return 0;
}

static int write_manifest(const char *path, uint64_t epoch, const struct layout_entry *files,
                          size_t count, struct atomic_file *f, char err[LAYOUT_ERROR_MAX])
{
    char *text;
    size_t len;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return layout_fail(err, "cannot format %s", path);
    fprintf(out, "%s\nepoch %" PRIu64 "\nfiles %zu\n", MANIFEST_MAGIC, epoch, count);
    for (size_t i = 0; i < count; i++) {
        char hex[17];
        layout_hex64(files[i].xxh64, hex);
        fprintf(out, "%s %" PRIu64 " %s %" PRIu64 "\n", files[i].name, files[i].size, hex,
                files[i].raw_size);
    }
    if (fclose(out) != 0) {
        free(text);
        return layout_fail(err, "cannot format %s", path);
    }
    int rc = atomic_file_open(f, path, err) < 0 || atomic_file_write(f, text, len, err) < 0 ||
                     atomic_file_commit(f, err) < 0
                 ? -1
                 : 0;
    free(text);
    return rc;
}

static int write_committed(const char *path, uint64_t epoch, const struct atomic_file *manifest,
                           char err[LAYOUT_ERROR_MAX])
{
    char text[256], hex[17];
    layout_hex64(manifest->xxh64, hex);
    int len = snprintf(text, sizeof text, "%s\nepoch %" PRIu64 "\nmanifest %" PRIu64 " %s\n",
                       COMMITTED_MAGIC, epoch, manifest->size, hex);
    return atomic_write_file(path, text, (size_t)len, err);
}

/* The epoch's directory entries, and its own entry in epochs/, are durable
 * before anything vouches for them. */
static int sync_epoch_dirs(const struct layout_job *job, uint64_t epoch, char err[LAYOUT_ERROR_MAX])
{
    char dir[PATH_MAX], epochs[PATH_MAX];
    if (layout_epoch_path(job, epoch, NULL, dir) < 0 ||
        layout_path(epochs, "%s/epochs", job->dir) < 0)
        return layout_fail(err, "cannot name epoch %" PRIu64 " of %s", epoch, job->dir);
    if (layout_fsync_dir(dir, err) < 0)
        return -1;
    return layout_fsync_dir(epochs, err);
}

int layout_epoch_commit(const struct layout_job *job, uint64_t epoch,
                        const struct layout_entry *files, size_t count, char err[LAYOUT_ERROR_MAX])
{
    char manifest[PATH_MAX], committed[PATH_MAX];
    struct layout_entry *sorted = NULL;
    struct atomic_file f;
    struct stat st;
    if (layout_epoch_path(job, epoch, "MANIFEST", manifest) < 0 ||
        layout_epoch_path(job, epoch, "COMMITTED", committed) < 0)
        return layout_fail(err, "cannot name the files of epoch %" PRIu64 " in %s", epoch, job->dir);
    if (lstat(committed, &st) == 0)
        return layout_bad(err, EEXIST, "cannot commit epoch %" PRIu64 ": %s exists already", epoch,
                          committed);
    if (sorted_entries(files, count, &sorted, err) < 0)
        return -1;
    int rc = check_present(job, epoch, sorted, count, err) < 0 ||
                     sync_epoch_dirs(job, epoch, err) < 0 ||
                     write_manifest(manifest, epoch, sorted, count, &f, err) < 0 ||
                     write_committed(committed, epoch, &f, err) < 0
                 ? -1
                 : 0;
    free(sorted);
    return rc;
}

/* ---- reading -------------------------------------------------------------- */

/* Reads the line at *p into `line` (NUL-terminated) and moves past it. */
static int next_line(const char **p, char *line, size_t size)
{
    const char *nl = strchr(*p, '\n');
    if (!nl || (size_t)(nl - *p) >= size)
        return -1;
    memcpy(line, *p, (size_t)(nl - *p));
    line[nl - *p] = '\0';
    *p = nl + 1;
    return 0;
}

/* "epoch N" matching the directory's number. */
static int epoch_line(const char **p, uint64_t epoch)
{
    char line[64], number[32];
    uint64_t n;
    return next_line(p, line, sizeof line) == 0 && sscanf(line, "epoch %31s", number) == 1 &&
                   layout_parse_u64(number, &n) == 0 && n == epoch
               ? 0
               : -1;
}

static int read_committed(const char *path, uint64_t epoch, uint64_t *size, uint64_t *sum,
                          char err[LAYOUT_ERROR_MAX])
{
    char *text, line[128], hex[32];
    size_t len;
    if (layout_read_small(path, COMMITTED_MAX, &text, &len, err) < 0)
        return -1;
    const char *p = text;
    int ok = next_line(&p, line, sizeof line) == 0 && strcmp(line, COMMITTED_MAGIC) == 0 &&
             epoch_line(&p, epoch) == 0 && next_line(&p, line, sizeof line) == 0 &&
             sscanf(line, "manifest %" SCNu64 " %31s", size, hex) == 2 &&
             layout_parse_hex64(hex, strlen(hex), sum) == 0 && *p == '\0';
    free(text);
    return ok ? 0 : layout_bad(err, EBADMSG, "%s: damaged (not a COMMITTED of epoch %" PRIu64 ")",
                               path, epoch);
}

static int parse_entry(const char *line, struct layout_entry *e)
{
    char hex[32];
    return sscanf(line, "%63s %" SCNu64 " %31s %" SCNu64, e->name, &e->size, hex, &e->raw_size) == 4 &&
                   entry_name_ok(e->name) && layout_parse_hex64(hex, strlen(hex), &e->xxh64) == 0
               ? 0
               : -1;
}

static int parse_manifest(const char *text, uint64_t epoch, struct layout_manifest *m)
{
    char line[256];
    const char *p = text;
    size_t count;
    if (next_line(&p, line, sizeof line) < 0 || strcmp(line, MANIFEST_MAGIC) != 0 ||
        epoch_line(&p, epoch) < 0 || next_line(&p, line, sizeof line) < 0 ||
        sscanf(line, "files %zu", &count) != 1 || count == 0 || count > MANIFEST_MAX / 32)
        return -1;
    m->files = calloc(count, sizeof *m->files);
    if (!m->files)
        return -1;
    m->count = count;
    for (size_t i = 0; i < count; i++)
        if (next_line(&p, line, sizeof line) < 0 || parse_entry(line, &m->files[i]) < 0 ||
            (i > 0 && strcmp(m->files[i - 1].name, m->files[i].name) >= 0))
            return -1;
    return *p == '\0' ? 0 : -1;
}

int layout_manifest_read(const struct layout_job *job, uint64_t epoch, struct layout_manifest *m,
                         char err[LAYOUT_ERROR_MAX])
{
    char committed[PATH_MAX], manifest[PATH_MAX], *text;
    uint64_t size, sum;
    size_t len;
    memset(m, 0, sizeof *m);
    m->epoch = epoch;
    if (layout_epoch_path(job, epoch, "COMMITTED", committed) < 0 ||
        layout_epoch_path(job, epoch, "MANIFEST", manifest) < 0)
        return layout_fail(err, "cannot name the files of epoch %" PRIu64 " in %s", epoch, job->dir);
    if (read_committed(committed, epoch, &size, &sum, err) < 0 ||
        layout_read_small(manifest, MANIFEST_MAX, &text, &len, err) < 0)
        return -1;
    int rc = 0;
    if (len != size || xxh64(text, len, 0) != sum)
        rc = layout_bad(err, EBADMSG, "%s: checksum mismatch (COMMITTED vouches for %" PRIu64
                        " bytes with XXH64 %016" PRIx64 ")", manifest, size, sum);
    else if (parse_manifest(text, epoch, m) < 0)
        rc = layout_bad(err, EBADMSG, "%s: damaged (checksum right, contents not a manifest)",
                        manifest);
    free(text);
    if (rc < 0)
        layout_manifest_free(m);
    return rc;
}

void layout_manifest_free(struct layout_manifest *m)
{
    free(m->files);
    m->files = NULL;
    m->count = 0;
}

/* ---- verification --------------------------------------------------------- */

struct verifying {
    const struct layout_job *job;
    uint64_t epoch;
    layout_report_fn *report;
    void *ctx;
    int problems;
};

static void problem(struct verifying *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void problem(struct verifying *v, const char *fmt, ...)
{
    char line[PROBLEM_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    v->problems++;
    if (v->report)
        v->report(v->ctx, line);
}

static void check_entry(struct verifying *v, const struct layout_entry *e, enum layout_check check)
{
    char path[PATH_MAX], err[LAYOUT_ERROR_MAX];
    struct stat st;
    uint64_t size, sum;
    if (layout_epoch_path(v->job, v->epoch, e->name, path) < 0) {
        problem(v, "%s/epochs/%" PRIu64 "/%s: path too long", v->job->dir, v->epoch, e->name);
        return;
    }
    if (lstat(path, &st) < 0) {
        problem(v, "%s: %s", path, errno == ENOENT ? "missing" : strerror(errno));
        return;
    }
    if (!S_ISREG(st.st_mode)) {
        problem(v, "%s: not a regular file", path);
        return;
    }
    if ((uint64_t)st.st_size != e->size) {
        problem(v, "%s: %lld bytes, the manifest says %" PRIu64, path,
                       (long long)st.st_size, e->size);
        return;
    }
    if (check == LAYOUT_CHECK_SIZES)
        return;
    if (layout_file_sum(path, &size, &sum, err) < 0) {
        problem(v, "%s", err);
        return;
    }
    if (size != e->size || sum != e->xxh64)
        problem(v, "%s: checksum mismatch (XXH64 %016" PRIx64 ", the manifest says %016" PRIx64 ")",
                path, sum, e->xxh64);
}

/* Files in the epoch that the manifest does not vouch for. */
static void check_unlisted(struct verifying *v, const struct layout_manifest *m)
{
    char dir[PATH_MAX];
    if (layout_epoch_path(v->job, v->epoch, NULL, dir) < 0) {
        problem(v, "%s/epochs/%" PRIu64 ": path too long", v->job->dir, v->epoch);
        return;
    }
    DIR *d = opendir(dir);
    if (!d) {
        problem(v, "%s: cannot list: %s", dir, strerror(errno));
        return;
    }
    struct dirent *e;
    struct layout_entry key;
    while ((errno = 0, e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "MANIFEST") == 0 ||
            strcmp(e->d_name, "COMMITTED") == 0)
            continue;
        size_t len = strlen(e->d_name);
        if (len < sizeof key.name)
            memcpy(key.name, e->d_name, len + 1);
        if (len >= sizeof key.name ||
            !bsearch(&key, m->files, m->count, sizeof key, by_entry_name))
            problem(v, "%s/%s: not listed in the manifest", dir, e->d_name);
    }
    if (errno)
        problem(v, "%s: cannot list: %s", dir, strerror(errno));
    closedir(d);
}

int layout_epoch_verify(const struct layout_job *job, uint64_t epoch, enum layout_check check,
                        layout_report_fn *report, void *ctx)
{
    struct verifying v = { job, epoch, report, ctx, 0 };
    struct layout_manifest m;
    char err[LAYOUT_ERROR_MAX];
    if (layout_manifest_read(job, epoch, &m, err) < 0) {
        problem(&v, "%s", err);
        return v.problems;
    }
    for (size_t i = 0; i < m.count; i++)
        check_entry(&v, &m.files[i], check);
    check_unlisted(&v, &m);
    layout_manifest_free(&m);
    return v.problems;
}
