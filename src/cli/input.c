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
#define _GNU_SOURCE /* sched_getaffinity, CPU_COUNT */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
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
    const off_t page = (off_t)sysconf(_SC_PAGESIZE);
    while (*off < size) {
        size_t n = (uint64_t)(size - *off) > MAP_WINDOW ? MAP_WINDOW
                                                        : (size_t)(size - *off);
        /* mmap wants a page-aligned offset; a range (parallel reads) may
         * start anywhere, so map from the page before and skip `lead`. */
        size_t lead = (size_t)(*off % page);
        char *p = mmap(NULL, lead + n, PROT_READ, MAP_PRIVATE, fd,
                       *off - (off_t)lead);
        if (p == MAP_FAILED) {
            return 0;
        }
        /* Measured on a 365 MB corpus: as fast as MAP_POPULATE, without
         * its resident window. A hint; failure is harmless. */
        (void)madvise(p, lead + n, MADV_SEQUENTIAL);
        int rc = roost_frame_feed_borrowed(f, p + lead, n);
        window_release(w); /* the feed copied what it still needed of it */
        w->ptr = p;
        w->len = lead + n;
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

static void reader_init(struct reader *r, const struct cli_reader_opts *opts,
                        cli_rec_fn *fn, void *arg)
{
    memset(r, 0, sizeof(*r));
    r->opts = opts;
    r->fn = fn;
    r->arg = arg;
    roost_json_doc_init(&r->doc, ROOST_JSON_DEFAULT_DEPTH,
                        opts->max_record_bytes);
    roost_norm_init(&r->norm);
    r->norm.extract_missing = opts->extract_missing;
    if (opts->want != 0) {
        r->norm.want = opts->want;
    }
}

static void reader_fini(struct reader *r)
{
    roost_norm_fini(&r->norm);
    roost_json_doc_fini(&r->doc);
}

int cli_read_inputs(char **paths, int n_paths,
                    const struct cli_reader_opts *opts, cli_rec_fn *fn,
                    void *arg)
{
    return cli_read_inputs_par(paths, n_paths, opts, 1, fn, &arg);
}

/* ---- parallel reads ---------------------------------------------------------
 *
 * A big regular file is cut into ranges at record boundaries and each
 * range is framed, parsed and normalized by a thread of its own. A
 * boundary is "}\n{" (or "}\r\n{"): a newline between two JSON texts. In
 * valid JSON it cannot occur inside a value (strings hold no raw
 * newline, and two values in a row need a comma), so it is exactly where
 * the framer would cut JSONL or concatenated documents; SSE streams and
 * single big arrays have none and stay whole.
 */

#define PAR_MIN_BYTES  ((off_t)16 << 20) /* smaller files: one thread */
#define PAR_SCAN_BYTES ((off_t)1 << 20)  /* how far to look for a cut */

/* next_cut - the offset of the '{' that starts the record after the first
 * boundary at or after `from`, or -1 when none lies within
 * PAR_SCAN_BYTES. */
static off_t next_cut(int fd, off_t from, off_t size)
{
    char buf[64 * 1024];
    off_t at = from;
    while (at < size && at - from < PAR_SCAN_BYTES) {
        ssize_t n = pread(fd, buf, sizeof(buf), at);
        if (n <= 3) {
            return -1;
        }
        for (ssize_t i = 0; i + 2 < n; i++) {
            if (buf[i] != '}' || (buf[i + 1] != '\n' && buf[i + 1] != '\r')) {
                continue;
            }
            ssize_t j = i + 1 + (buf[i + 1] == '\r');
            if (j + 1 < n && buf[j] == '\n' && buf[j + 1] == '{') {
                return at + j + 1;
            }
            if (buf[i + 1] == '\n' && buf[i + 2] == '{') {
                return at + i + 2;
            }
        }
        at += n - 3; /* overlap: a boundary may straddle two reads */
    }
    return -1;
}

struct par_job {
    struct reader r;
    const char *path;
    int fd;
    off_t start, end;
    int rc;
    pthread_t th;
};

static void *par_main(void *arg)
{
    struct par_job *j = arg;
    struct roost_frame f;
    roost_frame_init(&f, j->r.opts->max_record_bytes);
    struct window w = { 0 };
    off_t off = j->start;
    int rc = map_file(&j->r, &f, j->fd, j->path, j->end, &off, &w);
    if (rc == 0 && off < j->end) {
        fprintf(stderr, "roost: cannot map %s\n", j->path);
        rc = ROOST_ERR(ROOST_EIO);
    }
    if (rc == 0) {
        roost_frame_finish(&f);
        rc = drain(&j->r, &f, j->path);
    }
    roost_frame_fini(&f);
    window_release(&w);
    j->rc = rc;
    return NULL;
}

/* read_par - path in up to n ranges on n threads; *whole is set when that
 * is not worth it or not possible (the caller then reads it whole).
 * Returns 0, a callback's non-zero return, or a negative ROOST_E*. */
static int read_par(struct par_job *jobs, unsigned n, const char *path,
                    bool *whole)
{
    *whole = false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size < PAR_MIN_BYTES) {
        if (fd >= 0) {
            close(fd);
        }
        *whole = true;
        return 0;
    }
    unsigned k = 0;
    off_t start = 0;
    for (unsigned i = 0; i < n; i++) {
        off_t end = st.st_size;
        if (i + 1 < n) {
            off_t want = st.st_size / (off_t)n * (off_t)(i + 1);
            off_t cut = want > start ? next_cut(fd, want, st.st_size) : -1;
            if (cut < 0) {
                continue; /* no cut here: the next range takes it on */
            }
            end = cut;
        }
        jobs[k].path = path;
        jobs[k].fd = fd;
        jobs[k].start = start;
        jobs[k].end = end;
        jobs[k].rc = 0;
        k++;
        start = end;
    }
    if (k < 2) {
        close(fd);
        *whole = true;
        return 0;
    }
    unsigned started = 0;
    int rc = 0;
    for (; started < k; started++) {
        if (pthread_create(&jobs[started].th, NULL, par_main,
                           &jobs[started]) != 0) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            break;
        }
    }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(jobs[i].th, NULL);
        if (rc == 0 && jobs[i].rc != 0) {
            rc = jobs[i].rc;
        }
    }
    close(fd);
    return rc;
}

int cli_read_inputs_par(char **paths, int n_paths,
                        const struct cli_reader_opts *opts, unsigned n_workers,
                        cli_rec_fn *fn, void **args)
{
    if (n_workers == 0) {
        n_workers = 1;
    }
    struct par_job *jobs = roost_calloc(n_workers, sizeof(*jobs));
    char *chunk = roost_malloc(READ_CHUNK);
    if (jobs == NULL || chunk == NULL) {
        roost_free(jobs);
        roost_free(chunk);
        return ROOST_ERR(ROOST_ENOMEM);
    }
    for (unsigned i = 0; i < n_workers; i++) {
        reader_init(&jobs[i].r, opts, fn, args[i]);
    }
    int rc = 0;
    if (n_paths == 0) {
        rc = read_one(&jobs[0].r, "-", chunk);
    }
    for (int i = 0; i < n_paths && rc == 0; i++) {
        bool whole = true;
        if (n_workers > 1 && !opts->text_lines && strcmp(paths[i], "-") != 0) {
            rc = read_par(jobs, n_workers, paths[i], &whole);
        }
        if (rc == 0 && whole) {
            rc = read_one(&jobs[0].r, paths[i], chunk);
        }
    }
    for (unsigned i = 0; i < n_workers; i++) {
        reader_fini(&jobs[i].r);
    }
    roost_free(jobs);
    roost_free(chunk);
    return rc;
}

unsigned cli_cpu_count(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        return 1;
    }
    int n = CPU_COUNT(&set);
    return n < 1 ? 1 : (unsigned)n;
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
