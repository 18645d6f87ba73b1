/* SPDX-License-Identifier: MIT
 *
 * str.h - borrowed string views and small string helpers.
 *
 * A struct roost_str is a (ptr, len) view; it owns nothing and is not
 * NUL-terminated. Views into a batch live as long as the batch.
 */
#ifndef ROOST_CORE_STR_H
#define ROOST_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct roost_str {
    const char *ptr;
    size_t len;
};

#define ROOST_STR_LIT(s) ((struct roost_str){ (s), sizeof(s) - 1 })
#define ROOST_STR_NULL ((struct roost_str){ NULL, 0 })

static inline struct roost_str roost_str_make(const char *p, size_t len)
{
    struct roost_str s = { p, len };
    return s;
}

static inline struct roost_str roost_str_cstr(const char *p)
{
    struct roost_str s = { p, p ? strlen(p) : 0 };
    return s;
}

static inline bool roost_str_is_null(struct roost_str s)
{
    return s.ptr == NULL;
}

static inline bool roost_str_eq(struct roost_str a, struct roost_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool roost_str_eq_cstr(struct roost_str a, const char *b)
{
    size_t n = strlen(b);
    return a.len == n && (n == 0 || memcmp(a.ptr, b, n) == 0);
}

/* roost_str_ieq_ascii - ASCII case-insensitive equality. */
bool roost_str_ieq_ascii(struct roost_str a, struct roost_str b);

/*
 * roost_utf8_decode - decode one UTF-8 sequence at s[0..len).
 * Returns: its length in bytes (1..4) with *cp set, or 0 when the bytes are
 * not valid UTF-8 (overlong, surrogate, > U+10FFFF, truncated).
 */
size_t roost_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/* roost_utf8_encode - write cp as UTF-8 to out (4 bytes room); its length. */
size_t roost_utf8_encode(uint32_t cp, char *out);

/* roost_utf8_valid - whether all of s[0..len) is valid UTF-8. */
bool roost_utf8_valid(const char *s, size_t len);

/* roost_utf8_count - number of code points in valid UTF-8 s[0..len). */
size_t roost_utf8_count(const char *s, size_t len);

/* roost_utf8_width - terminal columns of s[0..len): code points, East
 * Asian wide and fullwidth ones (CJK, Hangul, emoji) counted twice;
 * invalid bytes count one each. */
size_t roost_utf8_width(const char *s, size_t len);

#endif /* ROOST_CORE_STR_H */
