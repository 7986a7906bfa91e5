/*
 * fence.c — the collective fence's targets and the coordinator's
 * decisions (fence.h). Tables are small (a job has few communicators):
 * linear search.
 */
#include "coordinated/fence.h"

#include <stdlib.h>
#include <string.h>

int fence_table_raise(struct fence_table *ft, uint64_t name, uint64_t count)
{
    for (size_t i = 0; i < ft->n; i++)
        if (ft->t[i].name == name) {
            if (ft->t[i].count >= count)
                return 0;
            ft->t[i].count = count;
            return 1;
        }
    if (count == 0)
        return 0; /* absent means 0 */
    if (ft->n == ft->cap) {
        size_t cap = ft->cap ? 2 * ft->cap : 16;
        struct fence_target *t = realloc(ft->t, cap * sizeof *t);
        if (!t)
            return -1;
        ft->t = t;
        ft->cap = cap;
    }
    ft->t[ft->n++] = (struct fence_target){ name, count };
    return 1;
}

uint64_t fence_table_target(const struct fence_table *ft, uint64_t name)
{
    for (size_t i = 0; i < ft->n; i++)
        if (ft->t[i].name == name)
            return ft->t[i].count;
    return 0;
}

void fence_table_clear(struct fence_table *ft)
{
    ft->n = 0;
}

void fence_table_free(struct fence_table *ft)
{
    free(ft->t);
    memset(ft, 0, sizeof *ft);
}

int fence_leader_init(struct fence_leader *l, int size)
{
    memset(l, 0, sizeof *l);
    l->size = size;
    l->ranks = calloc((size_t)size, sizeof *l->ranks);
    return l->ranks ? 0 : -1;
}

void fence_leader_free(struct fence_leader *l)
{
    fence_table_free(&l->targets);
    free(l->ranks);
    l->ranks = NULL;
}

void fence_leader_start(struct fence_leader *l)
{
    l->n_counts = 0;
    l->version = 0;
    fence_table_clear(&l->targets);
    memset(l->ranks, 0, (size_t)l->size * sizeof *l->ranks);
}

int fence_leader_counts(struct fence_leader *l, const uint64_t *pairs, size_t m)
{
    for (size_t i = 0; i < m; i++)
        if (fence_table_raise(&l->targets, pairs[2 * i], pairs[2 * i + 1]) < 0)
            return -1;
    l->n_counts++;
    return 0;
}

void fence_leader_status(struct fence_leader *l, int rank, const struct fence_status *st)
{
    if (rank < 0 || rank >= l->size || st->version < l->ranks[rank].version)
        return;
    l->ranks[rank] = *st;
}

/* A new version of the targets goes out now. */
static int send_version(struct fence_leader *l, int64_t now_ns)
{
    l->version++;
    l->raise_at = now_ns + l->delay_ns;
    return FENCE_SEND;
}

/* Raises the targets that ranks of the current version are blocked at;
 * `all`: also those of ranks that reached. Returns 1 if any rose. */
static int raise_blocked(struct fence_leader *l, int all)
{
    int raised = 0;
    for (int r = 0; r < l->size; r++) {
        const struct fence_status *st = &l->ranks[r];
        if (st->version != l->version || !st->blocked_name || (st->reached && !all))
            continue;
        int rc = fence_table_raise(&l->targets, st->blocked_name, st->blocked_next);
        if (rc < 0)
            return -1;
        raised |= rc;
    }
    return raised;
}

int fence_leader_decide(struct fence_leader *l, int64_t now_ns)
{
    if (l->n_counts < l->size)
        return FENCE_WAIT;
    if (l->version == 0) {
        l->delay_ns = FENCE_FIRST_DELAY_NS;
        return send_version(l, now_ns);
    }
    int all_reached = 1;
    for (int r = 0; r < l->size; r++)
        all_reached &= l->ranks[r].version == l->version && l->ranks[r].reached;
    if (all_reached)
        return FENCE_GO;
    int rc = raise_blocked(l, 0);
    if (rc != 0)
        return rc < 0 ? -1 : send_version(l, now_ns);
    if (now_ns < l->raise_at)
        return FENCE_WAIT;
    rc = raise_blocked(l, 1);
    if (rc < 0)
        return -1;
    if (l->delay_ns < FENCE_MAX_DELAY_NS)
        l->delay_ns *= 2;
    if (rc == 0) {
        l->raise_at = now_ns + l->delay_ns;
        return FENCE_WAIT;
    }
    return send_version(l, now_ns);
}
