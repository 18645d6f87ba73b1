/* SPDX-License-Identifier: MIT
 *
 * fuzz_frame.c - libFuzzer target for frame.c.
 *
 * The first input byte picks the mode, the limit and a piece size; the rest
 * is the stream. The stream is framed in pieces and all at once, each with
 * copying feeds, borrowed feeds (roost_frame_feed_borrowed) and the two
 * alternating, and every framing must agree record for record (content,
 * line, offset): a differential test of the zero-copy path. Borrowed
 * pieces are separate allocations freed at the next feed, and a record
 * lying whole in the current piece must be a view into it.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "parse/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum feed_how {
    FEED_COPY,
    FEED_LENT,
    FEED_MIXED,
};

/* run - frame s in pieces of step bytes fed as `how` says, appending
 * "rc line off len|bytes" for each outcome to out. */
static void run(const char *s, size_t len, size_t step, size_t max,
                enum roost_frame_mode mode, enum feed_how how,
                struct roost_buf *out)
{
    struct roost_frame f;
    roost_frame_init(&f, max);
    if (mode != ROOST_FRAME_AUTO) {
        roost_frame_set_mode(&f, mode);
    }
    char *piece = NULL;
    size_t piece_len = 0;
    size_t piece_off = 0;
    size_t n_pieces = 0;
    size_t off = 0;
    for (;;) {
        if (off < len) {
            size_t n = len - off < step ? len - off : step;
            char *p = NULL;
            int frc;
            if (how == FEED_LENT || (how == FEED_MIXED && n_pieces % 2)) {
                p = malloc(n);
                assert(p != NULL);
                memcpy(p, s + off, n);
                frc = roost_frame_feed_borrowed(&f, p, n);
            } else {
                frc = roost_frame_feed(&f, s + off, n);
            }
            assert(frc == 0);
            free(piece);
            piece = p;
            piece_len = n;
            piece_off = off;
            n_pieces++;
            off += n;
        } else if (!f.eof) {
            roost_frame_finish(&f);
        }
        struct roost_record r;
        int rc;
        for (;;) {
            rc = roost_frame_next(&f, &r, NULL);
            if (rc == ROOST_EAGAIN || rc == ROOST_ENOENT) {
                break;
            }
            assert(rc == 0 || rc == ROOST_EPARSE || rc == ROOST_ELIMIT);
            assert(r.line >= 1 && r.offset <= len);
            assert(rc == ROOST_ELIMIT || r.len <= max);
            assert(piece == NULL || f.mode == ROOST_FRAME_SSE ||
                   r.offset < piece_off ||
                   r.offset + r.len > piece_off + piece_len ||
                   r.ptr == piece + (r.offset - piece_off));
            roost_buf_printf(out, "%d %llu %llu %zu|", rc,
                             (unsigned long long)r.line,
                             (unsigned long long)r.offset, r.len);
            roost_buf_add(out, r.ptr, r.len);
            roost_buf_add(out, r.event.ptr, r.event.len);
            roost_buf_addc(out, '\n');
        }
        if (rc == ROOST_ENOENT) {
            break;
        }
    }
    roost_frame_fini(&f);
    free(piece);
}

/* same - a and b hold the same framing. */
static bool same(const struct roost_buf *a, const struct roost_buf *b)
{
    return a->len == b->len &&
           (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    uint8_t c = data[0];
    enum roost_frame_mode mode = (enum roost_frame_mode)(c % 6);
    size_t max = (c >> 3 & 1) ? 64 : 4096;
    size_t step = 1 + (size_t)(c >> 4);
    const char *s = (const char *)data + 1;
    size_t len = size - 1;
    size_t whole = len ? len : 1;
    struct roost_buf want;
    roost_buf_init(&want, 1u << 26);
    run(s, len, whole, max, mode, FEED_COPY, &want);
    static const struct {
        bool split;
        enum feed_how how;
    } runs[] = {
        { true, FEED_COPY },
        { true, FEED_LENT },
        { true, FEED_MIXED },
        { false, FEED_LENT },
    };
    for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
        struct roost_buf got;
        roost_buf_init(&got, 1u << 26);
        run(s, len, runs[i].split ? step : whole, max, mode, runs[i].how, &got);
        assert(same(&want, &got));
        roost_buf_fini(&got);
    }
    roost_buf_fini(&want);
    return 0;
}
