/* SPDX-License-Identifier: MIT
 *
 * window.h - grouped aggregation over event-time windows with a watermark.
 *
 * One struct roost_window holds the whole state of one stateful query: for
 * each group key, the aggregate states of every open slot. A slot is a
 * pane (TUMBLE, HOP), a session (SESSION) or the one running total (NONE,
 * the updateStateByKey case). HOP(size, slide) keeps panes of
 * gcd(size, slide) and serves each window by MERGING its panes' partial
 * states; nothing is recomputed from rows (rows are never kept).
 *
 * Time: the watermark is the largest event time seen minus the allowed
 * lateness (default 5 s). A row whose windows have all ended at or before
 * the watermark (SESSION: whose time is before the watermark) is late: it
 * is dropped and counted in late_dropped, which every result row reports.
 * A row without event time (ROOST_WINDOW_NO_TIME) is placed at now_ms, the
 * processing-time fallback. Windows close, and are emitted as final rows,
 * as soon as the watermark reaches their end: during roost_window_push(),
 * roost_window_advance() or roost_window_flush(). Emission order is
 * deterministic: by window end, then window start, then key bytes.
 *
 * Budget: cfg.max_bytes bounds the state. Once it is reached, rows of NEW
 * group keys no longer get exact state: when every aggregate is COUNT they
 * are counted in a Space-Saving sketch over the keys (rows from it carry
 * count_error > 0; the sketch has overflow_capacity counters), otherwise
 * they are dropped and counted in budget_dropped. Each aggregate state
 * also has its own args.max_bytes (exact COUNT_DISTINCT -> HLL).
 *
 * Start at roost_window_push(). Thread: owned by one thread.
 */
#ifndef ROOST_ENGINE_WINDOW_H
#define ROOST_ENGINE_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "engine/agg.h"
#include "engine/value.h"

#define ROOST_WINDOW_NO_TIME             INT64_MIN
#define ROOST_WINDOW_DEFAULT_LATENESS_MS 5000
/* allowed lateness is capped (never 24 h); |event time| is bounded */
#define ROOST_WINDOW_MAX_LATENESS_MS           (6 * 3600 * 1000LL)
#define ROOST_WINDOW_MAX_TIME_MS               ((int64_t)1 << 52)
#define ROOST_WINDOW_DEFAULT_MAX_BYTES         ((size_t)256 << 20)
#define ROOST_WINDOW_DEFAULT_OVERFLOW_CAPACITY 1000

/* Defined identically in query.h and window.h (guarded): the two
 * headers stand alone and may be included together. */
#ifndef ROOST_WINDOW_KIND_DEFINED
#define ROOST_WINDOW_KIND_DEFINED
enum roost_window_kind {
    ROOST_WINDOW_NONE = 0, /* running totals per key; closes at flush only */
    ROOST_WINDOW_TUMBLE,   /* size_ms */
    ROOST_WINDOW_HOP,      /* size_ms, slide_ms (size a multiple not needed) */
    ROOST_WINDOW_SESSION,  /* gap_ms */
};
#endif /* ROOST_WINDOW_KIND_DEFINED */

struct roost_window_row {
    struct roost_str key;     /* group key bytes as pushed */
    int64_t start_ms, end_ms; /* [start, end); NONE: first..last row + 1 */
    bool is_final;            /* closed (EMIT FINAL) or a change */
    size_t n_aggs;
    const struct roost_value *values; /* n_aggs results */
    const void *const *states;        /* n_aggs states (e.g. for TOP_K items);
                                         NULL for sketch-overflow rows */
    uint64_t n_rows;                  /* rows folded into this window */
    uint64_t count_error;             /* sketch-overflow rows: count - error <=
                                         true count; else 0 */
    double rel_error;                 /* max rel_error() over the aggregates */
    uint64_t late_dropped; /* late rows dropped so far (whole query) */
};

/*
 * roost_window_emit_fn - receives one result row. Ownership: everything
 * in *row is lent for the call. A negative return stops the emission and
 * is returned by the function that emitted.
 */
typedef int roost_window_emit_fn(void *arg, const struct roost_window_row *row);

struct roost_window_cfg {
    enum roost_window_kind kind;
    int64_t size_ms;     /* TUMBLE, HOP: > 0 */
    int64_t slide_ms;    /* HOP: > 0 */
    int64_t gap_ms;      /* SESSION: > 0 */
    int64_t lateness_ms; /* allowed lateness; < 0: default 5 s */
    size_t n_aggs;       /* 1..64 */
    const struct roost_agg_ops *const *aggs; /* n_aggs */
    const struct roost_agg_args *args;       /* n_aggs, or NULL */
    size_t max_bytes;                        /* state budget; 0: 256 MiB */
    uint32_t overflow_capacity; /* counters of the overflow sketch */
    roost_window_emit_fn *emit; /* required */
    void *emit_arg;
};

struct roost_window_stats {
    uint64_t n_rows;         /* rows pushed */
    uint64_t late_dropped;   /* rows dropped as late */
    uint64_t budget_dropped; /* rows of new keys refused over budget */
    uint64_t n_overflow;     /* rows counted by the overflow sketch */
    uint64_t n_emitted;      /* result rows emitted */
    uint64_t n_groups;       /* group keys with exact state */
    uint64_t n_slots;        /* open panes / sessions */
    size_t bytes;            /* state bytes (keys, slots, agg states) */
    int64_t watermark_ms;    /* INT64_MIN before the first row */
};

struct roost_window;

/* roost_window_new - validate cfg and make an empty window. */
int roost_window_new(const struct roost_window_cfg *cfg,
                     struct roost_window **out);
void roost_window_free(struct roost_window *w);

/*
 * roost_window_push - fold one row: key is the group key (bytes, copied;
 * the executor encodes multi-column keys), vals the n_aggs aggregate
 * arguments. ts_ms is the event time or ROOST_WINDOW_NO_TIME (then now_ms
 * is used). First the watermark advances and closes what it passes (emit
 * is called), then the row is folded in, or counted as late.
 * Returns: 0 (also for late and over-budget rows, which are counted),
 * ROOST_EINVAL for a time beyond +-ROOST_WINDOW_MAX_TIME_MS, ROOST_ENOMEM,
 * or what emit returned.
 */
int roost_window_push(struct roost_window *w, struct roost_str key,
                      int64_t ts_ms, int64_t now_ms,
                      const struct roost_value *vals);

/*
 * roost_window_advance - move the event-time clock to at least ts_ms (as
 * if a row at ts_ms came: the watermark becomes ts_ms - lateness) and
 * close what it passes. For idle sources and processing-time queries.
 */
int roost_window_advance(struct roost_window *w, int64_t ts_ms);

/*
 * roost_window_emit_changes - emit the current results (is_final false) of
 * every open window of the groups changed since the last call (EMIT
 * CHANGES). Returns 0 or what emit returned.
 */
int roost_window_emit_changes(struct roost_window *w);

/* roost_window_flush - close every window (end of input), emitting it. */
int roost_window_flush(struct roost_window *w);

void roost_window_stats(const struct roost_window *w,
                        struct roost_window_stats *out);

/*
 * roost_window_save - append the whole state to out (checkpoints).
 * roost_window_load - replace the state of a window made with the same cfg
 * by a saved one. Returns 0, ROOST_EPARSE (bad or mismatching encoding;
 * the window is left empty), ROOST_ENOMEM or ROOST_ELIMIT (out's cap).
 */
int roost_window_save(const struct roost_window *w, struct roost_buf *out);
int roost_window_load(struct roost_window *w, const char *p, size_t len);

#endif /* ROOST_ENGINE_WINDOW_H */
