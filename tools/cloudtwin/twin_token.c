/*
 * twin_token.c - self-verifying bearer tokens; see twin_token.h.
 */
#include "tools/cloudtwin/twin_token.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/hash.h"
#include "drivers/common/codec.h"
#include "tools/cloudtwin/twin_rand.h"

static const char token_header[] = "{\"typ\":\"JWT\",\"alg\":\"HS256\",\"kid\":\"cloudtwin\"}";

static int token_mac(struct sbuf *out, const unsigned char *key, const char *prefix,
		     const char *body, size_t len)
{
	unsigned char mac[HASH_SHA256_LEN];
	struct sbuf in = SBUF_INIT;
	int rc = sbuf_adds(&in, prefix);

	if (!rc)
		rc = sbuf_add(&in, body, len);
	if (!rc)
		rc = hash_hmac_sha256(key, TWIN_TOKEN_KEY_LEN, in.buf, in.len, mac);
	if (!rc)
		rc = codec_b64url_encode(out, mac, sizeof(mac));
	sbuf_release(&in);
	return rc;
}

int twin_token_issue(struct sbuf *out, const unsigned char key[TWIN_TOKEN_KEY_LEN],
		     const char *prefix, unsigned cloud, int64_t now_s, int64_t ttl_s,
		     const json_t *claims)
{
	json_t *c = claims ? json_deep_copy(claims) : json_object();
	char nonce[17], *text = NULL;
	size_t start;
	int rc = -ENOMEM;

	twin_rand_hex(nonce, 16);
	if (!c || json_object_set_new(c, "twc", json_integer(cloud)) ||
	    json_object_set_new(c, "iat", json_integer(now_s)) ||
	    json_object_set_new(c, "exp", json_integer(now_s + ttl_s)) ||
	    json_object_set_new(c, "jti", json_string(nonce)))
		goto out_free;
	text = json_dumps(c, JSON_COMPACT);
	if (!text)
		goto out_free;
	rc = sbuf_adds(out, prefix);
	start = out->len;
	if (!rc)
		rc = codec_b64url_encode(out, token_header, strlen(token_header));
	if (!rc)
		rc = sbuf_addc(out, '.');
	if (!rc)
		rc = codec_b64url_encode(out, text, strlen(text));
	if (!rc) {
		size_t end = out->len;

		rc = sbuf_addc(out, '.');
		if (!rc)
			rc = token_mac(out, key, prefix, out->buf + start, end - start);
	}
out_free:
	free(text);
	json_decref(c);
	return rc;
}

/* Claims of a token whose MAC is good, or NULL. */
static json_t *token_claims(const char *body, const unsigned char *key, const char *prefix)
{
	const char *dot1 = strchr(body, '.'), *dot2 = dot1 ? strchr(dot1 + 1, '.') : NULL;
	struct sbuf mac = SBUF_INIT, claims = SBUF_INIT;
	json_t *doc = NULL;

	if (!dot2 || strchr(dot2 + 1, '.'))
		return NULL;
	if (token_mac(&mac, key, prefix, body, (size_t)(dot2 - body)) ||
	    !hash_equal(mac.buf, dot2 + 1))
		goto out_release;
	if (codec_b64_decode(&claims, dot1 + 1, (size_t)(dot2 - dot1 - 1)))
		goto out_release;
	doc = json_loadb(claims.buf, claims.len, 0, NULL);
out_release:
	sbuf_release(&mac);
	sbuf_release(&claims);
	return doc;
}

int twin_token_check(const char *token, const unsigned char key[TWIN_TOKEN_KEY_LEN],
		     const char *prefix, int64_t now_s, unsigned *cloud)
{
	size_t plen = strlen(prefix);
	json_t *c, *twc, *exp;
	int rc = -EACCES;

	if (!token || strlen(token) > TWIN_TOKEN_MAX_LEN || strncmp(token, prefix, plen) != 0)
		return -EACCES;
	c = token_claims(token + plen, key, prefix);
	twc = json_object_get(c, "twc");
	exp = json_object_get(c, "exp");
	if (json_is_integer(twc) && json_is_integer(exp) && json_integer_value(twc) >= 0) {
		rc = json_integer_value(exp) <= now_s ? -EKEYEXPIRED : 0;
		*cloud = (unsigned)json_integer_value(twc);
	}
	json_decref(c);
	return rc;
}
