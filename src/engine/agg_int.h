/* SPDX-License-Identifier: MIT
 *
 * agg_int.h - what the aggregate files share: the ops symbols, the byte
 * codec of saved states, and the HLL core that COUNT_DISTINCT falls back
 * to. Not for other modules (they use agg.h).
 */
#ifndef ROOST_ENGINE_AGG_INT_H
#define ROOST_ENGINE_AGG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "engine/agg.h"

#define ROOST_AGG(name) extern const struct roost_agg_ops roost_agg_##name;
#include "engine/aggs.def"
#undef ROOST_AGG

/* ----- codec: little-endian fixed-width fields --------------------------- */

struct roost__agg_rd {
    const unsigned char *p;
    size_t len;
    bool bad; /* a read ran past the end */
};

static inline int roost__agg_put_u64(struct roost_buf *b, uint64_t v)
{
    unsigned char c[8];
    for (int i = 0; i < 8; i++) {
        c[i] = (unsigned char)(v >> (8 * i));
    }
    return roost_buf_add(b, c, 8);
}

static inline int roost__agg_put_f64(struct roost_buf *b, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    return roost__agg_put_u64(b, v);
}

static inline uint64_t roost__agg_get_u64(struct roost__agg_rd *r)
{
    if (r->len < 8) {
        r->bad = true;
        r->len = 0;
        return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) {
        v |= (uint64_t)r->p[i] << (8 * i);
    }
    r->p += 8;
    r->len -= 8;
    return v;
}

static inline double roost__agg_get_f64(struct roost__agg_rd *r)
{
    uint64_t v = roost__agg_get_u64(r);
    double d;
    memcpy(&d, &v, 8);
    return d;
}

/* roost__agg_get_bytes - a view of n bytes, or NULL (and bad) past the end */
static inline const char *roost__agg_get_bytes(struct roost__agg_rd *r,
                                               size_t n)
{
    if (r->len < n) {
        r->bad = true;
        r->len = 0;
        return NULL;
    }
    const char *s = (const char *)r->p;
    r->p += n;
    r->len -= n;
    return s;
}

/* roost__agg_mix64 - a strong 64-bit finalizer (splitmix64 / murmur3). */
static inline uint64_t roost__agg_mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    x ^= x >> 31;
    return x;
}

/* ----- HyperLogLog core (agg_hll.c), shared with agg_distinct.c ---------- */

struct roost__hll {
    uint8_t *reg; /* 2^p registers, NULL while empty */
    uint8_t p;
};

void roost__hll_init(struct roost__hll *h, uint8_t p);
void roost__hll_fini(struct roost__hll *h);
/* roost__hll_add_hash - fold one 64-bit hash. 0 or ROOST_ENOMEM. */
int roost__hll_add_hash(struct roost__hll *h, uint64_t hash);
int roost__hll_merge(struct roost__hll *dst, const struct roost__hll *src);
double roost__hll_estimate(const struct roost__hll *h);
/* roost__hll_rse - relative standard error 1.04 / sqrt(2^p). */
double roost__hll_rse(uint8_t p);
size_t roost__hll_bytes(const struct roost__hll *h);
int roost__hll_save(const struct roost__hll *h, struct roost_buf *out);
int roost__hll_load(struct roost__hll *h, struct roost__agg_rd *r);

/* ----- distinct state (agg_distinct.c), shared with agg_hll.c ----------- */

/*
 * An exact set of 64-bit value hashes (so "exact" means up to a hash
 * collision, probability < n^2 / 2^65) that becomes a HyperLogLog of
 * precision p when the set would outgrow max_bytes. APPROX_COUNT_DISTINCT
 * is the same state with max_bytes = 2^p: exact while that is cheaper.
 */
struct roost__distinct {
    uint64_t *set;         /* open addressing, 0 = empty; NULL once dense */
    size_t n_set, cap;     /* hashes held, slots */
    bool has_zero;         /* the hash 0 is held (it marks empty slots) */
    struct roost__hll hll; /* hll.reg != NULL: dense (approximate) */
    size_t max_bytes;
};

int roost__distinct_init(struct roost__distinct *d, uint8_t p,
                         size_t max_bytes);
int roost__distinct_add(void *st, const struct roost_value *v, int64_t weight);
int roost__distinct_merge(void *dst, const void *src);
int roost__distinct_result(const void *st, struct roost_value *out,
                           struct roost_arena *scratch);
double roost__distinct_rel_error(const void *st);
size_t roost__distinct_bytes(const void *st);
int roost__distinct_save(const void *st, struct roost_buf *out);
int roost__distinct_load(void *st, const char *p, size_t len);
void roost__distinct_fini(void *st);

#endif /* ROOST_ENGINE_AGG_INT_H */
