/*
 * sbuf.h - a growable, NUL-terminated byte buffer with a ceiling.
 *
 * Every buffer that grows from outside input has a limit: appends past
 * `max` fail with -E2BIG and leave the buffer unchanged, so a hostile
 * answer cannot exhaust memory.  A zeroed struct (SBUF_INIT) is an empty
 * buffer with the default ceiling; it owns its memory after the first
 * append and is released with sbuf_release().  Not thread-safe.
 */
#ifndef BFS_SBUF_H
#define BFS_SBUF_H

#include <stdarg.h>
#include <stddef.h>

#define SBUF_DEFAULT_MAX (64u << 20)

struct sbuf {
	char *buf;	/* NUL-terminated when len > 0 or after any append */
	size_t len;
	size_t cap;
	size_t max;	/* 0 means SBUF_DEFAULT_MAX */
};

#define SBUF_INIT { 0 }

/* Make room for `more` bytes plus a NUL.  0 or -ENOMEM / -E2BIG. */
int sbuf_grow(struct sbuf *sb, size_t more);
/* Append bytes.  0 or -ENOMEM / -E2BIG (buffer unchanged). */
int sbuf_add(struct sbuf *sb, const void *data, size_t len);
int sbuf_adds(struct sbuf *sb, const char *s);
int sbuf_addc(struct sbuf *sb, char c);
int sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* The contents as a string; "" for an empty buffer.  Borrowed until the next change. */
const char *sbuf_str(const struct sbuf *sb);
void sbuf_reset(struct sbuf *sb);
/* Give the memory to the caller (caller frees); the buffer becomes empty. */
char *sbuf_detach(struct sbuf *sb, size_t *len);
void sbuf_release(struct sbuf *sb);

#endif
