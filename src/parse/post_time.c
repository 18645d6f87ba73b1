/* SPDX-License-Identifier: MIT
 *
 * post_time.c - the timestamps of every wire format, to and from epoch ms.
 *
 * Two shapes arrive: Twitter v1.1's "Sun Jun 06 23:50:12 +0000 2021" and
 * ISO 8601 / RFC 3339 ("2021-06-06T23:50:12.123Z", "+02:00" offsets, any
 * number of fraction digits, or none; Gnip and X v2 use the former).
 * Epoch days come from Howard Hinnant's days_from_civil, so the result
 * never depends on the process time zone (no timegm/mktime). Start at
 * roost_time_parse(); roost_time_format() is its inverse for UTC.
 */
#include <stdbool.h>
#include <string.h>

#include "parse/post.h"

#define MS_PER_DAY 86400000LL

/* Days since 1970-01-01 of the proleptic Gregorian date y-m-d. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned month_days(int64_t y, unsigned m)
{
    static const unsigned char days[12] = { 31, 28, 31, 30, 31, 30,
                                            31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : days[m - 1];
}

/* A cursor over the input; every reader fails softly at the end. */
struct cur {
    const char *p;
    const char *end;
};

static bool digits(struct cur *c, unsigned n, int *out)
{
    int v = 0;
    for (unsigned i = 0; i < n; i++) {
        if (c->p >= c->end || *c->p < '0' || *c->p > '9') {
            return false;
        }
        v = v * 10 + (*c->p++ - '0');
    }
    *out = v;
    return true;
}

static bool lit(struct cur *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

/* "+0000", "+00:00", "-0530", "Z" (when allow_z): offset in minutes. */
static bool offset(struct cur *c, bool allow_z, int *minutes)
{
    if (allow_z && (lit(c, 'Z') || lit(c, 'z'))) {
        *minutes = 0;
        return true;
    }
    int sign;
    if (lit(c, '+')) {
        sign = 1;
    } else if (lit(c, '-')) {
        sign = -1;
    } else {
        return false;
    }
    int hh, mm;
    if (!digits(c, 2, &hh)) {
        return false;
    }
    (void)lit(c, ':');
    if (!digits(c, 2, &mm) || hh > 23 || mm > 59) {
        return false;
    }
    *minutes = sign * (hh * 60 + mm);
    return true;
}

static int finish(int64_t y, int mo, int d, int h, int mi, int s, int ms,
                  int off_min, int64_t *out)
{
    if (mo < 1 || mo > 12 || d < 1 ||
        (unsigned)d > month_days(y, (unsigned)mo) || h > 23 || mi > 59 ||
        s > 60) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    int64_t days = days_from_civil(y, (unsigned)mo, (unsigned)d);
    int64_t secs = (int64_t)h * 3600 + mi * 60 + s - (int64_t)off_min * 60;
    *out = days * MS_PER_DAY + secs * 1000 + ms;
    return 0;
}

static int parse_iso(struct cur *c, int64_t *out)
{
    int y, mo, d, h, mi, s = 0, ms = 0, off = 0;
    if (!digits(c, 4, &y) || !lit(c, '-') || !digits(c, 2, &mo) ||
        !lit(c, '-') || !digits(c, 2, &d)) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    if (!lit(c, 'T') && !lit(c, 't') && !lit(c, ' ')) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    if (!digits(c, 2, &h) || !lit(c, ':') || !digits(c, 2, &mi)) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    if (lit(c, ':') && !digits(c, 2, &s)) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    if (lit(c, '.') || lit(c, ',')) {
        /* Keep milliseconds; further digits (micro, nano) truncate. */
        int scale = 100, nd = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            ms += (*c->p++ - '0') * scale;
            scale /= 10;
            nd++;
        }
        if (nd == 0) {
            return ROOST_ERR(ROOST_EPARSE);
        }
    }
    /* RFC 3339 requires an offset; a bare local time is taken as UTC. */
    if (c->p < c->end && !offset(c, true, &off)) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    if (c->p != c->end) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    return finish(y, mo, d, h, mi, s, ms, off, out);
}

static int month_of(const char *p)
{
    static const char names[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
    for (int i = 0; i < 12; i++) {
        if (memcmp(p, names + 3 * i, 3) == 0) {
            return i + 1;
        }
    }
    return 0;
}

/* "Sun Jun 06 23:50:12 +0000 2021"; the weekday is not checked. */
static int parse_twitter(struct cur *c, int64_t *out)
{
    int d, h, mi, s, y, off;
    if (c->end - c->p < 30 || c->p[3] != ' ' || c->p[7] != ' ') {
        return ROOST_ERR(ROOST_EPARSE);
    }
    int mo = month_of(c->p + 4);
    c->p += 8;
    if (mo == 0 || !digits(c, 2, &d) || !lit(c, ' ') || !digits(c, 2, &h) ||
        !lit(c, ':') || !digits(c, 2, &mi) || !lit(c, ':') ||
        !digits(c, 2, &s) || !lit(c, ' ') || !offset(c, false, &off) ||
        !lit(c, ' ') || !digits(c, 4, &y) || c->p != c->end) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    return finish(y, mo, d, h, mi, s, 0, off, out);
}

int roost_time_parse(const char *s, size_t len, int64_t *ms)
{
    if (s == NULL || len < 10) {
        return ROOST_ERR(ROOST_EPARSE);
    }
    struct cur c = { s, s + len };
    int64_t v;
    int rc =
        s[0] >= '0' && s[0] <= '9' ? parse_iso(&c, &v) : parse_twitter(&c, &v);
    if (rc < 0) {
        return rc;
    }
    *ms = v;
    return 0;
}

/* put_digits - v (< 10^n) as exactly n decimal digits, zero-padded. */
static void put_digits(char *out, unsigned n, unsigned v)
{
    for (unsigned i = n; i > 0; i--) {
        out[i - 1] = (char)('0' + v % 10);
        v /= 10;
    }
}

void roost_time_format(int64_t ms, char out[32])
{
    int64_t days = ms / MS_PER_DAY, rem = ms % MS_PER_DAY;
    if (rem < 0) {
        rem += MS_PER_DAY;
        days--;
    }
    int64_t y;
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    int secs = (int)(rem / 1000);
    /* ISO 8601 has four-digit years; the modulos bound every field so the
     * 24 characters always fit (and tell the compiler so). */
    int yy = y < 0 ? 0 : y > 9999 ? 9999 : (int)y;
    /* What snprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ") would write,
     * without its cost on the output hot path. */
    put_digits(out, 4, (unsigned)yy);
    out[4] = '-';
    put_digits(out + 5, 2, m % 100);
    out[7] = '-';
    put_digits(out + 8, 2, d % 100);
    out[10] = 'T';
    put_digits(out + 11, 2, (unsigned)(secs / 3600 % 100));
    out[13] = ':';
    put_digits(out + 14, 2, (unsigned)(secs / 60 % 60));
    out[16] = ':';
    put_digits(out + 17, 2, (unsigned)(secs % 60));
    out[19] = '.';
    put_digits(out + 20, 3, (unsigned)(rem % 1000));
    out[23] = 'Z';
    out[24] = '\0';
}
