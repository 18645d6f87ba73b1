/* SPDX-License-Identifier: MIT
 *
 * oauth1.c - X credentials and OAuth 1.0a signing (contract in oauth1.h).
 *
 * The signature base string is METHOD & pct(base URL) & pct(parameter
 * string), where the parameter string is every request and oauth_*
 * parameter, each key and value percent-encoded, sorted by encoded key
 * then encoded value, joined as k=v with '&'. The key is pct(consumer
 * secret) & pct(token secret). Start at roost_oauth1_signature().
 *
 * The claim registry is a small fixed table of credential hashes under a
 * mutex: sources are few, and a full table refuses rather than grows.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/map.h"
#include "core/mem.h"
#include "source/oauth1.h"

#define MAX_FILE_BYTES (64 * 1024)
#define MAX_PARAMS     256
#define MAX_BASE_BYTES (1u << 20)
#define MAX_CLAIMS     64

/* ---- loading --------------------------------------------------------------
 */

static char *field(struct roost_oauth1_creds *c, const char *key)
{
    static const struct {
        const char *name;
        size_t off;
    } keys[] = {
        { "consumer_key", offsetof(struct roost_oauth1_creds, consumer_key) },
        { "api_key", offsetof(struct roost_oauth1_creds, consumer_key) },
        { "consumer_secret",
          offsetof(struct roost_oauth1_creds, consumer_secret) },
        { "api_secret", offsetof(struct roost_oauth1_creds, consumer_secret) },
        { "access_token", offsetof(struct roost_oauth1_creds, token) },
        { "access_token_secret",
          offsetof(struct roost_oauth1_creds, token_secret) },
        { "bearer_token", offsetof(struct roost_oauth1_creds, bearer) },
    };
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        if (strcmp(key, keys[i].name) == 0) {
            return (char *)c + keys[i].off;
        }
    }
    return NULL;
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') {
        s++;
    }
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' ||
                     s[n - 1] == '\n')) {
        s[--n] = '\0';
    }
    return s;
}

static int parse_file(char *text, const char *path,
                      struct roost_oauth1_creds *out, struct roost_diag *diag)
{
    int line_no = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        char *s = trim(line);
        if (*s == '\0' || *s == '#') {
            continue;
        }
        char *eq = strchr(s, '=');
        if (eq == NULL) {
            return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                                  "%s:%d: expected key = value", path, line_no);
        }
        *eq = '\0';
        char *key = trim(s);
        char *val = trim(eq + 1);
        char *dst = field(out, key);
        if (dst == NULL) {
            return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                                  "%s:%d: unknown key '%.64s'", path, line_no,
                                  key);
        }
        if (strlen(val) >= ROOST_OAUTH1_MAX_SECRET) {
            return roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                                  "%s:%d: value of %s is too long", path,
                                  line_no, key);
        }
        snprintf(dst, ROOST_OAUTH1_MAX_SECRET, "%s", val);
    }
    return 0;
}

static int load_file(const char *path, struct roost_oauth1_creds *out,
                     struct roost_diag *diag)
{
    int rc;
    char *text = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                            "cannot open credentials file %s: %s", path,
                            strerror(errno));
        goto out;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EIO), 0,
                            "credentials file %s is not a regular file", path);
        goto out_close_fd;
    }
    if ((st.st_mode & 077) != 0) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_EINVAL), 0,
                            "credentials file %s has mode %04o: it must not "
                            "be accessible to group or others (chmod 600 %s)",
                            path, (unsigned)(st.st_mode & 07777), path);
        goto out_close_fd;
    }
    if (st.st_size > MAX_FILE_BYTES) {
        rc = roost_diag_set(diag, ROOST_ERR(ROOST_ELIMIT), 0,
                            "credentials file %s is over 64 KiB", path);
        goto out_close_fd;
    }
    text = roost_malloc((size_t)st.st_size + 1);
    if (text == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_close_fd;
    }
    size_t len = 0;
    while (len < (size_t)st.st_size) {
        ssize_t n = read(fd, text + len, (size_t)st.st_size - len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        len += (size_t)n;
    }
    text[len] = '\0';
    rc = parse_file(text, path, out, diag);
    memset(text, 0, len);
    roost_free(text);
out_close_fd:
    close(fd);
out:
    return rc;
}

static void from_env(char *dst, const char *name)
{
    const char *v = getenv(name);
    if (dst[0] == '\0' && v != NULL && strlen(v) < ROOST_OAUTH1_MAX_SECRET) {
        snprintf(dst, ROOST_OAUTH1_MAX_SECRET, "%s", v);
    }
}

int roost_oauth1_load(const char *path, struct roost_oauth1_creds *out,
                      struct roost_diag *diag)
{
    memset(out, 0, sizeof(*out));
    if (path != NULL && path[0] != '\0') {
        int rc = load_file(path, out, diag);
        if (rc < 0) {
            roost_oauth1_wipe(out);
            return rc;
        }
    }
    from_env(out->consumer_key, "X_CONSUMER_KEY");
    from_env(out->consumer_secret, "X_CONSUMER_SECRET");
    from_env(out->token, "X_ACCESS_TOKEN");
    from_env(out->token_secret, "X_ACCESS_TOKEN_SECRET");
    from_env(out->bearer, "X_BEARER_TOKEN");
    return 0;
}

bool roost_oauth1_has_user(const struct roost_oauth1_creds *c)
{
    return c->consumer_key[0] != '\0' && c->consumer_secret[0] != '\0' &&
           c->token[0] != '\0' && c->token_secret[0] != '\0';
}

void roost_oauth1_wipe(struct roost_oauth1_creds *c)
{
    volatile unsigned char *p = (volatile unsigned char *)c;
    for (size_t i = 0; i < sizeof(*c); i++) {
        p[i] = 0;
    }
}

/* ---- signing --------------------------------------------------------------
 */

int roost_oauth1_pct(struct roost_buf *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    int rc = roost_buf_reserve(out, len * 3);
    for (size_t i = 0; i < len && rc == 0; i++) {
        unsigned char ch = (unsigned char)s[i];
        bool plain = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                     (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' ||
                     ch == '_' || ch == '~';
        if (plain) {
            rc = roost_buf_addc(out, (char)ch);
        } else {
            char e[3] = { '%', hex[ch >> 4], hex[ch & 15] };
            rc = roost_buf_add(out, e, 3);
        }
    }
    return rc;
}

struct enc_param {
    char *k; /* percent-encoded, NUL-terminated */
    char *v;
};

static int cmp_param(const void *a, const void *b)
{
    const struct enc_param *x = a;
    const struct enc_param *y = b;
    int c = strcmp(x->k, y->k);
    return c != 0 ? c : strcmp(x->v, y->v);
}

static char *pct_dup(const char *s)
{
    struct roost_buf b;
    roost_buf_init(&b, MAX_BASE_BYTES);
    if (roost_oauth1_pct(&b, s, strlen(s)) < 0 || roost_buf_addc(&b, 0) < 0) {
        roost_buf_fini(&b);
        return NULL;
    }
    return roost_buf_take(&b, NULL);
}

static int hmac_b64(const char *key, size_t key_len, const char *msg,
                    size_t msg_len, char out[64])
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int mac_len = 0;
    if (HMAC(EVP_sha1(), key, (int)key_len, (const unsigned char *)msg, msg_len,
             mac, &mac_len) == NULL) {
        return ROOST_ERR(ROOST_EIO);
    }
    EVP_EncodeBlock((unsigned char *)out, mac, (int)mac_len);
    return 0;
}

int roost_oauth1_signature(const struct roost_oauth1_creds *c,
                           const char *method, const char *base_url,
                           const struct roost_kv *params, size_t n_params,
                           const char *nonce, int64_t timestamp, char out[64])
{
    int rc = 0;
    char ts[24];
    struct enc_param *ps = NULL;
    size_t n = 0;
    struct roost_buf base;
    struct roost_buf key;

    roost_buf_init(&base, MAX_BASE_BYTES);
    roost_buf_init(&key, 4 * ROOST_OAUTH1_MAX_SECRET);
    if (n_params > MAX_PARAMS) {
        rc = ROOST_ERR(ROOST_ELIMIT);
        goto out_free_bufs;
    }
    snprintf(ts, sizeof(ts), "%lld", (long long)timestamp);
    const struct roost_kv oauth[] = {
        { "oauth_consumer_key", c->consumer_key },
        { "oauth_nonce", nonce },
        { "oauth_signature_method", "HMAC-SHA1" },
        { "oauth_timestamp", ts },
        { "oauth_token", c->token },
        { "oauth_version", "1.0" },
    };
    size_t n_oauth = sizeof(oauth) / sizeof(oauth[0]);
    ps = roost_calloc(n_params + n_oauth, sizeof(*ps));
    if (ps == NULL) {
        rc = ROOST_ERR(ROOST_ENOMEM);
        goto out_free_bufs;
    }
    for (size_t i = 0; i < n_params + n_oauth; i++) {
        const struct roost_kv *kv =
            i < n_params ? &params[i] : &oauth[i - n_params];
        ps[n].k = pct_dup(kv->key);
        ps[n].v = pct_dup(kv->value != NULL ? kv->value : "");
        n++;
        if (ps[n - 1].k == NULL || ps[n - 1].v == NULL) {
            rc = ROOST_ERR(ROOST_ENOMEM);
            goto out_free_params;
        }
    }
    qsort(ps, n, sizeof(*ps), cmp_param);
    struct roost_buf pstr;
    roost_buf_init(&pstr, MAX_BASE_BYTES);
    for (size_t i = 0; i < n && rc == 0; i++) {
        rc = roost_buf_printf(&pstr, "%s%s=%s", i > 0 ? "&" : "", ps[i].k,
                              ps[i].v);
    }
    if (rc == 0) {
        rc = roost_buf_printf(&base, "%s&", method);
    }
    if (rc == 0) {
        rc = roost_oauth1_pct(&base, base_url, strlen(base_url));
    }
    if (rc == 0) {
        rc = roost_buf_addc(&base, '&');
    }
    if (rc == 0) {
        rc = roost_oauth1_pct(&base, pstr.ptr, pstr.len);
    }
    roost_buf_fini(&pstr);
    if (rc == 0) {
        rc = roost_oauth1_pct(&key, c->consumer_secret,
                              strlen(c->consumer_secret));
    }
    if (rc == 0) {
        rc = roost_buf_addc(&key, '&');
    }
    if (rc == 0) {
        rc = roost_oauth1_pct(&key, c->token_secret, strlen(c->token_secret));
    }
    if (rc == 0) {
        rc = hmac_b64(key.ptr, key.len, base.ptr, base.len, out);
    }
out_free_params:
    for (size_t i = 0; i < n; i++) {
        roost_free(ps[i].k);
        roost_free(ps[i].v);
    }
    roost_free(ps);
out_free_bufs:
    if (key.ptr != NULL) {
        memset(key.ptr, 0, key.len);
    }
    roost_buf_fini(&key);
    roost_buf_fini(&base);
    return rc;
}

static int add_hparam(struct roost_buf *out, const char *k, const char *v,
                      bool first)
{
    int rc = roost_buf_printf(out, "%s%s=\"", first ? "" : ", ", k);
    if (rc == 0) {
        rc = roost_oauth1_pct(out, v, strlen(v));
    }
    if (rc == 0) {
        rc = roost_buf_addc(out, '"');
    }
    return rc;
}

int roost_oauth1_header(const struct roost_oauth1_creds *c, const char *method,
                        const char *base_url, const struct roost_kv *params,
                        size_t n_params, const char *nonce, int64_t timestamp,
                        struct roost_buf *out)
{
    char fresh[48];
    char sig[64];
    char ts[24];

    if (nonce == NULL) {
        static const char alnum[] = "abcdefghijklmnopqrstuvwxyz"
                                    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
        unsigned char raw[32];
        if (RAND_bytes(raw, sizeof(raw)) != 1) {
            return ROOST_ERR(ROOST_EIO);
        }
        for (size_t i = 0; i < sizeof(raw); i++) {
            fresh[i] = alnum[raw[i] % (sizeof(alnum) - 1)];
        }
        fresh[sizeof(raw)] = '\0';
        nonce = fresh;
    }
    if (timestamp == 0) {
        timestamp = (int64_t)time(NULL);
    }
    int rc = roost_oauth1_signature(c, method, base_url, params, n_params,
                                    nonce, timestamp, sig);
    if (rc < 0) {
        return rc;
    }
    snprintf(ts, sizeof(ts), "%lld", (long long)timestamp);
    rc = roost_buf_adds(out, "Authorization: OAuth ");
    if (rc == 0) {
        rc = add_hparam(out, "oauth_consumer_key", c->consumer_key, true);
    }
    if (rc == 0) {
        rc = add_hparam(out, "oauth_nonce", nonce, false);
    }
    if (rc == 0) {
        rc = add_hparam(out, "oauth_signature", sig, false);
    }
    if (rc == 0) {
        rc = add_hparam(out, "oauth_signature_method", "HMAC-SHA1", false);
    }
    if (rc == 0) {
        rc = add_hparam(out, "oauth_timestamp", ts, false);
    }
    if (rc == 0) {
        rc = add_hparam(out, "oauth_token", c->token, false);
    }
    if (rc == 0) {
        rc = add_hparam(out, "oauth_version", "1.0", false);
    }
    return rc;
}

/* ---- one stream per credential --------------------------------------------
 */

static pthread_mutex_t claims_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t claims[MAX_CLAIMS]; /* 0: free */

int roost_oauth1_claim(const char *key, size_t len)
{
    uint64_t h = roost_hash(key, len) | 1; /* never 0 */
    int rc = ROOST_ERR(ROOST_ELIMIT);
    int free_at = -1;

    pthread_mutex_lock(&claims_mu);
    for (int i = 0; i < MAX_CLAIMS; i++) {
        if (claims[i] == h) {
            free_at = -2;
            break;
        }
        if (claims[i] == 0 && free_at == -1) {
            free_at = i;
        }
    }
    if (free_at >= 0) {
        claims[free_at] = h;
        rc = 0;
    }
    pthread_mutex_unlock(&claims_mu);
    return rc;
}

void roost_oauth1_release(const char *key, size_t len)
{
    uint64_t h = roost_hash(key, len) | 1;
    pthread_mutex_lock(&claims_mu);
    for (int i = 0; i < MAX_CLAIMS; i++) {
        if (claims[i] == h) {
            claims[i] = 0;
            break;
        }
    }
    pthread_mutex_unlock(&claims_mu);
}
