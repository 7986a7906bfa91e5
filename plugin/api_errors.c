/*
 * api_errors.c — MPI's error-text calls in the compute process:
 * MPI_Error_string and MPI_Error_class (user-defined error classes come
 * later).
 */
#include <stdio.h>
#include <string.h>

#include "plugin/errors.h"

int MPI_Error_string(int errorcode, char *string, int *resultlen)
{
    snprintf(string, MPI_MAX_ERROR_STRING, "%s", mk_error_text(errorcode));
    *resultlen = (int)strlen(string);
    return MPI_SUCCESS;
}

int MPI_Error_class(int errorcode, int *errorclass)
{
    /* No user-defined error codes exist here, so every code is a class. */
    *errorclass = errorcode;
    return MPI_SUCCESS;
}
