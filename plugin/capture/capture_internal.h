/*
 * capture_internal.h — what capture.c (the parent's side), dump.c (the
 * writer child) and post_restore.c (the restored process) share.
 *
 * The central invariant: everything the restored process needs to fix
 * itself up lives in one static struct, cap_state, which the child fills
 * BEFORE it writes its own memory into the image. So the restored process
 * finds it in its own memory; the image file carries only what the
 * restorer needs before it jumps (image_format.h's header).
 *
 * Nothing here may call malloc or stdio: every function runs in a forked
 * child or a restored process that may sit inside a signal handler that
 * interrupted either.
 */
#ifndef MPICKPT_CAPTURE_INTERNAL_H
#define MPICKPT_CAPTURE_INTERNAL_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "plugin/capture/capture.h"
#include "storage/image_format.h"

#define CAP_MAX_FILES 128
#define CAP_FILE_PATH 1024
#define CAP_NSIG 64

/* An open file descriptor, recorded in the parent before the fork. */
struct cap_file {
    int fd;
    unsigned mode;        /* st_mode & S_IFMT */
    int flags;            /* F_GETFL */
    int fd_flags;         /* F_GETFD */
    int64_t offset;       /* lseek(fd, 0, SEEK_CUR), -1 if not seekable */
    int64_t size;         /* st_size */
    char path[CAP_FILE_PATH];   /* readlink of /proc/self/fd/N */
};

/* The kernel's struct sigaction for rt_sigaction (not glibc's). */
struct cap_sigaction {
    uint64_t handler, flags, restorer, mask;
};

struct cap_state {
    /* Parent, before the fork. */
    struct img_cpu cpu;
    char path[IMG_PATH_MAX];
    int level, workers;
    unsigned flags;
    struct img_range exclude[IMG_CAPTURE_MAX_EXCLUDE];
    size_t n_exclude;
    struct cap_file files[CAP_MAX_FILES];
    size_t n_files;
    int files_dropped;    /* descriptors beyond CAP_MAX_FILES or paths too long */
    pid_t parent_pid;
    /* Child, before it writes memory. */
    struct cap_sigaction act[CAP_NSIG + 1];
    uint64_t sigmask;
    uint64_t tid_address, robust_head, robust_len;
    struct img_mm mm;
    char exe_path[IMG_PATH_MAX];
    char comm[16];
    /* The restorer, before it jumps. */
    struct img_handoff handoff;
    /* Any time: the plugin's hook. */
    img_restore_hook hook;
    void *hook_arg;
};

extern struct cap_state cap_state;

/* Saves callee-saved registers, rsp, the return address, MXCSR and the x87
 * control word; returns 0, and 1 when the restorer jumps back (context.c). */
__attribute__((returns_twice)) int img_save_context(struct img_cpu *cpu);

/* The writer child's work: never returns (dump.c). */
__attribute__((noreturn)) void cap_dump_child(void);

/* The fix-ups of a restored process (post_restore.c). */
void cap_post_restore(void);

/* --- messages without stdio (msg.c) --- */
struct cap_msg {
    char buf[1024];
    size_t len;
};
void msg_str(struct cap_msg *m, const char *s);
void msg_u64(struct cap_msg *m, uint64_t v);
/* v / 10^decimals with that many decimals, e.g. msg_fixed(m, 1234, 3) "1.234". */
void msg_fixed(struct cap_msg *m, uint64_t v, int decimals);
void msg_errno(struct cap_msg *m, int errnum);   /* ": <text>" */
void msg_emit(struct cap_msg *m);                /* + "\n" to stderr */
int64_t cap_now_ns(void);                         /* CLOCK_MONOTONIC */

/* Reads a whole (proc) file into buf; returns its length or -1 (errno). */
ssize_t cap_read_file(const char *path, char *buf, size_t cap);

#endif
