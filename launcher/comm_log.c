/*
 * comm_log.c — the keeper's communicator log and table of live
 * communicators (see comm_log.h for the entries, the saved encoding and
 * the names).
 *
 * State, one instance per process:
 *   entries  — the log, in the order served, each with the order in which
 *              it ran (`ran`: its MPI creation returned, or the free was
 *              made), which is the order saved and replayed: a creation
 *              begins with a barrier when served and runs later, so two
 *              ranks can serve a dup and a create_group in either order,
 *              but run them in one order (else the run would deadlock);
 *              replaying in served order could deadlock. Each entry owns its member
 *              list (the group for CREATE/CREATE_GROUP, else the new
 *              communicator's members);
 *   live     — indexed by id: name (0: not alive), size, members as world
 *              ranks (pointing into the creating entry's list, which lives
 *              as long as the log), and the count of collective creations
 *              made on it as the parent. WORLD and SELF live in fixed
 *              slots outside the table (world_comm, self_comm), so resetting
 *              never allocates;
 *   groups   — for create_group, how often each (parent, tag, group) key
 *              occurred (comm_name.h).
 *
 * Invariants: comm_log_begin reserves everything comm_log_create needs
 * (the live slot for the id, a slot for a create_group key, the member
 * list), so once an MPI creation succeeded, recording it cannot fail for
 * want of memory. Positions and occurrences count only creations whose MPI
 * call succeeded, in the live run and in a replay alike.
 */
#include "launcher/comm_log.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "coordinated/comm_name.h"

enum entry_state { ENTRY_BEGUN, ENTRY_DONE, ENTRY_DROPPED };

struct log_entry {
    uint64_t seq;
    int64_t id, parent;
    uint32_t op;
    int64_t color, key, tag;
    int32_t *members;        /* malloc'd; see the header comment above */
    uint32_t nmembers;
    int joined;              /* this rank got the new communicator */
    enum entry_state state;
    uint64_t ran;            /* position in the order entries ran (DONE) */
};

struct live_comm {
    uint64_t name;           /* 0: no communicator under this id */
    int size;
    const int32_t *world;    /* world rank of each rank; NULL for WORLD */
    uint64_t creations;      /* collective creations made on it so far */
};

struct group_count {
    uint64_t key, count;
};

static struct log_entry *entries;
static size_t nentries, cap_entries;
static uint64_t nran;
static MPI_Comm group_parent = MPI_COMM_NULL;
static struct live_comm *live;       /* ids >= WIRE_COMM_FIRST_FREE */
static size_t nlive;
static struct live_comm world_comm, self_comm;
static int32_t self_member;
static int job_size;                 /* ranks in MPI_COMM_WORLD */
static struct group_count *groups;
static size_t ngroups, cap_groups;

static struct live_comm *live_at(int64_t id)
{
    if (id == WIRE_COMM_WORLD)
        return &world_comm;
    if (id == WIRE_COMM_SELF)
        return &self_comm;
    if (id < WIRE_COMM_FIRST_FREE || (uint64_t)id >= nlive)
        return NULL;
    return &live[id];
}

static int world_rank_in(const struct live_comm *c, int rank)
{
    return c->world ? c->world[rank] : rank;
}

static const struct live_comm *alive(int64_t id)
{
    const struct live_comm *c = live_at(id);
    return c && c->name ? c : NULL;
}

void comm_log_reset(int world_rank, int world_size)
{
    for (size_t i = 0; i < nentries; i++)
        free(entries[i].members);
    nentries = 0;
    nran = 0;
    for (size_t i = 0; i < nlive; i++)
        live[i] = (struct live_comm){ 0 };
    ngroups = 0;
    job_size = world_size;
    world_comm = (struct live_comm){ .name = COMM_NAME_WORLD, .size = world_size };
    self_member = world_rank;
    self_comm = (struct live_comm){ .name = COMM_NAME_SELF, .size = 1, .world = &self_member };
}

/* --- the table ----------------------------------------------------------------- */

uint64_t comm_log_name(int64_t id)
{
    const struct live_comm *c = alive(id);
    return c ? c->name : 0;
}

int comm_log_world_rank(int64_t id, int rank)
{
    const struct live_comm *c = alive(id);
    if (!c || rank < 0 || rank >= c->size)
        return -1;
    return world_rank_in(c, rank);
}

int comm_log_size(int64_t id)
{
    const struct live_comm *c = alive(id);
    return c ? c->size : 0;
}

/* --- growing the arrays ----------------------------------------------------------- */

/* Makes room for `want` elements of `size` bytes in *arr (capacity *cap). */
static int reserve(void **arr, size_t *cap, size_t want, size_t size)
{
    if (want <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < want)
        n *= 2;
    void *bigger = realloc(*arr, n * size);
    if (!bigger)
        return -1;
    *arr = bigger;
    *cap = n;
    return 0;
}

static int reserve_live(int64_t id)
{
    if ((uint64_t)id < nlive)
        return 0;
    size_t cap = nlive;
    void *arr = live;
    if (reserve(&arr, &cap, (size_t)id + 1, sizeof *live) < 0)
        return -1;
    live = arr;
    for (size_t i = nlive; i < cap; i++)
        live[i] = (struct live_comm){ 0 };
    nlive = cap;
    return 0;
}

static int reserve_entry(void)
{
    void *arr = entries;
    if (reserve(&arr, &cap_entries, nentries + 1, sizeof *entries) < 0)
        return -1;
    entries = arr;
    return 0;
}

/* --- creating -------------------------------------------------------------------- */

static int is_group_op(uint32_t op)
{
    return op == WOP_COMM_CREATE || op == WOP_COMM_CREATE_GROUP;
}

static int is_creation_op(uint32_t op)
{
    return op >= WOP_COMM_DUP && op <= WOP_COMM_CREATE_GROUP;
}

/* The member list an entry needs: a copy of the group, or room for the
 * new communicator's members (never more than the parent's). */
static int32_t *entry_members(const struct comm_creation *c, int parent_size, uint32_t *n)
{
    size_t count = is_group_op(c->op) ? c->ngroup : (size_t)parent_size;
    int32_t *members = malloc((count ? count : 1) * sizeof *members);
    if (members && is_group_op(c->op) && count)
        memcpy(members, c->group, count * sizeof *members);
    *n = is_group_op(c->op) ? c->ngroup : 0;
    return members;
}

long comm_log_begin(const struct comm_creation *c, uint64_t seq)
{
    const struct live_comm *parent = alive(c->parent);
    if (!parent || !is_creation_op(c->op) || c->id < WIRE_COMM_FIRST_FREE) {
        errno = EINVAL;
        return -1;
    }
    if (reserve_live(c->id) < 0 || reserve_entry() < 0)
        return -1;
    if (c->op == WOP_COMM_CREATE_GROUP) {
        void *arr = groups;
        if (reserve(&arr, &cap_groups, ngroups + 1, sizeof *groups) < 0)
            return -1;
        groups = arr;
    }
    struct log_entry e = { .seq = seq, .id = c->id, .parent = c->parent, .op = c->op,
                           .color = c->color, .key = c->key, .tag = c->tag,
                           .state = ENTRY_BEGUN };
    e.members = entry_members(c, parent->size, &e.nmembers);
    if (!e.members)
        return -1;
    entries[nentries] = e;
    return (long)nentries++;
}

void comm_log_set_group_parent(MPI_Comm comm)
{
    group_parent = comm;
}

void comm_log_drop(long entry)
{
    entries[entry].state = ENTRY_DROPPED;
}

/* The group of `e` (world ranks) as a group of the parent's ranks. */
static int group_in_parent(const struct log_entry *e, const struct live_comm *p,
                           MPI_Comm parent, MPI_Group *group)
{
    int *parent_rank = malloc((size_t)job_size * sizeof *parent_rank);
    int *ranks = malloc((e->nmembers ? e->nmembers : 1) * sizeof *ranks);
    int rc = parent_rank && ranks ? MPI_SUCCESS : MPI_ERR_NO_MEM;
    if (rc == MPI_SUCCESS) {
        for (int w = 0; w < job_size; w++)
            parent_rank[w] = -1;
        for (int r = 0; r < p->size; r++)
            parent_rank[world_rank_in(p, r)] = r;
    }
    for (uint32_t i = 0; i < e->nmembers && rc == MPI_SUCCESS; i++) {
        int w = e->members[i];
        ranks[i] = w >= 0 && w < job_size ? parent_rank[w] : -1;
        if (ranks[i] < 0)
            rc = MPI_ERR_RANK;
    }
    MPI_Group parent_group;
    if (rc == MPI_SUCCESS)
        rc = PMPI_Comm_group(parent, &parent_group);
    if (rc == MPI_SUCCESS) {
        rc = PMPI_Group_incl(parent_group, (int)e->nmembers, ranks, group);
        PMPI_Group_free(&parent_group);
    }
    free(parent_rank);
    free(ranks);
    return rc;
}

/* The blocking MPI creation of `e`. */
static int run_creation(const struct log_entry *e, const struct live_comm *p, MPI_Comm parent,
                        MPI_Comm *comm)
{
    int color = e->color == WIRE_UNDEFINED ? MPI_UNDEFINED : (int)e->color;
    int type = e->color == WIRE_SPLIT_SHARED ? MPI_COMM_TYPE_SHARED : MPI_UNDEFINED;
    switch (e->op) {
    case WOP_COMM_DUP:
        return PMPI_Comm_dup(parent, comm);
    case WOP_COMM_SPLIT:
        return PMPI_Comm_split(parent, color, (int)e->key, comm);
    case WOP_COMM_SPLIT_TYPE:
        return PMPI_Comm_split_type(parent, type, (int)e->key, MPI_INFO_NULL, comm);
    default: {
        /* See comm_log_set_group_parent. */
        if (e->op == WOP_COMM_CREATE_GROUP) {
            p = &world_comm;
            parent = group_parent;
        }
        MPI_Group group;
        int rc = group_in_parent(e, p, parent, &group);
        if (rc != MPI_SUCCESS)
            return rc;
        rc = e->op == WOP_COMM_CREATE_GROUP
            ? PMPI_Comm_create_group(parent, group, (int)e->tag, comm)
            : PMPI_Comm_create(parent, group, comm);
        PMPI_Group_free(&group);
        return rc;
    }
    }
}

/* Writes the world ranks of `comm`'s members into e->members. */
static int record_members(struct log_entry *e, MPI_Comm comm)
{
    int size;
    PMPI_Comm_size(comm, &size);
    int *ranks = malloc((size_t)size * sizeof *ranks);
    if (!ranks)
        return MPI_ERR_NO_MEM;
    for (int i = 0; i < size; i++)
        ranks[i] = i;
    MPI_Group group, world;
    int rc = PMPI_Comm_group(comm, &group);
    if (rc == MPI_SUCCESS) {
        rc = PMPI_Comm_group(MPI_COMM_WORLD, &world);
        if (rc == MPI_SUCCESS) {
            rc = PMPI_Group_translate_ranks(group, size, ranks, world, e->members);
            PMPI_Group_free(&world);
        }
        PMPI_Group_free(&group);
    }
    free(ranks);
    if (rc == MPI_SUCCESS)
        e->nmembers = (uint32_t)size;
    return rc;
}

/* The occurrence number of this create_group's key (0 for the first),
 * counting it; comm_log_begin reserved the slot a new key needs. */
static uint64_t next_occurrence(uint64_t key)
{
    for (size_t i = 0; i < ngroups; i++)
        if (groups[i].key == key)
            return groups[i].count++;
    groups[ngroups++] = (struct group_count){ key, 1 };
    return 0;
}

/* The name of the communicator `e` created; counts the creation on the
 * parent (position or occurrence) whether or not this rank is in it. */
static uint64_t take_name(const struct log_entry *e, struct live_comm *p)
{
    if (e->op == WOP_COMM_CREATE_GROUP) {
        uint64_t key = comm_name_group_key(p->name, e->tag, e->members, e->nmembers);
        return comm_name_create_group(key, next_occurrence(key));
    }
    uint64_t position = p->creations++;
    switch (e->op) {
    case WOP_COMM_DUP:
        return comm_name_dup(p->name, position);
    case WOP_COMM_SPLIT:
        return comm_name_split(p->name, position, e->color);
    case WOP_COMM_SPLIT_TYPE:
        return comm_name_split_type(p->name, position, e->color, e->members, e->nmembers);
    default:
        return comm_name_create(p->name, position, e->members, e->nmembers);
    }
}

/* Says so when `name` is already another live communicator's here: the
 * 64-bit collision comm_name.h accepts, made visible. */
static void warn_if_taken(struct keeper *k, uint64_t name, int64_t id)
{
    int64_t other = -1;
    if (name == world_comm.name)
        other = WIRE_COMM_WORLD;
    if (name == self_comm.name)
        other = WIRE_COMM_SELF;
    for (size_t i = WIRE_COMM_FIRST_FREE; i < nlive && other < 0; i++)
        if ((int64_t)i != id && live[i].name == name)
            other = (int64_t)i;
    if (other >= 0)
        keeper_say(k, "communicators %" PRId64 " and %" PRId64 " have the same job-wide name "
                   "%016" PRIx64 " (a hash collision)", other, id, name);
}

int comm_log_create(struct keeper *k, long entry, int *joined)
{
    struct log_entry *e = &entries[entry];
    struct live_comm *p = live_at(e->parent);
    MPI_Comm parent = keeper_comm(k, e->parent), comm = MPI_COMM_NULL;
    *joined = 0;
    int rc = p && p->name && parent != MPI_COMM_NULL ? run_creation(e, p, parent, &comm)
                                                      : MPI_ERR_COMM;
    if (rc != MPI_SUCCESS) {
        e->state = ENTRY_DROPPED;
        return rc;
    }
    /* The creation happened at every member: it counts from here on. */
    e->state = ENTRY_DONE;
    e->ran = ++nran;
    if (comm != MPI_COMM_NULL && !is_group_op(e->op))
        rc = record_members(e, comm);
    uint64_t name = take_name(e, p);
    if (comm == MPI_COMM_NULL)
        return rc;
    if (rc == MPI_SUCCESS && keeper_comm_add(k, e->id, comm) != 0)
        rc = MPI_ERR_INTERN;   /* the id is in use, or memory is short */
    if (rc != MPI_SUCCESS) {
        PMPI_Comm_free(&comm);
        return rc;
    }
    warn_if_taken(k, name, e->id);
    live[e->id] = (struct live_comm){ .name = name, .size = (int)e->nmembers,
                                      .world = e->members };
    e->joined = 1;
    *joined = 1;
    return MPI_SUCCESS;
}

int comm_log_free(struct keeper *k, int64_t id, uint64_t seq)
{
    struct live_comm *c = live_at(id);
    if (!c || !c->name)
        return MPI_ERR_COMM;
    if (reserve_entry() < 0)
        return MPI_ERR_NO_MEM;
    entries[nentries++] = (struct log_entry){ .seq = seq, .id = id, .parent = -1,
                                              .op = WOP_COMM_FREE, .state = ENTRY_DONE,
                                              .ran = ++nran };
    keeper_comm_remove(k, id);
    *c = (struct live_comm){ 0 };
    return MPI_SUCCESS;
}

/* --- saving ---------------------------------------------------------------------- */

static int is_excluded(uint64_t seq, const uint64_t *excluded, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (excluded[i] == seq)
            return 1;
    return 0;
}

static int save_entry(struct keeper_state *ks, const struct log_entry *e)
{
    int64_t args[KEEPER_STATE_COMM_ARGS] = { e->joined };
    uint32_t nargs = 1;
    switch (e->op) {
    case WOP_COMM_FREE:
        nargs = 0;
        break;
    case WOP_COMM_SPLIT:
    case WOP_COMM_SPLIT_TYPE:
        args[1] = e->color;
        args[2] = e->key;
        nargs = 3;
        break;
    case WOP_COMM_CREATE_GROUP:
        args[1] = e->tag;
        nargs = 2;
        break;
    }
    /* DUP/SPLIT/SPLIT_TYPE recorded members only if this rank joined. */
    uint32_t nmembers = is_group_op(e->op) || e->joined ? e->nmembers : 0;
    return keeper_state_add_comm(ks, e->id, e->parent, e->op, args, nargs, e->members, nmembers);
}

static int by_ran(const void *a, const void *b)
{
    uint64_t x = (*(const struct log_entry *const *)a)->ran;
    uint64_t y = (*(const struct log_entry *const *)b)->ran;
    return (x > y) - (x < y);
}

int comm_log_save(struct keeper_state *ks, uint64_t max_seq, const uint64_t *excluded_seqs,
                  size_t n_excluded)
{
    const struct log_entry **saved = malloc((nentries + 1) * sizeof *saved);
    if (!saved)
        return -1;
    size_t n = 0;
    int rc = 0;
    for (size_t i = 0; i < nentries && rc == 0; i++) {
        const struct log_entry *e = &entries[i];
        if (e->state == ENTRY_DROPPED || e->seq > max_seq ||
            is_excluded(e->seq, excluded_seqs, n_excluded))
            continue;
        if (e->state == ENTRY_BEGUN) {
            errno = EINVAL;
            rc = -1;
        }
        saved[n++] = e;
    }
    qsort(saved, n, sizeof *saved, by_ran);
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = save_entry(ks, saved[i]) < 0 ? -1 : 0;
    free(saved);
    return rc;
}

/* --- replaying ------------------------------------------------------------------- */

/* The creation a saved record describes, or -1 if the record is not one
 * comm_log_save could have written. */
static int creation_of(const struct keeper_comm *r, struct comm_creation *c)
{
    static const uint32_t nargs_of[] = {
        [WOP_COMM_DUP - WOP_COMM_DUP] = 1,       [WOP_COMM_SPLIT - WOP_COMM_DUP] = 3,
        [WOP_COMM_SPLIT_TYPE - WOP_COMM_DUP] = 3, [WOP_COMM_CREATE - WOP_COMM_DUP] = 1,
        [WOP_COMM_CREATE_GROUP - WOP_COMM_DUP] = 2,
    };
    if (!is_creation_op(r->op) || r->nargs != nargs_of[r->op - WOP_COMM_DUP] ||
        (r->arg[0] != 0 && r->arg[0] != 1))
        return -1;
    *c = (struct comm_creation){ .op = r->op, .id = r->id, .parent = r->parent };
    if (r->op == WOP_COMM_SPLIT || r->op == WOP_COMM_SPLIT_TYPE) {
        c->color = r->arg[1];
        c->key = r->arg[2];
    }
    if (r->op == WOP_COMM_CREATE_GROUP)
        c->tag = r->arg[1];
    if (is_group_op(r->op)) {
        c->group = r->members;
        c->ngroup = r->nmembers;
    }
    return 0;
}

/* Whether the replayed entry gave what record `r` says the original gave. */
static int same_outcome(const struct log_entry *e, const struct keeper_comm *r)
{
    if (e->joined != (int)r->arg[0])
        return 0;
    if (is_group_op(e->op) || !e->joined)
        return 1;
    return e->nmembers == r->nmembers &&
           memcmp(e->members, r->members, r->nmembers * sizeof *r->members) == 0;
}

static int replay_record(struct keeper *k, const struct keeper_comm *r)
{
    if (r->op == WOP_COMM_FREE)
        return r->nargs == 0 ? comm_log_free(k, r->id, 0) : MPI_ERR_INTERN;
    struct comm_creation c;
    if (creation_of(r, &c) < 0)
        return MPI_ERR_INTERN;
    /* The barrier serve_comm.c puts first, here too: a creation this rank
     * replays matches the same creation served again at a rank that had it
     * pending at its cut. */
    if (r->op != WOP_COMM_CREATE_GROUP) {
        MPI_Request barrier;
        int brc = PMPI_Ibarrier(keeper_comm(k, r->parent), &barrier);
        if (brc == MPI_SUCCESS)
            brc = PMPI_Wait(&barrier, MPI_STATUS_IGNORE);
        if (brc != MPI_SUCCESS)
            return brc;
    }
    long entry = comm_log_begin(&c, 0);
    if (entry < 0)
        return errno == ENOMEM ? MPI_ERR_NO_MEM : MPI_ERR_COMM;
    int joined;
    int rc = comm_log_create(k, entry, &joined);
    if (rc == MPI_SUCCESS && !same_outcome(&entries[entry], r))
        rc = MPI_ERR_INTERN;
    return rc;
}

int comm_log_replay(struct keeper *k, const struct keeper_state *ks)
{
    int world_size;
    PMPI_Comm_size(MPI_COMM_WORLD, &world_size);
    if (ks->size != world_size || ks->rank != keeper_world_rank(k)) {
        keeper_say(k, "communicator log: saved for rank %d of %d, replayed by rank %d of %d",
                   (int)ks->rank, (int)ks->size, keeper_world_rank(k), world_size);
        return MPI_ERR_INTERN;
    }
    comm_log_reset(keeper_world_rank(k), world_size);
    for (size_t i = 0; i < ks->n_comms; i++) {
        const struct keeper_comm *r = &ks->comms[i];
        int rc = replay_record(k, r);
        if (rc != MPI_SUCCESS) {
            char msg[MPI_MAX_ERROR_STRING];
            int len = 0;
            PMPI_Error_string(rc, msg, &len);
            keeper_say(k, "communicator log: record %zu (op %" PRIu32 ", comm %" PRId64
                       ", parent %" PRId64 ") does not replay: %s%s", i, r->op, r->id,
                       r->parent, msg,
                       rc == MPI_ERR_INTERN ? " (malformed, or another membership than saved)"
                                            : "");
            return rc;
        }
    }
    return MPI_SUCCESS;
}
