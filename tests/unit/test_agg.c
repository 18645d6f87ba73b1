/* SPDX-License-Identifier: MIT
 *
 * test_agg.c - every aggregate: merge equals add-all over random splits,
 * save/load round trips, truncated encodings are refused, and the sketch
 * accuracy targets (TOP_K on a Zipf stream, HLL within 2 %).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/mem.h"
#include "engine/agg.h"

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static const struct roost_agg_ops *agg(const char *name)
{
    const struct roost_agg_ops *o = roost_agg_find(roost_str_cstr(name));
    CHECK(o != NULL);
    return o;
}

static char keybuf[4096][12];

/* a random value: ints, doubles, short strings, some NULLs */
static struct roost_value rnd_value(int mix, size_t i)
{
    uint64_t r = rnd();
    if (r % 17 == 0) {
        return roost_value_null();
    }
    if (mix == 0 || (mix == 2 && r % 3 == 0)) {
        return roost_value_int((int64_t)(r >> 8) % 1000 - 300);
    }
    if (mix == 1 || (mix == 2 && r % 3 == 1)) {
        return roost_value_double((double)((r >> 8) % 100000) / 64.0);
    }
    int n = snprintf(keybuf[i % 4096], sizeof(keybuf[0]), "k%u",
                     (unsigned)((r >> 8) % 300));
    return roost_value_str(roost_str_make(keybuf[i % 4096], (size_t)n));
}

/* render a result to text so results of different states compare */
static void render(const struct roost_agg_ops *o, const void *st, char *out,
                   size_t n)
{
    struct roost_arena a;
    roost_arena_init(&a, 4096, 1 << 24);
    struct roost_value v;
    CHECK_INT_EQ(o->result(st, &v, &a), 0);
    switch (v.type) {
    case ROOST_V_NULL:
        snprintf(out, n, "NULL");
        break;
    case ROOST_V_DOUBLE:
        snprintf(out, n, "%.9g", v.u.d);
        break;
    case ROOST_V_STRING:
        snprintf(out, n, "'%.*s'", (int)v.u.s.len, v.u.s.ptr);
        break;
    default:
        snprintf(out, n, "%lld", (long long)v.u.i);
        break;
    }
    roost_arena_fini(&a);
}

static void *new_state(const struct roost_agg_ops *o,
                       const struct roost_agg_args *a)
{
    void *st = roost_calloc(1, o->state_size);
    CHECK(st != NULL);
    CHECK_INT_EQ(o->init(st, a), 0);
    return st;
}

static void free_state(const struct roost_agg_ops *o, void *st)
{
    o->fini(st);
    roost_free(st);
}

/* add-all vs merge of a random split into 1..4 parts, then save/load */
static void merge_and_roundtrip(const char *name, int mix, size_t n,
                                const struct roost_agg_args *args,
                                uint64_t seed)
{
    const struct roost_agg_ops *o = agg(name);
    rng_state = seed;
    struct roost_value *vals = calloc(n, sizeof(*vals));
    for (size_t i = 0; i < n; i++) {
        vals[i] = rnd_value(mix, i);
    }
    void *all = new_state(o, args);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT_EQ(o->add(all, &vals[i], 1), 0);
    }
    size_t parts = 1 + rnd() % 4;
    void *part[4];
    for (size_t p = 0; p < parts; p++) {
        part[p] = new_state(o, args);
    }
    for (size_t i = 0; i < n; i++) {
        CHECK_INT_EQ(o->add(part[rnd() % parts], &vals[i], 1), 0);
    }
    for (size_t p = 1; p < parts; p++) {
        CHECK_INT_EQ(o->merge(part[0], part[p]), 0);
    }
    char want[8192], got[8192];
    render(o, all, want, sizeof(want));
    render(o, part[0], got, sizeof(got));
    CHECK_MSG(strcmp(want, got) == 0, "%s merge: %.200s vs %.200s", name, want,
              got);
    CHECK(o->bytes(all) >= o->state_size);

    struct roost_buf b;
    roost_buf_init(&b, 1 << 26);
    CHECK_INT_EQ(o->save(all, &b), 0);
    void *back = new_state(o, args);
    CHECK_INT_EQ(o->load(back, b.ptr, b.len), 0);
    render(o, back, got, sizeof(got));
    CHECK_MSG(strcmp(want, got) == 0, "%s load: %.200s vs %.200s", name, want,
              got);
    struct roost_buf b2;
    roost_buf_init(&b2, 1 << 26);
    CHECK_INT_EQ(o->save(back, &b2), 0);
    CHECK_INT_EQ(b2.len, b.len);
    /* every strict prefix is refused, and the state is left usable */
    for (size_t cut = 0; cut < b.len; cut += 1 + cut / 8) {
        int rc = o->load(back, b.ptr, cut);
        CHECK_MSG(rc == ROOST_EPARSE, "%s prefix %zu: %d", name, cut, rc);
    }
    CHECK_INT_EQ(o->add(back, &vals[0], 1), 0);
    roost_buf_fini(&b);
    roost_buf_fini(&b2);
    free_state(o, back);
    free_state(o, all);
    for (size_t p = 0; p < parts; p++) {
        free_state(o, part[p]);
    }
    free(vals);
}

static void test_registry(void)
{
    const char *names[] = { "COUNT",
                            "SUM",
                            "AVG",
                            "MIN",
                            "MAX",
                            "COUNT_DISTINCT",
                            "APPROX_COUNT_DISTINCT",
                            "TOP_K" };
    CHECK_INT_EQ(roost_agg_n(), 8);
    for (size_t i = 0; i < 8; i++) {
        CHECK(roost_agg_at(i) != NULL);
        const struct roost_agg_ops *o = agg(names[i]);
        CHECK(o->init && o->add && o->merge && o->result && o->bytes &&
              o->save && o->load && o->fini && o->summary);
    }
    CHECK(agg("top_k") == agg("TOP_K"));
    CHECK(roost_agg_find(roost_str_cstr("MEDIAN")) == NULL);
    CHECK(roost_agg_at(8) == NULL);
}

static void test_merge_equals_add_all(void)
{
    const char *exact[] = {
        "COUNT", "SUM", "MIN", "MAX", "COUNT_DISTINCT", "APPROX_COUNT_DISTINCT"
    };
    for (uint64_t seed = 1; seed <= 8; seed++) {
        for (size_t i = 0; i < 6; i++) {
            for (int mix = 0; mix <= 2; mix++) {
                if (mix == 1 && strcmp(exact[i], "SUM") == 0) {
                    continue; /* double sums depend on order; below */
                }
                merge_and_roundtrip(exact[i], mix, 2000, NULL, seed);
            }
        }
        merge_and_roundtrip("AVG", 0, 2000, NULL, seed);
        /* fewer keys than counters: Space-Saving is exact */
        struct roost_agg_args k = { .k = 50 };
        merge_and_roundtrip("TOP_K", 3, 3000, &k, seed);
        /* distinct past its budget: both sides switch alike */
        struct roost_agg_args small = { .max_bytes = 512, .hll_p = 10 };
        merge_and_roundtrip("COUNT_DISTINCT", 2, 3000, &small, seed);
    }
}

static void test_double_sum_and_avg(void)
{
    const struct roost_agg_ops *s = agg("SUM"), *a = agg("AVG");
    void *x = new_state(s, NULL), *y = new_state(a, NULL);
    struct roost_arena ar;
    roost_arena_init(&ar, 4096, 1 << 20);
    struct roost_value v, out;
    CHECK_INT_EQ(s->result(x, &out, &ar), 0);
    CHECK(out.type == ROOST_V_NULL);
    v = roost_value_int(INT64_MAX - 1);
    CHECK_INT_EQ(s->add(x, &v, 1), 0);
    CHECK_INT_EQ(s->add(x, &v, 1), 0); /* overflow: becomes DOUBLE */
    CHECK_INT_EQ(s->result(x, &out, &ar), 0);
    CHECK(out.type == ROOST_V_DOUBLE && out.u.d > 1.8e19);
    for (int i = 1; i <= 4; i++) {
        v = roost_value_int(i);
        CHECK_INT_EQ(a->add(y, &v, 1), 0);
    }
    v = roost_value_double(0.5);
    CHECK_INT_EQ(a->add(y, &v, 2), 0); /* weight 2 */
    CHECK_INT_EQ(a->result(y, &out, &ar), 0);
    CHECK(fabs(out.u.d - 11.0 / 6.0) < 1e-12);
    CHECK_INT_EQ(a->remove(y, &v), 0);
    CHECK_INT_EQ(a->remove(y, &v), 0);
    CHECK_INT_EQ(a->result(y, &out, &ar), 0);
    CHECK(fabs(out.u.d - 2.5) < 1e-12);
    roost_arena_fini(&ar);
    free_state(s, x);
    free_state(a, y);
}

static void test_remove_and_nulls(void)
{
    const struct roost_agg_ops *c = agg("COUNT");
    void *st = new_state(c, NULL);
    struct roost_value n = roost_value_null(), one = roost_value_bool(true);
    CHECK_INT_EQ(c->add(st, &n, 1), 0);
    CHECK_INT_EQ(c->add(st, &one, 3), 0);
    CHECK_INT_EQ(c->remove(st, &one), 0);
    char got[64];
    render(c, st, got, sizeof(got));
    CHECK_STR_EQ(got, "2");
    free_state(c, st);
    const struct roost_agg_ops *m = agg("MIN");
    CHECK(m->remove == NULL);
    st = new_state(m, NULL);
    struct roost_value s1 = roost_value_str(roost_str_cstr("b"));
    struct roost_value s2 = roost_value_str(roost_str_cstr("a"));
    struct roost_value i1 = roost_value_int(5);
    CHECK_INT_EQ(m->add(st, &s1, 1), 0);
    CHECK_INT_EQ(m->add(st, &s2, 1), 0);
    render(m, st, got, sizeof(got));
    CHECK_STR_EQ(got, "'a'");
    CHECK_INT_EQ(m->add(st, &i1, 1), 0); /* numbers sort before strings */
    render(m, st, got, sizeof(got));
    CHECK_STR_EQ(got, "5");
    free_state(m, st);
}

static void test_topk_json_and_items(void)
{
    const struct roost_agg_ops *t = agg("TOP_K");
    struct roost_agg_args a = { .k = 2 };
    void *st = new_state(t, &a);
    const char *keys[] = { "x", "b\"q", "a", "b\"q", "a", "z" };
    for (size_t i = 0; i < 6; i++) {
        struct roost_value v = roost_value_str(roost_str_cstr(keys[i]));
        CHECK_INT_EQ(t->add(st, &v, 1), 0);
    }
    char got[256];
    render(t, st, got, sizeof(got));
    CHECK_STR_EQ(got, "'[{\"key\":\"a\",\"count\":2,\"error\":0},"
                      "{\"key\":\"b\\\"q\",\"count\":2,\"error\":0}]'");
    struct roost_topk_item it[4];
    CHECK_INT_EQ(roost_agg_topk_items(st, it, 4), 2);
    CHECK_MEM_EQ(it[0].key.ptr, it[0].key.len, "a");
    CHECK_INT_EQ(roost_agg_topk_total(st), 6);
    CHECK(t->rel_error(st) == 0.0);
    free_state(t, st);
    struct roost_agg_args bad = { .k = 10, .capacity = 5 };
    void *b = roost_calloc(1, t->state_size);
    CHECK_INT_EQ(t->init(b, &bad), ROOST_EINVAL);
    roost_free(b);
}

/* ----- Zipf stream ------------------------------------------------------- */

static double *zipf_cdf(size_t n, double s)
{
    double *c = malloc(n * sizeof(*c));
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        sum += 1.0 / pow((double)(i + 1), s);
        c[i] = sum;
    }
    for (size_t i = 0; i < n; i++) {
        c[i] /= sum;
    }
    return c;
}

static size_t zipf_draw(const double *c, size_t n)
{
    double u = (double)(rnd() >> 11) / 9007199254740992.0;
    size_t lo = 0, hi = n - 1;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (c[mid] < u) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

static int cmp_desc(const void *pa, const void *pb)
{
    const uint64_t *a = pa, *b = pb; /* (count, key) pairs */
    if (a[0] != b[0]) {
        return a[0] > b[0] ? -1 : 1;
    }
    return 0;
}

static void test_topk_zipf_accuracy(void)
{
    enum { N_KEYS = 100000, N_EV = 1000000, K = 20 };
    rng_state = 42;
    double *cdf = zipf_cdf(N_KEYS, 1.1);
    /* the keys are shuffled ranks so the order is not the hash order */
    uint64_t *exact = calloc(N_KEYS, sizeof(*exact));
    const struct roost_agg_ops *t = agg("TOP_K");
    struct roost_agg_args a = { .k = K, .capacity = 1000 };
    void *st = new_state(t, &a);
    void *half[2] = { new_state(t, &a), new_state(t, &a) };
    for (size_t i = 0; i < N_EV; i++) {
        size_t r = zipf_draw(cdf, N_KEYS);
        size_t key = (r * 7919) % N_KEYS;
        exact[key]++;
        char kb[16];
        int n = snprintf(kb, sizeof(kb), "#h%zu", key);
        struct roost_value v = roost_value_str(roost_str_make(kb, (size_t)n));
        CHECK_INT_EQ(t->add(st, &v, 1), 0);
        CHECK_INT_EQ(t->add(half[i % 3 == 0], &v, 1), 0);
    }
    CHECK_INT_EQ(t->merge(half[0], half[1]), 0);
    uint64_t(*pairs)[2] = calloc(N_KEYS, sizeof(*pairs));
    for (size_t i = 0; i < N_KEYS; i++) {
        pairs[i][0] = exact[i];
        pairs[i][1] = i;
    }
    qsort(pairs, N_KEYS, sizeof(*pairs), cmp_desc);
    CHECK(pairs[K - 1][0] > pairs[K][0]); /* a well-defined top 20 */
    for (int pass = 0; pass < 2; pass++) {
        void *s = pass == 0 ? st : half[0];
        struct roost_topk_item it[K];
        CHECK_INT_EQ(roost_agg_topk_items(s, it, K), K);
        for (size_t i = 0; i < K; i++) {
            char want[16];
            snprintf(want, sizeof(want), "#h%llu",
                     (unsigned long long)pairs[i][1]);
            CHECK_MEM_EQ(it[i].key.ptr, it[i].key.len, want);
            uint64_t truth = pairs[i][0];
            CHECK(it[i].count >= truth && it[i].count - it[i].error <= truth);
        }
        CHECK(t->rel_error(s) < 0.05);
        printf("topk %s: top-%d exact, rel_error %.4f %%\n",
               pass == 0 ? "add-all" : "merged", K, t->rel_error(s) * 100);
    }
    printf("topk: bytes %zu for 1000 counters\n", t->bytes(st));
    free_state(t, st);
    free_state(t, half[0]);
    free_state(t, half[1]);
    free(pairs);
    free(exact);
    free(cdf);
}

static void test_hll_accuracy(void)
{
    const struct roost_agg_ops *h = agg("APPROX_COUNT_DISTINCT");
    void *st = new_state(h, NULL);
    size_t marks[] = { 100, 1000, 20000, 100000, 1000000 };
    size_t m = 0;
    double worst = 0;
    for (size_t i = 1; i <= 1000000; i++) {
        struct roost_value v = roost_value_int((int64_t)i * 2654435761LL);
        CHECK_INT_EQ(h->add(st, &v, 1), 0);
        if (i == marks[m]) {
            struct roost_value out;
            CHECK_INT_EQ(h->result(st, &out, NULL), 0);
            double err = fabs((double)out.u.i - (double)i) / (double)i;
            CHECK_MSG(err < 0.02, "n %zu: estimate %lld", i,
                      (long long)out.u.i);
            worst = err > worst ? err : worst;
            if (i <= 1000) {
                CHECK_INT_EQ(out.u.i, i); /* small sets stay exact */
                CHECK(h->rel_error(st) == 0.0);
            }
            m++;
        }
    }
    CHECK(fabs(h->rel_error(st) - 1.04 / 128) < 1e-9);
    CHECK_INT_EQ(h->bytes(st), h->state_size + 16384);
    printf("hll: worst relative error %.4f %% at 100..1M\n", worst * 100);
    free_state(h, st);
}

static void test_distinct_budget_switch(void)
{
    const struct roost_agg_ops *d = agg("COUNT_DISTINCT");
    struct roost_agg_args a = { .max_bytes = 64 << 10 };
    void *st = new_state(d, &a);
    struct roost_value out;
    for (int i = 0; i < 4000; i++) {
        struct roost_value v = roost_value_int(i);
        CHECK_INT_EQ(d->add(st, &v, 1), 0);
    }
    CHECK(roost_agg_distinct_is_exact(st));
    CHECK_INT_EQ(d->result(st, &out, NULL), 0);
    CHECK_INT_EQ(out.u.i, 4000);
    CHECK(d->rel_error(st) == 0.0);
    size_t exact_bytes = d->bytes(st);
    CHECK(exact_bytes <= (64 << 10) + d->state_size);
    for (int i = 0; i < 200000; i++) {
        struct roost_value v = roost_value_int(i);
        CHECK_INT_EQ(d->add(st, &v, 1), 0);
    }
    CHECK(!roost_agg_distinct_is_exact(st));
    CHECK(d->rel_error(st) > 0.0);
    CHECK(d->bytes(st) <= (64 << 10) + d->state_size);
    CHECK_INT_EQ(d->result(st, &out, NULL), 0);
    CHECK(fabs((double)out.u.i - 200000) / 200000 < 4 * d->rel_error(st));
    printf("distinct: exact %zu bytes for 4000 keys; over budget %zu bytes, "
           "estimate %lld of 200000 (rse %.2f %%)\n",
           exact_bytes, d->bytes(st), (long long)out.u.i,
           d->rel_error(st) * 100);
    free_state(d, st);
}

static void test_value_hash(void)
{
    struct roost_value a = roost_value_int(1), b = roost_value_double(1.0);
    struct roost_value c = roost_value_str(roost_str_cstr("1"));
    CHECK(roost_agg_value_hash(&a) == roost_agg_value_hash(&b));
    CHECK(roost_agg_value_hash(&a) != roost_agg_value_hash(&c));
    CHECK(roost_agg_value_cmp(&a, &b) == 0);
    CHECK(roost_agg_value_cmp(&a, &c) < 0);
}

CHECK_LIST(test_registry, test_merge_equals_add_all, test_double_sum_and_avg,
           test_remove_and_nulls, test_topk_json_and_items,
           test_topk_zipf_accuracy, test_hll_accuracy,
           test_distinct_budget_switch, test_value_hash);
