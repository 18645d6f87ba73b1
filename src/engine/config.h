/* SPDX-License-Identifier: MIT
 *
 * config.h - the pipeline config file of `roost run FILE.conf`.
 *
 * An INI-like file (docs/CONFIG.md): `[section]` or `[section NAME]`
 * headers, `key = value` lines, `#` comments, and values continued on
 * following lines indented by whitespace (for long SQL). Sections:
 *
 *   [pipeline]      archive, format, trigger, checkpoint_interval,
 *                   out, dead_letter, policy
 *   [source NAME]   spec (a source spec as for --source)
 *   [sink NAME]     spec (a sink spec as for --sink)
 *   [query NAME]    sql, mode, output, path, rows, trigger, lateness,
 *                   max_state, stop_words
 *
 * Every key is validated; an unknown section or key, a bad value or a
 * missing required key is an error "FILE:LINE: what".
 * Thread: reentrant.
 */
#ifndef ROOST_ENGINE_CONFIG_H
#define ROOST_ENGINE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "engine/engine.h"

#define ROOST_CONFIG_MAX_BYTES (1u << 20)
#define ROOST_CONFIG_MAX_SOURCES 64
#define ROOST_CONFIG_MAX_SINKS 16

struct roost_config_query {
    char *name;
    char *sql;
    char *path;              /* output file (store: the db); NULL: stdout */
    uint8_t mode;            /* enum roost_output_mode */
    uint8_t format;          /* enum roost_qout_format (store: 3) */
    size_t rows;
    int64_t trigger_ms;
    int64_t lateness_ms;     /* -1: default */
    size_t max_state_bytes;
    bool stop_words;
    uint32_t line;           /* where the section starts */
};

struct roost_config {
    char *archive;           /* NULL: none */
    char *out;               /* normalized posts as JSONL */
    char *dead_letter;
    char *http;              /* dashboard/API listen address, NULL: none */
    char *token;             /* its access token (needed off loopback) */
    uint8_t format;          /* enum roost_format of the input */
    int policy;              /* enum roost_queue_policy; -1: by source */
    int64_t trigger_ms;
    int64_t ckpt_interval_ms;
    char *sources[ROOST_CONFIG_MAX_SOURCES];
    size_t n_sources;
    char *sinks[ROOST_CONFIG_MAX_SINKS];
    size_t n_sinks;
    struct roost_config_query queries[ROOST_ENGINE_MAX_QUERIES];
    size_t n_queries;
};

/*
 * roost_config_parse - parse text[0..len); `file` names it in messages.
 * Returns: 0 with *out filled (free with roost_config_fini, also after an
 * error); ROOST_EINVAL with "FILE:LINE: ..." in diag; ROOST_ENOMEM.
 */
int roost_config_parse(const char *text, size_t len, const char *file,
                       struct roost_config *out, struct roost_diag *diag);

/* roost_config_load - read and parse path. ROOST_EIO when unreadable. */
int roost_config_load(const char *path, struct roost_config *out,
                      struct roost_diag *diag);

void roost_config_fini(struct roost_config *c);

/* roost_config_parse_duration - "250ms", "2s", "5m", "1h", "1d", or
 * plain milliseconds. Returns 0 or ROOST_EINVAL. */
int roost_config_parse_duration(const char *s, int64_t *ms);

/* roost_config_parse_size - "64KiB", "1MiB", "2GiB", "100k", bytes. */
int roost_config_parse_size(const char *s, size_t *out);

#endif /* ROOST_ENGINE_CONFIG_H */
