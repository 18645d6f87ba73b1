/* SPDX-License-Identifier: MIT
 *
 * stream_tables.c - schemas of the stream tables and the explosion of one
 * post into their rows.
 *
 * Each table is a static column list (the schema bind resolves names
 * against) and one explode function that fills a row array in schema
 * order. The column orders are fixed by the tables below; the enum in
 * stream_tables.h names the hashtags columns the executor uses directly.
 * Folded strings (tag_lower, handle_lower, domain) are made in the scratch
 * arena, which is reset per post, so exploding allocates nothing in the
 * steady state.
 */
#include <assert.h>
#include <string.h>

#include "core/mem.h"
#include "engine/stream_tables.h"
#include "parse/tokenize.h"

#define S ROOST_V_STRING
#define T ROOST_V_TIME
#define I ROOST_V_INT
#define D ROOST_V_DOUBLE
#define B ROOST_V_BOOL

static const struct roost_column posts_cols[] = {
    { "id", S },           { "created_at", T },
    { "platform", S },     { "format", S },
    { "lang", S },         { "text", S },
    { "author_id", S },    { "author_handle", S },
    { "author_name", S },  { "author_followers", I },
    { "author_verified", B }, { "reply_to", S },
    { "retweet_of", S },   { "quote_of", S },
    { "retweets", I },     { "likes", I },
    { "replies", I },      { "quotes", I },
    { "lat", D },          { "lon", D },
    { "place", S },        { "country_code", S },
    { "source", S },       { "url", S },
    { "conversation_id", S }, { "sensitive", B },
    { "truncated", B },    { "n_hashtags", I },
    { "n_mentions", I },   { "n_urls", I },
    { "n_media", I },
};

static const struct roost_column hashtags_cols[] = {
    { "post_id", S },   { "tag", S },       { "tag_lower", S },
    { "created_at", T }, { "author_id", S }, { "author_followers", I },
    { "lang", S },
};

static const struct roost_column mentions_cols[] = {
    { "post_id", S },    { "handle", S },    { "handle_lower", S },
    { "user_id", S },    { "created_at", T }, { "author_id", S },
    { "lang", S },
};

static const struct roost_column cashtags_cols[] = {
    { "post_id", S },
    { "tag", S },
    { "tag_lower", S },
    { "created_at", T },
};

static const struct roost_column urls_cols[] = {
    { "post_id", S }, { "url", S },        { "expanded", S },
    { "domain", S },  { "created_at", T },
};

static const struct roost_column words_cols[] = {
    { "post_id", S },
    { "word", S },
    { "created_at", T },
    { "lang", S },
};

static const struct roost_column authors_cols[] = {
    { "id", S },        { "platform", S },   { "handle", S },
    { "name", S },      { "followers", I },  { "following", I },
    { "posts", I },     { "verified", B },   { "created_at", T },
    { "author_created_at", T }, { "lang", S }, { "location", S },
    { "post_id", S },
};

#undef S
#undef T
#undef I
#undef D
#undef B

#define N_OF(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))

static const struct roost_schema schemas[ROOST_STREAM_N_] = {
    [ROOST_STREAM_POSTS] = { "posts", posts_cols, N_OF(posts_cols) },
    [ROOST_STREAM_HASHTAGS] = { "hashtags", hashtags_cols,
                                N_OF(hashtags_cols) },
    [ROOST_STREAM_MENTIONS] = { "mentions", mentions_cols,
                                N_OF(mentions_cols) },
    [ROOST_STREAM_CASHTAGS] = { "cashtags", cashtags_cols,
                                N_OF(cashtags_cols) },
    [ROOST_STREAM_URLS] = { "urls", urls_cols, N_OF(urls_cols) },
    [ROOST_STREAM_WORDS] = { "words", words_cols, N_OF(words_cols) },
    [ROOST_STREAM_AUTHORS] = { "authors", authors_cols, N_OF(authors_cols) },
};

static const uint32_t time_cols[ROOST_STREAM_N_] = {
    [ROOST_STREAM_POSTS] = 1,    [ROOST_STREAM_HASHTAGS] = 3,
    [ROOST_STREAM_MENTIONS] = 4, [ROOST_STREAM_CASHTAGS] = 3,
    [ROOST_STREAM_URLS] = 4,     [ROOST_STREAM_WORDS] = 2,
    [ROOST_STREAM_AUTHORS] = 8,
};

static_assert(N_OF(posts_cols) <= ROOST_STREAM_MAX_COLS, "posts too wide");
static_assert(N_OF(authors_cols) <= ROOST_STREAM_MAX_COLS, "authors");

#define SCRATCH_MAX_BYTES ((size_t)16 << 20)

void roost_stream_scratch_init(struct roost_stream_scratch *s)
{
    roost_arena_init(&s->arena, 16384, SCRATCH_MAX_BYTES);
    roost_buf_init(&s->fold, 1u << 20);
}

void roost_stream_scratch_fini(struct roost_stream_scratch *s)
{
    roost_arena_fini(&s->arena);
    roost_buf_fini(&s->fold);
}

/* Store views with a stream table's rows: the stream already leaves out
 * referenced posts, so the same SQL text runs live and over the store. */
static const struct {
    const char *name;
    enum roost_stream_table t;
} aliases[] = {
    { "live_hashtags", ROOST_STREAM_HASHTAGS },
};

int roost_stream_find(struct roost_str name, enum roost_stream_table *out)
{
    for (int t = 0; t < ROOST_STREAM_N_; t++) {
        if (roost_str_ieq_ascii(name, roost_str_cstr(schemas[t].name))) {
            *out = (enum roost_stream_table)t;
            return 0;
        }
    }
    for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (roost_str_ieq_ascii(name, roost_str_cstr(aliases[i].name))) {
            *out = aliases[i].t;
            return 0;
        }
    }
    return ROOST_ENOENT;
}

const struct roost_schema *roost_stream_schema(enum roost_stream_table t)
{
    assert(t < ROOST_STREAM_N_);
    return &schemas[t];
}

const char *roost_stream_name(enum roost_stream_table t)
{
    assert(t < ROOST_STREAM_N_);
    return schemas[t].name;
}

uint32_t roost_stream_time_col(enum roost_stream_table t)
{
    assert(t < ROOST_STREAM_N_);
    return time_cols[t];
}

/* ---- stop words ------------------------------------------------------------ */

/* Sorted: bsearch. Common English and Spanish function words, plus the
 * retweet marker "rt" and the "amp" left by decoded &amp;. */
static const char *const stop_list[] = {
    "a",     "about", "al",    "all",   "also",  "am",    "amp",   "an",
    "and",   "any",   "are",   "as",    "at",    "be",    "been",  "but",
    "by",    "can",   "con",   "de",    "del",   "did",   "do",    "does",
    "el",    "en",    "es",    "for",   "from",  "had",   "has",   "have",
    "he",    "her",   "his",   "how",   "i",     "if",    "in",    "into",
    "is",    "it",    "it's",  "its",   "just",  "la",    "las",   "lo",
    "los",   "me",    "more",  "my",    "no",    "not",   "now",   "of",
    "on",    "or",    "our",   "out",   "para",  "por",   "que",   "rt",
    "se",    "she",   "so",    "su",    "than",  "that",  "the",   "their",
    "them",  "then",  "there", "they",  "this",  "to",    "un",    "una",
    "up",    "us",    "was",   "we",    "were",  "what",  "when",  "who",
    "will",  "with",  "y",     "you",   "your",
};

bool roost_stream_is_stop_word(const char *w, size_t len)
{
    size_t lo = 0, hi = sizeof(stop_list) / sizeof(stop_list[0]);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *s = stop_list[mid];
        size_t sl = strlen(s);
        int c = memcmp(w, s, len < sl ? len : sl);
        if (c == 0) {
            c = len < sl ? -1 : len > sl ? 1 : 0;
        }
        if (c == 0) {
            return true;
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return false;
}

/* ---- values -------------------------------------------------------------- */

static struct roost_value vstr(struct roost_str s)
{
    return s.ptr == NULL ? roost_value_null() : roost_value_str(s);
}

static struct roost_value vcstr(const char *s)
{
    return roost_value_str(roost_str_cstr(s));
}

static struct roost_value vcount(int64_t n)
{
    return n == ROOST_UNKNOWN_COUNT ? roost_value_null() : roost_value_int(n);
}

static struct roost_value vtime(int64_t ms)
{
    return ms == 0 ? roost_value_null() : roost_value_time(ms);
}

static int fold(struct roost_stream_scratch *s, struct roost_str in,
                struct roost_value *out)
{
    if (in.ptr == NULL) {
        *out = roost_value_null();
        return 0;
    }
    roost_buf_reset(&s->fold);
    int rc = roost_fold_case(in.ptr, in.len, &s->fold);
    if (rc < 0) {
        return rc;
    }
    char *p = roost_arena_dup(&s->arena, s->fold.ptr ? s->fold.ptr : "",
                              s->fold.len);
    if (p == NULL) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    *out = roost_value_str(roost_str_make(p, s->fold.len));
    return 0;
}

/* The host of an http(s) URL, lower-cased, without "www." (as the store). */
static int url_domain(struct roost_stream_scratch *s, struct roost_str u,
                      struct roost_value *out)
{
    *out = roost_value_null();
    if (u.ptr == NULL) {
        return 0;
    }
    const char *end = u.ptr + u.len, *sep = NULL;
    for (const char *q = u.ptr; q + 2 < end; q++) {
        if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
            sep = q + 3;
            break;
        }
        if (q[0] == '/' || q[0] == '?') {
            break;
        }
    }
    if (sep == NULL) {
        return 0;
    }
    const char *h = sep;
    for (const char *q = sep;
         q < end && *q != '/' && *q != '?' && *q != '#' && *q != ':'; q++) {
        if (*q == '@') {
            h = q + 1;
        }
    }
    const char *e = h;
    while (e < end && *e != '/' && *e != '?' && *e != '#' && *e != ':') {
        e++;
    }
    if (e - h > 4 && (h[0] == 'w' || h[0] == 'W') &&
        strncmp(h + 1, "ww.", 3) == 0) {
        h += 4;
    }
    if (e <= h) {
        return 0;
    }
    return fold(s, roost_str_make(h, (size_t)(e - h)), out);
}

static struct roost_str ref_of(const struct roost_post *p, uint8_t type)
{
    for (uint32_t i = 0; i < p->n_refs; i++) {
        if (p->refs[i].type == type) {
            return p->refs[i].id;
        }
    }
    return ROOST_STR_NULL;
}

/* ---- explode ------------------------------------------------------------- */

static int explode_post(const struct roost_post *p, roost_stream_row_fn *fn,
                        void *arg)
{
    struct roost_value r[ROOST_STREAM_MAX_COLS];
    const struct roost_geo *g = &p->geo;
    bool pt = p->has_geo && g->has_point;
    struct roost_str place = ROOST_STR_NULL, cc = ROOST_STR_NULL;
    if (p->has_geo) {
        place = g->place_full_name.ptr ? g->place_full_name : g->place_name;
        cc = g->country_code;
    }
    r[0] = vstr(p->id);
    r[1] = vtime(p->created_at_ms);
    r[2] = vcstr(roost_platform_name(p->platform));
    r[3] = vcstr(roost_format_name(p->format));
    r[4] = vstr(p->lang);
    r[5] = vstr(p->text);
    r[6] = vstr(p->author.id);
    r[7] = vstr(p->author.handle);
    r[8] = vstr(p->author.name);
    r[9] = vcount(p->author.followers);
    r[10] = roost_value_bool(p->author.verified);
    r[11] = vstr(ref_of(p, ROOST_REF_REPLY));
    r[12] = vstr(ref_of(p, ROOST_REF_RETWEET));
    r[13] = vstr(ref_of(p, ROOST_REF_QUOTE));
    r[14] = vcount(p->retweets);
    r[15] = vcount(p->likes);
    r[16] = vcount(p->replies);
    r[17] = vcount(p->quotes);
    r[18] = pt ? roost_value_double(g->lat) : roost_value_null();
    r[19] = pt ? roost_value_double(g->lon) : roost_value_null();
    r[20] = vstr(place);
    r[21] = vstr(cc);
    r[22] = vstr(p->source);
    r[23] = vstr(p->url);
    r[24] = vstr(p->conversation_id);
    r[25] = roost_value_bool(p->sensitive);
    r[26] = roost_value_bool(p->truncated);
    r[27] = roost_value_int(p->n_hashtags);
    r[28] = roost_value_int(p->n_mentions);
    r[29] = roost_value_int(p->n_urls);
    r[30] = roost_value_int(p->n_media);
    static_assert(N_OF(posts_cols) == 31, "explode_post fills 31 columns");
    return fn(arg, r);
}

static int explode_tags(const struct roost_post *p,
                        const struct roost_entity *tags, uint32_t n,
                        struct roost_stream_scratch *s,
                        roost_stream_row_fn *fn, void *arg)
{
    struct roost_value r[7];
    r[0] = vstr(p->id);
    r[3] = vtime(p->created_at_ms);
    r[4] = vstr(p->author.id);
    r[5] = vcount(p->author.followers);
    r[6] = vstr(p->lang);
    for (uint32_t i = 0; i < n; i++) {
        if (tags[i].text.len == 0) {
            continue;
        }
        r[1] = vstr(tags[i].text);
        int rc = fold(s, tags[i].text, &r[2]);
        if (rc < 0) {
            return rc;
        }
        rc = fn(arg, r); /* cashtags: the same first four columns */
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int explode_mentions(const struct roost_post *p,
                            struct roost_stream_scratch *s,
                            roost_stream_row_fn *fn, void *arg)
{
    struct roost_value r[7];
    r[0] = vstr(p->id);
    r[4] = vtime(p->created_at_ms);
    r[5] = vstr(p->author.id);
    r[6] = vstr(p->lang);
    for (uint32_t i = 0; i < p->n_mentions; i++) {
        const struct roost_entity *m = &p->mentions[i];
        if (m->text.len == 0) {
            continue;
        }
        r[1] = vstr(m->text);
        int rc = fold(s, m->text, &r[2]);
        if (rc < 0) {
            return rc;
        }
        r[3] = vstr(m->expanded);
        rc = fn(arg, r);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int explode_urls(const struct roost_post *p,
                        struct roost_stream_scratch *s,
                        roost_stream_row_fn *fn, void *arg)
{
    struct roost_value r[5];
    r[0] = vstr(p->id);
    r[4] = vtime(p->created_at_ms);
    for (uint32_t i = 0; i < p->n_urls; i++) {
        const struct roost_entity *u = &p->urls[i];
        struct roost_str as_written = u->text.ptr ? u->text : u->expanded;
        if (as_written.ptr == NULL) {
            continue;
        }
        r[1] = vstr(as_written);
        r[2] = vstr(u->expanded);
        int rc = url_domain(s, u->expanded.ptr ? u->expanded : u->text,
                            &r[3]);
        if (rc < 0) {
            return rc;
        }
        rc = fn(arg, r);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

struct word_ctx {
    struct roost_value r[4];
    roost_stream_row_fn *fn;
    void *arg;
    bool stop_words;
    uint32_t n;
};

static int on_word(void *arg, const char *w, size_t len)
{
    struct word_ctx *c = arg;
    if (c->stop_words && roost_stream_is_stop_word(w, len)) {
        return 0;
    }
    if (c->n++ >= ROOST_STREAM_MAX_WORDS) {
        return 0;
    }
    /* Words are lent by the tokenizer for the call; so is the row. */
    c->r[1] = roost_value_str(roost_str_make(w, len));
    return c->fn(c->arg, c->r);
}

static int explode_words(const struct roost_post *p, bool stop_words,
                         roost_stream_row_fn *fn, void *arg)
{
    struct word_ctx c = { .fn = fn, .arg = arg, .stop_words = stop_words };
    c.r[0] = vstr(p->id);
    c.r[2] = vtime(p->created_at_ms);
    c.r[3] = vstr(p->lang);
    if (p->text.ptr == NULL) {
        return 0;
    }
    return roost_tokenize_words(p->text.ptr, p->text.len, on_word, &c);
}

static int explode_author(const struct roost_post *p, roost_stream_row_fn *fn,
                          void *arg)
{
    const struct roost_author *a = &p->author;
    if (a->id.ptr == NULL && a->handle.ptr == NULL) {
        return 0;
    }
    struct roost_value r[13] = {
        vstr(a->id),
        vcstr(roost_platform_name(p->platform)),
        vstr(a->handle),
        vstr(a->name),
        vcount(a->followers),
        vcount(a->following),
        vcount(a->posts),
        roost_value_bool(a->verified),
        vtime(p->created_at_ms),
        vtime(a->created_at_ms),
        vstr(a->lang),
        vstr(a->location),
        vstr(p->id),
    };
    static_assert(N_OF(authors_cols) == 13, "explode_author fills 13");
    return fn(arg, r);
}

int roost_stream_explode(enum roost_stream_table t,
                         const struct roost_post *p,
                         const struct roost_stream_opts *opts,
                         struct roost_stream_scratch *scratch,
                         roost_stream_row_fn *fn, void *arg)
{
    static const struct roost_stream_opts none = { 0 };
    if (opts == NULL) {
        opts = &none;
    }
    if (p->referenced && !opts->include_referenced) {
        return 0;
    }
    roost_arena_reset(&scratch->arena);
    switch (t) {
    case ROOST_STREAM_POSTS:
        return explode_post(p, fn, arg);
    case ROOST_STREAM_HASHTAGS:
        return explode_tags(p, p->hashtags, p->n_hashtags, scratch, fn,
                            arg);
    case ROOST_STREAM_CASHTAGS:
        return explode_tags(p, p->cashtags, p->n_cashtags, scratch, fn,
                            arg);
    case ROOST_STREAM_MENTIONS:
        return explode_mentions(p, scratch, fn, arg);
    case ROOST_STREAM_URLS:
        return explode_urls(p, scratch, fn, arg);
    case ROOST_STREAM_WORDS:
        return explode_words(p, opts->stop_words, fn, arg);
    case ROOST_STREAM_AUTHORS:
        return explode_author(p, fn, arg);
    default:
        return ROOST_ERR(ROOST_EINVAL);
    }
}
