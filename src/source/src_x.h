/* SPDX-License-Identifier: MIT
 *
 * src_x.h - what the X sources (x1, x2, xsearch) show beyond their ops:
 * counters, the reconnect delays they chose, the rate-limit sleep, and
 * the v2 rules API that `roost rules` uses.
 *
 * The sources are `roost_source_x1` (v1.1 statuses/filter and sample),
 * `roost_source_x2` (v2 filtered stream) and `roost_source_xsearch`
 * (v1.1 search/tweets and v2 recent search); stories atop src_x1.c,
 * xstream.c and src_xsearch.c.
 */
#ifndef ROOST_SOURCE_SRC_X_H
#define ROOST_SOURCE_SRC_X_H

#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "source/source.h"

#define ROOST_SRC_X_DELAYS 32

struct roost_src_x_stats {
    uint64_t n_connects;     /* requests answered 200 */
    uint64_t n_attempts;     /* requests started */
    uint64_t n_drops;        /* established streams that ended */
    uint64_t n_stalls;       /* of which: silent past stall-timeout */
    uint64_t n_net_errors;   /* attempts without an HTTP response */
    uint64_t n_http_errors;  /* attempts answered 4xx/5xx (not 420/429) */
    uint64_t n_rate_limited; /* attempts answered 420 or 429 */
    uint64_t n_auth_refused; /* of the HTTP errors: 401 / 403 */
    uint64_t n_records;      /* records appended (gap records included) */
    uint64_t n_dups;         /* posts dropped as already delivered */
    uint64_t n_old;          /* posts at or before the resumed id */
    uint64_t n_gaps;         /* gap records appended */
    uint64_t n_keepalives;   /* blank keep-alive lines */
    uint64_t n_undelivered;  /* posts `limit` notices said were withheld */
    uint64_t n_partial;      /* records cut by a disconnect, flagged */
    uint64_t n_oversize;     /* records over max-record, cut and flagged */
    uint64_t n_warnings;     /* `warning` messages */
    uint64_t n_disconnects;  /* `disconnect` messages */
    uint64_t n_pages;        /* xsearch: result pages fetched */
    uint64_t n_sleeps;       /* xsearch: waits for a rate-limit reset */
    int64_t sleep_until_ms;  /* xsearch: wall clock of the reset awaited,
                                0 when not sleeping */
    long last_status;        /* HTTP status of the last response */
    /* the reconnect delays chosen, scaled, in order (the first
       ROOST_SRC_X_DELAYS; n_delays counts all) */
    int64_t delays_ms[ROOST_SRC_X_DELAYS];
    uint32_t n_delays;
};

/* roost_src_x_stats - copy the counters of an x1/x2/xsearch source.
 * Returns: 0, or ROOST_EINVAL for another source.
 * Thread: the source's owning thread, or after its thread stopped. */
int roost_src_x_stats(struct roost_source *src, struct roost_src_x_stats *out);

/* ---- v2 filtered-stream rules (src_x2.c) -------------------------------- */

enum roost_x2_rules_op {
    ROOST_X2_RULES_LIST = 0,
    ROOST_X2_RULES_ADD,     /* args: "value" or "value#tag" */
    ROOST_X2_RULES_DELETE,  /* args: rule ids */
    ROOST_X2_RULES_DRY_RUN, /* add with ?dry_run=true */
};

/*
 * roost_x2_rules - one rules request to the v2 API at base_url (e.g.
 * "https://api.twitter.com", whose /2/tweets/search/stream/rules is
 * used), with the bearer token from credentials (file or environment,
 * oauth1.h). The response body goes to out as the server sent it.
 * Returns: 0 for a 2xx answer; ROOST_EINVAL for bad arguments or missing
 * credentials, ROOST_EIO for transport errors or an error status (diag
 * holds the status and the server's message).
 */
int roost_x2_rules(const char *base_url, const char *credentials,
                   enum roost_x2_rules_op op, const char *const *args,
                   size_t n_args, struct roost_buf *out,
                   struct roost_diag *diag);

#endif /* ROOST_SOURCE_SRC_X_H */
