/* SPDX-License-Identifier: MIT
 *
 * fmt_x2.c - X API v2 responses ({"data", "includes", "matching_rules",
 * "errors", "meta"}) into self-contained posts.
 *
 * v2 splits a post across the response: the tweet names its author, media,
 * place and referenced tweets by id, and `includes` holds the objects.
 * Each tweet in `data` (an object for lookups and the filtered stream, an
 * array for search and timelines) becomes one post with those expansions
 * resolved; then every referenced tweet found in includes.tweets becomes
 * its own post with `referenced` set, resolved the same way (recursively,
 * each id once per record). Top-level matching_rules go to the posts of
 * `data`, as their tag, or their id when the rule has no tag.
 *
 * Decisions (docs/post-model.md):
 *   - `errors` next to tweets describe expansions that failed (suspended or
 *     deleted referenced tweets) and are ignored;
 *   - a record with `errors` and no tweets (a deleted-tweet lookup, a 400
 *     answer) gives one ROOST_CTL_OTHER per error: code = the error title,
 *     reason = its detail, post_id/user_id = its value for tweet/user
 *     resources; stream disconnect errors give ROOST_CTL_DISCONNECT;
 *   - `data: []` (an empty page) appends nothing and is no error;
 *   - `data` without tweets (users, lists, rules, counts) is ROOST_EPARSE.
 * The `__twarc` key twarc adds is ignored. Start at roost__fmt_x2().
 */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "parse/entities.h"
#include "parse/json_fields.h"
#include "parse/post_int.h"

#define X2_MAX_DEPTH 8 /* chain of referenced tweets we follow */

/*
 * find() resolves an expansion by scanning an includes array for the item
 * whose key matches. A page of 100 tweets resolves hundreds of expansions
 * against arrays of up to several hundred items, so each array's keys are
 * read once, on its first find(), into a cache (as long as the array, so
 * bounded by the record; freed with the record's struct x2), and later
 * scans compare string views. Without memory for a cache, find() scans
 * the array as it would without one.
 */
struct find_entry {
    struct roost_str key; /* text of the item's key member */
    uint32_t item;        /* the item's token */
};

struct find_cache {
    bool built;              /* n, rest and ents are set */
    uint32_t n;              /* entries: the first n items of the array */
    uint32_t rest;           /* token of item n (the first not cached) */
    struct find_entry *ents; /* roost_malloc'd, or NULL */
};

enum inc { INC_USERS, INC_TWEETS, INC_MEDIA, INC_PLACES, INC_COUNT };

/* The member that names an includes item: "media_key" for media, else
 * "id". Read with a one-key keyset, as an item is read for that member
 * alone and a lookup would hash-index its object first. */
static const char *const id_keys[] = { "id" };
static struct roost_json_keyset id_ks = ROOST_JSON_KEYSET(id_keys);
static const char *const media_key_keys[] = { "media_key" };
static struct roost_json_keyset media_key_ks =
    ROOST_JSON_KEYSET(media_key_keys);

struct x2 {
    struct roost_norm *n;
    const struct roost_json_doc *d;
    struct roost_diag *diag;
    uint32_t inc[INC_COUNT];   /* includes.users ..., or ROOST_JSON_NONE */
    struct find_cache *caches; /* one per inc[] */
    uint32_t rules;            /* matching_rules */
    uint32_t first_post;
    int rc; /* first allocation failure, sticky */
};

/* ---- keysets -------------------------------------------------------------
 *
 * Tweets, users and entity items are read in one pass each (json_fields.h)
 * rather than key by key, so their objects are never hash-indexed.
 */

enum tweet_key {
    T_ID,
    T_TEXT,
    T_CREATED_AT,
    T_LANG,
    T_SOURCE,
    T_POSSIBLY_SENSITIVE,
    T_CONVERSATION_ID,
    T_PUBLIC_METRICS,
    T_AUTHOR_ID,
    T_IN_REPLY_TO_USER_ID,
    T_NOTE_TWEET,
    T_ENTITIES,
    T_ATTACHMENTS,
    T_GEO,
    T_REFERENCED_TWEETS,
    T_COUNT
};
static const char *const tweet_keys[T_COUNT] = {
    [T_ID] = "id",
    [T_TEXT] = "text",
    [T_CREATED_AT] = "created_at",
    [T_LANG] = "lang",
    [T_SOURCE] = "source",
    [T_POSSIBLY_SENSITIVE] = "possibly_sensitive",
    [T_CONVERSATION_ID] = "conversation_id",
    [T_PUBLIC_METRICS] = "public_metrics",
    [T_AUTHOR_ID] = "author_id",
    [T_IN_REPLY_TO_USER_ID] = "in_reply_to_user_id",
    [T_NOTE_TWEET] = "note_tweet",
    [T_ENTITIES] = "entities",
    [T_ATTACHMENTS] = "attachments",
    [T_GEO] = "geo",
    [T_REFERENCED_TWEETS] = "referenced_tweets",
};
static struct roost_json_keyset tweet_ks = ROOST_JSON_KEYSET(tweet_keys);

enum user_key {
    U_USERNAME,
    U_NAME,
    U_DESCRIPTION,
    U_LOCATION,
    U_PROFILE_IMAGE_URL,
    U_PUBLIC_METRICS,
    U_CREATED_AT,
    U_VERIFIED,
    U_COUNT
};
static const char *const user_keys[U_COUNT] = {
    [U_USERNAME] = "username",
    [U_NAME] = "name",
    [U_DESCRIPTION] = "description",
    [U_LOCATION] = "location",
    [U_PROFILE_IMAGE_URL] = "profile_image_url",
    [U_PUBLIC_METRICS] = "public_metrics",
    [U_CREATED_AT] = "created_at",
    [U_VERIFIED] = "verified",
};
static struct roost_json_keyset user_ks = ROOST_JSON_KEYSET(user_keys);

enum ent_key {
    E_START,
    E_END,
    E_TAG,
    E_USERNAME,
    E_ID,
    E_URL,
    E_UNWOUND_URL,
    E_EXPANDED_URL,
    E_COUNT
};
static const char *const ent_keys[E_COUNT] = {
    [E_START] = "start",
    [E_END] = "end",
    [E_TAG] = "tag",
    [E_USERNAME] = "username",
    [E_ID] = "id",
    [E_URL] = "url",
    [E_UNWOUND_URL] = "unwound_url",
    [E_EXPANDED_URL] = "expanded_url",
};
static struct roost_json_keyset ent_ks = ROOST_JSON_KEYSET(ent_keys);

/* The record's root, its includes, and an entities object (of a tweet or
 * its note_tweet): small objects, but read for every record. */
enum root_key { R_DATA, R_INCLUDES, R_MATCHING_RULES, R_ERRORS, R_COUNT };
static const char *const root_keys[R_COUNT] = {
    [R_DATA] = "data",
    [R_INCLUDES] = "includes",
    [R_MATCHING_RULES] = "matching_rules",
    [R_ERRORS] = "errors",
};
static struct roost_json_keyset root_ks = ROOST_JSON_KEYSET(root_keys);

/* The members of includes, by enum inc. */
static const char *const includes_keys[INC_COUNT] = {
    [INC_USERS] = "users",
    [INC_TWEETS] = "tweets",
    [INC_MEDIA] = "media",
    [INC_PLACES] = "places",
};
static struct roost_json_keyset includes_ks = ROOST_JSON_KEYSET(includes_keys);

enum ents_key { ES_HASHTAGS, ES_MENTIONS, ES_URLS, ES_CASHTAGS, ES_COUNT };
static const char *const ents_keys[ES_COUNT] = {
    [ES_HASHTAGS] = "hashtags",
    [ES_MENTIONS] = "mentions",
    [ES_URLS] = "urls",
    [ES_CASHTAGS] = "cashtags",
};
static struct roost_json_keyset ents_ks = ROOST_JSON_KEYSET(ents_keys);

/* ---- small helpers ------------------------------------------------------ */

static uint32_t get(const struct x2 *x, uint32_t o, const char *k)
{
    return roost_json_get(x->d, o, k);
}

static bool is_obj(const struct x2 *x, uint32_t i)
{
    return roost_json_is(x->d, i, ROOST_JSON_OBJECT);
}

static bool is_arr(const struct x2 *x, uint32_t i)
{
    return roost_json_is(x->d, i, ROOST_JSON_ARRAY);
}

static struct roost_str keep(struct x2 *x, struct roost_str s)
{
    struct roost_str k = roost__norm_stable(x->n, s);
    if (s.ptr != NULL && k.ptr == NULL && x->rc == 0) {
        x->rc = ROOST_ERR(ROOST_ENOMEM);
    }
    return k;
}

static struct roost_str str_at(struct x2 *x, uint32_t t)
{
    return keep(x, roost_json_str(x->d, t));
}

static struct roost_str str(struct x2 *x, uint32_t o, const char *k)
{
    return str_at(x, get(x, o, k));
}

/* v2 ids are strings; numbers (matching_rules ids) keep their text. */
static struct roost_str id_at(struct x2 *x, uint32_t t)
{
    struct roost_str s = roost_json_text(x->d, t);
    return s.len > 0 ? keep(x, s) : ROOST_STR_NULL;
}

static struct roost_str id(struct x2 *x, uint32_t o, const char *k)
{
    return id_at(x, get(x, o, k));
}

static struct roost_str unescape(struct x2 *x, struct roost_str s)
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

/* item_key - the text of the member that names item i of includes[w]. */
static struct roost_str item_key(const struct x2 *x, enum inc w, uint32_t i)
{
    uint32_t v;
    roost_json_fields(x->d, i, w == INC_MEDIA ? &media_key_ks : &id_ks, &v);
    return roost_json_text(x->d, v);
}

/* find_cache_build - read the key of every item of array arr into c. */
static void find_cache_build(const struct x2 *x, uint32_t arr,
                             struct find_cache *c, enum inc w)
{
    uint32_t i = arr + 1, end = x->d->toks[arr].next;
    uint32_t cap = x->d->toks[arr].len;
    c->built = true;
    c->n = 0;
    c->ents = cap > 0 ? roost_malloc((size_t)cap * sizeof(*c->ents)) : NULL;
    if (c->ents != NULL) {
        for (; i < end && c->n < cap; i = roost_json_next_sibling(x->d, i)) {
            c->ents[c->n].key = item_key(x, w, i);
            c->ents[c->n].item = i;
            c->n++;
        }
    }
    c->rest = i;
}

/* find - the first item of includes array inc[w] whose key member
 * (item_key) has the text v, or ROOST_JSON_NONE. */
static uint32_t find(struct x2 *x, enum inc w, struct roost_str v)
{
    uint32_t arr = x->inc[w];
    if (!is_arr(x, arr) || v.len == 0) {
        return ROOST_JSON_NONE;
    }
    struct find_cache *c = &x->caches[w];
    if (!c->built) {
        find_cache_build(x, arr, c, w);
    }
    for (uint32_t j = 0; j < c->n; j++) {
        if (roost_str_eq(c->ents[j].key, v)) {
            return c->ents[j].item;
        }
    }
    for (uint32_t i = c->rest; i < x->d->toks[arr].next;
         i = roost_json_next_sibling(x->d, i)) {
        if (roost_str_eq(item_key(x, w, i), v)) {
            return i;
        }
    }
    return ROOST_JSON_NONE;
}

static bool emitted(const struct x2 *x, struct roost_str pid)
{
    for (uint32_t i = x->first_post; i < x->n->n_posts; i++) {
        if (roost_str_eq(x->n->posts[i].id, pid)) {
            return true;
        }
    }
    return false;
}

static struct roost_post *post_at(struct x2 *x, uint32_t idx)
{
    return &x->n->posts[idx];
}

static int64_t count_of(const struct x2 *x, uint32_t o, const char *k)
{
    return roost__norm_count(x->d, o, k);
}

/* ---- expansions -----------------------------------------------------------
 */

static void author(struct x2 *x, struct roost_author *a, struct roost_str aid)
{
    a->id = aid;
    uint32_t u = find(x, INC_USERS, aid);
    if (u == ROOST_JSON_NONE) {
        return;
    }
    uint32_t f[U_COUNT];
    roost_json_fields(x->d, u, &user_ks, f);
    a->handle = str_at(x, f[U_USERNAME]);
    if (!(x->n->want & ROOST_WANT_PROFILE)) {
        return;
    }
    a->name = str_at(x, f[U_NAME]);
    a->description = unescape(x, str_at(x, f[U_DESCRIPTION]));
    a->location = str_at(x, f[U_LOCATION]);
    a->profile_image_url = str_at(x, f[U_PROFILE_IMAGE_URL]);
    uint32_t m = f[U_PUBLIC_METRICS];
    a->followers = count_of(x, m, "followers_count");
    a->following = count_of(x, m, "following_count");
    a->posts = count_of(x, m, "tweet_count");
    a->created_at_ms = roost__norm_time(x->d, f[U_CREATED_AT]);
    a->verified = roost_json_bool(x->d, f[U_VERIFIED]);
}

/* f: the entity item's fields (ent_ks). */
static void span(const struct x2 *x, const uint32_t *f, struct roost_entity *e)
{
    int64_t s, t;
    e->start = e->end = ROOST_NO_INDEX;
    if (roost_json_i64(x->d, f[E_START], &s) &&
        roost_json_i64(x->d, f[E_END], &t) && s >= 0 && t >= s &&
        t < (int64_t)ROOST_NO_INDEX) {
        e->start = (uint32_t)s;
        e->end = (uint32_t)t;
    }
}

static void entity_list(struct x2 *x, uint32_t idx, uint32_t arr, int kind)
{
    if (!is_arr(x, arr)) {
        return;
    }
    for (uint32_t i = arr + 1; i < x->d->toks[arr].next && x->rc == 0;
         i = roost_json_next_sibling(x->d, i)) {
        uint32_t f[E_COUNT];
        roost_json_fields(x->d, i, &ent_ks, f);
        struct roost_str text, exp = ROOST_STR_NULL;
        if (kind == ROOST_ENT_MENTION) {
            text = str_at(x, f[E_USERNAME]);
            exp = id_at(x, f[E_ID]);
        } else if (kind == ROOST_ENT_URL) {
            text = str_at(x, f[E_URL]);
            exp = str_at(x, f[E_UNWOUND_URL]);
            if (exp.len == 0) {
                exp = str_at(x, f[E_EXPANDED_URL]);
            }
        } else {
            text = str_at(x, f[E_TAG]);
        }
        if (text.ptr == NULL) {
            continue;
        }
        struct roost_post *p = post_at(x, idx);
        struct roost_entity *e;
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
        e->expanded = exp;
        span(x, f, e);
    }
}

static void entities(struct x2 *x, uint32_t idx, uint32_t ent)
{
    uint32_t f[ES_COUNT];
    if (!roost_json_fields(x->d, ent, &ents_ks, f)) {
        return;
    }
    entity_list(x, idx, f[ES_HASHTAGS], ROOST_ENT_HASHTAG);
    entity_list(x, idx, f[ES_MENTIONS], ROOST_ENT_MENTION);
    entity_list(x, idx, f[ES_URLS], ROOST_ENT_URL);
    entity_list(x, idx, f[ES_CASHTAGS], ROOST_ENT_CASHTAG);
}

static void media(struct x2 *x, uint32_t idx, uint32_t keys)
{
    if (!is_arr(x, keys)) {
        return;
    }
    for (uint32_t i = keys + 1; i < x->d->toks[keys].next && x->rc == 0;
         i = roost_json_next_sibling(x->d, i)) {
        struct roost_str mk = roost_json_str(x->d, i);
        uint32_t m = find(x, INC_MEDIA, mk);
        struct roost_post *p = post_at(x, idx);
        struct roost_media *e =
            roost__norm_push(x->n, (void **)&p->media, &p->n_media, sizeof(*e));
        if (e == NULL) {
            x->rc = ROOST_ERR(ROOST_ENOMEM);
            return;
        }
        e->id = keep(x, mk);
        e->type = str(x, m, "type");
        e->url = str(x, m, "url");
        if (e->url.ptr == NULL) {
            e->url = str(x, m, "preview_image_url");
        }
        e->alt = str(x, m, "alt_text");
    }
}

static bool num(const struct x2 *x, uint32_t arr, uint32_t i, double *out)
{
    return roost_json_f64(x->d, roost_json_at(x->d, arr, i), out);
}

static void geo(struct x2 *x, uint32_t idx, uint32_t g)
{
    if (!is_obj(x, g)) {
        return;
    }
    struct roost_geo out;
    memset(&out, 0, sizeof(out));
    /* geo.coordinates is a GeoJSON point: [lon, lat]. */
    uint32_t pt = get(x, get(x, g, "coordinates"), "coordinates");
    out.has_point = num(x, pt, 0, &out.lon) && num(x, pt, 1, &out.lat);
    out.place_id = str(x, g, "place_id");
    uint32_t pl = find(x, INC_PLACES, out.place_id);
    if (pl != ROOST_JSON_NONE) {
        out.place_name = str(x, pl, "name");
        out.place_full_name = str(x, pl, "full_name");
        out.place_type = str(x, pl, "place_type");
        out.country = str(x, pl, "country");
        out.country_code = str(x, pl, "country_code");
        uint32_t bb = get(x, get(x, pl, "geo"), "bbox");
        out.has_bbox =
            num(x, bb, 0, &out.bbox[0]) && num(x, bb, 1, &out.bbox[1]) &&
            num(x, bb, 2, &out.bbox[2]) && num(x, bb, 3, &out.bbox[3]);
    }
    if (out.has_point || out.place_id.len > 0) {
        struct roost_post *p = post_at(x, idx);
        p->geo = out;
        p->has_geo = true;
    }
}

/* f: the tweet's fields (tweet_ks). */
static void refs(struct x2 *x, uint32_t idx, const uint32_t *f)
{
    uint32_t arr = f[T_REFERENCED_TWEETS];
    if (!is_arr(x, arr)) {
        return;
    }
    for (uint32_t i = arr + 1; i < x->d->toks[arr].next && x->rc == 0;
         i = roost_json_next_sibling(x->d, i)) {
        struct roost_str type = roost_json_str(x->d, get(x, i, "type"));
        struct roost_str rid = id(x, i, "id");
        uint8_t kind;
        if (roost_str_eq_cstr(type, "replied_to")) {
            kind = ROOST_REF_REPLY;
        } else if (roost_str_eq_cstr(type, "quoted")) {
            kind = ROOST_REF_QUOTE;
        } else if (roost_str_eq_cstr(type, "retweeted")) {
            kind = ROOST_REF_RETWEET;
        } else {
            continue;
        }
        if (rid.len == 0) {
            continue;
        }
        struct roost_str aid = ROOST_STR_NULL, handle = ROOST_STR_NULL;
        uint32_t rt = find(x, INC_TWEETS, rid);
        if (rt != ROOST_JSON_NONE) {
            aid = id(x, rt, "author_id");
        } else if (kind == ROOST_REF_REPLY) {
            aid = id_at(x, f[T_IN_REPLY_TO_USER_ID]);
        }
        uint32_t u = find(x, INC_USERS, aid);
        if (u != ROOST_JSON_NONE) {
            handle = str(x, u, "username");
        }
        struct roost_post *p = post_at(x, idx);
        struct roost_ref *r =
            roost__norm_push(x->n, (void **)&p->refs, &p->n_refs, sizeof(*r));
        if (r == NULL) {
            x->rc = ROOST_ERR(ROOST_ENOMEM);
            return;
        }
        r->type = kind;
        r->id = rid;
        r->author_id = aid;
        r->author_handle = handle;
    }
}

static void rules(struct x2 *x, uint32_t idx)
{
    if (!is_arr(x, x->rules)) {
        return;
    }
    for (uint32_t i = x->rules + 1; i < x->d->toks[x->rules].next && x->rc == 0;
         i = roost_json_next_sibling(x->d, i)) {
        struct roost_str r = str(x, i, "tag");
        if (r.len == 0) {
            r = id(x, i, "id");
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

static struct roost_str permalink(struct x2 *x, struct roost_str handle,
                                  struct roost_str pid)
{
    if (handle.len == 0 || pid.len == 0 || handle.len > 64 || pid.len > 64) {
        return ROOST_STR_NULL;
    }
    char buf[192];
    int k = snprintf(buf, sizeof(buf), "https://twitter.com/%.*s/status/%.*s",
                     (int)handle.len, handle.ptr, (int)pid.len, pid.ptr);
    struct roost_str s = roost__norm_dup(x->n, buf, (size_t)k);
    if (s.ptr == NULL && x->rc == 0) {
        x->rc = ROOST_ERR(ROOST_ENOMEM);
    }
    return s;
}

/* ---- tweets
 * ------------------------------------------------------------------ */

/* read_tweet - t's fields into f; whether t is a tweet (an object with an
 * id and a text). */
static bool read_tweet(const struct x2 *x, uint32_t t, uint32_t *f)
{
    return roost_json_fields(x->d, t, &tweet_ks, f) &&
           f[T_ID] != ROOST_JSON_NONE && f[T_TEXT] != ROOST_JSON_NONE;
}

/* f: the tweet's fields (read_tweet). */
static int tweet(struct x2 *x, const uint32_t *f, bool referenced, int depth)
{
    struct roost_str pid = id_at(x, f[T_ID]);
    if (pid.len == 0) {
        return x->rc < 0 ? x->rc
                         : roost_diag_set(x->diag, ROOST_ERR(ROOST_EPARSE), 0,
                                          "v2 tweet without id");
    }
    if (roost__norm_add_post(x->n) == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    const unsigned want = x->n->want;
    uint32_t idx = x->n->n_posts - 1;
    struct roost_post *p = post_at(x, idx);
    p->format = ROOST_FMT_X2;
    p->platform = ROOST_PLATFORM_X;
    p->referenced = referenced;
    p->id = pid;
    if (want & ROOST_WANT_DETAIL) {
        p->created_at_ms = roost__norm_time(x->d, f[T_CREATED_AT]);
        p->lang = str_at(x, f[T_LANG]);
        p->source = str_at(x, f[T_SOURCE]);
        p->sensitive = roost_json_bool(x->d, f[T_POSSIBLY_SENSITIVE]);
        p->conversation_id = id_at(x, f[T_CONVERSATION_ID]);
        uint32_t m = f[T_PUBLIC_METRICS];
        p->retweets = count_of(x, m, "retweet_count");
        p->likes = count_of(x, m, "like_count");
        p->replies = count_of(x, m, "reply_count");
        p->quotes = count_of(x, m, "quote_count");
    }
    author(x, &p->author, id_at(x, f[T_AUTHOR_ID]));
    if (want & ROOST_WANT_DETAIL) {
        p->url = permalink(x, p->author.handle, p->id);
    }

    /* A long post's note_tweet holds the full text and its entities. */
    uint32_t note = f[T_NOTE_TWEET];
    uint32_t note_text = get(x, note, "text");
    uint32_t note_ents = get(x, note, "entities");
    bool is_note = is_obj(x, note) &&
                   roost_json_is(x->d, note_text, ROOST_JSON_STRING);
    uint32_t src_ents = is_note ? note_ents : f[T_ENTITIES];
    bool delivered = is_obj(x, src_ents) || is_obj(x, f[T_ENTITIES]);
    if (want & ROOST_WANT_ENTITIES) {
        entities(x, idx, src_ents);
        if (is_note && !is_obj(x, note_ents)) {
            entities(x, idx, f[T_ENTITIES]);
        }
        media(x, idx, get(x, f[T_ATTACHMENTS], "media_keys"));
    }
    /* Entities the payload lacks are extracted from the text. */
    if ((want & ROOST_WANT_TEXT) || ((want & ROOST_WANT_ENTITIES) && !delivered)) {
        struct roost_str text = str_at(x, is_note ? note_text : f[T_TEXT]);
        p = post_at(x, idx);
        p->text = unescape(x, text);
    }
    p = post_at(x, idx);
    p->entities_delivered = delivered;

    if (want & ROOST_WANT_DETAIL) {
        geo(x, idx, f[T_GEO]);
    }
    refs(x, idx, f);
    if (!referenced && (want & ROOST_WANT_DETAIL)) {
        rules(x, idx);
    }
    if (x->rc < 0) {
        return x->rc;
    }

    if (depth >= X2_MAX_DEPTH) {
        return 0;
    }
    /* Referenced tweets follow the post that references them. */
    uint32_t arr = f[T_REFERENCED_TWEETS];
    if (!is_arr(x, arr)) {
        return 0;
    }
    for (uint32_t i = arr + 1; i < x->d->toks[arr].next;
         i = roost_json_next_sibling(x->d, i)) {
        struct roost_str rid = roost_json_text(x->d, get(x, i, "id"));
        uint32_t rf[T_COUNT];
        if (!read_tweet(x, find(x, INC_TWEETS, rid), rf) || emitted(x, rid)) {
            continue;
        }
        int rc = tweet(x, rf, true, depth + 1);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* ---- errors -----------------------------------------------------------------
 */

static int errors(struct x2 *x, uint32_t root, uint32_t arr)
{
    struct roost_str top = roost_json_str(x->d, get(x, root, "title"));
    for (uint32_t i = arr + 1; i < x->d->toks[arr].next;
         i = roost_json_next_sibling(x->d, i)) {
        struct roost_str title = str(x, i, "title");
        struct roost_str type =
            roost_json_str(x->d, get(x, i, "resource_type"));
        bool disc = roost_str_eq_cstr(title, "operational-disconnect") ||
                    roost_str_eq_cstr(title, "ConnectionException");
        struct roost_ctl *c = roost__norm_add_ctl(x->n);
        if (c == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        c->kind = disc ? ROOST_CTL_DISCONNECT : ROOST_CTL_OTHER;
        c->platform = ROOST_PLATFORM_X;
        c->code = title.len > 0 ? title : keep(x, top);
        c->reason = str(x, i, "detail");
        if (c->reason.ptr == NULL) {
            c->reason = str(x, i, "message");
        }
        if (roost_str_eq_cstr(type, "tweet")) {
            c->post_id = id(x, i, "value");
        } else if (roost_str_eq_cstr(type, "user")) {
            c->user_id = id(x, i, "value");
        }
    }
    return x->rc;
}

/* ---- entry ----------------------------------------------------------------
 */

/* record - the posts (or errors) of v2 record root, whose members are in
 * rf (root_ks); x is set up. */
static int record(struct x2 *x, uint32_t root, const uint32_t *rf)
{
    struct roost_norm *n = x->n;
    const struct roost_json_doc *d = x->d;
    struct roost_diag *diag = x->diag;
    uint32_t data = rf[R_DATA];
    bool any_data = false;
    uint32_t f[T_COUNT];
    if (read_tweet(x, data, f)) {
        any_data = true;
        int rc = tweet(x, f, false, 0);
        if (rc < 0) {
            return rc;
        }
    } else if (is_arr(x, data)) {
        for (uint32_t i = data + 1; i < d->toks[data].next;
             i = roost_json_next_sibling(d, i)) {
            any_data = true;
            if (!read_tweet(x, i, f)) {
                continue;
            }
            int rc = tweet(x, f, false, 0);
            if (rc < 0) {
                return rc;
            }
        }
    }
    if (n->n_posts > x->first_post) {
        return 0;
    }
    uint32_t errs = rf[R_ERRORS];
    if (!any_data && is_arr(x, errs) && d->toks[errs].len > 0) {
        return errors(x, root, errs);
    }
    if (is_arr(x, data) && !any_data) {
        return 0; /* an empty page */
    }
    if (data != ROOST_JSON_NONE) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "v2 data holds no tweets (users, lists, rules "
                              "or counts?)");
    }
    return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                          "v2 record without data or errors");
}

int roost__fmt_x2(struct roost_norm *n, const struct roost_json_doc *d,
                  uint32_t root, struct roost_diag *diag)
{
    if (!roost_json_is(d, root, ROOST_JSON_OBJECT)) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "v2 record is not an object");
    }
    uint32_t rf[R_COUNT];
    roost_json_fields(d, root, &root_ks, rf);
    struct find_cache caches[INC_COUNT] = { { 0 } };
    struct x2 x = {
        .n = n,
        .d = d,
        .diag = diag,
        .caches = caches,
        .rules = rf[R_MATCHING_RULES],
        .first_post = n->n_posts,
        .rc = 0,
    };
    roost_json_fields(d, rf[R_INCLUDES], &includes_ks, x.inc);
    int rc = record(&x, root, rf);
    for (int w = 0; w < INC_COUNT; w++) {
        roost_free(caches[w].ents);
    }
    return rc;
}
