/* SPDX-License-Identifier: MIT
 *
 * store_query.c - read-only SQL, search and export over the SQLite store.
 *
 * Safety is layered: the file is opened SQLITE_OPEN_READONLY (SQLite
 * itself refuses to write it), PRAGMA query_only is set, and the
 * authorizer (authorize()) allows only reads, functions, recursive CTEs
 * and pragmas from a read-only list. The authorizer runs at prepare time,
 * so a refused statement fails before it touches anything.
 *
 * Export rebuilds each stored post as a struct roost_post (load_post():
 * the posts row, its entities, refs and the author's latest profile) and
 * writes it with the same code the live path uses: post_csv.c for CSV,
 * roost_post_write_json() for JSONL. So an export and a normalize of the
 * same input agree field for field (author profile fields other than id,
 * handle, name and followers are the latest seen; see docs/queries.md).
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sqlite3.h>

#include "core/arena.h"
#include "core/mem.h"
#include "parse/post.h"
#include "store/post_csv.h"
#include "store/sqlite_schema.h"
#include "store/store_query.h"

#define MAX_COLS        1024
#define OUT_FLUSH_BYTES (1u << 20)

struct roost_store {
    sqlite3 *db;
    bool has_fts;
};

/* ---- open and the authorizer ----------------------------------------------
 */

static const char *const readonly_pragmas[] = {
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
    "compile_options",
    "function_list",
    "module_list",
    "pragma_list",
    "collation_list",
    "database_list",
    "page_count",
    "freelist_count",
    "data_version",
    "integrity_check",
    "quick_check",
    NULL,
};

/* Pragmas that only read when given no value. */
static const char *const query_pragmas[] = {
    "user_version", "schema_version", "application_id", "page_size",
    "journal_mode", "encoding",       "query_only",     NULL,
};

static bool in_list(const char *const *list, const char *name)
{
    for (size_t i = 0; name != NULL && list[i] != NULL; i++) {
        if (sqlite3_stricmp(list[i], name) == 0) {
            return true;
        }
    }
    return false;
}

static int authorize(void *arg, int action, const char *a1, const char *a2,
                     const char *db, const char *trigger)
{
    (void)arg;
    (void)db;
    (void)trigger;
    switch (action) {
    case SQLITE_SELECT:
    case SQLITE_READ:
    case SQLITE_FUNCTION:
    case SQLITE_RECURSIVE:
        return SQLITE_OK;
    case SQLITE_UPDATE:
        /* SQLite asks this while a virtual table (FTS5, json_each)
         * declares its columns; sqlite_master is never writable here
         * (read-only file, query_only, no writable_schema). */
        if (a1 != NULL && (strcmp(a1, "sqlite_master") == 0 ||
                           strcmp(a1, "sqlite_schema") == 0)) {
            return SQLITE_OK;
        }
        return SQLITE_DENY;
    case SQLITE_PRAGMA:
        if (in_list(readonly_pragmas, a1) ||
            (a2 == NULL && in_list(query_pragmas, a1))) {
            return SQLITE_OK;
        }
        return SQLITE_DENY;
    default:
        return SQLITE_DENY; /* writes, DDL, ATTACH, transactions... */
    }
}

int roost_store_open(const char *path, struct roost_store **out,
                     struct roost_diag *diag)
{
    int rc;
    struct roost_store *s = roost_calloc(1, sizeof(*s));
    if (s == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    int src = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY, NULL);
    if (src != SQLITE_OK) {
        bool missing = (src & 0xff) == SQLITE_CANTOPEN;
        rc = roost_diag_set(diag, ROOST_ERR(missing ? ROOST_ENOENT : ROOST_EIO),
                            0, "cannot open %s: %s", path,
                            s->db != NULL ? sqlite3_errmsg(s->db)
                                          : sqlite3_errstr(src));
        goto out_close;
    }
    sqlite3_busy_timeout(s->db, 5000);
    /* Reading pages through a mapping rather than a pread() each: a top
     * hashtags query over 100k posts made ~35k preads. */
    src = sqlite3_exec(s->db,
                       "PRAGMA query_only = 1; PRAGMA mmap_size = 268435456",
                       NULL, NULL, NULL);
    int version = 0;
    if (src == SQLITE_OK) {
        rc = roost_sqlite_schema_version(s->db, &version);
        src = rc == 0 ? SQLITE_OK : SQLITE_ERROR;
    }
    if (src != SQLITE_OK) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                            "%s is not a readable SQLite file: %s", path,
                            sqlite3_errmsg(s->db));
        goto out_close;
    }
    if (version == 0 || version > ROOST_SQLITE_SCHEMA_VERSION) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                            "%s is not a roost store of a known version "
                            "(schema v%d, this roost reads v1..v%d)",
                            path, version, ROOST_SQLITE_SCHEMA_VERSION);
        goto out_close;
    }
    s->has_fts = roost_sqlite_schema_has_fts(s->db);
    sqlite3_set_authorizer(s->db, authorize, NULL);
    *out = s;
    return 0;

out_close:
    sqlite3_close(s->db);
    roost_free(s);
    return rc;
}

void roost_store_close(struct roost_store *s)
{
    if (s == NULL) {
        return;
    }
    sqlite3_close(s->db);
    roost_free(s);
}

bool roost_store_has_fts(struct roost_store *s)
{
    return s->has_fts;
}

/* ---- running statements
 * ------------------------------------------------------ */

static int sql_error(struct roost_store *s, struct roost_diag *diag, int src)
{
    int prim = src & 0xff;
    int err = (prim == SQLITE_IOERR || prim == SQLITE_CORRUPT ||
               prim == SQLITE_NOTADB || prim == SQLITE_CANTOPEN)
                  ? ROOST_EIO
              : prim == SQLITE_NOMEM ? ROOST_ENOMEM
                                     : ROOST_EINVAL;
    const char *msg = sqlite3_errmsg(s->db);
    if (prim == SQLITE_AUTH || prim == SQLITE_READONLY) {
        return roost_diag_set(diag, ROOST_ERR(err), 0,
                              "refused: the store is read-only here (%s); "
                              "only SELECT and read-only pragmas run",
                              msg);
    }
    return roost_diag_set(diag, ROOST_ERR(err), 0, "%s", msg);
}

static bool only_space(const char *p)
{
    for (; *p != '\0'; p++) {
        if (*p == ';' || *p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
            continue;
        }
        if (p[0] == '-' && p[1] == '-') {
            while (*p != '\0' && *p != '\n') {
                p++;
            }
            if (*p == '\0') {
                break;
            }
            continue;
        }
        return false;
    }
    return true;
}

/* stream - step st and hand its header and rows to fn. */
static int stream(struct roost_store *s, sqlite3_stmt *st, int64_t max_rows,
                  roost_store_row_fn *fn, void *arg, struct roost_diag *diag)
{
    int n = sqlite3_column_count(st);
    if (n > MAX_COLS) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_ELIMIT), 0,
                              "more than %d columns", MAX_COLS);
    }
    const char **names = roost_calloc((size_t)n + 1, sizeof(*names));
    const char **values = roost_calloc((size_t)n + 1, sizeof(*values));
    size_t *lens = roost_calloc((size_t)n + 1, sizeof(*lens));
    uint8_t *types = roost_calloc((size_t)n + 1, sizeof(*types));
    int rc = 0;
    if (names == NULL || values == NULL || lens == NULL || types == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free;
    }
    for (int i = 0; i < n; i++) {
        names[i] = sqlite3_column_name(st, i);
        if (names[i] == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            goto out_free;
        }
    }
    struct roost_store_row row = { .n_cols = (size_t)n, .names = names };
    rc = fn(arg, &row);
    for (int64_t k = 0; rc == 0 && (max_rows < 0 || k < max_rows); k++) {
        int src = sqlite3_step(st);
        if (src == SQLITE_DONE) {
            break;
        }
        if (src != SQLITE_ROW) {
            rc = sql_error(s, diag, src);
            break;
        }
        for (int i = 0; i < n; i++) {
            int t = sqlite3_column_type(st, i);
            types[i] = t == SQLITE_INTEGER ? ROOST_STORE_INT
                       : t == SQLITE_FLOAT ? ROOST_STORE_REAL
                       : t == SQLITE_BLOB  ? ROOST_STORE_BLOB
                       : t == SQLITE_NULL  ? ROOST_STORE_NULL
                                           : ROOST_STORE_TEXT;
            if (t == SQLITE_NULL) {
                values[i] = NULL;
                lens[i] = 0;
                continue;
            }
            if (t == SQLITE_BLOB) {
                values[i] = sqlite3_column_blob(st, i);
            } else {
                values[i] = (const char *)sqlite3_column_text(st, i);
            }
            lens[i] = (size_t)sqlite3_column_bytes(st, i);
            if (values[i] == NULL) {
                values[i] = "";
            }
        }
        row.values = values;
        row.lens = lens;
        row.types = types;
        rc = fn(arg, &row);
    }

out_free:
    roost_free(names);
    roost_free(values);
    roost_free(lens);
    roost_free(types);
    return rc;
}

int roost_store_query(struct roost_store *s, const char *sql, int64_t max_rows,
                      roost_store_row_fn *fn, void *arg,
                      struct roost_diag *diag)
{
    sqlite3_stmt *st = NULL;
    const char *tail = NULL;
    int src = sqlite3_prepare_v2(s->db, sql, -1, &st, &tail);
    if (src != SQLITE_OK) {
        return sql_error(s, diag, src);
    }
    if (st == NULL) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "empty statement");
    }
    if (tail != NULL && !only_space(tail)) {
        sqlite3_finalize(st);
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "one statement at a time");
    }
    int rc = stream(s, st, max_rows, fn, arg, diag);
    sqlite3_finalize(st);
    return rc;
}

/* ---- search
 * ------------------------------------------------------------------ */

static int add_quoted(struct roost_buf *out, const char *p, size_t n)
{
    int rc = roost_buf_addc(out, '"');
    for (size_t i = 0; rc == 0 && i < n; i++) {
        rc = p[i] == '"' ? roost_buf_add(out, "\"\"", 2)
                         : roost_buf_addc(out, p[i]);
    }
    return rc == 0 ? roost_buf_addc(out, '"') : rc;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int roost_store_fts_query(const char *words, struct roost_buf *out)
{
    const char *p = words;
    int n_terms = 0;
    bool want_term = true; /* an operator must be followed by a term */
    int rc = 0;

    while (rc == 0 && *p != '\0') {
        while (is_space(*p)) {
            p++;
        }
        if (*p == '\0') {
            break;
        }
        const char *start, *end;
        bool phrase = *p == '"';
        if (phrase) {
            start = ++p;
            while (*p != '\0' && *p != '"') {
                p++;
            }
            end = p;
            if (*p == '"') {
                p++;
            }
        } else {
            start = p;
            while (*p != '\0' && !is_space(*p)) {
                p++;
            }
            end = p;
        }
        size_t n = (size_t)(end - start);
        bool prefix = false;
        if (!phrase && n == 2 && memcmp(start, "OR", 2) == 0 && !want_term) {
            rc = roost_buf_adds(out, " OR");
            want_term = true;
            continue;
        }
        if (!phrase && n == 3 && !want_term &&
            (memcmp(start, "AND", 3) == 0 || memcmp(start, "NOT", 3) == 0)) {
            rc = roost_buf_printf(out, " %.3s", start);
            want_term = true;
            continue;
        }
        if (!phrase && n > 1 && start[n - 1] == '*') {
            prefix = true;
            n--;
        }
        if (n == 0) {
            continue;
        }
        if (out->len > 0) {
            rc = roost_buf_addc(out, ' ');
        }
        if (rc == 0) {
            rc = add_quoted(out, start, n);
        }
        if (rc == 0 && prefix) {
            rc = roost_buf_adds(out, " *");
        }
        n_terms++;
        want_term = false;
    }
    if (rc < 0) {
        return rc;
    }
    if (n_terms == 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (want_term) {
        /* A trailing operator: search it as a word instead. */
        while (out->len > 0 && out->ptr[out->len - 1] != ' ') {
            out->len--;
        }
        out->ptr[out->len > 0 ? --out->len : 0] = '\0';
    }
    return 0;
}

#define ISO_SQL(x) "strftime('%Y-%m-%dT%H:%M:%fZ', " x " / 1000.0, 'unixepoch')"

int roost_store_search(struct roost_store *s, const struct roost_search_q *q,
                       roost_store_row_fn *fn, void *arg,
                       struct roost_diag *diag)
{
    static const char sql[] = "SELECT " ISO_SQL(
        "p.created_at") " AS created_at,"
                        " p.author_handle AS author, p.lang,"
                        " snippet(posts_fts, 0, ?7, ?8, '...', 16) AS snippet,"
                        " round(bm25(posts_fts), 3) AS score, p.id"
                        " FROM posts_fts JOIN posts p ON p.seq = "
                        "posts_fts.rowid"
                        " WHERE posts_fts MATCH ?1 AND p.deleted = 0"
                        " AND (?2 IS NULL OR p.created_at >= ?2)"
                        " AND (?3 IS NULL OR p.created_at < ?3)"
                        " AND (?4 IS NULL OR p.lang = ?4)"
                        " AND (?5 IS NULL OR lower(p.author_handle) = "
                        "lower(?5))"
                        " ORDER BY bm25(posts_fts), p.seq LIMIT ?6";
    struct roost_buf match;
    sqlite3_stmt *st = NULL;
    int rc;

    if (!s->has_fts) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "the store has no full-text index (it was "
                              "written with fts=false); write to it once "
                              "with sqlite:FILE?fts=true to build it");
    }
    roost_buf_init(&match, 64u << 10);
    rc = roost_store_fts_query(q->words != NULL ? q->words : "", &match);
    if (rc < 0) {
        roost_diag_set(diag, rc, 0, "nothing to search for");
        goto out_fini;
    }
    int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (src != SQLITE_OK) {
        rc = sql_error(s, diag, src);
        goto out_fini;
    }
    sqlite3_bind_text(st, 1, match.ptr, (int)match.len, SQLITE_STATIC);
    if (q->since_ms != INT64_MIN) {
        sqlite3_bind_int64(st, 2, q->since_ms);
    }
    if (q->until_ms != INT64_MAX) {
        sqlite3_bind_int64(st, 3, q->until_ms);
    }
    if (q->lang != NULL) {
        sqlite3_bind_text(st, 4, q->lang, -1, SQLITE_STATIC);
    }
    if (q->from != NULL) {
        const char *from = q->from[0] == '@' ? q->from + 1 : q->from;
        sqlite3_bind_text(st, 5, from, -1, SQLITE_STATIC);
    }
    sqlite3_bind_int64(st, 6, q->limit > 0 ? q->limit : 20);
    sqlite3_bind_text(st, 7, q->hl_open != NULL ? q->hl_open : "[", -1,
                      SQLITE_STATIC);
    sqlite3_bind_text(st, 8, q->hl_close != NULL ? q->hl_close : "]", -1,
                      SQLITE_STATIC);
    rc = stream(s, st, -1, fn, arg, diag);
    sqlite3_finalize(st);

out_fini:
    roost_buf_fini(&match);
    return rc;
}

/* ---- export: posts rebuilt from the store
 * ------------------------------------------ */

enum {
    C_SEQ,
    C_ID,
    C_CREATED_AT,
    C_PLATFORM,
    C_FORMAT,
    C_LANG,
    C_TEXT,
    C_AUTHOR_ID,
    C_AUTHOR_HANDLE,
    C_AUTHOR_NAME,
    C_AUTHOR_FOLLOWERS,
    C_RETWEETS,
    C_LIKES,
    C_REPLIES,
    C_QUOTES,
    C_LAT,
    C_LON,
    C_PLACE_ID,
    C_PLACE,
    C_PLACE_FULL_NAME,
    C_PLACE_TYPE,
    C_COUNTRY,
    C_COUNTRY_CODE,
    C_BBOX,
    C_SOURCE,
    C_URL,
    C_CONVERSATION_ID,
    C_RULES,
    C_SENSITIVE,
    C_TRUNCATED,
    C_REFERENCED,
    C_DELETED,
};

#define POST_COLS                                                              \
    "seq, id, created_at, platform, format, lang, text, author_id, "           \
    "author_handle, author_name, author_followers, retweets, likes, "          \
    "replies, quotes, lat, lon, place_id, place, place_full_name, "            \
    "place_type, country, country_code, bbox, source, url, "                   \
    "conversation_id, rules, sensitive, truncated, referenced, deleted"

enum {
    L_BY_ID,
    L_REFS,
    L_HASHTAGS,
    L_MENTIONS,
    L_URLS,
    L_CASHTAGS,
    L_MEDIA,
    L_AUTHOR,
    L_JSON,
    N_LOADER,
};

static const char *const loader_sql[N_LOADER] = {
    [L_BY_ID] = "SELECT " POST_COLS " FROM posts WHERE id = ?1",
    [L_REFS] = "SELECT type, ref_id, ref_author_id, ref_author_handle FROM "
               "post_refs WHERE post_id = ?1 ORDER BY rowid",
    [L_HASHTAGS] = "SELECT tag FROM hashtags WHERE post_id = ?1 ORDER BY rowid",
    [L_MENTIONS] = "SELECT handle, user_id FROM mentions WHERE post_id = ?1 "
                   "ORDER BY rowid",
    [L_URLS] = "SELECT url, expanded FROM urls WHERE post_id = ?1 ORDER BY "
               "rowid",
    [L_CASHTAGS] = "SELECT tag FROM cashtags WHERE post_id = ?1 ORDER BY "
                   "rowid",
    [L_MEDIA] = "SELECT media_id, type, url, alt FROM media WHERE post_id = "
                "?1 ORDER BY rowid",
    [L_AUTHOR] = "SELECT description, location, lang, profile_image_url, "
                 "following, posts, verified, created_at FROM authors WHERE "
                 "id = ?1",
    [L_JSON] = "SELECT value FROM json_each(?1)",
};

struct loader {
    struct roost_store *s;
    sqlite3_stmt *st[N_LOADER];
    struct roost_arena arena;
};

static int loader_init(struct loader *l, struct roost_store *s,
                       struct roost_diag *diag)
{
    memset(l, 0, sizeof(*l));
    l->s = s;
    roost_arena_init(&l->arena, 64u << 10, 256u << 20);
    for (int i = 0; i < N_LOADER; i++) {
        int src = sqlite3_prepare_v2(s->db, loader_sql[i], -1, &l->st[i], NULL);
        if (src != SQLITE_OK) {
            return sql_error(s, diag, src);
        }
    }
    return 0;
}

static void loader_fini(struct loader *l)
{
    for (int i = 0; i < N_LOADER; i++) {
        sqlite3_finalize(l->st[i]);
    }
    roost_arena_fini(&l->arena);
}

/* col_str - a copy of column i in the arena; a NULL view for SQL NULL. */
static struct roost_str col_str(struct loader *l, sqlite3_stmt *st, int i,
                                int *rc)
{
    if (sqlite3_column_type(st, i) == SQLITE_NULL) {
        return ROOST_STR_NULL;
    }
    const char *t = (const char *)sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    char *copy = roost_arena_dup(&l->arena, t != NULL ? t : "", n);
    if (copy == NULL) {
        *rc = ROOST_ERR(ROOST_ENOMEM);
        return ROOST_STR_NULL;
    }
    return roost_str_make(copy, n);
}

static int64_t col_count(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL
               ? ROOST_UNKNOWN_COUNT
               : sqlite3_column_int64(st, i);
}

static void *grow(struct loader *l, void *arr, uint32_t n, uint32_t *cap,
                  size_t elem)
{
    if (n < *cap) {
        return arr;
    }
    uint32_t ncap = *cap ? *cap * 2 : 4;
    void *na = roost_arena_alloc(&l->arena, (size_t)ncap * elem);
    if (na != NULL && n > 0) {
        memcpy(na, arr, (size_t)n * elem);
    }
    *cap = ncap;
    return na;
}

static int step_error(struct loader *l, int src)
{
    return src == SQLITE_DONE ? 0 : sql_error(l->s, NULL, src);
}

/* load_entities - rows of st (column 0 text, column 1 expanded) into an
 * entity array. */
static int load_entities(struct loader *l, sqlite3_stmt *st,
                         struct roost_str id, bool has_expanded,
                         struct roost_entity **out, uint32_t *n_out)
{
    struct roost_entity *arr = NULL;
    uint32_t n = 0, cap = 0;
    int rc = 0, src;

    sqlite3_bind_text(st, 1, id.ptr, (int)id.len, SQLITE_STATIC);
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        arr = grow(l, arr, n, &cap, sizeof(*arr));
        if (arr == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            break;
        }
        struct roost_entity *e = &arr[n++];
        memset(e, 0, sizeof(*e));
        e->start = ROOST_NO_INDEX;
        e->end = ROOST_NO_INDEX;
        e->text = col_str(l, st, 0, &rc);
        if (e->text.ptr == NULL) {
            e->text = ROOST_STR_LIT("");
        }
        if (has_expanded) {
            e->expanded = col_str(l, st, 1, &rc);
        }
    }
    if (rc == 0) {
        rc = step_error(l, src);
    }
    sqlite3_reset(st);
    *out = arr;
    *n_out = n;
    return rc;
}

static uint8_t ref_type(const char *t)
{
    if (t != NULL && strcmp(t, "retweet") == 0) {
        return ROOST_REF_RETWEET;
    }
    if (t != NULL && strcmp(t, "quote") == 0) {
        return ROOST_REF_QUOTE;
    }
    return ROOST_REF_REPLY;
}

static int load_refs(struct loader *l, struct roost_post *p)
{
    sqlite3_stmt *st = l->st[L_REFS];
    uint32_t cap = 0;
    int rc = 0, src;

    sqlite3_bind_text(st, 1, p->id.ptr, (int)p->id.len, SQLITE_STATIC);
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        p->refs = grow(l, p->refs, p->n_refs, &cap, sizeof(*p->refs));
        if (p->refs == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            break;
        }
        struct roost_ref *r = &p->refs[p->n_refs++];
        memset(r, 0, sizeof(*r));
        r->type = ref_type((const char *)sqlite3_column_text(st, 0));
        r->id = col_str(l, st, 1, &rc);
        r->author_id = col_str(l, st, 2, &rc);
        r->author_handle = col_str(l, st, 3, &rc);
    }
    if (rc == 0) {
        rc = step_error(l, src);
    }
    sqlite3_reset(st);
    return rc;
}

static int load_media(struct loader *l, struct roost_post *p)
{
    sqlite3_stmt *st = l->st[L_MEDIA];
    uint32_t cap = 0;
    int rc = 0, src;

    sqlite3_bind_text(st, 1, p->id.ptr, (int)p->id.len, SQLITE_STATIC);
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        p->media = grow(l, p->media, p->n_media, &cap, sizeof(*p->media));
        if (p->media == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            break;
        }
        struct roost_media *m = &p->media[p->n_media++];
        m->id = col_str(l, st, 0, &rc);
        m->type = col_str(l, st, 1, &rc);
        m->url = col_str(l, st, 2, &rc);
        m->alt = col_str(l, st, 3, &rc);
    }
    if (rc == 0) {
        rc = step_error(l, src);
    }
    sqlite3_reset(st);
    return rc;
}

static int load_author(struct loader *l, struct roost_post *p)
{
    sqlite3_stmt *st = l->st[L_AUTHOR];
    struct roost_author *a = &p->author;
    int rc = 0;

    a->following = ROOST_UNKNOWN_COUNT;
    a->posts = ROOST_UNKNOWN_COUNT;
    if (a->id.ptr == NULL) {
        return 0;
    }
    sqlite3_bind_text(st, 1, a->id.ptr, (int)a->id.len, SQLITE_STATIC);
    int src = sqlite3_step(st);
    if (src == SQLITE_ROW) {
        a->description = col_str(l, st, 0, &rc);
        a->location = col_str(l, st, 1, &rc);
        a->lang = col_str(l, st, 2, &rc);
        a->profile_image_url = col_str(l, st, 3, &rc);
        a->following = col_count(st, 4);
        a->posts = col_count(st, 5);
        a->verified = sqlite3_column_int(st, 6) != 0;
        a->created_at_ms = sqlite3_column_int64(st, 7);
    } else if (src != SQLITE_DONE) {
        rc = sql_error(l->s, NULL, src);
    }
    sqlite3_reset(st);
    return rc;
}

/* load_json_list - the elements of a JSON array text (rules, bbox). */
static int load_rules(struct loader *l, struct roost_post *p,
                      struct roost_str json)
{
    sqlite3_stmt *st = l->st[L_JSON];
    uint32_t cap = 0;
    int rc = 0, src;

    if (json.ptr == NULL) {
        return 0;
    }
    sqlite3_bind_text(st, 1, json.ptr, (int)json.len, SQLITE_STATIC);
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        p->rules = grow(l, p->rules, p->n_rules, &cap, sizeof(*p->rules));
        if (p->rules == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            break;
        }
        p->rules[p->n_rules++] = col_str(l, st, 0, &rc);
    }
    if (rc == 0) {
        rc = step_error(l, src);
    }
    sqlite3_reset(st);
    return rc;
}

static int load_bbox(struct loader *l, struct roost_post *p,
                     struct roost_str json)
{
    sqlite3_stmt *st = l->st[L_JSON];
    int n = 0, src;

    if (json.ptr == NULL) {
        return 0;
    }
    sqlite3_bind_text(st, 1, json.ptr, (int)json.len, SQLITE_STATIC);
    while ((src = sqlite3_step(st)) == SQLITE_ROW && n < 4) {
        p->geo.bbox[n++] = sqlite3_column_double(st, 0);
    }
    sqlite3_reset(st);
    p->geo.has_bbox = n == 4;
    return src == SQLITE_ROW || src == SQLITE_DONE ? 0
                                                   : sql_error(l->s, NULL, src);
}

static uint8_t platform_of(const char *name)
{
    for (int i = ROOST_PLATFORM_UNKNOWN; i <= ROOST_PLATFORM_TEXT; i++) {
        if (name != NULL &&
            strcmp(roost_platform_name((enum roost_platform)i), name) == 0) {
            return (uint8_t)i;
        }
    }
    return ROOST_PLATFORM_UNKNOWN;
}

static uint8_t format_of(const char *name)
{
    for (int i = ROOST_FMT_AUTO; i <= ROOST_FMT_UNKNOWN; i++) {
        if (name != NULL &&
            strcmp(roost_format_name((enum roost_format)i), name) == 0) {
            return (uint8_t)i;
        }
    }
    return ROOST_FMT_UNKNOWN;
}

/* load_post - rebuild the post of the current row of st (POST_COLS). The
 * post's strings live in l->arena until the next load_post. */
static int load_post(struct loader *l, sqlite3_stmt *st, struct roost_post *p)
{
    int rc = 0;

    roost_arena_reset(&l->arena);
    memset(p, 0, sizeof(*p));
    p->id = col_str(l, st, C_ID, &rc);
    p->created_at_ms = sqlite3_column_int64(st, C_CREATED_AT);
    p->platform =
        platform_of((const char *)sqlite3_column_text(st, C_PLATFORM));
    p->format = format_of((const char *)sqlite3_column_text(st, C_FORMAT));
    p->lang = col_str(l, st, C_LANG, &rc);
    p->text = col_str(l, st, C_TEXT, &rc);
    p->author.id = col_str(l, st, C_AUTHOR_ID, &rc);
    p->author.handle = col_str(l, st, C_AUTHOR_HANDLE, &rc);
    p->author.name = col_str(l, st, C_AUTHOR_NAME, &rc);
    p->author.followers = col_count(st, C_AUTHOR_FOLLOWERS);
    p->retweets = col_count(st, C_RETWEETS);
    p->likes = col_count(st, C_LIKES);
    p->replies = col_count(st, C_REPLIES);
    p->quotes = col_count(st, C_QUOTES);
    struct roost_geo *g = &p->geo;
    g->has_point = sqlite3_column_type(st, C_LAT) != SQLITE_NULL;
    g->lat = sqlite3_column_double(st, C_LAT);
    g->lon = sqlite3_column_double(st, C_LON);
    g->place_id = col_str(l, st, C_PLACE_ID, &rc);
    g->place_name = col_str(l, st, C_PLACE, &rc);
    g->place_full_name = col_str(l, st, C_PLACE_FULL_NAME, &rc);
    g->place_type = col_str(l, st, C_PLACE_TYPE, &rc);
    g->country = col_str(l, st, C_COUNTRY, &rc);
    g->country_code = col_str(l, st, C_COUNTRY_CODE, &rc);
    struct roost_str bbox = col_str(l, st, C_BBOX, &rc);
    p->source = col_str(l, st, C_SOURCE, &rc);
    p->url = col_str(l, st, C_URL, &rc);
    p->conversation_id = col_str(l, st, C_CONVERSATION_ID, &rc);
    struct roost_str rules = col_str(l, st, C_RULES, &rc);
    p->sensitive = sqlite3_column_int(st, C_SENSITIVE) != 0;
    p->truncated = sqlite3_column_int(st, C_TRUNCATED) != 0;
    p->referenced = sqlite3_column_int(st, C_REFERENCED) != 0;
    p->has_geo = g->has_point || g->place_id.ptr != NULL ||
                 g->place_name.ptr != NULL || g->place_full_name.ptr != NULL ||
                 g->country_code.ptr != NULL || bbox.ptr != NULL;
    if (p->text.ptr == NULL) {
        p->text = ROOST_STR_LIT("");
    }
    if (rc == 0) {
        rc = load_bbox(l, p, bbox);
    }
    if (rc == 0) {
        rc = load_rules(l, p, rules);
    }
    if (rc == 0) {
        rc = load_refs(l, p);
    }
    if (rc == 0) {
        rc = load_entities(l, l->st[L_HASHTAGS], p->id, false, &p->hashtags,
                           &p->n_hashtags);
    }
    if (rc == 0) {
        rc = load_entities(l, l->st[L_MENTIONS], p->id, true, &p->mentions,
                           &p->n_mentions);
    }
    if (rc == 0) {
        rc = load_entities(l, l->st[L_URLS], p->id, true, &p->urls, &p->n_urls);
    }
    if (rc == 0) {
        rc = load_entities(l, l->st[L_CASHTAGS], p->id, false, &p->cashtags,
                           &p->n_cashtags);
    }
    if (rc == 0) {
        rc = load_media(l, p);
    }
    return rc == 0 ? load_author(l, p) : rc;
}

/* ---- export: columns
 * ------------------------------------------------------------------ */

/* Columns beyond the stable CSV set, for --columns all or by name. */
enum {
    X_FORMAT = ROOST_CSV_N_COLUMNS,
    X_CONVERSATION_ID,
    X_CASHTAGS,
    X_MEDIA,
    X_SENSITIVE,
    X_TRUNCATED,
    X_PLACE_ID,
    X_URL,
    N_ALL_COLUMNS,
};

static const char *const extra_names[] = {
    "format",    "conversation_id", "cashtags", "media",
    "sensitive", "truncated",       "place_id", "url",
};

static_assert(sizeof(extra_names) / sizeof(extra_names[0]) ==
                  N_ALL_COLUMNS - ROOST_CSV_N_COLUMNS,
              "one name per extra column");

static const char *column_name(int i)
{
    return i < ROOST_CSV_N_COLUMNS ? roost_post_csv_column_name((size_t)i)
                                   : extra_names[i - ROOST_CSV_N_COLUMNS];
}

static int column_find(const char *name, size_t len)
{
    int i = roost_post_csv_column(name, len);
    for (int k = ROOST_CSV_N_COLUMNS; i < 0 && k < N_ALL_COLUMNS; k++) {
        const char *n = extra_names[k - ROOST_CSV_N_COLUMNS];
        if (strlen(n) == len && memcmp(n, name, len) == 0) {
            i = k;
        }
    }
    return i;
}

static int parse_columns(const char *spec, int *cols, int *n_cols,
                         struct roost_diag *diag)
{
    *n_cols = 0;
    if (spec == NULL || strcmp(spec, "default") == 0 ||
        strcmp(spec, "all") == 0) {
        int n = spec != NULL && strcmp(spec, "all") == 0 ? N_ALL_COLUMNS
                                                         : ROOST_CSV_N_COLUMNS;
        for (int i = 0; i < n; i++) {
            cols[(*n_cols)++] = i;
        }
        return 0;
    }
    const char *p = spec;
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t n = e != NULL ? (size_t)(e - p) : strlen(p);
        int c = column_find(p, n);
        if (c < 0 || *n_cols >= N_ALL_COLUMNS) {
            struct roost_buf names;
            roost_buf_init(&names, 4096);
            for (int i = 0; i < N_ALL_COLUMNS; i++) {
                roost_buf_printf(&names, "%s%s", i ? "," : "", column_name(i));
            }
            roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                           "unknown column '%.*s' (known: %s)", (int)n, p,
                           names.ptr != NULL ? names.ptr : "");
            roost_buf_fini(&names);
            return ROOST_ERR(ROOST_EINVAL);
        }
        cols[(*n_cols)++] = c;
        p = e != NULL ? e + 1 : p + n;
    }
    return *n_cols > 0
               ? 0
               : roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0, "no columns");
}

static int cell_list(struct roost_buf *out, struct roost_buf *tmp,
                     const struct roost_entity *e, uint32_t n)
{
    roost_buf_reset(tmp);
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        if (i > 0) {
            rc = roost_buf_addc(tmp, ' ');
        }
        if (rc == 0) {
            rc = roost_buf_add(tmp, e[i].text.ptr, e[i].text.len);
        }
    }
    return rc == 0 ? roost_post_csv_field(out, tmp->ptr, tmp->len) : rc;
}

static int cell_extra(const struct roost_post *p, int col,
                      struct roost_buf *out, struct roost_buf *tmp)
{
    struct roost_str s = ROOST_STR_NULL;
    switch (col) {
    case X_FORMAT:
        return roost_buf_adds(out, roost_format_name(p->format));
    case X_CONVERSATION_ID:
        s = p->conversation_id;
        break;
    case X_CASHTAGS:
        return cell_list(out, tmp, p->cashtags, p->n_cashtags);
    case X_MEDIA: {
        roost_buf_reset(tmp);
        int rc = 0;
        for (uint32_t i = 0; rc == 0 && i < p->n_media; i++) {
            if (i > 0) {
                rc = roost_buf_addc(tmp, ' ');
            }
            if (rc == 0) {
                rc = roost_buf_add(tmp, p->media[i].url.ptr,
                                   p->media[i].url.len);
            }
        }
        return rc == 0 ? roost_post_csv_field(out, tmp->ptr, tmp->len) : rc;
    }
    case X_SENSITIVE:
        return roost_buf_adds(out, p->sensitive ? "true" : "false");
    case X_TRUNCATED:
        return roost_buf_adds(out, p->truncated ? "true" : "false");
    case X_PLACE_ID:
        s = p->has_geo ? p->geo.place_id : ROOST_STR_NULL;
        break;
    case X_URL:
        s = p->url;
        break;
    default:
        return ROOST_ERR(ROOST_EINVAL);
    }
    return s.ptr != NULL ? roost_post_csv_field(out, s.ptr, s.len) : 0;
}

/* ---- export
 * ------------------------------------------------------------------ */

struct exporter {
    const struct roost_export_q *q;
    struct loader l;
    struct loader refl; /* referenced posts (--flatten) */
    struct roost_buf out;
    struct roost_buf tmp;
    int cols[N_ALL_COLUMNS];
    int n_cols;
    roost_store_out_fn *fn;
    void *arg;
};

static int out_flush(struct exporter *x, bool force)
{
    if (x->out.len == 0 || (!force && x->out.len < OUT_FLUSH_BYTES)) {
        return 0;
    }
    int rc = x->fn(x->arg, x->out.ptr, x->out.len);
    roost_buf_reset(&x->out);
    return rc;
}

static int csv_row(struct exporter *x, const struct roost_post *p)
{
    int rc = 0;
    for (int i = 0; rc == 0 && i < x->n_cols; i++) {
        if (i > 0) {
            rc = roost_buf_addc(&x->out, ',');
        }
        if (rc == 0) {
            rc = x->cols[i] < ROOST_CSV_N_COLUMNS
                     ? roost_post_csv_cell(p, (size_t)x->cols[i], &x->out)
                     : cell_extra(p, x->cols[i], &x->out, &x->tmp);
        }
    }
    return rc == 0 ? roost_buf_addc(&x->out, '\n') : rc;
}

/* ref_json - the stored post `id` as JSON, or null. */
static int ref_json(struct exporter *x, struct roost_str id)
{
    if (id.ptr == NULL) {
        return roost_buf_adds(&x->out, "null");
    }
    sqlite3_stmt *st = x->refl.st[L_BY_ID];
    sqlite3_bind_text(st, 1, id.ptr, (int)id.len, SQLITE_TRANSIENT);
    int src = sqlite3_step(st);
    int rc = 0;
    if (src == SQLITE_ROW && sqlite3_column_int(st, C_DELETED) == 0) {
        struct roost_post rp;
        rc = load_post(&x->refl, st, &rp);
        if (rc == 0) {
            rc = roost_post_write_json(&rp, &x->out);
        }
    } else if (src == SQLITE_ROW || src == SQLITE_DONE) {
        rc = roost_buf_adds(&x->out, "null");
    } else {
        rc = sql_error(x->l.s, NULL, src);
    }
    sqlite3_reset(st);
    return rc;
}

static int jsonl_row(struct exporter *x, const struct roost_post *p)
{
    size_t start = x->out.len;
    int rc = roost_post_write_json(p, &x->out);
    if (rc == 0 && x->q->flatten) {
        static const char *const keys[] = { "reply_to", "retweet_of",
                                            "quote_of" };
        static const uint8_t types[] = { ROOST_REF_REPLY, ROOST_REF_RETWEET,
                                         ROOST_REF_QUOTE };
        if (x->out.len <= start || x->out.ptr[x->out.len - 1] != '}') {
            return ROOST_ERR(ROOST_EINVAL);
        }
        x->out.len--; /* reopen the object */
        rc = roost_buf_adds(&x->out, ",\"referenced_posts\":{");
        for (int k = 0; rc == 0 && k < 3; k++) {
            struct roost_str id = ROOST_STR_NULL;
            for (uint32_t i = 0; i < p->n_refs && id.ptr == NULL; i++) {
                if (p->refs[i].type == types[k]) {
                    id = p->refs[i].id;
                }
            }
            rc = roost_buf_printf(&x->out, "%s\"%s\":", k ? "," : "", keys[k]);
            if (rc == 0) {
                rc = ref_json(x, id);
            }
        }
        if (rc == 0) {
            rc = roost_buf_adds(&x->out, "}}");
        }
    }
    return rc == 0 ? roost_buf_addc(&x->out, '\n') : rc;
}

int roost_store_export(struct roost_store *s, const struct roost_export_q *q,
                       roost_store_out_fn *fn, void *arg, uint64_t *n_out,
                       struct roost_diag *diag)
{
    static const char sql[] =
        "SELECT " POST_COLS " FROM posts WHERE deleted = 0"
        " AND (?1 IS NULL OR created_at >= ?1)"
        " AND (?2 IS NULL OR created_at < ?2)"
        " AND (?3 = 0 OR referenced = 0) ORDER BY seq";
    struct exporter *x = roost_calloc(1, sizeof(*x));
    sqlite3_stmt *st = NULL;
    int rc;

    *n_out = 0;
    if (x == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    x->q = q;
    x->fn = fn;
    x->arg = arg;
    roost_buf_init(&x->out, 256u << 20);
    roost_buf_init(&x->tmp, 64u << 20);
    rc = loader_init(&x->l, s, diag);
    if (rc == 0) {
        rc = loader_init(&x->refl, s, diag);
    }
    if (rc == 0 && q->format == ROOST_EXPORT_CSV) {
        rc = parse_columns(q->columns, x->cols, &x->n_cols, diag);
    }
    if (rc < 0) {
        goto out_free;
    }
    int src = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);
    if (src != SQLITE_OK) {
        rc = sql_error(s, diag, src);
        goto out_free;
    }
    if (q->since_ms != INT64_MIN) {
        sqlite3_bind_int64(st, 1, q->since_ms);
    }
    if (q->until_ms != INT64_MAX) {
        sqlite3_bind_int64(st, 2, q->until_ms);
    }
    sqlite3_bind_int(st, 3, q->flatten);
    for (int i = 0; q->format == ROOST_EXPORT_CSV && rc == 0 && i < x->n_cols;
         i++) {
        rc = roost_buf_printf(&x->out, "%s%s", i ? "," : "",
                              column_name(x->cols[i]));
    }
    if (rc == 0 && q->format == ROOST_EXPORT_CSV) {
        rc = roost_buf_addc(&x->out, '\n');
    }
    while (rc == 0 && (src = sqlite3_step(st)) == SQLITE_ROW) {
        struct roost_post p;
        rc = load_post(&x->l, st, &p);
        if (rc == 0) {
            rc = q->format == ROOST_EXPORT_CSV ? csv_row(x, &p)
                                               : jsonl_row(x, &p);
        }
        if (rc == 0) {
            (*n_out)++;
            rc = out_flush(x, false);
        }
    }
    if (rc == 0 && src != SQLITE_DONE) {
        rc = sql_error(s, diag, src);
    }
    if (rc == 0) {
        rc = out_flush(x, true);
    }
    if (rc < 0 && diag != NULL && diag->msg[0] == '\0') {
        roost_diag_set(diag, rc, 0, "export failed: %s", roost_strerror(rc));
    }

out_free:
    sqlite3_finalize(st);
    loader_fini(&x->l);
    loader_fini(&x->refl);
    roost_buf_fini(&x->out);
    roost_buf_fini(&x->tmp);
    roost_free(x);
    return rc;
}

/* ---- for the HTTP API (serve/api.c)
 * ------------------------------------------ */

struct deadline {
    struct timespec end;
    bool hit;
};

static int past_deadline(void *arg)
{
    struct deadline *d = arg;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > d->end.tv_sec ||
        (now.tv_sec == d->end.tv_sec && now.tv_nsec >= d->end.tv_nsec)) {
        d->hit = true;
        return 1; /* SQLITE_INTERRUPT */
    }
    return 0;
}

int roost_store_query_timed(struct roost_store *s, const char *sql,
                            int64_t max_rows, int64_t limit_ms,
                            roost_store_row_fn *fn, void *arg,
                            struct roost_diag *diag)
{
    struct deadline d = { .hit = false };
    if (limit_ms <= 0) {
        return roost_store_query(s, sql, max_rows, fn, arg, diag);
    }
    clock_gettime(CLOCK_MONOTONIC, &d.end);
    d.end.tv_sec += limit_ms / 1000;
    d.end.tv_nsec += (limit_ms % 1000) * 1000000L;
    if (d.end.tv_nsec >= 1000000000L) {
        d.end.tv_sec++;
        d.end.tv_nsec -= 1000000000L;
    }
    sqlite3_progress_handler(s->db, 10000, past_deadline, &d);
    int rc = roost_store_query(s, sql, max_rows, fn, arg, diag);
    sqlite3_progress_handler(s->db, 0, NULL, NULL);
    if (d.hit) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_ELIMIT), 0,
                            "query stopped after the time limit of "
                            "%lld ms",
                            (long long)limit_ms);
    }
    return rc;
}

int roost_store_posts_json(struct roost_store *s, const char *const *ids,
                           size_t n_ids, struct roost_buf *out,
                           struct roost_diag *diag)
{
    struct loader *l = roost_calloc(1, sizeof(*l));
    if (l == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    int rc = loader_init(l, s, diag);
    bool first = true;
    for (size_t i = 0; rc == 0 && i < n_ids; i++) {
        sqlite3_stmt *st = l->st[L_BY_ID];
        sqlite3_bind_text(st, 1, ids[i], -1, SQLITE_TRANSIENT);
        int src = sqlite3_step(st);
        if (src == SQLITE_ROW) {
            struct roost_post p;
            rc = load_post(l, st, &p);
            if (rc == 0 && !first) {
                rc = roost_buf_addc(out, ',');
            }
            if (rc == 0) {
                rc = roost_post_write_json(&p, out);
                first = false;
            }
        } else if (src != SQLITE_DONE) {
            rc = sql_error(s, diag, src);
        }
        sqlite3_reset(st);
    }
    loader_fini(l);
    roost_free(l);
    return rc;
}
