/*
 * wire.h — the plugin ↔ keeper protocol carried by the channel (channel.h),
 * and the header every application message carries between keepers.
 *
 * Every MPI call the keeper must act on is one submission record (struct
 * chan_sub) with an operation code below and its arguments in `arg[]`, and
 * it is answered by exactly one completion record (struct chan_cmp) with the
 * same `req`. Arguments name MPI objects by small integer ids the plugin
 * assigns (communicators, messages) or by enums (basic kinds, reduction
 * ops), never by the compute process's handles, which mean nothing in the
 * keeper. Data travels in the payload heap: an argument pair (offset, bytes)
 * names a heap block.
 *
 * Invariants:
 * - Submissions are served in order, so the order of the app's calls (and
 *   MPI's non-overtaking rule) is the order of the keeper's PMPI calls.
 * - A completion's `rc` is an MPI error class; `source`, `tag`, `bytes`,
 *   `cancelled` form the status of receive-like operations; `bytes` never
 *   counts the message header.
 * - Every point-to-point payload block starts with WIRE_HEADER_BYTES
 *   reserved for struct wire_msg_header, which the keeper's protocol engine
 *   fills; the app's data follows it.
 */
#ifndef MPICKPT_COMMON_WIRE_H
#define MPICKPT_COMMON_WIRE_H

#include <stdint.h>

#define WIRE_VERSION 1

/* Communicator ids every run has. */
enum { WIRE_COMM_WORLD = 0, WIRE_COMM_SELF = 1, WIRE_COMM_FIRST_FREE = 2 };

/* Wildcards and special ranks, as the keeper translates them to MPI's. */
enum { WIRE_ANY_SOURCE = -1, WIRE_ANY_TAG = -1, WIRE_PROC_NULL = -2 };

enum wire_op {
    /* --- environment ---------------------------------------------------
     * HELLO: arg0 compute pid, arg1 WIRE_VERSION, arg2 thread level asked,
     *        arg3/arg4 heap block (offset, bytes) for the keeper's reply text.
     *   val0 world rank, val1 world size, val2 MPI_TAG_UB,
     *   val3 thread level granted; the block receives the processor name,
     *   NUL-terminated.
     * FINALIZE: no args. Completes once the keeper has finalized MPI.
     * ABORT: arg0 comm id, arg1 error code. Never completes. */
    WOP_HELLO = 1,
    WOP_FINALIZE,
    WOP_ABORT,

    /* --- point-to-point ---------------------------------------------------
     * SEND: arg0 comm, arg1 dest, arg2 tag, arg3 block offset,
     *       arg4 payload bytes (the block holds header + payload),
     *       arg5 enum wire_send_mode. Completes when the send buffer may be
     *       reused by MPI's rules for that mode (synchronous: matched).
     * RECV: arg0 comm, arg1 source, arg2 tag, arg3 block offset,
     *       arg4 payload capacity. Completes with the status.
     * PROBE: arg0 comm, arg1 source, arg2 tag, arg3 1 = block until a
     *       message matches, 0 = look once. val0 1 if one matched (status
     *       filled), else 0.
     * MPROBE: as PROBE, and a matched message is removed from matching:
     *       val1 is the keeper's id for it (for MRECV).
     * MRECV: arg0 message id, arg1 block offset, arg2 payload capacity.
     * CANCEL: arg0 the `req` of a pending SEND or RECV. Completes at once;
     *       the cancelled operation then completes with `cancelled` set, or
     *       normally if it could not be cancelled. */
    WOP_SEND = 100,
    WOP_RECV,
    WOP_PROBE,
    WOP_MPROBE,
    WOP_MRECV,
    WOP_CANCEL,

    /* --- collectives (keeper-side non-blocking) -----------------------------
     * All take arg0 comm, arg1 enum wire_coll, and complete when the
     * collective is complete at this rank, with val0 its sequence number on
     * the comm (1, 2, … in the order started; the same on every member).
     * Buffers are heap blocks of bytes; MPI_IN_PLACE is WIRE_IN_PLACE as
     * the send offset. See enum wire_coll for each collective's arguments. */
    WOP_COLL = 200,

    /* --- communicators ---------------------------------------------------
     * Each creating operation takes arg0 parent comm, arg1 the new comm's id
     * (assigned by the plugin) and answers val0 = 1 if this rank is in the
     * new communicator (else it is MPI_COMM_NULL here), val1 its rank,
     * val2 its size, and writes the new comm's members as world ranks
     * (int32 each) into the block named by arg2/arg3 (offset, bytes).
     * COMM_DUP: no more args.
     * COMM_SPLIT: arg4 color (WIRE_UNDEFINED for none), arg5 key.
     * COMM_SPLIT_TYPE: arg4 split type (WIRE_SPLIT_SHARED or
     *       WIRE_UNDEFINED), arg5 key.
     * COMM_CREATE: arg4/arg5 block of the group's members as ranks of the
     *       parent (int32 each), arg6 member count.
     * COMM_CREATE_GROUP: as COMM_CREATE, arg7 tag.
     * COMM_FREE: arg0 comm. */
    WOP_COMM_DUP = 300,
    WOP_COMM_SPLIT,
    WOP_COMM_SPLIT_TYPE,
    WOP_COMM_CREATE,
    WOP_COMM_CREATE_GROUP,
    WOP_COMM_FREE,

    WOP_END
};

enum wire_send_mode { WIRE_SEND_STANDARD, WIRE_SEND_SYNCHRONOUS };

#define WIRE_UNDEFINED (-32766)   /* MPI_UNDEFINED on the wire */
#define WIRE_SPLIT_SHARED 1
#define WIRE_IN_PLACE (-1)        /* a send block offset meaning MPI_IN_PLACE */

/* Collectives of WOP_COLL. Arguments after arg1:
 *   sb/rb  = send/receive block offset, n = bytes,
 *   kind   = enum basic_kind, count = elements, op = enum reduce_op:
 *   reductions are done by the keeper with Open MPI's predefined op on the
 *   kind's predefined datatype (the plugin computes user-op reductions
 *   itself, from gathered contributions);
 *   vblk   = block offset of int64 arrays (counts then displacements, in
 *   bytes, one each per rank; alltoallv: send counts, send displs, receive
 *   counts, receive displs).
 * BARRIER        —
 * BCAST          arg2 root, arg3 block, arg4 n
 * GATHER         arg2 root, arg3 sb, arg4 n per rank, arg5 rb
 * GATHERV        arg2 root, arg3 sb, arg4 n sent, arg5 rb, arg6 vblk (root)
 * SCATTER        arg2 root, arg3 sb, arg4 n per rank, arg5 rb
 * SCATTERV       arg2 root, arg3 sb, arg4 n recv, arg5 rb, arg6 vblk (root)
 * ALLGATHER      arg3 sb, arg4 n per rank, arg5 rb
 * ALLGATHERV     arg3 sb, arg4 n sent, arg5 rb, arg6 vblk
 * ALLTOALL       arg3 sb, arg4 n per pair, arg5 rb
 * ALLTOALLV      arg3 sb, arg5 rb, arg6 vblk
 * REDUCE         arg2 root, arg3 sb, arg5 rb, arg7 kind, arg8 count, arg9 op
 * ALLREDUCE      arg3 sb, arg5 rb, arg7 kind, arg8 count, arg9 op
 * REDUCE_SCATTER_BLOCK arg3 sb, arg5 rb, arg7 kind, arg8 count per rank, arg9 op
 * SCAN, EXSCAN   arg3 sb, arg5 rb, arg7 kind, arg8 count, arg9 op
 * Every collective also names its whole heap block (all the offsets above
 * lie inside it): arg[WIRE_COLL_BLOCK] offset, arg[WIRE_COLL_BLOCK_BYTES]. */
#define WIRE_COLL_BLOCK 12
#define WIRE_COLL_BLOCK_BYTES 13
enum wire_coll {
    WIRE_BARRIER,
    WIRE_BCAST,
    WIRE_GATHER,
    WIRE_GATHERV,
    WIRE_SCATTER,
    WIRE_SCATTERV,
    WIRE_ALLGATHER,
    WIRE_ALLGATHERV,
    WIRE_ALLTOALL,
    WIRE_ALLTOALLV,
    WIRE_REDUCE,
    WIRE_ALLREDUCE,
    WIRE_REDUCE_SCATTER_BLOCK,
    WIRE_SCAN,
    WIRE_EXSCAN,
    WIRE_COLL_COUNT
};

/* The header at the start of every point-to-point message between keepers.
 * Protocol engines fill it (epoch, sequence numbers, piggybacked bytes that
 * follow it); the `none` protocol sets only `magic`. */
struct wire_msg_header {
    uint32_t magic;            /* WIRE_MSG_MAGIC */
    uint32_t incarnation;      /* of the sender's compute process */
    uint64_t epoch;            /* checkpoint epoch or index of the sender */
    uint64_t ssn;              /* send sequence number on this channel */
    uint32_t piggyback_bytes;  /* protocol data between header and payload */
    uint32_t flags;
};

#define WIRE_MSG_MAGIC 0x4d4b4d31u /* "MKM1" */
#define WIRE_HEADER_BYTES ((int64_t)sizeof(struct wire_msg_header))

_Static_assert(sizeof(struct wire_msg_header) == 32, "the header is 32 bytes on the wire");

#endif
