/* SPDX-License-Identifier: MIT
 *
 * metrics.c - Prometheus text format writer.
 *
 * Values are printed with %.17g so integers up to 2^53 stay exact;
 * label values escape backslash, double quote and newline.
 */
#include <math.h>
#include <string.h>

#include "serve/metrics.h"

void roost_metrics_family(struct roost_metrics *m, const char *name,
                          const char *type, const char *help)
{
    int rc = roost_buf_printf(m->out, "# HELP %s %s\n# TYPE %s %s\n", name,
                              help, name, type);
    if (rc < 0 && m->rc == 0) {
        m->rc = rc;
    }
}

static void add_label_value(struct roost_buf *b, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"') {
            roost_buf_addc(b, '\\');
            roost_buf_addc(b, *v);
        } else if (*v == '\n') {
            roost_buf_adds(b, "\\n");
        } else {
            roost_buf_addc(b, *v);
        }
    }
}

void roost_metrics_sample(struct roost_metrics *m, const char *name,
                          const char *const *labels, double value)
{
    struct roost_buf *b = m->out;
    roost_buf_adds(b, name);
    if (labels != NULL && labels[0] != NULL) {
        roost_buf_addc(b, '{');
        for (size_t i = 0; labels[i] != NULL && labels[i + 1] != NULL;
             i += 2) {
            if (i > 0) {
                roost_buf_addc(b, ',');
            }
            roost_buf_adds(b, labels[i]);
            roost_buf_adds(b, "=\"");
            add_label_value(b, labels[i + 1]);
            roost_buf_addc(b, '"');
        }
        roost_buf_addc(b, '}');
    }
    int rc;
    if (isnan(value)) {
        rc = roost_buf_adds(b, " NaN\n");
    } else if (isinf(value)) {
        rc = roost_buf_adds(b, value > 0 ? " +Inf\n" : " -Inf\n");
    } else {
        rc = roost_buf_printf(b, " %.17g\n", value);
    }
    if (rc < 0 && m->rc == 0) {
        m->rc = rc;
    }
}

void roost_metrics_counter(struct roost_metrics *m, const char *name,
                           const char *help, double value)
{
    roost_metrics_family(m, name, "counter", help);
    roost_metrics_sample(m, name, NULL, value);
}

void roost_metrics_gauge(struct roost_metrics *m, const char *name,
                         const char *help, double value)
{
    roost_metrics_family(m, name, "gauge", help);
    roost_metrics_sample(m, name, NULL, value);
}
