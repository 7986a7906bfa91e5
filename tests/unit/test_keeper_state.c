/*
 * test_keeper_state.c — the rank-<r>.keeper format of
 * coordinated/keeper_state.h: every section round-trips field by field
 * (each one empty or populated, with payloads of 1 MiB), the add functions
 * copy and validate, and the parser refuses — with a reason, without
 * reading out of bounds — every truncation, every single bit flip, random
 * garbage, and corruptions whose checksum was recomputed to reach the
 * section parser; a resealed corruption it accepts must be canonical
 * (encode gives back the same bytes). Last, the atomic file write and read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <unistd.h>

#include "common/wire.h"
#include "coordinated/keeper_state.h"
#include "storage/checksum.h"

#define MIB ((size_t)1 << 20)
#define SMALL 64                  /* "big" payloads of the exhaustive tests */

enum { SEC_PENDING = 1, SEC_MESSAGES = 2, SEC_COMMS = 4, SEC_COLLS = 8, ALL_SECTIONS = 15 };

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void pattern(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(i * 31u + seed * 7u + (i >> 8));
}

/* --- a state with something in every field -------------------------------- */

static struct chan_sub make_sub(uint32_t op, uint64_t req, int64_t base)
{
    struct chan_sub s = { .op = op, .flags = (uint32_t)req * 3u, .req = req };
    for (int i = 0; i < CHAN_SUB_ARGS; i++)
        s.arg[i] = base * (i + 1) - (i % 3 == 0 ? INT64_C(1) << 40 : 0);
    return s;
}

static struct keeper_result make_result(int64_t rc, int64_t bytes)
{
    struct keeper_result r = { .rc = rc, .source = 5, .tag = -7, .cancelled = 0, .bytes = bytes };
    for (int i = 0; i < CHAN_CMP_VALS; i++)
        r.val[i] = rc * 100 + i - (INT64_C(1) << 33);
    return r;
}

static void add_pending(struct keeper_state *ks, size_t big)
{
    unsigned char *blob = malloc(big), small[17];
    assert_non_null(blob);
    pattern(blob, big, 1);
    pattern(small, sizeof small, 2);
    struct chan_sub recv = make_sub(WOP_RECV, 11, 3);
    struct chan_sub allreduce = make_sub(WOP_COLL, 12, -5);
    struct chan_sub barrier = make_sub(WOP_COLL, 13, 7);
    struct chan_sub send = make_sub(WOP_SEND, 14, 1);
    struct chan_sub bcast = make_sub(WOP_COLL, 15, 9);
    struct keeper_result r1 = make_result(0, (int64_t)big), r2 = make_result(0, 0);
    struct keeper_result r4 = make_result(13, (int64_t)sizeof small);
    assert_int_equal(keeper_state_add_pending(ks, &recv, NULL, 0), 0);
    assert_int_equal(keeper_state_add_pending(ks, &allreduce, blob, big), 0);
    assert_int_equal(keeper_state_set_result(ks, 1, &r1, blob, big), 0);
    assert_int_equal(keeper_state_add_pending(ks, &barrier, "", 0), 0);
    assert_int_equal(keeper_state_set_result(ks, 2, &r2, NULL, 0), 0);
    assert_int_equal(keeper_state_add_pending(ks, &send, small, sizeof small), 0);
    assert_int_equal(keeper_state_add_pending(ks, &bcast, NULL, 0), 0);
    assert_int_equal(keeper_state_set_result(ks, 4, &r4, small, sizeof small), 0);
    free(blob);
}

static void add_messages(struct keeper_state *ks, size_t big)
{
    unsigned char *blob = malloc(big), small[5] = { 1, 2, 3, 4, 5 };
    assert_non_null(blob);
    pattern(blob, big, 3);
    assert_int_equal(keeper_state_add_message(ks, WIRE_COMM_WORLD, 2, 99, 11, -1, NULL, 0), 0);
    assert_int_equal(keeper_state_add_message(ks, 7, 0, -3, 12, 0, small, sizeof small), 0);
    assert_int_equal(keeper_state_add_message(ks, INT64_MAX, INT32_MAX, INT32_MIN, UINT64_MAX,
                                              INT64_MAX, blob, big), 0);
    free(blob);
}

static void add_comms(struct keeper_state *ks)
{
    int32_t world[8] = { 0, 1, 2, 3, 4, 5, 6, 7 }, odd[3] = { 1, 3, 5 };
    int64_t split[2] = { 1, -4 }, eight[KEEPER_STATE_COMM_ARGS];
    for (int i = 0; i < KEEPER_STATE_COMM_ARGS; i++)
        eight[i] = INT64_MIN + i;
    assert_int_equal(keeper_state_add_comm(ks, 2, WIRE_COMM_WORLD, WOP_COMM_DUP, NULL, 0,
                                           world, 8), 0);
    assert_int_equal(keeper_state_add_comm(ks, 3, 2, WOP_COMM_SPLIT, split, 2, odd, 3), 0);
    assert_int_equal(keeper_state_add_comm(ks, 4, 3, WOP_COMM_CREATE_GROUP, eight,
                                           KEEPER_STATE_COMM_ARGS, odd, 2), 0);
    assert_int_equal(keeper_state_add_comm(ks, 5, 2, WOP_COMM_SPLIT, split, 2, NULL, 0), 0);
}

static void add_colls(struct keeper_state *ks)
{
    assert_int_equal(keeper_state_add_coll_count(ks, WIRE_COMM_WORLD, 17, 15), 0);
    assert_int_equal(keeper_state_add_coll_count(ks, 3, 0, 0), 0);
    assert_int_equal(keeper_state_add_coll_count(ks, -1, UINT64_MAX, 7), 0);
}

/* A state with the sections of `mask` populated; `big` is the size of the
 * large payloads. */
static void fill_state(struct keeper_state *ks, unsigned mask, size_t big)
{
    keeper_state_init(ks);
    ks->rank = 3;
    ks->size = 8;
    ks->epoch = 12;
    ks->incarnation = 2;
    ks->sub_cut = 1000;
    ks->cmp_cut = 990;
    ks->stdout_bytes = UINT64_C(123456789012);
    ks->stderr_bytes = 42;
    if (mask & SEC_PENDING)
        add_pending(ks, big);
    if (mask & SEC_MESSAGES)
        add_messages(ks, big);
    if (mask & SEC_COMMS)
        add_comms(ks);
    if (mask & SEC_COLLS)
        add_colls(ks);
}

/* --- comparing ------------------------------------------------------------ */

static void assert_bytes_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    assert_int_equal(alen, blen);
    if (alen)
        assert_memory_equal(a, b, alen);
}

static void assert_results_equal(const struct keeper_result *a, const struct keeper_result *b)
{
    assert_int_equal(a->rc, b->rc);
    assert_int_equal(a->source, b->source);
    assert_int_equal(a->tag, b->tag);
    assert_int_equal(a->cancelled, b->cancelled);
    assert_int_equal(a->bytes, b->bytes);
    for (int i = 0; i < CHAN_CMP_VALS; i++)
        assert_int_equal(a->val[i], b->val[i]);
}

static void assert_pending_equal(const struct keeper_pending *a, const struct keeper_pending *b)
{
    assert_int_equal(a->sub.op, b->sub.op);
    assert_int_equal(a->sub.flags, b->sub.flags);
    assert_int_equal(a->sub.req, b->sub.req);
    for (int i = 0; i < CHAN_SUB_ARGS; i++)
        assert_int_equal(a->sub.arg[i], b->sub.arg[i]);
    assert_int_equal(a->has_saved, b->has_saved);
    assert_bytes_equal(a->saved, a->saved_len, b->saved, b->saved_len);
    assert_int_equal(a->has_result, b->has_result);
    if (a->has_result)
        assert_results_equal(&a->result, &b->result);
    assert_bytes_equal(a->data, a->data_len, b->data, b->data_len);
}

static void assert_messages_equal(const struct keeper_message *a, const struct keeper_message *b)
{
    assert_int_equal(a->comm, b->comm);
    assert_int_equal(a->source, b->source);
    assert_int_equal(a->tag, b->tag);
    assert_int_equal(a->epoch, b->epoch);
    assert_int_equal(a->matched, b->matched);
    assert_bytes_equal(a->payload, a->len, b->payload, b->len);
}

static void assert_comms_equal(const struct keeper_comm *a, const struct keeper_comm *b)
{
    assert_int_equal(a->id, b->id);
    assert_int_equal(a->parent, b->parent);
    assert_int_equal(a->op, b->op);
    assert_int_equal(a->nargs, b->nargs);
    for (uint32_t i = 0; i < a->nargs; i++)
        assert_int_equal(a->arg[i], b->arg[i]);
    assert_bytes_equal(a->members, a->nmembers * sizeof(int32_t), b->members,
                       b->nmembers * sizeof(int32_t));
}

static void assert_states_equal(const struct keeper_state *a, const struct keeper_state *b)
{
    assert_int_equal(a->rank, b->rank);
    assert_int_equal(a->size, b->size);
    assert_int_equal(a->epoch, b->epoch);
    assert_int_equal(a->incarnation, b->incarnation);
    assert_int_equal(a->sub_cut, b->sub_cut);
    assert_int_equal(a->cmp_cut, b->cmp_cut);
    assert_int_equal(a->stdout_bytes, b->stdout_bytes);
    assert_int_equal(a->stderr_bytes, b->stderr_bytes);
    assert_int_equal(a->n_pending, b->n_pending);
    for (size_t i = 0; i < a->n_pending; i++)
        assert_pending_equal(&a->pending[i], &b->pending[i]);
    assert_int_equal(a->n_messages, b->n_messages);
    for (size_t i = 0; i < a->n_messages; i++)
        assert_messages_equal(&a->messages[i], &b->messages[i]);
    assert_int_equal(a->n_comms, b->n_comms);
    for (size_t i = 0; i < a->n_comms; i++)
        assert_comms_equal(&a->comms[i], &b->comms[i]);
    assert_int_equal(a->n_colls, b->n_colls);
    for (size_t i = 0; i < a->n_colls; i++) {
        assert_int_equal(a->colls[i].comm, b->colls[i].comm);
        assert_int_equal(a->colls[i].count, b->colls[i].count);
        assert_int_equal(a->colls[i].line_min, b->colls[i].line_min);
    }
}

/* --- encoding, decoding, refusing ----------------------------------------- */

static unsigned char *encode(const struct keeper_state *ks, size_t *len)
{
    void *buf;
    assert_int_equal(keeper_state_encode(ks, &buf, len), 0);
    assert_non_null(buf);
    return buf;
}

static void assert_empty(const struct keeper_state *ks)
{
    assert_null(ks->pending);
    assert_null(ks->messages);
    assert_null(ks->comms);
    assert_null(ks->colls);
    assert_int_equal(ks->n_pending + ks->n_messages + ks->n_comms + ks->n_colls, 0);
}

/* Decoding `buf` fails with a reason containing `why` (any reason: NULL);
 * `out` is left empty. */
static void assert_refused(const void *buf, size_t len, const char *why)
{
    struct keeper_state out;
    char err[KEEPER_STATE_ERROR_MAX];
    errno = 0;
    if (keeper_state_decode(buf, len, &out, err) != -1)
        fail_msg("accepted a bad buffer of %zu bytes", len);
    assert_int_equal(errno, EBADMSG);
    assert_true(err[0] != '\0');
    assert_null(strchr(err, '\n'));
    if (why && !strstr(err, why))
        fail_msg("reason \"%s\", expected \"%s\"", err, why);
    assert_empty(&out);
}

/* Makes a modified buffer look intact again: the size in the header and the
 * checksum, so that decoding reaches the section parser. */
static void reseal(unsigned char *buf, size_t len)
{
    uint64_t total = len;
    memcpy(buf + 8, &total, sizeof total);
    uint64_t sum = xxh64(buf, len - 8, 0);
    memcpy(buf + len - 8, &sum, sizeof sum);
}

/* Decoding a resealed buffer either refuses it with a reason or accepts
 * what encodes back to the very same bytes. Returns 1 if accepted. */
static int refused_or_canonical(const unsigned char *buf, size_t len)
{
    struct keeper_state out;
    char err[KEEPER_STATE_ERROR_MAX];
    if (keeper_state_decode(buf, len, &out, err) < 0) {
        assert_true(err[0] != '\0');
        assert_empty(&out);
        return 0;
    }
    size_t again_len;
    unsigned char *again = encode(&out, &again_len);
    assert_bytes_equal(again, again_len, buf, len);
    free(again);
    keeper_state_free(&out);
    return 1;
}

static void round_trip(unsigned mask, size_t big)
{
    struct keeper_state ks, out;
    char err[KEEPER_STATE_ERROR_MAX];
    size_t len;
    fill_state(&ks, mask, big);
    unsigned char *buf = encode(&ks, &len);
    assert_int_equal(keeper_state_decode(buf, len, &out, err), 0);
    assert_states_equal(&ks, &out);
    size_t again_len;
    unsigned char *again = encode(&out, &again_len);
    assert_bytes_equal(again, again_len, buf, len);
    free(again);
    free(buf);
    keeper_state_free(&out);
    keeper_state_free(&ks);
}

/* --- tests ------------------------------------------------------------------ */

static void test_empty_state_round_trips(void **state)
{
    (void)state;
    struct keeper_state ks, out;
    char err[KEEPER_STATE_ERROR_MAX];
    size_t len;
    fill_state(&ks, 0, 0);
    unsigned char *buf = encode(&ks, &len);
    assert_int_equal(len, 56 + 5 * 24 + 16 + 8);
    assert_memory_equal(buf, "MKKS", 4);
    assert_int_equal(keeper_state_decode(buf, len, &out, err), 0);
    assert_states_equal(&ks, &out);
    assert_empty(&out);
    free(buf);
    keeper_state_free(&out);
    keeper_state_free(&ks);
}

static void test_every_section_round_trips_empty_or_not(void **state)
{
    (void)state;
    for (unsigned mask = 0; mask <= ALL_SECTIONS; mask++)
        round_trip(mask, SMALL);
}

static void test_megabyte_payloads_round_trip(void **state)
{
    (void)state;
    round_trip(ALL_SECTIONS, MIB);
}

static void test_add_functions_copy_their_arguments(void **state)
{
    (void)state;
    struct keeper_state ks;
    struct chan_sub sub = make_sub(WOP_COLL, 1, 1);
    unsigned char bytes[4] = { 1, 2, 3, 4 };
    int32_t members[2] = { 0, 1 };
    int64_t args[1] = { 77 };
    struct keeper_result res = make_result(0, 4), res2 = make_result(1, 1);
    keeper_state_init(&ks);
    assert_int_equal(keeper_state_add_pending(&ks, &sub, bytes, sizeof bytes), 0);
    assert_int_equal(keeper_state_set_result(&ks, 0, &res, bytes, sizeof bytes), 0);
    assert_int_equal(keeper_state_add_message(&ks, 0, 1, 2, 3, 5, bytes, sizeof bytes), 0);
    assert_int_equal(keeper_state_add_comm(&ks, 2, 0, WOP_COMM_DUP, args, 1, members, 2), 0);
    memset(bytes, 9, sizeof bytes);
    members[1] = 9;
    args[0] = 9;
    sub.req = 9;
    assert_int_equal(ks.pending[0].sub.req, 1);
    assert_int_equal(((unsigned char *)ks.pending[0].saved)[3], 4);
    assert_int_equal(((unsigned char *)ks.pending[0].data)[3], 4);
    assert_int_equal(((unsigned char *)ks.messages[0].payload)[3], 4);
    assert_int_equal(ks.comms[0].members[1], 1);
    assert_int_equal(ks.comms[0].arg[0], 77);
    /* a later result replaces the earlier one */
    assert_int_equal(keeper_state_set_result(&ks, 0, &res2, bytes, 1), 0);
    assert_int_equal(ks.pending[0].data_len, 1);
    assert_int_equal(ks.pending[0].result.rc, 1);
    /* many adds grow the arrays */
    for (int i = 0; i < 1000; i++)
        assert_int_equal(keeper_state_add_coll_count(&ks, i, (uint64_t)i * 2, (uint64_t)i), 0);
    assert_int_equal(ks.n_colls, 1000);
    assert_int_equal(ks.colls[999].count, 1998);
    keeper_state_free(&ks);
    assert_empty(&ks);
    keeper_state_free(&ks);        /* twice is harmless */
}

/* Adds channel-state message `id` (its payload: a wire header, then id)
 * from `source` on `comm`, sent by the sender's incarnation `inc` as its
 * send number `ssn`. */
static void add_sent(struct keeper_state *ks, int64_t comm, int32_t source, uint32_t inc,
                     uint64_t ssn, int32_t id)
{
    unsigned char wire[sizeof(struct wire_msg_header) + sizeof id];
    struct wire_msg_header h = { .magic = WIRE_MSG_MAGIC, .incarnation = inc, .epoch = 4,
                                 .ssn = ssn };
    memcpy(wire, &h, sizeof h);
    memcpy(wire + sizeof h, &id, sizeof id);
    assert_int_equal(keeper_state_add_message_in_send_order(ks, comm, source, 7, wire,
                                                            sizeof wire), 0);
}

/* The ids of the state's messages, in order, as a string of digits. */
static const char *message_ids(const struct keeper_state *ks)
{
    static char ids[64];
    size_t i;
    for (i = 0; i < ks->n_messages && i < sizeof ids - 1; i++) {
        int32_t id;
        memcpy(&id, (const unsigned char *)ks->messages[i].payload +
                        sizeof(struct wire_msg_header), sizeof id);
        ids[i] = (char)('0' + id);
    }
    ids[i] = 0;
    return ids;
}

static void test_channel_state_keeps_each_senders_send_order(void **state)
{
    (void)state;
    struct keeper_state ks;
    keeper_state_init(&ks);
    /* From (comm 2, source 3): a large message 0 (ssn 10) completes after
     * small ones 1, 2 (ssn 11, 12): it still goes first of them. */
    add_sent(&ks, 2, 3, 1, 11, 1);
    add_sent(&ks, 2, 3, 1, 12, 2);
    add_sent(&ks, 2, 1, 1, 50, 5);  /* another sender: its place is its own */
    add_sent(&ks, 2, 3, 1, 10, 0);
    assert_string_equal(message_ids(&ks), "0125");
    assert_int_equal(ks.messages[0].epoch, 4);
    assert_int_equal(ks.messages[0].matched, -1);
    /* The same source on another communicator is another sender. */
    add_sent(&ks, 3, 3, 1, 1, 6);
    assert_string_equal(message_ids(&ks), "01256");
    /* An older incarnation's message goes before the newer one's, whatever
     * their numbers; one sent after all of its sender's is added last. */
    add_sent(&ks, 2, 1, 0, 90, 4);
    assert_string_equal(message_ids(&ks), "012456");
    add_sent(&ks, 2, 3, 1, 13, 3);
    assert_string_equal(message_ids(&ks), "0124563");
    /* A matched message (the application holds its handle) is not channel
     * state: nothing is ordered against it. */
    unsigned char matched[sizeof(struct wire_msg_header) + sizeof(int32_t)];
    struct wire_msg_header later = { .magic = WIRE_MSG_MAGIC, .incarnation = 1, .ssn = 99 };
    int32_t nine = 9;
    memcpy(matched, &later, sizeof later);
    memcpy(matched + sizeof later, &nine, sizeof nine);
    assert_int_equal(keeper_state_add_message(&ks, 2, 3, 7, 4, 0, matched, sizeof matched), 0);
    add_sent(&ks, 2, 3, 1, 14, 8);
    assert_string_equal(message_ids(&ks), "012456398");
    /* A payload too short for a header is refused. */
    errno = 0;
    assert_int_equal(keeper_state_add_message_in_send_order(&ks, 2, 3, 7, matched, 8), -1);
    assert_int_equal(errno, EINVAL);
    keeper_state_free(&ks);
}

static void assert_encode_einval(const struct keeper_state *ks)
{
    void *buf = (void *)1;
    size_t len = 1;
    errno = 0;
    assert_int_equal(keeper_state_encode(ks, &buf, &len), -1);
    assert_int_equal(errno, EINVAL);
    assert_null(buf);
    assert_int_equal(len, 0);
}

static void test_invalid_arguments_are_refused(void **state)
{
    (void)state;
    struct keeper_state ks;
    struct chan_sub sub = make_sub(WOP_SEND, 1, 1);
    struct keeper_result res = make_result(0, 0);
    int64_t args[KEEPER_STATE_COMM_ARGS + 1] = { 0 };
    int32_t members[1] = { 8 };
    fill_state(&ks, 0, 0);
    errno = 0;
    assert_int_equal(keeper_state_add_pending(&ks, &sub, NULL, 3), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(keeper_state_set_result(&ks, 0, &res, NULL, 0), -1);  /* no record 0 */
    assert_int_equal(keeper_state_add_pending(&ks, &sub, NULL, 0), 0);
    assert_int_equal(keeper_state_set_result(&ks, 0, &res, NULL, 5), -1);
    assert_int_equal(keeper_state_add_message(&ks, 0, 0, 0, 0, -1, NULL, 1), -1);
    assert_int_equal(keeper_state_add_message(&ks, 0, 0, 0, 0, -2, NULL, 0), -1);
    assert_int_equal(keeper_state_add_comm(&ks, 2, 0, WOP_COMM_DUP, args,
                                           KEEPER_STATE_COMM_ARGS + 1, NULL, 0), -1);
    assert_int_equal(keeper_state_add_comm(&ks, 2, 0, WOP_COMM_DUP, NULL, 0, NULL, 1), -1);
    assert_int_equal(ks.n_pending, 1);
    assert_int_equal(ks.n_messages + ks.n_comms, 0);
    /* encode refuses what decode would */
    assert_int_equal(keeper_state_add_comm(&ks, 2, 0, WOP_COMM_DUP, NULL, 0, members, 1), 0);
    assert_encode_einval(&ks);                       /* member 8 of 8 ranks */
    ks.comms[0].members[0] = 7;
    ks.rank = 8;
    assert_encode_einval(&ks);
    ks.rank = -1;
    assert_encode_einval(&ks);
    ks.rank = 0;
    ks.size = 0;
    assert_encode_einval(&ks);
    ks.size = 8;
    ks.pending[0].saved_len = 2;                     /* no saved flag */
    assert_encode_einval(&ks);
    ks.pending[0].saved_len = 0;
    ks.pending[0].data_len = 2;                      /* no result flag */
    assert_encode_einval(&ks);
    ks.pending[0].data_len = 0;
    void *buf;
    size_t len;
    assert_int_equal(keeper_state_encode(&ks, &buf, &len), 0);
    free(buf);
    keeper_state_free(&ks);
}

static void test_every_truncation_is_refused(void **state)
{
    (void)state;
    struct keeper_state ks;
    size_t len;
    fill_state(&ks, ALL_SECTIONS, SMALL);
    unsigned char *buf = encode(&ks, &len);
    for (size_t cut = 0; cut < len; cut++) {
        unsigned char *copy = malloc(cut ? cut : 1);   /* exact size: overreads are caught */
        assert_non_null(copy);
        memcpy(copy, buf, cut);
        assert_refused(copy, cut, "truncated");
        free(copy);
    }
    free(buf);
    keeper_state_free(&ks);

    fill_state(&ks, ALL_SECTIONS, MIB);
    buf = encode(&ks, &len);
    for (size_t cut = 0; cut < len; cut += cut < 4096 || len - cut < 4096 ? 1 : 4093)
        assert_refused(buf, cut, "truncated");
    free(buf);
    keeper_state_free(&ks);
}

static void test_every_resealed_truncation_is_refused(void **state)
{
    (void)state;
    struct keeper_state ks;
    size_t len;
    fill_state(&ks, ALL_SECTIONS, SMALL);
    unsigned char *buf = encode(&ks, &len);
    for (size_t body = 56; body < len - 8; body++) {
        unsigned char *copy = malloc(body + 8);
        assert_non_null(copy);
        memcpy(copy, buf, body);
        reseal(copy, body + 8);
        assert_refused(copy, body + 8, "truncated in section");
        free(copy);
    }
    free(buf);
    keeper_state_free(&ks);
}

/* What a flip of bit `bit` must be refused for. */
static const char *flip_reason(size_t bit, size_t len)
{
    size_t byte = bit / 8;
    if (byte < 4)
        return "bad magic";
    if (byte < 8)
        return "unknown version";
    if (byte < 16)
        return " bytes";         /* "truncated: N of M bytes", "N bytes where the header says M" */
    (void)len;
    return "checksum mismatch";
}

static void test_every_bit_flip_is_refused(void **state)
{
    (void)state;
    struct keeper_state ks;
    size_t len;
    fill_state(&ks, ALL_SECTIONS, SMALL);
    unsigned char *buf = encode(&ks, &len);
    for (size_t bit = 0; bit < len * 8; bit++) {
        buf[bit / 8] ^= (unsigned char)(1u << bit % 8);
        assert_refused(buf, len, flip_reason(bit, len));
        buf[bit / 8] ^= (unsigned char)(1u << bit % 8);
    }
    free(buf);
    keeper_state_free(&ks);
}

static void test_resealed_corruption_is_refused_or_canonical(void **state)
{
    (void)state;
    struct keeper_state ks;
    size_t len;
    uint64_t rng = 0x9e3779b97f4a7c15u;
    int accepted = 0, tries = 0;
    fill_state(&ks, ALL_SECTIONS, SMALL);
    unsigned char *buf = encode(&ks, &len), *copy = malloc(len);
    assert_non_null(copy);
    /* random bit flips past the size field */
    for (int i = 0; i < 20000; i++, tries++) {
        memcpy(copy, buf, len);
        int flips = 1 + (int)(rng_next(&rng) % 4);
        for (int f = 0; f < flips; f++) {
            size_t bit = 16 * 8 + rng_next(&rng) % ((len - 24) * 8);
            copy[bit / 8] ^= (unsigned char)(1u << bit % 8);
        }
        reseal(copy, len);
        accepted += refused_or_canonical(copy, len);
    }
    /* every aligned word set to extreme values: counts, lengths, flags */
    static const uint32_t extremes[] = { 0xffffffffu, 0x80000000u, 0x7fffffffu, 1, 0 };
    for (size_t at = 16; at + 4 <= len - 8; at += 4)
        for (size_t e = 0; e < sizeof extremes / sizeof *extremes; e++, tries++) {
            memcpy(copy, buf, len);
            memcpy(copy + at, &extremes[e], sizeof extremes[e]);
            reseal(copy, len);
            accepted += refused_or_canonical(copy, len);
        }
    /* Flips in free-form fields (args, payloads) are legitimately accepted,
     * flips in lengths, counts and flags are not. */
    print_message("resealed corruptions: %d of %d accepted (canonical)\n", accepted, tries);
    assert_true(accepted > 0);
    assert_true(accepted < tries);
    free(copy);
    free(buf);
    keeper_state_free(&ks);
}

static void test_random_garbage_is_refused(void **state)
{
    (void)state;
    uint64_t rng = 12345;
    struct keeper_state ks;
    size_t good_len;
    fill_state(&ks, 0, 0);
    unsigned char *good = encode(&ks, &good_len);
    for (int i = 0; i < 3000; i++) {
        size_t len = rng_next(&rng) % 4096;
        unsigned char *g = malloc(len ? len : 1);
        assert_non_null(g);
        for (size_t k = 0; k < len; k++)
            g[k] = (unsigned char)rng_next(&rng);
        assert_refused(g, len, NULL);
        if (len >= 64) {
            /* a plausible header: the checksum gives it away */
            memcpy(g, good, 56);
            uint64_t total = len;
            memcpy(g + 8, &total, sizeof total);
            assert_refused(g, len, "checksum mismatch");
            /* resealed: the section parser gives it away */
            reseal(g, len);
            assert_refused(g, len, NULL);
        }
        free(g);
    }
    free(good);
    keeper_state_free(&ks);
}

/* Sets the u32 at `at` of a copy of `buf`, reseals it, and expects `why`. */
static void assert_patch_refused(const unsigned char *buf, size_t len, size_t at, uint32_t v,
                                 const char *why)
{
    unsigned char *copy = malloc(len);
    assert_non_null(copy);
    memcpy(copy, buf, len);
    memcpy(copy + at, &v, sizeof v);
    reseal(copy, len);
    assert_refused(copy, len, why);
    free(copy);
}

static void test_reasons_name_the_problem(void **state)
{
    (void)state;
    struct keeper_state ks;
    size_t len;
    fill_state(&ks, SEC_PENDING | SEC_COMMS, SMALL);
    unsigned char *buf = encode(&ks, &len);
    unsigned char *longer = malloc(len + 8);
    assert_non_null(longer);
    assert_patch_refused(buf, len, 4, 7, "unknown version 7");
    assert_patch_refused(buf, len, 0, 0x5a5a5a5a, "bad magic");
    assert_patch_refused(buf, len, 16, 8, "header: rank 8 of 8 is not a world rank");
    assert_patch_refused(buf, len, 20, 0, "header: rank 3 of 0");
    assert_patch_refused(buf, len, 56, 2, "section pending expected, found section id 2");
    assert_patch_refused(buf, len, 60, 1, "section pending: reserved field not zero");
    assert_patch_refused(buf, len, 64, 1000000, "records cannot fit");
    /* record 0 (a receive: nothing saved, no result) */
    assert_patch_refused(buf, len, 56 + 24 + 128, 4, "record 0 has unknown flags");
    assert_patch_refused(buf, len, 56 + 24 + 132, 1, "record 0 has unknown flags");
    assert_patch_refused(buf, len, 56 + 24 + 136, 1, "record 0 has saved bytes but no saved flag");
    assert_patch_refused(buf, len, 56 + 24 + 144, 1, "record 0 has a result but no result flag");
    assert_patch_refused(buf, len, 56 + 24 + 152, 1, "record 0 has a result but no result flag");
    /* record 1 (a collective with its contribution and its result) */
    assert_patch_refused(buf, len, 56 + 24 + 224 + 136, 1000,
                         "truncated in section pending (record 1)");
    assert_patch_refused(buf, len, 56 + 24 + 224 + 144, 1000,
                         "truncated in section pending (record 1)");
    /* one record less than there are: bytes left at the end of the section */
    assert_patch_refused(buf, len, 64, 4, "section pending: ");
    assert_patch_refused(buf, len, 64, 4, "bytes after its last record");
    /* a byte too many, then the same resealed */
    memcpy(longer, buf, len);
    assert_refused(longer, len + 1, "where the header says");
    memcpy(longer, buf, len - 8);
    memset(longer + len - 8, 0, 8);
    reseal(longer, len + 8);
    assert_refused(longer, len + 8, "8 bytes after the last section");
    buf[len - 1] ^= 1;
    assert_refused(buf, len, "checksum mismatch");
    free(longer);
    free(buf);
    keeper_state_free(&ks);
}

static void test_comm_members_must_be_world_ranks(void **state)
{
    (void)state;
    struct keeper_state ks;
    size_t len;
    int32_t member = 5;
    keeper_state_init(&ks);
    ks.size = 6;
    assert_int_equal(keeper_state_add_comm(&ks, 2, 0, WOP_COMM_DUP, NULL, 0, &member, 1), 0);
    unsigned char *buf = encode(&ks, &len);
    /* header, 2 empty sections, comms section header, the fixed part of
     * the record, then the member */
    size_t at = 56 + 24 + 24 + 24 + 96;
    int32_t seen;
    memcpy(&seen, buf + at, sizeof seen);
    assert_int_equal(seen, 5);
    assert_patch_refused(buf, len, at, 6, "member 6 is not a world rank");
    assert_patch_refused(buf, len, at, (uint32_t)-1, "member -1 is not a world rank");
    assert_patch_refused(buf, len, 56 + 24 + 24 + 24 + 20, 9, "has 9 args, at most 8");
    assert_patch_refused(buf, len, 56 + 24 + 24 + 24 + 24 + 8 * 7, 1, "unused arg 7 not zero");
    assert_patch_refused(buf, len, 56 + 24 + 24 + 24 + 88, 2, "truncated in section comms");
    free(buf);
    keeper_state_free(&ks);
}

/* --- files ---------------------------------------------------------------- */

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    return n;
}

static void test_write_and_read_a_file(void **state)
{
    (void)state;
    char dir[] = "/tmp/test_keeper_state.XXXXXX", path[PATH_MAX], err[KEEPER_STATE_ERROR_MAX];
    struct keeper_state ks, out;
    struct layout_entry entry;
    uint64_t size, sum;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/rank-3.keeper", dir);
    fill_state(&ks, ALL_SECTIONS, MIB);
    assert_int_equal(keeper_state_write(&ks, path, &entry, err), 0);
    assert_string_equal(entry.name, "rank-3.keeper");
    assert_int_equal(layout_file_sum(path, &size, &sum, err), 0);
    assert_int_equal(entry.size, size);
    assert_int_equal(entry.xxh64, sum);
    assert_int_equal(entry.raw_size, 0);
    assert_int_equal(count_entries(dir), 1);        /* no temporary left */
    assert_int_equal(keeper_state_read(path, &out, err), 0);
    assert_states_equal(&ks, &out);
    keeper_state_free(&out);

    /* rewriting replaces it whole; no entry asked */
    ks.epoch = 13;
    assert_int_equal(keeper_state_write(&ks, path, NULL, err), 0);
    assert_int_equal(keeper_state_read(path, &out, err), 0);
    assert_int_equal(out.epoch, 13);
    keeper_state_free(&out);

    /* a damaged file is refused with its path */
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    fseek(f, 1000, SEEK_SET);
    fputc('!', f);
    fclose(f);
    assert_int_equal(keeper_state_read(path, &out, err), -1);
    assert_int_equal(errno, EBADMSG);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "checksum mismatch"));
    assert_empty(&out);

    /* a state that cannot be encoded leaves nothing behind */
    char other[PATH_MAX];
    snprintf(other, sizeof other, "%s/rank-4.keeper", dir);
    ks.rank = 99;
    assert_int_equal(keeper_state_write(&ks, other, NULL, err), -1);
    assert_int_equal(errno, EINVAL);
    assert_int_equal(count_entries(dir), 1);

    /* a missing file */
    assert_int_equal(keeper_state_read(other, &out, err), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(err, other));
    assert_empty(&out);
    /* a directory that does not exist */
    snprintf(other, sizeof other, "%s/nowhere/rank-4.keeper", dir);
    ks.rank = 3;
    assert_int_equal(keeper_state_write(&ks, other, NULL, err), -1);
    assert_true(err[0] != '\0');

    unlink(path);
    assert_int_equal(rmdir(dir), 0);
    keeper_state_free(&ks);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty_state_round_trips),
        cmocka_unit_test(test_every_section_round_trips_empty_or_not),
        cmocka_unit_test(test_megabyte_payloads_round_trip),
        cmocka_unit_test(test_add_functions_copy_their_arguments),
        cmocka_unit_test(test_channel_state_keeps_each_senders_send_order),
        cmocka_unit_test(test_invalid_arguments_are_refused),
        cmocka_unit_test(test_every_truncation_is_refused),
        cmocka_unit_test(test_every_resealed_truncation_is_refused),
        cmocka_unit_test(test_every_bit_flip_is_refused),
        cmocka_unit_test(test_resealed_corruption_is_refused_or_canonical),
        cmocka_unit_test(test_random_garbage_is_refused),
        cmocka_unit_test(test_reasons_name_the_problem),
        cmocka_unit_test(test_comm_members_must_be_world_ranks),
        cmocka_unit_test(test_write_and_read_a_file),
    };
    return cmocka_run_group_tests_name("keeper_state", tests, NULL, NULL);
}
