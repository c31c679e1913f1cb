/*
 * clock.h - time helpers: monotonic milliseconds for deadlines and
 * intervals, wall-clock RFC 3339 UTC for everything a user reads.
 */
#ifndef BFS_CLOCK_H
#define BFS_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds (deadlines, rates). */
int64_t clock_mono_ms(void);
/* CLOCK_MONOTONIC in nanoseconds (latency measurements). */
int64_t clock_mono_ns(void);
/* CLOCK_REALTIME in milliseconds since the epoch. */
int64_t clock_wall_ms(void);
/* Format unix milliseconds as RFC 3339 UTC ("2026-11-24T10:00:00Z"; with
 * millis when `millis` is nonzero).  buf needs 32 bytes.  Returns buf. */
char *clock_rfc3339(int64_t unix_ms, int millis, char *buf, size_t len);
/* Parse RFC 3339 / ISO 8601 UTC ("...Z" or "+00:00", optional fraction).
 * 0 and *unix_ms set, or -EINVAL. */
int clock_parse_rfc3339(const char *s, int64_t *unix_ms);
/* Sleep for ms milliseconds (restarting on EINTR). */
void clock_sleep_ms(int64_t ms);

#endif
