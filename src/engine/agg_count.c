/* SPDX-License-Identifier: MIT
 *
 * agg_count.c - COUNT: the number of non-NULL arguments (COUNT(*) passes
 * a non-NULL value per row). Invertible, exactly mergeable, 8 bytes.
 */
#include "engine/agg.h"
#include "engine/agg_int.h"

struct count_st {
    uint64_t n;
};

static int count_init(void *st, const struct roost_agg_args *a)
{
    (void)a;
    struct count_st *c = st;
    c->n = 0;
    return 0;
}

static int count_add(void *st, const struct roost_value *v, int64_t weight)
{
    struct count_st *c = st;
    if (!roost_value_is_null(v) && weight > 0) {
        c->n += (uint64_t)weight;
    }
    return 0;
}

static int count_remove(void *st, const struct roost_value *v)
{
    struct count_st *c = st;
    if (!roost_value_is_null(v) && c->n > 0) {
        c->n--;
    }
    return 0;
}

static int count_merge(void *dst, const void *src)
{
    struct count_st *d = dst;
    const struct count_st *s = src;
    d->n += s->n;
    return 0;
}

static int count_result(const void *st, struct roost_value *out,
                        struct roost_arena *scratch)
{
    (void)scratch;
    const struct count_st *c = st;
    *out = roost_value_int((int64_t)c->n);
    return 0;
}

static size_t count_bytes(const void *st)
{
    (void)st;
    return sizeof(struct count_st);
}

static int count_save(const void *st, struct roost_buf *out)
{
    const struct count_st *c = st;
    return roost__agg_put_u64(out, c->n);
}

static int count_load(void *st, const char *p, size_t len)
{
    struct count_st *c = st;
    struct roost__agg_rd r = { (const unsigned char *)p, len, false };
    uint64_t n = roost__agg_get_u64(&r);
    if (r.bad || r.len != 0) {
        c->n = 0;
        return ROOST_ERR(ROOST_EPARSE);
    }
    c->n = n;
    return 0;
}

static void count_fini(void *st)
{
    struct count_st *c = st;
    c->n = 0;
}

const struct roost_agg_ops roost_agg_count = {
    .name = "COUNT",
    .summary = "number of non-NULL values (COUNT(*): rows)",
    .state_size = sizeof(struct count_st),
    .n_args = 1,
    .init = count_init,
    .add = count_add,
    .remove = count_remove,
    .merge = count_merge,
    .result = count_result,
    .rel_error = NULL,
    .bytes = count_bytes,
    .save = count_save,
    .load = count_load,
    .fini = count_fini,
};
