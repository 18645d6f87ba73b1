/* SPDX-License-Identifier: MIT
 *
 * source.c - the source registry, spec parsing, and the receiver thread.
 *
 * Registry: CMake writes one ROOST_SOURCE(name) line per registered source
 * into gen/sources.def; it is expanded twice below, once into extern
 * declarations and once into the table, so adding a source never touches
 * this file.
 *
 * Specs: "NAME[:ARG][?k=v&k=v]" is cut into name, arg and key=value pairs;
 * keys go either to the common options (name, max-record) or to the
 * plug-in's table, and anything else is an error naming the key and the
 * keys that exist.
 *
 * Receiver thread (roost_source_start): open on the caller's thread, then
 *
 *     loop: poll into the current batch
 *           push it when full (ELIMIT), when its first record is older
 *           than batch_ms, or at the end (ENOENT, stop, error)
 *           nothing to read (EAGAIN): wait on the source's fd with poll(2)
 *           until the batch deadline, or tick every few ms without an fd
 *     close
 *
 * A self-pipe wakes the wait at roost_source_stop(), so stopping never
 * waits for a timeout. Stats are written under a mutex so other threads
 * can copy them while the thread runs.
 *
 * The framing helper shared by the stream sources (source_int.h) lives
 * here too: it turns framer records into batch records with positions.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "core/spec.h"
#include "source/source.h"
#include "source/source_int.h"

/* ---- registry ----------------------------------------------------------- */

#define ROOST_SOURCE(n) extern const struct roost_source_ops roost_source_##n;
#include "sources.def"
#undef ROOST_SOURCE

#define ROOST_SOURCE(n) &roost_source_##n,
static const struct roost_source_ops *const registry[] = {
#include "sources.def"
    NULL,
};
#undef ROOST_SOURCE

const struct roost_source_ops *const *roost_source_list(void)
{
    return registry;
}

const struct roost_source_ops *roost_source_find(const char *name)
{
    for (size_t i = 0; registry[i] != NULL; i++) {
        if (strcmp(registry[i]->name, name) == 0) {
            return registry[i];
        }
    }
    return NULL;
}

/* ---- common options ----------------------------------------------------- */


struct common_opts {
    char *name;
    size_t max_record;
};

static const struct roost_option common_options[] = {
    ROOST_OPT_STR("name", NULL, struct common_opts, name,
                  "instance name for logs, metrics and positions"),
    ROOST_OPT_SIZE("max-record", "1MiB", struct common_opts, max_record,
                   "longest record; longer ones are flagged and cut"),
    ROOST_OPT_END,
};

/* ---- option errors ------------------------------------------------------ */

static int unknown_option(const struct roost_source_ops *ops, const char *key,
                          struct roost_diag *diag)
{
    struct roost_buf names;

    roost_buf_init(&names, 1024);
    roost_options_names(ops->options, &names);
    roost_options_names(common_options, &names);
    roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                   "unknown option '%s' for source '%s' (known: %s)", key,
                   ops->name, names.ptr != NULL ? names.ptr : "none");
    roost_buf_fini(&names);
    return ROOST_ERR(ROOST_EINVAL);
}

static int unknown_source(const char *name, struct roost_diag *diag)
{
    struct roost_buf names;

    roost_buf_init(&names, 1024);
    for (size_t i = 0; registry[i] != NULL; i++) {
        roost_buf_printf(&names, "%s%s", i > 0 ? ", " : "", registry[i]->name);
    }
    roost_diag_set(diag, ROOST_ERR(ROOST_ENOENT), 0,
                   "unknown source '%s' (known: %s)", name,
                   names.ptr != NULL ? names.ptr : "none");
    roost_buf_fini(&names);
    return ROOST_ERR(ROOST_ENOENT);
}

int roost_source_new(const char *spec, struct roost_source **out,
                     struct roost_diag *diag)
{
    struct roost_spec sp;
    struct roost_kv common_kvs[ROOST_SPEC_MAX_KVS];
    struct roost_kv plugin_kvs[ROOST_SPEC_MAX_KVS];
    size_t n_common = 0;
    size_t n_plugin = 0;
    struct common_opts co = { 0 };
    struct roost_source *src = NULL;
    int rc = roost_spec_parse(spec, "source", true, &sp, diag);

    if (rc < 0) {
        goto out_free_spec;
    }
    const struct roost_source_ops *ops = roost_source_find(sp.name);
    if (ops == NULL) {
        rc = unknown_source(sp.name, diag);
        goto out_free_spec;
    }
    for (size_t i = 0; i < sp.n_kvs; i++) {
        if (roost_options_find(common_options, sp.kvs[i].key) != NULL) {
            common_kvs[n_common++] = sp.kvs[i];
        } else if (roost_options_find(ops->options, sp.kvs[i].key) != NULL) {
            plugin_kvs[n_plugin++] = sp.kvs[i];
        } else {
            rc = unknown_option(ops, sp.kvs[i].key, diag);
            goto out_free_spec;
        }
    }
    rc = roost_options_apply(common_options, &co, common_kvs, n_common, diag);
    if (rc < 0) {
        goto out_free_common;
    }
    const char *name = co.name != NULL ? co.name : ops->name;
    if (name[0] == '\0' || strlen(name) >= sizeof(src->name)) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                            "bad instance name '%s': 1 to 63 bytes", name);
        goto out_free_common;
    }
    src = roost_calloc(1, sizeof(*src));
    if (src == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free_common;
    }
    src->ops = ops;
    memcpy(src->name, name, strlen(name) + 1);
    src->max_record_bytes = co.max_record;
    if (sp.arg != NULL) {
        src->arg = roost_strndup(sp.arg, strlen(sp.arg));
        if (src->arg == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            goto out_free_src;
        }
    }
    src->ctx = roost_calloc(1, ops->ctx_size ? ops->ctx_size : 1);
    if (src->ctx == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free_src;
    }
    rc =
        roost_options_apply(ops->options, src->ctx, plugin_kvs, n_plugin, diag);
    if (rc < 0) {
        goto out_free_ctx;
    }
    roost_options_free(common_options, &co);
    roost_spec_fini(&sp);
    *out = src;
    return 0;

out_free_ctx:
    roost_options_free(ops->options, src->ctx);
    roost_free(src->ctx);
out_free_src:
    roost_free(src->arg);
    roost_free(src);
out_free_common:
    roost_options_free(common_options, &co);
out_free_spec:
    roost_spec_fini(&sp);
    return rc;
}

void roost_source_free(struct roost_source *src)
{
    if (src == NULL) {
        return;
    }
    roost_source_stop(src);
    roost_options_free(src->ops->options, src->ctx);
    roost_free(src->ctx);
    roost_free(src->arg);
    roost_free(src);
}

int roost_source_help(const struct roost_source_ops *ops, struct roost_buf *out)
{
    size_t n = 0;
    size_t n_common = sizeof(common_options) / sizeof(common_options[0]);

    while (ops->options != NULL && ops->options[n].name != NULL) {
        n++;
    }
    /* One table, so the columns line up across both lists. */
    struct roost_option *all = roost_calloc(n + n_common, sizeof(*all));
    if (all == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    if (n > 0) {
        memcpy(all, ops->options, n * sizeof(*all));
    }
    memcpy(all + n, common_options, sizeof(common_options));
    int rc = roost_buf_printf(out, "%s - %s\n", ops->name,
                              ops->summary ? ops->summary : "");
    if (rc == 0) {
        rc = roost_options_help(all, out);
    }
    roost_free(all);
    return rc;
}

/* ---- framing helper ----------------------------------------------------- */

int64_t roost__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void roost__framed_init(struct roost__framed *fr, size_t max_record_bytes)
{
    memset(fr, 0, sizeof(*fr));
    roost_frame_init(&fr->frame, max_record_bytes);
}

void roost__framed_fini(struct roost__framed *fr)
{
    roost_frame_fini(&fr->frame);
    memset(fr, 0, sizeof(*fr));
}

int roost__framed_drain(struct roost__framed *fr, struct roost_batch *out,
                        const char *prefix, size_t prefix_len,
                        uint32_t *n_added)
{
    char pos[4096 + 32];
    int64_t now = roost__now_ms();

    *n_added = 0;
    if (prefix_len > 4096) {
        prefix_len = 4096;
    }
    for (;;) {
        struct roost_record rec;
        int err = 0;
        int rc;
        if (fr->has_pending) {
            rec = fr->pending;
            err = fr->pending_err;
        } else {
            rc = roost_frame_next(&fr->frame, &rec, NULL);
            if (rc == ROOST_EAGAIN || rc == ROOST_ENOENT) {
                return rc;
            }
            if (rc == ROOST_ELIMIT || rc == ROOST_EPARSE) {
                err = rc;
            } else if (rc < 0) {
                return rc;
            }
        }
        fr->has_pending = false;
        uint64_t end = rec.offset + rec.len;
        if (fr->skip && end <= fr->skip_end) {
            fr->n_skipped++;
            continue;
        }
        int n = snprintf(pos, sizeof(pos), "%.*s\t%" PRIu64, (int)prefix_len,
                         prefix, end);
        size_t pos_len = (size_t)n;
        rc = roost_batch_add(out, rec.ptr, rec.len, now, pos, pos_len, rec.line,
                             err);
        if (rc == ROOST_ELIMIT && out->n_recs > 0) {
            fr->pending = rec;
            fr->pending_err = err;
            fr->has_pending = true;
            return rc;
        }
        if (rc == ROOST_ELIMIT) {
            /* Never fits, even alone: keep what fits, flagged. */
            size_t avail = roost_batch_avail(out);
            size_t plen = pos_len <= avail ? pos_len : 0;
            size_t keep = avail - plen < rec.len ? avail - plen : rec.len;
            rc = roost_batch_add(out, rec.ptr, keep, now, pos, plen, rec.line,
                                 ROOST_ELIMIT);
        }
        if (rc < 0) {
            return rc;
        }
        (*n_added)++;
    }
}

/* ---- the receiver thread ------------------------------------------------ */

#define RUNNER_TICK_MS             5
#define RUNNER_MAX_WAIT_MS         1000
#define RUNNER_DEFAULT_BATCH_BYTES (1u << 20)
#define RUNNER_DEFAULT_BATCH_MS    250

struct roost__runner {
    struct roost_runner_cfg cfg;
    size_t batch_cap;
    int wake[2];        /* self-pipe: stop() writes, the thread polls */
    pthread_mutex_t mu; /* guards src->stats */
    atomic_bool done;
    uint64_t seq;
};

static void runner_free(struct roost__runner *r)
{
    close(r->wake[0]);
    close(r->wake[1]);
    pthread_mutex_destroy(&r->mu);
    roost_free(r);
}

/* push_batch - hand *b to the queue and start a fresh one in *b. */
static int push_batch(struct roost_source *src, struct roost_batch **b,
                      bool fresh)
{
    struct roost__runner *r = src->runner;
    struct roost_batch *cur = *b;
    uint64_t bytes = 0;
    uint64_t bad = 0;
    bool spilled = false;

    *b = NULL;
    for (uint32_t i = 0; i < cur->n_recs; i++) {
        bytes += cur->recs[i].len;
        bad += cur->recs[i].err != 0;
    }
    uint32_t n = cur->n_recs;
    cur->seq = r->seq++;
    int rc = roost_queue_push_ex(r->cfg.queue, cur, roost_batch_bytes(cur),
                                 &spilled);
    pthread_mutex_lock(&r->mu);
    src->stats.n_records += n;
    src->stats.n_bytes += bytes;
    src->stats.n_bad += bad;
    src->stats.n_batches++;
    src->stats.n_dropped += rc < 0;
    src->stats.n_spilled += spilled;
    pthread_mutex_unlock(&r->mu);
    if (!fresh) {
        return 0;
    }
    return roost_batch_new(src->name, r->batch_cap, b);
}

static bool batch_is_due(const struct roost__runner *r,
                         const struct roost_batch *b, int64_t now)
{
    return b->n_recs > 0 && now - b->first_recv_ms >= r->cfg.batch_ms;
}

/* wait_input - sleep until the fd is readable, the batch is due, a tick
 * passed (no fd), or stop() wrote to the self-pipe. */
static void wait_input(struct roost_source *src, const struct roost_batch *b)
{
    struct roost__runner *r = src->runner;
    int fd = src->ops->fd != NULL ? src->ops->fd(src) : -1;
    int64_t timeout = fd >= 0 ? RUNNER_MAX_WAIT_MS : RUNNER_TICK_MS;

    if (b->n_recs > 0) {
        int64_t left = b->first_recv_ms + r->cfg.batch_ms - roost__now_ms();
        left = left < 0 ? 0 : left;
        timeout = left < timeout ? left : timeout;
    }
    struct pollfd pfd[2] = {
        { .fd = r->wake[0], .events = POLLIN },
        { .fd = fd, .events = POLLIN },
    };
    if (poll(pfd, fd >= 0 ? 2 : 1, (int)timeout) > 0 &&
        (pfd[0].revents & POLLIN)) {
        char sink[16];
        while (read(r->wake[0], sink, sizeof(sink)) > 0) {
        }
    }
}

static void *runner_main(void *arg)
{
    struct roost_source *src = arg;
    struct roost__runner *r = src->runner;
    struct roost_batch *b = NULL;
    int rc = roost_batch_new(src->name, r->batch_cap, &b);

    while (rc == 0 && !atomic_load(&src->stop)) {
        rc = src->ops->poll(src, b);
        if (rc == 0) {
            if (batch_is_due(r, b, roost__now_ms())) {
                rc = push_batch(src, &b, true);
            }
            continue;
        }
        if (rc == ROOST_ELIMIT) {
            if (b->n_recs == 0) {
                rc = ROOST_ERR(ROOST_EINVAL); /* full yet empty: a bug */
                break;
            }
            rc = push_batch(src, &b, true);
            continue;
        }
        if (rc == ROOST_EAGAIN) {
            rc = 0;
            if (batch_is_due(r, b, roost__now_ms())) {
                rc = push_batch(src, &b, true);
                continue;
            }
            wait_input(src, b);
            continue;
        }
        if (rc == ROOST_ENOENT) {
            rc = 0;
            break; /* a finite source is done */
        }
        /* Any other error ends the source; exit_rc says which. */
        break;
    }
    if (rc < 0) {
        pthread_mutex_lock(&r->mu);
        src->stats.n_errors++;
        pthread_mutex_unlock(&r->mu);
    }
    if (b != NULL && b->n_recs > 0) {
        push_batch(src, &b, false);
    }
    roost_batch_free(b);
    src->ops->close(src);
    src->exit_rc = rc;
    atomic_store(&r->done, true);
    return NULL;
}

int roost_source_start(struct roost_source *src,
                       const struct roost_runner_cfg *cfg)
{
    struct roost__runner *r = NULL;
    int rc;

    if (src->running || cfg == NULL || cfg->queue == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    r = roost_calloc(1, sizeof(*r));
    if (r == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    r->cfg = *cfg;
    if (r->cfg.batch_bytes == 0) {
        r->cfg.batch_bytes = RUNNER_DEFAULT_BATCH_BYTES;
    }
    if (r->cfg.batch_ms <= 0) {
        r->cfg.batch_ms = RUNNER_DEFAULT_BATCH_MS;
    }
    /* One whole record plus its position always fits an empty batch. */
    r->batch_cap = r->cfg.batch_bytes;
    if (r->batch_cap < src->max_record_bytes + 8192) {
        r->batch_cap = src->max_record_bytes + 8192;
    }
    if (pthread_mutex_init(&r->mu, NULL) != 0) {
        roost_free(r);
        return ROOST_ERR(ROOST_ENOMEM);
    }
    if (pipe(r->wake) < 0) {
        pthread_mutex_destroy(&r->mu);
        roost_free(r);
        return ROOST_ERR(ROOST_EIO);
    }
    for (int i = 0; i < 2; i++) {
        fcntl(r->wake[i], F_SETFL, fcntl(r->wake[i], F_GETFL) | O_NONBLOCK);
        fcntl(r->wake[i], F_SETFD, FD_CLOEXEC);
    }
    atomic_store(&r->done, false);
    atomic_store(&src->stop, 0);
    src->exit_rc = 0;
    src->runner = r;
    rc = src->ops->open(src);
    if (rc < 0) {
        goto out_close_src;
    }
    if (pthread_create(&src->thread, NULL, runner_main, src) != 0) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_close_src;
    }
    src->running = true;
    return 0;

out_close_src:
    src->ops->close(src);
    src->runner = NULL;
    runner_free(r);
    return rc;
}

void roost_source_stop(struct roost_source *src)
{
    if (!src->running) {
        return;
    }
    atomic_store(&src->stop, 1);
    ssize_t n = write(src->runner->wake[1], "x", 1);
    (void)n; /* a full pipe already wakes the thread */
    pthread_join(src->thread, NULL);
    src->running = false;
    runner_free(src->runner);
    src->runner = NULL;
}

bool roost_source_is_done(struct roost_source *src)
{
    return !src->running || atomic_load(&src->runner->done);
}

void roost_source_get_stats(struct roost_source *src,
                            struct roost_source_stats *out)
{
    if (src->running) {
        pthread_mutex_lock(&src->runner->mu);
        *out = src->stats;
        pthread_mutex_unlock(&src->runner->mu);
    } else {
        *out = src->stats;
    }
}
