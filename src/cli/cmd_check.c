/* SPDX-License-Identifier: MIT
 *
 * cmd_check.c - `roost check`: validate records, print a summary.
 *
 * Two modes. The default parses and normalizes every record like
 * `roost normalize` and counts posts, control events by kind, and invalid
 * records with line and reason. --syntax-only frames the same way but
 * only parses each record as JSON. --json-only checks that one file is
 * exactly one JSON text (the JSONTestSuite contract); a regular file is
 * mapped rather than read, stdin and other files are read whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/deadletter.h"
#include "core/mem.h"

#define MAX_LISTED 100
#define JSON_ONLY_MAX (1u << 30)

struct check_state {
    struct roost_deadletter dl;
    bool quiet;
    uint64_t n_records, n_posts, n_referenced, n_ctls;
    uint64_t n_ctl_kind[ROOST_CTL_OTHER + 1];
    uint64_t n_fmt[ROOST_FMT_UNKNOWN + 1];
};

static int on_record(void *arg, const struct cli_rec *rec)
{
    struct check_state *s = arg;
    s->n_records++;
    if (rec->status != CLI_REC_OK) {
        if (!s->quiet && s->dl.n_total < MAX_LISTED) {
            printf("invalid %s:%llu: %s: %s\n", rec->file,
                   (unsigned long long)rec->line, roost_deadletter_class(rec->err),
                   rec->diag->msg);
        }
        cli_dl_write(&s->dl, rec);
        return 0;
    }
    const struct roost_norm *n = rec->norm;
    for (uint32_t i = 0; i < n->n_posts; i++) {
        s->n_posts++;
        s->n_referenced += n->posts[i].referenced;
        if (n->posts[i].format <= ROOST_FMT_UNKNOWN) {
            s->n_fmt[n->posts[i].format]++;
        }
    }
    for (uint32_t i = 0; i < n->n_ctls; i++) {
        s->n_ctls++;
        if (n->ctls[i].kind <= ROOST_CTL_OTHER) {
            s->n_ctl_kind[n->ctls[i].kind]++;
        }
    }
    return 0;
}

/* struct json_text - the bytes of a --json-only input, mapped or read. */
struct json_text {
    char *ptr;
    size_t len;
    bool mapped;
};

static void json_text_release(struct json_text *t)
{
    if (t->mapped) {
        munmap(t->ptr, t->len);
    } else {
        roost_free(t->ptr);
    }
    t->ptr = NULL;
}

/*
 * map_all - map a non-empty regular file whole (the parser needs one
 * span; it reads nothing past len, so a file ending at a page boundary is
 * safe). Returns: 1 with *t set, 0 when the file is not one to map (read
 * it instead), or a negative ROOST_E* (reported).
 */
static int map_all(int fd, const char *path, struct json_text *t)
{
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        return 0;
    }
    if ((uint64_t)st.st_size > JSON_ONLY_MAX) {
        fprintf(stderr, "roost: cannot read %s: %s\n", path,
                roost_strerror(ROOST_ELIMIT));
        return ROOST_ERR(ROOST_ELIMIT);
    }
    size_t len = (size_t)st.st_size;
    void *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
        return 0;
    }
    (void)madvise(p, len, MADV_SEQUENTIAL); /* a hint */
    t->ptr = p;
    t->len = len;
    t->mapped = true;
    return 1;
}

static int read_all(const char *path, struct json_text *t)
{
    FILE *f = stdin;
    if (strcmp(path, "-") != 0) {
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            fprintf(stderr, "roost: cannot open %s: %s\n", path,
                    strerror(errno));
            return ROOST_ERR(ROOST_EIO);
        }
        int mrc = map_all(fd, path, t);
        if (mrc != 0) {
            close(fd);
            return mrc < 0 ? mrc : 0;
        }
        f = fdopen(fd, "rb");
        if (f == NULL) {
            fprintf(stderr, "roost: cannot open %s: %s\n", path,
                    strerror(errno));
            close(fd);
            return ROOST_ERR(ROOST_EIO);
        }
    }
    struct roost_buf b;
    roost_buf_init(&b, JSON_ONLY_MAX);
    char chunk[1 << 16];
    size_t n;
    int rc = 0;
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        rc = roost_buf_add(&b, chunk, n);
        if (rc < 0) {
            break;
        }
    }
    if (rc == 0 && ferror(f)) {
        rc = ROOST_ERR(ROOST_EIO);
    }
    if (f != stdin) {
        fclose(f);
    }
    if (rc < 0) {
        fprintf(stderr, "roost: cannot read %s: %s\n", path,
                roost_strerror(rc));
        roost_buf_fini(&b);
        return rc;
    }
    if (roost_buf_reserve(&b, 0) < 0) {
        roost_buf_fini(&b);
        return ROOST_ERR(ROOST_ENOMEM);
    }
    t->ptr = roost_buf_take(&b, &t->len);
    t->mapped = false;
    return 0;
}

static int json_only(const char *path)
{
    struct json_text t = { 0 };
    if (read_all(path, &t) < 0) {
        return CLI_EXIT_USAGE;
    }
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    int rc = roost_json_valid(t.ptr, t.len, ROOST_JSON_DEFAULT_DEPTH, &diag);
    if (rc == 0) {
        printf("%s: valid json\n", path);
    } else {
        printf("%s: invalid json at byte %llu: %s\n", path,
               (unsigned long long)diag.offset, diag.msg);
    }
    json_text_release(&t);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

int cmd_check(int argc, char **argv)
{
    struct cli_reader_opts opts = {
        .format = ROOST_FMT_AUTO,
        .max_record_bytes = 1u << 20,
        .extract_missing = true,
    };
    bool only_json = false, quiet = false;
    int i = 1;
    for (; i < argc; i++) {
        const char *v = NULL;
        if (strcmp(argv[i], "--json-only") == 0) {
            only_json = true;
        } else if (strcmp(argv[i], "--syntax-only") == 0) {
            opts.syntax_only = true;
        } else if (strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else if (cli_opt_value(argc, argv, &i, "--format", &v)) {
            if (v == NULL || roost_format_parse(v, &opts.format) < 0) {
                fprintf(stderr, "roost: unknown format '%s'\n", v ? v : "");
                return CLI_EXIT_USAGE;
            }
            opts.text_lines = opts.format == ROOST_FMT_TEXT;
        } else if (cli_opt_value(argc, argv, &i, "--max-record-bytes", &v)) {
            if (v == NULL || cli_parse_size(v, &opts.max_record_bytes) < 0) {
                fprintf(stderr, "roost: bad size '%s'\n", v ? v : "");
                return CLI_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "roost: check: unknown option '%s'\n", argv[i]);
            return CLI_EXIT_USAGE;
        } else {
            break;
        }
    }
    if (only_json) {
        if (argc - i != 1) {
            fprintf(stderr, "usage: roost check --json-only FILE\n");
            return CLI_EXIT_USAGE;
        }
        return json_only(argv[i]);
    }
    struct check_state s = { .quiet = quiet };
    roost_deadletter_open(&s.dl, NULL);
    int rc = cli_read_inputs(argv + i, argc - i, &opts, on_record, &s);
    if (s.dl.n_total > MAX_LISTED && !quiet) {
        printf("... and %llu more invalid records\n",
               (unsigned long long)(s.dl.n_total - MAX_LISTED));
    }
    printf("records:  %llu\n", (unsigned long long)s.n_records);
    printf("posts:    %llu (%llu referenced)", (unsigned long long)s.n_posts,
           (unsigned long long)s.n_referenced);
    for (int f = ROOST_FMT_X1; f <= ROOST_FMT_TEXT; f++) {
        if (s.n_fmt[f] > 0) {
            printf(" %s=%llu", roost_format_name((enum roost_format)f),
                   (unsigned long long)s.n_fmt[f]);
        }
    }
    printf("\ncontrol:  %llu", (unsigned long long)s.n_ctls);
    for (int k = 0; k <= ROOST_CTL_OTHER; k++) {
        if (s.n_ctl_kind[k] > 0) {
            printf(" %s=%llu", roost_ctl_kind_name((enum roost_ctl_kind)k),
                   (unsigned long long)s.n_ctl_kind[k]);
        }
    }
    printf("\ninvalid:  %llu", (unsigned long long)s.dl.n_total);
    if (s.dl.n_total > 0) {
        printf(" (parse=%llu utf8=%llu limit=%llu other=%llu)",
               (unsigned long long)s.dl.n_parse,
               (unsigned long long)s.dl.n_utf8,
               (unsigned long long)s.dl.n_limit,
               (unsigned long long)s.dl.n_other);
    }
    printf("\n");
    uint64_t bad = s.dl.n_total;
    roost_deadletter_close(&s.dl);
    if (rc != 0) {
        return CLI_EXIT_FAIL;
    }
    return bad == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
