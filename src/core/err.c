/* SPDX-License-Identifier: MIT
 *
 * err.c - error names and diagnostics.
 */
#include <stdio.h>
#include <string.h>

#include "core/err.h"

const char *roost_strerror(int err)
{
    switch (err) {
    case ROOST_OK:
        return "ok";
    case ROOST_ENOMEM:
        return "out of memory";
    case ROOST_EINVAL:
        return "invalid argument";
    case ROOST_EPARSE:
        return "parse error";
    case ROOST_EAGAIN:
        return "try again";
    case ROOST_EIO:
        return "i/o error";
    case ROOST_ELIMIT:
        return "limit reached";
    case ROOST_ENOENT:
        return "not found";
    case ROOST_EUTF8:
        return "invalid utf-8";
    default:
        return "unknown error";
    }
}

int roost__err_born(int err, const char *file, int line)
{
    fprintf(stderr, "roost: error %s born at %s:%d\n", roost_strerror(err),
            file, line);
    return err;
}

int roost_diag_set(struct roost_diag *d, int err, uint64_t offset,
                   const char *fmt, ...)
{
    if (d == NULL) {
        return err;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
    va_end(ap);
    d->offset = offset;
    return err;
}
