/* SPDX-License-Identifier: MIT
 *
 * backoff.c - X's reconnect rules (contract and table in backoff.h).
 *
 * Delays are computed from the per-class failure counts rather than kept
 * as running values, so a count that saturates can never overflow: the
 * exponent stops growing once the ceiling is reached.
 */
#include <assert.h>
#include <string.h>

#include "source/backoff.h"

void roost_backoff_init(struct roost_backoff *b, double scale)
{
    memset(b, 0, sizeof(*b));
    b->scale = scale > 0 ? scale : 1.0;
}

void roost_backoff_delivered(struct roost_backoff *b)
{
    b->n_net = 0;
    b->n_http = 0;
    b->n_rate = 0;
    b->delivered = true;
}

/* doubling - first * 2^(n-1), at most max; n >= 1. */
static int64_t doubling(int64_t first, int64_t max, uint32_t n)
{
    int64_t d = first;
    for (uint32_t i = 1; i < n && d < max; i++) {
        d *= 2;
    }
    return d < max ? d : max;
}

int64_t roost_backoff_next(struct roost_backoff *b,
                           enum roost_backoff_kind kind)
{
    int64_t d = 0;

    if (kind == ROOST_BACKOFF_DROP && !b->delivered) {
        kind = ROOST_BACKOFF_NET;
    }
    b->delivered = false;
    switch (kind) {
    case ROOST_BACKOFF_DROP:
        d = 0;
        break;
    case ROOST_BACKOFF_NET:
        if (b->n_net < UINT32_MAX) {
            b->n_net++;
        }
        d = (int64_t)b->n_net * ROOST_BACKOFF_NET_STEP_MS;
        if (d > ROOST_BACKOFF_NET_MAX_MS) {
            d = ROOST_BACKOFF_NET_MAX_MS;
        }
        break;
    case ROOST_BACKOFF_HTTP:
        if (b->n_http < UINT32_MAX) {
            b->n_http++;
        }
        d = doubling(ROOST_BACKOFF_HTTP_FIRST_MS, ROOST_BACKOFF_HTTP_MAX_MS,
                     b->n_http);
        break;
    case ROOST_BACKOFF_RATE:
        if (b->n_rate < UINT32_MAX) {
            b->n_rate++;
        }
        d = doubling(ROOST_BACKOFF_RATE_FIRST_MS, ROOST_BACKOFF_RATE_MAX_MS,
                     b->n_rate);
        break;
    }
    assert(d >= 0);
    b->last_ms = d;
    return (int64_t)((double)d * b->scale + 0.5);
}

enum roost_backoff_kind roost_backoff_kind_of(long http_status)
{
    if (http_status == 0) {
        return ROOST_BACKOFF_NET;
    }
    if (http_status == 200) {
        return ROOST_BACKOFF_DROP;
    }
    if (http_status == 420 || http_status == 429) {
        return ROOST_BACKOFF_RATE;
    }
    return ROOST_BACKOFF_HTTP;
}

const char *roost_backoff_kind_name(enum roost_backoff_kind kind)
{
    switch (kind) {
    case ROOST_BACKOFF_DROP:
        return "drop";
    case ROOST_BACKOFF_NET:
        return "net";
    case ROOST_BACKOFF_HTTP:
        return "http";
    case ROOST_BACKOFF_RATE:
        return "rate";
    }
    return "?";
}
