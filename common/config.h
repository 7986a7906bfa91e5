/*
 * config.h — mpickpt's settings, read from `mpickpt-run` flags and from
 * MPICKPT_* environment variables of the same names (DESIGN §9).
 *
 * A setting named "compress-level" is the flag --compress-level=V and the
 * variable MPICKPT_COMPRESS_LEVEL. Flags override variables; variables
 * override defaults. The keeper exports the settings it ended up with, so the
 * compute process (config_from_env) sees exactly the keeper's values.
 *
 * Invariant: a value that is not accepted is never silently replaced by a
 * default — config_* returns -1 with a one-line message naming the setting,
 * the value and what is accepted, and the caller exits with status 2.
 */
#ifndef MPICKPT_COMMON_CONFIG_H
#define MPICKPT_COMMON_CONFIG_H

#include <limits.h>
#include <stddef.h>
#include <stdio.h>

enum mk_protocol {
    MK_PROTOCOL_NONE,
    MK_PROTOCOL_COORDINATED,   /* launcher/coord.h */
};

struct mk_config {
    enum mk_protocol protocol;
    char dir[PATH_MAX];        /* checkpoint directory */
    unsigned interval;         /* seconds between checkpoints; 0: never */
    int keep;                  /* committed epochs kept, >= 1 */
    int compress_level;        /* zstd level of images, 1..19 */
    int compress_threads;      /* zstd workers per image writer; -1: auto */
    int max_recoveries;        /* in-place recoveries allowed per job run */
    int checkpoint_on_term;    /* SIGTERM: a last checkpoint, then stop */
    int verbose;
    int quiet;
};

#define CONFIG_ERROR_MAX 512

/* Fills `cfg` with the defaults. */
void config_defaults(struct mk_config *cfg);
/* Applies every MPICKPT_* variable that is set. Returns 0, or -1 with the
 * message in `err`. */
int config_from_env(struct mk_config *cfg, char err[CONFIG_ERROR_MAX]);
/* Applies one flag, "--name=value" or "--name" for booleans. Returns 1 if it
 * was a setting, 0 if `arg` names no setting, -1 on a bad value (`err`). */
int config_apply_flag(struct mk_config *cfg, const char *arg, char err[CONFIG_ERROR_MAX]);
/* Exports every setting as its MPICKPT_* variable (for the compute process). */
int config_export(const struct mk_config *cfg);
/* Setting number i as "MPICKPT_NAME=value" in out: 1, or 0 past the last
 * setting, or -1 if it does not fit (what a job records to rerun alike). */
int config_env_entry(const struct mk_config *cfg, size_t i, char *out, size_t len);
/* Writes the settings' help lines ("  --name=VALUE  text [default]"). */
void config_print_help(FILE *out);
/* The protocol's name, e.g. "none". */
const char *config_protocol_name(enum mk_protocol protocol);

#endif
