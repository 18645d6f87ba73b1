/* SPDX-License-Identifier: MIT
 *
 * fuzz_normalize.c - any bytes through frame, parse, normalize and the
 * JSON writer. The first byte picks the forced format (auto most often),
 * so every format mapper sees hostile but well-formed JSON.
 */
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "parse/frame.h"
#include "parse/json.h"
#include "parse/post.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const enum roost_format fmts[] = {
        ROOST_FMT_AUTO, ROOST_FMT_AUTO,      ROOST_FMT_AUTO,
        ROOST_FMT_X1,   ROOST_FMT_X2,        ROOST_FMT_JETSTREAM,
        ROOST_FMT_MASTODON, ROOST_FMT_AUTO,
    };
    if (size == 0) {
        return 0;
    }
    enum roost_format fmt = fmts[data[0] & 7];
    data++;
    size--;

    struct roost_frame f;
    struct roost_json_doc doc;
    struct roost_norm norm;
    struct roost_buf out;
    roost_frame_init(&f, 1u << 16);
    roost_json_doc_init(&doc, 64, 1u << 16);
    roost_norm_init(&norm);
    roost_buf_init(&out, 1u << 24);
    /* Feed in two pieces to exercise records split across reads. */
    size_t half = size / 2;
    for (int piece = 0; piece < 2; piece++) {
        const uint8_t *p = piece == 0 ? data : data + half;
        size_t n = piece == 0 ? half : size - half;
        if (roost_frame_feed(&f, (const char *)p, n) < 0) {
            break;
        }
        if (piece == 1) {
            roost_frame_finish(&f);
        }
        for (;;) {
            struct roost_record rec;
            memset(&rec, 0, sizeof(rec));
            int rc = roost_frame_next(&f, &rec, NULL);
            if (rc == ROOST_EAGAIN || rc == ROOST_ENOENT) {
                break;
            }
            if (rc < 0) {
                continue;
            }
            if (roost_json_parse(&doc, rec.ptr, rec.len, NULL) != 0) {
                continue;
            }
            roost_norm_reset(&norm);
            if (roost_norm_record(&norm, &doc, rec.ptr, rec.len, fmt, NULL) !=
                0) {
                continue;
            }
            for (uint32_t i = 0; i < norm.n_posts; i++) {
                roost_buf_reset(&out);
                roost_post_write_json(&norm.posts[i], &out);
            }
            for (uint32_t i = 0; i < norm.n_ctls; i++) {
                roost_buf_reset(&out);
                roost_ctl_write_json(&norm.ctls[i], &out);
            }
        }
    }
    roost_buf_fini(&out);
    roost_norm_fini(&norm);
    roost_json_doc_fini(&doc);
    roost_frame_fini(&f);
    return 0;
}
