/* SPDX-License-Identifier: MIT
 *
 * archive_fmt.c - the archive's bytes: crc32c, block headers, records,
 * segment names and the .idx sidecar.
 *
 * Nothing here keeps state between calls; the writer (archive.c) and the
 * reader (archive_read.c) are built on it. Every decoder treats its input
 * as hostile: sizes are checked against the file and the format's caps
 * before anything is allocated (tests/fuzz/fuzz_archive.c).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/err.h"
#include "core/mem.h"
#include "store/archive_int.h"

/* ---- little-endian helpers ------------------------------------------- */

static void put_u16(unsigned char *p, uint16_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put_u32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void put_u64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint16_t get_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_u32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t get_u64(const unsigned char *p)
{
    return (uint64_t)get_u32(p) | ((uint64_t)get_u32(p + 4) << 32);
}

/* ---- crc32c (Castagnoli), slicing-by-8 -------------------------------- */

static uint32_t crc_tab[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) {
            c = (c & 1) ? (c >> 1) ^ 0x82f63b78u : c >> 1;
        }
        crc_tab[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++) {
        for (int t = 1; t < 8; t++) {
            uint32_t c = crc_tab[t - 1][i];
            crc_tab[t][i] = (c >> 8) ^ crc_tab[0][c & 0xff];
        }
    }
}

uint32_t roost__archive_crc32c(uint32_t crc, const void *p, size_t len)
{
    pthread_once(&crc_once, crc_init);
    const unsigned char *s = p;
    uint32_t c = ~crc;
    while (len >= 8) {
        uint32_t lo = c ^ get_u32(s);
        uint32_t hi = get_u32(s + 4);
        c = crc_tab[7][lo & 0xff] ^ crc_tab[6][(lo >> 8) & 0xff] ^
            crc_tab[5][(lo >> 16) & 0xff] ^ crc_tab[4][lo >> 24] ^
            crc_tab[3][hi & 0xff] ^ crc_tab[2][(hi >> 8) & 0xff] ^
            crc_tab[1][(hi >> 16) & 0xff] ^ crc_tab[0][hi >> 24];
        s += 8;
        len -= 8;
    }
    while (len-- > 0) {
        c = (c >> 8) ^ crc_tab[0][(c ^ *s++) & 0xff];
    }
    return ~c;
}

/* ---- block header ------------------------------------------------------ */

void roost__archive_hdr_encode(const struct roost__archive_hdr *h,
                               unsigned char out[ROOST__ARCHIVE_HDR_BYTES])
{
    memset(out, 0, ROOST__ARCHIVE_HDR_BYTES);
    put_u32(out, ROOST__ARCHIVE_BLOCK_MAGIC);
    put_u16(out + 4, ROOST__ARCHIVE_VERSION);
    put_u16(out + 6, 0);
    put_u32(out + 8, h->n_records);
    put_u32(out + 12, h->raw_bytes);
    put_u32(out + 16, h->comp_bytes);
    put_u64(out + 24, (uint64_t)h->min_ms);
    put_u64(out + 32, (uint64_t)h->max_ms);
    put_u32(out + 40, h->payload_crc);
    put_u32(out + 44, roost__archive_crc32c(0, out, 44));
}

int roost__archive_hdr_decode(const unsigned char in[ROOST__ARCHIVE_HDR_BYTES],
                              struct roost__archive_hdr *h)
{
    if (get_u32(in) != ROOST__ARCHIVE_BLOCK_MAGIC ||
        get_u16(in + 4) != ROOST__ARCHIVE_VERSION) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    if (get_u32(in + 44) != roost__archive_crc32c(0, in, 44)) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    h->n_records = get_u32(in + 8);
    h->raw_bytes = get_u32(in + 12);
    h->comp_bytes = get_u32(in + 16);
    h->min_ms = (int64_t)get_u64(in + 24);
    h->max_ms = (int64_t)get_u64(in + 32);
    h->payload_crc = get_u32(in + 40);
    if (h->raw_bytes > ROOST__ARCHIVE_MAX_RAW ||
        h->comp_bytes > ROOST__ARCHIVE_MAX_COMP || h->comp_bytes == 0 ||
        h->min_ms > h->max_ms || h->n_records == 0) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    return 0;
}

/* ---- records ----------------------------------------------------------- */

static size_t put_varint(unsigned char *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (unsigned char)v;
    return n;
}

static int get_varint(const unsigned char *p, size_t len, size_t *off,
                      uint64_t *v)
{
    uint64_t x = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (*off >= len) {
            return ROOST_ERR(ROOST_EPARSE);
        }
        unsigned char c = p[(*off)++];
        x |= (uint64_t)(c & 0x7f) << shift;
        if ((c & 0x80) == 0) {
            *v = x;
            return 0;
        }
    }
    return ROOST_ERR(ROOST_EPARSE);
}

int roost__archive_rec_encode(struct roost_buf *raw, int64_t *prev_ms,
                              const struct roost_archive_rec *r,
                              size_t source_len, size_t position_len)
{
    size_t need =
        ROOST__ARCHIVE_REC_OVERHEAD + source_len + position_len + r->len;
    int rc = roost_buf_reserve(raw, need);
    if (rc < 0) {
        return rc;
    }
    /* Deltas are taken modulo 2^64 so any pair of times encodes. */
    uint64_t delta = (uint64_t)r->recv_ms - (uint64_t)*prev_ms;
    uint64_t zz = (delta << 1) ^ (0 - (delta >> 63));
    unsigned char *p = (unsigned char *)raw->ptr + raw->len;
    size_t n = put_varint(p, zz);
    n += put_varint(p + n, source_len);
    n += put_varint(p + n, position_len);
    n += put_varint(p + n, r->len);
    memcpy(p + n, r->source, source_len);
    n += source_len;
    memcpy(p + n, r->position, position_len);
    n += position_len;
    if (r->len > 0) {
        memcpy(p + n, r->bytes, r->len);
    }
    n += r->len;
    raw->len += n;
    raw->ptr[raw->len] = '\0';
    *prev_ms = r->recv_ms;
    return 0;
}

int roost__archive_rec_decode(const char *raw, size_t len, size_t *off,
                              int64_t *prev_ms, struct roost__archive_drec *out)
{
    const unsigned char *p = (const unsigned char *)raw;
    uint64_t zz, sl, pl, bl;
    if (get_varint(p, len, off, &zz) < 0 || get_varint(p, len, off, &sl) < 0 ||
        get_varint(p, len, off, &pl) < 0 || get_varint(p, len, off, &bl) < 0) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    if (sl > ROOST_ARCHIVE_MAX_SOURCE_BYTES ||
        pl > ROOST_ARCHIVE_MAX_POSITION_BYTES ||
        bl > ROOST_ARCHIVE_MAX_RECORD_BYTES || sl + pl + bl > len - *off) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    uint64_t delta = (zz >> 1) ^ (0 - (zz & 1));
    out->recv_ms = (int64_t)((uint64_t)*prev_ms + delta);
    *prev_ms = out->recv_ms;
    out->source = raw + *off;
    out->source_len = (size_t)sl;
    *off += (size_t)sl;
    out->position = raw + *off;
    out->position_len = (size_t)pl;
    *off += (size_t)pl;
    out->bytes = raw + *off;
    out->len = (size_t)bl;
    *off += (size_t)bl;
    return 0;
}

/* ---- segment files ----------------------------------------------------- */

void roost__archive_seg_name(char out[64], int64_t first_ms, uint64_t seq)
{
    /* Zero-padded so names sort like (first_ms, seq); see archive.c for
     * why the writer keeps first_ms monotonic. */
    snprintf(out, 64, "seg-%015" PRId64 "-%08" PRIu64 ".rza",
             first_ms < 0 ? 0 : first_ms, seq);
}

static bool parse_seg_name(const char *s, struct roost__archive_seg *seg)
{
    size_t n = strlen(s);
    if (n >= sizeof(seg->name) || n < 11 || strncmp(s, "seg-", 4) != 0 ||
        strcmp(s + n - 4, ".rza") != 0) {
        return false;
    }
    const char *p = s + 4;
    uint64_t v[2] = { 0, 0 };
    for (int k = 0; k < 2; k++) {
        const char *start = p;
        while (*p >= '0' && *p <= '9' && p - start < 18) {
            v[k] = v[k] * 10 + (uint64_t)(*p - '0');
            p++;
        }
        if (p == start || *p != (k == 0 ? '-' : '.')) {
            return false;
        }
        p++;
    }
    if (strcmp(p, "rza") != 0) {
        return false;
    }
    memcpy(seg->name, s, n + 1);
    seg->first_ms = (int64_t)v[0];
    seg->seq = v[1];
    return true;
}

static int cmp_seg(const void *x, const void *y)
{
    const struct roost__archive_seg *a = x, *b = y;
    if (a->seq != b->seq) {
        return a->seq < b->seq ? -1 : 1;
    }
    return strcmp(a->name, b->name);
}

int roost__archive_path(char *out, size_t cap, const char *dir,
                        const char *name, const char *suffix)
{
    int n = snprintf(out, cap, "%s/%s%s", dir, name, suffix);
    if (n < 0 || (size_t)n >= cap) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    return 0;
}

int roost__archive_list_segs(const char *dir, struct roost__archive_seg **out,
                             size_t *n, struct roost_diag *d)
{
    DIR *dh = opendir(dir);
    if (dh == NULL) {
        int e = errno;
        if (d != NULL) {
            d->sys_errno = e;
        }
        return roost_diag_set(
            d, e == ENOENT ? ROOST_ERR(ROOST_ENOENT) : ROOST_ERR(ROOST_EIO), 0,
            "cannot open %s: %s", dir, strerror(e));
    }
    struct roost__archive_seg *segs = NULL;
    size_t n_segs = 0, cap = 0;
    int rc = 0;
    for (;;) {
        struct dirent *de = readdir(dh);
        if (de == NULL) {
            break;
        }
        struct roost__archive_seg seg;
        if (!parse_seg_name(de->d_name, &seg)) {
            continue;
        }
        if (n_segs == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            struct roost__archive_seg *p =
                roost_realloc(segs, ncap * sizeof(*segs));
            if (p == NULL) {
                rc = ROOST_ERR(ROOST_ENOMEM);
                goto out_free_segs;
            }
            segs = p;
            cap = ncap;
        }
        segs[n_segs++] = seg;
    }
    if (n_segs > 1) {
        qsort(segs, n_segs, sizeof(*segs), cmp_seg);
    }
    closedir(dh);
    *out = segs;
    *n = n_segs;
    return 0;

out_free_segs:
    roost_free(segs);
    closedir(dh);
    return rc;
}

/* ---- block index ------------------------------------------------------- */

void roost__archive_index_init(struct roost__archive_index *ix)
{
    memset(ix, 0, sizeof(*ix));
}

void roost__archive_index_fini(struct roost__archive_index *ix)
{
    for (size_t i = 0; i < ix->n_pos; i++) {
        roost_free(ix->pos[i].source);
        roost_free(ix->pos[i].position);
    }
    roost_free(ix->pos);
    roost_free(ix->blks);
    roost__archive_index_init(ix);
}

int roost__archive_index_add(struct roost__archive_index *ix,
                             const struct roost__archive_blk *b)
{
    if (ix->n_blks == ix->cap_blks) {
        size_t ncap = ix->cap_blks ? ix->cap_blks * 2 : 64;
        struct roost__archive_blk *p =
            roost_realloc(ix->blks, ncap * sizeof(*p));
        if (p == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        ix->blks = p;
        ix->cap_blks = ncap;
    }
    ix->blks[ix->n_blks++] = *b;
    return 0;
}

int roost__archive_pread_full(int fd, void *p, size_t len, uint64_t off)
{
    char *c = p;
    while (len > 0) {
        ssize_t n = pread(fd, c, len, (off_t)off);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return ROOST_ERR(ROOST_EIO);
        }
        if (n == 0) {
            return ROOST_ERR(ROOST_EPARSE); /* short: a torn tail */
        }
        c += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

int roost__archive_write_full(int fd, const void *p, size_t len)
{
    const char *c = p;
    while (len > 0) {
        ssize_t n = write(fd, c, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return ROOST_ERR(ROOST_EIO);
        }
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

int roost__archive_index_scan(int fd, uint64_t file_bytes,
                              struct roost__archive_index *ix)
{
    uint64_t off = 0;
    while (off < file_bytes) {
        unsigned char hb[ROOST__ARCHIVE_HDR_BYTES];
        struct roost__archive_hdr h;
        if (file_bytes - off < ROOST__ARCHIVE_HDR_BYTES) {
            break;
        }
        int rc = roost__archive_pread_full(fd, hb, sizeof(hb), off);
        if (rc == ROOST_EIO) {
            return rc;
        }
        if (rc < 0 || roost__archive_hdr_decode(hb, &h) < 0 ||
            h.comp_bytes > file_bytes - off - ROOST__ARCHIVE_HDR_BYTES) {
            break;
        }
        struct roost__archive_blk b = {
            .offset = off,
            .n_records = h.n_records,
            .raw_bytes = h.raw_bytes,
            .comp_bytes = h.comp_bytes,
            .min_ms = h.min_ms,
            .max_ms = h.max_ms,
        };
        rc = roost__archive_index_add(ix, &b);
        if (rc < 0) {
            return rc;
        }
        off += ROOST__ARCHIVE_HDR_BYTES + (uint64_t)h.comp_bytes;
    }
    ix->good_bytes = off;
    ix->torn = off != file_bytes;
    ix->from_idx = false;
    return 0;
}

/*
 * .idx layout: u32 magic, u32 version, u64 seg_bytes (the segment size it
 * describes: a different size makes it stale), u32 n_blocks, u32 n_pos,
 * n_blocks * 40 bytes {u64 offset, u32 n_records, u32 raw, u32 comp,
 * u32 0, i64 min_ms, i64 max_ms}, n_pos * {u16 slen, u16 plen, source,
 * position}, u32 crc32c of everything before it.
 */
#define IDX_HEAD 24
#define IDX_BLK  40

static int load_idx_bytes(const unsigned char *p, size_t len,
                          uint64_t seg_bytes, struct roost__archive_index *ix)
{
    if (len < IDX_HEAD + 4 || get_u32(p) != ROOST__ARCHIVE_IDX_MAGIC ||
        get_u32(p + 4) != ROOST__ARCHIVE_VERSION ||
        get_u64(p + 8) != seg_bytes ||
        get_u32(p + len - 4) != roost__archive_crc32c(0, p, len - 4)) {
        return ROOST_ERR(ROOST_ENOENT);
    }
    uint32_t n_blks = get_u32(p + 16);
    uint32_t n_pos = get_u32(p + 20);
    size_t body = len - 4;
    if ((uint64_t)n_blks * IDX_BLK > body - IDX_HEAD) {
        return ROOST_ERR(ROOST_ENOENT);
    }
    size_t off = IDX_HEAD;
    uint64_t expect = 0;
    for (uint32_t i = 0; i < n_blks; i++, off += IDX_BLK) {
        struct roost__archive_blk b = {
            .offset = get_u64(p + off),
            .n_records = get_u32(p + off + 8),
            .raw_bytes = get_u32(p + off + 12),
            .comp_bytes = get_u32(p + off + 16),
            .min_ms = (int64_t)get_u64(p + off + 24),
            .max_ms = (int64_t)get_u64(p + off + 32),
        };
        /* Blocks must tile the segment exactly. */
        if (b.offset != expect || b.comp_bytes > ROOST__ARCHIVE_MAX_COMP ||
            b.raw_bytes > ROOST__ARCHIVE_MAX_RAW) {
            return ROOST_ERR(ROOST_ENOENT);
        }
        expect = b.offset + ROOST__ARCHIVE_HDR_BYTES + b.comp_bytes;
        int rc = roost__archive_index_add(ix, &b);
        if (rc < 0) {
            return rc;
        }
    }
    if (expect != seg_bytes) {
        return ROOST_ERR(ROOST_ENOENT);
    }
    if (n_pos > ROOST_ARCHIVE_MAX_SOURCES) {
        return ROOST_ERR(ROOST_ENOENT);
    }
    if (n_pos > 0) {
        ix->pos = roost_calloc(n_pos, sizeof(*ix->pos));
        if (ix->pos == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
    }
    for (uint32_t i = 0; i < n_pos; i++) {
        if (body - off < 4) {
            return ROOST_ERR(ROOST_ENOENT);
        }
        size_t sl = get_u16(p + off), pl = get_u16(p + off + 2);
        off += 4;
        if (sl > ROOST_ARCHIVE_MAX_SOURCE_BYTES ||
            pl > ROOST_ARCHIVE_MAX_POSITION_BYTES || sl + pl > body - off) {
            return ROOST_ERR(ROOST_ENOENT);
        }
        struct roost__archive_pos *ps = &ix->pos[ix->n_pos];
        ps->source = roost_strndup((const char *)p + off, sl);
        ps->position = roost_strndup((const char *)p + off + sl, pl);
        ix->n_pos++;
        if (ps->source == NULL || ps->position == NULL) {
            return ROOST_ERR(ROOST_ENOMEM);
        }
        off += sl + pl;
    }
    if (off != body) {
        return ROOST_ERR(ROOST_ENOENT);
    }
    ix->good_bytes = seg_bytes;
    ix->torn = false;
    ix->from_idx = true;
    return 0;
}

int roost__archive_index_load(const char *idx_path, uint64_t seg_bytes,
                              struct roost__archive_index *ix)
{
    int fd = open(idx_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return ROOST_ERR(ROOST_ENOENT);
    }
    int rc;
    unsigned char *p = NULL;
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size < IDX_HEAD + 4 ||
        (uint64_t)st.st_size > ROOST__ARCHIVE_MAX_IDX_BYTES) {
        rc = ROOST_ERR(ROOST_ENOENT);
        goto out_close_fd;
    }
    size_t len = (size_t)st.st_size;
    p = roost_malloc(len);
    if (p == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_close_fd;
    }
    rc = roost__archive_pread_full(fd, p, len, 0);
    if (rc < 0) {
        rc = ROOST_ERR(ROOST_ENOENT);
        goto out_free_p;
    }
    rc = load_idx_bytes(p, len, seg_bytes, ix);
    if (rc < 0) {
        roost__archive_index_fini(ix);
    }

out_free_p:
    roost_free(p);
out_close_fd:
    close(fd);
    return rc;
}

int roost__archive_index_write(const char *idx_path,
                               const struct roost__archive_index *ix,
                               const struct roost__archive_pos *pos,
                               size_t n_pos, bool sync)
{
    struct roost_buf b;
    char tmp[4096];
    unsigned char u[IDX_BLK];
    int n = snprintf(tmp, sizeof(tmp), "%s.tmp", idx_path);
    if (n < 0 || (size_t)n >= sizeof(tmp)) {
        return ROOST_ERR(ROOST_ELIMIT);
    }
    int rc;
    roost_buf_init(&b, ROOST__ARCHIVE_MAX_IDX_BYTES);
    put_u32(u, ROOST__ARCHIVE_IDX_MAGIC);
    put_u32(u + 4, ROOST__ARCHIVE_VERSION);
    put_u64(u + 8, ix->good_bytes);
    put_u32(u + 16, (uint32_t)ix->n_blks);
    put_u32(u + 20, (uint32_t)n_pos);
    rc = roost_buf_add(&b, u, IDX_HEAD);
    for (size_t i = 0; rc == 0 && i < ix->n_blks; i++) {
        const struct roost__archive_blk *k = &ix->blks[i];
        memset(u, 0, sizeof(u));
        put_u64(u, k->offset);
        put_u32(u + 8, k->n_records);
        put_u32(u + 12, k->raw_bytes);
        put_u32(u + 16, k->comp_bytes);
        put_u64(u + 24, (uint64_t)k->min_ms);
        put_u64(u + 32, (uint64_t)k->max_ms);
        rc = roost_buf_add(&b, u, IDX_BLK);
    }
    for (size_t i = 0; rc == 0 && i < n_pos; i++) {
        size_t sl = strlen(pos[i].source), pl = strlen(pos[i].position);
        put_u16(u, (uint16_t)sl);
        put_u16(u + 2, (uint16_t)pl);
        rc = roost_buf_add(&b, u, 4);
        if (rc == 0) {
            rc = roost_buf_add(&b, pos[i].source, sl);
        }
        if (rc == 0) {
            rc = roost_buf_add(&b, pos[i].position, pl);
        }
    }
    if (rc == 0) {
        put_u32(u, roost__archive_crc32c(0, b.ptr, b.len));
        rc = roost_buf_add(&b, u, 4);
    }
    if (rc < 0) {
        goto out_fini_buf;
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = ROOST_ERR(ROOST_EIO);
        goto out_fini_buf;
    }
    rc = roost__archive_write_full(fd, b.ptr, b.len);
    if (rc == 0 && sync && fsync(fd) < 0) {
        rc = ROOST_ERR(ROOST_EIO);
    }
    if (close(fd) < 0 && rc == 0) {
        rc = ROOST_ERR(ROOST_EIO);
    }
    if (rc == 0 && rename(tmp, idx_path) < 0) {
        rc = ROOST_ERR(ROOST_EIO);
    }
    if (rc < 0) {
        unlink(tmp);
    }

out_fini_buf:
    roost_buf_fini(&b);
    return rc;
}

int roost__archive_index_get(const char *dir, const char *name, int fd,
                             struct roost__archive_index *ix)
{
    char path[4096];
    struct stat st;
    if (fstat(fd, &st) < 0) {
        return ROOST_ERR(ROOST_EIO);
    }
    int rc = roost__archive_path(path, sizeof(path), dir, name, ".idx");
    if (rc < 0) {
        return rc;
    }
    rc = roost__archive_index_load(path, (uint64_t)st.st_size, ix);
    if (rc == 0 || rc == ROOST_ENOMEM) {
        return rc;
    }
    return roost__archive_index_scan(fd, (uint64_t)st.st_size, ix);
}
