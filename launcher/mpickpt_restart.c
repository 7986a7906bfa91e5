/*
 * mpickpt_restart.c — `mpickpt-restart`, relaunching a checkpointed job
 * (DESIGN §8, job recovery):
 *
 *   mpickpt-restart [--dry-run] JOBDIR [-- MPIRUN-OPTIONS...]
 *
 * Checks before anything runs, refusing with one line and exit status 2:
 * JOBDIR is a job directory (job.json reads back; a path that is missing,
 * not a directory, empty, foreign or the checkpoint root above the jobs
 * gets a line saying which), MPIRUN-OPTIONS ask for no other rank count
 * than the job's, its program is still the binary that was checkpointed
 * (XXH64 recorded in job.json), and it has a valid committed epoch (each
 * skipped epoch gets one line). Then it becomes
 *
 *   mpirun -np NP [-x MPICKPT_...] MPIRUN-OPTIONS mpickpt-run --restart=JOBDIR
 *
 * with NP from job.json and the settings the job ran with (job.json's
 * MPICKPT_* entries) in the environment, so the restarted job keeps
 * checkpointing as before. --dry-run prints that command line instead, as
 * one shell-quoted line, and exits 0.
 *
 * Invariants: nothing in JOBDIR is written, whatever the outcome; a job
 * restarts on exactly the rank count it was checkpointed with, so a
 * rank-count option in MPIRUN-OPTIONS is either that count (dropped: the
 * command line has one -np) or a refusal.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "storage/layout.h"

static _Noreturn __attribute__((format(printf, 1, 2))) void refuse(const char *fmt, ...)
{
    char msg[LAYOUT_ERROR_MAX + 2 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "mpickpt-restart: %s\n", msg); /* one write: one line */
    exit(2);
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: mpickpt-restart [--dry-run] JOBDIR [-- MPIRUN-OPTIONS...]\n"
            "Restarts the job checkpointed in JOBDIR (a directory under mpickpt-run's\n"
            "--dir, named after the job's id) from its newest valid checkpoint:\n"
            "  mpirun -np NP -x MPICKPT_... MPIRUN-OPTIONS mpickpt-run --restart=JOBDIR\n"
            "with NP and the MPICKPT_* settings the job ran with (from JOBDIR/job.json).\n"
            "\n"
            "  --dry-run   check everything, print that command line (one line, shell-quoted,\n"
            "              with the settings as NAME=value in front) and exit 0 without it\n"
            "  --help      this text\n"
            "\n"
            "MPIRUN-OPTIONS go to mpirun as they are (e.g. --oversubscribe, --bind-to none,\n"
            "-x VAR, --hostfile FILE). A rank-count option (-np N, --np N, -n N, --n N,\n"
            "-c N; mpirun takes no '=' forms) must give the job's own rank count, and is\n"
            "then passed once: a job restarts on the rank count it was checkpointed with.\n"
            "\n"
            "Refused, with one line on stderr and exit status 2, before anything runs:\n"
            "  JOBDIR missing, not a directory, empty, or not a job directory (no job.json;\n"
            "  naming the checkpoint root above the jobs says which job to pick),\n"
            "  a damaged job.json, another rank count in MPIRUN-OPTIONS, a program that is\n"
            "  gone or changed since it was checkpointed (XXH64 in job.json), and a job\n"
            "  with no valid committed checkpoint (every byte is checked; a bad epoch is\n"
            "  skipped with one line and the previous one used).\n"
            "Nothing in JOBDIR is changed by the checks.\n"
            "\n"
            "Environment: MPIRUN (default mpirun), MPICKPT_KEEPER (the mpickpt-run to use).\n");
}

/* What the command line asks for. */
struct restart_args {
    const char *job_dir;
    int dry_run;
    char **mpirun_opts;           /* everything after "--" */
    int nopts;
};

/* A command line that cannot be what was meant: one line, pointing to --help. */
static _Noreturn __attribute__((format(printf, 1, 2))) void usage_error(const char *fmt, ...)
{
    char why[2 * PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    refuse("%s; usage: mpickpt-restart [--dry-run] JOBDIR [-- MPIRUN-OPTIONS...] "
           "(--help says more)",
           why);
}

static void parse_args(int argc, char **argv, struct restart_args *ra)
{
    int i;
    *ra = (struct restart_args){ 0 };
    for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            exit(0);
        } else if (strcmp(argv[i], "--dry-run") == 0) {
            ra->dry_run = 1;
        } else if (argv[i][0] == '-') {
            usage_error("unknown option %s (mpirun's options go after \"--\")", argv[i]);
        } else if (ra->job_dir) {
            usage_error("a second job directory, %s (mpirun's options go after \"--\")", argv[i]);
        } else {
            ra->job_dir = argv[i];
        }
    }
    if (!ra->job_dir)
        usage_error("no job directory");
    if (i < argc) {
        ra->mpirun_opts = argv + i + 1;
        ra->nopts = argc - i - 1;
    }
}

/* ---- the job directory --------------------------------------------------- */

/* 1 if directory `dir` has no entry but "." and "..". */
static int dir_is_empty(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int empty = 1;
    if (!d)
        return 0;
    while (empty && (e = readdir(d)) != NULL)
        empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
    closedir(d);
    return empty;
}

/* `dir` is a directory without job.json: says what it is instead. The
 * checkpoint root (mpickpt-run's --dir) is the likely mistake, so its jobs
 * are named; ids start with their creation time, so the last is the newest. */
static _Noreturn void refuse_not_a_job(const char *dir)
{
    char err[LAYOUT_ERROR_MAX], **ids;
    size_t count;
    if (dir_is_empty(dir))
        refuse("%s is not an mpickpt job directory (it is empty)", dir);
    if (layout_list_jobs(dir, &ids, &count, err) == 0 && count > 0) {
        const char *sep = dir[strlen(dir) - 1] == '/' ? "" : "/";
        if (count == 1)
            refuse("%s is not an mpickpt job directory but a checkpoint directory with one job: "
                   "restart %s%s%s",
                   dir, dir, sep, ids[0]);
        refuse("%s is not an mpickpt job directory but a checkpoint directory with %zu jobs: "
               "restart one of them, e.g. %s%s%s (the newest)",
               dir, count, dir, sep, ids[count - 1]);
    }
    refuse("%s is not an mpickpt job directory (no job.json)", dir);
}

static void open_job(const char *dir, struct layout_job *job, struct layout_job_info *info)
{
    char err[LAYOUT_ERROR_MAX], json[PATH_MAX];
    struct stat st;
    if (!*dir)
        refuse("the job directory is an empty string: name a job's directory "
               "(under mpickpt-run's --dir)");
    if (stat(dir, &st) < 0)
        refuse("cannot restart %s: %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        refuse("%s is not a directory: name a job's directory (under mpickpt-run's --dir)", dir);
    if (snprintf(json, sizeof json, "%s/job.json", dir) >= (int)sizeof json)
        refuse("%s: path too long", dir);
    if (stat(json, &st) < 0 && errno == ENOENT)
        refuse_not_a_job(dir);
    if (layout_job_open(job, dir, err) != 0 || layout_job_info_read(job, info, err) != 0)
        refuse("cannot restart %s: %s", dir, err);
    if (info->argc < 1)
        refuse("%s/job.json records no program", dir);
}

/* ---- the rank count ---------------------------------------------------- */

/* mpirun's rank-count options (Open MPI 4.1 `mpirun --help`: "-c|-np|--np",
 * "-n|--n"). Each takes its value as the next argument: mpirun rejects
 * "-np=4" and "--np=4" alike. */
static const char *const np_options[] = { "-np", "--np", "-n", "--n", "-c" };
#define NP_OPTIONS (sizeof np_options / sizeof np_options[0])

static int is_np_option(const char *arg)
{
    for (size_t i = 0; i < NP_OPTIONS; i++)
        if (strcmp(arg, np_options[i]) == 0)
            return 1;
    return 0;
}

/* The length of the option in "-np=4" and the like, 0 if `arg` is not one. */
static size_t np_option_with_equals(const char *arg)
{
    const char *eq = strchr(arg, '=');
    for (size_t i = 0; eq && i < NP_OPTIONS; i++)
        if (strncmp(arg, np_options[i], (size_t)(eq - arg)) == 0 &&
            np_options[i][eq - arg] == '\0')
            return (size_t)(eq - arg);
    return 0;
}

static const char *ranks(int n)
{
    return n == 1 ? "rank" : "ranks";
}

/* `option value`, from MPIRUN-OPTIONS, must give the job's rank count. */
static void check_rank_count(const char *option, const char *value, int np)
{
    char *end;
    long n;
    if (!value)
        refuse("%s needs a rank count (the job ran on %d %s)", option, np, ranks(np));
    errno = 0;
    n = strtol(value, &end, 10);
    if (errno || end == value || *end || n < 1)
        refuse("%s %s: not a rank count (the job ran on %d %s)", option, value, np, ranks(np));
    if (n != np)
        refuse("the job ran on %d %s; %s %s asks for %ld: a job restarts on the rank count it "
               "was checkpointed with",
               np, ranks(np), option, value, n);
}

/* Checks every rank-count option of `opts` against the job's `np` and
 * copies the other options to `kept`; returns how many it kept. */
static int keep_mpirun_options(char **opts, int nopts, int np, char **kept)
{
    int nkept = 0;
    for (int i = 0; i < nopts; i++) {
        size_t eq = np_option_with_equals(opts[i]);
        if (eq)
            refuse("mpirun takes no %s: write %.*s %s (or leave it out: the job's rank count, "
                   "%d, is used)",
                   opts[i], (int)eq, opts[i], opts[i] + eq + 1, np);
        if (is_np_option(opts[i])) {
            check_rank_count(opts[i], i + 1 < nopts ? opts[i + 1] : NULL, np);
            i++;
        } else {
            kept[nkept++] = opts[i];
        }
    }
    return nkept;
}

/* ---- the program and the checkpoint -------------------------------------- */

/* The binary that ran must be the one that would be restored into. */
static void check_binary(const struct layout_job_info *info)
{
    char err[LAYOUT_ERROR_MAX];
    const char *program = info->argv[0];
    uint64_t size, xxh;
    if (access(program, F_OK) < 0 && errno == ENOENT)
        refuse("the job's program %s is missing: a job restarts only into the binary it was "
               "checkpointed with",
               program);
    if (layout_file_sum(program, &size, &xxh, err) != 0)
        refuse("cannot check the job's program: %s", err);
    if (xxh != info->binary_xxh64)
        refuse("%s changed since it was checkpointed (its XXH64 is %016" PRIx64 ", job.json "
               "records %016" PRIx64 "): a job restarts only into the binary it was "
               "checkpointed with",
               program, xxh, info->binary_xxh64);
}

static void check_recovery_line(const struct layout_job *job, const char *dir)
{
    char err[LAYOUT_ERROR_MAX];
    uint64_t epoch;
    int found = layout_find_recovery_line(job, LAYOUT_CHECK_FULL, stderr, &epoch, err);
    if (found < 0)
        refuse("cannot restart %s: %s", dir, err);
    if (found == 0)
        refuse("%s has no valid committed checkpoint to restart from", dir);
}

/* ---- the command line -------------------------------------------------- */

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

/* One of job.json's MPICKPT_* settings. */
struct setting {
    const char *name;
    const char *value;
};

/* The MPICKPT_* entries of job.json's env ("NAME=value", cut in place at
 * the '='); returns how many. */
static int job_settings(const struct layout_job_info *info, struct setting *out)
{
    int n = 0;
    for (int i = 0; i < info->envc; i++) {
        char *eq = strchr(info->env[i], '=');
        if (strncmp(info->env[i], "MPICKPT_", 8) != 0 || !eq)
            continue;
        *eq = '\0';
        out[n++] = (struct setting){ info->env[i], eq + 1 };
    }
    return n;
}

/* mpirun's command line: the settings are forwarded with -x (the caller
 * puts them in the environment), `opts` come after them. */
static char **mpirun_argv(int np, const struct setting *settings, int nsettings,
                          const char *job_dir, char **opts, int nopts)
{
    size_t n = 0, cap = 6 + 2 * (size_t)nsettings + (size_t)nopts;
    char **av = calloc(cap, sizeof *av);
    static char np_arg[16], restart_arg[PATH_MAX + 16];
    if (!av)
        refuse("out of memory: %s", strerror(errno));
    snprintf(np_arg, sizeof np_arg, "%d", np);
    av[n++] = (char *)env_or("MPIRUN", "mpirun");
    av[n++] = "-np";
    av[n++] = np_arg;
    for (int i = 0; i < nsettings; i++) {
        av[n++] = "-x";
        av[n++] = (char *)settings[i].name;
    }
    for (int i = 0; i < nopts; i++)
        av[n++] = opts[i];
    snprintf(restart_arg, sizeof restart_arg, "--restart=%s", job_dir);
    av[n++] = (char *)env_or("MPICKPT_KEEPER", MPICKPT_KEEPER_PATH);
    av[n++] = restart_arg;
    av[n] = NULL;
    return av;
}

/* `s` as one shell word: as it is if it needs no quoting, else in single
 * quotes (a quote inside becomes '\''). */
static void put_shell_word(FILE *out, const char *s)
{
    static const char plain[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                "0123456789_-+./:,=@%";
    if (*s && s[strspn(s, plain)] == '\0') {
        fputs(s, out);
        return;
    }
    putc('\'', out);
    for (; *s; s++)
        if (*s == '\'')
            fputs("'\\''", out);
        else
            putc(*s, out);
    putc('\'', out);
}

/* --dry-run: NAME=value for each setting, then mpirun's words; pasted into
 * a shell, it runs what exec would have. */
static void print_command(const struct setting *settings, int nsettings, char **av)
{
    for (int i = 0; i < nsettings; i++) {
        printf("%s=", settings[i].name);
        put_shell_word(stdout, settings[i].value);
        putchar(' ');
    }
    for (int i = 0; av[i]; i++) {
        if (i)
            putchar(' ');
        put_shell_word(stdout, av[i]);
    }
    putchar('\n');
}

int main(int argc, char **argv)
{
    struct restart_args ra;
    struct layout_job job;
    struct layout_job_info info;
    parse_args(argc, argv, &ra);
    open_job(ra.job_dir, &job, &info);
    char **opts = calloc((size_t)ra.nopts + 1, sizeof *opts);
    struct setting *settings = calloc((size_t)info.envc + 1, sizeof *settings);
    if (!opts || !settings)
        refuse("out of memory: %s", strerror(errno));
    int nopts = keep_mpirun_options(ra.mpirun_opts, ra.nopts, info.np, opts);
    check_binary(&info);
    check_recovery_line(&job, ra.job_dir);
    int nsettings = job_settings(&info, settings);
    char **av = mpirun_argv(info.np, settings, nsettings, job.dir, opts, nopts);
    if (ra.dry_run) {
        print_command(settings, nsettings, av);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    for (int i = 0; i < nsettings; i++)
        setenv(settings[i].name, settings[i].value, 1);
    execvp(av[0], av);
    refuse("cannot run %s: %s", av[0], strerror(errno));
}
