/* SPDX-License-Identifier: MIT
 *
 * fuzz_frame.c - libFuzzer target for frame.c.
 *
 * The first input byte picks the mode, the limit and a piece size; the rest
 * is the stream. The stream is framed twice, in pieces and all at once, and
 * both framings must agree record for record (content, line, offset).
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "parse/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* run - frame s in pieces of step bytes, appending "rc line off len|bytes"
 * for each outcome to out. */
static void run(const char *s, size_t len, size_t step, size_t max,
                enum roost_frame_mode mode, struct roost_buf *out)
{
    struct roost_frame f;
    roost_frame_init(&f, max);
    if (mode != ROOST_FRAME_AUTO) {
        roost_frame_set_mode(&f, mode);
    }
    size_t off = 0;
    for (;;) {
        if (off < len) {
            size_t n = len - off < step ? len - off : step;
            int frc = roost_frame_feed(&f, s + off, n);
            assert(frc == 0);
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
    struct roost_buf a;
    struct roost_buf b;
    roost_buf_init(&a, 1u << 26);
    roost_buf_init(&b, 1u << 26);
    run(s, len, step, max, mode, &a);
    run(s, len, len ? len : 1, max, mode, &b);
    assert(a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0));
    roost_buf_fini(&a);
    roost_buf_fini(&b);
    return 0;
}
