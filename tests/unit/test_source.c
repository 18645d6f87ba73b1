/* SPDX-License-Identifier: MIT
 *
 * test_source.c - the source registry, spec parsing, option errors, help,
 * and the receiver thread end to end (file and stdin into a queue).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "check.h"
#include "core/batch.h"
#include "core/mem.h"
#include "core/queue.h"
#include "source/source.h"

static const struct roost_queue_codec batch_codec = { roost_batch_encode,
                                                      roost_batch_decode,
                                                      roost_batch_free_item };

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void test_registry(void)
{
    const struct roost_source_ops *const *list = roost_source_list();
    bool file = false, in = false;
    size_t n = 0;
    for (; list[n] != NULL; n++) {
        file = file || strcmp(list[n]->name, "file") == 0;
        in = in || strcmp(list[n]->name, "stdin") == 0;
        CHECK(list[n]->open != NULL && list[n]->poll != NULL &&
              list[n]->close != NULL && list[n]->summary != NULL);
        CHECK(roost_source_find(list[n]->name) == list[n]);
    }
    CHECK(n >= 2 && file && in);
    CHECK(roost_source_find("nope") == NULL);
}

static void test_spec_parsing(void)
{
    struct roost_source *src = NULL;
    struct roost_diag d = { 0 };

    CHECK_INT_EQ(roost_source_new("stdin", &src, &d), 0);
    CHECK_STR_EQ(src->name, "stdin");
    CHECK(src->arg == NULL);
    CHECK_INT_EQ(src->max_record_bytes, 1 << 20);
    CHECK_STR_EQ(src->ops->name, "stdin");
    roost_source_free(src);

    CHECK_INT_EQ(roost_source_new("file:/data/in?follow=true&"
                                  "max-files-per-trigger=10&name=in1&"
                                  "max-record=64k",
                                  &src, &d),
                 0);
    CHECK_STR_EQ(src->arg, "/data/in");
    CHECK_STR_EQ(src->name, "in1");
    CHECK_INT_EQ(src->max_record_bytes, 65536);
    roost_source_free(src);

    /* "//" dropped, bare key means true, %XX decoded, empty parts skipped. */
    CHECK_INT_EQ(roost_source_new("file:///var/log/x?follow&&pattern=%2A."
                                  "json%2C.gz&",
                                  &src, &d),
                 0);
    CHECK_STR_EQ(src->arg, "/var/log/x");
    roost_source_free(src);
    CHECK_INT_EQ(roost_source_new("file://rel/dir", &src, &d), 0);
    CHECK_STR_EQ(src->arg, "rel/dir");
    roost_source_free(src);
    CHECK_INT_EQ(roost_source_new("file:", &src, &d), 0);
    CHECK(src->arg == NULL);
    roost_source_free(src);

    const char *bad[] = { "",
                          ":x",
                          "fi le",
                          "file;x",
                          "file:/x?=v",
                          "file:/x?pattern=%zz",
                          "stdin?name=",
                          ("stdin?name=0123456789012345678901234567890123456"
                           "789012345678901234567890123") };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        src = NULL;
        memset(&d, 0, sizeof(d));
        CHECK_MSG(roost_source_new(bad[i], &src, &d) == ROOST_EINVAL, "%s",
                  bad[i]);
        CHECK(src == NULL);
        CHECK(d.msg[0] != '\0');
    }
}

static void test_option_errors(void)
{
    struct roost_source *src = NULL;
    struct roost_diag d = { 0 };

    CHECK_INT_EQ(roost_source_new("file:/x?folow=1", &src, &d), ROOST_EINVAL);
    CHECK_STR_EQ(d.msg, "unknown option 'folow' for source 'file' (known: "
                        "follow, max-files-per-trigger, pattern, "
                        "poll-interval, name, max-record)");
    CHECK_INT_EQ(roost_source_new("stdin?follow=1", &src, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "'follow' for source 'stdin'") != NULL);
    CHECK_INT_EQ(roost_source_new("file:/x?follow=maybe", &src, &d),
                 ROOST_EINVAL);
    CHECK(strstr(d.msg, "'follow'") != NULL);
    CHECK(strstr(d.msg, "'maybe'") != NULL);
    CHECK_INT_EQ(roost_source_new("file:/x?poll-interval=soon", &src, &d),
                 ROOST_EINVAL);
    CHECK(strstr(d.msg, "'poll-interval'") != NULL);
    CHECK_INT_EQ(roost_source_new("file:/x?max-record=big", &src, &d),
                 ROOST_EINVAL);
    CHECK(strstr(d.msg, "'max-record'") != NULL);
    CHECK_INT_EQ(roost_source_new("kafka:broker?x=1", &src, &d), ROOST_ENOENT);
    CHECK(strstr(d.msg, "unknown source 'kafka' (known: ") != NULL);
    CHECK(strstr(d.msg, "file") != NULL);
}

static void test_oom(void)
{
    for (uint64_t n = 0; n < 12; n++) {
        struct roost_source *src = NULL;
        roost_mem_fault_after(n);
        int rc = roost_source_new("file:/x?pattern=.gz&name=a", &src, NULL);
        roost_mem_fault_after(0);
        CHECK(rc == 0 || rc == ROOST_ENOMEM);
        roost_source_free(src);
    }
}

static void test_help(void)
{
    struct roost_buf b;
    roost_buf_init(&b, 1 << 16);
    CHECK_INT_EQ(roost_source_help(roost_source_find("file"), &b), 0);
    CHECK(strncmp(b.ptr, "file - ", 7) == 0);
    CHECK(strstr(b.ptr, "\n  follow ") != NULL);
    CHECK(strstr(b.ptr, "default: 500ms") != NULL);
    CHECK(strstr(b.ptr, "\n  max-record ") != NULL);
    roost_buf_reset(&b);
    CHECK_INT_EQ(roost_source_help(roost_source_find("stdin"), &b), 0);
    CHECK(strstr(b.ptr, "\n  name ") != NULL);
    roost_buf_fini(&b);
}

/* ---- the receiver thread ------------------------------------------------ */

static char *tmpdir(void)
{
    static char dir[64];
    snprintf(dir, sizeof(dir), "/tmp/roost-ts-XXXXXX");
    CHECK(mkdtemp(dir) != NULL);
    return dir;
}

static void rm_rf(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK_INT_EQ(system(cmd), 0);
}

static void write_records(const char *path, int from, int n)
{
    FILE *f = fopen(path, "ab");
    CHECK(f != NULL);
    for (int i = from; i < from + n; i++) {
        fprintf(f, "{\"id\":%d,\"text\":\"record number %d\"}\n", i, i);
    }
    CHECK_INT_EQ(fclose(f), 0);
}

/* collect - pop batches until `want` records or ENOENT; check ids run
 * in order from `first` and seq numbers rise. */
static int collect(struct roost_queue *q, int first, int want, int timeout_ms)
{
    int got = 0;
    int64_t last_seq = -1;
    int64_t end = mono_ms() + timeout_ms;
    while (got < want && mono_ms() < end) {
        void *it = NULL;
        int rc = roost_queue_pop(q, 50, &it);
        if (rc == ROOST_ENOENT) {
            break;
        }
        if (rc == ROOST_EAGAIN) {
            continue;
        }
        struct roost_batch *b = it;
        CHECK((int64_t)b->seq > last_seq);
        last_seq = (int64_t)b->seq;
        for (uint32_t i = 0; i < b->n_recs; i++) {
            char want_rec[96];
            int id = first + got;
            snprintf(want_rec, sizeof(want_rec),
                     "{\"id\":%d,\"text\":\"record number %d\"}", id, id);
            struct roost_str r = roost_batch_rec(b, i);
            CHECK_MEM_EQ(r.ptr, r.len, want_rec);
            got++;
        }
        roost_batch_free(b);
    }
    return got;
}

static void test_runner_file_to_queue(void)
{
    char *dir = tmpdir();
    char path[128], spec[160];
    snprintf(path, sizeof(path), "%s/in.jsonl", dir);
    write_records(path, 0, 5000);
    snprintf(spec, sizeof(spec), "file:%s?name=files&max-record=4k", path);

    struct roost_queue_cfg qc = { .max_items = 4, .codec = &batch_codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&qc, &q), 0);
    struct roost_source *src = NULL;
    CHECK_INT_EQ(roost_source_new(spec, &src, NULL), 0);
    struct roost_runner_cfg rc = { .queue = q,
                                   .batch_bytes = 16 << 10,
                                   .batch_ms = 1000 };
    CHECK_INT_EQ(roost_source_start(src, &rc), 0);
    CHECK_INT_EQ(roost_source_start(src, &rc), ROOST_EINVAL);
    CHECK_INT_EQ(collect(q, 0, 5000, 10000), 5000);
    for (int i = 0; i < 1000 && !roost_source_is_done(src); i++) {
        usleep(2000);
    }
    CHECK(roost_source_is_done(src));
    struct roost_source_stats st;
    roost_source_get_stats(src, &st);
    CHECK_INT_EQ(st.n_records, 5000);
    CHECK(st.n_batches > 5); /* 16 KiB batches, blocking queue of 4 */
    CHECK_INT_EQ(st.n_bad, 0);
    CHECK_INT_EQ(st.n_errors, 0);
    roost_source_stop(src);
    CHECK_INT_EQ(src->exit_rc, 0);
    CHECK_INT_EQ(src->stats.n_records, 5000);
    roost_source_free(src);
    roost_queue_free(q);
    rm_rf(dir);
}

static void test_runner_follow_and_stop(void)
{
    char *dir = tmpdir();
    char path[128], spec[160];
    snprintf(path, sizeof(path), "%s/live.jsonl", dir);
    write_records(path, 0, 10);
    snprintf(spec, sizeof(spec), "file:%s?follow=true&poll-interval=10ms",
             path);
    char spill[160];
    snprintf(spill, sizeof(spill), "%s/spill", dir);
    struct roost_queue_cfg qc = { .max_items = 2,
                                  .policy = ROOST_QUEUE_SPILL,
                                  .spill_dir = spill,
                                  .codec = &batch_codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&qc, &q), 0);
    struct roost_source *src = NULL;
    CHECK_INT_EQ(roost_source_new(spec, &src, NULL), 0);
    /* batch_ms small: a trickle is pushed without filling batches. */
    struct roost_runner_cfg rc = { .queue = q, .batch_ms = 20 };
    CHECK_INT_EQ(roost_source_start(src, &rc), 0);
    CHECK_INT_EQ(collect(q, 0, 10, 3000), 10);
    write_records(path, 10, 20);
    CHECK_INT_EQ(collect(q, 10, 20, 3000), 20);
    CHECK(!roost_source_is_done(src));
    /* A big burst into a tiny spilling queue, then a quick stop. */
    write_records(path, 30, 20000);
    usleep(200000);
    int64_t t0 = mono_ms();
    roost_source_stop(src);
    CHECK_MSG(mono_ms() - t0 < 1000, "stop took %lld ms",
              (long long)(mono_ms() - t0));
    CHECK(roost_source_is_done(src));
    roost_queue_close(q);
    int got = collect(q, 30, 20000, 10000);
    struct roost_source_stats st;
    roost_source_get_stats(src, &st);
    CHECK_INT_EQ((uint64_t)got + 30, st.n_records);
    CHECK(st.n_records > 30);
    CHECK_INT_EQ(st.n_dropped, 0);
    roost_source_free(src);
    roost_queue_free(q);
    rm_rf(dir);
}

static void test_runner_open_error(void)
{
    struct roost_queue_cfg qc = { .max_items = 4, .codec = &batch_codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&qc, &q), 0);
    struct roost_source *src = NULL;
    CHECK_INT_EQ(roost_source_new("file:/nonexistent/roost/x", &src, NULL), 0);
    struct roost_runner_cfg rc = { .queue = q };
    CHECK_INT_EQ(roost_source_start(src, &rc), ROOST_ENOENT);
    CHECK(roost_source_is_done(src));
    roost_source_stop(src); /* harmless */
    rc.queue = NULL;
    CHECK_INT_EQ(roost_source_start(src, &rc), ROOST_EINVAL);
    roost_source_free(src);
    roost_queue_free(q);
}

static void test_runner_stdin(void)
{
    int p[2];
    CHECK_INT_EQ(pipe(p), 0);
    CHECK_INT_EQ(dup2(p[0], 0), 0);
    close(p[0]);

    struct roost_queue_cfg qc = { .max_items = 64, .codec = &batch_codec };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&qc, &q), 0);
    struct roost_source *src = NULL;
    CHECK_INT_EQ(roost_source_new("stdin?max-record=100", &src, NULL), 0);
    struct roost_runner_cfg rc = { .queue = q, .batch_ms = 10 };
    CHECK_INT_EQ(roost_source_start(src, &rc), 0);
    const char *part1 = "{\"id\":0,\"text\":\"record number 0\"}\n{\"id\":1,";
    const char *part2 = "\"text\":\"record number 1\"}\n";
    CHECK_INT_EQ(write(p[1], part1, strlen(part1)), (ssize_t)strlen(part1));
    CHECK_INT_EQ(collect(q, 0, 1, 3000), 1);
    CHECK_INT_EQ(write(p[1], part2, strlen(part2)), (ssize_t)strlen(part2));
    CHECK_INT_EQ(collect(q, 1, 1, 3000), 1);
    char big[300];
    memset(big, 'x', sizeof(big));
    big[0] = '"';
    big[sizeof(big) - 2] = '"';
    big[sizeof(big) - 1] = '\n';
    CHECK_INT_EQ(write(p[1], big, sizeof(big)), (ssize_t)sizeof(big));
    CHECK_INT_EQ(write(p[1], "{\"tail\":", 8), 8);
    close(p[1]);
    for (int i = 0; i < 1000 && !roost_source_is_done(src); i++) {
        usleep(2000);
    }
    CHECK(roost_source_is_done(src));
    void *it = NULL;
    int n_bad = 0;
    while (roost_queue_pop(q, 0, &it) == 0) {
        struct roost_batch *b = it;
        for (uint32_t i = 0; i < b->n_recs; i++) {
            n_bad += b->recs[i].err != 0;
            struct roost_str pos = roost_batch_pos(b, i);
            CHECK(pos.len > 6 && memcmp(pos.ptr, "stdin\t", 6) == 0);
        }
        roost_batch_free(b);
    }
    CHECK_INT_EQ(n_bad, 2); /* oversize, and the cut last record */
    roost_source_stop(src);
    CHECK_INT_EQ(src->exit_rc, 0);
    CHECK_INT_EQ(src->stats.n_records, 4);
    CHECK_INT_EQ(src->stats.n_bad, 2);
    roost_source_free(src);
    roost_queue_free(q);
}

CHECK_LIST(test_registry, test_spec_parsing, test_option_errors, test_oom,
           test_help, test_runner_file_to_queue, test_runner_follow_and_stop,
           test_runner_open_error, test_runner_stdin);
