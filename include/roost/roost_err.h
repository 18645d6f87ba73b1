/* SPDX-License-Identifier: MIT
 *
 * roost_err.h - the one error convention of roost.
 *
 * Actions return 0 or a negative ROOST_E* code; predicates return bool.
 * Detail (message, byte offset, line, errno) goes in an optional
 * caller-owned struct roost_diag; there is no global error state.
 */
#ifndef ROOST_ERR_H
#define ROOST_ERR_H

#include <stddef.h>
#include <stdint.h>

enum roost_err {
    ROOST_OK = 0,
    ROOST_ENOMEM = -1, /* allocation failed */
    ROOST_EINVAL = -2, /* bad argument or configuration */
    ROOST_EPARSE = -3, /* malformed input record */
    ROOST_EAGAIN = -4, /* nothing now; call again later */
    ROOST_EIO = -5,    /* I/O error; errno kept in the diag */
    ROOST_ELIMIT = -6, /* a configured bound was hit */
    ROOST_ENOENT = -7, /* no such thing (file, key, plug-in) */
    ROOST_EUTF8 = -8,  /* invalid UTF-8 in input */
};

/* Caller-owned detail about the last error of one call. */
struct roost_diag {
    char msg[160];   /* lowercase, no full stop, the problem first */
    uint64_t offset; /* byte offset in the input where it was found */
    uint64_t line;   /* 1-based line number, 0 when unknown */
    int sys_errno;   /* errno for ROOST_EIO, else 0 */
};

/* roost_strerror - a short static name for an error code. */
const char *roost_strerror(int err);

#endif /* ROOST_ERR_H */
