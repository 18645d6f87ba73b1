/* SPDX-License-Identifier: MIT
 *
 * simulate.h - a built-in, realistic, reproducible synthetic firehose.
 *
 * A struct roost_sim turns a seed and a config into an endless (or
 * `count`-long) stream of JSON lines shaped like a real 1% sample stream:
 * X API v1.1 statuses with full user objects, retweets, quotes, replies,
 * geotagged posts, deletes of earlier posts and limit notices; or the same
 * underlying stream as X API v2 filtered-stream responses, Bluesky
 * Jetstream commit events, or Mastodon streaming events.
 *
 * The stream is a pure function of (seed, config): event time advances by
 * seeded exponential gaps at `rate` posts per second of event time, so the
 * bytes never depend on the wall clock. Pacing against the wall clock is
 * the caller's business (see cli/cmd_simulate.c).
 *
 * Thread: a struct roost_sim is owned by one thread.
 */
#ifndef ROOST_SOURCE_SIMULATE_H
#define ROOST_SOURCE_SIMULATE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "parse/post.h"

struct roost_sim;

struct roost_sim_cfg {
    uint64_t seed;
    enum roost_format format; /* X1 (default), X2, JETSTREAM, MASTODON */
    uint64_t count;           /* records to produce; 0 = unlimited */
    double rate;              /* posts per second of event time; 5700 */
    int64_t start_ms;         /* event time of the first record */
    uint32_t n_users;         /* distinct authors; 100000 */
    uint32_t n_hashtags;      /* distinct hashtags; 20000 */
    double geo_share;         /* posts with place (some with a point) */
    double retweet_share;     /* of posts: retweets */
    double quote_share;       /* of posts: quote posts */
    double reply_share;       /* of posts: replies */
    double delete_share;      /* of records: deletes of earlier posts */
    double limit_every_s;     /* a limit notice every N s; 0 = none */
    struct {
        double every_s;  /* a trending topic bursts every N s; 0 = none */
        double length_s; /* for this long */
        double boost;    /* peak share of posts carrying the topic */
    } burst;
};

/* roost_sim_cfg_default - the defaults above (shares from a real 1%
 * sample: ~45% retweets, ~20% replies, ~5% quotes, ~1.5% geo, ~7%
 * deletes), seed 1, start 2021-01-01T07:29:00Z. */
void roost_sim_cfg_default(struct roost_sim_cfg *cfg);

/*
 * roost_sim_new - a generator for cfg (copied).
 * Returns: 0, ROOST_EINVAL for a bad config (format AUTO/TEXT, negative
 * shares, rate <= 0, n_users or n_hashtags 0), or ROOST_ENOMEM.
 */
int roost_sim_new(const struct roost_sim_cfg *cfg, struct roost_sim **out);

/*
 * roost_sim_next - append the next record (one JSON text plus '\n') to out.
 * *event_ms (may be NULL) gets the record's event time, epoch ms UTC.
 * Returns: 0; ROOST_ENOENT once `count` records were produced (nothing is
 * appended, and every later call says the same); ROOST_ELIMIT or
 * ROOST_ENOMEM when out cannot grow (out keeps its old length; the record
 * is lost but the stream stays deterministic).
 */
int roost_sim_next(struct roost_sim *s, struct roost_buf *out,
                   int64_t *event_ms);

/* roost_sim_n_records - records produced so far. */
uint64_t roost_sim_n_records(const struct roost_sim *s);

void roost_sim_free(struct roost_sim *s);

#endif /* ROOST_SOURCE_SIMULATE_H */
