/* SPDX-License-Identifier: MIT
 *
 * batch.c - batches of received records, and their spill encoding.
 *
 * All bytes of a batch (records and their position texts) live in one
 * bounded roost_buf; struct roost_rec holds offsets into it, never
 * pointers, so the buffer may grow (realloc) and a batch can be written to
 * disk and read back without fix-ups. The record table grows separately
 * and is bounded by a record count derived from max_bytes.
 *
 * Spill encoding (little-endian, fixed width; the queue adds its own length
 * and checksum around it):
 *
 *     "RBT1" u64 max_bytes u64 seq i64 first_recv_ms u32 n_recs
 *     u8 source_len, source bytes, u64 data_len
 *     n_recs x { u64 off u64 len u64 pos_off u32 pos_len i32 err
 *                i64 recv_ms u64 line }
 *     data bytes
 *
 * Decoding checks every offset against data_len, so a damaged spill file
 * yields ROOST_EPARSE, never an out-of-bounds view.
 */
#include <assert.h>
#include <string.h>

#include "core/batch.h"
#include "core/mem.h"

#define BATCH_MAGIC    "RBT1"
#define REC_WIRE_BYTES (8 + 8 + 8 + 4 + 4 + 8 + 8)

/* max_recs - records a batch may hold: generous for tiny records, but a
 * bound all the same (every record has at least a position). */
static uint32_t max_recs(size_t max_bytes)
{
    size_t n = max_bytes / 4 + 64;
    return n > UINT32_MAX - 1 ? UINT32_MAX - 1 : (uint32_t)n;
}

int roost_batch_new(const char *source, size_t max_bytes,
                    struct roost_batch **out)
{
    struct roost_batch *b = roost_calloc(1, sizeof(*b));

    if (b == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    if (source != NULL) {
        size_t n = strlen(source);
        n = n < sizeof(b->source) - 1 ? n : sizeof(b->source) - 1;
        memcpy(b->source, source, n);
    }
    roost_buf_init(&b->data, max_bytes);
    *out = b;
    return 0;
}

void roost_batch_free(struct roost_batch *b)
{
    if (b == NULL) {
        return;
    }
    roost_buf_fini(&b->data);
    roost_free(b->recs);
    roost_free(b);
}

void roost_batch_free_item(void *batch)
{
    roost_batch_free(batch);
}

void roost_batch_reset(struct roost_batch *b)
{
    roost_buf_reset(&b->data);
    b->n_recs = 0;
    b->first_recv_ms = 0;
}

size_t roost_batch_avail(const struct roost_batch *b)
{
    return b->data.max_len - b->data.len;
}

int roost_batch_add(struct roost_batch *b, const char *p, size_t len,
                    int64_t recv_ms, const char *pos, size_t pos_len,
                    uint64_t line, int err)
{
    if (len > b->data.max_len || pos_len > UINT32_MAX ||
        pos_len > b->data.max_len - len ||
        len + pos_len > roost_batch_avail(b) ||
        b->n_recs >= max_recs(b->data.max_len)) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    if (b->n_recs == b->cap_recs) {
        uint32_t cap = b->cap_recs ? b->cap_recs * 2 : 64;
        uint32_t lim = max_recs(b->data.max_len);
        cap = cap > lim ? lim : cap;
        struct roost_rec *r = roost_realloc(b->recs, cap * sizeof(*r));
        if (r == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        b->recs = r;
        b->cap_recs = cap;
    }
    size_t off = b->data.len;
    int rc = roost_buf_reserve(&b->data, len + pos_len);
    if (rc < 0) {
        return rc;
    }
    /* Reserved above, so neither add can fail. */
    roost_buf_add(&b->data, p, len);
    roost_buf_add(&b->data, pos, pos_len);
    b->recs[b->n_recs] = (struct roost_rec){
        .off = off,
        .len = len,
        .pos_off = off + len,
        .pos_len = (uint32_t)pos_len,
        .err = err,
        .recv_ms = recv_ms,
        .line = line,
    };
    if (b->n_recs == 0) {
        b->first_recv_ms = recv_ms;
    }
    b->n_recs++;
    return 0;
}

size_t roost_batch_bytes(const struct roost_batch *b)
{
    return sizeof(*b) + b->data.len + (size_t)b->n_recs * sizeof(*b->recs);
}

/* ---- spill encoding ----------------------------------------------------- */

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint64_t get_u64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint32_t get_u32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

int roost_batch_encode(const void *batch, struct roost_buf *out)
{
    const struct roost_batch *b = batch;
    size_t src_len = strnlen(b->source, sizeof(b->source) - 1);
    size_t head = 4 + 8 + 8 + 8 + 4 + 1 + src_len + 8;
    size_t total = head + (size_t)b->n_recs * REC_WIRE_BYTES + b->data.len;
    int rc = roost_buf_reserve(out, total);

    if (rc < 0) {
        return rc;
    }
    unsigned char *p = (unsigned char *)out->ptr + out->len;
    memcpy(p, BATCH_MAGIC, 4);
    p += 4;
    put_u64(p, b->data.max_len);
    p += 8;
    put_u64(p, b->seq);
    p += 8;
    put_u64(p, (uint64_t)b->first_recv_ms);
    p += 8;
    put_u32(p, b->n_recs);
    p += 4;
    *p++ = (unsigned char)src_len;
    memcpy(p, b->source, src_len);
    p += src_len;
    put_u64(p, b->data.len);
    p += 8;
    for (uint32_t i = 0; i < b->n_recs; i++) {
        const struct roost_rec *r = &b->recs[i];
        put_u64(p, r->off);
        put_u64(p + 8, r->len);
        put_u64(p + 16, r->pos_off);
        put_u32(p + 24, r->pos_len);
        put_u32(p + 28, (uint32_t)r->err);
        put_u64(p + 32, (uint64_t)r->recv_ms);
        put_u64(p + 40, r->line);
        p += REC_WIRE_BYTES;
    }
    if (b->data.len > 0) {
        memcpy(p, b->data.ptr, b->data.len);
    }
    p += b->data.len;
    assert((size_t)(p - (unsigned char *)out->ptr) == out->len + total);
    out->len += total;
    out->ptr[out->len] = '\0';
    return 0;
}

int roost_batch_decode(const char *p, size_t len, void **batch, size_t *bytes)
{
    const unsigned char *u = (const unsigned char *)p;
    const unsigned char *end = u + len;
    struct roost_batch *b = NULL;
    int rc;

    if (len < 4 + 8 + 8 + 8 + 4 + 1 || memcmp(u, BATCH_MAGIC, 4) != 0) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    u += 4;
    uint64_t max_bytes = get_u64(u);
    uint64_t seq = get_u64(u + 8);
    int64_t first = (int64_t)get_u64(u + 16);
    uint32_t n_recs = get_u32(u + 24);
    size_t src_len = u[28];
    u += 29;
    if (src_len > 63 || (size_t)(end - u) < src_len + 8) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    char source[64] = { 0 };
    memcpy(source, u, src_len);
    u += src_len;
    uint64_t data_len = get_u64(u);
    u += 8;
    if (max_bytes > SIZE_MAX || data_len > max_bytes ||
        n_recs > max_recs((size_t)max_bytes) ||
        (size_t)(end - u) / REC_WIRE_BYTES < n_recs ||
        (size_t)(end - u) - (size_t)n_recs * REC_WIRE_BYTES != data_len) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    rc = roost_batch_new(source, (size_t)max_bytes, &b);
    if (rc < 0) {
        return rc;
    }
    b->seq = seq;
    const unsigned char *data = u + (size_t)n_recs * REC_WIRE_BYTES;
    rc = roost_buf_add(&b->data, data, (size_t)data_len);
    if (rc < 0) {
        goto out_free_batch;
    }
    if (n_recs > 0) {
        b->recs = roost_calloc(n_recs, sizeof(*b->recs));
        if (b->recs == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            goto out_free_batch;
        }
        b->cap_recs = n_recs;
    }
    for (uint32_t i = 0; i < n_recs; i++, u += REC_WIRE_BYTES) {
        struct roost_rec r = {
            .off = (size_t)get_u64(u),
            .len = (size_t)get_u64(u + 8),
            .pos_off = (size_t)get_u64(u + 16),
            .pos_len = get_u32(u + 24),
            .err = (int32_t)get_u32(u + 28),
            .recv_ms = (int64_t)get_u64(u + 32),
            .line = get_u64(u + 40),
        };
        if (get_u64(u) > data_len || get_u64(u + 8) > data_len - r.off ||
            get_u64(u + 16) > data_len || r.pos_len > data_len - r.pos_off) {
            rc = ROOST_ERR(ROOST_EPARSE);
            goto out_free_batch;
        }
        b->recs[i] = r;
    }
    b->n_recs = n_recs;
    b->first_recv_ms = first;
    *batch = b;
    if (bytes != NULL) {
        *bytes = roost_batch_bytes(b);
    }
    return 0;

out_free_batch:
    roost_batch_free(b);
    return rc;
}
