/* SPDX-License-Identifier: MIT
 *
 * deadletter.h - where the batch verbs put records they cannot use.
 */
#ifndef ROOST_CLI_DEADLETTER_H
#define ROOST_CLI_DEADLETTER_H

#include <stdio.h>

#include "cli/cli.h"

struct cli_dl {
    FILE *f;         /* NULL: count only */
    struct roost_buf line;
    uint64_t n_total;
    uint64_t n_parse; /* malformed JSON or not a post */
    uint64_t n_utf8;  /* invalid UTF-8 */
    uint64_t n_limit; /* over a size or depth limit */
    uint64_t n_other;
};

/* cli_dl_open - path NULL keeps counts only. */
int cli_dl_open(struct cli_dl *dl, const char *path);
int cli_dl_write(struct cli_dl *dl, const struct cli_rec *rec);
int cli_dl_close(struct cli_dl *dl);
/* cli_dl_class - short name of an error class: parse, utf8, limit... */
const char *cli_dl_class(int err);

#endif /* ROOST_CLI_DEADLETTER_H */
