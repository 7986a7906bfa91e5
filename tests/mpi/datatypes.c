/*
 * datatypes.c — derived datatypes, their layout, and packing.
 *
 * Exercises: Type_contiguous, vector, create_hvector, indexed,
 * create_hindexed, create_indexed_block, create_hindexed_block,
 * create_struct, create_subarray (C order, 2D and 3D), create_resized
 * (a column type that transposes a matrix, a type with a negative lower
 * bound), Type_dup, Type_commit/free (a type stays usable after the types
 * it was built from are freed), nested derived types; Type_size,
 * Type_get_extent, Type_get_true_extent, Type_get_envelope and
 * Type_get_contents; Get_address and MPI_Aint_diff/MPI_Aint_add; sends
 * with a derived type received as contiguous elements and the reverse,
 * with exact positions checked and gaps left untouched; Pack, Unpack,
 * Pack_size, and a packed buffer sent as MPI_PACKED; Get_count and
 * Get_elements on partial messages; MPI_BOTTOM with absolute addresses.
 *
 * Invariants: messages go around a ring with MPI_Sendrecv (to rank+1,
 * from rank-1; a rank sends to itself when alone), every value encodes
 * its sender and position, so a misplaced or misrouted element is caught.
 * Sender and receiver type signatures always match (the standard's type
 * matching rules; MPI_BYTE is used only for byte data). Layouts are
 * described independently of MPI, as lists of int positions, and compared
 * element by element. Output is only the PASS line (check.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "tests/mpi/check.h"

#define SENTINEL (-7777)

static int rank, size, left, right;

/* The int at position i of the buffer of rank r. */
static int val(int r, int i)
{
    return r * 100000 + i;
}

static void ring(const void *sbuf, int scount, MPI_Datatype st, void *rbuf,
                 int rcount, MPI_Datatype rt, MPI_Status *status)
{
    CHECK_MPI(MPI_Sendrecv(sbuf, scount, st, right, 0, rbuf, rcount, rt, left,
                           0, MPI_COMM_WORLD, status));
}

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

/*
 * Checks an int-based datatype t against its expected layout: one instance
 * covers the ints at positions idx[0..n) (in type-map order), has lower
 * bound lb and extent `extent` (in ints). Then, with 2 instances:
 *   - sending with t delivers, as contiguous ints, the elements at idx and
 *     idx + extent in order;
 *   - contiguous ints received with t land exactly there, and every other
 *     int of the buffer keeps SENTINEL.
 */
static void check_int_type(MPI_Datatype t, const int *idx, int n, int lb,
                           int extent, const char *what)
{
    enum { COUNT = 2 };
    int tsize;
    MPI_Aint mlb, mext;
    CHECK_MPI(MPI_Type_size(t, &tsize));
    CHECK(tsize == n * (int)sizeof(int), "%s: size %d, expected %d", what,
          tsize, n * (int)sizeof(int));
    CHECK_MPI(MPI_Type_get_extent(t, &mlb, &mext));
    CHECK(mlb == lb * (MPI_Aint)sizeof(int) &&
              mext == extent * (MPI_Aint)sizeof(int),
          "%s: lb %ld extent %ld, expected %ld %ld", what, (long)mlb,
          (long)mext, (long)(lb * (MPI_Aint)sizeof(int)),
          (long)(extent * (MPI_Aint)sizeof(int)));

    int span = 0;
    for (int k = 0; k < n; k++)
        if (idx[k] + 1 > span)
            span = idx[k] + 1;
    span += (COUNT - 1) * extent;
    int *typed = int_buf(span, 0), *flat = int_buf(COUNT * n, SENTINEL);
    for (int i = 0; i < span; i++)
        typed[i] = val(rank, i);

    ring(typed, COUNT, t, flat, COUNT * n, MPI_INT, MPI_STATUS_IGNORE);
    for (int c = 0; c < COUNT; c++)
        for (int k = 0; k < n; k++) {
            int want = val(left, idx[k] + c * extent);
            CHECK(flat[c * n + k] == want, "%s: typed->flat [%d] = %d, "
                  "expected %d", what, c * n + k, flat[c * n + k], want);
        }

    int *expect = int_buf(span, SENTINEL);
    for (int c = 0; c < COUNT; c++)
        for (int k = 0; k < n; k++) {
            flat[c * n + k] = val(rank, c * n + k);
            expect[idx[k] + c * extent] = val(left, c * n + k);
        }
    for (int i = 0; i < span; i++)
        typed[i] = SENTINEL;
    ring(flat, COUNT * n, MPI_INT, typed, COUNT, t, MPI_STATUS_IGNORE);
    for (int i = 0; i < span; i++)
        CHECK(typed[i] == expect[i], "%s: flat->typed [%d] = %d, expected %d",
              what, i, typed[i], expect[i]);
    free(typed);
    free(flat);
    free(expect);
}

/* Commits t, checks it, frees it. */
static void commit_check_free(MPI_Datatype t, const int *idx, int n, int lb,
                              int extent, const char *what)
{
    CHECK_MPI(MPI_Type_commit(&t));
    check_int_type(t, idx, n, lb, extent, what);
    CHECK_MPI(MPI_Type_free(&t));
    CHECK(t == MPI_DATATYPE_NULL, "%s: Type_free left the handle", what);
}

static void test_basic_constructors(void)
{
    MPI_Datatype t;
    const int I = (int)sizeof(int);

    int contig[5] = {0, 1, 2, 3, 4};
    CHECK_MPI(MPI_Type_contiguous(5, MPI_INT, &t));
    commit_check_free(t, contig, 5, 0, 5, "contiguous(5)");

    /* 3 blocks of 2, stride 4: extent runs to the end of the last block */
    int vec[6] = {0, 1, 4, 5, 8, 9};
    CHECK_MPI(MPI_Type_vector(3, 2, 4, MPI_INT, &t));
    commit_check_free(t, vec, 6, 0, 10, "vector(3,2,4)");

    int hvec[3] = {0, 3, 6};
    CHECK_MPI(MPI_Type_create_hvector(3, 1, 3 * I, MPI_INT, &t));
    commit_check_free(t, hvec, 3, 0, 7, "hvector(3,1,3 ints)");

    /* Displacements out of order: the type map keeps the given order. */
    int ind_len[3] = {1, 3, 2}, ind_dsp[3] = {5, 0, 10};
    int ind[6] = {5, 0, 1, 2, 10, 11};
    CHECK_MPI(MPI_Type_indexed(3, ind_len, ind_dsp, MPI_INT, &t));
    commit_check_free(t, ind, 6, 0, 12, "indexed");

    /* Nothing at 0: the lower bound is the first element, at 1. */
    int hind_len[2] = {2, 1};
    MPI_Aint hind_dsp[2] = {4 * I, 1 * I};
    int hind[3] = {4, 5, 1};
    CHECK_MPI(MPI_Type_create_hindexed(2, hind_len, hind_dsp, MPI_INT, &t));
    commit_check_free(t, hind, 3, 1, 5, "hindexed");

    int blk_dsp[3] = {6, 1, 3};
    int blk[6] = {6, 7, 1, 2, 3, 4};
    CHECK_MPI(MPI_Type_create_indexed_block(3, 2, blk_dsp, MPI_INT, &t));
    commit_check_free(t, blk, 6, 1, 7, "indexed_block");

    MPI_Aint hblk_dsp[3] = {2 * I, 0, 7 * I};
    int hblk[3] = {2, 0, 7};
    CHECK_MPI(MPI_Type_create_hindexed_block(3, 1, hblk_dsp, MPI_INT, &t));
    commit_check_free(t, hblk, 3, 0, 8, "hindexed_block");
}

static void test_subarrays(void)
{
    MPI_Datatype t;
    int idx[64], n = 0;

    /* 6x8 array, the 3x4 block at row 2, column 3; the extent is the whole
     * array, so the second instance is the same block of the next array. */
    int sizes2[2] = {6, 8}, sub2[2] = {3, 4}, start2[2] = {2, 3};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++)
            idx[n++] = (2 + i) * 8 + 3 + j;
    CHECK_MPI(MPI_Type_create_subarray(2, sizes2, sub2, start2, MPI_ORDER_C,
                                       MPI_INT, &t));
    commit_check_free(t, idx, n, 0, 6 * 8, "subarray 2D");

    int sizes3[3] = {4, 5, 6}, sub3[3] = {2, 3, 2}, start3[3] = {1, 1, 3};
    n = 0;
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 2; k++)
                idx[n++] = ((1 + i) * 5 + 1 + j) * 6 + 3 + k;
    CHECK_MPI(MPI_Type_create_subarray(3, sizes3, sub3, start3, MPI_ORDER_C,
                                       MPI_INT, &t));
    commit_check_free(t, idx, n, 0, 4 * 5 * 6, "subarray 3D");
}

static void test_resized(void)
{
    enum { R = 3, C = 4 };
    MPI_Datatype col, cols, t;
    int idx[R * C], n = 0;

    /* A column of an RxC matrix, resized to one int so that consecutive
     * instances are consecutive columns: C of them transpose the matrix.
     * That reaches across the whole matrix while its extent is C ints, so
     * it is resized again to the matrix (instances must not overlap in a
     * receive buffer). Each handle is freed as soon as it is used: a type
     * does not depend on the handles of the types it was built from. */
    CHECK_MPI(MPI_Type_vector(R, 1, C, MPI_INT, &col));
    CHECK_MPI(MPI_Type_create_resized(col, 0, sizeof(int), &t));
    CHECK_MPI(MPI_Type_free(&col));
    CHECK_MPI(MPI_Type_contiguous(C, t, &cols));
    CHECK_MPI(MPI_Type_free(&t));
    CHECK_MPI(MPI_Type_create_resized(cols, 0, R * C * sizeof(int), &t));
    CHECK_MPI(MPI_Type_free(&cols));
    for (int c = 0; c < C; c++)
        for (int r = 0; r < R; r++)
            idx[n++] = r * C + c;
    commit_check_free(t, idx, n, 0, R * C, "transpose via resized column");

    /* An int with lower bound -1 int and extent 4 ints: true extent is
     * still the int itself. */
    MPI_Aint tlb, text;
    CHECK_MPI(MPI_Type_create_resized(MPI_INT, -(MPI_Aint)sizeof(int),
                                      4 * sizeof(int), &t));
    CHECK_MPI(MPI_Type_get_true_extent(t, &tlb, &text));
    CHECK(tlb == 0 && text == sizeof(int), "resized int: true lb %ld "
          "extent %ld", (long)tlb, (long)text);
    int one = 0;
    commit_check_free(t, &one, 1, -1, 4, "resized int lb -1 extent 4");
}

/* Two-level nesting: an indexed type (ints 0,1,3; extent 4) repeated
 * twice per block of an hvector with a 10-int stride. */
static void test_nested(void)
{
    MPI_Datatype inner, outer;
    int len[2] = {2, 1}, dsp[2] = {0, 3}, idx[18], n = 0;
    CHECK_MPI(MPI_Type_indexed(2, len, dsp, MPI_INT, &inner));
    CHECK_MPI(MPI_Type_create_hvector(3, 2, 10 * sizeof(int), inner, &outer));
    /* Freeing the inner type must not affect the outer one. */
    CHECK_MPI(MPI_Type_free(&inner));
    for (int b = 0; b < 3; b++)
        for (int j = 0; j < 2; j++) {
            idx[n++] = b * 10 + j * 4;
            idx[n++] = b * 10 + j * 4 + 1;
            idx[n++] = b * 10 + j * 4 + 3;
        }
    commit_check_free(outer, idx, n, 0, 2 * 10 + 2 * 4, "hvector of indexed");

    MPI_Datatype v, d;
    int vec[6] = {0, 1, 4, 5, 8, 9};
    CHECK_MPI(MPI_Type_vector(3, 2, 4, MPI_INT, &v));
    CHECK_MPI(MPI_Type_dup(v, &d));
    /* The dup is a type of its own: it outlives the original. */
    CHECK_MPI(MPI_Type_free(&v));
    commit_check_free(d, vec, 6, 0, 10, "Type_dup of vector");
}

/* ---- structs ------------------------------------------------------- */

struct particle {
    char tag;
    double pos[3];
    int id;
    short flags[2];
};

/* Bytes of one particle's data without padding: 1 + 24 + 4 + 4. */
enum { DENSE = 33, DENSE_POS = 1, DENSE_ID = 25, DENSE_FLAGS = 29 };

static struct particle make_particle(int r, int i)
{
    struct particle p;
    memset(&p, 0, sizeof p);
    p.tag = (char)('a' + (r + i) % 26);
    for (int k = 0; k < 3; k++)
        p.pos[k] = r + i * 0.5 + k * 0.25;
    p.id = val(r, i);
    p.flags[0] = (short)(r * 10 + i);
    p.flags[1] = (short)-(r + i);
    return p;
}

static int same_particle(const struct particle *a, const struct particle *b)
{
    return a->tag == b->tag && memcmp(a->pos, b->pos, sizeof a->pos) == 0 &&
           a->id == b->id && a->flags[0] == b->flags[0] &&
           a->flags[1] == b->flags[1];
}

/* The struct type at the C layout, resized to sizeof(struct particle) so
 * that arrays of particles work whatever padding MPI assumes. */
static MPI_Datatype particle_type(void)
{
    int len[4] = {1, 3, 1, 2};
    MPI_Aint dsp[4] = {offsetof(struct particle, tag),
                       offsetof(struct particle, pos),
                       offsetof(struct particle, id),
                       offsetof(struct particle, flags)};
    MPI_Datatype types[4] = {MPI_CHAR, MPI_DOUBLE, MPI_INT, MPI_SHORT};
    MPI_Datatype raw, t;
    CHECK_MPI(MPI_Type_create_struct(4, len, dsp, types, &raw));
    CHECK_MPI(MPI_Type_create_resized(raw, 0, sizeof(struct particle), &t));
    CHECK_MPI(MPI_Type_free(&raw));
    CHECK_MPI(MPI_Type_commit(&t));
    return t;
}

/* The same type signature with no padding at all: DENSE bytes apiece. */
static MPI_Datatype dense_type(void)
{
    int len[4] = {1, 3, 1, 2};
    MPI_Aint dsp[4] = {0, DENSE_POS, DENSE_ID, DENSE_FLAGS};
    MPI_Datatype types[4] = {MPI_CHAR, MPI_DOUBLE, MPI_INT, MPI_SHORT};
    MPI_Datatype raw, t;
    CHECK_MPI(MPI_Type_create_struct(4, len, dsp, types, &raw));
    CHECK_MPI(MPI_Type_create_resized(raw, 0, DENSE, &t));
    CHECK_MPI(MPI_Type_free(&raw));
    CHECK_MPI(MPI_Type_commit(&t));
    return t;
}

/* p as DENSE bytes, field after field. */
static void to_dense(const struct particle *p, unsigned char *out)
{
    out[0] = (unsigned char)p->tag;
    memcpy(out + DENSE_POS, p->pos, sizeof p->pos);
    memcpy(out + DENSE_ID, &p->id, sizeof p->id);
    memcpy(out + DENSE_FLAGS, p->flags, sizeof p->flags);
}

static void test_struct(void)
{
    enum { N = 4 };
    MPI_Datatype pt = particle_type(), dt = dense_type(), pdup, every_other;
    struct particle mine[N], got[N];
    unsigned char dense[N * DENSE], want[DENSE];
    int tsize;
    MPI_Aint lb, ext;

    CHECK_MPI(MPI_Type_size(pt, &tsize));
    CHECK(tsize == DENSE, "particle type size %d", tsize);
    CHECK_MPI(MPI_Type_get_extent(pt, &lb, &ext));
    CHECK(lb == 0 && ext == sizeof(struct particle), "particle extent %ld",
          (long)ext);
    CHECK_MPI(MPI_Type_get_extent(dt, &lb, &ext));
    CHECK(lb == 0 && ext == DENSE, "dense extent %ld", (long)ext);

    for (int i = 0; i < N; i++)
        mine[i] = make_particle(rank, i);

    /* C layout out, dense layout in: each field at its dense offset. */
    memset(dense, 0xAB, sizeof dense);
    ring(mine, N, pt, dense, N, dt, MPI_STATUS_IGNORE);
    for (int i = 0; i < N; i++) {
        struct particle p = make_particle(left, i);
        to_dense(&p, want);
        CHECK(memcmp(dense + i * DENSE, want, DENSE) == 0,
              "struct->dense particle %d", i);
    }

    /* Dense out, C layout in: padding bytes are not written. */
    for (int i = 0; i < N; i++)
        to_dense(&mine[i], dense + i * DENSE);
    memset(got, 0xAB, sizeof got);
    ring(dense, N, dt, got, N, pt, MPI_STATUS_IGNORE);
    for (int i = 0; i < N; i++) {
        struct particle p = make_particle(left, i);
        CHECK(same_particle(&got[i], &p), "dense->struct particle %d", i);
        const unsigned char *pad = (const unsigned char *)&got[i] + 1;
        for (size_t b = 1; b < offsetof(struct particle, pos); b++, pad++)
            CHECK(*pad == 0xAB, "padding byte %zu of particle %d written", b,
                  i);
    }

    /* A dup is interchangeable with the original. */
    CHECK_MPI(MPI_Type_dup(pt, &pdup));
    memset(got, 0, sizeof got);
    ring(mine, N, pdup, got, N, pt, MPI_STATUS_IGNORE);
    for (int i = 0; i < N; i++) {
        struct particle p = make_particle(left, i);
        CHECK(same_particle(&got[i], &p), "via Type_dup particle %d", i);
    }

    /* Nested: particles 0 and 2 through an hvector of the struct type. */
    CHECK_MPI(MPI_Type_create_hvector(2, 1, 2 * sizeof(struct particle), pt,
                                      &every_other));
    CHECK_MPI(MPI_Type_commit(&every_other));
    memset(dense, 0, sizeof dense);
    ring(mine, 1, every_other, dense, 2, dt, MPI_STATUS_IGNORE);
    for (int i = 0; i < 2; i++) {
        struct particle p = make_particle(left, 2 * i);
        to_dense(&p, want);
        CHECK(memcmp(dense + i * DENSE, want, DENSE) == 0,
              "hvector of struct, particle %d", 2 * i);
    }

    CHECK_MPI(MPI_Type_free(&every_other));
    CHECK_MPI(MPI_Type_free(&pdup));
    CHECK_MPI(MPI_Type_free(&dt));
    CHECK_MPI(MPI_Type_free(&pt));
}

/* Get_address differences are the C offsets; Aint_add/diff agree. */
static void test_addresses(void)
{
    struct particle p = make_particle(rank, 0);
    int arr[8];
    MPI_Aint base, pos, id, a0, a5;
    CHECK_MPI(MPI_Get_address(&p, &base));
    CHECK_MPI(MPI_Get_address(&p.pos[0], &pos));
    CHECK_MPI(MPI_Get_address(&p.id, &id));
    CHECK(MPI_Aint_diff(pos, base) == offsetof(struct particle, pos),
          "address of pos");
    CHECK(MPI_Aint_diff(id, base) == offsetof(struct particle, id),
          "address of id");
    CHECK_MPI(MPI_Get_address(&arr[0], &a0));
    CHECK_MPI(MPI_Get_address(&arr[5], &a5));
    CHECK(MPI_Aint_add(a0, 5 * sizeof(int)) == a5, "Aint_add");
}

/* A struct type of absolute addresses of three unrelated variables, used
 * with MPI_BOTTOM as the buffer, on both sides. */
static void test_bottom(void)
{
    int a = val(rank, 1), ra = SENTINEL;
    double b[2] = {rank + 0.5, rank + 0.75}, rb[2] = {-1, -1};
    char c[6], rc[6] = "-----";
    snprintf(c, sizeof c, "r%04u", (unsigned)rank % 10000);

    int len[3] = {1, 2, 6};
    MPI_Datatype types[3] = {MPI_INT, MPI_DOUBLE, MPI_CHAR};
    MPI_Aint sd[3], rd[3];
    CHECK_MPI(MPI_Get_address(&a, &sd[0]));
    CHECK_MPI(MPI_Get_address(b, &sd[1]));
    CHECK_MPI(MPI_Get_address(c, &sd[2]));
    /* the receiver's order of variables in memory differs: that is fine */
    CHECK_MPI(MPI_Get_address(&ra, &rd[0]));
    CHECK_MPI(MPI_Get_address(rb, &rd[1]));
    CHECK_MPI(MPI_Get_address(rc, &rd[2]));
    MPI_Datatype st, rt;
    CHECK_MPI(MPI_Type_create_struct(3, len, sd, types, &st));
    CHECK_MPI(MPI_Type_create_struct(3, len, rd, types, &rt));
    CHECK_MPI(MPI_Type_commit(&st));
    CHECK_MPI(MPI_Type_commit(&rt));
    ring(MPI_BOTTOM, 1, st, MPI_BOTTOM, 1, rt, MPI_STATUS_IGNORE);
    char wantc[6];
    snprintf(wantc, sizeof wantc, "r%04u", (unsigned)left % 10000);
    CHECK(ra == val(left, 1), "MPI_BOTTOM int %d", ra);
    CHECK(rb[0] == left + 0.5 && rb[1] == left + 0.75, "MPI_BOTTOM doubles");
    CHECK(memcmp(rc, wantc, sizeof wantc) == 0, "MPI_BOTTOM chars %.6s", rc);
    CHECK_MPI(MPI_Type_free(&st));
    CHECK_MPI(MPI_Type_free(&rt));
}

/* Pack an int, a vector of ints and two particles; Unpack in the same
 * order restores them; the packed bytes also travel as MPI_PACKED. */
static void test_pack(void)
{
    MPI_Datatype vec, pt = particle_type();
    CHECK_MPI(MPI_Type_vector(3, 2, 4, MPI_INT, &vec));
    CHECK_MPI(MPI_Type_commit(&vec));
    int count = 42, grid[10];
    struct particle ps[2] = {make_particle(rank, 0), make_particle(rank, 1)};
    for (int i = 0; i < 10; i++)
        grid[i] = val(rank, i);

    int s1, s2, s3;
    CHECK_MPI(MPI_Pack_size(1, MPI_INT, MPI_COMM_WORLD, &s1));
    CHECK_MPI(MPI_Pack_size(1, vec, MPI_COMM_WORLD, &s2));
    CHECK_MPI(MPI_Pack_size(2, pt, MPI_COMM_WORLD, &s3));
    CHECK(s1 >= 4 && s2 >= 24 && s3 >= 2 * DENSE, "Pack_size %d %d %d", s1,
          s2, s3);
    int cap = s1 + s2 + s3, pos = 0, prev;
    char *buf = malloc((size_t)cap), *rbuf = malloc((size_t)cap);

    CHECK_MPI(MPI_Pack(&count, 1, MPI_INT, buf, cap, &pos, MPI_COMM_WORLD));
    CHECK(pos > 0 && pos <= s1, "position after int: %d", pos);
    prev = pos;
    CHECK_MPI(MPI_Pack(grid, 1, vec, buf, cap, &pos, MPI_COMM_WORLD));
    CHECK(pos > prev && pos - prev <= s2, "position after vector: %d", pos);
    prev = pos;
    CHECK_MPI(MPI_Pack(ps, 2, pt, buf, cap, &pos, MPI_COMM_WORLD));
    CHECK(pos > prev && pos - prev <= s3, "position after structs: %d", pos);
    int packed = pos;

    /* Local round trip: the vector's gaps stay as they were. */
    int c2 = 0, g2[10];
    struct particle p2[2];
    for (int i = 0; i < 10; i++)
        g2[i] = SENTINEL;
    memset(p2, 0, sizeof p2);
    pos = 0;
    CHECK_MPI(MPI_Unpack(buf, packed, &pos, &c2, 1, MPI_INT, MPI_COMM_WORLD));
    CHECK_MPI(MPI_Unpack(buf, packed, &pos, g2, 1, vec, MPI_COMM_WORLD));
    CHECK_MPI(MPI_Unpack(buf, packed, &pos, p2, 2, pt, MPI_COMM_WORLD));
    CHECK(pos == packed, "Unpack consumed %d of %d bytes", pos, packed);
    CHECK(c2 == 42, "unpacked int %d", c2);
    for (int i = 0; i < 10; i++) {
        int in_vec = i % 4 < 2;
        CHECK(g2[i] == (in_vec ? grid[i] : SENTINEL), "unpacked grid [%d]",
              i);
    }
    CHECK(same_particle(&p2[0], &ps[0]) && same_particle(&p2[1], &ps[1]),
          "unpacked particles");

    /* Over the ring as MPI_PACKED; the receiver learns the size by
     * Get_count (in bytes for MPI_PACKED). */
    MPI_Status st;
    int nbytes = -1;
    ring(buf, packed, MPI_PACKED, rbuf, cap, MPI_PACKED, &st);
    CHECK_MPI(MPI_Get_count(&st, MPI_PACKED, &nbytes));
    CHECK(nbytes == packed, "MPI_PACKED message of %d bytes, sent %d", nbytes,
          packed);
    pos = 0;
    CHECK_MPI(MPI_Unpack(rbuf, nbytes, &pos, &c2, 1, MPI_INT, MPI_COMM_WORLD));
    CHECK_MPI(MPI_Unpack(rbuf, nbytes, &pos, g2, 1, vec, MPI_COMM_WORLD));
    CHECK_MPI(MPI_Unpack(rbuf, nbytes, &pos, p2, 2, pt, MPI_COMM_WORLD));
    struct particle l0 = make_particle(left, 0), l1 = make_particle(left, 1);
    CHECK(c2 == 42 && g2[4] == val(left, 4) && g2[9] == val(left, 9),
          "unpacked remote int/vector");
    CHECK(same_particle(&p2[0], &l0) && same_particle(&p2[1], &l1),
          "unpacked remote particles");

    free(buf);
    free(rbuf);
    CHECK_MPI(MPI_Type_free(&vec));
    CHECK_MPI(MPI_Type_free(&pt));
}

/* Get_count counts whole instances of the receive type (MPI_UNDEFINED for
 * a partial one), Get_elements counts basic elements. */
static void test_get_elements(void)
{
    MPI_Datatype pt = particle_type(), triple, prefix;
    MPI_Status st;
    int n;

    CHECK_MPI(MPI_Type_contiguous(3, MPI_INT, &triple));
    CHECK_MPI(MPI_Type_commit(&triple));
    int seven[7], recv[9];
    for (int i = 0; i < 7; i++)
        seven[i] = val(rank, i);
    ring(seven, 7, MPI_INT, recv, 3, triple, &st);
    CHECK_MPI(MPI_Get_count(&st, triple, &n));
    CHECK(n == MPI_UNDEFINED, "Get_count of 7 ints as triples: %d", n);
    CHECK_MPI(MPI_Get_elements(&st, triple, &n));
    CHECK(n == 7, "Get_elements of 7 ints as triples: %d", n);
    CHECK(recv[6] == val(left, 6), "partial triple not received");

    /* Whole particles: 7 basic elements each. */
    struct particle ps[3], got[3];
    for (int i = 0; i < 3; i++)
        ps[i] = make_particle(rank, i);
    ring(ps, 2, pt, got, 3, pt, &st);
    CHECK_MPI(MPI_Get_count(&st, pt, &n));
    CHECK(n == 2, "Get_count of 2 particles: %d", n);
    CHECK_MPI(MPI_Get_elements(&st, pt, &n));
    CHECK(n == 14, "Get_elements of 2 particles: %d", n);

    /* The first 5 elements of a particle (tag, pos, id) only. */
    int len[3] = {1, 3, 1};
    MPI_Aint dsp[3] = {offsetof(struct particle, tag),
                       offsetof(struct particle, pos),
                       offsetof(struct particle, id)};
    MPI_Datatype types[3] = {MPI_CHAR, MPI_DOUBLE, MPI_INT};
    CHECK_MPI(MPI_Type_create_struct(3, len, dsp, types, &prefix));
    CHECK_MPI(MPI_Type_commit(&prefix));
    memset(got, 0, sizeof got);
    ring(ps, 1, prefix, got, 1, pt, &st);
    CHECK_MPI(MPI_Get_count(&st, pt, &n));
    CHECK(n == MPI_UNDEFINED, "Get_count of part of a particle: %d", n);
    CHECK_MPI(MPI_Get_elements(&st, pt, &n));
    CHECK(n == 5, "Get_elements of part of a particle: %d", n);
    CHECK(got[0].id == val(left, 0) && got[0].flags[0] == 0,
          "partial particle content");

    CHECK_MPI(MPI_Type_free(&prefix));
    CHECK_MPI(MPI_Type_free(&triple));
    CHECK_MPI(MPI_Type_free(&pt));
}

/* What a type was made from: the combiner and its arguments. */
static void test_envelope(void)
{
    MPI_Datatype vec, dup;
    int ni, na, nd, comb;
    CHECK_MPI(MPI_Type_vector(3, 2, 4, MPI_INT, &vec));
    CHECK_MPI(MPI_Type_get_envelope(vec, &ni, &na, &nd, &comb));
    CHECK(comb == MPI_COMBINER_VECTOR && ni == 3 && na == 0 && nd == 1,
          "vector envelope %d %d %d %d", comb, ni, na, nd);
    int ints[3];
    MPI_Aint aints[1];
    MPI_Datatype types[1];
    CHECK_MPI(MPI_Type_get_contents(vec, 3, 0, 1, ints, aints, types));
    CHECK(ints[0] == 3 && ints[1] == 2 && ints[2] == 4 && types[0] == MPI_INT,
          "vector contents %d %d %d", ints[0], ints[1], ints[2]);

    CHECK_MPI(MPI_Type_dup(vec, &dup));
    CHECK_MPI(MPI_Type_get_envelope(dup, &ni, &na, &nd, &comb));
    CHECK(comb == MPI_COMBINER_DUP && nd == 1, "dup envelope %d", comb);
    CHECK_MPI(MPI_Type_get_contents(dup, 0, 0, 1, ints, aints, types));
    /* The returned handle is a derived type the caller must free. */
    CHECK_MPI(MPI_Type_free(&types[0]));
    CHECK_MPI(MPI_Type_get_envelope(MPI_INT, &ni, &na, &nd, &comb));
    CHECK(comb == MPI_COMBINER_NAMED, "MPI_INT envelope %d", comb);
    CHECK_MPI(MPI_Type_free(&dup));
    CHECK_MPI(MPI_Type_free(&vec));
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    check_init("datatypes");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    right = (rank + 1) % size;
    left = (rank + size - 1) % size;

    test_basic_constructors();
    test_subarrays();
    test_resized();
    test_nested();
    test_struct();
    test_addresses();
    test_bottom();
    test_pack();
    test_get_elements();
    test_envelope();
    return check_finish();
}
