/* SPDX-License-Identifier: MIT
 *
 * sqlite_results.c - continuous query results in the SQLite store.
 *
 * The contract is in sqlite_results.h. The connection is separate from
 * the SQLite sink's (which may write the same file from its own thread),
 * so both use WAL and a busy timeout.
 */
#include <string.h>

#include <sqlite3.h>

#include "core/mem.h"
#include "store/sqlite_results.h"
#include "store/sqlite_schema.h"

#define BUSY_TIMEOUT_MS 5000

struct roost_sqlite_results {
    sqlite3 *db;
    sqlite3_stmt *insert;
    sqlite3_stmt *cut;
};

int roost_sqlite_results_open(const char *path,
                              struct roost_sqlite_results **out,
                              struct roost_diag *diag)
{
    struct roost_sqlite_results *r = roost_calloc(1, sizeof(*r));
    if (r == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    int rc;
    if (sqlite3_open_v2(path, &r->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        NULL) != SQLITE_OK) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0, "cannot open %s: %s",
                            path, sqlite3_errmsg(r->db));
        goto out_close_db;
    }
    sqlite3_busy_timeout(r->db, BUSY_TIMEOUT_MS);
    if (sqlite3_exec(r->db,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL",
                     NULL, NULL, NULL) != SQLITE_OK) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0, "%s: %s", path,
                            sqlite3_errmsg(r->db));
        goto out_close_db;
    }
    rc = roost_sqlite_schema_migrate(r->db, 0, diag);
    if (rc < 0) {
        goto out_close_db;
    }
    if (sqlite3_prepare_v2(r->db,
                           "INSERT INTO query_results(query, seq, "
                           "emitted_at, row_json) VALUES (?, ?, ?, ?)",
                           -1, &r->insert, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(r->db,
                           "DELETE FROM query_results WHERE query = ? "
                           "AND seq > ?",
                           -1, &r->cut, NULL) != SQLITE_OK) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0, "%s: %s", path,
                            sqlite3_errmsg(r->db));
        goto out_close_db;
    }
    *out = r;
    return 0;

out_close_db:
    roost_sqlite_results_close(r);
    return rc;
}

void roost_sqlite_results_close(struct roost_sqlite_results *r)
{
    if (r == NULL) {
        return;
    }
    sqlite3_finalize(r->insert);
    sqlite3_finalize(r->cut);
    sqlite3_close(r->db); /* also frees the handle a failed open returns */
    roost_free(r);
}

static int insert_rows(struct roost_sqlite_results *r, const char *query,
                       uint64_t seq, int64_t emitted_at_ms, const char *jsonl,
                       size_t len)
{
    const char *p = jsonl, *end = jsonl + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl != NULL ? nl : end;
        if (eol > p) {
            sqlite3_reset(r->insert);
            sqlite3_bind_text(r->insert, 1, query, -1, SQLITE_STATIC);
            sqlite3_bind_int64(r->insert, 2, (sqlite3_int64)seq);
            sqlite3_bind_int64(r->insert, 3, emitted_at_ms);
            sqlite3_bind_text(r->insert, 4, p, (int)(eol - p), SQLITE_STATIC);
            if (sqlite3_step(r->insert) != SQLITE_DONE) {
                sqlite3_reset(r->insert);
                return ROOST_ERR(ROOST_EIO);
            }
        }
        p = eol + 1;
    }
    sqlite3_reset(r->insert);
    return 0;
}

int roost_sqlite_results_write(struct roost_sqlite_results *r,
                               const char *query, uint64_t seq,
                               int64_t emitted_at_ms, const char *jsonl,
                               size_t len)
{
    if (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
        return ROOST_ERR(ROOST_EIO);
    }
    int rc = insert_rows(r, query, seq, emitted_at_ms, jsonl, len);
    if (rc == 0 &&
        sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
        rc = ROOST_ERR(ROOST_EIO);
    }
    if (rc < 0) {
        sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}

int roost_sqlite_results_cut(struct roost_sqlite_results *r, const char *query,
                             uint64_t seq)
{
    sqlite3_reset(r->cut);
    sqlite3_bind_text(r->cut, 1, query, -1, SQLITE_STATIC);
    sqlite3_bind_int64(r->cut, 2, (sqlite3_int64)seq);
    int rc = sqlite3_step(r->cut) == SQLITE_DONE ? 0 : ROOST_ERR(ROOST_EIO);
    sqlite3_reset(r->cut);
    return rc;
}
