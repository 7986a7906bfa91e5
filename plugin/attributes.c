/*
 * attributes.c — keyvals and attribute lists (see attributes.h).
 *
 * Keyvals are slots of one table; the app's keyval is KEYVAL_BASE + slot,
 * above every predefined keyval of Open MPI's mpi.h, so the two never
 * meet. A slot is reused once its keyval's handle is freed and no
 * attribute uses it any more. The calls on communicators and datatypes
 * share one implementation on a `struct owner`, which names the object
 * (for the callbacks) and its list.
 */
#include "plugin/attributes.h"

#include <stdlib.h>
#include <string.h>

#include "plugin/comm.h"
#include "plugin/errors.h"
#include "plugin/types.h"

enum attr_kind { KIND_COMM, KIND_TYPE };

struct keyval {
    int in_use;                /* the slot holds a keyval */
    int handle_freed;          /* the app freed its handle */
    int refs;                  /* the handle + attributes using it */
    enum attr_kind kind;
    MPI_Comm_copy_attr_function *comm_copy;
    MPI_Comm_delete_attr_function *comm_delete;
    MPI_Type_copy_attr_function *type_copy;
    MPI_Type_delete_attr_function *type_delete;
    void *extra_state;
};

#define KEYVAL_BASE 64

static struct keyval *keyvals;
static int nkeyvals;

struct attr_item {
    int keyval;
    void *value;
};

struct attr_list {
    int n, cap;
    struct attr_item *items;
};

/* An object carrying attributes. */
struct owner {
    enum attr_kind kind;
    MPI_Comm comm;             /* KIND_COMM: the app's handle */
    MPI_Datatype type;         /* KIND_TYPE */
    void **list;               /* where its struct attr_list * lives */
};

/* --- predefined attributes of MPI_COMM_WORLD ------------------------------- */

/* Indexed by the keyval (mpi.h numbers them MPI_TAG_UB … MPI_UNIVERSE_SIZE). */
static int world_values[MPI_UNIVERSE_SIZE + 1];

static int env_int(const char *name, int fallback)
{
    const char *text = getenv(name);
    return text && *text ? atoi(text) : fallback;
}

void attributes_init_world(int tag_ub, int world_size)
{
    world_values[MPI_TAG_UB] = tag_ub;
    world_values[MPI_HOST] = MPI_PROC_NULL;          /* no host process */
    world_values[MPI_IO] = MPI_ANY_SOURCE;           /* every rank can do I/O */
    world_values[MPI_WTIME_IS_GLOBAL] = 0;           /* clocks are per node */
    /* What Open MPI's runtime tells the processes it starts (the compute
     * process inherits its keeper's environment). */
    world_values[MPI_APPNUM] = env_int("OMPI_MCA_orte_app_num", 0);
    world_values[MPI_UNIVERSE_SIZE] = env_int("OMPI_UNIVERSE_SIZE", world_size);
    world_values[MPI_LASTUSEDCODE] = mk_error_lastused();
}

static int is_predefined(int keyval)
{
    return keyval >= 0 && keyval < KEYVAL_BASE;
}

static int world_has(int keyval)
{
    return keyval >= MPI_TAG_UB && keyval <= MPI_UNIVERSE_SIZE;
}

/* --- keyvals --------------------------------------------------------------------- */

/* The live keyval `keyval` of `kind` (its handle not freed), or NULL. */
static struct keyval *keyval_live(int keyval, enum attr_kind kind)
{
    int slot = keyval - KEYVAL_BASE;
    if (slot < 0 || slot >= nkeyvals)
        return NULL;
    struct keyval *kv = &keyvals[slot];
    return kv->in_use && !kv->handle_freed && kv->kind == kind ? kv : NULL;
}

/* The keyval of an attribute (alive as long as the attribute is). */
static struct keyval *keyval_of(int keyval)
{
    return &keyvals[keyval - KEYVAL_BASE];
}

static void keyval_release(int keyval)
{
    struct keyval *kv = keyval_of(keyval);
    if (--kv->refs == 0)
        *kv = (struct keyval){ 0 };
}

static int keyval_new(struct keyval proto, int *keyval)
{
    int slot = 0;
    while (slot < nkeyvals && keyvals[slot].in_use)
        slot++;
    if (slot == nkeyvals) {
        int n = nkeyvals ? 2 * nkeyvals : 16;
        struct keyval *bigger = realloc(keyvals, (size_t)n * sizeof *bigger);
        if (!bigger)
            return MPI_ERR_NO_MEM;
        for (int i = nkeyvals; i < n; i++)
            bigger[i] = (struct keyval){ 0 };
        keyvals = bigger;
        nkeyvals = n;
    }
    proto.in_use = 1;
    proto.refs = 1;
    keyvals[slot] = proto;
    *keyval = KEYVAL_BASE + slot;
    return MPI_SUCCESS;
}

int keyval_create_comm(MPI_Comm_copy_attr_function *copy, MPI_Comm_delete_attr_function *del,
                       void *extra_state, int *keyval)
{
    return keyval_new((struct keyval){ .kind = KIND_COMM, .comm_copy = copy, .comm_delete = del,
                                       .extra_state = extra_state },
                      keyval);
}

int keyval_create_type(MPI_Type_copy_attr_function *copy, MPI_Type_delete_attr_function *del,
                       void *extra_state, int *keyval)
{
    return keyval_new((struct keyval){ .kind = KIND_TYPE, .type_copy = copy, .type_delete = del,
                                       .extra_state = extra_state },
                      keyval);
}

int keyval_free(int *keyval, int for_types)
{
    struct keyval *kv = keyval_live(*keyval, for_types ? KIND_TYPE : KIND_COMM);
    if (!kv)
        return MPI_ERR_KEYVAL;
    kv->handle_freed = 1;
    keyval_release(*keyval);
    *keyval = MPI_KEYVAL_INVALID;
    return MPI_SUCCESS;
}

/* --- callbacks ---------------------------------------------------------------------- */

static int run_delete(const struct owner *o, const struct attr_item *item)
{
    struct keyval *kv = keyval_of(item->keyval);
    if (o->kind == KIND_COMM)
        return kv->comm_delete ? kv->comm_delete(o->comm, item->keyval, item->value,
                                                 kv->extra_state)
                               : MPI_SUCCESS;
    return kv->type_delete ? kv->type_delete(o->type, item->keyval, item->value, kv->extra_state)
                           : MPI_SUCCESS;
}

static int run_copy(const struct owner *o, const struct attr_item *item, void **out, int *flag)
{
    struct keyval *kv = keyval_of(item->keyval);
    *flag = 0;
    if (o->kind == KIND_COMM)
        return kv->comm_copy ? kv->comm_copy(o->comm, item->keyval, kv->extra_state, item->value,
                                             out, flag)
                             : MPI_SUCCESS;
    return kv->type_copy ? kv->type_copy(o->type, item->keyval, kv->extra_state, item->value, out,
                                         flag)
                         : MPI_SUCCESS;
}

/* --- lists ---------------------------------------------------------------------------- */

static struct attr_item *find(const struct owner *o, int keyval)
{
    struct attr_list *l = *o->list;
    for (int i = 0; l && i < l->n; i++)
        if (l->items[i].keyval == keyval)
            return &l->items[i];
    return NULL;
}

/* Appends a new attribute; the keyval gains a reference. */
static int append(const struct owner *o, int keyval, void *value)
{
    struct attr_list *l = *o->list;
    if (!l) {
        l = calloc(1, sizeof *l);
        if (!l)
            return MPI_ERR_NO_MEM;
        *o->list = l;
    }
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 4;
        struct attr_item *bigger = realloc(l->items, (size_t)cap * sizeof *bigger);
        if (!bigger)
            return MPI_ERR_NO_MEM;
        l->items = bigger;
        l->cap = cap;
    }
    l->items[l->n++] = (struct attr_item){ keyval, value };
    keyval_of(keyval)->refs++;
    return MPI_SUCCESS;
}

/* Removes the attribute of `keyval` (after its delete callback ran). */
static void remove_item(const struct owner *o, int keyval)
{
    struct attr_list *l = *o->list;
    struct attr_item *item = find(o, keyval);
    if (!item)
        return;
    /* Shifted, not swapped: the list keeps set order. */
    int at = (int)(item - l->items);
    memmove(item, item + 1, (size_t)(l->n - at - 1) * sizeof *item);
    l->n--;
    keyval_release(keyval);
    if (l->n == 0)
        attributes_discard(o->list);
}

void attributes_discard(void **list)
{
    struct attr_list *l = *list;
    if (!l)
        return;
    for (int i = 0; i < l->n; i++)
        keyval_release(l->items[i].keyval);
    free(l->items);
    free(l);
    *list = NULL;
}

/* --- operations on one owner ----------------------------------------------------------- */

static int owner_set(const struct owner *o, int keyval, void *value)
{
    if (!keyval_live(keyval, o->kind))
        return MPI_ERR_KEYVAL;
    struct attr_item *item = find(o, keyval);
    if (!item)
        return append(o, keyval, value);
    int rc = run_delete(o, item);
    if (rc != MPI_SUCCESS)
        return rc;
    /* The callback may have changed the list; look again. */
    item = find(o, keyval);
    if (!item)
        return append(o, keyval, value);
    item->value = value;
    return MPI_SUCCESS;
}

static int owner_get(const struct owner *o, int keyval, void *value_out, int *flag)
{
    if (!keyval_live(keyval, o->kind))
        return MPI_ERR_KEYVAL;
    struct attr_item *item = find(o, keyval);
    *flag = item != NULL;
    if (item)
        *(void **)value_out = item->value;
    return MPI_SUCCESS;
}

static int owner_delete(const struct owner *o, int keyval)
{
    if (!keyval_live(keyval, o->kind))
        return MPI_ERR_KEYVAL;
    struct attr_item *item = find(o, keyval);
    if (!item)
        return MPI_ERR_OTHER; /* nothing to delete: Open MPI's class */
    int rc = run_delete(o, item);
    if (rc == MPI_SUCCESS)
        remove_item(o, keyval);
    return rc;
}

static int owner_copy(const struct owner *from, const struct owner *to)
{
    struct attr_list *l = *from->list;
    for (int i = 0; l && i < l->n; i++) {
        void *value = NULL;
        int flag = 0;
        int rc = run_copy(from, &l->items[i], &value, &flag);
        if (rc == MPI_SUCCESS && flag)
            rc = append(to, l->items[i].keyval, value);
        if (rc != MPI_SUCCESS)
            return rc;
    }
    return MPI_SUCCESS;
}

static int owner_delete_all(const struct owner *o)
{
    /* Last set, first deleted (MPI's rule for MPI_COMM_SELF at finalize,
     * applied everywhere). */
    while (*o->list) {
        struct attr_list *l = *o->list;
        struct attr_item item = l->items[l->n - 1];
        int rc = run_delete(o, &item);
        if (rc != MPI_SUCCESS)
            return rc;
        remove_item(o, item.keyval);
    }
    return MPI_SUCCESS;
}

/* --- communicators ------------------------------------------------------------------------ */

static struct owner comm_owner(struct mk_comm *comm)
{
    return (struct owner){ .kind = KIND_COMM, .comm = comm_handle(comm),
                           .list = &comm->attributes };
}

int attributes_set_comm(struct mk_comm *comm, int keyval, void *value)
{
    if (is_predefined(keyval))
        return MPI_ERR_OTHER; /* predefined values are read-only (Open MPI's class) */
    struct owner o = comm_owner(comm);
    return owner_set(&o, keyval, value);
}

int attributes_get_comm(struct mk_comm *comm, int keyval, void *value_out, int *flag)
{
    if (is_predefined(keyval)) {
        if (!world_has(keyval))
            return MPI_ERR_KEYVAL;
        *flag = comm == comm_get(MPI_COMM_WORLD);
        /* Error codes the app added since (MPI_Add_error_code) count. */
        world_values[MPI_LASTUSEDCODE] = mk_error_lastused();
        if (*flag)
            *(int **)value_out = &world_values[keyval];
        return MPI_SUCCESS;
    }
    struct owner o = comm_owner(comm);
    return owner_get(&o, keyval, value_out, flag);
}

int attributes_delete_comm_attr(struct mk_comm *comm, int keyval)
{
    if (is_predefined(keyval))
        return MPI_ERR_OTHER;
    struct owner o = comm_owner(comm);
    return owner_delete(&o, keyval);
}

int attributes_copy_comm(struct mk_comm *from, struct mk_comm *to)
{
    struct owner f = comm_owner(from), t = comm_owner(to);
    return owner_copy(&f, &t);
}

int attributes_delete_comm(struct mk_comm *comm)
{
    struct owner o = comm_owner(comm);
    return owner_delete_all(&o);
}

/* --- datatypes ------------------------------------------------------------------------------ */

/* Attribute lists of predefined datatypes, which have no object of ours.
 * Each entry is allocated alone, so a list's address stays put while
 * callbacks add entries for other types. */
struct predefined_attrs {
    MPI_Datatype type;
    void *list;
};

static struct predefined_attrs **predefined_types;
static int npredefined_types;

/* Where the attribute list of `type` lives; NULL if `type` is no datatype
 * or memory is short. */
static void **type_list(MPI_Datatype type)
{
    if (!type_get(type))
        return NULL;
    struct mk_type *derived = type_derived(type);
    if (derived)
        return &derived->attributes;
    for (int i = 0; i < npredefined_types; i++)
        if (predefined_types[i]->type == type)
            return &predefined_types[i]->list;
    struct predefined_attrs **bigger =
        realloc(predefined_types, (size_t)(npredefined_types + 1) * sizeof *bigger);
    if (!bigger)
        return NULL;
    predefined_types = bigger;
    struct predefined_attrs *entry = malloc(sizeof *entry);
    if (!entry)
        return NULL;
    *entry = (struct predefined_attrs){ type, NULL };
    predefined_types[npredefined_types++] = entry;
    return &entry->list;
}

/* Fills `o` for `type`; returns an MPI error class. */
static int type_owner(MPI_Datatype type, struct owner *o)
{
    void **list = type_list(type);
    if (!list)
        return type_get(type) ? MPI_ERR_NO_MEM : MPI_ERR_TYPE;
    *o = (struct owner){ .kind = KIND_TYPE, .type = type, .list = list };
    return MPI_SUCCESS;
}

int attributes_set_type(MPI_Datatype type, int keyval, void *value)
{
    struct owner o;
    int rc = type_owner(type, &o);
    return rc == MPI_SUCCESS ? owner_set(&o, keyval, value) : rc;
}

int attributes_get_type(MPI_Datatype type, int keyval, void *value_out, int *flag)
{
    struct owner o;
    int rc = type_owner(type, &o);
    return rc == MPI_SUCCESS ? owner_get(&o, keyval, value_out, flag) : rc;
}

int attributes_delete_type_attr(MPI_Datatype type, int keyval)
{
    struct owner o;
    int rc = type_owner(type, &o);
    return rc == MPI_SUCCESS ? owner_delete(&o, keyval) : rc;
}

int attributes_copy_type(MPI_Datatype oldtype, MPI_Datatype newtype)
{
    struct owner from, to;
    int rc = type_owner(oldtype, &from);
    if (rc == MPI_SUCCESS)
        rc = type_owner(newtype, &to);
    return rc == MPI_SUCCESS ? owner_copy(&from, &to) : rc;
}

int attributes_delete_type(MPI_Datatype type)
{
    struct owner o;
    int rc = type_owner(type, &o);
    return rc == MPI_SUCCESS ? owner_delete_all(&o) : rc;
}
