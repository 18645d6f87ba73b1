/* SPDX-License-Identifier: MIT
 *
 * sink.h - outputs for normalized posts: the plug-in interface, the
 * registry, and the retrying write every sink gets for free.
 *
 * A sink is one file (sink_<name>.c) with static callbacks, a context
 * struct, an option table and `const struct roost_sink_ops
 * roost_sink_<name>`, plus one line `roost_sink(<name>)` in CMakeLists.txt
 * (which generates the registry table, like sources). Specs:
 *
 *     sqlite:/data/roost.db?fts=true
 *     pg:postgresql://roost@127.0.0.1:5432/roost?batch=5000
 *     jsonl:/data/posts?rotate-bytes=256MiB
 *     csv:/data/posts.csv?columns=default
 *
 * Writes are idempotent by post id: a batch delivered twice (after a
 * crash, the pipeline replays from its checkpoint) leaves one row per
 * post. A sink's write returns 0, ROOST_EAGAIN for a transient failure
 * (the core retries with exponential backoff), or another error: the
 * batch is rejected, and the core dead-letters its posts and counts them.
 * Thread: a sink is used by one thread (the pipeline's processing thread);
 * a sink may run its own writer thread inside, and then copies the batch.
 * Such a sink (sqlite with writer=thread) returns 0 from write once the
 * batch is queued, and still rejects at once what it can tell from the
 * batch alone; a failure of a queued batch is sticky: every later write
 * and flush returns it, so no checkpoint covers the lost batch and the
 * pipeline replays it from the archive on restart. flush waits for the
 * queue before it commits. A sink chooses that by itself only when told
 * its records can be delivered again (`replayable`, set by the pipeline
 * when it has an archive or reads files); otherwise a failed batch could
 * be neither dead-lettered nor replayed.
 */
#ifndef ROOST_STORE_SINK_H
#define ROOST_STORE_SINK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/option.h"
#include "parse/post.h"

/* What one write hands a sink: views valid for the call only. */
struct roost_sink_batch {
    const struct roost_post *posts;
    uint32_t n_posts;
    const struct roost_ctl *ctls; /* deletes are applied by stores */
    uint32_t n_ctls;
};

struct roost_sink;

struct roost_sink_ops {
    const char *name;                   /* spec name: "sqlite" */
    const char *summary;                /* one line for `roost help sink` */
    const struct roost_option *options; /* written into ctx by the core */
    size_t ctx_size;                    /* zeroed and freed by the core */
    int (*open)(struct roost_sink *sink);
    int (*write)(struct roost_sink *sink, const struct roost_sink_batch *b);
    int (*flush)(struct roost_sink *sink); /* durable when it returns 0 */
    void (*close)(struct roost_sink *sink); /* also after a failed open */
};

struct roost_sink_stats {
    uint64_t n_posts;      /* posts written (including re-deliveries) */
    uint64_t n_ctls;       /* control events applied */
    uint64_t n_batches;
    uint64_t n_retries;    /* EAGAIN answers retried */
    uint64_t n_rejected;   /* posts in batches the sink refused */
    uint64_t n_waits;      /* writes that waited for room in the sink's
                              own queue (a writer thread behind) */
};

struct roost_sink {
    const struct roost_sink_ops *ops; /* read-only */
    struct roost_diag diag; /* detail of the last failed callback: a plug-in
                               fills it (roost_diag_set) before returning
                               an error; the core copies it out */
    char name[64];   /* instance name: ops->name unless name= given */
    char *arg;       /* the spec's ARG (path, URL), or NULL */
    void *ctx;       /* the plug-in's context (options applied) */
    struct roost_sink_stats stats;
    int max_retries;        /* default 5 */
    int64_t retry_base_ms;  /* default 100, doubling, capped at 10 s;
                               0 retries without sleeping (tests) */
    bool replayable; /* set before open by whoever feeds the sink: every
                        record it is handed can be delivered again (an
                        archive, input files), so a failure may surface
                        at a later write or flush instead of rejecting
                        the batch it belongs to (writer threads) */
    bool is_open;
};

const struct roost_sink_ops *roost_sink_find(const char *name);
/* roost_sink_list - NULL-terminated array of every registered sink. */
const struct roost_sink_ops *const *roost_sink_list(void);

/* roost_sink_new - parse spec, find the plug-in, apply options. */
int roost_sink_new(const char *spec, struct roost_sink **out,
                   struct roost_diag *diag);
int roost_sink_open(struct roost_sink *sink, struct roost_diag *diag);
/*
 * roost_sink_write - write with retries: EAGAIN answers are retried with
 * exponential backoff up to max_retries; then, or on any other error, the
 * batch counts as rejected and the error is returned (the caller
 * dead-letters the posts).
 */
int roost_sink_write(struct roost_sink *sink,
                     const struct roost_sink_batch *b);
int roost_sink_flush(struct roost_sink *sink);
/* roost_sink_free - close (when open) and free. */
void roost_sink_free(struct roost_sink *sink);
/* roost_sink_help - "name - summary" then one line per option (the
 * plug-in's and the common ones: name, max-retries, retry-base). */
int roost_sink_help(const struct roost_sink_ops *ops, struct roost_buf *out);

#endif /* ROOST_STORE_SINK_H */
