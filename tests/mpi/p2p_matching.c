/*
 * p2p_matching.c — message matching.
 *
 * Exercises receives with MPI_ANY_SOURCE and/or MPI_ANY_TAG, the
 * non-overtaking rule (messages from one sender that match the same receive
 * arrive in send order, even a small message behind a large one), receives
 * by tag out of send order, MPI_Probe/MPI_Iprobe followed by a receive sized
 * with MPI_Get_count, matched probes (MPI_Mprobe/MPI_Mrecv,
 * MPI_Improbe/MPI_Imrecv, MPI_MESSAGE_NO_PROC), and the largest tag,
 * MPI_TAG_UB.
 *
 * Invariants:
 * - Which sender a wildcard receive picks depends on timing, so results are
 *   checked as multisets (every sender seen exactly the expected number of
 *   times) plus the per-sender order the standard guarantees.
 * - Every test that receives with a wildcard runs on its own duplicate of
 *   MPI_COMM_WORLD, so it can never match a message of another test.
 * - Sends are nonblocking (every rank also sends to itself); payloads are
 *   computed from (source, tag, index) and checked in full.
 * - Nothing depends on timing; stdout carries only check.h's verdict.
 */
#include <stdint.h>
#include <stdlib.h>

#include "tests/mpi/check.h"

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

static MPI_Comm fresh_comm(void)
{
    MPI_Comm comm = MPI_COMM_NULL;
    CHECK_MPI(MPI_Comm_dup(MPI_COMM_WORLD, &comm));
    return comm;
}

/* Every rank sends K messages to every rank, alternating tags 1 and 2, and
 * receives them all with MPI_ANY_SOURCE/MPI_ANY_TAG. All of one sender's
 * messages match that receive, so they must arrive in send order: the j-th
 * message received from a source is its j-th sent, with its tag. */
static void test_any_source_any_tag(void)
{
    enum { K = 3 };
    MPI_Comm comm = fresh_comm();
    int(*sbuf)[2] = malloc(sizeof *sbuf * K);
    int *next = calloc((size_t)size, sizeof *next);
    MPI_Request *req = malloc(sizeof *req * (size_t)size * K);

    CHECK(sbuf && next && req, "malloc failed");
    if (!(sbuf && next && req))
        goto out;

    /* Message j: tag 1 + j % 2, contents {j, payload(rank, tag, j)}. */
    for (int j = 0; j < K; j++) {
        sbuf[j][0] = j;
        sbuf[j][1] = payload(rank, 1 + j % 2, (size_t)j);
    }
    for (int dst = 0; dst < size; dst++)
        for (int j = 0; j < K; j++)
            CHECK_MPI(MPI_Isend(sbuf[j], 2, MPI_INT, dst, 1 + j % 2, comm,
                                &req[dst * K + j]));

    for (int n = 0; n < size * K; n++) {
        int rbuf[2] = {-1, -1}, count = -1;
        MPI_Status st;
        CHECK_MPI(MPI_Recv(rbuf, 2, MPI_INT, MPI_ANY_SOURCE, MPI_ANY_TAG, comm,
                           &st));
        CHECK_MPI(MPI_Get_count(&st, MPI_INT, &count));
        CHECK(count == 2, "wildcard receive: count %d", count);
        int src = st.MPI_SOURCE;
        CHECK(src >= 0 && src < size, "wildcard receive: MPI_SOURCE %d", src);
        if (src < 0 || src >= size)
            continue;
        int j = next[src]++;
        CHECK(j < K, "more than %d messages from %d", K, src);
        CHECK(rbuf[0] == j,
              "from %d: message %d arrived as number %d (overtaken)", src,
              rbuf[0], j);
        CHECK(st.MPI_TAG == 1 + j % 2, "from %d, message %d: tag %d", src, j,
              st.MPI_TAG);
        CHECK(rbuf[1] == payload(src, 1 + j % 2, (size_t)j),
              "from %d, message %d: wrong payload", src, j);
    }
    for (int src = 0; src < size; src++)
        CHECK(next[src] == K, "%d messages from %d, expected %d", next[src],
              src, K);
    CHECK_MPI(MPI_Waitall(size * K, req, MPI_STATUSES_IGNORE));
out:
    free(sbuf);
    free(next);
    free(req);
    CHECK_MPI(MPI_Comm_free(&comm));
}

/* Same sender, same tag: a large (rendezvous) message followed by small
 * (eager) ones. The small ones must not overtake it, whether the receive
 * names the source or not. */
static void test_non_overtaking_mixed_sizes(void)
{
    enum { N = 6, LARGE = 200000 };
    MPI_Comm comm = fresh_comm();
    int *sbuf = malloc(sizeof(int) * LARGE),
        *rbuf = malloc(sizeof(int) * LARGE);
    MPI_Request req[N];

    CHECK(sbuf && rbuf, "malloc failed");
    if (!(sbuf && rbuf))
        goto out;

    /* Message j is the first len(j) ints of one buffer; the lengths all
     * differ, so the received count tells which message arrived. */
    fill(sbuf, LARGE, rank, 0);
    for (int j = 0; j < N; j++) {
        int len = j % 3 == 0 ? LARGE - j : 1 + j;
        CHECK_MPI(MPI_Isend(sbuf, len, MPI_INT, right, 7, comm, &req[j]));
    }
    for (int j = 0; j < N; j++) {
        int len = j % 3 == 0 ? LARGE - j : 1 + j, count = -1;
        int source = j % 2 ? MPI_ANY_SOURCE : left;
        MPI_Status st;
        CHECK_MPI(MPI_Recv(rbuf, LARGE, MPI_INT, source, 7, comm, &st));
        CHECK_MPI(MPI_Get_count(&st, MPI_INT, &count));
        CHECK(count == len,
              "message %d from %d: %d ints, expected %d (overtaken)", j, left,
              count, len);
        CHECK(st.MPI_SOURCE == left && st.MPI_TAG == 7,
              "message %d: envelope %d/%d", j, st.MPI_SOURCE, st.MPI_TAG);
        CHECK(count == len && mismatches(rbuf, (size_t)len, left, 0) == 0,
              "message %d from %d: wrong payload", j, left);
    }
    CHECK_MPI(MPI_Waitall(N, req, MPI_STATUSES_IGNORE));
out:
    free(sbuf);
    free(rbuf);
    CHECK_MPI(MPI_Comm_free(&comm));
}

/* Receives naming the source but not the tag get that source's messages in
 * send order, with their tags in the status. */
static void test_any_tag_specific_source(void)
{
    static const int tags[] = {5, 3, 9};
    MPI_Comm comm = fresh_comm();
    int sbuf[3];
    MPI_Request req[3];

    for (int j = 0; j < 3; j++) {
        sbuf[j] = payload(rank, tags[j], 0);
        CHECK_MPI(
            MPI_Isend(&sbuf[j], 1, MPI_INT, right, tags[j], comm, &req[j]));
    }
    for (int j = 0; j < 3; j++) {
        int rval = -1;
        MPI_Status st;
        CHECK_MPI(MPI_Recv(&rval, 1, MPI_INT, left, MPI_ANY_TAG, comm, &st));
        CHECK(st.MPI_TAG == tags[j],
              "MPI_ANY_TAG receive %d: tag %d, expected %d", j, st.MPI_TAG,
              tags[j]);
        CHECK(st.MPI_SOURCE == left, "MPI_ANY_TAG receive %d: source %d", j,
              st.MPI_SOURCE);
        CHECK(rval == payload(left, tags[j], 0),
              "MPI_ANY_TAG receive %d: got %d", j, rval);
    }
    CHECK_MPI(MPI_Waitall(3, req, MPI_STATUSES_IGNORE));
    CHECK_MPI(MPI_Comm_free(&comm));
}

/* Receives naming the tag select messages regardless of arrival order:
 * sent with tags 1, 2, 3, received as 3, 2, 1. */
static void test_receive_by_tag_out_of_order(void)
{
    enum { COUNT = 5 };
    int sbuf[3][COUNT];
    MPI_Request req[3];

    for (int t = 1; t <= 3; t++) {
        fill(sbuf[t - 1], COUNT, rank, 10 + t);
        CHECK_MPI(MPI_Isend(sbuf[t - 1], COUNT, MPI_INT, right, 10 + t,
                            MPI_COMM_WORLD, &req[t - 1]));
    }
    for (int t = 3; t >= 1; t--) {
        int rbuf[COUNT];
        MPI_Status st;
        CHECK_MPI(
            MPI_Recv(rbuf, COUNT, MPI_INT, left, 10 + t, MPI_COMM_WORLD, &st));
        CHECK(st.MPI_SOURCE == left && st.MPI_TAG == 10 + t,
              "receive by tag %d: envelope %d/%d", 10 + t, st.MPI_SOURCE,
              st.MPI_TAG);
        CHECK(mismatches(rbuf, COUNT, left, 10 + t) == 0,
              "receive by tag %d: wrong payload", 10 + t);
    }
    CHECK_MPI(MPI_Waitall(3, req, MPI_STATUSES_IGNORE));
}

enum probe_method { PROBE, IPROBE, MPROBE, IMPROBE };
static const char *const probe_name[] = {"MPI_Probe", "MPI_Iprobe",
                                         "MPI_Mprobe", "MPI_Improbe"};

/* Length and tag of the message `src` sends to everyone in a probe round:
 * the receiver only learns them from the probe. */
static int probe_len(int src, enum probe_method m)
{
    return 1 + 3 * src + (int)m;
}

static int probe_tag(int src, enum probe_method m)
{
    return 20 + (src * 5 + (int)m) % 11;
}

/* Blocks until a message is found with `method`, then receives it into a
 * buffer sized from MPI_Get_count on the probe's status. Returns the
 * receive's status. */
static MPI_Status probe_and_receive(MPI_Comm comm, enum probe_method method,
                                    int **data, int *count)
{
    MPI_Status probed, got;
    MPI_Message msg = MPI_MESSAGE_NULL;
    int flag = 0;

    switch (method) {
    case PROBE:
        CHECK_MPI(MPI_Probe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &probed));
        break;
    case IPROBE:
        while (!flag)
            CHECK_MPI(
                MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag, &probed));
        break;
    case MPROBE:
        CHECK_MPI(
            MPI_Mprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &msg, &probed));
        break;
    case IMPROBE:
        while (!flag)
            CHECK_MPI(MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, comm, &flag,
                                  &msg, &probed));
        break;
    }
    *count = -1;
    CHECK_MPI(MPI_Get_count(&probed, MPI_INT, count));
    *data = malloc(sizeof(int) * (size_t)(*count > 0 ? *count : 1));
    if (*data == NULL) {
        CHECK(0, "malloc failed");
        MPI_Abort(MPI_COMM_WORLD, 1);
    }

    switch (method) {
    case PROBE:
    case IPROBE:
        /* Single-threaded, so nothing can receive the probed message in
         * between: a receive with its envelope gets exactly it. */
        CHECK_MPI(MPI_Recv(*data, *count, MPI_INT, probed.MPI_SOURCE,
                           probed.MPI_TAG, comm, &got));
        break;
    case MPROBE:
        CHECK_MPI(MPI_Mrecv(*data, *count, MPI_INT, &msg, &got));
        CHECK(msg == MPI_MESSAGE_NULL, "MPI_Mrecv left the message handle");
        break;
    case IMPROBE: {
        MPI_Request req;
        CHECK_MPI(MPI_Imrecv(*data, *count, MPI_INT, &msg, &req));
        CHECK(msg == MPI_MESSAGE_NULL, "MPI_Imrecv left the message handle");
        CHECK_MPI(MPI_Wait(&req, &got));
        break;
    }
    }
    CHECK(got.MPI_SOURCE == probed.MPI_SOURCE && got.MPI_TAG == probed.MPI_TAG,
          "%s: probed %d/%d but received %d/%d", probe_name[method],
          probed.MPI_SOURCE, probed.MPI_TAG, got.MPI_SOURCE, got.MPI_TAG);
    return got;
}

/* Every rank sends everyone one message whose length and tag depend on the
 * sender; the receiver discovers them by probing with wildcards and must
 * see every sender exactly once with the right length, tag and contents. */
static void test_probe_sized_receive(enum probe_method method)
{
    MPI_Comm comm = fresh_comm();
    int len = probe_len(rank, method), tag = probe_tag(rank, method);
    int *sbuf = malloc(sizeof(int) * (size_t)len);
    int *seen = calloc((size_t)size, sizeof *seen);
    MPI_Request *req = malloc(sizeof *req * (size_t)size);

    CHECK(sbuf && seen && req, "malloc failed");
    if (!(sbuf && seen && req))
        goto out;
    fill(sbuf, (size_t)len, rank, tag);
    for (int dst = 0; dst < size; dst++)
        CHECK_MPI(MPI_Isend(sbuf, len, MPI_INT, dst, tag, comm, &req[dst]));

    for (int n = 0; n < size; n++) {
        int *data = NULL, count = -1;
        MPI_Status st = probe_and_receive(comm, method, &data, &count);
        int src = st.MPI_SOURCE;
        CHECK(src >= 0 && src < size, "%s: MPI_SOURCE %d", probe_name[method],
              src);
        if (src >= 0 && src < size) {
            seen[src]++;
            CHECK(count == probe_len(src, method),
                  "%s: %d ints from %d, expected %d", probe_name[method],
                  count, src, probe_len(src, method));
            CHECK(st.MPI_TAG == probe_tag(src, method), "%s: tag %d from %d",
                  probe_name[method], st.MPI_TAG, src);
            CHECK(count == probe_len(src, method) &&
                      mismatches(data, (size_t)count, src,
                                 probe_tag(src, method)) == 0,
                  "%s: wrong payload from %d", probe_name[method], src);
        }
        free(data);
    }
    for (int src = 0; src < size; src++)
        CHECK(seen[src] == 1, "%s: %d messages from %d", probe_name[method],
              seen[src], src);
    CHECK_MPI(MPI_Waitall(size, req, MPI_STATUSES_IGNORE));
out:
    free(sbuf);
    free(seen);
    free(req);
    CHECK_MPI(MPI_Comm_free(&comm));
}

/* A plain probe does not consume the message: probing twice finds the
 * first of two messages with the same envelope both times. A matched probe
 * does: after MPI_Mprobe took the first, a receive gets the second, and
 * MPI_Mrecv the first. The messages hold 1 and 2 ints, so counts tell them
 * apart. */
static void test_probe_consumption(void)
{
    MPI_Comm comm = fresh_comm();
    int sbuf[2] = {payload(rank, 3, 0), payload(rank, 3, 1)},
        rbuf[2] = {-1, -1};
    int count = -1;
    MPI_Request req[2];
    MPI_Message msg;
    MPI_Status st;

    for (int j = 0; j < 2; j++)
        CHECK_MPI(MPI_Isend(sbuf, 1 + j, MPI_INT, right, 3, comm, &req[j]));

    for (int k = 0; k < 2; k++) {
        CHECK_MPI(MPI_Probe(left, 3, comm, &st));
        CHECK_MPI(MPI_Get_count(&st, MPI_INT, &count));
        CHECK(count == 1 && st.MPI_SOURCE == left,
              "MPI_Probe %d: %d ints from %d", k, count, st.MPI_SOURCE);
    }

    CHECK_MPI(MPI_Mprobe(left, 3, comm, &msg, &st));
    CHECK_MPI(MPI_Get_count(&st, MPI_INT, &count));
    CHECK(count == 1, "MPI_Mprobe found %d ints, expected the first message",
          count);
    CHECK(msg != MPI_MESSAGE_NULL && msg != MPI_MESSAGE_NO_PROC,
          "MPI_Mprobe returned no message");

    CHECK_MPI(MPI_Recv(rbuf, 2, MPI_INT, left, 3, comm, &st));
    CHECK_MPI(MPI_Get_count(&st, MPI_INT, &count));
    CHECK(count == 2 && mismatches(rbuf, 2, left, 3) == 0,
          "receive after MPI_Mprobe got %d ints, expected the second message",
          count);

    rbuf[0] = rbuf[1] = -1;
    CHECK_MPI(MPI_Mrecv(rbuf, 2, MPI_INT, &msg, &st));
    CHECK_MPI(MPI_Get_count(&st, MPI_INT, &count));
    CHECK(count == 1 && rbuf[0] == payload(left, 3, 0) && rbuf[1] == -1,
          "MPI_Mrecv got %d ints, expected the first message", count);
    CHECK(st.MPI_SOURCE == left && st.MPI_TAG == 3, "MPI_Mrecv status %d/%d",
          st.MPI_SOURCE, st.MPI_TAG);
    CHECK_MPI(MPI_Waitall(2, req, MPI_STATUSES_IGNORE));
    CHECK_MPI(MPI_Comm_free(&comm));
}

/* Probing a quiet communicator finds nothing; probing MPI_PROC_NULL finds
 * an empty message at once (MPI_MESSAGE_NO_PROC for matched probes). */
static void test_probe_nothing_and_proc_null(void)
{
    MPI_Comm quiet = fresh_comm();
    MPI_Message msg = MPI_MESSAGE_NULL;
    MPI_Status st;
    int flag = -1, count = -1, rval = -1;

    CHECK_MPI(MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, quiet, &flag, &st));
    CHECK(!flag, "MPI_Iprobe found a message on a quiet communicator");
    CHECK_MPI(
        MPI_Improbe(MPI_ANY_SOURCE, MPI_ANY_TAG, quiet, &flag, &msg, &st));
    CHECK(!flag, "MPI_Improbe found a message on a quiet communicator");

    CHECK_MPI(MPI_Iprobe(MPI_PROC_NULL, 4, quiet, &flag, &st));
    CHECK_MPI(MPI_Get_count(&st, MPI_INT, &count));
    CHECK(flag && st.MPI_SOURCE == MPI_PROC_NULL &&
              st.MPI_TAG == MPI_ANY_TAG && count == 0,
          "MPI_Iprobe(MPI_PROC_NULL): flag %d, %d/%d, count %d", flag,
          st.MPI_SOURCE, st.MPI_TAG, count);

    CHECK_MPI(MPI_Mprobe(MPI_PROC_NULL, 4, quiet, &msg, &st));
    CHECK(msg == MPI_MESSAGE_NO_PROC,
          "MPI_Mprobe(MPI_PROC_NULL) did not return "
          "MPI_MESSAGE_NO_PROC");
    CHECK_MPI(MPI_Mrecv(&rval, 1, MPI_INT, &msg, &st));
    CHECK_MPI(MPI_Get_count(&st, MPI_INT, &count));
    CHECK(msg == MPI_MESSAGE_NULL,
          "MPI_Mrecv(MPI_MESSAGE_NO_PROC) left the handle");
    CHECK(st.MPI_SOURCE == MPI_PROC_NULL && count == 0 && rval == -1,
          "MPI_Mrecv(MPI_MESSAGE_NO_PROC): source %d, count %d, buffer %d",
          st.MPI_SOURCE, count, rval);
    CHECK_MPI(MPI_Comm_free(&quiet));
}

/* The largest tag the implementation advertises works like any other, by
 * name and through MPI_ANY_TAG. */
static void test_tag_ub_usable(void)
{
    int *tag_ub = NULL, flag = 0;
    MPI_Comm comm = fresh_comm();

    CHECK_MPI(MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag));
    CHECK(flag && tag_ub != NULL, "MPI_TAG_UB attribute missing");
    if (flag && tag_ub != NULL) {
        int top = *tag_ub;
        int sval[2] = {payload(rank, top, 0), payload(rank, top, 1)},
            rval = -1;
        MPI_Request req[2];
        MPI_Status st;

        CHECK(top >= 32767, "MPI_TAG_UB %d below 32767", top);
        for (int j = 0; j < 2; j++)
            CHECK_MPI(
                MPI_Isend(&sval[j], 1, MPI_INT, right, top, comm, &req[j]));
        CHECK_MPI(MPI_Recv(&rval, 1, MPI_INT, left, top, comm, &st));
        CHECK(st.MPI_TAG == top && rval == payload(left, top, 0),
              "tag MPI_TAG_UB by name: tag %d, value %d", st.MPI_TAG, rval);
        CHECK_MPI(MPI_Recv(&rval, 1, MPI_INT, left, MPI_ANY_TAG, comm, &st));
        CHECK(st.MPI_TAG == top && rval == payload(left, top, 1),
              "tag MPI_TAG_UB by MPI_ANY_TAG: tag %d, value %d", st.MPI_TAG,
              rval);
        CHECK_MPI(MPI_Waitall(2, req, MPI_STATUSES_IGNORE));
    }
    CHECK_MPI(MPI_Comm_free(&comm));
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    check_init("p2p_matching");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    right = (rank + 1) % size;
    left = (rank + size - 1) % size;

    test_any_source_any_tag();
    test_non_overtaking_mixed_sizes();
    test_any_tag_specific_source();
    test_receive_by_tag_out_of_order();
    test_probe_sized_receive(PROBE);
    test_probe_sized_receive(IPROBE);
    test_probe_sized_receive(MPROBE);
    test_probe_sized_receive(IMPROBE);
    test_probe_consumption();
    test_probe_nothing_and_proc_null();
    test_tag_ub_usable();

    return check_finish();
}
