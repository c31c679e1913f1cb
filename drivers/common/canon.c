/*
 * canon.c - canonical query and headers for request signatures; see canon.h.
 *
 * Headers are sorted by lowercase name with their arrival index as
 * tie-break, which keeps repeated headers in the order received.
 */
#include "drivers/common/canon.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/codec.h"
#include "drivers/common/params.h"

struct canon_hdr {
	char *name;	/* lowercase, trimmed */
	char *value;	/* trimmed, maybe collapsed */
	size_t index;
};

static int canon_encoded_pair(struct params *enc, const struct param *p)
{
	struct sbuf n = SBUF_INIT, v = SBUF_INIT;
	int rc;

	rc = codec_pct_encode(&n, p->name, strlen(p->name), false);
	if (rc == 0)
		rc = codec_pct_encode(&v, p->value, strlen(p->value), false);
	if (rc == 0)
		rc = params_add(enc, n.buf, v.buf);
	sbuf_release(&n);
	sbuf_release(&v);
	return rc;
}

int canon_query(const char *query, const char *skip, struct sbuf *out)
{
	struct params raw = PARAMS_INIT, enc = PARAMS_INIT;
	int rc = sbuf_add(out, "", 0);

	if (rc == 0 && query)
		rc = params_parse(&raw, query, strlen(query), false);
	for (size_t i = 0; rc == 0 && i < raw.n; i++) {
		if (!skip || strcmp(raw.v[i].name, skip) != 0)
			rc = canon_encoded_pair(&enc, &raw.v[i]);
	}
	params_sort(&enc);
	for (size_t i = 0; rc == 0 && i < enc.n; i++)
		rc = sbuf_addf(out, "%s%s=%s", i ? "&" : "", enc.v[i].name, enc.v[i].value);
	params_release(&raw);
	params_release(&enc);
	return rc;
}

static char *canon_trimmed_name(const char *name)
{
	size_t len;
	char *s;

	while (isspace((unsigned char)*name))
		name++;
	len = strlen(name);
	while (len && isspace((unsigned char)name[len - 1]))
		len--;
	s = strndup(name, len);
	for (size_t i = 0; s && i < len; i++)
		s[i] = (char)tolower((unsigned char)s[i]);
	return s;
}

/*
 * Trim; with collapse, every run of blanks (folded lines included) becomes
 * one space, else inner blanks are kept as they are.
 */
static char *canon_value(const char *value, bool collapse)
{
	char *s = malloc(strlen(value) + 1), *d = s;
	const char *run = NULL;

	if (!s)
		return NULL;
	for (const char *p = value; *p; p++) {
		if (isspace((unsigned char)*p)) {
			run = run ? run : p;
			continue;
		}
		if (run && d != s) {
			size_t n = collapse ? 1 : (size_t)(p - run);

			memcpy(d, collapse ? " " : run, n);
			d += n;
		}
		run = NULL;
		*d++ = *p;
	}
	*d = '\0';
	return s;
}

static int canon_hdr_cmp(const void *a, const void *b)
{
	const struct canon_hdr *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

/* Is lname one of the ';'-separated names in list? */
static bool canon_in_list(const char *list, const char *lname)
{
	size_t n = strlen(lname);

	for (const char *p = list; *p;) {
		const char *semi = strchr(p, ';');
		size_t len = semi ? (size_t)(semi - p) : strlen(p);

		if (len == n && strncmp(p, lname, n) == 0)
			return true;
		if (!semi)
			break;
		p = semi + 1;
	}
	return false;
}

static void canon_hdrs_free(struct canon_hdr *h, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
}

/* Every name in list must be among the collected headers. */
static int canon_check_listed(const char *list, const struct canon_hdr *h, size_t n)
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++) {
		if (i == 0 || strcmp(h[i].name, h[i - 1].name) != 0)
			count++;
	}
	for (const char *p = list; *p; p++) {
		if (*p == ';')
			count--;
	}
	return count == 1 ? 0 : -EINVAL;	/* distinct names = separators + 1 */
}

static bool canon_selected(const struct canon_headers *spec, const char *lname)
{
	if (spec->list)
		return canon_in_list(spec->list, lname);
	return !spec->pick || spec->pick(lname);
}

static int canon_collect(const struct canon_headers *spec, struct canon_hdr **out, size_t *n)
{
	struct canon_hdr *h;
	size_t k = 0;

	if (spec->n > CANON_MAX_HEADERS)
		return -E2BIG;
	if (spec->n && !spec->headers)
		return -EINVAL;
	h = calloc(spec->n ? spec->n : 1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	for (size_t i = 0; i < spec->n; i++) {
		char *name = canon_trimmed_name(spec->headers[i].name);

		if (name && spec->headers[i].value && canon_selected(spec, name)) {
			h[k] = (struct canon_hdr){ name, canon_value(spec->headers[i].value,
								     spec->collapse), i };
			name = NULL;
			if (!h[k++].value) {
				canon_hdrs_free(h, k);
				return -ENOMEM;
			}
		}
		free(name);
	}
	qsort(h, k, sizeof(*h), canon_hdr_cmp);
	if (k == 0 || (spec->list && canon_check_listed(spec->list, h, k))) {
		canon_hdrs_free(h, k);
		return -EINVAL;
	}
	*out = h;
	*n = k;
	return 0;
}

int canon_headers(const struct canon_headers *spec, struct sbuf *canon, struct sbuf *list)
{
	struct canon_hdr *h = NULL;
	size_t n = 0;
	int rc = canon_collect(spec, &h, &n);

	for (size_t i = 0; rc == 0 && i < n; i++) {
		bool first = i == 0 || strcmp(h[i].name, h[i - 1].name) != 0;
		bool last = i + 1 == n || strcmp(h[i].name, h[i + 1].name) != 0;

		if (first)
			rc = sbuf_addf(canon, "%s:", h[i].name);
		if (rc == 0 && first && list)
			rc = sbuf_addf(list, "%s%s", list->len ? ";" : "", h[i].name);
		if (rc == 0)
			rc = sbuf_addf(canon, "%s%s", first ? "" : ",", h[i].value);
		if (rc == 0 && last)
			rc = sbuf_addc(canon, '\n');
	}
	canon_hdrs_free(h, n);
	return rc;
}


static int canon_auth_one(const char *p, size_t len, const struct canon_auth_field *f, size_t n,
			  unsigned *seen)
{
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(f[i].key);

		if (len <= k + 1 || strncmp(p, f[i].key, k) != 0 || p[k] != '=')
			continue;
		if (len - k - 1 >= f[i].size || (*seen & (1u << i)))
			return -EINVAL;
		memcpy(f[i].dst, p + k + 1, len - k - 1);
		f[i].dst[len - k - 1] = '\0';
		*seen |= 1u << i;
		return 0;
	}
	return -EINVAL;
}

int canon_auth_parse(const char *value, const char *algorithm, const struct canon_auth_field *f,
		     size_t n)
{
	size_t alg = strlen(algorithm);
	unsigned seen = 0;
	const char *p;

	if (!value || n > 8 || strncmp(value, algorithm, alg) != 0 || value[alg] != ' ')
		return -EINVAL;
	for (p = value + alg; *p;) {
		size_t len;

		while (*p == ' ' || *p == ',')
			p++;
		len = strcspn(p, ", ");
		if (len && canon_auth_one(p, len, f, n, &seen))
			return -EINVAL;
		p += len;
	}
	return seen == (1u << n) - 1 ? 0 : -EINVAL;
}
