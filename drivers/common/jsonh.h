/*
 * jsonh.h - the two jansson readers every JSON driver repeats.  Header-only.
 */
#ifndef BFS_DRV_JSONH_H
#define BFS_DRV_JSONH_H

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

#endif
