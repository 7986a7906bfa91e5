/*
 * msg.c — one-line messages and small file reads for code that may run in
 * a forked child or a restored process sitting in a signal handler: no
 * stdio, no malloc. A message is built in a fixed buffer (longer text is
 * cut) and written to stderr with one write(2), so lines from concurrent
 * processes do not interleave.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugin/capture/capture_internal.h"

void msg_str(struct cap_msg *m, const char *s)
{
    while (*s && m->len < sizeof m->buf - 1)
        m->buf[m->len++] = *s++;
}

void msg_u64(struct cap_msg *m, uint64_t v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (n && m->len < sizeof m->buf - 1)
        m->buf[m->len++] = tmp[--n];
}

void msg_fixed(struct cap_msg *m, uint64_t v, int decimals)
{
    uint64_t scale = 1;
    for (int i = 0; i < decimals; i++)
        scale *= 10;
    msg_u64(m, v / scale);
    if (decimals == 0)
        return;
    msg_str(m, ".");
    uint64_t frac = v % scale;
    for (uint64_t s = scale / 10; s > 0; s /= 10) {
        char d[2] = { (char)('0' + frac / s % 10), 0 };
        msg_str(m, d);
    }
}

/* strerrordesc_np: glibc's untranslated table, no locale, no allocation. */
void msg_errno(struct cap_msg *m, int errnum)
{
    const char *text = strerrordesc_np(errnum);
    msg_str(m, ": ");
    if (text)
        msg_str(m, text);
    else {
        msg_str(m, "errno ");
        msg_u64(m, (uint64_t)errnum);
    }
}

void msg_emit(struct cap_msg *m)
{
    m->buf[m->len++] = '\n';
    const char *p = m->buf;
    size_t n = m->len;
    while (n > 0) {
        ssize_t k = write(STDERR_FILENO, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        p += k;
        n -= (size_t)k;
    }
    m->len = 0;
}

int64_t cap_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

ssize_t cap_read_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t len = 0;
    for (;;) {
        if (len == cap) {
            close(fd);
            errno = EFBIG;
            return -1;
        }
        ssize_t k = read(fd, buf + len, cap - len);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
        if (k == 0)
            break;
        len += (size_t)k;
    }
    close(fd);
    return (ssize_t)len;
}
