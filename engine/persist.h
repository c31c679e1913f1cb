/*
 * persist.h - write-behind of the engine's records to the store.
 *
 * The model marks a record dirty (persist_mark, under the model lock) and
 * goes on; one writer thread gathers the dirty keys, serialises each one
 * under the model lock (so the store always gets the latest state), and
 * writes them all in one atomic batch outside it.  Intent-first code waits
 * for the generation its mark returned (persist_wait) before it calls a
 * cloud.  Batching makes thousands of VM records one store write, and
 * keeps store I/O (later: etcd round trips) out of the model lock.
 *
 * Lock order: the model lock, then the persist lock.  The writer never
 * holds its own lock while taking the model lock.
 */
#ifndef BFS_PERSIST_H
#define BFS_PERSIST_H

#include <pthread.h>
#include <stdint.h>

#include "engine/store.h"
#include "lib/sbuf.h"

struct persist;

/* Serialise the record at key into out: 0, or -ENOENT when it no longer
 * exists (the key is deleted).  Called with the model lock held. */
typedef int (*persist_ser_fn)(void *arg, const char *key, struct sbuf *out);

struct persist *persist_new(struct store *s, pthread_mutex_t *model_lock, persist_ser_fn fn,
			    void *arg);
/* Write what is dirty, stop the writer, free. */
void persist_free(struct persist *p);
/* key is dirty; returns its generation.  Caller holds the model lock. */
uint64_t persist_mark(struct persist *p, const char *key);
/* Block until generation gen is written: 0 or the store's -errno.  Never
 * with the model lock held. */
int persist_wait(struct persist *p, uint64_t gen);
/* Everything marked so far is written. */
int persist_flush(struct persist *p);
/* Writes and batches so far. */
void persist_counts(struct persist *p, uint64_t *records, uint64_t *batches);

#endif
