/* SPDX-License-Identifier: MIT
 *
 * query.h - the continuous query language: its syntax tree and parser.
 *
 * One query is a SQL subset close to Flink/Spark SQL:
 *
 *   SELECT item[, ...] FROM stream
 *     [WHERE expr]
 *     [GROUP BY key[, ...][, TUMBLE(t, size) | HOP(t, size, slide)
 *                          | SESSION(t, gap)]]
 *     [HAVING expr]
 *     [ORDER BY expr [ASC|DESC][, ...]]
 *     [LIMIT n]
 *     [EMIT FINAL | EMIT CHANGES [EVERY interval]] [;]
 *
 * roost_query_parse() turns text into a struct roost_query whose nodes all
 * live in one arena owned by the query; roost_query_free() releases it.
 * Parsing checks syntax only (plus what syntax alone decides: aggregates
 * inside aggregates, aggregates in WHERE or GROUP BY, argument counts,
 * unknown functions). Names are resolved later, against a stream schema,
 * by roost_query_bind() in engine/expr.h, which also lays out the rows the
 * executor evaluates over. Errors carry "line:col: message" in the diag.
 *
 * Lexical rules: keywords and function names are case-insensitive;
 * unquoted identifiers are folded to ASCII lower case, "quoted" ones are
 * kept as written ("" inside is a quote); strings are '...' with '' for a
 * quote; comments are -- to end of line and C-style block comments.
 *
 * Windows. The window call is the last GROUP BY item (at most one). Its
 * first argument is the event-time column; sizes are INTERVAL literals:
 * TUMBLE(t, size), HOP(t, size, slide) (note: size first, then slide, as
 * in the issue; Flink's HOP has them the other way round, so a slide
 * larger than the size is rejected), SESSION(t, gap). A windowed query
 * exposes the columns `window_start` and `window_end` (TIME); the calls
 * TUMBLE_START(...), TUMBLE_END(...), HOP_START/END and SESSION_START/END
 * are accepted as synonyms: the parser turns them into those columns
 * (their arguments are not re-checked).
 *
 * Thread: a parsed query is immutable after roost_query_bind() and may
 * then be read (evaluated) from one thread at a time per scratch arena.
 */
#ifndef ROOST_ENGINE_QUERY_H
#define ROOST_ENGINE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "engine/value.h"

/* Bounds on one query; exceeding any is a ROOST_ELIMIT with a message. */
#define ROOST_QUERY_MAX_BYTES (64 * 1024) /* query text */
#define ROOST_QUERY_MAX_DEPTH 256         /* expression nesting */
#define ROOST_QUERY_MAX_NODES 16384       /* expression nodes in total */
#define ROOST_QUERY_MAX_LIST  1024        /* items, keys, IN list, args */

/* Where a node starts in the query text. */
struct roost_pos {
    uint32_t offset; /* byte offset, 0-based */
    uint32_t line;   /* 1-based */
    uint32_t col;    /* 1-based, in bytes */
};

enum roost_expr_kind {
    /* A constant: `lit` holds it. Integers are INT, decimals DOUBLE,
     * 'text' STRING (unescaped, in the arena), TRUE/FALSE BOOL, NULL,
     * INTERVAL 'n' UNIT an INT of milliseconds, TIMESTAMP '...' a TIME. */
    ROOST_EXPR_LITERAL = 0,
    /* A column reference: `name`. After bind, `col` is its index in the
     * row the expression is evaluated over. */
    ROOST_EXPR_COLUMN,
    /* `*`: only as a select item (expanded by bind) and in COUNT(*), which
     * the parser turns into COUNT with n_args == 0, so no STAR node
     * survives in an expression tree. */
    ROOST_EXPR_STAR,
    /* `op` is ROOST_OP_NEG or ROOST_OP_NOT; args[0] is the operand. */
    ROOST_EXPR_UNARY,
    /* `op` is arithmetic, comparison, AND, OR or CONCAT; args[0] op
     * args[1]. AND/OR are evaluated with SQL three-valued logic and short
     * circuit. */
    ROOST_EXPR_BINARY,
    /* args[0] IS [NOT] NULL; `negated` for IS NOT NULL. */
    ROOST_EXPR_IS_NULL,
    /* args[0] [NOT] IN (args[1], ..., args[n_args - 1]). */
    ROOST_EXPR_IN,
    /* args[0] [NOT] BETWEEN args[1] AND args[2] (inclusive). */
    ROOST_EXPR_BETWEEN,
    /* args[0] [NOT] LIKE args[1] [ESCAPE args[2]]: `%` any run, `_` one
     * code point; case-sensitive. n_args is 2, or 3 with ESCAPE. */
    ROOST_EXPR_LIKE,
    /* args[0] MATCH args[1]: every word of the query string args[1] occurs
     * among the words of args[0] (any order). Words as in
     * roost_tokenize_words(): Unicode-aware lower case. */
    ROOST_EXPR_MATCH,
    /* CASE [operand] WHEN w THEN t ... [ELSE e] END. args holds, in order:
     * the operand when `has_operand`, then the WHEN/THEN pairs, then the
     * ELSE result when `has_else`. */
    ROOST_EXPR_CASE,
    /* CAST(args[0] AS type): `cast_type` is ROOST_V_INT, _DOUBLE, _STRING,
     * _BOOL or _TIME (INT|INTEGER|BIGINT, DOUBLE|FLOAT|REAL, TEXT|VARCHAR|
     * STRING, BOOLEAN, TIMESTAMP). */
    ROOST_EXPR_CAST,
    /* A scalar function call: `func` (enum roost_func), args. */
    ROOST_EXPR_CALL,
    /* An aggregate call: `agg` (enum roost_agg_kind), args, `distinct`.
     * COUNT(*) has n_args == 0; TOP_K(x, k) keeps x in args[0] and k in
     * `agg_k` (args[1] is the literal k). Arguments never contain
     * aggregates. After bind, `slot` is its index in query->aggs and
     * `col` its index in the group row; its arguments are bound to the
     * stream row. */
    ROOST_EXPR_AGG,
    /* Made by bind only, in grouped queries: a value the executor computes
     * before the output phase, read as row[col] of the group row. `slot`
     * says which: a group key (args[0] is that key's expression, kept for
     * printing), or window_start / window_end (`op` ROOST_OP_WSTART or
     * ROOST_OP_WEND, no args). */
    ROOST_EXPR_SLOT,
};

enum roost_expr_op {
    ROOST_OP_NONE = 0,
    ROOST_OP_NEG,    /* -x */
    ROOST_OP_NOT,    /* NOT x */
    ROOST_OP_ADD,    /* + */
    ROOST_OP_SUB,    /* - */
    ROOST_OP_MUL,    /* * */
    ROOST_OP_DIV,    /* /: INT / INT truncates; x / 0 is NULL */
    ROOST_OP_MOD,    /* %: x % 0 is NULL */
    ROOST_OP_CONCAT, /* || */
    ROOST_OP_EQ,     /* = */
    ROOST_OP_NE,     /* <> and != */
    ROOST_OP_LT,     /* < */
    ROOST_OP_LE,     /* <= */
    ROOST_OP_GT,     /* > */
    ROOST_OP_GE,     /* >= */
    ROOST_OP_AND,
    ROOST_OP_OR,
    ROOST_OP_WSTART, /* SLOT: window_start */
    ROOST_OP_WEND,   /* SLOT: window_end */
};

/* Scalar functions (ROOST_EXPR_CALL). */
enum roost_func {
    ROOST_FUNC_LOWER = 0, /* lower(text): the folds of roost_fold_case */
    ROOST_FUNC_UPPER,     /* upper(text): the inverse of those folds */
    ROOST_FUNC_LENGTH,    /* length(text): code points, INT */
    ROOST_FUNC_COALESCE,  /* coalesce(a, b, ...): the first non-NULL */
    ROOST_FUNC_CONTAINS,  /* contains(text, 'words'): the words occur in
                             text as a consecutive phrase, case-folded */
    ROOST_FUNC_CONCAT,    /* concat(a, b, ...): NULLs are skipped */
    ROOST_FUNC_ABS,       /* abs(number) */
    ROOST_FUNC_COUNT_
};

/* Aggregates (ROOST_EXPR_AGG); the executor maps them to agg plug-ins. */
enum roost_agg_kind {
    ROOST_AGG_COUNT = 0,       /* COUNT(*), COUNT(x): non-NULL x; INT */
    ROOST_AGG_SUM,             /* INT for INT input, else DOUBLE */
    ROOST_AGG_AVG,             /* DOUBLE */
    ROOST_AGG_MIN,             /* type of x */
    ROOST_AGG_MAX,             /* type of x */
    ROOST_AGG_APPROX_DISTINCT, /* APPROX_COUNT_DISTINCT(x): INT (HLL) */
    ROOST_AGG_TOP_K,           /* TOP_K(x, k): STRING (rendered list) */
    ROOST_AGG_COUNT_
};

/*
 * One expression node. Children are in args[0..n_args). Fields that do
 * not apply to a kind are zero. `type` and `col` are set by bind.
 */
struct roost_expr {
    uint8_t kind;      /* enum roost_expr_kind */
    uint8_t op;        /* enum roost_expr_op: UNARY, BINARY, SLOT */
    uint8_t func;      /* enum roost_func: CALL */
    uint8_t agg;       /* enum roost_agg_kind: AGG */
    uint8_t cast_type; /* enum roost_vtype: CAST */
    uint8_t type;      /* enum roost_vtype of the result after bind;
                          ROOST_V_NULL when only NULL is possible */
    bool negated;      /* NOT IN, NOT BETWEEN, NOT LIKE, IS NOT NULL */
    bool distinct;     /* AGG: COUNT(DISTINCT x) etc. */
    bool has_operand;  /* CASE x WHEN ... */
    bool has_else;     /* CASE ... ELSE ... */
    bool quoted;       /* COLUMN: the name was "quoted" */
    bool interval;     /* LITERAL: written as INTERVAL (an INT of ms) */
    uint16_t depth;    /* 1 + the deepest child's depth */
    uint32_t n_args;
    struct roost_expr **args;
    struct roost_pos pos;   /* where the node's text starts */
    struct roost_str name;  /* COLUMN: name; CALL/AGG: name as written */
    struct roost_value lit; /* LITERAL */
    int64_t agg_k;          /* AGG TOP_K: k (1..ROOST_QUERY_MAX_TOPK) */
    int32_t col;            /* after bind: row index; -1 before */
    int32_t slot;           /* AGG: index in query->aggs; SLOT: key index,
                               or -1 for window bounds */
    void *aux;              /* private: bind-time precomputation */
};

#define ROOST_QUERY_MAX_TOPK 10000

/* One SELECT item. */
struct roost_select_item {
    struct roost_expr *expr; /* NULL for `*` before bind */
    struct roost_str alias;  /* AS alias; ptr NULL when none */
    struct roost_str name;   /* output column name: the alias, the column
                                name, or the printed expression (bind) */
    struct roost_pos pos;
    bool star; /* `*`: expanded by bind into the columns */
};

struct roost_order_item {
    struct roost_expr *expr;
    bool desc;
};

/* Defined identically in query.h and window.h (guarded): the two
 * headers stand alone and may be included together. */
#ifndef ROOST_WINDOW_KIND_DEFINED
#define ROOST_WINDOW_KIND_DEFINED
enum roost_window_kind {
    ROOST_WINDOW_NONE = 0, /* running totals (updateStateByKey) */
    ROOST_WINDOW_TUMBLE,
    ROOST_WINDOW_HOP,
    ROOST_WINDOW_SESSION,
};
#endif /* ROOST_WINDOW_KIND_DEFINED */

struct roost_window_spec {
    uint8_t kind;            /* enum roost_window_kind */
    struct roost_expr *time; /* the event-time column (a COLUMN node) */
    int64_t size_ms;         /* TUMBLE, HOP: window length */
    int64_t slide_ms;        /* HOP: advance; TUMBLE: = size_ms */
    int64_t gap_ms;          /* SESSION: inactivity gap */
    struct roost_pos pos;
};

enum roost_emit_mode {
    ROOST_EMIT_DEFAULT = 0, /* not written: the executor's default (final) */
    ROOST_EMIT_FINAL,       /* a window's rows once, when it closes */
    ROOST_EMIT_CHANGES,     /* updated rows per trigger */
};

/*
 * A parsed query. Everything it points to lives in `arena`.
 *
 * After roost_query_bind() (engine/expr.h) the query is also laid out:
 *  - `grouped` says whether it aggregates (GROUP BY, an aggregate, or
 *    HAVING). A grouped query runs in two phases:
 *    1. per stream row: `where`, the `keys`, the window's time column and
 *       the arguments of each of `aggs` are evaluated over the stream row
 *       (schema order);
 *    2. per group and trigger: select items, `having` and `order` are
 *       evaluated over the group row:
 *         [0, n_keys)                      the key values
 *         [n_keys, n_keys + n_aggs)        aggregate results, by slot
 *         n_keys + n_aggs, + 1             window_start, window_end (TIME)
 *       (the window pair only when window.kind != NONE); n_group_cols is
 *       its width.
 *  - A query that is not grouped evaluates everything over the stream
 *    row; `items` then never contains aggregates.
 */
struct roost_query {
    struct roost_arena arena; /* private: owns every node and string */
    struct roost_select_item *items;
    uint32_t n_items;
    struct roost_str stream; /* FROM name, lower-cased unless quoted */
    struct roost_pos stream_pos;
    struct roost_expr *where; /* NULL when absent */
    struct roost_expr **keys; /* GROUP BY keys, without the window */
    uint32_t n_keys;
    bool has_group_by; /* GROUP BY was written */
    struct roost_window_spec window;
    struct roost_expr *having; /* NULL when absent */
    struct roost_order_item *order;
    uint32_t n_order;
    int64_t limit;         /* -1 when absent */
    uint8_t emit;          /* enum roost_emit_mode */
    int64_t emit_every_ms; /* EMIT CHANGES EVERY; 0 when absent */
    /* Set by roost_query_bind(): */
    bool bound;
    bool grouped;
    struct roost_expr **aggs; /* distinct aggregate calls, by slot */
    uint32_t n_aggs;
    uint32_t n_group_cols;
    uint32_t n_nodes; /* private: nodes made by the parser */
};

/*
 * roost_query_parse - parse sql[0..len) into a new query.
 *
 * Ownership: the query copies what it keeps; free it with
 * roost_query_free().
 * Returns: 0 with *out set; ROOST_EPARSE with diag->msg "line:col: what"
 * (diag->offset, diag->line set) for a bad query; ROOST_ELIMIT when a
 * bound above is exceeded; ROOST_ENOMEM.
 */
int roost_query_parse(const char *sql, size_t len, struct roost_query **out,
                      struct roost_diag *diag);

/* roost_query_free - free q and all its nodes; NULL is a no-op. */
void roost_query_free(struct roost_query *q);

/*
 * roost_query_print - append q in canonical form to out: keywords upper
 * case, identifiers quoted only when needed, parentheses only where
 * precedence needs them. Parsing the output gives the same tree, so
 * print(parse(print(x))) == print(x). Works before and after bind.
 */
int roost_query_print(const struct roost_query *q, struct roost_buf *out);

/* roost_expr_print - append one expression in the same canonical form. */
int roost_expr_print(const struct roost_expr *e, struct roost_buf *out);

/* roost_func_name, roost_agg_name - upper-case names, for messages. */
const char *roost_func_name(enum roost_func f);
const char *roost_agg_name(enum roost_agg_kind a);

#endif /* ROOST_ENGINE_QUERY_H */
