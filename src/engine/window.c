/* SPDX-License-Identifier: MIT
 *
 * window.c - grouped aggregation over event-time windows.
 *
 * The model (see window.h for the contract): a hash index maps each group
 * key to a struct group, which holds its open slots sorted by start. A
 * slot is a block: struct slot, then one aggregate state per aggregate at
 * fixed offsets. TUMBLE and HOP slots are panes of gcd(size, slide); a
 * HOP window [s, s + size) is served by merging the panes inside it into
 * scratch states. SESSION slots are sessions [first, last + gap) that
 * merge when a row bridges them. NONE has one slot per group.
 *
 * Invariant: every window ending at or before w->wm has been emitted, and
 * no slot is kept that only such windows contain. Because closing is eager
 * (it runs whenever the watermark moves), a row is late exactly when every
 * window it belongs to has ended by the watermark, independent of when
 * the executor calls us. w->next_close is a lower bound on the earliest
 * end of a window with data, so most pushes skip the close scan.
 *
 * Start at roost_window_push(), then close_through().
 */
#include <stdlib.h>
#include <string.h>

#include "core/map.h"
#include "core/mem.h"
#include "engine/agg_int.h"
#include "engine/window.h"

#define WM_MIN      (-((int64_t)1 << 62))
#define WM_MAX      ((int64_t)1 << 62)
#define MAX_SPAN_MS ((int64_t)1 << 42)
#define MAX_AGGS    64
#define SAVE_MAGIC  0x314e4957544f4f52ull /* "ROOTWIN1" */

struct slot {
    int64_t start, end; /* pane: [start, start + pane); session, NONE:
                           [first row, last row + gap or + 1) */
    uint64_t n_rows;
    /* aggregate states follow, at aggset.off[] */
};

/* a list of aggregates with the layout of their states behind a slot */
struct aggset {
    size_t n;
    const struct roost_agg_ops **ops;
    struct roost_agg_args *args;
    size_t *off; /* offset of state i from the slot's start */
    size_t size; /* sizeof(struct slot) + states, rounded to 16 */
};

struct group {
    uint64_t hash;
    struct slot **slots; /* sorted by start; disjoint */
    uint32_t n_slots, cap_slots;
    bool dirty;       /* changed since the last emit_changes */
    bool is_overflow; /* the sketch pseudo-group: one TOP_K over keys */
    uint32_t key_len;
    char key[];
};

struct emission {
    int64_t start, end;
    struct group *g;
};

struct roost_window {
    struct roost_window_cfg cfg;
    struct aggset main, ov;
    bool ov_enabled;
    int64_t pane, lateness;
    int64_t max_ts; /* INT64_MIN before the first row */
    int64_t wm;     /* watermark == closed through */
    int64_t next_close;
    struct group **groups;
    size_t n_groups, cap_groups;
    uint32_t *index; /* idx_cap slots: group index + 1, 0 empty */
    size_t idx_cap;
    struct group *ovg; /* overflow pseudo-group, NULL until needed */
    struct roost_window_stats st;
    struct roost_arena scratch;
    struct roost_value *vals;
    const void **states;
    char *tmp; /* merge target: a slot-sized block (main or ov layout) */
    struct emission *em;
    size_t n_em, cap_em;
};

/* ======================================================================
 * Time arithmetic (all |values| < 2^62, so nothing overflows)
 * ====================================================================== */

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t align_down(int64_t t, int64_t m)
{
    return floor_div(t, m) * m;
}

static int64_t align_up(int64_t t, int64_t m)
{
    return -align_down(-t, m);
}

static int64_t gcd64(int64_t a, int64_t b)
{
    while (b != 0) {
        int64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static bool is_paned(const struct roost_window *w)
{
    return w->cfg.kind == ROOST_WINDOW_TUMBLE ||
           w->cfg.kind == ROOST_WINDOW_HOP;
}

/* the end of the last window containing the pane starting at ps */
static int64_t pane_last_end(const struct roost_window *w, int64_t ps)
{
    return align_down(ps, w->cfg.slide_ms) + w->cfg.size_ms;
}

/* the first window start whose window contains the pane at ps and ends
 * after wm */
static int64_t first_open_start(const struct roost_window *w, int64_t ps,
                                int64_t wm)
{
    int64_t size = w->cfg.size_ms, slide = w->cfg.slide_ms;
    int64_t s1 = align_up(ps - size + 1, slide);
    int64_t s2 = align_up(wm - size + 1, slide);
    return s1 > s2 ? s1 : s2;
}

static int64_t group_next_end(const struct roost_window *w,
                              const struct group *g)
{
    if (g->n_slots == 0 || w->cfg.kind == ROOST_WINDOW_NONE) {
        return INT64_MAX;
    }
    if (is_paned(w)) {
        return first_open_start(w, g->slots[0]->start, w->wm) + w->cfg.size_ms;
    }
    return g->slots[0]->end;
}

/* ======================================================================
 * Slots and their states
 * ====================================================================== */

static void *state_at(const struct aggset *set, const void *slot, size_t i)
{
    return (char *)slot + set->off[i];
}

static const struct aggset *set_of(const struct roost_window *w,
                                   const struct group *g)
{
    return g->is_overflow ? &w->ov : &w->main;
}

static size_t slot_bytes(const struct aggset *set, const struct slot *s)
{
    size_t b = set->size;
    for (size_t i = 0; i < set->n; i++) {
        b += set->ops[i]->bytes(state_at(set, s, i)) - set->ops[i]->state_size;
    }
    return b;
}

static void states_fini(const struct aggset *set, void *block)
{
    for (size_t i = 0; i < set->n; i++) {
        set->ops[i]->fini(state_at(set, block, i));
    }
}

static int states_init(const struct aggset *set, void *block)
{
    memset(block, 0, set->size);
    for (size_t i = 0; i < set->n; i++) {
        int rc = set->ops[i]->init(state_at(set, block, i), &set->args[i]);
        if (rc < 0) {
            for (size_t j = 0; j < i; j++) {
                set->ops[j]->fini(state_at(set, block, j));
            }
            return rc;
        }
    }
    return 0;
}

static void slot_free(struct roost_window *w, const struct aggset *set,
                      struct slot *s)
{
    w->st.bytes -= slot_bytes(set, s);
    w->st.n_slots--;
    states_fini(set, s);
    roost_free(s);
}

static int slot_new(struct roost_window *w, const struct aggset *set,
                    int64_t start, int64_t end, struct slot **out)
{
    struct slot *s = roost_malloc(set->size);
    if (s == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    int rc = states_init(set, s);
    if (rc < 0) {
        roost_free(s);
        return rc;
    }
    s->start = start;
    s->end = end;
    s->n_rows = 0;
    w->st.bytes += slot_bytes(set, s);
    w->st.n_slots++;
    *out = s;
    return 0;
}

/* insert s into g at position i */
static int group_insert_slot(struct roost_window *w, struct group *g,
                             uint32_t i, struct slot *s)
{
    if (g->n_slots == g->cap_slots) {
        uint32_t ncap = g->cap_slots != 0 ? g->cap_slots * 2 : 2;
        struct slot **p = roost_realloc(g->slots, ncap * sizeof(*p));
        if (p == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        w->st.bytes += (ncap - g->cap_slots) * sizeof(*p);
        g->slots = p;
        g->cap_slots = ncap;
    }
    memmove(&g->slots[i + 1], &g->slots[i],
            (g->n_slots - i) * sizeof(g->slots[0]));
    g->slots[i] = s;
    g->n_slots++;
    return 0;
}

static void group_remove_slots(struct group *g, uint32_t i, uint32_t n)
{
    if (n == 0) {
        return;
    }
    memmove(&g->slots[i], &g->slots[i + n],
            (g->n_slots - i - n) * sizeof(g->slots[0]));
    g->n_slots -= n;
}

/* fold one row's values into a slot, keeping the byte count */
static int slot_add(struct roost_window *w, const struct aggset *set,
                    struct slot *s, const struct roost_value *vals,
                    int64_t weight)
{
    for (size_t i = 0; i < set->n; i++) {
        void *st = state_at(set, s, i);
        size_t before = set->ops[i]->bytes(st);
        int rc = set->ops[i]->add(st, &vals[i], weight);
        w->st.bytes += set->ops[i]->bytes(st) - before;
        if (rc < 0) {
            return rc;
        }
    }
    s->n_rows++;
    return 0;
}

/* ======================================================================
 * Groups and the key index
 * ====================================================================== */

static size_t group_bytes(const struct group *g)
{
    return sizeof(*g) + g->key_len + g->cap_slots * sizeof(struct slot *);
}

static void group_free(struct roost_window *w, struct group *g)
{
    const struct aggset *set = set_of(w, g);
    for (uint32_t i = 0; i < g->n_slots; i++) {
        slot_free(w, set, g->slots[i]);
    }
    w->st.bytes -= group_bytes(g);
    roost_free(g->slots);
    roost_free(g);
}

static size_t index_find(const struct roost_window *w, uint64_t h,
                         struct roost_str key)
{
    size_t mask = w->idx_cap - 1, i = (size_t)h & mask;
    while (w->index[i] != 0) {
        const struct group *g = w->groups[w->index[i] - 1];
        if (g->hash == h && g->key_len == key.len &&
            (key.len == 0 || memcmp(g->key, key.ptr, key.len) == 0)) {
            return i;
        }
        i = (i + 1) & mask;
    }
    return i;
}

static int index_rebuild(struct roost_window *w, size_t cap)
{
    uint32_t *idx = roost_calloc(cap, sizeof(*idx));
    if (idx == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    w->st.bytes += (cap - w->idx_cap) * sizeof(*idx);
    roost_free(w->index);
    w->index = idx;
    w->idx_cap = cap;
    for (size_t j = 0; j < w->n_groups; j++) {
        struct group *g = w->groups[j];
        size_t s = index_find(w, g->hash, roost_str_make(g->key, g->key_len));
        w->index[s] = (uint32_t)j + 1;
    }
    return 0;
}

static int group_new(struct roost_window *w, struct roost_str key, uint64_t h,
                     struct group **out)
{
    if (w->n_groups >= UINT32_MAX - 1 || key.len > UINT32_MAX) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    if ((w->n_groups + 1) * 2 > w->idx_cap) {
        int rc = index_rebuild(w, w->idx_cap != 0 ? w->idx_cap * 2 : 64);
        if (rc < 0) {
            return rc;
        }
    }
    if (w->n_groups == w->cap_groups) {
        size_t ncap = w->cap_groups != 0 ? w->cap_groups * 2 : 64;
        struct group **p = roost_realloc(w->groups, ncap * sizeof(*p));
        if (p == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        w->st.bytes += (ncap - w->cap_groups) * sizeof(*p);
        w->groups = p;
        w->cap_groups = ncap;
    }
    struct group *g = roost_calloc(1, sizeof(*g) + key.len + 1);
    if (g == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    g->hash = h;
    g->key_len = (uint32_t)key.len;
    if (key.len > 0) {
        memcpy(g->key, key.ptr, key.len);
    }
    size_t s = index_find(w, h, key);
    w->groups[w->n_groups++] = g;
    w->index[s] = (uint32_t)w->n_groups;
    w->st.bytes += group_bytes(g);
    *out = g;
    return 0;
}

/* drop groups without slots; rebuild the index when any went */
static int compact_groups(struct roost_window *w)
{
    size_t j = 0;
    for (size_t i = 0; i < w->n_groups; i++) {
        struct group *g = w->groups[i];
        if (g->n_slots == 0) {
            group_free(w, g);
        } else {
            w->groups[j++] = g;
        }
    }
    if (j == w->n_groups) {
        return 0;
    }
    w->n_groups = j;
    memset(w->index, 0, w->idx_cap * sizeof(*w->index));
    for (size_t i = 0; i < w->n_groups; i++) {
        struct group *g = w->groups[i];
        size_t s = index_find(w, g->hash, roost_str_make(g->key, g->key_len));
        w->index[s] = (uint32_t)i + 1;
    }
    return 0;
}

/* ======================================================================
 * Emitting one window
 * ====================================================================== */

static int emit_row(struct roost_window *w, struct roost_window_row *row)
{
    row->late_dropped = w->st.late_dropped;
    w->st.n_emitted++;
    int rc = w->cfg.emit(w->cfg.emit_arg, row);
    roost_arena_reset(&w->scratch);
    return rc;
}

/* one row per sketch item; every COUNT reports the item's count */
static int emit_overflow(struct roost_window *w, const void *topk,
                         struct roost_window_row *row)
{
    struct roost_topk_item *items =
        roost_malloc(w->ov.args[0].k * sizeof(*items));
    if (items == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    size_t n = roost_agg_topk_items(topk, items, w->ov.args[0].k);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        for (size_t a = 0; a < w->main.n; a++) {
            w->vals[a] = roost_value_int((int64_t)items[i].count);
        }
        row->key = items[i].key;
        row->values = w->vals;
        row->states = NULL;
        row->count_error = items[i].error;
        row->n_rows = items[i].count;
        row->rel_error = items[i].count > 0
                             ? (double)items[i].error / (double)items[i].count
                             : 0.0;
        rc = emit_row(w, row);
    }
    roost_free(items);
    return rc;
}

/*
 * emit_window - emit [start, end) of g from its slots [lo, hi): directly
 * when one slot is the whole window, else merged into w->tmp.
 */
static int emit_window(struct roost_window *w, struct group *g, int64_t start,
                       int64_t end, uint32_t lo, uint32_t hi, bool is_final)
{
    const struct aggset *set = set_of(w, g);
    const void *block = NULL;
    uint64_t n_rows = 0;
    bool merged = false;
    int rc = 0;
    if (hi - lo == 1 && (!is_paned(w) || w->pane == w->cfg.size_ms)) {
        block = g->slots[lo];
        n_rows = g->slots[lo]->n_rows;
    } else {
        rc = states_init(set, w->tmp);
        if (rc < 0) {
            return rc;
        }
        merged = true;
        for (uint32_t j = lo; rc == 0 && j < hi; j++) {
            n_rows += g->slots[j]->n_rows;
            for (size_t i = 0; rc == 0 && i < set->n; i++) {
                rc = set->ops[i]->merge(state_at(set, w->tmp, i),
                                        state_at(set, g->slots[j], i));
            }
        }
        block = w->tmp;
    }
    struct roost_window_row row = {
        .key = roost_str_make(g->key, g->key_len),
        .start_ms = start,
        .end_ms = end,
        .is_final = is_final,
        .n_aggs = w->main.n,
        .n_rows = n_rows,
    };
    if (rc == 0 && g->is_overflow) {
        rc = emit_overflow(w, state_at(set, block, 0), &row);
    } else if (rc == 0) {
        for (size_t i = 0; rc == 0 && i < set->n; i++) {
            const void *st = state_at(set, block, i);
            w->states[i] = st;
            rc = set->ops[i]->result(st, &w->vals[i], &w->scratch);
            if (set->ops[i]->rel_error != NULL) {
                double e = set->ops[i]->rel_error(st);
                row.rel_error = e > row.rel_error ? e : row.rel_error;
            }
        }
        row.values = w->vals;
        row.states = w->states;
        if (rc == 0) {
            rc = emit_row(w, &row);
        }
    }
    if (merged) {
        states_fini(set, w->tmp);
    }
    return rc;
}

/* the slots of g inside [s, e): [*lo, *hi); from a hint position */
static void slots_in(const struct group *g, int64_t s, int64_t e, uint32_t *lo,
                     uint32_t *hi)
{
    uint32_t i = *lo;
    while (i < g->n_slots && g->slots[i]->start < s) {
        i++;
    }
    uint32_t j = i;
    while (j < g->n_slots && g->slots[j]->start < e) {
        j++;
    }
    *lo = i;
    *hi = j;
}

/* ======================================================================
 * Closing: the watermark passes window ends
 * ====================================================================== */

static int push_emission(struct roost_window *w, int64_t start, int64_t end,
                         struct group *g)
{
    if (w->n_em == w->cap_em) {
        size_t ncap = w->cap_em != 0 ? w->cap_em * 2 : 64;
        struct emission *p = roost_realloc(w->em, ncap * sizeof(*p));
        if (p == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        w->em = p;
        w->cap_em = ncap;
    }
    w->em[w->n_em++] = (struct emission){ start, end, g };
    return 0;
}

static int em_cmp(const void *pa, const void *pb)
{
    const struct emission *a = pa, *b = pb;
    if (a->end != b->end) {
        return a->end < b->end ? -1 : 1;
    }
    if (a->start != b->start) {
        return a->start < b->start ? -1 : 1;
    }
    if (a->g->is_overflow != b->g->is_overflow) {
        return a->g->is_overflow ? 1 : -1;
    }
    size_t n = a->g->key_len < b->g->key_len ? a->g->key_len : b->g->key_len;
    int r = n > 0 ? memcmp(a->g->key, b->g->key, n) : 0;
    if (r != 0) {
        return r;
    }
    return a->g->key_len < b->g->key_len ? -1 : a->g->key_len > b->g->key_len;
}

/* collect the windows of g ending in (old_wm, new_wm] */
static int collect(struct roost_window *w, struct group *g, int64_t old_wm,
                   int64_t new_wm)
{
    int rc = 0;
    if (g->n_slots == 0) {
        return 0;
    }
    if (w->cfg.kind == ROOST_WINDOW_NONE) {
        if (new_wm >= WM_MAX) {
            rc = push_emission(w, g->slots[0]->start, g->slots[0]->end, g);
        }
        return rc;
    }
    if (!is_paned(w)) {
        for (uint32_t i = 0; rc == 0 && i < g->n_slots; i++) {
            if (g->slots[i]->end <= new_wm) {
                rc = push_emission(w, g->slots[i]->start, g->slots[i]->end, g);
            }
        }
        return rc;
    }
    int64_t size = w->cfg.size_ms, slide = w->cfg.slide_ms;
    int64_t s = first_open_start(w, g->slots[0]->start, old_wm);
    uint32_t lo = 0, hi = 0;
    while (rc == 0 && s + size <= new_wm) {
        slots_in(g, s, s + size, &lo, &hi);
        if (lo == g->n_slots) {
            break;
        }
        if (lo == hi) { /* skip to the first window holding slot lo */
            int64_t next = align_up(g->slots[lo]->start - size + 1, slide);
            s = next > s ? next : s + slide;
            continue;
        }
        rc = push_emission(w, s, s + size, g);
        s += slide;
    }
    return rc;
}

/* free the slots of g that no open window needs */
static void prune(struct roost_window *w, struct group *g, int64_t wm)
{
    const struct aggset *set = set_of(w, g);
    uint32_t j = 0;
    for (uint32_t i = 0; i < g->n_slots; i++) {
        struct slot *s = g->slots[i];
        bool done =
            is_paned(w) ? pane_last_end(w, s->start) <= wm : s->end <= wm;
        if (w->cfg.kind == ROOST_WINDOW_NONE) {
            done = wm >= WM_MAX;
        }
        if (done) {
            slot_free(w, set, s);
        } else {
            g->slots[j++] = s;
        }
    }
    g->n_slots = j;
}

static int emit_collected(struct roost_window *w)
{
    if (w->n_em == 0) {
        return 0;
    }
    qsort(w->em, w->n_em, sizeof(*w->em), em_cmp);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < w->n_em; i++) {
        struct emission *e = &w->em[i];
        uint32_t lo = 0, hi = 0;
        if (is_paned(w)) {
            slots_in(e->g, e->start, e->end, &lo, &hi);
        } else {
            while (e->g->slots[lo]->start != e->start) {
                lo++;
            }
            hi = lo + 1;
        }
        rc = emit_window(w, e->g, e->start, e->end, lo, hi, true);
    }
    w->n_em = 0;
    return rc;
}

/*
 * close_through - make new_wm the watermark: emit every window ending in
 * (wm, new_wm], then drop what only closed windows needed. An emit error
 * stops the emission but the state still moves on (the rows are lost to
 * that sink; the executor treats it as fatal).
 */
static int close_through(struct roost_window *w, int64_t new_wm)
{
    if (new_wm <= w->wm) {
        return 0;
    }
    int64_t old_wm = w->wm;
    if (w->next_close > new_wm && new_wm < WM_MAX) {
        w->wm = new_wm;
        return 0;
    }
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < w->n_groups; i++) {
        rc = collect(w, w->groups[i], old_wm, new_wm);
    }
    if (rc == 0 && w->ovg != NULL) {
        rc = collect(w, w->ovg, old_wm, new_wm);
    }
    if (rc == 0) {
        rc = emit_collected(w);
    }
    w->n_em = 0;
    w->wm = new_wm;
    w->next_close = INT64_MAX;
    for (size_t i = 0; i < w->n_groups; i++) {
        struct group *g = w->groups[i];
        prune(w, g, new_wm);
        int64_t e = group_next_end(w, g);
        w->next_close = e < w->next_close ? e : w->next_close;
    }
    if (w->ovg != NULL) {
        prune(w, w->ovg, new_wm);
        int64_t e = group_next_end(w, w->ovg);
        w->next_close = e < w->next_close ? e : w->next_close;
    }
    int crc = compact_groups(w);
    w->st.n_groups = w->n_groups;
    return rc < 0 ? rc : crc;
}

static int advance_max(struct roost_window *w, int64_t ts)
{
    if (w->max_ts != INT64_MIN && ts <= w->max_ts) {
        return 0;
    }
    w->max_ts = ts;
    return close_through(w, ts - w->lateness);
}

/* ======================================================================
 * Folding a row
 * ====================================================================== */

static int fold_paned(struct roost_window *w, struct group *g, int64_t ts,
                      const struct roost_value *vals, int64_t weight)
{
    const struct aggset *set = set_of(w, g);
    int64_t ps = align_down(ts, w->pane);
    uint32_t i = g->n_slots;
    while (i > 0 && g->slots[i - 1]->start > ps) {
        i--;
    }
    struct slot *s;
    if (i > 0 && g->slots[i - 1]->start == ps) {
        s = g->slots[i - 1];
    } else {
        int rc = slot_new(w, set, ps, ps + w->pane, &s);
        if (rc == 0) {
            rc = group_insert_slot(w, g, i, s);
            if (rc < 0) {
                slot_free(w, set, s);
            }
        }
        if (rc < 0) {
            return rc;
        }
        int64_t e = group_next_end(w, g);
        w->next_close = e < w->next_close ? e : w->next_close;
    }
    return slot_add(w, set, s, vals, weight);
}

static int fold_session(struct roost_window *w, struct group *g, int64_t ts,
                        const struct roost_value *vals)
{
    const struct aggset *set = &w->main;
    int64_t gap = w->cfg.gap_ms;
    uint32_t lo = 0;
    while (lo < g->n_slots && g->slots[lo]->end <= ts) {
        lo++;
    }
    uint32_t hi = lo;
    while (hi < g->n_slots && g->slots[hi]->start < ts + gap) {
        hi++;
    }
    struct slot *s;
    int rc = 0;
    if (lo == hi) {
        rc = slot_new(w, set, ts, ts + gap, &s);
        if (rc == 0) {
            rc = group_insert_slot(w, g, lo, s);
            if (rc < 0) {
                slot_free(w, set, s);
            }
        }
        if (rc < 0) {
            return rc;
        }
    } else {
        s = g->slots[lo];
        for (uint32_t j = lo + 1; j < hi; j++) {
            struct slot *o = g->slots[j];
            size_t before = slot_bytes(set, s);
            for (size_t i = 0; rc == 0 && i < set->n; i++) {
                rc = set->ops[i]->merge(state_at(set, s, i),
                                        state_at(set, o, i));
            }
            w->st.bytes += slot_bytes(set, s) - before;
            if (rc < 0) {
                return rc;
            }
            s->n_rows += o->n_rows;
            s->end = o->end;
            slot_free(w, set, o);
        }
        group_remove_slots(g, lo + 1, hi - lo - 1);
        s->start = ts < s->start ? ts : s->start;
        s->end = ts + gap > s->end ? ts + gap : s->end;
    }
    w->next_close = s->end < w->next_close ? s->end : w->next_close;
    return slot_add(w, set, s, vals, 1);
}

static int fold_none(struct roost_window *w, struct group *g, int64_t ts,
                     const struct roost_value *vals, int64_t weight)
{
    const struct aggset *set = set_of(w, g);
    if (g->n_slots == 0) {
        struct slot *s;
        int rc = slot_new(w, set, ts, ts + 1, &s);
        if (rc == 0) {
            rc = group_insert_slot(w, g, 0, s);
            if (rc < 0) {
                slot_free(w, set, s);
            }
        }
        if (rc < 0) {
            return rc;
        }
    }
    struct slot *s = g->slots[0];
    s->start = ts < s->start ? ts : s->start;
    s->end = ts + 1 > s->end ? ts + 1 : s->end;
    return slot_add(w, set, s, vals, weight);
}

static int fold(struct roost_window *w, struct group *g, int64_t ts,
                const struct roost_value *vals, int64_t weight)
{
    g->dirty = true;
    switch (w->cfg.kind) {
    case ROOST_WINDOW_TUMBLE:
    case ROOST_WINDOW_HOP:
        return fold_paned(w, g, ts, vals, weight);
    case ROOST_WINDOW_SESSION:
        return fold_session(w, g, ts, vals);
    default:
        return fold_none(w, g, ts, vals, weight);
    }
}

static int fold_overflow(struct roost_window *w, struct roost_str key,
                         int64_t ts, const struct roost_value *vals)
{
    if (roost_value_is_null(&vals[0])) {
        return 0;
    }
    if (w->ovg == NULL) {
        w->ovg = roost_calloc(1, sizeof(*w->ovg) + 1);
        if (w->ovg == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        w->ovg->is_overflow = true;
        w->st.bytes += group_bytes(w->ovg);
    }
    struct roost_value k = roost_value_str(key);
    w->st.n_overflow++;
    return fold(w, w->ovg, ts, &k, 1);
}

int roost_window_push(struct roost_window *w, struct roost_str key,
                      int64_t ts_ms, int64_t now_ms,
                      const struct roost_value *vals)
{
    int64_t ts = ts_ms == ROOST_WINDOW_NO_TIME ? now_ms : ts_ms;
    if (ts > ROOST_WINDOW_MAX_TIME_MS || ts < -ROOST_WINDOW_MAX_TIME_MS) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    w->st.n_rows++;
    int rc = advance_max(w, ts);
    if (rc < 0) {
        return rc;
    }
    bool late = false;
    if (is_paned(w)) {
        late = pane_last_end(w, align_down(ts, w->pane)) <= w->wm;
    } else if (w->cfg.kind == ROOST_WINDOW_SESSION) {
        late = ts < w->wm;
    }
    if (late) {
        w->st.late_dropped++;
        return 0;
    }
    uint64_t h = roost_hash(key.ptr, key.len);
    size_t s = w->idx_cap != 0 ? index_find(w, h, key) : 0;
    struct group *g =
        w->idx_cap != 0 && w->index[s] != 0 ? w->groups[w->index[s] - 1] : NULL;
    if (g == NULL) {
        if (w->st.bytes >= w->cfg.max_bytes) {
            if (w->ov_enabled) {
                return fold_overflow(w, key, ts, vals);
            }
            w->st.budget_dropped++;
            return 0;
        }
        rc = group_new(w, key, h, &g);
        if (rc < 0) {
            return rc;
        }
        w->st.n_groups = w->n_groups;
    }
    return fold(w, g, ts, vals, 1);
}

int roost_window_advance(struct roost_window *w, int64_t ts_ms)
{
    if (ts_ms > ROOST_WINDOW_MAX_TIME_MS || ts_ms < -ROOST_WINDOW_MAX_TIME_MS) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    return advance_max(w, ts_ms);
}

int roost_window_flush(struct roost_window *w)
{
    int rc = close_through(w, WM_MAX);
    /* a flushed window starts over: the clock may run again from anywhere */
    w->wm = WM_MIN;
    w->max_ts = INT64_MIN;
    w->next_close = INT64_MAX;
    return rc;
}

/* ======================================================================
 * EMIT CHANGES
 * ====================================================================== */

static int emit_group_changes(struct roost_window *w, struct group *g)
{
    int rc = 0;
    if (!g->dirty || g->n_slots == 0) {
        g->dirty = false;
        return 0;
    }
    g->dirty = false;
    if (!is_paned(w)) {
        for (uint32_t i = 0; rc == 0 && i < g->n_slots; i++) {
            rc = emit_window(w, g, g->slots[i]->start, g->slots[i]->end, i,
                             i + 1, false);
        }
        return rc;
    }
    int64_t size = w->cfg.size_ms, slide = w->cfg.slide_ms;
    int64_t last = align_down(g->slots[g->n_slots - 1]->start, slide);
    uint32_t lo = 0, hi = 0;
    for (int64_t s = first_open_start(w, g->slots[0]->start, w->wm);
         rc == 0 && s <= last; s += slide) {
        slots_in(g, s, s + size, &lo, &hi);
        if (lo == hi) {
            if (lo == g->n_slots) {
                break;
            }
            int64_t next = align_up(g->slots[lo]->start - size + 1, slide);
            s = (next > s ? next : s + slide) - slide;
            continue;
        }
        rc = emit_window(w, g, s, s + size, lo, hi, false);
    }
    return rc;
}

int roost_window_emit_changes(struct roost_window *w)
{
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < w->n_groups; i++) {
        rc = emit_group_changes(w, w->groups[i]);
    }
    if (rc == 0 && w->ovg != NULL) {
        rc = emit_group_changes(w, w->ovg);
    }
    return rc;
}

void roost_window_stats(const struct roost_window *w,
                        struct roost_window_stats *out)
{
    *out = w->st;
    out->n_groups = w->n_groups;
    out->watermark_ms = w->max_ts == INT64_MIN ? INT64_MIN : w->wm;
}

/* ======================================================================
 * Lifecycle
 * ====================================================================== */

static int aggset_init(struct aggset *set, size_t n,
                       const struct roost_agg_ops *const *ops,
                       const struct roost_agg_args *args)
{
    set->n = n;
    set->ops = roost_calloc(n, sizeof(*set->ops));
    set->args = roost_calloc(n, sizeof(*set->args));
    set->off = roost_calloc(n, sizeof(*set->off));
    if (set->ops == NULL || set->args == NULL || set->off == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    size_t off = (sizeof(struct slot) + 15) & ~(size_t)15;
    for (size_t i = 0; i < n; i++) {
        if (ops[i] == NULL) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        set->ops[i] = ops[i];
        if (args != NULL) {
            set->args[i] = args[i];
        }
        set->off[i] = off;
        off += (ops[i]->state_size + 15) & ~(size_t)15;
    }
    set->size = off;
    return 0;
}

static void aggset_fini(struct aggset *set)
{
    roost_free(set->ops);
    roost_free(set->args);
    roost_free(set->off);
    memset(set, 0, sizeof(*set));
}

static int check_cfg(const struct roost_window_cfg *c)
{
    if (c->emit == NULL || c->n_aggs == 0 || c->n_aggs > MAX_AGGS ||
        c->aggs == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (c->lateness_ms > ROOST_WINDOW_MAX_LATENESS_MS) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    switch (c->kind) {
    case ROOST_WINDOW_NONE:
        return 0;
    case ROOST_WINDOW_TUMBLE:
        return c->size_ms > 0 && c->size_ms <= MAX_SPAN_MS
                   ? 0
                   : ROOST_ERR(ROOST_EINVAL);
    case ROOST_WINDOW_HOP:
        return c->size_ms > 0 && c->size_ms <= MAX_SPAN_MS && c->slide_ms > 0 &&
                       c->slide_ms <= MAX_SPAN_MS
                   ? 0
                   : ROOST_ERR(ROOST_EINVAL);
    case ROOST_WINDOW_SESSION:
        return c->gap_ms > 0 && c->gap_ms <= MAX_SPAN_MS
                   ? 0
                   : ROOST_ERR(ROOST_EINVAL);
    default:
        return ROOST_ERR(ROOST_EINVAL);
    }
}

int roost_window_new(const struct roost_window_cfg *cfg,
                     struct roost_window **out)
{
    int rc = check_cfg(cfg);
    if (rc < 0) {
        return rc;
    }
    struct roost_window *w = roost_calloc(1, sizeof(*w));
    if (w == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    w->cfg = *cfg;
    if (w->cfg.kind == ROOST_WINDOW_TUMBLE) {
        w->cfg.slide_ms = w->cfg.size_ms;
    }
    if (w->cfg.max_bytes == 0) {
        w->cfg.max_bytes = ROOST_WINDOW_DEFAULT_MAX_BYTES;
    }
    w->pane = is_paned(w) ? gcd64(w->cfg.size_ms, w->cfg.slide_ms) : 0;
    w->lateness = cfg->lateness_ms < 0 ? ROOST_WINDOW_DEFAULT_LATENESS_MS
                                       : cfg->lateness_ms;
    w->max_ts = INT64_MIN;
    w->wm = WM_MIN;
    w->next_close = INT64_MAX;
    roost_arena_init(&w->scratch, 16u << 10, (size_t)64 << 20);
    rc = aggset_init(&w->main, cfg->n_aggs, cfg->aggs, cfg->args);
    if (rc < 0) {
        goto out_free;
    }
    w->ov_enabled = w->cfg.kind != ROOST_WINDOW_SESSION;
    for (size_t i = 0; i < cfg->n_aggs; i++) {
        w->ov_enabled = w->ov_enabled && cfg->aggs[i] == &roost_agg_count;
    }
    uint32_t cap = cfg->overflow_capacity != 0
                       ? cfg->overflow_capacity
                       : ROOST_WINDOW_DEFAULT_OVERFLOW_CAPACITY;
    const struct roost_agg_ops *topk = &roost_agg_topk;
    struct roost_agg_args ta = { .k = cap, .capacity = cap };
    rc = aggset_init(&w->ov, 1, &topk, &ta);
    if (rc < 0) {
        goto out_free;
    }
    size_t tmp_size = w->main.size > w->ov.size ? w->main.size : w->ov.size;
    w->tmp = roost_malloc(tmp_size);
    w->vals = roost_calloc(cfg->n_aggs, sizeof(*w->vals));
    w->states = roost_calloc(cfg->n_aggs, sizeof(*w->states));
    if (w->tmp == NULL || w->vals == NULL || w->states == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free;
    }
    /* validate the args once: init and fini one state per aggregate */
    rc = states_init(&w->main, w->tmp);
    if (rc < 0) {
        goto out_free;
    }
    states_fini(&w->main, w->tmp);
    w->st.bytes = sizeof(*w);
    w->st.watermark_ms = INT64_MIN;
    *out = w;
    return 0;

out_free:
    roost_window_free(w);
    return rc;
}

static void clear_state(struct roost_window *w)
{
    for (size_t i = 0; i < w->n_groups; i++) {
        group_free(w, w->groups[i]);
    }
    w->n_groups = 0;
    if (w->index != NULL) {
        memset(w->index, 0, w->idx_cap * sizeof(*w->index));
    }
    if (w->ovg != NULL) {
        group_free(w, w->ovg);
        w->ovg = NULL;
    }
}

void roost_window_free(struct roost_window *w)
{
    if (w == NULL) {
        return;
    }
    clear_state(w);
    roost_free(w->groups);
    roost_free(w->index);
    roost_free(w->tmp);
    roost_free(w->vals);
    roost_free(w->states);
    roost_free(w->em);
    aggset_fini(&w->main);
    aggset_fini(&w->ov);
    roost_arena_fini(&w->scratch);
    roost_free(w);
}

/* ======================================================================
 * Save and load
 * ====================================================================== */

static int put_i64(struct roost_buf *b, int64_t v)
{
    return roost__agg_put_u64(b, (uint64_t)v);
}

static int save_group(const struct roost_window *w, const struct group *g,
                      struct roost_buf *out)
{
    const struct aggset *set = set_of(w, g);
    int rc = roost__agg_put_u64(out, g->key_len);
    if (rc == 0) {
        rc = roost_buf_add(out, g->key, g->key_len);
    }
    if (rc == 0) {
        rc = roost__agg_put_u64(out, g->n_slots);
    }
    for (uint32_t i = 0; rc == 0 && i < g->n_slots; i++) {
        const struct slot *s = g->slots[i];
        rc = put_i64(out, s->start);
        if (rc == 0) {
            rc = put_i64(out, s->end);
        }
        if (rc == 0) {
            rc = roost__agg_put_u64(out, s->n_rows);
        }
        for (size_t a = 0; rc == 0 && a < set->n; a++) {
            size_t at = out->len;
            rc = roost__agg_put_u64(out, 0); /* length, patched below */
            size_t body = out->len;
            if (rc == 0) {
                rc = set->ops[a]->save(state_at(set, s, a), out);
            }
            if (rc == 0) {
                uint64_t n = out->len - body;
                for (int k = 0; k < 8; k++) {
                    out->ptr[at + (size_t)k] = (char)(n >> (8 * k));
                }
            }
        }
    }
    return rc;
}

int roost_window_save(const struct roost_window *w, struct roost_buf *out)
{
    const struct roost_window_cfg *c = &w->cfg;
    uint64_t head[] = { SAVE_MAGIC,
                        (uint64_t)c->kind,
                        (uint64_t)c->size_ms,
                        (uint64_t)c->slide_ms,
                        (uint64_t)c->gap_ms,
                        (uint64_t)w->lateness,
                        (uint64_t)w->main.n,
                        (uint64_t)w->max_ts,
                        (uint64_t)w->wm,
                        w->st.n_rows,
                        w->st.late_dropped,
                        w->st.budget_dropped,
                        w->st.n_overflow,
                        w->st.n_emitted,
                        (uint64_t)w->n_groups,
                        w->ovg != NULL };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(head) / sizeof(head[0]); i++) {
        rc = roost__agg_put_u64(out, head[i]);
    }
    for (size_t i = 0; rc == 0 && i < w->main.n; i++) {
        const char *name = w->main.ops[i]->name;
        rc = roost__agg_put_u64(out, strlen(name));
        if (rc == 0) {
            rc = roost_buf_adds(out, name);
        }
    }
    for (size_t i = 0; rc == 0 && i < w->n_groups; i++) {
        rc = save_group(w, w->groups[i], out);
    }
    if (rc == 0 && w->ovg != NULL) {
        rc = save_group(w, w->ovg, out);
    }
    return rc;
}

static int load_group(struct roost_window *w, struct roost__agg_rd *r,
                      bool is_overflow)
{
    uint64_t kl = roost__agg_get_u64(r);
    const char *key =
        r->bad || kl > r->len ? NULL : roost__agg_get_bytes(r, kl);
    if (key == NULL) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    struct roost_str k = roost_str_make(key, kl);
    struct group *g = NULL;
    int rc = 0;
    if (is_overflow) {
        g = roost_calloc(1, sizeof(*g) + 1);
        if (g == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        g->is_overflow = true;
        w->ovg = g;
        w->st.bytes += group_bytes(g);
    } else {
        uint64_t h = roost_hash(k.ptr, k.len);
        if (w->idx_cap != 0 && w->index[index_find(w, h, k)] != 0) {
            return ROOST_ERR(ROOST_EPARSE); /* duplicate key */
        }
        rc = group_new(w, k, h, &g);
        if (rc < 0) {
            return rc;
        }
    }
    const struct aggset *set = set_of(w, g);
    uint64_t n = roost__agg_get_u64(r);
    if (r->bad || n > r->len / 24) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    for (uint64_t i = 0; rc == 0 && i < n; i++) {
        int64_t start = (int64_t)roost__agg_get_u64(r);
        int64_t end = (int64_t)roost__agg_get_u64(r);
        uint64_t rows = roost__agg_get_u64(r);
        bool bad_time =
            start < -WM_MAX || start > WM_MAX || end < start || end > WM_MAX ||
            (g->n_slots > 0 && start < g->slots[g->n_slots - 1]->end);
        if (r->bad || bad_time) {
            return ROOST_ERR(ROOST_EPARSE);
        }
        struct slot *s;
        rc = slot_new(w, set, start, end, &s);
        if (rc < 0) {
            return rc;
        }
        rc = group_insert_slot(w, g, g->n_slots, s);
        if (rc < 0) {
            slot_free(w, set, s);
            return rc;
        }
        s->n_rows = rows;
        for (size_t a = 0; rc == 0 && a < set->n; a++) {
            uint64_t bl = roost__agg_get_u64(r);
            const char *b =
                r->bad || bl > r->len ? NULL : roost__agg_get_bytes(r, bl);
            if (b == NULL) {
                return ROOST_ERR(ROOST_EPARSE);
            }
            void *st = state_at(set, s, a);
            size_t before = set->ops[a]->bytes(st);
            rc = set->ops[a]->load(st, b, bl);
            w->st.bytes += set->ops[a]->bytes(st) - before;
        }
    }
    return rc;
}

int roost_window_load(struct roost_window *w, const char *p, size_t len)
{
    clear_state(w);
    struct roost__agg_rd r = { (const unsigned char *)p, len, false };
    uint64_t head[16];
    for (size_t i = 0; i < 16; i++) {
        head[i] = roost__agg_get_u64(&r);
    }
    const struct roost_window_cfg *c = &w->cfg;
    int rc = 0;
    if (r.bad || head[0] != SAVE_MAGIC || head[1] != (uint64_t)c->kind ||
        head[2] != (uint64_t)c->size_ms || head[3] != (uint64_t)c->slide_ms ||
        head[4] != (uint64_t)c->gap_ms || head[5] != (uint64_t)w->lateness ||
        head[6] != w->main.n || head[15] > 1) {
        rc = ROOST_ERR(ROOST_EPARSE);
    }
    for (size_t i = 0; rc == 0 && i < w->main.n; i++) {
        uint64_t nl = roost__agg_get_u64(&r);
        const char *name =
            r.bad || nl > r.len ? NULL : roost__agg_get_bytes(&r, nl);
        if (name == NULL || !roost_str_eq_cstr(roost_str_make(name, nl),
                                               w->main.ops[i]->name)) {
            rc = ROOST_ERR(ROOST_EPARSE);
        }
    }
    for (uint64_t i = 0; rc == 0 && i < head[14]; i++) {
        rc = load_group(w, &r, false);
    }
    if (rc == 0 && head[15] == 1) {
        rc = load_group(w, &r, true);
    }
    if (rc == 0 && (r.bad || r.len != 0)) {
        rc = ROOST_ERR(ROOST_EPARSE);
    }
    if (rc < 0) {
        clear_state(w);
        w->max_ts = INT64_MIN;
        w->wm = WM_MIN;
        w->next_close = INT64_MAX;
        return rc;
    }
    w->max_ts = (int64_t)head[7];
    w->wm = (int64_t)head[8];
    w->st.n_rows = head[9];
    w->st.late_dropped = head[10];
    w->st.budget_dropped = head[11];
    w->st.n_overflow = head[12];
    w->st.n_emitted = head[13];
    w->st.n_groups = w->n_groups;
    w->next_close = INT64_MAX;
    for (size_t i = 0; i < w->n_groups; i++) {
        int64_t e = group_next_end(w, w->groups[i]);
        w->next_close = e < w->next_close ? e : w->next_close;
    }
    if (w->ovg != NULL) {
        int64_t e = group_next_end(w, w->ovg);
        w->next_close = e < w->next_close ? e : w->next_close;
    }
    return 0;
}
