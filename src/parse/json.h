/* SPDX-License-Identifier: MIT
 *
 * json.h - strict RFC 8259 JSON parser into a flat token tape.
 *
 * roost_json_parse() validates one whole JSON text (one value with optional
 * surrounding whitespace) and writes a tape: one struct roost_json_tok per
 * value, in document order. Containers know the index just past their last
 * descendant (`next`), so skipping a subtree is O(1). No allocation happens
 * per value: the tape and the unescape scratch grow only when a document is
 * bigger than any seen before, and are reused across documents.
 *
 * Strings are views: into the input when the string had no escapes, else
 * into the doc's scratch, decoded to UTF-8 (\uXXXX and surrogate pairs).
 * Escapes are validated by the parse but a string value is decoded only
 * when roost_json_str/text first asks for it (keys are decoded at once),
 * so read string views through those accessors, never toks[i].ptr/len.
 * Numbers are views of their source text, so ids above 2^53 are never
 * rounded. Invalid UTF-8, lone surrogates, control characters in strings,
 * leading zeros, trailing commas, comments, NaN, and nesting deeper than
 * max_depth are errors with a byte offset in the diag.
 *
 * Accessors memoize: the first lookups in a big object build a small hash
 * index of its keys, so later lookups cost one probe instead of a scan,
 * and a string decoded once stays decoded. The memo lives in the tape's
 * pointee, the scratch and d->memo, which the accessors update through a
 * const doc: a doc, const or not, is used by one thread at a time (Thread:
 * the caller's). The scratch never moves within a parse, so every view
 * stays valid until the next roost_json_parse().
 *
 * Object members are stored as key token then value token. To walk an
 * object:
 *
 *     uint32_t k = obj + 1;
 *     for (uint32_t i = 0; i < d->toks[obj].len; i++) {
 *         uint32_t v = k + 1;               // value of key k
 *         ...
 *         k = roost_json_next_sibling(d, v);
 *     }
 */
#ifndef ROOST_PARSE_JSON_H
#define ROOST_PARSE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/err.h"
#include "core/str.h"

enum roost_json_type {
    ROOST_JSON_NULL = 0,
    ROOST_JSON_FALSE,
    ROOST_JSON_TRUE,
    ROOST_JSON_NUMBER,
    ROOST_JSON_STRING,
    ROOST_JSON_ARRAY,
    ROOST_JSON_OBJECT,
};

#define ROOST_JSON_NONE UINT32_MAX /* "no such token" */

struct roost_json_tok {
    uint8_t type;     /* enum roost_json_type */
    uint8_t is_float; /* numbers: had a fraction or exponent */
    uint32_t len;     /* number: bytes; array: items; object: members */
    uint32_t next;    /* index just past this value and its descendants */
    uint32_t memo;    /* private: accessor memo (see json.c), 0 after parse */
    const char *ptr;  /* number: source text; string: use roost_json_str() */
};

struct roost_json_memo; /* private: lookup indexes (json.c) */

struct roost_json_doc {
    struct roost_json_tok *toks;  /* read-only: toks[0] is the root */
    uint32_t n_toks;              /* read-only */
    uint32_t cap_toks;            /* private */
    char *scratch;                /* private: unescaped strings */
    size_t cap_scratch;           /* private */
    uint32_t max_depth;           /* private: nesting limit */
    size_t max_bytes;             /* private: largest accepted document */
    struct roost_json_memo *memo; /* private: per-parse accessor caches */
};

#define ROOST_JSON_DEFAULT_DEPTH 512

/* roost_json_doc_init - empty doc; max_bytes caps the input size.
 * max_depth 0 means ROOST_JSON_DEFAULT_DEPTH; max_bytes 0 means 4 GiB - 2,
 * the most a tape can describe. */
void roost_json_doc_init(struct roost_json_doc *d, uint32_t max_depth,
                         size_t max_bytes);
void roost_json_doc_fini(struct roost_json_doc *d);

/*
 * roost_json_parse - validate and tape one JSON text buf[0..len).
 *
 * Ownership: token views point into buf or d's scratch; they stay valid
 * until the next roost_json_parse() on d, and as long as buf lives.
 * Returns: 0, ROOST_EPARSE (syntax), ROOST_EUTF8 (bad UTF-8), ROOST_ELIMIT
 * (too deep or too big) or ROOST_ENOMEM; diag (may be NULL) gets a message
 * and the byte offset of the problem.
 */
int roost_json_parse(struct roost_json_doc *d, const char *buf, size_t len,
                     struct roost_diag *diag);

/* roost_json_valid - syntax check alone; same rules as roost_json_parse. */
int roost_json_valid(const char *buf, size_t len, uint32_t max_depth,
                     struct roost_diag *diag);

static inline uint32_t roost_json_next_sibling(const struct roost_json_doc *d,
                                               uint32_t i)
{
    return d->toks[i].next;
}

/* roost_json_getn - value of member (key, key_len) in object obj, or
 * ROOST_JSON_NONE (also when obj is NONE or not an object). The last
 * duplicate key wins. The key need not be NUL-terminated. */
uint32_t roost_json_getn(const struct roost_json_doc *d, uint32_t obj,
                         const char *key, size_t key_len);

/* roost_json_get - roost_json_getn() with a C-string key; inline so that
 * the length of a literal key folds at compile time. */
static inline uint32_t roost_json_get(const struct roost_json_doc *d,
                                      uint32_t obj, const char *key)
{
    return roost_json_getn(d, obj, key, strlen(key));
}

/* roost_json_path - nested lookup, keys separated by '.', e.g.
 * "user.screen_name"; array items by index: "entities.urls.0". */
uint32_t roost_json_path(const struct roost_json_doc *d, uint32_t from,
                         const char *path);

/* roost_json_at - item idx of array arr, or ROOST_JSON_NONE. */
uint32_t roost_json_at(const struct roost_json_doc *d, uint32_t arr,
                       uint32_t idx);

static inline bool roost_json_is(const struct roost_json_doc *d, uint32_t i,
                                 enum roost_json_type t)
{
    return i != ROOST_JSON_NONE && d->toks[i].type == t;
}

/* roost_json_str - string view of token i; ROOST_STR_NULL if not a string. */
struct roost_str roost_json_str(const struct roost_json_doc *d, uint32_t i);

/* roost_json_text - string or number text of token i, else ROOST_STR_NULL.
 * Useful for ids sent either as "123" or 123. */
struct roost_str roost_json_text(const struct roost_json_doc *d, uint32_t i);

/* roost_json_i64 - integer value of a number token (or numeric string).
 * Returns: false for non-numbers, fractions/exponents and overflow. */
bool roost_json_i64(const struct roost_json_doc *d, uint32_t i, int64_t *out);
/* roost_json_f64 - value of a number token or of a string holding a JSON
 * number; false when it overflows to infinity. Uses strtod(), so the C
 * locale's decimal point is assumed. */
bool roost_json_f64(const struct roost_json_doc *d, uint32_t i, double *out);
/* roost_json_bool - true for `true`, false otherwise. */
bool roost_json_bool(const struct roost_json_doc *d, uint32_t i);

#endif /* ROOST_PARSE_JSON_H */
