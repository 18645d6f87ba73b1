/* SPDX-License-Identifier: MIT
 *
 * cmd_query.c - `roost query`, `roost search` and `roost export`: the
 * SQLite store (store/store_query.h) from the command line.
 *
 *   query   one read-only SQL statement; table (Spark's show()), csv,
 *           json or jsonl
 *   search  full-text search, bm25-ranked, with highlighted snippets
 *   export  every stored post as CSV (stable columns) or JSONL
 *
 * The store is opened read-only with an authorizer, so these verbs can
 * never change it. Rows stream to stdout except for tables, which need
 * every row's width first and so keep at most --limit rows.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/table.h"
#include "core/mem.h"
#include "core/option.h"
#include "store/post_csv.h"
#include "store/store_query.h"

#define TABLE_MAX_COLS 16 /* cli_table_print's limit: wider is split */
#define DEFAULT_DB     "roost.db"

const char *cmd_query_usage =
    "usage: roost query 'SQL' [--db FILE] [--format table|csv|json|jsonl]\n"
    "                   [--full] [--limit N]\n"
    "\n"
    "Runs one SQL statement against the SQLite store, read-only: the file\n"
    "is opened read-only and an authorizer refuses writes, DDL, ATTACH\n"
    "and pragmas that write (exit 1, nothing changes).\n"
    "\n"
    "  --db FILE     the store (default $ROOST_DB, else ./roost.db)\n"
    "  --format F    table (default; like Spark's show(): right-aligned,\n"
    "                cells cut at 20 characters), csv (RFC 4180, header\n"
    "                row), json (one array) or jsonl (an object per row)\n"
    "  --full        do not cut table cells\n"
    "  --limit N     at most N rows (table default 20, others all)\n"
    "\n"
    "Views make the usual questions one-liners (docs/queries.md):\n"
    "  live_posts, top_hashtags_1h, post_rate_2s, hashtag_influencers,\n"
    "  related_hashtags, posts_per_user, term_mentions\n"
    "'Last minute/hour' is relative to the newest post in the store.\n"
    "\n"
    "  roost query 'SELECT * FROM top_hashtags_1h LIMIT 10'\n"
    "  roost query \"SELECT * FROM hashtag_influencers WHERE tag = "
    "'covid19'\"\n";

const char *cmd_search_usage =
    "usage: roost search 'words or \"a phrase\"' [--db FILE] [--since T]\n"
    "                    [--until T] [--lang L] [--from HANDLE]\n"
    "                    [--limit N] [--format table|csv|json|jsonl]\n"
    "                    [--full]\n"
    "\n"
    "Full-text search over post text (FTS5, unicode61 with diacritics\n"
    "removed), best matches first (bm25), each with a snippet where the\n"
    "matches are [bracketed]. Words must all match; \"quoted words\" match\n"
    "as a phrase; word* is a prefix; OR and NOT (upper case) combine.\n"
    "Deleted posts are never found.\n"
    "\n"
    "  --since T, --until T   created_at in [since, until): ISO 8601 UTC\n"
    "                         or epoch ms\n"
    "  --lang L               language tag, e.g. en\n"
    "  --from HANDLE          author handle, case-insensitive\n"
    "  --limit N              at most N results (default 20)\n";

const char *cmd_export_usage =
    "usage: roost export [--db FILE] --format csv|jsonl\n"
    "                    [--columns default|all|id,text,...]\n"
    "                    [--since T] [--until T] [--flatten] [--out FILE]\n"
    "\n"
    "Writes every stored post that is not deleted, in the order stored.\n"
    "csv: the stable, versioned columns (docs/queries.md), a header row,\n"
    "RFC 4180 quoting, lists joined by spaces, ISO 8601 UTC times: pandas\n"
    "read_csv and DuckDB read it without options. jsonl: one post per\n"
    "line with the fields of docs/post-model.md (pandas\n"
    "read_json(lines=True)).\n"
    "\n"
    "  --columns C   csv columns: default, all (default plus format,\n"
    "                conversation_id, cashtags, media, sensitive,\n"
    "                truncated, place_id, url) or a comma list\n"
    "  --flatten     jsonl: only the posts the stream delivered, each with\n"
    "                \"referenced_posts\": {reply_to, retweet_of, quote_of}\n"
    "                holding the referenced posts themselves (or null)\n"
    "  --out FILE    write there instead of stdout\n";

/* ---- arguments ------------------------------------------------------------
 */

static int parse_time(const char *s, int64_t *ms)
{
    if (s == NULL || s[0] == '\0') {
        return ROOST_EINVAL;
    }
    if (roost_parse_i64(s, ms) == 0) {
        return 0;
    }
    return roost_time_parse(s, strlen(s), ms);
}

enum out_format {
    OUT_TABLE = 0,
    OUT_CSV,
    OUT_JSON,
    OUT_JSONL,
};

static int parse_out_format(const char *v, int *out)
{
    static const char *const names[] = { "table", "csv", "json", "jsonl" };
    for (int i = 0; v != NULL && i < 4; i++) {
        if (strcmp(v, names[i]) == 0) {
            *out = i;
            return 0;
        }
    }
    fprintf(stderr, "roost: --format table|csv|json|jsonl, not '%s'\n",
            v ? v : "");
    return -1;
}

static const char *default_db(void)
{
    const char *e = getenv("ROOST_DB");
    return e != NULL && e[0] != '\0' ? e : DEFAULT_DB;
}

static int open_store(const char *verb, const char *db, struct roost_store **s)
{
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    int rc = roost_store_open(db, s, &diag);
    if (rc < 0) {
        fprintf(stderr, "roost: %s: %s\n", verb, diag.msg);
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* ---- row printers -----------------------------------------------------------
 */

struct printer {
    int format;       /* enum out_format */
    size_t max_width; /* table cells; 0: full */
    int64_t limit;    /* table rows kept */
    FILE *out;
    struct roost_buf line;
    /* table: header + rows, row-major, owned copies */
    char **cells;
    size_t n_cols, n_rows, cap_rows;
    bool more; /* table: rows beyond the limit exist */
    uint64_t n_printed;
};

static char *dup_cell(const struct roost_store_row *r, size_t i)
{
    if (r->values[i] == NULL) {
        return NULL;
    }
    if (r->types[i] == ROOST_STORE_BLOB) {
        char tmp[48];
        int n = snprintf(tmp, sizeof(tmp), "<blob %zu bytes>", r->lens[i]);
        return roost_strndup(tmp, (size_t)n);
    }
    return roost_strndup(r->values[i], r->lens[i]);
}

static int table_row(struct printer *pr, const struct roost_store_row *r)
{
    if (r->n_cols == 0) {
        return 0; /* a statement without columns */
    }
    if (r->values == NULL) {
        pr->n_cols = r->n_cols;
    } else if ((int64_t)pr->n_rows >= pr->limit) {
        pr->more = true;
        return 1; /* stop: enough rows */
    }
    size_t need = (pr->n_rows + 2) * pr->n_cols;
    if (need > pr->cap_rows) {
        size_t ncap = need * 2;
        char **nc = roost_realloc(pr->cells, ncap * sizeof(*nc));
        if (nc == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        pr->cells = nc;
        pr->cap_rows = ncap;
    }
    char **row =
        pr->cells + (r->values == NULL ? 0 : (pr->n_rows + 1)) * pr->n_cols;
    for (size_t i = 0; i < r->n_cols; i++) {
        row[i] = r->values == NULL
                     ? roost_strndup(r->names[i], strlen(r->names[i]))
                     : dup_cell(r, i);
        if (r->values == NULL && row[i] == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
    }
    if (r->values != NULL) {
        pr->n_rows++;
    }
    return 0;
}

static void table_print(struct printer *pr)
{
    if (pr->n_cols == 0) {
        return;
    }
    size_t stride = pr->n_cols;
    for (size_t c0 = 0; c0 < pr->n_cols; c0 += TABLE_MAX_COLS) {
        size_t w =
            pr->n_cols - c0 < TABLE_MAX_COLS ? pr->n_cols - c0 : TABLE_MAX_COLS;
        const char **cells = roost_calloc((pr->n_rows + 1) * w, sizeof(*cells));
        if (cells == NULL) {
            return;
        }
        for (size_t r = 0; r <= pr->n_rows; r++) {
            for (size_t c = 0; c < w; c++) {
                cells[r * w + c] = pr->cells[r * stride + c0 + c];
            }
        }
        cli_table_print(pr->out, cells, pr->n_rows, w, pr->max_width);
        roost_free(cells);
    }
    if (pr->more) {
        fprintf(pr->out, "only showing top %zu row%s\n", pr->n_rows,
                pr->n_rows == 1 ? "" : "s");
    }
}

static void table_free(struct printer *pr)
{
    size_t n = pr->n_cols == 0 ? 0 : (pr->n_rows + 1) * pr->n_cols;
    for (size_t i = 0; pr->cells != NULL && i < n; i++) {
        roost_free(pr->cells[i]);
    }
    roost_free(pr->cells);
}

static bool is_json_number(const char *s)
{
    return strcmp(s, "Inf") != 0 && strcmp(s, "-Inf") != 0 &&
           strcmp(s, "NaN") != 0;
}

static int json_value(struct roost_buf *b, const struct roost_store_row *r,
                      size_t i)
{
    const char *v = r->values[i];
    switch (r->types[i]) {
    case ROOST_STORE_NULL:
        return roost_buf_adds(b, "null");
    case ROOST_STORE_INT:
        return roost_buf_add(b, v, r->lens[i]);
    case ROOST_STORE_REAL:
        return is_json_number(v) ? roost_buf_add(b, v, r->lens[i])
                                 : roost_buf_adds(b, "null");
    case ROOST_STORE_BLOB: {
        int rc = roost_buf_addc(b, '"');
        for (size_t k = 0; rc == 0 && k < r->lens[i]; k++) {
            rc = roost_buf_printf(b, "%02x", (unsigned char)v[k]);
        }
        return rc == 0 ? roost_buf_addc(b, '"') : rc;
    }
    default:
        return roost_buf_add_json_str(b, v, r->lens[i]);
    }
}

static int stream_row(struct printer *pr, const struct roost_store_row *r)
{
    struct roost_buf *b = &pr->line;
    int rc = 0;

    roost_buf_reset(b);
    if (r->values == NULL) {
        if (pr->format == OUT_JSON) {
            rc = roost_buf_addc(b, '[');
        }
        for (size_t i = 0; pr->format == OUT_CSV && rc == 0 && i < r->n_cols;
             i++) {
            if (i > 0) {
                rc = roost_buf_addc(b, ',');
            }
            if (rc == 0) {
                rc = roost_post_csv_field(b, r->names[i], strlen(r->names[i]));
            }
        }
        if (rc == 0 && pr->format == OUT_CSV) {
            rc = roost_buf_addc(b, '\n');
        }
    } else if (pr->format == OUT_CSV) {
        for (size_t i = 0; rc == 0 && i < r->n_cols; i++) {
            if (i > 0) {
                rc = roost_buf_addc(b, ',');
            }
            if (rc == 0 && r->values[i] != NULL) {
                rc = r->types[i] == ROOST_STORE_BLOB
                         ? json_value(b, r, i)
                         : roost_post_csv_field(b, r->values[i], r->lens[i]);
            }
        }
        if (rc == 0) {
            rc = roost_buf_addc(b, '\n');
        }
    } else {
        if (pr->format == OUT_JSON) {
            rc = roost_buf_adds(b, pr->n_printed > 0 ? ",\n" : "\n");
        }
        if (rc == 0) {
            rc = roost_buf_addc(b, '{');
        }
        for (size_t i = 0; rc == 0 && i < r->n_cols; i++) {
            if (i > 0) {
                rc = roost_buf_addc(b, ',');
            }
            if (rc == 0) {
                rc =
                    roost_buf_add_json_str(b, r->names[i], strlen(r->names[i]));
            }
            if (rc == 0) {
                rc = roost_buf_addc(b, ':');
            }
            if (rc == 0) {
                rc = json_value(b, r, i);
            }
        }
        if (rc == 0) {
            rc = roost_buf_adds(b, pr->format == OUT_JSONL ? "}\n" : "}");
        }
        pr->n_printed++;
    }
    if (rc == 0 && b->len > 0 && fwrite(b->ptr, 1, b->len, pr->out) != b->len) {
        rc = ROOST_ERR(ROOST_EIO);
    }
    return rc;
}

static int on_row(void *arg, const struct roost_store_row *r)
{
    struct printer *pr = arg;
    return pr->format == OUT_TABLE ? table_row(pr, r) : stream_row(pr, r);
}

/* run_and_print - one query or search through the printer. */
static int finish(const char *verb, struct printer *pr, int rc,
                  const struct roost_diag *diag)
{
    if (rc == 1 && pr->format == OUT_TABLE) {
        rc = 0; /* stopped at the limit */
    }
    if (rc == 0 && pr->format == OUT_TABLE) {
        table_print(pr);
    } else if (rc == 0 && pr->format == OUT_JSON) {
        fputs(pr->n_printed > 0 ? "\n]\n" : "]\n", pr->out);
    }
    table_free(pr);
    roost_buf_fini(&pr->line);
    if (fflush(pr->out) != 0 && rc == 0) {
        fprintf(stderr, "roost: %s: cannot write: %s\n", verb, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    if (rc < 0) {
        fprintf(stderr, "roost: %s: %s\n", verb,
                diag->msg[0] ? diag->msg : roost_strerror(rc));
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* ---- verbs
 * -------------------------------------------------------------------- */

/* Options shared by query and search; 1 when argv[*i] was one, -1 bad. */
static int shared_opt(int argc, char **argv, int *i, const char **db,
                      struct printer *pr, bool *limit_set)
{
    const char *v = NULL;
    if (cli_opt_value(argc, argv, i, "--db", &v)) {
        *db = v;
    } else if (cli_opt_value(argc, argv, i, "--format", &v)) {
        return v != NULL && parse_out_format(v, &pr->format) == 0 ? 1 : -1;
    } else if (cli_opt_value(argc, argv, i, "--limit", &v)) {
        if (v == NULL || roost_parse_i64(v, &pr->limit) < 0 || pr->limit < 0) {
            fprintf(stderr, "roost: --limit wants a count\n");
            return -1;
        }
        *limit_set = true;
        return 1;
    } else if (strcmp(argv[*i], "--full") == 0) {
        pr->max_width = 0;
        return 1;
    } else {
        return 0;
    }
    return v != NULL ? 1 : -1;
}

int cmd_query(int argc, char **argv)
{
    struct printer pr = { .format = OUT_TABLE, .max_width = 20, .out = stdout };
    const char *db = default_db(), *sql = NULL;
    bool limit_set = false;

    for (int i = 1; i < argc; i++) {
        int c = shared_opt(argc, argv, &i, &db, &pr, &limit_set);
        if (c < 0) {
            return CLI_EXIT_USAGE;
        }
        if (c > 0) {
            continue;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "roost: query: unknown option '%s'\n", argv[i]);
            return CLI_EXIT_USAGE;
        }
        if (sql != NULL) {
            fprintf(stderr, "roost: query: one SQL statement, quoted\n");
            return CLI_EXIT_USAGE;
        }
        sql = argv[i];
    }
    if (sql == NULL) {
        fputs(cmd_query_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    if (!limit_set) {
        pr.limit = pr.format == OUT_TABLE ? 20 : -1;
    }
    struct roost_store *s = NULL;
    if (open_store("query", db, &s) != CLI_EXIT_OK) {
        return CLI_EXIT_FAIL;
    }
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    roost_buf_init(&pr.line, 256u << 20);
    /* Tables ask for one row more than they show, to say "only showing". */
    int64_t max_rows = pr.format == OUT_TABLE ? pr.limit + 1 : pr.limit;
    int rc = roost_store_query(s, sql, max_rows, on_row, &pr, &diag);
    roost_store_close(s);
    return finish("query", &pr, rc, &diag);
}

int cmd_search(int argc, char **argv)
{
    struct printer pr = { .format = OUT_TABLE, .max_width = 0, .out = stdout };
    struct roost_search_q q = { .since_ms = INT64_MIN, .until_ms = INT64_MAX };
    const char *db = default_db();
    bool limit_set = false;

    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        int c = shared_opt(argc, argv, &i, &db, &pr, &limit_set);
        if (c < 0) {
            return CLI_EXIT_USAGE;
        }
        if (c > 0) {
            continue;
        }
        int64_t *when = NULL;
        if (cli_opt_value(argc, argv, &i, "--since", &v)) {
            when = &q.since_ms;
        } else if (cli_opt_value(argc, argv, &i, "--until", &v)) {
            when = &q.until_ms;
        }
        if (when != NULL) {
            if (parse_time(v, when) < 0) {
                fprintf(stderr,
                        "roost: search: bad time '%s' (ISO 8601 or "
                        "epoch ms)\n",
                        v ? v : "");
                return CLI_EXIT_USAGE;
            }
        } else if (cli_opt_value(argc, argv, &i, "--lang", &v)) {
            q.lang = v;
        } else if (cli_opt_value(argc, argv, &i, "--from", &v)) {
            q.from = v;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "roost: search: unknown option '%s'\n", argv[i]);
            return CLI_EXIT_USAGE;
        } else if (q.words == NULL) {
            q.words = argv[i];
            continue;
        } else {
            fprintf(stderr, "roost: search: quote the words as one "
                            "argument\n");
            return CLI_EXIT_USAGE;
        }
        if (v == NULL) {
            return CLI_EXIT_USAGE;
        }
    }
    if (q.words == NULL) {
        fputs(cmd_search_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    q.limit = limit_set ? pr.limit : 20;
    pr.limit = q.limit;
    struct roost_store *s = NULL;
    if (open_store("search", db, &s) != CLI_EXIT_OK) {
        return CLI_EXIT_FAIL;
    }
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    roost_buf_init(&pr.line, 256u << 20);
    int rc = roost_store_search(s, &q, on_row, &pr, &diag);
    roost_store_close(s);
    pr.more = false; /* the limit is the search's own */
    return finish("search", &pr, rc, &diag);
}

static int write_out(void *arg, const char *p, size_t len)
{
    return fwrite(p, 1, len, arg) == len ? 0 : ROOST_ERR(ROOST_EIO);
}

int cmd_export(int argc, char **argv)
{
    struct roost_export_q q = { .format = -1,
                                .since_ms = INT64_MIN,
                                .until_ms = INT64_MAX };
    const char *db = default_db(), *out_path = NULL;

    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (cli_opt_value(argc, argv, &i, "--db", &v)) {
            db = v;
        } else if (cli_opt_value(argc, argv, &i, "--format", &v)) {
            if (v != NULL && strcmp(v, "csv") == 0) {
                q.format = ROOST_EXPORT_CSV;
            } else if (v != NULL && strcmp(v, "jsonl") == 0) {
                q.format = ROOST_EXPORT_JSONL;
            } else {
                fprintf(stderr, "roost: export: --format csv|jsonl\n");
                return CLI_EXIT_USAGE;
            }
        } else if (cli_opt_value(argc, argv, &i, "--columns", &v)) {
            q.columns = v;
        } else if (cli_opt_value(argc, argv, &i, "--since", &v)) {
            if (parse_time(v, &q.since_ms) < 0) {
                fprintf(stderr, "roost: export: bad time '%s'\n", v ? v : "");
                return CLI_EXIT_USAGE;
            }
        } else if (cli_opt_value(argc, argv, &i, "--until", &v)) {
            if (parse_time(v, &q.until_ms) < 0) {
                fprintf(stderr, "roost: export: bad time '%s'\n", v ? v : "");
                return CLI_EXIT_USAGE;
            }
        } else if (cli_opt_value(argc, argv, &i, "--out", &v)) {
            out_path = v;
        } else if (strcmp(argv[i], "--flatten") == 0) {
            q.flatten = true;
            v = argv[i];
        } else {
            fprintf(stderr, "roost: export: unknown argument '%s'\n", argv[i]);
            return CLI_EXIT_USAGE;
        }
        if (v == NULL) {
            return CLI_EXIT_USAGE;
        }
    }
    if (q.format < 0) {
        fputs(cmd_export_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    if (q.flatten && q.format != ROOST_EXPORT_JSONL) {
        fprintf(stderr, "roost: export: --flatten is for --format jsonl\n");
        return CLI_EXIT_USAGE;
    }
    if (q.columns != NULL && q.format != ROOST_EXPORT_CSV) {
        fprintf(stderr, "roost: export: --columns is for --format csv\n");
        return CLI_EXIT_USAGE;
    }
    struct roost_store *s = NULL;
    if (open_store("export", db, &s) != CLI_EXIT_OK) {
        return CLI_EXIT_FAIL;
    }
    FILE *f = stdout;
    if (out_path != NULL && strcmp(out_path, "-") != 0) {
        f = fopen(out_path, "w");
        if (f == NULL) {
            fprintf(stderr, "roost: export: cannot write %s: %s\n", out_path,
                    strerror(errno));
            roost_store_close(s);
            return CLI_EXIT_FAIL;
        }
    }
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    uint64_t n = 0;
    int rc = roost_store_export(s, &q, write_out, f, &n, &diag);
    roost_store_close(s);
    bool write_failed = fflush(f) != 0;
    if (f != stdout) {
        write_failed |= fclose(f) != 0;
    }
    if (rc < 0 || write_failed) {
        fprintf(stderr, "roost: export: %s\n",
                rc < 0 && diag.msg[0] ? diag.msg : "cannot write the output");
        return CLI_EXIT_FAIL;
    }
    fprintf(stderr, "export: %llu posts\n", (unsigned long long)n);
    return CLI_EXIT_OK;
}
