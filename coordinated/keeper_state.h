/*
 * keeper_state.h — the keeper's share of a rank's checkpoint: the contents
 * of epochs/<n>/rank-<r>.keeper (docs/COORDINATED.md, "The commit" step 3;
 * DESIGN §6). The keeper fills a struct keeper_state at its cut, encodes it
 * to one buffer and writes it atomically; a restored keeper reads it back.
 *
 * What it holds, in this order:
 *   header      — world rank and size, epoch, incarnation, and the channel
 *                 counters at the cut (sub_cut submissions made, cmp_cut
 *                 completions consumed by the compute process);
 *   pending     — the submissions pending at the cut, in submission order,
 *                 each a raw struct chan_sub, with optional saved bytes (a
 *                 collective's contribution) and an optional result (the
 *                 completion's status and values, and its bytes);
 *   messages    — channel state: messages in transit across the cut, in
 *                 the order they are replayed after a restore, and
 *                 messages MPI_Mprobe had matched for the application
 *                 before the cut (with the id of their message handle);
 *   comms       — the communicator log, in creation order;
 *   collectives — per communicator, the collectives submitted at the cut;
 *   output      — bytes of stdout and stderr forwarded before the cut.
 *
 * The file (format version 2). All fields are little-endian, fixed width;
 * the module writes native values and refuses to build elsewhere.
 *   header   "MKKS" | u32 version | u64 file bytes | i32 rank | i32 size |
 *            u64 epoch | u64 incarnation | u64 sub_cut | u64 cmp_cut
 *   5 sections, ids 1..5 in that order, each
 *            u32 id | u32 0 | u64 records | u64 body bytes | body
 *   u64 XXH64 (seed 0) of every byte before it.
 * Records:
 *   pending  chan_sub (128 bytes raw) | u32 flags (1 saved, 2 result) |
 *            u32 0 | u64 saved bytes | u64 result bytes |
 *            9 x i64 result (rc source tag cancelled bytes val[4]) |
 *            saved bytes | result bytes
 *   message  i64 comm | i32 source | i32 tag | u64 epoch | i64 matched |
 *            u64 bytes | bytes
 *   comm     i64 id | i64 parent | u32 op | u32 nargs | 8 x i64 args |
 *            u32 nmembers | u32 0 | nmembers x i32 world ranks
 *   coll     i64 comm | u64 count | u64 line_min
 *   output   u64 stdout bytes | u64 stderr bytes   (exactly one record)
 *
 * Invariants:
 * - The encoding is canonical: absent parts, reserved fields and unused
 *   args are zero, and decode refuses anything else. So a buffer decode
 *   accepts encodes back to the same bytes, and whatever encode produced
 *   decodes.
 * - decode reads only inside the buffer it is given, whatever its bytes:
 *   every count and length is checked against what is left before use, and
 *   allocations are bounded by the buffer's size. It checks form (and that
 *   rank and members are world ranks), not the protocol's meaning.
 * - A struct keeper_state owns all its arrays and bytes: the add functions
 *   copy what they are given; keeper_state_free releases everything.
 * - keeper_state_write leaves the file complete under its name or absent
 *   (storage/layout_atomic.h).
 */
#ifndef MPICKPT_COORDINATED_KEEPER_STATE_H
#define MPICKPT_COORDINATED_KEEPER_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "common/channel.h"
#include "storage/layout.h"

#define KEEPER_STATE_MAGIC "MKKS"
#define KEEPER_STATE_VERSION 2u
#define KEEPER_STATE_COMM_ARGS 8
#define KEEPER_STATE_ERROR_MAX LAYOUT_ERROR_MAX

/* A completion, as the file keeps it (the fields of struct chan_cmp but
 * its `req`, which is the pending submission's). */
struct keeper_result {
    int64_t rc, source, tag, cancelled, bytes;
    int64_t val[CHAN_CMP_VALS];
};

/* A submission pending at the cut. */
struct keeper_pending {
    struct chan_sub sub;
    int has_saved;                 /* `saved` holds something (maybe 0 bytes) */
    void *saved;                   /* e.g. a collective's contribution */
    size_t saved_len;
    int has_result;                /* completed after the cut: `result` and `data` */
    struct keeper_result result;
    void *data;                    /* e.g. a collective's result bytes */
    size_t data_len;
};

/* A message in transit across the cut (channel state). */
struct keeper_message {
    int64_t comm;                  /* communicator id */
    int32_t source;                /* rank of the sender in that communicator */
    int32_t tag;
    uint64_t epoch;                /* the stamp it carried */
    int64_t matched;               /* its handle's id if matched, else -1 */
    void *payload;
    size_t len;
};

/* One entry of the communicator log. */
struct keeper_comm {
    int64_t id, parent;
    uint32_t op;                   /* the creating enum wire_op */
    uint32_t nargs;                /* <= KEEPER_STATE_COMM_ARGS */
    int64_t arg[KEEPER_STATE_COMM_ARGS];
    int32_t *members;              /* world ranks */
    uint32_t nmembers;
};

/* Collectives a communicator had submitted at the cut: this rank's count,
 * and the least over its members (M(c) of docs/COORDINATED.md: a pending
 * collective numbered up to it is answered from its saved result after a
 * restore, a later one is started again). */
struct keeper_coll_count {
    int64_t comm;
    uint64_t count;
    uint64_t line_min;
};

struct keeper_state {
    int32_t rank, size;            /* world rank and size */
    uint64_t epoch, incarnation;
    uint64_t sub_cut, cmp_cut;
    struct keeper_pending *pending;
    size_t n_pending, cap_pending;
    struct keeper_message *messages;
    size_t n_messages, cap_messages;
    struct keeper_comm *comms;
    size_t n_comms, cap_comms;
    struct keeper_coll_count *colls;
    size_t n_colls, cap_colls;
    uint64_t stdout_bytes, stderr_bytes;
};

/* An empty state: every scalar 0, every array empty. The keeper sets the
 * scalars (rank, size, epoch, …) directly and the arrays with the add
 * functions below. */
void keeper_state_init(struct keeper_state *ks);
/* Releases every array and byte the state owns; leaves it empty (init). */
void keeper_state_free(struct keeper_state *ks);

/* The add functions copy their arguments in, and return 0, or -1 with
 * errno ENOMEM, or EINVAL for arguments the format cannot hold. Pointers
 * into the arrays are invalidated by the next add of the same kind. */

/* Appends a pending submission. `saved` NULL: no saved bytes (saved_len
 * must be 0); otherwise `saved_len` bytes are kept (0 is allowed). */
int keeper_state_add_pending(struct keeper_state *ks, const struct chan_sub *sub,
                             const void *saved, size_t saved_len);
/* Gives pending submission `index` its result: a copy of `res` and of
 * `len` bytes at `data` (NULL when len is 0). Replaces an earlier one. */
int keeper_state_set_result(struct keeper_state *ks, size_t index,
                            const struct keeper_result *res, const void *data, size_t len);
/* The result of a completion record. */
void keeper_result_from_cmp(struct keeper_result *res, const struct chan_cmp *cmp);
/* Appends a message of channel state (`matched` -1), or one the
 * application holds a matched handle of (`matched` its id, >= 0). */
int keeper_state_add_message(struct keeper_state *ks, int64_t comm, int32_t source,
                             int32_t tag, uint64_t epoch, int64_t matched, const void *payload,
                             size_t len);
/* Adds a message of channel state (`matched` -1) whose payload starts
 * with its wire header (common/wire.h), in its sender's send order: before
 * the messages already there from the same sender on the same communicator
 * (`comm`, `source`) that were sent after it — by the sender's incarnation,
 * then the send sequence number, both from the headers. A keeper learns of
 * a message when its receive completes, and a large message matched before
 * small ones from the same sender may complete after them; restored in
 * that order, the small ones would overtake it. Each sender's messages in
 * the order sent are the order MPI matches them in. */
int keeper_state_add_message_in_send_order(struct keeper_state *ks, int64_t comm, int32_t source,
                                           int32_t tag, const void *payload, size_t len);
/* Appends a communicator log entry: `nargs` args (at most
 * KEEPER_STATE_COMM_ARGS) and `nmembers` world ranks. */
int keeper_state_add_comm(struct keeper_state *ks, int64_t id, int64_t parent, uint32_t op,
                          const int64_t *args, uint32_t nargs,
                          const int32_t *members, uint32_t nmembers);
/* Appends a communicator's collective count at the cut. */
int keeper_state_add_coll_count(struct keeper_state *ks, int64_t comm, uint64_t count,
                                uint64_t line_min);

/* The file's bytes, in a malloc'd buffer the caller frees. Returns 0, or
 * -1 with errno ENOMEM, or EINVAL when the state cannot be written as it
 * is (rank not in [0, size), a member not a world rank, more than
 * KEEPER_STATE_COMM_ARGS args, bytes absent where a length says some). */
int keeper_state_encode(const struct keeper_state *ks, void **buf, size_t *len);
/* Parses a file's bytes into `out` (which need not be initialized; the
 * caller frees it with keeper_state_free). Returns 0, or -1 with one line
 * in `err` ("checksum mismatch", "truncated in section pending (record 2)",
 * "unknown version 7", …), errno EBADMSG (or ENOMEM), and `out` empty. */
int keeper_state_decode(const void *buf, size_t len, struct keeper_state *out,
                        char err[KEEPER_STATE_ERROR_MAX]);

/* Encodes and writes the state to `path` atomically. When `entry` is not
 * NULL it receives the file's manifest entry (name, size, XXH64 of the
 * whole file; raw_size 0). Returns 0, or -1 with one line in `err`. */
int keeper_state_write(const struct keeper_state *ks, const char *path,
                       struct layout_entry *entry, char err[KEEPER_STATE_ERROR_MAX]);
/* Reads and decodes the file at `path`. Returns 0, or -1 with one line in
 * `err` starting with the path, errno from the failing call (EBADMSG: the
 * contents are refused), and `out` empty. */
int keeper_state_read(const char *path, struct keeper_state *out,
                      char err[KEEPER_STATE_ERROR_MAX]);

#endif
