/*
 * supervise.h — watching the compute process from its keeper: forwarding its
 * stdout and stderr, and noticing when it exits or dies.
 *
 * A thread (which never calls MPI) polls the compute's two output pipes and a
 * pidfd. Output is copied to the keeper's own stdout/stderr as it arrives, in
 * order per stream, unchanged. When the compute process ends, the thread
 * reaps it, records its wait status and rings the keeper's doorbell so the
 * keeper's loop notices at once even while it sleeps.
 *
 * Invariant: only this module waits for the compute process.
 */
#ifndef MPICKPT_LAUNCHER_SUPERVISE_H
#define MPICKPT_LAUNCHER_SUPERVISE_H

#include <sys/types.h>

#include "common/channel.h"

struct supervisor;

/* Starts supervising `child`, whose stdout/stderr are the read ends
 * `out_fd`/`err_fd` (taken over). Returns NULL with errno on failure. */
struct supervisor *supervisor_start(pid_t child, int out_fd, int err_fd,
                                    struct chan_doorbell *keeper_bell);
/* 1 once the compute process has ended (its wait status in *wstatus). */
int supervisor_exited(struct supervisor *s, int *wstatus);
/* Forwards whatever output is already in the pipes, without waiting. */
void supervisor_flush(struct supervisor *s);
/* Waits for the compute process to end and its output to drain, stops the
 * thread, frees `s`; returns the wait status. */
int supervisor_finish(struct supervisor *s);
/* The supervised process. */
pid_t supervisor_pid(const struct supervisor *s);
/* A one-line description of a wait status: "killed by SIGSEGV",
 * "exited with status 3". */
const char *supervisor_describe(int wstatus, char *buf, size_t len);

#endif
