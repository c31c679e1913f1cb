/*
 * lineproto.h - InfluxDB 1.x line protocol, parsed exactly as influxd does.
 *
 *   measurement[,tag=value...] field=value[,field=value...] [timestamp]
 *
 * The grammar and its corner cases follow influxdb's models/points.go:
 * backslash escapes (`\,` `\ ` in measurements, `\,` `\ ` `\=` in tag keys,
 * tag values and field keys, `\"` `\\` in string values; any other
 * backslash is kept literally), float / integer (`1i`) / unsigned (`1u`) /
 * string / boolean values, an optional integer timestamp scaled by the
 * request's precision, `#` comment lines, blank lines, string values that
 * span newlines, tags sorted by key and duplicate tags rejected.  Each bad
 * line gets influxd's own reason ("missing fields", "invalid boolean",
 * "bad timestamp", ...).
 *
 * Parsing is zero-copy where it can be: names without escapes point into
 * the caller's buffer; escaped ones are unescaped into the parser's arena.
 * Everything a point points at is valid until the next call on the same
 * parser or until the input buffer changes, whichever comes first.
 *
 * A parser is a handle owned by one thread at a time; parsers are cheap and
 * reusable (the arena and arrays keep their capacity between lines).
 */
#ifndef BFS_LINEPROTO_H
#define BFS_LINEPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"

enum lineproto_type {
	LINEPROTO_FLOAT = 0,
	LINEPROTO_INT,
	LINEPROTO_UINT,
	LINEPROTO_BOOL,
	LINEPROTO_STRING,
};

/* A borrowed byte string (not NUL-terminated). */
struct lineproto_str {
	const char *p;
	size_t len;
};

struct lineproto_tag {
	struct lineproto_str key;	/* unescaped */
	struct lineproto_str value;	/* unescaped */
};

struct lineproto_field {
	struct lineproto_str key;	/* unescaped */
	enum lineproto_type type;
	union {
		double f;
		int64_t i;
		uint64_t u;
		bool b;
		struct lineproto_str s;	/* unescaped */
	} v;
};

struct lineproto_point {
	struct lineproto_str measurement;	/* unescaped */
	const struct lineproto_tag *tags;	/* sorted by key, no duplicates */
	size_t ntags;
	const struct lineproto_field *fields;	/* in line order */
	size_t nfields;
	int64_t time_ns;	/* the line's timestamp, or the batch default */
	bool has_time;		/* the line carried a timestamp */
};

/* Limits (0 in a field means its default). */
struct lineproto_limits {
	size_t max_line;	/* bytes per line; default 64 KiB */
	size_t max_tags;	/* per line; default 256 */
	size_t max_fields;	/* per line; default 1024 */
};

#define LINEPROTO_DEFAULT_MAX_LINE (64u * 1024)
#define LINEPROTO_DEFAULT_MAX_TAGS 256
#define LINEPROTO_DEFAULT_MAX_FIELDS 1024
/* influxd's MaxKeyLength: measurement + tags, and that plus a field key. */
#define LINEPROTO_MAX_KEY 65535

/* The valid nanosecond range (influxd's MinNanoTime / MaxNanoTime). */
#define LINEPROTO_MIN_NS (INT64_MIN + 2)
#define LINEPROTO_MAX_NS (INT64_MAX - 1)

struct lineproto_parser;

/* A new parser (caller frees with lineproto_parser_free); limits may be
 * NULL.  NULL when out of memory. */
struct lineproto_parser *lineproto_parser_new(const struct lineproto_limits *limits);
void lineproto_parser_free(struct lineproto_parser *p);

/*
 * The nanoseconds per unit of a `precision` query parameter: "" "n" "ns"
 * (1), "u" "us" "µ" (1e3), "ms", "s", "m", "h".  0 or -EINVAL for anything
 * else.
 */
int lineproto_precision(const char *precision, int64_t *ns_per_unit);

/*
 * Split the next line off buf[*pos..len) the way influxd does (a newline
 * inside a quoted string value does not end the line).  Sets *line and *line_len
 * to the line without its newline and advances *pos past it.  Returns false
 * at the end of the buffer.
 */
bool lineproto_next_line(const char *buf, size_t len, size_t *pos,
			 const char **line, size_t *line_len);

/*
 * Parse one line (no newline).  default_ns is the time of lines without a
 * timestamp (already truncated to the precision); ns_per_unit scales
 * timestamps (lineproto_precision()).
 *
 * Returns 1 and fills *pt for a point, 0 for a blank or comment line, or
 * -EINVAL with *reason naming the problem in influxd's words (a static
 * string or the parser's own buffer, valid until the next call).  *pt
 * borrows from line and from the parser.
 */
int lineproto_parse_line(struct lineproto_parser *p, const char *line, size_t len,
			 int64_t default_ns, int64_t ns_per_unit,
			 struct lineproto_point *pt, const char **reason);

/* What lineproto_parse_batch() found. */
struct lineproto_result {
	size_t points;		/* lines parsed and handed to the callback */
	size_t fields;		/* field values in those points ("samples") */
	size_t bad;		/* lines rejected (parse errors or callback refusals) */
	struct sbuf *errors;	/* caller's; NULL to skip messages */
};

/*
 * The callback gets each good point; it returns 0 to accept it or a
 * negative errno to reject it, optionally setting *reason (static string)
 * which then appears in the error text like a parse error.
 */
typedef int (*lineproto_point_fn)(void *ctx, const struct lineproto_point *pt,
				  const char **reason);

/*
 * Parse a whole request body: every line, good ones to fn, bad ones counted
 * and described in res->errors as influxd does ("unable to parse '<line>':
 * <reason>", one per line, lines quoted up to 256 bytes; the text stops
 * growing at the sbuf's ceiling and ends with how many were left out).
 * Returns 0 when every line was good, -EINVAL when some were bad (the good
 * ones were still delivered), or the first error fn returned that was not
 * -EINVAL (delivery stops there).
 */
int lineproto_parse_batch(struct lineproto_parser *p, const char *buf, size_t len,
			  int64_t default_ns, int64_t ns_per_unit,
			  lineproto_point_fn fn, void *ctx, struct lineproto_result *res);

/* Append s with line-protocol escapes for a measurement, or for a tag key,
 * tag value or field key (what influxd's escape codes produce). */
int lineproto_escape_measurement(struct sbuf *sb, const char *s, size_t len);
int lineproto_escape_key(struct sbuf *sb, const char *s, size_t len);

#endif
