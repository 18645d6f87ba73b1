/* SPDX-License-Identifier: MIT
 *
 * test_src_x.c - the X sources against tests/servers/fake_x.py on
 * loopback: X's limits checked before connecting, OAuth signatures the
 * server verifies, the exact reconnect delays per failure class (time
 * scaled down), stalls, gap records, nothing lost or duplicated across a
 * disconnect, delimited=length, a wrong token's bounded retry, v2 backfill
 * and rules, search pagination and rate-limit sleeps.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "netfake.h"
#include "source/src_x.h"

static char creds_path[256];

/* A 0600 credentials file matching fake_x.py's defaults. */
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

static struct roost_source *x_source(const char *fmt, ...) ROOST_PRINTF(1, 2);

static struct roost_source *x_source(const char *fmt, ...)
{
    char spec[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(spec, sizeof(spec), fmt, ap);
    va_end(ap);
    return fake_source(spec, NULL);
}

static struct roost_src_x_stats stats_of(struct roost_source *src)
{
    struct roost_src_x_stats st;
    CHECK(roost_src_x_stats(src, &st) == 0);
    return st;
}

/* n_posts - records holding a post id (not gap or control records). */
static int n_posts(const struct got *g, const char *id_key)
{
    return got_count(g, id_key);
}

/* ids_unique - every id_str in the records appears once. */
static bool ids_unique(const struct got *g, const char *key)
{
    for (int i = 0; i < g->n; i++) {
        const char *a = strstr(g->recs[i], key);
        if (a == NULL || strstr(g->recs[i], "roost_gap") != NULL ||
            g->err[i] != 0) {
            continue;
        }
        char id[40];
        if (sscanf(a + strlen(key), "%39[0-9]", id) != 1) {
            continue;
        }
        for (int j = i + 1; j < g->n; j++) {
            const char *b = strstr(g->recs[j], key);
            if (b != NULL && g->err[j] == 0 &&
                strncmp(b + strlen(key), id, strlen(id)) == 0 &&
                !((b + strlen(key))[strlen(id)] >= '0' &&
                  (b + strlen(key))[strlen(id)] <= '9')) {
                return false;
            }
        }
    }
    return true;
}

struct want_stats {
    struct roost_source *src;
    uint64_t n_delays;
    int n_recs;
};

static bool stats_reached(const struct got *g, void *arg)
{
    struct want_stats *w = arg;
    struct roost_src_x_stats st = stats_of(w->src);
    return st.n_delays >= w->n_delays && g->n >= w->n_recs;
}

/* ---- x1 -------------------------------------------------------------------
 */

static void test_x1_limits_checked_before_connecting(void)
{
    /* no server at all: every check must fail before any connection */
    struct roost_source *src = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    static const char *bad_specs[] = {
        "x1:http://127.0.0.1:9/1.1/statuses/filter.json",
        "x1:http://127.0.0.1:9/1.1/statuses/filter.json?locations=1,2,3",
        "x1:http://127.0.0.1:9/1.1/statuses/filter.json?locations=10,10,5,5",
        "x1:http://127.0.0.1:9/1.1/statuses/filter.json?follow=12,ab",
        "x1:http://127.0.0.1:9/1.1/statuses/filter.json?track=a&delimited=x",
    };
    setenv("X_CONSUMER_KEY", "k", 1);
    setenv("X_CONSUMER_SECRET", "s", 1);
    setenv("X_ACCESS_TOKEN", "t", 1);
    setenv("X_ACCESS_TOKEN_SECRET", "ts", 1);
    for (size_t i = 0; i < sizeof(bad_specs) / sizeof(bad_specs[0]); i++) {
        CHECK(roost_source_new(bad_specs[i], &src, &d) == 0);
        CHECK_MSG(src->ops->open(src) == ROOST_EINVAL, "%s", bad_specs[i]);
        src->ops->close(src);
        roost_source_free(src);
    }
    /* 401 phrases, 5001 ids, 26 boxes, given as @FILE lists */
    struct roost_buf s;
    roost_buf_init(&s, 1 << 20);
    const char *lists[] = { "track", "follow", "locations" };
    char path[] = "/tmp/roost-x1list.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    for (int k = 0; k < 3; k++) {
        int lim = k == 0 ? 400 : k == 1 ? 5000 : 25;
        for (int over = 1; over >= 0; over--) {
            FILE *f = fopen(path, "w");
            CHECK(f != NULL);
            for (int i = 0; i < lim + over; i++) {
                if (k == 2) {
                    fprintf(f, "%s-1,-1,1,1", i ? "," : "");
                } else {
                    fprintf(f, "%d\n", 100 + i);
                }
            }
            fclose(f);
            roost_buf_reset(&s);
            roost_buf_printf(&s, "x1:http://127.0.0.1:9/f.json?%s=@%s",
                             lists[k], path);
            CHECK(roost_source_new(s.ptr, &src, &d) == 0);
            int rc = src->ops->open(src);
            CHECK_MSG(rc == (over ? ROOST_EINVAL : 0), "%s %d: %d", lists[k],
                      lim + over, rc);
            src->ops->close(src);
            roost_source_free(src);
        }
    }
    unlink(path);
    roost_buf_fini(&s);
}

static void test_x1_signed_stream_delivers_everything(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "120", "--script",
               "hold", "--limit-every", "50", "--warning", NULL);
    struct roost_source *src =
        x_source("x1:http://127.0.0.1:%d/1.1/statuses/filter.json?track=covid,"
                 "new%%20year&stall_warnings=true&credentials=%s",
                 fk.port, creds(&fk, "b"));
    struct got g = { 0 };
    int want = 120 + 1 + 2; /* posts, the warning, two limit notices */
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    char *log = fake_read(&fk, "attempts.log");
    CHECK_MSG(strstr(log, "auth:ok") != NULL, "%s", log);
    CHECK(strstr(log, "stall_warnings=true") != NULL);
    CHECK(strstr(log, "track=covid%2Cnew+year") != NULL);
    free(log);
    CHECK_INT_EQ(n_posts(&g, "\"id_str\""), 120);
    struct roost_src_x_stats st = stats_of(src);
    CHECK_INT_EQ(st.n_warnings, 1);
    CHECK_INT_EQ(st.n_undelivered, 14);
    CHECK(st.n_keepalives >= 1);
    CHECK_INT_EQ(st.n_connects, 1);
    CHECK(strncmp(g.pos[g.n - 1], "x1\t", 3) == 0);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_x1_one_stream_per_credential(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", NULL);
    const char *c = creds(&fk, "b");
    struct roost_source *a = x_source(
        "x1:http://127.0.0.1:%d/1.1/statuses/sample.json?credentials=%s",
        fk.port, c);
    struct roost_source *b = NULL;
    char spec[512];
    snprintf(spec, sizeof(spec),
             "x1:http://127.0.0.1:%d/1.1/statuses/sample.json?credentials=%s",
             fk.port, c);
    CHECK(roost_source_new(spec, &b, NULL) == 0);
    CHECK_INT_EQ(b->ops->open(b), ROOST_EINVAL);
    b->ops->close(b);
    fake_source_free(a);
    /* released at close */
    CHECK_INT_EQ(b->ops->open(b), 0);
    b->ops->close(b);
    roost_source_free(b);
    fake_stop(&fk);
}

/* The exact sequence of one failure class, at time-scale 0.001. */
static void backoff_case(const char *script, int n, const int64_t *want)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--script", script, NULL);
    struct roost_source *src = x_source(
        "x1:http://127.0.0.1:%d/1.1/statuses/sample.json?credentials=%s"
        "&time-scale=0.001&auth-retries=100",
        fk.port, creds(&fk, "b"));
    struct got g = { 0 };
    struct want_stats w = { src, (uint64_t)n, 0 };
    CHECK(fake_drive(src, &g, stats_reached, &w, 15000));
    struct roost_src_x_stats st = stats_of(src);
    for (int i = 0; i < n; i++) {
        CHECK_MSG(st.delays_ms[i] == want[i], "%s: delay %d is %lld, not %lld",
                  script, i, (long long)st.delays_ms[i], (long long)want[i]);
    }
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_x1_backoff_http_503(void)
{
    /* 5 s doubling to 320 s, scaled by 0.001 */
    static const int64_t want[] = { 5, 10, 20, 40, 80, 160, 320, 320 };
    backoff_case("503", 8, want);
}

static void test_x1_backoff_rate_420(void)
{
    static const int64_t want[] = { 60, 120, 240, 480 };
    backoff_case("420", 4, want);
}

static void test_x1_backoff_net(void)
{
    /* accepted and closed without a response: TCP/IP level */
    static const int64_t want[] = { 0, 0, 1, 1, 1, 2, 2, 2 };
    (void)want;
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--script", "close", NULL);
    struct roost_source *src = x_source(
        "x1:http://127.0.0.1:%d/1.1/statuses/sample.json?credentials=%s"
        "&time-scale=0.01",
        fk.port, creds(&fk, "b"));
    struct got g = { 0 };
    struct want_stats w = { src, 10, 0 };
    CHECK(fake_drive(src, &g, stats_reached, &w, 15000));
    struct roost_src_x_stats st = stats_of(src);
    for (int i = 0; i < 10; i++) {
        /* 250 ms more per attempt, scaled by 0.01 */
        int64_t d = (int64_t)((i + 1) * 250 * 0.01 + 0.5);
        CHECK_MSG(st.delays_ms[i] == d, "net delay %d: %lld != %lld", i,
                  (long long)st.delays_ms[i], (long long)d);
    }
    CHECK(st.n_net_errors >= 10);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_x1_drop_reconnects_at_once_with_gap(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "90", "--script",
               "ok:30,cut:30,hold", "--limit-every", "20", NULL);
    struct roost_source *src = x_source(
        "x1:http://127.0.0.1:%d/1.1/statuses/sample.json?credentials=%s"
        "&time-scale=0.001",
        fk.port, creds(&fk, "b"));
    struct got g = { 0 };
    int want = 90 + 2 + 1 + 3; /* posts, gaps, the cut one, limits */
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    struct roost_src_x_stats st = stats_of(src);
    CHECK_INT_EQ(st.n_drops, 2);
    CHECK_INT_EQ(st.delays_ms[0], 0);
    CHECK_INT_EQ(st.delays_ms[1], 0);
    CHECK_INT_EQ(st.n_gaps, 2);
    CHECK_INT_EQ(st.n_partial, 1);
    CHECK_INT_EQ(got_count(&g, "\"roost_gap\""), 2);
    CHECK_INT_EQ(got_count(&g, "\"undelivered\":7"), 2);
    /* every post once: the cut one came again whole, flagged copy aside */
    char *sent = fake_read(&fk, "sent.log");
    int n_sent = 0;
    for (char *p = sent; *p != '\0'; p++) {
        n_sent += *p == '\n';
    }
    free(sent);
    int n_ok = 0;
    for (int i = 0; i < g.n; i++) {
        n_ok += g.err[i] == 0 && strstr(g.recs[i], "\"id_str\"") != NULL &&
                strstr(g.recs[i], "roost_gap") == NULL;
    }
    CHECK_INT_EQ(n_ok, 90);
    CHECK_INT_EQ(n_sent, 90);
    CHECK(ids_unique(&g, "\"id_str\":\""));
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_x1_stall_detected(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "40", "--script",
               "stall:20,hold", NULL);
    struct roost_source *src = x_source(
        "x1:http://127.0.0.1:%d/1.1/statuses/sample.json?credentials=%s"
        "&stall-timeout=300ms",
        fk.port, creds(&fk, "b"));
    struct got g = { 0 };
    int want = 41;
    int64_t t0 = fake_now_ms();
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    struct roost_src_x_stats st = stats_of(src);
    CHECK_INT_EQ(st.n_stalls, 1);
    CHECK_INT_EQ(st.delays_ms[0], 0);
    CHECK(fake_now_ms() - t0 >= 300);
    CHECK_INT_EQ(got_count(&g, "stall: no data"), 1);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_x1_delimited_length(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "50", "--script",
               "cut:25,hold", "--warning", NULL);
    struct roost_source *src =
        x_source("x1:http://127.0.0.1:%d/1.1/statuses/filter.json?follow=1,2"
                 "&delimited=length&credentials=%s&time-scale=0.001",
                 fk.port, creds(&fk, "b"));
    struct got g = { 0 };
    int want = 50 + 2 + 1 + 1; /* posts, warnings, gap, cut one */
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    int n_ok = 0;
    for (int i = 0; i < g.n; i++) {
        CHECK_MSG(g.recs[i][0] == '{', "record %d: %.40s", i, g.recs[i]);
        n_ok += g.err[i] == 0 && strstr(g.recs[i], "\"id_str\"") != NULL &&
                strstr(g.recs[i], "roost_gap") == NULL;
    }
    CHECK_INT_EQ(n_ok, 50);
    CHECK(ids_unique(&g, "\"id_str\":\""));
    char *log = fake_read(&fk, "attempts.log");
    CHECK(strstr(log, "delimited=length") != NULL);
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_x1_wrong_token_bounded(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--token-secret", "other",
               NULL);
    struct roost_source *src = x_source(
        "x1:http://127.0.0.1:%d/1.1/statuses/sample.json?credentials=%s"
        "&time-scale=0.001&auth-retries=2",
        fk.port, creds(&fk, "b"));
    struct got g = { 0 };
    fake_drive(src, &g, NULL, NULL, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_EIO);
    struct roost_src_x_stats st = stats_of(src);
    CHECK_INT_EQ(st.n_auth_refused, 3); /* the first + 2 retries */
    CHECK_INT_EQ(st.delays_ms[0], 5);
    CHECK_INT_EQ(st.delays_ms[1], 10);
    CHECK_INT_EQ(fake_count_lines(&fk, "attempts.log"), 3);
    char *log = fake_read(&fk, "attempts.log");
    CHECK(strstr(log, "bad signature") != NULL);
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

/* ---- x2 -------------------------------------------------------------------
 */

static void test_x2_backfill_fills_gap_without_duplicates(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "60", "--script",
               "cut:20,disc:15,hold", "--overlap", "5", NULL);
    struct roost_source *src =
        x_source("x2:http://127.0.0.1:%d/2/tweets/search/stream?backfill=2"
                 "&credentials=%s&time-scale=0.001",
                 fk.port, creds(&fk, "bearer-test"));
    struct got g = { 0 };
    struct want_stats w = { src, 2, 0 };
    int64_t deadline = fake_now_ms() + 10000;
    int n_ok = 0;
    while (n_ok < 60 && fake_now_ms() < deadline) {
        fake_drive(src, &g, stats_reached, &w, 200);
        n_ok = 0;
        for (int i = 0; i < g.n; i++) {
            n_ok += g.err[i] == 0 && strstr(g.recs[i], "\"data\"") != NULL;
        }
    }
    CHECK_INT_EQ(n_ok, 60);
    CHECK(ids_unique(&g, "\"data\": {\"id\": \""));
    struct roost_src_x_stats st = stats_of(src);
    CHECK(st.n_dups >= 5);
    CHECK_INT_EQ(st.n_gaps, 2);
    CHECK_INT_EQ(st.n_disconnects, 1);
    CHECK_INT_EQ(got_count(&g, "operational-disconnect"), 2);
    CHECK(got_count(&g, "\"matching_rules\"") >= 60);
    char *log = fake_read(&fk, "attempts.log");
    CHECK(strstr(log, "tweet.fields=attachments") != NULL);
    CHECK(strstr(log, "expansions=") != NULL);
    /* backfill only on reconnects */
    char *first = strstr(log, "/2/tweets/search/stream");
    CHECK(first != NULL);
    char *nl = strchr(first, '\n');
    CHECK(nl != NULL);
    *nl = '\0';
    CHECK(strstr(first, "backfill") == NULL);
    nl++;
    CHECK(strstr(nl, "backfill_minutes=2") != NULL);
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_x2_wrong_token_bounded(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", NULL);
    struct roost_source *src =
        x_source("x2:http://127.0.0.1:%d/2/tweets/search/stream?credentials=%s"
                 "&time-scale=0.001&auth-retries=3",
                 fk.port, creds(&fk, "wrong"));
    struct got g = { 0 };
    fake_drive(src, &g, NULL, NULL, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_EIO);
    struct roost_src_x_stats st = stats_of(src);
    CHECK_INT_EQ(st.n_auth_refused, 4);
    CHECK_INT_EQ(fake_count_lines(&fk, "attempts.log"), 4);
    static const int64_t want[] = { 5, 10, 20 };
    for (int i = 0; i < 3; i++) {
        CHECK_INT_EQ(st.delays_ms[i], want[i]);
    }
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_x2_rules_round_trip(void)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", NULL);
    const char *c = creds(&fk, "bearer-test");
    char base[64];
    snprintf(base, sizeof(base), "http://127.0.0.1:%d", fk.port);
    struct roost_buf out;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    roost_buf_init(&out, 1 << 20);
    const char *add[] = { "covid lang:en#covid", "\"new year\" -is:retweet" };
    CHECK_INT_EQ(
        roost_x2_rules(base, c, ROOST_X2_RULES_DRY_RUN, add, 2, &out, &d), 0);
    CHECK(strstr(out.ptr, "\"created\": 2") != NULL);
    roost_buf_reset(&out);
    CHECK_INT_EQ(
        roost_x2_rules(base, c, ROOST_X2_RULES_LIST, NULL, 0, &out, &d), 0);
    CHECK(strstr(out.ptr, "\"result_count\": 0") != NULL); /* dry run */
    roost_buf_reset(&out);
    CHECK_INT_EQ(roost_x2_rules(base, c, ROOST_X2_RULES_ADD, add, 2, &out, &d),
                 0);
    roost_buf_reset(&out);
    CHECK_INT_EQ(
        roost_x2_rules(base, c, ROOST_X2_RULES_LIST, NULL, 0, &out, &d), 0);
    CHECK(strstr(out.ptr, "\"value\": \"covid lang:en\", \"tag\": "
                          "\"covid\"") != NULL);
    CHECK(strstr(out.ptr, "\\\"new year\\\" -is:retweet") != NULL);
    const char *del[] = { "3" };
    roost_buf_reset(&out);
    CHECK_INT_EQ(
        roost_x2_rules(base, c, ROOST_X2_RULES_DELETE, del, 1, &out, &d), 0);
    CHECK(strstr(out.ptr, "\"deleted\": 1") != NULL);
    char *rules = fake_read(&fk, "rules.json");
    CHECK(strstr(rules, "covid lang:en") == NULL);
    CHECK(strstr(rules, "new year") != NULL);
    free(rules);
    /* a refused token is an error with the server's words */
    const char *bad = creds(&fk, "nope");
    roost_buf_reset(&out);
    CHECK_INT_EQ(
        roost_x2_rules(base, bad, ROOST_X2_RULES_LIST, NULL, 0, &out, &d),
        ROOST_EIO);
    CHECK(strstr(d.msg, "HTTP 401") != NULL);
    roost_buf_fini(&out);
    fake_stop(&fk);
}

/* n_with_id - records holding post id (the stream's compact JSON or the
 * search page's "id_str": "..." form). */
static int n_with_id(const struct got *g, const char *id, size_t len)
{
    char a[64];
    char b[64];
    int n = 0;
    snprintf(a, sizeof(a), "\"id_str\":\"%.*s\"", (int)len, id);
    snprintf(b, sizeof(b), "\"id_str\": \"%.*s\"", (int)len, id);
    for (int i = 0; i < g->n; i++) {
        n += g->err[i] == 0 &&
             (strstr(g->recs[i], a) != NULL || strstr(g->recs[i], b) != NULL);
    }
    return n;
}

/* ids_seen - *n_once / *n_none: ids of the log file found once / never. */
static int ids_seen(const struct fake *fk, const struct got *g, const char *log,
                    int *n_once, int *n_none)
{
    char *text = fake_read(fk, log);
    int n = 0;
    for (char *p = text; *p != '\0';) {
        char *nl = strchr(p, '\n');
        CHECK(nl != NULL);
        int k = n_with_id(g, p, (size_t)(nl - p));
        *n_once += k == 1;
        *n_none += k == 0;
        n++;
        p = nl + 1;
    }
    free(text);
    return n;
}

/* fill_case - a drop loses 10 of 90 posts; returns the posts received. */
static int fill_case(const char *fill, const char *search_limit,
                     struct roost_src_x_stats *st, bool *all_skipped_once,
                     bool *none_skipped)
{
    struct fake fk;
    fake_start(&fk, "fake_x.py", "--dir", "@DIR", "--count", "90", "--script",
               "ok:30,hold", "--skip", "10", "--sorted", "--search-limit",
               search_limit, NULL);
    struct roost_source *src = x_source(
        "x1:http://127.0.0.1:%d/1.1/statuses/filter.json?track=covid,new%%20"
        "year&credentials=%s&time-scale=0.001%s"
        "&search-url=http://127.0.0.1:%d/1.1/search/tweets.json",
        fk.port, creds(&fk, "b"), fill, fk.port);
    struct got g = { 0 };
    int want = 90 + 1; /* posts and the gap record */
    fake_drive(src, &g, got_at_least, &want, 1500);
    *st = stats_of(src);
    int n_ok = 0;
    for (int i = 0; i < g.n; i++) {
        n_ok += g.err[i] == 0 && strstr(g.recs[i], "\"id_str\"") != NULL &&
                strstr(g.recs[i], "roost_gap") == NULL;
    }
    /* every id the stream sent arrives once (search-logged ones again) */
    int once = 0;
    int none = 0;
    int n_sent = ids_seen(&fk, &g, "sent.log", &once, &none);
    CHECK(n_sent >= 80);
    CHECK_INT_EQ(once, n_sent);
    once = 0;
    none = 0;
    CHECK_INT_EQ(ids_seen(&fk, &g, "skipped.log", &once, &none), 10);
    *all_skipped_once = once == 10;
    *none_skipped = none == 10;
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
    return n_ok;
}

static void test_x1_fill_gaps_from_search(void)
{
    struct roost_src_x_stats st;
    bool once;
    bool none;
    /* without fill-gaps the 10 lost posts stay lost */
    CHECK_INT_EQ(fill_case("", "180", &st, &once, &none), 80);
    CHECK(none);
    CHECK_INT_EQ(st.n_gaps, 1);
    CHECK_INT_EQ(st.n_pages, 0);
    /* with it, search returns them: every generated post exactly once */
    CHECK_INT_EQ(fill_case("&fill-gaps=true", "180", &st, &once, &none), 90);
    CHECK(once);
    CHECK_INT_EQ(st.n_gaps, 1);
    CHECK(st.n_pages >= 1);
    /* rate-limited search: the fill gives up at once, nothing waits */
    CHECK_INT_EQ(fill_case("&fill-gaps=true", "0", &st, &once, &none), 80);
    CHECK(none);
    CHECK_INT_EQ(st.n_rate_limited, 1);
}

CHECK_LIST(test_x1_limits_checked_before_connecting,
           test_x1_signed_stream_delivers_everything,
           test_x1_one_stream_per_credential, test_x1_backoff_http_503,
           test_x1_backoff_rate_420, test_x1_backoff_net,
           test_x1_drop_reconnects_at_once_with_gap, test_x1_stall_detected,
           test_x1_delimited_length, test_x1_wrong_token_bounded,
           test_x1_fill_gaps_from_search,
           test_x2_backfill_fills_gap_without_duplicates,
           test_x2_wrong_token_bounded, test_x2_rules_round_trip);
