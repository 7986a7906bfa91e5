/*
 * comm_name.c — job-wide names of communicators (see comm_name.h for the
 * inputs of each kind and why they suffice).
 *
 * Invariant: absorb() is a bijection of the running hash for any given
 * word, so the first word that differs between two derivations of equal
 * length makes their states differ, and they stay different to the end.
 */
#include "coordinated/comm_name.h"

/* One tag per kind of derivation, absorbed right after the parent, so a
 * dup and a split of the same parent at the same position differ. */
enum name_kind {
    KIND_DUP = 1,
    KIND_SPLIT,
    KIND_SPLIT_TYPE,
    KIND_CREATE,
    KIND_GROUP_KEY,
    KIND_CREATE_GROUP,
};

/* The splitmix64 finalizer: a bijection with good avalanche. */
static uint64_t finalize(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static uint64_t absorb(uint64_t h, uint64_t word)
{
    return finalize(h ^ word);
}

static uint64_t start(uint64_t parent, enum name_kind kind)
{
    return absorb(absorb(UINT64_C(0x636f6d6d6e616d65), parent), (uint64_t)kind);
}

static uint64_t absorb_list(uint64_t h, const int32_t *ranks, size_t n)
{
    h = absorb(h, (uint64_t)n);
    for (size_t i = 0; i < n; i++)
        h = absorb(h, (uint64_t)(uint32_t)ranks[i]);
    return h;
}

static uint64_t never_zero(uint64_t h)
{
    return h ? h : COMM_NAME_ZERO_STANDIN;
}

uint64_t comm_name_dup(uint64_t parent, uint64_t position)
{
    return never_zero(absorb(start(parent, KIND_DUP), position));
}

uint64_t comm_name_split(uint64_t parent, uint64_t position, int64_t color)
{
    uint64_t h = absorb(start(parent, KIND_SPLIT), position);
    return never_zero(absorb(h, (uint64_t)color));
}

uint64_t comm_name_split_type(uint64_t parent, uint64_t position, int64_t type,
                              const int32_t *members, size_t n)
{
    uint64_t h = absorb(absorb(start(parent, KIND_SPLIT_TYPE), position), (uint64_t)type);
    return never_zero(absorb_list(h, members, n));
}

uint64_t comm_name_create(uint64_t parent, uint64_t position, const int32_t *group, size_t n)
{
    uint64_t h = absorb(start(parent, KIND_CREATE), position);
    return never_zero(absorb_list(h, group, n));
}

uint64_t comm_name_group_key(uint64_t parent, int64_t tag, const int32_t *group, size_t n)
{
    uint64_t h = absorb(start(parent, KIND_GROUP_KEY), (uint64_t)tag);
    return absorb_list(h, group, n);
}

uint64_t comm_name_create_group(uint64_t key, uint64_t occurrence)
{
    return never_zero(absorb(start(key, KIND_CREATE_GROUP), occurrence));
}
