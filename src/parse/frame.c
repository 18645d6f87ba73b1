/* SPDX-License-Identifier: MIT
 *
 * frame.c - record framing of a byte stream (JSONL, documents, arrays, SSE).
 *
 * The framer keeps one buffer: buf[pos..len) is unconsumed input, and a
 * record being scanned starts at rec_start and has been scanned up to
 * `scan`, so a record split over many feeds is scanned once, byte by byte
 * state (depth, in_str, esc) surviving between calls. feed() compacts the
 * buffer, moving only the pending partial record; next() never moves bytes,
 * which is why a record stays valid until the next call.
 *
 * Line-based modes (JSONL, LINES, SSE) find records with memchr(); the
 * document modes (DOCS, ARRAY) run a small structural scanner that skips
 * string bodies 16 bytes at a time. Mode detection (AUTO) runs that scanner
 * on the first value, decides, and rewinds.
 *
 * Oversize records: once the pending part of a record passes
 * max_record_bytes, its first ROOST_FRAME_PREFIX_BYTES are handed out with
 * ROOST_ELIMIT, the rest of the buffer is cut off, and `skipping` discards
 * the remainder as it arrives: up to the next newline in line modes, or to
 * the end of the value (the scanner keeps running) in document modes.
 *
 * Borrowed feeds: `buf` is either `own` (framer storage) or a buffer the
 * caller lent. A lent buffer waits in `lend` until everything before it is
 * framed: if nothing is pending, buf simply becomes the lent buffer and its
 * records are views into it; if a record is pending (split across feeds),
 * it is moved into `own` and grown from `lend` in pieces of at least 64 KiB
 * (absorb()); buf goes back to the lent buffer as soon as every pending
 * byte in own is a copy of lent bytes (reborrow()). Either way the
 * scanners see one buffer and keep their state, so framing cannot depend
 * on how the stream was fed. Records cut from such copies are handed out
 * as views of the originals (view()).
 * next() says ROOST_EAGAIN only when `lend` is empty, which is what lets a
 * caller release a lent buffer at its next feed.
 *
 * Start at roost_frame_next().
 */
#include <assert.h>
#include <string.h>

#include "core/mem.h"
#include "parse/frame.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif /* __SSE2__ */

enum {
    KIND_NONE = 0, /* between records */
    KIND_CONTAINER,
    KIND_STRING,
    KIND_SCALAR,
};

#define FRAME_DEFAULT_MAX (16u << 20)
#define FRAME_MIN_CAP (64u << 10)

static bool is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* ---- lifecycle ---------------------------------------------------------- */

void roost_frame_init(struct roost_frame *f, size_t max_record_bytes)
{
    memset(f, 0, sizeof(*f));
    f->max_record_bytes = max_record_bytes ? max_record_bytes
                                           : FRAME_DEFAULT_MAX;
    f->max_buf = 2 * f->max_record_bytes + ROOST_FRAME_FEED_SLACK;
    f->line = 1;
    f->mode = ROOST_FRAME_AUTO;
    roost_buf_init(&f->sse_data, f->max_record_bytes);
}

void roost_frame_fini(struct roost_frame *f)
{
    roost_free(f->own);
    roost_buf_fini(&f->sse_data);
    memset(f, 0, sizeof(*f));
}

int roost_frame_set_mode(struct roost_frame *f, enum roost_frame_mode mode)
{
    if (f->base + f->len + f->lend_len > 0 || f->eof ||
        mode > ROOST_FRAME_LINES) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    f->mode = (uint8_t)mode;
    return 0;
}

/* rebase - buf[pos..len) now starts at index 0 of the buffer. */
static void rebase(struct roost_frame *f)
{
    assert(f->scan >= f->pos);
    f->scan -= f->pos;
    f->rec_start = f->rec_start >= f->pos ? f->rec_start - f->pos : 0;
    f->base += f->pos;
    f->len -= f->pos;
    f->pos = 0;
    if (f->lent_tail > f->len) {
        f->lent_tail = f->len;
    }
}

/*
 * hold - move the pending bytes buf[pos..len) to the start of `own`, with
 * room for `extra` more after them.
 * Returns: 0, ROOST_ELIMIT past max_buf (nothing is moved but a compaction
 * of own) or ROOST_ENOMEM.
 */
static int hold(struct roost_frame *f, size_t extra)
{
    bool in_own = f->buf == f->own;
    if (in_own && f->pos > 0) {
        memmove(f->own, f->own + f->pos, f->len - f->pos);
        rebase(f);
    }
    size_t keep = f->len - f->pos;
    if (extra > f->max_buf - keep) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    if (keep + extra > f->cap) {
        size_t ncap = f->cap ? f->cap * 2 : FRAME_MIN_CAP;
        while (ncap < keep + extra) {
            ncap *= 2;
        }
        if (ncap > f->max_buf) {
            ncap = f->max_buf;
        }
        char *nb = roost_realloc(f->own, ncap);
        if (nb == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        f->own = nb;
        f->cap = ncap;
        if (in_own) {
            f->buf = nb;
        }
    }
    if (!in_own) {
        memcpy(f->own, f->buf + f->pos, keep);
        rebase(f);
        f->buf = f->own;
    }
    return 0;
}

int roost_frame_feed(struct roost_frame *f, const char *p, size_t len)
{
    if (f->eof || f->lend_len > 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (len == 0) {
        return 0;
    }
    int rc = hold(f, len);
    if (rc < 0) {
        return rc;
    }
    memcpy(f->own + f->len, p, len);
    f->len += len;
    f->lent_tail = 0;
    return 0;
}

int roost_frame_feed_borrowed(struct roost_frame *f, const char *p, size_t len)
{
    if (f->eof || f->lend_len > 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (len == 0) {
        return 0;
    }
    /* Let go of the previous lent buffer: the caller may release it now. */
    if (f->buf != f->own && f->pos < f->len) {
        int rc = hold(f, 0);
        if (rc < 0) {
            return rc;
        }
    }
    f->lend = p;
    f->lend_len = len;
    f->lent_tail = 0;
    return 0;
}

/*
 * reborrow - if every pending byte in own is a copy of lent bytes, frame
 * from the lent buffer itself again: the records ahead are views, and no
 * more of it is copied. Indices shift as in a compaction, so this may run
 * between any two scanner steps.
 */
static void reborrow(struct roost_frame *f)
{
    size_t pending = f->len - f->pos;
    if (f->lent_tail == 0 || f->lent_tail < pending) {
        return;
    }
    assert(f->buf == f->own);
    rebase(f);
    f->buf = f->lend - pending;
    f->len = pending + f->lend_len;
    f->lend = NULL;
    f->lend_len = 0;
    f->lent_tail = 0;
}

/*
 * absorb - take bytes from `lend`: switch to it when nothing is pending,
 * else grow the pending record in own by a piece of it (at least doubling
 * it, so a record split across feeds is copied O(1) times).
 */
static int absorb(struct roost_frame *f)
{
    assert(f->lend_len > 0);
    if (f->pos == f->len) {
        f->base += f->len;
        f->buf = f->lend;
        f->len = f->lend_len;
        f->pos = f->scan = f->rec_start = 0;
        f->lend = NULL;
        f->lend_len = 0;
        f->lent_tail = 0;
        return 0;
    }
    size_t keep = f->len - f->pos;
    if (f->lent_tail >= keep) {
        reborrow(f); /* what is pending began in the lent buffer */
        return 0;
    }
    size_t n = keep > FRAME_MIN_CAP ? keep : FRAME_MIN_CAP;
    if (n > f->lend_len) {
        n = f->lend_len;
    }
    /* Pending bytes stay within max_record_bytes (more is oversize), so
     * this never reaches max_buf; clamp anyway. */
    if (n > f->max_buf - keep) {
        n = f->max_buf - keep;
    }
    int rc = hold(f, n);
    if (rc < 0) {
        return rc;
    }
    memcpy(f->own + f->len, f->lend, n);
    f->len += n;
    f->lend += n;
    f->lend_len -= n;
    f->lent_tail += n;
    return 0;
}

void roost_frame_finish(struct roost_frame *f)
{
    f->eof = true;
}

/* ---- helpers ------------------------------------------------------------ */

/* prefix_bytes - how much of an oversize record is reported: the same
 * whether it arrived in one piece or was noticed while streaming. */
static size_t prefix_bytes(const struct roost_frame *f)
{
    return f->max_record_bytes < ROOST_FRAME_PREFIX_BYTES
               ? f->max_record_bytes
               : ROOST_FRAME_PREFIX_BYTES;
}

/* view - where the record at buf[s] is to be read: in the lent buffer
 * when own holds only a copy of it. */
static const char *view(const struct roost_frame *f, size_t s)
{
    if (f->lent_tail > 0 && s >= f->len - f->lent_tail) {
        return f->lend - (f->len - s);
    }
    return f->buf + s;
}

static int emit(struct roost_frame *f, struct roost_record *out, size_t s,
                size_t n, uint64_t line)
{
    out->ptr = view(f, s);
    out->len = n;
    out->line = line;
    out->offset = f->base + s;
    f->n_records++;
    return 0;
}

static int emit_err(struct roost_frame *f, struct roost_record *out,
                    struct roost_diag *diag, int rc, size_t s, size_t n,
                    uint64_t line, const char *why)
{
    out->ptr = view(f, s);
    out->len = n;
    out->line = line;
    out->offset = f->base + s;
    if (rc == ROOST_ELIMIT) {
        f->n_oversize++;
        if (out->len > prefix_bytes(f)) {
            out->len = prefix_bytes(f);
        }
    } else {
        f->n_broken++;
    }
    roost_diag_set(diag, rc, out->offset, "%s", why);
    if (diag != NULL) {
        diag->line = line;
    }
    return rc;
}

/*
 * oversize - report the pending record at s as too big, cut the buffer
 * after its prefix and skip the rest as it arrives.
 */
static int oversize(struct roost_frame *f, struct roost_record *out,
                    struct roost_diag *diag, size_t s, uint64_t line)
{
    int rc = emit_err(f, out, diag, ROOST_ERR(ROOST_ELIMIT), s, f->len - s,
                      line, "record over max_record_bytes");
    /* Consumed, not cut: the prefix view stays readable until the next
     * feed, which then compacts the whole buffer away. */
    f->pos = f->len;
    f->scan = f->len;
    f->skipping = true;
    return rc;
}

/* ended - no byte of the stream is left beyond buf[len). */
static bool ended(const struct roost_frame *f)
{
    return f->eof && f->lend_len == 0;
}

/* end_of_input - nothing pending: ask for bytes, or say the stream ended. */
static int end_of_input(const struct roost_frame *f)
{
    return ended(f) ? ROOST_ENOENT : ROOST_EAGAIN;
}

/* pairs - first and last byte of a trimmed JSONL line fit together. */
static bool pairs(const char *p, size_t n)
{
    char a = p[0];
    char z = p[n - 1];
    switch (a) {
    case '{':
        return n >= 2 && z == '}';
    case '[':
        return n >= 2 && z == ']';
    case '"':
        return n >= 2 && z == '"';
    default:
        return z != '{' && z != '[' && z != ',' && z != ':';
    }
}

/* ---- line modes (JSONL, LINES) ------------------------------------------ */

/* skip_line - in skip mode, drop bytes up to and including a newline.
 * Returns: true when the skipped record ended. */
static bool skip_line(struct roost_frame *f)
{
    const char *nl = memchr(f->buf + f->scan, '\n', f->len - f->scan);
    if (nl == NULL) {
        f->pos = f->scan = f->len;
        return false;
    }
    f->pos = f->scan = (size_t)(nl - f->buf) + 1;
    f->line++;
    f->skipping = false;
    return true;
}

static int next_line(struct roost_frame *f, struct roost_record *out,
                     struct roost_diag *diag)
{
    for (;;) {
        reborrow(f);
        if (f->skipping && !skip_line(f)) {
            if (ended(f)) {
                f->skipping = false;
            }
            return end_of_input(f);
        }
        if (f->pos == f->len) {
            return end_of_input(f);
        }
        const char *nl = memchr(f->buf + f->scan, '\n', f->len - f->scan);
        size_t e;
        size_t next;
        if (nl == NULL) {
            if (f->len - f->pos > f->max_record_bytes) {
                return oversize(f, out, diag, f->pos, f->line);
            }
            if (!ended(f)) {
                f->scan = f->len;
                return ROOST_EAGAIN;
            }
            e = next = f->len;
        } else {
            e = (size_t)(nl - f->buf);
            next = e + 1;
        }
        size_t s = f->pos;
        uint64_t line = f->line;
        f->pos = f->scan = next;
        if (nl != NULL) {
            f->line++;
        }
        /* The limit applies to the raw line (up to the newline), as that is
         * all a streaming check can see; then it fires the same for any
         * split of the stream. */
        if (e - s > f->max_record_bytes) {
            return emit_err(f, out, diag, ROOST_ERR(ROOST_ELIMIT), s, e - s,
                            line, "record over max_record_bytes");
        }
        if (f->mode == ROOST_FRAME_LINES) {
            if (e > s && f->buf[e - 1] == '\r') {
                e--;
            }
        } else {
            while (s < e && is_ws((unsigned char)f->buf[s])) {
                s++;
            }
            while (e > s && is_ws((unsigned char)f->buf[e - 1])) {
                e--;
            }
        }
        if (s == e) {
            continue;
        }
        if (f->mode == ROOST_FRAME_JSONL && !pairs(f->buf + s, e - s)) {
            return emit_err(f, out, diag, ROOST_ERR(ROOST_EPARSE), s, e - s,
                            line, "broken or truncated record");
        }
        return emit(f, out, s, e - s, line);
    }
}

/* ---- document modes (DOCS, ARRAY) --------------------------------------- */

/* str_stop - first '"', '\\' or '\n' at or after i, or n. */
static size_t str_stop(const char *b, size_t i, size_t n)
{
#if defined(__SSE2__) && defined(__GNUC__)
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i bslash = _mm_set1_epi8('\\');
    const __m128i nl = _mm_set1_epi8('\n');
    while (n - i >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(b + i));
        __m128i m = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, bslash)),
            _mm_cmpeq_epi8(v, nl));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits != 0) {
            return i + (size_t)__builtin_ctz(bits);
        }
        i += 16;
    }
#endif /* __SSE2__ && __GNUC__ */
    while (i < n && b[i] != '"' && b[i] != '\\' && b[i] != '\n') {
        i++;
    }
    return i;
}

static bool is_delim(unsigned char c)
{
    return is_ws(c) || c == ',' || c == ']' || c == '}' || c == '[' ||
           c == '{' || c == '"';
}

/*
 * scan_value - advance the scan of the current value.
 * Returns: true when it ended (f->scan just past it), false at f->len.
 */
static bool scan_value(struct roost_frame *f)
{
    const char *b = f->buf;
    size_t i = f->scan;
    size_t n = f->len;
    bool ended = false;

    if (f->kind == KIND_SCALAR) {
        while (i < n && !is_delim((unsigned char)b[i])) {
            i++;
        }
        f->scan = i;
        return i < n;
    }
    while (i < n) {
        if (f->in_str) {
            if (f->esc) {
                f->esc = false;
                if (b[i] == '\n') {
                    f->line++;
                    f->multiline = true;
                }
                i++;
                continue;
            }
            i = str_stop(b, i, n);
            if (i == n) {
                break;
            }
            char c = b[i++];
            if (c == '"') {
                f->in_str = false;
                if (f->depth == 0) {
                    ended = true;
                    break;
                }
            } else if (c == '\\') {
                f->esc = true;
            } else {
                f->line++;
                f->multiline = true;
            }
            continue;
        }
        char c = b[i++];
        if (c == '"') {
            f->in_str = true;
        } else if (c == '{' || c == '[') {
            f->depth++;
        } else if (c == '}' || c == ']') {
            if (--f->depth == 0) {
                ended = true;
                break;
            }
        } else if (c == '\n') {
            f->line++;
            f->multiline = true;
        }
    }
    f->scan = i;
    return ended;
}

/* start_value - begin scanning the value at f->pos. */
static void start_value(struct roost_frame *f)
{
    unsigned char c = (unsigned char)f->buf[f->pos];
    f->rec_start = f->scan = f->pos;
    f->rec_line = f->line;
    f->depth = 0;
    f->in_str = f->esc = f->multiline = false;
    f->kind = c == '{' || c == '[' ? KIND_CONTAINER
              : c == '"'           ? KIND_STRING
                                   : KIND_SCALAR;
}

/* skip_between - pass whitespace (and in an array, separators) between
 * values. Returns: false when the buffer ran out. */
static bool skip_between(struct roost_frame *f)
{
    while (f->pos < f->len) {
        unsigned char c = (unsigned char)f->buf[f->pos];
        if (c == '\n') {
            f->line++;
        } else if (is_ws(c)) {
            /* nothing */
        } else if (f->in_array && c == ',') {
            /* nothing: the framer is lenient, json.c is strict */
        } else if (f->in_array && c == ']') {
            f->in_array = false;
        } else if (!f->in_array && f->mode == ROOST_FRAME_ARRAY && c == '[') {
            f->in_array = true;
        } else {
            break;
        }
        f->pos++;
    }
    f->scan = f->pos;
    return f->pos < f->len;
}

static int next_value(struct roost_frame *f, struct roost_record *out,
                      struct roost_diag *diag)
{
    for (;;) {
        if (f->kind == KIND_NONE) {
            if (!skip_between(f)) {
                return end_of_input(f);
            }
            reborrow(f);
            char c = f->buf[f->pos];
            if (c == '}' || c == ']' || c == ',' || c == ':') {
                size_t s = f->pos++;
                f->scan = f->pos;
                return emit_err(f, out, diag, ROOST_ERR(ROOST_EPARSE), s, 1,
                                f->line, "unexpected byte between records");
            }
            start_value(f);
        }
        if (scan_value(f)) {
            size_t s = f->rec_start;
            size_t n = f->scan - s;
            f->pos = f->scan;
            f->kind = KIND_NONE;
            if (f->skipping) {
                f->skipping = false;
                continue;
            }
            if (n > f->max_record_bytes) {
                return emit_err(f, out, diag, ROOST_ERR(ROOST_ELIMIT), s, n,
                                f->rec_line, "record over max_record_bytes");
            }
            return emit(f, out, s, n, f->rec_line);
        }
        if (f->skipping) {
            f->pos = f->scan = f->len;
            if (ended(f)) {
                f->skipping = false;
                f->kind = KIND_NONE;
            }
            return end_of_input(f);
        }
        if (f->len - f->rec_start > f->max_record_bytes) {
            return oversize(f, out, diag, f->rec_start, f->rec_line);
        }
        if (!ended(f)) {
            return ROOST_EAGAIN;
        }
        size_t s = f->rec_start;
        size_t n = f->len - s;
        f->pos = f->scan = f->len;
        f->kind = KIND_NONE;
        if (f->in_str || f->depth > 0) {
            return emit_err(f, out, diag, ROOST_ERR(ROOST_EPARSE), s, n,
                            f->rec_line, "truncated record");
        }
        return emit(f, out, s, n, f->rec_line); /* a scalar ended by EOF */
    }
}

/* ---- server-sent events ------------------------------------------------- */

static bool field_is(const char *p, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n == k && memcmp(p, name, k) == 0;
}

static int sse_dispatch(struct roost_frame *f, struct roost_record *out,
                        struct roost_diag *diag)
{
    int rc = 0;
    out->ptr = f->sse_data.ptr;
    out->len = f->sse_data.len;
    out->line = f->sse_line;
    out->offset = f->sse_offset;
    out->event = roost_str_make(f->event, f->event_len);
    if (f->sse_over) {
        f->n_oversize++;
        if (out->len > prefix_bytes(f)) {
            out->len = prefix_bytes(f);
        }
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_ELIMIT), out->offset,
                            "event data over max_record_bytes");
        if (diag != NULL) {
            diag->line = out->line;
        }
    } else {
        f->n_records++;
    }
    f->sse_has_data = false;
    f->sse_over = false;
    f->event_len = 0;
    return rc;
}

static int next_sse(struct roost_frame *f, struct roost_record *out,
                    struct roost_diag *diag)
{
    for (;;) {
        if (f->skipping && !skip_line(f)) {
            if (ended(f)) {
                f->skipping = false;
            }
            return end_of_input(f);
        }
        const char *nl = memchr(f->buf + f->scan, '\n', f->len - f->scan);
        size_t e;
        size_t next;
        if (nl == NULL) {
            if (f->len - f->pos > f->max_record_bytes) {
                f->sse_has_data = false;
                f->event_len = 0;
                return oversize(f, out, diag, f->pos, f->line);
            }
            if (!ended(f)) {
                f->scan = f->len;
                return ROOST_EAGAIN;
            }
            if (f->pos == f->len) {
                return f->sse_has_data ? sse_dispatch(f, out, diag)
                                       : ROOST_ENOENT;
            }
            e = next = f->len;
        } else {
            e = (size_t)(nl - f->buf);
            next = e + 1;
        }
        size_t s = f->pos;
        uint64_t line = f->line;
        f->pos = f->scan = next;
        if (nl != NULL) {
            f->line++;
        }
        if (e - s > f->max_record_bytes) {
            /* As if it had been noticed while streaming: the event is
             * lost, the raw line reported. */
            f->sse_has_data = false;
            f->event_len = 0;
            return emit_err(f, out, diag, ROOST_ERR(ROOST_ELIMIT), s, e - s,
                            line, "record over max_record_bytes");
        }
        if (e > s && f->buf[e - 1] == '\r') {
            e--;
        }
        if (s == e) {
            if (f->sse_has_data) {
                return sse_dispatch(f, out, diag);
            }
            f->event_len = 0;
            continue;
        }
        const char *p = f->buf + s;
        if (p[0] == ':') {
            continue; /* comment, e.g. a heartbeat */
        }
        const char *colon = memchr(p, ':', e - s);
        size_t fn = colon ? (size_t)(colon - p) : e - s;
        const char *v = colon ? colon + 1 : f->buf + e;
        if (v < f->buf + e && *v == ' ') {
            v++;
        }
        size_t vn = (size_t)(f->buf + e - v);
        if (field_is(p, fn, "event")) {
            f->event_len = vn < sizeof(f->event) ? vn : sizeof(f->event);
            memcpy(f->event, v, f->event_len);
        } else if (field_is(p, fn, "data")) {
            if (!f->sse_has_data) {
                roost_buf_reset(&f->sse_data);
                f->sse_has_data = true;
                f->sse_line = line;
                f->sse_offset = f->base + (uint64_t)(v - f->buf);
            } else if (!f->sse_over &&
                       roost_buf_addc(&f->sse_data, '\n') < 0) {
                f->sse_over = true;
            }
            if (!f->sse_over && roost_buf_add(&f->sse_data, v, vn) < 0) {
                f->sse_over = true;
            }
        }
        /* id, retry and unknown fields carry nothing we keep */
    }
}

/* ---- detection ---------------------------------------------------------- */

static const char *const sse_fields[] = { "event:", "data:", "id:", "retry:",
                                          ":" };

/*
 * detect - choose a mode from the first value. Leaves pos at that value
 * and the scan state reset. Returns: 0 when decided, or EAGAIN/ENOENT.
 */
static int detect(struct roost_frame *f)
{
    if (f->kind == KIND_NONE) {
        if (!skip_between(f)) {
            return end_of_input(f);
        }
        const char *p = f->buf + f->pos;
        size_t avail = f->len - f->pos;
        bool maybe = false;
        for (size_t i = 0; i < sizeof(sse_fields) / sizeof(*sse_fields);
             i++) {
            size_t k = strlen(sse_fields[i]);
            size_t m = avail < k ? avail : k;
            if (memcmp(p, sse_fields[i], m) == 0) {
                if (m == k) {
                    f->mode = ROOST_FRAME_SSE;
                    return 0;
                }
                maybe = true;
            }
        }
        if (maybe && !ended(f)) {
            return ROOST_EAGAIN;
        }
        if (p[0] == '[') {
            f->mode = ROOST_FRAME_ARRAY;
            return 0;
        }
        start_value(f);
    }
    /* Look at no more than max_record_bytes + 1 bytes of the first value,
     * so the decision does not depend on how the stream was split. */
    size_t len = f->len;
    size_t window = f->max_record_bytes + 1;
    if (len - f->rec_start > window) {
        f->len = f->rec_start + window;
    }
    bool done = scan_value(f);
    bool full = f->len - f->rec_start == window;
    f->len = len;
    if (!done && !f->multiline && !ended(f) && !full) {
        return ROOST_EAGAIN;
    }
    f->mode = f->multiline ? ROOST_FRAME_DOCS : ROOST_FRAME_JSONL;
    /* Rewind: the chosen mode frames this first value again. */
    f->line = f->rec_line;
    f->scan = f->pos;
    f->kind = KIND_NONE;
    f->depth = 0;
    f->in_str = f->esc = f->multiline = false;
    return 0;
}

/* ---- the entry point ---------------------------------------------------- */

static int strip_bom(struct roost_frame *f)
{
    static const char bom[3] = { '\xef', '\xbb', '\xbf' };
    size_t avail = f->len - f->pos;
    size_t m = avail < 3 ? avail : 3;
    if (memcmp(f->buf + f->pos, bom, m) == 0) {
        if (m < 3 && !ended(f)) {
            return ROOST_EAGAIN;
        }
        if (m == 3) {
            f->pos += 3;
            f->scan = f->pos;
        }
    }
    f->bom_done = true;
    return 0;
}

static int next_record(struct roost_frame *f, struct roost_record *out,
                       struct roost_diag *diag)
{
    if (!f->bom_done && f->base == 0) {
        if (f->len == 0) {
            return end_of_input(f);
        }
        int rc = strip_bom(f);
        if (rc < 0) {
            return rc;
        }
    }
    if (f->mode == ROOST_FRAME_AUTO) {
        int rc = detect(f);
        if (rc < 0) {
            return rc;
        }
    }
    switch (f->mode) {
    case ROOST_FRAME_JSONL:
    case ROOST_FRAME_LINES:
        return next_line(f, out, diag);
    case ROOST_FRAME_DOCS:
    case ROOST_FRAME_ARRAY:
        return next_value(f, out, diag);
    case ROOST_FRAME_SSE:
        return next_sse(f, out, diag);
    default:
        ROOST_UNREACHABLE();
        return ROOST_ERR(ROOST_EINVAL);
    }
}

int roost_frame_next(struct roost_frame *f, struct roost_record *out,
                     struct roost_diag *diag)
{
    for (;;) {
        memset(out, 0, sizeof(*out));
        out->event = roost_str_make("", 0);
        int rc = next_record(f, out, diag);
        if (rc != ROOST_EAGAIN || f->lend_len == 0) {
            return rc;
        }
        rc = absorb(f);
        if (rc < 0) {
            return rc;
        }
    }
}
