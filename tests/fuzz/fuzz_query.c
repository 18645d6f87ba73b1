/* SPDX-License-Identifier: MIT
 *
 * fuzz_query.c - libFuzzer target for the query parser, binder and
 * evaluator.
 *
 * Parses the input; on success checks that printing round-trips
 * (print(parse(print(q))) == print(q)), binds it to a small schema that
 * has a column of each type, and evaluates every bound expression over a
 * fixed row (phase 1) or a group row (phase 2) with a small scratch arena,
 * so bind-time rewriting and eval are exercised on arbitrary trees.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/mem.h"
#include "engine/expr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct roost_column cols[] = {
    { "a", ROOST_V_INT },       { "d", ROOST_V_DOUBLE },
    { "p", ROOST_V_BOOL },      { "text", ROOST_V_STRING },
    { "word", ROOST_V_STRING }, { "created_at", ROOST_V_TIME },
    { "n", ROOST_V_NULL },
};

static void eval_all(const struct roost_query *q, struct roost_arena *a)
{
    struct roost_value row[7] = {
        roost_value_int(-3),
        roost_value_double(0.5),
        roost_value_bool(true),
        roost_value_str(ROOST_STR_LIT("Hello #World, héllo ÉTÉ a_b%")),
        roost_value_str(ROOST_STR_LIT("world")),
        roost_value_time(1609459200000),
        roost_value_null(),
    };
    struct roost_value grp[2 * ROOST_QUERY_MAX_LIST + 2];
    struct roost_value v;
    for (uint32_t i = 0; i < q->n_group_cols; i++) {
        grp[i] = roost_value_int(i);
    }
    if (q->where != NULL) {
        (void)roost_expr_eval(q->where, row, &v, a);
    }
    for (uint32_t i = 0; i < q->n_keys; i++) {
        (void)roost_expr_eval(q->keys[i], row, &v, a);
    }
    for (uint32_t i = 0; i < q->n_aggs; i++) {
        for (uint32_t k = 0; k < q->aggs[i]->n_args; k++) {
            (void)roost_expr_eval(q->aggs[i]->args[k], row, &v, a);
        }
    }
    const struct roost_value *out_row = q->grouped ? grp : row;
    for (uint32_t i = 0; i < q->n_items; i++) {
        (void)roost_expr_eval(q->items[i].expr, out_row, &v, a);
    }
    if (q->having != NULL) {
        (void)roost_expr_eval(q->having, out_row, &v, a);
    }
    for (uint32_t i = 0; i < q->n_order; i++) {
        (void)roost_expr_eval(q->order[i].expr, out_row, &v, a);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct roost_query *q = NULL;
    struct roost_diag d;
    int rc = roost_query_parse((const char *)data, size, &q, &d);
    assert(rc == 0 || rc == ROOST_EPARSE || rc == ROOST_ELIMIT ||
           rc == ROOST_ENOMEM);
    if (rc != 0) {
        assert(q == NULL);
        assert(d.msg[0] != '\0' || rc == ROOST_ENOMEM);
        assert(d.offset <= size);
        return 0;
    }
    struct roost_buf b1, b2;
    roost_buf_init(&b1, 1 << 22);
    roost_buf_init(&b2, 1 << 22);
    if (roost_query_print(q, &b1) == 0) {
        struct roost_query *q2 = NULL;
        rc = roost_query_parse(b1.ptr, b1.len, &q2, &d);
        /* The printed form may be longer than the input, so it may hit
         * the length or depth bound; otherwise it must parse and print
         * back to itself. */
        assert(rc == 0 || rc == ROOST_ELIMIT);
        if (rc == 0) {
            assert(roost_query_print(q2, &b2) == 0);
            assert(b1.len == b2.len && memcmp(b1.ptr, b2.ptr, b1.len) == 0);
            roost_query_free(q2);
        }
    }
    roost_buf_fini(&b1);
    roost_buf_fini(&b2);

    struct roost_schema s = { NULL, cols, sizeof(cols) / sizeof(cols[0]) };
    if (roost_query_bind(q, &s, &d) == 0) {
        assert(q->n_group_cols <= 2 * ROOST_QUERY_MAX_LIST + 2);
        struct roost_arena a;
        roost_arena_init(&a, 1024, 64 * 1024);
        eval_all(q, &a);
        roost_arena_fini(&a);
    }
    roost_query_free(q);
    return 0;
}
