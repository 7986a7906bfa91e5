/*
 * environment.c — initialization, thread levels and environment inquiry.
 *
 * Usage: environment --thread=single|funneled|serialized|multiple
 *
 * Exercises MPI_Init_thread at the requested level, MPI_Query_thread,
 * MPI_Is_thread_main (true on the main thread, false on another one when the
 * level allows asking from there), concurrent communication from two
 * threads when MPI_THREAD_MULTIPLE is granted, MPI_Initialized and
 * MPI_Finalized before MPI_Init_thread, while running and after
 * MPI_Finalize, MPI_Wtime/MPI_Wtick, MPI_Get_processor_name,
 * MPI_Get_version, MPI_Get_library_version, MPI_Error_string and
 * MPI_Error_class (predefined classes, errors actually raised under
 * MPI_ERRORS_RETURN, user-defined classes), and the MPI_TAG_UB and
 * MPI_WTIME_IS_GLOBAL attributes.
 *
 * Invariants:
 * - Without a valid --thread argument: one usage line on stderr, exit
 *   status 2, MPI never initialized.
 * - The level granted for single, funneled and serialized is at least the
 *   one required; for multiple, MPI may grant less, so only validity and
 *   agreement with MPI_Query_thread are checked.
 * - Timing is never asserted beyond MPI_Wtime not going backwards.
 * - stdout carries only check.h's verdict.
 */
#include <pthread.h>
#include <string.h>

#include "tests/mpi/check.h"

static int rank, size;

static const struct {
    const char *name;
    int level;
} levels[] = {
    {"single", MPI_THREAD_SINGLE},
    {"funneled", MPI_THREAD_FUNNELED},
    {"serialized", MPI_THREAD_SERIALIZED},
    {"multiple", MPI_THREAD_MULTIPLE},
};
#define NLEVELS ((int)(sizeof levels / sizeof levels[0]))

/* The level named by "--thread=<name>", or -1. */
static int parse_thread_arg(const char *arg)
{
    static const char prefix[] = "--thread=";
    if (strncmp(arg, prefix, sizeof prefix - 1) != 0)
        return -1;
    for (int i = 0; i < NLEVELS; i++)
        if (strcmp(arg + sizeof prefix - 1, levels[i].name) == 0)
            return levels[i].level;
    return -1;
}

static int is_valid_level(int level)
{
    for (int i = 0; i < NLEVELS; i++)
        if (levels[i].level == level)
            return 1;
    return 0;
}

static void test_thread_level(int required, int provided)
{
    int queried = -1, is_main = -1;

    /* The standard orders the levels; code compares them with <. */
    CHECK(MPI_THREAD_SINGLE < MPI_THREAD_FUNNELED &&
              MPI_THREAD_FUNNELED < MPI_THREAD_SERIALIZED &&
              MPI_THREAD_SERIALIZED < MPI_THREAD_MULTIPLE,
          "thread levels are not ordered");
    CHECK(is_valid_level(provided), "MPI_Init_thread provided %d", provided);
    if (required != MPI_THREAD_MULTIPLE)
        CHECK(provided >= required, "required level %d, provided %d", required,
              provided);
    CHECK_MPI(MPI_Query_thread(&queried));
    CHECK(queried == provided,
          "MPI_Query_thread %d, MPI_Init_thread provided %d", queried,
          provided);
    CHECK_MPI(MPI_Is_thread_main(&is_main));
    CHECK(is_main,
          "MPI_Is_thread_main false on the thread that initialized MPI");
}

static void *ask_is_thread_main(void *out)
{
    *(int *)out = -1;
    MPI_Is_thread_main(out);
    return NULL;
}

/* Another thread is not the main thread. Asking from it is only allowed
 * when that thread may call MPI at all: serialized (the main thread waits
 * in pthread_join meanwhile) or multiple. */
static void test_is_thread_main_other_thread(int provided)
{
    pthread_t thread;
    int answer = -1;

    if (provided < MPI_THREAD_SERIALIZED)
        return;
    CHECK(pthread_create(&thread, NULL, ask_is_thread_main, &answer) == 0,
          "pthread_create failed");
    CHECK(pthread_join(thread, NULL) == 0, "pthread_join failed");
    CHECK(answer == 0, "MPI_Is_thread_main answered %d on a second thread",
          answer);
}

/* A thread's share of test_concurrent_threads: ring shifts on its own
 * communicator. */
struct shifter {
    MPI_Comm comm;
    int id;
    int errors;
};

static void *shift_ring(void *arg)
{
    struct shifter *s = arg;
    int right = (rank + 1) % size, left = (rank + size - 1) % size;

    for (int round = 0; round < 20; round++) {
        int sval[4], rval[4];
        MPI_Status st;
        for (int i = 0; i < 4; i++)
            sval[i] = (rank * 1000 + round * 10 + i) * 2 + s->id;
        if (MPI_Sendrecv(sval, 4, MPI_INT, right, round, rval, 4, MPI_INT,
                         left, round, s->comm, &st) != MPI_SUCCESS)
            s->errors++;
        for (int i = 0; i < 4; i++)
            s->errors += rval[i] != (left * 1000 + round * 10 + i) * 2 + s->id;
        s->errors += st.MPI_SOURCE != left || st.MPI_TAG != round;
    }
    return NULL;
}

/* Under MPI_THREAD_MULTIPLE two threads of every rank communicate at the
 * same time, each on its own communicator, and both get their own data. */
static void test_concurrent_threads(int provided)
{
    struct shifter s[2];
    pthread_t thread[2];

    if (provided != MPI_THREAD_MULTIPLE)
        return;
    for (int t = 0; t < 2; t++) {
        s[t].id = t;
        s[t].errors = 0;
        CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &s[t].comm));
    }
    for (int t = 0; t < 2; t++)
        CHECK(pthread_create(&thread[t], NULL, shift_ring, &s[t]) == 0,
              "pthread_create failed");
    for (int t = 0; t < 2; t++) {
        CHECK(pthread_join(thread[t], NULL) == 0, "pthread_join failed");
        CHECK(s[t].errors == 0, "thread %d: %d wrong results", t, s[t].errors);
        CHECK_MPI(MPI_Comm_free(&s[t].comm));
    }
}

static void test_wtime(void)
{
    double tick = MPI_Wtick(), prev = MPI_Wtime();
    int *is_global = NULL, flag = 0;

    CHECK(tick > 0.0, "MPI_Wtick %g", tick);
    for (int i = 0; i < 1000; i++) {
        double now = MPI_Wtime();
        CHECK(now >= prev, "MPI_Wtime went back from %.9f to %.9f", prev, now);
        prev = now;
    }
    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_WTIME_IS_GLOBAL,
                                &is_global, &flag));
    if (flag)
        CHECK(*is_global == 0 || *is_global == 1, "MPI_WTIME_IS_GLOBAL is %d",
              *is_global);
}

static void test_processor_name(void)
{
    char name[MPI_MAX_PROCESSOR_NAME];
    int len = -1;

    /* Filled with 'x' so that a missing terminator shows as a length
     * mismatch. */
    memset(name, 'x', sizeof name - 1);
    name[sizeof name - 1] = '\0';
    CHECK_MPI(MPI_Get_processor_name(name, &len));
    CHECK(len > 0 && len < MPI_MAX_PROCESSOR_NAME, "processor name length %d",
          len);
    CHECK((size_t)len == strlen(name), "processor name length %d, strlen %zu",
          len, strlen(name));
}

static void test_versions(void)
{
    char lib[MPI_MAX_LIBRARY_VERSION_STRING];
    int version = -1, subversion = -1, len = -1;

    CHECK_MPI(MPI_Get_version(&version, &subversion));
    CHECK(version == 3 && subversion == 1,
          "MPI_Get_version %d.%d, expected 3.1", version, subversion);
    CHECK(version == MPI_VERSION && subversion == MPI_SUBVERSION,
          "MPI_Get_version %d.%d, mpi.h says %d.%d", version, subversion,
          MPI_VERSION, MPI_SUBVERSION);

    memset(lib, 'x', sizeof lib - 1);
    lib[sizeof lib - 1] = '\0';
    CHECK_MPI(MPI_Get_library_version(lib, &len));
    CHECK(len > 0 && len < MPI_MAX_LIBRARY_VERSION_STRING,
          "library version length %d", len);
    /* The standard means resultlen == strlen; Open MPI 4.1 counts the
     * terminating NUL as well (open-mpi/ompi#14411), so both are accepted. */
    CHECK((size_t)len == strlen(lib) || (size_t)len == strlen(lib) + 1,
          "library version length %d, strlen %zu", len, strlen(lib));
}

/* An error code's string is non-empty and its length is reported. */
static void check_error_string(int code, const char *what)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = -1;

    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    CHECK_MPI(MPI_Error_string(code, text, &len));
    CHECK(len > 0 && len < MPI_MAX_ERROR_STRING, "%s: error string length %d",
          what, len);
    CHECK((size_t)len == strlen(text),
          "%s: error string length %d, strlen %zu", what, len, strlen(text));
}

/* The class an error code belongs to. */
static int error_class(int code)
{
    int cls = -1;
    CHECK_MPI(MPI_Error_class(code, &cls));
    return cls;
}

/* Predefined classes are their own class and have a description. */
static void test_predefined_error_classes(void)
{
    static const struct {
        int code;
        const char *name;
    } codes[] = {
        {MPI_SUCCESS, "MPI_SUCCESS"},
        {MPI_ERR_COMM, "MPI_ERR_COMM"},
        {MPI_ERR_TAG, "MPI_ERR_TAG"},
        {MPI_ERR_RANK, "MPI_ERR_RANK"},
        {MPI_ERR_TRUNCATE, "MPI_ERR_TRUNCATE"},
        {MPI_ERR_OTHER, "MPI_ERR_OTHER"},
    };
    char success[MPI_MAX_ERROR_STRING], comm[MPI_MAX_ERROR_STRING];
    int len;

    CHECK(MPI_SUCCESS == 0, "MPI_SUCCESS is %d", MPI_SUCCESS);
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        int cls = error_class(codes[i].code);
        CHECK(cls == codes[i].code, "MPI_Error_class(%s) = %d", codes[i].name,
              cls);
        CHECK(codes[i].code <= MPI_ERR_LASTCODE, "%s above MPI_ERR_LASTCODE",
              codes[i].name);
        check_error_string(codes[i].code, codes[i].name);
    }
    CHECK_MPI(MPI_Error_string(MPI_SUCCESS, success, &len));
    CHECK_MPI(MPI_Error_string(MPI_ERR_COMM, comm, &len));
    CHECK(strcmp(success, comm) != 0,
          "MPI_SUCCESS and MPI_ERR_COMM share a description");
}

/* With MPI_ERRORS_RETURN, erroneous calls return a code of the matching
 * class instead of aborting, and leave MPI usable. */
static void test_raised_errors(void)
{
    MPI_Comm comm;
    int val = 0, rc;

    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &comm));
    CHECK_MPI(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN));

    rc = MPI_Send(&val, 1, MPI_INT, 0, -5, comm);
    CHECK(rc != MPI_SUCCESS && error_class(rc) == MPI_ERR_TAG,
          "send with tag -5: code %d, class %d", rc, error_class(rc));
    check_error_string(rc, "tag error");

    rc = MPI_Send(&val, 1, MPI_INT, size + 5, 0, comm);
    CHECK(rc != MPI_SUCCESS && error_class(rc) == MPI_ERR_RANK,
          "send to rank %d: code %d, class %d", size + 5, rc, error_class(rc));

    /* MPI still works after the errors. */
    rc = MPI_Sendrecv(&val, 1, MPI_INT, rank, 1, &val, 1, MPI_INT, rank, 1,
                      comm, MPI_STATUS_IGNORE);
    CHECK(rc == MPI_SUCCESS, "communication after errors returned %d", rc);
    CHECK_MPI(MPI_Comm_free(&comm));
}

/* User-defined classes and codes: MPI_Error_class maps the code to its
 * class, MPI_Error_string returns the string registered. */
static void test_user_error_classes(void)
{
    static const char text[] = "mpickpt environment test error";
    char got[MPI_MAX_ERROR_STRING];
    int cls = -1, code = -1, len = -1, *last = NULL, flag = 0;

    CHECK_MPI(MPI_Add_error_class(&cls));
    CHECK_MPI(MPI_Add_error_code(cls, &code));
    CHECK_MPI(MPI_Add_error_string(code, text));
    CHECK(cls > MPI_ERR_LASTCODE,
          "new error class %d not above MPI_ERR_LASTCODE", cls);
    CHECK(error_class(code) == cls,
          "MPI_Error_class(new code %d) = %d, expected %d", code,
          error_class(code), cls);
    CHECK_MPI(MPI_Error_string(code, got, &len));
    CHECK(strcmp(got, text) == 0 && (size_t)len == strlen(text),
          "new code's string is \"%s\" (%d)", got, len);
    CHECK_MPI(
        MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_LASTUSEDCODE, &last, &flag));
    CHECK(flag && *last >= code, "MPI_LASTUSEDCODE %d below the new code %d",
          flag ? *last : -1, code);
}

static void test_tag_ub_attribute(void)
{
    int *tag_ub = NULL, flag = 0;

    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag));
    CHECK(flag && tag_ub != NULL, "MPI_TAG_UB attribute missing");
    if (flag && tag_ub != NULL)
        CHECK(*tag_ub >= 32767, "MPI_TAG_UB %d below 32767", *tag_ub);
}

int main(int argc, char **argv)
{
    int required = argc == 2 ? parse_thread_arg(argv[1]) : -1;
    if (required < 0) {
        fprintf(stderr,
                "usage: %s --thread=single|funneled|serialized|multiple\n",
                argv[0]);
        return 2;
    }

    int initialized_before = -1, finalized_before = -1, provided = -1;
    MPI_Initialized(&initialized_before);
    MPI_Finalized(&finalized_before);
    MPI_Init_thread(&argc, &argv, required, &provided);
    check_init("environment");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    int initialized = -1, finalized = -1;
    CHECK(!initialized_before, "MPI_Initialized true before MPI_Init_thread");
    CHECK(!finalized_before, "MPI_Finalized true before MPI_Init_thread");
    CHECK_MPI(MPI_Initialized(&initialized));
    CHECK_MPI(MPI_Finalized(&finalized));
    CHECK(initialized, "MPI_Initialized false after MPI_Init_thread");
    CHECK(!finalized, "MPI_Finalized true before MPI_Finalize");

    test_thread_level(required, provided);
    test_is_thread_main_other_thread(provided);
    test_concurrent_threads(provided);
    test_wtime();
    test_processor_name();
    test_versions();
    test_predefined_error_classes();
    test_raised_errors();
    test_user_error_classes();
    test_tag_ub_attribute();

    int status = check_finish();

    /* After MPI_Finalize, only these two may still be asked; a failure here
     * follows the verdict line, which is enough to fail the run. */
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    CHECK(initialized, "MPI_Initialized false after MPI_Finalize");
    CHECK(finalized, "MPI_Finalized false after MPI_Finalize");
    return check_failures ? 1 : status;
}
