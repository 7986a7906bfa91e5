/*
 * layout_internal.h — helpers shared by the storage/layout_*.c files and by
 * nobody else: error lines, reading a small file whole, name and number
 * rules. Not part of the layout's contract (storage/layout.h is).
 */
#ifndef MPICKPT_STORAGE_LAYOUT_INTERNAL_H
#define MPICKPT_STORAGE_LAYOUT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "storage/layout_atomic.h"

/* Formats "<what>: <strerror(errno)>" into `err`; keeps errno; returns -1. */
int layout_fail(char err[LAYOUT_ERROR_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Formats the message as is into `err`, sets errno to `errnum`; returns -1.
 * For problems no syscall reported (bad contents, wrong size). */
int layout_bad(char err[LAYOUT_ERROR_MAX], int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* snprintf into a PATH_MAX buffer; -1 with errno ENAMETOOLONG if it does
 * not fit. */
int layout_path(char out[PATH_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reads a whole small file (at most `max` bytes) into a malloc'd buffer
 * with a terminating NUL, so text parsers can stop at it. */
int layout_read_small(const char *path, size_t max, char **data, size_t *len,
                      char err[LAYOUT_ERROR_MAX]);

/* Parses a decimal number with no sign, no leading zero (but "0"), no
 * trailing text: the only spelling of an epoch directory's name. */
int layout_parse_u64(const char *text, uint64_t *out);

/* Removes a directory tree; the first failure is reported. */
int layout_remove_tree(const char *path, char err[LAYOUT_ERROR_MAX]);

/* 16 lower-case hex digits, and back (exactly 16 digits, nothing else). */
void layout_hex64(uint64_t v, char out[17]);
int layout_parse_hex64(const char *text, size_t len, uint64_t *out);

struct layout_job_info;
/* job.json's text (layout_json.c), malloc'd, checksum field last. */
int layout_job_json_encode(const struct layout_job_info *info, char **text, size_t *len);
/* Parses job.json's text and checks its checksum; `err` gets the problem
 * without the path (the caller adds it). */
int layout_job_json_decode(const char *text, size_t len, struct layout_job_info *info,
                           char err[LAYOUT_ERROR_MAX]);

#endif
