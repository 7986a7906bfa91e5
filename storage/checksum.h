/*
 * checksum.h — XXH64, the 64-bit checksum of every stored byte of mpickpt
 * (images, keeper state, manifests). The same function zstd uses for its
 * frame checksums, so a frame's checksum can be checked against ours.
 *
 * Freestanding: no libc calls, no allocation, so the image writer in a
 * forked child and the restorer can both use it. The streaming form gives
 * the same result as the one-shot form for any split of the input.
 */
#ifndef MPICKPT_STORAGE_CHECKSUM_H
#define MPICKPT_STORAGE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

struct xxh64_state {
    uint64_t v[4];
    uint64_t total;
    unsigned char buf[32];
    unsigned buffered;
    uint64_t seed;
};

uint64_t xxh64(const void *data, size_t len, uint64_t seed);
void xxh64_init(struct xxh64_state *s, uint64_t seed);
void xxh64_update(struct xxh64_state *s, const void *data, size_t len);
uint64_t xxh64_digest(const struct xxh64_state *s);

#endif
