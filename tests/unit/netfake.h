/* SPDX-License-Identifier: MIT
 *
 * netfake.h - for the network source tests: start a fake server from
 * tests/servers/ (python3, fork/exec) on a 127.0.0.1 ephemeral port, drive
 * a source's ops against it with bounded waits, and stop it.
 *
 * The server prints "PORT n" once listening; fake_start() waits at most
 * 10 s for it. Servers also end themselves after --lifetime seconds.
 * Scripts are found under $ROOST_TOP/tests/servers, else next to this
 * file's directory.
 */
#ifndef ROOST_TEST_NETFAKE_H
#define ROOST_TEST_NETFAKE_H

#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "core/batch.h"
#include "core/mem.h"
#include "source/source.h"

#define FAKE_MAX_ARGS 24

struct fake {
    pid_t pid;
    int port;
    char dir[256]; /* a private temporary directory */
};

static inline int64_t fake_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void fake_sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

static inline void fake_script(const char *name, char *out, size_t cap)
{
    const char *top = getenv("ROOST_TOP");
    if (top != NULL && top[0] != '\0') {
        snprintf(out, cap, "%s/tests/servers/%s", top, name);
        return;
    }
    const char *f = __FILE__; /* .../tests/unit/netfake.h */
    const char *slash = strrchr(f, '/');
    int n = slash != NULL ? (int)(slash - f) : 1;
    snprintf(out, cap, "%.*s/../servers/%s", n, slash != NULL ? f : ".", name);
}

/* fake_path - a file name inside the fake's directory. */
static inline const char *fake_path(const struct fake *fk, const char *name,
                                    char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s", fk->dir, name);
    return out;
}

/*
 * fake_start - run tests/servers/<script> with the NULL-terminated args
 * (the token "@DIR" is replaced by the fake's directory). Skips the test
 * when shared data is missing. Fails it when the server does not come up.
 */
static inline void fake_start(struct fake *fk, const char *script, ...)
{
    if (check_data_dir() == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set");
    }
    memset(fk, 0, sizeof(*fk));
    snprintf(fk->dir, sizeof(fk->dir), "/tmp/roost-netfake.XXXXXX");
    CHECK(mkdtemp(fk->dir) != NULL);
    char path[512];
    fake_script(script, path, sizeof(path));
    char store[FAKE_MAX_ARGS][512];
    char *argv[FAKE_MAX_ARGS + 3];
    int argc = 0;
    argv[argc++] = "python3";
    argv[argc++] = path;
    va_list ap;
    va_start(ap, script);
    for (const char *a = va_arg(ap, const char *); a != NULL;
         a = va_arg(ap, const char *)) {
        CHECK(argc < FAKE_MAX_ARGS);
        if (strncmp(a, "@DIR", 4) == 0) {
            snprintf(store[argc], sizeof(store[argc]), "%s%s", fk->dir, a + 4);
        } else {
            snprintf(store[argc], sizeof(store[argc]), "%s", a);
        }
        argv[argc] = store[argc];
        argc++;
    }
    va_end(ap);
    argv[argc] = NULL;
    int pfd[2];
    CHECK(pipe(pfd) == 0);
    fflush(stdout);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execvp("python3", argv);
        _exit(127);
    }
    close(pfd[1]);
    fk->pid = pid;
    char line[64] = { 0 };
    size_t len = 0;
    int64_t deadline = fake_now_ms() + 10000;
    while (len < sizeof(line) - 1 && strchr(line, '\n') == NULL &&
           fake_now_ms() < deadline) {
        struct pollfd p = { .fd = pfd[0], .events = POLLIN };
        if (poll(&p, 1, 100) <= 0) {
            continue;
        }
        ssize_t n = read(pfd[0], line + len, sizeof(line) - 1 - len);
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    close(pfd[0]);
    CHECK_MSG(sscanf(line, "PORT %d", &fk->port) == 1,
              "fake %s did not start: '%s'", script, line);
}

static inline void fake_stop(struct fake *fk)
{
    if (fk->pid > 0) {
        kill(fk->pid, SIGTERM);
        waitpid(fk->pid, NULL, 0);
        fk->pid = 0;
    }
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fk->dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "cannot remove %s\n", fk->dir);
    }
}

/* fake_count_lines - lines of a file in the fake's directory (0: none). */
static inline int fake_count_lines(const struct fake *fk, const char *name)
{
    char p[512];
    FILE *f = fopen(fake_path(fk, name, p, sizeof(p)), "r");
    if (f == NULL) {
        return 0;
    }
    int n = 0;
    for (int c = fgetc(f); c != EOF; c = fgetc(f)) {
        n += c == '\n';
    }
    fclose(f);
    return n;
}

/* fake_read - a whole small file of the fake's directory, NUL-ended. */
static inline char *fake_read(const struct fake *fk, const char *name)
{
    char p[512];
    FILE *f = fopen(fake_path(fk, name, p, sizeof(p)), "rb");
    char *buf = calloc(1, 1 << 20);
    if (f != NULL && buf != NULL) {
        size_t n = fread(buf, 1, (1 << 20) - 1, f);
        buf[n] = '\0';
    }
    if (f != NULL) {
        fclose(f);
    }
    return buf;
}

/* ---- driving a source -----------------------------------------------------
 */

/* Collected records: bytes + position, as plain C strings. */
struct got {
    char **recs;
    char **pos;
    int *err;
    int n;
    int cap;
    int last_rc; /* the poll result that ended the run */
};

static inline void got_add(struct got *g, const struct roost_batch *b)
{
    for (uint32_t i = 0; i < b->n_recs; i++) {
        if (g->n == g->cap) {
            g->cap = g->cap ? g->cap * 2 : 256;
            g->recs = realloc(g->recs, (size_t)g->cap * sizeof(char *));
            g->pos = realloc(g->pos, (size_t)g->cap * sizeof(char *));
            g->err = realloc(g->err, (size_t)g->cap * sizeof(int));
        }
        struct roost_str r = roost_batch_rec(b, i);
        struct roost_str p = roost_batch_pos(b, i);
        g->recs[g->n] = strndup(r.ptr, r.len);
        g->pos[g->n] = strndup(p.ptr, p.len);
        g->err[g->n] = b->recs[i].err;
        g->n++;
    }
}

static inline void got_free(struct got *g)
{
    for (int i = 0; i < g->n; i++) {
        free(g->recs[i]);
        free(g->pos[i]);
    }
    free(g->recs);
    free(g->pos);
    free(g->err);
    memset(g, 0, sizeof(*g));
}

/* got_count - records containing needle. */
static inline int got_count(const struct got *g, const char *needle)
{
    int n = 0;
    for (int i = 0; i < g->n; i++) {
        n += strstr(g->recs[i], needle) != NULL;
    }
    return n;
}

typedef bool fake_done_fn(const struct got *g, void *arg);

/*
 * fake_drive - poll src (opened) into small batches until done() says so,
 * poll returns an error other than EAGAIN/ELIMIT, or timeout_ms passes.
 * Returns: whether done() became true.
 */
static inline bool fake_drive(struct roost_source *src, struct got *g,
                              fake_done_fn *done, void *arg, int timeout_ms)
{
    struct roost_batch *b = NULL;
    CHECK(roost_batch_new("t", 2u << 20, &b) == 0);
    int64_t deadline = fake_now_ms() + timeout_ms;
    bool ok = false;
    while (fake_now_ms() < deadline) {
        int rc = src->ops->poll(src, b);
        if (b->n_recs > 0 && (rc != 0 || b->n_recs >= 64)) {
            got_add(g, b);
            roost_batch_reset(b);
        }
        if (done != NULL && done(g, arg)) {
            ok = true;
            break;
        }
        if (rc == ROOST_EAGAIN) {
            fake_sleep_ms(2);
        } else if (rc != 0 && rc != ROOST_ELIMIT) {
            g->last_rc = rc;
            break;
        }
    }
    if (b->n_recs > 0) {
        got_add(g, b);
    }
    roost_batch_free(b);
    return ok;
}

static inline bool got_at_least(const struct got *g, void *arg)
{
    return g->n >= *(const int *)arg;
}

/* fake_source - a source from spec, opened (resume may be NULL). */
static inline struct roost_source *fake_source(const char *spec,
                                               const char *resume)
{
    struct roost_source *src = NULL;
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    int rc = roost_source_new(spec, &src, &diag);
    CHECK_MSG(rc == 0, "source %s: %s", spec, diag.msg);
    if (resume != NULL) {
        snprintf(src->resume, sizeof(src->resume), "%s", resume);
    }
    rc = src->ops->open(src);
    CHECK_MSG(rc == 0, "open %s: %d", spec, rc);
    return src;
}

static inline void fake_source_free(struct roost_source *src)
{
    src->ops->close(src);
    roost_source_free(src);
}

#endif /* ROOST_TEST_NETFAKE_H */
