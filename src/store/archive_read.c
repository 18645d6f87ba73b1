/* SPDX-License-Identifier: MIT
 *
 * archive_read.c - reading the raw archive back: the record reader and
 * the segment lister.
 *
 * The reader walks segments in seq order. For each it takes the block
 * table from the .idx sidecar when that is valid and describes the file's
 * current size, else from a scan of the block headers (48 bytes per block,
 * payloads skipped). Blocks whose [min,max] recv_ms misses the range are
 * skipped without reading their payload; the others are read in one
 * pread, checked (header, crc32c) and decompressed, and their records
 * filtered one by one. A damaged block is counted and skipped: the archive
 * is data, and one bad block must not hide the rest. A segment's torn
 * tail (a live writer, or a crash not yet recovered) simply ends it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zstd.h>

#include "core/err.h"
#include "core/mem.h"
#include "store/archive_int.h"

struct roost_archive_reader {
    char *dir;
    char *source; /* NULL: all */
    size_t source_len;
    int64_t from_ms, to_ms;

    struct roost__archive_seg *segs;
    size_t n_segs;
    size_t i_seg; /* next segment to open */
    int fd;       /* current segment, -1 before the first */
    struct roost__archive_index ix;
    size_t i_blk; /* next block of ix */

    char *comp; /* header + payload of the current block */
    size_t comp_cap;
    struct roost_buf raw; /* its records */
    size_t off;           /* next record in raw */
    int64_t prev_ms;
    ZSTD_DCtx *dctx;

    char source_buf[ROOST_ARCHIVE_MAX_SOURCE_BYTES + 1];
    char position_buf[ROOST_ARCHIVE_MAX_POSITION_BYTES + 1];
    struct roost_archive_read_stats st;
};

int roost_archive_reader_open(const char *dir, int64_t from_ms, int64_t to_ms,
                              const char *source,
                              struct roost_archive_reader **out,
                              struct roost_diag *d)
{
    if (dir == NULL || out == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    int rc;
    struct roost_archive_reader *r = roost_calloc(1, sizeof(*r));
    if (r == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    r->fd = -1;
    r->from_ms = from_ms;
    r->to_ms = to_ms;
    roost_buf_init(&r->raw, ROOST__ARCHIVE_MAX_RAW);
    roost__archive_index_init(&r->ix);
    r->dir = roost_strndup(dir, strlen(dir));
    r->dctx = ZSTD_createDCtx();
    if (r->dir == NULL || r->dctx == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free_r;
    }
    if (source != NULL) {
        r->source_len = strlen(source);
        r->source = roost_strndup(source, r->source_len);
        if (r->source == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            goto out_free_r;
        }
    }
    rc = roost__archive_list_segs(dir, &r->segs, &r->n_segs, d);
    if (rc < 0) {
        goto out_free_r;
    }
    *out = r;
    return 0;

out_free_r:
    roost_archive_reader_close(r);
    return rc;
}

void roost_archive_reader_close(struct roost_archive_reader *r)
{
    if (r == NULL) {
        return;
    }
    if (r->fd >= 0) {
        close(r->fd);
    }
    roost__archive_index_fini(&r->ix);
    roost_buf_fini(&r->raw);
    ZSTD_freeDCtx(r->dctx);
    roost_free(r->comp);
    roost_free(r->segs);
    roost_free(r->source);
    roost_free(r->dir);
    roost_free(r);
}

void roost_archive_reader_stats(const struct roost_archive_reader *r,
                                struct roost_archive_read_stats *out)
{
    *out = r->st;
}

/* next_segment - open the next segment and its block table; ROOST_ENOENT
 * after the last. A segment that vanished or cannot be read is skipped. */
static int next_segment(struct roost_archive_reader *r)
{
    if (r->fd >= 0) {
        close(r->fd);
        r->fd = -1;
    }
    roost__archive_index_fini(&r->ix);
    r->i_blk = 0;
    while (r->i_seg < r->n_segs) {
        char path[4096];
        const struct roost__archive_seg *seg = &r->segs[r->i_seg++];
        int rc = roost__archive_path(path, sizeof(path), r->dir, seg->name, "");
        if (rc < 0) {
            continue;
        }
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            continue;
        }
        r->st.n_segments++;
        rc = roost__archive_index_get(r->dir, seg->name, r->fd, &r->ix);
        if (rc < 0) {
            return rc;
        }
        if (r->ix.from_idx) {
            r->st.n_index_used++;
        }
        if (r->ix.torn) {
            r->st.n_torn_tails++;
        }
        return 0;
    }
    return ROOST_ENOENT;
}

/* load_block - read, check and decompress b; ROOST_EPARSE when damaged. */
static int load_block(struct roost_archive_reader *r,
                      const struct roost__archive_blk *b)
{
    size_t total = ROOST__ARCHIVE_HDR_BYTES + (size_t)b->comp_bytes;
    if (total > r->comp_cap) {
        char *p = roost_realloc(r->comp, total);
        if (p == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        r->comp = p;
        r->comp_cap = total;
    }
    int rc = roost__archive_pread_full(r->fd, r->comp, total, b->offset);
    if (rc < 0) {
        return rc;
    }
    struct roost__archive_hdr h;
    const char *payload = r->comp + ROOST__ARCHIVE_HDR_BYTES;
    if (roost__archive_hdr_decode((const unsigned char *)r->comp, &h) < 0 ||
        h.comp_bytes != b->comp_bytes || h.raw_bytes != b->raw_bytes ||
        roost__archive_crc32c(0, payload, h.comp_bytes) != h.payload_crc) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    roost_buf_reset(&r->raw);
    rc = roost_buf_reserve(&r->raw, h.raw_bytes);
    if (rc < 0) {
        return rc == ROOST_ELIMIT ? ROOST_ERR(ROOST_EPARSE) : rc;
    }
    size_t n = ZSTD_decompressDCtx(r->dctx, r->raw.ptr, h.raw_bytes, payload,
                                   h.comp_bytes);
    if (ZSTD_isError(n) || n != h.raw_bytes) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    r->raw.len = n;
    r->off = 0;
    r->prev_ms = 0;
    r->st.n_blocks_read++;
    return 0;
}

/* next_block - load the next block that overlaps the range; ROOST_ENOENT
 * at the end of the archive. */
static int next_block(struct roost_archive_reader *r)
{
    for (;;) {
        if (r->fd < 0 || r->i_blk >= r->ix.n_blks) {
            int rc = next_segment(r);
            if (rc < 0) {
                return rc;
            }
            continue;
        }
        const struct roost__archive_blk *b = &r->ix.blks[r->i_blk++];
        if (b->max_ms < r->from_ms || b->min_ms >= r->to_ms) {
            r->st.n_blocks_skipped++;
            continue;
        }
        int rc = load_block(r, b);
        if (rc == ROOST_EPARSE || rc == ROOST_EIO) {
            r->st.n_bad_blocks++;
            continue;
        }
        return rc;
    }
}

int roost_archive_reader_next(struct roost_archive_reader *r,
                              struct roost_archive_rec *out)
{
    if (r == NULL || out == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    for (;;) {
        if (r->off >= r->raw.len) {
            roost_buf_reset(&r->raw);
            r->off = 0;
            int rc = next_block(r);
            if (rc < 0) {
                return rc;
            }
            continue;
        }
        struct roost__archive_drec dr;
        if (roost__archive_rec_decode(r->raw.ptr, r->raw.len, &r->off,
                                      &r->prev_ms, &dr) < 0) {
            /* A block that passed its crc but does not decode: skip it. */
            r->st.n_bad_blocks++;
            r->off = r->raw.len;
            continue;
        }
        if (dr.recv_ms < r->from_ms || dr.recv_ms >= r->to_ms) {
            continue;
        }
        if (r->source != NULL &&
            (dr.source_len != r->source_len ||
             memcmp(dr.source, r->source, dr.source_len) != 0)) {
            continue;
        }
        memcpy(r->source_buf, dr.source, dr.source_len);
        r->source_buf[dr.source_len] = '\0';
        memcpy(r->position_buf, dr.position, dr.position_len);
        r->position_buf[dr.position_len] = '\0';
        out->bytes = dr.bytes;
        out->len = dr.len;
        out->recv_ms = dr.recv_ms;
        out->source = r->source_buf;
        out->position = r->position_buf;
        r->st.n_records++;
        return 0;
    }
}

/* ---- listing ------------------------------------------------------------ */

int roost_archive_list(const char *dir, roost_archive_seg_fn *fn, void *arg,
                       struct roost_diag *d)
{
    if (dir == NULL || fn == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    struct roost__archive_seg *segs = NULL;
    size_t n = 0;
    int rc = roost__archive_list_segs(dir, &segs, &n, d);
    if (rc < 0) {
        return rc;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        char path[4096];
        struct roost__archive_index ix;
        struct stat st;
        roost__archive_index_init(&ix);
        if (roost__archive_path(path, sizeof(path), dir, segs[i].name, "") <
            0) {
            continue;
        }
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            continue;
        }
        if (fstat(fd, &st) < 0) {
            close(fd);
            continue;
        }
        rc = roost__archive_index_get(dir, segs[i].name, fd, &ix);
        close(fd);
        if (rc < 0) {
            break;
        }
        struct roost_archive_seg_info info = {
            .seq = segs[i].seq,
            .first_ms = segs[i].first_ms,
            .file_bytes = (uint64_t)st.st_size,
            .good_bytes = ix.good_bytes,
            .n_blocks = ix.n_blks,
            .min_ms = INT64_MAX,
            .max_ms = INT64_MIN,
            .has_index = ix.from_idx,
        };
        memcpy(info.name, segs[i].name, sizeof(info.name));
        for (size_t k = 0; k < ix.n_blks; k++) {
            const struct roost__archive_blk *b = &ix.blks[k];
            info.n_records += b->n_records;
            info.raw_bytes += b->raw_bytes;
            info.compressed_bytes += ROOST__ARCHIVE_HDR_BYTES + b->comp_bytes;
            if (b->min_ms < info.min_ms) {
                info.min_ms = b->min_ms;
            }
            if (b->max_ms > info.max_ms) {
                info.max_ms = b->max_ms;
            }
        }
        roost__archive_index_fini(&ix);
        rc = fn(arg, &info);
    }
    roost_free(segs);
    return rc;
}
