/*
 * types.c — the table of predefined datatype handles and the wrapper of
 * derived types (see types.h).
 *
 * The table holds, for each predefined handle, its basic kind and Open
 * MPI's name and Fortran index (measured with Open MPI 4.1: MPI_Type_c2f
 * and MPI_Type_get_name of a native run). Aliases that are one handle in
 * Open MPI (MPI_LONG_LONG = MPI_LONG_LONG_INT, MPI_C_FLOAT_COMPLEX =
 * MPI_C_COMPLEX) are listed under the name Open MPI reports first, since
 * lookups take the first match. The Fortran handles a C program meets
 * (MPI_Type_match_size answers with them) follow the C ones and share
 * their kinds, so type_predefined_handle(kind) keeps answering the C name.
 */
#include "plugin/types.h"

#include <stdio.h>
#include <stdlib.h>

#include "plugin/datatype.h"

struct predefined {
    MPI_Datatype handle;
    enum basic_kind kind;
    const char *name;
    int fortran;              /* Open MPI's MPI_Type_c2f of the handle */
};

#define P(h, k, f) { h, k, #h, f }
static const struct predefined predefined[] = {
    P(MPI_CHAR, BASIC_CHAR, 34),
    P(MPI_SIGNED_CHAR, BASIC_SIGNED_CHAR, 36),
    P(MPI_UNSIGNED_CHAR, BASIC_UNSIGNED_CHAR, 35),
    P(MPI_BYTE, BASIC_BYTE, 1),
    P(MPI_PACKED, BASIC_PACKED, 2),
    P(MPI_WCHAR, BASIC_WCHAR, 33),
    P(MPI_SHORT, BASIC_SHORT, 37),
    P(MPI_UNSIGNED_SHORT, BASIC_UNSIGNED_SHORT, 38),
    P(MPI_INT, BASIC_INT, 39),
    P(MPI_UNSIGNED, BASIC_UNSIGNED, 40),
    P(MPI_LONG, BASIC_LONG, 41),
    P(MPI_UNSIGNED_LONG, BASIC_UNSIGNED_LONG, 42),
    P(MPI_LONG_LONG_INT, BASIC_LONG_LONG, 43),
    P(MPI_LONG_LONG, BASIC_LONG_LONG, 43),
    P(MPI_UNSIGNED_LONG_LONG, BASIC_UNSIGNED_LONG_LONG, 44),
    P(MPI_FLOAT, BASIC_FLOAT, 45),
    P(MPI_DOUBLE, BASIC_DOUBLE, 46),
    P(MPI_LONG_DOUBLE, BASIC_LONG_DOUBLE, 47),
    P(MPI_C_BOOL, BASIC_C_BOOL, 68),
    P(MPI_INT8_T, BASIC_INT8, 58),
    P(MPI_INT16_T, BASIC_INT16, 60),
    P(MPI_INT32_T, BASIC_INT32, 62),
    P(MPI_INT64_T, BASIC_INT64, 64),
    P(MPI_UINT8_T, BASIC_UINT8, 59),
    P(MPI_UINT16_T, BASIC_UINT16, 61),
    P(MPI_UINT32_T, BASIC_UINT32, 63),
    P(MPI_UINT64_T, BASIC_UINT64, 65),
    P(MPI_AINT, BASIC_AINT, 66),
    P(MPI_OFFSET, BASIC_OFFSET, 67),
    P(MPI_COUNT, BASIC_COUNT, 72),
    P(MPI_C_COMPLEX, BASIC_FLOAT_COMPLEX, 69),
    P(MPI_C_FLOAT_COMPLEX, BASIC_FLOAT_COMPLEX, 69),
    P(MPI_C_DOUBLE_COMPLEX, BASIC_DOUBLE_COMPLEX, 70),
    P(MPI_C_LONG_DOUBLE_COMPLEX, BASIC_LONG_DOUBLE_COMPLEX, 71),
    P(MPI_FLOAT_INT, BASIC_FLOAT_INT, 48),
    P(MPI_DOUBLE_INT, BASIC_DOUBLE_INT, 49),
    P(MPI_LONG_INT, BASIC_LONG_INT, 51),
    P(MPI_2INT, BASIC_2INT, 52),
    P(MPI_SHORT_INT, BASIC_SHORT_INT, 53),
    P(MPI_LONG_DOUBLE_INT, BASIC_LONG_DOUBLE_INT, 50),
    /* Fortran handles with the C layout and arithmetic of a basic kind. */
    P(MPI_INTEGER, BASIC_INT, 7),
    P(MPI_INTEGER1, BASIC_INT8, 8),
    P(MPI_INTEGER2, BASIC_INT16, 9),
    P(MPI_INTEGER4, BASIC_INT32, 10),
    P(MPI_INTEGER8, BASIC_INT64, 11),
    P(MPI_REAL, BASIC_FLOAT, 13),
    P(MPI_REAL4, BASIC_FLOAT, 14),
    P(MPI_REAL8, BASIC_DOUBLE, 15),
    P(MPI_DOUBLE_PRECISION, BASIC_DOUBLE, 17),
    P(MPI_COMPLEX, BASIC_FLOAT_COMPLEX, 18),
    P(MPI_COMPLEX8, BASIC_FLOAT_COMPLEX, 19),
    P(MPI_COMPLEX16, BASIC_DOUBLE_COMPLEX, 20),
    P(MPI_DOUBLE_COMPLEX, BASIC_DOUBLE_COMPLEX, 22),
};
#undef P
#define NPREDEFINED (sizeof predefined / sizeof predefined[0])

/* Names given by MPI_Type_set_name to predefined handles ("" = none). */
static char renamed[NPREDEFINED][MPI_MAX_OBJECT_NAME];

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

void type_destroy(struct mk_type *t)
{
    dt_release(t->dt);
    t->magic = 0; /* a stale handle used later is then no datatype */
    free(t);
}

MPI_Datatype type_predefined_handle(enum basic_kind kind)
{
    for (size_t i = 0; i < NPREDEFINED; i++)
        if (predefined[i].kind == kind)
            return predefined[i].handle;
    return MPI_DATATYPE_NULL;
}

/* Renaming one handle renames its aliases too: they are one object. */
const char *type_predefined_name(MPI_Datatype handle)
{
    const struct predefined *p = find_predefined(handle);
    if (!p)
        return NULL;
    const char *name = renamed[p - predefined];
    return name[0] ? name : p->name;
}

int type_set_predefined_name(MPI_Datatype handle, const char *name)
{
    const struct predefined *p = find_predefined(handle);
    if (!p)
        return MPI_ERR_TYPE;
    snprintf(renamed[p - predefined], MPI_MAX_OBJECT_NAME, "%s", name);
    return MPI_SUCCESS;
}

int type_predefined_fortran(MPI_Datatype handle)
{
    const struct predefined *p = find_predefined(handle);
    return p ? p->fortran : -1;
}

MPI_Datatype type_predefined_from_fortran(int index)
{
    for (size_t i = 0; i < NPREDEFINED; i++)
        if (predefined[i].fortran == index)
            return predefined[i].handle;
    return MPI_DATATYPE_NULL;
}

int type_mpi_error(int dt_status)
{
    switch (dt_status) {
    case DT_OK:
        return MPI_SUCCESS;
    case DT_ERR_NOMEM:
        return MPI_ERR_NO_MEM;
    case DT_ERR_UNSUPPORTED:
        return MPI_ERR_UNSUPPORTED_OPERATION;
    case DT_ERR_NOT_COMMITTED:
        return MPI_ERR_TYPE;
    case DT_ERR_TRUNCATE:
        return MPI_ERR_TRUNCATE;
    default:
        return MPI_ERR_ARG;
    }
}
