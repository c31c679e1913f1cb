/*
 * params.h - an ordered list of name/value parameters: what the RPC-style
 * clouds (EC2 Query, Alibaba ECS) send as a query or form, and what their
 * signers canonicalise.  Names repeat freely; order is kept until sorted.
 *
 * The list owns copies of its strings.  A zeroed struct (PARAMS_INIT) is
 * empty; release it with params_release().  Not thread-safe.
 */
#ifndef BFS_DRV_PARAMS_H
#define BFS_DRV_PARAMS_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sbuf.h"

/* At most this many parameters (a ceiling for parsed input). */
#define PARAMS_MAX 4096

struct param {
	char *name;
	char *value;
};

struct params {
	struct param *v;
	size_t n;
	size_t cap;
};

#define PARAMS_INIT { 0 }

/* Append a copy of name=value.  0, -ENOMEM, -E2BIG (over PARAMS_MAX). */
int params_add(struct params *p, const char *name, const char *value);
int params_addf(struct params *p, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The first value of name, borrowed; NULL when absent. */
const char *params_get(const struct params *p, const char *name);
/* Sort by name, then value, comparing bytes (stable for equal pairs). */
void params_sort(struct params *p);
/*
 * Append "name=value&..." to out, each name and value RFC 3986
 * percent-encoded (codec_pct_encode).  0, -ENOMEM, -E2BIG.
 */
int params_encode(const struct params *p, struct sbuf *out);
/*
 * Parse a raw query or form body ("a=1&b=%20&c") appending decoded pairs
 * ("c" alone gives value "").  Empty pieces are skipped.  With
 * plus_is_space '+' decodes to a space (forms).  0, -ENOMEM, -E2BIG.
 */
int params_parse(struct params *p, const char *s, size_t len, bool plus_is_space);
void params_release(struct params *p);

#endif
