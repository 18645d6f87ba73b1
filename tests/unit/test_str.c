/* SPDX-License-Identifier: MIT
 *
 * test_str.c - string views and UTF-8 primitives.
 */
#include "check.h"
#include "core/str.h"

static void test_decode_valid(void)
{
    uint32_t cp = 0;
    CHECK_INT_EQ(roost_utf8_decode((const unsigned char *)"A", 1, &cp), 1);
    CHECK_INT_EQ(cp, 'A');
    CHECK_INT_EQ(roost_utf8_decode((const unsigned char *)"\xC3\xA9", 2, &cp),
                 2);
    CHECK_INT_EQ(cp, 0xE9);
    CHECK_INT_EQ(
        roost_utf8_decode((const unsigned char *)"\xE2\x82\xAC", 3, &cp), 3);
    CHECK_INT_EQ(cp, 0x20AC);
    CHECK_INT_EQ(
        roost_utf8_decode((const unsigned char *)"\xF0\x9F\x98\x80", 4, &cp),
        4);
    CHECK_INT_EQ(cp, 0x1F600);
}

static void test_decode_invalid(void)
{
    uint32_t cp = 0;
    /* overlong, surrogate, above U+10FFFF, truncated, lone continuation */
    CHECK_INT_EQ(roost_utf8_decode((const unsigned char *)"\xC0\xAF", 2, &cp),
                 0);
    CHECK_INT_EQ(
        roost_utf8_decode((const unsigned char *)"\xE0\x80\xAF", 3, &cp), 0);
    CHECK_INT_EQ(
        roost_utf8_decode((const unsigned char *)"\xED\xA0\x80", 3, &cp), 0);
    CHECK_INT_EQ(
        roost_utf8_decode((const unsigned char *)"\xF4\x90\x80\x80", 4, &cp),
        0);
    CHECK_INT_EQ(roost_utf8_decode((const unsigned char *)"\xE2\x82", 2, &cp),
                 0);
    CHECK_INT_EQ(roost_utf8_decode((const unsigned char *)"\x80", 1, &cp), 0);
    CHECK(!roost_utf8_valid("ab\xFF", 3));
    CHECK(roost_utf8_valid("caf\xC3\xA9", 5));
}

static void test_encode_roundtrip(void)
{
    static const uint32_t cps[] = { 0, 0x7F, 0x80, 0x7FF, 0x800, 0xFFFF,
                                    0x10000, 0x10FFFF };
    for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
        char out[4];
        uint32_t back = 0;
        size_t n = roost_utf8_encode(cps[i], out);
        CHECK_INT_EQ(roost_utf8_decode((unsigned char *)out, n, &back), n);
        CHECK_INT_EQ(back, cps[i]);
    }
}

static void test_count_and_compare(void)
{
    CHECK_INT_EQ(roost_utf8_count("a\xC3\xA9\xF0\x9F\x98\x80", 7), 3);
    CHECK(roost_str_eq_cstr(ROOST_STR_LIT("abc"), "abc"));
    CHECK(!roost_str_eq_cstr(ROOST_STR_LIT("abc"), "abd"));
    CHECK(roost_str_ieq_ascii(ROOST_STR_LIT("TrumP"), ROOST_STR_LIT("trump")));
    CHECK(roost_str_is_null(ROOST_STR_NULL));
}

CHECK_LIST(test_decode_valid, test_decode_invalid, test_encode_roundtrip,
           test_count_and_compare)
