/*
 * coord_restore.c — setting up the coordinated protocol, and serving a
 * compute process restored from a committed epoch (coord.h,
 * docs/COORDINATED.md "Recovery").
 *
 * A restored rank: re-creates the communicators of its log (a collective
 * of the keepers, each replaying its own log), sets the collective counts
 * back to those at the cut, queues the channel state for the application's
 * receives, then serves again the operations pending at the cut:
 *   - sends complete at once (their messages were delivered or are in the
 *     receivers' channel state);
 *   - a collective numbered up to its communicator's least count M(c) is
 *     answered from its saved result (every member entered it before its
 *     cut, and some may have consumed it); a later one is started again
 *     with its saved contribution (nobody consumed it: rule 1);
 *   - everything else (receives, probes, communicator creations) is served
 *     again as if just submitted.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher/comm_log.h"
#include "launcher/coord_internal.h"
#include "launcher/job_dir.h"
#include "launcher/keeper.h"
#include "launcher/serve_coll.h"
#include "launcher/serve_p2p.h"
#include "launcher/supervise.h"

/* Rank 0 decides, every rank learns: the job directory and the epoch to
 * start from. Errors are decided on rank 0 and shared, so every rank stops
 * with the same line. */
static int share_job(struct coord *c, const struct mk_config *cfg, char **app_argv,
                     const char *restart_dir, uint64_t *epoch)
{
    char err[LAYOUT_ERROR_MAX] = "";
    struct { char dir[PATH_MAX]; char err[LAYOUT_ERROR_MAX]; uint64_t epoch; } shared;
    memset(&shared, 0, sizeof shared);
    if (c->rank == 0) {
        int rc = 0;
        if (restart_dir) {
            rc = layout_job_open(&c->job, restart_dir, err);
            if (rc == 0) {
                int found = layout_find_recovery_line(&c->job, LAYOUT_CHECK_FULL, stderr,
                                                      &shared.epoch, err);
                if (found == 0)
                    snprintf(err, sizeof err, "%s has no valid committed checkpoint", restart_dir);
                rc = found == 1 ? 0 : -1;
            }
        } else {
            rc = job_dir_create(cfg, app_argv, c->size, &c->job, err);
        }
        if (rc == 0)
            snprintf(shared.dir, sizeof shared.dir, "%s", c->job.dir);
        else
            snprintf(shared.err, sizeof shared.err, "%s", err[0] ? err : "unknown error");
    }
    PMPI_Bcast(&shared, (int)sizeof shared, MPI_BYTE, 0, c->ctl);
    if (shared.err[0]) {
        if (c->rank == 0)
            keeper_say(c->k, "%s", shared.err);
        return -1;
    }
    if (c->rank != 0 && layout_job_open(&c->job, shared.dir, err) != 0) {
        keeper_say(c->k, "%s", err);
        return -1;
    }
    *epoch = shared.epoch;
    return 0;
}

struct coord *coord_create(struct keeper *k, const struct mk_config *cfg, char **app_argv,
                           const char *restart_dir, struct coord_start *start)
{
    struct coord *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->k = k;
    PMPI_Comm_rank(MPI_COMM_WORLD, &c->rank);
    PMPI_Comm_size(MPI_COMM_WORLD, &c->size);
    PMPI_Comm_dup(MPI_COMM_WORLD, &c->ctl);
    c->interval = cfg->interval;
    c->keep = cfg->keep;
    c->level = cfg->compress_level;
    c->workers = cfg->compress_threads;
    c->quiet = cfg->quiet;
    c->verbose = cfg->verbose;
    c->max_recoveries = cfg->max_recoveries;
    c->on_term = cfg->checkpoint_on_term;
    coord_install_signals(c->on_term);
    PMPI_Comm_dup(MPI_COMM_WORLD, &c->fin_comm);
    keeper_state_init(&c->ks);
    keeper_state_init(&c->restored);
    memset(start, 0, sizeof *start);
    if (epoch_init(&c->ep, c->size, c->rank, 0) != 0 ||
        share_job(c, cfg, app_argv, restart_dir, &start->epoch) != 0)
        return NULL;
    if (!getcwd(start->cwd, sizeof start->cwd))
        snprintf(start->cwd, sizeof start->cwd, "/");
    if (restart_dir) {
        struct layout_job_info info;
        char err[LAYOUT_ERROR_MAX];
        if (layout_job_info_read(&c->job, &info, err) != 0) {
            keeper_say(k, "%s", err);
            return NULL;
        }
        job_dir_cwd(&info, start->cwd);
        layout_job_info_free(&info);
    }
    snprintf(c->cwd, sizeof c->cwd, "%s", start->cwd);
    if (layout_output_path(&c->job, c->rank, start->output_path) != 0 ||
        layout_output_copy_path(&c->job, c->rank, 0, start->copy_path[0]) != 0 ||
        layout_output_copy_path(&c->job, c->rank, 1, start->copy_path[1]) != 0) {
        keeper_say(k, "job directory path too long");
        return NULL;
    }
    if (start->epoch) {
        if (layout_rank_path(&c->job, start->epoch, c->rank, LAYOUT_IMAGE, start->image) != 0) {
            keeper_say(k, "image path too long");
            return NULL;
        }
        if (coord_load(c, start->epoch) != 0)
            return NULL;
        /* A new run of the job: nothing of an earlier one is in flight. */
        c->incarnation = c->restored.incarnation + 1;
        start->cut[0] = c->restored.stdout_bytes;
        start->cut[1] = c->restored.stderr_bytes;
        if (supervisor_read_positions(start->output_path, start->emitted) != 0)
            start->emitted[0] = start->emitted[1] = 0;
    }
    if (c->rank == 0) {
        c->leader = coord_leader_create(c);
        if (!c->leader)
            return NULL;
        if (!c->quiet && start->epoch)
            keeper_say(k, "restarting from checkpoint %llu of %s (%d ranks)",
                       (unsigned long long)start->epoch, c->job.dir, c->size);
        else if (!c->quiet && c->interval)
            keeper_say(k, "checkpoints every %u s into %s", c->interval, c->job.dir);
        else if (!c->quiet)
            keeper_say(k, "checkpoints on request into %s", c->job.dir);
    }
    return c;
}

/* Writes `len` saved bytes back into the heap at `off`. */
static void put_block(struct coord *c, int64_t off, const void *bytes, size_t len)
{
    if (len)
        memcpy(chan_heap_ptr(c->ch, (uint64_t)off), bytes, len);
}

/* Serves again what was pending at the cut. They get numbers up to the
 * cut's, in their order (the cut saved them sorted), as the submissions
 * made before the cut they are: a creation's log entry and the pending
 * table must agree at the next cut. */
static void serve_pending(struct coord *c, const struct keeper_state *ks)
{
    for (size_t i = 0; i < ks->n_pending; i++) {
        const struct keeper_pending *p = &ks->pending[i];
        const struct chan_sub *sub = &p->sub;
        uint64_t seq = ks->sub_cut - (ks->n_pending - 1 - i);
        if (sub->op == WOP_SEND) {
            keeper_complete_rc(c->k, sub, MPI_SUCCESS);
            continue;
        }
        if (sub->op == WOP_COLL) {
            uint64_t number = serve_coll_count(sub->arg[0]) + 1;
            uint64_t line = 0;
            for (size_t j = 0; j < ks->n_colls; j++)
                if (ks->colls[j].comm == sub->arg[0])
                    line = ks->colls[j].line_min;
            if (number <= line) {
                if (!p->has_result) {
                    keeper_say(c->k, "restore: collective %llu has no saved result",
                               (unsigned long long)number);
                    keeper_abort(c->k, MPI_COMM_WORLD, 1);
                }
                put_block(c, sub->arg[WIRE_COLL_BLOCK], p->data, p->data_len);
                serve_coll_set_count(sub->arg[0], number);
                struct chan_cmp cmp = keeper_completion(sub);
                cmp.rc = (int32_t)p->result.rc;
                cmp.source = (int32_t)p->result.source;
                cmp.tag = (int32_t)p->result.tag;
                cmp.cancelled = (int32_t)p->result.cancelled;
                cmp.bytes = p->result.bytes;
                memcpy(cmp.val, p->result.val, sizeof cmp.val);
                keeper_complete(c->k, &cmp);
                continue;
            }
        }
        int64_t off;
        size_t len;
        if (coord_input_block(sub, &off, &len) && p->saved_len == len)
            put_block(c, off, p->saved, p->saved_len);
        coord_before_serve(c, sub, seq);
        keeper_serve_now(c->k, sub, seq);
    }
}

int coord_load(struct coord *c, uint64_t epoch)
{
    char path[PATH_MAX], err[KEEPER_STATE_ERROR_MAX];
    keeper_state_free(&c->restored);
    c->have_restored = 0;
    if (layout_rank_path(&c->job, epoch, c->rank, LAYOUT_KEEPER, path) != 0 ||
        keeper_state_read(path, &c->restored, err) != 0) {
        keeper_say(c->k, "restore: %s", err);
        return -1;
    }
    if (c->restored.rank != c->rank || c->restored.size != c->size) {
        keeper_say(c->k, "restore: %s belongs to rank %d of %d", path, c->restored.rank,
                   c->restored.size);
        keeper_state_free(&c->restored);
        return -1;
    }
    c->have_restored = 1;
    return 0;
}

/* Brings the keeper back to the cut of the loaded state. */
int coord_apply(struct coord *c)
{
    struct keeper_state *ks = &c->restored;
    if (!c->have_restored)
        return 0;
    if (comm_log_replay(c->k, ks) != 0)
        return -1;
    /* Counts at the cut, less the pending collectives served again below. */
    for (size_t j = 0; j < ks->n_colls; j++)
        serve_coll_set_count(ks->colls[j].comm, ks->colls[j].count);
    for (size_t i = ks->n_pending; i-- > 0;)
        if (ks->pending[i].sub.op == WOP_COLL) {
            int64_t id = ks->pending[i].sub.arg[0];
            serve_coll_set_count(id, serve_coll_count(id) - 1);
        }
    for (size_t i = 0; i < ks->n_messages; i++) {
        const struct keeper_message *m = &ks->messages[i];
        int rc = m->matched >= 0
            ? p2p_restore_matched(m->matched, m->comm, m->source, m->tag, m->payload, m->len)
            : p2p_queue_message(m->comm, m->source, m->tag, m->payload, m->len);
        if (rc != 0) {
            keeper_say(c->k, "restore: cannot restore message %zu of the channel state", i);
            return -1;
        }
    }
    keeper_set_served(c->k, ks->sub_cut);
    serve_pending(c, ks);
    if (c->verbose)
        keeper_say(c->k, "restored checkpoint %llu: %zu pending, %zu messages, %zu communicators",
                   (unsigned long long)ks->epoch, ks->n_pending, ks->n_messages, ks->n_comms);
    keeper_state_free(ks);
    c->have_restored = 0;
    return 0;
}

int coord_begin(struct coord *c, struct channel *ch, pid_t compute, int idle_cores)
{
    c->ch = ch;
    c->compute = compute;
    if (c->workers < 0)
        c->workers = idle_cores;
    if (coord_apply(c) != 0)
        return -1;
    keeper_poll_until(c->k, coord_poll, c);
    return 0;
}
