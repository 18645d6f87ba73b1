/* SPDX-License-Identifier: MIT
 *
 * main.c - the roost command line: verb dispatch, --version, help.
 *
 * The only file allowed to exit(). Each verb lives in cmd_<verb>.c and
 * returns the exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "source/source.h"
#include "store/sink.h"

struct verb {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
    const char *usage;
    const char *const *usage_ref; /* usage text defined in the verb's file */
};

static const struct verb verbs[] = {
    { "normalize", cmd_normalize,
      "print one normalized post per line as JSON",
      "usage: roost normalize [--format auto|v1|v2|jetstream|mastodon|text]\n"
      "                       [--control] [--dead-letter FILE]\n"
      "                       [--max-record-bytes SIZE] [--no-extract]\n"
      "                       [FILE...|-]\n"
      "\n"
      "Reads JSONL, JSON documents, top-level arrays or SSE bodies from\n"
      "files (or stdin) and prints each post as one JSON object per line\n"
      "(fields: docs/post-model.md). Posts referenced by others (retweeted,\n"
      "quoted) are printed too, marked \"referenced\": true.\n"
      "\n"
      "  --format F           wire format; auto detects it per record\n"
      "  --control            also print control events (deletes, limits)\n"
      "  --dead-letter FILE   append bad records there, one JSON line each\n"
      "                       with file, line, reason and the raw bytes\n"
      "  --max-record-bytes   longest accepted record (default 1MiB)\n"
      "  --no-extract         do not extract entities from text when the\n"
      "                       payload carries none\n"
      "\n"
      "Bad records are reported on stderr as FILE:LINE: reason, counted,\n"
      "and skipped; a summary is printed to stderr at the end. Exit 0\n"
      "unless a file cannot be read.\n", NULL },
    { "check", cmd_check, "validate records and summarize",
      "usage: roost check [--format F] [--max-record-bytes SIZE] [--quiet]\n"
      "                   [--syntax-only] [FILE...|-]\n"
      "       roost check --json-only FILE\n"
      "\n"
      "Parses and normalizes every record and prints a summary: records,\n"
      "posts, control events, and each invalid record with its line\n"
      "number and reason. Exit 0 only when every record is valid, 1\n"
      "otherwise, 2 on usage errors.\n"
      "\n"
      "--syntax-only frames the input into records the same way but only\n"
      "checks that each is strict RFC 8259 JSON with valid UTF-8; nothing\n"
      "is normalized, so posts and control events are not counted.\n"
      "\n"
      "--json-only checks that FILE is exactly one RFC 8259 JSON text and\n"
      "nothing else (exit 0 valid, 1 invalid, 2 usage).\n", NULL },
    { "entities", cmd_entities, "extract hashtags, mentions, URLs, cashtags",
      "usage: roost entities --text STRING\n"
      "\n"
      "Prints {\"hashtags\":[{\"text\":..,\"indices\":[start,end]}],\n"
      "\"mentions\":[..],\"urls\":[..],\"cashtags\":[..]} following the\n"
      "twitter-text rules; text without its sigil, indices in Unicode\n"
      "code points, end exclusive.\n", NULL },
    { "top", cmd_top, "top hashtags, mentions, authors or words of files",
      "usage: roost top hashtags|mentions|authors|words [--limit N]\n"
      "                 [--format table|tsv] [--format-in F] [--threads N]\n"
      "                 [FILE...|-]\n"
      "\n"
      "Counts over every post (referenced posts excluded), keys compared\n"
      "case-insensitively, ties broken by key. The quick answer instead of\n"
      "a jq | sort | uniq -c pipeline.\n"
      "\n"
      "Files of 16 MiB or more are cut at record boundaries and read on\n"
      "--threads threads (default: the CPUs this process may use), with\n"
      "the same counts as one thread for well-formed input. The cap of\n"
      "16M distinct keys is shared by the threads; keys past a thread's\n"
      "share are not counted and are reported.\n",
      NULL },
    { "collect", cmd_collect,
      "sources -> queue -> archive -> normalize, live",
      "usage: roost collect --source SPEC [--source SPEC...] --archive DIR\n"
      "                     [--out FILE|-] [--control] [--dead-letter FILE]\n"
      "                     [--format F] [--policy block|spill|drop-oldest]\n"
      "                     [--queue-bytes SIZE] [--max-record-bytes SIZE]\n"
      "                     [--fsync block|none|interval|segment]\n"
      "                     [--spill-dir DIR] [--sink SPEC...] [--progress]\n"
      "                     [--quiet]\n"
      "\n"
      "Runs each source on its own receiver thread into a bounded queue;\n"
      "every record is appended byte-exact to the raw archive (DIR) before\n"
      "it is normalized, so nothing received is lost. Posts go to --out as\n"
      "JSONL, bad records to --dead-letter. After a crash (even kill -9)\n"
      "the same command resumes: outputs are cut back to the checkpoint,\n"
      "archived records past it are processed again, and sources resume\n"
      "after their last archived position: every record exactly once.\n"
      "\n"
      "Sinks (repeatable --sink) receive every batch's posts, idempotent by\n"
      "post id: sqlite:FILE (the store: roost query/search/export/serve),\n"
      "pg:postgresql://..., jsonl:DIR, csv:DIR.\n"
      "\n"
      "Source specs: NAME[:ARG][?key=value&...], e.g.\n"
      "  file:/data/in?follow=true   tcp://127.0.0.1:9999?mode=server\n"
      "  simulate?rate=5700&count=100000&speed=1x   stdin\n"
      "roost help source NAME lists a source's options, roost help sink\n"
      "NAME a sink's.\n"
      "\n"
      "The queue policy defaults to block for files and spill (to disk,\n"
      "never stalling the sender) when a live source is present.\n"
      "Progress (records/s, MB/s, queue depth, spills, dead letters) is\n"
      "printed every second when stderr is a terminal, or with --progress.\n",
      NULL },
    { "rules", cmd_rules, "X API v2 filtered-stream rules: list|add|delete",
      NULL, &cmd_rules_usage },
    { "ingest", cmd_ingest, "the batch form of collect over files",
      "usage: roost ingest [--archive DIR] [--out FILE|-] [--control]\n"
      "                    [--sink SPEC...] [--dead-letter FILE] [--format F]\n"
      "                    FILE...\n"
      "\n"
      "Reads the files (JSON, JSONL, .gz, .zst) through the collect\n"
      "pipeline with a progress bar (percent, rate, ETA). Posts go to\n"
      "--out (default stdout, or nothing when a --sink is given), e.g.\n"
      "--sink sqlite:roost.db. With --archive, records are archived first\n"
      "and a rerun after a crash resumes exactly.\n",
      NULL },
    { "replay", cmd_replay, "an archive through the same processing",
      "usage: roost replay ARCHIVE [--from T] [--to T] [--source NAME]\n"
      "                    [--speed max|1x|10x] [--out FILE|-] [--control]\n"
      "                    [--dead-letter FILE] [--sink SPEC...]\n"
      "\n"
      "Feeds archived records, received in [--from, --to) (ISO 8601 or\n"
      "epoch ms), through the same code path as live input. The output is\n"
      "deterministic: the same archive gives byte-identical output.\n",
      NULL },
    { "simulate", cmd_simulate, "a realistic synthetic firehose (stdout/TCP)",
      NULL, &cmd_simulate_usage },
    { "archive", cmd_archive, "inspect a raw archive: ls, cat, stats", NULL,
      &cmd_archive_usage },
    { "stream", cmd_stream, "one continuous SQL query over live sources",
      NULL, &cmd_stream_usage },
    { "run", cmd_run, "a pipeline config: sources, queries, outputs", NULL,
      &cmd_run_usage },
    { "query", cmd_query, "read-only SQL over the SQLite store", NULL,
      &cmd_query_usage },
    { "serve", cmd_serve, "dashboard, REST API, event stream over a store",
      NULL, &cmd_serve_usage },
    { "search", cmd_search, "full-text search of the store, bm25-ranked",
      NULL, &cmd_search_usage },
    { "export", cmd_export, "the store's posts as CSV or JSONL", NULL,
      &cmd_export_usage },
};

#define N_VERBS (sizeof(verbs) / sizeof(verbs[0]))

static void overview(FILE *out)
{
    fprintf(out, "roost %s - collect, keep, process and show a social-media "
                 "stream\n\nusage: roost VERB [OPTIONS] [ARGS]\n\nverbs:\n",
            ROOST_VERSION);
    for (size_t i = 0; i < N_VERBS; i++) {
        fprintf(out, "  %-10s %s\n", verbs[i].name, verbs[i].summary);
    }
    fprintf(out, "\nroost help VERB shows a verb's options, roost help source "
                 "the sources,\nroost help sink the sinks; roost --version "
                 "the version.\n");
}

static int help_source(const char *name, FILE *out)
{
    if (name == NULL) {
        fprintf(out, "sources (roost help source NAME for options):\n");
        for (const struct roost_source_ops *const *o = roost_source_list();
             *o != NULL; o++) {
            fprintf(out, "  %-10s %s\n", (*o)->name, (*o)->summary);
        }
        return CLI_EXIT_OK;
    }
    const struct roost_source_ops *ops = roost_source_find(name);
    if (ops == NULL) {
        fprintf(stderr, "roost: unknown source '%s'; see roost help source\n",
                name);
        return CLI_EXIT_USAGE;
    }
    struct roost_buf b;
    roost_buf_init(&b, 1u << 20);
    roost_source_help(ops, &b);
    fputs(b.ptr ? b.ptr : "", out);
    roost_buf_fini(&b);
    return CLI_EXIT_OK;
}

static int help_sink(const char *name, FILE *out)
{
    if (name == NULL) {
        fprintf(out, "sinks (roost help sink NAME for options):\n");
        for (const struct roost_sink_ops *const *o = roost_sink_list();
             *o != NULL; o++) {
            fprintf(out, "  %-10s %s\n", (*o)->name, (*o)->summary);
        }
        return CLI_EXIT_OK;
    }
    const struct roost_sink_ops *ops = roost_sink_find(name);
    if (ops == NULL) {
        fprintf(stderr, "roost: unknown sink '%s'; see roost help sink\n",
                name);
        return CLI_EXIT_USAGE;
    }
    struct roost_buf b;
    roost_buf_init(&b, 1u << 20);
    int rc = roost_sink_help(ops, &b);
    if (rc < 0) {
        roost_buf_fini(&b);
        fprintf(stderr, "roost: help sink %s: out of memory\n", name);
        return CLI_EXIT_FAIL;
    }
    fputs(b.ptr ? b.ptr : "", out);
    roost_buf_fini(&b);
    return CLI_EXIT_OK;
}

int cli_help(const char *verb, FILE *out)
{
    if (verb == NULL) {
        overview(out);
        return CLI_EXIT_OK;
    }
    for (size_t i = 0; i < N_VERBS; i++) {
        if (strcmp(verbs[i].name, verb) == 0) {
            fputs(verbs[i].usage ? verbs[i].usage : *verbs[i].usage_ref, out);
            return CLI_EXIT_OK;
        }
    }
    fprintf(stderr, "roost: unknown verb '%s'; see roost help\n", verb);
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        overview(stderr);
        exit(CLI_EXIT_USAGE);
    }
    const char *v = argv[1];
    if (strcmp(v, "--version") == 0 || strcmp(v, "version") == 0) {
        printf("roost %s\n", ROOST_VERSION);
        exit(CLI_EXIT_OK);
    }
    if (strcmp(v, "help") == 0 || strcmp(v, "--help") == 0 ||
        strcmp(v, "-h") == 0) {
        if (argc > 2 && (strcmp(argv[2], "source") == 0 ||
                         strcmp(argv[2], "sources") == 0)) {
            exit(help_source(argc > 3 ? argv[3] : NULL, stdout));
        }
        if (argc > 2 && (strcmp(argv[2], "sink") == 0 ||
                         strcmp(argv[2], "sinks") == 0)) {
            exit(help_sink(argc > 3 ? argv[3] : NULL, stdout));
        }
        exit(cli_help(argc > 2 ? argv[2] : NULL, stdout));
    }
    for (size_t i = 0; i < N_VERBS; i++) {
        if (strcmp(verbs[i].name, v) == 0) {
            for (int a = 2; a < argc; a++) {
                if (strcmp(argv[a], "--help") == 0 ||
                    strcmp(argv[a], "-h") == 0) {
                    exit(cli_help(v, stdout));
                }
            }
            int rc = verbs[i].run(argc - 1, argv + 1);
            if (fflush(stdout) != 0 && rc == 0) {
                perror("roost: stdout");
                rc = CLI_EXIT_FAIL;
            }
            exit(rc);
        }
    }
    fprintf(stderr, "roost: unknown verb '%s'; see roost help\n", v);
    exit(CLI_EXIT_USAGE);
}
