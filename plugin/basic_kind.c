/*
 * basic_kind.c — size, alignment, pair flag and MPI name of every
 * predefined element kind (see basic_kind.h for the contract).
 *
 * Invariant: every number comes from sizeof/_Alignof of the C type (or,
 * for the pair kinds, of the C struct MPI defines), so the tables can never
 * disagree with the compiler that builds the application. One table row per
 * kind, in enum order; the static assertion catches a kind added to the
 * enum without a row here.
 */
#include "plugin/basic_kind.h"

#include <complex.h>
#include <stdbool.h>
#include <stdint.h>
#include <wchar.h>

/* The C structs behind MPI's MINLOC/MAXLOC pair types (MPI-3.1 §5.9.4). */
struct pair_float_int { float v; int i; };
struct pair_double_int { double v; int i; };
struct pair_long_int { long v; int i; };
struct pair_2int { int v; int i; };
struct pair_short_int { short v; int i; };
struct pair_long_double_int { long double v; int i; };

struct kind_row {
    size_t size;
    size_t align;
    bool pair;
    const char *name;
};

#define ROW(type, name) { sizeof(type), _Alignof(type), false, name }
#define PAIR(type, name) { sizeof(type), _Alignof(type), true, name }

static const struct kind_row rows[] = {
    [BASIC_CHAR] = ROW(char, "MPI_CHAR"),
    [BASIC_SIGNED_CHAR] = ROW(signed char, "MPI_SIGNED_CHAR"),
    [BASIC_UNSIGNED_CHAR] = ROW(unsigned char, "MPI_UNSIGNED_CHAR"),
    [BASIC_BYTE] = ROW(unsigned char, "MPI_BYTE"),
    [BASIC_PACKED] = ROW(unsigned char, "MPI_PACKED"),
    [BASIC_WCHAR] = ROW(wchar_t, "MPI_WCHAR"),
    [BASIC_SHORT] = ROW(short, "MPI_SHORT"),
    [BASIC_UNSIGNED_SHORT] = ROW(unsigned short, "MPI_UNSIGNED_SHORT"),
    [BASIC_INT] = ROW(int, "MPI_INT"),
    [BASIC_UNSIGNED] = ROW(unsigned, "MPI_UNSIGNED"),
    [BASIC_LONG] = ROW(long, "MPI_LONG"),
    [BASIC_UNSIGNED_LONG] = ROW(unsigned long, "MPI_UNSIGNED_LONG"),
    [BASIC_LONG_LONG] = ROW(long long, "MPI_LONG_LONG"),
    [BASIC_UNSIGNED_LONG_LONG] = ROW(unsigned long long, "MPI_UNSIGNED_LONG_LONG"),
    [BASIC_FLOAT] = ROW(float, "MPI_FLOAT"),
    [BASIC_DOUBLE] = ROW(double, "MPI_DOUBLE"),
    [BASIC_LONG_DOUBLE] = ROW(long double, "MPI_LONG_DOUBLE"),
    [BASIC_C_BOOL] = ROW(bool, "MPI_C_BOOL"),
    [BASIC_INT8] = ROW(int8_t, "MPI_INT8_T"),
    [BASIC_INT16] = ROW(int16_t, "MPI_INT16_T"),
    [BASIC_INT32] = ROW(int32_t, "MPI_INT32_T"),
    [BASIC_INT64] = ROW(int64_t, "MPI_INT64_T"),
    [BASIC_UINT8] = ROW(uint8_t, "MPI_UINT8_T"),
    [BASIC_UINT16] = ROW(uint16_t, "MPI_UINT16_T"),
    [BASIC_UINT32] = ROW(uint32_t, "MPI_UINT32_T"),
    [BASIC_UINT64] = ROW(uint64_t, "MPI_UINT64_T"),
    /* MPI_Aint is an address-sized signed integer; MPI_Offset and
     * MPI_Count are 64-bit signed integers (long long in Open MPI). */
    [BASIC_AINT] = ROW(intptr_t, "MPI_AINT"),
    [BASIC_OFFSET] = ROW(long long, "MPI_OFFSET"),
    [BASIC_COUNT] = ROW(long long, "MPI_COUNT"),
    [BASIC_FLOAT_COMPLEX] = ROW(float complex, "MPI_C_FLOAT_COMPLEX"),
    [BASIC_DOUBLE_COMPLEX] = ROW(double complex, "MPI_C_DOUBLE_COMPLEX"),
    [BASIC_LONG_DOUBLE_COMPLEX] = ROW(long double complex, "MPI_C_LONG_DOUBLE_COMPLEX"),
    [BASIC_FLOAT_INT] = PAIR(struct pair_float_int, "MPI_FLOAT_INT"),
    [BASIC_DOUBLE_INT] = PAIR(struct pair_double_int, "MPI_DOUBLE_INT"),
    [BASIC_LONG_INT] = PAIR(struct pair_long_int, "MPI_LONG_INT"),
    [BASIC_2INT] = PAIR(struct pair_2int, "MPI_2INT"),
    [BASIC_SHORT_INT] = PAIR(struct pair_short_int, "MPI_SHORT_INT"),
    [BASIC_LONG_DOUBLE_INT] = PAIR(struct pair_long_double_int, "MPI_LONG_DOUBLE_INT"),
};

_Static_assert(sizeof rows / sizeof rows[0] == BASIC_KIND_COUNT,
               "basic_kind.c: one table row per enum basic_kind");

/* Out-of-range kinds get neutral answers instead of reading past the table:
 * the callers validate kinds, this only keeps a bug from becoming a crash. */
static const struct kind_row *row_of(enum basic_kind kind)
{
    static const struct kind_row invalid = { 0, 1, false, "MPI_DATATYPE_NULL" };
    if ((unsigned)kind >= BASIC_KIND_COUNT)
        return &invalid;
    return &rows[kind];
}

size_t basic_kind_size(enum basic_kind kind)
{
    return row_of(kind)->size;
}

size_t basic_kind_align(enum basic_kind kind)
{
    return row_of(kind)->align;
}

int basic_kind_is_pair(enum basic_kind kind)
{
    return row_of(kind)->pair;
}

const char *basic_kind_name(enum basic_kind kind)
{
    return row_of(kind)->name;
}
