/* SPDX-License-Identifier: MIT
 *
 * engine.h - the continuous query engine: named queries over the collect
 * pipeline's posts, their outputs, triggers and checkpoints.
 *
 * The engine rides on the collect pipeline (pipeline.h) through four
 * calls, made from the pipeline's processing thread:
 *
 *   roost_engine_recover   at start, after the pipeline read its
 *                          checkpoint (N records done): load each query's
 *                          checkpoint (E records) and replay archived
 *                          records [E, N) into it; the pipeline then
 *                          replays [N, end) into every query as usual
 *   roost_engine_push_posts after a record is normalized
 *   roost_engine_commit    after the pipeline checkpoint for n_done
 *                          records is durable: fire due triggers, and
 *                          every checkpoint interval write each query's
 *                          state for exactly n_done records
 *   roost_engine_tick      when the pipeline is idle (processing time)
 *
 * and roost_engine_finish at the end of input. Because a query checkpoint
 * is only written after the pipeline's for the same record count, and
 * recovery replays from each query's own count, no record is lost or
 * counted twice by a query across kill -9 (docs/streams.md).
 *
 * Outputs per query: a Spark-style console block per trigger, or JSONL
 * (a file, cut back to its checkpointed length at restart, or stdout),
 * or the store's query_results table (store/sqlite_results.h: the whole
 * result table per trigger that changed it, emissions past the checkpoint
 * deleted at restart), and always the in-memory result table (roost_engine_results) that the
 * dashboard and API read by query name.
 * Thread: one owner thread, except roost_engine_results().
 */
#ifndef ROOST_ENGINE_ENGINE_H
#define ROOST_ENGINE_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/err.h"
#include "engine/exec.h"
#include "engine/pipeline.h"
#include "engine/result.h"
#include "parse/post.h"

#define ROOST_ENGINE_MAX_QUERIES 64
#define ROOST_ENGINE_DEFAULT_TRIGGER_MS 2000
#define ROOST_ENGINE_DEFAULT_CKPT_MS 10000

enum roost_qout_format {
    ROOST_QOUT_TABLE = 0, /* the Spark-style console block */
    ROOST_QOUT_JSONL,     /* one JSON object per row */
    ROOST_QOUT_NONE,      /* the in-memory result table only */
    ROOST_QOUT_STORE,     /* query_results in the SQLite store out_path */
};

struct roost_engine_query_cfg {
    struct roost_exec_cfg exec; /* name, sql, mode, lateness, budgets */
    uint8_t format;             /* enum roost_qout_format */
    const char *out_path;       /* NULL or "-": stdout; STORE: the db */
    size_t rows;                /* console: rows per block (default 20) */
    int64_t trigger_ms;         /* 0: EMIT ... EVERY, else the engine's */
    bool quiet_empty;           /* no block for a trigger without rows */
};

struct roost_engine_cfg {
    const char *ckpt_dir;       /* NULL: no checkpoints (no recovery) */
    int64_t ckpt_interval_ms;   /* default 10 s; < 0: every commit */
    int64_t trigger_ms;         /* default 2 s */
    enum roost_format format;   /* of archived records, for replay */
    size_t max_record_bytes;    /* default 1 MiB */
};

struct roost_engine_stats {
    uint64_t n_posts;
    uint64_t n_triggers;
    uint64_t n_checkpoints;
    uint64_t n_replayed;  /* archived records replayed by recover */
    uint64_t n_dead;      /* replayed records that did not normalize */
};

struct roost_engine;

int roost_engine_new(const struct roost_engine_cfg *cfg,
                     struct roost_engine **out, struct roost_diag *diag);
void roost_engine_free(struct roost_engine *e);

/*
 * roost_engine_add_query - compile and add one query (names unique).
 * Returns 0; ROOST_EPARSE / ROOST_EINVAL with the reason in diag (for a
 * bad query "line:col: ..."); ROOST_ELIMIT; ROOST_EIO for its output file.
 */
int roost_engine_add_query(struct roost_engine *e,
                           const struct roost_engine_query_cfg *qc,
                           struct roost_diag *diag);

/* roost_engine_recover - see above. archive_dir NULL: nothing to replay. */
int roost_engine_recover(struct roost_engine *e, const char *archive_dir,
                         uint64_t n_done, struct roost_diag *diag);

/* roost_engine_push_posts - feed the posts of one record to every query. */
int roost_engine_push_posts(struct roost_engine *e,
                            const struct roost_post *posts, uint32_t n);

/* roost_engine_commit - n_done records are durable in the pipeline. */
int roost_engine_commit(struct roost_engine *e, uint64_t n_done);

/* roost_engine_tick - idle: processing-time windows and due triggers. */
int roost_engine_tick(struct roost_engine *e);

/*
 * roost_engine_finish - end of input after n_done records: close every
 * window, fire a last trigger, and checkpoint.
 */
int roost_engine_finish(struct roost_engine *e, uint64_t n_done);

/*
 * roost_engine_hook - fill *out with the pipeline hook that makes the four
 * calls above (and finish); pass it in roost_pipeline_cfg.hook. e must
 * outlive the pipeline run.
 */
void roost_engine_hook(struct roost_engine *e,
                       struct roost_pipeline_hook *out);

/* roost_engine_results - the named result tables (any thread). */
struct roost_results *roost_engine_results(struct roost_engine *e);

/* roost_engine_view - the complete current result of query `name`. */
int roost_engine_view(struct roost_engine *e, const char *name,
                      struct roost_rowset *out);

void roost_engine_stats(const struct roost_engine *e,
                        struct roost_engine_stats *out);

/* roost_engine_query_stats - stats of the i-th query; ENOENT past it. */
int roost_engine_query_stats(const struct roost_engine *e, size_t i,
                             const char **name,
                             struct roost_exec_stats *out);

#endif /* ROOST_ENGINE_ENGINE_H */
