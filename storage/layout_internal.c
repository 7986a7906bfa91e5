/*
 * layout_internal.c — the helpers of storage/layout_internal.h: error
 * lines, bounded path formatting, reading a small file whole, the strict
 * spelling of epoch numbers, and removing a directory tree.
 */
#include "storage/layout_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int layout_fail(char err[LAYOUT_ERROR_MAX], const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(err, LAYOUT_ERROR_MAX, fmt, ap);
    va_end(ap);
    if (n >= 0 && n < LAYOUT_ERROR_MAX)
        snprintf(err + n, LAYOUT_ERROR_MAX - (size_t)n, ": %s", strerror(saved));
    errno = saved;
    return -1;
}

int layout_bad(char err[LAYOUT_ERROR_MAX], int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, LAYOUT_ERROR_MAX, fmt, ap);
    va_end(ap);
    errno = errnum;
    return -1;
}

int layout_path(char out[PATH_MAX], const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out, PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return 0;
}

/* Reads until end of file or until more than `max` bytes were seen. */
static int read_all(int fd, char *buf, size_t max, size_t *len)
{
    *len = 0;
    while (*len <= max) {
        ssize_t n = read(fd, buf + *len, max + 1 - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        *len += (size_t)n;
    }
    errno = EFBIG;
    return -1;
}

int layout_read_small(const char *path, size_t max, char **data, size_t *len,
                      char err[LAYOUT_ERROR_MAX])
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return layout_fail(err, "cannot open %s", path);
    char *buf = malloc(max + 2);
    if (!buf) {
        close(fd);
        return layout_fail(err, "cannot allocate %zu bytes to read %s", max + 2, path);
    }
    if (read_all(fd, buf, max, len) < 0) {
        layout_fail(err, "cannot read %s", path);
        free(buf);
        close(fd);
        return -1;
    }
    close(fd);
    buf[*len] = '\0';
    *data = buf;
    return 0;
}

int layout_parse_u64(const char *text, uint64_t *out)
{
    uint64_t v = 0;
    if (text[0] < '0' || text[0] > '9' || (text[0] == '0' && text[1] != '\0'))
        return -1;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9' || v > (UINT64_MAX - 9) / 10)
            return -1;
        v = v * 10 + (uint64_t)(*p - '0');
    }
    *out = v;
    return 0;
}

/* Removes what `dfd` (an open directory named `path`) contains. */
static int empty_dir(int dfd, const char *path, char err[LAYOUT_ERROR_MAX])
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return layout_fail(err, "cannot list %s", path);
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char child[PATH_MAX];
        if (layout_path(child, "%s/%s", path, e->d_name) < 0)
            rc = layout_fail(err, "cannot remove an entry of %s", path);
        else if (unlinkat(dirfd(d), e->d_name, 0) == 0)
            continue;
        else if (errno == EISDIR)
            rc = layout_remove_tree(child, err);
        else
            rc = layout_fail(err, "cannot remove %s", child);
    }
    if (rc == 0 && errno != 0)
        rc = layout_fail(err, "cannot list %s", path);
    closedir(d);
    return rc;
}

int layout_remove_tree(const char *path, char err[LAYOUT_ERROR_MAX])
{
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return layout_fail(err, "cannot open directory %s to remove it", path);
    if (empty_dir(dfd, path, err) < 0)
        return -1;
    if (rmdir(path) < 0)
        return layout_fail(err, "cannot remove directory %s", path);
    return 0;
}

void layout_hex64(uint64_t v, char out[17])
{
    snprintf(out, 17, "%016llx", (unsigned long long)v);
}

int layout_parse_hex64(const char *text, size_t len, uint64_t *out)
{
    uint64_t v = 0;
    if (len != 16)
        return -1;
    for (size_t i = 0; i < len; i++) {
        char c = text[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            return -1;
        v = v << 4 | d;
    }
    *out = v;
    return 0;
}
