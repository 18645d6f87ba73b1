/* SPDX-License-Identifier: MIT
 *
 * sink.c - the sink registry, spec parsing, and the retrying write.
 *
 * Registry: CMake writes one ROOST_SINK(name) line per registered sink
 * into gen/sinks.def; it is expanded twice below, once into extern
 * declarations and once into the table, so adding a sink never touches
 * this file (the same scheme as source.c).
 *
 * Specs: "NAME[:ARG][?k=v&k=v]" is cut into name, arg and key=value pairs
 * (values %-decoded); keys go either to the common options (name,
 * max-retries, retry-base) or to the plug-in's table, and anything else
 * is an error naming the key and the keys that exist. Unlike sources, the
 * ARG is kept verbatim ("pg:postgresql://host/db" keeps its "//").
 *
 * Writes: roost_sink_write() calls the plug-in's write; ROOST_EAGAIN is
 * retried after retry_base_ms, doubling up to 10 s, at most max_retries
 * times. Whatever is still failing then is the caller's to dead-letter;
 * the plug-in's message is left in sink->diag.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "core/spec.h"
#include "store/sink.h"

/* ---- registry ----------------------------------------------------------- */

#define ROOST_SINK(n) extern const struct roost_sink_ops roost_sink_##n;
#include "sinks.def"
#undef ROOST_SINK

#define ROOST_SINK(n) &roost_sink_##n,
static const struct roost_sink_ops *const registry[] = {
#include "sinks.def"
    NULL,
};
#undef ROOST_SINK

const struct roost_sink_ops *const *roost_sink_list(void)
{
    return registry;
}

const struct roost_sink_ops *roost_sink_find(const char *name)
{
    for (size_t i = 0; registry[i] != NULL; i++) {
        if (strcmp(registry[i]->name, name) == 0) {
            return registry[i];
        }
    }
    return NULL;
}

/* ---- common options ----------------------------------------------------- */

#define RETRY_CAP_MS   10000

struct common_opts {
    char *name;
    int64_t max_retries;
    int64_t retry_base_ms;
};

static const struct roost_option common_options[] = {
    ROOST_OPT_STR("name", NULL, struct common_opts, name,
                  "instance name for logs, metrics and dead letters"),
    ROOST_OPT_INT("max-retries", "5", struct common_opts, max_retries,
                  "retries of a transient failure before the batch is "
                  "dead-lettered"),
    ROOST_OPT_MS("retry-base", "100ms", struct common_opts, retry_base_ms,
                 "first retry delay; doubles each time, at most 10s"),
    ROOST_OPT_END,
};

/* ---- option errors ------------------------------------------------------ */

static int unknown_option(const struct roost_sink_ops *ops, const char *key,
                          struct roost_diag *diag)
{
    struct roost_buf names;

    roost_buf_init(&names, 1024);
    if (ops->options != NULL) {
        roost_options_names(ops->options, &names);
        roost_buf_adds(&names, ", ");
    }
    roost_options_names(common_options, &names);
    roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                   "unknown option '%s' for sink '%s' (known: %s)", key,
                   ops->name, names.ptr != NULL ? names.ptr : "none");
    roost_buf_fini(&names);
    return ROOST_ERR(ROOST_EINVAL);
}

static int unknown_sink(const char *name, struct roost_diag *diag)
{
    struct roost_buf names;

    roost_buf_init(&names, 1024);
    for (size_t i = 0; registry[i] != NULL; i++) {
        roost_buf_printf(&names, "%s%s", i > 0 ? ", " : "", registry[i]->name);
    }
    roost_diag_set(diag, ROOST_ERR(ROOST_ENOENT), 0,
                   "unknown sink '%s' (known: %s)", name,
                   names.ptr != NULL ? names.ptr : "none");
    roost_buf_fini(&names);
    return ROOST_ERR(ROOST_ENOENT);
}

int roost_sink_new(const char *spec, struct roost_sink **out,
                   struct roost_diag *diag)
{
    struct roost_spec sp;
    struct roost_kv common_kvs[ROOST_SPEC_MAX_KVS];
    struct roost_kv plugin_kvs[ROOST_SPEC_MAX_KVS];
    size_t n_common = 0;
    size_t n_plugin = 0;
    struct common_opts co = { 0 };
    struct roost_sink *sink = NULL;
    const struct roost_sink_ops *ops = NULL;
    int rc = roost_spec_parse(spec, "sink", false, &sp, diag);

    if (rc < 0) {
        goto out_free_spec;
    }
    ops = roost_sink_find(sp.name);
    if (ops == NULL) {
        rc = unknown_sink(sp.name, diag);
        goto out_free_spec;
    }
    for (size_t i = 0; i < sp.n_kvs; i++) {
        if (roost_options_find(common_options, sp.kvs[i].key) != NULL) {
            common_kvs[n_common++] = sp.kvs[i];
        } else if (ops->options != NULL &&
                   roost_options_find(ops->options, sp.kvs[i].key) != NULL) {
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
    if (name[0] == '\0' || strlen(name) >= sizeof(sink->name)) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                            "bad instance name '%s': 1 to 63 bytes", name);
        goto out_free_common;
    }
    if (co.max_retries < 0 || co.max_retries > 100 || co.retry_base_ms < 0) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                            "max-retries wants 0..100 and retry-base >= 0");
        goto out_free_common;
    }
    sink = roost_calloc(1, sizeof(*sink));
    if (sink == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free_common;
    }
    sink->ops = ops;
    memcpy(sink->name, name, strlen(name) + 1);
    sink->max_retries = (int)co.max_retries;
    sink->retry_base_ms = co.retry_base_ms;
    if (sp.arg != NULL) {
        sink->arg = roost_strndup(sp.arg, strlen(sp.arg));
        if (sink->arg == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            goto out_free_sink;
        }
    }
    sink->ctx = roost_calloc(1, ops->ctx_size ? ops->ctx_size : 1);
    if (sink->ctx == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free_sink;
    }
    if (ops->options != NULL) {
        rc = roost_options_apply(ops->options, sink->ctx, plugin_kvs, n_plugin,
                                 diag);
        if (rc < 0) {
            goto out_free_ctx;
        }
    }
    roost_options_free(common_options, &co);
    roost_spec_fini(&sp);
    *out = sink;
    return 0;

out_free_ctx:
    roost_options_free(ops->options, sink->ctx);
    roost_free(sink->ctx);
out_free_sink:
    roost_free(sink->arg);
    roost_free(sink);
out_free_common:
    roost_options_free(common_options, &co);
out_free_spec:
    roost_spec_fini(&sp);
    return rc;
}

/* ---- lifecycle and writes --------------------------------------------------
 */

static void copy_diag(const struct roost_sink *sink, struct roost_diag *diag,
                      int rc, const char *what)
{
    if (diag == NULL) {
        return;
    }
    if (sink->diag.msg[0] != '\0') {
        roost_diag_set(diag, rc, sink->diag.offset, "sink %s: %s", sink->name,
                       sink->diag.msg);
        diag->sys_errno = sink->diag.sys_errno;
    } else {
        roost_diag_set(diag, rc, 0, "sink %s: %s failed: %s", sink->name, what,
                       roost_strerror(rc));
    }
}

int roost_sink_open(struct roost_sink *sink, struct roost_diag *diag)
{
    if (sink->is_open) {
        return 0;
    }
    memset(&sink->diag, 0, sizeof(sink->diag));
    int rc = sink->ops->open != NULL ? sink->ops->open(sink) : 0;
    if (rc < 0) {
        copy_diag(sink, diag, rc, "open");
        if (sink->ops->close != NULL) {
            sink->ops->close(sink);
        }
        return rc;
    }
    sink->is_open = true;
    return 0;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = { .tv_sec = ms / 1000,
                           .tv_nsec = (ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0) {
        continue; /* EINTR: sleep the rest */
    }
}

int roost_sink_write(struct roost_sink *sink, const struct roost_sink_batch *b)
{
    assert(sink->is_open);
    int64_t delay = sink->retry_base_ms;
    int rc;

    memset(&sink->diag, 0, sizeof(sink->diag));
    for (int attempt = 0;; attempt++) {
        rc = sink->ops->write(sink, b);
        if (rc != ROOST_EAGAIN || attempt >= sink->max_retries) {
            break;
        }
        sink->stats.n_retries++;
        if (delay > 0) {
            sleep_ms(delay);
            delay = delay * 2 > RETRY_CAP_MS ? RETRY_CAP_MS : delay * 2;
        }
    }
    sink->stats.n_batches++;
    if (rc < 0) {
        sink->stats.n_rejected += b->n_posts;
        if (sink->diag.msg[0] == '\0') {
            roost_diag_set(&sink->diag, rc, 0, "%s", roost_strerror(rc));
        }
        return rc;
    }
    sink->stats.n_posts += b->n_posts;
    sink->stats.n_ctls += b->n_ctls;
    return 0;
}

int roost_sink_flush(struct roost_sink *sink)
{
    if (!sink->is_open || sink->ops->flush == NULL) {
        return 0;
    }
    memset(&sink->diag, 0, sizeof(sink->diag));
    return sink->ops->flush(sink);
}

void roost_sink_free(struct roost_sink *sink)
{
    if (sink == NULL) {
        return;
    }
    if (sink->is_open && sink->ops->close != NULL) {
        sink->ops->close(sink);
    }
    sink->is_open = false;
    if (sink->ops->options != NULL) {
        roost_options_free(sink->ops->options, sink->ctx);
    }
    roost_free(sink->ctx);
    roost_free(sink->arg);
    roost_free(sink);
}

int roost_sink_help(const struct roost_sink_ops *ops, struct roost_buf *out)
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
