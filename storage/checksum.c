/*
 * checksum.c — XXH64 (Yann Collet's published algorithm), one-shot and
 * streaming. See checksum.h.
 */
#include "storage/checksum.h"

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

/* Little-endian loads that tolerate any alignment: a fixed-size
 * __builtin_memcpy compiles to one load (and needs no libc, which the
 * restorer does not have). */
static uint64_t load64(const unsigned char *p)
{
    uint64_t v;
    __builtin_memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

static uint32_t load32(const unsigned char *p)
{
    uint32_t v;
    __builtin_memcpy(&v, p, sizeof v);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}

static uint64_t round64(uint64_t acc, uint64_t input)
{
    acc += input * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

static uint64_t merge(uint64_t acc, uint64_t v)
{
    acc ^= round64(0, v);
    return acc * P1 + P4;
}

/* The tail of the algorithm: remaining < 32 bytes and the avalanche. */
static uint64_t finish(uint64_t h, const unsigned char *p, size_t len)
{
    while (len >= 8) {
        h ^= round64(0, load64(p));
        h = rotl(h, 27) * P1 + P4;
        p += 8;
        len -= 8;
    }
    if (len >= 4) {
        h ^= (uint64_t)load32(p) * P1;
        h = rotl(h, 23) * P2 + P3;
        p += 4;
        len -= 4;
    }
    while (len > 0) {
        h ^= (*p) * P5;
        h = rotl(h, 11) * P1;
        p++;
        len--;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}

static void stripe(uint64_t v[4], const unsigned char *p)
{
    v[0] = round64(v[0], load64(p));
    v[1] = round64(v[1], load64(p + 8));
    v[2] = round64(v[2], load64(p + 16));
    v[3] = round64(v[3], load64(p + 24));
}

static uint64_t converge(const uint64_t v[4])
{
    uint64_t h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
    for (int i = 0; i < 4; i++)
        h = merge(h, v[i]);
    return h;
}

void xxh64_init(struct xxh64_state *s, uint64_t seed)
{
    s->v[0] = seed + P1 + P2;
    s->v[1] = seed + P2;
    s->v[2] = seed;
    s->v[3] = seed - P1;
    s->total = 0;
    s->buffered = 0;
    s->seed = seed;
}

void xxh64_update(struct xxh64_state *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    s->total += len;
    if (s->buffered + len < 32) {
        for (size_t i = 0; i < len; i++)
            s->buf[s->buffered++] = p[i];
        return;
    }
    if (s->buffered) {
        unsigned fill = 32 - s->buffered;
        for (unsigned i = 0; i < fill; i++)
            s->buf[s->buffered + i] = p[i];
        stripe(s->v, s->buf);
        p += fill;
        len -= fill;
        s->buffered = 0;
    }
    while (len >= 32) {
        stripe(s->v, p);
        p += 32;
        len -= 32;
    }
    for (size_t i = 0; i < len; i++)
        s->buf[i] = p[i];
    s->buffered = (unsigned)len;
}

uint64_t xxh64_digest(const struct xxh64_state *s)
{
    uint64_t h = s->total >= 32 ? converge(s->v) : s->seed + P5;
    h += s->total;
    return finish(h, s->buf, s->buffered);
}

uint64_t xxh64(const void *data, size_t len, uint64_t seed)
{
    struct xxh64_state s;
    xxh64_init(&s, seed);
    xxh64_update(&s, data, len);
    return xxh64_digest(&s);
}
