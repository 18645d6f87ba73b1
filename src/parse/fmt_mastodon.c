/* SPDX-License-Identifier: MIT
 *
 * fmt_mastodon.c - Mastodon statuses, REST answers and streaming events.
 *
 * What a record may be, and what it gives:
 *   a Status {id, content, account, ...}  -> one post, plus referenced posts
 *     (the reblogged status, the quoted status) each with referenced=true;
 *   a streaming event {"event", "payload"} -> update / status.update: the
 *     Status in payload, which is a JSON string (SSE, WebSocket) parsed
 *     into n->sub, or an object (Redis pub/sub framing); delete: the bare
 *     id -> ROOST_CTL_DELETE; anything else (notification, conversation,
 *     filters_changed, announcement...) -> ROOST_CTL_OTHER, code = event;
 *   v2 search {"statuses": [...]}  -> every status (accounts, hashtags
 *     skipped); a context {"ancestors", "descendants"} -> every status;
 *   a Notification {type, account, status?} -> ROOST_CTL_OTHER, code
 *     "notification", reason = type, post_id = status id. Its status is not
 *     emitted: a mention also reaches the user stream as its own `update`,
 *     and favourite/reblog/poll notifications carry the user's own post, so
 *     emitting it would count posts twice;
 *   a StatusEdit (history item: content + account, no id) -> ROOST_CTL_OTHER
 *     "status.edit"; an Account -> "account"; a trending Tag -> "tag"; a
 *     trending link / PreviewCard -> "link". Anything else is EPARSE.
 * Top-level arrays (timelines, history, notifications) are split by
 * roost_norm_record(), one item per call.
 *
 * Post fields. text is content through roost__html_to_text() (see html.c:
 * invisible URL parts kept, paragraphs "\n\n"); a non-empty spoiler_text
 * (content warning) is prepended as "<spoiler>\n\n<content>", the way
 * Mastodon's web client builds its search text, so filters see both, and
 * `sensitive` is copied. A boost's wrapper keeps its own (empty) content and
 * gets a ROOST_REF_RETWEET; the boosted status is the referenced post.
 * url is the status url (uri for remote statuses without one); source is
 * application.name; counts are reblogs/favourites/replies/quotes_count.
 * author: id, acct (as handle, user@domain for remote), display_name,
 * note (HTML to text), avatar, followers/following/statuses_count,
 * created_at. `bot` has no place in the model and is dropped.
 *
 * Entities. Hashtags are tags[].name, which Mastodon lowercases (content
 * keeps the author's casing); mentions are mentions[] with text = acct and
 * expanded = account id; urls are the content's <a href> anchors that are
 * not mention or hashtag links (text = the anchor's displayed text, full
 * URL since invisible spans are kept; expanded = href), then card.url when
 * no anchor had it (without offsets). Offsets are found by searching the
 * text left to right for "#name" (ASCII case-insensitive, ending at a word
 * boundary), "@username" and the link text; an entity not found has
 * start = end = ROOST_NO_INDEX. Media: media_attachments (type, url, alt =
 * description).
 *
 * Mastodon 4.4+ also writes a quote fallback into content, <span
 * class="quote-inline"><br><br>RE: <a href=...>...</a></span>; it is kept
 * (text and link), as clients without quote support show it.
 *
 * roost_norm.want: ids, author id and acct, and refs (reply, reblog,
 * quote) are always read, and referenced posts always emitted. Entity
 * offsets index the text, so content goes through roost__html_to_text()
 * when TEXT or ENTITIES is wanted, but the post keeps it only for TEXT;
 * tags, mentions, links, card and media only for ENTITIES; the profile
 * (display name, note through HTML to text, avatar, counts) only for
 * PROFILE; created_at, language, url, application, sensitive and the
 * counts only for DETAIL.
 *
 * Strings from n->sub live in its own scratch or in the payload (itself in
 * the outer doc's scratch): all of them lie outside [in_lo, in_hi), so the
 * helpers copy them into the arena and posts outlive the next sub parse.
 */
#include <string.h>

#include "parse/post_int.h"

#define MAX_NEST 3 /* status -> reblog -> quote; Mastodon sends no deeper */

/* ---- small helpers ------------------------------------------------------- */

static bool str_eq(struct roost_str s, const char *c)
{
    return s.ptr != NULL && roost_str_eq_cstr(s, c);
}

static bool has(const struct roost_json_doc *d, uint32_t o, const char *k)
{
    return roost_json_get(d, o, k) != ROOST_JSON_NONE;
}

static int enomem(struct roost_diag *diag)
{
    return roost_diag_set(diag, ROOST_ERR(ROOST_ENOMEM), 0,
                          "mastodon: arena exhausted");
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || (unsigned char)c >= 0x80;
}

/*
 * Byte offset of sigil+word (or of word alone when sigil is 0) in text at
 * or after `from`, or SIZE_MAX. icase folds ASCII; bounded requires a
 * non-word character (or the end) after the match.
 */
static size_t find(struct roost_str text, size_t from, char sigil,
                   struct roost_str word, bool icase, bool bounded)
{
    size_t need = word.len + (sigil ? 1 : 0);
    if (word.len == 0 || text.len < need) {
        return SIZE_MAX;
    }
    for (size_t i = from; i + need <= text.len; i++) {
        const char *t = text.ptr + i;
        if (sigil && t[0] != sigil) {
            continue;
        }
        const char *w = t + (sigil ? 1 : 0);
        size_t k = 0;
        while (k < word.len && (icase ? lower(w[k]) == lower(word.ptr[k])
                                      : w[k] == word.ptr[k])) {
            k++;
        }
        if (k < word.len) {
            continue;
        }
        if (bounded && i + need < text.len && word_char(t[need])) {
            continue;
        }
        return i;
    }
    return SIZE_MAX;
}

/* Set e's code point span for bytes [b, b + len) of text, or NO_INDEX. */
static void place(struct roost_entity *e, struct roost_str text, size_t b,
                  size_t len)
{
    if (b == SIZE_MAX) {
        e->start = e->end = ROOST_NO_INDEX;
        return;
    }
    e->start = roost__cp_offset(text, b);
    e->end = e->start + (uint32_t)roost_utf8_count(text.ptr + b, len);
}

/* ---- anchors in content -------------------------------------------------- */

struct anchor {
    struct roost_str href;  /* raw attribute value, entities not decoded */
    struct roost_str klass; /* raw class attribute */
    struct roost_str inner; /* HTML between <a ...> and </a> */
};

/* Value of attribute `name` in tag[0..len), quoted with " or '. */
static struct roost_str attr(const char *tag, size_t len, const char *name)
{
    size_t nl = strlen(name);
    for (size_t i = 0; i + nl + 2 < len; i++) {
        if ((tag[i] != ' ' && tag[i] != '\t' && tag[i] != '\n') ||
            memcmp(tag + i + 1, name, nl) != 0 || tag[i + 1 + nl] != '=') {
            continue;
        }
        size_t v = i + nl + 2;
        char q = tag[v];
        if (q != '"' && q != '\'') {
            continue;
        }
        const char *end = memchr(tag + v + 1, q, len - v - 1);
        if (end == NULL) {
            return ROOST_STR_NULL;
        }
        return roost_str_make(tag + v + 1, (size_t)(end - (tag + v + 1)));
    }
    return ROOST_STR_NULL;
}

/* Next <a ...>...</a> in html at or after *pos; false when none is left. */
static bool next_anchor(struct roost_str html, size_t *pos, struct anchor *a)
{
    const char *s = html.ptr;
    size_t len = html.len;
    for (size_t i = *pos; i + 2 < len; i++) {
        if (s[i] != '<' || lower(s[i + 1]) != 'a' ||
            (s[i + 2] != ' ' && s[i + 2] != '>' && s[i + 2] != '\t' &&
             s[i + 2] != '\n')) {
            continue;
        }
        const char *gt = memchr(s + i, '>', len - i);
        if (gt == NULL) {
            return false;
        }
        size_t tag_len = (size_t)(gt - (s + i));
        size_t in = tag_len + i + 1;
        size_t close = in;
        while (close + 3 < len &&
               !(s[close] == '<' && s[close + 1] == '/' &&
                 lower(s[close + 2]) == 'a' && s[close + 3] == '>')) {
            close++;
        }
        if (close + 3 >= len) {
            return false; /* unterminated anchor: no more links */
        }
        a->href = attr(s + i, tag_len, "href");
        a->klass = attr(s + i, tag_len, "class");
        a->inner = roost_str_make(s + in, close - in);
        *pos = close + 4;
        return true;
    }
    return false;
}

static bool has_class(struct roost_str klass, const char *name)
{
    struct roost_str w = roost_str_cstr(name);
    for (size_t at = 0; at < klass.len;) {
        size_t i = find(klass, at, 0, w, false, true);
        if (i == SIZE_MAX) {
            return false;
        }
        if (i == 0 || klass.ptr[i - 1] == ' ') {
            return true;
        }
        at = i + 1;
    }
    return false;
}

static bool has_url(const struct roost_post *p, struct roost_str url)
{
    for (uint32_t i = 0; i < p->n_urls; i++) {
        if (roost_str_eq(p->urls[i].expanded, url)) {
            return true;
        }
    }
    return false;
}

static int add_links(struct roost_norm *n, struct roost_post *p,
                     struct roost_str html, struct roost_str text)
{
    size_t pos = 0, cursor = 0;
    struct anchor a;
    while (next_anchor(html, &pos, &a)) {
        if (a.href.ptr == NULL || a.href.len == 0 ||
            has_class(a.klass, "mention") || has_class(a.klass, "hashtag")) {
            continue;
        }
        struct roost_str href = roost__html_unescape(n, a.href);
        struct roost_str shown = roost__html_to_text(n, a.inner);
        if (href.ptr == NULL || shown.ptr == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        struct roost_entity *e =
            roost__norm_push(n, (void **)&p->urls, &p->n_urls, sizeof(*e));
        if (e == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        e->expanded = href;
        e->text = shown.len > 0 ? shown : href;
        size_t b = find(text, cursor, 0, shown, false, false);
        place(e, text, b, shown.len);
        if (b != SIZE_MAX) {
            cursor = b + shown.len;
        }
    }
    return 0;
}

/* ---- one status ---------------------------------------------------------- */

/* text: the post's text, also when the post does not keep it (want). */
static int add_tags(struct roost_norm *n, struct roost_post *p,
                    const struct roost_json_doc *d, uint32_t st,
                    struct roost_str text)
{
    uint32_t tags = roost_json_get(d, st, "tags");
    if (!roost_json_is(d, tags, ROOST_JSON_ARRAY)) {
        return 0;
    }
    size_t cursor = 0;
    for (uint32_t t = tags + 1; t < d->toks[tags].next;
         t = roost_json_next_sibling(d, t)) {
        struct roost_str name =
            roost__norm_str(n, d, roost_json_get(d, t, "name"));
        if (name.ptr == NULL || name.len == 0) {
            continue;
        }
        struct roost_entity *e = roost__norm_push(n, (void **)&p->hashtags,
                                                  &p->n_hashtags, sizeof(*e));
        if (e == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        e->text = name;
        e->expanded = roost__norm_str(n, d, roost_json_get(d, t, "url"));
        size_t b = find(text, cursor, '#', name, true, true);
        if (b == SIZE_MAX && cursor > 0) {
            b = find(text, 0, '#', name, true, true); /* out of order */
        }
        place(e, text, b, name.len + 1);
        if (b != SIZE_MAX) {
            cursor = b + name.len + 1;
        }
    }
    return 0;
}

static int add_mentions(struct roost_norm *n, struct roost_post *p,
                        const struct roost_json_doc *d, uint32_t st,
                        struct roost_str text)
{
    uint32_t ms = roost_json_get(d, st, "mentions");
    if (!roost_json_is(d, ms, ROOST_JSON_ARRAY)) {
        return 0;
    }
    size_t cursor = 0;
    for (uint32_t m = ms + 1; m < d->toks[ms].next;
         m = roost_json_next_sibling(d, m)) {
        struct roost_str acct =
            roost__norm_str(n, d, roost_json_get(d, m, "acct"));
        struct roost_str user =
            roost_json_str(d, roost_json_get(d, m, "username"));
        if (acct.ptr == NULL || acct.len == 0) {
            continue;
        }
        struct roost_entity *e = roost__norm_push(n, (void **)&p->mentions,
                                                  &p->n_mentions, sizeof(*e));
        if (e == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        e->text = acct;
        e->expanded = roost__norm_text(n, d, roost_json_get(d, m, "id"));
        /* Content shows "@username"; fall back to the full acct. */
        size_t b = find(text, cursor, '@', user, true, true);
        size_t blen = user.len + 1;
        if (b == SIZE_MAX) {
            b = find(text, cursor, '@', acct, true, true);
            blen = acct.len + 1;
        }
        place(e, text, b, blen);
        if (b != SIZE_MAX) {
            cursor = b + blen;
        }
    }
    return 0;
}

static int add_media(struct roost_norm *n, struct roost_post *p,
                     const struct roost_json_doc *d, uint32_t st)
{
    uint32_t ma = roost_json_get(d, st, "media_attachments");
    if (!roost_json_is(d, ma, ROOST_JSON_ARRAY)) {
        return 0;
    }
    for (uint32_t a = ma + 1; a < d->toks[ma].next;
         a = roost_json_next_sibling(d, a)) {
        struct roost_media *m =
            roost__norm_push(n, (void **)&p->media, &p->n_media, sizeof(*m));
        if (m == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        m->id = roost__norm_text(n, d, roost_json_get(d, a, "id"));
        m->type = roost__norm_str(n, d, roost_json_get(d, a, "type"));
        m->url = roost__norm_str(n, d, roost_json_get(d, a, "url"));
        if (m->url.ptr == NULL) {
            m->url = roost__norm_str(n, d, roost_json_get(d, a, "remote_url"));
        }
        if (m->url.ptr == NULL) {
            m->url = roost__norm_str(n, d, roost_json_get(d, a, "preview_url"));
        }
        m->alt = roost__norm_str(n, d, roost_json_get(d, a, "description"));
    }
    return 0;
}

static int add_ref(struct roost_norm *n, struct roost_post *p,
                   const struct roost_json_doc *d, enum roost_ref_type type,
                   uint32_t id_tok, uint32_t account)
{
    struct roost_str id = roost__norm_text(n, d, id_tok);
    if (id.ptr == NULL || id.len == 0) {
        return 0;
    }
    struct roost_ref *r =
        roost__norm_push(n, (void **)&p->refs, &p->n_refs, sizeof(*r));
    if (r == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    r->type = (uint8_t)type;
    r->id = id;
    r->author_id = roost__norm_text(n, d, roost_json_get(d, account, "id"));
    r->author_handle =
        roost__norm_str(n, d, roost_json_get(d, account, "acct"));
    return 0;
}

static void fill_author(struct roost_norm *n, struct roost_author *a,
                        const struct roost_json_doc *d, uint32_t acct)
{
    a->id = roost__norm_text(n, d, roost_json_get(d, acct, "id"));
    a->handle = roost__norm_str(n, d, roost_json_get(d, acct, "acct"));
    if (!(n->want & ROOST_WANT_PROFILE)) {
        return;
    }
    a->name = roost__norm_str(n, d, roost_json_get(d, acct, "display_name"));
    a->description = roost__html_to_text(
        n, roost__norm_str(n, d, roost_json_get(d, acct, "note")));
    a->profile_image_url =
        roost__norm_str(n, d, roost_json_get(d, acct, "avatar"));
    a->followers = roost__norm_count(d, acct, "followers_count");
    a->following = roost__norm_count(d, acct, "following_count");
    a->posts = roost__norm_count(d, acct, "statuses_count");
    a->created_at_ms =
        roost__norm_time(d, roost_json_get(d, acct, "created_at"));
}

/* The post text: "<spoiler>\n\n<content as text>" or the content alone. */
static struct roost_str status_text(struct roost_norm *n,
                                    const struct roost_json_doc *d, uint32_t st)
{
    struct roost_str html =
        roost__norm_str(n, d, roost_json_get(d, st, "content"));
    struct roost_str body = roost__html_to_text(n, html);
    struct roost_str cw =
        roost_json_str(d, roost_json_get(d, st, "spoiler_text"));
    if (cw.len == 0) {
        return body.ptr != NULL ? body : ROOST_STR_LIT("");
    }
    char *out = roost_arena_alloc(&n->arena, cw.len + 2 + body.len + 1);
    if (out == NULL) {
        return ROOST_STR_NULL;
    }
    memcpy(out, cw.ptr, cw.len);
    memcpy(out + cw.len, "\n\n", 2);
    if (body.len > 0) {
        memcpy(out + cw.len + 2, body.ptr, body.len);
    }
    out[cw.len + 2 + body.len] = '\0';
    return roost_str_make(out, cw.len + 2 + body.len);
}

/* The quoted Status object of st, if the payload carries it. Mastodon 4.4+
 * sends quote = {state, quoted_status | quoted_status_id}; some forks
 * (Fedibird) send the Status itself as `quote`. */
static uint32_t quoted_status(const struct roost_json_doc *d, uint32_t quote)
{
    uint32_t qs = roost_json_get(d, quote, "quoted_status");
    if (roost_json_is(d, qs, ROOST_JSON_OBJECT)) {
        return qs;
    }
    if (has(d, quote, "content") && has(d, quote, "account")) {
        return quote;
    }
    return ROOST_JSON_NONE;
}

static int status_post(struct roost_norm *n, const struct roost_json_doc *d,
                       uint32_t st, bool referenced, int depth,
                       struct roost_diag *diag);

/* text, html: the post's text and content, NULL views when not wanted. */
static int fill_status(struct roost_norm *n, struct roost_post *p,
                       const struct roost_json_doc *d, uint32_t st,
                       struct roost_str text, struct roost_str html)
{
    const unsigned want = n->want;
    uint32_t acct = roost_json_get(d, st, "account");
    fill_author(n, &p->author, d, acct);
    if (want & ROOST_WANT_DETAIL) {
        p->created_at_ms =
            roost__norm_time(d, roost_json_get(d, st, "created_at"));
        p->lang = roost__norm_str(n, d, roost_json_get(d, st, "language"));
        p->url = roost__norm_str(n, d, roost_json_get(d, st, "url"));
        if (p->url.ptr == NULL) {
            p->url = roost__norm_str(n, d, roost_json_get(d, st, "uri"));
        }
        p->source =
            roost__norm_str(n, d, roost_json_path(d, st, "application.name"));
        p->sensitive = roost_json_bool(d, roost_json_get(d, st, "sensitive"));
        p->retweets = roost__norm_count(d, st, "reblogs_count");
        p->likes = roost__norm_count(d, st, "favourites_count");
        p->replies = roost__norm_count(d, st, "replies_count");
        p->quotes = roost__norm_count(d, st, "quotes_count");
    }

    int rc = add_ref(n, p, d, ROOST_REF_REPLY,
                     roost_json_get(d, st, "in_reply_to_id"), ROOST_JSON_NONE);
    if (rc == 0 && p->n_refs > 0) {
        p->refs[0].author_id = roost__norm_text(
            n, d, roost_json_get(d, st, "in_reply_to_account_id"));
    }
    uint32_t reblog = roost_json_get(d, st, "reblog");
    if (rc == 0 && roost_json_is(d, reblog, ROOST_JSON_OBJECT)) {
        rc =
            add_ref(n, p, d, ROOST_REF_RETWEET, roost_json_get(d, reblog, "id"),
                    roost_json_get(d, reblog, "account"));
    }
    uint32_t quote = roost_json_get(d, st, "quote");
    if (rc == 0 && roost_json_is(d, quote, ROOST_JSON_OBJECT)) {
        uint32_t qs = quoted_status(d, quote);
        rc =
            qs != ROOST_JSON_NONE
                ? add_ref(n, p, d, ROOST_REF_QUOTE, roost_json_get(d, qs, "id"),
                          roost_json_get(d, qs, "account"))
                : add_ref(n, p, d, ROOST_REF_QUOTE,
                          roost_json_get(d, quote, "quoted_status_id"),
                          ROOST_JSON_NONE);
    }
    if (rc < 0 || !(want & ROOST_WANT_ENTITIES)) {
        return rc;
    }
    rc = add_tags(n, p, d, st, text);
    if (rc == 0) {
        rc = add_mentions(n, p, d, st, text);
    }
    if (rc == 0 && html.ptr != NULL) {
        rc = add_links(n, p, html, text);
    }
    struct roost_str card =
        roost__norm_str(n, d, roost_json_path(d, st, "card.url"));
    if (rc == 0 && card.len > 0 && !has_url(p, card)) {
        struct roost_entity *e =
            roost__norm_push(n, (void **)&p->urls, &p->n_urls, sizeof(*e));
        if (e == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        e->text = e->expanded = card;
        e->start = e->end = ROOST_NO_INDEX;
    }
    if (rc == 0) {
        rc = add_media(n, p, d, st);
    }
    return rc;
}

static int status_post(struct roost_norm *n, const struct roost_json_doc *d,
                       uint32_t st, bool referenced, int depth,
                       struct roost_diag *diag)
{
    struct roost_str id = roost__norm_text(n, d, roost_json_get(d, st, "id"));
    if (id.ptr == NULL || id.len == 0) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "mastodon: status without id");
    }
    struct roost_post *p = roost__norm_add_post(n);
    if (p == NULL) {
        return enomem(diag);
    }
    p->format = ROOST_FMT_MASTODON;
    p->platform = ROOST_PLATFORM_MASTODON;
    p->entities_delivered = true; /* facets / tags are authoritative */
    p->referenced = referenced;
    p->id = id;
    const unsigned want = n->want;
    struct roost_str text = ROOST_STR_NULL, html = ROOST_STR_NULL;
    if (want & (ROOST_WANT_TEXT | ROOST_WANT_ENTITIES)) {
        text = status_text(n, d, st);
        if (text.ptr == NULL) {
            return enomem(diag);
        }
        if (want & ROOST_WANT_TEXT) {
            p->text = text;
        }
    }
    if (want & ROOST_WANT_ENTITIES) {
        html = roost__norm_str(n, d, roost_json_get(d, st, "content"));
    }
    if (fill_status(n, p, d, st, text, html) < 0) {
        return enomem(diag);
    }
    /* p may move from here on: referenced posts grow n->posts. */
    if (depth >= MAX_NEST) {
        return 0;
    }
    uint32_t reblog = roost_json_get(d, st, "reblog");
    if (roost_json_is(d, reblog, ROOST_JSON_OBJECT)) {
        int rc = status_post(n, d, reblog, true, depth + 1, diag);
        if (rc < 0) {
            return rc;
        }
    }
    uint32_t quote = roost_json_get(d, st, "quote");
    uint32_t qs = roost_json_is(d, quote, ROOST_JSON_OBJECT)
                      ? quoted_status(d, quote)
                      : ROOST_JSON_NONE;
    if (qs != ROOST_JSON_NONE) {
        return status_post(n, d, qs, true, depth + 1, diag);
    }
    return 0;
}

/* ---- other entities and events ------------------------------------------- */

static struct roost_ctl *add_other(struct roost_norm *n, const char *code,
                                   int64_t ts_ms)
{
    struct roost_ctl *c = roost__norm_add_ctl(n);
    if (c == NULL) {
        return NULL;
    }
    c->kind = ROOST_CTL_OTHER;
    c->platform = ROOST_PLATFORM_MASTODON;
    c->code = roost_str_cstr(code);
    c->ts_ms = ts_ms;
    return c;
}

static int notification(struct roost_norm *n, const struct roost_json_doc *d,
                        uint32_t o, struct roost_str code, int64_t ts_ms,
                        struct roost_diag *diag)
{
    struct roost_ctl *c = add_other(n, "notification", ts_ms);
    if (c == NULL) {
        return enomem(diag);
    }
    c->code = code;
    c->reason = roost__norm_str(n, d, roost_json_get(d, o, "type"));
    c->user_id = roost__norm_text(n, d, roost_json_path(d, o, "account.id"));
    c->post_id = roost__norm_text(n, d, roost_json_path(d, o, "status.id"));
    if (c->ts_ms == 0) {
        c->ts_ms = roost__norm_time(d, roost_json_get(d, o, "created_at"));
    }
    return 0;
}

static int statuses_in(struct roost_norm *n, const struct roost_json_doc *d,
                       uint32_t arr, struct roost_diag *diag)
{
    if (!roost_json_is(d, arr, ROOST_JSON_ARRAY)) {
        return 0;
    }
    for (uint32_t s = arr + 1; s < d->toks[arr].next;
         s = roost_json_next_sibling(d, s)) {
        int rc = status_post(n, d, s, false, 0, diag);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static int entity(struct roost_norm *n, const struct roost_json_doc *d,
                  uint32_t o, struct roost_diag *diag)
{
    if (has(d, o, "content") && has(d, o, "account")) {
        if (has(d, o, "id")) {
            return status_post(n, d, o, false, 0, diag);
        }
        int64_t ts = roost__norm_time(d, roost_json_get(d, o, "created_at"));
        struct roost_ctl *c = add_other(n, "status.edit", ts);
        if (c == NULL) {
            return enomem(diag);
        }
        c->user_id =
            roost__norm_text(n, d, roost_json_path(d, o, "account.id"));
        return 0;
    }
    if (roost_json_is(d, roost_json_get(d, o, "statuses"), ROOST_JSON_ARRAY)) {
        return statuses_in(n, d, roost_json_get(d, o, "statuses"), diag);
    }
    if (has(d, o, "ancestors") || has(d, o, "descendants")) {
        int rc = statuses_in(n, d, roost_json_get(d, o, "ancestors"), diag);
        return rc < 0 ? rc
                      : statuses_in(n, d, roost_json_get(d, o, "descendants"),
                                    diag);
    }
    if (has(d, o, "type") && has(d, o, "account")) {
        return notification(n, d, o, ROOST_STR_LIT("notification"), 0, diag);
    }
    const char *code = NULL;
    if (has(d, o, "acct") && has(d, o, "username")) {
        code = "account";
    } else if (has(d, o, "name") && has(d, o, "history")) {
        code = "tag";
    } else if (has(d, o, "url") &&
               (has(d, o, "history") || has(d, o, "provider_name"))) {
        code = "link";
    }
    if (code == NULL) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "mastodon: not a status, event or known "
                              "entity");
    }
    struct roost_ctl *c = add_other(n, code, 0);
    if (c == NULL) {
        return enomem(diag);
    }
    if (code[0] == 'a') {
        c->user_id = roost__norm_text(n, d, roost_json_get(d, o, "id"));
    } else {
        c->reason = roost__norm_str(
            n, d, roost_json_get(d, o, code[0] == 't' ? "name" : "url"));
    }
    return 0;
}

/*
 * The payload object of a streaming event: the token itself (Redis
 * framing) or, for a JSON string (SSE, WebSocket), root of n->sub after
 * parsing it. Sets *pd to the doc holding it.
 */
static int payload_object(struct roost_norm *n, const struct roost_json_doc *d,
                          uint32_t payload, const struct roost_json_doc **pd,
                          uint32_t *obj, struct roost_diag *diag)
{
    if (roost_json_is(d, payload, ROOST_JSON_OBJECT)) {
        *pd = d;
        *obj = payload;
        return 0;
    }
    struct roost_str s = roost_json_str(d, payload);
    if (s.ptr == NULL || d == &n->sub) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "mastodon: event payload is not a status");
    }
    int rc = roost_json_parse(&n->sub, s.ptr, s.len, diag);
    if (rc < 0) {
        return rc == ROOST_ENOMEM || rc == ROOST_ELIMIT
                   ? rc
                   : ROOST_ERR(ROOST_EPARSE);
    }
    if (!roost_json_is(&n->sub, 0, ROOST_JSON_OBJECT)) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "mastodon: event payload is not an object");
    }
    *pd = &n->sub;
    *obj = 0;
    return 0;
}

int roost__mastodon_event(struct roost_norm *n, struct roost_str ev,
                          const struct roost_json_doc *d, uint32_t payload,
                          int64_t ts_ms, struct roost_diag *diag)
{
    const struct roost_json_doc *pd;
    uint32_t obj;
    if (str_eq(ev, "update") || str_eq(ev, "status.update")) {
        int rc = payload_object(n, d, payload, &pd, &obj, diag);
        return rc < 0 ? rc : status_post(n, pd, obj, false, 0, diag);
    }
    if (str_eq(ev, "delete")) {
        struct roost_ctl *c = roost__norm_add_ctl(n);
        if (c == NULL) {
            return enomem(diag);
        }
        c->kind = ROOST_CTL_DELETE;
        c->platform = ROOST_PLATFORM_MASTODON;
        c->post_id = roost__norm_text(n, d, payload);
        c->ts_ms = ts_ms;
        if (c->post_id.ptr == NULL) {
            n->n_ctls--;
            return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                                  "mastodon: delete without an id");
        }
        return 0;
    }
    if (str_eq(ev, "notification") &&
        payload_object(n, d, payload, &pd, &obj, NULL) == 0) {
        return notification(n, pd, obj, ev, ts_ms, diag);
    }
    struct roost_ctl *c = add_other(n, "", ts_ms);
    if (c == NULL) {
        return enomem(diag);
    }
    c->code = roost__norm_stable(n, ev);
    return c->code.ptr != NULL ? 0 : enomem(diag);
}

static int event(struct roost_norm *n, const struct roost_json_doc *d,
                 uint32_t o, struct roost_diag *diag)
{
    struct roost_str ev = roost__norm_str(n, d, roost_json_get(d, o, "event"));
    uint32_t payload = roost_json_get(d, o, "payload");
    int64_t ts_ms = 0;
    if (!roost_json_i64(d, roost_json_get(d, o, "queued_at"), &ts_ms)) {
        ts_ms = 0;
    }
    return roost__mastodon_event(n, ev, d, payload, ts_ms, diag);
}

int roost__fmt_mastodon(struct roost_norm *n, const struct roost_json_doc *d,
                        uint32_t root, struct roost_diag *diag)
{
    if (!roost_json_is(d, root, ROOST_JSON_OBJECT)) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "mastodon: record is not an object");
    }
    uint32_t ev = roost_json_get(d, root, "event");
    if (roost_json_is(d, ev, ROOST_JSON_STRING)) {
        return event(n, d, root, diag);
    }
    return entity(n, d, root, diag);
}
