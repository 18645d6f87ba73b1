/* SPDX-License-Identifier: MIT
 *
 * fmt_jetstream.c - Bluesky Jetstream v1 events to posts and control events.
 *
 * An event is {"did", "time_us", "kind", ...}; kind is "commit" (a record
 * created, updated or deleted in a repo), "identity" or "account". Only
 * app.bsky.feed.post records are posts:
 *
 *   commit create|update app.bsky.feed.post -> one post;
 *   commit delete app.bsky.feed.post        -> ROOST_CTL_DELETE;
 *   any other commit (likes, reposts, follows, blocks, profiles, third
 *   party lexicons...)                      -> ROOST_CTL_OTHER, code = the
 *     collection NSID, reason = the operation, post_id = record.subject.uri
 *     when the record has one (likes and reposts name the post they hit);
 *   identity                                -> ROOST_CTL_IDENTITY, reason =
 *     the new handle when present (v1 often omits it);
 *   account                                 -> ROOST_CTL_ACCOUNT, code =
 *     "active"/"inactive", reason = status ("deactivated", "takendown"...);
 *     status "deleted" is ROOST_CTL_USER_DELETE instead;
 *   any other kind                          -> ROOST_CTL_OTHER, code = kind.
 * Reposts and likes are not posts: a repost record carries no text, only
 * the subject's AT-URI, so it is counted as a control event. Every control
 * event has user_id = did and ts_ms = time_us / 1000.
 *
 * A post's id is its AT-URI, at://<did>/app.bsky.feed.post/<rkey>: the one
 * name Bluesky itself uses for a post (reply and quote references point at
 * it), so refs and deletes line up with ids without a lookup. url is the
 * bsky.app permalink https://bsky.app/profile/<did>/post/<rkey>;
 * conversation_id is the thread root's AT-URI (the post's own for a root).
 * created_at is record.createdAt (client-claimed) or, when that is absent
 * or bad, time_us / 1000. author.id is the DID; commits carry no handle.
 *
 * Facets: index.byteStart/byteEnd are UTF-8 byte offsets into text, end
 * exclusive. They become code-point start/end. A facet whose range is
 * empty, out of bounds, or splits a UTF-8 sequence is skipped (the post is
 * kept). #tag -> hashtag (text = tag), #mention -> mention (text = the
 * sliced text without '@', expanded = DID), #link -> url (text = the slice
 * as displayed, expanded = uri). record.tags (post-level tags, not in the
 * text) are hashtags without offsets, unless the same tag came from a
 * facet. Embeds: images/video -> media (alt text; image url = the CDN
 * fullsize URL built from DID + blob CID, video url left null),
 * external -> a url without offsets (unless a facet already links it),
 * record/recordWithMedia of an app.bsky.feed.post -> ROOST_REF_QUOTE.
 * reply.parent -> ROOST_REF_REPLY. Self-labels (porn, sexual, nudity,
 * graphic-media) set sensitive. Jetstream carries no counts or client.
 *
 * roost_norm.want: the id, author.id and refs (reply parent, quoted post)
 * are always read. Facets need the text (their offsets index it), so it
 * is copied when TEXT or ENTITIES is wanted but kept in the post only for
 * TEXT; facets, record.tags and media/external embeds only for ENTITIES;
 * url, created_at, lang, labels and the thread root only for DETAIL.
 */
#include <string.h>

#include "parse/json_fields.h"
#include "parse/post_int.h"

#define POST_NSID       "app.bsky.feed.post"
#define TAG_FEATURE     "app.bsky.richtext.facet#tag"
#define MENTION_FEATURE "app.bsky.richtext.facet#mention"
#define LINK_FEATURE    "app.bsky.richtext.facet#link"
#define IMG_CDN         "https://cdn.bsky.app/img/feed_fullsize/plain/"

/* Members read from an event, its commit and a post record: each object
 * is walked once (json_fields.h) instead of once per key. */
enum { EV_DID, EV_KIND, EV_TIME_US, EV_COMMIT, EV_IDENTITY, EV_ACCOUNT, EV_N };
static const char *const ev_keys[EV_N] = {
    [EV_DID] = "did",           [EV_KIND] = "kind",
    [EV_TIME_US] = "time_us",   [EV_COMMIT] = "commit",
    [EV_IDENTITY] = "identity", [EV_ACCOUNT] = "account",
};
static struct roost_json_keyset ev_ks = ROOST_JSON_KEYSET(ev_keys);

enum { CM_COLLECTION, CM_OPERATION, CM_RKEY, CM_RECORD, CM_N };
static const char *const cm_keys[CM_N] = {
    [CM_COLLECTION] = "collection",
    [CM_OPERATION] = "operation",
    [CM_RKEY] = "rkey",
    [CM_RECORD] = "record",
};
static struct roost_json_keyset cm_ks = ROOST_JSON_KEYSET(cm_keys);

enum {
    RC_TEXT,
    RC_CREATED_AT,
    RC_LANGS,
    RC_LABELS,
    RC_REPLY,
    RC_FACETS,
    RC_TAGS,
    RC_EMBED,
    RC_N
};
static const char *const rc_keys[RC_N] = {
    [RC_TEXT] = "text",   [RC_CREATED_AT] = "createdAt",
    [RC_LANGS] = "langs", [RC_LABELS] = "labels",
    [RC_REPLY] = "reply", [RC_FACETS] = "facets",
    [RC_TAGS] = "tags",   [RC_EMBED] = "embed",
};
static struct roost_json_keyset rc_ks = ROOST_JSON_KEYSET(rc_keys);

/* ---- small helpers ------------------------------------------------------- */

static struct roost_str get_str(const struct roost_json_doc *d, uint32_t obj,
                                const char *key)
{
    return roost_json_str(d, roost_json_get(d, obj, key));
}

static bool str_eq(struct roost_str s, const char *c)
{
    return s.ptr != NULL && roost_str_eq_cstr(s, c);
}

/* Concatenate n_parts pieces into one arena string. */
static struct roost_str cat(struct roost_norm *n, const struct roost_str *parts,
                            size_t n_parts)
{
    size_t len = 0;
    for (size_t i = 0; i < n_parts; i++) {
        len += parts[i].len;
    }
    char *out = roost_arena_alloc(&n->arena, len + 1);
    if (out == NULL) {
        return ROOST_STR_NULL;
    }
    size_t o = 0;
    for (size_t i = 0; i < n_parts; i++) {
        if (parts[i].len > 0) {
            memcpy(out + o, parts[i].ptr, parts[i].len);
            o += parts[i].len;
        }
    }
    out[o] = '\0';
    return roost_str_make(out, o);
}

/* at://<did>/app.bsky.feed.post/<rkey> */
static struct roost_str post_uri(struct roost_norm *n, struct roost_str did,
                                 struct roost_str rkey)
{
    const struct roost_str parts[] = { ROOST_STR_LIT("at://"), did,
                                       ROOST_STR_LIT("/" POST_NSID "/"), rkey };
    return cat(n, parts, 4);
}

/* The DID (authority) of an AT-URI, as a view into uri; NULL view if none.
 * The view is stable when uri is. */
static struct roost_str at_uri_did(struct roost_str uri)
{
    if (uri.len <= 5 || memcmp(uri.ptr, "at://", 5) != 0) {
        return ROOST_STR_NULL;
    }
    const char *a = uri.ptr + 5;
    const char *slash = memchr(a, '/', uri.len - 5);
    size_t len = slash ? (size_t)(slash - a) : uri.len - 5;
    return len > 0 ? roost_str_make(a, len) : ROOST_STR_NULL;
}

/* Whether the AT-URI names a record of collection `nsid`. */
static bool at_uri_is(struct roost_str uri, const char *nsid)
{
    struct roost_str did = at_uri_did(uri);
    if (did.ptr == NULL) {
        return false;
    }
    size_t off = (size_t)(did.ptr - uri.ptr) + did.len;
    size_t nl = strlen(nsid);
    return uri.len > off + 1 + nl && uri.ptr[off] == '/' &&
           memcmp(uri.ptr + off + 1, nsid, nl) == 0 &&
           uri.ptr[off + 1 + nl] == '/';
}

static int enomem(struct roost_diag *diag)
{
    return roost_diag_set(diag, ROOST_ERR(ROOST_ENOMEM), 0,
                          "jetstream: arena exhausted");
}

/* ---- facets -------------------------------------------------------------- */

/*
 * Byte -> code point conversion that walks forward from the last answer,
 * so facets in order (the usual case) cost O(text) in total.
 */
struct cp_cursor {
    struct roost_str text;
    size_t b;
    uint32_t cp;
};

static uint32_t cp_at(struct cp_cursor *c, size_t b)
{
    if (b < c->b) {
        c->b = 0;
        c->cp = 0;
    }
    c->cp += roost__cp_offset(
        roost_str_make(c->text.ptr + c->b, c->text.len - c->b), b - c->b);
    c->b = b;
    return c->cp;
}

static bool is_cont(const struct roost_str *t, size_t b)
{
    return b < t->len && ((unsigned char)t->ptr[b] & 0xC0) == 0x80;
}

static bool has_tag(const struct roost_post *p, struct roost_str tag)
{
    for (uint32_t i = 0; i < p->n_hashtags; i++) {
        if (roost_str_eq(p->hashtags[i].text, tag)) {
            return true;
        }
    }
    return false;
}

static bool has_url(const struct roost_post *p, struct roost_str uri)
{
    for (uint32_t i = 0; i < p->n_urls; i++) {
        if (roost_str_eq(p->urls[i].expanded, uri)) {
            return true;
        }
    }
    return false;
}

static int add_feature(struct roost_norm *n, struct roost_post *p,
                       const struct roost_json_doc *d, uint32_t feat,
                       struct roost_str slice, uint32_t start, uint32_t end)
{
    struct roost_str type = get_str(d, feat, "$type");
    struct roost_entity *e;
    if (str_eq(type, TAG_FEATURE)) {
        struct roost_str tag =
            roost__norm_str(n, d, roost_json_get(d, feat, "tag"));
        if (tag.ptr == NULL || tag.len == 0) {
            return 0;
        }
        e = roost__norm_push(n, (void **)&p->hashtags, &p->n_hashtags,
                             sizeof(*e));
        if (e == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        e->text = tag;
    } else if (str_eq(type, MENTION_FEATURE)) {
        struct roost_str did =
            roost__norm_str(n, d, roost_json_get(d, feat, "did"));
        if (did.ptr == NULL) {
            return 0;
        }
        e = roost__norm_push(n, (void **)&p->mentions, &p->n_mentions,
                             sizeof(*e));
        if (e == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        if (slice.len > 0 && slice.ptr[0] == '@') {
            slice.ptr++;
            slice.len--;
        }
        e->text = slice;
        e->expanded = did;
    } else if (str_eq(type, LINK_FEATURE)) {
        struct roost_str uri =
            roost__norm_str(n, d, roost_json_get(d, feat, "uri"));
        if (uri.ptr == NULL) {
            return 0;
        }
        e = roost__norm_push(n, (void **)&p->urls, &p->n_urls, sizeof(*e));
        if (e == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        e->text = slice;
        e->expanded = uri;
    } else {
        return 0; /* a feature type from a newer lexicon */
    }
    e->start = start;
    e->end = end;
    return 0;
}

/* text: the post's text, also when the post does not keep it (want). */
static int add_facets(struct roost_norm *n, struct roost_post *p,
                      const struct roost_json_doc *d, uint32_t facets,
                      struct roost_str text)
{
    if (!roost_json_is(d, facets, ROOST_JSON_ARRAY)) {
        return 0;
    }
    struct cp_cursor cur = { text, 0, 0 };
    for (uint32_t f = facets + 1; f < d->toks[facets].next;
         f = roost_json_next_sibling(d, f)) {
        uint32_t index = roost_json_get(d, f, "index");
        int64_t bs, be;
        if (!roost_json_i64(d, roost_json_get(d, index, "byteStart"), &bs) ||
            !roost_json_i64(d, roost_json_get(d, index, "byteEnd"), &be)) {
            continue;
        }
        if (bs < 0 || be <= bs || (uint64_t)be > text.len ||
            is_cont(&text, (size_t)bs) || is_cont(&text, (size_t)be)) {
            continue; /* a bad range: skip the facet, keep the post */
        }
        struct roost_str slice =
            roost_str_make(text.ptr + bs, (size_t)(be - bs));
        uint32_t start = cp_at(&cur, (size_t)bs);
        uint32_t end = cp_at(&cur, (size_t)be);
        uint32_t feats = roost_json_get(d, f, "features");
        if (!roost_json_is(d, feats, ROOST_JSON_ARRAY)) {
            continue;
        }
        for (uint32_t ft = feats + 1; ft < d->toks[feats].next;
             ft = roost_json_next_sibling(d, ft)) {
            int rc = add_feature(n, p, d, ft, slice, start, end);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* record.tags: hashtags that are not in the text. */
static int add_record_tags(struct roost_norm *n, struct roost_post *p,
                           const struct roost_json_doc *d, uint32_t tags)
{
    if (!roost_json_is(d, tags, ROOST_JSON_ARRAY)) {
        return 0;
    }
    for (uint32_t t = tags + 1; t < d->toks[tags].next;
         t = roost_json_next_sibling(d, t)) {
        struct roost_str tag = roost__norm_str(n, d, t);
        if (tag.ptr == NULL || tag.len == 0 || has_tag(p, tag)) {
            continue;
        }
        struct roost_entity *e = roost__norm_push(n, (void **)&p->hashtags,
                                                  &p->n_hashtags, sizeof(*e));
        if (e == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        e->text = tag;
        e->start = e->end = ROOST_NO_INDEX;
    }
    return 0;
}

/* ---- embeds and references ----------------------------------------------- */

static int add_ref(struct roost_norm *n, struct roost_post *p,
                   enum roost_ref_type type, struct roost_str uri)
{
    struct roost_ref *r =
        roost__norm_push(n, (void **)&p->refs, &p->n_refs, sizeof(*r));
    if (r == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    r->type = (uint8_t)type;
    r->id = uri;
    r->author_id = at_uri_did(uri);
    return 0;
}

static int add_images(struct roost_norm *n, struct roost_post *p,
                      const struct roost_json_doc *d, uint32_t images,
                      struct roost_str did)
{
    if (!roost_json_is(d, images, ROOST_JSON_ARRAY)) {
        return 0;
    }
    for (uint32_t im = images + 1; im < d->toks[images].next;
         im = roost_json_next_sibling(d, im)) {
        struct roost_media *m =
            roost__norm_push(n, (void **)&p->media, &p->n_media, sizeof(*m));
        if (m == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        m->type = ROOST_STR_LIT("image");
        m->alt = roost__norm_str(n, d, roost_json_get(d, im, "alt"));
        m->id =
            roost__norm_str(n, d, roost_json_path(d, im, "image.ref.$link"));
        if (m->id.ptr != NULL) {
            const struct roost_str parts[] = { ROOST_STR_LIT(IMG_CDN), did,
                                               ROOST_STR_LIT("/"), m->id,
                                               ROOST_STR_LIT("@jpeg") };
            m->url = cat(n, parts, 5);
            if (m->url.ptr == NULL) {
                return ROOST_ERR(ROOST_ENOMEM);
            }
        }
    }
    return 0;
}

static int add_media_embed(struct roost_norm *n, struct roost_post *p,
                           const struct roost_json_doc *d, uint32_t emb,
                           struct roost_str did)
{
    struct roost_str type = get_str(d, emb, "$type");
    if (str_eq(type, "app.bsky.embed.images")) {
        return add_images(n, p, d, roost_json_get(d, emb, "images"), did);
    }
    if (str_eq(type, "app.bsky.embed.video")) {
        struct roost_media *m =
            roost__norm_push(n, (void **)&p->media, &p->n_media, sizeof(*m));
        if (m == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        m->type = ROOST_STR_LIT("video");
        m->alt = roost__norm_str(n, d, roost_json_get(d, emb, "alt"));
        m->id =
            roost__norm_str(n, d, roost_json_path(d, emb, "video.ref.$link"));
        return 0;
    }
    if (str_eq(type, "app.bsky.embed.external")) {
        struct roost_str uri =
            roost__norm_str(n, d, roost_json_path(d, emb, "external.uri"));
        if (uri.ptr == NULL || uri.len == 0 || has_url(p, uri)) {
            return 0;
        }
        struct roost_entity *e =
            roost__norm_push(n, (void **)&p->urls, &p->n_urls, sizeof(*e));
        if (e == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        e->text = uri;
        e->expanded = uri;
        e->start = e->end = ROOST_NO_INDEX;
    }
    return 0;
}

/* ents: whether media and external links are wanted (the quote ref is
 * read either way). */
static int add_embed(struct roost_norm *n, struct roost_post *p,
                     const struct roost_json_doc *d, uint32_t emb,
                     struct roost_str did, bool ents)
{
    if (!roost_json_is(d, emb, ROOST_JSON_OBJECT)) {
        return 0;
    }
    struct roost_str type = get_str(d, emb, "$type");
    uint32_t quoted = ROOST_JSON_NONE;
    if (str_eq(type, "app.bsky.embed.record")) {
        quoted = roost_json_path(d, emb, "record.uri");
    } else if (str_eq(type, "app.bsky.embed.recordWithMedia")) {
        quoted = roost_json_path(d, emb, "record.record.uri");
        int rc = ents ? add_media_embed(n, p, d,
                                        roost_json_get(d, emb, "media"), did)
                      : 0;
        if (rc < 0) {
            return rc;
        }
    } else {
        return ents ? add_media_embed(n, p, d, emb, did) : 0;
    }
    struct roost_str uri = roost__norm_str(n, d, quoted);
    /* embed.record also embeds lists, feeds and starter packs. */
    if (uri.ptr != NULL && at_uri_is(uri, POST_NSID)) {
        return add_ref(n, p, ROOST_REF_QUOTE, uri);
    }
    return 0;
}

static bool self_labeled(const struct roost_json_doc *d, uint32_t labels)
{
    static const char *const adult[] = { "porn", "sexual", "nudity",
                                         "graphic-media" };
    uint32_t vals = roost_json_get(d, labels, "values");
    if (!roost_json_is(d, vals, ROOST_JSON_ARRAY)) {
        return false;
    }
    for (uint32_t v = vals + 1; v < d->toks[vals].next;
         v = roost_json_next_sibling(d, v)) {
        struct roost_str val = get_str(d, v, "val");
        for (size_t i = 0; i < sizeof(adult) / sizeof(adult[0]); i++) {
            if (str_eq(val, adult[i])) {
                return true;
            }
        }
    }
    return false;
}

/* ---- events -------------------------------------------------------------- */

static int post_from_commit(struct roost_norm *n,
                            const struct roost_json_doc *d, uint32_t rec,
                            struct roost_str did, struct roost_str rkey,
                            int64_t ts_ms, struct roost_diag *diag)
{
    uint32_t f[RC_N];
    roost_json_fields(d, rec, &rc_ks, f);
    uint32_t text_tok = f[RC_TEXT];
    if (!roost_json_is(d, text_tok, ROOST_JSON_STRING)) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "jetstream: post record without text");
    }
    struct roost_post *p = roost__norm_add_post(n);
    if (p == NULL) {
        return enomem(diag);
    }
    p->format = ROOST_FMT_JETSTREAM;
    p->platform = ROOST_PLATFORM_BLUESKY;
    p->entities_delivered = true; /* facets / tags are authoritative */
    const unsigned want = n->want;
    const struct roost_str url[] = { ROOST_STR_LIT("https://bsky.app/profile/"),
                                     did, ROOST_STR_LIT("/post/"), rkey };
    p->id = post_uri(n, did, rkey);
    if (p->id.ptr == NULL) {
        return enomem(diag);
    }
    p->author.id = did;
    if (want & ROOST_WANT_DETAIL) {
        p->url = cat(n, url, 4);
        if (p->url.ptr == NULL) {
            return enomem(diag);
        }
    }
    struct roost_str text = ROOST_STR_NULL;
    if (want & (ROOST_WANT_TEXT | ROOST_WANT_ENTITIES)) {
        text = roost__norm_str(n, d, text_tok);
        if (text.ptr == NULL) {
            return enomem(diag);
        }
        if (want & ROOST_WANT_TEXT) {
            p->text = text;
        }
    }
    if (want & ROOST_WANT_DETAIL) {
        p->created_at_ms = roost__norm_time(d, f[RC_CREATED_AT]);
        if (p->created_at_ms == 0) {
            p->created_at_ms = ts_ms;
        }
        p->lang = roost__norm_str(n, d, roost_json_path(d, f[RC_LANGS], "0"));
        p->sensitive = self_labeled(d, f[RC_LABELS]);
    }

    uint32_t reply = f[RC_REPLY];
    struct roost_str parent =
        roost__norm_str(n, d, roost_json_path(d, reply, "parent.uri"));
    if (want & ROOST_WANT_DETAIL) {
        struct roost_str root =
            roost__norm_str(n, d, roost_json_path(d, reply, "root.uri"));
        p->conversation_id = root.ptr != NULL ? root : p->id;
    }
    int rc = 0;
    if (parent.ptr != NULL) {
        rc = add_ref(n, p, ROOST_REF_REPLY, parent);
    }
    if (rc == 0 && (want & ROOST_WANT_ENTITIES)) {
        rc = add_facets(n, p, d, f[RC_FACETS], text);
    }
    if (rc == 0 && (want & ROOST_WANT_ENTITIES)) {
        rc = add_record_tags(n, p, d, f[RC_TAGS]);
    }
    if (rc == 0) {
        rc = add_embed(n, p, d, f[RC_EMBED], did, want & ROOST_WANT_ENTITIES);
    }
    return rc < 0 ? enomem(diag) : 0;
}

static struct roost_ctl *add_ctl(struct roost_norm *n, enum roost_ctl_kind k,
                                 struct roost_str did, int64_t ts_ms)
{
    struct roost_ctl *c = roost__norm_add_ctl(n);
    if (c == NULL) {
        return NULL;
    }
    c->kind = (uint8_t)k;
    c->platform = ROOST_PLATFORM_BLUESKY;
    c->user_id = did;
    c->ts_ms = ts_ms;
    return c;
}

static int on_commit(struct roost_norm *n, const struct roost_json_doc *d,
                     uint32_t commit, struct roost_str did, int64_t ts_ms,
                     struct roost_diag *diag)
{
    uint32_t f[CM_N];
    roost_json_fields(d, commit, &cm_ks, f);
    struct roost_str coll = roost__norm_str(n, d, f[CM_COLLECTION]);
    struct roost_str op = roost__norm_str(n, d, f[CM_OPERATION]);
    struct roost_str rkey = roost__norm_str(n, d, f[CM_RKEY]);
    if (coll.ptr == NULL || op.ptr == NULL || rkey.ptr == NULL ||
        rkey.len == 0) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "jetstream: commit without collection, "
                              "operation or rkey");
    }
    bool is_post = str_eq(coll, POST_NSID);
    if (is_post && (str_eq(op, "create") || str_eq(op, "update"))) {
        return post_from_commit(n, d, f[CM_RECORD], did, rkey, ts_ms, diag);
    }
    struct roost_ctl *c;
    if (is_post && str_eq(op, "delete")) {
        c = add_ctl(n, ROOST_CTL_DELETE, did, ts_ms);
        if (c == NULL) {
            return enomem(diag);
        }
        c->post_id = post_uri(n, did, rkey);
        return c->post_id.ptr != NULL ? 0 : enomem(diag);
    }
    c = add_ctl(n, ROOST_CTL_OTHER, did, ts_ms);
    if (c == NULL) {
        return enomem(diag);
    }
    c->code = coll;
    c->reason = op;
    c->post_id =
        roost__norm_str(n, d, roost_json_path(d, f[CM_RECORD], "subject.uri"));
    return 0;
}

static int on_account(struct roost_norm *n, const struct roost_json_doc *d,
                      uint32_t acct, struct roost_str did, int64_t ts_ms,
                      struct roost_diag *diag)
{
    struct roost_str status =
        roost__norm_str(n, d, roost_json_get(d, acct, "status"));
    bool active = roost_json_bool(d, roost_json_get(d, acct, "active"));
    enum roost_ctl_kind k = !active && str_eq(status, "deleted")
                                ? ROOST_CTL_USER_DELETE
                                : ROOST_CTL_ACCOUNT;
    struct roost_ctl *c = add_ctl(n, k, did, ts_ms);
    if (c == NULL) {
        return enomem(diag);
    }
    c->code = active ? ROOST_STR_LIT("active") : ROOST_STR_LIT("inactive");
    c->reason = status;
    return 0;
}

int roost__fmt_jetstream(struct roost_norm *n, const struct roost_json_doc *d,
                         uint32_t root, struct roost_diag *diag)
{
    if (!roost_json_is(d, root, ROOST_JSON_OBJECT)) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "jetstream: event is not an object");
    }
    uint32_t f[EV_N];
    roost_json_fields(d, root, &ev_ks, f);
    struct roost_str did = roost__norm_str(n, d, f[EV_DID]);
    struct roost_str kind = roost__norm_str(n, d, f[EV_KIND]);
    if (did.ptr == NULL || did.len == 0 || kind.ptr == NULL) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "jetstream: event without did or kind");
    }
    int64_t time_us = 0;
    int64_t ts_ms = 0;
    if (roost_json_i64(d, f[EV_TIME_US], &time_us) && time_us > 0) {
        ts_ms = time_us / 1000;
    }
    if (str_eq(kind, "commit")) {
        return on_commit(n, d, f[EV_COMMIT], did, ts_ms, diag);
    }
    if (str_eq(kind, "account")) {
        return on_account(n, d, f[EV_ACCOUNT], did, ts_ms, diag);
    }
    enum roost_ctl_kind k =
        str_eq(kind, "identity") ? ROOST_CTL_IDENTITY : ROOST_CTL_OTHER;
    struct roost_ctl *c = add_ctl(n, k, did, ts_ms);
    if (c == NULL) {
        return enomem(diag);
    }
    if (k == ROOST_CTL_IDENTITY) {
        c->reason =
            roost__norm_str(n, d, roost_json_get(d, f[EV_IDENTITY], "handle"));
    } else {
        c->code = kind;
    }
    return 0;
}
