/* SPDX-License-Identifier: MIT
 *
 * deadletter.c - bad records to a dead-letter file, one JSON line each.
 *
 * The line is built in a bounded buffer and written with one fwrite, so a
 * reader never sees half a line from us; sync() is the durability point
 * used by checkpoints.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "store/deadletter.h"

static const char b64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int add_b64(struct roost_buf *b, const unsigned char *p, size_t len)
{
    int rc = roost_buf_reserve(b, (len + 2) / 3 * 4 + 2);
    if (rc < 0) {
        return rc;
    }
    roost_buf_addc(b, '"');
    size_t i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63],
                      b64[v & 63] };
        roost_buf_add(b, q, 4);
    }
    if (i < len) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len) {
            v |= (uint32_t)p[i + 1] << 8;
        }
        char q[4] = { b64[v >> 18], b64[(v >> 12) & 63],
                      i + 1 < len ? b64[(v >> 6) & 63] : '=', '=' };
        roost_buf_add(b, q, 4);
    }
    return roost_buf_addc(b, '"');
}

int roost_deadletter_open(struct roost_deadletter *dl, const char *path)
{
    memset(dl, 0, sizeof(*dl));
    roost_buf_init(&dl->line, 64u << 20);
    if (path == NULL) {
        return 0;
    }
    dl->f = fopen(path, "a");
    if (dl->f == NULL) {
        return ROOST_ERR(ROOST_EIO);
    }
    return 0;
}

const char *roost_deadletter_class(int err)
{
    switch (err) {
    case ROOST_EPARSE:
        return "parse";
    case ROOST_EUTF8:
        return "utf8";
    case ROOST_ELIMIT:
        return "limit";
    case ROOST_ENOMEM:
        return "nomem";
    default:
        return "other";
    }
}

int roost_deadletter_write(struct roost_deadletter *dl,
                           const struct roost_dl_rec *rec)
{
    dl->n_total++;
    switch (rec->err) {
    case ROOST_EPARSE:
        dl->n_parse++;
        break;
    case ROOST_EUTF8:
        dl->n_utf8++;
        break;
    case ROOST_ELIMIT:
        dl->n_limit++;
        break;
    default:
        dl->n_other++;
        break;
    }
    if (dl->f == NULL) {
        return 0;
    }
    struct roost_buf *b = &dl->line;
    roost_buf_reset(b);
    const char *src = rec->source ? rec->source : "";
    const char *why = rec->reason ? rec->reason : "";
    roost_buf_adds(b, "{\"source\":");
    roost_buf_add_json_str(b, src, strlen(src));
    roost_buf_printf(b, ",\"line\":%llu,\"position\":",
                     (unsigned long long)rec->line);
    roost_buf_add_json_str(b, rec->position.ptr ? rec->position.ptr : "",
                           rec->position.len);
    roost_buf_printf(b, ",\"error\":\"%s\",\"reason\":",
                     roost_deadletter_class(rec->err));
    roost_buf_add_json_str(b, why, strlen(why));
    if (roost_utf8_valid(rec->raw, rec->raw_len)) {
        roost_buf_adds(b, ",\"raw\":");
        roost_buf_add_json_str(b, rec->raw, rec->raw_len);
    } else {
        roost_buf_adds(b, ",\"raw_b64\":");
        add_b64(b, (const unsigned char *)rec->raw, rec->raw_len);
    }
    int rc = roost_buf_adds(b, "}\n");
    if (rc < 0) {
        return rc;
    }
    if (fwrite(b->ptr, 1, b->len, dl->f) != b->len) {
        return ROOST_ERR(ROOST_EIO);
    }
    return 0;
}

int roost_deadletter_sync(struct roost_deadletter *dl, uint64_t *size)
{
    if (size != NULL) {
        *size = 0;
    }
    if (dl->f == NULL) {
        return 0;
    }
    if (fflush(dl->f) != 0 || fsync(fileno(dl->f)) != 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    long pos = ftell(dl->f);
    if (pos < 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    if (size != NULL) {
        *size = (uint64_t)pos;
    }
    return 0;
}

int roost_deadletter_close(struct roost_deadletter *dl)
{
    int rc = 0;
    if (dl->f != NULL && fclose(dl->f) != 0) {
        rc = ROOST_ERR(ROOST_EIO);
    }
    dl->f = NULL;
    roost_buf_fini(&dl->line);
    return rc;
}
