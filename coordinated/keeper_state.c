/*
 * keeper_state.c — the rank-<r>.keeper file format of
 * coordinated/keeper_state.h: building the state, encoding it, the
 * refusing parser, and the atomic file write and read.
 *
 * Encoding runs the same writer twice: once counting bytes, once writing
 * into a buffer of exactly that size, so sizes are never computed apart
 * from the code that writes them. Decoding goes through a cursor whose only
 * way to read is a bounds-checked take; every record count is bounded by
 * its section's length before anything is allocated.
 */
#include "coordinated/keeper_state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/wire.h"
#include "storage/checksum.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
               "the keeper state is written in native byte order, which must be little-endian");
_Static_assert(sizeof(struct chan_sub) == 128 && CHAN_SUB_ARGS == 14,
               "struct chan_sub changed: bump KEEPER_STATE_VERSION and read version 1 records");
_Static_assert(sizeof(struct keeper_result) == 9 * sizeof(int64_t) && CHAN_CMP_VALS == 4,
               "struct keeper_result changed: bump KEEPER_STATE_VERSION");

enum {
    MAGIC_BYTES = 4,
    HEADER_BYTES = 56,
    TOTAL_AT = 8,                  /* offset of the file's byte count */
    SUM_BYTES = 8,
    SECTION_HEADER_BYTES = 24,
    BYTES_AT = 16,                 /* offset of a section's body bytes */
    RESULT_BYTES = (int)sizeof(struct keeper_result),
    PENDING_FIXED = 128 + 4 + 4 + 8 + 8 + RESULT_BYTES,
    MESSAGE_FIXED = 8 + 4 + 4 + 8 + 8,
    COMM_FIXED = 8 + 8 + 4 + 4 + 8 * KEEPER_STATE_COMM_ARGS + 4 + 4,
    COLL_BYTES = 24,
    OUTPUT_BYTES = 16,
};

enum { PENDING_SAVED = 1u, PENDING_RESULT = 2u };

enum section { SEC_PENDING = 1, SEC_MESSAGES, SEC_COMMS, SEC_COLLS, SEC_OUTPUT };

static const char *const section_name[] = {
    [SEC_PENDING] = "pending", [SEC_MESSAGES] = "messages", [SEC_COMMS] = "comms",
    [SEC_COLLS] = "collectives", [SEC_OUTPUT] = "output",
};

/* --- errors --------------------------------------------------------------- */

/* One line into `err`, errno kept; returns -1. */
__attribute__((format(printf, 2, 3)))
static int say(char *err, const char *fmt, ...)
{
    int saved = errno;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, KEEPER_STATE_ERROR_MAX, fmt, ap);
    va_end(ap);
    errno = saved;
    return -1;
}

/* A refusal of the contents: the line, errno EBADMSG; returns -1. */
__attribute__((format(printf, 2, 3)))
static int bad(char *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, KEEPER_STATE_ERROR_MAX, fmt, ap);
    va_end(ap);
    errno = EBADMSG;
    return -1;
}

static int truncated(char *err, enum section s, size_t record)
{
    return bad(err, "truncated in section %s (record %zu)", section_name[s], record);
}

static int no_memory(char *err)
{
    say(err, "out of memory");
    errno = ENOMEM;
    return -1;
}

/* --- building ------------------------------------------------------------- */

void keeper_state_init(struct keeper_state *ks)
{
    memset(ks, 0, sizeof *ks);
}

void keeper_state_free(struct keeper_state *ks)
{
    for (size_t i = 0; i < ks->n_pending; i++) {
        free(ks->pending[i].saved);
        free(ks->pending[i].data);
    }
    for (size_t i = 0; i < ks->n_messages; i++)
        free(ks->messages[i].payload);
    for (size_t i = 0; i < ks->n_comms; i++)
        free(ks->comms[i].members);
    free(ks->pending);
    free(ks->messages);
    free(ks->comms);
    free(ks->colls);
    keeper_state_init(ks);
}

/* `arr` with room for element `n` (grown by doubling), or NULL (ENOMEM)
 * with `arr` and `cap` unchanged. */
static void *grow(void *arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap)
        return arr;
    size_t want = *cap ? *cap * 2 : 8;
    if (want > SIZE_MAX / elem) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = realloc(arr, want * elem);
    if (p)
        *cap = want;
    return p;
}

/* A malloc'd copy of `n` bytes, NULL for none. Returns 0, or -1 (ENOMEM). */
static int copy_bytes(void **dst, const void *src, size_t n)
{
    *dst = NULL;
    if (n == 0)
        return 0;
    *dst = malloc(n);
    if (!*dst)
        return -1;
    memcpy(*dst, src, n);
    return 0;
}

static int invalid(void)
{
    errno = EINVAL;
    return -1;
}

int keeper_state_add_pending(struct keeper_state *ks, const struct chan_sub *sub,
                             const void *saved, size_t saved_len)
{
    if (!sub || (!saved && saved_len))
        return invalid();
    void *arr = grow(ks->pending, &ks->cap_pending, ks->n_pending, sizeof *ks->pending);
    if (!arr)
        return -1;
    ks->pending = arr;
    struct keeper_pending p = { .sub = *sub, .has_saved = saved != NULL, .saved_len = saved_len };
    if (copy_bytes(&p.saved, saved, saved_len) < 0)
        return -1;
    ks->pending[ks->n_pending++] = p;
    return 0;
}

int keeper_state_set_result(struct keeper_state *ks, size_t index,
                            const struct keeper_result *res, const void *data, size_t len)
{
    if (index >= ks->n_pending || !res || (!data && len))
        return invalid();
    void *copy;
    if (copy_bytes(&copy, data, len) < 0)
        return -1;
    struct keeper_pending *p = &ks->pending[index];
    free(p->data);
    p->data = copy;
    p->data_len = len;
    p->result = *res;
    p->has_result = 1;
    return 0;
}

void keeper_result_from_cmp(struct keeper_result *res, const struct chan_cmp *cmp)
{
    res->rc = cmp->rc;
    res->source = cmp->source;
    res->tag = cmp->tag;
    res->cancelled = cmp->cancelled;
    res->bytes = cmp->bytes;
    for (int i = 0; i < CHAN_CMP_VALS; i++)
        res->val[i] = cmp->val[i];
}

int keeper_state_add_message(struct keeper_state *ks, int64_t comm, int32_t source,
                             int32_t tag, uint64_t epoch, int64_t matched, const void *payload,
                             size_t len)
{
    if ((!payload && len) || matched < -1)
        return invalid();
    void *arr = grow(ks->messages, &ks->cap_messages, ks->n_messages, sizeof *ks->messages);
    if (!arr)
        return -1;
    ks->messages = arr;
    struct keeper_message m = { .comm = comm, .source = source, .tag = tag, .epoch = epoch,
                                .matched = matched, .len = len };
    if (copy_bytes(&m.payload, payload, len) < 0)
        return -1;
    ks->messages[ks->n_messages++] = m;
    return 0;
}

/* The send order of a channel-state message: its sender's incarnation,
 * then its send sequence number (from its wire header). */
static int sent_before(const struct keeper_message *a, const struct keeper_message *b)
{
    struct wire_msg_header ha, hb;
    memcpy(&ha, a->payload, sizeof ha);
    memcpy(&hb, b->payload, sizeof hb);
    return ha.incarnation != hb.incarnation ? ha.incarnation < hb.incarnation : ha.ssn < hb.ssn;
}

int keeper_state_add_message_in_send_order(struct keeper_state *ks, int64_t comm, int32_t source,
                                           int32_t tag, const void *payload, size_t len)
{
    struct wire_msg_header h;
    if (!payload || len < sizeof h)
        return invalid();
    memcpy(&h, payload, sizeof h);
    if (keeper_state_add_message(ks, comm, source, tag, h.epoch, -1, payload, len) != 0)
        return -1;
    /* The sender's messages already there are in send order: the new one
     * goes before the first of them it was sent before. */
    size_t last = ks->n_messages - 1, at = last;
    const struct keeper_message *m = &ks->messages[last];
    for (size_t i = 0; i < last; i++) {
        const struct keeper_message *o = &ks->messages[i];
        if (o->matched == -1 && o->comm == comm && o->source == source &&
            o->len >= sizeof h && sent_before(m, o)) {
            at = i;
            break;
        }
    }
    if (at != last) {
        struct keeper_message moved = *m;
        memmove(&ks->messages[at + 1], &ks->messages[at], (last - at) * sizeof moved);
        ks->messages[at] = moved;
    }
    return 0;
}

int keeper_state_add_comm(struct keeper_state *ks, int64_t id, int64_t parent, uint32_t op,
                          const int64_t *args, uint32_t nargs,
                          const int32_t *members, uint32_t nmembers)
{
    if (nargs > KEEPER_STATE_COMM_ARGS || (!args && nargs) || (!members && nmembers))
        return invalid();
    void *arr = grow(ks->comms, &ks->cap_comms, ks->n_comms, sizeof *ks->comms);
    if (!arr)
        return -1;
    ks->comms = arr;
    struct keeper_comm c = { .id = id, .parent = parent, .op = op, .nargs = nargs,
                             .nmembers = nmembers };
    for (uint32_t i = 0; i < nargs; i++)
        c.arg[i] = args[i];
    void *copy;
    if (copy_bytes(&copy, members, (size_t)nmembers * sizeof *members) < 0)
        return -1;
    c.members = copy;
    ks->comms[ks->n_comms++] = c;
    return 0;
}

int keeper_state_add_coll_count(struct keeper_state *ks, int64_t comm, uint64_t count,
                                uint64_t line_min)
{
    void *arr = grow(ks->colls, &ks->cap_colls, ks->n_colls, sizeof *ks->colls);
    if (!arr)
        return -1;
    ks->colls = arr;
    ks->colls[ks->n_colls++] = (struct keeper_coll_count){ comm, count, line_min };
    return 0;
}

/* --- encoding ------------------------------------------------------------- */

/* What encode refuses: anything decode would refuse. */
static int valid_pending(const struct keeper_pending *p)
{
    if ((!p->has_saved && p->saved_len) || (p->saved_len && !p->saved))
        return 0;
    return !(p->has_result ? p->data_len && !p->data : p->data_len != 0);
}

static int valid_comm(const struct keeper_comm *c, int32_t size)
{
    if (c->nargs > KEEPER_STATE_COMM_ARGS || (c->nmembers && !c->members))
        return 0;
    for (uint32_t i = 0; i < c->nmembers; i++)
        if (c->members[i] < 0 || c->members[i] >= size)
            return 0;
    return 1;
}

static int validate(const struct keeper_state *ks)
{
    if (ks->size < 1 || ks->rank < 0 || ks->rank >= ks->size)
        return invalid();
    for (size_t i = 0; i < ks->n_pending; i++)
        if (!valid_pending(&ks->pending[i]))
            return invalid();
    for (size_t i = 0; i < ks->n_messages; i++)
        if ((ks->messages[i].len && !ks->messages[i].payload) || ks->messages[i].matched < -1)
            return invalid();
    for (size_t i = 0; i < ks->n_comms; i++)
        if (!valid_comm(&ks->comms[i], ks->size))
            return invalid();
    return 0;
}

/* A writer: with p NULL it only counts. */
struct out {
    unsigned char *p;
    size_t len;
    uint64_t total;                /* the file's size, once known */
    int overflow;
};

static void put(struct out *o, const void *data, size_t n)
{
    if (n > SIZE_MAX - o->len) {
        o->overflow = 1;
        return;
    }
    if (o->p && n)
        memcpy(o->p + o->len, data, n);
    o->len += n;
}

static void put_u32(struct out *o, uint32_t v) { put(o, &v, sizeof v); }
static void put_i32(struct out *o, int32_t v) { put(o, &v, sizeof v); }
static void put_u64(struct out *o, uint64_t v) { put(o, &v, sizeof v); }
static void put_i64(struct out *o, int64_t v) { put(o, &v, sizeof v); }

static size_t section_begin(struct out *o, enum section s, uint64_t count)
{
    size_t at = o->len;
    put_u32(o, s);
    put_u32(o, 0);
    put_u64(o, count);
    put_u64(o, 0);                 /* body bytes, patched by section_end */
    return at;
}

static void section_end(struct out *o, size_t at)
{
    uint64_t body = o->len - at - SECTION_HEADER_BYTES;
    if (o->p)
        memcpy(o->p + at + BYTES_AT, &body, sizeof body);
}

static void put_header(struct out *o, const struct keeper_state *ks)
{
    put(o, KEEPER_STATE_MAGIC, MAGIC_BYTES);
    put_u32(o, KEEPER_STATE_VERSION);
    put_u64(o, o->total);
    put_i32(o, ks->rank);
    put_i32(o, ks->size);
    put_u64(o, ks->epoch);
    put_u64(o, ks->incarnation);
    put_u64(o, ks->sub_cut);
    put_u64(o, ks->cmp_cut);
}

static void put_result(struct out *o, const struct keeper_result *r)
{
    put_i64(o, r->rc);
    put_i64(o, r->source);
    put_i64(o, r->tag);
    put_i64(o, r->cancelled);
    put_i64(o, r->bytes);
    for (int i = 0; i < CHAN_CMP_VALS; i++)
        put_i64(o, r->val[i]);
}

static void put_pending(struct out *o, const struct keeper_pending *p)
{
    static const struct keeper_result none;
    put(o, &p->sub, sizeof p->sub);
    put_u32(o, (p->has_saved ? PENDING_SAVED : 0) | (p->has_result ? PENDING_RESULT : 0));
    put_u32(o, 0);
    put_u64(o, p->saved_len);
    put_u64(o, p->has_result ? p->data_len : 0);
    put_result(o, p->has_result ? &p->result : &none);
    put(o, p->saved, p->saved_len);
    if (p->has_result)
        put(o, p->data, p->data_len);
}

static void put_message(struct out *o, const struct keeper_message *m)
{
    put_i64(o, m->comm);
    put_i32(o, m->source);
    put_i32(o, m->tag);
    put_u64(o, m->epoch);
    put_i64(o, m->matched);
    put_u64(o, m->len);
    put(o, m->payload, m->len);
}

static void put_comm(struct out *o, const struct keeper_comm *c)
{
    put_i64(o, c->id);
    put_i64(o, c->parent);
    put_u32(o, c->op);
    put_u32(o, c->nargs);
    for (uint32_t i = 0; i < KEEPER_STATE_COMM_ARGS; i++)
        put_i64(o, i < c->nargs ? c->arg[i] : 0);
    put_u32(o, c->nmembers);
    put_u32(o, 0);
    for (uint32_t i = 0; i < c->nmembers; i++)
        put_i32(o, c->members[i]);
}

static void put_sections(struct out *o, const struct keeper_state *ks)
{
    size_t at = section_begin(o, SEC_PENDING, ks->n_pending);
    for (size_t i = 0; i < ks->n_pending; i++)
        put_pending(o, &ks->pending[i]);
    section_end(o, at);
    at = section_begin(o, SEC_MESSAGES, ks->n_messages);
    for (size_t i = 0; i < ks->n_messages; i++)
        put_message(o, &ks->messages[i]);
    section_end(o, at);
    at = section_begin(o, SEC_COMMS, ks->n_comms);
    for (size_t i = 0; i < ks->n_comms; i++)
        put_comm(o, &ks->comms[i]);
    section_end(o, at);
    at = section_begin(o, SEC_COLLS, ks->n_colls);
    for (size_t i = 0; i < ks->n_colls; i++) {
        put_i64(o, ks->colls[i].comm);
        put_u64(o, ks->colls[i].count);
        put_u64(o, ks->colls[i].line_min);
    }
    section_end(o, at);
    at = section_begin(o, SEC_OUTPUT, 1);
    put_u64(o, ks->stdout_bytes);
    put_u64(o, ks->stderr_bytes);
    section_end(o, at);
}

static void put_file(struct out *o, const struct keeper_state *ks)
{
    put_header(o, ks);
    put_sections(o, ks);
    put_u64(o, o->p ? xxh64(o->p, o->len, 0) : 0);
}

int keeper_state_encode(const struct keeper_state *ks, void **buf, size_t *len)
{
    *buf = NULL;
    *len = 0;
    if (validate(ks) < 0)
        return -1;
    struct out o = { 0 };
    put_file(&o, ks);
    if (o.overflow) {
        errno = ENOMEM;
        return -1;
    }
    o.total = o.len;
    o.p = malloc(o.total);
    if (!o.p)
        return -1;
    o.len = 0;
    put_file(&o, ks);
    *buf = o.p;
    *len = o.len;
    return 0;
}

/* --- decoding ------------------------------------------------------------- */

/* A reading position: `left` bytes from `p` may be read, nothing else. */
struct in {
    const unsigned char *p;
    size_t left;
};

static void advance(struct in *c, size_t n)
{
    c->p += n;
    c->left -= n;
}

static int take(struct in *c, void *dst, size_t n)
{
    if (c->left < n)
        return -1;
    memcpy(dst, c->p, n);
    advance(c, n);
    return 0;
}

static int take_u32(struct in *c, uint32_t *v) { return take(c, v, sizeof *v); }
static int take_i32(struct in *c, int32_t *v) { return take(c, v, sizeof *v); }
static int take_u64(struct in *c, uint64_t *v) { return take(c, v, sizeof *v); }
static int take_i64(struct in *c, int64_t *v) { return take(c, v, sizeof *v); }

/* `n` bytes copied out into a malloc'd block (NULL for none). */
static int take_bytes(struct in *c, uint64_t n, void **dst, size_t *len,
                      enum section s, size_t record, char *err)
{
    if (n > c->left)
        return truncated(err, s, record);
    if (copy_bytes(dst, c->p, n) < 0)
        return no_memory(err);
    *len = n;
    advance(c, n);
    return 0;
}

static int take_result(struct in *c, struct keeper_result *r)
{
    if (take_i64(c, &r->rc) < 0 || take_i64(c, &r->source) < 0 || take_i64(c, &r->tag) < 0 ||
        take_i64(c, &r->cancelled) < 0 || take_i64(c, &r->bytes) < 0)
        return -1;
    for (int i = 0; i < CHAN_CMP_VALS; i++)
        if (take_i64(c, &r->val[i]) < 0)
            return -1;
    return 0;
}

/* Magic, version, size and checksum: the checks that need no parsing. */
static int check_envelope(const unsigned char *p, size_t len, char *err)
{
    uint32_t version;
    uint64_t total, sum;
    if (len >= MAGIC_BYTES && memcmp(p, KEEPER_STATE_MAGIC, MAGIC_BYTES) != 0)
        return bad(err, "not a keeper state file (bad magic)");
    if (len < MAGIC_BYTES + sizeof version)
        return bad(err, "truncated in header (%zu bytes)", len);
    memcpy(&version, p + MAGIC_BYTES, sizeof version);
    if (version != KEEPER_STATE_VERSION)
        return bad(err, "unknown version %" PRIu32, version);
    if (len < HEADER_BYTES + SUM_BYTES)
        return bad(err, "truncated in header (%zu bytes)", len);
    memcpy(&total, p + TOTAL_AT, sizeof total);
    if (total > len)
        return bad(err, "truncated: %zu of %" PRIu64 " bytes", len, total);
    if (total < len)
        return bad(err, "%zu bytes where the header says %" PRIu64, len, total);
    memcpy(&sum, p + len - SUM_BYTES, sizeof sum);
    if (xxh64(p, len - SUM_BYTES, 0) != sum)
        return bad(err, "checksum mismatch");
    return 0;
}

/* The header after magic, version and size (which check_envelope read). */
static int read_header(struct in *c, struct keeper_state *ks, char *err)
{
    advance(c, TOTAL_AT + sizeof(uint64_t));
    if (take_i32(c, &ks->rank) || take_i32(c, &ks->size) || take_u64(c, &ks->epoch) ||
        take_u64(c, &ks->incarnation) || take_u64(c, &ks->sub_cut) || take_u64(c, &ks->cmp_cut))
        return bad(err, "truncated in header");
    if (ks->size < 1 || ks->rank < 0 || ks->rank >= ks->size)
        return bad(err, "header: rank %" PRId32 " of %" PRId32 " is not a world rank", ks->rank,
                   ks->size);
    return 0;
}

/* Section `s`'s header: its record count (each record at least `min`
 * bytes) and its body, taken out of `c`. */
static int read_section(struct in *c, enum section s, uint64_t min, uint64_t *count,
                        struct in *body, char *err)
{
    const char *name = section_name[s];
    uint32_t id, zero;
    uint64_t bytes;
    if (take_u32(c, &id) || take_u32(c, &zero) || take_u64(c, count) || take_u64(c, &bytes))
        return bad(err, "truncated in section %s", name);
    if (id != s)
        return bad(err, "section %s expected, found section id %" PRIu32, name, id);
    if (zero)
        return bad(err, "section %s: reserved field not zero", name);
    if (bytes > c->left)
        return bad(err, "truncated in section %s (%" PRIu64 " bytes declared, %zu left)", name,
                   bytes, c->left);
    if (*count > bytes / min)
        return bad(err, "section %s: %" PRIu64 " records cannot fit in %" PRIu64 " bytes", name,
                   *count, bytes);
    *body = (struct in){ c->p, bytes };
    advance(c, bytes);
    return 0;
}

static int end_section(const struct in *body, enum section s, char *err)
{
    if (body->left)
        return bad(err, "section %s: %zu bytes after its last record", section_name[s],
                   body->left);
    return 0;
}

/* An array of `count` zeroed records (NULL for none). */
static int alloc_records(void **arr, uint64_t count, size_t elem, char *err)
{
    *arr = NULL;
    if (count == 0)
        return 0;
    *arr = calloc(count, elem);
    return *arr ? 0 : no_memory(err);
}

static int result_is_zero(const struct keeper_result *r)
{
    static const struct keeper_result none;
    return memcmp(r, &none, sizeof none) == 0;
}

static int read_pending(struct in *c, struct keeper_pending *p, size_t i, char *err)
{
    uint32_t flags, zero;
    uint64_t saved_len, data_len;
    if (take(c, &p->sub, sizeof p->sub) || take_u32(c, &flags) || take_u32(c, &zero) ||
        take_u64(c, &saved_len) || take_u64(c, &data_len) || take_result(c, &p->result))
        return truncated(err, SEC_PENDING, i);
    if ((flags & ~(PENDING_SAVED | PENDING_RESULT)) || zero)
        return bad(err, "section pending: record %zu has unknown flags 0x%" PRIx32 "/0x%" PRIx32,
                   i, flags, zero);
    p->has_saved = (flags & PENDING_SAVED) != 0;
    p->has_result = (flags & PENDING_RESULT) != 0;
    if (!p->has_saved && saved_len)
        return bad(err, "section pending: record %zu has saved bytes but no saved flag", i);
    if (!p->has_result && (data_len || !result_is_zero(&p->result)))
        return bad(err, "section pending: record %zu has a result but no result flag", i);
    if (take_bytes(c, saved_len, &p->saved, &p->saved_len, SEC_PENDING, i, err) < 0)
        return -1;
    return take_bytes(c, data_len, &p->data, &p->data_len, SEC_PENDING, i, err);
}

static int read_pending_section(struct in *c, struct keeper_state *ks, char *err)
{
    uint64_t count;
    struct in body;
    void *arr;
    if (read_section(c, SEC_PENDING, PENDING_FIXED, &count, &body, err) < 0 ||
        alloc_records(&arr, count, sizeof *ks->pending, err) < 0)
        return -1;
    ks->pending = arr;
    ks->n_pending = ks->cap_pending = count;
    for (size_t i = 0; i < count; i++)
        if (read_pending(&body, &ks->pending[i], i, err) < 0)
            return -1;
    return end_section(&body, SEC_PENDING, err);
}

static int read_message(struct in *c, struct keeper_message *m, size_t i, char *err)
{
    uint64_t len;
    if (take_i64(c, &m->comm) || take_i32(c, &m->source) || take_i32(c, &m->tag) ||
        take_u64(c, &m->epoch) || take_i64(c, &m->matched) || take_u64(c, &len))
        return truncated(err, SEC_MESSAGES, i);
    if (m->matched < -1)
        return bad(err, "message %zu: matched id %lld", i, (long long)m->matched);
    return take_bytes(c, len, &m->payload, &m->len, SEC_MESSAGES, i, err);
}

static int read_messages_section(struct in *c, struct keeper_state *ks, char *err)
{
    uint64_t count;
    struct in body;
    void *arr;
    if (read_section(c, SEC_MESSAGES, MESSAGE_FIXED, &count, &body, err) < 0 ||
        alloc_records(&arr, count, sizeof *ks->messages, err) < 0)
        return -1;
    ks->messages = arr;
    ks->n_messages = ks->cap_messages = count;
    for (size_t i = 0; i < count; i++)
        if (read_message(&body, &ks->messages[i], i, err) < 0)
            return -1;
    return end_section(&body, SEC_MESSAGES, err);
}

static int check_comm(const struct keeper_comm *m, int32_t size, size_t i, char *err)
{
    for (uint32_t a = m->nargs; a < KEEPER_STATE_COMM_ARGS; a++)
        if (m->arg[a])
            return bad(err, "section comms: record %zu: unused arg %" PRIu32 " not zero", i, a);
    for (uint32_t k = 0; k < m->nmembers; k++)
        if (m->members[k] < 0 || m->members[k] >= size)
            return bad(err, "section comms: record %zu: member %" PRId32 " is not a world rank",
                       i, m->members[k]);
    return 0;
}

static int read_comm(struct in *c, struct keeper_comm *m, int32_t size, size_t i, char *err)
{
    uint32_t zero;
    int failed = take_i64(c, &m->id) || take_i64(c, &m->parent) || take_u32(c, &m->op) ||
                 take_u32(c, &m->nargs);
    for (int a = 0; a < KEEPER_STATE_COMM_ARGS && !failed; a++)
        failed = take_i64(c, &m->arg[a]);
    if (failed || take_u32(c, &m->nmembers) || take_u32(c, &zero))
        return truncated(err, SEC_COMMS, i);
    if (m->nargs > KEEPER_STATE_COMM_ARGS)
        return bad(err, "section comms: record %zu has %" PRIu32 " args, at most %d", i,
                   m->nargs, KEEPER_STATE_COMM_ARGS);
    if (zero)
        return bad(err, "section comms: record %zu: reserved field not zero", i);
    void *members;
    size_t bytes;
    if (take_bytes(c, (uint64_t)m->nmembers * sizeof *m->members, &members, &bytes, SEC_COMMS, i,
                   err) < 0) {
        m->nmembers = 0;
        return -1;
    }
    m->members = members;
    return check_comm(m, size, i, err);
}

static int read_comms_section(struct in *c, struct keeper_state *ks, char *err)
{
    uint64_t count;
    struct in body;
    void *arr;
    if (read_section(c, SEC_COMMS, COMM_FIXED, &count, &body, err) < 0 ||
        alloc_records(&arr, count, sizeof *ks->comms, err) < 0)
        return -1;
    ks->comms = arr;
    ks->n_comms = ks->cap_comms = count;
    for (size_t i = 0; i < count; i++)
        if (read_comm(&body, &ks->comms[i], ks->size, i, err) < 0)
            return -1;
    return end_section(&body, SEC_COMMS, err);
}

static int read_colls_section(struct in *c, struct keeper_state *ks, char *err)
{
    uint64_t count;
    struct in body;
    void *arr;
    if (read_section(c, SEC_COLLS, COLL_BYTES, &count, &body, err) < 0 ||
        alloc_records(&arr, count, sizeof *ks->colls, err) < 0)
        return -1;
    ks->colls = arr;
    ks->n_colls = ks->cap_colls = count;
    for (size_t i = 0; i < count; i++)
        if (take_i64(&body, &ks->colls[i].comm) || take_u64(&body, &ks->colls[i].count) ||
            take_u64(&body, &ks->colls[i].line_min))
            return truncated(err, SEC_COLLS, i);
    return end_section(&body, SEC_COLLS, err);
}

static int read_output_section(struct in *c, struct keeper_state *ks, char *err)
{
    uint64_t count;
    struct in body;
    if (read_section(c, SEC_OUTPUT, OUTPUT_BYTES, &count, &body, err) < 0)
        return -1;
    if (count != 1)
        return bad(err, "section output: %" PRIu64 " records, expected 1", count);
    if (take_u64(&body, &ks->stdout_bytes) || take_u64(&body, &ks->stderr_bytes))
        return truncated(err, SEC_OUTPUT, 0);
    return end_section(&body, SEC_OUTPUT, err);
}

static int read_body(struct in *c, struct keeper_state *ks, char *err)
{
    if (read_header(c, ks, err) < 0 || read_pending_section(c, ks, err) < 0 ||
        read_messages_section(c, ks, err) < 0 || read_comms_section(c, ks, err) < 0 ||
        read_colls_section(c, ks, err) < 0 || read_output_section(c, ks, err) < 0)
        return -1;
    if (c->left)
        return bad(err, "%zu bytes after the last section", c->left);
    return 0;
}

int keeper_state_decode(const void *buf, size_t len, struct keeper_state *out,
                        char err[KEEPER_STATE_ERROR_MAX])
{
    keeper_state_init(out);
    err[0] = '\0';
    if (check_envelope(buf, len, err) < 0)
        return -1;
    struct in c = { buf, len - SUM_BYTES };
    if (read_body(&c, out, err) < 0) {
        int saved = errno;
        keeper_state_free(out);
        errno = saved;
        return -1;
    }
    return 0;
}

/* --- files ---------------------------------------------------------------- */

int keeper_state_write(const struct keeper_state *ks, const char *path,
                       struct layout_entry *entry, char err[KEEPER_STATE_ERROR_MAX])
{
    void *buf;
    size_t len;
    struct atomic_file f;
    if (keeper_state_encode(ks, &buf, &len) < 0)
        return say(err, "cannot encode the keeper state for %s: %s", path, strerror(errno));
    int rc = atomic_file_open(&f, path, err);
    if (rc == 0)
        rc = atomic_file_write(&f, buf, len, err);
    if (rc == 0)
        rc = atomic_file_commit(&f, err);
    int saved = errno;
    free(buf);
    errno = saved;
    if (rc == 0 && entry && layout_entry_of(entry, &f, 0) < 0)
        return say(err, "%s: name too long for a manifest entry", path);
    return rc;
}

/* The whole file at `path` in a malloc'd buffer. */
static int read_whole(const char *path, unsigned char **buf, size_t *len, char *err)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return say(err, "cannot open %s: %s", path, strerror(errno));
    if (fstat(fd, &st) < 0) {
        say(err, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return say(err, "cannot read %s: not a regular file", path);
    }
    *buf = malloc(st.st_size ? (size_t)st.st_size : 1);
    if (!*buf) {
        close(fd);
        errno = ENOMEM;
        return say(err, "cannot read %s: out of memory", path);
    }
    *len = 0;
    while (*len < (size_t)st.st_size) {
        ssize_t n = read(fd, *buf + *len, (size_t)st.st_size - *len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            say(err, "cannot read %s: %s", path, strerror(errno));
            free(*buf);
            close(fd);
            return -1;
        }
        if (n == 0)
            break;                 /* it shrank: decode says truncated */
        *len += (size_t)n;
    }
    close(fd);
    return 0;
}

int keeper_state_read(const char *path, struct keeper_state *out,
                      char err[KEEPER_STATE_ERROR_MAX])
{
    unsigned char *buf = NULL;
    size_t len = 0;
    char why[KEEPER_STATE_ERROR_MAX];
    keeper_state_init(out);
    if (read_whole(path, &buf, &len, err) < 0)
        return -1;
    int rc = keeper_state_decode(buf, len, out, why);
    int saved = errno;
    free(buf);
    errno = saved;
    if (rc < 0)
        return say(err, "%s: %s", path, why);
    return 0;
}
