/* SPDX-License-Identifier: MIT
 *
 * config.c - the pipeline config file: a line-oriented INI reader and a
 * declarative key table per section.
 *
 * Each section kind has a table of keys with a setter; a key not in the
 * table is an error naming the line, the key and the section. Values
 * may continue on indented lines (joined with a newline), which is how a
 * long query is written. Required keys are checked when a section ends.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"
#include "core/queue.h"
#include "engine/config.h"

enum sect { S_NONE, S_PIPELINE, S_SOURCE, S_SINK, S_QUERY };

struct parser {
    struct roost_config *c;
    const char *file;
    uint32_t line;
    enum sect sect;
    uint32_t sect_line;
    struct roost_diag *diag;
};

static int fail(struct parser *p, uint32_t line, const char *fmt, ...)
    ROOST_PRINTF(3, 4);

static int fail(struct parser *p, uint32_t line, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return roost_diag_set(p->diag, ROOST_ERR(ROOST_EINVAL), 0, "%s:%u: %s",
                          p->file, line, msg);
}

int roost_config_parse_duration(const char *s, int64_t *ms)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno != 0 || v < 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    double mul = 1;
    if (strcmp(end, "ms") == 0 || *end == '\0') {
        mul = 1;
    } else if (strcmp(end, "s") == 0) {
        mul = 1000;
    } else if (strcmp(end, "m") == 0 || strcmp(end, "min") == 0) {
        mul = 60000;
    } else if (strcmp(end, "h") == 0) {
        mul = 3600000;
    } else if (strcmp(end, "d") == 0) {
        mul = 86400000;
    } else {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (v * mul > 9e15) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    *ms = (int64_t)(v * mul);
    return 0;
}

int roost_config_parse_size(const char *s, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || errno != 0 || s[0] == '-') {
        return ROOST_ERR(ROOST_EINVAL);
    }
    unsigned long long mul = 1;
    if (*end == '\0' || strcmp(end, "B") == 0) {
        mul = 1;
    } else if (strcmp(end, "k") == 0 || strcmp(end, "KiB") == 0 ||
               strcmp(end, "K") == 0) {
        mul = 1ull << 10;
    } else if (strcmp(end, "M") == 0 || strcmp(end, "MiB") == 0) {
        mul = 1ull << 20;
    } else if (strcmp(end, "G") == 0 || strcmp(end, "GiB") == 0) {
        mul = 1ull << 30;
    } else {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (v > (1ull << 50) / mul) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    *out = (size_t)(v * mul);
    return 0;
}

static int dup_into(char **dst, const char *v)
{
    roost_free(*dst);
    *dst = roost_strndup(v, strlen(v));
    return *dst != NULL ? 0 : ROOST_ERR(ROOST_ENOMEM);
}

static int parse_bool(const char *v, bool *out)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
        strcmp(v, "on") == 0 || strcmp(v, "1") == 0) {
        *out = true;
        return 0;
    }
    if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
        strcmp(v, "off") == 0 || strcmp(v, "0") == 0) {
        *out = false;
        return 0;
    }
    return ROOST_ERR(ROOST_EINVAL);
}

/* ---- sections ----------------------------------------------------------------- */

static struct roost_config_query *cur_query(struct parser *p)
{
    return &p->c->queries[p->c->n_queries - 1];
}

static int set_pipeline(struct parser *p, const char *k, const char *v)
{
    struct roost_config *c = p->c;
    if (strcmp(k, "archive") == 0) {
        return dup_into(&c->archive, v);
    }
    if (strcmp(k, "out") == 0) {
        return dup_into(&c->out, v);
    }
    if (strcmp(k, "dead_letter") == 0) {
        return dup_into(&c->dead_letter, v);
    }
    if (strcmp(k, "http") == 0) {
        return dup_into(&c->http, v);
    }
    if (strcmp(k, "token") == 0) {
        return dup_into(&c->token, v);
    }
    if (strcmp(k, "format") == 0) {
        enum roost_format f;
        if (roost_format_parse(v, &f) < 0) {
            return fail(p, p->line, "format: auto, v1, v2, jetstream, "
                                    "mastodon or text, not '%s'", v);
        }
        c->format = (uint8_t)f;
        return 0;
    }
    if (strcmp(k, "policy") == 0) {
        if (strcmp(v, "block") == 0) {
            c->policy = ROOST_QUEUE_BLOCK;
        } else if (strcmp(v, "spill") == 0) {
            c->policy = ROOST_QUEUE_SPILL;
        } else if (strcmp(v, "drop-oldest") == 0) {
            c->policy = ROOST_QUEUE_DROP_OLDEST;
        } else {
            return fail(p, p->line, "policy: block, spill or drop-oldest");
        }
        return 0;
    }
    if (strcmp(k, "trigger") == 0 || strcmp(k, "checkpoint_interval") == 0) {
        int64_t ms;
        if (roost_config_parse_duration(v, &ms) < 0 || ms == 0) {
            return fail(p, p->line, "%s: a duration such as 2s, not '%s'",
                        k, v);
        }
        *(k[0] == 't' ? &c->trigger_ms : &c->ckpt_interval_ms) = ms;
        return 0;
    }
    return fail(p, p->line, "unknown key '%s' in [pipeline] (archive, "
                            "format, trigger, checkpoint_interval, http, "
                            "token, out, dead_letter, policy)", k);
}

static int set_query(struct parser *p, const char *k, const char *v)
{
    struct roost_config_query *q = cur_query(p);
    if (strcmp(k, "sql") == 0) {
        return dup_into(&q->sql, v);
    }
    if (strcmp(k, "path") == 0) {
        return dup_into(&q->path, v);
    }
    if (strcmp(k, "mode") == 0) {
        static const char *const m[] = { "default", "append", "update",
                                         "complete" };
        for (uint8_t i = 0; i < 4; i++) {
            if (strcmp(v, m[i]) == 0) {
                q->mode = i;
                return 0;
            }
        }
        return fail(p, p->line, "mode: append, update or complete");
    }
    if (strcmp(k, "output") == 0) {
        static const char *const f[] = { "table", "jsonl", "none",
                                         "store" };
        for (uint8_t i = 0; i < 4; i++) {
            if (strcmp(v, f[i]) == 0) {
                q->format = i;
                return 0;
            }
        }
        return fail(p, p->line, "output: table, jsonl, none or store");
    }
    if (strcmp(k, "rows") == 0) {
        char *end = NULL;
        long n = strtol(v, &end, 10);
        if (*end != '\0' || n <= 0 || n > 1000000) {
            return fail(p, p->line, "rows: 1..1000000");
        }
        q->rows = (size_t)n;
        return 0;
    }
    if (strcmp(k, "trigger") == 0 || strcmp(k, "lateness") == 0) {
        int64_t ms;
        if (roost_config_parse_duration(v, &ms) < 0) {
            return fail(p, p->line, "%s: a duration such as 2s, not '%s'",
                        k, v);
        }
        *(k[0] == 't' ? &q->trigger_ms : &q->lateness_ms) = ms;
        return 0;
    }
    if (strcmp(k, "max_state") == 0) {
        if (roost_config_parse_size(v, &q->max_state_bytes) < 0) {
            return fail(p, p->line, "max_state: a size such as 64MiB");
        }
        return 0;
    }
    if (strcmp(k, "stop_words") == 0) {
        if (parse_bool(v, &q->stop_words) < 0) {
            return fail(p, p->line, "stop_words: true or false");
        }
        return 0;
    }
    return fail(p, p->line, "unknown key '%s' in [query %s] (sql, mode, "
                            "output, path, rows, trigger, lateness, "
                            "max_state, stop_words)", k, q->name);
}

static int set_spec(struct parser *p, const char *k, const char *v)
{
    struct roost_config *c = p->c;
    bool src = p->sect == S_SOURCE;
    if (strcmp(k, "spec") != 0) {
        return fail(p, p->line, "unknown key '%s' in [%s] (spec)", k,
                    src ? "source" : "sink");
    }
    char **slot = src ? &c->sources[c->n_sources - 1]
                      : &c->sinks[c->n_sinks - 1];
    if (*slot != NULL) {
        return fail(p, p->line, "spec given twice");
    }
    return dup_into(slot, v);
}

static int end_section(struct parser *p)
{
    struct roost_config *c = p->c;
    switch (p->sect) {
    case S_SOURCE:
        if (c->sources[c->n_sources - 1] == NULL) {
            return fail(p, p->sect_line, "[source] without spec");
        }
        return 0;
    case S_SINK:
        if (c->sinks[c->n_sinks - 1] == NULL) {
            return fail(p, p->sect_line, "[sink] without spec");
        }
        return 0;
    case S_QUERY:
        if (cur_query(p)->sql == NULL) {
            return fail(p, p->sect_line, "[query %s] without sql",
                        cur_query(p)->name);
        }
        return 0;
    default:
        return 0;
    }
}

static int begin_section(struct parser *p, char *hdr)
{
    int rc = end_section(p);
    if (rc < 0) {
        return rc;
    }
    char *name = strchr(hdr, ' ');
    if (name != NULL) {
        *name++ = '\0';
        while (*name == ' ') {
            name++;
        }
    }
    struct roost_config *c = p->c;
    p->sect_line = p->line;
    if (strcmp(hdr, "pipeline") == 0 && name == NULL) {
        p->sect = S_PIPELINE;
        return 0;
    }
    if (strcmp(hdr, "source") == 0) {
        if (c->n_sources >= ROOST_CONFIG_MAX_SOURCES) {
            return fail(p, p->line, "too many sources");
        }
        c->sources[c->n_sources++] = NULL;
        p->sect = S_SOURCE;
        return 0;
    }
    if (strcmp(hdr, "sink") == 0) {
        if (c->n_sinks >= ROOST_CONFIG_MAX_SINKS) {
            return fail(p, p->line, "too many sinks");
        }
        c->sinks[c->n_sinks++] = NULL;
        p->sect = S_SINK;
        return 0;
    }
    if (strcmp(hdr, "query") == 0) {
        if (name == NULL || *name == '\0') {
            return fail(p, p->line, "[query NAME]: a query needs a name");
        }
        if (c->n_queries >= ROOST_ENGINE_MAX_QUERIES) {
            return fail(p, p->line, "too many queries");
        }
        for (size_t i = 0; i < c->n_queries; i++) {
            if (strcmp(c->queries[i].name, name) == 0) {
                return fail(p, p->line, "query '%s' defined twice (line %u)",
                            name, c->queries[i].line);
            }
        }
        struct roost_config_query *q = &c->queries[c->n_queries++];
        memset(q, 0, sizeof(*q));
        q->lateness_ms = -1;
        q->line = p->line;
        p->sect = S_QUERY;
        return dup_into(&q->name, name);
    }
    return fail(p, p->line, "unknown section [%s%s%s] (pipeline, source, "
                            "sink, query NAME)",
                hdr, name ? " " : "", name ? name : "");
}

static int set_key(struct parser *p, const char *k, const char *v,
                   uint32_t line)
{
    uint32_t saved = p->line;
    p->line = line;
    int rc;
    switch (p->sect) {
    case S_PIPELINE:
        rc = set_pipeline(p, k, v);
        break;
    case S_SOURCE:
    case S_SINK:
        rc = set_spec(p, k, v);
        break;
    case S_QUERY:
        rc = set_query(p, k, v);
        break;
    default:
        rc = fail(p, line, "'%s' outside a section", k);
        break;
    }
    p->line = saved;
    return rc;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
                     s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    return s;
}

int roost_config_parse(const char *text, size_t len, const char *file,
                       struct roost_config *out, struct roost_diag *diag)
{
    memset(out, 0, sizeof(*out));
    out->policy = -1;
    struct parser p = { .c = out, .file = file, .diag = diag };
    if (len > ROOST_CONFIG_MAX_BYTES) {
        return fail(&p, 0, "larger than %u bytes", ROOST_CONFIG_MAX_BYTES);
    }
    char *buf = roost_strndup(text, len);
    struct roost_buf val;
    roost_buf_init(&val, ROOST_CONFIG_MAX_BYTES);
    char key[64] = "";
    uint32_t key_line = 0;
    int rc = buf != NULL ? 0 : ROOST_ERR(ROOST_ENOMEM);
    char *s = buf;
    while (rc == 0 && s != NULL && *s != '\0') {
        char *nl = strchr(s, '\n');
        if (nl != NULL) {
            *nl = '\0';
        }
        p.line++;
        bool indented = s[0] == ' ' || s[0] == '\t';
        char *t = trim(s);
        s = nl != NULL ? nl + 1 : NULL;
        if (t[0] == '#' || t[0] == ';') {
            continue;
        }
        if (indented && key[0] != '\0' && t[0] != '\0') {
            rc = roost_buf_addc(&val, '\n');
            rc = rc == 0 ? roost_buf_adds(&val, t) : rc;
            continue;
        }
        if (t[0] == '\0') {
            continue;
        }
        if (key[0] != '\0') {
            rc = set_key(&p, key, val.ptr ? val.ptr : "", key_line);
            key[0] = '\0';
            if (rc < 0) {
                break;
            }
        }
        if (t[0] == '[') {
            char *close = strchr(t, ']');
            if (close == NULL || trim(close + 1)[0] != '\0') {
                rc = fail(&p, p.line, "a section header is [name]");
                break;
            }
            *close = '\0';
            rc = begin_section(&p, trim(t + 1));
            continue;
        }
        char *eq = strchr(t, '=');
        if (eq == NULL) {
            rc = fail(&p, p.line, "expected key = value, got '%.40s'", t);
            break;
        }
        *eq = '\0';
        char *k = trim(t);
        if (k[0] == '\0' || strlen(k) >= sizeof(key)) {
            rc = fail(&p, p.line, "bad key");
            break;
        }
        snprintf(key, sizeof(key), "%s", k);
        key_line = p.line;
        roost_buf_reset(&val);
        rc = roost_buf_adds(&val, trim(eq + 1));
    }
    if (rc == 0 && key[0] != '\0') {
        rc = set_key(&p, key, val.ptr ? val.ptr : "", key_line);
    }
    if (rc == 0) {
        rc = end_section(&p);
    }
    if (rc == 0 && out->n_queries == 0) {
        rc = fail(&p, p.line, "no [query NAME] section");
    }
    if (rc == 0 && out->n_sources == 0) {
        rc = fail(&p, p.line, "no [source] section");
    }
    roost_buf_fini(&val);
    roost_free(buf);
    return rc;
}

int roost_config_load(const char *path, struct roost_config *out,
                      struct roost_diag *diag)
{
    memset(out, 0, sizeof(*out));
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                              "cannot open %s: %s", path, strerror(errno));
    }
    char *text = roost_malloc(ROOST_CONFIG_MAX_BYTES + 1);
    if (text == NULL) {
        fclose(f);
        return ROOST_ERR(ROOST_ENOMEM);
    }
    size_t n = fread(text, 1, ROOST_CONFIG_MAX_BYTES + 1, f);
    bool err = ferror(f) != 0;
    fclose(f);
    int rc;
    if (err) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0, "cannot read %s",
                            path);
    } else {
        rc = roost_config_parse(text, n, path, out, diag);
    }
    roost_free(text);
    return rc;
}

void roost_config_fini(struct roost_config *c)
{
    roost_free(c->archive);
    roost_free(c->out);
    roost_free(c->dead_letter);
    roost_free(c->http);
    roost_free(c->token);
    for (size_t i = 0; i < c->n_sources; i++) {
        roost_free(c->sources[i]);
    }
    for (size_t i = 0; i < c->n_sinks; i++) {
        roost_free(c->sinks[i]);
    }
    for (size_t i = 0; i < c->n_queries; i++) {
        roost_free(c->queries[i].name);
        roost_free(c->queries[i].sql);
        roost_free(c->queries[i].path);
    }
    memset(c, 0, sizeof(*c));
}
