/* SPDX-License-Identifier: MIT
 *
 * cli.h - what the CLI's files share: verbs, the record reader, output.
 *
 * Each verb is `int cmd_<verb>(int argc, char **argv)` returning the
 * process exit status (0 ok, 1 failure or invalid input where the verb
 * says so, 2 usage). Only main.c calls exit().
 */
#ifndef ROOST_CLI_H
#define ROOST_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/str.h"
#include "parse/json.h"
#include "parse/post.h"

#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2

int cmd_normalize(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_entities(int argc, char **argv);
int cmd_top(int argc, char **argv);
int cmd_collect(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_replay(int argc, char **argv);
int cmd_archive(int argc, char **argv);
extern const char *cmd_archive_usage;
int cmd_stream(int argc, char **argv);
extern const char *cmd_stream_usage;
int cmd_run(int argc, char **argv);
extern const char *cmd_run_usage;
int cmd_simulate(int argc, char **argv);
extern const char *cmd_simulate_usage;
int cmd_query(int argc, char **argv);
extern const char *cmd_query_usage;
int cmd_search(int argc, char **argv);
extern const char *cmd_search_usage;
int cmd_export(int argc, char **argv);
extern const char *cmd_export_usage;
int cmd_rules(int argc, char **argv);
extern const char *cmd_rules_usage;
int cmd_serve(int argc, char **argv);
extern const char *cmd_serve_usage;

/* cli_help - print help for one verb (or the overview when NULL). */
int cli_help(const char *verb, FILE *out);

/* ---- reading records from files and stdin ------------------------------- */

enum cli_rec_status {
    CLI_REC_OK = 0,   /* parsed and normalized */
    CLI_REC_BAD,      /* malformed: reason in diag */
};

/* One record as seen by a verb's callback. */
struct cli_rec {
    const char *file;   /* "-" for stdin */
    uint64_t line;      /* 1-based line where the record starts */
    const char *raw;    /* the record's bytes (may be a prefix if huge) */
    size_t raw_len;
    int status;         /* enum cli_rec_status */
    int err;            /* ROOST_E* when bad */
    struct roost_diag *diag;
    struct roost_norm *norm; /* posts and control events when ok */
};

typedef int cli_rec_fn(void *arg, const struct cli_rec *rec);

struct cli_reader_opts {
    enum roost_format format;
    size_t max_record_bytes;
    bool extract_missing;
    bool text_lines; /* every line is a plain-text post */
    bool syntax_only; /* parse each record as JSON, normalize nothing */
    unsigned want;    /* roost_norm.want (enum roost_norm_want); 0: all */
};

/*
 * cli_read_inputs - read every path (or stdin for "-" / none), frame it
 * into records, parse and normalize each, and call fn per record.
 * Returns 0, or a negative ROOST_E* for I/O errors (reported on stderr);
 * a non-zero return from fn stops reading and is returned.
 */
int cli_read_inputs(char **paths, int n_paths,
                    const struct cli_reader_opts *opts, cli_rec_fn *fn,
                    void *arg);

/*
 * cli_read_inputs_par - cli_read_inputs() on up to n_workers threads:
 * each regular file of 16 MiB or more is cut at record boundaries into
 * ranges that are read in parallel, and worker w calls fn(args[w], rec),
 * so fn must only touch its own args[w] (the caller merges them after).
 * Smaller files, stdin and text lines are read whole by worker 0. Within
 * a range records come in file order; ranges interleave. In a range that
 * does not start the file, rec->line counts from the range's start.
 * Returns as cli_read_inputs(); a worker's failure stops nothing else but
 * is returned.
 */
int cli_read_inputs_par(char **paths, int n_paths,
                        const struct cli_reader_opts *opts, unsigned n_workers,
                        cli_rec_fn *fn, void **args);

/* cli_cpu_count - CPUs this process may run on (its affinity mask). */
unsigned cli_cpu_count(void);

/*
 * cli_opt_value - if argv[*i] is `name VALUE` or `name=VALUE`, set *val,
 * advance *i past it and return true. A missing value prints an error and
 * sets *val to NULL (still returning true).
 */
bool cli_opt_value(int argc, char **argv, int *i, const char *name,
                   const char **val);

/* cli_dl_write - send a bad record to the dead-letter file. */
struct roost_deadletter;
int cli_dl_write(struct roost_deadletter *dl, const struct cli_rec *rec);

/* cli_parse_size - "1MiB", "64k", "1048576" to bytes. */
int cli_parse_size(const char *s, size_t *out);

#endif /* ROOST_CLI_H */
