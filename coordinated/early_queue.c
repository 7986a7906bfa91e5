/*
 * early_queue.c — the keeper's early queue (see early_queue.h): a doubly
 * linked list in arrival order, so that taking a message found anywhere in
 * the queue is O(1) and never shifts the others.
 *
 * Invariants: head/tail are NULL exactly when count is 0; following `next`
 * from head visits every node once, in push order, and ends at tail;
 * `prev` mirrors `next`. A node's `msg` is its first member, so the
 * pointers handed out (struct early_msg *) convert back to their node.
 */
#include "coordinated/early_queue.h"

#include <errno.h>
#include <stdlib.h>

#include "common/wire.h"

struct early_node {
    struct early_msg msg;            /* first: see the header comment */
    struct early_node *prev, *next;
};

static struct early_node *node_of(const struct early_msg *msg)
{
    return (struct early_node *)msg;
}

void early_queue_init(struct early_queue *q)
{
    q->head = q->tail = NULL;
    q->count = 0;
    q->bytes = 0;
}

int early_queue_push(struct early_queue *q, int64_t comm, int32_t source,
                     int32_t tag, void *wire, size_t bytes)
{
    if (source < 0 || tag < 0) {
        errno = EINVAL;
        return -1;
    }
    struct early_node *n = malloc(sizeof *n);
    if (n == NULL) {
        errno = ENOMEM;
        return -1;
    }
    n->msg = (struct early_msg){ .comm = comm, .source = source, .tag = tag,
                                 .wire = wire, .bytes = bytes };
    n->next = NULL;
    n->prev = q->tail;
    if (q->tail != NULL)
        q->tail->next = n;
    else
        q->head = n;
    q->tail = n;
    q->count++;
    q->bytes += bytes;
    return 0;
}

static int envelope_matches(const struct early_msg *m, int64_t comm,
                            int32_t source, int32_t tag)
{
    return m->comm == comm
           && (source == WIRE_ANY_SOURCE || m->source == source)
           && (tag == WIRE_ANY_TAG || m->tag == tag);
}

const struct early_msg *early_queue_find(const struct early_queue *q,
                                         int64_t comm, int32_t source,
                                         int32_t tag)
{
    for (const struct early_node *n = q->head; n != NULL; n = n->next)
        if (envelope_matches(&n->msg, comm, source, tag))
            return &n->msg;
    return NULL;
}

/* Unlinks n and forgets its size; the node itself is still the caller's
 * to free. */
static void unlink_node(struct early_queue *q, struct early_node *n)
{
    if (n->prev != NULL)
        n->prev->next = n->next;
    else
        q->head = n->next;
    if (n->next != NULL)
        n->next->prev = n->prev;
    else
        q->tail = n->prev;
    q->count--;
    q->bytes -= n->msg.bytes;
}

void early_queue_take(struct early_queue *q, const struct early_msg *msg,
                      struct early_msg *out)
{
    struct early_node *n = node_of(msg);
    unlink_node(q, n);
    *out = n->msg;
    free(n);
}

static void free_node(struct early_node *n)
{
    free(n->msg.wire);
    free(n);
}

size_t early_queue_drop_comm(struct early_queue *q, int64_t comm)
{
    size_t dropped = 0;
    struct early_node *n = q->head;
    while (n != NULL) {
        struct early_node *next = n->next;
        if (n->msg.comm == comm) {
            unlink_node(q, n);
            free_node(n);
            dropped++;
        }
        n = next;
    }
    return dropped;
}

void early_queue_clear(struct early_queue *q)
{
    struct early_node *n = q->head;
    while (n != NULL) {
        struct early_node *next = n->next;
        free_node(n);
        n = next;
    }
    early_queue_init(q);
}

int early_queue_foreach(const struct early_queue *q,
                        int (*fn)(const struct early_msg *msg, void *arg),
                        void *arg)
{
    for (const struct early_node *n = q->head; n != NULL; n = n->next) {
        int rc = fn(&n->msg, arg);
        if (rc != 0)
            return rc;
    }
    return 0;
}

size_t early_queue_count(const struct early_queue *q)
{
    return q->count;
}

size_t early_queue_bytes(const struct early_queue *q)
{
    return q->bytes;
}
