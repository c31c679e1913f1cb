/*
 * acs.c - Alibaba Cloud V2 (HMAC-SHA1) and V3 (ACS3-HMAC-SHA256)
 * signatures; see acs.h.
 *
 * V2 sorts the parameters by their raw names (what the SDKs' sorted maps
 * do) and encodes afterwards; V3 shares SigV4's canonical query and
 * header rules (canon.c) with values only trimmed.
 */
#include "drivers/common/acs.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "drivers/common/canon.h"
#include "drivers/common/codec.h"
#include "drivers/common/hash.h"

/* ---- V2 ------------------------------------------------------------------- */

int acs_v2_string_to_sign(const char *method, const struct params *p, struct sbuf *out)
{
	struct params sorted = PARAMS_INIT;
	struct sbuf query = SBUF_INIT;
	int rc = 0;

	if (!method || !*method)
		return -EINVAL;
	for (size_t i = 0; rc == 0 && i < p->n; i++) {
		if (strcmp(p->v[i].name, "Signature") != 0)
			rc = params_add(&sorted, p->v[i].name, p->v[i].value);
	}
	params_sort(&sorted);
	if (rc == 0)
		rc = params_encode(&sorted, &query);
	if (rc == 0)
		rc = sbuf_addf(out, "%s&%%2F&", method);
	if (rc == 0)
		rc = codec_pct_encode(out, sbuf_str(&query), query.len, false);
	params_release(&sorted);
	sbuf_release(&query);
	return rc;
}

int acs_v2_signature(const char *secret, const char *sts, struct sbuf *out)
{
	unsigned char mac[HASH_SHA1_LEN];
	struct sbuf key = SBUF_INIT;
	int rc;

	if (!secret)
		return -EINVAL;
	rc = sbuf_addf(&key, "%s&", secret);
	if (rc == 0)
		rc = hash_hmac_sha1(key.buf, key.len, sts, strlen(sts), mac);
	if (rc == 0)
		rc = codec_b64_encode(out, mac, sizeof(mac));
	OPENSSL_cleanse(key.buf, key.len);
	sbuf_release(&key);
	return rc;
}

static int acs_v2_compute(const char *method, const struct params *p, const char *secret,
			  struct sbuf *sig)
{
	struct sbuf sts = SBUF_INIT;
	int rc = acs_v2_string_to_sign(method, p, &sts);

	if (rc == 0)
		rc = acs_v2_signature(secret, sts.buf, sig);
	sbuf_release(&sts);
	return rc;
}

int acs_v2_sign(const char *method, struct params *p, const char *secret)
{
	struct sbuf sig = SBUF_INIT;
	int rc = acs_v2_compute(method, p, secret, &sig);

	if (rc == 0)
		rc = params_add(p, "Signature", sig.buf);
	sbuf_release(&sig);
	return rc;
}

int acs_v2_verify(const char *method, const struct params *p, const char *secret)
{
	const char *given = params_get(p, "Signature");
	struct sbuf sig = SBUF_INIT;
	int rc;

	if (!given)
		return -EINVAL;
	rc = acs_v2_compute(method, p, secret, &sig);
	if (rc == 0)
		rc = hash_equal(sig.buf, given) ? 0 : -EACCES;
	sbuf_release(&sig);
	return rc;
}

/* ---- V3 ------------------------------------------------------------------- */

static bool acs_v3_pick(const char *lname)
{
	return strcmp(lname, "host") == 0 || strcmp(lname, "content-type") == 0 ||
	       strncmp(lname, "x-acs-", 6) == 0;
}

int acs_v3_canonical_request(const struct acs_v3_request *req, struct sbuf *out,
			     struct sbuf *list)
{
	struct canon_headers spec = { .headers = req->headers, .n = req->nheaders,
				      .list = req->signed_headers, .pick = acs_v3_pick };
	struct sbuf names = SBUF_INIT;
	char hash[HASH_SHA256_HEX_LEN];
	int rc;

	if (!req->method || !*req->method)
		return -EINVAL;
	hash_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0, hash);
	rc = sbuf_addf(out, "%s\n/\n", req->method);
	if (rc == 0)
		rc = canon_query(req->query, NULL, out);
	if (rc == 0)
		rc = sbuf_addc(out, '\n');
	if (rc == 0)
		rc = canon_headers(&spec, out, &names);
	if (rc == 0)
		rc = sbuf_addf(out, "\n%s\n%s", names.buf, hash);
	if (rc == 0 && list)
		rc = sbuf_adds(list, names.buf);
	sbuf_release(&names);
	return rc;
}

int acs_v3_string_to_sign(const char *canonical, struct sbuf *out)
{
	char hash[HASH_SHA256_HEX_LEN];

	hash_sha256_hex(canonical, strlen(canonical), hash);
	return sbuf_addf(out, ACS_V3_ALGORITHM "\n%s", hash);
}

int acs_v3_signature(const char *secret, const char *sts, char sig[ACS_V3_SIG_LEN])
{
	unsigned char mac[HASH_SHA256_LEN];
	int rc;

	if (!secret)
		return -EINVAL;
	rc = hash_hmac_sha256(secret, strlen(secret), sts, strlen(sts), mac);
	if (rc == 0)
		codec_hex(sig, mac, sizeof(mac));
	return rc;
}

static int acs_v3_compute(const struct acs_v3_request *req, const char *secret,
			  struct sbuf *list, char sig[ACS_V3_SIG_LEN])
{
	struct sbuf canon = SBUF_INIT, sts = SBUF_INIT;
	int rc = acs_v3_canonical_request(req, &canon, list);

	if (rc == 0)
		rc = acs_v3_string_to_sign(canon.buf, &sts);
	if (rc == 0)
		rc = acs_v3_signature(secret, sts.buf, sig);
	sbuf_release(&canon);
	sbuf_release(&sts);
	return rc;
}

int acs_v3_sign(const struct acs_v3_request *req, const char *access_key_id,
		const char *secret, struct sbuf *authorization)
{
	struct sbuf list = SBUF_INIT;
	char sig[ACS_V3_SIG_LEN];
	int rc;

	if (!access_key_id || !*access_key_id)
		return -EINVAL;
	rc = acs_v3_compute(req, secret, &list, sig);
	if (rc == 0)
		rc = sbuf_addf(authorization,
			       ACS_V3_ALGORITHM " Credential=%s,SignedHeaders=%s,Signature=%s",
			       access_key_id, list.buf, sig);
	sbuf_release(&list);
	return rc;
}

int acs_v3_parse_authorization(const char *value, struct acs_v3_auth *out)
{
	const struct canon_auth_field f[] = {
		{ "Credential", out->access_key_id, sizeof(out->access_key_id) },
		{ "SignedHeaders", out->signed_headers, sizeof(out->signed_headers) },
		{ "Signature", out->signature, sizeof(out->signature) },
	};

	memset(out, 0, sizeof(*out));
	if (canon_auth_parse(value, ACS_V3_ALGORITHM, f, 3) ||
	    strlen(out->signature) != ACS_V3_SIG_LEN - 1)
		return -EINVAL;
	return 0;
}

int acs_v3_verify(const struct acs_v3_request *req, const struct acs_v3_auth *auth,
		  const char *secret)
{
	struct acs_v3_request r = *req;
	char sig[ACS_V3_SIG_LEN];
	int rc;

	r.signed_headers = auth->signed_headers;
	rc = acs_v3_compute(&r, secret, NULL, sig);
	if (rc)
		return rc;
	return hash_equal(sig, auth->signature) ? 0 : -EACCES;
}
