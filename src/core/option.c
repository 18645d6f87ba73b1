/* SPDX-License-Identifier: MIT
 *
 * option.c - declarative option tables: validation, defaults, conversion
 * and help text.
 *
 * roost_options_apply() runs in two passes over the table: every option
 * first gets its default (so a plug-in never sees an unset field), then the
 * user's key=value pairs are matched by name and converted in place. A key
 * the table does not know is an error that lists the known keys, because a
 * typo silently ignored is a configuration bug found in production.
 *
 * String options are duplicated into the ctx (roost_strndup) and released
 * by roost_options_free(); every other type is stored by value at its
 * offset. The value parsers are exported for the CLI.
 */
#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"
#include "core/option.h"

/* ---- value parsers ------------------------------------------------------ */

/* leading_u64 - parse decimal digits at s; *end after them. */
static int leading_u64(const char *s, uint64_t *out, const char **end)
{
    uint64_t v = 0;
    const char *p = s;

    if (*p < '0' || *p > '9') {
        return ROOST_ERR(ROOST_EINVAL);
    }
    while (*p >= '0' && *p <= '9') {
        unsigned d = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        v = v * 10 + d;
        p++;
    }
    *out = v;
    *end = p;
    return 0;
}

static bool ieq(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

int roost_parse_size(const char *s, size_t *out)
{
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {
        { "", 0 },     { "b", 0 },    { "k", 10 },   { "kb", 10 },
        { "kib", 10 }, { "m", 20 },   { "mb", 20 },  { "mib", 20 },
        { "g", 30 },   { "gb", 30 },  { "gib", 30 }, { "t", 40 },
        { "tb", 40 },  { "tib", 40 },
    };
    uint64_t v = 0;
    const char *end = NULL;

    if (s == NULL || leading_u64(s, &v, &end) < 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (!ieq(end, units[i].suffix)) {
            continue;
        }
        unsigned sh = units[i].shift;
        if (sh > 0 && v > (UINT64_MAX >> sh)) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        v <<= sh;
        if (v > SIZE_MAX) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        *out = (size_t)v;
        return 0;
    }
    return ROOST_ERR(ROOST_EINVAL);
}

int roost_parse_ms(const char *s, int64_t *out)
{
    static const struct {
        const char *suffix;
        uint64_t ms;
    } units[] = {
        { "", 1 },      { "ms", 1 },      { "s", 1000 },    { "sec", 1000 },
        { "m", 60000 }, { "min", 60000 }, { "h", 3600000 }, { "d", 86400000 },
    };
    bool neg = false;
    uint64_t v = 0;
    const char *end = NULL;

    if (s == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (*s == '-') {
        neg = true;
        s++;
    }
    if (leading_u64(s, &v, &end) < 0) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (!ieq(end, units[i].suffix)) {
            continue;
        }
        /* Negative only as a bare number: "-1" means "none" to callers. */
        if (neg && units[i].suffix[0] != '\0') {
            return ROOST_ERR(ROOST_EINVAL);
        }
        if (v > (uint64_t)INT64_MAX / units[i].ms) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        int64_t ms = (int64_t)(v * units[i].ms);
        *out = neg ? -ms : ms;
        return 0;
    }
    return ROOST_ERR(ROOST_EINVAL);
}

int roost_parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "true", "1", "yes", "on" };
    static const char *const no[] = { "false", "0", "no", "off" };

    if (s == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (ieq(s, yes[i])) {
            *out = true;
            return 0;
        }
        if (ieq(s, no[i])) {
            *out = false;
            return 0;
        }
    }
    return ROOST_ERR(ROOST_EINVAL);
}

int roost_parse_i64(const char *s, int64_t *out)
{
    bool neg = false;
    uint64_t v = 0;
    const char *end = NULL;

    if (s == NULL) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (*s == '-' || *s == '+') {
        neg = *s == '-';
        s++;
    }
    if (leading_u64(s, &v, &end) < 0 || *end != '\0') {
        return ROOST_ERR(ROOST_EINVAL);
    }
    if (neg ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) {
        return ROOST_ERR(ROOST_EINVAL);
    }
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return 0;
}

static int parse_double(const char *s, double *out)
{
    char *end = NULL;

    if (s == NULL || *s == '\0') {
        return ROOST_ERR(ROOST_EINVAL);
    }
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0') {
        return ROOST_ERR(ROOST_EINVAL);
    }
    *out = v;
    return 0;
}

/* ---- tables ------------------------------------------------------------- */

static const char *type_name(uint8_t type)
{
    switch (type) {
    case ROOST_OPT_T_STR:
        return "STR";
    case ROOST_OPT_T_INT:
        return "INT";
    case ROOST_OPT_T_SIZE:
        return "SIZE";
    case ROOST_OPT_T_BOOL:
        return "BOOL";
    case ROOST_OPT_T_MS:
        return "DURATION";
    case ROOST_OPT_T_DOUBLE:
        return "DOUBLE";
    default:
        return "?";
    }
}

static const char *expected(uint8_t type)
{
    switch (type) {
    case ROOST_OPT_T_INT:
        return "an integer";
    case ROOST_OPT_T_SIZE:
        return "a size such as 4096, 64k, 1MiB, 2G";
    case ROOST_OPT_T_BOOL:
        return "true/false, 1/0, yes/no or on/off";
    case ROOST_OPT_T_MS:
        return "a duration such as 250ms, 5s, 2m, 1h";
    case ROOST_OPT_T_DOUBLE:
        return "a number";
    default:
        return "a value";
    }
}

const struct roost_option *roost_options_find(const struct roost_option *opts,
                                              const char *key)
{
    for (const struct roost_option *o = opts; o != NULL && o->name != NULL;
         o++) {
        if (strcmp(o->name, key) == 0) {
            return o;
        }
    }
    return NULL;
}

int roost_options_names(const struct roost_option *opts, struct roost_buf *out)
{
    int rc = 0;

    for (const struct roost_option *o = opts; o != NULL && o->name != NULL;
         o++) {
        rc = roost_buf_printf(out, "%s%s", out->len > 0 ? ", " : "", o->name);
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}

/* set_one - convert text into the field of o; the old string is freed. */
static int set_one(const struct roost_option *o, void *ctx, const char *val)
{
    char *field = (char *)ctx + o->offset;

    switch (o->type) {
    case ROOST_OPT_T_STR: {
        char *dup = NULL;
        if (val != NULL) {
            dup = roost_strndup(val, strlen(val));
            if (dup == NULL) {
                return ROOST_ERR(ROOST_ENOMEM);
            }
        }
        char *old = NULL;
        memcpy(&old, field, sizeof(old));
        roost_free(old);
        memcpy(field, &dup, sizeof(dup));
        return 0;
    }
    case ROOST_OPT_T_INT: {
        int64_t v = 0;
        if (roost_parse_i64(val, &v) < 0) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        memcpy(field, &v, sizeof(v));
        return 0;
    }
    case ROOST_OPT_T_SIZE: {
        size_t v = 0;
        if (roost_parse_size(val, &v) < 0) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        memcpy(field, &v, sizeof(v));
        return 0;
    }
    case ROOST_OPT_T_BOOL: {
        bool v = false;
        if (roost_parse_bool(val, &v) < 0) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        memcpy(field, &v, sizeof(v));
        return 0;
    }
    case ROOST_OPT_T_MS: {
        int64_t v = 0;
        if (roost_parse_ms(val, &v) < 0) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        memcpy(field, &v, sizeof(v));
        return 0;
    }
    case ROOST_OPT_T_DOUBLE: {
        double v = 0;
        if (parse_double(val, &v) < 0) {
            return ROOST_ERR(ROOST_EINVAL);
        }
        memcpy(field, &v, sizeof(v));
        return 0;
    }
    default:
        return ROOST_ERR(ROOST_EINVAL);
    }
}

static int unknown_key(const struct roost_option *opts, const char *key,
                       struct roost_diag *diag)
{
    struct roost_buf names;
    roost_buf_init(&names, 1024);
    int rc = roost_options_names(opts, &names);
    roost_diag_set(diag, ROOST_EINVAL, 0, "unknown option '%s' (known: %s)",
                   key, rc == 0 && names.ptr != NULL ? names.ptr : "none");
    roost_buf_fini(&names);
    return ROOST_ERR(ROOST_EINVAL);
}

int roost_options_apply(const struct roost_option *opts, void *ctx,
                        const struct roost_kv *kvs, size_t n_kvs,
                        struct roost_diag *diag)
{
    int rc = 0;

    for (size_t i = 0; i < n_kvs; i++) {
        if (roost_options_find(opts, kvs[i].key) == NULL) {
            return unknown_key(opts, kvs[i].key, diag);
        }
    }
    for (const struct roost_option *o = opts; o != NULL && o->name != NULL;
         o++) {
        if (o->def == NULL && o->type != ROOST_OPT_T_STR) {
            continue; /* the zeroed ctx is the default */
        }
        rc = set_one(o, ctx, o->def);
        if (rc == ROOST_ENOMEM) {
            return rc;
        }
        /* A bad default is our bug, not the user's. */
        assert(rc == 0);
        if (rc < 0) {
            return roost_diag_set(diag, rc, 0, "bad default '%s' for '%s'",
                                  o->def, o->name);
        }
    }
    for (size_t i = 0; i < n_kvs; i++) {
        const struct roost_option *o = roost_options_find(opts, kvs[i].key);
        rc = set_one(o, ctx, kvs[i].value);
        if (rc == ROOST_ENOMEM) {
            return rc;
        }
        if (rc < 0) {
            return roost_diag_set(
                diag, rc, 0, "bad value '%s' for option '%s': want %s",
                kvs[i].value ? kvs[i].value : "", o->name, expected(o->type));
        }
    }
    return 0;
}

void roost_options_free(const struct roost_option *opts, void *ctx)
{
    for (const struct roost_option *o = opts; o != NULL && o->name != NULL;
         o++) {
        if (o->type != ROOST_OPT_T_STR) {
            continue;
        }
        char *field = (char *)ctx + o->offset;
        char *s = NULL;
        memcpy(&s, field, sizeof(s));
        roost_free(s);
        s = NULL;
        memcpy(field, &s, sizeof(s));
    }
}

int roost_options_help(const struct roost_option *opts, struct roost_buf *out)
{
    int name_w = 0;
    int type_w = 0;
    int def_w = 0;

    for (const struct roost_option *o = opts; o != NULL && o->name != NULL;
         o++) {
        int n = (int)strlen(o->name);
        int t = (int)strlen(type_name(o->type));
        int d = (int)strlen(o->def != NULL ? o->def : "none");
        name_w = n > name_w ? n : name_w;
        type_w = t > type_w ? t : type_w;
        def_w = d > def_w ? d : def_w;
    }
    for (const struct roost_option *o = opts; o != NULL && o->name != NULL;
         o++) {
        int rc = roost_buf_printf(out, "  %-*s  %-*s  default: %-*s  %s\n",
                                  name_w, o->name, type_w, type_name(o->type),
                                  def_w, o->def != NULL ? o->def : "none",
                                  o->desc ? o->desc : "");
        if (rc < 0) {
            return rc;
        }
    }
    return 0;
}
