/*
 * waiting.h — how the two processes of a rank wait for each other, decided
 * the same way on both sides (shared/notes/channel-latency.md measured the
 * policies on this kind of machine).
 *
 * What matters is whether a waiter that polls takes a processing unit its
 * partner needs:
 * - WAIT_PU_EACH: every process of the node has a PU of its own (2 × local
 *   ranks ≤ PUs): both sides may spin briefly.
 * - WAIT_CORE_EACH: each rank has a PU, shared by its keeper and compute
 *   process (local ranks ≤ PUs): the compute process sleeps on its futex
 *   at once, and the keeper, alone on the PU, spins for it while it waits.
 * - WAIT_OVERSUBSCRIBED: ranks outnumber PUs: nobody spins; waiters yield
 *   between polls, and the compute process sleeps after a short while.
 */
#ifndef MPICKPT_COMMON_WAITING_H
#define MPICKPT_COMMON_WAITING_H

#include <stdlib.h>

enum waiting_policy { WAIT_PU_EACH, WAIT_CORE_EACH, WAIT_OVERSUBSCRIBED };

/* The policy for `local_ranks` ranks on a node with `pus` processing units. */
static inline enum waiting_policy waiting_policy_for(long local_ranks, long pus)
{
    if (local_ranks < 1)
        local_ranks = 1;
    if (pus >= 2 * local_ranks)
        return WAIT_PU_EACH;
    if (pus >= local_ranks)
        return WAIT_CORE_EACH;
    return WAIT_OVERSUBSCRIBED;
}

/* Ranks of this job on this node, as Open MPI's launcher tells them. */
static inline long waiting_local_ranks(void)
{
    const char *s = getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
    long n = s ? atol(s) : 1;
    return n > 0 ? n : 1;
}

static inline const char *waiting_policy_name(enum waiting_policy p)
{
    return p == WAIT_PU_EACH ? "a PU per process: both sides spin"
         : p == WAIT_CORE_EACH ? "a PU per rank: the keeper spins while the application waits"
         : "oversubscribed: both sides yield";
}

#endif
