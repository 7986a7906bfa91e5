/*
 * channel.h — the shared-memory channel between a compute process and its
 * keeper (DESIGN §2, §4).
 *
 * One memfd per rank, mapped by both processes at possibly different
 * addresses, so everything inside is addressed by offsets, never pointers:
 *
 *   [control page][submission ring][completion ring][payload heap .......]
 *
 * - Submission ring: compute → keeper, single producer, single consumer,
 *   fixed-size records (struct chan_sub). Records are consumed in order;
 *   that order is the order of the application's MPI calls.
 * - Completion ring: keeper → compute, SPSC, fixed-size records
 *   (struct chan_cmp), in whatever order operations finish.
 * - Payload heap: message data and variable-length arguments. Only the
 *   compute side allocates and frees (chan_heap_alloc/free); the keeper reads
 *   and writes bytes at offsets the records name. A block stays allocated
 *   until the compute side has seen the completion of every operation that
 *   names it, so the two sides never race on heap bytes.
 * - Doorbells: each side sleeps on its own doorbell (a futex word) when it has
 *   nothing to do; the other side rings it after publishing work. A waiter
 *   announces itself before sleeping, so a ring enters the kernel only for a
 *   sleeper and a publication is never missed (see chan_doorbell_wait).
 *
 * Invariants: ring positions only grow (uint32 wrap is harmless because
 * capacities are powers of two); a producer never overwrites a record its
 * consumer has not read (chan_*_try_push fails instead); the heap's free
 * lists live in compute memory, not in the shared region, so the keeper
 * cannot corrupt them.
 */
#ifndef MPICKPT_COMMON_CHANNEL_H
#define MPICKPT_COMMON_CHANNEL_H

#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CHAN_MAGIC 0x4d50434bu /* "MPCK" */
#define CHAN_VERSION 2u

/* Payload heap of a rank's channel: virtual size, paid for only as used. */
#define CHAN_DEFAULT_HEAP ((size_t)8 << 30)
#define CHAN_SUB_CAPACITY 1024u   /* submission records (power of two) */
#define CHAN_CMP_CAPACITY 1024u   /* completion records (power of two) */
#define CHAN_SUB_ARGS 14          /* 64-bit arguments per submission */
#define CHAN_CMP_VALS 4           /* 64-bit results per completion */

/* A request from the compute process. `op` and the meaning of `arg` are
 * defined by the plugin/keeper protocol (common/wire.h). */
struct chan_sub {
    uint32_t op;
    uint32_t flags;
    uint64_t req;                  /* compute-side request id, 0 if none */
    int64_t arg[CHAN_SUB_ARGS];
};

/* The completion of a request: an MPI error code, a status, results. */
struct chan_cmp {
    uint64_t req;
    int32_t rc;                    /* MPI error class/code of the operation */
    int32_t source;                /* status.MPI_SOURCE */
    int32_t tag;                   /* status.MPI_TAG */
    int32_t cancelled;             /* status: cancelled */
    int64_t bytes;                 /* status: payload bytes received */
    int64_t val[CHAN_CMP_VALS];
};

/* An event count one side sleeps on. */
struct chan_doorbell {
    _Atomic uint32_t seq;          /* futex word: bumped by every ring */
    _Atomic uint32_t sleeping;     /* the owner is (about to be) asleep */
};

struct chan_ring_pos {
    _Alignas(64) _Atomic uint32_t head;   /* next record to consume */
    _Alignas(64) _Atomic uint32_t tail;   /* next record to produce */
};

/* Checkpoint requests, keeper -> compute, and their outcome (launcher/
 * checkpoint.h, plugin/checkpoint.h). The keeper writes `path`, then
 * `request` (release); the compute process sets `started` when its capture
 * forked the writer, then `status` and `done` (release) once the writer
 * ended. A request is outstanding while request != done; the keeper never
 * makes a new one before that. */
#define CHAN_CKPT_PATH_MAX 1024
/* The keeper's signal to a computing process (plugin/checkpoint.h): glibc
 * keeps the first real-time signals, and apps that use some tend to start
 * from SIGRTMIN. */
#define CHAN_CKPT_SIGNAL (SIGRTMAX - 1)
struct chan_ckpt {
    _Atomic uint32_t ready;        /* the compute's handler is installed */
    _Atomic int32_t status;        /* enum img_writer_state of `done` */
    _Atomic uint64_t request;      /* epoch asked for; 0: none yet */
    _Atomic uint64_t started;      /* epoch whose capture started */
    _Atomic uint64_t done;         /* epoch whose writer ended */
    _Atomic int64_t pause_ns;      /* the compute's pause for `started` */
    int32_t level, workers;        /* zstd level and threads for `request` */
    /* Written by the compute process at its cut, before `started`: the
     * submissions it had pushed (numbered 1..sub_cut), and the logical
     * positions of its stdout and stderr (plugin/output_position.h). */
    uint64_t sub_cut;
    uint64_t out_pos[2];
    /* Set by the keeper of a coordinated job: the compute process may be
     * captured with operations pending (outside signal handlers, once every
     * completion in the ring is consumed); the keeper serves them again
     * after a restore (docs/COORDINATED.md, "The cut of one rank"). */
    int32_t allow_pending;
    char path[CHAN_CKPT_PATH_MAX]; /* the image file for `request` */
};

/* The logical output positions of the compute process (launcher/
 * supervise.h writes them, plugin/output_position.h reads them): bytes of
 * stdout [0] and stderr [1] the job has emitted for this rank across all
 * incarnations, published under a sequence lock (`seq` odd while the
 * supervisor is between reading a pipe and publishing the new position).
 * `ino`/`dev` name the pipes the keeper gave the compute process, so the
 * compute side can tell whether its fd 1 and 2 are still those pipes. */
struct chan_output {
    _Atomic uint32_t seq;
    uint32_t reserved;
    _Atomic uint64_t pos[2];
    uint64_t ino[2], dev[2];
};

/* The control page at offset 0 of the shared region. */
struct chan_ctl {
    uint32_t magic;
    uint32_t version;
    uint64_t size;                 /* bytes of the whole region */
    uint64_t sub_offset, cmp_offset, heap_offset, heap_size;
    _Alignas(64) struct chan_doorbell keeper_bell;   /* keeper sleeps here */
    _Alignas(64) struct chan_doorbell compute_bell;  /* compute sleeps here */
    _Atomic uint32_t compute_waiting;  /* compute is inside an MPI wait */
    _Atomic uint32_t waiting_policy;   /* enum waiting_policy, set by the keeper */
    _Alignas(64) struct chan_ring_pos sub;
    _Alignas(64) struct chan_ring_pos cmp;
    _Alignas(64) struct chan_ckpt ckpt;
    _Alignas(64) struct chan_output output;
};

/* One side's view of a mapped channel. */
struct channel {
    struct chan_ctl *ctl;
    struct chan_sub *sub;
    struct chan_cmp *cmp;
    unsigned char *heap;
    int fd;
};

/* Creates a channel of `heap_size` payload bytes in a new memfd (sparse:
 * pages cost memory only once touched). Returns 0, or -errno. */
int chan_create(struct channel *ch, size_t heap_size);
/* Maps an existing channel from its memfd (the other side's). At `addr`
 * exactly when addr is non-NULL (restore re-maps the channel where the image
 * expects it). Returns 0, or -errno (-EPROTO: not a channel). */
int chan_attach(struct channel *ch, int fd, void *addr);
/* Unmaps and closes. */
void chan_detach(struct channel *ch);
/* Total mapped bytes of a channel (what chan_attach maps). */
size_t chan_mapped_size(const struct channel *ch);

/* Submission ring (compute produces, keeper consumes). try_push returns 0,
 * or -EAGAIN when the ring is full; pop returns 1 with a record, 0 if empty. */
int chan_sub_try_push(struct channel *ch, const struct chan_sub *rec);
int chan_sub_pop(struct channel *ch, struct chan_sub *rec);
/* Completion ring (keeper produces, compute consumes). */
int chan_cmp_try_push(struct channel *ch, const struct chan_cmp *rec);
int chan_cmp_pop(struct channel *ch, struct chan_cmp *rec);
/* Whether a ring has records waiting (a cheap, racy hint for polling). */
int chan_sub_pending(const struct channel *ch);
int chan_cmp_pending(const struct channel *ch);

/* Doorbells. The owner reads `seen = chan_doorbell_arm(bell)`, checks for
 * work, and only when it found none calls chan_doorbell_wait(bell, seen);
 * the wait returns at once if the bell rang since the arm. */
uint32_t chan_doorbell_arm(struct chan_doorbell *bell);
void chan_doorbell_wait(struct chan_doorbell *bell, uint32_t seen);
/* As chan_doorbell_wait, but returns after `ns` nanoseconds at the latest. */
void chan_doorbell_wait_for(struct chan_doorbell *bell, uint32_t seen, long ns);
void chan_doorbell_ring(struct chan_doorbell *bell);

/* Address of heap offset `off` in this side's mapping. */
static inline void *chan_heap_ptr(const struct channel *ch, uint64_t off)
{
    return ch->heap + off;
}

#endif
