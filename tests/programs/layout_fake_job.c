/*
 * layout_fake_job.c — makes a job directory the way a real job would,
 * through storage/layout.h, but with made-up rank files: for
 * tests/integration/admin_cli.sh, which needs something to list, verify and
 * damage without running MPI.
 *
 *   layout_fake_job ROOT JOB-ID NP EPOCHS [--uncommitted]
 *
 * Epochs 1..EPOCHS are written (rank-<r>.img, rank-<r>.keeper for each
 * rank), committed, and retention runs after each commit (keep 2), as the
 * coordinator does. --uncommitted adds epoch EPOCHS+1, written but not
 * committed, as a crash would leave it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "storage/layout.h"

static int write_file(const struct layout_job *job, uint64_t epoch, int rank,
                      enum layout_rank_file kind, struct layout_entry *e, char *err)
{
    char path[PATH_MAX];
    unsigned char buf[4096];
    struct atomic_file f;
    uint64_t x = epoch * 1000003u + (uint64_t)rank * 7919u + kind;
    size_t len = kind == LAYOUT_IMAGE ? 3 * sizeof buf : 300;
    if (layout_rank_path(job, epoch, rank, kind, path) < 0) {
        snprintf(err, LAYOUT_ERROR_MAX, "path too long");
        return -1;
    }
    if (atomic_file_open(&f, path, err) < 0)
        return -1;
    for (size_t done = 0; done < len; done += sizeof buf) {
        for (size_t i = 0; i < sizeof buf; i++)
            buf[i] = (unsigned char)((x = x * 6364136223846793005u + 1) >> 60);
        size_t n = len - done < sizeof buf ? len - done : sizeof buf;
        if (atomic_file_write(&f, buf, n, err) < 0)
            return -1;
    }
    if (atomic_file_commit(&f, err) < 0)
        return -1;
    return layout_entry_of(e, &f, kind == LAYOUT_IMAGE ? 4 * len : 0);
}

static int write_epoch(const struct layout_job *job, uint64_t epoch, int np, int commit, char *err)
{
    struct layout_entry *e = calloc(2 * (size_t)np, sizeof *e);
    int rc = e && layout_epoch_create(job, epoch, err) == 0 ? 0 : -1;
    for (int r = 0; rc == 0 && r < np; r++)
        rc = write_file(job, epoch, r, LAYOUT_IMAGE, &e[2 * r], err) < 0 ||
                     write_file(job, epoch, r, LAYOUT_KEEPER, &e[2 * r + 1], err) < 0
                 ? -1
                 : 0;
    if (rc == 0 && commit)
        rc = layout_epoch_commit(job, epoch, e, 2 * (size_t)np, err) < 0 ||
                     layout_retain(job, LAYOUT_KEEP_DEFAULT, err) < 0
                 ? -1
                 : 0;
    free(e);
    return rc;
}

int main(int argc, char **argv)
{
    char err[LAYOUT_ERROR_MAX] = "out of memory";
    char *app[] = { "./fake", "input.dat" };
    struct layout_job_info info = { .binary_xxh64 = 42, .argc = 2, .argv = app };
    struct layout_job job;
    if (argc < 5 || argc > 6 || (argc == 6 && strcmp(argv[5], "--uncommitted") != 0)) {
        fprintf(stderr, "usage: layout_fake_job ROOT JOB-ID NP EPOCHS [--uncommitted]\n");
        return 2;
    }
    int np = atoi(argv[3]), epochs = atoi(argv[4]);
    snprintf(info.id, sizeof info.id, "%s", argv[2]);
    snprintf(info.protocol, sizeof info.protocol, "coordinated");
    info.np = np;
    info.created = time(NULL) - 3600;
    if (layout_job_create(&job, argv[1], &info, err) < 0)
        goto fail;
    for (int n = 1; n <= epochs; n++)
        if (write_epoch(&job, (uint64_t)n, np, 1, err) < 0)
            goto fail;
    if (argc == 6 && write_epoch(&job, (uint64_t)epochs + 1, np, 0, err) < 0)
        goto fail;
    return 0;
fail:
    fprintf(stderr, "layout_fake_job: %s\n", err);
    return 1;
}
