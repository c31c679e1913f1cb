/*
 * jwt.c - RS256 JWT signing and verification over OpenSSL EVP; see jwt.h.
 */
#include "drivers/common/jwt.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "drivers/common/codec.h"

#define JWT_MAX_LEN (64u << 10)

struct jwt_key {
	EVP_PKEY *pkey;
	bool private_part;
};

static EVP_PKEY *jwt_read_pem(const char *pem, size_t len, bool *private_part)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *k = NULL;
	X509 *cert;

	if (!bio)
		return NULL;
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	*private_part = k != NULL;
	if (!k && BIO_reset(bio) == 1)
		k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!k && BIO_reset(bio) == 1) {
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		k = cert ? X509_get_pubkey(cert) : NULL;
		X509_free(cert);
	}
	BIO_free(bio);
	ERR_clear_error();
	return k;
}

int jwt_key_load_pem(const char *pem, size_t len, struct jwt_key **out)
{
	struct jwt_key *key;
	bool priv = false;
	EVP_PKEY *k;

	if (!pem || len == 0 || len > JWT_MAX_LEN)
		return -EINVAL;
	k = jwt_read_pem(pem, len, &priv);
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_RSA) {
		EVP_PKEY_free(k);
		return -EINVAL;
	}
	key = calloc(1, sizeof(*key));
	if (!key) {
		EVP_PKEY_free(k);
		return -ENOMEM;
	}
	key->pkey = k;
	key->private_part = priv;
	*out = key;
	return 0;
}

void jwt_key_free(struct jwt_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

static int jwt_rsa_sign(const struct jwt_key *key, const char *input, size_t len,
			struct sbuf *out)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	size_t siglen = 0;
	int rc = -EIO;

	if (!ctx)
		return -ENOMEM;
	if (EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (const unsigned char *)input, len) != 1)
		goto out;
	sig = malloc(siglen);
	if (!sig || EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)input, len) != 1)
		goto out;
	rc = codec_b64url_encode(out, sig, siglen);
out:
	ERR_clear_error();
	free(sig);
	EVP_MD_CTX_free(ctx);
	return rc;
}

int jwt_sign_raw(const struct jwt_key *key, const char *header, size_t hlen,
		 const char *payload, size_t plen, struct sbuf *out)
{
	struct sbuf input = SBUF_INIT;
	int rc;

	if (!key || !key->private_part)
		return -EINVAL;
	rc = codec_b64url_encode(&input, header, hlen);
	if (rc == 0)
		rc = sbuf_addc(&input, '.');
	if (rc == 0)
		rc = codec_b64url_encode(&input, payload, plen);
	if (rc == 0)
		rc = sbuf_add(out, input.buf, input.len);
	if (rc == 0)
		rc = sbuf_addc(out, '.');
	if (rc == 0)
		rc = jwt_rsa_sign(key, input.buf, input.len, out);
	sbuf_release(&input);
	return rc;
}

int jwt_sign(const struct jwt_key *key, const char *kid, const json_t *claims,
	     struct sbuf *out)
{
	json_t *hdr = json_pack("{s:s, s:s}", "alg", "RS256", "typ", "JWT");
	char *h = NULL, *c = NULL;
	int rc = -ENOMEM;

	if (!json_is_object(claims)) {
		json_decref(hdr);
		return -EINVAL;
	}
	if (hdr && kid && json_object_set_new(hdr, "kid", json_string(kid)) != 0)
		goto out;
	h = hdr ? json_dumps(hdr, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
	c = json_dumps(claims, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (h && c)
		rc = jwt_sign_raw(key, h, strlen(h), c, strlen(c), out);
out:
	free(h);
	free(c);
	json_decref(hdr);
	return rc;
}

/* ---- verification ----------------------------------------------------------- */

static json_t *jwt_decode_json(const char *seg, size_t len)
{
	struct sbuf raw = { .max = JWT_MAX_LEN };
	json_t *j = NULL;

	if (codec_b64_decode(&raw, seg, len) == 0 && raw.len)
		j = json_loadb(raw.buf, raw.len, JSON_REJECT_DUPLICATES, NULL);
	sbuf_release(&raw);
	if (j && !json_is_object(j)) {
		json_decref(j);
		j = NULL;
	}
	return j;
}

static int jwt_rsa_verify(const struct jwt_key *key, const char *input, size_t len,
			  const char *sig64, size_t siglen)
{
	struct sbuf sig = { .max = JWT_MAX_LEN };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int rc = -EACCES;

	if (!ctx)
		return -ENOMEM;
	if (codec_b64_decode(&sig, sig64, siglen) != 0 || sig.len == 0) {
		rc = -EINVAL;
		goto out;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, key->pkey) == 1 &&
	    EVP_DigestVerify(ctx, (unsigned char *)sig.buf, sig.len,
			     (const unsigned char *)input, len) == 1)
		rc = 0;
out:
	ERR_clear_error();
	EVP_MD_CTX_free(ctx);
	sbuf_release(&sig);
	return rc;
}

int jwt_verify(const struct jwt_key *key, const char *jwt, size_t len, json_t **header,
	       json_t **claims)
{
	const char *dot1, *dot2;
	json_t *h = NULL, *c = NULL;
	int rc = -EINVAL;

	if (!key || !jwt || len == 0 || len > JWT_MAX_LEN)
		return -EINVAL;
	dot1 = memchr(jwt, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jwt)) : NULL;
	if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - jwt)))
		return -EINVAL;
	h = jwt_decode_json(jwt, (size_t)(dot1 - jwt));
	c = jwt_decode_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (!h || !c)
		goto out;
	rc = -EACCES;
	if (!json_is_string(json_object_get(h, "alg")) ||
	    strcmp(json_string_value(json_object_get(h, "alg")), "RS256") != 0)
		goto out;
	rc = jwt_rsa_verify(key, jwt, (size_t)(dot2 - jwt), dot2 + 1,
			    len - (size_t)(dot2 + 1 - jwt));
out:
	if (rc == 0 && header)
		*header = json_incref(h);
	if (rc == 0 && claims)
		*claims = json_incref(c);
	json_decref(h);
	json_decref(c);
	return rc;
}
