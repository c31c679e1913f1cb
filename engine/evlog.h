/*
 * evlog.h - an append-only text log kept in memory within a byte budget:
 * the `events` and `calls` files.
 *
 * The file is the retained window of the log.  When the window is full
 * the oldest half is dropped at a line boundary, the way a log is rotated
 * by copy-truncate: `tail -f` sees the file shrink once, says so and goes
 * on following.  `seq` counts every byte ever appended, so a reader can
 * tell that something new arrived (poll()).
 *
 * Thread-safe: an evlog has its own mutex, a leaf in the lock order.
 */
#ifndef BFS_EVLOG_H
#define BFS_EVLOG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/sbuf.h"

struct evlog;

/* A log of at most cap bytes (at least 4 KiB).  NULL on ENOMEM. */
struct evlog *evlog_new(size_t cap);
void evlog_free(struct evlog *l);
/* Append one line, prefixed with the RFC 3339 time; a newline is added and
 * embedded newlines become spaces. */
void evlog_add(struct evlog *l, const char *line);
void evlog_addf(struct evlog *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append a line exactly as given (already timestamped); for fan-out. */
void evlog_add_raw(struct evlog *l, const char *line, size_t len);
/* Current window size in bytes. */
size_t evlog_size(struct evlog *l);
/* Bytes ever appended. */
uint64_t evlog_seq(struct evlog *l);
/* Append bytes [off, off+size) of the window to out. */
void evlog_read(struct evlog *l, off_t off, size_t size, struct sbuf *out);
/* Append every line containing needle (whole window) to out. */
void evlog_grep(struct evlog *l, const char *needle, struct sbuf *out);

#endif
