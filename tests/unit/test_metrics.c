/* SPDX-License-Identifier: MIT
 *
 * test_metrics.c - Prometheus text format.
 */
#include "check.h"
#include "serve/metrics.h"

static void test_format(void)
{
    struct roost_buf b;
    roost_buf_init(&b, 1 << 16);
    struct roost_metrics m = { .out = &b };
    roost_metrics_counter(&m, "roost_records_total", "records in", 42);
    roost_metrics_family(&m, "roost_dead_letters_total", "counter",
                         "bad records by reason");
    const char *l1[] = { "reason", "parse", NULL };
    const char *l2[] = { "reason", "we\"ird\\\n", NULL };
    roost_metrics_sample(&m, "roost_dead_letters_total", l1, 3);
    roost_metrics_sample(&m, "roost_dead_letters_total", l2, 9007199254740993.0);
    roost_metrics_gauge(&m, "roost_queue_depth", "batches queued", 0.5);
    CHECK_INT_EQ(m.rc, 0);
    CHECK_STR_EQ(b.ptr,
                 "# HELP roost_records_total records in\n"
                 "# TYPE roost_records_total counter\n"
                 "roost_records_total 42\n"
                 "# HELP roost_dead_letters_total bad records by reason\n"
                 "# TYPE roost_dead_letters_total counter\n"
                 "roost_dead_letters_total{reason=\"parse\"} 3\n"
                 "roost_dead_letters_total{reason=\"we\\\"ird\\\\\\n\"} "
                 "9007199254740992\n"
                 "# HELP roost_queue_depth batches queued\n"
                 "# TYPE roost_queue_depth gauge\n"
                 "roost_queue_depth 0.5\n");
    roost_buf_fini(&b);
}

CHECK_LIST(test_format)
