/* SPDX-License-Identifier: MIT
 *
 * test_fmt_mastodon.c - Mastodon statuses, REST answers, streaming events.
 *
 * Inline records pin text conversion, entities and their offsets, boosts,
 * quotes, streaming payloads (JSON in a string, parsed into n->sub) and
 * control events. The data tests run every file of mastodon-samples
 * (ROOST_SHARED_DATA) against post/control counts taken independently
 * (with Python's json module) and compare hashtags with tags[].name.
 * The projection tests normalize the samples and simulator output again
 * with a narrower roost_norm.want and compare with the full normalization.
 */
#include "check.h"
#include "core/buf.h"
#include "parse/post_int.h"
#include "source/simulate.h"
#include "want_check.h"

static struct roost_norm norm;
static struct roost_json_doc doc;
static struct roost_diag diag;

static void setup(void)
{
    roost_norm_init(&norm);
    norm.extract_missing = false;
    roost_json_doc_init(&doc, ROOST_JSON_DEFAULT_DEPTH, 1u << 24);
}

static void teardown(void)
{
    roost_json_doc_fini(&doc);
    roost_norm_fini(&norm);
}

static int run_n(const char *json, size_t len)
{
    memset(&diag, 0, sizeof(diag));
    int rc = roost_json_parse(&doc, json, len, &diag);
    CHECK_MSG(rc == 0, "json: %s", diag.msg);
    return roost_norm_record(&norm, &doc, json, len, ROOST_FMT_MASTODON, &diag);
}

static int run(const char *json)
{
    return run_n(json, strlen(json));
}

#define CHECK_STR(s, lit) CHECK_MEM_EQ((s).ptr, (s).len, lit)

#define ACCOUNT(id, acct)                                                      \
    "\"account\":{\"id\":\"" id "\",\"username\":\"u" id "\",\"acct\":\"" acct \
    "\",\"display_name\":\"Name " id "\",\"note\":\"<p>bio &amp; "             \
    "more</p>\",\"avatar\":\"https://m.example/a.png\",\"followers_count\":"   \
    "10,\"following_count\":20,\"statuses_count\":30,\"created_at\":"          \
    "\"2022-11-08T00:00:00.000Z\",\"bot\":false}"

static const char *const full_status =
    "{\"id\":\"110446223051565765\",\"created_at\":\"2023-05-28T13:09:17."
    "531Z\","
    "\"in_reply_to_id\":\"1100\",\"in_reply_to_account_id\":\"77\","
    "\"sensitive\":true,\"spoiler_text\":\"CW: caf\xC3\xA9\",\"language\":"
    "\"en\",\"uri\":\"https://m.example/users/h/statuses/1\",\"url\":"
    "\"https://m.example/@h/1\",\"replies_count\":1,\"reblogs_count\":2,"
    "\"favourites_count\":3,\"quotes_count\":4,\"content\":\"<p><span "
    "class=\\\"h-card\\\"><a href=\\\"https://x.example/@halcy\\\" "
    "class=\\\"u-url mention\\\">@<span>halcy</span></a></span> "
    "\xF0\x9F\x98\x80 see <a href=\\\"https://ex.org/a?b=1&amp;c=2\\\" "
    "rel=\\\"nofollow\\\"><span class=\\\"invisible\\\">https://</span><span "
    "class=\\\"ellipsis\\\">ex.org/a?b=1&amp;</span><span class=\\\""
    "invisible\\\">c=2</span></a></p><p>end <a href=\\\"https://m.example/"
    "tags/ThisIsAHashtag\\\" class=\\\"mention hashtag\\\" rel=\\\"tag\\\">"
    "#<span>ThisIsAHashtag</span></a></p>\",\"reblog\":null,\"application\":"
    "{\"name\":\"Web\",\"website\":null}," ACCOUNT(
        "42",
        "h") ",\"media_attachments\":[{\"id\":\"9\",\"type\":\"image\",\"url\":"
             "\"https://m.example/i.png\",\"description\":\"alt text\"}],"
             "\"mentions\":[{\"id\":\"23972\",\"username\":\"halcy\",\"url\":"
             "\"https://x.example/@halcy\",\"acct\":\"halcy@x.example\"}],"
             "\"tags\":[{\"name\":\"thisisahashtag\",\"url\":\"https://"
             "m.example/tags/"
             "thisisahashtag\"}],\"emojis\":[],\"card\":{\"url\":\"https://"
             "ex.org/a?"
             "b=1&c=2\"},\"poll\":null}";

/* text: "CW: café\n\n@halcy 😀 see https://ex.org/a?b=1&c=2\n\nend
 *        #ThisIsAHashtag"; code points: "CW: café" 0..8, "\n\n" 8..10,
 *        @halcy 10..16, 😀 17, "see" 19..22, URL 23..47, "\n\n" 47..49,
 *        "end" 49..52, #ThisIsAHashtag 53..68 */
static void test_status_fields_and_entities(void)
{
    setup();
    CHECK_INT_EQ(run(full_status), 0);
    CHECK_INT_EQ(norm.n_posts, 1);
    CHECK_INT_EQ(norm.n_ctls, 0);
    const struct roost_post *p = &norm.posts[0];
    CHECK_INT_EQ(p->format, ROOST_FMT_MASTODON);
    CHECK_INT_EQ(p->platform, ROOST_PLATFORM_MASTODON);
    CHECK_STR(p->id, "110446223051565765");
    CHECK_INT_EQ(p->created_at_ms, 1685279357531LL);
    CHECK_STR(p->lang, "en");
    CHECK_STR(p->text, "CW: caf\xC3\xA9\n\n@halcy \xF0\x9F\x98\x80 see "
                       "https://ex.org/a?b=1&c=2\n\nend #ThisIsAHashtag");
    CHECK_STR(p->url, "https://m.example/@h/1");
    CHECK_STR(p->source, "Web");
    CHECK(p->sensitive && !p->referenced);
    CHECK_INT_EQ(p->replies, 1);
    CHECK_INT_EQ(p->retweets, 2);
    CHECK_INT_EQ(p->likes, 3);
    CHECK_INT_EQ(p->quotes, 4);
    CHECK_STR(p->author.id, "42");
    CHECK_STR(p->author.handle, "h");
    CHECK_STR(p->author.name, "Name 42");
    CHECK_STR(p->author.description, "bio & more");
    CHECK_STR(p->author.profile_image_url, "https://m.example/a.png");
    CHECK_INT_EQ(p->author.followers, 10);
    CHECK_INT_EQ(p->author.following, 20);
    CHECK_INT_EQ(p->author.posts, 30);
    CHECK_INT_EQ(p->author.created_at_ms, 1667865600000LL);

    CHECK_INT_EQ(p->n_refs, 1);
    CHECK_INT_EQ(p->refs[0].type, ROOST_REF_REPLY);
    CHECK_STR(p->refs[0].id, "1100");
    CHECK_STR(p->refs[0].author_id, "77");

    CHECK_INT_EQ(p->n_hashtags, 1);
    CHECK_STR(p->hashtags[0].text, "thisisahashtag");
    CHECK_INT_EQ(p->hashtags[0].start, 53);
    CHECK_INT_EQ(p->hashtags[0].end, 68);
    CHECK_INT_EQ(p->n_mentions, 1);
    CHECK_STR(p->mentions[0].text, "halcy@x.example");
    CHECK_STR(p->mentions[0].expanded, "23972");
    CHECK_INT_EQ(p->mentions[0].start, 10);
    CHECK_INT_EQ(p->mentions[0].end, 16);
    /* one link: mention/hashtag anchors excluded, card.url deduplicated */
    CHECK_INT_EQ(p->n_urls, 1);
    CHECK_STR(p->urls[0].text, "https://ex.org/a?b=1&c=2");
    CHECK_STR(p->urls[0].expanded, "https://ex.org/a?b=1&c=2");
    CHECK_INT_EQ(p->urls[0].start, 23);
    CHECK_INT_EQ(p->urls[0].end, 47);
    CHECK_INT_EQ(p->n_media, 1);
    CHECK_STR(p->media[0].id, "9");
    CHECK_STR(p->media[0].type, "image");
    CHECK_STR(p->media[0].url, "https://m.example/i.png");
    CHECK_STR(p->media[0].alt, "alt text");
    teardown();
}

static const char *const reblog =
    "{\"id\":\"200\",\"created_at\":\"2026-08-01T13:53:10.704Z\","
    "\"content\":\"\",\"spoiler_text\":\"\",\"reblogs_count\":0,"
    "\"tags\":[]," ACCOUNT(
        "1", "booster") ",\"reblog\":{\"id\":\"100\","
                        "\"created_at\":\"2026-07-01T00:00:00.000Z\","
                        "\"content\":\"<p>orig "
                        "#Hoot</"
                        "p>\",\"tags\":[{\"name\":\"hoot\"}],\"reblogs_count\":"
                        "5," ACCOUNT("2",
                                     "author@far.example") ",\"reblog\":null}}";

static void test_reblog_emits_two_posts(void)
{
    setup();
    CHECK_INT_EQ(run(reblog), 0);
    CHECK_INT_EQ(norm.n_posts, 2);
    const struct roost_post *w = &norm.posts[0], *o = &norm.posts[1];
    CHECK_STR(w->id, "200");
    CHECK(!w->referenced);
    CHECK_STR(w->text, "");
    CHECK_INT_EQ(w->n_refs, 1);
    CHECK_INT_EQ(w->refs[0].type, ROOST_REF_RETWEET);
    CHECK_STR(w->refs[0].id, "100");
    CHECK_STR(w->refs[0].author_id, "2");
    CHECK_STR(w->refs[0].author_handle, "author@far.example");
    CHECK_STR(o->id, "100");
    CHECK(o->referenced);
    CHECK_STR(o->text, "orig #Hoot");
    CHECK_STR(o->author.handle, "author@far.example");
    CHECK_INT_EQ(o->retweets, 5);
    CHECK_INT_EQ(o->n_hashtags, 1);
    CHECK_STR(o->hashtags[0].text, "hoot");
    CHECK_INT_EQ(o->hashtags[0].start, 5);
    CHECK_INT_EQ(o->hashtags[0].end, 10);
    teardown();
}

static void test_quote_shapes(void)
{
    setup();
    /* 4.4+: quote.quoted_status, which itself quotes shallowly */
    CHECK_INT_EQ(
        run("{\"id\":\"3\",\"content\":\"<p>q</p>\"," ACCOUNT(
            "1", "a") ",\"quote\":{\"state\":\"accepted\",\"quoted_status\":{"
                      "\"id\":\"2\",\"content\":\"<p>mid</p>\"," ACCOUNT(
                          "5", "b") ",\"quote\":{\"state\":\"accepted\","
                                    "\"quoted_status_id\":"
                                    "\"1\"}}}}"),
        0);
    CHECK_INT_EQ(norm.n_posts, 2);
    CHECK_INT_EQ(norm.posts[0].n_refs, 1);
    CHECK_INT_EQ(norm.posts[0].refs[0].type, ROOST_REF_QUOTE);
    CHECK_STR(norm.posts[0].refs[0].id, "2");
    CHECK_STR(norm.posts[0].refs[0].author_handle, "b");
    CHECK(norm.posts[1].referenced);
    CHECK_STR(norm.posts[1].text, "mid");
    CHECK_INT_EQ(norm.posts[1].n_refs, 1);
    CHECK_STR(norm.posts[1].refs[0].id, "1");
    CHECK(norm.posts[1].refs[0].author_id.ptr == NULL);
    /* a quote whose state hides the status: no referenced post, no ref id */
    roost_norm_reset(&norm);
    CHECK_INT_EQ(
        run("{\"id\":\"4\",\"content\":\"x\"," ACCOUNT(
            "1", "a") ",\"quote\":{\"state\":\"deleted\",\"quoted_status\":"
                      "null}}"),
        0);
    CHECK_INT_EQ(norm.n_posts, 1);
    CHECK_INT_EQ(norm.posts[0].n_refs, 0);
    teardown();
}

/* Build {"event":ev,"payload":"<data as a JSON string>"} like a framer. */
static int run_event(struct roost_buf *b, const char *ev, const char *data)
{
    roost_buf_reset(b);
    CHECK(roost_buf_printf(b, "{\"event\":\"%s\",\"payload\":", ev) == 0);
    CHECK(roost_buf_add_json_str(b, data, strlen(data)) == 0);
    CHECK(roost_buf_addc(b, '}') == 0);
    return run_n(b->ptr, b->len);
}

static void test_streaming_payload_in_string(void)
{
    setup();
    struct roost_buf b;
    roost_buf_init(&b, 1 << 20);
    CHECK_INT_EQ(run_event(&b, "update", full_status), 0);
    CHECK_INT_EQ(run_event(&b, "status.update", reblog), 0);
    CHECK_INT_EQ(norm.n_posts, 3);
    /* The sub doc, the outer doc and the outer bytes are all reused now:
     * earlier posts must not point into any of them. */
    CHECK_INT_EQ(run_event(&b, "update",
                           "{\"id\":\"9\",\"content\":\"<p>"
                           "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"
                           "</p>\",\"account\":{\"id\":\"8\","
                           "\"acct\":\"zzzzzzzzzzzzzzzzzz\"}}"),
                 0);
    memset(b.ptr, 'Q', b.len);
    const char *junk = "{\"k\":\"\\u0041\\u0041\\u0041\\u0041\\u0041\\u0041"
                       "\\u0041\\u0041\\u0041\\u0041\\u0041\\u0041\"}";
    CHECK_INT_EQ(roost_json_parse(&norm.sub, junk, strlen(junk), NULL), 0);
    CHECK_INT_EQ(norm.n_posts, 4);
    const struct roost_post *p = &norm.posts[0];
    CHECK_STR(p->id, "110446223051565765");
    CHECK_STR(p->author.handle, "h");
    CHECK_STR(p->lang, "en");
    CHECK_STR(p->hashtags[0].text, "thisisahashtag");
    CHECK_STR(p->mentions[0].text, "halcy@x.example");
    CHECK_STR(p->urls[0].expanded, "https://ex.org/a?b=1&c=2");
    CHECK_STR(p->media[0].alt, "alt text");
    CHECK_STR(p->source, "Web");
    CHECK_STR(norm.posts[1].id, "200");
    CHECK_STR(norm.posts[1].refs[0].author_handle, "author@far.example");
    CHECK_STR(norm.posts[2].id, "100");
    CHECK(norm.posts[2].referenced);
    CHECK_STR(norm.posts[3].author.handle, "zzzzzzzzzzzzzzzzzz");
    roost_buf_fini(&b);
    teardown();
}

static void test_streaming_control_events(void)
{
    setup();
    struct roost_buf b;
    roost_buf_init(&b, 1 << 20);
    /* Views may point into the record's bytes: check before reusing b. */
    CHECK_INT_EQ(run_event(&b, "delete", "117024236332527350"), 0);
    const struct roost_ctl *c = &norm.ctls[0];
    CHECK_INT_EQ(c->kind, ROOST_CTL_DELETE);
    CHECK_INT_EQ(c->platform, ROOST_PLATFORM_MASTODON);
    CHECK_STR(c->post_id, "117024236332527350");
    CHECK_INT_EQ(run_event(&b, "notification",
                           "{\"id\":\"5\",\"type\":\"mention\",\"created_at\":"
                           "\"2026-08-02T05:22:17.399Z\",\"account\":{\"id\":"
                           "\"7\"},\"status\":{\"id\":\"6\"}}"),
                 0);
    c = &norm.ctls[1];
    CHECK_INT_EQ(c->kind, ROOST_CTL_OTHER);
    CHECK_STR(c->code, "notification");
    CHECK_STR(c->reason, "mention");
    CHECK_STR(c->user_id, "7");
    CHECK_STR(c->post_id, "6");
    CHECK_INT_EQ(c->ts_ms, 1785648137399LL);
    CHECK_INT_EQ(run_event(&b, "conversation", "{\"id\":\"1\"}"), 0);
    CHECK_STR(norm.ctls[2].code, "conversation");
    CHECK_INT_EQ(run_event(&b, "filters_changed", "undefined"), 0);
    CHECK_STR(norm.ctls[3].code, "filters_changed");
    /* Redis framing: payload is an object, delete id a string */
    CHECK_INT_EQ(run("{\"event\":\"delete\",\"payload\":\"104061222412800865\","
                     "\"queued_at\":1588000000123}"),
                 0);
    c = &norm.ctls[4];
    CHECK_INT_EQ(c->kind, ROOST_CTL_DELETE);
    CHECK_STR(c->post_id, "104061222412800865");
    CHECK_INT_EQ(c->ts_ms, 1588000000123LL);
    CHECK_INT_EQ(run("{\"event\":\"update\",\"payload\":{\"id\":\"1\","
                     "\"content\":\"<p>r</p>\"," ACCOUNT("3", "c") "}}"),
                 0);
    CHECK_INT_EQ(norm.n_posts, 1);
    CHECK_STR(norm.posts[0].text, "r");
    CHECK_INT_EQ(norm.n_ctls, 5);
    roost_buf_fini(&b);
    teardown();
}

static void test_search_context_and_entities(void)
{
    setup();
    CHECK_INT_EQ(
        run("{\"accounts\":[],\"statuses\":[{\"id\":\"1\",\"content\":"
            "\"a\"," ACCOUNT("1", "a") "},{\"id\":\"2\",\"content\":"
                                       "\"b\"," ACCOUNT(
                                           "2", "b") "}],\"hashtags\":[]}"),
        0);
    CHECK_INT_EQ(norm.n_posts, 2);
    CHECK_INT_EQ(run("{\"ancestors\":[{\"id\":\"3\",\"content\":\"c\"," ACCOUNT(
                     "1", "a") "}],\"descendants\":[]}"),
                 0);
    CHECK_INT_EQ(norm.n_posts, 3);
    CHECK_INT_EQ(run("[{\"content\":\"<p>old</p>\",\"created_at\":"
                     "\"2023-05-28T13:09:17.531Z\"," ACCOUNT("1", "a") "}]"),
                 0);
    CHECK_INT_EQ(run("{\"id\":\"1\",\"username\":\"a\",\"acct\":\"a\"}"), 0);
    CHECK_INT_EQ(run("[{\"name\":\"t\",\"url\":\"u\",\"history\":[]}]"), 0);
    CHECK_INT_EQ(norm.n_ctls, 3);
    CHECK_STR(norm.ctls[0].code, "status.edit");
    CHECK_INT_EQ(norm.ctls[0].ts_ms, 1685279357531LL);
    CHECK_STR(norm.ctls[1].code, "account");
    CHECK_STR(norm.ctls[2].code, "tag");
    CHECK_STR(norm.ctls[2].reason, "t");
    teardown();
}

static void test_invalid_records_fail_cleanly(void)
{
    setup();
    struct roost_buf b;
    roost_buf_init(&b, 1 << 20);
    CHECK_INT_EQ(run("{\"foo\":1}"), ROOST_EPARSE);
    CHECK_INT_EQ(run("42"), ROOST_EPARSE);
    CHECK_INT_EQ(run("{\"id\":null,\"content\":\"x\",\"account\":{}}"),
                 ROOST_EPARSE);
    CHECK_INT_EQ(run("{\"event\":\"update\",\"payload\":7}"), ROOST_EPARSE);
    CHECK_INT_EQ(run("{\"event\":\"delete\",\"payload\":{}}"), ROOST_EPARSE);
    CHECK_INT_EQ(run_event(&b, "update", "{\"id\":"), ROOST_EPARSE);
    CHECK_INT_EQ(run_event(&b, "update", "[1]"), ROOST_EPARSE);
    /* a good status followed by a bad one in one array: nothing appended */
    CHECK_INT_EQ(run("[{\"id\":\"1\",\"content\":\"a\",\"account\":{}},"
                     "{\"id\":null,\"content\":\"b\",\"account\":{}}]"),
                 ROOST_EPARSE);
    CHECK_INT_EQ(norm.n_posts, 0);
    CHECK_INT_EQ(norm.n_ctls, 0);
    roost_buf_fini(&b);
    teardown();
}

static void test_entity_offsets_not_found(void)
{
    setup();
    /* tags[] and mentions[] the text does not show (e.g. edited away) */
    CHECK_INT_EQ(run("{\"id\":\"1\",\"content\":\"<p>#hooters &amp; @bo"
                     "b2</p>\",\"tags\":[{\"name\":\"hoot\"},{\"name\":"
                     "\"HOOTERS\"}],\"mentions\":[{\"id\":\"9\",\"username\":"
                     "\"bob\",\"acct\":\"bob\"}],\"account\":{}}"),
                 0);
    const struct roost_post *p = &norm.posts[0];
    CHECK_STR(p->text, "#hooters & @bob2");
    CHECK_INT_EQ(p->n_hashtags, 2);
    CHECK_INT_EQ(p->hashtags[0].start, ROOST_NO_INDEX);
    CHECK_INT_EQ(p->hashtags[1].start, 0);
    CHECK_INT_EQ(p->hashtags[1].end, 8);
    CHECK_INT_EQ(p->mentions[0].start, ROOST_NO_INDEX);
    CHECK_INT_EQ(p->mentions[0].end, ROOST_NO_INDEX);
    teardown();
}

/* ---- the real samples ---------------------------------------------------- */

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    CHECK(buf != NULL);
    CHECK(fread(buf, 1, (size_t)sz, f) == (size_t)sz);
    buf[sz] = '\0';
    fclose(f);
    *len = (size_t)sz;
    return buf;
}

/* Expected counts, computed with Python's json module from the files:
 * a status is 1 post + its reblog + its quote.quoted_status (recursively);
 * everything else one control event. */
static const struct {
    const char *file;
    int records, posts, ctls;
} samples[] = {
    { "flodgatt-redis-events/msg.event_txt_001.json", 1, 1, 0 },
    { "flodgatt-redis-events/msg.event_txt_002.json", 1, 1, 0 },
    { "flodgatt-redis-events/msg.event_txt_003.json", 1, 1, 0 },
    { "flodgatt-redis-events/msg.event_txt_004.json", 1, 0, 1 },
    { "flodgatt-redis-events/msg.event_txt_005.json", 1, 1, 0 },
    { "flodgatt-redis-events/msg.event_txt_006.json", 1, 1, 0 },
    { "rest-localhost-dev/test_hashtag_tl__00__POST_api_v1_statuses.json", 1, 1,
      0 },
    { "rest-localhost-dev/test_hashtag_tl__02__GET_api_v1_timelines_tag_hoot"
      ".json",
      1, 1, 0 },
    { "rest-localhost-dev/test_home_tl__01__GET_api_v1_timelines_home.json", 13,
      13, 0 },
    { "rest-localhost-dev/test_notifications_mentions_only__00__POST_api_v1_"
      "statuses.json",
      1, 1, 0 },
    { "rest-localhost-dev/test_notifications_mentions_only__01__GET_api_v1_"
      "notifications_types_5B_5D_mention.json",
      1, 0, 1 },
    { "rest-localhost-dev/test_public_tl__02__GET_api_v1_timelines_public"
      ".json",
      8, 8, 0 },
    { "rest-localhost-dev/test_status_card__01__GET_api_v1_statuses_"
      "117020609135389699.json",
      1, 1, 0 },
    { "rest-localhost-dev/test_status_edit__03__GET_api_v1_statuses_"
      "117020586180926938.json",
      1, 1, 0 },
    { "rest-localhost-dev/test_status_edit__04__GET_api_v1_statuses_"
      "117020586180926938_history.json",
      2, 0, 2 },
    { "rest-localhost-dev/test_status_post_with_quote__01__POST_api_v1_"
      "statuses.json",
      1, 2, 0 },
    { "rest-localhost-dev/test_status_reblog_unreblog__01__POST_api_v1_"
      "statuses_117020586019094258_reblog.json",
      1, 2, 0 },
    { "rest-localhost-dev/test_status_reply__02__POST_api_v1_statuses.json", 1,
      1, 0 },
    { "rest-localhost-dev/test_stream_direct__04__POST_api_v1_statuses.json", 1,
      1, 0 },
    { "rest-localhost-dev/test_stream_direct__05__POST_api_v1_statuses.json", 1,
      1, 0 },
    { "rest-localhost-dev/test_stream_user_direct__04__POST_api_v1_statuses"
      ".json",
      1, 1, 0 },
    { "rest-localhost-dev/test_stream_user_direct__05__POST_api_v1_statuses"
      ".json",
      1, 1, 0 },
    { "rest-localhost-dev/test_stream_user_direct__06__POST_api_v1_statuses"
      ".json",
      1, 1, 0 },
    { "rest-localhost-dev/test_stream_user_direct__07__POST_api_v1_statuses"
      ".json",
      1, 1, 0 },
    { "rest-localhost-dev/test_stream_user_direct__08__POST_api_v1_statuses"
      ".json",
      1, 1, 0 },
    { "rest-localhost-dev/test_stream_user_direct__09__PUT_api_v1_statuses_"
      "117024236332527350.json",
      1, 1, 0 },
    { "rest-localhost-dev/test_stream_user_local__04__POST_api_v1_statuses"
      ".json",
      1, 1, 0 },
    { "rest-mastodon-social/test_entity_account__00__GET_api_v1_accounts_"
      "23972.json",
      1, 0, 1 },
    { "rest-mastodon-social/test_entity_context__00__GET_api_v1_statuses_"
      "110446983926957470_context.json",
      1, 2, 0 },
    { "rest-mastodon-social/test_entity_filterresult__00__GET_api_v1_statuses_"
      "110447998920481458.json",
      1, 1, 0 },
    { "rest-mastodon-social/test_entity_mediaattachment__00__GET_api_v1_"
      "statuses_110447012773105565.json",
      1, 1, 0 },
    { "rest-mastodon-social/test_entity_mediaattachment__01__GET_api_v1_"
      "statuses_110447003454258227.json",
      1, 1, 0 },
    { "rest-mastodon-social/test_entity_poll__00__GET_api_v1_statuses_"
      "110446383900387196.json",
      1, 1, 0 },
    { "rest-mastodon-social/test_entity_previewcard__02__GET_api_v1_statuses_"
      "110447098625216345.json",
      1, 1, 0 },
    { "rest-mastodon-social/test_entity_quote__00__GET_api_v1_statuses_"
      "115044073088181107.json",
      1, 2, 0 },
    { "rest-mastodon-social/test_entity_searchv2__02__GET_api_v2_search_"
      "exclude_unreviewed_1_q_halcy_resolve_1.json",
      1, 2, 0 },
    { "rest-mastodon-social/test_entity_status__00__GET_api_v1_statuses_"
      "110446223051565765.json",
      1, 1, 0 },
    { "rest-mastodon-social/test_entity_status__01__GET_api_v1_statuses_"
      "110446183735368325.json",
      1, 1, 0 },
    { "rest-mastodon-social/test_entity_statusedit__00__GET_api_v1_statuses_"
      "110446223051565765_history.json",
      2, 0, 2 },
    { "rest-mastodon-social/test_entity_statusedit__01__GET_api_v1_statuses_"
      "110446183735368325_history.json",
      2, 0, 2 },
    { "rest-mastodon-social/test_entity_tag__02__GET_api_v1_trends_tags.json",
      10, 0, 10 },
    { "rest-mastodon-social/test_entity_trendinglinkhistory__00__GET_api_v1_"
      "trends_links.json",
      10, 0, 10 },
    { "streaming-sse/test_stream_direct__06__GET_api_v1_streaming_direct.sse"
      ".txt",
      1, 0, 1 },
    { "streaming-sse/test_stream_user_direct__11__GET_api_v1_streaming_direct"
      ".sse.txt",
      2, 0, 2 },
    { "streaming-sse/test_stream_user_direct__12__GET_api_v1_streaming_user"
      ".sse.txt",
      6, 3, 3 },
    { "streaming-sse/test_stream_user_local__05__GET_api_v1_streaming_user.sse"
      ".txt",
      1, 1, 0 },
};

/* The status object with id `id` anywhere in d (ROOST_JSON_NONE if none). */
static uint32_t find_status(const struct roost_json_doc *d, struct roost_str id)
{
    for (uint32_t i = 0; i < d->n_toks; i++) {
        if (!roost_json_is(d, i, ROOST_JSON_OBJECT) ||
            roost_json_get(d, i, "content") == ROOST_JSON_NONE) {
            continue;
        }
        struct roost_str s = roost_json_str(d, roost_json_get(d, i, "id"));
        if (s.ptr != NULL && roost_str_eq(s, id)) {
            return i;
        }
    }
    return ROOST_JSON_NONE;
}

/* Each post's hashtags equal its status's tags[].name, in order, and each
 * found offset slices "#name" (case-insensitively) out of the text. */
static void check_tags(const struct roost_json_doc *d, uint32_t first,
                       int *n_tags)
{
    for (uint32_t k = first; k < norm.n_posts; k++) {
        const struct roost_post *p = &norm.posts[k];
        uint32_t st = find_status(d, p->id);
        CHECK_MSG(st != ROOST_JSON_NONE, "status %.*s not found",
                  (int)p->id.len, p->id.ptr);
        uint32_t tags = roost_json_get(d, st, "tags");
        uint32_t n =
            roost_json_is(d, tags, ROOST_JSON_ARRAY) ? d->toks[tags].len : 0;
        CHECK_INT_EQ(p->n_hashtags, n);
        for (uint32_t t = 0; t < n; t++) {
            struct roost_str name = roost_json_str(
                d, roost_json_get(d, roost_json_at(d, tags, t), "name"));
            const struct roost_entity *e = &p->hashtags[t];
            CHECK(roost_str_eq(e->text, name));
            (*n_tags)++;
            if (e->start == ROOST_NO_INDEX) {
                continue;
            }
            CHECK_INT_EQ(e->end - e->start,
                         1 + roost_utf8_count(name.ptr, name.len));
        }
        CHECK_INT_EQ(p->platform, ROOST_PLATFORM_MASTODON);
        CHECK(p->id.len > 0);
    }
}

struct tally {
    int records, posts, ctls, errors, tags;
};

/* Normalize one record; statuses are looked up in `in` (the outer doc, or
 * norm.sub for payloads in a string). */
static void run_record(struct tally *t, const char *rec, size_t len,
                       const struct roost_json_doc *in)
{
    uint32_t first = norm.n_posts, first_ctl = norm.n_ctls;
    int rc = run_n(rec, len);
    if (rc < 0) {
        printf("# error: %s\n", diag.msg);
        t->errors++;
        return;
    }
    t->posts += (int)(norm.n_posts - first);
    t->ctls += (int)(norm.n_ctls - first_ctl);
    check_tags(in, first, &t->tags);
}

/* sse_each - fn(arg, record) for each "data:" line of an SSE body ("event:
 * X" then "data: Y" lines; ':' lines are comments), wrapped as the
 * streaming source wraps it: {"event":X,"payload":"Y"}. */
static void sse_each(const char *buf, size_t len,
                     void (*fn)(void *arg, const char *rec, size_t n),
                     void *arg)
{
    struct roost_buf b;
    roost_buf_init(&b, 1 << 22);
    char ev[64] = "message";
    for (const char *line = buf; line < buf + len;) {
        const char *nl = memchr(line, '\n', (size_t)(buf + len - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
        if (ll > 7 && memcmp(line, "event: ", 7) == 0 && ll - 7 < sizeof(ev)) {
            memcpy(ev, line + 7, ll - 7);
            ev[ll - 7] = '\0';
        } else if (ll > 6 && memcmp(line, "data: ", 6) == 0) {
            roost_buf_reset(&b);
            CHECK(roost_buf_printf(&b, "{\"event\":\"%s\",\"payload\":", ev) ==
                  0);
            CHECK(roost_buf_add_json_str(&b, line + 6, ll - 6) == 0);
            CHECK(roost_buf_addc(&b, '}') == 0);
            fn(arg, b.ptr, b.len);
        }
        line += ll + 1;
    }
    roost_buf_fini(&b);
}

static void tally_sse_record(void *arg, const char *rec, size_t n)
{
    struct tally *t = arg;
    t->records++;
    run_record(t, rec, n, &norm.sub);
}

static void run_sse(struct tally *t, const char *buf, size_t len)
{
    sse_each(buf, len, tally_sse_record, t);
}

static void test_data_all_samples(void)
{
    const char *dir = check_data_dir();
    if (dir == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set");
    }
    setup();
    struct tally all = { 0 };
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/mastodon-samples/%s", dir,
                 samples[i].file);
        size_t len = 0;
        char *buf = slurp(path, &len);
        if (buf == NULL) {
            CHECK_SKIP("%s: not found", path);
        }
        roost_norm_reset(&norm);
        struct tally t = { 0 };
        if (strstr(samples[i].file, ".sse.txt") != NULL) {
            run_sse(&t, buf, len);
        } else {
            run_record(&t, buf, len, &doc);
            t.records =
                doc.toks[0].type == ROOST_JSON_ARRAY ? (int)doc.toks[0].len : 1;
        }
        free(buf);
        CHECK_MSG(t.errors == 0 && t.records == samples[i].records &&
                      t.posts == samples[i].posts && t.ctls == samples[i].ctls,
                  "%s: %d records %d posts %d ctls %d errors", samples[i].file,
                  t.records, t.posts, t.ctls, t.errors);
        all.records += t.records;
        all.posts += t.posts;
        all.ctls += t.ctls;
        all.tags += t.tags;
    }
    printf("# mastodon-samples: %zu files, %d records, %d posts, %d control, "
           "%d hashtags\n",
           sizeof(samples) / sizeof(samples[0]), all.records, all.posts,
           all.ctls, all.tags);
    CHECK_INT_EQ(all.posts, 62);
    CHECK_INT_EQ(all.ctls, 35);
    teardown();
}

/* ---- roost_norm.want ------------------------------------------------------
 */

static void proj_sse_record(void *arg, const char *rec, size_t n)
{
    want_proj_record(arg, rec, n);
}

static void test_want_projection_data(void)
{
    const char *dir = check_data_dir();
    if (dir == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set");
    }
    setup();
    struct want_proj pj;
    want_proj_init(&pj, &doc, &norm, ROOST_FMT_MASTODON);
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        char path[1024];
        snprintf(path, sizeof(path), "%s/mastodon-samples/%s", dir,
                 samples[i].file);
        size_t len = 0;
        char *buf = slurp(path, &len);
        if (buf == NULL) {
            CHECK_SKIP("%s: not found", path);
        }
        if (strstr(samples[i].file, ".sse.txt") != NULL) {
            sse_each(buf, len, proj_sse_record, &pj);
        } else {
            want_proj_record(&pj, buf, len);
        }
        free(buf);
    }
    CHECK_INT_EQ(pj.posts, 62); /* as in test_data_all_samples */
    CHECK(pj.with_ents >= 10 && pj.with_refs >= 5);
    want_proj_fini(&pj, "samples");
    teardown();
}

/* Shapes the samples and the simulator may lack: a card no anchor
 * repeats, a content warning, entities not found in the text. */
static void test_want_projection_inline(void)
{
    static const char *const recs[] = {
        full_status,
        reblog,
        "{\"id\":\"7\",\"content\":\"<p>#hooters &amp; @bob2</p>\","
        "\"spoiler_text\":\"cw\",\"tags\":[{\"name\":\"hoot\"},{\"name\":"
        "\"HOOTERS\"}],\"mentions\":[{\"id\":\"9\",\"username\":\"bob\","
        "\"acct\":\"bob\"}],\"card\":{\"url\":\"https://card.example/\"},"
        "\"account\":{\"id\":\"3\",\"acct\":\"c\",\"note\":\"<p>x</p>\"}}",
    };
    setup();
    struct want_proj pj;
    want_proj_init(&pj, &doc, &norm, ROOST_FMT_MASTODON);
    for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
        want_proj_record(&pj, recs[i], strlen(recs[i]));
    }
    CHECK_INT_EQ(pj.posts, 4);
    CHECK_INT_EQ(norm.posts[0].n_urls, 1); /* the last record's card */
    want_proj_fini(&pj, "inline");
    teardown();
}

static void test_want_projection_simulated(void)
{
    setup();
    struct want_proj pj;
    want_proj_init(&pj, &doc, &norm, ROOST_FMT_MASTODON);
    want_proj_simulated(&pj, 2000);
    CHECK(pj.posts > 1000 && pj.with_ents > 200 && pj.with_refs > 200);
    want_proj_fini(&pj, "simulated");
    teardown();
}

CHECK_LIST(test_status_fields_and_entities, test_reblog_emits_two_posts,
           test_quote_shapes, test_streaming_payload_in_string,
           test_streaming_control_events, test_search_context_and_entities,
           test_invalid_records_fail_cleanly, test_entity_offsets_not_found,
           test_data_all_samples, test_want_projection_data,
           test_want_projection_inline, test_want_projection_simulated)
