/* SPDX-License-Identifier: MIT
 *
 * src_file.c - the file source: one file or a directory of files, plain,
 * gzip or zstd, read once or followed.
 *
 * ARG names a file or a directory. A directory is listed (not recursively,
 * dotfiles skipped, `pattern` applied) and its files are read in sorted
 * path order, one at a time. Each file is a byte stream: raw bytes ->
 * decompressor (chosen by suffix, else by magic bytes) -> framer
 * (parse/frame.h) -> batch, via roost__framed_drain(). The position of a
 * record is "<path>\t<offset just after it>", the offset counted in the
 * decompressed stream.
 *
 * follow=true keeps watching: a directory is rescanned every poll-interval
 * and new files are picked up (Spark's file source); the newest file is
 * tailed until a newer one appears, then finished. A single file is tailed
 * like `tail -F`: a new inode or a deleted path ends the old file, and a
 * size below what was read (copytruncate) restarts it from offset 0.
 * With follow, a path that does not exist yet is waited for as a file.
 * Without follow the source ends (ROOST_ENOENT) after the last file, and
 * a partial last record is flagged by the framer.
 *
 * Resume (src->resume = "path\toffset"): files sorting before `path` are
 * consumed; `path` is re-read from the start (so line numbers stay right
 * and compressed files can be skipped through) and records ending at or
 * before `offset` are dropped by the framing helper.
 *
 * Each poll feeds at most POLL_BUDGET bytes so the runner regains control
 * often; a record that does not fit the batch waits in the framer.
 * Start at file_poll().
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "core/mem.h"
#include "source/source.h"
#include "source/source_int.h"

#define CHUNK_BYTES (64u << 10)
#define POLL_BUDGET (1u << 20)

enum codec {
    CODEC_UNKNOWN = 0,
    CODEC_PLAIN,
    CODEC_GZIP,
    CODEC_ZSTD,
};

/* The file being read. */
struct cur {
    char *path;
    size_t path_len;
    int fd;
    dev_t dev;
    ino_t ino;
    uint64_t raw_off; /* bytes read from the file */
    enum codec codec;
    size_t in_pos, in_len; /* unconsumed raw bytes in ctx->in */
    bool z_live;
    z_stream z;
    ZSTD_DStream *zs;
    bool final;    /* no more growth expected: read to EOF, finish */
    bool finished; /* roost_frame_finish() was called */
    struct roost__framed fr;
};

struct path_list {
    char **v;
    size_t n, cap;
};

struct file_ctx {
    /* options */
    bool follow;
    int64_t max_files;
    char *pattern;
    int64_t poll_ms;
    /* state */
    struct roost_source *src;
    char *root;
    bool is_dir;
    bool opened_once;      /* file mode */
    bool want_reopen;      /* file mode, follow: reopen after rotation */
    struct path_list todo; /* dir mode: files not started, sorted */
    size_t todo_next;
    struct path_list done; /* dir mode: files started, sorted */
    int64_t next_scan_ms;
    int64_t round_end_ms;
    int64_t files_in_round;
    char *floor;       /* resume: paths sorting before are consumed */
    char *resume_path; /* resume: skip inside this file, once */
    uint64_t resume_off;
    char *in;  /* raw read buffer, CHUNK_BYTES */
    char *out; /* decompressed bytes, CHUNK_BYTES */
    bool has_cur;
    struct cur cur;
};

static const struct roost_option file_options[] = {
    ROOST_OPT_BOOL("follow", "false", struct file_ctx, follow,
                   "keep watching: new files in a directory, growth of a "
                   "file"),
    ROOST_OPT_INT("max-files-per-trigger", "0", struct file_ctx, max_files,
                  "new files started per poll-interval (0: no limit)"),
    ROOST_OPT_STR("pattern", NULL, struct file_ctx, pattern,
                  "accepted name suffixes, comma-separated (*.jsonl,*.gz)"),
    ROOST_OPT_MS("poll-interval", "500ms", struct file_ctx, poll_ms,
                 "how often to look for new files and growth"),
    ROOST_OPT_END,
};

/* ---- path lists --------------------------------------------------------- */

static void list_clear(struct path_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        roost_free(l->v[i]);
    }
    roost_free(l->v);
    memset(l, 0, sizeof(*l));
}

/* list_push - Takes s. */
static int list_push(struct path_list *l, char *s)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        char **v = roost_realloc(l->v, cap * sizeof(*v));
        if (v == NULL) {
            roost_free(s);
            return ROOST_ERR(ROOST_ENOMEM);
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool list_has(const struct path_list *l, const char *s)
{
    return l->n > 0 && bsearch(&s, l->v, l->n, sizeof(*l->v), cmp_str) != NULL;
}

/* ---- names -------------------------------------------------------------- */

static bool has_suffix(const char *s, size_t n, const char *suf, size_t sn)
{
    return n >= sn && memcmp(s + n - sn, suf, sn) == 0;
}

/* pattern_ok - name ends with one of the comma-separated suffixes. */
static bool pattern_ok(const char *pattern, const char *name)
{
    if (pattern == NULL || pattern[0] == '\0') {
        return true;
    }
    size_t n = strlen(name);
    const char *p = pattern;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        const char *suf = p;
        while (len > 0 && (*suf == '*' || *suf == ' ')) {
            suf++;
            len--;
        }
        while (len > 0 && suf[len - 1] == ' ') {
            len--;
        }
        if (len > 0 && has_suffix(name, n, suf, len)) {
            return true;
        }
        if (comma == NULL) {
            break;
        }
        p = comma + 1;
    }
    return false;
}

static enum codec codec_by_name(const char *path)
{
    size_t n = strlen(path);
    if (has_suffix(path, n, ".gz", 3)) {
        return CODEC_GZIP;
    }
    if (has_suffix(path, n, ".zst", 4) || has_suffix(path, n, ".zstd", 5)) {
        return CODEC_ZSTD;
    }
    return CODEC_UNKNOWN;
}

static enum codec codec_by_magic(const unsigned char *p, size_t n)
{
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b) {
        return CODEC_GZIP;
    }
    if (n >= 4 && p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f &&
        p[3] == 0xfd) {
        return CODEC_ZSTD;
    }
    return CODEC_PLAIN;
}

/* ---- the current file --------------------------------------------------- */

static voidpf z_alloc(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return roost_calloc(items, size);
}

static void z_free(voidpf opaque, voidpf p)
{
    (void)opaque;
    roost_free(p);
}

static void cur_close(struct file_ctx *c)
{
    struct cur *k = &c->cur;

    if (!c->has_cur) {
        return;
    }
    if (k->z_live) {
        inflateEnd(&k->z);
    }
    ZSTD_freeDStream(k->zs);
    if (k->fd >= 0) {
        close(k->fd);
    }
    roost__framed_fini(&k->fr);
    roost_free(k->path);
    memset(k, 0, sizeof(*k));
    k->fd = -1;
    c->has_cur = false;
}

/* cur_open - open path as the current file. ROOST_ENOENT when it vanished
 * (a caller may skip it), ROOST_EIO otherwise. */
static int cur_open(struct file_ctx *c, const char *path)
{
    struct cur *k = &c->cur;
    struct stat st;
    int rc;

    memset(k, 0, sizeof(*k));
    k->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (k->fd < 0) {
        return errno == ENOENT ? ROOST_ENOENT : ROOST_ERR(ROOST_EIO);
    }
    if (fstat(k->fd, &st) < 0) {
        rc = ROOST_ERR(ROOST_EIO);
        goto out_close_fd;
    }
    k->dev = st.st_dev;
    k->ino = st.st_ino;
    k->path_len = strlen(path);
    k->path = roost_strndup(path, k->path_len);
    if (k->path == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_close_fd;
    }
    k->codec = codec_by_name(path);
    roost__framed_init(&k->fr, c->src->max_record_bytes);
    if (c->resume_path != NULL && strcmp(c->resume_path, path) == 0) {
        k->fr.skip = true;
        k->fr.skip_end = c->resume_off;
        roost_free(c->resume_path);
        c->resume_path = NULL;
    }
    c->has_cur = true;
    return 0;

out_close_fd:
    close(k->fd);
    k->fd = -1;
    return rc;
}

/* read_more - append raw bytes to ctx->in; the count, 0 at EOF for now. */
static int64_t read_more(struct file_ctx *c)
{
    struct cur *k = &c->cur;

    if (k->in_pos == k->in_len) {
        k->in_pos = k->in_len = 0;
    } else if (k->in_pos > 0) {
        memmove(c->in, c->in + k->in_pos, k->in_len - k->in_pos);
        k->in_len -= k->in_pos;
        k->in_pos = 0;
    }
    if (k->in_len == CHUNK_BYTES) {
        return 0;
    }
    for (;;) {
        ssize_t n = read(k->fd, c->in + k->in_len, CHUNK_BYTES - k->in_len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return ROOST_ERR(ROOST_EIO);
        }
        k->in_len += (size_t)n;
        k->raw_off += (uint64_t)n;
        return n;
    }
}

static int start_codec(struct cur *k)
{
    if (k->codec == CODEC_GZIP) {
        k->z.zalloc = z_alloc;
        k->z.zfree = z_free;
        if (inflateInit2(&k->z, 15 + 32) != Z_OK) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        k->z_live = true;
    } else if (k->codec == CODEC_ZSTD) {
        k->zs = ZSTD_createDStream();
        if (k->zs == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        ZSTD_initDStream(k->zs);
    }
    return 0;
}

/*
 * produce - the next decompressed bytes of the current file.
 * Returns: 0 with *p and *n set (n > 0), ROOST_EAGAIN at the end of what the
 * file holds now, ROOST_EPARSE for corrupt compressed data, ROOST_EIO.
 */
static int produce(struct file_ctx *c, const char **p, size_t *n)
{
    struct cur *k = &c->cur;
    int64_t got;

    if (k->codec == CODEC_UNKNOWN) {
        /* Sniff: wait for 4 bytes, or decide on what EOF left us. */
        while (k->in_len - k->in_pos < 4) {
            got = read_more(c);
            if (got < 0) {
                return (int)got;
            }
            if (got == 0) {
                break;
            }
        }
        if (k->in_len - k->in_pos == 0) {
            return ROOST_EAGAIN;
        }
        if (k->in_len - k->in_pos < 4 && !k->final) {
            return ROOST_EAGAIN;
        }
        k->codec = codec_by_magic((unsigned char *)c->in + k->in_pos,
                                  k->in_len - k->in_pos);
    }
    if (k->codec != CODEC_PLAIN && !k->z_live && k->zs == NULL) {
        int rc = start_codec(k);
        if (rc < 0) {
            return rc;
        }
    }
    for (;;) {
        if (k->in_pos == k->in_len) {
            got = read_more(c);
            if (got < 0) {
                return (int)got;
            }
            if (got == 0) {
                return ROOST_EAGAIN;
            }
        }
        size_t avail = k->in_len - k->in_pos;
        if (k->codec == CODEC_PLAIN) {
            *p = c->in + k->in_pos;
            *n = avail;
            k->in_pos = k->in_len;
            return 0;
        }
        if (k->codec == CODEC_GZIP) {
            k->z.next_in = (Bytef *)c->in + k->in_pos;
            k->z.avail_in = (uInt)avail;
            k->z.next_out = (Bytef *)c->out;
            k->z.avail_out = CHUNK_BYTES;
            int zr = inflate(&k->z, Z_NO_FLUSH);
            k->in_pos = k->in_len - k->z.avail_in;
            size_t made = CHUNK_BYTES - k->z.avail_out;
            if (zr == Z_STREAM_END) {
                /* Concatenated members (gzip -c a b, pigz) go on. */
                inflateReset(&k->z);
            } else if (zr != Z_OK && zr != Z_BUF_ERROR) {
                return ROOST_ERR(ROOST_EPARSE);
            }
            if (made > 0) {
                *p = c->out;
                *n = made;
                return 0;
            }
            continue;
        }
        ZSTD_inBuffer zin = { c->in + k->in_pos, avail, 0 };
        ZSTD_outBuffer zout = { c->out, CHUNK_BYTES, 0 };
        size_t zr = ZSTD_decompressStream(k->zs, &zout, &zin);
        k->in_pos += zin.pos;
        if (ZSTD_isError(zr)) {
            return ROOST_ERR(ROOST_EPARSE);
        }
        if (zout.pos > 0) {
            *p = c->out;
            *n = zout.pos;
            return 0;
        }
    }
}

/* ---- picking files ------------------------------------------------------ */

/* scan_dir - rebuild todo from the directory: sorted, minus what was
 * started or is below the resume floor; prune done to what still exists. */
static int scan_dir(struct file_ctx *c)
{
    struct path_list found = { 0 };
    struct path_list keep = { 0 };
    DIR *d = opendir(c->root);
    int rc = 0;

    if (d == NULL) {
        return c->follow && errno == ENOENT ? 0 : ROOST_ERR(ROOST_EIO);
    }
    for (;;) {
        errno = 0;
        struct dirent *e = readdir(d);
        if (e == NULL) {
            rc = errno != 0 ? ROOST_ERR(ROOST_EIO) : 0;
            break;
        }
        if (e->d_name[0] == '.' || !pattern_ok(c->pattern, e->d_name)) {
            continue;
        }
        size_t rl = strlen(c->root);
        size_t nl = strlen(e->d_name);
        char *path = roost_malloc(rl + 1 + nl + 1);
        if (path == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            break;
        }
        memcpy(path, c->root, rl);
        path[rl] = '/';
        memcpy(path + rl + 1, e->d_name, nl + 1);
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
            roost_free(path);
            continue;
        }
        rc = list_push(&found, path);
        if (rc < 0) {
            break;
        }
    }
    closedir(d);
    if (rc < 0) {
        goto out_clear;
    }
    if (found.n > 0) {
        qsort(found.v, found.n, sizeof(*found.v), cmp_str);
    }
    list_clear(&c->todo);
    c->todo_next = 0;
    for (size_t i = 0; i < found.n; i++) {
        char *p = found.v[i];
        found.v[i] = NULL;
        struct path_list *to = &c->todo;
        if (list_has(&c->done, p) ||
            (c->floor != NULL && strcmp(p, c->floor) < 0)) {
            to = &keep;
        } else if (c->has_cur && strcmp(p, c->cur.path) == 0) {
            to = &keep;
        }
        rc = list_push(to, p);
        if (rc < 0) {
            goto out_clear;
        }
    }
    /* Started files still present stay known; the rest are forgotten,
     * which bounds `done` by the directory's size. */
    list_clear(&c->done);
    c->done = keep;
    memset(&keep, 0, sizeof(keep));
    if (c->has_cur) {
        char *p = roost_strndup(c->cur.path, c->cur.path_len);
        if (p == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            goto out_clear;
        }
        rc = list_push(&c->done, p);
        if (rc < 0) {
            goto out_clear;
        }
        qsort(c->done.v, c->done.n, sizeof(*c->done.v), cmp_str);
    }

out_clear:
    list_clear(&found);
    list_clear(&keep);
    return rc;
}

static int mark_done(struct file_ctx *c, const char *path)
{
    char *p = roost_strndup(path, strlen(path));
    if (p == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    int rc = list_push(&c->done, p);
    if (rc == 0) {
        qsort(c->done.v, c->done.n, sizeof(*c->done.v), cmp_str);
    }
    return rc;
}

/* next_file - make the next file current. ROOST_EAGAIN: none yet (follow,
 * or the per-round limit); ROOST_ENOENT: all done. */
static int next_file(struct file_ctx *c)
{
    int64_t now = roost__now_ms();
    int rc;

    if (!c->is_dir) {
        if (c->opened_once && !(c->follow && c->want_reopen)) {
            return c->follow ? ROOST_EAGAIN : ROOST_ENOENT;
        }
        if (c->opened_once && now < c->next_scan_ms) {
            return ROOST_EAGAIN;
        }
        rc = cur_open(c, c->root);
        if (rc == ROOST_ENOENT && c->follow) {
            c->opened_once = true;
            c->want_reopen = true;
            c->next_scan_ms = now + c->poll_ms;
            return ROOST_EAGAIN;
        }
        if (rc == 0) {
            c->opened_once = true;
            c->want_reopen = false;
        }
        return rc;
    }
    for (;;) {
        if (c->todo_next == c->todo.n) {
            if (!c->follow) {
                return ROOST_ENOENT;
            }
            if (now < c->next_scan_ms) {
                return ROOST_EAGAIN;
            }
            c->next_scan_ms = now + c->poll_ms;
            rc = scan_dir(c);
            if (rc < 0) {
                return rc;
            }
            if (c->todo.n == 0) {
                return ROOST_EAGAIN;
            }
        }
        if (c->max_files > 0) {
            if (now >= c->round_end_ms) {
                c->round_end_ms = now + c->poll_ms;
                c->files_in_round = 0;
            }
            if (c->files_in_round >= c->max_files) {
                return ROOST_EAGAIN;
            }
        }
        const char *path = c->todo.v[c->todo_next++];
        rc = mark_done(c, path);
        if (rc < 0) {
            return rc;
        }
        rc = cur_open(c, path);
        if (rc == ROOST_ENOENT) {
            continue; /* gone between listing and opening */
        }
        if (rc == 0) {
            c->files_in_round++;
        }
        return rc;
    }
}

/* should_finish - the current file has no more bytes now: finish it (the
 * framer flushes its last record), or wait for growth? */
static bool should_finish(struct file_ctx *c)
{
    struct cur *k = &c->cur;
    int64_t now = roost__now_ms();

    if (!c->follow) {
        return true;
    }
    if (now < c->next_scan_ms) {
        return false;
    }
    c->next_scan_ms = now + c->poll_ms;
    if (c->is_dir) {
        /* Tail the newest file until a newer one shows up. */
        if (c->todo_next == c->todo.n && scan_dir(c) < 0) {
            return false;
        }
        return c->todo_next < c->todo.n;
    }
    struct stat st;
    if (stat(c->root, &st) < 0 || st.st_ino != k->ino || st.st_dev != k->dev ||
        (uint64_t)st.st_size < k->raw_off) {
        /* Rotated, deleted or truncated: end this one, read the path
         * again from offset 0. */
        c->want_reopen = true;
        c->next_scan_ms = now; /* reopen at once */
        return true;
    }
    return false;
}

/* ---- plug-in callbacks -------------------------------------------------- */

static int file_open(struct roost_source *src)
{
    struct file_ctx *c = src->ctx;
    struct stat st;
    int rc;

    c->src = src;
    c->cur.fd = -1;
    if (src->arg == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (c->poll_ms <= 0) {
        c->poll_ms = 500;
    }
    size_t n = strlen(src->arg);
    while (n > 1 && src->arg[n - 1] == '/') {
        n--;
    }
    c->root = roost_strndup(src->arg, n);
    c->in = roost_malloc(CHUNK_BYTES);
    c->out = roost_malloc(CHUNK_BYTES);
    if (c->root == NULL || c->in == NULL || c->out == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    if (stat(c->root, &st) == 0) {
        c->is_dir = S_ISDIR(st.st_mode);
    } else if (!c->follow) {
        return errno == ENOENT ? ROOST_ERR(ROOST_ENOENT) : ROOST_ERR(ROOST_EIO);
    }
    if (src->resume[0] != '\0') {
        const char *tab = strrchr(src->resume, '\t');
        char *end = NULL;
        if (tab == NULL || tab[1] < '0' || tab[1] > '9') {
            return ROOST_ERR(ROOST_EINVAL);
        }
        errno = 0;
        unsigned long long off = strtoull(tab + 1, &end, 10);
        if (errno != 0 || *end != '\0') {
            return ROOST_ERR(ROOST_EINVAL);
        }
        size_t pl = (size_t)(tab - src->resume);
        c->resume_path = roost_strndup(src->resume, pl);
        c->floor = roost_strndup(src->resume, pl);
        if (c->resume_path == NULL || c->floor == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        c->resume_off = off;
    }
    if (c->is_dir) {
        rc = scan_dir(c);
        if (rc < 0) {
            return rc;
        }
        c->next_scan_ms = roost__now_ms() + c->poll_ms;
    }
    return 0;
}

static int file_fd(struct roost_source *src)
{
    (void)src;
    return -1; /* regular files are always "readable": tick instead */
}

static int file_poll(struct roost_source *src, struct roost_batch *out)
{
    struct file_ctx *c = src->ctx;
    uint32_t added = 0;
    size_t fed = 0;
    int rc;

    for (;;) {
        if (!c->has_cur) {
            rc = next_file(c);
            if (rc == ROOST_EAGAIN || rc == ROOST_ENOENT) {
                return added > 0 ? 0 : rc;
            }
            if (rc < 0) {
                return rc;
            }
        }
        struct cur *k = &c->cur;
        uint32_t n = 0;
        rc = roost__framed_drain(&k->fr, out, k->path, k->path_len, &n);
        added += n;
        if (rc == ROOST_ELIMIT) {
            return rc;
        }
        if (rc == ROOST_ENOENT) {
            cur_close(c);
            continue;
        }
        if (rc != ROOST_EAGAIN) {
            return rc;
        }
        if (fed >= POLL_BUDGET) {
            return added > 0 ? 0 : ROOST_EAGAIN;
        }
        const char *p = NULL;
        size_t len = 0;
        rc = k->finished ? ROOST_EAGAIN : produce(c, &p, &len);
        if (rc == 0) {
            rc = roost_frame_feed(&k->fr.frame, p, len);
            if (rc < 0) {
                return rc;
            }
            fed += len;
            continue;
        }
        if (rc == ROOST_EPARSE) {
            /* Corrupt compressed data: what came before stands, the
             * framer flags the cut record, and the file ends here. */
            roost_frame_finish(&k->fr.frame);
            k->finished = true;
            continue;
        }
        if (rc != ROOST_EAGAIN) {
            return rc;
        }
        if (!k->finished && !k->final && should_finish(c)) {
            k->final = true; /* one last read, then finish */
            continue;
        }
        if (!k->finished && k->final) {
            roost_frame_finish(&k->fr.frame);
            k->finished = true;
            continue;
        }
        return added > 0 ? 0 : ROOST_EAGAIN;
    }
}

static void file_close(struct roost_source *src)
{
    struct file_ctx *c = src->ctx;

    cur_close(c);
    list_clear(&c->todo);
    list_clear(&c->done);
    roost_free(c->root);
    roost_free(c->in);
    roost_free(c->out);
    roost_free(c->floor);
    roost_free(c->resume_path);
    c->root = c->in = c->out = c->floor = c->resume_path = NULL;
    c->todo_next = 0;
    c->is_dir = c->opened_once = c->want_reopen = false;
    c->next_scan_ms = c->round_end_ms = c->files_in_round = 0;
}

const struct roost_source_ops roost_source_file = {
    .name = "file",
    .summary = "read a file or a directory of files (plain, .gz, .zst), "
               "once or following",
    .options = file_options,
    .ctx_size = sizeof(struct file_ctx),
    .open = file_open,
    .fd = file_fd,
    .poll = file_poll,
    .close = file_close,
};
