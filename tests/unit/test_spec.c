/* SPDX-License-Identifier: MIT
 *
 * test_spec.c - plug-in specs: NAME[:ARG][?k=v&k=v].
 */
#include "check.h"
#include "core/spec.h"

static void test_forms(void)
{
    struct roost_spec sp;
    struct roost_diag d = { 0 };
    CHECK_INT_EQ(roost_spec_parse("stdin", "source", true, &sp, &d), 0);
    CHECK_STR_EQ(sp.name, "stdin");
    CHECK(sp.arg == NULL);
    CHECK_INT_EQ(sp.n_kvs, 0);
    roost_spec_fini(&sp);

    CHECK_INT_EQ(roost_spec_parse("tcp://127.0.0.1:9?mode=server&once",
                                  "source", true, &sp, &d), 0);
    CHECK_STR_EQ(sp.name, "tcp");
    CHECK_STR_EQ(sp.arg, "127.0.0.1:9");
    CHECK_INT_EQ(sp.n_kvs, 2);
    CHECK_STR_EQ(sp.kvs[0].key, "mode");
    CHECK_STR_EQ(sp.kvs[0].value, "server");
    CHECK_STR_EQ(sp.kvs[1].key, "once");
    CHECK_STR_EQ(sp.kvs[1].value, "true");
    roost_spec_fini(&sp);

    CHECK_INT_EQ(roost_spec_parse("pg:postgresql://u@h/db?batch=5",
                                  "sink", false, &sp, &d), 0);
    CHECK_STR_EQ(sp.arg, "postgresql://u@h/db");
    roost_spec_fini(&sp);

    CHECK_INT_EQ(roost_spec_parse("file:/a b?pattern=%2Ejsonl", "source",
                                  true, &sp, &d), 0);
    CHECK_STR_EQ(sp.kvs[0].value, ".jsonl");
    roost_spec_fini(&sp);
}

static void test_errors(void)
{
    struct roost_spec sp;
    struct roost_diag d = { 0 };
    CHECK_INT_EQ(roost_spec_parse("", "source", true, &sp, &d), ROOST_EINVAL);
    roost_spec_fini(&sp);
    CHECK_INT_EQ(roost_spec_parse("bad name", "sink", false, &sp, &d),
                 ROOST_EINVAL);
    CHECK(strstr(d.msg, "sink spec") != NULL);
    roost_spec_fini(&sp);
    CHECK_INT_EQ(roost_spec_parse("x?a=%00", "source", true, &sp, &d),
                 ROOST_EINVAL);
    roost_spec_fini(&sp);
    CHECK_INT_EQ(roost_spec_parse("x?a=%zz", "source", true, &sp, &d),
                 ROOST_EINVAL);
    roost_spec_fini(&sp);
    CHECK_INT_EQ(roost_spec_parse("x?=v", "source", true, &sp, &d),
                 ROOST_EINVAL);
    roost_spec_fini(&sp);
}

CHECK_LIST(test_forms, test_errors)
