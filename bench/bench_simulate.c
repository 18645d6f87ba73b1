/* SPDX-License-Identifier: MIT
 *
 * bench_simulate.c - how fast the synthetic firehose writes, per format.
 *
 * One core, default config, seed 1: records are appended to one buffer
 * that is reset every ~4 MiB (as the CLI does before write()). Prints
 * records/s, MB/s and the average record size. Usage: bench_simulate [N]
 * [FORMAT] (v1, v2, jetstream or mastodon; default all four).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "source/simulate.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    static const enum roost_format fmts[] = { ROOST_FMT_X1, ROOST_FMT_X2,
                                              ROOST_FMT_JETSTREAM,
                                              ROOST_FMT_MASTODON };
    uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 1000000;
    enum roost_format only = ROOST_FMT_AUTO;
    if (argc > 2 && roost_format_parse(argv[2], &only) < 0) {
        fprintf(stderr, "unknown format %s\n", argv[2]);
        return 2;
    }
    for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
        if (only != ROOST_FMT_AUTO && fmts[f] != only) {
            continue;
        }
        struct roost_sim_cfg c;
        roost_sim_cfg_default(&c);
        c.format = fmts[f];
        c.count = n;
        struct roost_sim *s = NULL;
        double t0 = now_s();
        if (roost_sim_new(&c, &s) < 0) {
            fprintf(stderr, "cannot create the simulator\n");
            return 1;
        }
        double t1 = now_s();
        struct roost_buf b;
        roost_buf_init(&b, 64u << 20);
        uint64_t bytes = 0;
        int rc;
        while ((rc = roost_sim_next(s, &b, NULL)) == 0) {
            if (b.len > (4u << 20)) {
                bytes += b.len;
                roost_buf_reset(&b);
            }
        }
        bytes += b.len;
        double t2 = now_s();
        double secs = t2 - t1;
        printf("%-9s %9.0f records/s %8.1f MB/s %6.0f B/record "
               "(setup %.0f ms)\n",
               roost_format_name(fmts[f]), (double)n / secs,
               (double)bytes / secs / 1e6, (double)bytes / (double)n,
               (t1 - t0) * 1e3);
        roost_buf_fini(&b);
        roost_sim_free(s);
        if (rc != ROOST_ENOENT) {
            return 1;
        }
    }
    return 0;
}
