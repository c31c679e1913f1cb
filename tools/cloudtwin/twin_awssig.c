/*
 * twin_awssig.c - SigV4 and SigV2 verification; see twin_awssig.h.
 */
#include "tools/cloudtwin/twin_awssig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/cloudtwin/twin_crypto.h"

#define ALGO "AWS4-HMAC-SHA256"

/* ---- parsing ------------------------------------------------------------ */

static int copy_field(char *dst, size_t len, const char *src, size_t n)
{
	if (n == 0 || n >= len)
		return -EINVAL;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

/* "AKID/yyyymmdd/region/service/aws4_request" */
static int parse_credential(struct twin_sigv4 *a, const char *s, size_t n)
{
	const char *parts[5], *end = s + n, *p = s;
	size_t lens[5];
	int i;

	for (i = 0; i < 5; i++) {
		const char *slash = memchr(p, '/', (size_t)(end - p));

		parts[i] = p;
		lens[i] = slash && i < 4 ? (size_t)(slash - p) : (size_t)(end - p);
		if (i < 4 && !slash)
			return -EINVAL;
		p = parts[i] + lens[i] + 1;
	}
	if (lens[4] != 12 || memcmp(parts[4], "aws4_request", 12) != 0 || lens[1] != 8)
		return -EINVAL;
	if (copy_field(a->akid, sizeof(a->akid), parts[0], lens[0]) ||
	    copy_field(a->date, sizeof(a->date), parts[1], lens[1]) ||
	    copy_field(a->region, sizeof(a->region), parts[2], lens[2]) ||
	    copy_field(a->service, sizeof(a->service), parts[3], lens[3]))
		return -EINVAL;
	return 0;
}

/* One "Key=value" component of the Authorization header. */
static int parse_component(struct twin_sigv4 *a, const char *s, size_t n)
{
	const char *eq = memchr(s, '=', n);
	size_t k = eq ? (size_t)(eq - s) : 0, vlen = eq ? n - k - 1 : 0;

	if (!eq)
		return -EINVAL;
	if (k == 10 && strncmp(s, "Credential", 10) == 0)
		return parse_credential(a, eq + 1, vlen);
	if (k == 13 && strncmp(s, "SignedHeaders", 13) == 0)
		return copy_field(a->signed_headers, sizeof(a->signed_headers), eq + 1, vlen);
	if (k == 9 && strncmp(s, "Signature", 9) == 0)
		return copy_field(a->signature, sizeof(a->signature), eq + 1, vlen);
	return 0;	/* unknown components are ignored, as AWS does */
}

static int parse_header(struct twin_sigv4 *a, const char *auth)
{
	const char *p = auth + strlen(ALGO);
	int rc = 0;

	while (*p && !rc) {
		size_t n;

		p += strspn(p, " ,");
		n = strcspn(p, ",");
		while (n && p[n - 1] == ' ')
			n--;
		if (n)
			rc = parse_component(a, p, n);
		p += n;
		p += strcspn(p, ",");
	}
	return rc;
}

static int parse_query(struct twin_sigv4 *a, const struct twin_req *req)
{
	const char *cred = twin_form_get(&req->query, "X-Amz-Credential");
	const char *sh = twin_form_get(&req->query, "X-Amz-SignedHeaders");
	const char *sig = twin_form_get(&req->query, "X-Amz-Signature");
	const char *exp = twin_form_get(&req->query, "X-Amz-Expires");

	if (!cred || !sh || !sig || parse_credential(a, cred, strlen(cred)) ||
	    copy_field(a->signed_headers, sizeof(a->signed_headers), sh, strlen(sh)) ||
	    copy_field(a->signature, sizeof(a->signature), sig, strlen(sig)))
		return -EINVAL;
	a->presigned = true;
	a->expires = exp ? strtol(exp, NULL, 10) : 0;
	return 0;
}

int twin_awssig_v4_parse(const struct twin_req *req, struct twin_sigv4 *a)
{
	const char *auth = twin_req_header(req, "Authorization");
	const char *algo = twin_form_get(&req->query, "X-Amz-Algorithm");
	const char *date;
	int rc;

	memset(a, 0, sizeof(*a));
	if (auth && strncmp(auth, ALGO, strlen(ALGO)) == 0 && auth[strlen(ALGO)] == ' ')
		rc = parse_header(a, auth);
	else if (algo && strcmp(algo, ALGO) == 0)
		rc = parse_query(a, req);
	else
		return -ENOENT;
	if (!rc && (!a->akid[0] || !a->signed_headers[0] || !a->signature[0]))
		rc = -EINVAL;
	date = a->presigned ? twin_form_get(&req->query, "X-Amz-Date") :
	       twin_req_header(req, "X-Amz-Date");
	if (!rc && (!date || strlen(date) != 16 || date[8] != 'T' || date[15] != 'Z'))
		rc = -EINVAL;
	if (!rc)
		memcpy(a->amz_date, date, 17);
	return rc;
}

/* ---- canonical request ---------------------------------------------------- */

/* RFC 3986 dot-segment removal plus duplicate-slash collapse. */
static int normal_path(const char *path, struct sbuf *out)
{
	char *copy = strdup(path), *save = NULL, *seg;
	char **segs;
	size_t n = 0, len = strlen(path);
	bool trailing;
	int rc = 0;

	segs = calloc(len + 1, sizeof(*segs));
	if (!copy || !segs) {
		free(copy);
		free(segs);
		return -ENOMEM;
	}
	trailing = len > 1 && (path[len - 1] == '/' || (len >= 2 && strcmp(path + len - 2, "/.") == 0) ||
			       (len >= 3 && strcmp(path + len - 3, "/..") == 0));
	for (seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (strcmp(seg, ".") == 0)
			continue;
		if (strcmp(seg, "..") == 0) {
			n -= n ? 1 : 0;
			continue;
		}
		segs[n++] = seg;
	}
	for (size_t i = 0; i < n && !rc; i++) {
		rc = sbuf_addc(out, '/');
		if (!rc)
			rc = twin_form_encode(out, segs[i], false);
	}
	if (!rc && (n == 0 || trailing))
		rc = sbuf_addc(out, '/');
	free(copy);
	free(segs);
	return rc;
}

/* Append "name:value,value...\n" for one signed header. */
static int canon_header(const struct twin_req *req, const char *name, size_t nlen,
			struct sbuf *out)
{
	bool found = false;
	int rc = sbuf_add(out, name, nlen);

	if (!rc)
		rc = sbuf_addc(out, ':');
	for (size_t i = 0; i < req->nhdrs && !rc; i++) {
		const char *v = req->hdrs[i].value;
		bool space = false, any = false;

		if (strlen(req->hdrs[i].name) != nlen || strncasecmp(req->hdrs[i].name, name, nlen))
			continue;
		if (found)
			rc = sbuf_addc(out, ',');
		found = true;
		for (; *v && !rc; v++) {
			if (*v == ' ' || *v == '\t' || *v == '\r' || *v == '\n') {
				space = any;
				continue;
			}
			if (space)
				rc = sbuf_addc(out, ' ');
			space = false;
			any = true;
			if (!rc)
				rc = sbuf_addc(out, *v);
		}
	}
	if (!rc && !found)
		return -EINVAL;
	return rc ? rc : sbuf_addc(out, '\n');
}

static int canon_headers(const struct twin_req *req, const char *list, struct sbuf *out)
{
	const char *p = list;
	int rc = 0;

	while (*p && !rc) {
		size_t n = strcspn(p, ";");

		rc = n ? canon_header(req, p, n, out) : -EINVAL;
		p += n;
		if (*p == ';')
			p++;
	}
	return rc;
}

static int canon_query(const struct twin_req *req, bool presigned, bool plus_space,
		       struct sbuf *out)
{
	struct twin_form q = TWIN_FORM_INIT;
	int rc = twin_form_parse(&q, req->raw_query, strlen(req->raw_query),
				 plus_space ? TWIN_FORM_PLUS_SPACE : 0);

	if (!rc)
		rc = twin_form_canonical(out, &q, presigned ? "X-Amz-Signature" : NULL);
	twin_form_release(&q);
	return rc;
}

int twin_awssig_v4_canonical(const struct twin_req *req, const struct twin_sigv4 *a,
			     bool normalize, bool plus_space, struct sbuf *out)
{
	const char *payload = twin_req_header(req, "X-Amz-Content-SHA256");
	char hash[65];
	int rc = sbuf_addf(out, "%s\n", req->method);

	if (!rc)
		rc = normalize ? normal_path(req->path, out) : twin_form_encode(out, req->path, true);
	if (!rc)
		rc = sbuf_addc(out, '\n');
	if (!rc)
		rc = canon_query(req, a->presigned, plus_space, out);
	if (!rc)
		rc = sbuf_addc(out, '\n');
	if (!rc)
		rc = canon_headers(req, a->signed_headers, out);
	if (!payload) {
		twin_crypto_sha256_hex(req->body.buf ? req->body.buf : "", req->body.len, hash);
		payload = hash;
	}
	if (!rc)
		rc = sbuf_addf(out, "\n%s\n%s", a->signed_headers, payload);
	return rc;
}

int twin_awssig_v4_string_to_sign(const struct twin_sigv4 *a, const char *canonical,
				  struct sbuf *out)
{
	char hash[65];

	twin_crypto_sha256_hex(canonical, strlen(canonical), hash);
	return sbuf_addf(out, ALGO "\n%s\n%s/%s/%s/aws4_request\n%s", a->amz_date, a->date,
			 a->region, a->service, hash);
}

static int signing_key(const struct twin_sigv4 *a, const char *secret, unsigned char key[32])
{
	char k0[512];
	int n = snprintf(k0, sizeof(k0), "AWS4%s", secret);

	if (n < 0 || (size_t)n >= sizeof(k0) ||
	    twin_crypto_hmac(TWIN_MD_SHA256, k0, (size_t)n, a->date, strlen(a->date), key) < 0 ||
	    twin_crypto_hmac(TWIN_MD_SHA256, key, 32, a->region, strlen(a->region), key) < 0 ||
	    twin_crypto_hmac(TWIN_MD_SHA256, key, 32, a->service, strlen(a->service), key) < 0 ||
	    twin_crypto_hmac(TWIN_MD_SHA256, key, 32, "aws4_request", 12, key) < 0)
		return -EIO;
	return 0;
}

static int v4_try(const struct twin_req *req, const struct twin_sigv4 *a,
		  const unsigned char key[32], bool plus_space)
{
	struct sbuf canon = SBUF_INIT, sts = SBUF_INIT;
	unsigned char mac[32];
	char hex[65];
	int rc = twin_awssig_v4_canonical(req, a, true, plus_space, &canon);

	if (!rc)
		rc = twin_awssig_v4_string_to_sign(a, sbuf_str(&canon), &sts);
	if (!rc && twin_crypto_hmac(TWIN_MD_SHA256, key, 32, sts.buf, sts.len, mac) < 0)
		rc = -EIO;
	if (!rc) {
		twin_crypto_hex(mac, sizeof(mac), hex);
		rc = twin_crypto_streq(hex, a->signature) ? 0 : -EACCES;
	}
	sbuf_release(&canon);
	sbuf_release(&sts);
	return rc;
}

int twin_awssig_v4_verify(const struct twin_req *req, const struct twin_sigv4 *a,
			  const char *secret)
{
	unsigned char key[32];
	int rc;

	if (signing_key(a, secret, key))
		return -EACCES;
	rc = v4_try(req, a, key, false);
	if (rc && strchr(req->raw_query, '+'))
		rc = v4_try(req, a, key, true);
	return rc ? -EACCES : 0;
}

/* ---- SigV2 ------------------------------------------------------------------ */

static int v2_expected(const struct twin_req *req, const struct twin_form *params,
		       const char *secret, const char *host, enum twin_md md, struct sbuf *out)
{
	struct sbuf sts = SBUF_INIT;
	unsigned char mac[32];
	int n, rc = sbuf_addf(&sts, "%s\n", req->method);

	for (const char *h = host; !rc && *h; h++)
		rc = sbuf_addc(&sts, (char)(*h >= 'A' && *h <= 'Z' ? *h + 32 : *h));
	if (!rc)
		rc = sbuf_addf(&sts, "\n%s\n", req->raw_path);
	if (!rc)
		rc = twin_form_canonical(&sts, params, "Signature");
	n = rc ? -1 : twin_crypto_hmac(md, secret, strlen(secret), sts.buf, sts.len, mac);
	if (n < 0 && !rc)
		rc = -EIO;
	if (!rc)
		rc = twin_crypto_b64(out, mac, (size_t)n);
	sbuf_release(&sts);
	return rc;
}

int twin_awssig_v2_verify(const struct twin_req *req, const struct twin_form *params,
			  const char *secret)
{
	const char *method = twin_form_get(params, "SignatureMethod");
	const char *sig = twin_form_get(params, "Signature");
	const char *host = twin_req_header(req, "Host");
	struct sbuf want = SBUF_INIT;
	enum twin_md md;
	int rc;

	if (!method || !sig || !host)
		return -EINVAL;
	if (strcmp(method, "HmacSHA256") == 0)
		md = TWIN_MD_SHA256;
	else if (strcmp(method, "HmacSHA1") == 0)
		md = TWIN_MD_SHA1;
	else
		return -EINVAL;
	rc = v2_expected(req, params, secret, host, md, &want);
	if (!rc)
		rc = twin_crypto_streq(want.buf, sig) ? 0 : -EACCES;
	sbuf_release(&want);
	return rc;
}
