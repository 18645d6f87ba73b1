/* SPDX-License-Identifier: MIT
 *
 * src_simulate.c - the built-in firehose (simulate.h) as a source.
 *
 * Records come straight from the generator into the batch, with no
 * framing: every record is one JSON text. Wall-clock pacing follows the
 * generator's event time divided by `speed` ("max" = as fast as the
 * consumer takes them). The position is the number of records produced,
 * so a restart resumes by regenerating and skipping that many: the
 * stream is deterministic for a seed, so the resumed stream continues
 * byte-identically.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "source/simulate.h"
#include "source/source.h"

#define POLL_MAX_RECORDS 4096

struct sim_ctx {
    int64_t seed;
    int64_t count;
    double rate;
    char *speed;
    char *format;
    double burst_every_s;
    char *start;       /* "default", "now", or an ISO 8601 / Twitter time */
    struct roost_sim *sim;
    struct roost_buf rec;
    double factor;     /* 0: max speed */
    int64_t wall0_ms;  /* wall clock at the first record */
    int64_t ev0_ms;    /* its event time */
    int64_t next_ev_ms;
    bool have_next;    /* rec holds a generated, not yet delivered record */
};

static const struct roost_option sim_options[] = {
    ROOST_OPT_INT("seed", "1", struct sim_ctx, seed,
                  "seed of the deterministic generator"),
    ROOST_OPT_INT("count", "0", struct sim_ctx, count,
                  "records to produce, 0 = unlimited"),
    ROOST_OPT_DOUBLE("rate", "5700", struct sim_ctx, rate,
                     "posts per second of event time"),
    ROOST_OPT_STR("speed", "max", struct sim_ctx, speed,
                  "wall-clock pacing: max, 1x, 10x, ..."),
    ROOST_OPT_STR("format", "v1", struct sim_ctx, format,
                  "wire format: v1, v2, jetstream, mastodon"),
    ROOST_OPT_DOUBLE("burst-every", "900", struct sim_ctx, burst_every_s,
                     "a trending topic bursts every N s of event time"),
    ROOST_OPT_STR("start", "default", struct sim_ctx, start,
                  "event time of the first post: default (2021-01-01), "
                  "now, or an ISO 8601 time"),
    ROOST_OPT_END,
};

static int64_t wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t real_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int sim_open(struct roost_source *src)
{
    struct sim_ctx *c = src->ctx;
    struct roost_sim_cfg cfg;
    roost_sim_cfg_default(&cfg);
    cfg.seed = (uint64_t)c->seed;
    cfg.count = c->count > 0 ? (uint64_t)c->count : 0;
    cfg.rate = c->rate;
    cfg.burst.every_s = c->burst_every_s;
    if (strcmp(c->start, "now") == 0) {
        cfg.start_ms = real_ms();
    } else if (strcmp(c->start, "default") != 0 &&
               roost_time_parse(c->start, strlen(c->start), &cfg.start_ms) <
                   0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (roost_format_parse(c->format, &cfg.format) < 0 ||
        cfg.format == ROOST_FMT_AUTO || cfg.format == ROOST_FMT_TEXT) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    c->factor = 0;
    if (strcmp(c->speed, "max") != 0) {
        char *end = NULL;
        c->factor = strtod(c->speed, &end);
        if (end == c->speed || (*end != 'x' && *end != '\0') ||
            c->factor <= 0) {
            return ROOST_ERR(ROOST_EINVAL);
        }
    }
    int rc = roost_sim_new(&cfg, &c->sim);
    if (rc < 0) {
        return rc;
    }
    roost_buf_init(&c->rec, 16u << 20);
    /* Resume: regenerate and skip what was already delivered. */
    uint64_t skip = src->resume[0] ? strtoull(src->resume, NULL, 10) : 0;
    for (uint64_t i = 0; i < skip; i++) {
        roost_buf_reset(&c->rec);
        rc = roost_sim_next(c->sim, &c->rec, NULL);
        if (rc < 0) {
            break; /* ENOENT: the count was reached before the crash */
        }
    }
    roost_buf_reset(&c->rec);
    c->wall0_ms = -1;
    return 0;
}

static int sim_fd(struct roost_source *src)
{
    (void)src;
    return -1;
}

static int sim_poll(struct roost_source *src, struct roost_batch *out)
{
    struct sim_ctx *c = src->ctx;
    int added = 0;
    int64_t now = wall_ms();
    while (added < POLL_MAX_RECORDS) {
        if (!c->have_next) {
            roost_buf_reset(&c->rec);
            int rc = roost_sim_next(c->sim, &c->rec, &c->next_ev_ms);
            if (rc == ROOST_ENOENT) {
                return added > 0 ? 0 : ROOST_ENOENT;
            }
            if (rc < 0) {
                return rc;
            }
            c->have_next = true;
        }
        if (c->factor > 0) {
            if (c->wall0_ms < 0) {
                c->wall0_ms = now;
                c->ev0_ms = c->next_ev_ms;
            }
            double due = (double)(c->next_ev_ms - c->ev0_ms) / c->factor;
            if ((double)(now - c->wall0_ms) < due) {
                return added > 0 ? 0 : ROOST_EAGAIN;
            }
        }
        char pos[32];
        uint64_t n = roost_sim_n_records(c->sim);
        int pl = snprintf(pos, sizeof(pos), "%llu", (unsigned long long)n);
        size_t len = c->rec.len;
        if (len > 0 && c->rec.ptr[len - 1] == '\n') {
            len--;
        }
        int rc = roost_batch_add(out, c->rec.ptr, len, real_ms(), pos,
                                 (size_t)pl, n, 0);
        if (rc == ROOST_ELIMIT) {
            return ROOST_ELIMIT; /* kept in rec for the next batch */
        }
        if (rc < 0) {
            return rc;
        }
        c->have_next = false;
        added++;
    }
    return 0;
}

static void sim_close(struct roost_source *src)
{
    struct sim_ctx *c = src->ctx;
    roost_sim_free(c->sim);
    c->sim = NULL;
    roost_buf_fini(&c->rec);
}

const struct roost_source_ops roost_source_simulate = {
    .name = "simulate",
    .summary = "the built-in realistic firehose (deterministic per seed)",
    .options = sim_options,
    .ctx_size = sizeof(struct sim_ctx),
    .open = sim_open,
    .fd = sim_fd,
    .poll = sim_poll,
    .close = sim_close,
};
