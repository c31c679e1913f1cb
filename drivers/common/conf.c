/*
 * conf.c - spec and credential reading; see conf.h.
 */
#include "drivers/common/conf.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int conf_str(const json_t *obj, const char *what, const char *key, bool required, char *buf,
	     size_t len, struct drv_error *err)
{
	const json_t *v = obj ? json_object_get(obj, key) : NULL;
	char msg[160];
	const char *s;

	buf[0] = '\0';
	if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v))) {
		if (!required)
			return 0;
		snprintf(msg, sizeof(msg), "%s key '%s' is missing", what, key);
		return drv_fail(err, EINVAL, "MissingParameter", msg);
	}
	s = json_string_value(v);
	if (!s || strlen(s) >= len) {
		snprintf(msg, sizeof(msg), "%s key '%s' %s", what, key,
			 s ? "is too long" : "must be a string");
		return drv_fail(err, EINVAL, "InvalidParameter", msg);
	}
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

int conf_endpoint(const char *given, const char *tmpl, const char *region, char *buf,
		  size_t len, struct drv_error *err)
{
	const char *at = strstr(tmpl, "{region}");
	int n;

	if (given && *given)
		n = snprintf(buf, len, "%s", given);
	else if (at)
		n = snprintf(buf, len, "%.*s%s%s", (int)(at - tmpl), tmpl, region, at + 8);
	else
		n = snprintf(buf, len, "%s", tmpl);
	if (n < 0 || (size_t)n + 1 >= len)
		return drv_fail(err, EINVAL, "InvalidParameter", "endpoint is too long");
	if (strncmp(buf, "https://", 8) != 0 && strncmp(buf, "http://", 7) != 0)
		return drv_fail(err, EINVAL, "InvalidParameter",
				"endpoint must be an http:// or https:// URL");
	if (buf[n - 1] != '/') {
		buf[n] = '/';
		buf[n + 1] = '\0';
	}
	return 0;
}

#define CONF_POOL_DEFAULT 16	/* engine/call.c's default concurrency */
#define CONF_POOL_MAX 256

unsigned conf_pool(const json_t *spec)
{
	json_int_t n = json_integer_value(json_object_get(spec, "concurrency"));

	if (n <= 0)
		return CONF_POOL_DEFAULT;
	return n < CONF_POOL_MAX ? (unsigned)n : CONF_POOL_MAX;
}
