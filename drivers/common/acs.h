/*
 * acs.h - Alibaba Cloud API signatures, for the alibaba driver (signing)
 * and cloudtwin's ECS dialect (verifying) alike.
 *
 * V2 (RPC, HMAC-SHA1): the parameters, sorted by name and RFC 3986
 * encoded, form CanonicalizedQuery; StringToSign is
 * Method&%2F&percentEncode(CanonicalizedQuery); the signature is
 * base64(HMAC-SHA1(secret + "&", StringToSign)) and travels as the
 * Signature parameter.
 *
 * V3 (ACS3-HMAC-SHA256): a canonical request like SigV4's (method, "/",
 * canonical query, host + content-type + x-acs-* headers, signed list,
 * hex SHA-256 of the body); StringToSign is "ACS3-HMAC-SHA256\n" +
 * hex(SHA256(canonical request)); the signature is
 * hex(HMAC-SHA256(secret, StringToSign)) in the Authorization header.
 *
 * Stateless and thread-safe.  Secrets are only read.
 */
#ifndef BFS_DRV_ACS_H
#define BFS_DRV_ACS_H

#include <stdbool.h>
#include <stddef.h>

#include "drivers/common/http.h"
#include "drivers/common/params.h"
#include "lib/sbuf.h"

#define ACS_V3_ALGORITHM "ACS3-HMAC-SHA256"
#define ACS_V3_SIG_LEN 65

/*
 * V2 StringToSign of method and the parameters (a Signature parameter, if
 * present, is left out), appended to out.  0, -EINVAL, -ENOMEM, -E2BIG.
 */
int acs_v2_string_to_sign(const char *method, const struct params *p, struct sbuf *out);
/* base64(HMAC-SHA1(secret + "&", sts)) appended to out. */
int acs_v2_signature(const char *secret, const char *sts, struct sbuf *out);
/* Compute the signature over p and append it to p as "Signature". */
int acs_v2_sign(const char *method, struct params *p, const char *secret);
/*
 * Check p's "Signature" (constant-time).  0 when it matches, -EACCES when
 * it does not, -EINVAL when there is none.
 */
int acs_v2_verify(const char *method, const struct params *p, const char *secret);

struct acs_v3_request {
	const char *method;
	const char *query;			/* raw, without '?'; NULL for none */
	const struct http_header *headers;	/* as sent or received */
	size_t nheaders;
	const char *signed_headers;	/* NULL: host, content-type and every x-acs-* */
	const void *body;
	size_t body_len;
};

struct acs_v3_auth {
	char access_key_id[128];
	char signed_headers[1024];
	char signature[ACS_V3_SIG_LEN];
};

/* The canonical request (path is always "/"); the signed list into list when not NULL. */
int acs_v3_canonical_request(const struct acs_v3_request *req, struct sbuf *out,
			     struct sbuf *list);
/* "ACS3-HMAC-SHA256\n" + hex(SHA256(canonical)) appended to out. */
int acs_v3_string_to_sign(const char *canonical, struct sbuf *out);
/* hex(HMAC-SHA256(secret, sts)) into sig. */
int acs_v3_signature(const char *secret, const char *sts, char sig[ACS_V3_SIG_LEN]);
/* The Authorization header value for req, appended to authorization. */
int acs_v3_sign(const struct acs_v3_request *req, const char *access_key_id,
		const char *secret, struct sbuf *authorization);
/* Parse "ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..".  0 or -EINVAL. */
int acs_v3_parse_authorization(const char *value, struct acs_v3_auth *out);
/* Verify req against auth's list and signature: 0, -EACCES, -EINVAL. */
int acs_v3_verify(const struct acs_v3_request *req, const struct acs_v3_auth *auth,
		  const char *secret);

#endif
