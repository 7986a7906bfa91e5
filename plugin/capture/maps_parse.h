/*
 * maps_parse.h — a parser for the lines of /proc/<pid>/maps, shared by the
 * capture child (which must not use stdio or malloc) and the restorer
 * (which has no libc at all).
 *
 * Freestanding: no libc call, no allocation; entries point into the
 * caller's buffer, which must stay alive while they are used.
 */
#ifndef MPICKPT_CAPTURE_MAPS_PARSE_H
#define MPICKPT_CAPTURE_MAPS_PARSE_H

#include <stddef.h>
#include <stdint.h>

struct maps_entry {
    uint64_t start, end, offset, inode;
    unsigned dev_major, dev_minor;
    unsigned prot;          /* PROT_READ | PROT_WRITE | PROT_EXEC */
    int shared;             /* 's' rather than 'p' */
    const char *name;       /* path or [special], not NUL-terminated */
    size_t name_len;        /* 0 for an anonymous mapping */
};

/*
 * Parses the line at *cursor (text ends at end) into *e and moves *cursor
 * past it. Returns 1 for an entry, 0 at the end of the text, -1 for a line
 * that is not a maps line.
 */
int maps_next(const char **cursor, const char *end, struct maps_entry *e);

/* Whether e's name is exactly the NUL-terminated string s. */
int maps_name_is(const struct maps_entry *e, const char *s);

/* Whether e's name ends with the NUL-terminated string s. */
int maps_name_ends_with(const struct maps_entry *e, const char *s);

#endif
