/*
 * rollup.c - minute rollups merged into LevelDB; see rollup.h.
 *
 * Flushing takes the whole queue at once, sorts it by key, folds records
 * of the same series and minute together in memory (a late point and the
 * minute it belongs to may both be queued), then for each key reads what
 * LevelDB already holds, merges, and writes everything in one batch.  A
 * corrupt or foreign value is replaced, never trusted: decoding checks
 * every length against the bytes it has.
 */
#include "monitor/rollup.h"

#include <endian.h>
#include <errno.h>
#include <leveldb/c.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "monitor/numfmt.h"

#define RECORD_VERSION 1
#define MINUTE_BIAS 0x8000000000000000ull

struct rollup_store {
	leveldb_t *db;
	leveldb_options_t *options;
	leveldb_readoptions_t *ropts;
	leveldb_writeoptions_t *wopts;
	int64_t retention_ns;
	pthread_mutex_t flush_lock;	/* serialises LevelDB work; before queue_lock */
	pthread_mutex_t queue_lock;	/* guards queue, nqueue, queue_cap */
	struct rollup_rec **queue;
	size_t nqueue, queue_cap;
	uint64_t written, deleted;	/* under flush_lock */
};

/* ---- accumulators --------------------------------------------------------- */

void rollup_acc_add(struct rollup_acc *a, double v, int64_t t_ns)
{
	if (a->count == 0 || v < a->min)
		a->min = v;
	if (a->count == 0 || v > a->max)
		a->max = v;
	if (a->count == 0 || t_ns >= a->last_ns) {
		a->last = v;
		a->last_ns = t_ns;
	}
	a->sum += v;
	a->count++;
}

void rollup_acc_merge(struct rollup_acc *a, const struct rollup_acc *b)
{
	if (b->count == 0)
		return;
	if (a->count == 0) {
		*a = *b;
		return;
	}
	a->min = fmin(a->min, b->min);
	a->max = fmax(a->max, b->max);
	if (b->last_ns >= a->last_ns) {
		a->last = b->last;
		a->last_ns = b->last_ns;
	}
	a->sum += b->sum;
	a->count += b->count;
}

int64_t rollup_minute(int64_t t_ns)
{
	int64_t m = t_ns / ROLLUP_MINUTE_NS;

	return (t_ns % ROLLUP_MINUTE_NS < 0) ? m - 1 : m;
}

/* ---- records ---------------------------------------------------------------- */

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);

	if (!d)
		return NULL;
	memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

struct rollup_rec *rollup_rec_new(const char *source, const char *measurement, size_t mlen,
				  const char *tags, size_t tlen, uint16_t ntags, int64_t minute)
{
	struct rollup_rec *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	r->source = dup_n(source, strlen(source));
	r->measurement = dup_n(measurement, mlen);
	r->tags = dup_n(tags, tlen);
	r->ntags = ntags;
	r->minute = minute;
	if (!r->source || !r->measurement || !r->tags) {
		rollup_rec_free(r);
		return NULL;
	}
	return r;
}

static struct rollup_field *find_field(struct rollup_rec *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->nfields; i++) {
		if (r->fields[i].name_len == len && memcmp(r->fields[i].name, name, len) == 0)
			return &r->fields[i];
	}
	return NULL;
}

/* Merge acc into the field `name`, adding the field when new. */
int rollup_rec_add_field(struct rollup_rec *r, const char *name, size_t len,
			 const struct rollup_acc *acc)
{
	struct rollup_field *f = find_field(r, name, len), *n;

	if (f) {
		rollup_acc_merge(&f->acc, acc);
		return 0;
	}
	n = realloc(r->fields, (r->nfields + 1) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	r->fields = n;
	f = &n[r->nfields];
	f->name = dup_n(name, len);
	if (!f->name)
		return -ENOMEM;
	f->name_len = len;
	f->acc = *acc;
	r->nfields++;
	return 0;
}

static void release_fields(struct rollup_rec *r)
{
	for (size_t i = 0; i < r->nfields; i++)
		free(r->fields[i].name);
	free(r->fields);
	r->fields = NULL;
	r->nfields = 0;
}

void rollup_rec_free(struct rollup_rec *r)
{
	if (!r)
		return;
	release_fields(r);
	free(r->source);
	free(r->measurement);
	free(r->tags);
	free(r);
}

/* ---- encoding --------------------------------------------------------------- */

static int put_u16(struct sbuf *sb, size_t v)
{
	uint16_t be = htobe16((uint16_t)v);

	if (v > UINT16_MAX)
		return -E2BIG;
	return sbuf_add(sb, &be, sizeof(be));
}

static int put_str16(struct sbuf *sb, const char *s, size_t n)
{
	int rc = put_u16(sb, n);

	return rc ? rc : sbuf_add(sb, s, n);
}

static int put_minute(struct sbuf *sb, int64_t minute)
{
	uint64_t be = htobe64((uint64_t)minute + MINUTE_BIAS);

	return sbuf_add(sb, &be, sizeof(be));
}

/* 'h' source measurement [ntags tags] */
static int key_series_prefix(struct sbuf *k, const char *source, const char *measurement)
{
	int rc = sbuf_addc(k, 'h');

	if (!rc)
		rc = put_str16(k, source, strlen(source));
	if (!rc)
		rc = put_str16(k, measurement, strlen(measurement));
	return rc;
}

static int key_history(struct sbuf *k, const struct rollup_rec *r)
{
	int rc = key_series_prefix(k, r->source, r->measurement);

	if (!rc)
		rc = put_u16(k, r->ntags);
	if (!rc)
		rc = put_str16(k, r->tags, strlen(r->tags));
	if (!rc)
		rc = put_minute(k, r->minute);
	return rc;
}

static int key_index(struct sbuf *k, const struct rollup_rec *r)
{
	int rc = sbuf_addc(k, 't');

	if (!rc)
		rc = put_minute(k, r->minute);
	if (!rc)
		rc = put_str16(k, r->source, strlen(r->source));
	if (!rc)
		rc = put_str16(k, r->measurement, strlen(r->measurement));
	if (!rc)
		rc = put_u16(k, r->ntags);
	if (!rc)
		rc = put_str16(k, r->tags, strlen(r->tags));
	return rc;
}

static int put_u64le(struct sbuf *sb, uint64_t v)
{
	uint64_t le = htole64(v);

	return sbuf_add(sb, &le, sizeof(le));
}

static int put_double(struct sbuf *sb, double d)
{
	uint64_t bits;

	memcpy(&bits, &d, sizeof(bits));
	return put_u64le(sb, bits);
}

static int encode_field(struct sbuf *v, const struct rollup_field *f)
{
	uint32_t count = htole32(f->acc.count);
	int rc = put_str16(v, f->name, f->name_len);

	if (!rc)
		rc = sbuf_add(v, &count, sizeof(count));
	if (!rc)
		rc = put_double(v, f->acc.sum);
	if (!rc)
		rc = put_double(v, f->acc.min);
	if (!rc)
		rc = put_double(v, f->acc.max);
	if (!rc)
		rc = put_double(v, f->acc.last);
	if (!rc)
		rc = put_u64le(v, (uint64_t)f->acc.last_ns);
	return rc;
}

static int encode_record(struct sbuf *v, const struct rollup_rec *r)
{
	int rc = sbuf_addc(v, RECORD_VERSION);

	if (!rc)
		rc = put_u16(v, r->nfields);
	for (size_t i = 0; !rc && i < r->nfields; i++)
		rc = encode_field(v, &r->fields[i]);
	return rc;
}

/* A bounds-checked reader over a LevelDB value. */
struct reader {
	const unsigned char *p;
	size_t left;
	int bad;
};

static const void *take(struct reader *rd, size_t n)
{
	const void *at = rd->p;

	if (rd->bad || n > rd->left) {
		rd->bad = 1;
		return NULL;
	}
	rd->p += n;
	rd->left -= n;
	return at;
}

static uint64_t take_u64(struct reader *rd)
{
	const void *at = take(rd, 8);
	uint64_t v = 0;

	if (at)
		memcpy(&v, at, 8);
	return le64toh(v);
}

static double take_double(struct reader *rd)
{
	uint64_t bits = take_u64(rd);
	double d;

	memcpy(&d, &bits, sizeof(d));
	return d;
}

static size_t take_u16(struct reader *rd)
{
	const void *at = take(rd, 2);
	uint16_t v = 0;

	if (at)
		memcpy(&v, at, 2);
	return be16toh(v);
}

static int decode_field(struct reader *rd, struct rollup_rec *into)
{
	size_t nlen = take_u16(rd);
	const char *name = take(rd, nlen);
	const void *cnt = take(rd, 4);
	struct rollup_acc a = { 0 };
	uint32_t count = 0;

	if (cnt)
		memcpy(&count, cnt, 4);
	a.count = le32toh(count);
	a.sum = take_double(rd);
	a.min = take_double(rd);
	a.max = take_double(rd);
	a.last = take_double(rd);
	a.last_ns = (int64_t)take_u64(rd);
	if (rd->bad)
		return -EINVAL;
	return rollup_rec_add_field(into, name, nlen, &a);
}

/* Merge an encoded record into `into`; -EINVAL when it is not one of ours. */
static int decode_into(const char *val, size_t len, struct rollup_rec *into)
{
	struct reader rd = { (const unsigned char *)val, len, 0 };
	const unsigned char *ver = take(&rd, 1);
	size_t n;
	int rc = 0;

	if (!ver || *ver != RECORD_VERSION)
		return -EINVAL;
	n = take_u16(&rd);
	for (size_t i = 0; !rc && i < n; i++)
		rc = decode_field(&rd, into);
	return rd.bad ? -EINVAL : rc;
}

/* ---- the store ---------------------------------------------------------------- */

int rollup_store_open(const char *dir, int64_t retention_s, struct rollup_store **out,
		      char **err)
{
	struct rollup_store *st = calloc(1, sizeof(*st));
	char *lerr = NULL;

	if (!st)
		return -ENOMEM;
	st->options = leveldb_options_create();
	leveldb_options_set_create_if_missing(st->options, 1);
	st->ropts = leveldb_readoptions_create();
	st->wopts = leveldb_writeoptions_create();
	st->retention_ns = retention_s * 1000000000ll;
	pthread_mutex_init(&st->flush_lock, NULL);
	pthread_mutex_init(&st->queue_lock, NULL);
	st->db = leveldb_open(st->options, dir, &lerr);
	if (!st->db) {
		if (err)
			*err = lerr ? strdup(lerr) : NULL;
		leveldb_free(lerr);
		rollup_store_close(st);
		return -EIO;
	}
	*out = st;
	return 0;
}

void rollup_store_close(struct rollup_store *st)
{
	if (!st)
		return;
	if (st->db) {
		rollup_store_flush(st);
		leveldb_close(st->db);
	}
	for (size_t i = 0; i < st->nqueue; i++)
		rollup_rec_free(st->queue[i]);
	free(st->queue);
	leveldb_readoptions_destroy(st->ropts);
	leveldb_writeoptions_destroy(st->wopts);
	leveldb_options_destroy(st->options);
	pthread_mutex_destroy(&st->flush_lock);
	pthread_mutex_destroy(&st->queue_lock);
	free(st);
}

int rollup_store_put(struct rollup_store *st, struct rollup_rec *rec)
{
	int rc = 0;

	pthread_mutex_lock(&st->queue_lock);
	if (st->nqueue == st->queue_cap) {
		size_t cap = st->queue_cap ? st->queue_cap * 2 : 256;
		struct rollup_rec **q = realloc(st->queue, cap * sizeof(*q));

		if (q) {
			st->queue = q;
			st->queue_cap = cap;
		}
	}
	if (st->nqueue < st->queue_cap)
		st->queue[st->nqueue++] = rec;
	else
		rc = -ENOMEM;
	pthread_mutex_unlock(&st->queue_lock);
	if (rc)
		rollup_rec_free(rec);
	return rc;
}

static int rec_cmp(const void *a, const void *b)
{
	const struct rollup_rec *x = *(struct rollup_rec *const *)a;
	const struct rollup_rec *y = *(struct rollup_rec *const *)b;
	int c = strcmp(x->source, y->source);

	if (!c)
		c = strcmp(x->measurement, y->measurement);
	if (!c)
		c = strcmp(x->tags, y->tags);
	if (!c)
		c = (x->minute > y->minute) - (x->minute < y->minute);
	return c;
}

/* Fold the previously stored value of r's key into r. */
static int merge_stored(struct rollup_store *st, struct rollup_rec *r, const struct sbuf *key)
{
	char *lerr = NULL, *val;
	size_t vlen = 0;

	val = leveldb_get(st->db, st->ropts, key->buf, key->len, &vlen, &lerr);
	if (lerr) {
		leveldb_free(lerr);
		return -EIO;
	}
	if (val)
		decode_into(val, vlen, r);	/* a value we cannot read is replaced */
	leveldb_free(val);
	return 0;
}

static int batch_record(struct rollup_store *st, leveldb_writebatch_t *wb, struct rollup_rec *r)
{
	struct sbuf key = SBUF_INIT, val = SBUF_INIT;
	int rc = key_history(&key, r);

	if (!rc)
		rc = merge_stored(st, r, &key);
	if (!rc)
		rc = encode_record(&val, r);
	if (!rc)
		leveldb_writebatch_put(wb, key.buf, key.len, val.buf, val.len);
	sbuf_reset(&key);
	if (!rc)
		rc = key_index(&key, r);
	if (!rc)
		leveldb_writebatch_put(wb, key.buf, key.len, "", 0);
	sbuf_release(&key);
	sbuf_release(&val);
	return rc;
}

/* Sort, fold equal keys into the first of each run, batch each run once. */
static int write_records(struct rollup_store *st, struct rollup_rec **q, size_t n)
{
	leveldb_writebatch_t *wb = leveldb_writebatch_create();
	char *lerr = NULL;
	size_t i = 0, j, batched = 0;
	int rc = 0;

	qsort(q, n, sizeof(*q), rec_cmp);
	while (i < n && !rc) {
		for (j = i + 1; j < n && rec_cmp(&q[i], &q[j]) == 0; j++) {
			for (size_t f = 0; !rc && f < q[j]->nfields; f++)
				rc = rollup_rec_add_field(q[i], q[j]->fields[f].name,
							  q[j]->fields[f].name_len, &q[j]->fields[f].acc);
		}
		if (!rc)
			rc = batch_record(st, wb, q[i]);
		batched++;
		i = j;
	}
	if (!rc)
		leveldb_write(st->db, st->wopts, wb, &lerr);
	if (lerr) {
		leveldb_free(lerr);
		rc = -EIO;
	}
	leveldb_writebatch_destroy(wb);
	if (!rc)
		st->written += batched;
	return rc;
}

int rollup_store_flush(struct rollup_store *st)
{
	struct rollup_rec **q;
	size_t n;
	int rc = 0;

	pthread_mutex_lock(&st->flush_lock);
	pthread_mutex_lock(&st->queue_lock);
	q = st->queue;
	n = st->nqueue;
	st->queue = NULL;
	st->nqueue = st->queue_cap = 0;
	pthread_mutex_unlock(&st->queue_lock);
	if (n)
		rc = write_records(st, q, n);
	pthread_mutex_unlock(&st->flush_lock);
	for (size_t i = 0; i < n; i++)
		rollup_rec_free(q[i]);
	free(q);
	return rc;
}

/* The 'h' key a 't' index key points at: same parts, minute moved last. */
static int history_key_of(const char *ik, size_t ilen, struct sbuf *hk)
{
	if (ilen < 9)
		return -EINVAL;
	if (sbuf_addc(hk, 'h') || sbuf_add(hk, ik + 9, ilen - 9) || sbuf_add(hk, ik + 1, 8))
		return -ENOMEM;
	return 0;
}

long rollup_store_expire(struct rollup_store *st, int64_t now_ns)
{
	struct sbuf cut = SBUF_INIT, hk = SBUF_INIT;
	leveldb_writebatch_t *wb;
	leveldb_iterator_t *it;
	char *lerr = NULL;
	long n = 0;

	if (st->retention_ns <= 0)
		return 0;
	sbuf_addc(&cut, 't');
	put_minute(&cut, rollup_minute(now_ns - st->retention_ns));
	pthread_mutex_lock(&st->flush_lock);
	wb = leveldb_writebatch_create();
	it = leveldb_create_iterator(st->db, st->ropts);
	for (leveldb_iter_seek(it, "t", 1); leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t klen;
		const char *k = leveldb_iter_key(it, &klen);

		if (klen < 9 || k[0] != 't' || memcmp(k, cut.buf, 9) >= 0)
			break;
		sbuf_reset(&hk);
		if (history_key_of(k, klen, &hk) == 0)
			leveldb_writebatch_delete(wb, hk.buf, hk.len);
		leveldb_writebatch_delete(wb, k, klen);
		n++;
	}
	leveldb_iter_destroy(it);
	if (n)
		leveldb_write(st->db, st->wopts, wb, &lerr);
	leveldb_writebatch_destroy(wb);
	if (!lerr)
		st->deleted += (uint64_t)n;
	pthread_mutex_unlock(&st->flush_lock);
	sbuf_release(&cut);
	sbuf_release(&hk);
	if (lerr) {
		leveldb_free(lerr);
		return -EIO;
	}
	return n;
}

/* ---- history ------------------------------------------------------------------ */

static int append_stat(struct sbuf *out, const char *name, size_t nlen, const char *what, double v)
{
	int rc = sbuf_addf(out, " %.*s_%s=", (int)nlen, name, what);

	return rc ? rc : numfmt_double(out, v);
}

static int history_line(struct sbuf *out, int64_t minute, const struct rollup_rec *r)
{
	char when[40];
	uint32_t samples = 0;
	int rc;

	for (size_t i = 0; i < r->nfields; i++)
		samples = r->fields[i].acc.count > samples ? r->fields[i].acc.count : samples;
	clock_rfc3339(minute * 60000, 0, when, sizeof(when));
	rc = sbuf_addf(out, "%s samples=%u", when, samples);
	for (size_t i = 0; !rc && i < r->nfields; i++) {
		const struct rollup_field *f = &r->fields[i];

		rc = append_stat(out, f->name, f->name_len, "avg", f->acc.sum / f->acc.count);
		if (!rc)
			rc = append_stat(out, f->name, f->name_len, "min", f->acc.min);
		if (!rc)
			rc = append_stat(out, f->name, f->name_len, "max", f->acc.max);
		if (!rc)
			rc = append_stat(out, f->name, f->name_len, "last", f->acc.last);
	}
	return rc ? rc : sbuf_addc(out, '\n');
}

/* Emit one key's record; *series (the key without its minute) pins the
 * first series seen: later keys of other tag sets end the scan (1). */
static int history_entry(const char *k, size_t klen, const char *v, size_t vlen,
			 struct sbuf *series, struct sbuf *out)
{
	struct rollup_rec rec = { 0 };
	uint64_t be;
	int rc;

	if (klen < series->len + 8)
		return 1;
	if (!series->len && sbuf_add(series, k, klen - 8))
		return -ENOMEM;
	if (klen != series->len + 8 || memcmp(k, series->buf, series->len) != 0)
		return 1;
	memcpy(&be, k + klen - 8, 8);
	decode_into(v, vlen, &rec);	/* an unreadable minute shows what it could */
	rc = rec.nfields ? history_line(out, (int64_t)(be64toh(be) - MINUTE_BIAS), &rec) : 0;
	release_fields(&rec);
	return rc;
}

int rollup_store_history(struct rollup_store *st, const char *source, const char *measurement,
			 struct sbuf *out)
{
	struct sbuf prefix = SBUF_INIT, series = SBUF_INIT;
	leveldb_iterator_t *it;
	int rc = rollup_store_flush(st);

	if (!rc)
		rc = key_series_prefix(&prefix, source, measurement);
	if (rc)
		goto out_release;
	pthread_mutex_lock(&st->flush_lock);
	it = leveldb_create_iterator(st->db, st->ropts);
	for (leveldb_iter_seek(it, prefix.buf, prefix.len); !rc && leveldb_iter_valid(it);
	     leveldb_iter_next(it)) {
		size_t klen, vlen;
		const char *k = leveldb_iter_key(it, &klen);
		const char *v = leveldb_iter_value(it, &vlen);

		if (klen < prefix.len || memcmp(k, prefix.buf, prefix.len) != 0)
			break;
		rc = history_entry(k, klen, v, vlen, &series, out);
	}
	leveldb_iter_destroy(it);
	pthread_mutex_unlock(&st->flush_lock);
	if (rc == 1)
		rc = 0;
out_release:
	sbuf_release(&prefix);
	sbuf_release(&series);
	return rc;
}

void rollup_store_stats(struct rollup_store *st, struct rollup_stats *out)
{
	pthread_mutex_lock(&st->flush_lock);
	out->written = st->written;
	out->deleted = st->deleted;
	pthread_mutex_unlock(&st->flush_lock);
	pthread_mutex_lock(&st->queue_lock);
	out->queued = st->nqueue;
	pthread_mutex_unlock(&st->queue_lock);
}
