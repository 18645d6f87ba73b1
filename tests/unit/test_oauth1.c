/* SPDX-License-Identifier: MIT
 *
 * test_oauth1.c - OAuth 1.0a signing against X's documented example,
 * credential files and their permissions, the one-stream-per-credential
 * registry.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include "check.h"
#include "core/mem.h"
#include "source/oauth1.h"

static void doc_creds(struct roost_oauth1_creds *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->consumer_key, sizeof(c->consumer_key), "%s",
             "xvz1evFS4wEEPTGEFPHBog");
    snprintf(c->consumer_secret, sizeof(c->consumer_secret), "%s",
             "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw");
    snprintf(c->token, sizeof(c->token), "%s",
             "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb");
    snprintf(c->token_secret, sizeof(c->token_secret), "%s",
             "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE");
}

/* developer.x.com "Creating a signature": the classic example. */
static void test_documented_signature(void)
{
    struct roost_oauth1_creds c;
    doc_creds(&c);
    const struct roost_kv params[] = {
        { "status", "Hello Ladies + Gentlemen, a signed OAuth request!" },
        { "include_entities", "true" },
    };
    char sig[64];
    CHECK_INT_EQ(roost_oauth1_signature(
                     &c, "POST",
                     "https://api.twitter.com/1.1/statuses/update.json", params,
                     2, "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
                     1318622958, sig),
                 0);
    CHECK_STR_EQ(sig, "hCtSmYh+iHYCEqBWrE7C7hYmtUk=");

    struct roost_buf h;
    roost_buf_init(&h, 4096);
    CHECK_INT_EQ(roost_oauth1_header(
                     &c, "POST",
                     "https://api.twitter.com/1.1/statuses/update.json", params,
                     2, "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
                     1318622958, &h),
                 0);
    CHECK(strstr(h.ptr, "Authorization: OAuth oauth_consumer_key=\""
                        "xvz1evFS4wEEPTGEFPHBog\"") == h.ptr);
    CHECK(
        strstr(h.ptr, "oauth_signature=\"hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D\"") !=
        NULL);
    CHECK(strstr(h.ptr, "oauth_timestamp=\"1318622958\"") != NULL);
    roost_buf_fini(&h);
}

static void test_fresh_nonces_differ(void)
{
    struct roost_oauth1_creds c;
    doc_creds(&c);
    struct roost_buf a, b;
    roost_buf_init(&a, 4096);
    roost_buf_init(&b, 4096);
    CHECK(roost_oauth1_header(&c, "GET", "https://x/y", NULL, 0, NULL, 0, &a) ==
          0);
    CHECK(roost_oauth1_header(&c, "GET", "https://x/y", NULL, 0, NULL, 0, &b) ==
          0);
    CHECK(strcmp(a.ptr, b.ptr) != 0);
    CHECK(strstr(a.ptr, c.consumer_secret) == NULL);
    CHECK(strstr(a.ptr, c.token_secret) == NULL);
    roost_buf_fini(&a);
    roost_buf_fini(&b);
}

static void test_pct_encoding(void)
{
    struct roost_buf b;
    roost_buf_init(&b, 4096);
    const char *s = "Ladies + Gentlemen/~._-é!*'()";
    CHECK(roost_oauth1_pct(&b, s, strlen(s)) == 0);
    CHECK_STR_EQ(b.ptr, "Ladies%20%2B%20Gentlemen%2F~._-%C3%A9%21%2A%27%28%29");
    roost_buf_fini(&b);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    CHECK(fd >= 0);
    CHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    CHECK(chmod(path, mode) == 0);
}

static void test_credentials_file(void)
{
    char path[] = "/tmp/roost-oauth1.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    write_file(path,
               "# X app\nconsumer_key = ck\nconsumer_secret=cs\n"
               "access_token = at\r\naccess_token_secret = ats\n"
               "bearer_token = AAAA%2Fbearer\n",
               0600);
    unsetenv("X_BEARER_TOKEN");
    struct roost_oauth1_creds c;
    struct roost_diag d;
    memset(&d, 0, sizeof(d));
    CHECK_INT_EQ(roost_oauth1_load(path, &c, &d), 0);
    CHECK_STR_EQ(c.consumer_key, "ck");
    CHECK_STR_EQ(c.token, "at");
    CHECK_STR_EQ(c.token_secret, "ats");
    CHECK_STR_EQ(c.bearer, "AAAA%2Fbearer");
    CHECK(roost_oauth1_has_user(&c));

    /* group- or world-readable files are refused, naming the mode */
    CHECK(chmod(path, 0644) == 0);
    CHECK_INT_EQ(roost_oauth1_load(path, &c, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "0644") != NULL);
    CHECK(strstr(d.msg, "chmod 600") != NULL);
    CHECK(c.consumer_key[0] == '\0');
    CHECK(chmod(path, 0640) == 0);
    CHECK_INT_EQ(roost_oauth1_load(path, &c, &d), ROOST_EINVAL);

    /* unknown keys are errors; the message never holds a value */
    write_file(path, "consumer_key = ck\nconsumer_sekret = s3cr3t\n", 0600);
    CHECK_INT_EQ(roost_oauth1_load(path, &c, &d), ROOST_EINVAL);
    CHECK(strstr(d.msg, "consumer_sekret") != NULL);
    CHECK(strstr(d.msg, "s3cr3t") == NULL);
    unlink(path);
    CHECK_INT_EQ(roost_oauth1_load(path, &c, &d), ROOST_EIO);
}

static void test_environment(void)
{
    setenv("X_CONSUMER_KEY", "eck", 1);
    setenv("X_CONSUMER_SECRET", "ecs", 1);
    setenv("X_ACCESS_TOKEN", "eat", 1);
    setenv("X_ACCESS_TOKEN_SECRET", "eats", 1);
    setenv("X_BEARER_TOKEN", "eb", 1);
    struct roost_oauth1_creds c;
    CHECK_INT_EQ(roost_oauth1_load(NULL, &c, NULL), 0);
    CHECK_STR_EQ(c.consumer_key, "eck");
    CHECK_STR_EQ(c.bearer, "eb");
    CHECK(roost_oauth1_has_user(&c));
    roost_oauth1_wipe(&c);
    CHECK(c.consumer_key[0] == '\0' && !roost_oauth1_has_user(&c));
}

static void test_one_stream_per_credential(void)
{
    CHECK_INT_EQ(roost_oauth1_claim("ck|at", 5), 0);
    CHECK_INT_EQ(roost_oauth1_claim("ck|at", 5), ROOST_ELIMIT);
    CHECK_INT_EQ(roost_oauth1_claim("ck|bt", 5), 0);
    roost_oauth1_release("ck|at", 5);
    CHECK_INT_EQ(roost_oauth1_claim("ck|at", 5), 0);
    roost_oauth1_release("ck|at", 5);
    roost_oauth1_release("ck|bt", 5);
}

CHECK_LIST(test_documented_signature, test_fresh_nonces_differ,
           test_pct_encoding, test_credentials_file, test_environment,
           test_one_stream_per_credential);
