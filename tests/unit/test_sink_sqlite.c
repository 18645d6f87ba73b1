/* SPDX-License-Identifier: MIT
 *
 * test_sink_sqlite.c - the SQLite store: schema and migrations (an old
 * store is brought up to date, a newer one refused), idempotent writes,
 * deletes (also before their post), the referenced flag, rejected
 * batches rolling back, and FTS kept in sync.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

#include "check.h"
#include "store/sink.h"
#include "store/sqlite_schema.h"

static char db_path[256];

static void fresh_path(const char *name)
{
    snprintf(db_path, sizeof(db_path), "/tmp/roost-test-%s-%d.db", name,
             (int)getpid());
    char side[300];
    unlink(db_path);
    snprintf(side, sizeof(side), "%s-wal", db_path);
    unlink(side);
    snprintf(side, sizeof(side), "%s-shm", db_path);
    unlink(side);
}

static struct roost_sink *open_sink(const char *opts)
{
    char spec[512];
    struct roost_sink *s = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    snprintf(spec, sizeof(spec), "sqlite:%s%s", db_path, opts ? opts : "");
    CHECK_MSG(roost_sink_new(spec, &s, &d) == 0, "%s", d.msg);
    CHECK_MSG(roost_sink_open(s, &d) == 0, "%s", d.msg);
    return s;
}

/* count - one integer from SQL on a separate connection. */
static long long count(const char *sql)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) ==
          SQLITE_OK);
    CHECK_MSG(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s",
              sqlite3_errmsg(db));
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    long long v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

static struct roost_entity tags[2] = {
    { { "Roost", 5 }, { NULL, 0 }, 0, 6 },
    { { "sqlite", 6 }, { NULL, 0 }, 7, 14 },
};
static struct roost_entity ments[1] = { { { "alice", 5 }, { "42", 2 }, 0, 0 } };

static void mk_post(struct roost_post *p, const char *id, const char *text,
                    int64_t ms)
{
    memset(p, 0, sizeof(*p));
    p->format = ROOST_FMT_X1;
    p->platform = ROOST_PLATFORM_X;
    p->id = roost_str_cstr(id);
    p->text = roost_str_cstr(text);
    p->created_at_ms = ms;
    p->lang = roost_str_cstr("en");
    p->author.id = roost_str_cstr("7");
    p->author.handle = roost_str_cstr("bob");
    p->author.followers = 100;
    p->author.following = ROOST_UNKNOWN_COUNT;
    p->author.posts = ROOST_UNKNOWN_COUNT;
    p->hashtags = tags;
    p->n_hashtags = 2;
    p->mentions = ments;
    p->n_mentions = 1;
    p->retweets = ROOST_UNKNOWN_COUNT;
    p->likes = 3;
    p->replies = ROOST_UNKNOWN_COUNT;
    p->quotes = ROOST_UNKNOWN_COUNT;
}

static void write_posts(struct roost_sink *s, struct roost_post *posts,
                        uint32_t n, struct roost_ctl *ctls, uint32_t n_ctls)
{
    struct roost_sink_batch b = { posts, n, ctls, n_ctls };
    CHECK_MSG(roost_sink_write(s, &b) == 0, "%s", s->diag.msg);
    CHECK_INT_EQ(roost_sink_flush(s), 0);
}

static void test_schema_fresh(void)
{
    fresh_path("fresh");
    struct roost_sink *s = open_sink(NULL);
    CHECK_INT_EQ(count("PRAGMA user_version"), ROOST_SQLITE_SCHEMA_VERSION);
    CHECK_INT_EQ(count("SELECT count(*) FROM sqlite_master WHERE type = "
                       "'view'"),
                 9); /* 7 of v2, latest_query_results, live_hashtags */
    CHECK_INT_EQ(count("SELECT count(*) FROM sqlite_master WHERE name = "
                       "'posts_fts'"),
                 1);
    const char *mode = NULL;
    (void)mode;
    roost_sink_free(s);
    /* WAL: the journal mode is kept in the file. */
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_STR_EQ((const char *)sqlite3_column_text(st, 0), "wal");
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* Opening again migrates nothing and keeps everything. */
    s = open_sink(NULL);
    roost_sink_free(s);
    CHECK_INT_EQ(count("PRAGMA user_version"), ROOST_SQLITE_SCHEMA_VERSION);
}

static void test_migrate_old_store(void)
{
    fresh_path("old");
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
    CHECK_INT_EQ(roost_sqlite_schema_migrate(db, 1, NULL), 0);
    CHECK(sqlite3_exec(db,
                       "INSERT INTO posts (id, created_at, platform, "
                       "format, text, author_id) VALUES ('old1', 1000, 'x', "
                       "'v1', 'from version one', '7')",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_INT_EQ(count("PRAGMA user_version"), 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM sqlite_master WHERE type = "
                       "'view'"),
                 0);

    struct roost_sink *s = open_sink(NULL); /* migrates to the latest */
    roost_sink_free(s);
    CHECK_INT_EQ(count("PRAGMA user_version"), ROOST_SQLITE_SCHEMA_VERSION);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_per_user"), 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM live_posts"), 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM latest_query_results"), 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM live_hashtags"), 0);
    /* The FTS index was built over what was there. */
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_fts WHERE posts_fts "
                       "MATCH 'version'"),
                 1);
}

static void test_newer_store_refused(void)
{
    fresh_path("newer");
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) ==
          SQLITE_OK);
    sqlite3_close(db);
    struct roost_sink *s = NULL;
    struct roost_diag d;
    char spec[300];
    memset(&d, 0, sizeof(d));
    snprintf(spec, sizeof(spec), "sqlite:%s", db_path);
    CHECK_INT_EQ(roost_sink_new(spec, &s, &d), 0);
    CHECK_INT_EQ(roost_sink_open(s, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "newer") != NULL);
    roost_sink_free(s);
    CHECK_INT_EQ(count("PRAGMA user_version"), 99);
}

static void test_idempotent(void)
{
    fresh_path("idem");
    struct roost_sink *s = open_sink(NULL);
    struct roost_post p[2];
    mk_post(&p[0], "1", "hello #Roost #sqlite @alice", 1000);
    mk_post(&p[1], "2", "second post", 2000);
    write_posts(s, p, 2, NULL, 0);
    write_posts(s, p, 2, NULL, 0);
    write_posts(s, p + 1, 1, NULL, 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts"), 2);
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags"), 4);
    CHECK_INT_EQ(count("SELECT count(*) FROM mentions"), 2);
    CHECK_INT_EQ(count("SELECT count(*) FROM authors"), 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_fts"), 2);
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags WHERE tag_lower = "
                       "'roost' AND tag = 'Roost'"),
                 2);
    CHECK_INT_EQ(s->stats.n_posts, 5);
    roost_sink_free(s);
}

static void test_author_latest_profile(void)
{
    fresh_path("author");
    struct roost_sink *s = open_sink(NULL);
    struct roost_post p[2];
    mk_post(&p[0], "1", "newer", 5000);
    p[0].author.followers = 500;
    mk_post(&p[1], "2", "older", 1000);
    p[1].author.followers = 100;
    write_posts(s, p, 2, NULL, 0);
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT followers FROM authors WHERE id = '7'"), 500);
    CHECK_INT_EQ(count("SELECT author_followers FROM posts WHERE id = '2'"),
                 100);
}

static void test_delete_after_post(void)
{
    fresh_path("del");
    struct roost_sink *s = open_sink(NULL);
    struct roost_post p[2];
    mk_post(&p[0], "1", "doomed words", 1000);
    mk_post(&p[1], "2", "kept words", 2000);
    write_posts(s, p, 2, NULL, 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_fts WHERE posts_fts "
                       "MATCH 'words'"),
                 2);
    struct roost_ctl c = { .kind = ROOST_CTL_DELETE,
                           .platform = ROOST_PLATFORM_X,
                           .post_id = roost_str_cstr("1"),
                           .count = ROOST_UNKNOWN_COUNT };
    write_posts(s, NULL, 0, &c, 1);
    write_posts(s, NULL, 0, &c, 1); /* again: harmless */
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT deleted FROM posts WHERE id = '1'"), 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_fts WHERE posts_fts "
                       "MATCH 'words'"),
                 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_fts WHERE posts_fts "
                       "MATCH 'doomed'"),
                 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM control_events"), 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM live_posts"), 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_per_user"), 1);
    /* The FTS index is still consistent with its content table. */
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_fts WHERE posts_fts "
                       "MATCH 'kept'"),
                 1);
}

static void test_delete_before_post(void)
{
    fresh_path("early");
    struct roost_sink *s = open_sink(NULL);
    struct roost_ctl c = { .kind = ROOST_CTL_DELETE,
                           .platform = ROOST_PLATFORM_X,
                           .post_id = roost_str_cstr("9"),
                           .count = ROOST_UNKNOWN_COUNT };
    write_posts(s, NULL, 0, &c, 1);
    roost_sink_free(s);
    s = open_sink(NULL); /* the tombstone count survives a restart */
    struct roost_post p;
    mk_post(&p, "9", "too late", 1000);
    write_posts(s, &p, 1, NULL, 0);
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT deleted FROM posts WHERE id = '9'"), 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_fts WHERE posts_fts "
                       "MATCH 'late'"),
                 0);
}

static void test_referenced_flag(void)
{
    fresh_path("ref");
    struct roost_sink *s = open_sink(NULL);
    struct roost_post p;
    mk_post(&p, "1", "original", 1000);
    p.referenced = true;
    write_posts(s, &p, 1, NULL, 0);
    CHECK_INT_EQ(count("SELECT referenced FROM posts WHERE id = '1'"), 1);
    write_posts(s, &p, 1, NULL, 0);
    CHECK_INT_EQ(count("SELECT referenced FROM posts WHERE id = '1'"), 1);
    p.referenced = false;
    write_posts(s, &p, 1, NULL, 0);
    CHECK_INT_EQ(count("SELECT referenced FROM posts WHERE id = '1'"), 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags"), 2);
    roost_sink_free(s);
}

static void test_rejected_batch_rolls_back(void)
{
    fresh_path("reject");
    struct roost_sink *s = open_sink("?max-retries=0");
    struct roost_post p[3];
    mk_post(&p[0], "1", "good", 1000);
    mk_post(&p[1], "", "no id", 1000);
    mk_post(&p[2], "3", "good too", 1000);
    struct roost_sink_batch b = { p, 3, NULL, 0 };
    CHECK_INT_EQ(roost_sink_write(s, &b), ROOST_EINVAL);
    CHECK(strstr(s->diag.msg, "without id") != NULL);
    CHECK_INT_EQ(s->stats.n_rejected, 3);
    /* The transaction goes on: a later good batch commits alone. */
    write_posts(s, p + 2, 1, NULL, 0);
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts"), 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags"), 2);
}

static void test_no_fts_and_terms(void)
{
    fresh_path("nofts");
    struct roost_sink *s = open_sink("?fts=false&terms=hello,%20world%20");
    struct roost_post p;
    mk_post(&p, "1", "Hello there", 1000);
    write_posts(s, &p, 1, NULL, 0);
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT count(*) FROM sqlite_master WHERE name = "
                       "'posts_fts'"),
                 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM tracked_terms"), 2);
    CHECK_INT_EQ(count("SELECT posts FROM term_mentions WHERE term = "
                       "'hello'"),
                 1);
    CHECK_INT_EQ(count("SELECT posts FROM term_mentions WHERE term = "
                       "'world'"),
                 0);
}

static void test_bad_options(void)
{
    fresh_path("badopt");
    struct roost_sink *s = NULL;
    struct roost_diag d;
    char spec[300];
    memset(&d, 0, sizeof(d));
    snprintf(spec, sizeof(spec), "sqlite:%s?synchronous=sometimes", db_path);
    CHECK_INT_EQ(roost_sink_new(spec, &s, &d), 0);
    CHECK_INT_EQ(roost_sink_open(s, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "synchronous") != NULL);
    roost_sink_free(s);
    /* open/close twice on one file */
    for (int i = 0; i < 2; i++) {
        s = open_sink("?synchronous=full");
        roost_sink_free(s);
    }
}

CHECK_LIST(test_schema_fresh, test_migrate_old_store, test_newer_store_refused,
           test_idempotent, test_author_latest_profile, test_delete_after_post,
           test_delete_before_post, test_referenced_flag,
           test_rejected_batch_rolls_back, test_no_fts_and_terms,
           test_bad_options);
