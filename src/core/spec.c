/* SPDX-License-Identifier: MIT
 *
 * spec.c - plug-in specs as users type them: NAME[:ARG][?k=v&k=v].
 *
 * One parser for sources and sinks. The copy of the text owns every
 * string the spec points at; values are %XX-decoded (%00 refused); a key
 * without '=' means "true".
 */
#include <stdbool.h>
#include <string.h>

#include "core/mem.h"
#include "core/spec.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* unescape - decode %XX in place; false on a bad escape. */
static bool unescape(char *s)
{
    char *o = s;

    for (char *p = s; *p != '\0'; p++) {
        if (*p != '%') {
            *o++ = *p;
            continue;
        }
        int hi = hexval(p[1]);
        int lo = hi < 0 ? -1 : hexval(p[2]);
        if (lo < 0 || (hi == 0 && lo == 0)) {
            return false;
        }
        *o++ = (char)(hi * 16 + lo);
        p += 2;
    }
    *o = '\0';
    return true;
}

static bool is_name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
}

int roost_spec_parse(const char *text, const char *what, bool strip_slashes,
                     struct roost_spec *sp, struct roost_diag *diag)
{
    size_t len = strlen(text);

    memset(sp, 0, sizeof(*sp));
    if (len == 0 || len > ROOST_SPEC_MAX_BYTES) {
        return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                              "bad %s spec: %s", what,
                              len == 0 ? "empty" : "too long");
    }
    sp->copy = roost_strndup(text, len);
    if (sp->copy == NULL) {
        return ROOST_ERR(ROOST_ENOMEM);
    }
    char *p = sp->copy;
    sp->name = p;
    while (is_name_char(*p)) {
        p++;
    }
    if (p == sp->name || (*p != '\0' && *p != ':' && *p != '?')) {
        return roost_diag_set(
            diag, ROOST_ERR(ROOST_EINVAL), (uint64_t)(p - sp->copy),
            "bad %s spec '%s': want NAME[:ARG][?k=v&k=v]", what, text);
    }
    char *query = strchr(p, '?');
    if (query != NULL) {
        *query++ = '\0';
    }
    if (*p == ':') {
        *p++ = '\0';
        if (strip_slashes && p[0] == '/' && p[1] == '/') {
            p += 2;
        }
        sp->arg = *p != '\0' ? p : NULL;
    } else {
        *p = '\0';
    }
    while (query != NULL && *query != '\0') {
        char *amp = strchr(query, '&');
        if (amp != NULL) {
            *amp++ = '\0';
        }
        if (*query != '\0') {
            if (sp->n_kvs == ROOST_SPEC_MAX_KVS) {
                return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                                      "too many options (max %d)",
                                      ROOST_SPEC_MAX_KVS);
            }
            char *eq = strchr(query, '=');
            char *val = "true";
            if (eq != NULL) {
                *eq = '\0';
                val = eq + 1;
            }
            if (!unescape(query) || (eq != NULL && !unescape(val)) ||
                *query == '\0') {
                return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                                      "bad option '%s' in %s spec", query,
                                      what);
            }
            sp->kvs[sp->n_kvs].key = query;
            sp->kvs[sp->n_kvs].value = val;
            sp->n_kvs++;
        }
        query = amp;
    }
    return 0;
}

void roost_spec_fini(struct roost_spec *sp)
{
    roost_free(sp->copy);
    memset(sp, 0, sizeof(*sp));
}
