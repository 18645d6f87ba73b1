/* SPDX-License-Identifier: MIT
 *
 * test_post_time.c - roost_time_parse() and roost_time_format(): Twitter
 * v1.1 dates, ISO 8601 / RFC 3339 with offsets and fractions, round trips,
 * and rejection of malformed input. Independent of the process time zone.
 */
#include "check.h"
#include "parse/post.h"

static int64_t parse(const char *s)
{
    int64_t ms = -1;
    int rc = roost_time_parse(s, strlen(s), &ms);
    CHECK_MSG(rc == 0, "parse \"%s\" failed: %d", s, rc);
    return ms;
}

static bool rejects(const char *s)
{
    int64_t ms = 12345;
    return roost_time_parse(s, strlen(s), &ms) == ROOST_EPARSE && ms == 12345;
}

/* 2021-06-06T23:50:12Z, computed independently: 18784 days. */
#define T0 1623023412000LL

static void test_twitter_utc(void)
{
    CHECK_INT_EQ(parse("Sun Jun 06 23:50:12 +0000 2021"), T0);
    CHECK_INT_EQ(parse("Thu Jan 01 00:00:00 +0000 1970"), 0);
    CHECK_INT_EQ(parse("Tue Apr 17 16:38:18 +0000 2012"), 1334680698000LL);
}

static void test_twitter_offsets(void)
{
    CHECK_INT_EQ(parse("Mon Jun 07 01:50:12 +0200 2021"), T0);
    CHECK_INT_EQ(parse("Sun Jun 06 18:20:12 -0530 2021"), T0);
}

static void test_iso(void)
{
    CHECK_INT_EQ(parse("2021-06-06T23:50:12.123Z"), T0 + 123);
    CHECK_INT_EQ(parse("2021-06-06T23:50:12Z"), T0);
    CHECK_INT_EQ(parse("2021-06-06T23:50:12.000Z"), T0);
    CHECK_INT_EQ(parse("2021-06-07T01:50:12+02:00"), T0);
    CHECK_INT_EQ(parse("2021-06-06T20:50:12.5-03:00"), T0 + 500);
    CHECK_INT_EQ(parse("2021-06-06T23:50:12.123456Z"), T0 + 123);
    CHECK_INT_EQ(parse("2021-06-06T23:50:12.123456789+00:00"), T0 + 123);
    CHECK_INT_EQ(parse("2021-06-06T23:50:12+0000"), T0);
    CHECK_INT_EQ(parse("2013-04-05T12:00:00.000Z"), 1365163200000LL);
}

static void test_leap_and_edges(void)
{
    CHECK_INT_EQ(parse("2020-02-29T00:00:00Z"), 1582934400000LL);
    CHECK_INT_EQ(parse("2000-03-01T00:00:00Z"), 951868800000LL);
    CHECK_INT_EQ(parse("1969-12-31T23:59:59Z"), -1000);
    CHECK_INT_EQ(parse("2038-01-19T03:14:08Z"), 2147483648000LL);
    CHECK(rejects("2021-02-29T00:00:00Z"));
    CHECK(rejects("1900-02-29T00:00:00Z"));
}

static void test_rejects(void)
{
    CHECK(rejects(""));
    CHECK(rejects("yesterday"));
    CHECK(rejects("2021-06-06"));
    CHECK(rejects("2021-13-06T23:50:12Z"));
    CHECK(rejects("2021-06-06T24:50:12Z"));
    CHECK(rejects("2021-06-06T23:50:12.Z"));
    CHECK(rejects("2021-06-06T23:50:12Zjunk"));
    CHECK(rejects("2021-06-06T23:50:12+2"));
    CHECK(rejects("Sun Jux 06 23:50:12 +0000 2021"));
    CHECK(rejects("Sun Jun 06 23:50:12 0000 2021"));
    CHECK(rejects("Sun Jun 06 23:50:12 +0000 2021 "));
    CHECK(rejects("Sun Jun 32 23:50:12 +0000 2021"));
    int64_t ms;
    CHECK(roost_time_parse(NULL, 0, &ms) == ROOST_EPARSE);
    /* Not NUL-terminated: only len bytes are read. */
    const char buf[] = "2021-06-06T23:50:12Z9999";
    CHECK(roost_time_parse(buf, 20, &ms) == 0 && ms == T0);
}

static void test_format(void)
{
    char out[32];
    roost_time_format(T0, out);
    CHECK_STR_EQ(out, "2021-06-06T23:50:12.000Z");
    roost_time_format(T0 + 7, out);
    CHECK_STR_EQ(out, "2021-06-06T23:50:12.007Z");
    roost_time_format(0, out);
    CHECK_STR_EQ(out, "1970-01-01T00:00:00.000Z");
    roost_time_format(-1, out);
    CHECK_STR_EQ(out, "1969-12-31T23:59:59.999Z");
    roost_time_format(1582934400000LL, out);
    CHECK_STR_EQ(out, "2020-02-29T00:00:00.000Z");
    /* Years outside 0..9999 are clamped to four digits. */
    roost_time_format(253402300800000LL + 86400000LL * 40, out);
    CHECK_STR_EQ(out, "9999-02-10T00:00:00.000Z");
    roost_time_format(-62167219200000LL - 86400000LL, out);
    CHECK_STR_EQ(out, "0000-12-31T00:00:00.000Z");
}

static void test_round_trip(void)
{
    /* Every ~17 hours over 1970..2100, format then parse. */
    for (int64_t ms = -86400000LL * 365; ms < 4102444800000LL;
         ms += 61234567LL) {
        char out[32];
        roost_time_format(ms, out);
        int64_t back = 0;
        CHECK(roost_time_parse(out, strlen(out), &back) == 0);
        CHECK_INT_EQ(back, ms);
    }
}

static void test_no_tz_dependence(void)
{
    setenv("TZ", "America/New_York", 1);
    CHECK_INT_EQ(parse("Sun Jun 06 23:50:12 +0000 2021"), T0);
    CHECK_INT_EQ(parse("2021-06-06T23:50:12Z"), T0);
}

CHECK_LIST(test_twitter_utc, test_twitter_offsets, test_iso,
           test_leap_and_edges, test_rejects, test_format, test_round_trip,
           test_no_tz_dependence);
