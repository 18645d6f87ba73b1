/* SPDX-License-Identifier: MIT
 *
 * http_stream.h - one HTTP request at a time over libcurl's multi
 * interface, for the X sources: a long-lived stream or a REST call,
 * driven without ever blocking.
 *
 * roost_http_stream_start() begins a request; roost_http_stream_step()
 * moves bytes (call it from the source's poll); received body bytes
 * collect in `body` until the caller consumes them. The staging buffer is
 * bounded by max_pending: when it is full the transfer is paused (TCP
 * flow control pushes back on the server) until the caller consumes.
 * The response status is known as soon as the status line arrives, so a
 * stream counts as up before its first byte of body.
 *
 * Thread: owned by one thread (the source's receiver thread).
 */
#ifndef ROOST_SOURCE_HTTP_STREAM_H
#define ROOST_SOURCE_HTTP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

struct roost_http_req {
    const char *method; /* "GET", "POST", "DELETE" */
    const char *url;
    const char *const *headers; /* "Name: value" lines, NULL-terminated */
    const char *body;           /* POST body, or NULL */
    size_t body_len;
    int64_t connect_timeout_ms; /* 0: 15 s */
    int64_t timeout_ms;         /* whole transfer; 0: none (streams) */
};

struct roost_http_stream {
    /* read-only: the current (or last) response */
    long status;            /* HTTP status, 0 before the status line */
    bool active;            /* a request is in flight */
    bool done;              /* it ended; curl_rc and error say how */
    int curl_rc;            /* CURLcode, 0 when the transfer completed */
    char error[256];        /* curl's message when curl_rc != 0 */
    int64_t last_byte_ms;   /* monotonic: last body byte, or the start */
    int64_t rate_limit;     /* x-rate-limit-limit, -1 when absent */
    int64_t rate_remaining; /* x-rate-limit-remaining, -1 when absent */
    int64_t rate_reset_s;   /* x-rate-limit-reset (epoch s), -1 */
    int64_t retry_after_s;  /* Retry-After seconds, -1 */
    uint64_t n_bytes;       /* body bytes received, all requests */
    uint64_t n_pauses;      /* times the staging buffer was full */
    /* read-only: body bytes not consumed yet are ptr + off .. ptr + len */
    struct roost_buf body;
    size_t off;
    /* private */
    void *multi;
    void *easy;
    void *hdrs;
    bool paused;
};

/* roost_http_stream_init - idle; body staging holds at most max_pending.
 * Returns: 0 or ROOST_ENOMEM. */
int roost_http_stream_init(struct roost_http_stream *hs, size_t max_pending);
void roost_http_stream_fini(struct roost_http_stream *hs);

/* roost_http_stream_start - abort any request in flight, forget staged
 * bytes and response fields, and begin req (copied).
 * Returns: 0, ROOST_ENOMEM or ROOST_EIO (curl refused the request). */
int roost_http_stream_start(struct roost_http_stream *hs,
                            const struct roost_http_req *req);

/* roost_http_stream_step - move bytes; never blocks. Sets done when the
 * transfer ends. Returns: 0. */
int roost_http_stream_step(struct roost_http_stream *hs);

/* roost_http_stream_wait - block until there is socket activity or
 * timeout_ms passes (for callers with nothing else to do: the CLI). */
void roost_http_stream_wait(struct roost_http_stream *hs, int timeout_ms);

/* roost_http_stream_consume - the caller took n bytes from the front of
 * the unconsumed body; resumes a paused transfer. */
void roost_http_stream_consume(struct roost_http_stream *hs, size_t n);

/* roost_http_stream_stop - abort the request in flight (if any). */
void roost_http_stream_stop(struct roost_http_stream *hs);

/*
 * roost_http_fetch - a blocking request (the CLI's `rules`): the whole
 * body into out (capped by its max_len), *status set.
 * Returns: 0 when a response arrived (any status); ROOST_EIO on a
 * transport error (diag says which); ROOST_ELIMIT when the body was over
 * the cap.
 */
int roost_http_fetch(const struct roost_http_req *req, struct roost_buf *out,
                     long *status, struct roost_diag *diag);

/* roost_http_mono_ms - monotonic clock in ms. */
int64_t roost_http_mono_ms(void);

#endif /* ROOST_SOURCE_HTTP_STREAM_H */
