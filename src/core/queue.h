/* SPDX-License-Identifier: MIT
 *
 * queue.h - the bounded hand-off between a receiving thread and the
 * processing thread.
 *
 * Items are opaque pointers with a byte weight; the queue is bounded by
 * both item count and bytes. What happens when it is full is the policy:
 *
 *   BLOCK        the producer waits (files: back-pressure is free)
 *   SPILL        the item is written to a spill file on disk and read back
 *                in order later, so a live connection is never stalled;
 *                once anything is spilled, later items go to the spill
 *                too until it drains, so order is kept
 *   DROP_OLDEST  the oldest queued item is dropped (only when asked)
 *
 * Every drop and spill is counted. Ownership of an item moves with it:
 * push Takes it, pop gives it to the consumer.
 * Thread: any number of producers, one consumer.
 */
#ifndef ROOST_CORE_QUEUE_H
#define ROOST_CORE_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

enum roost_queue_policy {
    ROOST_QUEUE_BLOCK = 0,
    ROOST_QUEUE_SPILL,
    ROOST_QUEUE_DROP_OLDEST,
};

/* Serialize an item for spilling / rebuild it when read back. */
struct roost_queue_codec {
    /* append the item's bytes to out; the item stays the caller's */
    int (*encode)(const void *item, struct roost_buf *out);
    /* rebuild an item from bytes (Takes nothing; returns a new item) */
    int (*decode)(const char *p, size_t len, void **item, size_t *bytes);
    void (*free)(void *item);
};

struct roost_queue_cfg {
    size_t max_items;                       /* 1 .. 16M */
    size_t max_bytes;                       /* 0: bounded by items only */
    enum roost_queue_policy policy;
    const char *spill_dir;                  /* SPILL: where spill files go */
    size_t max_spill_bytes;                 /* SPILL: disk bound (0: 1 GiB) */
    const struct roost_queue_codec *codec;  /* SPILL and DROP_OLDEST */
};

struct roost_queue_stats {
    uint64_t n_pushed, n_popped;
    uint64_t n_dropped, bytes_dropped; /* DROP_OLDEST, or spill full */
    uint64_t n_spilled, bytes_spilled;
    uint64_t n_blocked;                /* pushes that had to wait */
    size_t depth, depth_bytes;         /* now, in memory */
    size_t spill_depth;                /* now, on disk */
};

struct roost_queue;

int roost_queue_new(const struct roost_queue_cfg *cfg,
                    struct roost_queue **out);
/* roost_queue_free - frees remaining items with the codec's free. */
void roost_queue_free(struct roost_queue *q);

/*
 * roost_queue_push - Takes item (even on failure).
 * Returns: 0; ROOST_ELIMIT when the item was dropped (counted); ROOST_EIO
 * when spilling failed (the item is dropped and counted).
 */
int roost_queue_push(struct roost_queue *q, void *item, size_t bytes);

/* roost_queue_push_ex - roost_queue_push that also says whether the item
 * went to the spill (*spilled may be NULL). */
int roost_queue_push_ex(struct roost_queue *q, void *item, size_t bytes,
                        bool *spilled);

/*
 * roost_queue_pop - wait up to timeout_ms (-1 forever) for an item.
 * Returns: 0 with *item set; ROOST_EAGAIN on timeout; ROOST_ENOENT when
 * the queue is closed and empty.
 */
int roost_queue_pop(struct roost_queue *q, int timeout_ms, void **item);

/* roost_queue_close - no more pushes (a later push drops its item and
 * returns ROOST_EINVAL; blocked BLOCK pushes do the same); pop drains,
 * then says ENOENT. */
void roost_queue_close(struct roost_queue *q);

void roost_queue_stats(struct roost_queue *q, struct roost_queue_stats *out);

#endif /* ROOST_CORE_QUEUE_H */
