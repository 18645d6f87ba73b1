/* SPDX-License-Identifier: MIT
 *
 * rotate.h - append-only output files that rotate by size and age (the
 * file sinks: jsonl, csv).
 *
 * A path that is a directory (it exists as one, or ends in '/' and is
 * then created) gets numbered files `<prefix>-<opened_ms>-<seq><ext>`:
 * opened_ms is the wall clock when the file was started (13 digits, so
 * names sort by time) and seq a 6-digit counter. Any other path is one
 * active file, appended to across runs; when it rotates, the finished file
 * is renamed beside it to `<stem>-<opened_ms>-<seq><ext>`.
 *
 * Files rotate only between writes: a write goes whole into one file, so
 * a file is larger than max_bytes only when a single write alone is. A
 * failed write is cut back off the file (ftruncate), so retrying it never
 * leaves a repeated or half line. Thread: owned by one thread.
 */
#ifndef ROOST_STORE_ROTATE_H
#define ROOST_STORE_ROTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define ROOST_ROTATE_PATH_MAX 1024

struct roost_rotate_cfg {
    const char *path;   /* directory or file */
    const char *prefix; /* file names in a directory: "posts" */
    const char *ext;    /* ".jsonl", ".csv" */
    size_t max_bytes;   /* 0: never rotate by size */
    int64_t max_ms;     /* 0: never rotate by age */
    const char *header; /* written atop each new file, or NULL */
    size_t header_len;
};

struct roost_rotate {
    bool is_dir;                        /* read-only */
    char dir[ROOST_ROTATE_PATH_MAX];    /* private */
    char stem[256];                     /* private */
    char ext[32];                       /* private */
    char active[ROOST_ROTATE_PATH_MAX]; /* read-only: file being written */
    const char *header;                 /* private: borrowed from cfg */
    size_t header_len;                  /* private */
    size_t max_bytes;                   /* private */
    int64_t max_ms;                     /* private */
    int fd;                             /* private: -1 when none open */
    uint64_t len;                       /* read-only: bytes in active */
    int64_t opened_ms;                  /* read-only */
    uint32_t seq;                       /* private */
    bool dirty;                         /* private: unsynced bytes */
    bool dir_dirty;                     /* private: unsynced names */
    uint64_t n_files;                   /* read-only: files started */
    int sys_errno;                      /* read-only: of the last error */
};

/*
 * roost_rotate_open - check cfg and prepare r; no file is created before
 * the first write. The header is borrowed and must outlive r.
 * Returns: 0; ROOST_EINVAL for a bad or too long path; ROOST_EIO when the
 * directory cannot be created (diag says why).
 */
int roost_rotate_open(struct roost_rotate *r,
                      const struct roost_rotate_cfg *cfg,
                      struct roost_diag *diag);

/*
 * roost_rotate_write - append p[0..len) to the active file, first
 * rotating when the file is old enough or the bytes would not fit.
 * Returns: 0; ROOST_EAGAIN for a full disk (nothing of p was kept);
 * ROOST_EIO for other I/O errors (sys_errno says which).
 */
int roost_rotate_write(struct roost_rotate *r, const char *p, size_t len,
                       int64_t now_ms);

/*
 * roost_rotate_sync - fsync the active file (and its directory after a
 * new name), then close it when it is older than max_ms. Durable when it
 * returns 0.
 */
int roost_rotate_sync(struct roost_rotate *r, int64_t now_ms);

/* roost_rotate_close - sync and close; the active file keeps its name. */
int roost_rotate_close(struct roost_rotate *r);

#endif /* ROOST_STORE_ROTATE_H */
