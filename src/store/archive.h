/* SPDX-License-Identifier: MIT
 *
 * archive.h - the lossless raw archive: every received record, byte-exact,
 * with its receive time, source name and source position.
 *
 * A writer appends records to zstd-compressed blocks in segment files of
 * one directory; roost_archive_flush() is the acknowledgement point. A
 * reader streams them back in write order, filtered by receive time and
 * source. The format and the recovery rules are in archive.c and
 * docs/adr/0005-raw-archive.md.
 */
#ifndef ROOST_STORE_ARCHIVE_H
#define ROOST_STORE_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "roost/roost_err.h"

#define ROOST_ARCHIVE_DEFAULT_BLOCK_BYTES       (256u << 10)
#define ROOST_ARCHIVE_DEFAULT_SEGMENT_BYTES     (64u << 20)
#define ROOST_ARCHIVE_DEFAULT_SEGMENT_MS        (3600 * 1000)
#define ROOST_ARCHIVE_DEFAULT_FSYNC_INTERVAL_MS 1000
#define ROOST_ARCHIVE_DEFAULT_LEVEL             1
#define ROOST_ARCHIVE_MAX_RECORD_BYTES          (64u << 20)
#define ROOST_ARCHIVE_MAX_SOURCE_BYTES          255
#define ROOST_ARCHIVE_MAX_POSITION_BYTES        4095
#define ROOST_ARCHIVE_MAX_SOURCES               65536

/* When a write reaches stable storage; "durable" below follows this. */
enum roost_archive_fsync {
    ROOST_ARCHIVE_FSYNC_BLOCK = 0, /* fsync after every block (default) */
    ROOST_ARCHIVE_FSYNC_NONE,      /* never: survives a crash, not power loss */
    ROOST_ARCHIVE_FSYNC_INTERVAL,  /* at most every fsync_interval_ms */
    ROOST_ARCHIVE_FSYNC_SEGMENT,   /* when a segment is rotated or closed */
};

/* roost_archive_log_fn - receives one lowercase log line (no newline). */
typedef void roost_archive_log_fn(void *arg, const char *msg);

/* Writer configuration. A zeroed struct with `dir` set means the defaults. */
struct roost_archive_cfg {
    const char *dir;      /* created (with parents) when missing */
    size_t block_bytes;   /* cut a block at this raw size; 0: 256 KiB */
    size_t segment_bytes; /* rotate at this file size; 0: 64 MiB */
    int64_t segment_ms;   /* rotate after this much recv time; 0: 1 h,
                             negative: never */
    enum roost_archive_fsync fsync;
    int64_t fsync_interval_ms; /* for ROOST_ARCHIVE_FSYNC_INTERVAL; 0: 1 s */
    int zstd_level;            /* 0: ROOST_ARCHIVE_DEFAULT_LEVEL */
    roost_archive_log_fn *log; /* NULL: lines go to stderr */
    void *log_arg;
};

/*
 * One record. Writing: bytes may hold anything (NUL included); source and
 * position are NUL-terminated and must not be NULL (use "" for none).
 * Reading: all three are views, source and position NUL-terminated.
 */
struct roost_archive_rec {
    const char *bytes;
    size_t len;
    int64_t recv_ms; /* epoch milliseconds when roost received it */
    const char *source;
    const char *position; /* where the source is: offset, cursor, id */
};

struct roost_archive_stats {
    uint64_t n_records;        /* appended by this writer */
    uint64_t raw_bytes;        /* record payload bytes written in blocks */
    uint64_t compressed_bytes; /* block bytes on disk, headers included */
    uint64_t n_blocks;         /* blocks written */
    uint64_t n_segments;       /* segment files created */
    uint64_t n_fsyncs;
    uint64_t n_torn_blocks;       /* torn tail blocks found at open */
    uint64_t n_torn_bytes;        /* bytes truncated away at open */
    uint64_t n_recovered_records; /* complete records found in the tail */
    uint64_t n_sources;           /* sources with a known last position */
    uint64_t n_sources_dropped;   /* positions not kept: over the cap */
    uint64_t n_write_errors;
};

struct roost_archive;

/*
 * roost_archive_open - open (and create) the archive directory for writing.
 * Takes an exclusive lock on DIR/LOCK, then recovers: the last segment is
 * read block by block and truncated after its last good block (a short
 * header or payload, a bad checksum or a bad zstd frame ends it), which is
 * logged and counted. Last positions per source are restored from the
 * newest index and the segments after it.
 * Ownership: cfg is copied; the caller owns *out (roost_archive_close).
 * Returns: 0, ROOST_EINVAL (bad cfg), ROOST_EAGAIN (another writer holds
 * the lock), ROOST_EIO (errno in d) or ROOST_ENOMEM.
 * Thread: the archive is owned by one thread.
 */
int roost_archive_open(const struct roost_archive_cfg *cfg,
                       struct roost_archive **out, struct roost_diag *d);

/*
 * roost_archive_append - add one record to the pending block; a full block
 * (block_bytes raw) is written at once.
 * Ownership: r and its strings are copied; they may be reused on return.
 * Returns: 0, ROOST_EINVAL, ROOST_ELIMIT (record, source or position over
 * its ROOST_ARCHIVE_MAX_*), or a write error (the record is kept pending).
 */
int roost_archive_append(struct roost_archive *a,
                         const struct roost_archive_rec *r);

/*
 * roost_archive_flush - write the pending block and sync it per the fsync
 * policy. This is the acknowledgement point: after 0, every record appended
 * so far is on disk and roost_archive_last_position() reflects it.
 * Returns: 0 or ROOST_EIO (nothing pending is lost; flush may be retried).
 */
int roost_archive_flush(struct roost_archive *a);

/*
 * roost_archive_close - flush, write the segment index, fsync (unless the
 * policy is NONE), release the lock and free. a may be NULL.
 * Returns: 0 or the flush error; a is freed either way.
 */
int roost_archive_close(struct roost_archive *a);

/*
 * roost_archive_last_position - the position string of the last durable
 * record of `source`, so a source resumes after it.
 * Returns: 0 with out filled, ROOST_ENOENT when the source is unknown,
 * ROOST_ELIMIT when cap is too small.
 */
int roost_archive_last_position(const struct roost_archive *a,
                                const char *source, char *out, size_t cap);

void roost_archive_stats(const struct roost_archive *a,
                         struct roost_archive_stats *out);

/* ---- reading ---------------------------------------------------------- */

struct roost_archive_reader;

struct roost_archive_read_stats {
    uint64_t n_segments;       /* segment files visited */
    uint64_t n_blocks_read;    /* blocks checked and decompressed */
    uint64_t n_blocks_skipped; /* blocks outside the time range */
    uint64_t n_bad_blocks;     /* bad checksum or frame: skipped, counted */
    uint64_t n_torn_tails;     /* segments ending in a partial block */
    uint64_t n_index_used;     /* segments whose .idx was valid */
    uint64_t n_records;        /* records returned */
};

/*
 * roost_archive_reader_open - read records with from_ms <= recv_ms < to_ms
 * (INT64_MIN / INT64_MAX for open ends) of `source` (NULL: every source),
 * in write order. Blocks outside the range are skipped using the segment
 * index or, when it is missing or stale, the block headers alone.
 * Ownership: dir and source are copied; the caller owns *out.
 * Returns: 0, ROOST_ENOENT (no such directory), ROOST_EIO, ROOST_ENOMEM.
 */
int roost_archive_reader_open(const char *dir, int64_t from_ms, int64_t to_ms,
                              const char *source,
                              struct roost_archive_reader **out,
                              struct roost_diag *d);

/*
 * roost_archive_reader_next - the next matching record.
 * Ownership: the views in *out are valid until the next call or close.
 * Returns: 0, ROOST_ENOENT at the end, ROOST_EIO or ROOST_ENOMEM. Damaged
 * blocks are skipped and counted, not returned as errors.
 */
int roost_archive_reader_next(struct roost_archive_reader *r,
                              struct roost_archive_rec *out);

void roost_archive_reader_stats(const struct roost_archive_reader *r,
                                struct roost_archive_read_stats *out);

/* roost_archive_reader_close - free r (may be NULL). */
void roost_archive_reader_close(struct roost_archive_reader *r);

/* ---- listing ---------------------------------------------------------- */

/* What the block headers of one segment say (no payload is read). */
struct roost_archive_seg_info {
    char name[64];    /* file name inside the directory */
    uint64_t seq;     /* segment sequence number: the read order */
    int64_t first_ms; /* from the name */
    uint64_t file_bytes;
    uint64_t good_bytes; /* end of the last complete block */
    uint64_t n_blocks;
    uint64_t n_records;
    uint64_t raw_bytes;
    uint64_t compressed_bytes; /* block payloads + headers */
    int64_t min_ms;            /* INT64_MAX when there is no block */
    int64_t max_ms;            /* INT64_MIN when there is no block */
    bool has_index;            /* a valid, current .idx sidecar exists */
};

typedef int roost_archive_seg_fn(void *arg,
                                 const struct roost_archive_seg_info *seg);

/*
 * roost_archive_list - call fn for each segment of dir in read order.
 * Returns: 0, a non-zero return of fn, ROOST_ENOENT, ROOST_EIO or ENOMEM.
 */
int roost_archive_list(const char *dir, roost_archive_seg_fn *fn, void *arg,
                       struct roost_diag *d);

#endif /* ROOST_STORE_ARCHIVE_H */
