/* SPDX-License-Identifier: MIT
 *
 * simulate.c - the synthetic firehose: one seeded stream, four wire shapes.
 *
 * The model. A record slot is drawn from the main PRNG (xoshiro256**,
 * seeded by splitmix64): a limit notice when event time crossed the next
 * limit mark, else a delete (of an id from the ring of recent posts) with
 * delete_share, else a post: a retweet, a quote, a reply or an original.
 * Event time advances by an exponential gap at `rate` (raised during a
 * burst), so the stream is a pure function of (seed, config).
 *
 * Heavy tails. Authors are drawn from a Zipf law over n_users (a few users
 * post a lot); followers are Pareto; retweeted and mentioned users are
 * drawn by follower rank; hashtags and words are Zipf over their tables
 * (simulate_words.c, rank = order). Retweets and quotes point into a pool
 * of "viral" originals per event hour, so the same original is retweeted
 * many times with the same id. Every burst.every_s a trending topic from
 * roost__sim_trends is boosted for burst.length_s (ramp up, plateau, decay).
 *
 * A post is a list of segments (words, emoji, hashtags, mentions, URLs,
 * cashtags, a media link). render() lays the segments out for one wire
 * format and records each entity's code-point and byte range, so indices
 * are correct by construction: v1.1/v2 use code points of the HTML-escaped
 * text, Jetstream uses UTF-8 byte offsets of the plain text, Mastodon
 * builds HTML from the segments.
 *
 * Speed. Output is written straight into the caller's roost_buf by a small
 * JSON writer (struct w); v1 user objects are rendered once per user and
 * then copied; Zipf draws use a guide table (O(1) expected). No allocation
 * happens per record. Start at roost_sim_next().
 */
#include <assert.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "source/simulate_int.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

#define MAX_SEGS   72
#define TEXT_MAX   8192
#define MAX_URLS   3
#define RING       8192        /* recent post ids that deletes may name */
#define VIRAL_POOL 4096        /* originals per event hour */
#define SINK_BYTES 65536       /* where writes go after an output error */
#define UCACHE_MAX (96u << 20) /* bytes of cached v1 user objects */
#define TWEPOCH    1288834974657LL

/* ---- PRNG ---------------------------------------------------------------- */

struct rng {
    uint64_t s[4];
};

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++) {
        seed += 0x9e3779b97f4a7c15ULL;
        r->s[i] = mix64(seed);
    }
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static uint64_t rng_u64(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t out = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return out;
}

/* A double in [0, 1). */
static double rng_unit(struct rng *r)
{
    return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

static bool rng_chance(struct rng *r, double p)
{
    return rng_unit(r) < p;
}

/* ---- Zipf sampling with a guide table ------------------------------------ */

struct zipf {
    double *cdf;
    uint32_t *guide;
    uint32_t n;
};

static int zipf_init(struct zipf *z, uint32_t n, double expo, double shift)
{
    z->n = n;
    z->cdf = roost_malloc(sizeof(*z->cdf) * n);
    z->guide = roost_malloc(sizeof(*z->guide) * n);
    if (z->cdf == NULL || z->guide == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    double sum = 0;
    for (uint32_t i = 0; i < n; i++) {
        sum += 1.0 / pow((double)i + 1.0 + shift, expo);
        z->cdf[i] = sum;
    }
    for (uint32_t i = 0; i < n; i++) {
        z->cdf[i] /= sum;
    }
    z->cdf[n - 1] = 1.0;
    uint32_t i = 0;
    for (uint32_t k = 0; k < n; k++) {
        double lo = (double)k / n;
        while (z->cdf[i] <= lo) {
            i++;
        }
        z->guide[k] = i;
    }
    return 0;
}

static void zipf_fini(struct zipf *z)
{
    roost_free(z->cdf);
    roost_free(z->guide);
    z->cdf = NULL;
    z->guide = NULL;
}

static uint32_t zipf_draw(const struct zipf *z, struct rng *r)
{
    double u = rng_unit(r);
    uint32_t i = z->guide[(uint32_t)(u * z->n)];
    while (z->cdf[i] <= u) {
        i++;
    }
    return i;
}

/* ---- the vocabulary, prepared -------------------------------------------- */

struct word {
    const char *raw; /* UTF-8 */
    const char *esc; /* HTML-escaped for X (& < >) */
    uint16_t raw_len, esc_len;
    uint16_t raw_cp, esc_cp;
};

struct user {
    uint64_t id;
    int64_t created_ms;
    uint32_t followers, friends, listed, favourites, statuses;
    uint32_t name_off; /* in s->pool */
    uint16_t name_len;
    uint8_t screen_len;
    uint8_t lang;
    uint8_t bio;
    uint8_t bio2;
    uint8_t location; /* place index + 1, 0 = none */
    uint8_t instance; /* Mastodon instance */
    bool verified, geo_enabled, default_profile, has_url;
    char screen[16];
};

/* A piece of post text. */
enum seg_kind {
    SEG_WORD = 0,
    SEG_SPACE,
    SEG_NL,
    SEG_EMOJI,
    SEG_TAG,
    SEG_TREND,
    SEG_MENTION,
    SEG_URL,
    SEG_CASH,
    SEG_MEDIA,
};

struct seg {
    uint8_t kind;
    uint32_t ref;
};

struct url {
    uint64_t h;
    uint8_t domain;
};

struct post {
    uint64_t id;
    int64_t ms;
    uint32_t uid;
    uint8_t lang;
    uint8_t source;
    bool sensitive;
    bool reply;
    bool media;
    bool geo, point;
    bool burst;
    uint8_t place;
    uint32_t n_seg;
    uint32_t n_url;
    uint32_t reply_uid;
    uint64_t reply_id;
    uint64_t media_id;
    double lat, lon;
    uint32_t rts, favs, replies, quotes;
    struct seg seg[MAX_SEGS];
    struct url url[MAX_URLS];
};

enum ent_kind { ENT_TAG = 0, ENT_MENTION, ENT_URL, ENT_CASH, ENT_MEDIA };

struct ent {
    uint8_t kind;
    uint32_t seg; /* index into the post's segments */
    uint32_t cp0, cp1, b0, b1;
};

/* A post's text laid out for one format. */
struct text {
    uint32_t len, n_cp, n_ent;
    uint32_t seg_cp[MAX_SEGS + 1]; /* code points before segment i */
    uint32_t seg_b[MAX_SEGS + 1];
    struct ent ent[MAX_SEGS];
    char buf[TEXT_MAX];
};

enum rmode { RM_X = 0, RM_BSKY };

struct roost_sim {
    struct roost_sim_cfg cfg;
    struct rng rng;  /* the underlying stream */
    struct rng xrng; /* format-only extras (likes, identity events) */
    double t_s;      /* event time since start_ms, seconds */
    double next_limit_s;
    uint64_t n_records;
    uint64_t limit_track;
    uint16_t seq; /* snowflake sequence */
    bool done;

    struct zipf z_users, z_popular, z_tags, z_viral, z_lang_pick;
    struct zipf z_words[16];
    uint32_t *popular; /* uids by followers, descending */
    struct user *users;
    struct word *words; /* all languages, lang_off[l] first */
    uint32_t lang_off[16];
    uint32_t n_langs;
    struct word *tags; /* n_hashtags: the table, then synthesized */
    struct word *trends;
    struct word *emoji;
    struct word *given; /* names */
    struct word *family;
    char (*src_name)[40]; /* source names without the anchor */

    struct roost_buf pool;   /* user names, synthesized tags, escapes */
    struct roost_buf ucache; /* v1 user objects */
    uint32_t *ucache_off;    /* per uid: offset + 1 in ucache, 0 = none */
    uint32_t *ucache_len;
    struct roost_buf tmp; /* Mastodon payloads before string escaping */

    uint64_t ring_id[RING];
    uint32_t ring_uid[RING];
    uint32_t ring_n, ring_head;

    struct post post, orig;
    struct post *viral;  /* VIRAL_POOL cached originals */
    int64_t *viral_hour; /* which hour each slot holds, -1 = none */
    struct text tx_post, tx_orig, tx_bsky;
    struct roost__sim_last last;
    char last_url[24];
    char last_id[24];
    char wrap[TEXT_MAX + 64];
    char sink[SINK_BYTES];
};

/* ---- the JSON writer ------------------------------------------------------
 */

/* Writes go to b->ptr + len without per-byte checks; w_need() grows b. After
 * an error everything goes to s->sink so callers need no error paths. */
struct w {
    struct roost_buf *b;
    char *p, *lim;
    char *sink;
    size_t start; /* b->len when the record began */
    int rc;
};

static void w_init(struct w *w, struct roost_buf *b, char *sink)
{
    w->b = b;
    w->sink = sink;
    w->start = b->len;
    w->rc = 0;
    if (b->ptr == NULL || b->cap - b->len < 32768) {
        w->rc = roost_buf_reserve(b, 32768);
    }
    if (w->rc != 0) {
        w->p = sink;
        w->lim = sink + SINK_BYTES;
        return;
    }
    w->p = b->ptr + b->len;
    w->lim = b->ptr + b->cap - 1;
}

static void w_grow(struct w *w, size_t n)
{
    assert(n < SINK_BYTES);
    if (w->rc == 0) {
        w->b->len = (size_t)(w->p - w->b->ptr);
        size_t more = n < 32768 ? 32768 : n;
        int rc = roost_buf_reserve(w->b, more);
        if (rc < 0) {
            rc = roost_buf_reserve(w->b, n);
        }
        if (rc == 0) {
            w->p = w->b->ptr + w->b->len;
            w->lim = w->b->ptr + w->b->cap - 1;
            return;
        }
        w->rc = rc;
    }
    w->p = w->sink;
    w->lim = w->sink + SINK_BYTES;
}

static inline void w_need(struct w *w, size_t n)
{
    if (ROOST_UNLIKELY((size_t)(w->lim - w->p) < n)) {
        w_grow(w, n);
    }
}

/* w_end - finish the record: 0 and out grows, or the error and out is as
 * it was. */
static int w_end(struct w *w)
{
    if (w->rc != 0) {
        w->b->len = w->start;
        if (w->b->ptr != NULL) {
            w->b->ptr[w->start] = '\0';
        }
        return w->rc;
    }
    w->b->len = (size_t)(w->p - w->b->ptr);
    w->b->ptr[w->b->len] = '\0';
    return 0;
}

static inline void w_raw(struct w *w, const char *s, size_t len)
{
    w_need(w, len);
    memcpy(w->p, s, len);
    w->p += len;
}

#define W_LIT(w, s) w_raw((w), (s), sizeof(s) - 1)

static inline void w_c(struct w *w, char c)
{
    w_need(w, 1);
    *w->p++ = c;
}

/* "00" "01" .. "99": decimal output two digits per division. */
static const char digits2[201] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";

static inline unsigned n_digits(uint64_t v)
{
    static const uint64_t p10[20] = {
        1ULL,
        10ULL,
        100ULL,
        1000ULL,
        10000ULL,
        100000ULL,
        1000000ULL,
        10000000ULL,
        100000000ULL,
        1000000000ULL,
        10000000000ULL,
        100000000000ULL,
        1000000000000ULL,
        10000000000000ULL,
        100000000000000ULL,
        1000000000000000ULL,
        10000000000000000ULL,
        100000000000000000ULL,
        1000000000000000000ULL,
        10000000000000000000ULL,
    };
#if defined(__GNUC__)
    /* Digits of v | 1 are those of v, 0 included (powers of 10 are even);
     * bits * 1233 >> 12 is floor(log10(2^bits)) for bits <= 64. */
    v |= 1;
    unsigned t = ((64u - (unsigned)__builtin_clzll(v)) * 1233u) >> 12;
    return t + (v >= p10[t]);
#else
    unsigned n = 1;
    while (n < 20 && v >= p10[n]) {
        n++;
    }
    return n;
#endif
}

/* Exactly four digits of v < 10000 at o. */
static inline void put4(char *o, uint32_t v)
{
    uint32_t hi = v / 100;
    memcpy(o, digits2 + 2 * hi, 2);
    memcpy(o + 2, digits2 + 2 * (v - hi * 100), 2);
}

/* put_u64 - v in decimal at o (at most 20 bytes); returns the end. Eight
 * digits per 64-bit division, then 32-bit work two digits at a time. */
static char *put_u64(char *o, uint64_t v)
{
    char *end = o + n_digits(v);
    char *e = end;
    while (v >= 100000000) {
        uint64_t q = v / 100000000;
        uint32_t r = (uint32_t)(v - q * 100000000);
        uint32_t hi = r / 10000;
        put4(e - 8, hi);
        put4(e - 4, r - hi * 10000);
        e -= 8;
        v = q;
    }
    uint32_t x = (uint32_t)v;
    while (x >= 100) {
        uint32_t q = x / 100;
        e -= 2;
        memcpy(e, digits2 + 2 * (x - q * 100), 2);
        x = q;
    }
    if (x >= 10) {
        memcpy(e - 2, digits2 + 2 * x, 2);
    } else {
        e[-1] = (char)('0' + x);
    }
    return end;
}

static void w_u64(struct w *w, uint64_t v)
{
    w_need(w, 20);
    w->p = put_u64(w->p, v);
}

/* "v" as a JSON string */
static void w_u64s(struct w *w, uint64_t v)
{
    w_need(w, 22);
    char *o = w->p;
    *o++ = '"';
    o = put_u64(o, v);
    *o++ = '"';
    w->p = o;
}

/* v with exactly `dec` decimals. */
static void w_fixed(struct w *w, double v, int dec)
{
    static const double p10[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8 };
    assert(dec > 0 && dec <= 8);
    if (v < 0) {
        w_c(w, '-');
        v = -v;
    }
    uint64_t scaled = (uint64_t)llround(v * p10[dec]);
    uint64_t scale = (uint64_t)p10[dec];
    w_u64(w, scaled / scale);
    w_c(w, '.');
    uint64_t frac = scaled % scale;
    char tmp[8];
    for (int i = dec - 1; i >= 0; i--) {
        tmp[i] = (char)('0' + frac % 10);
        frac /= 10;
    }
    w_raw(w, tmp, (size_t)dec);
}

/* Bytes that need work in a JSON string: 1 = escape, 2 = non-ASCII.
 * esc_plain is for UTF-8 output, esc_x for the X dialect (see w_str). */
static unsigned char esc_plain[256], esc_x[256];

/* "00" .. "ff": two hex digits per byte. */
static char hex2[512];

static void esc_class_init(void)
{
    static const char hex[] = "0123456789abcdef";
    for (int c = 0; c < 256; c++) {
        unsigned char k = c < 0x20 || c == '"' || c == '\\' ? 1 : 0;
        esc_plain[c] = k;
        esc_x[c] = c >= 0x80 ? 2 : c == '/' ? 1 : k;
        hex2[2 * c] = hex[c >> 4];
        hex2[2 * c + 1] = hex[c & 15];
    }
}

static char *put_u4(char *o, unsigned v)
{
    o[0] = '\\';
    o[1] = 'u';
    memcpy(o + 2, hex2 + 2 * ((v >> 8) & 0xff), 2);
    memcpy(o + 4, hex2 + 2 * (v & 0xff), 2);
    return o + 6;
}

/* A clean-run scanner: a mask of the bytes at p that need work in w_str,
 * bit k for byte k (SCAN_BYTES at a time; only the lowest set bit needs
 * to be exact). SSE2 where there is SSE2, else 8-byte SWAR on
 * little-endian GCC/clang, else w_str goes byte by byte. */
#if defined(__SSE2__)
#define SCAN_BYTES 16

static inline uint64_t scan_esc(const char *p, bool x)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    __m128i ctl = _mm_cmpeq_epi8(_mm_min_epu8(v, _mm_set1_epi8(0x1f)), v);
    __m128i m = _mm_or_si128(
        ctl, _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
                          _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
    if (x) {
        m = _mm_or_si128(_mm_or_si128(m, v),
                         _mm_cmpeq_epi8(v, _mm_set1_epi8('/')));
    }
    return (uint64_t)_mm_movemask_epi8(m);
}

static inline unsigned scan_first(uint64_t m)
{
    return (unsigned)__builtin_ctzll(m);
}
#elif defined(__GNUC__) && defined(__BYTE_ORDER__) &&                         \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define SCAN_BYTES 8
#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* High bits of the bytes of v equal to c; false positives only above the
 * first true one. */
static inline uint64_t swar_eq(uint64_t v, unsigned char c)
{
    uint64_t x = v ^ (ONES * c);
    return (x - ONES) & ~x & HIGHS;
}

static inline uint64_t scan_esc(const char *p, bool x)
{
    uint64_t v;
    memcpy(&v, p, 8);
    uint64_t m = ((v - ONES * 0x20) & ~v & HIGHS) | swar_eq(v, '"') |
                 swar_eq(v, '\\');
    if (x) {
        m |= (v & HIGHS) | swar_eq(v, '/');
    }
    return m;
}

static inline unsigned scan_first(uint64_t m)
{
    return (unsigned)__builtin_ctzll(m) >> 3;
}
#endif

/*
 * w_str - s as a JSON string literal. `x` selects the X firehose dialect:
 * non-ASCII as \uXXXX (astral code points as surrogate pairs) and '/' as
 * "\/", the way the v1.1 stream sends it. s is valid UTF-8 (we made it).
 * Clean runs are found and copied SCAN_BYTES at a time where the CPU
 * allows; the output has room for 6 bytes per input byte, so a whole
 * block may be stored even when only its first bytes are kept.
 */
static void w_str(struct w *w, const char *s, size_t len, bool x)
{
    const unsigned char *cls = x ? esc_x : esc_plain;
    w_need(w, len * 6 + 2);
    char *o = w->p;
    *o++ = '"';
    size_t i = 0;
    for (;;) {
#ifdef SCAN_BYTES
        while (i + SCAN_BYTES <= len) {
            uint64_t m = scan_esc(s + i, x);
            memcpy(o, s + i, SCAN_BYTES);
            if (m == 0) {
                o += SCAN_BYTES;
                i += SCAN_BYTES;
                continue;
            }
            unsigned k = scan_first(m);
            o += k;
            i += k;
            goto special;
        }
#endif
        while (i < len && cls[(unsigned char)s[i]] == 0) {
            *o++ = s[i++];
        }
        if (i == len) {
            break;
        }
#ifdef SCAN_BYTES
    special:
#endif
        /* Non-ASCII runs (whole words in many languages) stay here. */
        while (i < len && cls[(unsigned char)s[i]] == 2) {
            unsigned char c = (unsigned char)s[i];
            unsigned cp;
            if (c < 0xe0) {
                cp = ((c & 0x1fu) << 6) | (s[i + 1] & 0x3fu);
                i += 2;
            } else if (c < 0xf0) {
                cp = ((c & 0x0fu) << 12) | ((s[i + 1] & 0x3fu) << 6) |
                     (s[i + 2] & 0x3fu);
                i += 3;
            } else {
                cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3fu) << 12) |
                     ((s[i + 2] & 0x3fu) << 6) | (s[i + 3] & 0x3fu);
                i += 4;
            }
            if (cp >= 0x10000) {
                cp -= 0x10000;
                o = put_u4(o, 0xd800 + (cp >> 10));
                o = put_u4(o, 0xdc00 + (cp & 0x3ff));
            } else {
                o = put_u4(o, cp);
            }
        }
        if (i == len) {
            break;
        }
        unsigned char c = (unsigned char)s[i];
        if (cls[c] == 0) {
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
        case '/':
            *o++ = '/';
            break;
        case '\n':
            *o++ = 'n';
            break;
        case '\t':
            *o++ = 't';
            break;
        case '\r':
            *o++ = 'r';
            break;
        default:
            o = put_u4(o - 1, c);
            break;
        }
        i++;
    }
    *o++ = '"';
    w->p = o;
}

/* w_qraw - s quoted as is: for text made only of [A-Za-z0-9_.-] such as
 * screen names, which no JSON dialect escapes. */
static void w_qraw(struct w *w, const char *s, size_t len)
{
    w_need(w, len + 2);
    char *o = w->p;
    *o++ = '"';
    memcpy(o, s, len);
    o[len] = '"';
    w->p = o + len + 1;
}

/* w_xurl - a URL as an X JSON string; t.co links (tco()) without a scan. */
static void w_xurl(struct w *w, const char *s, size_t len)
{
    if (len != 23 || memcmp(s, "https://t.co/", 13) != 0) {
        w_str(w, s, len, true);
        return;
    }
    w_need(w, 28);
    memcpy(w->p, "\"https:\\/\\/t.co\\/", 17);
    memcpy(w->p + 17, s + 13, 10);
    w->p[27] = '"';
    w->p += 28;
}

static void w_cstr(struct w *w, const char *s, bool x)
{
    w_str(w, s, strlen(s), x);
}

/* ---- time ------------------------------------------------------------------
 */

/* Days since 1970-01-01 to a civil date (H. Hinnant's algorithm). */
static void civil(int64_t z, int *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static void put2(char *o, int v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

static void split_ms(int64_t ms, int64_t *days, int *hh, int *mi, int *ss,
                     int *msr)
{
    int64_t secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    *msr = (int)(ms - secs * 1000);
    *days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t sod = secs - *days * 86400;
    *hh = (int)(sod / 3600);
    *mi = (int)(sod / 60 % 60);
    *ss = (int)(sod % 60);
}

/* "Fri Jan 01 07:29:00 +0000 2021", quoted. */
static void w_date_x(struct w *w, int64_t ms)
{
    static const char wd[] = "SunMonTueWedThuFriSat";
    static const char mo[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int64_t days;
    int hh, mi, ss, msr, y, m, d;
    split_ms(ms, &days, &hh, &mi, &ss, &msr);
    civil(days, &y, &m, &d);
    int dow = (int)(((days % 7) + 7 + 4) % 7);
    w_need(w, 34);
    char *o = w->p;
    *o++ = '"';
    memcpy(o, wd + dow * 3, 3);
    o[3] = ' ';
    memcpy(o + 4, mo + (m - 1) * 3, 3);
    o[7] = ' ';
    put2(o + 8, d);
    o[10] = ' ';
    put2(o + 11, hh);
    o[13] = ':';
    put2(o + 14, mi);
    o[16] = ':';
    put2(o + 17, ss);
    memcpy(o + 19, " +0000 ", 7);
    put2(o + 26, y / 100);
    put2(o + 28, y % 100);
    o[30] = '"';
    w->p = o + 31;
}

/* "2021-01-01T07:29:00.000Z", quoted. */
static void w_date_iso(struct w *w, int64_t ms)
{
    int64_t days;
    int hh, mi, ss, msr, y, m, d;
    split_ms(ms, &days, &hh, &mi, &ss, &msr);
    civil(days, &y, &m, &d);
    w_need(w, 28);
    char *o = w->p;
    *o++ = '"';
    put2(o, y / 100);
    put2(o + 2, y % 100);
    o[4] = '-';
    put2(o + 5, m);
    o[7] = '-';
    put2(o + 8, d);
    o[10] = 'T';
    put2(o + 11, hh);
    o[13] = ':';
    put2(o + 14, mi);
    o[16] = ':';
    put2(o + 17, ss);
    o[19] = '.';
    o[20] = (char)('0' + msr / 100);
    put2(o + 21, msr % 100);
    o[23] = 'Z';
    o[24] = '"';
    w->p = o + 25;
}

/* ---- ids and opaque names --------------------------------------------------
 */

static uint64_t snowflake(struct roost_sim *s, int64_t ms, uint64_t salt)
{
    s->seq = (uint16_t)((s->seq + 1) & 0xfff);
    return ((uint64_t)(ms - TWEPOCH) << 22) | ((salt & 0x3ff) << 12) | s->seq;
}

static int64_t snowflake_ms(uint64_t id)
{
    return (int64_t)(id >> 22) + TWEPOCH;
}

static void put_base(char *o, uint64_t h, size_t n, const char *alpha,
                     unsigned radix)
{
    for (size_t i = 0; i < n; i++) {
        if (i % 10 == 9) {
            h = mix64(h);
        }
        o[i] = alpha[h % radix];
        h /= radix;
    }
}

static const char b62[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";
static const char s32[] = "234567abcdefghijklmnopqrstuvwxyz"; /* TID */

/* t.co code of a URL hash: 10 base62 characters. */
static void tco(char out[24], uint64_t h)
{
    memcpy(out, "https://t.co/", 13);
    put_base(out + 13, mix64(h), 10, b62, 62);
}

static void did_of(const struct roost_sim *s, uint32_t uid, char out[32])
{
    memcpy(out, "did:plc:", 8);
    put_base(out + 8, mix64(s->cfg.seed ^ ((uint64_t)uid << 20) ^ 0xd1d), 24,
             b32, 32);
}

static void w_did(struct w *w, const struct roost_sim *s, uint32_t uid)
{
    char b[32];
    did_of(s, uid, b);
    w_c(w, '"');
    w_raw(w, b, 32);
    w_c(w, '"');
}

/* A TID (13 base32-sortable characters) that names post `id`. */
static void tid_of(char out[13], uint64_t id)
{
    uint64_t us = (uint64_t)snowflake_ms(id) * 1000 + (id & 0x3ff) % 1000;
    uint64_t v = (us << 10) | (mix64(id) & 0x3ff);
    for (int i = 12; i >= 0; i--) {
        out[i] = s32[v & 31];
        v >>= 5;
    }
}

static void w_tid(struct w *w, uint64_t id)
{
    char b[13];
    tid_of(b, id);
    w_c(w, '"');
    w_raw(w, b, 13);
    w_c(w, '"');
}

static void w_cid(struct w *w, uint64_t h)
{
    char b[59];
    memcpy(b, "bafyrei", 7);
    put_base(b + 7, mix64(h ^ 0xc1d), 52, b32, 32);
    w_c(w, '"');
    w_raw(w, b, 59);
    w_c(w, '"');
}

/* "at://<did>/<collection>/<tid>" */
static void w_aturi(struct w *w, const struct roost_sim *s, uint32_t uid,
                    uint64_t id, const char *coll)
{
    char b[32];
    W_LIT(w, "\"at://");
    did_of(s, uid, b);
    w_raw(w, b, 32);
    w_c(w, '/');
    w_raw(w, coll, strlen(coll));
    w_c(w, '/');
    tid_of(b, id);
    w_raw(w, b, 13);
    w_c(w, '"');
}

/* ---- setup: words, hashtags, users ------------------------------------------
 */

static uint16_t count_cp(const char *p, size_t len)
{
    uint16_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += ((unsigned char)p[i] & 0xc0) != 0x80;
    }
    return n;
}

/* pool_add - copy into the pool, which never moves (reserved up front). */
static const char *pool_add(struct roost_sim *s, const char *p, size_t len)
{
    size_t at = s->pool.len;
    char *before = s->pool.ptr;
    if (roost_buf_add(&s->pool, p, len) < 0 || s->pool.ptr != before) {
        return NULL;
    }
    return s->pool.ptr + at;
}

static int word_make(struct roost_sim *s, struct word *wd, const char *raw)
{
    size_t len = strlen(raw);
    wd->raw = raw;
    wd->raw_len = (uint16_t)len;
    wd->raw_cp = count_cp(raw, len);
    wd->esc = raw;
    wd->esc_len = wd->raw_len;
    wd->esc_cp = wd->raw_cp;
    if (strpbrk(raw, "&<>") == NULL) {
        return 0;
    }
    char tmp[256];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 6 < sizeof(tmp); i++) {
        const char *rep = raw[i] == '&'   ? "&amp;"
                          : raw[i] == '<' ? "&lt;"
                          : raw[i] == '>' ? "&gt;"
                                          : NULL;
        if (rep != NULL) {
            memcpy(tmp + n, rep, strlen(rep));
            n += strlen(rep);
        } else {
            tmp[n++] = raw[i];
        }
    }
    wd->esc = pool_add(s, tmp, n);
    if (wd->esc == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    wd->esc_len = (uint16_t)n;
    wd->esc_cp = count_cp(tmp, n);
    return 0;
}

static int words_make(struct roost_sim *s, struct word **out,
                      const char *const *tab, size_t n)
{
    struct word *v = roost_calloc(n, sizeof(*v));
    if (v == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    *out = v;
    for (size_t i = 0; i < n; i++) {
        int rc = word_make(s, &v[i], tab[i]);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* Hashtag i: the table first, then CamelCase syllable names that are
 * unique by construction (mixed radix over the syllables). */
static int tags_make(struct roost_sim *s)
{
    uint32_t n = s->cfg.n_hashtags;
    s->tags = roost_calloc(n, sizeof(*s->tags));
    if (s->tags == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    uint32_t ns = (uint32_t)roost__sim_n_syllables;
    for (uint32_t i = 0; i < n; i++) {
        if (i < roost__sim_n_tags) {
            int rc = word_make(s, &s->tags[i], roost__sim_tags[i]);
            if (rc < 0) {
                return rc;
            }
            continue;
        }
        uint32_t k = i - (uint32_t)roost__sim_n_tags;
        char tmp[64];
        size_t len = 0;
        uint32_t parts[3] = { k % ns, (k / ns) % ns, (k / ns / ns) % ns };
        int n_parts = k < ns * ns ? 2 : 3;
        for (int j = 0; j < n_parts; j++) {
            const char *syl = roost__sim_syllables[parts[j]];
            size_t sl = strlen(syl);
            memcpy(tmp + len, syl, sl);
            tmp[len] = (char)(tmp[len] - 'a' + 'A');
            len += sl;
        }
        if (k >= ns * ns * ns) {
            uint32_t extra = k / (ns * ns * ns);
            char dig[12];
            int nd = 0;
            do {
                dig[nd++] = (char)('0' + extra % 10);
                extra /= 10;
            } while (extra != 0);
            while (nd > 0) {
                tmp[len++] = dig[--nd];
            }
        }
        const char *p = pool_add(s, tmp, len);
        if (p == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        s->tags[i].raw = s->tags[i].esc = p;
        s->tags[i].raw_len = s->tags[i].esc_len = (uint16_t)len;
        s->tags[i].raw_cp = s->tags[i].esc_cp = (uint16_t)len;
    }
    return 0;
}

static uint32_t pareto(struct rng *r, double xm, double alpha, double cap)
{
    double v = xm * pow(1.0 - rng_unit(r), -1.0 / alpha) - 0.9 * xm;
    return (uint32_t)(v > cap ? cap : v);
}

static const char *const instances[] = {
    "mastodon.social", "mstdn.jp",     "mastodon.online",
    "fosstodon.org",   "mas.to",       "mstdn.social",
    "pawoo.net",       "chaos.social", "infosec.exchange",
    "mastodon.world",  "hachyderm.io", "social.vivaldi.net",
};

static int user_make(struct roost_sim *s, uint32_t uid)
{
    struct user *u = &s->users[uid];
    struct rng r;
    rng_seed(&r, s->cfg.seed ^ mix64(0x75736572ULL + uid));

    /* Language by share. */
    double x = rng_unit(&r), acc = 0;
    u->lang = (uint8_t)(s->n_langs - 1);
    for (uint32_t l = 0; l < s->n_langs; l++) {
        acc += roost__sim_langs[l].share;
        if (x < acc) {
            u->lang = (uint8_t)l;
            break;
        }
    }
    /* 2007-03 .. 2020-12, ids: sequential before late 2013, then
     * snowflakes. */
    u->created_ms = 1173000000000LL + (int64_t)(rng_unit(&r) * 436000000000.0);
    if (u->created_ms < 1385000000000LL) {
        u->id = 800000 +
                (uint64_t)((u->created_ms - 1173000000000LL) / 100000) * 19 +
                uid % 19;
    } else {
        u->id = ((uint64_t)(u->created_ms - TWEPOCH) << 22) |
                (mix64(uid) & 0x3fffff);
    }
    u->followers = pareto(&r, 160, 1.0, 1.3e8);
    u->friends = pareto(&r, 120, 1.4, 2e5);
    u->listed = u->followers / (40 + rng_below(&r, 200));
    u->statuses = 10 + (uint32_t)exp(4.0 + rng_unit(&r) * 7.5);
    u->favourites = (uint32_t)exp(2.0 + rng_unit(&r) * 9.0);
    u->verified =
        u->followers > 400000 ? rng_chance(&r, 0.6) : rng_chance(&r, 0.002);
    u->geo_enabled = rng_chance(&r, 0.3);
    u->default_profile = rng_chance(&r, 0.45);
    u->has_url = rng_chance(&r, 0.25);
    u->bio = (uint8_t)rng_below(&r, (uint32_t)roost__sim_n_bios);
    u->bio2 = rng_chance(&r, 0.3)
                  ? (uint8_t)(1 + rng_below(&r, (uint32_t)roost__sim_n_bios))
                  : 0;
    u->location =
        rng_chance(&r, 0.55)
            ? (uint8_t)(1 + rng_below(&r, (uint32_t)roost__sim_n_places))
            : 0;
    u->instance = (uint8_t)rng_below(&r, (uint32_t)N_OF(instances));

    /* Screen name: letters then the uid's digits, so it is unique. */
    char digits[12];
    int nd = 0;
    uint32_t v = uid;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    size_t len = 0;
    int n_syl = 1 + (int)rng_below(&r, 2);
    for (int i = 0; i < n_syl; i++) {
        const char *syl = roost__sim_syllables[rng_below(
            &r, (uint32_t)roost__sim_n_syllables)];
        for (size_t j = 0; syl[j] != '\0' && len + (size_t)nd < 15; j++) {
            char c = syl[j];
            if ((j == 0 && rng_chance(&r, 0.4)) || len == 0) {
                c = (char)(c - 'a' + 'A');
            }
            u->screen[len++] = c;
        }
    }
    if (rng_chance(&r, 0.2) && len + (size_t)nd < 15) {
        u->screen[len++] = '_';
    }
    while (nd > 0) {
        u->screen[len++] = digits[--nd];
    }
    u->screen[len] = '\0';
    u->screen_len = (uint8_t)len;

    /* Display name. */
    char name[128];
    size_t nl = 0;
    const struct word *g =
        &s->given[rng_below(&r, (uint32_t)roost__sim_n_given)];
    memcpy(name, g->raw, g->raw_len);
    nl = g->raw_len;
    if (rng_chance(&r, 0.6)) {
        const struct word *f =
            &s->family[rng_below(&r, (uint32_t)roost__sim_n_family)];
        name[nl++] = ' ';
        memcpy(name + nl, f->raw, f->raw_len);
        nl += f->raw_len;
    }
    if (rng_chance(&r, 0.25)) {
        const struct word *e =
            &s->emoji[rng_below(&r, (uint32_t)roost__sim_n_emoji)];
        name[nl++] = ' ';
        memcpy(name + nl, e->raw, e->raw_len);
        nl += e->raw_len;
    }
    const char *p = pool_add(s, name, nl);
    if (p == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    u->name_off = (uint32_t)(p - s->pool.ptr);
    u->name_len = (uint16_t)nl;
    return 0;
}

static const struct user *g_sort_users; /* only during qsort in setup */

static int by_followers(const void *a, const void *b)
{
    uint32_t ua = *(const uint32_t *)a, ub = *(const uint32_t *)b;
    uint32_t fa = g_sort_users[ua].followers, fb = g_sort_users[ub].followers;
    if (fa != fb) {
        return fa > fb ? -1 : 1;
    }
    return ua < ub ? -1 : ua > ub;
}

void roost_sim_cfg_default(struct roost_sim_cfg *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->seed = 1;
    cfg->format = ROOST_FMT_X1;
    cfg->count = 0;
    cfg->rate = 5700;
    cfg->start_ms = 1609486140000LL; /* 2021-01-01T07:29:00Z */
    cfg->n_users = 100000;
    cfg->n_hashtags = 20000;
    cfg->geo_share = 0.015;
    cfg->retweet_share = 0.45;
    cfg->quote_share = 0.05;
    cfg->reply_share = 0.20;
    cfg->delete_share = 0.07;
    cfg->limit_every_s = 60;
    cfg->burst.every_s = 900;
    cfg->burst.length_s = 240;
    cfg->burst.boost = 0.08;
}

static bool share_ok(double v)
{
    return v >= 0 && v <= 1;
}

static int cfg_check(const struct roost_sim_cfg *c)
{
    bool fmt_ok = c->format == ROOST_FMT_X1 || c->format == ROOST_FMT_X2 ||
                  c->format == ROOST_FMT_JETSTREAM ||
                  c->format == ROOST_FMT_MASTODON;
    if (!fmt_ok || !(c->rate > 0) || c->n_users == 0 || c->n_hashtags == 0 ||
        c->n_users > 50000000 || c->n_hashtags > 10000000 ||
        !share_ok(c->geo_share) || !share_ok(c->retweet_share) ||
        !share_ok(c->quote_share) || !share_ok(c->reply_share) ||
        !share_ok(c->delete_share) || !share_ok(c->burst.boost) ||
        c->retweet_share + c->quote_share + c->reply_share > 1.0 ||
        !(c->limit_every_s >= 0) || !(c->burst.every_s >= 0) ||
        !(c->burst.length_s >= 0)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    return 0;
}

static int sim_setup(struct roost_sim *s)
{
    const struct roost_sim_cfg *c = &s->cfg;
    int rc;
    esc_class_init();
    rng_seed(&s->rng, c->seed);
    rng_seed(&s->xrng, mix64(c->seed ^ 0x78726e67ULL));
    s->next_limit_s = c->limit_every_s > 0 ? c->limit_every_s : INFINITY;
    s->n_langs = (uint32_t)roost__sim_n_langs;
    assert(s->n_langs <= N_OF(s->lang_off));

    size_t pool =
        (size_t)c->n_users * 128 + (size_t)c->n_hashtags * 24 + (1u << 20);
    roost_buf_init(&s->pool, pool + 1);
    rc = roost_buf_reserve(&s->pool, pool);
    if (rc < 0) {
        return rc;
    }
    roost_buf_init(&s->ucache, UCACHE_MAX);
    roost_buf_init(&s->tmp, 1u << 20);

    size_t n_words = 0;
    for (uint32_t l = 0; l < s->n_langs; l++) {
        n_words += roost__sim_langs[l].n_words;
    }
    s->words = roost_calloc(n_words, sizeof(*s->words));
    if (s->words == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    uint32_t at = 0;
    for (uint32_t l = 0; l < s->n_langs; l++) {
        const struct roost__sim_lang *L = &roost__sim_langs[l];
        s->lang_off[l] = at;
        for (size_t i = 0; i < L->n_words; i++) {
            rc = word_make(s, &s->words[at++], L->words[i]);
            if (rc < 0) {
                return rc;
            }
        }
        rc = zipf_init(&s->z_words[l], (uint32_t)L->n_words, 1.0, 1.5);
        if (rc < 0) {
            return rc;
        }
    }
    if ((rc = words_make(s, &s->trends, roost__sim_trends,
                         roost__sim_n_trends)) < 0 ||
        (rc = words_make(s, &s->emoji, roost__sim_emoji, roost__sim_n_emoji)) <
            0 ||
        (rc = words_make(s, &s->given, roost__sim_given, roost__sim_n_given)) <
            0 ||
        (rc = words_make(s, &s->family, roost__sim_family,
                         roost__sim_n_family)) < 0 ||
        (rc = tags_make(s)) < 0) {
        return rc;
    }
    s->src_name = roost_calloc(roost__sim_n_sources, sizeof(*s->src_name));
    if (s->src_name == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (size_t i = 0; i < roost__sim_n_sources; i++) {
        const char *a = strchr(roost__sim_sources[i], '>');
        const char *b = strstr(roost__sim_sources[i], "</a>");
        size_t n = a != NULL && b != NULL && b > a ? (size_t)(b - a - 1) : 0;
        n = n < sizeof(s->src_name[i]) - 1 ? n : sizeof(s->src_name[i]) - 1;
        memcpy(s->src_name[i], a + 1, n);
    }

    s->users = roost_calloc(c->n_users, sizeof(*s->users));
    s->popular = roost_malloc(sizeof(*s->popular) * c->n_users);
    s->ucache_off = roost_calloc(c->n_users, sizeof(*s->ucache_off));
    s->ucache_len = roost_calloc(c->n_users, sizeof(*s->ucache_len));
    if (s->users == NULL || s->popular == NULL || s->ucache_off == NULL ||
        s->ucache_len == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (uint32_t i = 0; i < c->n_users; i++) {
        rc = user_make(s, i);
        if (rc < 0) {
            return rc;
        }
        s->popular[i] = i;
    }
    g_sort_users = s->users;
    qsort(s->popular, c->n_users, sizeof(*s->popular), by_followers);
    g_sort_users = NULL;

    s->viral = roost_calloc(VIRAL_POOL, sizeof(*s->viral));
    s->viral_hour = roost_malloc(VIRAL_POOL * sizeof(*s->viral_hour));
    if (s->viral == NULL || s->viral_hour == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (uint32_t i = 0; i < VIRAL_POOL; i++) {
        s->viral_hour[i] = -1;
    }
    if ((rc = zipf_init(&s->z_users, c->n_users, 0.9, 2.0)) < 0 ||
        (rc = zipf_init(&s->z_popular, c->n_users, 1.1, 0.5)) < 0 ||
        (rc = zipf_init(&s->z_tags, c->n_hashtags, 1.05, 0.5)) < 0 ||
        (rc = zipf_init(&s->z_viral, VIRAL_POOL, 1.0, 1.0)) < 0) {
        return rc;
    }
    return 0;
}

int roost_sim_new(const struct roost_sim_cfg *cfg, struct roost_sim **out)
{
    int rc = cfg_check(cfg);
    if (rc < 0) {
        return rc;
    }
    struct roost_sim *s = roost_calloc(1, sizeof(*s));
    if (s == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    s->cfg = *cfg;
    rc = sim_setup(s);
    if (rc < 0) {
        roost_sim_free(s);
        return rc;
    }
    *out = s;
    return 0;
}

void roost_sim_free(struct roost_sim *s)
{
    if (s == NULL) {
        return;
    }
    for (size_t l = 0; l < N_OF(s->z_words); l++) {
        zipf_fini(&s->z_words[l]);
    }
    zipf_fini(&s->z_users);
    zipf_fini(&s->z_popular);
    zipf_fini(&s->z_tags);
    zipf_fini(&s->z_viral);
    zipf_fini(&s->z_lang_pick);
    roost_free(s->viral);
    roost_free(s->viral_hour);
    roost_free(s->popular);
    roost_free(s->users);
    roost_free(s->words);
    roost_free(s->tags);
    roost_free(s->trends);
    roost_free(s->emoji);
    roost_free(s->given);
    roost_free(s->family);
    roost_free(s->src_name);
    roost_free(s->ucache_off);
    roost_free(s->ucache_len);
    roost_buf_fini(&s->pool);
    roost_buf_fini(&s->ucache);
    roost_buf_fini(&s->tmp);
    roost_free(s);
}

uint64_t roost_sim_n_records(const struct roost_sim *s)
{
    return s->n_records;
}

const struct roost__sim_last *roost__sim_last(const struct roost_sim *s)
{
    return &s->last;
}

static uint32_t trend_idx(const struct roost_sim *s, uint64_t k)
{
    return (uint32_t)((mix64(s->cfg.seed ^ 0x7472ULL) + k) %
                      roost__sim_n_trends);
}

const char *roost__sim_trend_name(const struct roost_sim *s, uint64_t k)
{
    return roost__sim_trends[trend_idx(s, k)];
}

/* ---- generating a post ----------------------------------------------------
 */

/* Share of posts carrying the trending topic at event time t, and which. */
static double burst_p(const struct roost_sim *s, double t, uint64_t *k)
{
    const struct roost_sim_cfg *c = &s->cfg;
    if (c->burst.every_s <= 0 || c->burst.length_s <= 0) {
        return 0;
    }
    double kk = floor(t / c->burst.every_s);
    double ph = (t - kk * c->burst.every_s) / c->burst.length_s;
    *k = (uint64_t)kk;
    if (ph >= 1.0) {
        return 0;
    }
    double shape = ph < 0.2 ? ph / 0.2 : ph < 0.5 ? 1.0 : (1.0 - ph) / 0.5;
    return c->burst.boost * shape;
}

static void seg_add(struct post *p, uint8_t kind, uint32_t ref)
{
    if (p->n_seg < MAX_SEGS) {
        p->seg[p->n_seg].kind = kind;
        p->seg[p->n_seg].ref = ref;
        p->n_seg++;
    }
}

/* Separate from the previous segment; spaced or not, entities get one. */
static void sep(struct post *p, bool spaced, bool entity)
{
    if (p->n_seg == 0) {
        return;
    }
    uint8_t prev = p->seg[p->n_seg - 1].kind;
    if (prev == SEG_SPACE || prev == SEG_NL) {
        return;
    }
    if (spaced || entity || prev != SEG_WORD) {
        seg_add(p, SEG_SPACE, 0);
    }
}

static uint32_t pick_popular(struct roost_sim *s, struct rng *r)
{
    return s->popular[zipf_draw(&s->z_popular, r)];
}

/*
 * gen_post - fill p with an original post (or reply) by uid at ms, drawn
 * from r. `trend` >= 0 adds the trending topic.
 */
static void gen_post(struct roost_sim *s, struct rng *r, struct post *p,
                     uint32_t uid, int64_t ms, bool reply, int64_t trend)
{
    const struct user *u = &s->users[uid];
    const struct roost__sim_lang *L = &roost__sim_langs[u->lang];
    p->uid = uid;
    p->ms = ms;
    p->lang = u->lang;
    p->n_seg = 0;
    p->n_url = 0;
    p->burst = false;
    p->source = (uint8_t)rng_below(r, (uint32_t)roost__sim_n_sources);
    p->sensitive = rng_chance(r, 0.03);
    p->reply = reply;
    p->rts = p->favs = p->replies = p->quotes = 0;

    if (reply) {
        p->reply_uid =
            rng_chance(r, 0.7) ? pick_popular(s, r) : zipf_draw(&s->z_users, r);
        p->reply_id =
            ((uint64_t)(ms - TWEPOCH - (int64_t)(rng_unit(r) * 7200000.0))
             << 22) |
            (rng_u64(r) & 0x3fffff);
        seg_add(p, SEG_MENTION, p->reply_uid);
        if (rng_chance(r, 0.12)) {
            seg_add(p, SEG_SPACE, 0);
            seg_add(p, SEG_MENTION, pick_popular(s, r));
        }
    }

    double x = rng_unit(r);
    uint32_t target = x < 0.45   ? 12 + rng_below(r, 60)
                      : x < 0.80 ? 60 + rng_below(r, 80)
                                 : 140 + rng_below(r, 120);
    x = rng_unit(r);
    uint32_t n_tags = x < 0.72   ? 0
                      : x < 0.86 ? 1
                      : x < 0.93 ? 2
                      : x < 0.97 ? 3
                                 : 4 + rng_below(r, 4);
    bool want_trend = trend >= 0;
    uint32_t cp = 0;
    const struct word *wl = &s->words[s->lang_off[u->lang]];
    while (cp < target && p->n_seg < MAX_SEGS - 24) {
        double y = rng_unit(r);
        if (y < 0.05) {
            uint32_t e = rng_below(r, (uint32_t)roost__sim_n_emoji);
            if (rng_chance(r, 0.5)) {
                sep(p, L->spaced, false);
            }
            seg_add(p, SEG_EMOJI, e);
            cp += s->emoji[e].esc_cp;
        } else if (y < 0.065) {
            sep(p, L->spaced, true);
            seg_add(p, SEG_MENTION, pick_popular(s, r));
            cp += 10;
        } else if (y < 0.072) {
            seg_add(p, SEG_NL, 0);
            cp++;
        } else if (y < 0.09 && n_tags > 0) {
            sep(p, L->spaced, true);
            seg_add(p, SEG_TAG, zipf_draw(&s->z_tags, r));
            cp += 10;
            n_tags--;
        } else if (y < 0.1 && want_trend) {
            sep(p, L->spaced, true);
            seg_add(p, SEG_TREND, (uint32_t)trend);
            p->burst = true;
            want_trend = false;
            cp += 12;
        } else if (y < 0.104 || (y < 0.11 && u->lang == 0)) {
            sep(p, L->spaced, true);
            seg_add(p, SEG_CASH, rng_below(r, (uint32_t)roost__sim_n_tickers));
            cp += 5;
        } else {
            uint32_t wi = zipf_draw(&s->z_words[u->lang], r);
            sep(p, L->spaced, false);
            seg_add(p, SEG_WORD, s->lang_off[u->lang] + wi);
            cp += wl[wi].esc_cp + (L->spaced ? 1 : 0);
        }
    }
    if (n_tags > 0 || want_trend) {
        if (rng_chance(r, 0.5)) {
            seg_add(p, SEG_NL, 0);
        }
        while (n_tags > 0 && p->n_seg < MAX_SEGS - 10) {
            sep(p, true, true);
            seg_add(p, SEG_TAG, zipf_draw(&s->z_tags, r));
            n_tags--;
        }
        if (want_trend) {
            sep(p, true, true);
            seg_add(p, SEG_TREND, (uint32_t)trend);
            p->burst = true;
        }
    }
    if (rng_chance(r, 0.1)) {
        seg_add(p, SEG_EMOJI, rng_below(r, (uint32_t)roost__sim_n_emoji));
    }
    uint32_t n_urls = rng_chance(r, 0.2) ? 1 + rng_chance(r, 0.1) : 0;
    for (uint32_t i = 0; i < n_urls; i++) {
        p->url[p->n_url].h = rng_u64(r);
        p->url[p->n_url].domain =
            (uint8_t)rng_below(r, (uint32_t)roost__sim_n_domains);
        sep(p, true, true);
        seg_add(p, SEG_URL, p->n_url);
        p->n_url++;
    }
    p->media = rng_chance(r, 0.12);
    if (p->media) {
        p->media_id =
            ((uint64_t)(ms - 3000 - TWEPOCH) << 22) | (rng_u64(r) & 0x3fffff);
        sep(p, true, true);
        seg_add(p, SEG_MEDIA, 0);
    }
    if (p->n_seg == 0) {
        seg_add(p, SEG_EMOJI, 0);
    }
    p->geo = rng_chance(r, s->cfg.geo_share);
    if (p->geo) {
        p->place = u->location > 0 && rng_chance(r, 0.7)
                       ? (uint8_t)(u->location - 1)
                       : (uint8_t)rng_below(r, (uint32_t)roost__sim_n_places);
        const struct roost__sim_place *pl = &roost__sim_places[p->place];
        p->point = rng_chance(r, 0.35);
        p->lon = pl->west + rng_unit(r) * (pl->east - pl->west);
        p->lat = pl->south + rng_unit(r) * (pl->north - pl->south);
    }
}

/* A viral original: deterministic per (seed, event hour, k), so all its
 * retweets agree on id, text and author. */
static void gen_viral_new(struct roost_sim *s, struct post *p, int64_t now_ms,
                          uint32_t k)
{
    int64_t hour = now_ms / 3600000;
    struct rng r;
    rng_seed(&r, s->cfg.seed ^ mix64(((uint64_t)hour << 16) ^ k ^ 0x766972ULL));
    uint32_t uid = pick_popular(s, &r);
    int64_t ms =
        hour * 3600000 - 60000 - (int64_t)(rng_unit(&r) * 6 * 3600000.0);
    gen_post(s, &r, p, uid, ms, rng_chance(&r, 0.1), -1);
    p->geo = false;
    p->id = ((uint64_t)(ms - TWEPOCH) << 22) |
            (mix64(k ^ (uint64_t)hour) & 0x3fffff);
    double f = (double)s->users[uid].followers;
    p->rts = (uint32_t)(f * 0.002 * (1 + rng_unit(&r) * 20)) + 1 +
             (VIRAL_POOL - k) / 8;
    p->favs = p->rts * (2 + rng_below(&r, 8));
    p->replies = p->rts / (3 + rng_below(&r, 20));
    p->quotes = p->rts / (5 + rng_below(&r, 30));
}

/* gen_viral - original k of the current hour, from the cache. */
static void gen_viral(struct roost_sim *s, struct post *p, int64_t now_ms,
                      uint32_t k)
{
    int64_t hour = now_ms / 3600000;
    if (s->viral_hour[k] != hour) {
        gen_viral_new(s, &s->viral[k], now_ms, k);
        s->viral_hour[k] = hour;
    }
    memcpy(p, &s->viral[k], sizeof(*p));
}

/* ---- laying out text --------------------------------------------------------
 */

static void url_parts(const struct roost_sim *s, const struct url *u, char *exp,
                      size_t *exp_len, char *disp, size_t *disp_len)
{
    const char *dom = roost__sim_domains[u->domain];
    size_t n = 0, dl = strlen(dom);
    memcpy(exp, "https://", 8);
    n = 8;
    memcpy(exp + n, dom, dl);
    n += dl;
    exp[n++] = '/';
    if (dom[0] == 'y' || dom[4] == 'y') {
        memcpy(exp + n, "watch?v=", 8);
        n += 8;
        put_base(exp + n, u->h, 11, b62, 62);
        n += 11;
    } else {
        size_t plen = 6 + (u->h % 40);
        put_base(exp + n, u->h, plen, b62, 62);
        for (size_t i = 8; i < plen; i += 9) {
            exp[n + i] = i % 2 ? '-' : '/';
        }
        n += plen;
    }
    *exp_len = n;
    (void)s;
    size_t body = n - 8;
    if (body <= 26) {
        memcpy(disp, exp + 8, body);
        *disp_len = body;
    } else {
        memcpy(disp, exp + 8, 25);
        memcpy(disp + 25, "\xe2\x80\xa6", 3);
        *disp_len = 28;
    }
}

static void tx_put(struct text *t, const char *p, size_t len, uint32_t cp)
{
    memcpy(t->buf + t->len, p, len);
    t->len += (uint32_t)len;
    t->n_cp += cp;
}

static void ent_open(struct text *t, uint8_t kind, uint32_t seg)
{
    struct ent *e = &t->ent[t->n_ent];
    e->kind = kind;
    e->seg = seg;
    e->cp0 = t->n_cp;
    e->b0 = t->len;
}

static void ent_close(struct text *t)
{
    struct ent *e = &t->ent[t->n_ent++];
    e->cp1 = t->n_cp;
    e->b1 = t->len;
}

/*
 * render - lay the segments of p out as text for one format, recording
 * each entity's range in code points and bytes. RM_X: HTML-escaped, URLs
 * as t.co links, the media link last. RM_BSKY: plain, URLs as their
 * display form, no media link, handles as name.bsky.social.
 */
static void render(const struct roost_sim *s, const struct post *p,
                   enum rmode m, struct text *t)
{
    t->len = t->n_cp = t->n_ent = 0;
    char tmp[256];
    size_t n, dn;
    for (uint32_t i = 0; i < p->n_seg; i++) {
        const struct seg *g = &p->seg[i];
        t->seg_cp[i] = t->n_cp;
        t->seg_b[i] = t->len;
        switch (g->kind) {
        case SEG_WORD: {
            const struct word *wd = &s->words[g->ref];
            if (m == RM_X) {
                tx_put(t, wd->esc, wd->esc_len, wd->esc_cp);
            } else {
                tx_put(t, wd->raw, wd->raw_len, wd->raw_cp);
            }
            break;
        }
        case SEG_SPACE:
            tx_put(t, " ", 1, 1);
            break;
        case SEG_NL:
            tx_put(t, "\n", 1, 1);
            break;
        case SEG_EMOJI: {
            const struct word *wd = &s->emoji[g->ref];
            tx_put(t, wd->raw, wd->raw_len, wd->raw_cp);
            break;
        }
        case SEG_TAG:
        case SEG_TREND: {
            const struct word *wd =
                g->kind == SEG_TAG ? &s->tags[g->ref] : &s->trends[g->ref];
            ent_open(t, ENT_TAG, i);
            tx_put(t, "#", 1, 1);
            tx_put(t, wd->raw, wd->raw_len, wd->raw_cp);
            ent_close(t);
            break;
        }
        case SEG_MENTION: {
            const struct user *u = &s->users[g->ref];
            ent_open(t, ENT_MENTION, i);
            tx_put(t, "@", 1, 1);
            tx_put(t, u->screen, u->screen_len, u->screen_len);
            if (m == RM_BSKY) {
                tx_put(t, ".bsky.social", 12, 12);
            }
            ent_close(t);
            break;
        }
        case SEG_URL:
            ent_open(t, ENT_URL, i);
            if (m == RM_X) {
                tco(tmp, p->url[g->ref].h);
                tx_put(t, tmp, 23, 23);
            } else {
                char exp[128];
                url_parts(s, &p->url[g->ref], exp, &n, tmp, &dn);
                tx_put(t, tmp, dn, count_cp(tmp, dn));
            }
            ent_close(t);
            break;
        case SEG_CASH: {
            const char *tk = roost__sim_tickers[g->ref];
            ent_open(t, ENT_CASH, i);
            tx_put(t, "$", 1, 1);
            tx_put(t, tk, strlen(tk), (uint32_t)strlen(tk));
            ent_close(t);
            break;
        }
        case SEG_MEDIA:
            if (m == RM_X) {
                ent_open(t, ENT_MEDIA, i);
                tco(tmp, p->media_id);
                tx_put(t, tmp, 23, 23);
                ent_close(t);
            }
            break;
        default:
            ROOST_UNREACHABLE();
        }
    }
    t->seg_cp[p->n_seg] = t->n_cp;
    t->seg_b[p->n_seg] = t->len;
    /* A trailing separator reads oddly and Twitter trims it. */
    while (t->len > 0 &&
           (t->buf[t->len - 1] == ' ' || t->buf[t->len - 1] == '\n')) {
        t->len--;
        t->n_cp--;
    }
    assert(t->len < TEXT_MAX);
}

/* Largest segment boundary with at most max_cp code points before it,
 * trailing separators dropped. Returns the segment count kept. */
static uint32_t cut_at(const struct post *p, const struct text *t,
                       uint32_t max_cp)
{
    uint32_t k = p->n_seg;
    while (k > 0 && t->seg_cp[k] > max_cp) {
        k--;
    }
    while (k > 0 &&
           (p->seg[k - 1].kind == SEG_SPACE || p->seg[k - 1].kind == SEG_NL)) {
        k--;
    }
    return k;
}

/* ---- X API v1.1
 * ---------------------------------------------------------------- */

static const char *lang_code(const struct post *p)
{
    return roost__sim_langs[p->lang].code;
}

static void w_user_v1_gen(struct w *w, const struct roost_sim *s, uint32_t uid)
{
    const struct user *u = &s->users[uid];
    static const char *const colors[] = { "1DA1F2", "C0DEED", "DDEEF6",
                                          "333333", "000000", "F5F8FA",
                                          "E81C4F", "FFFFFF", "981CEB" };
    uint64_t h = mix64(s->cfg.seed ^ u->id);
    char img[16];
    put_base(img, h, 8, b62, 62);
    W_LIT(w, "{\"id\":");
    w_u64(w, u->id);
    W_LIT(w, ",\"id_str\":");
    w_u64s(w, u->id);
    W_LIT(w, ",\"name\":");
    w_str(w, s->pool.ptr + u->name_off, u->name_len, true);
    W_LIT(w, ",\"screen_name\":");
    w_qraw(w, u->screen, u->screen_len);
    W_LIT(w, ",\"location\":");
    if (u->location > 0) {
        w_cstr(w, roost__sim_places[u->location - 1].full_name, true);
    } else {
        W_LIT(w, "null");
    }
    W_LIT(w, ",\"url\":");
    if (u->has_url) {
        char t[24];
        tco(t, h);
        w_xurl(w, t, 23);
    } else {
        W_LIT(w, "null");
    }
    W_LIT(w, ",\"description\":");
    {
        char d[512];
        const char *b1 = roost__sim_bios[u->bio];
        size_t n = strlen(b1);
        memcpy(d, b1, n);
        if (u->bio2 > 0) {
            const char *b2 = roost__sim_bios[u->bio2 - 1];
            memcpy(d + n, " | ", 3);
            memcpy(d + n + 3, b2, strlen(b2));
            n += 3 + strlen(b2);
        }
        w_str(w, d, n, true);
    }
    W_LIT(w, ",\"translator_type\":\"none\",\"protected\":false,"
             "\"verified\":");
    if (u->verified) {
        W_LIT(w, "true");
    } else {
        W_LIT(w, "false");
    }
    W_LIT(w, ",\"followers_count\":");
    w_u64(w, u->followers);
    W_LIT(w, ",\"friends_count\":");
    w_u64(w, u->friends);
    W_LIT(w, ",\"listed_count\":");
    w_u64(w, u->listed);
    W_LIT(w, ",\"favourites_count\":");
    w_u64(w, u->favourites);
    W_LIT(w, ",\"statuses_count\":");
    w_u64(w, u->statuses);
    W_LIT(w, ",\"created_at\":");
    w_date_x(w, u->created_ms);
    W_LIT(w, ",\"utc_offset\":null,\"time_zone\":null,\"geo_enabled\":");
    if (u->geo_enabled) {
        W_LIT(w, "true");
    } else {
        W_LIT(w, "false");
    }
    W_LIT(w, ",\"lang\":null,\"contributors_enabled\":false,"
             "\"is_translator\":false,\"profile_background_color\":\"");
    w_raw(w, colors[h % N_OF(colors)], 6);
    W_LIT(w,
          "\",\"profile_background_image_url\":"
          "\"http:\\/\\/abs.twimg.com\\/images\\/themes\\/theme1\\/bg.png\","
          "\"profile_background_image_url_https\":"
          "\"https:\\/\\/abs.twimg.com\\/images\\/themes\\/theme1\\/bg.png\","
          "\"profile_background_tile\":false,\"profile_link_color\":\"");
    w_raw(w, colors[(h >> 8) % N_OF(colors)], 6);
    W_LIT(w, "\",\"profile_sidebar_border_color\":\"C0DEED\","
             "\"profile_sidebar_fill_color\":\"DDEEF6\","
             "\"profile_text_color\":\"333333\","
             "\"profile_use_background_image\":true,"
             "\"profile_image_url\":\"http:\\/\\/pbs.twimg.com\\/"
             "profile_images\\/");
    w_u64(w, (h >> 4) % 900000000000000000ULL + 1000000000000000000ULL);
    w_c(w, '/');
    w_raw(w, img, 8);
    W_LIT(w, "_normal.jpg\",\"profile_image_url_https\":\"https:\\/\\/"
             "pbs.twimg.com\\/profile_images\\/");
    w_u64(w, (h >> 4) % 900000000000000000ULL + 1000000000000000000ULL);
    w_c(w, '/');
    w_raw(w, img, 8);
    W_LIT(w, "_normal.jpg\",\"profile_banner_url\":\"https:\\/\\/"
             "pbs.twimg.com\\/profile_banners\\/");
    w_u64(w, u->id);
    w_c(w, '/');
    w_u64(w, 1500000000 + (h >> 20) % 100000000);
    W_LIT(w, "\",\"default_profile\":");
    if (u->default_profile) {
        W_LIT(w, "true");
    } else {
        W_LIT(w, "false");
    }
    W_LIT(w, ",\"default_profile_image\":false,\"following\":null,"
             "\"follow_request_sent\":null,\"notifications\":null}");
}

/* The v1 user object, rendered once per user and copied after that. */
static void w_user_v1(struct w *w, struct roost_sim *s, uint32_t uid)
{
    if (s->ucache_off[uid] != 0) {
        w_raw(w, s->ucache.ptr + s->ucache_off[uid] - 1, s->ucache_len[uid]);
        return;
    }
    if (w->rc != 0) {
        w_user_v1_gen(w, s, uid);
        return;
    }
    size_t start = (size_t)(w->p - w->b->ptr);
    w_user_v1_gen(w, s, uid);
    if (w->rc != 0) {
        return;
    }
    size_t len = (size_t)(w->p - w->b->ptr) - start;
    size_t off = s->ucache.len;
    if (off + len < UCACHE_MAX - 1 &&
        roost_buf_add(&s->ucache, w->b->ptr + start, len) == 0) {
        s->ucache_off[uid] = (uint32_t)off + 1;
        s->ucache_len[uid] = (uint32_t)len;
    }
}

static void w_indices(struct w *w, uint32_t a, uint32_t b)
{
    W_LIT(w, ",\"indices\":[");
    w_u64(w, a);
    w_c(w, ',');
    w_u64(w, b);
    w_c(w, ']');
}

static void w_media_v1(struct w *w, const struct roost_sim *s,
                       const struct post *p, uint32_t cp0, uint32_t cp1)
{
    char key[16], t[24];
    put_base(key, p->media_id, 15, b62, 62);
    tco(t, p->media_id);
    W_LIT(w, "{\"id\":");
    w_u64(w, p->media_id);
    W_LIT(w, ",\"id_str\":");
    w_u64s(w, p->media_id);
    w_indices(w, cp0, cp1);
    W_LIT(w, ",\"media_url\":\"http:\\/\\/pbs.twimg.com\\/media\\/");
    w_raw(w, key, 15);
    W_LIT(w,
          ".jpg\",\"media_url_https\":\"https:\\/\\/pbs.twimg.com\\/media\\/");
    w_raw(w, key, 15);
    W_LIT(w, ".jpg\",\"url\":");
    w_xurl(w, t, 23);
    W_LIT(w, ",\"display_url\":\"pic.twitter.com\\/");
    w_raw(w, t + 13, 10);
    W_LIT(w, "\",\"expanded_url\":\"https:\\/\\/twitter.com\\/");
    const struct user *u = &s->users[p->uid];
    w_raw(w, u->screen, u->screen_len);
    W_LIT(w, "\\/status\\/");
    w_u64(w, p->id);
    W_LIT(w,
          "\\/photo\\/1\",\"type\":\"photo\",\"sizes\":{\"thumb\":{\"w\":150,"
          "\"h\":150,\"resize\":\"crop\"},\"medium\":{\"w\":1200,\"h\":900,"
          "\"resize\":\"fit\"},\"small\":{\"w\":680,\"h\":510,\"resize\":"
          "\"fit\"},\"large\":{\"w\":2048,\"h\":1536,\"resize\":\"fit\"}}}");
}

/* Which entities of a laid-out text go into one `entities` object. */
struct ent_sel {
    const struct post *p;
    const struct text *t;
    uint32_t keep;    /* entities of segments < keep */
    uint32_t shift;   /* added to code point indices */
    uint32_t rt_uid;  /* a retweet's leading mention, or UINT32_MAX */
    uint64_t iweb_id; /* truncated text: its i/web link, or 0 */
    uint32_t iweb_cp;
    bool record; /* these are the primary post's: note in s->last */
};

static void last_add(struct roost_str *v, uint32_t *n, const char *p,
                     size_t len)
{
    if (*n < ROOST__SIM_MAX_ENTS) {
        v[*n].ptr = p;
        v[*n].len = len;
        (*n)++;
    }
}

static void w_entities_v1(struct w *w, struct roost_sim *s,
                          const struct ent_sel *x)
{
    const struct text *t = x->t;
    const struct post *p = x->p;
    struct roost__sim_last *L = &s->last;
    bool first;
    char tb[24];
    if (x->record) {
        L->n_hashtags = L->n_mentions = L->n_urls = L->n_cashtags = 0;
    }

    W_LIT(w, "{\"hashtags\":[");
    first = true;
    for (uint32_t i = 0; i < t->n_ent; i++) {
        const struct ent *e = &t->ent[i];
        if (e->kind != ENT_TAG || e->seg >= x->keep) {
            continue;
        }
        if (!first) {
            w_c(w, ',');
        }
        first = false;
        W_LIT(w, "{\"text\":");
        w_str(w, t->buf + e->b0 + 1, e->b1 - e->b0 - 1, true);
        w_indices(w, e->cp0 + x->shift, e->cp1 + x->shift);
        w_c(w, '}');
        if (x->record) {
            last_add(L->hashtags, &L->n_hashtags, t->buf + e->b0 + 1,
                     e->b1 - e->b0 - 1);
        }
    }
    W_LIT(w, "],\"urls\":[");
    first = true;
    for (uint32_t i = 0; i < t->n_ent; i++) {
        const struct ent *e = &t->ent[i];
        if (e->kind != ENT_URL || e->seg >= x->keep) {
            continue;
        }
        char exp[128], disp[64];
        size_t en, dn;
        url_parts(s, &p->url[p->seg[e->seg].ref], exp, &en, disp, &dn);
        if (!first) {
            w_c(w, ',');
        }
        first = false;
        W_LIT(w, "{\"url\":");
        w_xurl(w, t->buf + e->b0, e->b1 - e->b0);
        W_LIT(w, ",\"expanded_url\":");
        w_str(w, exp, en, true);
        W_LIT(w, ",\"display_url\":");
        w_str(w, disp, dn, true);
        w_indices(w, e->cp0 + x->shift, e->cp1 + x->shift);
        w_c(w, '}');
        if (x->record) {
            last_add(L->urls, &L->n_urls, t->buf + e->b0, e->b1 - e->b0);
        }
    }
    if (x->iweb_id != 0) {
        if (!first) {
            w_c(w, ',');
        }
        tco(tb, x->iweb_id);
        W_LIT(w, "{\"url\":");
        w_xurl(w, tb, 23);
        W_LIT(w, ",\"expanded_url\":\"https:\\/\\/twitter.com\\/i\\/web\\/"
                 "status\\/");
        w_u64(w, x->iweb_id);
        W_LIT(w, "\",\"display_url\":\"twitter.com\\/i\\/web\\/status\\/1"
                 "\\u2026\"");
        w_indices(w, x->iweb_cp, x->iweb_cp + 23);
        w_c(w, '}');
        if (x->record) {
            memcpy(s->last_url, tb, 23);
            last_add(L->urls, &L->n_urls, s->last_url, 23);
        }
    }
    W_LIT(w, "],\"user_mentions\":[");
    first = true;
    if (x->rt_uid != UINT32_MAX) {
        const struct user *u = &s->users[x->rt_uid];
        W_LIT(w, "{\"screen_name\":");
        w_qraw(w, u->screen, u->screen_len);
        W_LIT(w, ",\"name\":");
        w_str(w, s->pool.ptr + u->name_off, u->name_len, true);
        W_LIT(w, ",\"id\":");
        w_u64(w, u->id);
        W_LIT(w, ",\"id_str\":");
        w_u64s(w, u->id);
        w_indices(w, 3, 4 + u->screen_len);
        w_c(w, '}');
        first = false;
        if (x->record) {
            last_add(L->mentions, &L->n_mentions, u->screen, u->screen_len);
        }
    }
    for (uint32_t i = 0; i < t->n_ent; i++) {
        const struct ent *e = &t->ent[i];
        if (e->kind != ENT_MENTION || e->seg >= x->keep) {
            continue;
        }
        const struct user *u = &s->users[p->seg[e->seg].ref];
        if (!first) {
            w_c(w, ',');
        }
        first = false;
        W_LIT(w, "{\"screen_name\":");
        w_qraw(w, u->screen, u->screen_len);
        W_LIT(w, ",\"name\":");
        w_str(w, s->pool.ptr + u->name_off, u->name_len, true);
        W_LIT(w, ",\"id\":");
        w_u64(w, u->id);
        W_LIT(w, ",\"id_str\":");
        w_u64s(w, u->id);
        w_indices(w, e->cp0 + x->shift, e->cp1 + x->shift);
        w_c(w, '}');
        if (x->record) {
            last_add(L->mentions, &L->n_mentions, u->screen, u->screen_len);
        }
    }
    W_LIT(w, "],\"symbols\":[");
    first = true;
    for (uint32_t i = 0; i < t->n_ent; i++) {
        const struct ent *e = &t->ent[i];
        if (e->kind != ENT_CASH || e->seg >= x->keep) {
            continue;
        }
        if (!first) {
            w_c(w, ',');
        }
        first = false;
        W_LIT(w, "{\"text\":");
        w_str(w, t->buf + e->b0 + 1, e->b1 - e->b0 - 1, true);
        w_indices(w, e->cp0 + x->shift, e->cp1 + x->shift);
        w_c(w, '}');
        if (x->record) {
            last_add(L->cashtags, &L->n_cashtags, t->buf + e->b0 + 1,
                     e->b1 - e->b0 - 1);
        }
    }
    w_c(w, ']');
    for (uint32_t i = 0; i < t->n_ent; i++) {
        const struct ent *e = &t->ent[i];
        if (e->kind == ENT_MEDIA && e->seg < x->keep) {
            W_LIT(w, ",\"media\":[");
            w_media_v1(w, s, p, e->cp0 + x->shift, e->cp1 + x->shift);
            w_c(w, ']');
        }
    }
    w_c(w, '}');
}

/* extended_entities, when the kept text has the media link. */
static void w_ext_entities_v1(struct w *w, const struct roost_sim *s,
                              const struct post *p, const struct text *t,
                              uint32_t keep)
{
    for (uint32_t i = 0; i < t->n_ent; i++) {
        const struct ent *e = &t->ent[i];
        if (e->kind == ENT_MEDIA && e->seg < keep) {
            W_LIT(w, ",\"extended_entities\":{\"media\":[");
            w_media_v1(w, s, p, e->cp0, e->cp1);
            W_LIT(w, "]}");
        }
    }
}

static void w_place_v1(struct w *w, const struct post *p)
{
    if (!p->geo) {
        W_LIT(w, ",\"geo\":null,\"coordinates\":null,\"place\":null");
        return;
    }
    const struct roost__sim_place *pl = &roost__sim_places[p->place];
    if (p->point) {
        W_LIT(w, ",\"geo\":{\"type\":\"Point\",\"coordinates\":[");
        w_fixed(w, p->lat, 8);
        w_c(w, ',');
        w_fixed(w, p->lon, 8);
        W_LIT(w, "]},\"coordinates\":{\"type\":\"Point\",\"coordinates\":[");
        w_fixed(w, p->lon, 8);
        w_c(w, ',');
        w_fixed(w, p->lat, 8);
        W_LIT(w, "]}");
    } else {
        W_LIT(w, ",\"geo\":null,\"coordinates\":null");
    }
    W_LIT(w, ",\"place\":{\"id\":");
    w_cstr(w, pl->id, true);
    W_LIT(w, ",\"url\":\"https:\\/\\/api.twitter.com\\/1.1\\/geo\\/id\\/");
    w_raw(w, pl->id, strlen(pl->id));
    W_LIT(w, ".json\",\"place_type\":");
    w_cstr(w, pl->type, true);
    W_LIT(w, ",\"name\":");
    w_cstr(w, pl->name, true);
    W_LIT(w, ",\"full_name\":");
    w_cstr(w, pl->full_name, true);
    W_LIT(w, ",\"country_code\":");
    w_cstr(w, pl->country_code, true);
    W_LIT(w, ",\"country\":");
    w_cstr(w, pl->country, true);
    W_LIT(w, ",\"bounding_box\":{\"type\":\"Polygon\",\"coordinates\":[[[");
    double xs[4] = { pl->west, pl->west, pl->east, pl->east };
    double ys[4] = { pl->south, pl->north, pl->north, pl->south };
    for (int i = 0; i < 4; i++) {
        if (i > 0) {
            W_LIT(w, "],[");
        }
        w_fixed(w, xs[i], 6);
        w_c(w, ',');
        w_fixed(w, ys[i], 6);
    }
    W_LIT(w, "]]]},\"attributes\":{}}");
}

static void w_bool(struct w *w, bool v)
{
    if (v) {
        W_LIT(w, "true");
    } else {
        W_LIT(w, "false");
    }
}

static void w_counts_v1(struct w *w, const struct post *p)
{
    W_LIT(w, ",\"quote_count\":");
    w_u64(w, p->quotes);
    W_LIT(w, ",\"reply_count\":");
    w_u64(w, p->replies);
    W_LIT(w, ",\"retweet_count\":");
    w_u64(w, p->rts);
    W_LIT(w, ",\"favorite_count\":");
    w_u64(w, p->favs);
}

/* Code point where the visible text starts (after a reply's mentions). */
static uint32_t display_start(const struct post *p, const struct text *t)
{
    uint32_t i = 0;
    if (!p->reply) {
        return 0;
    }
    while (i < p->n_seg &&
           (p->seg[i].kind == SEG_MENTION || p->seg[i].kind == SEG_SPACE)) {
        i++;
    }
    return i < p->n_seg ? t->seg_cp[i] : 0;
}

/*
 * w_status_v1 - one v1.1 status object. For a retweet, p is the wrapper
 * (id, time, author) and rt the original with its laid-out text; q is a
 * quoted original. `top` adds timestamp_ms; `record` notes the primary
 * post's entities in s->last.
 */
static void w_status_v1(struct w *w, struct roost_sim *s, const struct post *p,
                        const struct text *t, const struct post *rt,
                        const struct text *rtt, const struct post *q,
                        const struct text *qt, bool top, bool record)
{
    char tb[24];
    W_LIT(w, "{\"created_at\":");
    w_date_x(w, p->ms);
    W_LIT(w, ",\"id\":");
    w_u64(w, p->id);
    W_LIT(w, ",\"id_str\":");
    w_u64s(w, p->id);
    W_LIT(w, ",\"text\":");

    struct ent_sel top_sel = {
        .p = p, .t = t, .keep = p->n_seg, .rt_uid = UINT32_MAX, .record = record
    };
    bool extended = false;
    if (rt != NULL) {
        const struct user *ru = &s->users[rt->uid];
        uint32_t pre = 5 + ru->screen_len; /* "RT @" name ": " */
        uint32_t keep = rt->n_seg;
        bool cut = pre + rtt->n_cp > 140;
        if (cut) {
            keep = cut_at(rt, rtt, 139 - pre);
        }
        size_t body = cut ? rtt->seg_b[keep] : rtt->len;
        char *wb = s->wrap;
        memcpy(wb, "RT @", 4);
        memcpy(wb + 4, ru->screen, ru->screen_len);
        memcpy(wb + 4 + ru->screen_len, ": ", 2);
        memcpy(wb + pre + 1, rtt->buf, body);
        size_t n = pre + 1 + body;
        if (cut) {
            memcpy(wb + n, "\xe2\x80\xa6", 3);
            n += 3;
        }
        w_str(w, wb, n, true);
        top_sel.p = rt;
        top_sel.t = rtt;
        top_sel.keep = keep;
        top_sel.shift = pre + 1;
        top_sel.rt_uid = rt->uid;
    } else if (t->n_cp > 140) {
        extended = true;
        uint32_t keep = cut_at(p, t, 115);
        size_t n = t->seg_b[keep];
        memcpy(s->wrap, t->buf, n);
        memcpy(s->wrap + n, "\xe2\x80\xa6 ", 4);
        n += 4;
        tco(tb, p->id);
        memcpy(s->wrap + n, tb, 23);
        n += 23;
        w_str(w, s->wrap, n, true);
        top_sel.keep = keep;
        top_sel.iweb_id = p->id;
        top_sel.iweb_cp = t->seg_cp[keep] + 2;
        top_sel.record = false;
    } else {
        w_str(w, t->buf, t->len, true);
    }
    if (!top) {
        uint32_t a = rt == NULL ? display_start(p, t) : 0;
        W_LIT(w, ",\"display_text_range\":[");
        w_u64(w, a);
        w_c(w, ',');
        w_u64(w, extended ? t->seg_cp[top_sel.keep] + 1 : t->n_cp);
        w_c(w, ']');
    }
    W_LIT(w, ",\"source\":");
    w_cstr(w, roost__sim_sources[p->source], true);
    W_LIT(w, ",\"truncated\":");
    w_bool(w, extended);
    if (p->reply && rt == NULL) {
        const struct user *ru = &s->users[p->reply_uid];
        W_LIT(w, ",\"in_reply_to_status_id\":");
        w_u64(w, p->reply_id);
        W_LIT(w, ",\"in_reply_to_status_id_str\":");
        w_u64s(w, p->reply_id);
        W_LIT(w, ",\"in_reply_to_user_id\":");
        w_u64(w, ru->id);
        W_LIT(w, ",\"in_reply_to_user_id_str\":");
        w_u64s(w, ru->id);
        W_LIT(w, ",\"in_reply_to_screen_name\":");
        w_qraw(w, ru->screen, ru->screen_len);
    } else {
        W_LIT(w, ",\"in_reply_to_status_id\":null,"
                 "\"in_reply_to_status_id_str\":null,"
                 "\"in_reply_to_user_id\":null,"
                 "\"in_reply_to_user_id_str\":null,"
                 "\"in_reply_to_screen_name\":null");
    }
    W_LIT(w, ",\"user\":");
    w_user_v1(w, s, p->uid);
    w_place_v1(w, p);
    W_LIT(w, ",\"contributors\":null");
    if (rt != NULL) {
        W_LIT(w, ",\"retweeted_status\":");
        w_status_v1(w, s, rt, rtt, NULL, NULL, NULL, NULL, false, false);
    }
    if (q != NULL) {
        const struct user *qu = &s->users[q->uid];
        W_LIT(w, ",\"quoted_status_id\":");
        w_u64(w, q->id);
        W_LIT(w, ",\"quoted_status_id_str\":");
        w_u64s(w, q->id);
        W_LIT(w, ",\"quoted_status\":");
        w_status_v1(w, s, q, qt, NULL, NULL, NULL, NULL, false, false);
        tco(tb, q->id ^ 0x71);
        W_LIT(w, ",\"quoted_status_permalink\":{\"url\":");
        w_xurl(w, tb, 23);
        W_LIT(w, ",\"expanded\":\"https:\\/\\/twitter.com\\/");
        w_raw(w, qu->screen, qu->screen_len);
        W_LIT(w, "\\/status\\/");
        w_u64(w, q->id);
        W_LIT(w, "\",\"display\":\"twitter.com\\/");
        w_raw(w, qu->screen, qu->screen_len);
        W_LIT(w, "\\/status\\/\\u2026\"}");
    }
    W_LIT(w, ",\"is_quote_status\":");
    w_bool(w, q != NULL);
    if (extended) {
        struct ent_sel full = { .p = p,
                                .t = t,
                                .keep = p->n_seg,
                                .rt_uid = UINT32_MAX,
                                .record = record };
        W_LIT(w, ",\"extended_tweet\":{\"full_text\":");
        w_str(w, t->buf, t->len, true);
        W_LIT(w, ",\"display_text_range\":[");
        w_u64(w, display_start(p, t));
        w_c(w, ',');
        w_u64(w, t->n_cp);
        W_LIT(w, "],\"entities\":");
        w_entities_v1(w, s, &full);
        w_ext_entities_v1(w, s, p, t, p->n_seg);
        w_c(w, '}');
    }
    w_counts_v1(w, p);
    W_LIT(w, ",\"entities\":");
    w_entities_v1(w, s, &top_sel);
    if (rt == NULL && !extended) {
        w_ext_entities_v1(w, s, p, t, p->n_seg);
    }
    W_LIT(w, ",\"favorited\":false,\"retweeted\":false");
    const struct post *c = rt != NULL ? rt : p;
    if (c->n_url > 0 || c->media) {
        W_LIT(w, ",\"possibly_sensitive\":");
        w_bool(w, c->sensitive);
    }
    W_LIT(w, ",\"filter_level\":\"low\",\"lang\":\"");
    w_raw(w, lang_code(c), strlen(lang_code(c)));
    w_c(w, '"');
    if (top) {
        W_LIT(w, ",\"timestamp_ms\":\"");
        w_u64(w, (uint64_t)p->ms);
        w_c(w, '"');
    }
    w_c(w, '}');
}

static void w_delete_v1(struct w *w, const struct roost_sim *s, uint64_t id,
                        uint32_t uid, int64_t ms)
{
    const struct user *u = &s->users[uid];
    W_LIT(w, "{\"delete\":{\"status\":{\"id\":");
    w_u64(w, id);
    W_LIT(w, ",\"id_str\":");
    w_u64s(w, id);
    W_LIT(w, ",\"user_id\":");
    w_u64(w, u->id);
    W_LIT(w, ",\"user_id_str\":");
    w_u64s(w, u->id);
    W_LIT(w, "},\"timestamp_ms\":\"");
    w_u64(w, (uint64_t)ms);
    W_LIT(w, "\"}}");
}

/* ---- X API v2
 * ------------------------------------------------------------------- */

static void w_user_v2(struct w *w, const struct roost_sim *s, uint32_t uid)
{
    const struct user *u = &s->users[uid];
    W_LIT(w, "{\"created_at\":");
    w_date_iso(w, u->created_ms);
    W_LIT(w, ",\"description\":");
    w_cstr(w, roost__sim_bios[u->bio], false);
    W_LIT(w, ",\"id\":");
    w_u64s(w, u->id);
    if (u->location > 0) {
        W_LIT(w, ",\"location\":");
        w_cstr(w, roost__sim_places[u->location - 1].full_name, false);
    }
    W_LIT(w, ",\"name\":");
    w_str(w, s->pool.ptr + u->name_off, u->name_len, false);
    W_LIT(w, ",\"profile_image_url\":\"https://pbs.twimg.com/profile_images/");
    w_u64(w, mix64(u->id) % 900000000000000000ULL + 1000000000000000000ULL);
    W_LIT(w, "/a_normal.jpg\",\"protected\":false,\"public_metrics\":"
             "{\"followers_count\":");
    w_u64(w, u->followers);
    W_LIT(w, ",\"following_count\":");
    w_u64(w, u->friends);
    W_LIT(w, ",\"tweet_count\":");
    w_u64(w, u->statuses);
    W_LIT(w, ",\"listed_count\":");
    w_u64(w, u->listed);
    W_LIT(w, "},\"url\":\"\",\"username\":");
    w_qraw(w, u->screen, u->screen_len);
    W_LIT(w, ",\"verified\":");
    w_bool(w, u->verified);
    w_c(w, '}');
}

static void w_range_v2(struct w *w, uint32_t a, uint32_t b)
{
    W_LIT(w, "{\"start\":");
    w_u64(w, a);
    W_LIT(w, ",\"end\":");
    w_u64(w, b);
}

static void w_entities_v2(struct w *w, struct roost_sim *s,
                          const struct ent_sel *x)
{
    const struct text *t = x->t;
    const struct post *p = x->p;
    static const char *const names[] = { "hashtags", "mentions", "urls",
                                         "cashtags" };
    w_c(w, '{');
    bool any_kind = false;
    for (int k = 0; k < 4; k++) {
        bool first = true;
        bool lead = k == ENT_MENTION && x->rt_uid != UINT32_MAX;
        for (uint32_t i = 0; i < t->n_ent || lead; i++) {
            const struct user *u;
            if (lead) {
                u = &s->users[x->rt_uid];
            } else {
                const struct ent *e = &t->ent[i];
                bool url_like = k == ENT_URL && e->kind == ENT_MEDIA;
                if ((e->kind != k && !url_like) || e->seg >= x->keep) {
                    continue;
                }
                u = &s->users[p->seg[e->seg].ref];
            }
            if (first) {
                if (any_kind) {
                    w_c(w, ',');
                }
                w_c(w, '"');
                w_raw(w, names[k], strlen(names[k]));
                W_LIT(w, "\":[");
                any_kind = true;
            } else {
                w_c(w, ',');
            }
            first = false;
            if (lead) {
                w_range_v2(w, 3, 4 + u->screen_len);
                W_LIT(w, ",\"username\":");
                w_qraw(w, u->screen, u->screen_len);
                W_LIT(w, ",\"id\":");
                w_u64s(w, u->id);
                w_c(w, '}');
                lead = false;
                i--; /* the loop's i++ must not skip entity 0 */
                continue;
            }
            const struct ent *e = &t->ent[i];
            w_range_v2(w, e->cp0 + x->shift, e->cp1 + x->shift);
            if (k == ENT_TAG || k == ENT_CASH) {
                W_LIT(w, ",\"tag\":");
                w_str(w, t->buf + e->b0 + 1, e->b1 - e->b0 - 1, false);
            } else if (k == ENT_MENTION) {
                W_LIT(w, ",\"username\":");
                w_qraw(w, u->screen, u->screen_len);
                W_LIT(w, ",\"id\":");
                w_u64s(w, u->id);
            } else {
                char exp[128], disp[64];
                size_t en = 0, dn = 0;
                W_LIT(w, ",\"url\":");
                w_str(w, t->buf + e->b0, e->b1 - e->b0, false);
                if (e->kind == ENT_MEDIA) {
                    W_LIT(w, ",\"expanded_url\":\"https://twitter.com/i/web/"
                             "status/");
                    w_u64(w, p->id);
                    W_LIT(w, "/photo/1\",\"display_url\":\"pic.twitter.com/");
                    w_raw(w, t->buf + e->b0 + 13, 10);
                    w_c(w, '"');
                } else {
                    url_parts(s, &p->url[p->seg[e->seg].ref], exp, &en, disp,
                              &dn);
                    W_LIT(w, ",\"expanded_url\":");
                    w_str(w, exp, en, false);
                    W_LIT(w, ",\"display_url\":");
                    w_str(w, disp, dn, false);
                }
            }
            w_c(w, '}');
        }
        if (!first) {
            w_c(w, ']');
        }
    }
    w_c(w, '}');
}

/* One v2 tweet object; rt/q as in w_status_v1 (text and ids only). */
static void w_tweet_v2(struct w *w, struct roost_sim *s, const struct post *p,
                       const struct text *t, const struct post *rt,
                       const struct text *rtt, const struct post *q)
{
    struct ent_sel sel = {
        .p = p, .t = t, .keep = p->n_seg, .rt_uid = UINT32_MAX
    };
    W_LIT(w, "{\"author_id\":");
    w_u64s(w, s->users[p->uid].id);
    W_LIT(w, ",\"conversation_id\":");
    w_u64s(w, p->reply && rt == NULL ? p->reply_id : p->id);
    W_LIT(w, ",\"created_at\":");
    w_date_iso(w, p->ms);
    W_LIT(w, ",\"entities\":");
    if (rt != NULL) {
        const struct user *ru = &s->users[rt->uid];
        uint32_t pre = 5 + ru->screen_len;
        uint32_t keep = rt->n_seg;
        bool cut = pre + rtt->n_cp > 140;
        if (cut) {
            keep = cut_at(rt, rtt, 139 - pre);
        }
        size_t body = cut ? rtt->seg_b[keep] : rtt->len;
        char *wb = s->wrap;
        memcpy(wb, "RT @", 4);
        memcpy(wb + 4, ru->screen, ru->screen_len);
        memcpy(wb + 4 + ru->screen_len, ": ", 2);
        memcpy(wb + pre + 1, rtt->buf, body);
        size_t n = pre + 1 + body;
        if (cut) {
            memcpy(wb + n, "\xe2\x80\xa6", 3);
            n += 3;
        }
        wb[n] = '\0';
        sel.p = rt;
        sel.t = rtt;
        sel.keep = keep;
        sel.shift = pre + 1;
        sel.rt_uid = rt->uid;
    }
    w_entities_v2(w, s, &sel);
    if (p->geo) {
        W_LIT(w, ",\"geo\":{");
        if (p->point) {
            W_LIT(w, "\"coordinates\":{\"type\":\"Point\",\"coordinates\":[");
            w_fixed(w, p->lon, 8);
            w_c(w, ',');
            w_fixed(w, p->lat, 8);
            W_LIT(w, "]},");
        }
        W_LIT(w, "\"place_id\":");
        w_cstr(w, roost__sim_places[p->place].id, false);
        w_c(w, '}');
    }
    W_LIT(w, ",\"id\":");
    w_u64s(w, p->id);
    if (p->reply && rt == NULL) {
        W_LIT(w, ",\"in_reply_to_user_id\":");
        w_u64s(w, s->users[p->reply_uid].id);
    }
    W_LIT(w, ",\"lang\":\"");
    const struct post *c = rt != NULL ? rt : p;
    w_raw(w, lang_code(c), strlen(lang_code(c)));
    W_LIT(w, "\",\"possibly_sensitive\":");
    w_bool(w, c->sensitive);
    W_LIT(w, ",\"public_metrics\":{\"retweet_count\":");
    w_u64(w, p->rts);
    W_LIT(w, ",\"reply_count\":");
    w_u64(w, p->replies);
    W_LIT(w, ",\"like_count\":");
    w_u64(w, p->favs);
    W_LIT(w, ",\"quote_count\":");
    w_u64(w, p->quotes);
    w_c(w, '}');
    if (rt != NULL || q != NULL || p->reply) {
        W_LIT(w, ",\"referenced_tweets\":[{\"type\":\"");
        if (rt != NULL) {
            W_LIT(w, "retweeted\",\"id\":");
            w_u64s(w, rt->id);
        } else if (q != NULL) {
            W_LIT(w, "quoted\",\"id\":");
            w_u64s(w, q->id);
        } else {
            W_LIT(w, "replied_to\",\"id\":");
            w_u64s(w, p->reply_id);
        }
        W_LIT(w, "}]");
    }
    W_LIT(w, ",\"reply_settings\":\"everyone\",\"source\":");
    w_cstr(w, s->src_name[p->source], false);
    W_LIT(w, ",\"text\":");
    if (rt != NULL) {
        w_str(w, s->wrap, strlen(s->wrap), false);
    } else {
        w_str(w, t->buf, t->len, false);
    }
    w_c(w, '}');
}

static void w_record_v2(struct w *w, struct roost_sim *s, const struct post *p,
                        const struct text *t, const struct post *o,
                        const struct text *ot, bool is_rt)
{
    const struct post *rt = is_rt ? o : NULL;
    const struct post *q = is_rt ? NULL : o;
    W_LIT(w, "{\"data\":");
    w_tweet_v2(w, s, p, t, rt, ot, q);
    W_LIT(w, ",\"includes\":{\"users\":[");
    w_user_v2(w, s, p->uid);
    if (o != NULL) {
        w_c(w, ',');
        w_user_v2(w, s, o->uid);
    }
    w_c(w, ']');
    if (p->geo) {
        const struct roost__sim_place *pl = &roost__sim_places[p->place];
        W_LIT(w, ",\"places\":[{\"country\":");
        w_cstr(w, pl->country, false);
        W_LIT(w, ",\"country_code\":");
        w_cstr(w, pl->country_code, false);
        W_LIT(w, ",\"full_name\":");
        w_cstr(w, pl->full_name, false);
        W_LIT(w, ",\"geo\":{\"type\":\"Feature\",\"bbox\":[");
        w_fixed(w, pl->west, 6);
        w_c(w, ',');
        w_fixed(w, pl->south, 6);
        w_c(w, ',');
        w_fixed(w, pl->east, 6);
        w_c(w, ',');
        w_fixed(w, pl->north, 6);
        W_LIT(w, "],\"properties\":{}},\"id\":");
        w_cstr(w, pl->id, false);
        W_LIT(w, ",\"name\":");
        w_cstr(w, pl->name, false);
        W_LIT(w, ",\"place_type\":");
        w_cstr(w, pl->type, false);
        W_LIT(w, "}]");
    }
    if (o != NULL) {
        W_LIT(w, ",\"tweets\":[");
        w_tweet_v2(w, s, o, ot, NULL, NULL, NULL);
        w_c(w, ']');
    }
    W_LIT(w, "},\"matching_rules\":[{\"id\":\"");
    uint32_t rule = p->burst ? 2 : o != NULL ? 1 : 0;
    w_u64(w, 1344900000000000000ULL + rule * 7919);
    W_LIT(w, "\",\"tag\":\"");
    if (rule == 2) {
        W_LIT(w, "trending");
    } else if (rule == 1) {
        W_LIT(w, "shares");
    } else {
        W_LIT(w, "sample");
    }
    W_LIT(w, "\"}]}");
}

/* ---- Bluesky Jetstream
 * ---------------------------------------------------------- */

static void w_commit_head(struct w *w, const struct roost_sim *s, uint32_t uid,
                          int64_t ms, uint64_t rev, const char *op,
                          const char *coll, uint64_t rkey_id)
{
    W_LIT(w, "{\"did\":");
    w_did(w, s, uid);
    W_LIT(w, ",\"time_us\":");
    w_u64(w, (uint64_t)ms * 1000 + rev % 1000);
    W_LIT(w, ",\"kind\":\"commit\",\"commit\":{\"rev\":");
    w_tid(w, rev);
    W_LIT(w, ",\"operation\":\"");
    w_raw(w, op, strlen(op));
    W_LIT(w, "\",\"collection\":\"");
    w_raw(w, coll, strlen(coll));
    W_LIT(w, "\",\"rkey\":");
    w_tid(w, rkey_id);
}

static void w_strongref(struct w *w, const struct roost_sim *s, uint32_t uid,
                        uint64_t id)
{
    W_LIT(w, "{\"cid\":");
    w_cid(w, id);
    W_LIT(w, ",\"uri\":");
    w_aturi(w, s, uid, id, "app.bsky.feed.post");
    w_c(w, '}');
}

static void w_post_bsky(struct w *w, struct roost_sim *s, const struct post *p,
                        const struct post *q)
{
    struct text *t = &s->tx_bsky;
    render(s, p, RM_BSKY, t);
    w_commit_head(w, s, p->uid, p->ms, p->id ^ 0x5a5a, "create",
                  "app.bsky.feed.post", p->id);
    W_LIT(w, ",\"record\":{\"$type\":\"app.bsky.feed.post\",\"createdAt\":");
    w_date_iso(w, p->ms - 150);
    if (q != NULL) {
        W_LIT(w, ",\"embed\":{\"$type\":\"app.bsky.embed.record\","
                 "\"record\":");
        w_strongref(w, s, q->uid, q->id);
        w_c(w, '}');
    }
    bool first = true;
    for (uint32_t i = 0; i < t->n_ent; i++) {
        const struct ent *e = &t->ent[i];
        if (e->kind == ENT_CASH || e->kind == ENT_MEDIA) {
            continue;
        }
        if (first) {
            W_LIT(w, ",\"facets\":[");
        } else {
            w_c(w, ',');
        }
        first = false;
        W_LIT(w, "{\"features\":[{\"$type\":\"app.bsky.richtext.facet#");
        if (e->kind == ENT_TAG) {
            W_LIT(w, "tag\",\"tag\":");
            w_str(w, t->buf + e->b0 + 1, e->b1 - e->b0 - 1, false);
        } else if (e->kind == ENT_MENTION) {
            W_LIT(w, "mention\",\"did\":");
            w_did(w, s, p->seg[e->seg].ref);
        } else {
            char exp[128], disp[64];
            size_t en, dn;
            url_parts(s, &p->url[p->seg[e->seg].ref], exp, &en, disp, &dn);
            W_LIT(w, "link\",\"uri\":");
            w_str(w, exp, en, false);
        }
        W_LIT(w, "}],\"index\":{\"byteEnd\":");
        w_u64(w, e->b1);
        W_LIT(w, ",\"byteStart\":");
        w_u64(w, e->b0);
        W_LIT(w, "}}");
    }
    if (!first) {
        w_c(w, ']');
    }
    W_LIT(w, ",\"langs\":[\"");
    w_raw(w, lang_code(p), strlen(lang_code(p)));
    W_LIT(w, "\"]");
    if (p->reply) {
        W_LIT(w, ",\"reply\":{\"parent\":");
        w_strongref(w, s, p->reply_uid, p->reply_id);
        W_LIT(w, ",\"root\":");
        w_strongref(w, s, p->reply_uid, p->reply_id);
        w_c(w, '}');
    }
    W_LIT(w, ",\"text\":");
    w_str(w, t->buf, t->len, false);
    W_LIT(w, "},\"cid\":");
    w_cid(w, p->id);
    W_LIT(w, "}}");
}

/* A like or repost of (uid, id) by `by`. */
static void w_subject_bsky(struct w *w, const struct roost_sim *s, uint32_t by,
                           int64_t ms, uint64_t own_id, const char *type,
                           uint32_t uid, uint64_t id)
{
    w_commit_head(w, s, by, ms, own_id ^ 0x5a5a, "create", type, own_id);
    W_LIT(w, ",\"record\":{\"$type\":\"");
    w_raw(w, type, strlen(type));
    W_LIT(w, "\",\"createdAt\":");
    w_date_iso(w, ms - 90);
    W_LIT(w, ",\"subject\":");
    w_strongref(w, s, uid, id);
    W_LIT(w, "},\"cid\":");
    w_cid(w, own_id);
    W_LIT(w, "}}");
}

/* ---- Mastodon
 * -------------------------------------------------------------------- */

static uint64_t masto_id(uint64_t id)
{
    return ((uint64_t)snowflake_ms(id) << 16) | (mix64(id) & 0xffff);
}

static void w_html_text(struct w *w, const char *p, size_t len)
{
    w_need(w, len * 5);
    for (size_t i = 0; i < len; i++) {
        if (p[i] == '&') {
            W_LIT(w, "&amp;");
        } else if (p[i] == '<') {
            W_LIT(w, "&lt;");
        } else if (p[i] == '>') {
            W_LIT(w, "&gt;");
        } else if (p[i] == '"') {
            W_LIT(w, "&quot;");
        } else {
            *w->p++ = p[i];
        }
    }
}

static void w_acct_url(struct w *w, const struct user *u)
{
    W_LIT(w, "https://");
    w_raw(w, instances[u->instance], strlen(instances[u->instance]));
    W_LIT(w, "/@");
    w_raw(w, u->screen, u->screen_len);
}

static void w_acct(struct w *w, const struct user *u)
{
    w_c(w, '"');
    w_raw(w, u->screen, u->screen_len);
    if (u->instance != 0) {
        w_c(w, '@');
        w_raw(w, instances[u->instance], strlen(instances[u->instance]));
    }
    w_c(w, '"');
}

static void w_account_masto(struct w *w, const struct roost_sim *s,
                            uint32_t uid)
{
    const struct user *u = &s->users[uid];
    W_LIT(w, "{\"id\":\"");
    w_u64(w, 100000 + uid);
    W_LIT(w, "\",\"username\":");
    w_qraw(w, u->screen, u->screen_len);
    W_LIT(w, ",\"acct\":");
    w_acct(w, u);
    W_LIT(w, ",\"display_name\":");
    w_str(w, s->pool.ptr + u->name_off, u->name_len, false);
    W_LIT(w, ",\"locked\":false,\"bot\":false,\"discoverable\":true,"
             "\"group\":false,\"created_at\":");
    w_date_iso(w, u->created_ms - u->created_ms % 86400000);
    W_LIT(w, ",\"note\":\"<p>");
    {
        const char *b = roost__sim_bios[u->bio];
        for (size_t i = 0; b[i] != '\0'; i++) {
            if (b[i] == '<') {
                W_LIT(w, "&lt;");
            } else if (b[i] == '>') {
                W_LIT(w, "&gt;");
            } else if (b[i] == '&') {
                W_LIT(w, "&amp;");
            } else {
                w_c(w, b[i]);
            }
        }
    }
    W_LIT(w, "</p>\",\"url\":\"");
    w_acct_url(w, u);
    W_LIT(w, "\",\"avatar\":\"https://files.mastodon.social/accounts/avatars/"
             "000/");
    w_u64(w, 100 + uid % 900);
    W_LIT(w, "/original/a.png\",\"header\":\"https://files.mastodon.social/"
             "headers/original/missing.png\",\"followers_count\":");
    w_u64(w, u->followers / 10);
    W_LIT(w, ",\"following_count\":");
    w_u64(w, u->friends / 4);
    W_LIT(w, ",\"statuses_count\":");
    w_u64(w, u->statuses / 8 + 1);
    W_LIT(w, ",\"emojis\":[],\"fields\":[]}");
}

static void w_status_masto(struct w *w, struct roost_sim *s,
                           const struct post *p, const struct post *reblog)
{
    const struct user *u = &s->users[p->uid];
    uint64_t mid = masto_id(p->id);
    char exp[128], disp[64];
    size_t en, dn;
    W_LIT(w, "{\"id\":\"");
    w_u64(w, mid);
    W_LIT(w, "\",\"created_at\":");
    w_date_iso(w, p->ms - p->ms % 1000);
    if (p->reply && reblog == NULL) {
        W_LIT(w, ",\"in_reply_to_id\":\"");
        w_u64(w, masto_id(p->reply_id));
        W_LIT(w, "\",\"in_reply_to_account_id\":\"");
        w_u64(w, 100000 + p->reply_uid);
        w_c(w, '"');
    } else {
        W_LIT(w, ",\"in_reply_to_id\":null,\"in_reply_to_account_id\":null");
    }
    W_LIT(w, ",\"sensitive\":");
    w_bool(w, p->sensitive);
    W_LIT(w, ",\"spoiler_text\":\"\",\"visibility\":\"public\","
             "\"language\":");
    if (reblog != NULL) {
        W_LIT(w, "null");
    } else {
        w_c(w, '"');
        w_raw(w, lang_code(p), strlen(lang_code(p)));
        w_c(w, '"');
    }
    W_LIT(w, ",\"uri\":\"https://");
    w_raw(w, instances[u->instance], strlen(instances[u->instance]));
    W_LIT(w, "/users/");
    w_raw(w, u->screen, u->screen_len);
    W_LIT(w, "/statuses/");
    w_u64(w, mid);
    W_LIT(w, "\",\"url\":\"");
    w_acct_url(w, u);
    w_c(w, '/');
    w_u64(w, mid);
    W_LIT(w, "\",\"replies_count\":");
    w_u64(w, p->replies);
    W_LIT(w, ",\"reblogs_count\":");
    w_u64(w, p->rts);
    W_LIT(w, ",\"favourites_count\":");
    w_u64(w, p->favs);
    W_LIT(w, ",\"edited_at\":null,\"favourited\":false,\"reblogged\":false,"
             "\"muted\":false,\"bookmarked\":false,\"content\":\"");
    if (reblog == NULL) {
        /* HTML built from the segments; JSON-escaped as it goes, since
         * the only specials we produce are '"' (in attributes) and '\n'
         * (as <br>). */
        W_LIT(w, "<p>");
        for (uint32_t i = 0; i < p->n_seg; i++) {
            const struct seg *g = &p->seg[i];
            switch (g->kind) {
            case SEG_WORD:
                w_html_text(w, s->words[g->ref].raw, s->words[g->ref].raw_len);
                break;
            case SEG_SPACE:
                w_c(w, ' ');
                break;
            case SEG_NL:
                W_LIT(w, "<br>");
                break;
            case SEG_EMOJI:
                w_raw(w, s->emoji[g->ref].raw, s->emoji[g->ref].raw_len);
                break;
            case SEG_TAG:
            case SEG_TREND: {
                const struct word *wd =
                    g->kind == SEG_TAG ? &s->tags[g->ref] : &s->trends[g->ref];
                W_LIT(w, "<a href=\\\"https://");
                w_raw(w, instances[u->instance],
                      strlen(instances[u->instance]));
                W_LIT(w, "/tags/");
                w_raw(w, wd->raw, wd->raw_len);
                W_LIT(w, "\\\" class=\\\"mention hashtag\\\" rel=\\\"tag\\\">"
                         "#<span>");
                w_raw(w, wd->raw, wd->raw_len);
                W_LIT(w, "</span></a>");
                break;
            }
            case SEG_MENTION: {
                const struct user *m = &s->users[g->ref];
                W_LIT(w, "<span class=\\\"h-card\\\"><a href=\\\"");
                w_acct_url(w, m);
                W_LIT(w, "\\\" class=\\\"u-url mention\\\">@<span>");
                w_raw(w, m->screen, m->screen_len);
                W_LIT(w, "</span></a></span>");
                break;
            }
            case SEG_URL:
                url_parts(s, &p->url[g->ref], exp, &en, disp, &dn);
                W_LIT(w, "<a href=\\\"");
                w_raw(w, exp, en);
                W_LIT(w, "\\\" target=\\\"_blank\\\" rel=\\\"nofollow noopener"
                         " noreferrer\\\"><span class=\\\"invisible\\\">"
                         "https://</span><span class=\\\"ellipsis\\\">");
                w_raw(w, exp + 8, en - 8 > 30 ? 30 : en - 8);
                W_LIT(w, "</span><span class=\\\"invisible\\\">");
                if (en - 8 > 30) {
                    w_raw(w, exp + 38, en - 38);
                }
                W_LIT(w, "</span></a>");
                break;
            case SEG_CASH:
                w_c(w, '$');
                w_raw(w, roost__sim_tickers[g->ref],
                      strlen(roost__sim_tickers[g->ref]));
                break;
            default:
                break;
            }
        }
        W_LIT(w, "</p>");
    }
    W_LIT(w, "\",\"filtered\":[],\"reblog\":");
    if (reblog != NULL) {
        w_status_masto(w, s, reblog, NULL);
    } else {
        W_LIT(w, "null");
    }
    W_LIT(w, ",\"application\":{\"name\":");
    w_cstr(w, s->src_name[p->source], false);
    W_LIT(w, ",\"website\":null},\"account\":");
    w_account_masto(w, s, p->uid);
    W_LIT(w, ",\"media_attachments\":[],\"mentions\":[");
    bool first = true;
    for (uint32_t i = 0; reblog == NULL && i < p->n_seg; i++) {
        if (p->seg[i].kind != SEG_MENTION) {
            continue;
        }
        const struct user *m = &s->users[p->seg[i].ref];
        if (!first) {
            w_c(w, ',');
        }
        first = false;
        W_LIT(w, "{\"id\":\"");
        w_u64(w, 100000 + p->seg[i].ref);
        W_LIT(w, "\",\"username\":");
        w_str(w, m->screen, m->screen_len, false);
        W_LIT(w, ",\"url\":\"");
        w_acct_url(w, m);
        W_LIT(w, "\",\"acct\":");
        w_acct(w, m);
        w_c(w, '}');
    }
    W_LIT(w, "],\"tags\":[");
    first = true;
    for (uint32_t i = 0; reblog == NULL && i < p->n_seg; i++) {
        const struct seg *g = &p->seg[i];
        if (g->kind != SEG_TAG && g->kind != SEG_TREND) {
            continue;
        }
        const struct word *wd =
            g->kind == SEG_TAG ? &s->tags[g->ref] : &s->trends[g->ref];
        char low[256];
        size_t n = wd->raw_len < sizeof(low) ? wd->raw_len : sizeof(low);
        for (size_t j = 0; j < n; j++) {
            char c = wd->raw[j];
            low[j] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
        }
        if (!first) {
            w_c(w, ',');
        }
        first = false;
        W_LIT(w, "{\"name\":");
        w_str(w, low, n, false);
        W_LIT(w, ",\"url\":\"https://");
        w_raw(w, instances[u->instance], strlen(instances[u->instance]));
        W_LIT(w, "/tags/");
        w_raw(w, low, n);
        W_LIT(w, "\"}");
    }
    W_LIT(w, "],\"emojis\":[],\"card\":null,\"poll\":null}");
}

/* {"event":"update","payload":"<the status as a JSON string>"} */
static void w_update_masto(struct w *w, struct roost_sim *s,
                           const struct post *p, const struct post *reblog)
{
    struct w tw;
    roost_buf_reset(&s->tmp);
    w_init(&tw, &s->tmp, s->sink);
    w_status_masto(&tw, s, p, reblog);
    if (w_end(&tw) < 0) {
        w->rc = w->rc != 0 ? w->rc : tw.rc;
        return;
    }
    W_LIT(w, "{\"event\":\"update\",\"payload\":");
    w_str(w, s->tmp.ptr, s->tmp.len, false);
    w_c(w, '}');
}

/* ---- the stream
 * ------------------------------------------------------------------ */

static void id_text(char out[24], uint64_t v)
{
    *put_u64(out, v) = '\0';
}

static void ring_push(struct roost_sim *s, uint64_t id, uint32_t uid)
{
    s->ring_id[s->ring_head] = id;
    s->ring_uid[s->ring_head] = uid;
    s->ring_head = (s->ring_head + 1) % RING;
    if (s->ring_n < RING) {
        s->ring_n++;
    }
}

static void w_limit(struct w *w, struct roost_sim *s, int64_t ms)
{
    enum roost_format f = s->cfg.format;
    if (f == ROOST_FMT_JETSTREAM) {
        uint32_t uid = zipf_draw(&s->z_users, &s->xrng);
        W_LIT(w, "{\"did\":");
        w_did(w, s, uid);
        W_LIT(w, ",\"time_us\":");
        w_u64(w, (uint64_t)ms * 1000);
        W_LIT(w, ",\"kind\":\"identity\",\"identity\":{\"did\":");
        w_did(w, s, uid);
        W_LIT(w, ",\"handle\":\"");
        w_raw(w, s->users[uid].screen, s->users[uid].screen_len);
        W_LIT(w, ".bsky.social\",\"seq\":");
        w_u64(w, 31527015470ULL + s->n_records);
        W_LIT(w, ",\"time\":");
        w_date_iso(w, ms);
        W_LIT(w, "}}");
        return;
    }
    W_LIT(w, "{\"limit\":{\"track\":");
    w_u64(w, s->limit_track);
    W_LIT(w, ",\"timestamp_ms\":\"");
    w_u64(w, (uint64_t)ms);
    W_LIT(w, "\"}}");
}

/* One slot of the stream. Returns false when this format has no shape for
 * the slot (nothing written; the caller draws the next one). */
static bool step(struct roost_sim *s, struct w *w, int64_t *ms_out)
{
    const struct roost_sim_cfg *c = &s->cfg;
    enum roost_format f = c->format;
    struct roost__sim_last *L = &s->last;
    int64_t now = c->start_ms + (int64_t)(s->t_s * 1000.0);
    *ms_out = now;
    L->has_geo = false;
    L->has_burst_tag = false;
    L->n_hashtags = L->n_mentions = L->n_urls = L->n_cashtags = 0;
    L->id[0] = '\0';

    if (s->t_s >= s->next_limit_s) {
        int64_t lm = c->start_ms + (int64_t)(s->next_limit_s * 1000.0);
        s->next_limit_s += c->limit_every_s;
        s->limit_track += 1 + (uint64_t)(c->rate * c->limit_every_s *
                                         (0.1 + 0.2 * rng_unit(&s->rng)));
        L->kind = ROOST__SIM_LIMIT;
        *ms_out = lm;
        if (f == ROOST_FMT_X2 || f == ROOST_FMT_MASTODON) {
            return false;
        }
        w_limit(w, s, lm);
        return true;
    }
    if (f == ROOST_FMT_JETSTREAM && rng_chance(&s->xrng, 0.5) &&
        s->ring_n > 0) {
        /* Likes dominate the Bluesky firehose; they ride on the side. */
        uint32_t k = rng_below(&s->xrng, s->ring_n);
        uint32_t by = zipf_draw(&s->z_users, &s->xrng);
        uint64_t own =
            (rng_u64(&s->xrng) & 0x3fffff) | ((uint64_t)(now - TWEPOCH) << 22);
        L->kind = ROOST__SIM_EXTRA;
        w_subject_bsky(w, s, by, now, own, "app.bsky.feed.like", s->ring_uid[k],
                       s->ring_id[k]);
        return true;
    }

    uint64_t bk = 0;
    double bp = burst_p(s, s->t_s, &bk);
    s->t_s += -log(1.0 - rng_unit(&s->rng)) / (c->rate * (1.0 + bp));

    if (rng_chance(&s->rng, c->delete_share) && s->ring_n > 0) {
        uint32_t k = rng_below(&s->rng, s->ring_n);
        uint64_t id = s->ring_id[k];
        uint32_t uid = s->ring_uid[k];
        L->kind = ROOST__SIM_DELETE;
        id_text(L->id, id);
        if (f == ROOST_FMT_X1) {
            w_delete_v1(w, s, id, uid, now);
        } else if (f == ROOST_FMT_JETSTREAM) {
            w_commit_head(w, s, uid, now, id ^ 0xde1, "delete",
                          "app.bsky.feed.post", id);
            W_LIT(w, "}}");
        } else if (f == ROOST_FMT_MASTODON) {
            W_LIT(w, "{\"event\":\"delete\",\"payload\":\"");
            w_u64(w, masto_id(id));
            W_LIT(w, "\"}");
        } else {
            return false;
        }
        return true;
    }

    int64_t trend = rng_chance(&s->rng, bp) ? (int64_t)trend_idx(s, bk) : -1;
    uint32_t uid = zipf_draw(&s->z_users, &s->rng);
    double y = rng_unit(&s->rng);
    int kind = y < c->retweet_share                    ? ROOST__SIM_RETWEET
               : y < c->retweet_share + c->quote_share ? ROOST__SIM_QUOTE
                                                       : ROOST__SIM_POST;
    bool reply = kind == ROOST__SIM_POST &&
                 y < c->retweet_share + c->quote_share + c->reply_share;
    if (kind == ROOST__SIM_RETWEET && trend >= 0) {
        kind = ROOST__SIM_POST; /* a burst is people writing about it */
    }
    struct post *p = &s->post, *o = &s->orig;
    if (kind != ROOST__SIM_POST) {
        gen_viral(s, o, now, zipf_draw(&s->z_viral, &s->rng));
    }
    if (kind == ROOST__SIM_RETWEET) {
        p->uid = uid;
        p->ms = now;
        p->lang = o->lang;
        p->n_seg = 0;
        p->n_url = 0;
        p->reply = p->geo = p->media = p->burst = p->sensitive = false;
        p->rts = p->favs = p->replies = p->quotes = 0;
        p->source = (uint8_t)rng_below(&s->rng, (uint32_t)roost__sim_n_sources);
    } else {
        gen_post(s, &s->rng, p, uid, now, reply, trend);
    }
    p->id = snowflake(s, now, uid);
    ring_push(s, p->id, uid);
    L->kind = kind;
    L->has_geo = p->geo;
    L->has_burst_tag = p->burst;
    id_text(L->id, p->id);

    const struct post *op = kind == ROOST__SIM_POST ? NULL : o;
    switch (f) {
    case ROOST_FMT_X1:
        if (op != NULL) {
            render(s, o, RM_X, &s->tx_orig);
        }
        if (kind == ROOST__SIM_RETWEET) {
            w_status_v1(w, s, p, &s->tx_orig, o, &s->tx_orig, NULL, NULL, true,
                        true);
        } else {
            render(s, p, RM_X, &s->tx_post);
            w_status_v1(w, s, p, &s->tx_post, NULL, NULL, op, &s->tx_orig, true,
                        true);
        }
        break;
    case ROOST_FMT_X2:
        if (op != NULL) {
            render(s, o, RM_X, &s->tx_orig);
        }
        if (kind != ROOST__SIM_RETWEET) {
            render(s, p, RM_X, &s->tx_post);
        }
        w_record_v2(w, s, p, &s->tx_post, op, &s->tx_orig,
                    kind == ROOST__SIM_RETWEET);
        break;
    case ROOST_FMT_JETSTREAM:
        if (kind == ROOST__SIM_RETWEET) {
            w_subject_bsky(w, s, uid, now, p->id, "app.bsky.feed.repost",
                           o->uid, o->id);
        } else {
            w_post_bsky(w, s, p, op);
        }
        break;
    case ROOST_FMT_MASTODON:
        w_update_masto(w, s, p, kind == ROOST__SIM_RETWEET ? o : NULL);
        break;
    default:
        ROOST_UNREACHABLE();
    }
    return true;
}

int roost_sim_next(struct roost_sim *s, struct roost_buf *out,
                   int64_t *event_ms)
{
    if (s->cfg.count != 0 && s->n_records >= s->cfg.count) {
        return ROOST_ERR(ROOST_ENOENT);
    }
    struct w w;
    int64_t ms = 0;
    w_init(&w, out, s->sink);
    while (!step(s, &w, &ms)) {
    }
    w_c(&w, '\n');
    s->n_records++;
    if (event_ms != NULL) {
        *event_ms = ms;
    }
    return w_end(&w);
}
