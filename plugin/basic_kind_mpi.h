/*
 * basic_kind_mpi.h — the predefined MPI datatype of each basic kind, for
 * code that does talk to Open MPI about basic kinds: the keeper's reductions
 * (launcher/serve_coll.c) and the unit tests that compare the plugin's
 * engines with Open MPI's. Kept apart from basic_kind.h because that one
 * must not need mpi.h (the compute side never asks Open MPI anything).
 * Invariant: one case per kind; an unknown kind gives MPI_DATATYPE_NULL.
 */
#ifndef MPICKPT_PLUGIN_BASIC_KIND_MPI_H
#define MPICKPT_PLUGIN_BASIC_KIND_MPI_H

#include <mpi.h>

#include "plugin/basic_kind.h"

static inline MPI_Datatype basic_kind_mpi_type(enum basic_kind kind)
{
    switch (kind) {
    case BASIC_CHAR: return MPI_CHAR;
    case BASIC_SIGNED_CHAR: return MPI_SIGNED_CHAR;
    case BASIC_UNSIGNED_CHAR: return MPI_UNSIGNED_CHAR;
    case BASIC_BYTE: return MPI_BYTE;
    case BASIC_PACKED: return MPI_PACKED;
    case BASIC_WCHAR: return MPI_WCHAR;
    case BASIC_SHORT: return MPI_SHORT;
    case BASIC_UNSIGNED_SHORT: return MPI_UNSIGNED_SHORT;
    case BASIC_INT: return MPI_INT;
    case BASIC_UNSIGNED: return MPI_UNSIGNED;
    case BASIC_LONG: return MPI_LONG;
    case BASIC_UNSIGNED_LONG: return MPI_UNSIGNED_LONG;
    case BASIC_LONG_LONG: return MPI_LONG_LONG;
    case BASIC_UNSIGNED_LONG_LONG: return MPI_UNSIGNED_LONG_LONG;
    case BASIC_FLOAT: return MPI_FLOAT;
    case BASIC_DOUBLE: return MPI_DOUBLE;
    case BASIC_LONG_DOUBLE: return MPI_LONG_DOUBLE;
    case BASIC_C_BOOL: return MPI_C_BOOL;
    case BASIC_INT8: return MPI_INT8_T;
    case BASIC_INT16: return MPI_INT16_T;
    case BASIC_INT32: return MPI_INT32_T;
    case BASIC_INT64: return MPI_INT64_T;
    case BASIC_UINT8: return MPI_UINT8_T;
    case BASIC_UINT16: return MPI_UINT16_T;
    case BASIC_UINT32: return MPI_UINT32_T;
    case BASIC_UINT64: return MPI_UINT64_T;
    case BASIC_AINT: return MPI_AINT;
    case BASIC_OFFSET: return MPI_OFFSET;
    case BASIC_COUNT: return MPI_COUNT;
    case BASIC_FLOAT_COMPLEX: return MPI_C_FLOAT_COMPLEX;
    case BASIC_DOUBLE_COMPLEX: return MPI_C_DOUBLE_COMPLEX;
    case BASIC_LONG_DOUBLE_COMPLEX: return MPI_C_LONG_DOUBLE_COMPLEX;
    case BASIC_FLOAT_INT: return MPI_FLOAT_INT;
    case BASIC_DOUBLE_INT: return MPI_DOUBLE_INT;
    case BASIC_LONG_INT: return MPI_LONG_INT;
    case BASIC_2INT: return MPI_2INT;
    case BASIC_SHORT_INT: return MPI_SHORT_INT;
    case BASIC_LONG_DOUBLE_INT: return MPI_LONG_DOUBLE_INT;
    case BASIC_KIND_COUNT: break;
    }
    return MPI_DATATYPE_NULL;
}

#endif
