/* SPDX-License-Identifier: MIT
 *
 * agg_sum.c - SUM, AVG, MIN and MAX: the small numeric aggregates.
 *
 * SUM and AVG share one state: an exact int64 sum while every input is an
 * integer, which turns into a compensated (Kahan) double sum when a DOUBLE
 * arrives or the integer sum would overflow. Both are invertible. MIN and
 * MAX keep the best value so far, with a private copy of a string value;
 * they are mergeable but not invertible (remove is NULL).
 */
#include <math.h>
#include <string.h>

#include "core/mem.h"
#include "engine/agg.h"
#include "engine/agg_int.h"

/* ======================================================================
 * SUM and AVG
 * ====================================================================== */

struct sum_st {
    int64_t isum;   /* exact while !is_double */
    double dsum, c; /* Kahan sum and its compensation when is_double */
    uint64_t n;     /* non-NULL inputs (weighted) */
    bool is_double;
};

static int sum_init(void *st, const struct roost_agg_args *a)
{
    (void)a;
    memset(st, 0, sizeof(struct sum_st));
    return 0;
}

static void kahan_add(struct sum_st *s, double x)
{
    double y = x - s->c;
    double t = s->dsum + y;
    s->c = (t - s->dsum) - y;
    s->dsum = t;
}

static void to_double(struct sum_st *s)
{
    if (!s->is_double) {
        s->is_double = true;
        s->dsum = (double)s->isum;
        s->c = 0;
        s->isum = 0;
    }
}

static void sum_fold(struct sum_st *s, const struct roost_value *v,
                     int64_t weight)
{
    if (v->type == ROOST_V_INT || v->type == ROOST_V_TIME ||
        v->type == ROOST_V_BOOL) {
        int64_t x = v->type == ROOST_V_BOOL ? (int64_t)v->u.b : v->u.i;
        int64_t p = 0, q = 0;
        if (!s->is_double && !__builtin_mul_overflow(x, weight, &p) &&
            !__builtin_add_overflow(s->isum, p, &q)) {
            s->isum = q;
            return;
        }
        to_double(s);
        kahan_add(s, (double)x * (double)weight);
        return;
    }
    to_double(s);
    kahan_add(s, v->u.d * (double)weight);
}

static bool is_summable(const struct roost_value *v)
{
    return v->type == ROOST_V_INT || v->type == ROOST_V_DOUBLE ||
           v->type == ROOST_V_TIME || v->type == ROOST_V_BOOL;
}

static int sum_add(void *st, const struct roost_value *v, int64_t weight)
{
    struct sum_st *s = st;
    if (!is_summable(v) || weight <= 0) {
        return 0; /* NULL and strings do not count */
    }
    sum_fold(s, v, weight);
    s->n += (uint64_t)weight;
    return 0;
}

static int sum_remove(void *st, const struct roost_value *v)
{
    struct sum_st *s = st;
    if (!is_summable(v) || s->n == 0) {
        return 0;
    }
    sum_fold(s, v, -1);
    if (--s->n == 0) {
        memset(s, 0, sizeof(*s));
    }
    return 0;
}

static int sum_merge(void *dst, const void *src)
{
    struct sum_st *d = dst;
    const struct sum_st *s = src;
    if (s->n == 0) {
        return 0;
    }
    if (s->is_double) {
        to_double(d);
        kahan_add(d, s->dsum);
        kahan_add(d, -s->c);
    } else {
        struct roost_value v = roost_value_int(s->isum);
        sum_fold(d, &v, 1);
    }
    d->n += s->n;
    return 0;
}

static double sum_as_double(const struct sum_st *s)
{
    return s->is_double ? s->dsum : (double)s->isum;
}

static int sum_result(const void *st, struct roost_value *out,
                      struct roost_arena *scratch)
{
    (void)scratch;
    const struct sum_st *s = st;
    if (s->n == 0) {
        *out = roost_value_null();
    } else if (s->is_double) {
        *out = roost_value_double(s->dsum);
    } else {
        *out = roost_value_int(s->isum);
    }
    return 0;
}

static int avg_result(const void *st, struct roost_value *out,
                      struct roost_arena *scratch)
{
    (void)scratch;
    const struct sum_st *s = st;
    if (s->n == 0) {
        *out = roost_value_null();
    } else {
        *out = roost_value_double(sum_as_double(s) / (double)s->n);
    }
    return 0;
}

static size_t sum_bytes(const void *st)
{
    (void)st;
    return sizeof(struct sum_st);
}

static int sum_save(const void *st, struct roost_buf *out)
{
    const struct sum_st *s = st;
    int rc = roost_buf_addc(out, s->is_double ? 'd' : 'i');
    if (rc == 0) {
        rc = roost__agg_put_u64(out, (uint64_t)s->isum);
    }
    if (rc == 0) {
        rc = roost__agg_put_f64(out, s->dsum);
    }
    if (rc == 0) {
        rc = roost__agg_put_f64(out, s->c);
    }
    if (rc == 0) {
        rc = roost__agg_put_u64(out, s->n);
    }
    return rc;
}

static int sum_load(void *st, const char *p, size_t len)
{
    struct sum_st *s = st;
    memset(s, 0, sizeof(*s));
    if (len != 33 || (p[0] != 'd' && p[0] != 'i')) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    struct roost__agg_rd r = { (const unsigned char *)p + 1, len - 1, false };
    s->is_double = p[0] == 'd';
    s->isum = (int64_t)roost__agg_get_u64(&r);
    s->dsum = roost__agg_get_f64(&r);
    s->c = roost__agg_get_f64(&r);
    s->n = roost__agg_get_u64(&r);
    return 0;
}

static void sum_fini(void *st)
{
    memset(st, 0, sizeof(struct sum_st));
}

const struct roost_agg_ops roost_agg_sum = {
    .name = "SUM",
    .summary = "sum of numeric values (INT while exact, else DOUBLE)",
    .state_size = sizeof(struct sum_st),
    .n_args = 1,
    .init = sum_init,
    .add = sum_add,
    .remove = sum_remove,
    .merge = sum_merge,
    .result = sum_result,
    .bytes = sum_bytes,
    .save = sum_save,
    .load = sum_load,
    .fini = sum_fini,
};

const struct roost_agg_ops roost_agg_avg = {
    .name = "AVG",
    .summary = "mean of numeric values",
    .state_size = sizeof(struct sum_st),
    .n_args = 1,
    .init = sum_init,
    .add = sum_add,
    .remove = sum_remove,
    .merge = sum_merge,
    .result = avg_result,
    .bytes = sum_bytes,
    .save = sum_save,
    .load = sum_load,
    .fini = sum_fini,
};

/* ======================================================================
 * MIN and MAX
 * ====================================================================== */

struct ext_st {
    struct roost_value v; /* ROOST_V_NULL until the first value */
    char *str;            /* owned copy behind v.u.s */
    size_t str_cap;
};

static int ext_init(void *st, const struct roost_agg_args *a)
{
    (void)a;
    memset(st, 0, sizeof(struct ext_st));
    return 0;
}

static int ext_set(struct ext_st *e, const struct roost_value *v)
{
    if (v->type == ROOST_V_STRING) {
        size_t need = v->u.s.len + 1;
        if (need > e->str_cap) {
            char *p = roost_realloc(e->str, need);
            if (p == NULL) {
                return ROOST_ERR(ROOST_ENOMEM);
            }
            e->str = p;
            e->str_cap = need;
        }
        if (v->u.s.len > 0) {
            memcpy(e->str, v->u.s.ptr, v->u.s.len);
        }
        e->v = roost_value_str(roost_str_make(e->str, v->u.s.len));
        return 0;
    }
    e->v = *v;
    return 0;
}

static int ext_fold(struct ext_st *e, const struct roost_value *v, int sign)
{
    if (roost_value_is_null(v)) {
        return 0;
    }
    if (roost_value_is_null(&e->v) ||
        roost_agg_value_cmp(v, &e->v) * sign < 0) {
        return ext_set(e, v);
    }
    return 0;
}

static int min_add(void *st, const struct roost_value *v, int64_t weight)
{
    (void)weight;
    return ext_fold(st, v, 1);
}

static int max_add(void *st, const struct roost_value *v, int64_t weight)
{
    (void)weight;
    return ext_fold(st, v, -1);
}

static int min_merge(void *dst, const void *src)
{
    return ext_fold(dst, &((const struct ext_st *)src)->v, 1);
}

static int max_merge(void *dst, const void *src)
{
    return ext_fold(dst, &((const struct ext_st *)src)->v, -1);
}

static int ext_result(const void *st, struct roost_value *out,
                      struct roost_arena *scratch)
{
    (void)scratch;
    const struct ext_st *e = st;
    *out = e->v;
    return 0;
}

static size_t ext_bytes(const void *st)
{
    const struct ext_st *e = st;
    return sizeof(*e) + e->str_cap;
}

static int ext_save(const void *st, struct roost_buf *out)
{
    const struct ext_st *e = st;
    int rc = roost_buf_addc(out, (char)e->v.type);
    if (rc < 0) {
        return rc;
    }
    switch (e->v.type) {
    case ROOST_V_NULL:
        return 0;
    case ROOST_V_BOOL:
        return roost_buf_addc(out, e->v.u.b ? 1 : 0);
    case ROOST_V_DOUBLE:
        return roost__agg_put_f64(out, e->v.u.d);
    case ROOST_V_STRING:
        rc = roost__agg_put_u64(out, e->v.u.s.len);
        return rc < 0 ? rc : roost_buf_add(out, e->v.u.s.ptr, e->v.u.s.len);
    default:
        return roost__agg_put_u64(out, (uint64_t)e->v.u.i);
    }
}

static int ext_load(void *st, const char *p, size_t len)
{
    struct ext_st *e = st;
    e->v = roost_value_null();
    if (len < 1) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    struct roost__agg_rd r = { (const unsigned char *)p + 1, len - 1, false };
    struct roost_value v = { .type = (uint8_t)p[0] };
    switch (v.type) {
    case ROOST_V_NULL:
        break;
    case ROOST_V_BOOL:
        if (len != 2) {
            return ROOST_ERR(ROOST_EPARSE);
        }
        v.u.b = p[1] != 0;
        r.len = 0;
        break;
    case ROOST_V_DOUBLE:
        v.u.d = roost__agg_get_f64(&r);
        break;
    case ROOST_V_INT:
    case ROOST_V_TIME:
        v.u.i = (int64_t)roost__agg_get_u64(&r);
        break;
    case ROOST_V_STRING: {
        uint64_t n = roost__agg_get_u64(&r);
        const char *s =
            r.bad || n != r.len ? NULL : roost__agg_get_bytes(&r, n);
        if (s == NULL) {
            return ROOST_ERR(ROOST_EPARSE);
        }
        v.u.s = roost_str_make(s, n);
        break;
    }
    default:
        return ROOST_ERR(ROOST_EPARSE);
    }
    if (r.bad || r.len != 0) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    return ext_set(e, &v);
}

static void ext_fini(void *st)
{
    struct ext_st *e = st;
    roost_free(e->str);
    memset(e, 0, sizeof(*e));
}

const struct roost_agg_ops roost_agg_min = {
    .name = "MIN",
    .summary = "smallest value (numbers by value, strings bytewise)",
    .state_size = sizeof(struct ext_st),
    .n_args = 1,
    .init = ext_init,
    .add = min_add,
    .remove = NULL,
    .merge = min_merge,
    .result = ext_result,
    .bytes = ext_bytes,
    .save = ext_save,
    .load = ext_load,
    .fini = ext_fini,
};

const struct roost_agg_ops roost_agg_max = {
    .name = "MAX",
    .summary = "largest value (numbers by value, strings bytewise)",
    .state_size = sizeof(struct ext_st),
    .n_args = 1,
    .init = ext_init,
    .add = max_add,
    .remove = NULL,
    .merge = max_merge,
    .result = ext_result,
    .bytes = ext_bytes,
    .save = ext_save,
    .load = ext_load,
    .fini = ext_fini,
};
