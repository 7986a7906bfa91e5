/*
 * coll_nonblocking.c — non-blocking collectives and how they complete.
 *
 * Exercises: Ibarrier, Ibcast, Ireduce, Iallreduce (also in place and with
 * a user op from MPI_Op_create, non-commutative, and a commutative one),
 * Igather(v), Iscatter(v), Iallgather(v), Ialltoall(v,w),
 * Ireduce_scatter(_block), Iscan, Iexscan. The whole set is run four ways:
 *   - all outstanding at once on two communicators (MPI_COMM_WORLD and one
 *     with its ranks reversed), interleaved, completed by one Waitall;
 *   - all outstanding while point-to-point traffic flows (a pre-posted
 *     Irecv/Isend ring and a blocking Sendrecv ring issued after the
 *     collectives started), the p2p and collective requests completed
 *     together by a Waitany loop;
 *   - one at a time, each completed by a Test loop;
 *   - all outstanding, completed by a Testsome loop.
 *
 * Invariants: every rank starts the collectives of a communicator in the
 * same order (as MPI requires) and nothing is read or written in a buffer
 * before its request completes. Completion loops spin on Test/Testsome
 * without bound but with no timing assumption: they end because the
 * library must progress outstanding operations inside those calls. Every
 * request completes exactly once and is MPI_REQUEST_NULL afterwards.
 * Inputs are small integers; results are checked exactly, receive buffers
 * start as SENTINEL and untouched parts must still hold it. Output is only
 * the PASS line (check.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/mpi/check.h"

#define SENTINEL (-7777)

/* Matrix op and type shared by every run (created in main). */
static MPI_Op matmul_h, gcd_h;
static MPI_Datatype mat_t;

/* What one non-blocking collective needs until it is checked: its
 * communicator, root, buffers and argument arrays (allocated by start,
 * freed by nb_release). */
struct nb {
    const char *name;
    const char *mode; /* which completion driver ran it, for messages */
    MPI_Comm comm;
    int rank, size, root;
    int *send, *recv;
    int len; /* elements of recv that the v variants check */
    int *sc, *sd, *rc, *rd;
    MPI_Datatype *st, *rt;
    MPI_Datatype pair;
};

struct nb_op {
    const char *name;
    void (*start)(struct nb *s, MPI_Request *req);
    void (*check)(struct nb *s);
};

static int *int_buf(int n, int v)
{
    int *buf = malloc(sizeof(int) * (size_t)(n > 0 ? n : 1));
    if (buf == NULL) {
        fprintf(stderr, "out of memory\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    for (int i = 0; i < n; i++)
        buf[i] = v;
    return buf;
}

static void nb_release(struct nb *s)
{
    free(s->send);
    free(s->recv);
    free(s->sc);
    free(s->sd);
    free(s->rc);
    free(s->rd);
    free(s->st);
    free(s->rt);
    if (s->pair != MPI_DATATYPE_NULL)
        MPI_Type_free(&s->pair);
}

/* Rank r's value at position k of the block it sends to rank j. */
static int tag3(int r, int j, int k)
{
    return r * 10000 + j * 100 + k;
}

/* Element count of rank j's block in the v variants: 1, 2, 0, 1, ... */
static int vcount(int j)
{
    return (j + 1) % 3;
}

/* Elements rank a sends to rank b in Ialltoallv: not symmetric, 0 to 2. */
static int a2a_count(int a, int b)
{
    return (a + 2 * b) % 3;
}

/* Blocks of counts[] laid out in reverse rank order with a one-element gap
 * after each; returns the buffer length. */
static int reversed_displs(int size, const int *counts, int *displs)
{
    int d = 0;
    for (int j = size - 1; j >= 0; j--) {
        displs[j] = d;
        d += counts[j] + 1;
    }
    return d;
}

/* buf[0..len) must hold block j element k == tag3(j, me, k) at displs[j],
 * SENTINEL elsewhere. */
static void check_vblocks(const struct nb *s, const int *buf, int len,
                          const int *counts, const int *displs, int me)
{
    int *expect = int_buf(len, SENTINEL);
    for (int j = 0; j < s->size; j++)
        for (int k = 0; k < counts[j]; k++)
            expect[displs[j] + k] = tag3(j, me, k);
    for (int i = 0; i < len; i++)
        CHECK(buf[i] == expect[i], "%s %s [%d] = %d, expected %d", s->mode,
              s->name, i, buf[i], expect[i]);
    free(expect);
}

/* ---- the collectives: start() posts, check() verifies --------------- */

static void start_ibarrier(struct nb *s, MPI_Request *req)
{
    CHECK_MPI(MPI_Ibarrier(s->comm, req));
}

static void check_ibarrier(struct nb *s)
{
    (void)s; /* completing is all a barrier shows */
}

/* Large enough (256 KiB) that the broadcast needs several rounds of
 * progress. */
enum { BCAST_N = 1 << 16 };

static void start_ibcast(struct nb *s, MPI_Request *req)
{
    s->recv = int_buf(BCAST_N, SENTINEL);
    if (s->rank == s->root)
        for (int i = 0; i < BCAST_N; i++)
            s->recv[i] = i * 3 + s->root;
    CHECK_MPI(MPI_Ibcast(s->recv, BCAST_N, MPI_INT, s->root, s->comm, req));
}

static void check_ibcast(struct nb *s)
{
    int bad = 0;
    for (int i = 0; i < BCAST_N; i++)
        bad += s->recv[i] != i * 3 + s->root;
    CHECK(bad == 0, "%s Ibcast: %d wrong elements", s->mode, bad);
}

static void start_ireduce(struct nb *s, MPI_Request *req)
{
    s->send = int_buf(4, 0);
    s->recv = int_buf(4, SENTINEL);
    for (int i = 0; i < 4; i++)
        s->send[i] = s->rank * 10 + i;
    CHECK_MPI(MPI_Ireduce(s->send, s->rank == s->root ? s->recv : NULL, 4,
                          MPI_INT, MPI_SUM, s->root, s->comm, req));
}

static void check_ireduce(struct nb *s)
{
    if (s->rank != s->root)
        return;
    for (int i = 0; i < 4; i++)
        CHECK(s->recv[i] == 10 * (s->size * (s->size - 1) / 2) + s->size * i,
              "%s Ireduce [%d] = %d", s->mode, i, s->recv[i]);
}

static void start_iallreduce(struct nb *s, MPI_Request *req)
{
    s->send = int_buf(4, 0);
    s->recv = int_buf(4, SENTINEL);
    for (int i = 0; i < 4; i++)
        s->send[i] = s->rank * 10 + i;
    CHECK_MPI(MPI_Iallreduce(s->send, s->recv, 4, MPI_INT, MPI_SUM, s->comm,
                             req));
}

static void check_iallreduce(struct nb *s)
{
    for (int i = 0; i < 4; i++)
        CHECK(s->recv[i] == 10 * (s->size * (s->size - 1) / 2) + s->size * i,
              "%s Iallreduce [%d] = %d", s->mode, i, s->recv[i]);
}

static void start_iallreduce_inplace(struct nb *s, MPI_Request *req)
{
    s->recv = int_buf(4, 0);
    for (int i = 0; i < 4; i++)
        s->recv[i] = (s->rank * 7 + i * 5) % 9;
    CHECK_MPI(MPI_Iallreduce(MPI_IN_PLACE, s->recv, 4, MPI_INT, MPI_MAX,
                             s->comm, req));
}

static void check_iallreduce_inplace(struct nb *s)
{
    for (int i = 0; i < 4; i++) {
        int want = 0;
        for (int r = 0; r < s->size; r++)
            if ((r * 7 + i * 5) % 9 > want)
                want = (r * 7 + i * 5) % 9;
        CHECK(s->recv[i] == want, "%s Iallreduce IN_PLACE [%d] = %d, "
              "expected %d", s->mode, i, s->recv[i], want);
    }
}

/* The user ops: gcd (commutative) and 2x2 integer matrix product
 * (non-commutative; MPI passes the lower ranks' operand as `in`, so
 * inout = in * inout yields M_0 * M_1 * ... in rank order). */
static int gcd(int a, int b)
{
    while (b != 0) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static void gcd_op(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    (void)dt;
    const int *a = in;
    int *b = inout;
    for (int i = 0; i < *len; i++)
        b[i] = gcd(a[i], b[i]);
}

static void matmul(const int *x, const int *y, int *out)
{
    int r[4] = {x[0] * y[0] + x[1] * y[2], x[0] * y[1] + x[1] * y[3],
                x[2] * y[0] + x[3] * y[2], x[2] * y[1] + x[3] * y[3]};
    memcpy(out, r, sizeof r);
}

static void matmul_op(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    (void)dt;
    const int *a = in;
    int *b = inout;
    for (int i = 0; i < *len; i++)
        matmul(a + 4 * i, b + 4 * i, b + 4 * i);
}

/* Rank r's matrix i: alternating upper and lower shears, which do not
 * commute, so any reordering changes the product. */
static void rank_matrix(int r, int i, int *m)
{
    int sh = (r + i) % 3 + 1;
    int upper = (r + i) % 2 == 0;
    m[0] = 1, m[1] = upper ? sh : 0, m[2] = upper ? 0 : sh, m[3] = 1;
}

static void start_iallreduce_user(struct nb *s, MPI_Request *req)
{
    s->send = int_buf(12, 0);
    s->recv = int_buf(12, SENTINEL);
    for (int i = 0; i < 3; i++)
        rank_matrix(s->rank, i, s->send + 4 * i);
    CHECK_MPI(MPI_Iallreduce(s->send, s->recv, 3, mat_t, matmul_h, s->comm,
                             req));
}

static void check_iallreduce_user(struct nb *s)
{
    for (int i = 0; i < 3; i++) {
        int want[4] = {1, 0, 0, 1};
        for (int r = 0; r < s->size; r++) {
            int m[4];
            rank_matrix(r, i, m);
            matmul(want, m, want);
        }
        const int *got = s->recv + 4 * i;
        CHECK(memcmp(got, want, sizeof want) == 0,
              "%s Iallreduce matmul %d = [%d %d; %d %d], expected "
              "[%d %d; %d %d]", s->mode, i, got[0], got[1], got[2], got[3],
              want[0], want[1], want[2], want[3]);
    }
}

static void start_iallreduce_gcd(struct nb *s, MPI_Request *req)
{
    s->recv = int_buf(4, 0);
    for (int i = 0; i < 4; i++)
        s->recv[i] = (i + 1) * (s->rank + 1) * 6;
    CHECK_MPI(MPI_Iallreduce(MPI_IN_PLACE, s->recv, 4, MPI_INT, gcd_h,
                             s->comm, req));
}

static void check_iallreduce_gcd(struct nb *s)
{
    /* gcd over r of (i+1)*(r+1)*6 is (i+1)*6 */
    for (int i = 0; i < 4; i++)
        CHECK(s->recv[i] == (i + 1) * 6, "%s Iallreduce gcd [%d] = %d",
              s->mode, i, s->recv[i]);
}

static void start_igather(struct nb *s, MPI_Request *req)
{
    s->send = int_buf(2, 0);
    s->recv = int_buf(2 * s->size, SENTINEL);
    for (int k = 0; k < 2; k++)
        s->send[k] = tag3(s->rank, s->root, k);
    CHECK_MPI(MPI_Igather(s->send, 2, MPI_INT,
                          s->rank == s->root ? s->recv : NULL, 2, MPI_INT,
                          s->root, s->comm, req));
}

static void check_igather(struct nb *s)
{
    if (s->rank != s->root)
        return;
    for (int i = 0; i < 2 * s->size; i++)
        CHECK(s->recv[i] == tag3(i / 2, s->root, i % 2),
              "%s Igather [%d] = %d", s->mode, i, s->recv[i]);
}

static void start_igatherv(struct nb *s, MPI_Request *req)
{
    s->rc = int_buf(s->size, 0);
    s->rd = int_buf(s->size, 0);
    for (int j = 0; j < s->size; j++)
        s->rc[j] = vcount(j);
    s->len = reversed_displs(s->size, s->rc, s->rd);
    s->send = int_buf(2, 0);
    s->recv = int_buf(s->len, SENTINEL);
    for (int k = 0; k < vcount(s->rank); k++)
        s->send[k] = tag3(s->rank, s->root, k);
    CHECK_MPI(MPI_Igatherv(s->send, vcount(s->rank), MPI_INT,
                           s->rank == s->root ? s->recv : NULL, s->rc, s->rd,
                           MPI_INT, s->root, s->comm, req));
}

static void check_igatherv(struct nb *s)
{
    if (s->rank == s->root)
        check_vblocks(s, s->recv, s->len, s->rc, s->rd, s->root);
}

static void start_iscatter(struct nb *s, MPI_Request *req)
{
    s->send = int_buf(2 * s->size, 0);
    s->recv = int_buf(3, SENTINEL);
    for (int i = 0; i < 2 * s->size; i++)
        s->send[i] = tag3(s->root, i / 2, i % 2);
    CHECK_MPI(MPI_Iscatter(s->rank == s->root ? s->send : NULL, 2, MPI_INT,
                           s->recv, 2, MPI_INT, s->root, s->comm, req));
}

static void check_iscatter(struct nb *s)
{
    for (int k = 0; k < 3; k++) {
        int want = k < 2 ? tag3(s->root, s->rank, k) : SENTINEL;
        CHECK(s->recv[k] == want, "%s Iscatter [%d] = %d, expected %d",
              s->mode, k, s->recv[k], want);
    }
}

static void start_iscatterv(struct nb *s, MPI_Request *req)
{
    s->sc = int_buf(s->size, 0);
    s->sd = int_buf(s->size, 0);
    for (int j = 0; j < s->size; j++)
        s->sc[j] = vcount(j);
    int len = reversed_displs(s->size, s->sc, s->sd);
    s->send = int_buf(len, SENTINEL);
    s->recv = int_buf(3, SENTINEL);
    for (int j = 0; j < s->size; j++)
        for (int k = 0; k < s->sc[j]; k++)
            s->send[s->sd[j] + k] = tag3(s->root, j, k);
    CHECK_MPI(MPI_Iscatterv(s->rank == s->root ? s->send : NULL, s->sc, s->sd,
                            MPI_INT, s->recv, vcount(s->rank), MPI_INT,
                            s->root, s->comm, req));
}

static void check_iscatterv(struct nb *s)
{
    for (int k = 0; k < 3; k++) {
        int want = k < vcount(s->rank) ? tag3(s->root, s->rank, k) : SENTINEL;
        CHECK(s->recv[k] == want, "%s Iscatterv [%d] = %d, expected %d",
              s->mode, k, s->recv[k], want);
    }
}

static void start_iallgather(struct nb *s, MPI_Request *req)
{
    s->send = int_buf(2, 0);
    s->recv = int_buf(2 * s->size, SENTINEL);
    for (int k = 0; k < 2; k++)
        s->send[k] = tag3(s->rank, 0, k);
    CHECK_MPI(MPI_Iallgather(s->send, 2, MPI_INT, s->recv, 2, MPI_INT,
                             s->comm, req));
}

static void check_iallgather(struct nb *s)
{
    for (int i = 0; i < 2 * s->size; i++)
        CHECK(s->recv[i] == tag3(i / 2, 0, i % 2), "%s Iallgather [%d] = %d",
              s->mode, i, s->recv[i]);
}

static void start_iallgatherv(struct nb *s, MPI_Request *req)
{
    s->rc = int_buf(s->size, 0);
    s->rd = int_buf(s->size, 0);
    for (int j = 0; j < s->size; j++)
        s->rc[j] = vcount(j);
    s->len = reversed_displs(s->size, s->rc, s->rd);
    s->send = int_buf(2, 0);
    s->recv = int_buf(s->len, SENTINEL);
    for (int k = 0; k < vcount(s->rank); k++)
        s->send[k] = tag3(s->rank, 0, k);
    CHECK_MPI(MPI_Iallgatherv(s->send, vcount(s->rank), MPI_INT, s->recv,
                              s->rc, s->rd, MPI_INT, s->comm, req));
}

static void check_iallgatherv(struct nb *s)
{
    check_vblocks(s, s->recv, s->len, s->rc, s->rd, 0);
}

static void start_ialltoall(struct nb *s, MPI_Request *req)
{
    s->send = int_buf(2 * s->size, 0);
    s->recv = int_buf(2 * s->size, SENTINEL);
    for (int i = 0; i < 2 * s->size; i++)
        s->send[i] = tag3(s->rank, i / 2, i % 2);
    CHECK_MPI(MPI_Ialltoall(s->send, 2, MPI_INT, s->recv, 2, MPI_INT, s->comm,
                            req));
}

static void check_ialltoall(struct nb *s)
{
    for (int i = 0; i < 2 * s->size; i++)
        CHECK(s->recv[i] == tag3(i / 2, s->rank, i % 2),
              "%s Ialltoall [%d] = %d", s->mode, i, s->recv[i]);
}

static void start_ialltoallv(struct nb *s, MPI_Request *req)
{
    s->sc = int_buf(s->size, 0);
    s->sd = int_buf(s->size, 0);
    s->rc = int_buf(s->size, 0);
    s->rd = int_buf(s->size, 0);
    for (int j = 0; j < s->size; j++) {
        s->sc[j] = a2a_count(s->rank, j);
        s->rc[j] = a2a_count(j, s->rank);
        s->rd[j] = s->len; /* receive in rank order, one-element gaps */
        s->len += s->rc[j] + 1;
    }
    int slen = reversed_displs(s->size, s->sc, s->sd);
    s->send = int_buf(slen, SENTINEL);
    s->recv = int_buf(s->len, SENTINEL);
    for (int j = 0; j < s->size; j++)
        for (int k = 0; k < s->sc[j]; k++)
            s->send[s->sd[j] + k] = tag3(s->rank, j, k);
    CHECK_MPI(MPI_Ialltoallv(s->send, s->sc, s->sd, MPI_INT, s->recv, s->rc,
                             s->rd, MPI_INT, s->comm, req));
}

static void check_ialltoallv(struct nb *s)
{
    check_vblocks(s, s->recv, s->len, s->rc, s->rd, s->rank);
}

/* Ialltoallw: two ints to every peer, described differently on each side:
 * sent to odd peers as one "pair" (contiguous 2 ints) and to even peers as
 * 2 MPI_INT; received from even peers as one pair, from odd peers as 2
 * MPI_INT. Receive blocks are in reverse rank order (byte displacements). */
static void start_ialltoallw(struct nb *s, MPI_Request *req)
{
    CHECK_MPI(MPI_Type_contiguous(2, MPI_INT, &s->pair));
    CHECK_MPI(MPI_Type_commit(&s->pair));
    s->send = int_buf(2 * s->size, 0);
    s->recv = int_buf(2 * s->size, SENTINEL);
    s->sc = int_buf(s->size, 0);
    s->sd = int_buf(s->size, 0);
    s->rc = int_buf(s->size, 0);
    s->rd = int_buf(s->size, 0);
    s->st = malloc(sizeof(MPI_Datatype) * (size_t)s->size);
    s->rt = malloc(sizeof(MPI_Datatype) * (size_t)s->size);
    for (int j = 0; j < s->size; j++) {
        s->send[2 * j] = tag3(s->rank, j, 0);
        s->send[2 * j + 1] = tag3(s->rank, j, 1);
        s->sd[j] = (int)(2 * j * sizeof(int));
        s->sc[j] = j % 2 ? 1 : 2;
        s->st[j] = j % 2 ? s->pair : MPI_INT;
        s->rd[j] = (int)(2 * (s->size - 1 - j) * sizeof(int));
        s->rc[j] = j % 2 ? 2 : 1;
        s->rt[j] = j % 2 ? MPI_INT : s->pair;
    }
    CHECK_MPI(MPI_Ialltoallw(s->send, s->sc, s->sd, s->st, s->recv, s->rc,
                             s->rd, s->rt, s->comm, req));
}

static void check_ialltoallw(struct nb *s)
{
    for (int j = 0; j < s->size; j++)
        for (int k = 0; k < 2; k++) {
            int got = s->recv[2 * (s->size - 1 - j) + k];
            CHECK(got == tag3(j, s->rank, k),
                  "%s Ialltoallw from %d [%d] = %d", s->mode, j, k, got);
        }
}

/* Reduce_scatter inputs: rank r's element e is r*7 + e, so the sum of
 * element e is 7 * sum(r) + size * e. */
static int rs_sum(const struct nb *s, int e)
{
    return 7 * (s->size * (s->size - 1) / 2) + s->size * e;
}

static void start_ireduce_scatter(struct nb *s, MPI_Request *req)
{
    s->rc = int_buf(s->size, 0);
    int total = 0;
    for (int j = 0; j < s->size; j++)
        total += s->rc[j] = vcount(j);
    s->send = int_buf(total, 0);
    s->recv = int_buf(3, SENTINEL);
    for (int e = 0; e < total; e++)
        s->send[e] = s->rank * 7 + e;
    CHECK_MPI(MPI_Ireduce_scatter(s->send, s->recv, s->rc, MPI_INT, MPI_SUM,
                                  s->comm, req));
}

static void check_ireduce_scatter(struct nb *s)
{
    int first = 0;
    for (int j = 0; j < s->rank; j++)
        first += s->rc[j];
    for (int k = 0; k < 3; k++) {
        int want = k < s->rc[s->rank] ? rs_sum(s, first + k) : SENTINEL;
        CHECK(s->recv[k] == want, "%s Ireduce_scatter [%d] = %d, expected %d",
              s->mode, k, s->recv[k], want);
    }
}

static void start_ireduce_scatter_block(struct nb *s, MPI_Request *req)
{
    s->send = int_buf(2 * s->size, 0);
    s->recv = int_buf(3, SENTINEL);
    for (int e = 0; e < 2 * s->size; e++)
        s->send[e] = s->rank * 7 + e;
    CHECK_MPI(MPI_Ireduce_scatter_block(s->send, s->recv, 2, MPI_INT, MPI_SUM,
                                        s->comm, req));
}

static void check_ireduce_scatter_block(struct nb *s)
{
    for (int k = 0; k < 3; k++) {
        int want = k < 2 ? rs_sum(s, 2 * s->rank + k) : SENTINEL;
        CHECK(s->recv[k] == want,
              "%s Ireduce_scatter_block [%d] = %d, expected %d", s->mode, k,
              s->recv[k], want);
    }
}

static void start_iscan(struct nb *s, MPI_Request *req)
{
    s->send = int_buf(3, 0);
    s->recv = int_buf(3, SENTINEL);
    for (int k = 0; k < 3; k++)
        s->send[k] = (s->rank + 1) * (k + 1);
    CHECK_MPI(MPI_Iscan(s->send, s->recv, 3, MPI_INT, MPI_SUM, s->comm, req));
}

static void check_iscan(struct nb *s)
{
    for (int k = 0; k < 3; k++)
        CHECK(s->recv[k] == (k + 1) * (s->rank + 1) * (s->rank + 2) / 2,
              "%s Iscan [%d] = %d", s->mode, k, s->recv[k]);
}

static void start_iexscan(struct nb *s, MPI_Request *req)
{
    s->send = int_buf(3, 0);
    s->recv = int_buf(3, SENTINEL);
    for (int k = 0; k < 3; k++)
        s->send[k] = (s->rank + 1) * (k + 1);
    CHECK_MPI(MPI_Iexscan(s->send, s->recv, 3, MPI_INT, MPI_SUM, s->comm,
                          req));
}

static void check_iexscan(struct nb *s)
{
    if (s->rank == 0) /* undefined at rank 0 */
        return;
    for (int k = 0; k < 3; k++)
        CHECK(s->recv[k] == (k + 1) * s->rank * (s->rank + 1) / 2,
              "%s Iexscan [%d] = %d", s->mode, k, s->recv[k]);
}

static const struct nb_op ops[] = {
    {"Ibarrier", start_ibarrier, check_ibarrier},
    {"Ibcast", start_ibcast, check_ibcast},
    {"Ireduce", start_ireduce, check_ireduce},
    {"Iallreduce", start_iallreduce, check_iallreduce},
    {"Iallreduce IN_PLACE", start_iallreduce_inplace,
     check_iallreduce_inplace},
    {"Iallreduce matmul", start_iallreduce_user, check_iallreduce_user},
    {"Iallreduce gcd", start_iallreduce_gcd, check_iallreduce_gcd},
    {"Igather", start_igather, check_igather},
    {"Igatherv", start_igatherv, check_igatherv},
    {"Iscatter", start_iscatter, check_iscatter},
    {"Iscatterv", start_iscatterv, check_iscatterv},
    {"Iallgather", start_iallgather, check_iallgather},
    {"Iallgatherv", start_iallgatherv, check_iallgatherv},
    {"Ialltoall", start_ialltoall, check_ialltoall},
    {"Ialltoallv", start_ialltoallv, check_ialltoallv},
    {"Ialltoallw", start_ialltoallw, check_ialltoallw},
    {"Ireduce_scatter", start_ireduce_scatter, check_ireduce_scatter},
    {"Ireduce_scatter_block", start_ireduce_scatter_block,
     check_ireduce_scatter_block},
    {"Iscan", start_iscan, check_iscan},
    {"Iexscan", start_iexscan, check_iexscan},
};
enum { NOPS = sizeof ops / sizeof ops[0] };

/* Starts ops[i] on comm with the given root. */
static void nb_start(struct nb *s, int i, MPI_Comm comm, int root,
                     const char *mode, MPI_Request *req)
{
    memset(s, 0, sizeof *s);
    s->name = ops[i].name;
    s->mode = mode;
    s->comm = comm;
    s->root = root;
    s->pair = MPI_DATATYPE_NULL;
    MPI_Comm_rank(comm, &s->rank);
    MPI_Comm_size(comm, &s->size);
    ops[i].start(s, req);
}

static void nb_finish(struct nb *s, int i, MPI_Request req)
{
    CHECK(req == MPI_REQUEST_NULL, "%s %s: request not freed on completion",
          s->mode, s->name);
    ops[i].check(s);
    nb_release(s);
}

/* Everything outstanding on two communicators at once, the starts
 * alternating between them, one Waitall. */
static void run_waitall(MPI_Comm a, MPI_Comm b)
{
    struct nb st[2 * NOPS];
    MPI_Request req[2 * NOPS];
    int size_a, size_b;
    MPI_Comm_size(a, &size_a);
    MPI_Comm_size(b, &size_b);
    for (int i = 0; i < NOPS; i++) {
        nb_start(&st[2 * i], i, a, size_a - 1, "Waitall/world", &req[2 * i]);
        nb_start(&st[2 * i + 1], i, b, 0, "Waitall/reversed",
                 &req[2 * i + 1]);
    }
    CHECK_MPI(MPI_Waitall(2 * NOPS, req, MPI_STATUSES_IGNORE));
    for (int i = 0; i < 2 * NOPS; i++)
        nb_finish(&st[i], i / 2, req[i]);
}

/* Collectives outstanding while point-to-point messages flow: a ring
 * Irecv/Isend posted before them, a blocking Sendrecv ring issued after
 * them (it must complete while they are pending), everything completed
 * together by Waitany. */
static void run_with_p2p(MPI_Comm comm)
{
    enum { P2P = 2, N = 64 };
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int left = (rank + size - 1) % size, right = (rank + 1) % size;
    int out[N], in[N], sr_out = rank * 3, sr_in = -1;
    for (int i = 0; i < N; i++)
        out[i] = tag3(rank, right, i), in[i] = SENTINEL;

    struct nb st[NOPS];
    MPI_Request req[P2P + NOPS];
    CHECK_MPI(MPI_Irecv(in, N, MPI_INT, left, 11, comm, &req[0]));
    CHECK_MPI(MPI_Isend(out, N, MPI_INT, right, 11, comm, &req[1]));
    for (int i = 0; i < NOPS; i++)
        nb_start(&st[i], i, comm, size / 2, "Waitany+p2p", &req[P2P + i]);
    CHECK_MPI(MPI_Sendrecv(&sr_out, 1, MPI_INT, left, 12, &sr_in, 1, MPI_INT,
                           right, 12, comm, MPI_STATUS_IGNORE));
    CHECK(sr_in == right * 3, "Sendrecv during collectives got %d", sr_in);

    int seen[P2P + NOPS] = {0};
    for (int done = 0; done < P2P + NOPS; done++) {
        int idx;
        CHECK_MPI(MPI_Waitany(P2P + NOPS, req, &idx, MPI_STATUS_IGNORE));
        CHECK(idx >= 0 && idx < P2P + NOPS && !seen[idx],
              "Waitany returned index %d twice or out of range", idx);
        if (idx >= 0 && idx < P2P + NOPS)
            seen[idx] = 1;
    }
    int idx;
    CHECK_MPI(MPI_Waitany(P2P + NOPS, req, &idx, MPI_STATUS_IGNORE));
    CHECK(idx == MPI_UNDEFINED, "Waitany with nothing active returned %d",
          idx);
    for (int i = 0; i < N; i++)
        CHECK(in[i] == tag3(left, rank, i), "ring p2p [%d] = %d", i, in[i]);
    for (int i = 0; i < NOPS; i++)
        nb_finish(&st[i], i, req[P2P + i]);
}

/* One at a time, each completed by spinning on MPI_Test. */
static void run_test_loops(MPI_Comm comm)
{
    int size;
    MPI_Comm_size(comm, &size);
    for (int i = 0; i < NOPS; i++) {
        struct nb st;
        MPI_Request req;
        int flag = 0;
        nb_start(&st, i, comm, i % size, "Test loop", &req);
        while (!flag)
            CHECK_MPI(MPI_Test(&req, &flag, MPI_STATUS_IGNORE));
        nb_finish(&st, i, req);
    }
}

/* All outstanding, completed by a Testsome loop; each index must be
 * reported exactly once. */
static void run_testsome(MPI_Comm comm)
{
    struct nb st[NOPS];
    MPI_Request req[NOPS];
    int idx[NOPS], seen[NOPS] = {0}, done = 0;
    for (int i = 0; i < NOPS; i++)
        nb_start(&st[i], i, comm, 0, "Testsome loop", &req[i]);
    while (done < NOPS) {
        int n;
        CHECK_MPI(MPI_Testsome(NOPS, req, &n, idx, MPI_STATUSES_IGNORE));
        if (n == MPI_UNDEFINED) {
            CHECK(0, "Testsome found no active request with %d left",
                  NOPS - done);
            break;
        }
        for (int k = 0; k < n; k++) {
            CHECK(!seen[idx[k]], "Testsome reported %d twice", idx[k]);
            seen[idx[k]] = 1;
        }
        done += n;
    }
    for (int i = 0; i < NOPS; i++)
        nb_finish(&st[i], i, req[i]);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    check_init("coll_nonblocking");
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    CHECK_MPI(MPI_Op_create(matmul_op, 0, &matmul_h));
    CHECK_MPI(MPI_Op_create(gcd_op, 1, &gcd_h));
    CHECK_MPI(MPI_Type_contiguous(4, MPI_INT, &mat_t));
    CHECK_MPI(MPI_Type_commit(&mat_t));
    /* Rank r of `reversed` is rank size-1-r of MPI_COMM_WORLD. */
    MPI_Comm reversed;
    CHECK_MPI(MPI_Comm_split(MPI_COMM_WORLD, 0, size - 1 - rank, &reversed));

    run_waitall(MPI_COMM_WORLD, reversed);
    run_with_p2p(MPI_COMM_WORLD);
    run_with_p2p(reversed);
    run_test_loops(MPI_COMM_WORLD);
    run_testsome(reversed);

    CHECK_MPI(MPI_Comm_free(&reversed));
    CHECK_MPI(MPI_Type_free(&mat_t));
    CHECK_MPI(MPI_Op_free(&gcd_h));
    CHECK_MPI(MPI_Op_free(&matmul_h));
    return check_finish();
}
