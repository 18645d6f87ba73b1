/* SPDX-License-Identifier: MIT
 *
 * value.h - one typed value of the continuous query engine.
 *
 * Rows of the stream tables (posts, hashtags, mentions, urls, words,
 * authors) are arrays of values; expressions evaluate to values;
 * aggregates consume and produce them. Strings are views (borrowed): a
 * value never owns memory, so whatever keeps a string beyond the current
 * row (group keys, window state) copies it.
 */
#ifndef ROOST_ENGINE_VALUE_H
#define ROOST_ENGINE_VALUE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"

enum roost_vtype {
    ROOST_V_NULL = 0,
    ROOST_V_BOOL,
    ROOST_V_INT,    /* int64 */
    ROOST_V_DOUBLE,
    ROOST_V_STRING, /* UTF-8 view */
    ROOST_V_TIME,   /* int64 epoch milliseconds, UTC */
};

struct roost_value {
    uint8_t type; /* enum roost_vtype */
    union {
        bool b;
        int64_t i; /* INT and TIME */
        double d;
        struct roost_str s;
    } u;
};

static inline struct roost_value roost_value_null(void)
{
    struct roost_value v = { .type = ROOST_V_NULL };
    return v;
}

static inline struct roost_value roost_value_int(int64_t i)
{
    struct roost_value v = { .type = ROOST_V_INT, .u.i = i };
    return v;
}

static inline struct roost_value roost_value_double(double d)
{
    struct roost_value v = { .type = ROOST_V_DOUBLE, .u.d = d };
    return v;
}

static inline struct roost_value roost_value_bool(bool b)
{
    struct roost_value v = { .type = ROOST_V_BOOL, .u.b = b };
    return v;
}

static inline struct roost_value roost_value_time(int64_t ms)
{
    struct roost_value v = { .type = ROOST_V_TIME, .u.i = ms };
    return v;
}

static inline struct roost_value roost_value_str(struct roost_str s)
{
    struct roost_value v = { .type = ROOST_V_STRING, .u.s = s };
    return v;
}

static inline bool roost_value_is_null(const struct roost_value *v)
{
    return v->type == ROOST_V_NULL;
}

#endif /* ROOST_ENGINE_VALUE_H */
