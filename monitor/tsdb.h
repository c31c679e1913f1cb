/*
 * tsdb.h - the series store: recent samples in memory, minute rollups on disk.
 *
 * A *source* is one reporting VM; it owns its *series* (one per measurement
 * and tag set, as in InfluxDB), each holding one ring of timestamps and one
 * ring of values per field.  Rings hold `window_s / interval_s` samples, so
 * memory per series is fixed once its fields are known.  Every numeric
 * sample (float, integer, unsigned, boolean as 0/1) also feeds the series'
 * open one-minute rollup (count, sum, min, max, last); when a minute closes
 * its rollup goes to LevelDB under the state directory and is kept for
 * `retention_s`.  String fields keep their last value only.
 *
 * Threading: each source has its own mutex, taken by writes and reads of
 * that source only, so ingest for different VMs never contends.  A
 * background thread writes closed minutes (batched), closes the minutes of
 * series that went quiet, and applies retention.  Lock order: the store's
 * source list, a source's lock, the rollup flush lock, the rollup queue
 * lock; only the flush lock is ever held across a LevelDB call.
 *
 * Rollups on disk are merged, never overwritten: a minute written before a
 * restart and completed after it adds up, and a late point lands in the
 * minute it belongs to.
 */
#ifndef BFS_TSDB_H
#define BFS_TSDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sbuf.h"
#include "monitor/lineproto.h"

struct tsdb;
struct tsdb_source;

struct tsdb_opts {
	const char *dir;	/* LevelDB directory for rollups; NULL keeps no history */
	int window_s;		/* recent window kept in memory; default 300 */
	int64_t retention_s;	/* rollups kept this long; default 7 days */
	size_t max_series;	/* across all sources; default 1,000,000 */
	size_t max_series_per_source;	/* default 1024 */
	size_t max_fields_per_series;	/* default 256 */
};

/*
 * Open the store (creating dir when needed) and start its background
 * thread.  0 and *out set, or -errno (-EIO when LevelDB refuses, with its
 * message in *err when err is non-NULL; caller frees *err).
 */
int tsdb_open(const struct tsdb_opts *opts, struct tsdb **out, char **err);
/* Close the open minutes into the store, stop the thread, close LevelDB.
 * Every source must have been freed.  NULL is a no-op. */
void tsdb_close(struct tsdb *db);

/*
 * A new source named `name` (a VM id, copied) whose samples are expected
 * every interval_s seconds (sizes its rings).  NULL when out of memory.
 * Freeing closes its open minutes into the store first.
 */
struct tsdb_source *tsdb_source_new(struct tsdb *db, const char *name, int interval_s);
void tsdb_source_free(struct tsdb_source *src);
/* Write the open minute of every series now (the source is going away,
 * though a reader may still hold it); later samples open new minutes. */
void tsdb_source_close(struct tsdb_source *src);

/*
 * Store one point.  0; -EINVAL with *reason (static or in the source,
 * valid until its next write) for a field whose type conflicts with what
 * the series holds (string vs number) or a limit reached; -ENOMEM.
 * Nothing of a refused point is stored.  Thread-safe.
 */
int tsdb_source_write(struct tsdb_source *src, const struct lineproto_point *pt,
		      const char **reason);

/* Time of the newest sample of any series of `measurement`, or 0. */
int64_t tsdb_source_newest(struct tsdb_source *src, const char *measurement);

/* The sample tsdb_source_latest() reports. */
struct tsdb_latest {
	int64_t time_ns;	/* of the newest sample */
	int64_t period_ns;	/* from the sample before it, 0 when it is the first */
	size_t ntags;		/* of the series chosen */
};

/*
 * Called once per field of the chosen series, in the order fields first
 * appeared: the newest value (a numeric field missing from the newest
 * sample shows its last value in the window), or for strings the last
 * string.  name and str are borrowed for the call only; the source's lock
 * is held, so the callback must not block or call back into the store.
 */
typedef void (*tsdb_value_fn)(void *ctx, const char *name, size_t name_len,
			      bool is_string, double value, const char *str, size_t str_len);

/*
 * The newest sample of `measurement` for this source.  When several series
 * share the measurement (tag sets), the one with the fewest tags wins, the
 * newest among equals.  Returns 0, or -ENOENT when there is no sample.
 */
int tsdb_source_latest(struct tsdb_source *src, const char *measurement,
		       tsdb_value_fn fn, void *ctx, struct tsdb_latest *out);

/* One series as tsdb_source_each() shows it (borrowed for the call). */
struct tsdb_series_view {
	const char *measurement;
	size_t measurement_len;
	const struct lineproto_tag *tags;	/* sorted by key */
	size_t ntags;
	int64_t time_ns;	/* of the newest sample */
};

typedef void (*tsdb_series_fn)(void *ctx, const struct tsdb_series_view *s,
			       const char *field, size_t field_len, double value);

/* Every numeric field's newest value of every series whose newest sample
 * is not older than min_time_ns.  Same locking rules as tsdb_value_fn. */
void tsdb_source_each(struct tsdb_source *src, int64_t min_time_ns, tsdb_series_fn fn, void *ctx);

/* Measurement names of this source, one per line, sorted, into out. */
int tsdb_source_measurements(struct tsdb_source *src, struct sbuf *out);

/*
 * Minute rollups of `measurement` (its series with the fewest tags, as
 * tsdb_source_latest chooses) for source `name`, oldest first, from LevelDB
 * after writing what is queued.  One line per closed minute:
 *   <RFC 3339 minute> samples=<n> <field>_avg=<v> <field>_min=<v> <field>_max=<v> <field>_last=<v> ...
 * Minutes still open are not shown.  0 (possibly no lines), -ENOENT when
 * the store keeps no history, -EIO, -E2BIG when out's ceiling is reached.
 * The source need not be live (history outlives restarts).
 */
int tsdb_history(struct tsdb *db, const char *name, const char *measurement, struct sbuf *out);

/* Write what is queued now (the background thread does it every second). */
int tsdb_flush(struct tsdb *db);
/* Apply retention now (the background thread does it every minute).
 * Returns the number of minute records deleted, or -EIO. */
long tsdb_expire(struct tsdb *db);

struct tsdb_stats {
	size_t sources;
	size_t series;
	size_t fields;		/* field rings across all series */
	size_t bytes;		/* memory held by series (rings, names, tags) */
	uint64_t samples;	/* field values stored since open */
	uint64_t rollups_written;	/* minute records merged into LevelDB */
	uint64_t rollups_deleted;	/* removed by retention */
};
void tsdb_get_stats(struct tsdb *db, struct tsdb_stats *st);

#endif
