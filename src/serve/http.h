/* SPDX-License-Identifier: MIT
 *
 * http.h - roost's HTTP server: routes, static assets, Server-Sent Events,
 * with the limits a server on a laptop needs (libmicrohttpd underneath).
 *
 * Binds 127.0.0.1 by default; any other address requires an access token
 * (Authorization: Bearer TOKEN, or ?token=TOKEN for EventSource, which
 * cannot set headers). Request bodies, headers and connection time are
 * bounded; slow clients time out; static assets are looked up by exact
 * name in an embedded table, so no path can escape it. SSE clients are
 * capped, each has a bounded send queue, and a client that cannot keep up
 * is dropped and counted rather than slowing the others.
 * Thread: handlers run on the server's thread(s); roost_http_sse_publish
 * may be called from any thread.
 */
#ifndef ROOST_SERVE_HTTP_H
#define ROOST_SERVE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct roost_http_cfg {
    const char *listen;        /* "127.0.0.1:8080" (default), "[::1]:0" */
    const char *token;         /* required unless listen is loopback */
    size_t max_body_bytes;     /* default 64 KiB; larger: 413 */
    size_t max_header_bytes;   /* default 16 KiB per connection; more: 431 */
    unsigned timeout_s;        /* idle connection timeout, default 15 */
    unsigned max_connections;  /* default 1024 */
    unsigned max_sse_clients;  /* default 512 */
    size_t sse_queue_bytes;    /* per client, default 256 KiB */
};

struct roost_http_req {
    const char *method; /* "GET", "POST" ... */
    const char *path;   /* decoded path, without the query */
    const char *body;   /* POST body (NUL-terminated), NULL when none */
    size_t body_len;
    void *conn;         /* private: for roost_http_arg */
};

/* roost_http_arg - a query-string argument, NULL when absent. */
const char *roost_http_arg(const struct roost_http_req *req, const char *key);

struct roost_http_resp {
    int status;               /* default 200 */
    const char *content_type; /* default application/json */
    struct roost_buf body;    /* what to send (capped at 64 MiB) */
};

/* A handler fills resp and returns 0, or an error (500 with a JSON body). */
typedef int roost_http_fn(void *arg, const struct roost_http_req *req,
                          struct roost_http_resp *resp);

/* An embedded file, from web/ at build time. */
struct roost_asset {
    const char *name; /* "index.html", "app.js", "vendor/x.js" */
    const unsigned char *data;
    size_t len;
    const char *content_type;
};

struct roost_http_stats {
    uint64_t n_requests;
    uint64_t n_2xx, n_4xx, n_5xx;
    uint64_t n_unauthorized;
    uint64_t n_too_large;
    uint64_t n_sse_clients;   /* connected now */
    uint64_t n_sse_refused;   /* over max_sse_clients */
    uint64_t n_sse_dropped;   /* could not keep up */
    uint64_t n_sse_events;    /* events published */
};

struct roost_http;

int roost_http_new(const struct roost_http_cfg *cfg, struct roost_http **out,
                   struct roost_diag *diag);
/* roost_http_route - exact path, or a prefix when path ends in '*'. */
int roost_http_route(struct roost_http *h, const char *method,
                     const char *path, roost_http_fn *fn, void *arg);
/* roost_http_assets - serve these under "/" ("/" is index.html). */
void roost_http_assets(struct roost_http *h, const struct roost_asset *a,
                       size_t n);
/* roost_http_sse_path - GET on this path opens an event stream. */
int roost_http_sse_path(struct roost_http *h, const char *path);
/*
 * roost_http_sse_publish - send one event to every connected client
 * (`event: NAME` + `data: DATA`, DATA a single line). Clients whose queue
 * is full are dropped and counted. Thread: any.
 */
void roost_http_sse_publish(struct roost_http *h, const char *event,
                            const char *data, size_t len);
int roost_http_start(struct roost_http *h, struct roost_diag *diag);
/* roost_http_port - the bound port (after start; useful with port 0). */
int roost_http_port(const struct roost_http *h);
void roost_http_stats(struct roost_http *h, struct roost_http_stats *out);
void roost_http_free(struct roost_http *h);

/* roost_http_json_error - fill resp with {"error": msg} and status. */
void roost_http_json_error(struct roost_http_resp *resp, int status,
                           const char *msg);

#endif /* ROOST_SERVE_HTTP_H */
