/*
 * checkpoint.c — the keeper's side of checkpoints (see checkpoint.h).
 *
 * Runs in the keeper's thread only, as a poller of its loop: the loop then
 * never sleeps on its doorbell but wakes at least every millisecond
 * (keeper.c's pause_while_pending), which is what lets the schedule run
 * without a timer thread.
 */
#include "launcher/checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "launcher/job_dir.h"
#include "launcher/keeper.h"
#include "launcher/launch_env.h"
#include "plugin/capture/capture.h"
#include "storage/image_format.h"

/* How often the keeper repeats its signal while the writer runs. */
#define CKPT_POKE_NS 20000000

struct ckpt_keeper {
    struct layout_job job;
    unsigned interval;           /* seconds */
    int keep;                    /* committed epochs retained */
    int level, workers;          /* image compression */
    int quiet, verbose;
    struct channel *ch;
    pid_t compute;
    uint64_t last_epoch;         /* highest epoch number ever used */
    uint64_t epoch;              /* under way; 0: none */
    int64_t next_due, next_poke, started_ns;
    char image[PATH_MAX];
};

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct ckpt_keeper *alloc_keeper(const struct mk_config *cfg, char err[LAYOUT_ERROR_MAX])
{
    struct ckpt_keeper *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(err, LAYOUT_ERROR_MAX, "cannot allocate the checkpoint state: %s",
                 strerror(errno));
        return NULL;
    }
    c->interval = cfg->interval;
    c->keep = cfg->keep;
    c->level = cfg->compress_level;
    c->workers = cfg->compress_threads;
    c->quiet = cfg->quiet;
    c->verbose = cfg->verbose;
    return c;
}

/* --- a fresh job ----------------------------------------------------------- */

struct ckpt_keeper *ckpt_keeper_create(const struct mk_config *cfg, char **app_argv, int np,
                                       char err[LAYOUT_ERROR_MAX])
{
    struct ckpt_keeper *c = alloc_keeper(cfg, err);
    if (c && job_dir_create(cfg, app_argv, np, &c->job, err) != 0) {
        free(c);
        c = NULL;
    }
    return c;
}

/* --- a restarted job ----------------------------------------------------------- */

/* The highest epoch number on disk, committed or not: new epochs go above,
 * never into a directory a crashed run left. */
static int highest_epoch(const struct layout_job *job, uint64_t *out, char err[LAYOUT_ERROR_MAX])
{
    struct layout_epoch *epochs;
    size_t n;
    if (layout_list_epochs(job, &epochs, &n, err) != 0)
        return -1;
    *out = n ? epochs[n - 1].number : 0;
    free(epochs);
    return 0;
}

struct ckpt_keeper *ckpt_keeper_restart(const struct mk_config *cfg, const char *job_dir,
                                        char image[PATH_MAX], char cwd[PATH_MAX],
                                        char err[LAYOUT_ERROR_MAX])
{
    struct ckpt_keeper *c = alloc_keeper(cfg, err);
    struct layout_job_info info;
    uint64_t epoch;
    if (!c)
        return NULL;
    if (layout_job_open(&c->job, job_dir, err) != 0 ||
        layout_job_info_read(&c->job, &info, err) != 0)
        goto fail;
    job_dir_cwd(&info, cwd);
    layout_job_info_free(&info);
    int found = layout_find_recovery_line(&c->job, LAYOUT_CHECK_FULL,
                                          cfg->verbose ? stderr : NULL, &epoch, err);
    if (found < 0)
        goto fail;
    if (found == 0) {
        snprintf(err, LAYOUT_ERROR_MAX, "%s has no valid committed checkpoint", job_dir);
        goto fail;
    }
    if (layout_rank_path(&c->job, epoch, 0, LAYOUT_IMAGE, image) != 0 ||
        highest_epoch(&c->job, &c->last_epoch, err) != 0)
        goto fail;
    if (!cfg->quiet)
        fprintf(stderr, "mpickpt: rank 0: restarting from checkpoint %llu of %s\n",
                (unsigned long long)epoch, job_dir);
    return c;
fail:
    free(c);
    return NULL;
}

const char *ckpt_keeper_dir(const struct ckpt_keeper *c)
{
    return c->job.dir;
}

void ckpt_keeper_start(struct ckpt_keeper *c, struct channel *ch, pid_t compute, int idle_cores)
{
    if (c->workers < 0)
        c->workers = idle_cores;
    c->ch = ch;
    c->compute = compute;
    c->next_due = now_ns() + (int64_t)c->interval * 1000000000;
}

/* --- one checkpoint -------------------------------------------------------------- */

static void schedule_next(struct ckpt_keeper *c)
{
    c->epoch = 0;
    c->next_due = now_ns() + (int64_t)c->interval * 1000000000;
}

static void request(struct keeper *k, struct ckpt_keeper *c)
{
    char err[LAYOUT_ERROR_MAX] = "";
    uint64_t epoch = c->last_epoch + 1;
    if (layout_epoch_create(&c->job, epoch, err) != 0 ||
        layout_rank_path(&c->job, epoch, 0, LAYOUT_IMAGE, c->image) != 0 ||
        strlen(c->image) >= CHAN_CKPT_PATH_MAX) {
        keeper_say(k, "checkpoint %llu not taken: %s", (unsigned long long)epoch,
                   err[0] ? err : "image path too long");
        c->last_epoch = epoch; /* never retry a number someone else holds */
        schedule_next(c);
        return;
    }
    struct chan_ckpt *ck = &c->ch->ctl->ckpt;
    memcpy(ck->path, c->image, strlen(c->image) + 1);
    ck->level = c->level;
    ck->workers = c->workers;
    c->last_epoch = c->epoch = epoch;
    c->started_ns = now_ns();
    c->next_poke = c->started_ns + CKPT_POKE_NS;
    atomic_store_explicit(&ck->request, epoch, memory_order_release);
    kill(c->compute, CHAN_CKPT_SIGNAL);
}

/* The uncompressed size the image's header records (0 if unreadable). */
static uint64_t image_raw_bytes(const char *path)
{
    struct img_header h;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = pread(fd, &h, sizeof h, 0);
    close(fd);
    return n == (ssize_t)sizeof h && memcmp(h.magic, IMG_MAGIC, sizeof h.magic) == 0
               ? h.raw_bytes : 0;
}

/* The keeper's state file: empty for protocol none, but present, so every
 * epoch has the same shape whatever the protocol. */
static int write_keeper_state(struct ckpt_keeper *c, struct layout_entry *e,
                              char err[LAYOUT_ERROR_MAX])
{
    char path[PATH_MAX];
    struct atomic_file f;
    if (layout_rank_path(&c->job, c->epoch, 0, LAYOUT_KEEPER, path) != 0) {
        snprintf(err, LAYOUT_ERROR_MAX, "keeper state path too long");
        return -1;
    }
    if (atomic_file_open(&f, path, err) != 0 || atomic_file_commit(&f, err) != 0)
        return -1;
    return layout_entry_of(e, &f, 0);
}

static int image_entry(struct ckpt_keeper *c, struct layout_entry *e, char err[LAYOUT_ERROR_MAX])
{
    char name[LAYOUT_NAME_MAX];
    layout_rank_name(0, LAYOUT_IMAGE, name);
    memset(e, 0, sizeof *e);
    snprintf(e->name, sizeof e->name, "%s", name);
    e->raw_size = image_raw_bytes(c->image);
    return layout_file_sum(c->image, &e->size, &e->xxh64, err);
}

static void commit(struct keeper *k, struct ckpt_keeper *c)
{
    char err[LAYOUT_ERROR_MAX] = "";
    struct layout_entry files[2];
    if (image_entry(c, &files[0], err) != 0 || write_keeper_state(c, &files[1], err) != 0 ||
        layout_epoch_commit(&c->job, c->epoch, files, 2, err) != 0) {
        keeper_say(k, "checkpoint %llu not committed: %s", (unsigned long long)c->epoch, err);
        return;
    }
    if (layout_retain(&c->job, (unsigned)c->keep, err) != 0)
        keeper_say(k, "retention after checkpoint %llu: %s", (unsigned long long)c->epoch, err);
    if (!c->quiet)
        keeper_say(k, "checkpoint %llu written, %.1f MB -> %.1f MB in %.2f s",
                   (unsigned long long)c->epoch, (double)files[0].raw_size / 1e6,
                   (double)files[0].size / 1e6, (double)(now_ns() - c->started_ns) / 1e9);
    if (c->verbose)
        keeper_say(k, "checkpoint %llu: application paused %.2f ms",
                   (unsigned long long)c->epoch,
                   (double)atomic_load(&c->ch->ctl->ckpt.pause_ns) / 1e6);
}

static void finish(struct keeper *k, struct ckpt_keeper *c)
{
    int32_t st = atomic_load_explicit(&c->ch->ctl->ckpt.status, memory_order_relaxed);
    if (st == IMG_WRITER_COMMITTED)
        commit(k, c);
    else
        keeper_say(k, "checkpoint %llu failed (%s); the job goes on",
                   (unsigned long long)c->epoch,
                   st == IMG_WRITER_UNKNOWN ? "the application reaped the image writer"
                                            : "the image writer said why above");
    schedule_next(c);
}

int ckpt_keeper_poll(struct keeper *k, void *ctx)
{
    struct ckpt_keeper *c = ctx;
    struct chan_ckpt *ck = &c->ch->ctl->ckpt;
    int64_t now = now_ns();
    if (c->epoch == 0) {
        if (now >= c->next_due && atomic_load(&ck->ready))
            request(k, c);
        return 0;
    }
    if (atomic_load_explicit(&ck->done, memory_order_acquire) == c->epoch) {
        finish(k, c);
    } else if (now >= c->next_poke &&
               atomic_load_explicit(&ck->started, memory_order_relaxed) == c->epoch) {
        /* Makes a computing process collect its writer's end. Before the
         * capture started, a repeat would not help: the first signal was
         * noted, and the plugin's safe points take the request anyway. */
        kill(c->compute, CHAN_CKPT_SIGNAL);
        c->next_poke = now + CKPT_POKE_NS;
    }
    return 0;
}
