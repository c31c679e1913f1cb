/*
 * hash.c - OpenSSL digests, MACs and randomness; see hash.h.
 */
#include "drivers/common/hash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "drivers/common/codec.h"

void hash_sha256(const void *data, size_t len, unsigned char out[HASH_SHA256_LEN])
{
	SHA256(data, len, out);
}

void hash_sha256_hex(const void *data, size_t len, char hex[HASH_SHA256_HEX_LEN])
{
	unsigned char md[HASH_SHA256_LEN];

	SHA256(data, len, md);
	codec_hex(hex, md, sizeof(md));
}

static int hash_hmac(const EVP_MD *md, const void *key, size_t klen, const void *data,
		     size_t len, unsigned char *out)
{
	unsigned int n = 0;

	if (klen > (size_t)INT32_MAX)
		return -EINVAL;
	return HMAC(md, key, (int)klen, data, len, out, &n) ? 0 : -EIO;
}

int hash_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
		     unsigned char out[HASH_SHA256_LEN])
{
	return hash_hmac(EVP_sha256(), key, klen, data, len, out);
}

int hash_hmac_sha1(const void *key, size_t klen, const void *data, size_t len,
		   unsigned char out[HASH_SHA1_LEN])
{
	return hash_hmac(EVP_sha1(), key, klen, data, len, out);
}

bool hash_equal(const char *a, const char *b)
{
	size_t n = strlen(a);

	return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

int hash_random_hex(char *out, size_t bytes)
{
	unsigned char buf[64];

	if (bytes > sizeof(buf))
		return -EINVAL;
	if (RAND_bytes(buf, (int)bytes) != 1)
		return -EIO;
	codec_hex(out, buf, bytes);
	return 0;
}

int hash_uuid4(char out[37])
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
	return 0;
}
