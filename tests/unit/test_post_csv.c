/* SPDX-License-Identifier: MIT
 *
 * test_post_csv.c - one post as one CSV row: the header, each column's
 * rendering, RFC 4180 quoting, and a read back through Python's csv module.
 */
#include <stdbool.h>

#include "check.h"
#include "core/buf.h"
#include "store/post_csv.h"

#define S(lit) roost_str_make((lit), sizeof(lit) - 1)

static struct roost_entity tags[2], ments[1], links[1];
static struct roost_ref refs[2];

/* A post with every column set. */
static struct roost_post sample(void)
{
    struct roost_post p;

    memset(&p, 0, sizeof(p));
    p.format = ROOST_FMT_X1;
    p.platform = ROOST_PLATFORM_X;
    p.id = S("1345000000000000001");
    p.created_at_ms = 1609486140000; /* 2021-01-01T07:29:00.000Z */
    p.lang = S("en");
    p.text = S("hello #covid @who");
    p.source = S("Twitter Web App");
    p.author.id = S("42");
    p.author.handle = S("ann");
    p.author.name = S("Ann");
    p.author.followers = 1234;
    tags[0].text = S("covid");
    tags[1].text = S("Vaccine");
    p.hashtags = tags;
    p.n_hashtags = 2;
    ments[0].text = S("who");
    p.mentions = ments;
    p.n_mentions = 1;
    links[0].text = S("https://t.co/x");
    links[0].expanded = S("https://example.org/a?b=1,2");
    p.urls = links;
    p.n_urls = 1;
    refs[0].type = ROOST_REF_REPLY;
    refs[0].id = S("7");
    refs[1].type = ROOST_REF_QUOTE;
    refs[1].id = S("9");
    p.refs = refs;
    p.n_refs = 2;
    p.retweets = 3;
    p.likes = 0;
    p.replies = ROOST_UNKNOWN_COUNT;
    p.quotes = ROOST_UNKNOWN_COUNT;
    p.has_geo = true;
    p.geo.has_point = true;
    p.geo.lat = 40.7127753;
    p.geo.lon = -74.0059728;
    p.geo.place_full_name = S("New York, NY");
    p.geo.country_code = S("US");
    return p;
}

static void test_header(void)
{
    struct roost_buf b;

    roost_buf_init(&b, 1 << 16);
    CHECK_INT_EQ(roost_post_csv_header(&b), 0);
    CHECK_STR_EQ(b.ptr,
                 "id,created_at,platform,lang,author_id,author_handle,"
                 "author_name,author_followers,text,hashtags,mentions,urls,"
                 "reply_to,retweet_of,quote_of,retweets,likes,replies,quotes,"
                 "lat,lon,place,country_code,source,referenced\n");
    CHECK_INT_EQ(ROOST_CSV_N_COLUMNS, 25);
    CHECK_INT_EQ(roost_post_csv_column("text", 4), 8);
    CHECK_INT_EQ(roost_post_csv_column("nope", 4), -1);
    CHECK_STR_EQ(roost_post_csv_column_name(0), "id");
    roost_buf_fini(&b);
}

static void test_row(void)
{
    struct roost_post p = sample();
    struct roost_buf b;

    roost_buf_init(&b, 1 << 16);
    CHECK_INT_EQ(roost_post_csv_row(&p, &b), 0);
    CHECK_STR_EQ(b.ptr,
                 "1345000000000000001,2021-01-01T07:29:00.000Z,x,en,42,ann,"
                 "Ann,1234,hello #covid @who,covid Vaccine,who,"
                 "\"https://example.org/a?b=1,2\",7,,9,3,0,,,40.7127753,"
                 "-74.0059728,\"New York, NY\",US,Twitter Web App,false\n");
    roost_buf_fini(&b);
}

static void test_empty_post(void)
{
    struct roost_post p;
    struct roost_buf b;

    memset(&p, 0, sizeof(p));
    p.id = S("1");
    p.author.followers = ROOST_UNKNOWN_COUNT;
    p.retweets = p.likes = p.replies = p.quotes = ROOST_UNKNOWN_COUNT;
    p.referenced = true;
    roost_buf_init(&b, 1 << 16);
    CHECK_INT_EQ(roost_post_csv_row(&p, &b), 0);
    /* 25 cells: 24 commas; only id, platform and referenced are set. */
    CHECK_STR_EQ(b.ptr, "1,,unknown,,,,,,,,,,,,,,,,,,,,,,true\n");
    roost_buf_fini(&b);
}

static void test_quoting(void)
{
    struct roost_buf b;

    roost_buf_init(&b, 1 << 16);
    CHECK_INT_EQ(roost_post_csv_field(&b, "plain", 5), 0);
    CHECK_STR_EQ(b.ptr, "plain");
    roost_buf_reset(&b);
    CHECK_INT_EQ(roost_post_csv_field(&b, "a,b", 3), 0);
    CHECK_STR_EQ(b.ptr, "\"a,b\"");
    roost_buf_reset(&b);
    CHECK_INT_EQ(roost_post_csv_field(&b, "say \"hi\"", 8), 0);
    CHECK_STR_EQ(b.ptr, "\"say \"\"hi\"\"\"");
    roost_buf_reset(&b);
    CHECK_INT_EQ(roost_post_csv_field(&b, "l1\nl2\r\n", 7), 0);
    CHECK_STR_EQ(b.ptr, "\"l1\nl2\r\n\"");
    roost_buf_reset(&b);
    CHECK_INT_EQ(roost_post_csv_field(&b, " pad", 4), 0);
    CHECK_STR_EQ(b.ptr, "\" pad\"");
    roost_buf_reset(&b);
    CHECK_INT_EQ(roost_post_csv_field(&b, "a\0b", 3), 0);
    CHECK_STR_EQ(b.ptr, "ab");
    roost_buf_reset(&b);
    /* Emoji and other UTF-8 pass through unquoted. */
    CHECK_INT_EQ(roost_post_csv_field(&b, "\xf0\x9f\x98\xb7 ok", 7), 0);
    CHECK_STR_EQ(b.ptr, "\xf0\x9f\x98\xb7 ok");
    roost_buf_reset(&b);
    CHECK_INT_EQ(roost_post_csv_field(&b, "", 0), 0);
    CHECK_INT_EQ(b.len, 0);
    roost_buf_fini(&b);
}

static void test_limit(void)
{
    struct roost_post p = sample();
    struct roost_buf b;

    roost_buf_init(&b, 32);
    CHECK_INT_EQ(roost_post_csv_row(&p, &b), ROOST_ELIMIT);
    roost_buf_fini(&b);
}

/* Tricky texts survive a round trip through Python's csv module. */
static const char *const texts[] = {
    "comma, inside",
    "\"quoted\" and \"\"doubled\"\"",
    "two\nlines\r\nand CRLF",
    "emoji \xf0\x9f\x98\xb7\xf0\x9f\x87\xab\xf0\x9f\x87\xb7 caf\xc3\xa9",
    " leading and trailing ",
    "tab\there; semicolon",
    "",
};
#define N_TEXTS (sizeof(texts) / sizeof(texts[0]))

static void test_python_roundtrip(void)
{
    if (system("python3 -c 'import csv' >/dev/null 2>&1") != 0) {
        CHECK_SKIP("python3 not found: csv round trip not checked");
    }
    char dir[] = "/tmp/roost-csv-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char csv[128], want[128], cmd[2048];
    snprintf(csv, sizeof(csv), "%s/posts.csv", dir);
    snprintf(want, sizeof(want), "%s/want.txt", dir);

    struct roost_buf b;
    roost_buf_init(&b, 1 << 20);
    CHECK_INT_EQ(roost_post_csv_header(&b), 0);
    FILE *w = fopen(want, "w");
    CHECK(w != NULL);
    for (size_t i = 0; i < N_TEXTS; i++) {
        struct roost_post p = sample();
        char id[32];
        snprintf(id, sizeof(id), "%zu", 100 + i);
        p.id = roost_str_cstr(id);
        p.text = roost_str_cstr(texts[i]);
        CHECK_INT_EQ(roost_post_csv_row(&p, &b), 0);
        /* want.txt: one JSON string per line (Python reads it back). */
        struct roost_buf j;
        roost_buf_init(&j, 1 << 16);
        CHECK_INT_EQ(roost_buf_add_json_str(&j, texts[i], strlen(texts[i])), 0);
        fprintf(w, "%s\n", j.ptr);
        roost_buf_fini(&j);
    }
    fclose(w);
    FILE *f = fopen(csv, "wb");
    CHECK(f != NULL);
    CHECK(fwrite(b.ptr, 1, b.len, f) == b.len);
    fclose(f);
    roost_buf_fini(&b);
    snprintf(cmd, sizeof(cmd),
             "python3 - '%s' '%s' <<'EOF'\n"
             "import csv, json, sys\n"
             "rows = list(csv.DictReader(open(sys.argv[1], newline='',"
             " encoding='utf-8')))\n"
             "want = [json.loads(l) for l in open(sys.argv[2],"
             " encoding='utf-8')]\n"
             "assert len(rows) == len(want), (len(rows), len(want))\n"
             "for i, (r, t) in enumerate(zip(rows, want)):\n"
             "    assert len(r) == 25 and None not in r, r\n"
             "    assert r['id'] == str(100 + i), r['id']\n"
             "    assert r['text'] == t, (r['text'], t)\n"
             "    assert r['urls'] == 'https://example.org/a?b=1,2'\n"
             "    assert r['hashtags'].split(' ') == ['covid', 'Vaccine']\n"
             "EOF",
             csv, want);
    int rc = system(cmd);
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
    CHECK_INT_EQ(rc, 0);
}

CHECK_LIST(test_header, test_row, test_empty_post, test_quoting, test_limit,
           test_python_roundtrip);
