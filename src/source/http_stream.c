/* SPDX-License-Identifier: MIT
 *
 * http_stream.c - one non-blocking libcurl request (contract in
 * http_stream.h).
 *
 * The write callback appends to `body`; when that would pass max_pending
 * it returns CURL_WRITEFUNC_PAUSE, and curl hands the same bytes again
 * after roost_http_stream_consume() unpauses. The header callback reads
 * the status line of every response (a redirect's too: the last wins)
 * and the x-rate-limit-* and Retry-After headers.
 *
 * Consumed bytes are dropped lazily: `off` moves forward and the buffer
 * is compacted when the consumed part is at least half of it, so a
 * stream of small records costs amortized O(1) per byte.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/mem.h"
#include "source/http_stream.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 15000

int64_t roost_http_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void reset_response(struct roost_http_stream *hs)
{
    hs->status = 0;
    hs->done = false;
    hs->curl_rc = 0;
    hs->error[0] = '\0';
    hs->rate_limit = -1;
    hs->rate_remaining = -1;
    hs->rate_reset_s = -1;
    hs->retry_after_s = -1;
    hs->last_byte_ms = roost_http_mono_ms();
    roost_buf_reset(&hs->body);
    hs->off = 0;
    hs->paused = false;
}

int roost_http_stream_init(struct roost_http_stream *hs, size_t max_pending)
{
    memset(hs, 0, sizeof(*hs));
    roost_buf_init(&hs->body, max_pending > 0 ? max_pending : (8u << 20));
    hs->multi = curl_multi_init();
    if (hs->multi == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    reset_response(hs);
    return 0;
}

static void drop_easy(struct roost_http_stream *hs)
{
    if (hs->easy != NULL) {
        curl_multi_remove_handle(hs->multi, hs->easy);
        curl_easy_cleanup(hs->easy);
        hs->easy = NULL;
    }
    curl_slist_free_all(hs->hdrs);
    hs->hdrs = NULL;
    hs->active = false;
}

void roost_http_stream_fini(struct roost_http_stream *hs)
{
    drop_easy(hs);
    if (hs->multi != NULL) {
        curl_multi_cleanup(hs->multi);
    }
    roost_buf_fini(&hs->body);
    memset(hs, 0, sizeof(*hs));
}

static size_t on_body(char *p, size_t size, size_t n, void *arg)
{
    struct roost_http_stream *hs = arg;
    size_t len = size * n;
    if (hs->off > 0 && hs->off * 2 >= hs->body.len) {
        memmove(hs->body.ptr, hs->body.ptr + hs->off, hs->body.len - hs->off);
        hs->body.len -= hs->off;
        hs->body.ptr[hs->body.len] = '\0';
        hs->off = 0;
    }
    if (len == 0) {
        return 0;
    }
    if (roost_buf_add(&hs->body, p, len) < 0) {
        hs->paused = true;
        hs->n_pauses++;
        return CURL_WRITEFUNC_PAUSE;
    }
    hs->n_bytes += len;
    hs->last_byte_ms = roost_http_mono_ms();
    return len;
}

static bool header_is(const char *p, size_t len, const char *name,
                      const char **value)
{
    size_t n = strlen(name);
    if (len <= n || strncasecmp(p, name, n) != 0 || p[n] != ':') {
        return false;
    }
    *value = p + n + 1;
    return true;
}

static int64_t header_i64(const char *v, const char *end)
{
    char tmp[32];
    size_t n = (size_t)(end - v);
    if (n >= sizeof(tmp)) {
        return -1;
    }
    memcpy(tmp, v, n);
    tmp[n] = '\0';
    char *e = NULL;
    long long x = strtoll(tmp, &e, 10);
    return e != tmp && x >= 0 ? (int64_t)x : -1;
}

static size_t on_header(char *p, size_t size, size_t n, void *arg)
{
    struct roost_http_stream *hs = arg;
    size_t len = size * n;
    const char *end = p + len;
    const char *v = NULL;

    while (end > p && isspace((unsigned char)end[-1])) {
        end--;
    }
    size_t l = (size_t)(end - p);
    if (l > 5 && strncmp(p, "HTTP/", 5) == 0) {
        const char *sp = memchr(p, ' ', l);
        hs->status = sp != NULL ? strtol(sp + 1, NULL, 10) : 0;
        hs->rate_limit = -1;
        hs->rate_remaining = -1;
        hs->rate_reset_s = -1;
        hs->retry_after_s = -1;
        return len;
    }
    if (header_is(p, l, "x-rate-limit-limit", &v)) {
        hs->rate_limit = header_i64(v + strspn(v, " "), end);
    } else if (header_is(p, l, "x-rate-limit-remaining", &v)) {
        hs->rate_remaining = header_i64(v + strspn(v, " "), end);
    } else if (header_is(p, l, "x-rate-limit-reset", &v)) {
        hs->rate_reset_s = header_i64(v + strspn(v, " "), end);
    } else if (header_is(p, l, "retry-after", &v)) {
        hs->retry_after_s = header_i64(v + strspn(v, " "), end);
    }
    return len;
}

int roost_http_stream_start(struct roost_http_stream *hs,
                            const struct roost_http_req *req)
{
    int rc;

    drop_easy(hs);
    reset_response(hs);
    CURL *e = curl_easy_init();
    if (e == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    hs->easy = e;
    for (const char *const *h = req->headers; h != NULL && *h != NULL; h++) {
        struct curl_slist *l = curl_slist_append(hs->hdrs, *h);
        if (l == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            goto out_drop_easy;
        }
        hs->hdrs = l;
    }
    int64_t cto = req->connect_timeout_ms > 0 ? req->connect_timeout_ms
                                              : DEFAULT_CONNECT_TIMEOUT_MS;
    curl_easy_setopt(e, CURLOPT_URL, req->url);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "roost/" ROOST_VERSION);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)cto);
    if (req->timeout_ms > 0) {
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long)req->timeout_ms);
    }
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hs->hdrs);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, hs);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, hs);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, hs->error);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    /* A live stream must not sit in curl's buffers: no Nagle either way. */
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    if (strcmp(req->method, "POST") == 0) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)req->body_len);
        curl_easy_setopt(e, CURLOPT_COPYPOSTFIELDS,
                         req->body != NULL ? req->body : "");
    } else if (strcmp(req->method, "GET") != 0) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
    }
    if (curl_multi_add_handle(hs->multi, e) != CURLM_OK) {
        rc = ROOST_ERR(ROOST_EIO);
        goto out_drop_easy;
    }
    hs->active = true;
    return 0;

out_drop_easy:
    drop_easy(hs);
    return rc;
}

int roost_http_stream_step(struct roost_http_stream *hs)
{
    int running = 0;
    CURLMsg *m;
    int left = 0;

    if (!hs->active) {
        return 0;
    }
    curl_multi_perform(hs->multi, &running);
    while ((m = curl_multi_info_read(hs->multi, &left)) != NULL) {
        if (m->msg == CURLMSG_DONE && m->easy_handle == hs->easy) {
            hs->curl_rc = (int)m->data.result;
            if (hs->curl_rc != 0 && hs->error[0] == '\0') {
                snprintf(hs->error, sizeof(hs->error), "%s",
                         curl_easy_strerror(m->data.result));
            }
            long code = 0;
            curl_easy_getinfo(hs->easy, CURLINFO_RESPONSE_CODE, &code);
            if (code != 0) {
                hs->status = code;
            }
            hs->done = true;
            drop_easy(hs);
            break;
        }
    }
    return 0;
}

void roost_http_stream_wait(struct roost_http_stream *hs, int timeout_ms)
{
    if (hs->active) {
        curl_multi_poll(hs->multi, NULL, 0, timeout_ms, NULL);
    }
}

void roost_http_stream_consume(struct roost_http_stream *hs, size_t n)
{
    hs->off += n;
    if (hs->off >= hs->body.len) {
        roost_buf_reset(&hs->body);
        hs->off = 0;
    }
    if (hs->paused && hs->easy != NULL) {
        hs->paused = false;
        curl_easy_pause(hs->easy, CURLPAUSE_CONT);
    }
}

void roost_http_stream_stop(struct roost_http_stream *hs)
{
    drop_easy(hs);
}

int roost_http_fetch(const struct roost_http_req *req, struct roost_buf *out,
                     long *status, struct roost_diag *diag)
{
    struct roost_http_stream hs;
    int rc = roost_http_stream_init(&hs, out->max_len + 1);

    if (rc < 0) {
        goto out_fini;
    }
    rc = roost_http_stream_start(&hs, req);
    if (rc < 0) {
        goto out_fini;
    }
    while (!hs.done) {
        roost_http_stream_step(&hs);
        if (hs.done) {
            break;
        }
        if (hs.paused) {
            rc = roost_diag_set(diag, ROOST_ERR(ROOST_ELIMIT), 0,
                                "response from %s is over %zu bytes", req->url,
                                out->max_len);
            goto out_fini;
        }
        roost_http_stream_wait(&hs, 100);
    }
    *status = hs.status;
    if (hs.curl_rc != 0) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0, "%s: %s", req->url,
                            hs.error);
        goto out_fini;
    }
    rc = roost_buf_add(out, hs.body.ptr + hs.off, hs.body.len - hs.off);
out_fini:
    roost_http_stream_fini(&hs);
    return rc;
}
