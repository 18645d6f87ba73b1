/* SPDX-License-Identifier: MIT
 *
 * test_http.c - the HTTP server: routes, errors, limits, tokens, assets,
 * SSE publish and dropping of clients that cannot keep up. A small raw
 * socket client talks to the server on 127.0.0.1 (ephemeral port).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check.h"
#include "serve/http.h"

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_port = htons((uint16_t)port) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
    return fd;
}

/* Send raw bytes, read until close or timeout; returns bytes read. */
static size_t roundtrip(int port, const char *req, size_t req_len, char *out,
                        size_t cap)
{
    int fd = connect_port(port);
    size_t off = 0;
    while (off < req_len) {
        ssize_t w = write(fd, req + off, req_len - off);
        if (w <= 0) {
            break; /* the server may close early (413) */
        }
        off += (size_t)w;
    }
    size_t n = 0;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 3000) <= 0) {
            break;
        }
        ssize_t r = read(fd, out + n, cap - 1 - n);
        if (r <= 0) {
            break;
        }
        n += (size_t)r;
        if (n + 1 >= cap) {
            break;
        }
    }
    out[n] = '\0';
    close(fd);
    return n;
}

static size_t get(int port, const char *path, const char *extra, char *out,
                  size_t cap)
{
    char req[1024];
    int n = snprintf(req, sizeof(req),
                     "GET %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n",
                     path, extra ? extra : "");
    return roundtrip(port, req, (size_t)n, out, cap);
}

static int ping(void *arg, const struct roost_http_req *req,
                struct roost_http_resp *resp)
{
    (void)arg;
    const char *who = roost_http_arg(req, "who");
    roost_buf_printf(&resp->body, "{\"pong\":\"%s\",\"body\":%zu}",
                     who ? who : "", req->body_len);
    return 0;
}

static const unsigned char index_html[] = "<html>roost</html>";
static const struct roost_asset assets[] = {
    { "index.html", index_html, sizeof(index_html) - 1, "text/html" },
};

static struct roost_http *start(const struct roost_http_cfg *cfg, int *port)
{
    struct roost_http *h = NULL;
    struct roost_diag d = { 0 };
    CHECK_INT_EQ(roost_http_new(cfg, &h, &d), 0);
    CHECK_INT_EQ(roost_http_route(h, "GET", "/api/ping", ping, NULL), 0);
    CHECK_INT_EQ(roost_http_route(h, "POST", "/api/ping", ping, NULL), 0);
    roost_http_assets(h, assets, 1);
    CHECK_INT_EQ(roost_http_sse_path(h, "/api/stream"), 0);
    CHECK_INT_EQ(roost_http_start(h, &d), 0);
    *port = roost_http_port(h);
    CHECK(*port > 0);
    return h;
}

static void test_routes_and_errors(void)
{
    struct roost_http_cfg cfg = { .listen = "127.0.0.1:0",
                                  .max_body_bytes = 1024 };
    int port;
    struct roost_http *h = start(&cfg, &port);
    static char out[1 << 16];
    get(port, "/api/ping?who=me", NULL, out, sizeof(out));
    CHECK(strstr(out, "200 OK") != NULL);
    CHECK(strstr(out, "{\"pong\":\"me\",\"body\":0}") != NULL);
    get(port, "/nope", NULL, out, sizeof(out));
    CHECK(strstr(out, "404") != NULL && strstr(out, "\"error\"") != NULL);
    get(port, "/../../etc/passwd", NULL, out, sizeof(out));
    CHECK(strstr(out, "400") != NULL || strstr(out, "404") != NULL);
    CHECK(strstr(out, "root:") == NULL);
    get(port, "/", NULL, out, sizeof(out));
    CHECK(strstr(out, "<html>roost</html>") != NULL);
    const char del[] = "DELETE /api/ping HTTP/1.1\r\nHost: x\r\n"
                       "Connection: close\r\n\r\n";
    roundtrip(port, del, sizeof(del) - 1, out, sizeof(out));
    CHECK(strstr(out, "405") != NULL);
    /* A body over the limit: 413, and the server survives. */
    static char big[8192];
    int hl = snprintf(big, sizeof(big),
                      "POST /api/ping HTTP/1.1\r\nHost: x\r\n"
                      "Content-Length: 4000\r\nConnection: close\r\n\r\n");
    memset(big + hl, 'a', 4000);
    roundtrip(port, big, (size_t)hl + 4000, out, sizeof(out));
    CHECK_MSG(strstr(out, "413") != NULL, "got: %.200s", out);
    /* Huge headers: refused, server survives. */
    static char hdr[40000];
    int k = snprintf(hdr, sizeof(hdr), "GET /api/ping HTTP/1.1\r\nX-A: ");
    memset(hdr + k, 'b', 30000);
    k += 30000;
    k += snprintf(hdr + k, sizeof(hdr) - (size_t)k, "\r\n\r\n");
    roundtrip(port, hdr, (size_t)k, out, sizeof(out));
    CHECK(strstr(out, "200 OK") == NULL);
    get(port, "/api/ping?who=again", NULL, out, sizeof(out));
    CHECK(strstr(out, "\"pong\":\"again\"") != NULL);
    struct roost_http_stats st;
    roost_http_stats(h, &st);
    CHECK(st.n_too_large >= 1);
    CHECK(st.n_4xx >= 3);
    roost_http_free(h);
}

static void test_token(void)
{
    struct roost_http *h = NULL;
    struct roost_diag d = { 0 };
    struct roost_http_cfg open_cfg = { .listen = "0.0.0.0:0" };
    CHECK_INT_EQ(roost_http_new(&open_cfg, &h, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "token") != NULL);
    struct roost_http_cfg cfg = { .listen = "127.0.0.1:0", .token = "s3cret" };
    int port;
    h = start(&cfg, &port);
    static char out[1 << 14];
    get(port, "/api/ping", NULL, out, sizeof(out));
    CHECK(strstr(out, "401") != NULL);
    get(port, "/api/ping", "Authorization: Bearer s3cret\r\n", out,
        sizeof(out));
    CHECK(strstr(out, "200 OK") != NULL);
    get(port, "/api/ping?token=s3cret", NULL, out, sizeof(out));
    CHECK(strstr(out, "200 OK") != NULL);
    get(port, "/api/ping?token=wrong", NULL, out, sizeof(out));
    CHECK(strstr(out, "401") != NULL);
    roost_http_free(h);
}

static void test_sse(void)
{
    struct roost_http_cfg cfg = { .listen = "127.0.0.1:0",
                                  .max_sse_clients = 2,
                                  .sse_queue_bytes = 4096 };
    int port;
    struct roost_http *h = start(&cfg, &port);
    int a = connect_port(port);
    const char req[] = "GET /api/stream HTTP/1.1\r\nHost: x\r\n\r\n";
    CHECK(write(a, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1));
    int b = connect_port(port); /* b never reads: it will be dropped */
    CHECK(write(b, req, sizeof(req) - 1) == (ssize_t)(sizeof(req) - 1));
    struct roost_http_stats st;
    for (int i = 0; i < 100; i++) {
        roost_http_stats(h, &st);
        if (st.n_sse_clients == 2) {
            break;
        }
        usleep(20000);
    }
    CHECK_INT_EQ(st.n_sse_clients, 2);
    static char out[1 << 14];
    get(port, "/api/stream", NULL, out, sizeof(out)); /* a third: refused */
    CHECK(strstr(out, "503") != NULL);
    roost_http_sse_publish(h, "tick", "{\"n\":1}", 7);
    size_t n = 0;
    for (int i = 0; i < 50 && strstr(out, "{\"n\":1}") == NULL; i++) {
        struct pollfd p = { .fd = a, .events = POLLIN };
        if (poll(&p, 1, 100) > 0) {
            ssize_t r = read(a, out + n, sizeof(out) - 1 - n);
            if (r > 0) {
                n += (size_t)r;
            }
        }
        out[n] = '\0';
    }
    CHECK_MSG(strstr(out, "event: tick\ndata: {\"n\":1}\n\n") != NULL,
              "got: %.300s", out);
    /* Flood: b's socket buffers fill, then its queue; it is dropped. */
    static char payload[2000];
    memset(payload, 'x', sizeof(payload));
    for (int i = 0; i < 5000; i++) {
        roost_http_sse_publish(h, "flood", payload, sizeof(payload));
        if (i % 50 == 0) {
            /* a keeps reading */
            struct pollfd p = { .fd = a, .events = POLLIN };
            while (poll(&p, 1, 0) > 0 && read(a, out, sizeof(out)) > 0) {
            }
        }
    }
    roost_http_stats(h, &st);
    CHECK(st.n_sse_dropped >= 1);
    close(a);
    close(b);
    roost_http_free(h);
}

CHECK_LIST(test_routes_and_errors, test_token, test_sse)
