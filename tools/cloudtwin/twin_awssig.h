/*
 * twin_awssig.h - verifying EC2 request signatures on the server side.
 *
 * SigV4 is drivers/common/sigv4.c's: this module only finds the
 * signature in a request (Authorization header or presigned query) and
 * hands sigv4_verify() the request as received: every header, the
 * SignedHeaders list the client sent (awscli, the JS SDK and libcloud each
 * sign different headers), x-amz-content-sha256 when present or else the
 * body's hash.  A query whose '+' may mean a space is tried both ways,
 * because libcloud signs %20 but sends '+'.
 *
 * SigV2 (HmacSHA256 or HmacSHA1 over Method, Host, path and the sorted
 * parameters) is here, for libcloud's default in us-east-1.
 *
 * Thread-safe (no state).  Secrets are only read.
 */
#ifndef TWIN_AWSSIG_H
#define TWIN_AWSSIG_H

#include <stdbool.h>

#include "drivers/common/params.h"
#include "drivers/common/sigv4.h"
#include "tools/cloudtwin/twin_req.h"

struct twin_sigv4 {
	struct sigv4_auth auth;		/* key id, scope, signed headers, signature */
	char amz_date[SIGV4_DATE_LEN];	/* yyyymmddThhmmssZ */
	long expires;			/* presigned: X-Amz-Expires, else 0 */
	bool presigned;
};

/* Find SigV4 in the Authorization header or the presigned query.
 * 0, -ENOENT (the request carries no SigV4) or -EINVAL (malformed). */
int twin_awssig_v4_parse(const struct twin_req *req, struct twin_sigv4 *a);
/* Verify with the secret.  0 (good), -EACCES (does not match or cannot
 * be canonicalised: a signed header missing, the scope date wrong). */
int twin_awssig_v4_verify(const struct twin_req *req, const struct twin_sigv4 *a,
			  const char *secret);
/* SigV2 over the merged parameters.  0, -EACCES (mismatch) or -EINVAL
 * (malformed or an unsupported SignatureMethod). */
int twin_awssig_v2_verify(const struct twin_req *req, const struct params *p, const char *secret);

#endif
