/* SPDX-License-Identifier: MIT
 *
 * deadletter.h - where records that cannot be used go, with the reason.
 *
 * One JSON line per bad record: {"source":..,"line":..,"position":..,
 * "error":"parse|utf8|limit|nomem|other","reason":..,"raw":..} where raw
 * holds the record's bytes as a JSON string when they are valid UTF-8, or
 * "raw_b64" (base64) when they are not, so nothing is lost or mangled.
 * Counts are kept per error class.
 * Thread: owned by one thread.
 */
#ifndef ROOST_STORE_DEADLETTER_H
#define ROOST_STORE_DEADLETTER_H

#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/str.h"

struct roost_dl_rec {
    const char *source;        /* file path or source name */
    uint64_t line;             /* 0 when unknown */
    struct roost_str position; /* source position, may be empty */
    int err;                   /* ROOST_E* */
    const char *reason;        /* human-readable, lowercase */
    const char *raw;           /* the record's bytes (maybe a prefix) */
    size_t raw_len;
};

struct roost_deadletter {
    FILE *f;          /* private: NULL counts only */
    struct roost_buf line; /* private */
    uint64_t n_total; /* read-only counters */
    uint64_t n_parse; /* malformed JSON or not a post */
    uint64_t n_utf8;  /* invalid UTF-8 */
    uint64_t n_limit; /* over a size or depth limit */
    uint64_t n_other;
};

/* roost_deadletter_open - append to path; NULL keeps counts only. */
int roost_deadletter_open(struct roost_deadletter *dl, const char *path);
int roost_deadletter_write(struct roost_deadletter *dl,
                           const struct roost_dl_rec *rec);
/* roost_deadletter_sync - flush and fsync; *size gets the file length. */
int roost_deadletter_sync(struct roost_deadletter *dl, uint64_t *size);
int roost_deadletter_close(struct roost_deadletter *dl);
/* roost_deadletter_class - short name of an error class. */
const char *roost_deadletter_class(int err);

#endif /* ROOST_STORE_DEADLETTER_H */
