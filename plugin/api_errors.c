/*
 * api_errors.c — MPI's error-text calls in the compute process:
 * MPI_Error_string and MPI_Error_class, and the user-defined error classes
 * and codes (MPI_Add_error_class, _code, _string).
 *
 * Numbering follows Open MPI 4.1 (checked natively): classes and codes the
 * app adds share one counter that starts above MPI_ERR_LASTCODE, so the
 * first class is MPI_ERR_LASTCODE + 1, a code added next the following
 * integer, and so on; MPI_LASTUSEDCODE is the last one handed out. A user
 * class is its own class; a user code maps to the class it was added to.
 * A user class or code without a string has the text "".
 *
 * Invariants: predefined codes (0..MPI_ERR_LASTCODE) are their own class
 * and keep their fixed texts; a code above the last one handed out, or a
 * negative one, is invalid (MPI_ERR_ARG, as in Open MPI). Entries are
 * never removed (MPI has no call to remove them). The registry is locked,
 * since threads may add codes and read texts concurrently.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/errors.h"

struct user_code {
    int errclass;
    char *text;               /* NULL until MPI_Add_error_string */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct user_code *codes; /* codes[i] is code MPI_ERR_LASTCODE + 1 + i */
static int ncodes, capacity;

/* The entry of a user code, or NULL; call with the lock held. */
static struct user_code *user_code(int code)
{
    if (code <= MPI_ERR_LASTCODE || code > MPI_ERR_LASTCODE + ncodes)
        return NULL;
    return &codes[code - MPI_ERR_LASTCODE - 1];
}

/* Hands out the next code, in class `errclass` (-1: a new class, its own). */
static int add_code(int errclass, int *code)
{
    pthread_mutex_lock(&lock);
    if (ncodes == capacity) {
        int cap = capacity ? 2 * capacity : 16;
        struct user_code *grown = realloc(codes, (size_t)cap * sizeof *grown);
        if (!grown) {
            pthread_mutex_unlock(&lock);
            return MPI_ERR_NO_MEM;
        }
        codes = grown;
        capacity = cap;
    }
    *code = MPI_ERR_LASTCODE + 1 + ncodes;
    codes[ncodes++] = (struct user_code){ errclass < 0 ? *code : errclass, NULL };
    pthread_mutex_unlock(&lock);
    return MPI_SUCCESS;
}

/* The class of a valid code, or -1 for an invalid one. */
static int class_of(int code)
{
    if (code >= 0 && code <= MPI_ERR_LASTCODE)
        return code;
    pthread_mutex_lock(&lock);
    const struct user_code *u = user_code(code);
    int errclass = u ? u->errclass : -1;
    pthread_mutex_unlock(&lock);
    return errclass;
}

int mk_error_lastused(void)
{
    pthread_mutex_lock(&lock);
    int last = MPI_ERR_LASTCODE + ncodes;
    pthread_mutex_unlock(&lock);
    return last;
}

/* The pointer stays valid for good: texts are never freed, even when
 * replaced (a rare call), so callers need no lock. */
const char *mk_user_error_text(int code)
{
    pthread_mutex_lock(&lock);
    const struct user_code *u = user_code(code);
    const char *text = u ? (u->text ? u->text : "") : NULL;
    pthread_mutex_unlock(&lock);
    return text;
}

int MPI_Add_error_class(int *errorclass)
{
    mk_require_init("MPI_Add_error_class");
    if (!errorclass)
        return mk_error(NULL, MPI_ERR_ARG, "MPI_Add_error_class");
    int rc = add_code(-1, errorclass);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Add_error_class");
}

/* Open MPI accepts predefined classes as well as added ones. */
int MPI_Add_error_code(int errorclass, int *errorcode)
{
    mk_require_init("MPI_Add_error_code");
    if (!errorcode || class_of(errorclass) != errorclass)
        return mk_error(NULL, MPI_ERR_ARG, "MPI_Add_error_code");
    int rc = add_code(errorclass, errorcode);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Add_error_code");
}

int MPI_Add_error_string(int errorcode, const char *string)
{
    mk_require_init("MPI_Add_error_string");
    if (!string || strlen(string) >= MPI_MAX_ERROR_STRING)
        return mk_error(NULL, MPI_ERR_ARG, "MPI_Add_error_string");
    char *text = strdup(string);
    if (!text)
        return mk_error(NULL, MPI_ERR_NO_MEM, "MPI_Add_error_string");
    pthread_mutex_lock(&lock);
    struct user_code *u = user_code(errorcode);
    if (u)
        u->text = text; /* a replaced text stays allocated: see mk_user_error_text */
    pthread_mutex_unlock(&lock);
    if (u)
        return MPI_SUCCESS;
    free(text);
    return mk_error(NULL, MPI_ERR_ARG, "MPI_Add_error_string");
}

int MPI_Error_string(int errorcode, char *string, int *resultlen)
{
    if (class_of(errorcode) < 0)
        return mk_error(NULL, MPI_ERR_ARG, "MPI_Error_string");
    snprintf(string, MPI_MAX_ERROR_STRING, "%s", mk_error_text(errorcode));
    *resultlen = (int)strlen(string);
    return MPI_SUCCESS;
}

int MPI_Error_class(int errorcode, int *errorclass)
{
    int c = class_of(errorcode);
    if (c < 0)
        return mk_error(NULL, MPI_ERR_ARG, "MPI_Error_class");
    *errorclass = c;
    return MPI_SUCCESS;
}
