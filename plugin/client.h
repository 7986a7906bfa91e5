/*
 * client.h — the compute side of the channel: connecting to the keeper,
 * submitting operations, waiting for their completions, and the payload
 * heap. Every MPI entry of the plugin reaches its keeper through here.
 *
 * Waiting: client_wait_* drains completions, then polls for a short while
 * (spinning when the node has a core to spare, yielding when it does not),
 * then sleeps on the compute doorbell; a sleeping compute process uses no CPU.
 *
 * Checkpoints (plugin/checkpoint.h): the channel is not part of an image,
 * so the process may be captured only when the channel holds nothing it
 * still needs (client_quiescent). Every channel operation here counts as
 * "in the plugin" for the checkpoint signal; when the last one ends, and
 * when a heap block is freed, the pending checkpoint gets its chance
 * (checkpoint_safe_point).
 *
 * Invariants: the plugin is the only user of the channel in this process
 * and calls are serialized (MPI_THREAD_SERIALIZED at most); a heap block is
 * freed only after the completion of every operation naming it; the channel
 * is reached through its mapping only (its descriptor is closed once
 * mapped, so no image records a descriptor it could not reopen).
 */
#ifndef MPICKPT_PLUGIN_CLIENT_H
#define MPICKPT_PLUGIN_CLIENT_H

#include <stdint.h>

#include "common/channel.h"
#include "common/wire.h"

struct mk_request;

/* What the keeper told the compute process at MPI_Init. */
struct client_world {
    int rank, size, tag_ub, thread_level;
    char processor_name[256];
};

/* Maps the channel named by MPICKPT_CHANNEL_FD and greets the keeper.
 * Returns 0, or -1 after printing why. */
int client_connect(int channel_fd, int thread_level, struct client_world *world);
/* Maps the channel of a restarted keeper (descriptor `fd`, consumed) over
 * the old channel's address range, which the restorer left unmapped. Only
 * in a restored process, from its restore hook. Returns 0, or -errno. */
int client_reattach(int fd);
/* 1 when no channel operation is under way (a signal handler may run
 * channel-free code), no submission awaits its completion and no heap
 * block is allocated: the channel's contents then do not matter. */
int client_quiescent(void);
/* Submissions pushed since the channel was connected (a restored process
 * keeps counting from its image's value). */
uint64_t client_submitted(void);
/* Whether completions wait in the ring, not yet consumed. */
int client_completions_waiting(void);
/* Whether client_connect succeeded. */
int client_connected(void);
/* The channel (for heap pointers). */
struct channel *client_channel(void);

/* Allocates a heap block of `bytes`, draining completions (which free
 * blocks) while the heap is full. Returns its offset, or OFFSET_HEAP_NONE
 * when even an idle heap cannot hold it. */
uint64_t client_alloc(uint64_t bytes);
void client_free(uint64_t offset, uint64_t bytes);
static inline void *client_ptr(uint64_t offset)
{
    return chan_heap_ptr(client_channel(), offset);
}

/* Submits `sub` on behalf of `r` (sub->req is set from r). The request's
 * on_complete hook runs when its completion arrives. */
void client_submit(struct mk_request *r, struct chan_sub *sub);
/* Submits and waits: returns the completion record. For operations that
 * complete promptly (environment, communicator management). */
struct chan_cmp client_call(struct chan_sub *sub);

/* Handles every completion that has arrived, without waiting. */
void client_progress(void);
/* Waits until `done(ctx)` is true, handling completions meanwhile. */
void client_wait_until(int (*done)(void *ctx), void *ctx);

#endif
