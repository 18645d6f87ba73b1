/* SPDX-License-Identifier: MIT
 *
 * test_stream_tables.c - schemas and the explosion of posts into rows.
 */
#include <string.h>

#include "check.h"
#include "engine/stream_tables.h"

struct rows {
    int n;
    char last[256];
};

static int on_row(void *arg, const struct roost_value *row)
{
    struct rows *r = arg;
    r->n++;
    snprintf(r->last, sizeof(r->last), "%.*s|%.*s", (int)row[1].u.s.len,
             row[1].u.s.ptr, (int)row[2].u.s.len, row[2].u.s.ptr);
    return 0;
}

static void test_find_and_schemas(void)
{
    enum roost_stream_table t;
    CHECK(roost_stream_find(roost_str_cstr("HashTags"), &t) == 0);
    CHECK(t == ROOST_STREAM_HASHTAGS);
    CHECK(roost_stream_find(roost_str_cstr("tweets"), &t) == ROOST_ENOENT);
    for (int i = 0; i < ROOST_STREAM_N_; i++) {
        const struct roost_schema *s = roost_stream_schema(i);
        uint32_t tc = roost_stream_time_col(i);
        CHECK(tc < s->n_cols);
        CHECK(strcmp(s->cols[tc].name, "created_at") == 0);
    }
    const struct roost_schema *h = roost_stream_schema(ROOST_STREAM_HASHTAGS);
    CHECK(strcmp(h->cols[ROOST_HASHTAGS_TAG_LOWER].name, "tag_lower") == 0);
}

static void test_explode_hashtags_and_referenced(void)
{
    struct roost_entity tags[2] = { { .text = ROOST_STR_LIT("Vote") },
                                    { .text = ROOST_STR_LIT("ÉLECTION") } };
    struct roost_post p = { .id = ROOST_STR_LIT("1"), .hashtags = tags,
                            .n_hashtags = 2, .created_at_ms = 5 };
    struct roost_stream_scratch s;
    roost_stream_scratch_init(&s);
    struct rows r = { 0 };
    CHECK(roost_stream_explode(ROOST_STREAM_HASHTAGS, &p, NULL, &s, on_row,
                               &r) == 0);
    CHECK(r.n == 2);
    CHECK_MSG(strcmp(r.last, "ÉLECTION|élection") == 0, "%s", r.last);
    p.referenced = true;
    r.n = 0;
    CHECK(roost_stream_explode(ROOST_STREAM_HASHTAGS, &p, NULL, &s, on_row,
                               &r) == 0);
    CHECK(r.n == 0);
    roost_stream_scratch_fini(&s);
}

static void test_urls_domain(void)
{
    struct roost_entity u = { .text = ROOST_STR_LIT("https://t.co/x"),
                              .expanded =
                                  ROOST_STR_LIT("https://WWW.Example.com/a") };
    struct roost_post p = { .id = ROOST_STR_LIT("1"), .urls = &u,
                            .n_urls = 1 };
    struct roost_stream_scratch s;
    roost_stream_scratch_init(&s);
    struct rows r = { 0 };
    CHECK(roost_stream_explode(ROOST_STREAM_URLS, &p, NULL, &s, on_row,
                               &r) == 0);
    CHECK(r.n == 1);
    CHECK_MSG(strcmp(r.last, "https://t.co/x|https://WWW.Example.com/a") ==
                  0,
              "%s", r.last);
    roost_stream_scratch_fini(&s);
}

static int on_word(void *arg, const struct roost_value *row)
{
    struct rows *r = arg;
    size_t l = strlen(r->last);
    snprintf(r->last + l, sizeof(r->last) - l, "%.*s ",
             (int)row[1].u.s.len, row[1].u.s.ptr);
    r->n++;
    return 0;
}

static void test_words_and_stop_words(void)
{
    struct roost_post p = { .id = ROOST_STR_LIT("1"),
                            .text = ROOST_STR_LIT("The Cat and @bob "
                                                  "https://x.co #Dog") };
    struct roost_stream_scratch s;
    roost_stream_scratch_init(&s);
    struct rows r = { 0 };
    CHECK(roost_stream_explode(ROOST_STREAM_WORDS, &p, NULL, &s, on_word,
                               &r) == 0);
    CHECK_MSG(strcmp(r.last, "the cat and dog ") == 0, "%s", r.last);
    struct roost_stream_opts o = { .stop_words = true };
    memset(&r, 0, sizeof(r));
    CHECK(roost_stream_explode(ROOST_STREAM_WORDS, &p, &o, &s, on_word,
                               &r) == 0);
    CHECK_MSG(strcmp(r.last, "cat dog ") == 0, "%s", r.last);
    CHECK(roost_stream_is_stop_word("the", 3));
    CHECK(!roost_stream_is_stop_word("thee", 4));
    roost_stream_scratch_fini(&s);
}

static int count_row(void *arg, const struct roost_value *row)
{
    (void)row;
    (*(int *)arg)++;
    return 0;
}

static void test_posts_and_authors_nulls(void)
{
    struct roost_post p = { .id = ROOST_STR_LIT("1"),
                            .author = { .id = ROOST_STR_LIT("a") },
                            .retweets = ROOST_UNKNOWN_COUNT };
    p.author.followers = ROOST_UNKNOWN_COUNT;
    struct roost_stream_scratch s;
    roost_stream_scratch_init(&s);
    int n = 0;
    CHECK(roost_stream_explode(ROOST_STREAM_POSTS, &p, NULL, &s, count_row,
                               &n) == 0);
    CHECK(roost_stream_explode(ROOST_STREAM_AUTHORS, &p, NULL, &s,
                               count_row, &n) == 0);
    CHECK(n == 2);
    roost_stream_scratch_fini(&s);
}

CHECK_LIST(test_find_and_schemas, test_explode_hashtags_and_referenced,
           test_urls_domain, test_words_and_stop_words,
           test_posts_and_authors_nulls);
