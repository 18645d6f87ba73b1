/* SPDX-License-Identifier: MIT
 *
 * agg_hll.c - HyperLogLog and APPROX_COUNT_DISTINCT.
 *
 * 2^p one-byte registers (p = 14: 16 KiB, standard error 1.04/128 =
 * 0.81 %) fed by 64-bit hashes, so there is no large-range correction. The
 * estimate is Ertl's improved raw estimator ("New cardinality estimation
 * algorithms for HyperLogLog sketches", 2017), which needs no empirical
 * bias tables and is unbiased from 0 to far beyond 2^p. Registers merge by
 * max, so merge equals add-all exactly.
 *
 * APPROX_COUNT_DISTINCT is the COUNT_DISTINCT state (agg_distinct.c) with
 * a budget of 2^p bytes: small sets stay exact and cheap, and sets that
 * would take more than the registers become the registers.
 */
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "engine/agg.h"
#include "engine/agg_int.h"

void roost__hll_init(struct roost__hll *h, uint8_t p)
{
    h->reg = NULL;
    h->p = p;
}

void roost__hll_fini(struct roost__hll *h)
{
    roost_free(h->reg);
    h->reg = NULL;
}

static int ensure(struct roost__hll *h)
{
    if (h->reg == NULL) {
        h->reg = roost_calloc((size_t)1 << h->p, 1);
        if (h->reg == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
    }
    return 0;
}

int roost__hll_add_hash(struct roost__hll *h, uint64_t hash)
{
    int rc = ensure(h);
    if (rc < 0) {
        return rc;
    }
    unsigned q = 64u - h->p;
    size_t idx = (size_t)(hash >> q);
    uint64_t w = hash << h->p;
    uint8_t rank =
        w == 0 ? (uint8_t)(q + 1) : (uint8_t)(__builtin_clzll(w) + 1);
    if (rank > q + 1) {
        rank = (uint8_t)(q + 1);
    }
    if (rank > h->reg[idx]) {
        h->reg[idx] = rank;
    }
    return 0;
}

int roost__hll_merge(struct roost__hll *dst, const struct roost__hll *src)
{
    if (src->reg == NULL) {
        return 0;
    }
    if (dst->p != src->p) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    int rc = ensure(dst);
    if (rc < 0) {
        return rc;
    }
    size_t m = (size_t)1 << dst->p;
    for (size_t i = 0; i < m; i++) {
        if (src->reg[i] > dst->reg[i]) {
            dst->reg[i] = src->reg[i];
        }
    }
    return 0;
}

static double sigma(double x)
{
    if (x == 1.0) {
        return INFINITY;
    }
    double y = 1.0, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (z != prev);
    return z;
}

static double tau(double x)
{
    if (x == 0.0 || x == 1.0) {
        return 0.0;
    }
    double y = 1.0, z = 1.0 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
    } while (z != prev);
    return z / 3.0;
}

double roost__hll_estimate(const struct roost__hll *h)
{
    if (h->reg == NULL) {
        return 0.0;
    }
    unsigned q = 64u - h->p;
    size_t m = (size_t)1 << h->p;
    uint64_t c[66] = { 0 };
    for (size_t i = 0; i < m; i++) {
        c[h->reg[i]]++;
    }
    double md = (double)m;
    double z = md * tau(1.0 - (double)c[q + 1] / md);
    for (unsigned k = q; k >= 1; k--) {
        z = 0.5 * (z + (double)c[k]);
    }
    z += md * sigma((double)c[0] / md);
    if (isinf(z)) {
        return 0.0;
    }
    return md * md / (2.0 * log(2.0)) / z;
}

double roost__hll_rse(uint8_t p)
{
    return 1.04 / sqrt((double)((size_t)1 << p));
}

size_t roost__hll_bytes(const struct roost__hll *h)
{
    return h->reg != NULL ? (size_t)1 << h->p : 0;
}

int roost__hll_save(const struct roost__hll *h, struct roost_buf *out)
{
    int rc = roost_buf_addc(out, (char)h->p);
    if (rc == 0 && h->reg != NULL) {
        rc = roost_buf_add(out, h->reg, (size_t)1 << h->p);
    }
    return rc;
}

int roost__hll_load(struct roost__hll *h, struct roost__agg_rd *r)
{
    const char *p = roost__agg_get_bytes(r, 1);
    if (p == NULL || (uint8_t)p[0] != h->p) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    size_t m = (size_t)1 << h->p;
    const char *reg = roost__agg_get_bytes(r, m);
    if (reg == NULL) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    for (size_t i = 0; i < m; i++) {
        if ((uint8_t)reg[i] > 64u - h->p + 1) {
            return ROOST_ERR(ROOST_EPARSE);
        }
    }
    int rc = ensure(h);
    if (rc < 0) {
        return rc;
    }
    memcpy(h->reg, reg, m);
    return 0;
}

/* ======================================================================
 * APPROX_COUNT_DISTINCT
 * ====================================================================== */

static int approx_init(void *st, const struct roost_agg_args *a)
{
    uint8_t p = a != NULL && a->hll_p != 0 ? a->hll_p : ROOST_AGG_DEFAULT_HLL_P;
    if (p < 4 || p > 18) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    return roost__distinct_init(st, p, (size_t)1 << p);
}

const struct roost_agg_ops roost_agg_hll = {
    .name = "APPROX_COUNT_DISTINCT",
    .summary = "distinct values, HyperLogLog (p=14: 0.81 % standard error)",
    .state_size = sizeof(struct roost__distinct),
    .n_args = 1,
    .init = approx_init,
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
