/* SPDX-License-Identifier: MIT
 *
 * want_check.h - for the format tests: the posts normalized with a
 * roost_norm.want against the same record normalized with everything.
 * What is wanted must equal the full normalization; ids, handles,
 * `referenced` and refs are always there; profile, counts and the
 * permalink are left out; entities and text are left out when not
 * wanted and the payload delivered entities (else they are extracted
 * from the text, which the contract allows). Test code only.
 */
#ifndef ROOST_TEST_WANT_CHECK_H
#define ROOST_TEST_WANT_CHECK_H

#include "check.h"
#include "parse/post.h"

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
            for (uint32_t j = 0; j < f->n_hashtags && j < p->n_hashtags;
                 j++) {
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

#endif /* ROOST_TEST_WANT_CHECK_H */
