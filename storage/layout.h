/*
 * layout.h — the checkpoint directory of a job and its crash-safe commit
 * rules (DESIGN §6). Image and keeper files are opaque here: the layout
 * knows their names, sizes and checksums, never their formats.
 *
 *   <root>/<job-id>/
 *     job.json                 argv, env subset, np, protocol, binary hash,
 *                              created; its last field checksums the rest
 *     epochs/<n>/rank-<r>.img  compute image      (written by the rank)
 *     epochs/<n>/rank-<r>.keeper  keeper state    (written by the rank)
 *     epochs/<n>/MANIFEST      every file of the epoch: name, size, XXH64
 *     epochs/<n>/COMMITTED     epoch number and the MANIFEST's size and XXH64
 *     events/rank-<r>.log      causal mode
 *     stats/rank-<r>.json      per-rank counters of the last run
 *     stats/rank-<r>.output    the rank's output positions
 *     output/rank-<r>.stdout   the rank's whole stdout, and .stderr its
 *                              stderr, across every run of the job
 *
 * Invariants:
 * - Every file is written with storage/layout_atomic.h: complete under its
 *   final name or absent. Names starting with '.' are temporaries, never
 *   part of anything. The exceptions are the output files
 *   (stats/rank-<r>.output, output/), which the keepers write in place as
 *   the output goes by (launcher/supervise.h).
 * - An epoch is a recovery line iff its COMMITTED exists and everything it
 *   vouches for checks out: COMMITTED is written last, after MANIFEST, after
 *   every rank's files are durable. An epoch without COMMITTED does not exist
 *   for recovery; a committed epoch that fails a check is skipped, falling
 *   back to the previous committed one.
 * - Nothing is ever modified in a committed epoch. A committed epoch is
 *   removed only by retention, only when `keep` newer committed epochs exist;
 *   removal first renames it to a dot-name, so it is never half-visible.
 *
 * Errors: functions returning int give 0 (or a count) on success and -1 on
 * failure, with one line in `err` naming what was attempted, on which path,
 * and why (errno text).
 */
#ifndef MPICKPT_STORAGE_LAYOUT_H
#define MPICKPT_STORAGE_LAYOUT_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "storage/layout_atomic.h"

#define LAYOUT_ID_MAX 64          /* job id, with its NUL */
#define LAYOUT_NAME_MAX 64        /* file name inside an epoch, with its NUL */
#define LAYOUT_KEEP_DEFAULT 2     /* committed epochs kept by retention */

/* ---- the job ------------------------------------------------------------ */

/* A job directory, <root>/<job-id>. */
struct layout_job {
    char dir[PATH_MAX];
};

/* What job.json records. */
struct layout_job_info {
    char id[LAYOUT_ID_MAX];
    int np;
    char protocol[32];
    uint64_t binary_xxh64;        /* of the application's executable */
    int64_t created;              /* seconds since the Unix epoch */
    int argc;
    char **argv;
    int envc;
    char **env;                   /* "NAME=value" */
};

/* A fresh job id, "<UTC yyyymmddThhmmssZ>-<8 random hex digits>". */
int layout_job_id_new(char id[LAYOUT_ID_MAX], char err[LAYOUT_ERROR_MAX]);
/* 0 if `id` is usable as a directory name: 1 to 63 of [A-Za-z0-9._-], not
 * starting with '.'. */
int layout_id_check(const char *id);

/* Creates <root>/<info->id> (the root too, if needed) with its epochs/,
 * events/ and stats/ directories, then job.json last: a job directory with
 * job.json is complete. An existing job directory is an error (EEXIST). */
int layout_job_create(struct layout_job *job, const char *root,
                      const struct layout_job_info *info, char err[LAYOUT_ERROR_MAX]);
/* Names an existing job directory (checks that it has job.json). */
int layout_job_open(struct layout_job *job, const char *dir, char err[LAYOUT_ERROR_MAX]);
/* Reads and checks job.json. The caller frees with layout_job_info_free. */
int layout_job_info_read(const struct layout_job *job, struct layout_job_info *info,
                         char err[LAYOUT_ERROR_MAX]);
void layout_job_info_free(struct layout_job_info *info);
/* Writes job.json (layout_job_create does; exposed for tests). */
int layout_job_info_write(const struct layout_job *job, const struct layout_job_info *info,
                          char err[LAYOUT_ERROR_MAX]);

/* The job directories under `root` (sub-directories with a job.json),
 * sorted by name. The caller frees the array and each name. */
int layout_list_jobs(const char *root, char ***ids, size_t *count, char err[LAYOUT_ERROR_MAX]);

/* ---- paths ------------------------------------------------------------- */

enum layout_rank_file {
    LAYOUT_IMAGE,                 /* rank-<r>.img */
    LAYOUT_KEEPER,                /* rank-<r>.keeper */
};

/* <job>/epochs/<n>, or <job>/epochs/<n>/<name> if name is not NULL. */
int layout_epoch_path(const struct layout_job *job, uint64_t epoch, const char *name,
                      char out[PATH_MAX]);
/* "rank-<r>.img" or "rank-<r>.keeper". */
void layout_rank_name(int rank, enum layout_rank_file kind, char out[LAYOUT_NAME_MAX]);
/* <job>/epochs/<n>/rank-<r>.img or .keeper */
int layout_rank_path(const struct layout_job *job, uint64_t epoch, int rank,
                     enum layout_rank_file kind, char out[PATH_MAX]);
/* <job>/events/rank-<r>.log */
int layout_events_path(const struct layout_job *job, int rank, char out[PATH_MAX]);
/* <job>/stats/rank-<r>.json */
int layout_stats_path(const struct layout_job *job, int rank, char out[PATH_MAX]);
/* <job>/stats/rank-<r>.output: the rank's output positions (launcher/
 * supervise.h), which a restarted job reads back. */
int layout_output_path(const struct layout_job *job, int rank, char out[PATH_MAX]);
/* <job>/output/rank-<r>.stdout (stream 0) or .stderr (stream 1): the copy
 * of the rank's output (launcher/supervise.h). */
int layout_output_copy_path(const struct layout_job *job, int rank, int stream,
                            char out[PATH_MAX]);

/* ---- epochs -------------------------------------------------------------- */

/* Creates epochs/<n> for writing (every rank may call it; an existing,
 * uncommitted directory is fine). A committed epoch is an error (EEXIST):
 * nothing is written into a recovery line. */
int layout_epoch_create(const struct layout_job *job, uint64_t epoch, char err[LAYOUT_ERROR_MAX]);

/* One file of an epoch, as the manifest lists it. */
struct layout_entry {
    char name[LAYOUT_NAME_MAX];
    uint64_t size;
    uint64_t xxh64;
    uint64_t raw_size;            /* uncompressed size if known (images), else 0 */
};

/* The entry of a file just written with atomic_file_commit (-1 with
 * ENAMETOOLONG if its name does not fit an entry). */
int layout_entry_of(struct layout_entry *e, const struct atomic_file *f, uint64_t raw_size);

/* The coordinator's step once every rank's files are durable: checks that
 * each listed file exists with its size, writes MANIFEST, then COMMITTED.
 * From the moment COMMITTED is renamed into place, the epoch is a recovery
 * line. A committed epoch cannot be committed again (EEXIST). */
int layout_epoch_commit(const struct layout_job *job, uint64_t epoch,
                        const struct layout_entry *files, size_t count,
                        char err[LAYOUT_ERROR_MAX]);

/* An epoch's manifest, read through COMMITTED (whose checksum it must
 * match). Not committed: -1 with errno ENOENT. */
struct layout_manifest {
    uint64_t epoch;
    size_t count;
    struct layout_entry *files;   /* sorted by name */
};
int layout_manifest_read(const struct layout_job *job, uint64_t epoch,
                         struct layout_manifest *m, char err[LAYOUT_ERROR_MAX]);
void layout_manifest_free(struct layout_manifest *m);

enum layout_check {
    LAYOUT_CHECK_SIZES,           /* COMMITTED, MANIFEST, every file's size */
    LAYOUT_CHECK_FULL,            /* and every byte of every file (XXH64) */
};

/* Called once per problem with one line starting with the path concerned. */
typedef void layout_report_fn(void *ctx, const char *problem);

/* Checks a committed epoch against its manifest; files in the epoch that
 * the manifest does not list are problems too. Returns the number of
 * problems (0: the epoch is a valid recovery line). */
int layout_epoch_verify(const struct layout_job *job, uint64_t epoch, enum layout_check check,
                        layout_report_fn *report, void *ctx);

/* An epoch directory as found on disk. */
struct layout_epoch {
    uint64_t number;
    int committed;                /* COMMITTED exists (not yet verified) */
};

/* Every epochs/<n> directory, in increasing order. The caller frees *out. */
int layout_list_epochs(const struct layout_job *job, struct layout_epoch **out, size_t *count,
                       char err[LAYOUT_ERROR_MAX]);

/* The recovery line to restart from: the newest committed epoch that passes
 * `check`. Each committed epoch skipped gets one line on `log` (if not NULL)
 * naming its first problem and what comes next. Returns 1 with *epoch set,
 * 0 if no epoch qualifies (a fresh start), -1 on error. */
int layout_find_recovery_line(const struct layout_job *job, enum layout_check check, FILE *log,
                              uint64_t *epoch, char err[LAYOUT_ERROR_MAX]);

/* Retention, run by the coordinator after a commit: keeps the newest `keep`
 * (>= 1) committed epochs, removes older committed ones, uncommitted
 * leftovers older than the newest committed one, and dot-named leftovers of
 * interrupted removals. Uncommitted epochs newer than the newest committed
 * one are being written and are left alone. */
int layout_retain(const struct layout_job *job, unsigned keep, char err[LAYOUT_ERROR_MAX]);

#endif
