/*
 * coord_leader.c — the coordinator, on rank 0's keeper (coord.h,
 * docs/COORDINATED.md "The commit"): decides when to checkpoint, sets the
 * collective fence (coordinated/fence.h: FREEZE, COUNTS, FENCE, STATUS),
 * then tells every rank to cut, turns the ranks' CUT_DONE reports into each
 * rank's expected counts and the collectives' minima (ALL_CUT), and commits
 * the epoch once every rank reported DONE.
 *
 * Triggers: the --interval timer, SIGUSR1 (mpirun forwards it to every
 * rank; only rank 0 acts on it), and a CHECKPOINT file in the job
 * directory (`mpickpt checkpoint DIR`), which the leader removes.
 *
 * Invariant: one checkpoint at a time; a new one starts only after the
 * previous one committed or failed at every rank, so no rank ever sees a
 * stamp two epochs ahead. An epoch with any failed rank is left without
 * COMMITTED: it does not exist for recovery, and retention removes it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "launcher/coord_internal.h"
#include "launcher/keeper.h"

struct name_min {
    uint64_t name, min;
};

struct coord_leader {
    uint64_t epoch;              /* under way; 0: none */
    uint64_t last_epoch;         /* highest number used */
    struct fence_leader fence;
    int cut_sent;                /* the fence is reached: CUT went out */
    int n_cut_done, n_done, all_ok;
    uint64_t *sent;              /* [from * size + to] */
    struct name_min *mins;
    size_t n_mins, cap_mins;
    struct layout_entry *files;  /* [2 * size]: image, keeper state */
    int64_t next_due, started_ns;
    int64_t next_file_check;
    int finalizing;              /* every application is in MPI_Finalize */
    int stop_after;              /* SIGTERM: stop once the checkpoint is over */
};

static volatile sig_atomic_t usr1_seen, term_seen;

static void on_signal(int sig)
{
    if (sig == SIGUSR1)
        usr1_seen = 1;
    else
        term_seen = 1;
}

void coord_install_signals(int on_term)
{
    struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    if (on_term)
        sigaction(SIGTERM, &sa, NULL);
}

int coord_term_seen(void)
{
    return term_seen;
}

static _Noreturn void fail(struct coord *c, const char *what)
{
    keeper_say(c->k, "checkpoint coordinator: %s", what);
    keeper_abort(c->k, MPI_COMM_WORLD, 1);
}

struct coord_leader *coord_leader_create(struct coord *c)
{
    struct coord_leader *l = calloc(1, sizeof *l);
    if (!l)
        return NULL;
    l->sent = calloc((size_t)c->size * (size_t)c->size, sizeof *l->sent);
    l->files = calloc(2 * (size_t)c->size, sizeof *l->files);
    if (!l->sent || !l->files || fence_leader_init(&l->fence, c->size) != 0) {
        free(l->sent);
        free(l->files);
        fence_leader_free(&l->fence);
        free(l);
        return NULL;
    }
    struct layout_epoch *epochs;
    size_t n;
    char err[LAYOUT_ERROR_MAX];
    if (layout_list_epochs(&c->job, &epochs, &n, err) == 0) {
        l->last_epoch = n ? epochs[n - 1].number : 0;
        free(epochs);
    }
    l->next_due = c->interval ? coord_now_ns() + (int64_t)c->interval * 1000000000 : INT64_MAX;
    return l;
}

/* Whether someone asked for a checkpoint with `mpickpt checkpoint DIR`. */
static int file_trigger(struct coord *c, struct coord_leader *l)
{
    int64_t now = coord_now_ns();
    if (now < l->next_file_check)
        return 0;
    l->next_file_check = now + 100000000;
    char path[PATH_MAX];
    if (snprintf(path, sizeof path, "%s/CHECKPOINT", c->job.dir) >= (int)sizeof path)
        return 0;
    return unlink(path) == 0;
}

static void start(struct coord *c, struct coord_leader *l)
{
    char err[LAYOUT_ERROR_MAX];
    uint64_t epoch = l->last_epoch + 1;
    l->last_epoch = epoch;
    if (layout_epoch_create(&c->job, epoch, err) != 0) {
        keeper_say(c->k, "checkpoint %llu not taken: %s", (unsigned long long)epoch, err);
        return;
    }
    l->epoch = epoch;
    l->n_cut_done = l->n_done = 0;
    l->all_ok = 1;
    l->n_mins = 0;
    l->started_ns = coord_now_ns();
    memset(l->sent, 0, (size_t)c->size * (size_t)c->size * sizeof *l->sent);
    fence_leader_start(&l->fence);
    l->cut_sent = 0;
    int64_t msg[3] = { CTL_FREEZE, (int64_t)c->incarnation, (int64_t)epoch };
    for (int r = 0; r < c->size; r++)
        coord_ctl_send(c, r, msg, 3);
}

static void send_targets(struct coord *c, struct coord_leader *l)
{
    const struct fence_table *t = &l->fence.targets;
    size_t n = 5 + 2 * t->n;
    int64_t *msg = malloc(n * sizeof *msg);
    if (!msg)
        fail(c, "out of memory");
    msg[0] = CTL_FENCE;
    msg[1] = (int64_t)c->incarnation;
    msg[2] = (int64_t)l->epoch;
    msg[3] = (int64_t)l->fence.version;
    msg[4] = (int64_t)t->n;
    for (size_t i = 0; i < t->n; i++) {
        msg[5 + 2 * i] = (int64_t)t->t[i].name;
        msg[6 + 2 * i] = (int64_t)t->t[i].count;
    }
    for (int r = 0; r < c->size; r++)
        coord_ctl_send(c, r, msg, n);
    free(msg);
}

/* Moves the fence along: new targets, or CUT once every rank reached. */
static void fence_step(struct coord *c, struct coord_leader *l)
{
    if (l->epoch == 0 || l->cut_sent)
        return;
    switch (fence_leader_decide(&l->fence, coord_now_ns())) {
    case FENCE_WAIT:
        return;
    case FENCE_SEND:
        send_targets(c, l);
        return;
    case FENCE_GO: {
        l->cut_sent = 1;
        if (c->verbose)
            keeper_say(c->k, "checkpoint %llu: collective fence reached in %.2f ms, version %llu",
                       (unsigned long long)l->epoch,
                       (double)(coord_now_ns() - l->started_ns) / 1e6,
                       (unsigned long long)l->fence.version);
        int64_t msg[3] = { CTL_CUT, (int64_t)c->incarnation, (int64_t)l->epoch };
        for (int r = 0; r < c->size; r++)
            coord_ctl_send(c, r, msg, 3);
        return;
    }
    default:
        fail(c, "out of memory");
    }
}

static void on_counts(struct coord *c, struct coord_leader *l, const int64_t *msg, size_t n)
{
    if (n < 4 || n < 4 + 2 * (size_t)msg[3])
        fail(c, "malformed COUNTS");
    if (fence_leader_counts(&l->fence, (const uint64_t *)(msg + 4), (size_t)msg[3]) != 0)
        fail(c, "out of memory");
    fence_step(c, l);
}

static void on_status(struct coord *c, struct coord_leader *l, int from, const int64_t *msg,
                      size_t n)
{
    if (n < 7)
        fail(c, "malformed STATUS");
    struct fence_status st = { (uint64_t)msg[3], (int)msg[4], (uint64_t)msg[5], (uint64_t)msg[6] };
    fence_leader_status(&l->fence, from, &st);
    fence_step(c, l);
}

static void send_fin(struct coord *c)
{
    int64_t msg[3] = { CTL_FIN, (int64_t)c->incarnation, 0 };
    for (int r = 0; r < c->size; r++)
        coord_ctl_send(c, r, msg, 3);
}

void coord_leader_finalizing(struct coord *c)
{
    c->leader->finalizing = 1;
    if (c->leader->epoch == 0)
        send_fin(c);
}

void coord_leader_reset(struct coord *c)
{
    struct coord_leader *l = c->leader;
    l->epoch = 0;
    l->finalizing = 0;
    /* The restored job just was at its last checkpoint: a full interval
     * before the next one. */
    l->next_due = c->interval ? coord_now_ns() + (int64_t)c->interval * 1000000000 : INT64_MAX;
}

int coord_leader_quiet(const struct coord_leader *l)
{
    return l->epoch == 0 && !l->finalizing;
}

void coord_leader_poll(struct coord *c)
{
    struct coord_leader *l = c->leader;
    fence_step(c, l); /* its timed raises */
    if (l->epoch != 0 || l->finalizing)
        return;
    int64_t now = coord_now_ns();
    int due = now >= l->next_due;
    int asked = usr1_seen || file_trigger(c, l);
    if (!due && !asked)
        return;
    usr1_seen = 0;
    if (c->interval)
        l->next_due = now + (int64_t)c->interval * 1000000000;
    start(c, l);
}

static void note_min(struct coord *c, struct coord_leader *l, uint64_t name, uint64_t count)
{
    for (size_t i = 0; i < l->n_mins; i++)
        if (l->mins[i].name == name) {
            if (count < l->mins[i].min)
                l->mins[i].min = count;
            return;
        }
    if (l->n_mins == l->cap_mins) {
        size_t cap = l->cap_mins ? 2 * l->cap_mins : 16;
        struct name_min *m = realloc(l->mins, cap * sizeof *m);
        if (!m)
            fail(c, "out of memory");
        l->mins = m;
        l->cap_mins = cap;
    }
    l->mins[l->n_mins++] = (struct name_min){ name, count };
}

static void send_all_cut(struct coord *c, struct coord_leader *l)
{
    size_t n = 5 + (size_t)c->size + 2 * l->n_mins;
    int64_t *msg = malloc(n * sizeof *msg);
    if (!msg)
        fail(c, "out of memory");
    for (int to = 0; to < c->size; to++) {
        size_t at = 0;
        msg[at++] = CTL_ALL_CUT;
        msg[at++] = (int64_t)c->incarnation;
        msg[at++] = (int64_t)l->epoch;
        msg[at++] = c->size;
        for (int from = 0; from < c->size; from++)
            msg[at++] = (int64_t)l->sent[(size_t)from * (size_t)c->size + (size_t)to];
        msg[at++] = (int64_t)l->n_mins;
        for (size_t i = 0; i < l->n_mins; i++) {
            msg[at++] = (int64_t)l->mins[i].name;
            msg[at++] = (int64_t)l->mins[i].min;
        }
        coord_ctl_send(c, to, msg, at);
    }
    free(msg);
}

static void on_cut_done(struct coord *c, struct coord_leader *l, int from, const int64_t *msg,
                        size_t n)
{
    if (n < 5 || msg[3] != c->size || n < 5 + (size_t)c->size)
        fail(c, "malformed CUT_DONE");
    for (int to = 0; to < c->size; to++)
        l->sent[(size_t)from * (size_t)c->size + (size_t)to] = (uint64_t)msg[4 + to];
    size_t at = 4 + (size_t)c->size;
    size_t m = (size_t)msg[at++];
    if (n < at + 2 * m)
        fail(c, "malformed CUT_DONE");
    for (size_t i = 0; i < m; i++)
        note_min(c, l, (uint64_t)msg[at + 2 * i], (uint64_t)msg[at + 2 * i + 1]);
    if (++l->n_cut_done == c->size)
        send_all_cut(c, l);
}

static void send_stop(struct coord *c, uint64_t epoch)
{
    int64_t msg[3] = { CTL_STOP, (int64_t)c->incarnation, (int64_t)epoch };
    for (int r = 0; r < c->size; r++)
        coord_ctl_send(c, r, msg, 3);
}

void coord_leader_term(struct coord *c)
{
    struct coord_leader *l = c->leader;
    if (l->stop_after)
        return;
    l->stop_after = 1;
    if (!c->quiet)
        keeper_say(c->k, "SIGTERM: a last checkpoint, then the job stops");
    if (l->finalizing && l->epoch == 0)
        return; /* finishing anyway: nothing left to save */
    if (l->epoch == 0)
        start(c, l);
}

/* Writes COMMITTED once every rank's files are durable. Returns 0, or -1
 * when the epoch is left uncommitted (said why). */
static int commit_epoch(struct coord *c, struct coord_leader *l, uint64_t epoch)
{
    char err[LAYOUT_ERROR_MAX];
    if (!l->all_ok) {
        keeper_say(c->k, "checkpoint %llu failed at some rank (said why above); the job goes on",
                   (unsigned long long)epoch);
        return -1;
    }
    if (layout_epoch_commit(&c->job, epoch, l->files, 2 * (size_t)c->size, err) != 0) {
        keeper_say(c->k, "checkpoint %llu not committed: %s", (unsigned long long)epoch, err);
        return -1;
    }
    if (layout_retain(&c->job, (unsigned)c->keep, err) != 0)
        keeper_say(c->k, "retention after checkpoint %llu: %s", (unsigned long long)epoch, err);
    if (!c->quiet) {
        uint64_t raw = 0, size = 0;
        for (int r = 0; r < c->size; r++) {
            raw += l->files[2 * r].raw_size;
            size += l->files[2 * r].size + l->files[2 * r + 1].size;
        }
        keeper_say(c->k, "checkpoint %llu committed: %d ranks, %.1f MB -> %.1f MB in %.2f s",
                   (unsigned long long)epoch, c->size, (double)raw / 1e6, (double)size / 1e6,
                   (double)(coord_now_ns() - l->started_ns) / 1e9);
    }
    return 0;
}

/* The checkpoint under way is over at every rank. */
static void commit(struct coord *c, struct coord_leader *l)
{
    uint64_t epoch = l->epoch;
    l->epoch = 0;
    int ok = commit_epoch(c, l, epoch) == 0;
    if (l->finalizing)
        send_fin(c);
    else if (l->stop_after)
        send_stop(c, ok ? epoch : 0);
}

static void on_done(struct coord *c, struct coord_leader *l, int from, const int64_t *msg, size_t n)
{
    if (n < 9)
        fail(c, "malformed DONE");
    struct layout_entry *img = &l->files[2 * from], *kst = &l->files[2 * from + 1];
    layout_rank_name(from, LAYOUT_IMAGE, img->name);
    layout_rank_name(from, LAYOUT_KEEPER, kst->name);
    img->size = (uint64_t)msg[4];
    img->xxh64 = (uint64_t)msg[5];
    img->raw_size = (uint64_t)msg[6];
    kst->size = (uint64_t)msg[7];
    kst->xxh64 = (uint64_t)msg[8];
    kst->raw_size = 0;
    if (!msg[3])
        l->all_ok = 0;
    if (++l->n_done == c->size)
        commit(c, l);
}

void coord_leader_message(struct coord *c, int source, const int64_t *msg, size_t n)
{
    struct coord_leader *l = c->leader;
    if ((uint64_t)msg[2] != l->epoch)
        fail(c, "a report about a checkpoint that is not under way");
    switch (msg[0]) {
    case CTL_COUNTS:
        on_counts(c, l, msg, n);
        break;
    case CTL_STATUS:
        on_status(c, l, source, msg, n);
        break;
    case CTL_CUT_DONE:
        on_cut_done(c, l, source, msg, n);
        break;
    case CTL_DONE:
        on_done(c, l, source, msg, n);
        break;
    default:
        fail(c, "unknown control message");
    }
}
