/*
 * capture.h — process image capture for the compute process (DESIGN §5):
 * the API the plugin (or any single-threaded program) calls to save its
 * whole process as an image that mpickpt-restore brings back to life.
 *
 * How a capture goes:
 *   1. img_capture() records the open files (offsets are shared with a
 *      fork child, so they are read before the fork), saves the registers
 *      (a setjmp) and calls _Fork(): glibc's async-signal-safe fork, which
 *      runs no atfork handlers (Open MPI's, loaded in the compute process,
 *      must not run) and takes no malloc lock.
 *   2. The parent returns IMG_CAPTURE_STARTED at once: its pause is the
 *      fork plus the bookkeeping (img_capture_last_pause_ns()).
 *   3. The child records the rest (signal handlers and mask, tid address,
 *      robust list, rseq, fs base, mm fields, auxv, comm), forks a frozen
 *      snapshot of itself and writes the snapshot's memory as the image
 *      (dump.c says why; storage/image_writer.h: no malloc, no stdio), then
 *      exits; it dies with its parent (PR_SET_PDEATHSIG), leaving the
 *      previous image in place.
 *   4. In a process restored from that image, the same img_capture() call
 *      returns a second time, with IMG_CAPTURE_RESTORED, after the
 *      post-restore fix-ups (post_restore.c) and the restore hook ran.
 *
 * Safe points. The caller must be single-threaded. img_capture() is
 * async-signal-safe and may be called from a signal handler that
 * interrupted anything: pass IMG_CAPTURE_IN_SIGNAL, and the writer then
 * compresses without zstd worker threads (pthread_create calls malloc,
 * whose lock the interrupted code may hold). The plugin defers a signal
 * that arrives inside a channel operation to the operation's end, so that
 * no image holds a half-written channel slot.
 *
 * One image at a time: while a writer runs, a new request waits for it
 * (IMG_CAPTURE_WAIT) or returns IMG_CAPTURE_BUSY, which coalesces it with
 * the running one; a request from a signal handler that interrupted
 * img_capture() itself is always IMG_CAPTURE_BUSY.
 *
 * The writer is a child process: its exit raises SIGCHLD in the caller,
 * and img_capture_wait() reaps it (a program that reaps every child itself
 * makes the outcome unknown: IMG_WRITER_UNKNOWN).
 *
 * Integration hooks:
 *   - exclude: address ranges left out of the image (the channel mapping:
 *     shared memory the keeper keeps writing, meaningless after restore).
 *   - img_set_restore_hook(): a function run in the restored process
 *     before anything else touches memory or files, in particular before
 *     any file descriptor is reopened: it re-maps a NEW channel at the old
 *     channel's address (MAP_FIXED on the excluded range, which is unmapped
 *     after restore). An fd it gets from the restorer (named through
 *     `mpickpt-restore --hook-arg STRING`, passed as info->hook_arg) must be
 *     consumed within the hook: descriptors of the image are reopened at
 *     their old numbers right after it.
 *
 * Not captured: other threads, pipes and sockets other than fds 0-2 (those
 * are inherited from whoever runs mpickpt-restore), SysV shared memory,
 * timers and pending signals, rlimits, madvise/mlock state. Shared memory
 * other than files is copied as it is while the writer reads it, not as a
 * snapshot.
 */
#ifndef MPICKPT_CAPTURE_CAPTURE_H
#define MPICKPT_CAPTURE_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

struct img_range {
    uintptr_t start, end;   /* [start, end), page aligned */
};

#define IMG_CAPTURE_MAX_EXCLUDE 16

/* img_capture_opts.flags */
#define IMG_CAPTURE_IN_SIGNAL 0x1u  /* called from a signal handler */
#define IMG_CAPTURE_WAIT 0x2u       /* wait for a running writer, not BUSY */
#define IMG_CAPTURE_VERBOSE 0x4u    /* writer and restore print one line on stderr */

struct img_capture_opts {
    const char *path;           /* the image; written under a dot-name, renamed */
    int level;                  /* zstd level; 0 means the default, 1 */
    int workers;                /* zstd workers; < 0: idle cores, at least 1 */
    const struct img_range *exclude;   /* copied; at most IMG_CAPTURE_MAX_EXCLUDE */
    size_t n_exclude;
    unsigned flags;             /* IMG_CAPTURE_* */
};

enum img_capture_result {
    IMG_CAPTURE_ERROR = -1,     /* nothing started; message on stderr */
    IMG_CAPTURE_STARTED = 0,    /* the writer runs; see img_capture_wait() */
    IMG_CAPTURE_RESTORED = 1,   /* this process was restored from the image */
    IMG_CAPTURE_BUSY = 2,       /* a writer (or a capture) is running */
};

/* Captures the calling process (see above). Async-signal-safe. */
int img_capture(const struct img_capture_opts *opts);

enum img_writer_state {
    IMG_WRITER_NONE = 0,        /* no writer was started since the last wait */
    IMG_WRITER_RUNNING,         /* still writing (only when not blocking) */
    IMG_WRITER_COMMITTED,       /* the image is complete and renamed */
    IMG_WRITER_FAILED,          /* the writer said why on stderr */
    IMG_WRITER_UNKNOWN,         /* someone else reaped the writer */
};

/* Reaps the writer: blocking (block != 0) or not. Async-signal-safe. */
enum img_writer_state img_capture_wait(int block);

/* The parent's pause of the last capture: fork plus bookkeeping. */
int64_t img_capture_last_pause_ns(void);

struct img_restore_info {
    const struct img_range *exclude;   /* as given to img_capture() */
    size_t n_exclude;
    const char *hook_arg;              /* mpickpt-restore --hook-arg, or "" */
};

typedef void (*img_restore_hook)(const struct img_restore_info *info, void *arg);

/* Sets the hook run first in a restored process (NULL: none). The hook
 * and arg are part of the image, so set them before capturing. */
void img_set_restore_hook(img_restore_hook fn, void *arg);

#endif
