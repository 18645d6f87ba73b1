/* SPDX-License-Identifier: MIT
 *
 * json_fields.h - read many members of one JSON object in a single pass.
 *
 * A normalizer that asks a tweet for 30 keys one by one pays for 30
 * lookups (and for the hash index roost_json_getn() builds on big
 * objects). Instead, name the keys once in a static table, and let
 * roost_json_fields() walk the object's members once, dropping each
 * member's value into the slot of its key:
 *
 *     enum { F_ID_STR, F_TEXT, F_USER, F_COUNT };
 *     static const char *const keys[F_COUNT] = {
 *         [F_ID_STR] = "id_str", [F_TEXT] = "text", [F_USER] = "user",
 *     };
 *     static struct roost_json_keyset ks = ROOST_JSON_KEYSET(keys);
 *
 *     uint32_t f[F_COUNT];
 *     if (roost_json_fields(d, obj, &ks, f)) {
 *         ... f[F_TEXT] is the value token of "text", or ROOST_JSON_NONE
 *     }
 *
 * The answers are those of roost_json_getn(): keys match the decoded key
 * ("te\u0078t" is "text"), the last duplicate wins, absent keys give
 * ROOST_JSON_NONE. Only the public tape of json.h is read.
 *
 * The keyset's lookup table (a small multiplicative hash on the key's
 * length and three of its bytes, searched until it has no collisions) and
 * a bitmap of its key lengths, which dismisses most members of a big
 * object before any hashing, are built by the first call that uses it and
 * never change afterwards; the build is serialized, so one keyset may be
 * shared by every thread. A small keyset is cheaper than a big one whose
 * extra slots go unread: fmt_x1 reads a user with three keys unless the
 * caller wants the profile.
 */
#ifndef ROOST_PARSE_JSON_FIELDS_H
#define ROOST_PARSE_JSON_FIELDS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "parse/json.h"

#define ROOST_JSON_FIELDS_MAX_KEYS    64  /* keys in one keyset */
#define ROOST_JSON_FIELDS_MAX_KEY_LEN 255 /* bytes in one key */
#define ROOST_JSON_FIELDS_TABLE_LOG2  8   /* lookup table: 256 buckets */

/* A set of distinct, non-empty keys; slot i is keys[i]. Declare it with
 * ROOST_JSON_KEYSET(), in static storage, not const. */
struct roost_json_keyset {
    const char *const *keys; /* read-only: NUL-terminated, by slot */
    uint32_t n_keys;         /* read-only: <= ROOST_JSON_FIELDS_MAX_KEYS */
    atomic_uint built;       /* private: 1 once the fields below are set */
    uint32_t mul;            /* private: hash multiplier */
    uint8_t shift;           /* private: 32 - log2(buckets) */
    uint8_t max_len;         /* private: longest key */
    /* private: bit n set when some key is n bytes long; most members of a
     * big object are then dismissed on their length alone */
    uint64_t lens[(ROOST_JSON_FIELDS_MAX_KEY_LEN + 64) / 64];
    /* private: per slot, the key's length and three of its bytes */
    uint32_t mixes[ROOST_JSON_FIELDS_MAX_KEYS];
    /* private: bucket -> slot + 1, 0 when empty (linear probing) */
    uint8_t tab[1u << ROOST_JSON_FIELDS_TABLE_LOG2];
};

/* ROOST_JSON_KEYSET - initializer from a `const char *const keys[]` array
 * (an array, not a pointer: its length is taken with sizeof). */
#define ROOST_JSON_KEYSET(key_array)                                           \
    {                                                                          \
        .keys = (key_array),                                                   \
        .n_keys = (uint32_t)(sizeof(key_array) / sizeof((key_array)[0])),      \
    }

/*
 * roost_json_fields - out[i] = value token of member keys[i] of object obj
 * (the last one when the key repeats), or ROOST_JSON_NONE; one pass over
 * the members. out has ks->n_keys entries.
 *
 * A keyset breaking its rules (more than ROOST_JSON_FIELDS_MAX_KEYS keys;
 * an empty, too long or repeated key) asserts in debug builds; in release
 * builds the offending slots stay ROOST_JSON_NONE.
 * Returns: true when obj is an object; false (every out[i] NONE) when obj
 * is ROOST_JSON_NONE or not an object.
 */
bool roost_json_fields(const struct roost_json_doc *d, uint32_t obj,
                       struct roost_json_keyset *ks, uint32_t *out);

/* roost_json_keyset_slot - the slot of key (key, key_len) in ks, or -1. */
int roost_json_keyset_slot(struct roost_json_keyset *ks, const char *key,
                           size_t key_len);

#endif /* ROOST_PARSE_JSON_FIELDS_H */
