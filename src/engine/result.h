/* SPDX-License-Identifier: MIT
 *
 * result.h - query results: row sets, their console and JSONL forms, and
 * the in-memory result tables the dashboard and the API read by name.
 *
 * A struct roost_rowset is a small table that owns its strings: what one
 * trigger of a continuous query emits, or a snapshot of a result table.
 * struct roost_results holds, per query name, the latest complete view of
 * that query (what `SELECT ... ` would show now); the engine thread
 * publishes a new view after each trigger and readers take a private copy
 * under a lock, so a reader never sees a half-written view.
 *
 * Console output is a Spark Streaming block per trigger:
 *
 *   -------------------------------------------
 *   Time: 2021-01-01 07:30:00
 *   -------------------------------------------
 *   +-------+---+
 *   |    tag|  n|
 *   +-------+---+
 *   |  vote | 12|
 *   +-------+---+
 *
 * Thread: a rowset is owned by one thread; struct roost_results is safe to
 * use from any thread.
 */
#ifndef ROOST_ENGINE_RESULT_H
#define ROOST_ENGINE_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "engine/value.h"

#define ROOST_ROWSET_MAX_COLS 256
#define ROOST_ROWSET_MAX_ROWS ((size_t)1 << 22)

struct roost_rowset {
    uint32_t n_cols;           /* read-only */
    char **names;              /* read-only: n_cols column names */
    struct roost_value *vals;  /* read-only: n_rows * n_cols, row-major */
    size_t n_rows;             /* read-only */
    size_t cap_rows;           /* private */
    uint64_t n_dropped;        /* read-only: rows refused at the cap */
    struct roost_arena arena;  /* private: string copies */
};

void roost_rowset_init(struct roost_rowset *rs);
void roost_rowset_fini(struct roost_rowset *rs);
/* roost_rowset_clear - drop the rows, keep the columns. */
void roost_rowset_clear(struct roost_rowset *rs);

/* roost_rowset_set_cols - drop everything and set the column names. */
int roost_rowset_set_cols(struct roost_rowset *rs, const char *const *names,
                          uint32_t n_cols);

/* roost_rowset_add - append a copy of row (n_cols values). Returns 0,
 * ROOST_ELIMIT at ROOST_ROWSET_MAX_ROWS (counted) or ROOST_ENOMEM. */
int roost_rowset_add(struct roost_rowset *rs, const struct roost_value *row);

/* roost_rowset_copy - dst becomes a copy of src. */
int roost_rowset_copy(struct roost_rowset *dst,
                      const struct roost_rowset *src);

/* roost_rowset_row - the i-th row (i < n_rows). */
static inline const struct roost_value *
roost_rowset_row(const struct roost_rowset *rs, size_t i)
{
    return rs->vals + i * rs->n_cols;
}

/*
 * roost_value_write_text - append v as text: NULL is "null", TIME is ISO
 * 8601 UTC ("2021-01-01T07:30:00.000Z"), doubles with up to 6 decimals
 * (trailing zeros removed).
 */
int roost_value_write_text(const struct roost_value *v, struct roost_buf *b);

/* roost_value_write_json - append v as a JSON value (TIME as a string). */
int roost_value_write_json(const struct roost_value *v, struct roost_buf *b);

/*
 * roost_rowset_write_block - append the Spark-style console block: the
 * `Time:` banner for time_ms, then the table of at most max_rows rows
 * (0: 20) and "only showing top N rows" when rows were left out.
 */
int roost_rowset_write_block(const struct roost_rowset *rs, int64_t time_ms,
                             size_t max_rows, struct roost_buf *b);

/*
 * roost_rowset_write_jsonl - append one JSON object per row; when query is
 * not NULL each object starts with "query":NAME.
 */
int roost_rowset_write_jsonl(const struct roost_rowset *rs,
                             const char *query, struct roost_buf *b);

/* ---- named result tables ----------------------------------------------- */

#define ROOST_RESULTS_MAX_TABLES 256

struct roost_results;

int roost_results_new(struct roost_results **out);
void roost_results_free(struct roost_results *r);

/*
 * roost_results_publish - replace the view of query `name` by a copy of
 * rs, stamped with time_ms. Returns 0, ROOST_ELIMIT (too many tables) or
 * ROOST_ENOMEM (the old view is kept).
 */
int roost_results_publish(struct roost_results *r, const char *name,
                          const struct roost_rowset *rs, int64_t time_ms);

/*
 * roost_results_snapshot - copy the view of `name` into out (an init'ed
 * rowset). Returns 0 with *time_ms set, ROOST_ENOENT or ROOST_ENOMEM.
 */
int roost_results_snapshot(struct roost_results *r, const char *name,
                           struct roost_rowset *out, int64_t *time_ms);

/* roost_results_name - the i-th table's name into out (NUL-terminated,
 * cut to cap). Returns 0 or ROOST_ENOENT past the last. */
int roost_results_name(struct roost_results *r, size_t i, char *out,
                       size_t cap);

#endif /* ROOST_ENGINE_RESULT_H */
