/*
 * twin_token.h - bearer tokens that need no table.
 *
 * Keystone, Google and AAD tokens are issued by cloudtwin and must later
 * say which cloud they belong to and whether they have expired.  Instead
 * of remembering every token (clients re-authenticate on every CLI call),
 * a token carries its own claims and an HMAC-SHA256 under a per-process
 * key: <prefix><b64url header>.<b64url claims>.<b64url mac>, JWT-shaped
 * so that clients that peek into tokens find what they expect.  Tokens
 * die with the process, as real tokens die when a cloud rotates keys.
 * Thread-safe (no state).
 */
#ifndef TWIN_TOKEN_H
#define TWIN_TOKEN_H

#include <stdint.h>

#include <jansson.h>

#include "lib/sbuf.h"

#define TWIN_TOKEN_KEY_LEN 32
#define TWIN_TOKEN_MAX_LEN 4096

/* Append a token for cloud `cloud` valid for ttl_s seconds from now_s
 * (unix seconds).  `claims` (borrowed, may be NULL) adds claims.
 * 0 or -ENOMEM / -E2BIG. */
int twin_token_issue(struct sbuf *out, const unsigned char key[TWIN_TOKEN_KEY_LEN],
		     const char *prefix, unsigned cloud, int64_t now_s, int64_t ttl_s,
		     const json_t *claims);
/* Check a token: 0 with *cloud set, -EACCES (malformed or forged) or
 * -EKEYEXPIRED (valid but expired at now_s). */
int twin_token_check(const char *token, const unsigned char key[TWIN_TOKEN_KEY_LEN],
		     const char *prefix, int64_t now_s, unsigned *cloud);

#endif
