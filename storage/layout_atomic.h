/*
 * layout_atomic.h — crash-safe file writes: under its final name a file is
 * either absent (or its previous version) or complete and durable; never
 * partial (DESIGN §6, crash-only rules).
 *
 * How: the bytes go to a temporary name in the same directory,
 * ".<name>.tmp.<pid>", the file is fsynced, renamed over the final name, and
 * the directory is fsynced so that the rename itself survives a power loss.
 * A temporary name starts with '.', and nothing in the layout ever treats a
 * dot-file as part of a job or an epoch: a crash mid-write leaves only a
 * hidden leftover that retention removes with its epoch.
 *
 * Used by both sides of a rank: the keeper writes its protocol state, the
 * compute process's forked child writes its image. So: no allocation and no
 * stdio, only syscalls and snprintf into the caller's buffers.
 *
 * Errors: every function returns 0 or -1; on -1, `err` holds one line saying
 * what was attempted, on which path, and the errno text, and errno is kept.
 */
#ifndef MPICKPT_STORAGE_LAYOUT_ATOMIC_H
#define MPICKPT_STORAGE_LAYOUT_ATOMIC_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "storage/checksum.h"

#define LAYOUT_ERROR_MAX 512

/* A file being written. The running size and XXH64 of what was written
 * are kept as it goes, so the writer gets its manifest entry for free. */
struct atomic_file {
    int fd;
    char path[PATH_MAX];          /* final name */
    char tmp[PATH_MAX];           /* temporary name, same directory */
    struct xxh64_state sum;
    uint64_t size;                /* bytes written so far */
    uint64_t xxh64;               /* set by atomic_file_commit */
};

/* Creates the temporary file for `path` (replacing a leftover of the same
 * writer). */
int atomic_file_open(struct atomic_file *f, const char *path, char err[LAYOUT_ERROR_MAX]);
/* Appends `len` bytes (retries short writes and EINTR). On failure the
 * temporary file is removed. */
int atomic_file_write(struct atomic_file *f, const void *data, size_t len,
                      char err[LAYOUT_ERROR_MAX]);
/* fsync, rename to the final name, fsync the directory; sets f->xxh64. On
 * failure the temporary file is removed and the final name is untouched. */
int atomic_file_commit(struct atomic_file *f, char err[LAYOUT_ERROR_MAX]);
/* Gives up: closes and removes the temporary file. */
void atomic_file_abort(struct atomic_file *f);

/* The whole cycle for a buffer already in memory. */
int atomic_write_file(const char *path, const void *data, size_t len, char err[LAYOUT_ERROR_MAX]);

/* fsyncs a directory, making the entries created, renamed or removed in it
 * durable. */
int layout_fsync_dir(const char *dir, char err[LAYOUT_ERROR_MAX]);
/* Creates a directory (an existing directory is fine) and fsyncs its
 * parent so the new entry is durable. */
int layout_mkdir(const char *path, char err[LAYOUT_ERROR_MAX]);
/* Size and XXH64 of a whole existing file, read in a streaming pass. */
int layout_file_sum(const char *path, uint64_t *size, uint64_t *xxh,
                    char err[LAYOUT_ERROR_MAX]);

#endif
