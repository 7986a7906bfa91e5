/*
 * protocol_none.c — the `none` protocol: no checkpoints, no logging. Messages
 * carry a header with only the magic number set (so a message that is not
 * one of ours is recognised), and a failed compute process ends the job.
 */
#include "launcher/protocol.h"

static void none_on_send(struct wire_msg_header *header, int dest)
{
    (void)dest;
    *header = (struct wire_msg_header){ .magic = WIRE_MSG_MAGIC };
}

static enum delivery none_on_deliver(const struct wire_msg_header *header, int source)
{
    (void)source;
    return header->magic == WIRE_MSG_MAGIC ? DELIVER : DELIVER_REJECT_FOREIGN;
}

static enum failure_action none_on_compute_failure(void)
{
    return FAILURE_END_JOB;
}

static const struct protocol_engine none_engine = {
    .name = "none",
    .on_send = none_on_send,
    .on_deliver = none_on_deliver,
    .on_compute_failure = none_on_compute_failure,
};

const struct protocol_engine *protocol_engine(enum mk_protocol protocol)
{
    switch (protocol) {
    case MK_PROTOCOL_NONE:
    case MK_PROTOCOL_COORDINATED: /* its keeper hooks are launcher/coord.h */
        return &none_engine;
    }
    return &none_engine;
}
