/* SPDX-License-Identifier: MIT
 *
 * mem.h - the one allocation door.
 *
 * Every allocation in roost goes through these functions: they count live
 * bytes for metrics and honour fault injection (ROOST_FAULT=alloc:N makes
 * the Nth allocation fail), so OOM paths can be tested.
 */
#ifndef ROOST_CORE_MEM_H
#define ROOST_CORE_MEM_H

#include <stddef.h>
#include <stdint.h>

void *roost_malloc(size_t size);
void *roost_calloc(size_t n, size_t size);
void *roost_realloc(void *p, size_t size);
char *roost_strndup(const char *s, size_t len);
void roost_free(void *p);

/* roost_mem_fault_after - make the (n+1)th allocation from now fail; 0 off. */
void roost_mem_fault_after(uint64_t n);

/* roost_mem_n_allocs - allocations made so far (for tests and metrics). */
uint64_t roost_mem_n_allocs(void);

#endif /* ROOST_CORE_MEM_H */
