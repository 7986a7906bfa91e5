/*
 * group_barrier.c — barriers of groups without a communicator, by notes
 * (group_barrier.h).
 *
 * State: the notes arrived and not yet counted (source, key), and the
 * barriers this keeper waits in, each with the members it still needs a
 * note from; a poller takes notes with MPI_Iprobe/MPI_Recv while any
 * barrier waits (no receive stays posted, so nothing is left pending when
 * the keeper finalizes). Tables are small: a few members' notes at a time.
 */
#include "launcher/group_barrier.h"

#include <stdlib.h>
#include <string.h>

#define NOTE_TAG 1

struct note {
    int source;
    uint64_t key;
};

struct waiting_barrier {
    uint64_t key;
    int32_t *others;          /* world ranks still to hear from */
    uint32_t nothers;
    group_barrier_fn done;
    void *ctx;
};

static MPI_Comm notes_comm = MPI_COMM_NULL;
static struct note *notes;
static size_t nnotes, cap_notes;
static struct waiting_barrier *barriers;
static size_t nbarriers, cap_barriers;
static int polling;

static _Noreturn void fail(struct keeper *k, const char *what)
{
    keeper_say(k, "group barrier: %s", what);
    keeper_abort(k, MPI_COMM_WORLD, 1);
}

/* Room for one more element in *arr (n used of *cap, each `size` bytes). */
static void make_room(struct keeper *k, void **arr, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return;
    size_t bigger = *cap ? 2 * *cap : 8;
    void *grown = realloc(*arr, bigger * size);
    if (!grown)
        fail(k, "out of memory");
    *arr = grown;
    *cap = bigger;
}

void group_barrier_reset(MPI_Comm comm)
{
    notes_comm = comm;
    nnotes = 0;
    for (size_t i = 0; i < nbarriers; i++)
        free(barriers[i].others);
    nbarriers = 0;
    polling = 0; /* the keeper forgot its pollers too */
}

static void take_notes(struct keeper *k)
{
    for (;;) {
        int flag = 0;
        MPI_Status st;
        PMPI_Iprobe(MPI_ANY_SOURCE, NOTE_TAG, notes_comm, &flag, &st);
        if (!flag)
            return;
        uint64_t key;
        PMPI_Recv(&key, 1, MPI_UINT64_T, st.MPI_SOURCE, NOTE_TAG, notes_comm, MPI_STATUS_IGNORE);
        void *arr = notes;
        make_room(k, &arr, nnotes, &cap_notes, sizeof *notes);
        notes = arr;
        notes[nnotes++] = (struct note){ st.MPI_SOURCE, key };
    }
}

static size_t find_note(int source, uint64_t key)
{
    size_t i = 0;
    while (i < nnotes && !(notes[i].source == source && notes[i].key == key))
        i++;
    return i;
}

/* Counts the notes barrier `b` needs, if all have come. */
static int complete(const struct waiting_barrier *b)
{
    for (uint32_t m = 0; m < b->nothers; m++)
        if (find_note(b->others[m], b->key) == nnotes)
            return 0;
    for (uint32_t m = 0; m < b->nothers; m++) {
        size_t i = find_note(b->others[m], b->key);
        memmove(&notes[i], &notes[i + 1], (nnotes - i - 1) * sizeof *notes);
        nnotes--;
    }
    return 1;
}

size_t group_barrier_poll(struct keeper *k)
{
    if (notes_comm == MPI_COMM_NULL)
        return 0;
    take_notes(k);
    for (size_t i = 0; i < nbarriers;) {
        if (!complete(&barriers[i])) {
            i++;
            continue;
        }
        struct waiting_barrier b = barriers[i];
        memmove(&barriers[i], &barriers[i + 1], (nbarriers - i - 1) * sizeof *barriers);
        nbarriers--;
        free(b.others);
        b.done(k, b.ctx);
    }
    return nbarriers;
}

static int poll_barriers(struct keeper *k, void *ctx)
{
    (void)ctx;
    if (group_barrier_poll(k) > 0)
        return 0;
    polling = 0;
    return 1;
}

static void sent(struct keeper *k, void *ctx, const MPI_Status *status)
{
    (void)k;
    (void)status;
    free(ctx);
}

void group_barrier_enter(struct keeper *k, uint64_t key, const int32_t *group, uint32_t n,
                         group_barrier_fn done, void *ctx)
{
    int self = keeper_world_rank(k);
    void *arr = barriers;
    make_room(k, &arr, nbarriers, &cap_barriers, sizeof *barriers);
    barriers = arr;
    struct waiting_barrier *b = &barriers[nbarriers];
    *b = (struct waiting_barrier){ .key = key, .others = malloc((n ? n : 1) * sizeof *group),
                                   .done = done, .ctx = ctx };
    if (!b->others)
        fail(k, "out of memory");
    for (uint32_t i = 0; i < n; i++) {
        if (group[i] == self)
            continue;
        b->others[b->nothers++] = group[i];
        uint64_t *note = malloc(sizeof *note);
        MPI_Request req;
        if (!note)
            fail(k, "out of memory");
        *note = key;
        if (PMPI_Isend(note, 1, MPI_UINT64_T, group[i], NOTE_TAG, notes_comm, &req) != MPI_SUCCESS)
            fail(k, "cannot send a note");
        keeper_track(k, req, 0, sent, note);
    }
    nbarriers++;
    if (!polling) {
        polling = 1;
        keeper_poll_until(k, poll_barriers, NULL);
    }
}
