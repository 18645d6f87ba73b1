/* SPDX-License-Identifier: MIT
 *
 * post.c - the normalizer: format detection, dispatch, and the arena
 * helpers every wire-format file uses.
 *
 * A record is parsed once (json.c) into a tape; roost_norm_record() detects
 * its format from a few top-level keys and hands the tape to one fmt_*.c
 * file. Those files build posts with the helpers here, which keep every
 * string either as a view into the input bytes (the common case: zero
 * copy) or as a copy in the arena. On error the counts are rolled back so
 * a failed record appends nothing.
 */
#include <stdio.h>
#include <string.h>

#include "core/mem.h"
#include "parse/entities.h"
#include "parse/json_fields.h"
#include "parse/post_int.h"

#define NORM_CHUNK_BYTES (64u << 10)
#define NORM_MAX_BYTES (256u << 20)

void roost_norm_init(struct roost_norm *n)
{
    memset(n, 0, sizeof(*n));
    roost_arena_init(&n->arena, NORM_CHUNK_BYTES, NORM_MAX_BYTES);
    roost_json_doc_init(&n->sub, ROOST_JSON_DEFAULT_DEPTH, 64u << 20);
    n->extract_missing = true;
    n->want = ROOST_WANT_ALL;
}

void roost_norm_fini(struct roost_norm *n)
{
    roost_arena_fini(&n->arena);
    roost_json_doc_fini(&n->sub);
    memset(n, 0, sizeof(*n));
}

void roost_norm_reset(struct roost_norm *n)
{
    roost_arena_reset(&n->arena);
    n->posts = NULL;
    n->n_posts = 0;
    n->cap_posts = 0;
    n->ctls = NULL;
    n->n_ctls = 0;
    n->cap_ctls = 0;
}

/* ---- arena helpers ------------------------------------------------------ */

static void *grow(struct roost_norm *n, void *arr, uint32_t count,
                  uint32_t *cap, size_t elem)
{
    if (count < *cap) {
        return arr;
    }
    uint32_t ncap = *cap ? *cap * 2 : 4;
    void *na = roost_arena_alloc(&n->arena, (size_t)ncap * elem);
    if (na == NULL) {
        return NULL;
    }
    if (count > 0) {
        memcpy(na, arr, (size_t)count * elem);
    }
    *cap = ncap;
    return na;
}

struct roost_post *roost__norm_add_post(struct roost_norm *n)
{
    struct roost_post *np = grow(n, n->posts, n->n_posts, &n->cap_posts,
                                 sizeof(*np));
    if (np == NULL) {
        return NULL;
    }
    n->posts = np;
    struct roost_post *p = &np[n->n_posts++];
    memset(p, 0, sizeof(*p));
    p->retweets = p->likes = p->replies = p->quotes = ROOST_UNKNOWN_COUNT;
    p->author.followers = p->author.following = ROOST_UNKNOWN_COUNT;
    p->author.posts = ROOST_UNKNOWN_COUNT;
    return p;
}

struct roost_ctl *roost__norm_add_ctl(struct roost_norm *n)
{
    struct roost_ctl *nc = grow(n, n->ctls, n->n_ctls, &n->cap_ctls,
                                sizeof(*nc));
    if (nc == NULL) {
        return NULL;
    }
    n->ctls = nc;
    struct roost_ctl *c = &nc[n->n_ctls++];
    memset(c, 0, sizeof(*c));
    return c;
}

void *roost__norm_push(struct roost_norm *n, void **arr, uint32_t *count,
                       size_t elem_size)
{
    /* Capacity is implicit: powers of two from 4, so a push at a power of
     * two (>= 4) or at 0 reallocates. Arrays only ever grow by push. */
    uint32_t c = *count;
    if (c == 0 || (c >= 4 && (c & (c - 1)) == 0)) {
        uint32_t ncap = c == 0 ? 4 : c * 2;
        void *na = roost_arena_alloc(&n->arena, (size_t)ncap * elem_size);
        if (na == NULL) {
            return NULL;
        }
        if (c > 0) {
            memcpy(na, *arr, (size_t)c * elem_size);
        }
        *arr = na;
    }
    char *e = (char *)*arr + (size_t)c * elem_size;
    memset(e, 0, elem_size);
    *count = c + 1;
    return e;
}

struct roost_str roost__norm_dup(struct roost_norm *n, const char *p,
                                 size_t len)
{
    char *d = roost_arena_dup(&n->arena, p, len);
    if (d == NULL) {
        return ROOST_STR_NULL;
    }
    return roost_str_make(d, len);
}

struct roost_str roost__norm_stable(struct roost_norm *n, struct roost_str s)
{
    if (s.ptr == NULL) {
        return s;
    }
    if (s.ptr >= n->in_lo && s.ptr + s.len <= n->in_hi) {
        return s;
    }
    return roost__norm_dup(n, s.ptr, s.len);
}

struct roost_str roost__norm_str(struct roost_norm *n,
                                 const struct roost_json_doc *d, uint32_t i)
{
    return roost__norm_stable(n, roost_json_str(d, i));
}

struct roost_str roost__norm_text(struct roost_norm *n,
                                  const struct roost_json_doc *d, uint32_t i)
{
    return roost__norm_stable(n, roost_json_text(d, i));
}

int64_t roost__norm_count(const struct roost_json_doc *d, uint32_t obj,
                          const char *key)
{
    int64_t v;
    uint32_t i = roost_json_get(d, obj, key);
    if (i == ROOST_JSON_NONE || !roost_json_i64(d, i, &v)) {
        return ROOST_UNKNOWN_COUNT;
    }
    return v;
}

int64_t roost__norm_time(const struct roost_json_doc *d, uint32_t i)
{
    struct roost_str s = roost_json_str(d, i);
    int64_t ms = 0;
    if (s.ptr == NULL || roost_time_parse(s.ptr, s.len, &ms) < 0) {
        return 0;
    }
    return ms;
}

uint32_t roost__cp_offset(struct roost_str s, size_t b)
{
    if (b > s.len) {
        b = s.len;
    }
    return (uint32_t)roost_utf8_count(s.ptr, b);
}

/* ---- entities from text --------------------------------------------------- */

#define EXTRACT_MAX 256

int roost__norm_extract(struct roost_norm *n, struct roost_post *p,
                        unsigned kinds)
{
    if (p->entities_delivered) {
        return 0; /* the platform's own entities are authoritative */
    }
    if (p->n_hashtags > 0) {
        kinds &= ~(unsigned)ROOST_ENT_HASHTAG;
    }
    if (p->n_mentions > 0) {
        kinds &= ~(unsigned)ROOST_ENT_MENTION;
    }
    if (p->n_urls > 0) {
        kinds &= ~(unsigned)ROOST_ENT_URL;
    }
    if (p->n_cashtags > 0) {
        kinds &= ~(unsigned)ROOST_ENT_CASHTAG;
    }
    if (kinds == 0 || p->text.len == 0) {
        return 0;
    }
    struct roost_extracted ex[EXTRACT_MAX];
    int found = roost_entities_extract(p->text.ptr, p->text.len, kinds, ex,
                                       EXTRACT_MAX);
    if (found < 0) {
        return 0; /* text that cannot be scanned simply has no entities */
    }
    size_t m = (size_t)found < EXTRACT_MAX ? (size_t)found : EXTRACT_MAX;
    for (size_t i = 0; i < m; i++) {
        struct roost_entity *e;
        switch (ex[i].kind) {
        case ROOST_ENT_HASHTAG:
            e = roost__norm_push(n, (void **)&p->hashtags, &p->n_hashtags,
                                 sizeof(*e));
            break;
        case ROOST_ENT_MENTION:
            if (ex[i].list_len > 0) {
                continue; /* @user/list is a list, not a user mention */
            }
            e = roost__norm_push(n, (void **)&p->mentions, &p->n_mentions,
                                 sizeof(*e));
            break;
        case ROOST_ENT_URL:
            e = roost__norm_push(n, (void **)&p->urls, &p->n_urls,
                                 sizeof(*e));
            break;
        case ROOST_ENT_CASHTAG:
            e = roost__norm_push(n, (void **)&p->cashtags, &p->n_cashtags,
                                 sizeof(*e));
            break;
        default:
            continue;
        }
        if (e == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        e->text = roost_str_make(p->text.ptr + ex[i].value_off,
                                 ex[i].value_len);
        e->start = ex[i].start;
        e->end = ex[i].end;
    }
    return 0;
}

/* ---- detection and dispatch ------------------------------------------------- */

/* The keys detect_object() looks at, read in one pass over the object
 * (json_fields.h): a lookup per key would index the root of every
 * record, which the normalizers no longer need. */
enum {
    K_DID, K_KIND, K_TYPE, K_ACTOR, K_REPO, K_CREATED_AT, K_PAYLOAD, K_DATA,
    K_ERRORS, K_STATUSES, K_ACCOUNT, K_CONTENT, K_EVENT, K_ANCESTORS,
    K_DESCENDANTS, K_VERB, K_ID_STR, K_USER, K_DELETE, K_LIMIT, K_SCRUB_GEO,
    K_DISCONNECT, K_WARNING, K_STATUS_WITHHELD, K_USER_WITHHELD, K_FRIENDS,
    K_FRIENDS_STR, K_DIRECT_MESSAGE, K_FOR_USER, K_SOURCE, K_TARGET,
    K_CONTROL, K_COUNT
};
static const char *const detect_keys[K_COUNT] = {
    [K_DID] = "did",
    [K_KIND] = "kind",
    [K_TYPE] = "type",
    [K_ACTOR] = "actor",
    [K_REPO] = "repo",
    [K_CREATED_AT] = "created_at",
    [K_PAYLOAD] = "payload",
    [K_DATA] = "data",
    [K_ERRORS] = "errors",
    [K_STATUSES] = "statuses",
    [K_ACCOUNT] = "account",
    [K_CONTENT] = "content",
    [K_EVENT] = "event",
    [K_ANCESTORS] = "ancestors",
    [K_DESCENDANTS] = "descendants",
    [K_VERB] = "verb",
    [K_ID_STR] = "id_str",
    [K_USER] = "user",
    [K_DELETE] = "delete",
    [K_LIMIT] = "limit",
    [K_SCRUB_GEO] = "scrub_geo",
    [K_DISCONNECT] = "disconnect",
    [K_WARNING] = "warning",
    [K_STATUS_WITHHELD] = "status_withheld",
    [K_USER_WITHHELD] = "user_withheld",
    [K_FRIENDS] = "friends",
    [K_FRIENDS_STR] = "friends_str",
    [K_DIRECT_MESSAGE] = "direct_message",
    [K_FOR_USER] = "for_user",
    [K_SOURCE] = "source",
    [K_TARGET] = "target",
    [K_CONTROL] = "control",
};
static struct roost_json_keyset detect_ks = ROOST_JSON_KEYSET(detect_keys);

static enum roost_format detect_object(const struct roost_json_doc *d,
                                       uint32_t o)
{
    uint32_t f[K_COUNT];
    roost_json_fields(d, o, &detect_ks, f);
#define HAS(k) (f[k] != ROOST_JSON_NONE)
    /* Jetstream: {"did":..., "time_us":..., "kind":...} */
    if (HAS(K_DID) && HAS(K_KIND)) {
        return ROOST_FMT_JETSTREAM;
    }
    /* issue 4: GitHub events {"type", "actor", "repo", "created_at",
     * "payload"}; before Mastodon, whose notifications share "type" */
    if (HAS(K_TYPE) && HAS(K_ACTOR) && HAS(K_REPO) && HAS(K_CREATED_AT) &&
        HAS(K_PAYLOAD)) {
        return ROOST_FMT_GITHUB;
    }
    /* X API v2: {"data": {...} | [...], "includes": ..., ...} */
    if (roost_json_is(d, f[K_DATA], ROOST_JSON_OBJECT) ||
        roost_json_is(d, f[K_DATA], ROOST_JSON_ARRAY)) {
        return ROOST_FMT_X2;
    }
    if (HAS(K_ERRORS) && !HAS(K_STATUSES)) {
        return ROOST_FMT_X2; /* v2 error-only answer, e.g. deleted posts */
    }
    /* Mastodon: a Status, or a streaming event {"event":..,"payload":..} */
    if (HAS(K_ACCOUNT) && HAS(K_CONTENT)) {
        return ROOST_FMT_MASTODON;
    }
    if (HAS(K_EVENT) && HAS(K_PAYLOAD)) {
        return ROOST_FMT_MASTODON;
    }
    /* Mastodon notifications and thread contexts carry statuses too. */
    if ((HAS(K_TYPE) && HAS(K_ACCOUNT) && HAS(K_CREATED_AT)) ||
        (HAS(K_ANCESTORS) && HAS(K_DESCENDANTS))) {
        return ROOST_FMT_MASTODON;
    }
    /* Gnip Activity Streams, mapped by fmt_x1.c:
     * {"verb": "post"|"share", "actor": {...}, "body": ...} */
    if (HAS(K_VERB) && HAS(K_ACTOR)) {
        return ROOST_FMT_X1;
    }
    /* X v1.1: a status, a search envelope, or a stream control message */
    if (HAS(K_ID_STR) || HAS(K_USER) || HAS(K_DELETE) || HAS(K_LIMIT) ||
        HAS(K_SCRUB_GEO) || HAS(K_DISCONNECT) || HAS(K_WARNING) ||
        HAS(K_STATUS_WITHHELD) || HAS(K_USER_WITHHELD) ||
        /* user and site stream messages */
        HAS(K_FRIENDS) || HAS(K_FRIENDS_STR) || HAS(K_DIRECT_MESSAGE) ||
        HAS(K_FOR_USER) || (HAS(K_EVENT) && HAS(K_SOURCE) && HAS(K_TARGET)) ||
        HAS(K_CONTROL)) {
        return ROOST_FMT_X1;
    }
#undef HAS
    uint32_t st = f[K_STATUSES];
    if (roost_json_is(d, st, ROOST_JSON_ARRAY)) {
        uint32_t first = roost_json_at(d, st, 0);
        if (first != ROOST_JSON_NONE &&
            detect_object(d, first) == ROOST_FMT_MASTODON) {
            return ROOST_FMT_MASTODON; /* Mastodon search results */
        }
        return ROOST_FMT_X1;
    }
    return ROOST_FMT_UNKNOWN;
}

enum roost_format roost_format_detect(const struct roost_json_doc *d)
{
    if (d->n_toks == 0) {
        return ROOST_FMT_UNKNOWN;
    }
    if (roost_json_is(d, 0, ROOST_JSON_OBJECT)) {
        return detect_object(d, 0);
    }
    if (roost_json_is(d, 0, ROOST_JSON_ARRAY)) {
        /* A REST answer: an array of statuses; the first decides. */
        uint32_t first = roost_json_at(d, 0, 0);
        if (first != ROOST_JSON_NONE &&
            roost_json_is(d, first, ROOST_JSON_OBJECT)) {
            return detect_object(d, first);
        }
    }
    return ROOST_FMT_UNKNOWN;
}

static int dispatch(struct roost_norm *n, const struct roost_json_doc *d,
                    uint32_t root, enum roost_format fmt,
                    struct roost_diag *diag)
{
    switch (fmt) {
    case ROOST_FMT_X1:
        return roost__fmt_x1(n, d, root, diag);
    case ROOST_FMT_X2:
        return roost__fmt_x2(n, d, root, diag);
    case ROOST_FMT_JETSTREAM:
        return roost__fmt_jetstream(n, d, root, diag);
    case ROOST_FMT_MASTODON:
        return roost__fmt_mastodon(n, d, root, diag);
    case ROOST_FMT_GITHUB: /* issue 4 */
        return roost__fmt_github(n, d, root, diag);
    default:
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "valid json but not a known post format");
    }
}

/* platform_of - the enum of a roost_platform_name() string. */
static uint8_t platform_of(struct roost_str s)
{
    for (int p = ROOST_PLATFORM_X; p <= ROOST_PLATFORM_GITHUB; p++) {
        const char *name = roost_platform_name((enum roost_platform)p);
        if (s.len == strlen(name) && memcmp(s.ptr, name, s.len) == 0) {
            return (uint8_t)p;
        }
    }
    return ROOST_PLATFORM_UNKNOWN;
}

static int gap_record(struct roost_norm *n, const struct roost_json_doc *d,
                      uint32_t g, struct roost_diag *diag)
{
    struct roost_ctl *c = roost__norm_add_ctl(n);
    if (c == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    c->kind = ROOST_CTL_GAP;
    c->platform = platform_of(roost_json_str(d, roost_json_get(d, g, "platform")));
    c->user_id = roost__norm_str(n, d, roost_json_get(d, g, "source"));
    c->post_id = roost__norm_text(n, d, roost_json_get(d, g, "last_id"));
    c->first_id = roost__norm_text(n, d, roost_json_get(d, g, "first_id"));
    c->reason = roost__norm_str(n, d, roost_json_get(d, g, "reason"));
    int64_t v = 0;
    c->ts_ms = roost_json_i64(d, roost_json_get(d, g, "start_ms"), &v) ? v : 0;
    c->end_ms = roost_json_i64(d, roost_json_get(d, g, "end_ms"), &v) ? v : 0;
    c->count = roost__norm_count(d, g, "undelivered");
    if (c->user_id.ptr == NULL || c->ts_ms == 0) {
        n->n_ctls--;
        return roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                              "gap record without source or start_ms");
    }
    return 0;
}

int roost_norm_record(struct roost_norm *n, const struct roost_json_doc *d,
                      const char *raw, size_t raw_len, enum roost_format fmt,
                      struct roost_diag *diag)
{
    uint32_t n_posts = n->n_posts, n_ctls = n->n_ctls;
    n->in_lo = raw;
    n->in_hi = raw + raw_len;
    /* A gap record has the one member "roost_gap"; testing the count
     * first keeps a lookup (and its index) off every other record. */
    uint32_t g = roost_json_is(d, 0, ROOST_JSON_OBJECT) && d->toks[0].len == 1
                     ? roost_json_get(d, 0, "roost_gap")
                     : ROOST_JSON_NONE;
    if (roost_json_is(d, g, ROOST_JSON_OBJECT)) {
        return gap_record(n, d, g, diag);
    }
    if (fmt == ROOST_FMT_AUTO) {
        fmt = roost_format_detect(d);
    }
    int rc;
    if (roost_json_is(d, 0, ROOST_JSON_ARRAY)) {
        /* Top-level arrays (REST timelines) hold one record per item. */
        rc = 0;
        for (uint32_t i = 1; i < d->toks[0].next && rc == 0;
             i = roost_json_next_sibling(d, i)) {
            rc = dispatch(n, d, i, fmt, diag);
        }
    } else {
        rc = dispatch(n, d, 0, fmt, diag);
    }
    if (rc == 0 && n->extract_missing) {
        for (uint32_t i = n_posts; i < n->n_posts && rc == 0; i++) {
            rc = roost__norm_extract(n, &n->posts[i], ROOST_ENT_ALL);
        }
    }
    if (rc < 0) {
        n->n_posts = n_posts;
        n->n_ctls = n_ctls;
    }
    return rc;
}

int roost_norm_event(struct roost_norm *n, struct roost_str event,
                     const struct roost_json_doc *d, const char *raw,
                     size_t raw_len, enum roost_format fmt,
                     struct roost_diag *diag)
{
    if (event.len == 0) {
        return roost_norm_record(n, d, raw, raw_len, fmt, diag);
    }
    uint32_t n_posts = n->n_posts, n_ctls = n->n_ctls;
    n->in_lo = raw;
    n->in_hi = raw + raw_len;
    int rc = roost__mastodon_event(n, event, d, 0, 0, diag);
    if (rc == 0 && n->extract_missing) {
        for (uint32_t i = n_posts; i < n->n_posts && rc == 0; i++) {
            rc = roost__norm_extract(n, &n->posts[i], ROOST_ENT_ALL);
        }
    }
    if (rc < 0) {
        n->n_posts = n_posts;
        n->n_ctls = n_ctls;
    }
    return rc;
}

bool roost_is_text_record(const char *p, size_t len)
{
    if (len == 0 || p[0] == '{' || p[0] == '[' || p[0] == '"') {
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 && c != '\t') {
            return false;
        }
    }
    return roost_utf8_valid(p, len);
}

int roost_norm_text_line(struct roost_norm *n, const char *line, size_t len,
                         uint64_t line_no)
{
    struct roost_post *p = roost__norm_add_post(n);
    if (p == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    char id[32];
    int k = snprintf(id, sizeof(id), "line:%llu", (unsigned long long)line_no);
    p->format = ROOST_FMT_TEXT;
    p->platform = ROOST_PLATFORM_TEXT;
    p->id = roost__norm_dup(n, id, (size_t)k);
    p->text = roost_str_make(line, len);
    if (p->id.ptr == NULL) {
        n->n_posts--;
        return ROOST_ERR(ROOST_ENOMEM);
    }
    return n->extract_missing ? roost__norm_extract(n, p, ROOST_ENT_ALL) : 0;
}

/* ---- names ----------------------------------------------------------------------- */

const char *roost_format_name(enum roost_format f)
{
    switch (f) {
    case ROOST_FMT_AUTO:
        return "auto";
    case ROOST_FMT_X1:
        return "v1";
    case ROOST_FMT_X2:
        return "v2";
    case ROOST_FMT_JETSTREAM:
        return "jetstream";
    case ROOST_FMT_MASTODON:
        return "mastodon";
    case ROOST_FMT_TEXT:
        return "text";
    case ROOST_FMT_GITHUB: /* issue 4 */
        return "github";
    default:
        return "unknown";
    }
}

int roost_format_parse(const char *name, enum roost_format *out)
{
    static const struct {
        const char *name;
        enum roost_format f;
    } names[] = {
        { "auto", ROOST_FMT_AUTO },         { "v1", ROOST_FMT_X1 },
        { "x1", ROOST_FMT_X1 },             { "v2", ROOST_FMT_X2 },
        { "x2", ROOST_FMT_X2 },             { "jetstream", ROOST_FMT_JETSTREAM },
        { "bluesky", ROOST_FMT_JETSTREAM }, { "mastodon", ROOST_FMT_MASTODON },
        { "text", ROOST_FMT_TEXT },
        { "github", ROOST_FMT_GITHUB }, /* issue 4 */
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(name, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    }
    return ROOST_ERR(ROOST_EINVAL);
}

const char *roost_platform_name(enum roost_platform p)
{
    switch (p) {
    case ROOST_PLATFORM_X:
        return "x";
    case ROOST_PLATFORM_BLUESKY:
        return "bluesky";
    case ROOST_PLATFORM_MASTODON:
        return "mastodon";
    case ROOST_PLATFORM_TEXT:
        return "text";
    case ROOST_PLATFORM_GITHUB: /* issue 4 */
        return "github";
    default:
        return "unknown";
    }
}

const char *roost_ctl_kind_name(enum roost_ctl_kind k)
{
    static const char *const names[] = {
        [ROOST_CTL_DELETE] = "delete",
        [ROOST_CTL_SCRUB_GEO] = "scrub_geo",
        [ROOST_CTL_LIMIT] = "limit",
        [ROOST_CTL_DISCONNECT] = "disconnect",
        [ROOST_CTL_WARNING] = "warning",
        [ROOST_CTL_STATUS_WITHHELD] = "status_withheld",
        [ROOST_CTL_USER_WITHHELD] = "user_withheld",
        [ROOST_CTL_IDENTITY] = "identity",
        [ROOST_CTL_ACCOUNT] = "account",
        [ROOST_CTL_USER_DELETE] = "user_delete",
        [ROOST_CTL_GAP] = "gap",
        [ROOST_CTL_OTHER] = "other",
    };
    if ((unsigned)k < sizeof(names) / sizeof(names[0]) && names[k]) {
        return names[k];
    }
    return "unknown";
}
