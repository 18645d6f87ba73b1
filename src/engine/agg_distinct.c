/* SPDX-License-Identifier: MIT
 *
 * agg_distinct.c - COUNT_DISTINCT: exact within a byte budget, then HLL.
 *
 * The exact state is a set of 64-bit value hashes (8 bytes per distinct
 * value, whatever the value's length; a collision needs ~2^32 values to
 * become likely). The set doubles at 50 % load; when the doubled table
 * would exceed args->max_bytes the state switches, once and for good, to
 * a HyperLogLog fed with every held hash, and rel_error() becomes its
 * standard error. The switch depends only on the number of distinct
 * hashes, so merge(a, b) and add-all(a ∪ b) switch alike and agree.
 */
#include <string.h>

#include "core/mem.h"
#include "engine/agg.h"
#include "engine/agg_int.h"

#define MIN_CAP 16

int roost__distinct_init(struct roost__distinct *d, uint8_t p, size_t max_bytes)
{
    memset(d, 0, sizeof(*d));
    roost__hll_init(&d->hll, p);
    d->max_bytes = max_bytes;
    return 0;
}

static bool is_dense(const struct roost__distinct *d)
{
    return d->hll.reg != NULL;
}

static void set_put(uint64_t *set, size_t cap, uint64_t h, size_t *n)
{
    size_t i = (size_t)h & (cap - 1);
    while (set[i] != 0) {
        if (set[i] == h) {
            return;
        }
        i = (i + 1) & (cap - 1);
    }
    set[i] = h;
    (*n)++;
}

static int go_dense(struct roost__distinct *d)
{
    int rc = roost__hll_add_hash(&d->hll, 0); /* allocate first */
    if (rc < 0) {
        return rc;
    }
    /* hash 0 went in to allocate; it is a valid register update only when
     * the set held it, so redo the registers from scratch otherwise */
    if (!d->has_zero) {
        memset(d->hll.reg, 0, (size_t)1 << d->hll.p);
    }
    for (size_t i = 0; i < d->cap; i++) {
        if (d->set[i] != 0) {
            (void)roost__hll_add_hash(&d->hll, d->set[i]);
        }
    }
    roost_free(d->set);
    d->set = NULL;
    d->cap = 0;
    d->n_set = 0;
    d->has_zero = false;
    return 0;
}

static int grow(struct roost__distinct *d)
{
    size_t ncap = d->cap != 0 ? d->cap * 2 : MIN_CAP;
    if (ncap * sizeof(uint64_t) > d->max_bytes) {
        return go_dense(d);
    }
    uint64_t *n = roost_calloc(ncap, sizeof(uint64_t));
    if (n == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    size_t cnt = 0;
    for (size_t i = 0; i < d->cap; i++) {
        if (d->set[i] != 0) {
            set_put(n, ncap, d->set[i], &cnt);
        }
    }
    roost_free(d->set);
    d->set = n;
    d->cap = ncap;
    return 0;
}

static int add_hash(struct roost__distinct *d, uint64_t h)
{
    if (is_dense(d)) {
        return roost__hll_add_hash(&d->hll, h);
    }
    if (h == 0) {
        d->has_zero = true;
        return 0;
    }
    if ((d->n_set + 1) * 2 > d->cap) {
        int rc = grow(d);
        if (rc < 0) {
            return rc;
        }
        if (is_dense(d)) {
            return roost__hll_add_hash(&d->hll, h);
        }
    }
    set_put(d->set, d->cap, h, &d->n_set);
    return 0;
}

int roost__distinct_add(void *st, const struct roost_value *v, int64_t weight)
{
    (void)weight;
    if (roost_value_is_null(v)) {
        return 0;
    }
    return add_hash(st, roost_agg_value_hash(v));
}

int roost__distinct_merge(void *dst, const void *src)
{
    struct roost__distinct *d = dst;
    const struct roost__distinct *s = src;
    if (is_dense(s)) {
        int rc = is_dense(d) ? 0 : go_dense(d);
        if (rc == 0) {
            rc = roost__hll_merge(&d->hll, &s->hll);
        }
        return rc;
    }
    if (s->has_zero) {
        int rc = add_hash(d, 0);
        if (rc < 0) {
            return rc;
        }
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (s->set[i] != 0) {
            int rc = add_hash(d, s->set[i]);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

static int64_t count_of(const struct roost__distinct *d)
{
    if (is_dense(d)) {
        return (int64_t)(roost__hll_estimate(&d->hll) + 0.5);
    }
    return (int64_t)(d->n_set + (d->has_zero ? 1 : 0));
}

int roost__distinct_result(const void *st, struct roost_value *out,
                           struct roost_arena *scratch)
{
    (void)scratch;
    *out = roost_value_int(count_of(st));
    return 0;
}

double roost__distinct_rel_error(const void *st)
{
    const struct roost__distinct *d = st;
    return is_dense(d) ? roost__hll_rse(d->hll.p) : 0.0;
}

size_t roost__distinct_bytes(const void *st)
{
    const struct roost__distinct *d = st;
    return sizeof(*d) + d->cap * sizeof(uint64_t) + roost__hll_bytes(&d->hll);
}

int roost__distinct_save(const void *st, struct roost_buf *out)
{
    const struct roost__distinct *d = st;
    if (is_dense(d)) {
        int rc = roost_buf_addc(out, 'h');
        return rc < 0 ? rc : roost__hll_save(&d->hll, out);
    }
    int rc = roost_buf_addc(out, 'e');
    if (rc == 0) {
        rc = roost__agg_put_u64(out, d->n_set + (d->has_zero ? 1 : 0));
    }
    if (rc == 0 && d->has_zero) {
        rc = roost__agg_put_u64(out, 0);
    }
    for (size_t i = 0; rc == 0 && i < d->cap; i++) {
        if (d->set[i] != 0) {
            rc = roost__agg_put_u64(out, d->set[i]);
        }
    }
    return rc;
}

int roost__distinct_load(void *st, const char *p, size_t len)
{
    struct roost__distinct *d = st;
    uint8_t hp = d->hll.p;
    size_t max_bytes = d->max_bytes;
    roost__distinct_fini(d);
    roost__distinct_init(d, hp, max_bytes);
    struct roost__agg_rd r = { (const unsigned char *)p, len, false };
    const char *tag = roost__agg_get_bytes(&r, 1);
    int rc = 0;
    if (tag != NULL && tag[0] == 'h') {
        rc = roost__hll_load(&d->hll, &r);
    } else if (tag != NULL && tag[0] == 'e') {
        uint64_t n = roost__agg_get_u64(&r);
        if (r.bad || n != r.len / 8 || r.len % 8 != 0) {
            rc = ROOST_ERR(ROOST_EPARSE);
        }
        for (uint64_t i = 0; rc == 0 && i < n; i++) {
            rc = add_hash(d, roost__agg_get_u64(&r));
        }
    } else {
        rc = ROOST_ERR(ROOST_EPARSE);
    }
    if (rc == 0 && (r.bad || r.len != 0)) {
        rc = ROOST_ERR(ROOST_EPARSE);
    }
    if (rc < 0) {
        roost__distinct_fini(d);
        roost__distinct_init(d, hp, max_bytes);
    }
    return rc;
}

void roost__distinct_fini(void *st)
{
    struct roost__distinct *d = st;
    roost_free(d->set);
    roost__hll_fini(&d->hll);
    d->set = NULL;
    d->cap = 0;
    d->n_set = 0;
    d->has_zero = false;
}

static int distinct_init(void *st, const struct roost_agg_args *a)
{
    uint8_t p = a != NULL && a->hll_p != 0 ? a->hll_p : ROOST_AGG_DEFAULT_HLL_P;
    size_t max = a != NULL && a->max_bytes != 0 ? a->max_bytes
                                                : ROOST_AGG_DEFAULT_MAX_BYTES;
    if (p < 4 || p > 18) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    return roost__distinct_init(st, p, max);
}

bool roost_agg_distinct_is_exact(const void *st)
{
    return !is_dense(st);
}

const struct roost_agg_ops roost_agg_distinct = {
    .name = "COUNT_DISTINCT",
    .summary = "exact distinct values; HyperLogLog past max_bytes",
    .state_size = sizeof(struct roost__distinct),
    .n_args = 1,
    .init = distinct_init,
    .add = roost__distinct_add,
    .remove = NULL,
    .merge = roost__distinct_merge,
    .result = roost__distinct_result,
    .rel_error = roost__distinct_rel_error,
    .bytes = roost__distinct_bytes,
    .save = roost__distinct_save,
    .load = roost__distinct_load,
    .fini = roost__distinct_fini,
};
