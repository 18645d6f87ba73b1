/* SPDX-License-Identifier: MIT
 *
 * rotate.c - append-only output files that rotate by size and age.
 *
 * One fd is open at a time. A write decides first whether the active file
 * is finished (old enough, or full for these bytes), then appends with
 * plain write(2) and remembers the length before it: on any failure the
 * file is cut back to that length, so the caller may retry the same bytes
 * (the file sinks answer ROOST_EAGAIN on a full disk). Durability is
 * roost_rotate_sync(): fsync of the file, and of the directory when a
 * name was created or renamed since the last sync. Start at
 * roost_rotate_write().
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/rotate.h"

#define MAX_NAME_TRIES 1000

static int errno_to_err(int e)
{
    if (e == ENOSPC || e == EDQUOT || e == EINTR || e == EAGAIN) {
        return ROOST_ERR(ROOST_EAGAIN);
    }
    return ROOST_ERR(ROOST_EIO);
}

static bool copy_str(char *dst, size_t cap, const char *src, size_t len)
{
    if (len >= cap) {
        return false;
    }
    memcpy(dst, src, len);
    dst[len] = '\0';
    return true;
}

int roost_rotate_open(struct roost_rotate *r,
                      const struct roost_rotate_cfg *cfg,
                      struct roost_diag *diag)
{
    const char *path = cfg->path;
    size_t len = path != NULL ? strlen(path) : 0;
    struct stat st;

    memset(r, 0, sizeof(*r));
    r->fd = -1;
    r->header = cfg->header;
    r->header_len = cfg->header != NULL ? cfg->header_len : 0;
    r->max_bytes = cfg->max_bytes;
    r->max_ms = cfg->max_ms;
    if (len == 0) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "file sink needs a path: jsonl:/dir/");
    }
    if (!copy_str(r->ext, sizeof(r->ext), cfg->ext, strlen(cfg->ext))) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    r->is_dir =
        path[len - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode));
    if (r->is_dir) {
        while (len > 1 && path[len - 1] == '/') {
            len--;
        }
        if (!copy_str(r->dir, sizeof(r->dir), path, len) ||
            !copy_str(r->stem, sizeof(r->stem), cfg->prefix,
                      strlen(cfg->prefix))) {
            return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                                  "path too long: %.60s", path);
        }
        if (mkdir(r->dir, 0755) < 0 && errno != EEXIST) {
            r->sys_errno = errno;
            return roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                                  "cannot create %.80s: %s", r->dir,
                                  strerror(errno));
        }
        return 0;
    }
    /* A file: dir is what precedes the last '/', stem the name without
     * its extension (which replaces ext when it has one). */
    const char *slash = strrchr(path, '/');
    const char *name = slash != NULL ? slash + 1 : path;
    const char *dot = strrchr(name, '.');
    size_t dir_len =
        slash == NULL ? 1 : (slash == path ? 1 : (size_t)(slash - path));
    bool ok =
        copy_str(r->dir, sizeof(r->dir), slash != NULL ? path : ".", dir_len) &&
        copy_str(r->active, sizeof(r->active), path, len);
    if (dot != NULL && dot != name) {
        ok = ok &&
             copy_str(r->stem, sizeof(r->stem), name, (size_t)(dot - name)) &&
             copy_str(r->ext, sizeof(r->ext), dot, strlen(dot));
    } else {
        ok = ok && copy_str(r->stem, sizeof(r->stem), name, strlen(name));
    }
    if (!ok) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "path too long: %.60s", path);
    }
    return 0;
}

static int name_file(const struct roost_rotate *r, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s-%013" PRId64 "-%06" PRIu32 "%s", r->dir,
                     r->stem, r->opened_ms, r->seq, r->ext);
    return n > 0 && (size_t)n < cap ? 0 : ROOST_ERR(ROOST_EINVAL);
}

static int start_file(struct roost_rotate *r, int64_t now_ms)
{
    r->opened_ms = now_ms;
    if (!r->is_dir) {
        int fd = open(r->active, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            r->sys_errno = errno;
            return errno_to_err(errno);
        }
        off_t end = lseek(fd, 0, SEEK_END);
        if (end < 0) {
            r->sys_errno = errno;
            close(fd);
            return ROOST_ERR(ROOST_EIO);
        }
        r->fd = fd;
        r->len = (uint64_t)end;
        r->dir_dirty = true;
        r->n_files++;
        return 0;
    }
    for (int i = 0; i < MAX_NAME_TRIES; i++) {
        int rc = name_file(r, r->active, sizeof(r->active));
        if (rc < 0) {
            return rc;
        }
        int fd = open(r->active, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) {
            r->fd = fd;
            r->len = 0;
            r->dir_dirty = true;
            r->n_files++;
            return 0;
        }
        if (errno != EEXIST) {
            r->sys_errno = errno;
            return errno_to_err(errno);
        }
        r->seq++;
    }
    r->sys_errno = EEXIST;
    return ROOST_ERR(ROOST_EIO);
}

static int sync_dir(struct roost_rotate *r)
{
    int fd = open(r->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0 || fsync(fd) < 0) {
        r->sys_errno = errno;
        if (fd >= 0) {
            close(fd);
        }
        return ROOST_ERR(ROOST_EIO);
    }
    close(fd);
    r->dir_dirty = false;
    return 0;
}

/* finish_file - sync and close the active file; in file mode give it its
 * numbered name, never replacing an existing file (link, then unlink). */
static int finish_file(struct roost_rotate *r)
{
    int rc = 0;

    if (r->dirty && fsync(r->fd) < 0) {
        r->sys_errno = errno;
        rc = ROOST_ERR(ROOST_EIO);
    }
    close(r->fd);
    r->fd = -1;
    r->dirty = false;
    if (rc < 0) {
        return rc;
    }
    if (r->is_dir) {
        r->seq++;
        return 0;
    }
    char done[ROOST_ROTATE_PATH_MAX];
    for (int i = 0; i < MAX_NAME_TRIES; i++) {
        rc = name_file(r, done, sizeof(done));
        if (rc < 0) {
            return rc;
        }
        r->seq++;
        if (link(r->active, done) == 0) {
            r->dir_dirty = true;
            if (unlink(r->active) < 0) {
                r->sys_errno = errno;
                return ROOST_ERR(ROOST_EIO);
            }
            return 0;
        }
        if (errno != EEXIST) {
            r->sys_errno = errno;
            return ROOST_ERR(ROOST_EIO);
        }
    }
    r->sys_errno = EEXIST;
    return ROOST_ERR(ROOST_EIO);
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return n < 0 ? errno : ENOSPC;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static bool is_due(const struct roost_rotate *r, size_t len, int64_t now_ms)
{
    if (r->fd < 0 || r->len == 0) {
        return false;
    }
    if (r->max_bytes > 0 && r->len + len > r->max_bytes) {
        return true;
    }
    return r->max_ms > 0 && now_ms - r->opened_ms >= r->max_ms;
}

int roost_rotate_write(struct roost_rotate *r, const char *p, size_t len,
                       int64_t now_ms)
{
    int rc;

    if (is_due(r, len + r->header_len, now_ms)) {
        rc = finish_file(r);
        if (rc < 0) {
            return rc;
        }
    }
    if (r->fd < 0) {
        rc = start_file(r, now_ms);
        if (rc < 0) {
            return rc;
        }
    }
    uint64_t before = r->len;
    int e = 0;
    if (before == 0 && r->header_len > 0) {
        e = write_all(r->fd, r->header, r->header_len);
    }
    if (e == 0) {
        e = write_all(r->fd, p, len);
    }
    r->dirty = true;
    if (e != 0) {
        r->sys_errno = e;
        /* Cut the partial write back off so a retry starts clean. */
        if (ftruncate(r->fd, (off_t)before) < 0 ||
            lseek(r->fd, (off_t)before, SEEK_SET) < 0) {
            r->sys_errno = errno;
            return ROOST_ERR(ROOST_EIO);
        }
        return errno_to_err(e);
    }
    r->len = before + len + (before == 0 ? r->header_len : 0);
    return 0;
}

int roost_rotate_sync(struct roost_rotate *r, int64_t now_ms)
{
    int rc = 0;

    if (r->fd >= 0 && r->dirty) {
        if (fsync(r->fd) < 0) {
            r->sys_errno = errno;
            return ROOST_ERR(ROOST_EIO);
        }
        r->dirty = false;
    }
    if (is_due(r, 0, now_ms) && r->max_ms > 0 &&
        now_ms - r->opened_ms >= r->max_ms) {
        rc = finish_file(r);
    }
    if (rc == 0 && r->dir_dirty) {
        rc = sync_dir(r);
    }
    return rc;
}

int roost_rotate_close(struct roost_rotate *r)
{
    int rc = 0;

    if (r->fd >= 0) {
        if (r->dirty && fsync(r->fd) < 0) {
            r->sys_errno = errno;
            rc = ROOST_ERR(ROOST_EIO);
        }
        close(r->fd);
        r->fd = -1;
        r->dirty = false;
    }
    if (rc == 0 && r->dir_dirty) {
        rc = sync_dir(r);
    }
    return rc;
}
