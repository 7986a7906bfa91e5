/*
 * info.c — info objects and MPI_INFO_ENV (see info.h).
 *
 * MPI_INFO_ENV holds what Open MPI's does that makes sense for the compute
 * process: command, argv, maxprocs, soft, host, arch, wdir, thread_level.
 */
#include "plugin/info.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static struct mk_info env_info = { MK_INFO_MAGIC, 0, 0, NULL };
static int env_filled;

/* --- MPI_INFO_ENV --------------------------------------------------------- */

/* Sets command and argv from /proc/self/cmdline (NUL-separated). */
static void env_command_line(struct mk_info *info)
{
    FILE *f = fopen("/proc/self/cmdline", "r");
    if (!f)
        return;
    char buf[MPI_MAX_INFO_VAL * 2];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *command = buf, *base = strrchr(command, '/');
    info_set(info, "command", base ? base + 1 : command);
    char args[MPI_MAX_INFO_VAL] = "";
    size_t used = 0;
    for (size_t at = strlen(buf) + 1; at < n; at += strlen(buf + at) + 1) {
        int w = snprintf(args + used, sizeof args - used, "%s%s", used ? " " : "", buf + at);
        if (w < 0 || (size_t)w >= sizeof args - used)
            break; /* an info value is bounded; the start of argv is kept */
        used += (size_t)w;
    }
    if (used)
        info_set(info, "argv", args);
}

static const char *thread_level_name(int level)
{
    switch (level) {
    case MPI_THREAD_FUNNELED: return "MPI_THREAD_FUNNELED";
    case MPI_THREAD_SERIALIZED: return "MPI_THREAD_SERIALIZED";
    case MPI_THREAD_MULTIPLE: return "MPI_THREAD_MULTIPLE";
    default: return "MPI_THREAD_SINGLE";
    }
}

static void env_fill(struct mk_info *info)
{
    char text[MPI_MAX_INFO_VAL];
    int size = 1, level = MPI_THREAD_SINGLE, initialized = 0;
    env_command_line(info);
    MPI_Initialized(&initialized);
    if (initialized) {
        MPI_Comm_size(MPI_COMM_WORLD, &size);
        MPI_Query_thread(&level);
    }
    snprintf(text, sizeof text, "%d", size);
    info_set(info, "maxprocs", text);
    info_set(info, "soft", text);
    if (gethostname(text, sizeof text) == 0) {
        text[sizeof text - 1] = '\0';
        info_set(info, "host", text);
    }
    struct utsname u;
    if (uname(&u) == 0)
        info_set(info, "arch", u.machine);
    if (getcwd(text, sizeof text))
        info_set(info, "wdir", text);
    info_set(info, "thread_level", thread_level_name(level));
}

/* --- objects ------------------------------------------------------------------ */

struct mk_info *info_get(MPI_Info handle)
{
    if (handle == MPI_INFO_ENV) {
        if (!env_filled) {
            env_filled = 1;
            env_fill(&env_info);
        }
        return &env_info;
    }
    if (handle == MPI_INFO_NULL || handle == NULL)
        return NULL;
    struct mk_info *info = (struct mk_info *)(void *)handle;
    return info->magic == MK_INFO_MAGIC ? info : NULL;
}

MPI_Info info_handle(struct mk_info *info)
{
    return info == &env_info ? MPI_INFO_ENV : (MPI_Info)(void *)info;
}

struct mk_info *info_new(void)
{
    struct mk_info *info = calloc(1, sizeof *info);
    if (info)
        info->magic = MK_INFO_MAGIC;
    return info;
}

struct mk_info *info_dup(const struct mk_info *info)
{
    struct mk_info *copy = info_new();
    for (int i = 0; copy && info && i < info->n; i++)
        if (info_set(copy, info->entries[i].key, info->entries[i].value) != MPI_SUCCESS) {
            info_destroy(copy);
            copy = NULL;
        }
    return copy;
}

void info_destroy(struct mk_info *info)
{
    if (!info || info == &env_info)
        return;
    for (int i = 0; i < info->n; i++) {
        free(info->entries[i].key);
        free(info->entries[i].value);
    }
    free(info->entries);
    info->magic = 0;
    free(info);
}

static int find(const struct mk_info *info, const char *key)
{
    for (int i = 0; i < info->n; i++)
        if (strcmp(info->entries[i].key, key) == 0)
            return i;
    return -1;
}

static int key_valid(const char *key)
{
    size_t len = strlen(key);
    return len > 0 && len < MPI_MAX_INFO_KEY;
}

int info_set(struct mk_info *info, const char *key, const char *value)
{
    if (!key_valid(key))
        return MPI_ERR_INFO_KEY;
    if (strlen(value) >= MPI_MAX_INFO_VAL)
        return MPI_ERR_INFO_VALUE;
    char *copy = strdup(value);
    if (!copy)
        return MPI_ERR_NO_MEM;
    int i = find(info, key);
    if (i >= 0) {
        free(info->entries[i].value);
        info->entries[i].value = copy;
        return MPI_SUCCESS;
    }
    if (info->n == info->cap) {
        int cap = info->cap ? 2 * info->cap : 8;
        struct info_entry *bigger = realloc(info->entries, (size_t)cap * sizeof *bigger);
        if (!bigger) {
            free(copy);
            return MPI_ERR_NO_MEM;
        }
        info->entries = bigger;
        info->cap = cap;
    }
    char *key_copy = strdup(key);
    if (!key_copy) {
        free(copy);
        return MPI_ERR_NO_MEM;
    }
    info->entries[info->n++] = (struct info_entry){ key_copy, copy };
    return MPI_SUCCESS;
}

const char *info_value(const struct mk_info *info, const char *key)
{
    int i = find(info, key);
    return i >= 0 ? info->entries[i].value : NULL;
}

int info_delete(struct mk_info *info, const char *key)
{
    if (!key_valid(key))
        return MPI_ERR_INFO_KEY;
    int i = find(info, key);
    if (i < 0)
        return MPI_ERR_INFO_NOKEY;
    free(info->entries[i].key);
    free(info->entries[i].value);
    memmove(&info->entries[i], &info->entries[i + 1],
            (size_t)(info->n - i - 1) * sizeof info->entries[0]);
    info->n--;
    return MPI_SUCCESS;
}
