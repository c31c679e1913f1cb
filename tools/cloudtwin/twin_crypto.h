/*
 * twin_crypto.h - the digests, MACs, encodings and random identifiers the
 * verifiers and the dialects share, as thin wrappers over OpenSSL.
 *
 * Nothing here implements a primitive: SHA-256, HMAC, base64 and the
 * random source are OpenSSL's.  What is ours is the shape the callers
 * need (hex strings, base64url with or without padding, ids).
 * All functions are thread-safe.
 */
#ifndef TWIN_CRYPTO_H
#define TWIN_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sbuf.h"

#define TWIN_SHA256_LEN 32
#define TWIN_SHA1_LEN 20

enum twin_md { TWIN_MD_SHA1, TWIN_MD_SHA256 };

/* SHA-256 of data into out[32]. */
void twin_crypto_sha256(const void *data, size_t len, unsigned char out[TWIN_SHA256_LEN]);
/* Lower-case hex of SHA-256 into hex[65]. */
void twin_crypto_sha256_hex(const void *data, size_t len, char hex[2 * TWIN_SHA256_LEN + 1]);
/* HMAC of data with key; out gets 20 (SHA-1) or 32 bytes; returns its
 * length, or -EIO when OpenSSL fails. */
int twin_crypto_hmac(enum twin_md md, const void *key, size_t klen, const void *data,
		     size_t len, unsigned char out[TWIN_SHA256_LEN]);
/* Lower-case hex of n bytes into hex[2n+1]. */
void twin_crypto_hex(const unsigned char *in, size_t n, char *hex);
/* Compare in constant time (for signatures): true when equal. */
bool twin_crypto_equal(const void *a, const void *b, size_t n);
/* Constant-time comparison of two NUL-terminated strings of any length. */
bool twin_crypto_streq(const char *a, const char *b);

/* Append standard base64 (with padding) of in[0..n). 0 or -ENOMEM/-E2BIG. */
int twin_crypto_b64(struct sbuf *out, const void *in, size_t n);
/* Append base64url without padding. */
int twin_crypto_b64url(struct sbuf *out, const void *in, size_t n);
/* Decode standard base64 or base64url, padded or not, into out (which
 * may hold binary; out->len is the length).  Whitespace is not allowed.
 * 0, -EINVAL (not base64) or -ENOMEM/-E2BIG. */
int twin_crypto_unb64(struct sbuf *out, const char *in, size_t n);

/* Fill buf with n random bytes (OpenSSL's CSPRNG). 0 or -EIO. */
int twin_crypto_random(void *buf, size_t n);
/* n random lower-case hex digits into out[n+1]. */
void twin_crypto_random_hex(char *out, size_t n);
/* A random version-4 UUID, lower case, into out[37]. */
void twin_crypto_uuid(char *out);
/* A uniform double in [0, 1). */
double twin_crypto_uniform(void);

#endif
