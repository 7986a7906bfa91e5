/*
 * api_status.c — MPI's status queries in the compute process: counts and
 * elements of a received message, and setting status fields (for
 * generalized requests and layered libraries).
 *
 * A status's `_ucount` holds the bytes received (without the message
 * header); counts follow from the datatype engine.
 */
#include "plugin/datatype.h"
#include "plugin/errors.h"
#include "plugin/types.h"

static int int_or_undefined(ptrdiff_t n)
{
    return n < 0 || n > 0x7fffffff ? MPI_UNDEFINED : (int)n;
}

int MPI_Get_count(const MPI_Status *status, MPI_Datatype type, int *count)
{
    struct dt_type *t = type_get(type);
    if (!t)
        return mk_error(NULL, MPI_ERR_TYPE, "MPI_Get_count");
    *count = int_or_undefined(dt_get_count(t, status->_ucount));
    return MPI_SUCCESS;
}

int MPI_Get_elements_x(const MPI_Status *status, MPI_Datatype type, MPI_Count *count)
{
    struct dt_type *t = type_get(type);
    if (!t)
        return mk_error(NULL, MPI_ERR_TYPE, "MPI_Get_elements_x");
    ptrdiff_t n = dt_get_elements(t, status->_ucount);
    *count = n < 0 ? MPI_UNDEFINED : (MPI_Count)n;
    return MPI_SUCCESS;
}

int MPI_Get_elements(const MPI_Status *status, MPI_Datatype type, int *count)
{
    struct dt_type *t = type_get(type);
    if (!t)
        return mk_error(NULL, MPI_ERR_TYPE, "MPI_Get_elements");
    *count = int_or_undefined(dt_get_elements(t, status->_ucount));
    return MPI_SUCCESS;
}

int MPI_Status_set_elements_x(MPI_Status *status, MPI_Datatype type, MPI_Count count)
{
    struct dt_type *t = type_get(type);
    if (!t || count < 0)
        return mk_error(NULL, t ? MPI_ERR_COUNT : MPI_ERR_TYPE, "MPI_Status_set_elements_x");
    /* Elements of a type's basic kind: bytes are elements times the size of
     * one basic element, which the type's size and element count give. */
    size_t per = dt_element_count(t);
    size_t bytes = per ? dt_size(t) / per : 0;
    status->_ucount = (size_t)count * bytes;
    return MPI_SUCCESS;
}

int MPI_Status_set_elements(MPI_Status *status, MPI_Datatype type, int count)
{
    return MPI_Status_set_elements_x(status, type, count);
}

int MPI_Status_set_cancelled(MPI_Status *status, int flag)
{
    status->_cancelled = flag;
    return MPI_SUCCESS;
}
