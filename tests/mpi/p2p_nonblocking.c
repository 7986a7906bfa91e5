/*
 * p2p_nonblocking.c — nonblocking and persistent point-to-point requests.
 *
 * Exercises MPI_Isend/MPI_Irecv (eager and rendezvous sizes, to every rank
 * including oneself), MPI_Issend (not complete before the receive is
 * matched), persistent requests (MPI_Send_init, MPI_Ssend_init,
 * MPI_Bsend_init, MPI_Rsend_init, MPI_Recv_init, MPI_Start, MPI_Startall over
 * several rounds, the empty status of an inactive request, MPI_Request_free),
 * MPI_Cancel of a receive that never matches (MPI_Test_cancelled),
 * MPI_Request_get_status (which must not free the request), and requests to
 * MPI_PROC_NULL.
 *
 * Invariants:
 * - "Not complete yet" is only asserted where causality guarantees it: the
 *   peer posts the matching operation after an MPI_Barrier that the
 *   asserting rank enters only after its check.
 * - Payloads are computed from (source, tag or round, index) and checked in
 *   full; statuses are checked field by field.
 * - Neighbours are (rank ± 1) mod np, which is oneself at np = 1.
 * - Nothing depends on timing; stdout carries only check.h's verdict.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tests/mpi/check.h"

#define TAG_HANDSHAKE 900

static int rank, size, left, right;

static int payload(int src, int tag, size_t i)
{
    uint32_t v =
        (uint32_t)src * 1000003u + (uint32_t)tag * 7919u + (uint32_t)i;
    return (int)(v & 0x7fffffffu);
}

static void fill(int *buf, size_t n, int src, int tag)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = payload(src, tag, i);
}

static size_t mismatches(const int *buf, size_t n, int src, int tag)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += buf[i] != payload(src, tag, i);
    return bad;
}

static void check_envelope(const MPI_Status *st, int src, int tag, int count,
                           const char *what)
{
    int n = -1;
    CHECK(st->MPI_SOURCE == src, "%s: MPI_SOURCE %d, expected %d", what,
          st->MPI_SOURCE, src);
    CHECK(st->MPI_TAG == tag, "%s: MPI_TAG %d, expected %d", what, st->MPI_TAG,
          tag);
    CHECK_MPI(MPI_Get_count(st, MPI_INT, &n));
    CHECK(n == count, "%s: count %d, expected %d", what, n, count);
}

/* The status MPI gives for a null or inactive request: source MPI_ANY_SOURCE,
 * tag MPI_ANY_TAG, count 0, not cancelled. */
static void check_empty_status(const MPI_Status *st, const char *what)
{
    int cancelled = -1;
    check_envelope(st, MPI_ANY_SOURCE, MPI_ANY_TAG, 0, what);
    CHECK_MPI(MPI_Test_cancelled(st, &cancelled));
    CHECK(!cancelled, "%s: empty status marked cancelled", what);
}

/* Every rank sends a small (eager) and a large (rendezvous) message to every
 * rank, itself included, all at once; receives are posted in the reverse
 * order of the sends. */
static void test_isend_irecv_all_to_all(void)
{
    enum { SMALL = 3, LARGE = 100000 };
    const int counts[2] = {SMALL, LARGE};
    int nreq = 4 * size;
    int *sbuf[2], *rbuf = malloc(sizeof(int) * (size_t)size * (SMALL + LARGE));
    MPI_Request *req = malloc(sizeof *req * (size_t)nreq);
    MPI_Status *st = malloc(sizeof *st * (size_t)nreq);

    sbuf[0] = malloc(sizeof(int) * SMALL);
    sbuf[1] = malloc(sizeof(int) * LARGE);
    CHECK(rbuf && req && st && sbuf[0] && sbuf[1], "malloc failed");
    if (!(rbuf && req && st && sbuf[0] && sbuf[1]))
        goto out;

    /* Receives: slot (src, k) at rbuf + src * (SMALL + LARGE) + k * SMALL,
     * request index 2 * src + k, posted from the last source down. */
    for (int src = size - 1; src >= 0; src--)
        for (int k = 1; k >= 0; k--)
            CHECK_MPI(MPI_Irecv(rbuf + (size_t)src * (SMALL + LARGE) +
                                    (size_t)k * SMALL,
                                counts[k], MPI_INT, src, 100 + k,
                                MPI_COMM_WORLD, &req[2 * src + k]));
    for (int k = 0; k < 2; k++) {
        fill(sbuf[k], (size_t)counts[k], rank, 100 + k);
        for (int dst = 0; dst < size; dst++)
            CHECK_MPI(MPI_Isend(sbuf[k], counts[k], MPI_INT, dst, 100 + k,
                                MPI_COMM_WORLD, &req[2 * size + 2 * dst + k]));
    }
    CHECK_MPI(MPI_Waitall(nreq, req, st));

    for (int src = 0; src < size; src++) {
        for (int k = 0; k < 2; k++) {
            int cancelled = -1;
            const MPI_Status *s = &st[2 * src + k];
            check_envelope(s, src, 100 + k, counts[k], "Isend/Irecv");
            CHECK_MPI(MPI_Test_cancelled(s, &cancelled));
            CHECK(!cancelled, "completed receive from %d marked cancelled",
                  src);
            CHECK(mismatches(rbuf + (size_t)src * (SMALL + LARGE) +
                                 (size_t)k * SMALL,
                             (size_t)counts[k], src, 100 + k) == 0,
                  "Isend/Irecv: wrong payload from %d (%d ints)", src,
                  counts[k]);
        }
    }
    for (int i = 0; i < nreq; i++)
        CHECK(req[i] == MPI_REQUEST_NULL,
              "request %d not null after MPI_Waitall", i);
out:
    free(sbuf[0]);
    free(sbuf[1]);
    free(rbuf);
    free(req);
    free(st);
}

/* A synchronous send cannot complete before its receive is matched. The
 * right neighbour posts that receive only after the barrier, which this
 * rank enters only after testing, so the test must say "not complete". */
static void test_issend_completes_after_match(void)
{
    int sval = payload(rank, 60, 0), rval = -1, flag = -1;
    MPI_Request sreq, rreq;
    MPI_Status st;

    CHECK_MPI(MPI_Issend(&sval, 1, MPI_INT, right, 60, MPI_COMM_WORLD, &sreq));
    CHECK_MPI(MPI_Test(&sreq, &flag, MPI_STATUS_IGNORE));
    CHECK(!flag, "MPI_Issend complete before the receive was posted");
    CHECK(sreq != MPI_REQUEST_NULL, "incomplete MPI_Issend request was freed");
    CHECK_MPI(MPI_Request_get_status(sreq, &flag, MPI_STATUS_IGNORE));
    CHECK(!flag,
          "MPI_Request_get_status: MPI_Issend complete before the receive");

    CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));

    CHECK_MPI(MPI_Irecv(&rval, 1, MPI_INT, left, 60, MPI_COMM_WORLD, &rreq));
    CHECK_MPI(MPI_Wait(&rreq, &st));
    check_envelope(&st, left, 60, 1, "Issend receive");
    CHECK(rval == payload(left, 60, 0), "Issend: got %d from %d", rval, left);

    /* Matched now, so the send completes. */
    flag = 0;
    while (!flag)
        CHECK_MPI(MPI_Test(&sreq, &flag, MPI_STATUS_IGNORE));
    CHECK(sreq == MPI_REQUEST_NULL, "completed MPI_Issend request not null");
}

/* A persistent send/receive pair reused for several rounds, started
 * together with MPI_Startall or one by one with MPI_Start; the payload
 * changes every round. */
static void test_persistent_send_recv_rounds(void)
{
    enum { COUNT = 32, ROUNDS = 5, TAG = 70 };
    int sbuf[COUNT], rbuf[COUNT];
    MPI_Request req[2];
    MPI_Status st[2];

    CHECK_MPI(MPI_Recv_init(rbuf, COUNT, MPI_INT, left, TAG, MPI_COMM_WORLD,
                            &req[0]));
    CHECK_MPI(MPI_Send_init(sbuf, COUNT, MPI_INT, right, TAG, MPI_COMM_WORLD,
                            &req[1]));

    /* Before the first start the requests are inactive: waiting returns at
     * once with an empty status and keeps the request. */
    CHECK_MPI(MPI_Wait(&req[0], &st[0]));
    check_empty_status(&st[0], "inactive persistent receive");
    CHECK(req[0] != MPI_REQUEST_NULL,
          "MPI_Wait freed an inactive persistent request");

    for (int round = 0; round < ROUNDS; round++) {
        fill(sbuf, COUNT, rank, round);
        if (round % 2 == 0) {
            CHECK_MPI(MPI_Startall(2, req));
        } else {
            CHECK_MPI(MPI_Start(&req[0]));
            CHECK_MPI(MPI_Start(&req[1]));
        }
        CHECK_MPI(MPI_Waitall(2, req, st));
        check_envelope(&st[0], left, TAG, COUNT, "persistent receive");
        CHECK(mismatches(rbuf, COUNT, left, round) == 0,
              "persistent round %d: wrong payload from %d", round, left);
        CHECK(req[0] != MPI_REQUEST_NULL && req[1] != MPI_REQUEST_NULL,
              "round %d: completion freed a persistent request", round);
    }

    CHECK_MPI(MPI_Request_free(&req[0]));
    CHECK_MPI(MPI_Request_free(&req[1]));
    CHECK(req[0] == MPI_REQUEST_NULL && req[1] == MPI_REQUEST_NULL,
          "MPI_Request_free left a handle");
}

/* Persistent sends in the synchronous, buffered and ready modes. The ready
 * send is started only after a zero-byte handshake proves that the right
 * neighbour has started its receive. */
static void test_persistent_send_modes(void)
{
    enum { COUNT = 8, ROUNDS = 3, NMODES = 3 };
    static const char *const mode[NMODES] = {"Ssend_init", "Bsend_init",
                                             "Rsend_init"};
    int sbuf[NMODES][COUNT], rbuf[NMODES][COUNT], pack = 0;
    MPI_Request send[NMODES], recv[NMODES];

    /* Room for every round's buffered message: the standard frees buffer
     * space only once a message is transferred, which the sender may learn
     * later than the receiver. */
    CHECK_MPI(MPI_Pack_size(COUNT, MPI_INT, MPI_COMM_WORLD, &pack));
    int bytes = ROUNDS * (pack + MPI_BSEND_OVERHEAD);
    char *buffer = malloc((size_t)bytes);
    CHECK(buffer != NULL, "malloc(%d) failed", bytes);
    if (buffer == NULL)
        return;
    CHECK_MPI(MPI_Buffer_attach(buffer, bytes));

    for (int m = 0; m < NMODES; m++)
        CHECK_MPI(MPI_Recv_init(rbuf[m], COUNT, MPI_INT, left, 80 + m,
                                MPI_COMM_WORLD, &recv[m]));
    CHECK_MPI(MPI_Ssend_init(sbuf[0], COUNT, MPI_INT, right, 80,
                             MPI_COMM_WORLD, &send[0]));
    CHECK_MPI(MPI_Bsend_init(sbuf[1], COUNT, MPI_INT, right, 81,
                             MPI_COMM_WORLD, &send[1]));
    CHECK_MPI(MPI_Rsend_init(sbuf[2], COUNT, MPI_INT, right, 82,
                             MPI_COMM_WORLD, &send[2]));

    for (int round = 0; round < ROUNDS; round++) {
        MPI_Status st[NMODES];
        for (int m = 0; m < NMODES; m++)
            fill(sbuf[m], COUNT, rank, 10 * round + m);
        CHECK_MPI(MPI_Startall(NMODES, recv));
        CHECK_MPI(MPI_Sendrecv(NULL, 0, MPI_INT, left, TAG_HANDSHAKE, NULL, 0,
                               MPI_INT, right, TAG_HANDSHAKE, MPI_COMM_WORLD,
                               MPI_STATUS_IGNORE));
        CHECK_MPI(MPI_Startall(NMODES, send));
        CHECK_MPI(MPI_Waitall(NMODES, send, MPI_STATUSES_IGNORE));
        CHECK_MPI(MPI_Waitall(NMODES, recv, st));
        for (int m = 0; m < NMODES; m++) {
            check_envelope(&st[m], left, 80 + m, COUNT, mode[m]);
            CHECK(mismatches(rbuf[m], COUNT, left, 10 * round + m) == 0,
                  "%s round %d: wrong payload from %d", mode[m], round, left);
        }
    }

    for (int m = 0; m < NMODES; m++) {
        CHECK_MPI(MPI_Request_free(&send[m]));
        CHECK_MPI(MPI_Request_free(&recv[m]));
    }
    void *detached = NULL;
    int detached_size = 0;
    CHECK_MPI(MPI_Buffer_detach(&detached, &detached_size));
    CHECK(detached == buffer && detached_size == bytes,
          "MPI_Buffer_detach returned %p/%d", detached, detached_size);
    free(buffer);
}

/* A receive on a private communicator that nobody sends on can be
 * cancelled; completing it yields a status marked cancelled. */
static void test_cancel_unmatched_receive(void)
{
    MPI_Comm quiet;
    MPI_Request req;
    MPI_Status st;
    int buf = -1, cancelled = 0;

    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &quiet));
    CHECK_MPI(MPI_Irecv(&buf, 1, MPI_INT, MPI_ANY_SOURCE, 1, quiet, &req));
    CHECK_MPI(MPI_Cancel(&req));
    CHECK(req != MPI_REQUEST_NULL, "MPI_Cancel freed the request");
    CHECK_MPI(MPI_Wait(&req, &st));
    CHECK(req == MPI_REQUEST_NULL,
          "cancelled request not null after MPI_Wait");
    CHECK_MPI(MPI_Test_cancelled(&st, &cancelled));
    CHECK(cancelled, "MPI_Test_cancelled false for a cancelled receive");
    CHECK(buf == -1, "cancelled receive wrote %d", buf);
    CHECK_MPI(MPI_Comm_free(&quiet));
}

/* MPI_Request_get_status reports completion without freeing the request.
 * The left neighbour sends only after the barrier, so before it the receive
 * cannot be complete. */
static void test_request_get_status_keeps_request(void)
{
    int sval = payload(rank, 90, 0), rval = -1, flag = -1;
    MPI_Request req;
    MPI_Status st;

    CHECK_MPI(MPI_Irecv(&rval, 1, MPI_INT, left, 90, MPI_COMM_WORLD, &req));
    CHECK_MPI(MPI_Request_get_status(req, &flag, &st));
    CHECK(!flag, "MPI_Request_get_status: receive complete before any send");

    CHECK_MPI(MPI_Barrier(MPI_COMM_WORLD));
    /* Every receive is posted now, so a blocking send completes. */
    CHECK_MPI(MPI_Send(&sval, 1, MPI_INT, right, 90, MPI_COMM_WORLD));

    flag = 0;
    while (!flag)
        CHECK_MPI(MPI_Request_get_status(req, &flag, &st));
    CHECK(req != MPI_REQUEST_NULL, "MPI_Request_get_status freed the request");
    check_envelope(&st, left, 90, 1, "MPI_Request_get_status");
    CHECK(rval == payload(left, 90, 0), "get_status: got %d from %d", rval,
          left);

    CHECK_MPI(MPI_Wait(&req, &st));
    CHECK(req == MPI_REQUEST_NULL, "request not null after MPI_Wait");
    check_envelope(&st, left, 90, 1, "MPI_Wait after MPI_Request_get_status");

    flag = 0;
    CHECK_MPI(MPI_Request_get_status(MPI_REQUEST_NULL, &flag, &st));
    CHECK(flag, "MPI_Request_get_status(MPI_REQUEST_NULL) not complete");
    check_empty_status(&st, "MPI_Request_get_status(MPI_REQUEST_NULL)");
}

/* Nonblocking operations with MPI_PROC_NULL complete at once; the receive
 * reports source MPI_PROC_NULL, tag MPI_ANY_TAG and count 0. */
static void test_proc_null_requests(void)
{
    int sval = 1, rval = -1;
    MPI_Request req[3];
    MPI_Status st[3];

    CHECK_MPI(MPI_Isend(&sval, 1, MPI_INT, MPI_PROC_NULL, 5, MPI_COMM_WORLD,
                        &req[0]));
    CHECK_MPI(MPI_Issend(&sval, 1, MPI_INT, MPI_PROC_NULL, 5, MPI_COMM_WORLD,
                         &req[1]));
    CHECK_MPI(MPI_Irecv(&rval, 1, MPI_INT, MPI_PROC_NULL, 5, MPI_COMM_WORLD,
                        &req[2]));
    CHECK_MPI(MPI_Waitall(3, req, st));
    check_envelope(&st[2], MPI_PROC_NULL, MPI_ANY_TAG, 0,
                   "MPI_Irecv from MPI_PROC_NULL");
    CHECK(rval == -1, "MPI_Irecv from MPI_PROC_NULL wrote %d", rval);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    check_init("p2p_nonblocking");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    right = (rank + 1) % size;
    left = (rank + size - 1) % size;

    test_isend_irecv_all_to_all();
    test_issend_completes_after_match();
    test_persistent_send_recv_rounds();
    test_persistent_send_modes();
    test_cancel_unmatched_receive();
    test_request_get_status_keeps_request();
    test_proc_null_requests();

    return check_finish();
}
