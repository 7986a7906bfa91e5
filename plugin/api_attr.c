/*
 * api_attr.c — MPI's attribute calls in the compute process: keyvals and
 * cached attributes on communicators and datatypes (MPI_Comm_*_keyval,
 * MPI_Comm_*_attr, MPI_Type_*_keyval, MPI_Type_*_attr) and the deprecated
 * MPI-1 names (MPI_Keyval_create/free, MPI_Attr_put/get/delete), all local
 * (attributes.h). Window attributes are not supported (no windows exist).
 *
 * Errors on a communicator go to its handler; the others to
 * MPI_COMM_WORLD's.
 */
#include "plugin/attributes.h"
#include "plugin/comm.h"
#include "plugin/errors.h"

/* --- communicators ---------------------------------------------------------- */

static int create_keyval(MPI_Comm_copy_attr_function *copy, MPI_Comm_delete_attr_function *del,
                         int *keyval, void *extra_state, const char *fn)
{
    mk_require_init(fn);
    int rc = keyval_create_comm(copy, del, extra_state, keyval);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, fn);
}

static int free_keyval(int *keyval, const char *fn)
{
    mk_require_init(fn);
    int rc = keyval_free(keyval, 0);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, fn);
}

enum comm_attr_op { ATTR_SET, ATTR_GET, ATTR_DELETE };

static int comm_attr(MPI_Comm comm, enum comm_attr_op op, int keyval, void *value, int *flag,
                     const char *fn)
{
    mk_require_init(fn);
    struct mk_comm *c = comm_get(comm);
    if (!c)
        return mk_error(NULL, MPI_ERR_COMM, fn);
    int rc = op == ATTR_SET ? attributes_set_comm(c, keyval, value)
           : op == ATTR_GET ? attributes_get_comm(c, keyval, value, flag)
                            : attributes_delete_comm_attr(c, keyval);
    return rc == MPI_SUCCESS ? rc : mk_error(c, rc, fn);
}

int MPI_Comm_create_keyval(MPI_Comm_copy_attr_function *comm_copy_attr_fn,
                           MPI_Comm_delete_attr_function *comm_delete_attr_fn, int *comm_keyval,
                           void *extra_state)
{
    return create_keyval(comm_copy_attr_fn, comm_delete_attr_fn, comm_keyval, extra_state,
                         "MPI_Comm_create_keyval");
}

int MPI_Comm_free_keyval(int *comm_keyval)
{
    return free_keyval(comm_keyval, "MPI_Comm_free_keyval");
}

int MPI_Comm_set_attr(MPI_Comm comm, int comm_keyval, void *attribute_val)
{
    return comm_attr(comm, ATTR_SET, comm_keyval, attribute_val, NULL, "MPI_Comm_set_attr");
}

int MPI_Comm_get_attr(MPI_Comm comm, int comm_keyval, void *attribute_val, int *flag)
{
    return comm_attr(comm, ATTR_GET, comm_keyval, attribute_val, flag, "MPI_Comm_get_attr");
}

int MPI_Comm_delete_attr(MPI_Comm comm, int comm_keyval)
{
    return comm_attr(comm, ATTR_DELETE, comm_keyval, NULL, NULL, "MPI_Comm_delete_attr");
}

/* --- datatypes ------------------------------------------------------------------ */

int MPI_Type_create_keyval(MPI_Type_copy_attr_function *type_copy_attr_fn,
                           MPI_Type_delete_attr_function *type_delete_attr_fn, int *type_keyval,
                           void *extra_state)
{
    mk_require_init("MPI_Type_create_keyval");
    int rc = keyval_create_type(type_copy_attr_fn, type_delete_attr_fn, extra_state, type_keyval);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Type_create_keyval");
}

int MPI_Type_free_keyval(int *type_keyval)
{
    mk_require_init("MPI_Type_free_keyval");
    int rc = keyval_free(type_keyval, 1);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Type_free_keyval");
}

int MPI_Type_set_attr(MPI_Datatype type, int type_keyval, void *attribute_val)
{
    mk_require_init("MPI_Type_set_attr");
    int rc = attributes_set_type(type, type_keyval, attribute_val);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Type_set_attr");
}

int MPI_Type_get_attr(MPI_Datatype type, int type_keyval, void *attribute_val, int *flag)
{
    mk_require_init("MPI_Type_get_attr");
    int rc = attributes_get_type(type, type_keyval, attribute_val, flag);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Type_get_attr");
}

int MPI_Type_delete_attr(MPI_Datatype type, int type_keyval)
{
    mk_require_init("MPI_Type_delete_attr");
    int rc = attributes_delete_type_attr(type, type_keyval);
    return rc == MPI_SUCCESS ? rc : mk_error(NULL, rc, "MPI_Type_delete_attr");
}

/* --- deprecated MPI-1 names (communicators only) ------------------------------------ */

int MPI_Keyval_create(MPI_Copy_function *copy_fn, MPI_Delete_function *delete_fn, int *keyval,
                      void *extra_state)
{
    return create_keyval(copy_fn, delete_fn, keyval, extra_state, "MPI_Keyval_create");
}

int MPI_Keyval_free(int *keyval)
{
    return free_keyval(keyval, "MPI_Keyval_free");
}

int MPI_Attr_put(MPI_Comm comm, int keyval, void *attribute_val)
{
    return comm_attr(comm, ATTR_SET, keyval, attribute_val, NULL, "MPI_Attr_put");
}

int MPI_Attr_get(MPI_Comm comm, int keyval, void *attribute_val, int *flag)
{
    return comm_attr(comm, ATTR_GET, keyval, attribute_val, flag, "MPI_Attr_get");
}

int MPI_Attr_delete(MPI_Comm comm, int keyval)
{
    return comm_attr(comm, ATTR_DELETE, keyval, NULL, NULL, "MPI_Attr_delete");
}
