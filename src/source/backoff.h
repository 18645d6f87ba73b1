/* SPDX-License-Identifier: MIT
 *
 * backoff.h - X's reconnect rules as a pure state machine (no clock, no
 * I/O), so that the exact delay sequences can be unit-tested.
 *
 * X documents four cases for its streams, and roost follows them as
 * written:
 *
 *   DROP  an established connection ended (EOF, stall, a `disconnect`
 *         message): reconnect at once. "Established" means the stream
 *         delivered a record since the previous reconnect; a drop of a
 *         connection that never delivered one counts as NET, so a server
 *         that accepts and hangs up cannot make us spin.
 *   NET   TCP/IP level errors (refused, reset, DNS, TLS, timeouts):
 *         linear, 250 ms more per attempt, up to 16 s.
 *   HTTP  HTTP errors worth retrying (5xx, 401/403 a bounded number of
 *         times): exponential, 5 s doubling, up to 320 s.
 *   RATE  420 Enhance Your Calm, 429 Too Many Requests: exponential from
 *         60 s, doubling. X names no ceiling; roost stops doubling at
 *         ROOST_BACKOFF_RATE_MAX_MS (16 min) so an outage is still retried.
 *
 * Each class counts its own consecutive failures; a delivered record
 * resets all of them. Every delay is multiplied by `scale` (the sources'
 * time-scale option) so tests run the real sequences fast.
 */
#ifndef ROOST_SOURCE_BACKOFF_H
#define ROOST_SOURCE_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#define ROOST_BACKOFF_NET_STEP_MS   250
#define ROOST_BACKOFF_NET_MAX_MS    16000
#define ROOST_BACKOFF_HTTP_FIRST_MS 5000
#define ROOST_BACKOFF_HTTP_MAX_MS   320000
#define ROOST_BACKOFF_RATE_FIRST_MS 60000
#define ROOST_BACKOFF_RATE_MAX_MS   960000

enum roost_backoff_kind {
    ROOST_BACKOFF_DROP = 0, /* an established stream ended */
    ROOST_BACKOFF_NET,      /* TCP/IP level error */
    ROOST_BACKOFF_HTTP,     /* retryable HTTP error status */
    ROOST_BACKOFF_RATE,     /* 420 / 429 */
};

struct roost_backoff {
    double scale;   /* read-only: multiplies every delay */
    uint32_t n_net; /* read-only: consecutive failures per class */
    uint32_t n_http;
    uint32_t n_rate;
    bool delivered;  /* read-only: a record since the last reconnect */
    int64_t last_ms; /* read-only: the last delay, unscaled */
};

/* roost_backoff_init - no failures yet; scale <= 0 means 1. */
void roost_backoff_init(struct roost_backoff *b, double scale);

/* roost_backoff_delivered - the stream delivered a record: it is
 * established, every class starts over, and its drop reconnects at once. */
void roost_backoff_delivered(struct roost_backoff *b);

/*
 * roost_backoff_next - the delay before the next attempt after a failure
 * of `kind`, in ms, already scaled (last_ms keeps the unscaled value).
 * A DROP without a delivered record is handled as NET.
 */
int64_t roost_backoff_next(struct roost_backoff *b,
                           enum roost_backoff_kind kind);

/* roost_backoff_kind_of - the class of an attempt's outcome: http_status
 * 0 means no HTTP response (a TCP/IP error); 200 means the stream was up
 * and then ended. */
enum roost_backoff_kind roost_backoff_kind_of(long http_status);

/* roost_backoff_kind_name - "drop", "net", "http", "rate". */
const char *roost_backoff_kind_name(enum roost_backoff_kind kind);

#endif /* ROOST_SOURCE_BACKOFF_H */
