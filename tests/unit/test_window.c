/* SPDX-License-Identifier: MIT
 *
 * test_window.c - windows against a brute-force reference.
 *
 * Random event streams (several keys, out-of-order and late events) go
 * through a window; every emitted row is compared with a from-scratch
 * computation over the rows the reference accepts: a row is accepted when
 * one of its windows is still open at arrival (SESSION: ts >= watermark),
 * and counts toward exactly the windows still open then. Late counts must
 * match exactly.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/mem.h"
#include "engine/agg.h"
#include "engine/window.h"

/* ----- stream and collected output -------------------------------------- */

struct ev {
    int key;
    int64_t ts;
    int64_t v;
};

struct out_row {
    int key;
    int64_t start, end;
    int64_t cnt, sum, min, max, dist;
    uint64_t late;
    bool is_final;
};

struct sink {
    struct out_row *rows;
    size_t n, cap;
    int64_t last_end;
    bool order_ok;
};

static int collect(void *arg, const struct roost_window_row *row)
{
    struct sink *s = arg;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 256;
        s->rows = realloc(s->rows, s->cap * sizeof(*s->rows));
    }
    struct out_row *o = &s->rows[s->n++];
    memset(o, 0, sizeof(*o));
    o->key = (int)strtol(row->key.ptr, NULL, 10);
    o->start = row->start_ms;
    o->end = row->end_ms;
    o->cnt = row->values[0].u.i;
    o->sum = row->values[1].type == ROOST_V_NULL ? 0 : row->values[1].u.i;
    o->min = row->values[2].u.i;
    o->max = row->values[3].u.i;
    o->dist = row->values[4].u.i;
    o->late = row->late_dropped;
    o->is_final = row->is_final;
    if (row->is_final && row->end_ms < s->last_end) {
        s->order_ok = false;
    }
    if (row->is_final) {
        s->last_end = row->end_ms;
    }
    return 0;
}

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* a clock that mostly moves forward, with jitter, stragglers and gaps */
static struct ev *make_stream(size_t n, int n_keys, uint64_t seed)
{
    rng_state = seed;
    struct ev *e = calloc(n, sizeof(*e));
    int64_t clock = 1000000 - (int64_t)(rnd() % 100000);
    for (size_t i = 0; i < n; i++) {
        clock += (int64_t)(rnd() % 400);
        if (rnd() % 200 == 0) {
            clock += (int64_t)(rnd() % 60000); /* a quiet spell */
        }
        int64_t ts = clock - (int64_t)(rnd() % 3000); /* jitter */
        if (rnd() % 20 == 0) {
            ts -= (int64_t)(rnd() % 30000); /* a straggler, often late */
        }
        e[i].key = (int)(rnd() % (uint64_t)n_keys);
        e[i].ts = ts;
        e[i].v = (int64_t)(rnd() % 50) - 10;
    }
    return e;
}

static const struct roost_agg_ops *aggs5[5];

static struct roost_window *make_window(enum roost_window_kind kind,
                                        int64_t size, int64_t slide,
                                        int64_t gap, int64_t lateness,
                                        struct sink *s)
{
    aggs5[0] = roost_agg_find(roost_str_cstr("count"));
    aggs5[1] = roost_agg_find(roost_str_cstr("SUM"));
    aggs5[2] = roost_agg_find(roost_str_cstr("MIN"));
    aggs5[3] = roost_agg_find(roost_str_cstr("MAX"));
    aggs5[4] = roost_agg_find(roost_str_cstr("COUNT_DISTINCT"));
    struct roost_window_cfg cfg = {
        .kind = kind,
        .size_ms = size,
        .slide_ms = slide,
        .gap_ms = gap,
        .lateness_ms = lateness,
        .n_aggs = 5,
        .aggs = aggs5,
        .emit = collect,
        .emit_arg = s,
    };
    struct roost_window *w = NULL;
    CHECK_INT_EQ(roost_window_new(&cfg, &w), 0);
    return w;
}

static int push_ev(struct roost_window *w, const struct ev *e)
{
    char key[16];
    int n = snprintf(key, sizeof(key), "%d", e->key);
    struct roost_value vals[5] = {
        roost_value_bool(true),    roost_value_int(e->v),
        roost_value_int(e->v),     roost_value_int(e->v),
        roost_value_int(e->v % 7),
    };
    return roost_window_push(w, roost_str_make(key, (size_t)n), e->ts, 0, vals);
}

/* ----- the reference ----------------------------------------------------- */

static int64_t fdiv(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

struct ref_win {
    int key;
    int64_t start, end;
    int64_t cnt, sum, min, max;
    uint8_t seen[13];
};

static int row_cmp(const void *pa, const void *pb)
{
    const struct out_row *a = pa, *b = pb;
    if (a->key != b->key) {
        return a->key < b->key ? -1 : 1;
    }
    if (a->start != b->start) {
        return a->start < b->start ? -1 : 1;
    }
    return a->end < b->end ? -1 : a->end > b->end;
}

static void ref_fold(struct ref_win *r, const struct ev *e)
{
    if (r->cnt == 0 || e->v < r->min) {
        r->min = e->v;
    }
    if (r->cnt == 0 || e->v > r->max) {
        r->max = e->v;
    }
    r->cnt++;
    r->sum += e->v;
    r->seen[e->v % 7 + 6] = 1;
}

static struct out_row ref_row(const struct ref_win *r)
{
    struct out_row o = { .key = r->key,
                         .start = r->start,
                         .end = r->end,
                         .cnt = r->cnt,
                         .sum = r->sum,
                         .min = r->min,
                         .max = r->max };
    for (int i = 0; i < 13; i++) {
        o.dist += r->seen[i];
    }
    return o;
}

/*
 * reference - expected final rows (sorted) and the late count, computed
 * from scratch. For TUMBLE/HOP each (key, window) is folded from the rows
 * whose arrival watermark was before the window's end.
 */
static struct out_row *reference(const struct ev *e, size_t n,
                                 enum roost_window_kind kind, int64_t size,
                                 int64_t slide, int64_t gap, int64_t late,
                                 size_t *n_out, uint64_t *n_late)
{
    size_t cap = n * (size_t)(kind == ROOST_WINDOW_HOP ? size / slide + 1 : 1);
    struct ref_win *w = calloc(cap + 1, sizeof(*w));
    size_t nw = 0;
    bool *acc = calloc(n, sizeof(*acc));
    int64_t *wm_at = calloc(n, sizeof(*wm_at));
    int64_t max_ts = INT64_MIN;
    *n_late = 0;
    for (size_t i = 0; i < n; i++) {
        max_ts = e[i].ts > max_ts ? e[i].ts : max_ts;
        int64_t wm = max_ts - late;
        wm_at[i] = wm;
        bool ok;
        if (kind == ROOST_WINDOW_SESSION) {
            ok = e[i].ts >= wm;
        } else {
            ok = fdiv(e[i].ts, slide) * slide + size > wm;
        }
        acc[i] = ok;
        *n_late += !ok;
    }
    if (kind != ROOST_WINDOW_SESSION) {
        /* (key, start) -> window, by linear search over a small set */
        for (size_t i = 0; i < n; i++) {
            if (!acc[i]) {
                continue;
            }
            int64_t last = fdiv(e[i].ts, slide) * slide;
            for (int64_t s = last; s > e[i].ts - size; s -= slide) {
                if (s + size <= wm_at[i]) {
                    continue; /* closed before the row came */
                }
                size_t j = 0;
                while (j < nw && !(w[j].key == e[i].key && w[j].start == s)) {
                    j++;
                }
                if (j == nw) {
                    w[nw++] = (struct ref_win){ .key = e[i].key,
                                                .start = s,
                                                .end = s + size };
                }
                ref_fold(&w[j], &e[i]);
            }
        }
    } else {
        /* per key: accepted rows by time, split at gaps >= gap */
        struct ev *k = calloc(n, sizeof(*k));
        for (int key = 0; key < 64; key++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++) {
                if (acc[i] && e[i].key == key) {
                    k[m++] = e[i];
                }
            }
            for (size_t a = 1; a < m; a++) { /* insertion sort by ts */
                struct ev x = k[a];
                size_t b = a;
                while (b > 0 && k[b - 1].ts > x.ts) {
                    k[b] = k[b - 1];
                    b--;
                }
                k[b] = x;
            }
            for (size_t a = 0; a < m; a++) {
                if (a == 0 || k[a].ts - k[a - 1].ts >= gap) {
                    w[nw++] = (struct ref_win){ .key = key, .start = k[a].ts };
                }
                ref_fold(&w[nw - 1], &k[a]);
                w[nw - 1].end = k[a].ts + gap;
            }
        }
        free(k);
    }
    struct out_row *o = calloc(nw + 1, sizeof(*o));
    for (size_t i = 0; i < nw; i++) {
        o[i] = ref_row(&w[i]);
    }
    qsort(o, nw, sizeof(*o), row_cmp);
    *n_out = nw;
    free(w);
    free(acc);
    free(wm_at);
    return o;
}

static void compare(struct sink *s, struct out_row *want, size_t n_want)
{
    qsort(s->rows, s->n, sizeof(*s->rows), row_cmp);
    CHECK_INT_EQ(s->n, n_want);
    for (size_t i = 0; i < n_want; i++) {
        const struct out_row *a = &s->rows[i], *b = &want[i];
        CHECK_MSG(a->key == b->key && a->start == b->start && a->end == b->end,
                  "row %zu: key %d [%lld,%lld) vs key %d [%lld,%lld)", i,
                  a->key, (long long)a->start, (long long)a->end, b->key,
                  (long long)b->start, (long long)b->end);
        CHECK_INT_EQ(a->cnt, b->cnt);
        CHECK_INT_EQ(a->sum, b->sum);
        CHECK_INT_EQ(a->min, b->min);
        CHECK_INT_EQ(a->max, b->max);
        CHECK_INT_EQ(a->dist, b->dist);
        CHECK(a->is_final);
    }
}

static void run_random(enum roost_window_kind kind, int64_t size, int64_t slide,
                       int64_t gap, int64_t late, uint64_t seed, size_t n,
                       bool checkpoint)
{
    struct ev *e = make_stream(n, 13, seed);
    if (kind == ROOST_WINDOW_TUMBLE) {
        slide = size;
    }
    struct sink s = { .order_ok = true, .last_end = INT64_MIN };
    struct roost_window *w = make_window(kind, size, slide, gap, late, &s);
    for (size_t i = 0; i < n; i++) {
        if (checkpoint && i == n / 2) {
            struct roost_buf b;
            roost_buf_init(&b, (size_t)1 << 30);
            CHECK_INT_EQ(roost_window_save(w, &b), 0);
            roost_window_free(w);
            w = make_window(kind, size, slide, gap, late, &s);
            CHECK_INT_EQ(roost_window_load(w, b.ptr, b.len), 0);
            roost_buf_fini(&b);
        }
        CHECK_INT_EQ(push_ev(w, &e[i]), 0);
    }
    struct roost_window_stats st;
    roost_window_stats(w, &st);
    CHECK_INT_EQ(roost_window_flush(w), 0);
    CHECK(s.order_ok);
    size_t n_want = 0;
    uint64_t n_late = 0;
    struct out_row *want =
        reference(e, n, kind, size, slide, gap, late, &n_want, &n_late);
    CHECK_INT_EQ(st.late_dropped, n_late);
    CHECK(n_late > 0);
    CHECK_INT_EQ(st.n_rows, n);
    compare(&s, want, n_want);
    for (size_t i = 0; i < s.n; i++) {
        CHECK(s.rows[i].late <= n_late);
    }
    struct roost_window_stats after;
    roost_window_stats(w, &after);
    CHECK_INT_EQ(after.n_slots, 0);
    CHECK_INT_EQ(after.n_groups, 0);
    roost_window_free(w);
    free(want);
    free(s.rows);
    free(e);
}

/* ----- tests ------------------------------------------------------------- */

static void test_tumble_random(void)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        run_random(ROOST_WINDOW_TUMBLE, 10000, 0, 0, 2000, seed, 3000, false);
    }
    run_random(ROOST_WINDOW_TUMBLE, 7000, 0, 0, 0, 99, 3000, false);
}

static void test_hop_random(void)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        run_random(ROOST_WINDOW_HOP, 30000, 10000, 0, 2000, seed, 3000, false);
    }
    /* size not a multiple of slide: panes of gcd = 2 s */
    run_random(ROOST_WINDOW_HOP, 10000, 4000, 0, 5000, 7, 3000, false);
    run_random(ROOST_WINDOW_HOP, 4000, 10000, 0, 1000, 8, 3000, false);
}

static void test_session_random(void)
{
    for (uint64_t seed = 1; seed <= 6; seed++) {
        run_random(ROOST_WINDOW_SESSION, 0, 0, 5000, 2000, seed, 3000, false);
    }
    run_random(ROOST_WINDOW_SESSION, 0, 0, 800, 3000, 9, 3000, false);
}

static void test_checkpoint_midstream(void)
{
    run_random(ROOST_WINDOW_TUMBLE, 10000, 0, 0, 2000, 11, 3000, true);
    run_random(ROOST_WINDOW_HOP, 30000, 10000, 0, 2000, 12, 3000, true);
    run_random(ROOST_WINDOW_SESSION, 0, 0, 5000, 2000, 13, 3000, true);
}

static void test_load_rejects_garbage(void)
{
    struct sink s = { .order_ok = true };
    struct roost_window *w =
        make_window(ROOST_WINDOW_HOP, 30000, 10000, 0, 2000, &s);
    struct ev *e = make_stream(500, 5, 3);
    for (size_t i = 0; i < 500; i++) {
        CHECK_INT_EQ(push_ev(w, &e[i]), 0);
    }
    struct roost_buf b;
    roost_buf_init(&b, (size_t)1 << 30);
    CHECK_INT_EQ(roost_window_save(w, &b), 0);
    struct roost_window *w2 =
        make_window(ROOST_WINDOW_HOP, 30000, 10000, 0, 2000, &s);
    for (size_t cut = 0; cut < b.len; cut += 1 + cut / 16) {
        CHECK_INT_EQ(roost_window_load(w2, b.ptr, cut), ROOST_EPARSE);
    }
    struct roost_window *w3 =
        make_window(ROOST_WINDOW_HOP, 20000, 10000, 0, 2000, &s);
    CHECK_INT_EQ(roost_window_load(w3, b.ptr, b.len), ROOST_EPARSE);
    CHECK_INT_EQ(roost_window_load(w2, b.ptr, b.len), 0);
    roost_window_free(w);
    roost_window_free(w2);
    roost_window_free(w3);
    roost_buf_fini(&b);
    free(e);
    free(s.rows);
}

static void test_emit_changes_and_running_totals(void)
{
    struct sink s = { .order_ok = true };
    struct roost_window *w = make_window(ROOST_WINDOW_NONE, 0, 0, 0, -1, &s);
    struct ev a = { 1, 1000, 5 }, b = { 2, 900000, 7 }, c = { 1, 10, 1 };
    CHECK_INT_EQ(push_ev(w, &a), 0);
    CHECK_INT_EQ(push_ev(w, &b), 0);
    CHECK_INT_EQ(push_ev(w, &c), 0); /* running totals: never late */
    CHECK_INT_EQ(roost_window_emit_changes(w), 0);
    CHECK_INT_EQ(s.n, 2);
    qsort(s.rows, s.n, sizeof(*s.rows), row_cmp);
    CHECK_INT_EQ(s.rows[0].cnt, 2);
    CHECK_INT_EQ(s.rows[0].sum, 6);
    CHECK(!s.rows[0].is_final);
    CHECK_INT_EQ(roost_window_emit_changes(w), 0);
    CHECK_INT_EQ(s.n, 2); /* nothing changed */
    CHECK_INT_EQ(push_ev(w, &b), 0);
    CHECK_INT_EQ(roost_window_emit_changes(w), 0);
    CHECK_INT_EQ(s.n, 3);
    CHECK_INT_EQ(s.rows[2].key, 2);
    CHECK_INT_EQ(s.rows[2].cnt, 2);
    CHECK_INT_EQ(roost_window_flush(w), 0);
    CHECK_INT_EQ(s.n, 5);
    CHECK(s.rows[4].is_final);
    roost_window_free(w);
    free(s.rows);

    /* hopping: a change shows in every open window holding the pane */
    struct sink h = { .order_ok = true };
    w = make_window(ROOST_WINDOW_HOP, 3000, 1000, 0, 10000, &h);
    struct ev x = { 3, 5500, 1 };
    CHECK_INT_EQ(push_ev(w, &x), 0);
    CHECK_INT_EQ(roost_window_emit_changes(w), 0);
    CHECK_INT_EQ(h.n, 3); /* [3,6) [4,7) [5,8) seconds */
    CHECK_INT_EQ(h.rows[0].start, 3000);
    CHECK_INT_EQ(h.rows[2].start, 5000);
    roost_window_free(w);
    free(h.rows);
}

static void test_processing_time_and_watermark(void)
{
    struct sink s = { .order_ok = true };
    struct roost_window *w =
        make_window(ROOST_WINDOW_TUMBLE, 1000, 0, 0, -1, &s);
    struct roost_value vals[5] = { roost_value_bool(true), roost_value_int(1),
                                   roost_value_int(1), roost_value_int(1),
                                   roost_value_int(1) };
    CHECK_INT_EQ(roost_window_push(w, roost_str_cstr("7"), ROOST_WINDOW_NO_TIME,
                                   42500, vals),
                 0);
    struct roost_window_stats st;
    roost_window_stats(w, &st);
    CHECK_INT_EQ(st.watermark_ms, 42500 - ROOST_WINDOW_DEFAULT_LATENESS_MS);
    CHECK(st.bytes > 0);
    /* the default lateness (5 s) keeps [42 s, 43 s) open until 48 s */
    CHECK_INT_EQ(roost_window_advance(w, 47999), 0);
    CHECK_INT_EQ(s.n, 0);
    CHECK_INT_EQ(roost_window_advance(w, 48000), 0);
    CHECK_INT_EQ(s.n, 1);
    CHECK_INT_EQ(s.rows[0].start, 42000);
    CHECK_INT_EQ(s.rows[0].end, 43000);
    CHECK_INT_EQ(roost_window_push(w, roost_str_cstr("7"), 42999, 0, vals), 0);
    roost_window_stats(w, &st);
    CHECK_INT_EQ(st.late_dropped, 1);
    CHECK_INT_EQ(
        roost_window_push(w, roost_str_cstr("7"), (int64_t)1 << 60, 0, vals),
        ROOST_EINVAL);
    roost_window_free(w);
    free(s.rows);
}

static void test_bad_config(void)
{
    const struct roost_agg_ops *ops[1] = { roost_agg_find(
        roost_str_cstr("COUNT")) };
    struct roost_window_cfg cfg = { .kind = ROOST_WINDOW_TUMBLE,
                                    .size_ms = 0,
                                    .n_aggs = 1,
                                    .aggs = ops,
                                    .emit = collect };
    struct roost_window *w = NULL;
    CHECK_INT_EQ(roost_window_new(&cfg, &w), ROOST_EINVAL);
    cfg.size_ms = 1000;
    cfg.lateness_ms = 24 * 3600 * 1000LL; /* never 24 h */
    CHECK_INT_EQ(roost_window_new(&cfg, &w), ROOST_EINVAL);
    cfg.lateness_ms = -1;
    cfg.kind = ROOST_WINDOW_HOP; /* slide missing */
    CHECK_INT_EQ(roost_window_new(&cfg, &w), ROOST_EINVAL);
    struct roost_agg_args args = { .hll_p = 30 };
    cfg.kind = ROOST_WINDOW_SESSION;
    cfg.gap_ms = 10;
    ops[0] = roost_agg_find(roost_str_cstr("APPROX_COUNT_DISTINCT"));
    cfg.args = &args;
    CHECK_INT_EQ(roost_window_new(&cfg, &w), ROOST_EINVAL);
    CHECK(w == NULL);
}

struct count_sink {
    uint64_t total, n_exact, n_approx, max_err;
};

static int count_rows(void *arg, const struct roost_window_row *row)
{
    struct count_sink *c = arg;
    c->total += (uint64_t)row->values[0].u.i;
    if (row->states == NULL) {
        c->n_approx++;
        c->max_err =
            row->count_error > c->max_err ? row->count_error : c->max_err;
    } else {
        c->n_exact++;
    }
    return 0;
}

static void test_budget_switches_to_sketch(void)
{
    const struct roost_agg_ops *ops[1] = { roost_agg_find(
        roost_str_cstr("COUNT")) };
    struct count_sink c = { 0 };
    struct roost_window_cfg cfg = { .kind = ROOST_WINDOW_TUMBLE,
                                    .size_ms = 60000,
                                    .lateness_ms = 0,
                                    .n_aggs = 1,
                                    .aggs = ops,
                                    .max_bytes = 64 << 10,
                                    .overflow_capacity = 500,
                                    .emit = count_rows,
                                    .emit_arg = &c };
    struct roost_window *w = NULL;
    CHECK_INT_EQ(roost_window_new(&cfg, &w), 0);
    rng_state = 5;
    struct roost_value one = roost_value_bool(true);
    for (int i = 0; i < 100000; i++) {
        char key[24];
        int n = snprintf(key, sizeof(key), "k%llu",
                         (unsigned long long)(rnd() % 20000));
        CHECK_INT_EQ(roost_window_push(w, roost_str_make(key, (size_t)n),
                                       1000 + i / 10, 0, &one),
                     0);
    }
    struct roost_window_stats st;
    roost_window_stats(w, &st);
    CHECK(st.n_overflow > 0);
    CHECK_INT_EQ(st.budget_dropped, 0);
    /* bounded: the budget plus one sketch, not 20000 groups */
    CHECK_MSG(st.bytes < (64 << 10) + (200 << 10), "bytes %zu", st.bytes);
    CHECK_INT_EQ(roost_window_flush(w), 0);
    CHECK(c.n_exact > 0 && c.n_approx > 0 && c.max_err > 0);
    /* the sketch over-counts, never under-counts */
    CHECK(c.total >= 100000);
    roost_window_free(w);

    /* not all COUNT: rows of new keys are dropped and counted */
    const struct roost_agg_ops *ops2[2] = {
        ops[0], roost_agg_find(roost_str_cstr("sum"))
    };
    cfg.aggs = ops2;
    cfg.n_aggs = 2;
    CHECK_INT_EQ(roost_window_new(&cfg, &w), 0);
    struct roost_value v2[2] = { one, roost_value_int(3) };
    for (int i = 0; i < 20000; i++) {
        char key[24];
        int n = snprintf(key, sizeof(key), "k%d", i);
        CHECK_INT_EQ(
            roost_window_push(w, roost_str_make(key, (size_t)n), 1000, 0, v2),
            0);
    }
    roost_window_stats(w, &st);
    CHECK(st.budget_dropped > 0);
    CHECK(st.bytes < (64 << 10) + 4096);
    CHECK_INT_EQ(st.n_groups + st.budget_dropped, 20000);
    roost_window_free(w);
}

static void test_state_bytes_accounting(void)
{
    struct sink s = { .order_ok = true };
    struct roost_window *w =
        make_window(ROOST_WINDOW_TUMBLE, 60000, 0, 0, 0, &s);
    struct roost_window_stats st0, st1, st2;
    roost_window_stats(w, &st0);
    struct ev e = { 0, 1000, 1 };
    for (int k = 0; k < 1000; k++) {
        e.key = k;
        CHECK_INT_EQ(push_ev(w, &e), 0);
    }
    roost_window_stats(w, &st1);
    size_t per_key = (st1.bytes - st0.bytes) / 1000;
    CHECK_MSG(per_key > 100 && per_key < 1000, "per key %zu", per_key);
    CHECK_INT_EQ(roost_window_flush(w), 0);
    roost_window_stats(w, &st2);
    /* what remains is the index and group array, no states */
    CHECK_INT_EQ(st2.n_slots, 0);
    CHECK(st2.bytes < st0.bytes + 32 * 1024);
    roost_window_free(w);
    free(s.rows);
}

CHECK_LIST(test_tumble_random, test_hop_random, test_session_random,
           test_checkpoint_midstream, test_load_rejects_garbage,
           test_emit_changes_and_running_totals,
           test_processing_time_and_watermark, test_bad_config,
           test_budget_switches_to_sketch, test_state_bytes_accounting);
