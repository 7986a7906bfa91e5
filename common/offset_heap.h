/*
 * offset_heap.h — allocator for the channel's payload heap, used by the
 * compute side only.
 *
 * Hands out blocks of [0, size) as offsets, so the keeper (which maps the
 * heap elsewhere) can use them too. Blocks come in power-of-two size classes
 * from OFFSET_HEAP_MIN_BLOCK bytes; a freed block goes back to its class's
 * free list and is reused for the next request of that class. Classes never
 * merge: the heap is sparse virtual memory, so the cost of that simplicity
 * is address space, not memory — and blocks of at least
 * OFFSET_HEAP_RELEASE_BYTES have their pages released on free (the caller's
 * `release` hook punches a hole in the memfd). Smaller blocks keep their
 * pages: a freed block is reused by the next message of its size, and
 * touching fresh zeroed pages for every message would cost more than the
 * copy itself.
 *
 * Invariants: every allocated block is aligned to its class size (at most
 * 4 KiB alignment is promised to callers); the bookkeeping lives in private
 * memory, never in the heap itself, so nothing the keeper writes into the
 * heap can corrupt it. The caller frees each block once, with the size it
 * asked for (the plugin's request table owns every block it allocates).
 */
#ifndef MPICKPT_COMMON_OFFSET_HEAP_H
#define MPICKPT_COMMON_OFFSET_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define OFFSET_HEAP_MIN_BLOCK 64u
#define OFFSET_HEAP_CLASSES 48
#define OFFSET_HEAP_RELEASE_BYTES ((uint64_t)64 << 20)
#define OFFSET_HEAP_NONE UINT64_MAX

struct offset_free_list {
    uint64_t *offsets;
    size_t count, capacity;
};

struct offset_heap {
    uint64_t size;             /* bytes managed */
    uint64_t bump;             /* start of never-used space */
    uint64_t in_use;           /* bytes in allocated blocks */
    struct offset_free_list free[OFFSET_HEAP_CLASSES];
    /* Called for a freed block of at least OFFSET_HEAP_RELEASE_BYTES so its
     * pages can be returned to the system; may be NULL. */
    void (*release)(void *ctx, uint64_t offset, uint64_t bytes);
    void *release_ctx;
};

void offset_heap_init(struct offset_heap *h, uint64_t size);
void offset_heap_destroy(struct offset_heap *h);
/* Returns the offset of a block of at least `bytes` (0 allowed), or
 * OFFSET_HEAP_NONE when the heap is exhausted or memory is short. */
uint64_t offset_heap_alloc(struct offset_heap *h, uint64_t bytes);
/* Frees the block at `offset` that was allocated with `bytes`. */
void offset_heap_free(struct offset_heap *h, uint64_t offset, uint64_t bytes);
/* Bytes a request of `bytes` really occupies (its class size). */
uint64_t offset_heap_block_size(uint64_t bytes);

#endif
