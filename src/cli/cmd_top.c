/* SPDX-License-Identifier: MIT
 *
 * cmd_top.c - `roost top hashtags|mentions|authors|words`: exact top-N
 * over files, the batch answer to "what is trending in this file".
 *
 * Keys are case-folded (parse/tokenize.h); referenced posts (the embedded
 * original of a retweet or quote) are skipped so nothing counts twice.
 * Ties are broken by key so the output is deterministic.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/table.h"
#include "core/map.h"
#include "core/mem.h"
#include "parse/tokenize.h"

#define TOP_MAX_KEYS    (16u << 20)
#define TOP_MAX_THREADS 64

enum top_kind { TOP_HASHTAGS, TOP_MENTIONS, TOP_AUTHORS, TOP_WORDS };

struct top_state {
    enum top_kind kind;
    struct roost_map map;
    struct roost_buf key;
    uint64_t n_posts, n_invalid;
    int err;
};

static void count_key(struct top_state *s, const char *k, size_t len)
{
    if (len == 0) {
        return;
    }
    roost_buf_reset(&s->key);
    if (roost_fold_case(k, len, &s->key) < 0) {
        s->err = ROOST_ENOMEM;
        return;
    }
    int rc = roost_map_add(&s->map, s->key.ptr, s->key.len, 1);
    if (rc < 0 && rc != ROOST_ELIMIT) {
        s->err = rc;
    }
}

static int on_word(void *arg, const char *w, size_t len)
{
    struct top_state *s = arg;
    int rc = roost_map_add(&s->map, w, len, 1);
    if (rc < 0 && rc != ROOST_ELIMIT) {
        s->err = rc;
        return 1;
    }
    return 0;
}

static int on_record(void *arg, const struct cli_rec *rec)
{
    struct top_state *s = arg;
    if (rec->status != CLI_REC_OK) {
        s->n_invalid++;
        return 0;
    }
    for (uint32_t i = 0; i < rec->norm->n_posts; i++) {
        const struct roost_post *p = &rec->norm->posts[i];
        if (p->referenced) {
            continue;
        }
        s->n_posts++;
        switch (s->kind) {
        case TOP_HASHTAGS:
            for (uint32_t j = 0; j < p->n_hashtags; j++) {
                count_key(s, p->hashtags[j].text.ptr, p->hashtags[j].text.len);
            }
            break;
        case TOP_MENTIONS:
            for (uint32_t j = 0; j < p->n_mentions; j++) {
                count_key(s, p->mentions[j].text.ptr, p->mentions[j].text.len);
            }
            break;
        case TOP_AUTHORS:
            if (p->author.handle.len > 0) {
                count_key(s, p->author.handle.ptr, p->author.handle.len);
            } else {
                count_key(s, p->author.id.ptr, p->author.id.len);
            }
            break;
        case TOP_WORDS:
            roost_tokenize_words(p->text.ptr, p->text.len, on_word, s);
            break;
        }
    }
    return s->err != 0 ? CLI_EXIT_FAIL : 0;
}

static const char *const kind_names[] = { "hashtags", "mentions", "authors",
                                          "words" };
static const char *const key_names[] = { "hashtag", "mention", "author",
                                         "word" };

int cmd_top(int argc, char **argv)
{
    if (argc < 2) {
        cli_help("top", stderr);
        return CLI_EXIT_USAGE;
    }
    struct top_state s;
    memset(&s, 0, sizeof(s));
    int k = -1;
    for (int j = 0; j < 4; j++) {
        if (strcmp(argv[1], kind_names[j]) == 0) {
            k = j;
        }
    }
    if (k < 0) {
        fprintf(stderr, "roost: top: unknown key '%s' (hashtags, mentions, "
                        "authors, words)\n", argv[1]);
        return CLI_EXIT_USAGE;
    }
    s.kind = (enum top_kind)k;
    /* Normalize only what is counted (post.h: roost_norm_want). */
    static const unsigned wants[] = {
        [TOP_HASHTAGS] = ROOST_WANT_ENTITIES,
        [TOP_MENTIONS] = ROOST_WANT_ENTITIES,
        [TOP_AUTHORS] = ROOST_WANT_AUTHOR,
        [TOP_WORDS] = ROOST_WANT_TEXT,
    };
    struct cli_reader_opts opts = {
        .format = ROOST_FMT_AUTO,
        .max_record_bytes = 1u << 20,
        .extract_missing = true,
        .want = wants[s.kind],
    };
    long limit = 20;
    long threads = (long)cli_cpu_count();
    bool tsv = false;
    int i = 2;
    for (; i < argc; i++) {
        const char *v = NULL;
        if (cli_opt_value(argc, argv, &i, "--limit", &v)) {
            char *end = NULL;
            limit = v ? strtol(v, &end, 10) : -1;
            if (v == NULL || *end != '\0' || limit <= 0 || limit > 100000) {
                fprintf(stderr, "roost: top: bad --limit\n");
                return CLI_EXIT_USAGE;
            }
        } else if (cli_opt_value(argc, argv, &i, "--threads", &v)) {
            char *end = NULL;
            threads = v ? strtol(v, &end, 10) : -1;
            if (v == NULL || *end != '\0' || threads <= 0 ||
                threads > TOP_MAX_THREADS) {
                fprintf(stderr, "roost: top: bad --threads (1..%d)\n",
                        TOP_MAX_THREADS);
                return CLI_EXIT_USAGE;
            }
        } else if (cli_opt_value(argc, argv, &i, "--format", &v)) {
            if (v != NULL && strcmp(v, "tsv") == 0) {
                tsv = true;
            } else if (v == NULL || strcmp(v, "table") != 0) {
                fprintf(stderr, "roost: top: --format table|tsv\n");
                return CLI_EXIT_USAGE;
            }
        } else if (cli_opt_value(argc, argv, &i, "--format-in", &v)) {
            if (v == NULL || roost_format_parse(v, &opts.format) < 0) {
                fprintf(stderr, "roost: top: unknown input format\n");
                return CLI_EXIT_USAGE;
            }
            opts.text_lines = opts.format == ROOST_FMT_TEXT;
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            fprintf(stderr, "roost: top: unknown option '%s'\n", argv[i]);
            return CLI_EXIT_USAGE;
        } else {
            break;
        }
    }
    if (threads > TOP_MAX_THREADS) {
        threads = TOP_MAX_THREADS;
    }
    /* One state per thread, merged into s (worker 0's) at the end. */
    struct top_state *ws = roost_calloc((size_t)threads, sizeof(*ws));
    void **args = roost_calloc((size_t)threads, sizeof(*args));
    if (ws == NULL || args == NULL) {
        roost_free(ws);
        roost_free(args);
        fprintf(stderr, "roost: top: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    for (long t = 0; t < threads; t++) {
        ws[t].kind = s.kind;
        /* The key cap bounds the whole command, not each thread. */
        roost_map_init(&ws[t].map, TOP_MAX_KEYS / (size_t)threads);
        roost_buf_init(&ws[t].key, 1u << 20);
        args[t] = &ws[t];
    }
    int rc = cli_read_inputs_par(argv + i, argc - i, &opts,
                                 (unsigned)threads, on_record, args);
    s = ws[0];
    if (threads > 1) {
        /* Merge into a map with the whole cap (each thread had a share). */
        roost_map_init(&s.map, TOP_MAX_KEYS);
        if (rc == 0) {
            rc = roost_map_merge(&s.map, &ws[0].map);
        }
        roost_map_fini(&ws[0].map);
    }
    for (long t = 1; t < threads; t++) {
        if (rc == 0) {
            rc = roost_map_merge(&s.map, &ws[t].map);
        }
        s.n_posts += ws[t].n_posts;
        s.n_invalid += ws[t].n_invalid;
        if (s.err == 0) {
            s.err = ws[t].err;
        }
        roost_map_fini(&ws[t].map);
        roost_buf_fini(&ws[t].key);
    }
    roost_free(ws);
    roost_free(args);
    if (rc == 0 && s.err != 0) {
        rc = s.err;
    }
    size_t n = 0;
    const struct roost_map_entry **top = NULL;
    if (rc == 0) {
        top = roost_calloc((size_t)limit, sizeof(*top));
        if (top == NULL) {
            rc = ROOST_ENOMEM;
        } else {
            n = roost_map_top(&s.map, (size_t)limit, top);
        }
    }
    if (rc == 0 && tsv) {
        for (size_t r = 0; r < n; r++) {
            printf("%.*s\t%llu\n", (int)top[r]->key.len, top[r]->key.ptr,
                   (unsigned long long)top[r]->count);
        }
    } else if (rc == 0) {
        char **cells = roost_calloc((n + 1) * 2, sizeof(char *));
        char (*nums)[24] = roost_calloc(n + 1, sizeof(*nums));
        if (cells != NULL && nums != NULL) {
            cells[0] = (char *)key_names[k];
            cells[1] = "count";
            for (size_t r = 0; r < n; r++) {
                cells[(r + 1) * 2] =
                    roost_strndup(top[r]->key.ptr, top[r]->key.len);
                snprintf(nums[r], sizeof(nums[r]), "%llu",
                         (unsigned long long)top[r]->count);
                cells[(r + 1) * 2 + 1] = nums[r];
            }
            cli_table_print(stdout, (const char *const *)cells, n, 2, 40);
            if ((size_t)limit == n && s.map.n_keys > n) {
                printf("only showing top %zu rows\n", n);
            }
            for (size_t r = 0; r < n; r++) {
                roost_free(cells[(r + 1) * 2]);
            }
        } else {
            rc = ROOST_ENOMEM;
        }
        roost_free(cells);
        roost_free(nums);
    }
    fprintf(stderr, "top: %llu posts, %zu distinct %s, %llu invalid records",
            (unsigned long long)s.n_posts, s.map.n_keys, kind_names[k],
            (unsigned long long)s.n_invalid);
    if (s.map.n_dropped > 0) {
        fprintf(stderr, ", %llu keys past the cap not counted",
                (unsigned long long)s.map.n_dropped);
    }
    fputc('\n', stderr);
    roost_free(top);
    roost_buf_fini(&s.key);
    roost_map_fini(&s.map);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
