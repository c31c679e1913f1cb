/*
 * sigv4.h - AWS Signature Version 4, for signing (the aws driver) and for
 * verifying (cloudtwin's EC2 dialect) with the same code.
 *
 * The pieces follow the specification one to one so that each can be
 * checked against the aws-c-auth vectors: canonical request, string to
 * sign, signing key and signature, Authorization header.  A signer lists
 * the headers it will send (host, x-amz-date, content-type, ...) and signs
 * all of them; a verifier passes every header it received together with
 * the SignedHeaders list from the request's Authorization, and the same
 * canonical request comes out.
 *
 * Path rule: the path is percent-encoded once more as given (the vectors
 * give raw paths; a verifier passes the path as it arrived on the wire,
 * which is what botocore and the SDKs sign for every service but S3).
 * Query rule: each name and value is decoded then re-encoded (RFC 3986,
 * '+' is a literal plus), pairs sorted by encoded name then value;
 * X-Amz-Signature is never part of it.
 *
 * Stateless and thread-safe.  Secrets are only read, never copied out.
 */
#ifndef BFS_DRV_SIGV4_H
#define BFS_DRV_SIGV4_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "drivers/common/http.h"
#include "lib/sbuf.h"

#define SIGV4_ALGORITHM "AWS4-HMAC-SHA256"
#define SIGV4_DATE_LEN 17	/* "20150830T123600Z" and the NUL */
#define SIGV4_SIG_LEN 65	/* 64 hex digits and the NUL */

struct sigv4_key {
	const char *access_key_id;
	const char *secret_access_key;
	const char *region;
	const char *service;
};

struct sigv4_request {
	const char *method;
	const char *path;		/* without the query; "" or NULL means "/" */
	const char *query;		/* raw, without '?'; NULL for none */
	const struct http_header *headers; /* in the order sent; repeats allowed */
	size_t nheaders;
	const char *signed_headers;	/* NULL: sign every header given; else the
					 * "a;b;c" list (a verifier's) */
	const char *payload_hash;	/* NULL: hex(SHA256(body)) */
	const void *body;
	size_t body_len;
	bool normalize_path;		/* remove "." and ".." and empty segments first */
};

/* Parsed `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`. */
struct sigv4_auth {
	char access_key_id[128];
	char date[9];			/* yyyymmdd */
	char region[64];
	char service[64];
	char signed_headers[1024];
	char signature[SIGV4_SIG_LEN];
};

/* Unix seconds to "yyyymmddThhmmssZ". */
void sigv4_amz_date(int64_t unix_s, char out[SIGV4_DATE_LEN]);

/*
 * The canonical request, appended to out; when signed_list is not NULL the
 * SignedHeaders value is appended to it too.  -EINVAL when a header named in
 * req->signed_headers is missing or the request is malformed; -ENOMEM, -E2BIG.
 */
int sigv4_canonical_request(const struct sigv4_request *req, struct sbuf *out,
			    struct sbuf *signed_list);

/* "AWS4-HMAC-SHA256\n<amz_date>\n<scope>\n<hex(SHA256(canonical))>" appended to out. */
int sigv4_string_to_sign(const struct sigv4_key *key, const char *amz_date,
			 const char *canonical, struct sbuf *out);

/* Derive the signing key for the date in amz_date and sign sts; lowercase hex into sig. */
int sigv4_signature(const struct sigv4_key *key, const char *amz_date, const char *sts,
		    char sig[SIGV4_SIG_LEN]);

/*
 * Sign a request in one go: the Authorization header value (appended to
 * authorization).  The caller has put x-amz-date (= amz_date), host and
 * whatever else is to be signed into req->headers.  0, -EINVAL, -ENOMEM.
 */
int sigv4_sign(const struct sigv4_request *req, const struct sigv4_key *key,
	       const char *amz_date, struct sbuf *authorization);

/*
 * Presign (query form): append to query_out the request's own raw query
 * followed by X-Amz-Algorithm, -Credential, -Date, -SignedHeaders,
 * -Expires, -Security-Token (when session_token) and -Signature.  The token
 * is part of the signature unless token_unsigned.  The signed headers are
 * req->headers (no x-amz-date header in this form).
 */
int sigv4_presign(const struct sigv4_request *req, const struct sigv4_key *key,
		  const char *amz_date, int expires_s, const char *session_token,
		  bool token_unsigned, struct sbuf *query_out);

/* Parse an Authorization header value.  0 or -EINVAL. */
int sigv4_parse_authorization(const char *value, struct sigv4_auth *out);

/*
 * Verify a received request: req->signed_headers must be auth's list (the
 * caller sets it), amz_date the request's X-Amz-Date.  Compares in constant
 * time.  0 when the signature matches, -EACCES when it does not, -EINVAL
 * when the request cannot be canonicalised (a signed header is missing, the
 * date does not match the credential scope).
 */
int sigv4_verify(const struct sigv4_request *req, const struct sigv4_auth *auth,
		 const char *secret_access_key, const char *amz_date);

#endif
