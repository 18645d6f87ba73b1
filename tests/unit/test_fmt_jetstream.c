/* SPDX-License-Identifier: MIT
 *
 * test_fmt_jetstream.c - Bluesky Jetstream v1 events to posts/control events.
 *
 * Inline events pin the facet byte -> code point conversion, bad facets,
 * embeds and every control event; the data tests run every event of the
 * Jetstream maintainers' captures (ROOST_SHARED_DATA) and compare posts
 * and facets against counts taken independently from the JSON. The
 * projection tests normalize the captures and simulator output again with
 * a narrower roost_norm.want and compare with the full normalization.
 */
#include "check.h"
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

/* Parse and normalize one event; the return code of roost_norm_record. */
static int run(const char *json)
{
    memset(&diag, 0, sizeof(diag));
    int rc = roost_json_parse(&doc, json, strlen(json), &diag);
    CHECK_MSG(rc == 0, "json: %s", diag.msg);
    return roost_norm_record(&norm, &doc, json, strlen(json),
                             ROOST_FMT_JETSTREAM, &diag);
}

#define CHECK_STR(s, lit) CHECK_MEM_EQ((s).ptr, (s).len, lit)

#define EV_HEAD(rkey)                                                          \
    "{\"did\":\"did:plc:abc\",\"time_us\":1725911162329308,"                   \
    "\"kind\":\"commit\",\"commit\":{\"rev\":\"3l3\",\"operation\":"           \
    "\"create\",\"collection\":\"app.bsky.feed.post\",\"rkey\":\"" rkey        \
    "\",\"cid\":\"bafyx\",\"record\":{\"$type\":\"app.bsky.feed.post\","

/* 日本 😀 #tag x.com/p @al.bsky.social
 * bytes: #tag 12..16, x.com/p 17..24, @al.bsky.social 25..40
 * code points: #tag 5..9, x.com/p 10..17, @al.bsky.social 18..33 */
#define CJK_TEXT                                                               \
    "\xE6\x97\xA5\xE6\x9C\xAC \xF0\x9F\x98\x80 #tag x.com/p @al.bsky.social"

static void test_post_facets_bytes_to_code_points(void)
{
    setup();
    const char *ev = EV_HEAD(
        "3kx") "\"createdAt\":\"2024-09-09T19:46:02.102Z\","
               "\"langs\":[\"ja\",\"en\"],\"text\":\"" CJK_TEXT
               "\",\"facets\":["
               "{\"index\":{\"byteStart\":25,\"byteEnd\":40},\"features\":[{\"$"
               "type\":"
               "\"app.bsky.richtext.facet#mention\",\"did\":\"did:plc:al\"}]},"
               "{\"index\":{\"byteStart\":12,\"byteEnd\":16},\"features\":[{\"$"
               "type\":"
               "\"app.bsky.richtext.facet#tag\",\"tag\":\"tag\"}]},"
               "{\"index\":{\"byteStart\":17,\"byteEnd\":24},\"features\":[{\"$"
               "type\":"
               "\"app.bsky.richtext.facet#link\",\"uri\":\"https://x.com/"
               "p\"}]}]}}}";
    CHECK_INT_EQ(run(ev), 0);
    CHECK_INT_EQ(norm.n_posts, 1);
    CHECK_INT_EQ(norm.n_ctls, 0);
    const struct roost_post *p = &norm.posts[0];
    CHECK_INT_EQ(p->format, ROOST_FMT_JETSTREAM);
    CHECK_INT_EQ(p->platform, ROOST_PLATFORM_BLUESKY);
    CHECK_STR(p->id, "at://did:plc:abc/app.bsky.feed.post/3kx");
    CHECK_STR(p->url, "https://bsky.app/profile/did:plc:abc/post/3kx");
    CHECK_STR(p->conversation_id, "at://did:plc:abc/app.bsky.feed.post/3kx");
    CHECK_STR(p->author.id, "did:plc:abc");
    CHECK(p->author.handle.ptr == NULL);
    CHECK_STR(p->lang, "ja");
    CHECK_STR(p->text, CJK_TEXT);
    CHECK_INT_EQ(p->created_at_ms, 1725911162102LL);
    CHECK_INT_EQ(p->likes, ROOST_UNKNOWN_COUNT);
    CHECK(!p->referenced && !p->sensitive);

    CHECK_INT_EQ(p->n_hashtags, 1);
    CHECK_STR(p->hashtags[0].text, "tag");
    CHECK_INT_EQ(p->hashtags[0].start, 5);
    CHECK_INT_EQ(p->hashtags[0].end, 9);
    CHECK_INT_EQ(p->n_urls, 1);
    CHECK_STR(p->urls[0].text, "x.com/p");
    CHECK_STR(p->urls[0].expanded, "https://x.com/p");
    CHECK_INT_EQ(p->urls[0].start, 10);
    CHECK_INT_EQ(p->urls[0].end, 17);
    CHECK_INT_EQ(p->n_mentions, 1);
    CHECK_STR(p->mentions[0].text, "al.bsky.social");
    CHECK_STR(p->mentions[0].expanded, "did:plc:al");
    CHECK_INT_EQ(p->mentions[0].start, 18);
    CHECK_INT_EQ(p->mentions[0].end, 33);
    teardown();
}

static void test_escaped_text_survives_reparse(void)
{
    setup();
    /* \u-escaped text lives in the doc's scratch: the post must copy it. */
    const char *ev = EV_HEAD(
        "3ky") "\"text\":\"\\u65e5\\ud83d\\ude00 #a\\n\",\"facets\":"
               "[{\"index\":{\"byteStart\":8,\"byteEnd\":10},\"features\":[{"
               "\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"\\u0061\"}]"
               "}]}}}";
    CHECK_INT_EQ(run(ev), 0);
    CHECK_INT_EQ(norm.n_posts, 1);
    const char *other = "{\"x\":\"\\u0041\\u0042\\u0043\\u0044\\u0045\\u0046"
                        "\\u0047\\u0048\\u0049\\u004a\\u004b\\u004c\"}";
    CHECK_INT_EQ(roost_json_parse(&doc, other, strlen(other), NULL), 0);
    const struct roost_post *p = &norm.posts[0];
    CHECK_STR(p->text, "\xE6\x97\xA5\xF0\x9F\x98\x80 #a\n");
    CHECK_STR(p->hashtags[0].text, "a");
    CHECK_INT_EQ(p->hashtags[0].start, 3);
    CHECK_INT_EQ(p->hashtags[0].end, 5);
    teardown();
}

static void test_bad_facets_skipped_post_kept(void)
{
    setup();
    /* text "ab\xC3\xA9 #ok" = 8 bytes: a b é(2) space # o k */
    const char *ev = EV_HEAD(
        "3kz") "\"text\":\"ab\xC3\xA9 #ok\",\"facets\":["
               "{\"index\":{\"byteStart\":5,\"byteEnd\":99},\"features\":[{\"$"
               "type\":"
               "\"app.bsky.richtext.facet#tag\",\"tag\":\"past_end\"}]},"
               "{\"index\":{\"byteStart\":6,\"byteEnd\":5},\"features\":[{\"$"
               "type\":"
               "\"app.bsky.richtext.facet#tag\",\"tag\":\"reversed\"}]},"
               "{\"index\":{\"byteStart\":3,\"byteEnd\":6},\"features\":[{\"$"
               "type\":"
               "\"app.bsky.richtext.facet#tag\",\"tag\":\"mid_utf8\"}]},"
               "{\"index\":{\"byteStart\":-1,\"byteEnd\":2},\"features\":[{\"$"
               "type\":"
               "\"app.bsky.richtext.facet#tag\",\"tag\":\"negative\"}]},"
               "{\"index\":{\"byteStart\":2,\"byteEnd\":2},\"features\":[{\"$"
               "type\":"
               "\"app.bsky.richtext.facet#tag\",\"tag\":\"empty\"}]},"
               "{\"index\":{\"byteStart\":\"x\",\"byteEnd\":2},\"features\":[]}"
               ","
               "{\"index\":{\"byteStart\":0,\"byteEnd\":1e30},\"features\":[]},"
               "{\"features\":[{\"$type\":\"app.bsky.richtext.facet#tag\","
               "\"tag\":\"no_index\"}]},"
               "{\"index\":{\"byteStart\":0,\"byteEnd\":2},\"features\":[{\"$"
               "type\":"
               "\"app.bsky.richtext.facet#future\"},{\"$type\":"
               "\"app.bsky.richtext.facet#tag\"},{\"$type\":"
               "\"app.bsky.richtext.facet#link\",\"uri\":7}]},"
               "{\"index\":{\"byteStart\":5,\"byteEnd\":8},\"features\":[{\"$"
               "type\":"
               "\"app.bsky.richtext.facet#tag\",\"tag\":\"ok\"}]},"
               "\"not an object\", 42]}}}";
    CHECK_INT_EQ(run(ev), 0);
    CHECK_INT_EQ(norm.n_posts, 1);
    const struct roost_post *p = &norm.posts[0];
    CHECK_INT_EQ(p->n_hashtags, 1);
    CHECK_STR(p->hashtags[0].text, "ok");
    CHECK_INT_EQ(p->hashtags[0].start, 4);
    CHECK_INT_EQ(p->hashtags[0].end, 7);
    CHECK_INT_EQ(p->n_urls, 0);
    CHECK_INT_EQ(p->n_mentions, 0);
    teardown();
}

static void test_reply_quote_media_tags(void)
{
    setup();
    const char *ev = EV_HEAD(
        "3kq") "\"text\":\"look #Cat\",\"tags\":[\"cat\",\"Cat\",\"\"],"
               "\"facets\":[{\"index\":{\"byteStart\":5,\"byteEnd\":9},"
               "\"features\":"
               "[{\"$type\":\"app.bsky.richtext.facet#tag\",\"tag\":\"Cat\"}]}]"
               ","
               "\"labels\":{\"$type\":\"com.atproto.label.defs#selfLabels\","
               "\"values\":[{\"val\":\"nudity\"}]},"
               "\"reply\":{\"root\":{\"cid\":\"c1\",\"uri\":\"at://did:plc:r/"
               "app.bsky.feed.post/root1\"},\"parent\":{\"cid\":\"c2\",\"uri\":"
               "\"at://did:plc:p/app.bsky.feed.post/par1\"}},"
               "\"embed\":{\"$type\":\"app.bsky.embed.recordWithMedia\","
               "\"record\":"
               "{\"$type\":\"app.bsky.embed.record\",\"record\":{\"cid\":"
               "\"c3\","
               "\"uri\":\"at://did:plc:q/app.bsky.feed.post/q1\"}},\"media\":{"
               "\"$type\":\"app.bsky.embed.images\",\"images\":[{\"alt\":\"a "
               "cat\","
               "\"image\":{\"$type\":\"blob\",\"ref\":{\"$link\":\"bafkimg\"},"
               "\"mimeType\":\"image/"
               "jpeg\",\"size\":1}},{\"alt\":\"\",\"image\":{}}"
               "]}}}}}";
    CHECK_INT_EQ(run(ev), 0);
    CHECK_INT_EQ(norm.n_posts, 1);
    const struct roost_post *p = &norm.posts[0];
    CHECK(p->sensitive);
    CHECK_STR(p->conversation_id, "at://did:plc:r/app.bsky.feed.post/root1");
    CHECK_INT_EQ(p->n_refs, 2);
    CHECK_INT_EQ(p->refs[0].type, ROOST_REF_REPLY);
    CHECK_STR(p->refs[0].id, "at://did:plc:p/app.bsky.feed.post/par1");
    CHECK_STR(p->refs[0].author_id, "did:plc:p");
    CHECK_INT_EQ(p->refs[1].type, ROOST_REF_QUOTE);
    CHECK_STR(p->refs[1].id, "at://did:plc:q/app.bsky.feed.post/q1");
    CHECK_STR(p->refs[1].author_id, "did:plc:q");
    /* facet tag, then record.tags: "cat" (new), "Cat" (dup), "" (empty) */
    CHECK_INT_EQ(p->n_hashtags, 2);
    CHECK_STR(p->hashtags[0].text, "Cat");
    CHECK_INT_EQ(p->hashtags[0].start, 5);
    CHECK_STR(p->hashtags[1].text, "cat");
    CHECK_INT_EQ(p->hashtags[1].start, ROOST_NO_INDEX);
    CHECK_INT_EQ(p->hashtags[1].end, ROOST_NO_INDEX);
    CHECK_INT_EQ(p->n_media, 2);
    CHECK_STR(p->media[0].type, "image");
    CHECK_STR(p->media[0].alt, "a cat");
    CHECK_STR(p->media[0].id, "bafkimg");
    CHECK_STR(p->media[0].url, "https://cdn.bsky.app/img/feed_fullsize/"
                               "plain/did:plc:abc/bafkimg@jpeg");
    CHECK(p->media[1].url.ptr == NULL);
    teardown();
}

static void test_external_embed_and_non_post_record(void)
{
    setup();
    const char *ev = EV_HEAD(
        "3ke") "\"text\":\"x.com/a\",\"facets\":[{\"index\":{"
               "\"byteStart\":0,\"byteEnd\":7},\"features\":[{\"$type\":"
               "\"app.bsky.richtext.facet#link\",\"uri\":\"https://x.com/"
               "a\"}]}],"
               "\"embed\":{\"$type\":\"app.bsky.embed.external\",\"external\":{"
               "\"uri\":\"https://x.com/a\",\"title\":\"t\"}}}}}";
    CHECK_INT_EQ(run(ev), 0);
    CHECK_INT_EQ(norm.posts[0].n_urls, 1); /* the card repeats the facet */
    roost_norm_reset(&norm);
    ev = EV_HEAD("3kf") "\"text\":\"card\",\"embed\":{\"$type\":"
                        "\"app.bsky.embed.external\",\"external\":{\"uri\":"
                        "\"https://ex.org/\"}}}}}";
    CHECK_INT_EQ(run(ev), 0);
    CHECK_INT_EQ(norm.posts[0].n_urls, 1);
    CHECK_STR(norm.posts[0].urls[0].expanded, "https://ex.org/");
    CHECK_INT_EQ(norm.posts[0].urls[0].start, ROOST_NO_INDEX);
    roost_norm_reset(&norm);
    /* embed.record of a list is no quote */
    ev = EV_HEAD("3kg") "\"text\":\"my list\",\"embed\":{\"$type\":"
                        "\"app.bsky.embed.record\",\"record\":{\"uri\":"
                        "\"at://did:plc:z/app.bsky.graph.list/l1\"}}}}}";
    CHECK_INT_EQ(run(ev), 0);
    CHECK_INT_EQ(norm.posts[0].n_refs, 0);
    teardown();
}

static void test_control_events(void)
{
    setup();
    CHECK_INT_EQ(run("{\"did\":\"did:plc:d\",\"time_us\":1725516666833633,"
                     "\"kind\":\"commit\",\"commit\":{\"rev\":\"r\","
                     "\"operation\":\"delete\",\"collection\":"
                     "\"app.bsky.feed.post\",\"rkey\":\"3kd\"}}"),
                 0);
    CHECK_INT_EQ(run("{\"did\":\"did:plc:l\",\"time_us\":1000000,\"kind\":"
                     "\"commit\",\"commit\":{\"operation\":\"create\","
                     "\"collection\":\"app.bsky.feed.like\",\"rkey\":\"k\","
                     "\"record\":{\"subject\":{\"uri\":\"at://did:plc:x/"
                     "app.bsky.feed.post/p\",\"cid\":\"c\"}}}}"),
                 0);
    CHECK_INT_EQ(run("{\"did\":\"did:plc:i\",\"time_us\":2000000,\"kind\":"
                     "\"identity\",\"identity\":{\"did\":\"did:plc:i\","
                     "\"handle\":\"new.example.com\",\"seq\":1}}"),
                 0);
    CHECK_INT_EQ(run("{\"did\":\"did:plc:a\",\"time_us\":3000000,\"kind\":"
                     "\"account\",\"account\":{\"active\":false,"
                     "\"status\":\"deactivated\"}}"),
                 0);
    CHECK_INT_EQ(run("{\"did\":\"did:plc:a\",\"time_us\":3000000,\"kind\":"
                     "\"account\",\"account\":{\"active\":false,"
                     "\"status\":\"deleted\"}}"),
                 0);
    CHECK_INT_EQ(run("{\"did\":\"did:plc:s\",\"kind\":\"sync\"}"), 0);
    CHECK_INT_EQ(norm.n_posts, 0);
    CHECK_INT_EQ(norm.n_ctls, 6);
    const struct roost_ctl *c = norm.ctls;
    CHECK_INT_EQ(c[0].kind, ROOST_CTL_DELETE);
    CHECK_INT_EQ(c[0].platform, ROOST_PLATFORM_BLUESKY);
    CHECK_STR(c[0].post_id, "at://did:plc:d/app.bsky.feed.post/3kd");
    CHECK_STR(c[0].user_id, "did:plc:d");
    CHECK_INT_EQ(c[0].ts_ms, 1725516666833LL);
    CHECK_INT_EQ(c[1].kind, ROOST_CTL_OTHER);
    CHECK_STR(c[1].code, "app.bsky.feed.like");
    CHECK_STR(c[1].reason, "create");
    CHECK_STR(c[1].post_id, "at://did:plc:x/app.bsky.feed.post/p");
    CHECK_INT_EQ(c[1].ts_ms, 1000);
    CHECK_INT_EQ(c[2].kind, ROOST_CTL_IDENTITY);
    CHECK_STR(c[2].user_id, "did:plc:i");
    CHECK_STR(c[2].reason, "new.example.com");
    CHECK_INT_EQ(c[3].kind, ROOST_CTL_ACCOUNT);
    CHECK_STR(c[3].code, "inactive");
    CHECK_STR(c[3].reason, "deactivated");
    CHECK_INT_EQ(c[4].kind, ROOST_CTL_USER_DELETE);
    CHECK_INT_EQ(c[5].kind, ROOST_CTL_OTHER);
    CHECK_STR(c[5].code, "sync");
    CHECK_INT_EQ(c[5].ts_ms, 0);
    teardown();
}

static void test_invalid_events_fail_cleanly(void)
{
    setup();
    static const char *const bad[] = {
        "{\"kind\":\"commit\"}",
        "{\"did\":\"did:plc:x\"}",
        "{\"did\":\"\",\"kind\":\"commit\"}",
        "{\"did\":\"did:plc:x\",\"kind\":\"commit\"}",
        "{\"did\":\"did:plc:x\",\"kind\":\"commit\",\"commit\":{"
        "\"operation\":\"create\",\"collection\":\"app.bsky.feed.post\"}}",
        "{\"did\":\"did:plc:x\",\"kind\":\"commit\",\"commit\":{"
        "\"operation\":\"create\",\"collection\":\"app.bsky.feed.post\","
        "\"rkey\":\"k\",\"record\":{\"text\":5}}}",
        "{\"did\":\"did:plc:x\",\"kind\":\"commit\",\"commit\":{"
        "\"operation\":\"create\",\"collection\":\"app.bsky.feed.post\","
        "\"rkey\":\"k\"}}",
        "[1,2]",
        "\"str\"",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_MSG(run(bad[i]) == ROOST_EPARSE, "case %zu", i);
        CHECK(diag.msg[0] != '\0');
    }
    CHECK_INT_EQ(norm.n_posts, 0);
    CHECK_INT_EQ(norm.n_ctls, 0);
    teardown();
}

static void test_created_at_falls_back_to_time_us(void)
{
    setup();
    CHECK_INT_EQ(run(EV_HEAD("3kt") "\"text\":\"t\",\"createdAt\":\"junk\"}}}"),
                 0);
    CHECK_INT_EQ(norm.posts[0].created_at_ms, 1725911162329LL);
    teardown();
}

static void test_detected_without_format_hint(void)
{
    setup();
    const char *ev = EV_HEAD("3ka") "\"text\":\"hi\"}}}";
    CHECK_INT_EQ(roost_json_parse(&doc, ev, strlen(ev), NULL), 0);
    CHECK_INT_EQ(roost_format_detect(&doc), ROOST_FMT_JETSTREAM);
    CHECK_INT_EQ(
        roost_norm_record(&norm, &doc, ev, strlen(ev), ROOST_FMT_AUTO, NULL),
        0);
    CHECK_INT_EQ(norm.n_posts, 1);
    teardown();
}

/* ---- the real captures --------------------------------------------------- */

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

static bool json_str_is(const struct roost_json_doc *d, uint32_t i,
                        const char *s)
{
    struct roost_str v = roost_json_str(d, i);
    return v.ptr != NULL && roost_str_eq_cstr(v, s);
}

/* Byte offset of code point cp in s. */
static size_t cp_to_byte(struct roost_str s, uint32_t cp)
{
    size_t b = 0;
    for (uint32_t k = 0; k < cp && b < s.len; k++) {
        uint32_t c;
        size_t l =
            roost_utf8_decode((const unsigned char *)s.ptr + b, s.len - b, &c);
        CHECK(l > 0);
        b += l;
    }
    return b;
}

/* The post's facet-derived entities equal the record's facet features, in
 * order, and their code point spans slice the same bytes. */
static void check_facets(const struct roost_post *p, uint32_t rec, int *n_tags,
                         int *n_links)
{
    uint32_t facets = roost_json_get(&doc, rec, "facets");
    uint32_t t = 0, u = 0;
    if (roost_json_is(&doc, facets, ROOST_JSON_ARRAY)) {
        for (uint32_t f = facets + 1; f < doc.toks[facets].next;
             f = roost_json_next_sibling(&doc, f)) {
            int64_t bs, be;
            CHECK(roost_json_i64(
                &doc, roost_json_path(&doc, f, "index.byteStart"), &bs));
            CHECK(roost_json_i64(
                &doc, roost_json_path(&doc, f, "index.byteEnd"), &be));
            uint32_t feats = roost_json_get(&doc, f, "features");
            for (uint32_t ft = feats + 1; ft < doc.toks[feats].next;
                 ft = roost_json_next_sibling(&doc, ft)) {
                uint32_t ty = roost_json_get(&doc, ft, "$type");
                const struct roost_entity *e;
                if (json_str_is(&doc, ty, "app.bsky.richtext.facet#tag")) {
                    CHECK(t < p->n_hashtags);
                    e = &p->hashtags[t++];
                    CHECK(roost_str_eq(
                        e->text,
                        roost_json_str(&doc, roost_json_get(&doc, ft, "tag"))));
                    (*n_tags)++;
                } else if (json_str_is(&doc, ty,
                                       "app.bsky.richtext.facet#link")) {
                    CHECK(u < p->n_urls);
                    e = &p->urls[u++];
                    CHECK(roost_str_eq(
                        e->expanded,
                        roost_json_str(&doc, roost_json_get(&doc, ft, "uri"))));
                    CHECK(roost_str_eq(
                        e->text,
                        roost_str_make(p->text.ptr + bs, (size_t)(be - bs))));
                    (*n_links)++;
                } else {
                    continue;
                }
                CHECK_INT_EQ(cp_to_byte(p->text, e->start), bs);
                CHECK_INT_EQ(cp_to_byte(p->text, e->end), be);
            }
        }
    }
    /* record.tags and embed.external may only add entities without offsets */
    for (uint32_t k = t; k < p->n_hashtags; k++) {
        CHECK_INT_EQ(p->hashtags[k].start, ROOST_NO_INDEX);
    }
    for (uint32_t k = u; k < p->n_urls; k++) {
        CHECK_INT_EQ(p->urls[k].start, ROOST_NO_INDEX);
    }
}

struct tally {
    int records, posts, ctls, errors, expect_posts, tags, links;
};

static struct tally run_file(const char *name)
{
    struct tally t = { 0 };
    char path[1024];
    snprintf(path, sizeof(path), "%s/bluesky-jetstream-samples/jetstream/%s",
             check_data_dir(), name);
    size_t len = 0;
    char *buf = slurp(path, &len);
    if (buf == NULL) {
        CHECK_SKIP("%s: not found", path);
    }
    char *line = buf;
    while (line < buf + len) {
        char *nl = memchr(line, '\n', (size_t)(buf + len - line));
        size_t ll = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
        if (ll > 0) {
            t.records++;
            roost_norm_reset(&norm);
            CHECK_INT_EQ(roost_json_parse(&doc, line, ll, &diag), 0);
            uint32_t c = roost_json_get(&doc, 0, "commit");
            bool post = json_str_is(&doc, roost_json_get(&doc, c, "collection"),
                                    "app.bsky.feed.post") &&
                        !json_str_is(&doc, roost_json_get(&doc, c, "operation"),
                                     "delete");
            t.expect_posts += post;
            int rc =
                roost_norm_record(&norm, &doc, line, ll, ROOST_FMT_AUTO, &diag);
            if (rc < 0) {
                printf("# %s:%d: %s\n", name, t.records, diag.msg);
                t.errors++;
            } else {
                t.posts += (int)norm.n_posts;
                t.ctls += (int)norm.n_ctls;
                CHECK_INT_EQ(norm.n_posts + norm.n_ctls, 1);
                CHECK_INT_EQ(norm.n_posts, post);
                if (post) {
                    check_facets(&norm.posts[0],
                                 roost_json_get(&doc, c, "record"), &t.tags,
                                 &t.links);
                }
            }
        }
        line += ll + 1;
    }
    free(buf);
    printf("# %s: %d records, %d posts, %d control, %d errors, %d facet "
           "tags, %d facet links\n",
           name, t.records, t.posts, t.ctls, t.errors, t.tags, t.links);
    return t;
}

static void test_data_expected_v1(void)
{
    if (check_data_dir() == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set");
    }
    setup();
    struct tally t = run_file("expected_v1.jsonl");
    CHECK_INT_EQ(t.records, 152); /* manifest.json v1_events */
    CHECK_INT_EQ(t.errors, 0);
    CHECK_INT_EQ(t.posts, 17); /* PROVENANCE.md */
    CHECK_INT_EQ(t.posts, t.expect_posts);
    CHECK_INT_EQ(t.ctls, 135);
    CHECK_INT_EQ(t.tags, 4); /* PROVENANCE.md: 4 #tag, 4 #link */
    CHECK_INT_EQ(t.links, 4);
    teardown();
}

static void test_data_golden_v1(void)
{
    if (check_data_dir() == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set");
    }
    setup();
    struct tally t = run_file("golden_v1.jsonl");
    CHECK_INT_EQ(t.records, 10);
    CHECK_INT_EQ(t.errors, 0);
    CHECK_INT_EQ(t.posts, 1); /* README: one "post w/ reply" */
    CHECK_INT_EQ(t.posts, t.expect_posts);
    CHECK_INT_EQ(t.ctls, 9);
    teardown();
}

/* ---- roost_norm.want ------------------------------------------------------
 */

static void test_want_projection_data(void)
{
    if (check_data_dir() == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set");
    }
    static const char *const files[] = { "expected_v1.jsonl",
                                         "golden_v1.jsonl" };
    setup();
    struct want_proj pj;
    want_proj_init(&pj, &doc, &norm, ROOST_FMT_JETSTREAM);
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char path[1024];
        snprintf(path, sizeof(path),
                 "%s/bluesky-jetstream-samples/jetstream/%s", check_data_dir(),
                 files[i]);
        size_t len = 0;
        char *buf = slurp(path, &len);
        if (buf == NULL) {
            CHECK_SKIP("%s: not found", path);
        }
        for (char *line = buf; line < buf + len;) {
            char *nl = memchr(line, '\n', (size_t)(buf + len - line));
            size_t ll = nl ? (size_t)(nl - line) : (size_t)(buf + len - line);
            if (ll > 0) {
                want_proj_record(&pj, line, ll);
            }
            line += ll + 1;
        }
        free(buf);
    }
    CHECK_INT_EQ(pj.posts, 18); /* see test_data_expected_v1 and _golden_v1 */
    CHECK(pj.with_ents >= 4 && pj.with_refs >= 1);
    want_proj_fini(&pj, "captures");
    teardown();
}

/* Shapes the captures and the simulator lack: record.tags, labels, an
 * external link inside recordWithMedia, video. */
static void test_want_projection_inline(void)
{
    static const char *const evs[] = {
        EV_HEAD(
            "3kp") "\"text\":\"look #Cat\",\"tags\":[\"cat\",\"dog\"],"
                   "\"langs\":[\"en\"],\"facets\":[{\"index\":{"
                   "\"byteStart\":5,\"byteEnd\":9},\"features\":[{\"$type\":"
                   "\"app.bsky.richtext.facet#tag\",\"tag\":\"Cat\"}]}],"
                   "\"labels\":{\"values\":[{\"val\":\"porn\"}]},"
                   "\"reply\":{\"root\":{\"uri\":\"at://did:plc:r/"
                   "app.bsky.feed.post/r1\"},\"parent\":{\"uri\":"
                   "\"at://did:plc:p/app.bsky.feed.post/p1\"}},"
                   "\"embed\":{\"$type\":\"app.bsky.embed.recordWithMedia\","
                   "\"record\":{\"record\":{\"uri\":\"at://did:plc:q/"
                   "app.bsky.feed.post/q1\"}},\"media\":{\"$type\":"
                   "\"app.bsky.embed.external\",\"external\":{\"uri\":"
                   "\"https://ex.org/\"}}}}}}",
        EV_HEAD("3kv") "\"text\":\"\\u00e9 clip\",\"embed\":{\"$type\":"
                       "\"app.bsky.embed.video\",\"alt\":\"a clip\",\"video\":"
                       "{\"ref\":{\"$link\":\"bafkvid\"}}}}}}",
    };
    setup();
    struct want_proj pj;
    want_proj_init(&pj, &doc, &norm, ROOST_FMT_JETSTREAM);
    for (size_t i = 0; i < sizeof(evs) / sizeof(evs[0]); i++) {
        want_proj_record(&pj, evs[i], strlen(evs[i]));
    }
    CHECK_INT_EQ(pj.posts, 2);
    CHECK_INT_EQ(norm.posts[0].n_media, 1); /* the last event's video */
    want_proj_fini(&pj, "inline");
    teardown();
}

static void test_want_projection_simulated(void)
{
    setup();
    struct want_proj pj;
    want_proj_init(&pj, &doc, &norm, ROOST_FMT_JETSTREAM);
    want_proj_simulated(&pj, 3000);
    CHECK(pj.posts > 500 && pj.with_ents > 100 && pj.with_refs > 50);
    want_proj_fini(&pj, "simulated");
    teardown();
}

CHECK_LIST(test_post_facets_bytes_to_code_points,
           test_escaped_text_survives_reparse,
           test_bad_facets_skipped_post_kept, test_reply_quote_media_tags,
           test_external_embed_and_non_post_record, test_control_events,
           test_invalid_events_fail_cleanly,
           test_created_at_falls_back_to_time_us,
           test_detected_without_format_hint, test_data_expected_v1,
           test_data_golden_v1, test_want_projection_data,
           test_want_projection_inline, test_want_projection_simulated)
