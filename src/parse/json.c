/* SPDX-License-Identifier: MIT
 *
 * json.c - strict RFC 8259 parser into a flat token tape.
 *
 * The parser is one loop of gotos over the input, not a recursive descent:
 * nesting lives in the tape itself. While a container is open its `next`
 * field holds the index of its parent (the enclosing open container), so
 * closing one is "pop to toks[cur].next, then store the real next". The
 * only per-depth state is that link, so max_depth bounds work, never the C
 * stack, and a 100000-deep "[[[[..." stops at byte max_depth.
 *
 * Speed comes from: one table lookup per structural byte, whitespace skipped
 * only when the byte is not already > ' ' (compact JSON skips nothing),
 * strings scanned 16 bytes at a time with SSE2 for '"', '\\', control bytes
 * and non-ASCII in one signed compare, UTF-8 validated inline only where a
 * byte >= 0x80 was seen, and a tape that only grows (amortised, reused).
 *
 * Strings without escapes are views into the input. The first escape of a
 * parse sizes the scratch to the input length (an unescaped string is never
 * longer than its source), so scratch pointers never move within a parse.
 *
 * Choices for the "implementation defined" (i_) cases of JSONTestSuite:
 *  - invalid UTF-8 anywhere in a string is ROOST_EUTF8 (offset of the bad
 *    sequence); overlong forms, surrogates encoded in UTF-8 and code points
 *    above U+10FFFF are invalid;
 *  - lone or reversed \uD800..\uDFFF escapes are ROOST_EUTF8 too: they have
 *    no UTF-8 form;
 *  - numbers of any size or exponent are accepted: they are kept as text,
 *    and only roost_json_i64/f64 interpret them;
 *  - a UTF-8 byte order mark is a syntax error (RFC 8259 section 8.1 says
 *    senders must not add one); the framer strips one at stream start;
 *  - nesting deeper than max_depth (default 512) is ROOST_ELIMIT, so the
 *    500-deep test passes and the 100000-deep one fails fast.
 *
 * Start at roost_json_parse(); the accessors at the end read the tape.
 */
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "parse/json.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif /* __SSE2__ */

#define JSON_MAX_LEN ((size_t)UINT32_MAX - 1)

/* ---- character tables ---------------------------------------------------- */

/* 1 for the four JSON whitespace bytes. */
static const uint8_t ws_tab[256] = {
    [' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
};

/* 1 for bytes that end a plain string run: '"', '\\', < 0x20, >= 0x80. */
static const uint8_t str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
};

/* Value of a hex digit, or -1. */
static const int8_t hex_tab[256] = {
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, -1, -1, -1, -1, -1, -1,
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
    -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* Escape letter to the byte it stands for; 0: not a one-letter escape. */
static const char esc_tab[256] = {
    ['"'] = '"', ['\\'] = '\\', ['/'] = '/', ['b'] = '\b',
    ['f'] = '\f', ['n'] = '\n', ['r'] = '\r', ['t'] = '\t',
};

/* ---- doc lifecycle ------------------------------------------------------ */

void roost_json_doc_init(struct roost_json_doc *d, uint32_t max_depth,
                         size_t max_bytes)
{
    memset(d, 0, sizeof(*d));
    d->max_depth = max_depth ? max_depth : ROOST_JSON_DEFAULT_DEPTH;
    d->max_bytes = max_bytes ? max_bytes : JSON_MAX_LEN;
}

void roost_json_doc_fini(struct roost_json_doc *d)
{
    roost_free(d->toks);
    roost_free(d->scratch);
    memset(d, 0, sizeof(*d));
}

/* grow_toks - room for at least `want` tokens; cap stays <= UINT32_MAX-1. */
static int grow_toks(struct roost_json_doc *d, size_t want)
{
    size_t ncap = d->cap_toks ? (size_t)d->cap_toks * 2 : 64;
    while (ncap < want) {
        ncap *= 2;
    }
    if (ncap > UINT32_MAX - 1) {
        ncap = UINT32_MAX - 1;
    }
    if (ncap <= d->cap_toks || ncap > SIZE_MAX / sizeof(*d->toks)) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    struct roost_json_tok *t = roost_realloc(d->toks, ncap * sizeof(*t));
    if (t == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    d->toks = t;
    d->cap_toks = (uint32_t)ncap;
    return 0;
}

/* ---- scanning helpers --------------------------------------------------- */

/* skip_plain - first byte at or after p that is '"', '\\', < 0x20 or
 * >= 0x80, or end. Unaligned 16-byte loads never cross `end`. */
static inline const char *skip_plain(const char *p, const char *end)
{
#if defined(__SSE2__) && defined(__GNUC__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i space = _mm_set1_epi8(0x20);
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        /* Signed compare: bytes >= 0x80 are negative, so "< 0x20" also
         * catches every non-ASCII byte. */
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
            _mm_cmplt_epi8(v, space));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits != 0) {
            return p + __builtin_ctz(bits);
        }
        p += 16;
    }
#endif /* __SSE2__ && __GNUC__ */
    while (p < end && !str_stop[(unsigned char)*p]) {
        p++;
    }
    return p;
}

/* utf8_len - length of the valid UTF-8 sequence at p (p[0] >= 0x80), or 0
 * for overlong forms, encoded surrogates, > U+10FFFF or truncation. */
static inline size_t utf8_len(const char *sp, const char *end)
{
    const unsigned char *p = (const unsigned char *)sp;
    size_t avail = (size_t)(end - sp);
    unsigned c = p[0];
    if (c < 0xC2) {
        return 0;
    }
    if (c < 0xE0) {
        return avail >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    }
    if (c < 0xF0) {
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
        unsigned hi = c == 0xED ? 0x9F : 0xBF;
        return avail >= 3 && p[1] >= lo && p[1] <= hi &&
                       (p[2] & 0xC0) == 0x80
                   ? 3
                   : 0;
    }
    if (c < 0xF5) {
        unsigned lo = c == 0xF0 ? 0x90 : 0x80;
        unsigned hi = c == 0xF4 ? 0x8F : 0xBF;
        return avail >= 4 && p[1] >= lo && p[1] <= hi &&
                       (p[2] & 0xC0) == 0x80 && (p[3] & 0xC0) == 0x80
                   ? 4
                   : 0;
    }
    return 0;
}

/* hex4 - value of 4 hex digits at p (end - p >= 4 checked by caller), or
 * -1. */
static inline int32_t hex4(const char *p)
{
    int32_t a = hex_tab[(unsigned char)p[0]];
    int32_t b = hex_tab[(unsigned char)p[1]];
    int32_t c = hex_tab[(unsigned char)p[2]];
    int32_t e = hex_tab[(unsigned char)p[3]];
    if ((a | b | c | e) < 0) {
        return -1;
    }
    return a << 12 | b << 8 | c << 4 | e;
}

static inline char *put_utf8(char *w, uint32_t cp)
{
    if (cp < 0x80) {
        *w++ = (char)cp;
    } else if (cp < 0x800) {
        *w++ = (char)(0xC0 | cp >> 6);
        *w++ = (char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *w++ = (char)(0xE0 | cp >> 12);
        *w++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *w++ = (char)(0x80 | (cp & 0x3F));
    } else {
        *w++ = (char)(0xF0 | cp >> 18);
        *w++ = (char)(0x80 | (cp >> 12 & 0x3F));
        *w++ = (char)(0x80 | (cp >> 6 & 0x3F));
        *w++ = (char)(0x80 | (cp & 0x3F));
    }
    return w;
}

/* Where and why a parse failed. */
struct perr {
    const char *at;
    const char *msg;
};

static int fail(struct perr *e, int rc, const char *at, const char *msg)
{
    e->at = at;
    e->msg = msg;
    return rc;
}

/*
 * unescape - finish a string that has an escape at p; s is just past the
 * opening quote. Decodes into d->scratch at *used.
 *
 * Invariant: decoded bytes never outnumber source bytes, and the scratch
 * holds in_len bytes, so no write can overflow it and, once sized, it is
 * never reallocated within the parse.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif /* __GNUC__ */
static int unescape(struct roost_json_doc *d, size_t in_len, size_t *used,
                    const char *s, const char *p, const char *end,
                    const char **endp, struct roost_json_tok *t,
                    struct perr *e)
{
    if (d->cap_scratch < in_len) {
        assert(*used == 0);
        char *ns = roost_realloc(d->scratch, in_len);
        if (ns == NULL) {
            return fail(e, ROOST_ERR(ROOST_ENOMEM), p, "out of memory");
        }
        d->scratch = ns;
        d->cap_scratch = in_len;
    }
    char *start = d->scratch + *used;
    char *w = start;
    memcpy(w, s, (size_t)(p - s));
    w += p - s;
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (c == '"') {
            break;
        }
        if (c == '\\') {
            if (end - p < 2) {
                return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                            "unterminated string");
            }
            unsigned char x = (unsigned char)p[1];
            if (x != 'u') {
                char r = esc_tab[x];
                if (r == 0) {
                    return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                                "invalid escape");
                }
                *w++ = r;
                p += 2;
            } else {
                int32_t cp = end - p >= 6 ? hex4(p + 2) : -1;
                if (cp < 0) {
                    return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                                "invalid \\u escape");
                }
                if (cp >= 0xD800 && cp <= 0xDFFF) {
                    int32_t lo = -1;
                    if (cp <= 0xDBFF && end - p >= 12 && p[6] == '\\' &&
                        p[7] == 'u') {
                        lo = hex4(p + 8);
                    }
                    if (lo < 0xDC00 || lo > 0xDFFF) {
                        return fail(e, ROOST_ERR(ROOST_EUTF8), p,
                                    "lone surrogate escape");
                    }
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                    p += 6;
                }
                w = put_utf8(w, (uint32_t)cp);
                p += 6;
            }
        } else if (c < 0x20) {
            return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                        "control character in string");
        } else {
            assert(c >= 0x80);
            size_t n = utf8_len(p, end);
            if (n == 0) {
                return fail(e, ROOST_ERR(ROOST_EUTF8), p, "invalid utf-8");
            }
            memcpy(w, p, n);
            w += n;
            p += n;
        }
        /* Copy the plain run after the escape. Vector stores may write
         * up to 15 bytes past the run: safe, as w - scratch <= p - buf
         * always holds (output never outpaces input) and p + 16 <= end. */
#if defined(__SSE2__) && defined(__GNUC__)
        const __m128i quote = _mm_set1_epi8('"');
        const __m128i bslash = _mm_set1_epi8('\\');
        const __m128i space = _mm_set1_epi8(0x20);
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            _mm_storeu_si128((__m128i *)(void *)w, v);
            __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote),
                                                  _mm_cmpeq_epi8(v, bslash)),
                                     _mm_cmplt_epi8(v, space));
            unsigned bits = (unsigned)_mm_movemask_epi8(m);
            if (bits != 0) {
                unsigned k = (unsigned)__builtin_ctz(bits);
                p += k;
                w += k;
                goto special;
            }
            p += 16;
            w += 16;
        }
#endif /* __SSE2__ && __GNUC__ */
        while (p < end && !str_stop[(unsigned char)*p]) {
            *w++ = *p++;
        }
#if defined(__SSE2__) && defined(__GNUC__)
    special:
#endif /* __SSE2__ && __GNUC__ */
        if (p == end) {
            return fail(e, ROOST_ERR(ROOST_EPARSE), p, "unterminated string");
        }
    }
    assert((size_t)(w - d->scratch) <= in_len);
    t->type = ROOST_JSON_STRING;
    t->is_float = 0;
    t->ptr = start;
    t->len = (uint32_t)(w - start);
    *used = (size_t)(w - d->scratch);
    *endp = p + 1;
    return 0;
}

/*
 * scan_string - parse the string whose opening quote is at p[-1] into t;
 * *endp gets the byte after the closing quote.
 */
#if defined(__GNUC__)
__attribute__((always_inline))
#endif /* __GNUC__ */
static inline int scan_string(struct roost_json_doc *d, size_t in_len,
                              size_t *used, const char *p, const char *end,
                              const char **endp, struct roost_json_tok *t,
                              struct perr *e)
{
    const char *s = p;
    for (;;) {
        p = skip_plain(p, end);
        if (ROOST_UNLIKELY(p == end)) {
            return fail(e, ROOST_ERR(ROOST_EPARSE), s - 1,
                        "unterminated string");
        }
        unsigned char c = (unsigned char)*p;
        if (ROOST_LIKELY(c == '"')) {
            break;
        }
        if (c == '\\') {
            return unescape(d, in_len, used, s, p, end, endp, t, e);
        }
        if (c < 0x20) {
            return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                        "control character in string");
        }
        /* Runs of non-ASCII are validated here without going back to the
         * vector scan for each character. */
        do {
            size_t n = utf8_len(p, end);
            if (n == 0) {
                return fail(e, ROOST_ERR(ROOST_EUTF8), p, "invalid utf-8");
            }
            p += n;
        } while (p < end && (unsigned char)*p >= 0x80);
    }
    t->type = ROOST_JSON_STRING;
    t->is_float = 0;
    t->ptr = s;
    t->len = (uint32_t)(p - s);
    *endp = p + 1;
    return 0;
}

static inline bool is_digit(char c)
{
    return (unsigned)(c - '0') < 10;
}

/* scan_number - the number starting at p into t; *endp just past it. */
static inline int scan_number(const char *p, const char *end,
                              const char **endp, struct roost_json_tok *t,
                              struct perr *e)
{
    const char *s = p;
    uint8_t is_float = 0;
    if (*p == '-') {
        p++;
    }
    if (p == end || !is_digit(*p)) {
        return fail(e, ROOST_ERR(ROOST_EPARSE), p, "invalid number");
    }
    if (*p == '0') {
        p++;
    } else {
        do {
            p++;
        } while (p < end && is_digit(*p));
    }
    if (p < end && *p == '.') {
        p++;
        if (p == end || !is_digit(*p)) {
            return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                        "digit expected after '.'");
        }
        do {
            p++;
        } while (p < end && is_digit(*p));
        is_float = 1;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) {
            p++;
        }
        if (p == end || !is_digit(*p)) {
            return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                        "digit expected in exponent");
        }
        do {
            p++;
        } while (p < end && is_digit(*p));
        is_float = 1;
    }
    t->type = ROOST_JSON_NUMBER;
    t->is_float = is_float;
    t->ptr = s;
    t->len = (uint32_t)(p - s);
    *endp = p;
    return 0;
}

static inline const char *skip_ws(const char *p, const char *end)
{
    while (p < end && ws_tab[(unsigned char)*p]) {
        p++;
    }
    return p;
}

/* SKIP_WS - compact JSON has no whitespace: test one byte, not a loop. */
#define SKIP_WS()                                                            \
    do {                                                                     \
        if (p < end && (unsigned char)*p <= ' ') {                           \
            p = skip_ws(p, end);                                             \
        }                                                                    \
    } while (0)

/* ---- the parser --------------------------------------------------------- */

int roost_json_parse(struct roost_json_doc *d, const char *buf, size_t len,
                     struct roost_diag *diag)
{
    struct perr e = { buf, "" };
    int rc;

    d->n_toks = 0;
    if (len > d->max_bytes || len > JSON_MAX_LEN) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_ELIMIT), 0,
                              "document of %zu bytes over the limit", len);
    }
    /* Tweets run about one token per 12 input bytes; start near that so
     * most documents never grow the tape mid-parse. */
    size_t guess = len / 8 + 16;
    if (d->cap_toks < guess && d->cap_toks < (1u << 20)) {
        rc = grow_toks(d, guess < (1u << 20) ? guess : (1u << 20));
        if (rc < 0) {
            return roost_diag_set(diag, rc, 0, "out of memory");
        }
    }

    struct roost_json_tok *toks = d->toks;
    uint32_t cap = d->cap_toks;
    uint32_t n = 0;
    uint32_t cur = ROOST_JSON_NONE; /* innermost open container */
    bool in_obj = false;            /* toks[cur] is an object */
    uint32_t depth = 0;
    uint32_t max_depth = d->max_depth;
    size_t used = 0; /* scratch bytes written by this parse */
    const char *p = buf;
    const char *end = buf + len;

#define RESERVE()                                                            \
    do {                                                                     \
        if (ROOST_UNLIKELY(n == cap)) {                                      \
            rc = grow_toks(d, (size_t)n + 1);                                \
            if (rc < 0) {                                                    \
                fail(&e, rc, p, rc == ROOST_ENOMEM ? "out of memory"        \
                                                   : "too many values");     \
                goto out_fail;                                               \
            }                                                                \
            toks = d->toks;                                                  \
            cap = d->cap_toks;                                               \
        }                                                                    \
    } while (0)

#define FAIL(code, where, why)                                               \
    do {                                                                     \
        rc = fail(&e, ROOST_ERR(code), (where), (why));                      \
        goto out_fail;                                                       \
    } while (0)

value:
    SKIP_WS();
    if (ROOST_UNLIKELY(p == end)) {
        FAIL(ROOST_EPARSE, p, "value expected");
    }
    RESERVE();
    switch (*p) {
    case '{':
    case '[':
        if (ROOST_UNLIKELY(++depth > max_depth)) {
            FAIL(ROOST_ELIMIT, p, "nesting too deep");
        }
        in_obj = *p == '{';
        toks[n].type = in_obj ? ROOST_JSON_OBJECT : ROOST_JSON_ARRAY;
        toks[n].is_float = 0;
        toks[n].len = 0;
        toks[n].next = cur; /* parent link while open */
        toks[n].ptr = p;
        cur = n++;
        p++;
        SKIP_WS();
        if (p < end && *p == (in_obj ? '}' : ']')) {
            p++;
            goto close;
        }
        if (in_obj) {
            goto key;
        }
        toks[cur].len = 1;
        goto value;
    case '"':
        rc = scan_string(d, len, &used, p + 1, end, &p, &toks[n], &e);
        if (ROOST_UNLIKELY(rc < 0)) {
            goto out_fail;
        }
        toks[n].next = n + 1;
        n++;
        goto after;
    case '-':
    case '0':
    case '1':
    case '2':
    case '3':
    case '4':
    case '5':
    case '6':
    case '7':
    case '8':
    case '9':
        rc = scan_number(p, end, &p, &toks[n], &e);
        if (ROOST_UNLIKELY(rc < 0)) {
            goto out_fail;
        }
        toks[n].next = n + 1;
        n++;
        goto after;
    case 't':
        if (end - p < 4 || memcmp(p, "true", 4) != 0) {
            FAIL(ROOST_EPARSE, p, "invalid literal");
        }
        toks[n].type = ROOST_JSON_TRUE;
        toks[n].len = 4;
        goto literal;
    case 'f':
        if (end - p < 5 || memcmp(p, "false", 5) != 0) {
            FAIL(ROOST_EPARSE, p, "invalid literal");
        }
        toks[n].type = ROOST_JSON_FALSE;
        toks[n].len = 5;
        goto literal;
    case 'n':
        if (end - p < 4 || memcmp(p, "null", 4) != 0) {
            FAIL(ROOST_EPARSE, p, "invalid literal");
        }
        toks[n].type = ROOST_JSON_NULL;
        toks[n].len = 4;
        goto literal;
    default:
        FAIL(ROOST_EPARSE, p, "value expected");
    }

literal:
    toks[n].is_float = 0;
    toks[n].ptr = p;
    toks[n].next = n + 1;
    p += toks[n].len;
    n++;
    goto after;

key:
    /* p is past whitespace; an object member must start here. */
    if (ROOST_UNLIKELY(p == end || *p != '"')) {
        FAIL(ROOST_EPARSE, p, "string key expected");
    }
    RESERVE();
    toks[cur].len++;
    rc = scan_string(d, len, &used, p + 1, end, &p, &toks[n], &e);
    if (ROOST_UNLIKELY(rc < 0)) {
        goto out_fail;
    }
    toks[n].next = n + 1;
    n++;
    SKIP_WS();
    if (ROOST_UNLIKELY(p == end || *p != ':')) {
        FAIL(ROOST_EPARSE, p, "':' expected");
    }
    p++;
    goto value;

after:
    if (cur == ROOST_JSON_NONE) {
        goto done;
    }
    SKIP_WS();
    if (ROOST_UNLIKELY(p == end)) {
        FAIL(ROOST_EPARSE, p, in_obj ? "',' or '}' expected"
                                     : "',' or ']' expected");
    }
    if (*p == ',') {
        p++;
        if (in_obj) {
            SKIP_WS();
            goto key;
        }
        toks[cur].len++;
        goto value;
    }
    if (*p != (in_obj ? '}' : ']')) {
        FAIL(ROOST_EPARSE, p, in_obj ? "',' or '}' expected"
                                     : "',' or ']' expected");
    }
    p++;

close: {
    uint32_t parent = toks[cur].next;
    toks[cur].next = n;
    cur = parent;
    depth--;
    in_obj = cur != ROOST_JSON_NONE && toks[cur].type == ROOST_JSON_OBJECT;
    goto after;
}

done:
    SKIP_WS();
    if (p != end) {
        FAIL(ROOST_EPARSE, p, "trailing bytes after the value");
    }
    d->n_toks = n;
    return 0;

#undef FAIL
#undef RESERVE

out_fail:
    d->n_toks = 0;
    return roost_diag_set(diag, rc, (uint64_t)(e.at - buf), "%s", e.msg);
}

int roost_json_valid(const char *buf, size_t len, uint32_t max_depth,
                     struct roost_diag *diag)
{
    struct roost_json_doc d;
    roost_json_doc_init(&d, max_depth, 0);
    int rc = roost_json_parse(&d, buf, len, diag);
    roost_json_doc_fini(&d);
    return rc;
}

/* ---- accessors ---------------------------------------------------------- */

uint32_t roost_json_getn(const struct roost_json_doc *d, uint32_t obj,
                         const char *key, size_t key_len)
{
    if (!roost_json_is(d, obj, ROOST_JSON_OBJECT) || obj >= d->n_toks) {
        return ROOST_JSON_NONE;
    }
    uint32_t found = ROOST_JSON_NONE;
    uint32_t k = obj + 1;
    for (uint32_t i = 0; i < d->toks[obj].len; i++) {
        const struct roost_json_tok *t = &d->toks[k];
        if (t->len == key_len &&
            (key_len == 0 || memcmp(t->ptr, key, key_len) == 0)) {
            found = k + 1; /* keep going: the last duplicate wins */
        }
        k = d->toks[k + 1].next;
    }
    return found;
}

uint32_t roost_json_get(const struct roost_json_doc *d, uint32_t obj,
                        const char *key)
{
    return roost_json_getn(d, obj, key, strlen(key));
}

uint32_t roost_json_at(const struct roost_json_doc *d, uint32_t arr,
                       uint32_t idx)
{
    if (!roost_json_is(d, arr, ROOST_JSON_ARRAY) || arr >= d->n_toks ||
        idx >= d->toks[arr].len) {
        return ROOST_JSON_NONE;
    }
    uint32_t i = arr + 1;
    while (idx-- > 0) {
        i = d->toks[i].next;
    }
    return i;
}

uint32_t roost_json_path(const struct roost_json_doc *d, uint32_t from,
                         const char *path)
{
    uint32_t cur = from;
    const char *s = path;
    while (cur != ROOST_JSON_NONE) {
        const char *dot = strchr(s, '.');
        size_t n = dot ? (size_t)(dot - s) : strlen(s);
        if (roost_json_is(d, cur, ROOST_JSON_ARRAY)) {
            uint64_t idx = 0;
            bool ok = n > 0 && n <= 10;
            for (size_t j = 0; ok && j < n; j++) {
                ok = is_digit(s[j]);
                idx = idx * 10 + (uint64_t)(s[j] - '0');
            }
            cur = ok && idx < UINT32_MAX ? roost_json_at(d, cur, (uint32_t)idx)
                                         : ROOST_JSON_NONE;
        } else {
            cur = roost_json_getn(d, cur, s, n);
        }
        if (dot == NULL) {
            break;
        }
        s = dot + 1;
    }
    return cur;
}

struct roost_str roost_json_str(const struct roost_json_doc *d, uint32_t i)
{
    if (!roost_json_is(d, i, ROOST_JSON_STRING)) {
        return ROOST_STR_NULL;
    }
    return roost_str_make(d->toks[i].ptr, d->toks[i].len);
}

struct roost_str roost_json_text(const struct roost_json_doc *d, uint32_t i)
{
    if (i == ROOST_JSON_NONE || (d->toks[i].type != ROOST_JSON_STRING &&
                                 d->toks[i].type != ROOST_JSON_NUMBER)) {
        return ROOST_STR_NULL;
    }
    return roost_str_make(d->toks[i].ptr, d->toks[i].len);
}

/* number_text - the text of a number token, or of a string holding a whole
 * JSON number; false otherwise. */
static bool number_text(const struct roost_json_doc *d, uint32_t i,
                        struct roost_str *out, bool *is_float)
{
    if (i == ROOST_JSON_NONE) {
        return false;
    }
    const struct roost_json_tok *t = &d->toks[i];
    if (t->type == ROOST_JSON_NUMBER) {
        *out = roost_str_make(t->ptr, t->len);
        *is_float = t->is_float != 0;
        return true;
    }
    if (t->type != ROOST_JSON_STRING || t->len == 0) {
        return false;
    }
    struct roost_json_tok nt;
    struct perr e;
    const char *endp = NULL;
    const char *end = t->ptr + t->len;
    if ((*t->ptr != '-' && !is_digit(*t->ptr)) ||
        scan_number(t->ptr, end, &endp, &nt, &e) < 0 || endp != end) {
        return false;
    }
    *out = roost_str_make(t->ptr, t->len);
    *is_float = nt.is_float != 0;
    return true;
}

bool roost_json_i64(const struct roost_json_doc *d, uint32_t i, int64_t *out)
{
    struct roost_str s;
    bool is_float;
    if (!number_text(d, i, &s, &is_float) || is_float) {
        return false;
    }
    const char *p = s.ptr;
    const char *end = s.ptr + s.len;
    bool neg = *p == '-';
    p += neg;
    /* Accumulate as a negative value: INT64_MIN has no positive twin. */
    int64_t v = 0;
    for (; p < end; p++) {
        int digit = *p - '0';
        if (v < (INT64_MIN + digit) / 10) {
            return false;
        }
        v = v * 10 - digit;
    }
    if (!neg) {
        if (v == INT64_MIN) {
            return false;
        }
        v = -v;
    }
    *out = v;
    return true;
}

bool roost_json_f64(const struct roost_json_doc *d, uint32_t i, double *out)
{
    struct roost_str s;
    bool is_float;
    if (!number_text(d, i, &s, &is_float)) {
        return false;
    }
    char small[64];
    char *copy = small;
    if (s.len >= sizeof(small)) {
        copy = roost_strndup(s.ptr, s.len);
        if (copy == NULL) {
            return false;
        }
    } else {
        memcpy(small, s.ptr, s.len);
        small[s.len] = '\0';
    }
    errno = 0;
    char *endp = NULL;
    double v = strtod(copy, &endp);
    bool ok = endp == copy + s.len && !(errno == ERANGE && isinf(v));
    if (copy != small) {
        roost_free(copy);
    }
    if (ok) {
        *out = v;
    }
    return ok;
}

bool roost_json_bool(const struct roost_json_doc *d, uint32_t i)
{
    return roost_json_is(d, i, ROOST_JSON_TRUE);
}
