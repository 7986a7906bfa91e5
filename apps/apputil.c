/*
 * apputil.c — random numbers, argument parsing and timing for the example
 * programs (see apputil.h for the contract).
 *
 * Invariant: the generator's output depends only on (seed, stream) and the
 * number of draws, never on the platform, the time or the process.
 */
#include "apps/apputil.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define GOLDEN_GAMMA UINT64_C(0x9e3779b97f4a7c15)

static const char *error_program = "app";
static bool error_reports = true;

/* splitmix64's output function: a bijection that scatters nearby inputs. */
static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

void app_rng_init(struct app_rng *rng, uint64_t seed, uint64_t stream)
{
    /* Mixing the stream number (rather than adding it) keeps streams of one
     * seed from being shifted copies of each other. */
    rng->state = mix64(seed ^ mix64(stream + GOLDEN_GAMMA));
}

uint64_t app_rng_next(struct app_rng *rng)
{
    rng->state += GOLDEN_GAMMA;
    return mix64(rng->state);
}

uint64_t app_rng_below(struct app_rng *rng, uint64_t bound)
{
    /* Values under `threshold` would make the low residues more likely. */
    uint64_t threshold = -bound % bound;
    uint64_t r;
    do {
        r = app_rng_next(rng);
    } while (r < threshold);
    return r % bound;
}

double app_rng_uniform(struct app_rng *rng, double lo, double hi)
{
    double unit = (double)(app_rng_next(rng) >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * unit;
}

void app_errors_init(const char *program, bool reports)
{
    error_program = program;
    error_reports = reports;
}

void app_error(const char *format, ...)
{
    if (!error_reports)
        return;
    va_list ap;
    va_start(ap, format);
    fprintf(stderr, "%s: ", error_program);
    vfprintf(stderr, format, ap);
    fputc('\n', stderr);
    va_end(ap);
}

const char *app_option_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        app_error("option %s needs a value (try --help)", argv[*i]);
        return NULL;
    }
    *i += 1;
    return argv[*i];
}

bool app_parse_long(const char *option, const char *text, long min, long max,
                    long *out)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || value < min ||
        value > max) {
        app_error("%s: expected an integer from %ld to %ld, got '%s'", option,
                  min, max, text);
        return false;
    }
    *out = value;
    return true;
}

bool app_parse_seed(const char *option, const char *text, uint64_t *out)
{
    char *end;
    errno = 0;
    /* strtoull would take " -1" for a huge value: a seed is plain digits. */
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || text[0] < '0' || text[0] > '9' || *end != '\0') {
        app_error("%s: expected an unsigned 64-bit integer, got '%s'", option,
                  text);
        return false;
    }
    *out = (uint64_t)value;
    return true;
}

double app_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void app_report_time(const char *program, double seconds, int ranks)
{
    fprintf(stderr, "%s: %.2f s on %d rank%s\n", program, seconds, ranks,
            ranks == 1 ? "" : "s");
}
