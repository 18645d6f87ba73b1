/* SPDX-License-Identifier: MIT
 *
 * test_expr.c - binding and evaluation: three-valued logic truth tables,
 * LIKE edge cases, word containment, case folds, casts, arithmetic, and
 * the group-row layout of grouped queries with their bind errors.
 */
#include <string.h>

#include "check.h"
#include "core/buf.h"
#include "core/mem.h"
#include "engine/expr.h"
#include "parse/tokenize.h"

static const struct roost_column cols[] = {
    { "a", ROOST_V_INT },           { "b", ROOST_V_INT },
    { "p", ROOST_V_BOOL },          { "q", ROOST_V_BOOL },
    { "text", ROOST_V_STRING },     { "d", ROOST_V_DOUBLE },
    { "created_at", ROOST_V_TIME }, { "word", ROOST_V_STRING },
    { "n", ROOST_V_NULL },
};
static const struct roost_schema schema = { "t", cols, 9 };

static struct roost_value row[9];
static struct roost_arena scratch;

/* Evaluate expression text over `row`; returns the value. */
static struct roost_value ev(const char *expr)
{
    static char sql[16384];
    snprintf(sql, sizeof(sql), "SELECT %s FROM t", expr);
    struct roost_query *q = NULL;
    struct roost_diag d;
    int rc = roost_query_parse(sql, strlen(sql), &q, &d);
    CHECK_MSG(rc == 0, "%s: %s", expr, d.msg);
    rc = roost_expr_bind(q->items[0].expr, &schema, &q->arena, &d);
    CHECK_MSG(rc == 0, "%s: %s", expr, d.msg);
    struct roost_value v;
    if (scratch.chunk_bytes == 0) {
        roost_arena_init(&scratch, 4096, 1 << 20);
    }
    CHECK(roost_expr_eval(q->items[0].expr, row, &v, &scratch) == 0);
    if (v.type == ROOST_V_STRING) {
        /* the literal may live in the query arena: copy before freeing */
        char *c = roost_arena_dup(&scratch, v.u.s.ptr, v.u.s.len);
        v.u.s.ptr = c;
    }
    roost_query_free(q);
    return v;
}

/* 't', 'f', 'n' (NULL) or '?' */
static char tv(const char *expr)
{
    struct roost_value v = ev(expr);
    if (v.type == ROOST_V_NULL) {
        return 'n';
    }
    if (v.type == ROOST_V_BOOL) {
        return v.u.b ? 't' : 'f';
    }
    return '?';
}

static void bind_err(const char *sql, const char *want)
{
    struct roost_query *q = NULL;
    struct roost_diag d;
    int rc = roost_query_parse(sql, strlen(sql), &q, &d);
    CHECK_MSG(rc == 0, "%s: %s", sql, d.msg);
    rc = roost_query_bind(q, &schema, &d);
    CHECK_MSG(rc == ROOST_EPARSE, "%s: rc %d", sql, rc);
    CHECK_STR_EQ(d.msg, want);
    roost_query_free(q);
}

static void set_row(void)
{
    row[0] = roost_value_int(7);
    row[1] = roost_value_null();
    row[2] = roost_value_bool(true);
    row[3] = roost_value_null();
    row[4] = roost_value_str(ROOST_STR_LIT("Vote for #Biden! https://x.co/a "
                                           "ÉLECTION 2024"));
    row[5] = roost_value_double(2.5);
    row[6] = roost_value_time(1609459200000);
    row[7] = roost_value_str(ROOST_STR_LIT("Straße"));
    row[8] = roost_value_null();
}

static void test_three_valued_logic(void)
{
    set_row();
    const char *vals[3] = { "TRUE", "FALSE", "NULL" };
    /* expected AND / OR / NOT for (T, F, N) x (T, F, N) */
    const char *and_t = "tfnfffnfn";
    const char *or_t = "ttttfntnn";
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            char e[64];
            snprintf(e, sizeof(e), "%s AND %s", vals[i], vals[j]);
            CHECK_MSG(tv(e) == and_t[i * 3 + j], "%s", e);
            snprintf(e, sizeof(e), "%s OR %s", vals[i], vals[j]);
            CHECK_MSG(tv(e) == or_t[i * 3 + j], "%s", e);
        }
    }
    CHECK(tv("NOT TRUE") == 'f');
    CHECK(tv("NOT NULL") == 'n');
    CHECK(tv("NOT q") == 'n');
    CHECK(tv("b = 1") == 'n');
    CHECK(tv("b <> b") == 'n');
    CHECK(tv("b IS NULL") == 't');
    CHECK(tv("a IS NOT NULL") == 't');
    CHECK(tv("NULL = NULL") == 'n');
    CHECK(tv("a IN (1, 7)") == 't');
    CHECK(tv("a IN (1, NULL)") == 'n');
    CHECK(tv("a NOT IN (1, NULL)") == 'n');
    CHECK(tv("a NOT IN (1, 2)") == 't');
    CHECK(tv("a IN (1, NULL, 7)") == 't');
    CHECK(tv("b IN (1, 2)") == 'n');
    CHECK(tv("a BETWEEN 1 AND 7") == 't');
    CHECK(tv("a BETWEEN 8 AND NULL") == 'f');
    CHECK(tv("a BETWEEN 1 AND NULL") == 'n');
    CHECK(tv("a NOT BETWEEN 8 AND NULL") == 't');
    CHECK(tv("p AND q") == 'n');
    CHECK(tv("NOT p OR q") == 'n');
    CHECK(tv("q IS NULL AND p") == 't');
    CHECK(tv("(b = 1) IS NULL") == 't');
}

static void test_like(void)
{
    set_row();
    static const struct {
        const char *s, *p;
        char want;
    } cases[] = {
        { "abc", "abc", 't' },
        { "abc", "a%", 't' },
        { "abc", "%c", 't' },
        { "abc", "%b%", 't' },
        { "abc", "a_c", 't' },
        { "abc", "a_", 'f' },
        { "", "%", 't' },
        { "", "_", 'f' },
        { "", "", 't' },
        { "abc", "", 'f' },
        { "abc", "%%%", 't' },
        { "aaa", "%a%a%a%", 't' },
        { "aab", "%a%a%a%", 'f' },
        { "ABC", "abc", 'f' },
        { "é", "_", 't' },
        { "日本語", "_本_", 't' },
        { "mississippi", "%iss%ppi", 't' },
        { "abcb", "%b", 't' },
        { "ab", "a%%b", 't' },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char e[128];
        snprintf(e, sizeof(e), "'%s' LIKE '%s'", cases[i].s, cases[i].p);
        CHECK_MSG(tv(e) == cases[i].want, "%s", e);
        snprintf(e, sizeof(e), "'%s' NOT LIKE '%s'", cases[i].s, cases[i].p);
        CHECK_MSG(tv(e) == (cases[i].want == 't' ? 'f' : 't'), "%s", e);
    }
    CHECK(tv("'50%' LIKE '50!%' ESCAPE '!'") == 't');
    CHECK(tv("'500' LIKE '50!%' ESCAPE '!'") == 'f');
    CHECK(tv("'a_b' LIKE 'a\\_b' ESCAPE '\\'") == 't');
    CHECK(tv("'axb' LIKE 'a\\_b' ESCAPE '\\'") == 'f');
    CHECK(tv("'a!' LIKE 'a!!' ESCAPE '!'") == 't');
    CHECK(tv("n LIKE 'a'") == 'n');
    CHECK(tv("'a' LIKE NULL") == 'n');
    CHECK(tv("text LIKE 'Vote%2024'") == 't');
}

static void test_words(void)
{
    set_row();
    CHECK(tv("CONTAINS(text, 'biden')") == 't');
    CHECK(tv("CONTAINS(text, 'BIDEN')") == 't');
    CHECK(tv("CONTAINS(text, 'bide')") == 'f');
    CHECK(tv("CONTAINS(text, 'élection')") == 't'); /* Unicode fold */
    CHECK(tv("CONTAINS(text, 'vote for')") == 't');
    CHECK(tv("CONTAINS(text, 'for vote')") == 'f');
    CHECK(tv("CONTAINS(text, 'x')") == 'f'); /* URL words are skipped */
    CHECK(tv("CONTAINS(text, word)") == 'f');
    CHECK(tv("CONTAINS('a a a b', 'a a b')") == 't'); /* KMP fallback */
    CHECK(tv("CONTAINS(n, 'a')") == 'n');
    CHECK(tv("text MATCH 'biden vote'") == 't');
    CHECK(tv("text MATCH 'biden trump'") == 'f');
    CHECK(tv("text MATCH lower('ÉLECTION')") == 't');
    CHECK(tv("CASE WHEN CONTAINS(text, 'trump') THEN 1 WHEN "
             "CONTAINS(text, 'biden') THEN 2 ELSE 3 END = 2") == 't');
}

static void test_case_folds(void)
{
    set_row();
    struct roost_value v = ev("lower(text)");
    CHECK_MEM_EQ(v.u.s.ptr, v.u.s.len,
                 "vote for #biden! https://x.co/a élection 2024");
    v = ev("upper('straße ÿ αβγ ς привет ѐ ą')");
    CHECK_MEM_EQ(v.u.s.ptr, v.u.s.len, "STRAßE Ÿ ΑΒΓ Σ ПРИВЕТ Ѐ Ą");
    v = ev("length(word)");
    CHECK_INT_EQ(v.u.i, 6);
    /* lower() agrees with roost_fold_case on every BMP code point */
    struct roost_buf b;
    roost_buf_init(&b, 1 << 20);
    char src[4 * 0x800];
    size_t n = 0;
    for (uint32_t cp = 0x20; cp < 0x800; cp++) {
        if (cp == '\'') {
            continue;
        }
        n += roost_utf8_encode(cp, src + n);
    }
    CHECK(roost_fold_case(src, n, &b) == 0);
    char expr[sizeof(src) + 16];
    snprintf(expr, sizeof(expr), "lower('%.*s')", (int)n, src);
    v = ev(expr);
    CHECK(v.u.s.len == b.len && memcmp(v.u.s.ptr, b.ptr, b.len) == 0);
    /* upper(lower(x)) == x for every capital lower() changes */
    for (uint32_t cp = 0x41; cp < 0x500; cp++) {
        char one[8];
        size_t m = roost_utf8_encode(cp, one);
        roost_buf_reset(&b);
        CHECK(roost_fold_case(one, m, &b) == 0);
        if (b.len == m && memcmp(b.ptr, one, m) == 0) {
            continue;
        }
        snprintf(expr, sizeof(expr), "upper('%s')", b.ptr);
        v = ev(expr);
        CHECK_MSG(v.u.s.len == m && memcmp(v.u.s.ptr, one, m) == 0, "U+%04X",
                  (unsigned)cp);
    }
    roost_buf_fini(&b);
}

static void test_arith_and_casts(void)
{
    set_row();
    CHECK_INT_EQ(ev("a + 3 * 2").u.i, 13);
    CHECK_INT_EQ(ev("a / 2").u.i, 3);
    CHECK_INT_EQ(ev("-a % 4").u.i, -3);
    CHECK(ev("a / 0").type == ROOST_V_NULL);
    CHECK(ev("a % 0").type == ROOST_V_NULL);
    CHECK(ev("d / 0").type == ROOST_V_NULL);
    CHECK(ev("9223372036854775807 + a").type == ROOST_V_NULL);
    CHECK(ev("a + b").type == ROOST_V_NULL);
    CHECK(ev("a * d").u.d == 17.5);
    CHECK(ev("abs(-d)").u.d == 2.5);
    CHECK_INT_EQ(ev("created_at + INTERVAL '1' MINUTE").u.i, 1609459260000);
    CHECK_INT_EQ(ev("created_at - TIMESTAMP '2020-12-31 23:59:00'").u.i, 60000);
    CHECK(tv("created_at >= '2021-01-01' AND created_at < "
             "TIMESTAMP '2021-01-02'") == 't');
    CHECK_INT_EQ(ev("CAST('42' AS INT)").u.i, 42);
    CHECK_INT_EQ(ev("CAST(' 4x' AS INT)").type, ROOST_V_NULL);
    CHECK_INT_EQ(ev("CAST(2.9 AS INT)").u.i, 2);
    CHECK(ev("CAST('2.5' AS DOUBLE)").u.d == 2.5);
    struct roost_value v = ev("CAST(a AS TEXT) || '/' || CAST(d AS TEXT)");
    CHECK_MEM_EQ(v.u.s.ptr, v.u.s.len, "7/2.5");
    v = ev("CAST(created_at AS TEXT)");
    CHECK_MEM_EQ(v.u.s.ptr, v.u.s.len, "2021-01-01 00:00:00");
    CHECK_INT_EQ(ev("CAST('2021-01-01 00:00:01' AS TIMESTAMP)").u.i,
                 1609459201000);
    CHECK(ev("CAST('true' AS BOOLEAN)").u.b);
    CHECK(ev("'a' || b").type == ROOST_V_NULL);
    v = ev("concat('a', b, 1)");
    CHECK_MEM_EQ(v.u.s.ptr, v.u.s.len, "a1");
    CHECK_INT_EQ(ev("coalesce(b, n, a)").u.i, 7);
    CHECK(ev("CASE b WHEN 1 THEN 'x' END").type == ROOST_V_NULL);
    v = ev("CASE a WHEN 1 THEN 'x' WHEN 7 THEN 'y' ELSE 'z' END");
    CHECK_MEM_EQ(v.u.s.ptr, v.u.s.len, "y");
    CHECK(tv("1 = 1.0") == 't');
    CHECK(tv("'b' > 'a'") == 't');
}

static void test_bind_errors(void)
{
    bind_err("SELECT wrod FROM t", "1:8: unknown column 'wrod' in t; did you "
                                   "mean 'word'?");
    bind_err("SELECT zzz FROM t", "1:8: unknown column 'zzz' in t");
    bind_err("SELECT a FROM posts",
             "1:15: query reads 'posts' but is bound to stream 't'");
    bind_err("SELECT a, COUNT(*) FROM t GROUP BY word",
             "1:8: column 'a' must be in GROUP BY or inside an aggregate");
    bind_err("SELECT word, COUNT(*) FROM t GROUP BY word HAVING a > 1",
             "1:51: column 'a' must be in GROUP BY or inside an aggregate");
    bind_err("SELECT * FROM t GROUP BY a",
             "1:8: '*' cannot be used in a grouped query");
    bind_err("SELECT a FROM t WHERE a + 1",
             "1:23: WHERE needs BOOLEAN, not INT");
    bind_err("SELECT a FROM t WHERE text + 1 > 2",
             "1:23: cannot apply '+' to TEXT and INT");
    bind_err("SELECT a FROM t WHERE text = 1",
             "1:23: cannot compare TEXT with INT");
    bind_err("SELECT SUM(text) FROM t", "1:12: SUM needs a number, not TEXT");
    bind_err("SELECT a FROM t WHERE text LIKE 'x' ESCAPE 'ab'",
             "1:44: ESCAPE needs exactly one character");
    bind_err("SELECT a FROM t WHERE CONTAINS(text, '!!')",
             "1:38: CONTAINS needs at least one word");
    bind_err("SELECT window_start FROM t",
             "1:8: window_start exists only in a query grouped by a window, "
             "outside WHERE and GROUP BY");
    bind_err("SELECT COUNT(*) FROM t GROUP BY TUMBLE(a, INTERVAL '1' MINUTE)",
             "1:40: a window needs TIMESTAMP, not INT");
    bind_err("SELECT CASE WHEN p THEN 1 ELSE 'x' END FROM t",
             "1:32: CASE results mix INT and TEXT");
}

static void test_grouped_layout(void)
{
    const char *sql =
        "SELECT lower(word) AS w, COUNT(*) AS c, SUM(a) / COUNT(*), "
        "window_end FROM t WHERE p GROUP BY lower(word), "
        "TUMBLE(created_at, INTERVAL '1' MINUTE) HAVING COUNT(*) > 1 "
        "ORDER BY c DESC, w";
    struct roost_query *q = NULL;
    struct roost_diag d;
    CHECK(roost_query_parse(sql, strlen(sql), &q, &d) == 0);
    int rc = roost_query_bind(q, &schema, &d);
    CHECK_MSG(rc == 0, "%s", d.msg);
    CHECK(q->grouped);
    CHECK_INT_EQ(q->n_keys, 1);
    CHECK_INT_EQ(q->n_aggs, 2); /* COUNT(*) shared, SUM(a) */
    CHECK_INT_EQ(q->n_group_cols, 5);
    CHECK_INT_EQ(q->aggs[0]->agg, ROOST_AGG_COUNT);
    CHECK_INT_EQ(q->aggs[1]->agg, ROOST_AGG_SUM);
    CHECK_INT_EQ(q->aggs[1]->args[0]->col, 0); /* a, in the stream row */
    CHECK_INT_EQ(q->keys[0]->args[0]->col, 7); /* word */
    CHECK_INT_EQ(q->window.time->col, 6);
    CHECK_MEM_EQ(q->items[0].name.ptr, q->items[0].name.len, "w");
    CHECK_MEM_EQ(q->items[2].name.ptr, q->items[2].name.len,
                 "SUM(a) / COUNT(*)");
    CHECK_MEM_EQ(q->items[3].name.ptr, q->items[3].name.len, "window_end");
    CHECK_INT_EQ(q->items[0].expr->type, ROOST_V_STRING);
    CHECK_INT_EQ(q->items[1].expr->type, ROOST_V_INT);
    CHECK_INT_EQ(q->items[3].expr->type, ROOST_V_TIME);

    /* phase 1 over a stream row */
    set_row();
    struct roost_value k, w;
    CHECK(roost_expr_eval(q->where, row, &w, NULL) == 0);
    CHECK(roost_value_is_true(&w));
    roost_arena_init(&scratch, 4096, 1 << 20);
    CHECK(roost_expr_eval(q->keys[0], row, &k, &scratch) == 0);
    CHECK_MEM_EQ(k.u.s.ptr, k.u.s.len, "straße");
    /* phase 2 over a group row [key, count, sum, wstart, wend] */
    struct roost_value g[5] = {
        k,
        roost_value_int(4),
        roost_value_int(10),
        roost_value_time(0),
        roost_value_time(60000),
    };
    struct roost_value out;
    CHECK(roost_expr_eval(q->items[0].expr, g, &out, NULL) == 0);
    CHECK_MEM_EQ(out.u.s.ptr, out.u.s.len, "straße");
    CHECK(roost_expr_eval(q->items[2].expr, g, &out, NULL) == 0);
    CHECK_INT_EQ(out.u.i, 2);
    CHECK(roost_expr_eval(q->items[3].expr, g, &out, NULL) == 0);
    CHECK_INT_EQ(out.u.i, 60000);
    CHECK(roost_expr_eval(q->having, g, &out, NULL) == 0);
    CHECK(roost_value_is_true(&out));
    CHECK(roost_expr_eval(q->order[0].expr, g, &out, NULL) == 0);
    CHECK_INT_EQ(out.u.i, 4);
    CHECK(roost_expr_eval(q->order[1].expr, g, &out, NULL) == 0);
    CHECK_MEM_EQ(out.u.s.ptr, out.u.s.len, "straße");
    CHECK_INT_EQ(roost_query_bind(q, &schema, &d), ROOST_EINVAL);
    roost_query_free(q);
    roost_arena_fini(&scratch);
}

static void test_plain_query(void)
{
    const char *sql = "SELECT *, a * 2 AS twice FROM t WHERE a > 1 "
                      "ORDER BY twice";
    struct roost_query *q = NULL;
    struct roost_diag d;
    CHECK(roost_query_parse(sql, strlen(sql), &q, &d) == 0);
    CHECK_MSG(roost_query_bind(q, &schema, &d) == 0, "%s", d.msg);
    CHECK(!q->grouped);
    CHECK_INT_EQ(q->n_items, 10);
    CHECK_MEM_EQ(q->items[4].name.ptr, q->items[4].name.len, "text");
    CHECK_INT_EQ(q->items[4].expr->col, 4);
    set_row();
    struct roost_value v;
    CHECK(roost_expr_eval(q->order[0].expr, row, &v, NULL) == 0);
    CHECK_INT_EQ(v.u.i, 14);
    roost_query_free(q);
}

static void test_value_cmp(void)
{
    struct roost_value v[] = {
        roost_value_null(),
        roost_value_bool(false),
        roost_value_int(-1),
        roost_value_double(0.5),
        roost_value_int(1),
        roost_value_time(0),
        roost_value_str(ROOST_STR_LIT("a")),
        roost_value_str(ROOST_STR_LIT("ab")),
    };
    for (size_t i = 0; i < 8; i++) {
        for (size_t j = 0; j < 8; j++) {
            int c = roost_value_cmp(&v[i], &v[j]);
            CHECK_MSG((i < j && c < 0) || (i == j && c == 0) ||
                          (i > j && c > 0),
                      "%zu %zu", i, j);
        }
    }
}

static void test_scratch_full(void)
{
    set_row();
    const char *sql = "SELECT lower(text) FROM t";
    struct roost_query *q = NULL;
    struct roost_diag d;
    CHECK(roost_query_parse(sql, strlen(sql), &q, &d) == 0);
    CHECK(roost_query_bind(q, &schema, &d) == 0);
    struct roost_value v;
    CHECK_INT_EQ(roost_expr_eval(q->items[0].expr, row, &v, NULL),
                 ROOST_ELIMIT);
    CHECK(v.type == ROOST_V_NULL);
    roost_query_free(q);
}

CHECK_LIST(test_three_valued_logic, test_like, test_words, test_case_folds,
           test_arith_and_casts, test_bind_errors, test_grouped_layout,
           test_plain_query, test_value_cmp, test_scratch_full);
