/* SPDX-License-Identifier: MIT
 *
 * cmd_entities.c - `roost entities --text STRING`: twitter-text extraction.
 */
#include <string.h>

#include "cli/cli.h"
#include "parse/entities.h"

#define MAX_ENTITIES 1024

static void emit_kind(struct roost_buf *b, const char *name, unsigned kind,
                      const char *text, const struct roost_extracted *ex,
                      size_t n)
{
    roost_buf_printf(b, "\"%s\":[", name);
    bool first = true;
    for (size_t i = 0; i < n; i++) {
        if (ex[i].kind != kind) {
            continue;
        }
        if (!first) {
            roost_buf_addc(b, ',');
        }
        first = false;
        roost_buf_adds(b, "{\"text\":");
        roost_buf_add_json_str(b, text + ex[i].value_off, ex[i].value_len);
        if (ex[i].list_len > 0) {
            roost_buf_adds(b, ",\"list_slug\":");
            roost_buf_add_json_str(b, text + ex[i].list_off, ex[i].list_len);
        }
        roost_buf_printf(b, ",\"indices\":[%u,%u]}", ex[i].start, ex[i].end);
    }
    roost_buf_addc(b, ']');
}

int cmd_entities(int argc, char **argv)
{
    const char *text = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v = NULL;
        if (cli_opt_value(argc, argv, &i, "--text", &v)) {
            if (v == NULL) {
                return CLI_EXIT_USAGE;
            }
            text = v;
        } else {
            fprintf(stderr, "roost: entities: unknown argument '%s'\n",
                    argv[i]);
            return CLI_EXIT_USAGE;
        }
    }
    if (text == NULL) {
        fprintf(stderr, "usage: roost entities --text STRING\n");
        return CLI_EXIT_USAGE;
    }
    size_t len = strlen(text);
    if (!roost_utf8_valid(text, len)) {
        fprintf(stderr, "roost: entities: the text is not valid UTF-8\n");
        return CLI_EXIT_FAIL;
    }
    static struct roost_extracted ex[MAX_ENTITIES];
    int n = roost_entities_extract(text, len, ROOST_ENT_ALL, ex, MAX_ENTITIES);
    if (n < 0) {
        fprintf(stderr, "roost: entities: %s\n", roost_strerror(n));
        return CLI_EXIT_FAIL;
    }
    size_t m = (size_t)n < MAX_ENTITIES ? (size_t)n : MAX_ENTITIES;
    struct roost_buf b;
    roost_buf_init(&b, 64u << 20);
    roost_buf_addc(&b, '{');
    emit_kind(&b, "hashtags", ROOST_ENT_HASHTAG, text, ex, m);
    roost_buf_addc(&b, ',');
    emit_kind(&b, "mentions", ROOST_ENT_MENTION, text, ex, m);
    roost_buf_addc(&b, ',');
    emit_kind(&b, "urls", ROOST_ENT_URL, text, ex, m);
    roost_buf_addc(&b, ',');
    emit_kind(&b, "cashtags", ROOST_ENT_CASHTAG, text, ex, m);
    int rc = roost_buf_adds(&b, "}\n");
    if (rc == 0) {
        fwrite(b.ptr, 1, b.len, stdout);
    }
    roost_buf_fini(&b);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
