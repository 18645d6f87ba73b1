/* SPDX-License-Identifier: MIT
 *
 * buf.c - bounded growable byte buffer.
 */
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"

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

int roost_buf_add_json_str(struct roost_buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    /* Worst case every byte becomes \u00XX. */
    int rc = roost_buf_reserve(b, len * 6 + 2);
    if (rc < 0) {
        return rc;
    }
    char *o = b->ptr + b->len;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\') {
            *o++ = (char)c;
            continue;
        }
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
