/* SPDX-License-Identifier: MIT
 *
 * test_query_parse.c - the query parser: the seed scenarios parse into the
 * expected trees, bad queries fail with exact line:col messages, and
 * print -> parse -> print is stable.
 */
#include <string.h>

#include "check.h"
#include "core/buf.h"
#include "core/mem.h"
#include "engine/query.h"

static struct roost_query *parse_ok(const char *sql)
{
    struct roost_query *q = NULL;
    struct roost_diag d;
    int rc = roost_query_parse(sql, strlen(sql), &q, &d);
    CHECK_MSG(rc == 0, "%s: %s", sql, d.msg);
    return q;
}

static void parse_err(const char *sql, int want_rc, const char *want_msg)
{
    struct roost_query *q = NULL;
    struct roost_diag d;
    int rc = roost_query_parse(sql, strlen(sql), &q, &d);
    CHECK_MSG(rc == want_rc, "%s: rc %d (%s)", sql, rc, rc ? d.msg : "");
    CHECK_STR_EQ(d.msg, want_msg);
    CHECK(q == NULL);
}

/* print(parse(sql)) == want, and print(parse(want)) == want. */
static void round_trip(const char *sql, const char *want)
{
    struct roost_buf b;
    roost_buf_init(&b, 1 << 20);
    struct roost_query *q = parse_ok(sql);
    CHECK(roost_query_print(q, &b) == 0);
    if (want != NULL) {
        CHECK_STR_EQ(b.ptr, want);
    }
    roost_query_free(q);
    char *first = roost_buf_take(&b, NULL);
    q = parse_ok(first);
    roost_buf_init(&b, 1 << 20);
    CHECK(roost_query_print(q, &b) == 0);
    CHECK_STR_EQ(b.ptr, first);
    roost_query_free(q);
    roost_buf_fini(&b);
    roost_free(first);
}

static void test_word_count(void)
{
    struct roost_query *q =
        parse_ok("SELECT word, COUNT(*) FROM words GROUP BY word");
    CHECK_INT_EQ(q->n_items, 2);
    CHECK_INT_EQ(q->items[0].expr->kind, ROOST_EXPR_COLUMN);
    CHECK_MEM_EQ(q->items[0].expr->name.ptr, q->items[0].expr->name.len,
                 "word");
    const struct roost_expr *c = q->items[1].expr;
    CHECK_INT_EQ(c->kind, ROOST_EXPR_AGG);
    CHECK_INT_EQ(c->agg, ROOST_AGG_COUNT);
    CHECK_INT_EQ(c->n_args, 0);
    CHECK_MEM_EQ(q->stream.ptr, q->stream.len, "words");
    CHECK(q->has_group_by);
    CHECK_INT_EQ(q->n_keys, 1);
    CHECK_INT_EQ(q->window.kind, ROOST_WINDOW_NONE);
    CHECK_INT_EQ(q->limit, -1);
    CHECK_INT_EQ(q->emit, ROOST_EMIT_DEFAULT);
    roost_query_free(q);
}

static void test_top_hashtags_hop(void)
{
    struct roost_query *q = parse_ok(
        "select tag_lower, count(*) as n\n"
        "from hashtags\n"
        "group by tag_lower, HOP(created_at, INTERVAL '1' HOUR, "
        "INTERVAL '5' MINUTE)\n"
        "order by n desc limit 10 emit changes every interval '2' seconds;");
    CHECK_INT_EQ(q->window.kind, ROOST_WINDOW_HOP);
    CHECK_INT_EQ(q->window.size_ms, 3600000);
    CHECK_INT_EQ(q->window.slide_ms, 300000);
    CHECK_MEM_EQ(q->window.time->name.ptr, q->window.time->name.len,
                 "created_at");
    CHECK_INT_EQ(q->n_keys, 1);
    CHECK_INT_EQ(q->n_order, 1);
    CHECK(q->order[0].desc);
    CHECK_INT_EQ(q->limit, 10);
    CHECK_INT_EQ(q->emit, ROOST_EMIT_CHANGES);
    CHECK_INT_EQ(q->emit_every_ms, 2000);
    CHECK_MEM_EQ(q->items[1].alias.ptr, q->items[1].alias.len, "n");
    roost_query_free(q);
}

static void test_seed_scenarios(void)
{
    /* tweets per user, tumbling */
    struct roost_query *q =
        parse_ok("SELECT author_id, COUNT(*) AS posts, window_start FROM posts "
                 "GROUP BY author_id, TUMBLE(created_at, INTERVAL '1' MINUTE) "
                 "EMIT FINAL");
    CHECK_INT_EQ(q->window.kind, ROOST_WINDOW_TUMBLE);
    CHECK_INT_EQ(q->window.size_ms, 60000);
    CHECK_INT_EQ(q->window.slide_ms, 60000);
    CHECK_INT_EQ(q->emit, ROOST_EMIT_FINAL);
    roost_query_free(q);
    /* election poll */
    q = parse_ok(
        "SELECT CASE WHEN CONTAINS(text, 'biden') THEN 'biden' "
        "WHEN CONTAINS(text, 'trump') THEN 'trump' ELSE 'other' END AS "
        "candidate, COUNT(*) FROM posts WHERE lang = 'en' "
        "GROUP BY candidate");
    const struct roost_expr *c = q->items[0].expr;
    CHECK_INT_EQ(c->kind, ROOST_EXPR_CASE);
    CHECK(!c->has_operand);
    CHECK(c->has_else);
    CHECK_INT_EQ(c->n_args, 5);
    CHECK_INT_EQ(c->args[0]->kind, ROOST_EXPR_CALL);
    CHECK_INT_EQ(c->args[0]->func, ROOST_FUNC_CONTAINS);
    roost_query_free(q);
    /* related hashtags, session window, TOP_K */
    q = parse_ok("SELECT TOP_K(tag_lower, 20), APPROX_COUNT_DISTINCT("
                 "author_id), COUNT(DISTINCT post_id) FROM hashtags "
                 "WHERE tag_lower <> 'vote' AND post_id IN ('1', '2') "
                 "GROUP BY SESSION(created_at, INTERVAL '30' SECOND)");
    CHECK_INT_EQ(q->items[0].expr->agg, ROOST_AGG_TOP_K);
    CHECK_INT_EQ(q->items[0].expr->agg_k, 20);
    CHECK_INT_EQ(q->items[1].expr->agg, ROOST_AGG_APPROX_DISTINCT);
    CHECK(q->items[2].expr->distinct);
    CHECK_INT_EQ(q->window.gap_ms, 30000);
    CHECK_INT_EQ(q->n_keys, 0);
    roost_query_free(q);
    /* socket word count, running totals with HAVING */
    q = parse_ok("SELECT word, COUNT(*) c FROM words GROUP BY word "
                 "HAVING COUNT(*) > 1 ORDER BY c DESC, word LIMIT 5");
    CHECK(q->having != NULL);
    CHECK_INT_EQ(q->n_order, 2);
    CHECK(!q->order[1].desc);
    roost_query_free(q);
}

static void test_literals(void)
{
    struct roost_query *q =
        parse_ok("SELECT 42, -7, 2.5, 1e3, 'it''s', TRUE, false, NULL, "
                 "INTERVAL '90' SECONDS, INTERVAL '1.5' minute, "
                 "TIMESTAMP '2021-01-01 00:00:01.5', \"Weird Col\" FROM posts");
    const struct roost_select_item *it = q->items;
    CHECK_INT_EQ(it[0].expr->lit.u.i, 42);
    CHECK_INT_EQ(it[1].expr->lit.u.i, -7);
    CHECK(it[2].expr->lit.type == ROOST_V_DOUBLE && it[2].expr->lit.u.d == 2.5);
    CHECK(it[3].expr->lit.type == ROOST_V_DOUBLE &&
          it[3].expr->lit.u.d == 1000.0);
    CHECK_MEM_EQ(it[4].expr->lit.u.s.ptr, it[4].expr->lit.u.s.len, "it's");
    CHECK(it[5].expr->lit.type == ROOST_V_BOOL && it[5].expr->lit.u.b);
    CHECK(it[6].expr->lit.type == ROOST_V_BOOL && !it[6].expr->lit.u.b);
    CHECK_INT_EQ(it[7].expr->lit.type, ROOST_V_NULL);
    CHECK_INT_EQ(it[8].expr->lit.u.i, 90000);
    CHECK(it[8].expr->interval);
    CHECK_INT_EQ(it[9].expr->lit.u.i, 90000);
    CHECK_INT_EQ(it[10].expr->lit.type, ROOST_V_TIME);
    CHECK_INT_EQ(it[10].expr->lit.u.i, INT64_C(1609459201500));
    CHECK(it[11].expr->quoted);
    CHECK_MEM_EQ(it[11].expr->name.ptr, it[11].expr->name.len, "Weird Col");
    roost_query_free(q);
}

static void test_intervals(void)
{
    static const struct {
        const char *text;
        int64_t ms;
    } cases[] = {
        { "INTERVAL '1' SECOND", 1000 },     { "INTERVAL '2' MINUTES", 120000 },
        { "INTERVAL '1' HOUR", 3600000 },    { "INTERVAL '3' DAYS", 259200000 },
        { "interval ' 5 ' day", 432000000 }, { "INTERVAL '0.25' SECOND", 250 },
        { "INTERVAL '-1' MINUTE", -60000 },  { "INTERVAL '7' MILLISECONDS", 7 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char sql[128];
        snprintf(sql, sizeof(sql), "SELECT %s FROM posts", cases[i].text);
        struct roost_query *q = parse_ok(sql);
        CHECK_MSG(q->items[0].expr->lit.u.i == cases[i].ms, "%s",
                  cases[i].text);
        roost_query_free(q);
    }
    parse_err("SELECT INTERVAL 'x' SECOND FROM posts", ROOST_EPARSE,
              "1:17: bad interval amount 'x': expected a number of SECONDs");
    parse_err("SELECT INTERVAL '0.0001' SECOND FROM posts", ROOST_EPARSE,
              "1:17: bad interval amount '0.0001': expected a number of "
              "SECONDs");
    parse_err("SELECT INTERVAL '1' WEEK FROM posts", ROOST_EPARSE,
              "1:21: expected an interval unit (SECOND, MINUTE, HOUR, DAY), "
              "found 'WEEK'");
    parse_err("SELECT INTERVAL 1 SECOND FROM posts", ROOST_EPARSE,
              "1:17: expected a quoted amount after INTERVAL, as in "
              "INTERVAL '5' MINUTE, found '1'");
    parse_err("SELECT a FROM t GROUP BY TUMBLE(ts, INTERVAL '0' SECOND)",
              ROOST_EPARSE, "1:37: the window size must be positive");
}

static void test_precedence(void)
{
    struct roost_query *q =
        parse_ok("SELECT a FROM t WHERE NOT a = 1 OR b AND c + 2 * 3 > 4");
    const struct roost_expr *w = q->where;
    CHECK_INT_EQ(w->op, ROOST_OP_OR);
    CHECK_INT_EQ(w->args[0]->op, ROOST_OP_NOT);
    CHECK_INT_EQ(w->args[0]->args[0]->op, ROOST_OP_EQ);
    CHECK_INT_EQ(w->args[1]->op, ROOST_OP_AND);
    const struct roost_expr *gt = w->args[1]->args[1];
    CHECK_INT_EQ(gt->op, ROOST_OP_GT);
    CHECK_INT_EQ(gt->args[0]->op, ROOST_OP_ADD);
    CHECK_INT_EQ(gt->args[0]->args[1]->op, ROOST_OP_MUL);
    roost_query_free(q);
    q = parse_ok("SELECT a FROM t WHERE a - b - c = 0 AND x BETWEEN 1 AND 2");
    const struct roost_expr *sub = q->where->args[0]->args[0];
    CHECK_INT_EQ(sub->op, ROOST_OP_SUB);
    CHECK_INT_EQ(sub->args[0]->op, ROOST_OP_SUB); /* left-associative */
    CHECK_INT_EQ(q->where->args[1]->kind, ROOST_EXPR_BETWEEN);
    roost_query_free(q);
}

static void test_predicates(void)
{
    struct roost_query *q = parse_ok(
        "SELECT a FROM t WHERE a NOT IN (1, 2) AND b IS NOT NULL AND c NOT "
        "LIKE 'x!%%' ESCAPE '!' AND text MATCH 'vote now' AND d NOT BETWEEN "
        "1 AND 5 AND e IS NULL");
    const struct roost_expr *w = q->where;
    const struct roost_expr *e[6];
    for (int i = 5; i > 0; i--) {
        e[i] = w->args[1];
        w = w->args[0];
    }
    e[0] = w;
    CHECK(e[0]->kind == ROOST_EXPR_IN && e[0]->negated && e[0]->n_args == 3);
    CHECK(e[1]->kind == ROOST_EXPR_IS_NULL && e[1]->negated);
    CHECK(e[2]->kind == ROOST_EXPR_LIKE && e[2]->negated && e[2]->n_args == 3);
    CHECK(e[3]->kind == ROOST_EXPR_MATCH);
    CHECK(e[4]->kind == ROOST_EXPR_BETWEEN && e[4]->negated);
    CHECK(e[5]->kind == ROOST_EXPR_IS_NULL && !e[5]->negated);
    roost_query_free(q);
}

static void test_window_synonyms(void)
{
    struct roost_query *q =
        parse_ok("SELECT TUMBLE_START(created_at, INTERVAL '1' MINUTE), "
                 "tumble_end(created_at, INTERVAL '1' MINUTE) FROM posts "
                 "GROUP BY TUMBLE(created_at, INTERVAL '1' MINUTE)");
    CHECK_MEM_EQ(q->items[0].expr->name.ptr, q->items[0].expr->name.len,
                 "window_start");
    CHECK_MEM_EQ(q->items[1].expr->name.ptr, q->items[1].expr->name.len,
                 "window_end");
    roost_query_free(q);
}

static void test_errors(void)
{
    parse_err("SELECT word, x FORM words", ROOST_EPARSE,
              "1:16: expected FROM after the select list, found 'FORM'");
    parse_err("SELECT word\nFROM words\nWHERE lang = 'en' AND", ROOST_EPARSE,
              "3:22: expected an expression, found end of input");
    parse_err("SELEC word FROM words", ROOST_EPARSE,
              "1:1: expected SELECT, found 'SELEC'");
    parse_err("", ROOST_EPARSE, "1:1: expected SELECT, found end of input");
    parse_err("SELECT FROM words", ROOST_EPARSE,
              "1:8: expected an expression, found 'FROM'");
    parse_err("SELECT a FROM words WHERE COUNT(*) > 1", ROOST_EPARSE,
              "1:27: aggregate COUNT is not allowed in WHERE");
    parse_err("SELECT SUM(COUNT(*)) FROM words", ROOST_EPARSE,
              "1:12: aggregate COUNT inside aggregate SUM");
    parse_err("SELECT a FROM words GROUP BY MAX(a)", ROOST_EPARSE,
              "1:30: aggregate MAX is not allowed in GROUP BY");
    parse_err("SELECT lower(a, b) FROM t", ROOST_EPARSE,
              "1:8: LOWER takes 1 argument, not 2");
    parse_err("SELECT COUNT() FROM t", ROOST_EPARSE,
              "1:8: COUNT takes * or one argument, not 0");
    parse_err("SELECT coalesce() FROM t", ROOST_EPARSE,
              "1:8: COALESCE takes at least 1 argument");
    parse_err("SELECT lowr(a) FROM t", ROOST_EPARSE,
              "1:8: unknown function 'lowr'; did you mean LOWER?");
    parse_err("SELECT frobnicate(a) FROM t", ROOST_EPARSE,
              "1:8: unknown function 'frobnicate'");
    parse_err("SELECT 'abc FROM t", ROOST_EPARSE, "1:8: unterminated string");
    parse_err("SELECT a FROM t /* x", ROOST_EPARSE,
              "1:17: unterminated comment");
    parse_err("SELECT a FROM t WHERE a = 1 b", ROOST_EPARSE,
              "1:29: expected the end of the query, found 'b'");
    parse_err("SELECT a FROM t WHERE a IS 1", ROOST_EPARSE,
              "1:28: expected NULL or NOT NULL after IS, found '1'");
    parse_err("SELECT a FROM t WHERE a NOT 1", ROOST_EPARSE,
              "1:29: expected IN, LIKE or BETWEEN after NOT, found '1'");
    parse_err("SELECT a FROM t WHERE a BETWEEN 1 OR 2", ROOST_EPARSE,
              "1:35: expected AND in BETWEEN, found 'OR'");
    parse_err("SELECT CASE a END FROM t", ROOST_EPARSE,
              "1:15: expected WHEN after CASE, found 'END'");
    parse_err("SELECT CAST(a AS blob) FROM t", ROOST_EPARSE,
              "1:18: expected a type (INT, DOUBLE, TEXT, BOOLEAN, "
              "TIMESTAMP), found 'blob'");
    parse_err("SELECT a FROM t GROUP BY HOP(ts, INTERVAL '5' MINUTE, "
              "INTERVAL '1' HOUR)",
              ROOST_EPARSE,
              "1:55: the hop slide is larger than the window size: write "
              "HOP(time, size, slide)");
    parse_err("SELECT a FROM t GROUP BY TUMBLE(ts, INTERVAL '1' SECOND), "
              "TUMBLE(ts, INTERVAL '1' SECOND)",
              ROOST_EPARSE,
              "1:59: only one window per query (the first is at 1:26)");
    parse_err("SELECT a FROM t GROUP BY TUMBLE(1, INTERVAL '1' SECOND)",
              ROOST_EPARSE,
              "1:33: the first argument of TUMBLE must be a time column");
    parse_err("SELECT a FROM t GROUP BY TUMBLE(ts, 5)", ROOST_EPARSE,
              "1:37: expected INTERVAL for the window size, found '5'");
    parse_err("SELECT TOP_K(a, 0) FROM t", ROOST_EPARSE,
              "1:17: TOP_K needs k as an integer from 1 to 10000");
    parse_err("SELECT 99999999999999999999 FROM t", ROOST_EPARSE,
              "1:8: integer literal out of range");
    parse_err("SELECT 12abc FROM t", ROOST_EPARSE, "1:8: malformed number");
    parse_err("SELECT a FROM t WHERE a = TIMESTAMP '2021-02-30'", ROOST_EPARSE,
              "1:37: bad timestamp: expected 'YYYY-MM-DD HH:MM:SS'");
    parse_err("SELECT a FROM t LIMIT x", ROOST_EPARSE,
              "1:23: expected a row count after LIMIT, found 'x'");
    parse_err("SELECT a FROM t EMIT SOMETIMES", ROOST_EPARSE,
              "1:22: expected FINAL or CHANGES after EMIT, found 'SOMETIMES'");
    parse_err("SELECT a FROM t WHERE a = #", ROOST_EPARSE,
              "1:27: unexpected character");
    parse_err("SELECT \"\" FROM t", ROOST_EPARSE,
              "1:8: empty quoted identifier");
    parse_err("SELECT a FROM t\n  WHERE \xff", ROOST_EPARSE,
              "2:9: query is not valid UTF-8");
    parse_err("SELECT (a FROM t", ROOST_EPARSE,
              "1:11: expected ')', found 'FROM'");
    parse_err("SELECT a FROM select", ROOST_EPARSE,
              "1:15: expected a stream name after FROM, found 'select'");
}

static void test_limits(void)
{
    char *sql = roost_malloc(ROOST_QUERY_MAX_BYTES + 16);
    CHECK(sql != NULL);
    /* deep parentheses */
    size_t n = 0;
    n += (size_t)snprintf(sql, 32, "SELECT ");
    for (int i = 0; i < 1000; i++) {
        sql[n++] = '(';
    }
    sql[n++] = '1';
    for (int i = 0; i < 1000; i++) {
        sql[n++] = ')';
    }
    memcpy(sql + n, " FROM t", 8);
    struct roost_query *q = NULL;
    struct roost_diag d;
    CHECK_INT_EQ(roost_query_parse(sql, strlen(sql), &q, &d), ROOST_ELIMIT);
    CHECK(strstr(d.msg, "nested too deeply") != NULL);
    /* a long left-deep chain is bounded by tree depth */
    n = (size_t)snprintf(sql, 32, "SELECT 1");
    for (int i = 0; i < 400; i++) {
        memcpy(sql + n, "+1", 2);
        n += 2;
    }
    memcpy(sql + n, " FROM t", 8);
    CHECK_INT_EQ(roost_query_parse(sql, strlen(sql), &q, &d), ROOST_ELIMIT);
    /* too long */
    memset(sql, ' ', ROOST_QUERY_MAX_BYTES + 1);
    CHECK_INT_EQ(roost_query_parse(sql, ROOST_QUERY_MAX_BYTES + 1, &q, &d),
                 ROOST_ELIMIT);
    /* unary minus chains */
    n = (size_t)snprintf(sql, 32, "SELECT ");
    for (int i = 0; i < 5000; i++) {
        memcpy(sql + n, "- ", 2);
        n += 2;
    }
    memcpy(sql + n, "a FROM t", 9);
    CHECK_INT_EQ(roost_query_parse(sql, strlen(sql), &q, &d), ROOST_ELIMIT);
    roost_free(sql);
}

static void test_round_trip(void)
{
    round_trip("select word, count(*) from words group by word",
               "SELECT word, COUNT(*) FROM words GROUP BY word");
    round_trip("SELECT (a + b) * c, a + b * c, a - (b - c), (a - b) - c, "
               "-(a + 1), - -a, 2 - -1, NOT (a AND b) OR c FROM t",
               "SELECT (a + b) * c, a + b * c, a - (b - c), a - b - c, "
               "-(a + 1), - -a, 2 - -1, NOT (a AND b) OR c FROM t");
    round_trip("SELECT tag_lower, COUNT(*) AS n FROM hashtags GROUP BY "
               "tag_lower, HOP(created_at, INTERVAL '60' MINUTE, "
               "INTERVAL '300' SECOND) HAVING COUNT(*) >= 2 ORDER BY n DESC "
               "LIMIT 10 EMIT CHANGES EVERY INTERVAL '2000' MILLISECONDS",
               "SELECT tag_lower, COUNT(*) AS n FROM hashtags GROUP BY "
               "tag_lower, HOP(created_at, INTERVAL '1' HOUR, "
               "INTERVAL '5' MINUTE) HAVING COUNT(*) >= 2 ORDER BY n DESC "
               "LIMIT 10 EMIT CHANGES EVERY INTERVAL '2' SECOND");
    round_trip("SELECT CASE x WHEN 1 THEN 'a' ELSE 'b''c' END, CAST(y AS "
               "varchar), \"Select\", \"we\"\"ird\", coalesce(a, NULL, 1.5),"
               " 1.0, 0.1, 1e300, -0.0 FROM \"My Stream\" WHERE a LIKE 'x%' "
               "ESCAPE '\\' AND b NOT IN (1, 2) AND c IS NOT NULL AND text "
               "MATCH 'a b' AND d BETWEEN 1 + 1 AND 3 || 'x' AND ts > "
               "TIMESTAMP '2021-06-01T12:00:00Z' EMIT FINAL",
               "SELECT CASE x WHEN 1 THEN 'a' ELSE 'b''c' END, CAST(y AS "
               "TEXT), \"Select\", \"we\"\"ird\", COALESCE(a, NULL, 1.5), "
               "1.0, 0.10000000000000001, 1.0000000000000001e+300, -0.0 FROM "
               "\"My Stream\" WHERE a LIKE 'x%' ESCAPE '\\' AND b NOT IN (1, "
               "2) AND c IS NOT NULL AND text MATCH 'a b' AND d BETWEEN 1 + 1 "
               "AND 3 || 'x' AND ts > TIMESTAMP '2021-06-01 12:00:00' EMIT "
               "FINAL");
    round_trip("SELECT * FROM posts -- a comment\n;", "SELECT * FROM posts");
    round_trip("SELECT (a = b) = c, a = (b = c), (a IS NULL) IS NULL, "
               "NOT NOT a, (a OR b) AND c FROM t",
               "SELECT a = b = c, a = (b = c), a IS NULL IS NULL, "
               "NOT NOT a, (a OR b) AND c FROM t");
    round_trip("SELECT COUNT(DISTINCT a), TOP_K(b, 5), window_start FROM t "
               "GROUP BY SESSION(ts, INTERVAL '90' SECOND)",
               "SELECT COUNT(DISTINCT a), TOP_K(b, 5), window_start FROM t "
               "GROUP BY SESSION(ts, INTERVAL '90' SECOND)");
}

static void test_alloc_failures(void)
{
    const char *sql = "SELECT word, COUNT(*) AS n, lower(text) FROM words "
                      "WHERE text LIKE '%a%' GROUP BY word, "
                      "TUMBLE(created_at, INTERVAL '1' MINUTE) ORDER BY n";
    bool done = false;
    for (uint64_t n = 0; n < 1000 && !done; n++) {
        struct roost_query *q = NULL;
        struct roost_diag d;
        roost_mem_fault_after(n + 1);
        int rc = roost_query_parse(sql, strlen(sql), &q, &d);
        roost_mem_fault_after(0);
        CHECK_MSG(rc == 0 || rc == ROOST_ENOMEM, "n=%d rc=%d", (int)n, rc);
        if (rc == 0) {
            roost_query_free(q);
            done = n > 0;
        }
    }
    CHECK(done);
}

CHECK_LIST(test_word_count, test_top_hashtags_hop, test_seed_scenarios,
           test_literals, test_intervals, test_precedence, test_predicates,
           test_window_synonyms, test_errors, test_limits, test_round_trip,
           test_alloc_failures);
