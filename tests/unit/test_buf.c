/* SPDX-License-Identifier: MIT
 *
 * test_buf.c - bounded buffers.
 */
#include "check.h"
#include "core/buf.h"
#include "core/mem.h"

static void test_add_and_cap(void)
{
    struct roost_buf b;
    roost_buf_init(&b, 8);
    CHECK_INT_EQ(roost_buf_adds(&b, "abcd"), 0);
    CHECK_INT_EQ(roost_buf_printf(&b, "%d", 123), 0);
    CHECK_STR_EQ(b.ptr, "abcd123");
    CHECK_INT_EQ(roost_buf_adds(&b, "xy"), ROOST_ELIMIT);
    CHECK_STR_EQ(b.ptr, "abcd123"); /* unchanged on failure */
    CHECK_INT_EQ(roost_buf_addc(&b, '!'), 0);
    CHECK_INT_EQ(b.len, 8);
    roost_buf_reset(&b);
    CHECK_INT_EQ(b.len, 0);
    roost_buf_fini(&b);
}

static void test_json_str(void)
{
    struct roost_buf b;
    roost_buf_init(&b, 1 << 10);
    CHECK_INT_EQ(roost_buf_add_json_str(&b, "a\"b\\c\n\x01\xC3\xA9", 9), 0);
    CHECK_STR_EQ(b.ptr, "\"a\\\"b\\\\c\\n\\u0001\xC3\xA9\"");
    roost_buf_fini(&b);
}

static void test_take(void)
{
    struct roost_buf b;
    roost_buf_init(&b, 1 << 10);
    CHECK_INT_EQ(roost_buf_adds(&b, "owned"), 0);
    size_t len = 0;
    char *p = roost_buf_take(&b, &len);
    CHECK_INT_EQ(len, 5);
    CHECK_STR_EQ(p, "owned");
    CHECK(b.ptr == NULL);
    roost_free(p);
    roost_buf_fini(&b);
}

static void test_oom(void)
{
    struct roost_buf b;
    roost_buf_init(&b, 1 << 10);
    roost_mem_fault_after(1);
    CHECK_INT_EQ(roost_buf_adds(&b, "x"), 0);    /* first alloc succeeds */
    CHECK_INT_EQ(roost_buf_reserve(&b, 500), ROOST_ENOMEM);
    CHECK_INT_EQ(b.len, 1);
    roost_mem_fault_after(0);
    roost_buf_fini(&b);
}

CHECK_LIST(test_add_and_cap, test_json_str, test_take, test_oom)
