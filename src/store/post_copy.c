/* SPDX-License-Identifier: MIT
 *
 * post_copy.c - a sink batch copied into one allocation.
 *
 * The batch is walked twice by the same code (lay_batch): first with no
 * base, which only adds up sizes and alignments, then into the block
 * allocated for that total. One walk for both passes means the sizes
 * cannot disagree. When struct roost_post or roost_ctl gains a pointer,
 * it must be copied here: the sizes below stop the build until someone
 * looked (test_post_copy also compares the JSON of a copy whose source
 * memory has been overwritten).
 */
#include <assert.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>

#include "core/mem.h"
#include "store/post_copy.h"

/* A field added to one of these must be copied in dup_*() below; then
 * update the size here. (64-bit layouts.) */
static_assert(sizeof(void *) != 8 || sizeof(struct roost_post) == 568,
              "roost_post changed: copy the new field in dup_post()");
static_assert(sizeof(void *) != 8 || sizeof(struct roost_author) == 152,
              "roost_author changed: copy the new field in dup_author()");
static_assert(sizeof(void *) != 8 || sizeof(struct roost_entity) == 40,
              "roost_entity changed: copy the new field in dup_entities()");
static_assert(sizeof(void *) != 8 || sizeof(struct roost_media) == 64,
              "roost_media changed: copy the new field in dup_post()");
static_assert(sizeof(void *) != 8 || sizeof(struct roost_ref) == 56,
              "roost_ref changed: copy the new field in dup_post()");
static_assert(sizeof(void *) != 8 || sizeof(struct roost_geo) == 160,
              "roost_geo changed: copy the new field in dup_geo()");
static_assert(sizeof(void *) != 8 || sizeof(struct roost_ctl) == 112,
              "roost_ctl changed: copy the new field in dup_ctl()");

/* Where the next piece goes; base NULL while measuring. */
struct lay {
    char *base;
    size_t off;
    size_t cap;   /* the allocation's size, once known */
    bool too_big; /* the total overflowed a size_t */
};

/* take - room for n bytes at the given alignment (NULL when measuring). */
static void *take(struct lay *l, size_t n, size_t align)
{
    size_t pad = (align - l->off % align) % align;
    if (l->too_big || n > SIZE_MAX - l->off - pad) {
        l->too_big = true;
        return NULL;
    }
    l->off += pad;
    void *p = l->base != NULL ? l->base + l->off : NULL;
    l->off += n;
    assert(l->base == NULL || l->off <= l->cap);
    return p;
}

/* take_n - room for n elements (NULL when n is 0 or measuring). */
static void *take_n(struct lay *l, uint32_t n, size_t size, size_t align)
{
    if (n == 0) {
        return NULL;
    }
    if ((size_t)n > SIZE_MAX / size) {
        l->too_big = true;
        return NULL;
    }
    return take(l, (size_t)n * size, align);
}

#define take_array(l, n, type)                                                 \
    ((type *)take_n((l), (n), sizeof(type), alignof(type)))

static void dup_str(struct lay *l, struct roost_str *s)
{
    if (s->ptr == NULL) {
        return;
    }
    char *p = take(l, s->len + 1, 1);
    if (p != NULL) {
        memcpy(p, s->ptr, s->len);
        p[s->len] = '\0';
    }
    *s = roost_str_make(p, s->len); /* measuring: a NULL view, dropped */
}

/* dup_entities - copy src[0..n) into room taken from l; returns the copy
 * (NULL when measuring or n is 0). */
static struct roost_entity *
dup_entities(struct lay *l, const struct roost_entity *src, uint32_t n)
{
    struct roost_entity *d = take_array(l, n, struct roost_entity);
    for (uint32_t i = 0; i < n; i++) {
        struct roost_entity e = src[i];
        dup_str(l, &e.text);
        dup_str(l, &e.expanded);
        if (d != NULL) {
            d[i] = e;
        }
    }
    return d;
}

static void dup_author(struct lay *l, struct roost_author *a)
{
    dup_str(l, &a->id);
    dup_str(l, &a->handle);
    dup_str(l, &a->name);
    dup_str(l, &a->description);
    dup_str(l, &a->location);
    dup_str(l, &a->lang);
    dup_str(l, &a->profile_image_url);
}

static void dup_geo(struct lay *l, struct roost_geo *g)
{
    dup_str(l, &g->place_id);
    dup_str(l, &g->place_name);
    dup_str(l, &g->place_full_name);
    dup_str(l, &g->place_type);
    dup_str(l, &g->country);
    dup_str(l, &g->country_code);
}

/* dup_post - *p starts as a shallow copy; every view is replaced. */
static void dup_post(struct lay *l, struct roost_post *p)
{
    const struct roost_post src = *p;

    dup_str(l, &p->id);
    dup_str(l, &p->lang);
    dup_str(l, &p->text);
    dup_str(l, &p->source);
    dup_str(l, &p->url);
    dup_author(l, &p->author);
    p->refs = take_array(l, src.n_refs, struct roost_ref);
    for (uint32_t i = 0; i < src.n_refs; i++) {
        struct roost_ref r = src.refs[i];
        dup_str(l, &r.id);
        dup_str(l, &r.author_id);
        dup_str(l, &r.author_handle);
        if (p->refs != NULL) {
            p->refs[i] = r;
        }
    }
    p->hashtags = dup_entities(l, src.hashtags, src.n_hashtags);
    p->mentions = dup_entities(l, src.mentions, src.n_mentions);
    p->urls = dup_entities(l, src.urls, src.n_urls);
    p->cashtags = dup_entities(l, src.cashtags, src.n_cashtags);
    p->media = take_array(l, src.n_media, struct roost_media);
    for (uint32_t i = 0; i < src.n_media; i++) {
        struct roost_media m = src.media[i];
        dup_str(l, &m.id);
        dup_str(l, &m.type);
        dup_str(l, &m.url);
        dup_str(l, &m.alt);
        if (p->media != NULL) {
            p->media[i] = m;
        }
    }
    dup_geo(l, &p->geo);
    p->rules = take_array(l, src.n_rules, struct roost_str);
    for (uint32_t i = 0; i < src.n_rules; i++) {
        struct roost_str s = src.rules[i];
        dup_str(l, &s);
        if (p->rules != NULL) {
            p->rules[i] = s;
        }
    }
    dup_str(l, &p->conversation_id);
}

static void dup_ctl(struct lay *l, struct roost_ctl *x)
{
    dup_str(l, &x->post_id);
    dup_str(l, &x->user_id);
    dup_str(l, &x->code);
    dup_str(l, &x->reason);
    dup_str(l, &x->first_id);
}

/* lay_batch - the one walk of both passes; returns the header (NULL when
 * measuring). */
static struct roost_post_copy *lay_batch(struct lay *l,
                                         const struct roost_sink_batch *b)
{
    struct roost_post_copy *c =
        take(l, sizeof(*c), alignof(struct roost_post_copy));
    struct roost_post *posts = take_array(l, b->n_posts, struct roost_post);
    struct roost_ctl *ctls = take_array(l, b->n_ctls, struct roost_ctl);

    for (uint32_t i = 0; i < b->n_posts; i++) {
        struct roost_post p = b->posts[i];
        dup_post(l, &p);
        if (posts != NULL) {
            posts[i] = p;
        }
    }
    for (uint32_t i = 0; i < b->n_ctls; i++) {
        struct roost_ctl x = b->ctls[i];
        dup_ctl(l, &x);
        if (ctls != NULL) {
            ctls[i] = x;
        }
    }
    if (c != NULL) {
        c->batch = (struct roost_sink_batch){ .posts = posts,
                                              .n_posts = b->n_posts,
                                              .ctls = ctls,
                                              .n_ctls = b->n_ctls };
        c->n_bytes = l->cap;
    }
    return c;
}

int roost_post_copy_new(const struct roost_sink_batch *b,
                        struct roost_post_copy **out)
{
    struct lay l = { 0 };

    lay_batch(&l, b);
    if (l.too_big) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    l = (struct lay){ .base = roost_malloc(l.off), .cap = l.off };
    if (l.base == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    struct roost_post_copy *c = lay_batch(&l, b);
    assert(c == (void *)l.base && l.off == l.cap);
    *out = c;
    return 0;
}

void roost_post_copy_free(struct roost_post_copy *c)
{
    roost_free(c);
}
