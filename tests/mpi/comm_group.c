/*
 * comm_group.c — communicators, groups, error handlers, attributes, names.
 *
 * Exercises: Comm_dup (messages on a duplicate never match those on the
 * original), Comm_split (several colors, keys that reverse or regroup the
 * order, ties broken by old rank, MPI_UNDEFINED giving MPI_COMM_NULL),
 * Comm_create from a group, Comm_create_group (called by the members
 * only), Comm_free, Comm_compare (IDENT, CONGRUENT, SIMILAR, UNEQUAL),
 * Comm_group, Group_size/rank, Group_incl/excl/range_incl (negative
 * stride too), Group_translate_ranks (MPI_PROC_NULL, MPI_UNDEFINED),
 * Group_union/intersection/difference (and the order of their members),
 * Group_compare, Group_free, MPI_GROUP_EMPTY; Comm_set_errhandler with
 * MPI_ERRORS_RETURN (erroneous calls return MPI_ERR_RANK, MPI_ERR_TAG,
 * MPI_ERR_COUNT, MPI_ERR_ROOT classes and the communicator stays usable),
 * a user error handler from Comm_create_errhandler, Comm_get_errhandler,
 * Comm_dup inheriting the handler; Comm_get_attr(MPI_TAG_UB); attribute
 * keyvals with copy and delete callbacks (counted exactly: replacing a
 * value, deleting it, Comm_dup copying it, Comm_free deleting it, even
 * after the keyval was freed) and with MPI_COMM_NULL_COPY_FN and
 * MPI_COMM_DUP_FN; Comm_set_name/get_name; Comm_test_inter; collective
 * and point-to-point communication on every derived communicator.
 *
 * Invariants: every expectation is computed from the rank and size alone
 * and holds at any size, including 1 (where SIMILAR and UNEQUAL
 * communicators cannot exist, so CONGRUENT is expected instead). The
 * erroneous calls are caught by argument checking before any message is
 * sent (Open MPI's mpi_param_check, on by default), so they involve no
 * other rank. Output is only the PASS line (check.h).
 */
#include <stdint.h>
#include <string.h>

#include "tests/mpi/check.h"

/* The world ranks of every member of comm, in comm's rank order, gathered
 * over comm itself — so it also checks that comm can carry a collective. */
static void world_ranks_of(MPI_Comm comm, int *out)
{
    int wrank;
    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    CHECK_MPI(MPI_Allgather(&wrank, 1, MPI_INT, out, 1, MPI_INT, comm));
}

/* comm must have the members listed in want (world ranks, in order). */
static void check_members(MPI_Comm comm, const int *want, int n,
                          const char *what)
{
    int size, rank, wrank;
    MPI_Comm_rank(MPI_COMM_WORLD, &wrank);
    CHECK_MPI(MPI_Comm_size(comm, &size));
    CHECK_MPI(MPI_Comm_rank(comm, &rank));
    CHECK(size == n, "%s: size %d, expected %d", what, size, n);
    if (size != n)
        return;
    CHECK(want[rank] == wrank, "%s: my rank %d should be world rank %d",
          what, rank, want[rank]);
    int got[64];
    world_ranks_of(comm, got);
    for (int i = 0; i < n; i++)
        CHECK(got[i] == want[i], "%s: member %d is world rank %d, expected %d",
              what, i, got[i], want[i]);
}

/* A message sent on a duplicate is received only on the duplicate, even
 * with the same source and tag pending on the original and the duplicate
 * received first. */
static void test_dup_isolation(void)
{
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm dup;
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    int on_world = 1000 + rank, on_dup = 2000 + rank, a = -1, b = -1;
    MPI_Request req[2];
    MPI_Status st;
    CHECK_MPI(MPI_Isend(&on_world, 1, MPI_INT, right, 0, MPI_COMM_WORLD,
                        &req[0]));
    CHECK_MPI(MPI_Isend(&on_dup, 1, MPI_INT, right, 0, dup, &req[1]));
    CHECK_MPI(MPI_Recv(&a, 1, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, dup, &st));
    CHECK_MPI(MPI_Recv(&b, 1, MPI_INT, left, 0, MPI_COMM_WORLD,
                       MPI_STATUS_IGNORE));
    CHECK_MPI(MPI_Waitall(2, req, MPI_STATUSES_IGNORE));
    CHECK(a == 2000 + left && st.MPI_SOURCE == left,
          "dup received %d from %d", a, st.MPI_SOURCE);
    CHECK(b == 1000 + left, "world received %d", b);

    int want[64];
    for (int i = 0; i < size; i++)
        want[i] = i;
    check_members(dup, want, size, "Comm_dup");
    CHECK_MPI(MPI_Comm_free(&dup));
    CHECK(dup == MPI_COMM_NULL, "Comm_free did not set MPI_COMM_NULL");
}

static void test_split(void)
{
    int rank, size, want[64], n;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm c;

    /* Three colors, key -rank: each color's members in descending order. */
    CHECK_MPI(MPI_Comm_split(MPI_COMM_WORLD, rank % 3, -rank, &c));
    n = 0;
    for (int r = size - 1; r >= 0; r--)
        if (r % 3 == rank % 3)
            want[n++] = r;
    check_members(c, want, n, "split color rank%3 key -rank");
    CHECK_MPI(MPI_Comm_free(&c));

    /* Odd ranks opt out; the evens share key 0, so old rank breaks ties. */
    CHECK_MPI(MPI_Comm_split(MPI_COMM_WORLD, rank % 2 ? MPI_UNDEFINED : 7, 0,
                             &c));
    if (rank % 2) {
        CHECK(c == MPI_COMM_NULL, "MPI_UNDEFINED color gave a communicator");
    } else {
        n = 0;
        for (int r = 0; r < size; r += 2)
            want[n++] = r;
        check_members(c, want, n, "split evens, odds undefined");
        CHECK_MPI(MPI_Comm_free(&c));
    }

    /* One color, key rank%2: evens first, then odds, each ascending. */
    CHECK_MPI(MPI_Comm_split(MPI_COMM_WORLD, 0, rank % 2, &c));
    n = 0;
    for (int parity = 0; parity < 2; parity++)
        for (int r = parity; r < size; r += 2)
            want[n++] = r;
    check_members(c, want, n, "split key rank%2");
    int inter = 1;
    CHECK_MPI(MPI_Comm_test_inter(c, &inter));
    CHECK(!inter, "split communicator reported as intercommunicator");
    CHECK_MPI(MPI_Comm_free(&c));
}

/* Comm_create over MPI_COMM_WORLD from the even ranks; Comm_create_group
 * called only by the upper half, in descending order. */
static void test_create(void)
{
    int rank, size, want[64], n = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Group world_g, evens, upper;
    MPI_Comm c;
    CHECK_MPI(MPI_Comm_group(MPI_COMM_WORLD, &world_g));

    int range_evens[1][3] = {{0, size - 1, 2}};
    CHECK_MPI(MPI_Group_range_incl(world_g, 1, range_evens, &evens));
    CHECK_MPI(MPI_Comm_create(MPI_COMM_WORLD, evens, &c));
    if (rank % 2) {
        CHECK(c == MPI_COMM_NULL, "Comm_create gave a non-member a comm");
    } else {
        for (int r = 0; r < size; r += 2)
            want[n++] = r;
        check_members(c, want, n, "Comm_create evens");
        CHECK_MPI(MPI_Comm_free(&c));
    }

    int range_upper[1][3] = {{size - 1, size / 2, -1}};
    CHECK_MPI(MPI_Group_range_incl(world_g, 1, range_upper, &upper));
    if (rank >= size / 2) {
        CHECK_MPI(MPI_Comm_create_group(MPI_COMM_WORLD, upper, 5, &c));
        n = 0;
        for (int r = size - 1; r >= size / 2; r--)
            want[n++] = r;
        check_members(c, want, n, "Comm_create_group upper half reversed");
        CHECK_MPI(MPI_Comm_free(&c));
    }
    CHECK_MPI(MPI_Group_free(&evens));
    CHECK_MPI(MPI_Group_free(&upper));
    CHECK_MPI(MPI_Group_free(&world_g));
    CHECK(world_g == MPI_GROUP_NULL, "Group_free did not set MPI_GROUP_NULL");
}

static void test_comm_compare(void)
{
    int rank, size, result;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Comm dup, dup2, reversed;
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
    CHECK_MPI(MPI_Comm_dup(dup, &dup2));
    CHECK_MPI(MPI_Comm_split(MPI_COMM_WORLD, 0, -rank, &reversed));

    CHECK_MPI(MPI_Comm_compare(MPI_COMM_WORLD, MPI_COMM_WORLD, &result));
    CHECK(result == MPI_IDENT, "world vs world: %d", result);
    CHECK_MPI(MPI_Comm_compare(MPI_COMM_WORLD, dup, &result));
    CHECK(result == MPI_CONGRUENT, "world vs dup: %d", result);
    CHECK_MPI(MPI_Comm_compare(dup, dup2, &result));
    CHECK(result == MPI_CONGRUENT, "dup vs dup of dup: %d", result);
    /* One rank in any order is the same order. */
    CHECK_MPI(MPI_Comm_compare(MPI_COMM_WORLD, reversed, &result));
    CHECK(result == (size > 1 ? MPI_SIMILAR : MPI_CONGRUENT),
          "world vs reversed: %d", result);
    CHECK_MPI(MPI_Comm_compare(MPI_COMM_WORLD, MPI_COMM_SELF, &result));
    CHECK(result == (size > 1 ? MPI_UNEQUAL : MPI_CONGRUENT),
          "world vs self: %d", result);

    CHECK_MPI(MPI_Comm_free(&reversed));
    CHECK_MPI(MPI_Comm_free(&dup2));
    CHECK_MPI(MPI_Comm_free(&dup));
}

/* A group's members as world ranks, in group order. */
static void group_members(MPI_Group g, MPI_Group world_g, int *out, int *n)
{
    int ranks[64];
    CHECK_MPI(MPI_Group_size(g, n));
    for (int i = 0; i < *n; i++)
        ranks[i] = i;
    CHECK_MPI(MPI_Group_translate_ranks(g, *n, ranks, world_g, out));
}

static void check_group(MPI_Group g, MPI_Group world_g, const int *want,
                        int n, const char *what)
{
    int got[64], m, rank, my;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    group_members(g, world_g, got, &m);
    CHECK(m == n, "%s: size %d, expected %d", what, m, n);
    for (int i = 0; i < n && i < m; i++)
        CHECK(got[i] == want[i], "%s: member %d is world rank %d, expected %d",
              what, i, got[i], want[i]);
    int expect_rank = MPI_UNDEFINED;
    for (int i = 0; i < n; i++)
        if (want[i] == rank)
            expect_rank = i;
    CHECK_MPI(MPI_Group_rank(g, &my));
    CHECK(my == expect_rank, "%s: Group_rank %d, expected %d", what, my,
          expect_rank);
}

static void test_groups(void)
{
    int rank, size, want[64], n, result;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Group world_g, dup_g, rev, excl0, evens, odds, uni, inter, diff;
    CHECK_MPI(MPI_Comm_group(MPI_COMM_WORLD, &world_g));

    for (int i = 0; i < size; i++)
        want[i] = i;
    check_group(world_g, world_g, want, size, "world group");

    /* A communicator's group is that of the communicator it dups. */
    MPI_Comm dup;
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &dup));
    CHECK_MPI(MPI_Comm_group(dup, &dup_g));
    CHECK_MPI(MPI_Group_compare(world_g, dup_g, &result));
    CHECK(result == MPI_IDENT, "group of dup vs world: %d", result);
    CHECK_MPI(MPI_Comm_free(&dup));

    for (int i = 0; i < size; i++)
        want[i] = size - 1 - i;
    CHECK_MPI(MPI_Group_incl(world_g, size, want, &rev));
    check_group(rev, world_g, want, size, "Group_incl reversed");
    CHECK_MPI(MPI_Group_compare(world_g, rev, &result));
    CHECK(result == (size > 1 ? MPI_SIMILAR : MPI_IDENT),
          "world vs reversed group: %d", result);

    int zero = 0;
    CHECK_MPI(MPI_Group_excl(world_g, 1, &zero, &excl0));
    for (int i = 1; i < size; i++)
        want[i - 1] = i;
    check_group(excl0, world_g, want, size - 1, "Group_excl 0");

    /* Evens ascending by a positive stride; odds by a negative stride,
     * descending. */
    int r_evens[1][3] = {{0, size - 1, 2}};
    int top_odd = (size - 1) % 2 ? size - 1 : size - 2; /* -1: no odds */
    int r_odds[1][3] = {{top_odd, 1, -2}};
    CHECK_MPI(MPI_Group_range_incl(world_g, 1, r_evens, &evens));
    n = 0;
    for (int r = 0; r < size; r += 2)
        want[n++] = r;
    check_group(evens, world_g, want, n, "range_incl evens");
    /* A range must name at least one rank: with one rank, no odds. */
    if (size > 1)
        CHECK_MPI(MPI_Group_range_incl(world_g, 1, r_odds, &odds));
    else
        CHECK_MPI(MPI_Group_incl(world_g, 0, NULL, &odds));
    n = 0;
    for (int r = top_odd; r >= 1; r -= 2)
        want[n++] = r;
    check_group(odds, world_g, want, n, "range_incl odds descending");

    /* Translation: evens' rank i is world 2i; a world rank is in evens
     * only if even; MPI_PROC_NULL stays MPI_PROC_NULL. */
    int from[3] = {rank, MPI_PROC_NULL, 0}, to[3];
    CHECK_MPI(MPI_Group_translate_ranks(world_g, 3, from, evens, to));
    CHECK(to[0] == (rank % 2 ? MPI_UNDEFINED : rank / 2),
          "translate world %d to evens gave %d", rank, to[0]);
    CHECK(to[1] == MPI_PROC_NULL, "translate MPI_PROC_NULL gave %d", to[1]);
    CHECK(to[2] == 0, "translate world 0 to evens gave %d", to[2]);

    /* Union: the first group's order, then the second's new members in
     * their order. Intersection and difference keep the first's order. */
    CHECK_MPI(MPI_Group_union(evens, odds, &uni));
    n = 0;
    for (int r = 0; r < size; r += 2)
        want[n++] = r;
    for (int r = top_odd; r >= 1; r -= 2)
        want[n++] = r;
    check_group(uni, world_g, want, n, "Group_union evens+odds");
    CHECK_MPI(MPI_Group_compare(uni, world_g, &result));
    CHECK(result == (size > 2 ? MPI_SIMILAR : MPI_IDENT),
          "union vs world: %d", result);

    CHECK_MPI(MPI_Group_intersection(rev, evens, &inter));
    n = 0;
    for (int r = size - 1; r >= 0; r--)
        if (r % 2 == 0)
            want[n++] = r;
    check_group(inter, world_g, want, n, "Group_intersection rev&evens");

    CHECK_MPI(MPI_Group_difference(rev, evens, &diff));
    n = 0;
    for (int r = size - 1; r >= 0; r--)
        if (r % 2)
            want[n++] = r;
    check_group(diff, world_g, want, n, "Group_difference rev-evens");

    CHECK_MPI(MPI_Group_compare(evens, odds, &result));
    CHECK(result == MPI_UNEQUAL, "evens vs odds: %d", result);
    CHECK_MPI(MPI_Group_size(MPI_GROUP_EMPTY, &n));
    CHECK(n == 0, "MPI_GROUP_EMPTY has size %d", n);
    MPI_Group none;
    CHECK_MPI(MPI_Group_difference(evens, evens, &none));
    CHECK_MPI(MPI_Group_size(none, &n));
    CHECK(n == 0, "evens - evens has size %d", n);
    CHECK_MPI(MPI_Group_rank(none, &n));
    CHECK(n == MPI_UNDEFINED, "rank in an empty group: %d", n);

    MPI_Group *all[] = {&world_g, &dup_g, &rev, &excl0, &evens, &odds,
                        &uni, &inter, &diff, &none};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        /* Freeing MPI_GROUP_EMPTY is erroneous; a library may return it
         * for an empty result. */
        if (*all[i] == MPI_GROUP_EMPTY)
            continue;
        CHECK_MPI(MPI_Group_free(all[i]));
        CHECK(*all[i] == MPI_GROUP_NULL, "Group_free left a handle");
    }
}

static int handler_calls, handler_class;

static void record_error(MPI_Comm *comm, int *code, ...)
{
    (void)comm;
    handler_calls++;
    MPI_Error_class(*code, &handler_class);
}

/* An erroneous call on comm must return an error of the given class. */
static void expect_error_class(int rc, int want, const char *what)
{
    int cls = -1;
    CHECK(rc != MPI_SUCCESS, "%s succeeded", what);
    if (rc == MPI_SUCCESS)
        return;
    CHECK_MPI(MPI_Error_class(rc, &cls));
    CHECK(cls == want, "%s: error class %d, expected %d", what, cls, want);
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;
    CHECK_MPI(MPI_Error_string(rc, msg, &len));
    CHECK(len > 0, "%s: empty error string", what);
}

static void test_errhandlers(void)
{
    int rank, size, x = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    MPI_Errhandler eh;

    CHECK_MPI(MPI_Comm_get_errhandler(MPI_COMM_WORLD, &eh));
    CHECK(eh == MPI_ERRORS_ARE_FATAL, "world's default handler not fatal");
    CHECK_MPI(MPI_Errhandler_free(&eh));

    MPI_Comm c, c2;
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &c));
    CHECK_MPI(MPI_Comm_set_errhandler(c, MPI_ERRORS_RETURN));
    CHECK_MPI(MPI_Comm_get_errhandler(c, &eh));
    CHECK(eh == MPI_ERRORS_RETURN, "get_errhandler != MPI_ERRORS_RETURN");
    CHECK_MPI(MPI_Errhandler_free(&eh));

    expect_error_class(MPI_Send(&x, 1, MPI_INT, size, 0, c), MPI_ERR_RANK,
                       "Send to rank size");
    expect_error_class(MPI_Send(&x, 1, MPI_INT, 0, -3, c), MPI_ERR_TAG,
                       "Send with tag -3");
    expect_error_class(MPI_Send(&x, -1, MPI_INT, 0, 0, c), MPI_ERR_COUNT,
                       "Send with count -1");
    expect_error_class(MPI_Bcast(&x, 1, MPI_INT, size, c), MPI_ERR_ROOT,
                       "Bcast from root size");

    /* The handler is copied by Comm_dup, and the communicator still works
     * after the errors. */
    CHECK_MPI(MPI_Comm_dup(c, &c2));
    CHECK_MPI(MPI_Comm_get_errhandler(c2, &eh));
    CHECK(eh == MPI_ERRORS_RETURN, "Comm_dup did not copy the errhandler");
    CHECK_MPI(MPI_Errhandler_free(&eh));
    expect_error_class(MPI_Send(&x, 1, MPI_INT, size + 1, 0, c2),
                       MPI_ERR_RANK, "Send to rank size+1 on a dup");
    int sum = 0;
    CHECK_MPI(MPI_Allreduce(&rank, &sum, 1, MPI_INT, MPI_SUM, c));
    CHECK(sum == size * (size - 1) / 2, "Allreduce after errors: %d", sum);

    /* A user handler is called once per error, with the error's code. */
    MPI_Errhandler mine;
    CHECK_MPI(MPI_Comm_create_errhandler(record_error, &mine));
    CHECK_MPI(MPI_Comm_set_errhandler(c2, mine));
    CHECK_MPI(MPI_Errhandler_free(&mine)); /* c2 keeps it alive */
    CHECK(mine == MPI_ERRHANDLER_NULL, "Errhandler_free left a handle");
    int rc = MPI_Send(&x, 1, MPI_INT, -7, 0, c2);
    CHECK(handler_calls == 1 && handler_class == MPI_ERR_RANK,
          "user handler: %d calls, class %d", handler_calls, handler_class);
    CHECK(rc != MPI_SUCCESS, "erroneous Send under a user handler succeeded");
    CHECK_MPI(MPI_Comm_free(&c2));
    CHECK_MPI(MPI_Comm_free(&c));
}

/* Calls made to the attribute callbacks of one keyval. */
struct attr_log {
    int copies, deletes;
    intptr_t last_deleted;
};

/* Copies the value plus one, so the copy is distinguishable. */
static int copy_plus_one(MPI_Comm old, int keyval, void *extra, void *in,
                         void *out, int *flag)
{
    (void)old;
    (void)keyval;
    ((struct attr_log *)extra)->copies++;
    *(void **)out = (void *)((intptr_t)in + 1);
    *flag = 1;
    return MPI_SUCCESS;
}

static int log_delete(MPI_Comm comm, int keyval, void *val, void *extra)
{
    (void)comm;
    (void)keyval;
    struct attr_log *log = extra;
    log->deletes++;
    log->last_deleted = (intptr_t)val;
    return MPI_SUCCESS;
}

/* Value of keyval on comm, or -1 when not set. */
static intptr_t attr_value(MPI_Comm comm, int keyval)
{
    void *val = NULL;
    int flag = 0;
    CHECK_MPI(MPI_Comm_get_attr(comm, keyval, &val, &flag));
    return flag ? (intptr_t)val : -1;
}

static void test_attributes(void)
{
    int *tag_ub = NULL, flag = 0;
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag));
    CHECK(flag && tag_ub != NULL && *tag_ub >= 32767, "MPI_TAG_UB missing or "
          "below 32767");

    struct attr_log log = {0, 0, 0};
    int key, nocopy, dupkey;
    CHECK_MPI(MPI_Comm_create_keyval(copy_plus_one, log_delete, &key, &log));
    CHECK_MPI(MPI_Comm_create_keyval(MPI_COMM_NULL_COPY_FN,
                                     MPI_COMM_NULL_DELETE_FN, &nocopy, NULL));
    CHECK_MPI(MPI_Comm_create_keyval(MPI_COMM_DUP_FN, MPI_COMM_NULL_DELETE_FN,
                                     &dupkey, NULL));

    MPI_Comm a, b, c;
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &a));
    CHECK(attr_value(a, key) == -1, "fresh comm has the attribute");
    CHECK_MPI(MPI_Comm_set_attr(a, key, (void *)(intptr_t)42));
    CHECK(attr_value(a, key) == 42, "get_attr after set");
    /* Replacing a value deletes the old one. */
    CHECK_MPI(MPI_Comm_set_attr(a, key, (void *)(intptr_t)100));
    CHECK(log.deletes == 1 && log.last_deleted == 42,
          "replace: %d deletes, last %ld", log.deletes,
          (long)log.last_deleted);
    CHECK_MPI(MPI_Comm_set_attr(a, nocopy, (void *)(intptr_t)7));
    CHECK_MPI(MPI_Comm_set_attr(a, dupkey, (void *)(intptr_t)9));

    /* Comm_dup runs each keyval's copy callback. */
    CHECK_MPI(MPI_Comm_dup(a, &b));
    CHECK(log.copies == 1, "dup: %d copy calls", log.copies);
    CHECK(attr_value(b, key) == 101, "copied value %ld",
          (long)attr_value(b, key));
    CHECK(attr_value(a, key) == 100, "original changed by dup");
    CHECK(attr_value(b, nocopy) == -1, "MPI_COMM_NULL_COPY_FN copied");
    CHECK(attr_value(b, dupkey) == 9, "MPI_COMM_DUP_FN did not copy");

    CHECK_MPI(MPI_Comm_delete_attr(a, key));
    CHECK(log.deletes == 2 && log.last_deleted == 100, "delete_attr: %d "
          "deletes, last %ld", log.deletes, (long)log.last_deleted);
    CHECK(attr_value(a, key) == -1, "attribute still there after delete");

    CHECK_MPI(MPI_Comm_dup(b, &c));
    CHECK(log.copies == 2 && attr_value(c, key) == 102, "second dup");

    /* A freed keyval lives on while attributes use it: freeing the
     * communicators still calls its delete callback. */
    CHECK_MPI(MPI_Comm_free_keyval(&key));
    CHECK(key == MPI_KEYVAL_INVALID, "free_keyval left the key");
    CHECK_MPI(MPI_Comm_free(&b));
    CHECK(log.deletes == 3 && log.last_deleted == 101, "free b: %d deletes, "
          "last %ld", log.deletes, (long)log.last_deleted);
    CHECK_MPI(MPI_Comm_free(&c));
    CHECK(log.deletes == 4 && log.last_deleted == 102, "free c: %d deletes, "
          "last %ld", log.deletes, (long)log.last_deleted);
    CHECK_MPI(MPI_Comm_free(&a));
    CHECK(log.deletes == 4 && log.copies == 2, "callbacks for a deleted "
          "attribute: %d deletes, %d copies", log.deletes, log.copies);
    CHECK_MPI(MPI_Comm_free_keyval(&nocopy));
    CHECK_MPI(MPI_Comm_free_keyval(&dupkey));
}

static void test_names(void)
{
    char name[MPI_MAX_OBJECT_NAME];
    int len = -1;
    CHECK_MPI(MPI_Comm_get_name(MPI_COMM_WORLD, name, &len));
    CHECK(strcmp(name, "MPI_COMM_WORLD") == 0 && len == 14,
          "world is named \"%s\" (%d)", name, len);
    CHECK_MPI(MPI_Comm_get_name(MPI_COMM_SELF, name, &len));
    CHECK(strcmp(name, "MPI_COMM_SELF") == 0, "self is named \"%s\"", name);

    MPI_Comm c, c2;
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &c));
    CHECK_MPI(MPI_Comm_set_name(c, "solver comm"));
    CHECK_MPI(MPI_Comm_get_name(c, name, &len));
    CHECK(strcmp(name, "solver comm") == 0 && len == 11,
          "set_name then get_name gave \"%s\" (%d)", name, len);
    /* Names are not copied by Comm_dup. */
    CHECK_MPI(MPI_Comm_dup(c, &c2));
    CHECK_MPI(MPI_Comm_get_name(c2, name, &len));
    CHECK(len == 0 && name[0] == '\0', "dup inherited name \"%s\"", name);
    int inter = 1;
    CHECK_MPI(MPI_Comm_test_inter(MPI_COMM_WORLD, &inter));
    CHECK(!inter, "MPI_COMM_WORLD reported as intercommunicator");
    CHECK_MPI(MPI_Comm_test_inter(c2, &inter));
    CHECK(!inter, "a dup reported as intercommunicator");
    CHECK_MPI(MPI_Comm_free(&c2));
    CHECK_MPI(MPI_Comm_free(&c));
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    check_init("comm_group");
    int size;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    if (size > 64) { /* fixed-size member arrays below */
        CHECK(0, "run with at most 64 ranks");
        return check_finish();
    }

    test_dup_isolation();
    test_split();
    test_create();
    test_comm_compare();
    test_groups();
    test_errhandlers();
    test_attributes();
    test_names();
    return check_finish();
}
