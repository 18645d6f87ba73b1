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
 *
 * A status is read with one pass over its members (roost_json_fields and
 * the keysets below) rather than a lookup per key: a tweet and its user
 * are asked for some 45 keys. Small or rare objects (coordinates, rules,
 * control messages, Activity Streams) still use roost_json_get().
 */
#include <stdio.h>
#include <string.h>

#include "parse/entities.h"
#include "parse/json_fields.h"
#include "parse/post_int.h"

#define X1_MAX_DEPTH 8 /* nesting of retweeted/quoted statuses we follow */

struct x1 {
    struct roost_norm *n;
    const struct roost_json_doc *d;
    struct roost_diag *diag;
    uint32_t first_post; /* posts before this index belong to other records */
    int rc;              /* first allocation failure, sticky */
};

/* ---- keysets --------------------------------------------------------------
 */

/* A status, and the keys that tell what a record is. The stream control
 * messages come first, in the order control() tries them. */
enum status_key {
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
    K_COUNT, /* the control messages end here */
    S_VERB = K_COUNT,
    S_ACTOR,
    S_STATUSES,
    S_ID_STR,
    S_ID,
    S_CREATED_AT,
    S_LANG,
    S_TRUNCATED,
    S_POSSIBLY_SENSITIVE,
    S_SOURCE,
    S_RETWEET_COUNT,
    S_FAVORITE_COUNT,
    S_REPLY_COUNT,
    S_QUOTE_COUNT,
    S_USER,
    S_EXTENDED_TWEET,
    S_FULL_TEXT,
    S_TEXT,
    S_ENTITIES,
    S_EXTENDED_ENTITIES,
    S_IN_REPLY_TO_STATUS_ID_STR,
    S_IN_REPLY_TO_STATUS_ID,
    S_IN_REPLY_TO_USER_ID_STR,
    S_IN_REPLY_TO_USER_ID,
    S_IN_REPLY_TO_SCREEN_NAME,
    S_RETWEETED_STATUS,
    S_QUOTED_STATUS,
    S_QUOTED_STATUS_ID_STR,
    S_QUOTED_STATUS_ID,
    S_COORDINATES,
    S_GEO,
    S_PLACE,
    S_MATCHING_RULES,
    S_COUNT,
};

static const char *const status_keys[S_COUNT] = {
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
    [S_VERB] = "verb",
    [S_ACTOR] = "actor",
    [S_STATUSES] = "statuses",
    [S_ID_STR] = "id_str",
    [S_ID] = "id",
    [S_CREATED_AT] = "created_at",
    [S_LANG] = "lang",
    [S_TRUNCATED] = "truncated",
    [S_POSSIBLY_SENSITIVE] = "possibly_sensitive",
    [S_SOURCE] = "source",
    [S_RETWEET_COUNT] = "retweet_count",
    [S_FAVORITE_COUNT] = "favorite_count",
    [S_REPLY_COUNT] = "reply_count",
    [S_QUOTE_COUNT] = "quote_count",
    [S_USER] = "user",
    [S_EXTENDED_TWEET] = "extended_tweet",
    [S_FULL_TEXT] = "full_text",
    [S_TEXT] = "text",
    [S_ENTITIES] = "entities",
    [S_EXTENDED_ENTITIES] = "extended_entities",
    [S_IN_REPLY_TO_STATUS_ID_STR] = "in_reply_to_status_id_str",
    [S_IN_REPLY_TO_STATUS_ID] = "in_reply_to_status_id",
    [S_IN_REPLY_TO_USER_ID_STR] = "in_reply_to_user_id_str",
    [S_IN_REPLY_TO_USER_ID] = "in_reply_to_user_id",
    [S_IN_REPLY_TO_SCREEN_NAME] = "in_reply_to_screen_name",
    [S_RETWEETED_STATUS] = "retweeted_status",
    [S_QUOTED_STATUS] = "quoted_status",
    [S_QUOTED_STATUS_ID_STR] = "quoted_status_id_str",
    [S_QUOTED_STATUS_ID] = "quoted_status_id",
    [S_COORDINATES] = "coordinates",
    [S_GEO] = "geo",
    [S_PLACE] = "place",
    [S_MATCHING_RULES] = "matching_rules",
};
static struct roost_json_keyset status_ks = ROOST_JSON_KEYSET(status_keys);

enum user_key {
    U_ID_STR,
    U_ID,
    U_SCREEN_NAME,
    U_NAME,
    U_DESCRIPTION,
    U_LOCATION,
    U_LANG,
    U_PROFILE_IMAGE_URL_HTTPS,
    U_PROFILE_IMAGE_URL,
    U_FOLLOWERS_COUNT,
    U_FRIENDS_COUNT,
    U_STATUSES_COUNT,
    U_CREATED_AT,
    U_VERIFIED,
    U_COUNT,
};

static const char *const user_keys[U_COUNT] = {
    [U_ID_STR] = "id_str",
    [U_ID] = "id",
    [U_SCREEN_NAME] = "screen_name",
    [U_NAME] = "name",
    [U_DESCRIPTION] = "description",
    [U_LOCATION] = "location",
    [U_LANG] = "lang",
    [U_PROFILE_IMAGE_URL_HTTPS] = "profile_image_url_https",
    [U_PROFILE_IMAGE_URL] = "profile_image_url",
    [U_FOLLOWERS_COUNT] = "followers_count",
    [U_FRIENDS_COUNT] = "friends_count",
    [U_STATUSES_COUNT] = "statuses_count",
    [U_CREATED_AT] = "created_at",
    [U_VERIFIED] = "verified",
};
static struct roost_json_keyset user_ks = ROOST_JSON_KEYSET(user_keys);

/* The user keys read without ROOST_WANT_PROFILE: the first slots of
 * user_keys, so the same enum indexes both. A user object has ~40 members;
 * with three keys most are dismissed on their length alone. */
static const char *const user_id_keys[U_SCREEN_NAME + 1] = {
    [U_ID_STR] = "id_str",
    [U_ID] = "id",
    [U_SCREEN_NAME] = "screen_name",
};
static struct roost_json_keyset user_id_ks = ROOST_JSON_KEYSET(user_id_keys);

/* extended_tweet */
enum ext_key { X_FULL_TEXT, X_ENTITIES, X_EXTENDED_ENTITIES, X_COUNT };

static const char *const ext_keys[X_COUNT] = {
    [X_FULL_TEXT] = "full_text",
    [X_ENTITIES] = "entities",
    [X_EXTENDED_ENTITIES] = "extended_entities",
};
static struct roost_json_keyset ext_ks = ROOST_JSON_KEYSET(ext_keys);

/* entities and extended_entities */
enum ents_key {
    N_HASHTAGS,
    N_USER_MENTIONS,
    N_URLS,
    N_SYMBOLS,
    N_MEDIA,
    N_COUNT,
};

static const char *const ents_keys[N_COUNT] = {
    [N_HASHTAGS] = "hashtags", [N_USER_MENTIONS] = "user_mentions",
    [N_URLS] = "urls",         [N_SYMBOLS] = "symbols",
    [N_MEDIA] = "media",
};
static struct roost_json_keyset ents_ks = ROOST_JSON_KEYSET(ents_keys);

/* One hashtag, mention, URL or symbol: every kind's keys. */
enum ent_key {
    E_TEXT,
    E_SCREEN_NAME,
    E_URL,
    E_EXPANDED_URL,
    E_ID_STR,
    E_ID,
    E_INDICES,
    E_COUNT,
    E_NONE = E_COUNT, /* no such member wanted */
};

static const char *const ent_keys[E_COUNT] = {
    [E_TEXT] = "text",       [E_SCREEN_NAME] = "screen_name",
    [E_URL] = "url",         [E_EXPANDED_URL] = "expanded_url",
    [E_ID_STR] = "id_str",   [E_ID] = "id",
    [E_INDICES] = "indices",
};
static struct roost_json_keyset ent_ks = ROOST_JSON_KEYSET(ent_keys);

enum media_key {
    M_ID_STR,
    M_ID,
    M_TYPE,
    M_MEDIA_URL_HTTPS,
    M_MEDIA_URL,
    M_EXT_ALT_TEXT,
    M_COUNT,
};

static const char *const media_keys[M_COUNT] = {
    [M_ID_STR] = "id_str",       [M_ID] = "id",
    [M_TYPE] = "type",           [M_MEDIA_URL_HTTPS] = "media_url_https",
    [M_MEDIA_URL] = "media_url", [M_EXT_ALT_TEXT] = "ext_alt_text",
};
static struct roost_json_keyset media_ks = ROOST_JSON_KEYSET(media_keys);

enum place_key {
    P_ID,
    P_NAME,
    P_FULL_NAME,
    P_PLACE_TYPE,
    P_COUNTRY,
    P_COUNTRY_CODE,
    P_BOUNDING_BOX,
    P_COUNT,
};

static const char *const place_keys[P_COUNT] = {
    [P_ID] = "id",
    [P_NAME] = "name",
    [P_FULL_NAME] = "full_name",
    [P_PLACE_TYPE] = "place_type",
    [P_COUNTRY] = "country",
    [P_COUNTRY_CODE] = "country_code",
    [P_BOUNDING_BOX] = "bounding_box",
};
static struct roost_json_keyset place_ks = ROOST_JSON_KEYSET(place_keys);

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

/* Ids: the string token t_str, else the verbatim text of the integer
 * token t_num (either may be ROOST_JSON_NONE). */
static struct roost_str id_of(struct x1 *x, uint32_t t_str, uint32_t t_num)
{
    struct roost_str s = roost_json_str(x->d, t_str);
    if (s.len == 0 && roost_json_is(x->d, t_num, ROOST_JSON_NUMBER) &&
        !x->d->toks[t_num].is_float) {
        s = roost_json_text(x->d, t_num);
    }
    return s.len > 0 ? keep(x, s) : ROOST_STR_NULL;
}

/* Ids: the string member, else the number's verbatim text. */
static struct roost_str id(struct x1 *x, uint32_t o, const char *k_str,
                           const char *k_num)
{
    uint32_t t_str = get(x, o, k_str);
    return id_of(x, t_str,
                 roost_json_str(x->d, t_str).len == 0 && k_num != NULL
                     ? get(x, o, k_num)
                     : ROOST_JSON_NONE);
}

/* An integer token's value, or ROOST_UNKNOWN_COUNT (as roost__norm_count). */
static int64_t count_at(const struct x1 *x, uint32_t t)
{
    int64_t v;
    return t != ROOST_JSON_NONE && roost_json_i64(x->d, t, &v)
               ? v
               : ROOST_UNKNOWN_COUNT;
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

/* indices: [start, end] into the text as delivered (array token ix). */
static void indices(const struct x1 *x, uint32_t ix, struct roost_entity *e)
{
    int64_t s, t;
    e->start = e->end = ROOST_NO_INDEX;
    if (roost_json_i64(x->d, roost_json_at(x->d, ix, 0), &s) &&
        roost_json_i64(x->d, roost_json_at(x->d, ix, 1), &t) && s >= 0 &&
        t >= s && t < (int64_t)ROOST_NO_INDEX) {
        e->start = (uint32_t)s;
        e->end = (uint32_t)t;
    }
}

/* Append the items of array `arr`: text from member slot `k_text`,
 * expanded from `k_exp` (E_NONE: none; mentions: the user id). */
static void entity_list(struct x1 *x, uint32_t idx, uint32_t arr, int kind,
                        enum ent_key k_text, enum ent_key k_exp)
{
    if (!is_arr(x, arr)) {
        return;
    }
    for (uint32_t i = arr + 1; i < x->d->toks[arr].next && x->rc == 0;
         i = roost_json_next_sibling(x->d, i)) {
        uint32_t f[E_COUNT];
        if (!roost_json_fields(x->d, i, &ent_ks, f)) {
            continue;
        }
        struct roost_str text = str_at(x, f[k_text]);
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
            e->expanded = id_of(x, f[k_exp], f[E_ID]);
        } else if (k_exp != E_NONE) {
            e->expanded = str_at(x, f[k_exp]);
        }
        indices(x, f[E_INDICES], e);
    }
}

static void media_list(struct x1 *x, uint32_t idx, uint32_t arr)
{
    if (!is_arr(x, arr)) {
        return;
    }
    for (uint32_t i = arr + 1; i < x->d->toks[arr].next && x->rc == 0;
         i = roost_json_next_sibling(x->d, i)) {
        uint32_t f[M_COUNT];
        if (!roost_json_fields(x->d, i, &media_ks, f)) {
            continue;
        }
        struct roost_post *p = post_at(x, idx);
        struct roost_media *m =
            roost__norm_push(x->n, (void **)&p->media, &p->n_media, sizeof(*m));
        if (m == NULL) {
            x->rc = ROOST_ERR(ROOST_ENOMEM);
            return;
        }
        m->id = id_of(x, f[M_ID_STR], f[M_ID]);
        m->type = str_at(x, f[M_TYPE]);
        m->url = str_at(x, f[M_MEDIA_URL_HTTPS]);
        if (m->url.ptr == NULL) {
            m->url = str_at(x, f[M_MEDIA_URL]);
        }
        m->alt = str_at(x, f[M_EXT_ALT_TEXT]);
    }
}

/* entities and extended_entities (the latter wins for media: it lists
 * every photo of a multi-photo post, entities.media only the first). */
static void entities(struct x1 *x, uint32_t idx, uint32_t ent, uint32_t ext)
{
    uint32_t f[N_COUNT], fx[N_COUNT];
    if (roost_json_fields(x->d, ent, &ents_ks, f)) {
        entity_list(x, idx, f[N_HASHTAGS], ROOST_ENT_HASHTAG, E_TEXT, E_NONE);
        entity_list(x, idx, f[N_USER_MENTIONS], ROOST_ENT_MENTION,
                    E_SCREEN_NAME, E_ID_STR);
        entity_list(x, idx, f[N_URLS], ROOST_ENT_URL, E_URL, E_EXPANDED_URL);
        entity_list(x, idx, f[N_SYMBOLS], ROOST_ENT_CASHTAG, E_TEXT, E_NONE);
    }
    roost_json_fields(x->d, ext, &ents_ks, fx);
    media_list(x, idx, is_arr(x, fx[N_MEDIA]) ? fx[N_MEDIA] : f[N_MEDIA]);
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

/* f: the status's fields (status_ks). */
static void geo_v1(struct x1 *x, uint32_t idx, const uint32_t *f)
{
    struct roost_geo g;
    memset(&g, 0, sizeof(g));
    /* coordinates is GeoJSON [lon, lat]; the older geo is [lat, lon]. */
    uint32_t c = get(x, f[S_COORDINATES], "coordinates");
    if (point(x, c, &g.lon, &g.lat)) {
        g.has_point = true;
    } else if (point(x, get(x, f[S_GEO], "coordinates"), &g.lat, &g.lon)) {
        g.has_point = true;
    }
    uint32_t pf[P_COUNT];
    bool has_place = roost_json_fields(x->d, f[S_PLACE], &place_ks, pf);
    if (has_place) {
        g.place_id = str_at(x, pf[P_ID]);
        g.place_name = str_at(x, pf[P_NAME]);
        g.place_full_name = str_at(x, pf[P_FULL_NAME]);
        g.place_type = str_at(x, pf[P_PLACE_TYPE]);
        g.country = str_at(x, pf[P_COUNTRY]);
        g.country_code = str_at(x, pf[P_COUNTRY_CODE]);
        g.has_bbox = bbox(x, get(x, pf[P_BOUNDING_BOX], "coordinates"), g.bbox);
    }
    if (g.has_point || has_place) {
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

/* fu: the user's fields (user_ks). */
static void author_v1(struct x1 *x, struct roost_author *a, const uint32_t *fu)
{
    a->id = id_of(x, fu[U_ID_STR], fu[U_ID]);
    a->handle = str_at(x, fu[U_SCREEN_NAME]);
    if (!(x->n->want & ROOST_WANT_PROFILE)) {
        return;
    }
    a->name = str_at(x, fu[U_NAME]);
    a->description = unescape(x, str_at(x, fu[U_DESCRIPTION]));
    a->location = unescape(x, str_at(x, fu[U_LOCATION]));
    a->lang = str_at(x, fu[U_LANG]);
    a->profile_image_url = str_at(x, fu[U_PROFILE_IMAGE_URL_HTTPS]);
    if (a->profile_image_url.ptr == NULL) {
        a->profile_image_url = str_at(x, fu[U_PROFILE_IMAGE_URL]);
    }
    a->followers = count_at(x, fu[U_FOLLOWERS_COUNT]);
    a->following = count_at(x, fu[U_FRIENDS_COUNT]);
    a->posts = count_at(x, fu[U_STATUSES_COUNT]);
    a->created_at_ms = roost__norm_time(x->d, fu[U_CREATED_AT]);
    a->verified = roost_json_bool(x->d, fu[U_VERIFIED]);
}

/*
 * A status and its user, read once. A referenced status is read by the
 * status that references it (for the ref's ids) and handed on to nested():
 * no object is walked twice.
 */
struct status_fields {
    uint32_t s[S_COUNT]; /* the status (status_ks) */
    uint32_t u[U_COUNT]; /* its user (user_ks) */
};

/* read_user - fill fu (U_COUNT slots) from user object o: every key, or
 * only the ids and handle when the caller wants no profile. */
static void read_user(const struct x1 *x, uint32_t o, uint32_t *fu)
{
    if (x->n->want & ROOST_WANT_PROFILE) {
        roost_json_fields(x->d, o, &user_ks, fu);
        return;
    }
    roost_json_fields(x->d, o, &user_id_ks, fu);
    for (uint32_t i = U_SCREEN_NAME + 1; i < U_COUNT; i++) {
        fu[i] = ROOST_JSON_NONE;
    }
}

/* read_status - fill sf from status object o; false if o is no object. */
static bool read_status(const struct x1 *x, uint32_t o,
                        struct status_fields *sf)
{
    bool is = roost_json_fields(x->d, o, &status_ks, sf->s);
    read_user(x, sf->s[S_USER], sf->u);
    return is;
}

static int status(struct x1 *x, const struct status_fields *sf, bool referenced,
                  int depth);

/* Emit a referenced status (retweeted or quoted; object o, read into sf)
 * after the current one. */
static int nested(struct x1 *x, uint32_t o, const struct status_fields *sf,
                  int depth)
{
    if (!is_obj(x, o) || depth >= X1_MAX_DEPTH) {
        return 0;
    }
    struct roost_str sid = roost_json_str(x->d, sf->s[S_ID_STR]);
    if (sid.len > 0 && emitted(x, sid)) {
        return 0;
    }
    return status(x, sf, true, depth + 1);
}

static int status(struct x1 *x, const struct status_fields *sf, bool referenced,
                  int depth)
{
    const uint32_t *f = sf->s;
    struct roost_str pid = id_of(x, f[S_ID_STR], f[S_ID]);
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
    const unsigned want = x->n->want;
    if (want & ROOST_WANT_DETAIL) {
        p->created_at_ms = roost__norm_time(x->d, f[S_CREATED_AT]);
        p->lang = str_at(x, f[S_LANG]);
        p->truncated = roost_json_bool(x->d, f[S_TRUNCATED]);
        p->sensitive = roost_json_bool(x->d, f[S_POSSIBLY_SENSITIVE]);
        p->source = unescape(x, strip_anchor(str_at(x, f[S_SOURCE])));
        p->retweets = count_at(x, f[S_RETWEET_COUNT]);
        p->likes = count_at(x, f[S_FAVORITE_COUNT]);
        p->replies = count_at(x, f[S_REPLY_COUNT]);
        p->quotes = count_at(x, f[S_QUOTE_COUNT]);
    }
    if (is_obj(x, f[S_USER])) {
        author_v1(x, &p->author, sf->u);
    }
    if (want & ROOST_WANT_DETAIL) {
        p->url = permalink(x, p->author.handle, p->id);
    }

    /* Text and its entities come from the same object. */
    uint32_t fx[X_COUNT];
    bool ext = roost_json_fields(x->d, f[S_EXTENDED_TWEET], &ext_ks, fx) &&
               fx[X_FULL_TEXT] != ROOST_JSON_NONE;
    uint32_t t = ext ? fx[X_FULL_TEXT] : f[S_FULL_TEXT];
    if (!ext && !roost_json_is(x->d, t, ROOST_JSON_STRING)) {
        t = f[S_TEXT];
    }
    uint32_t ents = ext ? fx[X_ENTITIES] : f[S_ENTITIES];
    if (want & ROOST_WANT_ENTITIES) {
        entities(x, idx, ents,
                 ext ? fx[X_EXTENDED_ENTITIES] : f[S_EXTENDED_ENTITIES]);
    }
    /* Entities the payload lacks are extracted from the text. */
    if ((want & ROOST_WANT_TEXT) ||
        ((want & ROOST_WANT_ENTITIES) && !is_obj(x, ents))) {
        struct roost_str text = str_at(x, t);
        p = post_at(x, idx);
        p->text = unescape(x, text);
    }
    p = post_at(x, idx);
    p->entities_delivered = is_obj(x, ents);

    add_ref(
        x, idx, ROOST_REF_REPLY,
        id_of(x, f[S_IN_REPLY_TO_STATUS_ID_STR], f[S_IN_REPLY_TO_STATUS_ID]),
        id_of(x, f[S_IN_REPLY_TO_USER_ID_STR], f[S_IN_REPLY_TO_USER_ID]),
        str_at(x, f[S_IN_REPLY_TO_SCREEN_NAME]));

    /* ref: the retweeted status, else the quoted one. */
    struct status_fields ref;
    uint32_t rt = f[S_RETWEETED_STATUS];
    bool is_rt = read_status(x, rt, &ref);
    if (is_rt) {
        add_ref(x, idx, ROOST_REF_RETWEET,
                id_of(x, ref.s[S_ID_STR], ref.s[S_ID]),
                id_of(x, ref.u[U_ID_STR], ref.u[U_ID]),
                str_at(x, ref.u[U_SCREEN_NAME]));
    } else {
        /* A retweet of a quote repeats the quoted status at its top level;
         * the quote belongs to the retweeted status, not to the retweet. */
        read_status(x, f[S_QUOTED_STATUS], &ref);
        struct roost_str qid =
            id_of(x, f[S_QUOTED_STATUS_ID_STR], f[S_QUOTED_STATUS_ID]);
        if (qid.len == 0) {
            qid = id_of(x, ref.s[S_ID_STR], ref.s[S_ID]);
        }
        add_ref(x, idx, ROOST_REF_QUOTE, qid,
                id_of(x, ref.u[U_ID_STR], ref.u[U_ID]),
                str_at(x, ref.u[U_SCREEN_NAME]));
    }
    if (want & ROOST_WANT_DETAIL) {
        geo_v1(x, idx, f);
        rules(x, idx, f[S_MATCHING_RULES]);
    }
    if (x->rc < 0) {
        return x->rc;
    }

    int rc = nested(x, is_rt ? rt : f[S_QUOTED_STATUS], &ref, depth);
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

/* f: the record's fields (status_ks); v = f[k]. */
static void ctl_member(struct x1 *x, const uint32_t *f, enum status_key k,
                       uint32_t v)
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
        c->code = roost_str_cstr(status_keys[k]);
        if (k == K_DIRECT_MESSAGE) {
            c->post_id = id(x, v, "id_str", "id");
            c->user_id = id(x, v, "sender_id_str", "sender_id");
        } else if (k == K_EVENT) {
            c->reason = str_at(x, v); /* follow, favorite, user_delete... */
            c->user_id = id(x, f[S_SOURCE], "id_str", "id");
        } else if (k == K_CONTROL) {
            c->reason = str(x, v, "control_uri");
        } else if (k == K_FOR_USER) {
            c->user_id = keep(x, roost_json_text(x->d, v));
        }
        c->ts_ms = roost__norm_time(x->d, f[S_CREATED_AT]);
        return;
    }
    if (c != NULL) {
        c->ts_ms = ms_member(x, v, "timestamp_ms");
    }
}

/* Returns 1 when the record (fields f) was a control message (appended),
 * 0 when it is not. */
static int control(struct x1 *x, const uint32_t *f)
{
    for (int k = 0; k < K_COUNT; k++) {
        if (f[k] != ROOST_JSON_NONE) {
            ctl_member(x, f, (enum status_key)k, f[k]);
            return x->rc < 0 ? x->rc : 1;
        }
    }
    return 0;
}

/* ---- entry ----------------------------------------------------------------
 */

static int record(struct x1 *x, uint32_t o)
{
    struct status_fields sf;
    const uint32_t *f = sf.s;
    if (!roost_json_fields(x->d, o, &status_ks, sf.s)) {
        return roost_diag_set(x->diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "v1 record is not an object");
    }
    if (f[S_VERB] != ROOST_JSON_NONE && f[S_ACTOR] != ROOST_JSON_NONE) {
        return activity(x, o, false, 0);
    }
    uint32_t st = f[S_STATUSES];
    if (is_arr(x, st)) {
        for (uint32_t i = st + 1; i < x->d->toks[st].next;
             i = roost_json_next_sibling(x->d, i)) {
            struct status_fields si;
            int rc = read_status(x, i, &si)
                         ? status(x, &si, false, 0)
                         : roost_diag_set(x->diag, ROOST_ERR(ROOST_EPARSE), 0,
                                          "v1 search status is not "
                                          "an object");
            if (rc < 0) {
                return rc;
            }
        }
        return 0;
    }
    int rc = control(x, f);
    if (rc != 0) {
        return rc < 0 ? rc : 0;
    }
    if (f[S_ID_STR] != ROOST_JSON_NONE || f[S_TEXT] != ROOST_JSON_NONE ||
        f[S_FULL_TEXT] != ROOST_JSON_NONE) {
        read_user(x, f[S_USER], sf.u);
        return status(x, &sf, false, 0);
    }
    if (is_obj(x, f[S_USER])) {
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
