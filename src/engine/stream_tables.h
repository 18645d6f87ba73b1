/* SPDX-License-Identifier: MIT
 *
 * stream_tables.h - the stream tables continuous queries read: one
 * normalized post exploded into rows of values.
 *
 * The table names and columns are those of the SQLite store (sink_sqlite),
 * so one query runs over the live stream and over stored posts alike:
 *
 *   posts     one row per post
 *   hashtags  one row per hashtag      (tag as written, tag_lower folded)
 *   mentions  one row per mention
 *   cashtags  one row per cashtag
 *   urls      one row per URL          (domain: host, lower case, no www.)
 *   words     one row per word of the text (roost_tokenize_words: URLs and
 *             mentions removed, lower-cased; stop words dropped on request)
 *   authors   one row per post, describing its author
 *
 * Referenced posts (the embedded original of a retweet or quote, emitted
 * with `referenced` set) are excluded: they were counted when they were
 * posted, and counting them again per retweet would double them. Counts a
 * payload did not carry are NULL; a post without a time has created_at
 * NULL (the executor then uses processing time). docs/streams.md lists
 * every column.
 * Thread: schemas are immutable; a scratch is owned by one thread.
 */
#ifndef ROOST_ENGINE_STREAM_TABLES_H
#define ROOST_ENGINE_STREAM_TABLES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/buf.h"
#include "core/str.h"
#include "engine/expr.h"
#include "engine/value.h"
#include "parse/post.h"

enum roost_stream_table {
    ROOST_STREAM_POSTS = 0,
    ROOST_STREAM_HASHTAGS,
    ROOST_STREAM_MENTIONS,
    ROOST_STREAM_CASHTAGS,
    ROOST_STREAM_URLS,
    ROOST_STREAM_WORDS,
    ROOST_STREAM_AUTHORS,
    ROOST_STREAM_N_
};

#define ROOST_STREAM_MAX_COLS 32
#define ROOST_STREAM_MAX_WORDS 4096 /* words kept per post */

/* Column indexes that the executor and tests name. */
enum {
    ROOST_HASHTAGS_POST_ID = 0,
    ROOST_HASHTAGS_TAG,
    ROOST_HASHTAGS_TAG_LOWER,
    ROOST_HASHTAGS_CREATED_AT,
    ROOST_HASHTAGS_AUTHOR_ID,
    ROOST_HASHTAGS_AUTHOR_FOLLOWERS,
    ROOST_HASHTAGS_LANG,
};

struct roost_stream_opts {
    bool stop_words;         /* words: drop common English/Spanish words */
    bool include_referenced; /* also explode referenced posts (tests) */
};

/* Per-thread scratch for the strings explode makes (folded keys). */
struct roost_stream_scratch {
    struct roost_arena arena; /* private */
    struct roost_buf fold;    /* private */
};

void roost_stream_scratch_init(struct roost_stream_scratch *s);
void roost_stream_scratch_fini(struct roost_stream_scratch *s);

/*
 * roost_stream_row_fn - receives one row of the table's schema width.
 * Ownership: the row and its strings are lent for the call. A non-zero
 * return stops the explosion and is returned by it.
 */
typedef int roost_stream_row_fn(void *arg, const struct roost_value *row);

/* roost_stream_find - the table called name (ASCII case-insensitive).
 * Returns 0 or ROOST_ENOENT. */
int roost_stream_find(struct roost_str name, enum roost_stream_table *out);

/* roost_stream_schema - the schema of t (static storage). */
const struct roost_schema *roost_stream_schema(enum roost_stream_table t);

/* roost_stream_name - "posts", "hashtags", ... */
const char *roost_stream_name(enum roost_stream_table t);

/*
 * roost_stream_time_col - the index of the event-time column
 * (created_at) of t.
 */
uint32_t roost_stream_time_col(enum roost_stream_table t);

/*
 * roost_stream_explode - call fn with each row post p contributes to t.
 * Ownership: strings point into p or into scratch, which is reset at the
 * start of every call.
 * Returns: 0, fn's non-zero value, or ROOST_ENOMEM / ROOST_ELIMIT when
 * scratch is full.
 */
int roost_stream_explode(enum roost_stream_table t,
                         const struct roost_post *p,
                         const struct roost_stream_opts *opts,
                         struct roost_stream_scratch *scratch,
                         roost_stream_row_fn *fn, void *arg);

/* roost_stream_is_stop_word - w (lower case) is a stop word. */
bool roost_stream_is_stop_word(const char *w, size_t len);

#endif /* ROOST_ENGINE_STREAM_TABLES_H */
