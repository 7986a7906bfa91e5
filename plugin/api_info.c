/*
 * api_info.c — MPI's info calls in the compute process (MPI_Info_create,
 * set, get, get_nkeys, get_nthkey, get_valuelen, delete, dup, free), all
 * local (info.h). Errors go to MPI_COMM_WORLD's handler, as for every call
 * not tied to a communicator. MPI_INFO_ENV may be read and copied, not
 * freed.
 */
#include <stdio.h>
#include <string.h>

#include "plugin/errors.h"
#include "plugin/info.h"

static struct mk_info *info_arg(MPI_Info handle, const char *fn)
{
    mk_require_init(fn);
    return info_get(handle);
}

/* Hands a new info object to the app. */
static int give_info(struct mk_info *info, MPI_Info *out, const char *fn)
{
    if (!info) {
        *out = MPI_INFO_NULL;
        return mk_error(NULL, MPI_ERR_NO_MEM, fn);
    }
    *out = info_handle(info);
    return MPI_SUCCESS;
}

int MPI_Info_create(MPI_Info *info)
{
    mk_require_init("MPI_Info_create");
    return give_info(info_new(), info, "MPI_Info_create");
}

int MPI_Info_dup(MPI_Info info, MPI_Info *newinfo)
{
    struct mk_info *i = info_arg(info, "MPI_Info_dup");
    if (!i)
        return mk_error(NULL, MPI_ERR_INFO, "MPI_Info_dup");
    return give_info(info_dup(i), newinfo, "MPI_Info_dup");
}

int MPI_Info_free(MPI_Info *info)
{
    struct mk_info *i = info_arg(*info, "MPI_Info_free");
    if (!i || *info == MPI_INFO_ENV)
        return mk_error(NULL, MPI_ERR_INFO, "MPI_Info_free");
    info_destroy(i);
    *info = MPI_INFO_NULL;
    return MPI_SUCCESS;
}

int MPI_Info_set(MPI_Info info, const char *key, const char *value)
{
    struct mk_info *i = info_arg(info, "MPI_Info_set");
    if (!i)
        return mk_error(NULL, MPI_ERR_INFO, "MPI_Info_set");
    int rc = info_set(i, key, value);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Info_set");
}

int MPI_Info_delete(MPI_Info info, const char *key)
{
    struct mk_info *i = info_arg(info, "MPI_Info_delete");
    if (!i)
        return mk_error(NULL, MPI_ERR_INFO, "MPI_Info_delete");
    int rc = info_delete(i, key);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Info_delete");
}

int MPI_Info_get(MPI_Info info, const char *key, int valuelen, char *value, int *flag)
{
    struct mk_info *i = info_arg(info, "MPI_Info_get");
    if (!i)
        return mk_error(NULL, MPI_ERR_INFO, "MPI_Info_get");
    if (!*key || strlen(key) >= MPI_MAX_INFO_KEY)
        return mk_error(NULL, MPI_ERR_INFO_KEY, "MPI_Info_get");
    if (valuelen < 0)
        return mk_error(NULL, MPI_ERR_ARG, "MPI_Info_get");
    const char *v = info_value(i, key);
    *flag = v != NULL;
    if (v)
        /* MPI: at most valuelen characters, and the buffer has room for
         * the terminating NUL beyond them. */
        snprintf(value, (size_t)valuelen + 1, "%s", v);
    return MPI_SUCCESS;
}

int MPI_Info_get_valuelen(MPI_Info info, const char *key, int *valuelen, int *flag)
{
    struct mk_info *i = info_arg(info, "MPI_Info_get_valuelen");
    if (!i)
        return mk_error(NULL, MPI_ERR_INFO, "MPI_Info_get_valuelen");
    if (!*key || strlen(key) >= MPI_MAX_INFO_KEY)
        return mk_error(NULL, MPI_ERR_INFO_KEY, "MPI_Info_get_valuelen");
    const char *v = info_value(i, key);
    *flag = v != NULL;
    if (v)
        *valuelen = (int)strlen(v);
    return MPI_SUCCESS;
}

int MPI_Info_get_nkeys(MPI_Info info, int *nkeys)
{
    struct mk_info *i = info_arg(info, "MPI_Info_get_nkeys");
    if (!i)
        return mk_error(NULL, MPI_ERR_INFO, "MPI_Info_get_nkeys");
    *nkeys = i->n;
    return MPI_SUCCESS;
}

int MPI_Info_get_nthkey(MPI_Info info, int n, char *key)
{
    struct mk_info *i = info_arg(info, "MPI_Info_get_nthkey");
    if (!i)
        return mk_error(NULL, MPI_ERR_INFO, "MPI_Info_get_nthkey");
    if (n < 0 || n >= i->n) /* the class Open MPI gives */
        return mk_error(NULL, MPI_ERR_INFO_KEY, "MPI_Info_get_nthkey");
    snprintf(key, MPI_MAX_INFO_KEY, "%s", i->entries[n].key);
    return MPI_SUCCESS;
}
