/*
 * output_filter.h — exactly-once output across recoveries: the arithmetic of
 * one output stream's logical positions, and the sequence lock that
 * publishes them in the channel (docs/COORDINATED.md, "Output exactly
 * once"). Pure: no I/O, no allocation; everything is async-signal-safe.
 *
 * A stream is the stdout or the stderr of one rank. Two positions, in bytes
 * of the stream a failure-free run would write:
 *  - emitted (P): how far the job has forwarded the stream, across every
 *    incarnation of the compute process (and, through the keeper's
 *    positions file, across keepers);
 *  - read (R): how far the current incarnation has got, as seen by the
 *    supervisor: the cut C it was restored to (0 for the first incarnation)
 *    plus the bytes read from it since.
 * Invariants: R <= P; P never decreases; of each chunk read, the first
 * P - R bytes were already emitted by an earlier incarnation and are
 * dropped, the rest are forwarded and move P along with R. R is the position
 * published to the compute process (its position at a cut is R plus what
 * still sits in its pipe); P is the one persisted.
 */
#ifndef MPICKPT_COMMON_OUTPUT_FILTER_H
#define MPICKPT_COMMON_OUTPUT_FILTER_H

#include <stddef.h>
#include <stdint.h>

#include "common/channel.h"

/* A cut position for a stream the compute process had redirected away from
 * its keeper's pipe: nothing is known, nothing will be dropped. */
#define OUTPUT_NO_POSITION UINT64_MAX

struct output_stream {
    uint64_t emitted;    /* P */
    uint64_t to_drop;    /* P - R */
};

/* How one chunk read from the compute process divides: its first `drop`
 * bytes are discarded, the `forward` bytes after them are forwarded. */
struct output_split {
    size_t drop, forward;
};

/* A stream of which `emitted` bytes were already forwarded, read by an
 * incarnation that starts there (no drop). A new job starts at 0. */
void output_stream_init(struct output_stream *st, uint64_t emitted);
/* The stream is now read from an incarnation restored to a cut at `cut`:
 * the first P - C bytes it writes are dropped. With OUTPUT_NO_POSITION
 * nothing is dropped. A cut beyond P (its bytes were forwarded but the
 * persisted P is older, or they died in a killed keeper's pipe) moves P up
 * to C, so that the positions of later cuts stay consistent. */
void output_stream_restore(struct output_stream *st, uint64_t cut);
/* Accounts for `len` bytes just read from the current incarnation. */
struct output_split output_stream_take(struct output_stream *st, size_t len);
/* P, and R. */
uint64_t output_stream_emitted(const struct output_stream *st);
uint64_t output_stream_read_position(const struct output_stream *st);

/* The sequence lock of struct chan_output (common/channel.h). One writer at
 * a time (the supervisor, under its own mutex):
 *     output_publish_begin; read() the pipe; output_publish_*;
 *     output_publish_end
 * The begin and the reader's check include full fences, so that a read()
 * or an ioctl(FIONREAD) of the pipe made between begin and end is ordered
 * with the sequence counter on both sides. */
void output_publish_begin(struct chan_output *out);
void output_publish_position(struct chan_output *out, int stream, uint64_t pos);
void output_publish_pipe(struct chan_output *out, int stream, uint64_t ino, uint64_t dev);
void output_publish_end(struct chan_output *out);

/* Reader (the compute process at its cut, in a signal handler):
 *     if (output_read_begin(out, &seq)) { read fields, ask the pipe;
 *         if (!output_read_changed(out, seq)) done; }   else retry
 * begin returns 0 while a publication is under way (seq odd). */
int output_read_begin(const struct chan_output *out, uint32_t *seq);
uint64_t output_read_position(const struct chan_output *out, int stream);
void output_read_pipe(const struct chan_output *out, int stream, uint64_t *ino, uint64_t *dev);
int output_read_changed(const struct chan_output *out, uint32_t seq);

#endif
