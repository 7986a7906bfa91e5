/*
 * channel.c — creation, mapping, rings and doorbells of the keeper ↔ compute
 * channel. See channel.h for the layout and the invariants.
 *
 * Memory ordering: a producer writes a record, then publishes it with a
 * release store of `tail`; the consumer reads `tail` with acquire before
 * reading the record, and releases `head` after copying it out, which the
 * producer acquires before reusing the slot. Doorbells pair a sequentially
 * consistent store of `seq` (ringer) with one of `sleeping` (waiter): of the
 * two, at least one sees the other's store, so a waiter that found no work
 * either sees the new `seq` or is woken by the ringer. The waiter sets
 * `sleeping` before every wait and only the waiter clears it, after the
 * wait: a ringer that took the flag could be a late one whose `seq` the
 * waiter had already seen, and its wake-up, arriving before the waiter
 * slept, would leave the next ringer thinking nobody sleeps (a lost
 * wake-up that hung test_channel once in a few hundred runs).
 */
#include "common/channel.h"

#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define CHAN_PAGE 4096u

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

static void layout(struct chan_ctl *ctl, size_t heap_size)
{
    size_t sub_bytes = round_up(CHAN_SUB_CAPACITY * sizeof(struct chan_sub), CHAN_PAGE);
    size_t cmp_bytes = round_up(CHAN_CMP_CAPACITY * sizeof(struct chan_cmp), CHAN_PAGE);
    ctl->sub_offset = round_up(sizeof(struct chan_ctl), CHAN_PAGE);
    ctl->cmp_offset = ctl->sub_offset + sub_bytes;
    ctl->heap_offset = ctl->cmp_offset + cmp_bytes;
    ctl->heap_size = round_up(heap_size, CHAN_PAGE);
    ctl->size = ctl->heap_offset + ctl->heap_size;
}

static int map_region(struct channel *ch, int fd, size_t size, void *addr)
{
    int flags = MAP_SHARED | MAP_NORESERVE | (addr ? MAP_FIXED_NOREPLACE : 0);
    void *base = mmap(addr, size, PROT_READ | PROT_WRITE, flags, fd, 0);
    if (base == MAP_FAILED)
        return -errno;
    if (addr && base != addr) { /* kernels without MAP_FIXED_NOREPLACE */
        munmap(base, size);
        return -EEXIST;
    }
    ch->ctl = base;
    ch->sub = (struct chan_sub *)((unsigned char *)base + ch->ctl->sub_offset);
    ch->cmp = (struct chan_cmp *)((unsigned char *)base + ch->ctl->cmp_offset);
    ch->heap = (unsigned char *)base + ch->ctl->heap_offset;
    ch->fd = fd;
    return 0;
}

int chan_create(struct channel *ch, size_t heap_size)
{
    struct chan_ctl ctl = {0};
    layout(&ctl, heap_size);
    int fd = memfd_create("mpickpt-channel", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (ftruncate(fd, (off_t)ctl.size) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    /* The control page must be laid out before map_region reads offsets. */
    if (pwrite(fd, &ctl, sizeof ctl, 0) != (ssize_t)sizeof ctl) {
        int err = errno ? -errno : -EIO;
        close(fd);
        return err;
    }
    int err = map_region(ch, fd, ctl.size, NULL);
    if (err < 0) {
        close(fd);
        return err;
    }
    ch->ctl->magic = CHAN_MAGIC;
    ch->ctl->version = CHAN_VERSION;
    return 0;
}

int chan_attach(struct channel *ch, int fd, void *addr)
{
    struct chan_ctl ctl;
    if (pread(fd, &ctl, sizeof ctl, 0) != (ssize_t)sizeof ctl)
        return -EPROTO;
    if (ctl.magic != CHAN_MAGIC || ctl.version != CHAN_VERSION)
        return -EPROTO;
    return map_region(ch, fd, ctl.size, addr);
}

size_t chan_mapped_size(const struct channel *ch)
{
    return ch->ctl->size;
}

void chan_detach(struct channel *ch)
{
    if (ch->ctl)
        munmap(ch->ctl, ch->ctl->size);
    if (ch->fd >= 0)
        close(ch->fd);
    memset(ch, 0, sizeof *ch);
    ch->fd = -1;
}

/* --- rings ----------------------------------------------------------- */

static int ring_try_push(struct chan_ring_pos *pos, uint32_t capacity,
                         void *slots, size_t rec_size, const void *rec)
{
    uint32_t tail = atomic_load_explicit(&pos->tail, memory_order_relaxed);
    uint32_t head = atomic_load_explicit(&pos->head, memory_order_acquire);
    if (tail - head >= capacity)
        return -EAGAIN;
    memcpy((unsigned char *)slots + (size_t)(tail & (capacity - 1)) * rec_size, rec, rec_size);
    atomic_store_explicit(&pos->tail, tail + 1, memory_order_release);
    return 0;
}

static int ring_pop(struct chan_ring_pos *pos, uint32_t capacity,
                    const void *slots, size_t rec_size, void *rec)
{
    uint32_t head = atomic_load_explicit(&pos->head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&pos->tail, memory_order_acquire);
    if (head == tail)
        return 0;
    memcpy(rec, (const unsigned char *)slots + (size_t)(head & (capacity - 1)) * rec_size, rec_size);
    atomic_store_explicit(&pos->head, head + 1, memory_order_release);
    return 1;
}

static int ring_pending(const struct chan_ring_pos *pos)
{
    return atomic_load_explicit(&pos->head, memory_order_relaxed)
        != atomic_load_explicit(&pos->tail, memory_order_acquire);
}

int chan_sub_try_push(struct channel *ch, const struct chan_sub *rec)
{
    return ring_try_push(&ch->ctl->sub, CHAN_SUB_CAPACITY, ch->sub, sizeof *rec, rec);
}

int chan_sub_pop(struct channel *ch, struct chan_sub *rec)
{
    return ring_pop(&ch->ctl->sub, CHAN_SUB_CAPACITY, ch->sub, sizeof *rec, rec);
}

int chan_cmp_try_push(struct channel *ch, const struct chan_cmp *rec)
{
    return ring_try_push(&ch->ctl->cmp, CHAN_CMP_CAPACITY, ch->cmp, sizeof *rec, rec);
}

int chan_cmp_pop(struct channel *ch, struct chan_cmp *rec)
{
    return ring_pop(&ch->ctl->cmp, CHAN_CMP_CAPACITY, ch->cmp, sizeof *rec, rec);
}

int chan_sub_pending(const struct channel *ch)
{
    return ring_pending(&ch->ctl->sub);
}

int chan_cmp_pending(const struct channel *ch)
{
    return ring_pending(&ch->ctl->cmp);
}

/* --- doorbells -------------------------------------------------------- */

static long futex(_Atomic uint32_t *word, int op, uint32_t val, const struct timespec *timeout)
{
    /* The shared (not PRIVATE) futex ops: the two sides are processes. */
    return syscall(SYS_futex, (uint32_t *)word, op, val, timeout, NULL, 0);
}

uint32_t chan_doorbell_arm(struct chan_doorbell *bell)
{
    return atomic_load_explicit(&bell->seq, memory_order_acquire);
}

static void wait_until_rung(struct chan_doorbell *bell, uint32_t seen, const struct timespec *timeout)
{
    atomic_store(&bell->sleeping, 1);
    if (atomic_load(&bell->seq) == seen)
        futex(&bell->seq, FUTEX_WAIT, seen, timeout); /* EAGAIN/EINTR/ETIMEDOUT: caller re-checks */
    atomic_store_explicit(&bell->sleeping, 0, memory_order_relaxed);
}

void chan_doorbell_wait(struct chan_doorbell *bell, uint32_t seen)
{
    wait_until_rung(bell, seen, NULL);
}

void chan_doorbell_wait_for(struct chan_doorbell *bell, uint32_t seen, long ns)
{
    struct timespec timeout = { ns / 1000000000, ns % 1000000000 };
    wait_until_rung(bell, seen, &timeout);
}

void chan_doorbell_ring(struct chan_doorbell *bell)
{
    atomic_fetch_add(&bell->seq, 1);
    /* Rings that come while the waiter is waking up each pay a system
     * call; that window is short, and never missing a sleeper is what
     * matters. */
    if (atomic_load(&bell->sleeping))
        futex(&bell->seq, FUTEX_WAKE, 1, NULL);
}
