/* SPDX-License-Identifier: MIT
 *
 * metrics.h - Prometheus text exposition (format 0.0.4) of roost's
 * counters: records in/out, bytes, dead letters per reason, queue depth,
 * spills, drops, late rows, state bytes, reconnects, gap seconds, HTTP
 * requests. A writer appends families; each family is written once with
 * its HELP and TYPE lines, then its samples.
 */
#ifndef ROOST_SERVE_METRICS_H
#define ROOST_SERVE_METRICS_H

#include <stdint.h>

#include "core/buf.h"

struct roost_metrics {
    struct roost_buf *out; /* borrowed */
    int rc;                /* first error, sticky */
};

/* roost_metrics_family - "# HELP name help\n# TYPE name type\n". */
void roost_metrics_family(struct roost_metrics *m, const char *name,
                          const char *type, const char *help);

/*
 * roost_metrics_sample - `name{l1="v1",...} value`. labels is a
 * NULL-terminated list of key, value pairs (NULL for none); label values
 * are escaped as the format requires.
 */
void roost_metrics_sample(struct roost_metrics *m, const char *name,
                          const char *const *labels, double value);

/* roost_metrics_counter - a family with one unlabelled sample. */
void roost_metrics_counter(struct roost_metrics *m, const char *name,
                           const char *help, double value);
void roost_metrics_gauge(struct roost_metrics *m, const char *name,
                         const char *help, double value);

#endif /* ROOST_SERVE_METRICS_H */
