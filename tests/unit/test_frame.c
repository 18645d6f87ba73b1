/* SPDX-License-Identifier: MIT
 *
 * test_frame.c - record framing: every mode, split at every byte boundary,
 * oversize skipping, truncation at EOF, CRLF and line numbers.
 *
 * Most tests go through collect(), which feeds a stream in pieces of a
 * given size and renders every outcome as one line of text
 * ("0 L1 @0 {...}", "-3 L4 @20 ...", "ev=NAME ..."), so a whole framing
 * can be compared with one string. expect_all_splits() checks every piece
 * size three ways: copying feeds, borrowed feeds, and the two alternating;
 * borrowed pieces are separate allocations freed as soon as the contract
 * allows, so ASan sees any late use, and every record lying whole in the
 * current piece must be a view into it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "core/buf.h"
#include "parse/frame.h"
#include "parse/json.h"

enum feed_how {
    FEED_COPY,
    FEED_LENT,
    FEED_MIXED, /* lent and copied pieces alternate */
};

/* collect_how - frame s fed in pieces of `step` bytes (0: all at once),
 * fed as `how` says; the rendered outcomes, malloc'd. *n_views counts the
 * records that were views into a lent piece (may be NULL). */
static char *collect_how(const char *s, size_t len, size_t step, size_t max,
                         enum roost_frame_mode mode, enum feed_how how,
                         size_t *n_views)
{
    struct roost_frame f;
    struct roost_buf out;
    roost_frame_init(&f, max);
    roost_buf_init(&out, 1u << 24);
    if (mode != ROOST_FRAME_AUTO) {
        CHECK_INT_EQ(roost_frame_set_mode(&f, mode), 0);
    }
    char *piece = NULL; /* the last lent piece; NULL when it was copied */
    size_t piece_len = 0;
    size_t piece_off = 0;
    size_t n_pieces = 0;
    size_t off = 0;
    for (;;) {
        if (off < len) {
            size_t n = step == 0 || len - off < step ? len - off : step;
            bool lend =
                how == FEED_LENT || (how == FEED_MIXED && n_pieces % 2 == 0);
            char *p = NULL;
            if (lend) {
                p = malloc(n);
                CHECK(p != NULL);
                memcpy(p, s + off, n);
                CHECK_INT_EQ(roost_frame_feed_borrowed(&f, p, n), 0);
            } else {
                CHECK_INT_EQ(roost_frame_feed(&f, s + off, n), 0);
            }
            free(piece); /* the framer lets go of it at the next feed */
            piece = p;
            piece_len = n;
            piece_off = off;
            n_pieces++;
            off += n;
        } else if (!f.eof) {
            roost_frame_finish(&f);
        }
        int rc;
        struct roost_record r;
        for (;;) {
            rc = roost_frame_next(&f, &r, NULL);
            if (rc == ROOST_EAGAIN || rc == ROOST_ENOENT) {
                break;
            }
            CHECK(rc == 0 || rc == ROOST_EPARSE || rc == ROOST_ELIMIT);
            if (piece != NULL && f.mode != ROOST_FRAME_SSE &&
                r.offset >= piece_off &&
                r.offset + r.len <= piece_off + piece_len) {
                CHECK_MSG(r.ptr == piece + (r.offset - piece_off),
                          "record @%llu is not a view",
                          (unsigned long long)r.offset);
                if (n_views != NULL) {
                    (*n_views)++;
                }
            }
            if (r.event.len > 0) {
                roost_buf_printf(&out, "ev=%.*s ", (int)r.event.len,
                                 r.event.ptr);
            }
            roost_buf_printf(&out, "%d L%llu @%llu %.*s\n", rc,
                             (unsigned long long)r.line,
                             (unsigned long long)r.offset, (int)r.len, r.ptr);
        }
        if (rc == ROOST_ENOENT) {
            CHECK(f.eof);
            break;
        }
        CHECK(!f.eof || off < len);
    }
    roost_frame_fini(&f);
    free(piece);
    size_t n = 0;
    char *text = roost_buf_take(&out, &n);
    return text != NULL ? text : strdup("");
}

static char *collect(const char *s, size_t len, size_t step, size_t max,
                     enum roost_frame_mode mode)
{
    return collect_how(s, len, step, max, mode, FEED_COPY, NULL);
}

/* expect_all_splits - the framing of s is `want` for every piece size and
 * every way of feeding. */
static void expect_all_splits(const char *s, size_t max,
                              enum roost_frame_mode mode, const char *want)
{
    static const char *const how_name[] = { "copy", "lent", "mixed" };
    size_t len = strlen(s);
    for (int how = FEED_COPY; how <= FEED_MIXED; how++) {
        for (size_t step = 0; step <= len + 1; step++) {
            char *got =
                collect_how(s, len, step, max, mode, (enum feed_how)how, NULL);
            CHECK_MSG(strcmp(got, want) == 0, "%s step %zu:\n%s--- want:\n%s",
                      how_name[how], step, got, want);
            free(got);
        }
    }
}

static void test_jsonl(void)
{
    expect_all_splits("{\"a\":1}\n{\"b\":[1,2]}\n\n  \n[3]\n\"s\"\n42", 0,
                      ROOST_FRAME_AUTO,
                      "0 L1 @0 {\"a\":1}\n"
                      "0 L2 @8 {\"b\":[1,2]}\n"
                      "0 L5 @24 [3]\n"
                      "0 L6 @28 \"s\"\n"
                      "0 L7 @32 42\n");
}

static void test_jsonl_truncated_line(void)
{
    /* A newline always ends a record in JSONL: the cut line is one bad
     * record and the next line is framed normally. */
    expect_all_splits("{\"a\":1}\n{\"b\":{\"c\n{\"d\":2}\n{\"e\":", 0,
                      ROOST_FRAME_AUTO,
                      "0 L1 @0 {\"a\":1}\n"
                      "-3 L2 @8 {\"b\":{\"c\n"
                      "0 L3 @17 {\"d\":2}\n"
                      "-3 L4 @25 {\"e\":\n");
}

static void test_crlf(void)
{
    expect_all_splits("{\"a\":1}\r\n\r\n{\"b\":2}\r\n", 0, ROOST_FRAME_AUTO,
                      "0 L1 @0 {\"a\":1}\n"
                      "0 L3 @11 {\"b\":2}\n");
    expect_all_splits("{\r\n \"a\": 1\r\n}\r\n{\"b\":\r\n2}", 0,
                      ROOST_FRAME_AUTO,
                      "0 L1 @0 {\r\n \"a\": 1\r\n}\n"
                      "0 L4 @15 {\"b\":\r\n2}\n");
}

static void test_pretty_docs(void)
{
    expect_all_splits("{\n  \"t\": \"a}\\\"{\",\n  \"u\": [1, {\"x\": 2}]\n}\n"
                      "\n{\"k\":\n \"v\\n\"}  [1,\n2] \"str\" 7\n",
                      0, ROOST_FRAME_AUTO,
                      "0 L1 @0 {\n  \"t\": \"a}\\\"{\",\n"
                      "  \"u\": [1, {\"x\": 2}]\n}\n"
                      "0 L6 @42 {\"k\":\n \"v\\n\"}\n"
                      "0 L7 @57 [1,\n2]\n"
                      "0 L8 @64 \"str\"\n"
                      "0 L8 @70 7\n");
}

static void test_docs_truncated(void)
{
    expect_all_splits("{\n\"a\": 1\n}\n{\n\"b\": [1,\n", 0, ROOST_FRAME_AUTO,
                      "0 L1 @0 {\n\"a\": 1\n}\n"
                      "-3 L4 @11 {\n\"b\": [1,\n\n");
    /* A stray closer is one bad byte; framing goes on after it. */
    expect_all_splits("{\n}\n}\n{\n}", 0, ROOST_FRAME_AUTO,
                      "0 L1 @0 {\n}\n"
                      "-3 L3 @4 }\n"
                      "0 L4 @6 {\n}\n");
}

static void test_array(void)
{
    expect_all_splits("[\n {\"id\": 1, \"t\": \"[x]\"},\n {\"id\": 2},\n"
                      " [3, 4], \"s\", 5 ]\n[{\"z\":0}]",
                      0, ROOST_FRAME_AUTO,
                      "0 L2 @3 {\"id\": 1, \"t\": \"[x]\"}\n"
                      "0 L3 @27 {\"id\": 2}\n"
                      "0 L4 @39 [3, 4]\n"
                      "0 L4 @47 \"s\"\n"
                      "0 L4 @52 5\n"
                      "0 L5 @57 {\"z\":0}\n");
    expect_all_splits("[]\n[ ]", 0, ROOST_FRAME_AUTO, "");
    expect_all_splits("[{\"a\":1},{\"a\":", 0, ROOST_FRAME_AUTO,
                      "0 L1 @1 {\"a\":1}\n"
                      "-3 L1 @9 {\"a\":\n");
}

static void test_sse(void)
{
    expect_all_splits(":heartbeat\n\nevent: update\ndata: {\"id\":1}\n\n"
                      ":hb\nid: 7\nevent: delete\r\ndata: 123\r\n\r\n"
                      "data: {\"a\":\ndata: 2}\n\n"
                      "event: x\n\ndata:{\"last\":1}",
                      0, ROOST_FRAME_AUTO,
                      "ev=update 0 L4 @32 {\"id\":1}\n"
                      "ev=delete 0 L9 @73 123\n"
                      "0 L11 @86 {\"a\":\n2}\n"
                      "0 L16 @117 {\"last\":1}\n");
}

static void test_lines_mode(void)
{
    expect_all_splits("hello world\r\n\n  x {\n", 0, ROOST_FRAME_LINES,
                      "0 L1 @0 hello world\n"
                      "0 L3 @14   x {\n");
}

static void test_bom(void)
{
    expect_all_splits("\xef\xbb\xbf{\"a\":1}\n{\"b\":2}\n", 0,
                      ROOST_FRAME_AUTO,
                      "0 L1 @3 {\"a\":1}\n"
                      "0 L2 @11 {\"b\":2}\n");
}

static void test_oversize_jsonl(void)
{
    /* Line 2 is 40 bytes; the limit is 16. Only a prefix is reported. */
    const char *s = "{\"a\":1}\n{\"big\":\"0123456789012345678901234567\"}\n"
                    "{\"c\":3}\n";
    expect_all_splits(s, 16, ROOST_FRAME_AUTO,
                      "0 L1 @0 {\"a\":1}\n"
                      "-6 L2 @8 {\"big\":\"01234567\n"
                      "0 L3 @47 {\"c\":3}\n");
}

static void test_oversize_streamed(void)
{
    /* A 1 MiB line with a 64 KiB limit: the framer never holds it whole. */
    size_t big = 1u << 20;
    size_t max = 64u << 10;
    struct roost_frame f;
    roost_frame_init(&f, max);
    char chunk[4096];
    memset(chunk, 'x', sizeof(chunk));
    chunk[0] = '{';
    CHECK_INT_EQ(roost_frame_feed(&f, "{\"a\":1}\n", 8), 0);
    struct roost_record r;
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), 0);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), ROOST_EAGAIN);
    int n_limit = 0;
    for (size_t sent = 0; sent < big; sent += sizeof(chunk)) {
        CHECK_INT_EQ(roost_frame_feed(&f, chunk, sizeof(chunk)), 0);
        chunk[0] = 'x';
        struct roost_diag diag = { 0 };
        for (;;) {
            int rc = roost_frame_next(&f, &r, &diag);
            if (rc == ROOST_EAGAIN) {
                break;
            }
            CHECK_INT_EQ(rc, ROOST_ELIMIT);
            CHECK_INT_EQ(r.len, ROOST_FRAME_PREFIX_BYTES);
            CHECK_INT_EQ(r.line, 2);
            CHECK_INT_EQ(diag.line, 2);
            CHECK_INT_EQ(r.offset, 8);
            CHECK(r.ptr[0] == '{' && r.ptr[1] == 'x');
            n_limit++;
        }
        CHECK(f.cap <= 2 * max + ROOST_FRAME_FEED_SLACK);
        CHECK(f.len - f.pos <= max + sizeof(chunk));
    }
    CHECK_INT_EQ(n_limit, 1);
    CHECK_INT_EQ(roost_frame_feed(&f, "\n{\"b\":2}\n", 9), 0);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), 0);
    CHECK_MEM_EQ(r.ptr, r.len, "{\"b\":2}");
    CHECK_INT_EQ(r.line, 3);
    CHECK_INT_EQ(r.offset, 8 + big + 1);
    CHECK_INT_EQ(f.n_oversize, 1);
    CHECK(f.cap <= 4 * max);
    roost_frame_fini(&f);
}

static void test_oversize_docs(void)
{
    /* A pretty document over the limit is skipped to its real end. */
    const char *s = "{\n\"a\": \"0123456789012345678901234567890\",\n"
                    "\"b\": {\"c\": \"}\"}\n}\n{\n\"ok\": 1\n}\n";
    expect_all_splits(s, 24, ROOST_FRAME_AUTO,
                      "-6 L1 @0 {\n\"a\": \"0123456789012345\n"
                      "0 L5 @60 {\n\"ok\": 1\n}\n");
}

static void test_feed_bound_and_misc(void)
{
    struct roost_frame f;
    roost_frame_init(&f, 16);
    size_t lim = 2 * 16 + ROOST_FRAME_FEED_SLACK;
    char *big = calloc(1, lim + 1);
    CHECK(big != NULL);
    CHECK_INT_EQ(roost_frame_feed(&f, big, lim + 1), ROOST_ELIMIT);
    CHECK_INT_EQ(roost_frame_set_mode(&f, ROOST_FRAME_JSONL), 0);
    CHECK_INT_EQ(roost_frame_feed(&f, "1\n", 2), 0);
    CHECK_INT_EQ(roost_frame_set_mode(&f, ROOST_FRAME_DOCS), ROOST_EINVAL);
    struct roost_record r;
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), 0);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), ROOST_EAGAIN);
    roost_frame_finish(&f);
    CHECK_INT_EQ(roost_frame_feed(&f, "2\n", 2), ROOST_EINVAL);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), ROOST_ENOENT);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), ROOST_ENOENT);
    CHECK_INT_EQ(f.n_records, 1);
    free(big);
    roost_frame_fini(&f);

    /* An empty stream ends at once. */
    roost_frame_init(&f, 0);
    roost_frame_finish(&f);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), ROOST_ENOENT);
    roost_frame_fini(&f);
}

static void test_tweet_file_splits(void)
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
    FILE *fp = fopen(path, "rb");
    if (fp == NULL) {
        CHECK_SKIP("%s absent", path);
    }
    size_t cap = 1u << 20;
    char *buf = malloc(cap);
    CHECK(buf != NULL);
    size_t len = fread(buf, 1, cap, fp); /* the first MiB is enough */
    fclose(fp);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) {
        lines += buf[i] == '\n';
    }
    char *a = collect(buf, len, 0, 0, ROOST_FRAME_AUTO);
    char *b = collect(buf, len, 7, 0, ROOST_FRAME_AUTO);
    char *c = collect(buf, len, 65536, 0, ROOST_FRAME_AUTO);
    CHECK(strcmp(a, b) == 0);
    CHECK(strcmp(a, c) == 0);
    size_t n_rec = 0;
    for (const char *p = a; *p; p++) {
        n_rec += p[0] == '\n' && p[1] == '0' && p[2] == ' ';
    }
    CHECK(n_rec + 2 >= lines); /* +1 first record, +1 cut last line */
    free(a);
    free(b);
    free(c);
    free(buf);
}

/* lend1 - frame s lent in one piece (a private copy), checking that every
 * record is a view into it; the rendered outcomes. */
static char *lend1(const char *s, size_t max, enum roost_frame_mode mode,
                   size_t *n_views)
{
    *n_views = 0;
    return collect_how(s, strlen(s), 0, max, mode, FEED_LENT, n_views);
}

static void test_borrowed_views(void)
{
    size_t nv = 0;
    /* JSONL with a last record without a newline: five views. */
    char *got = lend1("{\"a\":1}\n\n [2] \n\"s\"\r\n{\"b\":\n{\"c\":3}", 0,
                      ROOST_FRAME_AUTO, &nv);
    CHECK_STR_EQ(got, "0 L1 @0 {\"a\":1}\n"
                      "0 L3 @10 [2]\n"
                      "0 L4 @15 \"s\"\n"
                      "-3 L5 @20 {\"b\":\n"
                      "0 L6 @26 {\"c\":3}\n");
    CHECK_INT_EQ(nv, 5);
    free(got);
    /* Array elements, documents and an oversize prefix are views too. */
    got = lend1("[{\"id\":1},\n {\"id\":2}]", 0, ROOST_FRAME_AUTO, &nv);
    CHECK_STR_EQ(got, "0 L1 @1 {\"id\":1}\n0 L2 @12 {\"id\":2}\n");
    CHECK_INT_EQ(nv, 2);
    free(got);
    got = lend1("{\n\"a\": 1\n}\n{\"b\":\n2}", 0, ROOST_FRAME_AUTO, &nv);
    CHECK_STR_EQ(got, "0 L1 @0 {\n\"a\": 1\n}\n0 L4 @11 {\"b\":\n2}\n");
    CHECK_INT_EQ(nv, 2);
    free(got);
    got = lend1("{\"big\":\"0123456789012345678901234567\"}\n{}", 16,
                ROOST_FRAME_AUTO, &nv);
    CHECK_STR_EQ(got, "-6 L1 @0 {\"big\":\"01234567\n0 L2 @39 {}\n");
    CHECK_INT_EQ(nv, 2);
    free(got);
}

static void test_borrowed_split(void)
{
    /* A record split across two lent pieces is joined in framer storage;
     * the records after it are views into the second piece again. */
    struct roost_frame f;
    roost_frame_init(&f, 0);
    char *a = strdup("{\"a\":1}\n{\"b\":");
    char *b = strdup("2}\n{\"c\":3}\n{\"d\":");
    char *c = strdup("4}");
    struct roost_record r;
    CHECK_INT_EQ(roost_frame_feed_borrowed(&f, a, strlen(a)), 0);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), 0);
    CHECK(r.ptr == a);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), ROOST_EAGAIN);
    CHECK_INT_EQ(roost_frame_feed_borrowed(&f, b, strlen(b)), 0);
    free(a); /* released right after the next feed, as the contract allows */
    CHECK_INT_EQ(roost_frame_feed_borrowed(&f, "x", 1), ROOST_EINVAL);
    CHECK_INT_EQ(roost_frame_feed(&f, "x", 1), ROOST_EINVAL);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), 0);
    CHECK_MEM_EQ(r.ptr, r.len, "{\"b\":2}");
    CHECK_INT_EQ(r.line, 2);
    CHECK_INT_EQ(r.offset, 8);
    CHECK(r.ptr < b || r.ptr >= b + strlen(b)); /* a copy */
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), 0);
    CHECK_MEM_EQ(r.ptr, r.len, "{\"c\":3}");
    CHECK(r.ptr == b + 3);
    CHECK_INT_EQ(r.line, 3);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), ROOST_EAGAIN);
    CHECK_INT_EQ(roost_frame_feed_borrowed(&f, c, strlen(c)), 0);
    free(b);
    roost_frame_finish(&f);
    CHECK_INT_EQ(roost_frame_feed_borrowed(&f, "x", 1), ROOST_EINVAL);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), 0);
    CHECK_MEM_EQ(r.ptr, r.len, "{\"d\":4}");
    CHECK_INT_EQ(r.line, 4);
    CHECK_INT_EQ(r.offset, 24);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), ROOST_ENOENT);
    CHECK_INT_EQ(f.n_records, 4);
    roost_frame_fini(&f);
    free(c);
}

static void test_borrowed_zero_copy(void)
{
    /* 8 MiB of JSONL in one lent buffer: the framer never allocates. */
    size_t n_rec = 100000;
    struct roost_buf s;
    roost_buf_init(&s, 1u << 24);
    for (size_t i = 0; i < n_rec; i++) {
        roost_buf_printf(&s, "{\"id\":%zu,\"t\":\"%0*d\"}\n", i, 60, 7);
    }
    struct roost_frame f;
    roost_frame_init(&f, 0);
    CHECK_INT_EQ(roost_frame_feed_borrowed(&f, s.ptr, s.len), 0);
    roost_frame_finish(&f);
    struct roost_record r;
    size_t n = 0;
    int rc;
    while ((rc = roost_frame_next(&f, &r, NULL)) == 0) {
        CHECK(r.ptr >= s.ptr && r.ptr + r.len <= s.ptr + s.len);
        CHECK_INT_EQ(r.line, n + 1);
        n++;
    }
    CHECK_INT_EQ(rc, ROOST_ENOENT);
    CHECK_INT_EQ(n, n_rec);
    CHECK_INT_EQ(f.cap, 0);
    roost_frame_fini(&f);
    roost_buf_fini(&s);
}

static void test_borrowed_oversize_streamed(void)
{
    /* A 1 MiB line lent in 4 KiB pieces, limit 64 KiB: one prefix, and
     * framer storage stays bounded as with copying feeds. */
    size_t big = 1u << 20;
    size_t max = 64u << 10;
    struct roost_frame f;
    roost_frame_init(&f, max);
    static char chunk[4096];
    memset(chunk, 'x', sizeof(chunk));
    CHECK_INT_EQ(roost_frame_feed_borrowed(&f, "{\"a\":1}\n{", 9), 0);
    struct roost_record r;
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), 0);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), ROOST_EAGAIN);
    int n_limit = 0;
    for (size_t sent = 1; sent < big; sent += sizeof(chunk)) {
        CHECK_INT_EQ(roost_frame_feed_borrowed(&f, chunk, sizeof(chunk)), 0);
        int rc;
        while ((rc = roost_frame_next(&f, &r, NULL)) != ROOST_EAGAIN) {
            CHECK_INT_EQ(rc, ROOST_ELIMIT);
            CHECK_INT_EQ(r.len, ROOST_FRAME_PREFIX_BYTES);
            CHECK_INT_EQ(r.line, 2);
            CHECK_INT_EQ(r.offset, 8);
            CHECK(r.ptr[0] == '{' && r.ptr[1] == 'x');
            n_limit++;
        }
        CHECK(f.cap <= 2 * max + ROOST_FRAME_FEED_SLACK);
    }
    CHECK_INT_EQ(n_limit, 1);
    CHECK_INT_EQ(roost_frame_feed_borrowed(&f, "\n{\"b\":2}\n", 9), 0);
    CHECK_INT_EQ(roost_frame_next(&f, &r, NULL), 0);
    CHECK_MEM_EQ(r.ptr, r.len, "{\"b\":2}");
    CHECK_INT_EQ(r.line, 3);
    CHECK_INT_EQ(f.n_oversize, 1);
    CHECK(f.cap <= 4 * max);
    roost_frame_fini(&f);
}

static void test_borrowed_big_records(void)
{
    /* Records of up to 150 KiB across 200 KB lent pieces: records are
     * joined in pieces of 64 KiB or more, and framing goes back to the lent
     * piece in the middle of a record. Same result as one copying feed. */
    static const char *const shapes[][2] = {
        { "{\"t\":\"", "\"}\n" },
        { "{\n \"t\": \"", "\"\n}\n" },
        { "[{\"t\":\"", "\"}]" },
    };
    for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
        struct roost_buf s;
        roost_buf_init(&s, 1u << 24);
        char *fill = malloc(150000);
        CHECK(fill != NULL);
        uint32_t x = 7;
        while (s.len < (3u << 20)) {
            x = x * 1103515245u + 12345u;
            size_t n = (x >> 8) % 150000;
            memset(fill, 'a' + (int)(s.len % 26), n);
            roost_buf_add(&s, shapes[k][0], strlen(shapes[k][0]));
            roost_buf_add(&s, fill, n);
            roost_buf_add(&s, shapes[k][1], strlen(shapes[k][1]));
        }
        free(fill);
        char *want =
            collect(s.ptr, s.len, 1u << 16, 1u << 20, ROOST_FRAME_AUTO);
        for (size_t step = 65535; step <= 200001; step += 134466) {
            size_t nv = 0;
            char *got = collect_how(s.ptr, s.len, step, 1u << 20,
                                    ROOST_FRAME_AUTO, FEED_LENT, &nv);
            CHECK_MSG(strcmp(got, want) == 0, "shape %zu step %zu", k, step);
            CHECK_MSG(nv > 3, "shape %zu step %zu: %zu views", k, step, nv);
            free(got);
            got = collect_how(s.ptr, s.len, step, 1u << 20, ROOST_FRAME_AUTO,
                              FEED_MIXED, NULL);
            CHECK_MSG(strcmp(got, want) == 0, "mixed shape %zu step %zu", k,
                      step);
            free(got);
        }
        free(want);
        roost_buf_fini(&s);
    }
}

/* frame_guarded - lend s placed to end exactly at a page boundary followed
 * by an inaccessible page; frame it and parse every good record. Any read
 * past the end faults. Returns the number of good records. */
static size_t frame_guarded(const char *s, enum roost_frame_mode mode)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t len = strlen(s);
    CHECK(len <= page);
    char *m = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    CHECK_INT_EQ(mprotect(m + page, page, PROT_NONE), 0);
    char *p = m + page - len;
    memcpy(p, s, len);
    struct roost_frame f;
    roost_frame_init(&f, 0);
    if (mode != ROOST_FRAME_AUTO) {
        CHECK_INT_EQ(roost_frame_set_mode(&f, mode), 0);
    }
    CHECK_INT_EQ(roost_frame_feed_borrowed(&f, p, len), 0);
    roost_frame_finish(&f);
    struct roost_json_doc doc;
    roost_json_doc_init(&doc, ROOST_JSON_DEFAULT_DEPTH, 0);
    struct roost_record r;
    size_t n_good = 0;
    int rc;
    while ((rc = roost_frame_next(&f, &r, NULL)) != ROOST_ENOENT) {
        CHECK(rc == 0 || rc == ROOST_EPARSE);
        CHECK(f.mode == ROOST_FRAME_SSE ||
              (r.ptr >= p && r.ptr + r.len <= p + len));
        struct roost_diag diag = { 0 };
        if (roost_json_parse(&doc, r.ptr, r.len, &diag) == 0) {
            n_good++;
        }
        (void)roost_json_valid(r.ptr, r.len, 8, NULL);
    }
    roost_json_doc_fini(&doc);
    roost_frame_fini(&f);
    munmap(m, 2 * page);
    return n_good;
}

static void test_borrowed_page_end(void)
{
    /* Records whose last byte is the last readable byte: long strings (the
     * 16-byte vector paths), numbers, literals, cut values. */
    char longstr[200];
    memset(longstr, 'x', sizeof(longstr));
    longstr[sizeof(longstr) - 1] = '\0';
    char s[512];
    snprintf(s, sizeof(s), "{\"a\":1}\n{\"t\":\"%s\"}", longstr);
    CHECK_INT_EQ(frame_guarded(s, ROOST_FRAME_AUTO), 2);
    snprintf(s, sizeof(s), "{\"a\":1}\n\"%s\"", longstr);
    CHECK_INT_EQ(frame_guarded(s, ROOST_FRAME_AUTO), 2);
    snprintf(s, sizeof(s), "{\"a\":1}\n{\"t\":\"%s", longstr);
    CHECK_INT_EQ(frame_guarded(s, ROOST_FRAME_AUTO), 1);
    /* '[' first: array mode, three values */
    CHECK_INT_EQ(frame_guarded("[1,2]\n12345678901234567890", ROOST_FRAME_AUTO),
                 3);
    CHECK_INT_EQ(frame_guarded("{\"a\":[true,false,null,-1.5e3]}\ntrue",
                               ROOST_FRAME_AUTO),
                 2);
    snprintf(s, sizeof(s), "[\n{\"t\":\"%s\"},\n3.25]", longstr);
    CHECK_INT_EQ(frame_guarded(s, ROOST_FRAME_AUTO), 2);
    snprintf(s, sizeof(s), "{\n\"t\": \"%s\"\n}\n{\"u\":\n\"%s\"}", longstr,
             longstr);
    CHECK_INT_EQ(frame_guarded(s, ROOST_FRAME_AUTO), 2);
    snprintf(s, sizeof(s), "data: {\"t\":\"%s\"}", longstr);
    CHECK_INT_EQ(frame_guarded(s, ROOST_FRAME_AUTO), 1);
    CHECK_INT_EQ(frame_guarded("one\ntwo \\", ROOST_FRAME_LINES), 0);
}

CHECK_LIST(test_jsonl, test_jsonl_truncated_line, test_crlf,
           test_pretty_docs, test_docs_truncated, test_array, test_sse,
           test_lines_mode, test_bom, test_oversize_jsonl,
           test_oversize_streamed, test_oversize_docs,
           test_feed_bound_and_misc, test_tweet_file_splits,
           test_borrowed_views, test_borrowed_split, test_borrowed_zero_copy,
           test_borrowed_oversize_streamed, test_borrowed_big_records,
           test_borrowed_page_end);
