/* SPDX-License-Identifier: MIT
 *
 * result.c - row sets, their text forms, and the named result tables.
 *
 * A row set copies every string it is given into its own arena, so what
 * it holds never depends on the batch or state it came from. The named
 * tables are a small array under one mutex: publishing swaps in a fresh
 * copy (made outside the lock) and frees the old one after it, so a
 * reader holds the lock only while copying.
 */
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "core/str.h"
#include "engine/result.h"
#include "parse/post.h"

#define ARENA_CHUNK 16384
#define ARENA_MAX ((size_t)1 << 30)
#define CELL_MAX_CHARS 20 /* Spark's show() truncation */

void roost_rowset_init(struct roost_rowset *rs)
{
    memset(rs, 0, sizeof(*rs));
    roost_arena_init(&rs->arena, ARENA_CHUNK, ARENA_MAX);
}

static void free_names(struct roost_rowset *rs)
{
    for (uint32_t i = 0; rs->names != NULL && i < rs->n_cols; i++) {
        roost_free(rs->names[i]);
    }
    roost_free(rs->names);
    rs->names = NULL;
    rs->n_cols = 0;
}

void roost_rowset_fini(struct roost_rowset *rs)
{
    free_names(rs);
    roost_free(rs->vals);
    roost_arena_fini(&rs->arena);
    memset(rs, 0, sizeof(*rs));
}

void roost_rowset_clear(struct roost_rowset *rs)
{
    rs->n_rows = 0;
    roost_arena_reset(&rs->arena);
}

int roost_rowset_set_cols(struct roost_rowset *rs, const char *const *names,
                          uint32_t n_cols)
{
    if (n_cols == 0 || n_cols > ROOST_ROWSET_MAX_COLS) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    roost_rowset_clear(rs);
    free_names(rs);
    roost_free(rs->vals);
    rs->vals = NULL;
    rs->cap_rows = 0;
    rs->names = roost_calloc(n_cols, sizeof(*rs->names));
    if (rs->names == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    rs->n_cols = n_cols;
    for (uint32_t i = 0; i < n_cols; i++) {
        rs->names[i] = roost_strndup(names[i], strlen(names[i]));
        if (rs->names[i] == NULL) {
            free_names(rs);
            return ROOST_ERR(ROOST_ENOMEM);
        }
    }
    return 0;
}

int roost_rowset_add(struct roost_rowset *rs, const struct roost_value *row)
{
    assert(rs->n_cols > 0);
    if (rs->n_rows >= ROOST_ROWSET_MAX_ROWS) {
        rs->n_dropped++;
        return ROOST_ERR(ROOST_ELIMIT);
    }
    if (rs->n_rows == rs->cap_rows) {
        size_t cap = rs->cap_rows ? rs->cap_rows * 2 : 16;
        struct roost_value *v =
            roost_realloc(rs->vals, cap * rs->n_cols * sizeof(*v));
        if (v == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        rs->vals = v;
        rs->cap_rows = cap;
    }
    struct roost_value *dst = rs->vals + rs->n_rows * rs->n_cols;
    for (uint32_t i = 0; i < rs->n_cols; i++) {
        dst[i] = row[i];
        if (row[i].type == ROOST_V_STRING) {
            const char *p = roost_arena_dup(&rs->arena,
                                            row[i].u.s.ptr ? row[i].u.s.ptr
                                                           : "",
                                            row[i].u.s.len);
            if (p == NULL) {
                return ROOST_ERR(ROOST_ENOMEM);
            }
            dst[i].u.s = roost_str_make(p, row[i].u.s.len);
        }
    }
    rs->n_rows++;
    return 0;
}

int roost_rowset_copy(struct roost_rowset *dst,
                      const struct roost_rowset *src)
{
    int rc = roost_rowset_set_cols(dst, (const char *const *)src->names,
                                   src->n_cols);
    for (size_t i = 0; rc == 0 && i < src->n_rows; i++) {
        rc = roost_rowset_add(dst, roost_rowset_row(src, i));
    }
    dst->n_dropped = src->n_dropped;
    return rc;
}

/* ---- text forms -------------------------------------------------------------- */

int roost_value_write_text(const struct roost_value *v, struct roost_buf *b)
{
    switch (v->type) {
    case ROOST_V_NULL:
        return roost_buf_adds(b, "null");
    case ROOST_V_BOOL:
        return roost_buf_adds(b, v->u.b ? "true" : "false");
    case ROOST_V_INT:
        return roost_buf_printf(b, "%lld", (long long)v->u.i);
    case ROOST_V_DOUBLE: {
        if (!isfinite(v->u.d)) {
            return roost_buf_adds(b, "null");
        }
        char tmp[64];
        int n = snprintf(tmp, sizeof(tmp), "%.6f", v->u.d);
        while (n > 0 && tmp[n - 1] == '0') {
            n--;
        }
        if (n > 0 && tmp[n - 1] == '.') {
            n--;
        }
        return roost_buf_add(b, tmp, (size_t)n);
    }
    case ROOST_V_STRING:
        return roost_buf_add(b, v->u.s.ptr ? v->u.s.ptr : "", v->u.s.len);
    case ROOST_V_TIME: {
        char tmp[32];
        roost_time_format(v->u.i, tmp);
        return roost_buf_adds(b, tmp);
    }
    default:
        return ROOST_ERR(ROOST_EINVAL);
    }
}

int roost_value_write_json(const struct roost_value *v, struct roost_buf *b)
{
    switch (v->type) {
    case ROOST_V_STRING:
        return roost_buf_add_json_str(b, v->u.s.ptr ? v->u.s.ptr : "",
                                      v->u.s.len);
    case ROOST_V_TIME: {
        char tmp[32];
        roost_time_format(v->u.i, tmp);
        return roost_buf_add_json_str(b, tmp, strlen(tmp));
    }
    default:
        return roost_value_write_text(v, b);
    }
}

/* Cut s to CELL_MAX_CHARS code points ("..." at the end), like Spark. */
static size_t cell_cut(const char *s, size_t len, size_t *n_chars)
{
    size_t n = roost_utf8_width(s, len); /* wide CJK cells count twice */
    if (n <= CELL_MAX_CHARS) {
        *n_chars = n;
        return len;
    }
    size_t off = 0, k = 0;
    while (off < len && k < CELL_MAX_CHARS - 3) {
        uint32_t cp;
        size_t l = roost_utf8_decode((const unsigned char *)s + off,
                                     len - off, &cp);
        off += l ? l : 1;
        k++;
    }
    *n_chars = roost_utf8_width(s, off) + 3;
    return off;
}

struct cell {
    size_t off, len, n_chars;
    bool cut;
};

static int pad(struct roost_buf *b, char c, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int rc = roost_buf_addc(b, c);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

static int rule(struct roost_buf *b, const size_t *w, uint32_t n)
{
    int rc = roost_buf_addc(b, '+');
    for (uint32_t i = 0; rc == 0 && i < n; i++) {
        rc = pad(b, '-', w[i]);
        if (rc == 0) {
            rc = roost_buf_addc(b, '+');
        }
    }
    return rc == 0 ? roost_buf_addc(b, '\n') : rc;
}

static int write_table(const struct roost_rowset *rs, size_t n_rows,
                       struct roost_buf *b)
{
    uint32_t nc = rs->n_cols;
    size_t n_cells = (n_rows + 1) * nc;
    struct cell *cells = roost_calloc(n_cells, sizeof(*cells));
    size_t *w = roost_calloc(nc, sizeof(*w));
    struct roost_buf text;
    roost_buf_init(&text, (size_t)1 << 30);
    int rc = cells && w ? 0 : ROOST_ERR(ROOST_ENOMEM);
    for (size_t r = 0; rc == 0 && r <= n_rows; r++) {
        for (uint32_t c = 0; rc == 0 && c < nc; c++) {
            struct cell *ce = &cells[r * nc + c];
            ce->off = text.len;
            if (r == 0) {
                rc = roost_buf_adds(&text, rs->names[c]);
            } else {
                rc = roost_value_write_text(&rs->vals[(r - 1) * nc + c],
                                            &text);
            }
            if (rc < 0) {
                break;
            }
            size_t full = text.len - ce->off;
            ce->len = cell_cut(text.ptr + ce->off, full, &ce->n_chars);
            ce->cut = ce->len < full;
            if (ce->n_chars > w[c]) {
                w[c] = ce->n_chars;
            }
        }
    }
    for (uint32_t c = 0; rc == 0 && c < nc; c++) {
        if (w[c] < 3) {
            w[c] = 3;
        }
    }
    for (size_t r = 0; rc == 0 && r <= n_rows; r++) {
        if (r <= 1) {
            rc = rule(b, w, nc);
        }
        rc = rc == 0 ? roost_buf_addc(b, '|') : rc;
        for (uint32_t c = 0; rc == 0 && c < nc; c++) {
            const struct cell *ce = &cells[r * nc + c];
            rc = pad(b, ' ', w[c] - ce->n_chars);
            if (rc == 0) {
                rc = roost_buf_add(b, text.ptr + ce->off, ce->len);
            }
            if (rc == 0 && ce->cut) {
                rc = roost_buf_adds(b, "...");
            }
            if (rc == 0) {
                rc = roost_buf_addc(b, '|');
            }
        }
        rc = rc == 0 ? roost_buf_addc(b, '\n') : rc;
    }
    if (rc == 0) {
        rc = rule(b, w, nc);
    }
    roost_buf_fini(&text);
    roost_free(cells);
    roost_free(w);
    return rc;
}

int roost_rowset_write_block(const struct roost_rowset *rs, int64_t time_ms,
                             size_t max_rows, struct roost_buf *b)
{
    time_t t = (time_t)(time_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char ts[64];
    strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
    int rc = roost_buf_printf(b,
                              "-------------------------------------------\n"
                              "Time: %s\n"
                              "-------------------------------------------\n",
                              ts);
    if (rc < 0 || rs->n_cols == 0) {
        return rc;
    }
    if (max_rows == 0) {
        max_rows = 20;
    }
    size_t n = rs->n_rows < max_rows ? rs->n_rows : max_rows;
    rc = write_table(rs, n, b);
    if (rc == 0 && n < rs->n_rows) {
        rc = roost_buf_printf(b, "only showing top %zu rows\n", n);
    }
    if (rc == 0) {
        rc = roost_buf_addc(b, '\n');
    }
    return rc;
}

int roost_rowset_write_jsonl(const struct roost_rowset *rs,
                             const char *query, struct roost_buf *b)
{
    int rc = 0;
    for (size_t r = 0; rc == 0 && r < rs->n_rows; r++) {
        const struct roost_value *row = roost_rowset_row(rs, r);
        rc = roost_buf_addc(b, '{');
        if (rc == 0 && query != NULL) {
            rc = roost_buf_adds(b, "\"query\":");
            rc = rc == 0 ? roost_buf_add_json_str(b, query, strlen(query))
                         : rc;
            rc = rc == 0 ? roost_buf_addc(b, ',') : rc;
        }
        for (uint32_t c = 0; rc == 0 && c < rs->n_cols; c++) {
            if (c > 0) {
                rc = roost_buf_addc(b, ',');
            }
            rc = rc == 0 ? roost_buf_add_json_str(b, rs->names[c],
                                                  strlen(rs->names[c]))
                         : rc;
            rc = rc == 0 ? roost_buf_addc(b, ':') : rc;
            rc = rc == 0 ? roost_value_write_json(&row[c], b) : rc;
        }
        rc = rc == 0 ? roost_buf_adds(b, "}\n") : rc;
    }
    return rc;
}

/* ---- named result tables --------------------------------------------------------- */

struct table {
    char *name;
    struct roost_rowset *rs;
    int64_t time_ms;
};

struct roost_results {
    pthread_mutex_t lock;
    struct table tables[ROOST_RESULTS_MAX_TABLES];
    size_t n_tables;
};

int roost_results_new(struct roost_results **out)
{
    struct roost_results *r = roost_calloc(1, sizeof(*r));
    if (r == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    pthread_mutex_init(&r->lock, NULL);
    *out = r;
    return 0;
}

static void free_rowset(struct roost_rowset *rs)
{
    if (rs != NULL) {
        roost_rowset_fini(rs);
        roost_free(rs);
    }
}

void roost_results_free(struct roost_results *r)
{
    if (r == NULL) {
        return;
    }
    for (size_t i = 0; i < r->n_tables; i++) {
        roost_free(r->tables[i].name);
        free_rowset(r->tables[i].rs);
    }
    pthread_mutex_destroy(&r->lock);
    roost_free(r);
}

static struct table *find(struct roost_results *r, const char *name)
{
    for (size_t i = 0; i < r->n_tables; i++) {
        if (strcmp(r->tables[i].name, name) == 0) {
            return &r->tables[i];
        }
    }
    return NULL;
}

int roost_results_publish(struct roost_results *r, const char *name,
                          const struct roost_rowset *rs, int64_t time_ms)
{
    struct roost_rowset *copy = roost_calloc(1, sizeof(*copy));
    if (copy == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    roost_rowset_init(copy);
    int rc = rs->n_cols > 0 ? roost_rowset_copy(copy, rs) : 0;
    if (rc < 0) {
        free_rowset(copy);
        return rc;
    }
    struct roost_rowset *old = NULL;
    pthread_mutex_lock(&r->lock);
    struct table *t = find(r, name);
    if (t == NULL && r->n_tables < ROOST_RESULTS_MAX_TABLES) {
        char *nm = roost_strndup(name, strlen(name));
        if (nm != NULL) {
            t = &r->tables[r->n_tables++];
            t->name = nm;
        }
    }
    if (t != NULL) {
        old = t->rs;
        t->rs = copy;
        t->time_ms = time_ms;
        copy = NULL;
    }
    pthread_mutex_unlock(&r->lock);
    free_rowset(old);
    if (copy != NULL) {
        free_rowset(copy);
        return ROOST_ERR(ROOST_ELIMIT);
    }
    return 0;
}

int roost_results_snapshot(struct roost_results *r, const char *name,
                           struct roost_rowset *out, int64_t *time_ms)
{
    pthread_mutex_lock(&r->lock);
    struct table *t = find(r, name);
    int rc = ROOST_ENOENT;
    if (t != NULL && t->rs != NULL) {
        rc = t->rs->n_cols > 0 ? roost_rowset_copy(out, t->rs) : 0;
        *time_ms = t->time_ms;
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

int roost_results_name(struct roost_results *r, size_t i, char *out,
                       size_t cap)
{
    int rc = ROOST_ENOENT;
    pthread_mutex_lock(&r->lock);
    if (i < r->n_tables) {
        snprintf(out, cap, "%s", r->tables[i].name);
        rc = 0;
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}
