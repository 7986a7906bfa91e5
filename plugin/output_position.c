/*
 * output_position.c — the compute process's output positions at its cut
 * (see output_position.h).
 *
 * Read under the supervisor's sequence lock: the position it publishes and
 * the pipe's content change together when it reads the pipe, so both are
 * taken between two equal, even values of the counter. A publication lasts
 * one non-blocking read(); a reader that keeps finding one under way
 * (a supervisor stopped mid-publication, e.g. a keeper being killed) gives
 * up after POSITION_PATIENCE_NS rather than hang in a signal handler:
 * without a position the supervisor only forgoes dropping repeated output.
 */
#include "plugin/output_position.h"

#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>

#include "common/output_filter.h"

#define POSITION_PATIENCE_NS 1000000000LL

static long long monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Position of `fd` (1 or 2) as of the supervisor's current publication. */
static uint64_t stream_position(const struct chan_output *out, int stream, int fd)
{
    uint64_t ino, dev;
    output_read_pipe(out, stream, &ino, &dev);
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISFIFO(st.st_mode)
        || (uint64_t)st.st_ino != ino || (uint64_t)st.st_dev != dev)
        return OUTPUT_NO_POSITION;
    int in_pipe;
    if (ioctl(fd, FIONREAD, &in_pipe) != 0 || in_pipe < 0)
        return OUTPUT_NO_POSITION;
    return output_read_position(out, stream) + (uint64_t)in_pipe;
}

void output_position_at_cut(const struct channel *ch, uint64_t pos[2])
{
    const struct chan_output *out = &ch->ctl->output;
    long long give_up = monotonic_ns() + POSITION_PATIENCE_NS;
    for (;;) {
        uint32_t seq;
        if (output_read_begin(out, &seq)) {
            pos[0] = stream_position(out, 0, 1);
            pos[1] = stream_position(out, 1, 2);
            if (!output_read_changed(out, seq))
                return;
        }
        if (monotonic_ns() > give_up) {
            pos[0] = pos[1] = OUTPUT_NO_POSITION;
            return;
        }
        sched_yield();
    }
}
