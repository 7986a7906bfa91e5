/*
 * launch_env.c — checks and environment for starting the compute process
 * (see launch_env.h).
 */
#include "launcher/launch_env.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *launch_plugin_path(void)
{
    const char *env = getenv("MPICKPT_PLUGIN");
    return env && *env ? env : MPICKPT_PLUGIN_PATH;
}

int launch_resolve(const char *program, char *out, size_t len)
{
    if (strchr(program, '/')) {
        snprintf(out, len, "%s", program);
        return access(out, F_OK);
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t dirlen = end ? (size_t)(end - path) : strlen(path);
        snprintf(out, len, "%.*s/%s", (int)dirlen, dirlen ? path : ".", program);
        if (access(out, X_OK) == 0)
            return 0;
        path += dirlen + (end ? 1 : 0);
    }
    return -1;
}

/* 1 if the ELF file at `path` has a program interpreter (is dynamically
 * linked), 0 if it is static, -1 if it is not a 64-bit ELF file. */
static int elf_is_dynamic(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    Elf64_Ehdr eh;
    int result = -1;
    if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh &&
        memcmp(eh.e_ident, ELFMAG, SELFMAG) == 0 && eh.e_ident[EI_CLASS] == ELFCLASS64) {
        result = 0;
        for (int i = 0; i < eh.e_phnum; i++) {
            Elf64_Phdr ph;
            off_t at = (off_t)eh.e_phoff + (off_t)i * eh.e_phentsize;
            if (pread(fd, &ph, sizeof ph, at) != (ssize_t)sizeof ph)
                break;
            if (ph.p_type == PT_INTERP)
                result = 1;
        }
    }
    close(fd);
    return result;
}

int launch_check_program(const char *program, const char *plugin, char *why, size_t len)
{
    char path[4096];
    struct stat st;
    if (launch_resolve(program, path, sizeof path) != 0 || stat(path, &st) != 0) {
        snprintf(why, len, "cannot run %s: no such program", program);
        return -1;
    }
    if (!S_ISREG(st.st_mode) || access(path, X_OK) != 0) {
        snprintf(why, len, "cannot run %s: not an executable file", path);
        return -1;
    }
    if (elf_is_dynamic(path) == 0) {
        snprintf(why, len, "cannot run %s: it is statically linked, so libmpickpt.so cannot be "
                 "preloaded into it (link it dynamically, as mpicc does by default)", path);
        return -1;
    }
    if (access(plugin, R_OK) != 0) {
        snprintf(why, len, "cannot read the plugin %s: %s (set MPICKPT_PLUGIN to its path)",
                 plugin, strerror(errno));
        return -1;
    }
    return 0;
}

int launch_env_for_compute(const char *plugin, int channel_fd)
{
    int flags = fcntl(channel_fd, F_GETFD);
    if (flags < 0 || fcntl(channel_fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        return -1;
    char fd_text[16];
    snprintf(fd_text, sizeof fd_text, "%d", channel_fd);
    const char *old = getenv("LD_PRELOAD");
    size_t len = strlen(plugin) + (old ? strlen(old) + 2 : 1);
    char *preload = malloc(len);
    if (!preload)
        return -1;
    snprintf(preload, len, "%s%s%s", plugin, old && *old ? ":" : "", old ? old : "");
    int rc = setenv("LD_PRELOAD", preload, 1) | setenv("MPICKPT_CHANNEL_FD", fd_text, 1);
    free(preload);
    return rc ? -1 : 0;
}
