/*
 * ckpt_selftest.c — a plain C program (no MPI) that checkpoints itself with
 * plugin/capture, for tests/integration/image_selftest.sh and for measuring.
 *
 * Its state covers what a restore must bring back: a heap array, rand()'s
 * state, a buffered FILE* being written (--out), buffered stdout, a signal
 * handler (SIGUSR1, raised every 100 steps and counted) and a blocked signal
 * (SIGUSR2, checked at the end). Its stdout and --out file depend only on
 * the arguments, never on when checkpoints happen, so a run that was killed
 * and restored must end byte-identical to one that was not.
 *
 *   ckpt_selftest [--steps N] [--work N] [--mem MIB] [--image PATH]
 *                 [--every K | --alarm MS] [--out FILE] [--verbose]
 *                 [--workers N] [--level L]
 *   ckpt_selftest --bench --mem MIB --image PATH [--workers N] [--level L]
 *
 * --every K checkpoints at every K-th step (a safe point); --alarm MS from a
 * SIGALRM handler every MS milliseconds, wherever the program is (the timer
 * is armed again after a restore: timers are not part of an image). --bench
 * fills MIB of memory, checkpoints once and reports the pause and the write
 * time on stderr; restored from that image, it checks the memory and says so.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "plugin/capture/capture.h"

struct settings {
    long steps, work, mem_mib, every, alarm_ms, workers, level;
    const char *image, *out;
    int bench, verbose;
};

static struct settings cfg = { .steps = 2000, .work = 20000, .mem_mib = 16, .workers = -1 };
static volatile sig_atomic_t usr1_count;

static void on_usr1(int sig)
{
    (void)sig;
    usr1_count++;
}

static struct img_capture_opts capture_opts(unsigned flags)
{
    struct img_capture_opts o = { .path = cfg.image, .level = (int)cfg.level,
                                  .workers = (int)cfg.workers, .flags = flags };
    if (cfg.verbose)
        o.flags |= IMG_CAPTURE_VERBOSE;
    return o;
}

static void arm_alarm(void)
{
    struct itimerval it = { { 0, cfg.alarm_ms * 1000 }, { 0, cfg.alarm_ms * 1000 } };
    setitimer(ITIMER_REAL, &it, NULL);
}

/* Checkpoints from wherever SIGALRM interrupted the program. */
static void on_alarm(int sig)
{
    (void)sig;
    struct img_capture_opts o = capture_opts(IMG_CAPTURE_IN_SIGNAL);
    if (img_capture(&o) == IMG_CAPTURE_RESTORED)
        arm_alarm();
}

static void parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--bench"))
            cfg.bench = 1;
        else if (!strcmp(a, "--verbose"))
            cfg.verbose = 1;
        else if (v && !strcmp(a, "--steps"))
            cfg.steps = atol(argv[++i]);
        else if (v && !strcmp(a, "--work"))
            cfg.work = atol(argv[++i]);
        else if (v && !strcmp(a, "--mem"))
            cfg.mem_mib = atol(argv[++i]);
        else if (v && !strcmp(a, "--workers"))
            cfg.workers = atol(argv[++i]);
        else if (v && !strcmp(a, "--level"))
            cfg.level = atol(argv[++i]);
        else if (v && !strcmp(a, "--every"))
            cfg.every = atol(argv[++i]);
        else if (v && !strcmp(a, "--alarm"))
            cfg.alarm_ms = atol(argv[++i]);
        else if (v && !strcmp(a, "--image"))
            cfg.image = argv[++i];
        else if (v && !strcmp(a, "--out"))
            cfg.out = argv[++i];
        else {
            fprintf(stderr, "ckpt_selftest: unknown or incomplete argument %s\n", a);
            exit(2);
        }
    }
    if ((cfg.every || cfg.alarm_ms || cfg.bench) && !cfg.image) {
        fprintf(stderr, "ckpt_selftest: checkpoints need --image\n");
        exit(2);
    }
}

static uint64_t checksum(const uint64_t *a, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ a[i]) * 1099511628211ull;
    return h;
}

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* --bench: one capture of a process holding mem_mib of random data. */
static int bench(uint64_t *a, size_t n)
{
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        a[i] = x;
    }
    uint64_t sum = checksum(a, n);
    struct timespec t0;
    struct img_capture_opts o = capture_opts(IMG_CAPTURE_WAIT);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = img_capture(&o);
    if (rc == IMG_CAPTURE_RESTORED) {
        int ok = checksum(a, n) == sum;
        printf("bench: restored, memory %s\n", ok ? "intact" : "DIFFERS");
        return ok ? 0 : 1;
    }
    if (rc != IMG_CAPTURE_STARTED)
        return 1;
    enum img_writer_state st = img_capture_wait(1);
    fprintf(stderr, "bench: %ld MiB: pause %.3f ms, image written in %.3f s (%s)\n",
            cfg.mem_mib, (double)img_capture_last_pause_ns() / 1e6, seconds_since(&t0),
            st == IMG_WRITER_COMMITTED ? "committed" : "FAILED");
    return st == IMG_WRITER_COMMITTED ? 0 : 1;
}

static void step(uint64_t *a, size_t n, long s, FILE *out)
{
    for (long j = 0; j < cfg.work; j++) {
        size_t i = (size_t)rand() % n;
        a[i] = a[i] * 6364136223846793005ull + (uint64_t)s;
    }
    if (out)
        fprintf(out, "step %ld sum %016llx\n", s, (unsigned long long)checksum(a, 4096));
    if (s % 100 == 0) {
        raise(SIGUSR1);
        printf("step %ld usr1 %d\n", s, (int)usr1_count);
    }
}

static int run(uint64_t *a, size_t n)
{
    FILE *out = cfg.out ? fopen(cfg.out, "w") : NULL;
    if (cfg.out && !out) {
        fprintf(stderr, "ckpt_selftest: cannot create %s: %s\n", cfg.out, strerror(errno));
        return 1;
    }
    srand(42);
    for (size_t i = 0; i < n; i++)
        a[i] = (uint64_t)rand() << 31 ^ (uint64_t)rand();
    if (cfg.alarm_ms)
        arm_alarm();
    for (long s = 1; s <= cfg.steps; s++) {
        step(a, n, s, out);
        if (cfg.every && s % cfg.every == 0) {
            struct img_capture_opts o = capture_opts(0);
            img_capture(&o);
        }
    }
    if (cfg.alarm_ms)
        signal(SIGALRM, SIG_IGN);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("final sum %016llx usr1 %d usr2 blocked %s\n",
           (unsigned long long)checksum(a, n), (int)usr1_count,
           sigismember(&cur, SIGUSR2) ? "yes" : "no");
    if (out && fclose(out) != 0) {
        fprintf(stderr, "ckpt_selftest: writing %s: %s\n", cfg.out, strerror(errno));
        return 1;
    }
    img_capture_wait(1);
    return 0;
}

int main(int argc, char **argv)
{
    parse(argc, argv);
    struct sigaction sa = { .sa_handler = on_usr1 };
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    size_t n = (size_t)cfg.mem_mib * (1u << 20) / sizeof(uint64_t);
    uint64_t *a = malloc(n * sizeof *a);
    if (!a) {
        fprintf(stderr, "ckpt_selftest: cannot allocate %ld MiB\n", cfg.mem_mib);
        return 1;
    }
    return cfg.bench ? bench(a, n) : run(a, n);
}
