/* SPDX-License-Identifier: MIT
 *
 * agg_topk.c - TOP_K(key, k): the heavy hitters, by Space-Saving.
 *
 * Metwally, Agrawal, El Abbadi, "Efficient computation of frequent and
 * top-k elements in data streams" (2005). `capacity` counters (default
 * max(10k, 1000)) each hold a key, a count and an error. A new key takes
 * a free counter, or replaces the counter with the smallest count m,
 * inheriting count m + w and error m. So for every key: count - error <=
 * true count <= count, and any key not held has a true count <= the
 * smallest count (min_bound once anything was evicted, else 0).
 *
 * Layout: counters in an array that grows to capacity, a binary min-heap
 * of counter indices by count (O(log c) per update), and an open-addressing
 * index from key hash to counter (backward-shift deletion on eviction).
 *
 * Merge follows Agarwal et al., "Mergeable summaries" (2012): each key of
 * either side gets count_a + count_b, where a side that does not hold the
 * key contributes its min_bound to the count and to the error; the largest
 * `capacity` survive. When no side ever evicted, merge equals add-all.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/map.h"
#include "core/mem.h"
#include "engine/agg.h"
#include "engine/agg_int.h"

#define MAX_K        100000u
#define MAX_CAPACITY (1u << 22)

struct ss_counter {
    char *key; /* owned copy */
    uint32_t len;
    uint32_t heap_pos;
    uint64_t hash;
    uint64_t count, error;
};

struct topk_st {
    struct ss_counter *c; /* n used of c_cap allocated */
    uint32_t *heap;       /* n counter indices, min-heap by count */
    uint32_t *index;      /* idx_cap slots: counter index + 1, 0 = empty */
    uint32_t n, c_cap, idx_cap;
    uint32_t k, capacity;
    bool evicted; /* some key lost its counter: absent keys <= min */
    uint64_t total;
    size_t key_bytes;
};

/* ----- heap and index --------------------------------------------------- */

static uint64_t heap_count(const struct topk_st *t, uint32_t pos)
{
    return t->c[t->heap[pos]].count;
}

static void heap_swap(struct topk_st *t, uint32_t a, uint32_t b)
{
    uint32_t x = t->heap[a];
    t->heap[a] = t->heap[b];
    t->heap[b] = x;
    t->c[t->heap[a]].heap_pos = a;
    t->c[t->heap[b]].heap_pos = b;
}

static void sift_up(struct topk_st *t, uint32_t pos)
{
    while (pos > 0) {
        uint32_t parent = (pos - 1) / 2;
        if (heap_count(t, parent) <= heap_count(t, pos)) {
            break;
        }
        heap_swap(t, parent, pos);
        pos = parent;
    }
}

static void sift_down(struct topk_st *t, uint32_t pos)
{
    for (;;) {
        uint32_t l = 2 * pos + 1, r = l + 1, m = pos;
        if (l < t->n && heap_count(t, l) < heap_count(t, m)) {
            m = l;
        }
        if (r < t->n && heap_count(t, r) < heap_count(t, m)) {
            m = r;
        }
        if (m == pos) {
            return;
        }
        heap_swap(t, pos, m);
        pos = m;
    }
}

/* index slot of key, or of the empty slot where it would go */
static uint32_t index_find(const struct topk_st *t, uint64_t h, const char *key,
                           size_t len)
{
    uint32_t mask = t->idx_cap - 1;
    uint32_t i = (uint32_t)h & mask;
    while (t->index[i] != 0) {
        const struct ss_counter *c = &t->c[t->index[i] - 1];
        if (c->hash == h && c->len == len &&
            (len == 0 || memcmp(c->key, key, len) == 0)) {
            return i;
        }
        i = (i + 1) & mask;
    }
    return i;
}

static void index_delete(struct topk_st *t, uint32_t i)
{
    uint32_t mask = t->idx_cap - 1;
    t->index[i] = 0;
    for (uint32_t j = (i + 1) & mask; t->index[j] != 0; j = (j + 1) & mask) {
        uint32_t home = (uint32_t)t->c[t->index[j] - 1].hash & mask;
        /* move j back to i when its home is not cyclically in (i, j] */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            t->index[i] = t->index[j];
            t->index[j] = 0;
            i = j;
        }
    }
}

static int grow(struct topk_st *t)
{
    uint32_t ncap = t->c_cap != 0 ? t->c_cap * 2 : 16;
    if (ncap > t->capacity) {
        ncap = t->capacity;
    }
    uint32_t nidx = 16;
    while (nidx < 2 * ncap) {
        nidx *= 2;
    }
    struct ss_counter *c = roost_realloc(t->c, (size_t)ncap * sizeof(*c));
    if (c == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    t->c = c;
    uint32_t *heap = roost_realloc(t->heap, (size_t)ncap * sizeof(*heap));
    if (heap == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    t->heap = heap;
    t->c_cap = ncap;
    if (nidx != t->idx_cap) {
        uint32_t *idx = roost_calloc(nidx, sizeof(*idx));
        if (idx == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        roost_free(t->index);
        t->index = idx;
        t->idx_cap = nidx;
        for (uint32_t j = 0; j < t->n; j++) {
            uint32_t s = index_find(t, t->c[j].hash, t->c[j].key, t->c[j].len);
            t->index[s] = j + 1;
        }
    }
    return 0;
}

/* ----- core update ------------------------------------------------------ */

static int topk_add_key(struct topk_st *t, const char *key, size_t len,
                        uint64_t w, uint64_t err)
{
    if (len > UINT32_MAX) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (t->idx_cap == 0) {
        int rc = grow(t);
        if (rc < 0) {
            return rc;
        }
    }
    uint64_t h = roost_hash(key, len);
    uint32_t s = index_find(t, h, key, len);
    if (t->index[s] != 0) {
        struct ss_counter *c = &t->c[t->index[s] - 1];
        c->count += w;
        c->error += err;
        sift_down(t, c->heap_pos);
        t->total += w;
        return 0;
    }
    char *copy = roost_malloc(len + 1);
    if (copy == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    memcpy(copy, key, len);
    copy[len] = '\0';
    if (t->n == t->c_cap && t->n < t->capacity) {
        int rc = grow(t);
        if (rc < 0) {
            roost_free(copy);
            return rc;
        }
        s = index_find(t, h, key, len);
    }
    if (t->n < t->capacity) {
        uint32_t j = t->n++;
        t->c[j] = (struct ss_counter){ .key = copy,
                                       .len = (uint32_t)len,
                                       .heap_pos = j,
                                       .hash = h,
                                       .count = w,
                                       .error = err };
        t->heap[j] = j;
        t->index[s] = j + 1;
        sift_up(t, j);
    } else {
        uint32_t j = t->heap[0];
        struct ss_counter *c = &t->c[j];
        index_delete(t, index_find(t, c->hash, c->key, c->len));
        t->key_bytes -= c->len + 1;
        roost_free(c->key);
        c->key = copy;
        c->len = (uint32_t)len;
        c->hash = h;
        c->error = c->count + err;
        c->count += w;
        t->evicted = true;
        t->index[index_find(t, h, key, len)] = j + 1;
        sift_down(t, 0);
    }
    t->key_bytes += len + 1;
    t->total += w;
    return 0;
}

/* ----- ops -------------------------------------------------------------- */

static int topk_init(void *st, const struct roost_agg_args *a)
{
    struct topk_st *t = st;
    memset(t, 0, sizeof(*t));
    uint32_t k = a != NULL && a->k != 0 ? a->k : ROOST_AGG_DEFAULT_TOPK_K;
    uint32_t cap = a != NULL ? a->capacity : 0;
    if (cap == 0) {
        cap = k * 10 > 1000 ? k * 10 : 1000;
    }
    if (k > MAX_K || cap < k || cap > MAX_CAPACITY) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    t->k = k;
    t->capacity = cap;
    return 0;
}

/* key_text - the key bytes of a value: strings as-is, others as text */
static struct roost_str key_text(const struct roost_value *v, char *tmp,
                                 size_t n)
{
    int len = 0;
    switch (v->type) {
    case ROOST_V_STRING:
        return v->u.s;
    case ROOST_V_BOOL:
        return roost_str_cstr(v->u.b ? "true" : "false");
    case ROOST_V_DOUBLE:
        len = snprintf(tmp, n, "%.17g", v->u.d);
        break;
    default:
        len = snprintf(tmp, n, "%lld", (long long)v->u.i);
        break;
    }
    return roost_str_make(tmp, len > 0 ? (size_t)len : 0);
}

static int topk_add(void *st, const struct roost_value *v, int64_t weight)
{
    if (roost_value_is_null(v) || weight <= 0) {
        return 0;
    }
    char tmp[32];
    struct roost_str k = key_text(v, tmp, sizeof(tmp));
    return topk_add_key(st, k.ptr, k.len, (uint64_t)weight, 0);
}

static uint64_t min_bound(const struct topk_st *t)
{
    return t->evicted && t->n > 0 ? t->c[t->heap[0]].count : 0;
}

struct cand {
    const struct ss_counter *c; /* key source */
    uint64_t count, error;
};

/* count descending, then key bytes ascending */
static int cand_cmp(const void *pa, const void *pb)
{
    const struct cand *a = pa, *b = pb;
    if (a->count != b->count) {
        return a->count > b->count ? -1 : 1;
    }
    size_t n = a->c->len < b->c->len ? a->c->len : b->c->len;
    int r = n > 0 ? memcmp(a->c->key, b->c->key, n) : 0;
    if (r != 0) {
        return r;
    }
    return a->c->len < b->c->len ? -1 : a->c->len > b->c->len;
}

static void topk_fini(void *st)
{
    struct topk_st *t = st;
    for (uint32_t i = 0; i < t->n; i++) {
        roost_free(t->c[i].key);
    }
    roost_free(t->c);
    roost_free(t->heap);
    roost_free(t->index);
    uint32_t k = t->k, cap = t->capacity;
    memset(t, 0, sizeof(*t));
    t->k = k;
    t->capacity = cap;
}

static int topk_merge(void *dst, const void *src)
{
    struct topk_st *d = dst;
    const struct topk_st *s = src;
    if (s->n == 0) {
        return 0;
    }
    uint64_t md = min_bound(d), ms = min_bound(s);
    struct cand *cs = roost_malloc(((size_t)d->n + s->n) * sizeof(*cs));
    if (cs == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    size_t n = 0;
    for (uint32_t i = 0; i < d->n; i++) {
        const struct ss_counter *c = &d->c[i];
        cs[n++] = (struct cand){ c, c->count + ms, c->error + ms };
    }
    for (uint32_t i = 0; i < s->n; i++) {
        const struct ss_counter *c = &s->c[i];
        uint32_t slot =
            d->idx_cap != 0 ? index_find(d, c->hash, c->key, c->len) : 0;
        if (d->idx_cap != 0 && d->index[slot] != 0) {
            struct cand *x = &cs[d->index[slot] - 1];
            x->count += c->count - ms;
            x->error += c->error - ms;
        } else {
            cs[n++] = (struct cand){ c, c->count + md, c->error + md };
        }
    }
    qsort(cs, n, sizeof(*cs), cand_cmp);
    bool evicted = d->evicted || s->evicted || n > d->capacity;
    size_t keep = n < d->capacity ? n : d->capacity;
    struct topk_st fresh;
    struct roost_agg_args a = { .k = d->k, .capacity = d->capacity };
    (void)topk_init(&fresh, &a);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < keep; i++) {
        rc = topk_add_key(&fresh, cs[i].c->key, cs[i].c->len, cs[i].count,
                          cs[i].error);
    }
    roost_free(cs);
    if (rc < 0) {
        topk_fini(&fresh);
        return rc;
    }
    fresh.total = d->total + s->total;
    fresh.evicted = evicted;
    topk_fini(d);
    *d = fresh;
    return 0;
}

size_t roost_agg_topk_items(const void *st, struct roost_topk_item *out,
                            size_t n)
{
    const struct topk_st *t = st;
    if (t->n == 0 || n == 0) {
        return 0;
    }
    struct cand *cs = roost_malloc((size_t)t->n * sizeof(*cs));
    if (cs == NULL) {
        return 0;
    }
    for (uint32_t i = 0; i < t->n; i++) {
        cs[i] = (struct cand){ &t->c[i], t->c[i].count, t->c[i].error };
    }
    qsort(cs, t->n, sizeof(*cs), cand_cmp);
    size_t m = t->n < t->k ? t->n : t->k;
    if (m > n) {
        m = n;
    }
    for (size_t i = 0; i < m; i++) {
        out[i] = (struct roost_topk_item){
            roost_str_make(cs[i].c->key, cs[i].c->len), cs[i].count, cs[i].error
        };
    }
    roost_free(cs);
    return m;
}

uint64_t roost_agg_topk_total(const void *st)
{
    return ((const struct topk_st *)st)->total;
}

static int topk_result(const void *st, struct roost_value *out,
                       struct roost_arena *scratch)
{
    const struct topk_st *t = st;
    size_t want = t->k < t->n ? t->k : t->n;
    struct roost_topk_item *items =
        roost_malloc((want > 0 ? want : 1) * sizeof(*items));
    if (items == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    size_t m = roost_agg_topk_items(t, items, want);
    struct roost_buf b;
    roost_buf_init(&b, (size_t)1 << 30);
    int rc = roost_buf_addc(&b, '[');
    for (size_t i = 0; rc == 0 && i < m; i++) {
        rc = roost_buf_adds(&b, i > 0 ? ",{\"key\":" : "{\"key\":");
        if (rc == 0) {
            rc = roost_buf_add_json_str(&b, items[i].key.ptr, items[i].key.len);
        }
        if (rc == 0) {
            rc = roost_buf_printf(&b, ",\"count\":%llu,\"error\":%llu}",
                                  (unsigned long long)items[i].count,
                                  (unsigned long long)items[i].error);
        }
    }
    if (rc == 0) {
        rc = roost_buf_addc(&b, ']');
    }
    char *s = rc == 0 ? roost_arena_dup(scratch, b.ptr, b.len) : NULL;
    if (rc == 0 && s == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
    }
    if (rc == 0) {
        *out = roost_value_str(roost_str_make(s, b.len));
    }
    roost_buf_fini(&b);
    roost_free(items);
    return rc;
}

static double topk_rel_error(const void *st)
{
    const struct topk_st *t = st;
    if (t->total == 0 || !t->evicted) {
        return 0.0;
    }
    struct roost_topk_item items[64];
    size_t m = roost_agg_topk_items(t, items, 64);
    uint64_t e = 0;
    for (size_t i = 0; i < m; i++) {
        e = items[i].error > e ? items[i].error : e;
    }
    if (m == 0 || m < t->k) {
        e = e > min_bound(t) ? e : min_bound(t);
    }
    return (double)e / (double)t->total;
}

static size_t topk_bytes(const void *st)
{
    const struct topk_st *t = st;
    return sizeof(*t) +
           (size_t)t->c_cap * (sizeof(struct ss_counter) + sizeof(uint32_t)) +
           (size_t)t->idx_cap * sizeof(uint32_t) + t->key_bytes;
}

static int topk_save(const void *st, struct roost_buf *out)
{
    const struct topk_st *t = st;
    int rc = roost_buf_addc(out, t->evicted ? 'E' : 'e');
    if (rc == 0) {
        rc = roost__agg_put_u64(out, t->total);
    }
    if (rc == 0) {
        rc = roost__agg_put_u64(out, t->n);
    }
    for (uint32_t i = 0; rc == 0 && i < t->n; i++) {
        const struct ss_counter *c = &t->c[i];
        rc = roost__agg_put_u64(out, c->len);
        if (rc == 0) {
            rc = roost_buf_add(out, c->key, c->len);
        }
        if (rc == 0) {
            rc = roost__agg_put_u64(out, c->count);
        }
        if (rc == 0) {
            rc = roost__agg_put_u64(out, c->error);
        }
    }
    return rc;
}

static int topk_load(void *st, const char *p, size_t len)
{
    struct topk_st *t = st;
    topk_fini(t);
    struct roost__agg_rd r = { (const unsigned char *)p, len, false };
    const char *tag = roost__agg_get_bytes(&r, 1);
    uint64_t total = roost__agg_get_u64(&r);
    uint64_t n = roost__agg_get_u64(&r);
    int rc = 0;
    if (r.bad || (tag[0] != 'e' && tag[0] != 'E') || n > t->capacity) {
        rc = ROOST_ERR(ROOST_EPARSE);
    }
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        uint64_t kl = roost__agg_get_u64(&r);
        const char *key =
            r.bad || kl > r.len ? NULL : roost__agg_get_bytes(&r, kl);
        uint64_t count = roost__agg_get_u64(&r);
        uint64_t error = roost__agg_get_u64(&r);
        if (key == NULL || r.bad || error > count) {
            rc = ROOST_ERR(ROOST_EPARSE);
            break;
        }
        uint32_t before = t->n;
        rc = topk_add_key(t, key, kl, count, error);
        if (rc == 0 && t->n == before) {
            rc = ROOST_ERR(ROOST_EPARSE); /* duplicate key */
        }
    }
    if (rc == 0 && r.len != 0) {
        rc = ROOST_ERR(ROOST_EPARSE);
    }
    if (rc < 0) {
        topk_fini(t);
        return rc;
    }
    t->total = total;
    t->evicted = tag[0] == 'E';
    return 0;
}

const struct roost_agg_ops roost_agg_topk = {
    .name = "TOP_K",
    .summary = "most frequent keys with error bounds (Space-Saving)",
    .state_size = sizeof(struct topk_st),
    .n_args = 2,
    .init = topk_init,
    .add = topk_add,
    .remove = NULL,
    .merge = topk_merge,
    .result = topk_result,
    .rel_error = topk_rel_error,
    .bytes = topk_bytes,
    .save = topk_save,
    .load = topk_load,
    .fini = topk_fini,
};
