/* SPDX-License-Identifier: MIT
 *
 * test_option.c - option tables: value parsers, defaults, user values,
 * unknown keys, help text.
 */
#include "check.h"
#include "core/mem.h"
#include "core/option.h"

struct opt_ctx {
    char *label;
    int64_t count;
    size_t max_line;
    bool follow;
    int64_t every_ms;
    double ratio;
    char *none;
};

static const struct roost_option opts[] = {
    ROOST_OPT_STR("label", "hello", struct opt_ctx, label, "a label"),
    ROOST_OPT_INT("count", "7", struct opt_ctx, count, "how many"),
    ROOST_OPT_SIZE("max-line", "64k", struct opt_ctx, max_line, "longest line"),
    ROOST_OPT_BOOL("follow", "false", struct opt_ctx, follow, "keep going"),
    ROOST_OPT_MS("every", "250ms", struct opt_ctx, every_ms, "period"),
    ROOST_OPT_DOUBLE("ratio", "0.5", struct opt_ctx, ratio, "a ratio"),
    ROOST_OPT_STR("none", NULL, struct opt_ctx, none, "unset string"),
    ROOST_OPT_END,
};

static void test_parse_size(void)
{
    size_t v = 0;
    CHECK_INT_EQ(roost_parse_size("64k", &v), 0);
    CHECK_INT_EQ(v, 65536);
    CHECK_INT_EQ(roost_parse_size("1MiB", &v), 0);
    CHECK_INT_EQ(v, 1 << 20);
    CHECK_INT_EQ(roost_parse_size("2G", &v), 0);
    CHECK_INT_EQ(v, 2ull << 30);
    CHECK_INT_EQ(roost_parse_size("4096", &v), 0);
    CHECK_INT_EQ(v, 4096);
    CHECK_INT_EQ(roost_parse_size("10KB", &v), 0);
    CHECK_INT_EQ(v, 10240);
    CHECK_INT_EQ(roost_parse_size("3b", &v), 0);
    CHECK_INT_EQ(v, 3);
    const char *bad[] = { "",
                          "k",
                          "1.5M",
                          "-1",
                          "12x",
                          "1 MiB",
                          "99999999999999999999",
                          "20000000000T" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_MSG(roost_parse_size(bad[i], &v) == ROOST_EINVAL, "%s", bad[i]);
    }
    CHECK_INT_EQ(roost_parse_size(NULL, &v), ROOST_EINVAL);
}

static void test_parse_ms(void)
{
    int64_t v = 0;
    CHECK_INT_EQ(roost_parse_ms("250ms", &v), 0);
    CHECK_INT_EQ(v, 250);
    CHECK_INT_EQ(roost_parse_ms("5s", &v), 0);
    CHECK_INT_EQ(v, 5000);
    CHECK_INT_EQ(roost_parse_ms("2m", &v), 0);
    CHECK_INT_EQ(v, 120000);
    CHECK_INT_EQ(roost_parse_ms("1h", &v), 0);
    CHECK_INT_EQ(v, 3600000);
    CHECK_INT_EQ(roost_parse_ms("1d", &v), 0);
    CHECK_INT_EQ(v, 86400000);
    CHECK_INT_EQ(roost_parse_ms("100", &v), 0);
    CHECK_INT_EQ(v, 100);
    CHECK_INT_EQ(roost_parse_ms("-1", &v), 0);
    CHECK_INT_EQ(v, -1);
    const char *bad[] = { "", "s", "5x", "-5s", "1.5s", "99999999999999999h" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        CHECK_MSG(roost_parse_ms(bad[i], &v) == ROOST_EINVAL, "%s", bad[i]);
    }
}

static void test_parse_bool_i64(void)
{
    const char *yes[] = { "true", "1", "yes", "on", "TRUE", "On" };
    const char *no[] = { "false", "0", "no", "off", "False" };
    bool b = false;
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        b = false;
        CHECK_INT_EQ(roost_parse_bool(yes[i], &b), 0);
        CHECK(b);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        b = true;
        CHECK_INT_EQ(roost_parse_bool(no[i], &b), 0);
        CHECK(!b);
    }
    CHECK_INT_EQ(roost_parse_bool("maybe", &b), ROOST_EINVAL);
    CHECK_INT_EQ(roost_parse_bool("", &b), ROOST_EINVAL);

    int64_t v = 0;
    CHECK_INT_EQ(roost_parse_i64("-9223372036854775808", &v), 0);
    CHECK(v == INT64_MIN);
    CHECK_INT_EQ(roost_parse_i64("9223372036854775807", &v), 0);
    CHECK(v == INT64_MAX);
    CHECK_INT_EQ(roost_parse_i64("+12", &v), 0);
    CHECK_INT_EQ(v, 12);
    CHECK_INT_EQ(roost_parse_i64("9223372036854775808", &v), ROOST_EINVAL);
    CHECK_INT_EQ(roost_parse_i64("12a", &v), ROOST_EINVAL);
    CHECK_INT_EQ(roost_parse_i64("-", &v), ROOST_EINVAL);
}

static void test_defaults_then_user(void)
{
    struct opt_ctx c = { 0 };
    CHECK_INT_EQ(roost_options_apply(opts, &c, NULL, 0, NULL), 0);
    CHECK_STR_EQ(c.label, "hello");
    CHECK_INT_EQ(c.count, 7);
    CHECK_INT_EQ(c.max_line, 65536);
    CHECK(!c.follow);
    CHECK_INT_EQ(c.every_ms, 250);
    CHECK(c.ratio == 0.5);
    CHECK(c.none == NULL);
    roost_options_free(opts, &c);
    CHECK(c.label == NULL);

    const struct roost_kv kvs[] = {
        { "label", "world" }, { "count", "-3" },    { "max-line", "1MiB" },
        { "follow", "yes" },  { "every", "2s" },    { "ratio", "1e-3" },
        { "none", "set" },    { "label", "twice" },
    };
    memset(&c, 0, sizeof(c));
    CHECK_INT_EQ(roost_options_apply(opts, &c, kvs, 8, NULL), 0);
    CHECK_STR_EQ(c.label, "twice"); /* the last one wins */
    CHECK_INT_EQ(c.count, -3);
    CHECK_INT_EQ(c.max_line, 1 << 20);
    CHECK(c.follow);
    CHECK_INT_EQ(c.every_ms, 2000);
    CHECK(c.ratio == 1e-3);
    CHECK_STR_EQ(c.none, "set");
    roost_options_free(opts, &c);
    CHECK(c.label == NULL && c.none == NULL);
}

static void test_errors_name_the_key(void)
{
    struct opt_ctx c = { 0 };
    struct roost_diag d = { 0 };
    const struct roost_kv unknown[] = { { "count", "1" }, { "folow", "1" } };
    CHECK_INT_EQ(roost_options_apply(opts, &c, unknown, 2, &d), ROOST_EINVAL);
    CHECK_STR_EQ(d.msg, "unknown option 'folow' (known: label, count, "
                        "max-line, follow, every, ratio, none)");
    CHECK(c.label == NULL); /* nothing applied */

    const struct {
        const char *key, *val, *want;
    } bad[] = {
        { "count", "x", "bad value 'x' for option 'count': want an integer" },
        { "max-line", "lots", "'max-line'" },
        { "follow", "maybe", "'follow'" },
        { "every", "soon", "a duration" },
        { "ratio", "half", "'ratio'" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct roost_kv kv = { bad[i].key, bad[i].val };
        memset(&d, 0, sizeof(d));
        CHECK_INT_EQ(roost_options_apply(opts, &c, &kv, 1, &d), ROOST_EINVAL);
        CHECK_MSG(strstr(d.msg, bad[i].want) != NULL, "%s", d.msg);
        roost_options_free(opts, &c);
    }
}

static void test_oom(void)
{
    const struct roost_kv kv = { "label", "x" };
    for (uint64_t n = 0; n < 4; n++) {
        struct opt_ctx c = { 0 };
        roost_mem_fault_after(n);
        int rc = roost_options_apply(opts, &c, &kv, 1, NULL);
        roost_mem_fault_after(0);
        CHECK(rc == 0 || rc == ROOST_ENOMEM);
        roost_options_free(opts, &c);
    }
}

static void test_help(void)
{
    struct roost_buf b;
    roost_buf_init(&b, 1 << 16);
    CHECK_INT_EQ(roost_options_help(opts, &b), 0);
    CHECK(strstr(b.ptr, "  label     STR       default: hello  a label\n") !=
          NULL);
    CHECK(strstr(b.ptr, "  every     DURATION  default: 250ms  period\n") !=
          NULL);
    CHECK(strstr(b.ptr, "  none      STR       default: none   unset") != NULL);
    const struct roost_option *o = roost_options_find(opts, "follow");
    CHECK(o != NULL && o->type == ROOST_OPT_T_BOOL);
    CHECK(roost_options_find(opts, "nope") == NULL);
    roost_buf_fini(&b);
}

CHECK_LIST(test_parse_size, test_parse_ms, test_parse_bool_i64,
           test_defaults_then_user, test_errors_name_the_key, test_oom,
           test_help);
