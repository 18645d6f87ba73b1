/* SPDX-License-Identifier: MIT
 *
 * query_parse.c - lexer, recursive-descent parser and printer of the
 * continuous query language (grammar in query.h).
 *
 * The lexer is a pure function of an offset: lex(p, off) returns the token
 * starting at the first non-blank byte at or after off, so peeking two
 * tokens ahead costs nothing to keep. Line and column come from a cursor
 * that only moves forward (tokens are consumed in order), so positions
 * are O(1) amortized. Expressions use one function per precedence level:
 *
 *   OR < AND < NOT < comparison, IS, IN, BETWEEN, LIKE, MATCH < || < + -
 *   < * / % < unary - < primary
 *
 * and the printer uses the same levels to put back only the parentheses
 * the tree needs, which makes print(parse(print(x))) == print(x).
 *
 * Both the C stack (parser recursion) and the tree depth are bounded by
 * ROOST_QUERY_MAX_DEPTH so binding, evaluation and printing, which
 * recurse over the tree, are bounded too.
 *
 * Start at roost_query_parse(), then parse_select().
 */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "engine/query_int.h"

#define ARENA_CHUNK_BYTES (16 * 1024)
#define ARENA_MAX_BYTES   (16 * 1024 * 1024)

/* ---------------------------------------------------------------- errors */

int roost__query_error(struct roost_diag *d, int err, struct roost_pos pos,
                       const char *fmt, ...)
{
    if (d == NULL) {
        return err;
    }
    char msg[sizeof(d->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    roost_diag_set(d, err, pos.offset, "%" PRIu32 ":%" PRIu32 ": %s", pos.line,
                   pos.col, msg);
    d->line = pos.line;
    return err;
}

/* Optimal string alignment distance: typos are edits and transpositions. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t m[33][33];
    if (la > 32 || lb > 32) {
        return SIZE_MAX;
    }
    for (size_t i = 0; i <= la; i++) {
        m[i][0] = i;
    }
    for (size_t j = 0; j <= lb; j++) {
        m[0][j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            int ca = tolower((unsigned char)a[i - 1]);
            int cb = tolower((unsigned char)b[j - 1]);
            size_t best = m[i - 1][j - 1] + (ca == cb ? 0 : 1);
            if (m[i - 1][j] + 1 < best) {
                best = m[i - 1][j] + 1;
            }
            if (m[i][j - 1] + 1 < best) {
                best = m[i][j - 1] + 1;
            }
            if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                tolower((unsigned char)a[i - 2]) == cb &&
                m[i - 2][j - 2] + 1 < best) {
                best = m[i - 2][j - 2] + 1;
            }
            m[i][j] = best;
        }
    }
    return m[la][lb];
}

const char *roost__query_suggest(const char *name, size_t len,
                                 const char *const *names)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; names[i] != NULL; i++) {
        size_t d = edit_distance(name, len, names[i], strlen(names[i]));
        if (d < best_d) {
            best_d = d;
            best = names[i];
        }
    }
    /* One edit for short names, two for longer: beyond that the
     * "suggestion" is noise. */
    size_t limit = len <= 4 ? 1 : 2;
    return best_d <= limit && best_d > 0 ? best : NULL;
}

/* ----------------------------------------------------------------- lexer */

enum tok_type {
    T_EOF = 0,
    T_IDENT,  /* bare word: identifier or keyword */
    T_QIDENT, /* "quoted identifier" */
    T_INT,
    T_DEC,
    T_STRING,
    T_PUNCT,
    T_BAD, /* lexical error: msg says what */
};

struct token {
    uint8_t type;
    char punct[3];   /* T_PUNCT: the operator text */
    uint32_t off;    /* start offset */
    uint32_t len;    /* raw length in the source */
    const char *msg; /* T_BAD */
};

struct parser {
    const char *src;
    uint32_t len;
    struct roost_query *q;
    struct roost_diag *diag;
    struct token cur;
    /* forward-only cursor for positions */
    uint32_t scan_off, scan_line, line_start;
    int depth;                 /* C recursion */
    int agg_depth;             /* >0 inside aggregate arguments */
    const char *no_agg_clause; /* clause name where aggregates are banned */
    const char *agg_name;      /* enclosing aggregate, for messages */
};

static const char *const reserved[] = {
    "ALL",    "AND",   "AS",        "ASC",    "BETWEEN", "BY",       "CASE",
    "CAST",   "DESC",  "DISTINCT",  "ELSE",   "EMIT",    "END",      "ESCAPE",
    "FALSE",  "FROM",  "GROUP",     "HAVING", "IN",      "INTERVAL", "IS",
    "LIKE",   "LIMIT", "MATCH",     "NOT",    "NULL",    "OR",       "ORDER",
    "SELECT", "THEN",  "TIMESTAMP", "TRUE",   "WHEN",    "WHERE",    NULL,
};

bool roost__query_is_reserved(const char *name, size_t len)
{
    for (size_t i = 0; reserved[i] != NULL; i++) {
        if (strlen(reserved[i]) == len &&
            roost_str_ieq_ascii(roost_str_make(name, len),
                                roost_str_cstr(reserved[i]))) {
            return true;
        }
    }
    return false;
}

static bool is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool is_ident_char(unsigned char c)
{
    return is_ident_start(c) || (c >= '0' && c <= '9');
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static struct token lex_bad(uint32_t off, uint32_t len, const char *msg)
{
    struct token t = { .type = T_BAD, .off = off, .len = len, .msg = msg };
    return t;
}

static struct token lex(const struct parser *p, uint32_t off)
{
    const char *s = p->src;
    uint32_t n = p->len;
    struct token t = { .type = T_EOF };

    for (;;) {
        while (off < n &&
               (s[off] == ' ' || s[off] == '\t' || s[off] == '\n' ||
                s[off] == '\r' || s[off] == '\f' || s[off] == '\v')) {
            off++;
        }
        if (off + 1 < n && s[off] == '-' && s[off + 1] == '-') {
            while (off < n && s[off] != '\n') {
                off++;
            }
            continue;
        }
        if (off + 1 < n && s[off] == '/' && s[off + 1] == '*') {
            uint32_t start = off;
            off += 2;
            while (off + 1 < n && !(s[off] == '*' && s[off + 1] == '/')) {
                off++;
            }
            if (off + 1 >= n) {
                return lex_bad(start, 2, "unterminated comment");
            }
            off += 2;
            continue;
        }
        break;
    }
    t.off = off;
    if (off >= n) {
        return t;
    }
    unsigned char c = (unsigned char)s[off];
    uint32_t i = off;
    if (is_ident_start(c)) {
        while (i < n && is_ident_char((unsigned char)s[i])) {
            i++;
        }
        t.type = T_IDENT;
    } else if (is_digit(c) ||
               (c == '.' && i + 1 < n && is_digit((unsigned char)s[i + 1]))) {
        t.type = T_INT;
        while (i < n && is_digit((unsigned char)s[i])) {
            i++;
        }
        if (i < n && s[i] == '.') {
            t.type = T_DEC;
            i++;
            while (i < n && is_digit((unsigned char)s[i])) {
                i++;
            }
        }
        if (i < n && (s[i] == 'e' || s[i] == 'E')) {
            uint32_t j = i + 1;
            if (j < n && (s[j] == '+' || s[j] == '-')) {
                j++;
            }
            if (j < n && is_digit((unsigned char)s[j])) {
                while (j < n && is_digit((unsigned char)s[j])) {
                    j++;
                }
                i = j;
                t.type = T_DEC;
            }
        }
        if (i < n && (is_ident_char((unsigned char)s[i]) || s[i] == '.')) {
            while (i < n &&
                   (is_ident_char((unsigned char)s[i]) || s[i] == '.')) {
                i++;
            }
            return lex_bad(off, i - off, "malformed number");
        }
    } else if (c == '\'' || c == '"') {
        i++;
        for (;;) {
            if (i >= n) {
                return lex_bad(off, 1,
                               c == '\'' ? "unterminated string"
                                         : "unterminated quoted "
                                           "identifier");
            }
            if ((unsigned char)s[i] == c) {
                if (i + 1 < n && (unsigned char)s[i + 1] == c) {
                    i += 2;
                    continue;
                }
                i++;
                break;
            }
            i++;
        }
        t.type = c == '\'' ? T_STRING : T_QIDENT;
        if (t.type == T_QIDENT && i - off == 2) {
            return lex_bad(off, 2, "empty quoted identifier");
        }
    } else {
        static const char *const ops2[] = { "<>", "!=", "<=", ">=", "||" };
        t.type = T_PUNCT;
        for (size_t k = 0; k < sizeof(ops2) / sizeof(ops2[0]); k++) {
            if (i + 1 < n && s[i] == ops2[k][0] && s[i + 1] == ops2[k][1]) {
                memcpy(t.punct, ops2[k], 2);
                t.len = 2;
                return t;
            }
        }
        if (strchr("(),.;*+-/%=<>", c) == NULL || c == '\0') {
            uint32_t clen = 1;
            uint32_t cp;
            if (c >= 0x80) {
                size_t m = roost_utf8_decode((const unsigned char *)s + off,
                                             n - off, &cp);
                clen = m > 0 ? (uint32_t)m : 1;
            }
            return lex_bad(off, clen, "unexpected character");
        }
        t.punct[0] = (char)c;
        t.len = 1;
        return t;
    }
    t.len = i - off;
    return t;
}

static struct roost_pos pos_at(struct parser *p, uint32_t off)
{
    assert(off >= p->scan_off);
    while (p->scan_off < off) {
        if (p->src[p->scan_off] == '\n') {
            p->scan_line++;
            p->line_start = p->scan_off + 1;
        }
        p->scan_off++;
    }
    struct roost_pos pos = { off, p->scan_line, off - p->line_start + 1 };
    return pos;
}

static struct roost_pos cur_pos(struct parser *p)
{
    return pos_at(p, p->cur.off);
}

static void advance(struct parser *p)
{
    p->cur = lex(p, p->cur.off + p->cur.len);
}

static struct token peek(const struct parser *p)
{
    return lex(p, p->cur.off + p->cur.len);
}

static bool tok_is_kw(const struct parser *p, const struct token *t,
                      const char *kw)
{
    return t->type == T_IDENT && strlen(kw) == t->len &&
           roost_str_ieq_ascii(roost_str_make(p->src + t->off, t->len),
                               roost_str_cstr(kw));
}

static bool is_kw(const struct parser *p, const char *kw)
{
    return tok_is_kw(p, &p->cur, kw);
}

static bool is_punct(const struct parser *p, const char *op)
{
    return p->cur.type == T_PUNCT && strcmp(p->cur.punct, op) == 0;
}

/* What the current token is, for "found ..." in messages. */
static void describe(const struct parser *p, char *out, size_t cap)
{
    if (p->cur.type == T_EOF) {
        snprintf(out, cap, "end of input");
        return;
    }
    uint32_t len = p->cur.len;
    const char *dots = "";
    if (len > 24) {
        len = 24;
        while (len > 0 &&
               ((unsigned char)p->src[p->cur.off + len] & 0xC0) == 0x80) {
            len--;
        }
        dots = "...";
    }
    snprintf(out, cap, "'%.*s%s'", (int)len, p->src + p->cur.off, dots);
}

static int error_at(struct parser *p, struct roost_pos pos, const char *fmt,
                    ...) ROOST_PRINTF(3, 4);

static int error_at(struct parser *p, struct roost_pos pos, const char *fmt,
                    ...)
{
    char msg[sizeof(p->diag->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return roost__query_error(p->diag, ROOST_ERR(ROOST_EPARSE), pos, "%s", msg);
}

/* "expected WHAT, found TOKEN" at the current token (or its lex error). */
static int expected(struct parser *p, const char *what)
{
    struct roost_pos pos = cur_pos(p);
    if (p->cur.type == T_BAD) {
        return error_at(p, pos, "%s", p->cur.msg);
    }
    char found[48];
    describe(p, found, sizeof(found));
    return error_at(p, pos, "expected %s, found %s", what, found);
}

static int limit_error(struct parser *p, const char *what)
{
    return roost__query_error(p->diag, ROOST_ERR(ROOST_ELIMIT), cur_pos(p),
                              "%s", what);
}

static int expect_punct(struct parser *p, const char *op, const char *what)
{
    if (!is_punct(p, op)) {
        return expected(p, what);
    }
    advance(p);
    return 0;
}

/* ----------------------------------------------------------------- nodes */

struct roost_expr *roost__query_new_expr(struct roost_query *q, uint8_t kind,
                                         struct roost_pos pos)
{
    struct roost_expr *e = roost_arena_alloc(&q->arena, sizeof(*e));
    if (e == NULL) {
        return NULL;
    }
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    e->pos = pos;
    e->col = -1;
    e->slot = -1;
    e->depth = 1;
    e->lit = roost_value_null();
    return e;
}

static int new_node(struct parser *p, uint8_t kind, struct roost_pos pos,
                    uint32_t n_args, struct roost_expr **out)
{
    if (p->q->n_nodes >= ROOST_QUERY_MAX_NODES) {
        return limit_error(p, "query has too many expression nodes");
    }
    struct roost_expr *e = roost__query_new_expr(p->q, kind, pos);
    if (e == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    if (n_args > 0) {
        e->args = roost_arena_alloc(&p->q->arena, n_args * sizeof(*e->args));
        if (e->args == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        memset(e->args, 0, n_args * sizeof(*e->args));
    }
    e->n_args = n_args;
    p->q->n_nodes++;
    *out = e;
    return 0;
}

/* Call after the args are set: computes depth and checks the bound. */
static int seal(struct parser *p, struct roost_expr *e)
{
    uint16_t d = 0;
    for (uint32_t i = 0; i < e->n_args; i++) {
        if (e->args[i] != NULL && e->args[i]->depth > d) {
            d = e->args[i]->depth;
        }
    }
    if (d + 1 > ROOST_QUERY_MAX_DEPTH) {
        return roost__query_error(p->diag, ROOST_ERR(ROOST_ELIMIT), e->pos,
                                  "expression nested too deeply (over %d "
                                  "levels)",
                                  ROOST_QUERY_MAX_DEPTH);
    }
    e->depth = (uint16_t)(d + 1);
    return 0;
}

static int new_binary(struct parser *p, uint8_t op, struct roost_expr *l,
                      struct roost_expr *r, struct roost_expr **out)
{
    struct roost_expr *e;
    int rc = new_node(p, ROOST_EXPR_BINARY, l->pos, 2, &e);
    if (rc < 0) {
        return rc;
    }
    e->op = op;
    e->args[0] = l;
    e->args[1] = r;
    *out = e;
    return seal(p, e);
}

/* A growable list of pointers in the arena (bounded by MAX_LIST). */
struct vec {
    void **v;
    uint32_t n, cap;
};

static int vec_push(struct parser *p, struct vec *v, void *x)
{
    if (v->n >= ROOST_QUERY_MAX_LIST) {
        return limit_error(p, "list too long");
    }
    if (v->n == v->cap) {
        uint32_t cap = v->cap ? v->cap * 2 : 4;
        void **nv = roost_arena_alloc(&p->q->arena, cap * sizeof(*nv));
        if (nv == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        if (v->n > 0) {
            memcpy(nv, v->v, v->n * sizeof(*nv));
        }
        v->v = nv;
        v->cap = cap;
    }
    v->v[v->n++] = x;
    return 0;
}

/* ------------------------------------------------------------- functions */

enum fn_class { FN_SCALAR, FN_AGG, FN_WSTART, FN_WEND };

struct fn_def {
    const char *name;
    uint8_t cls; /* enum fn_class */
    uint8_t id;  /* enum roost_func or enum roost_agg_kind */
    uint8_t min_args, max_args;
};

#define ARGS_MANY 255

static const struct fn_def fns[] = {
    { "LOWER", FN_SCALAR, ROOST_FUNC_LOWER, 1, 1 },
    { "UPPER", FN_SCALAR, ROOST_FUNC_UPPER, 1, 1 },
    { "LENGTH", FN_SCALAR, ROOST_FUNC_LENGTH, 1, 1 },
    { "COALESCE", FN_SCALAR, ROOST_FUNC_COALESCE, 1, ARGS_MANY },
    { "CONTAINS", FN_SCALAR, ROOST_FUNC_CONTAINS, 2, 2 },
    { "CONCAT", FN_SCALAR, ROOST_FUNC_CONCAT, 1, ARGS_MANY },
    { "ABS", FN_SCALAR, ROOST_FUNC_ABS, 1, 1 },
    { "COUNT", FN_AGG, ROOST_AGG_COUNT, 0, 1 },
    { "SUM", FN_AGG, ROOST_AGG_SUM, 1, 1 },
    { "AVG", FN_AGG, ROOST_AGG_AVG, 1, 1 },
    { "MIN", FN_AGG, ROOST_AGG_MIN, 1, 1 },
    { "MAX", FN_AGG, ROOST_AGG_MAX, 1, 1 },
    { "APPROX_COUNT_DISTINCT", FN_AGG, ROOST_AGG_APPROX_DISTINCT, 1, 1 },
    { "TOP_K", FN_AGG, ROOST_AGG_TOP_K, 2, 2 },
    { "TUMBLE_START", FN_WSTART, 0, 0, 3 },
    { "TUMBLE_END", FN_WEND, 0, 0, 3 },
    { "HOP_START", FN_WSTART, 0, 0, 3 },
    { "HOP_END", FN_WEND, 0, 0, 3 },
    { "SESSION_START", FN_WSTART, 0, 0, 3 },
    { "SESSION_END", FN_WEND, 0, 0, 3 },
};

#define N_FNS (sizeof(fns) / sizeof(fns[0]))

static const char *const fn_names[] = {
    "LOWER",
    "UPPER",
    "LENGTH",
    "COALESCE",
    "CONTAINS",
    "CONCAT",
    "ABS",
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "APPROX_COUNT_DISTINCT",
    "TOP_K",
    "TUMBLE_START",
    "TUMBLE_END",
    "HOP_START",
    "HOP_END",
    "SESSION_START",
    "SESSION_END",
    "CAST",
    NULL,
};

static_assert(sizeof(fn_names) / sizeof(fn_names[0]) == N_FNS + 2,
              "fn_names lists every function, CAST and NULL");

static const char *const func_names[ROOST_FUNC_COUNT_] = {
    [ROOST_FUNC_LOWER] = "LOWER",       [ROOST_FUNC_UPPER] = "UPPER",
    [ROOST_FUNC_LENGTH] = "LENGTH",     [ROOST_FUNC_COALESCE] = "COALESCE",
    [ROOST_FUNC_CONTAINS] = "CONTAINS", [ROOST_FUNC_CONCAT] = "CONCAT",
    [ROOST_FUNC_ABS] = "ABS",
};

static const char *const agg_names[ROOST_AGG_COUNT_] = {
    [ROOST_AGG_COUNT] = "COUNT",
    [ROOST_AGG_SUM] = "SUM",
    [ROOST_AGG_AVG] = "AVG",
    [ROOST_AGG_MIN] = "MIN",
    [ROOST_AGG_MAX] = "MAX",
    [ROOST_AGG_APPROX_DISTINCT] = "APPROX_COUNT_DISTINCT",
    [ROOST_AGG_TOP_K] = "TOP_K",
};

const char *roost_func_name(enum roost_func f)
{
    return (unsigned)f < ROOST_FUNC_COUNT_ ? func_names[f] : "?";
}

const char *roost_agg_name(enum roost_agg_kind a)
{
    return (unsigned)a < ROOST_AGG_COUNT_ ? agg_names[a] : "?";
}

static const struct fn_def *find_fn(const char *name, size_t len)
{
    for (size_t i = 0; i < N_FNS; i++) {
        if (strlen(fns[i].name) == len &&
            roost_str_ieq_ascii(roost_str_make(name, len),
                                roost_str_cstr(fns[i].name))) {
            return &fns[i];
        }
    }
    return NULL;
}

/* ------------------------------------------------------------- literals */

/* Unescape a '...' or "..." token (doubled quotes) into the arena. */
static int unquote(struct parser *p, const struct token *t,
                   struct roost_str *out)
{
    char q = p->src[t->off];
    const char *s = p->src + t->off + 1;
    uint32_t n = t->len - 2;
    char *d = roost_arena_alloc(&p->q->arena, (size_t)n + 1);
    if (d == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        d[k++] = s[i];
        if (s[i] == q) {
            i++; /* the lexer guarantees doubled quotes inside */
        }
    }
    d[k] = '\0';
    *out = roost_str_make(d, k);
    return 0;
}

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* Read exactly n digits at s[*i]. */
static bool digits(const char *s, size_t len, size_t *i, int n, int *out)
{
    int v = 0;
    for (int k = 0; k < n; k++) {
        if (*i >= len || !is_digit((unsigned char)s[*i])) {
            return false;
        }
        v = v * 10 + (s[*i] - '0');
        (*i)++;
    }
    *out = v;
    return true;
}

/*
 * 'YYYY-MM-DD[( |T)HH:MM[:SS[.fff]]][Z]' to epoch ms; false when malformed.
 */
bool roost__query_parse_time(const char *s, size_t len, int64_t *ms)
{
    size_t i = 0;
    int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0;
    static const int mdays[] = {
        31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };
    if (!digits(s, len, &i, 4, &y) || i >= len || s[i++] != '-' ||
        !digits(s, len, &i, 2, &mo) || i >= len || s[i++] != '-' ||
        !digits(s, len, &i, 2, &d)) {
        return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1]) {
        return false;
    }
    if (mo == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0))) {
        return false;
    }
    if (i < len && (s[i] == ' ' || s[i] == 'T')) {
        i++;
        if (!digits(s, len, &i, 2, &h) || i >= len || s[i++] != ':' ||
            !digits(s, len, &i, 2, &mi)) {
            return false;
        }
        if (i < len && s[i] == ':') {
            i++;
            if (!digits(s, len, &i, 2, &sec)) {
                return false;
            }
            if (i < len && s[i] == '.') {
                i++;
                int scale = 100, nd = 0;
                while (i < len && is_digit((unsigned char)s[i])) {
                    if (nd < 3) {
                        frac += (s[i] - '0') * scale;
                        scale /= 10;
                    }
                    nd++;
                    i++;
                }
                if (nd == 0) {
                    return false;
                }
            }
        }
        if (h > 23 || mi > 59 || sec > 59) {
            return false;
        }
    }
    if (i < len && s[i] == 'Z') {
        i++;
    }
    if (i != len) {
        return false;
    }
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    *ms = ((days * 24 + h) * 60 + mi) * 60000 + (int64_t)sec * 1000 + frac;
    return true;
}

struct unit_def {
    const char *name;
    int64_t ms;
};

static const struct unit_def units[] = {
    { "DAY", 86400000 },   { "DAYS", 86400000 }, { "HOUR", 3600000 },
    { "HOURS", 3600000 },  { "MINUTE", 60000 },  { "MINUTES", 60000 },
    { "SECOND", 1000 },    { "SECONDS", 1000 },  { "MILLISECOND", 1 },
    { "MILLISECONDS", 1 },
};

/*
 * The interval amount: '<n>' or '<n.f>' with an optional leading '-';
 * amount * unit must be a whole number of milliseconds within +/- 2^53.
 */
static bool interval_ms(struct roost_str amount, int64_t unit, int64_t *ms)
{
    char buf[40];
    size_t n = amount.len;
    size_t s0 = 0, e0 = n;
    while (s0 < n && amount.ptr[s0] == ' ') {
        s0++;
    }
    while (e0 > s0 && amount.ptr[e0 - 1] == ' ') {
        e0--;
    }
    n = e0 - s0;
    if (n == 0 || n >= sizeof(buf)) {
        return false;
    }
    memcpy(buf, amount.ptr + s0, n);
    buf[n] = '\0';
    size_t i = buf[0] == '-' ? 1 : 0;
    bool dot = false, any = false;
    for (; i < n; i++) {
        if (buf[i] == '.' && !dot) {
            dot = true;
        } else if (is_digit((unsigned char)buf[i])) {
            any = true;
        } else {
            return false;
        }
    }
    if (!any) {
        return false;
    }
    double v = strtod(buf, NULL) * (double)unit;
    if (!(fabs(v) <= 9007199254740992.0) || v != floor(v)) {
        return false;
    }
    *ms = (int64_t)v;
    return true;
}

/* --------------------------------------------------------------- grammar */

static int parse_expr(struct parser *p, struct roost_expr **out);
static int parse_concat(struct parser *p, struct roost_expr **out);

static int enter(struct parser *p)
{
    if (++p->depth > ROOST_QUERY_MAX_DEPTH) {
        return roost__query_error(p->diag, ROOST_ERR(ROOST_ELIMIT), cur_pos(p),
                                  "expression nested too deeply (over %d "
                                  "levels)",
                                  ROOST_QUERY_MAX_DEPTH);
    }
    return 0;
}

static int parse_int_token(struct parser *p, int64_t *v)
{
    errno = 0;
    char buf[32];
    if (p->cur.len >= sizeof(buf)) {
        return error_at(p, cur_pos(p), "integer literal out of range");
    }
    memcpy(buf, p->src + p->cur.off, p->cur.len);
    buf[p->cur.len] = '\0';
    long long x = strtoll(buf, NULL, 10);
    if (errno == ERANGE) {
        return error_at(p, cur_pos(p), "integer literal out of range");
    }
    *v = x;
    return 0;
}

static int parse_interval(struct parser *p, struct roost_expr **out)
{
    struct roost_pos pos = cur_pos(p);
    advance(p); /* INTERVAL */
    if (p->cur.type != T_STRING) {
        return expected(p, "a quoted amount after INTERVAL, as in "
                           "INTERVAL '5' MINUTE");
    }
    struct token amount_tok = p->cur;
    struct roost_pos amount_pos = cur_pos(p);
    advance(p);
    if (p->cur.type != T_IDENT) {
        return expected(p, "an interval unit (SECOND, MINUTE, HOUR, DAY)");
    }
    const struct unit_def *u = NULL;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (is_kw(p, units[i].name)) {
            u = &units[i];
        }
    }
    if (u == NULL) {
        return expected(p, "an interval unit (SECOND, MINUTE, HOUR, DAY)");
    }
    advance(p);
    struct roost_str amount;
    int rc = unquote(p, &amount_tok, &amount);
    if (rc < 0) {
        return rc;
    }
    int64_t ms;
    if (!interval_ms(amount, u->ms, &ms)) {
        return error_at(p, amount_pos,
                        "bad interval amount '%.*s': expected a number of "
                        "%ss",
                        (int)(amount.len > 20 ? 20 : amount.len), amount.ptr,
                        u->name);
    }
    struct roost_expr *e;
    rc = new_node(p, ROOST_EXPR_LITERAL, pos, 0, &e);
    if (rc < 0) {
        return rc;
    }
    e->lit = roost_value_int(ms);
    e->interval = true;
    *out = e;
    return 0;
}

static int parse_timestamp_lit(struct parser *p, struct roost_expr **out)
{
    struct roost_pos pos = cur_pos(p);
    advance(p); /* TIMESTAMP */
    if (p->cur.type != T_STRING) {
        return expected(p, "a quoted time after TIMESTAMP, as in "
                           "TIMESTAMP '2021-01-01 00:00:00'");
    }
    struct roost_pos spos = cur_pos(p);
    struct roost_str s;
    int rc = unquote(p, &p->cur, &s);
    if (rc < 0) {
        return rc;
    }
    int64_t ms;
    if (!roost__query_parse_time(s.ptr, s.len, &ms)) {
        return error_at(p, spos,
                        "bad timestamp: expected 'YYYY-MM-DD HH:MM:SS'");
    }
    advance(p);
    struct roost_expr *e;
    rc = new_node(p, ROOST_EXPR_LITERAL, pos, 0, &e);
    if (rc < 0) {
        return rc;
    }
    e->lit = roost_value_time(ms);
    *out = e;
    return 0;
}

static int parse_cast(struct parser *p, struct roost_expr **out)
{
    static const struct {
        const char *name;
        uint8_t type;
    } types[] = {
        { "INT", ROOST_V_INT },       { "INTEGER", ROOST_V_INT },
        { "BIGINT", ROOST_V_INT },    { "DOUBLE", ROOST_V_DOUBLE },
        { "FLOAT", ROOST_V_DOUBLE },  { "REAL", ROOST_V_DOUBLE },
        { "TEXT", ROOST_V_STRING },   { "VARCHAR", ROOST_V_STRING },
        { "STRING", ROOST_V_STRING }, { "BOOLEAN", ROOST_V_BOOL },
        { "BOOL", ROOST_V_BOOL },     { "TIMESTAMP", ROOST_V_TIME },
    };
    struct roost_pos pos = cur_pos(p);
    advance(p); /* CAST */
    int rc = expect_punct(p, "(", "'(' after CAST");
    if (rc < 0) {
        return rc;
    }
    struct roost_expr *e;
    rc = new_node(p, ROOST_EXPR_CAST, pos, 1, &e);
    if (rc < 0) {
        return rc;
    }
    rc = parse_expr(p, &e->args[0]);
    if (rc < 0) {
        return rc;
    }
    if (!is_kw(p, "AS")) {
        return expected(p, "AS in CAST(x AS type)");
    }
    advance(p);
    size_t k;
    for (k = 0; k < sizeof(types) / sizeof(types[0]); k++) {
        if (is_kw(p, types[k].name)) {
            break;
        }
    }
    if (k == sizeof(types) / sizeof(types[0])) {
        return expected(p, "a type (INT, DOUBLE, TEXT, BOOLEAN, TIMESTAMP)");
    }
    e->cast_type = types[k].type;
    advance(p);
    rc = expect_punct(p, ")", "')' to close CAST");
    if (rc < 0) {
        return rc;
    }
    *out = e;
    return seal(p, e);
}

static int parse_case(struct parser *p, struct roost_expr **out)
{
    struct roost_pos pos = cur_pos(p);
    advance(p); /* CASE */
    struct vec args = { 0 };
    bool has_operand = false, has_else = false;
    int rc;
    if (!is_kw(p, "WHEN")) {
        struct roost_expr *x;
        rc = parse_expr(p, &x);
        if (rc < 0) {
            return rc;
        }
        rc = vec_push(p, &args, x);
        if (rc < 0) {
            return rc;
        }
        has_operand = true;
    }
    if (!is_kw(p, "WHEN")) {
        return expected(p, "WHEN after CASE");
    }
    while (is_kw(p, "WHEN")) {
        advance(p);
        struct roost_expr *w, *t;
        rc = parse_expr(p, &w);
        if (rc < 0) {
            return rc;
        }
        if (!is_kw(p, "THEN")) {
            return expected(p, "THEN after the WHEN condition");
        }
        advance(p);
        rc = parse_expr(p, &t);
        if (rc < 0) {
            return rc;
        }
        rc = vec_push(p, &args, w);
        if (rc == 0) {
            rc = vec_push(p, &args, t);
        }
        if (rc < 0) {
            return rc;
        }
    }
    if (is_kw(p, "ELSE")) {
        advance(p);
        struct roost_expr *x;
        rc = parse_expr(p, &x);
        if (rc < 0) {
            return rc;
        }
        rc = vec_push(p, &args, x);
        if (rc < 0) {
            return rc;
        }
        has_else = true;
    }
    if (!is_kw(p, "END")) {
        return expected(p, has_else ? "END to close CASE"
                                    : "WHEN, ELSE or END in CASE");
    }
    advance(p);
    struct roost_expr *e;
    rc = new_node(p, ROOST_EXPR_CASE, pos, 0, &e);
    if (rc < 0) {
        return rc;
    }
    e->args = (struct roost_expr **)args.v;
    e->n_args = args.n;
    e->has_operand = has_operand;
    e->has_else = has_else;
    *out = e;
    return seal(p, e);
}

static int make_window_col(struct parser *p, struct roost_pos pos,
                           const char *name, struct roost_expr **out)
{
    struct roost_expr *e;
    int rc = new_node(p, ROOST_EXPR_COLUMN, pos, 0, &e);
    if (rc < 0) {
        return rc;
    }
    e->name = roost_str_cstr(name);
    *out = e;
    return 0;
}

static int parse_call(struct parser *p, struct roost_expr **out)
{
    struct roost_pos pos = cur_pos(p);
    struct token name_tok = p->cur;
    const char *name = p->src + name_tok.off;
    const struct fn_def *fn = find_fn(name, name_tok.len);
    if (fn == NULL) {
        const char *s = roost__query_suggest(name, name_tok.len, fn_names);
        if (s != NULL) {
            return error_at(p, pos,
                            "unknown function '%.*s'; did you mean "
                            "%s?",
                            (int)(name_tok.len > 32 ? 32 : name_tok.len), name,
                            s);
        }
        return error_at(p, pos, "unknown function '%.*s'",
                        (int)(name_tok.len > 32 ? 32 : name_tok.len), name);
    }
    advance(p); /* name */
    advance(p); /* ( */
    bool is_agg = fn->cls == FN_AGG;
    if (is_agg && p->agg_depth > 0) {
        return error_at(p, pos, "aggregate %s inside aggregate %s", fn->name,
                        p->agg_name);
    }
    if (is_agg && p->no_agg_clause != NULL) {
        return error_at(p, pos, "aggregate %s is not allowed in %s", fn->name,
                        p->no_agg_clause);
    }
    struct vec args = { 0 };
    bool distinct = false, star = false;
    int rc;
    const char *saved_agg = p->agg_name;
    if (is_agg) {
        p->agg_depth++;
        p->agg_name = fn->name;
        if (is_kw(p, "DISTINCT")) {
            distinct = true;
            advance(p);
        } else if (is_kw(p, "ALL")) {
            advance(p);
        }
    }
    if (is_punct(p, "*") && is_agg && fn->id == ROOST_AGG_COUNT && !distinct) {
        star = true;
        advance(p);
    } else if (!is_punct(p, ")")) {
        for (;;) {
            struct roost_expr *a;
            rc = parse_expr(p, &a);
            if (rc < 0) {
                return rc;
            }
            rc = vec_push(p, &args, a);
            if (rc < 0) {
                return rc;
            }
            if (!is_punct(p, ",")) {
                break;
            }
            advance(p);
        }
    }
    if (is_agg) {
        p->agg_depth--;
        p->agg_name = saved_agg;
    }
    rc = expect_punct(p, ")",
                      args.n > 0 ? "',' or ')' in the argument list"
                                 : "')' to close the call");
    if (rc < 0) {
        return rc;
    }
    uint32_t n = args.n;
    bool count_ok = fn->id == ROOST_AGG_COUNT && is_agg;
    if ((n < fn->min_args && !(count_ok && star)) || n > fn->max_args ||
        (count_ok && !star && n == 0)) {
        if (fn->min_args == fn->max_args) {
            return error_at(p, pos, "%s takes %u argument%s, not %" PRIu32,
                            fn->name, fn->min_args,
                            fn->min_args == 1 ? "" : "s", n);
        }
        if (count_ok) {
            return error_at(p, pos,
                            "COUNT takes * or one argument, not %" PRIu32, n);
        }
        if (fn->max_args == ARGS_MANY) {
            return error_at(p, pos, "%s takes at least %u argument%s", fn->name,
                            fn->min_args, fn->min_args == 1 ? "" : "s");
        }
        return error_at(p, pos, "%s takes %u to %u arguments, not %" PRIu32,
                        fn->name, fn->min_args, fn->max_args, n);
    }
    if (fn->cls == FN_WSTART || fn->cls == FN_WEND) {
        return make_window_col(
            p, pos, fn->cls == FN_WSTART ? "window_start" : "window_end", out);
    }
    struct roost_expr *e;
    rc = new_node(p, is_agg ? ROOST_EXPR_AGG : ROOST_EXPR_CALL, pos, 0, &e);
    if (rc < 0) {
        return rc;
    }
    e->args = (struct roost_expr **)args.v;
    e->n_args = n;
    e->name = roost_str_cstr(fn->name);
    e->distinct = distinct;
    if (is_agg) {
        e->agg = fn->id;
    } else {
        e->func = fn->id;
    }
    if (is_agg && fn->id == ROOST_AGG_TOP_K) {
        const struct roost_expr *k = e->args[1];
        if (k->kind != ROOST_EXPR_LITERAL || k->lit.type != ROOST_V_INT ||
            k->interval || k->lit.u.i < 1 ||
            k->lit.u.i > ROOST_QUERY_MAX_TOPK) {
            return error_at(p, k->pos,
                            "TOP_K needs k as an integer from 1 to %d",
                            ROOST_QUERY_MAX_TOPK);
        }
        e->agg_k = k->lit.u.i;
    }
    if (is_agg && distinct && fn->id == ROOST_AGG_TOP_K) {
        return error_at(p, pos, "DISTINCT is not allowed in TOP_K");
    }
    *out = e;
    return seal(p, e);
}

static int parse_primary(struct parser *p, struct roost_expr **out)
{
    struct roost_pos pos = cur_pos(p);
    struct roost_expr *e;
    int rc;
    switch (p->cur.type) {
    case T_INT:
    case T_DEC: {
        rc = new_node(p, ROOST_EXPR_LITERAL, pos, 0, &e);
        if (rc < 0) {
            return rc;
        }
        if (p->cur.type == T_INT) {
            int64_t v;
            rc = parse_int_token(p, &v);
            if (rc < 0) {
                return rc;
            }
            e->lit = roost_value_int(v);
        } else {
            char buf[64];
            if (p->cur.len >= sizeof(buf)) {
                return error_at(p, pos, "decimal literal too long");
            }
            memcpy(buf, p->src + p->cur.off, p->cur.len);
            buf[p->cur.len] = '\0';
            double d = strtod(buf, NULL);
            if (!isfinite(d)) {
                return error_at(p, pos, "decimal literal out of range");
            }
            e->lit = roost_value_double(d);
        }
        advance(p);
        *out = e;
        return 0;
    }
    case T_STRING: {
        rc = new_node(p, ROOST_EXPR_LITERAL, pos, 0, &e);
        if (rc < 0) {
            return rc;
        }
        struct roost_str s;
        rc = unquote(p, &p->cur, &s);
        if (rc < 0) {
            return rc;
        }
        e->lit = roost_value_str(s);
        advance(p);
        *out = e;
        return 0;
    }
    case T_QIDENT: {
        rc = new_node(p, ROOST_EXPR_COLUMN, pos, 0, &e);
        if (rc < 0) {
            return rc;
        }
        rc = unquote(p, &p->cur, &e->name);
        if (rc < 0) {
            return rc;
        }
        e->quoted = true;
        advance(p);
        *out = e;
        return 0;
    }
    case T_PUNCT:
        if (is_punct(p, "(")) {
            advance(p);
            rc = parse_expr(p, out);
            if (rc < 0) {
                return rc;
            }
            return expect_punct(p, ")", "')'");
        }
        return expected(p, "an expression");
    case T_IDENT:
        break;
    default:
        return expected(p, "an expression");
    }

    /* T_IDENT: keyword literal, special form, call or column. */
    if (is_kw(p, "NULL") || is_kw(p, "TRUE") || is_kw(p, "FALSE")) {
        rc = new_node(p, ROOST_EXPR_LITERAL, pos, 0, &e);
        if (rc < 0) {
            return rc;
        }
        if (!is_kw(p, "NULL")) {
            e->lit = roost_value_bool(is_kw(p, "TRUE"));
        }
        advance(p);
        *out = e;
        return 0;
    }
    if (is_kw(p, "INTERVAL")) {
        return parse_interval(p, out);
    }
    if (is_kw(p, "TIMESTAMP") && peek(p).type == T_STRING) {
        return parse_timestamp_lit(p, out);
    }
    if (is_kw(p, "CASE")) {
        return parse_case(p, out);
    }
    if (is_kw(p, "CAST")) {
        return parse_cast(p, out);
    }
    struct token next = peek(p);
    if (next.type == T_PUNCT && strcmp(next.punct, "(") == 0) {
        return parse_call(p, out);
    }
    if (roost__query_is_reserved(p->src + p->cur.off, p->cur.len)) {
        return expected(p, "an expression");
    }
    rc = new_node(p, ROOST_EXPR_COLUMN, pos, 0, &e);
    if (rc < 0) {
        return rc;
    }
    char *name = roost_arena_dup(&p->q->arena, p->src + p->cur.off, p->cur.len);
    if (name == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (uint32_t i = 0; i < p->cur.len; i++) {
        name[i] = (char)tolower((unsigned char)name[i]);
    }
    e->name = roost_str_make(name, p->cur.len);
    advance(p);
    *out = e;
    return 0;
}

static bool is_negative_lit(const struct roost_expr *e)
{
    if (e->kind != ROOST_EXPR_LITERAL || e->interval) {
        return false;
    }
    return (e->lit.type == ROOST_V_INT && e->lit.u.i < 0) ||
           (e->lit.type == ROOST_V_DOUBLE && signbit(e->lit.u.d));
}

static int parse_unary(struct parser *p, struct roost_expr **out)
{
    if (!is_punct(p, "-") && !is_punct(p, "+")) {
        return parse_primary(p, out);
    }
    bool neg = is_punct(p, "-");
    struct roost_pos pos = cur_pos(p);
    advance(p);
    int rc = enter(p);
    if (rc < 0) {
        return rc;
    }
    struct roost_expr *x;
    rc = parse_unary(p, &x);
    p->depth--;
    if (rc < 0) {
        return rc;
    }
    if (!neg) {
        *out = x;
        return 0;
    }
    /* Fold -literal so that negative numbers print and re-parse as one
     * literal; INT64_MIN cannot be written, as in C. */
    if (x->kind == ROOST_EXPR_LITERAL && !x->interval &&
        ((x->lit.type == ROOST_V_INT && x->lit.u.i != INT64_MIN) ||
         x->lit.type == ROOST_V_DOUBLE)) {
        if (x->lit.type == ROOST_V_INT) {
            x->lit.u.i = -x->lit.u.i;
        } else {
            x->lit.u.d = -x->lit.u.d;
        }
        x->pos = pos;
        *out = x;
        return 0;
    }
    struct roost_expr *e;
    rc = new_node(p, ROOST_EXPR_UNARY, pos, 1, &e);
    if (rc < 0) {
        return rc;
    }
    e->op = ROOST_OP_NEG;
    e->args[0] = x;
    *out = e;
    return seal(p, e);
}

static int parse_mul(struct parser *p, struct roost_expr **out)
{
    struct roost_expr *l;
    int rc = parse_unary(p, &l);
    while (rc == 0) {
        uint8_t op;
        if (is_punct(p, "*")) {
            op = ROOST_OP_MUL;
        } else if (is_punct(p, "/")) {
            op = ROOST_OP_DIV;
        } else if (is_punct(p, "%")) {
            op = ROOST_OP_MOD;
        } else {
            *out = l;
            return 0;
        }
        advance(p);
        struct roost_expr *r;
        rc = parse_unary(p, &r);
        if (rc == 0) {
            rc = new_binary(p, op, l, r, &l);
        }
    }
    return rc;
}

static int parse_add(struct parser *p, struct roost_expr **out)
{
    struct roost_expr *l;
    int rc = parse_mul(p, &l);
    while (rc == 0) {
        uint8_t op;
        if (is_punct(p, "+")) {
            op = ROOST_OP_ADD;
        } else if (is_punct(p, "-")) {
            op = ROOST_OP_SUB;
        } else {
            *out = l;
            return 0;
        }
        advance(p);
        struct roost_expr *r;
        rc = parse_mul(p, &r);
        if (rc == 0) {
            rc = new_binary(p, op, l, r, &l);
        }
    }
    return rc;
}

static int parse_concat(struct parser *p, struct roost_expr **out)
{
    struct roost_expr *l;
    int rc = parse_add(p, &l);
    while (rc == 0) {
        if (!is_punct(p, "||")) {
            *out = l;
            return 0;
        }
        advance(p);
        struct roost_expr *r;
        rc = parse_add(p, &r);
        if (rc == 0) {
            rc = new_binary(p, ROOST_OP_CONCAT, l, r, &l);
        }
    }
    return rc;
}

static int cmp_op(const struct parser *p)
{
    static const struct {
        const char *text;
        uint8_t op;
    } ops[] = {
        { "=", ROOST_OP_EQ },  { "<>", ROOST_OP_NE }, { "!=", ROOST_OP_NE },
        { "<", ROOST_OP_LT },  { "<=", ROOST_OP_LE }, { ">", ROOST_OP_GT },
        { ">=", ROOST_OP_GE },
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (is_punct(p, ops[i].text)) {
            return ops[i].op;
        }
    }
    return ROOST_OP_NONE;
}

static int parse_in_list(struct parser *p, struct roost_expr *l, bool negated,
                         struct roost_expr **out)
{
    int rc = expect_punct(p, "(", "'(' after IN");
    if (rc < 0) {
        return rc;
    }
    struct vec args = { 0 };
    rc = vec_push(p, &args, l);
    while (rc == 0) {
        struct roost_expr *x;
        rc = parse_expr(p, &x);
        if (rc == 0) {
            rc = vec_push(p, &args, x);
        }
        if (rc < 0) {
            return rc;
        }
        if (!is_punct(p, ",")) {
            break;
        }
        advance(p);
    }
    if (rc < 0) {
        return rc;
    }
    rc = expect_punct(p, ")", "',' or ')' in the IN list");
    if (rc < 0) {
        return rc;
    }
    struct roost_expr *e;
    rc = new_node(p, ROOST_EXPR_IN, l->pos, 0, &e);
    if (rc < 0) {
        return rc;
    }
    e->args = (struct roost_expr **)args.v;
    e->n_args = args.n;
    e->negated = negated;
    *out = e;
    return seal(p, e);
}

/* The predicates that follow an operand: [NOT] IN/BETWEEN/LIKE, IS, MATCH. */
static int parse_postfix(struct parser *p, struct roost_expr *l, bool *done,
                         struct roost_expr **out)
{
    bool negated = false;
    struct roost_expr *e;
    int rc;
    *done = false;
    if (is_kw(p, "IS")) {
        advance(p);
        if (is_kw(p, "NOT")) {
            negated = true;
            advance(p);
        }
        if (!is_kw(p, "NULL")) {
            return expected(p, negated ? "NULL after IS NOT"
                                       : "NULL or NOT NULL after IS");
        }
        advance(p);
        rc = new_node(p, ROOST_EXPR_IS_NULL, l->pos, 1, &e);
        if (rc < 0) {
            return rc;
        }
        e->args[0] = l;
        e->negated = negated;
        *out = e;
        return seal(p, e);
    }
    if (is_kw(p, "MATCH")) {
        advance(p);
        rc = new_node(p, ROOST_EXPR_MATCH, l->pos, 2, &e);
        if (rc < 0) {
            return rc;
        }
        e->args[0] = l;
        rc = parse_concat(p, &e->args[1]);
        if (rc < 0) {
            return rc;
        }
        *out = e;
        return seal(p, e);
    }
    if (is_kw(p, "NOT")) {
        struct token t = peek(p);
        if (!tok_is_kw(p, &t, "IN") && !tok_is_kw(p, &t, "LIKE") &&
            !tok_is_kw(p, &t, "BETWEEN")) {
            advance(p);
            return expected(p, "IN, LIKE or BETWEEN after NOT");
        }
        negated = true;
        advance(p);
    }
    if (is_kw(p, "IN")) {
        advance(p);
        return parse_in_list(p, l, negated, out);
    }
    if (is_kw(p, "BETWEEN")) {
        advance(p);
        rc = new_node(p, ROOST_EXPR_BETWEEN, l->pos, 3, &e);
        if (rc < 0) {
            return rc;
        }
        e->args[0] = l;
        e->negated = negated;
        rc = parse_concat(p, &e->args[1]);
        if (rc < 0) {
            return rc;
        }
        if (!is_kw(p, "AND")) {
            return expected(p, "AND in BETWEEN");
        }
        advance(p);
        rc = parse_concat(p, &e->args[2]);
        if (rc < 0) {
            return rc;
        }
        *out = e;
        return seal(p, e);
    }
    if (is_kw(p, "LIKE")) {
        advance(p);
        struct roost_expr *pat, *esc = NULL;
        rc = parse_concat(p, &pat);
        if (rc < 0) {
            return rc;
        }
        if (is_kw(p, "ESCAPE")) {
            advance(p);
            rc = parse_concat(p, &esc);
            if (rc < 0) {
                return rc;
            }
        }
        rc = new_node(p, ROOST_EXPR_LIKE, l->pos, esc ? 3 : 2, &e);
        if (rc < 0) {
            return rc;
        }
        e->args[0] = l;
        e->args[1] = pat;
        if (esc != NULL) {
            e->args[2] = esc;
        }
        e->negated = negated;
        *out = e;
        return seal(p, e);
    }
    *done = true;
    *out = l;
    return 0;
}

static int parse_cmp(struct parser *p, struct roost_expr **out)
{
    struct roost_expr *l;
    int rc = parse_concat(p, &l);
    while (rc == 0) {
        int op = cmp_op(p);
        if (op != ROOST_OP_NONE) {
            advance(p);
            struct roost_expr *r;
            rc = parse_concat(p, &r);
            if (rc == 0) {
                rc = new_binary(p, (uint8_t)op, l, r, &l);
            }
            continue;
        }
        bool done;
        rc = parse_postfix(p, l, &done, &l);
        if (rc == 0 && done) {
            *out = l;
            return 0;
        }
    }
    return rc;
}

static int parse_not(struct parser *p, struct roost_expr **out)
{
    if (!is_kw(p, "NOT")) {
        return parse_cmp(p, out);
    }
    struct roost_pos pos = cur_pos(p);
    advance(p);
    int rc = enter(p);
    if (rc < 0) {
        return rc;
    }
    struct roost_expr *x;
    rc = parse_not(p, &x);
    p->depth--;
    if (rc < 0) {
        return rc;
    }
    struct roost_expr *e;
    rc = new_node(p, ROOST_EXPR_UNARY, pos, 1, &e);
    if (rc < 0) {
        return rc;
    }
    e->op = ROOST_OP_NOT;
    e->args[0] = x;
    *out = e;
    return seal(p, e);
}

static int parse_and(struct parser *p, struct roost_expr **out)
{
    struct roost_expr *l;
    int rc = parse_not(p, &l);
    while (rc == 0) {
        if (!is_kw(p, "AND")) {
            *out = l;
            return 0;
        }
        advance(p);
        struct roost_expr *r;
        rc = parse_not(p, &r);
        if (rc == 0) {
            rc = new_binary(p, ROOST_OP_AND, l, r, &l);
        }
    }
    return rc;
}

static int parse_expr(struct parser *p, struct roost_expr **out)
{
    int rc = enter(p);
    if (rc < 0) {
        return rc;
    }
    struct roost_expr *l;
    rc = parse_and(p, &l);
    while (rc == 0) {
        if (!is_kw(p, "OR")) {
            *out = l;
            break;
        }
        advance(p);
        struct roost_expr *r;
        rc = parse_and(p, &r);
        if (rc == 0) {
            rc = new_binary(p, ROOST_OP_OR, l, r, &l);
        }
    }
    p->depth--;
    return rc;
}

/* ---------------------------------------------------------------- clauses */

static bool is_clause_kw(const struct parser *p, const struct token *t)
{
    static const char *const kws[] = { "FROM",  "WHERE", "GROUP", "HAVING",
                                       "ORDER", "LIMIT", "EMIT" };
    for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++) {
        if (tok_is_kw(p, t, kws[i])) {
            return true;
        }
    }
    return false;
}

static int parse_alias(struct parser *p, struct roost_str *out)
{
    if (p->cur.type == T_QIDENT) {
        int rc = unquote(p, &p->cur, out);
        advance(p);
        return rc;
    }
    if (p->cur.type != T_IDENT ||
        roost__query_is_reserved(p->src + p->cur.off, p->cur.len)) {
        return expected(p, "an alias after AS");
    }
    char *s = roost_arena_dup(&p->q->arena, p->src + p->cur.off, p->cur.len);
    if (s == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (uint32_t i = 0; i < p->cur.len; i++) {
        s[i] = (char)tolower((unsigned char)s[i]);
    }
    *out = roost_str_make(s, p->cur.len);
    advance(p);
    return 0;
}

static int parse_select_list(struct parser *p)
{
    struct vec items = { 0 };
    int rc;
    for (;;) {
        struct roost_select_item *it =
            roost_arena_alloc(&p->q->arena, sizeof(*it));
        if (it == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        memset(it, 0, sizeof(*it));
        it->pos = cur_pos(p);
        if (is_punct(p, "*")) {
            it->star = true;
            advance(p);
        } else {
            rc = parse_expr(p, &it->expr);
            if (rc < 0) {
                return rc;
            }
            if (is_kw(p, "AS")) {
                advance(p);
                rc = parse_alias(p, &it->alias);
                if (rc < 0) {
                    return rc;
                }
            } else if ((p->cur.type == T_IDENT &&
                        !roost__query_is_reserved(p->src + p->cur.off,
                                                  p->cur.len)) ||
                       p->cur.type == T_QIDENT) {
                /* A bare alias only when it is followed by what may follow
                 * an item, so `SELECT a FORM t` reports FORM, not t. */
                struct token t = peek(p);
                if ((t.type == T_PUNCT && strcmp(t.punct, ",") == 0) ||
                    is_clause_kw(p, &t)) {
                    rc = parse_alias(p, &it->alias);
                    if (rc < 0) {
                        return rc;
                    }
                }
            }
        }
        rc = vec_push(p, &items, it);
        if (rc < 0) {
            return rc;
        }
        if (!is_punct(p, ",")) {
            break;
        }
        advance(p);
    }
    p->q->n_items = items.n;
    p->q->items =
        roost_arena_alloc(&p->q->arena, items.n * sizeof(*p->q->items));
    if (p->q->items == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (uint32_t i = 0; i < items.n; i++) {
        p->q->items[i] = *(struct roost_select_item *)items.v[i];
    }
    return 0;
}

static int parse_window_size(struct parser *p, const char *what, int64_t *ms)
{
    struct roost_pos pos = cur_pos(p);
    if (!is_kw(p, "INTERVAL")) {
        char buf[64];
        snprintf(buf, sizeof(buf), "INTERVAL for the %s", what);
        return expected(p, buf);
    }
    struct roost_expr *e;
    int rc = parse_interval(p, &e);
    if (rc < 0) {
        return rc;
    }
    if (e->lit.u.i <= 0) {
        return error_at(p, pos, "the %s must be positive", what);
    }
    *ms = e->lit.u.i;
    return 0;
}

static int parse_window(struct parser *p)
{
    struct roost_window_spec *w = &p->q->window;
    struct roost_pos pos = cur_pos(p);
    if (w->kind != ROOST_WINDOW_NONE) {
        return error_at(p, pos,
                        "only one window per query (the first is at "
                        "%" PRIu32 ":%" PRIu32 ")",
                        w->pos.line, w->pos.col);
    }
    const char *name;
    if (is_kw(p, "TUMBLE")) {
        w->kind = ROOST_WINDOW_TUMBLE;
        name = "TUMBLE";
    } else if (is_kw(p, "HOP")) {
        w->kind = ROOST_WINDOW_HOP;
        name = "HOP";
    } else {
        w->kind = ROOST_WINDOW_SESSION;
        name = "SESSION";
    }
    w->pos = pos;
    advance(p);
    advance(p); /* ( */
    int rc = parse_expr(p, &w->time);
    if (rc < 0) {
        return rc;
    }
    if (w->time->kind != ROOST_EXPR_COLUMN) {
        return error_at(p, w->time->pos,
                        "the first argument of %s must be a time column", name);
    }
    rc = expect_punct(p, ",", "',' after the window's time column");
    if (rc < 0) {
        return rc;
    }
    if (w->kind == ROOST_WINDOW_SESSION) {
        rc = parse_window_size(p, "session gap", &w->gap_ms);
    } else {
        rc = parse_window_size(p, "window size", &w->size_ms);
        w->slide_ms = w->size_ms;
    }
    if (rc < 0) {
        return rc;
    }
    if (w->kind == ROOST_WINDOW_HOP) {
        rc = expect_punct(p, ",", "',' and the slide: HOP(time, size, slide)");
        if (rc < 0) {
            return rc;
        }
        struct roost_pos spos = cur_pos(p);
        rc = parse_window_size(p, "hop slide", &w->slide_ms);
        if (rc < 0) {
            return rc;
        }
        if (w->slide_ms > w->size_ms) {
            return error_at(p, spos,
                            "the hop slide is larger than the window size: "
                            "write HOP(time, size, slide)");
        }
    }
    if (!is_punct(p, ")")) {
        char buf[48];
        snprintf(buf, sizeof(buf), "')' to close %s", name);
        return expected(p, buf);
    }
    advance(p);
    return 0;
}

static bool at_window(const struct parser *p)
{
    if (!is_kw(p, "TUMBLE") && !is_kw(p, "HOP") && !is_kw(p, "SESSION")) {
        return false;
    }
    struct token t = peek(p);
    return t.type == T_PUNCT && strcmp(t.punct, "(") == 0;
}

static int parse_group_by(struct parser *p)
{
    struct vec keys = { 0 };
    int rc;
    p->q->has_group_by = true;
    p->no_agg_clause = "GROUP BY";
    for (;;) {
        if (at_window(p)) {
            rc = parse_window(p);
        } else {
            struct roost_expr *k;
            rc = parse_expr(p, &k);
            if (rc == 0) {
                rc = vec_push(p, &keys, k);
            }
        }
        if (rc < 0) {
            return rc;
        }
        if (!is_punct(p, ",")) {
            break;
        }
        advance(p);
    }
    p->no_agg_clause = NULL;
    p->q->keys = (struct roost_expr **)keys.v;
    p->q->n_keys = keys.n;
    return 0;
}

static int parse_order_by(struct parser *p)
{
    struct vec items = { 0 };
    int rc;
    for (;;) {
        struct roost_order_item *it =
            roost_arena_alloc(&p->q->arena, sizeof(*it));
        if (it == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        memset(it, 0, sizeof(*it));
        rc = parse_expr(p, &it->expr);
        if (rc < 0) {
            return rc;
        }
        if (is_kw(p, "DESC")) {
            it->desc = true;
            advance(p);
        } else if (is_kw(p, "ASC")) {
            advance(p);
        }
        rc = vec_push(p, &items, it);
        if (rc < 0) {
            return rc;
        }
        if (!is_punct(p, ",")) {
            break;
        }
        advance(p);
    }
    p->q->order =
        roost_arena_alloc(&p->q->arena, items.n * sizeof(*p->q->order));
    if (p->q->order == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (uint32_t i = 0; i < items.n; i++) {
        p->q->order[i] = *(struct roost_order_item *)items.v[i];
    }
    p->q->n_order = items.n;
    return 0;
}

static int parse_emit(struct parser *p)
{
    advance(p); /* EMIT */
    if (is_kw(p, "FINAL")) {
        p->q->emit = ROOST_EMIT_FINAL;
        advance(p);
        return 0;
    }
    if (!is_kw(p, "CHANGES")) {
        return expected(p, "FINAL or CHANGES after EMIT");
    }
    p->q->emit = ROOST_EMIT_CHANGES;
    advance(p);
    if (is_kw(p, "EVERY")) {
        advance(p);
        return parse_window_size(p, "emit interval", &p->q->emit_every_ms);
    }
    return 0;
}

/* Expect keyword `kw` at a clause boundary, else "expected KW after X". */
static int expect_kw(struct parser *p, const char *kw, const char *after)
{
    if (is_kw(p, kw)) {
        advance(p);
        return 0;
    }
    char buf[64];
    snprintf(buf, sizeof(buf), "%s after %s", kw, after);
    return expected(p, buf);
}

static int parse_select(struct parser *p)
{
    int rc = expect_kw(p, "SELECT", "the start of the query");
    if (rc < 0) {
        if (p->cur.type != T_BAD) {
            return expected(p, "SELECT");
        }
        return rc;
    }
    rc = parse_select_list(p);
    if (rc < 0) {
        return rc;
    }
    rc = expect_kw(p, "FROM", "the select list");
    if (rc < 0) {
        return rc;
    }
    p->q->stream_pos = cur_pos(p);
    if (p->cur.type == T_QIDENT) {
        rc = unquote(p, &p->cur, &p->q->stream);
        advance(p);
    } else if (p->cur.type == T_IDENT &&
               !roost__query_is_reserved(p->src + p->cur.off, p->cur.len)) {
        rc = parse_alias(p, &p->q->stream);
    } else {
        rc = expected(p, "a stream name after FROM");
    }
    if (rc < 0) {
        return rc;
    }
    if (is_kw(p, "WHERE")) {
        advance(p);
        p->no_agg_clause = "WHERE";
        rc = parse_expr(p, &p->q->where);
        p->no_agg_clause = NULL;
        if (rc < 0) {
            return rc;
        }
    }
    if (is_kw(p, "GROUP")) {
        advance(p);
        rc = expect_kw(p, "BY", "GROUP");
        if (rc == 0) {
            rc = parse_group_by(p);
        }
        if (rc < 0) {
            return rc;
        }
    }
    if (is_kw(p, "HAVING")) {
        advance(p);
        rc = parse_expr(p, &p->q->having);
        if (rc < 0) {
            return rc;
        }
    }
    if (is_kw(p, "ORDER")) {
        advance(p);
        rc = expect_kw(p, "BY", "ORDER");
        if (rc == 0) {
            rc = parse_order_by(p);
        }
        if (rc < 0) {
            return rc;
        }
    }
    if (is_kw(p, "LIMIT")) {
        advance(p);
        if (p->cur.type != T_INT) {
            return expected(p, "a row count after LIMIT");
        }
        rc = parse_int_token(p, &p->q->limit);
        if (rc < 0) {
            return rc;
        }
        advance(p);
    }
    if (is_kw(p, "EMIT")) {
        rc = parse_emit(p);
        if (rc < 0) {
            return rc;
        }
    }
    if (is_punct(p, ";")) {
        advance(p);
    }
    if (p->cur.type != T_EOF) {
        return expected(p, "the end of the query");
    }
    return 0;
}

/* Where the first invalid UTF-8 byte is, or len. */
static size_t utf8_bad_at(const char *s, size_t len)
{
    size_t i = 0;
    while (i < len) {
        if ((unsigned char)s[i] < 0x80) {
            i++;
            continue;
        }
        uint32_t cp;
        size_t n =
            roost_utf8_decode((const unsigned char *)s + i, len - i, &cp);
        if (n == 0) {
            return i;
        }
        i += n;
    }
    return len;
}

int roost_query_parse(const char *sql, size_t len, struct roost_query **out,
                      struct roost_diag *diag)
{
    if (diag != NULL) {
        memset(diag, 0, sizeof(*diag));
    }
    struct roost_pos start = { 0, 1, 1 };
    if (sql == NULL && len > 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (len > ROOST_QUERY_MAX_BYTES) {
        return roost__query_error(diag, ROOST_ERR(ROOST_ELIMIT), start,
                                  "query longer than %d bytes",
                                  ROOST_QUERY_MAX_BYTES);
    }
    struct roost_query *q = roost_calloc(1, sizeof(*q));
    if (q == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    roost_arena_init(&q->arena, ARENA_CHUNK_BYTES, ARENA_MAX_BYTES);
    q->limit = -1;
    struct parser p = {
        .src = sql ? sql : "",
        .len = (uint32_t)len,
        .q = q,
        .diag = diag,
        .scan_line = 1,
    };
    int rc;
    size_t bad = utf8_bad_at(p.src, len);
    if (bad < len) {
        rc = roost__query_error(diag, ROOST_ERR(ROOST_EPARSE),
                                pos_at(&p, (uint32_t)bad),
                                "query is not valid UTF-8");
        goto out_free_query;
    }
    p.cur = lex(&p, 0);
    rc = parse_select(&p);
    if (rc < 0) {
        goto out_free_query;
    }
    *out = q;
    return 0;

out_free_query:
    if (rc == ROOST_ENOMEM && q->arena.n_limit_hits > 0) {
        rc = roost__query_error(diag, ROOST_ERR(ROOST_ELIMIT), start,
                                "query needs too much memory");
    }
    roost_query_free(q);
    return rc;
}

void roost_query_free(struct roost_query *q)
{
    if (q == NULL) {
        return;
    }
    roost_arena_fini(&q->arena);
    roost_free(q);
}

/* ---------------------------------------------------------------- printer */

enum {
    PREC_OR = 1,
    PREC_AND,
    PREC_NOT,
    PREC_CMP,
    PREC_CONCAT,
    PREC_ADD,
    PREC_MUL,
    PREC_NEG,
    PREC_PRIMARY,
};

static int prec_of(const struct roost_expr *e)
{
    switch (e->kind) {
    case ROOST_EXPR_UNARY:
        return e->op == ROOST_OP_NOT ? PREC_NOT : PREC_NEG;
    case ROOST_EXPR_BINARY:
        switch (e->op) {
        case ROOST_OP_OR:
            return PREC_OR;
        case ROOST_OP_AND:
            return PREC_AND;
        case ROOST_OP_CONCAT:
            return PREC_CONCAT;
        case ROOST_OP_ADD:
        case ROOST_OP_SUB:
            return PREC_ADD;
        case ROOST_OP_MUL:
        case ROOST_OP_DIV:
        case ROOST_OP_MOD:
            return PREC_MUL;
        default:
            return PREC_CMP;
        }
    case ROOST_EXPR_IS_NULL:
    case ROOST_EXPR_IN:
    case ROOST_EXPR_BETWEEN:
    case ROOST_EXPR_LIKE:
    case ROOST_EXPR_MATCH:
        return PREC_CMP;
    case ROOST_EXPR_LITERAL:
        /* A negative number prints with its sign, binding like unary -. */
        return is_negative_lit(e) ? PREC_NEG : PREC_PRIMARY;
    case ROOST_EXPR_SLOT:
        return e->n_args > 0 ? prec_of(e->args[0]) : PREC_PRIMARY;
    default:
        return PREC_PRIMARY;
    }
}

static const char *op_text(uint8_t op)
{
    switch (op) {
    case ROOST_OP_ADD:
        return "+";
    case ROOST_OP_SUB:
        return "-";
    case ROOST_OP_MUL:
        return "*";
    case ROOST_OP_DIV:
        return "/";
    case ROOST_OP_MOD:
        return "%";
    case ROOST_OP_CONCAT:
        return "||";
    case ROOST_OP_EQ:
        return "=";
    case ROOST_OP_NE:
        return "<>";
    case ROOST_OP_LT:
        return "<";
    case ROOST_OP_LE:
        return "<=";
    case ROOST_OP_GT:
        return ">";
    case ROOST_OP_GE:
        return ">=";
    case ROOST_OP_AND:
        return "AND";
    case ROOST_OP_OR:
        return "OR";
    default:
        return "?";
    }
}

static int print_quoted(struct roost_buf *b, char q, struct roost_str s)
{
    int rc = roost_buf_addc(b, q);
    for (size_t i = 0; rc == 0 && i < s.len; i++) {
        rc = roost_buf_addc(b, s.ptr[i]);
        if (rc == 0 && s.ptr[i] == q) {
            rc = roost_buf_addc(b, q);
        }
    }
    return rc == 0 ? roost_buf_addc(b, q) : rc;
}

static int print_ident(struct roost_buf *b, struct roost_str s)
{
    bool bare = s.len > 0 && !(s.ptr[0] >= '0' && s.ptr[0] <= '9') &&
                !roost__query_is_reserved(s.ptr, s.len);
    for (size_t i = 0; bare && i < s.len; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        bare = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    }
    return bare ? roost_buf_add(b, s.ptr, s.len) : print_quoted(b, '"', s);
}

static int print_interval(struct roost_buf *b, int64_t ms)
{
    static const struct unit_def canon[] = {
        { "DAY", 86400000 }, { "HOUR", 3600000 },  { "MINUTE", 60000 },
        { "SECOND", 1000 },  { "MILLISECOND", 1 },
    };
    for (size_t i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
        if (ms % canon[i].ms == 0 && (ms != 0 || canon[i].ms == 1000)) {
            return roost_buf_printf(b, "INTERVAL '%" PRId64 "' %s",
                                    ms / canon[i].ms, canon[i].name);
        }
    }
    ROOST_UNREACHABLE();
    return 0;
}

size_t roost__query_format_time(int64_t ms, char *out, size_t cap)
{
    int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
    int64_t rem = ms - days * 86400000;
    /* civil_from_days (Howard Hinnant) */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t y = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    unsigned d = doy - (153 * mp + 2) / 5 + 1;
    unsigned m = mp < 10 ? mp + 3 : mp - 9;
    y += m <= 2;
    int n = snprintf(out, cap, "%04" PRId64 "-%02u-%02u %02d:%02d:%02d", y, m,
                     d, (int)(rem / 3600000), (int)(rem / 60000 % 60),
                     (int)(rem / 1000 % 60));
    if (n > 0 && (size_t)n < cap && rem % 1000 != 0) {
        n += snprintf(out + n, cap - (size_t)n, ".%03d", (int)(rem % 1000));
    }
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static int print_time(struct roost_buf *b, int64_t ms)
{
    char t[48];
    roost__query_format_time(ms, t, sizeof(t));
    return roost_buf_printf(b, "TIMESTAMP '%s'", t);
}

static int print_lit(struct roost_buf *b, const struct roost_expr *e)
{
    const struct roost_value *v = &e->lit;
    switch (v->type) {
    case ROOST_V_NULL:
        return roost_buf_adds(b, "NULL");
    case ROOST_V_BOOL:
        return roost_buf_adds(b, v->u.b ? "TRUE" : "FALSE");
    case ROOST_V_INT:
        if (e->interval) {
            return print_interval(b, v->u.i);
        }
        return roost_buf_printf(b, "%" PRId64, v->u.i);
    case ROOST_V_DOUBLE: {
        char num[40];
        snprintf(num, sizeof(num), "%.17g", v->u.d);
        if (strpbrk(num, ".eEn") == NULL) {
            size_t n = strlen(num);
            memcpy(num + n, ".0", 3);
        }
        return roost_buf_adds(b, num);
    }
    case ROOST_V_STRING:
        return print_quoted(b, '\'', v->u.s);
    case ROOST_V_TIME:
        return print_time(b, v->u.i);
    default:
        return roost_buf_adds(b, "NULL");
    }
}

static int print_expr(const struct roost_expr *e, int min_prec,
                      struct roost_buf *b);

static int print_args(const struct roost_expr *e, uint32_t from,
                      struct roost_buf *b)
{
    int rc = 0;
    for (uint32_t i = from; rc == 0 && i < e->n_args; i++) {
        if (i > from) {
            rc = roost_buf_adds(b, ", ");
        }
        if (rc == 0) {
            rc = print_expr(e->args[i], PREC_OR, b);
        }
    }
    return rc;
}

static int print_bare(const struct roost_expr *e, struct roost_buf *b)
{
    int rc = 0;
    switch (e->kind) {
    case ROOST_EXPR_LITERAL:
        return print_lit(b, e);
    case ROOST_EXPR_COLUMN:
        return print_ident(b, e->name);
    case ROOST_EXPR_STAR:
        return roost_buf_addc(b, '*');
    case ROOST_EXPR_UNARY:
        if (e->op == ROOST_OP_NOT) {
            rc = roost_buf_adds(b, "NOT ");
            return rc == 0 ? print_expr(e->args[0], PREC_NOT, b) : rc;
        }
        rc = roost_buf_addc(b, '-');
        /* "--" would start a comment. */
        if (rc == 0 && prec_of(e->args[0]) == PREC_NEG) {
            rc = roost_buf_addc(b, ' ');
        }
        return rc == 0 ? print_expr(e->args[0], PREC_NEG, b) : rc;
    case ROOST_EXPR_BINARY: {
        int pr = prec_of(e);
        /* Left-associative: the right side needs one level more. A
         * negative literal on the right of '-' prints as `a - -1`. */
        rc = print_expr(e->args[0], pr, b);
        if (rc == 0) {
            rc = roost_buf_printf(b, " %s ", op_text(e->op));
        }
        return rc == 0 ? print_expr(e->args[1], pr + 1, b) : rc;
    }
    case ROOST_EXPR_IS_NULL:
        rc = print_expr(e->args[0], PREC_CMP, b);
        return rc == 0
                   ? roost_buf_adds(b, e->negated ? " IS NOT NULL" : " IS NULL")
                   : rc;
    case ROOST_EXPR_IN:
        rc = print_expr(e->args[0], PREC_CMP, b);
        if (rc == 0) {
            rc = roost_buf_adds(b, e->negated ? " NOT IN (" : " IN (");
        }
        if (rc == 0) {
            rc = print_args(e, 1, b);
        }
        return rc == 0 ? roost_buf_addc(b, ')') : rc;
    case ROOST_EXPR_BETWEEN:
        rc = print_expr(e->args[0], PREC_CMP, b);
        if (rc == 0) {
            rc = roost_buf_adds(b, e->negated ? " NOT BETWEEN " : " BETWEEN ");
        }
        if (rc == 0) {
            rc = print_expr(e->args[1], PREC_CONCAT, b);
        }
        if (rc == 0) {
            rc = roost_buf_adds(b, " AND ");
        }
        return rc == 0 ? print_expr(e->args[2], PREC_CONCAT, b) : rc;
    case ROOST_EXPR_LIKE:
        rc = print_expr(e->args[0], PREC_CMP, b);
        if (rc == 0) {
            rc = roost_buf_adds(b, e->negated ? " NOT LIKE " : " LIKE ");
        }
        if (rc == 0) {
            rc = print_expr(e->args[1], PREC_CONCAT, b);
        }
        if (rc == 0 && e->n_args == 3) {
            rc = roost_buf_adds(b, " ESCAPE ");
            if (rc == 0) {
                rc = print_expr(e->args[2], PREC_CONCAT, b);
            }
        }
        return rc;
    case ROOST_EXPR_MATCH:
        rc = print_expr(e->args[0], PREC_CMP, b);
        if (rc == 0) {
            rc = roost_buf_adds(b, " MATCH ");
        }
        return rc == 0 ? print_expr(e->args[1], PREC_CONCAT, b) : rc;
    case ROOST_EXPR_CASE: {
        uint32_t i = 0;
        rc = roost_buf_adds(b, "CASE");
        if (rc == 0 && e->has_operand) {
            rc = roost_buf_addc(b, ' ');
            if (rc == 0) {
                rc = print_expr(e->args[i++], PREC_OR, b);
            }
        }
        uint32_t end = e->n_args - (e->has_else ? 1 : 0);
        for (; rc == 0 && i < end; i += 2) {
            rc = roost_buf_adds(b, " WHEN ");
            if (rc == 0) {
                rc = print_expr(e->args[i], PREC_OR, b);
            }
            if (rc == 0) {
                rc = roost_buf_adds(b, " THEN ");
            }
            if (rc == 0) {
                rc = print_expr(e->args[i + 1], PREC_OR, b);
            }
        }
        if (rc == 0 && e->has_else) {
            rc = roost_buf_adds(b, " ELSE ");
            if (rc == 0) {
                rc = print_expr(e->args[e->n_args - 1], PREC_OR, b);
            }
        }
        return rc == 0 ? roost_buf_adds(b, " END") : rc;
    }
    case ROOST_EXPR_CAST: {
        const char *t = "TEXT";
        switch (e->cast_type) {
        case ROOST_V_INT:
            t = "INT";
            break;
        case ROOST_V_DOUBLE:
            t = "DOUBLE";
            break;
        case ROOST_V_BOOL:
            t = "BOOLEAN";
            break;
        case ROOST_V_TIME:
            t = "TIMESTAMP";
            break;
        default:
            break;
        }
        rc = roost_buf_adds(b, "CAST(");
        if (rc == 0) {
            rc = print_expr(e->args[0], PREC_OR, b);
        }
        return rc == 0 ? roost_buf_printf(b, " AS %s)", t) : rc;
    }
    case ROOST_EXPR_CALL:
        rc = roost_buf_printf(b, "%s(", roost_func_name(e->func));
        if (rc == 0) {
            rc = print_args(e, 0, b);
        }
        return rc == 0 ? roost_buf_addc(b, ')') : rc;
    case ROOST_EXPR_AGG:
        rc = roost_buf_printf(b, "%s(%s", roost_agg_name(e->agg),
                              e->distinct ? "DISTINCT " : "");
        if (rc == 0) {
            rc = e->n_args == 0 ? roost_buf_addc(b, '*') : print_args(e, 0, b);
        }
        return rc == 0 ? roost_buf_addc(b, ')') : rc;
    case ROOST_EXPR_SLOT:
        if (e->n_args > 0) {
            return print_bare(e->args[0], b);
        }
        return roost_buf_adds(b, e->op == ROOST_OP_WSTART ? "window_start"
                                                          : "window_end");
    default:
        return roost_buf_adds(b, "?");
    }
}

static int print_expr(const struct roost_expr *e, int min_prec,
                      struct roost_buf *b)
{
    if (prec_of(e) >= min_prec) {
        return print_bare(e, b);
    }
    int rc = roost_buf_addc(b, '(');
    if (rc == 0) {
        rc = print_bare(e, b);
    }
    return rc == 0 ? roost_buf_addc(b, ')') : rc;
}

int roost_expr_print(const struct roost_expr *e, struct roost_buf *out)
{
    return print_expr(e, PREC_OR, out);
}

static int print_window(const struct roost_window_spec *w, struct roost_buf *b)
{
    static const char *const names[] = { "", "TUMBLE", "HOP", "SESSION" };
    int rc = roost_buf_printf(b, "%s(", names[w->kind]);
    if (rc == 0) {
        rc = print_expr(w->time, PREC_OR, b);
    }
    if (rc == 0) {
        rc = roost_buf_adds(b, ", ");
    }
    if (rc == 0) {
        rc = print_interval(b, w->kind == ROOST_WINDOW_SESSION ? w->gap_ms
                                                               : w->size_ms);
    }
    if (rc == 0 && w->kind == ROOST_WINDOW_HOP) {
        rc = roost_buf_adds(b, ", ");
        if (rc == 0) {
            rc = print_interval(b, w->slide_ms);
        }
    }
    return rc == 0 ? roost_buf_addc(b, ')') : rc;
}

int roost_query_print(const struct roost_query *q, struct roost_buf *b)
{
    int rc = roost_buf_adds(b, "SELECT ");
    for (uint32_t i = 0; rc == 0 && i < q->n_items; i++) {
        const struct roost_select_item *it = &q->items[i];
        if (i > 0) {
            rc = roost_buf_adds(b, ", ");
        }
        if (rc == 0) {
            rc = it->star || it->expr == NULL
                     ? roost_buf_addc(b, '*')
                     : print_expr(it->expr, PREC_OR, b);
        }
        if (rc == 0 && it->alias.ptr != NULL) {
            rc = roost_buf_adds(b, " AS ");
            if (rc == 0) {
                rc = print_ident(b, it->alias);
            }
        }
    }
    if (rc == 0) {
        rc = roost_buf_adds(b, " FROM ");
    }
    if (rc == 0) {
        rc = print_ident(b, q->stream);
    }
    if (rc == 0 && q->where != NULL) {
        rc = roost_buf_adds(b, " WHERE ");
        if (rc == 0) {
            rc = print_expr(q->where, PREC_OR, b);
        }
    }
    if (rc == 0 && q->has_group_by) {
        rc = roost_buf_adds(b, " GROUP BY ");
        for (uint32_t i = 0; rc == 0 && i < q->n_keys; i++) {
            if (i > 0) {
                rc = roost_buf_adds(b, ", ");
            }
            if (rc == 0) {
                rc = print_expr(q->keys[i], PREC_OR, b);
            }
        }
        if (rc == 0 && q->window.kind != ROOST_WINDOW_NONE) {
            if (q->n_keys > 0) {
                rc = roost_buf_adds(b, ", ");
            }
            if (rc == 0) {
                rc = print_window(&q->window, b);
            }
        }
    }
    if (rc == 0 && q->having != NULL) {
        rc = roost_buf_adds(b, " HAVING ");
        if (rc == 0) {
            rc = print_expr(q->having, PREC_OR, b);
        }
    }
    for (uint32_t i = 0; rc == 0 && i < q->n_order; i++) {
        rc = roost_buf_adds(b, i == 0 ? " ORDER BY " : ", ");
        if (rc == 0) {
            rc = print_expr(q->order[i].expr, PREC_OR, b);
        }
        if (rc == 0 && q->order[i].desc) {
            rc = roost_buf_adds(b, " DESC");
        }
    }
    if (rc == 0 && q->limit >= 0) {
        rc = roost_buf_printf(b, " LIMIT %" PRId64, q->limit);
    }
    if (rc == 0 && q->emit == ROOST_EMIT_FINAL) {
        rc = roost_buf_adds(b, " EMIT FINAL");
    }
    if (rc == 0 && q->emit == ROOST_EMIT_CHANGES) {
        rc = roost_buf_adds(b, " EMIT CHANGES");
        if (rc == 0 && q->emit_every_ms > 0) {
            rc = roost_buf_adds(b, " EVERY ");
            if (rc == 0) {
                rc = print_interval(b, q->emit_every_ms);
            }
        }
    }
    return rc;
}
