/* SPDX-License-Identifier: MIT
 *
 * test_exec.c - the continuous query executor, operator by operator:
 * filter, explode, group by, running totals, tumbling and hopping
 * windows with late rows, HAVING, ORDER BY/LIMIT, output modes, plain
 * projections, save/load, and query errors. Posts are built by hand so
 * every expected count is obvious.
 */
#include <string.h>

#include "check.h"
#include "core/mem.h"
#include "engine/exec.h"

#define MIN_MS 60000LL
#define T0 1700000000000LL /* a whole minute */

struct tpost {
    struct roost_post p;
    struct roost_entity tags[8];
};

/* A post at T0 + ms with space-separated hashtags and a language. */
static void mk(struct tpost *t, const char *id, int64_t ms, const char *tags,
               const char *lang)
{
    memset(t, 0, sizeof(*t));
    t->p.id = roost_str_cstr(id);
    t->p.created_at_ms = ms == 0 ? 0 : T0 + ms;
    t->p.lang = roost_str_cstr(lang);
    t->p.text = roost_str_cstr(tags);
    t->p.author.id = roost_str_cstr("u1");
    t->p.author.followers = 10;
    t->p.hashtags = t->tags;
    const char *s = tags;
    while (*s != '\0' && t->p.n_hashtags < 8) {
        const char *e = strchr(s, ' ');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        t->tags[t->p.n_hashtags++].text = roost_str_make(s, len);
        s += len;
        while (*s == ' ') {
            s++;
        }
    }
}

static struct roost_exec *compile(const char *sql, uint8_t mode)
{
    struct roost_exec_cfg cfg = {
        .name = "t", .sql = sql, .mode = mode, .lateness_ms = 0,
    };
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    struct roost_exec *x = NULL;
    int rc = roost_exec_new(&cfg, &x, &d);
    CHECK_MSG(rc == 0, "%s: %s", sql, d.msg);
    return x;
}

static void push(struct roost_exec *x, const char *id, int64_t ms,
                 const char *tags, const char *lang)
{
    struct tpost t;
    mk(&t, id, ms, tags, lang);
    CHECK(roost_exec_push(x, &t.p, T0) == 0);
}

/* Render a row set as "a,b;c,d" for compact comparisons. */
static const char *render(const struct roost_rowset *rs)
{
    static char out[4096];
    struct roost_buf b;
    roost_buf_init(&b, sizeof(out) - 1);
    for (size_t r = 0; r < rs->n_rows; r++) {
        if (r > 0) {
            roost_buf_addc(&b, ';');
        }
        for (uint32_t c = 0; c < rs->n_cols; c++) {
            if (c > 0) {
                roost_buf_addc(&b, ',');
            }
            roost_value_write_text(&roost_rowset_row(rs, r)[c], &b);
        }
    }
    snprintf(out, sizeof(out), "%s", b.ptr ? b.ptr : "");
    roost_buf_fini(&b);
    return out;
}

static const char *trig(struct roost_exec *x, struct roost_rowset *rs)
{
    CHECK(roost_exec_trigger(x, rs) == 0);
    return render(rs);
}

#define EXPECT(got, want)                                                    \
    do {                                                                     \
        const char *g_ = (got);                                              \
        CHECK_MSG(strcmp(g_, (want)) == 0, "got [%s] want [%s]", g_, want);  \
    } while (0)

static void test_running_count_complete(void)
{
    struct roost_exec *x =
        compile("SELECT tag_lower, COUNT(*) AS n FROM hashtags "
                "GROUP BY tag_lower ORDER BY n DESC, tag_lower",
                ROOST_OUTPUT_DEFAULT);
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    push(x, "1", 1000, "Vote Go", "en");
    push(x, "2", 2000, "vote", "en");
    EXPECT(trig(x, &rs), "vote,2,0;go,1,0");
    CHECK(strcmp(rs.names[0], "tag_lower") == 0);
    CHECK(strcmp(rs.names[1], "n") == 0);
    CHECK(strcmp(rs.names[2], "late_dropped") == 0);
    push(x, "3", 3000, "GO go", "en");
    /* complete mode: the whole table every trigger */
    EXPECT(trig(x, &rs), "go,3,0;vote,2,0");
    EXPECT(trig(x, &rs), "go,3,0;vote,2,0");
    roost_rowset_fini(&rs);
    roost_exec_free(x);
}

static void test_filter_and_limit(void)
{
    struct roost_exec *x =
        compile("SELECT tag_lower, COUNT(*) AS n FROM hashtags "
                "WHERE lang = 'en' GROUP BY tag_lower "
                "ORDER BY n DESC, tag_lower LIMIT 2",
                ROOST_OUTPUT_DEFAULT);
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    push(x, "1", 1000, "a b c", "en");
    push(x, "2", 1000, "c b", "en");
    push(x, "3", 1000, "a a a a", "es");
    EXPECT(trig(x, &rs), "b,2,0;c,2,0");
    struct roost_exec_stats st;
    roost_exec_stats(x, &st);
    CHECK(st.n_filtered == 4);
    CHECK(st.n_rows == 9);
    roost_rowset_fini(&rs);
    roost_exec_free(x);
}

static void test_tumble_append_and_late(void)
{
    struct roost_exec *x = compile(
        "SELECT tag_lower, window_start, COUNT(*) AS n FROM hashtags "
        "GROUP BY tag_lower, TUMBLE(created_at, INTERVAL '1' MINUTE)",
        ROOST_OUTPUT_DEFAULT);
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    push(x, "1", 1000, "a", "en");
    push(x, "2", 30000, "a b", "en");
    EXPECT(trig(x, &rs), ""); /* append: nothing final yet */
    push(x, "3", MIN_MS + 5000, "a", "en"); /* closes minute 0 */
    EXPECT(trig(x, &rs), "a,2023-11-14T22:13:00.000Z,2,0;"
                         "b,2023-11-14T22:13:00.000Z,1,0");
    push(x, "4", 10000, "a", "en"); /* late: minute 0 is closed */
    push(x, "5", 2 * MIN_MS, "z", "en");
    EXPECT(trig(x, &rs), "a,2023-11-14T22:14:00.000Z,1,1");
    CHECK(roost_exec_finish(x) == 0);
    EXPECT(trig(x, &rs), "z,2023-11-14T22:15:00.000Z,1,1");
    struct roost_exec_stats st;
    roost_exec_stats(x, &st);
    CHECK(st.late_dropped == 1);
    roost_rowset_fini(&rs);
    roost_exec_free(x);
}

static void test_hop_windows(void)
{
    struct roost_exec *x = compile(
        "SELECT window_start, COUNT(*) AS n FROM posts "
        "GROUP BY HOP(created_at, INTERVAL '2' MINUTE, INTERVAL '1' MINUTE)",
        ROOST_OUTPUT_DEFAULT);
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    push(x, "1", 1000, "", "en");          /* minute 0 */
    push(x, "2", MIN_MS + 1000, "", "en"); /* minute 1 */
    push(x, "3", MIN_MS + 2000, "", "en");
    CHECK(roost_exec_finish(x) == 0);
    /* windows [-1,1) [0,2) [1,3) in minutes */
    EXPECT(trig(x, &rs), "2023-11-14T22:12:00.000Z,1,0;"
                         "2023-11-14T22:13:00.000Z,3,0;"
                         "2023-11-14T22:14:00.000Z,2,0");
    roost_rowset_fini(&rs);
    roost_exec_free(x);
}

static void test_update_mode(void)
{
    struct roost_exec *x = compile(
        "SELECT tag, COUNT(*) AS n FROM hashtags GROUP BY tag "
        "EMIT CHANGES",
        ROOST_OUTPUT_DEFAULT);
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    push(x, "1", 1000, "a b", "en");
    EXPECT(trig(x, &rs), "a,1,0;b,1,0");
    push(x, "2", 2000, "b", "en");
    EXPECT(trig(x, &rs), "b,2,0"); /* only what changed */
    EXPECT(trig(x, &rs), "");
    roost_rowset_fini(&rs);
    roost_exec_free(x);
}

static void test_having(void)
{
    struct roost_exec *x = compile(
        "SELECT tag, COUNT(*) AS n FROM hashtags GROUP BY tag "
        "HAVING COUNT(*) >= 2 ORDER BY tag",
        ROOST_OUTPUT_DEFAULT);
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    push(x, "1", 1000, "a b c", "en");
    push(x, "2", 2000, "b c", "en");
    EXPECT(trig(x, &rs), "b,2,0;c,2,0");
    roost_rowset_fini(&rs);
    roost_exec_free(x);
}

static void test_projection_append(void)
{
    struct roost_exec *x = compile(
        "SELECT id, upper(lang) AS l FROM posts WHERE lang <> 'fr'",
        ROOST_OUTPUT_DEFAULT);
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    push(x, "1", 1000, "", "en");
    push(x, "2", 1000, "", "fr");
    push(x, "3", 1000, "", "es");
    EXPECT(trig(x, &rs), "1,EN;3,ES");
    EXPECT(trig(x, &rs), "");
    push(x, "4", 1000, "", "de");
    EXPECT(trig(x, &rs), "4,DE");
    roost_rowset_fini(&rs);
    roost_exec_free(x);
}

static void test_processing_time_fallback(void)
{
    struct roost_exec *x = compile(
        "SELECT COUNT(*) AS n FROM posts "
        "GROUP BY TUMBLE(created_at, INTERVAL '10' SECOND)",
        ROOST_OUTPUT_DEFAULT);
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    struct tpost t;
    mk(&t, "1", 0, "", "en"); /* no created_at: processing time */
    CHECK(roost_exec_push(x, &t.p, T0 + 1000) == 0);
    CHECK(roost_exec_push(x, &t.p, T0 + 2000) == 0);
    EXPECT(trig(x, &rs), "");
    CHECK(roost_exec_tick(x, T0 + 20000) == 0);
    EXPECT(trig(x, &rs), "2,0");
    roost_rowset_fini(&rs);
    roost_exec_free(x);
}

static void test_words_stop_words(void)
{
    struct roost_exec_cfg cfg = {
        .name = "w",
        .sql = "SELECT word, COUNT(*) AS n FROM words GROUP BY word "
               "ORDER BY n DESC, word",
        .stop_words = true,
    };
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    struct roost_exec *x = NULL;
    CHECK(roost_exec_new(&cfg, &x, &d) == 0);
    struct tpost t;
    mk(&t, "1", 1000, "", "en");
    t.p.text = roost_str_cstr("The cat and THE dog, the cat! @bob "
                              "https://x.co/a");
    CHECK(roost_exec_push(x, &t.p, T0) == 0);
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    EXPECT(trig(x, &rs), "cat,2,0;dog,1,0");
    roost_rowset_fini(&rs);
    roost_exec_free(x);
}

static void test_save_load_roundtrip(void)
{
    const char *sql = "SELECT tag_lower, window_start, COUNT(*) AS n, "
                      "APPROX_COUNT_DISTINCT(post_id) AS d FROM hashtags "
                      "GROUP BY tag_lower, "
                      "TUMBLE(created_at, INTERVAL '1' MINUTE)";
    struct roost_exec *a = compile(sql, ROOST_OUTPUT_DEFAULT);
    struct roost_exec *b = compile(sql, ROOST_OUTPUT_DEFAULT);
    struct roost_rowset ra, rb;
    roost_rowset_init(&ra);
    roost_rowset_init(&rb);
    push(a, "1", 1000, "x y", "en");
    push(a, "2", MIN_MS + 1000, "x", "en");
    struct roost_buf buf;
    roost_buf_init(&buf, 1u << 24);
    CHECK(roost_exec_save(a, &buf) == 0);
    CHECK(roost_exec_load(b, buf.ptr, buf.len) == 0);
    /* the same future for both */
    push(a, "3", 2 * MIN_MS + 1000, "x", "en");
    push(b, "3", 2 * MIN_MS + 1000, "x", "en");
    CHECK(roost_exec_finish(a) == 0 && roost_exec_finish(b) == 0);
    char sa[4096];
    snprintf(sa, sizeof(sa), "%s", trig(a, &ra));
    EXPECT(trig(b, &rb), sa);
    CHECK(strstr(sa, "x,2023-11-14T22:13:00.000Z,1,1,0") != NULL);
    /* a bad encoding is refused */
    CHECK(roost_exec_load(b, "nope", 4) == ROOST_EPARSE);
    roost_buf_fini(&buf);
    roost_rowset_fini(&ra);
    roost_rowset_fini(&rb);
    roost_exec_free(a);
    roost_exec_free(b);
}

static void test_errors(void)
{
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    struct roost_exec *x = NULL;
    struct roost_exec_cfg cfg = { .name = "e",
                                  .sql = "SELECT tag FROM tweets" };
    CHECK(roost_exec_new(&cfg, &x, &d) == ROOST_EPARSE);
    CHECK_MSG(strstr(d.msg, "1:17: unknown stream 'tweets'") != NULL, "%s",
              d.msg);
    memset(&d, 0, sizeof(d));
    cfg.sql = "SELECT tag FROM hashtags\nWHERE nope = 1";
    CHECK(roost_exec_new(&cfg, &x, &d) == ROOST_EPARSE);
    CHECK_MSG(strncmp(d.msg, "2:7:", 4) == 0, "%s", d.msg);
    memset(&d, 0, sizeof(d));
    cfg.sql = "SELECT id FROM posts";
    cfg.mode = ROOST_OUTPUT_COMPLETE;
    CHECK(roost_exec_new(&cfg, &x, &d) == ROOST_EINVAL);
}

static void test_result_cap_evicts_oldest_final(void)
{
    struct roost_exec_cfg cfg = {
        .name = "c",
        .sql = "SELECT id FROM posts",
        .max_result_rows = 3,
    };
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    struct roost_exec *x = NULL;
    CHECK(roost_exec_new(&cfg, &x, &d) == 0);
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    for (int i = 0; i < 5; i++) {
        char id[8];
        snprintf(id, sizeof(id), "%d", i);
        push(x, id, 1000, "", "en");
    }
    EXPECT(trig(x, &rs), "0;1;2;3;4");
    CHECK(roost_exec_view(x, &rs) == 0);
    EXPECT(render(&rs), "2;3;4");
    struct roost_exec_stats st;
    roost_exec_stats(x, &st);
    CHECK(st.n_result_evicted == 2);
    roost_rowset_fini(&rs);
    roost_exec_free(x);
}

CHECK_LIST(test_running_count_complete, test_filter_and_limit,
           test_tumble_append_and_late, test_hop_windows, test_update_mode,
           test_having, test_projection_append,
           test_processing_time_fallback, test_words_stop_words,
           test_save_load_roundtrip, test_errors,
           test_result_cap_evicts_oldest_final);
