/* SPDX-License-Identifier: MIT
 *
 * cmd_check.c - `roost check`: validate records, print a summary.
 *
 * Two modes. The default parses and normalizes every record like
 * `roost normalize` and counts posts, control events by kind, and invalid
 * records with line and reason. --json-only checks that one file is
 * exactly one JSON text (the JSONTestSuite contract).
 */
#include <errno.h>
#include <string.h>

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

static int read_all(const char *path, char **out, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "roost: cannot open %s: %s\n", path, strerror(errno));
        return ROOST_ERR(ROOST_EIO);
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
    *out = roost_buf_take(&b, len);
    return 0;
}

static int json_only(const char *path)
{
    char *buf = NULL;
    size_t len = 0;
    if (read_all(path, &buf, &len) < 0) {
        return CLI_EXIT_USAGE;
    }
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    int rc = roost_json_valid(buf, len, ROOST_JSON_DEFAULT_DEPTH, &diag);
    if (rc == 0) {
        printf("%s: valid json\n", path);
    } else {
        printf("%s: invalid json at byte %llu: %s\n", path,
               (unsigned long long)diag.offset, diag.msg);
    }
    roost_free(buf);
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
