/*
 * output_ledger.h — whose are the bytes still unread in the pipe to mpirun.
 * Pure: no I/O, no allocation.
 *
 * A keeper's stderr carries two writers' bytes: the compute process's
 * stderr, which the supervisor forwards and counts (P, common/
 * output_filter.h), and the keeper's own lines. The position a keeper
 * persists for a restart is P less what mpirun has not read yet, and the
 * pipe tells only how many bytes that is (FIONREAD), not whose. Counting
 * the keeper's unread lines as the compute's would make a restart after a
 * whole-job kill emit as many bytes of the compute's output again. The
 * ledger remembers where the keeper's own writes lie in the sequence of
 * all bytes written to the pipe, so that of the last U bytes written
 * (the unread ones) it can tell how many are the compute's.
 *
 * Invariants: every write to the pipe is recorded, in the order the writes
 * went into the pipe (its callers serialize writing and recording). Only
 * the newest OUTPUT_LEDGER_OWN_WRITES own writes are remembered; an older
 * one still unread is counted as the compute's, so the error, if any, is
 * a repeat at a restart, never a loss.
 */
#ifndef MPICKPT_COMMON_OUTPUT_LEDGER_H
#define MPICKPT_COMMON_OUTPUT_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define OUTPUT_LEDGER_OWN_WRITES 32

struct output_ledger {
    uint64_t written;                        /* bytes written to the pipe */
    uint64_t own_end[OUTPUT_LEDGER_OWN_WRITES]; /* `written` after an own write */
    uint64_t own_len[OUTPUT_LEDGER_OWN_WRITES];
    unsigned next;                           /* slot of the next own write */
};

/* A ledger of a pipe in which the first `foreign` bytes (already there
 * when it starts) are not the compute's. */
void output_ledger_init(struct output_ledger *l, uint64_t foreign);
/* `len` bytes were written to the pipe: the compute's, or the keeper's own
 * (`own` nonzero). */
void output_ledger_wrote(struct output_ledger *l, uint64_t len, int own);
/* Of the last `unread` bytes written to the pipe, how many are the
 * compute's. */
uint64_t output_ledger_compute_unread(const struct output_ledger *l, uint64_t unread);

#endif
