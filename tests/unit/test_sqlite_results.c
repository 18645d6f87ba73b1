/* SPDX-License-Identifier: MIT
 *
 * test_sqlite_results.c - query results in the SQLite store: emissions
 * and the latest_query_results view, the cut at recovery, and the
 * engine's store output end to end (one emission per trigger that changed
 * the result; a crash after an unsaved emission does not duplicate it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "check.h"
#include "engine/engine.h"
#include "store/sqlite_results.h"

static char dir[64];
static char db_path[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/roost-sqres-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(db_path, sizeof(db_path), "%s/store.db", dir);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
}

/* The single integer (or text as "%s") an SQL query returns. */
static const char *scalar(const char *sql)
{
    static char out[1024];
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
    CHECK_MSG(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK, "%s: %s",
              sql, sqlite3_errmsg(db));
    out[0] = '\0';
    if (sqlite3_step(st) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        snprintf(out, sizeof(out), "%s", t ? (const char *)t : "null");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

static void test_emissions_latest_and_cut(void)
{
    setup();
    struct roost_sqlite_results *r = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK_MSG(roost_sqlite_results_open(db_path, &r, &d) == 0, "%s", d.msg);
    const char e1[] = "{\"tag\":\"a\",\"n\":1}\n";
    const char e2[] = "{\"tag\":\"a\",\"n\":2}\n{\"tag\":\"b\",\"n\":1}\n";
    CHECK(roost_sqlite_results_write(r, "top", 1, 1000, e1, strlen(e1)) == 0);
    CHECK(roost_sqlite_results_write(r, "top", 2, 2000, e2, strlen(e2)) == 0);
    CHECK(roost_sqlite_results_write(r, "other", 1, 2000, e1, strlen(e1)) == 0);
    CHECK_STR_EQ(scalar("SELECT count(*) FROM query_results"), "4");
    CHECK_STR_EQ(scalar("SELECT group_concat(row_json, ' ') FROM "
                        "latest_query_results WHERE query = 'top'"),
                 "{\"tag\":\"a\",\"n\":2} {\"tag\":\"b\",\"n\":1}");
    CHECK_STR_EQ(scalar("SELECT max(emitted_at) FROM latest_query_results "
                        "WHERE query = 'top'"),
                 "2000");
    CHECK(roost_sqlite_results_cut(r, "top", 1) == 0);
    CHECK_STR_EQ(scalar("SELECT row_json FROM latest_query_results "
                        "WHERE query = 'top'"),
                 "{\"tag\":\"a\",\"n\":1}");
    CHECK_STR_EQ(scalar("SELECT count(*) FROM query_results WHERE "
                        "query = 'other'"),
                 "1");
    roost_sqlite_results_close(r);
    /* Reopening an up-to-date store migrates nothing and keeps the rows. */
    CHECK(roost_sqlite_results_open(db_path, &r, &d) == 0);
    roost_sqlite_results_close(r);
    CHECK_STR_EQ(scalar("PRAGMA user_version"), "3");
    CHECK_STR_EQ(scalar("SELECT count(*) FROM query_results"), "2");
    teardown();
}

static void test_live_hashtags_view(void)
{
    setup();
    struct roost_sqlite_results *r = NULL;
    CHECK(roost_sqlite_results_open(db_path, &r, NULL) == 0);
    roost_sqlite_results_close(r);
    sqlite3 *db = NULL;
    CHECK(sqlite3_open(db_path, &db) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "INSERT INTO posts(id, platform, format, text, "
                       "referenced, deleted) VALUES"
                       " ('1', 'x', 'v2', 't', 0, 0),"
                       " ('2', 'x', 'v2', 't', 1, 0),"
                       " ('3', 'x', 'v2', 't', 0, 1);"
                       "INSERT INTO hashtags(post_id, tag, tag_lower) VALUES"
                       " ('1', 'A', 'a'), ('2', 'B', 'b'), ('3', 'C', 'c');",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    /* Referenced copies are out; deleted posts stay, as in the stream. */
    CHECK_STR_EQ(scalar("SELECT group_concat(tag_lower) FROM (SELECT "
                        "tag_lower FROM live_hashtags ORDER BY 1)"),
                 "a,c");
    teardown();
}

/* ---- the engine's store output --------------------------------------- */

struct tpost {
    struct roost_post p;
    struct roost_entity tags[4];
};

static void push(struct roost_engine *e, const char *id, const char *tag)
{
    struct tpost t;
    memset(&t, 0, sizeof(t));
    t.p.id = roost_str_cstr(id);
    t.p.created_at_ms = 1700000000000LL;
    t.p.text = roost_str_cstr(tag);
    t.p.hashtags = t.tags;
    t.tags[0].text = roost_str_cstr(tag);
    t.p.n_hashtags = 1;
    CHECK(roost_engine_push_posts(e, &t.p, 1) == 0);
}

static struct roost_engine *engine(void)
{
    struct roost_engine_cfg ec = {
        .ckpt_dir = dir,
        .ckpt_interval_ms = 3600000, /* only finish checkpoints */
    };
    struct roost_engine_query_cfg qc = {
        .exec = { .name = "top",
                  .sql = "SELECT tag_lower AS tag, COUNT(*) AS n "
                         "FROM hashtags GROUP BY tag_lower "
                         "ORDER BY n DESC, tag",
                  .lateness_ms = -1 },
        .format = ROOST_QOUT_STORE,
        .out_path = db_path,
        .trigger_ms = 1,
    };
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    struct roost_engine *e = NULL;
    CHECK_MSG(roost_engine_new(&ec, &e, &d) == 0, "%s", d.msg);
    CHECK_MSG(roost_engine_add_query(e, &qc, &d) == 0, "%s", d.msg);
    return e;
}

static void fire(struct roost_engine *e)
{
    usleep(3000); /* past the 1 ms trigger */
    CHECK(roost_engine_tick(e) == 0);
}

static void test_engine_rows_per_trigger(void)
{
    setup();
    struct roost_engine *e = engine();
    CHECK(roost_engine_recover(e, NULL, 0, NULL) == 0);
    push(e, "1", "a");
    push(e, "2", "b");
    fire(e);
    fire(e); /* nothing changed: no emission */
    CHECK_STR_EQ(scalar("SELECT count(DISTINCT seq) FROM query_results"), "1");
    push(e, "3", "a");
    fire(e);
    CHECK_STR_EQ(scalar("SELECT count(*) || '/' || max(seq) FROM "
                        "query_results"),
                 "4/2");
    CHECK_STR_EQ(scalar("SELECT group_concat(json_extract(row_json, "
                        "'$.tag') || '=' || json_extract(row_json, '$.n'), "
                        "' ') FROM latest_query_results "
                        "WHERE query = 'top'"),
                 "a=2 b=1");
    roost_engine_free(e);
    teardown();
}

static void test_engine_recovery_does_not_duplicate(void)
{
    setup();
    struct roost_engine *e = engine();
    CHECK(roost_engine_recover(e, NULL, 0, NULL) == 0);
    push(e, "1", "a");
    CHECK(roost_engine_finish(e, 1) == 0); /* emission 1, checkpointed */
    push(e, "2", "b");
    fire(e); /* emission 2, then a crash before its checkpoint */
    CHECK_STR_EQ(scalar("SELECT max(seq) FROM query_results"), "2");
    roost_engine_free(e);

    e = engine();
    CHECK(roost_engine_recover(e, NULL, 1, NULL) == 0);
    CHECK_STR_EQ(scalar("SELECT count(*) || '/' || max(seq) FROM "
                        "query_results"),
                 "1/1");
    push(e, "2", "b"); /* the replay of record 2 */
    CHECK(roost_engine_finish(e, 2) == 0);
    CHECK_STR_EQ(scalar("SELECT count(*) || '/' || max(seq) FROM "
                        "query_results"),
                 "3/2");
    CHECK_STR_EQ(scalar("SELECT group_concat(json_extract(row_json, "
                        "'$.tag') || '=' || json_extract(row_json, '$.n'), "
                        "' ') FROM latest_query_results"),
                 "a=1 b=1");
    roost_engine_free(e);
    teardown();
}

static void test_engine_store_needs_path(void)
{
    struct roost_engine_cfg ec = { 0 };
    struct roost_engine_query_cfg qc = {
        .exec = { .name = "q", .sql = "SELECT tag FROM hashtags" },
        .format = ROOST_QOUT_STORE,
    };
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    struct roost_engine *e = NULL;
    CHECK(roost_engine_new(&ec, &e, &d) == 0);
    CHECK(roost_engine_add_query(e, &qc, &d) == ROOST_EINVAL);
    CHECK(strstr(d.msg, "path") != NULL);
    roost_engine_free(e);
}

CHECK_LIST(test_emissions_latest_and_cut, test_live_hashtags_view,
           test_engine_rows_per_trigger,
           test_engine_recovery_does_not_duplicate,
           test_engine_store_needs_path);
