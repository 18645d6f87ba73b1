/* SPDX-License-Identifier: MIT
 *
 * sqlite_schema.c - the SQLite store's tables, indexes and views, as a
 * list of migrations.
 *
 * Version 1 holds the data: one row per post (posts, keyed by the
 * platform's id, with an INTEGER PRIMARY KEY `seq` that VACUUM keeps, so
 * the external-content FTS index can point at it), the latest profile of
 * each author, one row per entity (hashtags, mentions, cashtags, urls,
 * media, post_refs) denormalized with the post's time so time-range
 * queries never touch posts, control events (deletes are tombstones) and
 * gaps. Version 2 adds the views that answer the seeds' questions and the
 * tracked_terms table. Version 3 adds query_results, where continuous
 * queries with `output = store` write their result rows, and the views
 * latest_query_results and live_hashtags. Append a migration to change
 * anything; never edit one that shipped. docs/schema.md describes every
 * column.
 *
 * "Now" in the views is the newest created_at in the store, so they work
 * the same on a live stream and on last year's corpus.
 */
#include <stdio.h>
#include <string.h>

#include "store/sqlite_schema.h"

static const char schema_v1[] =
    "CREATE TABLE posts ("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " created_at INTEGER,"
    " platform TEXT NOT NULL,"
    " format TEXT NOT NULL,"
    " lang TEXT,"
    " text TEXT NOT NULL,"
    " author_id TEXT,"
    " author_handle TEXT,"
    " author_name TEXT,"
    " author_followers INTEGER,"
    " reply_to TEXT,"
    " retweet_of TEXT,"
    " quote_of TEXT,"
    " retweets INTEGER,"
    " likes INTEGER,"
    " replies INTEGER,"
    " quotes INTEGER,"
    " lat REAL,"
    " lon REAL,"
    " place_id TEXT,"
    " place TEXT,"
    " place_full_name TEXT,"
    " place_type TEXT,"
    " country TEXT,"
    " country_code TEXT,"
    " bbox TEXT,"
    " source TEXT,"
    " url TEXT,"
    " conversation_id TEXT,"
    " rules TEXT,"
    " sensitive INTEGER NOT NULL DEFAULT 0,"
    " truncated INTEGER NOT NULL DEFAULT 0,"
    " referenced INTEGER NOT NULL DEFAULT 0,"
    " deleted INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX posts_created_at ON posts(created_at);"
    "CREATE TABLE authors ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " platform TEXT NOT NULL,"
    " handle TEXT,"
    " name TEXT,"
    " description TEXT,"
    " location TEXT,"
    " lang TEXT,"
    " profile_image_url TEXT,"
    " followers INTEGER,"
    " following INTEGER,"
    " posts INTEGER,"
    " verified INTEGER NOT NULL DEFAULT 0,"
    " created_at INTEGER,"
    " seen_at INTEGER) WITHOUT ROWID;"
    "CREATE TABLE hashtags ("
    " post_id TEXT NOT NULL,"
    " tag TEXT NOT NULL,"
    " tag_lower TEXT NOT NULL,"
    " created_at INTEGER,"
    " author_id TEXT,"
    " author_followers INTEGER,"
    " lang TEXT);"
    "CREATE INDEX hashtags_tag_time ON hashtags(tag_lower, created_at);"
    "CREATE INDEX hashtags_time ON hashtags(created_at);"
    "CREATE INDEX hashtags_post ON hashtags(post_id);"
    "CREATE TABLE mentions ("
    " post_id TEXT NOT NULL,"
    " handle TEXT NOT NULL,"
    " handle_lower TEXT NOT NULL,"
    " user_id TEXT,"
    " created_at INTEGER,"
    " author_id TEXT);"
    "CREATE INDEX mentions_handle_time ON mentions(handle_lower, created_at);"
    "CREATE INDEX mentions_post ON mentions(post_id);"
    "CREATE TABLE cashtags ("
    " post_id TEXT NOT NULL,"
    " tag TEXT NOT NULL,"
    " tag_lower TEXT NOT NULL,"
    " created_at INTEGER);"
    "CREATE INDEX cashtags_post ON cashtags(post_id);"
    "CREATE TABLE urls ("
    " post_id TEXT NOT NULL,"
    " url TEXT NOT NULL,"
    " expanded TEXT,"
    " domain TEXT,"
    " created_at INTEGER);"
    "CREATE INDEX urls_domain_time ON urls(domain, created_at);"
    "CREATE INDEX urls_post ON urls(post_id);"
    "CREATE TABLE media ("
    " post_id TEXT NOT NULL,"
    " media_id TEXT,"
    " type TEXT,"
    " url TEXT,"
    " alt TEXT);"
    "CREATE INDEX media_post ON media(post_id);"
    "CREATE TABLE post_refs ("
    " post_id TEXT NOT NULL,"
    " type TEXT NOT NULL,"
    " ref_id TEXT NOT NULL,"
    " ref_author_id TEXT,"
    " ref_author_handle TEXT);"
    "CREATE INDEX post_refs_post ON post_refs(post_id);"
    "CREATE INDEX post_refs_ref ON post_refs(ref_id);"
    "CREATE TABLE control_events ("
    " id INTEGER PRIMARY KEY,"
    " kind TEXT NOT NULL,"
    " platform TEXT NOT NULL,"
    " post_id TEXT NOT NULL DEFAULT '',"
    " user_id TEXT NOT NULL DEFAULT '',"
    " code TEXT NOT NULL DEFAULT '',"
    " reason TEXT,"
    " count INTEGER,"
    " ts INTEGER NOT NULL DEFAULT 0,"
    " UNIQUE (post_id, kind, platform, user_id, code, ts));"
    "CREATE TABLE gaps ("
    " id INTEGER PRIMARY KEY,"
    " source TEXT NOT NULL,"
    " from_ms INTEGER,"
    " to_ms INTEGER,"
    " n_missing INTEGER,"
    " reason TEXT,"
    " recorded_at INTEGER);";

/* Views see the posts the stream delivered: not deleted, and not the
 * referenced-only copies (a retweet's original); see docs/queries.md. */
#define ISO(x) "strftime('%Y-%m-%dT%H:%M:%fZ', " x " / 1000.0, 'unixepoch')"
#define NEWEST "(SELECT max(created_at) FROM posts)"

static const char schema_v2[] =
    "CREATE TABLE tracked_terms (term TEXT PRIMARY KEY NOT NULL);"
    "CREATE VIEW live_posts AS"
    " SELECT " ISO(
        "p.created_at") " AS created_at, p.author_handle AS"
                        " author, p.lang, p.text, p.id"
                        " FROM posts p"
                        " WHERE p.created_at >= " NEWEST " - 60000"
                        " AND p.deleted = 0 AND p.referenced = 0"
                        " ORDER BY p.created_at DESC, p.id;"
                        "CREATE VIEW top_hashtags_1h AS"
                        " SELECT h.tag_lower AS tag, count(DISTINCT h.post_id) "
                        "AS posts"
                        " FROM hashtags h JOIN posts p ON p.id = h.post_id"
                        " WHERE h.created_at >= " NEWEST " - 3600000"
                        " AND p.deleted = 0 AND p.referenced = 0"
                        " GROUP BY h.tag_lower ORDER BY posts DESC, tag;"
                        "CREATE VIEW post_rate_2s AS"
                        " SELECT strftime('%Y-%m-%dT%H:%M:%SZ', (created_at / "
                        "2000) * 2,"
                        " 'unixepoch') AS bucket, count(*) AS posts,"
                        " round(count(*) / 2.0, 1) AS per_second"
                        " FROM posts"
                        " WHERE created_at IS NOT NULL AND deleted = 0 AND "
                        "referenced = 0"
                        " GROUP BY created_at / 2000 ORDER BY created_at / "
                        "2000 DESC;"
                        "CREATE VIEW hashtag_influencers AS"
                        " SELECT h.tag_lower AS tag, h.author_id,"
                        " coalesce(a.handle, max(p.author_handle)) AS author,"
                        " max(h.author_followers) AS followers,"
                        " count(DISTINCT h.post_id) AS posts"
                        " FROM hashtags h JOIN posts p ON p.id = h.post_id"
                        " LEFT JOIN authors a ON a.id = h.author_id"
                        " WHERE h.author_id IS NOT NULL AND p.deleted = 0 AND "
                        "p.referenced = 0"
                        " GROUP BY h.tag_lower, h.author_id"
                        " ORDER BY tag, followers DESC, h.author_id;"
                        "CREATE VIEW related_hashtags AS"
                        " SELECT a.tag_lower AS tag, b.tag_lower AS related,"
                        " count(DISTINCT a.post_id) AS posts"
                        " FROM hashtags a"
                        " JOIN hashtags b ON b.post_id = a.post_id AND "
                        "b.tag_lower <> a.tag_lower"
                        " JOIN posts p ON p.id = a.post_id"
                        " WHERE p.deleted = 0 AND p.referenced = 0"
                        " GROUP BY a.tag_lower, b.tag_lower ORDER BY tag, "
                        "posts DESC, related;"
                        "CREATE VIEW posts_per_user AS"
                        " SELECT p.author_id, coalesce(a.handle, "
                        "max(p.author_handle)) AS author,"
                        " count(*) AS posts"
                        " FROM posts p LEFT JOIN authors a ON a.id = "
                        "p.author_id"
                        " WHERE p.author_id IS NOT NULL AND p.deleted = 0 AND "
                        "p.referenced = 0"
                        " GROUP BY p.author_id ORDER BY posts DESC, "
                        "p.author_id;"
                        "CREATE VIEW term_mentions AS"
                        " SELECT t.term, count(p.id) AS posts"
                        " FROM tracked_terms t LEFT JOIN posts p"
                        " ON instr(lower(p.text), lower(t.term)) > 0"
                        " AND p.deleted = 0 AND p.referenced = 0"
                        " GROUP BY t.term ORDER BY posts DESC, t.term;";

/* live_hashtags holds the rows the hashtags stream table delivers, so one
 * query text runs live and here (the engine knows the name): no referenced
 * copies, but deleted posts stay, as the stream counted them before their
 * delete arrived.
 * query_results holds one complete result table per emission of a query:
 * `seq` is the query's emission count, which its engine checkpoint
 * records, so recovery deletes the emissions past it (engine.c). */
static const char schema_v3[] =
    "CREATE TABLE query_results ("
    " query TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " emitted_at INTEGER NOT NULL,"
    " row_json TEXT NOT NULL);"
    "CREATE INDEX query_results_query_seq ON query_results(query, seq);"
    "CREATE VIEW latest_query_results AS"
    " SELECT r.query, r.emitted_at, r.row_json FROM query_results r"
    " WHERE r.seq = (SELECT max(seq) FROM query_results m"
    " WHERE m.query = r.query)"
    " ORDER BY r.query, r.rowid;"
    "CREATE VIEW live_hashtags AS"
    " SELECT h.post_id, h.tag, h.tag_lower, h.created_at, h.author_id,"
    " h.author_followers, h.lang"
    " FROM hashtags h JOIN posts p ON p.id = h.post_id"
    " WHERE p.referenced = 0;";

struct migration {
    int version;
    const char *summary;
    const char *sql;
};

static const struct migration migrations[] = {
    { 1, "posts, authors, entities, control events, gaps", schema_v1 },
    { 2, "views for the seeds' questions; tracked_terms", schema_v2 },
    { 3, "query_results, latest_query_results, live_hashtags", schema_v3 },
};

#define N_MIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))
_Static_assert(N_MIGRATIONS == ROOST_SQLITE_SCHEMA_VERSION,
               "one migration per schema version");

int roost_sqlite_schema_version(sqlite3 *db, int *out)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) !=
        SQLITE_OK) {
        return ROOST_ERR(ROOST_EIO);
    }
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : ROOST_ERR(ROOST_EIO);
}

static int exec(sqlite3 *db, const char *sql, struct roost_diag *diag)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0, "%s",
                       msg != NULL ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return ROOST_ERR(ROOST_EIO);
    }
    return 0;
}

static int apply(sqlite3 *db, const struct migration *m,
                 struct roost_diag *diag)
{
    char pragma[64];
    int rc = exec(db, "BEGIN IMMEDIATE", diag);
    if (rc < 0) {
        return rc;
    }
    snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", m->version);
    rc = exec(db, m->sql, diag);
    if (rc == 0) {
        rc = exec(db, pragma, diag);
    }
    if (rc == 0) {
        rc = exec(db, "COMMIT", diag);
    }
    if (rc < 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
        if (diag != NULL) {
            char msg[sizeof(diag->msg)];
            snprintf(msg, sizeof(msg), "%s", diag->msg);
            roost_diag_set(diag, rc, 0, "migration %d (%s) failed: %s",
                           m->version, m->summary, msg);
        }
    }
    return rc;
}

int roost_sqlite_schema_migrate(sqlite3 *db, int target,
                                struct roost_diag *diag)
{
    int have = 0;
    if (target == 0) {
        target = ROOST_SQLITE_SCHEMA_VERSION;
    }
    if (target < 0 || target > ROOST_SQLITE_SCHEMA_VERSION) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "no schema version %d", target);
    }
    if (roost_sqlite_schema_version(db, &have) < 0) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                              "cannot read the schema version: %s",
                              sqlite3_errmsg(db));
    }
    if (have > ROOST_SQLITE_SCHEMA_VERSION) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "store schema v%d is newer than this roost "
                              "(v%d)",
                              have, ROOST_SQLITE_SCHEMA_VERSION);
    }
    for (size_t i = 0; i < N_MIGRATIONS; i++) {
        if (migrations[i].version <= have || migrations[i].version > target) {
            continue;
        }
        int rc = apply(db, &migrations[i], diag);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

bool roost_sqlite_schema_has_fts(sqlite3 *db)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT 1 FROM sqlite_master WHERE type = 'table' "
                           "AND name = 'posts_fts'",
                           -1, &st, NULL) != SQLITE_OK) {
        return false;
    }
    bool has = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return has;
}

int roost_sqlite_schema_add_fts(sqlite3 *db, struct roost_diag *diag)
{
    int rc = exec(db, "BEGIN IMMEDIATE", diag);
    if (rc < 0) {
        return rc;
    }
    rc = exec(db, ROOST_SQLITE_FTS_SQL, diag);
    if (rc == 0) {
        rc = exec(db,
                  "INSERT INTO posts_fts(rowid, text) SELECT seq, text "
                  "FROM posts WHERE deleted = 0",
                  diag);
    }
    if (rc == 0) {
        rc = exec(db, "COMMIT", diag);
    }
    if (rc < 0) {
        sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}
