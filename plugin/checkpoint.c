/*
 * checkpoint.c — the compute side of checkpoints (see checkpoint.h).
 *
 * Everything here may run in CHAN_CKPT_SIGNAL's handler, which can
 * interrupt anything, including this file's own code: only async-signal-
 * safe calls, and `busy` makes a handler that interrupted an attempt leave
 * at once (the interrupted attempt, or the next safe point, does the work).
 */
#include "plugin/checkpoint.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/channel.h"
#include "plugin/capture/capture.h"
#include "plugin/client.h"
#include "plugin/output_position.h"

static volatile sig_atomic_t enabled;
static volatile sig_atomic_t busy;     /* an attempt is under way */
static uint64_t writer_epoch;          /* epoch whose writer runs; 0: none */
static char image_path[CHAN_CKPT_PATH_MAX];

static struct chan_ckpt *shared(void)
{
    return &client_channel()->ctl->ckpt;
}

/* Reports the end of the running writer, if it has ended. */
static void collect(void)
{
    if (writer_epoch == 0)
        return;
    enum img_writer_state st = img_capture_wait(0);
    if (st == IMG_WRITER_RUNNING)
        return;
    struct chan_ckpt *ck = shared();
    atomic_store_explicit(&ck->status, (int32_t)st, memory_order_relaxed);
    atomic_store_explicit(&ck->done, writer_epoch, memory_order_release);
    writer_epoch = 0;
}

/* Reports a capture that could not start: its epoch is done, failed. */
static void report_failure(struct chan_ckpt *ck, uint64_t epoch)
{
    atomic_store_explicit(&ck->status, IMG_WRITER_FAILED, memory_order_relaxed);
    atomic_store_explicit(&ck->started, epoch, memory_order_relaxed);
    atomic_store_explicit(&ck->done, epoch, memory_order_release);
}

/* Captures the process for `epoch`. Returns in this process (the writer
 * runs), or a second time in the process restored from the image. */
static void capture(uint64_t epoch, unsigned flags)
{
    struct chan_ckpt *ck = shared();
    memcpy(image_path, ck->path, sizeof image_path);
    image_path[sizeof image_path - 1] = '\0';
    struct channel *ch = client_channel();
    struct img_range channel_range = {
        (uintptr_t)ch->ctl, (uintptr_t)ch->ctl + chan_mapped_size(ch)
    };
    /* The cut: what was submitted and output so far, as of the fork. */
    ck->sub_cut = client_submitted();
    output_position_at_cut(ch, ck->out_pos);
    struct img_capture_opts opts = { .path = image_path, .level = ck->level,
                                     .workers = ck->workers,
                                     .exclude = &channel_range, .n_exclude = 1,
                                     .flags = flags };
    switch (img_capture(&opts)) {
    case IMG_CAPTURE_STARTED:
        writer_epoch = epoch;
        atomic_store_explicit(&ck->pause_ns, img_capture_last_pause_ns(), memory_order_relaxed);
        atomic_store_explicit(&ck->started, epoch, memory_order_release);
        break;
    case IMG_CAPTURE_ERROR:
        report_failure(ck, epoch);
        break;
    case IMG_CAPTURE_RESTORED: /* the restore hook connected the new channel */
    case IMG_CAPTURE_BUSY:     /* not ours: an app's capture; retried later */
        break;
    }
}

/* Whether the process may be captured now: quiescent anywhere; with
 * operations pending only where the keeper allows it, outside the signal
 * handler (which may have interrupted request bookkeeping), and once the
 * ring holds no completion: the keeper holds back every later one until it
 * has seen the capture start, so all completions pushed before the cut are
 * consumed before it and none after. */
static int capturable(const struct chan_ckpt *ck, unsigned flags)
{
    if (client_quiescent())
        return 1;
    return ck->allow_pending && !(flags & IMG_CAPTURE_IN_SIGNAL) &&
           !client_completions_waiting();
}

/* One attempt: collect the writer, then capture if a request waits and
 * the process is capturable. */
static void attempt(unsigned flags)
{
    if (!enabled || busy)
        return;
    busy = 1;
    collect();
    struct chan_ckpt *ck = shared();
    uint64_t want = atomic_load_explicit(&ck->request, memory_order_acquire);
    if (want != atomic_load_explicit(&ck->started, memory_order_relaxed) &&
        writer_epoch == 0 && capturable(ck, flags))
        capture(want, flags);
    busy = 0;
}

static void on_signal(int sig)
{
    (void)sig;
    int saved = errno;
    attempt(IMG_CAPTURE_IN_SIGNAL);
    errno = saved;
}

void checkpoint_safe_point(void)
{
    if (!enabled)
        return;
    struct chan_ckpt *ck = shared();
    if (writer_epoch == 0 && atomic_load_explicit(&ck->request, memory_order_relaxed) ==
                             atomic_load_explicit(&ck->started, memory_order_relaxed))
        return;
    attempt(0);
}

static _Noreturn void restore_failed(const char *why, int err)
{
    /* The process has no channel and cannot go on; one line, then exit. */
    static const char head[] = "mpickpt: restore: cannot attach the new channel: ";
    (void)!write(STDERR_FILENO, head, sizeof head - 1);
    (void)!write(STDERR_FILENO, why, strlen(why));
    if (err) {
        const char *text = strerror(err);
        (void)!write(STDERR_FILENO, ": ", 2);
        (void)!write(STDERR_FILENO, text, strlen(text));
    }
    (void)!write(STDERR_FILENO, "\n", 1);
    _exit(1);
}

/* Runs first in a restored process: the restarted keeper's channel (fd in
 * hook_arg) goes where the old one was. */
static void on_restore(const struct img_restore_info *info, void *arg)
{
    (void)arg;
    char *end;
    long fd = strtol(info->hook_arg, &end, 10);
    if (info->hook_arg[0] == '\0' || *end != '\0' || fd < 0)
        restore_failed("no channel descriptor given (mpickpt-restore --hook-arg FD)", 0);
    int rc = client_reattach((int)fd);
    if (rc != 0)
        restore_failed(info->hook_arg, -rc);
    atomic_store(&shared()->ready, 1);
}

void checkpoint_init(void)
{
    struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(CHAN_CKPT_SIGNAL, &sa, NULL);
    img_set_restore_hook(on_restore, NULL);
    enabled = 1;
    atomic_store(&shared()->ready, 1);
}

void checkpoint_disable(void)
{
    enabled = 0;
    atomic_store(&shared()->ready, 0);
}
