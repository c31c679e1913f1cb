/*
 * store.h - the engine's key/value store (DESIGN.md section 9).
 *
 * Keys are paths ("cloud/<c>", "group/<g>", "vm/<g>/<v>"), values JSON
 * text.  The store is an interface over backends in a const, versioned
 * table (struct store_backend): the embedded default is LevelDB
 * (store_leveldb.c); an etcd backend shares engines between machines
 * later, without touching callers.  Every write is an atomic batch.
 *
 * Thread-safe: backends accept calls from any thread.
 */
#ifndef BFS_STORE_H
#define BFS_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "lib/sbuf.h"

struct store;

/* One change in a batch: val == NULL deletes key. */
struct store_op {
	const char *key;
	const char *val;
	size_t len;
};

/* Scan callback: key and value are borrowed for the call; nonzero stops. */
typedef int (*store_scan_cb)(void *arg, const char *key, const char *val, size_t len);

#define STORE_BACKEND_VERSION 1

struct store_backend {
	unsigned version;	/* STORE_BACKEND_VERSION */
	size_t size;		/* sizeof(struct store_backend) */
	const char *name;
	/* Open or create at location; on failure a reason in err. */
	int (*open)(const char *location, bool sync, void **db, struct sbuf *err);
	void (*close)(void *db);
	/* *val is malloc'd (caller frees); -ENOENT when absent. */
	int (*get)(void *db, const char *key, char **val, size_t *len);
	int (*write)(void *db, const struct store_op *ops, size_t n, struct sbuf *err);
	/* Keys with the prefix, in key order. */
	int (*scan)(void *db, const char *prefix, store_scan_cb cb, void *arg);
	/* Human-readable flat keyed description for system/store. */
	void (*describe)(void *db, struct sbuf *out);
	/* Try to repair a damaged store at location; NULL when unsupported. */
	int (*repair)(const char *location, struct sbuf *err);
};

extern const struct store_backend store_leveldb;

/*
 * Open the store at uri: "leveldb:DIR" or a bare DIR.  sync makes every
 * batch durable against power loss (a process crash never loses a batch
 * either way).  0 or -errno with the reason in err.
 */
int store_open(const char *uri, bool sync, struct store **out, struct sbuf *err);
void store_close(struct store *s);
int store_get(struct store *s, const char *key, char **val, size_t *len);
int store_put(struct store *s, const char *key, const char *val, size_t len);
int store_del(struct store *s, const char *key);
int store_write(struct store *s, const struct store_op *ops, size_t n, struct sbuf *err);
int store_scan(struct store *s, const char *prefix, store_scan_cb cb, void *arg);
void store_describe(struct store *s, struct sbuf *out);
/* Attempt a repair of uri (for -o repair). */
int store_repair(const char *uri, struct sbuf *err);

#endif
