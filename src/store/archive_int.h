/* SPDX-License-Identifier: MIT
 *
 * archive_int.h - the archive's on-disk format, shared by the writer
 * (archive.c), the reader and lister (archive_read.c), the format helpers
 * (archive_fmt.c) and test_archive.c.
 *
 * All integers are little-endian. See archive.c for the whole story.
 */
#ifndef ROOST_STORE_ARCHIVE_INT_H
#define ROOST_STORE_ARCHIVE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "store/archive.h"

#define ROOST__ARCHIVE_BLOCK_MAGIC 0x31425a52u /* "RZB1" */
#define ROOST__ARCHIVE_IDX_MAGIC   0x31495a52u /* "RZI1" */
#define ROOST__ARCHIVE_VERSION     1
#define ROOST__ARCHIVE_HDR_BYTES   48
/* block_bytes is capped at 64 MiB, and a block holds at most one record
 * past it, so raw sizes stay below this; anything larger is damage. */
#define ROOST__ARCHIVE_MAX_BLOCK_BYTES (64u << 20)
#define ROOST__ARCHIVE_MAX_RAW                                                 \
    (ROOST__ARCHIVE_MAX_BLOCK_BYTES + ROOST_ARCHIVE_MAX_RECORD_BYTES +         \
     (1u << 16))
#define ROOST__ARCHIVE_MAX_COMP      (ROOST__ARCHIVE_MAX_RAW + (4u << 20))
#define ROOST__ARCHIVE_MAX_IDX_BYTES (64u << 20)
/* varint(delta) + 3 * varint(len): worst case before the strings. */
#define ROOST__ARCHIVE_REC_OVERHEAD 40

/*
 * Block header, 48 bytes:
 *   0 u32 magic   4 u16 version   6 u16 flags (0)   8 u32 n_records
 *  12 u32 raw_bytes   16 u32 comp_bytes   20 u32 reserved (0)
 *  24 i64 min_recv_ms   32 i64 max_recv_ms
 *  40 u32 payload_crc (crc32c of the zstd frame)
 *  44 u32 header_crc (crc32c of bytes 0..43)
 */
struct roost__archive_hdr {
    uint32_t n_records;
    uint32_t raw_bytes;
    uint32_t comp_bytes;
    int64_t min_ms;
    int64_t max_ms;
    uint32_t payload_crc;
};

/* One block as the index knows it. */
struct roost__archive_blk {
    uint64_t offset; /* of the header in the segment file */
    uint32_t n_records;
    uint32_t raw_bytes;
    uint32_t comp_bytes; /* payload only */
    int64_t min_ms;
    int64_t max_ms;
};

/* A source's last position, as kept in an index file. */
struct roost__archive_pos {
    char *source;
    char *position;
};

/* The blocks of one segment, from its .idx or from a header scan. */
struct roost__archive_index {
    struct roost__archive_blk *blks;
    size_t n_blks;
    size_t cap_blks;
    uint64_t good_bytes; /* end of the last complete block */
    bool from_idx;       /* loaded from a valid .idx */
    bool torn;           /* the scan stopped before the end of the file */
    struct roost__archive_pos *pos; /* only from an .idx */
    size_t n_pos;
};

/* A segment file found in the directory. */
struct roost__archive_seg {
    char name[64];
    uint64_t seq;
    int64_t first_ms;
};

/* One decoded record: views into the block's raw buffer. */
struct roost__archive_drec {
    int64_t recv_ms;
    const char *source;
    size_t source_len;
    const char *position;
    size_t position_len;
    const char *bytes;
    size_t len;
};

uint32_t roost__archive_crc32c(uint32_t crc, const void *p, size_t len);

void roost__archive_hdr_encode(const struct roost__archive_hdr *h,
                               unsigned char out[ROOST__ARCHIVE_HDR_BYTES]);
/* roost__archive_hdr_decode - 0, or ROOST_EPARSE for a bad magic, version,
 * header crc or size. */
int roost__archive_hdr_decode(const unsigned char in[ROOST__ARCHIVE_HDR_BYTES],
                              struct roost__archive_hdr *h);

/* roost__archive_rec_encode - append one record to raw (prev_ms updated). */
int roost__archive_rec_encode(struct roost_buf *raw, int64_t *prev_ms,
                              const struct roost_archive_rec *r,
                              size_t source_len, size_t position_len);
/* roost__archive_rec_decode - decode the record at *off; ROOST_EPARSE on
 * damage. */
int roost__archive_rec_decode(const char *raw, size_t len, size_t *off,
                              int64_t *prev_ms,
                              struct roost__archive_drec *out);

void roost__archive_seg_name(char out[64], int64_t first_ms, uint64_t seq);
/* roost__archive_list_segs - segments of dir sorted by seq (caller frees
 * *out with roost_free). ROOST_ENOENT when dir does not exist. */
int roost__archive_list_segs(const char *dir, struct roost__archive_seg **out,
                             size_t *n, struct roost_diag *d);
/* roost__archive_path - "dir/name[suffix]" into out; ROOST_ELIMIT if long. */
int roost__archive_path(char *out, size_t cap, const char *dir,
                        const char *name, const char *suffix);

void roost__archive_index_init(struct roost__archive_index *ix);
void roost__archive_index_fini(struct roost__archive_index *ix);
int roost__archive_index_add(struct roost__archive_index *ix,
                             const struct roost__archive_blk *b);
/* roost__archive_index_scan - read the block headers of fd (payloads are
 * skipped, not checked) until the end or the first damage. */
int roost__archive_index_scan(int fd, uint64_t file_bytes,
                              struct roost__archive_index *ix);
/* roost__archive_index_load - load idx_path when it is valid and covers
 * exactly seg_bytes; ROOST_ENOENT otherwise. */
int roost__archive_index_load(const char *idx_path, uint64_t seg_bytes,
                              struct roost__archive_index *ix);
/* roost__archive_index_write - write ix and the positions atomically (tmp
 * file, fsync, rename). */
int roost__archive_index_write(const char *idx_path,
                               const struct roost__archive_index *ix,
                               const struct roost__archive_pos *pos,
                               size_t n_pos, bool sync);
/* roost__archive_index_get - the index of segment `name`: its .idx when
 * current, else a header scan of the open fd. */
int roost__archive_index_get(const char *dir, const char *name, int fd,
                             struct roost__archive_index *ix);

/* roost__archive_read_full / write_full - loop over short reads/writes. */
int roost__archive_pread_full(int fd, void *p, size_t len, uint64_t off);
int roost__archive_write_full(int fd, const void *p, size_t len);

#endif /* ROOST_STORE_ARCHIVE_INT_H */
