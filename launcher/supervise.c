/*
 * supervise.c — output forwarding and exit detection for the compute
 * process (see supervise.h).
 *
 * One thread polls both pipes and the pidfd. A mutex serializes every
 * read-and-forward of a pipe, so supervisor_flush (called by the keeper
 * before it aborts the job) and the thread never interleave one stream's
 * bytes. After the process has exited the thread keeps reading until both
 * pipes reach end of file, but gives up after a grace period: a daemon the
 * app started may hold the pipes open forever.
 */
#include "launcher/supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DRAIN_GRACE_MS 2000

struct supervisor {
    pid_t child;
    int pidfd;
    int in_fd[2];              /* compute's stdout, stderr (read ends); -1 at EOF */
    int out_fd[2];             /* where they go: 1, 2 */
    struct chan_doorbell *bell;
    pthread_t thread;
    pthread_mutex_t lock;
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

/* Forwards what is readable on stream i now; closes it at end of file.
 * Returns the bytes forwarded. Caller holds the lock. */
static size_t forward_available(struct supervisor *s, int i)
{
    char buf[65536];
    size_t total = 0;
    while (s->in_fd[i] >= 0) {
        ssize_t n = read(s->in_fd[i], buf, sizeof buf);
        if (n > 0) {
            /* A closed stdout of the keeper must not stop the app: the
             * bytes are dropped, as a write to a closed pipe would be. */
            (void)write_all(s->out_fd[i], buf, (size_t)n);
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

static void reap(struct supervisor *s)
{
    int status;
    while (waitpid(s->child, &status, 0) < 0 && errno == EINTR)
        ;
    s->wstatus = status;
    atomic_store(&s->exited, 1);
    chan_doorbell_ring(s->bell);
}

static void *supervise_thread(void *arg)
{
    struct supervisor *s = arg;
    int grace_left = DRAIN_GRACE_MS;
    for (;;) {
        struct pollfd fds[3];
        int n = 0, exited = atomic_load(&s->exited);
        for (int i = 0; i < 2; i++)
            if (s->in_fd[i] >= 0)
                fds[n++] = (struct pollfd){ .fd = s->in_fd[i], .events = POLLIN };
        if (!exited)
            fds[n++] = (struct pollfd){ .fd = s->pidfd, .events = POLLIN };
        if (n == 0)
            break;
        int timeout = exited ? 100 : -1;
        int ready = poll(fds, (nfds_t)n, timeout);
        if (ready < 0 && errno != EINTR)
            break;
        if (!exited && (fds[n - 1].revents & (POLLIN | POLLHUP | POLLERR)))
            reap(s);
        pthread_mutex_lock(&s->lock);
        size_t moved = forward_available(s, 0) + forward_available(s, 1);
        pthread_mutex_unlock(&s->lock);
        if (exited && moved == 0 && (grace_left -= 100) <= 0)
            break;
    }
    return NULL;
}

static int open_pidfd(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

struct supervisor *supervisor_start(pid_t child, int out_fd, int err_fd,
                                    struct chan_doorbell *keeper_bell)
{
    struct supervisor *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->child = child;
    s->pidfd = open_pidfd(child);
    if (s->pidfd < 0) {
        free(s);
        return NULL;
    }
    s->in_fd[0] = out_fd;
    s->in_fd[1] = err_fd;
    s->out_fd[0] = STDOUT_FILENO;
    s->out_fd[1] = STDERR_FILENO;
    for (int i = 0; i < 2; i++)
        fcntl(s->in_fd[i], F_SETFL, fcntl(s->in_fd[i], F_GETFL) | O_NONBLOCK);
    s->bell = keeper_bell;
    pthread_mutex_init(&s->lock, NULL);
    /* The thread must not take signals meant for the keeper's main thread. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&s->thread, NULL, supervise_thread, s);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err) {
        close(s->pidfd);
        free(s);
        errno = err;
        return NULL;
    }
    return s;
}

int supervisor_exited(struct supervisor *s, int *wstatus)
{
    if (!atomic_load(&s->exited))
        return 0;
    *wstatus = s->wstatus;
    return 1;
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
    pthread_join(s->thread, NULL);
    for (int i = 0; i < 2; i++)
        if (s->in_fd[i] >= 0)
            close(s->in_fd[i]);
    close(s->pidfd);
    int status = s->wstatus;
    pthread_mutex_destroy(&s->lock);
    free(s);
    return status;
}

pid_t supervisor_pid(const struct supervisor *s)
{
    return s->child;
}

const char *supervisor_describe(int wstatus, char *buf, size_t len)
{
    if (WIFSIGNALED(wstatus))
        snprintf(buf, len, "killed by SIG%s", sigabbrev_np(WTERMSIG(wstatus))
                 ? sigabbrev_np(WTERMSIG(wstatus)) : "?");
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(wstatus));
    return buf;
}
