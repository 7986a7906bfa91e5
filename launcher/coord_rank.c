/*
 * coord_rank.c — one rank's share of a coordinated checkpoint (coord.h,
 * docs/COORDINATED.md): the pending table, the cut, Lai–Yang counting, the
 * keeper state of the epoch, and the control messages.
 *
 * A checkpoint at this rank: FREEZE, FENCE: the collective fence
 * (coord_fence.c) → CUT (or a message stamped with the next epoch)
 * → CUTTING: completions held, the image requested → the compute process
 * forks (ckpt.started) → DRAINING: the state at the cut is copied (pending
 * operations, collectives' contributions, messages held or queued), held
 * completions released → once every pre-cut submission is served,
 * CUT_DONE → ALL_CUT: peers' sent counts and collective minima; held-back
 * submissions served → balanced, pre-cut collectives complete, image
 * durable, output written before the cut copied → keeper state written,
 * DONE → RUNNING.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/output_filter.h"
#include "launcher/comm_log.h"
#include "launcher/coord_internal.h"
#include "launcher/keeper.h"
#include "launcher/serve_coll.h"
#include "launcher/serve_p2p.h"
#include "plugin/capture/capture.h"
#include "storage/image_format.h"

/* How often the keeper repeats its signal while waiting for the capture
 * or the writer. */
#define POKE_NS 20000000

int64_t coord_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static _Noreturn void fail(struct coord *c, const char *what)
{
    keeper_say(c->k, "coordinated checkpointing: %s", what);
    keeper_abort(c->k, MPI_COMM_WORLD, 1);
}

/* --- control messages ----------------------------------------------------- */

static void sent_free(struct keeper *k, void *ctx, const MPI_Status *status)
{
    (void)k;
    (void)status;
    free(ctx);
}

void coord_ctl_send(struct coord *c, int dest, const int64_t *msg, size_t n)
{
    int64_t *copy = malloc(n * sizeof *copy);
    if (!copy)
        fail(c, "out of memory for a control message");
    memcpy(copy, msg, n * sizeof *copy);
    MPI_Request req;
    if (PMPI_Isend(copy, (int)n, MPI_INT64_T, dest, (int)msg[0], c->ctl, &req) != MPI_SUCCESS)
        fail(c, "cannot send a control message");
    keeper_track(c->k, req, 0, sent_free, copy);
}

/* --- pending table ------------------------------------------------------------ */

static size_t slot_of(const struct coord *c, uint64_t req)
{
    uint64_t h = req * 0x9e3779b97f4a7c15ull;
    return (size_t)(h >> 20) & (c->cap_pending - 1);
}

static void pending_grow(struct coord *c)
{
    struct coord_pending *old = c->pending;
    size_t old_cap = c->cap_pending;
    c->cap_pending = old_cap ? old_cap * 2 : 256;
    c->pending = calloc(c->cap_pending, sizeof *c->pending);
    if (!c->pending)
        fail(c, "out of memory for the pending table");
    c->n_pending = 0;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i].req)
            continue;
        size_t s = slot_of(c, old[i].req);
        while (c->pending[s].req)
            s = (s + 1) & (c->cap_pending - 1);
        c->pending[s] = old[i];
        c->n_pending++;
    }
    free(old);
}

void coord_pending_add(struct coord *c, const struct chan_sub *sub, uint64_t seq)
{
    if (!sub->req)
        return;
    if (2 * (c->n_pending + 1) > c->cap_pending)
        pending_grow(c);
    size_t s = slot_of(c, sub->req);
    while (c->pending[s].req)
        s = (s + 1) & (c->cap_pending - 1);
    c->pending[s] = (struct coord_pending){ sub->req, seq, *sub };
    c->n_pending++;
}

/* Removes `req` (backward-shift deletion keeps probe chains whole). */
static void pending_remove(struct coord *c, uint64_t req)
{
    if (!c->cap_pending || !req)
        return;
    size_t mask = c->cap_pending - 1, s = slot_of(c, req);
    while (c->pending[s].req && c->pending[s].req != req)
        s = (s + 1) & mask;
    if (!c->pending[s].req)
        return;
    c->pending[s].req = 0;
    c->n_pending--;
    for (size_t j = (s + 1) & mask; c->pending[j].req; j = (j + 1) & mask) {
        size_t home = slot_of(c, c->pending[j].req);
        /* Move j back into the hole if its home is not in (s, j]. */
        if ((j > s && (home <= s || home > j)) || (j < s && home <= s && home > j)) {
            c->pending[s] = c->pending[j];
            c->pending[j].req = 0;
            s = j;
        }
    }
}

static const struct coord_pending *pending_find(const struct coord *c, uint64_t req)
{
    if (!c->cap_pending)
        return NULL;
    size_t s = slot_of(c, req);
    while (c->pending[s].req && c->pending[s].req != req)
        s = (s + 1) & (c->cap_pending - 1);
    return c->pending[s].req ? &c->pending[s] : NULL;
}

/* --- the state at the cut -------------------------------------------------------- */

static int is_coll(uint32_t op)
{
    return op == WOP_COLL;
}

int coord_input_block(const struct chan_sub *sub, int64_t *off, size_t *len)
{
    switch (sub->op) {
    case WOP_COLL:
        *off = sub->arg[WIRE_COLL_BLOCK];
        *len = (size_t)sub->arg[WIRE_COLL_BLOCK_BYTES];
        return 1;
    case WOP_COMM_CREATE:
    case WOP_COMM_CREATE_GROUP:
        *off = sub->arg[4];
        *len = (size_t)sub->arg[5];
        return 1;
    default:
        return 0;
    }
}

/* Records a pre-cut submission the compute process had not seen complete,
 * with the heap block it reads (a collective's contribution, a creation's
 * group): the restored process's heap is a new one. */
static void save_pending(struct coord *c, const struct chan_sub *sub)
{
    const void *saved = NULL;
    size_t saved_len = 0;
    int64_t off;
    if (coord_input_block(sub, &off, &saved_len) && saved_len)
        saved = chan_heap_ptr(c->ch, (uint64_t)off);
    size_t index = c->ks.n_pending;
    if (keeper_state_add_pending(&c->ks, sub, saved ? saved : NULL, saved_len) != 0)
        fail(c, "out of memory saving a pending operation");
    if (!is_coll(sub->op))
        return;
    if (c->n_coll_wait == c->cap_coll_wait) {
        size_t cap = c->cap_coll_wait ? 2 * c->cap_coll_wait : 16;
        size_t *ix = realloc(c->coll_index, cap * sizeof *ix);
        uint64_t *rq = ix ? realloc(c->coll_req, cap * sizeof *rq) : NULL;
        if (!ix || !rq)
            fail(c, "out of memory saving a pending collective");
        c->coll_index = ix;
        c->coll_req = rq;
        c->cap_coll_wait = cap;
    }
    c->coll_index[c->n_coll_wait] = index;
    c->coll_req[c->n_coll_wait++] = sub->req;
}

/* A pending collective completed: its result (the whole block) is kept. */
static void save_result(struct coord *c, const struct chan_cmp *cmp)
{
    for (size_t i = 0; i < c->n_coll_wait; i++) {
        if (c->coll_req[i] != cmp->req)
            continue;
        size_t index = c->coll_index[i];
        const struct chan_sub *sub = &c->ks.pending[index].sub;
        struct keeper_result res;
        keeper_result_from_cmp(&res, cmp);
        size_t len = (size_t)sub->arg[WIRE_COLL_BLOCK_BYTES];
        const void *data = len ? chan_heap_ptr(c->ch, (uint64_t)sub->arg[WIRE_COLL_BLOCK]) : NULL;
        if (keeper_state_set_result(&c->ks, index, &res, data, len) != 0)
            fail(c, "out of memory saving a collective's result");
        c->coll_index[i] = c->coll_index[--c->n_coll_wait];
        c->coll_req[i] = c->coll_req[c->n_coll_wait];
        return;
    }
}

/* A message the compute process had not received at the cut, sent before
 * its sender's cut: channel state, in its sender's send order (messages
 * reach the keeper in the order their receives complete, not the order
 * MPI matched them in). */
static void save_message(struct coord *c, int64_t comm, int source, int tag, const void *wire,
                         size_t bytes)
{
    if (keeper_state_add_message_in_send_order(&c->ks, comm, source, tag, wire, bytes) != 0)
        fail(c, "out of memory saving channel state");
}

/* Held completions of receives: their messages, if sent before the
 * senders' cuts (stamped below the new epoch), are channel state. An
 * MRECV's goes back under its handle's id: the MRECV is served again after
 * a restore (its MPROBE completed before the cut, so it is such a message). */
static void save_held_messages(struct coord *c)
{
    size_t n;
    const struct chan_cmp *held = keeper_held_completions(c->k, &n);
    for (size_t i = 0; i < n; i++) {
        const struct coord_pending *p = pending_find(c, held[i].req);
        if (!p || p->seq > c->ep.sub_cut || held[i].rc != MPI_SUCCESS || held[i].cancelled ||
            held[i].source == WIRE_PROC_NULL)
            continue;
        size_t bytes = (size_t)held[i].bytes + WIRE_HEADER_BYTES;
        if (p->sub.op == WOP_RECV) {
            const struct wire_msg_header *h = chan_heap_ptr(c->ch, (uint64_t)p->sub.arg[3]);
            if (h->epoch < c->ep.epoch)
                save_message(c, p->sub.arg[0], held[i].source, held[i].tag, h, bytes);
        } else if (p->sub.op == WOP_MRECV) {
            const struct wire_msg_header *h = chan_heap_ptr(c->ch, (uint64_t)p->sub.arg[1]);
            if (keeper_state_add_message(&c->ks, p2p_matched_comm(p->sub.arg[0]), held[i].source,
                                         held[i].tag, h->epoch, p->sub.arg[0], h, bytes) != 0)
                fail(c, "out of memory saving a matched message");
        }
    }
}

/* A message the keeper took out of MPI that the compute process had not
 * received at the cut. */
static int save_queued(const struct early_msg *m, void *arg)
{
    save_message(arg, m->comm, m->source, m->tag, m->wire, m->bytes);
    return 0;
}

/* A message MPROBE matched: if the application learnt of it before the
 * cut, it is saved with its handle's id (its MRECV may come after the
 * restore); if that MPROBE was still pending (its completion held), the
 * probe is made again after a restore and the message is channel state,
 * if sent before its sender's cut. */
static int save_matched(int64_t id, const struct early_msg *m, void *arg)
{
    struct coord *c = arg;
    const struct wire_msg_header *h = m->wire;
    size_t n;
    const struct chan_cmp *held = keeper_held_completions(c->k, &n);
    for (size_t i = 0; i < n; i++) {
        const struct coord_pending *p = pending_find(c, held[i].req);
        if (p && p->sub.op == WOP_MPROBE && held[i].val[0] && held[i].val[1] == id) {
            if (h->epoch < c->ep.epoch)
                save_message(c, m->comm, m->source, m->tag, m->wire, m->bytes);
            return 0;
        }
    }
    if (keeper_state_add_message(&c->ks, m->comm, m->source, m->tag, h->epoch, id, m->wire,
                                 m->bytes) != 0)
        fail(c, "out of memory saving a matched message");
    return 0;
}

static int by_seq(const void *a, const void *b)
{
    uint64_t x = ((const struct coord_pending *)a)->seq, y = ((const struct coord_pending *)b)->seq;
    return (x > y) - (x < y);
}

/* The compute process forked for its image: the rank's cut. */
static void take_cut(struct coord *c)
{
    struct chan_ckpt *ck = &c->ch->ctl->ckpt;
    uint64_t sub_cut = ck->sub_cut;
    if (epoch_cut_taken(&c->ep, sub_cut) != 0)
        fail(c, "cut taken while not cutting");
    keeper_state_free(&c->ks);
    keeper_state_init(&c->ks);
    c->ks.rank = c->rank;
    c->ks.size = c->size;
    c->ks.epoch = c->epoch;
    c->ks.incarnation = c->incarnation;
    c->ks.sub_cut = sub_cut;
    c->ks.stdout_bytes = ck->out_pos[0];
    c->ks.stderr_bytes = ck->out_pos[1];
    c->n_coll_wait = 0;

    /* Pending at the cut, in submission order. */
    size_t n = 0;
    size_t max = c->n_pending + c->n_deferred + 1;
    struct coord_pending *list = malloc(max * sizeof *list);
    uint64_t *seqs = malloc(max * sizeof *seqs);
    if (!list || !seqs)
        fail(c, "out of memory at the cut");
    for (size_t i = 0; i < c->cap_pending; i++)
        if (c->pending[i].req && c->pending[i].seq <= sub_cut)
            list[n++] = c->pending[i];
    /* Held back, never started: pending too (coord_fence.c). */
    for (size_t i = 0; i < c->n_deferred; i++)
        if (c->deferred[i].seq <= sub_cut)
            list[n++] = (struct coord_pending){ c->deferred[i].sub.req, c->deferred[i].seq,
                                                c->deferred[i].sub };
    qsort(list, n, sizeof *list, by_seq);
    for (size_t i = 0; i < n; i++) {
        save_pending(c, &list[i].sub);
        seqs[i] = list[i].seq;
    }
    save_held_messages(c);
    p2p_foreach_queued(save_queued, c);
    p2p_foreach_matched(save_matched, c);
    if (comm_log_save(&c->ks, sub_cut, seqs, n) != 0)
        fail(c, "cannot save the communicator log");
    free(list);
    free(seqs);

    /* Completions held for the cut may be seen now; collectives among them
     * have their results already. */
    size_t nheld;
    const struct chan_cmp *held = keeper_held_completions(c->k, &nheld);
    for (size_t i = 0; i < nheld; i++)
        save_result(c, &held[i]);
    keeper_set_holding(c->k, 0);
    if (c->verbose)
        keeper_say(c->k, "checkpoint %llu: cut after %llu submissions, %zu pending, "
                   "application paused %.2f ms", (unsigned long long)c->epoch,
                   (unsigned long long)sub_cut, n, (double)atomic_load(&ck->pause_ns) / 1e6);
}

/* --- the steps of a checkpoint ------------------------------------------------------ */

static void request_image(struct coord *c)
{
    struct chan_ckpt *ck = &c->ch->ctl->ckpt;
    char path[PATH_MAX];
    if (layout_rank_path(&c->job, c->epoch, c->rank, LAYOUT_IMAGE, path) != 0 ||
        strlen(path) >= CHAN_CKPT_PATH_MAX)
        fail(c, "image path too long");
    memcpy(ck->path, path, strlen(path) + 1);
    ck->level = c->level;
    ck->workers = c->workers;
    ck->allow_pending = 1;
    atomic_store_explicit(&ck->request, c->epoch, memory_order_release);
    c->requested = 1;
    c->poke_at = coord_now_ns() + POKE_NS;
    chan_doorbell_ring(&c->ch->ctl->compute_bell);
    kill(c->compute, CHAN_CKPT_SIGNAL);
}

/* Starts this rank's cut: completions are held from now on. */
static void begin_cut(struct coord *c)
{
    if (c->fence_stage != FENCE_STAGE_SET)
        fail(c, "told to cut before the collective fence was set");
    if (epoch_begin_cut(&c->ep) != 0)
        return;
    keeper_set_holding(c->k, 1);
}

void coord_rank_cut(struct coord *c, uint64_t epoch)
{
    if (c->epoch != epoch)
        fail(c, "told to cut for a checkpoint that is not under way");
    begin_cut(c);
    if (!c->requested && atomic_load(&c->ch->ctl->ckpt.ready))
        request_image(c);
}

/* Once every pre-cut submission is served: sent counts and collective
 * counts are final; tell the leader. */
static void send_cut_done(struct coord *c)
{
    size_t ncomms = keeper_comm_capacity(c->k);
    size_t n = 5 + (size_t)c->size + 2 * ncomms;
    int64_t *msg = malloc(n * sizeof *msg);
    if (!msg)
        fail(c, "out of memory");
    size_t at = 0;
    msg[at++] = CTL_CUT_DONE;
    msg[at++] = (int64_t)c->incarnation;
    msg[at++] = (int64_t)c->epoch;
    msg[at++] = c->size;
    for (int r = 0; r < c->size; r++)
        msg[at++] = (int64_t)epoch_sent_old(&c->ep, r);
    size_t m_at = at++;
    int64_t m = 0;
    for (size_t id = 0; id < ncomms; id++) {
        if (keeper_comm(c->k, (int64_t)id) == MPI_COMM_NULL)
            continue;
        /* Started, or held back but submitted before the cut. Until
         * ALL_CUT says otherwise, the least count is our own. */
        uint64_t count = serve_coll_count((int64_t)id) +
                         coord_held_collectives(c, (int64_t)id, c->ep.sub_cut);
        if (keeper_state_add_coll_count(&c->ks, (int64_t)id, count, count) != 0)
            fail(c, "out of memory");
        if (comm_log_size((int64_t)id) <= 1)
            continue; /* one member: nobody to agree with */
        msg[at++] = (int64_t)comm_log_name((int64_t)id);
        msg[at++] = (int64_t)count;
        m++;
    }
    msg[m_at] = m;
    coord_ctl_send(c, 0, msg, at);
    free(msg);
    c->cut_done_sent = 1;
}

static void check_pre_cut_served(struct coord *c)
{
    if (c->ep.phase == EPOCH_DRAINING && !c->cut_done_sent &&
        epoch_pre_cut_served(&c->ep, keeper_popped(c->k)))
        send_cut_done(c);
}

static void on_all_cut(struct coord *c, const int64_t *msg, size_t n)
{
    if (n < 4 || msg[3] != c->size || n < 5 + (size_t)c->size)
        fail(c, "malformed ALL_CUT");
    for (int r = 0; r < c->size; r++)
        if (epoch_peer_sent(&c->ep, r, (uint64_t)msg[4 + r]) != 0)
            fail(c, "more messages arrived than a peer sent before its cut");
    size_t at = 4 + (size_t)c->size;
    size_t m = (size_t)msg[at++];
    if (n < at + 2 * m)
        fail(c, "malformed ALL_CUT");
    for (size_t i = 0; i < c->ks.n_colls; i++) {
        int64_t id = c->ks.colls[i].comm;
        for (size_t j = 0; j < m && comm_log_size(id) > 1; j++)
            if ((uint64_t)msg[at + 2 * j] == comm_log_name(id))
                c->ks.colls[i].line_min = (uint64_t)msg[at + 2 * j + 1];
    }
    c->all_cut = 1;
    coord_fence_poll(c); /* what was held back goes now, in order */
}

static int image_entry(struct coord *c, struct layout_entry *e)
{
    char path[PATH_MAX], err[LAYOUT_ERROR_MAX];
    struct img_header h;
    memset(e, 0, sizeof *e);
    layout_rank_name(c->rank, LAYOUT_IMAGE, e->name);
    if (layout_rank_path(&c->job, c->epoch, c->rank, LAYOUT_IMAGE, path) != 0 ||
        layout_file_sum(path, &e->size, &e->xxh64, err) != 0) {
        keeper_say(c->k, "checkpoint %llu: %s", (unsigned long long)c->epoch, err);
        return -1;
    }
    FILE *f = fopen(path, "rb");
    if (f && fread(&h, sizeof h, 1, f) == 1 && memcmp(h.magic, IMG_MAGIC, sizeof h.magic) == 0)
        e->raw_size = h.raw_bytes;
    if (f)
        fclose(f);
    return 0;
}

/* Writes this rank's files' last part and reports DONE. */
static void finish_epoch(struct coord *c)
{
    struct chan_ckpt *ck = &c->ch->ctl->ckpt;
    struct layout_entry img = {0}, kst = {0};
    char path[PATH_MAX], err[LAYOUT_ERROR_MAX];
    int ok = atomic_load(&ck->status) == IMG_WRITER_COMMITTED && image_entry(c, &img) == 0;
    if (ok) {
        if (layout_rank_path(&c->job, c->epoch, c->rank, LAYOUT_KEEPER, path) != 0 ||
            keeper_state_write(&c->ks, path, &kst, err) != 0) {
            keeper_say(c->k, "checkpoint %llu: %s", (unsigned long long)c->epoch, err);
            ok = 0;
        }
    } else {
        keeper_say(c->k, "checkpoint %llu: the image was not written", (unsigned long long)c->epoch);
    }
    int64_t msg[9] = { CTL_DONE, (int64_t)c->incarnation, (int64_t)c->epoch, ok,
                       (int64_t)img.size, (int64_t)img.xxh64, (int64_t)img.raw_size,
                       (int64_t)kst.size, (int64_t)kst.xxh64 };
    coord_ctl_send(c, 0, msg, 9);
    if (epoch_finish(&c->ep) != 0)
        fail(c, "epoch finished unbalanced");
    coord_fence_end(c);
    keeper_state_free(&c->ks);
    keeper_state_init(&c->ks);
    c->epoch = 0;
    c->requested = c->cut_done_sent = c->all_cut = 0;
    c->n_coll_wait = 0;
}

/* Whether the output the compute process wrote before its cut has been
 * read and copied into the job directory: an epoch whose cut lies beyond
 * the copy could not give a restarted job the bytes a killed mpirun lost
 * (launcher/supervise.h). */
static int output_copied(struct coord *c)
{
    uint64_t emitted[2];
    const uint64_t cut[2] = { c->ks.stdout_bytes, c->ks.stderr_bytes };
    keeper_output_emitted(c->k, emitted);
    for (int i = 0; i < 2; i++)
        if (cut[i] != OUTPUT_NO_POSITION && emitted[i] < cut[i])
            return 0;
    return 1;
}

/* Moves this rank's checkpoint along; called at every poll. */
static void advance(struct coord *c)
{
    struct chan_ckpt *ck = &c->ch->ctl->ckpt;
    /* A compute process that is starting or being restored has no handler
     * for the keeper's signal yet (it would die of it): ask once it is. */
    if (c->ep.phase == EPOCH_CUTTING && c->epoch && !c->requested && atomic_load(&ck->ready))
        request_image(c);
    if (c->ep.phase == EPOCH_CUTTING && c->requested &&
        atomic_load_explicit(&ck->started, memory_order_acquire) == c->epoch)
        take_cut(c);
    /* Also when the cut was taken before serving a submission that was
     * then deferred: nothing else would notice. */
    check_pre_cut_served(c);
    if (c->requested && atomic_load_explicit(&ck->done, memory_order_acquire) != c->epoch &&
        coord_now_ns() >= c->poke_at) {
        /* Wakes a waiting process to take the cut, or a computing one to
         * collect its writer. */
        chan_doorbell_ring(&c->ch->ctl->compute_bell);
        kill(c->compute, CHAN_CKPT_SIGNAL);
        c->poke_at = coord_now_ns() + POKE_NS;
    }
    /* Old messages the application has not asked for yet are counted by
     * taking them out of MPI into the early queue. */
    if (c->ep.phase == EPOCH_DRAINING && !epoch_balanced(&c->ep))
        p2p_drain(c->k);
    coord_fence_poll(c);
    if (c->ep.phase == EPOCH_DRAINING && c->all_cut && epoch_balanced(&c->ep) &&
        c->n_coll_wait == 0 && atomic_load_explicit(&ck->done, memory_order_acquire) == c->epoch &&
        output_copied(c))
        finish_epoch(c);
}

/* --- the keeper's hooks ---------------------------------------------------------------- */

int coord_before_serve(struct coord *c, const struct chan_sub *sub, uint64_t seq)
{
    struct chan_ckpt *ck = &c->ch->ctl->ckpt;
    /* A submission pushed after the fork is seen only with the fork's
     * `started` (release/acquire through the ring): take the cut first. */
    if (c->ep.phase == EPOCH_CUTTING && c->requested &&
        atomic_load_explicit(&ck->started, memory_order_acquire) == c->epoch)
        take_cut(c);
    if (c->ep.phase == EPOCH_DRAINING && seq <= c->ep.sub_cut)
        save_pending(c, sub); /* pre-cut, popped only now: pending at the cut */
    if (coord_hold_back(c, sub, seq))
        return 1;
    coord_pending_add(c, sub, seq);
    return 0;
}

void coord_after_serve(struct coord *c)
{
    check_pre_cut_served(c);
}

void coord_stamp(struct coord *c, struct wire_msg_header *h, int64_t comm, int dest)
{
    int world = comm_log_world_rank(comm, dest);
    if (world < 0)
        fail(c, "a message to a rank outside its communicator");
    uint64_t ssn = epoch_sent_total(&c->ep, world);
    *h = (struct wire_msg_header){ .magic = WIRE_MSG_MAGIC,
                                   .incarnation = (uint32_t)c->incarnation,
                                   .epoch = epoch_send(&c->ep, keeper_serving_seq(c->k), world),
                                   .ssn = ssn };
}

int coord_arrived(struct coord *c, const void *wire, size_t wire_bytes, int64_t comm,
                  int source, int tag)
{
    const struct wire_msg_header *h = wire;
    if (wire_bytes < (size_t)WIRE_HEADER_BYTES || h->magic != WIRE_MSG_MAGIC)
        return -1;
    if (h->incarnation != (uint32_t)c->incarnation)
        fail(c, "a message of another incarnation reached a fresh communicator");
    int world = comm_log_world_rank(comm, source);
    switch (epoch_arrival(&c->ep, world, h->epoch)) {
    case EPOCH_ARRIVAL_OK:
        break;
    case EPOCH_ARRIVAL_CUT_FIRST:
        begin_cut(c); /* its completion is held until the cut */
        break;
    case EPOCH_PROTOCOL_ERROR:
        fail(c, "a message stamped with an epoch no peer can be in");
    }
    if (c->ep.phase == EPOCH_DRAINING && h->epoch < c->ep.epoch)
        save_message(c, comm, source, tag, wire, wire_bytes);
    return 0;
}

void coord_completing(struct coord *c, const struct chan_cmp *cmp)
{
    if (c->ep.phase == EPOCH_DRAINING && c->n_coll_wait > 0)
        save_result(c, cmp);
}

void coord_pushed(struct coord *c, uint64_t req)
{
    pending_remove(c, req);
}

void coord_rank_reset(struct coord *c)
{
    c->epoch = 0;
    c->requested = c->cut_done_sent = c->all_cut = 0;
    keeper_state_free(&c->ks);
    keeper_state_init(&c->ks);
    c->n_coll_wait = 0;
    if (c->cap_pending)
        memset(c->pending, 0, c->cap_pending * sizeof *c->pending);
    c->n_pending = 0;
    coord_fence_reset(c);
    c->fin_entered = c->fin_barrier_done = c->fin_go = c->exit_entered = 0;
    if (c->leader)
        coord_leader_reset(c);
}

int coord_may_finalize(struct coord *c)
{
    if (!c->fin_entered) {
        c->fin_entered = 1;
        PMPI_Ibarrier(c->fin_comm, &c->fin_barrier);
    }
    if (!c->fin_barrier_done) {
        int flag = 0;
        PMPI_Test(&c->fin_barrier, &flag, MPI_STATUS_IGNORE);
        if (!flag)
            return 0;
        c->fin_barrier_done = 1;
        if (c->leader)
            coord_leader_finalizing(c);
    }
    return c->fin_go && c->epoch == 0 && c->ep.phase == EPOCH_RUNNING;
}

int coord_all_exited(struct coord *c)
{
    if (!c->exit_entered) {
        c->exit_entered = 1;
        PMPI_Ibarrier(c->fin_comm, &c->exit_barrier);
    }
    int flag = 0;
    PMPI_Test(&c->exit_barrier, &flag, MPI_STATUS_IGNORE);
    return flag;
}

/* The job stops after SIGTERM, its last checkpoint taken (or failed). */
static _Noreturn void stop(struct coord *c, uint64_t epoch)
{
    if (c->rank == 0 && !c->quiet) {
        if (epoch)
            keeper_say(c->k, "stopped on SIGTERM after checkpoint %llu; `mpickpt-restart %s` "
                       "continues the job", (unsigned long long)epoch, c->job.dir);
        else
            keeper_say(c->k, "stopped on SIGTERM; the last checkpoint failed: `mpickpt-restart "
                       "%s` continues from the one before", c->job.dir);
    }
    keeper_stop(c->k, 128 + SIGTERM);
}

/* Takes every waiting control message. */
static void receive_control(struct coord *c)
{
    for (;;) {
        int flag = 0, count = 0;
        MPI_Status st;
        PMPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, c->ctl, &flag, &st);
        if (!flag)
            return;
        PMPI_Get_count(&st, MPI_INT64_T, &count);
        int64_t *msg = malloc(((size_t)count + 1) * sizeof *msg);
        if (!msg)
            fail(c, "out of memory for a control message");
        PMPI_Recv(msg, count, MPI_INT64_T, st.MPI_SOURCE, st.MPI_TAG, c->ctl, MPI_STATUS_IGNORE);
        if (count >= 3 && (uint64_t)msg[1] == c->incarnation) {
            switch (msg[0]) {
            case CTL_FREEZE:
                coord_fence_freeze(c, (uint64_t)msg[2]);
                break;
            case CTL_FENCE:
                coord_fence_targets(c, msg, (size_t)count);
                break;
            case CTL_CUT:
                coord_rank_cut(c, (uint64_t)msg[2]);
                break;
            case CTL_ALL_CUT:
                on_all_cut(c, msg, (size_t)count);
                break;
            case CTL_FIN:
                c->fin_go = 1;
                break;
            case CTL_RECOVER:
                coord_recover(c, msg, (size_t)count);
                break;
            case CTL_FAILED:
                if (c->leader)
                    coord_leader_failed(c, st.MPI_SOURCE);
                break;
            case CTL_TERM:
                if (c->leader)
                    coord_leader_term(c);
                break;
            case CTL_STOP:
                stop(c, (uint64_t)msg[2]);
            default:
                if (c->leader)
                    coord_leader_message(c, st.MPI_SOURCE, msg, (size_t)count);
            }
        }
        free(msg);
    }
}

int coord_quiet(const struct coord *c)
{
    return c->epoch == 0 && c->fence_stage == FENCE_STAGE_NONE && c->n_deferred == 0 &&
           !c->fin_entered && !c->have_restored && (!c->leader || coord_leader_quiet(c->leader));
}

int coord_poll(struct keeper *k, void *ctx)
{
    (void)k;
    struct coord *c = ctx;
    if (c->on_term && !c->term_sent && coord_term_seen()) {
        c->term_sent = 1;
        int64_t msg[3] = { CTL_TERM, (int64_t)c->incarnation, 0 };
        coord_ctl_send(c, 0, msg, 3);
    }
    receive_control(c);
    advance(c);
    if (c->leader)
        coord_leader_poll(c);
    return 0;
}
