/*
 * test_comm_name.c — the job-wide names of coordinated/comm_name.h: every
 * member of a communicator derives the same name from what it knows; two
 * communicators that may exist at the same time get different names
 * (siblings by position, color, type, members, tag or occurrence; the same
 * creation on different parents; different kinds of creation); inputs that
 * do not identify the communicator (a split's key) are not inputs at all;
 * and no name is 0.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "coordinated/comm_name.h"

#define N(a) (sizeof(a) / sizeof *(a))

static void test_fixed_names_differ_and_are_not_zero(void **state)
{
    (void)state;
    assert_true(COMM_NAME_WORLD != 0);
    assert_true(COMM_NAME_SELF != 0);
    assert_true(COMM_NAME_WORLD != COMM_NAME_SELF);
}

/* Two "ranks" computing from the same inputs (in separate arrays, as two
 * processes would) get the same name. */
static void test_same_inputs_same_name(void **state)
{
    (void)state;
    int32_t here[] = { 3, 1, 2 }, there[] = { 3, 1, 2 };
    assert_int_equal(comm_name_dup(COMM_NAME_WORLD, 4), comm_name_dup(COMM_NAME_WORLD, 4));
    assert_int_equal(comm_name_split(COMM_NAME_WORLD, 2, 7),
                     comm_name_split(COMM_NAME_WORLD, 2, 7));
    assert_int_equal(comm_name_split_type(COMM_NAME_WORLD, 0, 1, here, N(here)),
                     comm_name_split_type(COMM_NAME_WORLD, 0, 1, there, N(there)));
    assert_int_equal(comm_name_create(COMM_NAME_WORLD, 5, here, N(here)),
                     comm_name_create(COMM_NAME_WORLD, 5, there, N(there)));
    uint64_t key_here = comm_name_group_key(COMM_NAME_WORLD, 9, here, N(here));
    uint64_t key_there = comm_name_group_key(COMM_NAME_WORLD, 9, there, N(there));
    assert_int_equal(key_here, key_there);
    assert_int_equal(comm_name_create_group(key_here, 1), comm_name_create_group(key_there, 1));
}

/* Successive creations on one parent, and one creation on successive
 * parents (a dup of a dup of … of SELF), all differ: the positions and parents a
 * long-running job walks through. */
static void test_position_and_parent_tell_apart(void **state)
{
    (void)state;
    enum { COUNT = 64 };
    uint64_t names[3 * COUNT];
    size_t n = 0;
    uint64_t parent = COMM_NAME_SELF;   /* the chain starts beside WORLD's */
    for (uint64_t pos = 0; pos < COUNT; pos++) {
        names[n++] = comm_name_dup(COMM_NAME_WORLD, pos);
        names[n++] = comm_name_split(COMM_NAME_WORLD, pos, 0);
        parent = comm_name_dup(parent, 0);
        names[n++] = parent;
    }
    for (size_t i = 0; i < n; i++) {
        assert_true(names[i] != 0);
        assert_true(names[i] != COMM_NAME_WORLD);
        for (size_t j = i + 1; j < n; j++)
            assert_true(names[i] != names[j]);
    }
}

static void test_parent_tells_apart(void **state)
{
    (void)state;
    uint64_t a = comm_name_dup(COMM_NAME_WORLD, 0), b = comm_name_dup(COMM_NAME_WORLD, 1);
    int32_t group[] = { 0, 1 };
    assert_true(comm_name_dup(a, 0) != comm_name_dup(b, 0));
    assert_true(comm_name_split(a, 0, 3) != comm_name_split(b, 0, 3));
    assert_true(comm_name_create(a, 0, group, 2) != comm_name_create(b, 0, group, 2));
    assert_true(comm_name_group_key(a, 0, group, 2) != comm_name_group_key(b, 0, group, 2));
}

/* One split: each color its own communicator; the key is no input, so
 * members passing different keys still agree. */
static void test_split_colors(void **state)
{
    (void)state;
    uint64_t c0 = comm_name_split(COMM_NAME_WORLD, 0, 0);
    uint64_t c1 = comm_name_split(COMM_NAME_WORLD, 0, 1);
    uint64_t cneg = comm_name_split(COMM_NAME_WORLD, 0, -1);
    assert_true(c0 != c1);
    assert_true(c0 != cneg);
    assert_true(c1 != cneg);
    /* A split and a dup at the same position of the same parent differ
     * (they cannot coexist at one position, but a kind must not alias
     * another's later position either). */
    assert_true(comm_name_split(COMM_NAME_WORLD, 0, 0) != comm_name_dup(COMM_NAME_WORLD, 0));
}

/* split_type gives one communicator per node with the same position and
 * type: the member lists tell them apart. */
static void test_split_type_per_node(void **state)
{
    (void)state;
    int32_t node_a[] = { 0, 1 }, node_b[] = { 2, 3 };
    uint64_t a = comm_name_split_type(COMM_NAME_WORLD, 0, 1, node_a, N(node_a));
    uint64_t b = comm_name_split_type(COMM_NAME_WORLD, 0, 1, node_b, N(node_b));
    assert_true(a != b);
    assert_true(a != comm_name_split_type(COMM_NAME_WORLD, 1, 1, node_a, N(node_a)));
    assert_true(a != comm_name_split_type(COMM_NAME_WORLD, 0, 2, node_a, N(node_a)));
}

/* The order of a member list is part of the identity (another rank order
 * is another communicator); a list is not confused with a longer one that
 * starts the same. */
static void test_group_order_and_length_matter(void **state)
{
    (void)state;
    int32_t up[] = { 0, 1, 2 }, down[] = { 2, 1, 0 };
    assert_true(comm_name_create(COMM_NAME_WORLD, 0, up, 3) !=
                comm_name_create(COMM_NAME_WORLD, 0, down, 3));
    assert_true(comm_name_create(COMM_NAME_WORLD, 0, up, 2) !=
                comm_name_create(COMM_NAME_WORLD, 0, up, 3));
    assert_true(comm_name_create(COMM_NAME_WORLD, 0, up, 0) !=
                comm_name_create(COMM_NAME_WORLD, 0, up, 1));
    assert_true(comm_name_group_key(COMM_NAME_WORLD, 0, up, 3) !=
                comm_name_group_key(COMM_NAME_WORLD, 0, down, 3));
}

/* create_group: the tag and the group make the key; repeated calls with one
 * key differ by occurrence; create and create_group do not alias. */
static void test_create_group(void **state)
{
    (void)state;
    int32_t group[] = { 4, 5 }, other[] = { 4, 6 };
    uint64_t key = comm_name_group_key(COMM_NAME_WORLD, 11, group, N(group));
    assert_true(key != comm_name_group_key(COMM_NAME_WORLD, 12, group, N(group)));
    assert_true(key != comm_name_group_key(COMM_NAME_WORLD, 11, other, N(other)));
    uint64_t first = comm_name_create_group(key, 0), second = comm_name_create_group(key, 1);
    assert_true(first != second);
    assert_true(first != comm_name_create_group(comm_name_group_key(COMM_NAME_WORLD, 12, group,
                                                                    N(group)), 0));
    assert_true(first != comm_name_create(COMM_NAME_WORLD, 0, group, N(group)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_names_differ_and_are_not_zero),
        cmocka_unit_test(test_same_inputs_same_name),
        cmocka_unit_test(test_position_and_parent_tell_apart),
        cmocka_unit_test(test_parent_tells_apart),
        cmocka_unit_test(test_split_colors),
        cmocka_unit_test(test_split_type_per_node),
        cmocka_unit_test(test_group_order_and_length_matter),
        cmocka_unit_test(test_create_group),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
