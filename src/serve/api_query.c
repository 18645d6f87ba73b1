/* SPDX-License-Identifier: MIT
 *
 * api_query.c - SQL over the store (POST /api/v1/query), the engine's
 * named result tables (/api/v1/queries) and the sources' states
 * (/api/v1/sources).
 *
 * POST /api/v1/query runs one statement on a read-only connection whose
 * authorizer refuses writes at prepare time (store_query.c), so a write
 * attempt is a 400 and the file is never touched. It is bounded three
 * ways: rows (limit, at most 10000; one more is read to say "truncated"),
 * time (query_limit_ms, through SQLite's progress handler) and response
 * bytes (MAX_QUERY_BYTES, then "truncated" too).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "parse/json.h"
#include "serve/api_int.h"

#define DEFAULT_QUERY_ROWS 1000
#define MAX_QUERY_ROWS 10000
#define MAX_QUERY_BYTES (16u << 20)
#define MAX_SQL_BYTES (16u << 10)
#define MAX_NAME_BYTES 128

/* ---- POST /api/v1/query -------------------------------------------------- */

struct table {
    struct roost_buf *out;
    int64_t limit;
    int64_t n_rows;
    bool truncated;
};

static int cell_json(struct roost_buf *out, const struct roost_store_row *row,
                     size_t i)
{
    if (row->values[i] == NULL) {
        return roost_buf_adds(out, "null");
    }
    switch (row->types[i]) {
    case ROOST_STORE_INT:
    case ROOST_STORE_REAL: {
        const char *v = row->values[i];
        /* SQLite writes Inf as "Inf": not JSON */
        if (strchr(v, 'I') != NULL || strchr(v, 'N') != NULL) {
            return roost_buf_add_json_str(out, v, row->lens[i]);
        }
        return roost_buf_add(out, v, row->lens[i]);
    }
    case ROOST_STORE_BLOB: {
        int rc = roost_buf_adds(out, "\"x'");
        const unsigned char *p = (const unsigned char *)row->values[i];
        for (size_t k = 0; rc == 0 && k < row->lens[i]; k++) {
            rc = roost_buf_printf(out, "%02x", p[k]);
        }
        return rc == 0 ? roost_buf_adds(out, "'\"") : rc;
    }
    default:
        return roost_buf_add_json_str(out, row->values[i], row->lens[i]);
    }
}

static int table_row(void *arg, const struct roost_store_row *row)
{
    struct table *t = arg;
    int rc = 0;
    if (row->values == NULL) {
        rc = roost_buf_adds(t->out, "{\"columns\":[");
        for (size_t i = 0; rc == 0 && i < row->n_cols; i++) {
            if (i > 0) {
                rc = roost_buf_addc(t->out, ',');
            }
            if (rc == 0) {
                rc = roost_buf_add_json_str(t->out, row->names[i],
                                            strlen(row->names[i]));
            }
        }
        return rc == 0 ? roost_buf_adds(t->out, "],\"rows\":[") : rc;
    }
    if (t->n_rows >= t->limit || t->out->len >= MAX_QUERY_BYTES) {
        t->truncated = true;
        return 1; /* stop */
    }
    size_t mark = t->out->len;
    rc = roost_buf_adds(t->out, t->n_rows > 0 ? ",[" : "[");
    for (size_t i = 0; rc == 0 && i < row->n_cols; i++) {
        if (i > 0) {
            rc = roost_buf_addc(t->out, ',');
        }
        if (rc == 0) {
            rc = cell_json(t->out, row, i);
        }
    }
    if (rc == 0) {
        rc = roost_buf_addc(t->out, ']');
    }
    if (rc == ROOST_ELIMIT) {
        t->out->len = mark; /* the response cap: cut here */
        t->out->ptr[mark] = '\0';
        t->truncated = true;
        return 1;
    }
    t->n_rows++;
    return rc;
}

int roost__api_post_query(void *arg, const struct roost_http_req *req,
                          struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    struct roost_diag diag = { 0 };
    struct roost_store *s = NULL;
    struct roost_json_doc doc;
    char *sql = NULL;
    int64_t limit = DEFAULT_QUERY_ROWS;
    int rc = 0;

    roost_json_doc_init(&doc, 16, MAX_SQL_BYTES * 2);
    if (req->body == NULL ||
        roost_json_parse(&doc, req->body, req->body_len, &diag) < 0 ||
        !roost_json_is(&doc, 0, ROOST_JSON_OBJECT)) {
        roost_http_json_error(resp, 400, "the body must be a JSON object: "
                              "{\"sql\": \"SELECT ...\", \"limit\": N}");
        goto out_fini;
    }
    uint32_t v_sql = roost_json_get(&doc, 0, "sql");
    uint32_t v_limit = roost_json_get(&doc, 0, "limit");
    if (!roost_json_is(&doc, v_sql, ROOST_JSON_STRING)) {
        roost_http_json_error(resp, 400, "missing \"sql\": a string");
        goto out_fini;
    }
    if (v_limit != ROOST_JSON_NONE &&
        !roost_json_is(&doc, v_limit, ROOST_JSON_NULL) &&
        (!roost_json_i64(&doc, v_limit, &limit) || limit < 1 ||
         limit > MAX_QUERY_ROWS)) {
        roost_http_json_error(resp, 400, "limit must be an integer from 1 "
                              "to 10000");
        goto out_fini;
    }
    struct roost_str text = roost_json_str(&doc, v_sql);
    if (text.len == 0 || text.len > MAX_SQL_BYTES ||
        memchr(text.ptr, '\0', text.len) != NULL) {
        roost_http_json_error(resp, 400, "sql must be 1 to 16384 bytes of "
                              "text");
        goto out_fini;
    }
    sql = roost_strndup(text.ptr, text.len);
    if (sql == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_fini;
    }
    rc = roost__api_store_get(a, &s, &diag);
    struct table t = { .out = &resp->body, .limit = limit };
    if (rc == 0) {
        rc = roost_store_query_timed(s, sql, limit + 1, a->cfg.query_limit_ms,
                                     table_row, &t, &diag);
    }
    if (rc == 1) {
        rc = 0; /* table_row stopped it */
    }
    if (rc == 0) {
        rc = roost_buf_printf(&resp->body, "],\"truncated\":%s,\"n_rows\":"
                              "%lld}", t.truncated ? "true" : "false",
                              (long long)t.n_rows);
    }
    if (rc < 0) {
        roost_buf_reset(&resp->body);
        rc = roost__api_fail(resp, rc, &diag);
    }
    roost__api_store_put(a, s);
out_fini:
    roost_free(sql);
    roost_json_doc_fini(&doc);
    return rc;
}

/* ---- /api/v1/queries ----------------------------------------------------- */

int roost__api_get_queries(void *arg, const struct roost_http_req *req,
                           struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    char name[MAX_NAME_BYTES];
    (void)req;
    int rc = roost_buf_adds(&resp->body, "{\"queries\":[");
    char *sql = roost_malloc(MAX_SQL_BYTES);
    if (sql == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    for (size_t i = 0; rc == 0 && a->cfg.results != NULL &&
                       roost_results_name(a->cfg.results, i, name,
                                          sizeof(name)) == 0;
         i++) {
        int64_t at = API_NO_TIME;
        roost_rowset_clear(&rs);
        if (roost_results_snapshot(a->cfg.results, name, &rs, &at) < 0) {
            at = API_NO_TIME;
        }
        rc = roost_buf_adds(&resp->body, i > 0 ? ",{\"name\":" : "{\"name\":");
        if (rc == 0) {
            rc = roost_buf_add_json_str(&resp->body, name, strlen(name));
        }
        if (rc == 0) {
            rc = roost_buf_adds(&resp->body, ",\"sql\":");
        }
        if (rc == 0 && a->cfg.query_sql != NULL &&
            a->cfg.query_sql(a->cfg.query_sql_arg, name, sql, MAX_SQL_BYTES)) {
            rc = roost_buf_add_json_str(&resp->body, sql, strlen(sql));
        } else if (rc == 0) {
            rc = roost_buf_adds(&resp->body, "null");
        }
        if (rc == 0) {
            rc = roost_buf_printf(&resp->body, ",\"n_rows\":%zu,"
                                  "\"updated_at\":", rs.n_rows);
        }
        if (rc == 0) {
            rc = roost__api_iso(&resp->body, at);
        }
        if (rc == 0) {
            rc = roost_buf_addc(&resp->body, '}');
        }
    }
    roost_rowset_fini(&rs);
    roost_free(sql);
    return rc == 0 ? roost_buf_adds(&resp->body, "]}") : rc;
}

int roost__api_get_query_table(void *arg, const struct roost_http_req *req,
                               struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    const char *name = req->path + strlen("/api/v1/queries/");
    struct roost_rowset rs;
    int64_t at = API_NO_TIME;
    int rc;

    if (a->cfg.results == NULL || name[0] == '\0' ||
        strlen(name) >= MAX_NAME_BYTES) {
        roost_http_json_error(resp, 404, "no such query");
        return 0;
    }
    roost_rowset_init(&rs);
    rc = roost_results_snapshot(a->cfg.results, name, &rs, &at);
    if (rc == ROOST_ENOENT) {
        roost_http_json_error(resp, 404, "no such query");
        rc = 0;
        goto out_fini;
    }
    if (rc < 0) {
        goto out_fini;
    }
    rc = roost_buf_adds(&resp->body, "{\"name\":");
    if (rc == 0) {
        rc = roost_buf_add_json_str(&resp->body, name, strlen(name));
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, ",\"columns\":[");
    }
    for (uint32_t c = 0; rc == 0 && c < rs.n_cols; c++) {
        if (c > 0) {
            rc = roost_buf_addc(&resp->body, ',');
        }
        if (rc == 0) {
            rc = roost_buf_add_json_str(&resp->body, rs.names[c],
                                        strlen(rs.names[c]));
        }
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, "],\"rows\":[");
    }
    for (size_t r = 0; rc == 0 && r < rs.n_rows; r++) {
        const struct roost_value *row = roost_rowset_row(&rs, r);
        rc = roost_buf_adds(&resp->body, r > 0 ? ",[" : "[");
        for (uint32_t c = 0; rc == 0 && c < rs.n_cols; c++) {
            if (c > 0) {
                rc = roost_buf_addc(&resp->body, ',');
            }
            if (rc == 0) {
                rc = roost_value_write_json(&row[c], &resp->body);
            }
        }
        if (rc == 0) {
            rc = roost_buf_addc(&resp->body, ']');
        }
    }
    if (rc == 0) {
        rc = roost_buf_adds(&resp->body, "],\"updated_at\":");
    }
    if (rc == 0) {
        rc = roost__api_iso(&resp->body, at);
    }
    if (rc == 0) {
        rc = roost_buf_addc(&resp->body, '}');
    }

out_fini:
    roost_rowset_fini(&rs);
    return rc;
}

/* ---- /api/v1/sources ----------------------------------------------------- */

int roost__api_get_sources(void *arg, const struct roost_http_req *req,
                           struct roost_http_resp *resp)
{
    struct roost_api *a = arg;
    size_t n = 0;
    (void)req;
    struct roost_api_source *src =
        roost_calloc(ROOST_API_MAX_SOURCES, sizeof(*src));
    if (src == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    if (a->cfg.sources != NULL) {
        n = a->cfg.sources(a->cfg.sources_arg, src, ROOST_API_MAX_SOURCES);
    }
    int rc = roost_buf_adds(&resp->body, "{\"sources\":[");
    for (size_t i = 0; rc == 0 && i < n && i < ROOST_API_MAX_SOURCES; i++) {
        src[i].name[sizeof(src[i].name) - 1] = '\0';
        src[i].state[sizeof(src[i].state) - 1] = '\0';
        rc = roost_buf_adds(&resp->body, i > 0 ? ",{\"name\":" : "{\"name\":");
        if (rc == 0) {
            rc = roost_buf_add_json_str(&resp->body, src[i].name,
                                        strlen(src[i].name));
        }
        if (rc == 0) {
            rc = roost_buf_adds(&resp->body, ",\"state\":");
        }
        if (rc == 0) {
            rc = roost_buf_add_json_str(&resp->body, src[i].state,
                                        strlen(src[i].state));
        }
        if (rc == 0) {
            rc = roost_buf_printf(&resp->body, ",\"records\":%llu,\"bytes\":"
                                  "%llu,\"reconnects\":%llu,\"gaps\":%llu,"
                                  "\"gap_s\":%.3f}",
                                  (unsigned long long)src[i].n_records,
                                  (unsigned long long)src[i].n_bytes,
                                  (unsigned long long)src[i].n_reconnects,
                                  (unsigned long long)src[i].n_gaps,
                                  src[i].gap_s);
        }
    }
    roost_free(src);
    return rc == 0 ? roost_buf_adds(&resp->body, "]}") : rc;
}
