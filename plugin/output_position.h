/*
 * output_position.h — the compute process's output positions at its cut
 * (docs/COORDINATED.md, "Output exactly once").
 *
 * At the cut the process is not writing, so the logical position of its
 * stdout (and stderr) is what its keeper's supervisor has read so far
 * (published in the channel, common/output_filter.h) plus what still sits
 * in the pipe. The keeper saves the two positions with the cut; after a
 * recovery to it, the supervisor drops what the restored process writes
 * again below the job's position.
 */
#ifndef MPICKPT_PLUGIN_OUTPUT_POSITION_H
#define MPICKPT_PLUGIN_OUTPUT_POSITION_H

#include <stdint.h>

#include "common/channel.h"

/* Stores in pos[0] and pos[1] the positions of fd 1 and fd 2: for a fd that
 * is still the pipe the keeper gave (same inode and device as published),
 * the supervisor's published position plus the bytes in the pipe; for a fd
 * the application redirected elsewhere (or if the position cannot be read
 * consistently within a second), OUTPUT_NO_POSITION.
 * Async-signal-safe: only atomics and system calls (fstat, ioctl FIONREAD
 * on the write end, which Linux answers for either end of a pipe,
 * sched_yield, clock_gettime). */
void output_position_at_cut(const struct channel *ch, uint64_t pos[2]);

#endif
