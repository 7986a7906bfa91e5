/*
 * ckpt_app.c — a single-rank MPI program for checkpoint/restart tests: heap
 * state, rand() state, a buffered FILE* being written, a signal handler and
 * a blocked signal, MPI_Allreduce now and then, pure computation between.
 * Deterministic: its output file and final stdout line depend only on its
 * arguments.  Usage: ckpt_app OUTFILE STEPS
 */
#include <mpi.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#define N 4096

static volatile sig_atomic_t usr2_seen;
static void on_usr2(int sig) { (void)sig; usr2_seen++; }

/* Pure computation: a few ms of floating point on the heap array. */
static double compute(double *a, int step)
{
    double s = 0;
    for (int r = 0; r < 200; r++)
        for (int i = 0; i < N; i++) {
            a[i] = a[i] * 0.999 + (double)((i + step + r) % 7);
            s += a[i];
        }
    return s;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    MPI_Init(&argc, &argv);
    int steps = atoi(argv[2]);
    FILE *out = fopen(argv[1], "w");
    double *a = calloc(N, sizeof *a);
    if (!out || !a)
        return 1;
    signal(SIGUSR2, on_usr2);
    sigset_t blocked;
    sigemptyset(&blocked);
    sigaddset(&blocked, SIGUSR1);
    sigprocmask(SIG_BLOCK, &blocked, NULL);
    srand(12345);
    double total = 0;
    for (int step = 0; step < steps; step++) {
        double s = compute(a, step) + rand() % 1000;
        if (step % 10 == 0) {
            double sum;
            MPI_Allreduce(&s, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
            s = sum;
        }
        total += s;
        fprintf(out, "step %d %.6f\n", step, s);
    }
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    fprintf(out, "usr1 blocked %d\n", sigismember(&now, SIGUSR1));
    fclose(out);
    printf("result %.6f\n", total);
    MPI_Finalize();
    return 0;
}
