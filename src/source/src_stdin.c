/* SPDX-License-Identifier: MIT
 *
 * src_stdin.c - records from standard input.
 *
 * fd 0 is framed like a file (parse/frame.h through roost__framed_drain),
 * with positions "stdin\t<offset just after the record>". The runner waits
 * on fd 0 (file_fd returns 0); each poll reads only while poll(2) says fd 0
 * is readable, so the source never blocks and never changes the flags of
 * a descriptor it shares with its parent (O_NONBLOCK on a terminal would
 * leak to the shell). EOF finishes the framer: the last record is handed
 * out (flagged when cut), then the source reports ROOST_ENOENT.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "source/source.h"
#include "source/source_int.h"

#define CHUNK_BYTES (64u << 10)
#define POLL_BUDGET (1u << 20)

struct stdin_ctx {
    int fd;
    bool live;
    bool eof;
    char *buf;
    struct roost__framed fr;
};

static const struct roost_option stdin_options[] = {
    ROOST_OPT_END,
};

static int stdin_open(struct roost_source *src)
{
    struct stdin_ctx *c = src->ctx;

    c->fd = 0;
    c->eof = false;
    c->buf = roost_malloc(CHUNK_BYTES);
    if (c->buf == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    roost__framed_init(&c->fr, src->max_record_bytes);
    c->live = true;
    return 0;
}

static int stdin_fd(struct roost_source *src)
{
    struct stdin_ctx *c = src->ctx;
    return c->eof ? -1 : c->fd;
}

static bool readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    int n = poll(&p, 1, 0);
    return n > 0 && (p.revents & (POLLIN | POLLHUP | POLLERR)) != 0;
}

static int stdin_poll(struct roost_source *src, struct roost_batch *out)
{
    struct stdin_ctx *c = src->ctx;
    uint32_t added = 0;
    size_t fed = 0;

    for (;;) {
        uint32_t n = 0;
        int rc = roost__framed_drain(&c->fr, out, "stdin", 5, &n);
        added += n;
        if (rc != ROOST_EAGAIN) {
            return rc == ROOST_ENOENT && added > 0 ? 0 : rc;
        }
        if (fed >= POLL_BUDGET || !readable(c->fd)) {
            return added > 0 ? 0 : ROOST_EAGAIN;
        }
        ssize_t got = read(c->fd, c->buf, CHUNK_BYTES);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) {
            continue;
        }
        if (got < 0) {
            return ROOST_ERR(ROOST_EIO);
        }
        if (got == 0) {
            c->eof = true;
            roost_frame_finish(&c->fr.frame);
            continue;
        }
        rc = roost_frame_feed(&c->fr.frame, c->buf, (size_t)got);
        if (rc < 0) {
            return rc;
        }
        fed += (size_t)got;
    }
}

static void stdin_close(struct roost_source *src)
{
    struct stdin_ctx *c = src->ctx;

    if (c->live) {
        roost__framed_fini(&c->fr);
        c->live = false;
    }
    roost_free(c->buf);
    c->buf = NULL;
}

const struct roost_source_ops roost_source_stdin = {
    .name = "stdin",
    .summary = "records from standard input, until EOF",
    .options = stdin_options,
    .ctx_size = sizeof(struct stdin_ctx),
    .open = stdin_open,
    .fd = stdin_fd,
    .poll = stdin_poll,
    .close = stdin_close,
};
