/* SPDX-License-Identifier: MIT
 *
 * source.h - inputs: the plug-in interface, the registry, and the
 * receiver thread that runs one source.
 *
 * A source is one file (src_<name>.c) holding static callbacks, a context
 * struct, an option table, and `const struct roost_source_ops
 * roost_source_<name>`; plus one registration line `roost_source(<name>)`
 * in CMakeLists.txt, which generates the registry table.
 *
 * Specs name a source and its options the way users type them:
 *
 *     NAME[:ARG][?key=value[&key=value...]]
 *     file:/data/in?follow=true&max-files-per-trigger=10
 *     tcp://127.0.0.1:9999?mode=server
 *     simulate?rate=5700&seed=42
 *     stdin
 *
 * ARG (a leading "//" is dropped) goes to src->arg; the keys are checked
 * against the source's option table. Unknown keys are errors. A key with
 * no "=value" means "=true"; "%XX" escapes are decoded in keys and values.
 * Every source also takes the common options `name` (instance name) and
 * `max-record` (src->max_record_bytes, default 1MiB).
 */
#ifndef ROOST_SOURCE_SOURCE_H
#define ROOST_SOURCE_SOURCE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/batch.h"
#include "core/err.h"
#include "core/option.h"
#include "core/queue.h"

struct roost_source;
struct roost__runner;

struct roost_source_ops {
    const char *name;                   /* spec and config name: "tcp" */
    const char *summary;                /* one line for `roost sources` */
    const struct roost_option *options; /* written into ctx by the core */
    size_t ctx_size;                    /* zeroed and freed by the core */
    /* Options are set; take fds. Resume from src->resume when not "". */
    int (*open)(struct roost_source *src);
    /* fd to wait on for readability, or -1: poll me every tick. */
    int (*fd)(struct roost_source *src);
    /*
     * Append records to out. Returns 0 when it appended something (call
     * again), ROOST_EAGAIN when there is nothing to read now, ROOST_ELIMIT
     * when out is full (the runner pushes it and calls again with a fresh
     * batch), ROOST_ENOENT when a finite source is exhausted, or another
     * error (the runner logs it, counts it, and stops the source).
     */
    int (*poll)(struct roost_source *src, struct roost_batch *out);
    void (*close)(struct roost_source *src); /* also after a failed open */
};

struct roost_source_stats {
    uint64_t n_records; /* appended to batches */
    uint64_t n_bytes;
    uint64_t n_bad;     /* records the source flagged (oversize...) */
    uint64_t n_errors;  /* poll errors */
    uint64_t n_batches;
    uint64_t n_dropped; /* batches the queue dropped */
    uint64_t n_spilled;
};

struct roost_source {
    const struct roost_source_ops *ops; /* read-only */
    char name[64];          /* instance name: ops->name unless name= given */
    char *arg;              /* the spec's ARG, or NULL */
    void *ctx;              /* the plug-in's context (options applied) */
    char resume[1024];      /* position to resume after, "" for none */
    size_t max_record_bytes; /* records over this are flagged ELIMIT */
    /* updated by the receiver thread: read with roost_source_get_stats()
     * while it runs */
    struct roost_source_stats stats;
    /* private: the receiver thread (roost_source_start/stop) */
    struct roost__runner *runner;
    pthread_t thread;
    bool running;
    atomic_int stop;        /* set by roost_source_stop() */
    int exit_rc;            /* how the receiver thread ended */
};

/* roost_source_find - ops by name, NULL when unknown. */
const struct roost_source_ops *roost_source_find(const char *name);

/* roost_source_list - the registry: *out gets a NULL-terminated array. */
const struct roost_source_ops *const *roost_source_list(void);

/*
 * roost_source_new - parse spec, find the plug-in, apply its options.
 * Returns: 0 with *out set; ROOST_ENOENT for an unknown source name;
 * ROOST_EINVAL for a bad spec or option (diag says which).
 */
int roost_source_new(const char *spec, struct roost_source **out,
                     struct roost_diag *diag);
void roost_source_free(struct roost_source *src);

/* roost_source_help - the options of one source, for `roost help source`. */
int roost_source_help(const struct roost_source_ops *ops,
                      struct roost_buf *out);

/* ---- the receiver thread ------------------------------------------------ */

struct roost_runner_cfg {
    struct roost_queue *queue; /* where full batches go (Takes them) */
    size_t batch_bytes;        /* cut a batch at this size (0: 1 MiB); raised
                                  to fit one max_record_bytes record */
    int64_t batch_ms;          /* or when its first record is this old
                                  (0: 250 ms) */
};

/*
 * roost_source_start - open src and run it on its own thread: poll into
 * batches, push each full (or old enough) batch to the queue; wait on the
 * source's fd, or tick every few ms when it has none. Finite sources end
 * the thread at ROOST_ENOENT after pushing what they have.
 * Returns: 0, or the open error (the thread is not started).
 * Thread: call from the owning (main) thread.
 */
int roost_source_start(struct roost_source *src,
                       const struct roost_runner_cfg *cfg);

/* roost_source_stop - ask the thread to end, push what it has, join.
 * With a BLOCK queue that stays full, it returns once the consumer makes
 * room or the queue is closed (the push then drops and counts). */
void roost_source_stop(struct roost_source *src);

/* roost_source_is_done - the thread has ended (finite input, or error);
 * also true when it is not running. src->exit_rc says how it ended. */
bool roost_source_is_done(struct roost_source *src);

/* roost_source_get_stats - a consistent copy of src->stats, any thread. */
void roost_source_get_stats(struct roost_source *src,
                            struct roost_source_stats *out);

#endif /* ROOST_SOURCE_SOURCE_H */
