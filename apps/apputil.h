/*
 * apputil.h — helpers shared by the three example programs (nqueens, tsp,
 * gauss) and their kernels: a seeded random number generator, command-line
 * parsing that reports one-line errors, and a wall-clock timer.
 *
 * Invariants: nothing here uses MPI, so kernels and unit tests can link it
 * without MPI flags. The generator is splitmix64: the same (seed, stream)
 * pair yields the same sequence on every machine and in every process, which
 * is what makes the programs' inputs reproducible at any rank count.
 * Errors go to stderr only from the process that reports (rank 0), so a bad
 * argument gives exactly one line whatever the number of ranks.
 */
#ifndef MPICKPT_APPS_APPUTIL_H
#define MPICKPT_APPS_APPUTIL_H

#include <stdbool.h>
#include <stdint.h>

/* Exit status of a program given invalid arguments. */
enum { APP_EXIT_USAGE = 2 };

/* What a program's argument parser concluded. */
enum app_args_result { APP_ARGS_RUN, APP_ARGS_HELP, APP_ARGS_ERROR };

/* A splitmix64 stream. */
struct app_rng {
    uint64_t state;
};

/* Starts the stream number `stream` of `seed`; distinct streams of one seed
 * are independent enough for input generation (e.g. one per matrix row). */
void app_rng_init(struct app_rng *rng, uint64_t seed, uint64_t stream);
uint64_t app_rng_next(struct app_rng *rng);
/* Uniform integer in [0, bound), bound > 0, without modulo bias. */
uint64_t app_rng_below(struct app_rng *rng, uint64_t bound);
/* Uniform double in [lo, hi), with 53 random bits. */
double app_rng_uniform(struct app_rng *rng, double lo, double hi);

/* Names the program in error messages; only a process with `reports` set
 * prints them (rank 0), the others parse silently. */
void app_errors_init(const char *program, bool reports);
/* Prints "<program>: <message>" on one line of stderr, if this process
 * reports. */
void app_error(const char *format, ...) __attribute__((format(printf, 1, 2)));

/* Returns the value that follows option argv[*i] and advances *i past it,
 * or reports the missing value and returns NULL. */
const char *app_option_value(int argc, char **argv, int *i);
/* Parses `text`, the value of `option`, as a decimal integer in [min, max];
 * on failure reports it and returns false. */
bool app_parse_long(const char *option, const char *text, long min, long max,
                    long *out);
/* Parses `text`, the value of `option`, as an unsigned 64-bit seed. */
bool app_parse_seed(const char *option, const char *text, uint64_t *out);

/* Seconds on a monotonic clock, for the timing line on stderr. */
double app_wall_seconds(void);
/* Prints "<program>: <seconds> s on <ranks> ranks" on stderr. */
void app_report_time(const char *program, double seconds, int ranks);

#endif
