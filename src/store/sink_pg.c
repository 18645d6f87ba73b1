/* SPDX-License-Identifier: MIT
 *
 * sink_pg.c - normalized posts into PostgreSQL (libpq), the same logical
 * schema as the SQLite store (sqlite_schema.c, docs/schema.md).
 *
 *     pg:postgresql://roost@127.0.0.1:5432/roost?batch=5000&fts=true
 *
 * Schema: created when missing and versioned in roost_schema (one row per
 * applied migration), under an advisory lock so two writers starting
 * together do not race. Times are epoch milliseconds (bigint), as in
 * SQLite, so the same queries read both. fts=true adds a generated
 * tsvector column over the text ('simple' configuration: no stemming, as
 * FTS5's unicode61) that is NULL for deleted posts, and its GIN index.
 *
 * A write is one transaction per `batch` posts: the rows are COPYed (text
 * format) into session-local staging tables (TEMP, ON COMMIT DELETE ROWS),
 * then one multi-statement script moves them into the real tables:
 *
 *   control events   INSERT ... ON CONFLICT DO NOTHING (the tombstones)
 *   deletes          mark stored posts deleted
 *   posts            INSERT ... ON CONFLICT (id) DO NOTHING RETURNING id
 *                    into roost_new; stored deleted when tombstoned
 *   referenced flag  cleared when the post itself was delivered
 *   authors          upsert of the newest profile per author
 *   entities, refs   only for posts in roost_new
 *
 * which is the SQLite sink's rule: a post is inserted once, its child rows
 * only with it, so a re-delivered batch changes nothing. Ids repeated
 * inside one batch (a retweeted post comes with every retweet) are staged
 * once, the first time, as SQLite keeps the first.
 *
 * Failures: a lost connection (or a server shutting down, out of
 * resources, a deadlock) answers ROOST_EAGAIN: the core retries with
 * backoff and the next write reconnects. Anything else rolls back and is
 * ROOST_EIO with the server's message: the batch is dead-lettered.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/map.h"
#include "core/mem.h"
#include "parse/tokenize.h"
#include "store/sink.h"

#define PG_SCHEMA_VERSION 1

/* ---- staging tables ------------------------------------------------------ */

enum stage {
    T_CTL,
    T_POSTS,
    T_UNREF,
    T_HASHTAGS,
    T_MENTIONS,
    T_CASHTAGS,
    T_URLS,
    T_MEDIA,
    T_REFS,
    N_STAGE,
};

static const char *const stage_name[N_STAGE] = {
    [T_CTL] = "roost_s_ctl",           [T_POSTS] = "roost_s_posts",
    [T_UNREF] = "roost_s_unref",       [T_HASHTAGS] = "roost_s_hashtags",
    [T_MENTIONS] = "roost_s_mentions", [T_CASHTAGS] = "roost_s_cashtags",
    [T_URLS] = "roost_s_urls",         [T_MEDIA] = "roost_s_media",
    [T_REFS] = "roost_s_refs",
};

static const char stage_sql[] =
    "SET client_min_messages = warning;"
    "CREATE TEMP TABLE IF NOT EXISTS roost_s_ctl (kind text, platform text,"
    " post_id text, user_id text, code text, reason text, count bigint,"
    " ts bigint) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS roost_s_posts (ord integer, id text,"
    " created_at bigint, platform text, format text, lang text, text text,"
    " author_id text, author_handle text, author_name text,"
    " author_followers bigint, reply_to text, retweet_of text,"
    " quote_of text, retweets bigint, likes bigint, replies bigint,"
    " quotes bigint, lat double precision, lon double precision,"
    " place_id text, place text, place_full_name text, place_type text,"
    " country text, country_code text, bbox text, source text, url text,"
    " conversation_id text, rules text, sensitive boolean,"
    " truncated boolean, referenced boolean, a_description text,"
    " a_location text, a_lang text, a_profile_image_url text,"
    " a_following bigint, a_posts bigint, a_verified boolean,"
    " a_created_at bigint) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS roost_s_unref (id text)"
    " ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS roost_s_hashtags (post_id text,"
    " tag text, tag_lower text) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS roost_s_mentions (post_id text,"
    " handle text, handle_lower text, user_id text) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS roost_s_cashtags (post_id text,"
    " tag text, tag_lower text) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS roost_s_urls (post_id text, url text,"
    " expanded text, domain text) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS roost_s_media (post_id text,"
    " media_id text, type text, url text, alt text) ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS roost_s_refs (post_id text, type text,"
    " ref_id text, ref_author_id text, ref_author_handle text)"
    " ON COMMIT DELETE ROWS;"
    "CREATE TEMP TABLE IF NOT EXISTS roost_new (id text PRIMARY KEY)"
    " ON COMMIT DELETE ROWS;";

/* Moves one staged batch into the store; see the header comment. */
static const char apply_sql[] =
    "INSERT INTO control_events (kind, platform, post_id, user_id, code,"
    " reason, count, ts) SELECT kind, platform, post_id, user_id, code,"
    " reason, count, ts FROM roost_s_ctl ON CONFLICT DO NOTHING;"
    "UPDATE posts p SET deleted = true FROM roost_s_ctl c"
    " WHERE c.kind = 'delete' AND c.post_id <> '' AND p.id = c.post_id"
    " AND NOT p.deleted;"
    "WITH ins AS (INSERT INTO posts (id, created_at, platform, format, lang,"
    " text, author_id, author_handle, author_name, author_followers,"
    " reply_to, retweet_of, quote_of, retweets, likes, replies, quotes,"
    " lat, lon, place_id, place, place_full_name, place_type, country,"
    " country_code, bbox, source, url, conversation_id, rules, sensitive,"
    " truncated, referenced, deleted)"
    " SELECT s.id, s.created_at, s.platform, s.format, s.lang, s.text,"
    " s.author_id, s.author_handle, s.author_name, s.author_followers,"
    " s.reply_to, s.retweet_of, s.quote_of, s.retweets, s.likes,"
    " s.replies, s.quotes, s.lat, s.lon, s.place_id, s.place,"
    " s.place_full_name, s.place_type, s.country, s.country_code, s.bbox,"
    " s.source, s.url, s.conversation_id, s.rules, s.sensitive,"
    " s.truncated, s.referenced, EXISTS (SELECT 1 FROM control_events t"
    " WHERE t.kind = 'delete' AND t.post_id = s.id)"
    " FROM roost_s_posts s ORDER BY s.ord"
    " ON CONFLICT (id) DO NOTHING RETURNING id)"
    " INSERT INTO roost_new SELECT id FROM ins;"
    "UPDATE posts p SET referenced = false FROM roost_s_unref u"
    " WHERE p.id = u.id AND p.referenced;"
    "INSERT INTO authors (id, platform, handle, name, description, location,"
    " lang, profile_image_url, followers, following, posts, verified,"
    " created_at, seen_at)"
    " SELECT DISTINCT ON (s.author_id) s.author_id, s.platform,"
    " s.author_handle, s.author_name, s.a_description, s.a_location,"
    " s.a_lang, s.a_profile_image_url, s.author_followers, s.a_following,"
    " s.a_posts, s.a_verified, s.a_created_at, s.created_at"
    " FROM roost_s_posts s JOIN roost_new n ON n.id = s.id"
    " WHERE s.author_id <> ''"
    " ORDER BY s.author_id, coalesce(s.created_at, 0) DESC, s.ord DESC"
    " ON CONFLICT (id) DO UPDATE SET platform = excluded.platform,"
    " handle = excluded.handle, name = excluded.name,"
    " description = excluded.description, location = excluded.location,"
    " lang = excluded.lang, profile_image_url = excluded.profile_image_url,"
    " followers = excluded.followers, following = excluded.following,"
    " posts = excluded.posts, verified = excluded.verified,"
    " created_at = excluded.created_at, seen_at = excluded.seen_at"
    " WHERE coalesce(excluded.seen_at, 0) >= coalesce(authors.seen_at, 0);"
    "INSERT INTO hashtags (post_id, tag, tag_lower, created_at, author_id,"
    " author_followers, lang) SELECT h.post_id, h.tag, h.tag_lower,"
    " s.created_at, s.author_id, s.author_followers, s.lang"
    " FROM roost_s_hashtags h JOIN roost_new n ON n.id = h.post_id"
    " JOIN roost_s_posts s ON s.id = h.post_id;"
    "INSERT INTO mentions (post_id, handle, handle_lower, user_id,"
    " created_at, author_id) SELECT m.post_id, m.handle, m.handle_lower,"
    " m.user_id, s.created_at, s.author_id"
    " FROM roost_s_mentions m JOIN roost_new n ON n.id = m.post_id"
    " JOIN roost_s_posts s ON s.id = m.post_id;"
    "INSERT INTO cashtags (post_id, tag, tag_lower, created_at)"
    " SELECT c.post_id, c.tag, c.tag_lower, s.created_at"
    " FROM roost_s_cashtags c JOIN roost_new n ON n.id = c.post_id"
    " JOIN roost_s_posts s ON s.id = c.post_id;"
    "INSERT INTO urls (post_id, url, expanded, domain, created_at)"
    " SELECT u.post_id, u.url, u.expanded, u.domain, s.created_at"
    " FROM roost_s_urls u JOIN roost_new n ON n.id = u.post_id"
    " JOIN roost_s_posts s ON s.id = u.post_id;"
    "INSERT INTO media (post_id, media_id, type, url, alt)"
    " SELECT m.post_id, m.media_id, m.type, m.url, m.alt"
    " FROM roost_s_media m JOIN roost_new n ON n.id = m.post_id;"
    "INSERT INTO post_refs (post_id, type, ref_id, ref_author_id,"
    " ref_author_handle) SELECT r.post_id, r.type, r.ref_id,"
    " r.ref_author_id, r.ref_author_handle"
    " FROM roost_s_refs r JOIN roost_new n ON n.id = r.post_id;";

/* ---- schema: migrations, append only ------------------------------------- */

static const char schema_v1[] =
    "CREATE TABLE IF NOT EXISTS posts ("
    " seq bigint GENERATED BY DEFAULT AS IDENTITY UNIQUE,"
    " id text PRIMARY KEY,"
    " created_at bigint,"
    " platform text NOT NULL,"
    " format text NOT NULL,"
    " lang text,"
    " text text NOT NULL,"
    " author_id text,"
    " author_handle text,"
    " author_name text,"
    " author_followers bigint,"
    " reply_to text,"
    " retweet_of text,"
    " quote_of text,"
    " retweets bigint,"
    " likes bigint,"
    " replies bigint,"
    " quotes bigint,"
    " lat double precision,"
    " lon double precision,"
    " place_id text,"
    " place text,"
    " place_full_name text,"
    " place_type text,"
    " country text,"
    " country_code text,"
    " bbox text,"
    " source text,"
    " url text,"
    " conversation_id text,"
    " rules text,"
    " sensitive boolean NOT NULL DEFAULT false,"
    " truncated boolean NOT NULL DEFAULT false,"
    " referenced boolean NOT NULL DEFAULT false,"
    " deleted boolean NOT NULL DEFAULT false);"
    "CREATE INDEX IF NOT EXISTS posts_created_at ON posts (created_at);"
    "CREATE TABLE IF NOT EXISTS authors ("
    " id text PRIMARY KEY,"
    " platform text NOT NULL,"
    " handle text,"
    " name text,"
    " description text,"
    " location text,"
    " lang text,"
    " profile_image_url text,"
    " followers bigint,"
    " following bigint,"
    " posts bigint,"
    " verified boolean NOT NULL DEFAULT false,"
    " created_at bigint,"
    " seen_at bigint);"
    "CREATE TABLE IF NOT EXISTS hashtags ("
    " post_id text NOT NULL,"
    " tag text NOT NULL,"
    " tag_lower text NOT NULL,"
    " created_at bigint,"
    " author_id text,"
    " author_followers bigint,"
    " lang text);"
    "CREATE INDEX IF NOT EXISTS hashtags_tag_time"
    " ON hashtags (tag_lower, created_at);"
    "CREATE INDEX IF NOT EXISTS hashtags_time ON hashtags (created_at);"
    "CREATE INDEX IF NOT EXISTS hashtags_post ON hashtags (post_id);"
    "CREATE TABLE IF NOT EXISTS mentions ("
    " post_id text NOT NULL,"
    " handle text NOT NULL,"
    " handle_lower text NOT NULL,"
    " user_id text,"
    " created_at bigint,"
    " author_id text);"
    "CREATE INDEX IF NOT EXISTS mentions_handle_time"
    " ON mentions (handle_lower, created_at);"
    "CREATE INDEX IF NOT EXISTS mentions_post ON mentions (post_id);"
    "CREATE TABLE IF NOT EXISTS cashtags ("
    " post_id text NOT NULL,"
    " tag text NOT NULL,"
    " tag_lower text NOT NULL,"
    " created_at bigint);"
    "CREATE INDEX IF NOT EXISTS cashtags_post ON cashtags (post_id);"
    "CREATE TABLE IF NOT EXISTS urls ("
    " post_id text NOT NULL,"
    " url text NOT NULL,"
    " expanded text,"
    " domain text,"
    " created_at bigint);"
    "CREATE INDEX IF NOT EXISTS urls_domain_time ON urls (domain, created_at);"
    "CREATE INDEX IF NOT EXISTS urls_post ON urls (post_id);"
    "CREATE TABLE IF NOT EXISTS media ("
    " post_id text NOT NULL,"
    " media_id text,"
    " type text,"
    " url text,"
    " alt text);"
    "CREATE INDEX IF NOT EXISTS media_post ON media (post_id);"
    "CREATE TABLE IF NOT EXISTS post_refs ("
    " post_id text NOT NULL,"
    " type text NOT NULL,"
    " ref_id text NOT NULL,"
    " ref_author_id text,"
    " ref_author_handle text);"
    "CREATE INDEX IF NOT EXISTS post_refs_post ON post_refs (post_id);"
    "CREATE INDEX IF NOT EXISTS post_refs_ref ON post_refs (ref_id);"
    "CREATE TABLE IF NOT EXISTS control_events ("
    " id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " kind text NOT NULL,"
    " platform text NOT NULL,"
    " post_id text NOT NULL DEFAULT '',"
    " user_id text NOT NULL DEFAULT '',"
    " code text NOT NULL DEFAULT '',"
    " reason text,"
    " count bigint,"
    " ts bigint NOT NULL DEFAULT 0,"
    " UNIQUE (kind, platform, post_id, user_id, code, ts));"
    "CREATE INDEX IF NOT EXISTS control_deletes ON control_events (post_id)"
    " WHERE kind = 'delete';"
    "CREATE TABLE IF NOT EXISTS gaps ("
    " id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
    " source text NOT NULL,"
    " from_ms bigint,"
    " to_ms bigint,"
    " n_missing bigint,"
    " reason text,"
    " recorded_at bigint);";

static const char *const migrations[] = { schema_v1 };

static_assert(sizeof(migrations) / sizeof(migrations[0]) == PG_SCHEMA_VERSION,
              "one migration per schema version");

/* Migrations run under this advisory lock ("roost" in ASCII). */
static const char schema_lock_sql[] =
    "BEGIN; SELECT pg_advisory_xact_lock(491495846772);"
    "CREATE TABLE IF NOT EXISTS roost_schema (version integer PRIMARY KEY,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

static const char fts_sql[] =
    "ALTER TABLE posts ADD COLUMN IF NOT EXISTS tsv tsvector GENERATED"
    " ALWAYS AS (CASE WHEN deleted THEN NULL"
    " ELSE to_tsvector('simple'::regconfig, text) END) STORED;"
    "CREATE INDEX IF NOT EXISTS posts_tsv ON posts USING GIN (tsv);";

/* ---- context and options ------------------------------------------------- */

struct pg_ctx {
    /* options */
    int64_t batch;
    bool fts;
    size_t max_copy_bytes;
    /* state */
    PGconn *conn;
    struct roost_buf t[N_STAGE]; /* COPY text per staging table */
    struct roost_buf fold;
    struct roost_map seen; /* ids staged in the current chunk */
    uint64_t n_reconnects;
};

static const struct roost_option pg_opts[] = {
    ROOST_OPT_INT("batch", "5000", struct pg_ctx, batch,
                  "most posts per COPY transaction; larger writes are split"),
    ROOST_OPT_BOOL("fts", "true", struct pg_ctx, fts,
                   "full-text index: tsvector column + GIN index"),
    ROOST_OPT_SIZE("max-copy", "256MiB", struct pg_ctx, max_copy_bytes,
                   "largest COPY text per staging table and transaction"),
    ROOST_OPT_END,
};

/* ---- errors and connection ----------------------------------------------- */

/* is_transient - whether retrying later may succeed (SQLSTATE classes:
 * connection, insufficient resources, operator intervention, deadlock). */
static bool is_transient(const PGresult *res)
{
    const char *st =
        res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (st == NULL) {
        return false;
    }
    return strncmp(st, "08", 2) == 0 || strncmp(st, "53", 2) == 0 ||
           strncmp(st, "57P", 3) == 0 || strcmp(st, "40001") == 0 ||
           strcmp(st, "40P01") == 0 || strcmp(st, "55P03") == 0;
}

static void disconnect(struct pg_ctx *c)
{
    if (c->conn != NULL) {
        PQfinish(c->conn);
        c->conn = NULL;
    }
}

/* fail - classify a failed call, keep the server's message, and leave the
 * connection usable (rolled back) or closed. */
static int fail(struct roost_sink *sink, const PGresult *res, const char *what)
{
    struct pg_ctx *c = sink->ctx;
    const char *msg = c->conn != NULL ? PQerrorMessage(c->conn) : "";
    int err = ROOST_EIO;

    if (res != NULL && PQresultErrorMessage(res)[0] != '\0') {
        msg = PQresultErrorMessage(res);
    }
    roost_diag_set(&sink->diag, ROOST_EIO, 0, "%s: %.*s", what,
                   (int)strcspn(msg, "\n"), msg);
    if (c->conn == NULL || PQstatus(c->conn) != CONNECTION_OK) {
        disconnect(c);
        err = ROOST_EAGAIN;
    } else {
        if (is_transient(res)) {
            err = ROOST_EAGAIN;
        }
        if (PQtransactionStatus(c->conn) != PQTRANS_IDLE) {
            PGresult *r = PQexec(c->conn, "ROLLBACK");
            PQclear(r);
            if (PQstatus(c->conn) != CONNECTION_OK) {
                disconnect(c);
                err = ROOST_EAGAIN;
            }
        }
    }
    return ROOST_ERR(err);
}

/* exec - run SQL (one or more statements) that returns no rows. */
static int exec(struct roost_sink *sink, const char *sql, const char *what)
{
    struct pg_ctx *c = sink->ctx;
    PGresult *res = PQexec(c->conn, sql);
    ExecStatusType st = PQresultStatus(res);

    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        int rc = fail(sink, res, what);
        PQclear(res);
        return rc;
    }
    PQclear(res);
    return 0;
}

static void quiet(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs ("already exists, skipping") are noise */
}

static int connect_db(struct roost_sink *sink)
{
    struct pg_ctx *c = sink->ctx;

    c->conn = PQconnectdb(sink->arg);
    if (c->conn == NULL) {
        return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_ENOMEM), 0,
                              "cannot connect: out of memory");
    }
    if (PQstatus(c->conn) != CONNECTION_OK) {
        const char *msg = PQerrorMessage(c->conn);
        roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EAGAIN), 0,
                       "cannot connect: %.*s", (int)strcspn(msg, "\n"), msg);
        disconnect(c);
        return ROOST_ERR(ROOST_EAGAIN);
    }
    PQsetNoticeProcessor(c->conn, quiet, NULL);
    if (PQsetClientEncoding(c->conn, "UTF8") != 0) {
        return fail(sink, NULL, "client encoding");
    }
    return exec(sink, stage_sql, "staging tables");
}

/* ---- schema -------------------------------------------------------------- */

static int schema_version(struct roost_sink *sink, int *out)
{
    struct pg_ctx *c = sink->ctx;
    PGresult *res = PQexec(c->conn, "SELECT coalesce(max(version), 0) FROM "
                                    "roost_schema");

    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        int rc = fail(sink, res, "schema version");
        PQclear(res);
        return rc;
    }
    *out = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
    PQclear(res);
    return 0;
}

static int migrate(struct roost_sink *sink)
{
    struct pg_ctx *c = sink->ctx;
    char sql[160];
    int version = 0;

    int rc = exec(sink, schema_lock_sql, "schema lock");
    if (rc == 0) {
        rc = schema_version(sink, &version);
    }
    if (rc == 0 && version > PG_SCHEMA_VERSION) {
        roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                       "database schema version %d is newer than this "
                       "build's %d",
                       version, PG_SCHEMA_VERSION);
        exec(sink, "ROLLBACK", "rollback");
        return ROOST_ERR(ROOST_EINVAL);
    }
    for (int v = version + 1; rc == 0 && v <= PG_SCHEMA_VERSION; v++) {
        rc = exec(sink, migrations[v - 1], "schema migration");
        if (rc == 0) {
            snprintf(sql, sizeof(sql),
                     "INSERT INTO roost_schema (version) VALUES (%d)", v);
            rc = exec(sink, sql, "schema version");
        }
    }
    if (rc == 0 && c->fts) {
        rc = exec(sink, fts_sql, "full-text index");
    }
    if (rc == 0) {
        rc = exec(sink, "COMMIT", "schema commit");
    }
    return rc;
}

/* ---- COPY text ----------------------------------------------------------- */

/* A row writer: keeps the first error, so rows read as lists of fields. */
struct row {
    struct roost_buf *b;
    int rc;
    bool first;
};

static void row_start(struct row *r, struct roost_buf *b)
{
    r->b = b;
    r->rc = 0;
    r->first = true;
}

static void sep(struct row *r)
{
    if (!r->first && r->rc == 0) {
        r->rc = roost_buf_addc(r->b, '\t');
    }
    r->first = false;
}

static void f_null(struct row *r)
{
    sep(r);
    if (r->rc == 0) {
        r->rc = roost_buf_add(r->b, "\\N", 2);
    }
}

/* f_text - COPY text escaping; NUL bytes dropped (PostgreSQL text cannot
 * hold them). */
static void f_text(struct row *r, const char *s, size_t len)
{
    sep(r);
    size_t from = 0;
    for (size_t i = 0; i < len && r->rc == 0; i++) {
        char e;
        switch (s[i]) {
        case '\\':
            e = '\\';
            break;
        case '\t':
            e = 't';
            break;
        case '\n':
            e = 'n';
            break;
        case '\r':
            e = 'r';
            break;
        case '\0':
            e = 0;
            break;
        default:
            continue;
        }
        r->rc = roost_buf_add(r->b, s + from, i - from);
        if (r->rc == 0 && e != 0) {
            char esc[2] = { '\\', e };
            r->rc = roost_buf_add(r->b, esc, 2);
        }
        from = i + 1;
    }
    if (r->rc == 0) {
        r->rc = roost_buf_add(r->b, s + from, len - from);
    }
}

static void f_str(struct row *r, struct roost_str s)
{
    if (s.ptr == NULL) {
        f_null(r);
    } else {
        f_text(r, s.ptr, s.len);
    }
}

/* f_str0 - a NOT NULL text column: absent is ''. */
static void f_str0(struct row *r, struct roost_str s)
{
    f_text(r, s.ptr != NULL ? s.ptr : "", s.len);
}

static void f_cstr(struct row *r, const char *s)
{
    f_text(r, s, strlen(s));
}

static void f_i64(struct row *r, int64_t v)
{
    sep(r);
    if (r->rc == 0) {
        r->rc = roost_buf_printf(r->b, "%lld", (long long)v);
    }
}

static void f_count(struct row *r, int64_t v)
{
    if (v == ROOST_UNKNOWN_COUNT) {
        f_null(r);
    } else {
        f_i64(r, v);
    }
}

static void f_time(struct row *r, int64_t ms)
{
    if (ms == 0) {
        f_null(r);
    } else {
        f_i64(r, ms);
    }
}

static void f_double(struct row *r, bool have, double v)
{
    sep(r);
    if (r->rc == 0) {
        r->rc = have ? roost_buf_printf(r->b, "%.17g", v)
                     : roost_buf_add(r->b, "\\N", 2);
    }
}

static void f_bool(struct row *r, bool v)
{
    sep(r);
    if (r->rc == 0) {
        r->rc = roost_buf_addc(r->b, v ? 't' : 'f');
    }
}

static int row_end(struct row *r)
{
    if (r->rc == 0) {
        r->rc = roost_buf_addc(r->b, '\n');
    }
    return r->rc;
}

/* ---- staging one batch --------------------------------------------------- */

static struct roost_str fold(struct pg_ctx *c, struct roost_str s)
{
    roost_buf_reset(&c->fold);
    if (s.ptr == NULL || roost_fold_case(s.ptr, s.len, &c->fold) < 0) {
        return s;
    }
    return roost_str_make(c->fold.ptr != NULL ? c->fold.ptr : "", c->fold.len);
}

/* url_domain - the host of an http(s) URL, lower-cased, without "www."
 * (the SQLite sink's rule, so both stores agree). */
static struct roost_str url_domain(struct pg_ctx *c, struct roost_str u)
{
    if (u.ptr == NULL) {
        return ROOST_STR_NULL;
    }
    const char *end = u.ptr + u.len;
    const char *host = NULL;
    for (const char *q = u.ptr; q + 2 < end; q++) {
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            host = q + 3;
            break;
        }
        if (q[0] == '/' || q[0] == '?') {
            break;
        }
    }
    if (host == NULL) {
        return ROOST_STR_NULL;
    }
    const char *h = host;
    for (const char *q = host;
         q < end && *q != '/' && *q != '?' && *q != '#' && *q != ':'; q++) {
        if (*q == '@') {
            h = q + 1; /* user:pass@host */
        }
    }
    const char *e = h;
    while (e < end && *e != '/' && *e != '?' && *e != '#' && *e != ':') {
        e++;
    }
    if (e - h > 4 && (h[0] == 'w' || h[0] == 'W') &&
        strncmp(h + 1, "ww.", 3) == 0) {
        h += 4;
    }
    if (e <= h) {
        return ROOST_STR_NULL;
    }
    return fold(c, roost_str_make(h, (size_t)(e - h)));
}

static struct roost_str first_ref(const struct roost_post *p, uint8_t type)
{
    for (uint32_t i = 0; i < p->n_refs; i++) {
        if (p->refs[i].type == type) {
            return p->refs[i].id;
        }
    }
    return ROOST_STR_NULL;
}

static const char *ref_name(uint8_t type)
{
    switch (type) {
    case ROOST_REF_REPLY:
        return "reply";
    case ROOST_REF_RETWEET:
        return "retweet";
    case ROOST_REF_QUOTE:
        return "quote";
    default:
        return "other";
    }
}

static int stage_ctl(struct pg_ctx *c, const struct roost_ctl *x)
{
    struct row r;

    row_start(&r, &c->t[T_CTL]);
    f_cstr(&r, roost_ctl_kind_name(x->kind));
    f_cstr(&r, roost_platform_name(x->platform));
    f_str0(&r, x->post_id);
    f_str0(&r, x->user_id);
    f_str0(&r, x->code);
    f_str(&r, x->reason);
    f_count(&r, x->count);
    f_i64(&r, x->ts_ms);
    return row_end(&r);
}

static int stage_geo(struct row *r, const struct roost_post *p)
{
    const struct roost_geo *g = &p->geo;
    bool geo = p->has_geo;
    char bbox[128];

    f_double(r, geo && g->has_point, g->lat);
    f_double(r, geo && g->has_point, g->lon);
    f_str(r, geo ? g->place_id : ROOST_STR_NULL);
    f_str(r, geo ? g->place_name : ROOST_STR_NULL);
    f_str(r, geo ? g->place_full_name : ROOST_STR_NULL);
    f_str(r, geo ? g->place_type : ROOST_STR_NULL);
    f_str(r, geo ? g->country : ROOST_STR_NULL);
    f_str(r, geo ? g->country_code : ROOST_STR_NULL);
    if (geo && g->has_bbox) {
        int n = snprintf(bbox, sizeof(bbox), "[%.7g,%.7g,%.7g,%.7g]",
                         g->bbox[0], g->bbox[1], g->bbox[2], g->bbox[3]);
        f_text(r, bbox, n > 0 && (size_t)n < sizeof(bbox) ? (size_t)n : 0);
    } else {
        f_null(r);
    }
    return r->rc;
}

static int stage_rules(struct pg_ctx *c, struct row *r,
                       const struct roost_post *p)
{
    if (p->n_rules == 0) {
        f_null(r);
        return r->rc;
    }
    /* The JSON array goes through the fold buffer as scratch. */
    struct roost_buf *j = &c->fold;
    roost_buf_reset(j);
    int rc = roost_buf_addc(j, '[');
    for (uint32_t i = 0; rc == 0 && i < p->n_rules; i++) {
        if (i > 0) {
            rc = roost_buf_addc(j, ',');
        }
        if (rc == 0) {
            rc = roost_buf_add_json_str(j, p->rules[i].ptr, p->rules[i].len);
        }
    }
    if (rc == 0) {
        rc = roost_buf_addc(j, ']');
    }
    if (rc < 0) {
        return rc;
    }
    f_text(r, j->ptr, j->len);
    return r->rc;
}

static int stage_post(struct pg_ctx *c, const struct roost_post *p,
                      uint32_t ord)
{
    const struct roost_author *a = &p->author;
    struct row r;

    row_start(&r, &c->t[T_POSTS]);
    f_i64(&r, ord);
    f_str0(&r, p->id);
    f_time(&r, p->created_at_ms);
    f_cstr(&r, roost_platform_name(p->platform));
    f_cstr(&r, roost_format_name(p->format));
    f_str(&r, p->lang);
    f_str0(&r, p->text);
    f_str(&r, a->id.len > 0 ? a->id : ROOST_STR_NULL);
    f_str(&r, a->handle);
    f_str(&r, a->name);
    f_count(&r, a->followers);
    f_str(&r, first_ref(p, ROOST_REF_REPLY));
    f_str(&r, first_ref(p, ROOST_REF_RETWEET));
    f_str(&r, first_ref(p, ROOST_REF_QUOTE));
    f_count(&r, p->retweets);
    f_count(&r, p->likes);
    f_count(&r, p->replies);
    f_count(&r, p->quotes);
    if (stage_geo(&r, p) < 0) {
        return r.rc;
    }
    f_str(&r, p->source);
    f_str(&r, p->url);
    f_str(&r, p->conversation_id);
    if (stage_rules(c, &r, p) < 0) {
        return r.rc < 0 ? r.rc : ROOST_ERR(ROOST_ELIMIT);
    }
    f_bool(&r, p->sensitive);
    f_bool(&r, p->truncated);
    f_bool(&r, p->referenced);
    f_str(&r, a->description);
    f_str(&r, a->location);
    f_str(&r, a->lang);
    f_str(&r, a->profile_image_url);
    f_count(&r, a->following);
    f_count(&r, a->posts);
    f_bool(&r, a->verified);
    f_time(&r, a->created_at_ms);
    return row_end(&r);
}

static int stage_tag(struct pg_ctx *c, enum stage t, struct roost_str id,
                     const struct roost_entity *e, bool user_id)
{
    struct row r;
    struct roost_str text = e->text.ptr != NULL ? e->text : ROOST_STR_LIT("");

    row_start(&r, &c->t[t]);
    f_str0(&r, id);
    f_str0(&r, text);
    f_str0(&r, fold(c, text));
    if (user_id) {
        f_str(&r, e->expanded);
    }
    return row_end(&r);
}

static int stage_children(struct pg_ctx *c, const struct roost_post *p)
{
    int rc = 0;
    struct row r;

    for (uint32_t i = 0; rc == 0 && i < p->n_hashtags; i++) {
        rc = stage_tag(c, T_HASHTAGS, p->id, &p->hashtags[i], false);
    }
    for (uint32_t i = 0; rc == 0 && i < p->n_mentions; i++) {
        rc = stage_tag(c, T_MENTIONS, p->id, &p->mentions[i], true);
    }
    for (uint32_t i = 0; rc == 0 && i < p->n_cashtags; i++) {
        rc = stage_tag(c, T_CASHTAGS, p->id, &p->cashtags[i], false);
    }
    for (uint32_t i = 0; rc == 0 && i < p->n_urls; i++) {
        const struct roost_entity *u = &p->urls[i];
        row_start(&r, &c->t[T_URLS]);
        f_str0(&r, p->id);
        f_str0(&r, u->text.ptr != NULL ? u->text : u->expanded);
        f_str(&r, u->expanded);
        f_str(&r,
              url_domain(c, u->expanded.ptr != NULL ? u->expanded : u->text));
        rc = row_end(&r);
    }
    for (uint32_t i = 0; rc == 0 && i < p->n_media; i++) {
        row_start(&r, &c->t[T_MEDIA]);
        f_str0(&r, p->id);
        f_str(&r, p->media[i].id);
        f_str(&r, p->media[i].type);
        f_str(&r, p->media[i].url);
        f_str(&r, p->media[i].alt);
        rc = row_end(&r);
    }
    for (uint32_t i = 0; rc == 0 && i < p->n_refs; i++) {
        if (p->refs[i].id.ptr == NULL) {
            continue;
        }
        row_start(&r, &c->t[T_REFS]);
        f_str0(&r, p->id);
        f_cstr(&r, ref_name(p->refs[i].type));
        f_str0(&r, p->refs[i].id);
        f_str(&r, p->refs[i].author_id);
        f_str(&r, p->refs[i].author_handle);
        rc = row_end(&r);
    }
    return rc;
}

/* stage - format posts[0..n) (first occurrence of each id) and ctls into
 * the COPY buffers. */
static int stage(struct roost_sink *sink, const struct roost_post *posts,
                 uint32_t n, const struct roost_ctl *ctls, uint32_t n_ctls)
{
    struct pg_ctx *c = sink->ctx;
    int rc = 0;

    for (int t = 0; t < N_STAGE; t++) {
        roost_buf_reset(&c->t[t]);
    }
    roost_map_init(&c->seen, n > 0 ? n : 1);
    for (uint32_t i = 0; rc == 0 && i < n_ctls; i++) {
        rc = stage_ctl(c, &ctls[i]);
    }
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        const struct roost_post *p = &posts[i];
        if (p->id.ptr == NULL || p->id.len == 0) {
            rc = roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                                "post without id");
            break;
        }
        if (!p->referenced) {
            struct row r;
            row_start(&r, &c->t[T_UNREF]);
            f_str0(&r, p->id);
            rc = row_end(&r);
        }
        if (rc < 0 || roost_map_get(&c->seen, p->id.ptr, p->id.len) > 0) {
            continue;
        }
        rc = roost_map_add(&c->seen, p->id.ptr, p->id.len, 1);
        if (rc == 0) {
            rc = stage_post(c, p, i);
        }
        if (rc == 0) {
            rc = stage_children(c, p);
        }
    }
    roost_map_fini(&c->seen);
    if (rc == ROOST_ELIMIT) {
        roost_diag_set(&sink->diag, rc, 0,
                       "batch larger than max-copy (%zu bytes)",
                       c->max_copy_bytes);
    }
    return rc;
}

/* ---- sending ------------------------------------------------------------- */

static int copy_in(struct roost_sink *sink, enum stage t)
{
    struct pg_ctx *c = sink->ctx;
    char sql[64];

    snprintf(sql, sizeof(sql), "COPY %s FROM STDIN", stage_name[t]);
    PGresult *res = PQexec(c->conn, sql);
    if (PQresultStatus(res) != PGRES_COPY_IN) {
        int rc = fail(sink, res, "copy");
        PQclear(res);
        return rc;
    }
    PQclear(res);
    int ok = PQputCopyData(c->conn, c->t[t].ptr, (int)c->t[t].len);
    ok = PQputCopyEnd(c->conn, ok == 1 ? NULL : "send failed") == 1 && ok == 1;
    int rc = 0;
    while ((res = PQgetResult(c->conn)) != NULL) {
        if (rc == 0 && (!ok || PQresultStatus(res) != PGRES_COMMAND_OK)) {
            rc = fail(sink, res, stage_name[t]);
        }
        PQclear(res);
        if (c->conn == NULL) {
            break;
        }
    }
    if (rc == 0 && !ok) {
        rc = fail(sink, NULL, "copy");
    }
    return rc;
}

static int send_chunk(struct roost_sink *sink)
{
    struct pg_ctx *c = sink->ctx;
    int rc = exec(sink, "BEGIN", "begin");

    for (int t = 0; rc == 0 && t < N_STAGE; t++) {
        if (c->t[t].len > 0) {
            rc = copy_in(sink, (enum stage)t);
        }
    }
    if (rc == 0) {
        rc = exec(sink, apply_sql, "apply");
    }
    if (rc == 0) {
        rc = exec(sink, "COMMIT", "commit");
    }
    return rc;
}

/* ---- ops ----------------------------------------------------------------- */

static int pg_write(struct roost_sink *sink, const struct roost_sink_batch *b)
{
    struct pg_ctx *c = sink->ctx;
    int rc = 0;

    if (c->conn == NULL) {
        c->n_reconnects++;
        rc = connect_db(sink);
        if (rc < 0) {
            disconnect(c);
            return rc;
        }
    }
    uint32_t step = (uint32_t)c->batch;
    uint32_t i = 0;
    do {
        uint32_t n = b->n_posts - i < step ? b->n_posts - i : step;
        const struct roost_post *chunk = n > 0 ? b->posts + i : NULL;
        rc = stage(sink, chunk, n, i == 0 ? b->ctls : NULL,
                   i == 0 ? b->n_ctls : 0);
        if (rc == 0) {
            rc = send_chunk(sink);
        }
        i += n;
    } while (rc == 0 && i < b->n_posts);
    return rc;
}

static int pg_flush(struct roost_sink *sink)
{
    (void)sink; /* every write commits before it returns */
    return 0;
}

static int pg_open(struct roost_sink *sink)
{
    struct pg_ctx *c = sink->ctx;

    for (int t = 0; t < N_STAGE; t++) {
        roost_buf_init(&c->t[t], c->max_copy_bytes);
    }
    roost_buf_init(&c->fold, 1u << 20);
    if (sink->arg == NULL || sink->arg[0] == '\0') {
        return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "want a connection URI: "
                              "pg:postgresql://user@host:port/db");
    }
    if (c->batch <= 0 || c->batch > INT32_MAX) {
        return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "batch wants 1..%d, not %lld", INT32_MAX,
                              (long long)c->batch);
    }
    int rc = connect_db(sink);
    if (rc == 0) {
        rc = migrate(sink);
    }
    return rc;
}

static void pg_close(struct roost_sink *sink)
{
    struct pg_ctx *c = sink->ctx;

    disconnect(c);
    for (int t = 0; t < N_STAGE; t++) {
        roost_buf_fini(&c->t[t]);
    }
    roost_buf_fini(&c->fold);
}

const struct roost_sink_ops roost_sink_pg = {
    .name = "pg",
    .summary = "PostgreSQL: the store's schema, COPY batches, upserts",
    .options = pg_opts,
    .ctx_size = sizeof(struct pg_ctx),
    .open = pg_open,
    .write = pg_write,
    .flush = pg_flush,
    .close = pg_close,
};
