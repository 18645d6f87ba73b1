/* SPDX-License-Identifier: MIT
 *
 * entities.c - hashtags, mentions, URLs and cashtags in post text, by the
 * twitter-text rules, without a regex engine.
 *
 * twitter-text defines each entity by a regular expression plus a few
 * checks on the match (extractor.js). Each kind here is a cursor that
 * reproduces one expression's leftmost-greedy matches, including the
 * detail that a rejected match still consumes its text (`last_end`): the
 * character before an entity is part of the match, so it may not belong to
 * the previous match. roost_entities_extract() merges the four cursors by
 * start offset and drops entities that overlap an earlier one, exactly as
 * removeOverlappingEntities does. Nothing is allocated; every cursor only
 * moves forward, and the URL cursor memoises its domain labels (see
 * domain_end) so a long run of dots or letters is not rescanned per start.
 *
 * Start at roost_entities_extract(); the URL matcher is roost__url_next().
 */
#include <assert.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"
#include "parse/entities.h"
#include "parse/entities_int.h"

#define NONE                SIZE_MAX
#define MAX_URL_LENGTH      4096 /* twitter-text MAX_URL_LENGTH */
#define MAX_LABEL_LENGTH    63   /* after punycode */
#define MAX_TCO_SLUG_LENGTH 40
#define MAX_SCREEN_NAME     20
#define MAX_LIST_SLUG       25

/* Classes of ASCII characters in twitter-text's expressions. */
enum {
    C_PUNCT = 1,     /* punct */
    C_PATH = 2,      /* validGeneralUrlPathChars */
    C_PATH_END = 4,  /* validUrlPathEndingChars */
    C_QUERY = 8,     /* validUrlQueryChars */
    C_QUERY_END = 16 /* validUrlQueryEndingChars */
};

static const uint8_t ascii_cls[128] = {
    ['!'] = C_PUNCT | C_PATH | C_QUERY,
    ['#'] = C_PUNCT | C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['$'] = C_PUNCT | C_PATH | C_QUERY,
    ['%'] = C_PUNCT | C_PATH | C_QUERY,
    ['&'] = C_PUNCT | C_PATH | C_QUERY | C_QUERY_END,
    ['\''] = C_PUNCT | C_PATH | C_QUERY,
    ['('] = C_PUNCT | C_QUERY,
    [')'] = C_PUNCT | C_QUERY,
    ['*'] = C_PUNCT | C_PATH | C_QUERY,
    ['+'] = C_PUNCT | C_PATH | C_PATH_END | C_QUERY,
    [','] = C_PUNCT | C_PATH | C_QUERY,
    ['-'] = C_PUNCT | C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['.'] = C_PUNCT | C_PATH | C_QUERY,
    ['/'] = C_PUNCT | C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['0'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['1'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['2'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['3'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['4'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['5'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['6'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['7'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['8'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['9'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    [':'] = C_PUNCT | C_PATH | C_QUERY,
    [';'] = C_PUNCT | C_PATH | C_QUERY,
    ['<'] = C_PUNCT,
    ['='] = C_PUNCT | C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['>'] = C_PUNCT,
    ['?'] = C_PUNCT | C_QUERY,
    ['@'] = C_PUNCT | C_PATH | C_QUERY,
    ['A'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['B'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['C'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['D'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['E'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['F'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['G'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['H'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['I'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['J'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['K'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['L'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['M'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['N'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['O'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['P'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['Q'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['R'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['S'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['T'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['U'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['V'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['W'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['X'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['Y'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['Z'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['['] = C_PUNCT | C_PATH | C_QUERY,
    ['\\'] = C_PUNCT,
    [']'] = C_PUNCT | C_PATH | C_QUERY,
    ['^'] = C_PUNCT,
    ['_'] = C_PUNCT | C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['a'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['b'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['c'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['d'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['e'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['f'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['g'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['h'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['i'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['j'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['k'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['l'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['m'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['n'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['o'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['p'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['q'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['r'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['s'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['t'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['u'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['v'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['w'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['x'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['y'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['z'] = C_PATH | C_PATH_END | C_QUERY | C_QUERY_END,
    ['{'] = C_PUNCT,
    ['|'] = C_PUNCT | C_PATH | C_QUERY,
    ['}'] = C_PUNCT,
    ['~'] = C_PUNCT | C_PATH | C_QUERY,
};

/* ---- code points ----------------------------------------------------------
 */

/* Decode the code point at i (text is valid UTF-8); *next gets its end. */
static uint32_t cp_at(const unsigned char *t, size_t n, size_t i, size_t *next)
{
    if (t[i] < 0x80) {
        *next = i + 1;
        return t[i];
    }
    uint32_t cp = 0;
    size_t k = roost_utf8_decode(t + i, n - i, &cp);
    if (k == 0) { /* only reachable through internal misuse */
        k = 1;
        cp = 0xFFFD;
    }
    *next = i + k;
    return cp;
}

static size_t prev_start(const unsigned char *t, size_t i)
{
    assert(i > 0);
    i--;
    while (i > 0 && (t[i] & 0xC0) == 0x80) {
        i--;
    }
    return i;
}

unsigned roost__uc_lookup(const uint32_t (*t)[2], size_t n, uint32_t cp)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint32_t start = t[mid][0] & 0xFFFFFFu;
        if (cp < start) {
            hi = mid;
        } else if (cp > t[mid][1]) {
            lo = mid + 1;
        } else {
            unsigned v = t[mid][0] >> 24;
            return v != 0 ? v : 1;
        }
    }
    return 0;
}

static bool is_ascii_alnum(uint32_t c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
}

static bool is_ascii_alpha(uint32_t c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}

/* twitter-text `spaces`. */
static bool is_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 ||
           c == 0x1680 || c == 0x180E || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F ||
           c == 0x3000;
}

/* JavaScript's \s, which the cashtag lookahead uses. */
static bool is_js_space(uint32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 ||
           c == 0x202F || c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

/* twitter-text `punct`: ASCII punctuation except '"' and '`'. */
static bool is_punct(uint32_t c)
{
    return c < 0x80 && (ascii_cls[c] & C_PUNCT);
}

static bool is_invalid_char(uint32_t c)
{
    return c == 0xFFFE || c == 0xFEFF || c == 0xFFFF;
}

static bool is_directional(uint32_t c)
{
    return (c >= 0x202A && c <= 0x202E) || c == 0x061C || c == 0x200E ||
           c == 0x200F || (c >= 0x2066 && c <= 0x2069);
}

/* validDomainChars: anything but punctuation, spaces and format marks. */
static bool is_domain_char(uint32_t c)
{
    if (c < 0x80) {
        return !(ascii_cls[c] & C_PUNCT) && c != ' ' &&
               !(c >= 0x09 && c <= 0x0D);
    }
    return !is_punct(c) && !is_space(c) && !is_invalid_char(c) &&
           !is_directional(c);
}

/* twitter-text latinAccentChars. */
static bool is_latin_accent(uint32_t c)
{
    return (c >= 0xC0 && c <= 0xD6) || (c >= 0xD8 && c <= 0xF6) ||
           (c >= 0xF8 && c <= 0x24F) || c == 0x253 || c == 0x254 ||
           c == 0x256 || c == 0x257 || c == 0x259 || c == 0x25B || c == 0x263 ||
           c == 0x268 || c == 0x26F || c == 0x272 || c == 0x289 || c == 0x28B ||
           c == 0x2BB || (c >= 0x300 && c <= 0x36F) ||
           (c >= 0x1E00 && c <= 0x1EFF);
}

static unsigned hashtag_class(uint32_t c)
{
    if (c < 0x80) {
        if (is_ascii_alpha(c)) {
            return ROOST__UC_ALPHA | ROOST__UC_ALNUM;
        }
        return (c >= '0' && c <= '9') || c == '_' ? ROOST__UC_ALNUM : 0;
    }
    return roost__uc_lookup(roost__uc_hashtag, roost__uc_n_hashtag, c);
}

static bool starts_with_ci(const unsigned char *t, size_t n, size_t i,
                           const char *s)
{
    size_t k = strlen(s);
    if (n - i < k) {
        return false;
    }
    for (size_t j = 0; j < k; j++) {
        unsigned char c = t[i + j];
        if (c >= 'A' && c <= 'Z') {
            c = (unsigned char)(c | 0x20);
        }
        if (c != (unsigned char)s[j]) {
            return false;
        }
    }
    return true;
}

/* `://` follows i: both hashtags and mentions refuse to end there. */
static bool scheme_sep_at(const unsigned char *t, size_t n, size_t i)
{
    return n - i >= 3 && memcmp(t + i, "://", 3) == 0;
}

/* ---- top-level domains ----------------------------------------------------
 */

static int tld_cmp(const unsigned char *s, size_t len, const char *tld)
{
    for (size_t i = 0;; i++) {
        unsigned char b = (unsigned char)tld[i];
        if (i == len) {
            return b == 0 ? 0 : -1;
        }
        if (b == 0) {
            return 1;
        }
        unsigned char a = s[i];
        if (a >= 'A' && a <= 'Z') {
            a = (unsigned char)(a | 0x20);
        }
        if (a != b) {
            return a < b ? -1 : 1;
        }
    }
}

static bool tld_known(const unsigned char *s, size_t len)
{
    size_t lo = 0, hi = roost__n_tlds;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = tld_cmp(s, len, roost__tlds[mid]);
        if (c == 0) {
            return true;
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return false;
}

/* (?=[^0-9a-z@+-]|$) after a listed TLD; `limit` counts as the end. */
static bool tld_may_end(const unsigned char *t, size_t limit, size_t i)
{
    if (i >= limit) {
        return true;
    }
    unsigned char c = t[i];
    return !(is_ascii_alnum(c) || c == '@' || c == '+' || c == '-');
}

/*
 * A TLD (listed, or xn-- punycode) starting at s, within [s, limit).
 * Returns its end, or NONE. The longest listed TLD that may end wins.
 */
static size_t tld_at(const unsigned char *t, size_t limit, size_t s)
{
    size_t best = NONE;
    size_t i = s;
    while (i < limit && i - s < roost__tld_max_bytes) {
        size_t nx;
        uint32_t c = cp_at(t, limit, i, &nx);
        if ((c < 0x80 && !is_ascii_alpha(c)) || !is_domain_char(c)) {
            break;
        }
        i = nx;
        if (tld_may_end(t, limit, i) && tld_known(t + s, i - s)) {
            best = i;
        }
    }
    if (best != NONE) {
        return best;
    }
    if (starts_with_ci(t, limit, s, "xn--")) {
        i = s + 4;
        while (i < limit && (is_ascii_alnum(t[i]) || t[i] == '-')) {
            i++;
        }
        if (i > s + 4) {
            return i;
        }
    }
    return NONE;
}

/* ---- URLs: domains ---------------------------------------------------------
 *
 * validDomain is (sub\.)* name\. tld where a label starts and ends with a
 * domain char and may hold '-' (and '_' in subdomains). The regex is greedy,
 * so from a start the domain is the farthest label j such that every label
 * up to j is well-formed and followed by '.', label j has no '_', and a TLD
 * starts after it. For a label start ls that "farthest j" does not depend on
 * where the chain of labels began, so one forward scan of the chain answers
 * every start inside it (ch_*), and one scan of a label answers every start
 * inside that label (lab_*).
 */

static bool is_label_char(uint32_t c)
{
    return c == '-' || c == '_' || is_domain_char(c);
}

/* Scan the label run holding i (from i): its end, last '_', last char ok. */
static void label_scan(struct roost__url_scan *s, size_t i)
{
    if (s->lab_valid && i >= s->lab_from && i < s->lab_end) {
        return;
    }
    size_t k = i, last_us = NONE;
    uint32_t last = 0;
    while (k < s->n) {
        size_t nx;
        uint32_t c = cp_at(s->t, s->n, k, &nx);
        if (!is_label_char(c)) {
            break;
        }
        if (c == '_') {
            last_us = k;
        }
        last = c;
        k = nx;
    }
    s->lab_valid = true;
    s->lab_from = i;
    s->lab_end = k;
    s->lab_last_us = last_us;
    s->lab_end_ok = k > i && is_domain_char(last);
}

/* Farthest domain end for a domain whose first label starts at ls. */
static size_t chain_best(struct roost__url_scan *s, size_t ls)
{
    if (s->ch_valid && ls >= s->ch_from && ls <= s->ch_term) {
        return s->ch_found && s->ch_best_lab >= ls ? s->ch_best_end : NONE;
    }
    const unsigned char *t = s->t;
    size_t cur = ls;
    s->ch_valid = true;
    s->ch_found = false;
    s->ch_from = ls;
    while (cur < s->n) {
        size_t nx;
        if (!is_domain_char(cp_at(t, s->n, cur, &nx))) {
            break;
        }
        size_t k = cur, last_us = NONE;
        uint32_t last = 0;
        while (k < s->n) {
            uint32_t c = cp_at(t, s->n, k, &nx);
            if (!is_label_char(c)) {
                break;
            }
            if (c == '_') {
                last_us = k;
            }
            last = c;
            k = nx;
        }
        if (!is_domain_char(last) || k >= s->n || t[k] != '.') {
            break;
        }
        if (last_us == NONE) {
            size_t e = tld_at(t, s->n, k + 1);
            if (e != NONE) {
                s->ch_found = true;
                s->ch_best_lab = cur;
                s->ch_best_end = e;
            }
        }
        cur = k + 1;
    }
    s->ch_term = cur;
    return s->ch_found ? s->ch_best_end : NONE;
}

/* End of the validDomain match starting at d, or NONE. */
static size_t domain_end(struct roost__url_scan *s, size_t d)
{
    size_t nx;
    if (d >= s->n || !is_domain_char(cp_at(s->t, s->n, d, &nx))) {
        return NONE;
    }
    label_scan(s, d);
    size_t le = s->lab_end;
    if (!s->lab_end_ok || le >= s->n || s->t[le] != '.') {
        return NONE;
    }
    size_t e = chain_best(s, le + 1);
    if (e != NONE) {
        return e;
    }
    if (s->lab_last_us != NONE && s->lab_last_us >= d) {
        return NONE; /* the last label before a TLD may not hold '_' */
    }
    return tld_at(s->t, s->n, le + 1);
}

/* ---- URLs: port, path, query ----------------------------------------------
 */

static bool is_cyrillic(uint32_t c)
{
    return c >= 0x400 && c <= 0x4FF;
}

/* validGeneralUrlPathChars */
static bool is_path_char(uint32_t c)
{
    if (c < 0x80) {
        return (ascii_cls[c] & C_PATH) != 0;
    }
    return is_cyrillic(c) || c == 0x2013 || is_latin_accent(c);
}

/* validUrlPathEndingChars (without the parenthesised form) */
static bool is_path_end(uint32_t c)
{
    if (c < 0x80) {
        return (ascii_cls[c] & C_PATH_END) != 0;
    }
    return is_cyrillic(c) || is_latin_accent(c);
}

static bool is_query_char(unsigned char c)
{
    return c < 0x80 && (ascii_cls[c] & C_QUERY);
}

static bool is_query_end(unsigned char c)
{
    return c < 0x80 && (ascii_cls[c] & C_QUERY_END);
}

static size_t path_run(const unsigned char *t, size_t n, size_t i, bool need1)
{
    size_t k = i;
    while (k < n) {
        size_t nx;
        if (!is_path_char(cp_at(t, n, k, &nx))) {
            break;
        }
        k = nx;
    }
    return need1 && k == i ? NONE : k;
}

/* validUrlBalancedParens at t[i] == '(': its end, or NONE. */
static size_t balanced_parens(const unsigned char *t, size_t n, size_t i)
{
    size_t k = path_run(t, n, i + 1, false);
    if (k < n && t[k] == ')' && k > i + 1) {
        return k + 1;
    }
    if (k >= n || t[k] != '(') {
        return NONE;
    }
    k = path_run(t, n, k + 1, true);
    if (k == NONE || k >= n || t[k] != ')') {
        return NONE;
    }
    k = path_run(t, n, k + 1, false);
    return k < n && t[k] == ')' ? k + 1 : NONE;
}

/* `/` validUrlPath*: the longest run of path tokens ending well. */
static size_t path_end(const unsigned char *t, size_t n, size_t i)
{
    size_t k = i + 1, good = i + 1;
    while (k < n) {
        size_t nx;
        uint32_t c = cp_at(t, n, k, &nx);
        if (is_path_char(c)) {
            k = nx;
            if (is_path_end(c)) {
                good = k;
            }
        } else if (c == '(') {
            size_t e = balanced_parens(t, n, k);
            if (e == NONE) {
                break;
            }
            k = good = e;
        } else {
            break;
        }
    }
    return good;
}

/* `?` validUrlQueryChars* validUrlQueryEndingChars, or NONE. */
static size_t query_end(const unsigned char *t, size_t n, size_t i)
{
    size_t good = NONE;
    for (size_t k = i + 1; k < n && is_query_char(t[k]); k++) {
        if (is_query_end(t[k])) {
            good = k + 1;
        }
    }
    return good;
}

/* ---- URLs: validity (isValidUrl: IDNA label lengths, total length) ------ */

static uint32_t puny_adapt(uint32_t delta, uint32_t numpoints, bool first)
{
    uint32_t k = 0;
    delta = first ? delta / 700 : delta / 2;
    delta += delta / numpoints;
    while (delta > ((36 - 1) * 26) / 2) {
        delta /= 36 - 1;
        k += 36;
    }
    return k + (36 * delta) / (delta + 38);
}

/* Length of the punycode form of the label t[a..b), or NONE if too long. */
static size_t puny_len(const unsigned char *t, size_t a, size_t b)
{
    size_t total = 0, basic = 0;
    for (size_t i = a; i < b;) {
        size_t nx;
        if (cp_at(t, b, i, &nx) < 0x80) {
            basic++;
        }
        total++;
        i = nx;
    }
    /* every code point yields at least one output character */
    if (total + (basic > 0) + 4 > MAX_LABEL_LENGTH) {
        return NONE;
    }
    size_t out = basic + (basic > 0);
    uint32_t n = 0x80, delta = 0, bias = 72, h = (uint32_t)basic;
    while (h < total) {
        uint32_t m = UINT32_MAX;
        for (size_t i = a; i < b;) {
            size_t nx;
            uint32_t c = cp_at(t, b, i, &nx);
            if (c >= n && c < m) {
                m = c;
            }
            i = nx;
        }
        delta += (m - n) * (h + 1); /* small: at most 63 code points */
        n = m;
        for (size_t i = a; i < b;) {
            size_t nx;
            uint32_t c = cp_at(t, b, i, &nx);
            i = nx;
            if (c < n) {
                delta++;
            } else if (c == n) {
                uint32_t q = delta;
                for (uint32_t k = 36;; k += 36) {
                    uint32_t th = k <= bias        ? 1
                                  : k >= bias + 26 ? 26
                                                   : k - bias;
                    if (q < th) {
                        break;
                    }
                    out++;
                    q = (q - th) / (36 - th);
                }
                out++;
                bias = puny_adapt(delta, h + 1, h == basic);
                delta = 0;
                h++;
            }
        }
        delta++;
        n++;
    }
    return out + 4; /* "xn--" */
}

static bool is_label_sep(uint32_t c)
{
    return c == '.' || c == 0x3002 || c == 0xFF0E || c == 0xFF61;
}

/* IDNA toASCII of the domain t[a..b): its length, or NONE when it fails. */
static size_t idna_len(const unsigned char *t, size_t a, size_t b)
{
    size_t total = 0, ls = a;
    bool ascii = true;
    for (size_t i = a; i <= b;) {
        size_t nx = i + 1;
        uint32_t c = i < b ? cp_at(t, b, i, &nx) : '.';
        if (!is_label_sep(c)) {
            ascii = ascii && c < 0x80;
            i = nx;
            continue;
        }
        size_t l;
        if (ascii) {
            l = i - ls;
        } else if (starts_with_ci(t, i, ls, "xn--")) {
            return NONE; /* an ACE label must be ASCII */
        } else {
            l = puny_len(t, ls, i);
        }
        if (l == 0 || l == NONE || l > MAX_LABEL_LENGTH) {
            return NONE;
        }
        total += l + (i < b);
        ascii = true;
        ls = i = nx;
    }
    return total;
}

/* ---- URLs: the cursor ------------------------------------------------------
 */

void roost__url_scan_init(struct roost__url_scan *s, const char *text,
                          size_t len)
{
    memset(s, 0, sizeof(*s));
    s->t = (const unsigned char *)text;
    s->n = len;
}

static bool is_ascii_domain_char(uint32_t c)
{
    return is_ascii_alnum(c) || c == '-' || is_latin_accent(c);
}

/*
 * validAsciiDomain in t[from..limit): the next match as [*a, *b).
 * A failed start fails for every start in the same chain of labels, so the
 * scan resumes after it.
 */
static bool ascii_domain_next(const unsigned char *t, size_t from, size_t limit,
                              size_t *a, size_t *b)
{
    size_t q = from;
    while (q < limit) {
        size_t cur = q, best = NONE, i = q;
        for (;;) {
            i = cur;
            while (i < limit) {
                size_t nx;
                if (!is_ascii_domain_char(cp_at(t, limit, i, &nx))) {
                    break;
                }
                i = nx;
            }
            if (i == cur || i >= limit || t[i] != '.') {
                break;
            }
            cur = i + 1;
            size_t e = tld_at(t, limit, cur);
            if (e != NONE) {
                best = e;
            }
        }
        if (best != NONE) {
            *a = q;
            *b = best;
            return true;
        }
        q = i;
        if (q < limit) {
            size_t nx;
            cp_at(t, limit, q, &nx);
            q = nx;
        }
    }
    return false;
}

/* validUrlPrecedingChars: c may stand right before a URL. */
static bool url_may_follow(uint32_t c)
{
    if (is_directional(c)) {
        return true;
    }
    return !(is_ascii_alnum(c) || c == '@' || c == '$' || c == '#' ||
             c == 0xFF20 || c == 0xFF03 || is_invalid_char(c));
}

/* ... for a match starting at p, whose preceding char is still free. */
static bool url_may_start(const struct roost__url_scan *s, size_t p)
{
    if (p == 0) {
        return true;
    }
    size_t ps = prev_start(s->t, p), nx;
    return ps >= s->last_end && url_may_follow(cp_at(s->t, s->n, ps, &nx));
}

static size_t count_cps(const unsigned char *t, size_t a, size_t b)
{
    size_t k = 0;
    for (size_t i = a; i < b; i++) {
        k += (t[i] & 0xC0) != 0x80;
    }
    return k;
}

static bool sub_next(struct roost__url_scan *s, size_t *start, size_t *end)
{
    *start = s->sub_a;
    *end = s->sub_b;
    s->sub_has_next =
        ascii_domain_next(s->t, s->sub_b, s->sub_limit, &s->sub_a, &s->sub_b);
    if (!s->sub_has_next) {
        s->sub_active = false;
        if (s->sub_path) {
            *end = s->sub_url_end; /* the last domain takes the path */
        }
    }
    return true;
}

enum { URL_NONE, URL_REJECTED, URL_FOUND };

/* The extractUrl match whose URL starts at p, and its checks. */
static int url_attempt(struct roost__url_scan *s, size_t p, size_t *start,
                       size_t *end)
{
    const unsigned char *t = s->t;
    size_t n = s->n, nx;
    if (!is_domain_char(cp_at(t, n, p, &nx))) {
        return URL_NONE;
    }
    size_t proto = 0;
    if (starts_with_ci(t, n, p, "http://")) {
        proto = 7;
    } else if (starts_with_ci(t, n, p, "https://")) {
        proto = 8;
    }
    size_t d = p + proto;
    size_t de = domain_end(s, d);
    if (de == NONE) {
        return URL_NONE;
    }
    size_t ue = de;
    if (ue + 1 < n && t[ue] == ':' && t[ue + 1] >= '0' && t[ue + 1] <= '9') {
        ue++;
        while (ue < n && t[ue] >= '0' && t[ue] <= '9') {
            ue++;
        }
    }
    bool has_path = ue < n && t[ue] == '/';
    if (has_path) {
        ue = path_end(t, n, ue);
    }
    if (ue < n && t[ue] == '?') {
        size_t qe = query_end(t, n, ue);
        if (qe != NONE) {
            ue = qe;
        }
    }
    s->last_end = s->pos = ue;

    size_t idn = idna_len(t, d, de);
    if (idn == NONE ||
        (proto ? proto : 8) + count_cps(t, p, ue) - count_cps(t, d, de) + idn >
            MAX_URL_LENGTH) {
        return URL_REJECTED;
    }
    if (proto != 0) {
        if (ue - d > 5 && starts_with_ci(t, ue, d, "t.co/")) {
            size_t k = d + 5;
            while (k < ue && is_ascii_alnum(t[k])) {
                k++;
            }
            if (k > d + 5) {
                if (k - (d + 5) > MAX_TCO_SLUG_LENGTH) {
                    return URL_REJECTED;
                }
                if (k < ue && t[k] == '?') {
                    size_t qe = query_end(t, ue, k);
                    k = qe != NONE ? qe : k;
                }
                ue = k;
            }
        }
        *start = p;
        *end = ue;
        return URL_FOUND;
    }
    if (p > 0 && t[p - 1] != 0 && strchr("-_./", t[p - 1]) != NULL) {
        return URL_REJECTED; /* invalidUrlWithoutProtocolPrecedingChars */
    }
    if (!ascii_domain_next(t, d, de, &s->sub_a, &s->sub_b)) {
        return URL_REJECTED;
    }
    s->sub_active = true;
    s->sub_limit = de;
    s->sub_url_end = ue;
    s->sub_path = has_path;
    sub_next(s, start, end);
    return URL_FOUND;
}

bool roost__url_next(struct roost__url_scan *s, size_t *start, size_t *end)
{
    const unsigned char *t = s->t;
    size_t n = s->n;
    if (s->sub_active) {
        return sub_next(s, start, end);
    }
    while (s->pos < n) {
        size_t p = s->pos, nx;
        uint32_t c = cp_at(t, n, p, &nx);
        s->pos = nx;
        int r = URL_NONE;
        if (p == 0 && nx < n && url_may_follow(c)) {
            /* (?:[^...]|^): the first char as the preceding one comes
             * before the start of text as the boundary */
            r = url_attempt(s, nx, start, end);
        }
        if (r == URL_NONE && url_may_start(s, p)) {
            r = url_attempt(s, p, start, end);
        }
        if (r == URL_FOUND) {
            return true;
        }
    }
    return false;
}

/* ---- hashtags -------------------------------------------------------------
 */

struct cursor {
    const unsigned char *t;
    size_t n;
    size_t pos;
    size_t last_end;
};

/* The previous code point, if it starts at or after c->last_end. */
static bool prev_free(const struct cursor *c, size_t i, uint32_t *cp)
{
    if (i == 0) {
        return false;
    }
    size_t ps = prev_start(c->t, i), nx;
    if (ps < c->last_end) {
        return false;
    }
    *cp = cp_at(c->t, c->n, ps, &nx);
    return true;
}

/* Find the next sigil ASCII `a` or its fullwidth form EF BC `fw`. */
static size_t find_sigil(const struct cursor *c, unsigned char a,
                         unsigned char fw, size_t *slen)
{
    for (size_t i = c->pos; i < c->n; i++) {
        if (c->t[i] == a) {
            *slen = 1;
            return i;
        }
        if (c->t[i] == 0xEF && c->n - i >= 3 && c->t[i + 1] == 0xBC &&
            c->t[i + 2] == fw) {
            *slen = 3;
            return i;
        }
    }
    return NONE;
}

static bool is_hash_at(const unsigned char *t, size_t n, size_t i)
{
    return i < n && (t[i] == '#' || (n - i >= 3 && t[i] == 0xEF &&
                                     t[i + 1] == 0xBC && t[i + 2] == 0x83));
}

static bool next_hashtag(struct cursor *c, struct roost_extracted *e)
{
    const unsigned char *t = c->t;
    size_t n = c->n;
    for (;;) {
        size_t hl, h = find_sigil(c, '#', 0x83, &hl);
        if (h == NONE) {
            break;
        }
        c->pos = h + hl;
        uint32_t b;
        if (h > 0) {
            if (!prev_free(c, h, &b)) {
                continue;
            }
            if (b != 0xFE0E && b != 0xFE0F &&
                (b == '&' || (hashtag_class(b) & ROOST__UC_ALNUM))) {
                continue;
            }
        }
        size_t j = h + hl, k = j, nx;
        if (j < n) {
            uint32_t f = cp_at(t, n, j, &nx);
            if (f == 0xFE0F || f == 0x20E3) {
                continue;
            }
        }
        bool alpha = false;
        while (k < n) {
            unsigned cls = hashtag_class(cp_at(t, n, k, &nx));
            if (!(cls & ROOST__UC_ALNUM)) {
                break;
            }
            alpha = alpha || (cls & ROOST__UC_ALPHA);
            k = nx;
        }
        if (!alpha) {
            continue;
        }
        c->pos = c->last_end = k;
        if (is_hash_at(t, n, k) || scheme_sep_at(t, n, k)) {
            continue; /* endHashtagMatch */
        }
        e->kind = ROOST_ENT_HASHTAG;
        e->byte_start = (uint32_t)h;
        e->byte_end = (uint32_t)k;
        e->value_off = (uint32_t)j;
        e->value_len = (uint32_t)(k - j);
        return true;
    }
    c->pos = n;
    return false;
}

/* ---- mentions -------------------------------------------------------------
 */

static bool is_name_char(unsigned char c)
{
    return is_ascii_alnum(c) || c == '_';
}

/* validMentionPrecedingChars for an '@' at a. */
static bool mention_may_start(const struct cursor *c, size_t a)
{
    const unsigned char *t = c->t;
    uint32_t b;
    if (a == 0) {
        return true;
    }
    if (prev_free(c, a, &b) && !(is_name_char((unsigned char)b) && b < 0x80) &&
        (b >= 0x80 ? b != 0xFF20
                   : b == 0 || strchr("!#$%&*@", (int)b) == NULL)) {
        return true;
    }
    /* (?:^|[^a-zA-Z0-9_+~.-])(?:rt|RT|rT|Rt):? */
    for (int colon = 0; colon <= 1; colon++) {
        size_t r = a;
        if (colon) {
            if (r == 0 || t[r - 1] != ':') {
                continue;
            }
            r--;
        }
        if (r < 2 || r - 2 < c->last_end || (t[r - 2] | 0x20) != 'r' ||
            (t[r - 1] | 0x20) != 't') {
            continue;
        }
        if (r - 2 == 0) {
            return true;
        }
        if (prev_free(c, r - 2, &b) && !(b < 0x80 && b != 0 &&
                                         (is_name_char((unsigned char)b) ||
                                          strchr("+~.-", (int)b) != NULL))) {
            return true;
        }
    }
    return false;
}

/* endMentionMatch: an '@', a Latin accent or "://" right after. */
static bool mention_end_bad(const unsigned char *t, size_t n, size_t k)
{
    if (k >= n) {
        return false;
    }
    size_t nx;
    uint32_t c = cp_at(t, n, k, &nx);
    return c == '@' || c == 0xFF20 || is_latin_accent(c) ||
           scheme_sep_at(t, n, k);
}

static bool next_mention(struct cursor *c, struct roost_extracted *e)
{
    const unsigned char *t = c->t;
    size_t n = c->n;
    for (;;) {
        size_t al, a = find_sigil(c, '@', 0xA0, &al);
        if (a == NONE) {
            break;
        }
        c->pos = a + al;
        if (!mention_may_start(c, a)) {
            continue;
        }
        size_t k = a + al, m = k;
        while (m < n && m - k < MAX_SCREEN_NAME && is_name_char(t[m])) {
            m++;
        }
        if (m == k) {
            continue;
        }
        size_t end = m, list = 0;
        if (m + 1 < n && t[m] == '/' && is_ascii_alpha(t[m + 1])) {
            end = m + 2;
            while (end < n && end - (m + 1) < MAX_LIST_SLUG &&
                   (is_name_char(t[end]) || t[end] == '-')) {
                end++;
            }
            list = end - m;
        }
        c->pos = c->last_end = end;
        if (mention_end_bad(t, n, end)) {
            continue;
        }
        e->kind = ROOST_ENT_MENTION;
        e->byte_start = (uint32_t)a;
        e->byte_end = (uint32_t)end;
        e->value_off = (uint32_t)k;
        e->value_len = (uint32_t)(m - k);
        e->list_off = list ? (uint32_t)m : 0;
        e->list_len = (uint32_t)list;
        return true;
    }
    c->pos = n;
    return false;
}

/* ---- cashtags -------------------------------------------------------------
 */

/* (?=$|\s|[punct]) */
static bool cashtag_may_end(const unsigned char *t, size_t n, size_t i)
{
    if (i >= n) {
        return true;
    }
    size_t nx;
    uint32_t c = cp_at(t, n, i, &nx);
    return is_js_space(c) || is_punct(c);
}

static size_t alpha_run(const unsigned char *t, size_t n, size_t i)
{
    size_t k = i;
    while (k < n && is_ascii_alpha(t[k])) {
        k++;
    }
    return k - i;
}

static bool next_cashtag(struct cursor *c, struct roost_extracted *e)
{
    const unsigned char *t = c->t;
    size_t n = c->n;
    for (;;) {
        size_t sl, s = find_sigil(c, '$', 0x84, &sl);
        if (s == NONE) {
            break;
        }
        c->pos = s + 1;
        uint32_t b;
        if (sl != 1 || (s > 0 && !(prev_free(c, s, &b) && is_space(b)))) {
            continue;
        }
        size_t k = s + 1, l = alpha_run(t, n, k), end;
        if (l == 0 || l > 6) {
            continue;
        }
        end = k + l;
        size_t m = 0;
        if (end < n && (t[end] == '.' || t[end] == '_')) {
            m = alpha_run(t, n, end + 1);
        }
        if (m >= 1 && m <= 2 && cashtag_may_end(t, n, end + 1 + m)) {
            end += 1 + m;
        } else if (!cashtag_may_end(t, n, end)) {
            continue;
        }
        c->pos = c->last_end = end;
        e->kind = ROOST_ENT_CASHTAG;
        e->byte_start = (uint32_t)s;
        e->byte_end = (uint32_t)end;
        e->value_off = (uint32_t)k;
        e->value_len = (uint32_t)(end - k);
        return true;
    }
    c->pos = n;
    return false;
}

/* ---- merging --------------------------------------------------------------
 */

enum { K_URL, K_MENTION, K_HASHTAG, K_CASHTAG, N_KINDS };

struct merger {
    struct roost__url_scan url;
    struct cursor cur[N_KINDS];
    struct roost_extracted head[N_KINDS];
    bool live[N_KINDS];
};

static void advance(struct merger *m, int k)
{
    struct roost_extracted *e = &m->head[k];
    memset(e, 0, sizeof(*e));
    switch (k) {
    case K_URL: {
        size_t a, b;
        m->live[k] = roost__url_next(&m->url, &a, &b);
        if (m->live[k]) {
            e->kind = ROOST_ENT_URL;
            e->byte_start = e->value_off = (uint32_t)a;
            e->byte_end = (uint32_t)b;
            e->value_len = (uint32_t)(b - a);
        }
        break;
    }
    case K_MENTION:
        m->live[k] = next_mention(&m->cur[k], e);
        break;
    case K_HASHTAG:
        m->live[k] = next_hashtag(&m->cur[k], e);
        break;
    default:
        m->live[k] = next_cashtag(&m->cur[k], e);
        break;
    }
}

int roost_entities_extract(const char *text, size_t len, unsigned kinds,
                           struct roost_extracted *out, size_t max)
{
    if ((text == NULL && len > 0) || (out == NULL && max > 0) ||
        len > UINT32_MAX / 2) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (len == 0 || (kinds & ROOST_ENT_ALL) == 0) {
        return 0;
    }
    if (!roost_utf8_valid(text, len)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    struct merger m;
    const unsigned char *t = (const unsigned char *)text;
    roost__url_scan_init(&m.url, text, len);
    for (int k = 0; k < N_KINDS; k++) {
        m.cur[k] = (struct cursor){ .t = t, .n = len };
        advance(&m, k);
    }
    size_t kept_end = 0, cp_pos = 0, cp_idx = 0;
    int found = 0;
    for (;;) {
        int best = -1;
        for (int k = 0; k < N_KINDS; k++) {
            if (m.live[k] &&
                (best < 0 || m.head[k].byte_start < m.head[best].byte_start)) {
                best = k;
            }
        }
        if (best < 0) {
            break;
        }
        struct roost_extracted e = m.head[best];
        advance(&m, best);
        if (e.byte_start < kept_end) {
            continue; /* overlaps an earlier entity */
        }
        kept_end = e.byte_end;
        if (!(kinds & e.kind)) {
            continue;
        }
        if (found == INT32_MAX) {
            return ROOST_ERR(ROOST_ELIMIT);
        }
        if ((size_t)found < max) {
            cp_idx += count_cps(t, cp_pos, e.byte_start);
            e.start = (uint32_t)cp_idx;
            cp_idx += count_cps(t, e.byte_start, e.byte_end);
            e.end = (uint32_t)cp_idx;
            cp_pos = e.byte_end;
            out[found] = e;
        }
        found++;
    }
    return found;
}

/* ---- replies and validators -----------------------------------------------
 */

bool roost_entities_reply(const char *text, size_t len, size_t *name_off,
                          size_t *name_len)
{
    const unsigned char *t = (const unsigned char *)text;
    size_t i = 0, nx;
    if (text == NULL || !roost_utf8_valid(text, len)) {
        return false;
    }
    while (i < len && is_space(cp_at(t, len, i, &nx))) {
        i = nx;
    }
    if (i >= len) {
        return false;
    }
    uint32_t c = cp_at(t, len, i, &nx);
    if (c != '@' && c != 0xFF20) {
        return false;
    }
    size_t k = nx, m = k;
    while (m < len && m - k < MAX_SCREEN_NAME && is_name_char(t[m])) {
        m++;
    }
    if (m == k || mention_end_bad(t, len, m)) {
        return false;
    }
    *name_off = k;
    *name_len = m - k;
    return true;
}

/* Exactly one entity of `kind`, spanning all of text. */
static bool sole_entity(const char *text, size_t len, unsigned kind,
                        struct roost_extracted *e)
{
    struct roost_extracted ex[2];
    int n = roost_entities_extract(text, len, kind, ex, 2);
    if (n != 1 || ex[0].byte_start != 0 || ex[0].byte_end != len) {
        return false;
    }
    *e = ex[0];
    return true;
}

bool roost_entities_is_valid_username(const char *text, size_t len)
{
    struct roost_extracted e;
    return sole_entity(text, len, ROOST_ENT_MENTION, &e) && e.list_len == 0;
}

bool roost_entities_is_valid_list(const char *text, size_t len)
{
    struct roost_extracted e;
    return sole_entity(text, len, ROOST_ENT_MENTION, &e) && e.list_len > 0;
}

bool roost_entities_is_valid_hashtag(const char *text, size_t len)
{
    struct roost_extracted e;
    return sole_entity(text, len, ROOST_ENT_HASHTAG, &e);
}

/* ---- URL validation (twitter-text validator isValidUrl) -------------------
 */

static bool is_unreserved(uint32_t c)
{
    return is_ascii_alnum(c) || is_cyrillic(c) ||
           (c < 0x80 && c != 0 && strchr("-._~", (int)c) != NULL);
}

static bool is_sub_delim(uint32_t c)
{
    return c < 0x80 && c != 0 && strchr("!$&'()*+,;=", (int)c) != NULL;
}

static bool is_hex(unsigned char c)
{
    return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

/*
 * Every code point of t[a..b) is unreserved, %XX, a sub-delim or one of
 * `extra` (ASCII).
 */
static bool all_pchars(const unsigned char *t, size_t a, size_t b,
                       const char *extra)
{
    for (size_t i = a; i < b;) {
        size_t nx;
        uint32_t c = cp_at(t, b, i, &nx);
        if (c == '%') {
            if (b - i < 3 || !is_hex(t[i + 1]) || !is_hex(t[i + 2])) {
                return false;
            }
            nx = i + 3;
        } else if (!is_unreserved(c) && !is_sub_delim(c) &&
                   !(c < 0x80 && c != 0 && strchr(extra, (int)c) != NULL)) {
            return false;
        }
        i = nx;
    }
    return true;
}

static bool valid_ipv4(const unsigned char *t, size_t a, size_t b)
{
    int parts = 0;
    size_t i = a;
    while (parts < 4) {
        size_t k = i;
        unsigned v = 0;
        while (k < b && k - i < 3 && t[k] >= '0' && t[k] <= '9') {
            v = v * 10 + (unsigned)(t[k] - '0');
            k++;
        }
        if (k == i || v > 255 || (t[i] == '0' && k - i > 1)) {
            return false;
        }
        parts++;
        if (parts == 4) {
            return k == b;
        }
        if (k >= b || t[k] != '.') {
            return false;
        }
        i = k + 1;
    }
    return false;
}

static bool valid_ipv6(const unsigned char *t, size_t a, size_t b)
{
    int groups = 0;
    bool gap = false;
    size_t i = a;
    if (b - a >= 2 && t[a] == ':' && t[a + 1] == ':') {
        gap = true;
        i = a + 2;
        if (i == b) {
            return true;
        }
    }
    while (i < b) {
        size_t k = i;
        while (k < b && k - i < 4 && is_hex(t[k])) {
            k++;
        }
        if (k < b && t[k] == '.') { /* trailing IPv4 */
            return valid_ipv4(t, i, b) && groups + 2 + (gap ? 1 : 0) <= 8;
        }
        if (k == i) {
            return false;
        }
        groups++;
        if (k == b) {
            break;
        }
        if (t[k] != ':') {
            return false;
        }
        i = k + 1;
        if (i < b && t[i] == ':') {
            if (gap) {
                return false;
            }
            gap = true;
            i++;
            if (i == b) {
                break;
            }
        } else if (i == b) {
            return false;
        }
    }
    return gap ? groups <= 7 : groups == 8;
}

/* One label of validateUrlUnicodeDomain: `first`, inner and last classes. */
static bool valid_host_label(const unsigned char *t, size_t a, size_t b,
                             bool tld, bool allow_us)
{
    if (a >= b) {
        return false;
    }
    uint32_t last = 0;
    for (size_t i = a; i < b;) {
        size_t nx;
        uint32_t c = cp_at(t, b, i, &nx);
        bool ok = c >= 0x80 || is_ascii_alnum(c) ||
                  (i > a && (c == '-' || (allow_us && c == '_')));
        if (!ok || (i == a && tld && c < 0x80 && !is_ascii_alpha(c))) {
            return false;
        }
        last = c;
        i = nx;
    }
    return last >= 0x80 || is_ascii_alnum(last);
}

static bool valid_unicode_domain(const unsigned char *t, size_t a, size_t b)
{
    size_t last_dot = NONE, prev_dot = NONE;
    for (size_t i = a; i < b; i++) {
        if (t[i] == '.') {
            prev_dot = last_dot;
            last_dot = i;
        }
    }
    if (last_dot == NONE) {
        return false;
    }
    size_t seg = prev_dot == NONE ? a : prev_dot + 1;
    if (!valid_host_label(t, last_dot + 1, b, true, false) ||
        !valid_host_label(t, seg, last_dot, false, false)) {
        return false;
    }
    for (size_t i = a; i < seg;) {
        size_t k = i;
        while (t[k] != '.') {
            k++;
        }
        if (!valid_host_label(t, i, k, false, true)) {
            return false;
        }
        i = k + 1;
    }
    return true;
}

static bool valid_authority(const unsigned char *t, size_t a, size_t b)
{
    size_t at = NONE;
    for (size_t i = a; i < b; i++) {
        if (t[i] == '@') {
            if (at != NONE) {
                return false;
            }
            at = i;
        }
    }
    if (at != NONE) {
        if (!all_pchars(t, a, at, ":")) {
            return false;
        }
        a = at + 1;
    }
    size_t he = b;
    if (a < b && t[a] == '[') {
        size_t k = a + 1;
        while (k < b && t[k] != ']') {
            k++;
        }
        if (k >= b || !valid_ipv6(t, a + 1, k)) {
            return false;
        }
        he = k + 1;
        if (he < b && t[he] != ':') {
            return false;
        }
    } else {
        for (size_t i = a; i < b; i++) {
            if (t[i] == ':') {
                he = i;
                break;
            }
        }
        if (!valid_ipv4(t, a, he) && !valid_unicode_domain(t, a, he)) {
            return false;
        }
    }
    for (size_t i = he + 1; i < b; i++) {
        if (t[i] < '0' || t[i] > '9') {
            return false;
        }
    }
    return true;
}

bool roost_entities_is_valid_url(const char *text, size_t len,
                                 bool require_protocol)
{
    const unsigned char *t = (const unsigned char *)text;
    if (text == NULL || len == 0 || !roost_utf8_valid(text, len)) {
        return false;
    }
    size_t i = 0, scheme_end = NONE;
    while (i < len && strchr(":/?#", t[i]) == NULL) {
        i++;
    }
    if (i > 0 && len - i >= 3 && memcmp(t + i, "://", 3) == 0) {
        scheme_end = i;
    }
    if (require_protocol &&
        (scheme_end == NONE ||
         !(scheme_end == 4
               ? starts_with_ci(t, len, 0, "http")
               : scheme_end == 5 && starts_with_ci(t, len, 0, "https")))) {
        return false;
    }
    size_t a = scheme_end == NONE ? 0 : scheme_end + 3, b = a;
    while (b < len && strchr("/?#", t[b]) == NULL) {
        b++;
    }
    size_t pe = b;
    while (pe < len && t[pe] != '?' && t[pe] != '#') {
        pe++;
    }
    size_t qe = pe;
    if (pe < len && t[pe] == '?') {
        qe = pe + 1;
        while (qe < len && t[qe] != '#') {
            qe++;
        }
        if (!all_pchars(t, pe + 1, qe, ":@|/?")) {
            return false;
        }
    }
    if (qe < len) { /* '#' fragment; (.*) stops at line breaks */
        for (size_t k = qe + 1; k < len; k++) {
            if (t[k] == '\n' || t[k] == '\r') {
                return false;
            }
        }
        if (!all_pchars(t, qe + 1, len, ":@|/?")) {
            return false;
        }
    }
    if (b < pe && (t[b] != '/' || !all_pchars(t, b, pe, ":@|/"))) {
        return false;
    }
    return valid_authority(t, a, b);
}
