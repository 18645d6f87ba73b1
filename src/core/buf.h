/* SPDX-License-Identifier: MIT
 *
 * buf.h - a growable byte buffer with a hard cap (curl's dynbuf).
 *
 * Growing past `max_len` returns ROOST_ELIMIT; the buffer is unchanged. The
 * contents are always NUL-terminated when cap > 0, so ptr can be printed.
 * Thread: owned by one thread.
 */
#ifndef ROOST_CORE_BUF_H
#define ROOST_CORE_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"

struct roost_buf {
    char *ptr;      /* read-only: contents, NUL-terminated */
    size_t len;     /* read-only: bytes used */
    size_t cap;     /* private: bytes allocated */
    size_t max_len; /* private: the cap on len */
};

void roost_buf_init(struct roost_buf *b, size_t max_len);
void roost_buf_fini(struct roost_buf *b);
/* roost_buf_reset - len = 0, keeping the allocation. */
void roost_buf_reset(struct roost_buf *b);
/* roost_buf_reserve - make room for `more` bytes beyond len. */
int roost_buf_reserve(struct roost_buf *b, size_t more);
int roost_buf_add(struct roost_buf *b, const void *p, size_t len);
int roost_buf_addc(struct roost_buf *b, char c);
int roost_buf_adds(struct roost_buf *b, const char *s);
int roost_buf_printf(struct roost_buf *b, const char *fmt, ...)
    ROOST_PRINTF(2, 3);
/* roost_buf_add_json_str - append s as a JSON string literal, quoted. */
int roost_buf_add_json_str(struct roost_buf *b, const char *s, size_t len);
/* roost_buf_add_i64 - v in decimal, as printf's "%lld" writes it. */
int roost_buf_add_i64(struct roost_buf *b, int64_t v);

/* roost_buf_addn - roost_buf_add() with the common case (room already
 * there) inline, for writers that append many short pieces. */
static inline int roost_buf_addn(struct roost_buf *b, const char *p, size_t len)
{
    if (ROOST_LIKELY(len < b->cap - b->len && len <= b->max_len - b->len)) {
        memcpy(b->ptr + b->len, p, len);
        b->len += len;
        b->ptr[b->len] = '\0';
        return 0;
    }
    return roost_buf_add(b, p, len);
}
/* roost_buf_take - hand the contents to the caller (roost_free them). */
char *roost_buf_take(struct roost_buf *b, size_t *len);

#endif /* ROOST_CORE_BUF_H */
