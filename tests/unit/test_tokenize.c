/* SPDX-License-Identifier: MIT
 *
 * test_tokenize.c - words and case folding.
 */
#include "check.h"
#include "parse/tokenize.h"

struct words {
    char all[1024];
    size_t len;
    int n;
};

static int collect(void *arg, const char *w, size_t len)
{
    struct words *ws = arg;
    if (ws->len + len + 2 < sizeof(ws->all)) {
        memcpy(ws->all + ws->len, w, len);
        ws->len += len;
        ws->all[ws->len++] = '|';
        ws->all[ws->len] = '\0';
    }
    ws->n++;
    return 0;
}

static void check_words(const char *text, const char *want)
{
    struct words ws = { .len = 0 };
    ws.all[0] = '\0';
    CHECK_INT_EQ(roost_tokenize_words(text, strlen(text), collect, &ws), 0);
    CHECK_STR_EQ(ws.all, want);
}

static void test_words_basic(void)
{
    check_words("Hello, World! hello", "hello|world|hello|");
    check_words("RT @user: #Vote now https://t.co/abc ok",
                "rt|vote|now|ok|");
    check_words("don't stop", "don't|stop|");
    check_words("Ünïcode ÉTÉ Москва", "ünïcode|été|москва|");
    check_words("emoji\xF0\x9F\x98\x80split", "emoji|split|");
    check_words("", "");
    check_words("   ", "");
}

/* An apostrophe is inner when the character after it is a word character:
 * the decoded character, not its first byte (U+05E9 starts with 0xD7,
 * which as a code point would be the separator U+00D7). */
static void test_inner_apostrophe(void)
{
    check_words("rock'\xF0\x9F\x94\xA5 yes'\xE2\x80\x94 x'\xD7\xA9 done",
                "rock|yes|x'\xD7\xA9|done|");
    check_words("l\xE2\x80\x99homme it's' 'tis", "l'homme|it's|tis|");
    check_words("end'", "end|");
    check_words("a'\xFF", "a|"); /* an invalid byte after it ends the word */
}

static void test_fold_case(void)
{
    struct roost_buf b;
    roost_buf_init(&b, 1024);
    CHECK_INT_EQ(roost_fold_case("COVID19 Ärger ΑΘΗΝΑ", strlen("COVID19 Ärger ΑΘΗΝΑ"), &b), 0);
    CHECK_STR_EQ(b.ptr, "covid19 ärger αθηνα");
    roost_buf_reset(&b);
    CHECK_INT_EQ(roost_fold_case("bad\xFFx", 5, &b), 0);
    CHECK_INT_EQ(b.len, 5);
    roost_buf_fini(&b);
}

CHECK_LIST(test_words_basic, test_inner_apostrophe, test_fold_case)
