/* SPDX-License-Identifier: MIT
 *
 * log.c - format once, hand to the sink (stderr unless replaced).
 *
 * The whole line is written with one fputs so lines from different
 * threads do not interleave mid-line.
 */
#include <stdio.h>

#include "core/log.h"

static roost_log_fn *sink_fn;
static void *sink_arg;

void roost_log_set_sink(roost_log_fn *fn, void *arg)
{
    sink_fn = fn;
    sink_arg = arg;
}

void roost_logv(enum roost_log_level level, const char *tag, const char *fmt,
                va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (sink_fn != NULL) {
        sink_fn(sink_arg, level, tag ? tag : "roost", msg);
        return;
    }
    char line[1200];
    snprintf(line, sizeof(line), "roost: %s: %s\n", tag ? tag : "roost", msg);
    fputs(line, stderr);
}

void roost_log(enum roost_log_level level, const char *tag, const char *fmt,
               ...)
{
    va_list ap;
    va_start(ap, fmt);
    roost_logv(level, tag, fmt, ap);
    va_end(ap);
}
