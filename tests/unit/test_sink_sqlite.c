/* SPDX-License-Identifier: MIT
 *
 * test_sink_sqlite.c - the SQLite store: schema and migrations (an old
 * store is brought up to date, a newer one refused), idempotent writes,
 * deletes (also before their post), the referenced flag, rejected
 * batches rolling back, and FTS kept in sync. Also the write path's
 * shortcuts: multi-row entity INSERTs (row counts that are not a multiple
 * of a statement's rows, a write past the pending-row bound), FTS synced
 * at commit (deletes inside the same transaction, rejected batches), the
 * author and post caches.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
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

/* fts_ok - FTS5's own check that posts_fts matches its content. */
static bool fts_ok(void)
{
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
    int rc = sqlite3_exec(db,
                          "INSERT INTO posts_fts(posts_fts) "
                          "VALUES('integrity-check')",
                          NULL, NULL, NULL);
    sqlite3_close(db);
    return rc == SQLITE_OK;
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
    CHECK(fts_ok());
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

/* n_tags hashtags "TagK" (K from `first`), kept for the process. */
static struct roost_entity *many_tags(uint32_t n, uint32_t first)
{
    struct roost_entity *t = calloc(n, sizeof(*t));
    CHECK(t != NULL);
    for (uint32_t i = 0; i < n; i++) {
        char *s = malloc(16);
        CHECK(s != NULL);
        int len = snprintf(s, 16, "Tag%u", first + i);
        t[i].text = roost_str_make(s, (size_t)len);
    }
    return t;
}

static void test_multirow_boundaries(void)
{
    fresh_path("multi");
    struct roost_sink *s = open_sink(NULL);
    /* 100 + 29 = 129 = 2 * 64 + 1 rows in one write, then 127 = 64 + 32
     * + 16 + 8 + 4 + 2 + 1, then 3: every statement size, in order. */
    uint32_t sizes[] = { 100, 29, 127, 3 };
    struct roost_post p[4];
    uint32_t first = 0;
    for (int i = 0; i < 4; i++) {
        char id[8];
        snprintf(id, sizeof(id), "%d", i + 1);
        mk_post(&p[i], strdup(id), "text", 1000 + i);
        p[i].hashtags = many_tags(sizes[i], first);
        p[i].n_hashtags = sizes[i];
        first += sizes[i];
    }
    write_posts(s, p, 2, NULL, 0);
    write_posts(s, p + 2, 1, NULL, 0);
    write_posts(s, p + 3, 1, NULL, 0);
    roost_sink_free(s);
    /* Closed for real (no statement left behind): the last connection
     * checkpoints and removes the WAL. */
    char wal[300];
    snprintf(wal, sizeof(wal), "%s-wal", db_path);
    CHECK(access(wal, F_OK) != 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags"), first);
    /* Rows keep their order and each its own values. */
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags WHERE tag <> 'Tag' || "
                       "(rowid - 1) OR tag_lower <> lower(tag)"),
                 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags h JOIN posts p ON "
                       "p.id = h.post_id WHERE h.created_at <> p.created_at"),
                 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags WHERE post_id = '2'"),
                 29);
    CHECK_INT_EQ(count("SELECT count(*) FROM mentions"), 4);
}

static void test_many_rows_one_write(void)
{
    fresh_path("manyrows");
    struct roost_sink *s = open_sink(NULL);
    /* 50 posts of 101 hashtags: past the pending-row bound mid-write. */
    enum { N = 50, PER = 101 };
    struct roost_post *p = calloc(N, sizeof(*p));
    CHECK(p != NULL);
    struct roost_entity *t = many_tags(N * PER, 0);
    for (int i = 0; i < N; i++) {
        char id[8];
        snprintf(id, sizeof(id), "%d", i);
        mk_post(&p[i], strdup(id), "many", 1000);
        p[i].hashtags = t + i * PER;
        p[i].n_hashtags = PER;
    }
    write_posts(s, p, N, NULL, 0);
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags"), N * PER);
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags WHERE tag <> 'Tag' || "
                       "(rowid - 1) OR tag_lower <> lower(tag)"),
                 0);
    free(p);
}

static void test_not_null_entity_rejected(void)
{
    fresh_path("notnull");
    struct roost_sink *s = open_sink("?max-retries=0");
    struct roost_entity bad[1] = { { { NULL, 0 }, { NULL, 0 }, 0, 0 } };
    struct roost_post p[2];
    mk_post(&p[0], "1", "fine", 1000);
    mk_post(&p[1], "2", "bad tag", 1000);
    p[1].hashtags = bad;
    p[1].n_hashtags = 1;
    struct roost_sink_batch b = { p, 2, NULL, 0 };
    CHECK_INT_EQ(roost_sink_write(s, &b), ROOST_EIO);
    CHECK(strstr(s->diag.msg, "hashtags.tag") != NULL);
    write_posts(s, p, 1, NULL, 0); /* the cache forgot "1" */
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts"), 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags"), 2);
    CHECK_INT_EQ(count("SELECT count(*) FROM authors"), 1);
}

static void test_fts_synced_at_commit(void)
{
    fresh_path("ftssync");
    struct roost_sink *s = open_sink(NULL);
    struct roost_post p[3];
    mk_post(&p[0], "1", "alpha words", 1000);
    mk_post(&p[1], "2", "beta words", 2000);
    mk_post(&p[2], "3", "gamma words", 3000);
    struct roost_ctl del = { .kind = ROOST_CTL_DELETE,
                             .platform = ROOST_PLATFORM_X,
                             .post_id = roost_str_cstr("2"),
                             .count = ROOST_UNKNOWN_COUNT };
    /* Written and deleted in one transaction: never indexed. */
    struct roost_sink_batch b = { p, 2, NULL, 0 };
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    b = (struct roost_sink_batch){ NULL, 0, &del, 1 };
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    CHECK_INT_EQ(roost_sink_flush(s), 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_fts WHERE posts_fts "
                       "MATCH 'words'"),
                 1);
    CHECK(fts_ok());
    /* An indexed post deleted by a batch that is then rejected stays. */
    struct roost_ctl del1 = del;
    del1.post_id = roost_str_cstr("1");
    struct roost_post noid;
    mk_post(&noid, "", "no id", 1000);
    b = (struct roost_sink_batch){ &noid, 1, &del1, 1 };
    s->max_retries = 0;
    CHECK_INT_EQ(roost_sink_write(s, &b), ROOST_EINVAL);
    write_posts(s, p + 2, 1, NULL, 0);
    CHECK_INT_EQ(count("SELECT deleted FROM posts WHERE id = '1'"), 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_fts WHERE posts_fts "
                       "MATCH 'words'"),
                 2);
    /* ... and leaves the index when a delete is accepted. */
    write_posts(s, NULL, 0, &del1, 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_fts WHERE posts_fts "
                       "MATCH 'alpha OR words'"),
                 1);
    roost_sink_free(s);
    CHECK(fts_ok());
    /* Phrases and diacritics as before. */
    s = open_sink("?txn-posts=1"); /* commits inside each write */
    struct roost_post q;
    mk_post(&q, "4", "Café au lait, please", 4000);
    struct roost_sink_batch bq = { &q, 1, NULL, 0 };
    CHECK_INT_EQ(roost_sink_write(s, &bq), 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts_fts WHERE posts_fts "
                       "MATCH '\"cafe au lait\"'"),
                 1);
    roost_sink_free(s);
    CHECK(fts_ok());
}

static void test_author_cache(void)
{
    fresh_path("acache");
    struct roost_sink *s = open_sink(NULL);
    struct roost_post p[4];
    mk_post(&p[0], "1", "a", 1000);
    p[0].author.followers = 100;
    mk_post(&p[1], "2", "b", 1000); /* same time, new profile: wins */
    p[1].author.followers = 200;
    mk_post(&p[2], "3", "c", 500); /* older: changes nothing */
    p[2].author.followers = 50;
    mk_post(&p[3], "4", "d", 1000); /* same time, same profile */
    p[3].author.followers = 200;
    write_posts(s, p, 4, NULL, 0);
    CHECK_INT_EQ(count("SELECT followers FROM authors WHERE id = '7'"), 200);
    CHECK_INT_EQ(count("SELECT seen_at FROM authors WHERE id = '7'"), 1000);
    /* A rejected batch's newer profile is undone, and forgotten. */
    struct roost_post r[2];
    mk_post(&r[0], "5", "e", 2000);
    r[0].author.followers = 999;
    mk_post(&r[1], "", "no id", 2000);
    struct roost_sink_batch b = { r, 2, NULL, 0 };
    s->max_retries = 0;
    CHECK_INT_EQ(roost_sink_write(s, &b), ROOST_EINVAL);
    mk_post(&r[1], "6", "f", 1000); /* same time as the row, new name */
    r[1].author.followers = 200;
    r[1].author.name = roost_str_cstr("Bob");
    write_posts(s, &r[1], 1, NULL, 0);
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT followers FROM authors WHERE id = '7'"), 200);
    CHECK_INT_EQ(count("SELECT name = 'Bob' FROM authors WHERE id = '7'"), 1);
    /* Another session knows nothing and asks SQLite. */
    s = open_sink(NULL);
    mk_post(&r[0], "7", "g", 900);
    r[0].author.followers = 1;
    write_posts(s, r, 1, NULL, 0);
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT followers FROM authors WHERE id = '7'"), 200);
}

static void test_redelivered_copies(void)
{
    fresh_path("copies");
    struct roost_sink *s = open_sink(NULL);
    struct roost_post p;
    mk_post(&p, "1", "posted", 1000);
    write_posts(s, &p, 1, NULL, 0);
    p.referenced = true; /* a later retweet carries it again */
    write_posts(s, &p, 1, NULL, 0);
    CHECK_INT_EQ(count("SELECT referenced FROM posts WHERE id = '1'"), 0);
    struct roost_post q[3];
    mk_post(&q[0], "2", "copy", 2000);
    q[0].referenced = true;
    q[1] = q[0];
    q[2] = q[0];
    q[2].referenced = false;
    write_posts(s, q, 3, NULL, 0);
    CHECK_INT_EQ(count("SELECT referenced FROM posts WHERE id = '2'"), 0);
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts"), 2);
    CHECK_INT_EQ(count("SELECT count(*) FROM hashtags"), 4);
    CHECK(fts_ok());
}

CHECK_LIST(test_schema_fresh, test_migrate_old_store, test_newer_store_refused,
           test_idempotent, test_author_latest_profile, test_delete_after_post,
           test_delete_before_post, test_referenced_flag,
           test_rejected_batch_rolls_back, test_no_fts_and_terms,
           test_bad_options, test_multirow_boundaries, test_many_rows_one_write,
           test_not_null_entity_rejected, test_fts_synced_at_commit,
           test_author_cache, test_redelivered_copies);
