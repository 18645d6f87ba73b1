/* SPDX-License-Identifier: MIT
 *
 * entities.h - hashtags, mentions, URLs and cashtags found in post text,
 * following the twitter-text rules (conformance suite: extract.yml).
 *
 * Offsets are Unicode code points, end exclusive, as twitter-text reports
 * them; byte offsets are given too so callers can slice the UTF-8 text.
 * Thread: all functions are reentrant.
 */
#ifndef ROOST_PARSE_ENTITIES_H
#define ROOST_PARSE_ENTITIES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum roost_entity_kind {
    ROOST_ENT_HASHTAG = 1 << 0,
    ROOST_ENT_MENTION = 1 << 1, /* @user and @user/list */
    ROOST_ENT_URL = 1 << 2,
    ROOST_ENT_CASHTAG = 1 << 3,
    ROOST_ENT_ALL = 0xF,
};

struct roost_extracted {
    uint8_t kind;        /* one enum roost_entity_kind bit */
    uint32_t start, end; /* code points of the whole entity, with sigil */
    uint32_t byte_start, byte_end; /* the same span in bytes */
    uint32_t value_off, value_len; /* bytes of the value: tag without '#',
                                      handle without '@', URL as written */
    uint32_t list_off, list_len;   /* mentions of lists: "/slug" part, else 0 */
};

/*
 * roost_entities_extract - find entities of the kinds in `kinds` (a mask)
 * in text[0..len), which must be valid UTF-8, in order of appearance.
 * Writes at most max entries to out. Overlaps are resolved across all kinds
 * as twitter-text's extractEntitiesWithIndices does (the earlier entity
 * wins; a hashtag inside a URL is dropped) before filtering by `kinds`.
 * Runs in linear time and never allocates.
 * Returns: the number of entities found (which may exceed max; only max
 * are written), or a negative ROOST_E* code.
 */
int roost_entities_extract(const char *text, size_t len, unsigned kinds,
                           struct roost_extracted *out, size_t max);

/*
 * roost_entities_reply - the screen name a post replies to: an @name at the
 * very start, after optional spaces (twitter-text extractReplyScreenname).
 * Returns: true with the handle's bytes (without '@') in *name_off and
 * *name_len, or false when text is not a reply.
 */
bool roost_entities_reply(const char *text, size_t len, size_t *name_off,
                          size_t *name_len);

/* roost_entities_is_valid_username - text is exactly one "@name". */
bool roost_entities_is_valid_username(const char *text, size_t len);

/* roost_entities_is_valid_list - text is exactly one "@name/slug". */
bool roost_entities_is_valid_list(const char *text, size_t len);

/* roost_entities_is_valid_hashtag - text is exactly one hashtag. */
bool roost_entities_is_valid_hashtag(const char *text, size_t len);

/*
 * roost_entities_is_valid_url - text is one well-formed URL by twitter-text's
 * RFC 3986 check (isValidUrl with Unicode domains): http or https only, or
 * no scheme at all when require_protocol is false.
 */
bool roost_entities_is_valid_url(const char *text, size_t len,
                                 bool require_protocol);

/* ---- weighted length (weighted.c) ---------------------------------------- */

struct roost_weighted_range {
    uint32_t lo, hi; /* code points, inclusive */
    int weight;
};

/* twitter-text's config/v*.json. */
struct roost_weighted_cfg {
    int max_weighted_length; /* 280 */
    int scale;               /* weights are in 1/scale units */
    int default_weight;
    int url_length;     /* what a URL counts, before scaling */
    bool emoji_parsing; /* an emoji sequence weighs default_weight once */
    size_t n_ranges;
    const struct roost_weighted_range *ranges;
};

extern const struct roost_weighted_cfg roost_weighted_v1; /* 140 code points */
extern const struct roost_weighted_cfg roost_weighted_v2;
extern const struct roost_weighted_cfg roost_weighted_v3; /* the default */

/* Offsets are UTF-16 units of the original text, ends inclusive, as
 * twitter-text reports them. */
struct roost_weighted_len {
    int weighted_length;
    int permillage; /* weighted_length * 1000 / max_weighted_length */
    bool valid;     /* not empty, within the limit, no U+FFFE/FEFF/FFFF */
    int display_start, display_end;
    int valid_start, valid_end;
};

/*
 * roost_weighted_length - twitter-text's parseTweet: the NFC form of
 * text[0..len) (valid UTF-8) weighed per cfg (NULL: v3); URLs count
 * cfg->url_length each.
 * Returns: 0 with *out filled, ROOST_EINVAL for invalid UTF-8, or
 * ROOST_ENOMEM when the NFC copy cannot be allocated (only text that is not
 * already NFC needs one).
 */
int roost_weighted_length(const char *text, size_t len,
                          const struct roost_weighted_cfg *cfg,
                          struct roost_weighted_len *out);

#endif /* ROOST_PARSE_ENTITIES_H */
