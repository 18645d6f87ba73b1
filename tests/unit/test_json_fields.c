/* SPDX-License-Identifier: MIT
 *
 * test_json_fields.c - one-pass member extraction: it must answer exactly
 * what roost_json_getn() answers, for every key of the set, on duplicates,
 * absent and escaped keys, empty objects, non-objects, and key sets whose
 * keys share lengths, prefixes and the bytes the hash looks at.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "parse/json.h"
#include "parse/json_fields.h"

static int parse_s(struct roost_json_doc *d, const char *s)
{
    return roost_json_parse(d, s, strlen(s), NULL);
}

enum { T_ID, T_ID_STR, T_TEXT, T_USER, T_LANG, T_COUNT };
static const char *const tweet_keys[T_COUNT] = {
    [T_ID] = "id",     [T_ID_STR] = "id_str", [T_TEXT] = "text",
    [T_USER] = "user", [T_LANG] = "lang",
};
static struct roost_json_keyset tweet_ks = ROOST_JSON_KEYSET(tweet_keys);

#define K16 "kkkkkkkkkkkkkkkk"
#define L16 "LLLLLLLLLLLLLLLL"

/* Keys sharing lengths, prefixes, first/middle/last bytes, and a key
 * longer than 16 bytes that differs only in its middle. */
static const char *const tricky_keys[] = {
    "a",
    "b",
    "ab",
    "ba",
    "aa",
    "abc",
    "acc",
    "abcd",
    "abdd",
    "text",
    "test",
    "tent",
    "texts",
    "id",
    "id_str",
    "id_stx",
    "in_reply_to_status_id",
    "in_reply_to_status_id_str",
    "in_reply_to_user_id",
    "in_reply_to_user_id_str",
    "in_reply_to_xxxxxx_id_str",
    "abcdefgh",
    "abcdefgx",
    "xbcdefgh",
    "abcdefghi",
    "abcdefghijklmnopq",
    "abcdefghXjklmnopq",
    "abcdefghijklmnopqrstuvwxyz0123456789",
    "abcdefghijklmnopqrstuvwxyz012345678X",
    /* Lengths past the first word of the keyset's length bitmap. */
    K16 K16 K16 "kkkkkkkkkkkk_064",
    L16 L16 L16 L16 L16 L16 "_100",
    "\xc3\xa9t\xc3\xa9", /* été, non-ASCII: last (test_escaped_keys) */
};
#define N_TRICKY (sizeof(tricky_keys) / sizeof(tricky_keys[0]))
static struct roost_json_keyset tricky_ks = ROOST_JSON_KEYSET(tricky_keys);

/* same_as_getn - roost_json_fields agrees with roost_json_getn on every
 * key of ks, for object obj of d. */
static void same_as_getn(const struct roost_json_doc *d, uint32_t obj,
                         struct roost_json_keyset *ks)
{
    uint32_t out[ROOST_JSON_FIELDS_MAX_KEYS];
    bool is = roost_json_fields(d, obj, ks, out);
    CHECK(is == roost_json_is(d, obj, ROOST_JSON_OBJECT));
    for (uint32_t i = 0; i < ks->n_keys; i++) {
        uint32_t want =
            roost_json_getn(d, obj, ks->keys[i], strlen(ks->keys[i]));
        CHECK_MSG(out[i] == want, "key \"%s\": %u != %u", ks->keys[i], out[i],
                  want);
    }
}

static void test_basic(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    CHECK_INT_EQ(parse_s(&d, "{\"text\":\"hi\",\"id\":7,\"other\":[1,2],"
                             "\"user\":{\"id\":1,\"text\":2},\"x\":null}"),
                 0);
    uint32_t f[T_COUNT];
    CHECK(roost_json_fields(&d, 0, &tweet_ks, f));
    struct roost_str s = roost_json_str(&d, f[T_TEXT]);
    CHECK_MEM_EQ(s.ptr, s.len, "hi");
    int64_t v = 0;
    CHECK(roost_json_i64(&d, f[T_ID], &v));
    CHECK_INT_EQ(v, 7);
    CHECK(roost_json_is(&d, f[T_USER], ROOST_JSON_OBJECT));
    CHECK(f[T_ID_STR] == ROOST_JSON_NONE);
    CHECK(f[T_LANG] == ROOST_JSON_NONE);
    same_as_getn(&d, 0, &tweet_ks);
    /* Nested members are not the object's own. */
    uint32_t fu[T_COUNT];
    CHECK(roost_json_fields(&d, f[T_USER], &tweet_ks, fu));
    CHECK(fu[T_ID] != f[T_ID] && fu[T_ID] != ROOST_JSON_NONE);
    CHECK(fu[T_USER] == ROOST_JSON_NONE);
    same_as_getn(&d, f[T_USER], &tweet_ks);
    roost_json_doc_fini(&d);
}

static void test_duplicates_last_wins(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    CHECK_INT_EQ(parse_s(&d, "{\"id\":1,\"text\":\"a\",\"id\":2,"
                             "\"text\":{\"n\":1},\"id\":3}"),
                 0);
    uint32_t f[T_COUNT];
    CHECK(roost_json_fields(&d, 0, &tweet_ks, f));
    int64_t v = 0;
    CHECK(roost_json_i64(&d, f[T_ID], &v));
    CHECK_INT_EQ(v, 3);
    CHECK(roost_json_is(&d, f[T_TEXT], ROOST_JSON_OBJECT));
    same_as_getn(&d, 0, &tweet_ks);
    roost_json_doc_fini(&d);
}

static void test_absent_and_empty(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    uint32_t f[T_COUNT];
    CHECK_INT_EQ(parse_s(&d, "{}"), 0);
    CHECK(roost_json_fields(&d, 0, &tweet_ks, f));
    for (int i = 0; i < T_COUNT; i++) {
        CHECK(f[i] == ROOST_JSON_NONE);
    }
    /* Keys that are prefixes, extensions or case variants of set keys,
     * and the empty key. */
    CHECK_INT_EQ(parse_s(&d, "{\"\":1,\"i\":1,\"ids\":1,\"id_st\":1,"
                             "\"id_strr\":1,\"Text\":1,\"tex\":1,"
                             "\"texts\":1,\"user \":1,\"LANG\":1}"),
                 0);
    CHECK(roost_json_fields(&d, 0, &tweet_ks, f));
    for (int i = 0; i < T_COUNT; i++) {
        CHECK(f[i] == ROOST_JSON_NONE);
    }
    same_as_getn(&d, 0, &tweet_ks);
    roost_json_doc_fini(&d);
}

static void test_escaped_keys(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    CHECK_INT_EQ(parse_s(&d, "{\"te\\u0078t\":\"x\",\"\\u0069d\":5,"
                             "\"id\\u005fstr\":\"9\",\"us\\/er\":1,"
                             "\"\\u00e9t\\u00e9\":2}"),
                 0);
    uint32_t f[T_COUNT];
    CHECK(roost_json_fields(&d, 0, &tweet_ks, f));
    struct roost_str s = roost_json_str(&d, f[T_TEXT]);
    CHECK_MEM_EQ(s.ptr, s.len, "x");
    int64_t v = 0;
    CHECK(roost_json_i64(&d, f[T_ID], &v));
    CHECK_INT_EQ(v, 5);
    s = roost_json_str(&d, f[T_ID_STR]);
    CHECK_MEM_EQ(s.ptr, s.len, "9");
    CHECK(f[T_USER] == ROOST_JSON_NONE); /* "us/er" is not "user" */
    same_as_getn(&d, 0, &tweet_ks);
    /* The decoded non-ASCII key matches its UTF-8 spelling. */
    uint32_t t[N_TRICKY];
    CHECK(roost_json_fields(&d, 0, &tricky_ks, t));
    CHECK(t[N_TRICKY - 1] != ROOST_JSON_NONE);
    same_as_getn(&d, 0, &tricky_ks);
    roost_json_doc_fini(&d);
}

static void test_not_an_object(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    uint32_t f[T_COUNT];
    const char *docs[] = {
        "[\"id\",1,\"text\",2]", "\"id\"", "1", "null", "true", "[{\"id\":1}]",
    };
    for (size_t j = 0; j < sizeof(docs) / sizeof(docs[0]); j++) {
        CHECK_INT_EQ(parse_s(&d, docs[j]), 0);
        memset(f, 0, sizeof(f));
        CHECK(!roost_json_fields(&d, 0, &tweet_ks, f));
        for (int i = 0; i < T_COUNT; i++) {
            CHECK(f[i] == ROOST_JSON_NONE);
        }
    }
    memset(f, 0, sizeof(f));
    CHECK(!roost_json_fields(&d, ROOST_JSON_NONE, &tweet_ks, f));
    for (int i = 0; i < T_COUNT; i++) {
        CHECK(f[i] == ROOST_JSON_NONE);
    }
    roost_json_doc_fini(&d);
}

/* Every key of the tricky set, each with a distinct value, in an object
 * that also holds near misses of each key. */
static void test_tricky_keyset(void)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    char buf[8192];
    size_t len = 0;
    buf[len++] = '{';
    for (size_t i = 0; i < N_TRICKY; i++) {
        const char *k = tricky_keys[i];
        size_t kl = strlen(k);
        /* Near misses (no key of the set holds a '~'): the key with its
         * last byte changed (ASCII keys only: the result must be UTF-8),
         * with one byte more, and with one byte more in front. */
        bool ascii = (unsigned char)k[kl - 1] < 0x80;
        int w = snprintf(buf + len, sizeof(buf) - len,
                         "\"%.*s~\":-1,\"%s~\":-2,\"~%s\":-3,\"%s\":%zu,",
                         ascii ? (int)kl - 1 : 0, k, k, k, k, i);
        CHECK(w > 0 && (size_t)w < sizeof(buf) - len);
        len += (size_t)w;
    }
    buf[len - 1] = '}';
    CHECK_INT_EQ(roost_json_parse(&d, buf, len, NULL), 0);
    uint32_t out[N_TRICKY];
    CHECK(roost_json_fields(&d, 0, &tricky_ks, out));
    for (size_t i = 0; i < N_TRICKY; i++) {
        int64_t v = -9;
        CHECK_MSG(roost_json_i64(&d, out[i], &v) && v == (int64_t)i,
                  "key \"%s\" gave %lld", tricky_keys[i], (long long)v);
        CHECK_INT_EQ(roost_json_keyset_slot(&tricky_ks, tricky_keys[i],
                                            strlen(tricky_keys[i])),
                     (long long)i);
    }
    same_as_getn(&d, 0, &tricky_ks);
    CHECK_INT_EQ(roost_json_keyset_slot(&tricky_ks, "", 0), -1);
    CHECK_INT_EQ(roost_json_keyset_slot(&tricky_ks, "abcdefghijklmnopqr", 18),
                 -1);
    CHECK_INT_EQ(roost_json_keyset_slot(&tricky_ks, "ac", 2), -1);
    CHECK_INT_EQ(roost_json_keyset_slot(&tricky_ks, "text", 3), -1);
    roost_json_doc_fini(&d);
}

/* A full keyset (64 keys of one length and shape) still finds every key:
 * collisions, if any, are resolved by probing. */
static void test_full_keyset(void)
{
    static char names[ROOST_JSON_FIELDS_MAX_KEYS][8];
    static const char *keys[ROOST_JSON_FIELDS_MAX_KEYS];
    for (int i = 0; i < ROOST_JSON_FIELDS_MAX_KEYS; i++) {
        /* "kXY__k": one length, and the same first, middle and last
         * bytes: every key has the same hash, and probing finds them. */
        snprintf(names[i], sizeof(names[i]), "k%c%c__k", 'a' + i / 8,
                 'a' + i % 8);
        keys[i] = names[i];
    }
    static struct roost_json_keyset ks = {
        .keys = keys,
        .n_keys = ROOST_JSON_FIELDS_MAX_KEYS,
    };
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    char buf[4096];
    size_t len = 0;
    buf[len++] = '{';
    for (int i = ROOST_JSON_FIELDS_MAX_KEYS - 1; i >= 0; i--) {
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "\"%s\":%d,",
                                keys[i], i);
    }
    buf[len - 1] = '}';
    CHECK_INT_EQ(roost_json_parse(&d, buf, len, NULL), 0);
    uint32_t out[ROOST_JSON_FIELDS_MAX_KEYS];
    CHECK(roost_json_fields(&d, 0, &ks, out));
    for (int i = 0; i < ROOST_JSON_FIELDS_MAX_KEYS; i++) {
        int64_t v = -1;
        CHECK(roost_json_i64(&d, out[i], &v));
        CHECK_INT_EQ(v, i);
    }
    same_as_getn(&d, 0, &ks);
    roost_json_doc_fini(&d);
}

/* Random objects over a small alphabet of keys, checked against getn. */
static void test_random_vs_getn(void)
{
    static const char *const alpha[] = {
        "a",
        "ab",
        "abc",
        "text",
        "id",
        "id_str",
        "user",
        "lang",
        "tex",
        "abcdefghijklmnopq",
        "abcdefghXjklmnopq",
        "in_reply_to_user_id",
        K16 K16 K16 "kkkkkkkkkkkk_064",
        K16 K16 K16 "kkkkkkkkkkk_063",
    };
    size_t n_alpha = sizeof(alpha) / sizeof(alpha[0]);
    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    unsigned seed = 12345;
    for (int round = 0; round < 500; round++) {
        char buf[4096];
        size_t len = 0;
        buf[len++] = '{';
        seed = seed * 1103515245u + 12345u;
        int members = (int)(seed >> 16) % 40;
        for (int m = 0; m < members; m++) {
            seed = seed * 1103515245u + 12345u;
            const char *k = alpha[(seed >> 16) % n_alpha];
            len +=
                (size_t)snprintf(buf + len, sizeof(buf) - len, "\"%s\":%s%d,",
                                 k, (seed & 1) != 0 ? "" : "-", m);
        }
        if (members > 0) {
            len--;
        }
        buf[len++] = '}';
        CHECK_INT_EQ(roost_json_parse(&d, buf, len, NULL), 0);
        same_as_getn(&d, 0, &tweet_ks);
        same_as_getn(&d, 0, &tricky_ks);
    }
    roost_json_doc_fini(&d);
}

CHECK_LIST(test_basic, test_duplicates_last_wins, test_absent_and_empty,
           test_escaped_keys, test_not_an_object, test_tricky_keyset,
           test_full_keyset, test_random_vs_getn);
