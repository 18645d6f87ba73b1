/* SPDX-License-Identifier: MIT
 *
 * test_src_tcp.c - the tcp source driven through its ops on loopback.
 *
 * Each test opens a source from a spec (roost_source_new + ops->open),
 * plays the peers from threads or from the test itself on 127.0.0.1 with
 * ephemeral ports, and polls into small batches so that ROOST_ELIMIT and
 * the "keep the bytes" path run too. Every wait is bounded: a test that
 * hangs fails after DEADLINE_MS.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "core/batch.h"
#include "core/mem.h"
#include "core/queue.h"
#include "source/source.h"
#include "source/src_tcp.h"

enum {
    DEADLINE_MS = 4000,
    MAX_LOG = 512,
};

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

/* ---- the source under test ---------------------------------------------- */

static struct roost_source *open_src(const char *spec)
{
    struct roost_source *src = NULL;
    struct roost_diag d = { 0 };
    int rc = roost_source_new(spec, &src, &d);
    CHECK_MSG(rc == 0, "roost_source_new(%s): %s %s", spec, roost_strerror(rc),
              d.msg);
    rc = src->ops->open(src);
    CHECK_MSG(rc == 0, "open(%s): %s", spec, roost_strerror(rc));
    return src;
}

static void close_src(struct roost_source *src)
{
    src->ops->close(src);
    roost_source_free(src);
}

/* wait_src - wait for the source's fd; true when it became readable. */
static bool wait_src(struct roost_source *src, int ms)
{
    struct pollfd p = { .fd = src->ops->fd(src), .events = POLLIN };
    return poll(&p, 1, ms) == 1;
}

static struct roost_src_tcp_stats stats_of(struct roost_source *src)
{
    struct roost_src_tcp_stats st;
    CHECK_INT_EQ(roost_src_tcp_stats(src, &st), 0);
    return st;
}

/* ---- what came out ------------------------------------------------------ */

struct rec {
    char text[64];
    size_t len;
    int err;
    uint64_t line;
    char pos[64];
};

struct log {
    struct rec r[MAX_LOG];
    int n;
    int n_limit; /* polls that said ROOST_ELIMIT */
};

static void take_batch(struct log *l, struct roost_batch *b)
{
    for (uint32_t i = 0; i < b->n_recs; i++) {
        CHECK(l->n < MAX_LOG);
        struct rec *r = &l->r[l->n++];
        struct roost_str s = roost_batch_rec(b, i);
        struct roost_str p = roost_batch_pos(b, i);
        r->len = s.len;
        snprintf(r->text, sizeof(r->text), "%.*s", (int)s.len, s.ptr);
        snprintf(r->pos, sizeof(r->pos), "%.*s", (int)p.len, p.ptr);
        r->err = b->recs[i].err;
        r->line = b->recs[i].line;
    }
    roost_batch_reset(b);
}

/*
 * pump - poll until the log holds `want` records (or, want < 0, until the
 * source is quiet for a few polls). Returns the last poll's code.
 */
static int pump(struct roost_source *src, struct roost_batch *b, struct log *l,
                int want)
{
    int64_t end = now_ms() + DEADLINE_MS;
    int quiet = 0;
    for (;;) {
        int rc = src->ops->poll(src, b);
        take_batch(l, b);
        CHECK_MSG(rc == 0 || rc == ROOST_EAGAIN || rc == ROOST_ELIMIT ||
                      rc == ROOST_ENOENT,
                  "poll: %s", roost_strerror(rc));
        l->n_limit += rc == ROOST_ELIMIT;
        if ((want >= 0 && l->n >= want) || rc == ROOST_ENOENT) {
            return rc;
        }
        if (want < 0 && rc == ROOST_EAGAIN && ++quiet >= 3) {
            return rc;
        }
        CHECK_MSG(now_ms() < end, "timed out with %d of %d records", l->n,
                  want);
        if (rc == ROOST_EAGAIN) {
            wait_src(src, want < 0 ? 5 : 50);
        }
    }
}

static void check_rec(const struct log *l, int i, const char *text, int err,
                      uint64_t line)
{
    CHECK_MSG(i < l->n, "record %d missing (have %d)", i, l->n);
    CHECK_STR_EQ(l->r[i].text, text);
    CHECK_INT_EQ(l->r[i].err, err);
    CHECK_INT_EQ(l->r[i].line, line);
}

/* ---- peers -------------------------------------------------------------- */

static int connect_port(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_MSG(connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0,
              "connect: %s", strerror(errno));
    return fd;
}

static void send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        CHECK_MSG(n > 0 || errno == EINTR, "send: %s", strerror(errno));
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        }
    }
}

static void send_str(int fd, const char *s)
{
    send_all(fd, s, strlen(s));
}

/* listen_port - a listener on 127.0.0.1:port (0: ephemeral); *port set. */
static int listen_port(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    CHECK(fd >= 0);
    int one = 1;
    CHECK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == 0);
    struct sockaddr_in sa = { .sin_family = AF_INET,
                              .sin_port = htons((uint16_t)*port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    CHECK_MSG(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0, "bind: %s",
              strerror(errno));
    CHECK(listen(fd, 8) == 0);
    socklen_t sl = sizeof(sa);
    CHECK(getsockname(fd, (struct sockaddr *)&sa, &sl) == 0);
    *port = ntohs(sa.sin_port);
    return fd;
}

/* accept_within - accept on lfd, failing the test after DEADLINE_MS. */
static int accept_within(int lfd)
{
    struct pollfd p = { .fd = lfd, .events = POLLIN };
    CHECK_MSG(poll(&p, 1, DEADLINE_MS) == 1, "nobody connected");
    int fd = accept(lfd, NULL, NULL);
    CHECK(fd >= 0);
    return fd;
}

/* peer_closed - the server closed fd within ms (EOF or reset). */
static bool peer_closed(int fd, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, ms) != 1) {
        return false;
    }
    char c;
    ssize_t n = recv(fd, &c, 1, 0);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static struct roost_batch *new_batch(size_t max_bytes)
{
    struct roost_batch *b = NULL;
    CHECK_INT_EQ(roost_batch_new("tcp", max_bytes, &b), 0);
    return b;
}

static struct roost_source *open_server(const char *opts, int *port)
{
    char spec[256];
    snprintf(spec, sizeof(spec), "tcp://127.0.0.1:0?mode=server%s", opts);
    struct roost_source *src = open_src(spec);
    *port = roost_src_tcp_port(src);
    CHECK(*port > 0);
    return src;
}

/* ---- server: many clients, nothing lost --------------------------------- */

enum {
    N_CLIENTS = 3,
    N_LINES = 10000,
};

struct writer {
    int port;
    int id;
};

/* writer_main - N_LINES lines in pseudo-random slices, some 1 byte long. */
static void *writer_main(void *arg)
{
    const struct writer *w = arg;
    int fd = connect_port(w->port);
    static const char pad[] = "the quick brown fox jumps over the lazy dog";
    size_t cap = 1 << 20, len = 0;
    char *all = roost_malloc(cap);
    CHECK(all != NULL);
    for (int i = 0; i < N_LINES; i++) {
        int n = snprintf(all + len, cap - len,
                         "{\"c\":%d,\"seq\":%d,\"t\":\"%.*s\"}%s", w->id, i,
                         1 + i % (int)(sizeof(pad) - 1), pad,
                         i % 7 == 0 ? "\r\n" : "\n");
        CHECK(n > 0 && (size_t)n < cap - len);
        len += (size_t)n;
    }
    uint32_t rnd = 2463534242u + (uint32_t)w->id;
    for (size_t off = 0; off < len;) {
        rnd ^= rnd << 13;
        rnd ^= rnd >> 17;
        rnd ^= rnd << 5;
        size_t n = rnd % 4 == 0 ? 1 : 1 + rnd % 3000;
        n = n > len - off ? len - off : n;
        send_all(fd, all + off, n);
        off += n;
    }
    roost_free(all);
    close(fd);
    return NULL;
}

static void test_server_three_clients_nothing_lost(void)
{
    int port;
    struct roost_source *src = open_server("", &port);
    struct roost_batch *b = new_batch(16 * 1024);
    pthread_t th[N_CLIENTS];
    struct writer w[N_CLIENTS];
    for (int i = 0; i < N_CLIENTS; i++) {
        w[i] = (struct writer){ .port = port, .id = i };
        CHECK(pthread_create(&th[i], NULL, writer_main, &w[i]) == 0);
    }
    int next[N_CLIENTS] = { 0 };
    char peer[N_CLIENTS][64] = { { 0 } };
    int total = 0, n_limit = 0;
    int64_t end = now_ms() + DEADLINE_MS;
    while (total < N_CLIENTS * N_LINES) {
        CHECK_MSG(now_ms() < end, "timed out at %d records", total);
        int rc = src->ops->poll(src, b);
        CHECK_MSG(rc == 0 || rc == ROOST_EAGAIN || rc == ROOST_ELIMIT,
                  "poll: %s", roost_strerror(rc));
        n_limit += rc == ROOST_ELIMIT;
        for (uint32_t i = 0; i < b->n_recs; i++) {
            struct roost_str s = roost_batch_rec(b, i);
            struct roost_str p = roost_batch_pos(b, i);
            int c = -1, seq = -1, used = 0;
            char text[128];
            CHECK(s.len < sizeof(text));
            memcpy(text, s.ptr, s.len);
            text[s.len] = '\0';
            /* A whole line of one writer, nothing spliced in */
            CHECK_MSG(sscanf(text, "{\"c\":%d,\"seq\":%d,\"t\":\"%*[a-z ]\"}%n",
                             &c, &seq, &used) == 2 &&
                          (size_t)used == s.len,
                      "bad record '%s'", text);
            CHECK(c >= 0 && c < N_CLIENTS);
            CHECK_MSG(seq == next[c], "client %d: got %d, want %d", c, seq,
                      next[c]);
            CHECK_INT_EQ(b->recs[i].err, 0);
            CHECK_INT_EQ(b->recs[i].line, (uint64_t)seq + 1);
            /* position: "tcp\t127.0.0.1:<peer port>\t<line>" per client */
            char pos[96], want_tail[32];
            snprintf(pos, sizeof(pos), "%.*s", (int)p.len, p.ptr);
            snprintf(want_tail, sizeof(want_tail), "\t%d", seq + 1);
            CHECK_MSG(strncmp(pos, "tcp\t127.0.0.1:", 14) == 0, "pos %s", pos);
            char *tail = strrchr(pos, '\t');
            CHECK_STR_EQ(tail, want_tail);
            *tail = '\0';
            if (peer[c][0] == '\0') {
                snprintf(peer[c], sizeof(peer[c]), "%s", pos);
            }
            CHECK_STR_EQ(pos, peer[c]);
            next[c]++;
            total++;
        }
        roost_batch_reset(b);
        if (rc == ROOST_EAGAIN) {
            wait_src(src, 50);
        }
    }
    for (int i = 0; i < N_CLIENTS; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT_EQ(next[i], N_LINES);
    }
    CHECK(strcmp(peer[0], peer[1]) != 0 && strcmp(peer[1], peer[2]) != 0);
    CHECK_MSG(n_limit > 0, "the batch never filled up");
    struct roost_src_tcp_stats st = stats_of(src);
    CHECK_INT_EQ(st.n_conns, N_CLIENTS);
    CHECK_INT_EQ(st.n_lines, N_CLIENTS * N_LINES);
    CHECK_INT_EQ(st.n_cut + st.n_partial + st.n_refused, 0);
    roost_batch_free(b);
    close_src(src);
}

/* ---- server: framing ---------------------------------------------------- */

static void test_server_split_at_every_boundary(void)
{
    static const char msg[] = "alpha\nbeta\r\n{\"x\":1}\n";
    size_t len = sizeof(msg) - 1;
    int port;
    struct roost_source *src = open_server("", &port);
    struct roost_batch *b = new_batch(4096);
    static struct log l;
    for (size_t cut = 0; cut <= len; cut++) {
        int base = l.n;
        int fd = connect_port(port);
        send_all(fd, msg, cut);
        pump(src, b, &l, -1); /* the source sees the first part alone */
        send_all(fd, msg + cut, len - cut);
        close(fd);
        pump(src, b, &l, base + 3);
        CHECK_MSG(l.n == base + 3, "cut %zu: %d records", cut, l.n - base);
        check_rec(&l, base, "alpha", 0, 1);
        check_rec(&l, base + 1, "beta", 0, 2);
        check_rec(&l, base + 2, "{\"x\":1}", 0, 3);
    }
    /* One byte per write, the "\r" and "\n" of CRLF apart */
    int fd = connect_port(port);
    int base = l.n;
    for (size_t i = 0; i < len; i++) {
        send_all(fd, msg + i, 1);
        pump(src, b, &l, -1);
    }
    close(fd);
    pump(src, b, &l, base + 3);
    check_rec(&l, base, "alpha", 0, 1);
    check_rec(&l, base + 1, "beta", 0, 2);
    check_rec(&l, base + 2, "{\"x\":1}", 0, 3);
    CHECK_INT_EQ(stats_of(src).n_partial, 0);
    roost_batch_free(b);
    close_src(src);
}

static void test_server_crlf_and_plain_text(void)
{
    int port;
    struct roost_source *src = open_server("", &port);
    struct roost_batch *b = new_batch(4096);
    static struct log l;
    int fd = connect_port(port);
    send_str(fd, "a\r\nplain text post #tag\r\n\r\nc\rd\n\n");
    close(fd);
    pump(src, b, &l, 5);
    check_rec(&l, 0, "a", 0, 1);
    check_rec(&l, 1, "plain text post #tag", 0, 2);
    check_rec(&l, 2, "", 0, 3);     /* blank lines pass as they are */
    check_rec(&l, 3, "c\rd", 0, 4); /* only a "\r" before "\n" goes */
    check_rec(&l, 4, "", 0, 5);
    pump(src, b, &l, -1);
    CHECK_INT_EQ(l.n, 5);
    roost_batch_free(b);
    close_src(src);
}

static void test_server_overlong_line_cut(void)
{
    int port;
    struct roost_source *src = open_server("&max-line=16", &port);
    struct roost_batch *b = new_batch(4096);
    static struct log l;
    int fd = connect_port(port);
    send_str(fd, "0123456789abcdef\r\n"); /* exactly max-line: intact */
    send_str(fd, "0123456789abcdefX\n");  /* one over, newline in view */
    pump(src, b, &l, 2);
    /* Far over, in many writes: cut as soon as it cannot fit */
    char big[5000];
    memset(big, 'z', sizeof(big));
    memcpy(big, "ZZZZ", 4);
    for (int i = 0; i < 4; i++) {
        send_all(fd, big, sizeof(big));
        pump(src, b, &l, -1);
    }
    CHECK_INT_EQ(l.n, 3);
    send_str(fd, "tail of it\nnext\n");
    close(fd);
    pump(src, b, &l, 4);
    check_rec(&l, 0, "0123456789abcdef", 0, 1);
    check_rec(&l, 1, "0123456789abcdef", ROOST_ELIMIT, 2);
    check_rec(&l, 2, "ZZZZzzzzzzzzzzzz", ROOST_ELIMIT, 3);
    check_rec(&l, 3, "next", 0, 4);
    pump(src, b, &l, -1);
    CHECK_INT_EQ(l.n, 4);
    struct roost_src_tcp_stats st = stats_of(src);
    CHECK_INT_EQ(st.n_cut, 2);
    CHECK_INT_EQ(st.n_skipped_bytes, 1 + 4 * sizeof(big) - 16 + 10);
    roost_batch_free(b);
    close_src(src);
}

static void test_server_partial_last_line_flagged(void)
{
    int port;
    struct roost_source *src = open_server("", &port);
    struct roost_batch *b = new_batch(4096);
    static struct log l;
    int fd = connect_port(port);
    send_str(fd, "full\npart");
    close(fd);
    pump(src, b, &l, 2);
    check_rec(&l, 0, "full", 0, 1);
    check_rec(&l, 1, "part", ROOST_EPARSE, 2);
    CHECK_INT_EQ(stats_of(src).n_partial, 1);
    roost_batch_free(b);
    close_src(src);
}

static void test_server_full_batch_keeps_bytes(void)
{
    int port;
    struct roost_source *src = open_server("", &port);
    struct roost_batch *b = new_batch(256);
    static struct log l;
    int fd = connect_port(port);
    char line[32];
    for (int i = 0; i < 300; i++) {
        snprintf(line, sizeof(line), "line %03d\n", i);
        send_str(fd, line);
    }
    close(fd);
    pump(src, b, &l, 300);
    CHECK(l.n_limit > 10);
    for (int i = 0; i < 300; i++) {
        snprintf(line, sizeof(line), "line %03d", i);
        check_rec(&l, i, line, 0, (uint64_t)i + 1);
    }
    roost_batch_free(b);
    close_src(src);
}

/* A line that cannot fit even an empty batch is cut to fit, not spun on */
static void test_server_line_larger_than_batch(void)
{
    int port;
    struct roost_source *src = open_server("", &port);
    struct roost_batch *b = new_batch(128);
    static struct log l;
    int fd = connect_port(port);
    char big[301];
    memset(big, 'q', sizeof(big) - 1);
    big[300] = '\n';
    send_all(fd, big, sizeof(big));
    send_str(fd, "ok\n");
    close(fd);
    pump(src, b, &l, 2);
    CHECK_INT_EQ(l.r[0].err, ROOST_ELIMIT);
    CHECK(l.r[0].len > 0 && l.r[0].len < 128);
    check_rec(&l, 1, "ok", 0, 2);
    roost_batch_free(b);
    close_src(src);
}

/* ---- server: limits ----------------------------------------------------- */

static void test_server_max_clients(void)
{
    int port;
    struct roost_source *src = open_server("&max-clients=2", &port);
    struct roost_batch *b = new_batch(4096);
    static struct log l;
    int a = connect_port(port);
    int c = connect_port(port);
    pump(src, b, &l, -1);
    int d = connect_port(port);
    pump(src, b, &l, -1);
    CHECK_MSG(peer_closed(d, DEADLINE_MS), "third client not closed");
    CHECK_INT_EQ(stats_of(src).n_refused, 1);
    send_str(a, "from a\n");
    send_str(c, "from c\n");
    pump(src, b, &l, 2);
    CHECK_INT_EQ(l.n, 2);
    /* A slot freed is a slot taken again */
    close(a);
    pump(src, b, &l, -1);
    int e = connect_port(port);
    send_str(e, "from e\n");
    pump(src, b, &l, 3);
    check_rec(&l, 2, "from e", 0, 1);
    CHECK(!peer_closed(e, 20));
    struct roost_src_tcp_stats st = stats_of(src);
    CHECK_INT_EQ(st.n_refused, 1);
    CHECK_INT_EQ(st.n_conns, 3);
    close(c);
    close(d);
    close(e);
    roost_batch_free(b);
    close_src(src);
}

static void test_server_idle_timeout(void)
{
    int port;
    struct roost_source *src = open_server("&idle-timeout=60ms", &port);
    struct roost_batch *b = new_batch(4096);
    static struct log l;
    int quiet = connect_port(port);
    int busy = connect_port(port);
    send_str(quiet, "half a li");
    int64_t end = now_ms() + 400;
    while (now_ms() < end) {
        send_str(busy, "tick\n");
        pump(src, b, &l, -1);
        sleep_ms(10);
    }
    /* The timer woke the source and the quiet one's bytes were kept */
    CHECK_MSG(peer_closed(quiet, DEADLINE_MS), "idle client not closed");
    CHECK(!peer_closed(busy, 1));
    int n_half = 0;
    for (int i = 0; i < l.n; i++) {
        if (l.r[i].err == ROOST_EPARSE) {
            CHECK_STR_EQ(l.r[i].text, "half a li");
            n_half++;
        } else {
            CHECK_STR_EQ(l.r[i].text, "tick");
        }
    }
    CHECK_INT_EQ(n_half, 1);
    CHECK_INT_EQ(stats_of(src).n_idle_closed, 1);
    close(quiet);
    close(busy);
    roost_batch_free(b);
    close_src(src);
}

/* With no peer at all, only the timer can make the fd readable */
static void test_server_idle_timer_wakes_fd(void)
{
    int port;
    struct roost_source *src = open_server("&idle-timeout=40ms", &port);
    struct roost_batch *b = new_batch(4096);
    static struct log l;
    int64_t t0 = now_ms();
    int fd = connect_port(port);
    pump(src, b, &l, -1);
    while (!peer_closed(fd, 0)) {
        CHECK_MSG(wait_src(src, DEADLINE_MS), "fd never became readable");
        CHECK_INT_EQ(src->ops->poll(src, b), ROOST_EAGAIN);
        CHECK(now_ms() - t0 < DEADLINE_MS);
    }
    CHECK(now_ms() - t0 >= 40);
    close(fd);
    roost_batch_free(b);
    close_src(src);
}

/* ---- client mode -------------------------------------------------------- */

struct feeder {
    int lfd;
    int port;
    int n_lines;
    const char *tail; /* sent after the lines, before the close */
    bool restart;     /* close the listener, then serve "second\n" */
};

static void *feeder_main(void *arg)
{
    struct feeder *f = arg;
    int fd = accept_within(f->lfd);
    char line[64];
    for (int i = 0; i < f->n_lines; i++) {
        snprintf(line, sizeof(line), "{\"n\":%d}\n", i);
        send_str(fd, line);
    }
    send_str(fd, f->tail);
    close(fd);
    if (f->restart) {
        close(f->lfd);
        sleep_ms(150); /* the client meets ECONNREFUSED meanwhile */
        int port = f->port;
        f->lfd = listen_port(&port);
        fd = accept_within(f->lfd);
        send_str(fd, "second\n");
        close(fd);
    }
    return NULL;
}

static void test_client_once_ends_after_stream(void)
{
    struct feeder f = { .n_lines = 1000, .tail = "no newline" };
    f.lfd = listen_port(&f.port);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, feeder_main, &f) == 0);
    char spec[128];
    snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%d?once=true", f.port);
    struct roost_source *src = open_src(spec);
    struct roost_batch *b = new_batch(1024);
    static struct log l;
    struct log *big = roost_calloc(1, sizeof(*big));
    CHECK(big != NULL);
    int total = 0, rc;
    int64_t end = now_ms() + DEADLINE_MS;
    char want[64];
    for (;;) {
        rc = pump(src, b, big, MAX_LOG / 2);
        for (int i = 0; i < big->n; i++) {
            if (total < f.n_lines) {
                snprintf(want, sizeof(want), "{\"n\":%d}", total);
                check_rec(big, i, want, 0, (uint64_t)total + 1);
                CHECK(strncmp(big->r[i].pos, "tcp\t127.0.0.1:", 14) == 0);
            } else {
                l.r[l.n++] = big->r[i];
            }
            total++;
        }
        big->n = 0;
        if (rc == ROOST_ENOENT) {
            break;
        }
        CHECK(now_ms() < end);
    }
    CHECK_INT_EQ(total, f.n_lines + 1);
    check_rec(&l, 0, "no newline", ROOST_EPARSE, (uint64_t)f.n_lines + 1);
    CHECK_INT_EQ(src->ops->poll(src, b), ROOST_ENOENT);
    CHECK_INT_EQ(b->n_recs, 0);
    pthread_join(th, NULL);
    close(f.lfd);
    roost_free(big);
    roost_batch_free(b);
    close_src(src);
}

static void test_client_reconnects_after_restart(void)
{
    struct feeder f = { .n_lines = 3, .tail = "", .restart = true };
    f.lfd = listen_port(&f.port);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, feeder_main, &f) == 0);
    char spec[128];
    snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%d?reconnect=20ms", f.port);
    struct roost_source *src = open_src(spec);
    struct roost_batch *b = new_batch(4096);
    static struct log l;
    CHECK_INT_EQ(pump(src, b, &l, 4), 0);
    check_rec(&l, 0, "{\"n\":0}", 0, 1);
    check_rec(&l, 2, "{\"n\":2}", 0, 3);
    check_rec(&l, 3, "second", 0, 1); /* lines count per connection */
    pthread_join(th, NULL);
    struct roost_src_tcp_stats st = stats_of(src);
    CHECK_INT_EQ(st.n_conns, 2);
    CHECK(st.n_connect_fails >= 1);
    /* Still reconnecting (not ENOENT) while the server is gone */
    close(f.lfd);
    CHECK_INT_EQ(pump(src, b, &l, -1), ROOST_EAGAIN);
    roost_batch_free(b);
    close_src(src);
}

static void test_client_connect_refused_retries(void)
{
    int port = 0;
    int lfd = listen_port(&port);
    close(lfd); /* nobody listens there now */
    char spec[128];
    snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%d?reconnect=10ms&once=1",
             port);
    struct roost_source *src = open_src(spec);
    struct roost_batch *b = new_batch(4096);
    static struct log l;
    int64_t end = now_ms() + 200;
    while (now_ms() < end) {
        CHECK_INT_EQ(pump(src, b, &l, -1), ROOST_EAGAIN);
        wait_src(src, 20);
    }
    CHECK(stats_of(src).n_connect_fails >= 3);
    CHECK_INT_EQ(roost_src_tcp_port(src), ROOST_EINVAL);
    lfd = listen_port(&port);
    int fd = -1;
    end = now_ms() + DEADLINE_MS;
    while (fd < 0) {
        CHECK(now_ms() < end);
        pump(src, b, &l, -1);
        struct pollfd p = { .fd = lfd, .events = POLLIN };
        if (poll(&p, 1, 10) == 1) {
            fd = accept(lfd, NULL, NULL);
        }
    }
    send_str(fd, "late\n");
    close(fd);
    CHECK_INT_EQ(pump(src, b, &l, 2), ROOST_ENOENT);
    check_rec(&l, 0, "late", 0, 1);
    CHECK_INT_EQ(l.n, 1);
    close(lfd);
    roost_batch_free(b);
    close_src(src);
}

/* An allocation that fails is an error return, and the source goes on */
static void test_server_out_of_memory(void)
{
    int n_enomem = 0;
    for (uint64_t k = 1; k <= 6; k++) {
        int port;
        struct roost_source *src = open_server("", &port);
        struct roost_batch *b = new_batch(4096);
        static struct log l;
        l.n = 0;
        int fd = connect_port(port);
        send_str(fd, "hello\n");
        roost_mem_fault_after(k);
        int64_t end = now_ms() + DEADLINE_MS;
        int rc;
        do {
            CHECK(now_ms() < end);
            rc = src->ops->poll(src, b);
            wait_src(src, 5);
        } while (rc == ROOST_EAGAIN);
        CHECK_MSG(rc == 0 || rc == ROOST_ENOMEM, "poll: %s",
                  roost_strerror(rc));
        n_enomem += rc == ROOST_ENOMEM;
        roost_mem_fault_after(0);
        take_batch(&l, b);
        int fd2 = connect_port(port);
        send_str(fd2, "after\n");
        close(fd2);
        /* "hello" too, unless the fault hit its connection's accept */
        bool after = false;
        while (!after) {
            pump(src, b, &l, l.n + 1);
            after = strcmp(l.r[l.n - 1].text, "after") == 0;
            CHECK(after || (l.n == 1 && strcmp(l.r[0].text, "hello") == 0));
        }
        close(fd);
        roost_batch_free(b);
        close_src(src);
    }
    CHECK(n_enomem > 0);
}

/* The real receiver thread: waits on fd(), ends at ENOENT, nothing lost */
static void test_runner_collects_once_stream(void)
{
    struct feeder f = { .n_lines = 2000, .tail = "" };
    f.lfd = listen_port(&f.port);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, feeder_main, &f) == 0);
    struct roost_queue_cfg qc = { .max_items = 4096 };
    struct roost_queue *q = NULL;
    CHECK_INT_EQ(roost_queue_new(&qc, &q), 0);
    char spec[128];
    snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%d?once=true&name=feed",
             f.port);
    struct roost_source *src = NULL;
    CHECK_INT_EQ(roost_source_new(spec, &src, NULL), 0);
    struct roost_runner_cfg rc = { .queue = q,
                                   .batch_bytes = 4096,
                                   .batch_ms = 20 };
    CHECK_INT_EQ(roost_source_start(src, &rc), 0);
    int total = 0;
    char want[64];
    int64_t end = now_ms() + DEADLINE_MS;
    while (total < f.n_lines) {
        CHECK_MSG(now_ms() < end, "timed out at %d records", total);
        void *item = NULL;
        if (roost_queue_pop(q, 50, &item) != 0) {
            continue;
        }
        struct roost_batch *b = item;
        CHECK_STR_EQ(b->source, "feed");
        for (uint32_t i = 0; i < b->n_recs; i++, total++) {
            struct roost_str s = roost_batch_rec(b, i);
            snprintf(want, sizeof(want), "{\"n\":%d}", total);
            CHECK_MEM_EQ(s.ptr, s.len, want);
        }
        roost_batch_free(b);
    }
    while (!roost_source_is_done(src)) {
        CHECK_MSG(now_ms() < end, "the source did not end");
        sleep_ms(5);
    }
    roost_source_stop(src);
    CHECK_INT_EQ(src->exit_rc, 0);
    pthread_join(th, NULL);
    close(f.lfd);
    roost_source_free(src);
    roost_queue_free(q);
}

/* ---- options and lifecycle ---------------------------------------------- */

static int try_open(const char *spec)
{
    struct roost_source *src = NULL;
    int rc = roost_source_new(spec, &src, NULL);
    if (rc < 0) {
        return rc;
    }
    rc = src->ops->open(src);
    src->ops->close(src); /* close also runs after a failed open */
    roost_source_free(src);
    return rc;
}

static void test_bad_specs_fail_open(void)
{
    CHECK_INT_EQ(try_open("tcp://127.0.0.1:0?mode=sideways"), ROOST_EINVAL);
    CHECK_INT_EQ(try_open("tcp://127.0.0.1?mode=server"), ROOST_EINVAL);
    CHECK_INT_EQ(try_open("tcp://127.0.0.1:99999?mode=server"), ROOST_EINVAL);
    CHECK_INT_EQ(try_open("tcp://127.0.0.1:0"), ROOST_EINVAL);
    CHECK_INT_EQ(try_open("tcp://:9999"), ROOST_EINVAL);
    CHECK_INT_EQ(try_open("tcp://127.0.0.1:0?mode=server&max-line=0"),
                 ROOST_EINVAL);
    CHECK_INT_EQ(try_open("tcp://127.0.0.1:0?mode=server&max-clients=0"),
                 ROOST_EINVAL);
    CHECK_INT_EQ(try_open("tcp://127.0.0.1:0?mode=server&bogus=1"),
                 ROOST_EINVAL);
    CHECK_INT_EQ(try_open("tcp://127.0.0.1:0?mode=server"), 0);
}

static void test_bind_in_use_fails(void)
{
    int port;
    struct roost_source *src = open_server("", &port);
    char spec[128];
    snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%d?mode=server", port);
    CHECK_INT_EQ(try_open(spec), ROOST_EIO);
    close_src(src);
}

static void test_open_close_twice(void)
{
    struct roost_source *src = NULL;
    CHECK_INT_EQ(roost_source_new("tcp://[::1]:0?mode=server", &src, NULL), 0);
    struct roost_batch *b = new_batch(4096);
    for (int i = 0; i < 2; i++) {
        int rc = src->ops->open(src);
        if (rc == ROOST_EIO && i == 0) {
            src->ops->close(src);
            roost_batch_free(b);
            roost_source_free(src);
            CHECK_SKIP("no IPv6 loopback");
        }
        CHECK_INT_EQ(rc, 0);
        CHECK(src->ops->fd(src) >= 0);
        CHECK(roost_src_tcp_port(src) > 0);
        CHECK_INT_EQ(src->ops->poll(src, b), ROOST_EAGAIN);
        src->ops->close(src);
        CHECK_INT_EQ(src->ops->fd(src), -1);
        CHECK_INT_EQ(roost_src_tcp_port(src), ROOST_EINVAL);
    }
    roost_batch_free(b);
    roost_source_free(src);
}

CHECK_LIST(test_server_three_clients_nothing_lost,
           test_server_split_at_every_boundary, test_server_crlf_and_plain_text,
           test_server_overlong_line_cut, test_server_partial_last_line_flagged,
           test_server_full_batch_keeps_bytes,
           test_server_line_larger_than_batch, test_server_max_clients,
           test_server_idle_timeout, test_server_idle_timer_wakes_fd,
           test_server_out_of_memory, test_client_once_ends_after_stream,
           test_client_reconnects_after_restart,
           test_client_connect_refused_retries,
           test_runner_collects_once_stream, test_bad_specs_fail_open,
           test_bind_in_use_fails, test_open_close_twice);
