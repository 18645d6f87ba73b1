/* SPDX-License-Identifier: MIT
 *
 * bench_store.c - posts per second into the SQLite store on one core.
 *
 * Generates records with the simulator (deterministic, seed 1, a real
 * sample's mix: retweets carry their original as a second post, ~7%
 * deletes), normalizes them batch by batch, and times only the sink's
 * write + flush, the way the pipeline calls them: one write per batch of
 * `batch` records, a flush (commit) after each. Runs without and with
 * FTS, each into a fresh file in DIR (default /tmp), synchronous=normal.
 *
 * Usage: bench_store [records] [batch] [dir]     (defaults 200000 1000)
 * With ROOST_BENCH_KEEP set, the store file is kept for inspection (both
 * runs use the same path: the FTS run's store is the one left).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/buf.h"
#include "parse/json.h"
#include "parse/post.h"
#include "source/simulate.h"
#include "store/sink.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int run(uint64_t n_records, uint32_t batch, const char *dir, bool fts)
{
    char path[512], spec[600];
    snprintf(path, sizeof(path), "%s/bench-store-%d.db", dir, (int)getpid());
    for (const char *sfx = ""; sfx != NULL; sfx = sfx[0] == '\0'  ? "-wal"
                                                  : sfx[1] == 'w' ? "-shm"
                                                                  : NULL) {
        char p[600];
        snprintf(p, sizeof(p), "%s%s", path, sfx);
        unlink(p);
    }
    snprintf(spec, sizeof(spec), "sqlite:%s?fts=%s", path,
             fts ? "true" : "false");
    struct roost_sink *sink = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    if (roost_sink_new(spec, &sink, &d) < 0 || roost_sink_open(sink, &d) < 0) {
        fprintf(stderr, "bench_store: %s\n", d.msg);
        roost_sink_free(sink);
        return 1;
    }
    struct roost_sim_cfg cfg;
    roost_sim_cfg_default(&cfg);
    cfg.count = n_records;
    struct roost_sim *sim = NULL;
    if (roost_sim_new(&cfg, &sim) < 0) {
        return 1;
    }
    struct roost_buf in;
    roost_buf_init(&in, 1u << 30);
    struct roost_json_doc doc;
    roost_json_doc_init(&doc, ROOST_JSON_DEFAULT_DEPTH, 1u << 20);
    struct roost_norm norm;
    roost_norm_init(&norm);
    uint64_t n_posts = 0, n_ctls = 0, n_recs = 0;
    double t_sink = 0, t_all0 = now_s();
    int rc = 0;
    bool done = false;
    while (!done && rc == 0) {
        roost_buf_reset(&in);
        roost_norm_reset(&norm);
        for (uint32_t i = 0; i < batch; i++) {
            if (roost_sim_next(sim, &in, NULL) < 0) {
                done = true;
                break;
            }
        }
        /* Records are lines in `in`, which does not move from here on. */
        const char *p = in.ptr, *end = in.ptr + in.len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
            if (roost_json_parse(&doc, p, len, NULL) == 0) {
                roost_norm_record(&norm, &doc, p, len, ROOST_FMT_AUTO, NULL);
            }
            n_recs++;
            p += len + 1;
        }
        struct roost_sink_batch b = { norm.posts, norm.n_posts, norm.ctls,
                                      norm.n_ctls };
        double t0 = now_s();
        rc = roost_sink_write(sink, &b);
        if (rc == 0) {
            rc = roost_sink_flush(sink);
        }
        t_sink += now_s() - t0;
        n_posts += norm.n_posts;
        n_ctls += norm.n_ctls;
    }
    double t_all = now_s() - t_all0;
    if (rc < 0) {
        fprintf(stderr, "bench_store: write failed: %s\n", sink->diag.msg);
    }
    roost_sink_free(sink);
    roost_norm_fini(&norm);
    roost_json_doc_fini(&doc);
    roost_buf_fini(&in);
    roost_sim_free(sim);
    printf("info: sqlite fts=%-5s %llu records, %llu posts, %llu control "
           "events: sink %.2f s = %.0f posts/s (%.2f us/post); end to end "
           "incl. simulate+normalize %.0f posts/s\n",
           fts ? "true" : "false", (unsigned long long)n_recs,
           (unsigned long long)n_posts, (unsigned long long)n_ctls, t_sink,
           (double)n_posts / t_sink, t_sink * 1e6 / (double)n_posts,
           (double)n_posts / t_all);
    for (const char *sfx = "";
         sfx != NULL && getenv("ROOST_BENCH_KEEP") == NULL;
         sfx = sfx[0] == '\0'  ? "-wal"
               : sfx[1] == 'w' ? "-shm"
                               : NULL) {
        char p2[600];
        snprintf(p2, sizeof(p2), "%s%s", path, sfx);
        unlink(p2);
    }
    return rc < 0;
}

int main(int argc, char **argv)
{
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    uint32_t batch = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1000;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    if (n == 0 || batch == 0) {
        fprintf(stderr, "usage: bench_store [records] [batch] [dir]\n");
        return 2;
    }
    int rc = run(n, batch, dir, false);
    return rc | run(n, batch, dir, true);
}
