/* SPDX-License-Identifier: MIT
 *
 * html.c - HTML character references and Mastodon HTML to plain text.
 *
 * Two small one-pass converters, both writing into the normalizer's arena.
 * Neither output is ever longer than its input (every reference and every
 * tag we act on decodes to fewer bytes than it is written with), so each
 * call makes exactly one allocation of s.len bytes and runs in O(s.len).
 *
 * References: the named ones below, decimal &#NN; and hex &#xNN;. A
 * reference that is unknown, lacks its ';', or names no Unicode scalar
 * value (0, a surrogate, > U+10FFFF) is kept literally, so "AT&T" and
 * "&bogus;" survive unchanged.
 *
 * Text: this follows what Mastodon's own web client indexes for search
 * (normalizer.js: `<br>` -> "\n", `</p><p>` -> "\n\n", then the DOM's
 * textContent), not the server's PlainTextFormatter (which gives a single
 * "\n" between paragraphs and is used for notifications). textContent keeps
 * the text of `<span class="invisible">` and `<span class="ellipsis">`, so
 * a link shortened on screen ("example.com/very…") appears as its full URL
 * text here, which is what matching and URL extraction need. Hence:
 *   - <br> gives "\n"; a paragraph-like block (p, div, blockquote, pre,
 *     ul, ol, h1..h6) boundary gives "\n\n" and li a "\n", but only between
 *     pieces of text: never leading or trailing;
 *   - every other tag, comments and <!...>/<?...> are dropped, text kept;
 *   - a '<' not followed by a letter, '/', '!' or '?' is text ("a < b");
 *   - a tag that never ends (no '>' outside quotes before the end) is
 *     kept as text from its '<' to the end, so no input is silently lost
 *     and the scan stays linear.
 */
#include <assert.h>
#include <stdbool.h>
#include <string.h>

#include "parse/post_int.h"

/* ---- character references ------------------------------------------------ */

struct named_ref {
    const char *name;
    const char *utf8;
};

/* Each expansion is shorter than "&name;" (see the length invariant). */
static const struct named_ref named_refs[] = {
    { "amp", "&" },
    { "lt", "<" },
    { "gt", ">" },
    { "quot", "\"" },
    { "apos", "'" },
    { "nbsp", "\xC2\xA0" },
    { "hellip", "\xE2\x80\xA6" },
    { "mdash", "\xE2\x80\x94" },
    { "ndash", "\xE2\x80\x93" },
    { "lsquo", "\xE2\x80\x98" },
    { "rsquo", "\xE2\x80\x99" },
    { "ldquo", "\xE2\x80\x9C" },
    { "rdquo", "\xE2\x80\x9D" },
    { "laquo", "\xC2\xAB" },
    { "raquo", "\xC2\xBB" },
    { "copy", "\xC2\xA9" },
    { "reg", "\xC2\xAE" },
    { "trade", "\xE2\x84\xA2" },
    { "middot", "\xC2\xB7" },
    { "bull", "\xE2\x80\xA2" },
    { "euro", "\xE2\x82\xAC" },
    { "deg", "\xC2\xB0" },
    { "times", "\xC3\x97" },
};

#define REF_MAX_NAME 8 /* longest name we know, plus room to fail fast */

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int hex_val(char c)
{
    if (is_digit(c)) {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/*
 * Decode the reference at p[0] == '&' within p[0..len). On success write
 * its UTF-8 to out and return the bytes consumed (always more than the
 * bytes written); return 0 when it is not a reference we decode.
 */
static size_t decode_ref(const char *p, size_t len, char *out, size_t *out_len)
{
    if (len < 4) {
        return 0; /* "&lt;" is the shortest */
    }
    if (p[1] == '#') {
        size_t i = 2;
        bool hex = i < len && (p[i] == 'x' || p[i] == 'X');
        uint32_t cp = 0;
        size_t digits = 0;
        i += hex;
        for (; i < len && digits < 12; i++, digits++) {
            int v = hex ? hex_val(p[i]) : (is_digit(p[i]) ? p[i] - '0' : -1);
            if (v < 0) {
                break;
            }
            if (cp <= 0x10FFFF) {
                cp = cp * (hex ? 16u : 10u) + (uint32_t)v;
            }
        }
        if (digits == 0 || i >= len || p[i] != ';') {
            return 0;
        }
        if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        *out_len = roost_utf8_encode(cp, out);
        return i + 1;
    }
    size_t i = 1;
    while (i < len && i <= REF_MAX_NAME && is_alpha(p[i])) {
        i++;
    }
    if (i == 1 || i >= len || p[i] != ';') {
        return 0;
    }
    size_t name_len = i - 1;
    for (size_t k = 0; k < sizeof(named_refs) / sizeof(named_refs[0]); k++) {
        const struct named_ref *r = &named_refs[k];
        if (strlen(r->name) == name_len &&
            memcmp(r->name, p + 1, name_len) == 0) {
            size_t ol = strlen(r->utf8);
            memcpy(out, r->utf8, ol);
            *out_len = ol;
            return i + 1;
        }
    }
    return 0;
}

/* Append p[0..len) to out with references decoded; returns bytes written.
 * Writes at most len bytes. */
static size_t unescape_into(const char *p, size_t len, char *out)
{
    size_t o = 0;
    size_t i = 0;
    while (i < len) {
        const char *amp = memchr(p + i, '&', len - i);
        size_t run = amp ? (size_t)(amp - (p + i)) : len - i;
        memmove(out + o, p + i, run);
        o += run;
        i += run;
        if (i >= len) {
            break;
        }
        size_t wl = 0;
        size_t used = decode_ref(p + i, len - i, out + o, &wl);
        if (used == 0) {
            out[o++] = '&';
            i++;
            continue;
        }
        o += wl;
        i += used;
    }
    return o;
}

struct roost_str roost__html_unescape(struct roost_norm *n, struct roost_str s)
{
    if (s.ptr == NULL || memchr(s.ptr, '&', s.len) == NULL) {
        return s;
    }
    char *out = roost_arena_alloc(&n->arena, s.len + 1);
    if (out == NULL) {
        return ROOST_STR_NULL;
    }
    size_t o = unescape_into(s.ptr, s.len, out);
    out[o] = '\0';
    return roost_str_make(out, o);
}

/* ---- HTML to text -------------------------------------------------------- */

enum brk {
    BRK_NONE = 0,
    BRK_LINE = 1, /* "\n" */
    BRK_PARA = 2, /* "\n\n" */
};

struct text_out {
    char *buf;
    size_t len;
    enum brk pending; /* a block boundary not yet written */
};

static void flush_break(struct text_out *t)
{
    if (t->len > 0) {
        for (int k = 0; k < (int)t->pending; k++) {
            t->buf[t->len++] = '\n';
        }
    }
    t->pending = BRK_NONE;
}

static bool name_is(const char *p, size_t len, const char *name)
{
    size_t n = strlen(name);
    if (len != n) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z') {
            c = (char)(c + 32);
        }
        if (c != name[i]) {
            return false;
        }
    }
    return true;
}

/* The break a tag stands for. <br> is handled by the caller. */
static enum brk tag_break(const char *name, size_t len)
{
    static const char *const para[] = { "p",  "div", "blockquote", "pre",
                                        "ul", "ol",  "h1",         "h2",
                                        "h3", "h4",  "h5",         "h6" };
    for (size_t i = 0; i < sizeof(para) / sizeof(para[0]); i++) {
        if (name_is(name, len, para[i])) {
            return BRK_PARA;
        }
    }
    if (name_is(name, len, "li")) {
        return BRK_LINE;
    }
    return BRK_NONE;
}

/*
 * End of the tag starting at s[i] == '<' (index just past its '>'), or 0
 * if it never ends. Quotes count only as attribute values (after '='), so
 * a stray apostrophe in a malformed tag cannot swallow the document.
 */
static size_t tag_end(const char *s, size_t len, size_t i)
{
    char prev = 0;
    for (size_t k = i + 1; k < len; k++) {
        char c = s[k];
        if (c == '>') {
            return k + 1;
        }
        if ((c == '"' || c == '\'') && prev == '=') {
            const char *q = memchr(s + k + 1, c, len - k - 1);
            if (q == NULL) {
                return 0;
            }
            k = (size_t)(q - s);
            prev = c;
            continue;
        }
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            prev = c;
        }
    }
    return 0;
}

/* Find "-->" from s[i]; index past it, or len when the comment never ends
 * (HTML drops an unterminated comment to the end). */
static size_t comment_end(const char *s, size_t len, size_t i)
{
    for (size_t k = i; k + 2 < len; k++) {
        if (s[k] == '-' && s[k + 1] == '-' && s[k + 2] == '>') {
            return k + 3;
        }
    }
    return len;
}

static void emit_text(struct text_out *t, const char *p, size_t len)
{
    if (len == 0) {
        return;
    }
    flush_break(t);
    t->len += unescape_into(p, len, t->buf + t->len);
}

struct roost_str roost__html_to_text(struct roost_norm *n, struct roost_str s)
{
    if (s.ptr == NULL) {
        return s;
    }
    if (memchr(s.ptr, '<', s.len) == NULL) {
        return roost__html_unescape(n, s);
    }
    /* Invariant: output <= input. Text copies or shrinks; "<br>" (4) gives
     * 1; a break of 2 is charged to a tag of >= 3 bytes ("<p>", "</p>"). */
    struct text_out t = { roost_arena_alloc(&n->arena, s.len + 1), 0,
                          BRK_NONE };
    if (t.buf == NULL) {
        return ROOST_STR_NULL;
    }
    const char *p = s.ptr;
    size_t len = s.len;
    size_t i = 0;
    while (i < len) {
        const char *lt = memchr(p + i, '<', len - i);
        size_t run = lt ? (size_t)(lt - (p + i)) : len - i;
        emit_text(&t, p + i, run);
        i += run;
        if (i >= len) {
            break;
        }
        char c1 = i + 1 < len ? p[i + 1] : 0;
        if (c1 == '!' && i + 3 < len && p[i + 2] == '-' && p[i + 3] == '-') {
            i = comment_end(p, len, i + 4);
            continue;
        }
        bool closing = c1 == '/';
        char c2 = closing ? (i + 2 < len ? p[i + 2] : 0) : c1;
        if (!is_alpha(c2) && c1 != '!' && c1 != '?') {
            emit_text(&t, p + i, 1); /* a '<' that opens no tag */
            i++;
            continue;
        }
        size_t end = tag_end(p, len, i);
        if (end == 0) {
            emit_text(&t, p + i, len - i);
            break;
        }
        size_t name_at = i + 1 + (closing ? 1 : 0);
        size_t name_len = 0;
        while (name_at + name_len < end && (is_alpha(p[name_at + name_len]) ||
                                            is_digit(p[name_at + name_len]))) {
            name_len++;
        }
        if (name_is(p + name_at, name_len, "br")) {
            flush_break(&t);
            t.buf[t.len++] = '\n';
        } else {
            enum brk b = tag_break(p + name_at, name_len);
            if (b > t.pending) {
                t.pending = b;
            }
        }
        i = end;
    }
    t.buf[t.len] = '\0';
    assert(t.len <= s.len);
    return roost_str_make(t.buf, t.len);
}
