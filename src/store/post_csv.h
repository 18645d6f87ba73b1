/* SPDX-License-Identifier: MIT
 *
 * post_csv.h - one normalized post as one CSV row (csv_columns.h).
 *
 * The csv sink and `roost export --format csv` write the same bytes
 * through these functions: the header row, one row per post, and the
 * RFC 4180 field quoting both use.
 */
#ifndef ROOST_STORE_POST_CSV_H
#define ROOST_STORE_POST_CSV_H

#include <stddef.h>

#include "core/buf.h"
#include "parse/post.h"
#include "store/csv_columns.h"

/* Number of columns in ROOST_CSV_COLUMNS. */
#define ROOST__CSV_COUNT_ONE(name) +1
enum { ROOST_CSV_N_COLUMNS = 0 ROOST_CSV_COLUMNS(ROOST__CSV_COUNT_ONE) };

/*
 * roost_post_csv_header - append the header row ("id,created_at,...\n").
 * Returns: 0, or ROOST_ELIMIT / ROOST_ENOMEM from the buffer.
 */
int roost_post_csv_header(struct roost_buf *out);

/*
 * roost_post_csv_row - append p as one row ending in "\n", cells in the
 * order of ROOST_CSV_COLUMNS: times ISO 8601 UTC, lists joined with one
 * space (urls expanded when known), unknown numbers and absent strings
 * empty, booleans `true`/`false`.
 * Returns: 0, or ROOST_ELIMIT / ROOST_ENOMEM from the buffer; then out may
 * hold part of the row (callers drop the buffer).
 */
int roost_post_csv_row(const struct roost_post *p, struct roost_buf *out);

/* roost_post_csv_column - index of the column called name, or -1. */
int roost_post_csv_column(const char *name, size_t len);

/* roost_post_csv_column_name - name of column i (< ROOST_CSV_N_COLUMNS). */
const char *roost_post_csv_column_name(size_t i);

/* roost_post_csv_cell - append column i of p as one cell (no separator). */
int roost_post_csv_cell(const struct roost_post *p, size_t i,
                        struct roost_buf *out);

/*
 * roost_post_csv_field - append s[0..len) as one RFC 4180 cell: quoted
 * (with '"' doubled) when it holds a comma, a quote, CR or LF, or starts
 * or ends with a space; NUL bytes are dropped (Python's csv refuses them).
 */
int roost_post_csv_field(struct roost_buf *out, const char *s, size_t len);

#endif /* ROOST_STORE_POST_CSV_H */
