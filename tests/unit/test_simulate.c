/* SPDX-License-Identifier: MIT
 *
 * test_simulate.c - the synthetic firehose: reproducible, valid, realistic.
 *
 * Every record of every format must parse and normalize; v1.1 entities
 * must match what the generator meant, with indices that slice the
 * (HTML-escaped) text by code points; and the stream must show its
 * statistical shape: Zipf hashtags, the geo share, bursts, deletes of
 * earlier posts.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/mem.h"
#include "parse/json.h"
#include "parse/post.h"
#include "source/simulate.h"
#include "source/simulate_int.h"

static struct roost_sim *sim_make(uint64_t seed, enum roost_format f,
                                  uint64_t count)
{
    struct roost_sim_cfg c;
    roost_sim_cfg_default(&c);
    c.seed = seed;
    c.format = f;
    c.count = count;
    c.n_users = 20000;
    struct roost_sim *s = NULL;
    CHECK_INT_EQ(roost_sim_new(&c, &s), 0);
    return s;
}

/* All records of a run, concatenated. */
static void run_all(struct roost_sim *s, struct roost_buf *out)
{
    int rc;
    while ((rc = roost_sim_next(s, out, NULL)) == 0) {
    }
    CHECK_INT_EQ(rc, ROOST_ENOENT);
}

static void test_deterministic(void)
{
    static const enum roost_format fmts[] = { ROOST_FMT_X1, ROOST_FMT_X2,
                                              ROOST_FMT_JETSTREAM,
                                              ROOST_FMT_MASTODON };
    for (size_t f = 0; f < 4; f++) {
        uint64_t n = f == 0 ? 10000 : 2000;
        struct roost_buf a, b, c;
        roost_buf_init(&a, 1u << 30);
        roost_buf_init(&b, 1u << 30);
        roost_buf_init(&c, 1u << 30);
        struct roost_sim *s1 = sim_make(42, fmts[f], n);
        struct roost_sim *s2 = sim_make(42, fmts[f], n);
        struct roost_sim *s3 = sim_make(43, fmts[f], n);
        run_all(s1, &a);
        run_all(s2, &b);
        run_all(s3, &c);
        CHECK(a.len > n * 200);
        CHECK(a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0);
        CHECK(a.len != c.len || memcmp(a.ptr, c.ptr, a.len) != 0);
        roost_sim_free(s1);
        roost_sim_free(s2);
        roost_sim_free(s3);
        roost_buf_fini(&a);
        roost_buf_fini(&b);
        roost_buf_fini(&c);
    }
}

static void test_count_and_time(void)
{
    struct roost_sim *s = sim_make(7, ROOST_FMT_X1, 123);
    struct roost_buf b;
    roost_buf_init(&b, 1u << 26);
    int64_t ms = 0, prev = 0;
    uint64_t lines = 0;
    while (roost_sim_next(s, &b, &ms) == 0) {
        CHECK(ms >= prev);
        CHECK(ms >= 1609486140000LL);
        prev = ms;
        lines++;
    }
    CHECK_INT_EQ(lines, 123);
    CHECK_INT_EQ(roost_sim_n_records(s), 123);
    CHECK_INT_EQ(roost_sim_next(s, &b, NULL), ROOST_ENOENT);
    size_t nl = 0;
    for (size_t i = 0; i < b.len; i++) {
        nl += b.ptr[i] == '\n';
    }
    CHECK_INT_EQ(nl, 123);
    /* 123 records at 5700/s take about 20 ms of event time. */
    CHECK(prev - 1609486140000LL < 200);
    roost_sim_free(s);
    roost_buf_fini(&b);
}

static void test_bad_config(void)
{
    struct roost_sim_cfg c;
    struct roost_sim *s = NULL;
    roost_sim_cfg_default(&c);
    c.rate = 0;
    CHECK_INT_EQ(roost_sim_new(&c, &s), ROOST_EINVAL);
    roost_sim_cfg_default(&c);
    c.format = ROOST_FMT_AUTO;
    CHECK_INT_EQ(roost_sim_new(&c, &s), ROOST_EINVAL);
    roost_sim_cfg_default(&c);
    c.geo_share = 1.5;
    CHECK_INT_EQ(roost_sim_new(&c, &s), ROOST_EINVAL);
    roost_sim_cfg_default(&c);
    c.n_users = 0;
    CHECK_INT_EQ(roost_sim_new(&c, &s), ROOST_EINVAL);
    CHECK(s == NULL);
}

static void test_buf_limit(void)
{
    struct roost_sim *s = sim_make(1, ROOST_FMT_X1, 0);
    struct roost_buf b;
    roost_buf_init(&b, 1000);
    CHECK_INT_EQ(roost_sim_next(s, &b, NULL), ROOST_ELIMIT);
    CHECK_INT_EQ(b.len, 0);
    roost_buf_fini(&b);
    roost_buf_init(&b, 1u << 20);
    CHECK_INT_EQ(roost_sim_next(s, &b, NULL), 0);
    CHECK(b.len > 100 && b.ptr[b.len - 1] == '\n');
    roost_sim_free(s);
    roost_buf_fini(&b);
}

static bool has(const char *h, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++) {
        if (memcmp(h + i, needle, n) == 0) {
            return true;
        }
    }
    return false;
}

/* Number of code points in s[0..len). */
static size_t cps(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += ((unsigned char)s[i] & 0xc0) != 0x80;
    }
    return n;
}

/* Byte offset of code point `cp` in s. */
static size_t cp_byte(const char *s, size_t len, size_t cp)
{
    size_t i = 0;
    while (i < len && cp > 0) {
        i++;
        while (i < len && ((unsigned char)s[i] & 0xc0) == 0x80) {
            i++;
        }
        cp--;
    }
    return i;
}

/* The entity's code-point slice of the escaped text is sigil + text. */
static void check_slice(struct roost_str text, const struct roost_entity *e,
                        const char *sigil)
{
    CHECK(e->start != ROOST_NO_INDEX && e->end <= cps(text.ptr, text.len));
    size_t b0 = cp_byte(text.ptr, text.len, e->start);
    size_t b1 = cp_byte(text.ptr, text.len, e->end);
    size_t sl = strlen(sigil);
    CHECK_MSG(
        b1 - b0 == sl + e->text.len && memcmp(text.ptr + b0, sigil, sl) == 0 &&
            memcmp(text.ptr + b0 + sl, e->text.ptr, e->text.len) == 0,
        "slice [%u,%u) is \"%.*s\", want %s%.*s", e->start, e->end,
        (int)(b1 - b0), text.ptr + b0, sigil, (int)e->text.len, e->text.ptr);
}

static void check_same(const struct roost_entity *got, uint32_t n_got,
                       const struct roost_str *want, uint32_t n_want)
{
    CHECK_INT_EQ(n_got, n_want);
    for (uint32_t i = 0; i < n_got; i++) {
        CHECK(got[i].text.len == want[i].len &&
              memcmp(got[i].text.ptr, want[i].ptr, want[i].len) == 0);
    }
}

static void test_valid_and_normalizes(void)
{
    static const enum roost_format fmts[] = { ROOST_FMT_X1, ROOST_FMT_X2,
                                              ROOST_FMT_JETSTREAM,
                                              ROOST_FMT_MASTODON };
    struct roost_json_doc d;
    struct roost_norm n;
    struct roost_diag diag;
    roost_json_doc_init(&d, 0, 0);
    roost_norm_init(&n);
    for (size_t f = 0; f < 4; f++) {
        struct roost_sim *s = sim_make(9 + f, fmts[f], 4000);
        struct roost_buf b;
        roost_buf_init(&b, 1u << 24);
        uint64_t posts = 0, tags = 0;
        while (roost_sim_next(s, &b, NULL) == 0) {
            const struct roost__sim_last *L = roost__sim_last(s);
            CHECK_INT_EQ(roost_json_parse(&d, b.ptr, b.len - 1, &diag), 0);
            CHECK_INT_EQ(roost_format_detect(&d), fmts[f]);
            roost_norm_reset(&n);
            int rc =
                roost_norm_record(&n, &d, b.ptr, b.len - 1, fmts[f], &diag);
            CHECK_MSG(rc == 0, "%s: %s: %.300s", roost_format_name(fmts[f]),
                      diag.msg, b.ptr);
            if (L->kind == ROOST__SIM_RETWEET &&
                fmts[f] == ROOST_FMT_JETSTREAM) {
                /* A repost is a control event, not a post. */
                CHECK(n.n_ctls == 1 && n.n_posts == 0);
            } else if (L->kind <= ROOST__SIM_QUOTE) {
                CHECK_MSG(n.n_posts >= 1, "%s: %.300s",
                          roost_format_name(fmts[f]), b.ptr);
                posts++;
                if (L->kind != ROOST__SIM_RETWEET && fmts[f] != ROOST_FMT_X1) {
                    tags += n.posts[0].n_hashtags;
                }
            }
            if (L->kind == ROOST__SIM_DELETE) {
                CHECK(n.n_ctls == 1 && n.ctls[0].kind == ROOST_CTL_DELETE);
            }
            roost_buf_reset(&b);
        }
        CHECK(posts > (fmts[f] == ROOST_FMT_JETSTREAM ? 700u : 3000u));
        CHECK(fmts[f] == ROOST_FMT_X1 || tags > 300);
        roost_sim_free(s);
        roost_buf_fini(&b);
    }
    roost_norm_fini(&n);
    roost_json_doc_fini(&d);
}

static void test_v1_entities(void)
{
    struct roost_json_doc d;
    struct roost_norm n;
    struct roost_diag diag;
    roost_json_doc_init(&d, 0, 0);
    roost_norm_init(&n);
    struct roost_sim *s = sim_make(5, ROOST_FMT_X1, 8000);
    struct roost_buf b;
    roost_buf_init(&b, 1u << 24);
    uint64_t n_ext = 0, n_tags = 0, n_urls = 0, n_ment = 0, n_cash = 0;
    uint64_t n_amp = 0, n_astral = 0;
    while (roost_sim_next(s, &b, NULL) == 0) {
        const struct roost__sim_last *L = roost__sim_last(s);
        CHECK_INT_EQ(roost_json_parse(&d, b.ptr, b.len - 1, &diag), 0);
        roost_norm_reset(&n);
        CHECK_INT_EQ(
            roost_norm_record(&n, &d, b.ptr, b.len - 1, ROOST_FMT_X1, &diag),
            0);
        if (L->kind > ROOST__SIM_QUOTE) {
            roost_buf_reset(&b);
            continue;
        }
        const struct roost_post *p = &n.posts[0];
        CHECK(!p->referenced);
        CHECK_MEM_EQ(p->id.ptr, p->id.len, L->id);
        CHECK(strtoull(L->id, NULL, 10) > (1ULL << 53));
        CHECK(p->has_geo == L->has_geo);
        /* The escaped text the indices refer to. */
        uint32_t ext = roost_json_path(&d, 0, "extended_tweet.full_text");
        struct roost_str raw =
            ext != ROOST_JSON_NONE
                ? roost_json_str(&d, ext)
                : roost_json_str(&d, roost_json_get(&d, 0, "text"));
        n_ext += ext != ROOST_JSON_NONE;
        CHECK(cps(raw.ptr, raw.len) <= 280);
        n_amp += has(raw.ptr, raw.len, "&amp;");
        n_astral += has(b.ptr, b.len, "\\ud83");
        check_same(p->hashtags, p->n_hashtags, L->hashtags, L->n_hashtags);
        check_same(p->mentions, p->n_mentions, L->mentions, L->n_mentions);
        check_same(p->urls, p->n_urls, L->urls, L->n_urls);
        check_same(p->cashtags, p->n_cashtags, L->cashtags, L->n_cashtags);
        for (uint32_t i = 0; i < p->n_hashtags; i++) {
            check_slice(raw, &p->hashtags[i], "#");
        }
        for (uint32_t i = 0; i < p->n_mentions; i++) {
            check_slice(raw, &p->mentions[i], "@");
        }
        for (uint32_t i = 0; i < p->n_urls; i++) {
            check_slice(raw, &p->urls[i], "");
        }
        for (uint32_t i = 0; i < p->n_cashtags; i++) {
            check_slice(raw, &p->cashtags[i], "$");
        }
        n_tags += p->n_hashtags;
        n_urls += p->n_urls;
        n_ment += p->n_mentions;
        n_cash += p->n_cashtags;
        if (L->kind == ROOST__SIM_RETWEET || L->kind == ROOST__SIM_QUOTE) {
            CHECK(n.n_posts == 2 && n.posts[1].referenced);
            CHECK(n.posts[0].n_refs >= 1);
        }
        roost_buf_reset(&b);
    }
    CHECK(n_ext > 200);
    CHECK(n_tags > 500 && n_urls > 300 && n_ment > 1000 && n_cash > 5);
    CHECK(n_amp > 5 && n_astral > 1000);
    roost_sim_free(s);
    roost_buf_fini(&b);
    roost_norm_fini(&n);
    roost_json_doc_fini(&d);
}

/* Tag counts over n records: map tag -> count. */
struct tagcount {
    char tag[64];
    uint32_t n;
};

static void count_tag(struct tagcount *tc, uint32_t *n_tc, uint32_t cap,
                      struct roost_str t)
{
    for (uint32_t i = 0; i < *n_tc; i++) {
        if (strlen(tc[i].tag) == t.len &&
            memcmp(tc[i].tag, t.ptr, t.len) == 0) {
            tc[i].n++;
            return;
        }
    }
    if (*n_tc < cap && t.len < sizeof(tc[0].tag)) {
        memcpy(tc[*n_tc].tag, t.ptr, t.len);
        tc[*n_tc].tag[t.len] = '\0';
        tc[*n_tc].n = 1;
        (*n_tc)++;
    }
}

static int by_count(const void *a, const void *b)
{
    const struct tagcount *x = a, *y = b;
    if (x->n != y->n) {
        return x->n > y->n ? -1 : 1;
    }
    return strcmp(x->tag, y->tag);
}

static void test_zipf_and_stable_top(void)
{
    struct roost_sim_cfg c;
    roost_sim_cfg_default(&c);
    c.seed = 11;
    c.rate = 4; /* an hour of event time in 14400 posts */
    c.n_users = 20000;
    c.n_hashtags = 2000;
    c.burst.every_s = 0;
    c.limit_every_s = 0;
    struct roost_sim *s = NULL;
    CHECK_INT_EQ(roost_sim_new(&c, &s), 0);
    enum { CAP = 4000 };
    struct tagcount *half[2];
    uint32_t n_half[2] = { 0, 0 };
    half[0] = roost_calloc(CAP, sizeof(struct tagcount));
    half[1] = roost_calloc(CAP, sizeof(struct tagcount));
    struct roost_buf b;
    roost_buf_init(&b, 1u << 24);
    int64_t ms = 0;
    while (roost_sim_next(s, &b, &ms) == 0 && ms < c.start_ms + 3600 * 1000) {
        const struct roost__sim_last *L = roost__sim_last(s);
        int h = ms < c.start_ms + 1800 * 1000 ? 0 : 1;
        if (L->kind == ROOST__SIM_POST || L->kind == ROOST__SIM_QUOTE) {
            for (uint32_t i = 0; i < L->n_hashtags; i++) {
                count_tag(half[h], &n_half[h], CAP, L->hashtags[i]);
            }
        }
        roost_buf_reset(&b);
    }
    for (int h = 0; h < 2; h++) {
        qsort(half[h], n_half[h], sizeof(struct tagcount), by_count);
        CHECK(n_half[h] > 100);
        uint32_t median = half[h][n_half[h] / 2].n;
        CHECK_MSG(half[h][0].n >= 10 * median, "top %u median %u", half[h][0].n,
                  median);
    }
    /* The top 20 of each half hour mostly agree. */
    int same = 0;
    for (int i = 0; i < 20; i++) {
        for (int j = 0; j < 20; j++) {
            same += strcmp(half[0][i].tag, half[1][j].tag) == 0;
        }
    }
    CHECK_MSG(same >= 12, "top-20 overlap %d", same);
    roost_free(half[0]);
    roost_free(half[1]);
    roost_buf_fini(&b);
    roost_sim_free(s);
}

static void test_geo_share(void)
{
    struct roost_sim_cfg c;
    roost_sim_cfg_default(&c);
    c.geo_share = 0.1;
    c.n_users = 20000;
    c.count = 30000;
    struct roost_sim *s = NULL;
    CHECK_INT_EQ(roost_sim_new(&c, &s), 0);
    struct roost_buf b;
    roost_buf_init(&b, 1u << 24);
    uint64_t own = 0, geo = 0;
    while (roost_sim_next(s, &b, NULL) == 0) {
        const struct roost__sim_last *L = roost__sim_last(s);
        if (L->kind == ROOST__SIM_POST || L->kind == ROOST__SIM_QUOTE) {
            own++;
            geo += L->has_geo;
        }
        roost_buf_reset(&b);
    }
    double share = (double)geo / (double)own;
    CHECK_MSG(fabs(share - 0.1) < 0.015, "geo share %f", share);
    roost_buf_fini(&b);
    roost_sim_free(s);
}

static void test_burst_visible(void)
{
    struct roost_sim_cfg c;
    roost_sim_cfg_default(&c);
    c.rate = 50;
    c.n_users = 20000;
    c.burst.every_s = 300;
    c.burst.length_s = 60;
    c.burst.boost = 0.3;
    struct roost_sim *s = NULL;
    CHECK_INT_EQ(roost_sim_new(&c, &s), 0);
    struct roost_buf b;
    roost_buf_init(&b, 1u << 24);
    uint64_t in = 0, in_tag = 0, out = 0, out_tag = 0;
    int64_t ms = 0;
    while (roost_sim_next(s, &b, &ms) == 0 && ms < c.start_ms + 1200 * 1000) {
        const struct roost__sim_last *L = roost__sim_last(s);
        if (L->kind <= ROOST__SIM_QUOTE) {
            double t = (double)(ms - c.start_ms) / 1000.0;
            bool inside = fmod(t, 300) < 60;
            in += inside;
            out += !inside;
            in_tag += inside && L->has_burst_tag;
            out_tag += !inside && L->has_burst_tag;
            if (L->has_burst_tag) {
                const char *want =
                    roost__sim_trend_name(s, (uint64_t)(t / 300));
                bool found = false;
                for (uint32_t i = 0; i < L->n_hashtags; i++) {
                    found |= L->hashtags[i].len == strlen(want) &&
                             memcmp(L->hashtags[i].ptr, want,
                                    L->hashtags[i].len) == 0;
                }
                CHECK(found);
            }
        }
        roost_buf_reset(&b);
    }
    CHECK(in > 1000 && out > 1000);
    CHECK_MSG((double)in_tag / in > 0.1, "%llu/%llu",
              (unsigned long long)in_tag, (unsigned long long)in);
    CHECK_INT_EQ(out_tag, 0);
    roost_buf_fini(&b);
    roost_sim_free(s);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_deletes_name_earlier_posts(void)
{
    struct roost_sim *s = sim_make(3, ROOST_FMT_X1, 20000);
    struct roost_buf b;
    roost_buf_init(&b, 1u << 24);
    uint64_t *seen = roost_calloc(20000, sizeof(*seen));
    size_t n_seen = 0, n_del = 0, n_limit = 0;
    while (roost_sim_next(s, &b, NULL) == 0) {
        const struct roost__sim_last *L = roost__sim_last(s);
        uint64_t id = strtoull(L->id, NULL, 10);
        if (L->kind == ROOST__SIM_DELETE) {
            qsort(seen, n_seen, sizeof(*seen), cmp_u64);
            CHECK(bsearch(&id, seen, n_seen, sizeof(*seen), cmp_u64) != NULL);
            CHECK(strstr(b.ptr, "{\"delete\":{\"status\":{\"id\":") == b.ptr);
            n_del++;
        } else if (L->kind == ROOST__SIM_LIMIT) {
            CHECK(strstr(b.ptr, "{\"limit\":{\"track\":") == b.ptr);
            n_limit++;
        } else {
            seen[n_seen++] = id;
        }
        roost_buf_reset(&b);
    }
    CHECK(n_del > 800 && n_del < 2200);
    (void)n_limit;
    roost_free(seen);
    roost_buf_fini(&b);
    roost_sim_free(s);
}

static void test_limit_notices(void)
{
    struct roost_sim_cfg c;
    roost_sim_cfg_default(&c);
    c.rate = 100;
    c.n_users = 5000;
    c.limit_every_s = 10;
    c.count = 10000; /* ~100 s of event time */
    struct roost_sim *s = NULL;
    CHECK_INT_EQ(roost_sim_new(&c, &s), 0);
    struct roost_buf b;
    roost_buf_init(&b, 1u << 24);
    int n = 0;
    while (roost_sim_next(s, &b, NULL) == 0) {
        n += roost__sim_last(s)->kind == ROOST__SIM_LIMIT;
        roost_buf_reset(&b);
    }
    CHECK_MSG(n >= 8 && n <= 11, "%d limits", n);
    roost_buf_fini(&b);
    roost_sim_free(s);
}

CHECK_LIST(test_deterministic, test_count_and_time, test_bad_config,
           test_buf_limit, test_valid_and_normalizes, test_v1_entities,
           test_zipf_and_stable_top, test_geo_share, test_burst_visible,
           test_deletes_name_earlier_posts, test_limit_notices);
