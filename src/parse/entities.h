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
 * Writes at most max entries to out.
 * Returns: the number of entities found (which may exceed max; only max
 * are written), or a negative ROOST_E* code.
 */
int roost_entities_extract(const char *text, size_t len, unsigned kinds,
                           struct roost_extracted *out, size_t max);

#endif /* ROOST_PARSE_ENTITIES_H */
