/* SPDX-License-Identifier: MIT
 *
 * exec.h - one continuous query, compiled against its stream table and
 * run incrementally, post by post.
 *
 * The operator pipeline of a query is
 *
 *   explode (stream_tables) -> filter (WHERE) -> group keys + window
 *   (window.h: panes, watermark, late rows) -> aggregates (agg.h)
 *   -> HAVING -> projection -> result table -> ORDER BY / LIMIT per
 *   trigger
 *
 * A query that does not aggregate stops after the filter and projects
 * each row. Output modes follow Spark Structured Streaming:
 *
 *   append    each row once, when it is final (a closed window; every row
 *             of a query that does not aggregate)
 *   update    the rows that changed since the last trigger
 *   complete  the whole result table at every trigger
 *
 * The default is emit-final: append for windowed aggregations (EMIT
 * CHANGES makes them update), complete for running totals without a
 * window (the updateStateByKey case), append for plain filters. Every
 * result row of an aggregation carries `late_dropped`: the late rows the
 * query has dropped so far. Rows without an event time use processing time
 * (the now_ms given to push).
 *
 * State is single-writer: the thread that pushes owns the query. It is
 * saved and loaded whole (roost_exec_save/_load) for checkpoints.
 * Thread: one owner thread.
 */
#ifndef ROOST_ENGINE_EXEC_H
#define ROOST_ENGINE_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "engine/result.h"
#include "parse/post.h"

enum roost_output_mode {
    ROOST_OUTPUT_DEFAULT = 0, /* emit-final, as above */
    ROOST_OUTPUT_APPEND,
    ROOST_OUTPUT_UPDATE,
    ROOST_OUTPUT_COMPLETE,
};

#define ROOST_EXEC_DEFAULT_MAX_RESULT_ROWS 100000
#define ROOST_EXEC_MAX_KEY_BYTES 4096

struct roost_exec_cfg {
    const char *name;        /* query name: results, checkpoints */
    const char *sql;         /* the query text */
    uint8_t mode;            /* enum roost_output_mode */
    int64_t lateness_ms;     /* allowed lateness; < 0: window default */
    size_t max_state_bytes;  /* window state budget; 0: default */
    size_t max_result_rows;  /* result table cap; 0: default */
    bool stop_words;         /* words table: drop stop words */
};

struct roost_exec_stats {
    uint64_t n_posts;        /* posts pushed */
    uint64_t n_rows;         /* stream rows exploded */
    uint64_t n_filtered;     /* rows WHERE rejected */
    uint64_t n_eval_errors;  /* rows dropped: evaluation ran out of room */
    uint64_t late_dropped;   /* rows dropped as late */
    uint64_t budget_dropped; /* rows of new keys refused over budget */
    uint64_t n_groups;       /* group keys with exact state */
    size_t state_bytes;      /* window + aggregate state */
    size_t n_result_rows;    /* rows in the result table */
    uint64_t n_result_evicted; /* final rows evicted at the table cap */
    int64_t watermark_ms;
};

struct roost_exec;

/*
 * roost_exec_new - parse, bind and compile cfg->sql.
 * Returns: 0 with *out set; ROOST_EPARSE with "line:col: ..." in diag for
 * a bad query (or an unknown stream table); ROOST_EINVAL for a query the
 * executor cannot run (the reason in diag); ROOST_ENOMEM.
 */
int roost_exec_new(const struct roost_exec_cfg *cfg, struct roost_exec **out,
                   struct roost_diag *diag);
void roost_exec_free(struct roost_exec *x);

/* roost_exec_name - the query's name. */
const char *roost_exec_name(const struct roost_exec *x);

/* roost_exec_trigger_ms - EMIT CHANGES EVERY interval, or 0. */
int64_t roost_exec_trigger_ms(const struct roost_exec *x);

/*
 * roost_exec_push - run post p through the query. now_ms is processing
 * time (used for rows without an event time).
 * Returns 0 or ROOST_ENOMEM; bad rows are counted, never fatal.
 */
int roost_exec_push(struct roost_exec *x, const struct roost_post *p,
                    int64_t now_ms);

/*
 * roost_exec_tick - processing-time clock: close processing-time windows
 * that ended before now_ms - lateness. Event-time windows are left alone.
 */
int roost_exec_tick(struct roost_exec *x, int64_t now_ms);

/* roost_exec_finish - end of input: close every window. */
int roost_exec_finish(struct roost_exec *x);

/*
 * roost_exec_trigger - the rows this trigger emits, by output mode,
 * ordered and limited, into out (columns set by the call).
 * Returns 0 or ROOST_ENOMEM.
 */
int roost_exec_trigger(struct roost_exec *x, struct roost_rowset *out);

/* roost_exec_view - the whole result table now (complete), ordered and
 * limited per window, into out. Does not consume changes. */
int roost_exec_view(struct roost_exec *x, struct roost_rowset *out);

void roost_exec_stats(const struct roost_exec *x,
                      struct roost_exec_stats *out);

/*
 * roost_exec_save - append the whole state (window state, result table,
 * pending changes) to out.
 * roost_exec_load - replace the state of a query compiled from the same
 * text by a saved one. Returns 0, ROOST_EPARSE for a bad or mismatching
 * encoding (the state is then empty), ROOST_ENOMEM.
 */
int roost_exec_save(const struct roost_exec *x, struct roost_buf *out);
int roost_exec_load(struct roost_exec *x, const char *p, size_t len);

#endif /* ROOST_ENGINE_EXEC_H */
