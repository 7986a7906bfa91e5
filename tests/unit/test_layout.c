/*
 * test_layout.c — the checkpoint directory layout (storage/layout.h) as a
 * specification: atomic writes leave a complete file or none; job.json
 * round-trips and detects damage; an epoch is a recovery line only once
 * committed, and only while every byte checks out, falling back to the
 * previous committed epoch otherwise; retention keeps the newest K committed
 * epochs and removes leftovers; and a writer SIGKILLed at random moments,
 * again and again, never leaves a committed epoch that does not verify.
 *
 * Every test works in its own directory under /tmp, removed afterwards.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "storage/layout.h"

#define RANKS 3
#define FILES (2 * RANKS)

/* ---- fixtures and helpers --------------------------------------------- */

struct fixture {
    char root[PATH_MAX];
    struct layout_job job;
};

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void make_job(struct fixture *fx, const char *id)
{
    char err[LAYOUT_ERROR_MAX];
    char *argv[] = { "./solver", "in.dat", NULL };
    char *env[] = { "OMP_NUM_THREADS=1", NULL };
    struct layout_job_info info = { .np = RANKS, .binary_xxh64 = 0x1234, .argc = 2,
                                    .argv = argv, .envc = 1, .env = env };
    snprintf(info.id, sizeof info.id, "%s", id);
    snprintf(info.protocol, sizeof info.protocol, "coordinated");
    info.created = time(NULL);
    if (layout_job_create(&fx->job, fx->root, &info, err) < 0)
        fail_msg("%s", err);
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);
    snprintf(fx->root, sizeof fx->root, "/tmp/test_layout.XXXXXX");
    if (!mkdtemp(fx->root))
        return -1;
    make_job(fx, "job-1");
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    nftw(fx->root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(fx);
    return 0;
}

/* The bytes of file `name` of `epoch`: known to anyone, so a reader can
 * check a file's contents without trusting any manifest. */
static size_t content(uint64_t epoch, const char *name, unsigned char **out)
{
    uint64_t seed = xxh64(name, strlen(name), epoch);
    size_t len = 512 + (size_t)(seed % 40000);
    unsigned char *buf = malloc(len);
    for (size_t i = 0; i < len; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        buf[i] = (unsigned char)(seed >> 56);
    }
    *out = buf;
    return len;
}

/* Writes one file of an epoch the way a rank does; fills its entry. */
static int write_one(const struct layout_job *job, uint64_t epoch, int rank,
                     enum layout_rank_file kind, struct layout_entry *e, char *err)
{
    char path[PATH_MAX], name[LAYOUT_NAME_MAX];
    unsigned char *data;
    struct atomic_file f;
    layout_rank_name(rank, kind, name);
    size_t len = content(epoch, name, &data);
    int rc = layout_rank_path(job, epoch, rank, kind, path) < 0 ||
                     atomic_file_open(&f, path, err) < 0 ||
                     atomic_file_write(&f, data, len / 2, err) < 0 ||
                     atomic_file_write(&f, data + len / 2, len - len / 2, err) < 0 ||
                     atomic_file_commit(&f, err) < 0 ||
                     layout_entry_of(e, &f, kind == LAYOUT_IMAGE ? 4 * len : 0) < 0
                 ? -1
                 : 0;
    free(data);
    return rc;
}

/* Every rank's files of `epoch`, then the coordinator's commit. */
static int write_epoch(const struct layout_job *job, uint64_t epoch, int commit, char *err)
{
    struct layout_entry e[FILES];
    if (layout_epoch_create(job, epoch, err) < 0)
        return -1;
    for (int r = 0; r < RANKS; r++)
        if (write_one(job, epoch, r, LAYOUT_IMAGE, &e[2 * r], err) < 0 ||
            write_one(job, epoch, r, LAYOUT_KEEPER, &e[2 * r + 1], err) < 0)
            return -1;
    return commit ? layout_epoch_commit(job, epoch, e, FILES, err) : 0;
}

static void commit_epoch(const struct layout_job *job, uint64_t epoch)
{
    char err[LAYOUT_ERROR_MAX];
    if (write_epoch(job, epoch, 1, err) < 0)
        fail_msg("epoch %llu: %s", (unsigned long long)epoch, err);
}

/* <dir>/<name> */
static void join(char out[PATH_MAX], const char *dir, const char *name)
{
    assert_true(snprintf(out, PATH_MAX, "%s/%s", dir, name) < PATH_MAX);
}

static void epoch_file(const struct layout_job *job, uint64_t epoch, const char *name,
                       char path[PATH_MAX])
{
    assert_int_equal(layout_epoch_path(job, epoch, name, path), 0);
}

/* Flips one byte of a file, in place. */
static void flip_byte(const char *path, off_t at)
{
    int fd = open(path, O_RDWR);
    unsigned char c;
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, &c, 1, at), 1);
    c ^= 0x40;
    assert_int_equal(pwrite(fd, &c, 1, at), 1);
    close(fd);
}

static int count_entries(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* Collects the problems layout_epoch_verify reports, one per line. */
struct problems {
    char text[8192];
};

static void collect(void *ctx, const char *problem)
{
    struct problems *p = ctx;
    size_t used = strlen(p->text);
    snprintf(p->text + used, sizeof p->text - used, "%s\n", problem);
}

/* The recovery line found with `check`, or -1 for none; the fallback lines
 * go to `log` (a memory stream), or nowhere. */
static long recovery_line(const struct layout_job *job, enum layout_check check, FILE *log)
{
    char err[LAYOUT_ERROR_MAX];
    uint64_t epoch;
    int rc = layout_find_recovery_line(job, check, log, &epoch, err);
    if (rc < 0)
        fail_msg("%s", err);
    return rc ? (long)epoch : -1;
}

/* ---- atomic writes ---------------------------------------------------- */

static void test_atomic_write_replaces_whole_file(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX], err[LAYOUT_ERROR_MAX];
    uint64_t size, sum;
    join(path, fx->root, "file");
    assert_int_equal(atomic_write_file(path, "first version", 13, err), 0);
    assert_int_equal(atomic_write_file(path, "second", 6, err), 0);
    assert_int_equal(layout_file_sum(path, &size, &sum, err), 0);
    assert_int_equal(size, 6);
    assert_true(sum == xxh64("second", 6, 0));
    assert_int_equal(count_entries(fx->root, "."), 2); /* only . and .. */
}

static void test_atomic_file_tracks_size_and_checksum(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX], err[LAYOUT_ERROR_MAX];
    struct atomic_file f;
    struct stat st;
    join(path, fx->root, "streamed");
    assert_int_equal(atomic_file_open(&f, path, err), 0);
    assert_int_equal(atomic_file_write(&f, "hello ", 6, err), 0);
    /* Until committed, the final name does not exist. */
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(atomic_file_write(&f, "world", 5, err), 0);
    assert_int_equal(atomic_file_commit(&f, err), 0);
    assert_int_equal(f.size, 11);
    assert_true(f.xxh64 == xxh64("hello world", 11, 0));
    assert_int_equal(stat(path, &st), 0);
}

static void test_atomic_abort_leaves_nothing(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX], err[LAYOUT_ERROR_MAX];
    struct atomic_file f;
    join(path, fx->root, "abandoned");
    assert_int_equal(atomic_file_open(&f, path, err), 0);
    assert_int_equal(atomic_file_write(&f, "partial", 7, err), 0);
    atomic_file_abort(&f);
    assert_int_equal(count_entries(fx->root, "."), 2);
    assert_int_equal(count_entries(fx->root, "abandoned"), 0);
}

static void test_atomic_write_error_names_path_and_errno(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX], err[LAYOUT_ERROR_MAX];
    join(path, fx->root, "no-such-dir/file");
    assert_int_equal(atomic_write_file(path, "x", 1, err), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(err, "no-such-dir"));
    assert_non_null(strstr(err, strerror(ENOENT)));
}

/* ---- job.json ---------------------------------------------------------- */

static void test_job_json_round_trip(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX];
    char *argv[] = { "./a \"quoted\"", "tab\there\nnewline", "back\\slash", "\xc3\xa9t\xc3\xa9" };
    char *env[] = { "A=1", "EMPTY=", "WITH_EQ=x=y" };
    struct layout_job_info in = { .id = "job-2", .np = 64, .protocol = "causal",
                                  .binary_xxh64 = 0xfedcba9876543210ULL, .created = 1735732800,
                                  .argc = 4, .argv = argv, .envc = 3, .env = env };
    struct layout_job job;
    struct layout_job_info out;
    assert_int_equal(layout_job_create(&job, fx->root, &in, err), 0);
    assert_int_equal(layout_job_info_read(&job, &out, err), 0);
    assert_string_equal(out.id, "job-2");
    assert_int_equal(out.np, 64);
    assert_string_equal(out.protocol, "causal");
    assert_true(out.binary_xxh64 == in.binary_xxh64);
    assert_int_equal(out.created, 1735732800);
    assert_int_equal(out.argc, 4);
    for (int i = 0; i < 4; i++)
        assert_string_equal(out.argv[i], argv[i]);
    assert_int_equal(out.envc, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(out.env[i], env[i]);
    layout_job_info_free(&out);
}

/* A new job directory has a place for every per-rank file the keepers
 * write outside the epochs, among them the copies of each rank's output. */
static void test_job_directory_has_the_per_rank_places(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX], path[PATH_MAX], want[PATH_MAX + 64];
    struct layout_job_info in = { .id = "job-3", .np = 2, .protocol = "coordinated" };
    struct layout_job job;
    struct stat st;
    assert_int_equal(layout_job_create(&job, fx->root, &in, err), 0);
    assert_int_equal(layout_output_copy_path(&job, 1, 0, path), 0);
    snprintf(want, sizeof want, "%s/job-3/output/rank-1.stdout", fx->root);
    assert_string_equal(path, want);
    assert_int_equal(layout_output_copy_path(&job, 1, 1, path), 0);
    snprintf(want, sizeof want, "%s/job-3/output/rank-1.stderr", fx->root);
    assert_string_equal(path, want);
    int fd = open(path, O_WRONLY | O_CREAT, 0644); /* its directory exists */
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(layout_output_path(&job, 0, path), 0);
    *strrchr(path, '/') = '\0';
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
}

/* The reader takes JSON as anyone may write it: other field order, unknown
 * fields, every escape; only the checksum must come last. */
static void test_job_json_reader_takes_any_json(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX], path[PATH_MAX], text[1024];
    struct layout_job_info info;
    const char *body =
        "{\"created\": 7, \"future\": {\"a\": [1, 2.5e3, true, null, \"x\"]},\n"
        "\"argv\": [\"caf\\u00e9\", \"\\ud83d\\ude00\", \"a\\/b\\\"c\\td\"], \"env\": {},"
        "\"np\": 2, \"protocol\": \"none\", \"id\": \"j\", \"format\": \"mpickpt-job 1\","
        "\"binary_xxh64\": \"00000000000000ff\", ";
    int len = snprintf(text, sizeof text, "%s\"xxh64\": \"%016llx\"}\n", body,
                       (unsigned long long)xxh64(body, strlen(body), 0));
    join(path, fx->job.dir, "job.json");
    assert_int_equal(atomic_write_file(path, text, (size_t)len, err), 0);
    if (layout_job_info_read(&fx->job, &info, err) < 0)
        fail_msg("%s", err);
    assert_int_equal(info.created, 7);
    assert_int_equal(info.np, 2);
    assert_true(info.binary_xxh64 == 0xff);
    assert_int_equal(info.argc, 3);
    assert_string_equal(info.argv[0], "caf\xc3\xa9");
    assert_string_equal(info.argv[1], "\xf0\x9f\x98\x80");
    assert_string_equal(info.argv[2], "a/b\"c\td");
    assert_int_equal(info.envc, 0);
    layout_job_info_free(&info);
    /* A missing field is named. */
    body = "{\"id\": \"j\", ";
    len = snprintf(text, sizeof text, "%s\"xxh64\": \"%016llx\"}", body,
                   (unsigned long long)xxh64(body, strlen(body), 0));
    assert_int_equal(atomic_write_file(path, text, (size_t)len, err), 0);
    assert_int_equal(layout_job_info_read(&fx->job, &info, err), -1);
    assert_non_null(strstr(err, "\"format\" is missing"));
}

static void test_job_json_damage_is_detected(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX], path[PATH_MAX];
    struct layout_job_info info;
    join(path, fx->job.dir, "job.json");
    flip_byte(path, 40); /* inside the "id" value: still valid JSON */
    assert_int_equal(layout_job_info_read(&fx->job, &info, err), -1);
    assert_non_null(strstr(err, "job.json"));
    assert_non_null(strstr(err, "checksum mismatch"));
}

static void test_job_create_refuses_existing_job_and_bad_id(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX], id[LAYOUT_ID_MAX];
    struct layout_job job;
    struct layout_job_info info = { .id = "job-1", .np = 1, .protocol = "none" };
    assert_int_equal(layout_job_create(&job, fx->root, &info, err), -1);
    assert_int_equal(errno, EEXIST);
    snprintf(info.id, sizeof info.id, "../escape");
    assert_int_equal(layout_job_create(&job, fx->root, &info, err), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(layout_job_id_new(id, err), 0);
    assert_int_equal(layout_id_check(id), 0);
}

static void test_jobs_are_listed_by_name(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX], path[PATH_MAX], **ids;
    size_t n;
    make_job(fx, "job-0");
    join(path, fx->root, "not-a-job");
    assert_int_equal(mkdir(path, 0755), 0);
    assert_int_equal(layout_list_jobs(fx->root, &ids, &n, err), 0);
    assert_int_equal(n, 2);
    assert_string_equal(ids[0], "job-0");
    assert_string_equal(ids[1], "job-1");
    for (size_t i = 0; i < n; i++)
        free(ids[i]);
    free(ids);
}

/* ---- commit rules ------------------------------------------------------ */

static void test_uncommitted_epoch_does_not_exist_for_recovery(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX];
    struct layout_epoch *e;
    size_t n;
    assert_int_equal(write_epoch(&fx->job, 1, 0, err), 0);
    assert_int_equal(layout_list_epochs(&fx->job, &e, &n, err), 0);
    assert_int_equal(n, 1);
    assert_false(e[0].committed);
    free(e);
    assert_int_equal(recovery_line(&fx->job, LAYOUT_CHECK_FULL, NULL), -1);
    /* Verifying it says why: it is not committed. */
    struct problems p = { "" };
    assert_int_equal(layout_epoch_verify(&fx->job, 1, LAYOUT_CHECK_FULL, collect, &p), 1);
    assert_non_null(strstr(p.text, "COMMITTED"));
}

static void test_commit_makes_a_recovery_line(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX];
    struct layout_manifest m;
    commit_epoch(&fx->job, 1);
    assert_int_equal(recovery_line(&fx->job, LAYOUT_CHECK_FULL, NULL), 1);
    assert_int_equal(layout_epoch_verify(&fx->job, 1, LAYOUT_CHECK_FULL, NULL, NULL), 0);
    assert_int_equal(layout_manifest_read(&fx->job, 1, &m, err), 0);
    assert_int_equal(m.count, FILES);
    assert_string_equal(m.files[0].name, "rank-0.img");
    assert_string_equal(m.files[1].name, "rank-0.keeper");
    assert_true(m.files[0].raw_size == 4 * m.files[0].size);
    assert_int_equal(m.files[1].raw_size, 0);
    layout_manifest_free(&m);
}

static void test_committed_epoch_is_never_rewritten(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX];
    struct layout_entry e = { .name = "rank-0.img" };
    commit_epoch(&fx->job, 1);
    assert_int_equal(layout_epoch_create(&fx->job, 1, err), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(layout_epoch_commit(&fx->job, 1, &e, 1, err), -1);
    assert_int_equal(errno, EEXIST);
    assert_int_equal(layout_epoch_verify(&fx->job, 1, LAYOUT_CHECK_FULL, NULL, NULL), 0);
}

static void test_commit_checks_files_before_vouching(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX], path[PATH_MAX];
    struct layout_entry e[2];
    struct stat st;
    assert_int_equal(layout_epoch_create(&fx->job, 1, err), 0);
    assert_int_equal(write_one(&fx->job, 1, 0, LAYOUT_IMAGE, &e[0], err), 0);
    e[1] = e[0];
    snprintf(e[1].name, sizeof e[1].name, "rank-1.img"); /* never written */
    assert_int_equal(layout_epoch_commit(&fx->job, 1, e, 2, err), -1);
    assert_non_null(strstr(err, "rank-1.img"));
    e[0].size++;                                            /* wrong size */
    assert_int_equal(layout_epoch_commit(&fx->job, 1, e, 1, err), -1);
    assert_non_null(strstr(err, "rank-0.img"));
    e[0].size--;
    assert_int_equal(layout_epoch_commit(&fx->job, 1, e, 0, err), -1);
    e[1] = e[0];                                            /* duplicate */
    assert_int_equal(layout_epoch_commit(&fx->job, 1, e, 2, err), -1);
    snprintf(e[1].name, sizeof e[1].name, "COMMITTED");     /* reserved */
    assert_int_equal(layout_epoch_commit(&fx->job, 1, e, 2, err), -1);
    epoch_file(&fx->job, 1, "COMMITTED", path);
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(layout_epoch_commit(&fx->job, 1, e, 1, err), 0);
}

/* ---- verification and fallback ----------------------------------------- */

static void test_corrupted_byte_falls_back_to_previous_epoch(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX], *log_text = NULL;
    size_t log_len;
    struct problems p = { "" };
    for (uint64_t n = 1; n <= 3; n++)
        commit_epoch(&fx->job, n);
    epoch_file(&fx->job, 3, "rank-1.img", path);
    flip_byte(path, 100);
    assert_int_equal(layout_epoch_verify(&fx->job, 3, LAYOUT_CHECK_FULL, collect, &p), 1);
    assert_non_null(strstr(p.text, "epochs/3/rank-1.img: checksum mismatch"));
    /* Sizes alone cannot see a flipped byte; the full check does. */
    assert_int_equal(recovery_line(&fx->job, LAYOUT_CHECK_SIZES, NULL), 3);
    FILE *log = open_memstream(&log_text, &log_len);
    assert_int_equal(recovery_line(&fx->job, LAYOUT_CHECK_FULL, log), 2);
    fclose(log);
    assert_non_null(strstr(log_text, "epoch 3 is not a usable recovery line"));
    assert_non_null(strstr(log_text, "rank-1.img"));
    assert_non_null(strstr(log_text, "falling back to epoch 2"));
    assert_true(strchr(log_text, '\n') == log_text + log_len - 1); /* one line */
    free(log_text);
}

static void test_missing_file_falls_back(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX];
    struct problems p = { "" };
    commit_epoch(&fx->job, 1);
    commit_epoch(&fx->job, 2);
    epoch_file(&fx->job, 2, "rank-2.keeper", path);
    assert_int_equal(unlink(path), 0);
    assert_int_equal(layout_epoch_verify(&fx->job, 2, LAYOUT_CHECK_SIZES, collect, &p), 1);
    assert_non_null(strstr(p.text, "epochs/2/rank-2.keeper: missing"));
    assert_int_equal(recovery_line(&fx->job, LAYOUT_CHECK_SIZES, NULL), 1);
}

static void test_truncated_file_and_unlisted_file_are_problems(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX], err[LAYOUT_ERROR_MAX];
    struct problems p = { "" };
    commit_epoch(&fx->job, 1);
    epoch_file(&fx->job, 1, "rank-0.img", path);
    assert_int_equal(truncate(path, 10), 0);
    epoch_file(&fx->job, 1, "stray", path);
    assert_int_equal(atomic_write_file(path, "?", 1, err), 0);
    assert_int_equal(layout_epoch_verify(&fx->job, 1, LAYOUT_CHECK_SIZES, collect, &p), 2);
    assert_non_null(strstr(p.text, "rank-0.img: 10 bytes, the manifest says"));
    assert_non_null(strstr(p.text, "epochs/1/stray: not listed in the manifest"));
}

static void test_damaged_manifest_or_committed_voids_the_epoch(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX], *log_text = NULL;
    size_t log_len;
    struct problems p = { "" };
    commit_epoch(&fx->job, 1);
    commit_epoch(&fx->job, 2);
    epoch_file(&fx->job, 2, "MANIFEST", path);
    flip_byte(path, 30);
    assert_int_equal(layout_epoch_verify(&fx->job, 2, LAYOUT_CHECK_SIZES, collect, &p), 1);
    assert_non_null(strstr(p.text, "MANIFEST: checksum mismatch"));
    assert_int_equal(recovery_line(&fx->job, LAYOUT_CHECK_SIZES, NULL), 1);
    epoch_file(&fx->job, 1, "COMMITTED", path);
    flip_byte(path, 25);
    FILE *log = open_memstream(&log_text, &log_len);
    assert_int_equal(recovery_line(&fx->job, LAYOUT_CHECK_SIZES, log), -1);
    fclose(log);
    assert_non_null(strstr(log_text, "no older committed epoch"));
    free(log_text);
}

/* ---- retention --------------------------------------------------------- */

static void assert_epochs(const struct layout_job *job, const char *expected)
{
    char err[LAYOUT_ERROR_MAX], text[256] = "";
    struct layout_epoch *e;
    size_t n;
    assert_int_equal(layout_list_epochs(job, &e, &n, err), 0);
    for (size_t i = 0; i < n; i++)
        snprintf(text + strlen(text), sizeof text - strlen(text), "%s%llu%s", i ? " " : "",
                 (unsigned long long)e[i].number, e[i].committed ? "" : "u");
    free(e);
    assert_string_equal(text, expected);
}

static void test_retention_keeps_newest_committed(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX], path[PATH_MAX];
    commit_epoch(&fx->job, 1);
    assert_int_equal(write_epoch(&fx->job, 2, 0, err), 0);  /* a crash's leftover */
    commit_epoch(&fx->job, 3);
    commit_epoch(&fx->job, 4);
    assert_int_equal(write_epoch(&fx->job, 5, 0, err), 0);  /* being written */
    join(path, fx->job.dir, "epochs/.removing-9");
    assert_int_equal(mkdir(path, 0755), 0);                 /* interrupted removal */
    assert_epochs(&fx->job, "1 2u 3 4 5u");
    assert_int_equal(layout_retain(&fx->job, LAYOUT_KEEP_DEFAULT, err), 0);
    assert_epochs(&fx->job, "3 4 5u");
    join(path, fx->job.dir, "epochs");
    assert_int_equal(count_entries(path, "."), 2);
    assert_int_equal(layout_retain(&fx->job, 1, err), 0);
    assert_epochs(&fx->job, "4 5u");
    assert_int_equal(layout_retain(&fx->job, 0, err), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(recovery_line(&fx->job, LAYOUT_CHECK_FULL, NULL), 4);
}

static void test_retention_without_committed_epoch_keeps_everything(void **state)
{
    struct fixture *fx = *state;
    char err[LAYOUT_ERROR_MAX];
    assert_int_equal(write_epoch(&fx->job, 1, 0, err), 0);
    assert_int_equal(layout_retain(&fx->job, 1, err), 0);
    assert_epochs(&fx->job, "1u");
}

/* ---- crashes ------------------------------------------------------------- */

#define CRASHES 60

/* The child: what a job's ranks and coordinator do, forever, from the
 * recovery line on (crash-only: starting is recovering, and recovering
 * includes the retention an earlier crash may have cut short). */
static _Noreturn void writer(const struct layout_job *job)
{
    char err[LAYOUT_ERROR_MAX];
    uint64_t epoch;
    int found = layout_find_recovery_line(job, LAYOUT_CHECK_SIZES, NULL, &epoch, err);
    if (found < 0 || layout_retain(job, LAYOUT_KEEP_DEFAULT, err) < 0)
        goto fail;
    for (uint64_t n = found ? epoch + 1 : 1;; n++)
        if (write_epoch(job, n, 1, err) < 0 || layout_retain(job, LAYOUT_KEEP_DEFAULT, err) < 0)
            goto fail;
fail:
    fprintf(stderr, "writer: %s\n", err);
    _exit(1);
}

/* The recovery line is complete: exactly the files every rank wrote, each
 * with exactly the bytes written, whatever the manifest claims. */
static void assert_complete(const struct layout_job *job, uint64_t epoch)
{
    char err[LAYOUT_ERROR_MAX], path[PATH_MAX];
    struct layout_manifest m;
    assert_int_equal(layout_manifest_read(job, epoch, &m, err), 0);
    assert_int_equal(m.count, FILES);
    for (int r = 0; r < RANKS; r++) {
        for (int kind = LAYOUT_IMAGE; kind <= LAYOUT_KEEPER; kind++) {
            char name[LAYOUT_NAME_MAX];
            unsigned char *want, *got;
            layout_rank_name(r, (enum layout_rank_file)kind, name);
            size_t len = content(epoch, name, &want);
            got = malloc(len + 1);
            assert_int_equal(layout_rank_path(job, epoch, r, (enum layout_rank_file)kind, path), 0);
            int fd = open(path, O_RDONLY);
            assert_true(fd >= 0);
            assert_int_equal(read(fd, got, len + 1), (ssize_t)len);
            close(fd);
            assert_memory_equal(got, want, len);
            free(got);
            free(want);
        }
    }
    layout_manifest_free(&m);
}

/* After a crash, every committed epoch must verify in full, the newest
 * being the recovery line: a crash can cost an epoch (not yet committed, or
 * being removed by retention), never leave a partial one. */
static long check_after_crash(const struct layout_job *job)
{
    char err[LAYOUT_ERROR_MAX];
    struct layout_epoch *e;
    size_t n, committed = 0;
    long newest = -1;
    assert_int_equal(layout_list_epochs(job, &e, &n, err), 0);
    for (size_t i = 0; i < n; i++) {
        struct problems p = { "" };
        if (!e[i].committed)
            continue;
        if (layout_epoch_verify(job, e[i].number, LAYOUT_CHECK_FULL, collect, &p) != 0)
            fail_msg("epoch %llu committed but broken:\n%s", (unsigned long long)e[i].number,
                     p.text);
        newest = (long)e[i].number;
        committed++;
    }
    free(e);
    /* Retention runs after each commit: at most one epoch more than kept. */
    assert_true(committed <= LAYOUT_KEEP_DEFAULT + 1);
    if (newest < 0)
        return -1;
    assert_int_equal(recovery_line(job, LAYOUT_CHECK_FULL, NULL), newest);
    assert_complete(job, (uint64_t)newest);
    return newest;
}

/* Mean time to write and commit one epoch here, in ns (the disk sets the
 * pace): the crashes are spread over a few epochs' time. */
static long epoch_duration(const struct layout_job *job, uint64_t epochs)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (uint64_t n = 1; n <= epochs; n++)
        commit_epoch(job, n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return ((t1.tv_sec - t0.tv_sec) * 1000000000L + t1.tv_nsec - t0.tv_nsec) / (long)epochs;
}

static void test_sigkill_never_leaves_a_partial_recovery_line(void **state)
{
    struct fixture *fx = *state;
    long previous = 3, base = 3 * epoch_duration(&fx->job, 3) / 1000 + 1; /* us */
    long window = base;
    int advanced = 0;
    srand((unsigned)getpid());
    for (int i = 0; i < CRASHES; i++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0)
            writer(&fx->job);
        /* Anywhere in the first epochs' writes, commits, retention. */
        useconds_t delay = (useconds_t)(rand() % window);
        usleep(delay);
        int status;
        kill(pid, SIGKILL);
        assert_int_equal(waitpid(pid, &status, 0), pid);
        if (!WIFSIGNALED(status))
            fail_msg("the writer exited by itself (status %d)", WEXITSTATUS(status));
        long newest = check_after_crash(&fx->job);
        /* Committed epochs never go away without a newer one. */
        assert_true(newest >= previous);
        advanced += newest > previous;
        /* Follow the disk's pace (other work, journal commits): widen the
         * window after a crash that cost every epoch, narrow it back after
         * one that did not. */
        if (newest == previous && window < 1000000)
            window *= 2;
        else if (newest > previous && window / 2 >= base)
            window /= 2;
        previous = newest;
    }
    /* Commits happened between the crashes, so the crashes hit them. */
    assert_true(advanced >= CRASHES / 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_atomic_write_replaces_whole_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_file_tracks_size_and_checksum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_abort_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_atomic_write_error_names_path_and_errno, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_job_json_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_directory_has_the_per_rank_places, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_job_json_reader_takes_any_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_json_damage_is_detected, setup, teardown),
        cmocka_unit_test_setup_teardown(test_job_create_refuses_existing_job_and_bad_id, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_jobs_are_listed_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_uncommitted_epoch_does_not_exist_for_recovery, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_commit_makes_a_recovery_line, setup, teardown),
        cmocka_unit_test_setup_teardown(test_committed_epoch_is_never_rewritten, setup, teardown),
        cmocka_unit_test_setup_teardown(test_commit_checks_files_before_vouching, setup, teardown),
        cmocka_unit_test_setup_teardown(test_corrupted_byte_falls_back_to_previous_epoch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_missing_file_falls_back, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_file_and_unlisted_file_are_problems, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_damaged_manifest_or_committed_voids_the_epoch, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_retention_keeps_newest_committed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_retention_without_committed_epoch_keeps_everything,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_sigkill_never_leaves_a_partial_recovery_line, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
