/*
 * comm.c — communicator objects, the two predefined communicators, and
 * creating and freeing communicators through the keeper (see comm.h; the
 * MPI entries are in api_comm.c and api_topo.c).
 */
#include "plugin/comm.h"

#include <stdlib.h>
#include <string.h>

#include "common/offset_heap.h"
#include "common/wire.h"
#include "plugin/attributes.h"
#include "plugin/client.h"
#include "plugin/errors.h"
#include "plugin/info.h"
#include "plugin/topology.h"

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
                                   .members = members, .errhandler = errhandler_fatal(), .refs = 1 };
    strcpy(world_comm.name, "MPI_COMM_WORLD");
    self_comm = (struct mk_comm){ .magic = MK_COMM_MAGIC, .id = WIRE_COMM_SELF,
                                  .rank = 0, .size = 1,
                                  .members = self_member, .errhandler = errhandler_fatal(),
                                  .refs = 1 };
    strcpy(self_comm.name, "MPI_COMM_SELF");
    attributes_init_world(world->tag_ub, world->size);
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
                           .errhandler = parent ? parent->errhandler : errhandler_fatal(),
                           .refs = 1 };
    errhandler_retain(c->errhandler);
    if (id >= next_id)
        next_id = id + 1;
    return c;
}

void comm_destroy(struct mk_comm *comm)
{
    comm->magic = 0;
    comm_release(comm);
}

void comm_retain(struct mk_comm *comm)
{
    comm->refs++;
}

void comm_release(struct mk_comm *comm)
{
    if (--comm->refs > 0)
        return;
    attributes_discard(&comm->attributes);
    topology_free(comm->topology);
    info_destroy(comm->info);
    errhandler_release(comm->errhandler);
    free(comm->members);
    if (comm != &world_comm && comm != &self_comm)
        free(comm);
}

/* --- creation and freeing through the keeper -------------------------------- */

int comm_create_via_keeper(struct chan_sub *sub, struct mk_comm *parent, struct mk_comm **out)
{
    *out = NULL;
    /* Members come back as world ranks; no new communicator is larger
     * than its parent. */
    uint64_t bytes = (uint64_t)parent->size * sizeof(int32_t);
    uint64_t block = client_alloc(bytes);
    if (block == OFFSET_HEAP_NONE)
        return MPI_ERR_NO_MEM;
    int64_t id = comm_next_id();
    sub->arg[0] = parent->id;
    sub->arg[1] = id;
    sub->arg[2] = (int64_t)block;
    sub->arg[3] = (int64_t)bytes;
    struct chan_cmp cmp = client_call(sub);
    int rc = cmp.rc;
    if (rc == MPI_SUCCESS && cmp.val[0]) {
        *out = comm_new(id, (int)cmp.val[1], (int)cmp.val[2], client_ptr(block), parent);
        if (!*out) {
            struct chan_sub undo = { .op = WOP_COMM_FREE, .arg = { id } };
            client_call(&undo);
            rc = MPI_ERR_NO_MEM;
        }
    }
    client_free(block, bytes);
    return rc;
}

int comm_free_via_keeper(struct mk_comm *comm)
{
    struct chan_sub sub = { .op = WOP_COMM_FREE, .arg = { comm->id } };
    struct chan_cmp cmp = client_call(&sub);
    comm_destroy(comm);
    return cmp.rc;
}
