/*
 * params.c - ordered name/value lists; see params.h.
 */
#include "drivers/common/params.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/codec.h"

static int params_push(struct params *p, char *name, char *value)
{
	struct param *v;
	size_t cap;

	if (p->n >= PARAMS_MAX)
		return -E2BIG;
	if (p->n == p->cap) {
		cap = p->cap ? 2 * p->cap : 16;
		v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n].name = name;
	p->v[p->n].value = value;
	p->n++;
	return 0;
}

int params_add(struct params *p, const char *name, const char *value)
{
	char *n = strdup(name), *v = strdup(value ? value : "");
	int rc = (n && v) ? params_push(p, n, v) : -ENOMEM;

	if (rc) {
		free(n);
		free(v);
	}
	return rc;
}

int params_addf(struct params *p, const char *name, const char *fmt, ...)
{
	struct sbuf v = SBUF_INIT;
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sbuf_vaddf(&v, fmt, ap);
	va_end(ap);
	if (rc == 0)
		rc = params_add(p, name, sbuf_str(&v));
	sbuf_release(&v);
	return rc;
}

const char *params_get(const struct params *p, const char *name)
{
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	}
	return NULL;
}

static int params_cmp(const void *a, const void *b)
{
	const struct param *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

void params_sort(struct params *p)
{
	if (p->n > 1)
		qsort(p->v, p->n, sizeof(*p->v), params_cmp);
}

int params_encode(const struct params *p, struct sbuf *out)
{
	int rc = sbuf_add(out, "", 0);

	for (size_t i = 0; rc == 0 && i < p->n; i++) {
		if (i)
			rc = sbuf_addc(out, '&');
		if (rc == 0)
			rc = codec_pct_encode(out, p->v[i].name, strlen(p->v[i].name), false);
		if (rc == 0)
			rc = sbuf_addc(out, '=');
		if (rc == 0)
			rc = codec_pct_encode(out, p->v[i].value, strlen(p->v[i].value), false);
	}
	return rc;
}

static int params_parse_one(struct params *p, const char *s, size_t len, bool plus)
{
	const char *eq = memchr(s, '=', len);
	size_t nlen = eq ? (size_t)(eq - s) : len;
	struct sbuf n = SBUF_INIT, v = SBUF_INIT;
	int rc;

	rc = codec_pct_decode(&n, s, nlen, plus);
	if (rc == 0)
		rc = eq ? codec_pct_decode(&v, eq + 1, len - nlen - 1, plus) : sbuf_add(&v, "", 0);
	if (rc == 0)
		rc = params_push(p, n.buf, v.buf);
	if (rc) {
		sbuf_release(&n);
		sbuf_release(&v);
	}
	return rc;
}

int params_parse(struct params *p, const char *s, size_t len, bool plus_is_space)
{
	size_t start = 0;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i <= len; i++) {
		if (i < len && s[i] != '&')
			continue;
		if (i > start)
			rc = params_parse_one(p, s + start, i - start, plus_is_space);
		start = i + 1;
	}
	return rc;
}

void params_release(struct params *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->v[i].name);
		free(p->v[i].value);
	}
	free(p->v);
	p->v = NULL;
	p->n = p->cap = 0;
}
