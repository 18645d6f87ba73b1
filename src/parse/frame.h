/* SPDX-License-Identifier: MIT
 *
 * frame.h - cut a byte stream into records (one JSON value, line or event).
 *
 * Bytes arrive in arbitrary pieces (roost_frame_feed); roost_frame_next
 * hands out whole records as views. The framing mode is detected at the
 * start of the stream unless forced:
 *
 *   JSONL  the first value ends on its first line: from then on a newline
 *          always ends a record, so a truncated line is one bad record and
 *          the next line is framed normally;
 *   DOCS   concatenated or pretty-printed values, cut by tracking depth and
 *          strings across newlines;
 *   ARRAY  the stream starts with '[': the elements of top-level arrays are
 *          the records (a Mastodon timeline, a file holding [tweet, tweet]);
 *          a top-level non-array value is yielded whole;
 *   SSE    starts with "event:", "data:", "id:", "retry:" or ':': each
 *          event's data is a record, with its event name;
 *   LINES  (forced only) every line is a record, for plain-text sockets.
 *
 * Blank lines are skipped, "\r\n" ends a line like "\n", and a UTF-8 byte
 * order mark at the stream start is dropped. The framer is not a validator:
 * it finds record boundaries and leaves the grammar to json.c. In JSONL
 * mode it flags a line whose first and last bytes do not pair up ('{' and
 * '}', '[' and ']', '"' and '"'), which catches truncated lines for free.
 *
 * Memory is bounded: a record over max_record_bytes is reported with its
 * first 4 KiB and the rest is discarded as it arrives, never buffered.
 *
 * Two ways to feed, freely mixed: roost_frame_feed() copies the bytes into
 * the framer; roost_frame_feed_borrowed() lends a buffer the caller keeps
 * (a mapped file), and records lying whole inside it come out as views into
 * it, with no copy. Framing, line numbers and offsets do not depend on how
 * the stream was fed or split.
 * Thread: owned by one thread.
 */
#ifndef ROOST_PARSE_FRAME_H
#define ROOST_PARSE_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

enum roost_frame_mode {
    ROOST_FRAME_AUTO = 0, /* detect from the first bytes */
    ROOST_FRAME_JSONL,
    ROOST_FRAME_DOCS,
    ROOST_FRAME_ARRAY,
    ROOST_FRAME_SSE,
    ROOST_FRAME_LINES,
};

/* Bytes of an oversize record reported for the dead-letter sink (fewer
 * when max_record_bytes is smaller). */
#define ROOST_FRAME_PREFIX_BYTES 4096
/* Bytes one feed may add beyond max_record_bytes of pending data. */
#define ROOST_FRAME_FEED_SLACK (1u << 20)

struct roost_record {
    const char *ptr;        /* the record's bytes (not NUL-terminated) */
    size_t len;             /* bytes at ptr */
    uint64_t line;          /* 1-based line where it starts */
    uint64_t offset;        /* byte offset in the stream where it starts */
    struct roost_str event; /* SSE event name ("" when none or not SSE) */
};

struct roost_frame {
    uint64_t n_records;   /* read-only: records handed out */
    uint64_t n_oversize;  /* read-only: ROOST_ELIMIT records */
    uint64_t n_broken;    /* read-only: ROOST_EPARSE records */
    uint8_t mode;         /* read-only: enum roost_frame_mode in use */
    bool eof;             /* read-only: roost_frame_finish() was called */
    /* private: everything below */
    const char *buf; /* bytes being framed: `own` or a borrowed buffer */
    char *own;       /* framer storage for copied and stitched bytes */
    size_t len, cap, max_buf, pos, scan, rec_start; /* cap: of own */
    const char *lend; /* borrowed bytes not framed yet; they follow buf[len) */
    size_t lend_len;
    size_t lent_tail; /* own[len - lent_tail..len) copies lend[-lent_tail..0) */
    size_t max_record_bytes;
    uint64_t base;     /* stream offset of buf[0] */
    uint64_t line;     /* line number at buf[scan] (or buf[pos]) */
    uint64_t rec_line; /* line of buf[rec_start] */
    uint32_t depth;
    uint8_t kind;      /* of the value being scanned; 0 between records */
    bool in_str, esc, multiline, skipping, in_array, bom_done;
    /* SSE */
    struct roost_buf sse_data;
    bool sse_has_data, sse_over;
    uint64_t sse_line, sse_offset;
    size_t event_len;
    char event[64];
};

/* roost_frame_init - an empty framer in AUTO mode. */
void roost_frame_init(struct roost_frame *f, size_t max_record_bytes);
void roost_frame_fini(struct roost_frame *f);

/* roost_frame_set_mode - force a mode; call before the first feed.
 * Returns: 0, or ROOST_EINVAL once bytes were fed. */
int roost_frame_set_mode(struct roost_frame *f, enum roost_frame_mode mode);

/*
 * roost_frame_feed - append a copy of p[0..len) to the stream.
 *
 * Call roost_frame_next() until it returns ROOST_EAGAIN before feeding
 * again; then any feed of up to ROOST_FRAME_FEED_SLACK bytes fits.
 * Returns: 0, ROOST_ELIMIT when the pending bytes would pass
 * 2 * max_record_bytes + ROOST_FRAME_FEED_SLACK (nothing is copied),
 * ROOST_EINVAL after roost_frame_finish() or while bytes of a borrowed feed
 * are still unframed, or ROOST_ENOMEM.
 */
int roost_frame_feed(struct roost_frame *f, const char *p, size_t len);

/*
 * roost_frame_feed_borrowed - append p[0..len) to the stream without
 * copying it.
 *
 * Ownership: borrows p beyond the call: the caller keeps p[0..len) readable
 * and unchanged until its next roost_frame_feed*() on f or
 * roost_frame_fini(), whichever comes first (feeding again copies what is
 * still pending of p, so p may be released right after that call; a feed
 * of 0 bytes does nothing and releases nothing). Every
 * record whose bytes lie whole in p, good, broken or an oversize prefix,
 * comes out of roost_frame_next() as a view into p, valid as long as p is;
 * only records split across feeds and SSE event data (joined from data:
 * lines) are copies in framer storage, valid until the next call on f.
 * To join a split record the framer copies it plus at most max(64 KiB,
 * its size) bytes of p, so its memory bound is that of roost_frame_feed();
 * len itself has no limit. Call roost_frame_next() until ROOST_EAGAIN
 * before feeding again (it returns ROOST_EAGAIN only once all of p is
 * framed).
 * Returns: 0; ROOST_EINVAL after roost_frame_finish() or while bytes of an
 * earlier borrowed feed are still unframed; ROOST_ENOMEM.
 */
int roost_frame_feed_borrowed(struct roost_frame *f, const char *p, size_t len);

/* roost_frame_finish - end of stream: pending bytes become a last record
 * (or a "truncated record" error) on the next roost_frame_next(). */
void roost_frame_finish(struct roost_frame *f);

/*
 * roost_frame_next - the next record.
 *
 * Ownership: out views the framer's buffer, valid until the next call on
 * f, or a borrowed buffer (see roost_frame_feed_borrowed()).
 * Returns: 0 with *out set; ROOST_EAGAIN when more bytes are needed;
 * ROOST_ENOENT when finished and drained; ROOST_ELIMIT for a record over
 * max_record_bytes (out holds its first min(ROOST_FRAME_PREFIX_BYTES,
 * max_record_bytes) bytes, and the rest is skipped); ROOST_EPARSE for a
 * broken or truncated record (out holds its bytes). Errors fill diag (may
 * be NULL) with line and offset; calling again continues with the
 * following record. ROOST_ENOMEM (out empty) when bytes of a borrowed feed
 * could not be copied to join a split record; calling again retries.
 */
int roost_frame_next(struct roost_frame *f, struct roost_record *out,
                     struct roost_diag *diag);

#endif /* ROOST_PARSE_FRAME_H */
