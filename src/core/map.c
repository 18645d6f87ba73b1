/* SPDX-License-Identifier: MIT
 *
 * map.c - open-addressing counter map.
 *
 * The table doubles at 50 % load, so probes stay short. Top-k keeps a
 * small binary min-heap of k entries over one pass: O(n log k).
 */
#include <string.h>

#include "core/err.h"
#include "core/map.h"
#include "core/mem.h"

uint64_t roost_hash(const void *p, size_t len)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        h = (h ^ w) * 0x100000001b3ull;
        h ^= h >> 29;
    }
    for (; i < len; i++) {
        h = (h ^ s[i]) * 0x100000001b3ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return h;
}

void roost_map_init(struct roost_map *m, size_t max_keys)
{
    memset(m, 0, sizeof(*m));
    m->max_keys = max_keys;
    roost_arena_init(&m->keys, 64u << 10, (size_t)1 << 40);
}

void roost_map_fini(struct roost_map *m)
{
    roost_free(m->slots);
    roost_arena_fini(&m->keys);
    memset(m, 0, sizeof(*m));
}

static int grow(struct roost_map *m)
{
    size_t n = m->n_slots ? m->n_slots * 2 : 1024;
    struct roost_map_entry *s = roost_calloc(n, sizeof(*s));
    if (s == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (size_t i = 0; i < m->n_slots; i++) {
        struct roost_map_entry *e = &m->slots[i];
        if (e->key.ptr == NULL) {
            continue;
        }
        size_t j = e->hash & (n - 1);
        while (s[j].key.ptr != NULL) {
            j = (j + 1) & (n - 1);
        }
        s[j] = *e;
    }
    roost_free(m->slots);
    m->slots = s;
    m->n_slots = n;
    return 0;
}

static struct roost_map_entry *find(const struct roost_map *m, uint64_t h,
                                    const char *key, size_t len)
{
    size_t j = h & (m->n_slots - 1);
    for (;;) {
        struct roost_map_entry *e = &m->slots[j];
        if (e->key.ptr == NULL) {
            return e;
        }
        if (e->hash == h && e->key.len == len &&
            memcmp(e->key.ptr, key, len) == 0) {
            return e;
        }
        j = (j + 1) & (m->n_slots - 1);
    }
}

int roost_map_add(struct roost_map *m, const char *key, size_t len,
                  uint64_t n)
{
    if (m->n_slots == 0 || (m->n_keys + 1) * 2 > m->n_slots) {
        int rc = grow(m);
        if (rc < 0) {
            return rc;
        }
    }
    uint64_t h = roost_hash(key, len);
    struct roost_map_entry *e = find(m, h, key, len);
    if (e->key.ptr != NULL) {
        e->count += n;
        return 0;
    }
    if (m->n_keys >= m->max_keys) {
        m->n_dropped++;
        return ROOST_ERR(ROOST_ELIMIT);
    }
    char *k = roost_arena_dup(&m->keys, key, len);
    if (k == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    e->key = roost_str_make(k, len);
    e->hash = h;
    e->count = n;
    m->n_keys++;
    return 0;
}

int roost_map_merge(struct roost_map *dst, const struct roost_map *src)
{
    for (size_t i = 0; i < src->n_slots; i++) {
        const struct roost_map_entry *e = &src->slots[i];
        if (e->key.ptr == NULL) {
            continue;
        }
        int rc = roost_map_add(dst, e->key.ptr, e->key.len, e->count);
        if (rc == ROOST_ELIMIT) {
            dst->n_dropped += e->count - 1; /* every occurrence refused */
        } else if (rc < 0) {
            return rc;
        }
    }
    dst->n_dropped += src->n_dropped;
    return 0;
}

uint64_t roost_map_get(const struct roost_map *m, const char *key, size_t len)
{
    if (m->n_slots == 0) {
        return 0;
    }
    const struct roost_map_entry *e = find(m, roost_hash(key, len), key, len);
    return e->key.ptr != NULL ? e->count : 0;
}

/* a ranks below b: lower count, or equal count and greater key */
static int below(const struct roost_map_entry *a,
                 const struct roost_map_entry *b)
{
    if (a->count != b->count) {
        return a->count < b->count;
    }
    size_t n = a->key.len < b->key.len ? a->key.len : b->key.len;
    int c = memcmp(a->key.ptr, b->key.ptr, n);
    if (c == 0) {
        return a->key.len > b->key.len;
    }
    return c > 0;
}

static void sift_down(const struct roost_map_entry **h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && below(h[l], h[m])) {
            m = l;
        }
        if (r < n && below(h[r], h[m])) {
            m = r;
        }
        if (m == i) {
            return;
        }
        const struct roost_map_entry *t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

size_t roost_map_top(const struct roost_map *m, size_t k,
                     const struct roost_map_entry **out)
{
    size_t n = 0;
    if (k == 0) {
        return 0;
    }
    for (size_t i = 0; i < m->n_slots; i++) {
        const struct roost_map_entry *e = &m->slots[i];
        if (e->key.ptr == NULL) {
            continue;
        }
        if (n < k) {
            out[n++] = e;
            if (n == k) {
                for (size_t j = k / 2 + 1; j-- > 0;) {
                    sift_down(out, n, j);
                }
            }
        } else if (below(out[0], e)) {
            out[0] = e;
            sift_down(out, n, 0);
        }
    }
    if (n < k) {
        for (size_t j = n / 2 + 1; j-- > 0;) {
            sift_down(out, n, j);
        }
    }
    /* Heap-sort: repeatedly move the lowest to the end. */
    for (size_t end = n; end > 1; end--) {
        const struct roost_map_entry *t = out[0];
        out[0] = out[end - 1];
        out[end - 1] = t;
        sift_down(out, end - 1, 0);
    }
    return n;
}
