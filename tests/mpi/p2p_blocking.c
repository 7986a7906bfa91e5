/*
 * p2p_blocking.c — blocking point-to-point communication.
 *
 * Exercises MPI_Send, MPI_Ssend, MPI_Rsend and MPI_Bsend (with
 * MPI_Buffer_attach/detach sized from MPI_Pack_size + MPI_BSEND_OVERHEAD),
 * MPI_Recv, MPI_Sendrecv and MPI_Sendrecv_replace, MPI_Get_count and
 * MPI_Get_elements (including MPI_UNDEFINED for a partial element), zero-byte
 * messages, one 64 MiB message, several tags, the MPI_SOURCE/MPI_TAG/
 * MPI_ERROR fields of statuses, and traffic to and from MPI_PROC_NULL.
 *
 * Invariants:
 * - Ranks work in pairs (rank ^ 1); a rank without a partner (np = 1, or
 *   the last rank of an odd np) talks to itself. Pairs order their blocking
 *   calls (lower rank sends first) so that even synchronous sends cannot
 *   deadlock; a rank talking to itself posts its receive first, which the
 *   standard requires to let any blocking send complete.
 * - MPI_Rsend is only issued after a zero-byte handshake proves the
 *   matching receive is posted.
 * - Every payload is computed from (source, tag, index) and checked in
 *   full; every status is checked field by field. Calls that return one
 *   status must leave MPI_ERROR untouched (MPI-3.1 §3.2.5).
 * - Nothing depends on timing; stdout carries only check.h's verdict.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "tests/mpi/check.h"

/* A value no MPI call writes into MPI_ERROR by itself. */
#define ERROR_SENTINEL 0x5eed

#define TAG_HANDSHAKE 900
#define TAG_LARGE 901
#define LARGE_BYTES ((size_t)64 << 20)

typedef int (*send_fn)(const void *, int, MPI_Datatype, int, int, MPI_Comm);

static int rank, size;

/* The rank this one exchanges with: rank ^ 1, or itself when that is out
 * of range. */
static int partner(void)
{
    int p = rank ^ 1;
    return p < size ? p : rank;
}

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

/* Number of elements of buf that differ from what (src, tag) sends. */
static size_t mismatches(const int *buf, size_t n, int src, int tag)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += buf[i] != payload(src, tag, i);
    return bad;
}

static void reset_status(MPI_Status *st)
{
    st->MPI_SOURCE = -99;
    st->MPI_TAG = -99;
    st->MPI_ERROR = ERROR_SENTINEL;
}

/* A status returned by a single-completion call for a message of `count`
 * ints from `src` with `tag`. */
static void check_status(const MPI_Status *st, int src, int tag, int count,
                         const char *what)
{
    int n = -1;
    CHECK(st->MPI_SOURCE == src, "%s: MPI_SOURCE %d, expected %d", what,
          st->MPI_SOURCE, src);
    CHECK(st->MPI_TAG == tag, "%s: MPI_TAG %d, expected %d", what, st->MPI_TAG,
          tag);
    CHECK(st->MPI_ERROR == ERROR_SENTINEL, "%s: MPI_ERROR overwritten with %d",
          what, st->MPI_ERROR);
    CHECK_MPI(MPI_Get_count(st, MPI_INT, &n));
    CHECK(n == count, "%s: count %d, expected %d", what, n, count);
}

/* Sends `count` ints with `send` to the partner and receives as many from
 * it, in an order that is safe for every send mode. */
static void exchange(send_fn send, const int *sbuf, int *rbuf, int count,
                     int tag, MPI_Status *st)
{
    int p = partner();
    reset_status(st);
    if (p == rank) {
        MPI_Request req;
        CHECK_MPI(
            MPI_Irecv(rbuf, count, MPI_INT, rank, tag, MPI_COMM_WORLD, &req));
        CHECK_MPI(send(sbuf, count, MPI_INT, rank, tag, MPI_COMM_WORLD));
        CHECK_MPI(MPI_Wait(&req, st));
    } else if (rank < p) {
        CHECK_MPI(send(sbuf, count, MPI_INT, p, tag, MPI_COMM_WORLD));
        CHECK_MPI(MPI_Recv(rbuf, count, MPI_INT, p, tag, MPI_COMM_WORLD, st));
    } else {
        CHECK_MPI(MPI_Recv(rbuf, count, MPI_INT, p, tag, MPI_COMM_WORLD, st));
        CHECK_MPI(send(sbuf, count, MPI_INT, p, tag, MPI_COMM_WORLD));
    }
}

/* One exchange per tag, each with its own length, in the given mode. */
static void exchange_tags(send_fn send, const char *mode)
{
    static const int tags[] = {0, 1, 77, 32767};
    int p = partner();
    for (size_t t = 0; t < sizeof tags / sizeof tags[0]; t++) {
        int tag = tags[t], count = 1 + tag % 13;
        int sbuf[16], rbuf[16];
        MPI_Status st;
        fill(sbuf, (size_t)count, rank, tag);
        exchange(send, sbuf, rbuf, count, tag, &st);
        check_status(&st, p, tag, count, mode);
        CHECK(mismatches(rbuf, (size_t)count, p, tag) == 0,
              "%s tag %d: wrong payload from %d", mode, tag, p);
    }
}

static void test_send_recv_tags(void)
{
    exchange_tags(MPI_Send, "MPI_Send");
}

static void test_ssend_recv_tags(void)
{
    exchange_tags(MPI_Ssend, "MPI_Ssend");
}

/* Each rank posts its receive, then a zero-byte handshake with the partner
 * proves both receives are posted, which is what makes MPI_Rsend legal. */
static void test_rsend_after_posted_receive(void)
{
    int p = partner(), tag = 5, count = 9;
    int sbuf[9], rbuf[9];
    MPI_Request req;
    MPI_Status st;

    fill(sbuf, (size_t)count, rank, tag);
    reset_status(&st);
    CHECK_MPI(MPI_Irecv(rbuf, count, MPI_INT, p, tag, MPI_COMM_WORLD, &req));
    CHECK_MPI(MPI_Sendrecv(NULL, 0, MPI_INT, p, TAG_HANDSHAKE, NULL, 0,
                           MPI_INT, p, TAG_HANDSHAKE, MPI_COMM_WORLD,
                           MPI_STATUS_IGNORE));
    CHECK_MPI(MPI_Rsend(sbuf, count, MPI_INT, p, tag, MPI_COMM_WORLD));
    CHECK_MPI(MPI_Wait(&req, &st));
    check_status(&st, p, tag, count, "MPI_Rsend");
    CHECK(mismatches(rbuf, (size_t)count, p, tag) == 0,
          "MPI_Rsend: wrong payload from %d", p);
}

/* Buffered sends complete locally, so a rank can send several messages and
 * only then receive its partner's, in the reverse order of their tags. */
static void test_bsend_attached_buffer(void)
{
    enum { NMSG = 4, COUNT = 100 };
    int p = partner(), pack = 0, detached_size = 0;
    int sbuf[NMSG][COUNT], rbuf[COUNT];
    void *detached = NULL;

    CHECK_MPI(MPI_Pack_size(COUNT, MPI_INT, MPI_COMM_WORLD, &pack));
    int bytes = NMSG * (pack + MPI_BSEND_OVERHEAD);
    char *buffer = malloc((size_t)bytes);
    CHECK(buffer != NULL, "malloc(%d) failed", bytes);
    if (buffer == NULL)
        return;
    CHECK_MPI(MPI_Buffer_attach(buffer, bytes));

    for (int m = 0; m < NMSG; m++) {
        fill(sbuf[m], COUNT, rank, 10 + m);
        CHECK_MPI(
            MPI_Bsend(sbuf[m], COUNT, MPI_INT, p, 10 + m, MPI_COMM_WORLD));
    }
    for (int m = NMSG - 1; m >= 0; m--) {
        MPI_Status st;
        reset_status(&st);
        CHECK_MPI(
            MPI_Recv(rbuf, COUNT, MPI_INT, p, 10 + m, MPI_COMM_WORLD, &st));
        check_status(&st, p, 10 + m, COUNT, "MPI_Bsend");
        CHECK(mismatches(rbuf, COUNT, p, 10 + m) == 0,
              "MPI_Bsend tag %d: wrong payload from %d", 10 + m, p);
    }

    /* Detach waits for the buffered messages and hands the buffer back. */
    CHECK_MPI(MPI_Buffer_detach(&detached, &detached_size));
    CHECK(detached == buffer, "MPI_Buffer_detach returned another address");
    CHECK(detached_size == bytes, "MPI_Buffer_detach size %d, expected %d",
          detached_size, bytes);
    free(buffer);
}

/* A periodic shift: everyone sends right and receives from the left, with a
 * receive buffer longer than the message. */
static void test_sendrecv_ring(void)
{
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    int tag = 21, count = 6;
    int sbuf[6], rbuf[10];
    MPI_Status st;

    fill(sbuf, (size_t)count, rank, tag);
    reset_status(&st);
    CHECK_MPI(MPI_Sendrecv(sbuf, count, MPI_INT, right, tag, rbuf, 10, MPI_INT,
                           left, tag, MPI_COMM_WORLD, &st));
    check_status(&st, left, tag, count, "MPI_Sendrecv");
    CHECK(mismatches(rbuf, (size_t)count, left, tag) == 0,
          "MPI_Sendrecv: wrong payload from %d", left);
}

/* The same shift the other way round, in place. */
static void test_sendrecv_replace_ring(void)
{
    int right = (rank + 1) % size, left = (rank + size - 1) % size;
    int tag = 22, count = 11;
    int buf[11];
    MPI_Status st;

    fill(buf, (size_t)count, rank, tag);
    reset_status(&st);
    CHECK_MPI(MPI_Sendrecv_replace(buf, count, MPI_INT, left, tag, right, tag,
                                   MPI_COMM_WORLD, &st));
    check_status(&st, right, tag, count, "MPI_Sendrecv_replace");
    CHECK(mismatches(buf, (size_t)count, right, tag) == 0,
          "MPI_Sendrecv_replace: wrong payload from %d", right);
}

/* Sends to MPI_PROC_NULL succeed at once in every mode; receives from it
 * complete at once with source MPI_PROC_NULL, tag MPI_ANY_TAG, count 0 and
 * an untouched buffer. A non-periodic shift has MPI_PROC_NULL at its ends. */
static void test_proc_null(void)
{
    int buf[4] = {1, 2, 3, 4}, n = -1;
    MPI_Status st;

    CHECK_MPI(MPI_Send(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD));
    CHECK_MPI(MPI_Ssend(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD));
    CHECK_MPI(MPI_Rsend(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD));

    reset_status(&st);
    CHECK_MPI(
        MPI_Recv(buf, 4, MPI_INT, MPI_PROC_NULL, 3, MPI_COMM_WORLD, &st));
    check_status(&st, MPI_PROC_NULL, MPI_ANY_TAG, 0,
                 "MPI_Recv from MPI_PROC_NULL");
    CHECK(buf[0] == 1 && buf[3] == 4,
          "MPI_Recv from MPI_PROC_NULL wrote the buffer");

    int right = rank + 1 < size ? rank + 1 : MPI_PROC_NULL;
    int left = rank > 0 ? rank - 1 : MPI_PROC_NULL;
    int sval = payload(rank, 4, 0), rval = -1;
    reset_status(&st);
    CHECK_MPI(MPI_Sendrecv(&sval, 1, MPI_INT, right, 4, &rval, 1, MPI_INT,
                           left, 4, MPI_COMM_WORLD, &st));
    if (left == MPI_PROC_NULL) {
        check_status(&st, MPI_PROC_NULL, MPI_ANY_TAG, 0, "shift end");
        CHECK(rval == -1, "receive from MPI_PROC_NULL wrote %d", rval);
    } else {
        check_status(&st, left, 4, 1, "non-periodic shift");
        CHECK(rval == payload(left, 4, 0), "shift got %d from %d", rval, left);
    }
    CHECK_MPI(MPI_Get_elements(&st, MPI_INT, &n));
    CHECK(n == (left == MPI_PROC_NULL ? 0 : 1), "shift: %d elements", n);
}

/* Zero-byte messages (no buffer at all) match, carry their envelope and
 * leave the receive buffer alone, whatever its capacity. */
static void test_zero_byte_messages(void)
{
    int p = partner(), n = -1;
    int rbuf[4] = {7, 7, 7, 7};
    MPI_Status st;

    exchange(MPI_Send, NULL, NULL, 0, 30, &st);
    check_status(&st, p, 30, 0, "zero-byte MPI_Send");
    exchange(MPI_Ssend, NULL, NULL, 0, 31, &st);
    check_status(&st, p, 31, 0, "zero-byte MPI_Ssend");

    /* An empty message fits any receive buffer. */
    reset_status(&st);
    CHECK_MPI(MPI_Sendrecv(NULL, 0, MPI_INT, p, 32, rbuf, 4, MPI_INT, p, 32,
                           MPI_COMM_WORLD, &st));
    check_status(&st, p, 32, 0, "zero-byte into 4 ints");
    CHECK_MPI(MPI_Get_elements(&st, MPI_INT, &n));
    CHECK(n == 0, "zero-byte message has %d elements", n);
    CHECK(rbuf[0] == 7 && rbuf[1] == 7 && rbuf[2] == 7 && rbuf[3] == 7,
          "zero-byte message wrote the receive buffer");
}

/* A receive of "triples" (3 contiguous ints) that gets 7 ints holds 2⅓
 * triples: MPI_Get_count says MPI_UNDEFINED, MPI_Get_elements counts the 7
 * ints. 6 ints make exactly 2 triples. */
static void test_get_count_partial_elements(void)
{
    static const int lengths[] = {7, 6};
    int p = partner();
    MPI_Datatype triple;

    CHECK_MPI(MPI_Type_contiguous(3, MPI_INT, &triple));
    CHECK_MPI(MPI_Type_commit(&triple));
    for (int k = 0; k < 2; k++) {
        int len = lengths[k], tag = 40 + k;
        int sbuf[9], rbuf[9], count = -2, elements = -2;
        MPI_Count elements_x = -2;
        MPI_Status st;

        fill(sbuf, (size_t)len, rank, tag);
        reset_status(&st);
        CHECK_MPI(MPI_Sendrecv(sbuf, len, MPI_INT, p, tag, rbuf, 3, triple, p,
                               tag, MPI_COMM_WORLD, &st));
        CHECK_MPI(MPI_Get_count(&st, triple, &count));
        CHECK_MPI(MPI_Get_elements(&st, triple, &elements));
        CHECK_MPI(MPI_Get_elements_x(&st, triple, &elements_x));
        CHECK(count == (len % 3 ? MPI_UNDEFINED : len / 3),
              "%d ints: MPI_Get_count(triple) = %d", len, count);
        CHECK(elements == len, "%d ints: MPI_Get_elements(triple) = %d", len,
              elements);
        CHECK(elements_x == len, "%d ints: MPI_Get_elements_x(triple) = %lld",
              len, (long long)elements_x);
        CHECK(st.MPI_SOURCE == p && st.MPI_TAG == tag,
              "%d ints: envelope %d/%d", len, st.MPI_SOURCE, st.MPI_TAG);
        CHECK(mismatches(rbuf, (size_t)len, p, tag) == 0,
              "%d ints: wrong payload from %d", len, p);
    }
    CHECK_MPI(MPI_Type_free(&triple));
}

/* One 64 MiB message per pair, from the lower to the higher rank; a rank
 * alone sends it to itself with MPI_Isend, since a blocking send of that
 * size to oneself could wait for a receive that is never reached. One
 * direction is enough: the size, not the direction, is what is tested. */
static void test_large_message(void)
{
    const int count = (int)(LARGE_BYTES / sizeof(int));
    int p = partner();
    int sends = p >= rank, receives = p <= rank;
    int *sbuf = sends ? malloc(LARGE_BYTES) : NULL;
    int *rbuf = receives ? malloc(LARGE_BYTES) : NULL;
    MPI_Request req = MPI_REQUEST_NULL;
    MPI_Status st;

    CHECK((!sends || sbuf != NULL) && (!receives || rbuf != NULL),
          "cannot allocate 64 MiB");
    if ((sends && sbuf == NULL) || (receives && rbuf == NULL)) {
        free(sbuf);
        free(rbuf);
        return;
    }
    if (sends) {
        fill(sbuf, (size_t)count, rank, TAG_LARGE);
        if (p == rank)
            CHECK_MPI(MPI_Isend(sbuf, count, MPI_INT, rank, TAG_LARGE,
                                MPI_COMM_WORLD, &req));
        else
            CHECK_MPI(
                MPI_Send(sbuf, count, MPI_INT, p, TAG_LARGE, MPI_COMM_WORLD));
    }
    if (receives) {
        reset_status(&st);
        CHECK_MPI(
            MPI_Recv(rbuf, count, MPI_INT, p, TAG_LARGE, MPI_COMM_WORLD, &st));
        check_status(&st, p, TAG_LARGE, count, "64 MiB message");
        size_t bad = mismatches(rbuf, (size_t)count, p, TAG_LARGE);
        CHECK(bad == 0, "64 MiB message: %zu wrong ints from %d", bad, p);
    }
    CHECK_MPI(MPI_Wait(&req, MPI_STATUS_IGNORE));
    free(sbuf);
    free(rbuf);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    check_init("p2p_blocking");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    test_send_recv_tags();
    test_ssend_recv_tags();
    test_rsend_after_posted_receive();
    test_bsend_attached_buffer();
    test_sendrecv_ring();
    test_sendrecv_replace_ring();
    test_proc_null();
    test_zero_byte_messages();
    test_get_count_partial_elements();
    test_large_message();

    return check_finish();
}
