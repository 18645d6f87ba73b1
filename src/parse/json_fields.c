/* SPDX-License-Identifier: MIT
 *
 * json_fields.c - one-pass extraction of a fixed set of object members.
 *
 * Every member key of the object is looked up in the keyset, so the
 * lookup is what must be cheap. mix() packs a key's length and its first,
 * middle and last bytes into 32 bits; the table maps mix * mul >> shift to
 * slot + 1. build() tries a fixed sequence of odd multipliers and keeps
 * the first under which no two keys share a bucket (if none does, the one
 * with the fewest collisions; linear probing resolves them, so a keyset
 * is always correct, only a little slower). A member key then costs one
 * multiply and one table load; when its bucket is used, the slot's stored
 * mix must equal the key's before the remaining bytes are compared (keys
 * of 3 bytes or fewer are wholly in the mix). Member keys are read from
 * the tape as they are: the parser decodes keys when it tapes them.
 * Start at roost_json_fields().
 */
#include <assert.h>
#include <pthread.h>
#include <string.h>

#include "parse/json_fields.h"

#define TABLE_SIZE (1u << ROOST_JSON_FIELDS_TABLE_LOG2)
#define MUL_TRIES  256

static_assert(ROOST_JSON_FIELDS_MAX_KEYS < 256, "slot + 1 fits a uint8_t");
static_assert(ROOST_JSON_FIELDS_MAX_KEYS * 4 <= TABLE_SIZE,
              "a full keyset fills at most a quarter of the table");
static_assert(ROOST_JSON_FIELDS_MAX_KEY_LEN <= UINT8_MAX,
              "a key's length fits the low byte of its mix");
static_assert(ROOST_JSON_NONE == UINT32_MAX, "out[] is cleared with 0xff");

/* Serializes the one-time build of every keyset. */
static pthread_mutex_t build_lock = PTHREAD_MUTEX_INITIALIZER;

/* mix - length and first, middle and last bytes of a key of 1..255 bytes. */
static inline uint32_t mix(const char *p, size_t len)
{
    const unsigned char *u = (const unsigned char *)p;
    return (uint32_t)len | (uint32_t)u[0] << 8 | (uint32_t)u[len / 2] << 16 |
           (uint32_t)u[len - 1] << 24;
}

static inline uint64_t load64(const char *p)
{
    uint64_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

static inline uint32_t load32(const char *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof(v));
    return v;
}

/* same_rest - a[0..len) == b[0..len), given that their mixes are equal;
 * reads only inside both ranges. */
static inline bool same_rest(const char *a, const char *b, size_t len)
{
    if (len <= 3) {
        return true; /* every byte is in the mix */
    }
    if (len < 8) {
        return load32(a) == load32(b) &&
               load32(a + len - 4) == load32(b + len - 4);
    }
    for (size_t i = 0; i + 8 < len; i += 8) {
        if (load64(a + i) != load64(b + i)) {
            return false;
        }
    }
    return load64(a + len - 8) == load64(b + len - 8);
}

/* usable - whether key i may go into the table: non-empty, short enough
 * and not a repeat of an earlier key. */
static bool usable(const struct roost_json_keyset *ks, uint32_t i)
{
    const char *k = ks->keys[i];
    size_t len = k != NULL ? strlen(k) : 0;
    if (len == 0 || len > ROOST_JSON_FIELDS_MAX_KEY_LEN) {
        return false;
    }
    for (uint32_t j = 0; j < i; j++) {
        if (ks->keys[j] != NULL && strcmp(ks->keys[j], k) == 0) {
            return false;
        }
    }
    return true;
}

/* fill - the table under ks->mul; returns how many keys collided. */
static uint32_t fill(struct roost_json_keyset *ks, const bool *ok, uint32_t n,
                     uint32_t mask)
{
    uint32_t collisions = 0;
    memset(ks->tab, 0, sizeof(ks->tab));
    for (uint32_t i = 0; i < n; i++) {
        if (!ok[i]) {
            continue;
        }
        uint32_t h = (ks->mixes[i] * ks->mul) >> ks->shift;
        if (ks->tab[h] != 0) {
            collisions++;
        }
        while (ks->tab[h] != 0) {
            h = (h + 1) & mask;
        }
        ks->tab[h] = (uint8_t)(i + 1);
    }
    return collisions;
}

static void build(struct roost_json_keyset *ks)
{
    bool ok[ROOST_JSON_FIELDS_MAX_KEYS] = { false };
    uint32_t n = ks->n_keys;
    assert(n <= ROOST_JSON_FIELDS_MAX_KEYS && "keyset too big");
    if (n > ROOST_JSON_FIELDS_MAX_KEYS) {
        n = ROOST_JSON_FIELDS_MAX_KEYS; /* later slots are never found */
    }
    /* The smallest table at most a quarter full: collisions are rare. */
    uint32_t lg = 4;
    while (lg < ROOST_JSON_FIELDS_TABLE_LOG2 && (1u << lg) < 4 * n) {
        lg++;
    }
    uint32_t mask = (1u << lg) - 1;
    ks->shift = (uint8_t)(32 - lg);
    ks->max_len = 0;
    memset(ks->lens, 0, sizeof(ks->lens));
    for (uint32_t i = 0; i < n; i++) {
        ok[i] = usable(ks, i);
        assert(ok[i] && "keyset key empty, too long or repeated");
        size_t len = ok[i] ? strlen(ks->keys[i]) : 0;
        ks->mixes[i] = ok[i] ? mix(ks->keys[i], len) : 0;
        if (len > ks->max_len) {
            ks->max_len = (uint8_t)len;
        }
        if (ok[i]) {
            ks->lens[len / 64] |= (uint64_t)1 << (len % 64);
        }
    }
    uint32_t best_mul = 0, best = UINT32_MAX;
    uint32_t mul = 0x9e3779b1u; /* odd multipliers, golden ratio first */
    for (int t = 0; t < MUL_TRIES && best > 0; t++) {
        ks->mul = mul;
        uint32_t c = fill(ks, ok, n, mask);
        if (c < best) {
            best = c;
            best_mul = mul;
        }
        mul = (mul * 0x2c9277b5u + 0xac564b05u) | 1u;
    }
    ks->mul = best_mul;
    fill(ks, ok, n, mask);
}

static inline void ready(struct roost_json_keyset *ks)
{
    if (ROOST_LIKELY(atomic_load_explicit(&ks->built, memory_order_acquire))) {
        return;
    }
    pthread_mutex_lock(&build_lock);
    if (!atomic_load_explicit(&ks->built, memory_order_relaxed)) {
        build(ks);
        atomic_store_explicit(&ks->built, 1, memory_order_release);
    }
    pthread_mutex_unlock(&build_lock);
}

/* The read-only part of a built keyset, copied into locals so that the
 * stores into out[] cannot make the compiler reload it. */
struct probe {
    const char *const *keys;
    const uint32_t *mixes;
    const uint8_t *tab;
    const uint64_t *lens;
    uint32_t mul;
    uint32_t shift;
    uint32_t mask;
    size_t max_len;
};

static inline struct probe probe_of(const struct roost_json_keyset *ks)
{
    struct probe pr = {
        .keys = ks->keys,
        .mixes = ks->mixes,
        .tab = ks->tab,
        .lens = ks->lens,
        .mul = ks->mul,
        .shift = ks->shift,
        .mask = UINT32_MAX >> ks->shift,
        .max_len = ks->max_len,
    };
    return pr;
}

/* find - slot of key (p, len), or -1. */
static inline int find(const struct probe *pr, const char *p, size_t len)
{
    if (len - 1 >= pr->max_len || /* also len 0: no key is empty */
        !(pr->lens[len / 64] >> (len % 64) & 1)) {
        return -1;
    }
    uint32_t m = mix(p, len);
    uint32_t h = (m * pr->mul) >> pr->shift;
    for (uint32_t s; (s = pr->tab[h]) != 0; h = (h + 1) & pr->mask) {
        s--;
        if (pr->mixes[s] == m && same_rest(pr->keys[s], p, len)) {
            return (int)s;
        }
    }
    return -1;
}

int roost_json_keyset_slot(struct roost_json_keyset *ks, const char *key,
                           size_t key_len)
{
    ready(ks);
    struct probe pr = probe_of(ks);
    return find(&pr, key, key_len);
}

ROOST_HOT_CLONES
bool roost_json_fields(const struct roost_json_doc *d, uint32_t obj,
                       struct roost_json_keyset *ks, uint32_t *out)
{
    memset(out, 0xff, ks->n_keys * sizeof(*out));
    if (!roost_json_is(d, obj, ROOST_JSON_OBJECT) || obj >= d->n_toks) {
        return false;
    }
    ready(ks);
    struct probe pr = probe_of(ks);
    const struct roost_json_tok *toks = d->toks;
    uint32_t n = toks[obj].len;
    uint32_t k = obj + 1;
    for (uint32_t i = 0; i < n; i++) {
        assert(toks[k].type == ROOST_JSON_STRING);
        int s = find(&pr, toks[k].ptr, toks[k].len);
        if (s >= 0) {
            out[s] = k + 1; /* a later duplicate overwrites: last wins */
        }
        k = toks[k + 1].next;
    }
    return true;
}
