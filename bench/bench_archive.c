/* SPDX-License-Identifier: MIT
 *
 * bench_archive.c - raw archive write and read throughput, and the
 * compression ratio, on tweet-sized JSON records.
 *
 * Records are the lines of FILE (default: the covid sample stream in
 * ../shared/data when present), else synthetic ~4 KB JSON tweets. About
 * `mb` MB (default 256) are appended, flushed every 100 records, for each
 * configuration: zstd levels 1 and 3 with fsync NONE (CPU cost), and
 * level 1 with fsync BLOCK (the acknowledged default, disk-bound). Then
 * the level-1 archive is read back in full. One core, best of one pass.
 * Usage: bench_archive [FILE] [mb]     (archives go under $TMPDIR)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "store/archive.h"

#define DEFAULT_FILE                                                           \
    "../shared/data/tweets-corpus-covid-analysis/"                             \
    "sample-stream-2021-01-01T0729Z.jsonl"

struct line {
    const char *p;
    size_t len;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = sz > 0 ? roost_malloc((size_t)sz) : NULL;
    if (buf == NULL || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        fclose(f);
        roost_free(buf);
        return NULL;
    }
    fclose(f);
    *len = (size_t)sz;
    return buf;
}

/* synth - n JSON-like tweets of about 4 KB with varied words and ids. */
static char *synth(size_t n, size_t *len)
{
    static const char *words[] = {
        "covid", "vaccine",  "news",   "today", "people", "#stayhome",
        "@who",  "health",   "update", "cases", "world",  "https://t.co/x",
        "mask",  "lockdown", "new",    "year",  "2021",   "the",
    };
    size_t cap = n * 4400;
    char *buf = roost_malloc(cap);
    if (buf == NULL) {
        return NULL;
    }
    size_t o = 0;
    uint64_t x = 88172645463325252ull;
    for (size_t i = 0; i < n; i++) {
        o += (size_t)snprintf(
            buf + o, cap - o,
            "{\"created_at\":\"Fri Jan 01 07:29:%02zu "
            "+0000 2021\",\"id\":%llu,\"text\":\"",
            i % 60, (unsigned long long)(1344880000000000000ull + i * 7919));
        for (int w = 0; w < 40; w++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            o += (size_t)snprintf(buf + o, cap - o, "%s ", words[x % 18]);
        }
        o += (size_t)snprintf(buf + o, cap - o,
                              "\",\"user\":{\"id\":%llu,\"screen_name\":"
                              "\"user%llu\",\"followers_count\":%llu,"
                              "\"description\":\"",
                              (unsigned long long)(x % 100000000),
                              (unsigned long long)(x % 1000003),
                              (unsigned long long)(x % 50000));
        while (o < (i + 1) * 4096 - 40) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            o += (size_t)snprintf(buf + o, cap - o, "%s ", words[x % 18]);
        }
        o += (size_t)snprintf(buf + o, cap - o, "\"}}\n");
    }
    *len = o;
    return buf;
}

static size_t split(char *buf, size_t len, struct line **out)
{
    size_t n = 0, cap = 1024;
    struct line *v = roost_malloc(cap * sizeof(*v));
    size_t s = 0;
    for (size_t i = 0; v != NULL && i < len; i++) {
        if (buf[i] != '\n') {
            continue;
        }
        if (i > s) {
            if (n == cap) {
                cap *= 2;
                v = roost_realloc(v, cap * sizeof(*v));
                if (v == NULL) {
                    break;
                }
            }
            v[n].p = buf + s;
            v[n].len = i - s;
            n++;
        }
        s = i + 1;
    }
    *out = v;
    return v != NULL ? n : 0;
}

static int run_write(const char *dir, int level, enum roost_archive_fsync fs,
                     const struct line *v, size_t n, size_t target,
                     const char *label)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        return 1;
    }
    struct roost_archive_cfg cfg = { .dir = dir,
                                     .zstd_level = level,
                                     .fsync = fs };
    struct roost_archive *a = NULL;
    if (roost_archive_open(&cfg, &a, NULL) != 0) {
        fprintf(stderr, "cannot open %s\n", dir);
        return 1;
    }
    size_t bytes = 0, recs = 0;
    char pos[32];
    double t0 = now_s();
    for (size_t i = 0; bytes < target; i++) {
        const struct line *l = &v[i % n];
        snprintf(pos, sizeof(pos), "%zu", i);
        struct roost_archive_rec r = { .bytes = l->p,
                                       .len = l->len,
                                       .recv_ms =
                                           1609486140000 + (int64_t)(i / 50),
                                       .source = "file:sample",
                                       .position = pos };
        if (roost_archive_append(a, &r) != 0) {
            return 1;
        }
        bytes += l->len;
        recs++;
        if (recs % 100 == 0 && roost_archive_flush(a) != 0) {
            return 1;
        }
    }
    struct roost_archive_stats st;
    roost_archive_stats(a, &st);
    if (roost_archive_close(a) != 0) {
        return 1;
    }
    double dt = now_s() - t0;
    printf("write %-22s %8.1f MB/s %9.0f rec/s  ratio %.2f  (%zu MB, "
           "%llu blocks, %llu fsyncs)\n",
           label, (double)bytes / dt / 1e6, (double)recs / dt,
           (double)st.raw_bytes / (double)st.compressed_bytes, bytes >> 20,
           (unsigned long long)st.n_blocks, (unsigned long long)st.n_fsyncs);
    return 0;
}

static int run_read(const char *dir)
{
    struct roost_archive_reader *r = NULL;
    if (roost_archive_reader_open(dir, INT64_MIN, INT64_MAX, NULL, &r, NULL) !=
        0) {
        return 1;
    }
    struct roost_archive_rec rec;
    size_t bytes = 0, recs = 0;
    double t0 = now_s();
    while (roost_archive_reader_next(r, &rec) == 0) {
        bytes += rec.len;
        recs++;
    }
    double dt = now_s() - t0;
    roost_archive_reader_close(r);
    printf("read  %-22s %8.1f MB/s %9.0f rec/s\n", "all",
           (double)bytes / dt / 1e6, (double)recs / dt);
    return 0;
}

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : DEFAULT_FILE;
    size_t mb = argc > 2 ? (size_t)strtoul(argv[2], NULL, 10) : 256;
    size_t len = 0;
    char *buf = load(path, &len);
    if (buf == NULL) {
        printf("(no %s: synthetic 4 KB tweets)\n", path);
        buf = synth(4096, &len);
    } else {
        printf("(records: lines of %s)\n", path);
    }
    struct line *v = NULL;
    size_t n = buf != NULL ? split(buf, len, &v) : 0;
    if (n == 0) {
        fprintf(stderr, "no records\n");
        return 1;
    }
    printf("%zu records, %.0f bytes average\n", n, (double)len / (double)n);
    const char *t = getenv("TMPDIR");
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/roost-bench-archive-%ld",
             t != NULL && t[0] != '\0' ? t : "/tmp", (long)getpid());
    size_t target = mb << 20;
    int rc = run_write(dir, 3, ROOST_ARCHIVE_FSYNC_NONE, v, n, target,
                       "level 3, fsync none");
    rc |= run_write(dir, 1, ROOST_ARCHIVE_FSYNC_BLOCK, v, n, target,
                    "level 1, fsync block");
    rc |= run_write(dir, 1, ROOST_ARCHIVE_FSYNC_NONE, v, n, target,
                    "level 1, fsync none");
    rc |= run_read(dir);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    rc |= system(cmd) != 0;
    roost_free(v);
    roost_free(buf);
    return rc;
}
