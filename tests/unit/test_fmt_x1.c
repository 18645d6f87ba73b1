/* SPDX-License-Identifier: MIT
 *
 * test_fmt_x1.c - Twitter v1.1 statuses, stream control messages and Gnip
 * Activity Streams through roost_norm_record(), and post_json.c's output.
 *
 * Small inline records (written with ' for ", see q()) pin each rule;
 * the data-driven tests then normalize every record of the shared v1
 * corpora and check each post against the entities its payload delivered;
 * the golden test compares roost_post_write_json() output with
 * tests/data/posts/x1_*.out.json (ROOST_GOLDEN_UPDATE=1 rewrites them).
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

static const char *post_json(const struct roost_post *p, struct roost_buf *b)
{
    roost_buf_reset(b);
    CHECK(roost_post_write_json(p, b) == 0);
    return b->ptr;
}

static const char *ctl_json(const struct roost_ctl *c, struct roost_buf *b)
{
    roost_buf_reset(b);
    CHECK(roost_ctl_write_json(c, b) == 0);
    return b->ptr;
}

static const struct roost_ref *ref(const struct roost_post *p, uint8_t type)
{
    for (uint32_t i = 0; i < p->n_refs; i++) {
        if (p->refs[i].type == type) {
            return &p->refs[i];
        }
    }
    return NULL;
}

/* ---- statuses ---------------------------------------------------------------
 */

static const char *const STATUS =
    "{'created_at':'Sun Jun 06 23:50:12 +0000 2021',"
    "'id':1401670000000000000,'id_str':'1401669999999999999',"
    "'text':'Tom &amp; Jerry &lt;3 #Cats @bob $TSLA https://t.co/x',"
    "'source':'<a href=\\'https://mobile.twitter.com\\' rel=\\'nofollow\\'>"
    "Twitter Web App</a>',"
    "'truncated':false,'lang':'en','possibly_sensitive':true,"
    "'in_reply_to_status_id':1,'in_reply_to_status_id_str':"
    "'1401660000000000001','in_reply_to_user_id_str':'42',"
    "'in_reply_to_screen_name':'bob',"
    "'user':{'id':7,'id_str':'7','name':'Ann \\u00c9','screen_name':'ann',"
    "'description':'I &amp; me','location':'Paris','lang':null,"
    "'profile_image_url_https':'https://pbs/a.jpg','followers_count':10,"
    "'friends_count':20,'statuses_count':30,'verified':true,"
    "'created_at':'Thu Jan 01 00:00:00 +0000 2009'},"
    "'coordinates':{'type':'Point','coordinates':[2.35,48.85]},"
    "'place':{'id':'09f6a7707f18e0b1','name':'Paris','full_name':"
    "'Paris, France','place_type':'city','country':'France',"
    "'country_code':'FR','bounding_box':{'type':'Polygon','coordinates':"
    "[[[2.22,48.81],[2.22,48.90],[2.47,48.90],[2.47,48.81]]]}},"
    "'entities':{'hashtags':[{'text':'Cats','indices':[20,25]}],"
    "'user_mentions':[{'screen_name':'bob','id':42,'id_str':'42',"
    "'indices':[26,30]}],"
    "'symbols':[{'text':'TSLA','indices':[31,36]}],"
    "'urls':[{'url':'https://t.co/x','expanded_url':'https://example.com/a',"
    "'indices':[37,51]}],"
    "'media':[{'id_str':'9','type':'photo','media_url_https':"
    "'https://pbs/m.jpg','ext_alt_text':'a cat'}]},"
    "'retweet_count':3,'favorite_count':4,'reply_count':5,'quote_count':6,"
    "'matching_rules':[{'tag':'cats','id':11},{'tag':null,"
    "'id':1377649934414049282}]}";

static void test_status_fields(void)
{
    struct t t;
    t_init(&t);
    CHECK_INT_EQ(norm(&t, STATUS), 0);
    CHECK_INT_EQ(t.n.n_posts, 1);
    CHECK_INT_EQ(t.n.n_ctls, 0);
    const struct roost_post *p = &t.n.posts[0];
    CHECK_INT_EQ(p->format, ROOST_FMT_X1);
    CHECK_INT_EQ(p->platform, ROOST_PLATFORM_X);
    CHECK_S(p->id, "1401669999999999999"); /* id_str, not the number */
    CHECK_INT_EQ(p->created_at_ms, 1623023412000LL);
    CHECK_S(p->lang, "en");
    CHECK_S(p->text, "Tom & Jerry <3 #Cats @bob $TSLA https://t.co/x");
    CHECK_S(p->source, "Twitter Web App");
    CHECK(p->sensitive && !p->truncated && !p->referenced);
    CHECK_S(p->author.id, "7");
    CHECK_S(p->author.handle, "ann");
    CHECK_S(p->author.name, "Ann \xc3\x89");
    CHECK_S(p->author.description, "I & me");
    CHECK_S(p->author.location, "Paris");
    CHECK_S(p->author.profile_image_url, "https://pbs/a.jpg");
    CHECK_INT_EQ(p->author.followers, 10);
    CHECK_INT_EQ(p->author.following, 20);
    CHECK_INT_EQ(p->author.posts, 30);
    CHECK_INT_EQ(p->author.created_at_ms, 1230768000000LL);
    CHECK(p->author.verified);
    CHECK_S(p->url, "https://twitter.com/ann/status/1401669999999999999");
    CHECK_INT_EQ(p->n_hashtags, 1);
    CHECK_S(p->hashtags[0].text, "Cats");
    CHECK_INT_EQ(p->hashtags[0].start, 20);
    CHECK_INT_EQ(p->hashtags[0].end, 25);
    CHECK_INT_EQ(p->n_mentions, 1);
    CHECK_S(p->mentions[0].text, "bob");
    CHECK_S(p->mentions[0].expanded, "42");
    CHECK_INT_EQ(p->n_cashtags, 1);
    CHECK_S(p->cashtags[0].text, "TSLA");
    CHECK_INT_EQ(p->n_urls, 1);
    CHECK_S(p->urls[0].text, "https://t.co/x");
    CHECK_S(p->urls[0].expanded, "https://example.com/a");
    CHECK_INT_EQ(p->n_media, 1);
    CHECK_S(p->media[0].id, "9");
    CHECK_S(p->media[0].type, "photo");
    CHECK_S(p->media[0].url, "https://pbs/m.jpg");
    CHECK_S(p->media[0].alt, "a cat");
    CHECK_INT_EQ(p->retweets, 3);
    CHECK_INT_EQ(p->likes, 4);
    CHECK_INT_EQ(p->replies, 5);
    CHECK_INT_EQ(p->quotes, 6);
    const struct roost_ref *r = ref(p, ROOST_REF_REPLY);
    CHECK(r != NULL);
    CHECK_S(r->id, "1401660000000000001");
    CHECK_S(r->author_id, "42");
    CHECK_S(r->author_handle, "bob");
    CHECK(p->has_geo && p->geo.has_point && p->geo.has_bbox);
    CHECK(p->geo.lat == 48.85 && p->geo.lon == 2.35);
    CHECK(p->geo.bbox[0] == 2.22 && p->geo.bbox[1] == 48.81);
    CHECK(p->geo.bbox[2] == 2.47 && p->geo.bbox[3] == 48.90);
    CHECK_S(p->geo.place_id, "09f6a7707f18e0b1");
    CHECK_S(p->geo.place_full_name, "Paris, France");
    CHECK_S(p->geo.country_code, "FR");
    CHECK_INT_EQ(p->n_rules, 2);
    CHECK_S(p->rules[0], "cats");
    CHECK_S(p->rules[1], "1377649934414049282"); /* > 2^53, exact */
    t_fini(&t);
}

static void test_status_json(void)
{
    struct t t;
    struct roost_buf b;
    t_init(&t);
    roost_buf_init(&b, 1 << 20);
    CHECK_INT_EQ(norm(&t, STATUS), 0);
    char *want =
        q("{'id':'1401669999999999999','created_at':'2021-06-06T23:50:12.000Z',"
          "'platform':'x','format':'v1','lang':'en',"
          "'text':'Tom & Jerry <3 #Cats @bob $TSLA https://t.co/x',"
          "'author':{'id':'7','handle':'ann','name':'Ann \xc3\x89',"
          "'followers':10,'following':20,'posts':30,'verified':true,"
          "'created_at':'2009-01-01T00:00:00.000Z','description':'I & me',"
          "'location':'Paris'},'hashtags':['Cats'],'mentions':['bob'],"
          "'urls':['https://example.com/a'],'cashtags':['TSLA'],"
          "'media':[{'type':'photo','url':'https://pbs/m.jpg','alt':'a cat'}],"
          "'refs':{'reply_to':'1401660000000000001','retweet_of':null,"
          "'quote_of':null},'counts':{'retweets':3,'likes':4,'replies':5,"
          "'quotes':6},'geo':{'lat':48.85,'lon':2.35,'place':{"
          "'id':'09f6a7707f18e0b1','name':'Paris','full_name':'Paris, France',"
          "'type':'city','country':'France','country_code':'FR'},"
          "'bbox':[2.22,48.81,2.47,48.9]},'source':'Twitter Web App',"
          "'url':'https://twitter.com/ann/status/1401669999999999999',"
          "'conversation_id':null,'rules':['cats','1377649934414049282'],"
          "'sensitive':true,'truncated':false,'referenced':false}");
    CHECK_STR_EQ(post_json(&t.n.posts[0], &b), want);
    free(want);
    roost_buf_fini(&b);
    t_fini(&t);
}

static void test_json_escapes_and_nulls(void)
{
    struct t t;
    struct roost_buf b;
    t_init(&t);
    roost_buf_init(&b, 1 << 20);
    CHECK_INT_EQ(norm(&t, "{'id_str':'5','text':'a \\'q\\' \\\\ \\n\\t "
                          "\\u0001 \\ud83d\\ude00 &quot;'}"),
                 0);
    const struct roost_post *p = &t.n.posts[0];
    CHECK_S(p->text, "a \"q\" \\ \n\t \x01 \xf0\x9f\x98\x80 \"");
    const char *j = post_json(p, &b);
    CHECK(strstr(j, "\"text\":\"a \\\"q\\\" \\\\ \\n\\t \\u0001 "
                    "\xf0\x9f\x98\x80 \\\"\"") != NULL);
    CHECK(strstr(j, "\"created_at\":null,") != NULL);
    CHECK(strstr(j, "\"lang\":null,") != NULL);
    CHECK(strstr(j, "\"author\":{\"id\":null,\"handle\":null,\"name\":null,"
                    "\"followers\":null,\"following\":null,\"posts\":null,"
                    "\"verified\":false,\"created_at\":null}") != NULL);
    CHECK(strstr(j, "\"counts\":{\"retweets\":null,\"likes\":null,"
                    "\"replies\":null,\"quotes\":null}") != NULL);
    CHECK(strstr(j, "\"geo\":null,\"source\":null,\"url\":null") != NULL);
    /* A failed write leaves the buffer as it was. */
    struct roost_buf small;
    roost_buf_init(&small, 16);
    CHECK(roost_buf_adds(&small, "keep") == 0);
    CHECK(roost_post_write_json(p, &small) == ROOST_ELIMIT);
    CHECK_STR_EQ(small.ptr, "keep");
    roost_buf_fini(&small);
    roost_buf_fini(&b);
    t_fini(&t);
}

static void test_extended_tweet_preferred(void)
{
    struct t t;
    t_init(&t);
    CHECK_INT_EQ(
        norm(&t,
             "{'id_str':'1','truncated':true,'text':'short \\u2026 "
             "https://t.co/s','entities':{'hashtags':[],'urls':[{'url':"
             "'https://t.co/s','expanded_url':'https://twitter.com/i/web/1',"
             "'indices':[8,22]}]},'extended_tweet':{'full_text':'the long "
             "text #full &gt; short','display_text_range':[0,30],"
             "'entities':{'hashtags':[{'text':'full','indices':[14,19]}],"
             "'urls':[],'user_mentions':[]},'extended_entities':{'media':"
             "[{'id_str':'3','type':'video','media_url_https':'v'}]}}}"),
        0);
    const struct roost_post *p = &t.n.posts[0];
    CHECK_S(p->text, "the long text #full > short");
    CHECK(p->truncated);
    CHECK_INT_EQ(p->n_hashtags, 1);
    CHECK_S(p->hashtags[0].text, "full");
    CHECK_INT_EQ(p->n_urls, 0);
    CHECK_INT_EQ(p->n_media, 1);
    CHECK_S(p->media[0].type, "video");

    /* REST extended mode: full_text beats text. */
    CHECK_INT_EQ(norm(&t, "{'id_str':'2','text':'t','full_text':'full'}"), 0);
    CHECK_S(t.n.posts[0].text, "full");
    t_fini(&t);
}

static const char *const RT_OF_QUOTE =
    "{'id_str':'300','text':'RT @b: look','user':{'id_str':'1',"
    "'screen_name':'a'},"
    "'retweeted_status':{'id_str':'200','text':'look https://t.co/q',"
    "'user':{'id_str':'2','screen_name':'b'},'is_quote_status':true,"
    "'quoted_status_id_str':'100',"
    "'quoted_status':{'id_str':'100','text':'original','user':{"
    "'id_str':'3','screen_name':'c'}}},"
    "'is_quote_status':true,'quoted_status_id_str':'100',"
    "'quoted_status':{'id_str':'100','text':'original','user':{"
    "'id_str':'3','screen_name':'c'}}}";

static void test_retweet_of_quote(void)
{
    struct t t;
    struct roost_buf b;
    t_init(&t);
    roost_buf_init(&b, 1 << 20);
    CHECK_INT_EQ(norm(&t, RT_OF_QUOTE), 0);
    CHECK_INT_EQ(t.n.n_posts, 3);
    const struct roost_post *rt = &t.n.posts[0];
    const struct roost_post *qt = &t.n.posts[1];
    const struct roost_post *orig = &t.n.posts[2];
    CHECK_S(rt->id, "300");
    CHECK(!rt->referenced);
    CHECK_INT_EQ(rt->n_refs, 1);
    CHECK_S(ref(rt, ROOST_REF_RETWEET)->id, "200");
    CHECK_S(ref(rt, ROOST_REF_RETWEET)->author_handle, "b");
    CHECK_S(qt->id, "200");
    CHECK(qt->referenced);
    CHECK_S(ref(qt, ROOST_REF_QUOTE)->id, "100");
    CHECK_S(ref(qt, ROOST_REF_QUOTE)->author_id, "3");
    CHECK_S(orig->id, "100");
    CHECK(orig->referenced);
    CHECK_INT_EQ(orig->n_refs, 0);
    CHECK(strstr(post_json(rt, &b), "\"refs\":{\"reply_to\":null,"
                                    "\"retweet_of\":\"200\",\"quote_of\":"
                                    "null}") != NULL);
    CHECK(strstr(b.ptr, "\"referenced\":false}") != NULL);
    CHECK(strstr(post_json(qt, &b), "\"quote_of\":\"100\"") != NULL);
    CHECK(strstr(b.ptr, "\"referenced\":true}") != NULL);

    /* A quote whose quoted status is missing keeps its ref from the id. */
    CHECK_INT_EQ(norm(&t, "{'id_str':'9','text':'q','quoted_status_id_str':"
                          "'8','is_quote_status':true}"),
                 0);
    CHECK_INT_EQ(t.n.n_posts, 1);
    CHECK_S(ref(&t.n.posts[0], ROOST_REF_QUOTE)->id, "8");
    /* A broken nested status (no id) does not sink the outer post. */
    CHECK_INT_EQ(norm(&t, "{'id_str':'9','text':'q','quoted_status':"
                          "{'text':'no id'}}"),
                 0);
    CHECK_INT_EQ(t.n.n_posts, 1);
    roost_buf_fini(&b);
    t_fini(&t);
}

static void test_search_envelope(void)
{
    struct t t;
    t_init(&t);
    CHECK_INT_EQ(norm(&t, "{'statuses':[{'id_str':'1','text':'a'},"
                          "{'id_str':'2','text':'b','retweeted_status':"
                          "{'id_str':'1','text':'a'}},{'id_str':'3',"
                          "'text':'c'}],'search_metadata':{'max_id':"
                          "505874924095815700,'max_id_str':"
                          "'505874924095815681'}}"),
                 0);
    /* The retweeted '1' was already emitted by this record. */
    CHECK_INT_EQ(t.n.n_posts, 3);
    CHECK_S(t.n.posts[0].id, "1");
    CHECK_S(t.n.posts[1].id, "2");
    CHECK_S(t.n.posts[2].id, "3");
    CHECK_S(ref(&t.n.posts[1], ROOST_REF_RETWEET)->id, "1");
    /* A REST timeline: a top-level array of statuses. */
    CHECK_INT_EQ(norm(&t, "[{'id_str':'1','text':'a'},{'id_str':'2',"
                          "'text':'b'}]"),
                 0);
    CHECK_INT_EQ(t.n.n_posts, 2);
    CHECK_INT_EQ(norm(&t, "{'statuses':[]}"), 0);
    CHECK_INT_EQ(t.n.n_posts + t.n.n_ctls, 0);
    t_fini(&t);
}

static void test_big_ids_exact(void)
{
    struct t t;
    t_init(&t);
    /* twitterescaped.json style: the number was rounded, id_str is not. */
    CHECK_INT_EQ(norm(&t, "{'id':505874924095815700,'id_str':"
                          "'505874924095815681','text':'x','user':{'id':"
                          "18446744073709551615,'id_str':"
                          "'18446744073709551615','screen_name':'u'}}"),
                 0);
    CHECK_S(t.n.posts[0].id, "505874924095815681");
    CHECK_S(t.n.posts[0].author.id, "18446744073709551615");
    /* 2009 payloads have no id_str: the number's text, verbatim. */
    CHECK_INT_EQ(norm(&t, "{'id':6832063504,'text':'old','created_at':"
                          "'Sat Dec 19 16:01:35 +0000 2009','user':{}}"),
                 0);
    CHECK_S(t.n.posts[0].id, "6832063504");
    t_fini(&t);
}

/* ---- control messages
 * ---------------------------------------------------------- */

static void test_control_delete(void)
{
    struct t t;
    struct roost_buf b;
    t_init(&t);
    roost_buf_init(&b, 1 << 20);
    CHECK_INT_EQ(norm(&t, "{'delete':{'status':{'id':1344924413014560800,"
                          "'id_str':'1344924413014560771','user_id':"
                          "1219320339460456448,'user_id_str':"
                          "'1219320339460456448'},'timestamp_ms':"
                          "'1609486141290'}}"),
                 0);
    CHECK_INT_EQ(t.n.n_posts, 0);
    CHECK_INT_EQ(t.n.n_ctls, 1);
    const struct roost_ctl *c = &t.n.ctls[0];
    CHECK_INT_EQ(c->kind, ROOST_CTL_DELETE);
    CHECK_S(c->post_id, "1344924413014560771");
    CHECK_S(c->user_id, "1219320339460456448");
    CHECK_INT_EQ(c->ts_ms, 1609486141290LL);
    char *want = q("{'control':'delete','platform':'x','post_id':"
                   "'1344924413014560771','user_id':'1219320339460456448',"
                   "'code':null,'reason':null,'count':null,'ts':"
                   "'2021-01-01T07:29:01.290Z'}");
    CHECK_STR_EQ(ctl_json(c, &b), want);
    free(want);
    /* twitter4j 2009: numbers only. */
    CHECK_INT_EQ(norm(&t, "{'delete':{'status':{'id':6832057002,"
                          "'user_id':18378841}}}"),
                 0);
    CHECK_S(t.n.ctls[0].post_id, "6832057002");
    CHECK_S(t.n.ctls[0].user_id, "18378841");
    CHECK_INT_EQ(t.n.ctls[0].ts_ms, 0);
    /* A deleted direct message is not a post deletion. */
    CHECK_INT_EQ(norm(&t, "{'delete':{'direct_message':{'user_id':"
                          "123123123,'id_str':'11111111111111111','id':"
                          "11111111111111111}}}"),
                 0);
    CHECK_INT_EQ(t.n.ctls[0].kind, ROOST_CTL_OTHER);
    CHECK_S(t.n.ctls[0].code, "direct_message_delete");
    CHECK_S(t.n.ctls[0].post_id, "11111111111111111");
    roost_buf_fini(&b);
    t_fini(&t);
}

static void test_control_kinds(void)
{
    static const struct {
        const char *rec;
        uint8_t kind;
        const char *post_id, *user_id, *code, *reason;
        int64_t count;
    } cases[] = {
        { "{'scrub_geo':{'user_id':14090452,'user_id_str':'14090452',"
          "'up_to_status_id':23260136625,'up_to_status_id_str':"
          "'23260136625'}}",
          ROOST_CTL_SCRUB_GEO, "23260136625", "14090452", NULL, NULL, 0 },
        { "{'limit':{'track':1234,'timestamp_ms':'1609486141290'}}",
          ROOST_CTL_LIMIT, NULL, NULL, NULL, NULL, 1234 },
        { "{'disconnect':{'code':5,'stream_name':'s','reason':'why'}}",
          ROOST_CTL_DISCONNECT, NULL, NULL, "5", "why", 0 },
        { "{'warning':{'code':'FALLING_BEHIND','message':'slow',"
          "'percent_full':60}}",
          ROOST_CTL_WARNING, NULL, NULL, "FALLING_BEHIND", "slow", 60 },
        { "{'warning':{'code':'FOLLOWS_OVER_LIMIT','message':'m',"
          "'user_id':13}}",
          ROOST_CTL_WARNING, NULL, "13", "FOLLOWS_OVER_LIMIT", "m",
          ROOST_UNKNOWN_COUNT },
        { "{'status_withheld':{'id':1234567890,'user_id':123456,"
          "'withheld_in_countries':['DE','AR'],'timestamp_ms':"
          "'1609486141290'}}",
          ROOST_CTL_STATUS_WITHHELD, "1234567890", "123456", NULL, "DE,AR", 0 },
        { "{'user_withheld':{'id':123456,'withheld_in_countries':['DE']}}",
          ROOST_CTL_USER_WITHHELD, NULL, "123456", NULL, "DE", 0 },
        { "{'friends':[1497,169686021]}", ROOST_CTL_OTHER, NULL, NULL,
          "friends", NULL, 0 },
        { "{'friends_str':['1497']}", ROOST_CTL_OTHER, NULL, NULL,
          "friends_str", NULL, 0 },
        { "{'for_user':'1888','message':{'friends':[1,2]}}", ROOST_CTL_OTHER,
          NULL, "1888", "for_user", NULL, 0 },
        { "{'control':{'control_uri':'/1.1/site/c/01'}}", ROOST_CTL_OTHER, NULL,
          NULL, "control", "/1.1/site/c/01", 0 },
        { "{'event':'follow','source':{'id_str':'6'},'target':{'id':7},"
          "'created_at':'Sat May 23 22:40:50 +0000 2009'}",
          ROOST_CTL_OTHER, NULL, "6", "event", "follow", 0 },
        { "{'direct_message':{'id_str':'77','sender_id_str':'5','text':"
          "'hi'}}",
          ROOST_CTL_OTHER, "77", "5", "direct_message", NULL, 0 },
    };
    struct t t;
    struct roost_buf b;
    t_init(&t);
    roost_buf_init(&b, 1 << 20);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        free(t.in);
        t.in = q(cases[i].rec);
        /* User/site-stream messages are not auto-detected by post.c. */
        CHECK_MSG(t_run(&t, strlen(t.in), ROOST_FMT_X1) == 0, "%s: %s",
                  cases[i].rec, t.diag.msg);
        CHECK_INT_EQ(t.n.n_posts, 0);
        CHECK_INT_EQ(t.n.n_ctls, 1);
        const struct roost_ctl *c = &t.n.ctls[0];
        CHECK_INT_EQ(c->kind, cases[i].kind);
        CHECK_INT_EQ(c->platform, ROOST_PLATFORM_X);
        CHECK_S(c->post_id, cases[i].post_id);
        CHECK_S(c->user_id, cases[i].user_id);
        CHECK_S(c->code, cases[i].code);
        CHECK_S(c->reason, cases[i].reason);
        if (c->kind == ROOST_CTL_LIMIT || c->kind == ROOST_CTL_WARNING) {
            CHECK_INT_EQ(c->count, cases[i].count);
        }
        const char *j = ctl_json(c, &b);
        char want[64];
        snprintf(want, sizeof(want), "{\"control\":\"%s\",",
                 roost_ctl_kind_name((enum roost_ctl_kind)c->kind));
        CHECK(strncmp(j, want, strlen(want)) == 0);
    }
    CHECK_INT_EQ(norm(&t, "{'limit':{'track':7,'timestamp_ms':"
                          "'1609486141290'}}"),
                 0);
    CHECK_STR_EQ(ctl_json(&t.n.ctls[0], &b),
                 "{\"control\":\"limit\",\"platform\":\"x\",\"post_id\":null,"
                 "\"user_id\":null,\"code\":null,\"reason\":null,"
                 "\"count\":7,\"ts\":\"2021-01-01T07:29:01.290Z\"}");
    roost_buf_fini(&b);
    t_fini(&t);
}

static void test_not_a_status(void)
{
    struct t t;
    t_init(&t);
    CHECK_INT_EQ(norm(&t, "{'user':{'id_str':'1','screen_name':'x'}}"),
                 ROOST_EPARSE);
    CHECK_STR_EQ(t.diag.msg, "v1 user object, not a status");
    CHECK_INT_EQ(t.n.n_posts + t.n.n_ctls, 0);
    free(t.in);
    t.in = q("{'created_at':'Sun Jun 06 23:50:12 +0000 2021','lang':'en'}");
    CHECK_INT_EQ(t_run(&t, strlen(t.in), ROOST_FMT_X1), ROOST_EPARSE);
    CHECK_STR_EQ(t.diag.msg, "v1 status without id_str");
    free(t.in);
    t.in = q("{'text':'no id at all'}");
    CHECK_INT_EQ(t_run(&t, strlen(t.in), ROOST_FMT_X1), ROOST_EPARSE);
    CHECK_STR_EQ(t.diag.msg, "v1 status without id_str");
    CHECK_INT_EQ(norm(&t, "{'statuses':[{'id_str':'1'},7]}"), ROOST_EPARSE);
    CHECK_INT_EQ(t.n.n_posts, 0); /* rolled back */
    /* Wrong types everywhere: no crash, a post with what was usable. */
    CHECK_INT_EQ(norm(&t, "{'id_str':'1','text':5,'user':[],'entities':"
                          "{'hashtags':[1,{'text':2},{'indices':'x'}],"
                          "'urls':{}},'place':{'bounding_box':{"
                          "'coordinates':[[[1],'a',[2,3]]]}},"
                          "'coordinates':{'coordinates':['a','b']},"
                          "'created_at':'garbage','retweet_count':'x',"
                          "'source':'<a href=x'}"),
                 0);
    CHECK_INT_EQ(t.n.posts[0].created_at_ms, 0);
    CHECK(t.n.posts[0].has_geo && !t.n.posts[0].geo.has_point);
    CHECK(t.n.posts[0].geo.has_bbox);
    CHECK_INT_EQ(t.n.posts[0].retweets, ROOST_UNKNOWN_COUNT);
    t_fini(&t);
}

/* ---- Activity Streams
 * ---------------------------------------------------------- */

static void test_activity_streams(void)
{
    struct t t;
    t_init(&t);
    CHECK_INT_EQ(
        norm(&t, "{'id':'tag:search.twitter.com,2005:867478524235366400',"
                 "'objectType':'activity','verb':'share',"
                 "'postedTime':'2017-05-24T20:32:51.000Z',"
                 "'body':'RT @b: hi &amp; #bye','twitter_lang':'en',"
                 "'retweetCount':1,'favoritesCount':0,"
                 "'generator':{'displayName':'Twitter Web Client'},"
                 "'actor':{'id':'id:twitter.com:815279070241955840',"
                 "'preferredUsername':'a','displayName':'A','followersCount':1,"
                 "'friendsCount':2,'statusesCount':68,'verified':false,"
                 "'postedTime':'2016-12-31T19:30:52.362Z','languages':['en']},"
                 "'twitter_entities':{'hashtags':[{'text':'bye','indices':"
                 "[18,22]}],'user_mentions':[{'screen_name':'b','id_str':'2',"
                 "'indices':[3,5]}],'urls':[],'symbols':[]},"
                 "'gnip':{'matching_rules':[{'tag':null},{'tag':'t1'}]},"
                 "'object':{'id':'tag:search.twitter.com,2005:1','verb':'post',"
                 "'objectType':'activity','body':'hi &amp; #bye',"
                 "'postedTime':'2017-05-24T20:00:00.000Z',"
                 "'actor':{'id':'id:twitter.com:2','preferredUsername':'b'},"
                 "'inReplyTo':{'link':'http://twitter.com/c/statuses/99'},"
                 "'location':{'displayName':'Boulder, CO','name':'Boulder',"
                 "'twitter_place_type':'city','twitter_country_code':'US',"
                 "'country_code':'United States','link':"
                 "'https://api.twitter.com/1.1/geo/id/fd70c22040963ac7.json',"
                 "'geo':{'type':'Polygon','coordinates':[[[-105.3,39.9],"
                 "[-105.3,40.1],[-105.1,40.1],[-105.1,39.9]]]}},"
                 "'geo':{'type':'Point','coordinates':[40.0,-105.2]},"
                 "'twitter_entities':{'hashtags':[{'text':'bye','indices':"
                 "[9,13]}]},'long_object':{'body':'hi &amp; #bye longer',"
                 "'twitter_entities':{'hashtags':[{'text':'bye','indices':"
                 "[9,13]}]}}}}"),
        0);
    CHECK_INT_EQ(t.n.n_posts, 2);
    const struct roost_post *p = &t.n.posts[0];
    CHECK_INT_EQ(p->format, ROOST_FMT_X1);
    CHECK_S(p->id, "867478524235366400");
    CHECK_INT_EQ(p->created_at_ms, 1495657971000LL);
    CHECK_S(p->text, "RT @b: hi & #bye");
    CHECK_S(p->source, "Twitter Web Client");
    CHECK_S(p->author.id, "815279070241955840");
    CHECK_S(p->author.handle, "a");
    CHECK_INT_EQ(p->author.posts, 68);
    CHECK_S(p->url, "https://twitter.com/a/status/867478524235366400");
    CHECK_S(p->hashtags[0].text, "bye");
    CHECK_S(p->mentions[0].expanded, "2");
    CHECK_S(ref(p, ROOST_REF_RETWEET)->id, "1");
    CHECK_S(ref(p, ROOST_REF_RETWEET)->author_handle, "b");
    CHECK_INT_EQ(p->n_rules, 1);
    CHECK_S(p->rules[0], "t1");
    const struct roost_post *o = &t.n.posts[1];
    CHECK(o->referenced);
    CHECK_S(o->id, "1");
    CHECK_S(o->text, "hi & #bye longer"); /* long_object wins */
    CHECK_S(ref(o, ROOST_REF_REPLY)->id, "99");
    CHECK(o->has_geo && o->geo.has_point && o->geo.lat == 40.0);
    CHECK_S(o->geo.place_id, "fd70c22040963ac7");
    CHECK_S(o->geo.country_code, "US");
    CHECK(o->geo.has_bbox && o->geo.bbox[0] == -105.3);
    t_fini(&t);
}

/* ---- data-driven: the shared v1 corpora
 * ------------------------------------------ */

/* The status object that produced post id `pid` (by id_str or id). */
static uint32_t find_status(const struct roost_json_doc *d,
                            struct roost_str pid)
{
    for (uint32_t i = 0; i < d->n_toks; i++) {
        if (d->toks[i].type != ROOST_JSON_OBJECT) {
            continue;
        }
        struct roost_str s = roost_json_text(d, roost_json_get(d, i, "id_str"));
        if (s.ptr == NULL) {
            s = roost_json_text(d, roost_json_get(d, i, "id"));
            if (s.len > pid.len && s.ptr[s.len - pid.len - 1] == ':') {
                s = roost_str_make(s.ptr + s.len - pid.len, pid.len);
            }
        }
        if (roost_str_eq(s, pid) &&
            (roost_json_get(d, i, "text") != ROOST_JSON_NONE ||
             roost_json_get(d, i, "full_text") != ROOST_JSON_NONE ||
             roost_json_get(d, i, "body") != ROOST_JSON_NONE)) {
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
    uint32_t ext = roost_json_get(d, o, "extended_tweet");
    uint32_t lo = roost_json_get(d, o, "long_object");
    if (roost_json_get(d, ext, "full_text") != ROOST_JSON_NONE) {
        ent = roost_json_get(d, ext, "entities");
    } else if (roost_json_get(d, lo, "body") != ROOST_JSON_NONE) {
        ent = roost_json_get(d, lo, "twitter_entities");
    } else if (ent == ROOST_JSON_NONE) {
        ent = roost_json_get(d, o, "twitter_entities");
    }
    same_entities(d, roost_json_get(d, ent, "hashtags"), "text", p->hashtags,
                  p->n_hashtags, "hashtags", p->id);
    same_entities(d, roost_json_get(d, ent, "user_mentions"), "screen_name",
                  p->mentions, p->n_mentions, "mentions", p->id);
    same_entities(d, roost_json_get(d, ent, "urls"), "url", p->urls, p->n_urls,
                  "urls", p->id);
    same_entities(d, roost_json_get(d, ent, "symbols"), "text", p->cashtags,
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
        ty->undetected++; /* user/site-stream messages: see post.c */
        f = ROOST_FMT_X1;
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
             roost_json_get(&t->doc, o, "postedTime") != ROOST_JSON_NONE);
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

/* Only these reasons are documented non-post payloads of the v1 sets. */
static void only_documented_errors(const struct tally *ty)
{
    for (int i = 0; i < 8 && ty->n_reason[i] > 0; i++) {
        CHECK_MSG(strcmp(ty->reasons[i], "v1 user object, not a status") == 0 ||
                      strcmp(ty->reasons[i], "v1 status without id_str") == 0,
                  "undocumented error: %s", ty->reasons[i]);
    }
}

static void test_data_v1_stream_samples(void)
{
    struct tally ty;
    if (!corpus("twitter-v1-stream-samples", &ty)) {
        CHECK_SKIP("twitter-v1-stream-samples not found");
    }
    CHECK(ty.posts > 200);
    CHECK(ty.ctls >= 20);
    only_documented_errors(&ty);
    CHECK(ty.errors <= 2); /* hbc/user.json, one broken payload */
}

static void test_data_v1_search(void)
{
    struct tally ty;
    if (!corpus("twitter-v1-search-sample", &ty)) {
        CHECK_SKIP("twitter-v1-search-sample not found");
    }
    CHECK_INT_EQ(ty.errors, 0);
    CHECK_INT_EQ(ty.records, 5);
    CHECK(ty.posts >= 2 * 100 + 2 + 2 + 20);
}

static void test_data_covid(void)
{
    struct tally ty;
    if (!corpus("tweets-corpus-covid-analysis", &ty)) {
        CHECK_SKIP("tweets-corpus-covid-analysis not found");
    }
    CHECK_INT_EQ(ty.records, 3173 + 307);
    CHECK_INT_EQ(ty.errors, 0);
    CHECK_INT_EQ(ty.ctls, 307);
    CHECK(ty.posts >= 3173);
}

static void test_data_jsonl_tools(void)
{
    struct tally ty;
    if (!corpus("tweets-corpus-twitter-jsonl-tools", &ty)) {
        CHECK_SKIP("tweets-corpus-twitter-jsonl-tools not found");
    }
    CHECK_INT_EQ(ty.errors, 0);
    CHECK(ty.posts >= ty.records);
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
    int n = golden_all("x1_");
    if (n < 0) {
        CHECK_SKIP("tests/data/posts not found (set ROOST_TOP)");
    }
    CHECK(n >= 3);
}

/* roost_norm.want: what is wanted equals a full normalization, what is
 * not may stay empty; ids, handles and refs are always there, and a
 * payload without entities still gets them extracted from its text. */
static void test_want_projection(void)
{
    static const char *const recs[] = {
        RT_OF_QUOTE,
        "{'id_str':'5','text':'hi #Tag @bob','retweet_count':3,"
        "'user':{'id_str':'9','screen_name':'u','name':'U'}}",
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
    /* The second record has no entities: they come from its text. */
    CHECK_INT_EQ(full.n.n_posts, 1);
    CHECK_INT_EQ(full.n.posts[0].n_hashtags, 1);
    CHECK(full.n.posts[0].retweets == 3);
    t_fini(&full);
    t_fini(&part);
}

CHECK_LIST(test_status_fields, test_status_json, test_json_escapes_and_nulls,
           test_extended_tweet_preferred, test_retweet_of_quote,
           test_search_envelope, test_big_ids_exact, test_control_delete,
           test_control_kinds, test_not_a_status, test_activity_streams,
           test_data_v1_stream_samples, test_data_v1_search, test_data_covid,
           test_data_jsonl_tools, test_golden, test_want_projection);
