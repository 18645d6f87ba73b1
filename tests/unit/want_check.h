/* SPDX-License-Identifier: MIT
 *
 * want_check.h - for the format tests: the posts normalized with a
 * roost_norm.want against the same record normalized with everything.
 * What is wanted must equal the full normalization; ids, handles,
 * `referenced` and refs are always there; profile, counts and the
 * permalink are left out; entities and text are left out when not
 * wanted and the payload delivered entities (else they are extracted
 * from the text, which the contract allows). want_proj runs that over
 * many records of one format (files, inline records, the simulator).
 * Test code only.
 */
#ifndef ROOST_TEST_WANT_CHECK_H
#define ROOST_TEST_WANT_CHECK_H

#include "check.h"
#include "core/buf.h"
#include "parse/post.h"
#include "source/simulate.h"

static void want_check(const struct roost_norm *full,
                       const struct roost_norm *part, unsigned want)
{
    CHECK_INT_EQ(part->n_posts, full->n_posts);
    for (uint32_t i = 0; i < full->n_posts && i < part->n_posts; i++) {
        const struct roost_post *f = &full->posts[i];
        const struct roost_post *p = &part->posts[i];
        CHECK(roost_str_eq(p->id, f->id));
        CHECK(roost_str_eq(p->author.id, f->author.id));
        CHECK(roost_str_eq(p->author.handle, f->author.handle));
        CHECK(p->referenced == f->referenced);
        CHECK_INT_EQ(p->n_refs, f->n_refs);
        CHECK(p->author.name.ptr == NULL);
        CHECK(p->retweets == ROOST_UNKNOWN_COUNT);
        CHECK(p->url.ptr == NULL);
        if (want & ROOST_WANT_ENTITIES) {
            CHECK_INT_EQ(p->n_hashtags, f->n_hashtags);
            CHECK_INT_EQ(p->n_mentions, f->n_mentions);
            CHECK_INT_EQ(p->n_urls, f->n_urls);
            CHECK_INT_EQ(p->n_media, f->n_media);
            for (uint32_t j = 0; j < f->n_hashtags && j < p->n_hashtags; j++) {
                CHECK(roost_str_eq(p->hashtags[j].text, f->hashtags[j].text));
            }
        } else if (f->entities_delivered) {
            CHECK_INT_EQ(p->n_hashtags, 0); /* not read */
        }
        if (want & ROOST_WANT_TEXT) {
            CHECK(roost_str_eq(p->text, f->text));
        } else if (f->entities_delivered) {
            CHECK(p->text.ptr == NULL); /* not decoded */
        }
    }
}

static inline void want_same_entities(const struct roost_entity *a, uint32_t na,
                                      const struct roost_entity *b, uint32_t nb)
{
    CHECK_INT_EQ(na, nb);
    for (uint32_t i = 0; i < na && i < nb; i++) {
        CHECK(roost_str_eq(a[i].text, b[i].text));
        CHECK(roost_str_eq(a[i].expanded, b[i].expanded));
        CHECK_INT_EQ(a[i].start, b[i].start);
        CHECK_INT_EQ(a[i].end, b[i].end);
    }
}

/* want_check_more - what want_check() leaves out: every ref and entity
 * field, and the profile and detail fields that must stay empty. */
static inline void want_check_more(const struct roost_post *f,
                                   const struct roost_post *p, unsigned want)
{
    for (uint32_t i = 0; i < f->n_refs && i < p->n_refs; i++) {
        CHECK_INT_EQ(p->refs[i].type, f->refs[i].type);
        CHECK(roost_str_eq(p->refs[i].id, f->refs[i].id));
        CHECK(roost_str_eq(p->refs[i].author_id, f->refs[i].author_id));
        CHECK(roost_str_eq(p->refs[i].author_handle, f->refs[i].author_handle));
    }
    if (want & ROOST_WANT_ENTITIES) {
        want_same_entities(p->hashtags, p->n_hashtags, f->hashtags,
                           f->n_hashtags);
        want_same_entities(p->mentions, p->n_mentions, f->mentions,
                           f->n_mentions);
        want_same_entities(p->urls, p->n_urls, f->urls, f->n_urls);
        for (uint32_t i = 0; i < f->n_media && i < p->n_media; i++) {
            CHECK(roost_str_eq(p->media[i].id, f->media[i].id));
            CHECK(roost_str_eq(p->media[i].type, f->media[i].type));
            CHECK(roost_str_eq(p->media[i].url, f->media[i].url));
            CHECK(roost_str_eq(p->media[i].alt, f->media[i].alt));
        }
    } else {
        CHECK(p->n_urls == 0 && p->n_mentions == 0 && p->n_media == 0);
    }
    CHECK(p->author.description.ptr == NULL);
    CHECK(p->author.followers == ROOST_UNKNOWN_COUNT);
    CHECK_INT_EQ(p->created_at_ms, 0);
    CHECK(p->lang.ptr == NULL && p->source.ptr == NULL);
    CHECK(p->conversation_id.ptr == NULL);
    CHECK(!p->sensitive && p->likes == ROOST_UNKNOWN_COUNT);
}

/*
 * A projection run over many records of one format: each record is
 * normalized fully into *full (the caller's, so a test can look at the
 * last record afterwards) and then with each narrower want, and the two
 * compared with want_check() and want_check_more().
 */
struct want_proj {
    struct roost_json_doc *doc; /* the caller's */
    struct roost_norm *full;    /* the caller's */
    struct roost_norm part;
    enum roost_format fmt;
    int records, posts, with_ents, with_refs;
};

static const unsigned want_proj_wants[] = {
    ROOST_WANT_ENTITIES,
    ROOST_WANT_AUTHOR,
    ROOST_WANT_TEXT,
    ROOST_WANT_TEXT | ROOST_WANT_ENTITIES,
};

static inline void want_proj_init(struct want_proj *pj,
                                  struct roost_json_doc *doc,
                                  struct roost_norm *full,
                                  enum roost_format fmt)
{
    memset(pj, 0, sizeof(*pj));
    pj->doc = doc;
    pj->full = full;
    pj->fmt = fmt;
    roost_norm_init(&pj->part);
    pj->part.extract_missing = false;
}

static inline void want_proj_record(struct want_proj *pj, const char *rec,
                                    size_t len)
{
    struct roost_diag diag;
    struct roost_norm *full = pj->full;
    pj->records++;
    CHECK_INT_EQ(roost_json_parse(pj->doc, rec, len, &diag), 0);
    roost_norm_reset(full);
    int rc = roost_norm_record(full, pj->doc, rec, len, pj->fmt, &diag);
    size_t n_wants = sizeof(want_proj_wants) / sizeof(want_proj_wants[0]);
    for (size_t w = 0; w < n_wants; w++) {
        unsigned want = want_proj_wants[w];
        roost_norm_reset(&pj->part);
        pj->part.want = want;
        CHECK_INT_EQ(
            roost_norm_record(&pj->part, pj->doc, rec, len, pj->fmt, NULL), rc);
        CHECK_INT_EQ(pj->part.n_ctls, full->n_ctls);
        want_check(full, &pj->part, want);
        for (uint32_t i = 0; i < full->n_posts && i < pj->part.n_posts; i++) {
            want_check_more(&full->posts[i], &pj->part.posts[i], want);
        }
    }
    for (uint32_t i = 0; i < full->n_posts; i++) {
        const struct roost_post *f = &full->posts[i];
        pj->posts++;
        pj->with_ents += f->n_hashtags + f->n_mentions + f->n_urls > 0;
        pj->with_refs += f->n_refs > 0;
    }
}

/* want_proj_simulated - count records of the simulator (seed 42) in pj's
 * format through want_proj_record(). */
static inline void want_proj_simulated(struct want_proj *pj, uint32_t count)
{
    struct roost_sim_cfg cfg;
    roost_sim_cfg_default(&cfg);
    cfg.seed = 42;
    cfg.format = pj->fmt;
    cfg.count = count;
    struct roost_sim *sim = NULL;
    CHECK_INT_EQ(roost_sim_new(&cfg, &sim), 0);
    struct roost_buf b;
    roost_buf_init(&b, 1 << 20);
    int before = pj->records;
    int rc;
    for (;;) {
        roost_buf_reset(&b);
        rc = roost_sim_next(sim, &b, NULL);
        if (rc != 0) {
            break;
        }
        want_proj_record(pj, b.ptr, b.len - 1); /* without its '\n' */
    }
    CHECK_INT_EQ(rc, ROOST_ENOENT);
    CHECK_INT_EQ(pj->records - before, (int)count);
    roost_buf_fini(&b);
    roost_sim_free(sim);
}

static inline void want_proj_fini(struct want_proj *pj, const char *what)
{
    printf("# want projection, %s: %d records, %d posts, %d with entities, "
           "%d with refs\n",
           what, pj->records, pj->posts, pj->with_ents, pj->with_refs);
    roost_norm_fini(&pj->part);
}

#endif /* ROOST_TEST_WANT_CHECK_H */
