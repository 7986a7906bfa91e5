/*
 * serve_coll.c — the keeper's side of collectives (wire.h, WOP_COLL).
 *
 * Each collective becomes ONE non-blocking Open MPI collective on the
 * keeper's duplicate of the app's communicator, on bytes the plugin packed
 * into the channel heap: MPI_BYTE with byte counts and displacements for
 * data movement; for reductions by predefined ops, the predefined datatype
 * of the elements' basic kind and the predefined op, so Open MPI reduces
 * exactly as it would for the app. The keeper never blocks: the request is
 * tracked and the completion pushed when MPI_Testsome reports it.
 *
 * Invariants: every WOP_COLL gets one completion, with val0 the
 * collective's sequence number on its communicator (1, 2, … in the order
 * the app started them, identical on every member), kept so that a
 * checkpoint is never cut through a collective; the int arrays handed to a
 * v-variant live until its completion, as MPI requires.
 */
#include <limits.h>
#include <stdlib.h>

#include "launcher/serve_coll.h"

#include "launcher/keeper.h"
#include "plugin/basic_kind_mpi.h"
#include "plugin/basic_kind.h"
#include "plugin/reduce_ops.h"

static const MPI_Op reduce_ops[REDUCE_OP_COUNT] = {
    [ROP_MAX] = MPI_MAX,       [ROP_MIN] = MPI_MIN,       [ROP_SUM] = MPI_SUM,
    [ROP_PROD] = MPI_PROD,     [ROP_LAND] = MPI_LAND,     [ROP_BAND] = MPI_BAND,
    [ROP_LOR] = MPI_LOR,       [ROP_BOR] = MPI_BOR,       [ROP_LXOR] = MPI_LXOR,
    [ROP_BXOR] = MPI_BXOR,     [ROP_MAXLOC] = MPI_MAXLOC, [ROP_MINLOC] = MPI_MINLOC,
    [ROP_REPLACE] = MPI_REPLACE, [ROP_NO_OP] = MPI_NO_OP,
};

/* ---- per-communicator sequence numbers ------------------------------------- */

static uint64_t *sequences;    /* indexed by comm id */
static size_t nsequences;

/* Makes room for comm `id`'s count. */
static void ensure_sequence(struct keeper *k, int64_t id)
{
    if ((size_t)id >= nsequences) {
        size_t n = (size_t)id + 1 > 2 * nsequences ? (size_t)id + 1 : 2 * nsequences;
        uint64_t *bigger = realloc(sequences, n * sizeof *bigger);
        if (!bigger) {
            keeper_say(k, "out of memory counting collectives");
            keeper_abort(k, MPI_COMM_WORLD, 1);
        }
        for (size_t i = nsequences; i < n; i++)
            bigger[i] = 0;
        sequences = bigger;
        nsequences = n;
    }
}

/* The sequence number of a new collective on comm `id`. */
static uint64_t next_sequence(struct keeper *k, int64_t id)
{
    ensure_sequence(k, id);
    return ++sequences[id];
}

void serve_coll_reset(void)
{
    for (size_t i = 0; i < nsequences; i++)
        sequences[i] = 0;
}

uint64_t serve_coll_count(int64_t id)
{
    return id >= 0 && (size_t)id < nsequences ? sequences[id] : 0;
}

void serve_coll_set_count(int64_t id, uint64_t count)
{
    if (id < 0)
        return;
    ensure_sequence(NULL, id);
    sequences[id] = count;
}

/* ---- one collective ------------------------------------------------------------ */

struct coll_op {
    struct chan_sub sub;
    uint64_t sequence;
    int *ints;                 /* counts and displacements lent to MPI */
};

/* Arguments resolved for the PMPI call. */
struct coll_args {
    MPI_Comm comm;
    int rank, size, root;
    void *sb, *rb;             /* sb may be MPI_IN_PLACE */
    int n;                     /* bytes, per rank or sent */
    MPI_Datatype type;
    int count;
    MPI_Op op;
};

static int error_class(int code)
{
    int cls = code;
    if (code != MPI_SUCCESS)
        PMPI_Error_class(code, &cls);
    return cls;
}

static void coll_done(struct keeper *k, void *ctx, const MPI_Status *status)
{
    struct coll_op *op = ctx;
    struct chan_cmp cmp = keeper_completion(&op->sub);
    cmp.rc = error_class(status->MPI_ERROR);
    cmp.val[0] = (int64_t)op->sequence;
    keeper_complete(k, &cmp);
    free(op->ints);
    free(op);
}

static int fits_int(int64_t v)
{
    return v >= 0 && v <= INT_MAX;
}

/* Copies `n` int64 counts or displacements at heap `off` into op->ints
 * (MPI takes int arrays). Returns MPI_SUCCESS or an error class. */
static int lend_ints(struct keeper *k, struct coll_op *op, int64_t off, int n)
{
    const int64_t *v = chan_heap_ptr(keeper_channel(k), (uint64_t)off);
    op->ints = malloc((size_t)n * sizeof *op->ints + 1);
    if (!op->ints)
        return MPI_ERR_NO_MEM;
    for (int i = 0; i < n; i++) {
        if (!fits_int(v[i]))
            return MPI_ERR_COUNT;
        op->ints[i] = (int)v[i];
    }
    return MPI_SUCCESS;
}

/* Fills `a` from the submission; returns MPI_SUCCESS or an error class. */
static int resolve(struct keeper *k, const struct chan_sub *sub, struct coll_args *a)
{
    struct channel *ch = keeper_channel(k);
    a->comm = keeper_comm(k, sub->arg[0]);
    if (a->comm == MPI_COMM_NULL)
        return MPI_ERR_COMM;
    PMPI_Comm_rank(a->comm, &a->rank);
    PMPI_Comm_size(a->comm, &a->size);
    a->root = (int)sub->arg[2];
    a->sb = sub->arg[3] == WIRE_IN_PLACE ? MPI_IN_PLACE : chan_heap_ptr(ch, (uint64_t)sub->arg[3]);
    a->rb = chan_heap_ptr(ch, (uint64_t)sub->arg[5]);
    a->n = (int)sub->arg[4];
    a->count = (int)sub->arg[8];
    int reduction = sub->arg[1] >= WIRE_REDUCE && sub->arg[1] <= WIRE_EXSCAN;
    if (reduction && (sub->arg[7] < 0 || sub->arg[7] >= BASIC_KIND_COUNT || sub->arg[9] < 0 ||
                      sub->arg[9] >= REDUCE_OP_COUNT))
        return MPI_ERR_OP;
    a->type = reduction ? basic_kind_mpi_type((enum basic_kind)sub->arg[7]) : MPI_BYTE;
    a->op = reduction ? reduce_ops[sub->arg[9]] : MPI_OP_NULL;
    if (!fits_int(sub->arg[4]) || (reduction && !fits_int(sub->arg[8])))
        return MPI_ERR_COUNT;
    return MPI_SUCCESS;
}

/* Starts the non-blocking Open MPI collective of `op`. */
static int start(struct keeper *k, struct coll_op *op, MPI_Request *req)
{
    const int64_t *arg = op->sub.arg;
    struct coll_args a;
    int rc = resolve(k, &op->sub, &a);
    if (rc != MPI_SUCCESS)
        return rc;
    int rooted = arg[1] == WIRE_BCAST || arg[1] == WIRE_GATHER || arg[1] == WIRE_GATHERV ||
                 arg[1] == WIRE_SCATTER || arg[1] == WIRE_SCATTERV || arg[1] == WIRE_REDUCE;
    if (rooted && (a.root < 0 || a.root >= a.size))
        return MPI_ERR_ROOT;
    int s = a.size;
    switch (arg[1]) {
    case WIRE_BARRIER:
        return PMPI_Ibarrier(a.comm, req);
    case WIRE_BCAST:
        return PMPI_Ibcast(chan_heap_ptr(keeper_channel(k), (uint64_t)arg[3]), a.n, MPI_BYTE,
                           a.root, a.comm, req);
    case WIRE_GATHER:
        return PMPI_Igather(a.sb, a.n, MPI_BYTE, a.rb, a.n, MPI_BYTE, a.root, a.comm, req);
    case WIRE_GATHERV:
        if (a.rank == a.root && (rc = lend_ints(k, op, arg[6], 2 * s)) != MPI_SUCCESS)
            return rc;
        return PMPI_Igatherv(a.sb, a.n, MPI_BYTE, a.rb, op->ints, op->ints ? op->ints + s : NULL,
                             MPI_BYTE, a.root, a.comm, req);
    case WIRE_SCATTER:
        return PMPI_Iscatter(a.sb, a.n, MPI_BYTE, a.rb, a.n, MPI_BYTE, a.root, a.comm, req);
    case WIRE_SCATTERV:
        if (a.rank == a.root && (rc = lend_ints(k, op, arg[6], 2 * s)) != MPI_SUCCESS)
            return rc;
        return PMPI_Iscatterv(a.sb, op->ints, op->ints ? op->ints + s : NULL, MPI_BYTE, a.rb, a.n,
                              MPI_BYTE, a.root, a.comm, req);
    case WIRE_ALLGATHER:
        return PMPI_Iallgather(a.sb, a.n, MPI_BYTE, a.rb, a.n, MPI_BYTE, a.comm, req);
    case WIRE_ALLGATHERV:
        if ((rc = lend_ints(k, op, arg[6], 2 * s)) != MPI_SUCCESS)
            return rc;
        return PMPI_Iallgatherv(a.sb, a.n, MPI_BYTE, a.rb, op->ints, op->ints + s, MPI_BYTE,
                                a.comm, req);
    case WIRE_ALLTOALL:
        return PMPI_Ialltoall(a.sb, a.n, MPI_BYTE, a.rb, a.n, MPI_BYTE, a.comm, req);
    case WIRE_ALLTOALLV:
        if ((rc = lend_ints(k, op, arg[6], 4 * s)) != MPI_SUCCESS)
            return rc;
        return PMPI_Ialltoallv(a.sb, op->ints, op->ints + s, MPI_BYTE, a.rb, op->ints + 2 * s,
                               op->ints + 3 * s, MPI_BYTE, a.comm, req);
    case WIRE_REDUCE:
        return PMPI_Ireduce(a.sb, a.rb, a.count, a.type, a.op, a.root, a.comm, req);
    case WIRE_ALLREDUCE:
        return PMPI_Iallreduce(a.sb, a.rb, a.count, a.type, a.op, a.comm, req);
    case WIRE_REDUCE_SCATTER_BLOCK:
        return PMPI_Ireduce_scatter_block(a.sb, a.rb, a.count, a.type, a.op, a.comm, req);
    case WIRE_SCAN:
        return PMPI_Iscan(a.sb, a.rb, a.count, a.type, a.op, a.comm, req);
    case WIRE_EXSCAN:
        return PMPI_Iexscan(a.sb, a.rb, a.count, a.type, a.op, a.comm, req);
    default:
        return MPI_ERR_ARG;
    }
}

static void serve_coll(struct keeper *k, const struct chan_sub *sub)
{
    struct coll_op *op = calloc(1, sizeof *op);
    if (!op) {
        keeper_say(k, "out of memory serving a collective");
        keeper_abort(k, MPI_COMM_WORLD, 1);
    }
    op->sub = *sub;
    if (keeper_comm(k, sub->arg[0]) != MPI_COMM_NULL)
        op->sequence = next_sequence(k, sub->arg[0]);
    MPI_Request req;
    int rc = start(k, op, &req);
    if (rc != MPI_SUCCESS) {
        struct chan_cmp cmp = keeper_completion(sub);
        cmp.rc = error_class(rc);
        cmp.val[0] = (int64_t)op->sequence;
        keeper_complete(k, &cmp);
        free(op->ints);
        free(op);
        return;
    }
    keeper_track(k, req, sub->req, coll_done, op);
}

void keeper_register_coll(struct keeper *k)
{
    keeper_register(k, WOP_COLL, serve_coll);
}
