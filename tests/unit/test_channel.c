/*
 * test_channel.c — unit tests of the keeper ↔ compute channel
 * (common/channel.h) and of its payload-heap allocator (common/offset_heap.h).
 *
 * The cross-process tests fork a peer that plays the keeper: a lost wake-up
 * in the doorbell protocol shows up as a hang, which the test runner's time
 * limit turns into a failure.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/channel.h"
#include "common/offset_heap.h"

#define TEST_HEAP (64u << 20)

static void test_create_lays_out_regions_inside_the_mapping(void **state)
{
    (void)state;
    struct channel ch;
    assert_int_equal(chan_create(&ch, TEST_HEAP), 0);
    assert_int_equal(ch.ctl->magic, CHAN_MAGIC);
    assert_true(ch.ctl->heap_size >= TEST_HEAP);
    assert_true((unsigned char *)ch.sub > (unsigned char *)ch.ctl);
    assert_true((unsigned char *)(ch.cmp) >= (unsigned char *)(ch.sub + CHAN_SUB_CAPACITY));
    assert_true(ch.heap >= (unsigned char *)(ch.cmp + CHAN_CMP_CAPACITY));
    assert_int_equal(chan_mapped_size(&ch), ch.ctl->heap_offset + ch.ctl->heap_size);
    chan_detach(&ch);
}

static void test_attach_sees_the_same_bytes(void **state)
{
    (void)state;
    struct channel a, b;
    assert_int_equal(chan_create(&a, TEST_HEAP), 0);
    assert_int_equal(chan_attach(&b, dup(a.fd), NULL), 0);
    memcpy(chan_heap_ptr(&a, 4096), "hello", 6);
    assert_string_equal((char *)chan_heap_ptr(&b, 4096), "hello");
    chan_detach(&b);
    chan_detach(&a);
}

static void test_attach_at_a_fixed_address(void **state)
{
    (void)state;
    struct channel a, b;
    assert_int_equal(chan_create(&a, TEST_HEAP), 0);
    size_t size = chan_mapped_size(&a);
    /* Find a free range, give it back, and ask for exactly that address. */
    void *hole = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(hole != MAP_FAILED);
    munmap(hole, size);
    assert_int_equal(chan_attach(&b, dup(a.fd), hole), 0);
    assert_ptr_equal(b.ctl, hole);
    /* A second mapping over an occupied range is refused, not clobbered. */
    struct channel c;
    assert_int_equal(chan_attach(&c, dup(a.fd), hole), -EEXIST);
    chan_detach(&b);
    chan_detach(&a);
}

static void test_attach_refuses_a_file_that_is_not_a_channel(void **state)
{
    (void)state;
    int fd = memfd_create("not-a-channel", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 1 << 20), 0);
    struct channel ch;
    assert_int_equal(chan_attach(&ch, fd, NULL), -EPROTO);
    close(fd);
}

static void test_rings_are_fifo_and_refuse_when_full(void **state)
{
    (void)state;
    struct channel ch;
    assert_int_equal(chan_create(&ch, TEST_HEAP), 0);
    struct chan_sub rec = {0}, out;
    assert_int_equal(chan_sub_pop(&ch, &out), 0);
    assert_false(chan_sub_pending(&ch));
    for (uint32_t i = 0; i < CHAN_SUB_CAPACITY; i++) {
        rec.req = i;
        assert_int_equal(chan_sub_try_push(&ch, &rec), 0);
    }
    assert_int_equal(chan_sub_try_push(&ch, &rec), -EAGAIN);
    assert_true(chan_sub_pending(&ch));
    for (uint32_t i = 0; i < CHAN_SUB_CAPACITY; i++) {
        assert_int_equal(chan_sub_pop(&ch, &out), 1);
        assert_int_equal(out.req, i);
    }
    assert_int_equal(chan_sub_pop(&ch, &out), 0);
    chan_detach(&ch);
}

static void test_rings_wrap_around_many_times(void **state)
{
    (void)state;
    struct channel ch;
    assert_int_equal(chan_create(&ch, TEST_HEAP), 0);
    struct chan_cmp rec = {0}, out;
    uint64_t next_in = 0, next_out = 0;
    for (int round = 0; round < 50; round++) {
        for (int i = 0; i < 700; i++) {
            rec.req = next_in++;
            assert_int_equal(chan_cmp_try_push(&ch, &rec), 0);
        }
        while (chan_cmp_pop(&ch, &out)) {
            assert_int_equal(out.req, next_out);
            next_out++;
        }
    }
    assert_int_equal(next_in, next_out);
    chan_detach(&ch);
}

/* The peer process: echoes every submission back as a completion whose
 * value is the submission's argument plus one, until it receives op 0. */
static void echo_peer(int fd)
{
    struct channel ch;
    if (chan_attach(&ch, fd, NULL) != 0)
        _exit(3);
    for (;;) {
        uint32_t seen = chan_doorbell_arm(&ch.ctl->keeper_bell);
        struct chan_sub sub;
        if (!chan_sub_pop(&ch, &sub)) {
            chan_doorbell_wait(&ch.ctl->keeper_bell, seen);
            continue;
        }
        if (sub.op == 0)
            _exit(0);
        struct chan_cmp cmp = { .req = sub.req, .val = { sub.arg[0] + 1 } };
        while (chan_cmp_try_push(&ch, &cmp) != 0)
            ;
        chan_doorbell_ring(&ch.ctl->compute_bell);
    }
}

static void wait_completion(struct channel *ch, struct chan_cmp *out)
{
    for (;;) {
        uint32_t seen = chan_doorbell_arm(&ch->ctl->compute_bell);
        if (chan_cmp_pop(ch, out))
            return;
        chan_doorbell_wait(&ch->ctl->compute_bell, seen);
    }
}

static void test_cross_process_ping_pong_never_loses_a_wakeup(void **state)
{
    (void)state;
    struct channel ch;
    assert_int_equal(chan_create(&ch, TEST_HEAP), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        echo_peer(dup(ch.fd));
    for (int64_t i = 1; i <= 20000; i++) {
        struct chan_sub sub = { .op = 1, .req = (uint64_t)i, .arg = { i * 3 } };
        assert_int_equal(chan_sub_try_push(&ch, &sub), 0);
        chan_doorbell_ring(&ch.ctl->keeper_bell);
        struct chan_cmp cmp;
        wait_completion(&ch, &cmp);
        assert_int_equal(cmp.req, (uint64_t)i);
        assert_int_equal(cmp.val[0], i * 3 + 1);
    }
    struct chan_sub stop = { .op = 0 };
    assert_int_equal(chan_sub_try_push(&ch, &stop), 0);
    chan_doorbell_ring(&ch.ctl->keeper_bell);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    chan_detach(&ch);
}

static void test_cross_process_batches_keep_order(void **state)
{
    (void)state;
    struct channel ch;
    assert_int_equal(chan_create(&ch, TEST_HEAP), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        echo_peer(dup(ch.fd));
    int64_t sent = 0, received = 0;
    while (received < 50000) {
        /* Push as many as fit, then drain what came back: both rings fill
         * and empty in turn, in every interleaving the scheduler picks. */
        struct chan_sub sub = { .op = 1 };
        while (sent < 50000 && sent - received < (int64_t)CHAN_CMP_CAPACITY) {
            sub.req = (uint64_t)sent;
            sub.arg[0] = sent;
            if (chan_sub_try_push(&ch, &sub) != 0)
                break;
            sent++;
        }
        chan_doorbell_ring(&ch.ctl->keeper_bell);
        struct chan_cmp cmp;
        wait_completion(&ch, &cmp);
        do {
            assert_int_equal(cmp.req, (uint64_t)received);
            assert_int_equal(cmp.val[0], received + 1);
            received++;
        } while (chan_cmp_pop(&ch, &cmp));
    }
    struct chan_sub stop = { .op = 0 };
    assert_int_equal(chan_sub_try_push(&ch, &stop), 0);
    chan_doorbell_ring(&ch.ctl->keeper_bell);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    chan_detach(&ch);
}

/* --- offset_heap ------------------------------------------------------ */

static void test_heap_blocks_do_not_overlap_and_are_aligned(void **state)
{
    (void)state;
    struct offset_heap h;
    offset_heap_init(&h, 1u << 30);
    uint64_t sizes[] = { 0, 1, 63, 64, 65, 1000, 4096, 5000, 1u << 20, 3u << 20, 7 };
    uint64_t offs[11];
    for (int i = 0; i < 11; i++) {
        offs[i] = offset_heap_alloc(&h, sizes[i]);
        assert_true(offs[i] != OFFSET_HEAP_NONE);
        uint64_t block = offset_heap_block_size(sizes[i]);
        assert_true(block >= sizes[i] && block >= OFFSET_HEAP_MIN_BLOCK);
        assert_int_equal(offs[i] % (block < 4096 ? block : 4096), 0);
    }
    for (int i = 0; i < 11; i++)
        for (int j = 0; j < 11; j++)
            if (i != j) {
                uint64_t ei = offs[i] + offset_heap_block_size(sizes[i]);
                assert_true(ei <= offs[j] || offs[j] + offset_heap_block_size(sizes[j]) <= offs[i]);
            }
    offset_heap_destroy(&h);
}

static void test_heap_reuses_freed_blocks_of_the_same_class(void **state)
{
    (void)state;
    struct offset_heap h;
    offset_heap_init(&h, 1u << 20);
    uint64_t a = offset_heap_alloc(&h, 100);
    uint64_t b = offset_heap_alloc(&h, 100);
    assert_int_equal(h.in_use, 2 * offset_heap_block_size(100));
    offset_heap_free(&h, a, 100);
    assert_int_equal(offset_heap_alloc(&h, 120), a); /* same 128-byte class */
    offset_heap_free(&h, b, 100);
    offset_heap_free(&h, a, 120);
    assert_int_equal(h.in_use, 0);
    offset_heap_destroy(&h);
}

static void test_heap_reports_exhaustion(void **state)
{
    (void)state;
    struct offset_heap h;
    offset_heap_init(&h, 1u << 16);
    int n = 0;
    while (offset_heap_alloc(&h, 4096) != OFFSET_HEAP_NONE)
        n++;
    assert_int_equal(n, 16);
    assert_int_equal(offset_heap_alloc(&h, 1u << 17), OFFSET_HEAP_NONE);
    assert_int_equal(offset_heap_alloc(&h, UINT64_MAX), OFFSET_HEAP_NONE);
    offset_heap_destroy(&h);
}

static uint64_t released_bytes;
static void count_release(void *ctx, uint64_t offset, uint64_t bytes)
{
    (void)ctx;
    (void)offset;
    released_bytes += bytes;
}

static void test_heap_releases_large_blocks_only(void **state)
{
    (void)state;
    struct offset_heap h;
    offset_heap_init(&h, 1u << 30);
    h.release = count_release;
    released_bytes = 0;
    uint64_t small = offset_heap_alloc(&h, 1000);
    uint64_t medium = offset_heap_alloc(&h, 5u << 20);
    uint64_t large = offset_heap_alloc(&h, 100u << 20);
    offset_heap_free(&h, small, 1000);
    offset_heap_free(&h, medium, 5u << 20);
    assert_int_equal(released_bytes, 0);
    offset_heap_free(&h, large, 100u << 20);
    assert_int_equal(released_bytes, 128u << 20);
    offset_heap_destroy(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_lays_out_regions_inside_the_mapping),
        cmocka_unit_test(test_attach_sees_the_same_bytes),
        cmocka_unit_test(test_attach_at_a_fixed_address),
        cmocka_unit_test(test_attach_refuses_a_file_that_is_not_a_channel),
        cmocka_unit_test(test_rings_are_fifo_and_refuse_when_full),
        cmocka_unit_test(test_rings_wrap_around_many_times),
        cmocka_unit_test(test_cross_process_ping_pong_never_loses_a_wakeup),
        cmocka_unit_test(test_cross_process_batches_keep_order),
        cmocka_unit_test(test_heap_blocks_do_not_overlap_and_are_aligned),
        cmocka_unit_test(test_heap_reuses_freed_blocks_of_the_same_class),
        cmocka_unit_test(test_heap_reports_exhaustion),
        cmocka_unit_test(test_heap_releases_large_blocks_only),
    };
    return cmocka_run_group_tests_name("channel", tests, NULL, NULL);
}
