/*
 * jsonh.h - the two jansson readers every JSON driver repeats.  Header-only.
 */
#ifndef BFS_DRV_JSONH_H
#define BFS_DRV_JSONH_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <jansson.h>

/* o[key] when it is a string, else NULL (borrowed from o; o may be NULL). */
static inline const char *jsonh_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Copy s (NULL: "") into dst, cut to fit: a cloud's long value is truncated, never overflowed. */
static inline void jsonh_copy(char *dst, size_t size, const char *s)
{
	size_t n = s ? strnlen(s, size - 1) : 0;

	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

/*
 * Make a cloud's message one line, in place: control characters (AAD puts
 * "\r\nTrace ID: ..." in its descriptions) become single spaces, so that
 * error and health files keep one value per line.
 */
static inline void jsonh_line(char *s)
{
	char *out = s;
	bool gap = false;

	for (const char *in = s; in && *in; in++) {
		if ((unsigned char)*in < 0x20 || *in == 0x7f) {
			gap = true;
			continue;
		}
		if (gap && out > s && out[-1] != ' ')
			*out++ = ' ';
		gap = false;
		*out++ = *in;
	}
	if (out)
		*out = '\0';
}

#endif
