/*
 * info.h — the plugin's info objects: what an MPI_Info of the app points to.
 * An info is an ordered list of (key, value) strings, local to the compute
 * process; hints given to communicator calls are kept, never sent to the
 * keeper (Open MPI acts on none that matter here).
 *
 * Invariants: keys are unique, at most MPI_MAX_INFO_KEY - 1 characters,
 * values at most MPI_MAX_INFO_VAL - 1; entries stay in the order their keys
 * were first set (that is MPI_Info_get_nthkey's order). MPI_INFO_ENV is one
 * static object filled at its first use; it is never freed.
 */
#ifndef MPICKPT_PLUGIN_INFO_H
#define MPICKPT_PLUGIN_INFO_H

#include <mpi.h>
#include <stdint.h>

struct info_entry {
    char *key, *value;
};

struct mk_info {
    uint32_t magic;
    int n, cap;
    struct info_entry *entries;
};

#define MK_INFO_MAGIC 0x4d4b494eu /* "MKIN" */

/* The object behind an app handle (MPI_INFO_ENV included); NULL for
 * MPI_INFO_NULL or a handle that is no info. */
struct mk_info *info_get(MPI_Info handle);
MPI_Info info_handle(struct mk_info *info);
/* A new empty info, or NULL when memory is short. */
struct mk_info *info_new(void);
/* A copy of `info` (an empty one for NULL), or NULL when memory is short. */
struct mk_info *info_dup(const struct mk_info *info);
/* Frees an info (NULL and MPI_INFO_ENV's object are left alone). */
void info_destroy(struct mk_info *info);
/* Sets, finds and deletes keys; the int functions return an MPI error
 * class (MPI_ERR_INFO_KEY, MPI_ERR_INFO_VALUE, MPI_ERR_INFO_NOKEY,
 * MPI_ERR_NO_MEM). info_value returns NULL when the key is not set. */
int info_set(struct mk_info *info, const char *key, const char *value);
const char *info_value(const struct mk_info *info, const char *key);
int info_delete(struct mk_info *info, const char *key);

#endif
