/* SPDX-License-Identifier: MIT
 *
 * src_tcp.c - newline-delimited records over TCP, as a client or a server.
 *
 * Client mode (the default) is Spark's socketTextStream: connect to
 * HOST:PORT (`nc -lk 9999`, `roost simulate --port`), read lines, and when
 * the server closes, reconnect after `reconnect` ms, or end the source
 * (ROOST_ENOENT) with once=true. Server mode listens on HOST:PORT and takes
 * up to max-clients connections at once; later ones are accepted and
 * closed at once, and counted.
 *
 * Each connection has its own bounded line buffer (struct tcp_conn), so
 * records of different peers never mix within a line. buf[start..len) is
 * unconsumed input; drain_conn() hands out every complete line in it. The
 * buffer never holds more than max-line + 2 bytes (a longest line and its
 * "\r\n"): a line that gets longer is cut, its first max-line bytes go out
 * flagged ROOST_ELIMIT, and `skipping` drops the rest up to its newline.
 * A last line without a newline (the peer closed mid-line) goes out flagged
 * ROOST_EPARSE rather than being lost. "\r\n" ends a line like "\n".
 * Lines go out as they are, blank ones too: whether a line is JSON or a
 * text-only post is the normalizer's call. max-line is capped by the
 * common max-record, so a cut line always fits an empty batch.
 *
 * Reconnects wait a fixed `reconnect` ms (no growth: the peer is usually a
 * local simulator or nc). A refused first connect is retried the same way,
 * with once=true too: `once` ends the source only after a connection that
 * was made has closed.
 *
 * Nothing received is lost to a full batch: when roost_batch_add() says
 * ROOST_ELIMIT, poll returns it with the bytes still in the buffer, and the
 * next poll drains every buffer before it reads again.
 *
 * fd() is an epoll fd in both modes, stable for the life of the open
 * source: the listener, the clients (server) or the one socket (client)
 * are registered in it, and so is a timerfd that wakes the runner for
 * idle-timeout sweeps and reconnect backoff. The socket of a client
 * changes across reconnects, which is why fd() is not the socket itself.
 * Everything is level-triggered: poll may leave readable bytes for the next
 * call and the epoll fd stays readable until it takes them.
 *
 * Positions are "tcp\t<peer addr:port>\t<line>", line counted per
 * connection from 1. They are informative only: a stream cannot be resumed,
 * so src->resume is ignored.
 *
 * Start at tcp_poll().
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "core/mem.h"
#include "source/src_tcp.h"

enum {
    BUF_FIRST_CAP = 4096,     /* first allocation of a line buffer */
    BUF_KEEP_CAP = 64 * 1024, /* larger empty buffers are freed */
    READS_PER_EVENT = 4,      /* reads of one socket per poll */
    MAX_EVENTS = 64,          /* epoll_wait batch */
    LISTEN_BACKLOG = 128,
    ACCEPT_RETRY_MS = 100, /* listener pause after EMFILE */
    MIN_SWEEP_MS = 10,     /* finest idle-timeout sweep */
};

enum client_state {
    CLIENT_WAIT = 0,   /* no socket; connect when next_ms is reached */
    CLIENT_CONNECTING, /* non-blocking connect in progress (EPOLLOUT) */
    CLIENT_UP,         /* connected (EPOLLIN) */
    CLIENT_ENDED,      /* once=true and the server closed: ROOST_ENOENT */
};

/* One connection's bytes and framing state. */
struct tcp_conn {
    int fd;        /* -1 once the peer has gone */
    char peer[64]; /* "addr:port" of the other end */
    char *buf;     /* buf[start..len) is unconsumed; cap is allocated */
    size_t start;
    size_t len;
    size_t cap;
    uint64_t line;     /* lines handed out on this connection */
    int64_t recv_ms;   /* wall clock of the last read */
    int64_t active_ms; /* monotonic clock of the last read (idle-timeout) */
    bool skipping;     /* dropping the rest of a cut line */
    bool hung_up;      /* the peer closed or failed: flush, then free */
};

struct tcp_ctx {
    /* options, written by the core */
    char *mode;
    size_t max_line;
    int64_t max_clients;
    int64_t reconnect_ms;
    bool once;
    int64_t idle_timeout_ms;

    /* state: valid when is_open */
    bool is_open;
    bool server;
    size_t max_line_bytes; /* effective: max-line, capped by the source */
    char host[256];        /* from src->arg; "" is any address (server) */
    char port[8];
    int ep_fd;
    int timer_fd;
    int listen_fd;
    bool listen_paused;      /* out of fds: off epoll until the timer */
    struct tcp_conn **conns; /* server: the clients */
    size_t n_conns;
    size_t cap_conns;
    struct tcp_conn client; /* client: the one connection */
    enum client_state state;
    int64_t next_connect_ms; /* monotonic */
    uint64_t n_attempts;
    struct roost_src_tcp_stats stats;
};

/* Sentinels in epoll_event.data.ptr; connections use their own address. */
static char tag_listen;
static char tag_timer;

static const struct roost_option tcp_options[] = {
    ROOST_OPT_STR("mode", "client", struct tcp_ctx, mode,
                  "client: connect to HOST:PORT; server: listen on it"),
    ROOST_OPT_SIZE("max-line", "1MiB", struct tcp_ctx, max_line,
                   "longest line; longer ones are cut and flagged"),
    ROOST_OPT_INT("max-clients", "64", struct tcp_ctx, max_clients,
                  "server: connections at once; more are closed at once"),
    ROOST_OPT_MS("reconnect", "1s", struct tcp_ctx, reconnect_ms,
                 "client: wait before reconnecting after a close"),
    ROOST_OPT_BOOL("once", "false", struct tcp_ctx, once,
                   "client: end the source when the server closes"),
    ROOST_OPT_MS("idle-timeout", "0", struct tcp_ctx, idle_timeout_ms,
                 "server: close clients silent this long; 0 never"),
    ROOST_OPT_END,
};

/* ---- clocks and small helpers ------------------------------------------- */

static int64_t clock_ms(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t mono_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

static int64_t wall_ms(void)
{
    return clock_ms(CLOCK_REALTIME);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

static int set_nonblock(int fd)
{
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    return 0;
}

static int ep_set(struct tcp_ctx *ctx, int op, int fd, uint32_t events,
                  void *tag)
{
    struct epoll_event ev = { .events = events, .data.ptr = tag };
    if (epoll_ctl(ctx->ep_fd, op, fd, &ev) < 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    return 0;
}

/* arm_timer - fire once after `ms` (at least 1), then every `every_ms`. */
static void arm_timer(struct tcp_ctx *ctx, int64_t ms, int64_t every_ms)
{
    struct itimerspec its = { 0 };
    if (ms < 1) {
        ms = 1;
    }
    its.it_value.tv_sec = (time_t)(ms / 1000);
    its.it_value.tv_nsec = (long)(ms % 1000) * 1000000;
    its.it_interval.tv_sec = (time_t)(every_ms / 1000);
    its.it_interval.tv_nsec = (long)(every_ms % 1000) * 1000000;
    timerfd_settime(ctx->timer_fd, 0, &its, NULL);
}

static void clear_timer(struct tcp_ctx *ctx)
{
    uint64_t n;
    while (read(ctx->timer_fd, &n, sizeof(n)) > 0) {
    }
}

/* format_peer - "1.2.3.4:5" or "[::1]:5"; "?" for other families. */
static void format_peer(const struct sockaddr_storage *ss, char *out,
                        size_t cap)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
        port = ntohs(in->sin_port);
        snprintf(out, cap, "%s:%u", ip, port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
        port = ntohs(in6->sin6_port);
        snprintf(out, cap, "[%s]:%u", ip, port);
    } else {
        snprintf(out, cap, "?");
    }
}

static int sock_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (fd < 0 || getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (ss.ss_family == AF_INET) {
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    }
    if (ss.ss_family == AF_INET6) {
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    return ROOST_ERR(ROOST_EINVAL);
}

/*
 * split_addr - "HOST:PORT", "[V6]:PORT" or ":PORT" into host and port.
 * The port is required; an empty host is allowed (the caller decides).
 */
static int split_addr(const char *arg, char *host, size_t host_cap, char *port,
                      size_t port_cap)
{
    const char *colon = arg != NULL ? strrchr(arg, ':') : NULL;
    if (colon == NULL || colon[1] == '\0') {
        return ROOST_ERR(ROOST_EINVAL);
    }
    const char *h = arg;
    size_t h_len = (size_t)(colon - arg);
    if (h_len >= 2 && h[0] == '[' && h[h_len - 1] == ']') {
        h++;
        h_len -= 2;
    }
    size_t p_len = strlen(colon + 1);
    if (h_len >= host_cap || p_len >= port_cap ||
        strspn(colon + 1, "0123456789") != p_len ||
        strtoul(colon + 1, NULL, 10) > 65535) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    memcpy(host, h, h_len);
    host[h_len] = '\0';
    memcpy(port, colon + 1, p_len + 1);
    return 0;
}

/* ---- connections and their line buffers --------------------------------- */

static void conn_init(struct tcp_conn *c, int fd, const char *peer)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    c->active_ms = mono_ms();
}

/* conn_reuse - forget the bytes and counters, keep the allocation. */
static void conn_reuse(struct tcp_conn *c, int fd, const char *peer)
{
    char *buf = c->buf;
    size_t cap = c->cap;
    conn_init(c, fd, peer);
    c->buf = buf;
    c->cap = cap;
}

static void conn_fini(struct tcp_conn *c)
{
    close_fd(&c->fd);
    roost_free(c->buf);
    c->buf = NULL;
    c->cap = 0;
    c->start = 0;
    c->len = 0;
}

static bool conn_is_done(const struct tcp_conn *c)
{
    return c->hung_up && c->start == c->len;
}

static void conn_hang_up(struct tcp_ctx *ctx, struct tcp_conn *c)
{
    if (c->fd >= 0) {
        epoll_ctl(ctx->ep_fd, EPOLL_CTL_DEL, c->fd, NULL);
        close_fd(&c->fd);
    }
    c->hung_up = true;
}

/*
 * emit - append one line of c to out as record c->line + 1.
 * A line that cannot fit even an empty batch is cut further, so the
 * runner never spins on it.
 */
static int emit(struct tcp_ctx *ctx, struct tcp_conn *c,
                struct roost_batch *out, const char *p, size_t len, int err)
{
    char pos[128];
    int pos_len =
        snprintf(pos, sizeof(pos), "tcp\t%s\t%" PRIu64, c->peer, c->line + 1);
    assert(pos_len > 0 && (size_t)pos_len < sizeof(pos));
    int rc = roost_batch_add(out, p, len, c->recv_ms, pos, (size_t)pos_len,
                             c->line + 1, err);
    while (rc == ROOST_ELIMIT && out->n_recs == 0 && len > 0) {
        ctx->stats.n_skipped_bytes += len - len / 2;
        len /= 2;
        err = ROOST_ELIMIT;
        rc = roost_batch_add(out, p, len, c->recv_ms, pos, (size_t)pos_len,
                             c->line + 1, err);
    }
    if (rc < 0) {
        return rc;
    }
    c->line++;
    ctx->stats.n_lines++;
    return 0;
}

/*
 * drain_conn - hand out every complete line in c's buffer; when the peer
 * has gone, the last partial line too.
 * Returns: 0 (the buffer holds less than one line), ROOST_ELIMIT (out is
 * full: the line stays for the next call), ROOST_ENOMEM.
 * Invariant on 0: len - start < max_line_bytes + 2, so a read always has
 * room.
 */
static int drain_conn(struct tcp_ctx *ctx, struct tcp_conn *c,
                      struct roost_batch *out)
{
    size_t max = ctx->max_line_bytes;
    while (c->start < c->len) {
        char *p = c->buf + c->start;
        size_t avail = c->len - c->start;
        char *nl = memchr(p, '\n', avail);
        if (c->skipping) {
            size_t drop = nl != NULL ? (size_t)(nl - p) + 1 : avail;
            ctx->stats.n_skipped_bytes += nl != NULL ? drop - 1 : drop;
            c->start += drop;
            c->skipping = nl == NULL;
            continue;
        }
        int rc;
        if (nl != NULL) {
            size_t n = (size_t)(nl - p);
            if (n > 0 && p[n - 1] == '\r') {
                n--;
            }
            if (n > max) {
                rc = emit(ctx, c, out, p, max, ROOST_ELIMIT);
                if (rc == 0) {
                    ctx->stats.n_cut++;
                    ctx->stats.n_skipped_bytes += n - max;
                }
            } else {
                rc = emit(ctx, c, out, p, n, 0);
            }
            if (rc < 0) {
                return rc;
            }
            c->start += (size_t)(nl - p) + 1;
        } else if (avail >= max + 2 || (c->hung_up && avail > max)) {
            /* No "\r\n" can save it now: cut it, drop the rest as it comes */
            rc = emit(ctx, c, out, p, max, ROOST_ELIMIT);
            if (rc < 0) {
                return rc;
            }
            ctx->stats.n_cut++;
            ctx->stats.n_skipped_bytes += avail - max;
            c->start = c->len;
            c->skipping = true;
        } else if (c->hung_up) {
            size_t n = avail;
            if (p[n - 1] == '\r') {
                n--;
            }
            rc = emit(ctx, c, out, p, n, ROOST_EPARSE);
            if (rc < 0) {
                return rc;
            }
            ctx->stats.n_partial++;
            c->start = c->len;
        } else {
            break;
        }
    }
    if (c->start == c->len) {
        c->start = 0;
        c->len = 0;
        if (c->cap > BUF_KEEP_CAP) {
            roost_free(c->buf);
            c->buf = NULL;
            c->cap = 0;
        }
    }
    assert(c->len - c->start < max + 2);
    return 0;
}

/* make_room - compact, and grow up to max_line_bytes + 2. */
static int make_room(struct tcp_ctx *ctx, struct tcp_conn *c)
{
    size_t limit = ctx->max_line_bytes + 2;
    if (c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->len - c->start);
        c->len -= c->start;
        c->start = 0;
    }
    if (c->cap - c->len >= BUF_FIRST_CAP || c->cap >= limit) {
        return 0;
    }
    size_t cap = c->cap > 0 ? c->cap * 2 : BUF_FIRST_CAP;
    if (cap > limit) {
        cap = limit;
    }
    char *p = roost_realloc(c->buf, cap);
    if (p == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    c->buf = p;
    c->cap = cap;
    return 0;
}

/*
 * read_conn - drain what is buffered, then read and drain, a few times.
 * Returns: 0, ROOST_ELIMIT (out is full), ROOST_ENOMEM. A closed or failed
 * peer is not an error: the connection is marked hung_up and its last
 * line flushed.
 */
static int read_conn(struct tcp_ctx *ctx, struct tcp_conn *c,
                     struct roost_batch *out)
{
    for (int i = 0; i < READS_PER_EVENT; i++) {
        int rc = drain_conn(ctx, c, out);
        if (rc < 0 || c->fd < 0) {
            return rc;
        }
        rc = make_room(ctx, c);
        if (rc < 0) {
            return rc;
        }
        assert(c->len < c->cap);
        ssize_t n = read(c->fd, c->buf + c->len, c->cap - c->len);
        if (n > 0) {
            c->len += (size_t)n;
            c->recv_ms = wall_ms();
            c->active_ms = mono_ms();
            ctx->stats.n_bytes += (uint64_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return 0;
        }
        if (n < 0) {
            ctx->stats.n_resets++;
        }
        conn_hang_up(ctx, c);
    }
    return drain_conn(ctx, c, out);
}

/* ---- server mode -------------------------------------------------------- */

static int open_listener(struct tcp_ctx *ctx)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    const char *host = ctx->host;
    if (host[0] == '\0' || strcmp(host, "*") == 0) {
        host = NULL;
    }
    if (getaddrinfo(host, ctx->port, &hints, &res) != 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    int rc = ROOST_ERR(ROOST_EIO);
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (fd < 0) {
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (set_nonblock(fd) == 0 &&
            bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(fd, LISTEN_BACKLOG) == 0) {
            ctx->listen_fd = fd;
            rc = 0;
            break;
        }
        close(fd);
    }
    freeaddrinfo(res);
    if (rc < 0) {
        return rc;
    }
    return ep_set(ctx, EPOLL_CTL_ADD, ctx->listen_fd, EPOLLIN, &tag_listen);
}

static int add_conn(struct tcp_ctx *ctx, int fd, const char *peer)
{
    if (ctx->n_conns == ctx->cap_conns) {
        size_t cap = ctx->cap_conns > 0 ? ctx->cap_conns * 2 : 8;
        struct tcp_conn **v = roost_realloc(ctx->conns, cap * sizeof(*v));
        if (v == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        ctx->conns = v;
        ctx->cap_conns = cap;
    }
    struct tcp_conn *c = roost_malloc(sizeof(*c));
    if (c == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    conn_init(c, fd, peer);
    int rc = ep_set(ctx, EPOLL_CTL_ADD, fd, EPOLLIN, c);
    if (rc < 0) {
        c->fd = -1; /* the caller closes fd */
        roost_free(c);
        return rc;
    }
    ctx->conns[ctx->n_conns++] = c;
    return 0;
}

static void remove_conn(struct tcp_ctx *ctx, size_t i)
{
    struct tcp_conn *c = ctx->conns[i];
    conn_hang_up(ctx, c);
    conn_fini(c);
    roost_free(c);
    ctx->conns[i] = ctx->conns[--ctx->n_conns];
}

/* accept_all - take every pending connection; over the cap, close it. */
static int accept_all(struct tcp_ctx *ctx)
{
    for (int i = 0; i < MAX_EVENTS; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept(ctx->listen_fd, (struct sockaddr *)&ss, &sl);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return 0;
            }
            /* EMFILE and kin: the listener stays readable, so step back */
            ctx->stats.n_accept_fails++;
            if (!ctx->listen_paused) {
                epoll_ctl(ctx->ep_fd, EPOLL_CTL_DEL, ctx->listen_fd, NULL);
                ctx->listen_paused = true;
                arm_timer(ctx, ACCEPT_RETRY_MS, 0);
            }
            return 0;
        }
        if (ctx->n_conns >= (size_t)ctx->max_clients) {
            ctx->stats.n_refused++;
            close(fd);
            continue;
        }
        char peer[64];
        format_peer(&ss, peer, sizeof(peer));
        int rc = set_nonblock(fd);
        if (rc == 0) {
            rc = add_conn(ctx, fd, peer);
        }
        if (rc < 0) {
            close(fd);
            if (rc == ROOST_ENOMEM) {
                return rc;
            }
            ctx->stats.n_accept_fails++;
            continue;
        }
        ctx->stats.n_conns++;
    }
    return 0;
}

/* arm_sweep - idle clients are closed within 1.5 x idle-timeout. */
static void arm_sweep(struct tcp_ctx *ctx)
{
    if (ctx->idle_timeout_ms > 0) {
        int64_t every = ctx->idle_timeout_ms / 2;
        every = every < MIN_SWEEP_MS ? MIN_SWEEP_MS : every;
        arm_timer(ctx, every, every);
    }
}

static void sweep_idle(struct tcp_ctx *ctx)
{
    if (ctx->idle_timeout_ms <= 0) {
        return;
    }
    int64_t now = mono_ms();
    for (size_t i = 0; i < ctx->n_conns; i++) {
        struct tcp_conn *c = ctx->conns[i];
        if (c->fd >= 0 && now - c->active_ms >= ctx->idle_timeout_ms) {
            conn_hang_up(ctx, c);
            ctx->stats.n_idle_closed++;
        }
    }
}

static void on_server_timer(struct tcp_ctx *ctx)
{
    clear_timer(ctx);
    if (ctx->listen_paused) {
        int rc =
            ep_set(ctx, EPOLL_CTL_ADD, ctx->listen_fd, EPOLLIN, &tag_listen);
        if (rc < 0) {
            arm_timer(ctx, ACCEPT_RETRY_MS, 0);
            return;
        }
        ctx->listen_paused = false;
        arm_sweep(ctx);
    }
    sweep_idle(ctx);
}

/* drain_all - leftovers first: lines kept by an earlier full batch. */
static int drain_all(struct tcp_ctx *ctx, struct roost_batch *out)
{
    for (size_t i = 0; i < ctx->n_conns;) {
        struct tcp_conn *c = ctx->conns[i];
        int rc = drain_conn(ctx, c, out);
        if (rc < 0) {
            return rc;
        }
        if (conn_is_done(c)) {
            remove_conn(ctx, i);
        } else {
            i++;
        }
    }
    return 0;
}

static int server_poll(struct tcp_ctx *ctx, struct roost_batch *out)
{
    int rc = drain_all(ctx, out);
    if (rc < 0) {
        return rc;
    }
    struct epoll_event evs[MAX_EVENTS];
    int n = epoll_wait(ctx->ep_fd, evs, MAX_EVENTS, 0);
    if (n < 0 && errno != EINTR) {
        return ROOST_ERR(ROOST_EIO);
    }
    for (int i = 0; i < n; i++) {
        void *tag = evs[i].data.ptr;
        if (tag == &tag_listen) {
            rc = accept_all(ctx);
        } else if (tag == &tag_timer) {
            on_server_timer(ctx);
        } else {
            /* A hung-up conn left epoll, so its tag cannot be stale here */
            rc = read_conn(ctx, tag, out);
        }
        if (rc < 0) {
            return rc;
        }
    }
    /* Conns the timer hung up flush their last line now */
    return drain_all(ctx, out);
}

/* ---- client mode -------------------------------------------------------- */

static void client_wait(struct tcp_ctx *ctx)
{
    ctx->state = CLIENT_WAIT;
    ctx->next_connect_ms = mono_ms() + ctx->reconnect_ms;
    arm_timer(ctx, ctx->reconnect_ms, 0);
}

static void client_failed(struct tcp_ctx *ctx)
{
    ctx->stats.n_connect_fails++;
    conn_hang_up(ctx, &ctx->client);
    ctx->client.hung_up = false;
    client_wait(ctx);
}

static void client_up(struct tcp_ctx *ctx)
{
    struct tcp_conn *c = &ctx->client;
    if (ep_set(ctx, EPOLL_CTL_MOD, c->fd, EPOLLIN, c) < 0) {
        client_failed(ctx);
        return;
    }
    ctx->state = CLIENT_UP;
    ctx->stats.n_conns++;
}

/*
 * client_connect - start a non-blocking connect to the next address of
 * HOST (addresses are tried in turn across attempts). Failures arm the
 * reconnect timer; only an unknown host on the first attempt is an error.
 */
static int client_connect(struct tcp_ctx *ctx, bool first)
{
    struct addrinfo hints = { .ai_family = AF_UNSPEC,
                              .ai_socktype = SOCK_STREAM,
                              .ai_flags = AI_NUMERICSERV };
    struct addrinfo *res = NULL;
    int gai = getaddrinfo(ctx->host, ctx->port, &hints, &res);
    if (gai == EAI_NONAME && first) {
        return ROOST_ERR(ROOST_EINVAL); /* a typo, not a flapping DNS */
    }
    if (gai != 0) {
        client_failed(ctx);
        return 0;
    }
    size_t n_ai = 0;
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        n_ai++;
    }
    struct addrinfo *ai = res;
    for (uint64_t k = ctx->n_attempts++ % n_ai; k > 0; k--) {
        ai = ai->ai_next;
    }
    struct sockaddr_storage ss = { 0 };
    memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
    char peer[64];
    format_peer(&ss, peer, sizeof(peer));
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    int crc = -1;
    if (fd >= 0 && set_nonblock(fd) == 0) {
        crc = connect(fd, ai->ai_addr, ai->ai_addrlen);
    }
    int err = errno;
    freeaddrinfo(res);
    conn_reuse(&ctx->client, fd, peer);
    if (fd < 0 || (crc < 0 && err != EINPROGRESS)) {
        client_failed(ctx);
        return 0;
    }
    if (ep_set(ctx, EPOLL_CTL_ADD, fd, EPOLLOUT, &ctx->client) < 0) {
        client_failed(ctx);
        return 0;
    }
    ctx->state = CLIENT_CONNECTING;
    if (crc == 0) {
        client_up(ctx);
    }
    return 0;
}

static void client_check_connect(struct tcp_ctx *ctx)
{
    struct pollfd pfd = { .fd = ctx->client.fd, .events = POLLOUT };
    if (poll(&pfd, 1, 0) <= 0) {
        return;
    }
    int err = 0;
    socklen_t sl = sizeof(err);
    if (getsockopt(pfd.fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err != 0) {
        client_failed(ctx);
        return;
    }
    client_up(ctx);
}

static int client_poll(struct tcp_ctx *ctx, struct roost_batch *out)
{
    struct tcp_conn *c = &ctx->client;
    clear_timer(ctx);
    int rc = 0;
    if (ctx->state == CLIENT_WAIT && mono_ms() >= ctx->next_connect_ms) {
        rc = client_connect(ctx, false);
    }
    if (rc == 0 && ctx->state == CLIENT_CONNECTING) {
        client_check_connect(ctx);
    }
    if (rc == 0 && ctx->state == CLIENT_UP) {
        rc = read_conn(ctx, c, out);
        if (rc == 0 && conn_is_done(c)) {
            if (ctx->once) {
                ctx->state = CLIENT_ENDED;
            } else {
                c->hung_up = false;
                client_wait(ctx);
            }
        }
    }
    return rc;
}

/* ---- the plug-in ops ---------------------------------------------------- */

static int tcp_open(struct roost_source *src)
{
    struct tcp_ctx *ctx = src->ctx;
    ctx->ep_fd = -1;
    ctx->timer_fd = -1;
    ctx->listen_fd = -1;
    ctx->client.fd = -1;
    ctx->is_open = true;
    memset(&ctx->stats, 0, sizeof(ctx->stats));

    if (ctx->mode == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (strcmp(ctx->mode, "server") == 0) {
        ctx->server = true;
    } else if (strcmp(ctx->mode, "client") == 0) {
        ctx->server = false;
    } else {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (ctx->max_line < 1 || ctx->max_line > SIZE_MAX / 4 ||
        ctx->max_clients < 1 || ctx->reconnect_ms < 0 ||
        ctx->idle_timeout_ms < 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    ctx->max_line_bytes = ctx->max_line;
    if (src->max_record_bytes > 0 && src->max_record_bytes < ctx->max_line) {
        ctx->max_line_bytes = src->max_record_bytes;
    }
    int rc = split_addr(src->arg, ctx->host, sizeof(ctx->host), ctx->port,
                        sizeof(ctx->port));
    if (rc < 0) {
        return rc;
    }
    if (!ctx->server &&
        (ctx->host[0] == '\0' || strtoul(ctx->port, NULL, 10) == 0)) {
        return ROOST_ERR(ROOST_EINVAL);
    }

    ctx->ep_fd = epoll_create1(EPOLL_CLOEXEC);
    ctx->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (ctx->ep_fd < 0 || ctx->timer_fd < 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    rc = ep_set(ctx, EPOLL_CTL_ADD, ctx->timer_fd, EPOLLIN, &tag_timer);
    if (rc < 0) {
        return rc;
    }
    if (!ctx->server) {
        /* Connect now; a refused first attempt retries like a reconnect */
        ctx->state = CLIENT_WAIT;
        ctx->next_connect_ms = mono_ms();
        return client_connect(ctx, true);
    }
    rc = open_listener(ctx);
    if (rc < 0) {
        return rc;
    }
    arm_sweep(ctx);
    return 0;
}

static int tcp_fd(struct roost_source *src)
{
    struct tcp_ctx *ctx = src->ctx;
    return ctx->is_open ? ctx->ep_fd : -1;
}

/*
 * tcp_poll - drain, then read. Returns 0 when it appended records,
 * ROOST_EAGAIN when none, ROOST_ELIMIT when out is full (bytes kept), and
 * ROOST_ENOENT once a once=true client has handed out its last line.
 */
static int tcp_poll(struct roost_source *src, struct roost_batch *out)
{
    struct tcp_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    uint32_t n_before = out->n_recs;
    int rc = ctx->server ? server_poll(ctx, out) : client_poll(ctx, out);
    if (rc < 0) {
        return rc;
    }
    if (out->n_recs > n_before) {
        return 0;
    }
    if (!ctx->server && ctx->state == CLIENT_ENDED) {
        return ROOST_ENOENT;
    }
    return ROOST_EAGAIN;
}

static void tcp_close(struct roost_source *src)
{
    struct tcp_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return;
    }
    for (size_t i = 0; i < ctx->n_conns; i++) {
        conn_fini(ctx->conns[i]);
        roost_free(ctx->conns[i]);
    }
    roost_free(ctx->conns);
    ctx->conns = NULL;
    ctx->n_conns = 0;
    ctx->cap_conns = 0;
    conn_fini(&ctx->client);
    close_fd(&ctx->listen_fd);
    close_fd(&ctx->timer_fd);
    close_fd(&ctx->ep_fd);
    ctx->listen_paused = false;
    ctx->is_open = false;
}

const struct roost_source_ops roost_source_tcp = {
    .name = "tcp",
    .summary = "lines over TCP: connect to HOST:PORT, or listen (mode=server)",
    .options = tcp_options,
    .ctx_size = sizeof(struct tcp_ctx),
    .open = tcp_open,
    .fd = tcp_fd,
    .poll = tcp_poll,
    .close = tcp_close,
};

int roost_src_tcp_port(struct roost_source *src)
{
    if (src == NULL || src->ops != &roost_source_tcp) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    struct tcp_ctx *ctx = src->ctx;
    if (!ctx->is_open) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (ctx->server) {
        return sock_port(ctx->listen_fd);
    }
    if (ctx->state != CLIENT_UP) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    return sock_port(ctx->client.fd);
}

int roost_src_tcp_stats(struct roost_source *src,
                        struct roost_src_tcp_stats *out)
{
    if (src == NULL || src->ops != &roost_source_tcp) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    struct tcp_ctx *ctx = src->ctx;
    *out = ctx->stats;
    return 0;
}
