/* SPDX-License-Identifier: MIT
 *
 * expr.c - binding expressions to a schema, and evaluating them per row.
 *
 * Binding is where all the thinking happens, once per query: names become
 * row indices, types are checked (so `'a' + 1` fails at 1:8, not silently
 * per row), CONTAINS/MATCH needles are tokenized, and a grouped query's
 * output expressions are rewritten so that group keys, aggregate results
 * and window bounds are plain row reads (ROOST_EXPR_SLOT / AGG with col).
 *
 * Evaluation is then one recursive switch over the tree with no name
 * lookups and no heap allocation; only results that need new bytes go to
 * the scratch arena. Runtime oddities (division by zero, overflow, a
 * string that does not cast) give NULL, because a bad row must not stop a
 * stream.
 *
 * Start at roost_query_bind(), then eval().
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "engine/expr.h"
#include "engine/query_int.h"
#include "engine/stream_tables.h"
#include "parse/tokenize.h"

#define MATCH_MAX_WORDS 64
#define WORD_MAX_BYTES  260

/* Words of a CONTAINS/MATCH needle, folded, with the KMP failure table. */
struct needle {
    uint32_t n;
    struct roost_str *w;
    uint32_t *fail;
};

/* ------------------------------------------------------------ type names */

const char *roost_vtype_name(enum roost_vtype t)
{
    switch (t) {
    case ROOST_V_NULL:
        return "NULL";
    case ROOST_V_BOOL:
        return "BOOLEAN";
    case ROOST_V_INT:
        return "INT";
    case ROOST_V_DOUBLE:
        return "DOUBLE";
    case ROOST_V_STRING:
        return "TEXT";
    case ROOST_V_TIME:
        return "TIMESTAMP";
    default:
        return "?";
    }
}

/* ----------------------------------------------------------- case folds */

/* Folds come from parse/tokenize.c, so lower() and keys agree. */
static uint32_t fold_cp(uint32_t c)
{
    return roost_fold_cp(c);
}

/* The capital whose fold is c, or c: the inverse of fold_cp. */
static uint32_t upper_cp(uint32_t c)
{
    if (c < 0x80) {
        return (c >= 'a' && c <= 'z') ? c - 32 : c;
    }
    if (fold_cp(c) != c) {
        return c; /* already a capital */
    }
    if (c == 0x3C2) {
        return 0x3A3; /* final sigma */
    }
    if (c == 0xFF) {
        return 0x178; /* y with diaeresis: its capital is Latin Extended-A */
    }
    static const uint32_t deltas[] = { 32, 80, 1 };
    for (size_t i = 0; i < sizeof(deltas) / sizeof(deltas[0]); i++) {
        if (c >= deltas[i] && fold_cp(c - deltas[i]) == c) {
            return c - deltas[i];
        }
    }
    return c;
}

/* Decode one code point; invalid bytes decode as themselves, length 1. */
static size_t dec(const char *s, size_t len, uint32_t *cp)
{
    unsigned char c = (unsigned char)s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t n = roost_utf8_decode((const unsigned char *)s, len, cp);
    if (n == 0) {
        *cp = c;
        return 1;
    }
    return n;
}

static int map_case(struct roost_str s, bool upper, struct roost_arena *a,
                    struct roost_value *out)
{
    if (a == NULL) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    char *d = roost_arena_alloc(a, s.len + 1);
    if (d == NULL) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    size_t i = 0;
    while (i < s.len) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (c < 0x80) {
            d[i] = (char)(upper ? (c >= 'a' && c <= 'z' ? c - 32 : c)
                                : (c >= 'A' && c <= 'Z' ? c + 32 : c));
            i++;
            continue;
        }
        uint32_t cp;
        size_t n =
            roost_utf8_decode((const unsigned char *)s.ptr + i, s.len - i, &cp);
        if (n == 0) {
            d[i] = (char)c;
            i++;
            continue;
        }
        char enc[4];
        uint32_t m = upper ? upper_cp(cp) : fold_cp(cp);
        if (roost_utf8_encode(m, enc) == n) {
            memcpy(d + i, enc, n);
        } else {
            memcpy(d + i, s.ptr + i, n); /* folds keep lengths; be safe */
        }
        i += n;
    }
    d[s.len] = '\0';
    *out = roost_value_str(roost_str_make(d, s.len));
    return 0;
}

/* ---------------------------------------------------------------- words */

struct word_collect {
    struct roost_arena *a;
    struct roost_str *w;
    uint32_t n, cap;
    int rc;
};

static int collect_word(void *arg, const char *word, size_t len)
{
    struct word_collect *c = arg;
    if (c->n == c->cap) {
        uint32_t cap = c->cap ? c->cap * 2 : 4;
        struct roost_str *nw = roost_arena_alloc(c->a, cap * sizeof(*nw));
        if (nw == NULL) {
            c->rc = ROOST_ERR(ROOST_ELIMIT);
            return 1;
        }
        if (c->n > 0) {
            memcpy(nw, c->w, c->n * sizeof(*nw));
        }
        c->w = nw;
        c->cap = cap;
    }
    char *d = roost_arena_dup(c->a, word, len);
    if (d == NULL) {
        c->rc = ROOST_ERR(ROOST_ELIMIT);
        return 1;
    }
    c->w[c->n++] = roost_str_make(d, len);
    return 0;
}

/* Tokenize s into a needle allocated in a. */
static int make_needle(struct roost_str s, struct roost_arena *a,
                       struct needle *out)
{
    if (a == NULL) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    struct word_collect c = { .a = a };
    roost_tokenize_words(s.ptr, s.len, collect_word, &c);
    if (c.rc < 0) {
        return c.rc;
    }
    out->n = c.n;
    out->w = c.w;
    out->fail = NULL;
    if (c.n > 1) {
        out->fail = roost_arena_alloc(a, c.n * sizeof(*out->fail));
        if (out->fail == NULL) {
            return ROOST_ERR(ROOST_ELIMIT);
        }
        out->fail[0] = 0;
        uint32_t k = 0;
        for (uint32_t i = 1; i < c.n; i++) {
            while (k > 0 && !roost_str_eq(c.w[i], c.w[k])) {
                k = out->fail[k - 1];
            }
            if (roost_str_eq(c.w[i], c.w[k])) {
                k++;
            }
            out->fail[i] = k;
        }
    }
    return 0;
}

struct phrase_state {
    const struct needle *nd;
    uint32_t matched;
    uint64_t found; /* MATCH: bit per needle word */
};

static int phrase_word(void *arg, const char *word, size_t len)
{
    struct phrase_state *st = arg;
    const struct needle *nd = st->nd;
    struct roost_str w = roost_str_make(word, len);
    while (st->matched > 0 && !roost_str_eq(w, nd->w[st->matched])) {
        st->matched = nd->fail[st->matched - 1];
    }
    if (roost_str_eq(w, nd->w[st->matched])) {
        st->matched++;
    }
    return st->matched == nd->n ? 1 : 0;
}

static int all_word(void *arg, const char *word, size_t len)
{
    struct phrase_state *st = arg;
    const struct needle *nd = st->nd;
    struct roost_str w = roost_str_make(word, len);
    for (uint32_t i = 0; i < nd->n; i++) {
        if (roost_str_eq(w, nd->w[i])) {
            st->found |= UINT64_C(1) << i;
        }
    }
    uint64_t all = nd->n == 64 ? UINT64_MAX : (UINT64_C(1) << nd->n) - 1;
    return st->found == all ? 1 : 0;
}

/* CONTAINS (phrase) or MATCH (all words); an empty needle never matches. */
static bool words_match(struct roost_str text, const struct needle *nd,
                        bool phrase)
{
    if (nd->n == 0 || (!phrase && nd->n > MATCH_MAX_WORDS)) {
        return false;
    }
    struct phrase_state st = { .nd = nd };
    return roost_tokenize_words(text.ptr, text.len,
                                phrase ? phrase_word : all_word, &st) == 1;
}

/* ----------------------------------------------------------------- LIKE */

static bool like_match(struct roost_str s, struct roost_str p, bool has_esc,
                       uint32_t esc)
{
    size_t si = 0, pi = 0;
    size_t star_pi = SIZE_MAX, star_si = 0;
    while (si < s.len) {
        if (pi < p.len) {
            uint32_t pc;
            size_t pn = dec(p.ptr + pi, p.len - pi, &pc);
            size_t next = pi + pn;
            bool literal = false;
            if (has_esc && pc == esc && next < p.len) {
                pn = dec(p.ptr + next, p.len - next, &pc);
                next += pn;
                literal = true;
            }
            if (!literal && pc == '%') {
                star_pi = next;
                star_si = si;
                pi = next;
                continue;
            }
            uint32_t sc;
            size_t sn = dec(s.ptr + si, s.len - si, &sc);
            if ((!literal && pc == '_') || pc == sc) {
                si += sn;
                pi = next;
                continue;
            }
        }
        if (star_pi != SIZE_MAX) {
            uint32_t sc;
            star_si += dec(s.ptr + star_si, s.len - star_si, &sc);
            si = star_si;
            pi = star_pi;
            continue;
        }
        return false;
    }
    while (pi < p.len && p.ptr[pi] == '%' && !(has_esc && esc == '%')) {
        pi++;
    }
    return pi == p.len;
}

/* ---------------------------------------------------------- comparisons */

static bool is_num(uint8_t t)
{
    return t == ROOST_V_INT || t == ROOST_V_DOUBLE;
}

static int cmp_num(const struct roost_value *a, const struct roost_value *b)
{
    if (a->type == ROOST_V_INT && b->type == ROOST_V_INT) {
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    }
    double x = a->type == ROOST_V_INT ? (double)a->u.i : a->u.d;
    double y = b->type == ROOST_V_INT ? (double)b->u.i : b->u.d;
    if (isnan(x) || isnan(y)) {
        return isnan(x) - isnan(y);
    }
    return (x > y) - (x < y);
}

static int cmp_str(struct roost_str a, struct roost_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n > 0 ? memcmp(a.ptr, b.ptr, n) : 0;
    if (c != 0) {
        return c < 0 ? -1 : 1;
    }
    return (a.len > b.len) - (a.len < b.len);
}

/* SQL comparison: false when a and b are not comparable (NULL or kinds). */
static bool cmp3(const struct roost_value *a, const struct roost_value *b,
                 int *out)
{
    if (is_num(a->type) && is_num(b->type)) {
        if ((a->type == ROOST_V_DOUBLE && isnan(a->u.d)) ||
            (b->type == ROOST_V_DOUBLE && isnan(b->u.d))) {
            return false;
        }
        *out = cmp_num(a, b);
        return true;
    }
    if ((a->type == ROOST_V_TIME || a->type == ROOST_V_INT) &&
        (b->type == ROOST_V_TIME || b->type == ROOST_V_INT)) {
        *out = (a->u.i > b->u.i) - (a->u.i < b->u.i);
        return true;
    }
    if (a->type != b->type) {
        return false;
    }
    switch (a->type) {
    case ROOST_V_STRING:
        *out = cmp_str(a->u.s, b->u.s);
        return true;
    case ROOST_V_BOOL:
        *out = (int)a->u.b - (int)b->u.b;
        return true;
    default:
        return false;
    }
}

static int type_rank(uint8_t t)
{
    switch (t) {
    case ROOST_V_NULL:
        return 0;
    case ROOST_V_BOOL:
        return 1;
    case ROOST_V_INT:
    case ROOST_V_DOUBLE:
        return 2;
    case ROOST_V_TIME:
        return 3;
    default:
        return 4;
    }
}

int roost_value_cmp(const struct roost_value *a, const struct roost_value *b)
{
    int ra = type_rank(a->type), rb = type_rank(b->type);
    if (ra != rb) {
        return ra < rb ? -1 : 1;
    }
    switch (ra) {
    case 0:
        return 0;
    case 1:
        return (int)a->u.b - (int)b->u.b;
    case 2:
        return cmp_num(a, b);
    case 3:
        return (a->u.i > b->u.i) - (a->u.i < b->u.i);
    default:
        return cmp_str(a->u.s, b->u.s);
    }
}

/* ------------------------------------------------------------ to text */

static int to_text(const struct roost_value *v, struct roost_arena *a,
                   struct roost_str *out)
{
    char buf[64];
    size_t n;
    switch (v->type) {
    case ROOST_V_STRING:
        *out = v->u.s;
        return 0;
    case ROOST_V_BOOL:
        *out = v->u.b ? ROOST_STR_LIT("true") : ROOST_STR_LIT("false");
        return 0;
    case ROOST_V_INT:
        n = (size_t)snprintf(buf, sizeof(buf), "%" PRId64, v->u.i);
        break;
    case ROOST_V_DOUBLE: {
        int prec = 15;
        do {
            n = (size_t)snprintf(buf, sizeof(buf), "%.*g", prec, v->u.d);
        } while (prec++ < 17 && strtod(buf, NULL) != v->u.d);
        break;
    }
    case ROOST_V_TIME:
        n = roost__query_format_time(v->u.i, buf, sizeof(buf));
        break;
    default:
        *out = ROOST_STR_NULL;
        return 0;
    }
    if (a == NULL) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    char *d = roost_arena_dup(a, buf, n);
    if (d == NULL) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    *out = roost_str_make(d, n);
    return 0;
}

/* -------------------------------------------------------------- casting */

static void cast_value(const struct roost_value *v, uint8_t to,
                       struct roost_value *out)
{
    char buf[64];
    *out = roost_value_null();
    if (v->type == ROOST_V_NULL) {
        return;
    }
    if (v->type == ROOST_V_STRING && to != ROOST_V_STRING) {
        if (v->u.s.len == 0 || v->u.s.len >= sizeof(buf)) {
            return;
        }
        memcpy(buf, v->u.s.ptr, v->u.s.len);
        buf[v->u.s.len] = '\0';
    }
    switch (to) {
    case ROOST_V_INT:
        if (v->type == ROOST_V_INT || v->type == ROOST_V_TIME) {
            *out = roost_value_int(v->u.i);
        } else if (v->type == ROOST_V_BOOL) {
            *out = roost_value_int(v->u.b);
        } else if (v->type == ROOST_V_DOUBLE) {
            if (v->u.d >= -9223372036854775808.0 &&
                v->u.d < 9223372036854775808.0) {
                *out = roost_value_int((int64_t)v->u.d);
            }
        } else if (v->type == ROOST_V_STRING) {
            char *end;
            errno = 0;
            long long x = strtoll(buf, &end, 10);
            if (errno == 0 && *end == '\0' && end != buf) {
                *out = roost_value_int(x);
            } else {
                double d = strtod(buf, &end);
                if (*end == '\0' && d >= -9223372036854775808.0 &&
                    d < 9223372036854775808.0) {
                    *out = roost_value_int((int64_t)d);
                }
            }
        }
        return;
    case ROOST_V_DOUBLE:
        if (v->type == ROOST_V_INT || v->type == ROOST_V_TIME) {
            *out = roost_value_double((double)v->u.i);
        } else if (v->type == ROOST_V_BOOL) {
            *out = roost_value_double(v->u.b);
        } else if (v->type == ROOST_V_DOUBLE) {
            *out = *v;
        } else if (v->type == ROOST_V_STRING) {
            char *end;
            double d = strtod(buf, &end);
            if (*end == '\0' && end != buf) {
                *out = roost_value_double(d);
            }
        }
        return;
    case ROOST_V_BOOL:
        if (v->type == ROOST_V_BOOL) {
            *out = *v;
        } else if (v->type == ROOST_V_INT) {
            *out = roost_value_bool(v->u.i != 0);
        } else if (v->type == ROOST_V_DOUBLE) {
            *out = roost_value_bool(v->u.d != 0);
        } else if (v->type == ROOST_V_STRING) {
            struct roost_str s = v->u.s;
            if (roost_str_ieq_ascii(s, ROOST_STR_LIT("true")) ||
                roost_str_eq_cstr(s, "1")) {
                *out = roost_value_bool(true);
            } else if (roost_str_ieq_ascii(s, ROOST_STR_LIT("false")) ||
                       roost_str_eq_cstr(s, "0")) {
                *out = roost_value_bool(false);
            }
        }
        return;
    case ROOST_V_TIME:
        if (v->type == ROOST_V_INT || v->type == ROOST_V_TIME) {
            *out = roost_value_time(v->u.i);
        } else if (v->type == ROOST_V_STRING) {
            int64_t ms;
            if (roost__query_parse_time(v->u.s.ptr, v->u.s.len, &ms)) {
                *out = roost_value_time(ms);
            }
        }
        return;
    default:
        return;
    }
}

/* ------------------------------------------------------------ arithmetic */

static void arith(uint8_t op, const struct roost_value *a,
                  const struct roost_value *b, struct roost_value *out)
{
    *out = roost_value_null();
    if (a->type == ROOST_V_NULL || b->type == ROOST_V_NULL) {
        return;
    }
    bool ai = a->type == ROOST_V_INT, bi = b->type == ROOST_V_INT;
    bool at = a->type == ROOST_V_TIME, bt = b->type == ROOST_V_TIME;
    if (at || bt) {
        int64_t r;
        if (op == ROOST_OP_ADD && ((at && bi) || (ai && bt))) {
            if (!__builtin_add_overflow(a->u.i, b->u.i, &r)) {
                *out = roost_value_time(r);
            }
        } else if (op == ROOST_OP_SUB && at && (bi || bt)) {
            if (!__builtin_sub_overflow(a->u.i, b->u.i, &r)) {
                *out = bt ? roost_value_int(r) : roost_value_time(r);
            }
        }
        return;
    }
    if (ai && bi) {
        int64_t x = a->u.i, y = b->u.i, r;
        bool ovf = false;
        switch (op) {
        case ROOST_OP_ADD:
            ovf = __builtin_add_overflow(x, y, &r);
            break;
        case ROOST_OP_SUB:
            ovf = __builtin_sub_overflow(x, y, &r);
            break;
        case ROOST_OP_MUL:
            ovf = __builtin_mul_overflow(x, y, &r);
            break;
        case ROOST_OP_DIV:
            ovf = y == 0 || (x == INT64_MIN && y == -1);
            r = ovf ? 0 : x / y;
            break;
        case ROOST_OP_MOD:
            ovf = y == 0;
            r = ovf || y == -1 ? 0 : x % y;
            break;
        default:
            return;
        }
        if (!ovf) {
            *out = roost_value_int(r);
        }
        return;
    }
    if (!is_num(a->type) || !is_num(b->type)) {
        return;
    }
    double x = ai ? (double)a->u.i : a->u.d;
    double y = bi ? (double)b->u.i : b->u.d;
    switch (op) {
    case ROOST_OP_ADD:
        *out = roost_value_double(x + y);
        return;
    case ROOST_OP_SUB:
        *out = roost_value_double(x - y);
        return;
    case ROOST_OP_MUL:
        *out = roost_value_double(x * y);
        return;
    case ROOST_OP_DIV:
        if (y != 0) {
            *out = roost_value_double(x / y);
        }
        return;
    case ROOST_OP_MOD:
        if (y != 0) {
            *out = roost_value_double(fmod(x, y));
        }
        return;
    default:
        return;
    }
}

/* ------------------------------------------------------------ evaluation */

static int eval(const struct roost_expr *e, const struct roost_value *row,
                struct roost_value *out, struct roost_arena *scratch);

static int eval_cmp(uint8_t op, const struct roost_value *a,
                    const struct roost_value *b, struct roost_value *out)
{
    int c;
    if (!cmp3(a, b, &c)) {
        *out = roost_value_null();
        return 0;
    }
    bool r;
    switch (op) {
    case ROOST_OP_EQ:
        r = c == 0;
        break;
    case ROOST_OP_NE:
        r = c != 0;
        break;
    case ROOST_OP_LT:
        r = c < 0;
        break;
    case ROOST_OP_LE:
        r = c <= 0;
        break;
    case ROOST_OP_GT:
        r = c > 0;
        break;
    default:
        r = c >= 0;
        break;
    }
    *out = roost_value_bool(r);
    return 0;
}

static int eval_logic(const struct roost_expr *e, const struct roost_value *row,
                      struct roost_value *out, struct roost_arena *scratch)
{
    bool is_and = e->op == ROOST_OP_AND;
    struct roost_value a, b;
    int rc = eval(e->args[0], row, &a, scratch);
    if (rc < 0) {
        return rc;
    }
    /* FALSE AND x = FALSE, TRUE OR x = TRUE, whatever x is. */
    if (a.type == ROOST_V_BOOL && a.u.b != is_and) {
        *out = a;
        return 0;
    }
    rc = eval(e->args[1], row, &b, scratch);
    if (rc < 0) {
        return rc;
    }
    if (b.type == ROOST_V_BOOL && b.u.b != is_and) {
        *out = b;
        return 0;
    }
    if (a.type == ROOST_V_BOOL && b.type == ROOST_V_BOOL) {
        *out = roost_value_bool(is_and);
    } else {
        *out = roost_value_null();
    }
    return 0;
}

static int eval_concat(const struct roost_expr *e,
                       const struct roost_value *row, bool skip_null,
                       struct roost_value *out, struct roost_arena *scratch)
{
    struct roost_str parts[2];
    struct roost_str *ps = parts;
    uint32_t n = e->n_args;
    if (n > 2) {
        if (scratch == NULL) {
            return ROOST_ERR(ROOST_ELIMIT);
        }
        ps = roost_arena_alloc(scratch, n * sizeof(*ps));
        if (ps == NULL) {
            return ROOST_ERR(ROOST_ELIMIT);
        }
    }
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++) {
        struct roost_value v;
        int rc = eval(e->args[i], row, &v, scratch);
        if (rc == 0) {
            rc = to_text(&v, scratch, &ps[i]);
        }
        if (rc < 0) {
            return rc;
        }
        if (v.type == ROOST_V_NULL && !skip_null) {
            *out = roost_value_null();
            return 0;
        }
        total += ps[i].len;
    }
    if (n == 1 || (n == 2 && ps[1].len == 0)) {
        *out = roost_value_str(ps[0].ptr ? ps[0] : ROOST_STR_LIT(""));
        return 0;
    }
    if (scratch == NULL) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    char *d = roost_arena_alloc(scratch, total + 1);
    if (d == NULL) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    size_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (ps[i].len > 0) {
            memcpy(d + k, ps[i].ptr, ps[i].len);
            k += ps[i].len;
        }
    }
    d[k] = '\0';
    *out = roost_value_str(roost_str_make(d, k));
    return 0;
}

static int eval_words(const struct roost_expr *e, const struct roost_value *row,
                      bool phrase, struct roost_value *out,
                      struct roost_arena *scratch)
{
    struct roost_value t, q;
    int rc = eval(e->args[0], row, &t, scratch);
    if (rc < 0) {
        return rc;
    }
    if (t.type != ROOST_V_STRING) {
        *out = roost_value_null();
        return 0;
    }
    const struct needle *nd = e->aux;
    struct needle local;
    if (nd == NULL) {
        rc = eval(e->args[1], row, &q, scratch);
        if (rc < 0) {
            return rc;
        }
        if (q.type != ROOST_V_STRING) {
            *out = roost_value_null();
            return 0;
        }
        rc = make_needle(q.u.s, scratch, &local);
        if (rc < 0) {
            return rc;
        }
        nd = &local;
    }
    *out = roost_value_bool(words_match(t.u.s, nd, phrase));
    return 0;
}

static int eval_like(const struct roost_expr *e, const struct roost_value *row,
                     struct roost_value *out, struct roost_arena *scratch)
{
    struct roost_value s, p, esc = roost_value_null();
    int rc = eval(e->args[0], row, &s, scratch);
    if (rc == 0) {
        rc = eval(e->args[1], row, &p, scratch);
    }
    if (rc == 0 && e->n_args == 3) {
        rc = eval(e->args[2], row, &esc, scratch);
    }
    if (rc < 0) {
        return rc;
    }
    *out = roost_value_null();
    if (s.type != ROOST_V_STRING || p.type != ROOST_V_STRING) {
        return 0;
    }
    uint32_t esc_cp = 0;
    if (e->n_args == 3) {
        if (esc.type != ROOST_V_STRING || esc.u.s.len == 0) {
            return 0;
        }
        dec(esc.u.s.ptr, esc.u.s.len, &esc_cp);
    }
    bool m = like_match(s.u.s, p.u.s, e->n_args == 3, esc_cp);
    *out = roost_value_bool(m != e->negated);
    return 0;
}

static int eval_in(const struct roost_expr *e, const struct roost_value *row,
                   struct roost_value *out, struct roost_arena *scratch)
{
    struct roost_value x;
    int rc = eval(e->args[0], row, &x, scratch);
    if (rc < 0) {
        return rc;
    }
    *out = roost_value_null();
    if (x.type == ROOST_V_NULL) {
        return 0;
    }
    bool saw_null = false;
    for (uint32_t i = 1; i < e->n_args; i++) {
        struct roost_value v;
        rc = eval(e->args[i], row, &v, scratch);
        if (rc < 0) {
            return rc;
        }
        int c;
        if (!cmp3(&x, &v, &c)) {
            saw_null = true;
        } else if (c == 0) {
            *out = roost_value_bool(!e->negated);
            return 0;
        }
    }
    if (!saw_null) {
        *out = roost_value_bool(e->negated);
    }
    return 0;
}

static int eval_between(const struct roost_expr *e,
                        const struct roost_value *row, struct roost_value *out,
                        struct roost_arena *scratch)
{
    struct roost_value x, lo, hi, a, b;
    int rc = eval(e->args[0], row, &x, scratch);
    if (rc == 0) {
        rc = eval(e->args[1], row, &lo, scratch);
    }
    if (rc == 0) {
        rc = eval(e->args[2], row, &hi, scratch);
    }
    if (rc < 0) {
        return rc;
    }
    eval_cmp(ROOST_OP_GE, &x, &lo, &a);
    eval_cmp(ROOST_OP_LE, &x, &hi, &b);
    /* a AND b in three-valued logic, then NOT for NOT BETWEEN. */
    if ((a.type == ROOST_V_BOOL && !a.u.b) ||
        (b.type == ROOST_V_BOOL && !b.u.b)) {
        *out = roost_value_bool(e->negated);
    } else if (a.type == ROOST_V_BOOL && b.type == ROOST_V_BOOL) {
        *out = roost_value_bool(!e->negated);
    } else {
        *out = roost_value_null();
    }
    return 0;
}

static int eval_case(const struct roost_expr *e, const struct roost_value *row,
                     struct roost_value *out, struct roost_arena *scratch)
{
    uint32_t i = 0;
    struct roost_value operand = roost_value_null();
    int rc;
    if (e->has_operand) {
        rc = eval(e->args[i++], row, &operand, scratch);
        if (rc < 0) {
            return rc;
        }
    }
    uint32_t end = e->n_args - (e->has_else ? 1 : 0);
    for (; i < end; i += 2) {
        struct roost_value w;
        rc = eval(e->args[i], row, &w, scratch);
        if (rc < 0) {
            return rc;
        }
        bool hit;
        if (e->has_operand) {
            int c;
            hit = cmp3(&operand, &w, &c) && c == 0;
        } else {
            hit = roost_value_is_true(&w);
        }
        if (hit) {
            return eval(e->args[i + 1], row, out, scratch);
        }
    }
    if (e->has_else) {
        return eval(e->args[e->n_args - 1], row, out, scratch);
    }
    *out = roost_value_null();
    return 0;
}

static int eval_call(const struct roost_expr *e, const struct roost_value *row,
                     struct roost_value *out, struct roost_arena *scratch)
{
    struct roost_value v;
    int rc;
    switch (e->func) {
    case ROOST_FUNC_COALESCE:
        for (uint32_t i = 0; i < e->n_args; i++) {
            rc = eval(e->args[i], row, out, scratch);
            if (rc < 0 || out->type != ROOST_V_NULL) {
                return rc;
            }
        }
        return 0;
    case ROOST_FUNC_CONCAT:
        return eval_concat(e, row, true, out, scratch);
    case ROOST_FUNC_CONTAINS:
        return eval_words(e, row, true, out, scratch);
    default:
        break;
    }
    rc = eval(e->args[0], row, &v, scratch);
    if (rc < 0) {
        return rc;
    }
    *out = roost_value_null();
    switch (e->func) {
    case ROOST_FUNC_LOWER:
    case ROOST_FUNC_UPPER:
        if (v.type == ROOST_V_STRING) {
            return map_case(v.u.s, e->func == ROOST_FUNC_UPPER, scratch, out);
        }
        return 0;
    case ROOST_FUNC_LENGTH:
        if (v.type == ROOST_V_STRING) {
            size_t n = 0;
            for (size_t i = 0; i < v.u.s.len; n++) {
                uint32_t cp;
                i += dec(v.u.s.ptr + i, v.u.s.len - i, &cp);
            }
            *out = roost_value_int((int64_t)n);
        }
        return 0;
    case ROOST_FUNC_ABS:
        if (v.type == ROOST_V_INT && v.u.i != INT64_MIN) {
            *out = roost_value_int(v.u.i < 0 ? -v.u.i : v.u.i);
        } else if (v.type == ROOST_V_DOUBLE) {
            *out = roost_value_double(fabs(v.u.d));
        }
        return 0;
    default:
        return 0;
    }
}

static int eval(const struct roost_expr *e, const struct roost_value *row,
                struct roost_value *out, struct roost_arena *scratch)
{
    struct roost_value a, b;
    int rc;
    switch (e->kind) {
    case ROOST_EXPR_LITERAL:
        *out = e->lit;
        return 0;
    case ROOST_EXPR_COLUMN:
    case ROOST_EXPR_SLOT:
    case ROOST_EXPR_AGG:
        assert(e->col >= 0);
        *out = row[e->col];
        return 0;
    case ROOST_EXPR_UNARY:
        rc = eval(e->args[0], row, &a, scratch);
        if (rc < 0) {
            return rc;
        }
        *out = roost_value_null();
        if (e->op == ROOST_OP_NOT) {
            if (a.type == ROOST_V_BOOL) {
                *out = roost_value_bool(!a.u.b);
            }
        } else if (a.type == ROOST_V_INT && a.u.i != INT64_MIN) {
            *out = roost_value_int(-a.u.i);
        } else if (a.type == ROOST_V_DOUBLE) {
            *out = roost_value_double(-a.u.d);
        }
        return 0;
    case ROOST_EXPR_BINARY:
        if (e->op == ROOST_OP_AND || e->op == ROOST_OP_OR) {
            return eval_logic(e, row, out, scratch);
        }
        if (e->op == ROOST_OP_CONCAT) {
            return eval_concat(e, row, false, out, scratch);
        }
        rc = eval(e->args[0], row, &a, scratch);
        if (rc == 0) {
            rc = eval(e->args[1], row, &b, scratch);
        }
        if (rc < 0) {
            return rc;
        }
        if (e->op >= ROOST_OP_EQ && e->op <= ROOST_OP_GE) {
            return eval_cmp(e->op, &a, &b, out);
        }
        arith(e->op, &a, &b, out);
        return 0;
    case ROOST_EXPR_IS_NULL:
        rc = eval(e->args[0], row, &a, scratch);
        if (rc < 0) {
            return rc;
        }
        *out = roost_value_bool((a.type == ROOST_V_NULL) != e->negated);
        return 0;
    case ROOST_EXPR_IN:
        return eval_in(e, row, out, scratch);
    case ROOST_EXPR_BETWEEN:
        return eval_between(e, row, out, scratch);
    case ROOST_EXPR_LIKE:
        return eval_like(e, row, out, scratch);
    case ROOST_EXPR_MATCH:
        return eval_words(e, row, false, out, scratch);
    case ROOST_EXPR_CASE:
        return eval_case(e, row, out, scratch);
    case ROOST_EXPR_CAST:
        rc = eval(e->args[0], row, &a, scratch);
        if (rc < 0) {
            return rc;
        }
        if (e->cast_type == ROOST_V_STRING) {
            if (a.type == ROOST_V_NULL) {
                *out = a;
                return 0;
            }
            struct roost_str s;
            rc = to_text(&a, scratch, &s);
            if (rc < 0) {
                return rc;
            }
            *out = roost_value_str(s);
            return 0;
        }
        cast_value(&a, e->cast_type, out);
        return 0;
    case ROOST_EXPR_CALL:
        return eval_call(e, row, out, scratch);
    default:
        *out = roost_value_null();
        return 0;
    }
}

int roost_expr_eval(const struct roost_expr *e, const struct roost_value *row,
                    struct roost_value *out, struct roost_arena *scratch)
{
    int rc = eval(e, row, out, scratch);
    if (rc < 0) {
        *out = roost_value_null();
    }
    return rc;
}

/* --------------------------------------------------------------- binding */

struct binder {
    struct roost_query *q; /* NULL for a lone expression */
    struct roost_arena *arena;
    const struct roost_schema *schema;
    struct roost_diag *diag;
    bool allow_alias; /* ORDER BY, HAVING: names may be select aliases */
};

static int bind_error(struct binder *b, struct roost_pos pos, const char *fmt,
                      ...) ROOST_PRINTF(3, 4);

static int bind_error(struct binder *b, struct roost_pos pos, const char *fmt,
                      ...)
{
    char msg[sizeof(b->diag->msg)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return roost__query_error(b->diag, ROOST_ERR(ROOST_EPARSE), pos, "%s", msg);
}

static int find_col(const struct roost_schema *s, struct roost_str name)
{
    for (uint32_t i = 0; i < s->n_cols; i++) {
        if (roost_str_eq_cstr(name, s->cols[i].name)) {
            return (int)i;
        }
    }
    return -1;
}

static bool is_window_name(struct roost_str n, uint8_t *op)
{
    if (roost_str_eq_cstr(n, "window_start")) {
        *op = ROOST_OP_WSTART;
        return true;
    }
    if (roost_str_eq_cstr(n, "window_end")) {
        *op = ROOST_OP_WEND;
        return true;
    }
    return false;
}

static int unknown_column(struct binder *b, const struct roost_expr *e)
{
    const struct roost_schema *s = b->schema;
    int n = e->name.len > 40 ? 40 : (int)e->name.len;
    const char *sname = s->name ? s->name : "the stream";
    const char **names =
        roost_arena_alloc(b->arena, (s->n_cols + 1) * sizeof(*names));
    const char *hint = NULL;
    if (names != NULL) {
        for (uint32_t i = 0; i < s->n_cols; i++) {
            names[i] = s->cols[i].name;
        }
        names[s->n_cols] = NULL;
        hint = roost__query_suggest(e->name.ptr, e->name.len, names);
    }
    if (hint != NULL) {
        return bind_error(b, e->pos,
                          "unknown column '%.*s' in %s; did you mean '%s'?", n,
                          e->name.ptr, sname, hint);
    }
    return bind_error(b, e->pos, "unknown column '%.*s' in %s", n, e->name.ptr,
                      sname);
}

/* The type both a and b fit in (NULL fits anything), or false. */
static bool unify(uint8_t a, uint8_t b, uint8_t *out)
{
    if (a == ROOST_V_NULL || a == b) {
        *out = b;
        return true;
    }
    if (b == ROOST_V_NULL) {
        *out = a;
        return true;
    }
    if (is_num(a) && is_num(b)) {
        *out = ROOST_V_DOUBLE;
        return true;
    }
    return false;
}

static bool comparable(uint8_t a, uint8_t b)
{
    uint8_t u;
    if (unify(a, b, &u)) {
        return true;
    }
    return (a == ROOST_V_TIME && b == ROOST_V_INT) ||
           (a == ROOST_V_INT && b == ROOST_V_TIME);
}

/* A string literal compared with a TIMESTAMP becomes a TIME literal. */
static void coerce_time_literal(struct roost_expr *lit, uint8_t other)
{
    int64_t ms;
    if (other == ROOST_V_TIME && lit->kind == ROOST_EXPR_LITERAL &&
        lit->lit.type == ROOST_V_STRING &&
        roost__query_parse_time(lit->lit.u.s.ptr, lit->lit.u.s.len, &ms)) {
        lit->lit = roost_value_time(ms);
        lit->type = ROOST_V_TIME;
    }
}

static int want_type(struct binder *b, const struct roost_expr *e, uint8_t want,
                     const char *what)
{
    if (e->type == ROOST_V_NULL || e->type == want ||
        (want == ROOST_V_DOUBLE && is_num(e->type))) {
        return 0;
    }
    return bind_error(b, e->pos, "%s needs %s, not %s", what,
                      want == ROOST_V_DOUBLE ? "a number"
                                             : roost_vtype_name(want),
                      roost_vtype_name(e->type));
}

static int bind_needle(struct binder *b, struct roost_expr *e)
{
    const struct roost_expr *q = e->args[1];
    if (q->kind != ROOST_EXPR_LITERAL || q->lit.type != ROOST_V_STRING) {
        return 0;
    }
    struct needle *nd = roost_arena_alloc(b->arena, sizeof(*nd));
    if (nd == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    int rc = make_needle(q->lit.u.s, b->arena, nd);
    if (rc < 0) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    if (nd->n == 0) {
        return bind_error(b, q->pos, "%s needs at least one word",
                          e->kind == ROOST_EXPR_MATCH ? "MATCH" : "CONTAINS");
    }
    if (e->kind == ROOST_EXPR_MATCH && nd->n > MATCH_MAX_WORDS) {
        return bind_error(b, q->pos, "MATCH query has more than %d words",
                          MATCH_MAX_WORDS);
    }
    e->aux = nd;
    return 0;
}

static const char *op_name(uint8_t op)
{
    static const char *const names[] = {
        [ROOST_OP_ADD] = "+", [ROOST_OP_SUB] = "-",     [ROOST_OP_MUL] = "*",
        [ROOST_OP_DIV] = "/", [ROOST_OP_MOD] = "%",     [ROOST_OP_EQ] = "=",
        [ROOST_OP_NE] = "<>", [ROOST_OP_LT] = "<",      [ROOST_OP_LE] = "<=",
        [ROOST_OP_GT] = ">",  [ROOST_OP_GE] = ">=",     [ROOST_OP_AND] = "AND",
        [ROOST_OP_OR] = "OR", [ROOST_OP_CONCAT] = "||",
    };
    return op < sizeof(names) / sizeof(names[0]) && names[op] ? names[op] : "?";
}

/* Type e from its (already typed) children; errors for bad operands. */
static int type_node(struct binder *b, struct roost_expr *e)
{
    struct roost_expr **a = e->args;
    uint8_t t;
    int rc;
    switch (e->kind) {
    case ROOST_EXPR_LITERAL:
        e->type = e->lit.type;
        return 0;
    case ROOST_EXPR_UNARY:
        if (e->op == ROOST_OP_NOT) {
            e->type = ROOST_V_BOOL;
            return want_type(b, a[0], ROOST_V_BOOL, "NOT");
        }
        e->type = a[0]->type;
        return want_type(b, a[0], ROOST_V_DOUBLE, "unary '-'");
    case ROOST_EXPR_BINARY: {
        uint8_t l = a[0]->type, r = a[1]->type;
        switch (e->op) {
        case ROOST_OP_AND:
        case ROOST_OP_OR:
            e->type = ROOST_V_BOOL;
            rc = want_type(b, a[0], ROOST_V_BOOL, op_name(e->op));
            return rc < 0 ? rc
                          : want_type(b, a[1], ROOST_V_BOOL, op_name(e->op));
        case ROOST_OP_CONCAT:
            e->type = ROOST_V_STRING;
            return 0;
        case ROOST_OP_EQ:
        case ROOST_OP_NE:
        case ROOST_OP_LT:
        case ROOST_OP_LE:
        case ROOST_OP_GT:
        case ROOST_OP_GE:
            coerce_time_literal(a[0], r);
            coerce_time_literal(a[1], l);
            l = a[0]->type;
            r = a[1]->type;
            e->type = ROOST_V_BOOL;
            if (!comparable(l, r)) {
                return bind_error(b, e->pos, "cannot compare %s with %s",
                                  roost_vtype_name(l), roost_vtype_name(r));
            }
            return 0;
        default:
            break;
        }
        /* arithmetic */
        if (l == ROOST_V_NULL || r == ROOST_V_NULL) {
            e->type = ROOST_V_NULL;
            if ((l == ROOST_V_NULL || is_num(l) || l == ROOST_V_TIME) &&
                (r == ROOST_V_NULL || is_num(r) || r == ROOST_V_TIME)) {
                e->type = is_num(l) ? l : is_num(r) ? r : ROOST_V_NULL;
                return 0;
            }
        } else if (is_num(l) && is_num(r)) {
            e->type = l == ROOST_V_INT && r == ROOST_V_INT ? ROOST_V_INT
                                                           : ROOST_V_DOUBLE;
            return 0;
        } else if (e->op == ROOST_OP_ADD &&
                   ((l == ROOST_V_TIME && r == ROOST_V_INT) ||
                    (l == ROOST_V_INT && r == ROOST_V_TIME))) {
            e->type = ROOST_V_TIME;
            return 0;
        } else if (e->op == ROOST_OP_SUB && l == ROOST_V_TIME &&
                   (r == ROOST_V_INT || r == ROOST_V_TIME)) {
            e->type = r == ROOST_V_TIME ? ROOST_V_INT : ROOST_V_TIME;
            return 0;
        }
        return bind_error(b, e->pos, "cannot apply '%s' to %s and %s",
                          op_name(e->op), roost_vtype_name(l),
                          roost_vtype_name(r));
    }
    case ROOST_EXPR_IS_NULL:
        e->type = ROOST_V_BOOL;
        return 0;
    case ROOST_EXPR_IN:
        e->type = ROOST_V_BOOL;
        for (uint32_t i = 1; i < e->n_args; i++) {
            coerce_time_literal(a[i], a[0]->type);
            if (!comparable(a[0]->type, a[i]->type)) {
                return bind_error(
                    b, a[i]->pos, "IN list item is %s, the value is %s",
                    roost_vtype_name(a[i]->type), roost_vtype_name(a[0]->type));
            }
        }
        return 0;
    case ROOST_EXPR_BETWEEN:
        e->type = ROOST_V_BOOL;
        for (uint32_t i = 1; i < 3; i++) {
            coerce_time_literal(a[i], a[0]->type);
            if (!comparable(a[0]->type, a[i]->type)) {
                return bind_error(b, a[i]->pos, "cannot compare %s with %s",
                                  roost_vtype_name(a[0]->type),
                                  roost_vtype_name(a[i]->type));
            }
        }
        return 0;
    case ROOST_EXPR_LIKE:
        e->type = ROOST_V_BOOL;
        for (uint32_t i = 0; i < e->n_args; i++) {
            rc = want_type(b, a[i], ROOST_V_STRING, "LIKE");
            if (rc < 0) {
                return rc;
            }
        }
        if (e->n_args == 3 && a[2]->kind == ROOST_EXPR_LITERAL &&
            a[2]->lit.type == ROOST_V_STRING &&
            roost_utf8_count(a[2]->lit.u.s.ptr, a[2]->lit.u.s.len) != 1) {
            return bind_error(b, a[2]->pos,
                              "ESCAPE needs exactly one character");
        }
        return 0;
    case ROOST_EXPR_MATCH:
        e->type = ROOST_V_BOOL;
        rc = want_type(b, a[0], ROOST_V_STRING, "MATCH");
        if (rc == 0) {
            rc = want_type(b, a[1], ROOST_V_STRING, "MATCH");
        }
        return rc < 0 ? rc : bind_needle(b, e);
    case ROOST_EXPR_CASE: {
        uint32_t i = e->has_operand ? 1 : 0;
        uint32_t end = e->n_args - (e->has_else ? 1 : 0);
        t = ROOST_V_NULL;
        for (; i < end; i += 2) {
            if (e->has_operand) {
                coerce_time_literal(a[i], a[0]->type);
                if (!comparable(a[0]->type, a[i]->type)) {
                    return bind_error(b, a[i]->pos, "CASE compares %s with %s",
                                      roost_vtype_name(a[0]->type),
                                      roost_vtype_name(a[i]->type));
                }
            } else {
                rc = want_type(b, a[i], ROOST_V_BOOL, "WHEN");
                if (rc < 0) {
                    return rc;
                }
            }
            if (!unify(t, a[i + 1]->type, &t)) {
                return bind_error(
                    b, a[i + 1]->pos, "CASE results mix %s and %s",
                    roost_vtype_name(t), roost_vtype_name(a[i + 1]->type));
            }
        }
        if (e->has_else && !unify(t, a[e->n_args - 1]->type, &t)) {
            return bind_error(b, a[e->n_args - 1]->pos,
                              "CASE results mix %s and %s", roost_vtype_name(t),
                              roost_vtype_name(a[e->n_args - 1]->type));
        }
        e->type = t;
        return 0;
    }
    case ROOST_EXPR_CAST:
        e->type = e->cast_type;
        return 0;
    case ROOST_EXPR_CALL:
        switch (e->func) {
        case ROOST_FUNC_LOWER:
        case ROOST_FUNC_UPPER:
            e->type = ROOST_V_STRING;
            return want_type(b, a[0], ROOST_V_STRING, roost_func_name(e->func));
        case ROOST_FUNC_LENGTH:
            e->type = ROOST_V_INT;
            return want_type(b, a[0], ROOST_V_STRING, "LENGTH");
        case ROOST_FUNC_ABS:
            e->type = a[0]->type;
            return want_type(b, a[0], ROOST_V_DOUBLE, "ABS");
        case ROOST_FUNC_CONCAT:
            e->type = ROOST_V_STRING;
            return 0;
        case ROOST_FUNC_CONTAINS:
            e->type = ROOST_V_BOOL;
            rc = want_type(b, a[0], ROOST_V_STRING, "CONTAINS");
            if (rc == 0) {
                rc = want_type(b, a[1], ROOST_V_STRING, "CONTAINS");
            }
            return rc < 0 ? rc : bind_needle(b, e);
        case ROOST_FUNC_COALESCE:
            t = ROOST_V_NULL;
            for (uint32_t i = 0; i < e->n_args; i++) {
                if (!unify(t, a[i]->type, &t)) {
                    return bind_error(b, a[i]->pos, "COALESCE mixes %s and %s",
                                      roost_vtype_name(t),
                                      roost_vtype_name(a[i]->type));
                }
            }
            e->type = t;
            return 0;
        default:
            return 0;
        }
    case ROOST_EXPR_AGG:
        switch (e->agg) {
        case ROOST_AGG_COUNT:
        case ROOST_AGG_APPROX_DISTINCT:
            e->type = ROOST_V_INT;
            return 0;
        case ROOST_AGG_SUM:
            e->type = a[0]->type == ROOST_V_INT ? ROOST_V_INT : ROOST_V_DOUBLE;
            return want_type(b, a[0], ROOST_V_DOUBLE, "SUM");
        case ROOST_AGG_AVG:
            e->type = ROOST_V_DOUBLE;
            return want_type(b, a[0], ROOST_V_DOUBLE, "AVG");
        case ROOST_AGG_MIN:
        case ROOST_AGG_MAX:
            e->type = a[0]->type;
            return 0;
        default:
            e->type = ROOST_V_STRING;
            return 0;
        }
    default:
        return 0;
    }
}

/* Structural equality, ignoring what bind sets. */
static bool expr_equal(const struct roost_expr *a, const struct roost_expr *b)
{
    if (a->kind == ROOST_EXPR_SLOT && a->n_args > 0) {
        a = a->args[0];
    }
    if (b->kind == ROOST_EXPR_SLOT && b->n_args > 0) {
        b = b->args[0];
    }
    if (a->kind != b->kind || a->op != b->op || a->func != b->func ||
        a->agg != b->agg || a->cast_type != b->cast_type ||
        a->negated != b->negated || a->distinct != b->distinct ||
        a->has_operand != b->has_operand || a->has_else != b->has_else ||
        a->interval != b->interval || a->n_args != b->n_args ||
        a->agg_k != b->agg_k) {
        return false;
    }
    if (a->kind == ROOST_EXPR_COLUMN && !roost_str_eq(a->name, b->name)) {
        return false;
    }
    if (a->kind == ROOST_EXPR_LITERAL) {
        /* Literals may have been coerced; compare as written types. */
        if (a->lit.type != b->lit.type) {
            return false;
        }
        switch (a->lit.type) {
        case ROOST_V_BOOL:
            if (a->lit.u.b != b->lit.u.b) {
                return false;
            }
            break;
        case ROOST_V_INT:
        case ROOST_V_TIME:
            if (a->lit.u.i != b->lit.u.i) {
                return false;
            }
            break;
        case ROOST_V_DOUBLE:
            if (memcmp(&a->lit.u.d, &b->lit.u.d, sizeof(double)) != 0) {
                return false;
            }
            break;
        case ROOST_V_STRING:
            if (!roost_str_eq(a->lit.u.s, b->lit.u.s)) {
                return false;
            }
            break;
        default:
            break;
        }
    }
    for (uint32_t i = 0; i < a->n_args; i++) {
        if (!expr_equal(a->args[i], b->args[i])) {
            return false;
        }
    }
    return true;
}

static int bind_stream(struct binder *b, struct roost_expr *e);

static int bind_column_stream(struct binder *b, struct roost_expr *e)
{
    int col = find_col(b->schema, e->name);
    if (col >= 0) {
        e->col = col;
        e->type = b->schema->cols[col].type;
        return 0;
    }
    if (b->allow_alias && b->q != NULL) {
        for (uint32_t i = 0; i < b->q->n_items; i++) {
            const struct roost_select_item *it = &b->q->items[i];
            if (it->alias.ptr != NULL && roost_str_eq(it->alias, e->name)) {
                /* Become a copy of the (bound) item: same col and type. */
                *e = *it->expr;
                return 0;
            }
        }
    }
    uint8_t op;
    if (is_window_name(e->name, &op)) {
        return bind_error(b, e->pos,
                          "%.*s exists only in a query grouped by a window, "
                          "outside WHERE and GROUP BY",
                          (int)e->name.len, e->name.ptr);
    }
    return unknown_column(b, e);
}

/* Bind over the stream row; aggregates are bound by bind_group. */
static int bind_stream(struct binder *b, struct roost_expr *e)
{
    if (e->kind == ROOST_EXPR_COLUMN) {
        return bind_column_stream(b, e);
    }
    if (e->kind == ROOST_EXPR_AGG) {
        return bind_error(b, e->pos, "aggregate %s is not allowed here",
                          roost_agg_name(e->agg));
    }
    if (e->kind == ROOST_EXPR_SLOT) {
        return 0; /* bound already (shared alias target) */
    }
    for (uint32_t i = 0; i < e->n_args; i++) {
        int rc = bind_stream(b, e->args[i]);
        if (rc < 0) {
            return rc;
        }
    }
    return type_node(b, e);
}

static int add_agg(struct binder *b, struct roost_expr *e)
{
    struct roost_query *q = b->q;
    for (uint32_t i = 0; i < q->n_aggs; i++) {
        if (expr_equal(q->aggs[i], e)) {
            e->slot = (int32_t)i;
            return 0;
        }
    }
    if (q->n_aggs >= ROOST_QUERY_MAX_LIST) {
        return roost__query_error(b->diag, ROOST_ERR(ROOST_ELIMIT), e->pos,
                                  "too many aggregates");
    }
    if (q->n_aggs % 8 == 0) {
        struct roost_expr **na =
            roost_arena_alloc(b->arena, (q->n_aggs + 8) * sizeof(*na));
        if (na == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        if (q->n_aggs > 0) {
            memcpy(na, q->aggs, q->n_aggs * sizeof(*na));
        }
        q->aggs = na;
    }
    e->slot = (int32_t)q->n_aggs;
    q->aggs[q->n_aggs++] = e;
    return 0;
}

static int make_slot(struct binder *b, struct roost_expr **ep, uint8_t op,
                     int32_t slot, uint8_t type)
{
    struct roost_expr *orig = *ep;
    struct roost_expr *s =
        roost__query_new_expr(b->q, ROOST_EXPR_SLOT, orig->pos);
    if (s == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    s->op = op;
    s->slot = slot;
    s->type = type;
    s->depth = orig->depth;
    if (op == ROOST_OP_NONE) {
        s->args = roost_arena_alloc(b->arena, sizeof(*s->args));
        if (s->args == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        s->args[0] = orig;
        s->n_args = 1;
        s->col = slot;
    }
    *ep = s;
    return 0;
}

/* Bind an output expression of a grouped query over the group row. */
static int bind_group(struct binder *b, struct roost_expr **ep)
{
    struct roost_expr *e = *ep;
    struct roost_query *q = b->q;
    int rc;
    if (e->kind == ROOST_EXPR_SLOT) {
        return 0;
    }
    if (e->kind == ROOST_EXPR_AGG) {
        for (uint32_t i = 0; i < e->n_args; i++) {
            rc = bind_stream(b, e->args[i]);
            if (rc < 0) {
                return rc;
            }
        }
        rc = type_node(b, e);
        return rc < 0 ? rc : add_agg(b, e);
    }
    for (uint32_t i = 0; i < q->n_keys; i++) {
        if (expr_equal(q->keys[i], e)) {
            return make_slot(b, ep, ROOST_OP_NONE, (int32_t)i,
                             q->keys[i]->type);
        }
    }
    if (e->kind == ROOST_EXPR_COLUMN) {
        if (b->allow_alias) {
            for (uint32_t i = 0; i < q->n_items; i++) {
                const struct roost_select_item *it = &q->items[i];
                if (it->alias.ptr != NULL && roost_str_eq(it->alias, e->name)) {
                    *ep = it->expr;
                    return 0;
                }
            }
        }
        uint8_t op;
        if (q->window.kind != ROOST_WINDOW_NONE &&
            is_window_name(e->name, &op)) {
            return make_slot(b, ep, op, -1, ROOST_V_TIME);
        }
        if (find_col(b->schema, e->name) >= 0) {
            return bind_error(b, e->pos,
                              "column '%.*s' must be in GROUP BY or inside "
                              "an aggregate",
                              (int)(e->name.len > 40 ? 40 : e->name.len),
                              e->name.ptr);
        }
        return bind_column_stream(b, e); /* reports the unknown column */
    }
    for (uint32_t i = 0; i < e->n_args; i++) {
        rc = bind_group(b, &e->args[i]);
        if (rc < 0) {
            return rc;
        }
    }
    return type_node(b, e);
}

/* Give AGG and window SLOT nodes their group-row column. */
static void fix_cols(struct roost_query *q, struct roost_expr *e)
{
    if (e->kind == ROOST_EXPR_AGG) {
        e->col = (int32_t)(q->n_keys + (uint32_t)e->slot);
        return;
    }
    if (e->kind == ROOST_EXPR_SLOT) {
        if (e->op == ROOST_OP_WSTART || e->op == ROOST_OP_WEND) {
            e->col = (int32_t)(q->n_keys + q->n_aggs +
                               (e->op == ROOST_OP_WEND ? 1 : 0));
        }
        return;
    }
    for (uint32_t i = 0; i < e->n_args; i++) {
        fix_cols(q, e->args[i]);
    }
}

static bool has_agg(const struct roost_expr *e)
{
    if (e->kind == ROOST_EXPR_AGG) {
        return true;
    }
    for (uint32_t i = 0; i < e->n_args; i++) {
        if (has_agg(e->args[i])) {
            return true;
        }
    }
    return false;
}

int roost_expr_bind(struct roost_expr *e, const struct roost_schema *schema,
                    struct roost_arena *arena, struct roost_diag *diag)
{
    struct binder b = {
        .arena = arena,
        .schema = schema,
        .diag = diag,
    };
    return bind_stream(&b, e);
}

static int expand_stars(struct binder *b)
{
    struct roost_query *q = b->q;
    uint32_t n = 0;
    for (uint32_t i = 0; i < q->n_items; i++) {
        if (!q->items[i].star) {
            n++;
            continue;
        }
        if (q->grouped) {
            return bind_error(b, q->items[i].pos,
                              "'*' cannot be used in a grouped query");
        }
        n += b->schema->n_cols;
    }
    if (n == q->n_items) {
        return 0;
    }
    if (n > ROOST_QUERY_MAX_LIST) {
        return roost__query_error(b->diag, ROOST_ERR(ROOST_ELIMIT),
                                  q->items[0].pos, "select list too long");
    }
    struct roost_select_item *items =
        roost_arena_alloc(b->arena, (size_t)n * sizeof(*items) + 1);
    if (items == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    uint32_t k = 0;
    for (uint32_t i = 0; i < q->n_items; i++) {
        if (!q->items[i].star) {
            items[k++] = q->items[i];
            continue;
        }
        for (uint32_t c = 0; c < b->schema->n_cols; c++) {
            struct roost_expr *col =
                roost__query_new_expr(q, ROOST_EXPR_COLUMN, q->items[i].pos);
            if (col == NULL) {
                return ROOST_ERR(ROOST_ENOMEM);
            }
            col->name = roost_str_cstr(b->schema->cols[c].name);
            memset(&items[k], 0, sizeof(items[k]));
            items[k].expr = col;
            items[k].pos = q->items[i].pos;
            k++;
        }
    }
    q->items = items;
    q->n_items = n;
    return 0;
}

static int name_items(struct binder *b)
{
    struct roost_query *q = b->q;
    struct roost_buf buf;
    roost_buf_init(&buf, ROOST_QUERY_MAX_BYTES * 2);
    int rc = 0;
    for (uint32_t i = 0; rc == 0 && i < q->n_items; i++) {
        struct roost_select_item *it = &q->items[i];
        const struct roost_expr *e = it->expr;
        if (it->alias.ptr != NULL) {
            it->name = it->alias;
            continue;
        }
        if (e->kind == ROOST_EXPR_SLOT && e->n_args > 0) {
            e = e->args[0];
        }
        if (e->kind == ROOST_EXPR_COLUMN) {
            it->name = e->name;
            continue;
        }
        roost_buf_reset(&buf);
        rc = roost_expr_print(it->expr, &buf);
        if (rc < 0) {
            break;
        }
        char *s = roost_arena_dup(b->arena, buf.ptr ? buf.ptr : "", buf.len);
        if (s == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            break;
        }
        it->name = roost_str_make(s, buf.len);
    }
    roost_buf_fini(&buf);
    return rc;
}

int roost_query_bind(struct roost_query *q, const struct roost_schema *schema,
                     struct roost_diag *diag)
{
    if (q->bound) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    struct binder b = {
        .q = q,
        .arena = &q->arena,
        .schema = schema,
        .diag = diag,
    };
    if (diag != NULL) {
        memset(diag, 0, sizeof(*diag));
    }
    enum roost_stream_table t;
    if (schema->name != NULL &&
        !roost_str_ieq_ascii(q->stream, roost_str_cstr(schema->name)) &&
        !(roost_stream_find(q->stream, &t) == 0 &&
          strcmp(roost_stream_name(t), schema->name) == 0)) {
        return bind_error(&b, q->stream_pos,
                          "query reads '%.*s' but is bound to stream '%s'",
                          (int)(q->stream.len > 40 ? 40 : q->stream.len),
                          q->stream.ptr, schema->name);
    }
    q->grouped = q->has_group_by || q->having != NULL;
    for (uint32_t i = 0; i < q->n_items; i++) {
        if (q->items[i].expr != NULL && has_agg(q->items[i].expr)) {
            q->grouped = true;
        }
    }
    for (uint32_t i = 0; i < q->n_order; i++) {
        if (has_agg(q->order[i].expr)) {
            q->grouped = true;
        }
    }
    int rc = expand_stars(&b);
    if (rc < 0) {
        return rc;
    }
    if (q->where != NULL) {
        rc = bind_stream(&b, q->where);
        if (rc == 0) {
            rc = want_type(&b, q->where, ROOST_V_BOOL, "WHERE");
        }
        if (rc < 0) {
            return rc;
        }
    }
    for (uint32_t i = 0; i < q->n_keys; i++) {
        rc = bind_stream(&b, q->keys[i]);
        if (rc < 0) {
            return rc;
        }
    }
    if (q->window.kind != ROOST_WINDOW_NONE) {
        rc = bind_stream(&b, q->window.time);
        if (rc == 0) {
            rc = want_type(&b, q->window.time, ROOST_V_TIME, "a window");
        }
        if (rc < 0) {
            return rc;
        }
    }
    for (uint32_t i = 0; i < q->n_items; i++) {
        rc = q->grouped ? bind_group(&b, &q->items[i].expr)
                        : bind_stream(&b, q->items[i].expr);
        if (rc < 0) {
            return rc;
        }
    }
    b.allow_alias = true;
    if (q->having != NULL) {
        rc = bind_group(&b, &q->having);
        if (rc == 0) {
            rc = want_type(&b, q->having, ROOST_V_BOOL, "HAVING");
        }
        if (rc < 0) {
            return rc;
        }
    }
    for (uint32_t i = 0; i < q->n_order; i++) {
        rc = q->grouped ? bind_group(&b, &q->order[i].expr)
                        : bind_stream(&b, q->order[i].expr);
        if (rc < 0) {
            return rc;
        }
    }
    if (q->grouped) {
        for (uint32_t i = 0; i < q->n_items; i++) {
            fix_cols(q, q->items[i].expr);
        }
        if (q->having != NULL) {
            fix_cols(q, q->having);
        }
        for (uint32_t i = 0; i < q->n_order; i++) {
            fix_cols(q, q->order[i].expr);
        }
        q->n_group_cols = q->n_keys + q->n_aggs +
                          (q->window.kind != ROOST_WINDOW_NONE ? 2 : 0);
    }
    rc = name_items(&b);
    if (rc < 0) {
        return rc;
    }
    q->bound = true;
    return 0;
}
