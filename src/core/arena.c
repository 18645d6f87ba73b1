/* SPDX-License-Identifier: MIT
 *
 * arena.c - chunked bump allocation.
 *
 * Chunks form a list, newest first. A request bigger than the chunk size
 * gets a chunk of its own. Reset frees all but the oldest chunk (the one
 * sized by chunk_bytes), which is reused.
 */
#include <string.h>

#include "core/arena.h"
#include "core/mem.h"

struct roost__arena_chunk {
    struct roost__arena_chunk *next;
    size_t cap;
    size_t used;
    _Alignas(16) unsigned char data[];
};

void roost_arena_init(struct roost_arena *a, size_t chunk_bytes,
                      size_t max_bytes)
{
    memset(a, 0, sizeof(*a));
    a->chunk_bytes = chunk_bytes < 256 ? 256 : chunk_bytes;
    a->max_bytes = max_bytes;
}

void roost_arena_fini(struct roost_arena *a)
{
    struct roost__arena_chunk *c = a->head;
    while (c != NULL) {
        struct roost__arena_chunk *next = c->next;
        roost_free(c);
        c = next;
    }
    a->head = NULL;
    a->used_bytes = 0;
    a->held_bytes = 0;
}

void roost_arena_reset(struct roost_arena *a)
{
    struct roost__arena_chunk *c = a->head;
    while (c != NULL && c->next != NULL) {
        struct roost__arena_chunk *next = c->next;
        a->held_bytes -= c->cap;
        roost_free(c);
        c = next;
    }
    a->head = c;
    if (c != NULL) {
        c->used = 0;
    }
    a->used_bytes = 0;
}

void *roost_arena_alloc(struct roost_arena *a, size_t len)
{
    len = (len + 7) & ~(size_t)7;
    struct roost__arena_chunk *c = a->head;
    if (c == NULL || c->cap - c->used < len) {
        size_t cap = len > a->chunk_bytes ? len : a->chunk_bytes;
        if (a->held_bytes + cap > a->max_bytes) {
            a->n_limit_hits++;
            return NULL;
        }
        struct roost__arena_chunk *n = roost_malloc(sizeof(*n) + cap);
        if (n == NULL) {
            return NULL;
        }
        n->cap = cap;
        n->used = 0;
        /* Keep a partly used current chunk first only if the new one is a
         * one-off big block; otherwise the new chunk becomes current. */
        if (c != NULL && cap > a->chunk_bytes) {
            n->next = c->next;
            c->next = n;
            n->used = len;
            a->held_bytes += cap;
            a->used_bytes += len;
            return n->data;
        }
        n->next = c;
        a->head = n;
        a->held_bytes += cap;
        c = n;
    }
    void *p = c->data + c->used;
    c->used += len;
    a->used_bytes += len;
    return p;
}

char *roost_arena_dup(struct roost_arena *a, const void *p, size_t len)
{
    char *d = roost_arena_alloc(a, len + 1);
    if (d == NULL) {
        return NULL;
    }
    if (len > 0) {
        memcpy(d, p, len);
    }
    d[len] = '\0';
    return d;
}
