/* SPDX-License-Identifier: MIT
 *
 * test_src_xsearch.c - search harvesting (src_xsearch.c) against
 * tests/servers/fake_x.py on loopback: v1.1 and v2 pagination collect
 * every result exactly once, the rate-limit sleep lasts the scaled time
 * to the reset, a restart from a position continues without duplicates,
 * polling asks with since_id, and a wrong token is one clear error.
 */
#include <sys/stat.h>

#include "netfake.h"
#include "parse/json.h"
#include "source/src_x.h"

#define MAX_IDS 1024

static char creds_path[256];

static const char *creds(const struct fake *fk, const char *bearer)
{
    snprintf(creds_path, sizeof(creds_path), "%s/x.conf", fk->dir);
    FILE *f = fopen(creds_path, "w");
    CHECK(f != NULL);
    fprintf(f,
            "consumer_key = ck-test\nconsumer_secret = cs-test\n"
            "access_token = at-test\naccess_token_secret = ats-test\n"
            "bearer_token = %s\n",
            bearer);
    fclose(f);
    CHECK(chmod(creds_path, 0600) == 0);
    return creds_path;
}

static struct roost_source *xs_source(const char *resume, const char *fmt, ...)
    ROOST_PRINTF(2, 3);

static struct roost_source *xs_source(const char *resume, const char *fmt, ...)
{
    char spec[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(spec, sizeof(spec), fmt, ap);
    va_end(ap);
    return fake_source(spec, resume);
}

static struct roost_src_x_stats stats_of(struct roost_source *src)
{
    struct roost_src_x_stats st;
    CHECK(roost_src_x_stats(src, &st) == 0);
    return st;
}

struct ids {
    char id[MAX_IDS][32];
    int n;
    int n_dup;
};

/* add_ids - the post ids of every page record in g (from index `from`). */
static void add_ids(struct ids *s, const struct got *g, int from, int ver)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    for (int i = from; i < g->n; i++) {
        CHECK_INT_EQ(g->err[i], 0);
        CHECK(roost_json_parse(&d, g->recs[i], strlen(g->recs[i]), NULL) == 0);
        uint32_t arr = roost_json_get(&d, 0, ver == 1 ? "statuses" : "data");
        CHECK(roost_json_is(&d, arr, ROOST_JSON_ARRAY));
        for (uint32_t k = 0; k < d.toks[arr].len; k++) {
            uint32_t it = roost_json_at(&d, arr, k);
            struct roost_str v = roost_json_str(
                &d, roost_json_get(&d, it, ver == 1 ? "id_str" : "id"));
            CHECK(v.ptr != NULL && v.len < 32);
            char id[32];
            snprintf(id, sizeof(id), "%.*s", (int)v.len, v.ptr);
            bool dup = false;
            for (int j = 0; j < s->n && !dup; j++) {
                dup = strcmp(s->id[j], id) == 0;
            }
            if (dup) {
                s->n_dup++;
                continue;
            }
            CHECK(s->n < MAX_IDS);
            memcpy(s->id[s->n++], id, sizeof(id));
        }
    }
    roost_json_doc_fini(&d);
}

static bool id_after(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    return la != lb ? la > lb : strcmp(a, b) > 0;
}

static const char *newest_of(const struct ids *s, char *out)
{
    out[0] = '\0';
    for (int i = 0; i < s->n; i++) {
        if (id_after(s->id[i], out)) {
            memcpy(out, s->id[i], 32);
        }
    }
    return out;
}

/* drive_to_end - poll until the source ends (ENOENT) or fails. */
static void drive_to_end(struct roost_source *src, struct got *g, int ms)
{
    fake_drive(src, g, NULL, NULL, ms);
}

/* n_lines_with - lines of a fake's log containing needle. */
static int n_lines_with(const struct fake *fk, const char *name,
                        const char *needle)
{
    char *log = fake_read(fk, name);
    int n = 0;
    for (char *l = log; l != NULL && *l != '\0';) {
        char *nl = strchr(l, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        n += strstr(l, needle) != NULL;
        l = nl != NULL ? nl + 1 : NULL;
    }
    free(log);
    return n;
}

static void test_v1_pages_collect_everything_once(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "60", NULL);
    struct roost_source *src =
        xs_source(NULL,
                  "xsearch:v1?q=covid%%20lang:en&count=7&credentials=%s"
                  "&url=http://127.0.0.1:%d/1.1/search/tweets.json",
                  creds(&fk, "b"), fk.port);
    struct got g = { 0 };
    drive_to_end(src, &g, 10000);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    struct ids *s = calloc(1, sizeof(*s));
    add_ids(s, &g, 0, 1);
    CHECK_INT_EQ(s->n, 60);
    CHECK_INT_EQ(s->n_dup, 0);
    CHECK_INT_EQ(fake_count_lines(&fk, "sent.log"), 60);
    struct roost_src_x_stats st = stats_of(src);
    CHECK_INT_EQ(st.n_pages, 9); /* 8 full pages of 7 and one of 4 */
    CHECK_INT_EQ(g.n, 9);
    CHECK_INT_EQ(n_lines_with(&fk, "attempts.log", "max_id="), 8);
    CHECK_INT_EQ(n_lines_with(&fk, "attempts.log", "q=covid+lang%3Aen"), 9);
    /* the last position closes the round: since = the newest id */
    char newest[32], want[96];
    snprintf(want, sizeof(want), "xsearch\tv1\t%s\t\t\t", newest_of(s, newest));
    CHECK_STR_EQ(g.pos[g.n - 1], want);
    free(s);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_v2_pages_collect_everything_once(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "45", NULL);
    struct roost_source *src =
        xs_source(NULL,
                  "xsearch:v2?query=brexit&count=10&credentials=%s"
                  "&url=http://127.0.0.1:%d/2/tweets/search/recent",
                  creds(&fk, "bearer-test"), fk.port);
    struct got g = { 0 };
    drive_to_end(src, &g, 10000);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    struct ids *s = calloc(1, sizeof(*s));
    add_ids(s, &g, 0, 2);
    CHECK_INT_EQ(s->n, 45);
    CHECK_INT_EQ(s->n_dup, 0);
    CHECK_INT_EQ(fake_count_lines(&fk, "sent.log"), 45);
    CHECK_INT_EQ(stats_of(src).n_pages, 5);
    CHECK_INT_EQ(n_lines_with(&fk, "attempts.log", "next_token="), 4);
    CHECK_INT_EQ(n_lines_with(&fk, "attempts.log", "tweet.fields=attach"), 5);
    CHECK(strncmp(g.pos[0], "xsearch\tv2\t\t", 12) == 0);
    free(s);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

/* The wait after remaining hits 0 is the scaled time to the reset. */
static void test_rate_limit_sleep_is_scaled_reset(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "40",
               "--search-limit", "2", "--reset-s", "1", NULL);
    struct roost_source *src =
        xs_source(NULL,
                  "xsearch:v1?q=covid&count=10&credentials=%s&time-scale=0.5"
                  "&url=http://127.0.0.1:%d/1.1/search/tweets.json",
                  creds(&fk, "b"), fk.port);
    struct got g = { 0 };
    drive_to_end(src, &g, 15000);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    struct ids *s = calloc(1, sizeof(*s));
    add_ids(s, &g, 0, 1);
    CHECK_INT_EQ(s->n, 40);
    CHECK_INT_EQ(s->n_dup, 0);
    struct roost_src_x_stats st = stats_of(src);
    CHECK(st.n_sleeps >= 1);
    /* reset is whole seconds 1-2 s ahead; scaled by 0.5 */
    CHECK_MSG(st.delays_ms[0] >= 0 && st.delays_ms[0] <= 1000, "%lld",
              (long long)st.delays_ms[0]);
    /* measured: from the second request to the third, at the server */
    char *log = fake_read(&fk, "attempts.log");
    long long t[3] = { 0, 0, 0 };
    char *l = log;
    for (int i = 0; i < 3 && l != NULL; i++) {
        CHECK(sscanf(l, "%lld", &t[i]) == 1);
        l = strchr(l, '\n');
        l = l != NULL ? l + 1 : NULL;
    }
    free(log);
    long long waited = t[2] - t[1];
    CHECK_MSG(waited >= st.delays_ms[0] - 20 && waited <= st.delays_ms[0] + 250,
              "waited %lld ms for a %lld ms sleep", waited,
              (long long)st.delays_ms[0]);
    /* no tight loop on 429: each one sleeps >= 0.5 s (scaled 1 s) */
    CHECK(n_lines_with(&fk, "attempts.log", " 429 ") <= 6);
    free(s);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static bool n_recs_at_least(const struct got *g, void *arg)
{
    return g->n >= *(const int *)arg;
}

static void resume_case(int ver)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "50", NULL);
    const char *c = creds(&fk, ver == 1 ? "b" : "bearer-test");
    char spec[1024];
    snprintf(spec, sizeof(spec),
             ver == 1 ? "xsearch:v1?q=covid&count=10&credentials=%s"
                        "&url=http://127.0.0.1:%d/1.1/search/tweets.json"
                      : "xsearch:v2?query=brexit&count=10&credentials=%s"
                        "&url=http://127.0.0.1:%d/2/tweets/search/recent",
             c, fk.port);
    struct roost_source *a = xs_source(NULL, "%s", spec);
    struct got g = { 0 };
    int two = 2;
    CHECK(fake_drive(a, &g, n_recs_at_least, &two, 10000));
    CHECK_INT_EQ(g.n, 2);
    char pos[1024];
    snprintf(pos, sizeof(pos), "%s", g.pos[g.n - 1]);
    fake_source_free(a); /* "restart" */
    int n_before = fake_count_lines(&fk, "attempts.log");
    struct roost_source *b = xs_source(pos, "%s", spec);
    drive_to_end(b, &g, 10000);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    struct ids *s = calloc(1, sizeof(*s));
    add_ids(s, &g, 0, ver);
    CHECK_INT_EQ(s->n, 50);
    CHECK_INT_EQ(s->n_dup, 0);
    struct roost_src_x_stats st = stats_of(b);
    CHECK_INT_EQ(st.n_dups + st.n_old, 0);
    CHECK_INT_EQ(st.n_pages, 3); /* pages 3..5 only */
    char *log = fake_read(&fk, "attempts.log");
    char *first = log;
    for (int i = 0; i < n_before && first != NULL; i++) {
        first = strchr(first, '\n');
        first = first != NULL ? first + 1 : NULL;
    }
    CHECK(first != NULL);
    CHECK_MSG(strstr(first, ver == 1 ? "max_id=" : "next_token=20") != NULL,
              "%.300s", first);
    free(log);
    free(s);
    got_free(&g);
    fake_source_free(b);
    fake_stop(&fk);
}

static void test_v1_resume_continues_without_duplicates(void)
{
    resume_case(1);
}

static void test_v2_resume_continues_without_duplicates(void)
{
    resume_case(2);
}

/* A page over max-record is split; a restart from inside a page drops
 * what its first records held (the floor) and keeps the rest. */
static void test_split_page_resumes_inside_the_page(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "30", NULL);
    char spec[1024];
    snprintf(spec, sizeof(spec),
             "xsearch:v1?q=covid&count=10&credentials=%s&max-record=16KiB"
             "&url=http://127.0.0.1:%d/1.1/search/tweets.json",
             creds(&fk, "b"), fk.port);
    struct roost_source *a = xs_source(NULL, "%s", spec);
    struct got g = { 0 };
    drive_to_end(a, &g, 10000);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    CHECK_INT_EQ(stats_of(a).n_pages, 3);
    CHECK_MSG(g.n > 3, "%d records", g.n);
    for (int i = 0; i < g.n; i++) {
        CHECK(strlen(g.recs[i]) <= 16384);
    }
    struct ids *s = calloc(1, sizeof(*s));
    add_ids(s, &g, 0, 1);
    CHECK_INT_EQ(s->n, 30);
    CHECK_INT_EQ(s->n_dup, 0);
    fake_source_free(a);
    /* restart after the first record: inside page 1 */
    char pos[1024];
    snprintf(pos, sizeof(pos), "%s", g.pos[0]);
    CHECK_MSG(pos[strlen(pos) - 1] != '\t', "not a mid-page position: %s", pos);
    for (int i = 1; i < g.n; i++) {
        free(g.recs[i]);
        free(g.pos[i]);
    }
    g.n = 1;
    struct roost_source *b = xs_source(pos, "%s", spec);
    drive_to_end(b, &g, 10000);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    memset(s, 0, sizeof(*s));
    add_ids(s, &g, 0, 1);
    CHECK_INT_EQ(s->n, 30);
    CHECK_INT_EQ(s->n_dup, 0);
    CHECK(stats_of(b).n_old > 0);
    free(s);
    got_free(&g);
    fake_source_free(b);
    fake_stop(&fk);
}

static bool attempts_at_least(const struct got *g, void *arg)
{
    void **a = arg;
    (void)g;
    return stats_of(a[0]).n_attempts >= *(const uint64_t *)a[1];
}

static void test_polling_asks_with_since_id(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "20", NULL);
    struct roost_source *src =
        xs_source(NULL,
                  "xsearch:v2?query=brexit&count=10&credentials=%s"
                  "&interval=50ms"
                  "&url=http://127.0.0.1:%d/2/tweets/search/recent",
                  creds(&fk, "bearer-test"), fk.port);
    struct got g = { 0 };
    uint64_t want = 5;
    void *arg[2] = { src, &want };
    CHECK(fake_drive(src, &g, attempts_at_least, arg, 10000));
    struct ids *s = calloc(1, sizeof(*s));
    add_ids(s, &g, 0, 2);
    CHECK_INT_EQ(s->n, 20);
    CHECK_INT_EQ(s->n_dup, 0);
    /* rounds after the first ask only for what is newer than the newest */
    char needle[64];
    char newest[32];
    snprintf(needle, sizeof(needle), "since_id=%s", newest_of(s, newest));
    CHECK(n_lines_with(&fk, "attempts.log", needle) >= 2);
    free(s);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_wrong_token_one_clear_error(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", NULL);
    struct roost_source *src =
        xs_source(NULL,
                  "xsearch:v2?query=brexit&credentials=%s&time-scale=0.001"
                  "&auth-retries=2"
                  "&url=http://127.0.0.1:%d/2/tweets/search/recent",
                  creds(&fk, "wrong"), fk.port);
    struct got g = { 0 };
    drive_to_end(src, &g, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_EIO);
    CHECK_INT_EQ(g.n, 0);
    struct roost_src_x_stats st = stats_of(src);
    CHECK_INT_EQ(st.n_auth_refused, 3); /* the first + 2 retries */
    CHECK_INT_EQ(st.n_attempts, 3);
    CHECK_INT_EQ(st.delays_ms[0], 5);
    CHECK_INT_EQ(st.delays_ms[1], 10);
    CHECK_INT_EQ(st.last_status, 401);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

CHECK_LIST(test_v1_pages_collect_everything_once,
           test_v2_pages_collect_everything_once,
           test_rate_limit_sleep_is_scaled_reset,
           test_v1_resume_continues_without_duplicates,
           test_v2_resume_continues_without_duplicates,
           test_split_page_resumes_inside_the_page,
           test_polling_asks_with_since_id, test_wrong_token_one_clear_error);
