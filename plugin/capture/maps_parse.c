/*
 * maps_parse.c — /proc/<pid>/maps lines (see maps_parse.h). The format is
 * the kernel's show_map_vma(): "start-end perms offset major:minor inode",
 * then spaces and the name up to the end of the line (names may contain
 * spaces, so the name is everything after the padding).
 */
#include "plugin/capture/maps_parse.h"

/* The PROT_* values of <sys/mman.h>, which freestanding code cannot
 * include; the kernel ABI fixes them. */
enum { PROT_R = 1, PROT_W = 2, PROT_X = 4 };

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Parses hex digits at *p up to end; returns the count of digits read. */
static int parse_hex(const char **p, const char *end, uint64_t *out)
{
    int n = 0;
    uint64_t v = 0;
    while (*p < end && hexval(**p) >= 0) {
        v = v << 4 | (uint64_t)hexval(**p);
        (*p)++;
        n++;
    }
    *out = v;
    return n;
}

static int parse_dec(const char **p, const char *end, uint64_t *out)
{
    int n = 0;
    uint64_t v = 0;
    while (*p < end && **p >= '0' && **p <= '9') {
        v = v * 10 + (uint64_t)(**p - '0');
        (*p)++;
        n++;
    }
    *out = v;
    return n;
}

static int expect(const char **p, const char *end, char c)
{
    if (*p >= end || **p != c)
        return 0;
    (*p)++;
    return 1;
}

static int parse_perms(const char **p, const char *end, struct maps_entry *e)
{
    if (end - *p < 4)
        return 0;
    const char *s = *p;
    e->prot = (s[0] == 'r' ? PROT_R : 0) | (s[1] == 'w' ? PROT_W : 0) | (s[2] == 'x' ? PROT_X : 0);
    e->shared = s[3] == 's';
    *p += 4;
    return 1;
}

int maps_next(const char **cursor, const char *end, struct maps_entry *e)
{
    const char *p = *cursor;
    if (p >= end)
        return 0;
    const char *eol = p;
    while (eol < end && *eol != '\n')
        eol++;
    *cursor = eol < end ? eol + 1 : eol;
    uint64_t maj, min;
    if (!parse_hex(&p, eol, &e->start) || !expect(&p, eol, '-') ||
        !parse_hex(&p, eol, &e->end) || !expect(&p, eol, ' ') ||
        !parse_perms(&p, eol, e) || !expect(&p, eol, ' ') ||
        !parse_hex(&p, eol, &e->offset) || !expect(&p, eol, ' ') ||
        !parse_hex(&p, eol, &maj) || !expect(&p, eol, ':') ||
        !parse_hex(&p, eol, &min) || !expect(&p, eol, ' ') ||
        !parse_dec(&p, eol, &e->inode))
        return -1;
    e->dev_major = (unsigned)maj;
    e->dev_minor = (unsigned)min;
    while (p < eol && *p == ' ')
        p++;
    e->name = p;
    e->name_len = (size_t)(eol - p);
    return 1;
}

int maps_name_is(const struct maps_entry *e, const char *s)
{
    size_t i = 0;
    for (; s[i]; i++)
        if (i >= e->name_len || e->name[i] != s[i])
            return 0;
    return i == e->name_len;
}

int maps_name_ends_with(const struct maps_entry *e, const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    if (n > e->name_len)
        return 0;
    const char *tail = e->name + e->name_len - n;
    for (size_t i = 0; i < n; i++)
        if (tail[i] != s[i])
            return 0;
    return 1;
}
