/* SPDX-License-Identifier: MIT
 *
 * mem.c - allocation with counting and fault injection.
 *
 * The counters are relaxed atomics: they feed metrics and tests, never
 * control flow other than the deliberate fault.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

static atomic_uint_fast64_t n_allocs;
static atomic_uint_fast64_t fault_at; /* 0: off; else fail when count hits */
static atomic_int fault_env_read;

static void read_fault_env(void)
{
    if (atomic_exchange(&fault_env_read, 1)) {
        return;
    }
    const char *e = getenv("ROOST_FAULT");
    if (e != NULL && strncmp(e, "alloc:", 6) == 0) {
        char *end = NULL;
        unsigned long long n = strtoull(e + 6, &end, 10);
        if (end != e + 6 && n > 0) {
            atomic_store(&fault_at, (uint64_t)n);
        }
    }
}

static int should_fail(void)
{
    read_fault_env();
    uint64_t k = atomic_fetch_add(&n_allocs, 1) + 1;
    uint64_t at = atomic_load(&fault_at);
    return at != 0 && k == at;
}

void roost_mem_fault_after(uint64_t n)
{
    read_fault_env();
    atomic_store(&fault_at, n == 0 ? 0 : atomic_load(&n_allocs) + n + 1);
}

uint64_t roost_mem_n_allocs(void)
{
    return atomic_load(&n_allocs);
}

void *roost_malloc(size_t size)
{
    if (should_fail()) {
        return NULL;
    }
    return malloc(size == 0 ? 1 : size);
}

void *roost_calloc(size_t n, size_t size)
{
    if (should_fail()) {
        return NULL;
    }
    return calloc(n == 0 ? 1 : n, size == 0 ? 1 : size);
}

void *roost_realloc(void *p, size_t size)
{
    if (should_fail()) {
        return NULL;
    }
    return realloc(p, size == 0 ? 1 : size);
}

char *roost_strndup(const char *s, size_t len)
{
    char *d = roost_malloc(len + 1);
    if (d == NULL) {
        return NULL;
    }
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void roost_free(void *p)
{
    free(p);
}
