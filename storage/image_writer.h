/*
 * image_writer.h — writes a process image (format: image_format.h) as a
 * stream: header, then the regions in address order with their memory,
 * then commit. Also maps an image file for the hosted readers.
 *
 * Async-signal-safe by construction, because its main user is the child of
 * a fork taken from a signal handler, where malloc and stdio may hold locks
 * the child inherited: no malloc (its memory and zstd's come from mmap), no
 * stdio (write(2)), no locale-dependent call. zstd's worker threads
 * (workers > 0) are the one exception: pthread_create allocates with
 * malloc, so a caller that cannot vouch for malloc's state passes 0.
 *
 * Crash-only: the image is written to "<dir>/.<name>.tmp", fsynced, renamed to
 * <path> and the directory fsynced, so <path> is always either the previous
 * complete image or the new complete one.
 *
 * Zero pages are never stored; each run of non-zero pages (at most
 * IMG_FRAME_MAX bytes) becomes one zstd frame with a content checksum.
 */
#ifndef MPICKPT_STORAGE_IMAGE_WRITER_H
#define MPICKPT_STORAGE_IMAGE_WRITER_H

#include <stddef.h>
#include <stdint.h>

#include "storage/image_format.h"

#define IMG_FRAME_MAX (16u << 20)

struct img_writer_opts {
    int level;     /* zstd compression level (1 is the project's default) */
    int workers;   /* zstd nbWorkers: 0 compresses in the calling thread */
};

struct img_write_stats {
    uint64_t file_bytes;    /* size of the committed image */
    uint64_t raw_bytes;     /* non-zero memory stored, before compression */
    uint64_t mapped_bytes;  /* sum of the regions' sizes */
    uint64_t n_regions, n_chunks;
};

/* What failed, for the caller's message: a static string and an errno. */
struct img_write_error {
    const char *what;
    int errnum;          /* 0 when the failure is not a syscall's */
};

struct img_writer;

/* Creates the temporary file ("<dir>/.<name>.tmp"). Returns NULL and fills *err on failure. */
struct img_writer *img_writer_open(const char *path, const struct img_writer_opts *opts,
                                   struct img_write_error *err);

/* Writes the header: the caller fills identity, cpu, mm, handoff_addr; the
 * writer sets magic, version, sizes, raw_bytes and checksum (the commit
 * rewrites it with the final raw_bytes). First call after open. */
int img_writer_header(struct img_writer *w, const struct img_header *hdr);

/* Starts a region (address order, no overlap); its chunk fields are the
 * writer's. The previous region, if any, ends here. */
int img_writer_region(struct img_writer *w, const struct img_region *r);

/* Stores the current region's memory [offset, offset + len) read from p;
 * offset and len are page multiples; calls go in increasing offset. */
int img_writer_data(struct img_writer *w, uint64_t offset, const void *p, size_t len);

/* Tables, trailer, fsync, rename, directory fsync; frees w either way.
 * Returns 0 and fills *st (if not NULL), or -1 with *err filled. */
int img_writer_commit(struct img_writer *w, struct img_write_stats *st,
                      struct img_write_error *err);

/* Gives up: removes the temporary file, frees w. */
void img_writer_abort(struct img_writer *w);

/* The last error of w (valid until commit or abort). */
struct img_write_error img_writer_error(const struct img_writer *w);

/*
 * Hosted readers (tools, tests): maps a whole image file read-only.
 * Returns 0, or -1 with errno set. img_unmap_file undoes it.
 */
int img_map_file(const char *path, const void **base, size_t *size);
void img_unmap_file(const void *base, size_t size);

#endif
