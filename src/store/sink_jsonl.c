/* SPDX-License-Identifier: MIT
 *
 * sink_jsonl.c - normalized posts as JSON lines in rotating files.
 *
 *     jsonl:/data/posts/?rotate-bytes=256MiB&rotate-ms=1h&control=true
 *
 * One post per line, written by roost_post_write_json() (the stable shape
 * of docs/post-model.md); with control=true the batch's control events
 * follow as roost_ctl_write_json() lines. Files and rotation: rotate.h (a
 * directory gets posts-<opened_ms>-<seq>.jsonl files; a file path is
 * appended to and rotated beside itself).
 *
 * Delivery: a batch is formatted into one buffer and appended whole, and
 * a failed append is cut back off the file, so the core's retries never
 * repeat a line. Across a crash this sink is at least once: the pipeline
 * replays the records after its last checkpoint, and an append-only file
 * cannot tell which of them it already holds, so lines written after the
 * checkpoint appear again (readers dedupe by "id"). The exactly-once file
 * output is the pipeline's own --out, which the checkpoint cuts back.
 * flush is fsync: what a flush returned 0 for survives power loss.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/rotate.h"
#include "store/sink.h"

struct jsonl_ctx {
    /* options */
    size_t rotate_bytes;
    int64_t rotate_ms;
    bool control;
    char *prefix;
    size_t max_batch_bytes;
    /* state */
    struct roost_rotate rot;
    struct roost_buf buf;
    bool is_rot_open;
};

static const struct roost_option jsonl_opts[] = {
    ROOST_OPT_SIZE("rotate-bytes", "256MiB", struct jsonl_ctx, rotate_bytes,
                   "start a new file past this size (0: never)"),
    ROOST_OPT_MS("rotate-ms", "0", struct jsonl_ctx, rotate_ms,
                 "start a new file when the current one is this old "
                 "(0: never)"),
    ROOST_OPT_BOOL("control", "false", struct jsonl_ctx, control,
                   "also write control events (deletes, limits...)"),
    ROOST_OPT_STR("prefix", "posts", struct jsonl_ctx, prefix,
                  "file name prefix in a directory"),
    ROOST_OPT_SIZE("max-batch", "256MiB", struct jsonl_ctx, max_batch_bytes,
                   "largest formatted batch; a larger one is rejected"),
    ROOST_OPT_END,
};

static int64_t now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int io_fail(struct roost_sink *sink, int rc, const char *what)
{
    struct jsonl_ctx *c = sink->ctx;

    roost_diag_set(&sink->diag, rc, 0, "cannot %s %s: %s", what,
                   c->rot.active[0] != '\0' ? c->rot.active : sink->arg,
                   strerror(c->rot.sys_errno));
    sink->diag.sys_errno = c->rot.sys_errno;
    return rc;
}

static int jsonl_open(struct roost_sink *sink)
{
    struct jsonl_ctx *c = sink->ctx;
    struct roost_rotate_cfg cfg = {
        .path = sink->arg,
        .prefix = c->prefix,
        .ext = ".jsonl",
        .max_bytes = c->rotate_bytes,
        .max_ms = c->rotate_ms,
    };

    roost_buf_init(&c->buf, c->max_batch_bytes);
    int rc = roost_rotate_open(&c->rot, &cfg, &sink->diag);
    c->is_rot_open = rc == 0;
    return rc;
}

static int jsonl_write(struct roost_sink *sink,
                       const struct roost_sink_batch *b)
{
    struct jsonl_ctx *c = sink->ctx;
    int rc = 0;

    roost_buf_reset(&c->buf);
    for (uint32_t i = 0; i < b->n_posts && rc == 0; i++) {
        rc = roost_post_write_json(&b->posts[i], &c->buf);
        if (rc == 0) {
            rc = roost_buf_addc(&c->buf, '\n');
        }
    }
    for (uint32_t i = 0; c->control && i < b->n_ctls && rc == 0; i++) {
        rc = roost_ctl_write_json(&b->ctls[i], &c->buf);
        if (rc == 0) {
            rc = roost_buf_addc(&c->buf, '\n');
        }
    }
    if (rc < 0) {
        return roost_diag_set(&sink->diag, rc, 0,
                              "batch larger than max-batch (%zu bytes)",
                              c->max_batch_bytes);
    }
    if (c->buf.len == 0) {
        return 0;
    }
    rc = roost_rotate_write(&c->rot, c->buf.ptr, c->buf.len, now_ms());
    return rc < 0 ? io_fail(sink, rc, "write") : 0;
}

static int jsonl_flush(struct roost_sink *sink)
{
    struct jsonl_ctx *c = sink->ctx;
    int rc = roost_rotate_sync(&c->rot, now_ms());

    return rc < 0 ? io_fail(sink, rc, "sync") : 0;
}

static void jsonl_close(struct roost_sink *sink)
{
    struct jsonl_ctx *c = sink->ctx;

    if (c->is_rot_open) {
        roost_rotate_close(&c->rot);
        c->is_rot_open = false;
    }
    roost_buf_fini(&c->buf);
}

const struct roost_sink_ops roost_sink_jsonl = {
    .name = "jsonl",
    .summary = "posts as JSON lines in rotating files",
    .options = jsonl_opts,
    .ctx_size = sizeof(struct jsonl_ctx),
    .open = jsonl_open,
    .write = jsonl_write,
    .flush = jsonl_flush,
    .close = jsonl_close,
};
