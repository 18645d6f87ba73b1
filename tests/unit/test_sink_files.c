/* SPDX-License-Identifier: MIT
 *
 * test_sink_files.c - the jsonl and csv file sinks through the sink API:
 * file names, rotation by size and age, header rows, control events, the
 * active file of a file path, and reading the output back with Python's
 * csv and json modules (what pandas and DuckDB see). With
 * ROOST_SHARED_DATA set, a real corpus goes through both sinks too.
 */
#include <dirent.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "check.h"
#include "core/buf.h"
#include "parse/json.h"
#include "parse/post.h"
#include "store/sink.h"

#define S(lit)  roost_str_make((lit), sizeof(lit) - 1)
#define N_POSTS 40

/* ---- fixtures ------------------------------------------------------------ */

static char ids[N_POSTS][24];
static struct roost_entity tag = { .text = { "covid", 5 } };

static const char *const texts[] = {
    "plain text",
    "comma, inside",
    "\"quoted\" twice \"\"",
    "two\nlines\r\nCRLF",
    "emoji \xf0\x9f\x98\xb7\xf0\x9f\x87\xab\xf0\x9f\x87\xb7 caf\xc3\xa9",
    "back\\slash\ttab",
};
#define N_TEXTS (sizeof(texts) / sizeof(texts[0]))

static void make_posts(struct roost_post *p, size_t n)
{
    memset(p, 0, n * sizeof(*p));
    for (size_t i = 0; i < n; i++) {
        snprintf(ids[i], sizeof(ids[i]), "13450000000000%05zu", i);
        p[i].format = ROOST_FMT_X1;
        p[i].platform = ROOST_PLATFORM_X;
        p[i].id = roost_str_cstr(ids[i]);
        p[i].created_at_ms = 1609486140000 + (int64_t)i * 1000;
        p[i].text = roost_str_cstr(texts[i % N_TEXTS]);
        p[i].lang = S("en");
        p[i].author.id = S("42");
        p[i].author.handle = S("ann");
        p[i].author.followers = ROOST_UNKNOWN_COUNT;
        p[i].retweets = p[i].likes = ROOST_UNKNOWN_COUNT;
        p[i].replies = p[i].quotes = ROOST_UNKNOWN_COUNT;
        p[i].hashtags = &tag;
        p[i].n_hashtags = 1;
    }
}

static char tmp[64];

static void mk_tmp(void)
{
    snprintf(tmp, sizeof(tmp), "/tmp/roost-sinkf-XXXXXX");
    CHECK(mkdtemp(tmp) != NULL);
}

static void rm_tmp(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
    CHECK(system(cmd) == 0);
}

static struct roost_sink *sink_at(const char *fmt, ...) ROOST_PRINTF(1, 2);

static struct roost_sink *sink_at(const char *fmt, ...)
{
    char spec[512];
    va_list ap;
    struct roost_sink *s = NULL;
    struct roost_diag d = { 0 };

    va_start(ap, fmt);
    vsnprintf(spec, sizeof(spec), fmt, ap);
    va_end(ap);
    int rc = roost_sink_new(spec, &s, &d);
    CHECK_MSG(rc == 0, "sink %s: %s", spec, d.msg);
    s->retry_base_ms = 0;
    rc = roost_sink_open(s, &d);
    CHECK_MSG(rc == 0, "open %s: %s", spec, d.msg);
    return s;
}

static void write_posts(struct roost_sink *s, const struct roost_post *p,
                        uint32_t n)
{
    struct roost_sink_batch b = { .posts = p, .n_posts = n };
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
}

/* list - the names in tmp (or tmp/sub) ending in ext, sorted. */
static size_t list(const char *sub, const char *ext, char names[][128],
                   size_t cap)
{
    char dir[192];
    size_t n = 0;
    snprintf(dir, sizeof(dir), "%s%s%s", tmp, sub ? "/" : "", sub ? sub : "");
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name), el = strlen(ext);
        if (len > el && strcmp(e->d_name + len - el, ext) == 0 && n < cap) {
            snprintf(names[n++], 128, "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    qsort(names, n, 128, (int (*)(const void *, const void *))strcmp);
    return n;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "open %s", path);
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static size_t count_char(const char *s, size_t len, char c)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        n += s[i] == c;
    }
    return n;
}

static bool have_python(void)
{
    return system("python3 -c 'import csv, json' >/dev/null 2>&1") == 0;
}

/* ---- jsonl --------------------------------------------------------------- */

static void test_jsonl_dir(void)
{
    struct roost_post p[N_POSTS];
    char names[8][128];
    size_t len;

    make_posts(p, N_POSTS);
    mk_tmp();
    struct roost_sink *s = sink_at("jsonl:%s/out/", tmp);
    write_posts(s, p, 3);
    write_posts(s, p + 3, 2);
    CHECK_INT_EQ(roost_sink_flush(s), 0);
    roost_sink_free(s);
    CHECK_INT_EQ(list("out", ".jsonl", names, 8), 1);
    CHECK(strstr(names[0], "/out/posts-") != NULL);
    CHECK(strstr(names[0], "-000000.jsonl") != NULL);
    char *text = slurp(names[0], &len);
    struct roost_buf want;
    roost_buf_init(&want, 1 << 20);
    for (int i = 0; i < 5; i++) {
        CHECK_INT_EQ(roost_post_write_json(&p[i], &want), 0);
        CHECK_INT_EQ(roost_buf_addc(&want, '\n'), 0);
    }
    CHECK_INT_EQ(len, want.len);
    CHECK(memcmp(text, want.ptr, len) == 0);
    roost_buf_fini(&want);
    rm_tmp();
}

static void test_jsonl_rotate_bytes(void)
{
    struct roost_post p[N_POSTS];
    char names[64][128];
    size_t len, lines = 0;

    make_posts(p, N_POSTS);
    mk_tmp();
    struct roost_sink *s = sink_at("jsonl:%s?rotate-bytes=2KiB", tmp);
    for (int i = 0; i < N_POSTS; i += 2) {
        write_posts(s, p + i, 2);
    }
    roost_sink_free(s);
    size_t n = list(NULL, ".jsonl", names, 64);
    CHECK_MSG(n >= 4, "%zu files", n);
    for (size_t i = 0; i < n; i++) {
        char *text = slurp(names[i], &len);
        CHECK_MSG(len <= 2048, "%s: %zu bytes", names[i], len);
        CHECK(len > 0 && text[len - 1] == '\n');
        lines += count_char(text, len, '\n');
        if (i == 0) {
            CHECK(strncmp(text, "{\"id\":\"1345000000000000000\"", 27) == 0);
        }
    }
    CHECK_INT_EQ(lines, N_POSTS); /* JSON strings escape their newlines */
    /* One batch bigger than the limit still goes whole into one file. */
    s = sink_at("jsonl:%s/big/?rotate-bytes=100", tmp);
    write_posts(s, p, 10);
    write_posts(s, p + 10, 10);
    roost_sink_free(s);
    CHECK_INT_EQ(list("big", ".jsonl", names, 64), 2);
    char *text = slurp(names[0], &len);
    CHECK_INT_EQ(count_char(text, len, '\n'), 10);
    rm_tmp();
}

static void test_jsonl_rotate_ms(void)
{
    struct roost_post p[N_POSTS];
    char names[8][128];

    make_posts(p, N_POSTS);
    mk_tmp();
    struct roost_sink *s = sink_at("jsonl:%s?rotate-ms=50ms", tmp);
    write_posts(s, p, 1);
    usleep(80 * 1000);
    write_posts(s, p + 1, 1);
    CHECK_INT_EQ(list(NULL, ".jsonl", names, 8), 2);
    usleep(80 * 1000);
    /* flush closes a file that is old enough: the next write starts one */
    CHECK_INT_EQ(roost_sink_flush(s), 0);
    write_posts(s, p + 2, 1);
    roost_sink_free(s);
    CHECK_INT_EQ(list(NULL, ".jsonl", names, 8), 3);
    rm_tmp();
}

static void test_jsonl_control(void)
{
    struct roost_post p[N_POSTS];
    struct roost_ctl c;
    char names[8][128];
    size_t len;

    make_posts(p, N_POSTS);
    memset(&c, 0, sizeof(c));
    c.kind = ROOST_CTL_DELETE;
    c.platform = ROOST_PLATFORM_X;
    c.post_id = S("1345000000000000001");
    c.count = ROOST_UNKNOWN_COUNT;
    struct roost_sink_batch b = {
        .posts = p, .n_posts = 2, .ctls = &c, .n_ctls = 1
    };
    mk_tmp();
    struct roost_sink *s = sink_at("jsonl:%s/a/?control=true", tmp);
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    roost_sink_free(s);
    s = sink_at("jsonl:%s/b/", tmp);
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    b.n_posts = 0; /* a batch of control events alone writes nothing */
    CHECK_INT_EQ(roost_sink_write(s, &b), 0);
    roost_sink_free(s);
    CHECK_INT_EQ(list("a", ".jsonl", names, 8), 1);
    char *text = slurp(names[0], &len);
    CHECK_INT_EQ(count_char(text, len, '\n'), 3);
    CHECK(strstr(text, "{\"control\":\"delete\"") != NULL);
    CHECK_INT_EQ(list("b", ".jsonl", names, 8), 1);
    text = slurp(names[0], &len);
    CHECK_INT_EQ(count_char(text, len, '\n'), 2);
    CHECK(strstr(text, "\"control\"") == NULL);
    rm_tmp();
}

static void test_jsonl_file_path(void)
{
    struct roost_post p[N_POSTS];
    char names[64][128];
    char active[128];
    size_t len;
    struct stat st;

    make_posts(p, N_POSTS);
    mk_tmp();
    snprintf(active, sizeof(active), "%s/live.jsonl", tmp);
    struct roost_sink *s = sink_at("jsonl:%s", active);
    write_posts(s, p, 2);
    roost_sink_free(s);
    /* A second run appends to the same file. */
    s = sink_at("jsonl:%s?rotate-bytes=1KiB", active);
    write_posts(s, p + 2, 2);
    CHECK_INT_EQ(stat(active, &st), 0);
    char *text = slurp(active, &len);
    CHECK_INT_EQ(count_char(text, len, '\n'), 4);
    /* Past the size the active file is renamed beside itself. */
    for (int i = 4; i < 20; i++) {
        write_posts(s, p + i, 1);
    }
    roost_sink_free(s);
    size_t n = list(NULL, ".jsonl", names, 64);
    CHECK_MSG(n >= 3, "%zu files", n);
    size_t lines = 0;
    bool saw_active = false;
    for (size_t i = 0; i < n; i++) {
        text = slurp(names[i], &len);
        lines += count_char(text, len, '\n');
        if (strcmp(names[i], active) == 0) {
            saw_active = true;
        } else {
            CHECK_MSG(strncmp(names[i] + strlen(tmp), "/live-", 6) == 0, "%s",
                      names[i]);
        }
    }
    CHECK(saw_active);
    CHECK_INT_EQ(lines, 20);
    rm_tmp();
}

static void test_bad_specs(void)
{
    struct roost_sink *s = NULL;
    struct roost_diag d = { 0 };

    CHECK_INT_EQ(roost_sink_new("jsonl:/tmp/x?rotate=1", &s, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "rotate") != NULL);
    CHECK_INT_EQ(roost_sink_new("csv:/tmp/x?rotate-bytes=lots", &s, &d),
                 ROOST_EINVAL);
    CHECK_INT_EQ(roost_sink_new("csv:/tmp/x.csv?columns=id,nope", &s, &d), 0);
    CHECK_INT_EQ(roost_sink_open(s, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "nope") != NULL);
    roost_sink_free(s);
    CHECK_INT_EQ(roost_sink_new("jsonl", &s, &d), 0);
    CHECK_INT_EQ(roost_sink_open(s, &d), ROOST_EINVAL);
    roost_sink_free(s);
    CHECK_INT_EQ(roost_sink_new("jsonl:/proc/nope/dir/", &s, &d), 0);
    CHECK_INT_EQ(roost_sink_open(s, &d), ROOST_EIO);
    roost_sink_free(s);
}

/* ---- csv ----------------------------------------------------------------- */

static const char header[] =
    "id,created_at,platform,lang,author_id,author_handle,author_name,"
    "author_followers,text,hashtags,mentions,urls,reply_to,retweet_of,"
    "quote_of,retweets,likes,replies,quotes,lat,lon,place,country_code,"
    "source,referenced\n";

/* py_check - every file in paths is a CSV with one header row and `rows`
 * rows in all, whose ids and texts are the fixtures'. */
static void py_check(char names[][128], size_t n, int rows)
{
    char cmd[4096];
    size_t at = 0;

    at += (size_t)snprintf(cmd, sizeof(cmd), "python3 - ");
    for (size_t i = 0; i < n; i++) {
        at += (size_t)snprintf(cmd + at, sizeof(cmd) - at, "'%s' ", names[i]);
    }
    snprintf(cmd + at, sizeof(cmd) - at,
             "<<'EOF'\n"
             "import csv, sys\n"
             "texts = ['plain text', 'comma, inside', '\"quoted\" twice "
             "\"\"', 'two\\nlines\\r\\nCRLF', 'emoji \\U0001f637"
             "\\U0001f1eb\\U0001f1f7 caf\\u00e9', 'back\\\\slash\\ttab']\n"
             "n = 0\n"
             "for path in sys.argv[1:]:\n"
             "    for r in csv.DictReader(open(path, newline='',"
             " encoding='utf-8')):\n"
             "        assert None not in r and len(r) == 25, r\n"
             "        assert r['id'] == '13450000000000%%05d' %% n, r['id']\n"
             "        assert r['text'] == texts[n %% 6], r['text']\n"
             "        assert r['hashtags'] == 'covid'\n"
             "        n += 1\n"
             "assert n == %d, n\n"
             "EOF",
             rows);
    CHECK_INT_EQ(system(cmd), 0);
}

static void test_csv_rotate_and_read_back(void)
{
    struct roost_post p[N_POSTS];
    char names[64][128];
    size_t len;

    make_posts(p, N_POSTS);
    mk_tmp();
    struct roost_sink *s = sink_at("csv:%s?rotate-bytes=1KiB", tmp);
    for (int i = 0; i < N_POSTS; i += 4) {
        write_posts(s, p + i, 4);
    }
    CHECK_INT_EQ(roost_sink_flush(s), 0);
    roost_sink_free(s);
    size_t n = list(NULL, ".csv", names, 64);
    CHECK_MSG(n >= 3, "%zu files", n);
    for (size_t i = 0; i < n; i++) {
        char *text = slurp(names[i], &len);
        CHECK_MSG(strncmp(text, header, strlen(header)) == 0, "%s", names[i]);
        /* the header once: no second "id,created_at" */
        CHECK(strstr(text + 1, "id,created_at,") == NULL);
    }
    if (!have_python()) {
        CHECK_SKIP("python3 not found: CSV read back not checked");
    }
    py_check(names, n, N_POSTS);
    rm_tmp();
}

static void test_csv_file_reopen(void)
{
    struct roost_post p[N_POSTS];
    char names[4][128];
    char path[128];
    size_t len;

    make_posts(p, N_POSTS);
    mk_tmp();
    snprintf(path, sizeof(path), "%s/posts.csv", tmp);
    struct roost_sink *s = sink_at("csv:%s", path);
    write_posts(s, p, 3);
    roost_sink_free(s);
    s = sink_at("csv:%s", path);
    write_posts(s, p + 3, 3);
    roost_sink_free(s);
    char *text = slurp(path, &len);
    CHECK(strncmp(text, header, strlen(header)) == 0);
    CHECK(strstr(text + 1, "id,created_at,") == NULL);
    CHECK_INT_EQ(list(NULL, ".csv", names, 4), 1);
    if (!have_python()) {
        CHECK_SKIP("python3 not found: CSV read back not checked");
    }
    py_check(names, 1, 6);
    rm_tmp();
}

static void test_csv_columns(void)
{
    struct roost_post p[N_POSTS];
    char path[128];
    size_t len;

    make_posts(p, N_POSTS);
    mk_tmp();
    snprintf(path, sizeof(path), "%s/few.csv", tmp);
    struct roost_sink *s = sink_at("csv:%s?columns=id,text,hashtags", path);
    write_posts(s, p, 2);
    roost_sink_free(s);
    char *text = slurp(path, &len);
    CHECK_STR_EQ(text, "id,text,hashtags\n"
                       "1345000000000000000,plain text,covid\n"
                       "1345000000000000001,\"comma, inside\",covid\n");
    rm_tmp();
}

/* ---- a real corpus ------------------------------------------------------- */

static void test_corpus(void)
{
    const char *data = check_data_dir();
    if (data == NULL) {
        CHECK_SKIP("ROOST_SHARED_DATA not set: corpus not written");
    }
    if (!have_python()) {
        CHECK_SKIP("python3 not found: corpus read back not checked");
    }
    char path[512];
    snprintf(path, sizeof(path),
             "%s/tweets-corpus-covid-analysis/"
             "sample-stream-2021-01-01T0729Z.jsonl",
             data);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        CHECK_SKIP("%s not found", path);
    }
    static char line[1 << 20];
    struct roost_json_doc doc;
    struct roost_norm norm;
    roost_json_doc_init(&doc, ROOST_JSON_DEFAULT_DEPTH, 64u << 20);
    roost_norm_init(&norm);
    mk_tmp();
    struct roost_sink *js = sink_at("jsonl:%s/j/?rotate-bytes=64KiB", tmp);
    struct roost_sink *cs = sink_at("csv:%s/c/?rotate-bytes=64KiB", tmp);
    uint64_t n_posts = 0;
    while (fgets(line, sizeof(line), f) != NULL) {
        size_t len = strlen(line);
        roost_norm_reset(&norm);
        if (roost_json_parse(&doc, line, len, NULL) != 0 ||
            roost_norm_record(&norm, &doc, line, len, ROOST_FMT_AUTO, NULL) !=
                0) {
            continue;
        }
        struct roost_sink_batch b = { .posts = norm.posts,
                                      .n_posts = norm.n_posts,
                                      .ctls = norm.ctls,
                                      .n_ctls = norm.n_ctls };
        CHECK_INT_EQ(roost_sink_write(js, &b), 0);
        CHECK_INT_EQ(roost_sink_write(cs, &b), 0);
        n_posts += norm.n_posts;
    }
    fclose(f);
    roost_sink_free(js);
    roost_sink_free(cs);
    roost_norm_fini(&norm);
    roost_json_doc_fini(&doc);
    CHECK(n_posts > 100);
    char cmd[1024];
    snprintf(cmd, sizeof(cmd),
             "python3 - '%s' %llu <<'EOF'\n"
             "import csv, glob, json, sys\n"
             "d, want = sys.argv[1], int(sys.argv[2])\n"
             "files = sorted(glob.glob(d + '/c/*.csv'))\n"
             "assert len(files) > 1, files\n"
             "ids = [r['id'] for p in files for r in csv.DictReader(open(p,"
             " newline='', encoding='utf-8'))]\n"
             "jids = [json.loads(l)['id'] for p in sorted(glob.glob(d +"
             " '/j/*.jsonl')) for l in open(p, encoding='utf-8')]\n"
             "assert len(ids) == want, (len(ids), want)\n"
             "assert ids == jids\n"
             "EOF",
             tmp, (unsigned long long)n_posts);
    CHECK_INT_EQ(system(cmd), 0);
    rm_tmp();
}

CHECK_LIST(test_jsonl_dir, test_jsonl_rotate_bytes, test_jsonl_rotate_ms,
           test_jsonl_control, test_jsonl_file_path, test_bad_specs,
           test_csv_rotate_and_read_back, test_csv_file_reopen,
           test_csv_columns, test_corpus);
