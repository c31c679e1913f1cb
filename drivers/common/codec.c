/*
 * codec.c - base64, hex and percent-encoding; see codec.h.
 *
 * base64 goes through OpenSSL's EVP_EncodeBlock/EVP_DecodeBlock.  The
 * decoder accepts what JWT producers send in practice (url or standard
 * alphabet, padding present or not) by translating to the padded
 * standard form first; EVP_DecodeBlock counts padding as zero bytes, so
 * the pad count is subtracted afterwards.
 */
#include "drivers/common/codec.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

int codec_b64_encode(struct sbuf *out, const void *data, size_t len)
{
	size_t need = 4 * ((len + 2) / 3);
	int rc, n;

	if (len > (size_t)INT32_MAX / 2)
		return -E2BIG;
	rc = sbuf_grow(out, need);
	if (rc)
		return rc;
	n = EVP_EncodeBlock((unsigned char *)out->buf + out->len, data, (int)len);
	out->len += (size_t)n;
	out->buf[out->len] = '\0';
	return 0;
}

int codec_b64url_encode(struct sbuf *out, const void *data, size_t len)
{
	size_t start = out->len;
	int rc = codec_b64_encode(out, data, len);

	if (rc)
		return rc;
	while (out->len > start && out->buf[out->len - 1] == '=')
		out->buf[--out->len] = '\0';
	for (size_t i = start; i < out->len; i++) {
		if (out->buf[i] == '+')
			out->buf[i] = '-';
		else if (out->buf[i] == '/')
			out->buf[i] = '_';
	}
	return 0;
}

/* Translate s into padded standard base64 in std; count the padding. */
static int codec_b64_normalise(struct sbuf *std, const char *s, size_t len, size_t *pads)
{
	size_t data = len;
	int rc = 0;

	while (data && s[data - 1] == '=')
		data--;
	if (len - data > 2 || data % 4 == 1)
		return -EINVAL;
	for (size_t i = 0; rc == 0 && i < data; i++) {
		char c = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];

		if (!isalnum((unsigned char)c) && c != '+' && c != '/')
			return -EINVAL;
		rc = sbuf_addc(std, c);
	}
	*pads = (4 - data % 4) % 4;
	if (len != data && len - data != *pads)
		return -EINVAL;	/* padding present but wrong */
	for (size_t i = 0; rc == 0 && i < *pads; i++)
		rc = sbuf_addc(std, '=');
	return rc;
}

int codec_b64_decode(struct sbuf *out, const char *s, size_t len)
{
	struct sbuf std = { .max = out->max };
	size_t pads = 0;
	int rc, n;

	if (len > (size_t)INT32_MAX / 2)
		return -E2BIG;
	rc = codec_b64_normalise(&std, s, len, &pads);
	if (rc || std.len == 0)
		goto out;
	rc = sbuf_grow(out, std.len / 4 * 3);
	if (rc)
		goto out;
	n = EVP_DecodeBlock((unsigned char *)out->buf + out->len, (unsigned char *)std.buf,
			    (int)std.len);
	if (n < 0 || (size_t)n < pads) {
		rc = -EINVAL;
		goto out;
	}
	out->len += (size_t)n - pads;
	out->buf[out->len] = '\0';
out:
	sbuf_release(&std);
	return rc;
}

void codec_hex(char *hex, const void *data, size_t len)
{
	size_t n = 0;

	/* OpenSSL writes upper case; SigV4 and ACS3 want lower case. */
	if (OPENSSL_buf2hexstr_ex(hex, 2 * len + 1, &n, data, (long)len, '\0') != 1)
		n = 1;
	hex[n - 1] = '\0';
	for (size_t i = 0; i + 1 < n; i++)
		hex[i] = (char)tolower((unsigned char)hex[i]);
}

static int codec_escape_run(struct sbuf *out, const char *s, size_t len)
{
	char *esc;
	int rc;

	if (len == 0)
		return 0;
	if (len > (size_t)INT32_MAX)
		return -E2BIG;
	esc = curl_easy_escape(NULL, s, (int)len);
	if (!esc)
		return -ENOMEM;
	rc = sbuf_adds(out, esc);
	curl_free(esc);
	return rc;
}

int codec_pct_encode(struct sbuf *out, const char *s, size_t len, bool keep_slash)
{
	size_t start = 0;
	int rc = sbuf_add(out, "", 0);

	for (size_t i = 0; rc == 0 && i < len; i++) {
		if (!keep_slash || s[i] != '/')
			continue;
		rc = codec_escape_run(out, s + start, i - start);
		if (rc == 0)
			rc = sbuf_addc(out, '/');
		start = i + 1;
	}
	return rc ? rc : codec_escape_run(out, s + start, len - start);
}

int codec_pct_decode(struct sbuf *out, const char *s, size_t len, bool plus_is_space)
{
	struct sbuf in = SBUF_INIT;
	char *dec;
	int n, rc;

	if (len > (size_t)INT32_MAX)
		return -E2BIG;
	rc = sbuf_add(&in, s, len);
	for (size_t i = 0; rc == 0 && plus_is_space && i < in.len; i++) {
		if (in.buf[i] == '+')
			in.buf[i] = ' ';
	}
	if (rc == 0 && len == 0)
		rc = sbuf_add(out, "", 0);
	if (rc || len == 0)
		goto out;
	dec = curl_easy_unescape(NULL, in.buf, (int)in.len, &n);
	if (!dec) {
		rc = -ENOMEM;
		goto out;
	}
	rc = sbuf_add(out, dec, (size_t)n);
	curl_free(dec);
out:
	sbuf_release(&in);
	return rc;
}
