/*
 * coll_blocking.c — blocking collectives on intracommunicators.
 *
 * Exercises: Barrier; Bcast from several roots and of several types (one
 * large enough to need a pipelined algorithm); Reduce and Allreduce with
 * every predefined operation on int, long long, double, signed char and
 * unsigned char where the standard allows it, and MAXLOC/MINLOC on MPI_2INT
 * and MPI_DOUBLE_INT; Gather(v), Scatter(v), Allgather(v), Alltoall(v,w),
 * Reduce_scatter(_block), Scan, Exscan; MPI_IN_PLACE for Allreduce, Reduce
 * and Gather at the root, Allgather, Scan, Reduce_scatter_block and
 * Alltoall; user operations from MPI_Op_create — a commutative one (gcd)
 * and a non-commutative one (2x2 integer matrix product, whose result must
 * be the product in rank order) — with Op_commutative, Reduce_local and
 * Op_free. Every test runs on MPI_COMM_WORLD and again on a communicator
 * whose ranks are those of MPI_COMM_WORLD reversed, so that a layer that
 * translates ranks between communicators is caught mixing them up.
 *
 * Invariants: all inputs are small integers (or doubles that are exact
 * binary fractions), so every result is exact whatever order the library
 * combines them in, and is checked for equality against a value each rank
 * computes on its own. Receive buffers start filled with SENTINEL and the
 * parts that must not be written (gaps between v-variant blocks, elements
 * past a count) are checked to still hold it. Counts vary by rank and
 * include zero. Output is only the PASS line (check.h).
 */
#include <stdlib.h>
#include <string.h>

#include "tests/mpi/check.h"

#define SENTINEL (-7777)

/* Rooted collectives are tried with the first and the last rank as root
 * (just rank 0 when there is one rank). */
#define FOR_EACH_ROOT(root, size)                                            \
    for (int root = 0; root < (size); root += (size) > 1 ? (size) - 1 : 1)

/* A receive or send buffer of n ints, all set to v (n may be 0). */
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

/* The value rank r puts in element k of the block it sends to rank j: every
 * (sender, receiver, position) gives a different number. */
static int tag3(int r, int j, int k)
{
    return r * 10000 + j * 100 + k;
}

/* Element count of the v-variant block of rank j: 1, 2, 0, 1, 2, 0, ... */
static int vcount(int j)
{
    return (j + 1) % 3;
}

/* Displacements that lay the blocks of counts[] out in reverse rank order
 * with a one-element gap after each block, so a library that ignores
 * displacements (or assumes they grow with rank) writes to the wrong place.
 * Returns the buffer length needed. */
static int reversed_displs(int size, const int *counts, int *displs)
{
    int d = 0;
    for (int j = size - 1; j >= 0; j--) {
        displs[j] = d;
        d += counts[j] + 1;
    }
    return d;
}

/* Checks that buf[0..len) holds the v-variant blocks of counts/displs,
 * block j element k equal to tag3(j, me, k), and SENTINEL everywhere
 * else. */
static void check_vblocks(const int *buf, int len, int size, const int *counts,
                          const int *displs, int me, const char *what)
{
    int *expect = int_buf(len, SENTINEL);
    for (int j = 0; j < size; j++)
        for (int k = 0; k < counts[j]; k++)
            expect[displs[j] + k] = tag3(j, me, k);
    for (int i = 0; i < len; i++)
        CHECK(buf[i] == expect[i], "%s: element %d is %d, expected %d", what,
              i, buf[i], expect[i]);
    free(expect);
}

static void test_barrier(MPI_Comm comm)
{
    /* No outcome of a barrier is observable without timing; check that
     * repeated barriers complete and return success. */
    for (int i = 0; i < 3; i++)
        CHECK_MPI(MPI_Barrier(comm));
}

static void test_bcast(MPI_Comm comm)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    const int roots[] = {0, size / 2, size - 1};

    for (int ri = 0; ri < 3; ri++) {
        int root = roots[ri];
        int iv[7];
        long long lv[3];
        double dv[4];
        char text[16];
        for (int i = 0; i < 7; i++)
            iv[i] = rank == root ? tag3(root, ri, i) : SENTINEL;
        for (int i = 0; i < 3; i++)
            lv[i] = rank == root ? (1LL << 40) * (i + 1) + root : 0;
        for (int i = 0; i < 4; i++)
            dv[i] = rank == root ? 0.125 * i + root : -1.0;
        memset(text, rank == root ? 0 : 'x', sizeof text);
        if (rank == root)
            snprintf(text, sizeof text, "root %d says hi", root);

        CHECK_MPI(MPI_Bcast(iv, 7, MPI_INT, root, comm));
        CHECK_MPI(MPI_Bcast(lv, 3, MPI_LONG_LONG, root, comm));
        CHECK_MPI(MPI_Bcast(dv, 4, MPI_DOUBLE, root, comm));
        CHECK_MPI(MPI_Bcast(text, (int)sizeof text, MPI_CHAR, root, comm));

        char want[16] = {0};
        snprintf(want, sizeof want, "root %d says hi", root);
        for (int i = 0; i < 7; i++)
            CHECK(iv[i] == tag3(root, ri, i), "bcast int root %d [%d] = %d",
                  root, i, iv[i]);
        for (int i = 0; i < 3; i++)
            CHECK(lv[i] == (1LL << 40) * (i + 1) + root,
                  "bcast long long root %d [%d]", root, i);
        for (int i = 0; i < 4; i++)
            CHECK(dv[i] == 0.125 * i + root, "bcast double root %d [%d] = %g",
                  root, i, dv[i]);
        CHECK(memcmp(text, want, sizeof want) == 0,
              "bcast char root %d: %.16s", root, text);
    }

    /* 1 MiB: past the eager limit, so the library segments or pipelines. */
    const int n = 1 << 18;
    int root = size - 1;
    int *big = int_buf(n, SENTINEL);
    if (rank == root)
        for (int i = 0; i < n; i++)
            big[i] = i ^ 0x5a5a;
    CHECK_MPI(MPI_Bcast(big, n, MPI_INT, root, comm));
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += big[i] != (i ^ 0x5a5a);
    CHECK(bad == 0, "large bcast: %d wrong elements", bad);
    free(big);
}

/* ---- predefined operations ------------------------------------------- */

enum elem { E_INT, E_LLONG, E_DOUBLE, E_SCHAR, E_UCHAR };

struct elem_type {
    enum elem e;
    MPI_Datatype dt;
    const char *name;
    int integer; /* a "C integer" type: logical and bitwise ops allowed */
};

struct op_info {
    MPI_Op op;
    const char *name;
    int integer_only;
};

static void put_elem(enum elem e, void *buf, int i, long long v)
{
    switch (e) {
    case E_INT: ((int *)buf)[i] = (int)v; break;
    case E_LLONG: ((long long *)buf)[i] = v; break;
    case E_DOUBLE: ((double *)buf)[i] = (double)v; break;
    case E_SCHAR: ((signed char *)buf)[i] = (signed char)v; break;
    case E_UCHAR: ((unsigned char *)buf)[i] = (unsigned char)v; break;
    }
}

static long long get_elem(enum elem e, const void *buf, int i)
{
    switch (e) {
    case E_INT: return ((const int *)buf)[i];
    case E_LLONG: return ((const long long *)buf)[i];
    case E_DOUBLE: return (long long)((const double *)buf)[i];
    case E_SCHAR: return ((const signed char *)buf)[i];
    case E_UCHAR: return ((const unsigned char *)buf)[i];
    }
    return 0;
}

/* What rank r contributes at element i to a reduction with op. Values stay
 * in 0..127 and folds over 8 ranks stay in range for signed char, so one
 * table serves every type. Logical inputs use nonzero values other than 1
 * to check they are treated as true. */
static long long contrib(MPI_Op op, int r, int i)
{
    if (op == MPI_SUM)
        return (r * 3 + i) % 16;
    if (op == MPI_PROD)
        return (i == 4 && r == 0) ? 0 : (r % 3 == i % 3) ? 2 : 1;
    if (op == MPI_MAX || op == MPI_MIN)
        return (r * 5 + i * 3) % 11;
    if (op == MPI_LAND || op == MPI_LOR || op == MPI_LXOR) {
        /* element 0 all true, element 1 all false, the rest mixed */
        int truth = i == 0 ? 1 : i == 1 ? 0 : (r * i) % 3 != 0;
        return truth ? r % 3 + 1 : 0;
    }
    if (op == MPI_BAND)
        return 0x7f ^ (1 << ((r * 2 + i) % 7));
    if (op == MPI_BOR)
        return 1 << ((r * 2 + i) % 7);
    return (r * 37 + i * 11 + 5) & 0x7f; /* MPI_BXOR */
}

static long long fold(MPI_Op op, long long a, long long b)
{
    if (op == MPI_SUM) return a + b;
    if (op == MPI_PROD) return a * b;
    if (op == MPI_MAX) return a > b ? a : b;
    if (op == MPI_MIN) return a < b ? a : b;
    if (op == MPI_LAND) return a && b;
    if (op == MPI_LOR) return a || b;
    if (op == MPI_LXOR) return !a != !b;
    if (op == MPI_BAND) return a & b;
    if (op == MPI_BOR) return a | b;
    return a ^ b; /* MPI_BXOR */
}

static int is_logical(MPI_Op op)
{
    return op == MPI_LAND || op == MPI_LOR || op == MPI_LXOR;
}

/* One predefined op on one type, through Allreduce and through Reduce to
 * the last rank (whose tree differs from the root-0 default). */
static void check_predefined(MPI_Comm comm, const struct elem_type *t,
                             const struct op_info *o)
{
    enum { N = 6 };
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    long long in_store[N], out_store[N]; /* aligned for any tested type */
    void *in = in_store, *out = out_store;
    for (int i = 0; i < N; i++)
        put_elem(t->e, in, i, contrib(o->op, rank, i));

    for (int via_reduce = 0; via_reduce < 2; via_reduce++) {
        int root = size - 1;
        memset(out_store, 0x55, sizeof out_store);
        if (via_reduce)
            CHECK_MPI(MPI_Reduce(in, rank == root ? out : NULL, N, t->dt,
                                 o->op, root, comm));
        else
            CHECK_MPI(MPI_Allreduce(in, out, N, t->dt, o->op, comm));
        if (via_reduce && rank != root)
            continue;
        for (int i = 0; i < N; i++) {
            long long want = contrib(o->op, 0, i);
            for (int r = 1; r < size; r++)
                want = fold(o->op, want, contrib(o->op, r, i));
            long long got = get_elem(t->e, out, i);
            /* The standard gives the truth of a logical result, not the
             * value that represents "true". */
            if (is_logical(o->op))
                got = got != 0, want = want != 0;
            CHECK(got == want, "%s %s on %s [%d]: got %lld, expected %lld",
                  via_reduce ? "Reduce" : "Allreduce", o->name, t->name, i,
                  got, want);
        }
    }
}

static void test_predefined_ops(MPI_Comm comm)
{
    /* MPI_CHAR is a character type, not a C integer: the standard allows
     * no reduction on it, so chars are reduced as signed/unsigned char. */
    const struct elem_type types[] = {
        {E_INT, MPI_INT, "int", 1},
        {E_LLONG, MPI_LONG_LONG, "long long", 1},
        {E_DOUBLE, MPI_DOUBLE, "double", 0},
        {E_SCHAR, MPI_SIGNED_CHAR, "signed char", 1},
        {E_UCHAR, MPI_UNSIGNED_CHAR, "unsigned char", 1},
    };
    const struct op_info ops[] = {
        {MPI_SUM, "SUM", 0},   {MPI_PROD, "PROD", 0}, {MPI_MAX, "MAX", 0},
        {MPI_MIN, "MIN", 0},   {MPI_LAND, "LAND", 1}, {MPI_LOR, "LOR", 1},
        {MPI_LXOR, "LXOR", 1}, {MPI_BAND, "BAND", 1}, {MPI_BOR, "BOR", 1},
        {MPI_BXOR, "BXOR", 1},
    };
    for (size_t t = 0; t < sizeof types / sizeof types[0]; t++)
        for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
            if (types[t].integer || !ops[o].integer_only)
                check_predefined(comm, &types[t], &ops[o]);
}

/* MAXLOC/MINLOC: values tie often, and indices decrease with rank, so the
 * tie rule (smallest index wins) picks the highest-ranked of the tied
 * ranks — a library comparing ranks instead of indices gets it wrong. */
static void test_loc_ops(MPI_Comm comm)
{
    enum { N = 5 };
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    struct { int v; int idx; } ii[N], iires[N];
    struct { double v; int idx; } di[N], dires[N];

    for (int pass = 0; pass < 2; pass++) {
        MPI_Op op = pass == 0 ? MPI_MAXLOC : MPI_MINLOC;
        for (int i = 0; i < N; i++) {
            ii[i].v = (rank * 5 + i * 3) % 4;
            ii[i].idx = 100 - rank * 10 + i;
            di[i].v = ii[i].v + 0.5;
            di[i].idx = ii[i].idx;
        }
        CHECK_MPI(MPI_Allreduce(ii, iires, N, MPI_2INT, op, comm));
        CHECK_MPI(MPI_Allreduce(di, dires, N, MPI_DOUBLE_INT, op, comm));
        for (int i = 0; i < N; i++) {
            int bv = i * 3 % 4, bidx = 100 + i; /* rank 0's pair */
            for (int r = 1; r < size; r++) {
                int v = (r * 5 + i * 3) % 4, idx = 100 - r * 10 + i;
                int better = pass == 0 ? v > bv : v < bv;
                if (better || (v == bv && idx < bidx))
                    bv = v, bidx = idx;
            }
            CHECK(iires[i].v == bv && iires[i].idx == bidx,
                  "%s 2INT [%d] = (%d,%d), expected (%d,%d)",
                  pass ? "MINLOC" : "MAXLOC", i, iires[i].v, iires[i].idx,
                  bv, bidx);
            CHECK(dires[i].v == bv + 0.5 && dires[i].idx == bidx,
                  "%s DOUBLE_INT [%d] = (%g,%d), expected (%g,%d)",
                  pass ? "MINLOC" : "MAXLOC", i, dires[i].v, dires[i].idx,
                  bv + 0.5, bidx);
        }
    }
}

/* Reduce to several roots, NULL receive buffer on non-roots, MPI_IN_PLACE
 * at the root; Allreduce in place on non-integral doubles; a large
 * Allreduce that the library splits into segments. */
static void test_reduce_allreduce(MPI_Comm comm)
{
    enum { N = 4 };
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    const int sum_r = size * (size - 1) / 2;

    FOR_EACH_ROOT(root, size) {
        int in[N], out[N];
        for (int i = 0; i < N; i++)
            in[i] = rank * 10 + i, out[i] = SENTINEL;
        CHECK_MPI(MPI_Reduce(in, rank == root ? out : NULL, N, MPI_INT,
                             MPI_SUM, root, comm));
        if (rank == root)
            for (int i = 0; i < N; i++)
                CHECK(out[i] == 10 * sum_r + size * i,
                      "Reduce root %d [%d] = %d", root, i, out[i]);

        /* In place: the root's contribution is read from, and the result
         * written to, the receive buffer; other ranks pass a send buffer. */
        for (int i = 0; i < N; i++)
            in[i] = rank * 10 + i;
        if (rank == root)
            CHECK_MPI(MPI_Reduce(MPI_IN_PLACE, in, N, MPI_INT, MPI_MAX, root,
                                 comm));
        else
            CHECK_MPI(MPI_Reduce(in, NULL, N, MPI_INT, MPI_MAX, root, comm));
        if (rank == root)
            for (int i = 0; i < N; i++)
                CHECK(in[i] == (size - 1) * 10 + i,
                      "Reduce IN_PLACE root %d [%d] = %d", root, i, in[i]);
    }

    double d[N];
    for (int i = 0; i < N; i++)
        d[i] = (rank + 1) * 0.25 + i * 0.5;
    CHECK_MPI(MPI_Allreduce(MPI_IN_PLACE, d, N, MPI_DOUBLE, MPI_SUM, comm));
    for (int i = 0; i < N; i++) {
        double want = (sum_r + size) * 0.25 + size * i * 0.5;
        CHECK(d[i] == want, "Allreduce IN_PLACE double [%d] = %g, expected %g",
              i, d[i], want);
    }

    const int n = 1 << 16;
    int *big = int_buf(n, 0), *bigout = int_buf(n, SENTINEL);
    for (int i = 0; i < n; i++)
        big[i] = (i % 1000) + rank;
    CHECK_MPI(MPI_Allreduce(big, bigout, n, MPI_INT, MPI_SUM, comm));
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += bigout[i] != size * (i % 1000) + sum_r;
    CHECK(bad == 0, "large Allreduce: %d wrong elements", bad);
    free(big);
    free(bigout);
}

static void test_gather_scatter(MPI_Comm comm)
{
    enum { C = 3 };
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);

    FOR_EACH_ROOT(root, size) {
        int send[C];
        for (int k = 0; k < C; k++)
            send[k] = tag3(rank, root, k);

        /* Gather: the receive buffer is significant only at the root. */
        int *recv = int_buf(size * C, SENTINEL);
        CHECK_MPI(MPI_Gather(send, C, MPI_INT, rank == root ? recv : NULL, C,
                             MPI_INT, root, comm));
        if (rank == root)
            for (int i = 0; i < size * C; i++)
                CHECK(recv[i] == tag3(i / C, root, i % C),
                      "Gather root %d [%d] = %d", root, i, recv[i]);

        /* Gather in place: the root's block is already in its slot. */
        for (int i = 0; i < size * C; i++)
            recv[i] = i / C == rank ? send[i % C] : SENTINEL;
        if (rank == root)
            CHECK_MPI(MPI_Gather(MPI_IN_PLACE, C, MPI_INT, recv, C, MPI_INT,
                                 root, comm));
        else
            CHECK_MPI(MPI_Gather(send, C, MPI_INT, NULL, 0, MPI_INT, root,
                                 comm));
        if (rank == root)
            for (int i = 0; i < size * C; i++)
                CHECK(recv[i] == tag3(i / C, root, i % C),
                      "Gather IN_PLACE root %d [%d] = %d", root, i, recv[i]);

        /* Scatter: block j of the root's buffer goes to rank j. */
        for (int i = 0; i < size * C; i++)
            recv[i] = tag3(root, i / C, i % C);
        int mine[C + 1];
        for (int k = 0; k <= C; k++)
            mine[k] = SENTINEL;
        CHECK_MPI(MPI_Scatter(rank == root ? recv : NULL, C, MPI_INT, mine, C,
                              MPI_INT, root, comm));
        for (int k = 0; k < C; k++)
            CHECK(mine[k] == tag3(root, rank, k), "Scatter root %d [%d] = %d",
                  root, k, mine[k]);
        CHECK(mine[C] == SENTINEL, "Scatter wrote past its count");
        free(recv);
    }
}

static void test_gatherv_scatterv(MPI_Comm comm)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int *counts = int_buf(size, 0), *displs = int_buf(size, 0);
    for (int j = 0; j < size; j++)
        counts[j] = vcount(j);
    int len = reversed_displs(size, counts, displs);

    FOR_EACH_ROOT(root, size) {
        int send[2];
        for (int k = 0; k < vcount(rank); k++)
            send[k] = tag3(rank, root, k);
        int *buf = int_buf(len, SENTINEL);
        CHECK_MPI(MPI_Gatherv(send, vcount(rank), MPI_INT,
                              rank == root ? buf : NULL, counts, displs,
                              MPI_INT, root, comm));
        if (rank == root)
            check_vblocks(buf, len, size, counts, displs, root, "Gatherv");

        /* Scatterv: block j (at displs[j]) goes to rank j. */
        for (int j = 0; j < size; j++)
            for (int k = 0; k < counts[j]; k++)
                buf[displs[j] + k] = tag3(root, j, k);
        int mine[3] = {SENTINEL, SENTINEL, SENTINEL};
        CHECK_MPI(MPI_Scatterv(rank == root ? buf : NULL, counts, displs,
                               MPI_INT, mine, vcount(rank), MPI_INT, root,
                               comm));
        for (int k = 0; k < 3; k++) {
            int want = k < vcount(rank) ? tag3(root, rank, k) : SENTINEL;
            CHECK(mine[k] == want, "Scatterv root %d [%d] = %d, expected %d",
                  root, k, mine[k], want);
        }
        free(buf);
    }
    free(counts);
    free(displs);
}

static void test_allgather(MPI_Comm comm)
{
    enum { C = 2 };
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int send[C] = {tag3(rank, 0, 0), tag3(rank, 0, 1)};
    int *recv = int_buf(size * C, SENTINEL);

    CHECK_MPI(MPI_Allgather(send, C, MPI_INT, recv, C, MPI_INT, comm));
    for (int i = 0; i < size * C; i++)
        CHECK(recv[i] == tag3(i / C, 0, i % C), "Allgather [%d] = %d", i,
              recv[i]);

    for (int i = 0; i < size * C; i++)
        recv[i] = i / C == rank ? send[i % C] : SENTINEL;
    CHECK_MPI(MPI_Allgather(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, recv, C,
                            MPI_INT, comm));
    for (int i = 0; i < size * C; i++)
        CHECK(recv[i] == tag3(i / C, 0, i % C), "Allgather IN_PLACE [%d] = %d",
              i, recv[i]);
    free(recv);

    /* Allgatherv: every rank ends with everyone's block, each rank's at
     * the reversed displacement, gaps untouched. */
    int *counts = int_buf(size, 0), *displs = int_buf(size, 0);
    for (int j = 0; j < size; j++)
        counts[j] = vcount(j);
    int len = reversed_displs(size, counts, displs);
    int vsend[2];
    for (int k = 0; k < vcount(rank); k++)
        vsend[k] = tag3(rank, 0, k);
    int *vrecv = int_buf(len, SENTINEL);
    CHECK_MPI(MPI_Allgatherv(vsend, vcount(rank), MPI_INT, vrecv, counts,
                             displs, MPI_INT, comm));
    check_vblocks(vrecv, len, size, counts, displs, 0, "Allgatherv");
    free(vrecv);
    free(counts);
    free(displs);
}

static void test_alltoall(MPI_Comm comm)
{
    enum { C = 2 };
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int *send = int_buf(size * C, 0), *recv = int_buf(size * C, SENTINEL);
    for (int i = 0; i < size * C; i++)
        send[i] = tag3(rank, i / C, i % C);

    CHECK_MPI(MPI_Alltoall(send, C, MPI_INT, recv, C, MPI_INT, comm));
    for (int i = 0; i < size * C; i++)
        CHECK(recv[i] == tag3(i / C, rank, i % C), "Alltoall [%d] = %d", i,
              recv[i]);

    /* In place: the buffer holds what goes out and is replaced by what
     * comes in. */
    CHECK_MPI(MPI_Alltoall(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, send, C,
                           MPI_INT, comm));
    for (int i = 0; i < size * C; i++)
        CHECK(send[i] == tag3(i / C, rank, i % C),
              "Alltoall IN_PLACE [%d] = %d", i, send[i]);
    free(send);
    free(recv);
}

/* Elements rank a sends to rank b in Alltoallv/w: not symmetric, 0 to 2. */
static int a2a_count(int a, int b)
{
    return (a + 2 * b) % 3;
}

static void test_alltoallv(MPI_Comm comm)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int *scounts = int_buf(size, 0), *sdispls = int_buf(size, 0);
    int *rcounts = int_buf(size, 0), *rdispls = int_buf(size, 0);
    int rlen = 0;
    for (int j = 0; j < size; j++) {
        scounts[j] = a2a_count(rank, j);
        rcounts[j] = a2a_count(j, rank);
        rdispls[j] = rlen; /* receive in rank order with one-element gaps */
        rlen += rcounts[j] + 1;
    }
    int slen = reversed_displs(size, scounts, sdispls);
    int *send = int_buf(slen, SENTINEL), *recv = int_buf(rlen, SENTINEL);
    for (int j = 0; j < size; j++)
        for (int k = 0; k < scounts[j]; k++)
            send[sdispls[j] + k] = tag3(rank, j, k);

    CHECK_MPI(MPI_Alltoallv(send, scounts, sdispls, MPI_INT, recv, rcounts,
                            rdispls, MPI_INT, comm));
    int *expect = int_buf(rlen, SENTINEL);
    for (int j = 0; j < size; j++)
        for (int k = 0; k < rcounts[j]; k++)
            expect[rdispls[j] + k] = tag3(j, rank, k);
    for (int i = 0; i < rlen; i++)
        CHECK(recv[i] == expect[i], "Alltoallv [%d] = %d, expected %d", i,
              recv[i], expect[i]);
    free(expect);
    free(send);
    free(recv);
    free(scounts);
    free(sdispls);
    free(rcounts);
    free(rdispls);
}

/* Alltoallw: per-peer datatypes and byte displacements. Odd peers are sent
 * their ints through a strided vector type (every other int of the send
 * buffer), even peers contiguous ints; everything is received contiguous,
 * so only matching type signatures, not layouts, connect the two sides. */
static void test_alltoallw(MPI_Comm comm)
{
    enum { MAXC = 2 };
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    MPI_Datatype strided[MAXC + 1];
    for (int c = 0; c <= MAXC; c++) {
        CHECK_MPI(MPI_Type_vector(c, 1, 2, MPI_INT, &strided[c]));
        CHECK_MPI(MPI_Type_commit(&strided[c]));
    }
    /* Each peer gets a slot of 2*MAXC ints in the send buffer. */
    int *send = int_buf(size * 2 * MAXC, SENTINEL);
    int *recv = int_buf(size * (MAXC + 1), SENTINEL);
    int *sc = int_buf(size, 0), *sd = int_buf(size, 0);
    int *rc = int_buf(size, 0), *rd = int_buf(size, 0);
    MPI_Datatype *st = malloc(sizeof(MPI_Datatype) * (size_t)size);
    MPI_Datatype *rt = malloc(sizeof(MPI_Datatype) * (size_t)size);

    for (int j = 0; j < size; j++) {
        int n = a2a_count(rank, j);
        int *slot = send + j * 2 * MAXC;
        sd[j] = (int)(j * 2 * MAXC * sizeof(int));
        if (j % 2) {
            for (int k = 0; k < n; k++)
                slot[2 * k] = tag3(rank, j, k);
            sc[j] = 1;
            st[j] = strided[n];
        } else {
            for (int k = 0; k < n; k++)
                slot[k] = tag3(rank, j, k);
            sc[j] = n;
            st[j] = MPI_INT;
        }
        /* received in reverse rank order, MAXC+1 ints per peer */
        rc[j] = a2a_count(j, rank);
        rd[j] = (int)((size - 1 - j) * (MAXC + 1) * sizeof(int));
        rt[j] = MPI_INT;
    }
    CHECK_MPI(MPI_Alltoallw(send, sc, sd, st, recv, rc, rd, rt, comm));
    for (int j = 0; j < size; j++)
        for (int k = 0; k <= MAXC; k++) {
            int got = recv[(size - 1 - j) * (MAXC + 1) + k];
            int want = k < rc[j] ? tag3(j, rank, k) : SENTINEL;
            CHECK(got == want, "Alltoallw from %d [%d] = %d, expected %d", j,
                  k, got, want);
        }
    for (int c = 0; c <= MAXC; c++)
        CHECK_MPI(MPI_Type_free(&strided[c]));
    free(send);
    free(recv);
    free(sc);
    free(sd);
    free(rc);
    free(rd);
    free(st);
    free(rt);
}

/* Rank r's input at element e of Reduce_scatter*: the sum over ranks is
 * 7 * sum(r) + size * e. */
static int rs_input(int r, int e)
{
    return r * 7 + e;
}

static void test_reduce_scatter(MPI_Comm comm)
{
    enum { B = 2 };
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    const int sum7 = 7 * (size * (size - 1) / 2);

    /* Reduce_scatter: rank i gets the vcount(i) elements after those of
     * ranks below it (zero for some ranks). */
    int *counts = int_buf(size, 0);
    int total = 0, first = 0;
    for (int j = 0; j < size; j++) {
        counts[j] = vcount(j);
        if (j < rank)
            first += counts[j];
        total += counts[j];
    }
    int *in = int_buf(total, 0);
    for (int e = 0; e < total; e++)
        in[e] = rs_input(rank, e);
    int out[3] = {SENTINEL, SENTINEL, SENTINEL};
    CHECK_MPI(MPI_Reduce_scatter(in, out, counts, MPI_INT, MPI_SUM, comm));
    for (int k = 0; k < 3; k++) {
        int want = k < counts[rank] ? sum7 + size * (first + k) : SENTINEL;
        CHECK(out[k] == want, "Reduce_scatter [%d] = %d, expected %d", k,
              out[k], want);
    }
    free(in);
    free(counts);

    /* Reduce_scatter_block, then in place: the receive buffer holds the
     * whole input and rank i's block of the result lands at its start. */
    int *full = int_buf(size * B, 0);
    int blk[B + 1];
    for (int inplace = 0; inplace < 2; inplace++) {
        for (int e = 0; e < size * B; e++)
            full[e] = rs_input(rank, e);
        for (int k = 0; k <= B; k++)
            blk[k] = SENTINEL;
        if (inplace)
            CHECK_MPI(MPI_Reduce_scatter_block(MPI_IN_PLACE, full, B, MPI_INT,
                                               MPI_SUM, comm));
        else
            CHECK_MPI(MPI_Reduce_scatter_block(full, blk, B, MPI_INT, MPI_SUM,
                                               comm));
        const int *res = inplace ? full : blk;
        for (int k = 0; k < B; k++)
            CHECK(res[k] == sum7 + size * (rank * B + k),
                  "Reduce_scatter_block%s [%d] = %d",
                  inplace ? " IN_PLACE" : "", k, res[k]);
        if (!inplace)
            CHECK(blk[B] == SENTINEL, "Reduce_scatter_block wrote past B");
    }
    free(full);
}

static void test_scan_exscan(MPI_Comm comm)
{
    enum { N = 3 };
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int in[N], out[N];

    /* input (r+1)*(k+1): inclusive prefix sum is (k+1)*(r+1)(r+2)/2 */
    for (int k = 0; k < N; k++)
        in[k] = (rank + 1) * (k + 1), out[k] = SENTINEL;
    CHECK_MPI(MPI_Scan(in, out, N, MPI_INT, MPI_SUM, comm));
    for (int k = 0; k < N; k++)
        CHECK(out[k] == (k + 1) * (rank + 1) * (rank + 2) / 2,
              "Scan [%d] = %d", k, out[k]);

    CHECK_MPI(MPI_Scan(MPI_IN_PLACE, in, N, MPI_INT, MPI_SUM, comm));
    for (int k = 0; k < N; k++)
        CHECK(in[k] == (k + 1) * (rank + 1) * (rank + 2) / 2,
              "Scan IN_PLACE [%d] = %d", k, in[k]);

    /* Exscan: rank r gets the sum over ranks below it; undefined at 0. */
    for (int k = 0; k < N; k++)
        in[k] = (rank + 1) * (k + 1), out[k] = SENTINEL;
    CHECK_MPI(MPI_Exscan(in, out, N, MPI_INT, MPI_SUM, comm));
    if (rank > 0)
        for (int k = 0; k < N; k++)
            CHECK(out[k] == (k + 1) * rank * (rank + 1) / 2,
                  "Exscan [%d] = %d", k, out[k]);
}

/* ---- user-defined operations ----------------------------------------- */

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

/* A 2x2 matrix {a, b, c, d} = [[a b] [c d]], sent as one MPI type of four
 * ints. The op computes inout = in * inout: MPI passes the operand from
 * the lower ranks as `in`, so the result is M_0 * M_1 * ... in rank order. */
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

/* Rank r's matrix number i: alternately lower and upper shears, which do
 * not commute, so any reordering changes the product. Entries of a product
 * of 8 stay far below INT_MAX. */
static void rank_matrix(int r, int i, int *m)
{
    int s = (r + i) % 3 + 1;
    int upper = (r + i) % 2 == 0;
    m[0] = 1, m[1] = upper ? s : 0, m[2] = upper ? 0 : s, m[3] = 1;
}

/* Product of the matrices of ranks lo..hi-1 (identity if empty). */
static void ordered_product(int lo, int hi, int i, int *m)
{
    int id[4] = {1, 0, 0, 1};
    memcpy(m, id, sizeof id);
    for (int r = lo; r < hi; r++) {
        int x[4];
        rank_matrix(r, i, x);
        matmul(m, x, m);
    }
}

static void check_matrices(const int *got, int lo, int hi, const char *what)
{
    for (int i = 0; i < 3; i++) {
        int want[4];
        ordered_product(lo, hi, i, want);
        CHECK(memcmp(got + 4 * i, want, sizeof want) == 0,
              "%s matrix %d = [%d %d; %d %d], expected [%d %d; %d %d]", what,
              i, got[4 * i], got[4 * i + 1], got[4 * i + 2], got[4 * i + 3],
              want[0], want[1], want[2], want[3]);
    }
}

static void test_user_ops(MPI_Comm comm)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    MPI_Op gcd_h, mat_h;
    MPI_Datatype mat_t;
    int commute;
    CHECK_MPI(MPI_Op_create(gcd_op, 1, &gcd_h));
    CHECK_MPI(MPI_Op_create(matmul_op, 0, &mat_h));
    CHECK_MPI(MPI_Op_commutative(gcd_h, &commute));
    CHECK(commute == 1, "gcd op reported non-commutative");
    CHECK_MPI(MPI_Op_commutative(mat_h, &commute));
    CHECK(commute == 0, "matrix op reported commutative");
    CHECK_MPI(MPI_Type_contiguous(4, MPI_INT, &mat_t));
    CHECK_MPI(MPI_Type_commit(&mat_t));

    /* gcd of (i+1)*(r+1)*6 over r = 0..size-1 is (i+1)*6. */
    int g[4], gout[4];
    for (int i = 0; i < 4; i++)
        g[i] = (i + 1) * (rank + 1) * 6, gout[i] = SENTINEL;
    CHECK_MPI(MPI_Allreduce(g, gout, 4, MPI_INT, gcd_h, comm));
    for (int i = 0; i < 4; i++)
        CHECK(gout[i] == (i + 1) * 6, "gcd Allreduce [%d] = %d", i, gout[i]);
    if (rank == size - 1)
        CHECK_MPI(MPI_Reduce(MPI_IN_PLACE, g, 4, MPI_INT, gcd_h, size - 1,
                             comm));
    else
        CHECK_MPI(MPI_Reduce(g, NULL, 4, MPI_INT, gcd_h, size - 1, comm));
    if (rank == size - 1)
        for (int i = 0; i < 4; i++)
            CHECK(g[i] == (i + 1) * 6, "gcd Reduce IN_PLACE [%d] = %d", i,
                  g[i]);

    int mine[12], res[12];
    for (int i = 0; i < 3; i++)
        rank_matrix(rank, i, mine + 4 * i);

    /* Reduce_local: inout = in op inout, no communication. */
    int lin[4], lio[4];
    rank_matrix(0, 0, lin);
    rank_matrix(1, 0, lio);
    CHECK_MPI(MPI_Reduce_local(lin, lio, 1, mat_t, mat_h));
    int lwant[4];
    ordered_product(0, 2, 0, lwant);
    CHECK(memcmp(lio, lwant, sizeof lwant) == 0, "Reduce_local order");

    FOR_EACH_ROOT(root, size) {
        memset(res, 0, sizeof res);
        CHECK_MPI(MPI_Reduce(mine, res, 3, mat_t, mat_h, root, comm));
        if (rank == root)
            check_matrices(res, 0, size, "non-commutative Reduce");
    }
    memset(res, 0, sizeof res);
    CHECK_MPI(MPI_Allreduce(mine, res, 3, mat_t, mat_h, comm));
    check_matrices(res, 0, size, "non-commutative Allreduce");
    memset(res, 0, sizeof res);
    CHECK_MPI(MPI_Scan(mine, res, 3, mat_t, mat_h, comm));
    check_matrices(res, 0, rank + 1, "non-commutative Scan");
    memset(res, 0, sizeof res);
    CHECK_MPI(MPI_Exscan(mine, res, 3, mat_t, mat_h, comm));
    if (rank > 0)
        check_matrices(res, 0, rank, "non-commutative Exscan");

    CHECK_MPI(MPI_Type_free(&mat_t));
    CHECK_MPI(MPI_Op_free(&gcd_h));
    CHECK_MPI(MPI_Op_free(&mat_h));
    CHECK(gcd_h == MPI_OP_NULL && mat_h == MPI_OP_NULL,
          "Op_free did not set the handle to MPI_OP_NULL");
}

/* Every test on one communicator. */
static void run_all(MPI_Comm comm)
{
    test_barrier(comm);
    test_bcast(comm);
    test_predefined_ops(comm);
    test_loc_ops(comm);
    test_reduce_allreduce(comm);
    test_gather_scatter(comm);
    test_gatherv_scatterv(comm);
    test_allgather(comm);
    test_alltoall(comm);
    test_alltoallv(comm);
    test_alltoallw(comm);
    test_reduce_scatter(comm);
    test_scan_exscan(comm);
    test_user_ops(comm);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    check_init("coll_blocking");
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    run_all(MPI_COMM_WORLD);

    /* Same ranks, reversed order: rank r of reversed is size-1-r of world. */
    MPI_Comm reversed;
    CHECK_MPI(MPI_Comm_split(MPI_COMM_WORLD, 0, size - 1 - rank, &reversed));
    run_all(reversed);
    CHECK_MPI(MPI_Comm_free(&reversed));

    return check_finish();
}
