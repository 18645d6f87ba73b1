/* SPDX-License-Identifier: MIT
 *
 * src_tcp.h - the few things of the tcp source that are not its ops:
 * the bound port (for tests and logs that listen on port 0) and its
 * counters.
 *
 * The source itself is `roost_source_tcp` (registered by
 * roost_source(tcp)); its story is at the top of src_tcp.c.
 */
#ifndef ROOST_SOURCE_SRC_TCP_H
#define ROOST_SOURCE_SRC_TCP_H

#include <stdint.h>

#include "source/source.h"

extern const struct roost_source_ops roost_source_tcp;

/* Counters of one tcp source; every drop and limit hit has one. */
struct roost_src_tcp_stats {
    uint64_t n_conns;         /* connections accepted (server), made (client) */
    uint64_t n_refused;       /* over max-clients: accepted, closed at once */
    uint64_t n_idle_closed;   /* clients closed by idle-timeout */
    uint64_t n_resets;        /* connections ended by a read error */
    uint64_t n_connect_fails; /* client: connect attempts that failed */
    uint64_t n_accept_fails;  /* server: accept() errors (EMFILE...) */
    uint64_t n_bytes;         /* bytes read from sockets */
    uint64_t n_lines;         /* records appended, flagged ones included */
    uint64_t n_cut;           /* lines over max-line, cut and flagged ELIMIT */
    uint64_t n_skipped_bytes; /* bytes of cut lines that were dropped */
    uint64_t n_partial;       /* last lines without a newline, flagged EPARSE */
};

/*
 * roost_src_tcp_port - the local port of an open tcp source: the listening
 * port in server mode (useful with port 0), the local end of the current
 * connection in client mode.
 * Returns: the port (1..65535), or ROOST_EINVAL when src is not an open tcp
 * source or (client mode) is not connected now.
 * Thread: the source's owning thread.
 */
int roost_src_tcp_port(struct roost_source *src);

/*
 * roost_src_tcp_stats - copy the counters of an open tcp source to *out.
 * Returns: 0, or ROOST_EINVAL when src is not a tcp source.
 * Thread: the source's owning thread (or after its thread has stopped).
 */
int roost_src_tcp_stats(struct roost_source *src,
                        struct roost_src_tcp_stats *out);

#endif /* ROOST_SOURCE_SRC_TCP_H */
