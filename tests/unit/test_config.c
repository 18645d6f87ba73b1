/* SPDX-License-Identifier: MIT
 *
 * test_config.c - the pipeline config file: sections, continuation lines,
 * validation with line numbers.
 */
#include <string.h>

#include "check.h"
#include "engine/config.h"

static void test_good(void)
{
    const char *t = "# c\n[pipeline]\narchive = a/\ntrigger = 2s\n"
                    "[source s]\nspec = tcp://127.0.0.1:9\n"
                    "[query top]\nsql = SELECT tag, COUNT(*)\n"
                    "    FROM hashtags GROUP BY tag\n"
                    "mode = update\noutput = jsonl\nrows = 5\n"
                    "lateness = 1m\nstop_words = yes\n";
    struct roost_config c;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK_MSG(roost_config_parse(t, strlen(t), "f", &c, &d) == 0, "%s",
              d.msg);
    CHECK(strcmp(c.archive, "a/") == 0);
    CHECK(c.trigger_ms == 2000);
    CHECK(c.n_sources == 1 && c.n_queries == 1);
    CHECK(strcmp(c.queries[0].sql,
                 "SELECT tag, COUNT(*)\nFROM hashtags GROUP BY tag") == 0);
    CHECK(c.queries[0].mode == ROOST_OUTPUT_UPDATE);
    CHECK(c.queries[0].format == ROOST_QOUT_JSONL);
    CHECK(c.queries[0].lateness_ms == 60000);
    CHECK(c.queries[0].stop_words);
    roost_config_fini(&c);
}

static void expect_err(const char *t, const char *want)
{
    struct roost_config c;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK(roost_config_parse(t, strlen(t), "f", &c, &d) == ROOST_EINVAL);
    CHECK_MSG(strstr(d.msg, want) != NULL, "got [%s] want [%s]", d.msg,
              want);
    roost_config_fini(&c);
}

static void test_errors(void)
{
    expect_err("[pipeline]\nnope = 1\n", "f:2: unknown key 'nope'");
    expect_err("[bogus]\n", "f:1: unknown section [bogus]");
    expect_err("[source]\n[query q]\nsql = x\n", "f:1: [source] without");
    expect_err("[source]\nspec = a\n[query q]\nmode = sideways\n",
               "f:4: mode");
    expect_err("[source]\nspec = a\n[query q]\n", "f:3: [query q] without");
    expect_err("[source]\nspec=a\n[query q]\nsql=x\n[query q]\nsql=y\n",
               "f:5: query 'q' defined twice (line 3)");
    expect_err("[pipeline]\ntrigger = soon\n", "f:2: trigger");
    expect_err("[source]\nspec = a\n", "no [query NAME]");
    expect_err("key = 1\n", "f:1: 'key' outside a section");
}

static void test_durations_sizes(void)
{
    int64_t ms;
    CHECK(roost_config_parse_duration("250ms", &ms) == 0 && ms == 250);
    CHECK(roost_config_parse_duration("1.5s", &ms) == 0 && ms == 1500);
    CHECK(roost_config_parse_duration("2h", &ms) == 0 && ms == 7200000);
    CHECK(roost_config_parse_duration("2x", &ms) < 0);
    CHECK(roost_config_parse_duration("-1s", &ms) < 0);
    size_t n;
    CHECK(roost_config_parse_size("64MiB", &n) == 0 && n == (64u << 20));
    CHECK(roost_config_parse_size("12", &n) == 0 && n == 12);
    CHECK(roost_config_parse_size("1T", &n) < 0);
}

CHECK_LIST(test_good, test_errors, test_durations_sizes);
