/*
 * canon.h - the canonical query and canonical headers that request
 * signatures hash: SigV4 (sigv4.c) and Alibaba ACS3 (acs.c) share them.
 *
 * Query: each name and value decoded, re-encoded RFC 3986 style (a '+' is
 * a literal plus), pairs sorted by encoded name then value, joined with
 * '&'; a name without '=' gets an empty value ("name=").
 * Headers: "lowercase-name:value\n" per distinct name, sorted by name;
 * repeated headers joined with ',' in the order received; values trimmed
 * (and with `collapse`, inner runs of blanks and folded lines become one
 * space, as SigV4 wants).  Stateless and thread-safe.
 */
#ifndef BFS_DRV_CANON_H
#define BFS_DRV_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include "drivers/common/http.h"
#include "lib/sbuf.h"

#define CANON_MAX_HEADERS 256

struct canon_headers {
	const struct http_header *headers;	/* as sent or received; repeats allowed */
	size_t n;
	const char *list;	/* "a;b;c": exactly these (all must be present); NULL: see pick */
	bool (*pick)(const char *lname);	/* with list NULL: which to sign (NULL: all) */
	bool collapse;		/* collapse inner blanks (SigV4) or only trim (ACS3) */
};

/*
 * Append the canonical query of raw (without '?'; NULL is empty) to out,
 * leaving out parameters named skip (NULL: none).  0, -ENOMEM, -E2BIG.
 */
int canon_query(const char *raw, const char *skip, struct sbuf *out);

/*
 * Append the canonical header lines to canon and, when list_out is not NULL,
 * the ';'-joined names to list_out.  -EINVAL when a listed header is
 * absent or nothing is selected; -E2BIG over CANON_MAX_HEADERS; -ENOMEM.
 */
int canon_headers(const struct canon_headers *spec, struct sbuf *canon, struct sbuf *list_out);

/* One "Key=value" field of an Authorization header, copied into dst. */
struct canon_auth_field {
	const char *key;	/* "Credential", "SignedHeaders", "Signature" */
	char *dst;
	size_t size;
};

/*
 * Parse "<algorithm> K1=v1, K2=v2, ..." (commas, optional blanks): every
 * field must be one of f[0..n), each must appear, values must be non-empty
 * and fit.  0 or -EINVAL.
 */
int canon_auth_parse(const char *value, const char *algorithm, const struct canon_auth_field *f,
		     size_t n);

#endif
