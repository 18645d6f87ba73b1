/* SPDX-License-Identifier: MIT
 *
 * weighted.c - tweet length as twitter-text's parseTweet weighs it.
 *
 * The text is NFC-normalised first (a copy is made only when some code
 * point could change), then walked once: a URL (from the URL cursor in
 * entities.c) weighs url_length, an emoji sequence weighs default_weight
 * when emoji parsing is on, and any other code point weighs by the ranges
 * of the config. Offsets are UTF-16 units because twitter-text's are; the
 * display and valid ranges are shifted back by the length NFC changed.
 *
 * Start at roost_weighted_length().
 */
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/str.h"
#include "parse/entities.h"
#include "parse/entities_int.h"

static const struct roost_weighted_range ranges_v2[] = {
    { 0, 4351, 100 },
    { 8192, 8205, 100 },
    { 8208, 8223, 100 },
    { 8242, 8247, 100 },
};

const struct roost_weighted_cfg roost_weighted_v1 = {
    .max_weighted_length = 140,
    .scale = 1,
    .default_weight = 1,
    .url_length = 23,
};

const struct roost_weighted_cfg roost_weighted_v2 = {
    .max_weighted_length = 280,
    .scale = 100,
    .default_weight = 200,
    .url_length = 23,
    .n_ranges = sizeof(ranges_v2) / sizeof(ranges_v2[0]),
    .ranges = ranges_v2,
};

const struct roost_weighted_cfg roost_weighted_v3 = {
    .max_weighted_length = 280,
    .scale = 100,
    .default_weight = 200,
    .url_length = 23,
    .emoji_parsing = true,
    .n_ranges = sizeof(ranges_v2) / sizeof(ranges_v2[0]),
    .ranges = ranges_v2,
};

/* ---- NFC ------------------------------------------------------------------
 */

enum {
    S_BASE = 0xAC00,
    L_BASE = 0x1100,
    V_BASE = 0x1161,
    T_BASE = 0x11A7,
    L_COUNT = 19,
    V_COUNT = 21,
    T_COUNT = 28,
    N_COUNT = V_COUNT * T_COUNT,
    S_COUNT = L_COUNT * N_COUNT,
};

static unsigned ccc(uint32_t cp)
{
    if (cp < 0x300) {
        return 0;
    }
    unsigned v = roost__uc_lookup(roost__uc_ccc, roost__uc_n_ccc, cp);
    return v;
}

/* Full canonical decomposition of cp into out (room for 4); its length. */
static size_t decompose(uint32_t cp, uint32_t *out)
{
    if (cp >= S_BASE && cp < S_BASE + S_COUNT) {
        uint32_t s = cp - S_BASE;
        out[0] = L_BASE + s / N_COUNT;
        out[1] = V_BASE + (s % N_COUNT) / T_COUNT;
        if (s % T_COUNT == 0) {
            return 2;
        }
        out[2] = T_BASE + s % T_COUNT;
        return 3;
    }
    size_t lo = 0, hi = cp < 0xC0 ? 0 : roost__uc_n_decomp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < roost__uc_decomp[mid][0]) {
            hi = mid;
        } else if (cp > roost__uc_decomp[mid][0]) {
            lo = mid + 1;
        } else {
            uint32_t off = roost__uc_decomp[mid][1] & 0xFFFF;
            size_t n = roost__uc_decomp[mid][1] >> 16;
            memcpy(out, roost__uc_decomp_cps + off, n * sizeof(*out));
            return n;
        }
    }
    out[0] = cp;
    return 1;
}

/* The primary composite of a + b, or 0. */
static uint32_t compose(uint32_t a, uint32_t b)
{
    if (a >= L_BASE && a < L_BASE + L_COUNT && b >= V_BASE &&
        b < V_BASE + V_COUNT) {
        return S_BASE + ((a - L_BASE) * V_COUNT + (b - V_BASE)) * T_COUNT;
    }
    if (a >= S_BASE && a < S_BASE + S_COUNT && (a - S_BASE) % T_COUNT == 0 &&
        b > T_BASE && b < T_BASE + T_COUNT) {
        return a + (b - T_BASE);
    }
    size_t lo = 0, hi = roost__uc_n_comp;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const uint32_t *e = roost__uc_comp[mid];
        if (a < e[0] || (a == e[0] && b < e[1])) {
            hi = mid;
        } else if (a > e[0] || b > e[1]) {
            lo = mid + 1;
        } else {
            return e[2];
        }
    }
    return 0;
}

/* Whether NFC may change text: any code point at or past U+0300. */
static bool may_change(const unsigned char *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (t[i] >= 0xCC) { /* lead byte of U+0300 and above */
            return true;
        }
    }
    return false;
}

/* NFC of valid UTF-8 t[0..n) into a new buffer *out (caller frees). */
static int nfc(const unsigned char *t, size_t n, char **out, size_t *out_len)
{
    size_t ncp = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp, d[4];
        i += roost_utf8_decode(t + i, n - i, &cp);
        ncp += decompose(cp, d);
    }
    uint32_t *cps = roost_malloc((ncp + 1) * sizeof(*cps));
    if (cps == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    size_t m = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += roost_utf8_decode(t + i, n - i, &cp);
        m += decompose(cp, cps + m);
    }
    /* canonical ordering: stable insertion sort of each non-starter run */
    for (size_t i = 1; i < m; i++) {
        unsigned c = ccc(cps[i]);
        if (c == 0) {
            continue;
        }
        size_t j = i;
        uint32_t v = cps[i];
        while (j > 0 && ccc(cps[j - 1]) > c) {
            cps[j] = cps[j - 1];
            j--;
        }
        cps[j] = v;
    }
    /* canonical composition; after the sort, the last kept mark blocks */
    size_t w = 0, starter = SIZE_MAX;
    unsigned last_ccc = 0;
    for (size_t i = 0; i < m; i++) {
        uint32_t cp = cps[i];
        unsigned c = ccc(cp);
        if (starter != SIZE_MAX &&
            (w == starter + 1 || (last_ccc != 0 && last_ccc < c))) {
            uint32_t comp = compose(cps[starter], cp);
            if (comp != 0) {
                cps[starter] = comp;
                continue;
            }
        }
        if (c == 0) {
            starter = w;
        }
        last_ccc = c;
        cps[w++] = cp;
    }
    char *buf = roost_malloc(w * 4 + 1);
    if (buf == NULL) {
        roost_free(cps);
        return ROOST_ERR(ROOST_ENOMEM);
    }
    size_t o = 0;
    for (size_t i = 0; i < w; i++) {
        o += roost_utf8_encode(cps[i], buf + o);
    }
    roost_free(cps);
    *out = buf;
    *out_len = o;
    return 0;
}

/* ---- emoji ----------------------------------------------------------------
 */

static bool is_pict(uint32_t cp)
{
    return cp >= 0xA9 &&
           roost__uc_lookup(roost__uc_emoji, roost__uc_n_emoji, cp) != 0;
}

static bool is_ri(uint32_t cp)
{
    return cp >= 0x1F1E6 && cp <= 0x1F1FF;
}

static uint32_t peek(const unsigned char *t, size_t n, size_t i, size_t *nx)
{
    uint32_t cp = 0;
    if (i >= n) {
        *nx = i;
        return 0;
    }
    *nx = i + roost_utf8_decode(t + i, n - i, &cp);
    return cp;
}

/* One emoji element at i: pictograph [FE0F] [skin tone]; its end or i. */
static size_t emoji_element(const unsigned char *t, size_t n, size_t i)
{
    size_t nx, k;
    uint32_t cp = peek(t, n, i, &nx);
    if (!is_pict(cp)) {
        return i;
    }
    /* © ® ™ are text by default: emoji only with U+FE0F (as twemoji) */
    bool text_default = cp == 0xA9 || cp == 0xAE || cp == 0x2122;
    k = nx;
    uint32_t c = peek(t, n, k, &nx);
    if (c == 0xFE0F) {
        k = nx;
        text_default = false;
        c = peek(t, n, k, &nx);
    }
    if (text_default) {
        return i;
    }
    if (c >= 0x1F3FB && c <= 0x1F3FF) {
        k = nx;
        c = peek(t, n, k, &nx);
    }
    if (cp == 0x1F3F4) { /* subdivision flags: tag characters */
        size_t j = k;
        while (c >= 0xE0020 && c <= 0xE007E) {
            j = nx;
            c = peek(t, n, j, &nx);
        }
        if (c == 0xE007F && j > k) {
            k = nx;
        }
    }
    return k;
}

/* The emoji sequence at i: its end, or i when there is none. */
static size_t emoji_at(const unsigned char *t, size_t n, size_t i)
{
    size_t nx, nx2;
    uint32_t cp = peek(t, n, i, &nx);
    if ((cp >= '0' && cp <= '9') || cp == '#' || cp == '*') {
        uint32_t c = peek(t, n, nx, &nx2);
        if (c == 0xFE0F) {
            c = peek(t, n, nx2, &nx2);
        }
        return c == 0x20E3 ? nx2 : i;
    }
    if (is_ri(cp)) {
        return is_ri(peek(t, n, nx, &nx2)) ? nx2 : i;
    }
    size_t k = emoji_element(t, n, i);
    while (k > i && peek(t, n, k, &nx) == 0x200D) {
        size_t e = emoji_element(t, n, nx);
        if (e == nx) {
            break;
        }
        k = e;
    }
    return k;
}

/* ---- the walk -------------------------------------------------------------
 */

static int utf16_len(const unsigned char *t, size_t a, size_t b)
{
    int u = 0;
    for (size_t i = a; i < b; i++) {
        if ((t[i] & 0xC0) != 0x80) {
            u += (t[i] >= 0xF0) ? 2 : 1;
        }
    }
    return u;
}

static bool all_blank(const unsigned char *t, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp = 0;
        i += roost_utf8_decode(t + i, n - i, &cp);
        bool blank = cp <= 0x20 || cp == 0xA0 || cp == 0x1680 ||
                     (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
                     cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
                     cp == 0x3000 || cp == 0xFEFF;
        if (!blank) {
            return false;
        }
    }
    return true;
}

static int weigh(const struct roost_weighted_cfg *cfg, uint32_t cp)
{
    for (size_t r = 0; r < cfg->n_ranges; r++) {
        if (cp >= cfg->ranges[r].lo && cp <= cfg->ranges[r].hi) {
            return cfg->ranges[r].weight;
        }
    }
    return cfg->default_weight;
}

int roost_weighted_length(const char *text, size_t len,
                          const struct roost_weighted_cfg *cfg,
                          struct roost_weighted_len *out)
{
    if ((text == NULL && len > 0) || out == NULL ||
        !roost_utf8_valid(text, len) || len > INT32_MAX / 8) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (cfg == NULL) {
        cfg = &roost_weighted_v3;
    }
    if (cfg->scale <= 0 || cfg->max_weighted_length <= 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    memset(out, 0, sizeof(*out));
    const unsigned char *t = (const unsigned char *)text;
    if (len == 0 || all_blank(t, len)) {
        return 0;
    }
    char *norm = NULL;
    size_t n = len;
    if (may_change(t, len)) {
        int rc = nfc(t, len, &norm, &n);
        if (rc < 0) {
            return rc;
        }
        t = (const unsigned char *)norm;
    }
    struct roost__url_scan us;
    size_t ua = SIZE_MAX, ub = 0;
    roost__url_scan_init(&us, (const char *)t, n);
    if (!roost__url_next(&us, &ua, &ub)) {
        ua = SIZE_MAX;
    }
    long long max = (long long)cfg->max_weighted_length * cfg->scale;
    long long weight = 0;
    int off = 0, valid_off = 0;
    bool invalid = false;
    for (size_t i = 0; i < n;) {
        size_t next = cfg->emoji_parsing && i != ua ? emoji_at(t, n, i) : i;
        if (i == ua) {
            weight += (long long)cfg->url_length * cfg->scale;
            next = ub;
            if (!roost__url_next(&us, &ua, &ub)) {
                ua = SIZE_MAX;
            }
        } else if (next > i) {
            weight += cfg->default_weight;
        } else {
            uint32_t cp = 0;
            next = i + roost_utf8_decode(t + i, n - i, &cp);
            weight += weigh(cfg, cp);
            invalid = invalid || cp == 0xFFFE || cp == 0xFEFF || cp == 0xFFFF;
        }
        off += utf16_len(t, i, next);
        i = next;
        if (!invalid && weight <= max) {
            valid_off = off;
        }
    }
    int delta = utf16_len((const unsigned char *)text, 0, len) - off;
    roost_free(norm);
    long long scaled = weight / cfg->scale;
    out->weighted_length = scaled > INT32_MAX ? INT32_MAX : (int)scaled;
    out->permillage = (int)(scaled * 1000 / cfg->max_weighted_length > INT32_MAX
                                ? INT32_MAX
                                : scaled * 1000 / cfg->max_weighted_length);
    out->valid = !invalid && scaled <= cfg->max_weighted_length;
    out->display_start = 0;
    out->display_end = off + delta - 1;
    out->valid_start = 0;
    out->valid_end = valid_off + delta - 1;
    return 0;
}
