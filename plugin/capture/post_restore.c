/*
 * post_restore.c — the fix-ups a restored process makes to itself, run by
 * img_capture() when the restorer jumped back into it (capture.h, step 4).
 *
 * The restorer gave back the memory, the registers, fs base and, when it
 * could, the mm fields; it left every signal blocked. What the kernel keeps
 * per process and the restorer cannot set from outside is done here, in
 * this order:
 *   1. unmap the restorer's zone (its code, stack, the image mapping);
 *   2. thread registrations glibc made at start: rseq, the tid address
 *      (and the tid cached there: glibc's struct pthread tid field), the
 *      robust futex list;
 *   3. the plugin's hook (a new channel at the old one's address), before
 *      any descriptor is reopened;
 *   4. file descriptors, at their numbers, offsets and (for regular files
 *      opened for writing) their size at checkpoint time;
 *   5. /proc/self/exe (PR_SET_MM_MAP with exe_fd: only now that the
 *      restorer's binary is unmapped), the comm name;
 *   6. signal handlers, then the signal mask last.
 * What could not be restored is said once, on one line of stderr.
 *
 * Async-signal-safe: the process may resume inside a signal handler that
 * interrupted malloc or stdio.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/prctl.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "plugin/capture/capture_internal.h"

/* The notes on what was not restored, gathered for one line. */
struct notes {
    struct cap_msg m;
    int count;
};

static void note(struct notes *n, const char *what, const char *detail, int errnum)
{
    if (n->count++ == 0)
        msg_str(&n->m, "mpickpt: restore: not restored: ");
    else
        msg_str(&n->m, "; ");
    msg_str(&n->m, what);
    if (detail) {
        msg_str(&n->m, " ");
        msg_str(&n->m, detail);
    }
    if (errnum)
        msg_errno(&n->m, errnum);
}

/* --- thread registrations ----------------------------------------------- */

/* glibc registered its rseq area at thread pointer + __rseq_offset; the
 * kernel of a fresh process has none. Before glibc 2.40 the registered
 * length was 32 even where __rseq_size says less. */
static void restore_rseq(struct notes *n)
{
    if (__rseq_size == 0)
        return;
    unsigned len = __rseq_size < 32 ? 32 : __rseq_size;
    char *area = (char *)(uintptr_t)cap_state.cpu.fs_base + __rseq_offset;
    if (syscall(SYS_rseq, area, len, 0, RSEQ_SIG) < 0)
        note(n, "rseq registration", NULL, errno);
}

static void restore_thread(struct notes *n)
{
    restore_rseq(n);
    if (cap_state.tid_address) {
        pid_t tid = (pid_t)syscall(SYS_set_tid_address, (void *)(uintptr_t)cap_state.tid_address);
        *(pid_t *)(uintptr_t)cap_state.tid_address = tid;
    }
    if (cap_state.robust_head &&
        syscall(SYS_set_robust_list, (void *)(uintptr_t)cap_state.robust_head,
                (size_t)cap_state.robust_len) < 0)
        note(n, "robust futex list", NULL, errno);
}

/* --- files -------------------------------------------------------------- */

static int fd_is_open(int fd)
{
    return fcntl(fd, F_GETFD) >= 0;
}

/* Opens f's path again as it was: access mode and status flags, size (if
 * written), offset, at its number. */
static int reopen(const struct cap_file *f, struct notes *n)
{
    int flags = f->flags & ~(O_CREAT | O_EXCL | O_TRUNC);
    int fd = open(f->path, flags | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        note(n, "file", f->path, errno);
        return -1;
    }
    int writable = (f->flags & O_ACCMODE) != O_RDONLY;
    if (f->mode == S_IFREG && writable && ftruncate(fd, f->size) < 0)
        note(n, "size of", f->path, errno);
    if (f->offset >= 0 && f->mode == S_IFREG && lseek(fd, f->offset, SEEK_SET) < 0)
        note(n, "offset of", f->path, errno);
    int cloexec = f->fd_flags & FD_CLOEXEC ? O_CLOEXEC : 0;
    if (fd != f->fd) {
        if (dup3(fd, f->fd, cloexec) < 0)
            note(n, "descriptor number of", f->path, errno);
        close(fd);
    } else if (!cloexec)
        fcntl(fd, F_SETFD, 0);
    return 0;
}

/* Regular files, directories and devices are opened again; anything else
 * (pipe, socket) cannot be: fds 0-2 keep what the restorer inherited. */
static void restore_files(struct notes *n)
{
    for (size_t i = 0; i < cap_state.n_files; i++) {
        const struct cap_file *f = &cap_state.files[i];
        int std = f->fd <= 2 && fd_is_open(f->fd);
        int by_path = f->mode == S_IFREG || f->mode == S_IFDIR ||
                      ((f->mode == S_IFCHR || f->mode == S_IFBLK) && !std);
        if (by_path)
            reopen(f, n);
        else if (!std)
            note(n, "descriptor", f->path, 0);
    }
    if (cap_state.files_dropped)
        note(n, "descriptors beyond the capture's table", NULL, 0);
}

/* --- mm, comm, signals --------------------------------------------------- */

static void restore_exe(struct notes *n)
{
    const struct img_handoff *h = &cap_state.handoff;
    if (!(h->flags & IMG_HANDOFF_MM_RESTORED)) {
        note(n, "brk, arg/env bounds, auxv (PR_SET_MM_MAP)", NULL, h->mm_errno);
        return;
    }
    int fd = open(cap_state.exe_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        note(n, "/proc/self/exe", cap_state.exe_path, errno);
        return;
    }
    const struct img_mm *mm = &cap_state.mm;
    struct prctl_mm_map map = {
        .start_code = mm->start_code, .end_code = mm->end_code,
        .start_data = mm->start_data, .end_data = mm->end_data,
        .start_brk = mm->start_brk, .brk = mm->brk, .start_stack = mm->start_stack,
        .arg_start = mm->arg_start, .arg_end = mm->arg_end,
        .env_start = mm->env_start, .env_end = mm->env_end,
        .auxv = (__u64 *)(uintptr_t)mm->auxv, .auxv_size = (__u32)(mm->auxv_words * 8),
        .exe_fd = (__u32)fd,
    };
    if (prctl(PR_SET_MM, PR_SET_MM_MAP, &map, sizeof map, 0) < 0)
        note(n, "/proc/self/exe (still the restorer)", NULL, errno);
    close(fd);
}

static void restore_handlers(struct notes *n)
{
    for (int sig = 1; sig <= CAP_NSIG; sig++) {
        if (sig == SIGKILL || sig == SIGSTOP)
            continue;
        if (syscall(SYS_rt_sigaction, sig, &cap_state.act[sig], NULL, 8) < 0 &&
            cap_state.act[sig].handler != (uint64_t)(uintptr_t)SIG_DFL)
            note(n, "a signal handler", NULL, errno);
    }
}

static void report_restored(void)
{
    struct cap_msg m = { .len = 0 };
    int64_t ns = cap_now_ns() - cap_state.handoff.start_ns;
    msg_str(&m, "mpickpt: restored from ");
    msg_str(&m, cap_state.path);
    msg_str(&m, " in ");
    msg_fixed(&m, (uint64_t)(ns > 0 ? ns : 0) / 1000, 3);
    msg_str(&m, " ms");
    msg_emit(&m);
}

void cap_post_restore(void)
{
    struct notes n = { .count = 0 };
    munmap((void *)IMG_RESTORER_ZONE_START, IMG_RESTORER_ZONE_END - IMG_RESTORER_ZONE_START);
    restore_thread(&n);
    if (cap_state.hook) {
        struct img_restore_info info = {
            .exclude = cap_state.exclude, .n_exclude = cap_state.n_exclude,
            .hook_arg = cap_state.handoff.hook_arg,
        };
        cap_state.hook(&info, cap_state.hook_arg);
    }
    restore_files(&n);
    restore_exe(&n);
    prctl(PR_SET_NAME, cap_state.comm);
    restore_handlers(&n);
    if (n.count)
        msg_emit(&n.m);
    if (cap_state.flags & IMG_CAPTURE_VERBOSE)
        report_restored();
    /* Last: the restorer left every signal blocked until now. */
    syscall(SYS_rt_sigprocmask, SIG_SETMASK, &cap_state.sigmask, NULL, 8);
}
