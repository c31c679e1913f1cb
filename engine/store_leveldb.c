/*
 * store_leveldb.c - the embedded store backend on LevelDB's C API.
 *
 * LevelDB hands every batch to the OS before Write() returns, so a killed
 * process loses nothing; `sync` adds an fsync per batch for power loss.
 * The engine batches its writes (engine/persist.c), so fsync costs one
 * flush per batch, not per record.
 */
#include "engine/store.h"

#include <errno.h>
#include <leveldb/c.h>
#include <stdlib.h>
#include <string.h>

struct ldb {
	leveldb_t *db;
	leveldb_options_t *opts;
	leveldb_readoptions_t *ropts;
	leveldb_writeoptions_t *wopts;
	char *path;
};

static int ldb_fail(struct sbuf *err, const char *what, char *lerr)
{
	if (err)
		sbuf_addf(err, "%s: %s", what, lerr ? lerr : "unknown error");
	leveldb_free(lerr);
	return -EIO;
}

static void ldb_close(void *p)
{
	struct ldb *l = p;

	if (!l)
		return;
	if (l->db)
		leveldb_close(l->db);
	leveldb_options_destroy(l->opts);
	leveldb_readoptions_destroy(l->ropts);
	leveldb_writeoptions_destroy(l->wopts);
	free(l->path);
	free(l);
}

static int ldb_open(const char *location, bool sync, void **db, struct sbuf *err)
{
	struct ldb *l = calloc(1, sizeof(*l));
	char *lerr = NULL;

	if (!l)
		return -ENOMEM;
	l->path = strdup(location);
	l->opts = leveldb_options_create();
	l->ropts = leveldb_readoptions_create();
	l->wopts = leveldb_writeoptions_create();
	leveldb_options_set_create_if_missing(l->opts, 1);
	leveldb_options_set_paranoid_checks(l->opts, 1);
	/* Records are small and written in batches: a 1 MiB memtable (not the
	 * default 4) keeps the engine's memory per VM down at no cost in speed. */
	leveldb_options_set_write_buffer_size(l->opts, 1u << 20);
	leveldb_writeoptions_set_sync(l->wopts, sync);
	leveldb_readoptions_set_verify_checksums(l->ropts, 1);
	l->db = leveldb_open(l->opts, location, &lerr);
	if (!l->db) {
		int rc = ldb_fail(err, location, lerr);

		ldb_close(l);
		return rc;
	}
	*db = l;
	return 0;
}

static int ldb_get(void *p, const char *key, char **val, size_t *len)
{
	struct ldb *l = p;
	char *lerr = NULL;
	size_t n = 0;
	char *v = leveldb_get(l->db, l->ropts, key, strlen(key), &n, &lerr);

	if (lerr)
		return ldb_fail(NULL, key, lerr);
	if (!v)
		return -ENOENT;
	*val = malloc(n + 1);
	if (!*val) {
		leveldb_free(v);
		return -ENOMEM;
	}
	memcpy(*val, v, n);
	(*val)[n] = '\0';
	if (len)
		*len = n;
	leveldb_free(v);
	return 0;
}

static int ldb_write(void *p, const struct store_op *ops, size_t n, struct sbuf *err)
{
	struct ldb *l = p;
	leveldb_writebatch_t *b = leveldb_writebatch_create();
	char *lerr = NULL;

	for (size_t i = 0; i < n; i++) {
		if (ops[i].val)
			leveldb_writebatch_put(b, ops[i].key, strlen(ops[i].key), ops[i].val,
					       ops[i].len);
		else
			leveldb_writebatch_delete(b, ops[i].key, strlen(ops[i].key));
	}
	leveldb_write(l->db, l->wopts, b, &lerr);
	leveldb_writebatch_destroy(b);
	if (lerr)
		return ldb_fail(err, "store write", lerr);
	return 0;
}

static int ldb_scan(void *p, const char *prefix, store_scan_cb cb, void *arg)
{
	struct ldb *l = p;
	leveldb_iterator_t *it = leveldb_create_iterator(l->db, l->ropts);
	size_t plen = strlen(prefix);
	char *lerr = NULL;
	int rc = 0;

	for (leveldb_iter_seek(it, prefix, plen); leveldb_iter_valid(it); leveldb_iter_next(it)) {
		size_t klen, vlen;
		const char *k = leveldb_iter_key(it, &klen);
		const char *v = leveldb_iter_value(it, &vlen);
		char *key;

		if (klen < plen || memcmp(k, prefix, plen) != 0)
			break;
		key = strndup(k, klen);
		if (!key) {
			rc = -ENOMEM;
			break;
		}
		rc = cb(arg, key, v, vlen);
		free(key);
		if (rc)
			break;
	}
	leveldb_iter_get_error(it, &lerr);
	leveldb_iter_destroy(it);
	if (lerr)
		return ldb_fail(NULL, "store scan", lerr);
	return rc < 0 ? rc : 0;
}

static void ldb_describe(void *p, struct sbuf *out)
{
	struct ldb *l = p;
	char *size = leveldb_property_value(l->db, "leveldb.approximate-memory-usage");

	sbuf_addf(out, "backend leveldb\npath %s\nmemory_bytes %s\n", l->path,
		  size ? size : "0");
	leveldb_free(size);
}

static int ldb_repair(const char *location, struct sbuf *err)
{
	leveldb_options_t *o = leveldb_options_create();
	char *lerr = NULL;

	leveldb_repair_db(o, location, &lerr);
	leveldb_options_destroy(o);
	if (lerr)
		return ldb_fail(err, "repair", lerr);
	return 0;
}

const struct store_backend store_leveldb = {
	.version = STORE_BACKEND_VERSION,
	.size = sizeof(struct store_backend),
	.name = "leveldb",
	.open = ldb_open,
	.close = ldb_close,
	.get = ldb_get,
	.write = ldb_write,
	.scan = ldb_scan,
	.describe = ldb_describe,
	.repair = ldb_repair,
};
