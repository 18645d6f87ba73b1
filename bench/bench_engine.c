/* SPDX-License-Identifier: MIT
 *
 * bench_engine.c - continuous query throughput on one core.
 *
 * Reads a JSONL file (default: 20000 records from `roost simulate`, made
 * by the caller) into memory and normalizes it once; then pushes every
 * post through each query several times, so I/O and parsing do not hide
 * the engine. Prints posts/s, state bytes per distinct key and the p99
 * latency of one push (a record's arrival to its result state update).
 * usage: bench_engine FILE.jsonl [ROUNDS]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
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
    roost_norm_fini(&norm);
    roost_json_doc_fini(&doc);
    free(buf);
    return 0;
}
