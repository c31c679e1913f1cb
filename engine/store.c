/*
 * store.c - picks a store backend by URI and forwards to it; see store.h.
 */
#include "engine/store.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct store {
	const struct store_backend *be;
	void *db;
};

static const struct store_backend *const backends[] = { &store_leveldb };

static const struct store_backend *pick(const char *uri, const char **location)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		size_t n = strlen(backends[i]->name);

		if (strncmp(uri, backends[i]->name, n) == 0 && uri[n] == ':') {
			*location = uri + n + 1;
			return backends[i];
		}
	}
	if (strchr(uri, ':') && uri[0] != '/' && uri[0] != '.') {
		*location = NULL;
		return NULL;
	}
	*location = uri;
	return &store_leveldb;
}

int store_open(const char *uri, bool sync, struct store **out, struct sbuf *err)
{
	const char *loc;
	const struct store_backend *be = pick(uri, &loc);
	struct store *s;
	int rc;

	if (!be) {
		sbuf_addf(err, "unknown store backend in '%s'", uri);
		return -EINVAL;
	}
	if (be->version != STORE_BACKEND_VERSION || be->size < sizeof(*be)) {
		sbuf_addf(err, "store backend %s has version %u, this engine needs %u",
			  be->name, be->version, STORE_BACKEND_VERSION);
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->be = be;
	rc = be->open(loc, sync, &s->db, err);
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	s->be->close(s->db);
	free(s);
}

int store_get(struct store *s, const char *key, char **val, size_t *len)
{
	return s->be->get(s->db, key, val, len);
}

int store_write(struct store *s, const struct store_op *ops, size_t n, struct sbuf *err)
{
	return s->be->write(s->db, ops, n, err);
}

int store_put(struct store *s, const char *key, const char *val, size_t len)
{
	struct store_op op = { key, val, len };

	return s->be->write(s->db, &op, 1, NULL);
}

int store_del(struct store *s, const char *key)
{
	struct store_op op = { key, NULL, 0 };

	return s->be->write(s->db, &op, 1, NULL);
}

int store_scan(struct store *s, const char *prefix, store_scan_cb cb, void *arg)
{
	return s->be->scan(s->db, prefix, cb, arg);
}

void store_describe(struct store *s, struct sbuf *out)
{
	s->be->describe(s->db, out);
}

int store_repair(const char *uri, struct sbuf *err)
{
	const char *loc;
	const struct store_backend *be = pick(uri, &loc);

	if (!be || !be->repair) {
		sbuf_addf(err, "store '%s' cannot be repaired", uri);
		return -EOPNOTSUPP;
	}
	return be->repair(loc, err);
}
