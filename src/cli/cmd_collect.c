/* SPDX-License-Identifier: MIT
 *
 * cmd_collect.c - `roost collect`, `roost ingest` and `roost replay`: the
 * three faces of the collect pipeline (engine/pipeline.h).
 *
 *   collect  live sources -> queue -> archive -> normalize -> outputs,
 *            per-second progress on stderr when it is a terminal
 *   ingest   the batch form over files, with a progress bar and ETA
 *   replay   an archive through the same processing, deterministically
 *
 * Each --sink SPEC (sqlite:FILE, ...; store/sink.h) receives every batch's
 * posts and control events after normalizing.
 *
 * SIGINT and SIGTERM stop the pipeline gracefully: queued batches are
 * finished and the checkpoint written. kill -9 is survived too, by
 * recovery at the next start.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "engine/pipeline.h"
#include "store/archive.h"

static struct roost_pipeline *volatile running;

static void on_signal(int sig)
{
    (void)sig;
    if (running != NULL) {
        roost_pipeline_stop(running);
    }
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

struct progress {
    const char *verb;
    bool bar;             /* ingest: percent of total_bytes and ETA */
    bool final_only;      /* not a terminal: one summary line at the end */
    uint64_t total_bytes;
    double t0;
    double last_t;
    uint64_t last_records, last_bytes;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_progress(void *arg, const struct roost_pipeline_stats *st)
{
    struct progress *pr = arg;
    double t = now_s();
    double dt = t - pr->last_t;
    if (dt <= 0) {
        dt = 1e-9;
    }
    double rps = (double)(st->n_records - pr->last_records) / dt;
    double mbps = (double)(st->n_bytes - pr->last_bytes) / dt / 1e6;
    pr->last_t = t;
    pr->last_records = st->n_records;
    pr->last_bytes = st->n_bytes;
    if (pr->final_only) {
        return;
    }
    if (pr->bar && pr->total_bytes > 0) {
        double frac = (double)st->n_bytes / (double)pr->total_bytes;
        if (frac > 0.999) {
            frac = 0.999;
        }
        double el = t - pr->t0;
        double eta = frac > 0 ? el / frac - el : 0;
        int filled = (int)(frac * 30);
        char bar[31];
        for (int i = 0; i < 30; i++) {
            bar[i] = i < filled ? '#' : '.';
        }
        bar[30] = '\0';
        fprintf(stderr,
                "\r%s [%s] %3.0f%%  %8.0f rec/s  %6.1f MB/s  ETA %d:%02d  "
                "dead %llu ",
                pr->verb, bar, frac * 100, rps, mbps, (int)eta / 60,
                (int)eta % 60, (unsigned long long)st->n_dead);
        return;
    }
    fprintf(stderr,
            "%s: %8.0f rec/s %7.1f MB/s  queue %zu (%.1f MB)  spilled %llu  "
            "dropped %llu  dead %llu  posts %llu\n",
            pr->verb, rps, mbps, st->queue.depth,
            (double)st->queue.depth_bytes / 1e6,
            (unsigned long long)st->queue.n_spilled,
            (unsigned long long)st->queue.n_dropped,
            (unsigned long long)st->n_dead,
            (unsigned long long)st->n_posts);
}

static void summary(const char *verb, struct roost_pipeline *p,
                    struct progress *pr)
{
    struct roost_pipeline_stats st;
    roost_pipeline_stats(p, &st);
    double el = now_s() - pr->t0;
    if (pr->bar && !pr->final_only) {
        fputc('\n', stderr);
    }
    fprintf(stderr,
            "%s: %llu records (%.1f MB) in %.2f s, %llu posts, %llu control "
            "events, %llu dead letters (parse=%llu utf8=%llu limit=%llu "
            "other=%llu sink=%llu), %llu recovered, queue spilled %llu "
            "dropped %llu\n",
            verb, (unsigned long long)st.n_records, (double)st.n_bytes / 1e6,
            el, (unsigned long long)st.n_posts, (unsigned long long)st.n_ctls,
            (unsigned long long)st.n_dead,
            (unsigned long long)st.n_dead_parse,
            (unsigned long long)st.n_dead_utf8,
            (unsigned long long)st.n_dead_limit,
            (unsigned long long)st.n_dead_other,
            (unsigned long long)st.n_dead_sink,
            (unsigned long long)st.n_recovered,
            (unsigned long long)st.queue.n_spilled,
            (unsigned long long)st.queue.n_dropped);
}

#define MAX_SINK_SPECS 16

struct sink_specs {
    const char *spec[MAX_SINK_SPECS];
    int n;
};

/* Options common to the three verbs; returns 1 when argv[*i] was one. */
static int common_opt(int argc, char **argv, int *i,
                      struct roost_pipeline_cfg *cfg, bool *policy_set,
                      struct sink_specs *sinks)
{
    const char *v = NULL;
    if (cli_opt_value(argc, argv, i, "--sink", &v)) {
        if (v != NULL && sinks->n >= MAX_SINK_SPECS) {
            fprintf(stderr, "roost: at most %d sinks\n", MAX_SINK_SPECS);
            return -1;
        }
        if (v != NULL) {
            sinks->spec[sinks->n++] = v;
        }
    } else if (cli_opt_value(argc, argv, i, "--out", &v)) {
        cfg->out_path = v;
    } else if (cli_opt_value(argc, argv, i, "--dead-letter", &v)) {
        cfg->dead_letter_path = v;
    } else if (cli_opt_value(argc, argv, i, "--format", &v)) {
        if (v == NULL || roost_format_parse(v, &cfg->format) < 0) {
            fprintf(stderr, "roost: unknown format '%s'\n", v ? v : "");
            return -1;
        }
        return 1;
    } else if (cli_opt_value(argc, argv, i, "--max-record-bytes", &v)) {
        if (v == NULL || cli_parse_size(v, &cfg->max_record_bytes) < 0) {
            fprintf(stderr, "roost: bad size '%s'\n", v ? v : "");
            return -1;
        }
        return 1;
    } else if (cli_opt_value(argc, argv, i, "--queue-bytes", &v)) {
        if (v == NULL || cli_parse_size(v, &cfg->queue_bytes) < 0) {
            fprintf(stderr, "roost: bad size '%s'\n", v ? v : "");
            return -1;
        }
        return 1;
    } else if (cli_opt_value(argc, argv, i, "--policy", &v)) {
        if (v != NULL && strcmp(v, "block") == 0) {
            cfg->policy = ROOST_QUEUE_BLOCK;
        } else if (v != NULL && strcmp(v, "spill") == 0) {
            cfg->policy = ROOST_QUEUE_SPILL;
        } else if (v != NULL && strcmp(v, "drop-oldest") == 0) {
            cfg->policy = ROOST_QUEUE_DROP_OLDEST;
        } else {
            fprintf(stderr, "roost: --policy block|spill|drop-oldest\n");
            return -1;
        }
        *policy_set = true;
        return 1;
    } else if (cli_opt_value(argc, argv, i, "--fsync", &v)) {
        static const char *const names[] = { "block", "none", "interval",
                                              "segment" };
        int k = -1;
        for (int j = 0; v != NULL && j < 4; j++) {
            if (strcmp(v, names[j]) == 0) {
                k = j;
            }
        }
        if (k < 0) {
            fprintf(stderr, "roost: --fsync block|none|interval|segment\n");
            return -1;
        }
        cfg->archive_fsync = k;
        return 1;
    } else if (cli_opt_value(argc, argv, i, "--spill-dir", &v)) {
        cfg->spill_dir = v;
    } else if (cli_opt_value(argc, argv, i, "--process-delay-ms", &v)) {
        cfg->process_delay_ms = v ? strtoll(v, NULL, 10) : 0;
    } else if (strcmp(argv[*i], "--control") == 0) {
        cfg->out_control = true;
        return 1;
    } else {
        return 0;
    }
    return v == NULL ? -1 : 1;
}

/* add_sinks - create and open each --sink; prints why one fails. */
static int add_sinks(const char *verb, struct roost_pipeline *p,
                     const struct sink_specs *sinks)
{
    struct roost_diag diag;
    for (int i = 0; i < sinks->n; i++) {
        struct roost_sink *sink = NULL;
        memset(&diag, 0, sizeof(diag));
        int rc = roost_sink_new(sinks->spec[i], &sink, &diag);
        if (rc < 0) {
            fprintf(stderr, "roost: %s: sink '%s': %s\n", verb, sinks->spec[i],
                    diag.msg[0] ? diag.msg : roost_strerror(rc));
            return CLI_EXIT_USAGE;
        }
        rc = roost_pipeline_add_sink(p, sink, &diag);
        if (rc < 0) {
            fprintf(stderr, "roost: %s: %s\n", verb,
                    diag.msg[0] ? diag.msg : roost_strerror(rc));
            return CLI_EXIT_FAIL;
        }
    }
    return CLI_EXIT_OK;
}

static int run_pipeline(const char *verb, struct roost_pipeline_cfg *cfg,
                        char **specs, int n_specs,
                        const struct sink_specs *sinks, struct progress *pr)
{
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    struct roost_pipeline *p = NULL;
    cfg->progress = on_progress;
    cfg->progress_arg = pr;
    int rc = roost_pipeline_new(cfg, &p, &diag);
    if (rc < 0) {
        fprintf(stderr, "roost: %s: %s\n", verb, diag.msg);
        return CLI_EXIT_FAIL;
    }
    rc = add_sinks(verb, p, sinks);
    if (rc != CLI_EXIT_OK) {
        roost_pipeline_free(p);
        return rc;
    }
    for (int i = 0; i < n_specs; i++) {
        struct roost_source *src = NULL;
        rc = roost_source_new(specs[i], &src, &diag);
        if (rc == 0) {
            rc = roost_pipeline_add_source(p, src);
        }
        if (rc < 0) {
            fprintf(stderr, "roost: %s: source '%s': %s\n", verb, specs[i],
                    diag.msg[0] ? diag.msg : roost_strerror(rc));
            roost_pipeline_free(p);
            return CLI_EXIT_USAGE;
        }
    }
    running = p;
    catch_signals();
    pr->t0 = pr->last_t = now_s();
    rc = roost_pipeline_run(p, &diag);
    running = NULL;
    summary(verb, p, pr);
    roost_pipeline_free(p);
    if (rc < 0) {
        fprintf(stderr, "roost: %s: %s\n", verb,
                diag.msg[0] ? diag.msg : roost_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* Live sources cannot be paused without losing data at the platform. */
static bool is_live(const char *spec)
{
    static const char *const live[] = { "tcp",      "simulate", "stdin",
                                        "x1",       "x2",       "xsearch",
                                        "jetstream", "mastodon", "github" };
    for (size_t i = 0; i < sizeof(live) / sizeof(live[0]); i++) {
        size_t n = strlen(live[i]);
        if (strncmp(spec, live[i], n) == 0 &&
            (spec[n] == ':' || spec[n] == '?' || spec[n] == '\0')) {
            return true;
        }
    }
    return false;
}

int cmd_collect(int argc, char **argv)
{
    struct roost_pipeline_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    char *specs[64];
    int n_specs = 0;
    struct sink_specs sinks = { .n = 0 };
    bool policy_set = false, quiet = false, progress = isatty(2);
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int c = common_opt(argc, argv, &i, &cfg, &policy_set, &sinks);
        if (c < 0) {
            return CLI_EXIT_USAGE;
        }
        if (c > 0) {
            continue;
        }
        if (cli_opt_value(argc, argv, &i, "--source", &v)) {
            if (v == NULL || n_specs >= 64) {
                return CLI_EXIT_USAGE;
            }
            specs[n_specs++] = (char *)v;
        } else if (cli_opt_value(argc, argv, &i, "--archive", &v)) {
            if (v == NULL) {
                return CLI_EXIT_USAGE;
            }
            cfg.archive_dir = v;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else if (strcmp(argv[i], "--progress") == 0) {
            progress = true;
        } else {
            fprintf(stderr, "roost: collect: unknown argument '%s'\n",
                    argv[i]);
            return CLI_EXIT_USAGE;
        }
    }
    if (n_specs == 0 || cfg.archive_dir == NULL) {
        fprintf(stderr, "usage: roost collect --source SPEC... --archive DIR "
                        "[options]; see roost help collect\n");
        return CLI_EXIT_USAGE;
    }
    if (!policy_set) {
        /* Back-pressure is free for files; a live connection must never
         * be stalled, so live sources spill instead. */
        cfg.policy = ROOST_QUEUE_BLOCK;
        for (int i = 0; i < n_specs; i++) {
            if (is_live(specs[i])) {
                cfg.policy = ROOST_QUEUE_SPILL;
            }
        }
    }
    struct progress pr = { .verb = "collect", .final_only = !progress };
    if (quiet) {
        pr.final_only = true;
    }
    return run_pipeline("collect", &cfg, specs, n_specs, &sinks, &pr);
}

int cmd_ingest(int argc, char **argv)
{
    struct roost_pipeline_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    struct sink_specs sinks = { .n = 0 };
    bool policy_set = false;
    int i = 1;
    for (; i < argc; i++) {
        const char *v = NULL;
        int c = common_opt(argc, argv, &i, &cfg, &policy_set, &sinks);
        if (c < 0) {
            return CLI_EXIT_USAGE;
        }
        if (c > 0) {
            continue;
        }
        if (cli_opt_value(argc, argv, &i, "--archive", &v)) {
            if (v == NULL) {
                return CLI_EXIT_USAGE;
            }
            cfg.archive_dir = v;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "roost: ingest: unknown option '%s'\n", argv[i]);
            return CLI_EXIT_USAGE;
        } else {
            break;
        }
    }
    int n_files = argc - i;
    if (n_files <= 0 || n_files > 64) {
        fprintf(stderr, "usage: roost ingest [options] FILE...\n");
        return CLI_EXIT_USAGE;
    }
    if (cfg.out_path == NULL && sinks.n == 0) {
        cfg.out_path = "-"; /* with sinks, JSON only when asked */
    }
    cfg.inputs_replayable = true; /* files: run it again */
    char *specs[64];
    struct progress pr = { .verb = "ingest", .bar = true,
                           .final_only = !isatty(2) };
    int rc = CLI_EXIT_OK;
    for (int k = 0; k < n_files; k++) {
        struct stat st;
        if (stat(argv[i + k], &st) != 0) {
            fprintf(stderr, "roost: ingest: cannot open %s\n", argv[i + k]);
            rc = CLI_EXIT_FAIL;
            n_files = k;
            break;
        }
        pr.total_bytes += (uint64_t)st.st_size;
        size_t n = strlen(argv[i + k]) + 16;
        specs[k] = malloc(n);
        if (specs[k] == NULL) {
            n_files = k;
            rc = CLI_EXIT_FAIL;
            break;
        }
        /* Each file is its own source instance, named after its index so
         * positions resume per file. */
        snprintf(specs[k], n, "file:%s?name=file%d", argv[i + k], k);
    }
    if (rc == CLI_EXIT_OK) {
        rc = run_pipeline("ingest", &cfg, specs, n_files, &sinks, &pr);
    }
    for (int k = 0; k < n_files; k++) {
        free(specs[k]);
    }
    return rc;
}

int cmd_replay(int argc, char **argv)
{
    struct roost_pipeline_cfg cfg;
    memset(&cfg, 0, sizeof(cfg));
    bool policy_set = false;
    const char *dir = NULL, *source = NULL;
    int64_t from = INT64_MIN, to = INT64_MAX;
    double speed = 0;
    struct sink_specs sinks = { .n = 0 };
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int c = common_opt(argc, argv, &i, &cfg, &policy_set, &sinks);
        if (c < 0) {
            return CLI_EXIT_USAGE;
        }
        if (c > 0) {
            continue;
        }
        if (cli_opt_value(argc, argv, &i, "--from", &v) ||
            cli_opt_value(argc, argv, &i, "--to", &v)) {
            int64_t ms;
            bool is_from = strncmp(argv[i - 1], "--from", 6) == 0 ||
                           strncmp(argv[i], "--from=", 7) == 0;
            if (v == NULL || (roost_time_parse(v, strlen(v), &ms) < 0 &&
                              roost_parse_i64(v, &ms) < 0)) {
                fprintf(stderr, "roost: replay: bad time '%s' (ISO 8601 or "
                                "epoch ms)\n", v ? v : "");
                return CLI_EXIT_USAGE;
            }
            if (is_from) {
                from = ms;
            } else {
                to = ms;
            }
        } else if (cli_opt_value(argc, argv, &i, "--speed", &v)) {
            char *end = NULL;
            if (v != NULL && strcmp(v, "max") == 0) {
                speed = 0;
            } else if (v == NULL || (speed = strtod(v, &end)) <= 0 ||
                       (*end != 'x' && *end != '\0')) {
                fprintf(stderr, "roost: replay: --speed max|1x|10x|N\n");
                return CLI_EXIT_USAGE;
            }
        } else if (cli_opt_value(argc, argv, &i, "--source", &v)) {
            source = v;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "roost: replay: unknown option '%s'\n", argv[i]);
            return CLI_EXIT_USAGE;
        } else if (dir == NULL) {
            dir = argv[i];
        } else {
            fprintf(stderr, "roost: replay: one archive at a time\n");
            return CLI_EXIT_USAGE;
        }
    }
    if (dir == NULL) {
        fprintf(stderr, "usage: roost replay ARCHIVE [--from T] [--to T] "
                        "[--speed max|1x|10x]\n");
        return CLI_EXIT_USAGE;
    }
    if (cfg.out_path == NULL && sinks.n == 0) {
        cfg.out_path = "-";
    }
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    struct roost_pipeline *p = NULL;
    struct progress pr = { .verb = "replay", .final_only = true };
    cfg.inputs_replayable = true; /* the archive: replay it again */
    cfg.progress = on_progress;
    cfg.progress_arg = &pr;
    if (roost_pipeline_new(&cfg, &p, &diag) < 0) {
        fprintf(stderr, "roost: replay: %s\n", diag.msg);
        return CLI_EXIT_FAIL;
    }
    int src = add_sinks("replay", p, &sinks);
    if (src != CLI_EXIT_OK) {
        roost_pipeline_free(p);
        return src;
    }
    running = p;
    catch_signals();
    pr.t0 = pr.last_t = now_s();
    int rc = roost_pipeline_replay(p, dir, from, to, source, speed, &diag);
    running = NULL;
    summary("replay", p, &pr);
    roost_pipeline_free(p);
    if (rc < 0) {
        fprintf(stderr, "roost: replay: %s\n",
                diag.msg[0] ? diag.msg : roost_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}
