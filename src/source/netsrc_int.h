/* SPDX-License-Identifier: MIT
 *
 * netsrc_int.h - what the network sources (src_jetstream.c,
 * src_mastodon.c, src_github.c) share: a reconnect backoff, a bounded
 * set of recently seen keys for duplicate removal, gap records, URL
 * splitting and clocks.
 *
 * Everything here is plain data owned by one source, used on its
 * receiver thread. None of it does I/O.
 */
#ifndef ROOST_SOURCE_NETSRC_INT_H
#define ROOST_SOURCE_NETSRC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

/* roost__netsrc_mono_ms - monotonic clock in ms (timeouts, backoff). */
int64_t roost__netsrc_mono_ms(void);

/* ---- reconnect backoff ----------------------------------------------------
 */

/*
 * Exponential backoff: first_ms, doubling up to max_ms, every delay
 * multiplied by `scale` (the sources' time-scale option, so tests run the
 * same schedule fast). roost__backoff_reset() after a connection that
 * delivered data: the next reconnect is immediate, as the platforms ask
 * after an established stream drops.
 */
struct roost__backoff {
    int64_t first_ms; /* read-only after init */
    int64_t max_ms;
    double scale;
    int64_t cur_ms;   /* private: next failure's delay, unscaled */
    bool immediate;   /* private: the next delay is 0 */
    uint32_t n_fails; /* read-only: failures since the last reset */
};

void roost__backoff_init(struct roost__backoff *b, int64_t first_ms,
                         int64_t max_ms, double scale);
/* roost__backoff_reset - a good connection: next delay 0, then first_ms. */
void roost__backoff_reset(struct roost__backoff *b);
/* roost__backoff_next - the delay (scaled ms) before the next attempt. */
int64_t roost__backoff_next(struct roost__backoff *b);

/* ---- recently seen keys ---------------------------------------------------
 */

/*
 * A set of at most `cap` 64-bit key hashes; adding to a full set forgets
 * the oldest. Removes the duplicates a reconnect's overlap (cursor rewind,
 * re-polled pages) delivers again. Keys are hashed (FNV-1a 64); a false
 * duplicate needs a 64-bit collision within the window.
 */
struct roost__recent {
    uint64_t *ring;     /* private: insertion order */
    uint32_t *slots;    /* private: open addressing into ring, 2 x cap */
    uint32_t cap;       /* read-only */
    uint32_t mask;      /* private: slots - 1 */
    uint32_t n;         /* read-only: keys held */
    uint32_t head;      /* private: oldest key in ring */
    uint64_t n_evicted; /* read-only */
};

int roost__recent_init(struct roost__recent *r, uint32_t cap);
void roost__recent_fini(struct roost__recent *r);
uint64_t roost__recent_hash(const char *p, size_t len);
/* roost__recent_add - true when h was new (and is now held). */
bool roost__recent_add(struct roost__recent *r, uint64_t h);
bool roost__recent_has(const struct roost__recent *r, uint64_t h);

/* ---- gap records ----------------------------------------------------------
 */

/*
 * A disconnect in progress. roost__gap_open() at the drop; when the first
 * new record arrives, roost__gap_write() appends the roost_gap record of
 * parse/post.h to out (undelivered < 0 leaves the key out: unknown).
 */
struct roost__gap {
    bool open;         /* read-only */
    int64_t start_ms;  /* wall clock of the drop */
    char last_id[128]; /* last id/cursor before */
    char reason[128];
    int64_t undelivered;
};

void roost__gap_open(struct roost__gap *g, const char *last_id,
                     const char *reason);
int roost__gap_write(struct roost__gap *g, const char *source,
                     const char *platform, const char *first_id,
                     struct roost_buf *out);

/* ---- URLs -----------------------------------------------------------------
 */

struct roost__url {
    bool tls;       /* https / wss */
    char scheme[8]; /* "http", "https", "ws", "wss" */
    char host[256];
    int port;        /* explicit or the scheme's default */
    char path[1024]; /* from the first '/', "/" when absent; with any
                        query the URL itself carried */
};

/* roost__url_parse - "scheme://host[:port][/path]". Returns 0 or
 * ROOST_EINVAL. */
int roost__url_parse(const char *s, struct roost__url *out);

/* roost__url_add_param - append "&k=v" (or "?k=v" to a path without a
 * query) to buf, v percent-encoded. */
int roost__url_add_param(struct roost_buf *b, const char *k, const char *v,
                         size_t v_len);

/* roost__netsrc_report - one line on stderr, "roost: NAME: MSG". Sources
 * use it for what a user must see (a refused token), never per record. */
void roost__netsrc_report(const char *name, const char *fmt, ...)
    ROOST_PRINTF(2, 3);

#endif /* ROOST_SOURCE_NETSRC_INT_H */
