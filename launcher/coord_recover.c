/*
 * coord_recover.c — in-place recovery of a coordinated job (coord.h,
 * docs/COORDINATED.md "Recovery", DESIGN §8 level 2).
 *
 * A compute process dies: its keeper sends FAILED to the leader, which
 * picks the newest committed epoch whose files check out (or none: every
 * rank starts afresh) and sends RECOVER to every keeper. Each keeper then
 * kills its compute process, forgets the failed incarnation (requests,
 * communicators: fresh duplicates; the checkpoint under way), starts a new
 * compute process from the epoch, and applies its keeper state.
 *
 * Invariants: incarnations only grow, and control messages of an older
 * one are dropped, so a FAILED that raced with a recovery cannot start a
 * second one; after --max-recoveries recoveries the next failure ends the
 * job with one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "launcher/coord_internal.h"
#include "launcher/keeper.h"

void coord_compute_failed(struct coord *c)
{
    int64_t msg[3] = { CTL_FAILED, (int64_t)c->incarnation, 0 };
    coord_ctl_send(c, 0, msg, 3);
}

void coord_leader_failed(struct coord *c, int rank)
{
    static int recoveries;
    char err[LAYOUT_ERROR_MAX];
    uint64_t epoch = 0;
    if (recoveries >= c->max_recoveries) {
        keeper_say(c->k, "rank %d failed again after %d recoveries (--max-recoveries=%d): "
                   "stopping the job", rank, recoveries, c->max_recoveries);
        keeper_abort(c->k, MPI_COMM_WORLD, 1);
    }
    recoveries++;
    int found = layout_find_recovery_line(&c->job, LAYOUT_CHECK_FULL, stderr, &epoch, err);
    if (found < 0) {
        keeper_say(c->k, "cannot find a checkpoint to recover from: %s", err);
        keeper_abort(c->k, MPI_COMM_WORLD, 1);
    }
    if (!c->quiet) {
        if (found)
            keeper_say(c->k, "recovering every rank from checkpoint %llu after rank %d failed "
                       "(recovery %d of at most %d)", (unsigned long long)epoch, rank,
                       recoveries, c->max_recoveries);
        else
            keeper_say(c->k, "restarting every rank from the beginning after rank %d failed "
                       "(no checkpoint committed yet; recovery %d of at most %d)", rank,
                       recoveries, c->max_recoveries);
    }
    int64_t msg[4] = { CTL_RECOVER, (int64_t)c->incarnation, found ? (int64_t)epoch : 0, rank };
    for (int r = 0; r < c->size; r++)
        coord_ctl_send(c, r, msg, 4);
}

void coord_recover(struct coord *c, const int64_t *msg, size_t n)
{
    if (n < 4)
        return;
    uint64_t epoch = (uint64_t)msg[2];
    char image[PATH_MAX];
    const char *from = NULL;
    uint64_t cut[2];
    coord_rank_reset(c);
    c->incarnation++;
    epoch_reset(&c->ep, 0);
    if (epoch) {
        if (layout_rank_path(&c->job, epoch, c->rank, LAYOUT_IMAGE, image) != 0 ||
            coord_load(c, epoch) != 0) {
            keeper_say(c->k, "cannot recover from checkpoint %llu", (unsigned long long)epoch);
            keeper_abort(c->k, MPI_COMM_WORLD, 1);
        }
        from = image;
        cut[0] = c->restored.stdout_bytes;
        cut[1] = c->restored.stderr_bytes;
    }
    if (keeper_recover(c->k, from, c->cwd, from ? cut : NULL) != 0)
        keeper_abort(c->k, MPI_COMM_WORLD, 1);
    /* A fresh communicator for this incarnation's finalize barrier: one of
     * the failed incarnation may be left half done. Only now: until
     * keeper_recover settled the creations under way, another keeper may
     * wait inside one for this one, and a collective on WORLD first would
     * deadlock them both. */
    PMPI_Comm_dup(MPI_COMM_WORLD, &c->fin_comm);
    c->ch = keeper_channel(c->k);
    c->compute = keeper_compute_pid(c->k);
    if (coord_apply(c) != 0)
        keeper_abort(c->k, MPI_COMM_WORLD, 1);
    keeper_poll_until(c->k, coord_poll, c);
}
