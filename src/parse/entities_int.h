/* SPDX-License-Identifier: MIT
 *
 * entities_int.h - layouts shared by entities.c, weighted.c, the generated
 * tables (unicode_tables.c, tlds.c) and test_entities.c.
 */
#ifndef ROOST_PARSE_ENTITIES_INT_H
#define ROOST_PARSE_ENTITIES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Range tables: { lo | value << 24, hi }, sorted by lo, not overlapping. */
extern const uint32_t roost__uc_hashtag[][2]; /* 3: L/M, 2: Nd, _, extras */
extern const size_t roost__uc_n_hashtag;
extern const uint32_t roost__uc_emoji[][2]; /* Extended_Pictographic */
extern const size_t roost__uc_n_emoji;
extern const uint32_t roost__uc_ccc[][2]; /* canonical combining class */
extern const size_t roost__uc_n_ccc;
/* { cp, offset | length << 16 } into roost__uc_decomp_cps, sorted by cp */
extern const uint32_t roost__uc_decomp[][2];
extern const size_t roost__uc_n_decomp;
extern const uint32_t roost__uc_decomp_cps[];
/* { first, second, composite }, sorted by (first, second) */
extern const uint32_t roost__uc_comp[][3];
extern const size_t roost__uc_n_comp;

/* Lowercase UTF-8 TLDs sorted by bytes (tlds.c). */
extern const char *const roost__tlds[];
extern const size_t roost__n_tlds;
extern const size_t roost__tld_max_bytes;

#define ROOST__UC_ALNUM 2u
#define ROOST__UC_ALPHA 1u

/*
 * roost__uc_lookup - the value stored with the range holding cp in table
 * t[0..n), 1 for ranges stored without a value, or 0 when cp is in none.
 */
unsigned roost__uc_lookup(const uint32_t (*t)[2], size_t n, uint32_t cp);

/*
 * struct roost__url_scan - the URL extractor as a resumable cursor, so the
 * entity merger and the weighted length counter can both pull URLs one at
 * a time without storage. All offsets are bytes into t.
 */
struct roost__url_scan {
    const unsigned char *t;
    size_t n;
    size_t pos;      /* next candidate start */
    size_t last_end; /* end of the last regex-level match */
    /* protocol-less match being split into its ASCII domains */
    bool sub_active, sub_has_next, sub_path;
    size_t sub_a, sub_b, sub_limit, sub_url_end;
    /* memo of the label holding the current candidate */
    size_t lab_from, lab_end, lab_last_us;
    bool lab_valid, lab_end_ok;
    /* memo of the chain of labels after it (see domain_end) */
    size_t ch_from, ch_term, ch_best_lab, ch_best_end;
    bool ch_valid, ch_found;
};

void roost__url_scan_init(struct roost__url_scan *s, const char *text,
                          size_t len);

/*
 * roost__url_next - the next URL in text order as bytes [*start, *end).
 * Returns: false when there are no more.
 */
bool roost__url_next(struct roost__url_scan *s, size_t *start, size_t *end);

#endif /* ROOST_PARSE_ENTITIES_INT_H */
