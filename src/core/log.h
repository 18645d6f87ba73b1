/* SPDX-License-Identifier: MIT
 *
 * log.h - the one way library code says something to a person.
 *
 * Lines are lowercase, problem first, tagged with the instance that
 * speaks: roost_log_warn("x1", "stream stalled for %d s", 90). By default
 * they go to stderr as "roost: TAG: message"; an embedding program (or a
 * test) installs its own sink with roost_log_set_sink(). Messages are cut
 * at 1 KiB. Thread: any; the sink is called on the speaking thread.
 */
#ifndef ROOST_CORE_LOG_H
#define ROOST_CORE_LOG_H

#include <stdarg.h>

#include "core/err.h"

enum roost_log_level {
    ROOST_LOG_ERROR = 0,
    ROOST_LOG_WARN,
    ROOST_LOG_INFO,
};

typedef void roost_log_fn(void *arg, enum roost_log_level level,
                          const char *tag, const char *msg);

/* roost_log_set_sink - fn NULL restores stderr. Set it before threads. */
void roost_log_set_sink(roost_log_fn *fn, void *arg);

void roost_log(enum roost_log_level level, const char *tag, const char *fmt,
               ...) ROOST_PRINTF(3, 4);
#if defined(__GNUC__)
#define ROOST_VPRINTF(a) __attribute__((format(printf, a, 0)))
#else
#define ROOST_VPRINTF(a)
#endif /* __GNUC__ */
void roost_logv(enum roost_log_level level, const char *tag, const char *fmt,
                va_list ap) ROOST_VPRINTF(3);

#define roost_log_error(tag, ...) roost_log(ROOST_LOG_ERROR, (tag), __VA_ARGS__)
#define roost_log_warn(tag, ...) roost_log(ROOST_LOG_WARN, (tag), __VA_ARGS__)
#define roost_log_info(tag, ...) roost_log(ROOST_LOG_INFO, (tag), __VA_ARGS__)

#endif /* ROOST_CORE_LOG_H */
