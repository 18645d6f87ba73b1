/* SPDX-License-Identifier: MIT
 *
 * archive.c - the raw archive writer: append, flush (the acknowledgement
 * point), rotate, and recover after a crash.
 *
 * The model. An archive is a directory of segment files
 *
 *     seg-<first_recv_ms:15>-<seq:8>.rza      (+ .rza.idx once closed)
 *
 * read in seq order. The writer keeps first_recv_ms monotonic across
 * segments (a clock that steps back reuses the previous value), so the
 * names also sort in read order. A segment is nothing but a sequence of
 * blocks; a block is a 48-byte header (archive_int.h: magic, version,
 * n_records, raw and compressed sizes, [min,max] recv_ms, crc32c of the
 * payload, crc32c of the header) and one zstd frame holding its records:
 *
 *     varint zigzag(recv_ms - previous recv_ms), varint source_len,
 *     varint position_len, varint len, source, position, bytes
 *
 * Records accumulate in `raw`; a block is cut when raw reaches block_bytes
 * or on roost_archive_flush(). A block is written with one write(), then
 * synced per the fsync policy; only then do the per-source last positions
 * move, so a source resuming from roost_archive_last_position() never
 * skips a record that is not on disk and never archives one twice.
 *
 * Rotation happens before a block is written, when the segment has reached
 * segment_bytes or the block starts segment_ms (receive time) after the
 * segment's first block. Closing a segment fsyncs it (unless the policy is
 * NONE) and writes its .idx: the block table plus every known source's
 * last position, so open needs only the newest index and what follows it.
 *
 * Recovery (roost_archive_open). Only the last segment can be torn: every
 * earlier one was synced when it was rotated. It is read block by block,
 * each checked fully (header crc, payload crc, zstd frame, every record
 * decodes and the count matches); the file is truncated after the last
 * good block, which is logged and counted, and appending continues in it.
 * A write that fails part-way is truncated back the same way at once. An
 * fsync failure is not retried (the page cache may have dropped the
 * data): the writer refuses further work with ROOST_EIO until reopened.
 *
 * Start at roost_archive_append(); write_block() is the heart.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <zstd.h>

#include "core/err.h"
#include "core/map.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/archive_int.h"

/* A source's last durable position and, while a block is pending, where
 * its newest position sits in the pending raw buffer. */
struct src_ent {
    char *name;
    size_t name_len;
    uint64_t hash;
    char *pos;       /* durable; NULL until the first block */
    bool dirty;      /* pend_* is newer than pos */
    size_t pend_off; /* in the buffer being committed */
    size_t pend_len;
};

struct roost_archive {
    struct roost_archive_cfg cfg;
    char *dir;
    int lock_fd;
    bool failed; /* an fsync failed: refuse work until reopened */

    /* The open segment; fd < 0 when the next block starts a new one. */
    int seg_fd;
    struct roost__archive_seg seg;
    struct roost__archive_index seg_ix;
    uint64_t seg_bytes;
    int64_t seg_start_ms; /* min recv_ms of its first block */
    uint64_t next_seq;
    int64_t last_first_ms;
    bool unsynced;
    int64_t last_sync_ms; /* monotonic */

    /* The pending block. */
    struct roost_buf raw;
    uint32_t n_pend;
    int64_t pend_min, pend_max, prev_ms;
    char *out; /* header + compressed payload */
    size_t out_cap;
    ZSTD_CCtx *cctx;
    ZSTD_DCtx *dctx;

    /* Sources: open addressing on hash; dirty lists those in pending. */
    struct src_ent **slots;
    size_t n_slots;
    size_t n_ents;
    struct src_ent **dirty;
    size_t n_dirty;
    struct src_ent *last_ent;

    struct roost_archive_stats st;
};

static void logf_(struct roost_archive *a, const char *fmt, ...)
    ROOST_PRINTF(2, 3);

static void logf_(struct roost_archive *a, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (a->cfg.log != NULL) {
        a->cfg.log(a->cfg.log_arg, msg);
    } else {
        roost_log_warn("archive", "%s: %s", a->dir, msg);
    }
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int io_err(struct roost_diag *d, const char *what, const char *path)
{
    int e = errno;
    if (d != NULL) {
        d->sys_errno = e;
    }
    return roost_diag_set(d, ROOST_ERR(ROOST_EIO), 0, "cannot %s %s: %s", what,
                          path, strerror(e));
}

/* ---- sources ------------------------------------------------------------ */

static struct src_ent *src_find(const struct roost_archive *a, const char *name,
                                size_t len, uint64_t h)
{
    if (a->n_slots == 0) {
        return NULL;
    }
    for (size_t i = h & (a->n_slots - 1);; i = (i + 1) & (a->n_slots - 1)) {
        struct src_ent *e = a->slots[i];
        if (e == NULL) {
            return NULL;
        }
        if (e->hash == h && e->name_len == len &&
            memcmp(e->name, name, len) == 0) {
            return e;
        }
    }
}

static int src_grow(struct roost_archive *a)
{
    size_t n = a->n_slots ? a->n_slots * 2 : 64;
    struct src_ent **slots = roost_calloc(n, sizeof(*slots));
    struct src_ent **dirty = roost_realloc(a->dirty, (n / 2) * sizeof(*dirty));
    if (slots == NULL || dirty == NULL) {
        roost_free(slots);
        if (dirty != NULL) {
            a->dirty = dirty;
        }
        return ROOST_ERR(ROOST_ENOMEM);
    }
    a->dirty = dirty;
    for (size_t i = 0; i < a->n_slots; i++) {
        struct src_ent *e = a->slots[i];
        if (e == NULL) {
            continue;
        }
        size_t j = e->hash & (n - 1);
        while (slots[j] != NULL) {
            j = (j + 1) & (n - 1);
        }
        slots[j] = e;
    }
    roost_free(a->slots);
    a->slots = slots;
    a->n_slots = n;
    return 0;
}

/* src_get - find or add; NULL with *rc set when it cannot be tracked. */
static struct src_ent *src_get(struct roost_archive *a, const char *name,
                               size_t len, int *rc)
{
    *rc = 0;
    struct src_ent *c = a->last_ent;
    if (c != NULL && c->name_len == len && memcmp(c->name, name, len) == 0) {
        return c;
    }
    uint64_t h = roost_hash(name, len);
    struct src_ent *e = src_find(a, name, len, h);
    if (e != NULL) {
        a->last_ent = e;
        return e;
    }
    if (a->n_ents >= ROOST_ARCHIVE_MAX_SOURCES) {
        a->st.n_sources_dropped++;
        return NULL;
    }
    if ((a->n_ents + 1) * 2 > a->n_slots) {
        *rc = src_grow(a);
        if (*rc < 0) {
            return NULL;
        }
    }
    e = roost_calloc(1, sizeof(*e));
    if (e != NULL) {
        e->name = roost_strndup(name, len);
    }
    if (e == NULL || e->name == NULL) {
        roost_free(e);
        *rc = ROOST_ERR(ROOST_ENOMEM);
        return NULL;
    }
    e->name_len = len;
    e->hash = h;
    size_t j = h & (a->n_slots - 1);
    while (a->slots[j] != NULL) {
        j = (j + 1) & (a->n_slots - 1);
    }
    a->slots[j] = e;
    a->n_ents++;
    a->st.n_sources = a->n_ents;
    a->last_ent = e;
    return e;
}

/* src_mark - e's newest position is base[off, off+len) of the pending
 * buffer (made durable by src_commit). */
static void src_mark(struct roost_archive *a, struct src_ent *e, size_t off,
                     size_t len)
{
    if (!e->dirty) {
        e->dirty = true;
        a->dirty[a->n_dirty++] = e;
    }
    e->pend_off = off;
    e->pend_len = len;
}

static int src_set(struct src_ent *e, const char *pos, size_t len)
{
    char *p = roost_strndup(pos, len);
    if (p == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    roost_free(e->pos);
    e->pos = p;
    return 0;
}

/* src_commit - make the dirty positions durable (keep is false when the
 * block they point into turned out bad). */
static int src_commit(struct roost_archive *a, const char *base, bool keep)
{
    int rc = 0;
    for (size_t i = 0; i < a->n_dirty; i++) {
        struct src_ent *e = a->dirty[i];
        e->dirty = false;
        if (keep && rc == 0) {
            rc = src_set(e, base + e->pend_off, e->pend_len);
        }
    }
    a->n_dirty = 0;
    return rc;
}

static void src_free_all(struct roost_archive *a)
{
    for (size_t i = 0; i < a->n_slots; i++) {
        struct src_ent *e = a->slots[i];
        if (e != NULL) {
            roost_free(e->name);
            roost_free(e->pos);
            roost_free(e);
        }
    }
    roost_free(a->slots);
    roost_free(a->dirty);
}

/* src_snapshot - the durable positions as a borrowed array for the .idx
 * (caller frees the array only). */
static int src_snapshot(struct roost_archive *a,
                        struct roost__archive_pos **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (a->n_ents == 0) {
        return 0;
    }
    struct roost__archive_pos *p = roost_calloc(a->n_ents, sizeof(*p));
    if (p == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (size_t i = 0; i < a->n_slots; i++) {
        struct src_ent *e = a->slots[i];
        if (e != NULL && e->pos != NULL) {
            p[*n].source = e->name;
            p[*n].position = e->pos;
            (*n)++;
        }
    }
    *out = p;
    return 0;
}

/* ---- segments ------------------------------------------------------------ */

static int sync_fd(struct roost_archive *a, int fd)
{
    if (fsync(fd) < 0) {
        a->failed = true;
        logf_(a, "fsync failed: %s; writer stopped", strerror(errno));
        return ROOST_ERR(ROOST_EIO);
    }
    a->st.n_fsyncs++;
    a->unsynced = false;
    a->last_sync_ms = mono_ms();
    return 0;
}

static int sync_dir(struct roost_archive *a)
{
    int fd = open(a->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    int rc = sync_fd(a, fd);
    close(fd);
    return rc;
}

/* close_segment - sync, write the .idx, close. */
static int close_segment(struct roost_archive *a)
{
    if (a->seg_fd < 0) {
        return 0;
    }
    bool sync = a->cfg.fsync != ROOST_ARCHIVE_FSYNC_NONE;
    int rc = 0;
    if (sync && a->unsynced) {
        rc = sync_fd(a, a->seg_fd);
    }
    close(a->seg_fd);
    a->seg_fd = -1;
    if (rc < 0) {
        goto out_fini_ix;
    }
    char path[4096];
    struct roost__archive_pos *pos = NULL;
    size_t n_pos = 0;
    rc = roost__archive_path(path, sizeof(path), a->dir, a->seg.name, ".idx");
    if (rc == 0) {
        rc = src_snapshot(a, &pos, &n_pos);
    }
    if (rc == 0) {
        a->seg_ix.good_bytes = a->seg_bytes;
        rc = roost__archive_index_write(path, &a->seg_ix, pos, n_pos, sync);
    }
    roost_free(pos);
    if (rc < 0) {
        /* Not fatal: readers rebuild a missing index from the headers. */
        logf_(a, "cannot write index of %s: %s", a->seg.name,
              roost_strerror(rc));
        rc = 0;
    }

out_fini_ix:
    roost__archive_index_fini(&a->seg_ix);
    return rc;
}

static int open_segment(struct roost_archive *a, int64_t first_ms)
{
    char path[4096];
    if (first_ms < a->last_first_ms) {
        first_ms = a->last_first_ms;
    }
    a->seg.seq = a->next_seq;
    a->seg.first_ms = first_ms < 0 ? 0 : first_ms;
    roost__archive_seg_name(a->seg.name, first_ms, a->seg.seq);
    int rc = roost__archive_path(path, sizeof(path), a->dir, a->seg.name, "");
    if (rc < 0) {
        return rc;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) {
        logf_(a, "cannot create %s: %s", path, strerror(errno));
        return ROOST_ERR(ROOST_EIO);
    }
    a->seg_fd = fd;
    a->next_seq++;
    a->last_first_ms = a->seg.first_ms;
    a->seg_bytes = 0;
    a->seg_start_ms = first_ms;
    roost__archive_index_init(&a->seg_ix);
    a->st.n_segments++;
    if (a->cfg.fsync != ROOST_ARCHIVE_FSYNC_NONE) {
        return sync_dir(a); /* the new name must survive a power cut */
    }
    return 0;
}

static bool due_for_rotation(const struct roost_archive *a, int64_t ms)
{
    if (a->seg_fd < 0 || a->seg_bytes == 0) {
        return false;
    }
    if (a->seg_bytes >= a->cfg.segment_bytes) {
        return true;
    }
    return a->cfg.segment_ms > 0 && ms >= a->seg_start_ms &&
           (uint64_t)ms - (uint64_t)a->seg_start_ms >=
               (uint64_t)a->cfg.segment_ms;
}

/* ---- blocks -----------------------------------------------------------------
 */

static int maybe_sync(struct roost_archive *a)
{
    switch (a->cfg.fsync) {
    case ROOST_ARCHIVE_FSYNC_BLOCK:
        return sync_fd(a, a->seg_fd);
    case ROOST_ARCHIVE_FSYNC_INTERVAL:
        if (mono_ms() - a->last_sync_ms >= a->cfg.fsync_interval_ms) {
            return sync_fd(a, a->seg_fd);
        }
        return 0;
    case ROOST_ARCHIVE_FSYNC_NONE:
    case ROOST_ARCHIVE_FSYNC_SEGMENT:
        return 0;
    }
    ROOST_UNREACHABLE();
    return 0;
}

static int write_block(struct roost_archive *a)
{
    if (a->n_pend == 0) {
        return 0;
    }
    int rc;
    if (due_for_rotation(a, a->pend_min)) {
        rc = close_segment(a);
        if (rc < 0) {
            return rc;
        }
    }
    if (a->seg_fd < 0) {
        rc = open_segment(a, a->pend_min);
        if (rc < 0) {
            return rc;
        }
    }
    size_t bound = ZSTD_compressBound(a->raw.len) + ROOST__ARCHIVE_HDR_BYTES;
    if (bound > a->out_cap) {
        char *p = roost_realloc(a->out, bound);
        if (p == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        a->out = p;
        a->out_cap = bound;
    }
    size_t clen = ZSTD_compressCCtx(a->cctx, a->out + ROOST__ARCHIVE_HDR_BYTES,
                                    a->out_cap - ROOST__ARCHIVE_HDR_BYTES,
                                    a->raw.ptr, a->raw.len, a->cfg.zstd_level);
    if (ZSTD_isError(clen)) {
        logf_(a, "zstd: %s", ZSTD_getErrorName(clen));
        return ROOST_ERR(ROOST_ENOMEM);
    }
    struct roost__archive_hdr h = {
        .n_records = a->n_pend,
        .raw_bytes = (uint32_t)a->raw.len,
        .comp_bytes = (uint32_t)clen,
        .min_ms = a->pend_min,
        .max_ms = a->pend_max,
        .payload_crc =
            roost__archive_crc32c(0, a->out + ROOST__ARCHIVE_HDR_BYTES, clen),
    };
    roost__archive_hdr_encode(&h, (unsigned char *)a->out);
    size_t total = ROOST__ARCHIVE_HDR_BYTES + clen;
    rc = roost__archive_write_full(a->seg_fd, a->out, total);
    if (rc < 0) {
        int e = errno;
        a->st.n_write_errors++;
        /* Leave no partial block behind; the records stay pending. */
        if (ftruncate(a->seg_fd, (off_t)a->seg_bytes) < 0 ||
            lseek(a->seg_fd, (off_t)a->seg_bytes, SEEK_SET) < 0) {
            a->failed = true;
        }
        logf_(a, "cannot write %s: %s", a->seg.name, strerror(e));
        return rc;
    }
    struct roost__archive_blk b = {
        .offset = a->seg_bytes,
        .n_records = h.n_records,
        .raw_bytes = h.raw_bytes,
        .comp_bytes = h.comp_bytes,
        .min_ms = h.min_ms,
        .max_ms = h.max_ms,
    };
    a->seg_bytes += total;
    a->unsynced = true;
    rc = roost__archive_index_add(&a->seg_ix, &b);
    if (rc == 0) {
        rc = maybe_sync(a);
    }
    if (rc < 0) {
        return rc;
    }
    a->st.n_blocks++;
    a->st.raw_bytes += a->raw.len;
    a->st.compressed_bytes += total;
    rc = src_commit(a, a->raw.ptr, true);
    a->n_pend = 0;
    a->prev_ms = 0;
    roost_buf_reset(&a->raw);
    return rc;
}

/* ---- recovery
 * ---------------------------------------------------------------- */

/*
 * check_block - read and fully verify the block at off: 0 with the
 * decompressed records in a->raw and their positions marked dirty;
 * ROOST_EPARSE when it is damaged or torn; ROOST_EIO/ENOMEM.
 */
static int check_block(struct roost_archive *a, int fd, uint64_t off,
                       uint64_t file_bytes, struct roost__archive_hdr *h)
{
    unsigned char hb[ROOST__ARCHIVE_HDR_BYTES];
    if (file_bytes - off < ROOST__ARCHIVE_HDR_BYTES) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    int rc = roost__archive_pread_full(fd, hb, sizeof(hb), off);
    if (rc < 0) {
        return rc;
    }
    rc = roost__archive_hdr_decode(hb, h);
    if (rc < 0 || h->comp_bytes > file_bytes - off - ROOST__ARCHIVE_HDR_BYTES) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    if (h->comp_bytes > a->out_cap) {
        char *p = roost_realloc(a->out, h->comp_bytes);
        if (p == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        a->out = p;
        a->out_cap = h->comp_bytes;
    }
    rc = roost__archive_pread_full(fd, a->out, h->comp_bytes,
                                   off + ROOST__ARCHIVE_HDR_BYTES);
    if (rc < 0) {
        return rc;
    }
    if (roost__archive_crc32c(0, a->out, h->comp_bytes) != h->payload_crc) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    roost_buf_reset(&a->raw);
    rc = roost_buf_reserve(&a->raw, h->raw_bytes);
    if (rc < 0) {
        return rc == ROOST_ELIMIT ? ROOST_ERR(ROOST_EPARSE) : rc;
    }
    size_t n = ZSTD_decompressDCtx(a->dctx, a->raw.ptr, h->raw_bytes, a->out,
                                   h->comp_bytes);
    if (ZSTD_isError(n) || n != h->raw_bytes) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    a->raw.len = n;
    size_t pos = 0;
    int64_t prev = 0;
    uint32_t k = 0;
    while (pos < n) {
        struct roost__archive_drec dr;
        rc = roost__archive_rec_decode(a->raw.ptr, n, &pos, &prev, &dr);
        if (rc < 0 || dr.recv_ms < h->min_ms || dr.recv_ms > h->max_ms) {
            src_commit(a, NULL, false);
            return ROOST_ERR(ROOST_EPARSE);
        }
        struct src_ent *e = src_get(a, dr.source, dr.source_len, &rc);
        if (rc < 0) {
            src_commit(a, NULL, false);
            return rc;
        }
        if (e != NULL) {
            src_mark(a, e, (size_t)(dr.position - a->raw.ptr), dr.position_len);
        }
        k++;
    }
    if (k != h->n_records) {
        src_commit(a, NULL, false);
        return ROOST_ERR(ROOST_EPARSE);
    }
    return 0;
}

/*
 * scan_segment - verify every block of the open fd, taking positions from
 * the good ones; ix gets the good blocks. *good is where damage starts.
 */
static int scan_segment(struct roost_archive *a, int fd,
                        struct roost__archive_index *ix, uint64_t *good,
                        uint64_t *n_records)
{
    struct stat st;
    if (fstat(fd, &st) < 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    uint64_t file_bytes = (uint64_t)st.st_size;
    uint64_t off = 0;
    *n_records = 0;
    while (off < file_bytes) {
        struct roost__archive_hdr h;
        int rc = check_block(a, fd, off, file_bytes, &h);
        if (rc == ROOST_EPARSE) {
            break;
        }
        if (rc < 0) {
            return rc;
        }
        rc = src_commit(a, a->raw.ptr, true);
        struct roost__archive_blk b = {
            .offset = off,
            .n_records = h.n_records,
            .raw_bytes = h.raw_bytes,
            .comp_bytes = h.comp_bytes,
            .min_ms = h.min_ms,
            .max_ms = h.max_ms,
        };
        if (rc == 0) {
            rc = roost__archive_index_add(ix, &b);
        }
        if (rc < 0) {
            return rc;
        }
        *n_records += h.n_records;
        off += ROOST__ARCHIVE_HDR_BYTES + (uint64_t)h.comp_bytes;
    }
    *good = off;
    ix->good_bytes = off;
    ix->torn = off != file_bytes;
    roost_buf_reset(&a->raw);
    return 0;
}

static int load_positions(struct roost_archive *a,
                          const struct roost__archive_index *ix)
{
    for (size_t i = 0; i < ix->n_pos; i++) {
        int rc;
        const char *s = ix->pos[i].source;
        struct src_ent *e = src_get(a, s, strlen(s), &rc);
        if (rc < 0) {
            return rc;
        }
        if (e != NULL) {
            rc = src_set(e, ix->pos[i].position, strlen(ix->pos[i].position));
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* replay_segment - positions from a closed segment with no usable index. */
static int replay_segment(struct roost_archive *a,
                          const struct roost__archive_seg *seg)
{
    char path[4096];
    uint64_t good, n;
    struct roost__archive_index ix;
    int rc = roost__archive_path(path, sizeof(path), a->dir, seg->name, "");
    if (rc < 0) {
        return rc;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        logf_(a, "cannot open %s: %s", path, strerror(errno));
        return ROOST_ERR(ROOST_EIO);
    }
    roost__archive_index_init(&ix);
    rc = scan_segment(a, fd, &ix, &good, &n);
    if (rc == 0 && ix.torn) {
        logf_(a, "%s is damaged at byte %llu; later blocks are unreadable",
              seg->name, (unsigned long long)good);
    }
    roost__archive_index_fini(&ix);
    close(fd);
    return rc;
}

/* recover_tail - verify and truncate the last segment, then continue it
 * unless it is full. */
static int recover_tail(struct roost_archive *a,
                        const struct roost__archive_seg *seg,
                        struct roost_diag *d)
{
    char path[4096];
    uint64_t good, n;
    int rc = roost__archive_path(path, sizeof(path), a->dir, seg->name, "");
    if (rc < 0) {
        return rc;
    }
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        return io_err(d, "open", path);
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        rc = io_err(d, "stat", path);
        goto out_close_fd;
    }
    roost__archive_index_init(&a->seg_ix);
    rc = scan_segment(a, fd, &a->seg_ix, &good, &n);
    if (rc < 0) {
        goto out_fini_ix;
    }
    a->st.n_recovered_records = n;
    if (a->seg_ix.torn) {
        uint64_t cut = (uint64_t)st.st_size - good;
        if (ftruncate(fd, (off_t)good) < 0) {
            rc = io_err(d, "truncate", path);
            goto out_fini_ix;
        }
        if (a->cfg.fsync != ROOST_ARCHIVE_FSYNC_NONE) {
            if (fsync(fd) < 0) {
                rc = io_err(d, "fsync", path);
                goto out_fini_ix;
            }
            a->st.n_fsyncs++;
        }
        a->st.n_torn_blocks++;
        a->st.n_torn_bytes += cut;
        logf_(a,
              "torn block at the end of %s: truncated %llu bytes at "
              "offset %llu, %llu complete records kept",
              seg->name, (unsigned long long)cut, (unsigned long long)good,
              (unsigned long long)n);
    }
    a->seg = *seg;
    a->seg_bytes = good;
    a->seg_start_ms =
        a->seg_ix.n_blks > 0 ? a->seg_ix.blks[0].min_ms : seg->first_ms;
    if (lseek(fd, (off_t)good, SEEK_SET) < 0) {
        rc = io_err(d, "seek", path);
        goto out_fini_ix;
    }
    a->seg_fd = fd;
    if (good >= a->cfg.segment_bytes) {
        return close_segment(a); /* full: writes its missing .idx */
    }
    /* Appending makes any .idx stale; drop it so it cannot mislead. */
    rc = roost__archive_path(path, sizeof(path), a->dir, seg->name, ".idx");
    if (rc == 0) {
        unlink(path);
    }
    return 0;

out_fini_ix:
    roost__archive_index_fini(&a->seg_ix);
out_close_fd:
    close(fd);
    return rc;
}

static int recover(struct roost_archive *a, struct roost_diag *d)
{
    struct roost__archive_seg *segs = NULL;
    size_t n = 0;
    int rc = roost__archive_list_segs(a->dir, &segs, &n, d);
    if (rc < 0 || n == 0) {
        return rc;
    }
    a->next_seq = segs[n - 1].seq + 1;
    a->last_first_ms = segs[n - 1].first_ms;
    /* The newest valid index carries every position up to its segment. */
    size_t start = 0;
    for (size_t i = n - 1; i-- > 0;) {
        char path[4096];
        struct stat st;
        struct roost__archive_index ix;
        roost__archive_index_init(&ix);
        if (roost__archive_path(path, sizeof(path), a->dir, segs[i].name, "") <
                0 ||
            stat(path, &st) < 0) {
            continue;
        }
        if (roost__archive_path(path, sizeof(path), a->dir, segs[i].name,
                                ".idx") < 0) {
            continue;
        }
        rc = roost__archive_index_load(path, (uint64_t)st.st_size, &ix);
        if (rc == 0) {
            rc = load_positions(a, &ix);
            roost__archive_index_fini(&ix);
            if (rc < 0) {
                goto out_free_segs;
            }
            start = i + 1;
            break;
        }
        if (rc == ROOST_ENOMEM) {
            goto out_free_segs;
        }
    }
    rc = 0;
    for (size_t i = start; i + 1 < n && rc == 0; i++) {
        rc = replay_segment(a, &segs[i]);
    }
    if (rc == 0) {
        rc = recover_tail(a, &segs[n - 1], d);
    }

out_free_segs:
    roost_free(segs);
    return rc;
}

/* ---- the public face -------------------------------------------------------
 */

static int mkdir_p(const char *dir)
{
    char tmp[4096];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof(tmp)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    memcpy(tmp, dir, len + 1);
    for (size_t i = 1; i <= len; i++) {
        if (tmp[i] != '/' && tmp[i] != '\0') {
            continue;
        }
        char c = tmp[i];
        tmp[i] = '\0';
        if (mkdir(tmp, 0755) < 0 && errno != EEXIST) {
            return ROOST_ERR(ROOST_EIO);
        }
        tmp[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return ROOST_ERR(ROOST_EIO);
    }
    return 0;
}

static int check_cfg(struct roost_archive_cfg *c, struct roost_diag *d)
{
    if (c->dir == NULL || c->dir[0] == '\0') {
        return roost_diag_set(d, ROOST_ERR(ROOST_EINVAL), 0, "no directory");
    }
    if (c->block_bytes == 0) {
        c->block_bytes = ROOST_ARCHIVE_DEFAULT_BLOCK_BYTES;
    }
    if (c->segment_bytes == 0) {
        c->segment_bytes = ROOST_ARCHIVE_DEFAULT_SEGMENT_BYTES;
    }
    if (c->segment_ms == 0) {
        c->segment_ms = ROOST_ARCHIVE_DEFAULT_SEGMENT_MS;
    }
    if (c->fsync_interval_ms <= 0) {
        c->fsync_interval_ms = ROOST_ARCHIVE_DEFAULT_FSYNC_INTERVAL_MS;
    }
    if (c->zstd_level == 0) {
        c->zstd_level = ROOST_ARCHIVE_DEFAULT_LEVEL;
    }
    if (c->block_bytes > ROOST__ARCHIVE_MAX_BLOCK_BYTES) {
        return roost_diag_set(d, ROOST_ERR(ROOST_EINVAL), 0,
                              "block_bytes over 64 MiB");
    }
    if ((unsigned)c->fsync > ROOST_ARCHIVE_FSYNC_SEGMENT) {
        return roost_diag_set(d, ROOST_ERR(ROOST_EINVAL), 0,
                              "unknown fsync policy %d", (int)c->fsync);
    }
    if (c->zstd_level < ZSTD_minCLevel() || c->zstd_level > ZSTD_maxCLevel()) {
        return roost_diag_set(d, ROOST_ERR(ROOST_EINVAL), 0,
                              "zstd level %d out of range", c->zstd_level);
    }
    return 0;
}

int roost_archive_open(const struct roost_archive_cfg *cfg,
                       struct roost_archive **out, struct roost_diag *d)
{
    if (cfg == NULL || out == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    struct roost_archive_cfg c = *cfg;
    int rc = check_cfg(&c, d);
    if (rc < 0) {
        return rc;
    }
    struct roost_archive *a = roost_calloc(1, sizeof(*a));
    if (a == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    a->cfg = c;
    a->lock_fd = -1;
    a->seg_fd = -1;
    a->next_seq = 1;
    a->last_sync_ms = mono_ms();
    roost_buf_init(&a->raw, c.block_bytes + ROOST__ARCHIVE_MAX_RAW);
    roost__archive_index_init(&a->seg_ix);
    a->dir = roost_strndup(c.dir, strlen(c.dir));
    a->cfg.dir = a->dir;
    a->cctx = ZSTD_createCCtx();
    a->dctx = ZSTD_createDCtx();
    if (a->dir == NULL || a->cctx == NULL || a->dctx == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free_a;
    }
    rc = mkdir_p(a->dir);
    if (rc < 0) {
        rc = rc == ROOST_EIO ? io_err(d, "create directory", a->dir)
                             : roost_diag_set(d, rc, 0, "bad directory");
        goto out_free_a;
    }
    char path[4096];
    rc = roost__archive_path(path, sizeof(path), a->dir, "LOCK", "");
    if (rc < 0) {
        goto out_free_a;
    }
    a->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (a->lock_fd < 0) {
        rc = io_err(d, "open", path);
        goto out_free_a;
    }
    if (flock(a->lock_fd, LOCK_EX | LOCK_NB) < 0) {
        rc = errno == EWOULDBLOCK
                 ? roost_diag_set(d, ROOST_ERR(ROOST_EAGAIN), 0,
                                  "%s is locked by another writer", a->dir)
                 : io_err(d, "lock", path);
        goto out_close_lock;
    }
    rc = recover(a, d);
    if (rc < 0) {
        goto out_close_seg;
    }
    *out = a;
    return 0;

out_close_seg:
    if (a->seg_fd >= 0) {
        close(a->seg_fd);
    }
    roost__archive_index_fini(&a->seg_ix);
out_close_lock:
    close(a->lock_fd);
out_free_a:
    src_free_all(a);
    ZSTD_freeCCtx(a->cctx);
    ZSTD_freeDCtx(a->dctx);
    roost_buf_fini(&a->raw);
    roost_free(a->out);
    roost_free(a->dir);
    roost_free(a);
    return rc;
}

int roost_archive_append(struct roost_archive *a,
                         const struct roost_archive_rec *r)
{
    if (a == NULL || r == NULL || r->source == NULL || r->position == NULL ||
        (r->bytes == NULL && r->len > 0)) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (a->failed) {
        return ROOST_ERR(ROOST_EIO);
    }
    size_t sl = strlen(r->source), pl = strlen(r->position);
    if (r->len > ROOST_ARCHIVE_MAX_RECORD_BYTES ||
        sl > ROOST_ARCHIVE_MAX_SOURCE_BYTES ||
        pl > ROOST_ARCHIVE_MAX_POSITION_BYTES) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    int rc;
    struct src_ent *e = src_get(a, r->source, sl, &rc);
    if (rc < 0) {
        return rc;
    }
    size_t start = a->raw.len;
    rc = roost__archive_rec_encode(&a->raw, &a->prev_ms, r, sl, pl);
    if (rc < 0) {
        return rc;
    }
    if (e != NULL) {
        /* The position sits right after the varints and the source. */
        size_t rec_len = a->raw.len - start;
        src_mark(a, e, start + rec_len - r->len - pl, pl);
    }
    if (a->n_pend == 0 || r->recv_ms < a->pend_min) {
        a->pend_min = r->recv_ms;
    }
    if (a->n_pend == 0 || r->recv_ms > a->pend_max) {
        a->pend_max = r->recv_ms;
    }
    a->n_pend++;
    a->st.n_records++;
    if (a->raw.len >= a->cfg.block_bytes) {
        return write_block(a);
    }
    return 0;
}

int roost_archive_flush(struct roost_archive *a)
{
    if (a == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (a->failed) {
        return ROOST_ERR(ROOST_EIO);
    }
    int rc = write_block(a);
    if (rc < 0) {
        return rc;
    }
    if (a->seg_fd >= 0 && a->unsynced &&
        a->cfg.fsync == ROOST_ARCHIVE_FSYNC_INTERVAL) {
        return maybe_sync(a);
    }
    return 0;
}

int roost_archive_close(struct roost_archive *a)
{
    if (a == NULL) {
        return 0;
    }
    int rc = a->failed ? ROOST_ERR(ROOST_EIO) : write_block(a);
    int rc2 = a->failed ? 0 : close_segment(a);
    if (rc == 0) {
        rc = rc2;
    }
    if (a->seg_fd >= 0) {
        close(a->seg_fd);
    }
    roost__archive_index_fini(&a->seg_ix);
    close(a->lock_fd);
    src_free_all(a);
    ZSTD_freeCCtx(a->cctx);
    ZSTD_freeDCtx(a->dctx);
    roost_buf_fini(&a->raw);
    roost_free(a->out);
    roost_free(a->dir);
    roost_free(a);
    return rc;
}

int roost_archive_last_position(const struct roost_archive *a,
                                const char *source, char *out, size_t cap)
{
    if (a == NULL || source == NULL || out == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    size_t len = strlen(source);
    struct src_ent *e = src_find(a, source, len, roost_hash(source, len));
    if (e == NULL || e->pos == NULL) {
        return ROOST_ENOENT;
    }
    size_t pl = strlen(e->pos);
    if (pl >= cap) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    memcpy(out, e->pos, pl + 1);
    return 0;
}

void roost_archive_stats(const struct roost_archive *a,
                         struct roost_archive_stats *out)
{
    *out = a->st;
}
