/*
 * supervise.h — watching the compute process from its keeper: forwarding its
 * stdout and stderr exactly once, and noticing when it exits or dies.
 *
 * A thread (which never calls MPI) polls the compute's two output pipes and a
 * pidfd. Output is copied to the keeper's own stdout/stderr as it arrives, in
 * order per stream. When the compute process ends, the thread reaps it,
 * records its wait status and rings the keeper's doorbell so the keeper's
 * loop notices at once even while it sleeps.
 *
 * Exactly-once output (docs/COORDINATED.md, "Output exactly once";
 * common/output_filter.h): per stream the supervisor counts the bytes the
 * job has emitted across incarnations (P) and publishes the position of
 * the current incarnation in the channel's control page, where the compute
 * process reads it at its cut (plugin/output_position.h). After the compute
 * process is replaced by one restored to a cut at C (supervisor_replace), or
 * a new keeper starts one restored from a job's checkpoint
 * (supervisor_start_at), the first P - C bytes it writes are dropped.
 *
 * Invariants: only this module waits for the compute process; the keeper's
 * thread is the only caller of every function here (none is thread-safe
 * against another call on the same supervisor).
 */
#ifndef MPICKPT_LAUNCHER_SUPERVISE_H
#define MPICKPT_LAUNCHER_SUPERVISE_H

#include <stdint.h>
#include <sys/types.h>

#include "common/channel.h"

struct supervisor;

/* A coordinated job's files for a rank's output, in its job directory: the
 * positions file (P of both streams as two native uint64_t, stdout first,
 * after each chunk forwarded, less what the pipe to mpirun still holds:
 * what a restarted keeper goes on from) and a copy of each stream (byte i
 * of the stream at offset i, written before the chunk is forwarded, so it
 * is the whole stream however the job was killed). Neither is fsynced: a
 * killed process's page cache survives. */
struct supervisor_files {
    const char *positions;
    const char *copy[2];
};

/* Starts supervising `child`, whose stdout/stderr are the read ends
 * `out_fd`/`err_fd` (taken over), rings &ctl->keeper_bell when it ends and
 * publishes positions in ctl->output. `emitted` is P per stream (stdout,
 * stderr): {0, 0} for a new job, supervisor_read_positions' for a restarted
 * one. `cut` is the position per stream of the cut `child` was restored
 * to (the first P - cut[i] bytes it writes are dropped), or NULL for a
 * process started afresh (cut {0, 0}: in a new job nothing is dropped); a
 * stream at OUTPUT_NO_POSITION (common/output_filter.h) drops nothing; a
 * cut beyond P (a restart after bytes died in a killed mpirun's pipe)
 * first emits [P, cut) from the copy. `files` (NULL: none) are opened,
 * created if needed, and kept up to date from then on. Returns NULL with
 * errno on failure. */
struct supervisor *supervisor_start_at(pid_t child, int out_fd, int err_fd,
                                       struct chan_ctl *ctl,
                                       const uint64_t emitted[2],
                                       const uint64_t cut[2],
                                       const struct supervisor_files *files);
/* As supervisor_start_at with emitted {0, 0} and no cut, ringing
 * `keeper_bell`, but publishing no positions (the compute process then
 * finds none at its cuts, and recoveries drop nothing). For callers that
 * have no channel control page. */
struct supervisor *supervisor_start(pid_t child, int out_fd, int err_fd,
                                    struct chan_doorbell *keeper_bell);

/* In-place recovery: supervises `child` instead of the old compute process,
 * which the caller has killed (SIGKILL sent) but not waited for. Stops the
 * thread; reaps the old process if the thread has not; forwards what its
 * pipes hold now, without waiting for end of file (a stray child of the old
 * process may keep them open), and closes them; then supervises `child`
 * through its new pipes `out_fd`/`err_fd` (taken over), rings
 * &ctl->keeper_bell and publishes in ctl->output (ctl may be a new channel;
 * the old one must stay mapped until this returns), dropping the first
 * P - cut[i] bytes of each stream as supervisor_start_at does (cut NULL:
 * `child` was started afresh, at position 0). Afterwards
 * supervisor_exited() and supervisor_pid() are about `child` only.
 * Returns 0, or -1 with errno (the supervisor is unchanged if pidfd_open
 * failed; if the thread could not be restarted the keeper should abort:
 * output is no longer forwarded, supervisor_flush still works). */
int supervisor_replace(struct supervisor *s, pid_t child, int out_fd, int err_fd,
                       struct chan_ctl *ctl, const uint64_t cut[2]);

/* Reads a positions file (struct supervisor_files) into pos. Returns 0, or
 * -1 with errno (ENOENT: the job's keeper never started supervising, P is
 * {0, 0}; EPROTO: not 16 bytes). */
int supervisor_read_positions(const char *path, uint64_t pos[2]);
/* P per stream now: bytes of stdout, stderr the job has emitted. */
void supervisor_positions(struct supervisor *s, uint64_t pos[2]);

/* 1 once the compute process has ended (its wait status in *wstatus). */
int supervisor_exited(struct supervisor *s, int *wstatus);
/* Writes `len` bytes of the keeper's own (whole lines) to its stderr,
 * between chunks of the compute's stderr, and remembers them: the
 * positions persisted for a restart never count them as the compute's
 * output while mpirun has not read them (common/output_ledger.h). */
void supervisor_say(struct supervisor *s, const char *line, size_t len);
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
