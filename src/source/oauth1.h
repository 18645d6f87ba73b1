/* SPDX-License-Identifier: MIT
 *
 * oauth1.h - X credentials: loading them, OAuth 1.0a HMAC-SHA1 request
 * signing (RFC 5849, as X documents it), and the process-wide rule that
 * one credential holds at most one stream.
 *
 * Credentials come from a file or from the environment, never from a
 * spec (specs end up in logs and `ps`). The file holds "key = value"
 * lines ('#' starts a comment):
 *
 *     consumer_key = ...          (or api_key)
 *     consumer_secret = ...       (or api_secret)
 *     access_token = ...
 *     access_token_secret = ...
 *     bearer_token = ...          (API v2)
 *
 * and must not be readable or writable by group or others (mode 0600 or
 * stricter): a looser file is refused with an error naming the mode. The
 * environment variables X_CONSUMER_KEY, X_CONSUMER_SECRET, X_ACCESS_TOKEN,
 * X_ACCESS_TOKEN_SECRET and X_BEARER_TOKEN fill what the file left empty.
 * Nothing in this module logs a secret; diag messages name keys only.
 */
#ifndef ROOST_SOURCE_OAUTH1_H
#define ROOST_SOURCE_OAUTH1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/option.h"

#define ROOST_OAUTH1_MAX_SECRET 512

struct roost_oauth1_creds {
    char consumer_key[ROOST_OAUTH1_MAX_SECRET];
    char consumer_secret[ROOST_OAUTH1_MAX_SECRET];
    char token[ROOST_OAUTH1_MAX_SECRET];
    char token_secret[ROOST_OAUTH1_MAX_SECRET];
    char bearer[ROOST_OAUTH1_MAX_SECRET];
};

/*
 * roost_oauth1_load - fill *out from the file at path (NULL or "": none)
 * and then from the environment.
 * Returns: 0; ROOST_EINVAL for a file with loose permissions, an unknown
 * key or an over-long value; ROOST_EIO when the file cannot be read.
 * diag says which, without the secret.
 */
int roost_oauth1_load(const char *path, struct roost_oauth1_creds *out,
                      struct roost_diag *diag);

/* roost_oauth1_has_user - all four user-context values are set. */
bool roost_oauth1_has_user(const struct roost_oauth1_creds *c);

/* roost_oauth1_wipe - overwrite the secrets (before freeing). */
void roost_oauth1_wipe(struct roost_oauth1_creds *c);

/* roost_oauth1_pct - append s percent-encoded as RFC 3986 (unreserved
 * characters kept) to out. */
int roost_oauth1_pct(struct roost_buf *out, const char *s, size_t len);

/*
 * roost_oauth1_signature - the base64 HMAC-SHA1 signature of a request.
 * base_url is the URL without query; params are the query and form-body
 * parameters, decoded. The oauth_* parameters are added here from c,
 * nonce and timestamp. out gets the NUL-terminated signature (28 chars).
 * Returns: 0, ROOST_ENOMEM or ROOST_ELIMIT (over-long request).
 */
int roost_oauth1_signature(const struct roost_oauth1_creds *c,
                           const char *method, const char *base_url,
                           const struct roost_kv *params, size_t n_params,
                           const char *nonce, int64_t timestamp, char out[64]);

/*
 * roost_oauth1_header - append the whole "Authorization: OAuth ..." header
 * line (without CRLF) to out, signed with a fresh random nonce and the
 * current time when nonce is NULL and timestamp is 0.
 */
int roost_oauth1_header(const struct roost_oauth1_creds *c, const char *method,
                        const char *base_url, const struct roost_kv *params,
                        size_t n_params, const char *nonce, int64_t timestamp,
                        struct roost_buf *out);

/*
 * roost_oauth1_claim - take the process-wide slot of one credential (key:
 * any bytes identifying it, e.g. consumer key + token, or the bearer);
 * X allows one stream per credential at a time.
 * Returns: 0; ROOST_ELIMIT when another source holds it; ROOST_ENOMEM.
 * Thread: any; release with roost_oauth1_release(key) from any thread.
 */
int roost_oauth1_claim(const char *key, size_t len);
void roost_oauth1_release(const char *key, size_t len);

#endif /* ROOST_SOURCE_OAUTH1_H */
