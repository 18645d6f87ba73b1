/* SPDX-License-Identifier: MIT
 *
 * option.h - declarative option tables for plug-ins (Fluent Bit's config
 * map, done once).
 *
 * A plug-in lists its options in a table; the core validates keys (unknown
 * keys are errors), applies defaults, converts values into the plug-in's
 * context struct at the given offsets, and generates help text from the
 * same table. Example:
 *
 *     static const struct roost_option tcp_opts[] = {
 *         ROOST_OPT_SIZE("max-line", "1MiB", struct tcp_ctx, max_line,
 *                        "longest accepted line"),
 *         ROOST_OPT_END,
 *     };
 */
#ifndef ROOST_CORE_OPTION_H
#define ROOST_CORE_OPTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

enum roost_opt_type {
    ROOST_OPT_T_STR = 1, /* char * (owned by the ctx; freed by the core) */
    ROOST_OPT_T_INT,     /* int64_t */
    ROOST_OPT_T_SIZE,    /* size_t; accepts 64k, 1MiB, 2G */
    ROOST_OPT_T_BOOL,    /* bool; true/false/1/0/yes/no/on/off */
    ROOST_OPT_T_MS,      /* int64_t milliseconds; accepts 250ms, 5s, 2m, 1h */
    ROOST_OPT_T_DOUBLE,  /* double */
};

struct roost_option {
    const char *name;   /* key as written in specs and config files */
    uint8_t type;       /* enum roost_opt_type */
    const char *def;    /* default as text, or NULL for none */
    size_t offset;      /* where the value goes in the ctx struct */
    const char *desc;   /* one line: becomes --help and docs/CONFIG.md */
};

#define ROOST_OPT__(n, t, d, type, field, desc)                              \
    { (n), (t), (d), offsetof(type, field), (desc) }
#define ROOST_OPT_STR(n, d, type, field, desc)                               \
    ROOST_OPT__(n, ROOST_OPT_T_STR, d, type, field, desc)
#define ROOST_OPT_INT(n, d, type, field, desc)                               \
    ROOST_OPT__(n, ROOST_OPT_T_INT, d, type, field, desc)
#define ROOST_OPT_SIZE(n, d, type, field, desc)                              \
    ROOST_OPT__(n, ROOST_OPT_T_SIZE, d, type, field, desc)
#define ROOST_OPT_BOOL(n, d, type, field, desc)                              \
    ROOST_OPT__(n, ROOST_OPT_T_BOOL, d, type, field, desc)
#define ROOST_OPT_MS(n, d, type, field, desc)                                \
    ROOST_OPT__(n, ROOST_OPT_T_MS, d, type, field, desc)
#define ROOST_OPT_DOUBLE(n, d, type, field, desc)                            \
    ROOST_OPT__(n, ROOST_OPT_T_DOUBLE, d, type, field, desc)
#define ROOST_OPT_END { NULL, 0, NULL, 0, NULL }

/* One key=value pair as given by the user. */
struct roost_kv {
    const char *key;
    const char *value;
};

/*
 * roost_options_apply - set every option of `opts` in ctx: first its
 * default, then the user's value when kvs has the key.
 * Returns: 0; ROOST_EINVAL for an unknown key or a bad value (diag names
 * the key and what was expected); ROOST_ENOMEM.
 */
int roost_options_apply(const struct roost_option *opts, void *ctx,
                        const struct roost_kv *kvs, size_t n_kvs,
                        struct roost_diag *diag);

/* roost_options_free - free the strings roost_options_apply stored (also
 * after a failed apply, which may have stored some). */
void roost_options_free(const struct roost_option *opts, void *ctx);

/* roost_options_help - append "  name  TYPE  default: X  desc" lines. */
int roost_options_help(const struct roost_option *opts, struct roost_buf *out);

/* roost_options_find - the option named key, or NULL. */
const struct roost_option *roost_options_find(const struct roost_option *opts,
                                              const char *key);

/* roost_options_names - append "a, b, c" (the table's keys) to out. */
int roost_options_names(const struct roost_option *opts, struct roost_buf *out);

/* Value parsers shared with the CLI. Return 0 or ROOST_EINVAL. */
int roost_parse_size(const char *s, size_t *out);
int roost_parse_ms(const char *s, int64_t *out);
int roost_parse_bool(const char *s, bool *out);
int roost_parse_i64(const char *s, int64_t *out);

#endif /* ROOST_CORE_OPTION_H */
