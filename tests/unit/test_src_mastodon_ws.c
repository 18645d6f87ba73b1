/* SPDX-License-Identifier: MIT
 *
 * test_src_mastodon_ws.c - the Mastodon multiplexed WebSocket source
 * against tests/servers/fake_mastodon.py: discovery, the token header (or
 * query parameter), one subscribe message per stream on every connection,
 * each event once (the fake replays every event per subscription and per
 * connection), a dropped and a stalled connection (gap record,
 * resubscribed, nothing lost), a wrong token (bounded).
 */
#include <stdlib.h>

#include "netfake.h"

#define N_EVENTS 22 /* 10 from streaming-sse, 12 posted statuses */
#define FAST     "time-scale=0.01"

static void spec(char *out, size_t cap, const struct fake *fk, const char *opts)
{
    snprintf(out, cap, "mastodon_ws:ws://127.0.0.1:%d?%s", fk->port, opts);
}

static int n_gaps(const struct got *g)
{
    return got_count(g, "{\"roost_gap\":");
}

static void check_events(const struct got *g)
{
    CHECK_INT_EQ(g->n - n_gaps(g), N_EVENTS);
    CHECK_INT_EQ(got_count(g, "\"event\":\"update\",\"payload\":\"{"), 15);
    CHECK_INT_EQ(got_count(g, "\"event\":\"status.update\""), 1);
    CHECK_INT_EQ(got_count(g, "\"event\":\"delete\",\"payload\":"
                              "\"117024236332527350\"}"),
                 1);
    CHECK_INT_EQ(got_count(g, "\"event\":\"notification\""), 2);
    CHECK_INT_EQ(got_count(g, "\"event\":\"conversation\""), 3);
    CHECK_INT_EQ(got_count(g, "\\\"id\\\":\\\"117020593741189701\\\""), 1);
    for (int i = 0; i < g->n; i++) {
        CHECK_MSG(strncmp(g->recs[i], "{\"stream\":[", 11) == 0 ||
                      strncmp(g->recs[i], "{\"roost_gap\":", 13) == 0,
                  "record %d: %.60s", i, g->recs[i]);
        CHECK_INT_EQ(g->err[i], 0);
    }
}

static void test_discover_and_subscribe(void)
{
    struct fake fk;
    fake_start(&fk, "fake_mastodon.py", "--token", "sekrit", "--log",
               "@DIR/req.log", NULL);
    setenv("ROOST_TEST_TOKEN", "sekrit", 1);
    char s[256];
    snprintf(s, sizeof(s),
             "mastodon_ws:http://127.0.0.1:%d?stream=public&tag=%%23hoot,rust&"
             "token-env=ROOST_TEST_TOKEN&" FAST,
             fk.port);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    /* the same events again for the other two streams: all repeats */
    fake_drive(src, &g, NULL, NULL, 500);
    check_events(&g);
    CHECK_INT_EQ(n_gaps(&g), 0);
    CHECK(strncmp(g.pos[g.n - 1], "mastodon_ws\t", 12) == 0);
    char *log = fake_read(&fk, "req.log");
    char want_log[1024];
    snprintf(want_log, sizeof(want_log),
             "GET /api/v1/instance host=127.0.0.1:%d auth=yes\n"
             "GET /api/v1/streaming host=localhost:%d auth=yes\n"
             "SUB {\"type\":\"subscribe\",\"stream\":\"public\"}\n"
             "SUB {\"type\":\"subscribe\",\"stream\":\"hashtag\","
             "\"tag\":\"hoot\"}\n"
             "SUB {\"type\":\"subscribe\",\"stream\":\"hashtag\","
             "\"tag\":\"rust\"}\n",
             fk.port, fk.port);
    CHECK_STR_EQ(log, want_log);
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_drop_resubscribes_once_each(void)
{
    struct fake fk;
    fake_start(&fk, "fake_mastodon.py", "--drop-after", "7", "--log",
               "@DIR/req.log", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, "tag=hoot&local-tags=true&" FAST);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS + 1;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    fake_drive(src, &g, NULL, NULL, 300);
    check_events(&g);
    CHECK_INT_EQ(n_gaps(&g), 1);
    /* the reset loses what the client had not read yet: the gap comes
     * wherever the reset caught it, before the first new event */
    int at = -1;
    for (int i = 0; i < g.n; i++) {
        if (strncmp(g.recs[i], "{\"roost_gap\":{\"source\":\"mastodon_ws\"",
                    36) == 0) {
            at = i;
        }
    }
    CHECK(at >= 0 && at < g.n - 1);
    CHECK_INT_EQ(got_count(&g, "{\"stream\":[\"hashtag:local\",\"hoot\"]"),
                 N_EVENTS);
    char *log = fake_read(&fk, "req.log");
    const char *sub =
        "SUB {\"type\":\"subscribe\",\"stream\":\"hashtag:local\","
        "\"tag\":\"hoot\"}\n";
    char want_log[1024];
    snprintf(want_log, sizeof(want_log),
             "GET /api/v1/streaming host=127.0.0.1:%d auth=no\n%s"
             "GET /api/v1/streaming host=127.0.0.1:%d auth=no\n%s",
             fk.port, sub, fk.port, sub);
    CHECK_STR_EQ(log, want_log);
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_stall_detected(void)
{
    struct fake fk;
    fake_start(&fk, "fake_mastodon.py", "--stall-after", "5", NULL);
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

static void test_token_param(void)
{
    struct fake fk;
    fake_start(&fk, "fake_mastodon.py", "--token", "sekrit", "--log",
               "@DIR/req.log", NULL);
    char s[256];
    snprintf(s, sizeof(s),
             "mastodon_ws:http://127.0.0.1:%d?token=sekrit&token-param=true&"
             "discover=false&" FAST,
             fk.port);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    check_events(&g);
    char *log = fake_read(&fk, "req.log");
    CHECK(strstr(log, "GET /api/v1/streaming?access_token=sekrit host=") ==
          log);
    CHECK(strstr(log, "auth=no\n") != NULL);
    free(log);
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
    snprintf(s, sizeof(s),
             "mastodon_ws:http://127.0.0.1:%d?token=wrong&auth-retries=2&" FAST,
             fk.port);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    fake_drive(src, &g, NULL, NULL, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_EIO);
    CHECK_INT_EQ(g.n, 0);
    /* discovery, then three refused upgrades */
    CHECK_INT_EQ(fake_count_lines(&fk, "req.log"), 4);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_bad_options(void)
{
    const char *bad[] = {
        "mastodon_ws:127.0.0.1",
        "mastodon_ws:ftp://127.0.0.1:1",
        "mastodon_ws:http://127.0.0.1:1?stream=hashtag",
        "mastodon_ws:http://127.0.0.1:1?time-scale=0",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct roost_source *src = NULL;
        CHECK(roost_source_new(bad[i], &src, NULL) == 0);
        CHECK_MSG(src->ops->open(src) == ROOST_EINVAL, "%s", bad[i]);
        src->ops->close(src);
        roost_source_free(src);
    }
}

CHECK_LIST(test_discover_and_subscribe, test_drop_resubscribes_once_each,
           test_stall_detected, test_token_param, test_wrong_token_bounded,
           test_bad_options);
