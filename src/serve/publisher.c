/* SPDX-License-Identifier: MIT
 *
 * publisher.c - the SSE publisher thread.
 *
 * One loop: sleep interval_ms on a condition variable (stop wakes it),
 * then, when anyone listens, read max(seq) from the store; if it grew,
 * publish the newest max_posts posts past the last seq seen as one
 * `posts` event and a fresh `stats` event. Everything between two ticks
 * is coalesced into those two events, so the event rate does not depend
 * on the ingest rate. Queries run through the API's connection pool and
 * shared queries (api_int.h), so the stream and the REST endpoints agree.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "serve/api_int.h"
#include "serve/publisher.h"

#define RATE_STEP_MS 2000
#define RATE_POINTS 30
#define TOP_N 10
#define EVENT_MAX_BYTES (8u << 20)

struct roost_publisher {
    struct roost_publisher_cfg cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    uint64_t n_ticks;      /* under mu */
    int64_t last_seq;      /* publisher thread only */
    int64_t last_stats_ms;
    struct roost_buf ev;
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int stats_event(struct roost_publisher *p, struct roost_store *s,
                       int64_t max_seq, struct roost_diag *diag)
{
    struct roost_api *a = p->cfg.api;
    struct roost_buf *b = &p->ev;
    int64_t newest, total;

    roost_buf_reset(b);
    int rc = roost__api_i64(a, s, "SELECT max(created_at) FROM posts",
                            &newest, diag);
    if (rc == 0) {
        rc = roost__api_i64(a, s, "SELECT count(*) FROM posts WHERE "
                            "deleted = 0 AND referenced = 0", &total, diag);
    }
    if (rc == 0) {
        rc = roost_buf_adds(b, "{\"as_of\":");
    }
    if (rc == 0) {
        rc = roost__api_iso(b, newest);
    }
    if (rc == 0) {
        rc = roost_buf_printf(b, ",\"last_id\":%lld,\"total_posts\":%lld,"
                              "\"step_ms\":%d,\"rate\":",
                              (long long)max_seq,
                              (long long)(total == API_NO_TIME ? 0 : total),
                              RATE_STEP_MS);
    }
    if (rc == 0) {
        rc = roost__api_rate_points(a, s, newest, RATE_STEP_MS, RATE_POINTS,
                                    b, diag);
    }
    /* posts per second over the full buckets (all but the newest one) */
    int64_t n_full = 0;
    if (rc == 0 && newest != API_NO_TIME) {
        char sql[256];
        int64_t last = newest / RATE_STEP_MS * RATE_STEP_MS;
        snprintf(sql, sizeof(sql),
                 "SELECT count(*) FROM posts WHERE created_at >= %lld AND "
                 "created_at < %lld AND deleted = 0 AND referenced = 0",
                 (long long)(last - (RATE_POINTS - 1) * RATE_STEP_MS),
                 (long long)last);
        rc = roost__api_i64(a, s, sql, &n_full, diag);
    }
    if (rc == 0) {
        rc = roost_buf_printf(b, ",\"per_s\":%.2f,\"top_hashtags\":",
                              (double)n_full * 1000.0 /
                                  ((RATE_POINTS - 1) * RATE_STEP_MS));
    }
    if (rc == 0 && newest != API_NO_TIME) {
        rc = roost__api_top_items(a, s, "hashtags", newest - 3600000, TOP_N,
                                  b, diag);
    } else if (rc == 0) {
        rc = roost_buf_adds(b, "[]");
    }
    if (rc == 0) {
        rc = roost_buf_addc(b, '}');
    }
    if (rc == 0) {
        roost_http_sse_publish(p->cfg.http, "stats", b->ptr, b->len);
    }
    return rc;
}

static int tick(struct roost_publisher *p)
{
    struct roost_api *a = p->cfg.api;
    struct roost_diag diag = { 0 };
    struct roost_store *s = NULL;
    struct roost_http_stats hs;
    char sql[256];
    int64_t max_seq;
    bool published = false;

    int rc = roost__api_store_get(a, &s, &diag);
    if (rc < 0) {
        return rc;
    }
    rc = roost__api_i64(a, s, "SELECT max(seq) FROM posts", &max_seq, &diag);
    if (rc < 0 || max_seq == API_NO_TIME) {
        goto out_put;
    }
    roost_http_stats(p->cfg.http, &hs);
    if (hs.n_sse_clients == 0) {
        p->last_seq = max_seq; /* nobody listens: skip the work */
        goto out_put;
    }
    bool changed = max_seq > p->last_seq;
    if (changed) {
        snprintf(sql, sizeof(sql),
                 "SELECT p.id, p.seq FROM posts p WHERE p.seq > %lld AND "
                 "p.deleted = 0 AND p.referenced = 0 ORDER BY p.seq DESC "
                 "LIMIT %u",
                 (long long)p->last_seq, p->cfg.max_posts);
        roost_buf_reset(&p->ev);
        rc = roost__api_posts(a, s, sql, p->cfg.max_posts, &p->ev, NULL,
                              &diag);
        if (rc < 0) {
            goto out_put;
        }
        if (p->ev.len > 2) { /* not "[]" */
            roost_http_sse_publish(p->cfg.http, "posts", p->ev.ptr,
                                   p->ev.len);
            published = true;
        }
        p->last_seq = max_seq;
    }
    int64_t now = mono_ms();
    if (changed || now - p->last_stats_ms >= p->cfg.stats_every_ms) {
        rc = stats_event(p, s, max_seq, &diag);
        p->last_stats_ms = now;
        published = published || rc == 0;
    }

out_put:
    roost__api_store_put(a, s);
    if (published) {
        pthread_mutex_lock(&p->mu);
        p->n_ticks++;
        pthread_mutex_unlock(&p->mu);
    }
    return rc;
}

static void *run(void *arg)
{
    struct roost_publisher *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->stop) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += p->cfg.interval_ms / 1000;
        until.tv_nsec += (p->cfg.interval_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        while (!p->stop &&
               pthread_cond_timedwait(&p->cv, &p->mu, &until) != ETIMEDOUT) {
        }
        if (p->stop) {
            break;
        }
        pthread_mutex_unlock(&p->mu);
        (void)tick(p); /* a failed tick is retried at the next one */
        pthread_mutex_lock(&p->mu);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

int roost_publisher_start(const struct roost_publisher_cfg *cfg,
                          struct roost_publisher **out,
                          struct roost_diag *diag)
{
    struct roost_publisher *p = roost_calloc(1, sizeof(*p));
    if (p == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    p->cfg = *cfg;
    if (p->cfg.interval_ms <= 0) {
        p->cfg.interval_ms = 2000;
    }
    if (p->cfg.max_posts == 0 || p->cfg.max_posts > 500) {
        p->cfg.max_posts = 50;
    }
    if (p->cfg.stats_every_ms <= 0) {
        p->cfg.stats_every_ms = 10000;
    }
    roost_buf_init(&p->ev, EVENT_MAX_BYTES);
    p->last_seq = 0;
    /* start after what is stored now: history is the REST API's job */
    struct roost_store *s = NULL;
    if (roost__api_store_get(p->cfg.api, &s, NULL) == 0) {
        int64_t seq;
        if (roost__api_i64(p->cfg.api, s, "SELECT max(seq) FROM posts", &seq,
                           NULL) == 0 &&
            seq != API_NO_TIME) {
            p->last_seq = seq;
        }
        roost__api_store_put(p->cfg.api, s);
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->cv, NULL);
    int err = pthread_create(&p->thread, NULL, run, p);
    if (err != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        roost_buf_fini(&p->ev);
        roost_free(p);
        return roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                              "cannot start the publisher thread: %s",
                              strerror(err));
    }
    *out = p;
    return 0;
}

void roost_publisher_stop(struct roost_publisher *p)
{
    if (p == NULL) {
        return;
    }
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->thread, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    roost_buf_fini(&p->ev);
    roost_free(p);
}

uint64_t roost_publisher_ticks(struct roost_publisher *p)
{
    pthread_mutex_lock(&p->mu);
    uint64_t n = p->n_ticks;
    pthread_mutex_unlock(&p->mu);
    return n;
}
