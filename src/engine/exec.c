/* SPDX-License-Identifier: MIT
 *
 * exec.c - incremental execution of one continuous query.
 *
 * Start at roost_exec_push(): each post is exploded into rows of its
 * stream table (stream_tables.c); each row passes WHERE; an aggregating
 * query then encodes its GROUP BY values into one key (type-tagged bytes,
 * decodable, so equal values give equal keys) and pushes the aggregate
 * arguments into the window (window.c), which owns all aggregate state,
 * the watermark and late rows. Rows the window emits (a closed window, or
 * the current value of an open one at a trigger) arrive in on_row(): the
 * group row is rebuilt (keys, aggregate results, window bounds), HAVING
 * is applied, the select items and the ORDER BY keys are evaluated, and
 * the result lands in the result table.
 *
 * The result table maps (group key, window) to its latest output row and
 * two flags: `final` (the window closed) and `changed` (since the last
 * trigger). Output modes are views of it: append takes the final changed
 * rows, update the changed ones, complete all. It is bounded: beyond
 * max_result_rows the oldest final rows already emitted are evicted.
 * A query that does not aggregate puts each projected row in the same
 * table under a sequence number, final at once.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "core/map.h"
#include "core/mem.h"
#include "engine/agg.h"
#include "engine/exec.h"
#include "engine/expr.h"
#include "engine/query.h"
#include "engine/stream_tables.h"
#include "engine/window.h"

#define EVAL_ARENA_MAX ((size_t)64 << 20)
#define MAX_AGGS 64

struct entry {
    uint64_t hash;
    char *key; /* owned: group key + window bounds (or a sequence) */
    uint32_t key_len;
    bool final, changed, dead;
    int64_t wstart, wend;
    uint64_t seq;
    struct roost_value *vals; /* owned block: n_vals values + strings */
};

struct roost_exec {
    char *name;
    struct roost_exec_cfg cfg;
    struct roost_query *q;
    enum roost_stream_table table;
    struct roost_stream_opts sopts;
    struct roost_stream_scratch scratch;
    struct roost_arena eval;      /* per post */
    struct roost_arena emit;      /* per emitted row */
    struct roost_window *win;     /* aggregating queries */
    const struct roost_agg_ops *ops[MAX_AGGS];
    struct roost_agg_args args[MAX_AGGS];
    struct roost_value aggv[MAX_AGGS];
    struct roost_value *grow;     /* group row */
    struct roost_value *outv;     /* n_vals: one output row */
    uint8_t mode;                 /* resolved enum roost_output_mode */
    bool windowed;
    bool proc_time;               /* the last row had no event time */
    uint32_t time_col;
    int64_t now_ms;
    uint32_t n_out;               /* output columns */
    uint32_t n_vals;              /* n_out + n_order */
    const char **out_names;
    struct roost_buf key;         /* group key of the current row */
    struct roost_buf tkey;        /* result table key of an emitted row */
    /* result table */
    struct entry *ents;
    size_t n_ents, cap_ents, n_dead;
    uint32_t *idx;                /* entry index + 1; 0 empty */
    size_t n_idx;                 /* power of two */
    uint64_t seq;
    int err;                      /* first error inside a callback */
    struct roost_exec_stats st;
};

/* ---- key encoding ----------------------------------------------------------- */

static int key_add_value(struct roost_buf *b, const struct roost_value *v)
{
    int rc = roost_buf_addc(b, (char)v->type);
    if (rc < 0) {
        return rc;
    }
    switch (v->type) {
    case ROOST_V_NULL:
        return 0;
    case ROOST_V_BOOL:
        return roost_buf_addc(b, v->u.b ? 1 : 0);
    case ROOST_V_INT:
    case ROOST_V_TIME:
        return roost_buf_add(b, &v->u.i, sizeof(v->u.i));
    case ROOST_V_DOUBLE: {
        double d = v->u.d == 0 ? 0.0 : v->u.d; /* -0 == 0 */
        return roost_buf_add(b, &d, sizeof(d));
    }
    case ROOST_V_STRING: {
        uint32_t n = (uint32_t)v->u.s.len;
        rc = roost_buf_add(b, &n, sizeof(n));
        return rc == 0 ? roost_buf_add(b, v->u.s.ptr, n) : rc;
    }
    default:
        return ROOST_ERR(ROOST_EINVAL);
    }
}

/* Decode n values from key; strings point into key. */
static int key_decode(const char *p, size_t len, struct roost_value *out,
                      uint32_t n)
{
    const char *end = p + len;
    for (uint32_t i = 0; i < n; i++) {
        if (p >= end) {
            return ROOST_ERR(ROOST_EPARSE);
        }
        uint8_t t = (uint8_t)*p++;
        out[i].type = t;
        switch (t) {
        case ROOST_V_NULL:
            break;
        case ROOST_V_BOOL:
            if (p >= end) {
                return ROOST_ERR(ROOST_EPARSE);
            }
            out[i].u.b = *p++ != 0;
            break;
        case ROOST_V_INT:
        case ROOST_V_TIME:
        case ROOST_V_DOUBLE:
            if (end - p < 8) {
                return ROOST_ERR(ROOST_EPARSE);
            }
            memcpy(&out[i].u.i, p, 8);
            p += 8;
            break;
        case ROOST_V_STRING: {
            uint32_t l;
            if (end - p < 4) {
                return ROOST_ERR(ROOST_EPARSE);
            }
            memcpy(&l, p, 4);
            p += 4;
            if ((size_t)(end - p) < l) {
                return ROOST_ERR(ROOST_EPARSE);
            }
            out[i].u.s = roost_str_make(p, l);
            p += l;
            break;
        }
        default:
            return ROOST_ERR(ROOST_EPARSE);
        }
    }
    return 0;
}

/* ---- result table -------------------------------------------------------------- */

static int index_rebuild(struct roost_exec *x, size_t n_idx)
{
    uint32_t *idx = roost_calloc(n_idx, sizeof(*idx));
    if (idx == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (size_t i = 0; i < x->n_ents; i++) {
        size_t s = x->ents[i].hash & (n_idx - 1);
        while (idx[s] != 0) {
            s = (s + 1) & (n_idx - 1);
        }
        idx[s] = (uint32_t)i + 1;
    }
    roost_free(x->idx);
    x->idx = idx;
    x->n_idx = n_idx;
    return 0;
}

static struct entry *lookup(struct roost_exec *x, const char *key,
                            uint32_t len, uint64_t h)
{
    if (x->n_idx == 0) {
        return NULL;
    }
    for (size_t s = h & (x->n_idx - 1); x->idx[s] != 0;
         s = (s + 1) & (x->n_idx - 1)) {
        struct entry *e = &x->ents[x->idx[s] - 1];
        if (e->hash == h && e->key_len == len &&
            memcmp(e->key, key, len) == 0) {
            return e;
        }
    }
    return NULL;
}

static void entry_fini(struct entry *e)
{
    roost_free(e->key);
    roost_free(e->vals);
}

/* Copy vals (n values, strings included) into one owned block. */
static struct roost_value *vals_dup(const struct roost_value *vals,
                                    uint32_t n)
{
    size_t bytes = n * sizeof(*vals);
    for (uint32_t i = 0; i < n; i++) {
        if (vals[i].type == ROOST_V_STRING) {
            bytes += vals[i].u.s.len + 1;
        }
    }
    struct roost_value *out = roost_malloc(bytes);
    if (out == NULL) {
        return NULL;
    }
    char *p = (char *)(out + n);
    for (uint32_t i = 0; i < n; i++) {
        out[i] = vals[i];
        if (vals[i].type == ROOST_V_STRING) {
            if (vals[i].u.s.len > 0) {
                memcpy(p, vals[i].u.s.ptr, vals[i].u.s.len);
            }
            p[vals[i].u.s.len] = '\0';
            out[i].u.s.ptr = p;
            p += vals[i].u.s.len + 1;
        }
    }
    return out;
}

static int upsert(struct roost_exec *x, const char *key, uint32_t len,
                  int64_t wstart, int64_t wend, bool final,
                  const struct roost_value *vals)
{
    uint64_t h = roost_hash(key, len);
    struct entry *e = lookup(x, key, len, h);
    struct roost_value *v = vals_dup(vals, x->n_vals);
    if (v == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    if (e != NULL) {
        roost_free(e->vals);
        e->vals = v;
        if (e->dead) {
            e->dead = false;
            x->n_dead--;
        }
        e->final = final;
        e->changed = true;
        e->seq = ++x->seq;
        return 0;
    }
    size_t limit = x->cfg.max_result_rows;
    if (x->n_ents - x->n_dead >= 2 * limit) {
        roost_free(v);
        x->st.n_result_evicted++;
        return 0;
    }
    if (x->n_ents == x->cap_ents) {
        size_t cap = x->cap_ents ? 2 * x->cap_ents : 64;
        struct entry *ents = roost_realloc(x->ents, cap * sizeof(*ents));
        if (ents == NULL) {
            roost_free(v);
            return ROOST_ERR(ROOST_ENOMEM);
        }
        x->ents = ents;
        x->cap_ents = cap;
    }
    char *k = roost_malloc(len ? len : 1);
    if (k == NULL) {
        roost_free(v);
        return ROOST_ERR(ROOST_ENOMEM);
    }
    memcpy(k, key, len);
    x->ents[x->n_ents++] = (struct entry){
        .hash = h, .key = k, .key_len = len, .final = final,
        .changed = true, .wstart = wstart, .wend = wend, .seq = ++x->seq,
        .vals = v,
    };
    if (x->n_ents * 2 > x->n_idx) {
        return index_rebuild(x, x->n_idx ? x->n_idx * 2 : 128);
    }
    size_t s = h & (x->n_idx - 1);
    while (x->idx[s] != 0) {
        s = (s + 1) & (x->n_idx - 1);
    }
    x->idx[s] = (uint32_t)x->n_ents;
    return 0;
}

static void kill_entry(struct roost_exec *x, const char *key, uint32_t len)
{
    struct entry *e = lookup(x, key, len, roost_hash(key, len));
    if (e != NULL && !e->dead) {
        e->dead = true;
        e->changed = false;
        x->n_dead++;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Drop dead entries and, over the cap, the oldest final emitted rows. */
static int compact(struct roost_exec *x)
{
    size_t live = x->n_ents - x->n_dead;
    size_t over = live > x->cfg.max_result_rows
                      ? live - x->cfg.max_result_rows
                      : 0;
    if (x->n_dead == 0 && over == 0) {
        return 0;
    }
    if (over > 0) {
        /* Evict by age: the smallest sequence numbers among final rows
         * already emitted. A threshold pass keeps this O(n log n). */
        uint64_t *seqs = roost_malloc((live ? live : 1) * sizeof(*seqs));
        if (seqs == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        size_t n = 0;
        for (size_t i = 0; i < x->n_ents; i++) {
            const struct entry *e = &x->ents[i];
            if (!e->dead && e->final && !e->changed) {
                seqs[n++] = e->seq;
            }
        }
        if (over > n) {
            over = n;
        }
        uint64_t cut = 0;
        if (over > 0) {
            qsort(seqs, n, sizeof(*seqs), cmp_u64);
            cut = seqs[over - 1];
        }
        roost_free(seqs);
        for (size_t i = 0; over > 0 && i < x->n_ents; i++) {
            struct entry *e = &x->ents[i];
            if (!e->dead && e->final && !e->changed && e->seq <= cut) {
                e->dead = true;
                x->n_dead++;
                x->st.n_result_evicted++;
            }
        }
    }
    size_t w = 0;
    for (size_t i = 0; i < x->n_ents; i++) {
        if (x->ents[i].dead) {
            entry_fini(&x->ents[i]);
        } else {
            x->ents[w++] = x->ents[i];
        }
    }
    x->n_ents = w;
    x->n_dead = 0;
    size_t n_idx = 128;
    while (n_idx < 2 * x->n_ents) {
        n_idx *= 2;
    }
    return index_rebuild(x, n_idx);
}

/* ---- rows in ------------------------------------------------------------------- */

static int eval(struct roost_exec *x, const struct roost_expr *e,
                const struct roost_value *row, struct roost_value *out,
                struct roost_arena *a)
{
    int rc = roost_expr_eval(e, row, out, a);
    if (rc < 0) {
        x->st.n_eval_errors++;
    }
    return rc;
}

/* Evaluate the select items and ORDER BY keys over row into vals. */
static int project(struct roost_exec *x, const struct roost_value *row,
                   struct roost_value *vals, struct roost_arena *a)
{
    const struct roost_query *q = x->q;
    for (uint32_t i = 0; i < q->n_items; i++) {
        int rc = eval(x, q->items[i].expr, row, &vals[i], a);
        if (rc < 0) {
            return rc;
        }
    }
    for (uint32_t i = 0; i < q->n_order; i++) {
        int rc = eval(x, q->order[i].expr, row, &vals[x->n_out + i], a);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static int on_stream_row(void *arg, const struct roost_value *row)
{
    struct roost_exec *x = arg;
    const struct roost_query *q = x->q;
    x->st.n_rows++;
    if (q->where != NULL) {
        struct roost_value c;
        if (eval(x, q->where, row, &c, &x->eval) < 0) {
            return 0;
        }
        if (!roost_value_is_true(&c)) {
            x->st.n_filtered++;
            return 0;
        }
    }
    if (!q->grouped) {
        if (project(x, row, x->outv, &x->eval) < 0) {
            return 0;
        }
        uint64_t seq = x->seq + 1;
        int rc = upsert(x, (const char *)&seq, sizeof(seq), 0, 0, true,
                        x->outv);
        if (rc < 0) {
            x->err = rc;
            return 1;
        }
        return 0;
    }
    roost_buf_reset(&x->key);
    for (uint32_t k = 0; k < q->n_keys; k++) {
        struct roost_value v;
        if (eval(x, q->keys[k], row, &v, &x->eval) < 0) {
            return 0;
        }
        int rc = key_add_value(&x->key, &v);
        if (rc < 0 || x->key.len > ROOST_EXEC_MAX_KEY_BYTES) {
            x->st.n_eval_errors++;
            return 0;
        }
    }
    const struct roost_value *t = &row[x->time_col];
    int64_t ts = ROOST_WINDOW_NO_TIME;
    if (t->type == ROOST_V_TIME || t->type == ROOST_V_INT) {
        ts = t->u.i;
    }
    x->proc_time = ts == ROOST_WINDOW_NO_TIME;
    for (uint32_t i = 0; i < q->n_aggs; i++) {
        const struct roost_expr *a = q->aggs[i];
        if (a->n_args == 0) {
            x->aggv[i] = roost_value_bool(true);
        } else if (eval(x, a->args[0], row, &x->aggv[i], &x->eval) < 0) {
            return 0;
        }
    }
    struct roost_str key = roost_str_make(x->key.ptr ? x->key.ptr : "",
                                          x->key.len);
    int rc = roost_window_push(x->win, key, ts, x->now_ms, x->aggv);
    if (rc == ROOST_EINVAL) {
        x->st.n_eval_errors++; /* a time beyond the window's range */
        return 0;
    }
    if (rc < 0) {
        x->err = rc;
        return 1;
    }
    return x->err != 0;
}

/* A window row: rebuild the group row, HAVING, project, store. */
static int on_row(void *arg, const struct roost_window_row *row)
{
    struct roost_exec *x = arg;
    const struct roost_query *q = x->q;
    roost_arena_reset(&x->emit);
    if (key_decode(row->key.ptr, row->key.len, x->grow, q->n_keys) < 0) {
        x->st.n_eval_errors++;
        return 0;
    }
    for (uint32_t i = 0; i < q->n_aggs && i < row->n_aggs; i++) {
        x->grow[q->n_keys + i] = row->values[i];
    }
    if (x->windowed) {
        x->grow[q->n_keys + q->n_aggs] = roost_value_time(row->start_ms);
        x->grow[q->n_keys + q->n_aggs + 1] = roost_value_time(row->end_ms);
    }
    struct roost_buf *tk = &x->tkey; /* x->key is still the window's */
    roost_buf_reset(tk);
    int rc = roost_buf_add(tk, row->key.ptr, row->key.len);
    if (rc == 0 && x->windowed) {
        rc = roost_buf_add(tk, &row->start_ms, sizeof(row->start_ms));
        rc = rc == 0 ? roost_buf_add(tk, &row->end_ms, sizeof(row->end_ms))
                     : rc;
    }
    if (rc < 0) {
        x->err = rc;
        return rc;
    }
    const char *kp = tk->ptr ? tk->ptr : "";
    uint32_t kl = (uint32_t)tk->len;
    if (q->having != NULL) {
        struct roost_value c;
        if (eval(x, q->having, x->grow, &c, &x->emit) < 0) {
            return 0;
        }
        if (!roost_value_is_true(&c)) {
            kill_entry(x, kp, kl);
            return 0;
        }
    }
    if (project(x, x->grow, x->outv, &x->emit) < 0) {
        return 0;
    }
    x->outv[q->n_items] = roost_value_int((int64_t)row->late_dropped);
    rc = upsert(x, kp, kl, x->windowed ? row->start_ms : 0,
                x->windowed ? row->end_ms : 0, row->is_final, x->outv);
    if (rc < 0) {
        x->err = rc;
    }
    return rc;
}

int roost_exec_push(struct roost_exec *x, const struct roost_post *p,
                    int64_t now_ms)
{
    x->now_ms = now_ms;
    x->st.n_posts++;
    roost_arena_reset(&x->eval);
    int rc = roost_stream_explode(x->table, p, &x->sopts, &x->scratch,
                                  on_stream_row, x);
    if (x->err != 0) {
        rc = x->err;
        x->err = 0;
        return rc;
    }
    if (rc < 0) {
        x->st.n_eval_errors++; /* scratch full: this post only */
    }
    return 0;
}

static int take_err(struct roost_exec *x, int rc)
{
    if (x->err != 0) {
        rc = x->err;
        x->err = 0;
    }
    return rc;
}

int roost_exec_tick(struct roost_exec *x, int64_t now_ms)
{
    x->now_ms = now_ms;
    if (x->win == NULL || !x->windowed || !x->proc_time) {
        return 0;
    }
    return take_err(x, roost_window_advance(x->win, now_ms));
}

int roost_exec_finish(struct roost_exec *x)
{
    if (x->win == NULL) {
        return 0;
    }
    return take_err(x, roost_window_flush(x->win));
}

/* ---- rows out ------------------------------------------------------------------ */

static int cmp_entries(const struct roost_exec *x, const struct entry *a,
                       const struct entry *b)
{
    if (x->windowed) {
        if (a->wstart != b->wstart) {
            return a->wstart < b->wstart ? -1 : 1;
        }
        if (a->wend != b->wend) {
            return a->wend < b->wend ? -1 : 1;
        }
    }
    for (uint32_t i = 0; i < x->q->n_order; i++) {
        int c = roost_value_cmp(&a->vals[x->n_out + i],
                                &b->vals[x->n_out + i]);
        if (c != 0) {
            return x->q->order[i].desc ? -c : c;
        }
    }
    if (!x->q->grouped) {
        return a->seq < b->seq ? -1 : a->seq > b->seq;
    }
    for (uint32_t i = 0; i < x->q->n_items; i++) {
        int c = roost_value_cmp(&a->vals[i], &b->vals[i]);
        if (c != 0) {
            return c;
        }
    }
    size_t n = a->key_len < b->key_len ? a->key_len : b->key_len;
    int c = memcmp(a->key, b->key, n);
    return c != 0 ? c : (a->key_len > b->key_len) - (a->key_len < b->key_len);
}

static void merge_sort(const struct roost_exec *x, struct entry **v,
                       struct entry **tmp, size_t n)
{
    if (n < 2) {
        return;
    }
    size_t h = n / 2;
    merge_sort(x, v, tmp, h);
    merge_sort(x, v + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n) {
        tmp[k++] = cmp_entries(x, v[j], v[i]) < 0 ? v[j++] : v[i++];
    }
    while (i < h) {
        tmp[k++] = v[i++];
    }
    while (j < n) {
        tmp[k++] = v[j++];
    }
    memcpy(v, tmp, n * sizeof(*v));
}

enum pick { PICK_FINAL_CHANGED, PICK_CHANGED, PICK_ALL };

static int collect(struct roost_exec *x, enum pick pick, bool consume,
                   struct roost_rowset *out)
{
    int rc = roost_rowset_set_cols(out, x->out_names, x->n_out);
    if (rc < 0) {
        return rc;
    }
    size_t n = 0;
    struct entry **v = roost_malloc((x->n_ents ? x->n_ents : 1) * 2 *
                                    sizeof(*v));
    if (v == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (size_t i = 0; i < x->n_ents; i++) {
        struct entry *e = &x->ents[i];
        bool take = !e->dead &&
                    (pick == PICK_ALL ||
                     (e->changed && (pick == PICK_CHANGED || e->final)));
        if (take) {
            v[n++] = e;
        }
    }
    merge_sort(x, v, v + x->n_ents, n);
    int64_t limit = x->q->limit;
    int64_t in_group = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i > 0 && x->windowed && (v[i]->wstart != v[i - 1]->wstart ||
                                     v[i]->wend != v[i - 1]->wend)) {
            in_group = 0;
        }
        if (limit >= 0 && in_group >= limit) {
            continue;
        }
        in_group++;
        rc = roost_rowset_add(out, v[i]->vals);
    }
    roost_free(v);
    if (rc == 0 && consume) {
        for (size_t i = 0; i < x->n_ents; i++) {
            if (pick != PICK_FINAL_CHANGED || x->ents[i].final) {
                x->ents[i].changed = false;
            }
        }
        rc = compact(x);
    }
    return rc;
}

int roost_exec_trigger(struct roost_exec *x, struct roost_rowset *out)
{
    int rc = 0;
    if (x->win != NULL && x->mode != ROOST_OUTPUT_APPEND) {
        rc = take_err(x, roost_window_emit_changes(x->win));
        if (rc < 0) {
            return rc;
        }
    }
    enum pick pick = x->mode == ROOST_OUTPUT_APPEND   ? PICK_FINAL_CHANGED
                     : x->mode == ROOST_OUTPUT_UPDATE ? PICK_CHANGED
                                                      : PICK_ALL;
    return collect(x, pick, true, out);
}

int roost_exec_view(struct roost_exec *x, struct roost_rowset *out)
{
    return collect(x, PICK_ALL, false, out);
}

/* ---- compile --------------------------------------------------------------------- */

static const char *agg_ops_name(const struct roost_expr *a)
{
    switch (a->agg) {
    case ROOST_AGG_COUNT:
        return a->distinct ? "COUNT_DISTINCT" : "COUNT";
    case ROOST_AGG_SUM:
        return a->distinct ? NULL : "SUM";
    case ROOST_AGG_AVG:
        return a->distinct ? NULL : "AVG";
    case ROOST_AGG_MIN:
        return "MIN";
    case ROOST_AGG_MAX:
        return "MAX";
    case ROOST_AGG_APPROX_DISTINCT:
        return "APPROX_COUNT_DISTINCT";
    case ROOST_AGG_TOP_K:
        return "TOP_K";
    default:
        return NULL;
    }
}

static int compile_grouped(struct roost_exec *x, struct roost_diag *diag)
{
    struct roost_query *q = x->q;
    if (q->n_aggs > MAX_AGGS) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "at most %d distinct aggregates per query",
                              MAX_AGGS);
    }
    for (uint32_t i = 0; i < q->n_aggs; i++) {
        const struct roost_expr *a = q->aggs[i];
        const char *nm = agg_ops_name(a);
        x->ops[i] = nm ? roost_agg_find(roost_str_cstr(nm)) : NULL;
        if (x->ops[i] == NULL) {
            return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                                  "%u:%u: %s%s is not supported in a "
                                  "continuous query",
                                  a->pos.line, a->pos.col,
                                  roost_agg_name((enum roost_agg_kind)a->agg),
                                  a->distinct ? "(DISTINCT ...)" : "");
        }
        if (a->agg == ROOST_AGG_TOP_K) {
            x->args[i].k = (uint32_t)a->agg_k;
        }
    }
    x->grow = roost_calloc(q->n_group_cols ? q->n_group_cols : 1,
                           sizeof(*x->grow));
    if (x->grow == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    x->windowed = q->window.kind != ROOST_WINDOW_NONE;
    if (x->windowed && q->window.time != NULL && q->window.time->col >= 0) {
        x->time_col = (uint32_t)q->window.time->col;
    }
    struct roost_window_cfg wc = {
        .kind = (enum roost_window_kind)q->window.kind,
        .size_ms = q->window.size_ms,
        .slide_ms = q->window.slide_ms,
        .gap_ms = q->window.gap_ms,
        .lateness_ms = x->cfg.lateness_ms,
        .n_aggs = q->n_aggs,
        .aggs = x->ops,
        .args = x->args,
        .max_bytes = x->cfg.max_state_bytes,
        .emit = on_row,
        .emit_arg = x,
    };
    if (q->n_aggs == 0) {
        /* GROUP BY without aggregates: count rows to have a state */
        static const char *const cnt = "COUNT";
        x->ops[0] = roost_agg_find(roost_str_cstr(cnt));
        wc.n_aggs = 1;
    }
    int rc = roost_window_new(&wc, &x->win);
    if (rc < 0) {
        return roost_diag_set(diag, rc, 0, "cannot make the window: %s",
                              roost_strerror(rc));
    }
    if (q->emit == ROOST_EMIT_CHANGES && x->mode == ROOST_OUTPUT_DEFAULT) {
        x->mode = ROOST_OUTPUT_UPDATE;
    }
    if (x->mode == ROOST_OUTPUT_DEFAULT) {
        x->mode = x->windowed ? ROOST_OUTPUT_APPEND : ROOST_OUTPUT_COMPLETE;
    }
    return 0;
}

int roost_exec_new(const struct roost_exec_cfg *cfg, struct roost_exec **out,
                   struct roost_diag *diag)
{
    struct roost_exec *x = roost_calloc(1, sizeof(*x));
    if (x == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    x->cfg = *cfg;
    x->cfg.name = NULL;
    x->cfg.sql = NULL;
    if (x->cfg.max_result_rows == 0) {
        x->cfg.max_result_rows = ROOST_EXEC_DEFAULT_MAX_RESULT_ROWS;
    }
    x->mode = cfg->mode;
    x->sopts.stop_words = cfg->stop_words;
    roost_stream_scratch_init(&x->scratch);
    roost_arena_init(&x->eval, 16384, EVAL_ARENA_MAX);
    roost_arena_init(&x->emit, 4096, EVAL_ARENA_MAX);
    roost_buf_init(&x->key, 1u << 20);
    roost_buf_init(&x->tkey, 1u << 20);
    int rc = 0;
    const char *nm = cfg->name ? cfg->name : "query";
    x->name = roost_strndup(nm, strlen(nm));
    if (x->name == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free;
    }
    const char *sql = cfg->sql ? cfg->sql : "";
    rc = roost_query_parse(sql, strlen(sql), &x->q, diag);
    if (rc < 0) {
        goto out_free;
    }
    if (roost_stream_find(x->q->stream, &x->table) < 0) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE),
                            x->q->stream_pos.offset,
                            "%u:%u: unknown stream '%.*s' (posts, hashtags, "
                            "mentions, cashtags, urls, words, authors)",
                            x->q->stream_pos.line, x->q->stream_pos.col,
                            (int)x->q->stream.len, x->q->stream.ptr);
        goto out_free;
    }
    rc = roost_query_bind(x->q, roost_stream_schema(x->table), diag);
    if (rc < 0) {
        goto out_free;
    }
    x->time_col = roost_stream_time_col(x->table);
    x->n_out = x->q->n_items + (x->q->grouped ? 1 : 0);
    x->n_vals = x->n_out + x->q->n_order;
    if (x->n_out > ROOST_ROWSET_MAX_COLS) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                            "too many select items");
        goto out_free;
    }
    x->out_names = roost_calloc(x->n_out, sizeof(*x->out_names));
    x->outv = roost_calloc(x->n_vals, sizeof(*x->outv));
    if (x->out_names == NULL || x->outv == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free;
    }
    for (uint32_t i = 0; i < x->q->n_items; i++) {
        /* names live in the query's arena; NUL-terminate a copy there */
        struct roost_str s = x->q->items[i].name;
        char *c = roost_arena_dup(&x->q->arena, s.ptr ? s.ptr : "", s.len);
        if (c == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            goto out_free;
        }
        x->out_names[i] = c;
    }
    if (x->q->grouped) {
        x->out_names[x->q->n_items] = "late_dropped";
        rc = compile_grouped(x, diag);
        if (rc < 0) {
            goto out_free;
        }
    } else {
        if (x->mode == ROOST_OUTPUT_COMPLETE) {
            rc = roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                                "complete output needs an aggregation");
            goto out_free;
        }
        x->mode = ROOST_OUTPUT_APPEND;
    }
    *out = x;
    return 0;

out_free:
    roost_exec_free(x);
    return rc;
}

void roost_exec_free(struct roost_exec *x)
{
    if (x == NULL) {
        return;
    }
    for (size_t i = 0; i < x->n_ents; i++) {
        entry_fini(&x->ents[i]);
    }
    roost_free(x->ents);
    roost_free(x->idx);
    roost_window_free(x->win);
    roost_free(x->grow);
    roost_free(x->out_names);
    roost_query_free(x->q);
    roost_stream_scratch_fini(&x->scratch);
    roost_arena_fini(&x->eval);
    roost_arena_fini(&x->emit);
    roost_buf_fini(&x->key);
    roost_buf_fini(&x->tkey);
    roost_free(x->outv);
    roost_free(x->name);
    roost_free(x);
}

const char *roost_exec_name(const struct roost_exec *x)
{
    return x->name;
}

int64_t roost_exec_trigger_ms(const struct roost_exec *x)
{
    return x->q->emit_every_ms;
}

void roost_exec_stats(const struct roost_exec *x,
                      struct roost_exec_stats *out)
{
    *out = x->st;
    out->n_result_rows = x->n_ents - x->n_dead;
    out->watermark_ms = INT64_MIN;
    if (x->win != NULL) {
        struct roost_window_stats ws;
        roost_window_stats(x->win, &ws);
        out->late_dropped = ws.late_dropped;
        out->budget_dropped = ws.budget_dropped;
        out->n_groups = ws.n_groups;
        out->state_bytes = ws.bytes;
        out->watermark_ms = ws.watermark_ms;
    }
}

/* ---- save / load ----------------------------------------------------------------- */

#define SAVE_MAGIC "roost-exec 1\n"

static int put_u64(struct roost_buf *b, uint64_t v)
{
    return roost_buf_add(b, &v, sizeof(v));
}

int roost_exec_save(const struct roost_exec *x, struct roost_buf *out)
{
    int rc = roost_buf_adds(out, SAVE_MAGIC);
    rc = rc == 0 ? put_u64(out, x->n_vals) : rc;
    rc = rc == 0 ? put_u64(out, x->seq) : rc;
    rc = rc == 0 ? put_u64(out, x->st.n_posts) : rc;
    rc = rc == 0 ? put_u64(out, x->st.n_rows) : rc;
    rc = rc == 0 ? put_u64(out, x->st.n_filtered) : rc;
    rc = rc == 0 ? put_u64(out, x->st.n_eval_errors) : rc;
    rc = rc == 0 ? put_u64(out, x->st.n_result_evicted) : rc;
    rc = rc == 0 ? put_u64(out, x->proc_time) : rc;
    size_t at = out->len;
    rc = rc == 0 ? put_u64(out, 0) : rc;
    if (rc == 0 && x->win != NULL) {
        rc = roost_window_save(x->win, out);
        if (rc == 0) {
            uint64_t n = out->len - at - sizeof(uint64_t);
            memcpy(out->ptr + at, &n, sizeof(n));
        }
    }
    rc = rc == 0 ? put_u64(out, x->n_ents - x->n_dead) : rc;
    for (size_t i = 0; rc == 0 && i < x->n_ents; i++) {
        const struct entry *e = &x->ents[i];
        if (e->dead) {
            continue;
        }
        rc = put_u64(out, e->key_len);
        rc = rc == 0 ? roost_buf_add(out, e->key, e->key_len) : rc;
        rc = rc == 0 ? put_u64(out, (uint64_t)e->final |
                                        (uint64_t)e->changed << 1)
                     : rc;
        rc = rc == 0 ? put_u64(out, (uint64_t)e->wstart) : rc;
        rc = rc == 0 ? put_u64(out, (uint64_t)e->wend) : rc;
        rc = rc == 0 ? put_u64(out, e->seq) : rc;
        for (uint32_t j = 0; rc == 0 && j < x->n_vals; j++) {
            rc = key_add_value(out, &e->vals[j]);
        }
    }
    return rc;
}

struct rd {
    const char *p, *end;
};

static int get_u64(struct rd *r, uint64_t *v)
{
    if (r->end - r->p < 8) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    memcpy(v, r->p, 8);
    r->p += 8;
    return 0;
}

/* Length of the n values encoded at p (as key_add_value wrote them). */
static int values_len(const char *p, const char *end, uint32_t n,
                      size_t *len)
{
    const char *s = p;
    for (uint32_t i = 0; i < n; i++) {
        if (p >= end) {
            return ROOST_ERR(ROOST_EPARSE);
        }
        uint8_t t = (uint8_t)*p++;
        size_t l = t == ROOST_V_NULL ? 0 : t == ROOST_V_BOOL ? 1 : 8;
        if (t == ROOST_V_STRING) {
            uint32_t sl;
            if (end - p < 4) {
                return ROOST_ERR(ROOST_EPARSE);
            }
            memcpy(&sl, p, 4);
            l = 4 + (size_t)sl;
        }
        if ((size_t)(end - p) < l) {
            return ROOST_ERR(ROOST_EPARSE);
        }
        p += l;
    }
    *len = (size_t)(p - s);
    return 0;
}

static void clear_table(struct roost_exec *x)
{
    for (size_t i = 0; i < x->n_ents; i++) {
        entry_fini(&x->ents[i]);
    }
    x->n_ents = 0;
    x->n_dead = 0;
    if (x->idx != NULL) {
        memset(x->idx, 0, x->n_idx * sizeof(*x->idx));
    }
}

int roost_exec_load(struct roost_exec *x, const char *p, size_t len)
{
    struct rd r = { p, p + len };
    size_t ml = strlen(SAVE_MAGIC);
    uint64_t n_vals, seq, v[6], wlen, n_ents;
    clear_table(x);
    if (len < ml || memcmp(p, SAVE_MAGIC, ml) != 0) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    r.p += ml;
    int rc = get_u64(&r, &n_vals);
    rc = rc == 0 ? get_u64(&r, &seq) : rc;
    for (int i = 0; rc == 0 && i < 6; i++) {
        rc = get_u64(&r, &v[i]);
    }
    rc = rc == 0 ? get_u64(&r, &wlen) : rc;
    if (rc < 0 || n_vals != x->n_vals || wlen > (uint64_t)(r.end - r.p)) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    if (x->win != NULL) {
        rc = roost_window_load(x->win, r.p, (size_t)wlen);
        if (rc < 0) {
            return rc;
        }
    } else if (wlen != 0) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    r.p += wlen;
    rc = get_u64(&r, &n_ents);
    for (uint64_t i = 0; rc == 0 && i < n_ents; i++) {
        uint64_t kl, flags, ws, we, es;
        rc = get_u64(&r, &kl);
        if (rc < 0 || kl > (uint64_t)(r.end - r.p) || kl > UINT32_MAX) {
            rc = ROOST_ERR(ROOST_EPARSE);
            break;
        }
        const char *key = r.p;
        r.p += kl;
        rc = get_u64(&r, &flags);
        rc = rc == 0 ? get_u64(&r, &ws) : rc;
        rc = rc == 0 ? get_u64(&r, &we) : rc;
        rc = rc == 0 ? get_u64(&r, &es) : rc;
        size_t vl = 0;
        rc = rc == 0 ? values_len(r.p, r.end, x->n_vals, &vl) : rc;
        rc = rc == 0 ? key_decode(r.p, vl, x->outv, x->n_vals) : rc;
        if (rc < 0) {
            break;
        }
        r.p += vl;
        rc = upsert(x, key, (uint32_t)kl, (int64_t)ws, (int64_t)we,
                    flags & 1, x->outv);
        if (rc == 0) {
            struct entry *e = &x->ents[x->n_ents - 1];
            e->changed = (flags & 2) != 0;
            e->seq = es;
        }
    }
    if (rc < 0) {
        clear_table(x);
        return rc;
    }
    x->seq = seq;
    x->st.n_posts = v[0];
    x->st.n_rows = v[1];
    x->st.n_filtered = v[2];
    x->st.n_eval_errors = v[3];
    x->st.n_result_evicted = v[4];
    x->proc_time = v[5] != 0;
    return 0;
}
