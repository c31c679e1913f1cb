/*
 * rollup.c - minute rollups in LevelDB, written blind and merged on read;
 * see rollup.h.
 *
 * A record is built once, already in its on-disk form: the series part of
 * its key and its value share one allocation, so a closed minute costs
 * one malloc and flushing is two LevelDB puts per record in one batch.
 * Reading history merges every record of a minute (normally one; more
 * after a restart or late points).  A value that does not decode is
 * skipped, never trusted: every length is checked against the bytes.
 *
 * Value: u8 version, u16 nfields, then per field: u16 name length, name,
 * u32 count, f64 sum, min, max, last, i64 time of last (little-endian).
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
#define SEQ_LEN 16
#define FIELD_FIXED (2 + 4 + 5 * 8)	/* an encoded field without its name */

struct rollup_rec {
	int64_t minute;
	size_t series_len;		/* the series part of the key, at data[0] */
	size_t val_len, val_cap;	/* the value, at data[series_len] */
	uint16_t nfields;
	unsigned char data[];
};

struct rollup_store {
	leveldb_t *db;
	leveldb_options_t *options;
	leveldb_readoptions_t *ropts;
	leveldb_writeoptions_t *wopts;
	int64_t retention_ns;
	uint64_t instance;		/* this process's part of seq */
	pthread_mutex_t flush_lock;	/* serialises LevelDB work; before queue_lock */
	uint64_t counter;		/* under flush_lock: the other part of seq */
	uint64_t written, deleted;	/* under flush_lock */
	pthread_mutex_t queue_lock;	/* guards queue, nqueue, queue_cap */
	struct rollup_rec **queue;
	size_t nqueue, queue_cap;
};

/* ---- accumulators ------------------------------------------------------------------ */

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

/* ---- byte helpers -------------------------------------------------------------------- */

static unsigned char *put_u16(unsigned char *p, size_t v)
{
	uint16_t be = htobe16((uint16_t)v);

	memcpy(p, &be, 2);
	return p + 2;
}

static unsigned char *put_str16(unsigned char *p, const char *s, size_t n)
{
	p = put_u16(p, n);
	memcpy(p, s, n);
	return p + n;
}

static unsigned char *put_le64(unsigned char *p, uint64_t v)
{
	uint64_t le = htole64(v);

	memcpy(p, &le, 8);
	return p + 8;
}

static unsigned char *put_double(unsigned char *p, double d)
{
	uint64_t bits;

	memcpy(&bits, &d, 8);
	return put_le64(p, bits);
}

static int add_minute(struct sbuf *k, int64_t minute)
{
	uint64_t be = htobe64((uint64_t)minute + MINUTE_BIAS);

	return sbuf_add(k, &be, 8);
}

static int64_t get_minute(const char *p)
{
	uint64_t be;

	memcpy(&be, p, 8);
	return (int64_t)(be64toh(be) - MINUTE_BIAS);
}

/* ---- records ------------------------------------------------------------------------- */

struct rollup_rec *rollup_rec_new(const char *source, const char *measurement, size_t mlen,
				  const char *tags, size_t tlen, uint16_t ntags, int64_t minute,
				  size_t max_fields, size_t names_len)
{
	size_t slen = strlen(source), series = 2 + slen + 2 + mlen + 2 + 2 + tlen;
	size_t val = 3 + max_fields * FIELD_FIXED + names_len;
	struct rollup_rec *r;
	unsigned char *p;

	if (slen > UINT16_MAX || mlen > UINT16_MAX || tlen > UINT16_MAX)
		return NULL;
	r = malloc(sizeof(*r) + series + val);
	if (!r)
		return NULL;
	r->minute = minute;
	r->series_len = series;
	r->val_cap = val;
	r->val_len = 3;
	r->nfields = 0;
	p = put_str16(r->data, source, slen);
	p = put_str16(p, measurement, mlen);
	p = put_u16(p, ntags);
	p = put_str16(p, tags, tlen);
	p[0] = RECORD_VERSION;
	put_u16(p + 1, 0);
	return r;
}

int rollup_rec_add_field(struct rollup_rec *r, const char *name, size_t len,
			 const struct rollup_acc *acc)
{
	unsigned char *v = r->data + r->series_len, *p = v + r->val_len;
	uint32_t count = htole32(acc->count);

	if (len > UINT16_MAX || r->val_len + FIELD_FIXED + len > r->val_cap || r->nfields == UINT16_MAX)
		return -ENOSPC;
	p = put_str16(p, name, len);
	memcpy(p, &count, 4);
	p = put_double(p + 4, acc->sum);
	p = put_double(p, acc->min);
	p = put_double(p, acc->max);
	p = put_double(p, acc->last);
	p = put_le64(p, (uint64_t)acc->last_ns);
	r->val_len = (size_t)(p - v);
	put_u16(v + 1, ++r->nfields);
	return 0;
}

size_t rollup_rec_fields(const struct rollup_rec *r)
{
	return r->nfields;
}

void rollup_rec_free(struct rollup_rec *r)
{
	free(r);
}

/* ---- decoding (history) ------------------------------------------------------------------ */

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

static uint64_t take_le(struct reader *rd, size_t n)
{
	const void *at = take(rd, n);
	uint64_t v = 0;

	if (at)
		memcpy(&v, at, n);
	return n == 8 ? le64toh(v) : le32toh((uint32_t)v);
}

static double take_double(struct reader *rd)
{
	uint64_t bits = take_le(rd, 8);
	double d;

	memcpy(&d, &bits, 8);
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

/* A minute's fields as records of it are merged (growable). */
struct minute {
	struct mfield {
		char *name;
		size_t len;
		struct rollup_acc acc;
	} *f;
	size_t n, cap;
};

static void minute_reset(struct minute *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->f[i].name);
	m->n = 0;
}

static int minute_add(struct minute *m, const char *name, size_t len, const struct rollup_acc *a)
{
	struct mfield *f;

	for (size_t i = 0; i < m->n; i++) {
		if (m->f[i].len == len && memcmp(m->f[i].name, name, len) == 0) {
			rollup_acc_merge(&m->f[i].acc, a);
			return 0;
		}
	}
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;

		f = realloc(m->f, cap * sizeof(*f));
		if (!f)
			return -ENOMEM;
		m->f = f;
		m->cap = cap;
	}
	f = &m->f[m->n];
	f->name = malloc(len + 1);
	if (!f->name)
		return -ENOMEM;
	memcpy(f->name, name, len);
	f->name[len] = '\0';
	f->len = len;
	f->acc = *a;
	m->n++;
	return 0;
}

static int decode_field(struct reader *rd, struct minute *m)
{
	size_t nlen = take_u16(rd);
	const char *name = take(rd, nlen);
	struct rollup_acc a = { 0 };

	a.count = (uint32_t)take_le(rd, 4);
	a.sum = take_double(rd);
	a.min = take_double(rd);
	a.max = take_double(rd);
	a.last = take_double(rd);
	a.last_ns = (int64_t)take_le(rd, 8);
	if (rd->bad || !a.count)
		return rd->bad ? -EINVAL : 0;
	return minute_add(m, name, nlen, &a);
}

/* Merge an encoded value into m; -EINVAL when it is not one of ours. */
static int decode_into(const char *val, size_t len, struct minute *m)
{
	struct reader rd = { (const unsigned char *)val, len, 0 };
	const unsigned char *ver = take(&rd, 1);
	size_t n;
	int rc = 0;

	if (!ver || *ver != RECORD_VERSION)
		return -EINVAL;
	n = take_u16(&rd);
	for (size_t i = 0; !rc && i < n; i++)
		rc = decode_field(&rd, m);
	return rd.bad ? -EINVAL : rc;
}

/* ---- the store --------------------------------------------------------------------------- */

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
	st->instance = (uint64_t)clock_wall_ms() * 1000000 + (uint64_t)(clock_mono_ns() % 1000000);
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
	if (!rc && st->nqueue > ROLLUP_QUEUE_HIGH)
		rc = 1;
	pthread_mutex_unlock(&st->queue_lock);
	if (rc < 0)
		rollup_rec_free(rec);
	return rc;
}

static int add_seq(struct rollup_store *st, struct sbuf *k, uint64_t n)
{
	uint64_t seq[2] = { htobe64(st->instance), htobe64(n) };

	return sbuf_add(k, seq, SEQ_LEN);
}

/* One record as its two puts (same seq).  Called with the flush lock held. */
static int batch_record(struct rollup_store *st, leveldb_writebatch_t *wb,
			const struct rollup_rec *r, struct sbuf *hk, struct sbuf *tk)
{
	uint64_t n = st->counter++;
	int rc;

	sbuf_reset(hk);
	sbuf_reset(tk);
	rc = sbuf_addc(hk, 'h');
	if (!rc)
		rc = sbuf_add(hk, r->data, r->series_len);
	if (!rc)
		rc = add_minute(hk, r->minute);
	if (!rc)
		rc = add_seq(st, hk, n);
	if (!rc)
		rc = sbuf_addc(tk, 't');
	if (!rc)
		rc = add_minute(tk, r->minute);
	if (!rc)
		rc = sbuf_add(tk, r->data, r->series_len);
	if (!rc)
		rc = add_seq(st, tk, n);
	if (rc)
		return rc;
	leveldb_writebatch_put(wb, hk->buf, hk->len, (const char *)r->data + r->series_len,
			       r->val_len);
	leveldb_writebatch_put(wb, tk->buf, tk->len, "", 0);
	return 0;
}

/* At most this many records per LevelDB batch: a batch is copied whole
 * into the memtable, so small batches keep the peak small. */
#define BATCH_RECORDS 2048

static int write_batch(struct rollup_store *st, struct rollup_rec **q, size_t n)
{
	leveldb_writebatch_t *wb = leveldb_writebatch_create();
	struct sbuf hk = SBUF_INIT, tk = SBUF_INIT;
	char *lerr = NULL;
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i++)
		rc = batch_record(st, wb, q[i], &hk, &tk);
	if (!rc)
		leveldb_write(st->db, st->wopts, wb, &lerr);
	if (lerr) {
		leveldb_free(lerr);
		rc = -EIO;
	}
	leveldb_writebatch_destroy(wb);
	sbuf_release(&hk);
	sbuf_release(&tk);
	if (!rc)
		st->written += n;
	return rc;
}

static int write_records(struct rollup_store *st, struct rollup_rec **q, size_t n)
{
	int rc = 0;

	for (size_t i = 0; i < n && !rc; i += BATCH_RECORDS)
		rc = write_batch(st, q + i, n - i < BATCH_RECORDS ? n - i : BATCH_RECORDS);
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

/* The 'h' key of a 't' key: 'h' series minute seq from 't' minute series seq. */
static int history_key_of(const char *ik, size_t ilen, struct sbuf *hk)
{
	if (ilen < 1 + 8 + SEQ_LEN)
		return -EINVAL;
	if (sbuf_addc(hk, 'h') || sbuf_add(hk, ik + 9, ilen - 9 - SEQ_LEN) ||
	    sbuf_add(hk, ik + 1, 8) || sbuf_add(hk, ik + ilen - SEQ_LEN, SEQ_LEN))
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
	add_minute(&cut, rollup_minute(now_ns - st->retention_ns));
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

/* ---- history ------------------------------------------------------------------------------- */

static int append_stat(struct sbuf *out, const struct mfield *f, const char *what, double v)
{
	int rc = sbuf_addf(out, " %.*s_%s=", (int)f->len, f->name, what);

	return rc ? rc : numfmt_double(out, v);
}

static int history_line(struct sbuf *out, int64_t minute, const struct minute *m)
{
	char when[40];
	uint32_t samples = 0;
	int rc;

	for (size_t i = 0; i < m->n; i++)
		samples = m->f[i].acc.count > samples ? m->f[i].acc.count : samples;
	clock_rfc3339(minute * 60000, 0, when, sizeof(when));
	rc = sbuf_addf(out, "%s samples=%u", when, samples);
	for (size_t i = 0; !rc && i < m->n; i++) {
		const struct mfield *f = &m->f[i];

		rc = append_stat(out, f, "avg", f->acc.sum / f->acc.count);
		if (!rc)
			rc = append_stat(out, f, "min", f->acc.min);
		if (!rc)
			rc = append_stat(out, f, "max", f->acc.max);
		if (!rc)
			rc = append_stat(out, f, "last", f->acc.last);
	}
	return rc ? rc : sbuf_addc(out, '\n');
}

/* Where a history scan is: the series pinned, the minute being merged. */
struct scan {
	struct sbuf series;	/* key up to the minute, of the first series seen */
	int64_t minute;
	struct minute m;
};

static int scan_flush(struct scan *sc, struct sbuf *out)
{
	int rc = sc->m.n ? history_line(out, sc->minute, &sc->m) : 0;

	minute_reset(&sc->m);
	return rc;
}

/* One key: merge it into the current minute, or end that minute first.
 * Returns 1 when the key belongs to another tag set (the scan ends). */
static int scan_entry(struct scan *sc, const char *k, size_t klen, const char *v, size_t vlen,
		      struct sbuf *out)
{
	size_t series_len = klen >= 8 + SEQ_LEN ? klen - 8 - SEQ_LEN : 0;
	int64_t minute;
	int rc = 0;

	if (!series_len)
		return 1;
	if (!sc->series.len && sbuf_add(&sc->series, k, series_len))
		return -ENOMEM;
	if (series_len != sc->series.len || memcmp(k, sc->series.buf, series_len) != 0)
		return 1;
	minute = get_minute(k + series_len);
	if (sc->m.n && minute != sc->minute)
		rc = scan_flush(sc, out);
	sc->minute = minute;
	if (!rc)
		decode_into(v, vlen, &sc->m);	/* an unreadable record is skipped */
	return rc;
}

static int series_prefix(struct sbuf *p, const char *source, const char *measurement)
{
	size_t sl = strlen(source), ml = strlen(measurement);
	unsigned char hdr[2];
	int rc;

	if (sl > UINT16_MAX || ml > UINT16_MAX)
		return -EINVAL;
	rc = sbuf_addc(p, 'h');
	put_u16(hdr, sl);
	if (!rc)
		rc = sbuf_add(p, hdr, 2);
	if (!rc)
		rc = sbuf_add(p, source, sl);
	put_u16(hdr, ml);
	if (!rc)
		rc = sbuf_add(p, hdr, 2);
	return rc ? rc : sbuf_add(p, measurement, ml);
}

int rollup_store_history(struct rollup_store *st, const char *source, const char *measurement,
			 struct sbuf *out)
{
	struct sbuf prefix = SBUF_INIT;
	struct scan sc = { .series = SBUF_INIT };
	leveldb_iterator_t *it;
	int rc = rollup_store_flush(st);

	if (!rc)
		rc = series_prefix(&prefix, source, measurement);
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
		rc = scan_entry(&sc, k, klen, v, vlen, out);
	}
	leveldb_iter_destroy(it);
	pthread_mutex_unlock(&st->flush_lock);
	if (rc >= 0)
		rc = scan_flush(&sc, out);
out_release:
	minute_reset(&sc.m);
	free(sc.m.f);
	sbuf_release(&sc.series);
	sbuf_release(&prefix);
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
