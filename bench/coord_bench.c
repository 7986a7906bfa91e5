/*
 * coord_bench.c — the MPI program of the coordinated-checkpointing
 * benchmark (bench/run-coordinated.sh): every rank holds a given amount of
 * memory and the ranks iterate "compute, then MPI_Allreduce", leaving a
 * timestamped trace the driver reads to time checkpoints and recoveries.
 *
 *   coord_bench --mib N --log FILE [--seconds S] [--work-ms W]
 *
 * Each rank fills N MiB of doubles (a smooth field around 300 with noise in
 * the low mantissa bits, as simulation data has: it compresses about as
 * much as real data) and touches every page. Then, until rank 0 has run S
 * seconds (default 3600: the driver kills it), each iteration updates the
 * memory for W ms of this process's CPU time (default 10), moving on
 * through the memory so that every checkpoint finds pages written since
 * the last one, and agrees with the others in an MPI_Allreduce whether to
 * stop.
 *
 * The trace, appended to FILE (one line per write, O_APPEND):
 *   iter K END PID       rank 0, after the allreduce of iteration K:
 *                        END is CLOCK_REALTIME in seconds, PID its pid
 *   pause R NS PID K     rank R's compute process was captured since the
 *                        last line of this kind: NS is the pause the
 *                        plugin measured (img_capture_last_pause_ns(),
 *                        the capture's fork and bookkeeping), seen after
 *                        iteration K
 * Under mpickpt the plugin is preloaded and its img_capture_last_pause_ns
 * is found with dlsym; natively there is none and no pause line appears.
 * A process restored after a failure is a new process: its iter lines
 * carry a new pid, which is how the driver tells them from the old ones.
 * On stdout rank 0 prints "coord_bench: K iterations" at the end.
 *
 * Invariant: the trace file is never open while the process may be
 * captured. A restored process reopens the regular files it had open at
 * its checkpoint and cuts them to their size at that time, which would
 * cut off the trace; the checkpoint signal is blocked while the file is
 * open, so a capture in the signal handler waits until it is closed, and
 * no MPI call (the other place a capture happens) is made meanwhile.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <mpi.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "apps/apputil.h"

/* The plugin's checkpoint signal (CHAN_CKPT_SIGNAL in common/channel.h),
 * written out so this program needs nothing of mpickpt to build. */
#define CHECKPOINT_SIGNAL (SIGRTMAX - 1)

struct options {
    long mib;
    const char *log;
    long seconds;
    long work_ms;
};

static int parse_options(int argc, char **argv, struct options *o)
{
    *o = (struct options){ .mib = -1, .seconds = 3600, .work_ms = 10 };
    for (int i = 1; i < argc; i++) {
        const char *name = argv[i];
        const char *value = app_option_value(argc, argv, &i);
        if (!value)
            return -1;
        if (strcmp(name, "--mib") == 0) {
            if (!app_parse_long(name, value, 1, 1L << 20, &o->mib))
                return -1;
        } else if (strcmp(name, "--seconds") == 0) {
            if (!app_parse_long(name, value, 0, 1L << 30, &o->seconds))
                return -1;
        } else if (strcmp(name, "--work-ms") == 0) {
            if (!app_parse_long(name, value, 1, 60000, &o->work_ms))
                return -1;
        } else if (strcmp(name, "--log") == 0) {
            o->log = value;
        } else {
            app_error("unknown option '%s'", name);
            return -1;
        }
    }
    if (o->mib < 0 || !o->log) {
        app_error("usage: coord_bench --mib N --log FILE [--seconds S] [--work-ms W]");
        return -1;
    }
    return 0;
}

static double realtime_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Appends one line to the trace, with the checkpoint signal blocked (see
 * the invariant above). */
static void trace(const char *path, const char *line)
{
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, CHECKPOINT_SIGNAL);
    sigprocmask(SIG_BLOCK, &block, &old);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) {
        ssize_t n = write(fd, line, strlen(line));
        (void)n; /* a lost trace line shows as a missing figure */
        close(fd);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static void fill(double *x, size_t n, int rank)
{
    struct app_rng rng;
    app_rng_init(&rng, 1, (uint64_t)rank);
    for (size_t i = 0; i < n; i++)
        x[i] = 300.0 + 10.0 * sin((double)i * 1e-3) + app_rng_uniform(&rng, -3e-5, 3e-5);
}

/* Updates the memory from *at on for `ms` ms of CPU time, wrapping around. */
static void compute(double *x, size_t n, size_t *at, long ms)
{
    enum { STRIDE = 4096 }; /* doubles between two looks at the clock */
    int64_t until = cpu_ns() + ms * 1000000;
    do {
        size_t end = *at + STRIDE < n ? *at + STRIDE : n;
        for (size_t i = *at; i < end; i++)
            x[i] = x[i] * 0.999999 + 3e-4;
        *at = end < n ? end : 0;
    } while (cpu_ns() < until);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    app_errors_init("coord_bench", rank == 0);
    struct options o;
    if (parse_options(argc, argv, &o) != 0)
        MPI_Abort(MPI_COMM_WORLD, APP_EXIT_USAGE);

    size_t n = (size_t)o.mib * (1u << 20) / sizeof(double);
    double *x = malloc(n * sizeof *x);
    if (!x) {
        fprintf(stderr, "coord_bench: rank %d: cannot allocate %ld MiB\n", rank, o.mib);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    fill(x, n, rank);
    int64_t (*pause_ns)(void) = (int64_t(*)(void))dlsym(RTLD_DEFAULT, "img_capture_last_pause_ns");
    int64_t last_pause = pause_ns ? pause_ns() : 0;

    double deadline = realtime_seconds() + (double)o.seconds;
    size_t at = 0;
    long iter = 0;
    int stop = 0;
    char line[160];
    MPI_Barrier(MPI_COMM_WORLD);
    while (!stop) {
        compute(x, n, &at, o.work_ms);
        stop = rank == 0 && realtime_seconds() >= deadline;
        MPI_Allreduce(MPI_IN_PLACE, &stop, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        iter++;
        if (rank == 0) {
            snprintf(line, sizeof line, "iter %ld %.6f %ld\n", iter, realtime_seconds(),
                     (long)getpid());
            trace(o.log, line);
        }
        if (pause_ns && pause_ns() != last_pause) {
            last_pause = pause_ns();
            snprintf(line, sizeof line, "pause %d %lld %ld %ld\n", rank, (long long)last_pause,
                     (long)getpid(), iter);
            trace(o.log, line);
        }
    }
    if (rank == 0)
        printf("coord_bench: %ld iterations\n", iter);
    free(x);
    MPI_Finalize();
    return 0;
}
