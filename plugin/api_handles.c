/*
 * api_handles.c — MPI's C/Fortran handle conversions in the compute
 * process: MPI_{Comm,Type,Group,Op,Request,Errhandler,Info,Message,Win,
 * File}_c2f and _f2c, and MPI_Status_c2f/_f2c.
 *
 * A Fortran handle is an integer. C handles here are pointers (Open MPI's
 * predefined objects or the plugin's own), so each kind of handle has a
 * private table: predefined handles have the small integers Open MPI gives
 * them (measured natively with Open MPI 4.1: MPI_COMM_WORLD 0, SELF 1,
 * NULL 2, MPI_INT 39, …), any other handle gets the next free integer on
 * its first c2f and keeps it.
 *
 * Invariants: f2c(c2f(h)) == h for every handle; a NULL handle converts to
 * its Fortran NULL value and back; an integer no handle has converts to the
 * kind's NULL handle. Entries are never removed: a freed object's address
 * may come back as a new object, which then keeps the same integer (still
 * a correct round trip), so the tables grow only with distinct addresses.
 * Tables are locked: threads may convert concurrently.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "plugin/errors.h"
#include "plugin/types.h"

/* A predefined handle and its Fortran integer. */
struct fixed {
    void *handle;
    int index;
};

/* One kind's table: the predefined handles, then the handles numbered on
 * demand from `first` on (dynamic[i] has index first + i), with a hash
 * from handle to index (open addressing, at most half full). */
struct table {
    const struct fixed *fixed;
    size_t nfixed;
    void *null;               /* the kind's NULL handle */
    int first;
    void **dynamic;
    size_t ndynamic, cap;
    struct slot { void *handle; int index; } *slots;
    size_t nslots;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

#define H(h) ((void *)(h))

static const struct fixed comms[] = { { H(MPI_COMM_WORLD), 0 }, { H(MPI_COMM_SELF), 1 },
                                      { H(MPI_COMM_NULL), 2 } };
static const struct fixed groups[] = { { H(MPI_GROUP_NULL), 0 }, { H(MPI_GROUP_EMPTY), 1 } };
static const struct fixed ops[] = {
    { H(MPI_OP_NULL), 0 }, { H(MPI_MAX), 1 },     { H(MPI_MIN), 2 },      { H(MPI_SUM), 3 },
    { H(MPI_PROD), 4 },    { H(MPI_LAND), 5 },    { H(MPI_BAND), 6 },     { H(MPI_LOR), 7 },
    { H(MPI_BOR), 8 },     { H(MPI_LXOR), 9 },    { H(MPI_BXOR), 10 },    { H(MPI_MAXLOC), 11 },
    { H(MPI_MINLOC), 12 }, { H(MPI_REPLACE), 13 }, { H(MPI_NO_OP), 14 },
};
static const struct fixed requests[] = { { H(MPI_REQUEST_NULL), 0 } };
static const struct fixed errhandlers[] = { { H(MPI_ERRHANDLER_NULL), 0 },
                                            { H(MPI_ERRORS_ARE_FATAL), 1 },
                                            { H(MPI_ERRORS_RETURN), 2 } };
static const struct fixed infos[] = { { H(MPI_INFO_NULL), 0 }, { H(MPI_INFO_ENV), 1 } };
static const struct fixed messages[] = { { H(MPI_MESSAGE_NULL), 0 },
                                         { H(MPI_MESSAGE_NO_PROC), 1 } };
static const struct fixed wins[] = { { H(MPI_WIN_NULL), 0 } };
static const struct fixed files[] = { { H(MPI_FILE_NULL), 0 } };
static const struct fixed types[] = { { H(MPI_DATATYPE_NULL), 0 } };

#define TABLE(list, null_handle, first_index) \
    { list, sizeof list / sizeof list[0], H(null_handle), first_index, NULL, 0, 0, NULL, 0 }
static struct table comm_table = TABLE(comms, MPI_COMM_NULL, 3);
static struct table group_table = TABLE(groups, MPI_GROUP_NULL, 2);
static struct table op_table = TABLE(ops, MPI_OP_NULL, 15);
static struct table request_table = TABLE(requests, MPI_REQUEST_NULL, 1);
static struct table errhandler_table = TABLE(errhandlers, MPI_ERRHANDLER_NULL, 3);
static struct table info_table = TABLE(infos, MPI_INFO_NULL, 2);
static struct table message_table = TABLE(messages, MPI_MESSAGE_NULL, 2);
static struct table win_table = TABLE(wins, MPI_WIN_NULL, 1);
static struct table file_table = TABLE(files, MPI_FILE_NULL, 1);
/* Predefined datatypes are types.c's business; this holds the NULL one. */
static struct table type_table = TABLE(types, MPI_DATATYPE_NULL, TYPE_FIRST_DERIVED_FORTRAN);

/* --- the table ------------------------------------------------------------ */

static size_t hash(const void *handle, size_t nslots)
{
    uint64_t x = (uint64_t)(uintptr_t)handle;
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull; /* murmur3 finalizer: addresses differ in few bits */
    x ^= x >> 33;
    return (size_t)x & (nslots - 1);
}

static struct slot *find_slot(struct slot *slots, size_t nslots, const void *handle)
{
    size_t i = hash(handle, nslots);
    while (slots[i].handle && slots[i].handle != handle)
        i = (i + 1) & (nslots - 1);
    return &slots[i];
}

/* Doubles the hash (or makes the first one); false when memory is short. */
static int grow_slots(struct table *t)
{
    size_t n = t->nslots ? 2 * t->nslots : 64;
    struct slot *slots = calloc(n, sizeof *slots);
    if (!slots)
        return 0;
    for (size_t i = 0; i < t->nslots; i++)
        if (t->slots[i].handle)
            *find_slot(slots, n, t->slots[i].handle) = t->slots[i];
    free(t->slots);
    t->slots = slots;
    t->nslots = n;
    return 1;
}

/* Numbers a handle not seen before; -1 when memory is short. */
static int add_handle(struct table *t, void *handle)
{
    if (2 * (t->ndynamic + 1) > t->nslots && !grow_slots(t))
        return -1;
    if (t->ndynamic == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 64;
        void **dynamic = realloc(t->dynamic, cap * sizeof *dynamic);
        if (!dynamic)
            return -1;
        t->dynamic = dynamic;
        t->cap = cap;
    }
    if (t->ndynamic >= (size_t)(INT32_MAX - t->first))
        return -1;
    int index = t->first + (int)t->ndynamic;
    t->dynamic[t->ndynamic++] = handle;
    *find_slot(t->slots, t->nslots, handle) = (struct slot){ handle, index };
    return index;
}

static int c2f(struct table *t, void *handle)
{
    for (size_t i = 0; i < t->nfixed; i++)
        if (t->fixed[i].handle == handle)
            return t->fixed[i].index;
    pthread_mutex_lock(&lock);
    struct slot *s = t->nslots ? find_slot(t->slots, t->nslots, handle) : NULL;
    int index = s && s->handle ? s->index : add_handle(t, handle);
    pthread_mutex_unlock(&lock);
    if (index < 0)
        mk_fatal("out of memory numbering a Fortran handle");
    return index;
}

static void *f2c(struct table *t, int index)
{
    for (size_t i = 0; i < t->nfixed; i++)
        if (t->fixed[i].index == index)
            return t->fixed[i].handle;
    void *handle = t->null;
    pthread_mutex_lock(&lock);
    if (index >= t->first && (size_t)(index - t->first) < t->ndynamic)
        handle = t->dynamic[index - t->first];
    pthread_mutex_unlock(&lock);
    return handle;
}

/* --- the MPI functions ------------------------------------------------------ */

/* Written out, not generated by a macro: gen_stubs.sh finds definitions
 * by their first line. */
MPI_Fint MPI_Comm_c2f(MPI_Comm comm)
{
    return c2f(&comm_table, H(comm));
}

MPI_Comm MPI_Comm_f2c(MPI_Fint comm)
{
    return (MPI_Comm)f2c(&comm_table, comm);
}

MPI_Fint MPI_Group_c2f(MPI_Group group)
{
    return c2f(&group_table, H(group));
}

MPI_Group MPI_Group_f2c(MPI_Fint group)
{
    return (MPI_Group)f2c(&group_table, group);
}

MPI_Fint MPI_Op_c2f(MPI_Op op)
{
    return c2f(&op_table, H(op));
}

MPI_Op MPI_Op_f2c(MPI_Fint op)
{
    return (MPI_Op)f2c(&op_table, op);
}

MPI_Fint MPI_Request_c2f(MPI_Request request)
{
    return c2f(&request_table, H(request));
}

MPI_Request MPI_Request_f2c(MPI_Fint request)
{
    return (MPI_Request)f2c(&request_table, request);
}

MPI_Fint MPI_Errhandler_c2f(MPI_Errhandler errhandler)
{
    return c2f(&errhandler_table, H(errhandler));
}

MPI_Errhandler MPI_Errhandler_f2c(MPI_Fint errhandler)
{
    return (MPI_Errhandler)f2c(&errhandler_table, errhandler);
}

MPI_Fint MPI_Info_c2f(MPI_Info info)
{
    return c2f(&info_table, H(info));
}

MPI_Info MPI_Info_f2c(MPI_Fint info)
{
    return (MPI_Info)f2c(&info_table, info);
}

MPI_Fint MPI_Message_c2f(MPI_Message message)
{
    return c2f(&message_table, H(message));
}

MPI_Message MPI_Message_f2c(MPI_Fint message)
{
    return (MPI_Message)f2c(&message_table, message);
}

MPI_Fint MPI_Win_c2f(MPI_Win win)
{
    return c2f(&win_table, H(win));
}

MPI_Win MPI_Win_f2c(MPI_Fint win)
{
    return (MPI_Win)f2c(&win_table, win);
}

MPI_Fint MPI_File_c2f(MPI_File file)
{
    return c2f(&file_table, H(file));
}

MPI_File MPI_File_f2c(MPI_Fint file)
{
    return (MPI_File)f2c(&file_table, file);
}

MPI_Fint MPI_Type_c2f(MPI_Datatype datatype)
{
    int index = type_predefined_fortran(datatype);
    return index >= 0 ? index : c2f(&type_table, H(datatype));
}

MPI_Datatype MPI_Type_f2c(MPI_Fint datatype)
{
    MPI_Datatype t = type_predefined_from_fortran(datatype);
    return t != MPI_DATATYPE_NULL ? t : (MPI_Datatype)f2c(&type_table, datatype);
}

/* A Fortran status is the C status as integers, as in Open MPI (whose
 * MPI_STATUS_SIZE is sizeof(MPI_Status) / sizeof(int)). */
_Static_assert(sizeof(MPI_Status) % sizeof(MPI_Fint) == 0, "MPI_Status is not whole integers");

int MPI_Status_c2f(const MPI_Status *c_status, MPI_Fint *f_status)
{
    if (!c_status || c_status == MPI_STATUS_IGNORE || c_status == MPI_STATUSES_IGNORE ||
        !f_status)
        return mk_error(NULL, MPI_ERR_ARG, "MPI_Status_c2f");
    memcpy(f_status, c_status, sizeof *c_status);
    return MPI_SUCCESS;
}

int MPI_Status_f2c(const MPI_Fint *f_status, MPI_Status *c_status)
{
    if (!f_status || !c_status || c_status == MPI_STATUS_IGNORE ||
        c_status == MPI_STATUSES_IGNORE)
        return mk_error(NULL, MPI_ERR_ARG, "MPI_Status_f2c");
    memcpy(c_status, f_status, sizeof *c_status);
    return MPI_SUCCESS;
}
