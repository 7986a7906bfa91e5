/*
 * completion.c — completing requests.
 *
 * Exercises MPI_Wait, MPI_Waitall, MPI_Waitany, MPI_Waitsome, MPI_Test,
 * MPI_Testall, MPI_Testany and MPI_Testsome: the statuses they fill, their
 * MPI_STATUS_IGNORE/MPI_STATUSES_IGNORE forms, MPI_REQUEST_NULL entries
 * (skipped, given empty statuses; all-null arrays give index or outcount
 * MPI_UNDEFINED), completed requests becoming MPI_REQUEST_NULL, and the
 * "not yet" answers of the test functions.
 *
 * Invariants:
 * - Which request of an array completes first depends on timing, so the
 *   any/some functions are called in a loop until everything is done, and
 *   the test checks that every live index was reported exactly once, with
 *   its own status, and no null index ever.
 * - "Not complete" is only asserted where causality guarantees it: every
 *   sender sends after an MPI_Barrier that the asserting rank enters only
 *   after its check.
 * - MPI_ERROR: single-completion calls must leave it alone; the
 *   multiple-completion ones may only set it to MPI_SUCCESS when nothing
 *   failed (MPI-3.1 §3.2.5 says they leave it alone; Open MPI 4.1 writes
 *   MPI_SUCCESS).
 * - Each round runs on its own duplicate of MPI_COMM_WORLD.
 * - Nothing depends on timing; stdout carries only check.h's verdict.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/mpi/check.h"

#define ERROR_SENTINEL 0x5eed
#define MAXLEN 3

static int rank, size, left, right;

static int payload(int src, int tag, size_t i)
{
    uint32_t v =
        (uint32_t)src * 1000003u + (uint32_t)tag * 7919u + (uint32_t)i;
    return (int)(v & 0x7fffffffu);
}

/* One all-to-all round: every rank sends every rank (itself included) a
 * message of length msg_len(src) with tag msg_tag(src). The receive
 * requests sit at the odd indices 2 * src + 1 of `recv`, between
 * MPI_REQUEST_NULL entries at the even ones. */
struct round {
    MPI_Comm comm;
    int nrecv; /* 2 * size + 1 */
    MPI_Request *recv;
    MPI_Status *status; /* one per entry of recv */
    int *done; /* how often each index of recv was reported */
    int (*rbuf)[MAXLEN]; /* one slot per source */
    int sbuf[MAXLEN];
    MPI_Request *send; /* one per destination */
};

static int msg_len(int src)
{
    return 1 + src % MAXLEN;
}

static int msg_tag(int src)
{
    return 100 + src;
}

static int recv_index(int src)
{
    return 2 * src + 1;
}

static void reset_status(MPI_Status *st)
{
    st->MPI_SOURCE = -99;
    st->MPI_TAG = -99;
    st->MPI_ERROR = ERROR_SENTINEL;
}

/* Opens a round: posts every receive. Sends wait for round_send(), so that
 * callers can check that nothing is complete yet. */
static void round_open(struct round *r)
{
    r->nrecv = 2 * size + 1;
    r->recv = malloc(sizeof *r->recv * (size_t)r->nrecv);
    r->status = malloc(sizeof *r->status * (size_t)r->nrecv);
    r->done = calloc((size_t)r->nrecv, sizeof *r->done);
    r->rbuf = malloc(sizeof *r->rbuf * (size_t)size);
    r->send = malloc(sizeof *r->send * (size_t)size);
    if (!(r->recv && r->status && r->done && r->rbuf && r->send)) {
        CHECK(0, "malloc failed");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &r->comm));
    for (int i = 0; i < r->nrecv; i++) {
        r->recv[i] = MPI_REQUEST_NULL;
        reset_status(&r->status[i]);
    }
    for (int src = 0; src < size; src++) {
        memset(r->rbuf[src], 0xff, sizeof r->rbuf[src]);
        CHECK_MPI(MPI_Irecv(r->rbuf[src], MAXLEN, MPI_INT, src, msg_tag(src),
                            r->comm, &r->recv[recv_index(src)]));
    }
}

static void round_send(struct round *r)
{
    for (int i = 0; i < msg_len(rank); i++)
        r->sbuf[i] = payload(rank, msg_tag(rank), (size_t)i);
    for (int dst = 0; dst < size; dst++)
        CHECK_MPI(MPI_Isend(r->sbuf, msg_len(rank), MPI_INT, dst,
                            msg_tag(rank), r->comm, &r->send[dst]));
}

/* Records that index i was reported complete by `what`, and checks the
 * request was nulled and, unless st is NULL, the status it came with. */
static void round_completed(struct round *r, int i, const MPI_Status *st,
                            int multi, const char *what)
{
    CHECK(i >= 0 && i < r->nrecv, "%s reported index %d", what, i);
    if (i < 0 || i >= r->nrecv)
        return;
    r->done[i]++;
    CHECK(i % 2 == 1, "%s reported the MPI_REQUEST_NULL entry %d", what, i);
    CHECK(r->recv[i] == MPI_REQUEST_NULL, "%s left request %d allocated", what,
          i);
    if (i % 2 == 1 && st != NULL) {
        int src = i / 2, count = -1;
        CHECK(st->MPI_SOURCE == src && st->MPI_TAG == msg_tag(src),
              "%s: index %d has envelope %d/%d, expected %d/%d", what, i,
              st->MPI_SOURCE, st->MPI_TAG, src, msg_tag(src));
        CHECK_MPI(MPI_Get_count(st, MPI_INT, &count));
        CHECK(count == msg_len(src), "%s: index %d has %d ints, expected %d",
              what, i, count, msg_len(src));
        if (multi)
            CHECK(st->MPI_ERROR == MPI_SUCCESS ||
                      st->MPI_ERROR == ERROR_SENTINEL,
                  "%s: index %d has MPI_ERROR %d", what, i, st->MPI_ERROR);
        else
            CHECK(st->MPI_ERROR == ERROR_SENTINEL,
                  "%s: MPI_ERROR overwritten with %d", what, st->MPI_ERROR);
    }
}

/* Closes a round: every receive reported exactly once, with its payload;
 * the sends complete. */
static void round_close(struct round *r, const char *what)
{
    for (int i = 0; i < r->nrecv; i++) {
        CHECK(r->done[i] == i % 2, "%s: index %d reported %d times", what, i,
              r->done[i]);
        CHECK(r->recv[i] == MPI_REQUEST_NULL, "%s: request %d still allocated",
              what, i);
    }
    for (int src = 0; src < size; src++)
        for (int k = 0; k < MAXLEN; k++) {
            int expected =
                k < msg_len(src) ? payload(src, msg_tag(src), (size_t)k) : -1;
            CHECK(r->rbuf[src][k] == expected,
                  "%s: from %d, int %d is %d, expected %d", what, src, k,
                  r->rbuf[src][k], expected);
        }
    CHECK_MPI(MPI_Waitall(size, r->send, MPI_STATUSES_IGNORE));
    CHECK_MPI(MPI_Comm_free(&r->comm));
    free(r->recv);
    free(r->status);
    free(r->done);
    free(r->rbuf);
    free(r->send);
}

/* The status of a null request: source MPI_ANY_SOURCE, tag MPI_ANY_TAG,
 * count 0. */
static void check_empty_status(const MPI_Status *st, const char *what)
{
    int count = -1;
    CHECK(st->MPI_SOURCE == MPI_ANY_SOURCE && st->MPI_TAG == MPI_ANY_TAG,
          "%s: envelope %d/%d in an empty status", what, st->MPI_SOURCE,
          st->MPI_TAG);
    CHECK_MPI(MPI_Get_count(st, MPI_INT, &count));
    CHECK(count == 0, "%s: count %d in an empty status", what, count);
}

/* MPI_Wait and MPI_Test on single requests, with and without a status, and
 * on MPI_REQUEST_NULL (immediate, empty status). */
static void test_wait_and_test_single(void)
{
    struct round r;
    MPI_Request null = MPI_REQUEST_NULL;
    MPI_Status st;
    int flag = 0;

    round_open(&r);
    round_send(&r);
    for (int src = 0; src < size; src++) {
        int i = recv_index(src);
        if (src % 2 == 0) {
            CHECK_MPI(MPI_Wait(&r.recv[i], &r.status[i]));
            round_completed(&r, i, &r.status[i], 0, "MPI_Wait");
        } else {
            for (flag = 0; !flag;)
                CHECK_MPI(MPI_Test(&r.recv[i], &flag, MPI_STATUS_IGNORE));
            round_completed(&r, i, NULL, 0, "MPI_Test");
        }
    }
    round_close(&r, "MPI_Wait/MPI_Test");

    reset_status(&st);
    CHECK_MPI(MPI_Wait(&null, &st));
    check_empty_status(&st, "MPI_Wait(MPI_REQUEST_NULL)");
    reset_status(&st);
    flag = 0;
    CHECK_MPI(MPI_Test(&null, &flag, &st));
    CHECK(flag, "MPI_Test(MPI_REQUEST_NULL) not complete");
    check_empty_status(&st, "MPI_Test(MPI_REQUEST_NULL)");
}

/* MPI_Waitall over live and null entries: every status is filled, null
 * entries get empty ones. Then the MPI_STATUSES_IGNORE form. */
static void test_waitall_with_null_entries(void)
{
    for (int ignore = 0; ignore < 2; ignore++) {
        struct round r;
        round_open(&r);
        round_send(&r);
        CHECK_MPI(MPI_Waitall(r.nrecv, r.recv,
                              ignore ? MPI_STATUSES_IGNORE : r.status));
        for (int i = 0; i < r.nrecv; i++) {
            if (i % 2 == 1)
                round_completed(&r, i, ignore ? NULL : &r.status[i], 1,
                                "MPI_Waitall");
            else if (!ignore)
                check_empty_status(&r.status[i], "MPI_Waitall null entry");
        }
        round_close(&r, "MPI_Waitall");
    }
}

/* MPI_Testall answers "not yet" while one receive cannot have matched (the
 * left neighbour sends after the barrier), and then frees nothing even
 * though other requests in the array may be complete. */
static void test_testall_false_until_all_complete(void)
{
    MPI_Comm comm;
    int self_val = payload(rank, 1, 0), self_in = -1,
        late_val = payload(rank, 2, 0);
    int late_in = -1, flag = -1;
    MPI_Request req[3];
    MPI_Status st[3];

    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &comm));
    CHECK_MPI(MPI_Irecv(&late_in, 1, MPI_INT, left, 2, comm, &req[0]));
    CHECK_MPI(MPI_Irecv(&self_in, 1, MPI_INT, rank, 1, comm, &req[1]));
    CHECK_MPI(MPI_Isend(&self_val, 1, MPI_INT, rank, 1, comm, &req[2]));

    CHECK_MPI(MPI_Testall(3, req, &flag, st));
    CHECK(!flag, "MPI_Testall complete before the last message was sent");
    for (int i = 0; i < 3; i++)
        CHECK(req[i] != MPI_REQUEST_NULL,
              "unsuccessful MPI_Testall freed request %d", i);

    CHECK_MPI(MPI_Barrier(comm));
    CHECK_MPI(MPI_Send(&late_val, 1, MPI_INT, right, 2, comm));

    for (flag = 0; !flag;)
        CHECK_MPI(MPI_Testall(3, req, &flag, st));
    for (int i = 0; i < 3; i++)
        CHECK(req[i] == MPI_REQUEST_NULL,
              "MPI_Testall left request %d allocated", i);
    CHECK(st[0].MPI_SOURCE == left && st[0].MPI_TAG == 2 &&
              late_in == payload(left, 2, 0),
          "MPI_Testall: late message %d/%d value %d", st[0].MPI_SOURCE,
          st[0].MPI_TAG, late_in);
    CHECK(st[1].MPI_SOURCE == rank && st[1].MPI_TAG == 1 &&
              self_in == self_val,
          "MPI_Testall: self message %d/%d value %d", st[1].MPI_SOURCE,
          st[1].MPI_TAG, self_in);
    CHECK_MPI(MPI_Comm_free(&comm));
}

/* MPI_Waitany in a loop until it answers MPI_UNDEFINED: each receive index
 * exactly once, never a null one, and an empty status at the end. */
static void test_waitany_reports_each_index_once(void)
{
    struct round r;
    int index = 0, calls = 0;
    MPI_Status st;

    round_open(&r);
    round_send(&r);
    for (;;) {
        reset_status(&st);
        CHECK_MPI(MPI_Waitany(r.nrecv, r.recv, &index, &st));
        if (index == MPI_UNDEFINED || ++calls > size)
            break;
        round_completed(&r, index, &st, 0, "MPI_Waitany");
    }
    CHECK(index == MPI_UNDEFINED,
          "MPI_Waitany reported more than %d completions", size);
    check_empty_status(&st, "MPI_Waitany on null requests");
    round_close(&r, "MPI_Waitany");
}

/* MPI_Testany: "not yet" (flag false, index MPI_UNDEFINED) before anyone
 * sends, then each index exactly once, then flag true with index
 * MPI_UNDEFINED once all entries are null. Uses MPI_STATUS_IGNORE. */
static void test_testany_reports_each_index_once(void)
{
    struct round r;
    int index = 0, flag = -1, found = 0;

    round_open(&r);
    CHECK_MPI(MPI_Testany(r.nrecv, r.recv, &index, &flag, MPI_STATUS_IGNORE));
    CHECK(!flag && index == MPI_UNDEFINED,
          "MPI_Testany before any send: flag %d, index %d", flag, index);
    CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
    round_send(&r);
    for (;;) {
        CHECK_MPI(
            MPI_Testany(r.nrecv, r.recv, &index, &flag, MPI_STATUS_IGNORE));
        if (!flag)
            continue;
        if (index == MPI_UNDEFINED || ++found > size)
            break;
        round_completed(&r, index, NULL, 0, "MPI_Testany");
    }
    CHECK(index == MPI_UNDEFINED,
          "MPI_Testany reported more than %d completions", size);
    round_close(&r, "MPI_Testany");
}

/* MPI_Waitsome (or MPI_Testsome) in a loop until outcount is
 * MPI_UNDEFINED: every receive index exactly once, with its status. */
static void drain_some(int use_test, int ignore)
{
    const char *what = use_test ? "MPI_Testsome" : "MPI_Waitsome";
    struct round r;
    int outcount = 0, found = 0;

    round_open(&r);
    int *indices = malloc(sizeof *indices * (size_t)r.nrecv);
    MPI_Status *st = malloc(sizeof *st * (size_t)r.nrecv);
    if (!(indices && st)) {
        CHECK(0, "malloc failed");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }

    if (use_test) {
        /* Nobody has sent yet: nothing can be complete. */
        CHECK_MPI(MPI_Testsome(r.nrecv, r.recv, &outcount, indices,
                               MPI_STATUSES_IGNORE));
        CHECK(outcount == 0, "MPI_Testsome before any send: outcount %d",
              outcount);
        CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
    }
    round_send(&r);
    while (found <= size) {
        for (int i = 0; i < r.nrecv; i++)
            reset_status(&st[i]);
        if (use_test)
            CHECK_MPI(MPI_Testsome(r.nrecv, r.recv, &outcount, indices,
                                   ignore ? MPI_STATUSES_IGNORE : st));
        else
            CHECK_MPI(MPI_Waitsome(r.nrecv, r.recv, &outcount, indices,
                                   ignore ? MPI_STATUSES_IGNORE : st));
        if (outcount == MPI_UNDEFINED)
            break;
        CHECK(outcount >= 0 && outcount <= r.nrecv, "%s: outcount %d", what,
              outcount);
        CHECK(use_test || outcount > 0, "MPI_Waitsome returned outcount 0");
        for (int k = 0; k < outcount && k < r.nrecv; k++)
            round_completed(&r, indices[k], ignore ? NULL : &st[k], 1, what);
        found += outcount;
    }
    CHECK(outcount == MPI_UNDEFINED, "%s reported more than %d completions",
          what, size);
    round_close(&r, what);
    free(indices);
    free(st);
}

static void test_waitsome_reports_each_index_once(void)
{
    drain_some(0, 0);
    drain_some(0, 1);
}

static void test_testsome_reports_each_index_once(void)
{
    drain_some(1, 0);
    drain_some(1, 1);
}

/* Arrays holding nothing but MPI_REQUEST_NULL. */
static void test_all_null_arrays(void)
{
    MPI_Request req[3] = {MPI_REQUEST_NULL, MPI_REQUEST_NULL,
                          MPI_REQUEST_NULL};
    MPI_Status st[3];
    int index = 0, flag = -1, outcount = 0, indices[3];

    CHECK_MPI(MPI_Waitall(3, req, st));
    for (int i = 0; i < 3; i++)
        check_empty_status(&st[i], "MPI_Waitall on null requests");
    CHECK_MPI(MPI_Waitany(3, req, &index, MPI_STATUS_IGNORE));
    CHECK(index == MPI_UNDEFINED, "MPI_Waitany on null requests: index %d",
          index);
    CHECK_MPI(MPI_Waitsome(3, req, &outcount, indices, MPI_STATUSES_IGNORE));
    CHECK(outcount == MPI_UNDEFINED,
          "MPI_Waitsome on null requests: outcount %d", outcount);
    CHECK_MPI(MPI_Testall(3, req, &flag, MPI_STATUSES_IGNORE));
    CHECK(flag, "MPI_Testall on null requests not complete");
    index = 0;
    flag = -1;
    CHECK_MPI(MPI_Testany(3, req, &index, &flag, st));
    CHECK(flag && index == MPI_UNDEFINED,
          "MPI_Testany on null requests: flag %d, index %d", flag, index);
    check_empty_status(&st[0], "MPI_Testany on null requests");
    outcount = 0;
    CHECK_MPI(MPI_Testsome(3, req, &outcount, indices, st));
    CHECK(outcount == MPI_UNDEFINED,
          "MPI_Testsome on null requests: outcount %d", outcount);
    /* Zero-length arrays are legal too. */
    CHECK_MPI(MPI_Waitall(0, NULL, MPI_STATUSES_IGNORE));
    CHECK_MPI(MPI_Waitany(0, NULL, &index, MPI_STATUS_IGNORE));
    CHECK(index == MPI_UNDEFINED, "MPI_Waitany on no requests: index %d",
          index);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    check_init("completion");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    right = (rank + 1) % size;
    left = (rank + size - 1) % size;

    test_wait_and_test_single();
    test_waitall_with_null_entries();
    test_testall_false_until_all_complete();
    test_waitany_reports_each_index_once();
    test_testany_reports_each_index_once();
    test_waitsome_reports_each_index_once();
    test_testsome_reports_each_index_once();
    test_all_null_arrays();

    return check_finish();
}
