/*
 * layout_atomic.c — the temporary-name, fsync, rename, directory-fsync
 * cycle of storage/layout_atomic.h, and the two directory primitives the
 * layout builds on (durable mkdir, directory fsync).
 *
 * The order is the whole point: data fsync before the rename (otherwise a
 * power loss can leave the final name pointing at an empty or partial
 * file), directory fsync after it (otherwise the rename itself can be lost).
 */
#include "storage/layout_atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/layout_internal.h"

/* The directory part of `path` (dirname() may modify its argument). */
static int parent_of(const char *path, char out[PATH_MAX])
{
    char copy[PATH_MAX];
    if (layout_path(copy, "%s", path) < 0)
        return -1;
    return layout_path(out, "%s", dirname(copy));
}

int layout_fsync_dir(const char *dir, char err[LAYOUT_ERROR_MAX])
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return layout_fail(err, "cannot open directory %s to fsync it", dir);
    if (fsync(fd) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return layout_fail(err, "cannot fsync directory %s", dir);
    }
    close(fd);
    return 0;
}

int layout_mkdir(const char *path, char err[LAYOUT_ERROR_MAX])
{
    if (mkdir(path, 0755) < 0) {
        struct stat st;
        if (errno != EEXIST)
            return layout_fail(err, "cannot create directory %s", path);
        if (stat(path, &st) < 0)
            return layout_fail(err, "cannot stat %s", path);
        if (!S_ISDIR(st.st_mode))
            return layout_bad(err, ENOTDIR, "cannot create directory %s: a file of that name exists",
                              path);
    }
    char parent[PATH_MAX];
    if (parent_of(path, parent) < 0)
        return layout_fail(err, "cannot name the parent of %s", path);
    return layout_fsync_dir(parent, err);
}

int atomic_file_open(struct atomic_file *f, const char *path, char err[LAYOUT_ERROR_MAX])
{
    char copy[PATH_MAX], dir[PATH_MAX];
    f->fd = -1;
    if (layout_path(f->path, "%s", path) < 0 || layout_path(copy, "%s", path) < 0 ||
        parent_of(path, dir) < 0 ||
        layout_path(f->tmp, "%s/.%s.tmp.%ld", dir, basename(copy), (long)getpid()) < 0)
        return layout_fail(err, "cannot name a temporary file for %s", path);
    f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (f->fd < 0)
        return layout_fail(err, "cannot create %s (to become %s)", f->tmp, f->path);
    xxh64_init(&f->sum, 0);
    f->size = 0;
    f->xxh64 = 0;
    return 0;
}

void atomic_file_abort(struct atomic_file *f)
{
    int saved = errno;
    if (f->fd >= 0) {
        close(f->fd);
        unlink(f->tmp);
        f->fd = -1;
    }
    errno = saved;
}

int atomic_file_write(struct atomic_file *f, const void *data, size_t len,
                      char err[LAYOUT_ERROR_MAX])
{
    const char *p = data;
    xxh64_update(&f->sum, data, len);
    f->size += len;
    while (len > 0) {
        ssize_t n = write(f->fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            layout_fail(err, "cannot write %s (to become %s)", f->tmp, f->path);
            atomic_file_abort(f);
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

int atomic_file_commit(struct atomic_file *f, char err[LAYOUT_ERROR_MAX])
{
    char dir[PATH_MAX];
    if (fsync(f->fd) < 0) {
        layout_fail(err, "cannot fsync %s (to become %s)", f->tmp, f->path);
        atomic_file_abort(f);
        return -1;
    }
    if (close(f->fd) < 0) {
        f->fd = -1;
        layout_fail(err, "cannot close %s (to become %s)", f->tmp, f->path);
        unlink(f->tmp);
        return -1;
    }
    f->fd = -1;
    if (rename(f->tmp, f->path) < 0) {
        layout_fail(err, "cannot rename %s to %s", f->tmp, f->path);
        unlink(f->tmp);
        return -1;
    }
    f->xxh64 = xxh64_digest(&f->sum);
    if (parent_of(f->path, dir) < 0)
        return layout_fail(err, "cannot name the directory of %s", f->path);
    return layout_fsync_dir(dir, err);
}

int atomic_write_file(const char *path, const void *data, size_t len, char err[LAYOUT_ERROR_MAX])
{
    struct atomic_file f;
    if (atomic_file_open(&f, path, err) < 0 || atomic_file_write(&f, data, len, err) < 0)
        return -1;
    return atomic_file_commit(&f, err);
}

int layout_file_sum(const char *path, uint64_t *size, uint64_t *xxh, char err[LAYOUT_ERROR_MAX])
{
    unsigned char buf[1 << 16];
    struct xxh64_state s;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return layout_fail(err, "cannot open %s", path);
    xxh64_init(&s, 0);
    *size = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            layout_fail(err, "cannot read %s", path);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        xxh64_update(&s, buf, (size_t)n);
        *size += (uint64_t)n;
    }
    close(fd);
    *xxh = xxh64_digest(&s);
    return 0;
}
