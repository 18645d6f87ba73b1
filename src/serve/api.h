/* SPDX-License-Identifier: MIT
 *
 * api.h - roost's HTTP API: /health, /metrics and the JSON endpoints under
 * /api/v1 that the dashboard (web/) reads, over a SQLite store.
 *
 * The API reads the store through a small pool of read-only connections
 * (store/store_query.h: its authorizer refuses every write), so the
 * handlers, which run on the HTTP server's connection threads, never share
 * a connection. "Now" for every window is the newest post in the store,
 * as in the store's views, so the API answers the same on a live stream
 * and on last year's corpus. docs/api.md lists the endpoints.
 *
 * What a running collector adds is attached through callbacks in the cfg
 * (all optional): pipeline counters, engine counters, source states and
 * the engine's named result tables. `roost serve` attaches none; `roost
 * collect --http` attaches its pipeline and engine.
 *
 *     struct roost_api *api;
 *     roost_api_new(&cfg, http, &api, &diag);    registers the routes
 *     roost_http_start(http, &diag);
 *     ...
 *     roost_http_free(http);                     stop serving first
 *     roost_api_free(api);
 *
 * Thread: the callbacks are called from HTTP connection threads, several
 * at once; they must be thread-safe.
 */
#ifndef ROOST_SERVE_API_H
#define ROOST_SERVE_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "engine/pipeline.h"
#include "engine/result.h"
#include "serve/http.h"

#define ROOST_API_MAX_SOURCES 64

/* The pipeline's counters now (engine/pipeline.h: roost_pipeline_stats). */
typedef void roost_api_pipeline_stats_fn(void *arg,
                                         struct roost_pipeline_stats *out);

struct roost_api_engine_stats {
    uint64_t n_queries;
    uint64_t n_triggers;
    uint64_t n_late_rows;  /* rows dropped as late, all queries */
    uint64_t state_bytes;  /* window + aggregate state, all queries */
};

typedef void roost_api_engine_stats_fn(void *arg,
                                       struct roost_api_engine_stats *out);

struct roost_api_source {
    char name[64];
    char state[16];      /* "connected", "backoff", "done", ... */
    uint64_t n_records;
    uint64_t n_bytes;
    uint64_t n_reconnects;
    uint64_t n_gaps;
    double gap_s;        /* seconds of stream known to be missing */
};

/* Fill at most cap sources; return how many were written. */
typedef size_t roost_api_sources_fn(void *arg, struct roost_api_source *out,
                                    size_t cap);

/* The SQL text of named query `name` into out (NUL-terminated, cut to
 * cap); false when unknown. */
typedef bool roost_api_query_sql_fn(void *arg, const char *name, char *out,
                                    size_t cap);

struct roost_api_cfg {
    const char *db_path;      /* the SQLite store (read-only); required */
    const char *version;      /* for /health; NULL: "unknown" */
    unsigned n_conns;         /* store connections, default 8 */
    int64_t query_limit_ms;   /* POST /api/v1/query time limit, default 2 s */
    int64_t read_limit_ms;    /* other endpoints' time limit, default 10 s */
    bool sse;                 /* serve /api/v1/stream (publisher.h) */

    roost_api_pipeline_stats_fn *pipeline_stats; /* NULL: none */
    void *pipeline_arg;
    roost_api_engine_stats_fn *engine_stats;     /* NULL: none */
    void *engine_arg;
    roost_api_sources_fn *sources;               /* NULL: [] */
    void *sources_arg;
    struct roost_results *results;   /* borrowed; NULL: no named queries */
    roost_api_query_sql_fn *query_sql;           /* NULL: "sql" is null */
    void *query_sql_arg;
};

struct roost_api;

/*
 * roost_api_new - check that db_path opens as a roost store and register
 * the API's routes on http (before roost_http_start).
 * Returns: 0; ROOST_ENOENT / ROOST_EIO / ROOST_EINVAL for the store (diag
 * says why); ROOST_ELIMIT when http has no room for the routes.
 */
int roost_api_new(const struct roost_api_cfg *cfg, struct roost_http *http,
                  struct roost_api **out, struct roost_diag *diag);

/* roost_api_free - after the HTTP server has stopped. */
void roost_api_free(struct roost_api *api);

#endif /* ROOST_SERVE_API_H */
