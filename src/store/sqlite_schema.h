/* SPDX-License-Identifier: MIT
 *
 * sqlite_schema.h - the versioned schema of the SQLite store and its
 * migrations (documented in docs/schema.md).
 *
 * The schema version is SQLite's PRAGMA user_version. Migrations are a
 * table in sqlite_schema.c: migration N takes a store from version N-1
 * to N inside one transaction that also sets user_version, so a store is
 * always at some whole version. A store newer than this build is refused.
 * The FTS5 index (posts_fts) is outside the versions: it is optional and
 * created, filled and kept by the sink when asked (fts=true).
 * Thread: the caller's connection, one thread.
 */
#ifndef ROOST_STORE_SQLITE_SCHEMA_H
#define ROOST_STORE_SQLITE_SCHEMA_H

#include <sqlite3.h>
#include <stdbool.h>

#include "core/err.h"

#define ROOST_SQLITE_SCHEMA_VERSION 3

/* The FTS5 table over posts.text; content lives in posts (rowid = seq). */
#define ROOST_SQLITE_FTS_SQL                                                   \
    "CREATE VIRTUAL TABLE posts_fts USING fts5(text, content='posts', "        \
    "content_rowid='seq', tokenize='unicode61 remove_diacritics 2')"

/* roost_sqlite_schema_version - the store's user_version (0: empty). */
int roost_sqlite_schema_version(sqlite3 *db, int *out);

/*
 * roost_sqlite_schema_migrate - bring db up to `target` (0: the latest).
 * Returns: 0; ROOST_EINVAL when the store is newer than this build or
 * target is unknown; ROOST_EIO when a migration fails (nothing of it is
 * kept; diag has SQLite's message).
 */
int roost_sqlite_schema_migrate(sqlite3 *db, int target,
                                struct roost_diag *diag);

/* roost_sqlite_schema_has_fts - whether posts_fts exists. */
bool roost_sqlite_schema_has_fts(sqlite3 *db);

/*
 * roost_sqlite_schema_add_fts - create posts_fts and index every live
 * (not deleted) post already stored. Returns 0 or ROOST_EIO.
 */
int roost_sqlite_schema_add_fts(sqlite3 *db, struct roost_diag *diag);

#endif /* ROOST_STORE_SQLITE_SCHEMA_H */
