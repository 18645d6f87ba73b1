/* SPDX-License-Identifier: MIT
 *
 * cmd_normalize.c - `roost normalize`: records in, one post per line out.
 *
 * Output is buffered and written in large blocks; every bad record is
 * reported on stderr with its file and line, counted, sent to the
 * dead-letter file when one is given, and skipped.
 */
#include <string.h>

#include "cli/cli.h"
#include "store/deadletter.h"

#define OUT_FLUSH_BYTES (1u << 20)

struct norm_state {
    struct roost_buf out;
    struct roost_deadletter dl;
    bool control;
    uint64_t n_records, n_posts, n_ctls;
};

static int flush_out(struct norm_state *s)
{
    if (s->out.len > 0 && fwrite(s->out.ptr, 1, s->out.len, stdout) !=
                              s->out.len) {
        return ROOST_ERR(ROOST_EIO);
    }
    roost_buf_reset(&s->out);
    return 0;
}

static int on_record(void *arg, const struct cli_rec *rec)
{
    struct norm_state *s = arg;
    s->n_records++;
    if (rec->status != CLI_REC_OK) {
        fprintf(stderr, "%s:%llu: %s: %s\n", rec->file,
                (unsigned long long)rec->line, roost_deadletter_class(rec->err),
                rec->diag->msg);
        return cli_dl_write(&s->dl, rec) < 0 ? CLI_EXIT_FAIL : 0;
    }
    const struct roost_norm *n = rec->norm;
    for (uint32_t i = 0; i < n->n_posts; i++) {
        if (roost_post_write_json(&n->posts[i], &s->out) < 0 ||
            roost_buf_addc(&s->out, '\n') < 0) {
            return CLI_EXIT_FAIL;
        }
    }
    s->n_posts += n->n_posts;
    s->n_ctls += n->n_ctls;
    for (uint32_t i = 0; s->control && i < n->n_ctls; i++) {
        if (roost_ctl_write_json(&n->ctls[i], &s->out) < 0 ||
            roost_buf_addc(&s->out, '\n') < 0) {
            return CLI_EXIT_FAIL;
        }
    }
    if (s->out.len >= OUT_FLUSH_BYTES && flush_out(s) < 0) {
        return CLI_EXIT_FAIL;
    }
    return 0;
}

int cmd_normalize(int argc, char **argv)
{
    struct cli_reader_opts opts = {
        .format = ROOST_FMT_AUTO,
        .max_record_bytes = 1u << 20,
        .extract_missing = true,
    };
    const char *dl_path = NULL;
    bool control = false;
    int i = 1;
    for (; i < argc; i++) {
        const char *v = NULL;
        if (cli_opt_value(argc, argv, &i, "--format", &v)) {
            if (v == NULL) {
                return CLI_EXIT_USAGE;
            }
            if (roost_format_parse(v, &opts.format) < 0) {
                fprintf(stderr, "roost: unknown format '%s' (auto, v1, v2, "
                                "jetstream, mastodon, text)\n", v);
                return CLI_EXIT_USAGE;
            }
            opts.text_lines = opts.format == ROOST_FMT_TEXT;
        } else if (cli_opt_value(argc, argv, &i, "--dead-letter", &v)) {
            if (v == NULL) {
                return CLI_EXIT_USAGE;
            }
            dl_path = v;
        } else if (cli_opt_value(argc, argv, &i, "--max-record-bytes", &v)) {
            if (v == NULL || cli_parse_size(v, &opts.max_record_bytes) < 0) {
                fprintf(stderr, "roost: bad size '%s'\n", v ? v : "");
                return CLI_EXIT_USAGE;
            }
        } else if (strcmp(argv[i], "--control") == 0) {
            control = true;
        } else if (strcmp(argv[i], "--no-extract") == 0) {
            opts.extract_missing = false;
        } else if (strcmp(argv[i], "--") == 0) {
            i++;
            break;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "roost: normalize: unknown option '%s'\n",
                    argv[i]);
            return CLI_EXIT_USAGE;
        } else {
            break;
        }
    }
    struct norm_state s = { .control = control };
    roost_buf_init(&s.out, 256u << 20);
    if (roost_deadletter_open(&s.dl, dl_path) < 0) {
        fprintf(stderr, "roost: cannot open dead-letter file %s\n", dl_path);
        roost_buf_fini(&s.out);
        return CLI_EXIT_FAIL;
    }
    int rc = cli_read_inputs(argv + i, argc - i, &opts, on_record, &s);
    if (flush_out(&s) < 0 && rc == 0) {
        rc = CLI_EXIT_FAIL;
    }
    fprintf(stderr,
            "normalize: %llu records, %llu posts, %llu control events, "
            "%llu invalid\n",
            (unsigned long long)s.n_records, (unsigned long long)s.n_posts,
            (unsigned long long)s.n_ctls, (unsigned long long)s.dl.n_total);
    if (roost_deadletter_close(&s.dl) < 0 && rc == 0) {
        rc = CLI_EXIT_FAIL;
    }
    roost_buf_fini(&s.out);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
