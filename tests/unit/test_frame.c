/* SPDX-License-Identifier: MIT
 *
 * test_frame.c - record framing: every mode, split at every byte boundary,
 * oversize skipping, truncation at EOF, CRLF and line numbers.
 *
 * Most tests go through collect(), which feeds a stream in pieces of a
 * given size and renders every outcome as one line of text
 * ("0 L1 @0 {...}", "-3 L4 @20 ...", "ev=NAME ..."), so a whole framing
 * can be compared with one string.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/buf.h"
#include "parse/frame.h"

/* collect - frame s fed in pieces of `step` bytes (0: all at once); the
 * rendered outcomes, malloc'd. */
static char *collect(const char *s, size_t len, size_t step, size_t max,
                     enum roost_frame_mode mode)
{
    struct roost_frame f;
    struct roost_buf out;
    roost_frame_init(&f, max);
    roost_buf_init(&out, 1u << 24);
    if (mode != ROOST_FRAME_AUTO) {
        CHECK_INT_EQ(roost_frame_set_mode(&f, mode), 0);
    }
    size_t off = 0;
    for (;;) {
        if (off < len) {
            size_t n = step == 0 || len - off < step ? len - off : step;
            CHECK_INT_EQ(roost_frame_feed(&f, s + off, n), 0);
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
    size_t n = 0;
    char *text = roost_buf_take(&out, &n);
    return text != NULL ? text : strdup("");
}

/* expect_all_splits - the framing of s is `want` for every piece size. */
static void expect_all_splits(const char *s, size_t max,
                              enum roost_frame_mode mode, const char *want)
{
    size_t len = strlen(s);
    for (size_t step = 0; step <= len + 1; step++) {
        char *got = collect(s, len, step, max, mode);
        CHECK_MSG(strcmp(got, want) == 0, "step %zu:\n%s--- want:\n%s", step,
                  got, want);
        free(got);
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

CHECK_LIST(test_jsonl, test_jsonl_truncated_line, test_crlf,
           test_pretty_docs, test_docs_truncated, test_array, test_sse,
           test_lines_mode, test_bom, test_oversize_jsonl,
           test_oversize_streamed, test_oversize_docs,
           test_feed_bound_and_misc, test_tweet_file_splits);
