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
 * Keys are decoded during the parse; string values with escapes are only
 * validated (skip_escaped) and decoded on first access (decode_raw), as
 * most of a tweet's strings are never read.
 *
 * Accessors keep a per-parse memo (struct roost_json_memo and tok.memo):
 * lazily decoded strings, and hash indexes of the big objects that get
 * looked up more than once (see "Lookup indexes" below).
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

/* Accessor memo of a doc (see "Lookup indexes" below). */
static_assert(sizeof(void *) != 8 || sizeof(struct roost_json_tok) == 24,
              "tok.memo lives in what was padding");
struct roost_json_memo {
    uint32_t *slots;     /* the tables of this parse, back to back */
    uint32_t n_slots;    /* used by this parse */
    uint32_t cap_slots;  /* allocated */
    size_t scratch_used; /* scratch bytes decoded so far by this parse */
};

/* tok.memo of a string whose escapes are validated but not yet decoded:
 * ptr/len are then its source bytes between the quotes. */
#define MEMO_RAW 1u

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
    if (d->memo != NULL) {
        roost_free(d->memo->slots);
        roost_free(d->memo);
    }
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

/* grow_scratch - size the scratch to the input length at the first escape
 * of a parse (nothing decoded yet, so nothing can dangle). */
static int grow_scratch(struct roost_json_doc *d, size_t in_len, size_t used,
                        const char *p, struct perr *e)
{
    if (d->cap_scratch >= in_len) {
        return 0;
    }
    assert(used == 0);
    (void)used;
    char *ns = roost_realloc(d->scratch, in_len);
    if (ns == NULL) {
        return fail(e, ROOST_ERR(ROOST_ENOMEM), p, "out of memory");
    }
    d->scratch = ns;
    d->cap_scratch = in_len;
    return 0;
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
    int rc = grow_scratch(d, in_len, *used, p, e);
    if (rc < 0) {
        return rc;
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
    t->memo = 0;
    t->ptr = start;
    t->len = (uint32_t)(w - start);
    *used = (size_t)(w - d->scratch);
    *endp = p + 1;
    return 0;
}

/*
 * skip_escaped - validate the rest of a string value that has an escape
 * at p, exactly as unescape() would, but decode nothing: t keeps the
 * source bytes and MEMO_RAW, and decode_raw() runs on first access. Most
 * strings of a tweet are never read, so most escapes are never decoded.
 * The scratch is still sized here, so a later decode never reallocates.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif /* __GNUC__ */
ROOST_HOT_CLONES
static int skip_escaped(struct roost_json_doc *d, size_t in_len, size_t used,
                        const char *s, const char *p, const char *end,
                        const char **endp, struct roost_json_tok *t,
                        struct perr *e)
{
    int rc = grow_scratch(d, in_len, used, p, e);
    if (rc < 0) {
        return rc;
    }
    /* p is at a byte that ends a plain run. Escapes come in runs (a
     * non-Latin text is all \uXXXX), so after one the next byte is tested
     * before going back to the vector scan. */
    for (;;) {
        unsigned char c = (unsigned char)*p;
        if (c == '\\') {
            if (end - p < 2) {
                return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                            "unterminated string");
            }
            unsigned char x = (unsigned char)p[1];
            if (x == 'u') {
                if (end - p < 6 || (hex_tab[(unsigned char)p[2]] |
                                    hex_tab[(unsigned char)p[3]] |
                                    hex_tab[(unsigned char)p[4]] |
                                    hex_tab[(unsigned char)p[5]]) < 0) {
                    return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                                "invalid \\u escape");
                }
                if (hex_tab[(unsigned char)p[2]] == 0xD &&
                    hex_tab[(unsigned char)p[3]] >= 8) {
                    /* A high surrogate D800..DBFF must be followed by a
                     * low one DC00..DFFF, as unescape() requires. */
                    if (!(hex_tab[(unsigned char)p[3]] < 0xC && end - p >= 12 &&
                          p[6] == '\\' && p[7] == 'u' &&
                          hex_tab[(unsigned char)p[8]] == 0xD &&
                          hex_tab[(unsigned char)p[9]] >= 0xC &&
                          (hex_tab[(unsigned char)p[10]] |
                           hex_tab[(unsigned char)p[11]]) >= 0)) {
                        return fail(e, ROOST_ERR(ROOST_EUTF8), p,
                                    "lone surrogate escape");
                    }
                    p += 6;
                }
                p += 6;
            } else {
                if (esc_tab[x] == 0) {
                    return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                                "invalid escape");
                }
                p += 2;
            }
            if (p < end && *p == '\\') {
                continue;
            }
        } else if (c == '"') {
            break;
        } else if (c < 0x20) {
            return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                        "control character in string");
        } else {
            assert(c >= 0x80);
            do {
                size_t n = utf8_len(p, end);
                if (n == 0) {
                    return fail(e, ROOST_ERR(ROOST_EUTF8), p, "invalid utf-8");
                }
                p += n;
            } while (p < end && (unsigned char)*p >= 0x80);
        }
        p = skip_plain(p, end);
        if (p == end) {
            return fail(e, ROOST_ERR(ROOST_EPARSE), p, "unterminated string");
        }
    }
    t->type = ROOST_JSON_STRING;
    t->is_float = 0;
    t->memo = MEMO_RAW;
    t->ptr = s;
    t->len = (uint32_t)(p - s);
    *endp = p + 1;
    return 0;
}

/*
 * decode_raw - decode the MEMO_RAW string token t into the scratch and make
 * t a plain view of the result. Its source was validated by skip_escaped(),
 * so nothing can fail here.
 *
 * Bounds: reads stay within the string's source bytes. Writes start at
 * scratch_used; every decoded string is no longer than its source and the
 * sources are disjoint parts of the input, which the scratch can hold
 * whole, so scratch_used + source length <= cap_scratch, and the 16-byte
 * stores below run only while 16 source bytes remain.
 */
#if defined(__GNUC__)
__attribute__((noinline))
#endif /* __GNUC__ */
static void decode_raw(const struct roost_json_doc *d,
                       struct roost_json_tok *t)
{
    struct roost_json_memo *m = d->memo;
    const char *p = t->ptr;
    const char *end = p + t->len;
    char *start = d->scratch + m->scratch_used;
    char *w = start;
    assert(m->scratch_used + t->len <= d->cap_scratch);
    while (p < end) {
#if defined(__SSE2__) && defined(__GNUC__)
        const __m128i bslash = _mm_set1_epi8('\\');
        while (end - p >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
            _mm_storeu_si128((__m128i *)(void *)w, v);
            unsigned bits =
                (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, bslash));
            if (bits != 0) {
                unsigned k = (unsigned)__builtin_ctz(bits);
                p += k;
                w += k;
                goto escape;
            }
            p += 16;
            w += 16;
        }
#endif /* __SSE2__ && __GNUC__ */
        while (p < end && *p != '\\') {
            *w++ = *p++;
        }
        if (p == end) {
            break;
        }
    escape:
        assert(end - p >= 2 && *p == '\\');
        if (p[1] != 'u') {
            *w++ = esc_tab[(unsigned char)p[1]];
            p += 2;
            if (p < end && *p == '\\') {
                goto escape;
            }
            continue;
        }
        uint32_t cp = (uint32_t)hex4(p + 2);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            uint32_t lo = (uint32_t)hex4(p + 8);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            p += 6;
        }
        w = put_utf8(w, cp);
        p += 6;
        if (p < end && *p == '\\') {
            goto escape; /* escapes come in runs */
        }
    }
    m->scratch_used += (size_t)(w - start);
    t->ptr = start;
    t->len = (uint32_t)(w - start);
    t->memo = 0;
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
                              struct perr *e, bool lazy)
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
            /* Keys are decoded now: lookups compare and hash them. */
            return lazy ? skip_escaped(d, in_len, *used, s, p, end, endp, t, e)
                        : unescape(d, in_len, used, s, p, end, endp, t, e);
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
    t->memo = 0;
    t->ptr = s;
    t->len = (uint32_t)(p - s);
    *endp = p + 1;
    return 0;
}

static inline bool is_digit(char c)
{
    return (unsigned)(c - '0') < 10;
}

/* eight_digits - p[0..8) are all '0'..'9' (SWAR; no false positives: a
 * carry out of one byte comes only from a byte that already fails). */
static inline bool eight_digits(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return ((v & 0xF0F0F0F0F0F0F0F0ull) |
            (((v + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >> 4)) ==
           0x3333333333333333ull;
}

/* skip_digits - past the run of digits at p (ids run to 19 digits). */
static inline const char *skip_digits(const char *p, const char *end)
{
#if defined(__SSE2__) && defined(__GNUC__)
    /* Shifted so that '0'..'9' are the 10 smallest signed bytes: one
     * compare finds the first non-digit of 16. */
    const __m128i bias = _mm_set1_epi8((char)('0' + 0x80));
    const __m128i nine = _mm_set1_epi8((char)(-128 + 9));
    while (end - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpgt_epi8(_mm_sub_epi8(v, bias), nine));
        if (m != 0) {
            return p + __builtin_ctz(m);
        }
        p += 16;
    }
#endif /* __SSE2__ && __GNUC__ */
    while (end - p >= 8 && eight_digits(p)) {
        p += 8;
    }
    while (p < end && is_digit(*p)) {
        p++;
    }
    return p;
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
        p = skip_digits(p + 1, end);
    }
    if (p < end && *p == '.') {
        p++;
        if (p == end || !is_digit(*p)) {
            return fail(e, ROOST_ERR(ROOST_EPARSE), p,
                        "digit expected after '.'");
        }
        p = skip_digits(p + 1, end);
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
    t->memo = 0;
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

ROOST_HOT_CLONES
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

    /* The memo holds lazy-decode state and lookup indexes: once per doc. */
    if (d->memo == NULL) {
        d->memo = roost_calloc(1, sizeof(*d->memo));
        if (d->memo == NULL) {
            return roost_diag_set(diag, ROOST_ERR(ROOST_ENOMEM), 0,
                                  "out of memory");
        }
    }
    d->memo->n_slots = 0;
    d->memo->scratch_used = 0;

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

    /* Whitespace is skipped where a structural byte was expected and not
     * found, so compact JSON pays no separate whitespace tests. */
value:
    if (ROOST_UNLIKELY(p == end)) {
        FAIL(ROOST_EPARSE, p, "value expected");
    }
    RESERVE();
    switch (*p) {
    case ' ':
    case '\t':
    case '\n':
    case '\r':
        p = skip_ws(p, end);
        goto value;
    case '{':
    case '[':
        if (ROOST_UNLIKELY(++depth > max_depth)) {
            FAIL(ROOST_ELIMIT, p, "nesting too deep");
        }
        in_obj = *p == '{';
        toks[n].type = in_obj ? ROOST_JSON_OBJECT : ROOST_JSON_ARRAY;
        toks[n].is_float = 0;
        toks[n].len = 0;
        toks[n].memo = 0;
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
        rc = scan_string(d, len, &used, p + 1, end, &p, &toks[n], &e, true);
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
    toks[n].memo = 0;
    toks[n].ptr = p;
    toks[n].next = n + 1;
    p += toks[n].len;
    n++;
    goto after;

key:
    /* An object member must start here, after optional whitespace. */
    if (ROOST_UNLIKELY(p == end || *p != '"')) {
        if (p < end && ws_tab[(unsigned char)*p]) {
            p = skip_ws(p, end);
            goto key;
        }
        FAIL(ROOST_EPARSE, p, "string key expected");
    }
    RESERVE();
    toks[cur].len++;
    rc = scan_string(d, len, &used, p + 1, end, &p, &toks[n], &e, false);
    if (ROOST_UNLIKELY(rc < 0)) {
        goto out_fail;
    }
    toks[n].next = n + 1;
    n++;
    if (ROOST_UNLIKELY(p == end || *p != ':')) {
        SKIP_WS();
        if (p == end || *p != ':') {
            FAIL(ROOST_EPARSE, p, "':' expected");
        }
    }
    p++;
    goto value;

after:
    if (cur == ROOST_JSON_NONE) {
        goto done;
    }
after_ws:
    if (ROOST_UNLIKELY(p == end)) {
        FAIL(ROOST_EPARSE, p, in_obj ? "',' or '}' expected"
                                     : "',' or ']' expected");
    }
    if (*p == ',') {
        p++;
        if (in_obj) {
            goto key;
        }
        toks[cur].len++;
        goto value;
    }
    if (*p != (in_obj ? '}' : ']')) {
        if (ws_tab[(unsigned char)*p]) {
            p = skip_ws(p, end);
            goto after_ws;
        }
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
    d->memo->scratch_used = used; /* keys decoded; values wait for use */
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

/*
 * Lookup indexes. Normalizers ask a tweet object for ~35 keys and a user
 * object for ~16, many absent, so a scan per lookup costs members x
 * lookups. An object with at least INDEX_MIN_MEMBERS members is scanned
 * on its first lookup and indexed on its second (on its first if it has
 * INDEX_EAGER_MEMBERS: such objects of a tweet always get several): an
 * open-addressing table of its key token indexes (0 = empty slot; a key is
 * never token 0) in memo->slots, sized to a power of two at least twice its
 * member count. tok.memo of an object counts lookups so far, or is
 * MEMO_INDEXED | log2(size) << MEMO_SHIFT | the table's offset.
 * Tables are per parse: parse resets memo->n_slots and every tok.memo.
 */
#define INDEX_MIN_MEMBERS   8
#define INDEX_EAGER_MEMBERS 16         /* indexed at the first lookup */
#define INDEX_MAX_SLOTS     (1u << 22) /* per parse; beyond it lookups scan */
static_assert(INDEX_MAX_SLOTS <= 1u << 24, "table offsets fit tok.memo");
#define MEMO_INDEXED 0x80000000u

/* key_hash - a cheap hash of a key: its length and its first and last
 * eight bytes (fewer for short keys), mixed by one multiply. */
static inline uint32_t key_hash(const char *p, size_t len)
{
    uint64_t a = 0;
    uint64_t b = 0;
    if (len >= 8) {
        memcpy(&a, p, 8);
        memcpy(&b, p + len - 8, 8);
    } else if (len >= 4) {
        uint32_t x, y;
        memcpy(&x, p, 4);
        memcpy(&y, p + len - 4, 4);
        a = x;
        b = y;
    } else if (len > 0) {
        a = (uint64_t)(unsigned char)p[0] |
            (uint64_t)(unsigned char)p[len / 2] << 8 |
            (uint64_t)(unsigned char)p[len - 1] << 16;
    }
    uint64_t h =
        (a ^ (b * 0x9E3779B97F4A7C15ull) ^ len) * 0xFF51AFD7ED558CCDull;
    return (uint32_t)(h >> 32);
}

/* same_bytes - a == b over len bytes, by overlapping 8- or 4-byte loads
 * that stay inside both ranges (keys are short; no memcmp call). */
static inline bool same_bytes(const char *a, const char *b, size_t len)
{
    uint64_t x, y;
    if (len >= 8) {
        size_t i = 0;
        for (; i + 8 < len; i += 8) {
            memcpy(&x, a + i, 8);
            memcpy(&y, b + i, 8);
            if (x != y) {
                return false;
            }
        }
        memcpy(&x, a + len - 8, 8);
        memcpy(&y, b + len - 8, 8);
        return x == y;
    }
    if (len >= 4) {
        uint32_t u, v, u2, v2;
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        memcpy(&u2, a + len - 4, 4);
        memcpy(&v2, b + len - 4, 4);
        return ((u ^ v) | (u2 ^ v2)) == 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

static inline bool key_eq(const struct roost_json_tok *t, const char *key,
                          size_t key_len)
{
    return t->len == key_len && same_bytes(t->ptr, key, key_len);
}

/* An indexed object's tok.memo: MEMO_INDEXED | log2(table size) << 24 |
 * offset of its table in memo->slots (< INDEX_MAX_SLOTS <= 1 << 24). */
#define MEMO_SHIFT    24
#define MEMO_OFF_MASK ((1u << MEMO_SHIFT) - 1)

static inline uint32_t index_log2(uint32_t n_members)
{
    uint32_t lg = 4;
    while ((1u << lg) < 2 * n_members) {
        lg++;
    }
    return lg;
}

/* build_index - the hash table of object obj's keys; false (and no table)
 * when out of memory or over INDEX_MAX_SLOTS. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif /* __GNUC__ */
static bool build_index(const struct roost_json_doc *d, uint32_t obj)
{
    struct roost_json_memo *m = d->memo;
    struct roost_json_tok *toks = d->toks;
    uint32_t n_members = toks[obj].len;
    if (m == NULL || n_members > INDEX_MAX_SLOTS / 2) {
        return false;
    }
    uint32_t lg = index_log2(n_members);
    uint32_t size = 1u << lg;
    if (size > INDEX_MAX_SLOTS - m->n_slots) {
        return false;
    }
    if (m->n_slots + size > m->cap_slots) {
        uint32_t ncap = m->cap_slots ? m->cap_slots : 1024;
        while (ncap < m->n_slots + size) {
            ncap *= 2;
        }
        uint32_t *ns = roost_realloc(m->slots, (size_t)ncap * sizeof(*ns));
        if (ns == NULL) {
            return false;
        }
        m->slots = ns;
        m->cap_slots = ncap;
    }
    uint32_t off = m->n_slots;
    uint32_t *tab = m->slots + off;
    uint32_t mask = size - 1;
    memset(tab, 0, (size_t)size * sizeof(*tab));
    uint32_t k = obj + 1;
    for (uint32_t i = 0; i < n_members; i++) {
        const struct roost_json_tok *t = &toks[k];
        uint32_t h = key_hash(t->ptr, t->len) & mask;
        while (tab[h] != 0 && !key_eq(&toks[tab[h]], t->ptr, t->len)) {
            h = (h + 1) & mask;
        }
        tab[h] = k; /* a later duplicate replaces: the last one wins */
        k = toks[k + 1].next;
    }
    m->n_slots = off + size;
    toks[obj].memo = MEMO_INDEXED | lg << MEMO_SHIFT | off;
    return true;
}

/* probe - key's value in the indexed object o, or ROOST_JSON_NONE. */
static inline uint32_t probe(const struct roost_json_doc *d,
                             const struct roost_json_tok *o, const char *key,
                             size_t key_len)
{
    const uint32_t *tab = d->memo->slots + (o->memo & MEMO_OFF_MASK);
    uint32_t mask = (1u << (o->memo >> MEMO_SHIFT & 0x7F)) - 1;
    uint32_t h = key_hash(key, key_len) & mask;
    for (uint32_t k; (k = tab[h]) != 0; h = (h + 1) & mask) {
        if (key_eq(&d->toks[k], key, key_len)) {
            return k + 1;
        }
    }
    return ROOST_JSON_NONE;
}

/* getn_scan - lookup in an object not indexed (yet): index it at its
 * second lookup if it is big enough, else scan it. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif /* __GNUC__ */
static uint32_t getn_scan(const struct roost_json_doc *d, uint32_t obj,
                          const char *key, size_t key_len)
{
    struct roost_json_tok *o = &d->toks[obj];
    if (o->len >= INDEX_MIN_MEMBERS &&
        (o->memo > 0 || o->len >= INDEX_EAGER_MEMBERS) && build_index(d, obj)) {
        return probe(d, o, key, key_len);
    }
    if (o->memo < MEMO_INDEXED - 1) {
        o->memo++; /* lookups so far; saturates if indexing fails */
    }
    uint32_t found = ROOST_JSON_NONE;
    uint32_t k = obj + 1;
    for (uint32_t i = 0; i < o->len; i++) {
        if (key_eq(&d->toks[k], key, key_len)) {
            found = k + 1; /* keep going: the last duplicate wins */
        }
        k = d->toks[k + 1].next;
    }
    return found;
}

uint32_t roost_json_getn(const struct roost_json_doc *d, uint32_t obj,
                         const char *key, size_t key_len)
{
    if (!roost_json_is(d, obj, ROOST_JSON_OBJECT) || obj >= d->n_toks) {
        return ROOST_JSON_NONE;
    }
    const struct roost_json_tok *o = &d->toks[obj];
    if (ROOST_LIKELY((o->memo & MEMO_INDEXED) != 0)) {
        return probe(d, o, key, key_len);
    }
    return getn_scan(d, obj, key, key_len);
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

/* tok_view - the (decoded) view of string or number token t. */
static inline struct roost_str tok_view(const struct roost_json_doc *d,
                                        struct roost_json_tok *t)
{
    if (ROOST_UNLIKELY(t->memo == MEMO_RAW) && t->type == ROOST_JSON_STRING) {
        decode_raw(d, t);
    }
    return roost_str_make(t->ptr, t->len);
}

struct roost_str roost_json_str(const struct roost_json_doc *d, uint32_t i)
{
    if (!roost_json_is(d, i, ROOST_JSON_STRING)) {
        return ROOST_STR_NULL;
    }
    return tok_view(d, &d->toks[i]);
}

struct roost_str roost_json_text(const struct roost_json_doc *d, uint32_t i)
{
    if (i == ROOST_JSON_NONE || (d->toks[i].type != ROOST_JSON_STRING &&
                                 d->toks[i].type != ROOST_JSON_NUMBER)) {
        return ROOST_STR_NULL;
    }
    return tok_view(d, &d->toks[i]);
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
    struct roost_str v = roost_json_str(d, i); /* decodes if still raw */
    struct roost_json_tok nt;
    struct perr e;
    const char *endp = NULL;
    const char *end = v.ptr + v.len;
    if (v.len == 0 || (*v.ptr != '-' && !is_digit(*v.ptr)) ||
        scan_number(v.ptr, end, &endp, &nt, &e) < 0 || endp != end) {
        return false;
    }
    *out = v;
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
