/* SPDX-License-Identifier: MIT
 *
 * sqlite_results.h - continuous query results in the SQLite store.
 *
 * A query with `output = store` writes, at each trigger that changed its
 * result, the complete result table as one emission into query_results
 * (query, seq, emitted_at, row_json); the view latest_query_results shows
 * each query's newest emission. `seq` counts a query's emissions and is
 * saved in its engine checkpoint, so recovery calls
 * roost_sqlite_results_cut() to delete the emissions a crash left past
 * the checkpoint; the replay then writes them again, exactly once.
 * An emission is one transaction: it is in the store whole or not at all.
 * Thread: one owner thread.
 */
#ifndef ROOST_STORE_SQLITE_RESULTS_H
#define ROOST_STORE_SQLITE_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

struct roost_sqlite_results;

/*
 * roost_sqlite_results_open - open (create) the store at path and bring
 * its schema up to date. Returns 0 with *out set or ROOST_EIO / ROOST_EINVAL
 * with the reason in diag.
 */
int roost_sqlite_results_open(const char *path,
                              struct roost_sqlite_results **out,
                              struct roost_diag *diag);
void roost_sqlite_results_close(struct roost_sqlite_results *r);

/*
 * roost_sqlite_results_write - write emission seq of query: one row per
 * line of jsonl (one JSON object per line). Returns 0 or ROOST_EIO.
 */
int roost_sqlite_results_write(struct roost_sqlite_results *r,
                               const char *query, uint64_t seq,
                               int64_t emitted_at_ms, const char *jsonl,
                               size_t len);

/* roost_sqlite_results_cut - delete the emissions of query past seq. */
int roost_sqlite_results_cut(struct roost_sqlite_results *r, const char *query,
                             uint64_t seq);

#endif /* ROOST_STORE_SQLITE_RESULTS_H */
