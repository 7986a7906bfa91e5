/*
 * checkpoint.h — the keeper's side of checkpoints of a single-rank job
 * (DESIGN §5, §6): the job directory, periodic requests to the compute
 * process, the commit of each epoch, and finding the image to restart from.
 *
 * One checkpoint: every `interval` seconds the keeper creates epochs/<n>,
 * writes the image path and epoch n into the channel's control page
 * (struct chan_ckpt) and sends CHAN_CKPT_SIGNAL; the compute process takes
 * the image at its next safe point (plugin/checkpoint.h). While the writer
 * runs the keeper repeats the signal every CKPT_POKE_NS, which makes the
 * compute process collect the writer's end even while it computes. Once
 * the image is reported durable (IMG_WRITER_COMMITTED: fsynced and
 * renamed), the keeper writes its own state file (empty for protocol none),
 * commits the epoch (MANIFEST, then COMMITTED) and applies retention.
 *
 * Invariants: at most one checkpoint is under way; an epoch is committed
 * only after its image is durable; a failed checkpoint leaves an
 * uncommitted epoch (removed by retention) and the job goes on; epoch
 * numbers only grow, also across restarts.
 *
 * Limits (single rank, protocol none): the keeper's MPI state is not
 * saved, so communicators the app created before a checkpoint are unknown
 * to a restarted keeper.
 */
#ifndef MPICKPT_LAUNCHER_CHECKPOINT_H
#define MPICKPT_LAUNCHER_CHECKPOINT_H

#include <limits.h>
#include <sys/types.h>

#include "common/channel.h"
#include "common/config.h"
#include "storage/layout.h"

struct keeper;
struct ckpt_keeper;

/* A fresh job: creates <cfg->dir>/<new id> with job.json describing
 * `app_argv` (its program resolved to an absolute path and hashed) run on
 * `np` ranks. NULL with one line in `err`. */
struct ckpt_keeper *ckpt_keeper_create(const struct mk_config *cfg, char **app_argv, int np,
                                       char err[LAYOUT_ERROR_MAX]);
/* A restarted job: opens `job_dir`, finds its newest valid committed epoch
 * (skipped ones are reported on stderr with --verbose) and sets `image` to
 * rank 0's image there and `cwd` to the directory the job ran in. NULL
 * with one line in `err`. */
struct ckpt_keeper *ckpt_keeper_restart(const struct mk_config *cfg, const char *job_dir,
                                        char image[PATH_MAX], char cwd[PATH_MAX],
                                        char err[LAYOUT_ERROR_MAX]);
/* The job directory. */
const char *ckpt_keeper_dir(const struct ckpt_keeper *c);
/* Starts the schedule: the compute process and its channel; `idle_cores`
 * is what --compress-threads=auto means on this node. */
void ckpt_keeper_start(struct ckpt_keeper *c, struct channel *ch, pid_t compute, int idle_cores);
/* The keeper loop's poller (keeper_poll_until): requests, watches and
 * commits checkpoints. Never finishes (returns 0). */
int ckpt_keeper_poll(struct keeper *k, void *ctx);

#endif
