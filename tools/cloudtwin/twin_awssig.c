/*
 * twin_awssig.c - finding and verifying EC2 signatures; see twin_awssig.h.
 */
#include "tools/cloudtwin/twin_awssig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/codec.h"
#include "drivers/common/hash.h"
#include "tools/cloudtwin/twin_params.h"

static int copy_field(char *dst, size_t len, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n == 0 || n >= len)
		return -EINVAL;
	memcpy(dst, src, n + 1);
	return 0;
}

/* "AKID/yyyymmdd/region/service/aws4_request" of a presigned query. */
static int parse_credential(struct sigv4_auth *a, const char *cred)
{
	char buf[512];
	char *f[5], *save = NULL;
	int n = 0;

	if (copy_field(buf, sizeof(buf), cred))
		return -EINVAL;
	for (char *t = strtok_r(buf, "/", &save); t && n < 5; t = strtok_r(NULL, "/", &save))
		f[n++] = t;
	if (n != 5 || strtok_r(NULL, "/", &save) || strcmp(f[4], "aws4_request") != 0 ||
	    strlen(f[1]) != 8)
		return -EINVAL;
	if (copy_field(a->access_key_id, sizeof(a->access_key_id), f[0]) ||
	    copy_field(a->date, sizeof(a->date), f[1]) ||
	    copy_field(a->region, sizeof(a->region), f[2]) ||
	    copy_field(a->service, sizeof(a->service), f[3]))
		return -EINVAL;
	return 0;
}

static int parse_query(const struct twin_req *req, struct twin_sigv4 *a)
{
	const struct params *q = &req->query;
	const char *exp = params_get(q, "X-Amz-Expires");

	if (parse_credential(&a->auth, params_get(q, "X-Amz-Credential")) ||
	    copy_field(a->auth.signed_headers, sizeof(a->auth.signed_headers),
		       params_get(q, "X-Amz-SignedHeaders")) ||
	    copy_field(a->auth.signature, sizeof(a->auth.signature),
		       params_get(q, "X-Amz-Signature")))
		return -EINVAL;
	a->presigned = true;
	a->expires = exp ? strtol(exp, NULL, 10) : 0;
	return 0;
}

int twin_awssig_v4_parse(const struct twin_req *req, struct twin_sigv4 *a)
{
	const char *auth = twin_req_header(req, "Authorization");
	const char *algo = params_get(&req->query, "X-Amz-Algorithm");
	size_t n = strlen(SIGV4_ALGORITHM);
	const char *date;
	int rc;

	memset(a, 0, sizeof(*a));
	if (auth && strncmp(auth, SIGV4_ALGORITHM, n) == 0 && auth[n] == ' ')
		rc = sigv4_parse_authorization(auth, &a->auth);
	else if (algo && strcmp(algo, SIGV4_ALGORITHM) == 0)
		rc = parse_query(req, a);
	else
		return -ENOENT;
	date = a->presigned ? params_get(&req->query, "X-Amz-Date") :
	       twin_req_header(req, "X-Amz-Date");
	if (!rc && (!date || strlen(date) != 16 || date[8] != 'T' || date[15] != 'Z'))
		rc = -EINVAL;
	if (!rc)
		memcpy(a->amz_date, date, SIGV4_DATE_LEN);
	return rc;
}

/* The raw query with every '+' written as %20. */
static char *plus_as_space(const char *q)
{
	struct sbuf sb = SBUF_INIT;

	for (; *q; q++) {
		if (*q == '+' ? sbuf_adds(&sb, "%20") : sbuf_addc(&sb, *q)) {
			sbuf_release(&sb);
			return NULL;
		}
	}
	return sbuf_detach(&sb, NULL);
}

int twin_awssig_v4_verify(const struct twin_req *req, const struct twin_sigv4 *a,
			  const char *secret)
{
	struct http_header *h = calloc(req->nhdrs ? req->nhdrs : 1, sizeof(*h));
	struct sigv4_request r = {
		.method = req->method, .path = req->raw_path, .query = req->raw_query,
		.headers = h, .nheaders = req->nhdrs, .signed_headers = a->auth.signed_headers,
		.payload_hash = twin_req_header(req, "X-Amz-Content-SHA256"),
		.body = req->body.buf, .body_len = req->body.len, .normalize_path = true,
	};
	char *alt = NULL;
	int rc;

	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < req->nhdrs; i++)
		h[i] = (struct http_header){ req->hdrs[i].name, req->hdrs[i].value };
	rc = sigv4_verify(&r, &a->auth, secret, a->amz_date);
	if (rc && strchr(req->raw_query, '+')) {
		alt = plus_as_space(req->raw_query);
		r.query = alt;
		rc = alt ? sigv4_verify(&r, &a->auth, secret, a->amz_date) : -ENOMEM;
	}
	free(alt);
	free(h);
	return rc ? -EACCES : 0;
}

int twin_awssig_v2_verify(const struct twin_req *req, const struct params *p, const char *secret)
{
	const char *method = params_get(p, "SignatureMethod"), *sig = params_get(p, "Signature");
	const char *host = twin_req_header(req, "Host");
	struct sbuf sts = SBUF_INIT, want = SBUF_INIT;
	unsigned char mac[HASH_SHA256_LEN];
	bool sha1 = method && strcmp(method, "HmacSHA1") == 0;
	int rc;

	if (!method || !sig || !host || (!sha1 && strcmp(method, "HmacSHA256") != 0))
		return -EINVAL;
	rc = sbuf_addf(&sts, "%s\n", req->method);
	for (const char *c = host; !rc && *c; c++)
		rc = sbuf_addc(&sts, (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c));
	if (!rc)
		rc = sbuf_addf(&sts, "\n%s\n", req->raw_path);
	if (!rc)
		rc = twin_params_canonical(p, "Signature", &sts);
	if (!rc)
		rc = sha1 ? hash_hmac_sha1(secret, strlen(secret), sts.buf, sts.len, mac) :
		     hash_hmac_sha256(secret, strlen(secret), sts.buf, sts.len, mac);
	if (!rc)
		rc = codec_b64_encode(&want, mac, sha1 ? HASH_SHA1_LEN : HASH_SHA256_LEN);
	if (!rc)
		rc = hash_equal(sbuf_str(&want), sig) ? 0 : -EACCES;
	sbuf_release(&sts);
	sbuf_release(&want);
	return rc;
}
