/* SPDX-License-Identifier: MIT
 *
 * cmd_rules.c - `roost rules`: the X API v2 filtered-stream rules that
 * decide what an x2 source receives (src/source/src_x.h).
 *
 *     roost rules list
 *     roost rules add 'covid lang:en#covid' '"new year" -is:retweet'
 *     roost rules dry-run 'bad rule ('
 *     roost rules delete 1623488237124 1623488237125
 *
 * A rule is VALUE or VALUE#TAG. The server's JSON answer is printed as it
 * came; errors (a refused token, an invalid rule) go to stderr with the
 * server's message, exit status 1.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "source/src_x.h"

const char *cmd_rules_usage =
    "usage: roost rules list|add|delete|dry-run [--api URL]\n"
    "                   [--credentials FILE] [RULE|ID...]\n"
    "\n"
    "Manages the rules of the X API v2 filtered stream (the x2 source).\n"
    "add and dry-run take rules as VALUE or VALUE#TAG; dry-run asks X to\n"
    "validate them without saving; delete takes rule ids (see list).\n"
    "--api defaults to https://api.twitter.com. The bearer token comes\n"
    "from --credentials FILE (bearer_token = ..., mode 0600) or the\n"
    "X_BEARER_TOKEN environment variable; it is never printed.\n";

int cmd_rules(int argc, char **argv)
{
    const char *api = "https://api.twitter.com";
    const char *credentials = NULL;
    const char *args[256];
    size_t n_args = 0;
    enum roost_x2_rules_op op;

    if (argc < 2) {
        fputs(cmd_rules_usage, stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "list") == 0) {
        op = ROOST_X2_RULES_LIST;
    } else if (strcmp(argv[1], "add") == 0) {
        op = ROOST_X2_RULES_ADD;
    } else if (strcmp(argv[1], "delete") == 0) {
        op = ROOST_X2_RULES_DELETE;
    } else if (strcmp(argv[1], "dry-run") == 0) {
        op = ROOST_X2_RULES_DRY_RUN;
    } else {
        fprintf(stderr, "roost rules: unknown action '%s'\n%s", argv[1],
                cmd_rules_usage);
        return CLI_EXIT_USAGE;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--api") == 0 && i + 1 < argc) {
            api = argv[++i];
        } else if (strcmp(argv[i], "--credentials") == 0 && i + 1 < argc) {
            credentials = argv[++i];
        } else if (n_args < sizeof(args) / sizeof(args[0])) {
            args[n_args++] = argv[i];
        } else {
            fprintf(stderr, "roost rules: at most 256 rules at once\n");
            return CLI_EXIT_USAGE;
        }
    }
    struct roost_buf out;
    struct roost_diag diag;
    memset(&diag, 0, sizeof(diag));
    roost_buf_init(&out, 16u << 20);
    int rc = roost_x2_rules(api, credentials, op, args, n_args, &out, &diag);
    if (rc < 0) {
        fprintf(stderr, "roost rules: %s\n", diag.msg);
        roost_buf_fini(&out);
        return CLI_EXIT_FAIL;
    }
    fwrite(out.ptr, 1, out.len, stdout);
    if (out.len > 0 && out.ptr[out.len - 1] != '\n') {
        fputc('\n', stdout);
    }
    roost_buf_fini(&out);
    return CLI_EXIT_OK;
}
