/*
 * twin_crypto.c - OpenSSL wrappers; see twin_crypto.h.
 */
#include "tools/cloudtwin/twin_crypto.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

void twin_crypto_sha256(const void *data, size_t len, unsigned char out[TWIN_SHA256_LEN])
{
	SHA256(data, len, out);
}

void twin_crypto_hex(const unsigned char *in, size_t n, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = digits[in[i] >> 4];
		hex[2 * i + 1] = digits[in[i] & 15];
	}
	hex[2 * n] = '\0';
}

void twin_crypto_sha256_hex(const void *data, size_t len, char hex[2 * TWIN_SHA256_LEN + 1])
{
	unsigned char md[TWIN_SHA256_LEN];

	twin_crypto_sha256(data, len, md);
	twin_crypto_hex(md, sizeof(md), hex);
}

int twin_crypto_hmac(enum twin_md md, const void *key, size_t klen, const void *data,
		     size_t len, unsigned char out[TWIN_SHA256_LEN])
{
	const EVP_MD *evp = md == TWIN_MD_SHA1 ? EVP_sha1() : EVP_sha256();
	unsigned int outlen = 0;

	if (klen > INT32_MAX || !HMAC(evp, key, (int)klen, data, len, out, &outlen))
		return -EIO;
	return (int)outlen;
}

bool twin_crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

bool twin_crypto_streq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	/* The length is not secret; the content is. */
	return la == lb && CRYPTO_memcmp(a, b, la) == 0;
}

int twin_crypto_b64(struct sbuf *out, const void *in, size_t n)
{
	size_t need = 4 * ((n + 2) / 3);
	int rc;

	if (n > INT32_MAX / 2)
		return -E2BIG;
	rc = sbuf_grow(out, need);
	if (rc)
		return rc;
	EVP_EncodeBlock((unsigned char *)out->buf + out->len, in, (int)n);
	out->len += need;
	out->buf[out->len] = '\0';
	return 0;
}

int twin_crypto_b64url(struct sbuf *out, const void *in, size_t n)
{
	size_t start = out->len;
	int rc = twin_crypto_b64(out, in, n);

	if (rc)
		return rc;
	for (size_t i = start; i < out->len; i++) {
		if (out->buf[i] == '+')
			out->buf[i] = '-';
		else if (out->buf[i] == '/')
			out->buf[i] = '_';
	}
	while (out->len > start && out->buf[out->len - 1] == '=')
		out->len--;
	out->buf[out->len] = '\0';
	return 0;
}

/* Translate base64url to standard base64 with padding into tmp. */
static int b64_normalise(struct sbuf *tmp, const char *in, size_t n)
{
	size_t pad = 0;
	int rc;

	while (n && in[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (n % 4 == 1)
		return -EINVAL;
	rc = sbuf_grow(tmp, n + 3);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (c == '-')
			c = '+';
		else if (c == '_')
			c = '/';
		else if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			   (c >= '0' && c <= '9') || c == '+' || c == '/'))
			return -EINVAL;
		tmp->buf[tmp->len++] = c;
	}
	while (tmp->len % 4)
		tmp->buf[tmp->len++] = '=';
	tmp->buf[tmp->len] = '\0';
	return 0;
}

int twin_crypto_unb64(struct sbuf *out, const char *in, size_t n)
{
	struct sbuf tmp = SBUF_INIT;
	size_t pad;
	int rc, got;

	rc = b64_normalise(&tmp, in, n);
	if (rc || tmp.len == 0)
		goto out_release;
	rc = tmp.len > INT32_MAX ? -E2BIG : sbuf_grow(out, tmp.len / 4 * 3);
	if (rc)
		goto out_release;
	got = EVP_DecodeBlock((unsigned char *)out->buf + out->len,
			      (unsigned char *)tmp.buf, (int)tmp.len);
	if (got < 0) {
		rc = -EINVAL;
		goto out_release;
	}
	/* EVP_DecodeBlock counts the padding as zero bytes; drop them. */
	pad = (tmp.buf[tmp.len - 1] == '=') + (tmp.buf[tmp.len - 2] == '=');
	out->len += (size_t)got - pad;
	out->buf[out->len] = '\0';
out_release:
	sbuf_release(&tmp);
	return rc;
}

int twin_crypto_random(void *buf, size_t n)
{
	if (n > INT32_MAX || RAND_bytes(buf, (int)n) != 1)
		return -EIO;
	return 0;
}

void twin_crypto_random_hex(char *out, size_t n)
{
	unsigned char raw[64];
	char hex[129];
	size_t done = 0;

	while (done < n) {
		size_t take = n - done < 128 ? n - done : 128;

		if (twin_crypto_random(raw, (take + 1) / 2))
			memset(raw, 0x5a, sizeof(raw));
		twin_crypto_hex(raw, (take + 1) / 2, hex);
		memcpy(out + done, hex, take);
		done += take;
	}
	out[n] = '\0';
}

void twin_crypto_uuid(char *out)
{
	unsigned char b[16];
	char hex[33];

	if (twin_crypto_random(b, sizeof(b)))
		memset(b, 0x5a, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	twin_crypto_hex(b, sizeof(b), hex);
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
}

double twin_crypto_uniform(void)
{
	uint64_t r = 0;

	if (twin_crypto_random(&r, sizeof(r)))
		return 0.5;
	return (double)(r >> 11) / (double)(1ull << 53);
}
