/*
 * hash.h - digests, MACs, constant-time comparison and random tokens for
 * the signers (OpenSSL one-shot calls).  Stateless and thread-safe.
 */
#ifndef BFS_DRV_HASH_H
#define BFS_DRV_HASH_H

#include <stdbool.h>
#include <stddef.h>

#define HASH_SHA256_LEN 32
#define HASH_SHA1_LEN 20
#define HASH_SHA256_HEX_LEN 65	/* with the NUL */

/* SHA-256 of data into out[32]. */
void hash_sha256(const void *data, size_t len, unsigned char out[HASH_SHA256_LEN]);
/* Lowercase hex SHA-256 of data into hex[65]. */
void hash_sha256_hex(const void *data, size_t len, char hex[HASH_SHA256_HEX_LEN]);
/* HMAC-SHA256 / HMAC-SHA1.  0, or -EIO when OpenSSL fails. */
int hash_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
		     unsigned char out[HASH_SHA256_LEN]);
int hash_hmac_sha1(const void *key, size_t klen, const void *data, size_t len,
		   unsigned char out[HASH_SHA1_LEN]);
/* Constant-time equality of two strings (length leaks, content does not). */
bool hash_equal(const char *a, const char *b);
/* 2*bytes lowercase hex random characters into out (room for 2*bytes+1). 0 or -EIO. */
int hash_random_hex(char *out, size_t bytes);
/* A random RFC 4122 version-4 UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", into out[37]. */
int hash_uuid4(char out[37]);

#endif
