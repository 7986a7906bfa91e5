/*
 * comm.c — communicator objects and the two predefined communicators (see
 * comm.h).
 */
#include "plugin/comm.h"

#include <stdlib.h>
#include <string.h>

#include "common/wire.h"
#include "plugin/client.h"
#include "plugin/errors.h"

static struct mk_comm world_comm, self_comm;
static int64_t next_id = WIRE_COMM_FIRST_FREE;

int comm_init_predefined(const struct client_world *world)
{
    int *members = malloc((size_t)world->size * sizeof *members);
    int *self_member = malloc(sizeof *self_member);
    if (!members || !self_member) {
        free(members);
        free(self_member);
        return -1;
    }
    for (int i = 0; i < world->size; i++)
        members[i] = i;
    *self_member = world->rank;
    world_comm = (struct mk_comm){ .magic = MK_COMM_MAGIC, .id = WIRE_COMM_WORLD,
                                   .rank = world->rank, .size = world->size,
                                   .members = members, .errhandler = errhandler_fatal() };
    strcpy(world_comm.name, "MPI_COMM_WORLD");
    self_comm = (struct mk_comm){ .magic = MK_COMM_MAGIC, .id = WIRE_COMM_SELF,
                                  .rank = 0, .size = 1,
                                  .members = self_member, .errhandler = errhandler_fatal() };
    strcpy(self_comm.name, "MPI_COMM_SELF");
    return 0;
}

struct mk_comm *comm_get(MPI_Comm handle)
{
    if (handle == MPI_COMM_WORLD)
        return world_comm.magic ? &world_comm : NULL;
    if (handle == MPI_COMM_SELF)
        return self_comm.magic ? &self_comm : NULL;
    if (handle == MPI_COMM_NULL || handle == NULL)
        return NULL;
    struct mk_comm *c = (struct mk_comm *)(void *)handle;
    return c->magic == MK_COMM_MAGIC ? c : NULL;
}

MPI_Comm comm_handle(struct mk_comm *comm)
{
    if (comm == &world_comm)
        return MPI_COMM_WORLD;
    if (comm == &self_comm)
        return MPI_COMM_SELF;
    return (MPI_Comm)(void *)comm;
}

int64_t comm_next_id(void)
{
    return next_id;
}

struct mk_comm *comm_new(int64_t id, int rank, int size, const int *members,
                         const struct mk_comm *parent)
{
    struct mk_comm *c = calloc(1, sizeof *c);
    int *copy = malloc((size_t)(size > 0 ? size : 1) * sizeof *copy);
    if (!c || !copy) {
        free(c);
        free(copy);
        return NULL;
    }
    memcpy(copy, members, (size_t)size * sizeof *copy);
    *c = (struct mk_comm){ .magic = MK_COMM_MAGIC, .id = id, .rank = rank, .size = size,
                           .members = copy,
                           .errhandler = parent ? parent->errhandler : errhandler_fatal() };
    if (id >= next_id)
        next_id = id + 1;
    return c;
}

void comm_destroy(struct mk_comm *comm)
{
    free(comm->members);
    comm->magic = 0;
    if (comm != &world_comm && comm != &self_comm)
        free(comm);
}
