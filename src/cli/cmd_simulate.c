/* SPDX-License-Identifier: MIT
 *
 * cmd_simulate.c - `roost simulate`: the built-in firehose on stdout or TCP.
 *
 * The stream itself is source/simulate.c, a pure function of the seed and
 * config; this file only paces it against the wall clock (--speed) and
 * delivers it. Records are gathered in a buffer and written in large
 * writes (flushed before every pacing sleep). With --port, every accepted
 * client gets the whole stream from its start (same seed, same bytes), one
 * client at a time; the connection is closed after --count records, and
 * --once returns after the first client. A client that goes away is not
 * an error: SIGPIPE is ignored and EPIPE/ECONNRESET end that client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "source/simulate.h"

#define FLUSH_BYTES (1u << 20)

/* Declared here until cli.h lists them (the lead wires main.c). */

const char *cmd_simulate_usage =
    "usage: roost simulate [--seed N] [--count N] [--rate N]\n"
    "                      [--format v1|v2|jetstream|mastodon]\n"
    "                      [--speed max|1x|10x|Nx] [--start ISO8601|MS]\n"
    "                      [--users N] [--hashtags N] [--geo-share F]\n"
    "                      [--retweet-share F] [--quote-share F]\n"
    "                      [--reply-share F] [--delete-share F]\n"
    "                      [--limit-every S] [--burst-every S]\n"
    "                      [--burst-length S] [--burst-boost F]\n"
    "                      [--port P [--host 127.0.0.1] [--once]]\n"
    "\n"
    "Write a realistic synthetic firehose, one JSON record per line: X API\n"
    "v1.1 statuses (default; full user objects, retweets, quotes, replies,\n"
    "geotagged posts, deletes, limit notices), or the same stream as X v2,\n"
    "Bluesky Jetstream or Mastodon streaming events. Output depends only\n"
    "on the options: the same seed gives the same bytes at any speed.\n"
    "\n"
    "  --seed N         PRNG seed (1)\n"
    "  --count N        stop after N records (0 = never; default 0)\n"
    "  --rate N         posts per second of event time (5700)\n"
    "  --speed S        wall pacing: max (as fast as possible; the default\n"
    "                   unless stdout is a terminal), 1x (real time), Nx\n"
    "  --start T        event time of the first record\n"
    "                   (2021-01-01T07:29:00Z)\n"
    "  --burst-every S  a trending topic bursts every S s of event time\n"
    "                   (900; 0 = never), for --burst-length S (240),\n"
    "                   carried by up to --burst-boost F of posts (0.08)\n"
    "  --limit-every S  a limit notice every S s of event time (60)\n"
    "  --port P         serve TCP on --host (127.0.0.1):P instead of stdout;\n"
    "                   each client gets the stream from its start;\n"
    "                   --once exits after the first client\n"
    "\n"
    "Exit status: 0 ok, 1 I/O error, 2 usage.\n";

struct sim_opts {
    struct roost_sim_cfg cfg;
    double speed; /* event seconds per wall second; 0 = max */
    bool speed_set;
    const char *host;
    int port; /* -1 = stdout */
    bool once;
};

static int bad_value(const char *opt, const char *v)
{
    fprintf(stderr, "roost simulate: bad value for %s: %s\n", opt,
            v != NULL ? v : "(missing)");
    return CLI_EXIT_USAGE;
}

static bool parse_u64(const char *v, uint64_t *out)
{
    char *end = NULL;
    if (v == NULL || v[0] == '\0' || v[0] == '-') {
        return false;
    }
    errno = 0;
    unsigned long long x = strtoull(v, &end, 10);
    if (errno != 0 || *end != '\0') {
        return false;
    }
    *out = x;
    return true;
}

static bool parse_f64(const char *v, double *out)
{
    char *end = NULL;
    if (v == NULL || v[0] == '\0') {
        return false;
    }
    double x = strtod(v, &end);
    if (*end != '\0' || !isfinite(x) || x < 0) {
        return false;
    }
    *out = x;
    return true;
}

static bool parse_speed(const char *v, double *out)
{
    if (v == NULL) {
        return false;
    }
    if (strcmp(v, "max") == 0) {
        *out = 0;
        return true;
    }
    size_t n = strlen(v);
    char tmp[32];
    if (n < 2 || n >= sizeof(tmp) || v[n - 1] != 'x') {
        return false;
    }
    memcpy(tmp, v, n - 1);
    tmp[n - 1] = '\0';
    return parse_f64(tmp, out) && *out > 0;
}

/* One double option: name -> field. */
struct f64_opt {
    const char *name;
    size_t off;
};

static const struct f64_opt f64_opts[] = {
    { "--rate", offsetof(struct roost_sim_cfg, rate) },
    { "--geo-share", offsetof(struct roost_sim_cfg, geo_share) },
    { "--retweet-share", offsetof(struct roost_sim_cfg, retweet_share) },
    { "--quote-share", offsetof(struct roost_sim_cfg, quote_share) },
    { "--reply-share", offsetof(struct roost_sim_cfg, reply_share) },
    { "--delete-share", offsetof(struct roost_sim_cfg, delete_share) },
    { "--limit-every", offsetof(struct roost_sim_cfg, limit_every_s) },
    { "--burst-every", offsetof(struct roost_sim_cfg, burst.every_s) },
    { "--burst-length", offsetof(struct roost_sim_cfg, burst.length_s) },
    { "--burst-boost", offsetof(struct roost_sim_cfg, burst.boost) },
};

static int parse_args(int argc, char **argv, struct sim_opts *o)
{
    roost_sim_cfg_default(&o->cfg);
    o->speed = 0;
    o->speed_set = false;
    o->host = "127.0.0.1";
    o->port = -1;
    o->once = false;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        uint64_t u = 0;
        bool done = false;
        for (size_t k = 0; k < sizeof(f64_opts) / sizeof(f64_opts[0]); k++) {
            if (cli_opt_value(argc, argv, &i, f64_opts[k].name, &v)) {
                double *f = (double *)((char *)&o->cfg + f64_opts[k].off);
                if (!parse_f64(v, f)) {
                    return bad_value(f64_opts[k].name, v);
                }
                done = true;
                break;
            }
        }
        if (done) {
            continue;
        }
        if (cli_opt_value(argc, argv, &i, "--seed", &v)) {
            if (!parse_u64(v, &o->cfg.seed)) {
                return bad_value("--seed", v);
            }
        } else if (cli_opt_value(argc, argv, &i, "--count", &v)) {
            if (!parse_u64(v, &o->cfg.count)) {
                return bad_value("--count", v);
            }
        } else if (cli_opt_value(argc, argv, &i, "--users", &v)) {
            if (!parse_u64(v, &u) || u == 0 || u > 50000000) {
                return bad_value("--users", v);
            }
            o->cfg.n_users = (uint32_t)u;
        } else if (cli_opt_value(argc, argv, &i, "--hashtags", &v)) {
            if (!parse_u64(v, &u) || u == 0 || u > 10000000) {
                return bad_value("--hashtags", v);
            }
            o->cfg.n_hashtags = (uint32_t)u;
        } else if (cli_opt_value(argc, argv, &i, "--format", &v)) {
            if (v == NULL || roost_format_parse(v, &o->cfg.format) < 0 ||
                o->cfg.format == ROOST_FMT_AUTO ||
                o->cfg.format == ROOST_FMT_TEXT) {
                return bad_value("--format", v);
            }
        } else if (cli_opt_value(argc, argv, &i, "--speed", &v)) {
            if (!parse_speed(v, &o->speed)) {
                return bad_value("--speed", v);
            }
            o->speed_set = true;
        } else if (cli_opt_value(argc, argv, &i, "--start", &v)) {
            int64_t ms = 0;
            if (v != NULL && parse_u64(v, &u)) {
                ms = (int64_t)u;
            } else if (v == NULL || roost_time_parse(v, strlen(v), &ms) < 0) {
                return bad_value("--start", v);
            }
            o->cfg.start_ms = ms;
        } else if (cli_opt_value(argc, argv, &i, "--port", &v)) {
            if (!parse_u64(v, &u) || u > 65535) {
                return bad_value("--port", v);
            }
            o->port = (int)u;
        } else if (cli_opt_value(argc, argv, &i, "--host", &v)) {
            if (v == NULL) {
                return bad_value("--host", v);
            }
            o->host = v;
        } else if (strcmp(argv[i], "--once") == 0) {
            o->once = true;
        } else if (strcmp(argv[i], "-h") == 0 ||
                   strcmp(argv[i], "--help") == 0) {
            fputs(cmd_simulate_usage, stdout);
            return -1;
        } else {
            fprintf(stderr, "roost simulate: unknown option %s\n%s", argv[i],
                    cmd_simulate_usage);
            return CLI_EXIT_USAGE;
        }
    }
    if (!o->speed_set && o->port < 0 && isatty(STDOUT_FILENO)) {
        o->speed = 1;
    }
    return 0;
}

/* ---- delivery -------------------------------------------------------------
 */

/* Write all of p; false when the reader went away or on error (errno). */
static bool write_all(int fd, bool sock, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = sock ? send(fd, p, len, MSG_NOSIGNAL) : write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return false;
        }
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_s(double secs)
{
    struct timespec ts;
    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
    }
}

/*
 * stream - the whole stream to fd. Returns 0 when done or when the reader
 * left (*gone set), CLI_EXIT_FAIL on errors.
 */
static int stream(const struct sim_opts *o, int fd, bool sock, bool *gone)
{
    struct roost_sim *s = NULL;
    int rc = roost_sim_new(&o->cfg, &s);
    if (rc < 0) {
        fprintf(stderr, "roost simulate: cannot start: %s\n",
                roost_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    struct roost_buf b;
    roost_buf_init(&b, 64u << 20);
    double t0 = mono_s();
    int status = 0;
    int64_t ms = 0;
    *gone = false;
    for (;;) {
        rc = roost_sim_next(s, &b, &ms);
        if (rc == ROOST_ENOENT) {
            break;
        }
        if (rc < 0) {
            fprintf(stderr, "roost simulate: %s\n", roost_strerror(rc));
            status = CLI_EXIT_FAIL;
            break;
        }
        double due = 0;
        if (o->speed > 0) {
            due = (double)(ms - o->cfg.start_ms) / 1000.0 / o->speed -
                  (mono_s() - t0);
        }
        if (b.len >= FLUSH_BYTES || due > 0.001) {
            if (!write_all(fd, sock, b.ptr, b.len)) {
                *gone = true;
                break;
            }
            roost_buf_reset(&b);
            if (due > 0.001) {
                sleep_s(due);
            }
        }
    }
    if (!*gone && status == 0 && b.len > 0 &&
        !write_all(fd, sock, b.ptr, b.len)) {
        *gone = true;
    }
    if (*gone && errno != EPIPE && errno != ECONNRESET) {
        fprintf(stderr, "roost simulate: write: %s\n", strerror(errno));
        if (!sock) {
            status = CLI_EXIT_FAIL;
        }
    }
    roost_buf_fini(&b);
    roost_sim_free(s);
    return status;
}

static int serve(const struct sim_opts *o)
{
    struct addrinfo hints, *ai = NULL;
    char port[16];
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(port, sizeof(port), "%d", o->port);
    int gai = getaddrinfo(o->host, port, &hints, &ai);
    if (gai != 0) {
        fprintf(stderr, "roost simulate: cannot resolve %s: %s\n", o->host,
                gai_strerror(gai));
        return CLI_EXIT_FAIL;
    }
    int fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
    int one = 1;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 16) < 0) {
        fprintf(stderr, "roost simulate: cannot listen on %s:%d: %s\n", o->host,
                o->port, strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        freeaddrinfo(ai);
        return CLI_EXIT_FAIL;
    }
    freeaddrinfo(ai);

    struct sockaddr_storage sa;
    socklen_t sl = sizeof(sa);
    char addr[INET6_ADDRSTRLEN] = "?";
    int bound = o->port;
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0) {
        if (sa.ss_family == AF_INET) {
            struct sockaddr_in *in = (struct sockaddr_in *)&sa;
            inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
            bound = ntohs(in->sin_port);
        } else if (sa.ss_family == AF_INET6) {
            struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&sa;
            inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
            bound = ntohs(in6->sin6_port);
        }
    }
    fprintf(stderr, "roost simulate: listening on %s:%d\n", addr, bound);

    int status = 0;
    for (;;) {
        int c = accept(fd, NULL, NULL);
        if (c < 0) {
            if (errno == EINTR || errno == ECONNABORTED) {
                continue;
            }
            fprintf(stderr, "roost simulate: accept: %s\n", strerror(errno));
            status = CLI_EXIT_FAIL;
            break;
        }
        bool gone = false;
        status = stream(o, c, true, &gone);
        shutdown(c, SHUT_WR);
        close(c);
        if (o->once || status != 0) {
            break;
        }
    }
    close(fd);
    return status;
}

int cmd_simulate(int argc, char **argv)
{
    struct sim_opts o;
    int rc = parse_args(argc, argv, &o);
    if (rc != 0) {
        return rc < 0 ? CLI_EXIT_OK : rc;
    }
    /* A reader that leaves is the normal end of a firehose. */
    signal(SIGPIPE, SIG_IGN);
    if (o.port >= 0) {
        return serve(&o);
    }
    fflush(stdout);
    bool gone = false;
    rc = stream(&o, STDOUT_FILENO, false, &gone);
    return rc;
}
