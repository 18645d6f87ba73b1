/* SPDX-License-Identifier: MIT
 *
 * http.c - the HTTP server on libmicrohttpd.
 *
 * One daemon in thread-per-connection mode: a request is handled on its
 * connection's thread, which keeps handlers simple and lets an SSE
 * stream block on its own condition variable between events. The access
 * handler runs in three steps (MHD's protocol): the first call allocates a
 * struct request, POST bodies arrive in pieces and are appended up to
 * max_body_bytes (beyond: 413, the rest is discarded), and the final call
 * dispatches: SSE path, then routes, then embedded assets.
 *
 * SSE clients each own a bounded byte queue. Publishing appends the
 * formatted event to every queue under that client's lock; a client whose
 * queue would overflow is marked dropped, and its reader ends the stream.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "serve/http.h"

#define MAX_ROUTES 64
#define SSE_KEEPALIVE_MS 15000
#define RESP_MAX_BYTES (64u << 20)

struct route {
    char method[8];
    char path[128];
    bool prefix;
    roost_http_fn *fn;
    void *arg;
};

struct sse_client {
    struct roost_http *h;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *q;           /* bytes waiting to be sent */
    size_t len, cap;   /* cap == the configured queue bound */
    bool dropped;
    bool closed;
    bool hello_sent;
    struct sse_client *next, *prev;
};

struct roost_http {
    struct roost_http_cfg cfg;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    bool loopback;
    struct MHD_Daemon *d;
    struct route routes[MAX_ROUTES];
    size_t n_routes;
    const struct roost_asset *assets;
    size_t n_assets;
    char sse_path[128];
    pthread_mutex_t mu; /* clients list and stats */
    struct sse_client *clients;
    struct roost_http_stats st;
    atomic_bool stopping;
};

struct request {
    struct roost_buf body;
    bool too_large;
};

/* ---- helpers ---------------------------------------------------------------- */

void roost_http_json_error(struct roost_http_resp *resp, int status,
                           const char *msg)
{
    resp->status = status;
    resp->content_type = "application/json";
    roost_buf_reset(&resp->body);
    roost_buf_adds(&resp->body, "{\"error\":");
    roost_buf_add_json_str(&resp->body, msg, strlen(msg));
    roost_buf_printf(&resp->body, ",\"status\":%d}", status);
}

const char *roost_http_arg(const struct roost_http_req *req, const char *key)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, key);
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss,
                        socklen_t *len, bool *loopback)
{
    char host[128];
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || (size_t)(colon - listen) >= sizeof(host)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    memcpy(host, listen, (size_t)(colon - listen));
    host[colon - listen] = '\0';
    char *end = NULL;
    long port = strtol(colon + 1, &end, 10);
    if (*end != '\0' || port < 0 || port > 65535) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    memset(ss, 0, sizeof(*ss));
    char *h = host;
    size_t hl = strlen(h);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h[hl - 1] = '\0';
        h++;
    }
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (strcmp(h, "localhost") == 0) {
        h = "127.0.0.1";
    }
    if (inet_pton(AF_INET, h, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *len = sizeof(*in4);
        *loopback = (ntohl(in4->sin_addr.s_addr) >> 24) == 127;
        return 0;
    }
    if (inet_pton(AF_INET6, h, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        *loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
        return 0;
    }
    return ROOST_ERR(ROOST_EINVAL);
}

static void count_status(struct roost_http *h, int status)
{
    pthread_mutex_lock(&h->mu);
    h->st.n_requests++;
    if (status < 300) {
        h->st.n_2xx++;
    } else if (status < 500) {
        h->st.n_4xx++;
    } else {
        h->st.n_5xx++;
    }
    pthread_mutex_unlock(&h->mu);
}

static enum MHD_Result send_buf(struct roost_http *h,
                                struct MHD_Connection *conn, int status,
                                const char *type, const char *p, size_t len)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)p, MHD_RESPMEM_MUST_COPY);
    if (r == NULL) {
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", type);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    count_status(h, status);
    return ret;
}

static enum MHD_Result send_error(struct roost_http *h,
                                  struct MHD_Connection *conn, int status,
                                  const char *msg)
{
    struct roost_http_resp resp = { 0 };
    roost_buf_init(&resp.body, 4096);
    roost_http_json_error(&resp, status, msg);
    enum MHD_Result r = send_buf(h, conn, status, "application/json",
                                 resp.body.ptr, resp.body.len);
    roost_buf_fini(&resp.body);
    return r;
}

static bool authorized(struct roost_http *h, struct MHD_Connection *conn)
{
    if (h->cfg.token == NULL || h->cfg.token[0] == '\0') {
        return true;
    }
    const char *auth =
        MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
    size_t tl = strlen(h->cfg.token);
    if (auth != NULL && strncmp(auth, "Bearer ", 7) == 0 &&
        strlen(auth + 7) == tl && memcmp(auth + 7, h->cfg.token, tl) == 0) {
        return true;
    }
    const char *q =
        MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "token");
    return q != NULL && strlen(q) == tl && memcmp(q, h->cfg.token, tl) == 0;
}

/* ---- SSE ----------------------------------------------------------------------- */

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct sse_client *c = cls;
    pthread_mutex_lock(&c->mu);
    if (!c->hello_sent) {
        c->hello_sent = true;
        pthread_mutex_unlock(&c->mu);
        const char hello[] = ": roost event stream\nretry: 2000\n\n";
        size_t n = sizeof(hello) - 1 < max ? sizeof(hello) - 1 : max;
        memcpy(buf, hello, n);
        return (ssize_t)n;
    }
    while (c->len == 0 && !c->dropped && !c->closed &&
           !atomic_load(&c->h->stopping)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += SSE_KEEPALIVE_MS / 1000;
        if (pthread_cond_timedwait(&c->cv, &c->mu, &ts) == ETIMEDOUT &&
            c->len == 0) {
            pthread_mutex_unlock(&c->mu);
            const char ka[] = ":\n\n"; /* keeps proxies and clients awake */
            memcpy(buf, ka, max < 3 ? max : 3);
            return (ssize_t)(max < 3 ? max : 3);
        }
    }
    if (c->dropped || c->closed || atomic_load(&c->h->stopping)) {
        pthread_mutex_unlock(&c->mu);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = c->len < max ? c->len : max;
    memcpy(buf, c->q, n);
    memmove(c->q, c->q + n, c->len - n);
    c->len -= n;
    pthread_mutex_unlock(&c->mu);
    return (ssize_t)n;
}

static void sse_free(void *cls)
{
    struct sse_client *c = cls;
    struct roost_http *h = c->h;
    pthread_mutex_lock(&h->mu);
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        h->clients = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    }
    h->st.n_sse_clients--;
    pthread_mutex_unlock(&h->mu);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->cv);
    roost_free(c->q);
    roost_free(c);
}

static enum MHD_Result open_sse(struct roost_http *h,
                                struct MHD_Connection *conn)
{
    pthread_mutex_lock(&h->mu);
    bool full = h->st.n_sse_clients >= h->cfg.max_sse_clients;
    if (full) {
        h->st.n_sse_refused++;
    }
    pthread_mutex_unlock(&h->mu);
    if (full) {
        return send_error(h, conn, 503, "too many event-stream clients");
    }
    struct sse_client *c = roost_calloc(1, sizeof(*c));
    if (c == NULL) {
        return send_error(h, conn, 503, "out of memory");
    }
    c->q = roost_malloc(h->cfg.sse_queue_bytes);
    if (c->q == NULL) {
        roost_free(c);
        return send_error(h, conn, 503, "out of memory");
    }
    c->h = h;
    c->cap = h->cfg.sse_queue_bytes;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->cv, NULL);
    struct MHD_Response *r = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 4096, sse_read, c, sse_free);
    if (r == NULL) {
        pthread_mutex_destroy(&c->mu);
        pthread_cond_destroy(&c->cv);
        roost_free(c->q);
        roost_free(c);
        return MHD_NO;
    }
    pthread_mutex_lock(&h->mu);
    c->next = h->clients;
    if (h->clients != NULL) {
        h->clients->prev = c;
    }
    h->clients = c;
    h->st.n_sse_clients++;
    h->st.n_requests++;
    h->st.n_2xx++;
    pthread_mutex_unlock(&h->mu);
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return ret;
}

void roost_http_sse_publish(struct roost_http *h, const char *event,
                            const char *data, size_t len)
{
    char head[96];
    int hl = snprintf(head, sizeof(head), "event: %s\ndata: ",
                      event ? event : "message");
    if (hl < 0 || (size_t)hl >= sizeof(head)) {
        return;
    }
    size_t need = (size_t)hl + len + 2;
    pthread_mutex_lock(&h->mu);
    h->st.n_sse_events++;
    for (struct sse_client *c = h->clients; c != NULL; c = c->next) {
        pthread_mutex_lock(&c->mu);
        if (!c->dropped && c->len + need <= c->cap) {
            memcpy(c->q + c->len, head, (size_t)hl);
            memcpy(c->q + c->len + (size_t)hl, data, len);
            memcpy(c->q + c->len + (size_t)hl + len, "\n\n", 2);
            c->len += need;
        } else if (!c->dropped) {
            c->dropped = true; /* cannot keep up: end its stream */
            h->st.n_sse_dropped++;
        }
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&h->mu);
}

/* ---- dispatch ------------------------------------------------------------------ */

static const struct roost_asset *find_asset(struct roost_http *h,
                                            const char *path)
{
    const char *name = path[0] == '/' ? path + 1 : path;
    if (name[0] == '\0') {
        name = "index.html";
    }
    for (size_t i = 0; i < h->n_assets; i++) {
        if (strcmp(h->assets[i].name, name) == 0) {
            return &h->assets[i];
        }
    }
    return NULL;
}

static enum MHD_Result dispatch(struct roost_http *h,
                                struct MHD_Connection *conn,
                                const char *method, const char *url,
                                struct request *rq)
{
    if (strstr(url, "..") != NULL || strchr(url, '\\') != NULL) {
        return send_error(h, conn, 400, "path traversal is not allowed");
    }
    if (!authorized(h, conn)) {
        pthread_mutex_lock(&h->mu);
        h->st.n_unauthorized++;
        pthread_mutex_unlock(&h->mu);
        return send_error(h, conn, 401, "missing or wrong access token");
    }
    if (rq->too_large) {
        pthread_mutex_lock(&h->mu);
        h->st.n_too_large++;
        pthread_mutex_unlock(&h->mu);
        return send_error(h, conn, 413, "request body too large");
    }
    if (h->sse_path[0] != '\0' && strcmp(method, "GET") == 0 &&
        strcmp(url, h->sse_path) == 0) {
        return open_sse(h, conn);
    }
    bool path_known = false;
    for (size_t i = 0; i < h->n_routes; i++) {
        const struct route *r = &h->routes[i];
        bool match = r->prefix ? strncmp(url, r->path, strlen(r->path)) == 0
                               : strcmp(url, r->path) == 0;
        if (!match) {
            continue;
        }
        path_known = true;
        if (strcmp(r->method, method) != 0) {
            continue;
        }
        struct roost_http_req req = {
            .method = method,
            .path = url,
            .body = rq->body.len > 0 ? rq->body.ptr : NULL,
            .body_len = rq->body.len,
            .conn = conn,
        };
        struct roost_http_resp resp = { .status = 200,
                                         .content_type = "application/json" };
        roost_buf_init(&resp.body, RESP_MAX_BYTES);
        int rc = r->fn(r->arg, &req, &resp);
        if (rc < 0) {
            roost_http_json_error(&resp, 500, roost_strerror(rc));
        }
        enum MHD_Result ret =
            send_buf(h, conn, resp.status, resp.content_type,
                     resp.body.ptr ? resp.body.ptr : "", resp.body.len);
        roost_buf_fini(&resp.body);
        return ret;
    }
    if (path_known) {
        return send_error(h, conn, 405, "method not allowed");
    }
    if (strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0) {
        const struct roost_asset *a = find_asset(h, url);
        if (a != NULL) {
            struct MHD_Response *r = MHD_create_response_from_buffer(
                a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
            if (r == NULL) {
                return MHD_NO;
            }
            MHD_add_response_header(r, "Content-Type", a->content_type);
            MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
            enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
            MHD_destroy_response(r);
            count_status(h, 200);
            return ret;
        }
    }
    return send_error(h, conn, 404, "not found");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version,
                                  const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)version;
    struct roost_http *h = cls;
    struct request *rq = *con_cls;
    if (rq == NULL) {
        rq = roost_calloc(1, sizeof(*rq));
        if (rq == NULL) {
            return MHD_NO;
        }
        roost_buf_init(&rq->body, h->cfg.max_body_bytes);
        *con_cls = rq;
        return MHD_YES;
    }
    if (*upload_data_size > 0) {
        if (!rq->too_large &&
            roost_buf_add(&rq->body, upload_data, *upload_data_size) < 0) {
            rq->too_large = true;
            roost_buf_fini(&rq->body);
            roost_buf_init(&rq->body, 0);
        }
        *upload_data_size = 0; /* consumed (or discarded) */
        return MHD_YES;
    }
    return dispatch(h, conn, method, url, rq);
}

static void on_completed(void *cls, struct MHD_Connection *conn,
                         void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct request *rq = *con_cls;
    if (rq != NULL) {
        roost_buf_fini(&rq->body);
        roost_free(rq);
        *con_cls = NULL;
    }
}

/* ---- lifecycle ------------------------------------------------------------------ */

int roost_http_new(const struct roost_http_cfg *cfg, struct roost_http **out,
                   struct roost_diag *diag)
{
    struct roost_http *h = roost_calloc(1, sizeof(*h));
    if (h == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    h->cfg = *cfg;
    if (h->cfg.listen == NULL) {
        h->cfg.listen = "127.0.0.1:8080";
    }
    if (h->cfg.max_body_bytes == 0) {
        h->cfg.max_body_bytes = 64u << 10;
    }
    if (h->cfg.max_header_bytes == 0) {
        h->cfg.max_header_bytes = 16u << 10;
    }
    if (h->cfg.timeout_s == 0) {
        h->cfg.timeout_s = 15;
    }
    if (h->cfg.max_connections == 0) {
        h->cfg.max_connections = 1024;
    }
    if (h->cfg.max_sse_clients == 0) {
        h->cfg.max_sse_clients = 512;
    }
    if (h->cfg.sse_queue_bytes == 0) {
        h->cfg.sse_queue_bytes = 256u << 10;
    }
    int rc = parse_listen(h->cfg.listen, &h->addr, &h->addr_len,
                          &h->loopback);
    if (rc < 0) {
        roost_free(h);
        return roost_diag_set(diag, rc, 0, "bad listen address '%s' "
                              "(HOST:PORT, [V6]:PORT)", cfg->listen);
    }
    if (!h->loopback && (h->cfg.token == NULL || h->cfg.token[0] == '\0')) {
        roost_free(h);
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "listening on %s needs an access token "
                              "(--token): only loopback may go without",
                              cfg->listen);
    }
    pthread_mutex_init(&h->mu, NULL);
    *out = h;
    return 0;
}

int roost_http_route(struct roost_http *h, const char *method,
                     const char *path, roost_http_fn *fn, void *arg)
{
    if (h->n_routes >= MAX_ROUTES) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    struct route *r = &h->routes[h->n_routes];
    size_t pl = strlen(path);
    if (strlen(method) >= sizeof(r->method) || pl >= sizeof(r->path)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    memcpy(r->method, method, strlen(method) + 1);
    memcpy(r->path, path, pl + 1);
    r->prefix = pl > 0 && path[pl - 1] == '*';
    if (r->prefix) {
        r->path[pl - 1] = '\0';
    }
    r->fn = fn;
    r->arg = arg;
    h->n_routes++;
    return 0;
}

void roost_http_assets(struct roost_http *h, const struct roost_asset *a,
                       size_t n)
{
    h->assets = a;
    h->n_assets = n;
}

int roost_http_sse_path(struct roost_http *h, const char *path)
{
    size_t n = strlen(path);
    if (n >= sizeof(h->sse_path)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    memcpy(h->sse_path, path, n + 1);
    return 0;
}

int roost_http_start(struct roost_http *h, struct roost_diag *diag)
{
    unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_INTERNAL_POLLING_THREAD;
    if (h->addr.ss_family == AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    h->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR,
        (struct sockaddr *)&h->addr, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        h->cfg.max_header_bytes, MHD_OPTION_CONNECTION_TIMEOUT,
        h->cfg.timeout_s, MHD_OPTION_CONNECTION_LIMIT,
        h->cfg.max_connections, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
        h, MHD_OPTION_END);
    if (h->d == NULL) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                              "cannot listen on %s", h->cfg.listen);
    }
    return 0;
}

int roost_http_port(const struct roost_http *h)
{
    if (h->d == NULL) {
        return -1;
    }
    const union MHD_DaemonInfo *i =
        MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    return i != NULL ? (int)i->port : -1;
}

void roost_http_stats(struct roost_http *h, struct roost_http_stats *out)
{
    pthread_mutex_lock(&h->mu);
    *out = h->st;
    pthread_mutex_unlock(&h->mu);
}

void roost_http_free(struct roost_http *h)
{
    if (h == NULL) {
        return;
    }
    atomic_store(&h->stopping, true);
    pthread_mutex_lock(&h->mu);
    for (struct sse_client *c = h->clients; c != NULL; c = c->next) {
        pthread_mutex_lock(&c->mu);
        c->closed = true;
        pthread_cond_signal(&c->cv);
        pthread_mutex_unlock(&c->mu);
    }
    pthread_mutex_unlock(&h->mu);
    if (h->d != NULL) {
        MHD_stop_daemon(h->d);
    }
    pthread_mutex_destroy(&h->mu);
    roost_free(h);
}
