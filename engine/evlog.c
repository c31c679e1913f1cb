/*
 * evlog.c - bounded in-memory line log; see evlog.h.
 */
#include "engine/evlog.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"

struct evlog {
	pthread_mutex_t lock;	/* guards everything below */
	char *buf;
	size_t len;
	size_t cap;
	uint64_t seq;
};

struct evlog *evlog_new(size_t cap)
{
	struct evlog *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->cap = cap < 4096 ? 4096 : cap;
	l->buf = malloc(l->cap);
	if (!l->buf) {
		free(l);
		return NULL;
	}
	pthread_mutex_init(&l->lock, NULL);
	return l;
}

void evlog_free(struct evlog *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->lock);
	free(l->buf);
	free(l);
}

/* Drop the oldest half of the window, cut after a newline.  Lock held. */
static void evlog_drop_half(struct evlog *l)
{
	const char *nl = memchr(l->buf + l->len / 2, '\n', l->len - l->len / 2);
	size_t cut = nl ? (size_t)(nl - l->buf) + 1 : l->len;

	memmove(l->buf, l->buf + cut, l->len - cut);
	l->len -= cut;
}

void evlog_add_raw(struct evlog *l, const char *line, size_t len)
{
	if (len >= l->cap / 2)
		len = l->cap / 2 - 1;
	pthread_mutex_lock(&l->lock);
	while (l->len + len > l->cap)
		evlog_drop_half(l);
	memcpy(l->buf + l->len, line, len);
	l->len += len;
	l->seq += len;
	pthread_mutex_unlock(&l->lock);
}

void evlog_add(struct evlog *l, const char *line)
{
	struct sbuf sb = SBUF_INIT;
	char ts[40];

	sb.max = l->cap / 2;
	sbuf_addf(&sb, "%s %s", clock_rfc3339(clock_wall_ms(), 1, ts, sizeof(ts)), line);
	for (size_t i = 0; i < sb.len; i++) {
		if (sb.buf[i] == '\n' || sb.buf[i] == '\r')
			sb.buf[i] = ' ';
	}
	sbuf_addc(&sb, '\n');
	if (sb.len)
		evlog_add_raw(l, sb.buf, sb.len);
	sbuf_release(&sb);
}

void evlog_addf(struct evlog *l, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	evlog_add(l, sbuf_str(&sb));
	sbuf_release(&sb);
}

size_t evlog_size(struct evlog *l)
{
	size_t n;

	pthread_mutex_lock(&l->lock);
	n = l->len;
	pthread_mutex_unlock(&l->lock);
	return n;
}

uint64_t evlog_seq(struct evlog *l)
{
	uint64_t s;

	pthread_mutex_lock(&l->lock);
	s = l->seq;
	pthread_mutex_unlock(&l->lock);
	return s;
}

void evlog_read(struct evlog *l, off_t off, size_t size, struct sbuf *out)
{
	pthread_mutex_lock(&l->lock);
	if (off >= 0 && (size_t)off < l->len) {
		if (size > l->len - (size_t)off)
			size = l->len - (size_t)off;
		sbuf_add(out, l->buf + off, size);
	}
	pthread_mutex_unlock(&l->lock);
}

void evlog_grep(struct evlog *l, const char *needle, struct sbuf *out)
{
	size_t pos = 0, nlen = strlen(needle);

	pthread_mutex_lock(&l->lock);
	while (pos < l->len) {
		const char *s = l->buf + pos;
		const char *nl = memchr(s, '\n', l->len - pos);
		size_t n = nl ? (size_t)(nl - s) + 1 : l->len - pos;

		if (memmem(s, n, needle, nlen))
			sbuf_add(out, s, n);
		pos += n;
	}
	pthread_mutex_unlock(&l->lock);
}
