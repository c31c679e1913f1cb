/*
 * codec.h - byte encodings the signers and drivers need: base64 and
 * base64url (OpenSSL's EVP coder), lowercase hex, RFC 3986 percent-encoding
 * (libcurl's escaper).  Outputs append to a caller-owned struct sbuf, whose
 * ceiling bounds them.  Stateless and thread-safe.
 */
#ifndef BFS_DRV_CODEC_H
#define BFS_DRV_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sbuf.h"

/* Standard base64 with padding.  0, -ENOMEM or -E2BIG. */
int codec_b64_encode(struct sbuf *out, const void *data, size_t len);
/* base64url without padding (RFC 7515 section 2).  0, -ENOMEM or -E2BIG. */
int codec_b64url_encode(struct sbuf *out, const void *data, size_t len);
/*
 * Decode base64 in either alphabet, padded or not (JWTs from some clients
 * are padded).  Appends the bytes to out.  -EINVAL on any other character,
 * misplaced padding or an impossible length; -ENOMEM, -E2BIG.
 */
int codec_b64_decode(struct sbuf *out, const char *s, size_t len);

/* Lowercase hex of len bytes into hex, which has room for 2*len+1. */
void codec_hex(char *hex, const void *data, size_t len);

/*
 * RFC 3986 percent-encoding: A-Z a-z 0-9 - _ . ~ are kept, every other byte
 * becomes %XX (upper case); with keep_slash, '/' is kept too (paths).
 * 0, -ENOMEM, -E2BIG.
 */
int codec_pct_encode(struct sbuf *out, const char *s, size_t len, bool keep_slash);
/*
 * Decode %XX sequences (a '%' not followed by two hex digits is kept as
 * is); with plus_is_space, '+' becomes a space (HTML forms).  0, -ENOMEM,
 * -E2BIG.
 */
int codec_pct_decode(struct sbuf *out, const char *s, size_t len, bool plus_is_space);

#endif
