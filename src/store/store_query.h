/* SPDX-License-Identifier: MIT
 *
 * store_query.h - read-only access to the SQLite store: SQL, full-text
 * search and export, for the CLI (`roost query|search|export`) and later
 * the HTTP API.
 *
 * A struct roost_store is a connection opened with SQLITE_OPEN_READONLY,
 * PRAGMA query_only and an authorizer that refuses every write, DDL,
 * ATTACH/DETACH, transaction control and any pragma outside a read-only
 * list: a statement that tries fails at prepare time with "not
 * authorized", and the file is never touched. Results are streamed row by
 * row to a callback; nothing is buffered here.
 *
 *     struct roost_store *s;
 *     roost_store_open("roost.db", &s, &diag);
 *     roost_store_query(s, "SELECT * FROM top_hashtags_1h", -1, fn, arg,
 *                       &diag);
 *     roost_store_close(s);
 *
 * Thread: a store is used by one thread at a time; open one per thread.
 */
#ifndef ROOST_STORE_STORE_QUERY_H
#define ROOST_STORE_STORE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct roost_store;

enum roost_store_type {
    ROOST_STORE_NULL = 0,
    ROOST_STORE_INT,
    ROOST_STORE_REAL,
    ROOST_STORE_TEXT,
    ROOST_STORE_BLOB,
};

/*
 * One result row. The first call of a query passes the header only
 * (values, lens and types NULL), then one call per row.
 * Ownership: everything is valid for the call only.
 */
struct roost_store_row {
    size_t n_cols;
    const char *const *names;
    const char *const *values; /* NUL-terminated text; NULL for SQL NULL */
    const size_t *lens;        /* bytes (blobs may hold NULs) */
    const uint8_t *types;      /* enum roost_store_type */
};

/* Return non-zero to stop; that value is returned by the query call. */
typedef int roost_store_row_fn(void *arg, const struct roost_store_row *row);

/* Bytes of output (export); return non-zero to stop. */
typedef int roost_store_out_fn(void *arg, const char *p, size_t len);

/*
 * roost_store_open - open path read-only and install the authorizer.
 * Returns: 0; ROOST_ENOENT when the file does not exist (nothing is
 * created); ROOST_EIO when it is no SQLite file (diag says why).
 */
int roost_store_open(const char *path, struct roost_store **out,
                     struct roost_diag *diag);
void roost_store_close(struct roost_store *s);

/* roost_store_has_fts - whether the store has its full-text index. */
bool roost_store_has_fts(struct roost_store *s);

/*
 * roost_store_query - run one SQL statement (a trailing ';' is allowed,
 * more statements are not) and stream at most max_rows rows (< 0: all).
 * Returns: 0; fn's non-zero value; ROOST_EINVAL for an SQL error or a
 * refused write (diag holds SQLite's message, e.g. "not authorized");
 * ROOST_EIO for I/O errors.
 */
int roost_store_query(struct roost_store *s, const char *sql, int64_t max_rows,
                      roost_store_row_fn *fn, void *arg,
                      struct roost_diag *diag);

/* What `roost search` asks. Open ends: INT64_MIN / INT64_MAX, NULL. */
struct roost_search_q {
    const char *words;   /* words, "a phrase", word*, OR, NOT */
    int64_t since_ms;    /* created_at >= since */
    int64_t until_ms;    /* created_at < until */
    const char *lang;    /* exact language tag */
    const char *from;    /* author handle, case-insensitive, no '@' */
    int64_t limit;       /* <= 0: 20 */
    const char *hl_open; /* snippet highlight marks; NULL: "[" and "]" */
    const char *hl_close;
};

/*
 * roost_store_fts_query - translate the user's words into an FTS5 query:
 * each bare word and each "quoted phrase" becomes a quoted FTS5 string
 * (so '#', '@', '-' and quotes are never syntax), a trailing '*' stays a
 * prefix query, and upper-case OR, AND, NOT stay operators. Words are
 * ANDed. Returns 0, or ROOST_EINVAL when nothing is left to search.
 */
int roost_store_fts_query(const char *words, struct roost_buf *out);

/*
 * roost_store_search - full-text search ranked by bm25 (best first), not
 * deleted posts only. Columns: created_at, author, lang, snippet, score,
 * id. Returns as roost_store_query; ROOST_EINVAL also when the store has
 * no FTS index or the words are empty.
 */
int roost_store_search(struct roost_store *s, const struct roost_search_q *q,
                       roost_store_row_fn *fn, void *arg,
                       struct roost_diag *diag);

/*
 * roost_store_query_timed - roost_store_query() stopped after limit_ms
 * (<= 0: no limit) through SQLite's progress handler. Returns as
 * roost_store_query; ROOST_ELIMIT when the time limit stopped it.
 */
int roost_store_query_timed(struct roost_store *s, const char *sql,
                            int64_t max_rows, int64_t limit_ms,
                            roost_store_row_fn *fn, void *arg,
                            struct roost_diag *diag);

/*
 * roost_store_posts_json - append the stored posts with these ids as
 * JSON objects of docs/post-model.md, separated by ',' (no brackets), in
 * the order given; ids not in the store are skipped.
 */
int roost_store_posts_json(struct roost_store *s, const char *const *ids,
                           size_t n_ids, struct roost_buf *out,
                           struct roost_diag *diag);

enum roost_export_format {
    ROOST_EXPORT_CSV = 0,
    ROOST_EXPORT_JSONL,
};

struct roost_export_q {
    int format;          /* enum roost_export_format */
    const char *columns; /* CSV: "default", "all" or "id,text,..." */
    int64_t since_ms;    /* INT64_MIN: open */
    int64_t until_ms;    /* INT64_MAX: open */
    bool flatten;        /* JSONL: delivered posts only, each with its
                            referenced posts inlined */
};

/*
 * roost_store_export - every post not deleted, in the order stored: CSV
 * with the stable columns of csv_columns.h (header row first), or JSONL
 * with the fields of docs/post-model.md. *n_out gets the number of posts
 * written.
 * Returns: 0; fn's non-zero value; ROOST_EINVAL for an unknown column
 * (diag lists the known ones); ROOST_EIO; ROOST_ENOMEM.
 */
int roost_store_export(struct roost_store *s, const struct roost_export_q *q,
                       roost_store_out_fn *fn, void *arg, uint64_t *n_out,
                       struct roost_diag *diag);

#endif /* ROOST_STORE_STORE_QUERY_H */
