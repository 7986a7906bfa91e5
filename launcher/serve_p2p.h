/*
 * serve_p2p.h — what the keeper's point-to-point server offers the
 * protocol: the early queue of messages already taken out of MPI
 * (serve_p2p.c), which receives and probes look at first.
 */
#ifndef MPICKPT_LAUNCHER_SERVE_P2P_H
#define MPICKPT_LAUNCHER_SERVE_P2P_H

#include <stddef.h>
#include <stdint.h>

#include "coordinated/early_queue.h"

struct keeper;

/* Takes every message waiting unexpected in MPI, on every communicator,
 * into the early queue (each shown to the protocol as it arrives).
 * Returns how many. */
size_t p2p_drain(struct keeper *k);
/* Queues a copy of a message of channel state (restore). Returns 0, or -1
 * when memory is short. */
int p2p_queue_message(int64_t comm, int source, int tag, const void *wire, size_t bytes);
/* Forgets every queued and matched message (a recovery: they belong to
 * the failed incarnation). */
void p2p_reset(void);
/* Calls fn for each queued message, oldest first (see early_queue_foreach). */
int p2p_foreach_queued(int (*fn)(const struct early_msg *msg, void *arg), void *arg);
/* Calls fn for each message MPROBE matched and MRECV has not received,
 * with the id of its handle; stops at the first non-zero return. */
int p2p_foreach_matched(int (*fn)(int64_t id, const struct early_msg *msg, void *arg), void *arg);
/* The communicator of the message last matched under handle id `id`,
 * received or not (for an MRECV completion held at a cut); -1 if none. */
int64_t p2p_matched_comm(int64_t id);
/* Restores a matched message under handle id `id` (restore). Returns 0,
 * or -1 when memory is short or the id is taken. */
int p2p_restore_matched(int64_t id, int64_t comm, int source, int tag, const void *wire,
                        size_t bytes);

#endif
