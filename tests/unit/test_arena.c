/* SPDX-License-Identifier: MIT
 *
 * test_arena.c - batch arenas.
 */
#include <stdint.h>

#include "check.h"
#include "core/arena.h"

static void test_alloc_aligned_and_stable(void)
{
    struct roost_arena a;
    roost_arena_init(&a, 256, 1 << 20);
    char *first = roost_arena_dup(&a, "hello", 5);
    CHECK_STR_EQ(first, "hello");
    for (int i = 0; i < 1000; i++) {
        void *p = roost_arena_alloc(&a, (size_t)(i % 37) + 1);
        CHECK(p != NULL);
        CHECK(((uintptr_t)p & 7) == 0);
    }
    CHECK_STR_EQ(first, "hello"); /* chunks never move */
    void *big = roost_arena_alloc(&a, 10000);
    CHECK(big != NULL);
    roost_arena_fini(&a);
}

static void test_cap_counts_refusals(void)
{
    struct roost_arena a;
    roost_arena_init(&a, 1024, 4096);
    int got = 0;
    for (int i = 0; i < 100; i++) {
        if (roost_arena_alloc(&a, 512) != NULL) {
            got++;
        }
    }
    CHECK(got >= 4 && got <= 8);
    CHECK(a.n_limit_hits > 0);
    CHECK(a.held_bytes <= 4096);
    roost_arena_fini(&a);
}

static void test_reset_reuses(void)
{
    struct roost_arena a;
    roost_arena_init(&a, 1024, 1 << 20);
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 10; i++) {
            CHECK(roost_arena_alloc(&a, 300) != NULL);
        }
        roost_arena_reset(&a);
        CHECK_INT_EQ(a.used_bytes, 0);
        CHECK(a.held_bytes <= 1024);
    }
    roost_arena_fini(&a);
}

CHECK_LIST(test_alloc_aligned_and_stable, test_cap_counts_refusals,
           test_reset_reuses)
