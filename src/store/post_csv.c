/* SPDX-License-Identifier: MIT
 *
 * post_csv.c - one normalized post as one CSV row.
 *
 * The row follows ROOST_CSV_COLUMNS (csv_columns.h) through an X-macro, so
 * the header and the cells cannot drift apart: each column has one
 * `col_<name>()` writer below, and a column added to the list without its
 * writer fails to compile. Cells use RFC 4180 quoting, only when needed, so
 * pandas read_csv, DuckDB read_csv_auto and Python's csv module read the
 * files without options. Start at roost_post_csv_row().
 */
#include <assert.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "store/post_csv.h"

/* ---- cells --------------------------------------------------------------- */

static bool needs_quotes(const char *s, size_t len)
{
    if (len > 0 && (s[0] == ' ' || s[len - 1] == ' ')) {
        return true;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == ',' || c == '"' || c == '\n' || c == '\r') {
            return true;
        }
    }
    return false;
}

/* Append s with '"' doubled and NUL bytes dropped, unquoted. */
static int add_escaped(struct roost_buf *out, const char *s, size_t len)
{
    size_t from = 0;
    int rc;

    for (size_t i = 0; i < len; i++) {
        if (s[i] != '"' && s[i] != '\0') {
            continue;
        }
        rc = roost_buf_add(out, s + from, i - from);
        if (rc == 0 && s[i] == '"') {
            rc = roost_buf_add(out, "\"\"", 2);
        }
        if (rc < 0) {
            return rc;
        }
        from = i + 1;
    }
    return roost_buf_add(out, s + from, len - from);
}

int roost_post_csv_field(struct roost_buf *out, const char *s, size_t len)
{
    if (len == 0) {
        return 0;
    }
    if (!needs_quotes(s, len)) {
        return add_escaped(out, s, len);
    }
    int rc = roost_buf_addc(out, '"');
    if (rc == 0) {
        rc = add_escaped(out, s, len);
    }
    return rc == 0 ? roost_buf_addc(out, '"') : rc;
}

static int cell_str(struct roost_buf *out, struct roost_str s)
{
    return roost_post_csv_field(out, s.ptr, s.len);
}

static int cell_cstr(struct roost_buf *out, const char *s)
{
    return roost_post_csv_field(out, s, strlen(s));
}

static int cell_count(struct roost_buf *out, int64_t v)
{
    if (v == ROOST_UNKNOWN_COUNT) {
        return 0;
    }
    return roost_buf_printf(out, "%lld", (long long)v);
}

static int cell_double(struct roost_buf *out, bool have, double v)
{
    if (!have) {
        return 0;
    }
    return roost_buf_printf(out, "%.15g", v);
}

static struct roost_str entity_text(const struct roost_entity *e, bool expanded)
{
    return expanded && e->expanded.len > 0 ? e->expanded : e->text;
}

/* A list cell: entity texts (URLs: expanded when known), one space apart,
 * quoted as one cell when any part needs it. */
static int cell_list(struct roost_buf *out, const struct roost_entity *e,
                     uint32_t n, bool expanded)
{
    bool quote = false;
    int rc = 0;

    for (uint32_t i = 0; i < n && !quote; i++) {
        struct roost_str s = entity_text(&e[i], expanded);
        quote = needs_quotes(s.ptr, s.len) || (s.len == 0 && n > 1);
    }
    if (quote) {
        rc = roost_buf_addc(out, '"');
    }
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        struct roost_str s = entity_text(&e[i], expanded);
        if (i > 0) {
            rc = roost_buf_addc(out, ' ');
        }
        if (rc == 0) {
            rc = add_escaped(out, s.ptr, s.len);
        }
    }
    if (rc == 0 && quote) {
        rc = roost_buf_addc(out, '"');
    }
    return rc;
}

static struct roost_str ref_of(const struct roost_post *p,
                               enum roost_ref_type type)
{
    for (uint32_t i = 0; i < p->n_refs; i++) {
        if (p->refs[i].type == type) {
            return p->refs[i].id;
        }
    }
    return ROOST_STR_NULL;
}

/* ---- columns: one writer per ROOST_CSV_COLUMNS entry --------------------- */

static int col_id(const struct roost_post *p, struct roost_buf *o)
{
    return cell_str(o, p->id);
}

static int col_created_at(const struct roost_post *p, struct roost_buf *o)
{
    char iso[32];

    if (p->created_at_ms == 0) {
        return 0;
    }
    roost_time_format(p->created_at_ms, iso);
    return cell_cstr(o, iso);
}

static int col_platform(const struct roost_post *p, struct roost_buf *o)
{
    return cell_cstr(o, roost_platform_name(p->platform));
}

static int col_lang(const struct roost_post *p, struct roost_buf *o)
{
    return cell_str(o, p->lang);
}

static int col_author_id(const struct roost_post *p, struct roost_buf *o)
{
    return cell_str(o, p->author.id);
}

static int col_author_handle(const struct roost_post *p, struct roost_buf *o)
{
    return cell_str(o, p->author.handle);
}

static int col_author_name(const struct roost_post *p, struct roost_buf *o)
{
    return cell_str(o, p->author.name);
}

static int col_author_followers(const struct roost_post *p, struct roost_buf *o)
{
    return cell_count(o, p->author.followers);
}

static int col_text(const struct roost_post *p, struct roost_buf *o)
{
    return cell_str(o, p->text);
}

static int col_hashtags(const struct roost_post *p, struct roost_buf *o)
{
    return cell_list(o, p->hashtags, p->n_hashtags, false);
}

static int col_mentions(const struct roost_post *p, struct roost_buf *o)
{
    return cell_list(o, p->mentions, p->n_mentions, false);
}

static int col_urls(const struct roost_post *p, struct roost_buf *o)
{
    return cell_list(o, p->urls, p->n_urls, true);
}

static int col_reply_to(const struct roost_post *p, struct roost_buf *o)
{
    return cell_str(o, ref_of(p, ROOST_REF_REPLY));
}

static int col_retweet_of(const struct roost_post *p, struct roost_buf *o)
{
    return cell_str(o, ref_of(p, ROOST_REF_RETWEET));
}

static int col_quote_of(const struct roost_post *p, struct roost_buf *o)
{
    return cell_str(o, ref_of(p, ROOST_REF_QUOTE));
}

static int col_retweets(const struct roost_post *p, struct roost_buf *o)
{
    return cell_count(o, p->retweets);
}

static int col_likes(const struct roost_post *p, struct roost_buf *o)
{
    return cell_count(o, p->likes);
}

static int col_replies(const struct roost_post *p, struct roost_buf *o)
{
    return cell_count(o, p->replies);
}

static int col_quotes(const struct roost_post *p, struct roost_buf *o)
{
    return cell_count(o, p->quotes);
}

static int col_lat(const struct roost_post *p, struct roost_buf *o)
{
    return cell_double(o, p->has_geo && p->geo.has_point, p->geo.lat);
}

static int col_lon(const struct roost_post *p, struct roost_buf *o)
{
    return cell_double(o, p->has_geo && p->geo.has_point, p->geo.lon);
}

static int col_place(const struct roost_post *p, struct roost_buf *o)
{
    if (!p->has_geo) {
        return 0;
    }
    if (p->geo.place_full_name.len > 0) {
        return cell_str(o, p->geo.place_full_name);
    }
    return cell_str(o, p->geo.place_name);
}

static int col_country_code(const struct roost_post *p, struct roost_buf *o)
{
    return p->has_geo ? cell_str(o, p->geo.country_code) : 0;
}

static int col_source(const struct roost_post *p, struct roost_buf *o)
{
    return cell_str(o, p->source);
}

static int col_referenced(const struct roost_post *p, struct roost_buf *o)
{
    return cell_cstr(o, p->referenced ? "true" : "false");
}

/* ---- rows ---------------------------------------------------------------- */

typedef int col_fn(const struct roost_post *p, struct roost_buf *o);

#define COL_FN(name) col_##name,
static col_fn *const col_fns[] = { ROOST_CSV_COLUMNS(COL_FN) };
#undef COL_FN

#define COL_NAME(name) #name,
static const char *const col_names[] = { ROOST_CSV_COLUMNS(COL_NAME) };
#undef COL_NAME

static_assert(sizeof(col_fns) / sizeof(col_fns[0]) == ROOST_CSV_N_COLUMNS,
              "one writer per CSV column");

int roost_post_csv_column(const char *name, size_t len)
{
    for (size_t i = 0; i < ROOST_CSV_N_COLUMNS; i++) {
        if (strlen(col_names[i]) == len &&
            memcmp(col_names[i], name, len) == 0) {
            return (int)i;
        }
    }
    return -1;
}

const char *roost_post_csv_column_name(size_t i)
{
    assert(i < ROOST_CSV_N_COLUMNS);
    return col_names[i];
}

int roost_post_csv_cell(const struct roost_post *p, size_t i,
                        struct roost_buf *out)
{
    assert(i < ROOST_CSV_N_COLUMNS);
    return col_fns[i](p, out);
}

int roost_post_csv_header(struct roost_buf *out)
{
    int rc = 0;

    for (size_t i = 0; i < ROOST_CSV_N_COLUMNS && rc == 0; i++) {
        if (i > 0) {
            rc = roost_buf_addc(out, ',');
        }
        if (rc == 0) {
            rc = roost_buf_adds(out, col_names[i]);
        }
    }
    return rc == 0 ? roost_buf_addc(out, '\n') : rc;
}

int roost_post_csv_row(const struct roost_post *p, struct roost_buf *out)
{
    int rc = 0;

    for (size_t i = 0; i < ROOST_CSV_N_COLUMNS && rc == 0; i++) {
        if (i > 0) {
            rc = roost_buf_addc(out, ',');
        }
        if (rc == 0) {
            rc = col_fns[i](p, out);
        }
    }
    return rc == 0 ? roost_buf_addc(out, '\n') : rc;
}
