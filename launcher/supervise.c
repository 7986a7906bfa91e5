/*
 * supervise.c — output forwarding, exactly once across recoveries, and exit
 * detection for the compute process (see supervise.h).
 *
 * One thread polls both pipes, the pidfd and a wake-up eventfd. A mutex
 * serializes every read-and-forward of a pipe, so supervisor_flush (called
 * by the keeper before it aborts the job) and the thread never interleave
 * one stream's bytes, and the positions (struct output_stream, the
 * channel's sequence lock, the positions file) have one writer at a time.
 * After the process has exited the thread keeps reading until both pipes
 * reach end of file, but gives up after a grace period: a daemon the app
 * started may hold the pipes open forever.
 *
 * Replacing the compute process stops the thread (stop flag + eventfd),
 * swaps the process, pipes and channel while no thread runs, and starts a
 * new thread: the swap never races with a poll on a closed descriptor, and
 * the thread's view of the process (pidfd, `exited`) changes at one point.
 */
#include "launcher/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/output_filter.h"
#include "common/output_ledger.h"

#define DRAIN_GRACE_MS 2000
#define POSITIONS_FILE_BYTES (2 * sizeof(uint64_t))

struct supervisor {
    pid_t child;
    int pidfd;
    int in_fd[2];              /* compute's stdout, stderr (read ends); -1 at EOF */
    int out_fd[2];             /* where they go: 1, 2 */
    struct output_ledger ledger[2]; /* whose bytes went into out_fd */
    int wake_fd;               /* eventfd: the keeper asks the thread to stop */
    struct chan_doorbell *bell;
    /* Where positions are published: the channel's control page, or
     * `unpublished` when the caller has none (supervisor_start). */
    struct chan_output *published;
    struct chan_output unpublished;
    struct output_stream stream[2];
    int positions_fd;          /* -1: no positions file */
    int copy_fd[2];            /* the streams' copies; -1: none, or given up */
    char copy_path[2][PATH_MAX];
    int downstream_unread;     /* the file counts bytes mpirun has not read */
    pthread_t thread;
    int thread_running;        /* touched by the keeper's thread only */
    pthread_mutex_t lock;      /* in_fd, stream, published, positions_fd */
    atomic_int stop;
    atomic_int exited;
    int wstatus;
};

static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Writes `len` bytes to stream i's downstream: the compute's, or the
 * keeper's own (`own`), which the positions must not count as the
 * compute's while mpirun has not read them. Caller holds the lock. */
static int write_downstream(struct supervisor *s, int i, const char *buf, size_t len, int own)
{
    int rc = write_all(s->out_fd[i], buf, len);
    output_ledger_wrote(&s->ledger[i], len, own);
    return rc;
}

/* One line of the keeper's own on stderr. Caller holds the lock. */
__attribute__((format(printf, 2, 3)))
static void say_own(struct supervisor *s, const char *fmt, ...)
{
    char line[PATH_MAX + 256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n > 0)
        (void)write_downstream(s, 1, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1, 1);
}

/* --- positions (caller holds the lock) -------------------------------------- */

/* Bytes written to `fd` that its reader (mpirun) has not taken yet, when
 * it is a pipe. */
static uint64_t unread_downstream(int fd)
{
    struct stat st;
    int n = 0;
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode) || ioctl(fd, FIONREAD, &n) != 0 || n < 0)
        return 0;
    return (uint64_t)n;
}

/* Writes P of both streams to the positions file, if there is one, less
 * the compute's bytes still in the pipe to mpirun: a job killed whole loses
 * them, so the restart emits them again. While some are, the thread
 * refreshes the file every few milliseconds (the reader takes them
 * meanwhile). */
static int persist_positions(struct supervisor *s)
{
    if (s->positions_fd < 0)
        return 0;
    uint64_t emitted[2] = { output_stream_emitted(&s->stream[0]),
                            output_stream_emitted(&s->stream[1]) };
    s->downstream_unread = 0;
    for (int i = 0; i < 2; i++) {
        uint64_t unread = unread_downstream(s->out_fd[i]);
        uint64_t compute_unread = output_ledger_compute_unread(&s->ledger[i], unread);
        emitted[i] -= compute_unread < emitted[i] ? compute_unread : emitted[i];
        s->downstream_unread |= unread > 0;
    }
    ssize_t n = pwrite(s->positions_fd, emitted, sizeof emitted, 0);
    return n == (ssize_t)sizeof emitted ? 0 : -1;
}

/* Publishes the pipes' identity and both read positions: the compute
 * process recognizes its fd 1 and 2 by inode and device (the read end's
 * are the write end's). A closed stream publishes no pipe. */
static void publish_all(struct supervisor *s)
{
    output_publish_begin(s->published);
    for (int i = 0; i < 2; i++) {
        struct stat st;
        if (s->in_fd[i] >= 0 && fstat(s->in_fd[i], &st) == 0)
            output_publish_pipe(s->published, i, (uint64_t)st.st_ino, (uint64_t)st.st_dev);
        else
            output_publish_pipe(s->published, i, 0, 0);
        output_publish_position(s->published, i, output_stream_read_position(&s->stream[i]));
    }
    output_publish_end(s->published);
}

/* Reads one chunk of stream i and accounts for it inside the sequence
 * lock, so the compute process never sees bytes gone from the pipe but not
 * yet in the published position. */
static ssize_t read_chunk(struct supervisor *s, int i, char *buf, size_t len,
                          struct output_split *split)
{
    output_publish_begin(s->published);
    ssize_t n = read(s->in_fd[i], buf, len);
    if (n > 0) {
        *split = output_stream_take(&s->stream[i], (size_t)n);
        output_publish_position(s->published, i, output_stream_read_position(&s->stream[i]));
    }
    output_publish_end(s->published);
    return n;
}

/* Writes `len` bytes of stream i at its position `at` into its copy. A
 * copy that cannot be written is given up, with one line: the output is
 * still forwarded. */
static void copy_out(struct supervisor *s, int i, const char *buf, size_t len, uint64_t at)
{
    while (s->copy_fd[i] >= 0 && len > 0) {
        ssize_t n = pwrite(s->copy_fd[i], buf, len, (off_t)at);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            say_own(s, "mpickpt: cannot write the output copy %s: %s; no more copied\n",
                    s->copy_path[i], n < 0 ? strerror(errno) : "nothing written");
            close(s->copy_fd[i]);
            s->copy_fd[i] = -1;
            return;
        }
        buf += n;
        len -= (size_t)n;
        at += (uint64_t)n;
    }
}

/* Forwards what is readable on stream i now, less what an earlier
 * incarnation already emitted, copying it first; closes the stream at end
 * of file. Returns the bytes read. Caller holds the lock. */
static size_t forward_available(struct supervisor *s, int i)
{
    char buf[65536];
    size_t total = 0;
    while (s->in_fd[i] >= 0) {
        struct output_split split;
        ssize_t n = read_chunk(s, i, buf, sizeof buf, &split);
        if (n > 0) {
            copy_out(s, i, buf + split.drop, split.forward,
                     output_stream_emitted(&s->stream[i]) - split.forward);
            /* A closed stdout of the keeper must not stop the app: the
             * bytes are dropped, as a write to a closed pipe would be. */
            (void)write_downstream(s, i, buf + split.drop, split.forward, 0);
            if (split.forward > 0)
                (void)persist_positions(s);
            total += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            break;
        close(s->in_fd[i]);
        s->in_fd[i] = -1;
    }
    return total;
}

/* --- the compute process ------------------------------------------------------ */

static int open_pidfd(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int wait_for(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return status;
}

static void reap(struct supervisor *s)
{
    s->wstatus = wait_for(s->child);
    atomic_store(&s->exited, 1);
    chan_doorbell_ring(s->bell);
}

/* Takes over the read ends of a compute process's pipes: non-blocking
 * (the thread polls), and not inherited by later compute processes. */
static void adopt_pipes(struct supervisor *s, int out_fd, int err_fd)
{
    s->in_fd[0] = out_fd;
    s->in_fd[1] = err_fd;
    for (int i = 0; i < 2; i++) {
        fcntl(s->in_fd[i], F_SETFL, fcntl(s->in_fd[i], F_GETFL) | O_NONBLOCK);
        fcntl(s->in_fd[i], F_SETFD, FD_CLOEXEC);
    }
}

static void close_pipes(struct supervisor *s)
{
    for (int i = 0; i < 2; i++)
        if (s->in_fd[i] >= 0) {
            close(s->in_fd[i]);
            s->in_fd[i] = -1;
        }
}

/* Positions of a process restored to `cut` (NULL: started afresh). */
static void restore_streams(struct supervisor *s, const uint64_t cut[2])
{
    for (int i = 0; i < 2; i++)
        output_stream_restore(&s->stream[i], cut ? cut[i] : 0);
}

/* --- the thread ------------------------------------------------------------------ */

/* The descriptors to poll: the wake-up first, then the open pipes, then
 * the pidfd unless the process was reaped. Returns how many; *pid_slot is
 * the pidfd's index or -1. */
static int poll_set(struct supervisor *s, struct pollfd fds[4], int *pid_slot)
{
    int n = 0;
    fds[n++] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < 2; i++)
        if (s->in_fd[i] >= 0)
            fds[n++] = (struct pollfd){ .fd = s->in_fd[i], .events = POLLIN };
    pthread_mutex_unlock(&s->lock);
    *pid_slot = -1;
    if (!atomic_load(&s->exited)) {
        *pid_slot = n;
        fds[n++] = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
    }
    return n;
}

static void *supervise_thread(void *arg)
{
    struct supervisor *s = arg;
    int grace_left = DRAIN_GRACE_MS;
    for (;;) {
        struct pollfd fds[4];
        int pid_slot;
        int n = poll_set(s, fds, &pid_slot);
        if (n == 1)
            break;             /* reaped, both pipes at end of file */
        int timeout = pid_slot < 0 ? 100 : s->downstream_unread ? 2 : -1;
        int ready = poll(fds, (nfds_t)n, timeout);
        if (ready < 0 && errno != EINTR)
            break;
        if (atomic_load(&s->stop))
            break;
        if (pid_slot >= 0 && (fds[pid_slot].revents & (POLLIN | POLLHUP | POLLERR)))
            reap(s);
        pthread_mutex_lock(&s->lock);
        size_t moved = forward_available(s, 0) + forward_available(s, 1);
        if (moved == 0 && s->downstream_unread)
            (void)persist_positions(s);
        pthread_mutex_unlock(&s->lock);
        if (pid_slot < 0 && moved == 0 && (grace_left -= 100) <= 0)
            break;
    }
    return NULL;
}

static int start_thread(struct supervisor *s)
{
    /* The thread must not take signals meant for the keeper's main thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&s->thread, NULL, supervise_thread, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        errno = err;
        return -1;
    }
    s->thread_running = 1;
    return 0;
}

static void stop_thread(struct supervisor *s)
{
    if (!s->thread_running)
        return;
    atomic_store(&s->stop, 1);
    uint64_t one = 1, count;
    (void)write(s->wake_fd, &one, sizeof one);
    pthread_join(s->thread, NULL);
    s->thread_running = 0;
    (void)read(s->wake_fd, &count, sizeof count);
    atomic_store(&s->stop, 0);
}

/* --- the API ----------------------------------------------------------------------- */

static void free_supervisor(struct supervisor *s)
{
    close_pipes(s);
    if (s->pidfd >= 0)
        close(s->pidfd);
    if (s->wake_fd >= 0)
        close(s->wake_fd);
    if (s->positions_fd >= 0)
        close(s->positions_fd);
    for (int i = 0; i < 2; i++)
        if (s->copy_fd[i] >= 0)
            close(s->copy_fd[i]);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

/* Opens the positions file and the copies (created if needed, never
 * truncated: a restarted job goes on writing them). */
static int open_files(struct supervisor *s, const struct supervisor_files *files)
{
    if (!files)
        return 0;
    s->positions_fd = open(files->positions, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (s->positions_fd < 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        if (snprintf(s->copy_path[i], sizeof s->copy_path[i], "%s", files->copy[i]) >=
            (int)sizeof s->copy_path[i]) {
            errno = ENAMETOOLONG;
            return -1;
        }
        s->copy_fd[i] = open(files->copy[i], O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (s->copy_fd[i] < 0)
            return -1;
    }
    return 0;
}

/* A job restarted from a cut at C after the killed job had emitted only P
 * < C of stream i (bytes its keeper forwarded that died unread in the pipe
 * to mpirun): the restored process will not write [P, C) again, so they
 * are emitted from the copy, which has every byte the keeper read. What
 * the copy lacks as well (never read from the compute process before the
 * kill) is lost, and one line says so. */
static void emit_from_copy(struct supervisor *s, int i, uint64_t from, uint64_t to)
{
    char buf[65536];
    while (from < to && s->copy_fd[i] >= 0) {
        size_t want = to - from < sizeof buf ? (size_t)(to - from) : sizeof buf;
        ssize_t n = pread(s->copy_fd[i], buf, want, (off_t)from);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        (void)write_downstream(s, i, buf, (size_t)n, 0);
        from += (uint64_t)n;
    }
    if (from < to)
        say_own(s, "mpickpt: %llu bytes of %s written before the checkpoint were lost"
                " with the killed job\n", (unsigned long long)(to - from), i ? "stderr" : "stdout");
}

static struct supervisor *start(pid_t child, int out_fd, int err_fd,
                                struct chan_doorbell *bell, struct chan_output *published,
                                const uint64_t emitted[2], const uint64_t cut[2],
                                const struct supervisor_files *files)
{
    struct supervisor *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->child = child;
    s->in_fd[0] = s->in_fd[1] = -1;    /* on failure the caller keeps its pipes */
    s->positions_fd = s->copy_fd[0] = s->copy_fd[1] = -1;
    s->pidfd = -1;
    s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (s->wake_fd >= 0)
        s->pidfd = open_pidfd(child);
    if (s->pidfd < 0 || open_files(s, files) != 0) {
        int err = errno;
        free_supervisor(s);
        errno = err;
        return NULL;
    }
    s->out_fd[0] = STDOUT_FILENO;
    s->out_fd[1] = STDERR_FILENO;
    s->bell = bell;
    s->published = published ? published : &s->unpublished;
    adopt_pipes(s, out_fd, err_fd);
    for (int i = 0; i < 2; i++) {
        /* What the pipe to mpirun holds already is the keeper's. */
        output_ledger_init(&s->ledger[i], unread_downstream(s->out_fd[i]));
        output_stream_init(&s->stream[i], emitted[i]);
        if (cut && cut[i] != OUTPUT_NO_POSITION && cut[i] > emitted[i])
            emit_from_copy(s, i, emitted[i], cut[i]);
    }
    restore_streams(s, cut);
    publish_all(s);
    if (persist_positions(s) != 0 || start_thread(s) != 0) {
        int err = errno;
        s->in_fd[0] = s->in_fd[1] = -1;
        free_supervisor(s);
        errno = err;
        return NULL;
    }
    return s;
}

struct supervisor *supervisor_start_at(pid_t child, int out_fd, int err_fd,
                                       struct chan_ctl *ctl,
                                       const uint64_t emitted[2],
                                       const uint64_t cut[2],
                                       const struct supervisor_files *files)
{
    return start(child, out_fd, err_fd, &ctl->keeper_bell, &ctl->output, emitted, cut, files);
}

struct supervisor *supervisor_start(pid_t child, int out_fd, int err_fd,
                                    struct chan_doorbell *keeper_bell)
{
    static const uint64_t nothing_emitted[2] = { 0, 0 };
    return start(child, out_fd, err_fd, keeper_bell, NULL, nothing_emitted, NULL, NULL);
}

int supervisor_replace(struct supervisor *s, pid_t child, int out_fd, int err_fd,
                       struct chan_ctl *ctl, const uint64_t cut[2])
{
    int pidfd = open_pidfd(child);
    if (pidfd < 0)
        return -1;
    stop_thread(s);
    if (!atomic_load(&s->exited))
        (void)wait_for(s->child);
    pthread_mutex_lock(&s->lock);
    /* The old process is gone: what its pipes hold now is all it wrote. */
    forward_available(s, 0);
    forward_available(s, 1);
    close_pipes(s);
    close(s->pidfd);
    s->child = child;
    s->pidfd = pidfd;
    s->bell = &ctl->keeper_bell;
    s->published = &ctl->output;
    adopt_pipes(s, out_fd, err_fd);
    restore_streams(s, cut);
    publish_all(s);
    (void)persist_positions(s);
    pthread_mutex_unlock(&s->lock);
    atomic_store(&s->exited, 0);
    return start_thread(s);
}

int supervisor_read_positions(const char *path, uint64_t pos[2])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    uint64_t stored[2];
    ssize_t n = pread(fd, stored, sizeof stored, 0);
    int err = errno;
    close(fd);
    if (n != (ssize_t)POSITIONS_FILE_BYTES) {
        errno = n < 0 ? err : EPROTO;
        return -1;
    }
    pos[0] = stored[0];
    pos[1] = stored[1];
    return 0;
}

void supervisor_positions(struct supervisor *s, uint64_t pos[2])
{
    pthread_mutex_lock(&s->lock);
    for (int i = 0; i < 2; i++)
        pos[i] = output_stream_emitted(&s->stream[i]);
    pthread_mutex_unlock(&s->lock);
}

int supervisor_exited(struct supervisor *s, int *wstatus)
{
    if (!atomic_load(&s->exited))
        return 0;
    *wstatus = s->wstatus;
    return 1;
}

void supervisor_say(struct supervisor *s, const char *line, size_t len)
{
    pthread_mutex_lock(&s->lock);
    (void)write_downstream(s, 1, line, len, 1);
    pthread_mutex_unlock(&s->lock);
}

void supervisor_flush(struct supervisor *s)
{
    pthread_mutex_lock(&s->lock);
    forward_available(s, 0);
    forward_available(s, 1);
    pthread_mutex_unlock(&s->lock);
}

int supervisor_finish(struct supervisor *s)
{
    if (s->thread_running)
        pthread_join(s->thread, NULL);
    int status = s->wstatus;
    free_supervisor(s);
    return status;
}

pid_t supervisor_pid(const struct supervisor *s)
{
    return s->child;
}

const char *supervisor_describe(int wstatus, char *buf, size_t len)
{
    if (WIFSIGNALED(wstatus) && sigabbrev_np(WTERMSIG(wstatus)))
        snprintf(buf, len, "killed by SIG%s", sigabbrev_np(WTERMSIG(wstatus)));
    else if (WIFSIGNALED(wstatus))
        snprintf(buf, len, "killed by signal %d", WTERMSIG(wstatus));
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(wstatus));
    return buf;
}
