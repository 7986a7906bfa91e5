/*
 * output_filter.c — positions of an output stream across recoveries, and
 * the sequence lock that publishes them (see output_filter.h).
 *
 * The sequence lock follows the usual C11 recipe (writer: odd, fence,
 * relaxed stores, even with release; reader: acquire, relaxed loads, fence,
 * relaxed re-check), with full fences instead of the one-way ones because
 * what the lock protects includes a system call on each side: the
 * supervisor's read() of the pipe and the compute process's FIONREAD. The
 * pipe's own lock orders those two calls; the fences carry that order to
 * the counter. `ino` and `dev` are plain fields in the shared page: they are
 * accessed with relaxed atomic built-ins so that a torn value cannot be
 * read, and only inside the lock.
 */
#include "common/output_filter.h"

#include <stdatomic.h>

void output_stream_init(struct output_stream *st, uint64_t emitted)
{
    st->emitted = emitted;
    st->to_drop = 0;
}

void output_stream_restore(struct output_stream *st, uint64_t cut)
{
    if (cut == OUTPUT_NO_POSITION) {
        st->to_drop = 0;
    } else if (cut > st->emitted) {
        st->emitted = cut;
        st->to_drop = 0;
    } else {
        st->to_drop = st->emitted - cut;
    }
}

struct output_split output_stream_take(struct output_stream *st, size_t len)
{
    struct output_split split;
    split.drop = st->to_drop < len ? (size_t)st->to_drop : len;
    split.forward = len - split.drop;
    st->to_drop -= split.drop;
    st->emitted += split.forward;
    return split;
}

uint64_t output_stream_emitted(const struct output_stream *st)
{
    return st->emitted;
}

uint64_t output_stream_read_position(const struct output_stream *st)
{
    return st->emitted - st->to_drop;
}

/* --- the sequence lock ---------------------------------------------------- */

void output_publish_begin(struct chan_output *out)
{
    uint32_t seq = atomic_load_explicit(&out->seq, memory_order_relaxed);
    atomic_store_explicit(&out->seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_seq_cst);
}

void output_publish_position(struct chan_output *out, int stream, uint64_t pos)
{
    atomic_store_explicit(&out->pos[stream], pos, memory_order_relaxed);
}

void output_publish_pipe(struct chan_output *out, int stream, uint64_t ino, uint64_t dev)
{
    __atomic_store_n(&out->ino[stream], ino, __ATOMIC_RELAXED);
    __atomic_store_n(&out->dev[stream], dev, __ATOMIC_RELAXED);
}

void output_publish_end(struct chan_output *out)
{
    uint32_t seq = atomic_load_explicit(&out->seq, memory_order_relaxed);
    atomic_store_explicit(&out->seq, seq + 1, memory_order_release);
}

int output_read_begin(const struct chan_output *out, uint32_t *seq)
{
    *seq = atomic_load_explicit(&out->seq, memory_order_acquire);
    return (*seq & 1) == 0;
}

uint64_t output_read_position(const struct chan_output *out, int stream)
{
    return atomic_load_explicit(&out->pos[stream], memory_order_relaxed);
}

void output_read_pipe(const struct chan_output *out, int stream, uint64_t *ino, uint64_t *dev)
{
    *ino = __atomic_load_n(&out->ino[stream], __ATOMIC_RELAXED);
    *dev = __atomic_load_n(&out->dev[stream], __ATOMIC_RELAXED);
}

int output_read_changed(const struct chan_output *out, uint32_t seq)
{
    atomic_thread_fence(memory_order_seq_cst);
    return atomic_load_explicit(&out->seq, memory_order_relaxed) != seq;
}
