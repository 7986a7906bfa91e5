/*
 * basic_kind.h — the predefined element types of MPI's C binding, as the
 * plugin's datatype engine and reduction kernels name them.
 *
 * The compute process never asks Open MPI about a datatype: every type is
 * described here, in the datatype engine (datatype.h) and in the reduction
 * kernels (reduce_ops.h). Invariant: BASIC_KIND_COUNT is the number of
 * kinds, and basic_kind_size()/basic_kind_align() give the C size and
 * alignment of one element on this machine (pair kinds are the C structs
 * MPI defines, e.g. struct { double v; int i; } for DOUBLE_INT, whose size
 * includes the trailing padding).
 */
#ifndef MPICKPT_PLUGIN_BASIC_KIND_H
#define MPICKPT_PLUGIN_BASIC_KIND_H

#include <stddef.h>

enum basic_kind {
    BASIC_CHAR,               /* MPI_CHAR */
    BASIC_SIGNED_CHAR,        /* MPI_SIGNED_CHAR */
    BASIC_UNSIGNED_CHAR,      /* MPI_UNSIGNED_CHAR */
    BASIC_BYTE,               /* MPI_BYTE */
    BASIC_PACKED,             /* MPI_PACKED (1 byte, no arithmetic) */
    BASIC_WCHAR,              /* MPI_WCHAR */
    BASIC_SHORT,              /* MPI_SHORT */
    BASIC_UNSIGNED_SHORT,     /* MPI_UNSIGNED_SHORT */
    BASIC_INT,                /* MPI_INT */
    BASIC_UNSIGNED,           /* MPI_UNSIGNED */
    BASIC_LONG,               /* MPI_LONG */
    BASIC_UNSIGNED_LONG,      /* MPI_UNSIGNED_LONG */
    BASIC_LONG_LONG,          /* MPI_LONG_LONG_INT, MPI_LONG_LONG */
    BASIC_UNSIGNED_LONG_LONG, /* MPI_UNSIGNED_LONG_LONG */
    BASIC_FLOAT,              /* MPI_FLOAT */
    BASIC_DOUBLE,             /* MPI_DOUBLE */
    BASIC_LONG_DOUBLE,        /* MPI_LONG_DOUBLE */
    BASIC_C_BOOL,             /* MPI_C_BOOL */
    BASIC_INT8,               /* MPI_INT8_T */
    BASIC_INT16,              /* MPI_INT16_T */
    BASIC_INT32,              /* MPI_INT32_T */
    BASIC_INT64,              /* MPI_INT64_T */
    BASIC_UINT8,              /* MPI_UINT8_T */
    BASIC_UINT16,             /* MPI_UINT16_T */
    BASIC_UINT32,             /* MPI_UINT32_T */
    BASIC_UINT64,             /* MPI_UINT64_T */
    BASIC_AINT,               /* MPI_AINT */
    BASIC_OFFSET,             /* MPI_OFFSET */
    BASIC_COUNT,              /* MPI_COUNT */
    BASIC_FLOAT_COMPLEX,      /* MPI_C_FLOAT_COMPLEX, MPI_C_COMPLEX */
    BASIC_DOUBLE_COMPLEX,     /* MPI_C_DOUBLE_COMPLEX */
    BASIC_LONG_DOUBLE_COMPLEX,/* MPI_C_LONG_DOUBLE_COMPLEX */
    BASIC_FLOAT_INT,          /* MPI_FLOAT_INT:  struct { float v; int i; } */
    BASIC_DOUBLE_INT,         /* MPI_DOUBLE_INT: struct { double v; int i; } */
    BASIC_LONG_INT,           /* MPI_LONG_INT:   struct { long v; int i; } */
    BASIC_2INT,               /* MPI_2INT:       struct { int v; int i; } */
    BASIC_SHORT_INT,          /* MPI_SHORT_INT:  struct { short v; int i; } */
    BASIC_LONG_DOUBLE_INT,    /* MPI_LONG_DOUBLE_INT: struct { long double v; int i; } */
    BASIC_KIND_COUNT
};

/* Size in bytes of one element of `kind` (pair kinds: the padded struct). */
size_t basic_kind_size(enum basic_kind kind);
/* Alignment in bytes of one element of `kind`. */
size_t basic_kind_align(enum basic_kind kind);
/* Nonzero for the pair kinds used by MPI_MAXLOC / MPI_MINLOC. */
int basic_kind_is_pair(enum basic_kind kind);
/* The MPI name of the kind, e.g. "MPI_DOUBLE_INT", for messages. */
const char *basic_kind_name(enum basic_kind kind);

#endif
