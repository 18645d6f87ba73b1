/* SPDX-License-Identifier: MIT
 *
 * buf.c - bounded growable byte buffer.
 */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif /* __SSE2__ */

void roost_buf_init(struct roost_buf *b, size_t max_len)
{
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    b->max_len = max_len;
}

void roost_buf_fini(struct roost_buf *b)
{
    roost_free(b->ptr);
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
}

void roost_buf_reset(struct roost_buf *b)
{
    b->len = 0;
    if (b->ptr != NULL) {
        b->ptr[0] = '\0';
    }
}

int roost_buf_reserve(struct roost_buf *b, size_t more)
{
    if (more > b->max_len || b->len > b->max_len - more) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    size_t need = b->len + more + 1;
    if (need <= b->cap) {
        return 0;
    }
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        cap *= 2;
    }
    char *p = roost_realloc(b->ptr, cap);
    if (p == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    b->ptr = p;
    b->cap = cap;
    return 0;
}

int roost_buf_add(struct roost_buf *b, const void *p, size_t len)
{
    int rc = roost_buf_reserve(b, len);
    if (rc < 0) {
        return rc;
    }
    if (len > 0) {
        memcpy(b->ptr + b->len, p, len);
    }
    b->len += len;
    b->ptr[b->len] = '\0';
    return 0;
}

int roost_buf_addc(struct roost_buf *b, char c)
{
    if (b->len + 1 < b->cap) {
        b->ptr[b->len++] = c;
        b->ptr[b->len] = '\0';
        return 0;
    }
    return roost_buf_add(b, &c, 1);
}

int roost_buf_adds(struct roost_buf *b, const char *s)
{
    return roost_buf_add(b, s, strlen(s));
}

int roost_buf_printf(struct roost_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    int rc = roost_buf_reserve(b, (size_t)n);
    if (rc < 0) {
        return rc;
    }
    va_start(ap, fmt);
    vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return 0;
}

int roost_buf_add_i64(struct roost_buf *b, int64_t v)
{
    char tmp[24];
    char *e = tmp + sizeof(tmp);
    char *p = e;
    /* Work on the magnitude as unsigned: INT64_MIN has no positive twin. */
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (v < 0) {
        *--p = '-';
    }
    return roost_buf_addn(b, p, (size_t)(e - p));
}

/* put_escaped - the JSON escape of byte c (one that needs escaping). */
static char *put_escaped(char *o, unsigned char c)
{
    static const char hex[] = "0123456789abcdef";
    *o++ = '\\';
    switch (c) {
    case '"':
        *o++ = '"';
        break;
    case '\\':
        *o++ = '\\';
        break;
    case '\n':
        *o++ = 'n';
        break;
    case '\r':
        *o++ = 'r';
        break;
    case '\t':
        *o++ = 't';
        break;
    case '\b':
        *o++ = 'b';
        break;
    case '\f':
        *o++ = 'f';
        break;
    default:
        *o++ = 'u';
        *o++ = '0';
        *o++ = '0';
        *o++ = hex[c >> 4];
        *o++ = hex[c & 15];
        break;
    }
    return o;
}

int roost_buf_add_json_str(struct roost_buf *b, const char *s, size_t len)
{
    /* Worst case every byte becomes \u00XX. */
    if (len > (SIZE_MAX - 2) / 6) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    int rc = roost_buf_reserve(b, len * 6 + 2);
    if (rc < 0) {
        return rc;
    }
    char *o = b->ptr + b->len;
    *o++ = '"';
    size_t i = 0;
    for (;;) {
#if defined(__SSE2__) && defined(__GNUC__)
        /* Copy 16 bytes at a time, then keep only the clean prefix. The
         * stores stay inside the reservation: before byte i at most 6i + 1
         * bytes were written, 6 len + 3 are reserved, so 6 (len - i) + 2
         * >= 16 remain whenever 16 input bytes do. */
        const __m128i quote = _mm_set1_epi8('"');
        const __m128i bslash = _mm_set1_epi8('\\');
        const __m128i ctl = _mm_set1_epi8(0x1F);
        while (len - i >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
            _mm_storeu_si128((__m128i *)(void *)o, v);
            __m128i m = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, quote),
                             _mm_cmpeq_epi8(v, bslash)),
                _mm_cmpeq_epi8(_mm_min_epu8(v, ctl), v)); /* v <= 0x1F */
            unsigned bits = (unsigned)_mm_movemask_epi8(m);
            if (bits != 0) {
                unsigned k = (unsigned)__builtin_ctz(bits);
                i += k;
                o += k;
                goto special;
            }
            i += 16;
            o += 16;
        }
#endif /* __SSE2__ && __GNUC__ */
        for (; i < len; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c < 0x20 || c == '"' || c == '\\') {
                break;
            }
            *o++ = (char)c;
        }
#if defined(__SSE2__) && defined(__GNUC__)
    special:
#endif /* __SSE2__ && __GNUC__ */
        if (i == len) {
            break;
        }
        o = put_escaped(o, (unsigned char)s[i]);
        i++;
    }
    *o++ = '"';
    b->len = (size_t)(o - b->ptr);
    b->ptr[b->len] = '\0';
    return 0;
}

char *roost_buf_take(struct roost_buf *b, size_t *len)
{
    char *p = b->ptr;
    if (len != NULL) {
        *len = b->len;
    }
    b->ptr = NULL;
    b->len = 0;
    b->cap = 0;
    return p;
}
