/* SPDX-License-Identifier: MIT
 *
 * api_posts.c - the read endpoints over posts: live posts, top keys, the
 * rate series, the hashtag view, search, geotagged posts and poll counts.
 *
 * Each handler parses its parameters (a bad one is a 400 with a message
 * that names it), takes a store connection, and writes its JSON straight
 * into the response. Windows end at the newest post in the store
 * (roost__api_window_lo), like the store's views, so
 * /api/v1/top/hashtags?window=1h equals `SELECT * FROM top_hashtags_1h`.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "parse/tokenize.h"
#include "serve/api_int.h"

#define LIVE "p.deleted = 0 AND p.referenced = 0"
#define NEWEST_SQL "SELECT max(created_at) FROM posts"
#define MAX_TAG_BYTES 256

/* fold_key - a folded, '#'/'@'-less copy of a tag in out (NUL-terminated). */
static int fold_key(const char *s, struct roost_buf *out)
{
    if (s[0] == '#' || s[0] == '@') {
        s++;
    }
    roost_buf_reset(out);
    return roost_fold_case(s, strlen(s), out);
}

static bool all_digits(const char *s)
{
    if (*s == '\0') {
        return false;
    }
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9') {
            return false;
        }
    }
    return true;
}

/* ---- /api/v1/posts ------------------------------------------------------- */

int roost__api_get_posts(void *arg, const struct roost_http_req *req,
                         struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    struct roost_diag diag = { 0 };
    struct roost_store *s = NULL;
    struct roost_buf sql, tag;
    int64_t limit, since = 0;
    int rc;

    if (!roost__api_limit(req, resp, 50, 500, &limit)) {
        return 0;
    }
    const char *since_arg = roost_http_arg(req, "since");
    const char *tag_arg = roost_http_arg(req, "hashtag");
    roost_buf_init(&sql, 8192);
    roost_buf_init(&tag, MAX_TAG_BYTES);
    if (tag_arg != NULL && (tag_arg[0] == '\0' || fold_key(tag_arg, &tag) < 0
                            || tag.len == 0)) {
        roost_http_json_error(resp, 400, "hashtag must be a tag of at most "
                              "256 bytes");
        rc = 0;
        goto out_fini;
    }
    rc = roost__api_store_get(a, &s, &diag);
    if (rc < 0) {
        goto out_fail;
    }
    if (since_arg != NULL && since_arg[0] != '\0') {
        if (!all_digits(since_arg) || strlen(since_arg) > 18) {
            roost_http_json_error(resp, 400, "since must be the last_id of "
                                  "an earlier answer (an integer)");
            goto out_put;
        }
        since = strtoll(since_arg, NULL, 10);
    }
    rc = roost_buf_printf(&sql, "SELECT p.id, p.seq FROM posts p WHERE "
                          "p.seq > %lld AND %s",
                          (long long)since, LIVE);
    if (rc == 0 && tag_arg != NULL) {
        rc = roost_buf_adds(&sql, " AND p.id IN (SELECT post_id FROM "
                                  "hashtags WHERE tag_lower = ");
        if (rc == 0) {
            rc = roost__api_sql_str(&sql, tag.ptr, tag.len);
        }
        if (rc == 0) {
            rc = roost_buf_addc(&sql, ')');
        }
    }
    if (rc == 0) {
        rc = roost_buf_printf(&sql, " ORDER BY p.created_at DESC, p.seq DESC"
                              " LIMIT %lld", (long long)limit);
    }
    int64_t last = since;
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, "{\"posts\":");
    }
    if (rc == 0) {
        rc = roost__api_posts(a, s, sql.ptr, limit, &resp->body, &last,
                              &diag);
    }
    if (rc == 0) {
        rc = roost_buf_printf(&resp->body, ",\"last_id\":%lld}",
                              (long long)last);
    }
    if (rc < 0) {
        goto out_fail;
    }
    goto out_put;

out_fail:
    rc = roost__api_fail(resp, rc, &diag);
out_put:
    roost__api_store_put(a, s);
out_fini:
    roost_buf_fini(&sql);
    roost_buf_fini(&tag);
    return rc;
}

/* ---- /api/v1/top/{kind} -------------------------------------------------- */

int roost__api_get_top(void *arg, const struct roost_http_req *req,
                       struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    struct roost_diag diag = { 0 };
    struct roost_store *s = NULL;
    const char *kind = req->path + strlen("/api/v1/top/");
    const char *wname;
    int64_t limit, window_ms, newest;

    if (!roost__api_top_kind(kind)) {
        roost_http_json_error(resp, 400, "unknown top kind (hashtags, "
                              "mentions, words or authors)");
        return 0;
    }
    if (!roost__api_window_arg(req, resp, "1h", &wname, &window_ms) ||
        !roost__api_limit(req, resp, 10, 1000, &limit)) {
        return 0;
    }
    int rc = roost__api_store_get(a, &s, &diag);
    if (rc == 0) {
        rc = roost__api_i64(a, s, NEWEST_SQL, &newest, &diag);
    }
    if (rc == 0) {
        rc = roost_buf_printf(&resp->body, "{\"kind\":\"%s\",\"window\":\"%s\""
                              ",\"as_of\":", kind, wname);
    }
    if (rc == 0) {
        rc = roost__api_iso(&resp->body, newest);
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, ",\"items\":");
    }
    if (rc == 0 && newest == API_NO_TIME) {
        rc = roost_buf_adds(&resp->body, "[]");
    } else if (rc == 0) {
        rc = roost__api_top_items(a, s, kind,
                                  roost__api_window_lo(newest, window_ms),
                                  limit, &resp->body, &diag);
    }
    if (rc == 0) {
        rc = roost_buf_addc(&resp->body, '}');
    }
    if (rc < 0) {
        rc = roost__api_fail(resp, rc, &diag);
    }
    roost__api_store_put(a, s);
    return rc;
}

/* ---- /api/v1/rate -------------------------------------------------------- */

int roost__api_get_rate(void *arg, const struct roost_http_req *req,
                        struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    struct roost_diag diag = { 0 };
    struct roost_store *s = NULL;
    const char *step_arg = roost_http_arg(req, "step");
    const char *win_arg = roost_http_arg(req, "window");
    int64_t step_ms, window_ms, newest;
    char msg[128];

    if (step_arg == NULL || step_arg[0] == '\0') {
        step_arg = "2s";
    }
    if (win_arg == NULL || win_arg[0] == '\0') {
        win_arg = "5m";
    }
    if (!roost__api_duration(step_arg, &step_ms)) {
        roost_http_json_error(resp, 400, "step must be a duration such as "
                              "500ms, 2s, 1m, 1h");
        return 0;
    }
    if (!roost__api_duration(win_arg, &window_ms)) {
        roost_http_json_error(resp, 400, "window must be a duration such as "
                              "1m, 5m, 1h, 1d");
        return 0;
    }
    int64_t n = (window_ms + step_ms - 1) / step_ms;
    if (n > API_MAX_RATE_POINTS) {
        snprintf(msg, sizeof(msg), "window / step gives more than %d points",
                 API_MAX_RATE_POINTS);
        roost_http_json_error(resp, 400, msg);
        return 0;
    }
    int rc = roost__api_store_get(a, &s, &diag);
    if (rc == 0) {
        rc = roost__api_i64(a, s, NEWEST_SQL, &newest, &diag);
    }
    if (rc == 0) {
        rc = roost_buf_printf(&resp->body, "{\"step_ms\":%lld,\"window_ms\":"
                              "%lld,\"as_of\":", (long long)step_ms,
                              (long long)window_ms);
    }
    if (rc == 0) {
        rc = roost__api_iso(&resp->body, newest);
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, ",\"points\":");
    }
    if (rc == 0) {
        rc = roost__api_rate_points(a, s, newest, step_ms, n, &resp->body,
                                    &diag);
    }
    if (rc == 0) {
        rc = roost_buf_addc(&resp->body, '}');
    }
    if (rc < 0) {
        rc = roost__api_fail(resp, rc, &diag);
    }
    roost__api_store_put(a, s);
    return rc;
}

/* A JSON list being written by a row callback. */
struct list {
    size_t n;
    struct roost_buf *out;
};

/* ---- /api/v1/hashtag/{TAG} ----------------------------------------------- */

static int influencer(void *arg, const struct roost_store_row *row)
{
    struct list *l = arg;
    struct roost_buf *out = l->out;
    if (row->values == NULL) {
        return 0;
    }
    int rc = roost_buf_adds(out, l->n++ > 0 ? ",{\"handle\":" : "{\"handle\":");
    for (size_t i = 0; rc == 0 && i < 2; i++) {
        if (i == 1) {
            rc = roost_buf_adds(out, ",\"name\":");
        }
        if (rc == 0) {
            rc = row->values[i] != NULL
                     ? roost_buf_add_json_str(out, row->values[i],
                                              row->lens[i])
                     : roost_buf_adds(out, "null");
        }
    }
    if (rc == 0) {
        rc = roost_buf_printf(out, ",\"followers\":%s,\"posts\":%s}",
                              row->values[2] ? row->values[2] : "null",
                              row->values[3] ? row->values[3] : "0");
    }
    return rc;
}

static int related(void *arg, const struct roost_store_row *row)
{
    struct list *l = arg;
    struct roost_buf *out = l->out;
    if (row->values == NULL || row->values[0] == NULL) {
        return 0;
    }
    int rc = roost_buf_adds(out, l->n++ > 0 ? ",{\"key\":" : "{\"key\":");
    if (rc == 0) {
        rc = roost_buf_add_json_str(out, row->values[0], row->lens[0]);
    }
    return rc == 0 ? roost_buf_printf(out, ",\"count\":%s}",
                                      row->values[1] ? row->values[1] : "0")
                   : rc;
}

/* run_list - `[` rows of sql through fn `]`. */
static int run_list(struct roost_api *a, struct roost_store *s,
                    const char *sql, roost_store_row_fn *fn,
                    struct roost_buf *out, struct roost_diag *diag)
{
    struct list l = { .out = out };
    int rc = roost_buf_addc(out, '[');
    if (rc == 0) {
        rc = roost__api_query(a, s, sql, 1000, fn, &l, diag);
    }
    return rc == 0 ? roost_buf_addc(out, ']') : rc;
}

int roost__api_get_hashtag(void *arg, const struct roost_http_req *req,
                           struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    struct roost_diag diag = { 0 };
    struct roost_store *s = NULL;
    struct roost_buf tag, t, sql;
    const char *wname;
    int64_t window_ms, limit, newest, count = 0;
    char where[128];
    int rc = 0;

    if (!roost__api_window_arg(req, resp, "1h", &wname, &window_ms) ||
        !roost__api_limit(req, resp, 20, 500, &limit)) {
        return 0;
    }
    roost_buf_init(&tag, MAX_TAG_BYTES);
    roost_buf_init(&t, 4 * MAX_TAG_BYTES);
    roost_buf_init(&sql, 8192);
    const char *raw = req->path + strlen("/api/v1/hashtag/");
    if (fold_key(raw, &tag) < 0 || tag.len == 0 || strchr(tag.ptr, '/')) {
        roost_http_json_error(resp, 400, "give a hashtag: "
                              "/api/v1/hashtag/TAG (at most 256 bytes)");
        goto out_fini;
    }
    rc = roost__api_sql_str(&t, tag.ptr, tag.len);
    if (rc == 0) {
        rc = roost__api_store_get(a, &s, &diag);
    }
    if (rc == 0) {
        rc = roost__api_i64(a, s, NEWEST_SQL, &newest, &diag);
    }
    if (rc < 0) {
        goto out_fail;
    }
    int64_t lo = roost__api_window_lo(newest, window_ms);
    if (lo == API_NO_TIME) {
        snprintf(where, sizeof(where), "1");
    } else {
        snprintf(where, sizeof(where), "h.created_at >= %lld",
                 (long long)lo);
    }
    rc = roost_buf_printf(&sql, "SELECT count(DISTINCT h.post_id) FROM "
                          "hashtags h JOIN posts p ON p.id = h.post_id WHERE "
                          "h.tag_lower = %s AND %s AND %s",
                          t.ptr, where, LIVE);
    if (rc == 0) {
        rc = roost__api_i64(a, s, sql.ptr, &count, &diag);
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, "{\"tag\":");
    }
    if (rc == 0) {
        rc = roost_buf_add_json_str(&resp->body, tag.ptr, tag.len);
    }
    if (rc == 0) {
        rc = roost_buf_printf(&resp->body, ",\"window\":\"%s\",\"as_of\":",
                              wname);
    }
    if (rc == 0) {
        rc = roost__api_iso(&resp->body, newest);
    }
    if (rc == 0) {
        rc = roost_buf_printf(&resp->body, ",\"count\":%lld,\"related\":",
                              (long long)(count == API_NO_TIME ? 0 : count));
    }
    roost_buf_reset(&sql);
    if (rc == 0) {
        rc = roost_buf_printf(&sql, "SELECT b.tag_lower AS k, "
                              "count(DISTINCT b.post_id) AS n FROM hashtags "
                              "h JOIN hashtags b ON b.post_id = h.post_id AND "
                              "b.tag_lower <> h.tag_lower JOIN posts p ON "
                              "p.id = h.post_id WHERE h.tag_lower = %s AND %s"
                              " AND %s GROUP BY k ORDER BY n DESC, k LIMIT 10",
                              t.ptr, where, LIVE);
    }
    if (rc == 0) {
        rc = run_list(a, s, sql.ptr, related, &resp->body, &diag);
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, ",\"influencers\":");
    }
    roost_buf_reset(&sql);
    if (rc == 0) {
        rc = roost_buf_printf(&sql, "SELECT coalesce(au.handle, "
                              "max(p.author_handle)), coalesce(au.name, "
                              "max(p.author_name)), max(h.author_followers) "
                              "AS f, count(DISTINCT h.post_id) FROM hashtags "
                              "h JOIN posts p ON p.id = h.post_id LEFT JOIN "
                              "authors au ON au.id = h.author_id WHERE "
                              "h.tag_lower = %s AND %s AND %s AND "
                              "h.author_id IS NOT NULL GROUP BY h.author_id "
                              "ORDER BY f DESC, h.author_id LIMIT 10",
                              t.ptr, where, LIVE);
    }
    if (rc == 0) {
        rc = run_list(a, s, sql.ptr, influencer, &resp->body, &diag);
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, ",\"posts\":");
    }
    roost_buf_reset(&sql);
    if (rc == 0) {
        rc = roost_buf_printf(&sql, "SELECT p.id, p.seq FROM posts p WHERE "
                              "p.id IN (SELECT h.post_id FROM hashtags h "
                              "WHERE h.tag_lower = %s AND %s) AND %s ORDER BY"
                              " p.created_at DESC, p.seq DESC LIMIT %lld",
                              t.ptr, where, LIVE, (long long)limit);
    }
    if (rc == 0) {
        rc = roost__api_posts(a, s, sql.ptr, limit, &resp->body, NULL, &diag);
    }
    if (rc == 0) {
        rc = roost_buf_addc(&resp->body, '}');
    }
    if (rc == 0) {
        goto out_put;
    }

out_fail:
    rc = roost__api_fail(resp, rc, &diag);
out_put:
    roost__api_store_put(a, s);
out_fini:
    roost_buf_fini(&tag);
    roost_buf_fini(&t);
    roost_buf_fini(&sql);
    return rc;
}

/* ---- /api/v1/search ------------------------------------------------------ */

struct hit {
    char *id;
    char *snippet;
    double score;
};

struct hits {
    struct hit *v;
    size_t n, cap;
};

static int collect_hit(void *arg, const struct roost_store_row *row)
{
    struct hits *h = arg;
    /* created_at, author, lang, snippet, score, id */
    if (row->values == NULL || row->n_cols < 6 || h->n >= h->cap ||
        row->values[5] == NULL) {
        return 0;
    }
    struct hit *x = &h->v[h->n];
    x->id = roost_strndup(row->values[5], row->lens[5]);
    x->snippet = roost_strndup(row->values[3] ? row->values[3] : "",
                               row->values[3] ? row->lens[3] : 0);
    x->score = row->values[4] ? strtod(row->values[4], NULL) : 0;
    h->n++;
    return x->id == NULL || x->snippet == NULL ? ROOST_ERR(ROOST_ENOMEM) : 0;
}

static bool time_arg(const struct roost_http_req *req,
                     struct roost_http_resp *resp, const char *key,
                     int64_t *out)
{
    const char *v = roost_http_arg(req, key);
    char msg[128];
    if (v == NULL || v[0] == '\0') {
        return true;
    }
    if (all_digits(v) && strlen(v) < 19) {
        *out = strtoll(v, NULL, 10);
        return true;
    }
    if (roost_time_parse(v, strlen(v), out) == 0) {
        return true;
    }
    snprintf(msg, sizeof(msg), "%s must be ISO 8601 or epoch milliseconds",
             key);
    roost_http_json_error(resp, 400, msg);
    return false;
}

int roost__api_get_search(void *arg, const struct roost_http_req *req,
                          struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    struct roost_diag diag = { 0 };
    struct roost_store *s = NULL;
    struct roost_search_q q = { .since_ms = INT64_MIN, .until_ms = INT64_MAX };
    struct hits h = { 0 };
    int64_t limit;
    int rc = 0;

    q.words = roost_http_arg(req, "q");
    if (q.words == NULL || q.words[0] == '\0') {
        roost_http_json_error(resp, 400, "missing q: the words to search");
        return 0;
    }
    if (!roost__api_limit(req, resp, 20, 500, &limit) ||
        !time_arg(req, resp, "since", &q.since_ms) ||
        !time_arg(req, resp, "until", &q.until_ms)) {
        return 0;
    }
    q.lang = roost_http_arg(req, "lang");
    if (q.lang != NULL && q.lang[0] == '\0') {
        q.lang = NULL;
    }
    q.from = roost_http_arg(req, "from");
    if (q.from != NULL && q.from[0] == '\0') {
        q.from = NULL;
    }
    q.limit = limit;
    h.cap = (size_t)limit;
    h.v = roost_calloc(h.cap, sizeof(*h.v));
    if (h.v == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    rc = roost__api_store_get(a, &s, &diag);
    if (rc == 0) {
        rc = roost_store_search(s, &q, collect_hit, &h, &diag);
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, "{\"results\":[");
    }
    for (size_t i = 0; rc == 0 && i < h.n; i++) {
        rc = roost_buf_adds(&resp->body, i > 0 ? ",{\"post\":" : "{\"post\":");
        size_t before = resp->body.len;
        const char *id = h.v[i].id;
        if (rc == 0) {
            rc = roost_store_posts_json(s, &id, 1, &resp->body, &diag);
        }
        if (rc == 0 && resp->body.len == before) {
            rc = roost_buf_adds(&resp->body, "null");
        }
        if (rc == 0) {
            rc = roost_buf_adds(&resp->body, ",\"snippet\":");
        }
        if (rc == 0) {
            rc = roost_buf_add_json_str(&resp->body, h.v[i].snippet,
                                        strlen(h.v[i].snippet));
        }
        if (rc == 0) {
            rc = roost_buf_printf(&resp->body, ",\"rank\":%zu,\"score\":%.6g}",
                                  i + 1, h.v[i].score);
        }
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, "]}");
    }
    if (rc < 0) {
        rc = roost__api_fail(resp, rc, &diag);
    }
    roost__api_store_put(a, s);
    for (size_t i = 0; i < h.n; i++) {
        roost_free(h.v[i].id);
        roost_free(h.v[i].snippet);
    }
    roost_free(h.v);
    return rc;
}

/* ---- /api/v1/geo --------------------------------------------------------- */

static int geo_point(void *arg, const struct roost_store_row *row)
{
    struct list *l = arg;
    struct roost_buf *out = l->out;
    if (row->values == NULL || row->values[1] == NULL ||
        row->values[2] == NULL) {
        return 0;
    }
    int rc = roost_buf_adds(out, l->n++ > 0 ? ",{\"id\":" : "{\"id\":");
    if (rc == 0) {
        rc = roost_buf_add_json_str(out, row->values[0], row->lens[0]);
    }
    if (rc == 0) {
        rc = roost_buf_printf(out, ",\"lat\":%.6f,\"lon\":%.6f,\"text\":",
                              strtod(row->values[1], NULL),
                              strtod(row->values[2], NULL));
    }
    if (rc == 0) {
        rc = roost_buf_add_json_str(out, row->values[3] ? row->values[3] : "",
                                    row->values[3] ? row->lens[3] : 0);
    }
    if (rc == 0) {
        rc = roost_buf_adds(out, ",\"created_at\":");
    }
    if (rc == 0) {
        rc = roost__api_iso(out, row->values[4]
                                     ? strtoll(row->values[4], NULL, 10)
                                     : API_NO_TIME);
    }
    return rc == 0 ? roost_buf_addc(out, '}') : rc;
}

int roost__api_get_geo(void *arg, const struct roost_http_req *req,
                       struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    struct roost_diag diag = { 0 };
    struct roost_store *s = NULL;
    const char *wname;
    int64_t window_ms, limit, newest;
    char sql[512];

    if (!roost__api_window_arg(req, resp, "1h", &wname, &window_ms) ||
        !roost__api_limit(req, resp, 500, 5000, &limit)) {
        return 0;
    }
    int rc = roost__api_store_get(a, &s, &diag);
    if (rc == 0) {
        rc = roost__api_i64(a, s, NEWEST_SQL, &newest, &diag);
    }
    if (rc == 0) {
        int64_t lo = roost__api_window_lo(newest, window_ms);
        snprintf(sql, sizeof(sql),
                 "SELECT p.id, p.lat, p.lon, p.text, p.created_at FROM posts"
                 " p WHERE p.lat IS NOT NULL AND p.lon IS NOT NULL AND "
                 "p.created_at >= %lld AND %s ORDER BY p.created_at DESC "
                 "LIMIT %lld",
                 (long long)(lo == API_NO_TIME ? INT64_MIN : lo), LIVE,
                 (long long)limit);
        rc = roost_buf_printf(&resp->body, "{\"window\":\"%s\",\"points\":",
                              wname);
    }
    if (rc == 0) {
        struct list l = { .out = &resp->body };
        rc = roost_buf_addc(&resp->body, '[');
        if (rc == 0) {
            rc = roost__api_query(a, s, sql, limit, geo_point, &l, &diag);
        }
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, "]}");
    }
    if (rc < 0) {
        rc = roost__api_fail(resp, rc, &diag);
    }
    roost__api_store_put(a, s);
    return rc;
}

/* ---- /api/v1/poll -------------------------------------------------------- */

struct terms {
    char v[API_MAX_POLL_TERMS][API_MAX_TERM_BYTES + 1];
    int64_t count[API_MAX_POLL_TERMS];
    size_t n;
};

static int tracked_term(void *arg, const struct roost_store_row *row)
{
    struct terms *t = arg;
    if (row->values == NULL || row->values[0] == NULL ||
        t->n >= API_MAX_POLL_TERMS || row->lens[0] > API_MAX_TERM_BYTES ||
        row->lens[0] == 0) {
        return 0;
    }
    memcpy(t->v[t->n], row->values[0], row->lens[0]);
    t->v[t->n][row->lens[0]] = '\0';
    t->n++;
    return 0;
}

static int term_counts(void *arg, const struct roost_store_row *row)
{
    struct terms *t = arg;
    for (size_t i = 0; row->values != NULL && i < t->n && i < row->n_cols;
         i++) {
        t->count[i] = row->values[i] ? strtoll(row->values[i], NULL, 10) : 0;
    }
    return 0;
}

/* split_terms - "a, b,c" into t; false (400 set) when a term is too long
 * or there are too many. */
static bool split_terms(const char *s, struct terms *t,
                        struct roost_http_resp *resp)
{
    while (*s != '\0') {
        while (*s == ' ' || *s == ',') {
            s++;
        }
        const char *e = s;
        while (*e != '\0' && *e != ',') {
            e++;
        }
        const char *end = e;
        while (end > s && end[-1] == ' ') {
            end--;
        }
        size_t len = (size_t)(end - s);
        if (len > 0) {
            if (t->n >= API_MAX_POLL_TERMS || len > API_MAX_TERM_BYTES) {
                roost_http_json_error(resp, 400, "terms: at most 20 terms of "
                                      "at most 64 bytes each");
                return false;
            }
            memcpy(t->v[t->n], s, len);
            t->v[t->n][len] = '\0';
            t->n++;
        }
        s = e;
    }
    return true;
}

int roost__api_get_poll(void *arg, const struct roost_http_req *req,
                        struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    struct roost_diag diag = { 0 };
    struct roost_store *s = NULL;
    struct roost_buf sql;
    const char *wname;
    int64_t window_ms, newest;
    int rc = 0;

    struct terms *t = roost_calloc(1, sizeof(*t));
    if (t == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    roost_buf_init(&sql, 64u << 10);
    const char *terms = roost_http_arg(req, "terms");
    if (!roost__api_window_arg(req, resp, "1h", &wname, &window_ms) ||
        (terms != NULL && !split_terms(terms, t, resp))) {
        goto out_free;
    }
    rc = roost__api_store_get(a, &s, &diag);
    if (rc == 0 && terms == NULL) {
        rc = roost__api_query(a, s, "SELECT term FROM tracked_terms ORDER BY "
                              "term", API_MAX_POLL_TERMS, tracked_term, t,
                              &diag);
    }
    if (rc == 0) {
        rc = roost__api_i64(a, s, NEWEST_SQL, &newest, &diag);
    }
    if (rc == 0 && t->n > 0) {
        rc = roost_buf_adds(&sql, "SELECT ");
        for (size_t i = 0; rc == 0 && i < t->n; i++) {
            rc = roost_buf_adds(&sql, i > 0 ? ", sum(instr(lower(p.text), "
                                              "lower("
                                            : "sum(instr(lower(p.text), "
                                              "lower(");
            if (rc == 0) {
                rc = roost__api_sql_str(&sql, t->v[i], strlen(t->v[i]));
            }
            if (rc == 0) {
                rc = roost_buf_adds(&sql, ")) > 0)");
            }
        }
        int64_t lo = roost__api_window_lo(newest, window_ms);
        if (rc == 0 && lo != API_NO_TIME) {
            rc = roost_buf_printf(&sql, " FROM posts p WHERE p.created_at >= "
                                  "%lld AND %s", (long long)lo, LIVE);
        } else if (rc == 0) {
            /* like the term_mentions view: posts without a time count */
            rc = roost_buf_printf(&sql, " FROM posts p WHERE %s", LIVE);
        }
        if (rc == 0) {
            rc = roost__api_query(a, s, sql.ptr, 1, term_counts, t, &diag);
        }
    }
    if (rc == 0) {
        rc = roost_buf_printf(&resp->body, "{\"window\":\"%s\",\"as_of\":",
                              wname);
    }
    if (rc == 0) {
        rc = roost__api_iso(&resp->body, newest);
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, ",\"terms\":[");
    }
    for (size_t i = 0; rc == 0 && i < t->n; i++) {
        rc = roost_buf_adds(&resp->body, i > 0 ? ",{\"term\":" : "{\"term\":");
        if (rc == 0) {
            rc = roost_buf_add_json_str(&resp->body, t->v[i], strlen(t->v[i]));
        }
        if (rc == 0) {
            rc = roost_buf_printf(&resp->body, ",\"count\":%lld}",
                                  (long long)t->count[i]);
        }
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, "]}");
    }
    if (rc < 0) {
        rc = roost__api_fail(resp, rc, &diag);
    }
    roost__api_store_put(a, s);
out_free:
    roost_buf_fini(&sql);
    roost_free(t);
    return rc;
}
