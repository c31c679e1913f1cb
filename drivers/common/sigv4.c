/*
 * sigv4.c - AWS Signature Version 4; see sigv4.h.
 *
 * Every intermediate string lives in a struct sbuf with the default
 * ceiling, so a hostile request seen by a verifier cannot make it allocate
 * without bound.  Query and header canonicalisation are shared with the
 * Alibaba ACS3 signer (canon.c).
 */
#include "drivers/common/sigv4.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "drivers/common/canon.h"
#include "drivers/common/codec.h"
#include "drivers/common/hash.h"

void sigv4_amz_date(int64_t unix_s, char out[SIGV4_DATE_LEN])
{
	time_t t = (time_t)unix_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, SIGV4_DATE_LEN, "%Y%m%dT%H%M%SZ", &tm);
}

/* ---- canonical URI ---------------------------------------------------------- */

static void sigv4_pop_segment(struct sbuf *out)
{
	while (out->len && out->buf[out->len - 1] != '/')
		out->len--;
	if (out->len)
		out->len--;	/* the '/' before it */
	if (out->buf)
		out->buf[out->len] = '\0';
}

/* RFC 3986 5.2.4 dot-segment removal, with empty segments dropped too. */
static int sigv4_normalize(const char *path, struct sbuf *out)
{
	const char *p = path, *end = path + strlen(path);
	bool dir = false;
	int rc = sbuf_add(out, "", 0);

	while (rc == 0 && p < end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		size_t n = slash ? (size_t)(slash - p) : (size_t)(end - p);

		dir = true;
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			sigv4_pop_segment(out);
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			rc = sbuf_addc(out, '/');
			if (rc == 0)
				rc = sbuf_add(out, p, n);
			dir = false;
		}
		p += n + 1;
	}
	if (end > path && end[-1] == '/')
		dir = true;
	if (rc == 0 && (out->len == 0 || dir))
		rc = sbuf_addc(out, '/');
	return rc;
}

static int sigv4_canonical_uri(const struct sigv4_request *req, struct sbuf *out)
{
	const char *path = req->path && *req->path ? req->path : "/";
	struct sbuf norm = SBUF_INIT;
	int rc;

	if (!req->normalize_path)
		return codec_pct_encode(out, path, strlen(path), true);
	rc = sigv4_normalize(path, &norm);
	if (rc == 0)
		rc = codec_pct_encode(out, norm.buf, norm.len, true);
	sbuf_release(&norm);
	return rc;
}

static int sigv4_headers(const struct sigv4_request *req, struct sbuf *canon, struct sbuf *list)
{
	struct canon_headers h = { .headers = req->headers, .n = req->nheaders,
				   .list = req->signed_headers, .collapse = true };

	return canon_headers(&h, canon, list);
}

/* ---- the request, the string, the signature -------------------------------- */

int sigv4_canonical_request(const struct sigv4_request *req, struct sbuf *out,
			    struct sbuf *signed_list)
{
	struct sbuf list = SBUF_INIT;
	char hash[HASH_SHA256_HEX_LEN];
	int rc;

	if (!req->method || (req->nheaders && !req->headers))
		return -EINVAL;
	rc = sbuf_addf(out, "%s\n", req->method);
	if (rc == 0)
		rc = sigv4_canonical_uri(req, out);
	if (rc == 0)
		rc = sbuf_addc(out, '\n');
	if (rc == 0)
		rc = canon_query(req->query, "X-Amz-Signature", out);
	if (rc == 0)
		rc = sbuf_addc(out, '\n');
	if (rc == 0)
		rc = sigv4_headers(req, out, &list);
	if (!req->payload_hash)
		hash_sha256_hex(req->body ? req->body : "", req->body ? req->body_len : 0, hash);
	if (rc == 0)
		rc = sbuf_addf(out, "\n%s\n%s", sbuf_str(&list),
			       req->payload_hash ? req->payload_hash : hash);
	if (rc == 0 && signed_list)
		rc = sbuf_adds(signed_list, sbuf_str(&list));
	sbuf_release(&list);
	return rc;
}

static int sigv4_scope(const struct sigv4_key *key, const char *amz_date, struct sbuf *out)
{
	if (!key->region || !key->service || strlen(amz_date) != SIGV4_DATE_LEN - 1)
		return -EINVAL;
	return sbuf_addf(out, "%.8s/%s/%s/aws4_request", amz_date, key->region, key->service);
}

int sigv4_string_to_sign(const struct sigv4_key *key, const char *amz_date,
			 const char *canonical, struct sbuf *out)
{
	char hash[HASH_SHA256_HEX_LEN];
	int rc;

	hash_sha256_hex(canonical, strlen(canonical), hash);
	rc = sbuf_addf(out, SIGV4_ALGORITHM "\n%s\n", amz_date);
	if (rc == 0)
		rc = sigv4_scope(key, amz_date, out);
	if (rc == 0)
		rc = sbuf_addf(out, "\n%s", hash);
	return rc;
}

int sigv4_signature(const struct sigv4_key *key, const char *amz_date, const char *sts,
		    char sig[SIGV4_SIG_LEN])
{
	const char *steps[] = { key->region, key->service, "aws4_request" };
	unsigned char k[HASH_SHA256_LEN];
	struct sbuf secret = SBUF_INIT;
	int rc;

	if (!key->secret_access_key || !key->region || !key->service ||
	    strlen(amz_date) != SIGV4_DATE_LEN - 1)
		return -EINVAL;
	rc = sbuf_addf(&secret, "AWS4%s", key->secret_access_key);
	if (rc == 0)
		rc = hash_hmac_sha256(secret.buf, secret.len, amz_date, 8, k);
	for (size_t i = 0; rc == 0 && i < 3; i++)
		rc = hash_hmac_sha256(k, sizeof(k), steps[i], strlen(steps[i]), k);
	if (rc == 0)
		rc = hash_hmac_sha256(k, sizeof(k), sts, strlen(sts), k);
	if (rc == 0)
		codec_hex(sig, k, sizeof(k));
	if (secret.buf)
		OPENSSL_cleanse(secret.buf, secret.len);
	sbuf_release(&secret);
	return rc;
}

static int sigv4_auth_value(const struct sigv4_key *key, const char *amz_date,
			    const char *list, const char *sig, struct sbuf *out)
{
	int rc = sbuf_addf(out, SIGV4_ALGORITHM " Credential=%s/", key->access_key_id);

	if (rc == 0)
		rc = sigv4_scope(key, amz_date, out);
	if (rc == 0)
		rc = sbuf_addf(out, ", SignedHeaders=%s, Signature=%s", list, sig);
	return rc;
}

/* Canonical request -> string to sign -> signature; the signed list is returned too. */
static int sigv4_compute(const struct sigv4_request *req, const struct sigv4_key *key,
			 const char *amz_date, struct sbuf *list, char sig[SIGV4_SIG_LEN])
{
	struct sbuf canon = SBUF_INIT, sts = SBUF_INIT;
	int rc;

	rc = sigv4_canonical_request(req, &canon, list);
	if (rc == 0)
		rc = sigv4_string_to_sign(key, amz_date, canon.buf, &sts);
	if (rc == 0)
		rc = sigv4_signature(key, amz_date, sts.buf, sig);
	sbuf_release(&canon);
	sbuf_release(&sts);
	return rc;
}

int sigv4_sign(const struct sigv4_request *req, const struct sigv4_key *key,
	       const char *amz_date, struct sbuf *authorization)
{
	struct sbuf list = SBUF_INIT;
	char sig[SIGV4_SIG_LEN];
	int rc;

	if (!key->access_key_id)
		return -EINVAL;
	rc = sigv4_compute(req, key, amz_date, &list, sig);
	if (rc == 0)
		rc = sigv4_auth_value(key, amz_date, sbuf_str(&list), sig, authorization);
	sbuf_release(&list);
	return rc;
}

/* ---- presigned URLs ------------------------------------------------------ */

static int sigv4_add_param(struct sbuf *q, const char *name, const char *value)
{
	int rc = sbuf_addf(q, "%s%s=", q->len ? "&" : "", name);

	return rc ? rc : codec_pct_encode(q, value, strlen(value), false);
}

/* The X-Amz-* presign parameters up to Expires, appended to q. */
static int sigv4_presign_params(const struct sigv4_key *key, const char *amz_date,
				const char *list, int expires_s, struct sbuf *q)
{
	struct sbuf cred = SBUF_INIT;
	char exp[16];
	int rc;

	snprintf(exp, sizeof(exp), "%d", expires_s);
	rc = sbuf_addf(&cred, "%s/", key->access_key_id);
	if (rc == 0)
		rc = sigv4_scope(key, amz_date, &cred);
	if (rc == 0)
		rc = sigv4_add_param(q, "X-Amz-Algorithm", SIGV4_ALGORITHM);
	if (rc == 0)
		rc = sigv4_add_param(q, "X-Amz-Credential", cred.buf);
	if (rc == 0)
		rc = sigv4_add_param(q, "X-Amz-Date", amz_date);
	if (rc == 0)
		rc = sigv4_add_param(q, "X-Amz-SignedHeaders", list);
	if (rc == 0)
		rc = sigv4_add_param(q, "X-Amz-Expires", exp);
	sbuf_release(&cred);
	return rc;
}

int sigv4_presign(const struct sigv4_request *req, const struct sigv4_key *key,
		  const char *amz_date, int expires_s, const char *session_token,
		  bool token_unsigned, struct sbuf *query_out)
{
	struct sbuf canon = SBUF_INIT, list = SBUF_INIT, q = SBUF_INIT;
	struct sigv4_request r = *req;
	char sig[SIGV4_SIG_LEN];
	int rc;

	if (!key->access_key_id)
		return -EINVAL;
	rc = sigv4_headers(req, &canon, &list);	/* for the signed list */
	if (rc == 0)
		rc = sbuf_adds(&q, req->query ? req->query : "");
	if (rc == 0)
		rc = sigv4_presign_params(key, amz_date, list.buf, expires_s, &q);
	if (rc == 0 && session_token && !token_unsigned)
		rc = sigv4_add_param(&q, "X-Amz-Security-Token", session_token);
	r.query = q.buf;
	sbuf_reset(&list);
	if (rc == 0)
		rc = sigv4_compute(&r, key, amz_date, &list, sig);
	if (rc == 0 && session_token && token_unsigned)
		rc = sigv4_add_param(&q, "X-Amz-Security-Token", session_token);
	if (rc == 0)
		rc = sigv4_add_param(&q, "X-Amz-Signature", sig);
	if (rc == 0)
		rc = sbuf_add(query_out, q.buf, q.len);
	sbuf_release(&canon);
	sbuf_release(&list);
	sbuf_release(&q);
	return rc;
}

/* ---- verification ------------------------------------------------------- */

static int sigv4_copy(char *dst, size_t size, const char *src, size_t len)
{
	if (len == 0 || len >= size)
		return -EINVAL;
	memcpy(dst, src, len);
	dst[len] = '\0';
	return 0;
}

/* "AKID/yyyymmdd/region/service/aws4_request" */
static int sigv4_parse_credential(const char *v, size_t len, struct sigv4_auth *out)
{
	const char *part[5];
	size_t plen[5], k = 0;
	const char *p = v, *end = v + len;

	while (k < 5 && p <= end) {
		const char *slash = memchr(p, '/', (size_t)(end - p));
		const char *stop = (k == 4 || !slash) ? end : slash;

		part[k] = p;
		plen[k++] = (size_t)(stop - p);
		p = stop + 1;
	}
	if (k != 5 || plen[4] != 12 || strncmp(part[4], "aws4_request", 12) != 0 || plen[1] != 8)
		return -EINVAL;
	if (sigv4_copy(out->access_key_id, sizeof(out->access_key_id), part[0], plen[0]) ||
	    sigv4_copy(out->date, sizeof(out->date), part[1], plen[1]) ||
	    sigv4_copy(out->region, sizeof(out->region), part[2], plen[2]))
		return -EINVAL;
	return sigv4_copy(out->service, sizeof(out->service), part[3], plen[3]);
}

int sigv4_parse_authorization(const char *value, struct sigv4_auth *out)
{
	char cred[256];
	const struct canon_auth_field f[] = {
		{ "Credential", cred, sizeof(cred) },
		{ "SignedHeaders", out->signed_headers, sizeof(out->signed_headers) },
		{ "Signature", out->signature, sizeof(out->signature) },
	};

	memset(out, 0, sizeof(*out));
	if (canon_auth_parse(value, SIGV4_ALGORITHM, f, 3) ||
	    strlen(out->signature) != SIGV4_SIG_LEN - 1)
		return -EINVAL;
	return sigv4_parse_credential(cred, strlen(cred), out);
}

int sigv4_verify(const struct sigv4_request *req, const struct sigv4_auth *auth,
		 const char *secret_access_key, const char *amz_date)
{
	struct sigv4_key key = { auth->access_key_id, secret_access_key, auth->region,
				 auth->service };
	struct sigv4_request r = *req;
	struct sbuf list = SBUF_INIT;
	char sig[SIGV4_SIG_LEN];
	int rc;

	if (!amz_date || strlen(amz_date) != SIGV4_DATE_LEN - 1 ||
	    strncmp(amz_date, auth->date, 8) != 0)
		return -EINVAL;
	r.signed_headers = auth->signed_headers;
	rc = sigv4_compute(&r, &key, amz_date, &list, sig);
	sbuf_release(&list);
	if (rc)
		return rc;
	return hash_equal(sig, auth->signature) ? 0 : -EACCES;
}
