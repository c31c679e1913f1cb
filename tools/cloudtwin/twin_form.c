/*
 * twin_form.c - urlencoded pairs and RFC 3986 encoding; see twin_form.h.
 */
#include "tools/cloudtwin/twin_form.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/cloudtwin/twin_crypto.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int twin_form_decode(struct sbuf *out, const char *s, size_t len, unsigned flags)
{
	size_t i;
	int rc;

	rc = sbuf_grow(out, len);
	if (rc)
		return rc;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < len ? hexval(s[i + 2]) : -1;

			/* A missing digit, a non-hex digit or %00 is malformed. */
			if (hi < 0 || lo < 0 || (hi | lo) == 0)
				return -EINVAL;
			c = (char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && (flags & TWIN_FORM_PLUS_SPACE)) {
			c = ' ';
		} else if (c == '\0') {
			return -EINVAL;
		}
		out->buf[out->len++] = c;
	}
	out->buf[out->len] = '\0';
	return 0;
}

static int form_push(struct twin_form *f, char *name, char *value)
{
	if (f->n >= TWIN_FORM_MAX_PAIRS)
		return -E2BIG;
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 16;
		struct twin_pair *p = realloc(f->pairs, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		f->pairs = p;
		f->cap = cap;
	}
	f->pairs[f->n].name = name;
	f->pairs[f->n].value = value;
	f->n++;
	return 0;
}

int twin_form_add(struct twin_form *f, const char *name, const char *value)
{
	char *n = strdup(name), *v = strdup(value);
	int rc = -ENOMEM;

	if (n && v)
		rc = form_push(f, n, v);
	if (rc) {
		free(n);
		free(v);
	}
	return rc;
}

/* Decode one "name[=value]" piece into a new pair. */
static int form_piece(struct twin_form *f, const char *p, size_t len, unsigned flags)
{
	const char *eq = memchr(p, '=', len);
	size_t nlen = eq ? (size_t)(eq - p) : len;
	struct sbuf name = SBUF_INIT, value = SBUF_INIT;
	char *n, *v;
	int rc;

	rc = twin_form_decode(&name, p, nlen, flags);
	if (!rc && eq)
		rc = twin_form_decode(&value, eq + 1, len - nlen - 1, flags);
	if (rc) {
		sbuf_release(&name);
		sbuf_release(&value);
		return rc;
	}
	n = sbuf_detach(&name, NULL);
	v = sbuf_detach(&value, NULL);
	rc = n && v ? form_push(f, n, v) : -ENOMEM;
	if (rc) {
		free(n);
		free(v);
	}
	return rc;
}

int twin_form_parse(struct twin_form *f, const char *s, size_t len, unsigned flags)
{
	size_t start = f->n, i = 0;
	int rc = 0;

	while (i < len) {
		const char *amp = memchr(s + i, '&', len - i);
		size_t plen = amp ? (size_t)(amp - (s + i)) : len - i;

		if (plen) {
			rc = form_piece(f, s + i, plen, flags);
			if (rc)
				break;
		}
		i += plen + 1;
	}
	if (!rc)
		return 0;
	while (f->n > start) {
		f->n--;
		free(f->pairs[f->n].name);
		free(f->pairs[f->n].value);
	}
	return rc;
}

const char *twin_form_get(const struct twin_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->pairs[i].name, name) == 0)
			return f->pairs[i].value;
	}
	return NULL;
}

const char *twin_form_get_nocase(const struct twin_form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcasecmp(f->pairs[i].name, name) == 0)
			return f->pairs[i].value;
	}
	return NULL;
}

void twin_form_release(struct twin_form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->pairs[i].name);
		free(f->pairs[i].value);
	}
	free(f->pairs);
	memset(f, 0, sizeof(*f));
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '~';
}

int twin_form_encode(struct sbuf *out, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
		char esc[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		if (unreserved(*p) || (keep_slash && *p == '/'))
			rc = sbuf_addc(out, (char)*p);
		else
			rc = sbuf_add(out, esc, 3);
	}
	return rc;
}

struct enc_pair {
	char *name;
	char *value;
};

static int enc_cmp(const void *a, const void *b)
{
	const struct enc_pair *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	return c ? c : strcmp(x->value, y->value);
}

static char *encode_dup(const char *s)
{
	struct sbuf sb = SBUF_INIT;

	if (twin_form_encode(&sb, s, false)) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb, NULL);
}

int twin_form_canonical(struct sbuf *out, const struct twin_form *f, const char *skip)
{
	struct enc_pair *v = calloc(f->n ? f->n : 1, sizeof(*v));
	size_t n = 0, i;
	int rc = 0;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < f->n && !rc; i++) {
		if (skip && strcmp(f->pairs[i].name, skip) == 0)
			continue;
		v[n].name = encode_dup(f->pairs[i].name);
		v[n].value = encode_dup(f->pairs[i].value);
		rc = v[n].name && v[n].value ? 0 : -ENOMEM;
		n++;
	}
	if (!rc)
		qsort(v, n, sizeof(*v), enc_cmp);
	for (i = 0; i < n && !rc; i++)
		rc = sbuf_addf(out, "%s%s=%s", i ? "&" : "", v[i].name, v[i].value);
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
	return rc;
}

/* The number after "<prefix>." in name, or -1.  *rest gets what follows. */
static long list_index(const char *name, const char *prefix, const char **rest)
{
	size_t plen = strlen(prefix);
	long n = 0;
	const char *p;

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

int twin_form_list(const struct twin_form *f, const char *prefix, json_t *out)
{
	struct indexed *v = calloc(f->n ? f->n : 1, sizeof(*v));
	size_t n = 0;
	int rc = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < f->n && !rc; i++) {
		const char *rest = NULL;
		long k = list_index(f->pairs[i].name, prefix, &rest);

		if (k == -2)
			rc = -EINVAL;
		if (k <= 0 || *rest)
			continue;
		v[n].n = k;
		v[n++].value = f->pairs[i].value;
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

json_t *twin_form_indexes(const struct twin_form *f, const char *prefix)
{
	json_t *seen = json_object(), *out = json_array();
	struct indexed *v = calloc(f->n ? f->n : 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; seen && out && v && i < f->n; i++) {
		const char *rest = NULL;
		long k = list_index(f->pairs[i].name, prefix, &rest);
		char key[24];

		if (k <= 0 || *rest != '.')
			continue;
		snprintf(key, sizeof(key), "%ld", k);
		if (json_object_get(seen, key))
			continue;
		json_object_set_new(seen, key, json_true());
		v[n++].n = k;
	}
	if (seen && out && v) {
		qsort(v, n, sizeof(*v), indexed_cmp);
		for (size_t i = 0; i < n; i++)
			json_array_append_new(out, json_integer(v[i].n));
	} else {
		json_decref(out);
		out = NULL;
	}
	json_decref(seen);
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

void twin_form_digest(const struct twin_form *f, const char *const *skip,
		      unsigned char digest[32])
{
	struct twin_form kept = TWIN_FORM_INIT;
	struct sbuf canon = SBUF_INIT;

	for (size_t i = 0; i < f->n; i++) {
		if (!skipped(f->pairs[i].name, skip))
			twin_form_add(&kept, f->pairs[i].name, f->pairs[i].value);
	}
	twin_form_canonical(&canon, &kept, NULL);
	twin_crypto_sha256(sbuf_str(&canon), canon.len, digest);
	sbuf_release(&canon);
	twin_form_release(&kept);
}
