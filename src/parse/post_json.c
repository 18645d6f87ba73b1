/* SPDX-License-Identifier: MIT
 *
 * post_json.c - a normalized post or control event as one JSON object.
 *
 * The output is the stable, documented face of the post model
 * (docs/post-model.md): every key is always written, in a fixed order, with
 * null for what the payload did not carry, so consumers and golden files
 * can rely on the shape. Start at roost_post_write_json().
 */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "parse/post.h"

/* Write helpers keep the first error and ignore later calls, so the
 * writers below read as a plain sequence of fields. */
struct jw {
    struct roost_buf *b;
    int rc;
    bool first; /* no member written yet in the current object */
};

static inline void raw(struct jw *w, const char *s)
{
    if (w->rc == 0) {
        w->rc = roost_buf_addn(w->b, s, strlen(s));
    }
}

/* key - `,"k":` in one append. Keys are our own literals: nothing in them
 * needs escaping (checked in debug builds). */
static inline void key(struct jw *w, const char *k)
{
    char tmp[40];
    size_t n = strlen(k);
    size_t at = w->first ? 0 : 1;
    assert(n + 4 <= sizeof(tmp));
    tmp[0] = ',';
    tmp[at] = '"';
    memcpy(tmp + at + 1, k, n);
    tmp[at + 1 + n] = '"';
    tmp[at + 2 + n] = ':';
    w->first = false;
    if (w->rc == 0) {
        w->rc = roost_buf_addn(w->b, tmp, at + 3 + n);
    }
}

static void open_obj(struct jw *w, const char *k)
{
    if (k != NULL) {
        key(w, k);
    }
    raw(w, "{");
    w->first = true;
}

static void close_obj(struct jw *w)
{
    raw(w, "}");
    w->first = false;
}

static void str_val(struct jw *w, struct roost_str s)
{
    if (s.ptr == NULL) {
        raw(w, "null");
    } else if (w->rc == 0) {
        w->rc = roost_buf_add_json_str(w->b, s.ptr, s.len);
    }
}

static void str_or_empty(struct jw *w, const char *k, struct roost_str s)
{
    key(w, k);
    if (s.ptr == NULL) {
        s = roost_str_make("", 0);
    }
    str_val(w, s);
}

static void str_field(struct jw *w, const char *k, struct roost_str s)
{
    key(w, k);
    str_val(w, s);
}

static void cstr_field(struct jw *w, const char *k, const char *s)
{
    str_field(w, k, roost_str_cstr(s));
}

static void bool_field(struct jw *w, const char *k, bool v)
{
    key(w, k);
    raw(w, v ? "true" : "false");
}

static void count_field(struct jw *w, const char *k, int64_t v)
{
    key(w, k);
    if (v == ROOST_UNKNOWN_COUNT) {
        raw(w, "null");
    } else if (w->rc == 0) {
        w->rc = roost_buf_add_i64(w->b, v);
    }
}

static void time_field(struct jw *w, const char *k, int64_t ms)
{
    key(w, k);
    if (ms == 0) {
        raw(w, "null");
        return;
    }
    char t[34];
    t[0] = '"';
    roost_time_format(ms, t + 1);
    size_t n = strlen(t + 1);
    t[n + 1] = '"';
    if (w->rc == 0) {
        w->rc = roost_buf_addn(w->b, t, n + 2);
    }
}

static void num_val(struct jw *w, double v)
{
    if (!isfinite(v)) {
        raw(w, "null");
    } else if (w->rc == 0) {
        w->rc = roost_buf_printf(w->b, "%.15g", v);
    }
}

/* Entities as an array of strings: URLs prefer the expanded form. */
static void ent_array(struct jw *w, const char *k, const struct roost_entity *e,
                      uint32_t n, bool expanded)
{
    key(w, k);
    raw(w, "[");
    for (uint32_t i = 0; i < n; i++) {
        if (i > 0) {
            raw(w, ",");
        }
        struct roost_str s = e[i].text;
        if (expanded && e[i].expanded.len > 0) {
            s = e[i].expanded;
        }
        str_val(w, s.ptr != NULL ? s : roost_str_make("", 0));
    }
    raw(w, "]");
}

static void write_author(struct jw *w, const struct roost_author *a)
{
    open_obj(w, "author");
    str_field(w, "id", a->id);
    str_field(w, "handle", a->handle);
    str_field(w, "name", a->name);
    count_field(w, "followers", a->followers);
    count_field(w, "following", a->following);
    count_field(w, "posts", a->posts);
    bool_field(w, "verified", a->verified);
    time_field(w, "created_at", a->created_at_ms);
    if (a->description.len > 0) {
        str_field(w, "description", a->description);
    }
    if (a->location.len > 0) {
        str_field(w, "location", a->location);
    }
    close_obj(w);
}

/* The first reference of each kind; a post rarely has two of one kind. */
static struct roost_str ref_of(const struct roost_post *p, uint8_t type)
{
    for (uint32_t i = 0; i < p->n_refs; i++) {
        if (p->refs[i].type == type) {
            return p->refs[i].id;
        }
    }
    return ROOST_STR_NULL;
}

static void write_geo(struct jw *w, const struct roost_post *p)
{
    key(w, "geo");
    if (!p->has_geo) {
        raw(w, "null");
        return;
    }
    const struct roost_geo *g = &p->geo;
    open_obj(w, NULL);
    key(w, "lat");
    if (g->has_point) {
        num_val(w, g->lat);
    } else {
        raw(w, "null");
    }
    key(w, "lon");
    if (g->has_point) {
        num_val(w, g->lon);
    } else {
        raw(w, "null");
    }
    key(w, "place");
    if (g->place_id.ptr == NULL && g->place_full_name.ptr == NULL &&
        g->place_name.ptr == NULL) {
        raw(w, "null");
    } else {
        open_obj(w, NULL);
        str_field(w, "id", g->place_id);
        str_field(w, "name", g->place_name);
        str_field(w, "full_name", g->place_full_name);
        str_field(w, "type", g->place_type);
        str_field(w, "country", g->country);
        str_field(w, "country_code", g->country_code);
        close_obj(w);
    }
    key(w, "bbox");
    if (g->has_bbox) {
        raw(w, "[");
        for (int i = 0; i < 4; i++) {
            if (i > 0) {
                raw(w, ",");
            }
            num_val(w, g->bbox[i]);
        }
        raw(w, "]");
    } else {
        raw(w, "null");
    }
    close_obj(w);
}

int roost_post_write_json(const struct roost_post *p, struct roost_buf *out)
{
    struct jw w = { .b = out, .rc = 0, .first = true };
    size_t start = out->len;

    open_obj(&w, NULL);
    str_or_empty(&w, "id", p->id);
    time_field(&w, "created_at", p->created_at_ms);
    cstr_field(&w, "platform", roost_platform_name(p->platform));
    cstr_field(&w, "format", roost_format_name(p->format));
    str_field(&w, "lang", p->lang);
    str_or_empty(&w, "text", p->text);
    write_author(&w, &p->author);
    ent_array(&w, "hashtags", p->hashtags, p->n_hashtags, false);
    ent_array(&w, "mentions", p->mentions, p->n_mentions, false);
    ent_array(&w, "urls", p->urls, p->n_urls, true);
    ent_array(&w, "cashtags", p->cashtags, p->n_cashtags, false);

    key(&w, "media");
    raw(&w, "[");
    for (uint32_t i = 0; i < p->n_media; i++) {
        if (i > 0) {
            raw(&w, ",");
        }
        open_obj(&w, NULL);
        str_field(&w, "type", p->media[i].type);
        str_field(&w, "url", p->media[i].url);
        str_field(&w, "alt", p->media[i].alt);
        close_obj(&w);
    }
    raw(&w, "]");

    open_obj(&w, "refs");
    str_field(&w, "reply_to", ref_of(p, ROOST_REF_REPLY));
    str_field(&w, "retweet_of", ref_of(p, ROOST_REF_RETWEET));
    str_field(&w, "quote_of", ref_of(p, ROOST_REF_QUOTE));
    close_obj(&w);

    open_obj(&w, "counts");
    count_field(&w, "retweets", p->retweets);
    count_field(&w, "likes", p->likes);
    count_field(&w, "replies", p->replies);
    count_field(&w, "quotes", p->quotes);
    close_obj(&w);

    write_geo(&w, p);
    str_field(&w, "source", p->source);
    str_field(&w, "url", p->url);
    str_field(&w, "conversation_id", p->conversation_id);

    key(&w, "rules");
    raw(&w, "[");
    for (uint32_t i = 0; i < p->n_rules; i++) {
        if (i > 0) {
            raw(&w, ",");
        }
        str_val(&w, p->rules[i]);
    }
    raw(&w, "]");

    bool_field(&w, "sensitive", p->sensitive);
    bool_field(&w, "truncated", p->truncated);
    bool_field(&w, "referenced", p->referenced);
    close_obj(&w);

    if (w.rc < 0) {
        out->len = start; /* no half-written object */
        if (out->cap > 0) {
            out->ptr[start] = '\0';
        }
    }
    return w.rc;
}

int roost_ctl_write_json(const struct roost_ctl *c, struct roost_buf *out)
{
    struct jw w = { .b = out, .rc = 0, .first = true };
    size_t start = out->len;

    open_obj(&w, NULL);
    cstr_field(&w, "control", roost_ctl_kind_name(c->kind));
    cstr_field(&w, "platform", roost_platform_name(c->platform));
    str_field(&w, "post_id", c->post_id);
    str_field(&w, "user_id", c->user_id);
    str_field(&w, "code", c->code);
    str_field(&w, "reason", c->reason);
    /* count: LIMIT's undelivered posts, WARNING's percent_full. */
    bool counted = c->kind == ROOST_CTL_LIMIT ||
                   c->kind == ROOST_CTL_WARNING || c->kind == ROOST_CTL_GAP;
    count_field(&w, "count", counted ? c->count : ROOST_UNKNOWN_COUNT);
    time_field(&w, "ts", c->ts_ms);
    if (c->kind == ROOST_CTL_GAP) {
        /* A gap's span and the ids on either side of it. */
        time_field(&w, "end", c->end_ms);
        str_field(&w, "first_id", c->first_id);
    }
    close_obj(&w);

    if (w.rc < 0) {
        out->len = start;
        if (out->cap > 0) {
            out->ptr[start] = '\0';
        }
    }
    return w.rc;
}
