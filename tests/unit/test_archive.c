/* SPDX-License-Identifier: MIT
 *
 * test_archive.c - the raw archive: byte-exact round trips, rotation,
 * range reads that skip blocks, torn and corrupt tails, last positions,
 * fsync policies, bad directories, and a writer killed with SIGKILL.
 *
 * Archives are created under $TMPDIR (default /tmp) and removed at the end
 * of each test.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "core/mem.h"
#include "store/archive.h"
#include "store/archive_int.h"

/* ---- helpers ------------------------------------------------------------- */

static char base_dir[512];

static const char *tmp_dir(const char *name)
{
    const char *t = getenv("TMPDIR");
    snprintf(base_dir, sizeof(base_dir), "%s/roost-archive-%ld-%s",
             t != NULL && t[0] != '\0' ? t : "/tmp", (long)getpid(), name);
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base_dir);
    CHECK(system(cmd) == 0);
    return base_dir;
}

static void rm_dir(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x;
}

static void quiet_log(void *arg, const char *msg)
{
    int *n = arg;
    (void)msg;
    if (n != NULL) {
        (*n)++;
    }
}

/* A record we wrote, kept to compare with what comes back. */
struct wrec {
    char *bytes;
    size_t len;
    int64_t recv_ms;
    char source[32];
    char position[32];
};

static void make_rec(struct wrec *w, size_t len, int64_t ms, int src, long pos)
{
    w->bytes = roost_malloc(len ? len : 1);
    CHECK(w->bytes != NULL);
    for (size_t i = 0; i < len; i++) {
        w->bytes[i] = (char)rng();
    }
    w->len = len;
    w->recv_ms = ms;
    snprintf(w->source, sizeof(w->source), "src-%d", src);
    snprintf(w->position, sizeof(w->position), "pos:%ld", pos);
}

static int append_w(struct roost_archive *a, const struct wrec *w)
{
    struct roost_archive_rec r = {
        .bytes = w->bytes,
        .len = w->len,
        .recv_ms = w->recv_ms,
        .source = w->source,
        .position = w->position,
    };
    return roost_archive_append(a, &r);
}

static bool same_rec(const struct roost_archive_rec *r, const struct wrec *w)
{
    return r->len == w->len && r->recv_ms == w->recv_ms &&
           (w->len == 0 || memcmp(r->bytes, w->bytes, w->len) == 0) &&
           strcmp(r->source, w->source) == 0 &&
           strcmp(r->position, w->position) == 0;
}

static void free_w(struct wrec *w, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        roost_free(w[i].bytes);
    }
    roost_free(w);
}

/* read_all_check - read [from, to) of source and compare with want[]
 * filtered the same way; returns the number of records read. */
static size_t read_check(const char *dir, int64_t from, int64_t to,
                         const char *source, const struct wrec *want,
                         size_t n_want, struct roost_archive_read_stats *st)
{
    struct roost_archive_reader *r = NULL;
    CHECK_INT_EQ(roost_archive_reader_open(dir, from, to, source, &r, NULL), 0);
    size_t k = 0, n = 0;
    struct roost_archive_rec rec;
    int rc;
    for (;;) {
        rc = roost_archive_reader_next(r, &rec);
        if (rc != 0) {
            break;
        }
        while (k < n_want &&
               (want[k].recv_ms < from || want[k].recv_ms >= to ||
                (source != NULL && strcmp(want[k].source, source) != 0))) {
            k++;
        }
        CHECK_MSG(k < n_want, "extra record %zu", n);
        CHECK_MSG(same_rec(&rec, &want[k]), "record %zu differs", k);
        k++;
        n++;
    }
    CHECK_INT_EQ(rc, ROOST_ENOENT);
    while (k < n_want &&
           (want[k].recv_ms < from || want[k].recv_ms >= to ||
            (source != NULL && strcmp(want[k].source, source) != 0))) {
        k++;
    }
    CHECK_MSG(k == n_want, "missing records from %zu of %zu", k, n_want);
    if (st != NULL) {
        roost_archive_reader_stats(r, st);
    }
    roost_archive_reader_close(r);
    return n;
}

struct list_acc {
    size_t n_segs;
    uint64_t n_records;
    uint64_t n_blocks;
    size_t n_indexed;
};

static int on_seg(void *arg, const struct roost_archive_seg_info *s)
{
    struct list_acc *acc = arg;
    acc->n_segs++;
    acc->n_records += s->n_records;
    acc->n_blocks += s->n_blocks;
    acc->n_indexed += s->has_index;
    return 0;
}

static struct list_acc list_dir(const char *dir)
{
    struct list_acc acc = { 0, 0, 0, 0 };
    CHECK_INT_EQ(roost_archive_list(dir, on_seg, &acc, NULL), 0);
    return acc;
}

/* last_seg_path - path of the highest-seq segment. */
static void last_seg_path(const char *dir, char *out, size_t cap)
{
    struct roost__archive_seg *segs = NULL;
    size_t n = 0;
    CHECK_INT_EQ(roost__archive_list_segs(dir, &segs, &n, NULL), 0);
    CHECK(n > 0);
    CHECK_INT_EQ(roost__archive_path(out, cap, dir, segs[n - 1].name, ""), 0);
    roost_free(segs);
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK(f != NULL);
    CHECK(fseek(f, 0, SEEK_END) == 0);
    long n = ftell(f);
    CHECK(n >= 0);
    rewind(f);
    char *p = roost_malloc((size_t)n + 1);
    CHECK(p != NULL);
    CHECK(fread(p, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void write_file(const char *path, const char *p, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(p, 1, len, f) == len);
    CHECK(fclose(f) == 0);
}

/* ---- tests -----------------------------------------------------------------
 */

static void test_roundtrip_binary(void)
{
    const char *dir = tmp_dir("rt");
    size_t n = 3000;
    struct wrec *w = roost_calloc(n, sizeof(*w));
    CHECK(w != NULL);
    int64_t ms = 1609459200000;
    for (size_t i = 0; i < n; i++) {
        size_t len = rng() % 2000;
        if (i % 500 == 7) {
            len = 0;
        } else if (i % 1000 == 3) {
            len = 1u << 20;
        }
        ms += (int64_t)(rng() % 50) - 10; /* not monotonic on purpose */
        make_rec(&w[i], len, ms, (int)(rng() % 40), (long)i);
    }
    struct roost_archive_cfg cfg = { .dir = dir, .block_bytes = 32 << 10 };
    struct roost_archive *a = NULL;
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT_EQ(append_w(a, &w[i]), 0);
    }
    CHECK_INT_EQ(roost_archive_flush(a), 0);
    struct roost_archive_stats st;
    roost_archive_stats(a, &st);
    CHECK_INT_EQ(st.n_records, n);
    CHECK(st.n_blocks > 10);
    CHECK_INT_EQ(st.n_segments, 1);
    CHECK_INT_EQ(st.n_sources, 40);
    CHECK_INT_EQ(roost_archive_close(a), 0);

    CHECK_INT_EQ(read_check(dir, INT64_MIN, INT64_MAX, NULL, w, n, NULL), n);
    size_t n17 = read_check(dir, INT64_MIN, INT64_MAX, "src-17", w, n, NULL);
    CHECK(n17 > 0 && n17 < n);
    struct list_acc acc = list_dir(dir);
    CHECK_INT_EQ(acc.n_segs, 1);
    CHECK_INT_EQ(acc.n_records, n);
    CHECK_INT_EQ(acc.n_indexed, 1);
    free_w(w, n);
    rm_dir(dir);
}

static void test_reopen_appends(void)
{
    const char *dir = tmp_dir("reopen");
    size_t n = 400;
    struct wrec *w = roost_calloc(n, sizeof(*w));
    CHECK(w != NULL);
    for (size_t i = 0; i < n; i++) {
        make_rec(&w[i], 100 + rng() % 300, 1000 + (int64_t)i, (int)(i % 3),
                 (long)i);
    }
    struct roost_archive_cfg cfg = { .dir = dir, .block_bytes = 4096 };
    for (size_t part = 0; part < 4; part++) {
        struct roost_archive *a = NULL;
        CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
        for (size_t i = part * 100; i < part * 100 + 100; i++) {
            CHECK_INT_EQ(append_w(a, &w[i]), 0);
        }
        CHECK_INT_EQ(roost_archive_close(a), 0);
    }
    CHECK_INT_EQ(read_check(dir, INT64_MIN, INT64_MAX, NULL, w, n, NULL), n);
    /* Reopening continues the last segment rather than adding new ones. */
    CHECK_INT_EQ(list_dir(dir).n_segs, 1);
    free_w(w, n);
    rm_dir(dir);
}

static void test_rotate_by_size(void)
{
    const char *dir = tmp_dir("rotsize");
    size_t n = 2000;
    struct wrec *w = roost_calloc(n, sizeof(*w));
    CHECK(w != NULL);
    for (size_t i = 0; i < n; i++) {
        make_rec(&w[i], 500, 5000 + (int64_t)i, (int)(i % 5), (long)i);
    }
    struct roost_archive_cfg cfg = {
        .dir = dir,
        .block_bytes = 8192,
        .segment_bytes = 64 << 10,
        .fsync = ROOST_ARCHIVE_FSYNC_NONE,
    };
    struct roost_archive *a = NULL;
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT_EQ(append_w(a, &w[i]), 0);
    }
    struct roost_archive_stats st;
    roost_archive_stats(a, &st);
    CHECK_INT_EQ(roost_archive_close(a), 0);
    /* ~1 MB of random bytes does not compress: about 16 segments. */
    CHECK_MSG(st.n_segments >= 12, "%llu segments",
              (unsigned long long)st.n_segments);
    struct list_acc acc = list_dir(dir);
    CHECK_INT_EQ(acc.n_segs, st.n_segments);
    CHECK_INT_EQ(acc.n_indexed, acc.n_segs);
    CHECK_INT_EQ(acc.n_records, n);
    struct roost_archive_read_stats rs;
    CHECK_INT_EQ(read_check(dir, INT64_MIN, INT64_MAX, NULL, w, n, &rs), n);
    CHECK_INT_EQ(rs.n_index_used, acc.n_segs);
    free_w(w, n);
    rm_dir(dir);
}

static void test_rotate_by_time(void)
{
    const char *dir = tmp_dir("rottime");
    size_t n = 60;
    struct wrec *w = roost_calloc(n, sizeof(*w));
    CHECK(w != NULL);
    int64_t t0 = 1700000000000;
    for (size_t i = 0; i < n; i++) {
        /* One record every 10 minutes: 6 blocks per hour. */
        make_rec(&w[i], 50, t0 + (int64_t)i * 600000, 0, (long)i);
    }
    struct roost_archive_cfg cfg = { .dir = dir,
                                     .fsync = ROOST_ARCHIVE_FSYNC_NONE };
    struct roost_archive *a = NULL;
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT_EQ(append_w(a, &w[i]), 0);
        CHECK_INT_EQ(roost_archive_flush(a), 0);
    }
    CHECK_INT_EQ(roost_archive_close(a), 0);
    CHECK_INT_EQ(list_dir(dir).n_segs, 10);
    CHECK_INT_EQ(read_check(dir, INT64_MIN, INT64_MAX, NULL, w, n, NULL), n);
    /* The segment name carries its first receive time. */
    char want[64];
    roost__archive_seg_name(want, t0, 1);
    char path[600];
    snprintf(path, sizeof(path), "%s/%s", dir, want);
    struct stat sb;
    CHECK(stat(path, &sb) == 0);
    free_w(w, n);
    rm_dir(dir);
}

static void range_case(const char *dir, const struct wrec *w, size_t n)
{
    struct roost_archive_read_stats rs;
    /* Blocks hold 10 records 1 s apart: [t0 + 10 s * b, + 9 s]. */
    int64_t t0 = 1000000;
    size_t got = read_check(dir, t0 + 200000, t0 + 300000, NULL, w, n, &rs);
    CHECK_INT_EQ(got, 100);
    CHECK_INT_EQ(rs.n_blocks_read, 10);
    CHECK_INT_EQ(rs.n_blocks_skipped, 90);
    /* A range starting inside a block reads that block. */
    got = read_check(dir, t0 + 205000, t0 + 215000, NULL, w, n, &rs);
    CHECK_INT_EQ(got, 10);
    CHECK_INT_EQ(rs.n_blocks_read, 2);
    got = read_check(dir, t0 + 10000000, INT64_MAX, NULL, w, n, &rs);
    CHECK_INT_EQ(got, 0);
    CHECK_INT_EQ(rs.n_blocks_read, 0);
}

static void test_range_skips_blocks(void)
{
    const char *dir = tmp_dir("range");
    size_t n = 1000;
    struct wrec *w = roost_calloc(n, sizeof(*w));
    CHECK(w != NULL);
    for (size_t i = 0; i < n; i++) {
        make_rec(&w[i], 200, 1000000 + (int64_t)i * 1000, (int)(i % 4),
                 (long)i);
    }
    struct roost_archive_cfg cfg = { .dir = dir,
                                     .fsync = ROOST_ARCHIVE_FSYNC_SEGMENT,
                                     .segment_bytes = 40 << 10 };
    struct roost_archive *a = NULL;
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT_EQ(append_w(a, &w[i]), 0);
        if (i % 10 == 9) {
            CHECK_INT_EQ(roost_archive_flush(a), 0);
        }
    }
    CHECK_INT_EQ(roost_archive_close(a), 0);
    CHECK(list_dir(dir).n_segs > 2);
    range_case(dir, w, n); /* with the .idx sidecars */
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "rm -f '%s'/*.idx", dir);
    CHECK(system(cmd) == 0);
    CHECK_INT_EQ(list_dir(dir).n_indexed, 0);
    range_case(dir, w, n); /* from the block headers */
    /* A stale .idx (the segment grew since) is ignored. */
    a = NULL;
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
    CHECK_INT_EQ(roost_archive_close(a), 0);
    range_case(dir, w, n);
    free_w(w, n);
    rm_dir(dir);
}

/* Build an archive of 8 blocks x 5 records in one segment; returns the
 * segment's bytes and the offset where the last block starts. */
static char *torn_setup(const char *dir, struct wrec *w, size_t n, size_t *len,
                        size_t *last_off, char *path, size_t cap)
{
    struct roost_archive_cfg cfg = { .dir = dir };
    struct roost_archive *a = NULL;
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
    for (size_t i = 0; i < n; i++) {
        CHECK_INT_EQ(append_w(a, &w[i]), 0);
        if (i % 5 == 4) {
            CHECK_INT_EQ(roost_archive_flush(a), 0);
        }
    }
    CHECK_INT_EQ(roost_archive_close(a), 0);
    last_seg_path(dir, path, cap);
    char *bytes = read_file(path, len);
    struct roost__archive_index ix;
    roost__archive_index_init(&ix);
    int fd = open(path, O_RDONLY);
    CHECK(fd >= 0);
    CHECK_INT_EQ(roost__archive_index_scan(fd, *len, &ix), 0);
    close(fd);
    CHECK_INT_EQ(ix.n_blks, n / 5);
    *last_off = (size_t)ix.blks[ix.n_blks - 1].offset;
    roost__archive_index_fini(&ix);
    return bytes;
}

/* After damage in the last block: recovery keeps the first 35 records,
 * appending continues, and nothing else comes back. */
static void check_recovers(const char *dir, struct wrec *w, size_t n,
                           bool expect_torn)
{
    int n_logs = 0;
    struct roost_archive_cfg cfg = { .dir = dir,
                                     .log = quiet_log,
                                     .log_arg = &n_logs,
                                     .fsync = ROOST_ARCHIVE_FSYNC_NONE };
    struct roost_archive *a = NULL;
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
    struct roost_archive_stats st;
    roost_archive_stats(a, &st);
    CHECK_INT_EQ(st.n_torn_blocks, expect_torn ? 1 : 0);
    CHECK_INT_EQ(n_logs, expect_torn ? 1 : 0);
    CHECK_INT_EQ(st.n_recovered_records, n - 5);
    char pos[64];
    CHECK_INT_EQ(
        roost_archive_last_position(a, w[n - 6].source, pos, sizeof(pos)), 0);
    CHECK_STR_EQ(pos, w[n - 6].position);
    /* Rewrite the lost block: the archive is whole again. */
    for (size_t i = n - 5; i < n; i++) {
        CHECK_INT_EQ(append_w(a, &w[i]), 0);
    }
    CHECK_INT_EQ(roost_archive_close(a), 0);
    CHECK_INT_EQ(read_check(dir, INT64_MIN, INT64_MAX, NULL, w, n, NULL), n);
}

static void test_torn_tail_every_offset(void)
{
    const char *dir = tmp_dir("torn");
    size_t n = 40;
    struct wrec *w = roost_calloc(n, sizeof(*w));
    CHECK(w != NULL);
    for (size_t i = 0; i < n; i++) {
        make_rec(&w[i], 30 + rng() % 200, 2000 + (int64_t)i, (int)(i % 2),
                 (long)i);
    }
    char path[600], idx[700];
    size_t len, last;
    char *bytes = torn_setup(dir, w, n, &len, &last, path, sizeof(path));
    snprintf(idx, sizeof(idx), "%s.idx", path);
    /* Every cut inside the last block, header and payload alike (at most
     * ~250 of them, evenly spread, to stay fast). */
    size_t step = 1 + (len - last) / 250;
    for (size_t cut = last + 1; cut < len; cut += step) {
        unlink(idx);
        write_file(path, bytes, cut);
        check_recovers(dir, w, n, true);
        size_t len2;
        char *now = read_file(path, &len2);
        CHECK_INT_EQ(len2, len);
        CHECK(memcmp(now, bytes, len) == 0); /* byte-identical rewrite */
        roost_free(now);
    }
    /* Cutting exactly at the block boundary is not damage. */
    unlink(idx);
    write_file(path, bytes, last);
    check_recovers(dir, w, n, false);
    roost_free(bytes);
    free_w(w, n);
    rm_dir(dir);
}

static void test_corrupt_bytes(void)
{
    const char *dir = tmp_dir("corrupt");
    size_t n = 40;
    struct wrec *w = roost_calloc(n, sizeof(*w));
    CHECK(w != NULL);
    for (size_t i = 0; i < n; i++) {
        make_rec(&w[i], 30 + rng() % 200, 3000 + (int64_t)i, (int)(i % 2),
                 (long)i);
    }
    char path[600], idx[700];
    size_t len, last;
    char *bytes = torn_setup(dir, w, n, &len, &last, path, sizeof(path));
    snprintf(idx, sizeof(idx), "%s.idx", path);
    /* A flipped byte anywhere in the last block (a sample of offsets). */
    for (size_t off = last; off < len; off += 1 + (len - last) / 60) {
        unlink(idx);
        bytes[off] ^= 0x5a;
        write_file(path, bytes, len);
        bytes[off] ^= 0x5a;
        check_recovers(dir, w, n, true);
    }
    /* Garbage appended after the last good block. */
    unlink(idx);
    char *junk = roost_malloc(len + 100);
    CHECK(junk != NULL);
    memcpy(junk, bytes, last);
    memset(junk + last, 0xab, 100);
    write_file(path, junk, last + 100);
    check_recovers(dir, w, n, true);
    roost_free(junk);

    /* A damaged middle block of a closed segment: readers skip and count
     * it, the other blocks still come back. */
    bytes[last / 2] ^= 0x01;
    write_file(path, bytes, len);
    struct roost_archive_reader *r = NULL;
    CHECK_INT_EQ(
        roost_archive_reader_open(dir, INT64_MIN, INT64_MAX, NULL, &r, NULL),
        0);
    struct roost_archive_rec rec;
    size_t got = 0;
    while (roost_archive_reader_next(r, &rec) == 0) {
        got++;
    }
    struct roost_archive_read_stats rs;
    roost_archive_reader_stats(r, &rs);
    roost_archive_reader_close(r);
    CHECK(rs.n_bad_blocks + rs.n_torn_tails >= 1);
    CHECK(got < n && got >= 5);
    roost_free(bytes);
    free_w(w, n);
    rm_dir(dir);
}

static void test_last_position(void)
{
    const char *dir = tmp_dir("lastpos");
    struct roost_archive_cfg cfg = { .dir = dir, .segment_bytes = 4096 };
    struct roost_archive *a = NULL;
    char pos[64];
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
    CHECK_INT_EQ(roost_archive_last_position(a, "tcp", pos, sizeof(pos)),
                 ROOST_ENOENT);
    char big[3000];
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = (char)rng(); /* incompressible: forces rotation */
    }
    struct roost_archive_rec r = { .bytes = big,
                                   .len = sizeof(big),
                                   .recv_ms = 1,
                                   .source = "old",
                                   .position = "old:7" };
    CHECK_INT_EQ(roost_archive_append(a, &r), 0);
    CHECK_INT_EQ(roost_archive_flush(a), 0);
    /* Rotate the "old" source's segment away with other traffic. */
    for (int i = 0; i < 10; i++) {
        char p[32];
        snprintf(p, sizeof(p), "off=%d", i * 100);
        r.source = "file";
        r.position = p;
        r.recv_ms = 10 + i;
        CHECK_INT_EQ(roost_archive_append(a, &r), 0);
        CHECK_INT_EQ(roost_archive_flush(a), 0);
    }
    r.source = "tcp";
    r.position = "seq=42";
    CHECK_INT_EQ(roost_archive_append(a, &r), 0);
    /* Not acknowledged yet: the position has not moved. */
    CHECK_INT_EQ(roost_archive_last_position(a, "tcp", pos, sizeof(pos)),
                 ROOST_ENOENT);
    CHECK_INT_EQ(roost_archive_flush(a), 0);
    CHECK_INT_EQ(roost_archive_last_position(a, "tcp", pos, sizeof(pos)), 0);
    CHECK_STR_EQ(pos, "seq=42");
    CHECK_INT_EQ(roost_archive_last_position(a, "tcp", pos, 3), ROOST_ELIMIT);
    CHECK_INT_EQ(roost_archive_close(a), 0);
    CHECK(list_dir(dir).n_segs > 3);

    for (int round = 0; round < 2; round++) {
        a = NULL;
        CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
        CHECK_INT_EQ(roost_archive_last_position(a, "old", pos, sizeof(pos)),
                     0);
        CHECK_STR_EQ(pos, "old:7");
        CHECK_INT_EQ(roost_archive_last_position(a, "file", pos, sizeof(pos)),
                     0);
        CHECK_STR_EQ(pos, "off=900");
        CHECK_INT_EQ(roost_archive_last_position(a, "tcp", pos, sizeof(pos)),
                     0);
        CHECK_STR_EQ(pos, "seq=42");
        CHECK_INT_EQ(roost_archive_close(a), 0);
        /* Again without any index: positions come from the blocks. */
        char cmd[700];
        snprintf(cmd, sizeof(cmd), "rm -f '%s'/*.idx", dir);
        CHECK(system(cmd) == 0);
    }
    rm_dir(dir);
}

static void test_fsync_policies(void)
{
    static const enum roost_archive_fsync pol[] = {
        ROOST_ARCHIVE_FSYNC_BLOCK,
        ROOST_ARCHIVE_FSYNC_NONE,
        ROOST_ARCHIVE_FSYNC_INTERVAL,
        ROOST_ARCHIVE_FSYNC_SEGMENT,
    };
    for (size_t p = 0; p < 4; p++) {
        const char *dir = tmp_dir("fsync");
        struct roost_archive_cfg cfg = { .dir = dir,
                                         .fsync = pol[p],
                                         .fsync_interval_ms = 60000 };
        struct roost_archive *a = NULL;
        CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
        struct roost_archive_rec r = { .bytes = "{}",
                                       .len = 2,
                                       .recv_ms = 5,
                                       .source = "s",
                                       .position = "1" };
        for (int i = 0; i < 5; i++) {
            CHECK_INT_EQ(roost_archive_append(a, &r), 0);
            CHECK_INT_EQ(roost_archive_flush(a), 0);
        }
        struct roost_archive_stats st;
        roost_archive_stats(a, &st);
        CHECK_INT_EQ(st.n_blocks, 5);
        switch (pol[p]) {
        case ROOST_ARCHIVE_FSYNC_BLOCK:
            CHECK_INT_EQ(st.n_fsyncs, 6); /* the directory + 5 blocks */
            break;
        case ROOST_ARCHIVE_FSYNC_NONE:
            CHECK_INT_EQ(st.n_fsyncs, 0);
            break;
        case ROOST_ARCHIVE_FSYNC_INTERVAL:
        case ROOST_ARCHIVE_FSYNC_SEGMENT:
            CHECK_INT_EQ(st.n_fsyncs, 1); /* the directory */
            break;
        }
        CHECK_INT_EQ(roost_archive_close(a), 0);
        CHECK_INT_EQ(list_dir(dir).n_records, 5);
        rm_dir(dir);
    }
    struct roost_archive_cfg bad = { .dir = "/tmp", .fsync = 9 };
    struct roost_archive *a = NULL;
    CHECK_INT_EQ(roost_archive_open(&bad, &a, NULL), ROOST_EINVAL);
    CHECK(a == NULL);
}

static void test_bad_dir_and_args(void)
{
    struct roost_archive *a = NULL;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    struct roost_archive_cfg cfg = { .dir = "" };
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, &d), ROOST_EINVAL);
    CHECK_INT_EQ(roost_archive_open(NULL, &a, &d), ROOST_EINVAL);

    const char *dir = tmp_dir("baddir");
    CHECK(mkdir(dir, 0755) == 0);
    char file[600];
    snprintf(file, sizeof(file), "%s/plain", dir);
    write_file(file, "x", 1);
    cfg.dir = file;
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, &d), ROOST_EIO);
    char under[700];
    snprintf(under, sizeof(under), "%s/sub", file);
    cfg.dir = under;
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, &d), ROOST_EIO);
    CHECK(d.sys_errno != 0);
    CHECK(a == NULL);

    char missing[700];
    snprintf(missing, sizeof(missing), "%s/none", dir);
    struct roost_archive_reader *r = NULL;
    CHECK_INT_EQ(roost_archive_reader_open(missing, 0, 1, NULL, &r, &d),
                 ROOST_ENOENT);
    CHECK_INT_EQ(roost_archive_list(missing, on_seg, NULL, &d), ROOST_ENOENT);

    /* Parents are created; a second writer is refused. */
    char deep[700];
    snprintf(deep, sizeof(deep), "%s/a/b/c", dir);
    cfg.dir = deep;
    cfg.zstd_level = 99;
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, &d), ROOST_EINVAL);
    cfg.zstd_level = 3;
    CHECK_INT_EQ(roost_archive_open(&cfg, &a, &d), 0);
    struct roost_archive *b = NULL;
    CHECK_INT_EQ(roost_archive_open(&cfg, &b, &d), ROOST_EAGAIN);
    CHECK(b == NULL);

    struct roost_archive_rec rec = {
        .bytes = "x", .len = 1, .source = "s", .position = "p"
    };
    rec.source = NULL;
    CHECK_INT_EQ(roost_archive_append(a, &rec), ROOST_EINVAL);
    char longsrc[300];
    memset(longsrc, 'a', sizeof(longsrc) - 1);
    longsrc[sizeof(longsrc) - 1] = '\0';
    rec.source = longsrc;
    CHECK_INT_EQ(roost_archive_append(a, &rec), ROOST_ELIMIT);
    rec.source = "s";
    rec.len = ROOST_ARCHIVE_MAX_RECORD_BYTES + 1;
    CHECK_INT_EQ(roost_archive_append(a, &rec), ROOST_ELIMIT);
    rec.len = 1;
    CHECK_INT_EQ(roost_archive_append(a, &rec), 0);
    CHECK_INT_EQ(roost_archive_close(a), 0);
    CHECK_INT_EQ(roost_archive_close(NULL), 0);
    rm_dir(dir);
}

/* The record the kill test writes as number i: its content is a function
 * of i so the reader can check it without the writer. */
static size_t kill_rec(uint64_t i, char *buf, size_t cap)
{
    size_t len = 20 + (size_t)((i * 2654435761u) % 900);
    if (len > cap) {
        len = cap;
    }
    for (size_t k = 0; k < len; k++) {
        buf[k] = (char)('a' + (i + k) % 26);
    }
    int n = snprintf(buf, cap, "%llu|", (unsigned long long)i);
    buf[n - 1] = '|';
    return len;
}

static void kill_child(const char *dir, int ack_fd)
{
    struct roost_archive_cfg cfg = { .dir = dir,
                                     .block_bytes = 16 << 10,
                                     .segment_bytes = 256 << 10,
                                     .fsync = ROOST_ARCHIVE_FSYNC_NONE };
    struct roost_archive *a = NULL;
    if (roost_archive_open(&cfg, &a, NULL) != 0) {
        _exit(1);
    }
    char buf[1024], pos[32];
    for (uint64_t i = 0;; i++) {
        size_t len = kill_rec(i, buf, sizeof(buf));
        snprintf(pos, sizeof(pos), "%llu", (unsigned long long)i);
        struct roost_archive_rec r = { .bytes = buf,
                                       .len = len,
                                       .recv_ms = (int64_t)i,
                                       .source = "gen",
                                       .position = pos };
        if (roost_archive_append(a, &r) != 0) {
            _exit(1);
        }
        if (i % 37 == 36) {
            if (roost_archive_flush(a) != 0) {
                _exit(1);
            }
            uint64_t acked = i + 1;
            if (write(ack_fd, &acked, sizeof(acked)) != sizeof(acked)) {
                _exit(1);
            }
        }
    }
}

static void test_kill9_prefix(void)
{
    const char *dir = tmp_dir("kill9");
    char dir_copy[512];
    snprintf(dir_copy, sizeof(dir_copy), "%s", dir);
    rng_state ^= (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
    for (int round = 0; round < 3; round++) {
        int fds[2];
        CHECK(pipe(fds) == 0);
        pid_t pid = fork();
        CHECK(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            kill_child(dir_copy, fds[1]);
            _exit(0);
        }
        close(fds[1]);
        struct timespec ts = { 0, (long)(20 + rng() % 200) * 1000000L };
        nanosleep(&ts, NULL);
        CHECK(kill(pid, SIGKILL) == 0);
        int status;
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFSIGNALED(status));
        uint64_t acked = 0, v;
        while (read(fds[0], &v, sizeof(v)) == sizeof(v)) {
            acked = v;
        }
        close(fds[0]);

        /* Recover, then every record is whole, in order, a prefix. */
        struct roost_archive_cfg cfg = { .dir = dir_copy, .log = quiet_log };
        struct roost_archive *a = NULL;
        CHECK_INT_EQ(roost_archive_open(&cfg, &a, NULL), 0);
        char last[32] = "";
        int lp = roost_archive_last_position(a, "gen", last, sizeof(last));
        CHECK_INT_EQ(roost_archive_close(a), 0);

        struct roost_archive_reader *r = NULL;
        CHECK_INT_EQ(roost_archive_reader_open(dir_copy, INT64_MIN, INT64_MAX,
                                               NULL, &r, NULL),
                     0);
        struct roost_archive_rec rec;
        uint64_t i = 0;
        char buf[1024];
        while (roost_archive_reader_next(r, &rec) == 0) {
            /* Each round restarts numbering in the same archive. */
            if (rec.recv_ms == 0 && i > 0) {
                i = 0;
            }
            size_t len = kill_rec(i, buf, sizeof(buf));
            CHECK_MSG(rec.recv_ms == (int64_t)i, "record %llu out of order",
                      (unsigned long long)i);
            CHECK(rec.len == len && memcmp(rec.bytes, buf, len) == 0);
            i++;
        }
        roost_archive_reader_close(r);
        CHECK_MSG(i >= acked, "acknowledged %llu, found %llu",
                  (unsigned long long)acked, (unsigned long long)i);
        if (i > 0) {
            CHECK_INT_EQ(lp, 0);
            CHECK_INT_EQ(strtoull(last, NULL, 10), i - 1);
        }
    }
    rm_dir(dir_copy);
}

CHECK_LIST(test_roundtrip_binary, test_reopen_appends, test_rotate_by_size,
           test_rotate_by_time, test_range_skips_blocks,
           test_torn_tail_every_offset, test_corrupt_bytes, test_last_position,
           test_fsync_policies, test_bad_dir_and_args, test_kill9_prefix);
