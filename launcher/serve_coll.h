/*
 * serve_coll.h — what the keeper's collective server tells the protocol:
 * how many collectives each communicator has started at this rank (the
 * sequence numbers of serve_coll.c), and setting them back after a restore.
 */
#ifndef MPICKPT_LAUNCHER_SERVE_COLL_H
#define MPICKPT_LAUNCHER_SERVE_COLL_H

#include <stdint.h>

/* Collectives started on communicator `id` (the last sequence number). */
uint64_t serve_coll_count(int64_t id);
/* Every count back to 0 (a recovery). */
void serve_coll_reset(void);
/* The next collective on `id` will be number `count` + 1. */
void serve_coll_set_count(int64_t id, uint64_t count);

#endif
