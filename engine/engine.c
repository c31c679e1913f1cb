/*
 * engine.c - the engine handle: opening the state directory and the store,
 * the object registry (ids, sorted children), navigation for fronts,
 * events, change notices, persistence glue, and the ticker thread that
 * drives background duties (health checks, catalog refresh, polls,
 * timeouts).
 *
 * Start-up order matters: load every record first, then start the ticker
 * and queue recovery, so that no task sees a half-loaded model.  A record
 * that cannot be parsed is reported and skipped, never deleted: the store
 * keeps it for a later version or a human to look at.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "engine/crypt.h"
#include "engine/notify.h"
#include "engine/persist.h"
#include "engine/vmmon.h"
#include "lib/clock.h"

#define STORE_FORMAT 1

/* ---- sorted object vectors ------------------------------------------------- */

static size_t objvec_pos(const struct objvec *v, const char *name, bool *found)
{
	size_t lo = 0, hi = v->n;

	*found = false;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(v->v[mid]->name, name);

		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int objvec_insert(struct objvec *v, struct obj *o)
{
	bool found;
	size_t at = objvec_pos(v, o->name, &found);

	if (found)
		return -EEXIST;
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8;
		struct obj **p = realloc(v->v, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		v->v = p;
		v->cap = cap;
	}
	memmove(v->v + at + 1, v->v + at, (v->n - at) * sizeof(*v->v));
	v->v[at] = o;
	v->n++;
	return 0;
}

void objvec_remove(struct objvec *v, struct obj *o)
{
	bool found;
	size_t at = objvec_pos(v, o->name, &found);

	if (!found)
		return;
	memmove(v->v + at, v->v + at + 1, (v->n - at - 1) * sizeof(*v->v));
	v->n--;
}

struct obj *objvec_find(const struct objvec *v, const char *name)
{
	bool found;
	size_t at = objvec_pos(v, name, &found);

	return found ? v->v[at] : NULL;
}

void objvec_release(struct objvec *v)
{
	free(v->v);
	v->v = NULL;
	v->n = v->cap = 0;
}

/* ---- objects ---------------------------------------------------------------- */

int eng_obj_init(struct engine *e, struct obj *o, enum eng_kind kind, uint64_t parent,
		 const char *name, uid_t uid, gid_t gid)
{
	o->name = strdup(name);
	if (!o->name)
		return -ENOMEM;
	o->id = e->next_id++;
	o->kind = kind;
	o->parent = parent;
	o->uid = uid;
	o->gid = gid;
	o->ctime_ms = o->mtime_ms = o->cmtime_ms = clock_wall_ms();
	if (idmap_put(&e->ids, o->id, o) != 0) {
		free(o->name);
		o->name = NULL;
		return -ENOMEM;
	}
	return 0;
}

void eng_obj_release(struct engine *e, struct obj *o)
{
	idmap_del(&e->ids, o->id);
	free(o->name);
	o->name = NULL;
}

void eng_touch(struct engine *e, struct obj *o, unsigned flags)
{
	struct eng_change c = { .id = o->id, .parent = o->parent, .kind = o->kind, .flags = flags };

	o->mtime_ms = clock_wall_ms();
	if (flags & ENG_CHG_CHILDREN)
		o->cmtime_ms = o->mtime_ms;
	notify_post(e->notify, &c);
}

void eng_removed(struct engine *e, struct obj *o)
{
	struct eng_change c = {
		.id = o->id, .parent = o->parent, .kind = o->kind, .flags = ENG_CHG_REMOVED,
	};
	struct obj *parent = idmap_get(&e->ids, o->parent);

	snprintf(c.name, sizeof(c.name), "%s", o->name);
	notify_post(e->notify, &c);
	if (parent)
		eng_touch(e, parent, ENG_CHG_CHILDREN);
}

void eng_set_str(char **slot, const char *s)
{
	char *copy = s ? strdup(s) : NULL;

	free(*slot);
	*slot = copy;
}

void eng_event(struct engine *e, struct group *g, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	struct sbuf line = SBUF_INIT;
	char ts[40];
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < sb.len; i++) {
		if (sb.buf[i] == '\n' || sb.buf[i] == '\r')
			sb.buf[i] = ' ';
	}
	sbuf_addf(&line, "%s %s\n", clock_rfc3339(clock_wall_ms(), 1, ts, sizeof(ts)),
		  sbuf_str(&sb));
	evlog_add_raw(e->events, line.buf, line.len);
	notify_post(e->notify, &(struct eng_change){ .id = ENG_ROOT_ID, .kind = EK_ROOT,
						     .flags = ENG_CHG_EVENTS });
	if (g) {
		evlog_add_raw(g->events, line.buf, line.len);
		notify_post(e->notify, &(struct eng_change){ .id = g->o.id, .parent = ENG_ROOT_ID,
							     .kind = EK_GROUP,
							     .flags = ENG_CHG_EVENTS });
	}
	sbuf_release(&line);
	sbuf_release(&sb);
}

uint64_t eng_dirty(struct engine *e, const char *fmt, ...)
{
	struct sbuf key = SBUF_INIT;
	uint64_t gen;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&key, fmt, ap);
	va_end(ap);
	gen = persist_mark(e->persist, sbuf_str(&key));
	sbuf_release(&key);
	return gen;
}

int eng_persist_wait(struct engine *e, uint64_t gen)
{
	return persist_wait(e->persist, gen);
}

int eng_submit(struct engine *e, struct cloud *c, int64_t when_ms, wpool_fn fn, void *arg)
{
	return wpool_submit(e->pool, c ? c->lane : NULL, when_ms, fn, arg);
}

struct cloud *eng_cloud(struct engine *e, const char *name)
{
	return (struct cloud *)objvec_find(&e->clouds, name);
}

struct group *eng_group(struct engine *e, const char *name)
{
	return (struct group *)objvec_find(&e->groups, name);
}

/* ---- persistence: key → record --------------------------------------------- */

static int serialize(void *arg, const char *key, struct sbuf *out)
{
	struct engine *e = arg;
	char gname[256];
	const char *slash;
	struct group *g;

	if (strncmp(key, "cloud/", 6) == 0) {
		struct cloud *c = eng_cloud(e, key + 6);

		if (!c)
			return -ENOENT;
		cloud_serialize(e, c, out);
		return 0;
	}
	if (strncmp(key, "cred/", 5) == 0) {
		struct cloud *c = eng_cloud(e, key + 5);

		return c ? cloud_serialize_cred(e, c, out) : -ENOENT;
	}
	if (strncmp(key, "group/", 6) == 0) {
		g = eng_group(e, key + 6);
		if (!g)
			return -ENOENT;
		group_serialize(e, g, out);
		return 0;
	}
	if (strncmp(key, "vm/", 3) != 0 || !(slash = strchr(key + 3, '/')) ||
	    (size_t)(slash - key - 3) >= sizeof(gname))
		return -ENOENT;
	snprintf(gname, sizeof(gname), "%.*s", (int)(slash - key - 3), key + 3);
	g = eng_group(e, gname);
	if (!g)
		return -ENOENT;
	{
		struct vm *v = (struct vm *)objvec_find(&g->vms, slash + 1);

		if (!v)
			return -ENOENT;
		vm_serialize(e, v, out);
	}
	return 0;
}

/* ---- loading ------------------------------------------------------------------ */

struct load_ctx {
	struct engine *e;
	unsigned bad;
};

static void bad_record(struct load_ctx *lc, const char *key, const char *why)
{
	lc->bad++;
	eng_event(lc->e, NULL, "store record %s skipped: %s (kept in the store untouched)", key,
		  why);
	fprintf(stderr, "baristafs: store record %s skipped: %s\n", key, why);
}

static json_t *parse_record(struct load_ctx *lc, const char *key, const char *val, size_t len)
{
	json_error_t jerr;
	json_t *j = json_loadb(val, len, 0, &jerr);

	if (!j || !json_is_object(j)) {
		bad_record(lc, key, j ? "not an object" : jerr.text);
		json_decref(j);
		return NULL;
	}
	return j;
}

static int load_cloud(void *arg, const char *key, const char *val, size_t len)
{
	struct load_ctx *lc = arg;
	json_t *rec = parse_record(lc, key, val, len);
	char *sealed = NULL;
	struct sbuf ck = SBUF_INIT;

	if (!rec)
		return 0;
	sbuf_addf(&ck, "cred/%s", key + 6);
	if (store_get(lc->e->store, ck.buf, &sealed, NULL) != 0)
		sealed = NULL;
	if (cloud_load(lc->e, key + 6, rec, sealed) != 0)
		bad_record(lc, key, "invalid cloud record");
	free(sealed);
	sbuf_release(&ck);
	json_decref(rec);
	return 0;
}

static int load_group(void *arg, const char *key, const char *val, size_t len)
{
	struct load_ctx *lc = arg;
	json_t *rec = parse_record(lc, key, val, len);

	if (rec && group_load(lc->e, key + 6, rec) != 0)
		bad_record(lc, key, "invalid group record");
	json_decref(rec);
	return 0;
}

static int load_vm(void *arg, const char *key, const char *val, size_t len)
{
	struct load_ctx *lc = arg;
	const char *slash = strchr(key + 3, '/');
	json_t *rec;
	struct group *g;
	char gname[256];

	if (!slash || (size_t)(slash - key - 3) >= sizeof(gname)) {
		bad_record(lc, key, "malformed key");
		return 0;
	}
	snprintf(gname, sizeof(gname), "%.*s", (int)(slash - key - 3), key + 3);
	g = eng_group(lc->e, gname);
	if (!g) {
		bad_record(lc, key, "its group is missing");
		return 0;
	}
	rec = parse_record(lc, key, val, len);
	if (rec && vm_load(lc->e, g, slash + 1, rec) != 0)
		bad_record(lc, key, "invalid VM record");
	json_decref(rec);
	return 0;
}

static int check_meta(struct engine *e, struct sbuf *err)
{
	char *val = NULL;
	unsigned char raw[16];
	int format, rc;

	if (store_get(e->store, "meta/format", &val, NULL) == 0) {
		format = atoi(val);
		free(val);
		if (format > STORE_FORMAT) {
			sbuf_addf(err, "the state in %s was written by a newer baristafs (format %d, "
				  "this one reads up to %d)", e->state_dir, format, STORE_FORMAT);
			return -EPROTO;
		}
	} else {
		rc = store_put(e->store, "meta/format", "1", 1);
		if (rc)
			return rc;
	}
	if (store_get(e->store, "meta/instance", &val, NULL) == 0 && strlen(val) == 32) {
		memcpy(e->instance, val, 33);
		free(val);
		return 0;
	}
	free(val);
	RAND_bytes(raw, sizeof(raw));
	for (int i = 0; i < 16; i++)
		snprintf(e->instance + 2 * i, 3, "%02x", raw[i]);
	return store_put(e->store, "meta/instance", e->instance, 32);
}

static int load_all(struct engine *e)
{
	struct load_ctx lc = { .e = e };
	int rc;

	pthread_mutex_lock(&e->lock);
	rc = store_scan(e->store, "cloud/", load_cloud, &lc);
	if (!rc)
		rc = store_scan(e->store, "group/", load_group, &lc);
	if (!rc)
		rc = store_scan(e->store, "vm/", load_vm, &lc);
	for (size_t i = 0; !rc && i < e->groups.n; i++)
		group_batches_rebuild(e, (struct group *)e->groups.v[i]);
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* ---- the ticker ----------------------------------------------------------------- */

static void tick(struct engine *e)
{
	int64_t now = clock_mono_ms(), wall = clock_wall_ms();

	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->clouds.n; i++)
		cloud_tick(e, (struct cloud *)e->clouds.v[i], now);
	for (size_t i = 0; i < e->groups.n; i++) {
		struct group *g = (struct group *)e->groups.v[i];

		for (size_t j = 0; j < g->vms.n; j++) {
			struct vm *v = (struct vm *)g->vms.v[j];
			struct cloud *c;

			if (v->action == ACT_NONE)
				continue;
			c = eng_cloud(e, v->cloud);
			vm_check_timeout(e, v, wall, c ? c->action_timeout_ms : 900000);
		}
	}
	pthread_mutex_unlock(&e->lock);
}

static void *ticker(void *arg)
{
	struct engine *e = arg;
	struct timespec ts;

	pthread_mutex_lock(&e->tick_lock);
	while (!e->stopping) {
		pthread_mutex_unlock(&e->tick_lock);
		tick(e);
		pthread_mutex_lock(&e->tick_lock);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250 * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		if (!e->stopping)
			pthread_cond_timedwait(&e->tick_cv, &e->tick_lock, &ts);
	}
	pthread_mutex_unlock(&e->tick_lock);
	return NULL;
}

static void recover_all(struct engine *e)
{
	unsigned n = 0;

	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->groups.n; i++) {
		struct group *g = (struct group *)e->groups.v[i];

		for (size_t j = 0; j < g->vms.n; j++) {
			struct vm *v = (struct vm *)g->vms.v[j];

			if (v->action != ACT_NONE || vmstat_transitional(v->status)) {
				vm_recover(e, v);
				n++;
			}
		}
	}
	if (n)
		eng_event(e, NULL, "recovery: %u VMs were in flight; asking their clouds", n);
	pthread_mutex_unlock(&e->lock);
}

/* ---- open / close ---------------------------------------------------------------- */

static int make_dirs(const char *path, struct sbuf *err)
{
	char *p = strdup(path);
	struct stat st;
	int rc = 0;

	for (char *s = p + 1; p && *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) != 0 && errno != EEXIST)
			rc = -errno;
		*s = '/';
	}
	if (!rc && mkdir(path, 0700) != 0 && errno != EEXIST)
		rc = -errno;
	free(p);
	if (!rc && (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)))
		rc = -ENOTDIR;
	if (rc)
		sbuf_addf(err, "cannot use state directory %s: %s", path, strerror(-rc));
	return rc;
}

static int open_store(struct engine *e, const struct engine_opts *o, struct sbuf *err)
{
	struct sbuf uri = SBUF_INIT;
	struct sbuf why = SBUF_INIT;
	int rc;

	if (o->store_uri)
		sbuf_adds(&uri, o->store_uri);
	else
		sbuf_addf(&uri, "leveldb:%s/store", e->state_dir);
	if (o->repair) {
		rc = store_repair(uri.buf, &why);
		fprintf(stderr, "baristafs: repair of %s: %s\n", uri.buf,
			rc ? sbuf_str(&why) : "done");
		sbuf_reset(&why);
	}
	/* A baristafs that was just unmounted may still be letting go of the
	 * store: give it a few seconds before calling the directory busy. */
	for (int64_t end = clock_mono_ms() + 10000;; clock_sleep_ms(100)) {
		sbuf_reset(&why);
		rc = store_open(uri.buf, o->fsync, &e->store, &why);
		if (!rc || !strstr(sbuf_str(&why), "lock ") || clock_mono_ms() > end)
			break;
	}
	if (rc && strstr(sbuf_str(&why), "lock "))
		sbuf_addf(err, "the state directory %s is in use by another baristafs (%s)",
			  e->state_dir, sbuf_str(&why));
	else if (rc)
		sbuf_addf(err, "cannot open the state store %s: %s (if it is damaged, "
			  "-o repair tries to recover it)", uri.buf, sbuf_str(&why));
	sbuf_release(&why);
	sbuf_release(&uri);
	return rc;
}

static int engine_start(struct engine *e, const struct engine_opts *o, struct sbuf *err)
{
	struct sbuf keyfile = SBUF_INIT;
	int rc;

	rc = make_dirs(e->state_dir, err);
	if (rc)
		return rc;
	sbuf_addf(&keyfile, "%s/credential.key", e->state_dir);
	rc = crypt_key_load(keyfile.buf, e->key, err);
	sbuf_release(&keyfile);
	if (rc)
		return rc;
	rc = open_store(e, o, err);
	if (!rc)
		rc = check_meta(e, err);
	if (rc)
		return rc;
	e->drivers = drvload_new(e->driver_dir);
	e->pool = wpool_new(o->workers > 0 ? o->workers : 64);
	e->persist = persist_new(e->store, &e->lock, serialize, e);
	if (!e->drivers || !e->pool || !e->persist) {
		sbuf_adds(err, "out of memory or threads starting the engine");
		return -ENOMEM;
	}
	rc = vmmon_open(e, o, err);
	if (rc)
		return rc;
	rc = load_all(e);
	if (rc) {
		sbuf_addf(err, "cannot read the state store: %s", strerror(-rc));
		return rc;
	}
	if (pthread_create(&e->ticker, NULL, ticker, e) != 0) {
		sbuf_adds(err, "cannot start the engine's ticker thread");
		return -EAGAIN;
	}
	recover_all(e);
	return 0;
}

int engine_open(const struct engine_opts *o, struct engine **out, struct sbuf *err)
{
	struct engine *e = calloc(1, sizeof(*e));
	int rc;

	if (!e)
		return -ENOMEM;
	pthread_mutex_init(&e->lock, NULL);
	pthread_mutex_init(&e->tick_lock, NULL);
	pthread_cond_init(&e->tick_cv, NULL);
	e->state_dir = strdup(o->state_dir);
	e->driver_dir = strdup(o->driver_dir);
	e->wait_timeout_ms = o->wait_timeout_ms > 0 ? o->wait_timeout_ms : 600000;
	e->next_id = ENG_ROOT_ID + 1;
	e->root = (struct obj){ .id = ENG_ROOT_ID, .kind = EK_ROOT, .uid = o->uid, .gid = o->gid };
	e->root.ctime_ms = e->root.mtime_ms = e->root.cmtime_ms = clock_wall_ms();
	e->root.name = strdup("");
	e->events = evlog_new(ENGINE_EVENTS_BYTES);
	e->notify = notify_new();
	if (!e->events || !e->notify || !e->state_dir || !e->driver_dir ||
	    idmap_put(&e->ids, ENG_ROOT_ID, &e->root) != 0) {
		engine_close(e);
		return -ENOMEM;
	}
	rc = engine_start(e, o, err);
	if (rc) {
		engine_close(e);
		return rc;
	}
	eng_event(e, NULL, "engine started: state %s, drivers %s", e->state_dir, e->driver_dir);
	*out = e;
	return 0;
}

void engine_close(struct engine *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&e->tick_lock);
	e->stopping = true;
	pthread_cond_signal(&e->tick_cv);
	pthread_mutex_unlock(&e->tick_lock);
	if (e->ticker)
		pthread_join(e->ticker, NULL);
	if (e->notify)
		notify_set(e->notify, NULL, NULL);
	wpool_free(e->pool);	/* running tasks finish; queued ones are cancelled */
	e->pool = NULL;		/* it freed every lane: clouds must not retire theirs */
	persist_free(e->persist); /* flushes what they left dirty */
	for (size_t i = 0; i < e->groups.n; i++)
		group_free(e, (struct group *)e->groups.v[i]);
	for (size_t i = 0; i < e->clouds.n; i++)
		cloud_free(e, (struct cloud *)e->clouds.v[i]);
	objvec_release(&e->groups);
	objvec_release(&e->clouds);
	vmmon_close(e);		/* after every VM let go of its monitor entry */
	store_close(e->store);
	drvload_free(e->drivers);
	notify_free(e->notify);
	evlog_free(e->events);
	idmap_release(&e->ids);
	intern_release(&e->strings);
	free(e->root.name);
	free(e->state_dir);
	free(e->driver_dir);
	pthread_cond_destroy(&e->tick_cv);
	pthread_mutex_destroy(&e->tick_lock);
	pthread_mutex_destroy(&e->lock);
	free(e);
}

/* ---- navigation --------------------------------------------------------------- */

static void fill_attr(const struct obj *o, struct eng_attr *a)
{
	*a = (struct eng_attr){ .id = o->id, .parent = o->parent, .kind = o->kind,
				.uid = o->uid, .gid = o->gid, .ctime_ms = o->ctime_ms,
				.mtime_ms = o->mtime_ms, .cmtime_ms = o->cmtime_ms };
}

/* The vector holding children of `kind` under parent p (lock held). */
static const struct objvec *children(struct engine *e, struct obj *p, enum eng_kind kind)
{
	if (p->kind == EK_ROOT && kind == EK_CLOUD)
		return &e->clouds;
	if (p->kind == EK_ROOT && kind == EK_GROUP)
		return &e->groups;
	if (p->kind == EK_CLOUD && kind == EK_SPEC)
		return &((struct cloud *)p)->specs;
	if (p->kind == EK_CLOUD && kind == EK_IMAGE)
		return &((struct cloud *)p)->images;
	if (p->kind == EK_GROUP && kind == EK_VM)
		return &((struct group *)p)->vms;
	return NULL;
}

int engine_lookup(struct engine *e, uint64_t parent, enum eng_kind kind, const char *name,
		  struct eng_attr *out)
{
	const struct objvec *v;
	struct obj *p, *o = NULL;
	int rc = -ENOENT;

	pthread_mutex_lock(&e->lock);
	p = idmap_get(&e->ids, parent);
	v = p ? children(e, p, kind) : NULL;
	if (v)
		o = objvec_find(v, name);
	if (o) {
		fill_attr(o, out);
		rc = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

int engine_attr(struct engine *e, uint64_t id, struct eng_attr *out)
{
	struct obj *o;
	int rc = -ENOENT;

	pthread_mutex_lock(&e->lock);
	o = idmap_get(&e->ids, id);
	if (o) {
		fill_attr(o, out);
		rc = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

int engine_list(struct engine *e, uint64_t parent, enum eng_kind kind, eng_list_cb cb,
		void *arg)
{
	const struct objvec *v;
	struct obj *p;
	struct eng_attr a;

	pthread_mutex_lock(&e->lock);
	p = idmap_get(&e->ids, parent);
	v = p ? children(e, p, kind) : NULL;
	if (!v) {
		pthread_mutex_unlock(&e->lock);
		return p ? -ENOTDIR : -ENOENT;
	}
	for (size_t i = 0; i < v->n; i++) {
		fill_attr(v->v[i], &a);
		if (cb(arg, v->v[i]->name, &a))
			break;
	}
	pthread_mutex_unlock(&e->lock);
	return 0;
}

int engine_name(struct engine *e, uint64_t id, struct sbuf *out)
{
	struct obj *o;
	int rc = -ENOENT;

	pthread_mutex_lock(&e->lock);
	o = idmap_get(&e->ids, id);
	if (o) {
		sbuf_adds(out, o->name);
		rc = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

void engine_watch(struct engine *e, eng_watch_cb cb, void *arg)
{
	notify_set(e->notify, cb, arg);
}

/* ---- root and system files ------------------------------------------------------ */

size_t engine_events_size(struct engine *e)
{
	return evlog_size(e->events);
}

void engine_events_read(struct engine *e, off_t off, size_t size, struct sbuf *out)
{
	evlog_read(e->events, off, size, out);
}

uint64_t engine_events_seq(struct engine *e)
{
	return evlog_seq(e->events);
}

void engine_system_store(struct engine *e, struct sbuf *out)
{
	uint64_t records, batches;

	store_describe(e->store, out);
	persist_counts(e->persist, &records, &batches);
	sbuf_addf(out, "state_dir %s\ninstance %s\nrecords_written %llu\nbatches_written %llu\n",
		  e->state_dir, e->instance, (unsigned long long)records,
		  (unsigned long long)batches);
}

static long rss_kib(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, rss = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

void engine_system_stats(struct engine *e, struct sbuf *out)
{
	unsigned queued, running, delayed, vms = 0;
	uint64_t calls = 0, errors = 0, retries = 0;

	wpool_counts(e->pool, &queued, &running, &delayed);
	pthread_mutex_lock(&e->lock);
	for (size_t i = 0; i < e->groups.n; i++)
		vms += (unsigned)((struct group *)e->groups.v[i])->vms.n;
	for (size_t i = 0; i < e->clouds.n; i++) {
		uint64_t c, er, r;

		caller_totals(((struct cloud *)e->clouds.v[i])->caller, &c, &er, &r);
		calls += c;
		errors += er;
		retries += r;
	}
	sbuf_addf(out, "clouds %zu\ngroups %zu\nvms %u\n", e->clouds.n, e->groups.n, vms);
	pthread_mutex_unlock(&e->lock);
	sbuf_addf(out, "tasks_queued %u\ntasks_running %u\ntasks_delayed %u\n", queued, running,
		  delayed);
	sbuf_addf(out, "cloud_calls %llu\ncloud_errors %llu\ncloud_retries %llu\n",
		  (unsigned long long)calls, (unsigned long long)errors,
		  (unsigned long long)retries);
	sbuf_addf(out, "rss_kib %ld\n", rss_kib());
}

void engine_system_drivers(struct engine *e, struct sbuf *out)
{
	drvload_list(e->drivers, out);
}

int engine_system_ctl(struct engine *e, const char *verb, struct sbuf *why)
{
	if (strcmp(verb, "checkpoint") == 0)
		return persist_flush(e->persist);
	if (strcmp(verb, "refresh") == 0) {
		pthread_mutex_lock(&e->lock);
		for (size_t i = 0; i < e->clouds.n; i++)
			cloud_poll_soon(e, (struct cloud *)e->clouds.v[i], 0);
		pthread_mutex_unlock(&e->lock);
		return 0;
	}
	sbuf_addf(why, "unknown verb \"%s\" (system/ctl takes refresh or checkpoint)", verb);
	return -EINVAL;
}

int64_t engine_wait_timeout_ms(struct engine *e)
{
	return e->wait_timeout_ms;
}
