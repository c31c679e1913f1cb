/*
 * rollup.h - one-minute rollups (count, sum, min, max, last) in LevelDB.
 *
 * The series store (tsdb) accumulates each series' open minute in memory
 * and hands a closed minute here as a record, encoded at once into one
 * allocation; records queue in memory and are written to LevelDB in
 * batches by rollup_store_flush().  Writes are blind: every record gets a
 * key of its own (a per-process id and a counter after the minute), and a
 * reader merges all records of a minute.  So a minute written before a
 * restart and completed after it, or completed by a late point, adds up,
 * and flushing never has to read.
 *
 * Keys (lengths big-endian u16; minutes big-endian u64 offset by 2^63 so
 * that negative times sort first; seq = 8-byte process id + 8-byte counter):
 *   'h' source measurement ntags tags minute seq  -> record   (history)
 *   't' minute source measurement ntags tags seq  -> ""       (retention index)
 * `tags` is the canonical tag set, `k=v` pairs escaped as line protocol and
 * joined by commas; a series' keys sort by time, and the series with the
 * fewest tags of a measurement comes first.
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

/* A closed minute of one series, encoded; opaque. */
struct rollup_rec;

/*
 * A new record for at most max_fields fields whose names add up to
 * names_len bytes (one allocation).  NULL when out of memory or when a
 * name is longer than 65535 bytes.
 */
struct rollup_rec *rollup_rec_new(const char *source, const char *measurement, size_t mlen,
				  const char *tags, size_t tlen, uint16_t ntags, int64_t minute,
				  size_t max_fields, size_t names_len);
/* Append a field.  0, or -ENOSPC past what rollup_rec_new() reserved. */
int rollup_rec_add_field(struct rollup_rec *r, const char *name, size_t len,
			 const struct rollup_acc *acc);
/* Fields added so far. */
size_t rollup_rec_fields(const struct rollup_rec *r);
void rollup_rec_free(struct rollup_rec *r);

struct rollup_store;

/* Open or create the LevelDB at dir.  0, -ENOMEM or -EIO (LevelDB's
 * message in *err when err is non-NULL; caller frees). */
int rollup_store_open(const char *dir, int64_t retention_s, struct rollup_store **out,
		      char **err);
/* Flush what is queued, then close.  NULL is a no-op. */
void rollup_store_close(struct rollup_store *st);

/* Records queued beyond which writers are asked to flush themselves. */
#define ROLLUP_QUEUE_HIGH 20000

/* Queue a record; the store takes it (frees it on failure too).  0, 1 when
 * the queue passed ROLLUP_QUEUE_HIGH (the caller should flush once it holds
 * no lock: that is the back-pressure that keeps the queue bounded), or
 * -ENOMEM. */
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
