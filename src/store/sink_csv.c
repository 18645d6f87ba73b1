/* SPDX-License-Identifier: MIT
 *
 * sink_csv.c - normalized posts as CSV rows in rotating files.
 *
 *     csv:/data/posts/?rotate-bytes=256MiB&columns=id,created_at,text
 *
 * Rows are post_csv.h's: the stable columns of csv_columns.h (or the
 * subset named by columns=), RFC 4180 quoting, "\n" line ends. Every file
 * starts with the header row and nothing else above it, so pandas
 * read_csv and DuckDB read_csv_auto read each file without options.
 * Control events have no row and are not written. Files, rotation and
 * delivery are those of the jsonl sink (sink_jsonl.c, rotate.h): whole
 * batches appended, a failed append cut back off, at least once across a
 * crash (dedupe by id), fsync on flush.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/post_csv.h"
#include "store/rotate.h"
#include "store/sink.h"

struct csv_ctx {
    /* options */
    size_t rotate_bytes;
    int64_t rotate_ms;
    char *columns;
    char *prefix;
    size_t max_batch_bytes;
    /* state */
    uint8_t cols[ROOST_CSV_N_COLUMNS]; /* column indexes in file order */
    size_t n_cols;
    struct roost_rotate rot;
    struct roost_buf header;
    struct roost_buf buf;
    bool is_rot_open;
};

static const struct roost_option csv_opts[] = {
    ROOST_OPT_SIZE("rotate-bytes", "256MiB", struct csv_ctx, rotate_bytes,
                   "start a new file past this size (0: never)"),
    ROOST_OPT_MS("rotate-ms", "0", struct csv_ctx, rotate_ms,
                 "start a new file when the current one is this old "
                 "(0: never)"),
    ROOST_OPT_STR("columns", "default", struct csv_ctx, columns,
                  "default (every stable column) or a comma list of them"),
    ROOST_OPT_STR("prefix", "posts", struct csv_ctx, prefix,
                  "file name prefix in a directory"),
    ROOST_OPT_SIZE("max-batch", "256MiB", struct csv_ctx, max_batch_bytes,
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
    struct csv_ctx *c = sink->ctx;

    roost_diag_set(&sink->diag, rc, 0, "cannot %s %s: %s", what,
                   c->rot.active[0] != '\0' ? c->rot.active : sink->arg,
                   strerror(c->rot.sys_errno));
    sink->diag.sys_errno = c->rot.sys_errno;
    return rc;
}

static int parse_columns(struct roost_sink *sink)
{
    struct csv_ctx *c = sink->ctx;
    const char *p = c->columns;

    if (strcmp(p, "default") == 0 || strcmp(p, "all") == 0) {
        for (size_t i = 0; i < ROOST_CSV_N_COLUMNS; i++) {
            c->cols[i] = (uint8_t)i;
        }
        c->n_cols = ROOST_CSV_N_COLUMNS;
        return 0;
    }
    while (*p != '\0') {
        const char *e = strchr(p, ',');
        size_t len = e != NULL ? (size_t)(e - p) : strlen(p);
        int col = roost_post_csv_column(p, len);
        if (col < 0 || c->n_cols == ROOST_CSV_N_COLUMNS) {
            return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                                  "unknown csv column '%.*s'",
                                  (int)(len > 40 ? 40 : len), p);
        }
        c->cols[c->n_cols++] = (uint8_t)col;
        p += len + (e != NULL ? 1 : 0);
    }
    if (c->n_cols == 0) {
        return roost_diag_set(&sink->diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "columns= names no column");
    }
    return 0;
}

static int csv_open(struct roost_sink *sink)
{
    struct csv_ctx *c = sink->ctx;
    int rc = 0;

    roost_buf_init(&c->header, 4096);
    roost_buf_init(&c->buf, c->max_batch_bytes);
    rc = parse_columns(sink);
    for (size_t i = 0; i < c->n_cols && rc == 0; i++) {
        if (i > 0) {
            rc = roost_buf_addc(&c->header, ',');
        }
        if (rc == 0) {
            rc = roost_buf_adds(&c->header,
                                roost_post_csv_column_name(c->cols[i]));
        }
    }
    if (rc == 0) {
        rc = roost_buf_addc(&c->header, '\n');
    }
    if (rc < 0) {
        return rc;
    }
    struct roost_rotate_cfg cfg = {
        .path = sink->arg,
        .prefix = c->prefix,
        .ext = ".csv",
        .max_bytes = c->rotate_bytes,
        .max_ms = c->rotate_ms,
        .header = c->header.ptr,
        .header_len = c->header.len,
    };
    rc = roost_rotate_open(&c->rot, &cfg, &sink->diag);
    c->is_rot_open = rc == 0;
    return rc;
}

static int csv_write(struct roost_sink *sink, const struct roost_sink_batch *b)
{
    struct csv_ctx *c = sink->ctx;
    int rc = 0;

    roost_buf_reset(&c->buf);
    for (uint32_t i = 0; i < b->n_posts && rc == 0; i++) {
        for (size_t k = 0; k < c->n_cols && rc == 0; k++) {
            if (k > 0) {
                rc = roost_buf_addc(&c->buf, ',');
            }
            if (rc == 0) {
                rc = roost_post_csv_cell(&b->posts[i], c->cols[k], &c->buf);
            }
        }
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

static int csv_flush(struct roost_sink *sink)
{
    struct csv_ctx *c = sink->ctx;
    int rc = roost_rotate_sync(&c->rot, now_ms());

    return rc < 0 ? io_fail(sink, rc, "sync") : 0;
}

static void csv_close(struct roost_sink *sink)
{
    struct csv_ctx *c = sink->ctx;

    if (c->is_rot_open) {
        roost_rotate_close(&c->rot);
        c->is_rot_open = false;
    }
    roost_buf_fini(&c->buf);
    roost_buf_fini(&c->header);
}

const struct roost_sink_ops roost_sink_csv = {
    .name = "csv",
    .summary = "posts as CSV rows (stable columns) in rotating files",
    .options = csv_opts,
    .ctx_size = sizeof(struct csv_ctx),
    .open = csv_open,
    .write = csv_write,
    .flush = csv_flush,
    .close = csv_close,
};
