/*
 * protocol.h — the interface every checkpoint protocol engine implements in
 * the keeper (DESIGN §3, §7). The keeper calls the hooks at fixed points of
 * a message's path; the engine decides what rides in the message header and
 * what a failure of the compute process leads to.
 *
 * Engines: `none` (protocol_none.c) — no checkpoints; a failed compute
 * process ends the job. Later issues add coordinated, cic and causal.
 *
 * Invariant: on_send runs exactly once per outgoing application message,
 * before the message leaves; on_deliver exactly once per arriving one,
 * before its payload is handed to the compute process.
 */
#ifndef MPICKPT_LAUNCHER_PROTOCOL_H
#define MPICKPT_LAUNCHER_PROTOCOL_H

#include "common/config.h"
#include "common/wire.h"

/* What to do when the compute process fails. */
enum failure_action { FAILURE_END_JOB };

/* What to do with an arriving message. */
enum delivery { DELIVER, DELIVER_REJECT_FOREIGN };

struct protocol_engine {
    const char *name;
    /* Fills the header of a message about to be sent to rank `dest` of the
     * message's communicator. */
    void (*on_send)(struct wire_msg_header *header, int dest);
    /* Inspects the header of a message that arrived from rank `source` of
     * the message's communicator. */
    enum delivery (*on_deliver)(const struct wire_msg_header *header, int source);
    /* Decides the recovery for a failure of this rank's compute process. */
    enum failure_action (*on_compute_failure)(void);
};

/* The engine for `protocol`. */
const struct protocol_engine *protocol_engine(enum mk_protocol protocol);

#endif
