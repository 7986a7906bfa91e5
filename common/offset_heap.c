/*
 * offset_heap.c — power-of-two class allocator over a range of offsets.
 * See offset_heap.h for the contract.
 */
#include "common/offset_heap.h"

#include <stdlib.h>
#include <string.h>

/* The smallest class whose blocks hold `bytes`; OFFSET_HEAP_CLASSES when
 * none does (the loop stops before the shift could overflow). */
static unsigned class_of(uint64_t bytes)
{
    unsigned cls = 0;
    while (cls < OFFSET_HEAP_CLASSES && ((uint64_t)OFFSET_HEAP_MIN_BLOCK << cls) < bytes)
        cls++;
    return cls;
}

uint64_t offset_heap_block_size(uint64_t bytes)
{
    unsigned cls = class_of(bytes);
    return cls < OFFSET_HEAP_CLASSES ? (uint64_t)OFFSET_HEAP_MIN_BLOCK << cls : UINT64_MAX;
}

void offset_heap_init(struct offset_heap *h, uint64_t size)
{
    memset(h, 0, sizeof *h);
    h->size = size;
}

void offset_heap_destroy(struct offset_heap *h)
{
    for (int i = 0; i < OFFSET_HEAP_CLASSES; i++)
        free(h->free[i].offsets);
    memset(h, 0, sizeof *h);
}

uint64_t offset_heap_alloc(struct offset_heap *h, uint64_t bytes)
{
    unsigned cls = class_of(bytes);
    if (cls >= OFFSET_HEAP_CLASSES)
        return OFFSET_HEAP_NONE;
    uint64_t block = (uint64_t)OFFSET_HEAP_MIN_BLOCK << cls;
    struct offset_free_list *list = &h->free[cls];
    uint64_t offset;
    if (list->count > 0) {
        offset = list->offsets[--list->count];
    } else {
        /* Align fresh blocks to their size, capped at a page: large blocks
         * then start on a page, which lets release() drop whole pages. */
        uint64_t align = block < 4096 ? block : 4096;
        uint64_t start = (h->bump + align - 1) / align * align;
        if (start > h->size || block > h->size - start)
            return OFFSET_HEAP_NONE;
        offset = start;
        h->bump = start + block;
    }
    h->in_use += block;
    return offset;
}

void offset_heap_free(struct offset_heap *h, uint64_t offset, uint64_t bytes)
{
    unsigned cls = class_of(bytes);
    uint64_t block = (uint64_t)OFFSET_HEAP_MIN_BLOCK << cls;
    struct offset_free_list *list = &h->free[cls];
    if (list->count == list->capacity) {
        size_t cap = list->capacity ? list->capacity * 2 : 16;
        uint64_t *grown = realloc(list->offsets, cap * sizeof *grown);
        if (!grown)
            return; /* the block is leaked, not corrupted */
        list->offsets = grown;
        list->capacity = cap;
    }
    if (block >= OFFSET_HEAP_RELEASE_BYTES && h->release)
        h->release(h->release_ctx, offset, block);
    list->offsets[list->count++] = offset;
    h->in_use -= block;
}
