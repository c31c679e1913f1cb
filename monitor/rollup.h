/*
 * rollup.h - one-minute rollups (count, sum, min, max, last) in LevelDB.
 *
 * The series store (tsdb) accumulates each series' open minute in memory
 * and hands a closed minute here as a record; records queue in memory and
 * are merged into LevelDB in batches by rollup_store_flush().  Merging (not
 * overwriting) makes a minute that was written before a restart, or
 * completed by a late point, add up correctly.
 *
 * Keys (all lengths big-endian u16, minutes big-endian u64 offset by 2^63
 * so that negative times sort first):
 *   'h' source measurement ntags tags minute  -> record   (history, by series)
 *   't' minute source measurement ntags tags  -> ""       (index for retention)
 * `tags` is the canonical tag set, `k=v` pairs escaped as line protocol and
 * joined by commas; a series' keys therefore sort by time, and the series
 * with the fewest tags of a measurement comes first.
 *
 * Threading: put() may be called from any thread (a short queue lock);
 * flush, expire and history serialise on the store's flush lock, which is
 * the only lock held across LevelDB calls.
 */
#ifndef BFS_ROLLUP_H
#define BFS_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"

#define ROLLUP_MINUTE_NS (60ll * 1000000000)

/* The running aggregate of one field over one minute. */
struct rollup_acc {
	uint32_t count;
	double sum, min, max, last;
	int64_t last_ns;	/* time of `last` */
};

void rollup_acc_add(struct rollup_acc *a, double v, int64_t t_ns);
/* a += b (b's last wins when it is newer). */
void rollup_acc_merge(struct rollup_acc *a, const struct rollup_acc *b);

/* floor(t / 1 minute), correct for negative times. */
int64_t rollup_minute(int64_t t_ns);

struct rollup_field {
	char *name;		/* owned */
	size_t name_len;
	struct rollup_acc acc;
};

/* A closed minute of one series. */
struct rollup_rec {
	char *source, *measurement, *tags;	/* owned, NUL-terminated */
	uint16_t ntags;
	int64_t minute;
	struct rollup_field *fields;	/* owned */
	size_t nfields;
};

/* A new record with copies of the names (fields added by the caller with
 * rollup_rec_add_field).  NULL when out of memory. */
struct rollup_rec *rollup_rec_new(const char *source, const char *measurement, size_t mlen,
				  const char *tags, size_t tlen, uint16_t ntags, int64_t minute);
int rollup_rec_add_field(struct rollup_rec *r, const char *name, size_t len,
			 const struct rollup_acc *acc);
void rollup_rec_free(struct rollup_rec *r);

struct rollup_store;

/* Open or create the LevelDB at dir.  0, -ENOMEM or -EIO (LevelDB's
 * message in *err when err is non-NULL; caller frees). */
int rollup_store_open(const char *dir, int64_t retention_s, struct rollup_store **out,
		      char **err);
/* Flush what is queued, then close.  NULL is a no-op. */
void rollup_store_close(struct rollup_store *st);

/* Queue a record; the store takes it (frees it on failure too).  0 or -ENOMEM. */
int rollup_store_put(struct rollup_store *st, struct rollup_rec *rec);
/* Merge everything queued into LevelDB.  0 or -EIO. */
int rollup_store_flush(struct rollup_store *st);
/* Delete rollups of minutes before now_ns - retention.  Number deleted or -EIO. */
long rollup_store_expire(struct rollup_store *st, int64_t now_ns);

/* History lines of a measurement (see tsdb_history()).  0, -EIO, -E2BIG. */
int rollup_store_history(struct rollup_store *st, const char *source, const char *measurement,
			 struct sbuf *out);

struct rollup_stats {
	uint64_t written;	/* records merged into LevelDB */
	uint64_t deleted;	/* records removed by retention */
	size_t queued;
};
void rollup_store_stats(struct rollup_store *st, struct rollup_stats *out);

#endif
