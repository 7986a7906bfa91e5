/*
 * types.c — the table of predefined datatype handles and the wrapper of
 * derived types (see types.h).
 */
#include "plugin/types.h"

#include <stdlib.h>

#include "plugin/datatype.h"

struct predefined {
    MPI_Datatype handle;
    enum basic_kind kind;
    const char *name;
};

#define P(h, k) { h, k, #h }
static const struct predefined predefined[] = {
    P(MPI_CHAR, BASIC_CHAR),
    P(MPI_SIGNED_CHAR, BASIC_SIGNED_CHAR),
    P(MPI_UNSIGNED_CHAR, BASIC_UNSIGNED_CHAR),
    P(MPI_BYTE, BASIC_BYTE),
    P(MPI_PACKED, BASIC_PACKED),
    P(MPI_WCHAR, BASIC_WCHAR),
    P(MPI_SHORT, BASIC_SHORT),
    P(MPI_UNSIGNED_SHORT, BASIC_UNSIGNED_SHORT),
    P(MPI_INT, BASIC_INT),
    P(MPI_UNSIGNED, BASIC_UNSIGNED),
    P(MPI_LONG, BASIC_LONG),
    P(MPI_UNSIGNED_LONG, BASIC_UNSIGNED_LONG),
    P(MPI_LONG_LONG_INT, BASIC_LONG_LONG),
    P(MPI_LONG_LONG, BASIC_LONG_LONG),
    P(MPI_UNSIGNED_LONG_LONG, BASIC_UNSIGNED_LONG_LONG),
    P(MPI_FLOAT, BASIC_FLOAT),
    P(MPI_DOUBLE, BASIC_DOUBLE),
    P(MPI_LONG_DOUBLE, BASIC_LONG_DOUBLE),
    P(MPI_C_BOOL, BASIC_C_BOOL),
    P(MPI_INT8_T, BASIC_INT8),
    P(MPI_INT16_T, BASIC_INT16),
    P(MPI_INT32_T, BASIC_INT32),
    P(MPI_INT64_T, BASIC_INT64),
    P(MPI_UINT8_T, BASIC_UINT8),
    P(MPI_UINT16_T, BASIC_UINT16),
    P(MPI_UINT32_T, BASIC_UINT32),
    P(MPI_UINT64_T, BASIC_UINT64),
    P(MPI_AINT, BASIC_AINT),
    P(MPI_OFFSET, BASIC_OFFSET),
    P(MPI_COUNT, BASIC_COUNT),
    P(MPI_C_FLOAT_COMPLEX, BASIC_FLOAT_COMPLEX),
    P(MPI_C_COMPLEX, BASIC_FLOAT_COMPLEX),
    P(MPI_C_DOUBLE_COMPLEX, BASIC_DOUBLE_COMPLEX),
    P(MPI_C_LONG_DOUBLE_COMPLEX, BASIC_LONG_DOUBLE_COMPLEX),
    P(MPI_FLOAT_INT, BASIC_FLOAT_INT),
    P(MPI_DOUBLE_INT, BASIC_DOUBLE_INT),
    P(MPI_LONG_INT, BASIC_LONG_INT),
    P(MPI_2INT, BASIC_2INT),
    P(MPI_SHORT_INT, BASIC_SHORT_INT),
    P(MPI_LONG_DOUBLE_INT, BASIC_LONG_DOUBLE_INT),
};
#undef P
#define NPREDEFINED (sizeof predefined / sizeof predefined[0])

static const struct predefined *find_predefined(MPI_Datatype handle)
{
    for (size_t i = 0; i < NPREDEFINED; i++)
        if (predefined[i].handle == handle)
            return &predefined[i];
    return NULL;
}

struct mk_type *type_derived(MPI_Datatype handle)
{
    if (handle == MPI_DATATYPE_NULL || handle == NULL || find_predefined(handle))
        return NULL;
    struct mk_type *t = (struct mk_type *)(void *)handle;
    return t->magic == MK_TYPE_MAGIC ? t : NULL;
}

struct dt_type *type_get(MPI_Datatype handle)
{
    const struct predefined *p = find_predefined(handle);
    if (p)
        return dt_basic(p->kind);
    struct mk_type *t = type_derived(handle);
    return t ? t->dt : NULL;
}

MPI_Datatype type_wrap(struct dt_type *dt)
{
    struct mk_type *t = calloc(1, sizeof *t);
    if (!t) {
        dt_release(dt);
        return MPI_DATATYPE_NULL;
    }
    t->magic = MK_TYPE_MAGIC;
    t->dt = dt;
    return (MPI_Datatype)(void *)t;
}

MPI_Datatype type_predefined_handle(enum basic_kind kind)
{
    for (size_t i = 0; i < NPREDEFINED; i++)
        if (predefined[i].kind == kind)
            return predefined[i].handle;
    return MPI_DATATYPE_NULL;
}

const char *type_predefined_name(MPI_Datatype handle)
{
    const struct predefined *p = find_predefined(handle);
    return p ? p->name : NULL;
}
