/* SPDX-License-Identifier: MIT
 *
 * cmd_archive.c - `roost archive ls|cat|stats DIR`: look inside a raw
 * archive (store/archive.h) without the rest of the pipeline.
 *
 * ls reads only block headers (or the .idx sidecars), so it is cheap on
 * any archive size. cat and stats stream records through the reader, which
 * skips blocks outside --from/--to without decompressing them. Times are
 * ISO 8601 UTC or epoch milliseconds; --to is exclusive.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "store/archive.h"

/* Declared here until cli/cli.h lists them (the lead registers verbs). */

const char *cmd_archive_usage =
    "usage: roost archive ls DIR\n"
    "       roost archive cat DIR [--from T] [--to T] [--source NAME]\n"
    "                             [--meta]\n"
    "       roost archive stats DIR [--from T] [--to T] [--source NAME]\n"
    "\n"
    "Inspects a raw archive directory (segments seg-*.rza).\n"
    "\n"
    "  ls      one line per segment: blocks, records, raw and compressed\n"
    "          bytes, receive-time range, whether its index is current;\n"
    "          then the totals. Reads block headers only.\n"
    "  cat     prints each record's bytes exactly as received, one per\n"
    "          line; --meta prints JSON lines {recv_ms, recv, source,\n"
    "          position, len, record} instead.\n"
    "  stats   counts records and bytes in the range, per source, and\n"
    "          the blocks read, skipped and damaged.\n"
    "\n"
    "  --from T        first receive time (ISO 8601 UTC or epoch ms)\n"
    "  --to T          receive time to stop before (exclusive)\n"
    "  --source NAME   only records of this source\n"
    "\n"
    "Exit 0 on success, 1 when the archive cannot be read, 2 on usage\n"
    "errors.\n";

static int parse_time(const char *s, int64_t *ms)
{
    if (s == NULL || s[0] == '\0') {
        return ROOST_EINVAL;
    }
    size_t n = strlen(s);
    size_t i = s[0] == '-' ? 1 : 0;
    while (i < n && s[i] >= '0' && s[i] <= '9') {
        i++;
    }
    if (i == n && n > (s[0] == '-' ? 1u : 0u)) {
        char *end = NULL;
        long long v = strtoll(s, &end, 10);
        *ms = (int64_t)v;
        return 0;
    }
    return roost_time_parse(s, n, ms);
}

static void fmt_ms(int64_t ms, char out[32])
{
    if (ms == INT64_MAX || ms == INT64_MIN) {
        snprintf(out, 32, "-");
        return;
    }
    roost_time_format(ms, out);
}

struct ls_tot {
    uint64_t n_segs, n_blocks, n_records, raw, comp, file;
    int64_t min_ms, max_ms;
};

static int on_seg(void *arg, const struct roost_archive_seg_info *s)
{
    struct ls_tot *t = arg;
    char a[32], b[32];
    fmt_ms(s->min_ms, a);
    fmt_ms(s->max_ms, b);
    printf("%-34s %6llu %9llu %12llu %11llu %5.2f %-24s %-24s %s%s\n", s->name,
           (unsigned long long)s->n_blocks, (unsigned long long)s->n_records,
           (unsigned long long)s->raw_bytes,
           (unsigned long long)s->compressed_bytes,
           s->compressed_bytes
               ? (double)s->raw_bytes / (double)s->compressed_bytes
               : 0.0,
           a, b, s->has_index ? "idx" : "scan",
           s->good_bytes != s->file_bytes ? " torn" : "");
    t->n_segs++;
    t->n_blocks += s->n_blocks;
    t->n_records += s->n_records;
    t->raw += s->raw_bytes;
    t->comp += s->compressed_bytes;
    t->file += s->file_bytes;
    if (s->min_ms < t->min_ms) {
        t->min_ms = s->min_ms;
    }
    if (s->max_ms > t->max_ms) {
        t->max_ms = s->max_ms;
    }
    return 0;
}

static int do_ls(const char *dir)
{
    struct ls_tot t = { .min_ms = INT64_MAX, .max_ms = INT64_MIN };
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    printf("%-34s %6s %9s %12s %11s %5s %-24s %-24s %s\n", "segment", "blocks",
           "records", "raw_bytes", "comp_bytes", "ratio", "min_recv",
           "max_recv", "index");
    int rc = roost_archive_list(dir, on_seg, &t, &d);
    if (rc < 0) {
        fprintf(stderr, "roost: archive: %s\n",
                d.msg[0] ? d.msg : roost_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    char a[32], b[32];
    fmt_ms(t.min_ms, a);
    fmt_ms(t.max_ms, b);
    printf("%-34s %6llu %9llu %12llu %11llu %5.2f %-24s %-24s\n", "total",
           (unsigned long long)t.n_blocks, (unsigned long long)t.n_records,
           (unsigned long long)t.raw, (unsigned long long)t.comp,
           t.comp ? (double)t.raw / (double)t.comp : 0.0, a, b);
    printf("%llu segments, %llu bytes on disk\n", (unsigned long long)t.n_segs,
           (unsigned long long)t.file);
    return CLI_EXIT_OK;
}

/* Per-source counts for stats: a short list is plenty for a CLI. */
#define STATS_MAX_SOURCES 256

struct src_count {
    char name[ROOST_ARCHIVE_MAX_SOURCE_BYTES + 1];
    uint64_t n_records, bytes;
};

static int do_read(const char *dir, int64_t from, int64_t to,
                   const char *source, bool cat, bool meta)
{
    struct roost_archive_reader *r = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    int rc = roost_archive_reader_open(dir, from, to, source, &r, &d);
    if (rc < 0) {
        fprintf(stderr, "roost: archive: %s\n",
                d.msg[0] ? d.msg : roost_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    static struct src_count srcs[STATS_MAX_SOURCES];
    size_t n_srcs = 0;
    uint64_t n = 0, bytes = 0, other = 0;
    int64_t min_ms = INT64_MAX, max_ms = INT64_MIN;
    struct roost_buf line;
    roost_buf_init(&line, (size_t)ROOST_ARCHIVE_MAX_RECORD_BYTES * 6 + 4096);
    struct roost_archive_rec rec;
    int status = CLI_EXIT_OK;
    for (;;) {
        rc = roost_archive_reader_next(r, &rec);
        if (rc != 0) {
            break;
        }
        n++;
        bytes += rec.len;
        min_ms = rec.recv_ms < min_ms ? rec.recv_ms : min_ms;
        max_ms = rec.recv_ms > max_ms ? rec.recv_ms : max_ms;
        if (cat && !meta) {
            if (fwrite(rec.bytes, 1, rec.len, stdout) != rec.len ||
                putchar('\n') == EOF) {
                status = CLI_EXIT_FAIL;
                break;
            }
            continue;
        }
        if (cat) {
            char iso[32];
            roost_time_format(rec.recv_ms, iso);
            roost_buf_reset(&line);
            int e = roost_buf_printf(&line,
                                     "{\"recv_ms\":%lld,\"recv\":\"%s\""
                                     ",\"source\":",
                                     (long long)rec.recv_ms, iso);
            e = e ? e
                  : roost_buf_add_json_str(&line, rec.source,
                                           strlen(rec.source));
            e = e ? e : roost_buf_adds(&line, ",\"position\":");
            e = e ? e
                  : roost_buf_add_json_str(&line, rec.position,
                                           strlen(rec.position));
            e = e ? e
                  : roost_buf_printf(&line,
                                     ",\"len\":%zu,\"record\":", rec.len);
            e = e ? e : roost_buf_add_json_str(&line, rec.bytes, rec.len);
            e = e ? e : roost_buf_adds(&line, "}\n");
            if (e < 0 || fwrite(line.ptr, 1, line.len, stdout) != line.len) {
                status = CLI_EXIT_FAIL;
                break;
            }
            continue;
        }
        size_t k = 0;
        while (k < n_srcs && strcmp(srcs[k].name, rec.source) != 0) {
            k++;
        }
        if (k == n_srcs && n_srcs < STATS_MAX_SOURCES) {
            snprintf(srcs[k].name, sizeof(srcs[k].name), "%s", rec.source);
            n_srcs++;
        }
        if (k < n_srcs) {
            srcs[k].n_records++;
            srcs[k].bytes += rec.len;
        } else {
            other++;
        }
    }
    if (rc != ROOST_ENOENT && status == CLI_EXIT_OK) {
        fprintf(stderr, "roost: archive: read failed: %s\n",
                roost_strerror(rc));
        status = CLI_EXIT_FAIL;
    }
    struct roost_archive_read_stats st;
    roost_archive_reader_stats(r, &st);
    roost_archive_reader_close(r);
    roost_buf_fini(&line);
    if (st.n_bad_blocks > 0 || st.n_torn_tails > 0) {
        fprintf(stderr,
                "roost: archive: %llu damaged blocks skipped, %llu "
                "segments end in a torn block\n",
                (unsigned long long)st.n_bad_blocks,
                (unsigned long long)st.n_torn_tails);
    }
    if (cat) {
        if (fflush(stdout) != 0) {
            status = CLI_EXIT_FAIL;
        }
        return status;
    }
    char a[32], b[32];
    fmt_ms(min_ms, a);
    fmt_ms(max_ms, b);
    printf("records        %llu\n", (unsigned long long)n);
    printf("bytes          %llu\n", (unsigned long long)bytes);
    printf("recv range     %s .. %s\n", a, b);
    printf("segments       %llu (%llu with a current index)\n",
           (unsigned long long)st.n_segments,
           (unsigned long long)st.n_index_used);
    printf("blocks         %llu read, %llu skipped, %llu damaged\n",
           (unsigned long long)st.n_blocks_read,
           (unsigned long long)st.n_blocks_skipped,
           (unsigned long long)st.n_bad_blocks);
    for (size_t k = 0; k < n_srcs; k++) {
        printf("source %-24s %llu records, %llu bytes\n",
               srcs[k].name[0] != '\0' ? srcs[k].name : "(none)",
               (unsigned long long)srcs[k].n_records,
               (unsigned long long)srcs[k].bytes);
    }
    if (other > 0) {
        printf("source (others)                 %llu records\n",
               (unsigned long long)other);
    }
    return status;
}

int cmd_archive(int argc, char **argv)
{
    if (argc < 3) {
        fputs(cmd_archive_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    const char *sub = argv[1], *dir = argv[2];
    bool is_ls = strcmp(sub, "ls") == 0;
    bool is_cat = strcmp(sub, "cat") == 0;
    if (!is_ls && !is_cat && strcmp(sub, "stats") != 0) {
        fprintf(stderr,
                "roost: archive: unknown command '%s' (ls, cat, "
                "stats)\n",
                sub);
        return CLI_EXIT_USAGE;
    }
    int64_t from = INT64_MIN, to = INT64_MAX;
    const char *source = NULL;
    bool meta = false;
    for (int i = 3; i < argc; i++) {
        const char *v = NULL;
        if (cli_opt_value(argc, argv, &i, "--from", &v)) {
            if (parse_time(v, &from) < 0) {
                fprintf(stderr, "roost: archive: bad --from time\n");
                return CLI_EXIT_USAGE;
            }
        } else if (cli_opt_value(argc, argv, &i, "--to", &v)) {
            if (parse_time(v, &to) < 0) {
                fprintf(stderr, "roost: archive: bad --to time\n");
                return CLI_EXIT_USAGE;
            }
        } else if (cli_opt_value(argc, argv, &i, "--source", &v)) {
            if (v == NULL) {
                return CLI_EXIT_USAGE;
            }
            source = v;
        } else if (strcmp(argv[i], "--meta") == 0 && is_cat) {
            meta = true;
        } else {
            fprintf(stderr, "roost: archive: unknown option '%s'\n", argv[i]);
            return CLI_EXIT_USAGE;
        }
    }
    if (is_ls) {
        if (argc > 3) {
            fprintf(stderr, "roost: archive: ls takes only DIR\n");
            return CLI_EXIT_USAGE;
        }
        return do_ls(dir);
    }
    return do_read(dir, from, to, source, is_cat, meta);
}
