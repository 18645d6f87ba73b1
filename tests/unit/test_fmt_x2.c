/* SPDX-License-Identifier: MIT
 *
 * test_fmt_x2.c - X API v2 responses through roost_norm_record():
 * expansions resolved from includes, referenced tweets as their own posts,
 * matching rules, error-only answers, and non-tweet data.
 *
 * Inline records (written with ' for ", see q()) pin each rule; the
 * data-driven test normalizes every response under twitter-v2-samples and
 * checks each post against the entities its payload delivered; the golden
 * test compares tests/data/posts/x2_*.out.json (ROOST_GOLDEN_UPDATE=1
 * rewrites them).
 */
#include <dirent.h>
#include <errno.h>

#include "check.h"
#include "corpus_walk.h"
#include "want_check.h"
#include "core/buf.h"
#include "parse/json.h"
#include "parse/post.h"

/* ---- helpers ----------------------------------------------------------------
 */

struct t {
    struct roost_json_doc doc;
    struct roost_norm n;
    struct roost_diag diag;
    char *in;
    int rc;
};

/* q - a copy of s with every ' turned into " (records stay readable). */
static char *q(const char *s)
{
    char *c = strdup(s);
    CHECK(c != NULL);
    for (char *p = c; *p != '\0'; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    return c;
}

static void t_init(struct t *t)
{
    memset(t, 0, sizeof(*t));
    roost_json_doc_init(&t->doc, ROOST_JSON_DEFAULT_DEPTH, 64u << 20);
    roost_norm_init(&t->n);
}

static void t_fini(struct t *t)
{
    roost_norm_fini(&t->n);
    roost_json_doc_fini(&t->doc);
    free(t->in);
}

/* Normalize one record held in t->in (owned by t). */
static int t_run(struct t *t, size_t len, enum roost_format fmt)
{
    roost_norm_reset(&t->n);
    memset(&t->diag, 0, sizeof(t->diag));
    t->rc = roost_json_parse(&t->doc, t->in, len, &t->diag);
    if (t->rc == 0) {
        t->rc = roost_norm_record(&t->n, &t->doc, t->in, len, fmt, &t->diag);
    }
    return t->rc;
}

static int norm(struct t *t, const char *rec)
{
    free(t->in);
    t->in = q(rec);
    return t_run(t, strlen(t->in), ROOST_FMT_AUTO);
}

static bool seq(struct roost_str s, const char *want)
{
    return want == NULL ? s.ptr == NULL : roost_str_eq_cstr(s, want);
}

#define CHECK_S(s, want)                                                       \
    CHECK_MSG(seq((s), (want)), "%s == \"%s\" (got \"%.*s\")", #s,             \
              (want) ? (want) : "(null)", (int)(s).len,                        \
              (s).ptr ? (s).ptr : "(null)")

/* ---- tweets
 * ------------------------------------------------------------------ */

static const char *const EXPANDED =
    "{'data':[{'id':'1401669999999999999','text':'RT @b: #Hi &amp; "
    "@c $TSLA https://t.co/u','author_id':'10','created_at':"
    "'2021-06-06T23:50:12.123Z','lang':'en','source':'Twitter for iPhone',"
    "'possibly_sensitive':true,'conversation_id':'1401669999999999999',"
    "'public_metrics':{'retweet_count':1,'like_count':2,'reply_count':3,"
    "'quote_count':4},'referenced_tweets':[{'type':'retweeted','id':'20'}],"
    "'entities':{'hashtags':[{'start':7,'end':10,'tag':'Hi'}],"
    "'mentions':[{'start':3,'end':5,'username':'b','id':'11'},"
    "{'start':17,'end':19,'username':'c'}],"
    "'cashtags':[{'start':20,'end':25,'tag':'TSLA'}],"
    "'urls':[{'start':26,'end':40,'url':'https://t.co/u','expanded_url':"
    "'https://ex.com/long','unwound_url':'https://ex.com/final'}]},"
    "'attachments':{'media_keys':['3_1','7_2']},"
    "'geo':{'place_id':'p1','coordinates':{'type':'Point',"
    "'coordinates':[2.35,48.85]}}}],"
    "'includes':{'users':[{'id':'10','username':'a','name':'A',"
    "'description':'bio &amp; more','location':'Paris','verified':true,"
    "'created_at':'2009-01-01T00:00:00.000Z','profile_image_url':'https://i',"
    "'public_metrics':{'followers_count':5,'following_count':6,"
    "'tweet_count':7}},{'id':'11','username':'b','name':'B'}],"
    "'tweets':[{'id':'20','text':'#Hi from b','author_id':'11',"
    "'referenced_tweets':[{'type':'quoted','id':'30'},"
    "{'type':'replied_to','id':'99'}],'in_reply_to_user_id':'12',"
    "'entities':{'hashtags':[{'start':0,'end':3,'tag':'Hi'}]}},"
    "{'id':'30','text':'quoted one','author_id':'13'}],"
    "'media':[{'media_key':'3_1','type':'photo','url':'https://m/1.jpg',"
    "'alt_text':'cat'},{'media_key':'7_2','type':'video',"
    "'preview_image_url':'https://m/2.jpg'}],"
    "'places':[{'id':'p1','full_name':'Paris, France','name':'Paris',"
    "'country':'France','country_code':'FR','place_type':'city',"
    "'geo':{'type':'Feature','bbox':[2.22,48.81,2.47,48.90]}}]},"
    "'meta':{'result_count':1},'__twarc':{'url':'x','version':'2'}}";

static void test_expansions(void)
{
    struct t t;
    t_init(&t);
    CHECK_INT_EQ(norm(&t, EXPANDED), 0);
    CHECK_INT_EQ(t.n.n_posts, 3); /* the tweet, 20, then 30 (99 absent) */
    const struct roost_post *p = &t.n.posts[0];
    CHECK_INT_EQ(p->format, ROOST_FMT_X2);
    CHECK_INT_EQ(p->platform, ROOST_PLATFORM_X);
    CHECK(!p->referenced && p->sensitive);
    CHECK_S(p->id, "1401669999999999999");
    CHECK_INT_EQ(p->created_at_ms, 1623023412123LL);
    CHECK_S(p->text, "RT @b: #Hi & @c $TSLA https://t.co/u");
    CHECK_S(p->lang, "en");
    CHECK_S(p->source, "Twitter for iPhone");
    CHECK_S(p->conversation_id, "1401669999999999999");
    CHECK_S(p->author.id, "10");
    CHECK_S(p->author.handle, "a");
    CHECK_S(p->author.description, "bio & more");
    CHECK_S(p->author.location, "Paris");
    CHECK_S(p->author.profile_image_url, "https://i");
    CHECK_INT_EQ(p->author.followers, 5);
    CHECK_INT_EQ(p->author.following, 6);
    CHECK_INT_EQ(p->author.posts, 7);
    CHECK_INT_EQ(p->author.created_at_ms, 1230768000000LL);
    CHECK(p->author.verified);
    CHECK_S(p->url, "https://twitter.com/a/status/1401669999999999999");
    CHECK_INT_EQ(p->retweets, 1);
    CHECK_INT_EQ(p->likes, 2);
    CHECK_INT_EQ(p->replies, 3);
    CHECK_INT_EQ(p->quotes, 4);
    CHECK_INT_EQ(p->n_hashtags, 1);
    CHECK_S(p->hashtags[0].text, "Hi");
    CHECK_INT_EQ(p->hashtags[0].start, 7);
    CHECK_INT_EQ(p->hashtags[0].end, 10);
    CHECK_INT_EQ(p->n_mentions, 2);
    CHECK_S(p->mentions[0].expanded, "11");
    CHECK_S(p->mentions[1].expanded, NULL);
    CHECK_S(p->cashtags[0].text, "TSLA");
    CHECK_S(p->urls[0].text, "https://t.co/u");
    CHECK_S(p->urls[0].expanded, "https://ex.com/final"); /* unwound */
    CHECK_INT_EQ(p->n_media, 2);
    CHECK_S(p->media[0].id, "3_1");
    CHECK_S(p->media[0].url, "https://m/1.jpg");
    CHECK_S(p->media[0].alt, "cat");
    CHECK_S(p->media[1].type, "video");
    CHECK_S(p->media[1].url, "https://m/2.jpg");
    CHECK(p->has_geo && p->geo.has_point && p->geo.has_bbox);
    CHECK(p->geo.lon == 2.35 && p->geo.lat == 48.85);
    CHECK(p->geo.bbox[0] == 2.22 && p->geo.bbox[3] == 48.90);
    CHECK_S(p->geo.place_full_name, "Paris, France");
    CHECK_S(p->geo.country_code, "FR");
    CHECK_INT_EQ(p->n_refs, 1);
    CHECK_INT_EQ(p->refs[0].type, ROOST_REF_RETWEET);
    CHECK_S(p->refs[0].id, "20");
    CHECK_S(p->refs[0].author_id, "11");
    CHECK_S(p->refs[0].author_handle, "b");

    const struct roost_post *r = &t.n.posts[1];
    CHECK(r->referenced);
    CHECK_S(r->id, "20");
    CHECK_S(r->author.handle, "b");
    CHECK_INT_EQ(r->n_refs, 2);
    CHECK_INT_EQ(r->refs[0].type, ROOST_REF_QUOTE);
    CHECK_S(r->refs[0].author_id, "13");
    CHECK_S(r->refs[0].author_handle, NULL); /* 13 not in includes */
    CHECK_INT_EQ(r->refs[1].type, ROOST_REF_REPLY);
    CHECK_S(r->refs[1].id, "99");
    CHECK_S(r->refs[1].author_id, "12"); /* from in_reply_to_user_id */
    CHECK_INT_EQ(r->created_at_ms, 0);
    CHECK_S(t.n.posts[2].id, "30");
    CHECK(t.n.posts[2].referenced);
    CHECK_S(t.n.posts[2].author.id, "13");
    CHECK_S(t.n.posts[2].author.handle, NULL);
    t_fini(&t);
}

static void test_stream_rules(void)
{
    struct t t;
    t_init(&t);
    /* Filtered stream: data is an object; rule ids are big numbers. */
    CHECK_INT_EQ(norm(&t, "{'data':{'id':'5','text':'x','author_id':'1'},"
                          "'includes':{'users':[{'id':'1','username':'u'}]},"
                          "'matching_rules':[{'id':1377649934414049282,"
                          "'tag':'covid'},{'id':'1377649934414049283'}]}"),
                 0);
    CHECK_INT_EQ(t.n.n_posts, 1);
    CHECK_INT_EQ(t.n.posts[0].n_rules, 2);
    CHECK_S(t.n.posts[0].rules[0], "covid");
    CHECK_S(t.n.posts[0].rules[1], "1377649934414049283");
    CHECK_INT_EQ(norm(&t, "{'data':{'id':'5','text':'x'},'matching_rules':"
                          "[{'id':1377649934414049282}]}"),
                 0);
    CHECK_S(t.n.posts[0].rules[0], "1377649934414049282");
    t_fini(&t);
}

static void test_note_tweet(void)
{
    struct t t;
    t_init(&t);
    CHECK_INT_EQ(norm(&t, "{'data':{'id':'5','text':'short\\u2026 "
                          "https://t.co/n','entities':{'urls':[{'start':7,"
                          "'end':21,'url':'https://t.co/n'}]},"
                          "'note_tweet':{'text':'the whole long #text',"
                          "'entities':{'hashtags':[{'start':15,'end':20,"
                          "'tag':'text'}]}}}}"),
                 0);
    CHECK_S(t.n.posts[0].text, "the whole long #text");
    CHECK_INT_EQ(t.n.posts[0].n_hashtags, 1);
    CHECK_INT_EQ(t.n.posts[0].n_urls, 0);
    t_fini(&t);
}

static void test_errors_only(void)
{
    struct t t;
    struct roost_buf b;
    t_init(&t);
    roost_buf_init(&b, 1 << 20);
    CHECK_INT_EQ(norm(&t, "{'errors':[{'value':'1276230436478386177',"
                          "'detail':'Could not find tweet with id: "
                          "[1276230436478386177].','title':'Not Found Error',"
                          "'resource_type':'tweet','parameter':'id',"
                          "'type':'https://api.twitter.com/2/problems/"
                          "resource-not-found'},{'value':'2244994945',"
                          "'detail':'d','title':'Authorization Error',"
                          "'resource_type':'user'}]}"),
                 0);
    CHECK_INT_EQ(t.n.n_posts, 0);
    CHECK_INT_EQ(t.n.n_ctls, 2);
    const struct roost_ctl *c = &t.n.ctls[0];
    CHECK_INT_EQ(c->kind, ROOST_CTL_OTHER);
    CHECK_S(c->code, "Not Found Error");
    CHECK_S(c->post_id, "1276230436478386177");
    CHECK_S(c->user_id, NULL);
    roost_buf_reset(&b);
    CHECK(roost_ctl_write_json(c, &b) == 0);
    CHECK_STR_EQ(b.ptr, "{\"control\":\"other\",\"platform\":\"x\","
                        "\"post_id\":\"1276230436478386177\",\"user_id\":null,"
                        "\"code\":\"Not Found Error\",\"reason\":\"Could not "
                        "find tweet with id: [1276230436478386177].\","
                        "\"count\":null,\"ts\":null}");
    CHECK_S(t.n.ctls[1].user_id, "2244994945");
    /* 400 answers: the error has no title; the response's is used. */
    CHECK_INT_EQ(norm(&t, "{'errors':[{'parameters':{'ids':['1']},"
                          "'message':'too many'}],'title':'Invalid Request',"
                          "'detail':'One or more parameters are invalid.',"
                          "'type':'about:blank'}"),
                 0);
    CHECK_S(t.n.ctls[0].code, "Invalid Request");
    CHECK_S(t.n.ctls[0].reason, "too many");
    /* Stream disconnects. */
    CHECK_INT_EQ(norm(&t, "{'errors':[{'title':'operational-disconnect',"
                          "'disconnect_type':'UpstreamOperationalDisconnect',"
                          "'detail':'This stream has been disconnected "
                          "upstream for operational reasons.'}]}"),
                 0);
    CHECK_INT_EQ(t.n.ctls[0].kind, ROOST_CTL_DISCONNECT);
    /* Partial errors next to tweets are ignored. */
    CHECK_INT_EQ(norm(&t, "{'data':[{'id':'20','text':'just setting up my "
                          "twttr'}],'errors':[{'title':'Not Found Error',"
                          "'value':'1','resource_type':'tweet'}]}"),
                 0);
    CHECK_INT_EQ(t.n.n_posts, 1);
    CHECK_INT_EQ(t.n.n_ctls, 0);
    roost_buf_fini(&b);
    t_fini(&t);
}

static void test_not_tweets(void)
{
    struct t t;
    t_init(&t);
    CHECK_INT_EQ(norm(&t, "{'data':{'id':'2244994945','name':'Twitter Dev',"
                          "'username':'TwitterDev'}}"),
                 ROOST_EPARSE);
    CHECK(strstr(t.diag.msg, "v2 data holds no tweets") != NULL);
    CHECK_INT_EQ(norm(&t, "{'data':[{'end':'2021-10-16T00:00:00.000Z',"
                          "'start':'2021-10-15T23:00:00.000Z',"
                          "'tweet_count':33}],'meta':{'total_tweet_count':"
                          "33}}"),
                 ROOST_EPARSE);
    CHECK_INT_EQ(norm(&t, "{'data':[],'meta':{'result_count':0}}"), 0);
    CHECK_INT_EQ(t.n.n_posts + t.n.n_ctls, 0);
    CHECK_INT_EQ(norm(&t, "{'data':[7,{'id':'1','text':'ok'},{'text':"
                          "'no id'}]}"),
                 0);
    CHECK_INT_EQ(t.n.n_posts, 1);
    /* Wrong types everywhere: no crash. */
    CHECK_INT_EQ(norm(&t, "{'data':{'id':'1','text':'x','author_id':7,"
                          "'entities':{'hashtags':{},'urls':[1,{'url':2}]},"
                          "'attachments':{'media_keys':[1,'nope']},"
                          "'geo':{'place_id':[],'coordinates':{}},"
                          "'referenced_tweets':[{'type':'quoted'},"
                          "{'type':'odd','id':'3'}],'public_metrics':7},"
                          "'includes':{'users':{},'media':[1,2],"
                          "'tweets':'x'}}"),
                 0);
    CHECK_INT_EQ(t.n.posts[0].n_media, 2);
    CHECK_INT_EQ(t.n.posts[0].n_refs, 0);
    CHECK_INT_EQ(t.n.posts[0].retweets, ROOST_UNKNOWN_COUNT);
    t_fini(&t);
}

static void test_cycle_terminates(void)
{
    struct t t;
    t_init(&t);
    /* Two tweets quoting each other: each is emitted once. */
    CHECK_INT_EQ(norm(&t, "{'data':{'id':'1','text':'a','referenced_tweets':"
                          "[{'type':'quoted','id':'2'}]},'includes':{"
                          "'tweets':[{'id':'2','text':'b','referenced_tweets':"
                          "[{'type':'quoted','id':'1'}]},{'id':'1','text':"
                          "'a','referenced_tweets':[{'type':'quoted','id':"
                          "'2'}]}]}}"),
                 0);
    CHECK_INT_EQ(t.n.n_posts, 2);
    t_fini(&t);
}

/* ---- data-driven: twitter-v2-samples
 * ------------------------------------------------ */

/* The tweet object (data or includes.tweets) behind post id `pid`. */
static uint32_t find_status(const struct roost_json_doc *d,
                            struct roost_str pid)
{
    for (uint32_t i = 0; i < d->n_toks; i++) {
        if (d->toks[i].type == ROOST_JSON_OBJECT &&
            roost_str_eq(roost_json_text(d, roost_json_get(d, i, "id")), pid) &&
            roost_json_get(d, i, "text") != ROOST_JSON_NONE) {
            return i;
        }
    }
    return ROOST_JSON_NONE;
}

/* Entities of array `arr` member `k` must equal the post's, in order. */
static void same_entities(const struct roost_json_doc *d, uint32_t arr,
                          const char *k, const struct roost_entity *e,
                          uint32_t n, const char *what, struct roost_str pid)
{
    uint32_t got = 0;
    if (roost_json_is(d, arr, ROOST_JSON_ARRAY)) {
        for (uint32_t i = arr + 1; i < d->toks[arr].next;
             i = roost_json_next_sibling(d, i)) {
            struct roost_str s = roost_json_str(d, roost_json_get(d, i, k));
            if (s.ptr == NULL) {
                continue;
            }
            CHECK_MSG(got < n && roost_str_eq(e[got].text, s),
                      "post %.*s: %s #%u differs from payload's %.*s",
                      (int)pid.len, pid.ptr, what, got, (int)s.len, s.ptr);
            got++;
        }
    }
    CHECK_MSG(got == n, "post %.*s: %u %s, payload has %u", (int)pid.len,
              pid.ptr, n, what, got);
}

static void check_post_entities(const struct roost_json_doc *d,
                                const struct roost_post *p, struct tally *ty)
{
    uint32_t o = find_status(d, p->id);
    CHECK_MSG(o != ROOST_JSON_NONE, "post %.*s not in its payload",
              (int)p->id.len, p->id.ptr);
    uint32_t ent = roost_json_get(d, o, "entities");
    uint32_t note = roost_json_get(d, o, "note_tweet");
    if (roost_json_get(d, note, "entities") != ROOST_JSON_NONE) {
        ent = roost_json_get(d, note, "entities");
    }
    same_entities(d, roost_json_get(d, ent, "hashtags"), "tag", p->hashtags,
                  p->n_hashtags, "hashtags", p->id);
    same_entities(d, roost_json_get(d, ent, "mentions"), "username",
                  p->mentions, p->n_mentions, "mentions", p->id);
    same_entities(d, roost_json_get(d, ent, "urls"), "url", p->urls, p->n_urls,
                  "urls", p->id);
    same_entities(d, roost_json_get(d, ent, "cashtags"), "tag", p->cashtags,
                  p->n_cashtags, "cashtags", p->id);
    ty->ent_checked++;
}

/* One record: normalize, tally, and check every post. */
static void one_record(struct t *t, const char *rec, size_t len,
                       struct tally *ty, const char *where)
{
    ty->records++;
    free(t->in);
    t->in = malloc(len + 1);
    CHECK(t->in != NULL);
    memcpy(t->in, rec, len);
    t->in[len] = '\0';
    roost_norm_reset(&t->n);
    memset(&t->diag, 0, sizeof(t->diag));
    int rc = roost_json_parse(&t->doc, t->in, len, &t->diag);
    if (rc < 0) {
        char m[200];
        snprintf(m, sizeof(m), "json: %s", t->diag.msg);
        tally_error(ty, m);
        return;
    }
    enum roost_format f = roost_format_detect(&t->doc);
    if (f == ROOST_FMT_UNKNOWN) {
        ty->undetected++; /* compliance output, HTTP error bodies */
        tally_error(ty, "not detected as a known format");
        return;
    }
    rc = roost_norm_record(&t->n, &t->doc, t->in, len, f, &t->diag);
    if (rc < 0) {
        CHECK_MSG(rc == ROOST_EPARSE && t->diag.msg[0] != '\0',
                  "%s: rc %d without a message", where, rc);
        tally_error(ty, t->diag.msg);
        return;
    }
    CHECK_MSG(t->n.n_posts + t->n.n_ctls > 0, "%s: record gave nothing", where);
    ty->posts += t->n.n_posts;
    ty->ctls += t->n.n_ctls;
    struct roost_buf b;
    roost_buf_init(&b, 64u << 20);
    for (uint32_t i = 0; i < t->n.n_posts; i++) {
        const struct roost_post *p = &t->n.posts[i];
        CHECK_MSG(p->id.len > 0, "%s: post without id", where);
        uint32_t o = find_status(&t->doc, p->id);
        bool has_time =
            o != ROOST_JSON_NONE &&
            (roost_json_get(&t->doc, o, "created_at") != ROOST_JSON_NONE ||
             roost_json_get(&t->doc, o, "created_at") != ROOST_JSON_NONE);
        CHECK_MSG(!has_time || p->created_at_ms > 0,
                  "%s: post %.*s lost its created_at", where, (int)p->id.len,
                  p->id.ptr);
        check_post_entities(&t->doc, p, ty);
        roost_buf_reset(&b);
        CHECK(roost_post_write_json(p, &b) == 0);
        CHECK(roost_json_valid(b.ptr, b.len, 64, NULL) == 0);
    }
    for (uint32_t i = 0; i < t->n.n_ctls; i++) {
        roost_buf_reset(&b);
        CHECK(roost_ctl_write_json(&t->n.ctls[i], &b) == 0);
        CHECK(roost_json_valid(b.ptr, b.len, 64, NULL) == 0);
    }
    roost_buf_fini(&b);
}

/* Each record of a corpus walk into one_record(). */
struct walk_ctx {
    struct t *t;
    struct tally *ty;
};

static void on_record(void *arg, const char *rec, size_t len,
                      const char *where)
{
    struct walk_ctx *w = arg;
    one_record(w->t, rec, len, w->ty, where);
}
static bool corpus(const char *sub, struct tally *ty)
{
    const char *data = check_data_dir();
    if (data == NULL) {
        return false;
    }
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/%s", data, sub);
    DIR *dh = opendir(dir);
    if (dh == NULL) {
        return false;
    }
    closedir(dh);
    struct t t;
    t_init(&t);
    /* Entities must be the delivered ones: no extraction from text. */
    t.n.extract_missing = false;
    memset(ty, 0, sizeof(*ty));
    struct walk_ctx w = { &t, ty };
    walk(on_record, &w, dir);
    t_fini(&t);
    report(sub, ty);
    return true;
}

static void test_data_v2_samples(void)
{
    struct tally ty;
    if (!corpus("twitter-v2-samples", &ty)) {
        CHECK_SKIP("twitter-v2-samples not found");
    }
    CHECK(ty.posts > 1409 + 335 + 156);
    /* Documented non-post payloads: users, lists, counts, rules, HTTP
     * error bodies, compliance output, and one truncated line. */
    for (int i = 0; i < 8 && ty.n_reason[i] > 0; i++) {
        CHECK_MSG(strstr(ty.reasons[i], "v2 data holds no tweets") != NULL ||
                      strstr(ty.reasons[i], "not detected") != NULL ||
                      strstr(ty.reasons[i], "without data or errors") != NULL ||
                      strncmp(ty.reasons[i], "json: ", 6) == 0,
                  "undocumented error: %s", ty.reasons[i]);
    }
}

/* ---- golden files
 * ---------------------------------------------------------------- */

static void golden_case(const char *dir, const char *name)
{
    char in_path[1024], out_path[1024];
    snprintf(in_path, sizeof(in_path), "%s/%s.in.json", dir, name);
    snprintf(out_path, sizeof(out_path), "%s/%s.out.json", dir, name);
    size_t len;
    struct t t;
    t_init(&t);
    /* Goldens pin this file's mapping, not entities.c's extractor. */
    t.n.extract_missing = false;
    t.in = slurp(in_path, &len);
    CHECK(t.in != NULL);
    CHECK_MSG(t_run(&t, len, ROOST_FMT_AUTO) == 0, "%s: %s", name, t.diag.msg);
    struct roost_buf b;
    roost_buf_init(&b, 16u << 20);
    for (uint32_t i = 0; i < t.n.n_posts; i++) {
        CHECK(roost_post_write_json(&t.n.posts[i], &b) == 0);
        CHECK(roost_buf_addc(&b, '\n') == 0);
    }
    for (uint32_t i = 0; i < t.n.n_ctls; i++) {
        CHECK(roost_ctl_write_json(&t.n.ctls[i], &b) == 0);
        CHECK(roost_buf_addc(&b, '\n') == 0);
    }
    const char *upd = getenv("ROOST_GOLDEN_UPDATE");
    if (upd != NULL && strcmp(upd, "1") == 0) {
        FILE *f = fopen(out_path, "wb");
        CHECK_MSG(f != NULL, "cannot write %s: %s", out_path, strerror(errno));
        CHECK(fwrite(b.ptr, 1, b.len, f) == b.len);
        CHECK(fclose(f) == 0);
    } else {
        size_t want_len;
        char *want = slurp(out_path, &want_len);
        CHECK_MSG(want != NULL, "missing %s (ROOST_GOLDEN_UPDATE=1)", out_path);
        CHECK_MSG(want_len == b.len && memcmp(want, b.ptr, b.len) == 0,
                  "%s differs; got:\n%s", out_path, b.ptr);
        free(want);
    }
    roost_buf_fini(&b);
    t_fini(&t);
}

/* Every <prefix>*.in.json under tests/data/posts ($ROOST_TOP or cwd). */
static int golden_all(const char *prefix)
{
    const char *top = getenv("ROOST_TOP");
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/tests/data/posts", top ? top : ".");
    DIR *dh = opendir(dir);
    if (dh == NULL) {
        return -1;
    }
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dh)) != NULL) {
        size_t l = strlen(de->d_name);
        if (strncmp(de->d_name, prefix, strlen(prefix)) != 0 || l < 9 ||
            strcmp(de->d_name + l - 8, ".in.json") != 0) {
            continue;
        }
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)(l - 8), de->d_name);
        golden_case(dir, name);
        n++;
    }
    closedir(dh);
    return n;
}

static void test_golden(void)
{
    int n = golden_all("x2_");
    if (n < 0) {
        CHECK_SKIP("tests/data/posts not found (set ROOST_TOP)");
    }
    CHECK(n >= 2);
}

/* roost_norm.want on v2: what is wanted equals a full normalization
 * (expansions, note_tweet entities, refs), the rest may stay empty. */
static void test_want_projection(void)
{
    static const char *const recs[] = {
        EXPANDED,
        "{'data':{'id':'5','text':'short https://t.co/n','author_id':'9',"
        "'note_tweet':{'text':'the whole long #text','entities':{'hashtags':"
        "[{'start':15,'end':20,'tag':'text'}]}}},'includes':{'users':[{"
        "'id':'9','username':'u','name':'U'}]}}",
        "{'data':{'id':'6','text':'no entities #here @bob','author_id':'9'}}",
    };
    static const unsigned wants[] = { ROOST_WANT_ENTITIES, ROOST_WANT_AUTHOR,
                                      ROOST_WANT_TEXT };
    struct t full, part;
    t_init(&full);
    t_init(&part);
    for (size_t r = 0; r < sizeof(recs) / sizeof(recs[0]); r++) {
        CHECK_INT_EQ(norm(&full, recs[r]), 0);
        for (size_t w = 0; w < sizeof(wants) / sizeof(wants[0]); w++) {
            part.n.want = wants[w];
            CHECK_INT_EQ(norm(&part, recs[r]), 0);
            want_check(&full.n, &part.n, wants[w]);
        }
    }
    /* The last record has no entities: they come from its text. */
    CHECK_INT_EQ(full.n.posts[0].n_hashtags, 1);
    CHECK_INT_EQ(full.n.posts[0].n_mentions, 1);
    t_fini(&full);
    t_fini(&part);
}

CHECK_LIST(test_expansions, test_stream_rules, test_note_tweet,
           test_errors_only, test_not_tweets, test_cycle_terminates,
           test_data_v2_samples, test_golden, test_want_projection);
