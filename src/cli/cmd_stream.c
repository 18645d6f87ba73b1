/* SPDX-License-Identifier: MIT
 *
 * cmd_stream.c - `roost stream 'SQL'` and `roost run FILE.conf`: the
 * continuous query engine (engine/engine.h) on the collect pipeline.
 *
 *   stream  one query over --source specs, results printed per trigger
 *           (Spark-style blocks or JSONL); with --archive, exactly once
 *           across crashes (the archive dir also holds the checkpoints)
 *   run     sources, archive, sinks and named queries from a config file
 *           (engine/config.h, docs/CONFIG.md)
 *
 * SIGINT/SIGTERM stop gracefully; kill -9 is recovered at the next start.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/config.h"
#include "engine/engine.h"
#include "engine/pipeline.h"
#include "serve/api.h"
#include "serve/assets.h"
#include "serve/http.h"
#include "serve/publisher.h"

const char *cmd_stream_usage =
    "usage: roost stream 'SQL' --source SPEC [--source SPEC...]\n"
    "                    [--archive DIR] [--format table|jsonl]\n"
    "                    [--rows N] [--trigger 2s] [--out FILE|sqlite:DB]\n"
    "                    [--mode append|update|complete] [--lateness 5s]\n"
    "                    [--stop-words] [--name NAME] [--snapshot FILE]\n"
    "                    [--checkpoint-interval 10s] [--input-format F]\n"
    "\n"
    "Runs one continuous query over the stream tables posts, hashtags,\n"
    "mentions, cashtags, urls, words, authors (docs/streams.md) and\n"
    "prints its results at every trigger. Windowed aggregations emit\n"
    "each window once when the watermark closes it (append); EMIT\n"
    "CHANGES or --mode update prints what changed; running totals\n"
    "without a window print the whole table (complete). Every result row\n"
    "of an aggregation has late_dropped. With --archive every record is\n"
    "archived first and the query state is checkpointed there, so a\n"
    "restart after a crash counts every record exactly once. --snapshot\n"
    "writes the final complete result as JSONL at the end. --out sqlite:DB\n"
    "writes the result table into the store's query_results at every\n"
    "trigger that changed it (the view latest_query_results shows it).\n";

const char *cmd_run_usage =
    "usage: roost run FILE.conf [--snapshot-dir DIR]\n"
    "\n"
    "Runs the pipeline a config file describes: sources, archive, sinks,\n"
    "and named continuous queries with their outputs (docs/CONFIG.md,\n"
    "examples/*.conf). Errors name the file and line.\n";

static struct roost_pipeline *volatile running;

static void on_signal(int sig)
{
    (void)sig;
    if (running != NULL) {
        roost_pipeline_stop(running);
    }
}

static bool is_live(const char *spec)
{
    return strncmp(spec, "tcp", 3) == 0 || strncmp(spec, "simulate", 8) == 0 ||
           strncmp(spec, "stdin", 5) == 0;
}

static int write_snapshot(struct roost_engine *e, const char *name,
                          const char *path)
{
    struct roost_rowset rs;
    roost_rowset_init(&rs);
    struct roost_buf b;
    roost_buf_init(&b, (size_t)1 << 30);
    int rc = roost_engine_view(e, name, &rs);
    if (rc == 0) {
        rc = roost_rowset_write_jsonl(&rs, NULL, &b);
    }
    FILE *f = rc == 0 ? fopen(path, "w") : NULL;
    if (f == NULL || fwrite(b.ptr ? b.ptr : "", 1, b.len, f) != b.len) {
        rc = rc < 0 ? rc : ROOST_ERR(ROOST_EIO);
    }
    if (f != NULL && fclose(f) != 0) {
        rc = ROOST_ERR(ROOST_EIO);
    }
    roost_buf_fini(&b);
    roost_rowset_fini(&rs);
    return rc;
}

struct run_args {
    struct roost_pipeline_cfg pcfg;
    char **specs;
    size_t n_specs;
    char **sinks;
    size_t n_sinks;
    struct roost_engine *engine;
    const char *http;  /* listen address of the dashboard, or NULL */
    const char *token;
};

/* ---- the dashboard inside `roost run` ----------------------------------- */

struct live {
    struct roost_pipeline *p;
    struct roost_engine *e;
    struct roost_http *http;
    struct roost_api *api;
    struct roost_publisher *pub;
    char db[4096];
    /* The engine belongs to the pipeline's thread: its numbers reach the
     * HTTP threads through this snapshot, taken at each commit and tick. */
    struct roost_pipeline_hook inner;
    pthread_mutex_t mu;
    struct roost_api_engine_stats es;
};

static void live_snap_engine(struct live *l)
{
    struct roost_api_engine_stats es = { 0 };
    struct roost_engine_stats st;
    roost_engine_stats(l->e, &st);
    es.n_triggers = st.n_triggers;
    const char *name;
    struct roost_exec_stats qs;
    for (size_t i = 0; roost_engine_query_stats(l->e, i, &name, &qs) == 0;
         i++) {
        es.n_queries++;
        es.n_late_rows += qs.late_dropped;
        es.state_bytes += qs.state_bytes;
    }
    pthread_mutex_lock(&l->mu);
    l->es = es;
    pthread_mutex_unlock(&l->mu);
}

static int live_recover(void *arg, const char *dir, uint64_t n,
                        struct roost_diag *diag)
{
    struct live *l = arg;
    return l->inner.recover ? l->inner.recover(l->inner.arg, dir, n, diag)
                            : 0;
}

static int live_posts(void *arg, const struct roost_post *posts, uint32_t n)
{
    struct live *l = arg;
    return l->inner.posts ? l->inner.posts(l->inner.arg, posts, n) : 0;
}

static int live_commit(void *arg, uint64_t n_done)
{
    struct live *l = arg;
    int rc = l->inner.commit ? l->inner.commit(l->inner.arg, n_done) : 0;
    live_snap_engine(l);
    return rc;
}

static int live_tick(void *arg)
{
    struct live *l = arg;
    int rc = l->inner.tick ? l->inner.tick(l->inner.arg) : 0;
    live_snap_engine(l);
    return rc;
}

static int live_finish(void *arg, uint64_t n_done)
{
    struct live *l = arg;
    int rc = l->inner.finish ? l->inner.finish(l->inner.arg, n_done) : 0;
    live_snap_engine(l);
    return rc;
}

static void live_engine_stats(void *arg, struct roost_api_engine_stats *out)
{
    struct live *l = arg;
    pthread_mutex_lock(&l->mu);
    *out = l->es;
    pthread_mutex_unlock(&l->mu);
}

static void live_pipeline_stats(void *arg, struct roost_pipeline_stats *out)
{
    struct live *l = arg;
    roost_pipeline_snapshot(l->p, out);
}

static size_t live_sources(void *arg, struct roost_api_source *out,
                           size_t cap)
{
    struct live *l = arg;
    struct roost_source *srcs[ROOST_API_MAX_SOURCES];
    size_t n = roost_pipeline_sources(l->p, srcs, ROOST_API_MAX_SOURCES);
    if (n > cap) {
        n = cap;
    }
    for (size_t i = 0; i < n; i++) {
        struct roost_source_stats st;
        roost_source_get_stats(srcs[i], &st);
        memset(&out[i], 0, sizeof(out[i]));
        snprintf(out[i].name, sizeof(out[i].name), "%s", srcs[i]->name);
        snprintf(out[i].state, sizeof(out[i].state), "%s",
                 roost_source_is_done(srcs[i]) ? "done" : "running");
        out[i].n_records = st.n_records;
        out[i].n_bytes = st.n_bytes;
    }
    return n;
}

/* The path of the first sqlite: sink, which the dashboard reads. */
static bool sqlite_path(char **sinks, size_t n, char *out, size_t cap)
{
    for (size_t i = 0; i < n; i++) {
        if (strncmp(sinks[i], "sqlite:", 7) == 0) {
            const char *p = sinks[i] + 7;
            size_t len = strcspn(p, "?");
            if (len == 0 || len >= cap) {
                return false;
            }
            memcpy(out, p, len);
            out[len] = '\0';
            return true;
        }
    }
    return false;
}

static int live_start(struct live *l, const struct run_args *a,
                      struct roost_diag *diag)
{
    if (!sqlite_path(a->sinks, a->n_sinks, l->db, sizeof(l->db))) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "http needs a sqlite: sink for the dashboard "
                              "to read");
    }
    struct roost_http_cfg hcfg = { .listen = a->http, .token = a->token };
    int rc = roost_http_new(&hcfg, &l->http, diag);
    if (rc < 0) {
        return rc;
    }
    roost_http_assets(l->http, roost_web_assets, roost_web_n_assets);
    struct roost_api_cfg acfg = {
        .db_path = l->db,
        .version = ROOST_VERSION,
        .sse = true,
        .pipeline_stats = live_pipeline_stats,
        .pipeline_arg = l,
        .sources = live_sources,
        .sources_arg = l,
        .engine_stats = live_engine_stats,
        .engine_arg = l,
        .results = roost_engine_results(l->e),
    };
    rc = roost_api_new(&acfg, l->http, &l->api, diag);
    if (rc == 0) {
        rc = roost_http_start(l->http, diag);
    }
    if (rc == 0) {
        struct roost_publisher_cfg pcfg = { .http = l->http, .api = l->api };
        rc = roost_publisher_start(&pcfg, &l->pub, diag);
    }
    if (rc == 0) {
        const char *colon = strrchr(a->http, ':');
        fprintf(stderr, "roost: dashboard on http://%.*s:%d/\n",
                colon ? (int)(colon - a->http) : 0, a->http,
                roost_http_port(l->http));
    }
    return rc;
}

static void live_stop(struct live *l)
{
    if (l->pub != NULL) {
        roost_publisher_stop(l->pub);
    }
    roost_http_free(l->http); /* stops serving before the API goes */
    roost_api_free(l->api);
    l->pub = NULL;
    l->http = NULL;
    l->api = NULL;
}

static int run(const char *verb, struct run_args *a)
{
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    struct roost_pipeline_hook hook;
    roost_engine_hook(a->engine, &hook);
    a->pcfg.hook = &hook;
    struct live l = { .e = a->engine, .inner = hook };
    pthread_mutex_init(&l.mu, NULL);
    struct roost_pipeline_hook live_hook = {
        .recover = live_recover, .posts = live_posts, .commit = live_commit,
        .tick = live_tick, .finish = live_finish, .arg = &l,
    };
    if (a->http != NULL) {
        a->pcfg.hook = &live_hook;
    }
    struct roost_pipeline *p = NULL;
    int rc = roost_pipeline_new(&a->pcfg, &p, &diag);
    if (rc < 0) {
        fprintf(stderr, "roost: %s: %s\n", verb, diag.msg);
        pthread_mutex_destroy(&l.mu);
        return CLI_EXIT_FAIL;
    }
    for (size_t i = 0; i < a->n_specs; i++) {
        struct roost_source *src = NULL;
        rc = roost_source_new(a->specs[i], &src, &diag);
        if (rc == 0) {
            rc = roost_pipeline_add_source(p, src);
        }
        if (rc < 0) {
            fprintf(stderr, "roost: %s: source '%s': %s\n", verb,
                    a->specs[i], diag.msg[0] ? diag.msg : roost_strerror(rc));
            roost_pipeline_free(p);
            return CLI_EXIT_USAGE;
        }
    }
    for (size_t i = 0; i < a->n_sinks; i++) {
        struct roost_sink *sink = NULL;
        rc = roost_sink_new(a->sinks[i], &sink, &diag);
        if (rc == 0) {
            rc = roost_pipeline_add_sink(p, sink, &diag);
        }
        if (rc < 0) {
            fprintf(stderr, "roost: %s: sink '%s': %s\n", verb, a->sinks[i],
                    diag.msg[0] ? diag.msg : roost_strerror(rc));
            roost_pipeline_free(p);
            return CLI_EXIT_USAGE;
        }
    }
    l.p = p;
    if (a->http != NULL) {
        rc = live_start(&l, a, &diag);
        if (rc < 0) {
            fprintf(stderr, "roost: %s: %s\n", verb, diag.msg);
            live_stop(&l);
            roost_pipeline_free(p);
            return CLI_EXIT_FAIL;
        }
    }
    running = p;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    rc = roost_pipeline_run(p, &diag);
    running = NULL;
    if (a->http != NULL) {
        live_stop(&l);
    }
    roost_pipeline_free(p);
    pthread_mutex_destroy(&l.mu);
    if (rc < 0) {
        fprintf(stderr, "roost: %s: %s\n", verb,
                diag.msg[0] ? diag.msg : roost_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

static int bad(const char *opt, const char *v)
{
    fprintf(stderr, "roost: stream: bad %s '%s'\n", opt, v ? v : "");
    return CLI_EXIT_USAGE;
}

int cmd_stream(int argc, char **argv)
{
    struct roost_engine_query_cfg qc;
    memset(&qc, 0, sizeof(qc));
    qc.exec.name = "stream";
    qc.exec.lateness_ms = -1;
    struct roost_engine_cfg ec;
    memset(&ec, 0, sizeof(ec));
    char *specs[64];
    size_t n_specs = 0;
    const char *archive = NULL, *snapshot = NULL;
    bool to_store = false;
    enum roost_format fmt = ROOST_FMT_AUTO;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (cli_opt_value(argc, argv, &i, "--source", &v)) {
            if (v == NULL || n_specs >= 64) {
                return CLI_EXIT_USAGE;
            }
            specs[n_specs++] = (char *)v;
        } else if (cli_opt_value(argc, argv, &i, "--archive", &v)) {
            archive = v;
        } else if (cli_opt_value(argc, argv, &i, "--format", &v)) {
            if (v != NULL && strcmp(v, "table") == 0) {
                qc.format = ROOST_QOUT_TABLE;
            } else if (v != NULL && strcmp(v, "jsonl") == 0) {
                qc.format = ROOST_QOUT_JSONL;
            } else {
                return bad("--format (table|jsonl)", v);
            }
        } else if (cli_opt_value(argc, argv, &i, "--rows", &v)) {
            long n = v ? strtol(v, NULL, 10) : 0;
            if (n <= 0) {
                return bad("--rows", v);
            }
            qc.rows = (size_t)n;
        } else if (cli_opt_value(argc, argv, &i, "--trigger", &v)) {
            if (v == NULL ||
                roost_config_parse_duration(v, &qc.trigger_ms) < 0 ||
                qc.trigger_ms <= 0) {
                return bad("--trigger", v);
            }
        } else if (cli_opt_value(argc, argv, &i, "--lateness", &v)) {
            if (v == NULL ||
                roost_config_parse_duration(v, &qc.exec.lateness_ms) < 0) {
                return bad("--lateness", v);
            }
        } else if (cli_opt_value(argc, argv, &i, "--checkpoint-interval",
                                 &v)) {
            if (v == NULL ||
                roost_config_parse_duration(v, &ec.ckpt_interval_ms) < 0) {
                return bad("--checkpoint-interval", v);
            }
            if (ec.ckpt_interval_ms == 0) {
                ec.ckpt_interval_ms = -1; /* every commit */
            }
        } else if (cli_opt_value(argc, argv, &i, "--mode", &v)) {
            static const char *const m[] = { "default", "append", "update",
                                             "complete" };
            int k = -1;
            for (int j = 0; v != NULL && j < 4; j++) {
                k = strcmp(v, m[j]) == 0 ? j : k;
            }
            if (k < 0) {
                return bad("--mode (append|update|complete)", v);
            }
            qc.exec.mode = (uint8_t)k;
        } else if (cli_opt_value(argc, argv, &i, "--out", &v)) {
            qc.out_path = v;
            to_store = v != NULL && strncmp(v, "sqlite:", 7) == 0;
            if (to_store) {
                qc.out_path = v + 7;
            }
        } else if (cli_opt_value(argc, argv, &i, "--name", &v)) {
            qc.exec.name = v;
        } else if (cli_opt_value(argc, argv, &i, "--snapshot", &v)) {
            snapshot = v;
        } else if (cli_opt_value(argc, argv, &i, "--input-format", &v)) {
            if (v == NULL || roost_format_parse(v, &fmt) < 0) {
                return bad("--input-format", v);
            }
        } else if (strcmp(argv[i], "--stop-words") == 0) {
            qc.exec.stop_words = true;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "roost: stream: unknown option '%s'\n", argv[i]);
            return CLI_EXIT_USAGE;
        } else if (qc.exec.sql == NULL) {
            qc.exec.sql = argv[i];
        } else {
            fprintf(stderr, "roost: stream: one query at a time (quote it)\n");
            return CLI_EXIT_USAGE;
        }
    }
    if (qc.exec.sql == NULL || n_specs == 0) {
        fputs(cmd_stream_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    if (to_store) {
        qc.format = ROOST_QOUT_STORE;
    }
    ec.ckpt_dir = archive;
    ec.format = fmt;
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    struct roost_engine *e = NULL;
    int rc = roost_engine_new(&ec, &e, &diag);
    if (rc == 0) {
        rc = roost_engine_add_query(e, &qc, &diag);
    }
    if (rc < 0) {
        fprintf(stderr, "roost: stream: %s\n",
                diag.msg[0] ? diag.msg : roost_strerror(rc));
        roost_engine_free(e);
        return rc == ROOST_ENOMEM || rc == ROOST_EIO ? CLI_EXIT_FAIL
                                                     : CLI_EXIT_USAGE;
    }
    struct run_args a = { .specs = specs, .n_specs = n_specs, .engine = e };
    a.pcfg.archive_dir = archive;
    a.pcfg.format = fmt;
    a.pcfg.policy = ROOST_QUEUE_BLOCK;
    for (size_t i = 0; i < n_specs; i++) {
        if (is_live(specs[i])) {
            a.pcfg.policy = ROOST_QUEUE_SPILL;
        }
    }
    int ret = run("stream", &a);
    if (ret == CLI_EXIT_OK && snapshot != NULL &&
        write_snapshot(e, qc.exec.name, snapshot) < 0) {
        fprintf(stderr, "roost: stream: cannot write %s\n", snapshot);
        ret = CLI_EXIT_FAIL;
    }
    roost_engine_free(e);
    return ret;
}

int cmd_run(int argc, char **argv)
{
    const char *path = NULL, *snap_dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (cli_opt_value(argc, argv, &i, "--snapshot-dir", &v)) {
            snap_dir = v;
        } else if (argv[i][0] == '-' || path != NULL) {
            fputs(cmd_run_usage, stderr);
            return CLI_EXIT_USAGE;
        } else {
            path = argv[i];
        }
    }
    if (path == NULL) {
        fputs(cmd_run_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    struct roost_config c;
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    int rc = roost_config_load(path, &c, &diag);
    if (rc < 0) {
        fprintf(stderr, "roost: run: %s\n", diag.msg);
        roost_config_fini(&c);
        return CLI_EXIT_USAGE;
    }
    struct roost_engine_cfg ec = {
        .ckpt_dir = c.archive,
        .ckpt_interval_ms = c.ckpt_interval_ms,
        .trigger_ms = c.trigger_ms,
        .format = (enum roost_format)c.format,
    };
    struct roost_engine *e = NULL;
    char db[4096]; /* output = store without a path: the sqlite: sink */
    rc = roost_engine_new(&ec, &e, &diag);
    for (size_t i = 0; rc == 0 && i < c.n_queries; i++) {
        const struct roost_config_query *q = &c.queries[i];
        struct roost_engine_query_cfg qc = {
            .exec = { .name = q->name, .sql = q->sql, .mode = q->mode,
                      .lateness_ms = q->lateness_ms,
                      .max_state_bytes = q->max_state_bytes,
                      .stop_words = q->stop_words },
            .format = q->format,
            .out_path = q->path != NULL || q->format != ROOST_QOUT_STORE
                            ? q->path
                            : (sqlite_path(c.sinks, c.n_sinks, db,
                                           sizeof(db))
                                   ? db
                                   : NULL),
            .rows = q->rows,
            .trigger_ms = q->trigger_ms,
        };
        rc = roost_engine_add_query(e, &qc, &diag);
        if (rc < 0) {
            fprintf(stderr, "roost: run: %s:%u: query %s: %s\n", path,
                    q->line, q->name, diag.msg);
        }
    }
    if (rc < 0) {
        if (e == NULL) {
            fprintf(stderr, "roost: run: %s\n", diag.msg);
        }
        roost_engine_free(e);
        roost_config_fini(&c);
        return CLI_EXIT_USAGE;
    }
    struct run_args a = { .specs = c.sources, .n_specs = c.n_sources,
                          .sinks = c.sinks, .n_sinks = c.n_sinks,
                          .engine = e };
    a.http = c.http;
    a.token = c.token;
    a.pcfg.archive_dir = c.archive;
    a.pcfg.out_path = c.out;
    a.pcfg.dead_letter_path = c.dead_letter;
    a.pcfg.format = (enum roost_format)c.format;
    if (c.policy >= 0) {
        a.pcfg.policy = (enum roost_queue_policy)c.policy;
    } else {
        a.pcfg.policy = ROOST_QUEUE_BLOCK;
        for (size_t i = 0; i < c.n_sources; i++) {
            if (is_live(c.sources[i])) {
                a.pcfg.policy = ROOST_QUEUE_SPILL;
            }
        }
    }
    int ret = run("run", &a);
    for (size_t i = 0; ret == CLI_EXIT_OK && snap_dir != NULL &&
                       i < c.n_queries;
         i++) {
        char sp[4096];
        snprintf(sp, sizeof(sp), "%s/%s.jsonl", snap_dir, c.queries[i].name);
        if (write_snapshot(e, c.queries[i].name, sp) < 0) {
            fprintf(stderr, "roost: run: cannot write %s\n", sp);
            ret = CLI_EXIT_FAIL;
        }
    }
    roost_engine_free(e);
    roost_config_fini(&c);
    return ret;
}
