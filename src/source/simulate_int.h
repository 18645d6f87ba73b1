/* SPDX-License-Identifier: MIT
 *
 * simulate_int.h - what simulate.c, simulate_words.c and test_simulate.c
 * share: the vocabulary tables and a look at the last generated record.
 */
#ifndef ROOST_SOURCE_SIMULATE_INT_H
#define ROOST_SOURCE_SIMULATE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"
#include "source/simulate.h"

struct roost__sim_lang {
    const char *code;         /* BCP 47 as X sends it */
    const char *const *words; /* most frequent first */
    size_t n_words;
    double share; /* of users writing in it */
    bool spaced;  /* words are separated by spaces */
};

struct roost__sim_place {
    const char *id, *type, *name, *full_name, *country_code, *country;
    double west, south, east, north;
};

extern const struct roost__sim_lang roost__sim_langs[];
extern const size_t roost__sim_n_langs;
extern const char *const roost__sim_tags[];
extern const size_t roost__sim_n_tags;
extern const char *const roost__sim_trends[];
extern const size_t roost__sim_n_trends;
extern const char *const roost__sim_emoji[];
extern const size_t roost__sim_n_emoji;
extern const char *const roost__sim_given[];
extern const size_t roost__sim_n_given;
extern const char *const roost__sim_family[];
extern const size_t roost__sim_n_family;
extern const char *const roost__sim_syllables[];
extern const size_t roost__sim_n_syllables;
extern const char *const roost__sim_bios[];
extern const size_t roost__sim_n_bios;
extern const char *const roost__sim_domains[];
extern const size_t roost__sim_n_domains;
extern const char *const roost__sim_sources[];
extern const size_t roost__sim_n_sources;
extern const struct roost__sim_place roost__sim_places[];
extern const size_t roost__sim_n_places;
extern const char *const roost__sim_tickers[];
extern const size_t roost__sim_n_tickers;

enum roost__sim_kind {
    ROOST__SIM_POST = 0, /* an original post or a reply */
    ROOST__SIM_RETWEET,
    ROOST__SIM_QUOTE,
    ROOST__SIM_DELETE,
    ROOST__SIM_LIMIT,
    ROOST__SIM_EXTRA, /* format-only events: likes, identity... */
};

#define ROOST__SIM_MAX_ENTS 24

/* The last record as generated, for tests: the entities of the primary
 * post exactly as written (v1: from extended_tweet when there is one). */
struct roost__sim_last {
    int kind;    /* enum roost__sim_kind */
    char id[24]; /* primary post id, or the deleted id */
    bool has_geo;
    bool has_burst_tag; /* the post carries the current trending topic */
    uint32_t n_hashtags, n_mentions, n_urls, n_cashtags;
    struct roost_str hashtags[ROOST__SIM_MAX_ENTS]; /* without '#' */
    struct roost_str mentions[ROOST__SIM_MAX_ENTS]; /* without '@' */
    struct roost_str urls[ROOST__SIM_MAX_ENTS];     /* as in the text */
    struct roost_str cashtags[ROOST__SIM_MAX_ENTS];
};

/* roost__sim_last - the last record; views live until the next call. */
const struct roost__sim_last *roost__sim_last(const struct roost_sim *s);

/* roost__sim_trend_name - topic of burst number k (k = t / every_s). */
const char *roost__sim_trend_name(const struct roost_sim *s, uint64_t k);

#endif /* ROOST_SOURCE_SIMULATE_INT_H */
