/*
 * twin_params.h - what the Query and RPC dialects (EC2, ECS) need on top
 * of drivers/common's struct params: numbered lists ("InstanceId.1",
 * "Filter.2.Value.1"), a request fingerprint for idempotency, the sorted
 * encoded form signatures hash, and a strict check of %-escapes (the
 * parser itself is lenient; EC2 answers MalformedQueryString).
 * Stateless; not thread-safe on a shared list.
 */
#ifndef TWIN_PARAMS_H
#define TWIN_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "drivers/common/params.h"
#include "lib/sbuf.h"

/*
 * The values of "<prefix>.1", "<prefix>.2", ... (exactly a number after
 * the prefix), in numeric order, appended to out (a JSON array of
 * strings).  0, -EINVAL (an index that is not a positive number below
 * 100000, or a repeated index) or -ENOMEM.
 */
int twin_params_list(const struct params *p, const char *prefix, json_t *out);
/* The indexes N present as "<prefix>.N.<anything>", in numeric order, as a
 * JSON array of integers (new reference), or NULL on -ENOMEM. */
json_t *twin_params_indexes(const struct params *p, const char *prefix);
/* SHA-256 over the sorted pairs whose names are not in skip (NULL-ended;
 * a name ending in '*' skips a prefix): a request's fingerprint. */
void twin_params_digest(const struct params *p, const char *const *skip,
			unsigned char digest[32]);
/* Append the pairs except those named skip (may be NULL), sorted by name
 * then value and RFC 3986 encoded ("a=1&b=2"). 0, -ENOMEM, -E2BIG. */
int twin_params_canonical(const struct params *p, const char *skip, struct sbuf *out);
/* True when every '%' in s[0..len) starts a %XX escape that is not %00. */
bool twin_params_wellformed(const char *s, size_t len);

#endif
