/* SPDX-License-Identifier: MIT
 *
 * tokenize.c - words for word counts, and simple case folding.
 *
 * The tokenizer is one pass over UTF-8 with no allocation; folded words
 * are built in a small stack buffer (words over 256 bytes are cut there).
 * It is deliberately simple and fast; language-aware segmentation (CJK
 * dictionaries) is out of scope.
 */
#include <string.h>

#include "parse/tokenize.h"

#define WORD_MAX 256

uint32_t roost_fold_cp(uint32_t c)
{
    if (c < 0x80) {
        return (c >= 'A' && c <= 'Z') ? c + 32 : c;
    }
    if (c >= 0xC0 && c <= 0xDE && c != 0xD7) {
        return c + 32;
    }
    if (c >= 0x100 && c <= 0x17F) {
        /* Latin Extended-A: mostly even capital, odd small; 0x130-0x131
         * (dotted/dotless i) and 0x138-0x148 / 0x179-0x17E run odd-even. */
        if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E)) {
            return (c & 1) ? c + 1 : c;
        }
        if (c == 0x178) {
            return 0xFF; /* Y with diaeresis: its small letter is Latin-1 */
        }
        if (c == 0x130 || c == 0x131 || c == 0x138 || c == 0x149 ||
            c == 0x17F) {
            return c;
        }
        return (c & 1) ? c : c + 1;
    }
    if (c >= 0x391 && c <= 0x3AB && c != 0x3A2) {
        return c + 32;
    }
    if (c >= 0x410 && c <= 0x42F) {
        return c + 32;
    }
    if (c >= 0x400 && c <= 0x40F) {
        return c + 80;
    }
    return c;
}

int roost_fold_case(const char *s, size_t len, struct roost_buf *out)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;
    int rc = roost_buf_reserve(out, len);
    if (rc < 0) {
        return rc;
    }
    while (i < len) {
        if (p[i] < 0x80) {
            char c = (char)p[i];
            if (c >= 'A' && c <= 'Z') {
                c = (char)(c + 32);
            }
            rc = roost_buf_addc(out, c);
            i++;
        } else {
            uint32_t cp;
            size_t n = roost_utf8_decode(p + i, len - i, &cp);
            if (n == 0) {
                rc = roost_buf_addc(out, (char)p[i]);
                i++;
            } else {
                char enc[4];
                size_t m = roost_utf8_encode(roost_fold_cp(cp), enc);
                rc = roost_buf_add(out, enc, m);
                i += n;
            }
        }
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static bool is_sep_cp(uint32_t c)
{
    if (c < 0x80) {
        return !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_');
    }
    return c == 0xA0 || (c >= 0xA1 && c <= 0xBF && c != 0xAA && c != 0xB5 &&
                         c != 0xBA) ||
           c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x206F) ||
           (c >= 0x3000 && c <= 0x303F) || (c >= 0xFF00 && c <= 0xFF0F) ||
           (c >= 0xFF1A && c <= 0xFF20) || c == 0xFEFF ||
           (c >= 0x1F000 && c <= 0x1FAFF) || /* emoji: not words */
           (c >= 0x2190 && c <= 0x2BFF) || (c >= 0xFE00 && c <= 0xFE0F);
}

/* next_cp - the code point at p (len > 0 bytes), ' ' when invalid: an
 * apostrophe is inner when the character after it, not its first byte, is
 * a word character ("x'ש" is one word; "rock'—" is "rock"). */
static uint32_t next_cp(const unsigned char *p, size_t len)
{
    uint32_t c = p[0];
    if (c >= 0x80 && roost_utf8_decode(p, len, &c) == 0) {
        c = ' ';
    }
    return c;
}

/* Length of the URL or mention token starting at i, or 0. */
static size_t skip_token(const char *s, size_t len, size_t i)
{
    bool url = (len - i > 7 && strncmp(s + i, "http://", 7) == 0) ||
               (len - i > 8 && strncmp(s + i, "https://", 8) == 0);
    bool mention = s[i] == '@';
    if (!url && !mention) {
        return 0;
    }
    size_t j = i + 1;
    while (j < len && s[j] != ' ' && s[j] != '\n' && s[j] != '\t' &&
           s[j] != '\r') {
        if (mention && !((s[j] >= 'a' && s[j] <= 'z') ||
                         (s[j] >= 'A' && s[j] <= 'Z') ||
                         (s[j] >= '0' && s[j] <= '9') || s[j] == '_')) {
            break;
        }
        j++;
    }
    return j - i;
}

int roost_tokenize_words(const char *text, size_t len, roost_word_fn *fn,
                         void *arg)
{
    const unsigned char *p = (const unsigned char *)text;
    char word[WORD_MAX + 4];
    size_t wlen = 0;
    size_t i = 0;
    while (i <= len) {
        uint32_t cp = ' ';
        size_t n = 1;
        if (i < len) {
            if (wlen == 0) {
                size_t skip = skip_token(text, len, i);
                if (skip > 0) {
                    i += skip;
                    continue;
                }
            }
            if (p[i] < 0x80) {
                cp = p[i];
            } else {
                n = roost_utf8_decode(p + i, len - i, &cp);
                if (n == 0) {
                    cp = ' ';
                    n = 1;
                }
            }
        }
        bool inner_apos = (cp == '\'' || cp == 0x2019) && wlen > 0 &&
                          i + n < len && !is_sep_cp(next_cp(p + i + n,
                                                            len - i - n));
        if (i < len && (!is_sep_cp(cp) || inner_apos)) {
            if (inner_apos) {
                cp = '\'';
            }
            if (wlen + 4 <= WORD_MAX) {
                wlen += roost_utf8_encode(roost_fold_cp(cp), word + wlen);
            }
        } else if (wlen > 0) {
            int rc = fn(arg, word, wlen);
            if (rc != 0) {
                return rc;
            }
            wlen = 0;
        }
        i += n;
    }
    return 0;
}
