/* SPDX-License-Identifier: MIT
 *
 * bench_normalize.c - parse-and-normalize throughput on one core.
 *
 * Loads a JSONL file into memory (so I/O does not hide the engine), then
 * runs every line through roost_json_parse + roost_norm_record, `rounds`
 * times, and reports MB/s and records/s for: parse alone, parse +
 * normalize, and parse + normalize + JSON output (what `roost normalize`
 * does per record). Also counts posts and entities as a sanity check.
 *
 * Usage: bench_normalize FILE.jsonl [rounds]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/mem.h"
#include "parse/json.h"
#include "parse/post.h"

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
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    fclose(f);
    buf[n] = '\0';
    *len = (size_t)n;
    return buf;
}

enum mode { PARSE, NORMALIZE, WRITE };

static double run(const char *buf, size_t len, int rounds, enum mode m,
                  unsigned long long *n_rec, unsigned long long *n_posts,
                  unsigned long long *n_ent)
{
    struct roost_json_doc doc;
    struct roost_norm norm;
    struct roost_buf out;
    roost_json_doc_init(&doc, ROOST_JSON_DEFAULT_DEPTH, 1u << 26);
    roost_norm_init(&norm);
    roost_buf_init(&out, 1u << 30);
    *n_rec = *n_posts = *n_ent = 0;
    double t0 = now_s();
    for (int r = 0; r < rounds; r++) {
        const char *p = buf, *end = buf + len;
        while (p < end) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
            if (l > 0 && roost_json_parse(&doc, p, l, NULL) == 0) {
                (*n_rec)++;
                if (m != PARSE) {
                    roost_norm_reset(&norm);
                    if (roost_norm_record(&norm, &doc, p, l, ROOST_FMT_AUTO,
                                          NULL) == 0) {
                        for (uint32_t i = 0; i < norm.n_posts; i++) {
                            const struct roost_post *q = &norm.posts[i];
                            (*n_posts)++;
                            *n_ent += q->n_hashtags + q->n_mentions +
                                      q->n_urls;
                            if (m == WRITE) {
                                roost_post_write_json(q, &out);
                                roost_buf_addc(&out, '\n');
                            }
                        }
                    }
                    if (out.len > (1u << 20)) {
                        roost_buf_reset(&out);
                    }
                }
            }
            p += l + 1;
        }
    }
    double t = now_s() - t0;
    roost_buf_fini(&out);
    roost_norm_fini(&norm);
    roost_json_doc_fini(&doc);
    return t;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: bench_normalize FILE.jsonl [rounds]\n");
        return 2;
    }
    int rounds = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 5;
    if (rounds <= 0) {
        rounds = 1;
    }
    size_t len = 0;
    char *buf = load(argv[1], &len);
    if (buf == NULL) {
        return 1;
    }
    static const char *const names[] = { "parse", "parse+normalize",
                                         "parse+normalize+write" };
    for (int m = PARSE; m <= WRITE; m++) {
        unsigned long long n_rec, n_posts, n_ent;
        run(buf, len, 1, (enum mode)m, &n_rec, &n_posts, &n_ent); /* warm */
        double t = run(buf, len, rounds, (enum mode)m, &n_rec, &n_posts,
                       &n_ent);
        double mb = (double)len * rounds / 1e6;
        printf("%-22s %8.1f MB/s %10.0f records/s %10.0f posts/s "
               "(%llu records, %llu posts, %llu entities, %d rounds)\n",
               names[m], mb / t, (double)n_rec / t, (double)n_posts / t,
               n_rec / (unsigned long long)rounds,
               n_posts / (unsigned long long)rounds,
               n_ent / (unsigned long long)rounds, rounds);
    }
    free(buf);
    return 0;
}
