/* SPDX-License-Identifier: MIT
 *
 * expr.h - binding query expressions to a stream schema, and evaluating
 * them over a row of values.
 *
 * Binding resolves every column name to its index in the row once, checks
 * types, folds what can be precomputed (CONTAINS/MATCH words, LIKE
 * patterns), and lays out a grouped query's group row (see struct
 * roost_query). Evaluation then does no name lookup and no heap
 * allocation: results that need new bytes (lower, upper, concat, casts to
 * text) go into a caller-given scratch arena that the caller resets per
 * row or per batch.
 *
 * NULL follows SQL three-valued logic: comparisons and arithmetic with a
 * NULL operand give NULL; NOT NULL is NULL; FALSE AND NULL is FALSE; TRUE
 * OR NULL is TRUE; x IN (...) is NULL when x is NULL, or no item equals
 * and some item is NULL. Division or modulo by zero and integer overflow
 * give NULL, never an error. A WHERE or HAVING keeps a row only when the
 * condition is TRUE (roost_value_is_true).
 *
 * Types: INT and DOUBLE mix (INT widens); TIME +/- INT is TIME and
 * TIME - TIME is INT (milliseconds); TIME compares with TIME and with
 * TIMESTAMP literals; strings compare bytewise (code point order).
 */
#ifndef ROOST_ENGINE_EXPR_H
#define ROOST_ENGINE_EXPR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "engine/query.h"
#include "engine/value.h"

/* One column of a stream table. */
struct roost_column {
    const char *name; /* lower case, NUL-terminated */
    uint8_t type;     /* enum roost_vtype; ROOST_V_NULL: any type */
};

/* A stream table's schema: the row layout the executor fills. */
struct roost_schema {
    const char *name; /* "posts", "words", ... (for messages) */
    const struct roost_column *cols;
    uint32_t n_cols;
};

/*
 * roost_expr_bind - resolve the columns of e against schema and type it.
 *
 * For a lone expression over a stream row (tests, filters). It rejects
 * aggregates and window_start/window_end, which only a whole query has.
 * Ownership: bind-time data is allocated in `arena` (the query's arena
 * for query expressions), which must outlive e's evaluation.
 * Returns: 0; ROOST_EPARSE with "line:col: ..." in diag for an unknown
 * column (with a suggestion when one is close) or a type error;
 * ROOST_ENOMEM.
 */
int roost_expr_bind(struct roost_expr *e, const struct roost_schema *schema,
                    struct roost_arena *arena, struct roost_diag *diag);

/*
 * roost_query_bind - bind q to the schema of its stream.
 *
 * Checks the stream name against schema->name, expands `*`, binds WHERE,
 * keys, window time column and aggregate arguments to the stream row,
 * checks that every column used outside aggregates in a grouped select,
 * HAVING or ORDER BY is a group key (or part of a key expression),
 * resolves ORDER BY/HAVING names that are select aliases, numbers the
 * distinct aggregates (q->aggs), binds the output phase to the group row,
 * and names the output columns. Bind a query once.
 * Returns: 0; ROOST_EPARSE with "line:col: ..." in diag; ROOST_EINVAL if
 * already bound; ROOST_ENOMEM.
 */
int roost_query_bind(struct roost_query *q, const struct roost_schema *schema,
                     struct roost_diag *diag);

/*
 * roost_expr_eval - evaluate bound e over row into *out.
 *
 * row is the stream row or the group row, as the expression was bound.
 * Ownership: strings in *out point into row's strings, into the query's
 * arena, or into scratch; they live as long as the shortest of those.
 * scratch may be NULL when e makes no new strings (it then gives
 * ROOST_ELIMIT where it would have needed one).
 * Returns: 0; ROOST_ELIMIT or ROOST_ENOMEM when scratch is full (*out is
 * then NULL).
 * Thread: reentrant; e is only read.
 */
int roost_expr_eval(const struct roost_expr *e, const struct roost_value *row,
                    struct roost_value *out, struct roost_arena *scratch);

/* roost_value_is_true - v is BOOL TRUE (NULL and FALSE are not). */
static inline bool roost_value_is_true(const struct roost_value *v)
{
    return v->type == ROOST_V_BOOL && v->u.b;
}

/*
 * roost_value_cmp - a total order for ORDER BY and MIN/MAX: NULL first,
 * then BOOL, numbers (INT and DOUBLE by value; NaN last among them),
 * TIME, STRING (bytewise). Returns <0, 0 or >0.
 */
int roost_value_cmp(const struct roost_value *a, const struct roost_value *b);

/* roost_vtype_name - "INT", "TEXT", ... for messages. */
const char *roost_vtype_name(enum roost_vtype t);

#endif /* ROOST_ENGINE_EXPR_H */
