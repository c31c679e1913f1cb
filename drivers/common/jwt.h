/*
 * jwt.h - RS256 JSON Web Tokens (RFC 7515/7519): the Google service-account
 * assertion (signing) and cloudtwin's token endpoint (verifying).
 *
 * Signing is deterministic (RSASSA-PKCS1-v1_5 with SHA-256), which is what
 * lets RFC 7515 Appendix A.2 serve as a byte-for-byte test.  Output is
 * unpadded base64url; verification accepts padded segments too (libcloud
 * and google-auth pad) and checks the signature over the first two
 * segments exactly as received, never re-encoded.
 *
 * A struct jwt_key is immutable once loaded and may be shared between
 * threads.  It holds a private key, or for verification only a public one.
 */
#ifndef BFS_DRV_JWT_H
#define BFS_DRV_JWT_H

#include <stddef.h>

#include <jansson.h>

#include "lib/sbuf.h"

struct jwt_key;

/*
 * Load a PEM key: a private key (PKCS#8 "PRIVATE KEY", as in Google key
 * files, or PKCS#1 "RSA PRIVATE KEY"), a public key ("PUBLIC KEY") or a
 * certificate.  Must be RSA.  0 and *out (free with jwt_key_free), or
 * -EINVAL.
 */
int jwt_key_load_pem(const char *pem, size_t len, struct jwt_key **out);
void jwt_key_free(struct jwt_key *key);

/*
 * Sign the exact bytes of a header and a payload: appends
 * b64url(header) "." b64url(payload) "." b64url(signature) to out.
 * -EINVAL when key has no private part, -EIO when OpenSSL fails, -ENOMEM.
 */
int jwt_sign_raw(const struct jwt_key *key, const char *header, size_t hlen,
		 const char *payload, size_t plen, struct sbuf *out);

/*
 * A JWT with header {"alg":"RS256","typ":"JWT"[,"kid":kid]} and the claims
 * object (borrowed) serialised compactly, appended to out.
 */
int jwt_sign(const struct jwt_key *key, const char *kid, const json_t *claims,
	     struct sbuf *out);

/*
 * Verify a compact JWT signed RS256 by key.  On success returns 0 and, when
 * asked, new references to the decoded header and claims objects (caller
 * decrefs).  -EACCES when the signature does not verify or alg is not
 * RS256; -EINVAL when the token is malformed.  Claims (exp, aud, ...) are
 * the caller's to check.
 */
int jwt_verify(const struct jwt_key *key, const char *jwt, size_t len, json_t **header,
	       json_t **claims);

#endif
