/*
 * layout_json.c — job.json: a tiny JSON writer and reader for the few
 * fields of struct layout_job_info (no JSON library: the format is ours and
 * small). A human can read it, jq can read it, we read it back exactly.
 *
 *   {
 *     "format": "mpickpt-job 1",
 *     "id": "20250101T120000Z-0a1b2c3d",
 *     "np": 4,
 *     "protocol": "coordinated",
 *     "binary_xxh64": "0123456789abcdef",
 *     "created": 1735732800,
 *     "argv": ["./solver", "in.dat"],
 *     "env": {"OMP_NUM_THREADS": "1"},
 *     "xxh64": "fedcba9876543210"
 *   }
 *
 * Invariant: "xxh64" is the last field and is the XXH64 of every byte
 * before its opening quote, so a damaged job.json is detected even when it
 * still parses. The reader takes standard JSON (any field order, unknown
 * fields skipped, every string escape) so that a future writer adding a
 * field does not break it; only the checksum position is fixed.
 */
#include "storage/layout.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storage/layout_internal.h"

#define JOB_FORMAT "mpickpt-job 1"
#define MAX_DEPTH 16

/* ---- writer ------------------------------------------------------------- */

static void put_string(FILE *out, const char *s, size_t len)
{
    fputc('"', out);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            fprintf(out, "\\%c", c);
        else if (c < 0x20)
            fprintf(out, "\\u%04x", c);
        else
            fputc(c, out);
    }
    fputc('"', out);
}

static void put_env(FILE *out, const char *entry)
{
    const char *eq = strchr(entry, '=');
    size_t name_len = eq ? (size_t)(eq - entry) : strlen(entry);
    const char *value = eq ? eq + 1 : "";
    put_string(out, entry, name_len);
    fputs(": ", out);
    put_string(out, value, strlen(value));
}

int layout_job_json_encode(const struct layout_job_info *info, char **text, size_t *len)
{
    char hex[17];
    FILE *out = open_memstream(text, len);
    if (!out)
        return -1;
    layout_hex64(info->binary_xxh64, hex);
    fprintf(out, "{\n  \"format\": \"%s\",\n  \"id\": ", JOB_FORMAT);
    put_string(out, info->id, strlen(info->id));
    fprintf(out, ",\n  \"np\": %d,\n  \"protocol\": ", info->np);
    put_string(out, info->protocol, strlen(info->protocol));
    fprintf(out, ",\n  \"binary_xxh64\": \"%s\",\n  \"created\": %lld,\n  \"argv\": [", hex,
            (long long)info->created);
    for (int i = 0; i < info->argc; i++) {
        fputs(i ? ", " : "", out);
        put_string(out, info->argv[i], strlen(info->argv[i]));
    }
    fputs("],\n  \"env\": {", out);
    for (int i = 0; i < info->envc; i++) {
        fputs(i ? ", " : "", out);
        put_env(out, info->env[i]);
    }
    fputs("},\n  ", out);
    if (fflush(out) != 0) {
        fclose(out);
        free(*text);
        return -1;
    }
    layout_hex64(xxh64(*text, *len, 0), hex);
    fprintf(out, "\"xxh64\": \"%s\"\n}\n", hex);
    if (fclose(out) != 0) {
        free(*text);
        return -1;
    }
    return 0;
}

/* ---- reader ------------------------------------------------------------- */

struct json {
    const char *text;
    const char *p;
    char *err;
    size_t key_at;                /* offset of the last key's opening quote */
    size_t sum_at;                /* offset of the "xxh64" key */
};

static int bad(struct json *j, const char *what)
{
    return layout_bad(j->err, EBADMSG, "%s at byte %zu", what, (size_t)(j->p - j->text));
}

static void ws(struct json *j)
{
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
        j->p++;
}

static int expect(struct json *j, char c)
{
    ws(j);
    if (*j->p != c) {
        char what[32];
        snprintf(what, sizeof what, "expected '%c'", c);
        return bad(j, what);
    }
    j->p++;
    return 0;
}

static int hex4(const char *p, unsigned *out)
{
    uint64_t v;
    char digits[16];
    memset(digits, '0', 12);
    for (int i = 0; i < 4; i++)
        digits[12 + i] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 'a' : p[i]);
    if (layout_parse_hex64(digits, 16, &v) < 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

static void put_utf8(char **o, unsigned cp)
{
    if (cp < 0x80) {
        *(*o)++ = (char)cp;
    } else if (cp < 0x800) {
        *(*o)++ = (char)(0xc0 | cp >> 6);
        *(*o)++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *(*o)++ = (char)(0xe0 | cp >> 12);
        *(*o)++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *(*o)++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *(*o)++ = (char)(0xf0 | cp >> 18);
        *(*o)++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *(*o)++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *(*o)++ = (char)(0x80 | (cp & 0x3f));
    }
}

/* \uXXXX, or a surrogate pair \uD8XX\uDCXX; p points after the 'u'. */
static int unicode_escape(struct json *j, char **o)
{
    unsigned hi, lo;
    if (hex4(j->p, &hi) < 0)
        return bad(j, "bad \\u escape");
    j->p += 4;
    if (hi >= 0xd800 && hi < 0xdc00) {
        if (j->p[0] != '\\' || j->p[1] != 'u' || hex4(j->p + 2, &lo) < 0 || lo < 0xdc00 ||
            lo >= 0xe000)
            return bad(j, "unpaired surrogate");
        j->p += 6;
        hi = 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
    }
    put_utf8(o, hi);
    return 0;
}

static int escape(struct json *j, char **o)
{
    static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
    char c = *j->p++;
    if (c == 'u')
        return unicode_escape(j, o);
    const char *at = c ? strchr(from, c) : NULL;
    if (!at)
        return bad(j, "bad escape");
    *(*o)++ = to[at - from];
    return 0;
}

/* A string into a malloc'd buffer (an escape never grows the text). */
static int parse_string(struct json *j, char **out)
{
    if (expect(j, '"') < 0)
        return -1;
    const char *end = j->p;
    while (*end && *end != '"')
        end += (*end == '\\' && end[1]) ? 2 : 1;
    char *buf = malloc((size_t)(end - j->p) + 1), *o = buf;
    if (!buf)
        return layout_fail(j->err, "cannot allocate a string");
    while (*j->p != '"') {
        if (*j->p == '\0' || (unsigned char)*j->p < 0x20) {
            free(buf);
            return bad(j, "unterminated string");
        }
        if (*j->p != '\\')
            *o++ = *j->p++;
        else if (j->p++, escape(j, &o) < 0) {
            free(buf);
            return -1;
        }
    }
    j->p++;
    *o = '\0';
    *out = buf;
    return 0;
}

static int parse_int(struct json *j, int64_t *out)
{
    ws(j);
    char *end;
    errno = 0;
    long long v = strtoll(j->p, &end, 10);
    if (end == j->p || errno)
        return bad(j, "expected an integer");
    j->p = end;
    *out = v;
    return 0;
}

/* Calls item() for each element of an array or member of an object
 * (object: the key is parsed first and handed over). */
typedef int item_fn(struct json *j, char *key, void *ctx);

static int each(struct json *j, int object, item_fn *item, void *ctx)
{
    char close = object ? '}' : ']';
    if (expect(j, object ? '{' : '[') < 0)
        return -1;
    ws(j);
    if (*j->p == close) {
        j->p++;
        return 0;
    }
    for (;;) {
        char *key = NULL;
        ws(j);
        j->key_at = (size_t)(j->p - j->text);
        if (object && (parse_string(j, &key) < 0 || expect(j, ':') < 0)) {
            free(key);
            return -1;
        }
        if (item(j, key, ctx) < 0)
            return -1;
        ws(j);
        if (*j->p == close) {
            j->p++;
            return 0;
        }
        if (expect(j, ',') < 0)
            return -1;
    }
}

static int skip_value(struct json *j, int depth);

static int skip_item(struct json *j, char *key, void *ctx)
{
    free(key);
    return skip_value(j, *(int *)ctx);
}

static int skip_value(struct json *j, int depth)
{
    ws(j);
    if (depth > MAX_DEPTH)
        return bad(j, "nested too deep");
    int inner = depth + 1;
    if (*j->p == '{' || *j->p == '[')
        return each(j, *j->p == '{', skip_item, &inner);
    if (*j->p == '"') {
        char *s;
        if (parse_string(j, &s) < 0)
            return -1;
        free(s);
        return 0;
    }
    static const char *const words[] = { "true", "false", "null" };
    for (int i = 0; i < 3; i++)
        if (strncmp(j->p, words[i], strlen(words[i])) == 0) {
            j->p += strlen(words[i]);
            return 0;
        }
    char *end;
    strtod(j->p, &end);
    if (end == j->p)
        return bad(j, "expected a value");
    j->p = end;
    return 0;
}

struct strings {
    char ***items;
    int *count;
};

static int push(struct json *j, struct strings *s, char *item)
{
    char **grown = realloc(*s->items, sizeof **s->items * (size_t)(*s->count + 2));
    if (!grown) {
        free(item);
        return layout_fail(j->err, "cannot allocate a list");
    }
    grown[(*s->count)++] = item;
    grown[*s->count] = NULL;
    *s->items = grown;
    return 0;
}

static int argv_item(struct json *j, char *key, void *ctx)
{
    char *s;
    (void)key;
    if (parse_string(j, &s) < 0)
        return -1;
    return push(j, ctx, s);
}

static int env_item(struct json *j, char *key, void *ctx)
{
    char *value, *entry;
    if (parse_string(j, &value) < 0) {
        free(key);
        return -1;
    }
    int n = asprintf(&entry, "%s=%s", key, value);
    free(key);
    free(value);
    if (n < 0)
        return layout_fail(j->err, "cannot allocate an environment entry");
    return push(j, ctx, entry);
}

static int copy_string(struct json *j, char *out, size_t size, const char *what)
{
    char *s;
    if (parse_string(j, &s) < 0)
        return -1;
    int fits = strlen(s) < size;
    if (fits)
        memcpy(out, s, strlen(s) + 1);
    free(s);
    return fits ? 0 : bad(j, what);
}

static int hex_field(struct json *j, uint64_t *out)
{
    char *s;
    if (parse_string(j, &s) < 0)
        return -1;
    int rc = layout_parse_hex64(s, strlen(s), out);
    free(s);
    return rc < 0 ? bad(j, "expected 16 hex digits") : 0;
}

enum { F_FORMAT, F_ID, F_NP, F_PROTOCOL, F_BINARY, F_CREATED, F_ARGV, F_ENV, F_SUM, F_COUNT };
static const char *const field_names[F_COUNT] = {
    "format", "id", "np", "protocol", "binary_xxh64", "created", "argv", "env", "xxh64",
};

struct decoding {
    struct layout_job_info *info;
    unsigned seen;
    uint64_t sum;
};

static int field(struct json *j, int f, struct decoding *d, size_t key_at)
{
    struct layout_job_info *info = d->info;
    char format[32];
    int64_t v;
    switch (f) {
    case F_FORMAT:
        if (copy_string(j, format, sizeof format, "unknown format") < 0)
            return -1;
        return strcmp(format, JOB_FORMAT) == 0 ? 0 : bad(j, "unknown format");
    case F_ID: return copy_string(j, info->id, sizeof info->id, "id too long");
    case F_PROTOCOL:
        return copy_string(j, info->protocol, sizeof info->protocol, "protocol too long");
    case F_NP:
        if (parse_int(j, &v) < 0)
            return -1;
        if (v < 1 || v > INT_MAX)
            return bad(j, "np out of range");
        info->np = (int)v;
        return 0;
    case F_CREATED: return parse_int(j, &info->created);
    case F_BINARY: return hex_field(j, &info->binary_xxh64);
    case F_ARGV: return each(j, 0, argv_item, &(struct strings){ &info->argv, &info->argc });
    case F_ENV: return each(j, 1, env_item, &(struct strings){ &info->env, &info->envc });
    default:
        j->sum_at = key_at;
        return hex_field(j, &d->sum);
    }
}

static int top_item(struct json *j, char *key, void *ctx)
{
    struct decoding *d = ctx;
    for (int f = 0; f < F_COUNT; f++) {
        if (strcmp(key, field_names[f]) != 0)
            continue;
        free(key);
        if (d->seen & 1u << f)
            return bad(j, "duplicate field");
        d->seen |= 1u << f;
        return field(j, f, d, j->key_at);
    }
    return skip_item(j, key, &(int){ 1 });
}

int layout_job_json_decode(const char *text, size_t len, struct layout_job_info *info,
                           char err[LAYOUT_ERROR_MAX])
{
    struct json j = { text, text, err, 0, 0 };
    struct decoding d = { info, 0, 0 };
    memset(info, 0, sizeof *info);
    if (strlen(text) != len) {
        layout_bad(err, EBADMSG, "a NUL byte inside");
        goto fail;
    }
    if (each(&j, 1, top_item, &d) < 0)
        goto fail;
    ws(&j);
    if (*j.p != '\0') {
        bad(&j, "trailing text");
        goto fail;
    }
    for (int f = 0; f < F_COUNT; f++)
        if (!(d.seen & 1u << f)) {
            layout_bad(err, EBADMSG, "field \"%s\" is missing", field_names[f]);
            goto fail;
        }
    if (xxh64(text, j.sum_at, 0) != d.sum) {
        layout_bad(err, EBADMSG, "checksum mismatch (damaged)");
        goto fail;
    }
    return 0;
fail:
    layout_job_info_free(info);
    return -1;
}

void layout_job_info_free(struct layout_job_info *info)
{
    for (int i = 0; i < info->argc; i++)
        free(info->argv[i]);
    for (int i = 0; i < info->envc; i++)
        free(info->env[i]);
    free(info->argv);
    free(info->env);
    info->argv = info->env = NULL;
    info->argc = info->envc = 0;
}
