/* SPDX-License-Identifier: MIT
 *
 * batch.h - a batch of received records: the unit that crosses threads.
 *
 * A source appends records (byte-exact, with receive time, line and source
 * position) into one contiguous buffer; the batch then moves through the
 * queue to the processing thread, which archives and normalizes it. The
 * batch owns all its bytes. Positions are opaque text chosen by the source
 * ("path\toffset" for files) and handed back to it on restart to resume.
 * Thread: one owner at a time; ownership moves with roost_queue.
 */
#ifndef ROOST_CORE_BATCH_H
#define ROOST_CORE_BATCH_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

struct roost_rec {
    size_t off;         /* record bytes: data.ptr + off, len bytes */
    size_t len;
    size_t pos_off;     /* source position text, pos_len bytes */
    uint32_t pos_len;
    int32_t err;        /* 0, or ROOST_E* when the source already knows the
                           record is bad (oversize, broken framing) */
    int64_t recv_ms;    /* wall-clock receive time, UTC epoch ms */
    uint64_t line;      /* 1-based line in the source, 0 when unknown */
};

struct roost_batch {
    char source[64];          /* name of the source instance */
    struct roost_buf data;    /* private: record bytes and positions */
    struct roost_rec *recs;   /* read-only */
    uint32_t n_recs;          /* read-only */
    uint32_t cap_recs;        /* private */
    uint64_t seq;             /* set by the producer: batch number */
    int64_t first_recv_ms;    /* recv time of the first record */
};

/* roost_batch_new - empty batch holding at most max_bytes of data. */
int roost_batch_new(const char *source, size_t max_bytes,
                    struct roost_batch **out);
void roost_batch_free(struct roost_batch *b);
void roost_batch_reset(struct roost_batch *b);

/*
 * roost_batch_add - append one record and its position.
 * Returns: 0; ROOST_ELIMIT when it would not fit (the batch is unchanged:
 * push the batch and retry in a new one; a record larger than max_bytes
 * never fits and must be cut by the source); ROOST_ENOMEM.
 */
int roost_batch_add(struct roost_batch *b, const char *p, size_t len,
                    int64_t recv_ms, const char *pos, size_t pos_len,
                    uint64_t line, int err);

static inline struct roost_str roost_batch_rec(const struct roost_batch *b,
                                               uint32_t i)
{
    return roost_str_make(b->data.ptr + b->recs[i].off, b->recs[i].len);
}

static inline struct roost_str roost_batch_pos(const struct roost_batch *b,
                                               uint32_t i)
{
    return roost_str_make(b->data.ptr + b->recs[i].pos_off,
                          b->recs[i].pos_len);
}

/* roost_batch_avail - bytes still free for records plus positions. */
size_t roost_batch_avail(const struct roost_batch *b);

/* roost_batch_bytes - the weight of the batch for queue bounds. */
size_t roost_batch_bytes(const struct roost_batch *b);

/* Serialization for spilling to disk (roost_queue codec). */
int roost_batch_encode(const void *batch, struct roost_buf *out);
int roost_batch_decode(const char *p, size_t len, void **batch,
                       size_t *bytes);
void roost_batch_free_item(void *batch);

#endif /* ROOST_CORE_BATCH_H */
