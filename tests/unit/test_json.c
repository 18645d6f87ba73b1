/* SPDX-License-Identifier: MIT
 *
 * test_json.c - the JSON parser: grammar, escapes, tape shape, accessors,
 * limits, and the whole of JSONTestSuite's test_parsing when the shared
 * data is present.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "core/mem.h"
#include "parse/json.h"

/* parse_s - parse a C string into d; the error code. */
static int parse_s(struct roost_json_doc *d, const char *s,
                   struct roost_diag *diag)
{
    return roost_json_parse(d, s, strlen(s), diag);
}

static int valid_s(const char *s)
{
    return roost_json_valid(s, strlen(s), 0, NULL);
}

static void test_scalars(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    CHECK_INT_EQ(parse_s(&d, "null", NULL), 0);
    CHECK_INT_EQ(d.n_toks, 1);
    CHECK_INT_EQ(d.toks[0].type, ROOST_JSON_NULL);
    CHECK_INT_EQ(parse_s(&d, " true ", NULL), 0);
    CHECK(roost_json_bool(&d, 0));
    CHECK_INT_EQ(parse_s(&d, "false", NULL), 0);
    CHECK(!roost_json_bool(&d, 0));
    CHECK_INT_EQ(d.toks[0].type, ROOST_JSON_FALSE);
    CHECK_INT_EQ(parse_s(&d, "\"hi\"", NULL), 0);
    CHECK_MEM_EQ(d.toks[0].ptr, d.toks[0].len, "hi");
    CHECK_INT_EQ(parse_s(&d, "-12.5e+3", NULL), 0);
    CHECK_INT_EQ(d.toks[0].type, ROOST_JSON_NUMBER);
    CHECK_INT_EQ(d.toks[0].is_float, 1);
    CHECK_MEM_EQ(d.toks[0].ptr, d.toks[0].len, "-12.5e+3");
    roost_json_doc_fini(&d);
}

static void test_reject_basics(void)
{
    const char *bad[] = {
        "",       " ",        "nul",      "True",   "[1,]",     "[,1]",
        "{\"a\"}", "{\"a\":}", "{a:1}",    "{\"a\":1,}", "01",  "1.",
        ".5",     "1e",       "+1",       "-",      "[1 2]",    "\"\\x\"",
        "\"a",    "[",        "]",        "{} {}",  "NaN",      "[1]x",
        "\"\t\"", "/* c */1", "\"\\u12\"", "\xef\xbb\xbf{}", "{\"a\" 1}",
        "[\"a\":1]",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = valid_s(bad[i]);
        CHECK_MSG(rc == ROOST_EPARSE, "'%s' gave %d", bad[i], rc);
    }
    const char *good[] = {
        "0", "-0", "0.0e-0", "1E9", "[]", "{}", " [ ] ", "[[],{}]",
        "{\"\":0}", "\"\\/\"", "[1,\"a\",null,true,false,{\"k\":[]}]",
        "1e99999", "123456789012345678901234567890",
    };
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        CHECK_MSG(valid_s(good[i]) == 0, "'%s' rejected", good[i]);
    }
}

static void test_tape_shape(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    CHECK_INT_EQ(parse_s(&d, "{\"a\":[1,2,{\"b\":null}],\"c\":\"x\"}", NULL),
                 0);
    /* 0 obj, 1 "a", 2 arr, 3 1, 4 2, 5 obj, 6 "b", 7 null, 8 "c", 9 "x" */
    CHECK_INT_EQ(d.n_toks, 10);
    CHECK_INT_EQ(d.toks[0].type, ROOST_JSON_OBJECT);
    CHECK_INT_EQ(d.toks[0].len, 2);
    CHECK_INT_EQ(d.toks[0].next, 10);
    CHECK_INT_EQ(d.toks[2].type, ROOST_JSON_ARRAY);
    CHECK_INT_EQ(d.toks[2].len, 3);
    CHECK_INT_EQ(d.toks[2].next, 8);
    CHECK_INT_EQ(d.toks[5].len, 1);
    CHECK_INT_EQ(d.toks[5].next, 8);
    CHECK_INT_EQ(roost_json_next_sibling(&d, 1), 2);
    CHECK_INT_EQ(roost_json_next_sibling(&d, 3), 4);
    CHECK_MEM_EQ(d.toks[8].ptr, d.toks[8].len, "c");
    /* The documented walk visits every member. */
    uint32_t k = 1;
    int seen = 0;
    for (uint32_t i = 0; i < d.toks[0].len; i++) {
        seen++;
        k = roost_json_next_sibling(&d, k + 1);
    }
    CHECK_INT_EQ(seen, 2);
    CHECK_INT_EQ(k, 10);
    roost_json_doc_fini(&d);
}

static void test_escapes(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    const char *in = "[\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\", \"\\u00e9\\u20ac\","
                     " \"plain\", \"\\ud83d\\ude00!\", \"\\u0000x\"]";
    CHECK_INT_EQ(parse_s(&d, in, NULL), 0);
    struct roost_str s = roost_json_str(&d, roost_json_at(&d, 0, 0));
    CHECK_MEM_EQ(s.ptr, s.len, "a\"b\\c/d\b\f\n\r\t");
    s = roost_json_str(&d, roost_json_at(&d, 0, 1));
    CHECK_MEM_EQ(s.ptr, s.len, "\xc3\xa9\xe2\x82\xac");
    s = roost_json_str(&d, roost_json_at(&d, 0, 2));
    CHECK_MEM_EQ(s.ptr, s.len, "plain");
    CHECK(s.ptr >= in && s.ptr < in + strlen(in)); /* zero copy */
    s = roost_json_str(&d, roost_json_at(&d, 0, 3));
    CHECK_MEM_EQ(s.ptr, s.len, "\xf0\x9f\x98\x80!");
    s = roost_json_str(&d, roost_json_at(&d, 0, 4));
    CHECK_INT_EQ(s.len, 2);
    CHECK(s.ptr[0] == '\0' && s.ptr[1] == 'x');
    /* Earlier decoded strings survive later ones: scratch never moves. */
    s = roost_json_str(&d, roost_json_at(&d, 0, 0));
    CHECK_MEM_EQ(s.ptr, s.len, "a\"b\\c/d\b\f\n\r\t");
    /* Escaped keys are decoded before comparison. */
    CHECK_INT_EQ(parse_s(&d, "{\"k\\u0065y\":7}", NULL), 0);
    CHECK_INT_EQ(roost_json_get(&d, 0, "key"), 2);
    /* Upper-case hex and long strings crossing 16-byte blocks. */
    CHECK_INT_EQ(parse_s(&d, "\"0123456789abcdef0123\\u00C9456789\"", NULL),
                 0);
    s = roost_json_str(&d, 0);
    CHECK_MEM_EQ(s.ptr, s.len, "0123456789abcdef0123\xc3\x89" "456789");
    roost_json_doc_fini(&d);
}

static void test_surrogates(void)
{
    struct roost_diag diag = { 0 };
    CHECK_INT_EQ(roost_json_valid("\"\\ud83d\\ude00\"", 14, 0, NULL), 0);
    const char *lone[] = {
        "\"\\ud83d\"", "\"\\ude00\"", "\"\\ud83dx\"", "\"\\ud83d\\u0041\"",
        "\"\\ude00\\ud83d\"", "\"\\ud83d\\ud83d\"",
    };
    for (size_t i = 0; i < sizeof(lone) / sizeof(lone[0]); i++) {
        int rc = roost_json_valid(lone[i], strlen(lone[i]), 0, &diag);
        CHECK_MSG(rc == ROOST_EUTF8, "'%s' gave %d", lone[i], rc);
        CHECK_INT_EQ(diag.offset, 1);
    }
}

static void test_utf8(void)
{
    struct roost_json_doc d;
    struct roost_diag diag = { 0 };
    roost_json_doc_init(&d, 0, 0);
    /* Valid multi-byte text in raw form is kept as is. */
    CHECK_INT_EQ(parse_s(&d, "\"h\xc3\xa9llo \xe6\x97\xa5\xf0\x9f\x98\x80\"",
                         NULL),
                 0);
    CHECK_INT_EQ(d.toks[0].len, 14);
    struct {
        const char *in;
        uint64_t off;
    } bad[] = {
        { "\"ab\xff\"", 3 },                /* never valid */
        { "\"\xc0\xaf\"", 1 },              /* overlong '/' */
        { "\"xx\xe0\x80\xaf\"", 3 },        /* overlong 3-byte */
        { "\"\xed\xa0\x80\"", 1 },          /* UTF-8 encoded surrogate */
        { "\"\xf4\x90\x80\x80\"", 1 },      /* above U+10FFFF */
        { "\"abc\xe6\x97\"", 4 },           /* truncated by the quote */
        { "\"\xc3\xa9\x80\"", 3 },          /* stray continuation */
        { "[\"\\n\", \"a\xc3\"]", 9 },      /* after an escape string */
        { "\"\\n\xfe\"", 3 },               /* inside an escaped string */
        { "\"0123456789abcdefghij\x80\"", 21 }, /* past a vector block */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int rc = parse_s(&d, bad[i].in, &diag);
        CHECK_MSG(rc == ROOST_EUTF8, "case %zu gave %d", i, rc);
        CHECK_MSG(diag.offset == bad[i].off, "case %zu offset %llu", i,
                  (unsigned long long)diag.offset);
    }
    /* Outside strings a non-ASCII byte is a syntax error. */
    CHECK_INT_EQ(parse_s(&d, "[\xc3\xa9]", &diag), ROOST_EPARSE);
    CHECK_INT_EQ(diag.offset, 1);
    roost_json_doc_fini(&d);
}

static void test_numbers(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    CHECK_INT_EQ(parse_s(&d,
                         "[1344908468193435649, -0, 0, 9223372036854775807,"
                         " -9223372036854775808, 9223372036854775808, 1.5,"
                         " 1e2, \"42\", \"-7\", \"4x\", \"\", \"1.0\", true,"
                         " -9223372036854775809, \" 1\", \"+1\", 2.5e-3]",
                         NULL),
                 0);
    int64_t v = 0;
    CHECK(roost_json_i64(&d, roost_json_at(&d, 0, 0), &v));
    CHECK(v == 1344908468193435649LL); /* above 2^53: not rounded */
    struct roost_str t = roost_json_text(&d, roost_json_at(&d, 0, 0));
    CHECK_MEM_EQ(t.ptr, t.len, "1344908468193435649");
    CHECK(roost_json_i64(&d, roost_json_at(&d, 0, 1), &v) && v == 0);
    CHECK(roost_json_i64(&d, roost_json_at(&d, 0, 3), &v) &&
          v == INT64_MAX);
    CHECK(roost_json_i64(&d, roost_json_at(&d, 0, 4), &v) &&
          v == INT64_MIN);
    CHECK(!roost_json_i64(&d, roost_json_at(&d, 0, 5), &v));
    CHECK(!roost_json_i64(&d, roost_json_at(&d, 0, 6), &v));
    CHECK(!roost_json_i64(&d, roost_json_at(&d, 0, 7), &v));
    CHECK(roost_json_i64(&d, roost_json_at(&d, 0, 8), &v) && v == 42);
    CHECK(roost_json_i64(&d, roost_json_at(&d, 0, 9), &v) && v == -7);
    CHECK(!roost_json_i64(&d, roost_json_at(&d, 0, 10), &v));
    CHECK(!roost_json_i64(&d, roost_json_at(&d, 0, 11), &v));
    CHECK(!roost_json_i64(&d, roost_json_at(&d, 0, 12), &v));
    CHECK(!roost_json_i64(&d, roost_json_at(&d, 0, 13), &v));
    CHECK(!roost_json_i64(&d, roost_json_at(&d, 0, 14), &v));
    CHECK(!roost_json_i64(&d, roost_json_at(&d, 0, 15), &v));
    CHECK(!roost_json_i64(&d, roost_json_at(&d, 0, 16), &v));
    CHECK(!roost_json_i64(&d, ROOST_JSON_NONE, &v));
    double f = 0;
    CHECK(roost_json_f64(&d, roost_json_at(&d, 0, 6), &f) && f == 1.5);
    CHECK(roost_json_f64(&d, roost_json_at(&d, 0, 7), &f) && f == 100.0);
    CHECK(roost_json_f64(&d, roost_json_at(&d, 0, 12), &f) && f == 1.0);
    CHECK(roost_json_f64(&d, roost_json_at(&d, 0, 17), &f) && f == 2.5e-3);
    CHECK(!roost_json_f64(&d, roost_json_at(&d, 0, 13), &f));
    CHECK(!roost_json_f64(&d, roost_json_at(&d, 0, 10), &f));
    CHECK(roost_json_text(&d, roost_json_at(&d, 0, 13)).ptr == NULL);
    /* Huge numbers: kept as text, f64 refuses infinity. */
    char big[200];
    memset(big, '9', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    CHECK_INT_EQ(parse_s(&d, big, NULL), 0);
    CHECK(!roost_json_i64(&d, 0, &v));
    CHECK(roost_json_f64(&d, 0, &f) && f > 9e198);
    CHECK_INT_EQ(parse_s(&d, "1e400", NULL), 0);
    CHECK(!roost_json_f64(&d, 0, &f));
    roost_json_doc_fini(&d);
}

/* Digit runs of every length, ending at every distance from the end of
 * an exact-size heap buffer, so ASan sees any read past the end of the
 * vector digit scan; a letter after the digits is still an error. */
static void test_digit_runs(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    for (size_t nd = 1; nd <= 40; nd++) {
        for (size_t pad = 0; pad <= 18; pad++) {
            size_t len = 1 + nd + 1 + (pad ? pad + 1 : 0); /* [d] [d,1..] */
            char *buf = roost_malloc(len);
            CHECK(buf != NULL);
            buf[0] = '[';
            memset(buf + 1, '7', nd);
            buf[1 + nd] = pad ? ',' : ']';
            if (pad) {
                memset(buf + 2 + nd, '1', pad);
                buf[len - 1] = ']';
                if (pad == 1) {
                    buf[2 + nd] = '2'; /* [777,2] */
                }
            }
            CHECK_INT_EQ(roost_json_parse(&d, buf, len, NULL), 0);
            uint32_t t = roost_json_at(&d, 0, 0);
            CHECK(roost_json_is(&d, t, ROOST_JSON_NUMBER));
            CHECK_INT_EQ(d.toks[t].len, nd);
            if (pad) {
                uint32_t u = roost_json_at(&d, 0, 1);
                CHECK_INT_EQ(d.toks[u].len, pad);
            }
            buf[1 + nd] = 'x';
            CHECK(roost_json_parse(&d, buf, len, NULL) < 0);
            roost_free(buf);
        }
    }
    /* A number that is the whole document and ends the buffer. */
    for (size_t nd = 1; nd <= 40; nd++) {
        char *buf = roost_malloc(nd);
        CHECK(buf != NULL);
        memset(buf, '3', nd);
        CHECK_INT_EQ(roost_json_parse(&d, buf, nd, NULL), 0);
        CHECK_INT_EQ(d.toks[0].len, nd);
        roost_free(buf);
    }
    roost_json_doc_fini(&d);
}

static void test_depth_limit(void)
{
    struct roost_json_doc d;
    struct roost_diag diag = { 0 };
    roost_json_doc_init(&d, 4, 0);
    CHECK_INT_EQ(parse_s(&d, "[[[[1]]]]", NULL), 0);
    CHECK_INT_EQ(parse_s(&d, "[[[[[1]]]]]", &diag), ROOST_ELIMIT);
    CHECK_INT_EQ(diag.offset, 4);
    CHECK_INT_EQ(parse_s(&d, "{\"a\":{\"b\":[{\"c\":1}]}}", NULL), 0);
    CHECK_INT_EQ(parse_s(&d, "{\"a\":{\"b\":[{\"c\":[]}]}}", NULL),
                 ROOST_ELIMIT);
    roost_json_doc_fini(&d);

    /* 10^6 opening brackets: stops at the limit, no deep recursion. */
    size_t n = 1000000;
    char *deep = malloc(n);
    CHECK(deep != NULL);
    memset(deep, '[', n);
    roost_json_doc_init(&d, 0, 0);
    clock_t t0 = clock();
    CHECK_INT_EQ(roost_json_parse(&d, deep, n, &diag), ROOST_ELIMIT);
    CHECK_INT_EQ(diag.offset, ROOST_JSON_DEFAULT_DEPTH);
    CHECK((clock() - t0) < CLOCKS_PER_SEC / 10);
    /* With a huge limit the same input is merely unterminated. */
    struct roost_json_doc big;
    roost_json_doc_init(&big, UINT32_MAX, 0);
    CHECK_INT_EQ(roost_json_parse(&big, deep, n, &diag), ROOST_EPARSE);
    CHECK_INT_EQ(diag.offset, n);
    roost_json_doc_fini(&big);
    free(deep);
    roost_json_doc_fini(&d);
}

static void test_max_bytes(void)
{
    struct roost_json_doc d;
    struct roost_diag diag = { 0 };
    roost_json_doc_init(&d, 0, 8);
    CHECK_INT_EQ(parse_s(&d, "[1,2,3]", NULL), 0);
    CHECK_INT_EQ(parse_s(&d, "[1,2,3,4]", &diag), ROOST_ELIMIT);
    CHECK_INT_EQ(d.n_toks, 0);
    roost_json_doc_fini(&d);
}

static void test_get_dup_and_path(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    const char *in =
        "{\"id\":1,\"user\":{\"screen_name\":\"ann\",\"id\":2},"
        "\"entities\":{\"urls\":[{\"u\":\"a\"},{\"u\":\"b\"}]},"
        "\"id\":3,\"\":\"empty\",\"idx\":4}";
    CHECK_INT_EQ(parse_s(&d, in, NULL), 0);
    int64_t v = 0;
    CHECK(roost_json_i64(&d, roost_json_get(&d, 0, "id"), &v) && v == 3);
    CHECK(roost_json_i64(&d, roost_json_get(&d, 0, "idx"), &v) && v == 4);
    CHECK_INT_EQ(roost_json_get(&d, 0, "i"), ROOST_JSON_NONE);
    CHECK_INT_EQ(roost_json_get(&d, 0, "missing"), ROOST_JSON_NONE);
    struct roost_str s = roost_json_str(&d, roost_json_get(&d, 0, ""));
    CHECK_MEM_EQ(s.ptr, s.len, "empty");
    s = roost_json_str(&d, roost_json_path(&d, 0, "user.screen_name"));
    CHECK_MEM_EQ(s.ptr, s.len, "ann");
    s = roost_json_str(&d, roost_json_path(&d, 0, "entities.urls.1.u"));
    CHECK_MEM_EQ(s.ptr, s.len, "b");
    CHECK_INT_EQ(roost_json_path(&d, 0, "entities.urls.2.u"),
                 ROOST_JSON_NONE);
    CHECK_INT_EQ(roost_json_path(&d, 0, "entities.urls.x"), ROOST_JSON_NONE);
    CHECK_INT_EQ(roost_json_path(&d, 0, "user.screen_name.deeper"),
                 ROOST_JSON_NONE);
    CHECK_INT_EQ(roost_json_path(&d, ROOST_JSON_NONE, "user"),
                 ROOST_JSON_NONE);
    CHECK_INT_EQ(roost_json_getn(&d, 0, "idxx", 3), roost_json_get(&d, 0, "idx"));
    /* get on a non-object, at on a non-array */
    uint32_t user = roost_json_get(&d, 0, "user");
    CHECK_INT_EQ(roost_json_at(&d, user, 0), ROOST_JSON_NONE);
    CHECK_INT_EQ(roost_json_get(&d, roost_json_get(&d, 0, "id"), "x"),
                 ROOST_JSON_NONE);
    CHECK_INT_EQ(roost_json_get(&d, ROOST_JSON_NONE, "x"), ROOST_JSON_NONE);
    CHECK(roost_json_str(&d, ROOST_JSON_NONE).ptr == NULL);
    CHECK(roost_json_str(&d, user).ptr == NULL);
    CHECK(!roost_json_bool(&d, ROOST_JSON_NONE));
    roost_json_doc_fini(&d);
}

static void test_reuse_and_growth(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    /* A big array forces the tape to grow mid-parse. */
    size_t n = 200000;
    char *buf = malloc(n * 2 + 2);
    CHECK(buf != NULL);
    size_t len = 0;
    buf[len++] = '[';
    for (size_t i = 0; i < n; i++) {
        buf[len++] = '7';
        buf[len++] = ',';
    }
    buf[len - 1] = ']';
    CHECK_INT_EQ(roost_json_parse(&d, buf, len, NULL), 0);
    CHECK_INT_EQ(d.n_toks, n + 1);
    CHECK_INT_EQ(d.toks[0].len, n);
    CHECK_INT_EQ(roost_json_at(&d, 0, (uint32_t)n - 1), n);
    /* A failed parse leaves an empty tape, then a good one works again. */
    CHECK_INT_EQ(parse_s(&d, "[1,", NULL), ROOST_EPARSE);
    CHECK_INT_EQ(d.n_toks, 0);
    CHECK_INT_EQ(parse_s(&d, "{\"a\":\"\\n\"}", NULL), 0);
    CHECK_INT_EQ(d.n_toks, 3);
    free(buf);
    roost_json_doc_fini(&d);
}

static void test_oom(void)
{
    struct roost_json_doc d;
    struct roost_diag diag = { 0 };
    roost_json_doc_init(&d, 0, 0);
    roost_mem_fault_after(1); /* the tape allocation works, scratch fails */
    CHECK_INT_EQ(parse_s(&d, "[\"\\n\"]", &diag), ROOST_ENOMEM);
    CHECK_INT_EQ(d.n_toks, 0);
    roost_mem_fault_after(0);
    CHECK_INT_EQ(parse_s(&d, "[\"\\n\"]", NULL), 0);
    struct roost_str s = roost_json_str(&d, 1);
    CHECK_MEM_EQ(s.ptr, s.len, "\n");
    roost_json_doc_fini(&d);
}

static void test_error_offsets(void)
{
    struct roost_diag diag = { 0 };
    struct {
        const char *in;
        uint64_t off;
    } cases[] = {
        { "[1,2,]", 5 },  { "{\"a\":1 \"b\"}", 7 }, { "[1] 2", 4 },
        { "\"abc", 0 },   { "[\"a\nb\"]", 3 },      { "[01]", 2 },
        { "{\"a\" :x}", 6 }, { "[1.e5]", 3 },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int rc = roost_json_valid(cases[i].in, strlen(cases[i].in), 0, &diag);
        CHECK_MSG(rc == ROOST_EPARSE, "case %zu gave %d", i, rc);
        CHECK_MSG(diag.offset == cases[i].off, "case %zu offset %llu (%s)",
                  i, (unsigned long long)diag.offset, diag.msg);
        CHECK(diag.msg[0] != '\0');
    }
}

/* read_all - a file's bytes (malloc'd), or NULL. */
static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    size_t cap = 4096;
    size_t n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, f);
        if (got == 0) {
            break;
        }
        n += got;
        if (n == cap) {
            cap *= 2;
            char *nb = realloc(buf, cap);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
            }
            buf = nb;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

static void test_jsontestsuite(void)
{
    const char *data = check_data_dir();
    if (data == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set");
    }
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/json-test-suite/test_parsing", data);
    DIR *dp = opendir(dir);
    if (dp == NULL) {
        CHECK_SKIP("%s absent", dir);
    }
    int y_n = 0, y_ok = 0, n_n = 0, n_ok = 0, i_acc = 0, i_rej = 0;
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    for (;;) {
        struct dirent *ent = readdir(dp);
        if (ent == NULL) {
            break;
        }
        const char *name = ent->d_name;
        if (name[0] == '.' || strlen(name) < 3 || name[1] != '_') {
            continue;
        }
        char path[2048];
        snprintf(path, sizeof(path), "%s/%s", dir, name);
        size_t len = 0;
        char *buf = read_all(path, &len);
        CHECK_MSG(buf != NULL, "cannot read %s", path);
        struct roost_diag diag = { 0 };
        int rc = roost_json_parse(&d, buf, len, &diag);
        int vrc = roost_json_valid(buf, len, 0, NULL);
        CHECK_MSG(rc == vrc, "%s: parse %d valid %d", name, rc, vrc);
        CHECK_MSG(rc == 0 || rc == ROOST_EPARSE || rc == ROOST_EUTF8 ||
                      rc == ROOST_ELIMIT,
                  "%s: unexpected %d", name, rc);
        if (name[0] == 'y') {
            y_n++;
            y_ok += rc == 0;
            if (rc != 0) {
                printf("  y rejected: %s (%s at %llu)\n", name, diag.msg,
                       (unsigned long long)diag.offset);
            }
        } else if (name[0] == 'n') {
            n_n++;
            n_ok += rc != 0;
            if (rc == 0) {
                printf("  n accepted: %s\n", name);
            }
        } else if (name[0] == 'i') {
            if (rc == 0) {
                i_acc++;
            } else {
                i_rej++;
            }
        }
        free(buf);
    }
    closedir(dp);
    roost_json_doc_fini(&d);
    printf("jsontestsuite: y accepted %d/%d, n rejected %d/%d, "
           "i accepted %d rejected %d\n",
           y_ok, y_n, n_ok, n_n, i_acc, i_rej);
    CHECK(y_n > 0 && n_n > 0);
    CHECK_INT_EQ(y_ok, y_n);
    CHECK_INT_EQ(n_ok, n_n);
}

static void test_tweet_sample(void)
{
    const char *data = check_data_dir();
    if (data == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set");
    }
    char path[1024];
    snprintf(path, sizeof(path),
             "%s/tweets-corpus-covid-analysis/"
             "sample-stream-2021-01-01T0729Z.jsonl",
             data);
    size_t len = 0;
    char *buf = read_all(path, &len);
    if (buf == NULL) {
        CHECK_SKIP("%s absent", path);
    }
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    size_t n_ok = 0;
    const char *p = buf;
    const char *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        if (le > p) {
            CHECK_INT_EQ(roost_json_parse(&d, p, (size_t)(le - p), NULL), 0);
            CHECK(roost_json_is(&d, 0, ROOST_JSON_OBJECT));
            struct roost_str id = roost_json_text(&d,
                                                  roost_json_get(&d, 0, "id"));
            if (id.ptr != NULL) {
                struct roost_str ids =
                    roost_json_str(&d, roost_json_get(&d, 0, "id_str"));
                CHECK(roost_str_eq(id, ids));
            }
            n_ok++;
        }
        p = le + 1;
    }
    CHECK(n_ok > 1000);
    roost_json_doc_fini(&d);
    free(buf);
}

/* Big objects get a hash index on their second lookup (first from 16
 * members): lookups must still see the last duplicate, escaped keys,
 * absent keys, and a fresh tape after the next parse. */
static void test_lookup_index(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    char js[2048];
    for (int members = 1; members <= 40; members += 3) {
        size_t n = 0;
        n += (size_t)snprintf(js + n, sizeof(js) - n, "{");
        for (int i = 0; i < members; i++) {
            n += (size_t)snprintf(js + n, sizeof(js) - n, "%s\"k%d\":%d",
                                  i ? "," : "", i % 7 == 6 ? 0 : i, i);
        }
        n += (size_t)snprintf(js + n, sizeof(js) - n,
                              ",\"\\u00e9t\\u00e9\":1,\"\":2}");
        CHECK_INT_EQ(roost_json_parse(&d, js, n, NULL), 0);
        for (int rep = 0; rep < 3; rep++) {
            for (int i = 0; i < members; i++) {
                char key[16];
                snprintf(key, sizeof(key), "k%d", i);
                uint32_t v = roost_json_get(&d, 0, key);
                int64_t x = -1;
                if (i % 7 == 6) {
                    CHECK(v == ROOST_JSON_NONE);
                    continue;
                }
                CHECK(roost_json_i64(&d, v, &x));
                /* k0 repeats at every 7th member: the last one wins. */
                int want = i;
                if (i == 0) {
                    want = members >= 7 ? (members - 7) / 7 * 7 + 6 : 0;
                }
                CHECK_INT_EQ(x, want);
            }
            CHECK(roost_json_get(&d, 0, "absent") == ROOST_JSON_NONE);
            CHECK(roost_json_get(&d, 0, "k") == ROOST_JSON_NONE);
            CHECK(roost_json_get(&d, 0, "\xc3\xa9t\xc3\xa9") !=
                  ROOST_JSON_NONE);
            CHECK(roost_json_get(&d, 0, "") != ROOST_JSON_NONE);
        }
    }
    /* The next parse starts from a clean memo. */
    CHECK_INT_EQ(parse_s(&d, "{\"a\":1,\"b\":2}", NULL), 0);
    CHECK_INT_EQ(roost_json_get(&d, 0, "b"), 4);
    CHECK(roost_json_get(&d, 0, "k3") == ROOST_JSON_NONE);
    roost_json_doc_fini(&d);
}

/* Escaped string values are decoded on first access, once, and earlier
 * views stay valid while later ones are decoded. */
static void test_lazy_decode(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    const char *js =
        "[\"a\\/b\",\"\\u00e9\",\"12\",\"\\u0031\\u0032\",\"x\\n\"]";
    CHECK_INT_EQ(parse_s(&d, js, NULL), 0);
    struct roost_str e = roost_json_str(&d, 2);
    CHECK_MEM_EQ(e.ptr, e.len, "\xc3\xa9");
    struct roost_str a = roost_json_text(&d, 1);
    CHECK_MEM_EQ(a.ptr, a.len, "a/b");
    struct roost_str e2 = roost_json_str(&d, 2);
    CHECK(e2.ptr == e.ptr && e2.len == e.len);
    int64_t v = 0;
    CHECK(roost_json_i64(&d, 4, &v)); /* "\u0031\u0032" is "12" */
    CHECK_INT_EQ(v, 12);
    struct roost_str x = roost_json_str(&d, 5);
    CHECK_MEM_EQ(x.ptr, x.len, "x\n");
    CHECK_MEM_EQ(e.ptr, e.len, "\xc3\xa9");
    CHECK_MEM_EQ(a.ptr, a.len, "a/b");
    /* Validation still happens at parse time. */
    CHECK_INT_EQ(parse_s(&d, "[\"ok\",\"\\x\"]", NULL), ROOST_EPARSE);
    CHECK_INT_EQ(parse_s(&d, "[\"\\ud800\"]", NULL), ROOST_EUTF8);
    CHECK_INT_EQ(parse_s(&d, "[\"\\ud800\\u0041\"]", NULL), ROOST_EUTF8);
    CHECK_INT_EQ(parse_s(&d, "[\"\\u12\"]", NULL), ROOST_EPARSE);
    roost_json_doc_fini(&d);
}

CHECK_LIST(test_scalars, test_reject_basics, test_tape_shape, test_escapes,
           test_surrogates, test_utf8, test_numbers, test_digit_runs,
           test_depth_limit,
           test_max_bytes, test_get_dup_and_path, test_reuse_and_growth,
           test_oom, test_error_offsets, test_jsontestsuite,
           test_tweet_sample, test_lookup_index, test_lazy_decode);
