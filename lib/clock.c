/*
 * clock.c - time helpers; see clock.h.
 */
#include "lib/clock.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int64_t ts_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t clock_mono_ns(void)
{
	return ts_ns(CLOCK_MONOTONIC);
}

int64_t clock_mono_ms(void)
{
	return ts_ns(CLOCK_MONOTONIC) / 1000000;
}

int64_t clock_wall_ms(void)
{
	return ts_ns(CLOCK_REALTIME) / 1000000;
}

char *clock_rfc3339(int64_t unix_ms, int millis, char *buf, size_t len)
{
	time_t t = (time_t)(unix_ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (millis)
		snprintf(buf + n, len - n, ".%03dZ", (int)(unix_ms % 1000));
	else
		snprintf(buf + n, len - n, "Z");
	return buf;
}

int clock_parse_rfc3339(const char *s, int64_t *unix_ms)
{
	struct tm tm;
	const char *p;
	int64_t ms = 0, scale = 100;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++) {
			ms += (*p - '0') * scale;
			scale /= 10;
		}
	}
	if (strcmp(p, "Z") != 0 && strcmp(p, "+00:00") != 0 && *p != '\0')
		return -EINVAL;
	*unix_ms = (int64_t)timegm(&tm) * 1000 + ms;
	return 0;
}

void clock_sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}
