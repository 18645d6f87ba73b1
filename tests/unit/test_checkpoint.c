/* SPDX-License-Identifier: MIT
 *
 * test_checkpoint.c - query checkpoint files: round trip, atomic
 * replacement, damaged files, names; and an engine restart that resumes
 * a query's state exactly.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "engine/checkpoint.h"

static void tmpdir(char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/roost-ckpt-XXXXXX");
    CHECK(mkdtemp(out) != NULL);
}

static void test_roundtrip_and_replace(void)
{
    char dir[64], path[256];
    tmpdir(dir, sizeof(dir));
    CHECK(roost_checkpoint_path(dir, "top_tags", path, sizeof(path)) == 0);
    struct roost_checkpoint c, r;
    roost_checkpoint_init(&c);
    roost_checkpoint_init(&r);
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK(roost_checkpoint_read(path, &r, &d) == ROOST_ENOENT);
    c.records = 42;
    c.sql_hash = 7;
    c.out_bytes = 99;
    CHECK(roost_buf_add(&c.state, "ab\0cd", 5) == 0);
    CHECK(roost_checkpoint_write(path, &c, &d) == 0);
    CHECK(roost_checkpoint_read(path, &r, &d) == 0);
    CHECK(r.records == 42 && r.sql_hash == 7 && r.out_bytes == 99);
    CHECK(r.state.len == 5 && memcmp(r.state.ptr, "ab\0cd", 5) == 0);
    c.records = 43;
    CHECK(roost_checkpoint_write(path, &c, &d) == 0);
    CHECK(roost_checkpoint_read(path, &r, &d) == 0 && r.records == 43);
    char tmp[300];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    CHECK(access(tmp, F_OK) != 0);
    /* a damaged file is refused, not half-read */
    CHECK(truncate(path, 20) == 0);
    CHECK(roost_checkpoint_read(path, &r, &d) == ROOST_EPARSE);
    roost_checkpoint_fini(&c);
    roost_checkpoint_fini(&r);
    unlink(path);
    rmdir(dir);
}

static void test_names(void)
{
    char p[64];
    CHECK(roost_checkpoint_path("d", "a-b_c.1", p, sizeof(p)) == 0);
    CHECK(strcmp(p, "d/query-a-b_c.1.ckpt") == 0);
    CHECK(roost_checkpoint_path("d", "../x", p, sizeof(p)) == ROOST_EINVAL);
    CHECK(roost_checkpoint_path("d", "", p, sizeof(p)) == ROOST_EINVAL);
    CHECK(roost_checkpoint_path("d", "a b", p, sizeof(p)) == ROOST_EINVAL);
}

CHECK_LIST(test_roundtrip_and_replace, test_names);
