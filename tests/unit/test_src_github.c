/* SPDX-License-Identifier: MIT
 *
 * test_src_github.c - the GitHub events source against
 * tests/servers/fake_github.py: events oldest first and once each across
 * overlapping pages, If-None-Match/304, X-Poll-Interval, an overrun gap,
 * resume, errors with backoff, a refused token (bounded).
 */
#include "netfake.h"

static void spec(char *out, size_t cap, const struct fake *fk, const char *opts)
{
    snprintf(out, cap, "github:http://127.0.0.1:%d/repos/octo/hello/events?%s",
             fk->port, opts);
}

/* check_ids - event ids strictly increasing, from first to last. */
static void check_ids(const struct got *g, long long first, long long last)
{
    long long prev = first - 1;
    int n = 0;
    for (int i = 0; i < g->n; i++) {
        const char *id = strstr(g->recs[i], "\"id\": \"");
        if (strstr(g->recs[i], "roost_gap") != NULL) {
            continue;
        }
        CHECK(id != NULL);
        long long v = strtoll(id + 7, NULL, 10);
        CHECK_MSG(v == prev + 1, "id %lld after %lld", v, prev);
        prev = v;
        n++;
    }
    CHECK_INT_EQ(prev, last);
    CHECK_INT_EQ(n, last - first + 1);
}

static void test_polls_once_each(void)
{
    struct fake fk;
    fake_start(&fk, "fake_github.py", "--initial", "10", "--per-poll", "5",
               "--total", "40", "--log", "@DIR/req.log", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, "interval=50ms&per-page=20");
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = 40;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    fake_drive(src, &g, NULL, NULL, 300);
    check_ids(&g, 40000000000ll, 40000000039ll);
    CHECK(strcmp(g.pos[g.n - 1], "github\t40000000039") == 0);
    /* after the feed stopped growing: 304s, with If-None-Match */
    char *log = fake_read(&fk, "req.log");
    CHECK(strncmp(log, "/repos/octo/hello/events?per_page=20 inm=no\n", 44) ==
          0);
    CHECK(strstr(log + 44, "inm=no") == NULL);
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_poll_interval_honoured(void)
{
    struct fake fk;
    fake_start(&fk, "fake_github.py", "--poll-interval", "10", "--log",
               "@DIR/req.log", NULL);
    char s[256];
    /* 10 s asked by the server, scaled by 0.02: 200 ms between polls */
    spec(s, sizeof(s), &fk, "interval=10ms&time-scale=0.02");
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    fake_drive(src, &g, NULL, NULL, 700);
    int n = fake_count_lines(&fk, "req.log");
    CHECK_MSG(n >= 3 && n <= 5, "%d polls in 700 ms", n);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_overrun_gap_and_resume(void)
{
    struct fake fk;
    fake_start(&fk, "fake_github.py", "--initial", "10", "--per-poll", "15",
               "--total", "25", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, "interval=50ms&per-page=10");
    /* resume after event 5: the first page (0..9) continues it */
    struct roost_source *src = fake_source(s, "github\t40000000005");
    struct got g = { 0 };
    int want = 4 + 10 + 1;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    fake_drive(src, &g, NULL, NULL, 200);
    CHECK_INT_EQ(g.n, 15);
    CHECK(strstr(g.recs[0], "\"id\": \"40000000006\"") != NULL);
    /* 15 new events, a page of 10: 10..14 lost, said by a gap */
    CHECK(strstr(g.recs[4], "{\"roost_gap\":{\"source\":\"github\"") ==
          g.recs[4]);
    CHECK(strstr(g.recs[4], "\"last_id\":\"40000000009\"") != NULL);
    CHECK(strstr(g.recs[4], "\"first_id\":\"40000000015\"") != NULL);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_errors_back_off(void)
{
    struct fake fk;
    fake_start(&fk, "fake_github.py", "--fail", "2", "--log", "@DIR/req.log",
               NULL);
    char s[256];
    spec(s, sizeof(s), &fk, "interval=10ms&reconnect-min=5s&time-scale=0.02");
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = 10;
    int64_t t0 = fake_now_ms();
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    CHECK(fake_now_ms() - t0 >= 300); /* 100 + 200 ms of backoff */
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_wrong_token_bounded(void)
{
    struct fake fk;
    fake_start(&fk, "fake_github.py", "--token", "sekrit", "--log",
               "@DIR/req.log", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, "token=wrong&auth-retries=1&time-scale=0.01");
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    fake_drive(src, &g, NULL, NULL, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_EIO);
    CHECK_INT_EQ(fake_count_lines(&fk, "req.log"), 2);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_bad_options(void)
{
    const char *bad[] = {
        "github:ws://127.0.0.1:1/events",
        "github:http://127.0.0.1:1/events?per-page=101",
        "github:http://127.0.0.1:1/events?time-scale=0",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct roost_source *src = NULL;
        CHECK(roost_source_new(bad[i], &src, NULL) == 0);
        CHECK_MSG(src->ops->open(src) == ROOST_EINVAL, "%s", bad[i]);
        src->ops->close(src);
        roost_source_free(src);
    }
}

CHECK_LIST(test_polls_once_each, test_poll_interval_honoured,
           test_overrun_gap_and_resume, test_errors_back_off,
           test_wrong_token_bounded, test_bad_options);
