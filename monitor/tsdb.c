/*
 * tsdb.c - recent samples in rings, open minutes feeding rollups; see tsdb.h.
 *
 * The write path is the collector's hot loop: one lock per point (the
 * source's), series found by a hash over measurement and tags among the
 * source's handful of series, fields found at the position they had last
 * time before any search, no allocation once a series knows its fields.
 *
 * A point older than the newest sample of its series is still taken: it
 * merges into the slot with the same time, or is inserted in time order
 * while it fits the window, and its minute is rolled up late (merged on
 * disk).  Only when it is older than everything the ring holds does it skip
 * the ring; the rollup keeps it either way.
 *
 * Which minute is open follows the points' own timestamps.  A series that
 * goes quiet has its minute closed by the background thread once the
 * minute is over and nothing came for QUIET_CLOSE_S seconds.
 */
#include "monitor/tsdb.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "monitor/rollup.h"

#define DEFAULT_WINDOW_S 300
#define DEFAULT_RETENTION_S (7 * 24 * 3600)
#define DEFAULT_MAX_SERIES 1000000
#define DEFAULT_MAX_SERIES_PER_SOURCE 1024
#define DEFAULT_MAX_FIELDS 256
#define RING_MIN 4
#define RING_MAX 4096
#define QUIET_CLOSE_S 10
#define NO_MINUTE INT64_MIN

struct field {
	char *name;
	size_t name_len;
	enum lineproto_type type;	/* as first seen; string vs number is fixed */
	double *vals;			/* ring, NaN where absent; NULL for strings */
	char *str;			/* strings: the newest value */
	size_t str_len;
	int64_t str_ns;
	struct rollup_acc acc;		/* the open minute */
};

struct series {
	char *measurement;
	size_t mlen;
	struct lineproto_tag *tags;	/* owned copies, in one block with their text */
	size_t ntags;
	char *tagkey;			/* canonical escaped "k=v,k=v" (for rollup keys) */
	size_t tagkey_len;
	uint64_t hash;
	int64_t *ts;			/* ring of sample times */
	uint32_t cap, head, count;
	struct field *fields;
	size_t nfields, fields_cap;
	int64_t acc_minute;		/* open minute, NO_MINUTE when none */
	int64_t last_write_ms;		/* monotonic, for closing quiet minutes */
	size_t bytes;
};

#define REASON_LEN 256

struct tsdb_source {
	struct tsdb *db;
	char *name;
	pthread_mutex_t lock;		/* guards everything below */
	uint32_t ring_cap;
	struct series **series;
	size_t nseries, series_cap;
	size_t *slots;			/* scratch: field index per point field */
	size_t slots_cap;
	char *reason;			/* a conflict's message, allocated on first use */
	bool flush_due;			/* the rollup queue asked writers to flush */
	struct tsdb_source *prev, *next;	/* db->sources, under db->sources_lock */
};

struct tsdb {
	struct tsdb_opts opts;
	struct rollup_store *rollups;	/* NULL: no history */
	pthread_mutex_t sources_lock;	/* guards sources and nsources */
	struct tsdb_source *sources;
	size_t nsources;
	atomic_size_t nseries, nfields, bytes;
	atomic_uint_least64_t samples;
	pthread_t thread;
	pthread_mutex_t thread_lock;	/* guards stop */
	pthread_cond_t thread_cond;
	bool stop, thread_started;
};

/* ---- hashing and small helpers -------------------------------------------- */

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t point_hash(const struct lineproto_point *pt)
{
	uint64_t h = fnv1a(0xcbf29ce484222325ull, pt->measurement.p, pt->measurement.len);

	for (size_t i = 0; i < pt->ntags; i++) {
		h = fnv1a(h, "\0", 1);
		h = fnv1a(h, pt->tags[i].key.p, pt->tags[i].key.len);
		h = fnv1a(h, "=", 1);
		h = fnv1a(h, pt->tags[i].value.p, pt->tags[i].value.len);
	}
	return h;
}

static bool str_eq(const char *a, size_t alen, struct lineproto_str b)
{
	return alen == b.len && memcmp(a, b.p, alen) == 0;
}

static bool series_matches(const struct series *s, uint64_t hash, const struct lineproto_point *pt)
{
	if (s->hash != hash || s->ntags != pt->ntags ||
	    !str_eq(s->measurement, s->mlen, pt->measurement))
		return false;
	for (size_t i = 0; i < s->ntags; i++) {
		if (!str_eq(s->tags[i].key.p, s->tags[i].key.len, pt->tags[i].key) ||
		    !str_eq(s->tags[i].value.p, s->tags[i].value.len, pt->tags[i].value))
			return false;
	}
	return true;
}

static void account(struct tsdb *db, long series, long fields, long bytes)
{
	atomic_fetch_add(&db->nseries, (size_t)series);
	atomic_fetch_add(&db->nfields, (size_t)fields);
	atomic_fetch_add(&db->bytes, (size_t)bytes);
}

/* ---- series lifecycle ------------------------------------------------------- */

/* Copy the tags (and their text) into one block owned by s. */
static int copy_tags(struct series *s, const struct lineproto_point *pt)
{
	size_t text = 0;
	char *d;

	for (size_t i = 0; i < pt->ntags; i++)
		text += pt->tags[i].key.len + pt->tags[i].value.len;
	s->tags = malloc(pt->ntags * sizeof(*s->tags) + text + 1);
	if (!s->tags)
		return -ENOMEM;
	d = (char *)(s->tags + pt->ntags);
	for (size_t i = 0; i < pt->ntags; i++) {
		memcpy(d, pt->tags[i].key.p, pt->tags[i].key.len);
		s->tags[i].key = (struct lineproto_str){ d, pt->tags[i].key.len };
		d += pt->tags[i].key.len;
		memcpy(d, pt->tags[i].value.p, pt->tags[i].value.len);
		s->tags[i].value = (struct lineproto_str){ d, pt->tags[i].value.len };
		d += pt->tags[i].value.len;
	}
	s->ntags = pt->ntags;
	s->bytes += pt->ntags * sizeof(*s->tags) + text;
	return 0;
}

static int make_tagkey(struct series *s)
{
	struct sbuf k = SBUF_INIT;
	int rc = 0;

	for (size_t i = 0; !rc && i < s->ntags; i++) {
		if (i)
			rc = sbuf_addc(&k, ',');
		if (!rc)
			rc = lineproto_escape_key(&k, s->tags[i].key.p, s->tags[i].key.len);
		if (!rc)
			rc = sbuf_addc(&k, '=');
		if (!rc)
			rc = lineproto_escape_key(&k, s->tags[i].value.p, s->tags[i].value.len);
	}
	if (rc) {
		sbuf_release(&k);
		return rc;
	}
	s->tagkey = sbuf_detach(&k, &s->tagkey_len);
	s->bytes += s->tagkey_len + 1;
	return s->tagkey ? 0 : -ENOMEM;
}

static void series_free(struct series *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nfields; i++) {
		free(s->fields[i].name);
		free(s->fields[i].vals);
		free(s->fields[i].str);
	}
	free(s->fields);
	free(s->ts);
	free(s->tags);
	free(s->tagkey);
	free(s->measurement);
	free(s);
}

static struct series *series_new(const struct lineproto_point *pt, uint64_t hash, uint32_t cap)
{
	struct series *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->hash = hash;
	s->cap = cap;
	s->acc_minute = NO_MINUTE;
	s->measurement = malloc(pt->measurement.len + 1);
	s->ts = calloc(cap, sizeof(*s->ts));
	if (!s->measurement || !s->ts || copy_tags(s, pt) || make_tagkey(s)) {
		series_free(s);
		return NULL;
	}
	memcpy(s->measurement, pt->measurement.p, pt->measurement.len);
	s->measurement[pt->measurement.len] = '\0';
	s->mlen = pt->measurement.len;
	s->bytes += sizeof(*s) + s->mlen + 1 + cap * sizeof(*s->ts);
	return s;
}

static const char *type_name(enum lineproto_type t)
{
	static const char *const names[] = { "float", "integer", "unsigned", "boolean", "string" };

	return names[t];
}

static int field_add(struct tsdb *db, struct series *s, struct lineproto_str name,
		     enum lineproto_type type)
{
	struct field *f;
	size_t bytes;

	if (s->nfields == s->fields_cap) {
		size_t cap = s->fields_cap ? s->fields_cap * 2 : 8;
		struct field *n = realloc(s->fields, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		s->fields = n;
		s->fields_cap = cap;
	}
	f = &s->fields[s->nfields];
	memset(f, 0, sizeof(*f));
	f->type = type;
	f->name = malloc(name.len + 1);
	if (type != LINEPROTO_STRING)
		f->vals = malloc(s->cap * sizeof(*f->vals));
	if (!f->name || (type != LINEPROTO_STRING && !f->vals)) {
		free(f->name);
		free(f->vals);
		return -ENOMEM;
	}
	memcpy(f->name, name.p, name.len);
	f->name[name.len] = '\0';
	f->name_len = name.len;
	for (uint32_t i = 0; f->vals && i < s->cap; i++)
		f->vals[i] = NAN;
	s->nfields++;
	bytes = sizeof(*f) + name.len + 1 + (f->vals ? s->cap * sizeof(double) : 0);
	s->bytes += bytes;
	account(db, 0, 1, (long)bytes);
	return 0;
}

/* ---- rollups ------------------------------------------------------------------ */

/* Queue the open minute of s (fields with samples) and reset it. */
static void close_minute(struct tsdb_source *src, struct series *s)
{
	struct rollup_rec *r = NULL;
	size_t n = 0, names = 0;

	if (s->acc_minute == NO_MINUTE || !src->db->rollups)
		goto out_reset;
	for (size_t i = 0; i < s->nfields; i++) {
		n += s->fields[i].acc.count > 0;
		names += s->fields[i].acc.count ? s->fields[i].name_len : 0;
	}
	if (n)
		r = rollup_rec_new(src->name, s->measurement, s->mlen, s->tagkey, s->tagkey_len,
				   (uint16_t)s->ntags, s->acc_minute, n, names);
	for (size_t i = 0; r && i < s->nfields; i++) {
		if (s->fields[i].acc.count)
			rollup_rec_add_field(r, s->fields[i].name, s->fields[i].name_len,
					     &s->fields[i].acc);
	}
	if (r)
		src->flush_due |= rollup_store_put(src->db->rollups, r) == 1;	/* takes r */
out_reset:
	for (size_t i = 0; i < s->nfields; i++)
		memset(&s->fields[i].acc, 0, sizeof(s->fields[i].acc));
	s->acc_minute = NO_MINUTE;
}

static double point_value(const struct lineproto_field *f)
{
	switch (f->type) {
	case LINEPROTO_FLOAT:
		return f->v.f;
	case LINEPROTO_INT:
		return (double)f->v.i;
	case LINEPROTO_UINT:
		return (double)f->v.u;
	case LINEPROTO_BOOL:
		return f->v.b ? 1 : 0;
	case LINEPROTO_STRING:
		break;
	}
	return NAN;
}

/* A point for a minute already closed: its own record, merged on read. */
static void late_point(struct tsdb_source *src, const struct series *s,
		       const struct lineproto_point *pt, int64_t minute)
{
	struct rollup_rec *r;
	size_t names = 0;

	if (!src->db->rollups)
		return;
	for (size_t i = 0; i < pt->nfields; i++)
		names += pt->fields[i].key.len;
	r = rollup_rec_new(src->name, s->measurement, s->mlen, s->tagkey, s->tagkey_len,
			   (uint16_t)s->ntags, minute, pt->nfields, names);
	for (size_t i = 0; r && i < pt->nfields; i++) {
		struct rollup_acc a = { 0 };

		if (pt->fields[i].type == LINEPROTO_STRING)
			continue;
		rollup_acc_add(&a, point_value(&pt->fields[i]), pt->time_ns);
		rollup_rec_add_field(r, pt->fields[i].key.p, pt->fields[i].key.len, &a);
	}
	if (r && rollup_rec_fields(r))
		src->flush_due |= rollup_store_put(src->db->rollups, r) == 1;
	else
		rollup_rec_free(r);
}

/* Route the point's minute: accumulate (1), or handled as late (0). */
static int open_minute(struct tsdb_source *src, struct series *s,
		       const struct lineproto_point *pt)
{
	int64_t m = rollup_minute(pt->time_ns);

	if (!src->db->rollups)
		return 0;
	if (s->acc_minute != NO_MINUTE && m > s->acc_minute)
		close_minute(src, s);
	if (s->acc_minute == NO_MINUTE)
		s->acc_minute = m;
	if (m == s->acc_minute)
		return 1;
	late_point(src, s, pt, m);
	return 0;
}

/* ---- the ring ------------------------------------------------------------------ */

static uint32_t ring_back(const struct series *s, uint32_t k)
{
	return (s->head + s->cap - k) % s->cap;
}

static void ring_push(struct series *s, int64_t t)
{
	s->head = s->count ? (s->head + 1) % s->cap : 0;
	if (s->count < s->cap)
		s->count++;
	s->ts[s->head] = t;
	for (size_t i = 0; i < s->nfields; i++) {
		if (s->fields[i].vals)
			s->fields[i].vals[s->head] = NAN;
	}
}

static void ring_swap(struct series *s, uint32_t a, uint32_t b)
{
	int64_t t = s->ts[a];

	s->ts[a] = s->ts[b];
	s->ts[b] = t;
	for (size_t i = 0; i < s->nfields; i++) {
		double *v = s->fields[i].vals;

		if (v) {
			double x = v[a];

			v[a] = v[b];
			v[b] = x;
		}
	}
}

/*
 * The ring slot for a sample at t: the newest slot when t is newest or
 * equal to it, an existing slot of the same time, or a new slot moved into
 * time order.  -1 when t is older than everything a full ring holds.
 */
static long ring_slot(struct series *s, int64_t t)
{
	uint32_t k;

	if (s->count == 0 || t > s->ts[s->head]) {
		ring_push(s, t);
		return s->head;
	}
	for (k = 0; k < s->count && s->ts[ring_back(s, k)] > t; k++)
		;
	if (k < s->count && s->ts[ring_back(s, k)] == t)
		return ring_back(s, k);
	if (k == s->count && s->count == s->cap)
		return -1;
	ring_push(s, t);
	for (uint32_t j = 0; j < k; j++)
		ring_swap(s, ring_back(s, j), ring_back(s, j + 1));
	return ring_back(s, k);
}

/* The newest non-NaN value of f in the ring, or NaN. */
static double field_latest(const struct series *s, const struct field *f)
{
	for (uint32_t k = 0; k < s->count; k++) {
		double v = f->vals[ring_back(s, k)];

		if (!isnan(v))
			return v;
	}
	return NAN;
}

/* ---- writing ---------------------------------------------------------------------- */

static struct series *find_series(struct tsdb_source *src, const struct lineproto_point *pt,
				  uint64_t hash)
{
	for (size_t i = 0; i < src->nseries; i++) {
		if (series_matches(src->series[i], hash, pt))
			return src->series[i];
	}
	return NULL;
}

static int add_series(struct tsdb_source *src, const struct lineproto_point *pt, uint64_t hash,
		      struct series **out, const char **reason)
{
	struct tsdb *db = src->db;
	struct series *s;

	if (src->nseries >= db->opts.max_series_per_source ||
	    atomic_load(&db->nseries) >= db->opts.max_series) {
		*reason = "max series exceeded";
		return -EINVAL;
	}
	if (src->nseries == src->series_cap) {
		size_t cap = src->series_cap ? src->series_cap * 2 : 8;
		struct series **n = realloc(src->series, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		src->series = n;
		src->series_cap = cap;
	}
	s = series_new(pt, hash, src->ring_cap);
	if (!s)
		return -ENOMEM;
	src->series[src->nseries++] = s;
	account(db, 1, 0, (long)s->bytes);
	*out = s;
	return 0;
}

static bool is_string(enum lineproto_type t)
{
	return t == LINEPROTO_STRING;
}

/* Index of the field named like pf, trying position `hint` first; or -1. */
static long find_field(const struct series *s, const struct lineproto_field *pf, size_t hint)
{
	if (hint < s->nfields && str_eq(s->fields[hint].name, s->fields[hint].name_len, pf->key))
		return (long)hint;
	for (size_t i = 0; i < s->nfields; i++) {
		if (str_eq(s->fields[i].name, s->fields[i].name_len, pf->key))
			return (long)i;
	}
	return -1;
}

/* A field of the same point before position i with the same key, or -1. */
static long same_key_earlier(const struct lineproto_point *pt, size_t i)
{
	for (size_t j = 0; j < i; j++) {
		if (pt->fields[j].key.len == pt->fields[i].key.len &&
		    memcmp(pt->fields[j].key.p, pt->fields[i].key.p, pt->fields[i].key.len) == 0)
			return (long)j;
	}
	return -1;
}

/* Pass 1: find every field, refuse type conflicts and limits before any change. */
static int check_fields(struct tsdb_source *src, const struct series *s,
			const struct lineproto_point *pt, const char **reason)
{
	size_t fresh = 0;

	for (size_t i = 0; i < pt->nfields; i++) {
		long k = find_field(s, &pt->fields[i], i);
		const struct field *f = k >= 0 ? &s->fields[k] : NULL;

		src->slots[i] = k >= 0 ? (size_t)k : SIZE_MAX;
		fresh += k < 0;
		if (!f)
			k = same_key_earlier(pt, i);
		if (!f && k >= 0 && is_string(pt->fields[k].type) != is_string(pt->fields[i].type)) {
			*reason = "field type conflict: a field key repeats with another type";
			return -EINVAL;
		}
		if (f && is_string(f->type) != is_string(pt->fields[i].type)) {
			if (!src->reason && !(src->reason = malloc(REASON_LEN))) {
				*reason = "field type conflict";
				return -EINVAL;
			}
			snprintf(src->reason, REASON_LEN,
				 "field type conflict: input field \"%.*s\" on measurement \"%.*s\" "
				 "is type %s, already exists as type %s",
				 (int)(f->name_len > 64 ? 64 : f->name_len), f->name,
				 (int)(s->mlen > 64 ? 64 : s->mlen), s->measurement,
				 type_name(pt->fields[i].type), type_name(f->type));
			*reason = src->reason;
			return -EINVAL;
		}
	}
	if (s->nfields + fresh > src->db->opts.max_fields_per_series) {
		*reason = "max fields per series exceeded";
		return -EINVAL;
	}
	return 0;
}

/* Pass 2: create the new fields (a duplicate key in one line maps to one). */
static int resolve_fields(struct tsdb_source *src, struct series *s,
			  const struct lineproto_point *pt)
{
	for (size_t i = 0; i < pt->nfields; i++) {
		long k;

		if (src->slots[i] != SIZE_MAX)
			continue;
		k = find_field(s, &pt->fields[i], s->nfields);
		if (k < 0) {
			int rc = field_add(src->db, s, pt->fields[i].key, pt->fields[i].type);

			if (rc)
				return rc;
			k = (long)s->nfields - 1;
		}
		src->slots[i] = (size_t)k;
	}
	return 0;
}

static int set_string(struct field *f, const struct lineproto_field *pf, int64_t t)
{
	char *copy;

	if (f->str && t < f->str_ns)
		return 0;
	copy = malloc(pf->v.s.len + 1);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, pf->v.s.p, pf->v.s.len);
	copy[pf->v.s.len] = '\0';
	free(f->str);
	f->str = copy;
	f->str_len = pf->v.s.len;
	f->str_ns = t;
	return 0;
}

/* Store the values of a checked point; returns how many numbers it held. */
static size_t store_values(struct tsdb_source *src, struct series *s,
			   const struct lineproto_point *pt)
{
	long slot = ring_slot(s, pt->time_ns);
	int acc = open_minute(src, s, pt);
	size_t numbers = 0;

	for (size_t i = 0; i < pt->nfields; i++) {
		struct field *f = &s->fields[src->slots[i]];
		double v;

		if (is_string(f->type)) {
			set_string(f, &pt->fields[i], pt->time_ns);
			continue;
		}
		v = point_value(&pt->fields[i]);
		if (slot >= 0)
			f->vals[slot] = v;
		if (acc)
			rollup_acc_add(&f->acc, v, pt->time_ns);
		numbers++;
	}
	return numbers;
}

int tsdb_source_write(struct tsdb_source *src, const struct lineproto_point *pt,
		      const char **reason)
{
	uint64_t hash = point_hash(pt);
	struct series *s;
	bool flush;
	int rc = 0;

	pthread_mutex_lock(&src->lock);
	if (pt->nfields > src->slots_cap) {
		size_t *n = realloc(src->slots, pt->nfields * sizeof(*n));

		if (!n) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		src->slots = n;
		src->slots_cap = pt->nfields;
	}
	s = find_series(src, pt, hash);
	if (!s)
		rc = add_series(src, pt, hash, &s, reason);
	if (!rc)
		rc = check_fields(src, s, pt, reason);
	if (!rc)
		rc = resolve_fields(src, s, pt);
	if (rc)
		goto out_unlock;
	atomic_fetch_add(&src->db->samples, store_values(src, s, pt));
	s->last_write_ms = clock_mono_ms();
out_unlock:
	flush = src->flush_due;
	src->flush_due = false;
	pthread_mutex_unlock(&src->lock);
	if (flush)
		rollup_store_flush(src->db->rollups);	/* back-pressure, no lock held */
	return rc;
}

/* ---- reading ----------------------------------------------------------------------- */

static bool measurement_is(const struct series *s, const char *m)
{
	return strcmp(s->measurement, m) == 0;
}

/* The series shown for a measurement: fewest tags, then newest. */
static struct series *pick_series(struct tsdb_source *src, const char *m)
{
	struct series *best = NULL;

	for (size_t i = 0; i < src->nseries; i++) {
		struct series *s = src->series[i];

		if (!measurement_is(s, m) || s->count == 0)
			continue;
		if (!best || s->ntags < best->ntags ||
		    (s->ntags == best->ntags && s->ts[s->head] > best->ts[best->head]))
			best = s;
	}
	return best;
}

int64_t tsdb_source_newest(struct tsdb_source *src, const char *measurement)
{
	int64_t newest = 0;

	pthread_mutex_lock(&src->lock);
	for (size_t i = 0; i < src->nseries; i++) {
		const struct series *s = src->series[i];

		if (measurement_is(s, measurement) && s->count && s->ts[s->head] > newest)
			newest = s->ts[s->head];
	}
	pthread_mutex_unlock(&src->lock);
	return newest;
}

static void emit_fields(const struct series *s, tsdb_value_fn fn, void *ctx)
{
	for (size_t i = 0; i < s->nfields; i++) {
		const struct field *f = &s->fields[i];
		double v;

		if (is_string(f->type)) {
			if (f->str)
				fn(ctx, f->name, f->name_len, true, NAN, f->str, f->str_len);
			continue;
		}
		v = field_latest(s, f);
		if (!isnan(v))
			fn(ctx, f->name, f->name_len, false, v, NULL, 0);
	}
}

int tsdb_source_latest(struct tsdb_source *src, const char *measurement,
		       tsdb_value_fn fn, void *ctx, struct tsdb_latest *out)
{
	struct series *s;
	int rc = -ENOENT;

	pthread_mutex_lock(&src->lock);
	s = pick_series(src, measurement);
	if (s) {
		out->time_ns = s->ts[s->head];
		out->period_ns = s->count > 1 ? s->ts[s->head] - s->ts[ring_back(s, 1)] : 0;
		out->ntags = s->ntags;
		if (fn)
			emit_fields(s, fn, ctx);
		rc = 0;
	}
	pthread_mutex_unlock(&src->lock);
	return rc;
}

void tsdb_source_each(struct tsdb_source *src, int64_t min_time_ns, tsdb_series_fn fn, void *ctx)
{
	pthread_mutex_lock(&src->lock);
	for (size_t i = 0; i < src->nseries; i++) {
		const struct series *s = src->series[i];
		struct tsdb_series_view view;

		if (s->count == 0 || s->ts[s->head] < min_time_ns)
			continue;
		view = (struct tsdb_series_view){ s->measurement, s->mlen, s->tags, s->ntags,
						  s->ts[s->head] };
		for (size_t j = 0; j < s->nfields; j++) {
			const struct field *f = &s->fields[j];
			double v = f->vals ? field_latest(s, f) : NAN;

			if (!isnan(v))
				fn(ctx, &view, f->name, f->name_len, v);
		}
	}
	pthread_mutex_unlock(&src->lock);
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int tsdb_source_measurements(struct tsdb_source *src, struct sbuf *out)
{
	const char **names;
	size_t n;
	int rc = 0;

	pthread_mutex_lock(&src->lock);
	names = malloc((src->nseries + 1) * sizeof(*names));
	if (!names) {
		pthread_mutex_unlock(&src->lock);
		return -ENOMEM;
	}
	for (n = 0; n < src->nseries; n++)
		names[n] = src->series[n]->measurement;
	qsort(names, n, sizeof(*names), cmp_cstr);
	for (size_t i = 0; !rc && i < n; i++) {
		if (i == 0 || strcmp(names[i], names[i - 1]) != 0)
			rc = sbuf_addf(out, "%s\n", names[i]);
	}
	pthread_mutex_unlock(&src->lock);
	free(names);
	return rc;
}

/* ---- sources ------------------------------------------------------------------------- */

static uint32_t ring_capacity(const struct tsdb *db, int interval_s)
{
	long cap;

	if (interval_s <= 0)
		interval_s = 1;
	cap = db->opts.window_s / interval_s + 1;
	if (cap < RING_MIN)
		cap = RING_MIN;
	if (cap > RING_MAX)
		cap = RING_MAX;
	return (uint32_t)cap;
}

struct tsdb_source *tsdb_source_new(struct tsdb *db, const char *name, int interval_s)
{
	struct tsdb_source *src = calloc(1, sizeof(*src));

	if (!src)
		return NULL;
	src->name = strdup(name);
	if (!src->name) {
		free(src);
		return NULL;
	}
	src->db = db;
	src->ring_cap = ring_capacity(db, interval_s);
	pthread_mutex_init(&src->lock, NULL);
	pthread_mutex_lock(&db->sources_lock);
	src->next = db->sources;
	if (db->sources)
		db->sources->prev = src;
	db->sources = src;
	db->nsources++;
	pthread_mutex_unlock(&db->sources_lock);
	return src;
}

void tsdb_source_close(struct tsdb_source *src)
{
	if (!src)
		return;
	pthread_mutex_lock(&src->lock);
	for (size_t i = 0; i < src->nseries; i++)
		close_minute(src, src->series[i]);
	pthread_mutex_unlock(&src->lock);
}

void tsdb_source_free(struct tsdb_source *src)
{
	struct tsdb *db;

	if (!src)
		return;
	db = src->db;
	pthread_mutex_lock(&db->sources_lock);
	if (src->prev)
		src->prev->next = src->next;
	else
		db->sources = src->next;
	if (src->next)
		src->next->prev = src->prev;
	db->nsources--;
	pthread_mutex_unlock(&db->sources_lock);
	pthread_mutex_lock(&src->lock);
	for (size_t i = 0; i < src->nseries; i++) {
		struct series *s = src->series[i];

		close_minute(src, s);
		account(db, -1, -(long)s->nfields, -(long)s->bytes);
		series_free(s);
	}
	pthread_mutex_unlock(&src->lock);
	pthread_mutex_destroy(&src->lock);
	free(src->series);
	free(src->slots);
	free(src->reason);
	free(src->name);
	free(src);
}

/* ---- the background thread ------------------------------------------------------------ */

/* Close minutes that are over and whose series went quiet. */
static void close_quiet_minutes(struct tsdb *db)
{
	int64_t now_minute = rollup_minute(clock_wall_ms() * 1000000);
	int64_t quiet_before = clock_mono_ms() - QUIET_CLOSE_S * 1000;

	pthread_mutex_lock(&db->sources_lock);
	for (struct tsdb_source *src = db->sources; src; src = src->next) {
		pthread_mutex_lock(&src->lock);
		for (size_t i = 0; i < src->nseries; i++) {
			struct series *s = src->series[i];

			if (s->acc_minute != NO_MINUTE && s->acc_minute < now_minute &&
			    s->last_write_ms < quiet_before)
				close_minute(src, s);
		}
		pthread_mutex_unlock(&src->lock);
	}
	pthread_mutex_unlock(&db->sources_lock);
}

static void *housekeeping(void *arg)
{
	struct tsdb *db = arg;
	int64_t next_close = 0, next_expire = 0;

	pthread_mutex_lock(&db->thread_lock);
	while (!db->stop) {
		struct timespec until;
		int64_t now = clock_mono_ms();

		pthread_mutex_unlock(&db->thread_lock);
		if (now >= next_close) {
			close_quiet_minutes(db);
			next_close = now + 5000;
		}
		rollup_store_flush(db->rollups);
		if (now >= next_expire) {
			rollup_store_expire(db->rollups, clock_wall_ms() * 1000000);
			next_expire = now + 60000;
		}
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_sec += 1;
		pthread_mutex_lock(&db->thread_lock);
		if (!db->stop)
			pthread_cond_timedwait(&db->thread_cond, &db->thread_lock, &until);
	}
	pthread_mutex_unlock(&db->thread_lock);
	return NULL;
}

/* ---- the store ------------------------------------------------------------------------ */

static void apply_defaults(struct tsdb_opts *o)
{
	if (o->window_s <= 0)
		o->window_s = DEFAULT_WINDOW_S;
	if (o->retention_s <= 0)
		o->retention_s = DEFAULT_RETENTION_S;
	if (!o->max_series)
		o->max_series = DEFAULT_MAX_SERIES;
	if (!o->max_series_per_source)
		o->max_series_per_source = DEFAULT_MAX_SERIES_PER_SOURCE;
	if (!o->max_fields_per_series)
		o->max_fields_per_series = DEFAULT_MAX_FIELDS;
}

int tsdb_open(const struct tsdb_opts *opts, struct tsdb **out, char **err)
{
	struct tsdb *db = calloc(1, sizeof(*db));
	pthread_condattr_t cattr;
	int rc;

	if (!db)
		return -ENOMEM;
	db->opts = *opts;
	db->opts.dir = NULL;	/* not kept: the caller owns the string */
	apply_defaults(&db->opts);
	pthread_mutex_init(&db->sources_lock, NULL);
	pthread_mutex_init(&db->thread_lock, NULL);
	pthread_condattr_init(&cattr);
	pthread_condattr_setclock(&cattr, CLOCK_MONOTONIC);
	pthread_cond_init(&db->thread_cond, &cattr);
	pthread_condattr_destroy(&cattr);
	if (opts->dir) {
		rc = rollup_store_open(opts->dir, db->opts.retention_s, &db->rollups, err);
		if (!rc)
			rc = -pthread_create(&db->thread, NULL, housekeeping, db);
		if (rc) {
			tsdb_close(db);
			return rc;
		}
		db->thread_started = true;
	}
	*out = db;
	return 0;
}

void tsdb_close(struct tsdb *db)
{
	if (!db)
		return;
	if (db->thread_started) {
		pthread_mutex_lock(&db->thread_lock);
		db->stop = true;
		pthread_cond_signal(&db->thread_cond);
		pthread_mutex_unlock(&db->thread_lock);
		pthread_join(db->thread, NULL);
	}
	rollup_store_close(db->rollups);
	pthread_cond_destroy(&db->thread_cond);
	pthread_mutex_destroy(&db->thread_lock);
	pthread_mutex_destroy(&db->sources_lock);
	free(db);
}

int tsdb_history(struct tsdb *db, const char *name, const char *measurement, struct sbuf *out)
{
	if (!db->rollups)
		return -ENOENT;
	return rollup_store_history(db->rollups, name, measurement, out);
}

int tsdb_flush(struct tsdb *db)
{
	return db->rollups ? rollup_store_flush(db->rollups) : 0;
}

long tsdb_expire(struct tsdb *db)
{
	return db->rollups ? rollup_store_expire(db->rollups, clock_wall_ms() * 1000000) : 0;
}

void tsdb_get_stats(struct tsdb *db, struct tsdb_stats *st)
{
	struct rollup_stats rs = { 0 };

	memset(st, 0, sizeof(*st));
	pthread_mutex_lock(&db->sources_lock);
	st->sources = db->nsources;
	pthread_mutex_unlock(&db->sources_lock);
	st->series = atomic_load(&db->nseries);
	st->fields = atomic_load(&db->nfields);
	st->bytes = atomic_load(&db->bytes);
	st->samples = atomic_load(&db->samples);
	if (db->rollups)
		rollup_store_stats(db->rollups, &rs);
	st->rollups_written = rs.written;
	st->rollups_deleted = rs.deleted;
}
