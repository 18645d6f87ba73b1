/* SPDX-License-Identifier: MIT
 *
 * bench_agg.c - adds per second of COUNT, TOP_K and APPROX_COUNT_DISTINCT,
 * a grouped tumbling-window COUNT, and state bytes per distinct key.
 *
 * Inputs are pinned (a splitmix64 stream, Zipf s=1.1 over 100k keys for
 * TOP_K and the window), so runs compare. Build:
 *   cc -O2 -Iinclude -Isrc src/core/\*.c src/engine/agg*.c
 *      src/engine/window.c bench/bench_agg.c -lm
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "engine/agg.h"
#include "engine/window.h"

#define N_EV   4000000
#define N_KEYS 100000

static uint64_t rng_state = 7;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char (*keys)[12];
static uint32_t *stream;

static void make_inputs(void)
{
    double *cdf = malloc(N_KEYS * sizeof(*cdf));
    double sum = 0;
    for (size_t i = 0; i < N_KEYS; i++) {
        sum += 1.0 / pow((double)(i + 1), 1.1);
        cdf[i] = sum;
    }
    keys = malloc(N_KEYS * sizeof(*keys));
    for (size_t i = 0; i < N_KEYS; i++) {
        cdf[i] /= sum;
        snprintf(keys[i], sizeof(keys[0]), "#t%zu", (i * 7919) % N_KEYS);
    }
    stream = malloc(N_EV * sizeof(*stream));
    for (size_t i = 0; i < N_EV; i++) {
        double u = (double)(rnd() >> 11) / 9007199254740992.0;
        size_t lo = 0, hi = N_KEYS - 1;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (cdf[mid] < u) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        stream[i] = (uint32_t)lo;
    }
    free(cdf);
}

static struct roost_value key_value(size_t i)
{
    const char *k = keys[stream[i]];
    return roost_value_str(roost_str_make(k, strlen(k)));
}

static void bench_agg(const char *name, const struct roost_agg_args *a,
                      bool distinct_ints)
{
    const struct roost_agg_ops *o = roost_agg_find(roost_str_cstr(name));
    void *st = roost_calloc(1, o->state_size);
    o->init(st, a);
    double t0 = now_s();
    for (size_t i = 0; i < N_EV; i++) {
        struct roost_value v =
            distinct_ints ? roost_value_int((int64_t)i) : key_value(i);
        o->add(st, &v, 1);
    }
    double dt = now_s() - t0;
    printf("%-22s %8.1f M adds/s  %6.1f ns/add  state %zu bytes\n", name,
           N_EV / dt / 1e6, dt / N_EV * 1e9, o->bytes(st));
    o->fini(st);
    roost_free(st);
}

static int discard(void *arg, const struct roost_window_row *row)
{
    (void)row;
    (*(uint64_t *)arg)++;
    return 0;
}

static void bench_window(void)
{
    const struct roost_agg_ops *ops[1] = { roost_agg_find(
        roost_str_cstr("COUNT")) };
    uint64_t n_out = 0;
    struct roost_window_cfg cfg = { .kind = ROOST_WINDOW_TUMBLE,
                                    .size_ms = 60000,
                                    .lateness_ms = 5000,
                                    .n_aggs = 1,
                                    .aggs = ops,
                                    .max_bytes = (size_t)1 << 30,
                                    .emit = discard,
                                    .emit_arg = &n_out };
    struct roost_window *w = NULL;
    roost_window_new(&cfg, &w);
    struct roost_value one = roost_value_bool(true);
    double t0 = now_s();
    for (size_t i = 0; i < N_EV; i++) {
        const char *k = keys[stream[i]];
        /* 10k events per second of event time: 600k per window */
        roost_window_push(w, roost_str_make(k, strlen(k)), (int64_t)(i / 10), 0,
                          &one);
    }
    struct roost_window_stats st;
    roost_window_stats(w, &st);
    roost_window_flush(w);
    double dt = now_s() - t0;
    printf("%-22s %8.1f M rows/s  %6.1f ns/row  %llu result rows\n",
           "window TUMBLE COUNT", N_EV / dt / 1e6, dt / N_EV * 1e9,
           (unsigned long long)n_out);
    roost_window_free(w);

    /* state bytes per distinct key: one open window, N_KEYS keys */
    roost_window_new(&cfg, &w);
    struct roost_window_stats s0, s1;
    roost_window_stats(w, &s0);
    for (size_t i = 0; i < N_KEYS; i++) {
        const char *k = keys[i];
        roost_window_push(w, roost_str_make(k, strlen(k)), 0, 0, &one);
    }
    roost_window_stats(w, &s1);
    printf("%-22s %8.1f bytes/key (group + key + pane + COUNT state)\n",
           "window state", (double)(s1.bytes - s0.bytes) / N_KEYS);
    roost_window_free(w);
}

int main(void)
{
    make_inputs();
    printf("%d events, Zipf s=1.1 over %d keys\n", N_EV, N_KEYS);
    bench_agg("COUNT", NULL, false);
    struct roost_agg_args tk = { .k = 20, .capacity = 1000 };
    bench_agg("TOP_K", &tk, false);
    bench_agg("APPROX_COUNT_DISTINCT", NULL, true);
    struct roost_agg_args big = { .max_bytes = (size_t)1 << 30 };
    bench_agg("COUNT_DISTINCT", &big, true);
    printf("COUNT_DISTINCT exact:  ~%.1f bytes per distinct key (8-byte "
           "hashes, load <= 50 %%)\n",
           (double)((size_t)1 << 23) * 8 / N_EV);
    bench_window();
    free(keys);
    free(stream);
    return 0;
}
