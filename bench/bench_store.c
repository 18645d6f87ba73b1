/* SPDX-License-Identifier: MIT
 *
 * bench_store.c - posts per second into the SQLite store on one core.
 *
 * Two feeds. By default it generates records with the simulator
 * (deterministic, seed 1, a real sample's mix: retweets carry their
 * original as a second post, ~7% deletes) and flushes (commits) after
 * every write of `batch` records. With --file it reads a JSONL corpus
 * (bench/out/corpus-v1-100k.jsonl) in batches of about 1 MiB, the way the
 * pipeline cuts a file source, and flushes every `flush-every` writes
 * (the pipeline commits every 250 ms). Records are parsed and normalized
 * batch by batch; only the sink's write + flush are timed. Runs without
 * and with FTS (--fts true|false: one of them), each into a fresh file in
 * DIR (default /tmp), synchronous=normal.
 *
 * Usage: bench_store [records] [batch] [dir]     (defaults 200000 1000)
 *        bench_store --file PATH [--flush-every N] [--fts B] [--dir DIR]
 *                    [--opts 'k=v&k=v']   (extra sink options)
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

#define FILE_BATCH_BYTES (1u << 20)

struct feed {
    struct roost_sim *sim; /* or */
    FILE *file;
    uint32_t batch; /* records per write (simulator) */
    char *line;     /* getline buffer (file) */
    size_t line_cap;
    bool done;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of this thread: steadier than wall time on a shared machine. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void unlink_db(const char *path)
{
    static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
    for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
        char p[600];
        snprintf(p, sizeof(p), "%s%s", path, sfx[i]);
        unlink(p);
    }
}

/* next_batch - fill `in` with the next batch's records, one per line. */
static void next_batch(struct feed *f, struct roost_buf *in)
{
    roost_buf_reset(in);
    if (f->sim != NULL) {
        for (uint32_t i = 0; i < f->batch; i++) {
            if (roost_sim_next(f->sim, in, NULL) < 0) {
                f->done = true;
                return;
            }
        }
        return;
    }
    while (in->len < FILE_BATCH_BYTES) {
        ssize_t n = getline(&f->line, &f->line_cap, f->file);
        if (n <= 0) {
            f->done = true;
            return;
        }
        if (roost_buf_add(in, f->line, (size_t)n) < 0) {
            f->done = true;
            return;
        }
    }
}

static int run(struct feed *f, uint32_t flush_every, const char *dir, bool fts,
               const char *opts)
{
    char path[512], spec[1200];
    snprintf(path, sizeof(path), "%s/bench-store-%d.db", dir, (int)getpid());
    unlink_db(path);
    snprintf(spec, sizeof(spec), "sqlite:%s?fts=%s%s%s", path,
             fts ? "true" : "false", opts[0] != '\0' ? "&" : "", opts);
    struct roost_sink *sink = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    if (roost_sink_new(spec, &sink, &d) < 0 || roost_sink_open(sink, &d) < 0) {
        fprintf(stderr, "bench_store: %s\n", d.msg);
        roost_sink_free(sink);
        return 1;
    }
    struct roost_buf in;
    roost_buf_init(&in, 1u << 30);
    struct roost_json_doc doc;
    roost_json_doc_init(&doc, ROOST_JSON_DEFAULT_DEPTH, 1u << 20);
    struct roost_norm norm;
    roost_norm_init(&norm);
    uint64_t n_posts = 0, n_ctls = 0, n_recs = 0, n_writes = 0;
    double t_sink = 0, cpu_sink = 0, t_all0 = now_s();
    int rc = 0;
    while (!f->done && rc == 0) {
        roost_norm_reset(&norm);
        next_batch(f, &in);
        /* Records are lines in `in`, which does not move from here on. */
        const char *p = in.ptr, *end = in.ptr + in.len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
            if (len > 0 && roost_json_parse(&doc, p, len, NULL) == 0) {
                roost_norm_record(&norm, &doc, p, len, ROOST_FMT_AUTO, NULL);
            }
            n_recs++;
            p += len + 1;
        }
        struct roost_sink_batch b = { norm.posts, norm.n_posts, norm.ctls,
                                      norm.n_ctls };
        double t0 = now_s(), c0 = cpu_s();
        rc = roost_sink_write(sink, &b);
        n_writes++;
        if (rc == 0 && (f->done || n_writes % flush_every == 0)) {
            rc = roost_sink_flush(sink);
        }
        t_sink += now_s() - t0;
        cpu_sink += cpu_s() - c0;
        n_posts += norm.n_posts;
        n_ctls += norm.n_ctls;
    }
    double t0 = now_s(), c0 = cpu_s();
    roost_sink_free(sink); /* close may checkpoint: part of the cost */
    t_sink += now_s() - t0;
    cpu_sink += cpu_s() - c0;
    double t_all = now_s() - t_all0;
    if (rc < 0) {
        fprintf(stderr, "bench_store: write failed: %s\n", sink->diag.msg);
    }
    roost_norm_fini(&norm);
    roost_json_doc_fini(&doc);
    roost_buf_fini(&in);
    printf("info: sqlite fts=%-5s %llu records, %llu posts, %llu control "
           "events, %llu writes: sink %.2f s (cpu %.2f s) = %.0f posts/s "
           "(%.2f us/post); "
           "end to end incl. %s+normalize %.0f posts/s\n",
           fts ? "true" : "false", (unsigned long long)n_recs,
           (unsigned long long)n_posts, (unsigned long long)n_ctls,
           (unsigned long long)n_writes, t_sink, cpu_sink,
           (double)n_posts / t_sink, t_sink * 1e6 / (double)n_posts,
           f->sim != NULL ? "simulate" : "read", (double)n_posts / t_all);
    if (getenv("ROOST_BENCH_KEEP") == NULL) {
        unlink_db(path);
    }
    return rc < 0;
}

static int run_sim(uint64_t n_records, uint32_t batch, const char *dir,
                   bool fts)
{
    struct roost_sim_cfg cfg;
    roost_sim_cfg_default(&cfg);
    cfg.count = n_records;
    struct feed f = { .batch = batch };
    if (roost_sim_new(&cfg, &f.sim) < 0) {
        return 1;
    }
    int rc = run(&f, 1, dir, fts, "");
    roost_sim_free(f.sim);
    return rc;
}

static int run_file(const char *file, uint32_t flush_every, const char *dir,
                    bool fts, const char *opts)
{
    struct feed f = { .file = fopen(file, "r") };
    if (f.file == NULL) {
        perror(file);
        return 1;
    }
    int rc = run(&f, flush_every, dir, fts, opts);
    free(f.line);
    fclose(f.file);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--file") == 0) {
        const char *file = argc > 2 ? argv[2] : NULL;
        const char *dir = "/tmp", *opts = "";
        uint32_t flush_every = 32;
        int fts = -1;
        for (int i = 3; i + 1 < argc; i += 2) {
            if (strcmp(argv[i], "--flush-every") == 0) {
                flush_every = (uint32_t)strtoul(argv[i + 1], NULL, 10);
            } else if (strcmp(argv[i], "--fts") == 0) {
                fts = strcmp(argv[i + 1], "true") == 0;
            } else if (strcmp(argv[i], "--dir") == 0) {
                dir = argv[i + 1];
            } else if (strcmp(argv[i], "--opts") == 0) {
                opts = argv[i + 1];
            } else {
                file = NULL;
            }
        }
        if (file == NULL || flush_every == 0) {
            fprintf(stderr, "usage: bench_store --file PATH [--flush-every N] "
                            "[--fts true|false] [--dir DIR] [--opts K=V&..]\n");
            return 2;
        }
        int rc = fts != 1 ? run_file(file, flush_every, dir, false, opts) : 0;
        return rc |
               (fts != 0 ? run_file(file, flush_every, dir, true, opts) : 0);
    }
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000;
    uint32_t batch = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1000;
    const char *dir = argc > 3 ? argv[3] : "/tmp";
    if (n == 0 || batch == 0) {
        fprintf(stderr, "usage: bench_store [records] [batch] [dir]\n"
                        "       bench_store --file PATH [--flush-every N] "
                        "[--fts true|false] [--dir DIR] [--opts K=V&..]\n");
        return 2;
    }
    int rc = run_sim(n, batch, dir, false);
    return rc | run_sim(n, batch, dir, true);
}
