/*
 * api_comm.c — MPI's communicator management in the compute process:
 * MPI_Comm_dup, Comm_dup_with_info, Comm_split, Comm_split_type,
 * Comm_create, Comm_create_group, Comm_free, and the local calls
 * Comm_compare, Comm_test_inter, Comm_set_name/get_name,
 * Comm_set_info/get_info.
 *
 * Creation is collective: the keeper makes its own communicator with Open
 * MPI (launcher/serve_comm.c) and tells this process its rank and the
 * members, from which the plugin's object is built (comm.h). What MPI
 * copies on a dup is copied here: error handler, topology, info hints and,
 * through the keyvals' copy callbacks, attributes; the name is not.
 * Intercommunicators do not exist (Comm_test_inter is always false).
 *
 * Invariant: a rank that gets no communicator (MPI_UNDEFINED color, not in
 * the group) gets MPI_COMM_NULL and the keeper records nothing for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/offset_heap.h"
#include "common/wire.h"
#include "plugin/attributes.h"
#include "plugin/client.h"
#include "plugin/comm.h"
#include "plugin/errors.h"
#include "plugin/group.h"
#include "plugin/info.h"
#include "plugin/topology.h"

/* --- helpers ------------------------------------------------------------------ */

static struct mk_comm *comm_arg(MPI_Comm comm, const char *fn)
{
    mk_require_init(fn);
    return comm_get(comm);
}

/* Hands the app the result of a creating call: the new communicator (or
 * MPI_COMM_NULL), or the error through the parent's handler. */
static int give_comm(struct mk_comm *parent, int rc, struct mk_comm *made, MPI_Comm *newcomm,
                     const char *fn)
{
    *newcomm = made ? comm_handle(made) : MPI_COMM_NULL;
    return rc == MPI_SUCCESS ? rc : mk_error(parent, rc, fn);
}

/* Gives the new communicator `made` a copy of `hints` (none when NULL). */
static int set_hints(struct mk_comm *made, const struct mk_info *hints)
{
    if (!hints)
        return MPI_SUCCESS;
    made->info = info_dup(hints);
    return made->info ? MPI_SUCCESS : MPI_ERR_NO_MEM;
}

/* --- duplication ------------------------------------------------------------------ */

/* What a duplicate takes over from `c` besides its group: attributes (by
 * their copy callbacks), topology and the given hints. On failure the
 * duplicate is freed again. */
static int fill_duplicate(struct mk_comm *c, struct mk_comm *made, const struct mk_info *hints)
{
    int rc = attributes_copy_comm(c, made);
    if (rc == MPI_SUCCESS && c->topology) {
        made->topology = topology_dup(c->topology);
        if (!made->topology)
            rc = MPI_ERR_NO_MEM;
    }
    if (rc == MPI_SUCCESS)
        rc = set_hints(made, hints);
    if (rc != MPI_SUCCESS) {
        attributes_delete_comm(made);
        comm_free_via_keeper(made);
    }
    return rc;
}

static int duplicate(MPI_Comm comm, const struct mk_info *hints, int with_info, MPI_Comm *newcomm,
                     const char *fn)
{
    struct mk_comm *c = comm_arg(comm, fn), *made = NULL;
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    struct chan_sub sub = { .op = WOP_COMM_DUP };
    int rc = comm_create_via_keeper(&sub, c, &made);
    if (rc == MPI_SUCCESS) {
        rc = fill_duplicate(c, made, with_info ? hints : c->info);
        if (rc != MPI_SUCCESS)
            made = NULL;
    }
    return give_comm(c, rc, made, newcomm, fn);
}

int MPI_Comm_dup(MPI_Comm comm, MPI_Comm *newcomm)
{
    return duplicate(comm, NULL, 0, newcomm, "MPI_Comm_dup");
}

int MPI_Comm_dup_with_info(MPI_Comm comm, MPI_Info info, MPI_Comm *newcomm)
{
    mk_require_init("MPI_Comm_dup_with_info");
    struct mk_info *hints = info_get(info);
    if (!hints && info != MPI_INFO_NULL)
        return mk_error(comm_get(comm), MPI_ERR_INFO, "MPI_Comm_dup_with_info");
    return duplicate(comm, hints, 1, newcomm, "MPI_Comm_dup_with_info");
}

/* --- splitting ------------------------------------------------------------------------ */

int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *newcomm)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Comm_split"), *made = NULL;
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Comm_split");
    if (color < 0 && color != MPI_UNDEFINED)
        return mk_error(c, MPI_ERR_ARG, "MPI_Comm_split");
    struct chan_sub sub = { .op = WOP_COMM_SPLIT };
    sub.arg[4] = color == MPI_UNDEFINED ? WIRE_UNDEFINED : color;
    sub.arg[5] = key;
    int rc = comm_create_via_keeper(&sub, c, &made);
    return give_comm(c, rc, made, newcomm, "MPI_Comm_split");
}

int MPI_Comm_split_type(MPI_Comm comm, int split_type, int key, MPI_Info info, MPI_Comm *newcomm)
{
    const char *fn = "MPI_Comm_split_type";
    struct mk_comm *c = comm_arg(comm, fn), *made = NULL;
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    if (split_type != MPI_COMM_TYPE_SHARED && split_type != MPI_UNDEFINED)
        return mk_error(c, MPI_ERR_ARG, fn);
    struct mk_info *hints = info_get(info);
    if (!hints && info != MPI_INFO_NULL)
        return mk_error(c, MPI_ERR_INFO, fn);
    struct chan_sub sub = { .op = WOP_COMM_SPLIT_TYPE };
    sub.arg[4] = split_type == MPI_UNDEFINED ? WIRE_UNDEFINED : WIRE_SPLIT_SHARED;
    sub.arg[5] = key;
    int rc = comm_create_via_keeper(&sub, c, &made);
    if (rc == MPI_SUCCESS && made && (rc = set_hints(made, hints)) != MPI_SUCCESS) {
        comm_free_via_keeper(made);
        made = NULL;
    }
    return give_comm(c, rc, made, newcomm, fn);
}

/* --- creation from a group ---------------------------------------------------------------- */

/* Comm_create and Comm_create_group: the group travels as ranks of the
 * parent, which it must be a subset of. */
static int create_from_group(MPI_Comm comm, MPI_Group group, int op, int tag, MPI_Comm *newcomm,
                             const char *fn)
{
    struct mk_comm *c = comm_arg(comm, fn), *made = NULL;
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    struct mk_group *g = group_get(group);
    if (!g)
        return mk_error(c, MPI_ERR_GROUP, fn);
    if (op == WOP_COMM_CREATE_GROUP && tag < 0)
        return mk_error(c, MPI_ERR_TAG, fn);
    uint64_t bytes = ((uint64_t)g->size + 1) * sizeof(int32_t);
    uint64_t block = client_alloc(bytes);
    if (block == OFFSET_HEAP_NONE)
        return mk_error(c, MPI_ERR_NO_MEM, fn);
    int32_t *ranks = client_ptr(block);
    int rc = MPI_SUCCESS;
    for (int i = 0; i < g->size && rc == MPI_SUCCESS; i++) {
        ranks[i] = -1;
        for (int r = 0; r < c->size; r++)
            if (c->members[r] == g->members[i])
                ranks[i] = r;
        if (ranks[i] < 0)
            rc = MPI_ERR_GROUP;
    }
    if (rc == MPI_SUCCESS) {
        struct chan_sub sub = { .op = (uint32_t)op };
        sub.arg[4] = (int64_t)block;
        sub.arg[5] = (int64_t)bytes;
        sub.arg[6] = g->size;
        sub.arg[7] = tag;
        rc = comm_create_via_keeper(&sub, c, &made);
    }
    client_free(block, bytes);
    return give_comm(c, rc, made, newcomm, fn);
}

int MPI_Comm_create(MPI_Comm comm, MPI_Group group, MPI_Comm *newcomm)
{
    return create_from_group(comm, group, WOP_COMM_CREATE, 0, newcomm, "MPI_Comm_create");
}

int MPI_Comm_create_group(MPI_Comm comm, MPI_Group group, int tag, MPI_Comm *newcomm)
{
    mk_require_init("MPI_Comm_create_group");
    struct mk_group *g = group_get(group);
    if (g && group_rank_of(g, comm_get(MPI_COMM_WORLD)->rank) == MPI_UNDEFINED) {
        /* Only members call it; a caller outside the group gets nothing
         * (as in Open MPI), and must not wait for the members. */
        *newcomm = MPI_COMM_NULL;
        return MPI_SUCCESS;
    }
    return create_from_group(comm, group, WOP_COMM_CREATE_GROUP, tag, newcomm,
                             "MPI_Comm_create_group");
}

/* --- freeing ------------------------------------------------------------------------------- */

int MPI_Comm_free(MPI_Comm *comm)
{
    struct mk_comm *c = comm_arg(*comm, "MPI_Comm_free");
    if (!c || *comm == MPI_COMM_WORLD || *comm == MPI_COMM_SELF)
        return mk_error(c, MPI_ERR_COMM, "MPI_Comm_free");
    /* Delete callbacks first: if one fails, the communicator stays. */
    int rc = attributes_delete_comm(c);
    if (rc != MPI_SUCCESS)
        return mk_error(c, rc, "MPI_Comm_free");
    rc = comm_free_via_keeper(c);
    *comm = MPI_COMM_NULL;
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Comm_free");
}

/* --- local queries ----------------------------------------------------------------------------- */

/* Whether `a` and `b` have the same members, in any order. */
static int same_members(const struct mk_comm *a, const struct mk_comm *b)
{
    int wsize = comm_get(MPI_COMM_WORLD)->size, same = 1;
    char *in_a = calloc((size_t)wsize, 1);
    if (!in_a)
        return -1;
    for (int i = 0; i < a->size; i++)
        in_a[a->members[i]] = 1;
    for (int i = 0; i < b->size; i++)
        same &= in_a[b->members[i]];
    free(in_a);
    return same;
}

int MPI_Comm_compare(MPI_Comm comm1, MPI_Comm comm2, int *result)
{
    struct mk_comm *a = comm_arg(comm1, "MPI_Comm_compare"), *b = comm_get(comm2);
    if (!a || !b)
        return mk_error(a, MPI_ERR_COMM, "MPI_Comm_compare");
    if (a == b) {
        *result = MPI_IDENT;
        return MPI_SUCCESS;
    }
    if (a->size != b->size) {
        *result = MPI_UNEQUAL;
        return MPI_SUCCESS;
    }
    if (memcmp(a->members, b->members, (size_t)a->size * sizeof *a->members) == 0) {
        *result = MPI_CONGRUENT;
        return MPI_SUCCESS;
    }
    int same = same_members(a, b);
    if (same < 0)
        return mk_error(a, MPI_ERR_NO_MEM, "MPI_Comm_compare");
    *result = same ? MPI_SIMILAR : MPI_UNEQUAL;
    return MPI_SUCCESS;
}

int MPI_Comm_test_inter(MPI_Comm comm, int *flag)
{
    if (!comm_arg(comm, "MPI_Comm_test_inter"))
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Comm_test_inter");
    *flag = 0;
    return MPI_SUCCESS;
}

int MPI_Comm_set_name(MPI_Comm comm, const char *comm_name)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Comm_set_name");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Comm_set_name");
    snprintf(c->name, sizeof c->name, "%s", comm_name);
    return MPI_SUCCESS;
}

int MPI_Comm_get_name(MPI_Comm comm, char *comm_name, int *resultlen)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Comm_get_name");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Comm_get_name");
    snprintf(comm_name, MPI_MAX_OBJECT_NAME, "%s", c->name);
    *resultlen = (int)strlen(comm_name);
    return MPI_SUCCESS;
}

int MPI_Comm_set_info(MPI_Comm comm, MPI_Info info)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Comm_set_info");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Comm_set_info");
    struct mk_info *hints = info_get(info);
    if (!hints)
        return mk_error(c, MPI_ERR_INFO, "MPI_Comm_set_info");
    struct mk_info *copy = info_dup(hints);
    if (!copy)
        return mk_error(c, MPI_ERR_NO_MEM, "MPI_Comm_set_info");
    info_destroy(c->info);
    c->info = copy;
    return MPI_SUCCESS;
}

int MPI_Comm_get_info(MPI_Comm comm, MPI_Info *info_used)
{
    struct mk_comm *c = comm_arg(comm, "MPI_Comm_get_info");
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Comm_get_info");
    struct mk_info *copy = info_dup(c->info);
    if (!copy)
        return mk_error(c, MPI_ERR_NO_MEM, "MPI_Comm_get_info");
    *info_used = info_handle(copy);
    return MPI_SUCCESS;
}
