/*
 * output_ledger.c — whose are the unread bytes of the pipe to mpirun (see
 * output_ledger.h). The own writes are a ring of their end positions and
 * lengths; the unread bytes are the interval [written - U, written), and
 * the keeper's share of it is the sum of its writes' overlaps with it.
 */
#include "common/output_ledger.h"

#include <string.h>

void output_ledger_init(struct output_ledger *l, uint64_t foreign)
{
    memset(l, 0, sizeof *l);
    if (foreign > 0)
        output_ledger_wrote(l, foreign, 1);
}

void output_ledger_wrote(struct output_ledger *l, uint64_t len, int own)
{
    if (len == 0)
        return;
    l->written += len;
    if (!own)
        return;
    unsigned last = (l->next + OUTPUT_LEDGER_OWN_WRITES - 1) % OUTPUT_LEDGER_OWN_WRITES;
    if (l->own_len[last] > 0 && l->own_end[last] == l->written - len) {
        /* Right after the previous own write: one run of own bytes. */
        l->own_end[last] = l->written;
        l->own_len[last] += len;
        return;
    }
    l->own_end[l->next] = l->written;
    l->own_len[l->next] = len;
    l->next = (l->next + 1) % OUTPUT_LEDGER_OWN_WRITES;
}

uint64_t output_ledger_compute_unread(const struct output_ledger *l, uint64_t unread)
{
    if (unread > l->written)
        unread = l->written;
    uint64_t unread_from = l->written - unread;
    uint64_t own = 0;
    for (unsigned i = 0; i < OUTPUT_LEDGER_OWN_WRITES; i++) {
        uint64_t end = l->own_end[i], start = end - l->own_len[i];
        if (l->own_len[i] == 0 || end <= unread_from)
            continue;
        own += end - (start > unread_from ? start : unread_from);
    }
    return unread - own;
}
