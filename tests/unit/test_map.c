/* SPDX-License-Identifier: MIT
 *
 * test_map.c - counter map and top-k, against a brute-force reference.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "core/map.h"

static void test_add_get(void)
{
    struct roost_map m;
    roost_map_init(&m, 100);
    CHECK_INT_EQ(roost_map_add(&m, "a", 1, 2), 0);
    CHECK_INT_EQ(roost_map_add(&m, "a", 1, 3), 0);
    CHECK_INT_EQ(roost_map_add(&m, "b", 1, 1), 0);
    CHECK_INT_EQ(roost_map_get(&m, "a", 1), 5);
    CHECK_INT_EQ(roost_map_get(&m, "b", 1), 1);
    CHECK_INT_EQ(roost_map_get(&m, "c", 1), 0);
    CHECK_INT_EQ(m.n_keys, 2);
    roost_map_fini(&m);
}

static void test_cap(void)
{
    struct roost_map m;
    roost_map_init(&m, 3);
    char k[8];
    int refused = 0;
    for (int i = 0; i < 10; i++) {
        int n = snprintf(k, sizeof(k), "k%d", i);
        if (roost_map_add(&m, k, (size_t)n, 1) == ROOST_ELIMIT) {
            refused++;
        }
    }
    CHECK_INT_EQ(refused, 7);
    CHECK_INT_EQ(m.n_dropped, 7);
    CHECK_INT_EQ(roost_map_add(&m, "k0", 2, 1), 0); /* existing still counts */
    roost_map_fini(&m);
}

static void test_top_matches_reference(void)
{
    enum { N_KEYS = 5000, K = 20 };
    static uint64_t ref[N_KEYS];
    struct roost_map m;
    roost_map_init(&m, N_KEYS);
    srand(7);
    char k[16];
    for (int i = 0; i < 200000; i++) {
        int key = rand() % N_KEYS;
        key = key * key / N_KEYS; /* skewed */
        int n = snprintf(k, sizeof(k), "w%d", key);
        CHECK_INT_EQ(roost_map_add(&m, k, (size_t)n, 1), 0);
        ref[key]++;
    }
    const struct roost_map_entry *top[K];
    size_t n = roost_map_top(&m, K, top);
    CHECK_INT_EQ(n, K);
    for (size_t i = 1; i < n; i++) {
        CHECK(top[i - 1]->count >= top[i]->count);
    }
    /* Every key outside the top has a count <= the k-th. */
    for (int key = 0; key < N_KEYS; key++) {
        int kn = snprintf(k, sizeof(k), "w%d", key);
        bool in_top = false;
        for (size_t i = 0; i < n; i++) {
            in_top |= top[i]->key.len == (size_t)kn &&
                      memcmp(top[i]->key.ptr, k, (size_t)kn) == 0;
        }
        if (!in_top) {
            CHECK(ref[key] <= top[K - 1]->count);
        } else {
            CHECK_INT_EQ(roost_map_get(&m, k, (size_t)kn), ref[key]);
        }
    }
    roost_map_fini(&m);
}

static void test_top_ties_by_key(void)
{
    struct roost_map m;
    roost_map_init(&m, 10);
    roost_map_add(&m, "zeta", 4, 2);
    roost_map_add(&m, "alpha", 5, 2);
    roost_map_add(&m, "mid", 3, 2);
    roost_map_add(&m, "big", 3, 9);
    const struct roost_map_entry *top[3];
    CHECK_INT_EQ(roost_map_top(&m, 3, top), 3);
    CHECK_MEM_EQ(top[0]->key.ptr, top[0]->key.len, "big");
    CHECK_MEM_EQ(top[1]->key.ptr, top[1]->key.len, "alpha");
    CHECK_MEM_EQ(top[2]->key.ptr, top[2]->key.len, "mid");
    roost_map_fini(&m);
}

/* Merging per-thread maps gives the counts of one map fed everything. */
static void test_merge(void)
{
    struct roost_map part[3], all, merged;
    roost_map_init(&all, 1000);
    roost_map_init(&merged, 1000);
    char k[16];
    for (int p = 0; p < 3; p++) {
        roost_map_init(&part[p], 1000);
    }
    unsigned seed = 7;
    for (int i = 0; i < 5000; i++) {
        seed = seed * 1103515245u + 12345u;
        int n = snprintf(k, sizeof(k), "w%u", (seed >> 16) % 300);
        CHECK_INT_EQ(roost_map_add(&part[i % 3], k, (size_t)n, 1), 0);
        CHECK_INT_EQ(roost_map_add(&all, k, (size_t)n, 1), 0);
    }
    for (int p = 0; p < 3; p++) {
        CHECK_INT_EQ(roost_map_merge(&merged, &part[p]), 0);
    }
    CHECK_INT_EQ(merged.n_keys, all.n_keys);
    for (int w = 0; w < 300; w++) {
        int n = snprintf(k, sizeof(k), "w%d", w);
        CHECK_INT_EQ(roost_map_get(&merged, k, (size_t)n),
                     roost_map_get(&all, k, (size_t)n));
    }
    /* A full destination counts what it could not take. */
    struct roost_map small;
    roost_map_init(&small, 10);
    CHECK_INT_EQ(roost_map_merge(&small, &all), 0);
    CHECK_INT_EQ(small.n_keys, 10);
    uint64_t kept = 0;
    for (int w = 0; w < 300; w++) {
        int n = snprintf(k, sizeof(k), "w%d", w);
        kept += roost_map_get(&small, k, (size_t)n);
    }
    CHECK_INT_EQ(small.n_dropped, 5000 - kept); /* occurrences refused */
    roost_map_fini(&small);
    for (int p = 0; p < 3; p++) {
        roost_map_fini(&part[p]);
    }
    roost_map_fini(&all);
    roost_map_fini(&merged);
}

CHECK_LIST(test_add_get, test_cap, test_top_matches_reference,
           test_top_ties_by_key, test_merge)
