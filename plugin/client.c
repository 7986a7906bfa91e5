/*
 * client.c — the compute side of the channel (see client.h).
 *
 * Completion records carry the address of their request object as `req`:
 * only this process creates ids and the keeper echoes them, so no table is
 * needed to find the request again.
 */
#include "plugin/client.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "common/offset_heap.h"
#include "common/waiting.h"
#include "plugin/checkpoint.h"
#include "plugin/request.h"

/* How long a waiter polls before it sleeps on its doorbell. */
#define POLL_BEFORE_SLEEP_NS 50000

static struct channel channel = { .fd = -1 };
static struct offset_heap heap;
static int connected;
/* Channel operations under way (nested: progress runs inside a wait); read
 * by the checkpoint signal handler. */
static volatile sig_atomic_t depth;
/* Submissions whose completion has not arrived yet. */
static uint64_t outstanding;
/* Submissions pushed into the ring since the channel was connected: the
 * keeper numbers them the same way (its serving sequence). */
static uint64_t submitted;

static void enter(void)
{
    depth++;
}

/* The end of the outermost channel operation is a safe point. */
static void leave(void)
{
    if (--depth == 0)
        checkpoint_safe_point();
}

int client_quiescent(void)
{
    return depth == 0 && outstanding == 0 && heap.in_use == 0;
}

uint64_t client_submitted(void)
{
    return submitted;
}

int client_completions_waiting(void)
{
    return chan_cmp_pending(&channel);
}

struct channel *client_channel(void)
{
    return &channel;
}

int client_connected(void)
{
    return connected;
}

/* Large freed blocks give their pages back, so a job that once sent a
 * 1 GiB message does not keep 1 GiB of shared memory for good. The heap
 * starts on a page and such blocks are page aligned; MADV_REMOVE punches
 * the hole through the mapping (the descriptor is closed). */
static void release_pages(void *ctx, uint64_t offset, uint64_t bytes)
{
    (void)ctx;
    uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
    uint64_t start = (offset + page - 1) & ~(page - 1);
    uint64_t end = (offset + bytes) & ~(page - 1);
    if (end > start)
        madvise(channel.heap + start, end - start, MADV_REMOVE);
}

/* The mapping keeps the memfd alive; the descriptor would only be an open
 * file that no restored process can reopen. */
static void drop_descriptor(void)
{
    close(channel.fd);
    channel.fd = -1;
}

int client_reattach(int fd)
{
    void *at = channel.ctl;
    int rc = chan_attach(&channel, fd, at);
    if (rc == 0)
        drop_descriptor();
    return rc;
}

int client_connect(int channel_fd, int thread_level, struct client_world *world)
{
    int rc = chan_attach(&channel, channel_fd, NULL);
    if (rc != 0) {
        fprintf(stderr, "mpickpt: cannot map the channel to the keeper (fd %d): %s\n",
                channel_fd, strerror(-rc));
        return -1;
    }
    drop_descriptor();
    offset_heap_init(&heap, channel.ctl->heap_size);
    heap.release = release_pages;
    connected = 1;

    uint64_t name_block = client_alloc(sizeof world->processor_name);
    struct chan_sub sub = { .op = WOP_HELLO,
                            .arg = { getpid(), WIRE_VERSION, thread_level,
                                     (int64_t)name_block, sizeof world->processor_name } };
    struct chan_cmp cmp = client_call(&sub);
    world->rank = (int)cmp.val[0];
    world->size = (int)cmp.val[1];
    world->tag_ub = (int)cmp.val[2];
    world->thread_level = (int)cmp.val[3];
    snprintf(world->processor_name, sizeof world->processor_name, "%s",
             (char *)client_ptr(name_block));
    client_free(name_block, sizeof world->processor_name);
    checkpoint_init();
    return 0;
}

/* --- heap -------------------------------------------------------------------- */

static int request_arrived(void *ctx)
{
    (void)ctx;
    return 1; /* one round of progress, which may have freed blocks */
}

uint64_t client_alloc(uint64_t bytes)
{
    enter();
    for (;;) {
        uint64_t off = offset_heap_alloc(&heap, bytes);
        if (off != OFFSET_HEAP_NONE || heap.in_use == 0) {
            /* OFFSET_HEAP_NONE here: bigger than the whole heap */
            leave();
            return off;
        }
        /* Blocks are still in use by operations under way: let them finish. */
        client_progress();
        if (!chan_cmp_pending(&channel))
            client_wait_until(request_arrived, NULL);
    }
}

void client_free(uint64_t offset, uint64_t bytes)
{
    enter();
    offset_heap_free(&heap, offset, bytes);
    leave();
}

/* --- submissions and completions ---------------------------------------------- */

void client_submit(struct mk_request *r, struct chan_sub *sub)
{
    enter();
    sub->req = (uint64_t)(uintptr_t)r;
    r->in_flight = 1;
    outstanding++;
    while (chan_sub_try_push(&channel, sub) != 0) {
        /* The keeper drains the ring continuously; it only has to run. */
        chan_doorbell_ring(&channel.ctl->keeper_bell);
        client_progress();
        sched_yield();
    }
    submitted++;
    chan_doorbell_ring(&channel.ctl->keeper_bell);
    leave();
}

void client_progress(void)
{
    enter();
    struct chan_cmp cmp;
    while (chan_cmp_pop(&channel, &cmp)) {
        struct mk_request *r = (struct mk_request *)(uintptr_t)cmp.req;
        outstanding--;
        r->cmp = cmp;
        request_completed(r);
    }
    leave();
}

static int call_done(void *ctx)
{
    return !((struct mk_request *)ctx)->in_flight;
}

struct chan_cmp client_call(struct chan_sub *sub)
{
    struct mk_request call = { .magic = MK_REQUEST_MAGIC, .kind = MKR_CALL,
                               .block = OFFSET_HEAP_NONE };
    client_submit(&call, sub);
    client_wait_until(call_done, &call);
    return call.cmp;
}

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

void client_wait_until(int (*done)(void *ctx), void *ctx)
{
    enter();
    struct chan_doorbell *bell = &channel.ctl->compute_bell;
    /* Read at every wait, not cached: a restored process gets a keeper
     * that chose its policy for where it runs now. */
    enum waiting_policy policy =
        (enum waiting_policy)atomic_load_explicit(&channel.ctl->waiting_policy,
                                                  memory_order_relaxed);
    /* Tells the keeper that polling MPI hard is worth it now, and wakes it
     * if it was backing off while this process computed. */
    atomic_store(&channel.ctl->compute_waiting, 1);
    chan_doorbell_ring(&channel.ctl->keeper_bell);
    for (;;) {
        client_progress();
        if (done(ctx))
            break;
        /* Blocked with operations pending: a coordinated checkpoint may
         * take the cut here (the keeper holds completions meanwhile). */
        checkpoint_safe_point();
        /* Poll a little first where that takes no PU from the keeper: a
         * reply often comes within microseconds, and a futex sleep and
         * wake-up costs about as much again. Where the two share a PU,
         * sleep at once and let the keeper spin (common/waiting.h). */
        if (policy != WAIT_CORE_EACH) {
            int64_t deadline = now_ns() + POLL_BEFORE_SLEEP_NS;
            while (!chan_cmp_pending(&channel) && now_ns() < deadline) {
                if (policy == WAIT_OVERSUBSCRIBED)
                    sched_yield();
                else
                    cpu_relax();
            }
        }
        if (chan_cmp_pending(&channel))
            continue;
        uint32_t seen = chan_doorbell_arm(bell);
        if (!chan_cmp_pending(&channel))
            chan_doorbell_wait(bell, seen);
    }
    atomic_store_explicit(&channel.ctl->compute_waiting, 0, memory_order_relaxed);
    leave();
}
