/*
 * comm_name.h — job-wide names of communicators (docs/COORDINATED.md): a
 * uint64 that every member of a communicator computes alike, without
 * talking to the others, and that tells it apart from every other
 * communicator existing at the same time. The plugin's ids cannot serve:
 * they are per process, so one communicator may have different ids on
 * different ranks.
 *
 * A name is derived from the parent's name and from what MPI makes every
 * member of the creation agree on:
 *   dup         position — the creation's number among the collective
 *               creations (dup, split, split_type, create) made on the
 *               parent, 0, 1, … in order; MPI has every member of the
 *               parent call those in the same order, so every member counts
 *               alike;
 *   split       position, color — members that passed the same color get
 *               the same communicator, the others a different one (the key
 *               only orders the members, so it is no input);
 *   split_type  position, type, and the new communicator's members: one
 *               call yields one communicator per node with the same type,
 *               and only the members tell those apart (they are disjoint,
 *               and every member of one sees the same list);
 *   create      position, the group (every member passes the same group,
 *               or disjoint ones, MPI-2.2);
 *   create_group  collective over the group only, so no position on the
 *               parent: the tag and the group, plus the occurrence — how
 *               many earlier create_group calls this process made with the
 *               same parent, tag and group (the key below). Every member of
 *               the group makes each of those calls, in the same order, so
 *               every member counts alike.
 * Member lists are world ranks in the order of the group (or of the new
 * communicator's ranks): the order is part of the identity, since the same
 * processes in another order form another communicator.
 *
 * Derivation: each input word is absorbed in turn by h <- f(h XOR word),
 * with f the splitmix64 finalizer, a bijection on 64-bit words; the words
 * start with the parent's name and a per-kind tag, and member lists are
 * preceded by their length. Because every step is a bijection, two
 * derivations of the same kind whose inputs have the same length and
 * differ in exactly one word always give different names (e.g. siblings
 * differing only in position or color, or the same creation on two
 * different parents). Beyond that, names are a 64-bit hash: two
 * communicators alive at the same time get the same name with probability
 * about n^2 / 2^65 for n communicators — accepted, and documented rather
 * than resolved (the keeper warns when a rank sees a collision among its
 * own communicators; resolving one would need the members to talk).
 *
 * Invariants: pure functions of their arguments (no state, no MPI, no I/O);
 * never 0, which callers use for "no communicator" (a derivation that
 * would give 0 gives COMM_NAME_ZERO_STANDIN instead, one more collision of
 * probability 2^-64). COMM_NAME_WORLD and COMM_NAME_SELF are fixed; SELF's
 * name is never compared across ranks (SELF has one member).
 */
#ifndef MPICKPT_COORDINATED_COMM_NAME_H
#define MPICKPT_COORDINATED_COMM_NAME_H

#include <stddef.h>
#include <stdint.h>

#define COMM_NAME_WORLD UINT64_C(0x574f524c44000001) /* "WORLD" */
#define COMM_NAME_SELF UINT64_C(0x53454c4600000002)  /* "SELF" */
#define COMM_NAME_ZERO_STANDIN UINT64_C(0x5a45524f00000003)

uint64_t comm_name_dup(uint64_t parent, uint64_t position);
uint64_t comm_name_split(uint64_t parent, uint64_t position, int64_t color);
/* `members`: the new communicator's world ranks, in its rank order. */
uint64_t comm_name_split_type(uint64_t parent, uint64_t position, int64_t type,
                              const int32_t *members, size_t n);
/* `group`: world ranks, in group order. */
uint64_t comm_name_create(uint64_t parent, uint64_t position, const int32_t *group, size_t n);

/* create_group in two steps: the key says which calls are repetitions of
 * one another (the caller counts occurrences per key), the name adds the
 * occurrence (0 for the first call with that key). */
uint64_t comm_name_group_key(uint64_t parent, int64_t tag, const int32_t *group, size_t n);
uint64_t comm_name_create_group(uint64_t key, uint64_t occurrence);

#endif
