/* SPDX-License-Identifier: MIT
 *
 * test_sink_pg.c - the PostgreSQL sink against a real server.
 *
 * ROOST_PG_URL names a server (postgresql://postgres@127.0.0.1:PORT, no
 * database): tests/integration/t_pg.sh starts a throw-away PostgreSQL 15
 * on loopback and sets it. Without it every test prints a visible SKIP.
 * Each test creates its own database. The corpus test writes the same
 * posts through the SQLite sink and compares the counts of every table.
 */
#include <stdarg.h>
#include <stdbool.h>

#include "check.h"

#ifndef ROOST_HAVE_LIBPQ
static void test_pg(void)
{
    CHECK_SKIP("built without libpq: the pg sink is left out");
}

CHECK_LIST(test_pg);
#else

#include <libpq-fe.h>
#include <sqlite3.h>

#include "parse/json.h"
#include "parse/post.h"
#include "store/sink.h"

#define S(lit) roost_str_make((lit), sizeof(lit) - 1)

static char url[512];

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* fresh_db - create database `name` anew; url gets its URI. */
static void fresh_db(const char *name)
{
    const char *base = getenv("ROOST_PG_URL");
    if (base == NULL || base[0] == '\0') {
        CHECK_SKIP("ROOST_PG_URL not set: run tests/integration/t_pg.sh");
    }
    char sql[256];
    snprintf(url, sizeof(url), "%s/postgres", base);
    PGconn *c = PQconnectdb(url);
    CHECK_MSG(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    PQsetNoticeProcessor(c, quiet, NULL);
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s", name);
    PQclear(PQexec(c, sql));
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    PGresult *r = PQexec(c, sql);
    CHECK_MSG(PQresultStatus(r) == PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    snprintf(url, sizeof(url), "%s/%s", base, name);
}

static struct roost_sink *sink_at(const char *fmt, ...) ROOST_PRINTF(1, 2);

static struct roost_sink *sink_at(const char *fmt, ...)
{
    char spec[1024];
    va_list ap;
    struct roost_sink *s = NULL;
    struct roost_diag d = { 0 };

    va_start(ap, fmt);
    vsnprintf(spec, sizeof(spec), fmt, ap);
    va_end(ap);
    CHECK_MSG(roost_sink_new(spec, &s, &d) == 0, "%s: %s", spec, d.msg);
    s->retry_base_ms = 1;
    CHECK_MSG(roost_sink_open(s, &d) == 0, "open %s: %s", spec, d.msg);
    return s;
}

/* q - one number from a query on the test's database. */
static long long q(const char *fmt, ...) ROOST_PRINTF(1, 2);

static long long q(const char *fmt, ...)
{
    char sql[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(sql, sizeof(sql), fmt, ap);
    va_end(ap);
    PGconn *c = PQconnectdb(url);
    CHECK_MSG(PQstatus(c) == CONNECTION_OK, "%s", PQerrorMessage(c));
    PGresult *r = PQexec(c, sql);
    CHECK_MSG(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1,
              "%s: %s", sql, PQerrorMessage(c));
    long long v = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    PQclear(r);
    PQfinish(c);
    return v;
}

static struct roost_entity tags[2] = { { .text = { "Covid", 5 } },
                                       { .text = { "vaccine", 7 } } };
static struct roost_entity ment = { .text = { "who", 3 },
                                    .expanded = { "14499829", 8 } };

static void make_posts(struct roost_post *p, size_t n, char ids[][24])
{
    memset(p, 0, n * sizeof(*p));
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], 24, "900%zu", i);
        p[i].format = ROOST_FMT_X1;
        p[i].platform = ROOST_PLATFORM_X;
        p[i].id = roost_str_cstr(ids[i]);
        p[i].created_at_ms = 1609486140000 + (int64_t)i;
        p[i].text = i % 2
                        ? S("tab\there, back\\slash\nnew line \xf0\x9f\x98\xb7")
                        : S("vaccines work #Covid");
        p[i].author.id = S("42");
        p[i].author.handle = S("ann");
        p[i].author.followers = (int64_t)i;
        p[i].retweets = p[i].likes = ROOST_UNKNOWN_COUNT;
        p[i].replies = p[i].quotes = ROOST_UNKNOWN_COUNT;
        p[i].hashtags = tags;
        p[i].n_hashtags = 2;
        p[i].mentions = &ment;
        p[i].n_mentions = 1;
    }
}

/* ---- tests --------------------------------------------------------------- */

static void test_schema_and_write(void)
{
    struct roost_post p[6];
    char ids[6][24];

    fresh_db("roost_t_basic");
    make_posts(p, 6, ids);
    struct roost_sink *s = sink_at("pg:%s?batch=4", url);
    struct roost_sink_batch b = { .posts = p, .n_posts = 6 };
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    CHECK_INT_EQ(roost_sink_flush(s), 0);
    /* Re-delivery, and a batch repeating one id, add nothing. */
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    struct roost_post twice[2] = { p[0], p[0] };
    b.posts = twice;
    b.n_posts = 2;
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    roost_sink_free(s);
    CHECK_INT_EQ(q("SELECT max(version) FROM roost_schema"), 1);
    CHECK_INT_EQ(q("SELECT count(*) FROM posts"), 6);
    CHECK_INT_EQ(q("SELECT count(*) FROM hashtags"), 12);
    CHECK_INT_EQ(q("SELECT count(*) FROM hashtags WHERE tag_lower = "
                   "'covid'"),
                 6);
    CHECK_INT_EQ(q("SELECT count(*) FROM mentions WHERE user_id = "
                   "'14499829'"),
                 6);
    CHECK_INT_EQ(q("SELECT count(*) FROM authors"), 1);
    CHECK_INT_EQ(q("SELECT followers FROM authors"), 5); /* the newest */
    CHECK_INT_EQ(q("SELECT count(*) FROM posts WHERE text = E'tab\\there, "
                   "back\\\\slash\\nnew line \xf0\x9f\x98\xb7'"),
                 3);
    CHECK_INT_EQ(q("SELECT count(*) FROM posts WHERE tsv @@ "
                   "plainto_tsquery('simple', 'vaccines')"),
                 3);
    /* A second open finds the schema in place. */
    s = sink_at("pg:%s", url);
    roost_sink_free(s);
    CHECK_INT_EQ(q("SELECT count(*) FROM roost_schema"), 1);
}

static void test_deletes(void)
{
    struct roost_post p[3];
    char ids[3][24];
    struct roost_ctl del[2];

    fresh_db("roost_t_delete");
    make_posts(p, 3, ids);
    memset(del, 0, sizeof(del));
    del[0].kind = ROOST_CTL_DELETE;
    del[0].platform = ROOST_PLATFORM_X;
    del[0].post_id = roost_str_cstr(ids[0]); /* stored before */
    del[0].count = ROOST_UNKNOWN_COUNT;
    del[1] = del[0];
    del[1].post_id = roost_str_cstr(ids[2]); /* arrives before its post */
    struct roost_sink *s = sink_at("pg:%s", url);
    struct roost_sink_batch b = { .posts = p, .n_posts = 2 };
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    b = (struct roost_sink_batch){ .ctls = del, .n_ctls = 2 };
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    CHECK_INT_EQ(roost_sink_write(s, &b), 0); /* tombstones once */
    b = (struct roost_sink_batch){ .posts = p + 2, .n_posts = 1 };
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    roost_sink_free(s);
    CHECK_INT_EQ(q("SELECT count(*) FROM control_events"), 2);
    CHECK_INT_EQ(q("SELECT count(*) FROM posts WHERE deleted"), 2);
    CHECK_INT_EQ(q("SELECT count(*) FROM posts WHERE deleted AND tsv IS "
                   "NOT NULL"),
                 0);
    CHECK_INT_EQ(q("SELECT count(*) FROM posts WHERE tsv @@ "
                   "plainto_tsquery('simple', 'vaccines')"),
                 0);
}

static void test_reconnect(void)
{
    struct roost_post p[4];
    char ids[4][24];

    fresh_db("roost_t_reconnect");
    make_posts(p, 4, ids);
    struct roost_sink *s = sink_at("pg:%s?fts=false", url);
    struct roost_sink_batch b = { .posts = p, .n_posts = 2 };
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    /* Kill the sink's backend: the next write fails with EAGAIN, and the
     * retry reconnects. */
    CHECK(q("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> "
            "pg_backend_pid()") >= 1);
    b.posts = p + 2;
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    CHECK(s->stats.n_retries >= 1);
    roost_sink_free(s);
    CHECK_INT_EQ(q("SELECT count(*) FROM posts"), 4);
    CHECK_INT_EQ(q("SELECT count(*) FROM information_schema.columns WHERE "
                   "table_name = 'posts' AND column_name = 'tsv'"),
                 0);
}

static void test_unreachable(void)
{
    struct roost_sink *s = NULL;
    struct roost_diag d = { 0 };

    if (getenv("ROOST_PG_URL") == NULL) {
        CHECK_SKIP("ROOST_PG_URL not set: run tests/integration/t_pg.sh");
    }
    CHECK_INT_EQ(roost_sink_new("pg:postgresql://nobody@127.0.0.1:1/x"
                                "?batch=10",
                                &s, &d),
                 0);
    int rc = roost_sink_open(s, &d);
    CHECK_INT_EQ(rc, ROOST_EAGAIN);
    CHECK_MSG(strstr(d.msg, "cannot connect") != NULL, "%s", d.msg);
    roost_sink_free(s);
    CHECK_INT_EQ(roost_sink_new("pg:postgresql://x/y?batch=0", &s, &d), 0);
    CHECK_INT_EQ(roost_sink_open(s, &d), ROOST_EINVAL);
    roost_sink_free(s);
}

/* ---- the corpus, through PostgreSQL and SQLite --------------------------- */

static long long sq(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    CHECK_MSG(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s",
              sqlite3_errmsg(db));
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void write_corpus(const char *path, struct roost_sink *a,
                         struct roost_sink *b, uint64_t *n_posts)
{
    static char line[1 << 20];
    struct roost_json_doc doc;
    struct roost_norm norm;
    FILE *f = fopen(path, "rb");

    CHECK(f != NULL);
    roost_json_doc_init(&doc, ROOST_JSON_DEFAULT_DEPTH, 64u << 20);
    roost_norm_init(&norm);
    *n_posts = 0;
    /* Batches of ~200 records, as the pipeline hands them. */
    int n_rec = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strlen(line);
        char *rec = strndup(line, len); /* views must outlive the batch */
        CHECK(rec != NULL);
        if (roost_json_parse(&doc, rec, len, NULL) == 0) {
            roost_norm_record(&norm, &doc, rec, len, ROOST_FMT_AUTO, NULL);
        }
        if (++n_rec % 200 == 0 || feof(f)) {
            struct roost_sink_batch bt = { .posts = norm.posts,
                                           .n_posts = norm.n_posts,
                                           .ctls = norm.ctls,
                                           .n_ctls = norm.n_ctls };
            CHECK_INT_EQ(roost_sink_write(a, &bt), 0);
            CHECK_INT_EQ(roost_sink_write(b, &bt), 0);
            *n_posts += norm.n_posts;
            roost_norm_reset(&norm);
        }
        /* rec leaks until exit on purpose: norm views point into it */
    }
    struct roost_sink_batch bt = { .posts = norm.posts,
                                   .n_posts = norm.n_posts,
                                   .ctls = norm.ctls,
                                   .n_ctls = norm.n_ctls };
    CHECK_INT_EQ(roost_sink_write(a, &bt), 0);
    CHECK_INT_EQ(roost_sink_write(b, &bt), 0);
    *n_posts += norm.n_posts;
    CHECK_INT_EQ(roost_sink_flush(a), 0);
    CHECK_INT_EQ(roost_sink_flush(b), 0);
    roost_norm_fini(&norm);
    roost_json_doc_fini(&doc);
    fclose(f);
}

static const char *const tables[] = {
    "posts", "authors", "hashtags",  "mentions",       "cashtags",
    "urls",  "media",   "post_refs", "control_events",
};

static void test_corpus_same_as_sqlite(void)
{
    const char *data = check_data_dir();
    if (data == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set: corpus test not run");
    }
    char path[512], db[64], sql[256];
    snprintf(path, sizeof(path),
             "%s/tweets-corpus-covid-analysis/"
             "sample-stream-2021-01-01T0729Z.jsonl",
             data);
    fresh_db("roost_t_corpus");
    snprintf(db, sizeof(db), "/tmp/roost-pg-sqlite-%d.db", (int)getpid());
    unlink(db);
    uint64_t n_posts = 0;
    for (int round = 0; round < 2; round++) { /* the second: re-delivery */
        struct roost_sink *pg = sink_at("pg:%s?batch=1000", url);
        struct roost_sink *lite = sink_at("sqlite:%s", db);
        write_corpus(path, pg, lite, &n_posts);
        roost_sink_free(pg);
        roost_sink_free(lite);
    }
    sqlite3 *h = NULL;
    CHECK(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(n_posts > 100);
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
        long long want = sq(h, sql);
        long long got = q("%s", sql);
        printf("  %-15s pg %lld  sqlite %lld\n", tables[i], got, want);
        CHECK_MSG(got == want, "%s: pg %lld, sqlite %lld", tables[i], got,
                  want);
    }
    CHECK_INT_EQ(q("SELECT count(*) FROM posts WHERE referenced"),
                 sq(h, "SELECT count(*) FROM posts WHERE referenced"));
    CHECK_INT_EQ(q("SELECT count(DISTINCT tag_lower) FROM hashtags"),
                 sq(h, "SELECT count(DISTINCT tag_lower) FROM hashtags"));
    CHECK_INT_EQ(q("SELECT count(*) FROM posts WHERE tsv @@ "
                   "plainto_tsquery('simple', 'covid')"),
                 sq(h, "SELECT count(*) FROM posts_fts WHERE posts_fts "
                       "MATCH 'covid'"));
    sqlite3_close(h);
    unlink(db);
}

CHECK_LIST(test_schema_and_write, test_deletes, test_reconnect,
           test_unreachable, test_corpus_same_as_sqlite);
#endif /* ROOST_HAVE_LIBPQ */
