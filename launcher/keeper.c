/*
 * keeper.c — the keeper's state and its loop (see keeper.h).
 *
 * One turn of the loop: serve every waiting submission, test the tracked MPI
 * requests (MPI_Testsome over all of them), run the pollers, push the
 * completions that waited for room, ring the compute process once if it got
 * anything, and check whether the compute process has ended. Then sleep on
 * the doorbell if nothing at all is pending, else poll again after a pause
 * that depends on whether the compute process is waiting (pause_while_pending).
 */
#include "launcher/keeper.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include "launcher/coord.h"
#include "launcher/comm_log.h"
#include "launcher/group_barrier.h"
#include "launcher/protocol.h"
#include "launcher/serve_coll.h"
#include "launcher/serve_p2p.h"
#include "launcher/supervise.h"

struct tracked {
    uint64_t owner;
    keeper_done_fn done;
    void *ctx;
    int settle;                        /* finished before a recovery (keeper_track_settled) */
};

struct poller {
    keeper_poll_fn fn;
    void *ctx;
};

struct keeper {
    struct channel *ch;
    struct supervisor *sup;
    const struct keeper_options *opt;
    const struct protocol_engine *protocol;
    keeper_serve_fn serve[WOP_END];

    /* Tracked MPI requests: two parallel arrays, so `reqs` can be handed to
     * MPI_Testsome directly. */
    MPI_Request *reqs;
    struct tracked *tracked;
    struct tracked *finished;          /* scratch for poll_requests */
    size_t ntracked, cap_tracked;
    int *done_index;
    MPI_Status *done_status;

    struct poller *pollers;
    size_t npollers, cap_pollers;

    struct coord *coord;               /* the coordinated protocol, or NULL */
    int holding;                       /* completions are held (a cut) */
    struct chan_cmp *held;
    size_t nheld, cap_held;

    struct chan_cmp *backlog;          /* completions waiting for ring room */
    size_t backlog_head, backlog_len, cap_backlog;
    int compute_has_news;

    MPI_Comm *comms;
    size_t ncomms;

    uint64_t served;                   /* submissions popped so far */
    uint64_t serving;                  /* the number of the one being served */
    enum waiting_policy policy;
    int rank, size;
    int finalized;
    int failure_reported;              /* coordinated: waiting for RECOVER */
    int app_finalized;                 /* coordinated: its MPI_Finalize returned */
    int compute_exited;                /*   ... and it exited normally since */
};

static void out_of_memory(struct keeper *k, const char *what)
{
    keeper_say(k, "out of memory growing the %s", what);
    keeper_abort(k, MPI_COMM_WORLD, 1);
}


void keeper_say(const struct keeper *k, const char *fmt, ...)
{
    char msg[512], line[sizeof msg + 32];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int n = snprintf(line, sizeof line, "mpickpt: rank %d: %s\n", k ? k->rank : -1, msg);
    if (n <= 0)
        return;
    /* Through the supervisor while there is one: the line then shares the
     * pipe to mpirun with the compute's stderr without being counted as
     * part of it. */
    if (k && k->sup)
        supervisor_say(k->sup, line, (size_t)n);
    else
        (void)!write(STDERR_FILENO, line, (size_t)n);
}

/* --- registration and servers' helpers ------------------------------------ */

void keeper_register(struct keeper *k, enum wire_op op, keeper_serve_fn fn)
{
    k->serve[op] = fn;
}

struct chan_cmp keeper_completion(const struct chan_sub *sub)
{
    return (struct chan_cmp){ .req = sub->req, .rc = MPI_SUCCESS };
}

/* A completion the compute process can now see. */
static void pushed(struct keeper *k, uint64_t req)
{
    k->compute_has_news = 1;
    if (k->coord)
        coord_pushed(k->coord, req);
}

static void hold(struct keeper *k, const struct chan_cmp *cmp)
{
    if (k->nheld == k->cap_held) {
        size_t cap = k->cap_held ? 2 * k->cap_held : 64;
        struct chan_cmp *bigger = realloc(k->held, cap * sizeof *bigger);
        if (!bigger)
            out_of_memory(k, "held completions");
        k->held = bigger;
        k->cap_held = cap;
    }
    k->held[k->nheld++] = *cmp;
}

static void push_completion(struct keeper *k, const struct chan_cmp *cmp);

void keeper_complete(struct keeper *k, const struct chan_cmp *cmp)
{
    if (k->coord)
        coord_completing(k->coord, cmp);
    if (k->holding)
        hold(k, cmp);
    else
        push_completion(k, cmp);
}

void keeper_complete_unheld(struct keeper *k, const struct chan_cmp *cmp)
{
    if (k->coord)
        coord_completing(k->coord, cmp);
    push_completion(k, cmp);
}

void keeper_set_holding(struct keeper *k, int on)
{
    k->holding = on;
    if (on)
        return;
    for (size_t i = 0; i < k->nheld; i++)
        push_completion(k, &k->held[i]);
    k->nheld = 0;
}

const struct chan_cmp *keeper_held_completions(const struct keeper *k, size_t *n)
{
    *n = k->nheld;
    return k->held;
}

static void push_completion(struct keeper *k, const struct chan_cmp *cmp)
{
    if (k->backlog_len == 0 && chan_cmp_try_push(k->ch, cmp) == 0) {
        pushed(k, cmp->req);
        return;
    }
    /* The ring is full: keep order by queueing behind what already waits. */
    if (k->backlog_len == k->cap_backlog) {
        size_t old = k->cap_backlog;
        struct chan_cmp *bigger = malloc((old ? old * 2 : 64) * sizeof *bigger);
        if (!bigger)
            out_of_memory(k, "completion backlog");
        for (size_t i = 0; i < k->backlog_len; i++)
            bigger[i] = k->backlog[(k->backlog_head + i) % old];
        free(k->backlog);
        k->backlog = bigger;
        k->backlog_head = 0;
        k->cap_backlog = old ? old * 2 : 64;
    }
    k->backlog[(k->backlog_head + k->backlog_len++) % k->cap_backlog] = *cmp;
}

void keeper_complete_rc(struct keeper *k, const struct chan_sub *sub, int rc)
{
    struct chan_cmp cmp = keeper_completion(sub);
    cmp.rc = rc;
    keeper_complete(k, &cmp);
}

static void flush_backlog(struct keeper *k)
{
    while (k->backlog_len > 0 &&
           chan_cmp_try_push(k->ch, &k->backlog[k->backlog_head]) == 0) {
        uint64_t req = k->backlog[k->backlog_head].req;
        k->backlog_head = (k->backlog_head + 1) % k->cap_backlog;
        k->backlog_len--;
        pushed(k, req);
    }
}

/* Makes room for one more tracked request in all the parallel arrays. */
static void ensure_tracked_room(struct keeper *k)
{
    if (k->ntracked < k->cap_tracked)
        return;
    size_t cap = k->cap_tracked ? 2 * k->cap_tracked : 64;
    MPI_Request *reqs = realloc(k->reqs, cap * sizeof *reqs);
    if (reqs)
        k->reqs = reqs;
    struct tracked *tracked = realloc(k->tracked, cap * sizeof *tracked);
    if (tracked)
        k->tracked = tracked;
    struct tracked *finished = realloc(k->finished, cap * sizeof *finished);
    if (finished)
        k->finished = finished;
    int *index = realloc(k->done_index, cap * sizeof *index);
    if (index)
        k->done_index = index;
    MPI_Status *status = realloc(k->done_status, cap * sizeof *status);
    if (status)
        k->done_status = status;
    if (!reqs || !tracked || !finished || !index || !status)
        out_of_memory(k, "request table");
    k->cap_tracked = cap;
}

void keeper_track(struct keeper *k, MPI_Request request, uint64_t owner,
                  keeper_done_fn done, void *ctx)
{
    ensure_tracked_room(k);
    k->reqs[k->ntracked] = request;
    k->tracked[k->ntracked] = (struct tracked){ owner, done, ctx, 0 };
    k->ntracked++;
}

void keeper_track_settled(struct keeper *k, MPI_Request request, uint64_t owner,
                          keeper_done_fn done, void *ctx)
{
    keeper_track(k, request, owner, done, ctx);
    k->tracked[k->ntracked - 1].settle = 1;
}

void keeper_poll_until(struct keeper *k, keeper_poll_fn poll, void *ctx)
{
    if (k->npollers == k->cap_pollers) {
        size_t cap = k->cap_pollers ? 2 * k->cap_pollers : 16;
        struct poller *bigger = realloc(k->pollers, cap * sizeof *bigger);
        if (!bigger)
            out_of_memory(k, "poller table");
        k->pollers = bigger;
        k->cap_pollers = cap;
    }
    k->pollers[k->npollers++] = (struct poller){ poll, ctx };
}

size_t keeper_pending_requests(const struct keeper *k)
{
    return k->ntracked;
}

int keeper_cancel(struct keeper *k, uint64_t owner)
{
    for (size_t i = 0; i < k->ntracked; i++)
        if (k->tracked[i].owner == owner && k->reqs[i] != MPI_REQUEST_NULL) {
            PMPI_Cancel(&k->reqs[i]);
            return 0;
        }
    return -1;
}

/* Tests every tracked request once; runs the callbacks of those done and
 * removes them (keeping the order of the rest). Returns 1 if any finished. */
static int poll_requests(struct keeper *k)
{
    int outcount = 0;
    int rc = PMPI_Testsome((int)k->ntracked, k->reqs, &outcount, k->done_index, k->done_status);
    if (outcount == MPI_UNDEFINED || outcount == 0)
        return 0;
    /* MPI sets the statuses' MPI_ERROR fields only when it reports
     * MPI_ERR_IN_STATUS; the callbacks always read them. */
    if (rc != MPI_ERR_IN_STATUS)
        for (int i = 0; i < outcount; i++)
            k->done_status[i].MPI_ERROR = MPI_SUCCESS;
    /* Callbacks may track new requests, so take the finished ones out
     * first, compact the arrays, and only then call back. */
    for (int i = 0; i < outcount; i++) {
        k->finished[i] = k->tracked[k->done_index[i]];
        k->tracked[k->done_index[i]].done = NULL;
    }
    size_t kept = 0;
    for (size_t i = 0; i < k->ntracked; i++) {
        if (k->tracked[i].done == NULL)
            continue;
        k->tracked[kept] = k->tracked[i];
        k->reqs[kept] = k->reqs[i];
        kept++;
    }
    k->ntracked = kept;
    /* The status array may be reused by a callback's own polling: copy. */
    for (int i = 0; i < outcount; i++) {
        MPI_Status status = k->done_status[i];
        struct tracked t = k->finished[i];
        t.done(k, t.ctx, &status);
    }
    return 1;
}

/* Runs every poller once, dropping those that finished. */
static int run_pollers(struct keeper *k)
{
    int progressed = 0;
    /* A poller may finalize MPI (serve_env.c): nothing runs after it. */
    for (size_t i = 0; i < k->npollers && !k->finalized;) {
        struct poller p = k->pollers[i];
        if (p.fn(k, p.ctx)) {
            k->pollers[i] = k->pollers[--k->npollers];
            progressed = 1;
        } else {
            i++;
        }
    }
    return progressed;
}

/* --- communicators ---------------------------------------------------------- */

MPI_Comm keeper_comm(struct keeper *k, int64_t id)
{
    if (id < 0 || (size_t)id >= k->ncomms)
        return MPI_COMM_NULL;
    return k->comms[id];
}

int keeper_comm_add(struct keeper *k, int64_t id, MPI_Comm comm)
{
    if (id < 0)
        return -1;
    if ((size_t)id >= k->ncomms) {
        size_t n = (size_t)id + 1 > 2 * k->ncomms ? (size_t)id + 1 : 2 * k->ncomms;
        MPI_Comm *bigger = realloc(k->comms, n * sizeof *bigger);
        if (!bigger)
            return -1;
        for (size_t i = k->ncomms; i < n; i++)
            bigger[i] = MPI_COMM_NULL;
        k->comms = bigger;
        k->ncomms = n;
    }
    if (k->comms[id] != MPI_COMM_NULL)
        return -1;
    /* Errors come back to the plugin as codes; they must never abort here. */
    PMPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
    k->comms[id] = comm;
    return 0;
}

void keeper_comm_remove(struct keeper *k, int64_t id)
{
    MPI_Comm comm = keeper_comm(k, id);
    if (comm == MPI_COMM_NULL)
        return;
    PMPI_Comm_free(&comm);
    k->comms[id] = MPI_COMM_NULL;
}

/* --- accessors -------------------------------------------------------------- */

struct channel *keeper_channel(struct keeper *k) { return k->ch; }
uint64_t keeper_serving_seq(const struct keeper *k) { return k->serving; }
uint64_t keeper_popped(const struct keeper *k) { return k->served; }
void keeper_set_served(struct keeper *k, uint64_t served) { k->served = k->serving = served; }
size_t keeper_comm_capacity(const struct keeper *k) { return k->ncomms; }
int keeper_world_rank(const struct keeper *k) { return k->rank; }
const struct protocol_engine *keeper_protocol(const struct keeper *k) { return k->protocol; }
/* Once every rank's compute process exited: MPI goes, the loop stops. */
static int finalize_after_exits(struct keeper *k, void *ctx)
{
    (void)ctx;
    if (!coord_all_exited(k->coord))
        return 0;
    PMPI_Finalize();
    k->finalized = 1;
    return 1;
}

int keeper_finalize(struct keeper *k)
{
    if (k->coord) {
        k->app_finalized = 1;
        return MPI_SUCCESS;
    }
    int rc = PMPI_Finalize();
    k->finalized = 1;
    return rc;
}

_Noreturn void keeper_abort(struct keeper *k, MPI_Comm comm, int code)
{
    if (k && k->sup)
        supervisor_flush(k->sup);
    fflush(stdout);
    fflush(stderr);
    PMPI_Abort(comm, code);
    _exit(code ? code : 1);
}

/* --- the loop ------------------------------------------------------------------ */

void keeper_serve_now(struct keeper *k, const struct chan_sub *sub, uint64_t seq)
{
    if (sub->op >= WOP_END || !k->serve[sub->op]) {
        keeper_say(k, "protocol error: unknown operation %u from the compute process", sub->op);
        keeper_abort(k, MPI_COMM_WORLD, 1);
    }
    k->serving = seq;
    k->serve[sub->op](k, sub);
    k->serving = k->served;
}

/* One submission just popped: the protocol may defer it. */
static void serve(struct keeper *k, const struct chan_sub *sub)
{
    k->serving = k->served;
    if (k->coord && coord_before_serve(k->coord, sub, k->served))
        return;
    keeper_serve_now(k, sub, k->served);
    if (k->coord)
        coord_after_serve(k->coord);
}

void keeper_stamp(struct keeper *k, struct wire_msg_header *header, int64_t comm, int dest)
{
    if (k->coord)
        coord_stamp(k->coord, header, comm, dest);
    else
        k->protocol->on_send(header, dest);
}

int keeper_arrived(struct keeper *k, const void *wire, size_t bytes, int64_t comm, int source,
                   int tag)
{
    if (k->coord)
        return coord_arrived(k->coord, wire, bytes, comm, source, tag);
    return bytes >= (size_t)WIRE_HEADER_BYTES && k->protocol->on_deliver(wire, source) == DELIVER
               ? 0 : -1;
}

int keeper_may_finalize(struct keeper *k)
{
    return !k->coord || coord_may_finalize(k->coord);
}

static int exit_code_of(int wstatus)
{
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    return 128 + WTERMSIG(wstatus);
}

/* The compute process ended. A normal exit after MPI_Finalize waits for
 * every rank's (coordinated). A signal is a failure, which the protocol
 * recovers from (coordinated). An exit before MPI_Finalize is the
 * application's own decision, which a recovery would only repeat: the job
 * ends with its status, as it would natively. */
static void compute_ended(struct keeper *k, int wstatus)
{
    if (k->app_finalized && WIFEXITED(wstatus)) {
        k->compute_exited = 1;
        keeper_poll_until(k, finalize_after_exits, NULL);
        return;
    }
    char what[64];
    supervisor_flush(k->sup);
    keeper_say(k, "application %s%s", supervisor_describe(wstatus, what, sizeof what),
               WIFEXITED(wstatus) ? " before MPI_Finalize: the job ends" : "");
    if (k->coord && !WIFEXITED(wstatus)) {
        k->failure_reported = 1;
        coord_compute_failed(k->coord);
        return;
    }
    switch (k->protocol->on_compute_failure()) {
    case FAILURE_END_JOB:
        break;
    }
    /* The job ends with the status the rank would have had natively. */
    int code = exit_code_of(wstatus);
    keeper_abort(k, MPI_COMM_WORLD, code ? code : 1);
}

static int has_pending_work(const struct keeper *k)
{
    return k->ntracked > 0 || k->npollers > 0 || k->backlog_len > 0 || k->nheld > 0;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

/* How long the keeper may sleep between polls while the compute process
 * computes. MPI requests in flight are polled every millisecond at most
 * (MPI progresses only when polled). The coordinator's poller alone can
 * wait longer while it is quiet: a checkpoint then starts, or a failure is
 * noticed, up to QUIET_POLL_NS later, against a thousand wake-ups a second
 * taken from the application's core. */
#define BUSY_POLL_NS 1000000
#define QUIET_POLL_NS 10000000

static long longest_pause(const struct keeper *k)
{
    if (k->ntracked > 0 || k->backlog_len > 0 || k->nheld > 0 || k->failure_reported)
        return BUSY_POLL_NS;
    for (size_t i = 0; i < k->npollers; i++)
        if (k->pollers[i].fn != coord_poll || !coord_quiet(k->pollers[i].ctx))
            return BUSY_POLL_NS;
    return QUIET_POLL_NS;
}

/* Waits a little before the next poll while work is pending. When the
 * compute process is waiting for it, the keeper spins (it has the PU to
 * itself: the compute process sleeps on its futex) or, oversubscribed,
 * yields; when the compute process is computing, nothing is urgent and the
 * keeper sleeps on its doorbell, longer and longer up to longest_pause(),
 * so it does not take the core the application is using — and the compute
 * process rings the doorbell as soon as it starts waiting. */
static void pause_while_pending(struct keeper *k, long *backoff_ns)
{
    struct chan_ctl *ctl = k->ch->ctl;
    uint32_t seen = chan_doorbell_arm(&ctl->keeper_bell);
    if (atomic_load(&ctl->compute_waiting)) {
        *backoff_ns = 0;
        if (k->policy == WAIT_OVERSUBSCRIBED)
            sched_yield();
        else
            cpu_relax();
        return;
    }
    if (chan_sub_pending(k->ch))
        return;
    long longest = longest_pause(k);
    *backoff_ns = *backoff_ns ? (*backoff_ns * 2 > longest ? longest : *backoff_ns * 2) : 20000;
    chan_doorbell_wait_for(&ctl->keeper_bell, seen, *backoff_ns);
}

/* How long the keeper keeps polling its channel after its last piece of
 * work before it sleeps: a compute process that just got a completion
 * usually submits again within microseconds, and finding the keeper awake
 * saves a futex wake-up and a sleep on each side. Yielding, not spinning,
 * so a compute process on the same PU runs meanwhile. */
#define LINGER_NS 20000

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void run_loop(struct keeper *k)
{
    long backoff_ns = 0;
    int64_t last_work = now_ns();
    while (!k->finalized) {
        int progressed = 0;
        struct chan_sub sub;
        while (!k->finalized && chan_sub_pop(k->ch, &sub)) {
            k->served++;
            serve(k, &sub);
            progressed = 1;
        }
        if (k->ntracked > 0)
            progressed |= poll_requests(k);
        if (k->npollers > 0)
            progressed |= run_pollers(k);
        flush_backlog(k);
        if (k->compute_has_news) {
            k->compute_has_news = 0;
            chan_doorbell_ring(&k->ch->ctl->compute_bell);
        }
        int wstatus;
        if (!k->finalized && !k->failure_reported && !k->compute_exited &&
            supervisor_exited(k->sup, &wstatus))
            compute_ended(k, wstatus);
        if (progressed || k->finalized) {
            backoff_ns = 0;
            last_work = now_ns();
            continue;
        }
        if (has_pending_work(k)) {
            pause_while_pending(k, &backoff_ns);
            continue;
        }
        if (now_ns() - last_work < LINGER_NS) {
            sched_yield();
            continue;
        }
        /* The channel changes with each recovery: read it each time. */
        struct chan_doorbell *bell = &k->ch->ctl->keeper_bell;
        uint32_t seen = chan_doorbell_arm(bell);
        if (chan_sub_pending(k->ch) || supervisor_exited(k->sup, &wstatus))
            continue;
        chan_doorbell_wait(bell, seen);
    }
}

/* --- in-place recovery --------------------------------------------------------- */

/* Kills every child of the keeper but the current compute process (which
 * the supervisor reaps): image writers of a failed incarnation, which the
 * keeper inherited as their subreaper. */
static void kill_strays(struct keeper *k)
{
    char path[64];
    pid_t compute = supervisor_pid(k->sup);
    snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    int pid;
    while (fscanf(f, "%d", &pid) == 1)
        if (pid != compute) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
    fclose(f);
}

/* Kills the compute process unless it was reaped already (its pid could
 * be another process's by now). */
static void kill_compute(struct keeper *k)
{
    int wstatus;
    if (!supervisor_exited(k->sup, &wstatus))
        kill(supervisor_pid(k->sup), SIGKILL);
}

/* How long a recovery waits for the barriers of creations under way. */
#define SETTLE_NS 2000000000

/* Before the failed incarnation is forgotten: a creation whose barrier
 * every member entered may already run at some keeper, which then waits
 * in it until every member runs it too; so requests tracked with
 * keeper_track_settled (those barriers) and create_group's barriers get a
 * bounded time to complete and their callbacks run. One that does not
 * complete in it was not entered by every member: nobody runs it. */
static void settle(struct keeper *k)
{
    int64_t deadline = now_ns() + SETTLE_NS;
    for (;;) {
        size_t waiting = group_barrier_poll(k);
        for (size_t i = 0; i < k->ntracked; i++) {
            if (!k->tracked[i].settle)
                continue;
            int flag = 0;
            MPI_Status status;
            PMPI_Test(&k->reqs[i], &flag, &status);
            if (!flag) {
                waiting++;
                continue;
            }
            k->tracked[i].settle = 0;
            status.MPI_ERROR = MPI_SUCCESS;
            k->tracked[i].done(k, k->tracked[i].ctx, &status);
        }
        if (waiting == 0 || now_ns() >= deadline)
            return;
        sched_yield();
    }
}

int keeper_recover(struct keeper *k, const char *image, const char *cwd, const uint64_t cut[2])
{
    kill_compute(k);
    settle(k);
    kill_strays(k);
    /* Everything of the failed incarnation is forgotten, not cancelled:
     * MPI requests may still complete into the old channel, which stays
     * mapped for good; their communicators are abandoned. */
    k->ntracked = k->npollers = k->backlog_len = k->nheld = 0;
    k->holding = k->compute_has_news = k->failure_reported = 0;
    k->app_finalized = k->compute_exited = 0;
    k->served = 0;
    for (size_t id = 0; id < k->ncomms; id++)
        k->comms[id] = MPI_COMM_NULL;
    MPI_Comm world, self;
    PMPI_Comm_dup(MPI_COMM_WORLD, &world);
    PMPI_Comm_dup(MPI_COMM_SELF, &self);
    keeper_comm_add(k, WIRE_COMM_WORLD, world);
    keeper_comm_add(k, WIRE_COMM_SELF, self);
    p2p_reset();
    serve_coll_reset();
    comm_log_reset(k->rank, k->size);
    serve_comm_reset();

    struct channel *ch = calloc(1, sizeof *ch);
    struct compute_started cs;
    if (!ch)
        out_of_memory(k, "channel");
    ch->fd = -1;
    if (k->opt->start(k->opt->start_ctx, image, cwd, ch, &cs) != 0)
        return -1;
    k->ch = ch;
    if (supervisor_replace(k->sup, cs.pid, cs.out_fd, cs.err_fd, ch->ctl, cut) != 0) {
        keeper_say(k, "cannot supervise the restored process: %s", strerror(errno));
        return -1;
    }
    k->policy = cs.policy;
    atomic_store(&ch->ctl->waiting_policy, (uint32_t)cs.policy);
    return 0;
}

_Noreturn void keeper_stop(struct keeper *k, int status)
{
    kill_compute(k);
    supervisor_flush(k->sup);
    fflush(stdout);
    fflush(stderr);
    _exit(status);
}

void keeper_output_emitted(struct keeper *k, uint64_t pos[2])
{
    supervisor_positions(k->sup, pos);
}

pid_t keeper_compute_pid(const struct keeper *k)
{
    return supervisor_pid(k->sup);
}

/* Coordinated jobs: the ranks agree where to start from, then the
 * compute process starts (afresh, or restored) and is supervised. */
static int start_coordinated(struct keeper *k, struct channel *ch)
{
    const struct keeper_options *opt = k->opt;
    struct coord_start st;
    struct compute_started cs;
    k->coord = coord_create(k, &opt->cfg, opt->app_argv, opt->restart_dir, &st);
    if (!k->coord ||
        opt->start(opt->start_ctx, st.epoch ? st.image : NULL, st.cwd, ch, &cs) != 0)
        return -1;
    k->ch = ch;
    const struct supervisor_files files = { st.output_path, { st.copy_path[0], st.copy_path[1] } };
    k->sup = supervisor_start_at(cs.pid, cs.out_fd, cs.err_fd, ch->ctl, st.emitted,
                                 st.epoch ? st.cut : NULL, &files);
    if (!k->sup) {
        keeper_say(k, "cannot supervise the compute process: %s", strerror(errno));
        kill(cs.pid, SIGKILL);
        return -1;
    }
    k->policy = cs.policy;
    atomic_store(&ch->ctl->waiting_policy, (uint32_t)cs.policy);
    if (opt->cfg.verbose)
        keeper_say(k, "keeper %s, compute pid %d, protocol coordinated, waiting: %s",
                   cs.binding, (int)cs.pid, waiting_policy_name(cs.policy));
    return coord_begin(k->coord, ch, cs.pid, cs.idle_cores);
}

int keeper_run(struct channel *ch, struct supervisor *sup, const struct keeper_options *opt)
{
    struct keeper *k = calloc(1, sizeof *k);
    if (!k) {
        keeper_say(NULL, "out of memory");
        return 1;
    }
    k->ch = ch;
    k->sup = sup;
    k->opt = opt;
    k->policy = opt->policy;
    k->protocol = protocol_engine(opt->cfg.protocol);
    k->rank = -1;

    /* The keeper yields by its own policy (pause_while_pending); Open MPI
     * yielding inside every idle progress call as well would only add
     * system calls to each poll (measured: 1-3 µs more per message). */
    setenv("OMPI_MCA_mpi_yield_when_idle", "0", 1);
    int provided;
    if (PMPI_Init_thread(NULL, NULL, MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS) {
        keeper_say(k, "MPI_Init failed");
        return 1;
    }
    PMPI_Comm_rank(MPI_COMM_WORLD, &k->rank);
    PMPI_Comm_size(MPI_COMM_WORLD, &k->size);
    /* Image writers of a failed compute process become the keeper's
     * children, for kill_strays. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    MPI_Comm world, self;
    PMPI_Comm_dup(MPI_COMM_WORLD, &world);
    PMPI_Comm_dup(MPI_COMM_SELF, &self);
    keeper_register_env(k);
    keeper_register_p2p(k);
    keeper_register_coll(k);
    keeper_register_comm(k);
    keeper_comm_add(k, WIRE_COMM_WORLD, world);
    keeper_comm_add(k, WIRE_COMM_SELF, self);
    if (opt->start) {
        if (start_coordinated(k, ch) != 0)
            keeper_abort(k, MPI_COMM_WORLD, 1);
    } else {
        atomic_store(&ch->ctl->waiting_policy, (uint32_t)opt->policy);
        if (opt->cfg.verbose)
            keeper_say(k, "keeper %s, compute pid %d, protocol %s, waiting: %s",
                       opt->binding, (int)supervisor_pid(sup), k->protocol->name,
                       waiting_policy_name(opt->policy));
    }

    run_loop(k);

    /* MPI_Finalize was served; the compute process goes on until it exits. */
    int wstatus = supervisor_finish(k->sup);
    k->sup = NULL;
    return exit_code_of(wstatus);
}
