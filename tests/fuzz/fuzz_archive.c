/* SPDX-License-Identifier: MIT
 *
 * fuzz_archive.c - any bytes as an archive segment file (and as an .idx
 * sidecar) through the reader, the lister, and the writer's recovery,
 * which truncates and then appends; none of it may crash, leak or read
 * out of bounds.
 *
 * Files go to one private directory under $TMPDIR made on the first call.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "store/archive.h"
#include "store/archive_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[512];
static char seg_path[600];
static char idx_path[640];

static int setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/roost-fuzz-archive-XXXXXX",
             t != NULL && t[0] != '\0' ? t : "/tmp");
    if (mkdtemp(dir) == NULL) {
        return -1;
    }
    snprintf(seg_path, sizeof(seg_path), "%s/seg-000000000000000-00000001.rza",
             dir);
    snprintf(idx_path, sizeof(idx_path), "%s.idx", seg_path);
    return 0;
}

static int put_file(const char *path, const uint8_t *p, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        return -1;
    }
    int rc = roost__archive_write_full(fd, p, len);
    close(fd);
    return rc;
}

static int on_seg(void *arg, const struct roost_archive_seg_info *s)
{
    *(uint64_t *)arg += s->n_records;
    return 0;
}

static volatile size_t sink; /* keeps the reads from being optimized out */

static void read_all(int64_t from, int64_t to, const char *source)
{
    struct roost_archive_reader *r = NULL;
    if (roost_archive_reader_open(dir, from, to, source, &r, NULL) != 0) {
        return;
    }
    struct roost_archive_rec rec;
    size_t sum = 0;
    while (roost_archive_reader_next(r, &rec) == 0) {
        sum += rec.len + strlen(rec.source) + strlen(rec.position);
        if (rec.len > 0) {
            sum += (unsigned char)rec.bytes[rec.len - 1];
        }
    }
    roost_archive_reader_close(r);
    sink += sum;
}

static void quiet(void *arg, const char *msg)
{
    (void)arg;
    (void)msg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (dir[0] == '\0' && setup() < 0) {
        return 0;
    }
    unlink(idx_path);
    if (put_file(seg_path, data, size) < 0) {
        return 0;
    }
    read_all(INT64_MIN, INT64_MAX, NULL);
    read_all(0, 1000, "s");
    uint64_t n = 0;
    roost_archive_list(dir, on_seg, &n, NULL);

    /* The same bytes as an index: seg_bytes is taken from the input so
     * the parser gets past the staleness check. */
    struct roost__archive_index ix;
    roost__archive_index_init(&ix);
    if (size >= 16 && put_file(idx_path, data, size) == 0) {
        uint64_t seg_bytes = 0;
        for (int i = 0; i < 8; i++) {
            seg_bytes |= (uint64_t)data[8 + i] << (8 * i);
        }
        roost__archive_index_load(idx_path, seg_bytes, &ix);
        roost__archive_index_fini(&ix);
        unlink(idx_path);
    }

    /* Recovery truncates the torn tail; appending must then work. */
    struct roost_archive_cfg cfg = { .dir = dir,
                                     .log = quiet,
                                     .fsync = ROOST_ARCHIVE_FSYNC_NONE };
    struct roost_archive *a = NULL;
    if (roost_archive_open(&cfg, &a, NULL) == 0) {
        char pos[64];
        roost_archive_last_position(a, "s", pos, sizeof(pos));
        struct roost_archive_rec rec = { .bytes = "{}",
                                         .len = 2,
                                         .recv_ms = 1,
                                         .source = "s",
                                         .position = "1" };
        roost_archive_append(a, &rec);
        roost_archive_close(a);
        read_all(INT64_MIN, INT64_MAX, NULL);
    }
    /* Leave only the fuzzed segment for the next input. */
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "%s/seg-000000000000001-00000002.rza", dir);
    unlink(cmd);
    snprintf(cmd, sizeof(cmd), "%s/seg-000000000000000-00000002.rza", dir);
    unlink(cmd);
    unlink(idx_path);
    return 0;
}
