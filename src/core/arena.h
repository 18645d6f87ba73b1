/* SPDX-License-Identifier: MIT
 *
 * arena.h - a bump allocator for one batch of records.
 *
 * Memory comes from chunks that never move, so pointers stay valid until
 * roost_arena_reset() or roost_arena_fini(). Reset keeps the first chunk,
 * so a steady stream of batches allocates nothing. Total bytes are capped:
 * past `max_bytes` allocation returns NULL and bumps n_limit_hits.
 * Thread: owned by one thread.
 */
#ifndef ROOST_CORE_ARENA_H
#define ROOST_CORE_ARENA_H

#include <stddef.h>
#include <stdint.h>

struct roost__arena_chunk;

struct roost_arena {
    struct roost__arena_chunk *head; /* private: current chunk */
    size_t chunk_bytes;              /* private: default chunk size */
    size_t used_bytes;               /* read-only: bytes handed out */
    size_t max_bytes;                /* private: cap on chunk bytes held */
    size_t held_bytes;               /* read-only: bytes in chunks */
    uint64_t n_limit_hits;           /* read-only: allocations refused */
};

void roost_arena_init(struct roost_arena *a, size_t chunk_bytes,
                      size_t max_bytes);
void roost_arena_fini(struct roost_arena *a);
void roost_arena_reset(struct roost_arena *a);
/* roost_arena_alloc - len bytes aligned to 8, or NULL at the cap/OOM. */
void *roost_arena_alloc(struct roost_arena *a, size_t len);
/* roost_arena_dup - copy of p[0..len) plus a NUL, or NULL. */
char *roost_arena_dup(struct roost_arena *a, const void *p, size_t len);

#endif /* ROOST_CORE_ARENA_H */
