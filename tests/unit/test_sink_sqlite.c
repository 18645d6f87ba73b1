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
 *
 * Every case runs twice, writer=inline and writer=thread (NAME_inline,
 * NAME_thread). The writer thread has its own cases: the same batches
 * give the same tables in both modes, a hard failure is sticky, write()
 * returns while the database is locked, and the queue bound holds.
 */
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <pthread.h>
#include <sched.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "parse/post.h"
#include "store/post_copy.h"
#include "store/sink.h"
#include "store/sink_sqlite_int.h"
#include "store/sqlite_schema.h"

static char db_path[256];
/* writer= for every sink a case opens: set by the NAME_inline and
 * NAME_thread wrappers (each case runs in its own process). */
static const char *writer = "inline";

static bool threaded(void)
{
    return strcmp(writer, "thread") == 0;
}

/* spec_for - "sqlite:PATH?writer=W" plus opts ("?k=v&..."). */
static void spec_for(char *spec, size_t cap, const char *opts)
{
    snprintf(spec, cap, "sqlite:%s?writer=%s%s%s", db_path, writer,
             opts != NULL && opts[0] != '\0' ? "&" : "",
             opts != NULL && opts[0] != '\0' ? opts + 1 : "");
}

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
    spec_for(spec, sizeof(spec), opts);
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
    spec_for(spec, sizeof(spec), NULL);
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
    spec_for(spec, sizeof(spec), "?synchronous=sometimes");
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
    if (threaded()) {
        CHECK_INT_EQ(roost_sink_flush(s), 0); /* the commit is the writer's */
    }
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

/* ---- writer=thread ------------------------------------------------------ */

static struct roost_sink *open_at(const char *path, const char *mode,
                                  const char *opts)
{
    char spec[512];
    struct roost_sink *s = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    snprintf(spec, sizeof(spec), "sqlite:%s?writer=%s%s", path, mode,
             opts != NULL ? opts : "");
    CHECK_MSG(roost_sink_new(spec, &s, &d) == 0, "%s", d.msg);
    CHECK_MSG(roost_sink_open(s, &d) == 0, "%s", d.msg);
    return s;
}

static void exec_at(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK_MSG(sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "%s",
              sqlite3_errmsg(db));
    sqlite3_close(db);
}

/* dump - every row the sink writes, table by table, and what FTS finds,
 * as text (malloc'd). */
static char *dump(const char *path)
{
    static const char *const sql[] = {
        "SELECT * FROM posts ORDER BY seq",
        "SELECT * FROM authors ORDER BY id",
        "SELECT * FROM hashtags ORDER BY rowid",
        "SELECT * FROM mentions ORDER BY rowid",
        "SELECT * FROM cashtags ORDER BY rowid",
        "SELECT * FROM urls ORDER BY rowid",
        "SELECT * FROM media ORDER BY rowid",
        "SELECT * FROM post_refs ORDER BY rowid",
        "SELECT * FROM control_events ORDER BY id",
        "SELECT count(*) FROM posts_fts",
        "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'words OR covid' "
        "ORDER BY rowid",
        "SELECT rowid FROM posts_fts WHERE posts_fts MATCH 'the' ORDER BY "
        "rowid",
        "SELECT tag_lower, count(*) FROM hashtags GROUP BY 1 ORDER BY 2 "
        "DESC, 1 LIMIT 20",
    };
    sqlite3 *db = NULL;
    size_t cap = 1 << 20, len = 0;
    char *out = malloc(cap);
    CHECK(out != NULL);
    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    for (size_t q = 0; q < sizeof(sql) / sizeof(sql[0]); q++) {
        sqlite3_stmt *st = NULL;
        CHECK_MSG(sqlite3_prepare_v2(db, sql[q], -1, &st, NULL) == SQLITE_OK,
                  "%s", sqlite3_errmsg(db));
        while (sqlite3_step(st) == SQLITE_ROW) {
            for (int i = 0; i < sqlite3_column_count(st); i++) {
                const char *v = (const char *)sqlite3_column_text(st, i);
                size_t n = v != NULL ? strlen(v) : 2;
                while (len + n + 2 > cap) {
                    cap *= 2;
                    out = realloc(out, cap);
                    CHECK(out != NULL);
                }
                memcpy(out + len, v != NULL ? v : "\\N", n);
                len += n;
                out[len++] = i + 1 < sqlite3_column_count(st) ? '|' : '\n';
            }
        }
        sqlite3_finalize(st);
    }
    sqlite3_close(db);
    out[len] = '\0';
    return out;
}

/* write_both - one batch to both sinks: the same answer from each. */
static void write_both(struct roost_sink *a, struct roost_sink *b,
                       const struct roost_sink_batch *batch)
{
    int ra = roost_sink_write(a, batch);
    int rb = roost_sink_write(b, batch);
    CHECK_MSG(ra == rb, "inline %d (%s), thread %d (%s)", ra, a->diag.msg, rb,
              b->diag.msg);
    if (ra < 0) {
        CHECK_STR_EQ(a->diag.msg, b->diag.msg);
    }
}

static void test_modes_identical(void)
{
    char pa[256], pb[256];
    fresh_path("same-thread");
    memcpy(pb, db_path, sizeof(pb));
    fresh_path("same-inline");
    memcpy(pa, db_path, sizeof(pa));
    struct roost_sink *a = open_at(pa, "inline", "&max-retries=0");
    struct roost_sink *b = open_at(pb, "thread", "&max-retries=0");
    /* Made-up batches: every entity kind, geo, rules, copies, deletes
     * (also before their post) and rejected batches. */
    static struct roost_entity url[1] = {
        { { "https://t.co/x", 14 }, { "https://www.Example.com/a", 25 }, 0, 0 }
    };
    static struct roost_entity cash[1] = {
        { { "ROO", 3 }, { NULL, 0 }, 0, 0 }
    };
    static struct roost_entity nulltag[1] = {
        { { NULL, 0 }, { NULL, 0 }, 0, 0 }
    };
    static struct roost_media media[1] = {
        { { "m1", 2 }, { "photo", 5 }, { "https://m/1.jpg", 15 }, { "", 0 } }
    };
    static struct roost_ref refs[2] = {
        { ROOST_REF_RETWEET, { "1", 1 }, { "7", 1 }, { "bob", 3 } },
        { ROOST_REF_QUOTE, { "2", 1 }, { NULL, 0 }, { NULL, 0 } },
    };
    static struct roost_str rules[2] = { { "r1", 2 }, { "rule \"two\"", 10 } };
    struct roost_post p[6];
    mk_post(&p[0], "1", "first words #Roost", 1000);
    mk_post(&p[1], "2", "second words", 2000);
    p[1].urls = url;
    p[1].n_urls = 1;
    p[1].cashtags = cash;
    p[1].n_cashtags = 1;
    p[1].media = media;
    p[1].n_media = 1;
    p[1].has_geo = true;
    p[1].geo.has_point = true;
    p[1].geo.lat = 52.5;
    p[1].geo.lon = 13.4;
    p[1].geo.has_bbox = true;
    p[1].geo.bbox[2] = 1.5;
    p[1].geo.place_name = roost_str_cstr("Berlin");
    p[1].geo.country_code = roost_str_cstr("DE");
    p[1].rules = rules;
    p[1].n_rules = 2;
    mk_post(&p[2], "3", "RT words", 3000);
    p[2].refs = refs;
    p[2].n_refs = 2;
    p[2].author.id = roost_str_cstr("8");
    mk_post(&p[3], "1", "first words #Roost", 1000); /* a referenced copy */
    p[3].referenced = true;
    mk_post(&p[4], "", "no id", 1000);
    mk_post(&p[5], "6", "null tag words", 1000);
    p[5].hashtags = nulltag;
    p[5].n_hashtags = 1;
    struct roost_ctl del[2] = {
        { .kind = ROOST_CTL_DELETE,
          .platform = ROOST_PLATFORM_X,
          .post_id = roost_str_cstr("2"),
          .count = ROOST_UNKNOWN_COUNT },
        { .kind = ROOST_CTL_DELETE,
          .platform = ROOST_PLATFORM_X,
          .post_id = roost_str_cstr("99"),
          .count = ROOST_UNKNOWN_COUNT,
          .reason = roost_str_cstr("early") },
    };
    struct roost_sink_batch made[] = {
        { p, 3, NULL, 0 },     { p + 3, 1, del + 1, 1 },
        { p + 3, 2, NULL, 0 },                        /* rejected: no id */
        { NULL, 0, del, 1 },   { p + 5, 1, NULL, 0 }, /* rejected */
        { p, 1, del, 2 },
    };
    for (size_t i = 0; i < sizeof(made) / sizeof(made[0]); i++) {
        write_both(a, b, &made[i]);
        if (i % 2 == 1) {
            CHECK_INT_EQ(roost_sink_flush(a), 0);
            CHECK_INT_EQ(roost_sink_flush(b), 0);
        }
    }
    mk_post(&p[0], "99", "deleted before it came", 5000);
    write_both(a, b, &(struct roost_sink_batch){ p, 1, NULL, 0 });
    /* A real corpus in batches of 40 records; the normalizer's memory is
     * reused as soon as write() returns, as in the pipeline. */
    const char *data = check_data_dir();
    char path[512];
    snprintf(path, sizeof(path),
             "%s/tweets-corpus-covid-analysis/"
             "sample-stream-2021-01-01T0729Z.jsonl",
             data != NULL ? data : ".");
    FILE *f = data != NULL ? fopen(path, "rb") : NULL;
    uint64_t n_posts = 0;
    if (f != NULL) {
        static char line[1 << 20];
        struct roost_json_doc doc;
        struct roost_norm norm;
        roost_json_doc_init(&doc, ROOST_JSON_DEFAULT_DEPTH, 64u << 20);
        roost_norm_init(&norm);
        for (int n = 0; n < 1200 && fgets(line, sizeof(line), f) != NULL; n++) {
            size_t len = strlen(line);
            if (roost_json_parse(&doc, line, len, NULL) == 0) {
                roost_norm_record(&norm, &doc, line, len, ROOST_FMT_AUTO, NULL);
            }
            if (n % 40 == 39) {
                struct roost_sink_batch nb = { norm.posts, norm.n_posts,
                                               norm.ctls, norm.n_ctls };
                write_both(a, b, &nb);
                n_posts += norm.n_posts;
                /* Poison what the thread must not read any more. */
                memset(line, 'x', sizeof(line) - 1);
                roost_norm_reset(&norm);
            }
            if (n % 400 == 399) {
                CHECK_INT_EQ(roost_sink_flush(a), 0);
                CHECK_INT_EQ(roost_sink_flush(b), 0);
            }
        }
        roost_norm_fini(&norm);
        roost_json_doc_fini(&doc);
        fclose(f);
        CHECK(n_posts > 500);
    }
    CHECK_INT_EQ(roost_sink_flush(a), 0);
    CHECK_INT_EQ(roost_sink_flush(b), 0);
    CHECK_INT_EQ(a->stats.n_posts, b->stats.n_posts);
    CHECK_INT_EQ(a->stats.n_rejected, b->stats.n_rejected);
    CHECK_INT_EQ(a->stats.n_rejected, 3);
    roost_sink_free(a);
    roost_sink_free(b);
    char *da = dump(pa), *db = dump(pb);
    CHECK(strlen(da) > 1000);
    CHECK(strstr(da, "Berlin") != NULL);
    CHECK_MSG(strcmp(da, db) == 0, "tables differ (%zu, %zu bytes)", strlen(da),
              strlen(db));
    memcpy(db_path, pb, sizeof(db_path));
    CHECK(fts_ok());
    CHECK_INT_EQ(count("SELECT deleted FROM posts WHERE id = '99'"), 1);
    free(da);
    free(db);
    if (f == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set: made-up batches only");
    }
}

/* A hard failure: inline, write() rejects the batch (it is dead-lettered)
 * and the sink goes on; thread, the next write() and every flush() say
 * so, and nothing after it is stored. */
static void test_hard_failure(void)
{
    fresh_path("hard");
    roost_sink_free(open_sink(NULL)); /* the schema */
    exec_at(db_path, "CREATE TRIGGER boom BEFORE INSERT ON posts WHEN "
                     "NEW.id = 'bad' BEGIN SELECT RAISE(ABORT, 'boom'); END");
    struct roost_sink *s = open_sink("?max-retries=0");
    struct roost_post p[4];
    mk_post(&p[0], "1", "fine", 1000);
    mk_post(&p[1], "bad", "fails in SQLite", 1000);
    mk_post(&p[2], "3", "after", 1000);
    mk_post(&p[3], "4", "later", 1000);
    write_posts(s, p, 1, NULL, 0);
    struct roost_sink_batch bad = { p + 1, 1, NULL, 0 };
    struct roost_sink_batch after = { p + 2, 1, NULL, 0 };
    struct roost_sink_batch later = { p + 3, 1, NULL, 0 };
    if (!threaded()) {
        CHECK_INT_EQ(roost_sink_write(s, &bad), ROOST_EIO);
        CHECK(strstr(s->diag.msg, "boom") != NULL);
        write_posts(s, p + 2, 2, NULL, 0);
        roost_sink_free(s);
        CHECK_INT_EQ(count("SELECT count(*) FROM posts"), 3);
        return;
    }
    CHECK_INT_EQ(roost_sink_write(s, &bad), 0); /* queued */
    int rc = roost_sink_write(s, &after);       /* 0 if the writer is behind */
    CHECK(rc == 0 || rc == ROOST_EIO);
    CHECK_INT_EQ(roost_sink_flush(s), ROOST_EIO);
    CHECK(strstr(s->diag.msg, "boom") != NULL);
    CHECK_INT_EQ(roost_sink_flush(s), ROOST_EIO); /* sticky */
    CHECK_INT_EQ(roost_sink_write(s, &later), ROOST_EIO);
    CHECK(strstr(s->diag.msg, "boom") != NULL);
    /* bad, after (lost in the writer or refused at write) and later; the
     * core counted the queued ones as written until the flush said not. */
    CHECK_INT_EQ(s->stats.n_rejected, 3);
    CHECK_INT_EQ(s->stats.n_posts, 1);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts"), 1);
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts WHERE id <> '1'"), 0);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* lock_db - another writer holds the database: BEGIN IMMEDIATE. */
static sqlite3 *lock_db(void)
{
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
    return db;
}

static void *unlock_later(void *arg)
{
    struct timespec ts = { 0, 300 * 1000000 };
    nanosleep(&ts, NULL);
    sqlite3_exec(arg, "ROLLBACK", NULL, NULL, NULL);
    return NULL;
}

static void test_thread_write_returns(void)
{
    if (!threaded()) {
        return; /* inline, write() waits for the lock: that is the point */
    }
    fresh_path("prompt");
    struct roost_sink *s =
        open_sink("?busy-timeout=20ms&retry-base=10ms&max-retries=100");
    sqlite3 *lock = lock_db();
    struct roost_post p[2];
    mk_post(&p[0], "1", "while locked", 1000);
    mk_post(&p[1], "2", "also", 1000);
    struct roost_sink_batch b = { p, 2, NULL, 0 };
    int64_t t0 = now_ms();
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    int64_t took = now_ms() - t0;
    CHECK_MSG(took < 150, "write took %lld ms", (long long)took);
    struct timespec ts = { 0, 200 * 1000000 };
    nanosleep(&ts, NULL);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts"), 0);
    sqlite3_exec(lock, "ROLLBACK", NULL, NULL, NULL);
    CHECK_INT_EQ(roost_sink_flush(s), 0);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts"), 2);
    CHECK(s->stats.n_retries > 0); /* the writer retried SQLITE_BUSY */
    roost_sink_free(s);
    sqlite3_close(lock);
}

static void test_thread_queue_bound(void)
{
    if (!threaded()) {
        return;
    }
    fresh_path("bound");
    struct roost_post p[3];
    for (int i = 0; i < 3; i++) {
        char id[8];
        snprintf(id, sizeof(id), "%d", i + 1);
        mk_post(&p[i], strdup(id), "queued", 1000);
    }
    /* A bound of one batch's copy: a second one does not fit. */
    struct roost_post_copy *cp = NULL;
    CHECK_INT_EQ(
        roost_post_copy_new(&(struct roost_sink_batch){ p, 1, NULL, 0 }, &cp),
        0);
    size_t one = cp->n_bytes;
    roost_post_copy_free(cp);
    char opts[200];
    snprintf(opts, sizeof(opts),
             "?queue=%zu&busy-timeout=20ms&retry-base=10ms&max-retries=100",
             one);
    struct roost_sink *s = open_sink(opts);
    struct roost__sink_sqlite_writer w;
    CHECK_INT_EQ(roost__sink_sqlite_writer_stats(s, &w), 0);
    CHECK(w.threaded);
    CHECK_INT_EQ(w.max_bytes, one);
    sqlite3 *lock = lock_db();
    pthread_t th;
    CHECK(pthread_create(&th, NULL, unlock_later, lock) == 0);
    int64_t t0 = now_ms();
    for (int i = 0; i < 3; i++) {
        struct roost_sink_batch b = { p + i, 1, NULL, 0 };
        CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    }
    /* The writer is stuck on the first; the third waited for the
     * second to leave the queue. */
    int64_t took = now_ms() - t0;
    CHECK_INT_EQ(roost__sink_sqlite_writer_stats(s, &w), 0);
    CHECK_MSG(w.n_waits >= 1, "waits %llu", (unsigned long long)w.n_waits);
    CHECK_INT_EQ(s->stats.n_waits, w.n_waits); /* what /metrics sums */
    CHECK_MSG(took >= 200, "writes took %lld ms", (long long)took);
    CHECK_INT_EQ(roost_sink_flush(s), 0);
    pthread_join(th, NULL);
    sqlite3_close(lock);
    CHECK_INT_EQ(roost__sink_sqlite_writer_stats(s, &w), 0);
    CHECK_INT_EQ(w.n_done, 3);
    CHECK_INT_EQ(w.depth_bytes, 0);
    roost_sink_free(s);
    CHECK_INT_EQ(count("SELECT count(*) FROM posts"), 3);
    /* The default bound: the same writes never wait. */
    fresh_path("bound2");
    s = open_sink(NULL);
    for (int i = 0; i < 3; i++) {
        struct roost_sink_batch b = { p + i, 1, NULL, 0 };
        CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    }
    CHECK_INT_EQ(roost__sink_sqlite_writer_stats(s, &w), 0);
    CHECK_INT_EQ(w.n_waits, 0);
    CHECK_INT_EQ(w.max_bytes, 64u << 20);
    roost_sink_free(s); /* close drains: all three stored */
    CHECK_INT_EQ(count("SELECT count(*) FROM posts"), 3);
}

static void test_writer_option(void)
{
    fresh_path("writeropt");
    struct roost_sink *s = NULL;
    struct roost_diag d;
    char spec[300];
    memset(&d, 0, sizeof(d));
    snprintf(spec, sizeof(spec), "sqlite:%s?writer=sometimes", db_path);
    CHECK_INT_EQ(roost_sink_new(spec, &s, &d), 0);
    CHECK_INT_EQ(roost_sink_open(s, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "thread or inline") != NULL);
    roost_sink_free(s);
    /* No writer=: a thread when this process may use 2+ CPUs and the
     * records can be delivered again; inline otherwise. */
    struct roost__sink_sqlite_writer w;
    cpu_set_t set;
    CHECK(sched_getaffinity(0, sizeof(set), &set) == 0);
    for (int replayable = 0; replayable <= 1; replayable++) {
        snprintf(spec, sizeof(spec), "sqlite:%s", db_path);
        CHECK_INT_EQ(roost_sink_new(spec, &s, &d), 0);
        s->replayable = replayable != 0;
        CHECK_INT_EQ(roost_sink_open(s, &d), 0);
        CHECK_INT_EQ(roost__sink_sqlite_writer_stats(s, &w), 0);
        CHECK_INT_EQ(w.threaded, replayable && CPU_COUNT(&set) > 1);
        roost_sink_free(s);
    }
    s = open_sink(NULL);
    CHECK_INT_EQ(roost__sink_sqlite_writer_stats(s, &w), 0);
    CHECK_INT_EQ(w.threaded, threaded());
    roost_sink_free(s);
    struct roost_buf help;
    roost_buf_init(&help, 1 << 16);
    CHECK_INT_EQ(roost_sink_help(&roost_sink_sqlite, &help), 0);
    CHECK(strstr(help.ptr, "writer") != NULL);
    CHECK(strstr(help.ptr, "queue") != NULL);
    roost_buf_fini(&help);
}

/* Every case once per writer mode. */
#define BOTH(name)                                                             \
    static void name##_inline(void)                                            \
    {                                                                          \
        writer = "inline";                                                     \
        name();                                                                \
    }                                                                          \
    static void name##_thread(void)                                            \
    {                                                                          \
        writer = "thread";                                                     \
        name();                                                                \
    }

BOTH(test_schema_fresh)
BOTH(test_migrate_old_store)
BOTH(test_newer_store_refused)
BOTH(test_idempotent)
BOTH(test_author_latest_profile)
BOTH(test_delete_after_post)
BOTH(test_delete_before_post)
BOTH(test_referenced_flag)
BOTH(test_rejected_batch_rolls_back)
BOTH(test_no_fts_and_terms)
BOTH(test_bad_options)
BOTH(test_multirow_boundaries)
BOTH(test_many_rows_one_write)
BOTH(test_not_null_entity_rejected)
BOTH(test_fts_synced_at_commit)
BOTH(test_author_cache)
BOTH(test_redelivered_copies)
BOTH(test_hard_failure)
BOTH(test_thread_write_returns)
BOTH(test_thread_queue_bound)
BOTH(test_writer_option)

CHECK_LIST(test_schema_fresh_inline, test_schema_fresh_thread,
           test_migrate_old_store_inline, test_migrate_old_store_thread,
           test_newer_store_refused_inline, test_newer_store_refused_thread,
           test_idempotent_inline, test_idempotent_thread,
           test_author_latest_profile_inline, test_author_latest_profile_thread,
           test_delete_after_post_inline, test_delete_after_post_thread,
           test_delete_before_post_inline, test_delete_before_post_thread,
           test_referenced_flag_inline, test_referenced_flag_thread,
           test_rejected_batch_rolls_back_inline,
           test_rejected_batch_rolls_back_thread, test_no_fts_and_terms_inline,
           test_no_fts_and_terms_thread, test_bad_options_inline,
           test_bad_options_thread, test_multirow_boundaries_inline,
           test_multirow_boundaries_thread, test_many_rows_one_write_inline,
           test_many_rows_one_write_thread,
           test_not_null_entity_rejected_inline,
           test_not_null_entity_rejected_thread,
           test_fts_synced_at_commit_inline, test_fts_synced_at_commit_thread,
           test_author_cache_inline, test_author_cache_thread,
           test_redelivered_copies_inline, test_redelivered_copies_thread,
           test_hard_failure_inline, test_hard_failure_thread,
           test_thread_write_returns_inline, test_thread_write_returns_thread,
           test_thread_queue_bound_inline, test_thread_queue_bound_thread,
           test_writer_option_inline, test_writer_option_thread,
           test_modes_identical);
