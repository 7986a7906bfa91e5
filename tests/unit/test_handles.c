/*
 * test_handles.c — unit tests of the plugin's handle translation: what the
 * app's MPI handles (the addresses its own mpi.h produced, or objects the
 * plugin made) stand for, and back; and the Fortran integer conversions.
 *
 * Links libmpickpt itself; nothing here talks to a keeper, so no MPI job is
 * needed: the two predefined communicators are set up from a made-up world.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <mpi.h>

#include "plugin/client.h"
#include "plugin/comm.h"
#include "plugin/datatype.h"
#include "plugin/request.h"
#include "plugin/types.h"

static int set_up_world(void **state)
{
    (void)state;
    struct client_world world = { .rank = 2, .size = 4, .tag_ub = 1 << 20 };
    return comm_init_predefined(&world);
}

static void test_predefined_types_are_basic_kinds(void **state)
{
    (void)state;
    enum basic_kind kind;
    assert_ptr_equal(type_get(MPI_INT), dt_basic(BASIC_INT));
    assert_ptr_equal(type_get(MPI_DOUBLE), dt_basic(BASIC_DOUBLE));
    assert_true(dt_named_kind(type_get(MPI_DOUBLE_INT), &kind));
    assert_int_equal(kind, BASIC_DOUBLE_INT);
    /* Two names of one type map to the same kind. */
    assert_ptr_equal(type_get(MPI_LONG_LONG_INT), type_get(MPI_LONG_LONG));
    assert_null(type_derived(MPI_INT));
    assert_string_equal(type_predefined_name(MPI_FLOAT), "MPI_FLOAT");
}

static void test_null_and_foreign_type_handles_are_rejected(void **state)
{
    (void)state;
    static uint64_t not_a_type[8];
    assert_null(type_get(MPI_DATATYPE_NULL));
    assert_null(type_get((MPI_Datatype)(void *)not_a_type));
    assert_null(type_derived((MPI_Datatype)(void *)not_a_type));
}

static void test_derived_type_round_trips(void **state)
{
    (void)state;
    struct dt_type *dt;
    assert_int_equal(dt_contiguous(3, dt_basic(BASIC_INT), &dt), DT_OK);
    MPI_Datatype handle = type_wrap(dt);
    assert_true(handle != MPI_DATATYPE_NULL);
    assert_ptr_equal(type_get(handle), dt);
    assert_non_null(type_derived(handle));
    assert_null(type_predefined_name(handle));
    type_destroy(type_derived(handle));
}

static void test_predefined_communicators(void **state)
{
    (void)state;
    struct mk_comm *world = comm_get(MPI_COMM_WORLD), *self = comm_get(MPI_COMM_SELF);
    assert_non_null(world);
    assert_non_null(self);
    assert_int_equal(world->rank, 2);
    assert_int_equal(world->size, 4);
    assert_int_equal(self->size, 1);
    assert_int_equal(comm_world_rank(self, 0), 2);
    assert_true(comm_handle(world) == MPI_COMM_WORLD);
    assert_true(comm_handle(self) == MPI_COMM_SELF);
    assert_null(comm_get(MPI_COMM_NULL));
}

static void test_created_communicator_round_trips_until_destroyed(void **state)
{
    (void)state;
    static const int members[] = { 3, 1 };
    int64_t id = comm_next_id();
    struct mk_comm *c = comm_new(id, 1, 2, members, comm_get(MPI_COMM_WORLD));
    assert_non_null(c);
    assert_int_equal(comm_next_id(), id + 1);
    MPI_Comm handle = comm_handle(c);
    assert_ptr_equal(comm_get(handle), c);
    assert_int_equal(comm_world_rank(c, 0), 3);
    comm_destroy(c);
    assert_null(comm_get(handle));
}

static void test_request_handles(void **state)
{
    (void)state;
    struct mk_request *r = request_new(MKR_DONE);
    assert_non_null(r);
    MPI_Request handle = request_handle(r);
    assert_ptr_equal(request_get(handle), r);
    assert_null(request_get(MPI_REQUEST_NULL));
    request_release(r);
}

static void test_fortran_conversions_of_predefined_handles(void **state)
{
    (void)state;
    /* Open MPI's own numbering, so mixed-language code agrees. */
    assert_int_equal(MPI_Comm_c2f(MPI_COMM_WORLD), 0);
    assert_int_equal(MPI_Comm_c2f(MPI_COMM_SELF), 1);
    assert_true(MPI_Comm_f2c(0) == MPI_COMM_WORLD);
    assert_true(MPI_Type_f2c(MPI_Type_c2f(MPI_DOUBLE)) == MPI_DOUBLE);
    assert_true(MPI_Op_f2c(MPI_Op_c2f(MPI_SUM)) == MPI_SUM);
    assert_true(MPI_Request_f2c(MPI_Request_c2f(MPI_REQUEST_NULL)) == MPI_REQUEST_NULL);
}

static void test_fortran_conversions_of_created_handles(void **state)
{
    (void)state;
    static const int members[] = { 0, 1, 2, 3 };
    struct mk_comm *c = comm_new(comm_next_id(), 2, 4, members, NULL);
    MPI_Comm handle = comm_handle(c);
    MPI_Fint f = MPI_Comm_c2f(handle);
    assert_true(f > 1);
    assert_int_equal(MPI_Comm_c2f(handle), f); /* stable */
    assert_true(MPI_Comm_f2c(f) == handle);
    struct dt_type *dt;
    assert_int_equal(dt_vector(2, 1, 3, dt_basic(BASIC_FLOAT), &dt), DT_OK);
    MPI_Datatype type = type_wrap(dt);
    assert_true(MPI_Type_f2c(MPI_Type_c2f(type)) == type);
    type_destroy(type_derived(type));
    comm_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_predefined_types_are_basic_kinds),
        cmocka_unit_test(test_null_and_foreign_type_handles_are_rejected),
        cmocka_unit_test(test_derived_type_round_trips),
        cmocka_unit_test(test_predefined_communicators),
        cmocka_unit_test(test_created_communicator_round_trips_until_destroyed),
        cmocka_unit_test(test_request_handles),
        cmocka_unit_test(test_fortran_conversions_of_predefined_handles),
        cmocka_unit_test(test_fortran_conversions_of_created_handles),
    };
    return cmocka_run_group_tests_name("handles", tests, set_up_world, NULL);
}
