/*
 * mpickpt_admin.c — `mpickpt`, the admin CLI for checkpoint directories:
 *
 *   mpickpt list DIR                 jobs, epochs, sizes, ratio, age
 *   mpickpt verify DIR [--epoch N]   every byte against the manifests
 *   mpickpt info IMAGE               what a process image holds (verified)
 *   mpickpt checkpoint JOBDIR        asks a running job for a checkpoint
 *
 * DIR is a checkpoint directory ($MPICKPT_DIR, holding jobs) or one job's
 * directory. Everything goes through storage/layout.h and
 * storage/image_format.h: this file only formats what they report.
 *
 * Exit status: 0 all good, 1 a problem was found (each on one line),
 * 2 bad usage (one line on stderr).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storage/image_format.h"
#include "storage/layout.h"

#define EXIT_PROBLEM 1
#define EXIT_USAGE 2

struct command {
    const char *name;
    const char *synopsis;
    const char *help;
    int (*run)(int argc, char **argv);
};

static const struct command *find_command(const char *name);

static void command_help(const struct command *c, FILE *out)
{
    fprintf(out, "Usage: mpickpt %s %s\n%s", c->name, c->synopsis, c->help);
}

/* One line on stderr, e.g. "mpickpt verify: unknown option: -x (see
 * mpickpt verify --help)"; returns the exit status of bad usage. */
static int usage_error(const char *command, const char *what, const char *arg)
{
    const char *sep = command ? " " : "";
    command = command ? command : "";
    fprintf(stderr, "mpickpt%s%s: %s%s%s (see mpickpt %s%s--help)\n", sep, command, what,
            arg ? ": " : "", arg ? arg : "", command, sep);
    return EXIT_USAGE;
}

/* Parses `mpickpt NAME [--epoch N] ARG` (--epoch only where `epoch` is
 * not NULL). Returns -1 to go on, or the exit status to stop with: 0 after
 * --help, EXIT_USAGE after a usage error. */
static int parse_args(const struct command *c, int argc, char **argv, const char **arg,
                      const char **epoch)
{
    *arg = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            command_help(c, stdout);
            return 0;
        }
        if (epoch && strcmp(argv[i], "--epoch") == 0 && i + 1 == argc)
            return usage_error(c->name, "--epoch needs a value", NULL);
        if (epoch && strcmp(argv[i], "--epoch") == 0)
            *epoch = argv[++i];
        else if (epoch && strncmp(argv[i], "--epoch=", 8) == 0)
            *epoch = argv[i] + 8;
        else if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error(c->name, "unknown option", argv[i]);
        else if (*arg)
            return usage_error(c->name, "one argument expected, extra", argv[i]);
        else
            *arg = argv[i];
    }
    if (!*arg)
        return usage_error(c->name, "missing argument", c->synopsis);
    return -1;
}

/* ---- formatting ---------------------------------------------------------- */

static void human_size(uint64_t bytes, char out[32])
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)bytes;
    int u = 0;
    while (v >= 1024 && u < 4) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(out, 32, "%" PRIu64 " B", bytes);
    else
        snprintf(out, 32, "%.1f %s", v, units[u]);
}

static void human_age(time_t then, char out[32])
{
    long long s = (long long)(time(NULL) - then);
    if (s < 0)
        s = 0;
    if (s < 120)
        snprintf(out, 32, "%llds", s);
    else if (s < 7200)
        snprintf(out, 32, "%lldm", s / 60);
    else if (s < 172800)
        snprintf(out, 32, "%lldh%02lldm", s / 3600, s / 60 % 60);
    else
        snprintf(out, 32, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

/* ---- the jobs a DIR argument names ---------------------------------------- */

struct jobs {
    size_t count;
    struct layout_job *job;
};

static int out_of_memory(char err[LAYOUT_ERROR_MAX])
{
    snprintf(err, LAYOUT_ERROR_MAX, "out of memory");
    return -1;
}

/* DIR is one job (it has job.json) or a checkpoint directory of jobs. */
static int find_jobs(const char *dir, struct jobs *jobs, char err[LAYOUT_ERROR_MAX])
{
    char **ids;
    size_t n;
    jobs->count = 0;
    jobs->job = malloc(sizeof *jobs->job);
    if (!jobs->job)
        return out_of_memory(err);
    if (layout_job_open(&jobs->job[0], dir, err) == 0) {
        jobs->count = 1;
        return 0;
    }
    if (layout_list_jobs(dir, &ids, &n, err) < 0)
        return -1;
    struct layout_job *all = n ? realloc(jobs->job, n * sizeof *all) : jobs->job;
    jobs->job = all ? all : jobs->job;
    for (size_t i = 0; i < n; i++) {
        if (all && snprintf(all[jobs->count].dir, PATH_MAX, "%s/%s", dir, ids[i]) < PATH_MAX)
            jobs->count++;
        free(ids[i]);
    }
    free(ids);
    return all ? 0 : out_of_memory(err);
}

/* ---- list ------------------------------------------------------------------ */

static void list_job_header(const struct layout_job *job, int *problems)
{
    struct layout_job_info info;
    char err[LAYOUT_ERROR_MAX], age[32];
    if (layout_job_info_read(job, &info, err) < 0) {
        printf("job %s\n  problem: %s\n", job->dir, err);
        ++*problems;
        return;
    }
    human_age((time_t)info.created, age);
    printf("job %s  np %d  protocol %s  created %s ago  %s\n", info.id, info.np, info.protocol,
           age, job->dir);
    layout_job_info_free(&info);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

static void first_problem(void *ctx, const char *problem)
{
    char *first = ctx;
    if (first[0] == '\0')
        snprintf(first, LAYOUT_ERROR_MAX, "%s", problem);
}

/* "  epoch 5  committed  8 files  412.0 MiB  ratio 4.25  age 12m" */
static void list_committed(const struct layout_job *job, uint64_t epoch, int *problems)
{
    struct layout_manifest m;
    char err[LAYOUT_ERROR_MAX] = "", path[PATH_MAX], size[32], age[32] = "?";
    struct stat st;
    if (layout_epoch_verify(job, epoch, LAYOUT_CHECK_SIZES, first_problem, err) != 0 ||
        layout_manifest_read(job, epoch, &m, err) < 0) {
        printf("  epoch %" PRIu64 "  damaged: %s\n", epoch, err);
        ++*problems;
        return;
    }
    uint64_t total = 0, img = 0, raw = 0;
    int raw_known = 1, images = 0;
    for (size_t i = 0; i < m.count; i++) {
        total += m.files[i].size;
        if (!ends_with(m.files[i].name, ".img"))
            continue;
        images++;
        img += m.files[i].size;
        raw += m.files[i].raw_size;
        raw_known &= m.files[i].raw_size > 0;
    }
    human_size(total, size);
    if (layout_epoch_path(job, epoch, "COMMITTED", path) == 0 && stat(path, &st) == 0)
        human_age(st.st_mtime, age);
    printf("  epoch %" PRIu64 "  committed  %zu files  %s", epoch, m.count, size);
    if (images > 0 && raw_known && img > 0)
        printf("  ratio %.2f", (double)raw / (double)img);
    printf("  age %s\n", age);
    layout_manifest_free(&m);
}

/* An uncommitted epoch: being written, or the leftover of a crash. */
static void list_uncommitted(const struct layout_job *job, uint64_t epoch)
{
    char dir[PATH_MAX], age[32] = "?";
    struct stat st;
    if (layout_epoch_path(job, epoch, NULL, dir) == 0 && stat(dir, &st) == 0)
        human_age(st.st_mtime, age);
    printf("  epoch %" PRIu64 "  not committed (being written, or left by a crash)  age %s\n",
           epoch, age);
}

static void list_job(const struct layout_job *job, int *problems)
{
    struct layout_epoch *e;
    size_t n;
    char err[LAYOUT_ERROR_MAX];
    list_job_header(job, problems);
    if (layout_list_epochs(job, &e, &n, err) < 0) {
        printf("  problem: %s\n", err);
        ++*problems;
        return;
    }
    if (n == 0)
        printf("  no epochs\n");
    for (size_t i = 0; i < n; i++) {
        if (e[i].committed)
            list_committed(job, e[i].number, problems);
        else
            list_uncommitted(job, e[i].number);
    }
    free(e);
}

static int cmd_list(int argc, char **argv)
{
    const char *dir;
    char err[LAYOUT_ERROR_MAX];
    struct jobs jobs;
    int problems = 0;
    int rc = parse_args(find_command("list"), argc, argv, &dir, NULL);
    if (rc >= 0)
        return rc;
    if (find_jobs(dir, &jobs, err) < 0) {
        fprintf(stderr, "mpickpt list: %s\n", err);
        return EXIT_PROBLEM;
    }
    if (jobs.count == 0)
        printf("no jobs in %s\n", dir);
    for (size_t i = 0; i < jobs.count; i++)
        list_job(&jobs.job[i], &problems);
    free(jobs.job);
    return problems ? EXIT_PROBLEM : 0;
}

/* ---- verify ---------------------------------------------------------------- */

static void print_problem(void *ctx, const char *problem)
{
    (void)ctx;
    printf("%s\n", problem);
}

static int verify_epoch(const struct layout_job *job, uint64_t epoch)
{
    struct layout_manifest m;
    char err[LAYOUT_ERROR_MAX], size[32];
    int problems = layout_epoch_verify(job, epoch, LAYOUT_CHECK_FULL, print_problem, NULL);
    if (problems == 0 && layout_manifest_read(job, epoch, &m, err) == 0) {
        uint64_t total = 0;
        for (size_t i = 0; i < m.count; i++)
            total += m.files[i].size;
        human_size(total, size);
        printf("%s/epochs/%" PRIu64 ": ok, %zu files, %s\n", job->dir, epoch, m.count, size);
        layout_manifest_free(&m);
    }
    return problems;
}

/* `only` is the --epoch number, or NULL for every committed epoch. */
static int verify_job(const struct layout_job *job, const uint64_t *only)
{
    struct layout_job_info info;
    struct layout_epoch *e;
    char err[LAYOUT_ERROR_MAX];
    size_t n;
    int problems = 0, found = 0;
    if (layout_job_info_read(job, &info, err) < 0) {
        printf("%s\n", err);
        problems++;
    } else {
        layout_job_info_free(&info);
    }
    if (layout_list_epochs(job, &e, &n, err) < 0) {
        printf("%s\n", err);
        return problems + 1;
    }
    for (size_t i = 0; i < n; i++) {
        if (only && e[i].number != *only)
            continue;
        found = 1;
        if (e[i].committed)
            problems += verify_epoch(job, e[i].number);
        else if (only && ++problems)
            printf("%s/epochs/%" PRIu64 ": not committed\n", job->dir, e[i].number);
        else
            printf("%s/epochs/%" PRIu64 ": not committed, skipped\n", job->dir, e[i].number);
    }
    free(e);
    if (only && !found && ++problems)
        printf("%s/epochs/%" PRIu64 ": no such epoch\n", job->dir, *only);
    return problems;
}

static int parse_epoch(const char *text, uint64_t *out)
{
    char *end;
    if (text[0] < '0' || text[0] > '9')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (*end != '\0' || errno)
        return -1;
    *out = v;
    return 0;
}

static int cmd_verify(int argc, char **argv)
{
    const char *dir, *epoch_arg = NULL;
    char err[LAYOUT_ERROR_MAX];
    struct jobs jobs;
    uint64_t epoch;
    int problems = 0;
    const struct command *c = find_command("verify");
    int rc = parse_args(c, argc, argv, &dir, &epoch_arg);
    if (rc >= 0)
        return rc;
    if (epoch_arg && parse_epoch(epoch_arg, &epoch) < 0)
        return usage_error(c->name, "--epoch expects an epoch number, not", epoch_arg);
    if (find_jobs(dir, &jobs, err) < 0) {
        fprintf(stderr, "mpickpt verify: %s\n", err);
        return EXIT_PROBLEM;
    }
    if (jobs.count == 0) {
        printf("%s: no jobs\n", dir);
        problems++;
    }
    for (size_t i = 0; i < jobs.count; i++)
        problems += verify_job(&jobs.job[i], epoch_arg ? &epoch : NULL);
    free(jobs.job);
    if (problems)
        printf("%d problem%s found\n", problems, problems == 1 ? "" : "s");
    return problems ? EXIT_PROBLEM : 0;
}

/* ---- info -------------------------------------------------------------------- */

static const char *region_kind(uint32_t kind)
{
    static const char *const names[] = { "?", "anon", "file", "file-shared", "shared-anon", "vdso" };
    return kind < sizeof names / sizeof names[0] ? names[kind] : "?";
}

static void print_image(const char *path, const struct img_view *v)
{
    char raw[32], comp[32], when[64];
    uint64_t comp_bytes = 0;
    time_t created = (time_t)v->hdr->created_sec;
    struct tm tm;
    for (size_t i = 0; i < v->n_chunks; i++)
        comp_bytes += v->chunks[i].comp_len;
    human_size(v->hdr->raw_bytes, raw);
    human_size(comp_bytes, comp);
    if (!gmtime_r(&created, &tm) || !strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm))
        snprintf(when, sizeof when, "%" PRId64, v->hdr->created_sec);
    printf("%s: mpickpt image version %u, verified\n", path, v->hdr->version);
    printf("  program   %s (pid %" PRId64 ")\n", v->hdr->exe_path, v->hdr->pid);
    printf("  created   %s\n", when);
    printf("  memory    %s in %zu chunks, compressed to %s", raw, v->n_chunks, comp);
    if (comp_bytes > 0)
        printf(" (ratio %.2f)", (double)v->hdr->raw_bytes / (double)comp_bytes);
    printf("\n  regions   %zu\n", v->n_regions);
    for (size_t i = 0; i < v->n_regions; i++) {
        const struct img_region *r = &v->regions[i];
        printf("    %012" PRIx64 "-%012" PRIx64 " %c%c%c %s%s%s\n", r->start, r->end,
               r->prot & PROT_READ ? 'r' : '-', r->prot & PROT_WRITE ? 'w' : '-',
               r->prot & PROT_EXEC ? 'x' : '-', region_kind(r->kind), r->path[0] ? " " : "",
               r->path);
    }
}

/* Maps a whole file read-only (page aligned, as img_view_open needs). */
static const void *map_file(const char *path, size_t *size)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0) {
        fprintf(stderr, "mpickpt info: cannot open %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        fprintf(stderr, "mpickpt info: %s is not a regular file\n", path);
        close(fd);
        return NULL;
    }
    *size = (size_t)st.st_size;
    void *base = mmap(NULL, *size ? *size : 1, PROT_READ, MAP_PRIVATE, fd, 0);
    if (base == MAP_FAILED)
        fprintf(stderr, "mpickpt info: cannot map %s: %s\n", path, strerror(errno));
    close(fd);
    return base == MAP_FAILED ? NULL : base;
}

static int cmd_info(int argc, char **argv)
{
    const char *path;
    struct img_view v;
    size_t size;
    int rc = parse_args(find_command("info"), argc, argv, &path, NULL);
    if (rc >= 0)
        return rc;
    const void *base = map_file(path, &size);
    if (!base)
        return EXIT_PROBLEM;
    enum img_status s = img_view_open(base, size, &v);
    if (s == IMG_OK)
        print_image(path, &v);
    else
        printf("%s: not a valid image: %s\n", path, img_status_text(s));
    munmap((void *)base, size ? size : 1);
    return s == IMG_OK ? 0 : EXIT_PROBLEM;
}

/* ---- checkpoint -------------------------------------------------------------- */

/* Drops a CHECKPOINT file into the job's directory, which the job's
 * coordinator (launcher/coord_leader.c) takes, checkpoints and removes: it
 * works from any machine that sees the shared directory. */
static int cmd_checkpoint(int argc, char **argv)
{
    const char *dir;
    const struct command *c = find_command("checkpoint");
    int rc = parse_args(c, argc, argv, &dir, NULL);
    if (rc >= 0)
        return rc;
    struct layout_job job;
    char err[LAYOUT_ERROR_MAX], path[PATH_MAX];
    if (layout_job_open(&job, dir, err) != 0) {
        fprintf(stderr, "mpickpt checkpoint: %s\n", err);
        return EXIT_PROBLEM;
    }
    if (snprintf(path, sizeof path, "%s/CHECKPOINT", job.dir) >= (int)sizeof path) {
        fprintf(stderr, "mpickpt checkpoint: %s: path too long\n", job.dir);
        return EXIT_PROBLEM;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "mpickpt checkpoint: cannot create %s: %s\n", path, strerror(errno));
        return EXIT_PROBLEM;
    }
    close(fd);
    printf("asked %s for a checkpoint (its coordinator takes it within 0.1 s while the "
           "job runs)\n", job.dir);
    return 0;
}

/* ---- main ---------------------------------------------------------------- */

static const struct command commands[] = {
    { "list", "DIR",
      "Lists the jobs in DIR (a checkpoint directory, or one job's directory) and\n"
      "their epochs: committed or not, files, size, compression ratio when the\n"
      "images' uncompressed sizes are known, age. Checks sizes, not contents.\n"
      "Exit status: 0; 1 if a job or epoch is damaged; 2 for bad usage.\n",
      cmd_list },
    { "verify", "DIR [--epoch N]",
      "Checks every byte of every committed epoch in DIR (a checkpoint directory,\n"
      "or one job's directory) against its MANIFEST, and every job.json against\n"
      "its checksum. One line per problem, starting with the file concerned.\n"
      "  --epoch N   check only epoch N (it must exist and be committed)\n"
      "Exit status: 0 if everything checked is intact; 1 if a problem was found;\n"
      "2 for bad usage.\n",
      cmd_verify },
    { "info", "IMAGE",
      "Verifies a process image (every checksum) and shows what it holds: the\n"
      "program, when it was taken, memory and compression, the regions.\n"
      "Exit status: 0 for a valid image; 1 if it is not; 2 for bad usage.\n",
      cmd_info },
    { "checkpoint", "JOBDIR",
      "Asks the running job whose directory is JOBDIR (one job's directory under\n"
      "--dir) for a checkpoint now, from any machine that sees the directory: the\n"
      "job's coordinator notices within 0.1 s and checkpoints as for --interval.\n"
      "Exit status: 0 once asked; 1 if JOBDIR is not a job; 2 for bad usage.\n",
      cmd_checkpoint },
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: mpickpt COMMAND [ARGS]\n"
                 "Looks after mpickpt checkpoint directories.\n\nCommands:\n");
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].synopsis);
    fprintf(out, "\n`mpickpt COMMAND --help` describes each one.\n"
                 "Exit status: 0 all good; 1 a problem was found; 2 bad usage.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage_error(NULL, "missing command", "list, verify, info or checkpoint");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("mpickpt %s\n", PACKAGE_VERSION);
        return 0;
    }
    const struct command *c = find_command(argv[1]);
    if (!c)
        return usage_error(NULL, "unknown command", argv[1]);
    return c->run(argc - 1, argv + 1);
}
