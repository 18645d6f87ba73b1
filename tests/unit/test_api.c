/* SPDX-License-Identifier: MIT
 *
 * test_api.c - the HTTP API over loopback: a store filled through the
 * SQLite sink with a few hand-made posts (so every count is known), a
 * server on 127.0.0.1:0 with the API's routes, and a small blocking HTTP
 * client. Covers each endpoint, the 400s, the read-only SQL endpoint,
 * the attach points (pipeline stats, sources, named results) and the SSE
 * publisher.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "check.h"
#include "core/buf.h"
#include "serve/api.h"
#include "serve/http.h"
#include "serve/publisher.h"
#include "store/sink.h"

#define T0 1609459200000LL /* 2021-01-01T00:00:00Z */
#define MIN 60000LL

static char db_path[256];

struct fixture {
    struct roost_http *http;
    struct roost_api *api;
    int port;
};

/* ---- the store ----------------------------------------------------------- */

static struct roost_entity tag_roost = { { "Roost", 5 }, { NULL, 0 }, 0, 0 };
static struct roost_entity tag_sqlite = { { "sqlite", 6 }, { NULL, 0 }, 0, 0 };
static struct roost_entity two_tags[2] = {
    { { "Roost", 5 }, { NULL, 0 }, 0, 0 },
    { { "sqlite", 6 }, { NULL, 0 }, 0, 0 },
};

static void mk_post(struct roost_post *p, const char *id, const char *text,
                    int64_t ms, const char *handle, int64_t followers)
{
    memset(p, 0, sizeof(*p));
    p->format = ROOST_FMT_X1;
    p->platform = ROOST_PLATFORM_X;
    p->id = roost_str_cstr(id);
    p->text = roost_str_cstr(text);
    p->created_at_ms = ms;
    p->lang = roost_str_cstr("en");
    p->author.id = roost_str_cstr(handle); /* one id per handle */
    p->author.handle = roost_str_cstr(handle);
    p->author.name = roost_str_cstr("Name");
    p->author.followers = followers;
    p->author.following = ROOST_UNKNOWN_COUNT;
    p->author.posts = ROOST_UNKNOWN_COUNT;
    p->retweets = ROOST_UNKNOWN_COUNT;
    p->likes = ROOST_UNKNOWN_COUNT;
    p->replies = ROOST_UNKNOWN_COUNT;
    p->quotes = ROOST_UNKNOWN_COUNT;
}

static void write_posts(const struct roost_post *posts, uint32_t n)
{
    char spec[512];
    struct roost_sink *s = NULL;
    struct roost_diag d = { 0 };
    snprintf(spec, sizeof(spec), "sqlite:%s?terms=vote,store", db_path);
    CHECK_MSG(roost_sink_new(spec, &s, &d) == 0, "%s", d.msg);
    CHECK_MSG(roost_sink_open(s, &d) == 0, "%s", d.msg);
    struct roost_sink_batch b = { posts, n, NULL, 0 };
    CHECK_MSG(roost_sink_write(s, &b) == 0, "%s", s->diag.msg);
    CHECK_INT_EQ(roost_sink_flush(s), 0);
    roost_sink_free(s);
}

/*
 * p1 (T0 - 2h, bob 100):  "vote for the store" #Roost
 * p2 (T0 - 30m, bob 100): "the store works"   #Roost #sqlite, geotagged
 * p3 (T0, carol 500):     "vote sqlite vote"  #sqlite
 */
static void fill_store(void)
{
    struct roost_post p[3];
    snprintf(db_path, sizeof(db_path), "/tmp/test_api_%d.db", (int)getpid());
    unlink(db_path);
    mk_post(&p[0], "1001", "vote for the store", T0 - 120 * MIN, "bob", 100);
    p[0].hashtags = &tag_roost;
    p[0].n_hashtags = 1;
    mk_post(&p[1], "1002", "the store works", T0 - 30 * MIN, "bob", 100);
    p[1].hashtags = two_tags;
    p[1].n_hashtags = 2;
    p[1].has_geo = true;
    p[1].geo.has_point = true;
    p[1].geo.lat = 48.5;
    p[1].geo.lon = 2.25;
    mk_post(&p[2], "1003", "vote sqlite vote", T0, "carol", 500);
    p[2].hashtags = &tag_sqlite;
    p[2].n_hashtags = 1;
    write_posts(p, 3);
}

static void drop_store(void)
{
    char side[300];
    unlink(db_path);
    snprintf(side, sizeof(side), "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db_path);
    unlink(side);
}

/* ---- attach points ------------------------------------------------------- */

static void fake_pipeline(void *arg, struct roost_pipeline_stats *out)
{
    (void)arg;
    out->n_records = 42;
    out->n_dead_parse = 7;
    out->queue.depth = 3;
    out->n_sink_retries = 5;
    out->n_sink_waits = 11;
}

static size_t fake_sources(void *arg, struct roost_api_source *out,
                           size_t cap)
{
    (void)arg;
    CHECK(cap >= 1);
    snprintf(out[0].name, sizeof(out[0].name), "jetstream");
    snprintf(out[0].state, sizeof(out[0].state), "connected");
    out[0].n_records = 12;
    out[0].n_reconnects = 2;
    out[0].n_gaps = 1;
    return 1;
}

static bool fake_sql(void *arg, const char *name, char *out, size_t cap)
{
    (void)arg;
    snprintf(out, cap, "SELECT tag FROM posts -- %s", name);
    return true;
}

static void start(struct fixture *f, const struct roost_api_cfg *extra)
{
    struct roost_http_cfg hc = { .listen = "127.0.0.1:0" };
    struct roost_api_cfg ac = { 0 };
    struct roost_diag d = { 0 };
    if (extra != NULL) {
        ac = *extra;
    }
    ac.db_path = db_path;
    ac.version = "test";
    ac.sse = true;
    CHECK_MSG(roost_http_new(&hc, &f->http, &d) == 0, "%s", d.msg);
    CHECK_MSG(roost_api_new(&ac, f->http, &f->api, &d) == 0, "%s", d.msg);
    CHECK_MSG(roost_http_start(f->http, &d) == 0, "%s", d.msg);
    f->port = roost_http_port(f->http);
    CHECK(f->port > 0);
}

static void stop(struct fixture *f)
{
    roost_http_free(f->http);
    roost_api_free(f->api);
}

/* ---- a small client ------------------------------------------------------ */

static int dial(int port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port) };
    struct timeval tv = { .tv_sec = 10 };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    return fd;
}

/* req - one request; returns the status, body (NUL-terminated) in out. */
static int req(struct fixture *f, const char *method, const char *path,
               const char *body, struct roost_buf *out)
{
    char head[1024];
    int fd = dial(f->port);
    int n = snprintf(head, sizeof(head),
                     "%s %s HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
                     "Content-Length: %zu\r\n\r\n",
                     method, path, body ? strlen(body) : 0);
    CHECK(write(fd, head, (size_t)n) == n);
    if (body != NULL) {
        CHECK(write(fd, body, strlen(body)) == (ssize_t)strlen(body));
    }
    struct roost_buf raw;
    roost_buf_init(&raw, 64u << 20);
    char tmp[8192];
    ssize_t got;
    while ((got = read(fd, tmp, sizeof(tmp))) > 0) {
        CHECK(roost_buf_add(&raw, tmp, (size_t)got) == 0);
    }
    close(fd);
    CHECK(raw.len > 12);
    int status = (int)strtol(raw.ptr + 9, NULL, 10);
    const char *b = strstr(raw.ptr, "\r\n\r\n");
    CHECK(b != NULL);
    roost_buf_reset(out);
    roost_buf_adds(out, b + 4);
    roost_buf_fini(&raw);
    return status;
}

#define GET_OK(f, path, out)                                                 \
    CHECK_INT_EQ(req((f), "GET", (path), NULL, (out)), 200)
#define HAS(out, s)                                                          \
    CHECK_MSG(strstr((out)->ptr, (s)) != NULL, "%s not in %s", (s),         \
              (out)->ptr)

/* ---- tests --------------------------------------------------------------- */

static void test_health_and_metrics(void)
{
    struct fixture f;
    struct roost_buf b;
    struct roost_api_cfg ac = { .pipeline_stats = fake_pipeline };
    roost_buf_init(&b, 64u << 20);
    fill_store();
    start(&f, &ac);
    GET_OK(&f, "/health", &b);
    HAS(&b, "\"status\":\"ok\"");
    HAS(&b, "\"version\":\"test\"");
    HAS(&b, "\"uptime_s\":");
    GET_OK(&f, "/metrics", &b);
    HAS(&b, "\nroost_store_posts 3\n");
    HAS(&b, "roost_http_requests_total{code=\"2xx\"} 1\n");
    HAS(&b, "roost_records_in_total 42\n");
    HAS(&b, "roost_dead_letters_total{reason=\"parse\"} 7\n");
    HAS(&b, "roost_queue_depth 3\n");
    HAS(&b, "roost_sink_retries_total 5\n");
    HAS(&b, "roost_sink_waits_total 11\n");
    HAS(&b, "roost_sse_dropped_total 0\n");
    stop(&f);
    roost_buf_fini(&b);
    drop_store();
}

static void test_top(void)
{
    struct fixture f;
    struct roost_buf b;
    roost_buf_init(&b, 64u << 20);
    fill_store();
    start(&f, NULL);
    GET_OK(&f, "/api/v1/top/hashtags?window=1h", &b);
    HAS(&b, "\"window\":\"1h\",\"as_of\":\"2021-01-01T00:00:00.000Z\"");
    HAS(&b, "\"items\":[{\"key\":\"sqlite\",\"count\":2},"
            "{\"key\":\"roost\",\"count\":1}]");
    GET_OK(&f, "/api/v1/top/hashtags?window=1d&limit=1", &b);
    HAS(&b, "\"items\":[{\"key\":\"roost\",\"count\":2}]");
    GET_OK(&f, "/api/v1/top/authors?window=1d", &b);
    HAS(&b, "[{\"key\":\"bob\",\"count\":2},{\"key\":\"carol\",\"count\":1}]");
    GET_OK(&f, "/api/v1/top/words?window=1m", &b);
    HAS(&b, "[{\"key\":\"vote\",\"count\":2},"
            "{\"key\":\"sqlite\",\"count\":1}]");
    GET_OK(&f, "/api/v1/top/mentions?window=1d", &b);
    HAS(&b, "\"items\":[]");
    stop(&f);
    roost_buf_fini(&b);
    drop_store();
}

static void test_posts(void)
{
    struct fixture f;
    struct roost_buf b;
    roost_buf_init(&b, 64u << 20);
    fill_store();
    start(&f, NULL);
    GET_OK(&f, "/api/v1/posts", &b);
    const char *p3 = strstr(b.ptr, "\"id\":\"1003\"");
    const char *p2 = strstr(b.ptr, "\"id\":\"1002\"");
    const char *p1 = strstr(b.ptr, "\"id\":\"1001\"");
    CHECK(p3 != NULL && p2 != NULL && p1 != NULL && p3 < p2 && p2 < p1);
    HAS(&b, "\"last_id\":3}");
    HAS(&b, "\"hashtags\":[\"Roost\",\"sqlite\"]"); /* the post model */
    GET_OK(&f, "/api/v1/posts?since=3", &b);
    CHECK_STR_EQ(b.ptr, "{\"posts\":[],\"last_id\":3}");
    GET_OK(&f, "/api/v1/posts?since=1", &b);
    CHECK(strstr(b.ptr, "\"1001\"") == NULL && strstr(b.ptr, "\"1003\""));
    GET_OK(&f, "/api/v1/posts?hashtag=%23ROOST&limit=1", &b);
    HAS(&b, "\"id\":\"1002\"");
    CHECK(strstr(b.ptr, "\"id\":\"1001\"") == NULL);
    GET_OK(&f, "/api/v1/geo?window=1d", &b);
    HAS(&b, "\"points\":[{\"id\":\"1002\",\"lat\":48.500000,\"lon\":2.250000");
    stop(&f);
    roost_buf_fini(&b);
    drop_store();
}

static void test_rate_hashtag_poll(void)
{
    struct fixture f;
    struct roost_buf b;
    roost_buf_init(&b, 64u << 20);
    fill_store();
    start(&f, NULL);
    GET_OK(&f, "/api/v1/rate?step=1h&window=3h", &b);
    HAS(&b, "\"step_ms\":3600000");
    HAS(&b, "\"points\":[{\"t\":\"2020-12-31T22:00:00.000Z\",\"count\":1},"
            "{\"t\":\"2020-12-31T23:00:00.000Z\",\"count\":1},"
            "{\"t\":\"2021-01-01T00:00:00.000Z\",\"count\":1}]");
    GET_OK(&f, "/api/v1/hashtag/SQLite?window=1d", &b);
    HAS(&b, "{\"tag\":\"sqlite\"");
    HAS(&b, "\"count\":2,\"related\":[{\"key\":\"roost\",\"count\":1}]");
    HAS(&b, "\"influencers\":[{\"handle\":\"carol\",\"name\":\"Name\","
            "\"followers\":500,\"posts\":1},{\"handle\":\"bob\"");
    GET_OK(&f, "/api/v1/poll?window=1d", &b);
    HAS(&b, "\"terms\":[{\"term\":\"store\",\"count\":2},"
            "{\"term\":\"vote\",\"count\":2}]");
    GET_OK(&f, "/api/v1/poll?terms=works,%20vote&window=1h", &b);
    HAS(&b, "[{\"term\":\"works\",\"count\":1},{\"term\":\"vote\","
            "\"count\":1}]");
    GET_OK(&f, "/api/v1/search?q=store&limit=5", &b);
    HAS(&b, "\"snippet\":");
    HAS(&b, "\"rank\":2");
    stop(&f);
    roost_buf_fini(&b);
    drop_store();
}

static void test_bad_requests(void)
{
    static const struct {
        const char *method, *path, *body;
        int status;
    } cases[] = {
        { "GET", "/api/v1/top/hashtags?window=2h", NULL, 400 },
        { "GET", "/api/v1/top/retweets", NULL, 400 },
        { "GET", "/api/v1/posts?limit=0", NULL, 400 },
        { "GET", "/api/v1/posts?limit=501", NULL, 400 },
        { "GET", "/api/v1/posts?limit=5x", NULL, 400 },
        { "GET", "/api/v1/posts?since=1002x", NULL, 400 },
        { "GET", "/api/v1/rate?step=0s", NULL, 400 },
        { "GET", "/api/v1/rate?step=1ms&window=1d", NULL, 400 },
        { "GET", "/api/v1/search", NULL, 400 },
        { "GET", "/api/v1/search?q=x&since=yesterday", NULL, 400 },
        { "GET", "/api/v1/poll?terms=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,"
                 "t,u", NULL, 400 },
        { "POST", "/api/v1/query", "{\"sql\":", 400 },
        { "POST", "/api/v1/query", "[1]", 400 },
        { "POST", "/api/v1/query", "{\"sql\":\"SELECT 1\",\"limit\":0}", 400 },
        { "POST", "/api/v1/query", "{\"sql\":\"DELETE FROM posts\"}", 400 },
        { "POST", "/api/v1/query", "{\"sql\":\"SELECT 1; SELECT 2\"}", 400 },
        { "GET", "/api/v1/nothing", NULL, 404 },
        { "GET", "/api/v1/queries/none", NULL, 404 },
        { "GET", "/api/v1/query", NULL, 405 },
    };
    struct fixture f;
    struct roost_buf b;
    roost_buf_init(&b, 64u << 20);
    fill_store();
    start(&f, NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int st = req(&f, cases[i].method, cases[i].path, cases[i].body, &b);
        CHECK_MSG(st == cases[i].status, "%s: %d", cases[i].path, st);
        CHECK_MSG(strncmp(b.ptr, "{\"error\":\"", 10) == 0, "%s: %s",
                  cases[i].path, b.ptr);
    }
    stop(&f);
    roost_buf_fini(&b);
    drop_store();
}

static void test_sql_endpoint(void)
{
    struct fixture f;
    struct roost_buf b;
    roost_buf_init(&b, 64u << 20);
    fill_store();
    start(&f, NULL);
    CHECK_INT_EQ(req(&f, "POST", "/api/v1/query",
                     "{\"sql\":\"SELECT id, lat, text IS NULL AS n FROM posts"
                     " ORDER BY seq\",\"limit\":2}", &b), 200);
    CHECK_STR_EQ(b.ptr, "{\"columns\":[\"id\",\"lat\",\"n\"],\"rows\":"
                        "[[\"1001\",null,0],[\"1002\",48.5,0]],"
                        "\"truncated\":true,\"n_rows\":2}");
    CHECK_INT_EQ(req(&f, "POST", "/api/v1/query",
                     "{\"sql\":\"SELECT count(*) AS n FROM posts\"}", &b),
                 200);
    HAS(&b, "\"rows\":[[3]],\"truncated\":false");
    CHECK_INT_EQ(req(&f, "POST", "/api/v1/query",
                     "{\"sql\":\"UPDATE posts SET text = 'x'\"}", &b), 400);
    HAS(&b, "read-only");
    CHECK_INT_EQ(req(&f, "POST", "/api/v1/query",
                     "{\"sql\":\"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL "
                     "SELECT x + 1 FROM c) SELECT count(*) FROM c\"}", &b),
                 400);
    HAS(&b, "time limit");
    CHECK_INT_EQ(req(&f, "POST", "/api/v1/query",
                     "{\"sql\":\"SELECT text FROM posts WHERE id = '1001'\"}",
                     &b), 200);
    HAS(&b, "[[\"vote for the store\"]]"); /* nothing changed */
    stop(&f);
    roost_buf_fini(&b);
    drop_store();
}

static void test_attached(void)
{
    struct roost_results *res = NULL;
    struct roost_rowset rs;
    const char *names[] = { "tag", "n" };
    struct roost_value row[2];
    CHECK_INT_EQ(roost_results_new(&res), 0);
    roost_rowset_init(&rs);
    CHECK_INT_EQ(roost_rowset_set_cols(&rs, names, 2), 0);
    memset(row, 0, sizeof(row));
    row[0].type = ROOST_V_STRING;
    row[0].u.s = roost_str_cstr("vote");
    row[1] = roost_value_int(12);
    CHECK_INT_EQ(roost_rowset_add(&rs, row), 0);
    CHECK_INT_EQ(roost_results_publish(res, "top_tags", &rs, T0), 0);

    struct fixture f;
    struct roost_buf b;
    struct roost_api_cfg ac = { .results = res, .sources = fake_sources,
                                .query_sql = fake_sql };
    roost_buf_init(&b, 64u << 20);
    fill_store();
    start(&f, &ac);
    GET_OK(&f, "/api/v1/queries", &b);
    CHECK_STR_EQ(b.ptr, "{\"queries\":[{\"name\":\"top_tags\",\"sql\":"
                        "\"SELECT tag FROM posts -- top_tags\",\"n_rows\":1,"
                        "\"updated_at\":\"2021-01-01T00:00:00.000Z\"}]}");
    GET_OK(&f, "/api/v1/queries/top_tags", &b);
    CHECK_STR_EQ(b.ptr, "{\"name\":\"top_tags\",\"columns\":[\"tag\",\"n\"],"
                        "\"rows\":[[\"vote\",12]],\"updated_at\":"
                        "\"2021-01-01T00:00:00.000Z\"}");
    GET_OK(&f, "/api/v1/sources", &b);
    HAS(&b, "{\"sources\":[{\"name\":\"jetstream\",\"state\":\"connected\","
            "\"records\":12,\"bytes\":0,\"reconnects\":2,\"gaps\":1");
    stop(&f);
    roost_buf_fini(&b);
    roost_rowset_fini(&rs);
    roost_results_free(res);
    drop_store();
}

static void test_stream(void)
{
    struct fixture f;
    struct roost_publisher *pub = NULL;
    struct roost_diag d = { 0 };
    fill_store();
    start(&f, NULL);
    struct roost_publisher_cfg pc = { .http = f.http, .api = f.api,
                                      .interval_ms = 100 };
    CHECK_MSG(roost_publisher_start(&pc, &pub, &d) == 0, "%s", d.msg);
    int fd = dial(f.port);
    const char get[] = "GET /api/v1/stream HTTP/1.1\r\nHost: t\r\n\r\n";
    CHECK(write(fd, get, sizeof(get) - 1) == (ssize_t)(sizeof(get) - 1));
    usleep(300 * 1000); /* the client is registered before the new post */
    struct roost_post p;
    mk_post(&p, "2001", "fresh news", T0 + MIN, "dave", 7);
    write_posts(&p, 1);
    struct roost_buf got;
    roost_buf_init(&got, 1u << 20);
    char tmp[4096];
    for (int i = 0; i < 100 && strstr(got.ptr ? got.ptr : "",
                                          "\"total_posts\":4") == NULL;
         i++) {
        ssize_t n = read(fd, tmp, sizeof(tmp));
        CHECK(n > 0);
        CHECK(roost_buf_add(&got, tmp, (size_t)n) == 0);
    }
    close(fd);
    const char *ev = strstr(got.ptr, "event: posts\ndata: [{\"id\":\"2001\"");
    CHECK_MSG(ev != NULL, "%s", got.ptr);
    CHECK(strstr(got.ptr, "\"total_posts\":4") != NULL);
    CHECK(strstr(got.ptr, "\"top_hashtags\":[{\"key\":\"sqlite\"") != NULL);
    CHECK(roost_publisher_ticks(pub) >= 1);
    roost_publisher_stop(pub);
    stop(&f);
    roost_buf_fini(&got);
    drop_store();
}

static void test_missing_store(void)
{
    struct roost_http *h = NULL;
    struct roost_api *a = NULL;
    struct roost_http_cfg hc = { .listen = "127.0.0.1:0" };
    struct roost_api_cfg ac = { .db_path = "/nonexistent/roost.db" };
    struct roost_diag d = { 0 };
    CHECK_INT_EQ(roost_http_new(&hc, &h, &d), 0);
    CHECK_INT_EQ(roost_api_new(&ac, h, &a, &d), ROOST_ENOENT);
    CHECK(strstr(d.msg, "/nonexistent/roost.db") != NULL);
    roost_http_free(h);
}

CHECK_LIST(test_health_and_metrics, test_top, test_posts,
           test_rate_hashtag_poll, test_bad_requests, test_sql_endpoint,
           test_attached, test_stream, test_missing_store)
