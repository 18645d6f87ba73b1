/* SPDX-License-Identifier: MIT
 *
 * agg.c - the aggregate registry and the value helpers all aggregates use.
 *
 * The table is aggs.def expanded: one line per aggregate, checked at
 * startup by nothing but the compiler (a missing ops symbol fails the
 * link). Lookup is a linear scan over a handful of names.
 */
#include <math.h>
#include <string.h>

#include "core/map.h"
#include "engine/agg.h"
#include "engine/agg_int.h"

static const struct roost_agg_ops *const registry[] = {
#define ROOST_AGG(name) &roost_agg_##name,
#include "engine/aggs.def"
#undef ROOST_AGG
};

size_t roost_agg_n(void)
{
    return sizeof(registry) / sizeof(registry[0]);
}

const struct roost_agg_ops *roost_agg_at(size_t i)
{
    return i < roost_agg_n() ? registry[i] : NULL;
}

const struct roost_agg_ops *roost_agg_find(struct roost_str name)
{
    for (size_t i = 0; i < roost_agg_n(); i++) {
        if (roost_str_ieq_ascii(name, roost_str_cstr(registry[i]->name))) {
            return registry[i];
        }
    }
    return NULL;
}

/* Tags keep '1' and 1 apart; INT, TIME and integral DOUBLE share one. */
enum { TAG_NULL = 1, TAG_BOOL, TAG_NUM_INT, TAG_NUM_DBL, TAG_STR };

static uint64_t hash_int(uint64_t tag, uint64_t x)
{
    return roost__agg_mix64(x ^ roost__agg_mix64(tag));
}

uint64_t roost_agg_value_hash(const struct roost_value *v)
{
    switch (v->type) {
    case ROOST_V_BOOL:
        return hash_int(TAG_BOOL, v->u.b ? 1 : 0);
    case ROOST_V_INT:
    case ROOST_V_TIME:
        return hash_int(TAG_NUM_INT, (uint64_t)v->u.i);
    case ROOST_V_DOUBLE: {
        double d = v->u.d;
        if (d == floor(d) && d >= -9.2e18 && d <= 9.2e18) {
            return hash_int(TAG_NUM_INT, (uint64_t)(int64_t)d);
        }
        if (isnan(d)) {
            d = NAN;
        }
        uint64_t bits;
        memcpy(&bits, &d, sizeof(bits));
        return hash_int(TAG_NUM_DBL, bits);
    }
    case ROOST_V_STRING:
        return hash_int(TAG_STR, roost_hash(v->u.s.ptr, v->u.s.len));
    default:
        return hash_int(TAG_NULL, 0);
    }
}

static int type_rank(uint8_t t)
{
    switch (t) {
    case ROOST_V_NULL:
        return 0;
    case ROOST_V_BOOL:
        return 1;
    case ROOST_V_STRING:
        return 3;
    default:
        return 2;
    }
}

int roost_agg_value_cmp(const struct roost_value *a,
                        const struct roost_value *b)
{
    int ra = type_rank(a->type), rb = type_rank(b->type);
    if (ra != rb) {
        return ra < rb ? -1 : 1;
    }
    switch (ra) {
    case 0:
        return 0;
    case 1:
        return (int)a->u.b - (int)b->u.b;
    case 3: {
        size_t n = a->u.s.len < b->u.s.len ? a->u.s.len : b->u.s.len;
        int c = n > 0 ? memcmp(a->u.s.ptr, b->u.s.ptr, n) : 0;
        if (c != 0) {
            return c < 0 ? -1 : 1;
        }
        return a->u.s.len < b->u.s.len ? -1 : a->u.s.len > b->u.s.len;
    }
    default:
        break;
    }
    if (a->type != ROOST_V_DOUBLE && b->type != ROOST_V_DOUBLE) {
        return a->u.i < b->u.i ? -1 : a->u.i > b->u.i;
    }
    double x = a->type == ROOST_V_DOUBLE ? a->u.d : (double)a->u.i;
    double y = b->type == ROOST_V_DOUBLE ? b->u.d : (double)b->u.i;
    return x < y ? -1 : x > y;
}
