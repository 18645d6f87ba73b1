/* SPDX-License-Identifier: MIT
 *
 * test_post_copy.c - a batch copied into one allocation: every string and
 * array of every post and control event, equal to the original and inside
 * the copy (so the original may go), NULL strings kept NULL and empty ones
 * not, empty batches, a failed allocation, and a real corpus compared as
 * JSON.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "core/mem.h"
#include "parse/post.h"
#include "store/post_copy.h"

/* The original's bytes live here, so the test can wipe them. */
static char pool[4096];
static size_t pool_len;

static struct roost_str s_(const char *s)
{
    size_t n = strlen(s);
    CHECK(pool_len + n + 1 <= sizeof(pool));
    char *p = pool + pool_len;
    memcpy(p, s, n + 1);
    pool_len += n + 1;
    return roost_str_make(p, n);
}

/* Every view of a post, in one order, for comparing two posts. */
#define MAX_VIEWS 128

static size_t views(const struct roost_post *p, struct roost_str *v)
{
    size_t n = 0;
    const struct roost_author *a = &p->author;
    const struct roost_geo *g = &p->geo;
    struct roost_str fixed[] = { p->id,
                                 p->lang,
                                 p->text,
                                 p->source,
                                 p->url,
                                 a->id,
                                 a->handle,
                                 a->name,
                                 a->description,
                                 a->location,
                                 a->lang,
                                 a->profile_image_url,
                                 g->place_id,
                                 g->place_name,
                                 g->place_full_name,
                                 g->place_type,
                                 g->country,
                                 g->country_code,
                                 p->conversation_id };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        v[n++] = fixed[i];
    }
    for (uint32_t i = 0; i < p->n_refs; i++) {
        v[n++] = p->refs[i].id;
        v[n++] = p->refs[i].author_id;
        v[n++] = p->refs[i].author_handle;
    }
    const struct roost_entity *ents[] = { p->hashtags, p->mentions, p->urls,
                                          p->cashtags };
    uint32_t n_ents[] = { p->n_hashtags, p->n_mentions, p->n_urls,
                          p->n_cashtags };
    for (int k = 0; k < 4; k++) {
        for (uint32_t i = 0; i < n_ents[k]; i++) {
            v[n++] = ents[k][i].text;
            v[n++] = ents[k][i].expanded;
        }
    }
    for (uint32_t i = 0; i < p->n_media; i++) {
        v[n++] = p->media[i].id;
        v[n++] = p->media[i].type;
        v[n++] = p->media[i].url;
        v[n++] = p->media[i].alt;
    }
    for (uint32_t i = 0; i < p->n_rules; i++) {
        v[n++] = p->rules[i];
    }
    CHECK(n <= MAX_VIEWS);
    return n;
}

static bool inside(const struct roost_post_copy *c, const void *p)
{
    const char *lo = (const char *)c, *hi = lo + c->n_bytes;
    return (const char *)p >= lo && (const char *)p < hi;
}

/* same_post - equal views, each of the copy inside it (NUL after). */
static void same_post(const struct roost_post_copy *c,
                      const struct roost_post *want,
                      const struct roost_post *got)
{
    struct roost_str a[MAX_VIEWS], b[MAX_VIEWS];
    size_t n = views(want, a);
    CHECK_INT_EQ(views(got, b), n);
    for (size_t i = 0; i < n; i++) {
        CHECK_MSG((a[i].ptr == NULL) == (b[i].ptr == NULL), "view %zu", i);
        if (a[i].ptr == NULL) {
            continue;
        }
        CHECK_INT_EQ(b[i].len, a[i].len);
        CHECK(memcmp(a[i].ptr, b[i].ptr, a[i].len) == 0);
        CHECK_MSG(inside(c, b[i].ptr), "view %zu outside the copy", i);
        CHECK(b[i].ptr[b[i].len] == '\0');
    }
    /* Scalars came along. */
    CHECK_INT_EQ(got->created_at_ms, want->created_at_ms);
    CHECK_INT_EQ(got->likes, want->likes);
    CHECK_INT_EQ(got->author.followers, want->author.followers);
    CHECK_INT_EQ(got->referenced, want->referenced);
    CHECK_INT_EQ(got->has_geo, want->has_geo);
    CHECK(got->geo.bbox[3] == want->geo.bbox[3]);
    CHECK_INT_EQ(got->n_hashtags, want->n_hashtags);
}

static struct roost_entity tags[2], ments[1], urls[1], cash[1];
static struct roost_ref refs[2];
static struct roost_media media[1];
static struct roost_str rules[2];

static void full_post(struct roost_post *p)
{
    memset(p, 0, sizeof(*p));
    pool_len = 0;
    p->format = ROOST_FMT_X2;
    p->platform = ROOST_PLATFORM_X;
    p->referenced = true;
    p->id = s_("1234567890");
    p->created_at_ms = 1600000000000;
    p->lang = s_("en");
    p->text = s_("hello #one #two @al $ROO https://t.co/x");
    p->source = s_("client");
    p->url = s_("https://x.com/bob/status/1234567890");
    p->author = (struct roost_author){ .id = s_("7"),
                                       .handle = s_("bob"),
                                       .name = s_("Bob"),
                                       .description = s_("about"),
                                       .location = s_("here"),
                                       .lang = s_("de"),
                                       .profile_image_url = s_("https://i/b"),
                                       .followers = 10,
                                       .following = 20,
                                       .posts = 30,
                                       .created_at_ms = 1000,
                                       .verified = true };
    refs[0] =
        (struct roost_ref){ ROOST_REF_QUOTE, s_("9"), s_("8"), s_("carol") };
    refs[1] = (struct roost_ref){ ROOST_REF_REPLY, s_("10"), ROOST_STR_NULL,
                                  ROOST_STR_NULL };
    p->refs = refs;
    p->n_refs = 2;
    tags[0] = (struct roost_entity){ s_("one"), ROOST_STR_NULL, 6, 10 };
    tags[1] = (struct roost_entity){ s_("two"), ROOST_STR_NULL, 11, 15 };
    p->hashtags = tags;
    p->n_hashtags = 2;
    ments[0] = (struct roost_entity){ s_("al"), s_("42"), 16, 19 };
    p->mentions = ments;
    p->n_mentions = 1;
    urls[0] = (struct roost_entity){ s_("https://t.co/x"), s_("https://e/x"),
                                     25, 39 };
    p->urls = urls;
    p->n_urls = 1;
    cash[0] = (struct roost_entity){ s_("ROO"), ROOST_STR_NULL, 20, 24 };
    p->cashtags = cash;
    p->n_cashtags = 1;
    media[0] = (struct roost_media){ s_("m1"), s_("photo"), s_("https://m/1"),
                                     s_("") };
    p->media = media;
    p->n_media = 1;
    p->has_geo = true;
    p->geo = (struct roost_geo){ .has_point = true,
                                 .lat = 1.5,
                                 .lon = 2.5,
                                 .has_bbox = true,
                                 .bbox = { 1, 2, 3, 4 },
                                 .place_id = s_("p1"),
                                 .place_name = s_("Town"),
                                 .place_full_name = s_("Town, Land"),
                                 .place_type = s_("city"),
                                 .country = s_("Land"),
                                 .country_code = s_("LD") };
    p->retweets = 1;
    p->likes = 2;
    p->replies = ROOST_UNKNOWN_COUNT;
    p->quotes = 4;
    rules[0] = s_("r1");
    rules[1] = s_("rule two");
    p->rules = rules;
    p->n_rules = 2;
    p->conversation_id = s_("1234567800");
}

static char *json_of(const struct roost_post *p)
{
    struct roost_buf b;
    roost_buf_init(&b, 1 << 20);
    CHECK_INT_EQ(roost_post_write_json(p, &b), 0);
    char *s = strndup(b.ptr, b.len);
    roost_buf_fini(&b);
    return s;
}

static void test_every_field(void)
{
    struct roost_post p[2];
    full_post(&p[0]);
    p[1] = p[0];
    p[1].id = s_("2"); /* shares the arrays: copied twice */
    struct roost_ctl x = { .kind = ROOST_CTL_GAP,
                           .platform = ROOST_PLATFORM_X,
                           .post_id = s_("5"),
                           .user_id = s_("x1"),
                           .code = s_("c"),
                           .reason = s_("lost"),
                           .count = 3,
                           .ts_ms = 4,
                           .end_ms = 5,
                           .first_id = s_("6") };
    struct roost_sink_batch b = { p, 2, &x, 1 };
    char *json = json_of(&p[0]);
    struct roost_post_copy *c = NULL;
    CHECK_INT_EQ(roost_post_copy_new(&b, &c), 0);
    same_post(c, &p[0], &c->batch.posts[0]);
    same_post(c, &p[1], &c->batch.posts[1]);
    CHECK(inside(c, c->batch.posts) && inside(c, c->batch.ctls));
    CHECK(inside(c, c->batch.posts[0].refs) &&
          inside(c, c->batch.posts[0].hashtags) &&
          inside(c, c->batch.posts[0].media) &&
          inside(c, c->batch.posts[0].rules));
    CHECK(c->batch.posts[0].hashtags != c->batch.posts[1].hashtags);
    const struct roost_ctl *cx = &c->batch.ctls[0];
    CHECK_INT_EQ(c->batch.n_ctls, 1);
    CHECK(inside(c, cx->post_id.ptr) && inside(c, cx->user_id.ptr) &&
          inside(c, cx->code.ptr) && inside(c, cx->reason.ptr) &&
          inside(c, cx->first_id.ptr));
    CHECK_INT_EQ(cx->end_ms, 5);
    /* The original goes: the copy does not notice. */
    memset(pool, '#', sizeof(pool));
    memset(tags, 0xa5, sizeof(tags));
    memset(refs, 0xa5, sizeof(refs));
    memset(p, 0xa5, sizeof(p));
    char *again = json_of(&c->batch.posts[0]);
    CHECK_STR_EQ(again, json);
    CHECK(memcmp(cx->reason.ptr, "lost", 4) == 0);
    CHECK(memcmp(c->batch.posts[1].id.ptr, "2", 1) == 0);
    free(json);
    free(again);
    roost_post_copy_free(c);
}

static void test_null_empty(void)
{
    struct roost_post p;
    memset(&p, 0, sizeof(p));
    static struct roost_entity none[1];
    p.id = roost_str_make("", 0); /* empty, not NULL */
    p.hashtags = none;            /* n_hashtags 0: no array */
    struct roost_sink_batch b = { &p, 1, NULL, 0 };
    struct roost_post_copy *c = NULL;
    CHECK_INT_EQ(roost_post_copy_new(&b, &c), 0);
    const struct roost_post *q = &c->batch.posts[0];
    CHECK(q->id.ptr != NULL && q->id.len == 0 && inside(c, q->id.ptr));
    CHECK(q->text.ptr == NULL && q->author.id.ptr == NULL);
    CHECK(q->hashtags == NULL && q->refs == NULL && q->rules == NULL);
    CHECK(c->batch.ctls == NULL && c->batch.n_ctls == 0);
    roost_post_copy_free(c);
    /* An empty batch is a header only. */
    b = (struct roost_sink_batch){ NULL, 0, NULL, 0 };
    CHECK_INT_EQ(roost_post_copy_new(&b, &c), 0);
    CHECK(c->batch.posts == NULL && c->batch.n_posts == 0);
    CHECK_INT_EQ(c->n_bytes, sizeof(*c));
    roost_post_copy_free(c);
}

static void test_no_memory(void)
{
    struct roost_post p;
    full_post(&p);
    struct roost_sink_batch b = { &p, 1, NULL, 0 };
    struct roost_post_copy *c = (void *)&p; /* untouched on failure */
    /* fault_after(1) fails the second allocation from now: take one. */
    roost_mem_fault_after(1);
    void *first = roost_malloc(1);
    CHECK(first != NULL);
    CHECK_INT_EQ(roost_post_copy_new(&b, &c), ROOST_ENOMEM);
    roost_free(first);
    roost_mem_fault_after(0);
    CHECK(c == (void *)&p);
}

static void test_corpus(void)
{
    const char *data = check_data_dir();
    if (data == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set");
    }
    char path[512];
    snprintf(path, sizeof(path),
             "%s/tweets-corpus-covid-analysis/"
             "sample-stream-2021-01-01T0729Z.jsonl",
             data);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        CHECK_SKIP("%s not found", path);
    }
    static char line[1 << 20];
    /* A record with every kind of string, normalized over the arena after
     * each copy is made. */
    static const char other[] =
        "{\"id_str\":\"42\",\"created_at\":\"Wed Oct 10 20:19:24 +0000 "
        "2018\",\"text\":\"overwrite #every @view https://t.co/x $ABC "
        "with other bytes than the copy holds\",\"lang\":\"en\","
        "\"source\":\"<a href=\\\"https://x.example\\\">Overwriter</a>\","
        "\"user\":{\"id_str\":\"7\",\"screen_name\":\"overwriter\","
        "\"name\":\"Over Writer\",\"description\":\"a long description "
        "that fills the arena\",\"location\":\"Nowhere\"},"
        "\"entities\":{\"hashtags\":[{\"text\":\"every\",\"indices\":[10,16]}],"
        "\"user_mentions\":[{\"screen_name\":\"view\",\"id_str\":\"8\","
        "\"indices\":[17,22]}],\"urls\":[],\"symbols\":[]}}";
    struct roost_json_doc doc;
    struct roost_norm norm;
    struct roost_buf a, b;
    roost_json_doc_init(&doc, ROOST_JSON_DEFAULT_DEPTH, 64u << 20);
    roost_norm_init(&norm);
    roost_buf_init(&a, 64u << 20);
    roost_buf_init(&b, 64u << 20);
    uint64_t n_posts = 0;
    for (int n = 0; n < 500 && fgets(line, sizeof(line), f) != NULL; n++) {
        size_t len = strlen(line);
        roost_norm_reset(&norm);
        if (roost_json_parse(&doc, line, len, NULL) != 0 ||
            roost_norm_record(&norm, &doc, line, len, ROOST_FMT_AUTO, NULL) !=
                0) {
            continue;
        }
        struct roost_sink_batch sb = { norm.posts, norm.n_posts, norm.ctls,
                                       norm.n_ctls };
        struct roost_post_copy *c = NULL;
        CHECK_INT_EQ(roost_post_copy_new(&sb, &c), 0);
        roost_buf_reset(&a);
        roost_buf_reset(&b);
        for (uint32_t i = 0; i < norm.n_posts; i++) {
            same_post(c, &norm.posts[i], &c->batch.posts[i]);
            CHECK_INT_EQ(roost_post_write_json(&norm.posts[i], &a), 0);
        }
        for (uint32_t i = 0; i < norm.n_ctls; i++) {
            CHECK_INT_EQ(roost_ctl_write_json(&norm.ctls[i], &a), 0);
        }
        /* Overwrite what the originals point into (the record's bytes and
         * the normalizer's arena, by normalizing another record), so a
         * view the copy kept instead of copying prints differently. */
        memset(line, '#', len);
        roost_norm_reset(&norm);
        CHECK_INT_EQ(roost_json_parse(&doc, other, strlen(other), NULL), 0);
        CHECK_INT_EQ(roost_norm_record(&norm, &doc, other, strlen(other),
                                       ROOST_FMT_AUTO, NULL),
                     0);
        for (uint32_t i = 0; i < c->batch.n_posts; i++) {
            CHECK_INT_EQ(roost_post_write_json(&c->batch.posts[i], &b), 0);
        }
        for (uint32_t i = 0; i < c->batch.n_ctls; i++) {
            CHECK_INT_EQ(roost_ctl_write_json(&c->batch.ctls[i], &b), 0);
        }
        CHECK_INT_EQ(a.len, b.len);
        CHECK(a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
        n_posts += norm.n_posts;
        roost_post_copy_free(c);
    }
    fclose(f);
    roost_buf_fini(&a);
    roost_buf_fini(&b);
    roost_norm_fini(&norm);
    roost_json_doc_fini(&doc);
    CHECK(n_posts > 300);
}

CHECK_LIST(test_every_field, test_null_empty, test_no_memory, test_corpus);
