/* SPDX-License-Identifier: MIT
 *
 * fmt_x1.c - Twitter/X API v1.1 statuses, stream control messages, and
 * Gnip Activity Streams, into the post model.
 *
 * One record is one of:
 *   - a status (stream, REST, "original format" PowerTrack): one post, then
 *     its retweeted_status and quoted_status as their own posts with
 *     `referenced` set, recursively (a retweet of a quote gives 3 posts, the
 *     referencing post first; a post already emitted by this record is not
 *     emitted twice);
 *   - a search envelope {"statuses": [...]}: every status as above;
 *   - a stream control message (delete, scrub_geo, limit, disconnect,
 *     warning, status_withheld, user_withheld): one struct roost_ctl; the
 *     user/site-stream messages (friends, direct_message, event, control,
 *     for_user envelopes) give ROOST_CTL_OTHER with code = their key;
 *   - a Gnip Activity Streams activity ("verb": post|share, "actor",
 *     "body"): mapped to the same model, platform x, format v1.
 * Anything else is ROOST_EPARSE with a diag naming what was missing.
 *
 * Ids come from id_str; only payloads older than id_str (2009) fall back
 * to the number's source text, which the tape keeps verbatim (never a
 * double). Text prefers extended_tweet.full_text, then full_text, then
 * text, with HTML entities decoded; entity indices stay as delivered
 * (code points into the escaped text). Start at roost__fmt_x1().
 */
#include <stdio.h>
#include <string.h>

#include "parse/entities.h"
#include "parse/post_int.h"

#define X1_MAX_DEPTH 8 /* nesting of retweeted/quoted statuses we follow */

struct x1 {
    struct roost_norm *n;
    const struct roost_json_doc *d;
    struct roost_diag *diag;
    uint32_t first_post; /* posts before this index belong to other records */
    int rc;              /* first allocation failure, sticky */
};

/* ---- small helpers ------------------------------------------------------ */

static uint32_t get(const struct x1 *x, uint32_t o, const char *k)
{
    return roost_json_get(x->d, o, k);
}

static bool is_obj(const struct x1 *x, uint32_t i)
{
    return roost_json_is(x->d, i, ROOST_JSON_OBJECT);
}

static bool is_arr(const struct x1 *x, uint32_t i)
{
    return roost_json_is(x->d, i, ROOST_JSON_ARRAY);
}

/* A stable copy of token i; records an allocation failure in x->rc. */
static struct roost_str keep(struct x1 *x, struct roost_str s)
{
    struct roost_str k = roost__norm_stable(x->n, s);
    if (s.ptr != NULL && k.ptr == NULL && x->rc == 0) {
        x->rc = ROOST_ERR(ROOST_ENOMEM);
    }
    return k;
}

static struct roost_str str_at(struct x1 *x, uint32_t i)
{
    return keep(x, roost_json_str(x->d, i));
}

static struct roost_str str(struct x1 *x, uint32_t o, const char *k)
{
    return str_at(x, get(x, o, k));
}

/* Ids: the string member, else the number's verbatim text. */
static struct roost_str id(struct x1 *x, uint32_t o, const char *k_str,
                           const char *k_num)
{
    struct roost_str s = roost_json_str(x->d, get(x, o, k_str));
    if (s.len == 0 && k_num != NULL) {
        uint32_t t = get(x, o, k_num);
        if (roost_json_is(x->d, t, ROOST_JSON_NUMBER) &&
            !x->d->toks[t].is_float) {
            s = roost_json_text(x->d, t);
        }
    }
    return s.len > 0 ? keep(x, s) : ROOST_STR_NULL;
}

static struct roost_str dup(struct x1 *x, const char *p, size_t len)
{
    struct roost_str s = roost__norm_dup(x->n, p, len);
    if (s.ptr == NULL && x->rc == 0) {
        x->rc = ROOST_ERR(ROOST_ENOMEM);
    }
    return s;
}

static struct roost_str unescape(struct x1 *x, struct roost_str s)
{
    if (s.ptr == NULL) {
        return s;
    }
    struct roost_str u = roost__html_unescape(x->n, s);
    if (u.ptr == NULL && x->rc == 0) {
        x->rc = ROOST_ERR(ROOST_ENOMEM);
    }
    return u;
}

/* The part after the last `sep`: "tag:search.twitter.com,2005:123" -> 123. */
static struct roost_str tail(struct roost_str s, char sep)
{
    for (size_t i = s.len; i > 0; i--) {
        if (s.ptr[i - 1] == sep) {
            return roost_str_make(s.ptr + i, s.len - i);
        }
    }
    return s;
}

static bool getbool(const struct x1 *x, uint32_t o, const char *k)
{
    return roost_json_bool(x->d, get(x, o, k));
}

static int64_t ms_member(const struct x1 *x, uint32_t o, const char *k)
{
    int64_t v;
    uint32_t t = get(x, o, k);
    return t != ROOST_JSON_NONE && roost_json_i64(x->d, t, &v) ? v : 0;
}

/* "<a href=\"...\" rel=\"nofollow\">Twitter for iPhone</a>" -> the text. */
static struct roost_str strip_anchor(struct roost_str s)
{
    if (s.len == 0 || s.ptr[0] != '<') {
        return s;
    }
    const char *gt = memchr(s.ptr, '>', s.len);
    if (gt == NULL) {
        return s;
    }
    const char *b = gt + 1, *end = s.ptr + s.len;
    const char *lt = memchr(b, '<', (size_t)(end - b));
    return roost_str_make(b, (size_t)((lt != NULL ? lt : end) - b));
}

static struct roost_str permalink(struct x1 *x, struct roost_str handle,
                                  struct roost_str pid)
{
    if (handle.len == 0 || pid.len == 0 || handle.len > 64 || pid.len > 64) {
        return ROOST_STR_NULL;
    }
    char buf[192];
    int k = snprintf(buf, sizeof(buf), "https://twitter.com/%.*s/status/%.*s",
                     (int)handle.len, handle.ptr, (int)pid.len, pid.ptr);
    return dup(x, buf, (size_t)k);
}

static bool emitted(const struct x1 *x, struct roost_str pid)
{
    for (uint32_t i = x->first_post; i < x->n->n_posts; i++) {
        if (roost_str_eq(x->n->posts[i].id, pid)) {
            return true;
        }
    }
    return false;
}

static struct roost_post *post_at(struct x1 *x, uint32_t idx)
{
    return &x->n->posts[idx];
}

/* ---- entities -------------------------------------------------------------
 */

static void indices(const struct x1 *x, uint32_t ent, struct roost_entity *e)
{
    int64_t s, t;
    uint32_t ix = get(x, ent, "indices");
    e->start = e->end = ROOST_NO_INDEX;
    if (roost_json_i64(x->d, roost_json_at(x->d, ix, 0), &s) &&
        roost_json_i64(x->d, roost_json_at(x->d, ix, 1), &t) && s >= 0 &&
        t >= s && t < (int64_t)ROOST_NO_INDEX) {
        e->start = (uint32_t)s;
        e->end = (uint32_t)t;
    }
}

/* Append the items of array `arr`: text from `k_text`, expanded from
 * `k_exp` (or the id of a mention). */
static void entity_list(struct x1 *x, uint32_t idx, uint32_t arr, int kind,
                        const char *k_text, const char *k_exp)
{
    if (!is_arr(x, arr)) {
        return;
    }
    for (uint32_t i = arr + 1; i < x->d->toks[arr].next && x->rc == 0;
         i = roost_json_next_sibling(x->d, i)) {
        if (!is_obj(x, i)) {
            continue;
        }
        struct roost_str text = str(x, i, k_text);
        if (text.ptr == NULL) {
            continue;
        }
        struct roost_post *p = post_at(x, idx);
        struct roost_entity *e = NULL;
        if (kind == ROOST_ENT_HASHTAG) {
            e = roost__norm_push(x->n, (void **)&p->hashtags, &p->n_hashtags,
                                 sizeof(*e));
        } else if (kind == ROOST_ENT_MENTION) {
            e = roost__norm_push(x->n, (void **)&p->mentions, &p->n_mentions,
                                 sizeof(*e));
        } else if (kind == ROOST_ENT_URL) {
            e = roost__norm_push(x->n, (void **)&p->urls, &p->n_urls,
                                 sizeof(*e));
        } else {
            e = roost__norm_push(x->n, (void **)&p->cashtags, &p->n_cashtags,
                                 sizeof(*e));
        }
        if (e == NULL) {
            x->rc = ROOST_ERR(ROOST_ENOMEM);
            return;
        }
        e->text = text;
        if (kind == ROOST_ENT_MENTION) {
            e->expanded = id(x, i, k_exp, "id");
        } else if (k_exp != NULL) {
            e->expanded = str(x, i, k_exp);
        }
        indices(x, i, e);
    }
}

static void media_list(struct x1 *x, uint32_t idx, uint32_t arr)
{
    if (!is_arr(x, arr)) {
        return;
    }
    for (uint32_t i = arr + 1; i < x->d->toks[arr].next && x->rc == 0;
         i = roost_json_next_sibling(x->d, i)) {
        if (!is_obj(x, i)) {
            continue;
        }
        struct roost_post *p = post_at(x, idx);
        struct roost_media *m =
            roost__norm_push(x->n, (void **)&p->media, &p->n_media, sizeof(*m));
        if (m == NULL) {
            x->rc = ROOST_ERR(ROOST_ENOMEM);
            return;
        }
        m->id = id(x, i, "id_str", "id");
        m->type = str(x, i, "type");
        m->url = str(x, i, "media_url_https");
        if (m->url.ptr == NULL) {
            m->url = str(x, i, "media_url");
        }
        m->alt = str(x, i, "ext_alt_text");
    }
}

/* entities and extended_entities (the latter wins for media: it lists
 * every photo of a multi-photo post, entities.media only the first). */
static void entities(struct x1 *x, uint32_t idx, uint32_t ent, uint32_t ext)
{
    if (is_obj(x, ent)) {
        entity_list(x, idx, get(x, ent, "hashtags"), ROOST_ENT_HASHTAG, "text",
                    NULL);
        entity_list(x, idx, get(x, ent, "user_mentions"), ROOST_ENT_MENTION,
                    "screen_name", "id_str");
        entity_list(x, idx, get(x, ent, "urls"), ROOST_ENT_URL, "url",
                    "expanded_url");
        entity_list(x, idx, get(x, ent, "symbols"), ROOST_ENT_CASHTAG, "text",
                    NULL);
    }
    uint32_t media = get(x, ext, "media");
    media_list(x, idx, is_arr(x, media) ? media : get(x, ent, "media"));
}

/* ---- geo ------------------------------------------------------------------
 */

static bool point(const struct x1 *x, uint32_t arr, double *a, double *b)
{
    return is_arr(x, arr) &&
           roost_json_f64(x->d, roost_json_at(x->d, arr, 0), a) &&
           roost_json_f64(x->d, roost_json_at(x->d, arr, 1), b);
}

/* A GeoJSON polygon's first ring of [lon, lat] -> west, south, east, north. */
static bool bbox(const struct x1 *x, uint32_t coords, double out[4])
{
    uint32_t ring = roost_json_at(x->d, coords, 0);
    if (!is_arr(x, ring)) {
        return false;
    }
    bool any = false;
    for (uint32_t i = ring + 1; i < x->d->toks[ring].next;
         i = roost_json_next_sibling(x->d, i)) {
        double lon, lat;
        if (!point(x, i, &lon, &lat)) {
            continue;
        }
        if (!any) {
            out[0] = out[2] = lon;
            out[1] = out[3] = lat;
            any = true;
        }
        out[0] = lon < out[0] ? lon : out[0];
        out[2] = lon > out[2] ? lon : out[2];
        out[1] = lat < out[1] ? lat : out[1];
        out[3] = lat > out[3] ? lat : out[3];
    }
    return any;
}

static void geo_v1(struct x1 *x, uint32_t idx, uint32_t o)
{
    struct roost_geo g;
    memset(&g, 0, sizeof(g));
    /* coordinates is GeoJSON [lon, lat]; the older geo is [lat, lon]. */
    uint32_t c = get(x, get(x, o, "coordinates"), "coordinates");
    if (point(x, c, &g.lon, &g.lat)) {
        g.has_point = true;
    } else if (point(x, get(x, get(x, o, "geo"), "coordinates"), &g.lat,
                     &g.lon)) {
        g.has_point = true;
    }
    uint32_t pl = get(x, o, "place");
    if (is_obj(x, pl)) {
        g.place_id = str(x, pl, "id");
        g.place_name = str(x, pl, "name");
        g.place_full_name = str(x, pl, "full_name");
        g.place_type = str(x, pl, "place_type");
        g.country = str(x, pl, "country");
        g.country_code = str(x, pl, "country_code");
        g.has_bbox =
            bbox(x, get(x, get(x, pl, "bounding_box"), "coordinates"), g.bbox);
    }
    if (g.has_point || is_obj(x, pl)) {
        struct roost_post *p = post_at(x, idx);
        p->geo = g;
        p->has_geo = true;
    }
}

/* matching_rules: [{"tag": ..., "id": ...}]; the tag, else the id. */
static void rules(struct x1 *x, uint32_t idx, uint32_t arr)
{
    if (!is_arr(x, arr)) {
        return;
    }
    for (uint32_t i = arr + 1; i < x->d->toks[arr].next && x->rc == 0;
         i = roost_json_next_sibling(x->d, i)) {
        struct roost_str r = str(x, i, "tag");
        if (r.len == 0) {
            r = id(x, i, "id_str", "id");
        }
        if (r.len == 0) {
            continue;
        }
        struct roost_post *p = post_at(x, idx);
        struct roost_str *s =
            roost__norm_push(x->n, (void **)&p->rules, &p->n_rules, sizeof(*s));
        if (s == NULL) {
            x->rc = ROOST_ERR(ROOST_ENOMEM);
            return;
        }
        *s = r;
    }
}

static void add_ref(struct x1 *x, uint32_t idx, uint8_t type,
                    struct roost_str rid, struct roost_str author_id,
                    struct roost_str handle)
{
    if (rid.len == 0 || x->rc < 0) {
        return;
    }
    struct roost_post *p = post_at(x, idx);
    struct roost_ref *r =
        roost__norm_push(x->n, (void **)&p->refs, &p->n_refs, sizeof(*r));
    if (r == NULL) {
        x->rc = ROOST_ERR(ROOST_ENOMEM);
        return;
    }
    r->type = type;
    r->id = rid;
    r->author_id = author_id;
    r->author_handle = handle;
}

/* ---- v1.1 statuses --------------------------------------------------------
 */

static void author_v1(struct x1 *x, struct roost_author *a, uint32_t u)
{
    if (!is_obj(x, u)) {
        return;
    }
    a->id = id(x, u, "id_str", "id");
    a->handle = str(x, u, "screen_name");
    a->name = str(x, u, "name");
    a->description = unescape(x, str(x, u, "description"));
    a->location = unescape(x, str(x, u, "location"));
    a->lang = str(x, u, "lang");
    a->profile_image_url = str(x, u, "profile_image_url_https");
    if (a->profile_image_url.ptr == NULL) {
        a->profile_image_url = str(x, u, "profile_image_url");
    }
    a->followers = roost__norm_count(x->d, u, "followers_count");
    a->following = roost__norm_count(x->d, u, "friends_count");
    a->posts = roost__norm_count(x->d, u, "statuses_count");
    a->created_at_ms = roost__norm_time(x->d, get(x, u, "created_at"));
    a->verified = getbool(x, u, "verified");
}

static int status(struct x1 *x, uint32_t o, bool referenced, int depth);

/* Emit a referenced status (retweeted or quoted) after the current one. */
static int nested(struct x1 *x, uint32_t o, int depth)
{
    if (!is_obj(x, o) || depth >= X1_MAX_DEPTH) {
        return 0;
    }
    struct roost_str sid = roost_json_str(x->d, get(x, o, "id_str"));
    if (sid.len > 0 && emitted(x, sid)) {
        return 0;
    }
    return status(x, o, true, depth + 1);
}

static int status(struct x1 *x, uint32_t o, bool referenced, int depth)
{
    struct roost_str pid = id(x, o, "id_str", "id");
    if (pid.len == 0) {
        if (x->rc < 0) {
            return x->rc;
        }
        return roost_diag_set(x->diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "v1 status without id_str");
    }
    if (roost__norm_add_post(x->n) == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    uint32_t idx = x->n->n_posts - 1;
    struct roost_post *p = post_at(x, idx);
    p->format = ROOST_FMT_X1;
    p->platform = ROOST_PLATFORM_X;
    p->referenced = referenced;
    p->id = pid;
    p->created_at_ms = roost__norm_time(x->d, get(x, o, "created_at"));
    p->lang = str(x, o, "lang");
    p->truncated = getbool(x, o, "truncated");
    p->sensitive = getbool(x, o, "possibly_sensitive");
    p->source = unescape(x, strip_anchor(str(x, o, "source")));
    p->retweets = roost__norm_count(x->d, o, "retweet_count");
    p->likes = roost__norm_count(x->d, o, "favorite_count");
    p->replies = roost__norm_count(x->d, o, "reply_count");
    p->quotes = roost__norm_count(x->d, o, "quote_count");
    author_v1(x, &p->author, get(x, o, "user"));
    p->url = permalink(x, p->author.handle, p->id);

    /* Text and its entities come from the same object. */
    uint32_t ext = get(x, o, "extended_tweet");
    struct roost_str text;
    if (is_obj(x, ext) && get(x, ext, "full_text") != ROOST_JSON_NONE) {
        text = str(x, ext, "full_text");
        entities(x, idx, get(x, ext, "entities"),
                 get(x, ext, "extended_entities"));
    } else {
        text = str(x, o, "full_text");
        if (text.ptr == NULL) {
            text = str(x, o, "text");
        }
        entities(x, idx, get(x, o, "entities"), get(x, o, "extended_entities"));
    }
    p = post_at(x, idx);
    p->text = unescape(x, text);
    p->entities_delivered =
        is_obj(x, is_obj(x, ext) && get(x, ext, "full_text") != ROOST_JSON_NONE
                      ? get(x, ext, "entities")
                      : get(x, o, "entities"));

    add_ref(x, idx, ROOST_REF_REPLY,
            id(x, o, "in_reply_to_status_id_str", "in_reply_to_status_id"),
            id(x, o, "in_reply_to_user_id_str", "in_reply_to_user_id"),
            str(x, o, "in_reply_to_screen_name"));

    uint32_t rt = get(x, o, "retweeted_status");
    if (is_obj(x, rt)) {
        uint32_t ru = get(x, rt, "user");
        add_ref(x, idx, ROOST_REF_RETWEET, id(x, rt, "id_str", "id"),
                id(x, ru, "id_str", "id"), str(x, ru, "screen_name"));
    }
    /* A retweet of a quote repeats the quoted status at its top level;
     * the quote belongs to the retweeted status, not to the retweet. */
    uint32_t qt = get(x, o, "quoted_status");
    if (!is_obj(x, rt)) {
        struct roost_str qid =
            id(x, o, "quoted_status_id_str", "quoted_status_id");
        uint32_t qu = get(x, qt, "user");
        if (qid.len == 0) {
            qid = id(x, qt, "id_str", "id");
        }
        add_ref(x, idx, ROOST_REF_QUOTE, qid, id(x, qu, "id_str", "id"),
                str(x, qu, "screen_name"));
    }
    geo_v1(x, idx, o);
    rules(x, idx, get(x, o, "matching_rules"));
    if (x->rc < 0) {
        return x->rc;
    }

    int rc = nested(x, rt, depth);
    if (rc == 0 && !is_obj(x, rt)) {
        rc = nested(x, qt, depth);
    }
    /* Broken nested statuses (no id) do not sink the post that quoted
     * them; only allocation failures do. */
    return rc == ROOST_EPARSE ? 0 : rc;
}

/* ---- Gnip Activity Streams ------------------------------------------------
 */

static void author_as(struct x1 *x, struct roost_author *a, uint32_t u)
{
    if (!is_obj(x, u)) {
        return;
    }
    a->id = tail(str(x, u, "id"), ':');
    a->handle = str(x, u, "preferredUsername");
    a->name = str(x, u, "displayName");
    a->description = unescape(x, str(x, u, "summary"));
    a->location = str(x, get(x, u, "location"), "displayName");
    a->lang = str_at(x, roost_json_at(x->d, get(x, u, "languages"), 0));
    a->profile_image_url = str(x, u, "image");
    a->followers = roost__norm_count(x->d, u, "followersCount");
    a->following = roost__norm_count(x->d, u, "friendsCount");
    a->posts = roost__norm_count(x->d, u, "statusesCount");
    a->created_at_ms = roost__norm_time(x->d, get(x, u, "postedTime"));
    a->verified = getbool(x, u, "verified");
}

static void geo_as(struct x1 *x, uint32_t idx, uint32_t o)
{
    struct roost_geo g;
    memset(&g, 0, sizeof(g));
    /* Activity Streams geo is [lat, lon] like v1.1's geo. */
    g.has_point =
        point(x, get(x, get(x, o, "geo"), "coordinates"), &g.lat, &g.lon);
    uint32_t loc = get(x, o, "location");
    if (is_obj(x, loc)) {
        struct roost_str link = str(x, loc, "link");
        if (link.len > 5 && memcmp(link.ptr + link.len - 5, ".json", 5) == 0) {
            link.len -= 5;
            g.place_id = tail(link, '/');
        }
        g.place_name = str(x, loc, "name");
        g.place_full_name = str(x, loc, "displayName");
        g.place_type = str(x, loc, "twitter_place_type");
        g.country = str(x, loc, "country_code"); /* Gnip: the country name */
        g.country_code = str(x, loc, "twitter_country_code");
        g.has_bbox = bbox(x, get(x, get(x, loc, "geo"), "coordinates"), g.bbox);
    }
    if (g.has_point || is_obj(x, loc)) {
        struct roost_post *p = post_at(x, idx);
        p->geo = g;
        p->has_geo = true;
    }
}

static int activity(struct x1 *x, uint32_t o, bool referenced, int depth)
{
    struct roost_str pid = tail(str(x, o, "id"), ':');
    if (pid.len == 0) {
        if (x->rc < 0) {
            return x->rc;
        }
        return roost_diag_set(x->diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "activity streams activity without id");
    }
    if (roost__norm_add_post(x->n) == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    uint32_t idx = x->n->n_posts - 1;
    struct roost_post *p = post_at(x, idx);
    p->format = ROOST_FMT_X1;
    p->platform = ROOST_PLATFORM_X;
    p->referenced = referenced;
    p->id = pid;
    p->created_at_ms = roost__norm_time(x->d, get(x, o, "postedTime"));
    p->lang = str(x, o, "twitter_lang");
    p->source = str(x, get(x, o, "generator"), "displayName");
    p->retweets = roost__norm_count(x->d, o, "retweetCount");
    p->likes = roost__norm_count(x->d, o, "favoritesCount");
    author_as(x, &p->author, get(x, o, "actor"));
    p->url = permalink(x, p->author.handle, p->id);

    uint32_t lo = get(x, o, "long_object");
    uint32_t src =
        is_obj(x, lo) && get(x, lo, "body") != ROOST_JSON_NONE ? lo : o;
    struct roost_str text = str(x, src, "body");
    entities(x, idx, get(x, src, "twitter_entities"),
             get(x, src, "twitter_extended_entities"));
    p = post_at(x, idx);
    p->text = unescape(x, text);
    p->entities_delivered = is_obj(x, get(x, src, "twitter_entities"));

    struct roost_str reply = str(x, get(x, o, "inReplyTo"), "link");
    if (reply.len > 0) {
        add_ref(x, idx, ROOST_REF_REPLY, tail(reply, '/'), ROOST_STR_NULL,
                ROOST_STR_NULL);
    }
    uint32_t obj = get(x, o, "object");
    struct roost_str verb = roost_json_str(x->d, get(x, o, "verb"));
    bool share = roost_str_eq_cstr(verb, "share") && is_obj(x, obj);
    uint32_t qt = get(x, o, "twitter_quoted_status");
    if (share) {
        uint32_t ru = get(x, obj, "actor");
        add_ref(x, idx, ROOST_REF_RETWEET, tail(str(x, obj, "id"), ':'),
                tail(str(x, ru, "id"), ':'), str(x, ru, "preferredUsername"));
    } else if (is_obj(x, qt)) {
        uint32_t qu = get(x, qt, "actor");
        add_ref(x, idx, ROOST_REF_QUOTE, tail(str(x, qt, "id"), ':'),
                tail(str(x, qu, "id"), ':'), str(x, qu, "preferredUsername"));
    }
    geo_as(x, idx, o);
    rules(x, idx, get(x, get(x, o, "gnip"), "matching_rules"));
    if (x->rc < 0) {
        return x->rc;
    }

    uint32_t next = share ? obj : qt;
    int rc = 0;
    if (is_obj(x, next) && depth < X1_MAX_DEPTH &&
        !emitted(x, tail(roost_json_str(x->d, get(x, next, "id")), ':'))) {
        rc = activity(x, next, true, depth + 1);
    }
    return rc == ROOST_EPARSE ? 0 : rc;
}

/* ---- control messages -----------------------------------------------------
 */

static struct roost_ctl *ctl(struct x1 *x, enum roost_ctl_kind kind)
{
    struct roost_ctl *c = roost__norm_add_ctl(x->n);
    if (c == NULL) {
        x->rc = ROOST_ERR(ROOST_ENOMEM);
        return NULL;
    }
    c->kind = kind;
    c->platform = ROOST_PLATFORM_X;
    return c;
}

/* withheld_in_countries as one "DE,FR" string. */
static struct roost_str countries(struct x1 *x, uint32_t arr)
{
    char buf[512];
    size_t len = 0;
    if (!is_arr(x, arr)) {
        return ROOST_STR_NULL;
    }
    for (uint32_t i = arr + 1; i < x->d->toks[arr].next;
         i = roost_json_next_sibling(x->d, i)) {
        struct roost_str s = roost_json_str(x->d, i);
        if (s.len == 0 || len + s.len + 1 >= sizeof(buf)) {
            continue;
        }
        if (len > 0) {
            buf[len++] = ',';
        }
        memcpy(buf + len, s.ptr, s.len);
        len += s.len;
    }
    return dup(x, buf, len);
}

enum ctl_key {
    K_DELETE,
    K_SCRUB_GEO,
    K_LIMIT,
    K_DISCONNECT,
    K_WARNING,
    K_STATUS_WITHHELD,
    K_USER_WITHHELD,
    /* User and site streams: kept as ROOST_CTL_OTHER, code = the key. */
    K_FRIENDS,
    K_FRIENDS_STR,
    K_DIRECT_MESSAGE,
    K_EVENT,
    K_CONTROL,
    K_FOR_USER,
    K_COUNT,
};

static const char *const ctl_keys[K_COUNT] = {
    [K_DELETE] = "delete",
    [K_SCRUB_GEO] = "scrub_geo",
    [K_LIMIT] = "limit",
    [K_DISCONNECT] = "disconnect",
    [K_WARNING] = "warning",
    [K_STATUS_WITHHELD] = "status_withheld",
    [K_USER_WITHHELD] = "user_withheld",
    [K_FRIENDS] = "friends",
    [K_FRIENDS_STR] = "friends_str",
    [K_DIRECT_MESSAGE] = "direct_message",
    [K_EVENT] = "event",
    [K_CONTROL] = "control",
    [K_FOR_USER] = "for_user",
};

static void ctl_delete(struct x1 *x, uint32_t v)
{
    uint32_t st = get(x, v, "status");
    struct roost_ctl *c;
    if (is_obj(x, st)) {
        c = ctl(x, ROOST_CTL_DELETE);
    } else {
        /* A deleted direct message is no post of ours. */
        st = get(x, v, "direct_message");
        c = ctl(x, ROOST_CTL_OTHER);
        if (c != NULL) {
            c->code = ROOST_STR_LIT("direct_message_delete");
        }
    }
    if (c != NULL) {
        c->post_id = id(x, st, "id_str", "id");
        c->user_id = id(x, st, "user_id_str", "user_id");
        c->ts_ms = ms_member(x, v, "timestamp_ms");
    }
}

static void ctl_member(struct x1 *x, uint32_t o, enum ctl_key k, uint32_t v)
{
    struct roost_ctl *c;
    switch (k) {
    case K_DELETE:
        ctl_delete(x, v);
        return;
    case K_SCRUB_GEO:
        c = ctl(x, ROOST_CTL_SCRUB_GEO);
        if (c != NULL) {
            c->post_id = id(x, v, "up_to_status_id_str", "up_to_status_id");
            c->user_id = id(x, v, "user_id_str", "user_id");
        }
        break;
    case K_LIMIT:
        c = ctl(x, ROOST_CTL_LIMIT);
        if (c != NULL) {
            c->count = roost__norm_count(x->d, v, "track");
        }
        break;
    case K_DISCONNECT:
        c = ctl(x, ROOST_CTL_DISCONNECT);
        if (c != NULL) {
            c->code = keep(x, roost_json_text(x->d, get(x, v, "code")));
            c->reason = str(x, v, "reason");
        }
        break;
    case K_WARNING:
        c = ctl(x, ROOST_CTL_WARNING);
        if (c != NULL) {
            c->code = keep(x, roost_json_text(x->d, get(x, v, "code")));
            c->reason = str(x, v, "message");
            c->user_id = id(x, v, "user_id_str", "user_id");
            c->count = roost__norm_count(x->d, v, "percent_full");
        }
        break;
    case K_STATUS_WITHHELD:
        c = ctl(x, ROOST_CTL_STATUS_WITHHELD);
        if (c != NULL) {
            c->post_id = id(x, v, "id_str", "id");
            c->user_id = id(x, v, "user_id_str", "user_id");
            c->reason = countries(x, get(x, v, "withheld_in_countries"));
        }
        break;
    case K_USER_WITHHELD:
        c = ctl(x, ROOST_CTL_USER_WITHHELD);
        if (c != NULL) {
            c->user_id = id(x, v, "id_str", "id");
            c->reason = countries(x, get(x, v, "withheld_in_countries"));
        }
        break;
    default:
        c = ctl(x, ROOST_CTL_OTHER);
        if (c == NULL) {
            return;
        }
        c->code = roost_str_cstr(ctl_keys[k]);
        if (k == K_DIRECT_MESSAGE) {
            c->post_id = id(x, v, "id_str", "id");
            c->user_id = id(x, v, "sender_id_str", "sender_id");
        } else if (k == K_EVENT) {
            c->reason = str_at(x, v); /* follow, favorite, user_delete... */
            c->user_id = id(x, get(x, o, "source"), "id_str", "id");
        } else if (k == K_CONTROL) {
            c->reason = str(x, v, "control_uri");
        } else if (k == K_FOR_USER) {
            c->user_id = keep(x, roost_json_text(x->d, v));
        }
        c->ts_ms = roost__norm_time(x->d, get(x, o, "created_at"));
        return;
    }
    if (c != NULL) {
        c->ts_ms = ms_member(x, v, "timestamp_ms");
    }
}

/* Returns 1 when o was a control message (appended), 0 when it is not. */
static int control(struct x1 *x, uint32_t o)
{
    for (int k = 0; k < K_COUNT; k++) {
        uint32_t v = get(x, o, ctl_keys[k]);
        if (v != ROOST_JSON_NONE) {
            ctl_member(x, o, (enum ctl_key)k, v);
            return x->rc < 0 ? x->rc : 1;
        }
    }
    return 0;
}

/* ---- entry ----------------------------------------------------------------
 */

static int record(struct x1 *x, uint32_t o)
{
    if (!is_obj(x, o)) {
        return roost_diag_set(x->diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "v1 record is not an object");
    }
    if (get(x, o, "verb") != ROOST_JSON_NONE &&
        get(x, o, "actor") != ROOST_JSON_NONE) {
        return activity(x, o, false, 0);
    }
    uint32_t st = get(x, o, "statuses");
    if (is_arr(x, st)) {
        for (uint32_t i = st + 1; i < x->d->toks[st].next;
             i = roost_json_next_sibling(x->d, i)) {
            int rc = is_obj(x, i)
                         ? status(x, i, false, 0)
                         : roost_diag_set(x->diag, ROOST_ERR(ROOST_EPARSE), 0,
                                          "v1 search status is not "
                                          "an object");
            if (rc < 0) {
                return rc;
            }
        }
        return 0;
    }
    int rc = control(x, o);
    if (rc != 0) {
        return rc < 0 ? rc : 0;
    }
    if (get(x, o, "id_str") != ROOST_JSON_NONE ||
        get(x, o, "text") != ROOST_JSON_NONE ||
        get(x, o, "full_text") != ROOST_JSON_NONE) {
        return status(x, o, false, 0);
    }
    if (is_obj(x, get(x, o, "user"))) {
        return roost_diag_set(x->diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "v1 user object, not a status");
    }
    return roost_diag_set(x->diag, ROOST_ERR(ROOST_EPARSE), 0,
                          "v1 status without id_str");
}

int roost__fmt_x1(struct roost_norm *n, const struct roost_json_doc *d,
                  uint32_t root, struct roost_diag *diag)
{
    struct x1 x = {
        .n = n,
        .d = d,
        .diag = diag,
        .first_post = n->n_posts,
        .rc = 0,
    };
    return record(&x, root);
}
