/*
 * twin_params.c - numbered lists, fingerprints and canonical forms over
 * struct params; see twin_params.h.
 */
#include "tools/cloudtwin/twin_params.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/hash.h"

/* The number after "<prefix>." in name (-1: no, -2: malformed); *rest
 * gets what follows it. */
static long list_index(const char *name, const char *prefix, const char **rest)
{
	size_t plen = strlen(prefix);
	const char *p;
	long n = 0;

	if (strncmp(name, prefix, plen) != 0 || name[plen] != '.')
		return -1;
	p = name + plen + 1;
	if (*p < '1' || *p > '9')
		return *p == '0' ? -2 : -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (n >= 100000)
			return -2;
	}
	*rest = p;
	return n;
}

struct indexed {
	long n;
	const char *value;
};

static int indexed_cmp(const void *a, const void *b)
{
	const struct indexed *x = a, *y = b;

	return (x->n > y->n) - (x->n < y->n);
}

int twin_params_list(const struct params *p, const char *prefix, json_t *out)
{
	struct indexed *v = calloc(p->n ? p->n : 1, sizeof(*v));
	size_t n = 0;
	int rc = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < p->n && !rc; i++) {
		const char *rest = NULL;
		long k = list_index(p->v[i].name, prefix, &rest);

		if (k == -2)
			rc = -EINVAL;
		if (k <= 0 || *rest)
			continue;
		v[n].n = k;
		v[n++].value = p->v[i].value;
	}
	qsort(v, n, sizeof(*v), indexed_cmp);
	for (size_t i = 0; i < n && !rc; i++) {
		if (i && v[i].n == v[i - 1].n)
			rc = -EINVAL;
		else if (json_array_append_new(out, json_string(v[i].value)))
			rc = -ENOMEM;
	}
	free(v);
	return rc;
}

json_t *twin_params_indexes(const struct params *p, const char *prefix)
{
	struct indexed *v = calloc(p->n ? p->n : 1, sizeof(*v));
	json_t *out = json_array();
	size_t n = 0;

	if (!v || !out) {
		free(v);
		json_decref(out);
		return NULL;
	}
	for (size_t i = 0; i < p->n; i++) {
		const char *rest = NULL;
		long k = list_index(p->v[i].name, prefix, &rest);

		if (k > 0 && *rest == '.')
			v[n++].n = k;
	}
	qsort(v, n, sizeof(*v), indexed_cmp);
	for (size_t i = 0; i < n; i++) {
		if (!i || v[i].n != v[i - 1].n)
			json_array_append_new(out, json_integer(v[i].n));
	}
	free(v);
	return out;
}

static bool skipped(const char *name, const char *const *skip)
{
	for (; skip && *skip; skip++) {
		size_t n = strlen(*skip);

		if (n && (*skip)[n - 1] == '*' ? strncmp(name, *skip, n - 1) == 0 :
		    strcmp(name, *skip) == 0)
			return true;
	}
	return false;
}

/* A sorted copy of p without the skipped names; 0 or -ENOMEM/-E2BIG. */
static int sorted_copy(const struct params *p, const char *const *skip, struct params *out)
{
	int rc = 0;

	for (size_t i = 0; i < p->n && !rc; i++) {
		if (!skipped(p->v[i].name, skip))
			rc = params_add(out, p->v[i].name, p->v[i].value);
	}
	params_sort(out);
	return rc;
}

void twin_params_digest(const struct params *p, const char *const *skip,
			unsigned char digest[32])
{
	struct params kept = PARAMS_INIT;
	struct sbuf canon = SBUF_INIT;

	/* On -ENOMEM the digest covers what was kept: never a false match
	 * with an honest request, which is all idempotency needs. */
	sorted_copy(p, skip, &kept);
	params_encode(&kept, &canon);
	hash_sha256(sbuf_str(&canon), canon.len, digest);
	sbuf_release(&canon);
	params_release(&kept);
}

int twin_params_canonical(const struct params *p, const char *skip, struct sbuf *out)
{
	const char *const list[] = { skip, NULL };
	struct params kept = PARAMS_INIT;
	int rc = sorted_copy(p, skip ? list : NULL, &kept);

	if (!rc)
		rc = params_encode(&kept, out);
	params_release(&kept);
	return rc;
}

bool twin_params_wellformed(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (s[i] != '%')
			continue;
		if (i + 2 >= len)
			return false;
		if (!isxdigit((unsigned char)s[i + 1]) || !isxdigit((unsigned char)s[i + 2]) ||
		    (s[i + 1] == '0' && s[i + 2] == '0'))
			return false;
		i += 2;
	}
	return true;
}
