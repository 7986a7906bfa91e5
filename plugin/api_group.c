/*
 * api_group.c — MPI's group calls in the compute process: every MPI_Group_*
 * function of MPI-3.1 and MPI_Comm_group, answered locally from the group
 * and communicator objects (groups are lists of world ranks, group.h).
 *
 * Orders follow MPI-3.1 §6.3: a union lists the first group's members, then
 * the second's that are not in the first; intersection and difference keep
 * the first group's order; incl and range_incl take the order given, excl
 * and range_excl keep the group's. Errors go to MPI_COMM_WORLD's handler
 * (groups have none of their own). Range triplets are checked as Open MPI
 * does: both ends must be ranks of the group and the stride must point
 * from first to last.
 */
#include <stdlib.h>

#include "plugin/comm.h"
#include "plugin/errors.h"
#include "plugin/group.h"

/* --- helpers ------------------------------------------------------------- */

static int my_world_rank(void)
{
    return comm_get(MPI_COMM_WORLD)->rank;
}

/* A table from world rank to rank in `g` (MPI_UNDEFINED when absent), for
 * set operations in linear time; NULL when memory is short. */
static int *world_to_group(const struct mk_group *g)
{
    int wsize = comm_get(MPI_COMM_WORLD)->size;
    int *table = malloc((size_t)wsize * sizeof *table);
    if (!table)
        return NULL;
    for (int i = 0; i < wsize; i++)
        table[i] = MPI_UNDEFINED;
    for (int i = 0; i < g->size; i++)
        table[g->members[i]] = i;
    return table;
}

/* Hands the app a new group of `n` world ranks. */
static int give_group(int n, const int *members, MPI_Group *out, const char *fn)
{
    struct mk_group *g = group_new(n, members);
    if (!g) {
        *out = MPI_GROUP_NULL;
        return mk_error(NULL, MPI_ERR_NO_MEM, fn);
    }
    *out = group_handle(g);
    return MPI_SUCCESS;
}

/* Checks that `ranks` are `n` distinct ranks of `g`; `seen` (g->size
 * bytes, zeroed) records them. Returns an MPI error class. */
static int check_distinct_ranks(const struct mk_group *g, int n, const int *ranks, char *seen)
{
    if (n < 0 || n > g->size)
        return MPI_ERR_ARG;
    for (int i = 0; i < n; i++) {
        if (ranks[i] < 0 || ranks[i] >= g->size || seen[ranks[i]])
            return MPI_ERR_RANK;
        seen[ranks[i]] = 1;
    }
    return MPI_SUCCESS;
}

/* Expands `n` range triplets of `g` into `out` (room for g->size ranks)
 * and marks them in `seen`; `*count` is the number of ranks named.
 * Returns an MPI error class. */
static int expand_ranges(const struct mk_group *g, int n, int ranges[][3], int *out, int *count,
                         char *seen)
{
    *count = 0;
    if (n < 0)
        return MPI_ERR_ARG;
    for (int i = 0; i < n; i++) {
        int first = ranges[i][0], last = ranges[i][1], stride = ranges[i][2];
        if (stride == 0 || first < 0 || first >= g->size || last < 0 || last >= g->size ||
            (stride > 0 && first > last) || (stride < 0 && first < last))
            return MPI_ERR_RANK;
        for (long long r = first; stride > 0 ? r <= last : r >= last; r += stride) {
            if (seen[r])
                return MPI_ERR_RANK;
            seen[r] = 1;
            out[(*count)++] = (int)r;
        }
    }
    return MPI_SUCCESS;
}

/* The common part of every call that takes one group: init check, handle. */
static struct mk_group *group_arg(MPI_Group handle, const char *fn)
{
    mk_require_init(fn);
    return group_get(handle);
}

/* --- queries --------------------------------------------------------------- */

int MPI_Group_size(MPI_Group group, int *size)
{
    struct mk_group *g = group_arg(group, "MPI_Group_size");
    if (!g)
        return mk_error(NULL, MPI_ERR_GROUP, "MPI_Group_size");
    *size = g->size;
    return MPI_SUCCESS;
}

int MPI_Group_rank(MPI_Group group, int *rank)
{
    struct mk_group *g = group_arg(group, "MPI_Group_rank");
    if (!g)
        return mk_error(NULL, MPI_ERR_GROUP, "MPI_Group_rank");
    *rank = group_rank_of(g, my_world_rank());
    return MPI_SUCCESS;
}

int MPI_Group_translate_ranks(MPI_Group group1, int n, const int ranks1[], MPI_Group group2,
                              int ranks2[])
{
    const char *fn = "MPI_Group_translate_ranks";
    struct mk_group *g1 = group_arg(group1, fn), *g2 = group_get(group2);
    if (!g1 || !g2)
        return mk_error(NULL, MPI_ERR_GROUP, fn);
    if (n < 0)
        return mk_error(NULL, MPI_ERR_ARG, fn);
    for (int i = 0; i < n; i++)
        if (ranks1[i] != MPI_PROC_NULL && (ranks1[i] < 0 || ranks1[i] >= g1->size))
            return mk_error(NULL, MPI_ERR_RANK, fn);
    int *in_g2 = world_to_group(g2);
    if (!in_g2)
        return mk_error(NULL, MPI_ERR_NO_MEM, fn);
    for (int i = 0; i < n; i++)
        ranks2[i] = ranks1[i] == MPI_PROC_NULL ? MPI_PROC_NULL : in_g2[g1->members[ranks1[i]]];
    free(in_g2);
    return MPI_SUCCESS;
}

int MPI_Group_compare(MPI_Group group1, MPI_Group group2, int *result)
{
    const char *fn = "MPI_Group_compare";
    struct mk_group *g1 = group_arg(group1, fn), *g2 = group_get(group2);
    if (!g1 || !g2)
        return mk_error(NULL, MPI_ERR_GROUP, fn);
    if (g1->size != g2->size) {
        *result = MPI_UNEQUAL;
        return MPI_SUCCESS;
    }
    int same_order = 1;
    for (int i = 0; i < g1->size && same_order; i++)
        same_order = g1->members[i] == g2->members[i];
    if (same_order) {
        *result = MPI_IDENT;
        return MPI_SUCCESS;
    }
    int *in_g2 = world_to_group(g2);
    if (!in_g2)
        return mk_error(NULL, MPI_ERR_NO_MEM, fn);
    *result = MPI_SIMILAR;
    for (int i = 0; i < g1->size; i++)
        if (in_g2[g1->members[i]] == MPI_UNDEFINED)
            *result = MPI_UNEQUAL;
    free(in_g2);
    return MPI_SUCCESS;
}

/* --- set operations ---------------------------------------------------------- */

enum set_op { SET_UNION, SET_INTERSECTION, SET_DIFFERENCE };

static int set_operation(MPI_Group group1, MPI_Group group2, enum set_op op, MPI_Group *newgroup,
                         const char *fn)
{
    struct mk_group *g1 = group_arg(group1, fn), *g2 = group_get(group2);
    if (!g1 || !g2)
        return mk_error(NULL, MPI_ERR_GROUP, fn);
    int *in_g1 = world_to_group(g1), *in_g2 = world_to_group(g2);
    int *members = malloc((size_t)(g1->size + g2->size + 1) * sizeof *members);
    int rc = MPI_ERR_NO_MEM, n = 0;
    if (in_g1 && in_g2 && members) {
        for (int i = 0; i < g1->size; i++) {
            int shared = in_g2[g1->members[i]] != MPI_UNDEFINED;
            if (op == SET_UNION || (op == SET_INTERSECTION) == shared)
                members[n++] = g1->members[i];
        }
        if (op == SET_UNION)
            for (int i = 0; i < g2->size; i++)
                if (in_g1[g2->members[i]] == MPI_UNDEFINED)
                    members[n++] = g2->members[i];
        rc = give_group(n, members, newgroup, fn);
    } else {
        rc = mk_error(NULL, rc, fn);
    }
    free(in_g1);
    free(in_g2);
    free(members);
    return rc;
}

int MPI_Group_union(MPI_Group group1, MPI_Group group2, MPI_Group *newgroup)
{
    return set_operation(group1, group2, SET_UNION, newgroup, "MPI_Group_union");
}

int MPI_Group_intersection(MPI_Group group1, MPI_Group group2, MPI_Group *newgroup)
{
    return set_operation(group1, group2, SET_INTERSECTION, newgroup, "MPI_Group_intersection");
}

int MPI_Group_difference(MPI_Group group1, MPI_Group group2, MPI_Group *newgroup)
{
    return set_operation(group1, group2, SET_DIFFERENCE, newgroup, "MPI_Group_difference");
}

/* --- subsets ------------------------------------------------------------------- */

/* What incl, excl and their range forms share: pick the ranks of `g` named
 * by the arguments (`ranks`, or `ranges` when ranks is NULL), then keep
 * those (include, in the order named) or the others (exclude, in group
 * order). */
static int subset(MPI_Group group, int n, const int *ranks, int ranges[][3], int include,
                  MPI_Group *newgroup, const char *fn)
{
    struct mk_group *g = group_arg(group, fn);
    if (!g)
        return mk_error(NULL, MPI_ERR_GROUP, fn);
    char *seen = calloc((size_t)g->size + 1, 1);
    int *named = malloc(((size_t)g->size + 1) * sizeof *named);
    int *members = malloc(((size_t)g->size + 1) * sizeof *members);
    if (!seen || !named || !members) {
        free(seen);
        free(named);
        free(members);
        return mk_error(NULL, MPI_ERR_NO_MEM, fn);
    }
    int count = n, rc;
    if (ranks)
        rc = check_distinct_ranks(g, n, ranks, seen);
    else
        rc = expand_ranges(g, n, ranges, named, &count, seen);
    if (rc == MPI_SUCCESS) {
        int m = 0;
        if (include)
            for (int i = 0; i < count; i++)
                members[m++] = g->members[ranks ? ranks[i] : named[i]];
        else
            for (int r = 0; r < g->size; r++)
                if (!seen[r])
                    members[m++] = g->members[r];
        rc = give_group(m, members, newgroup, fn);
    } else {
        rc = mk_error(NULL, rc, fn);
    }
    free(seen);
    free(named);
    free(members);
    return rc;
}

int MPI_Group_incl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup)
{
    static const int none[1];
    return subset(group, n, n ? ranks : none, NULL, 1, newgroup, "MPI_Group_incl");
}

int MPI_Group_excl(MPI_Group group, int n, const int ranks[], MPI_Group *newgroup)
{
    static const int none[1];
    return subset(group, n, n ? ranks : none, NULL, 0, newgroup, "MPI_Group_excl");
}

int MPI_Group_range_incl(MPI_Group group, int n, int ranges[][3], MPI_Group *newgroup)
{
    return subset(group, n, NULL, ranges, 1, newgroup, "MPI_Group_range_incl");
}

int MPI_Group_range_excl(MPI_Group group, int n, int ranges[][3], MPI_Group *newgroup)
{
    return subset(group, n, NULL, ranges, 0, newgroup, "MPI_Group_range_excl");
}

/* --- lifetime -------------------------------------------------------------------- */

int MPI_Group_free(MPI_Group *group)
{
    struct mk_group *g = group_arg(*group, "MPI_Group_free");
    if (!g)
        return mk_error(NULL, MPI_ERR_GROUP, "MPI_Group_free");
    group_destroy(g); /* a no-op for MPI_GROUP_EMPTY, which a library may hand out */
    *group = MPI_GROUP_NULL;
    return MPI_SUCCESS;
}

int MPI_Comm_group(MPI_Comm comm, MPI_Group *group)
{
    mk_require_init("MPI_Comm_group");
    struct mk_comm *c = comm_get(comm);
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, "MPI_Comm_group");
    struct mk_group *g = group_new(c->size, c->members);
    if (!g)
        return mk_error(c, MPI_ERR_NO_MEM, "MPI_Comm_group");
    *group = group_handle(g);
    return MPI_SUCCESS;
}
