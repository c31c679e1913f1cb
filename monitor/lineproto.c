/*
 * lineproto.c - InfluxDB 1.x line protocol parser; see lineproto.h.
 *
 * The scanners below are a faithful port of influxdb's models/points.go
 * (scanMeasurement, scanTags, scanFields, scanNumber, scanBoolean,
 * scanTime, scanLine), including its quirks: an "escape" is judged by the
 * previous byte only while scanning keys, while the fields scanner skips
 * the byte after every backslash; only numbers, booleans and quoted
 * strings are values; "1." and ".5" are floats, "1e5i" is not an integer.
 * Keeping the quirks is the point: a line influxd takes, we take, and a
 * line it refuses we refuse with the same words.
 *
 * Speed matters (this is the collector's hot path): one pass per section,
 * no allocation per line once the parser has warmed up, strings borrowed
 * from the input unless they contain escapes, and an exact fast path for
 * short decimal floats before falling back to strtod().
 */
#include "monitor/lineproto.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/numfmt.h"

/* One raw tag as scanned: [key, key+klen) and [val, val+vlen), escaped. */
struct raw_tag {
	const char *key;
	size_t klen;
	const char *val;
	size_t vlen;
};

struct lineproto_parser {
	struct lineproto_limits lim;
	char *arena;		/* unescaped strings of the current line */
	size_t arena_len, arena_cap;
	struct lineproto_tag *tags;
	size_t tags_cap;
	struct lineproto_field *fields;
	size_t fields_cap;
	struct raw_tag *raw;	/* tags as scanned, before sorting */
	size_t raw_cap;
	char reason[320];	/* influxd's dynamic messages, for the current line */
};

/* Which escapes a backslash makes: tags (`\,` `\ ` `\=`), measurements and
 * field keys (those and `\"`), string values (`\\` and `\"` only). */
enum unescape_set { UNESCAPE_TAG, UNESCAPE_NAME, UNESCAPE_STRING };

struct lineproto_parser *lineproto_parser_new(const struct lineproto_limits *limits)
{
	struct lineproto_parser *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	if (limits)
		p->lim = *limits;
	if (!p->lim.max_line)
		p->lim.max_line = LINEPROTO_DEFAULT_MAX_LINE;
	if (!p->lim.max_tags)
		p->lim.max_tags = LINEPROTO_DEFAULT_MAX_TAGS;
	if (!p->lim.max_fields)
		p->lim.max_fields = LINEPROTO_DEFAULT_MAX_FIELDS;
	return p;
}

void lineproto_parser_free(struct lineproto_parser *p)
{
	if (!p)
		return;
	free(p->arena);
	free(p->tags);
	free(p->fields);
	free(p->raw);
	free(p);
}

int lineproto_precision(const char *s, int64_t *ns_per_unit)
{
	static const struct {
		const char *name;
		int64_t ns;
	} units[] = {
		{ "", 1 }, { "n", 1 }, { "ns", 1 },
		{ "u", 1000 }, { "us", 1000 }, { "\xc2\xb5", 1000 },
		{ "ms", 1000000 }, { "s", 1000000000 },
		{ "m", 60ll * 1000000000 }, { "h", 3600ll * 1000000000 },
	};

	if (!s)
		s = "";
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].name) == 0) {
			*ns_per_unit = units[i].ns;
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- growing the per-line scratch -------------------------------------- */

static int grow_array(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap = *cap ? *cap : 16;
	void *n;

	if (need <= *cap)
		return 0;
	while (ncap < need)
		ncap *= 2;
	n = realloc(*arr, ncap * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

/* The arena never reallocates while a line is parsed: it is sized to the
 * line first, and unescaping only ever shrinks text. */
static int arena_reserve(struct lineproto_parser *p, size_t len)
{
	p->arena_len = 0;
	return grow_array((void **)&p->arena, &p->arena_cap, len + 1, 1);
}

/* Spans never overlap, so this always holds; checked anyway so that a
 * scanner bug could only ever cost an escape, never memory safety. */
static bool arena_fits(const struct lineproto_parser *p, size_t len)
{
	return p->arena_len + len < p->arena_cap;
}

static bool is_escapable(char c, enum unescape_set set)
{
	if (set == UNESCAPE_STRING)
		return c == '\\' || c == '"';
	return c == ',' || c == ' ' || c == '=' || (set == UNESCAPE_NAME && c == '"');
}

/* Unescape s into the arena when it holds a backslash; borrow it otherwise. */
static struct lineproto_str unescape(struct lineproto_parser *p, const char *s, size_t len,
				     enum unescape_set set)
{
	struct lineproto_str out = { s, len };
	char *d;

	if (!memchr(s, '\\', len) || !arena_fits(p, len))
		return out;
	d = p->arena + p->arena_len;
	out.p = d;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '\\' && i + 1 < len && is_escapable(s[i + 1], set))
			i++;
		*d++ = s[i];
	}
	out.len = (size_t)(d - out.p);
	p->arena_len += out.len;
	return out;
}

/* A reason with details, worded as influxd words it; valid until the next line. */
__attribute__((format(printf, 2, 3)))
static const char *reasonf(struct lineproto_parser *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	return p->reason;
}

/* Go's strconv.ParseInt / ParseUint error for digits s[0..n), after an
 * optional "unable to parse <what> <digits>: " as scanNumber says it. */
static const char *strconv_error(struct lineproto_parser *p, const char *what, const char *fn,
				 const char *s, size_t n, bool syntax)
{
	const int show = n > 64 ? 64 : (int)n;
	char prefix[128] = "";

	if (what)
		snprintf(prefix, sizeof(prefix), "unable to parse %s %.*s: ", what, show, s);
	return reasonf(p, "%sstrconv.%s: parsing \"%.*s\": %s", prefix, fn, show, s,
		       syntax ? "invalid syntax" : "value out of range");
}

/* ---- scanners (ports of points.go) ------------------------------------- */

static size_t skip_ws(const char *b, size_t len, size_t i)
{
	while (i < len && (b[i] == ' ' || b[i] == '\t' || b[i] == '\0'))
		i++;
	return i;
}

enum scan_state { ST_TAG_KEY, ST_TAG_VALUE, ST_FIELDS };

/* scanMeasurement: sets *state and *i to where tags or fields start. */
static const char *scan_measurement(const char *b, size_t len, size_t *i, enum scan_state *state)
{
	size_t k = *i;

	if (k >= len || b[k] == ',')
		return "missing measurement";
	for (;;) {
		k++;
		if (k >= len)
			return "missing fields";
		if (b[k - 1] == '\\')
			continue;
		if (b[k] == ',') {
			*state = ST_TAG_KEY;
			*i = k + 1;
			return NULL;
		}
		if (b[k] == ' ') {
			*state = ST_FIELDS;
			*i = k;
			return NULL;
		}
	}
}

static bool unescaped_at(const char *b, size_t k, char c)
{
	return b[k] == c && b[k - 1] != '\\';
}

/* scanTagsKey: *i at the key's first byte; leaves *i after the '='. */
static const char *scan_tag_key(const char *b, size_t len, size_t *i, struct raw_tag *t)
{
	size_t k = *i;

	if (k >= len || b[k] == ' ' || b[k] == ',' || b[k] == '=')
		return "missing tag key";
	t->key = b + k;
	for (;;) {
		k++;
		if (k >= len || unescaped_at(b, k, ' ') || unescaped_at(b, k, ','))
			return "missing tag value";
		if (unescaped_at(b, k, '=')) {
			t->klen = (size_t)(b + k - t->key);
			*i = k + 1;
			return NULL;
		}
	}
}

/* scanTagsValue: *i at the value's first byte. */
static const char *scan_tag_value(const char *b, size_t len, size_t *i, struct raw_tag *t,
				  enum scan_state *state)
{
	size_t k = *i;

	if (k >= len || b[k] == ',' || b[k] == ' ')
		return "missing tag value";
	t->val = b + k;
	for (;;) {
		k++;
		if (k >= len)
			return "missing fields";
		if (unescaped_at(b, k, '='))
			return "invalid tag format";
		if (unescaped_at(b, k, ',') || unescaped_at(b, k, ' ')) {
			*state = b[k] == ',' ? ST_TAG_KEY : ST_FIELDS;
			t->vlen = (size_t)(b + k - t->val);
			*i = b[k] == ',' ? k + 1 : k;
			return NULL;
		}
	}
}

static int raw_key_cmp(const struct raw_tag *a, const struct raw_tag *b)
{
	size_t n = a->klen < b->klen ? a->klen : b->klen;
	int c = memcmp(a->key, b->key, n);

	if (c)
		return c;
	return (a->klen > b->klen) - (a->klen < b->klen);
}

/* Insertion sort by raw key (influxd sorts the same way); tag sets are short. */
static const char *sort_tags(struct raw_tag *t, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct raw_tag x = t[i];
		size_t j = i;

		while (j > 0 && raw_key_cmp(&x, &t[j - 1]) < 0) {
			t[j] = t[j - 1];
			j--;
		}
		t[j] = x;
	}
	for (size_t i = 1; i < n; i++) {
		if (raw_key_cmp(&t[i - 1], &t[i]) == 0)
			return "duplicate tags";
	}
	return NULL;
}

static bool is_numeric(char c)
{
	return (c >= '0' && c <= '9') || c == '.';
}

struct num_scan {
	bool is_int, is_uint, decimal, scientific;
};

/* scanNumber: validates the shape of a number at b[*i]; *i ends at ',' ' ' or len. */
static const char *scan_number(const char *b, size_t len, size_t *i, struct num_scan *ns)
{
	size_t start = *i, k = *i, digits;

	memset(ns, 0, sizeof(*ns));
	if (k < len && b[k] == '-') {
		k++;
		if (k == len)
			return "invalid number";
	}
	for (; k < len && b[k] != ',' && b[k] != ' '; k++) {
		char c = b[k];

		if ((c == 'i' || c == 'u') && k > start && !(ns->is_int || ns->is_uint)) {
			*(c == 'i' ? &ns->is_int : &ns->is_uint) = true;
			continue;
		}
		if (c == '.') {
			if (ns->decimal)
				return "invalid number";
			ns->decimal = true;
		}
		if (k > start && (c == 'e' || c == 'E')) {
			ns->scientific = true;
			continue;
		}
		if ((c == '+' || c == '-') && (b[k - 1] == 'e' || b[k - 1] == 'E'))
			continue;
		if (!is_numeric(c))
			return "invalid number";
	}
	*i = k;
	if ((ns->is_int || ns->is_uint) && (ns->decimal || ns->scientific))
		return "invalid number";
	digits = k - start - ns->is_int - ns->decimal - (b[start] == '-');
	if (digits == 0)
		return "invalid number";
	if ((ns->is_int || ns->is_uint) && b[k - 1] != (ns->is_int ? 'i' : 'u'))
		return "invalid number";
	if (ns->is_uint && b[start] == '-')
		return "invalid number";
	return NULL;
}

static bool bool_word(const char *s, size_t n, bool *v)
{
	static const char *const words[] = { "t", "T", "true", "True", "TRUE",
					     "f", "F", "false", "False", "FALSE" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0) {
			*v = i < 5;
			return true;
		}
	}
	return false;
}

/* scanBoolean: t T true True TRUE f F false False FALSE. */
static const char *scan_boolean(const char *b, size_t len, size_t *i, bool *v)
{
	size_t start = *i, k = *i;

	if (k < len && b[k] != 't' && b[k] != 'f' && b[k] != 'T' && b[k] != 'F')
		return "invalid boolean";
	for (k++; k < len && b[k] != ',' && b[k] != ' '; k++)
		;
	*i = k;
	if (!bool_word(b + start, k - start, v))
		return "invalid boolean";
	return NULL;
}

/* ---- converting values -------------------------------------------------- */

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
};

/*
 * Plain decimals with at most 15 significant digits ("12.5", "-0.031",
 * "88") convert exactly with one IEEE division (Clinger's fast path):
 * both the integer mantissa and the power of ten are exact doubles, so the
 * quotient is correctly rounded.  Anything else goes to strtod().
 */
static bool fast_float(const char *s, size_t n, double *out)
{
	uint64_t m = 0;
	int frac = -1, ndig = 0;
	bool neg = n && s[0] == '-';

	for (size_t i = neg; i < n; i++) {
		if (s[i] == '.') {
			frac = 0;
			continue;
		}
		if (s[i] < '0' || s[i] > '9' || ++ndig > 15)
			return false;
		m = m * 10 + (uint64_t)(s[i] - '0');
		if (frac >= 0)
			frac++;
	}
	*out = frac > 0 ? (double)m / pow10_exact[frac] : (double)m;
	if (neg)
		*out = -*out;
	return true;
}

static const char *parse_float(const char *s, size_t n, double *out)
{
	char small[64], *tmp = small, *end;
	const char *err = NULL;

	if (fast_float(s, n, out))
		return NULL;
	if (n >= sizeof(small))
		tmp = malloc(n + 1);
	if (!tmp || !numfmt_c_locale()) {
		err = "out of memory";
		goto out_free;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtod_l(tmp, &end, numfmt_c_locale());	/* strtod() would obey LC_NUMERIC */
	if (end != tmp + n || isinf(*out) || isnan(*out))
		err = "invalid float";
out_free:
	if (tmp != small)
		free(tmp);
	return err;
}

/* Decimal digits to uint64 with overflow detection; false on bad input. */
static bool parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (d > 9 || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static bool parse_i64(const char *s, size_t n, int64_t *out)
{
	bool neg = n && s[0] == '-';
	uint64_t u;

	if (!parse_u64(s + neg, n - neg, &u))
		return false;
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1)
			return false;
		*out = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
		return true;
	}
	if (u > (uint64_t)INT64_MAX)
		return false;
	*out = (int64_t)u;
	return true;
}

/* Fill f's value from the raw bytes scanned for it (type already known). */
static const char *convert_value(struct lineproto_parser *p, const char *v, size_t n,
				 const struct num_scan *ns, struct lineproto_field *f)
{
	if (v[0] == '"') {
		f->type = LINEPROTO_STRING;
		f->v.s = unescape(p, v + 1, n >= 2 ? n - 2 : 0, UNESCAPE_STRING);
		return NULL;
	}
	if (ns->is_int) {
		f->type = LINEPROTO_INT;
		if (parse_i64(v, n - 1, &f->v.i))
			return NULL;
		return strconv_error(p, "integer", "ParseInt", v, n - 1, false);
	}
	if (ns->is_uint) {
		f->type = LINEPROTO_UINT;
		if (parse_u64(v, n - 1, &f->v.u))
			return NULL;
		return strconv_error(p, "unsigned", "ParseUint", v, n - 1, false);
	}
	f->type = LINEPROTO_FLOAT;
	return parse_float(v, n, &f->v.f);
}

/* ---- the fields section ------------------------------------------------- */

struct field_scan {
	size_t key_start;	/* where the current key began */
	size_t val_start;	/* where a quoted string value began, or 0 */
	size_t equals, commas;
	bool quoted;
};

static const char *add_field(struct lineproto_parser *p, size_t n)
{
	if (n > p->lim.max_fields)
		return "too many fields";
	if (grow_array((void **)&p->fields, &p->fields_cap, n, sizeof(*p->fields)))
		return "out of memory";
	return NULL;
}

/* An '=' outside quotes: the key before it ends, a value starts after it. */
static const char *field_equals(struct lineproto_parser *p, const char *b, size_t len,
				size_t *i, struct field_scan *fs, size_t *nf)
{
	size_t k = *i, vstart = k + 1;
	struct lineproto_field *f;
	struct num_scan ns;
	const char *err;

	fs->equals++;
	/* influxd would fold `a="x"=5,c,b=1` into odd keys; refuse it instead. */
	if (fs->val_start)
		return "invalid field format";
	if ((b[k - 1] == ' ' || b[k - 1] == ',') && b[k - 2] != '\\')
		return "missing field key";
	if (k + 1 >= len)
		return "missing field value";
	if (b[k + 1] == ',' || b[k + 1] == ' ')
		return "missing field value";
	err = add_field(p, *nf + 1);
	if (err)
		return err;
	f = &p->fields[(*nf)++];
	f->key = unescape(p, b + fs->key_start, k - fs->key_start, UNESCAPE_NAME);
	if (is_numeric(b[vstart]) || b[vstart] == '-' || b[vstart] == 'N' || b[vstart] == 'n') {
		*i = vstart;
		err = scan_number(b, len, i, &ns);
		return err ? err : convert_value(p, b + vstart, *i - vstart, &ns, f);
	}
	if (b[vstart] != '"') {
		*i = vstart;
		f->type = LINEPROTO_BOOL;
		return scan_boolean(b, len, i, &f->v.b);
	}
	fs->val_start = vstart;	/* a string: converted when it ends */
	*i = vstart;
	return NULL;
}

/* A string value ends at the unquoted ',' or ' ' (or end) at b[k]. */
static const char *end_string(struct lineproto_parser *p, const char *b, size_t k,
			      struct field_scan *fs, size_t nf)
{
	static const struct num_scan none;

	if (!fs->val_start)
		return NULL;
	convert_value(p, b + fs->val_start, k - fs->val_start, &none, &p->fields[nf - 1]);
	fs->val_start = 0;
	return NULL;
}

/* scanFields, recording each field as it goes; *i ends where fields end. */
static const char *scan_fields(struct lineproto_parser *p, const char *b, size_t len,
			       size_t *i, size_t *nf)
{
	struct field_scan fs = { 0 };
	size_t k = skip_ws(b, len, *i);
	const char *err;

	fs.key_start = k;
	while (k < len) {
		if (b[k] == '\\' && k + 1 < len) {
			k += 2;
			continue;
		}
		if (b[k] == '"' && fs.equals > fs.commas) {
			fs.quoted = !fs.quoted;
			k++;
			continue;
		}
		if (b[k] == '=' && !fs.quoted) {
			err = field_equals(p, b, len, &k, &fs, nf);
			if (err)
				return err;
			continue;
		}
		if ((b[k] == ',' || b[k] == ' ') && !fs.quoted) {
			end_string(p, b, k, &fs, *nf);
			if (b[k] == ' ')
				break;
			fs.commas++;
			fs.key_start = k + 1;
		}
		k++;
	}
	if (fs.quoted)
		return "unbalanced quotes";
	end_string(p, b, k, &fs, *nf);
	if (fs.equals == 0 || fs.commas != fs.equals - 1)
		return "invalid field format";
	*i = k;
	return NULL;
}

/* ---- timestamp --------------------------------------------------------- */

static const char *scan_time(struct lineproto_parser *p, const char *b, size_t len, size_t *i,
			     int64_t ns_per_unit, int64_t *ns, bool *has)
{
	size_t start = skip_ws(b, len, *i), k = start;
	int64_t t;

	for (; k < len && b[k] != '\n' && b[k] != ' '; k++) {
		if (k == start && b[k] == '-')
			continue;
		if (b[k] < '0' || b[k] > '9')
			return "bad timestamp";
	}
	*i = k;
	*has = k > start;
	if (!*has)
		return NULL;
	if (!parse_i64(b + start, k - start, &t))
		return strconv_error(p, NULL, "ParseInt", b + start, k - start,
				     k - start == 1 && b[start] == '-');
	if (__builtin_mul_overflow(t, ns_per_unit, ns) || *ns < LINEPROTO_MIN_NS ||
	    *ns > LINEPROTO_MAX_NS)
		return reasonf(p, "time outside range %lld - %lld", (long long)LINEPROTO_MIN_NS,
			       (long long)LINEPROTO_MAX_NS);
	for (; k < len; k++) {
		if (b[k] != ' ')
			return "point is invalid";
	}
	return NULL;
}

/* ---- one line ------------------------------------------------------------ */

/* Scan the tag section into raw tags (escaped), checking the limits. */
static const char *scan_tags(struct lineproto_parser *p, const char *b, size_t len, size_t *i,
			     struct raw_tag **raw, size_t *n)
{
	enum scan_state st = ST_TAG_KEY;
	const char *err;

	while (st != ST_FIELDS) {
		if (*n + 1 > p->lim.max_tags)
			return "too many tags";
		if (grow_array((void **)&p->raw, &p->raw_cap, *n + 1, sizeof(*p->raw)))
			return "out of memory";
		*raw = p->raw;
		err = scan_tag_key(b, len, i, &(*raw)[*n]);
		if (!err)
			err = scan_tag_value(b, len, i, &(*raw)[*n], &st);
		if (err)
			return err;
		(*n)++;
	}
	return NULL;
}

/* influxd drops points with a "time" tag or field key (tsdb/shard.go). */
static const char *check_reserved(struct lineproto_parser *p, const struct lineproto_point *pt)
{
	const int mlen = pt->measurement.len > 128 ? 128 : (int)pt->measurement.len;

	for (size_t i = 0; i < pt->ntags; i++) {
		if (pt->tags[i].key.len == 4 && memcmp(pt->tags[i].key.p, "time", 4) == 0)
			return reasonf(p, "invalid tag key: input tag \"time\" on measurement \"%.*s\" is invalid",
				       mlen, pt->measurement.p);
	}
	for (size_t i = 0; i < pt->nfields; i++) {
		if (pt->fields[i].key.len == 4 && memcmp(pt->fields[i].key.p, "time", 4) == 0)
			return reasonf(p, "invalid field name: input field \"time\" on measurement \"%.*s\" is invalid",
				       mlen, pt->measurement.p);
	}
	return NULL;
}

/* Measurement and tags: sets pt's measurement and tags, *i at the fields. */
static const char *parse_key(struct lineproto_parser *p, const char *b, size_t len,
			     size_t *i, struct lineproto_point *pt)
{
	enum scan_state st;
	struct raw_tag *raw = NULL;
	size_t start = *i, ntags = 0;
	const char *err = scan_measurement(b, len, i, &st);

	if (err)
		return err;
	pt->measurement.p = b + start;
	pt->measurement.len = (size_t)(*i - start) - (st == ST_TAG_KEY);
	if (st == ST_TAG_KEY) {
		err = scan_tags(p, b, len, i, &raw, &ntags);
		if (!err)
			err = sort_tags(raw, ntags);
		if (err)
			return err;
	}
	if (*i - start > LINEPROTO_MAX_KEY)
		return reasonf(p, "max key length exceeded: %zu > %d", *i - start, LINEPROTO_MAX_KEY);
	pt->measurement = unescape(p, pt->measurement.p, pt->measurement.len, UNESCAPE_NAME);
	if (grow_array((void **)&p->tags, &p->tags_cap, ntags, sizeof(*p->tags)))
		return "out of memory";
	for (size_t t = 0; t < ntags; t++) {
		p->tags[t].key = unescape(p, raw[t].key, raw[t].klen, UNESCAPE_TAG);
		p->tags[t].value = unescape(p, raw[t].val, raw[t].vlen, UNESCAPE_TAG);
	}
	pt->tags = p->tags;
	pt->ntags = ntags;
	return NULL;
}

int lineproto_parse_line(struct lineproto_parser *p, const char *b, size_t len,
			 int64_t default_ns, int64_t ns_per_unit,
			 struct lineproto_point *pt, const char **reason)
{
	size_t i = skip_ws(b, len, 0), key_start = i, key_len, nf = 0;
	const char *err;

	memset(pt, 0, sizeof(*pt));
	if (i >= len || b[i] == '#')
		return 0;
	if (len > p->lim.max_line) {
		*reason = "line too long";
		return -EINVAL;
	}
	if (arena_reserve(p, len)) {
		*reason = "out of memory";
		return -EINVAL;
	}
	err = parse_key(p, b, len, &i, pt);
	key_len = i - key_start;
	if (!err)
		err = scan_fields(p, b, len, &i, &nf);
	for (size_t f = 0; !err && f < nf; f++) {
		if (key_len + 4 + p->fields[f].key.len > LINEPROTO_MAX_KEY)
			err = reasonf(p, "max key length exceeded: %zu > %d",
				      key_len + 4 + p->fields[f].key.len, LINEPROTO_MAX_KEY);
	}
	pt->fields = p->fields;
	pt->nfields = nf;
	pt->time_ns = default_ns;
	if (!err)
		err = scan_time(p, b, len, &i, ns_per_unit, &pt->time_ns, &pt->has_time);
	if (!err)
		err = check_reserved(p, pt);
	if (err) {
		*reason = err;
		return -EINVAL;
	}
	return 1;
}

/* ---- batches ------------------------------------------------------------ */

bool lineproto_next_line(const char *b, size_t len, size_t *pos, const char **line,
			 size_t *line_len)
{
	size_t i = *pos, start = *pos, equals = 0, commas = 0;
	bool quoted = false, fields = false;

	if (i >= len)
		return false;
	while (i < len) {
		if (b[i] == '\\') {
			i += 2;
			continue;
		}
		if (b[i] == ' ')
			fields = true;
		if (fields && !quoted && (b[i] == '=' || b[i] == ',')) {
			*(b[i] == '=' ? &equals : &commas) += 1;
			i++;
			continue;
		}
		if (fields && b[i] == '"' && equals > commas) {
			quoted = !quoted;
			i++;
			continue;
		}
		if (b[i] == '\n' && !quoted)
			break;
		i++;
	}
	if (i > len)
		i = len;
	*line = b + start;
	*line_len = i - start;
	*pos = i < len ? i + 1 : len;
	return true;
}

/* Room kept at the end of the error text for the "(n more ...)" note. */
#define ERRORS_TAIL_RESERVE 64

static void describe_bad_line(struct lineproto_result *res, const char *line, size_t n,
			      const char *reason)
{
	const size_t quote_max = 256;
	struct sbuf *e = res->errors;
	size_t cap, shown = n > quote_max ? quote_max : n;

	if (!e)
		return;
	cap = e->max ? e->max : SBUF_DEFAULT_MAX;
	if (e->len + shown + strlen(reason) + 32 + ERRORS_TAIL_RESERVE > cap) {
		res->errors = NULL;	/* full: the count says the rest */
		return;
	}
	sbuf_addf(e, "%sunable to parse '%.*s%s': %s", e->len ? "\n" : "", (int)shown, line,
		  shown < n ? "..." : "", reason);
}

int lineproto_parse_batch(struct lineproto_parser *p, const char *buf, size_t len,
			  int64_t default_ns, int64_t ns_per_unit,
			  lineproto_point_fn fn, void *ctx, struct lineproto_result *res)
{
	struct sbuf *errors = res->errors;
	size_t pos = 0, n, described = 0;
	const char *line, *reason;
	struct lineproto_point pt;
	int rc;

	while (lineproto_next_line(buf, len, &pos, &line, &n)) {
		reason = NULL;
		rc = lineproto_parse_line(p, line, n, default_ns, ns_per_unit, &pt, &reason);
		if (rc == 0)
			continue;
		if (rc > 0)
			rc = fn(ctx, &pt, &reason);
		if (rc == 0) {
			res->points++;
			res->fields += pt.nfields;
			continue;
		}
		if (rc != -EINVAL)
			return rc;
		res->bad++;
		describe_bad_line(res, line, n, reason ? reason : "rejected");
		described += res->errors != NULL;
	}
	res->errors = errors;
	if (errors && described < res->bad)
		sbuf_addf(errors, "\n(%zu more bad lines not shown)", res->bad - described);
	return res->bad ? -EINVAL : 0;
}

/* ---- escaping (for writers: the agent and the twin) ---------------------- */

static int escape_set(struct sbuf *sb, const char *s, size_t len, const char *special)
{
	int rc = 0;

	for (size_t i = 0; i < len && !rc; i++) {
		if (strchr(special, s[i]) && s[i])
			rc = sbuf_addc(sb, '\\');
		if (!rc)
			rc = sbuf_addc(sb, s[i]);
	}
	return rc;
}

int lineproto_escape_measurement(struct sbuf *sb, const char *s, size_t len)
{
	return escape_set(sb, s, len, ", ");
}

int lineproto_escape_key(struct sbuf *sb, const char *s, size_t len)
{
	return escape_set(sb, s, len, ", =");
}
