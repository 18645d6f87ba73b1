/* SPDX-License-Identifier: MIT
 *
 * fuzz_entities.c - libFuzzer target for entity extraction and weighted
 * length.
 *
 * Input bytes are made valid UTF-8 (each undecodable byte becomes '?') so
 * the scanners, not the UTF-8 gate, get the coverage. Checks the contract:
 * entities come in order, do not overlap, lie inside the text, carry their
 * value inside their span, and code-point offsets agree with the bytes; a
 * single kind yields exactly the ALL result filtered to that kind.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"
#include "parse/entities.h"

#define MAXE 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void must(int cond)
{
    if (!cond) {
        abort();
    }
}

static char *make_valid(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (s == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < size;) {
        uint32_t cp;
        size_t k = roost_utf8_decode(data + i, size - i, &cp);
        if (k == 0) {
            s[i++] = '?';
            continue;
        }
        memcpy(s + i, data + i, k);
        i += k;
    }
    s[size] = '\0';
    return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct roost_extracted all[MAXE], one[MAXE];
    char *s = make_valid(data, size);
    if (s == NULL) {
        return 0;
    }
    int n = roost_entities_extract(s, size, ROOST_ENT_ALL, all, MAXE);
    must(n >= 0);
    int m = n < MAXE ? n : MAXE;
    uint32_t prev_end = 0;
    for (int i = 0; i < m; i++) {
        const struct roost_extracted *e = &all[i];
        must(e->byte_start >= prev_end && e->byte_start < e->byte_end);
        must(e->byte_end <= size);
        must(e->value_off >= e->byte_start &&
             e->value_off + e->value_len <= e->byte_end);
        must(e->start == roost_utf8_count(s, e->byte_start));
        must(e->end - e->start ==
             roost_utf8_count(s + e->byte_start, e->byte_end - e->byte_start));
        if (e->list_len > 0) {
            must(e->kind == ROOST_ENT_MENTION && s[e->list_off] == '/' &&
                 e->list_off + e->list_len == e->byte_end);
        }
        prev_end = e->byte_end;
    }
    for (unsigned kind = 1; kind < ROOST_ENT_ALL; kind <<= 1) {
        int k = roost_entities_extract(s, size, kind, one, MAXE);
        int j = 0;
        for (int i = 0; i < m; i++) {
            if (all[i].kind == kind) {
                must(j < k && memcmp(&all[i], &one[j], sizeof(one[j])) == 0);
                j++;
            }
        }
        must(n > MAXE || j == k);
    }
    size_t off, len;
    if (roost_entities_reply(s, size, &off, &len)) {
        must(len >= 1 && len <= 20 && off + len <= size);
    }
    (void)roost_entities_is_valid_url(s, size, true);
    (void)roost_entities_is_valid_url(s, size, false);
    (void)roost_entities_is_valid_hashtag(s, size);
    (void)roost_entities_is_valid_list(s, size);
    const struct roost_weighted_cfg *cfgs[] = { &roost_weighted_v1,
                                                &roost_weighted_v2,
                                                &roost_weighted_v3 };
    for (size_t c = 0; c < 3; c++) {
        struct roost_weighted_len r;
        int rc = roost_weighted_length(s, size, cfgs[c], &r);
        must(rc == 0);
        must(r.weighted_length >= 0 && r.valid_end <= r.display_end);
    }
    free(s);
    return 0;
}
