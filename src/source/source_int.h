/* SPDX-License-Identifier: MIT
 *
 * source_int.h - helpers shared by the stream sources (src_file.c,
 * src_stdin.c, and any source that frames a byte stream).
 *
 * struct roost__framed couples a framer (parse/frame.h) with the batch:
 * the source feeds bytes, roost__framed_drain() moves whole records into
 * the batch with their position "<prefix>\t<end offset>", flags what the
 * framer flagged, and keeps a record that did not fit for the next batch.
 */
#ifndef ROOST_SOURCE_SOURCE_INT_H
#define ROOST_SOURCE_SOURCE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/batch.h"
#include "parse/frame.h"

struct roost__framed {
    struct roost_frame frame; /* feed it directly */
    bool skip;                /* resume: records ending at or before */
    uint64_t skip_end;        /* skip_end are consumed already */
    uint64_t n_skipped;       /* read-only: records skipped by skip_end */
    /* private */
    bool has_pending;
    int pending_err;
    struct roost_record pending;
};

void roost__framed_init(struct roost__framed *fr, size_t max_record_bytes);
void roost__framed_fini(struct roost__framed *fr);

/*
 * roost__framed_drain - move the framer's complete records into out.
 *
 * The position of each record is "<prefix>\t<offset just after it>" (for
 * a record the framer cut as oversize: just after the bytes it kept).
 * *n_added counts the records appended.
 * Returns: ROOST_EAGAIN when the framer needs more bytes (feed it);
 * ROOST_ELIMIT when out is full (the record waits for the next batch: do
 * not feed before draining again); ROOST_ENOENT when the framer was
 * finished and is empty; ROOST_ENOMEM.
 */
int roost__framed_drain(struct roost__framed *fr, struct roost_batch *out,
                        const char *prefix, size_t prefix_len,
                        uint32_t *n_added);

/* roost__now_ms - wall-clock time, UTC epoch milliseconds. */
int64_t roost__now_ms(void);

#endif /* ROOST_SOURCE_SOURCE_INT_H */
