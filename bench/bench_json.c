/* SPDX-License-Identifier: MIT
 *
 * bench_json.c - parse throughput of json.c and frame.c on a JSONL file.
 *
 * Loads the file in memory, then (1) splits it into lines once and parses
 * every line `reps` times with roost_json_parse(), (2) runs roost_frame
 * over the whole buffer in 64 KiB feeds, and (3) does both. Each figure is
 * the best of `reps` passes, in MB/s of input and records/s.
 * Usage: bench_json FILE [reps]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "parse/frame.h"
#include "parse/json.h"

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
        perror(path);
        return NULL;
    }
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = sz > 0 ? malloc((size_t)sz) : NULL;
    if (buf == NULL || fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    *len = (size_t)sz;
    return buf;
}

static void report(const char *what, double secs, double bytes, double recs)
{
    printf("%-22s %9.1f MB/s %12.0f records/s %8.1f ns/record\n", what,
           bytes / secs / 1e6, recs / secs, secs * 1e9 / recs);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_json FILE [reps]\n");
        return 2;
    }
    int reps = argc > 2 ? atoi(argv[2]) : 20; /* NOLINT: bench tool */
    size_t len = 0;
    char *buf = load(argv[1], &len);
    if (buf == NULL) {
        return 1;
    }
    /* Line index, built once. */
    size_t n_lines = 0;
    size_t cap = 1024;
    size_t *starts = malloc(cap * sizeof(*starts));
    size_t *lens = malloc(cap * sizeof(*lens));
    for (size_t p = 0; p < len;) {
        const char *nl = memchr(buf + p, '\n', len - p);
        size_t e = nl ? (size_t)(nl - buf) : len;
        if (e > p) {
            if (n_lines == cap) {
                cap *= 2;
                starts = realloc(starts, cap * sizeof(*starts));
                lens = realloc(lens, cap * sizeof(*lens));
            }
            starts[n_lines] = p;
            lens[n_lines] = e - p;
            n_lines++;
        }
        p = e + 1;
    }

    struct roost_json_doc d;
    roost_json_doc_init(&d, 0, 0);
    size_t bad = 0;
    uint64_t toks = 0;
    double best = 1e9;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        for (size_t i = 0; i < n_lines; i++) {
            if (roost_json_parse(&d, buf + starts[i], lens[i], NULL) != 0) {
                bad++;
            }
            toks += d.n_toks;
        }
        double t = now_s() - t0;
        best = t < best ? t : best;
    }
    printf("%s: %zu bytes, %zu records, %d reps (best rep), %zu failed, "
           "%.1f tokens/record\n",
           argv[1], len, n_lines, reps, bad / (size_t)reps,
           (double)toks / (double)reps / (double)n_lines);
    report("roost_json_parse", best, (double)len, (double)n_lines);

    /* frame_pass - frame the whole buffer in 64 KiB feeds; with parse,
     * also parse each record (what a source + parser pipeline does). */
    struct roost_frame f;
    size_t n_recs = 0;
    for (int with_parse = 0; with_parse < 2; with_parse++) {
        best = 1e9;
        for (int r = 0; r < reps; r++) {
            roost_frame_init(&f, 16u << 20);
            n_recs = 0;
            double t0 = now_s();
            size_t off = 0;
            int rc = 0;
            while (rc != ROOST_ENOENT) {
                if (off < len) {
                    size_t chunk = len - off < 65536 ? len - off : 65536;
                    if (roost_frame_feed(&f, buf + off, chunk) != 0) {
                        fprintf(stderr, "feed failed\n");
                        return 1;
                    }
                    off += chunk;
                } else {
                    roost_frame_finish(&f);
                }
                struct roost_record rec;
                for (;;) {
                    rc = roost_frame_next(&f, &rec, NULL);
                    if (rc != 0) {
                        break;
                    }
                    if (with_parse) {
                        roost_json_parse(&d, rec.ptr, rec.len, NULL);
                    }
                    n_recs++;
                }
            }
            double t = now_s() - t0;
            best = t < best ? t : best;
            roost_frame_fini(&f);
        }
        report(with_parse ? "roost_frame + parse" : "roost_frame", best,
               (double)len, (double)n_recs);
    }
    roost_json_doc_fini(&d);
    free(starts);
    free(lens);
    free(buf);
    return 0;
}
