/* SPDX-License-Identifier: MIT
 *
 * pipeline.h - the collect path: sources -> queue -> archive -> normalize
 * -> outputs, with exactly-once recovery after a crash.
 *
 * Each source runs on its own receiver thread and hands batches to a
 * bounded queue, so a slow consumer never stalls a live connection (the
 * queue's policy decides: block, spill, drop-oldest). Each batch then:
 *
 *   1. has every record appended, byte-exact, to the raw archive, which
 *      is flushed: from here on the record is acknowledged and cannot be
 *      lost. This runs on an archive-stage thread of the pipeline, so the
 *      archiving of one batch overlaps the processing of the previous;
 *      no batch is processed before it is archived;
 *
 * and the processing thread (the caller of roost_pipeline_run) then:
 *
 *   2. parses and normalizes each record; posts (and control events when
 *      asked) go to the output file, bad records to the dead-letter file;
 *      the batch's posts and control events go to every sink (one
 *      roost_sink_write per sink and batch); a batch a sink rejects is
 *      dead-lettered post by post ("sink NAME rejected: ...") and counted;
 *   3. flushes the sinks, syncs the outputs and writes a checkpoint: how
 *      many archived records are fully processed, and the output files'
 *      lengths — a group commit, every commit_ms or commit_records, and
 *      whenever the queue is idle.
 *
 * On start, the archive recovers its torn tail, the outputs are cut back
 * to the checkpointed lengths, the archived records past the checkpoint
 * are processed again, and each source resumes after the last position it
 * had archived. So a kill -9 at any moment loses nothing and writes
 * nothing twice. Sinks cannot be cut back, so they may see the records
 * past the checkpoint again; they are idempotent by post id (sink.h).
 * Thread: one owner thread; sources and the archive stage run their own
 * threads inside.
 */
#ifndef ROOST_ENGINE_PIPELINE_H
#define ROOST_ENGINE_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/queue.h"
#include "parse/post.h"
#include "source/source.h"
#include "store/sink.h"

struct roost_pipeline_stats {
    uint64_t n_records;   /* processed (archived, normalized or dead) */
    uint64_t n_bytes;
    uint64_t n_posts;
    uint64_t n_ctls;
    uint64_t n_dead;      /* dead letters, all classes */
    uint64_t n_dead_parse, n_dead_utf8, n_dead_limit, n_dead_other;
    uint64_t n_dead_sink; /* posts of batches a sink rejected (also in
                             n_dead and its class) */
    uint64_t n_sink_writes; /* roost_sink_write calls that succeeded */
    uint64_t n_sink_retries; /* transient sink failures retried */
    uint64_t n_sink_waits;   /* sink writes that waited for a writer
                                thread's queue (backpressure) */
    uint64_t n_recovered; /* archived records re-processed at start */
    uint64_t n_archived;
    struct roost_queue_stats queue;
    uint32_t n_sources, n_sources_done;
};

typedef void roost_progress_fn(void *arg,
                               const struct roost_pipeline_stats *st);

/*
 * struct roost_pipeline_hook - a consumer of normalized posts that shares
 * the pipeline's exactly-once recovery (the continuous query engine,
 * engine/engine.h). All calls come from the processing thread:
 * recover() once at start with the checkpointed record count, posts()
 * per normalized record, commit() after each durable checkpoint (also
 * without an archive), tick() when idle, finish() when every source has
 * ended. A negative return stops the pipeline with that error.
 */
struct roost_pipeline_hook {
    int (*recover)(void *arg, const char *archive_dir, uint64_t n_done,
                   struct roost_diag *diag);
    int (*posts)(void *arg, const struct roost_post *posts, uint32_t n);
    int (*commit)(void *arg, uint64_t n_done);
    int (*tick)(void *arg);
    int (*finish)(void *arg, uint64_t n_done);
    void *arg;
};

struct roost_pipeline_cfg {
    const struct roost_pipeline_hook *hook; /* NULL: none; borrowed */
    const char *archive_dir;   /* NULL: no archive, no recovery */
    bool inputs_replayable;    /* the inputs can be read again (files, an
                                  archive being replayed): with this or an
                                  archive, sinks are told they are
                                  replayable (sink.h) */
    int archive_fsync;         /* enum roost_archive_fsync; 0 = default */
    const char *out_path;      /* posts as JSONL; NULL: none; "-": stdout */
    bool out_control;          /* also write control events */
    const char *dead_letter_path; /* NULL: count only */
    enum roost_format format;
    size_t max_record_bytes;   /* default 1 MiB */
    enum roost_queue_policy policy;
    size_t queue_bytes;        /* default 64 MiB */
    const char *spill_dir;     /* default <archive_dir>/spill or /tmp */
    size_t batch_bytes;        /* default 1 MiB */
    int64_t batch_ms;          /* default 50 ms */
    int64_t process_delay_ms;  /* testing: sleep per batch (slow consumer) */
    int64_t commit_ms;         /* sync outputs + checkpoint at least this
                                  often (default 250 ms; also when idle) */
    uint64_t commit_records;   /* or after this many records (100000) */
    roost_progress_fn *progress;
    void *progress_arg;
    int64_t progress_ms;       /* default 1000 */
};

struct roost_pipeline;

int roost_pipeline_new(const struct roost_pipeline_cfg *cfg,
                       struct roost_pipeline **out, struct roost_diag *diag);
void roost_pipeline_free(struct roost_pipeline *p);

/* roost_pipeline_add_source - Takes src. Call before run. */
int roost_pipeline_add_source(struct roost_pipeline *p,
                              struct roost_source *src);

/*
 * roost_pipeline_add_sink - open sink (when it is not open yet) and write
 * every batch to it from now on. Takes sink, also on failure. Call before
 * run or replay. Returns 0, ROOST_ELIMIT (too many sinks) or the open's
 * error (diag says why).
 */
int roost_pipeline_add_sink(struct roost_pipeline *p, struct roost_sink *sink,
                            struct roost_diag *diag);

/*
 * roost_pipeline_run - recover, start the sources, process until every
 * source has ended and the queue is empty, or roost_pipeline_stop().
 * Returns 0 or a negative ROOST_E* (diag says why).
 */
int roost_pipeline_run(struct roost_pipeline *p, struct roost_diag *diag);

/*
 * roost_pipeline_replay - feed the records of an archive (dir), received
 * in [from_ms, to_ms) and from `source` (NULL: all), through the same
 * processing as live input, into the pipeline's outputs. speed 0 is as
 * fast as possible; else the gaps between receive times are divided by
 * it. Deterministic: the same archive gives byte-identical output.
 * The pipeline must have no archive_dir of its own (replay only reads).
 */
int roost_pipeline_replay(struct roost_pipeline *p, const char *dir,
                          int64_t from_ms, int64_t to_ms, const char *source,
                          double speed, struct roost_diag *diag);

/* roost_pipeline_stop - ask run() to finish; async-signal-safe. */
void roost_pipeline_stop(struct roost_pipeline *p);

void roost_pipeline_stats(struct roost_pipeline *p,
                          struct roost_pipeline_stats *out);

/*
 * roost_pipeline_snapshot - the counters as of the last processed batch.
 * Thread: any (roost_pipeline_stats is for the owner thread only).
 */
void roost_pipeline_snapshot(struct roost_pipeline *p,
                             struct roost_pipeline_stats *out);

/* roost_pipeline_sources - the sources (borrowed), at most cap. The list
 * is fixed once run() starts; their stats have thread-safe getters. */
size_t roost_pipeline_sources(struct roost_pipeline *p,
                              struct roost_source **out, size_t cap);

#endif /* ROOST_ENGINE_PIPELINE_H */
