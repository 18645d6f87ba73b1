/* SPDX-License-Identifier: MIT
 *
 * checkpoint.c - one query's checkpoint file, written atomically.
 *
 * Layout: a text header line
 *   "roost-query-ckpt 1 records N sql X out B state L\n"
 * then L bytes of state and a trailing "end\n" that proves the state was
 * written whole (the rename already guarantees it; the trailer catches a
 * file damaged afterwards).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/mem.h"
#include "engine/checkpoint.h"

#define TRAILER "end\n"

void roost_checkpoint_init(struct roost_checkpoint *c)
{
    memset(c, 0, sizeof(*c));
    roost_buf_init(&c->state, ROOST_CHECKPOINT_MAX_BYTES);
}

void roost_checkpoint_fini(struct roost_checkpoint *c)
{
    roost_buf_fini(&c->state);
}

int roost_checkpoint_path(const char *dir, const char *name, char *out,
                          size_t cap)
{
    if (name[0] == '\0') {
        return ROOST_ERR(ROOST_EINVAL);
    }
    for (const char *p = name; *p != '\0'; p++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                  (*p >= '0' && *p <= '9') || *p == '_' || *p == '-' ||
                  (*p == '.' && p != name);
        if (!ok) {
            return ROOST_ERR(ROOST_EINVAL);
        }
    }
    int n = snprintf(out, cap, "%s/query-%s.ckpt", dir, name);
    return n > 0 && (size_t)n < cap ? 0 : ROOST_ERR(ROOST_ELIMIT);
}

static int write_all(int fd, const void *p, size_t len)
{
    const char *c = p;
    while (len > 0) {
        ssize_t w = write(fd, c, len);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return ROOST_ERR(ROOST_EIO);
        }
        c += w;
        len -= (size_t)w;
    }
    return 0;
}

static void sync_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == NULL) {
        snprintf(dir, sizeof(dir), ".");
    } else {
        *slash = '\0';
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd); /* best effort: the rename is durable once this runs */
        close(fd);
    }
}

int roost_checkpoint_write(const char *path, const struct roost_checkpoint *c,
                           struct roost_diag *diag)
{
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                              "cannot create %s: %s", tmp, strerror(errno));
    }
    char head[200];
    int n = snprintf(head, sizeof(head),
                     "roost-query-ckpt 1 records %llu sql %llu out %llu "
                     "state %zu\n",
                     (unsigned long long)c->records,
                     (unsigned long long)c->sql_hash,
                     (unsigned long long)c->out_bytes, c->state.len);
    int rc = write_all(fd, head, (size_t)n);
    if (rc == 0 && c->state.len > 0) {
        rc = write_all(fd, c->state.ptr, c->state.len);
    }
    if (rc == 0) {
        rc = write_all(fd, TRAILER, strlen(TRAILER));
    }
    if (rc == 0 && fsync(fd) != 0) {
        rc = ROOST_ERR(ROOST_EIO);
    }
    close(fd);
    if (rc == 0 && rename(tmp, path) != 0) {
        rc = ROOST_ERR(ROOST_EIO);
    }
    if (rc < 0) {
        unlink(tmp);
        return roost_diag_set(diag, rc, 0, "cannot write checkpoint %s: %s",
                              path, strerror(errno));
    }
    sync_dir(path);
    return 0;
}

int roost_checkpoint_read(const char *path, struct roost_checkpoint *c,
                          struct roost_diag *diag)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        if (errno == ENOENT) {
            return ROOST_ENOENT;
        }
        return roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                              "cannot open %s: %s", path, strerror(errno));
    }
    unsigned long long rec = 0, sql = 0, out = 0;
    size_t len = 0;
    int rc = 0;
    if (fscanf(f, "roost-query-ckpt 1 records %llu sql %llu out %llu "
                  "state %zu",
               &rec, &sql, &out, &len) != 4 ||
        fgetc(f) != '\n' || len > ROOST_CHECKPOINT_MAX_BYTES) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                            "%s: not a query checkpoint", path);
        goto out_close;
    }
    roost_buf_reset(&c->state);
    rc = roost_buf_reserve(&c->state, len + 1);
    if (rc < 0) {
        goto out_close;
    }
    char trailer[8] = { 0 };
    if (fread(c->state.ptr, 1, len, f) != len ||
        fread(trailer, 1, strlen(TRAILER), f) != strlen(TRAILER) ||
        memcmp(trailer, TRAILER, strlen(TRAILER)) != 0) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EPARSE), 0,
                            "%s: truncated checkpoint", path);
        goto out_close;
    }
    c->state.len = len;
    c->state.ptr[len] = '\0';
    c->records = rec;
    c->sql_hash = sql;
    c->out_bytes = out;

out_close:
    fclose(f);
    return rc;
}
