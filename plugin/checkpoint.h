/*
 * checkpoint.h — the compute side of checkpoints (DESIGN §5): taking the
 * image the keeper asks for at a safe point, and coming back to life in a
 * restored process.
 *
 * The keeper asks through the channel's control page (struct chan_ckpt:
 * epoch and image path) and sends CHAN_CKPT_SIGNAL. The image is taken at
 * the first safe point after the request where the channel holds nothing
 * the process still needs (client_quiescent(): no channel operation under
 * way, no submission in flight, no heap block allocated), because the
 * channel mapping is not part of the image and the restored process gets a
 * fresh, empty one:
 *   - computing: in the signal handler, at once;
 *   - inside the plugin: the handler only notes the signal; the end of the
 *     outermost channel operation, and every heap free, retry
 *     (checkpoint_safe_point), so a blocking MPI call is captured once its
 *     completion has been consumed and its heap block freed.
 * So nothing is in flight in such an image. A coordinated job's keeper
 * also allows captures with operations pending (chan_ckpt.allow_pending):
 * at the same safe points and inside blocking waits (client_wait_until),
 * never in the handler, once the ring holds no completion; the keeper then
 * saves those operations and serves them again after a restore, so the
 * restored process finds each completion it waits for.
 *
 * Outcome: the capture forks a writer; the process resumes at once and
 * reports `started`. The writer's end is collected (img_capture_wait, not
 * blocking) at every safe point and every CHAN_CKPT_SIGNAL, which the
 * keeper repeats while it waits, and reported as `status` and `done`.
 *
 * Restart: the restore hook maps the restarted keeper's channel (its
 * descriptor number is the restorer's --hook-arg) over the old channel's
 * range and says `ready`; the process then continues from inside
 * img_capture() and never calls MPI_Init again.
 *
 * Limits: an app that installs its own handler for CHAN_CKPT_SIGNAL, or
 * blocks it, is checkpointed only inside plugin calls; an app that reaps
 * every child itself makes the outcome IMG_WRITER_UNKNOWN (not committed).
 */
#ifndef MPICKPT_PLUGIN_CHECKPOINT_H
#define MPICKPT_PLUGIN_CHECKPOINT_H

/* Installs the signal handler and the restore hook; says `ready`. Called
 * once the channel is connected. */
void checkpoint_init(void);
/* A point where the process may be captured if a request is pending and
 * the channel is quiescent. Cheap when nothing is pending. */
void checkpoint_safe_point(void);
/* No checkpoint from now on (MPI_Finalize: the keeper is about to go). */
void checkpoint_disable(void);

#endif
