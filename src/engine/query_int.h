/* SPDX-License-Identifier: MIT
 *
 * query_int.h - what query_parse.c and expr.c share: positioned errors,
 * name suggestions and node construction.
 */
#ifndef ROOST_ENGINE_QUERY_INT_H
#define ROOST_ENGINE_QUERY_INT_H

#include <stddef.h>

#include "engine/query.h"

/*
 * roost__query_error - set diag to "line:col: message" with pos's offset
 * and line; returns err.
 */
int roost__query_error(struct roost_diag *d, int err, struct roost_pos pos,
                       const char *fmt, ...) ROOST_PRINTF(4, 5);

/*
 * roost__query_suggest - the candidate closest to name[0..len) by edit
 * distance (case-insensitive), or NULL when none is close enough to be a
 * likely typo. names is a NULL-terminated array.
 */
const char *roost__query_suggest(const char *name, size_t len,
                                 const char *const *names);

/* roost__query_new_expr - a zeroed node in q's arena (col, slot = -1). */
struct roost_expr *roost__query_new_expr(struct roost_query *q, uint8_t kind,
                                         struct roost_pos pos);

/* roost__query_is_reserved - name[0..len) is a reserved word. */
bool roost__query_is_reserved(const char *name, size_t len);

/*
 * roost__query_parse_time - 'YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z]' (UTC)
 * to epoch ms; false when malformed.
 */
bool roost__query_parse_time(const char *s, size_t len, int64_t *ms);

/*
 * roost__query_format_time - "YYYY-MM-DD HH:MM:SS[.mmm]" into out;
 * returns its length, or 0 when cap is too small (48 bytes always do).
 */
size_t roost__query_format_time(int64_t ms, char *out, size_t cap);

#endif /* ROOST_ENGINE_QUERY_INT_H */
