/* SPDX-License-Identifier: MIT
 *
 * test_html.c - character references and Mastodon HTML to plain text.
 */
#include "check.h"
#include "parse/post_int.h"

static struct roost_norm norm;

static struct roost_str unesc(const char *s)
{
    return roost__html_unescape(&norm, roost_str_cstr(s));
}

static struct roost_str text(const char *s)
{
    return roost__html_to_text(&norm, roost_str_cstr(s));
}

#define CHECK_UNESC(in, out)                                                   \
    do {                                                                       \
        struct roost_str r_ = unesc(in);                                       \
        CHECK(r_.ptr != NULL);                                                 \
        CHECK_MEM_EQ(r_.ptr, r_.len, out);                                     \
    } while (0)

#define CHECK_TEXT(in, out)                                                    \
    do {                                                                       \
        struct roost_str r_ = text(in);                                        \
        CHECK(r_.ptr != NULL);                                                 \
        CHECK(r_.len <= strlen(in));                                           \
        CHECK_MEM_EQ(r_.ptr, r_.len, out);                                     \
    } while (0)

static void test_unescape_named(void)
{
    roost_norm_init(&norm);
    CHECK_UNESC("a &amp; b", "a & b");
    CHECK_UNESC("&lt;p&gt;", "<p>");
    CHECK_UNESC("&quot;hi&quot; &apos;x&apos;", "\"hi\" 'x'");
    CHECK_UNESC("a&nbsp;b", "a\xC2\xA0"
                            "b");
    CHECK_UNESC("wait&hellip;", "wait\xE2\x80\xA6");
    CHECK_UNESC("&amp;amp;", "&amp;"); /* one level only */
    roost_norm_fini(&norm);
}

static void test_unescape_numeric(void)
{
    roost_norm_init(&norm);
    CHECK_UNESC("&#39;&#x27;&#X27;", "'''");
    CHECK_UNESC("&#233;t&#xE9;", "\xC3\xA9t\xC3\xA9");
    CHECK_UNESC("&#128512;", "\xF0\x9F\x98\x80");
    CHECK_UNESC("&#x1F600;", "\xF0\x9F\x98\x80");
    CHECK_UNESC("&#x10FFFF;", "\xF4\x8F\xBF\xBF");
    roost_norm_fini(&norm);
}

static void test_unescape_invalid_kept(void)
{
    roost_norm_init(&norm);
    CHECK_UNESC("AT&T", "AT&T");
    CHECK_UNESC("&bogus;", "&bogus;");
    CHECK_UNESC("&amp", "&amp"); /* no ';' */
    CHECK_UNESC("&#;", "&#;");
    CHECK_UNESC("&#x;", "&#x;");
    CHECK_UNESC("&#0;", "&#0;");             /* NUL */
    CHECK_UNESC("&#xD800;", "&#xD800;");     /* surrogate */
    CHECK_UNESC("&#x110000;", "&#x110000;"); /* > U+10FFFF */
    CHECK_UNESC("&#99999999999999999999;", "&#99999999999999999999;");
    CHECK_UNESC("&#12a;", "&#12a;");
    CHECK_UNESC("&", "&");
    CHECK_UNESC("x&&amp;&", "x&&&");
    CHECK_UNESC("&verylongentityname;", "&verylongentityname;");
    roost_norm_fini(&norm);
}

static void test_unescape_no_amp_is_identity(void)
{
    roost_norm_init(&norm);
    const char *s = "plain text";
    struct roost_str r = roost__html_unescape(&norm, roost_str_cstr(s));
    CHECK(r.ptr == s);
    CHECK_INT_EQ(r.len, strlen(s));
    r = roost__html_unescape(&norm, ROOST_STR_NULL);
    CHECK(r.ptr == NULL);
    roost_norm_fini(&norm);
}

static void test_text_paragraphs_and_breaks(void)
{
    roost_norm_init(&norm);
    CHECK_TEXT("<p>one</p><p>two</p>", "one\n\ntwo");
    CHECK_TEXT("<p>a<br>b<br/>c<br />d</p>", "a\nb\nc\nd");
    CHECK_TEXT("<p>a</p><p></p><p>b</p>", "a\n\nb");
    CHECK_TEXT("<P>A</P><P>B</P>", "A\n\nB");
    CHECK_TEXT("<p>a</p>", "a"); /* no trailing newline */
    CHECK_TEXT("<ul><li>x</li><li>y</li></ul><p>z</p>", "x\ny\n\nz");
    CHECK_TEXT("<blockquote><p>q</p></blockquote><p>r</p>", "q\n\nr");
    CHECK_TEXT("", "");
    roost_norm_fini(&norm);
}

static void test_text_mastodon_links(void)
{
    roost_norm_init(&norm);
    /* Mastodon's shortened link: invisible parts kept, full URL text. */
    CHECK_TEXT("<p>see <a href=\"https://example.com/a/very/long/path\" "
               "rel=\"nofollow noopener\" target=\"_blank\">"
               "<span class=\"invisible\">https://</span>"
               "<span class=\"ellipsis\">example.com/a/very/lo</span>"
               "<span class=\"invisible\">ng/path</span></a> ok</p>",
               "see https://example.com/a/very/long/path ok");
    /* mention and hashtag anchors as Mastodon renders them */
    CHECK_TEXT("<p><span class=\"h-card\"><a href=\"https://x.example/@halcy\" "
               "class=\"u-url mention\">@<span>halcy</span></a></span> hi "
               "<a href=\"https://m.example/tags/Tag\" class=\"mention "
               "hashtag\" rel=\"tag\">#<span>Tag</span></a></p>",
               "@halcy hi #Tag");
    roost_norm_fini(&norm);
}

static void test_text_entities_decoded(void)
{
    roost_norm_init(&norm);
    CHECK_TEXT("<p>Tom &amp; Jerry &lt;3 &#x1F600; it&#39;s</p>",
               "Tom & Jerry <3 \xF0\x9F\x98\x80 it's");
    CHECK_TEXT("no tags &amp; one entity", "no tags & one entity");
    roost_norm_fini(&norm);
}

static void test_text_malformed(void)
{
    roost_norm_init(&norm);
    CHECK_TEXT("a < b and c <3 d", "a < b and c <3 d");
    CHECK_TEXT("x <", "x <");
    CHECK_TEXT("<", "<");
    CHECK_TEXT("ab <span class=\"x\"", "ab <span class=\"x\"");
    CHECK_TEXT("ab <a href=\"x>y</a> z", "ab <a href=\"x>y</a> z");
    CHECK_TEXT("<p>a <!-- note --> b</p>", "a  b");
    CHECK_TEXT("a <!-- never ends", "a ");
    CHECK_TEXT("<!DOCTYPE html><p>d</p>", "d");
    CHECK_TEXT("<a title=\"1 > 0\">t</a>", "t");
    CHECK_TEXT("don't <b>it's</b>", "don't it's");
    CHECK_TEXT("</ p>", "</ p>");
    CHECK_TEXT("<<p>>", "<\n\n>"); /* a paragraph opens between */
    CHECK_TEXT("<p>caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC</p>",
               "caf\xC3\xA9 \xE6\x97\xA5\xE6\x9C\xAC");
    roost_norm_fini(&norm);
}

static void test_text_linear_on_pathological_input(void)
{
    roost_norm_init(&norm);
    /* 1 MB of '<' and of unterminated tags must stay fast and bounded. */
    size_t len = 1u << 20;
    char *s = malloc(len + 1);
    CHECK(s != NULL);
    memset(s, '<', len);
    s[len] = '\0';
    struct roost_str r = roost__html_to_text(&norm, roost_str_make(s, len));
    CHECK_INT_EQ(r.len, len);
    for (size_t i = 0; i < len; i += 2) {
        s[i] = '<';
        s[i + 1] = 'a';
    }
    r = roost__html_to_text(&norm, roost_str_make(s, len));
    CHECK_INT_EQ(r.len, len);
    for (size_t i = 0; i + 4 <= len; i += 4) {
        memcpy(s + i, "<p>x", 4);
    }
    r = roost__html_to_text(&norm, roost_str_make(s, len));
    CHECK(r.ptr != NULL && r.len <= len);
    free(s);
    roost_norm_fini(&norm);
}

CHECK_LIST(test_unescape_named, test_unescape_numeric,
           test_unescape_invalid_kept, test_unescape_no_amp_is_identity,
           test_text_paragraphs_and_breaks, test_text_mastodon_links,
           test_text_entities_decoded, test_text_malformed,
           test_text_linear_on_pathological_input)
