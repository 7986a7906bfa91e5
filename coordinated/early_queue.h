/*
 * early_queue.h — the keeper's early queue (docs/COORDINATED.md, "Lai–Yang
 * with counting"): point-to-point messages the keeper has already taken
 * out of MPI but the application has not received yet. They come from
 * draining Open MPI's unexpected queue (MPI_Improbe/MPI_Mrecv while a
 * checkpoint waits for in-flight messages) and from the channel state a
 * restore replays. Receives and probes look here before they reach MPI.
 *
 * Pure data structure: no MPI, no I/O. A message is its envelope
 * (communicator id, source rank in that communicator, tag) and its whole
 * wire message (header + payload) as opaque bytes.
 *
 * Invariants:
 * - Messages stay in arrival (push) order. Removing one never reorders the
 *   others.
 * - early_queue_find returns the FIRST message in that order that matches
 *   by MPI's rules (same comm; source equal unless WIRE_ANY_SOURCE; tag
 *   equal unless WIRE_ANY_TAG). Messages of one sender on one comm are
 *   pushed in the order they were sent, so the first match is the one
 *   MPI's non-overtaking rule would deliver.
 * - A stored envelope never holds a wildcard: source and tag are >= 0.
 * - count and bytes always describe exactly the messages in the queue.
 *
 * Cost: push, take, count and bytes are O(1); find is a scan from the
 * head; drop_comm, clear and foreach are O(queue length).
 *
 * Ownership: the queue owns every wire buffer pushed into it (malloc'd by
 * the pusher) until early_queue_take hands it back, or drop_comm/clear
 * free it. Pointers returned by find and passed to foreach's callback stay
 * valid until that message is taken, dropped or cleared.
 */
#ifndef MPICKPT_COORDINATED_EARLY_QUEUE_H
#define MPICKPT_COORDINATED_EARLY_QUEUE_H

#include <stddef.h>
#include <stdint.h>

/* One queued message, as callers see it. */
struct early_msg {
    int64_t comm;      /* the plugin's communicator id */
    int32_t source;    /* sender's rank in that communicator */
    int32_t tag;
    void *wire;        /* header + payload, malloc'd; not interpreted */
    size_t bytes;      /* length of wire */
};

struct early_node;     /* a queue link, private to early_queue.c */

struct early_queue {
    struct early_node *head, *tail;   /* oldest, newest */
    size_t count;                     /* messages queued */
    size_t bytes;                     /* sum of their `bytes` */
};

/* An empty queue. Allocates nothing, cannot fail. */
void early_queue_init(struct early_queue *q);

/* Frees every message and its wire buffer. The queue is empty and usable
 * afterwards, and holds no memory: this is also the destructor (recovery
 * clears the queue, shutdown clears it for good). */
void early_queue_clear(struct early_queue *q);

/* Appends a message at the tail. On success (0) the queue owns `wire`.
 * On failure (-1) `wire` stays the caller's and the queue is unchanged:
 * errno EINVAL if source or tag is negative (a wildcard or PROC_NULL is
 * not an envelope), ENOMEM if the queue's link cannot be allocated. */
int early_queue_push(struct early_queue *q, int64_t comm, int32_t source,
                     int32_t tag, void *wire, size_t bytes);

/* The first message in queue order matching (comm, source, tag), where
 * source may be WIRE_ANY_SOURCE and tag WIRE_ANY_TAG; NULL if none. The
 * message stays queued (this is what probes use). */
const struct early_msg *early_queue_find(const struct early_queue *q,
                                         int64_t comm, int32_t source,
                                         int32_t tag);

/* Removes `msg` (a pointer find or foreach gave for this queue) and copies
 * it into *out: the caller now owns out->wire and frees it. */
void early_queue_take(struct early_queue *q, const struct early_msg *msg,
                      struct early_msg *out);

/* Frees every message of communicator `comm` (freed or abandoned),
 * keeping the others in order. Returns how many were dropped. */
size_t early_queue_drop_comm(struct early_queue *q, int64_t comm);

/* Calls fn(msg, arg) for each message, oldest first, and stops at the
 * first nonzero return, which it returns; 0 once all were visited. fn must
 * not change the queue. */
int early_queue_foreach(const struct early_queue *q,
                        int (*fn)(const struct early_msg *msg, void *arg),
                        void *arg);

size_t early_queue_count(const struct early_queue *q);

/* Sum of the queued messages' wire lengths. */
size_t early_queue_bytes(const struct early_queue *q);

#endif
