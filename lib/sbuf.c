/*
 * sbuf.c - growable byte buffer with a ceiling; see sbuf.h.
 */
#include "lib/sbuf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t sbuf_max(const struct sbuf *sb)
{
	return sb->max ? sb->max : SBUF_DEFAULT_MAX;
}

int sbuf_grow(struct sbuf *sb, size_t more)
{
	size_t need, cap;
	char *p;

	if (more > sbuf_max(sb) || sb->len > sbuf_max(sb) - more)
		return -E2BIG;
	need = sb->len + more + 1;
	if (need <= sb->cap)
		return 0;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(sb->buf, cap);
	if (!p)
		return -ENOMEM;
	sb->buf = p;
	sb->cap = cap;
	return 0;
}

int sbuf_add(struct sbuf *sb, const void *data, size_t len)
{
	int rc = sbuf_grow(sb, len);

	if (rc)
		return rc;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
	return 0;
}

int sbuf_adds(struct sbuf *sb, const char *s)
{
	return sbuf_add(sb, s, strlen(s));
}

int sbuf_addc(struct sbuf *sb, char c)
{
	return sbuf_add(sb, &c, 1);
}

int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n, rc;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -EINVAL;
	rc = sbuf_grow(sb, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

const char *sbuf_str(const struct sbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

char *sbuf_detach(struct sbuf *sb, size_t *len)
{
	char *p = sb->buf;

	if (len)
		*len = sb->len;
	if (!p)
		p = calloc(1, 1);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
	return p;
}

void sbuf_release(struct sbuf *sb)
{
	free(sb->buf);
	sb->buf = NULL;
	sb->len = sb->cap = 0;
}
