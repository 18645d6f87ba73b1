/* SPDX-License-Identifier: MIT
 *
 * checkpoint.h - durable per-query checkpoints of the continuous query
 * engine.
 *
 * One file per query, <dir>/query-<name>.ckpt, replaced atomically (write
 * a temporary file, fsync it, rename it over the old one, fsync the
 * directory), so a crash leaves either the old or the new checkpoint,
 * never a torn one. It records:
 *
 *   - `records`: how many archived records the state covers (the same
 *     count as the collect pipeline's pipeline.ckpt), so recovery replays
 *     exactly the archived records past it into the query;
 *   - `sql_hash`: the query text's hash; a changed query starts empty and
 *     is rebuilt from the whole archive;
 *   - `out_bytes`: the length of the query's result file, cut back to it
 *     at restart so result rows are written exactly once;
 *   - the query's state (roost_exec_save).
 *
 * Thread: the engine thread.
 */
#ifndef ROOST_ENGINE_CHECKPOINT_H
#define ROOST_ENGINE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

#define ROOST_CHECKPOINT_MAX_BYTES ((size_t)1 << 30)

struct roost_checkpoint {
    uint64_t records;   /* archived records covered */
    uint64_t sql_hash;
    uint64_t out_bytes; /* result file length; 0 when none */
    struct roost_buf state; /* the query's saved state */
};

void roost_checkpoint_init(struct roost_checkpoint *c);
void roost_checkpoint_fini(struct roost_checkpoint *c);

/* roost_checkpoint_path - "<dir>/query-<name>.ckpt" into out. Names are
 * [A-Za-z0-9_.-]; others are ROOST_EINVAL. */
int roost_checkpoint_path(const char *dir, const char *name, char *out,
                          size_t cap);

/*
 * roost_checkpoint_write - write c to path atomically and durably.
 * Returns 0 or ROOST_EIO (errno in diag); the old file is then intact.
 */
int roost_checkpoint_write(const char *path, const struct roost_checkpoint *c,
                           struct roost_diag *diag);

/*
 * roost_checkpoint_read - read path into c (an init'ed checkpoint).
 * Returns 0; ROOST_ENOENT when there is none; ROOST_EPARSE for a damaged
 * file (diag says why); ROOST_EIO; ROOST_ENOMEM.
 */
int roost_checkpoint_read(const char *path, struct roost_checkpoint *c,
                          struct roost_diag *diag);

#endif /* ROOST_ENGINE_CHECKPOINT_H */
