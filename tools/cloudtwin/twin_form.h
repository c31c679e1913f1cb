/*
 * twin_form.h - application/x-www-form-urlencoded pairs and RFC 3986
 * percent-encoding.
 *
 * The query-style dialects (EC2, ECS) carry every parameter as name=value
 * pairs in the query string, the form body, or both, and their signatures
 * are computed over a canonical re-encoding of the decoded pairs.  So the
 * parser keeps every pair, in the order received, decoded exactly once,
 * and the encoder is the one rule both signatures share (A-Za-z0-9-_.~
 * kept, everything else %XX upper case).
 *
 * Ceilings: at most TWIN_FORM_MAX_PAIRS pairs; the input itself is bounded
 * by the request ceilings.  Not thread-safe; a form belongs to one request.
 */
#ifndef TWIN_FORM_H
#define TWIN_FORM_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "lib/sbuf.h"

#define TWIN_FORM_MAX_PAIRS 4096

struct twin_pair {
	char *name;	/* decoded, owned */
	char *value;	/* decoded, owned; "" when the pair had no '=' */
};

struct twin_form {
	struct twin_pair *pairs;
	size_t n, cap;
};

#define TWIN_FORM_INIT { 0 }

/* Flags for twin_form_parse. */
#define TWIN_FORM_PLUS_SPACE	1u	/* '+' decodes to ' ' (HTML forms) */

/* Append the pairs of s[0..len) ('&'-separated; empty pieces skipped).
 * 0, -EINVAL (a bad %-escape or a NUL byte: nothing is appended), -E2BIG
 * (too many pairs) or -ENOMEM. */
int twin_form_parse(struct twin_form *f, const char *s, size_t len, unsigned flags);
/* Append one pair (copies).  0, -E2BIG or -ENOMEM. */
int twin_form_add(struct twin_form *f, const char *name, const char *value);
/* The first value for name, or NULL.  Borrowed until the form changes. */
const char *twin_form_get(const struct twin_form *f, const char *name);
/* Like twin_form_get, ignoring ASCII case in the name. */
const char *twin_form_get_nocase(const struct twin_form *f, const char *name);
void twin_form_release(struct twin_form *f);

/* Percent-decode s[0..len) into out (NUL-terminated).  0 or -EINVAL (bad
 * escape, or an escape decoding to NUL) / -ENOMEM / -E2BIG. */
int twin_form_decode(struct sbuf *out, const char *s, size_t len, unsigned flags);
/* Append the RFC 3986 encoding of s; with keep_slash '/' stays as is. */
int twin_form_encode(struct sbuf *out, const char *s, bool keep_slash);

/*
 * Append the canonical query: every pair except those named `skip` (may
 * be NULL), encoded with twin_form_encode, sorted by encoded name then
 * encoded value (byte order), joined "name=value" with '&'.  This is
 * SigV2's, SigV4's and Alibaba's canonical form.  0 or -ENOMEM / -E2BIG.
 */
int twin_form_canonical(struct sbuf *out, const struct twin_form *f, const char *skip);

/*
 * Numbered lists, as the Query and RPC APIs flatten them: the values of
 * "<prefix>.1", "<prefix>.2", ... (exactly a number after the prefix), in
 * numeric order, appended to `out` (a JSON array of strings).
 * 0, -EINVAL (an index that is not a positive number below 100000, or a
 * repeated index) or -ENOMEM.
 */
int twin_form_list(const struct twin_form *f, const char *prefix, json_t *out);
/* The indexes N present as "<prefix>.N.<anything>" in numeric order, as
 * a JSON array of integers (new reference), or NULL on -ENOMEM. */
json_t *twin_form_indexes(const struct twin_form *f, const char *prefix);
/* SHA-256 over the sorted pairs whose names are not in `skip` (a
 * NULL-ended list of names; a name ending in '*' skips a prefix): the
 * fingerprint of a request for idempotency checks. */
void twin_form_digest(const struct twin_form *f, const char *const *skip,
		      unsigned char digest[32]);

#endif
