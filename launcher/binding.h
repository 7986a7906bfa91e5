/*
 * binding.h — where a rank's keeper and compute process run, and how the
 * keeper waits (DESIGN §2; shared/notes/channel-latency.md).
 *
 * The two processes of a rank share the core mpirun gave the rank: the
 * compute process keeps it, the keeper moves to the core's hyper-thread
 * sibling when there is one. Spinning pays only while every process on the
 * node can have a processing unit of its own; otherwise the keeper yields
 * between polls, because a spinner that outnumbers the cores holds the core
 * its partner needs for a whole time slice. The keeper decides the policy
 * for both sides and tells the compute process through the channel.
 */
#ifndef MPICKPT_LAUNCHER_BINDING_H
#define MPICKPT_LAUNCHER_BINDING_H

#include <stddef.h>
#include <sys/types.h>

#include "common/waiting.h"

struct binding_plan {
    enum waiting_policy policy;
    int idle_cores;            /* cores no rank of the node runs on, shared
                                  out per rank (at least 1): image writers'
                                  compression threads when set to auto */
    char where[160];           /* what was done, for --verbose */
};

/* Binds the keeper (this process) next to `compute` and decides the waiting
 * policy from the processing units available and OMPI_COMM_WORLD_LOCAL_SIZE.
 * Never fails the job: without hwloc information it leaves binding alone
 * (and counts one idle core). */
void binding_apply(pid_t compute, struct binding_plan *plan);

#endif
