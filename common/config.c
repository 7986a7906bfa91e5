/*
 * config.c — the table of settings and the parsing of flags and variables.
 * Adding a setting is one row in `settings` plus a field in struct mk_config.
 */
#include "common/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum setting_kind { SETTING_CHOICE, SETTING_PATH, SETTING_BOOL, SETTING_DURATION, SETTING_INT };

struct setting {
    const char *name;                 /* flag name without "--" */
    enum setting_kind kind;
    size_t offset;                    /* of the field in struct mk_config */
    const char *const *choices;       /* SETTING_CHOICE: NULL-terminated */
    const char *help;
    int min, max;                     /* SETTING_INT: accepted range */
    int has_auto;                     /* SETTING_INT: "auto" is accepted, as -1 */
};

static const char *const protocol_names[] = { "none", "coordinated", NULL };

static const struct setting settings[] = {
    { "protocol", SETTING_CHOICE, offsetof(struct mk_config, protocol), protocol_names,
      "checkpoint protocol", 0, 0, 0 },
    { "dir", SETTING_PATH, offsetof(struct mk_config, dir), NULL,
      "checkpoint directory", 0, 0, 0 },
    { "interval", SETTING_DURATION, offsetof(struct mk_config, interval), NULL,
      "time between checkpoints: 90, 90s, 10m, 2h; 0 = never", 0, 0, 0 },
    { "verbose", SETTING_BOOL, offsetof(struct mk_config, verbose), NULL,
      "say what each side of each rank does (binding, waiting policy)", 0, 0, 0 },
    { "quiet", SETTING_BOOL, offsetof(struct mk_config, quiet), NULL,
      "print nothing but errors", 0, 0, 0 },
    { "keep", SETTING_INT, offsetof(struct mk_config, keep), NULL,
      "committed checkpoints kept", 1, 1000, 0 },
    { "compress-level", SETTING_INT, offsetof(struct mk_config, compress_level), NULL,
      "zstd level of images: 1 (fast) to 19 (small)", 1, 19, 0 },
    { "compress-threads", SETTING_INT, offsetof(struct mk_config, compress_threads), NULL,
      "compression threads per image; auto: the node's idle cores shared by its ranks",
      0, 256, 1 },
    { "checkpoint-on-term", SETTING_BOOL, offsetof(struct mk_config, checkpoint_on_term), NULL,
      "on SIGTERM, take a last checkpoint, then stop the job", 0, 0, 0 },
    { "max-recoveries", SETTING_INT, offsetof(struct mk_config, max_recoveries), NULL,
      "in-place recoveries before a failing job is stopped", 0, 1000000, 0 },
};
#define SETTING_COUNT (sizeof settings / sizeof settings[0])

const char *config_protocol_name(enum mk_protocol protocol)
{
    return protocol_names[protocol];
}

void config_defaults(struct mk_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->protocol = MK_PROTOCOL_NONE;
    snprintf(cfg->dir, sizeof cfg->dir, "%s", "./mpickpt-ckpt");
    cfg->keep = 2;
    cfg->compress_level = 1;
    cfg->compress_threads = -1;
    cfg->max_recoveries = 10;
}

static void *field(struct mk_config *cfg, const struct setting *s)
{
    return (char *)cfg + s->offset;
}

static void list_choices(const struct setting *s, char *out, size_t len)
{
    out[0] = '\0';
    for (int i = 0; s->choices[i]; i++) {
        size_t used = strlen(out);
        snprintf(out + used, len - used, "%s%s", i ? ", " : "", s->choices[i]);
    }
}

static int parse_bool(const char *value, int *out)
{
    static const char *const yes[] = { "1", "yes", "true", "on" };
    static const char *const no[] = { "0", "no", "false", "off" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(value, yes[i]) == 0) { *out = 1; return 0; }
        if (strcasecmp(value, no[i]) == 0) { *out = 0; return 0; }
    }
    return -1;
}

/* Largest interval accepted: about 68 years, so seconds fit an unsigned. */
#define DURATION_MAX_SECONDS 2147483647ul

/* "90", "90s", "10m", "2h" as seconds. */
static int parse_duration(const char *value, unsigned *out)
{
    if (!isdigit((unsigned char)value[0]))
        return -1;
    errno = 0;
    char *end;
    unsigned long n = strtoul(value, &end, 10);
    unsigned long unit = 1;
    if (*end == 'm')
        unit = 60;
    else if (*end == 'h')
        unit = 3600;
    else if (*end != 's' && *end != '\0')
        return -1;
    if (*end != '\0' && end[1] != '\0')
        return -1;
    if (errno != 0 || n > DURATION_MAX_SECONDS / unit)
        return -1;
    *out = (unsigned)(n * unit);
    return 0;
}

/* A decimal integer in [min, max], or "auto" (-1) when the setting has it. */
static int parse_int(const struct setting *s, const char *value, int *out)
{
    if (s->has_auto && strcmp(value, "auto") == 0) {
        *out = -1;
        return 0;
    }
    if (!isdigit((unsigned char)value[0]))
        return -1;
    errno = 0;
    char *end;
    long n = strtol(value, &end, 10);
    if (*end != '\0' || errno != 0 || n < s->min || n > s->max)
        return -1;
    *out = (int)n;
    return 0;
}

/* Sets one setting from text; `origin` ("--dir" or "MPICKPT_DIR") names it
 * in the error message. */
static int apply_value(struct mk_config *cfg, const struct setting *s, const char *value,
                       const char *origin, char err[CONFIG_ERROR_MAX])
{
    switch (s->kind) {
    case SETTING_CHOICE:
        for (int i = 0; s->choices[i]; i++)
            if (strcmp(value, s->choices[i]) == 0) {
                *(int *)field(cfg, s) = i;
                return 0;
            }
        {
            char accepted[256];
            list_choices(s, accepted, sizeof accepted);
            snprintf(err, CONFIG_ERROR_MAX, "invalid %s '%s': accepted values are %s",
                     origin, value, accepted);
        }
        return -1;
    case SETTING_PATH:
        if (value[0] == '\0' || strlen(value) >= PATH_MAX) {
            snprintf(err, CONFIG_ERROR_MAX, "invalid %s '%s': a non-empty path is expected",
                     origin, value);
            return -1;
        }
        snprintf((char *)field(cfg, s), PATH_MAX, "%s", value);
        return 0;
    case SETTING_BOOL:
        if (parse_bool(value, (int *)field(cfg, s)) != 0) {
            snprintf(err, CONFIG_ERROR_MAX,
                     "invalid %s '%s': accepted values are 1, 0, yes, no, true, false, on, off",
                     origin, value);
            return -1;
        }
        return 0;
    case SETTING_DURATION:
        if (parse_duration(value, (unsigned *)field(cfg, s)) != 0) {
            snprintf(err, CONFIG_ERROR_MAX,
                     "invalid %s '%s': a duration is expected: 90, 90s, 10m, 2h (0 = never)",
                     origin, value);
            return -1;
        }
        return 0;
    case SETTING_INT:
        if (parse_int(s, value, (int *)field(cfg, s)) != 0) {
            snprintf(err, CONFIG_ERROR_MAX, "invalid %s '%s': an integer from %d to %d%s is expected",
                     origin, value, s->min, s->max, s->has_auto ? ", or auto," : "");
            return -1;
        }
        return 0;
    }
    return -1;
}

static void env_name(const struct setting *s, char *out, size_t len)
{
    size_t n = (size_t)snprintf(out, len, "MPICKPT_%s", s->name);
    for (size_t i = 8; i < n && i < len; i++)
        out[i] = out[i] == '-' ? '_' : (char)toupper((unsigned char)out[i]);
}

int config_from_env(struct mk_config *cfg, char err[CONFIG_ERROR_MAX])
{
    for (size_t i = 0; i < SETTING_COUNT; i++) {
        char name[64];
        env_name(&settings[i], name, sizeof name);
        const char *value = getenv(name);
        if (value && apply_value(cfg, &settings[i], value, name, err) != 0)
            return -1;
    }
    return 0;
}

int config_apply_flag(struct mk_config *cfg, const char *arg, char err[CONFIG_ERROR_MAX])
{
    if (strncmp(arg, "--", 2) != 0)
        return 0;
    const char *name = arg + 2;
    const char *eq = strchr(name, '=');
    size_t name_len = eq ? (size_t)(eq - name) : strlen(name);
    for (size_t i = 0; i < SETTING_COUNT; i++) {
        const struct setting *s = &settings[i];
        if (strlen(s->name) != name_len || strncmp(s->name, name, name_len) != 0)
            continue;
        char origin[80];
        snprintf(origin, sizeof origin, "--%s", s->name);
        if (!eq) {
            if (s->kind == SETTING_BOOL) {
                *(int *)field(cfg, s) = 1;
                return 1;
            }
            snprintf(err, CONFIG_ERROR_MAX, "%s needs a value: --%s=VALUE", origin, s->name);
            return -1;
        }
        return apply_value(cfg, s, eq + 1, origin, err) == 0 ? 1 : -1;
    }
    return 0;
}

/* The value of setting s in cfg, as text a flag or variable accepts. */
static void format_value(const struct mk_config *cfg, const struct setting *s, char *value,
                         size_t len)
{
    const void *f = (const char *)cfg + s->offset;
    switch (s->kind) {
    case SETTING_CHOICE:
        snprintf(value, len, "%s", s->choices[*(const int *)f]);
        break;
    case SETTING_PATH:
        snprintf(value, len, "%s", (const char *)f);
        break;
    case SETTING_BOOL:
        snprintf(value, len, "%d", *(const int *)f);
        break;
    case SETTING_DURATION:
        snprintf(value, len, "%us", *(const unsigned *)f);
        break;
    case SETTING_INT:
        if (s->has_auto && *(const int *)f < 0)
            snprintf(value, len, "auto");
        else
            snprintf(value, len, "%d", *(const int *)f);
        break;
    }
}

int config_export(const struct mk_config *cfg)
{
    for (size_t i = 0; i < SETTING_COUNT; i++) {
        char name[64], value[PATH_MAX];
        env_name(&settings[i], name, sizeof name);
        format_value(cfg, &settings[i], value, sizeof value);
        if (setenv(name, value, 1) != 0)
            return -1;
    }
    return 0;
}

int config_env_entry(const struct mk_config *cfg, size_t i, char *out, size_t len)
{
    if (i >= SETTING_COUNT)
        return 0;
    char name[64], value[PATH_MAX];
    env_name(&settings[i], name, sizeof name);
    format_value(cfg, &settings[i], value, sizeof value);
    return snprintf(out, len, "%s=%s", name, value) < (int)len ? 1 : -1;
}

void config_print_help(FILE *out)
{
    struct mk_config defaults;
    config_defaults(&defaults);
    for (size_t i = 0; i < SETTING_COUNT; i++) {
        const struct setting *s = &settings[i];
        char flag[96], def[PATH_MAX + 32] = "";
        switch (s->kind) {
        case SETTING_CHOICE: {
            char accepted[256];
            list_choices(s, accepted, sizeof accepted);
            snprintf(flag, sizeof flag, "--%s=NAME", s->name);
            snprintf(def, sizeof def, " (%s; default %s)", accepted,
                     s->choices[*(int *)field(&defaults, s)]);
            break;
        }
        case SETTING_PATH:
            snprintf(flag, sizeof flag, "--%s=PATH", s->name);
            snprintf(def, sizeof def, " (default %s)", (char *)field(&defaults, s));
            break;
        case SETTING_BOOL:
            snprintf(flag, sizeof flag, "--%s", s->name);
            break;
        case SETTING_DURATION:
            snprintf(flag, sizeof flag, "--%s=TIME", s->name);
            snprintf(def, sizeof def, " (default %u)", *(unsigned *)field(&defaults, s));
            break;
        case SETTING_INT: {
            int v = *(int *)field(&defaults, s);
            snprintf(flag, sizeof flag, "--%s=N", s->name);
            if (s->has_auto && v < 0)
                snprintf(def, sizeof def, " (default auto)");
            else
                snprintf(def, sizeof def, " (default %d)", v);
            break;
        }
        }
        fprintf(out, "  %-24s %s%s\n", flag, s->help, def);
    }
    fprintf(out, "Each setting is also read from the environment: --dir is MPICKPT_DIR.\n");
}
