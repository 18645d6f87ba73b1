/* SPDX-License-Identifier: MIT
 *
 * publisher.h - the thread that feeds /api/v1/stream: every interval it
 * looks for posts newer than the last it saw (by the store's rowid) and
 * publishes `event: posts` (a JSON array of at most max_posts posts,
 * newest first, coalescing everything since the last tick) and `event:
 * stats` (the rate of the last minute in 2 s buckets, the top 10 hashtags
 * of the last hour and the total of posts). So a client gets at most one
 * update per interval however fast the store fills; clients that cannot
 * keep up are dropped by the HTTP server (http.h) and counted.
 *
 * `posts` data: [post, ...] (docs/post-model.md).
 * `stats` data: {"as_of","last_id","total_posts","step_ms","rate":[{"t",
 * "count"}],"per_s","top_hashtags":[{"key","count"}]}.
 *
 * Thread: start and stop from one thread; the publisher runs its own.
 */
#ifndef ROOST_SERVE_PUBLISHER_H
#define ROOST_SERVE_PUBLISHER_H

#include <stdint.h>

#include "core/err.h"
#include "serve/api.h"
#include "serve/http.h"

struct roost_publisher_cfg {
    struct roost_http *http;  /* borrowed: where events go */
    struct roost_api *api;    /* borrowed: the store it reads */
    int64_t interval_ms;      /* default 2000 */
    uint32_t max_posts;       /* per `posts` event, default 50 */
    int64_t stats_every_ms;   /* `stats` also when nothing changed, 10 s */
};

struct roost_publisher;

/* roost_publisher_start - start the thread. Stop it before freeing the
 * http server or the api. */
int roost_publisher_start(const struct roost_publisher_cfg *cfg,
                          struct roost_publisher **out,
                          struct roost_diag *diag);

/* roost_publisher_stop - wake, join and free the thread (NULL: no-op). */
void roost_publisher_stop(struct roost_publisher *p);

/* roost_publisher_ticks - ticks that published something (for tests). */
uint64_t roost_publisher_ticks(struct roost_publisher *p);

#endif /* ROOST_SERVE_PUBLISHER_H */
