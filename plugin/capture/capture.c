/*
 * capture.c — img_capture(), the parent's side of a capture (capture.h):
 * files, registers, _Fork, and the writer's bookkeeping.
 *
 * Async-signal-safe throughout: only syscalls and plain memory. The pause
 * the application sees is everything between entry and return.
 *
 * Invariants: cap_state.files is complete (or files_dropped says what is
 * missing) before the fork; writer_pid is the only writer we started and
 * have not reaped; in_capture is set while a capture runs, so a signal
 * handler's nested request is refused instead of corrupting cap_state.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plugin/capture/capture_internal.h"

struct cap_state cap_state;

static volatile sig_atomic_t in_capture;
static pid_t writer_pid;
static int64_t last_pause_ns;

int64_t img_capture_last_pause_ns(void)
{
    return last_pause_ns;
}

void img_set_restore_hook(img_restore_hook fn, void *arg)
{
    cap_state.hook = fn;
    cap_state.hook_arg = arg;
}

static void report(const char *what, int errnum)
{
    struct cap_msg m = { .len = 0 };
    msg_str(&m, "mpickpt: capture: ");
    msg_str(&m, what);
    if (errnum)
        msg_errno(&m, errnum);
    msg_emit(&m);
}

/* --- open files ----------------------------------------------------------- */

static int record_fd(int fd, struct cap_file *f)
{
    char link[32] = "/proc/self/fd/";
    struct cap_msg num = { .len = 0 };
    struct stat sb;
    msg_u64(&num, (uint64_t)fd);
    memcpy(link + 14, num.buf, num.len);
    link[14 + num.len] = '\0';
    ssize_t n = readlink(link, f->path, sizeof f->path);
    if (n < 0 || (size_t)n >= sizeof f->path || fstat(fd, &sb) < 0)
        return -1;
    f->path[n] = '\0';
    f->fd = fd;
    f->mode = sb.st_mode & S_IFMT;
    f->flags = fcntl(fd, F_GETFL);
    f->fd_flags = fcntl(fd, F_GETFD);
    f->offset = lseek(fd, 0, SEEK_CUR);
    f->size = sb.st_size;
    return 0;
}

/* Every descriptor but the directory being listed: getdents64 directly,
 * because opendir allocates. */
static int record_files(void)
{
    char buf[4096];
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0)
        return -1;
    cap_state.n_files = 0;
    cap_state.files_dropped = 0;
    long n;
    while ((n = syscall(SYS_getdents64, dir, buf, sizeof buf)) > 0) {
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);
            off += d->d_reclen;
            if (d->d_name[0] < '0' || d->d_name[0] > '9')
                continue;
            int fd = 0;
            for (const char *p = d->d_name; *p; p++)
                fd = fd * 10 + (*p - '0');
            if (fd == dir)
                continue;
            if (cap_state.n_files == CAP_MAX_FILES ||
                record_fd(fd, &cap_state.files[cap_state.n_files]) < 0)
                cap_state.files_dropped++;
            else
                cap_state.n_files++;
        }
    }
    int e = errno;
    close(dir);
    errno = e;
    return n < 0 ? -1 : 0;
}

/* --- one writer at a time ------------------------------------------------- */

static enum img_writer_state reap(int block)
{
    if (writer_pid == 0)
        return IMG_WRITER_NONE;
    int status;
    pid_t r;
    do
        r = waitpid(writer_pid, &status, block ? 0 : WNOHANG);
    while (r < 0 && errno == EINTR);
    if (r == 0)
        return IMG_WRITER_RUNNING;
    writer_pid = 0;
    if (r < 0)
        return IMG_WRITER_UNKNOWN;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? IMG_WRITER_COMMITTED
                                                        : IMG_WRITER_FAILED;
}

enum img_writer_state img_capture_wait(int block)
{
    return reap(block);
}

/* --- capture --------------------------------------------------------------- */

static int copy_opts(const struct img_capture_opts *o)
{
    size_t n = strlen(o->path);
    if (n >= sizeof cap_state.path || o->n_exclude > IMG_CAPTURE_MAX_EXCLUDE) {
        report(n >= sizeof cap_state.path ? "image path too long" : "too many excluded ranges", 0);
        return -1;
    }
    memcpy(cap_state.path, o->path, n + 1);
    cap_state.level = o->level > 0 ? o->level : 1;
    cap_state.workers = o->workers;
    cap_state.flags = o->flags;
    for (size_t i = 0; i < o->n_exclude; i++)
        cap_state.exclude[i] = o->exclude[i];
    cap_state.n_exclude = o->n_exclude;
    return 0;
}

/* A writer is running: wait for it or say busy. */
static int writer_busy(unsigned flags)
{
    enum img_writer_state s = reap(flags & IMG_CAPTURE_WAIT);
    return s == IMG_WRITER_RUNNING;
}

/* The part after the registers are saved; noinline keeps its locals out
 * of img_capture's frame, which the restored process returns through. */
__attribute__((noinline)) static int fork_writer(void)
{
    cap_state.parent_pid = getpid();
    pid_t pid = _Fork();
    if (pid < 0) {
        report("forking the image writer", errno);
        return IMG_CAPTURE_ERROR;
    }
    if (pid == 0)
        cap_dump_child();
    writer_pid = pid;
    return IMG_CAPTURE_STARTED;
}

int img_capture(const struct img_capture_opts *opts)
{
    if (in_capture)
        return IMG_CAPTURE_BUSY;
    in_capture = 1;
    int saved_errno = errno;
    int64_t t0 = cap_now_ns();
    int rc = IMG_CAPTURE_BUSY;
    if (writer_busy(opts->flags))
        goto out;
    rc = IMG_CAPTURE_ERROR;
    if (copy_opts(opts) < 0)
        goto out;
    if (record_files() < 0) {
        report("listing open files in /proc/self/fd", errno);
        goto out;
    }
    if (img_save_context(&cap_state.cpu)) {
        /* The restored process: cap_state is what the child saw. */
        writer_pid = 0;
        cap_post_restore();
        in_capture = 0;
        errno = saved_errno;
        return IMG_CAPTURE_RESTORED;
    }
    rc = fork_writer();
out:
    last_pause_ns = cap_now_ns() - t0;
    in_capture = 0;
    errno = saved_errno;
    return rc;
}
