/*
 * group.c — group objects and MPI_GROUP_EMPTY (see group.h).
 */
#include "plugin/group.h"

#include <stdlib.h>
#include <string.h>

static struct mk_group empty_group = { MK_GROUP_MAGIC, 0, NULL };

struct mk_group *group_get(MPI_Group handle)
{
    if (handle == MPI_GROUP_EMPTY)
        return &empty_group;
    if (handle == MPI_GROUP_NULL || handle == NULL)
        return NULL;
    struct mk_group *g = (struct mk_group *)(void *)handle;
    return g->magic == MK_GROUP_MAGIC ? g : NULL;
}

MPI_Group group_handle(struct mk_group *group)
{
    return group == &empty_group ? MPI_GROUP_EMPTY : (MPI_Group)(void *)group;
}

struct mk_group *group_new(int size, const int *members)
{
    if (size == 0)
        return &empty_group;
    struct mk_group *g = malloc(sizeof *g);
    int *copy = malloc((size_t)size * sizeof *copy);
    if (!g || !copy) {
        free(g);
        free(copy);
        return NULL;
    }
    memcpy(copy, members, (size_t)size * sizeof *copy);
    *g = (struct mk_group){ .magic = MK_GROUP_MAGIC, .size = size, .members = copy };
    return g;
}

void group_destroy(struct mk_group *group)
{
    if (group == &empty_group)
        return;
    free(group->members);
    group->magic = 0;
    free(group);
}

int group_rank_of(const struct mk_group *group, int world_rank)
{
    for (int i = 0; i < group->size; i++)
        if (group->members[i] == world_rank)
            return i;
    return MPI_UNDEFINED;
}
