/* SPDX-License-Identifier: MIT
 *
 * test_src_file.c - the file source, driven through its ops without the
 * receiver thread: plain, gzip and zstd files, directories, follow mode,
 * resume, flagged records and full batches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "check.h"
#include "core/batch.h"
#include "core/mem.h"
#include "source/source.h"

#define MAX_GOT 4096

struct got {
    size_t n;
    char *rec[MAX_GOT];
    size_t len[MAX_GOT];
    char *pos[MAX_GOT];
    int err[MAX_GOT];
    uint64_t line[MAX_GOT];
    int last_rc;
    unsigned n_full; /* polls that said ELIMIT */
};

static void got_clear(struct got *g)
{
    for (size_t i = 0; i < g->n; i++) {
        free(g->rec[i]);
        free(g->pos[i]);
    }
    memset(g, 0, sizeof(*g));
}

static void got_take(struct got *g, struct roost_batch *b)
{
    for (uint32_t i = 0; i < b->n_recs; i++) {
        CHECK(g->n < MAX_GOT);
        struct roost_str r = roost_batch_rec(b, i);
        struct roost_str p = roost_batch_pos(b, i);
        g->rec[g->n] = malloc(r.len + 1);
        memcpy(g->rec[g->n], r.ptr, r.len);
        g->rec[g->n][r.len] = '\0';
        g->len[g->n] = r.len;
        g->pos[g->n] = malloc(p.len + 1);
        memcpy(g->pos[g->n], p.ptr, p.len);
        g->pos[g->n][p.len] = '\0';
        g->err[g->n] = b->recs[i].err;
        g->line[g->n] = b->recs[i].line;
        g->n++;
    }
    roost_batch_reset(b);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* pump - poll src until ENOENT, `want` records, or timeout_ms. */
static void pump(struct roost_source *src, struct got *g, size_t batch_bytes,
                 size_t want, int timeout_ms)
{
    struct roost_batch *b = NULL;
    int64_t end = mono_ms() + timeout_ms;

    CHECK_INT_EQ(roost_batch_new(src->name, batch_bytes, &b), 0);
    for (;;) {
        int rc = src->ops->poll(src, b);
        g->last_rc = rc;
        if (rc == ROOST_ELIMIT) {
            CHECK(b->n_recs > 0);
            g->n_full++;
        }
        got_take(g, b);
        if (rc == ROOST_ENOENT || (want > 0 && g->n >= want) ||
            mono_ms() > end) {
            break;
        }
        CHECK_MSG(rc == 0 || rc == ROOST_EAGAIN || rc == ROOST_ELIMIT,
                  "poll rc %d", rc);
        if (rc == ROOST_EAGAIN) {
            usleep(2000);
        }
    }
    roost_batch_free(b);
}

static struct roost_source *open_src(const char *spec, const char *resume)
{
    struct roost_source *src = NULL;
    struct roost_diag d = { 0 };
    int rc = roost_source_new(spec, &src, &d);
    CHECK_MSG(rc == 0, "%s: %s", spec, d.msg);
    if (resume != NULL) {
        snprintf(src->resume, sizeof(src->resume), "%s", resume);
    }
    CHECK_INT_EQ(src->ops->open(src), 0);
    return src;
}

static void close_src(struct roost_source *src)
{
    src->ops->close(src);
    roost_source_free(src);
}

static char *tmpdir(void)
{
    static char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/roost-tsf-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    return dir;
}

static void rm_rf(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK_INT_EQ(system(cmd), 0);
}

static void write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    CHECK_INT_EQ(fwrite(data, 1, len, f), len);
    CHECK_INT_EQ(fclose(f), 0);
}

static void append_file(const char *path, const char *s)
{
    FILE *f = fopen(path, "ab");
    CHECK(f != NULL);
    CHECK_INT_EQ(fwrite(s, 1, strlen(s), f), strlen(s));
    CHECK_INT_EQ(fclose(f), 0);
}

static void write_gz(const char *path, const char *data, size_t len)
{
    gzFile z = gzopen(path, "wb");
    CHECK(z != NULL);
    /* Two members, as `cat a.gz b.gz` makes. */
    CHECK_INT_EQ(gzwrite(z, data, (unsigned)(len / 2)), (int)(len / 2));
    CHECK_INT_EQ(gzclose(z), Z_OK);
    z = gzopen(path, "ab");
    CHECK(z != NULL);
    CHECK_INT_EQ(gzwrite(z, data + len / 2, (unsigned)(len - len / 2)),
                 (int)(len - len / 2));
    CHECK_INT_EQ(gzclose(z), Z_OK);
}

static void write_zst(const char *path, const char *data, size_t len)
{
    size_t cap = ZSTD_compressBound(len);
    char *out = malloc(cap);
    size_t n = ZSTD_compress(out, cap, data, len, 3);
    CHECK(!ZSTD_isError(n));
    write_file(path, out, n);
    free(out);
}

/* corpus - n JSONL records, some long enough to straddle 64 KiB reads. */
static char *corpus(int n, size_t *len)
{
    size_t cap = 1 << 22;
    char *s = malloc(cap);
    size_t o = 0;
    for (int i = 0; i < n; i++) {
        size_t pad = (i % 17 == 5) ? 70000 + (size_t)i : (size_t)(i % 40);
        o += (size_t)snprintf(s + o, cap - o, "{\"id\":%d,\"t\":\"", i);
        CHECK(o + pad + 16 < cap);
        memset(s + o, 'a' + i % 26, pad);
        o += pad;
        o += (size_t)snprintf(s + o, cap - o, "\"}\n");
    }
    *len = o;
    return s;
}

static void check_matches_corpus(const struct got *g, const char *data,
                                 size_t len, const char *path)
{
    size_t off = 0;
    uint64_t line = 1;
    for (size_t i = 0; i < g->n; i++) {
        const char *nl = memchr(data + off, '\n', len - off);
        CHECK(nl != NULL);
        size_t rl = (size_t)(nl - (data + off));
        CHECK_MSG(g->len[i] == rl && memcmp(g->rec[i], data + off, rl) == 0,
                  "record %zu differs", i);
        CHECK_INT_EQ(g->err[i], 0);
        CHECK_INT_EQ(g->line[i], line);
        char want[512];
        snprintf(want, sizeof(want), "%s\t%zu", path, off + rl);
        CHECK_STR_EQ(g->pos[i], want);
        off += rl + 1;
        line++;
    }
    CHECK_INT_EQ(off, len);
}

static void test_plain_split_records(void)
{
    char *dir = tmpdir();
    char path[128];
    size_t len = 0;
    char *data = corpus(60, &len);
    snprintf(path, sizeof(path), "%s/a.jsonl", dir);
    write_file(path, data, len);

    char spec[160];
    snprintf(spec, sizeof(spec), "file:%s", path);
    struct roost_source *src = open_src(spec, NULL);
    struct got g = { 0 };
    pump(src, &g, 1 << 20, 0, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    CHECK_INT_EQ(g.n, 60);
    check_matches_corpus(&g, data, len, path);
    /* Finite: stays at ENOENT. */
    CHECK_INT_EQ(src->ops->poll(src, NULL), ROOST_ENOENT);
    got_clear(&g);
    close_src(src);
    free(data);
    rm_rf(dir);
}

static void test_gz_zst_identical(void)
{
    char *dir = tmpdir();
    size_t len = 0;
    char *data = corpus(80, &len);
    const char *names[] = { "p.jsonl", "z.jsonl.gz", "s.jsonl.zst",
                            "magic-gz.data", "magic-zst.data" };
    char path[5][128];
    for (int i = 0; i < 5; i++) {
        snprintf(path[i], sizeof(path[i]), "%s/%s", dir, names[i]);
    }
    write_file(path[0], data, len);
    write_gz(path[1], data, len);
    write_zst(path[2], data, len);
    write_gz(path[3], data, len);
    write_zst(path[4], data, len);
    for (int i = 0; i < 5; i++) {
        char spec[160];
        snprintf(spec, sizeof(spec), "file:%s", path[i]);
        struct roost_source *src = open_src(spec, NULL);
        struct got g = { 0 };
        pump(src, &g, 1 << 20, 0, 5000);
        CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
        CHECK_INT_EQ(g.n, 80);
        check_matches_corpus(&g, data, len, path[i]);
        got_clear(&g);
        close_src(src);
    }
    free(data);
    rm_rf(dir);
}

static void test_dir_sorted_pattern(void)
{
    char *dir = tmpdir();
    char path[160];
    snprintf(path, sizeof(path), "%s/b.jsonl", dir);
    write_file(path, "{\"f\":\"b1\"}\n{\"f\":\"b2\"}\n", 22);
    snprintf(path, sizeof(path), "%s/a.jsonl", dir);
    write_file(path, "{\"f\":\"a1\"}\n", 11);
    snprintf(path, sizeof(path), "%s/c.json.gz", dir);
    write_gz(path, "{\"f\":\"c1\"}\n", 11);
    snprintf(path, sizeof(path), "%s/.hidden.jsonl", dir);
    write_file(path, "{\"f\":\"h\"}\n", 10);
    snprintf(path, sizeof(path), "%s/notes.txt", dir);
    write_file(path, "{\"f\":\"t\"}\n", 10);

    char spec[200];
    snprintf(spec, sizeof(spec), "file:%s/?pattern=*.jsonl,.gz", dir);
    struct roost_source *src = open_src(spec, NULL);
    struct got g = { 0 };
    pump(src, &g, 1 << 20, 0, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    CHECK_INT_EQ(g.n, 4);
    CHECK_STR_EQ(g.rec[0], "{\"f\":\"a1\"}");
    CHECK_STR_EQ(g.rec[1], "{\"f\":\"b1\"}");
    CHECK_STR_EQ(g.rec[2], "{\"f\":\"b2\"}");
    CHECK_STR_EQ(g.rec[3], "{\"f\":\"c1\"}");
    snprintf(path, sizeof(path), "%s/b.jsonl\t21", dir);
    CHECK_STR_EQ(g.pos[2], path);
    got_clear(&g);
    close_src(src);

    /* No pattern: every visible regular file, the .txt too. */
    snprintf(spec, sizeof(spec), "file:%s", dir);
    src = open_src(spec, NULL);
    pump(src, &g, 1 << 20, 0, 5000);
    CHECK_INT_EQ(g.n, 5);
    CHECK_STR_EQ(g.rec[4], "{\"f\":\"t\"}");
    got_clear(&g);
    close_src(src);
    rm_rf(dir);
}

static void test_resume_exact(void)
{
    char *dir = tmpdir();
    size_t len = 0;
    char *data = corpus(40, &len);
    char path[160];
    snprintf(path, sizeof(path), "%s/1.jsonl", dir);
    write_file(path, data, len);
    snprintf(path, sizeof(path), "%s/2.jsonl.gz", dir);
    write_gz(path, data, len);
    snprintf(path, sizeof(path), "%s/3.jsonl.zst", dir);
    write_zst(path, data, len);

    char spec[200];
    snprintf(spec, sizeof(spec), "file:%s", dir);
    struct roost_source *src = open_src(spec, NULL);
    struct got all = { 0 };
    pump(src, &all, 1 << 20, 0, 5000);
    CHECK_INT_EQ(all.n, 120);
    close_src(src);

    /* Resume after every k-th record: exactly the rest comes back. */
    const size_t ks[] = { 0, 1, 17, 39, 40, 41, 63, 79, 80, 100, 119 };
    for (size_t t = 0; t < sizeof(ks) / sizeof(ks[0]); t++) {
        size_t k = ks[t];
        src = open_src(spec, all.pos[k]);
        struct got g = { 0 };
        pump(src, &g, 1 << 20, 0, 5000);
        CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
        CHECK_MSG(g.n == all.n - k - 1, "resume after %zu: got %zu", k, g.n);
        for (size_t i = 0; i < g.n; i++) {
            CHECK_STR_EQ(g.rec[i], all.rec[k + 1 + i]);
            CHECK_STR_EQ(g.pos[i], all.pos[k + 1 + i]);
            CHECK_INT_EQ(g.line[i], all.line[k + 1 + i]);
        }
        got_clear(&g);
        close_src(src);
    }
    got_clear(&all);
    free(data);
    rm_rf(dir);
}

static void test_oversize_and_truncated(void)
{
    char *dir = tmpdir();
    char path[160];
    size_t big = 5000;
    char *data = malloc(big + 64);
    size_t o = (size_t)snprintf(data, 64, "{\"ok\":1}\n{\"big\":\"");
    memset(data + o, 'x', big);
    o += big;
    o += (size_t)snprintf(data + o, 64, "\"}\n{\"ok\":2}\n{\"cut\":");
    snprintf(path, sizeof(path), "%s/f.jsonl", dir);
    write_file(path, data, o);

    char spec[200];
    snprintf(spec, sizeof(spec), "file:%s?max-record=1k", path);
    struct roost_source *src = open_src(spec, NULL);
    struct got g = { 0 };
    pump(src, &g, 1 << 20, 0, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    CHECK_INT_EQ(g.n, 4);
    CHECK_STR_EQ(g.rec[0], "{\"ok\":1}");
    CHECK_INT_EQ(g.err[1], ROOST_ELIMIT);
    CHECK(g.len[1] > 0 && g.len[1] <= 1024);
    CHECK(memcmp(g.rec[1], "{\"big\":\"xxx", 11) == 0);
    CHECK_INT_EQ(g.line[1], 2);
    CHECK_STR_EQ(g.rec[2], "{\"ok\":2}");
    CHECK_INT_EQ(g.err[2], 0);
    CHECK_INT_EQ(g.line[2], 3);
    CHECK_STR_EQ(g.rec[3], "{\"cut\":");
    CHECK_INT_EQ(g.err[3], ROOST_EPARSE);
    got_clear(&g);
    close_src(src);
    free(data);
    rm_rf(dir);
}

static void test_full_batch_keeps_record(void)
{
    char *dir = tmpdir();
    size_t len = 0;
    char *data = corpus(50, &len);
    char path[160];
    snprintf(path, sizeof(path), "%s/a.jsonl", dir);
    write_file(path, data, len);
    char spec[200];
    snprintf(spec, sizeof(spec), "file:%s", path);
    struct roost_source *src = open_src(spec, NULL);
    struct got g = { 0 };
    /* 200 KiB batches: the 70 KB records force many ELIMIT returns. */
    pump(src, &g, 200 << 10, 0, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    CHECK(g.n_full > 0);
    CHECK_INT_EQ(g.n, 50);
    check_matches_corpus(&g, data, len, path);
    got_clear(&g);
    close_src(src);
    free(data);
    rm_rf(dir);
}

static void test_follow_dir_new_file(void)
{
    char *dir = tmpdir();
    char spec[200];
    snprintf(spec, sizeof(spec), "file:%s?follow=true&poll-interval=20ms", dir);
    struct roost_source *src = open_src(spec, NULL);
    struct got g = { 0 };
    pump(src, &g, 1 << 20, 0, 100);
    CHECK_INT_EQ(g.n, 0);
    CHECK_INT_EQ(g.last_rc, ROOST_EAGAIN);

    char tmp[160], path[160];
    snprintf(tmp, sizeof(tmp), "%s/.incoming", dir);
    snprintf(path, sizeof(path), "%s/001.jsonl", dir);
    write_file(tmp, "{\"n\":1}\n{\"n\":2}\n", 16);
    CHECK_INT_EQ(rename(tmp, path), 0);
    pump(src, &g, 1 << 20, 2, 3000);
    CHECK_INT_EQ(g.n, 2);
    CHECK_STR_EQ(g.rec[1], "{\"n\":2}");

    /* The newest file is tailed until a newer one appears. */
    append_file(path, "{\"n\":3}\n");
    pump(src, &g, 1 << 20, 3, 3000);
    CHECK_INT_EQ(g.n, 3);
    snprintf(path, sizeof(path), "%s/002.jsonl.gz", dir);
    write_gz(tmp, "{\"n\":4}\n", 8);
    CHECK_INT_EQ(rename(tmp, path), 0);
    pump(src, &g, 1 << 20, 4, 3000);
    CHECK_INT_EQ(g.n, 4);
    CHECK_STR_EQ(g.rec[3], "{\"n\":4}");
    snprintf(path, sizeof(path), "%s/002.jsonl.gz\t7", dir);
    CHECK_STR_EQ(g.pos[3], path);
    got_clear(&g);
    close_src(src);
    rm_rf(dir);
}

static void test_follow_file_tail(void)
{
    char *dir = tmpdir();
    char path[160], spec[200];
    snprintf(path, sizeof(path), "%s/live.jsonl", dir);
    write_file(path, "{\"n\":1}\n{\"n\":", 13);
    snprintf(spec, sizeof(spec), "file:%s?follow=1&poll-interval=10", path);
    struct roost_source *src = open_src(spec, NULL);
    struct got g = { 0 };
    pump(src, &g, 1 << 20, 0, 100);
    CHECK_INT_EQ(g.n, 1); /* the partial line waits */
    CHECK_INT_EQ(g.last_rc, ROOST_EAGAIN);

    append_file(path, "2}\n{\"n\":3}\n");
    pump(src, &g, 1 << 20, 3, 3000);
    CHECK_INT_EQ(g.n, 3);
    CHECK_STR_EQ(g.rec[1], "{\"n\":2}");
    CHECK_INT_EQ(g.line[2], 3);

    /* copytruncate: the file shrinks, reading restarts at 0. */
    write_file(path, "{\"n\":4}\n", 8);
    pump(src, &g, 1 << 20, 4, 3000);
    CHECK_INT_EQ(g.n, 4);
    CHECK_STR_EQ(g.rec[3], "{\"n\":4}");
    char want[200];
    snprintf(want, sizeof(want), "%s\t7", path);
    CHECK_STR_EQ(g.pos[3], want);

    /* Rotation: rename away, a new file at the path. */
    char old[170];
    snprintf(old, sizeof(old), "%s.1", path);
    CHECK_INT_EQ(rename(path, old), 0);
    append_file(old, "{\"n\":5}\n");
    write_file(path, "{\"n\":6}\n", 8);
    pump(src, &g, 1 << 20, 6, 3000);
    CHECK_INT_EQ(g.n, 6);
    CHECK_STR_EQ(g.rec[4], "{\"n\":5}");
    CHECK_STR_EQ(g.rec[5], "{\"n\":6}");
    CHECK_INT_EQ(g.line[5], 1);
    got_clear(&g);
    close_src(src);
    rm_rf(dir);
}

static void test_follow_file_created_later(void)
{
    char *dir = tmpdir();
    char path[160], spec[200];
    snprintf(path, sizeof(path), "%s/later.jsonl", dir);
    snprintf(spec, sizeof(spec), "file:%s?follow=on&poll-interval=10ms", path);
    struct roost_source *src = open_src(spec, NULL);
    struct got g = { 0 };
    pump(src, &g, 1 << 20, 0, 50);
    CHECK_INT_EQ(g.last_rc, ROOST_EAGAIN);
    write_file(path, "{\"n\":1}\n", 8);
    pump(src, &g, 1 << 20, 1, 3000);
    CHECK_INT_EQ(g.n, 1);
    got_clear(&g);
    close_src(src);
    rm_rf(dir);
}

static void test_max_files_per_trigger(void)
{
    char *dir = tmpdir();
    char path[160], spec[200];
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s/%d.jsonl", dir, i);
        write_file(path, "{}\n", 3);
    }
    snprintf(spec, sizeof(spec),
             "file:%s?max-files-per-trigger=1&poll-interval=200ms", dir);
    struct roost_source *src = open_src(spec, NULL);
    struct got g = { 0 };
    pump(src, &g, 1 << 20, 0, 50);
    CHECK_INT_EQ(g.n, 1); /* one file this round */
    pump(src, &g, 1 << 20, 0, 2000);
    CHECK_INT_EQ(g.n, 3);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    got_clear(&g);
    close_src(src);
    rm_rf(dir);
}

static void test_open_errors(void)
{
    struct roost_source *src = NULL;
    CHECK_INT_EQ(roost_source_new("file:/nonexistent/x.jsonl", &src, NULL), 0);
    CHECK_INT_EQ(src->ops->open(src), ROOST_ENOENT);
    src->ops->close(src);
    /* open/close twice on a good path. */
    roost_source_free(src);
    CHECK_INT_EQ(roost_source_new("file", &src, NULL), 0);
    CHECK_INT_EQ(src->ops->open(src), ROOST_EINVAL); /* no ARG */
    src->ops->close(src);
    roost_source_free(src);

    char *dir = tmpdir();
    char spec[200];
    snprintf(spec, sizeof(spec), "file:%s", dir);
    CHECK_INT_EQ(roost_source_new(spec, &src, NULL), 0);
    snprintf(src->resume, sizeof(src->resume), "garbage");
    CHECK_INT_EQ(src->ops->open(src), ROOST_EINVAL);
    src->ops->close(src);
    src->resume[0] = '\0';
    for (int i = 0; i < 2; i++) {
        CHECK_INT_EQ(src->ops->open(src), 0);
        struct got g = { 0 };
        pump(src, &g, 1 << 20, 0, 1000);
        CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
        src->ops->close(src);
    }
    roost_source_free(src);
    rm_rf(dir);
}

static void test_corrupt_gz(void)
{
    char *dir = tmpdir();
    char path[160], spec[200];
    size_t len = 0;
    char *data = corpus(30, &len);
    snprintf(path, sizeof(path), "%s/c.gz", dir);
    write_gz(path, data, len);
    /* Chop the file: the records before the cut stand, the cut one is
     * flagged, and the source still ends. */
    struct stat st;
    CHECK_INT_EQ(stat(path, &st), 0);
    CHECK_INT_EQ(truncate(path, st.st_size / 3), 0);
    snprintf(spec, sizeof(spec), "file:%s", path);
    struct roost_source *src = open_src(spec, NULL);
    struct got g = { 0 };
    pump(src, &g, 1 << 20, 0, 5000);
    CHECK_INT_EQ(g.last_rc, ROOST_ENOENT);
    CHECK(g.n > 0 && g.n < 30);
    for (size_t i = 0; i + 1 < g.n; i++) {
        CHECK_INT_EQ(g.err[i], 0);
    }
    CHECK_INT_EQ(g.err[g.n - 1], ROOST_EPARSE);
    got_clear(&g);
    close_src(src);
    free(data);
    rm_rf(dir);
}

CHECK_LIST(test_plain_split_records, test_gz_zst_identical,
           test_dir_sorted_pattern, test_resume_exact,
           test_oversize_and_truncated, test_full_batch_keeps_record,
           test_follow_dir_new_file, test_follow_file_tail,
           test_follow_file_created_later, test_max_files_per_trigger,
           test_open_errors, test_corrupt_gz);
