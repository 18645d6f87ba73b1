/* SPDX-License-Identifier: MIT
 *
 * test_log.c - the log sink.
 */
#include "check.h"
#include "core/log.h"

struct seen {
    int n;
    enum roost_log_level level;
    char tag[32];
    char msg[64];
};

static void capture(void *arg, enum roost_log_level level, const char *tag,
                    const char *msg)
{
    struct seen *s = arg;
    s->n++;
    s->level = level;
    snprintf(s->tag, sizeof(s->tag), "%s", tag);
    snprintf(s->msg, sizeof(s->msg), "%s", msg);
}

static void test_sink(void)
{
    struct seen s = { 0 };
    roost_log_set_sink(capture, &s);
    roost_log_warn("x1", "stream stalled for %d s", 90);
    CHECK_INT_EQ(s.n, 1);
    CHECK_INT_EQ(s.level, ROOST_LOG_WARN);
    CHECK_STR_EQ(s.tag, "x1");
    CHECK_STR_EQ(s.msg, "stream stalled for 90 s");
    roost_log_error(NULL, "boom");
    CHECK_STR_EQ(s.tag, "roost");
    roost_log_set_sink(NULL, NULL);
    roost_log_info("test", "to stderr, not captured");
    CHECK_INT_EQ(s.n, 2);
}

CHECK_LIST(test_sink)
