/* SPDX-License-Identifier: MIT
 *
 * input.c - files and stdin to normalized records, for the batch verbs.
 *
 * Bytes are fed to a frame (parse/frame.h), which cuts records at JSONL
 * lines, document ends, array items or SSE events, even when a record spans
 * feeds. Regular files are mapped read-only, MAP_WINDOW bytes at a time, and
 * lent to the framer, so records are views into the page cache and not
 * copied twice (read() into a chunk, then into the framer's buffer).
 * stdin, pipes, FIFOs, empty files (procfs reports its files as such), a
 * failed mmap and bytes appended to a file after its size was taken go
 * through read() and copying feeds. Each record is parsed once into a JSON
 * tape and normalized; the verb's callback sees the result or the reason
 * it failed. Records are never dropped silently: every one reaches the
 * callback, good or bad.
 *
 * A file truncated by someone else while it is mapped ends the process
 * with SIGBUS, as in other mmap readers; an input file is not expected to
 * shrink under a batch verb.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/mem.h"
#include "parse/frame.h"
#include "store/deadletter.h"

#define READ_CHUNK (1u << 20)
/* Bytes of a file mapped at once: bounds the address space and the
 * resident pages a verb holds, so any file size fits. A multiple of every
 * page size. 4 MiB measured as fast as 16 or 64 MiB (a record split across
 * two windows costs one copy of it plus 64 KiB). */
#define MAP_WINDOW ((size_t)4 << 20)

struct reader {
    const struct cli_reader_opts *opts;
    struct roost_json_doc doc;
    struct roost_norm norm;
    cli_rec_fn *fn;
    void *arg;
};

static uint64_t line_of(const char *p, size_t off, uint64_t first)
{
    uint64_t line = first;
    for (size_t i = 0; i < off; i++) {
        if (p[i] == '\n') {
            line++;
        }
    }
    return line;
}

static int handle(struct reader *r, const char *file,
                  const struct roost_record *rec, int frame_rc,
                  struct roost_diag *fdiag)
{
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    struct cli_rec out = {
        .file = file,
        .line = rec->line,
        .raw = rec->ptr,
        .raw_len = rec->len,
        .status = CLI_REC_OK,
        .diag = &diag,
        .norm = &r->norm,
    };
    roost_norm_reset(&r->norm);
    if (frame_rc < 0) {
        out.status = CLI_REC_BAD;
        out.err = frame_rc;
        out.diag = fdiag;
        return r->fn(r->arg, &out);
    }
    if (r->opts->text_lines ||
        (r->opts->format == ROOST_FMT_AUTO && !r->opts->syntax_only &&
         rec->event.len == 0 &&
         roost_is_text_record(rec->ptr, rec->len))) {
        int rc = roost_norm_text_line(&r->norm, rec->ptr, rec->len, rec->line);
        if (rc < 0) {
            out.status = CLI_REC_BAD;
            out.err = rc;
            roost_diag_set(&diag, rc, 0, "%s", roost_strerror(rc));
        }
        return r->fn(r->arg, &out);
    }
    int rc = roost_json_parse(&r->doc, rec->ptr, rec->len, &diag);
    if (rc == 0 && !r->opts->syntax_only) {
        rc = roost_norm_event(&r->norm, rec->event, &r->doc, rec->ptr,
                              rec->len, r->opts->format, &diag);
    } else {
        out.line = line_of(rec->ptr, diag.offset < rec->len ? diag.offset
                                                            : rec->len,
                           rec->line);
    }
    if (rc < 0) {
        out.status = CLI_REC_BAD;
        out.err = rc;
        if (diag.msg[0] == '\0') {
            roost_diag_set(&diag, rc, 0, "%s", roost_strerror(rc));
        }
    }
    return r->fn(r->arg, &out);
}

static int drain(struct reader *r, struct roost_frame *f, const char *file)
{
    for (;;) {
        struct roost_record rec;
        struct roost_diag diag;
        memset(&rec, 0, sizeof(rec));
        memset(&diag, 0, sizeof(diag));
        int rc = roost_frame_next(f, &rec, &diag);
        if (rc == ROOST_EAGAIN || rc == ROOST_ENOENT) {
            return 0; /* needs more bytes, or the stream is done */
        }
        if (rc == ROOST_ENOMEM) {
            fprintf(stderr, "roost: %s: %s\n", file, roost_strerror(rc));
            return rc; /* not a record's fault */
        }
        if (rc < 0 && diag.msg[0] == '\0') {
            roost_diag_set(&diag, rc, 0, "%s", roost_strerror(rc));
        }
        int cb = handle(r, file, &rec, rc, &diag);
        if (cb != 0) {
            return cb;
        }
    }
}

/* struct window - the mapping lent to the framer last; it must outlive the
 * records viewing it, so it is unmapped only after the next feed or at the
 * end of the file. */
struct window {
    void *ptr;
    size_t len;
};

static void window_release(struct window *w)
{
    if (w->ptr != NULL) {
        munmap(w->ptr, w->len);
        w->ptr = NULL;
    }
}

/*
 * map_file - frame the first `size` bytes of a regular file through
 * mappings, from *off on. A mapping that fails is no error: *off says
 * where read() takes over.
 * Returns: 0, a callback's non-zero return, or a negative ROOST_E*.
 */
static int map_file(struct reader *r, struct roost_frame *f, int fd,
                    const char *path, off_t size, off_t *off, struct window *w)
{
    while (*off < size) {
        size_t n = (uint64_t)(size - *off) > MAP_WINDOW ? MAP_WINDOW
                                                        : (size_t)(size - *off);
        void *p = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, *off);
        if (p == MAP_FAILED) {
            return 0;
        }
        /* Measured on a 365 MB corpus: as fast as MAP_POPULATE, without
         * its resident window. A hint; failure is harmless. */
        (void)madvise(p, n, MADV_SEQUENTIAL);
        int rc = roost_frame_feed_borrowed(f, p, n);
        window_release(w); /* the feed copied what it still needed of it */
        w->ptr = p;
        w->len = n;
        if (rc < 0) {
            fprintf(stderr, "roost: %s: %s\n", path, roost_strerror(rc));
            return rc;
        }
        *off += (off_t)n;
        rc = drain(r, f, path);
        if (rc != 0) {
            return rc;
        }
    }
    return 0;
}

static int read_one(struct reader *r, const char *path, char *chunk)
{
    int fd = 0;
    bool is_stdin = strcmp(path, "-") == 0;
    if (!is_stdin) {
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "roost: cannot open %s: %s\n", path,
                    strerror(errno));
            return ROOST_ERR(ROOST_EIO);
        }
    }
    struct roost_frame f;
    roost_frame_init(&f, r->opts->max_record_bytes);
    if (r->opts->text_lines) {
        roost_frame_set_mode(&f, ROOST_FRAME_LINES);
    }
    int rc = 0;
    struct window w = { 0 };
    struct stat st;
    off_t off = 0;
    if (!is_stdin && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
        st.st_size > 0) {
        rc = map_file(r, &f, fd, path, st.st_size, &off, &w);
        if (rc == 0 && off > 0 && lseek(fd, off, SEEK_SET) < 0) {
            fprintf(stderr, "roost: cannot seek %s: %s\n", path,
                    strerror(errno));
            rc = ROOST_ERR(ROOST_EIO);
        }
    }
    while (rc == 0) {
        ssize_t n = read(fd, chunk, READ_CHUNK);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            fprintf(stderr, "roost: cannot read %s: %s\n", path,
                    strerror(errno));
            rc = ROOST_ERR(ROOST_EIO);
            break;
        }
        if (n == 0) {
            roost_frame_finish(&f);
            rc = drain(r, &f, path);
            break;
        }
        rc = roost_frame_feed(&f, chunk, (size_t)n);
        if (rc < 0) {
            fprintf(stderr, "roost: %s: %s\n", path, roost_strerror(rc));
            break;
        }
        rc = drain(r, &f, path);
    }
    roost_frame_fini(&f);
    window_release(&w);
    if (!is_stdin) {
        close(fd);
    }
    return rc;
}

int cli_read_inputs(char **paths, int n_paths,
                    const struct cli_reader_opts *opts, cli_rec_fn *fn,
                    void *arg)
{
    struct reader r = { .opts = opts, .fn = fn, .arg = arg };
    char *chunk = roost_malloc(READ_CHUNK);
    if (chunk == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    roost_json_doc_init(&r.doc, ROOST_JSON_DEFAULT_DEPTH,
                        opts->max_record_bytes);
    roost_norm_init(&r.norm);
    r.norm.extract_missing = opts->extract_missing;
    if (opts->want != 0) {
        r.norm.want = opts->want;
    }
    int rc = 0;
    if (n_paths == 0) {
        rc = read_one(&r, "-", chunk);
    }
    for (int i = 0; i < n_paths && rc == 0; i++) {
        rc = read_one(&r, paths[i], chunk);
    }
    roost_norm_fini(&r.norm);
    roost_json_doc_fini(&r.doc);
    roost_free(chunk);
    return rc;
}

int cli_parse_size(const char *s, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno != 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    unsigned long long mul = 1;
    if (strcasecmp(end, "k") == 0 || strcasecmp(end, "kib") == 0 ||
        strcasecmp(end, "kb") == 0) {
        mul = 1ull << 10;
    } else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "mib") == 0 ||
               strcasecmp(end, "mb") == 0) {
        mul = 1ull << 20;
    } else if (strcasecmp(end, "g") == 0 || strcasecmp(end, "gib") == 0 ||
               strcasecmp(end, "gb") == 0) {
        mul = 1ull << 30;
    } else if (*end != '\0') {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (v == 0 || v > (1ull << 40) / mul) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    *out = (size_t)(v * mul);
    return 0;
}

bool cli_opt_value(int argc, char **argv, int *i, const char *name,
                   const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0) {
        return false;
    }
    if (a[n] == '=') {
        *val = a + n + 1;
        return true;
    }
    if (a[n] != '\0') {
        return false;
    }
    if (*i + 1 >= argc) {
        fprintf(stderr, "roost: %s needs a value\n", name);
        *val = NULL;
        return true;
    }
    *i += 1;
    *val = argv[*i];
    return true;
}

int cli_dl_write(struct roost_deadletter *dl, const struct cli_rec *rec)
{
    struct roost_dl_rec d = {
        .source = rec->file,
        .line = rec->line,
        .err = rec->err,
        .reason = rec->diag->msg,
        .raw = rec->raw,
        .raw_len = rec->raw_len,
    };
    return roost_deadletter_write(dl, &d);
}
