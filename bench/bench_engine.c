/* SPDX-License-Identifier: MIT
 *
 * bench_engine.c - continuous query throughput on one core.
 *
 * Reads a JSONL file (default: 20000 records from `roost simulate`, made
 * by the caller) into memory and normalizes it once; then pushes every
 * post through each query several times, so I/O and parsing do not hide
 * the engine. Prints posts/s, state bytes per distinct key and the p99
 * latency of one push (a record's arrival to its result state update).
 *
 * Then the end-to-end latency: posts are pushed into a struct
 * roost_engine at a steady rate (a running total with EMIT CHANGES
 * EVERY 10 ms, ticked after every post as the pipeline does when idle),
 * and each post's latency is the time from its push to the return of the
 * trigger that published the result table containing it, where the API
 * and the dashboard read it. p50/p99 are dominated by the trigger
 * interval (a post waits for the next trigger); the trigger's own cost
 * is printed beside them.
 * usage: bench_engine FILE.jsonl [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "engine/engine.h"
#include "engine/exec.h"
#include "parse/json.h"
#include "parse/post.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void run(const char *label, const char *sql, bool stop_words,
                const struct roost_norm *norm, int rounds)
{
    struct roost_exec_cfg cfg = { .name = "b", .sql = sql,
                                  .stop_words = stop_words,
                                  .lateness_ms = -1 };
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    struct roost_exec *x = NULL;
    if (roost_exec_new(&cfg, &x, &d) < 0) {
        fprintf(stderr, "%s: %s\n", label, d.msg);
        return;
    }
    size_t n = norm->n_posts;
    double *lat = malloc(n * sizeof(*lat));
    double t0 = now_ns();
    uint64_t pushed = 0;
    for (int r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i++) {
            double a = now_ns();
            roost_exec_push(x, &norm->posts[i], 0);
            if (r == rounds - 1) {
                lat[i] = now_ns() - a;
            }
            pushed++;
        }
    }
    double el = (now_ns() - t0) / 1e9;
    qsort(lat, n, sizeof(*lat), cmp_d);
    struct roost_exec_stats st;
    roost_exec_stats(x, &st);
    printf("%-22s %10.0f posts/s  %7.0f ns/post  rows %8llu  keys %7llu  "
           "state %6.0f B/key  p99 push %6.0f ns\n",
           label, (double)pushed / el, el * 1e9 / (double)pushed,
           (unsigned long long)st.n_rows, (unsigned long long)st.n_groups,
           st.n_groups ? (double)st.state_bytes / (double)st.n_groups : 0.0,
           lat[n * 99 / 100]);
    free(lat);
    roost_exec_free(x);
}

#define LAT_TRIGGER_MS 10
#define LAT_GAP_NS     20000.0 /* one post per 20 us: 50k posts/s */

static void run_latency(const struct roost_norm *norm)
{
    struct roost_engine_cfg ec = { .trigger_ms = LAT_TRIGGER_MS };
    struct roost_engine_query_cfg qc = {
        .exec = { .name = "lat",
                  .sql = "SELECT tag_lower, COUNT(*) AS n FROM hashtags "
                         "GROUP BY tag_lower ORDER BY n DESC LIMIT 10 "
                         "EMIT CHANGES EVERY INTERVAL '10' MILLISECONDS",
                  .lateness_ms = -1 },
        .format = ROOST_QOUT_NONE,
    };
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    struct roost_engine *e = NULL;
    if (roost_engine_new(&ec, &e, &d) < 0 ||
        roost_engine_add_query(e, &qc, &d) < 0) {
        fprintf(stderr, "latency: %s\n", d.msg);
        roost_engine_free(e);
        return;
    }
    size_t n = norm->n_posts;
    double *lat = malloc(n * sizeof(*lat));
    double *pushed_at = malloc(n * sizeof(*pushed_at));
    double *trig = malloc(n * sizeof(*trig));
    size_t n_lat = 0, n_trig = 0, waiting = 0;
    struct roost_engine_stats st;
    roost_engine_stats(e, &st);
    uint64_t triggers = st.n_triggers;
    double next = now_ns();
    for (size_t i = 0; i < n; i++) {
        while (now_ns() < next) {
        }
        next += LAT_GAP_NS;
        pushed_at[i] = now_ns();
        roost_engine_push_posts(e, &norm->posts[i], 1);
        double t = now_ns();
        roost_engine_tick(e);
        roost_engine_stats(e, &st);
        if (st.n_triggers != triggers) {
            double done = now_ns();
            triggers = st.n_triggers;
            trig[n_trig++] = done - t;
            for (; waiting <= i; waiting++) {
                lat[n_lat++] = done - pushed_at[waiting];
            }
        }
    }
    if (n_lat > 0 && n_trig > 0) {
        qsort(lat, n_lat, sizeof(*lat), cmp_d);
        qsort(trig, n_trig, sizeof(*trig), cmp_d);
        printf("%-22s arrival -> result table: p50 %.2f ms  p99 %.2f ms  "
               "(%zu posts at %.0f/s, trigger %d ms; %zu triggers, "
               "p50 %.0f us p99 %.0f us each)\n",
               "latency (EMIT CHANGES)", lat[n_lat / 2] / 1e6,
               lat[n_lat * 99 / 100] / 1e6, n_lat, 1e9 / LAT_GAP_NS,
               LAT_TRIGGER_MS, n_trig, trig[n_trig / 2] / 1e3,
               trig[n_trig * 99 / 100] / 1e3);
    }
    free(trig);
    free(pushed_at);
    free(lat);
    roost_engine_free(e);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_engine FILE.jsonl [ROUNDS]\n");
        return 2;
    }
    int rounds = argc > 2 ? atoi(argv[2]) : 5;
    FILE *f = fopen(argv[1], "rb");
    if (f == NULL) {
        perror(argv[1]);
        return 1;
    }
    size_t cap = (size_t)1 << 30, len = 0;
    char *buf = malloc(cap);
    len = fread(buf, 1, cap, f);
    fclose(f);
    struct roost_json_doc doc;
    roost_json_doc_init(&doc, 0, 1u << 24);
    struct roost_norm norm;
    roost_norm_init(&norm);
    norm.arena.max_bytes = (size_t)4 << 30;
    for (char *p = buf; p < buf + len;) {
        char *nl = memchr(p, '\n', (size_t)(buf + len - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(buf + len - p);
        struct roost_diag d;
        memset(&d, 0, sizeof(d));
        if (roost_json_parse(&doc, p, l, &d) == 0) {
            roost_norm_record(&norm, &doc, p, l, ROOST_FMT_AUTO, &d);
        }
        p += l + 1;
    }
    printf("%u posts in memory, %d rounds each\n", norm.n_posts, rounds);
    run("word count", "SELECT word, COUNT(*) AS n FROM words GROUP BY word",
        true, &norm, rounds);
    run("top hashtags (total)",
        "SELECT tag_lower, COUNT(*) AS n FROM hashtags GROUP BY tag_lower "
        "ORDER BY n DESC LIMIT 10",
        false, &norm, rounds);
    run("top hashtags (hop 1h/5m)",
        "SELECT tag_lower, COUNT(*) AS n FROM hashtags GROUP BY tag_lower, "
        "HOP(created_at, INTERVAL '1' HOUR, INTERVAL '5' MINUTE) "
        "ORDER BY n DESC LIMIT 10",
        false, &norm, rounds);
    run("TOP_K per minute",
        "SELECT TOP_K(tag_lower, 20) AS top FROM hashtags "
        "GROUP BY TUMBLE(created_at, INTERVAL '1' MINUTE)",
        false, &norm, rounds);
    run_latency(&norm);
    roost_norm_fini(&norm);
    roost_json_doc_fini(&doc);
    free(buf);
    return 0;
}
