/* SPDX-License-Identifier: MIT
 *
 * test_src_jetstream.c - the Jetstream source against
 * tests/servers/fake_jetstream.py: byte-exact replay, filters in the
 * request, a dropped and a stalled connection (gap record, cursor rewind,
 * no duplicate, nothing lost), resume after a restart, a refused
 * handshake (bounded retries), zstd with a dictionary, bad options.
 */
#include <zstd.h>

#include "netfake.h"

#define N_EVENTS 152
#define FAST     "time-scale=0.01"

static char *lines[N_EVENTS + 8];
static int n_lines;

static void load_lines(void)
{
    const char *dir = check_data_dir();
    if (dir == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set");
    }
    char p[512];
    snprintf(p, sizeof(p),
             "%s/bluesky-jetstream-samples/jetstream/expected_v1.jsonl", dir);
    FILE *f = fopen(p, "r");
    CHECK(f != NULL);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0 && n_lines < N_EVENTS + 8) {
        if (line[n - 1] == '\n') {
            line[--n] = '\0';
        }
        lines[n_lines++] = strndup(line, (size_t)n);
    }
    free(line);
    fclose(f);
    CHECK_INT_EQ(n_lines, N_EVENTS);
}

static int find_line(const char *rec)
{
    for (int i = 0; i < n_lines; i++) {
        if (strcmp(lines[i], rec) == 0) {
            return i;
        }
    }
    return -1;
}

/* check_exactly_once - every event once, byte-exact, plus n_gaps gaps. */
static void check_exactly_once(const struct got *g, int n_gaps)
{
    int seen[N_EVENTS] = { 0 };
    int gaps = 0;
    for (int i = 0; i < g->n; i++) {
        if (strstr(g->recs[i], "{\"roost_gap\":") == g->recs[i]) {
            gaps++;
            continue;
        }
        int k = find_line(g->recs[i]);
        CHECK_MSG(k >= 0, "record %d is not a recorded event", i);
        seen[k]++;
    }
    for (int k = 0; k < N_EVENTS; k++) {
        CHECK_MSG(seen[k] == 1, "event %d seen %d times", k, seen[k]);
    }
    CHECK_INT_EQ(gaps, n_gaps);
}

static void spec(char *out, size_t cap, const struct fake *fk, const char *opts)
{
    snprintf(out, cap, "jetstream:ws://127.0.0.1:%d/subscribe?%s", fk->port,
             opts);
}

static void test_replay_byte_exact(void)
{
    load_lines();
    struct fake fk;
    fake_start(&fk, "fake_jetstream.py", "--log", "@DIR/req.log", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, FAST);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    for (int i = 0; i < N_EVENTS; i++) {
        CHECK_STR_EQ(g.recs[i], lines[i]);
        CHECK_INT_EQ(g.err[i], 0);
        CHECK(strncmp(g.pos[i], "jetstream\t", 10) == 0);
    }
    /* positions: the highest cursor so far, never going back */
    for (int i = 1; i < g.n; i++) {
        CHECK(strtoll(g.pos[i] + 10, NULL, 10) >=
              strtoll(g.pos[i - 1] + 10, NULL, 10));
    }
    CHECK_STR_EQ(g.pos[g.n - 1], "jetstream\t1783175888403568");
    char *log = fake_read(&fk, "req.log");
    CHECK_STR_EQ(log, "/subscribe\n");
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_filters_in_request(void)
{
    load_lines();
    struct fake fk;
    fake_start(&fk, "fake_jetstream.py", "--log", "@DIR/req.log", NULL);
    char s[512];
    spec(s, sizeof(s), &fk,
         "wantedCollections=app.bsky.feed.post,app.bsky.graph.*&" FAST);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = 18 + 9 + 2 + 1; /* posts, follows, identity+account, block */
    fake_drive(src, &g, got_at_least, &want, 3000);
    fake_drive(src, &g, NULL, NULL, 200); /* and nothing more comes */
    CHECK_INT_EQ(got_count(&g, "app.bsky.feed.like"), 0);
    CHECK_INT_EQ(got_count(&g, "\"collection\":\"app.bsky.feed.post\""), 18);
    char *log = fake_read(&fk, "req.log");
    CHECK_STR_EQ(log, "/subscribe?wantedCollections=app.bsky.feed.post&"
                      "wantedCollections=app.bsky.graph.%2A\n");
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_drop_rewinds_without_loss_or_dupes(void)
{
    load_lines();
    struct fake fk;
    fake_start(&fk, "fake_jetstream.py", "--drop-after", "60", "--log",
               "@DIR/req.log", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, FAST);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS + 1;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    fake_drive(src, &g, NULL, NULL, 200);
    check_exactly_once(&g, 1);
    /* the gap sits before the first new event and names the cursor
     * before it; the reset may lose what was in flight, so where it
     * falls varies */
    int gi = -1;
    for (int i = 0; i < g.n; i++) {
        if (strstr(g.recs[i], "roost_gap") != NULL) {
            gi = i;
        }
    }
    CHECK(gi > 0 && gi <= 60);
    CHECK(strstr(g.recs[gi], "\"source\":\"jetstream\"") != NULL);
    char want_id[64];
    snprintf(want_id, sizeof(want_id), "\"last_id\":\"%s\"",
             g.pos[gi - 1] + 10);
    CHECK(strstr(g.recs[gi], want_id) != NULL);
    CHECK(strstr(g.recs[gi], "\"first_id\":\"") != NULL);
    /* the reconnect asked for the highest cursor minus 5 s */
    char *log = fake_read(&fk, "req.log");
    long long hi = strtoll(g.pos[gi - 1] + 10, NULL, 10);
    char want_log[128];
    snprintf(want_log, sizeof(want_log), "/subscribe\n/subscribe?cursor=%lld\n",
             hi - 5000000);
    CHECK_STR_EQ(log, want_log);
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_stall_reconnects(void)
{
    load_lines();
    struct fake fk;
    fake_start(&fk, "fake_jetstream.py", "--stall-after", "40", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, "stall-timeout=300ms&" FAST);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS + 1;
    int64_t t0 = fake_now_ms();
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    CHECK(fake_now_ms() - t0 >= 300);
    check_exactly_once(&g, 1);
    CHECK_INT_EQ(got_count(&g, "\"reason\":\"stall"), 1);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_resume_skips_archived(void)
{
    load_lines();
    struct fake fk;
    fake_start(&fk, "fake_jetstream.py", "--log", "@DIR/req.log", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, FAST);
    /* resume from the cursor of event 100 in time order */
    struct roost_source *src = fake_source(s, "jetstream\t1783175888300000");
    struct got g = { 0 };
    fake_drive(src, &g, NULL, NULL, 1500);
    CHECK(g.n > 0);
    for (int i = 0; i < g.n; i++) {
        const char *t = strstr(g.recs[i], "\"time_us\":");
        CHECK(t != NULL);
        CHECK(strtoll(t + 10, NULL, 10) > 1783175888300000ll);
    }
    char *log = fake_read(&fk, "req.log");
    CHECK_STR_EQ(log, "/subscribe?cursor=1783175883300000\n");
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_refused_is_bounded(void)
{
    struct fake fk;
    fake_start(&fk, "fake_jetstream.py", "--reject", "401", "--log",
               "@DIR/req.log", NULL);
    char s[256];
    spec(s, sizeof(s), &fk, "auth-retries=2&reconnect-min=1s&" FAST);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    fake_drive(src, &g, NULL, NULL, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_EIO);
    CHECK_INT_EQ(g.n, 0);
    CHECK_INT_EQ(fake_count_lines(&fk, "req.log"), 3);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

/* write_zstd - a raw-content dictionary and every event compressed with
 * it, in the fake's frame file format (u32 LE length + frame). */
static void write_zstd(const struct fake *fk)
{
    char p[512];
    FILE *d = fopen(fake_path(fk, "dict", p, sizeof(p)), "wb");
    CHECK(d != NULL);
    char dict[8192];
    size_t dlen = 0;
    for (int i = 0; i < 10 && dlen + strlen(lines[i]) < sizeof(dict); i++) {
        memcpy(dict + dlen, lines[i], strlen(lines[i]));
        dlen += strlen(lines[i]);
    }
    CHECK(fwrite(dict, 1, dlen, d) == dlen);
    fclose(d);
    FILE *f = fopen(fake_path(fk, "frames", p, sizeof(p)), "wb");
    CHECK(f != NULL);
    ZSTD_CCtx *cc = ZSTD_createCCtx();
    size_t cap = 1 << 20;
    char *out = malloc(cap);
    for (int i = 0; i < n_lines; i++) {
        size_t n = ZSTD_compress_usingDict(cc, out, cap, lines[i],
                                           strlen(lines[i]), dict, dlen, 3);
        CHECK(!ZSTD_isError(n));
        uint32_t len = (uint32_t)n;
        CHECK(fwrite(&len, 4, 1, f) == 1);
        CHECK(fwrite(out, 1, n, f) == n);
    }
    free(out);
    ZSTD_freeCCtx(cc);
    fclose(f);
}

static void test_zstd_dictionary(void)
{
    load_lines();
    struct fake fk;
    fake_start(&fk, "fake_jetstream.py", "--zstd-frames", "@DIR/frames",
               "--log", "@DIR/req.log", NULL);
    write_zstd(&fk); /* the server reads the frames per connection */
    char s[512];
    snprintf(s, sizeof(s),
             "jetstream:ws://127.0.0.1:%d/subscribe?compress=true&"
             "zstd-dictionary=%s/dict&" FAST,
             fk.port, fk.dir);
    struct roost_source *src = fake_source(s, NULL);
    struct got g = { 0 };
    int want = N_EVENTS;
    CHECK(fake_drive(src, &g, got_at_least, &want, 10000));
    for (int i = 0; i < N_EVENTS; i++) {
        CHECK_STR_EQ(g.recs[i], lines[i]);
    }
    char *log = fake_read(&fk, "req.log");
    CHECK_STR_EQ(log, "/subscribe?compress=true\n");
    free(log);
    got_free(&g);
    fake_source_free(src);
    fake_stop(&fk);
}

static void test_bad_options(void)
{
    const char *bad[] = {
        "jetstream:http://127.0.0.1:1/subscribe",
        "jetstream:ws://",
        "jetstream:ws://127.0.0.1:1/subscribe?compress=true",
        ("jetstream:ws://127.0.0.1:1/subscribe?compress=true&"
         "zstd-dictionary=/nonexistent/dict"),
        "jetstream:ws://127.0.0.1:1/subscribe?time-scale=0",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct roost_source *src = NULL;
        CHECK(roost_source_new(bad[i], &src, NULL) == 0);
        CHECK_MSG(src->ops->open(src) == ROOST_EINVAL, "%s", bad[i]);
        src->ops->close(src);
        roost_source_free(src);
    }
    struct roost_source *src = NULL;
    CHECK(roost_source_new("jetstream:ws://h/s?nope=1", &src, NULL) ==
          ROOST_EINVAL);
}

static void test_unreachable_backs_off(void)
{
    /* a closed port: attempts are spaced by the backoff, no tight loop */
    struct roost_source *src =
        fake_source("jetstream:ws://127.0.0.1:1/subscribe?"
                    "reconnect-min=100ms&time-scale=1",
                    NULL);
    struct got g = { 0 };
    fake_drive(src, &g, NULL, NULL, 400);
    CHECK_INT_EQ(g.n, 0);
    CHECK_INT_EQ(g.last_rc, 0);
    got_free(&g);
    fake_source_free(src);
}

CHECK_LIST(test_replay_byte_exact, test_filters_in_request,
           test_drop_rewinds_without_loss_or_dupes, test_stall_reconnects,
           test_resume_skips_archived, test_refused_is_bounded,
           test_zstd_dictionary, test_bad_options, test_unreachable_backs_off);
