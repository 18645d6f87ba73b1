/* SPDX-License-Identifier: MIT
 *
 * test_store_query.c - read-only access to the store: the authorizer
 * (every kind of write refused, the file unchanged), query streaming,
 * the FTS query translation, search filters and export formats.
 */
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "store/sink.h"
#include "store/store_query.h"

static char db_path[256];

static void make_store(void)
{
    snprintf(db_path, sizeof(db_path), "/tmp/roost-test-query-%d.db",
             (int)getpid());
    unlink(db_path);
    char spec[300];
    snprintf(spec, sizeof(spec), "sqlite:%s", db_path);
    struct roost_sink *s = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK(roost_sink_new(spec, &s, &d) == 0);
    CHECK_MSG(roost_sink_open(s, &d) == 0, "%s", d.msg);

    static struct roost_entity tag = { { "News", 4 }, { NULL, 0 }, 0, 0 };
    struct roost_post p[3];
    const char *ids[] = { "1", "2", "3" };
    const char *texts[] = { "the quick brown fox, \"quoted\"\nline",
                            "a quick news item #News", "autre café noir" };
    const char *langs[] = { "en", "en", "fr" };
    const char *handles[] = { "Alice", "bob", "carol" };
    for (int i = 0; i < 3; i++) {
        memset(&p[i], 0, sizeof(p[i]));
        p[i].format = ROOST_FMT_X2;
        p[i].platform = ROOST_PLATFORM_X;
        p[i].id = roost_str_cstr(ids[i]);
        p[i].text = roost_str_cstr(texts[i]);
        p[i].lang = roost_str_cstr(langs[i]);
        p[i].created_at_ms = 1600000000000 + i * 1000;
        p[i].author.id = roost_str_cstr(ids[i]);
        p[i].author.handle = roost_str_cstr(handles[i]);
        p[i].author.followers = ROOST_UNKNOWN_COUNT;
        p[i].author.following = ROOST_UNKNOWN_COUNT;
        p[i].author.posts = ROOST_UNKNOWN_COUNT;
        p[i].retweets = p[i].likes = p[i].replies = p[i].quotes =
            ROOST_UNKNOWN_COUNT;
    }
    p[1].hashtags = &tag;
    p[1].n_hashtags = 1;
    struct roost_sink_batch b = { p, 3, NULL, 0 };
    CHECK(roost_sink_write(s, &b) == 0);
    roost_sink_free(s);
}

static struct roost_store *open_ro(void)
{
    struct roost_store *st = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK_MSG(roost_store_open(db_path, &st, &d) == 0, "%s", d.msg);
    return st;
}

struct rows {
    int n_header;
    int n_rows;
    char first[256];
    char cols[256];
};

static int collect(void *arg, const struct roost_store_row *r)
{
    struct rows *x = arg;
    if (r->values == NULL) {
        x->n_header++;
        x->cols[0] = '\0';
        for (size_t i = 0; i < r->n_cols; i++) {
            size_t n = strlen(x->cols);
            snprintf(x->cols + n, sizeof(x->cols) - n, "%s%s", i ? "," : "",
                     r->names[i]);
        }
        return 0;
    }
    if (x->n_rows++ == 0) {
        snprintf(x->first, sizeof(x->first), "%s",
                 r->values[0] != NULL ? r->values[0] : "NULL");
    }
    return 0;
}

static long long file_size(void)
{
    struct stat st;
    return stat(db_path, &st) == 0 ? (long long)st.st_size : -1;
}

static void test_query_rows(void)
{
    make_store();
    struct roost_store *s = open_ro();
    struct rows x = { 0 };
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK_INT_EQ(roost_store_query(s,
                                   "SELECT id, text FROM posts ORDER BY "
                                   "id;  ",
                                   -1, collect, &x, &d),
                 0);
    CHECK_INT_EQ(x.n_header, 1);
    CHECK_INT_EQ(x.n_rows, 3);
    CHECK_STR_EQ(x.first, "1");
    CHECK_STR_EQ(x.cols, "id,text");
    memset(&x, 0, sizeof(x));
    CHECK_INT_EQ(
        roost_store_query(s, "SELECT * FROM posts", 2, collect, &x, &d), 0);
    CHECK_INT_EQ(x.n_rows, 2);
    /* Header even without rows. */
    memset(&x, 0, sizeof(x));
    CHECK_INT_EQ(
        roost_store_query(s, "SELECT 1 AS a WHERE 0", -1, collect, &x, &d), 0);
    CHECK_INT_EQ(x.n_header, 1);
    CHECK_INT_EQ(x.n_rows, 0);
    CHECK_INT_EQ(
        roost_store_query(s, "SELECT 1; SELECT 2", -1, collect, &x, &d),
        ROOST_EINVAL);
    CHECK(strstr(d.msg, "one statement") != NULL);
    CHECK_INT_EQ(roost_store_query(s, "SELEKT", -1, collect, &x, &d),
                 ROOST_EINVAL);
    CHECK(strstr(d.msg, "syntax") != NULL);
    /* Read-only pragmas and views work. */
    memset(&x, 0, sizeof(x));
    CHECK_INT_EQ(
        roost_store_query(s, "PRAGMA table_info(posts)", -1, collect, &x, &d),
        0);
    CHECK(x.n_rows > 20);
    CHECK_INT_EQ(
        roost_store_query(s, "PRAGMA user_version", -1, collect, &x, &d), 0);
    memset(&x, 0, sizeof(x));
    CHECK_INT_EQ(roost_store_query(s, "SELECT * FROM top_hashtags_1h", -1,
                                   collect, &x, &d),
                 0);
    CHECK_STR_EQ(x.first, "news");
    roost_store_close(s);
}

static void test_authorizer_refuses_writes(void)
{
    make_store();
    long long size = file_size();
    struct roost_store *s = open_ro();
    static const char *const writes[] = {
        "DELETE FROM posts",
        "UPDATE posts SET text = 'x'",
        "INSERT INTO tracked_terms VALUES ('x')",
        "DROP TABLE posts",
        "DROP VIEW live_posts",
        "CREATE TABLE t (a)",
        "CREATE TEMP TABLE t (a)",
        "CREATE INDEX i ON posts(lang)",
        "ALTER TABLE posts ADD COLUMN z",
        "ATTACH '/tmp/roost-test-attach.db' AS a",
        "PRAGMA user_version = 3",
        "PRAGMA journal_mode = DELETE",
        "PRAGMA query_only = 0",
        "PRAGMA writable_schema = 1",
        "BEGIN",
        "VACUUM",
        "REINDEX",
        "ANALYZE",
        "INSERT INTO posts_fts(posts_fts) VALUES ('rebuild')",
        "WITH x AS (SELECT 1) DELETE FROM posts",
    };
    for (size_t i = 0; i < sizeof(writes) / sizeof(writes[0]); i++) {
        struct rows x = { 0 };
        struct roost_diag d;
        memset(&d, 0, sizeof(d));
        int rc = roost_store_query(s, writes[i], -1, collect, &x, &d);
        CHECK_MSG(rc == ROOST_EINVAL, "%s: %d", writes[i], rc);
        CHECK_MSG(d.msg[0] != '\0', "%s: no message", writes[i]);
    }
    roost_store_close(s);
    CHECK(access("/tmp/roost-test-attach.db", F_OK) != 0);
    CHECK_INT_EQ(file_size(), size);
    s = open_ro();
    struct rows x = { 0 };
    CHECK_INT_EQ(roost_store_query(s, "SELECT count(*) FROM posts", -1, collect,
                                   &x, NULL),
                 0);
    CHECK_STR_EQ(x.first, "3");
    roost_store_close(s);
}

static void test_open_errors(void)
{
    struct roost_store *s = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK_INT_EQ(roost_store_open("/tmp/roost-test-nope.db", &s, &d),
                 ROOST_ENOENT);
    CHECK(access("/tmp/roost-test-nope.db", F_OK) != 0);
    FILE *f = fopen("/tmp/roost-test-notdb.db", "w");
    fputs("this is not a database, just some text of enough length", f);
    fclose(f);
    CHECK(roost_store_open("/tmp/roost-test-notdb.db", &s, &d) < 0);
    unlink("/tmp/roost-test-notdb.db");
}

static void check_fts(const char *in, const char *want)
{
    struct roost_buf b;
    roost_buf_init(&b, 4096);
    CHECK_MSG(roost_store_fts_query(in, &b) == 0, "%s", in);
    CHECK_STR_EQ(b.ptr, want);
    roost_buf_fini(&b);
}

static void test_fts_query(void)
{
    check_fts("hello", "\"hello\"");
    check_fts("  quick   fox ", "\"quick\" \"fox\"");
    check_fts("\"a phrase\" word", "\"a phrase\" \"word\"");
    check_fts("#covid19 @who", "\"#covid19\" \"@who\"");
    check_fts("vacc* OR mask", "\"vacc\" * OR \"mask\"");
    check_fts("a NOT b", "\"a\" NOT \"b\"");
    check_fts("or and", "\"or\" \"and\"");
    check_fts("say \"hi\"\"", "\"say\" \"hi\"");
    check_fts("x OR", "\"x\"");
    check_fts("\"un\"\"closed", "\"un\" \"closed\"");
    struct roost_buf b;
    roost_buf_init(&b, 4096);
    CHECK_INT_EQ(roost_store_fts_query("   ", &b), ROOST_EINVAL);
    CHECK_INT_EQ(roost_store_fts_query("\"\"", &b), ROOST_EINVAL);
    roost_buf_fini(&b);
}

static void test_search(void)
{
    make_store();
    struct roost_store *s = open_ro();
    CHECK(roost_store_has_fts(s));
    struct roost_search_q q = { .words = "quick",
                                .since_ms = INT64_MIN,
                                .until_ms = INT64_MAX };
    struct rows x = { 0 };
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK_INT_EQ(roost_store_search(s, &q, collect, &x, &d), 0);
    CHECK_INT_EQ(x.n_rows, 2);
    CHECK_STR_EQ(x.cols, "created_at,author,lang,snippet,score,id");
    /* diacritics removed: cafe finds café */
    q.words = "cafe";
    memset(&x, 0, sizeof(x));
    CHECK_INT_EQ(roost_store_search(s, &q, collect, &x, &d), 0);
    CHECK_INT_EQ(x.n_rows, 1);
    q.words = "quick";
    q.from = "@ALICE";
    memset(&x, 0, sizeof(x));
    CHECK_INT_EQ(roost_store_search(s, &q, collect, &x, &d), 0);
    CHECK_INT_EQ(x.n_rows, 1);
    q.from = NULL;
    q.lang = "fr";
    memset(&x, 0, sizeof(x));
    CHECK_INT_EQ(roost_store_search(s, &q, collect, &x, &d), 0);
    CHECK_INT_EQ(x.n_rows, 0);
    q.lang = NULL;
    q.since_ms = 1600000000500;
    memset(&x, 0, sizeof(x));
    CHECK_INT_EQ(roost_store_search(s, &q, collect, &x, &d), 0);
    CHECK_INT_EQ(x.n_rows, 1);
    q.since_ms = INT64_MIN;
    q.words = "\"quick news\"";
    memset(&x, 0, sizeof(x));
    CHECK_INT_EQ(roost_store_search(s, &q, collect, &x, &d), 0);
    CHECK_INT_EQ(x.n_rows, 1);
    q.words = "";
    CHECK_INT_EQ(roost_store_search(s, &q, collect, &x, &d), ROOST_EINVAL);
    roost_store_close(s);
}

static int to_buf(void *arg, const char *p, size_t len)
{
    return roost_buf_add(arg, p, len);
}

static void test_export(void)
{
    make_store();
    struct roost_store *s = open_ro();
    struct roost_buf b;
    roost_buf_init(&b, 1 << 20);
    struct roost_export_q q = { .format = ROOST_EXPORT_CSV,
                                .since_ms = INT64_MIN,
                                .until_ms = INT64_MAX };
    uint64_t n = 0;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK_INT_EQ(roost_store_export(s, &q, to_buf, &b, &n, &d), 0);
    CHECK_INT_EQ(n, 3);
    CHECK(strncmp(b.ptr, "id,created_at,platform,lang,", 28) == 0);
    /* RFC 4180: the comma, quote and newline cell is quoted */
    CHECK(strstr(b.ptr, "\"the quick brown fox, \"\"quoted\"\"\nline\"") !=
          NULL);
    CHECK(strstr(b.ptr, "2020-09-13T12:26:40.000Z") != NULL);

    roost_buf_reset(&b);
    q.columns = "id,hashtags,format";
    CHECK_INT_EQ(roost_store_export(s, &q, to_buf, &b, &n, &d), 0);
    CHECK(strncmp(b.ptr, "id,hashtags,format\n1,,v2\n2,News,v2\n", 35) == 0);

    q.columns = "id,nope";
    CHECK_INT_EQ(roost_store_export(s, &q, to_buf, &b, &n, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "'nope'") != NULL);

    roost_buf_reset(&b);
    q.columns = NULL;
    q.format = ROOST_EXPORT_JSONL;
    q.since_ms = 1600000001000;
    CHECK_INT_EQ(roost_store_export(s, &q, to_buf, &b, &n, &d), 0);
    CHECK_INT_EQ(n, 2);
    CHECK(strncmp(b.ptr, "{\"id\":\"2\",\"created_at\":", 23) == 0);
    CHECK(strstr(b.ptr, "\"hashtags\":[\"News\"]") != NULL);
    roost_buf_fini(&b);
    roost_store_close(s);
}

CHECK_LIST(test_query_rows, test_authorizer_refuses_writes, test_open_errors,
           test_fts_query, test_search, test_export);
