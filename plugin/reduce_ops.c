/*
 * reduce_ops.c — typed loops for MPI's predefined reduction operations
 * (contract and semantics in reduce_ops.h).
 *
 * Layout: each basic kind maps to an element type (`enum elem`: the C type
 * the kernels compute in) and to the set of ops it accepts. A table gives,
 * per (element type, op), one loop compiled for that type; REPLACE and
 * NO_OP need no arithmetic and are done here for every kind.
 *
 * Invariants:
 * - Elements are read and written with memcpy of a constant size, so any
 *   alignment works and the compiler still emits plain loads and stores.
 * - Integer SUM, PROD, logical and bitwise ops are computed on the
 *   unsigned type of the same width: the bits are those of the signed
 *   operation in two's complement, without signed-overflow UB. Only MAX
 *   and MIN need signedness.
 * - Each loop evaluates the same expression as Open MPI's base component
 *   with the same operand order, `b` being inout[i] and `a` being in[i].
 */
#include "plugin/reduce_ops.h"

#include <complex.h>
#include <float.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <wchar.h>

/* Bytes of a long double that hold its value. x87's 80-bit format sits in
 * 16 bytes (12 on i386); its stores write 10, so Open MPI leaves the rest
 * of each element untouched, and so must we. */
#if LDBL_MANT_DIG == 64
#define LDOUBLE_VALUE_BYTES 10
#else
#define LDOUBLE_VALUE_BYTES sizeof(long double)
#endif

/* ---- element access ---------------------------------------------------- */

/* name_t, load_name() and store_name() for a type stored as all its bytes. */
#define PLAIN_ACCESS(name, T)                                                 \
    typedef T name##_t;                                                       \
    static inline T load_##name(const unsigned char *p)                       \
    {                                                                         \
        T v;                                                                  \
        memcpy(&v, p, sizeof v);                                              \
        return v;                                                             \
    }                                                                         \
    static inline void store_##name(unsigned char *p, T v)                    \
    {                                                                         \
        memcpy(p, &v, sizeof v);                                              \
    }

PLAIN_ACCESS(i8, int8_t)
PLAIN_ACCESS(u8, uint8_t)
PLAIN_ACCESS(i16, int16_t)
PLAIN_ACCESS(u16, uint16_t)
PLAIN_ACCESS(i32, int32_t)
PLAIN_ACCESS(u32, uint32_t)
PLAIN_ACCESS(i64, int64_t)
PLAIN_ACCESS(u64, uint64_t)
PLAIN_ACCESS(flt, float)
PLAIN_ACCESS(dbl, double)
PLAIN_ACCESS(cflt, float complex)
PLAIN_ACCESS(cdbl, double complex)
/* The value and index types of the pair kinds. */
PLAIN_ACCESS(sshort, short)
PLAIN_ACCESS(sint, int)
PLAIN_ACCESS(slong, long)

/* C_BOOL is read as a byte, so a byte other than 0 or 1 counts as true
 * instead of being an invalid _Bool; results are always 0 or 1. */
typedef uint8_t cbool_t;
#define load_cbool load_u8
#define store_cbool store_u8

typedef long double ldbl_t;
static inline long double load_ldbl(const unsigned char *p)
{
    long double v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void store_ldbl(unsigned char *p, long double v)
{
    memcpy(p, &v, LDOUBLE_VALUE_BYTES);
}

/* A long double complex is two long doubles, each with its own padding. */
typedef long double complex cldbl_t;
static inline long double complex load_cldbl(const unsigned char *p)
{
    long double complex v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void store_cldbl(unsigned char *p, long double complex v)
{
    store_ldbl(p, creall(v));
    store_ldbl(p + sizeof(long double), cimagl(v));
}

/* ---- element loops ----------------------------------------------------- */

typedef void kernel_fn(const unsigned char *in, unsigned char *io, size_t n);

/* name_op(): io[i] = EXPR for i < n, where EXPR sees a = in[i] and
 * b = io[i] as name_t values. */
#define KERNEL(name, op, EXPR)                                                \
    static void name##_##op(const unsigned char *in, unsigned char *io,       \
                            size_t n)                                         \
    {                                                                         \
        for (size_t i = 0; i < n; i++) {                                      \
            name##_t a = load_##name(in + i * sizeof(name##_t));              \
            name##_t b = load_##name(io + i * sizeof(name##_t));              \
            store_##name(io + i * sizeof(name##_t), (name##_t)(EXPR));        \
        }                                                                     \
    }

/* Comparisons put b first, as Open MPI does: with unordered or equal
 * floating operands the result is then `a`. */
#define MINMAX_KERNELS(name)                                                  \
    KERNEL(name, max, b > a ? b : a)                                          \
    KERNEL(name, min, b < a ? b : a)

/* Unsigned types only. `1u *` makes the product unsigned int or wider:
 * uint16_t operands would otherwise be promoted to int and could overflow. */
#define WRAPPING_INT_KERNELS(name)                                            \
    KERNEL(name, sum, b + a)                                                  \
    KERNEL(name, prod, 1u * b * a)                                            \
    KERNEL(name, band, b & a)                                                 \
    KERNEL(name, bor, b | a)                                                  \
    KERNEL(name, bxor, b ^ a)

#define LOGICAL_KERNELS(name)                                                 \
    KERNEL(name, land, b != 0 && a != 0)                                      \
    KERNEL(name, lor, b != 0 || a != 0)                                       \
    KERNEL(name, lxor, (b != 0) != (a != 0))

#define ARITH_KERNELS(name)                                                   \
    KERNEL(name, sum, b + a)                                                  \
    KERNEL(name, prod, b * a)

MINMAX_KERNELS(i8)
MINMAX_KERNELS(u8)
MINMAX_KERNELS(i16)
MINMAX_KERNELS(u16)
MINMAX_KERNELS(i32)
MINMAX_KERNELS(u32)
MINMAX_KERNELS(i64)
MINMAX_KERNELS(u64)
WRAPPING_INT_KERNELS(u8)
WRAPPING_INT_KERNELS(u16)
WRAPPING_INT_KERNELS(u32)
WRAPPING_INT_KERNELS(u64)
LOGICAL_KERNELS(u8)
LOGICAL_KERNELS(u16)
LOGICAL_KERNELS(u32)
LOGICAL_KERNELS(u64)
LOGICAL_KERNELS(cbool)
MINMAX_KERNELS(flt)
MINMAX_KERNELS(dbl)
MINMAX_KERNELS(ldbl)
ARITH_KERNELS(flt)
ARITH_KERNELS(dbl)
ARITH_KERNELS(ldbl)
ARITH_KERNELS(cflt)
ARITH_KERNELS(cdbl)
ARITH_KERNELS(cldbl)

/* The C structs MPI defines for the MAXLOC/MINLOC pair types. */
struct float_int { float v; int k; };
struct double_int { double v; int k; };
struct long_int { long v; int k; };
struct int_int { int v; int k; };
struct short_int { short v; int k; };
struct ldouble_int { long double v; int k; };

/* pair_op(): MAXLOC (BETTER is >) or MINLOC (<). Stores only the fields
 * that change, as Open MPI does, so padding is never written. */
#define LOC_KERNEL(pair, vname, op, BETTER)                                   \
    static void pair##_##op(const unsigned char *in, unsigned char *io,       \
                            size_t n)                                         \
    {                                                                         \
        const size_t v_off = offsetof(struct pair, v);                        \
        const size_t k_off = offsetof(struct pair, k);                        \
        for (size_t i = 0; i < n; i++) {                                      \
            const unsigned char *pa = in + i * sizeof(struct pair);           \
            unsigned char *pb = io + i * sizeof(struct pair);                 \
            vname##_t av = load_##vname(pa + v_off);                          \
            vname##_t bv = load_##vname(pb + v_off);                          \
            int ak = load_sint(pa + k_off);                                   \
            if (av BETTER bv) {                                               \
                store_##vname(pb + v_off, av);                                \
                store_sint(pb + k_off, ak);                                   \
            } else if (av == bv && ak < load_sint(pb + k_off)) {              \
                store_sint(pb + k_off, ak);                                   \
            }                                                                 \
        }                                                                     \
    }

#define LOC_KERNELS(pair, vname)                                              \
    LOC_KERNEL(pair, vname, maxloc, >)                                        \
    LOC_KERNEL(pair, vname, minloc, <)

LOC_KERNELS(float_int, flt)
LOC_KERNELS(double_int, dbl)
LOC_KERNELS(long_int, slong)
LOC_KERNELS(int_int, sint)
LOC_KERNELS(short_int, sshort)
LOC_KERNELS(ldouble_int, ldbl)

/* ---- element types ----------------------------------------------------- */

enum elem {
    E_I8, E_U8, E_I16, E_U16, E_I32, E_U32, E_I64, E_U64,
    E_BOOL,
    E_FLOAT, E_DOUBLE, E_LDOUBLE,
    E_CFLOAT, E_CDOUBLE, E_CLDOUBLE,
    E_FLOAT_INT, E_DOUBLE_INT, E_LONG_INT, E_2INT, E_SHORT_INT,
    E_LDOUBLE_INT,
    E_COUNT
};

static const size_t elem_size[E_COUNT] = {
    [E_I8] = 1, [E_U8] = 1, [E_I16] = 2, [E_U16] = 2,
    [E_I32] = 4, [E_U32] = 4, [E_I64] = 8, [E_U64] = 8,
    [E_BOOL] = sizeof(cbool_t),
    [E_FLOAT] = sizeof(float),
    [E_DOUBLE] = sizeof(double),
    [E_LDOUBLE] = sizeof(long double),
    [E_CFLOAT] = sizeof(float complex),
    [E_CDOUBLE] = sizeof(double complex),
    [E_CLDOUBLE] = sizeof(long double complex),
    [E_FLOAT_INT] = sizeof(struct float_int),
    [E_DOUBLE_INT] = sizeof(struct double_int),
    [E_LONG_INT] = sizeof(struct long_int),
    [E_2INT] = sizeof(struct int_int),
    [E_SHORT_INT] = sizeof(struct short_int),
    [E_LDOUBLE_INT] = sizeof(struct ldouble_int),
};

/* C integer types of platform-dependent width map to the fixed-width
 * element of their size, as Open MPI's op tables do. */
#define SIGNED_ELEM(T)                                                        \
    (sizeof(T) == 1 ? E_I8 : sizeof(T) == 2 ? E_I16                           \
     : sizeof(T) == 4 ? E_I32 : E_I64)
#define UNSIGNED_ELEM(T)                                                      \
    (sizeof(T) == 1 ? E_U8 : sizeof(T) == 2 ? E_U16                           \
     : sizeof(T) == 4 ? E_U32 : E_U64)
#define FIXED_WIDTH(T)                                                        \
    (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8)
_Static_assert(FIXED_WIDTH(short) && FIXED_WIDTH(int) && FIXED_WIDTH(long)
               && FIXED_WIDTH(long long) && FIXED_WIDTH(ptrdiff_t)
               && FIXED_WIDTH(wchar_t),
               "every C integer kind must have a fixed-width element");
_Static_assert(sizeof(long long) == 8,
               "MPI_Offset and MPI_Count are 64-bit in Open MPI");
_Static_assert(sizeof(_Bool) == 1, "MPI_C_BOOL is read as one byte");

/* ---- which ops each kind takes ----------------------------------------- */

#define OP(o) (1u << (o))
#define OPS_C_INTEGER                                                         \
    (OP(ROP_MAX) | OP(ROP_MIN) | OP(ROP_SUM) | OP(ROP_PROD) | OP(ROP_LAND)    \
     | OP(ROP_LOR) | OP(ROP_LXOR) | OP(ROP_BAND) | OP(ROP_BOR) | OP(ROP_BXOR))
#define OPS_FLOATING (OP(ROP_MAX) | OP(ROP_MIN) | OP(ROP_SUM) | OP(ROP_PROD))
#define OPS_LOGICAL (OP(ROP_LAND) | OP(ROP_LOR) | OP(ROP_LXOR))
#define OPS_COMPLEX (OP(ROP_SUM) | OP(ROP_PROD))
#define OPS_BYTE (OP(ROP_BAND) | OP(ROP_BOR) | OP(ROP_BXOR))
#define OPS_PAIR (OP(ROP_MAXLOC) | OP(ROP_MINLOC))
#define OPS_RMA (OP(ROP_REPLACE) | OP(ROP_NO_OP))

static const struct kind_ops {
    unsigned char elem; /* enum elem */
    unsigned short ops; /* OP() bits */
} kinds[BASIC_KIND_COUNT] = {
    /* Open MPI reduces MPI_CHAR as int8_t, beyond the standard. */
    [BASIC_CHAR] = { E_I8, OPS_C_INTEGER | OPS_RMA },
    [BASIC_SIGNED_CHAR] = { E_I8, OPS_C_INTEGER | OPS_RMA },
    [BASIC_UNSIGNED_CHAR] = { E_U8, OPS_C_INTEGER | OPS_RMA },
    [BASIC_BYTE] = { E_U8, OPS_BYTE | OPS_RMA },
    [BASIC_PACKED] = { E_U8, 0 },
    /* Open MPI has no reduction for MPI_WCHAR. */
    [BASIC_WCHAR] = { SIGNED_ELEM(wchar_t), OPS_RMA },
    [BASIC_SHORT] = { SIGNED_ELEM(short), OPS_C_INTEGER | OPS_RMA },
    [BASIC_UNSIGNED_SHORT] = { UNSIGNED_ELEM(short), OPS_C_INTEGER | OPS_RMA },
    [BASIC_INT] = { SIGNED_ELEM(int), OPS_C_INTEGER | OPS_RMA },
    [BASIC_UNSIGNED] = { UNSIGNED_ELEM(int), OPS_C_INTEGER | OPS_RMA },
    [BASIC_LONG] = { SIGNED_ELEM(long), OPS_C_INTEGER | OPS_RMA },
    /* Open MPI 4.1.2 to 4.1.4 reduce MPI_UNSIGNED_LONG as signed long, so
     * MAX/MIN compare signed (open-mpi/ompi#10525); replay must reproduce
     * that. Its other ops have the same bits either way. */
    [BASIC_UNSIGNED_LONG] = { SIGNED_ELEM(long), OPS_C_INTEGER | OPS_RMA },
    [BASIC_LONG_LONG] = { SIGNED_ELEM(long long), OPS_C_INTEGER | OPS_RMA },
    [BASIC_UNSIGNED_LONG_LONG] = { UNSIGNED_ELEM(long long),
                                   OPS_C_INTEGER | OPS_RMA },
    [BASIC_FLOAT] = { E_FLOAT, OPS_FLOATING | OPS_RMA },
    [BASIC_DOUBLE] = { E_DOUBLE, OPS_FLOATING | OPS_RMA },
    [BASIC_LONG_DOUBLE] = { E_LDOUBLE, OPS_FLOATING | OPS_RMA },
    [BASIC_C_BOOL] = { E_BOOL, OPS_LOGICAL | OPS_RMA },
    [BASIC_INT8] = { E_I8, OPS_C_INTEGER | OPS_RMA },
    [BASIC_INT16] = { E_I16, OPS_C_INTEGER | OPS_RMA },
    [BASIC_INT32] = { E_I32, OPS_C_INTEGER | OPS_RMA },
    [BASIC_INT64] = { E_I64, OPS_C_INTEGER | OPS_RMA },
    [BASIC_UINT8] = { E_U8, OPS_C_INTEGER | OPS_RMA },
    [BASIC_UINT16] = { E_U16, OPS_C_INTEGER | OPS_RMA },
    [BASIC_UINT32] = { E_U32, OPS_C_INTEGER | OPS_RMA },
    [BASIC_UINT64] = { E_U64, OPS_C_INTEGER | OPS_RMA },
    [BASIC_AINT] = { SIGNED_ELEM(ptrdiff_t), OPS_C_INTEGER | OPS_RMA },
    /* Open MPI's op table maps MPI_OFFSET to uint64_t: MAX/MIN compare
     * unsigned. Replay must reproduce that, so we do too. */
    [BASIC_OFFSET] = { E_U64, OPS_C_INTEGER | OPS_RMA },
    [BASIC_COUNT] = { E_I64, OPS_C_INTEGER | OPS_RMA },
    [BASIC_FLOAT_COMPLEX] = { E_CFLOAT, OPS_COMPLEX | OPS_RMA },
    [BASIC_DOUBLE_COMPLEX] = { E_CDOUBLE, OPS_COMPLEX | OPS_RMA },
    [BASIC_LONG_DOUBLE_COMPLEX] = { E_CLDOUBLE, OPS_COMPLEX | OPS_RMA },
    [BASIC_FLOAT_INT] = { E_FLOAT_INT, OPS_PAIR | OPS_RMA },
    [BASIC_DOUBLE_INT] = { E_DOUBLE_INT, OPS_PAIR | OPS_RMA },
    [BASIC_LONG_INT] = { E_LONG_INT, OPS_PAIR | OPS_RMA },
    [BASIC_2INT] = { E_2INT, OPS_PAIR | OPS_RMA },
    [BASIC_SHORT_INT] = { E_SHORT_INT, OPS_PAIR | OPS_RMA },
    [BASIC_LONG_DOUBLE_INT] = { E_LDOUBLE_INT, OPS_PAIR | OPS_RMA },
};

/* ---- (element type, op) -> loop ---------------------------------------- */

/* A signed integer shares its unsigned twin's loops except for MAX/MIN. */
#define INTEGER_ROW(s, u)                                                     \
    {                                                                         \
        [ROP_MAX] = s##_max, [ROP_MIN] = s##_min,                             \
        [ROP_SUM] = u##_sum, [ROP_PROD] = u##_prod,                           \
        [ROP_LAND] = u##_land, [ROP_LOR] = u##_lor, [ROP_LXOR] = u##_lxor,    \
        [ROP_BAND] = u##_band, [ROP_BOR] = u##_bor, [ROP_BXOR] = u##_bxor,    \
    }
#define FLOATING_ROW(f)                                                       \
    {                                                                         \
        [ROP_MAX] = f##_max, [ROP_MIN] = f##_min,                             \
        [ROP_SUM] = f##_sum, [ROP_PROD] = f##_prod,                           \
    }
#define COMPLEX_ROW(c) { [ROP_SUM] = c##_sum, [ROP_PROD] = c##_prod }
#define PAIR_ROW(p) { [ROP_MAXLOC] = p##_maxloc, [ROP_MINLOC] = p##_minloc }

static kernel_fn *const kernels[E_COUNT][REDUCE_OP_COUNT] = {
    [E_I8] = INTEGER_ROW(i8, u8),
    [E_U8] = INTEGER_ROW(u8, u8),
    [E_I16] = INTEGER_ROW(i16, u16),
    [E_U16] = INTEGER_ROW(u16, u16),
    [E_I32] = INTEGER_ROW(i32, u32),
    [E_U32] = INTEGER_ROW(u32, u32),
    [E_I64] = INTEGER_ROW(i64, u64),
    [E_U64] = INTEGER_ROW(u64, u64),
    [E_BOOL] = { [ROP_LAND] = cbool_land, [ROP_LOR] = cbool_lor,
                 [ROP_LXOR] = cbool_lxor },
    [E_FLOAT] = FLOATING_ROW(flt),
    [E_DOUBLE] = FLOATING_ROW(dbl),
    [E_LDOUBLE] = FLOATING_ROW(ldbl),
    [E_CFLOAT] = COMPLEX_ROW(cflt),
    [E_CDOUBLE] = COMPLEX_ROW(cdbl),
    [E_CLDOUBLE] = COMPLEX_ROW(cldbl),
    [E_FLOAT_INT] = PAIR_ROW(float_int),
    [E_DOUBLE_INT] = PAIR_ROW(double_int),
    [E_LONG_INT] = PAIR_ROW(long_int),
    [E_2INT] = PAIR_ROW(int_int),
    [E_SHORT_INT] = PAIR_ROW(short_int),
    [E_LDOUBLE_INT] = PAIR_ROW(ldouble_int),
};

/* ---- public API -------------------------------------------------------- */

int reduce_op_valid(enum reduce_op op, enum basic_kind kind)
{
    if ((unsigned)op >= REDUCE_OP_COUNT || (unsigned)kind >= BASIC_KIND_COUNT)
        return 0;
    return (kinds[kind].ops & OP(op)) != 0;
}

int reduce_apply(enum reduce_op op, enum basic_kind kind, const void *in,
                 void *inout, size_t count)
{
    if (!reduce_op_valid(op, kind))
        return REDUCE_ERR_OP;
    /* memmove(NULL, NULL, 0) is undefined, and there is nothing to do. */
    if (count == 0 || op == ROP_NO_OP)
        return 0;
    const enum elem elem = kinds[kind].elem;
    if (op == ROP_REPLACE)
        memmove(inout, in, count * elem_size[elem]);
    else
        kernels[elem][op](in, inout, count);
    return 0;
}

const char *reduce_op_name(enum reduce_op op)
{
    static const char *const names[REDUCE_OP_COUNT] = {
        [ROP_MAX] = "MPI_MAX", [ROP_MIN] = "MPI_MIN",
        [ROP_SUM] = "MPI_SUM", [ROP_PROD] = "MPI_PROD",
        [ROP_LAND] = "MPI_LAND", [ROP_BAND] = "MPI_BAND",
        [ROP_LOR] = "MPI_LOR", [ROP_BOR] = "MPI_BOR",
        [ROP_LXOR] = "MPI_LXOR", [ROP_BXOR] = "MPI_BXOR",
        [ROP_MAXLOC] = "MPI_MAXLOC", [ROP_MINLOC] = "MPI_MINLOC",
        [ROP_REPLACE] = "MPI_REPLACE", [ROP_NO_OP] = "MPI_NO_OP",
    };
    return (unsigned)op < REDUCE_OP_COUNT ? names[op] : "?";
}
