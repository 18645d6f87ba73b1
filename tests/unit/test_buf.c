/* SPDX-License-Identifier: MIT
 *
 * test_buf.c - bounded buffers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

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

/* ref_json_str - the byte-at-a-time escaper the vector one must match. */
static size_t ref_json_str(char *o, const unsigned char *s, size_t len)
{
    size_t n = 0;
    o[n++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned c = s[i];
        const char *esc = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\n'  ? "\\n"
                          : c == '\r'  ? "\\r"
                          : c == '\t'  ? "\\t"
                          : c == '\b'  ? "\\b"
                          : c == '\f'  ? "\\f"
                                       : NULL;
        if (esc != NULL) {
            n += (size_t)sprintf(o + n, "%s", esc);
        } else if (c < 0x20) {
            n += (size_t)sprintf(o + n, "\\u%04x", c);
        } else {
            o[n++] = (char)c;
        }
    }
    o[n++] = '"';
    return n;
}

/* Escaping over every offset and length around the 16-byte blocks, with
 * specials, control bytes and UTF-8 at varying positions. */
static void test_json_str_blocks(void)
{
    struct roost_buf b;
    roost_buf_init(&b, 1 << 20);
    unsigned char src[80];
    char want[80 * 6 + 3];
    uint32_t seed = 12345;
    for (int round = 0; round < 400; round++) {
        for (size_t i = 0; i < sizeof(src); i++) {
            seed = seed * 1103515245u + 12345u;
            unsigned r = seed >> 16 & 0xFF;
            src[i] = (unsigned char)(r < 200 ? 'a' + r % 26 : r);
        }
        size_t len = (size_t)round % sizeof(src);
        roost_buf_reset(&b);
        CHECK_INT_EQ(roost_buf_add(&b, "x", 1), 0);
        CHECK_INT_EQ(roost_buf_add_json_str(&b, (const char *)src, len), 0);
        want[ref_json_str(want, src, len)] = '\0';
        CHECK_MEM_EQ(b.ptr + 1, b.len - 1, want);
        CHECK(b.ptr[b.len] == '\0');
    }
    roost_buf_fini(&b);
}

static void test_add_i64(void)
{
    static const int64_t vals[] = { 0, 1, -1, 9, 10, -10, 123456789,
                                    INT64_MAX, INT64_MIN, INT64_MIN + 1 };
    struct roost_buf b;
    roost_buf_init(&b, 64);
    for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
        char want[32];
        snprintf(want, sizeof(want), "%" PRId64, vals[i]);
        roost_buf_reset(&b);
        CHECK_INT_EQ(roost_buf_add_i64(&b, vals[i]), 0);
        CHECK_MEM_EQ(b.ptr, b.len, want);
    }
    roost_buf_fini(&b);
    /* The cap still holds on the inline path. */
    roost_buf_init(&b, 4);
    CHECK_INT_EQ(roost_buf_addn(&b, "abc", 3), 0);
    CHECK_INT_EQ(roost_buf_addn(&b, "de", 2), ROOST_ELIMIT);
    CHECK_INT_EQ(roost_buf_add_i64(&b, 12), ROOST_ELIMIT);
    CHECK_MEM_EQ(b.ptr, b.len, "abc");
    roost_buf_fini(&b);
}

CHECK_LIST(test_add_and_cap, test_json_str, test_take, test_oom,
           test_json_str_blocks, test_add_i64)
