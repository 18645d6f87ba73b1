/* SPDX-License-Identifier: MIT
 *
 * map.h - a bounded hash map from byte-string keys to a 64-bit counter.
 *
 * Open addressing with linear probing; keys are copied into the map's own
 * storage. The number of keys is capped at init: adding a new key past the
 * cap returns ROOST_ELIMIT and bumps n_dropped (the caller decides whether
 * that is an error or a sketch fallback). Thread: owned by one thread.
 */
#ifndef ROOST_CORE_MAP_H
#define ROOST_CORE_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/err.h"
#include "core/str.h"

struct roost_map_entry {
    struct roost_str key; /* read-only: copy owned by the map */
    uint64_t hash;        /* private */
    uint64_t count;       /* read-write */
};

struct roost_map {
    struct roost_map_entry *slots; /* private */
    size_t n_slots;                /* private: power of two */
    size_t n_keys;                 /* read-only */
    size_t max_keys;               /* private */
    uint64_t n_dropped;            /* read-only: additions refused */
    struct roost_arena keys;       /* private */
};

void roost_map_init(struct roost_map *m, size_t max_keys);
void roost_map_fini(struct roost_map *m);

/* roost_map_add - count[key] += n. Returns 0, ROOST_ELIMIT or ENOMEM. */
int roost_map_add(struct roost_map *m, const char *key, size_t len,
                  uint64_t n);

/* roost_map_merge - add every count of src into dst (src unchanged);
 * the occurrences of keys dst cannot take count in dst->n_dropped, as do
 * src's own. Returns 0 or ROOST_ENOMEM. */
int roost_map_merge(struct roost_map *dst, const struct roost_map *src);

/* roost_map_get - the count of key, 0 when absent. */
uint64_t roost_map_get(const struct roost_map *m, const char *key,
                       size_t len);

/*
 * roost_map_top - the k entries with the highest counts, ties broken by
 * key (bytewise ascending), written to out (caller storage of k pointers).
 * Returns the number written. Pointers are valid until the next add/fini.
 */
size_t roost_map_top(const struct roost_map *m, size_t k,
                     const struct roost_map_entry **out);

/* roost_hash - 64-bit hash of bytes (FNV-1a mixed; not for adversaries). */
uint64_t roost_hash(const void *p, size_t len);

#endif /* ROOST_CORE_MAP_H */
