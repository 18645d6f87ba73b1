/* SPDX-License-Identifier: MIT
 *
 * test_src_mastodon.c - the Mastodon SSE source against
 * tests/servers/fake_mastodon.py: discovery, the token header, events
 * wrapped with their names, heartbeats, a dropped and a stalled stream
 * (gap record, nothing lost), HTTP errors, a wrong token (bounded).
 */
#include <stdlib.h>

#include "netfake.h"

#define N_EVENTS 22 /* 10 from streaming-sse, 12 posted statuses */
#define FAST     "time-scale=0.01"

static void spec(char *out, size_t cap, const struct fake *fk, const char *opts)
{
    snprintf(out, cap, "mastodon:http://127.0.0.1:%d?%s", fk->port, opts);
}

static int n_gaps(const struct got *g)
{
    return got_count(g, "{\"roost_gap\":");
}

static void check_events(const struct got *g)
{
    CHECK_INT_EQ(g->n - n_gaps(g), N_EVENTS);
    CHECK_INT_EQ(got_count(g, "{\"event\":\"update\",\"payload\":\"{"), 15);
    CHECK_INT_EQ(got_count(g, "{\"event\":\"status.update\""), 1);
    CHECK_INT_EQ(got_count(g, "{\"event\":\"delete\",\"payload\":"
                              "\"117024236332527350\"}"),
                 1);
    CHECK_INT_EQ(got_count(g, "{\"event\":\"notification\""), 2);
    CHECK_INT_EQ(got_count(g, "{\"event\":\"conversation\""), 3);
    /* each posted status exactly once */
    CHECK_INT_EQ(got_count(g, "\\\"id\\\":\\\"117020593741189701\\\""), 1);
}

static void test_discover_and_stream(void)
{
    struct fake fk;
    fake_start(&fk, "fake_mastodon.py", "--token", "sekrit", "--log",
               "@DIR/req.log", NULL);
    setenv("ROOST_TEST_TOKEN", "sekrit", 1);
    char s[256];
    spec(s, sizeof(s), &fk, "token-env=ROOST_TEST_TOKEN&" FAST);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    fake_drive(src, &g, NULL, NULL, 300); /* heartbeats are no records */
    check_events(&g);
    CHECK_INT_EQ(n_gaps(&g), 0);
    CHECK(strncmp(g.pos[g.n - 1], "mastodon\t", 9) == 0);
    char *log = fake_read(&fk, "req.log");
    char want_log[256];
    snprintf(want_log, sizeof(want_log),
             "GET /api/v1/instance host=127.0.0.1:%d auth=yes\n"
             "GET /api/v1/streaming/public host=localhost:%d auth=yes\n",
             fk.port, fk.port);
    CHECK_STR_EQ(log, want_log);
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_hashtag_direct_url(void)
{
    struct fake fk;
    fake_start(&fk, "fake_mastodon.py", "--log", "@DIR/req.log", NULL);
    char s[256];
    snprintf(s, sizeof(s),
             "mastodon:http://127.0.0.1:%d?stream=hashtag:local&tag=%%23hoot&"
             "discover=false&" FAST,
             fk.port);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    char *log = fake_read(&fk, "req.log");
    CHECK(strstr(log, "GET /api/v1/streaming/hashtag/local?tag=hoot "
                      "host=127.0.0.1") == log);
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_drop_writes_gap(void)
{
    struct fake fk;
    fake_start(&fk, "fake_mastodon.py", "--drop-after", "7", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, FAST);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS + 1;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    check_events(&g);
    CHECK_INT_EQ(n_gaps(&g), 1);
    CHECK(strstr(g.recs[7], "{\"roost_gap\":{\"source\":\"mastodon\"") ==
          g.recs[7]);
    CHECK(strstr(g.recs[7], "\"last_id\":\"117024236559579118\"") != NULL);
    CHECK(strstr(g.recs[7], "\"first_id\":\"117024236332527350\"") != NULL);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_stall_detected(void)
{
    struct fake fk;
    fake_start(&fk, "fake_mastodon.py", "--stall-after", "5", "--heartbeat-ms",
               "50", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, "stall-timeout=400ms&" FAST);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS + 1;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    check_events(&g);
    CHECK_INT_EQ(got_count(&g, "\"reason\":\"stall"), 1);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_http_error_backs_off(void)
{
    struct fake fk;
    fake_start(&fk, "fake_mastodon.py", "--status", "503", "--status-times",
               "2", "--log", "@DIR/req.log", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, "reconnect-min=5s&time-scale=0.02");
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS;
    int64_t t0 = fake_now_ms();
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    /* 5 s then 10 s, scaled by 0.02: at least 300 ms */
    CHECK(fake_now_ms() - t0 >= 300);
    CHECK_INT_EQ(n_gaps(&g), 0);
    CHECK_INT_EQ(fake_count_lines(&fk, "req.log"), 4);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_wrong_token_bounded(void)
{
    struct fake fk;
    fake_start(&fk, "fake_mastodon.py", "--token", "sekrit", "--log",
               "@DIR/req.log", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, "token=wrong&auth-retries=2&" FAST);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    fake_drive(src, &g, NULL, NULL, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_EIO);
    CHECK_INT_EQ(g.n, 0);
    /* discovery, then three refused streams */
    CHECK_INT_EQ(fake_count_lines(&fk, "req.log"), 4);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_bad_options(void)
{
    const char *bad[] = {
        "mastodon:ws://127.0.0.1:1",
        "mastodon:127.0.0.1",
        "mastodon:http://127.0.0.1:1?stream=hashtag",
        "mastodon:http://127.0.0.1:1?stream=nope",
        "mastodon:http://127.0.0.1:1?time-scale=0",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct roost_source *src = NULL;
        CHECK(roost_source_new(bad[i], &src, NULL) == 0);
        CHECK_MSG(src->ops->open(src) == ROOST_EINVAL, "%s", bad[i]);
        src->ops->close(src);
        roost_source_free(src);
    }
}

CHECK_LIST(test_discover_and_stream, test_hashtag_direct_url,
           test_drop_writes_gap, test_stall_detected, test_http_error_backs_off,
           test_wrong_token_bounded, test_bad_options);
