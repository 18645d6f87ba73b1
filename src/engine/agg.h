/* SPDX-License-Identifier: MIT
 *
 * agg.h - the aggregate plug-in contract and its registry.
 *
 * An aggregate is one `const struct roost_agg_ops` in one file (agg_<name>.c)
 * and one line ROOST_AGG(<name>) in src/engine/aggs.def. Its state is a
 * block of ops->state_size bytes owned by the caller (the window keeps one
 * per group and pane); the ops may hang heap memory off it, which fini
 * frees. Every state:
 *
 *   - ignores SQL NULL inputs (COUNT(*) is COUNT of any non-NULL value, so
 *     the executor passes roost_value_bool(true) for `*`);
 *   - is mergeable: merge(dst, src) gives what adding src's rows to dst
 *     would have given (exactly for the exact aggregates, within the stated
 *     bound for the sketches), which is how hopping and "last hour"
 *     windows are served from per-pane partial states;
 *   - is bounded: args->max_bytes caps what one state may hold. Exact
 *     COUNT(DISTINCT) switches to HyperLogLog when it would exceed it and
 *     from then on reports rel_error() > 0; TOP_K is bounded by its
 *     capacity; MIN/MAX keep at most one string each;
 *   - reports its heap + inline size through bytes() (metrics, budgets);
 *   - saves to and loads from a self-contained byte string (checkpoints).
 *
 * Built-in names (SQL, case-insensitive): COUNT SUM AVG MIN MAX
 * COUNT_DISTINCT (the parser maps COUNT(DISTINCT x) to it)
 * APPROX_COUNT_DISTINCT TOP_K.
 *
 * TOP_K returns a list. result() renders it as a JSON text value
 *   [{"key":"a","count":12,"error":0},...]
 * (count descending, ties by key bytes ascending; count is an upper bound,
 * count - error a lower bound); an executor that wants one row per item
 * reads roost_agg_topk_items() instead.
 * Thread: a state is owned by one thread; ops tables are immutable.
 */
#ifndef ROOST_ENGINE_AGG_H
#define ROOST_ENGINE_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"
#include "engine/value.h"

#define ROOST_AGG_DEFAULT_MAX_BYTES ((size_t)1 << 20) /* per state */
#define ROOST_AGG_DEFAULT_TOPK_K    10
#define ROOST_AGG_DEFAULT_HLL_P     14

/* Per-call-site parameters; zero fields take the defaults above. */
struct roost_agg_args {
    uint32_t k;        /* TOP_K: items reported (default 10, max 100000) */
    uint32_t capacity; /* TOP_K: counters kept; 0 = max(10 * k, 1000) */
    uint8_t hll_p;     /* HLL precision 4..18 (default 14: 1.04/128 rse) */
    size_t max_bytes;  /* byte budget of one state (COUNT_DISTINCT exact) */
};

struct roost_agg_ops {
    const char *name;    /* SQL name, upper case: "TOP_K" */
    const char *summary; /* one line for `roost aggs` */
    size_t state_size;   /* bytes of caller storage per state */
    uint8_t n_args;      /* SQL arguments: 1, or 2 for TOP_K(key, k) */

    /* init - make an empty state in zeroed storage. 0 or ROOST_EINVAL. */
    int (*init)(void *st, const struct roost_agg_args *a);
    /*
     * add - fold v in `weight` times (weight >= 1; COUNT and TOP_K count
     * it, SUM multiplies, MIN/MAX/DISTINCT ignore it). NULL v is a no-op.
     * Returns 0 or ROOST_ENOMEM (the state is unchanged then).
     */
    int (*add)(void *st, const struct roost_value *v, int64_t weight);
    /* remove - undo one add(v, 1); NULL when not invertible. */
    int (*remove)(void *st, const struct roost_value *v);
    /* merge - fold src (same ops, same args) into dst. 0 or ENOMEM. */
    int (*merge)(void *dst, const void *src);
    /*
     * result - the current value. Strings point into the state (valid until
     * its next mutation) or into scratch (valid until its reset); copy
     * what you keep. Types: COUNT, COUNT_DISTINCT, APPROX_COUNT_DISTINCT:
     * INT; SUM: INT (DOUBLE once a DOUBLE came in or int64 overflowed),
     * NULL before any row; AVG: DOUBLE or NULL; MIN/MAX: the input type
     * or NULL; TOP_K: STRING (JSON). Returns 0 or ROOST_ENOMEM.
     */
    int (*result)(const void *st, struct roost_value *out,
                  struct roost_arena *scratch);
    /*
     * rel_error - relative standard error of result() (0 while exact);
     * NULL means always exact. For TOP_K: the max error over reported
     * items divided by the total count.
     */
    double (*rel_error)(const void *st);
    /* bytes - state_size plus heap bytes held, for budgets and metrics. */
    size_t (*bytes)(const void *st);
    /* save - append a self-contained encoding to out. 0 or ELIMIT/ENOMEM. */
    int (*save)(const void *st, struct roost_buf *out);
    /*
     * load - replace an init()ed state with one saved by the same ops.
     * Returns 0, ROOST_EPARSE for a bad encoding (state left empty), or
     * ROOST_ENOMEM.
     */
    int (*load)(void *st, const char *p, size_t len);
    /* fini - free what the state holds; the storage may be init()ed again. */
    void (*fini)(void *st);
};

/* One TOP_K item; key points into the state. */
struct roost_topk_item {
    struct roost_str key;
    uint64_t count; /* upper bound of the true count */
    uint64_t error; /* count - error <= true count <= count */
};

/* ----- registry ---------------------------------------------------------- */

/* roost_agg_find - the ops registered under name (ASCII case-insensitive). */
const struct roost_agg_ops *roost_agg_find(struct roost_str name);

/* roost_agg_at - the i-th registered ops (i < roost_agg_n()), for listing. */
const struct roost_agg_ops *roost_agg_at(size_t i);
size_t roost_agg_n(void);

/* ----- accessors --------------------------------------------------------- */

/*
 * roost_agg_topk_items - the state's top items (at most its k and n),
 * count descending, ties by key. st must be a TOP_K state.
 * Returns: the number written to out.
 * Ownership: keys point into st, valid until its next mutation.
 */
size_t roost_agg_topk_items(const void *st, struct roost_topk_item *out,
                            size_t n);

/* roost_agg_topk_total - sum of all weights added to a TOP_K state. */
uint64_t roost_agg_topk_total(const void *st);

/* roost_agg_distinct_is_exact - false once a COUNT_DISTINCT state fell
 * back to HyperLogLog (its budget was exceeded). */
bool roost_agg_distinct_is_exact(const void *st);

/*
 * roost_agg_value_hash - 64-bit hash of a value as DISTINCT sees it: 1 and
 * 1.0 are equal, '1' and 1 are not. Also for group keys.
 */
uint64_t roost_agg_value_hash(const struct roost_value *v);

/*
 * roost_agg_value_cmp - SQL-ish order for MIN/MAX and tests: NULL < BOOL <
 * numbers (INT, DOUBLE and TIME compared by value) < STRING (bytewise).
 */
int roost_agg_value_cmp(const struct roost_value *a,
                        const struct roost_value *b);

#endif /* ROOST_ENGINE_AGG_H */
