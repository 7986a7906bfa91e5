/*
 * coll.c — collectives as MKR_COLL requests: validation, packing into one
 * heap block, the WOP_COLL submission, and on completion unpacking and
 * user-op reductions (see coll.h; wire.h has each collective's arguments).
 *
 * A request's heap block holds up to three parts: the int64 argument
 * arrays of v variants, the send part and the receive part. Per-rank data
 * sits contiguously in rank order inside a part, so v and w variants need
 * only byte counts and byte displacements, whatever the app's layout.
 * Gathers put this rank's own contribution straight into its slot of the
 * receive part and pass MPI_IN_PLACE to the keeper, which saves a copy.
 * Exchanges (coll_exchange, for neighbourhood collectives) are ALLTOALLVs
 * whose per-rank data is several app blocks, one after the other.
 *
 * Invariants: parts start 64-byte aligned (the keeper's Open MPI reduces
 * the elements in place); every segment to unpack fits in its part
 * (checked when it is added, so a count mismatch is MPI_ERR_TRUNCATE, never
 * an overrun); the block is freed only after the completion.
 */
#include "plugin/coll.h"

#include <stdint.h>
#include <stdlib.h>

#include "common/offset_heap.h"
#include "common/wire.h"
#include "plugin/client.h"
#include "plugin/comm.h"
#include "plugin/datatype.h"
#include "plugin/errors.h"
#include "plugin/ops.h"
#include "plugin/request.h"
#include "plugin/types.h"

/* ---- request state --------------------------------------------------------- */

/* A piece of the receive part that goes to the app's buffer on completion:
 * either the packed stream of `count` instances of `type`, or (reductions
 * by the keeper) an array of `nelems` elements of `kind`. */
struct coll_seg {
    uint64_t off;
    void *buf;
    size_t count;
    struct dt_type *type;      /* referenced */
    int elements;
    enum basic_kind kind;
    size_t nelems;
};

/* A user-op reduction done here once the contributions have arrived:
 * result = x(lo) op ... op x(hi-1), where x(i) is `count` instances found
 * `offset` bytes into rank i's packed contribution. */
struct coll_reduce {
    struct mk_op *op;          /* referenced; NULL when nothing is reduced here */
    MPI_Datatype handle;       /* the app's handle, passed to its function */
    struct dt_type *type;      /* referenced */
    size_t count;
    uint64_t contribs;         /* heap offset of rank 0's contribution */
    size_t stride;             /* bytes from one contribution to the next */
    size_t offset;
    int lo, hi;
    void *result;
};

struct coll {
    struct coll_seg *segs;
    size_t nsegs, cap;
    struct coll_reduce reduce;
};

static void coll_free_extra(void *extra)
{
    struct coll *co = extra;
    for (size_t i = 0; i < co->nsegs; i++)
        dt_release(co->segs[i].type);
    free(co->segs);
    dt_release(co->reduce.type);
    op_release(co->reduce.op);
    free(co);
}

static int pack_status(int status)
{
    return status == DT_OK ? MPI_SUCCESS : status == DT_ERR_NOMEM ? MPI_ERR_NO_MEM
         : status == DT_ERR_TRUNCATE ? MPI_ERR_TRUNCATE : MPI_ERR_TYPE;
}

/* Both operands of a user op live in the type's own layout: this is the
 * smallest buffer holding `count` instances, and the pointer to pass for it. */
static void *typed_buffer(const struct dt_type *t, size_t count, void **mem)
{
    ptrdiff_t ext = dt_extent(t), span = (ptrdiff_t)(count - 1) * ext;
    ptrdiff_t lo = dt_true_lb(t) + (span < 0 ? span : 0);
    ptrdiff_t hi = dt_true_lb(t) + dt_true_extent(t) + (span > 0 ? span : 0);
    *mem = calloc(1, (size_t)(hi - lo));
    return *mem ? (void *)((uintptr_t)*mem - (uintptr_t)lo) : NULL;
}

/* Runs the user-op reduction of `red` in the fixed order of coll.h. The
 * result is packed back over contribution hi-1 (this rank's own block, no
 * longer needed) and unpacked from there into the app's buffer. */
static int reduce_here(const struct coll_reduce *red)
{
    if (!red->op || red->hi <= red->lo)
        return MPI_SUCCESS;
    size_t bytes = dt_size(red->type) * red->count;
    if (bytes == 0)
        return MPI_SUCCESS;
    unsigned char *base = client_ptr(red->contribs);
    unsigned char *last = base + (size_t)(red->hi - 1) * red->stride + red->offset;
    if (red->hi - red->lo == 1)
        return pack_status(dt_unpack(last, bytes, red->type, red->count, red->result));
    void *acc_mem, *in_mem;
    void *acc = typed_buffer(red->type, red->count, &acc_mem);
    void *in = typed_buffer(red->type, red->count, &in_mem);
    int status = acc && in ? dt_unpack(last, bytes, red->type, red->count, acc) : DT_ERR_NOMEM;
    int len = (int)red->count;
    MPI_Datatype handle = red->handle;
    for (int i = red->hi - 2; i >= red->lo && status == DT_OK; i--) {
        status = dt_unpack(base + (size_t)i * red->stride + red->offset, bytes, red->type,
                           red->count, in);
        if (status == DT_OK)
            red->op->fn(in, acc, &len, &handle);
    }
    if (status == DT_OK)
        status = dt_pack(red->type, red->count, acc, last, bytes);
    if (status == DT_OK)
        status = dt_unpack(last, bytes, red->type, red->count, red->result);
    free(acc_mem);
    free(in_mem);
    return pack_status(status);
}

static int unpack_seg(const struct coll_seg *s)
{
    if (s->count == 0 || dt_size(s->type) == 0)
        return MPI_SUCCESS;
    const void *data = client_ptr(s->off);
    if (s->elements)
        return op_from_elements(data, s->kind, s->nelems, s->type, s->count, s->buf);
    return pack_status(dt_unpack(data, dt_size(s->type) * s->count, s->type, s->count, s->buf));
}

/* on_complete: the keeper's collective is done; deliver to the app. */
static void coll_done(struct mk_request *r)
{
    struct coll *co = r->extra;
    int rc = r->cmp.rc;
    for (size_t i = 0; i < co->nsegs && rc == MPI_SUCCESS; i++)
        rc = unpack_seg(&co->segs[i]);
    if (rc == MPI_SUCCESS)
        rc = reduce_here(&co->reduce);
    r->status.MPI_ERROR = rc;
    request_free_block(r);
    r->complete = 1;
}

/* ---- building a request ---------------------------------------------------- */

/* Parts of the heap block, placed one after the other. */
struct layout {
    size_t total;
};

static size_t layout_part(struct layout *l, size_t bytes)
{
    size_t at = l->total;
    l->total += (bytes + 63) & ~(size_t)63;
    return at;
}

/* A new request for call->comm with a heap block of `bytes` (at least one
 * line, so every part has an address). */
static int coll_new(struct coll_call *call, size_t bytes)
{
    size_t size = bytes ? bytes : 64;
    struct mk_request *r = request_new(MKR_COLL);
    struct coll *co = calloc(1, sizeof *co);
    uint64_t block = r && co ? client_alloc(size) : OFFSET_HEAP_NONE;
    if (block == OFFSET_HEAP_NONE) {
        free(co);
        if (r)
            request_release(r);
        return MPI_ERR_NO_MEM;
    }
    r->block = block;
    r->block_bytes = size;
    request_set_comm(r, call->comm);
    r->extra = co;
    r->free_extra = coll_free_extra;
    r->on_complete = coll_done;
    call->req = r;
    return MPI_SUCCESS;
}

/* Gives up a request that was never submitted; returns rc. */
static int coll_abandon(struct coll_call *call, int rc)
{
    request_release(call->req);
    call->req = NULL;
    return rc;
}

static uint64_t part_at(const struct coll_call *call, size_t pos)
{
    return call->req->block + pos;
}

static int add_seg(struct coll_call *call, struct coll_seg seg, size_t room)
{
    struct coll *co = call->req->extra;
    size_t bytes = seg.elements ? seg.nelems * basic_kind_size(seg.kind)
                                : dt_size(seg.type) * seg.count;
    if (bytes > room)
        return MPI_ERR_TRUNCATE;
    if (co->nsegs == co->cap) {
        size_t cap = co->cap ? 2 * co->cap : 4;
        struct coll_seg *bigger = realloc(co->segs, cap * sizeof *bigger);
        if (!bigger)
            return MPI_ERR_NO_MEM;
        co->segs = bigger;
        co->cap = cap;
    }
    seg.type = dt_retain(seg.type);
    co->segs[co->nsegs++] = seg;
    return MPI_SUCCESS;
}

/* The packed stream of `count` instances at heap `off` goes to `buf`. */
static int add_packed_seg(struct coll_call *call, uint64_t off, size_t room, void *buf,
                          size_t count, struct dt_type *t)
{
    return add_seg(call, (struct coll_seg){ .off = off, .buf = buf, .count = count, .type = t },
                   room);
}

/* Packs `count` instances of `t` at `buf` into the heap at `off`. */
static int pack_to(uint64_t off, size_t room, const void *buf, size_t count,
                   const struct dt_type *t)
{
    size_t bytes = dt_size(t) * count;
    if (bytes > room)
        return MPI_ERR_TRUNCATE;
    if (bytes == 0)
        return MPI_SUCCESS;
    return pack_status(dt_pack(t, count, buf, client_ptr(off), bytes));
}

static struct chan_sub wire_sub(const struct coll_call *call, enum wire_coll which)
{
    return (struct chan_sub){ .op = WOP_COLL, .arg = { call->comm->id, which } };
}

static int coll_submit(struct coll_call *call, struct chan_sub *sub)
{
    /* The whole block, which a coordinated keeper saves (contribution) and
     * restores (contribution or result) across a cut. */
    sub->arg[WIRE_COLL_BLOCK] = (int64_t)call->req->block;
    sub->arg[WIRE_COLL_BLOCK_BYTES] = (int64_t)call->req->block_bytes;
    client_submit(call->req, sub);
    return MPI_SUCCESS;
}

/* ---- argument checks --------------------------------------------------------- */

static int resolve_comm(struct coll_call *call, MPI_Comm comm)
{
    call->comm = comm_get(comm);
    return call->comm ? MPI_SUCCESS : MPI_ERR_COMM;
}

static int check_type(MPI_Datatype handle, struct dt_type **t)
{
    *t = type_get(handle);
    return !*t || (type_derived(handle) && !dt_is_committed(*t)) ? MPI_ERR_TYPE : MPI_SUCCESS;
}

static int check_buffer(MPI_Datatype handle, int count, struct dt_type **t)
{
    return count < 0 ? MPI_ERR_COUNT : check_type(handle, t);
}

static int check_counts(const int counts[], int n)
{
    for (int j = 0; j < n; j++)
        if (counts[j] < 0)
            return MPI_ERR_COUNT;
    return MPI_SUCCESS;
}

static int check_root(const struct mk_comm *c, int root)
{
    return root < 0 || root >= c->size ? MPI_ERR_ROOT : MPI_SUCCESS;
}

/* `buf` moved by `bytes`, in unsigned arithmetic so MPI_BOTTOM works. */
static void *displaced(const void *buf, ptrdiff_t bytes)
{
    return (void *)((uintptr_t)buf + (uintptr_t)bytes);
}

/* ---- per-rank blocks ----------------------------------------------------------- */

/* Where each rank's block lives on the app's side, and where its packed
 * bytes go in a part: contiguous, in rank order. */
struct peer {
    void *buf;
    size_t count;
    struct dt_type *type;
};

struct peers {
    int n;
    struct peer *p;
    int64_t *bytes, *displs;   /* together: the wire's counts-then-displacements */
    size_t total;
};

static int peers_new(struct peers *ps, int n)
{
    ps->n = n;
    ps->total = 0;
    ps->p = calloc((size_t)n + 1, sizeof *ps->p);
    ps->bytes = calloc(2 * (size_t)n + 1, sizeof *ps->bytes);
    ps->displs = ps->bytes ? ps->bytes + n : NULL;
    return ps->p && ps->bytes ? MPI_SUCCESS : MPI_ERR_NO_MEM;
}

static void peers_free(struct peers *ps)
{
    free(ps->p);
    free(ps->bytes);
}

static void peers_set(struct peers *ps, int j, const void *buf, size_t count, struct dt_type *t)
{
    ps->p[j] = (struct peer){ (void *)buf, count, t };
    ps->bytes[j] = (int64_t)(dt_size(t) * count);
    ps->displs[j] = (int64_t)ps->total;
    ps->total += (size_t)ps->bytes[j];
}

/* Block j at buf + j*count*extent (Gather, Scatter, Allgather, Alltoall). */
static int peers_uniform(struct peers *ps, int n, const void *buf, int count, struct dt_type *t)
{
    int rc = peers_new(ps, n);
    for (int j = 0; j < n && rc == MPI_SUCCESS; j++)
        peers_set(ps, j, displaced(buf, (ptrdiff_t)j * count * dt_extent(t)), (size_t)count, t);
    return rc;
}

/* Block j at buf + displs[j]*extent (the v variants). */
static int peers_v(struct peers *ps, int n, const void *buf, const int counts[],
                   const int displs[], struct dt_type *t)
{
    int rc = peers_new(ps, n);
    for (int j = 0; j < n && rc == MPI_SUCCESS; j++)
        peers_set(ps, j, displaced(buf, (ptrdiff_t)displs[j] * dt_extent(t)), (size_t)counts[j], t);
    return rc;
}

/* Block j at buf + displs[j] bytes, of types[j] (Alltoallw). */
static int peers_w(struct peers *ps, int n, const void *buf, const int counts[],
                   const int displs[], const MPI_Datatype types[])
{
    int rc = peers_new(ps, n);
    for (int j = 0; j < n && rc == MPI_SUCCESS; j++) {
        struct dt_type *t;
        rc = check_buffer(types[j], counts[j], &t);
        if (rc == MPI_SUCCESS)
            peers_set(ps, j, displaced(buf, displs[j]), (size_t)counts[j], t);
    }
    return rc;
}

/* Packs every block into the part at `base`. */
static int pack_peers(const struct peers *ps, uint64_t base)
{
    int rc = MPI_SUCCESS;
    for (int j = 0; j < ps->n && rc == MPI_SUCCESS; j++)
        rc = pack_to(base + (uint64_t)ps->displs[j], (size_t)ps->bytes[j], ps->p[j].buf,
                     ps->p[j].count, ps->p[j].type);
    return rc;
}

/* Every block but `skip` (-1: none) is unpacked from the part at `base` on
 * completion. */
static int unpack_peers(struct coll_call *call, const struct peers *ps, uint64_t base, int skip)
{
    int rc = MPI_SUCCESS;
    for (int j = 0; j < ps->n && rc == MPI_SUCCESS; j++)
        if (j != skip)
            rc = add_packed_seg(call, base + (uint64_t)ps->displs[j], (size_t)ps->bytes[j],
                                ps->p[j].buf, ps->p[j].count, ps->p[j].type);
    return rc;
}

/* Copies counts then displacements (2n int64) to the heap at `off`. */
static void write_v(const struct peers *ps, uint64_t off)
{
    int64_t *v = client_ptr(off);
    for (int j = 0; j < 2 * ps->n; j++)
        v[j] = ps->bytes[j];
}

/* ---- the entries' frame ------------------------------------------------------- */

struct coll_call coll_call_begin(const char *fn)
{
    mk_require_init(fn);
    return (struct coll_call){ .fn = fn };
}

static int request_done(void *ctx)
{
    return ((struct mk_request *)ctx)->complete;
}

int coll_wait(struct coll_call *call, int rc)
{
    if (rc == MPI_SUCCESS) {
        client_wait_until(request_done, call->req);
        rc = call->req->status.MPI_ERROR;
        request_release(call->req);
    }
    return rc == MPI_SUCCESS ? rc : mk_error(call->comm, rc, call->fn);
}

int coll_return(struct coll_call *call, int rc, MPI_Request *request)
{
    if (rc != MPI_SUCCESS) {
        *request = MPI_REQUEST_NULL;
        return mk_error(call->comm, rc, call->fn);
    }
    *request = request_handle(call->req);
    return MPI_SUCCESS;
}

/* ---- barrier, broadcast ----------------------------------------------------------- */

int coll_barrier(struct coll_call *call, MPI_Comm comm)
{
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS)
        rc = coll_new(call, 0);
    if (rc != MPI_SUCCESS)
        return rc;
    struct chan_sub sub = wire_sub(call, WIRE_BARRIER);
    return coll_submit(call, &sub);
}

int coll_bcast(struct coll_call *call, void *buf, int count, MPI_Datatype type, int root,
               MPI_Comm comm)
{
    struct dt_type *t;
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS)
        rc = check_buffer(type, count, &t);
    if (rc == MPI_SUCCESS)
        rc = check_root(call->comm, root);
    size_t n = rc == MPI_SUCCESS ? dt_size(t) * (size_t)count : 0;
    if (rc == MPI_SUCCESS)
        rc = coll_new(call, n);
    if (rc != MPI_SUCCESS)
        return rc;
    uint64_t data = part_at(call, 0);
    rc = call->comm->rank == root ? pack_to(data, n, buf, (size_t)count, t)
                                  : add_packed_seg(call, data, n, buf, (size_t)count, t);
    if (rc != MPI_SUCCESS)
        return coll_abandon(call, rc);
    struct chan_sub sub = wire_sub(call, WIRE_BCAST);
    sub.arg[2] = root;
    sub.arg[3] = (int64_t)data;
    sub.arg[4] = (int64_t)n;
    return coll_submit(call, &sub);
}

/* ---- gathers ----------------------------------------------------------------- */

/* The common part of Gather(v) and Allgather(v) at a rank that receives:
 * `recv` describes every rank's block in the app's receive buffer; this
 * rank's contribution (`own`, or its block of `recv` when in place) goes
 * straight into its slot, which is not unpacked back when in place. Parts:
 * [vblk][receive]. */
static int start_gathering(struct coll_call *call, enum wire_coll which, int root,
                           const struct peers *recv, const struct peer *own, int in_place)
{
    struct layout l = { 0 };
    /* The keeper reads the arrays only for the v variants. */
    size_t vpos = layout_part(&l, 2 * (size_t)recv->n * sizeof(int64_t));
    size_t rpos = layout_part(&l, recv->total);
    int rc = coll_new(call, l.total);
    if (rc != MPI_SUCCESS)
        return rc;
    int me = call->comm->rank;
    uint64_t rb = part_at(call, rpos), vb = part_at(call, vpos);
    write_v(recv, vb);
    if (in_place)
        own = &recv->p[me];
    rc = pack_to(rb + (uint64_t)recv->displs[me], (size_t)recv->bytes[me], own->buf, own->count,
                 own->type);
    if (rc == MPI_SUCCESS)
        rc = unpack_peers(call, recv, rb, in_place ? me : -1);
    if (rc != MPI_SUCCESS)
        return coll_abandon(call, rc);
    struct chan_sub sub = wire_sub(call, which);
    sub.arg[2] = root;
    sub.arg[3] = WIRE_IN_PLACE;
    sub.arg[4] = recv->bytes[me];
    sub.arg[5] = (int64_t)rb;
    sub.arg[6] = (int64_t)vb;
    return coll_submit(call, &sub);
}

/* A rank of Gather(v) that only sends. Parts: [send]. */
static int start_gather_send(struct coll_call *call, enum wire_coll which, int root,
                             const void *buf, int count, struct dt_type *t)
{
    size_t n = dt_size(t) * (size_t)count;
    int rc = coll_new(call, n);
    if (rc != MPI_SUCCESS)
        return rc;
    uint64_t sb = part_at(call, 0);
    rc = pack_to(sb, n, buf, (size_t)count, t);
    if (rc != MPI_SUCCESS)
        return coll_abandon(call, rc);
    struct chan_sub sub = wire_sub(call, which);
    sub.arg[2] = root;
    sub.arg[3] = (int64_t)sb;
    sub.arg[4] = (int64_t)n;
    return coll_submit(call, &sub);
}

/* Checks the send side of a gather, unless this rank contributes in place. */
static int check_send(const void *sendbuf, int sendcount, MPI_Datatype sendtype, int in_place,
                      struct peer *own)
{
    if (in_place)
        return MPI_SUCCESS;
    own->buf = (void *)sendbuf;
    own->count = (size_t)sendcount;
    return check_buffer(sendtype, sendcount, &own->type);
}

int coll_gather(struct coll_call *call, const void *sendbuf, int sendcount, MPI_Datatype sendtype,
                void *recvbuf, int recvcount, MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    struct peer own = { 0 };
    struct dt_type *rt;
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS)
        rc = check_root(call->comm, root);
    int at_root = rc == MPI_SUCCESS && call->comm->rank == root;
    if (rc == MPI_SUCCESS)
        rc = check_send(sendbuf, sendcount, sendtype, at_root && sendbuf == MPI_IN_PLACE, &own);
    if (rc != MPI_SUCCESS || !at_root)
        return rc != MPI_SUCCESS ? rc
             : start_gather_send(call, WIRE_GATHER, root, sendbuf, sendcount, own.type);
    struct peers recv = { 0 };
    rc = check_buffer(recvtype, recvcount, &rt);
    if (rc == MPI_SUCCESS)
        rc = peers_uniform(&recv, call->comm->size, recvbuf, recvcount, rt);
    if (rc == MPI_SUCCESS)
        rc = start_gathering(call, WIRE_GATHER, root, &recv, &own, sendbuf == MPI_IN_PLACE);
    peers_free(&recv);
    return rc;
}

int coll_gatherv(struct coll_call *call, const void *sendbuf, int sendcount,
                 MPI_Datatype sendtype, void *recvbuf, const int recvcounts[], const int displs[],
                 MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    struct peer own = { 0 };
    struct dt_type *rt;
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS)
        rc = check_root(call->comm, root);
    int at_root = rc == MPI_SUCCESS && call->comm->rank == root;
    if (rc == MPI_SUCCESS)
        rc = check_send(sendbuf, sendcount, sendtype, at_root && sendbuf == MPI_IN_PLACE, &own);
    if (rc != MPI_SUCCESS || !at_root)
        return rc != MPI_SUCCESS ? rc
             : start_gather_send(call, WIRE_GATHERV, root, sendbuf, sendcount, own.type);
    struct peers recv = { 0 };
    rc = check_type(recvtype, &rt);
    if (rc == MPI_SUCCESS)
        rc = check_counts(recvcounts, call->comm->size);
    if (rc == MPI_SUCCESS)
        rc = peers_v(&recv, call->comm->size, recvbuf, recvcounts, displs, rt);
    if (rc == MPI_SUCCESS)
        rc = start_gathering(call, WIRE_GATHERV, root, &recv, &own, sendbuf == MPI_IN_PLACE);
    peers_free(&recv);
    return rc;
}

int coll_allgather(struct coll_call *call, const void *sendbuf, int sendcount,
                   MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                   MPI_Comm comm)
{
    struct peer own = { 0 };
    struct dt_type *rt;
    struct peers recv = { 0 };
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS)
        rc = check_send(sendbuf, sendcount, sendtype, sendbuf == MPI_IN_PLACE, &own);
    if (rc == MPI_SUCCESS)
        rc = check_buffer(recvtype, recvcount, &rt);
    if (rc == MPI_SUCCESS)
        rc = peers_uniform(&recv, call->comm->size, recvbuf, recvcount, rt);
    if (rc == MPI_SUCCESS)
        rc = start_gathering(call, WIRE_ALLGATHER, 0, &recv, &own, sendbuf == MPI_IN_PLACE);
    peers_free(&recv);
    return rc;
}

int coll_allgatherv(struct coll_call *call, const void *sendbuf, int sendcount,
                    MPI_Datatype sendtype, void *recvbuf, const int recvcounts[],
                    const int displs[], MPI_Datatype recvtype, MPI_Comm comm)
{
    struct peer own = { 0 };
    struct dt_type *rt;
    struct peers recv = { 0 };
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS)
        rc = check_send(sendbuf, sendcount, sendtype, sendbuf == MPI_IN_PLACE, &own);
    if (rc == MPI_SUCCESS)
        rc = check_type(recvtype, &rt);
    if (rc == MPI_SUCCESS)
        rc = check_counts(recvcounts, call->comm->size);
    if (rc == MPI_SUCCESS)
        rc = peers_v(&recv, call->comm->size, recvbuf, recvcounts, displs, rt);
    if (rc == MPI_SUCCESS)
        rc = start_gathering(call, WIRE_ALLGATHERV, 0, &recv, &own, sendbuf == MPI_IN_PLACE);
    peers_free(&recv);
    return rc;
}

/* ---- scatters ------------------------------------------------------------------ */

/* Scatter(v): the root (the only rank with `send`) packs every block into
 * the send part; every rank receives its block into the receive part and
 * unpacks it, unless it is the root in place. Parts: [vblk][send][receive]. */
static int start_scattering(struct coll_call *call, enum wire_coll which, int root,
                            const struct peers *send, void *recvbuf, int recvcount,
                            struct dt_type *rt)
{
    int me = call->comm->rank, in_place = send && recvbuf == MPI_IN_PLACE;
    /* The root's block is what it sends itself: that fixes the size. */
    size_t n = send ? (size_t)send->bytes[me] : dt_size(rt) * (size_t)recvcount;
    struct layout l = { 0 };
    size_t vpos = layout_part(&l, send ? 2 * (size_t)send->n * sizeof(int64_t) : 0);
    size_t spos = layout_part(&l, send ? send->total : 0);
    size_t rpos = layout_part(&l, n);
    int rc = coll_new(call, l.total);
    if (rc != MPI_SUCCESS)
        return rc;
    uint64_t vb = part_at(call, vpos), sb = part_at(call, spos), rb = part_at(call, rpos);
    if (send) {
        write_v(send, vb);
        rc = pack_peers(send, sb);
    }
    if (rc == MPI_SUCCESS && !in_place)
        rc = add_packed_seg(call, rb, n, recvbuf, (size_t)recvcount, rt);
    if (rc != MPI_SUCCESS)
        return coll_abandon(call, rc);
    struct chan_sub sub = wire_sub(call, which);
    sub.arg[2] = root;
    sub.arg[3] = (int64_t)sb;
    sub.arg[4] = (int64_t)n;
    sub.arg[5] = (int64_t)rb;
    sub.arg[6] = (int64_t)vb;
    return coll_submit(call, &sub);
}

int coll_scatter(struct coll_call *call, const void *sendbuf, int sendcount,
                 MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                 int root, MPI_Comm comm)
{
    struct dt_type *st, *rt = NULL;
    struct peers send = { 0 };
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS)
        rc = check_root(call->comm, root);
    int at_root = rc == MPI_SUCCESS && call->comm->rank == root;
    if (rc == MPI_SUCCESS && !(at_root && recvbuf == MPI_IN_PLACE))
        rc = check_buffer(recvtype, recvcount, &rt);
    if (rc == MPI_SUCCESS && at_root)
        rc = check_buffer(sendtype, sendcount, &st);
    if (rc == MPI_SUCCESS && at_root)
        rc = peers_uniform(&send, call->comm->size, sendbuf, sendcount, st);
    if (rc == MPI_SUCCESS)
        rc = start_scattering(call, WIRE_SCATTER, root, at_root ? &send : NULL, recvbuf,
                              recvcount, rt);
    peers_free(&send);
    return rc;
}

int coll_scatterv(struct coll_call *call, const void *sendbuf, const int sendcounts[],
                  const int displs[], MPI_Datatype sendtype, void *recvbuf, int recvcount,
                  MPI_Datatype recvtype, int root, MPI_Comm comm)
{
    struct dt_type *st, *rt = NULL;
    struct peers send = { 0 };
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS)
        rc = check_root(call->comm, root);
    int at_root = rc == MPI_SUCCESS && call->comm->rank == root;
    if (rc == MPI_SUCCESS && !(at_root && recvbuf == MPI_IN_PLACE))
        rc = check_buffer(recvtype, recvcount, &rt);
    if (rc == MPI_SUCCESS && at_root)
        rc = check_type(sendtype, &st);
    if (rc == MPI_SUCCESS && at_root)
        rc = check_counts(sendcounts, call->comm->size);
    if (rc == MPI_SUCCESS && at_root)
        rc = peers_v(&send, call->comm->size, sendbuf, sendcounts, displs, st);
    if (rc == MPI_SUCCESS)
        rc = start_scattering(call, WIRE_SCATTERV, root, at_root ? &send : NULL, recvbuf,
                              recvcount, rt);
    peers_free(&send);
    return rc;
}

/* ---- all-to-all ------------------------------------------------------------------ */

/* Where an all-to-all's parts are in its heap block. */
struct alltoall_parts {
    uint64_t vb, sb, rb;
};

/* A new all-to-all request with parts [vblk][send][receive] sized for
 * `send` and `recv` (per-rank totals); the v arrays are written for
 * ALLTOALLV. */
static int new_alltoall(struct coll_call *call, enum wire_coll which, const struct peers *send,
                        const struct peers *recv, struct alltoall_parts *at)
{
    struct layout l = { 0 };
    size_t vbytes = which == WIRE_ALLTOALLV ? 4 * (size_t)send->n * sizeof(int64_t) : 0;
    size_t vpos = layout_part(&l, vbytes);
    size_t spos = layout_part(&l, send->total);
    size_t rpos = layout_part(&l, recv->total);
    int rc = coll_new(call, l.total);
    if (rc != MPI_SUCCESS)
        return rc;
    *at = (struct alltoall_parts){ part_at(call, vpos), part_at(call, spos),
                                   part_at(call, rpos) };
    if (which == WIRE_ALLTOALLV) {
        write_v(send, at->vb);
        write_v(recv, at->vb + 2 * (uint64_t)send->n * sizeof(int64_t));
    }
    return MPI_SUCCESS;
}

static int submit_alltoall(struct coll_call *call, enum wire_coll which, const struct peers *send,
                           const struct alltoall_parts *at)
{
    struct chan_sub sub = wire_sub(call, which);
    sub.arg[3] = (int64_t)at->sb;
    sub.arg[4] = send->bytes[0];
    sub.arg[5] = (int64_t)at->rb;
    sub.arg[6] = (int64_t)at->vb;
    return coll_submit(call, &sub);
}

/* An all-to-all: `send` and `recv` describe block j on each side. Alltoall
 * proper (blocks of one size) runs as the keeper's ALLTOALL, the v and w
 * variants as its ALLTOALLV. */
static int start_alltoall(struct coll_call *call, enum wire_coll which,
                          const struct peers *send, const struct peers *recv)
{
    if (which == WIRE_ALLTOALL && send->bytes[0] != recv->bytes[0])
        return MPI_ERR_TRUNCATE;
    struct alltoall_parts at;
    int rc = new_alltoall(call, which, send, recv, &at);
    if (rc != MPI_SUCCESS)
        return rc;
    rc = pack_peers(send, at.sb);
    if (rc == MPI_SUCCESS)
        rc = unpack_peers(call, recv, at.rb, -1);
    if (rc != MPI_SUCCESS)
        return coll_abandon(call, rc);
    return submit_alltoall(call, which, send, &at);
}

/* Starts an all-to-all from its two sides, freeing their descriptions.
 * In place, the receive side is also what is sent. */
static int finish_alltoall(struct coll_call *call, enum wire_coll which, int rc,
                           struct peers *send, struct peers *recv, int in_place)
{
    if (rc == MPI_SUCCESS)
        rc = start_alltoall(call, which, in_place ? recv : send, recv);
    peers_free(send);
    peers_free(recv);
    return rc;
}

int coll_alltoall(struct coll_call *call, const void *sendbuf, int sendcount,
                  MPI_Datatype sendtype, void *recvbuf, int recvcount, MPI_Datatype recvtype,
                  MPI_Comm comm)
{
    struct dt_type *st = NULL, *rt;
    struct peers send = { 0 }, recv = { 0 };
    int in_place = sendbuf == MPI_IN_PLACE;
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS && !in_place)
        rc = check_buffer(sendtype, sendcount, &st);
    if (rc == MPI_SUCCESS)
        rc = check_buffer(recvtype, recvcount, &rt);
    if (rc == MPI_SUCCESS && !in_place)
        rc = peers_uniform(&send, call->comm->size, sendbuf, sendcount, st);
    if (rc == MPI_SUCCESS)
        rc = peers_uniform(&recv, call->comm->size, recvbuf, recvcount, rt);
    return finish_alltoall(call, WIRE_ALLTOALL, rc, &send, &recv, in_place);
}

int coll_alltoallv(struct coll_call *call, const void *sendbuf, const int sendcounts[],
                   const int sdispls[], MPI_Datatype sendtype, void *recvbuf,
                   const int recvcounts[], const int rdispls[], MPI_Datatype recvtype,
                   MPI_Comm comm)
{
    struct dt_type *st = NULL, *rt;
    struct peers send = { 0 }, recv = { 0 };
    int in_place = sendbuf == MPI_IN_PLACE;
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS && !in_place)
        rc = check_type(sendtype, &st);
    if (rc == MPI_SUCCESS && !in_place)
        rc = check_counts(sendcounts, call->comm->size);
    if (rc == MPI_SUCCESS)
        rc = check_type(recvtype, &rt);
    if (rc == MPI_SUCCESS)
        rc = check_counts(recvcounts, call->comm->size);
    if (rc == MPI_SUCCESS && !in_place)
        rc = peers_v(&send, call->comm->size, sendbuf, sendcounts, sdispls, st);
    if (rc == MPI_SUCCESS)
        rc = peers_v(&recv, call->comm->size, recvbuf, recvcounts, rdispls, rt);
    return finish_alltoall(call, WIRE_ALLTOALLV, rc, &send, &recv, in_place);
}

int coll_alltoallw(struct coll_call *call, const void *sendbuf, const int sendcounts[],
                   const int sdispls[], const MPI_Datatype sendtypes[], void *recvbuf,
                   const int recvcounts[], const int rdispls[], const MPI_Datatype recvtypes[],
                   MPI_Comm comm)
{
    struct peers send = { 0 }, recv = { 0 };
    int in_place = sendbuf == MPI_IN_PLACE;
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS && !in_place)
        rc = peers_w(&send, call->comm->size, sendbuf, sendcounts, sdispls, sendtypes);
    if (rc == MPI_SUCCESS)
        rc = peers_w(&recv, call->comm->size, recvbuf, recvcounts, rdispls, recvtypes);
    return finish_alltoall(call, WIRE_ALLTOALLV, rc, &send, &recv, in_place);
}

/* ---- exchanges of arbitrary blocks ------------------------------------------------ */

int coll_resolve(struct coll_call *call, MPI_Comm comm)
{
    return resolve_comm(call, comm);
}

/* Validates a block; gives its type and size in bytes. */
static int block_check(const struct coll_block *b, int n, struct dt_type **t, size_t *bytes)
{
    int rc = b->peer < 0 || b->peer >= n ? MPI_ERR_RANK : check_buffer(b->type, b->count, t);
    *bytes = rc == MPI_SUCCESS ? dt_size(*t) * (size_t)b->count : 0;
    return rc;
}

/* One side of an exchange as per-rank totals (the wire's byte counts and
 * displacements): the blocks for a rank lie one after the other, in the
 * order given. */
static int exchange_totals(struct peers *ps, int n, const struct coll_block b[], int nb)
{
    int rc = peers_new(ps, n);
    for (int i = 0; i < nb && rc == MPI_SUCCESS; i++) {
        struct dt_type *t;
        size_t bytes;
        rc = block_check(&b[i], n, &t, &bytes);
        if (rc == MPI_SUCCESS)
            ps->bytes[b[i].peer] += (int64_t)bytes;
    }
    for (int j = 0; j < n && rc == MPI_SUCCESS; j++) {
        ps->displs[j] = (int64_t)ps->total;
        ps->total += (size_t)ps->bytes[j];
    }
    return rc;
}

/* Packs each send block (`sending`), or has each receive block unpacked on
 * completion, at its place in the part at `base`. The v arrays are on the
 * heap by now, so the totals' displacements serve as each rank's cursor. */
static int place_blocks(struct coll_call *call, struct peers *ps, const struct coll_block b[],
                        int nb, uint64_t base, int sending)
{
    int rc = MPI_SUCCESS;
    for (int i = 0; i < nb && rc == MPI_SUCCESS; i++) {
        struct dt_type *t;
        size_t bytes;
        rc = block_check(&b[i], ps->n, &t, &bytes);
        if (rc != MPI_SUCCESS)
            break;
        void *buf = displaced(b[i].buf, b[i].in_bytes ? b[i].disp : b[i].disp * dt_extent(t));
        uint64_t off = base + (uint64_t)ps->displs[b[i].peer];
        ps->displs[b[i].peer] += (int64_t)bytes;
        rc = sending ? pack_to(off, bytes, buf, (size_t)b[i].count, t)
                     : add_packed_seg(call, off, bytes, buf, (size_t)b[i].count, t);
    }
    return rc;
}

static int start_exchange(struct coll_call *call, struct peers *send,
                          const struct coll_block sb[], int nsend, struct peers *recv,
                          const struct coll_block rb[], int nrecv)
{
    struct alltoall_parts at;
    int rc = new_alltoall(call, WIRE_ALLTOALLV, send, recv, &at);
    if (rc != MPI_SUCCESS)
        return rc;
    rc = place_blocks(call, send, sb, nsend, at.sb, 1);
    if (rc == MPI_SUCCESS)
        rc = place_blocks(call, recv, rb, nrecv, at.rb, 0);
    if (rc != MPI_SUCCESS)
        return coll_abandon(call, rc);
    return submit_alltoall(call, WIRE_ALLTOALLV, send, &at);
}

int coll_exchange(struct coll_call *call, const struct coll_block send[], int nsend,
                  const struct coll_block recv[], int nrecv)
{
    struct peers s = { 0 }, r = { 0 };
    int rc = exchange_totals(&s, call->comm->size, send, nsend);
    if (rc == MPI_SUCCESS)
        rc = exchange_totals(&r, call->comm->size, recv, nrecv);
    if (rc == MPI_SUCCESS)
        rc = start_exchange(call, &s, send, nsend, &r, recv, nrecv);
    peers_free(&s);
    peers_free(&r);
    return rc;
}

/* ---- reductions ----------------------------------------------------------------- */

/* How a reduction runs: by the keeper on an array of `kind` elements
 * (`per_instance` of them per instance of the type), or here by the app's
 * function. Empty types go the second way, where nothing is reduced. */
struct reduction {
    struct mk_op *op;
    MPI_Datatype handle;
    struct dt_type *type;
    int in_keeper;
    enum basic_kind kind;
    size_t per_instance;
};

/* One reduction collective: this rank's contribution, and what of the
 * result reaches the app. */
struct reduce_spec {
    enum wire_coll which;      /* REDUCE, ALLREDUCE, SCAN, EXSCAN or REDUCE_SCATTER_BLOCK */
    int root;                  /* REDUCE */
    const void *src;           /* `in` instances contributed */
    size_t in;
    void *dst;                 /* NULL: nothing for the app at this rank */
    size_t first, take;        /* dst gets result instances [first, first + take) */
};

static int check_reduction(struct coll_call *call, MPI_Comm comm, MPI_Datatype type, int count,
                           MPI_Op op, struct reduction *red)
{
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS)
        rc = check_buffer(type, count, &red->type);
    if (rc != MPI_SUCCESS)
        return rc;
    red->op = op_get(op);
    red->handle = type;
    if (!red->op)
        return MPI_ERR_OP;
    red->in_keeper = op_is_predefined(red->op) && dt_size(red->type) > 0;
    if (!red->in_keeper)
        return MPI_SUCCESS;
    return op_elements(red->op, red->type, 1, &red->kind, &red->per_instance);
}

/* The keeper reduces element arrays with Open MPI. The receive part holds
 * the whole result, except for REDUCE_SCATTER_BLOCK, where it holds this
 * rank's block only. Parts: [send][receive]. */
static int start_keeper_reduction(struct coll_call *call, const struct reduction *red,
                                  const struct reduce_spec *spec)
{
    int scatter = spec->which == WIRE_REDUCE_SCATTER_BLOCK;
    size_t elem = basic_kind_size(red->kind), in = spec->in * red->per_instance;
    size_t out = scatter ? spec->take * red->per_instance : in;
    size_t skip = scatter ? 0 : spec->first * red->per_instance;
    /* Only the root of a Reduce receives anything. */
    int receives = spec->which != WIRE_REDUCE || call->comm->rank == spec->root;
    struct layout l = { 0 };
    size_t spos = layout_part(&l, in * elem);
    size_t rpos = layout_part(&l, receives ? out * elem : 0);
    int rc = coll_new(call, l.total);
    if (rc != MPI_SUCCESS)
        return rc;
    uint64_t sb = part_at(call, spos), rb = part_at(call, rpos);
    if (in > 0)
        rc = op_to_elements(red->type, spec->in, spec->src, red->kind, in, client_ptr(sb));
    if (rc == MPI_SUCCESS && spec->dst)
        rc = add_seg(call, (struct coll_seg){ .off = rb + skip * elem, .buf = spec->dst,
                                              .count = spec->take, .type = red->type,
                                              .elements = 1, .kind = red->kind,
                                              .nelems = spec->take * red->per_instance },
                     (out - skip) * elem);
    if (rc != MPI_SUCCESS)
        return coll_abandon(call, rc);
    struct chan_sub sub = wire_sub(call, spec->which);
    sub.arg[2] = spec->root;
    sub.arg[3] = (int64_t)sb;
    sub.arg[5] = (int64_t)rb;
    sub.arg[7] = red->kind;
    sub.arg[8] = (int64_t)out;
    sub.arg[9] = red->op->predefined;
    return coll_submit(call, &sub);
}

/* A user op: every contribution is gathered (to the root for REDUCE, else
 * to all) and reduced here over the ranks the collective covers. This
 * rank's contribution goes straight into its slot. Parts: [send][receive]. */
static int start_gathered_reduction(struct coll_call *call, const struct reduction *red,
                                    const struct reduce_spec *spec)
{
    const struct mk_comm *c = call->comm;
    int to_root = spec->which == WIRE_REDUCE, here = !to_root || c->rank == spec->root;
    size_t n = dt_size(red->type) * spec->in;
    struct layout l = { 0 };
    size_t spos = layout_part(&l, here ? 0 : n);
    size_t rpos = layout_part(&l, here ? n * (size_t)c->size : 0);
    int rc = coll_new(call, l.total);
    if (rc != MPI_SUCCESS)
        return rc;
    uint64_t sb = part_at(call, spos), rb = part_at(call, rpos);
    rc = pack_to(here ? rb + n * (size_t)c->rank : sb, n, spec->src, spec->in, red->type);
    if (rc != MPI_SUCCESS)
        return coll_abandon(call, rc);
    if (here && spec->dst) {
        struct coll *co = call->req->extra;
        int hi = spec->which == WIRE_SCAN ? c->rank + 1
               : spec->which == WIRE_EXSCAN ? c->rank : c->size;
        co->reduce = (struct coll_reduce){
            .op = op_retain(red->op), .handle = red->handle, .type = dt_retain(red->type),
            .count = spec->take, .contribs = rb, .stride = n,
            .offset = spec->first * dt_size(red->type), .lo = 0, .hi = hi, .result = spec->dst };
    }
    struct chan_sub sub = wire_sub(call, to_root ? WIRE_GATHER : WIRE_ALLGATHER);
    sub.arg[2] = spec->root;
    sub.arg[3] = here ? WIRE_IN_PLACE : (int64_t)sb;
    sub.arg[4] = (int64_t)n;
    sub.arg[5] = (int64_t)rb;
    return coll_submit(call, &sub);
}

static int start_reduction(struct coll_call *call, int rc, const struct reduction *red,
                           const struct reduce_spec *spec)
{
    if (rc != MPI_SUCCESS)
        return rc;
    return red->in_keeper ? start_keeper_reduction(call, red, spec)
                          : start_gathered_reduction(call, red, spec);
}

int coll_reduce(struct coll_call *call, const void *sendbuf, void *recvbuf, int count,
                MPI_Datatype type, MPI_Op op, int root, MPI_Comm comm)
{
    struct reduction red;
    int rc = check_reduction(call, comm, type, count, op, &red);
    if (rc == MPI_SUCCESS)
        rc = check_root(call->comm, root);
    int at_root = rc == MPI_SUCCESS && call->comm->rank == root;
    struct reduce_spec spec = { WIRE_REDUCE, root,
                                at_root && sendbuf == MPI_IN_PLACE ? recvbuf : sendbuf,
                                (size_t)count, at_root ? recvbuf : NULL, 0, (size_t)count };
    return start_reduction(call, rc, &red, &spec);
}

/* Allreduce, Scan and Exscan: the result has the shape of the input. */
static int same_shape_reduction(struct coll_call *call, enum wire_coll which,
                                const void *sendbuf, void *recvbuf, int count,
                                MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    struct reduction red;
    int rc = check_reduction(call, comm, type, count, op, &red);
    /* Exscan's result is undefined at rank 0: leave its buffer alone. */
    int no_result = rc == MPI_SUCCESS && which == WIRE_EXSCAN && call->comm->rank == 0;
    struct reduce_spec spec = { which, 0, sendbuf == MPI_IN_PLACE ? recvbuf : sendbuf,
                                (size_t)count, no_result ? NULL : recvbuf, 0, (size_t)count };
    return start_reduction(call, rc, &red, &spec);
}

int coll_allreduce(struct coll_call *call, const void *sendbuf, void *recvbuf, int count,
                   MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    return same_shape_reduction(call, WIRE_ALLREDUCE, sendbuf, recvbuf, count, type, op, comm);
}

int coll_scan(struct coll_call *call, const void *sendbuf, void *recvbuf, int count,
              MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    return same_shape_reduction(call, WIRE_SCAN, sendbuf, recvbuf, count, type, op, comm);
}

int coll_exscan(struct coll_call *call, const void *sendbuf, void *recvbuf, int count,
                MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    return same_shape_reduction(call, WIRE_EXSCAN, sendbuf, recvbuf, count, type, op, comm);
}

int coll_reduce_scatter_block(struct coll_call *call, const void *sendbuf, void *recvbuf,
                              int recvcount, MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    struct reduction red;
    int rc = check_reduction(call, comm, type, recvcount, op, &red);
    size_t size = rc == MPI_SUCCESS ? (size_t)call->comm->size : 0;
    size_t first = rc == MPI_SUCCESS ? (size_t)call->comm->rank * (size_t)recvcount : 0;
    struct reduce_spec spec = { WIRE_REDUCE_SCATTER_BLOCK, 0,
                                sendbuf == MPI_IN_PLACE ? recvbuf : sendbuf,
                                (size_t)recvcount * size, recvbuf, first, (size_t)recvcount };
    return start_reduction(call, rc, &red, &spec);
}

/* Reduce_scatter with per-rank counts: an Allreduce of the whole input of
 * which each rank keeps its own block (Open MPI's own algorithm for it is a
 * reduction followed by a scatter, so little is lost). */
int coll_reduce_scatter(struct coll_call *call, const void *sendbuf, void *recvbuf,
                        const int recvcounts[], MPI_Datatype type, MPI_Op op, MPI_Comm comm)
{
    struct reduction red;
    int rc = resolve_comm(call, comm);
    if (rc == MPI_SUCCESS)
        rc = check_counts(recvcounts, call->comm->size);
    size_t total = 0, first = 0;
    for (int j = 0; rc == MPI_SUCCESS && j < call->comm->size; j++) {
        first += j < call->comm->rank ? (size_t)recvcounts[j] : 0;
        total += (size_t)recvcounts[j];
    }
    if (rc == MPI_SUCCESS)
        rc = check_reduction(call, comm, type, recvcounts[call->comm->rank], op, &red);
    struct reduce_spec spec = { WIRE_ALLREDUCE, 0, sendbuf == MPI_IN_PLACE ? recvbuf : sendbuf,
                                total, recvbuf, first,
                                rc == MPI_SUCCESS ? (size_t)recvcounts[call->comm->rank] : 0 };
    return start_reduction(call, rc, &red, &spec);
}
