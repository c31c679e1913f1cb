/*
 * twin_awssig.h - verifying AWS Signature Version 4 and 2 on the server
 * side, as EC2 does.
 *
 * The verifier signs what the request says it signed: the header list
 * comes from the request's SignedHeaders, never a fixed set (awscli,
 * the JS SDK and libcloud each sign different headers), the payload hash
 * from x-amz-content-sha256 when present or the body otherwise.  A query
 * whose '+' may mean a space is tried both ways, because clients encode
 * the query they send and the query they sign differently.
 *
 * Thread-safe (no state).  Secrets are never logged or copied beyond the
 * call.
 */
#ifndef TWIN_AWSSIG_H
#define TWIN_AWSSIG_H

#include <stdbool.h>

#include "lib/sbuf.h"
#include "tools/cloudtwin/twin_form.h"
#include "tools/cloudtwin/twin_req.h"

struct twin_sigv4 {
	char akid[128];
	char date[9];		/* yyyymmdd of the scope */
	char region[64];
	char service[64];
	char signed_headers[1024];
	char signature[65];
	char amz_date[17];	/* yyyymmddThhmmssZ */
	long expires;		/* presigned: X-Amz-Expires, else 0 */
	bool presigned;
};

/* Find SigV4 in the Authorization header or the presigned query.
 * 0, -ENOENT (the request carries no SigV4) or -EINVAL (malformed). */
int twin_awssig_v4_parse(const struct twin_req *req, struct twin_sigv4 *a);
/* The canonical request (exposed for the test vectors).  `normalize`
 * removes dot segments and duplicate slashes from the path;
 * `plus_space` decodes '+' in the query as a space.  0 or -EINVAL (a
 * signed header is missing) / -ENOMEM. */
int twin_awssig_v4_canonical(const struct twin_req *req, const struct twin_sigv4 *a,
			     bool normalize, bool plus_space, struct sbuf *out);
/* The string to sign for a canonical request. */
int twin_awssig_v4_string_to_sign(const struct twin_sigv4 *a, const char *canonical,
				  struct sbuf *out);
/* Verify with the secret.  0 (good), -EACCES (signature does not match). */
int twin_awssig_v4_verify(const struct twin_req *req, const struct twin_sigv4 *a,
			  const char *secret);

/* SigV2 (HmacSHA256 or HmacSHA1) over the merged parameters `params`.
 * 0, -EACCES (mismatch) or -EINVAL (malformed or unsupported method). */
int twin_awssig_v2_verify(const struct twin_req *req, const struct twin_form *params,
			  const char *secret);

#endif
