/* SPDX-License-Identifier: MIT
 *
 * sink_sqlite_int.h - what the SQLite sink shows its unit test: the
 * writer thread's counters (writer=thread, sink_sqlite.c).
 */
#ifndef ROOST_STORE_SINK_SQLITE_INT_H
#define ROOST_STORE_SINK_SQLITE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/sink.h"

extern const struct roost_sink_ops roost_sink_sqlite;

struct roost__sink_sqlite_writer {
    bool threaded;      /* writer=thread is in effect */
    uint64_t n_waits;   /* writes that waited for room in the queue */
    uint64_t n_done;    /* batches the writer finished with */
    size_t max_bytes;   /* the queue's bound */
    size_t depth_bytes; /* queued now, not counting the one being written */
};

/*
 * roost__sink_sqlite_writer_stats - the writer's counters, all zero but
 * `threaded` when the sink writes inline.
 * Returns: 0, or ROOST_EINVAL when sink is not an open SQLite sink.
 */
int roost__sink_sqlite_writer_stats(struct roost_sink *sink,
                                    struct roost__sink_sqlite_writer *out);

#endif /* ROOST_STORE_SINK_SQLITE_INT_H */
