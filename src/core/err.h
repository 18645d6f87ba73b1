/* SPDX-License-Identifier: MIT
 *
 * err.h - where errors are born.
 *
 * Write `return ROOST_ERR(ROOST_EPARSE);`. In debug builds (ROOST_DEBUG_ERR
 * defined) the origin file:line is printed to stderr, so one breakpoint on
 * roost__err_born() catches every error where it starts (SQLite *_BKPT).
 */
#ifndef ROOST_CORE_ERR_H
#define ROOST_CORE_ERR_H

#include <stdarg.h>
#include <stdint.h> /* also brings the C library's __GLIBC__, if any */

#include "roost/roost_err.h"

int roost__err_born(int err, const char *file, int line);

#ifdef ROOST_DEBUG_ERR
#define ROOST_ERR(e) roost__err_born((e), __FILE__, __LINE__)
#else
#define ROOST_ERR(e) (e)
#endif /* ROOST_DEBUG_ERR */

#if defined(__GNUC__)
#define ROOST_UNREACHABLE() __builtin_unreachable()
#define ROOST_LIKELY(x) __builtin_expect(!!(x), 1)
#define ROOST_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define ROOST_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define ROOST_UNREACHABLE() ((void)0)
#define ROOST_LIKELY(x) (x)
#define ROOST_UNLIKELY(x) (x)
#define ROOST_PRINTF(a, b)
#endif

/* ROOST_HOT_CLONES - on the few functions where most of the time goes
 * (the JSON parser, member reads): GCC builds them twice, for x86-64-v4
 * (AVX-512) and for the baseline, and the loader picks one per CPU, so
 * a portable binary still gets the newer code where it runs. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) &&      \
    defined(__GLIBC__) && !defined(ROOST_NO_CLONES) &&                        \
    !defined(__AVX512BW__) /* glibc: the pick is an ifunc */
#define ROOST_HOT_CLONES __attribute__((target_clones("arch=x86-64-v4", "default")))
#else
#define ROOST_HOT_CLONES
#endif

/*
 * roost_diag_set - fill d (when not NULL) with a formatted message and the
 * offset; returns err so callers can write `return roost_diag_set(...)`.
 */
int roost_diag_set(struct roost_diag *d, int err, uint64_t offset,
                   const char *fmt, ...) ROOST_PRINTF(4, 5);

#endif /* ROOST_CORE_ERR_H */
