/*
 * cloud.c - cloud connections: spec and credential, the driver connection,
 * health checks, the catalog of specs and images, and the background
 * duties a cloud has (health, catalog, polls of its VMs).
 *
 * A spec or credential write is validated completely before anything
 * changes: engine keys are type-checked here, then the driver's own
 * connect() checks the rest against a throwaway state directory, so a bad
 * setting is refused at write() with the driver's reason.  connect() never
 * touches the network; health() is the first real call, made in the
 * background.  Credentials are kept encrypted in the store (cred/<c>).
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine/crypt.h"
#include "lib/clock.h"
#include "lib/jsonutil.h"
#include "lib/names.h"

#define HEALTH_OK_MS 60000
#define HEALTH_RETRY_MS 15000
#define CATALOG_MS (10 * 60000)

/* Engine-level spec keys; every other key is the driver's. */
static const char *const str_keys[] = {
	"driver", "region", "zone", "endpoint", "auth_endpoint", "ca_file", "ssh_key", NULL,
};

struct num_key {
	const char *name;
	double min, max;
	bool integer;
};

static const struct num_key num_keys[] = {
	{ "concurrency", 1, 1024, true },	{ "rps", 0.01, 100000, false },
	{ "burst", 1, 100000, true },		{ "retries", 0, 20, true },
	{ "attempt_ms", 100, 3600000, true },	{ "deadline_ms", 100, 86400000, true },
	{ "poll_ms", 20, 600000, true },	{ "refresh_s", 1, 86400, true },
	{ "health_s", 1, 86400, true },		{ "action_timeout_s", 1, 86400, true },
	{ "backoff_ms", 1, 60000, true },	{ "inject_error_rate", 0, 1, false },
	{ "inject_throttle_rate", 0, 1, false }, { "inject_latency_ms", 0, 600000, true },
	{ NULL, 0, 0, false },
};

struct ctask {
	struct engine *e;
	struct cloud *c;	/* a reference taken with cloud_get */
};

/* ---- lifetime ------------------------------------------------------------------ */

struct cloud *cloud_new(struct engine *e, const char *name, uid_t uid, gid_t gid)
{
	struct cloud *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->spec = json_object();
	c->caller = caller_new();
	c->lane = wpool_lane_new(e->pool, 16);
	c->health = strdup("unconfigured");
	c->refs = 1;
	c->poll_ms = 500;
	c->refresh_ms = 30000;
	c->health_ms = HEALTH_OK_MS;
	c->catalog_ms = CATALOG_MS;
	c->action_timeout_ms = 900000;
	if (!c->spec || !c->caller || !c->lane || !c->health ||
	    eng_obj_init(e, &c->o, EK_CLOUD, ENG_ROOT_ID, name, uid, gid) != 0) {
		c->refs = 0;
		cloud_free(e, c);
		return NULL;
	}
	return c;
}

static void catalog_clear(struct engine *e, struct objvec *v)
{
	for (size_t i = 0; i < v->n; i++) {
		eng_obj_release(e, v->v[i]);
		free(v->v[i]);
	}
	objvec_release(v);
}

struct conn *cloud_conn_get(struct cloud *c)
{
	if (c->conn)
		c->conn->refs++;
	return c->conn;
}

void conn_put(struct conn *cn)
{
	if (!cn || --cn->refs > 0)
		return;
	cn->ops->disconnect(cn->drv);
	free(cn);
}

/* Free a cloud nobody uses any more.  Lock held. */
static void cloud_destroy(struct engine *e, struct cloud *c)
{
	catalog_clear(e, &c->specs);
	catalog_clear(e, &c->images);
	if (c->o.name)
		eng_obj_release(e, &c->o);
	conn_put(c->conn);
	if (c->lane && e->pool)
		wpool_lane_retire(e->pool, c->lane);
	caller_free(c->caller);
	json_decref(c->spec);
	json_decref(c->cred);
	free(c->vms);
	free(c->health);
	free(c->error);
	free(c);
}

void cloud_free(struct engine *e, struct cloud *c)
{
	if (c)
		cloud_destroy(e, c);
}

void cloud_get(struct cloud *c)
{
	c->refs++;
}

void cloud_put(struct engine *e, struct cloud *c)
{
	if (--c->refs == 0)
		cloud_destroy(e, c);
}

/* ---- VMs using the cloud -------------------------------------------------------- */

void cloud_vm_add(struct cloud *c, struct vm *v)
{
	if (v->cl_idx >= 0)
		return;
	if (c->nvms == c->vms_cap) {
		size_t cap = c->vms_cap ? c->vms_cap * 2 : 16;
		struct vm **p = realloc(c->vms, cap * sizeof(*p));

		if (!p)
			return;
		c->vms = p;
		c->vms_cap = cap;
	}
	v->cl_idx = (int32_t)c->nvms;
	c->vms[c->nvms++] = v;
}

void cloud_vm_del(struct cloud *c, struct vm *v)
{
	size_t i = (size_t)v->cl_idx;

	if (v->cl_idx < 0 || i >= c->nvms || c->vms[i] != v)
		return;
	c->vms[i] = c->vms[--c->nvms];
	c->vms[i]->cl_idx = (int32_t)i;
	v->cl_idx = -1;
}

/* ---- the catalog ------------------------------------------------------------------- */

static struct catitem *catalog_find(const struct objvec *v, const char *name)
{
	return (struct catitem *)objvec_find(v, name);
}

int cloud_has_spec(struct cloud *c, const char *spec)
{
	if (!c->catalog_loaded || !c->specs.n)
		return -1;
	return catalog_find(&c->specs, spec) != NULL;
}

int cloud_has_image(struct cloud *c, const char *image)
{
	if (!c->catalog_loaded || !c->images.n)
		return -1;
	if (catalog_find(&c->images, image))
		return 1;
	for (size_t i = 0; i < c->images.n; i++) {
		if (strcmp(((struct catitem *)c->images.v[i])->u.image.id, image) == 0)
			return 1;
	}
	return 0;
}

/* The catalog's arch of a spec or image, "" when unknown (lock held). */
const char *cloud_arch(struct cloud *c, const char *spec, const char *image)
{
	struct catitem *ci;

	if (spec) {
		ci = catalog_find(&c->specs, spec);
		return ci ? ci->u.spec.arch : "";
	}
	ci = catalog_find(&c->images, image);
	for (size_t i = 0; !ci && i < c->images.n; i++) {
		if (strcmp(((struct catitem *)c->images.v[i])->u.image.id, image) == 0)
			ci = (struct catitem *)c->images.v[i];
	}
	return ci ? ci->u.image.arch : "";
}

double cloud_price(struct cloud *c, const char *spec)
{
	struct catitem *ci = catalog_find(&c->specs, spec);

	return ci ? ci->u.spec.price_usd_per_hour : -1;
}

/* Catalog names become file names: keep the safe ones. */
static bool catalog_name_ok(const char *name)
{
	if (!name[0] || strlen(name) > 255 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	return strchr(name, '/') == NULL;
}

/* Replace a catalog vector with new entries, keeping ids of names that stay. */
static void catalog_replace(struct engine *e, struct cloud *c, struct objvec *v,
			    enum eng_kind kind, const void *items, size_t n, size_t size)
{
	struct objvec next = { 0 };

	for (size_t i = 0; i < n; i++) {
		const char *name = (const char *)items + i * size; /* name is the first member */
		struct catitem *ci = catalog_find(v, name);

		if (!catalog_name_ok(name) || objvec_find(&next, name))
			continue;
		if (ci) {
			objvec_remove(v, &ci->o);
		} else {
			ci = calloc(1, sizeof(*ci));
			if (!ci || eng_obj_init(e, &ci->o, kind, c->o.id, name, c->o.uid,
						c->o.gid) != 0) {
				free(ci);
				continue;
			}
		}
		memcpy(&ci->u, (const char *)items + i * size, size);
		ci->o.mtime_ms = clock_wall_ms();
		objvec_insert(&next, &ci->o);
	}
	for (size_t i = 0; i < v->n; i++) {
		eng_removed(e, v->v[i]);
		eng_obj_release(e, v->v[i]);
		free(v->v[i]);
	}
	objvec_release(v);
	*v = next;
}

/* ---- background tasks ---------------------------------------------------------------- */

static struct ctask *ctask_new(struct engine *e, struct cloud *c)
{
	struct ctask *t = malloc(sizeof(*t));

	if (!t)
		return NULL;
	t->e = e;
	t->c = c;
	cloud_get(c);
	return t;
}

static void ctask_done(struct ctask *t)
{
	pthread_mutex_lock(&t->e->lock);
	cloud_put(t->e, t->c);
	pthread_mutex_unlock(&t->e->lock);
	free(t);
}

static void set_health(struct engine *e, struct cloud *c, const char *h)
{
	if (c->health && strcmp(c->health, h) == 0)
		return;
	eng_set_str(&c->health, h);
	if (!c->removed)
		eng_event(e, NULL, "clouds/%s health %s", c->o.name, h);
	eng_touch(e, &c->o, ENG_CHG_ATTR);
}

static bool needs_credential(const struct cloud *c)
{
	return c->ops && (c->ops->caps & DRV_CAP_CREDENTIAL) && !c->cred;
}

static void health_task(void *arg, bool cancelled)
{
	struct ctask *t = arg;
	struct engine *e = t->e;
	struct cloud *c = t->c;
	struct drv_error err = { 0 };
	struct sbuf msg = SBUF_INIT;
	struct conn *cn;
	int rc;

	pthread_mutex_lock(&e->lock);
	cn = cancelled || c->removed ? NULL : cloud_conn_get(c);
	pthread_mutex_unlock(&e->lock);
	if (!cn)
		goto out;
	rc = call_health(c->caller, cn->ops, cn->drv, &err);
	if (rc == 0)
		sbuf_adds(&msg, "ok");
	else {
		sbuf_adds(&msg, "error: ");
		call_describe_error(rc, &err, &msg);
	}
	pthread_mutex_lock(&e->lock);
	if (cn == c->conn) {
		set_health(e, c, msg.buf);
		c->next_health = clock_mono_ms() + (rc ? HEALTH_RETRY_MS : c->health_ms);
		if (rc == 0 && !c->catalog_loaded)
			c->next_catalog = 1;	/* due now (0 would mean never) */
	}
	conn_put(cn);
	pthread_mutex_unlock(&e->lock);
out:
	pthread_mutex_lock(&e->lock);
	c->health_queued = false;
	pthread_mutex_unlock(&e->lock);
	sbuf_release(&msg);
	ctask_done(t);
}

static void catalog_task(void *arg, bool cancelled)
{
	struct ctask *t = arg;
	struct engine *e = t->e;
	struct cloud *c = t->c;
	struct drv_spec_info *specs = NULL;
	struct drv_image_info *images = NULL;
	size_t nspecs = 0, nimages = 0;
	struct drv_error err = { 0 };
	struct conn *cn;
	int rs = -1, ri = -1;

	pthread_mutex_lock(&e->lock);
	cn = cancelled || c->removed ? NULL : cloud_conn_get(c);
	pthread_mutex_unlock(&e->lock);
	if (cn) {
		rs = call_list_specs(c->caller, cn->ops, cn->drv, &specs, &nspecs, &err);
		ri = call_list_images(c->caller, cn->ops, cn->drv, &images, &nimages, &err);
	}
	pthread_mutex_lock(&e->lock);
	if (cn && cn == c->conn) {
		if (rs == 0)
			catalog_replace(e, c, &c->specs, EK_SPEC, specs, nspecs, sizeof(*specs));
		if (ri == 0)
			catalog_replace(e, c, &c->images, EK_IMAGE, images, nimages,
					sizeof(*images));
		c->catalog_loaded = c->catalog_loaded || (rs == 0 && ri == 0);
		c->next_catalog = clock_mono_ms() + (rs || ri ? HEALTH_RETRY_MS : c->catalog_ms);
		if (rs == 0 || ri == 0) {
			eng_touch(e, &c->o, ENG_CHG_ATTR | ENG_CHG_CHILDREN);
			eng_event(e, NULL, "clouds/%s catalog: %zu specs, %zu images", c->o.name,
				  c->specs.n, c->images.n);
		}
	}
	c->catalog_queued = false;
	conn_put(cn);
	pthread_mutex_unlock(&e->lock);
	free(specs);
	free(images);
	ctask_done(t);
}

void cloud_tick(struct engine *e, struct cloud *c, int64_t now)
{
	struct ctask *t;

	if (!c->conn)
		return;
	if (!c->health_queued && now >= c->next_health && (t = ctask_new(e, c))) {
		c->health_queued = true;
		eng_submit(e, c, 0, health_task, t);
	}
	if (!c->catalog_queued && c->next_catalog && now >= c->next_catalog &&
	    (t = ctask_new(e, c))) {
		c->catalog_queued = true;
		eng_submit(e, c, 0, catalog_task, t);
	}
	if (c->nvms && !c->poll_due && now >= c->next_poll)
		poll_submit(e, c, 0);
}

void cloud_poll_soon(struct engine *e, struct cloud *c, int64_t delay_ms)
{
	int64_t when = clock_mono_ms() + delay_ms;

	if (c->poll_due && c->poll_due <= when)
		return;
	poll_submit(e, c, when);
}

/* ---- connecting ------------------------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void rm_tree(const char *path)
{
	nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void cloud_dir(struct engine *e, const char *name, struct sbuf *out)
{
	sbuf_addf(out, "%s/clouds/%s", e->state_dir, name);
}

static int mkdir_p2(const char *parent, const char *dir)
{
	if (mkdir(parent, 0700) != 0 && errno != EEXIST)
		return -errno;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -errno;
	return 0;
}

/*
 * Make a driver connection from spec and cred.  dir NULL: a throwaway
 * directory (validation only).  0 and *out, or -EINVAL with the driver's
 * reason.  May be called with the lock held: connect() does no network.
 */
static int make_conn(struct engine *e, const char *name, const struct drv_ops *ops,
		     json_t *spec, json_t *cred, const char *dir, struct conn **out,
		     struct sbuf *why)
{
	struct sbuf tmp = SBUF_INIT, parent = SBUF_INIT;
	struct drv_config cfg = { .cloud = name, .spec = spec, .credential = cred };
	struct drv_error err = { 0 };
	struct conn *cn = calloc(1, sizeof(*cn));
	int rc;

	sbuf_addf(&parent, "%s/clouds", e->state_dir);
	if (dir) {
		sbuf_adds(&tmp, dir);
		rc = mkdir_p2(parent.buf, dir);
	} else {
		sbuf_addf(&tmp, "%s/tmp", e->state_dir);
		rc = mkdir(tmp.buf, 0700) != 0 && errno != EEXIST ? -errno : 0;
		sbuf_adds(&tmp, "/validate-XXXXXX");
		if (!rc && !mkdtemp(tmp.buf))
			rc = -errno;
	}
	cfg.state_dir = tmp.buf;
	if (!cn)
		rc = -ENOMEM;
	if (!rc)
		rc = ops->connect(&cfg, &cn->drv, &err);
	if (rc) {
		sbuf_addf(why, "driver %s refused the settings: ", ops->name);
		call_describe_error(rc, &err, why);
		free(cn);
		rc = -EINVAL;
	} else if (!dir) {
		ops->disconnect(cn->drv);
		free(cn);
	} else {
		cn->ops = ops;
		cn->refs = 1;
		*out = cn;
	}
	if (!dir)
		rm_tree(tmp.buf);
	sbuf_release(&tmp);
	sbuf_release(&parent);
	return rc;
}

static double spec_num(json_t *spec, const char *key, double dflt)
{
	json_t *v = json_object_get(spec, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

/* Limits, faults and intervals from the spec (lock held). */
static void apply_limits(struct engine *e, struct cloud *c)
{
	struct call_limits l;
	struct call_faults f;

	call_limits_default(&l);
	l.concurrency = (int)spec_num(c->spec, "concurrency", l.concurrency);
	l.rps = spec_num(c->spec, "rps", l.rps);
	l.burst = (int)spec_num(c->spec, "burst", l.rps > l.burst ? l.rps : l.burst);
	l.retries = (int)spec_num(c->spec, "retries", l.retries);
	l.attempt_ms = (int64_t)spec_num(c->spec, "attempt_ms", (double)l.attempt_ms);
	l.deadline_ms = (int64_t)spec_num(c->spec, "deadline_ms", (double)l.deadline_ms);
	l.backoff_ms = (int64_t)spec_num(c->spec, "backoff_ms", (double)l.backoff_ms);
	caller_set_limits(c->caller, &l);
	wpool_lane_set_limit(e->pool, c->lane, l.concurrency);
	f.error_rate = spec_num(c->spec, "inject_error_rate", 0);
	f.throttle_rate = spec_num(c->spec, "inject_throttle_rate", 0);
	f.latency_ms = (int64_t)spec_num(c->spec, "inject_latency_ms", 0);
	caller_set_faults(c->caller, &f);
	c->poll_ms = (int64_t)spec_num(c->spec, "poll_ms", 500);
	c->refresh_ms = (int64_t)spec_num(c->spec, "refresh_s", 30) * 1000;
	c->health_ms = (int64_t)spec_num(c->spec, "health_s", 60) * 1000;
	c->action_timeout_ms = (int64_t)spec_num(c->spec, "action_timeout_s", 900) * 1000;
}

/* Swap in a new connection and restart background duties (lock held). */
static void install_conn(struct engine *e, struct cloud *c, const struct drv_ops *ops,
			 struct conn *cn)
{
	conn_put(c->conn);
	c->conn = cn;
	c->ops = ops;
	c->next_health = 0;
	c->next_catalog = cn ? clock_mono_ms() : 0;
	if (!ops)
		set_health(e, c, "unconfigured");
	else if (needs_credential(c))
		set_health(e, c, "unconfigured");
	else
		set_health(e, c, "checking");
	if (!cn || needs_credential(c)) {
		conn_put(c->conn);
		c->conn = NULL;
	}
}

static int check_url(const char *key, const char *v, struct sbuf *why)
{
	if (strncmp(v, "http://", 7) == 0 || strncmp(v, "https://", 8) == 0)
		return 0;
	sbuf_addf(why, "\"%s\" must be an http:// or https:// URL", key);
	return -EINVAL;
}

static int check_str_key(const char *key, json_t *v, struct sbuf *why)
{
	const char *s;

	if (!json_is_string(v)) {
		sbuf_addf(why, "\"%s\" must be a string", key);
		return -EINVAL;
	}
	s = json_string_value(v);
	if (strcmp(key, "endpoint") == 0 || strcmp(key, "auth_endpoint") == 0)
		return check_url(key, s, why);
	if (strcmp(key, "ca_file") == 0 && access(s, R_OK) != 0) {
		sbuf_addf(why, "ca_file %s cannot be read: %s", s, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static int check_num_key(const struct num_key *k, json_t *v, struct sbuf *why)
{
	double d;

	if (!json_is_number(v) || (k->integer && !json_is_integer(v))) {
		sbuf_addf(why, "\"%s\" must be %s", k->name, k->integer ? "an integer" : "a number");
		return -EINVAL;
	}
	d = json_number_value(v);
	if (isnan(d) || d < k->min || d > k->max) {
		sbuf_addf(why, "\"%s\" must be between %g and %g", k->name, k->min, k->max);
		return -EINVAL;
	}
	return 0;
}

static int check_keys(json_t *spec, struct sbuf *why)
{
	const char *key;
	json_t *v;
	int rc = 0;

	json_object_foreach(spec, key, v) {
		for (const char *const *s = str_keys; !rc && *s; s++) {
			if (strcmp(*s, key) == 0)
				rc = check_str_key(key, v, why);
		}
		for (const struct num_key *k = num_keys; !rc && k->name; k++) {
			if (strcmp(k->name, key) == 0)
				rc = check_num_key(k, v, why);
		}
		if (rc)
			return rc;
	}
	return 0;
}

static const char *spec_str(json_t *spec, const char *key)
{
	const char *s = json_string_value(json_object_get(spec, key));

	return s ? s : "";
}

/* Changes that VMs in use forbid: driver and region. */
static int check_live(struct cloud *c, json_t *spec, struct sbuf *why)
{
	static const char *const fixed[] = { "driver", "region", NULL };

	if (!c->nvms)
		return 0;
	for (const char *const *k = fixed; *k; k++) {
		if (strcmp(spec_str(c->spec, *k), spec_str(spec, *k)) != 0) {
			sbuf_addf(why, "%zu VMs use cloud %s: its %s cannot change while they live",
				  c->nvms, c->o.name, *k);
			return -EBUSY;
		}
	}
	return 0;
}

/*
 * Validate spec+cred for cloud c and, unless dry_run, install them.  Lock
 * held.  Takes no reference to spec or cred; copies what it keeps.
 */
static int cloud_configure(struct engine *e, struct cloud *c, json_t *spec, json_t *cred,
			   bool dry_run, struct sbuf *why)
{
	const struct drv_ops *ops = NULL;
	const char *drv = json_string_value(json_object_get(spec, "driver"));
	struct sbuf dir = SBUF_INIT;
	struct conn *cn = NULL;
	int rc;

	rc = check_keys(spec, why);
	if (!rc)
		rc = check_live(c, spec, why);
	if (!rc && drv)
		rc = drvload_get(e->drivers, drv, &ops, why) ? -EINVAL : 0;
	if (!rc && ops && dry_run)
		rc = make_conn(e, c->o.name, ops, spec, cred, NULL, NULL, why);
	if (rc || dry_run)
		return rc;
	cloud_dir(e, c->o.name, &dir);
	if (ops)
		rc = make_conn(e, c->o.name, ops, spec, cred, dir.buf, &cn, why);
	sbuf_release(&dir);
	if (rc)
		return rc;
	if (spec != c->spec) { /* configure_id passes the cloud's own spec */
		json_decref(c->spec);
		c->spec = json_deep_copy(spec);
	}
	if (cred != c->cred) {
		json_decref(c->cred);
		c->cred = cred ? json_deep_copy(cred) : NULL;
	}
	apply_limits(e, c);
	install_conn(e, c, ops, cn);
	return 0;
}

/* ---- persistence ------------------------------------------------------------------------ */

void cloud_serialize(struct engine *e, struct cloud *c, struct sbuf *out)
{
	json_t *rec = json_pack("{s:s, s:i, s:i, s:I, s:O}", "name", c->o.name, "uid",
				(int)c->o.uid, "gid", (int)c->o.gid, "ctime",
				(json_int_t)c->o.ctime_ms, "spec", c->spec);
	char *text = rec ? json_dumps(rec, JSON_COMPACT) : NULL;

	(void)e;
	if (text)
		sbuf_adds(out, text);
	free(text);
	json_decref(rec);
}

int cloud_serialize_cred(struct engine *e, struct cloud *c, struct sbuf *out)
{
	char *plain, *sealed = NULL;
	struct sbuf aad = SBUF_INIT;
	int rc;

	if (!c->cred)
		return -ENOENT;
	plain = json_dumps(c->cred, JSON_COMPACT);
	sbuf_addf(&aad, "cred/%s", c->o.name);
	rc = plain ? crypt_seal(e->key, aad.buf, plain, strlen(plain), &sealed) : -ENOMEM;
	if (!rc)
		sbuf_adds(out, sealed);
	if (plain)
		memset(plain, 0, strlen(plain));
	free(plain);
	free(sealed);
	sbuf_release(&aad);
	return rc ? -ENOENT : 0;
}

static json_t *open_cred(struct engine *e, const char *name, const char *sealed)
{
	struct sbuf aad = SBUF_INIT;
	char *plain = NULL;
	json_t *cred = NULL;

	sbuf_addf(&aad, "cred/%s", name);
	if (crypt_open(e->key, aad.buf, sealed, &plain, NULL) == 0)
		cred = json_loads(plain, 0, NULL);
	else
		eng_event(e, NULL, "clouds/%s credential cannot be decrypted with %s/credential.key;"
			  " write it again", name, e->state_dir);
	if (plain)
		memset(plain, 0, strlen(plain));
	free(plain);
	sbuf_release(&aad);
	return cred;
}

int cloud_load(struct engine *e, const char *name, json_t *rec, const char *sealed_cred)
{
	json_t *spec = json_object_get(rec, "spec"), *cred = NULL;
	struct sbuf why = SBUF_INIT;
	struct cloud *c;
	int rc;

	if (!name_valid(name) || !json_is_object(spec) || eng_cloud(e, name))
		return -EINVAL;
	c = cloud_new(e, name, (uid_t)json_integer_value(json_object_get(rec, "uid")),
		      (gid_t)json_integer_value(json_object_get(rec, "gid")));
	if (!c)
		return -ENOMEM;
	c->o.ctime_ms = json_integer_value(json_object_get(rec, "ctime"));
	objvec_insert(&e->clouds, &c->o);
	if (sealed_cred)
		cred = open_cred(e, name, sealed_cred);
	rc = cloud_configure(e, c, spec, cred, false, &why);
	if (rc) {
		/* Keep the record as it was; show why it is not connected. */
		json_decref(c->spec);
		c->spec = json_deep_copy(spec);
		eng_set_str(&c->error, why.buf);
		eng_event(e, NULL, "clouds/%s not connected: %s", name, sbuf_str(&why));
	}
	json_decref(cred);
	sbuf_release(&why);
	return 0;
}

/* ---- public: create, remove, configure ----------------------------------------------- */

static struct cloud *cloud_by_id(struct engine *e, uint64_t id)
{
	struct obj *o = idmap_get(&e->ids, id);

	return o && o->kind == EK_CLOUD ? (struct cloud *)o : NULL;
}

static int refuse(struct engine *e, struct cloud *c, int rc, struct sbuf *why, size_t from)
{
	const char *reason = sbuf_str(why) + from;

	if (c) {
		eng_set_str(&c->error, reason);
		eng_event(e, NULL, "clouds/%s error: %s", c->o.name, reason);
		eng_touch(e, &c->o, ENG_CHG_ATTR);
	}
	return rc;
}

int engine_cloud_create(struct engine *e, const char *name, uid_t uid, gid_t gid,
			struct sbuf *why)
{
	struct cloud *c;
	int rc = 0;

	if (!name_valid(name)) {
		sbuf_addf(why, "\"%s\" is not a valid name: use [a-z0-9][a-z0-9._-]*, at most 63",
			  name);
		return -EINVAL;
	}
	pthread_mutex_lock(&e->lock);
	if (eng_cloud(e, name)) {
		rc = -EEXIST;
	} else if (!(c = cloud_new(e, name, uid, gid))) {
		rc = -ENOMEM;
	} else {
		objvec_insert(&e->clouds, &c->o);
		eng_dirty(e, "cloud/%s", name);
		eng_touch(e, &e->root, ENG_CHG_CHILDREN);
		eng_event(e, NULL, "clouds/%s created", name);
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

static void cleanup_task(void *arg, bool cancelled)
{
	struct ctask *t = arg;
	struct engine *e = t->e;
	struct drv_error err = { 0 };
	struct sbuf dir = SBUF_INIT;
	struct conn *cn;
	int rc = 0;

	pthread_mutex_lock(&e->lock);
	cn = t->c->conn;
	t->c->conn = NULL;
	cloud_dir(e, t->c->o.name, &dir);
	pthread_mutex_unlock(&e->lock);
	if (cn && !cancelled)
		rc = call_cleanup(t->c->caller, cn->ops, cn->drv, &err);
	if (rc && rc != -EOPNOTSUPP) {
		struct sbuf msg = SBUF_INIT;

		call_describe_error(rc, &err, &msg);
		pthread_mutex_lock(&e->lock);
		eng_event(e, NULL, "clouds/%s cleanup of its network resources failed: %s",
			  t->c->o.name, msg.buf);
		pthread_mutex_unlock(&e->lock);
		sbuf_release(&msg);
	}
	pthread_mutex_lock(&e->lock);
	conn_put(cn);
	pthread_mutex_unlock(&e->lock);
	if (!cancelled && (!rc || rc == -EOPNOTSUPP))
		rm_tree(dir.buf);
	sbuf_release(&dir);
	ctask_done(t);
}

int engine_cloud_remove(struct engine *e, const char *name, struct sbuf *why)
{
	struct cloud *c;
	struct ctask *t;
	int rc = 0;

	pthread_mutex_lock(&e->lock);
	c = eng_cloud(e, name);
	if (!c) {
		rc = -ENOENT;
	} else if (c->nvms) {
		sbuf_addf(why, "%zu VMs still use cloud %s; terminate them first", c->nvms, name);
		rc = refuse(e, c, -EBUSY, why, 0);
	} else {
		objvec_remove(&e->clouds, &c->o);
		c->removed = true;
		eng_removed(e, &c->o);
		eng_dirty(e, "cloud/%s", name);
		eng_dirty(e, "cred/%s", name);
		eng_event(e, NULL, "clouds/%s removed", name);
		/* The task owns the last duties: driver cleanup, then the state dir. */
		t = ctask_new(e, c);
		if (t)
			eng_submit(e, NULL, 0, cleanup_task, t);
		cloud_put(e, c);
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

static int parse_spec(const char *text, size_t len, json_t **out, struct sbuf *why)
{
	json_error_t jerr;

	*out = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!*out) {
		if (jsonutil_incomplete(&jerr, len))
			return -EAGAIN;
		sbuf_addf(why, "malformed JSON at line %d, column %d: %s", jerr.line, jerr.column,
			  jerr.text);
		return -EINVAL;
	}
	if (!json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		sbuf_adds(why, "a cloud spec is a JSON object");
		return -EINVAL;
	}
	return 0;
}

/* Validate or apply spec for the cloud with this id (lock held). */
static int configure_id(struct engine *e, uint64_t id, json_t *spec, bool dry_run,
			struct sbuf *why)
{
	struct cloud *c = cloud_by_id(e, id);
	size_t from = why->len;
	int rc;

	if (!c)
		return -ENOENT;
	if (json_equal(spec, c->spec))
		return 0;
	rc = cloud_configure(e, c, spec, c->cred, dry_run, why);
	if (rc)
		return refuse(e, c, rc, why, from);
	if (!dry_run) {
		eng_set_str(&c->error, NULL);
		eng_dirty(e, "cloud/%s", c->o.name);
		eng_touch(e, &c->o, ENG_CHG_ATTR);
		eng_event(e, NULL, "clouds/%s spec applied (driver %s)", c->o.name,
			  c->ops ? c->ops->name : "none");
	}
	return 0;
}

int engine_cloud_set_spec(struct engine *e, uint64_t id, const char *text, size_t len,
			  bool dry_run, struct sbuf *why)
{
	json_t *spec;
	size_t from = why->len;
	int rc = parse_spec(text, len, &spec, why);

	pthread_mutex_lock(&e->lock);
	if (rc == -EINVAL)
		rc = refuse(e, cloud_by_id(e, id), rc, why, from);
	else if (rc == 0)
		rc = configure_id(e, id, spec, dry_run, why);
	pthread_mutex_unlock(&e->lock);
	json_decref(spec);
	return rc;
}

int engine_cloud_set_key(struct engine *e, uint64_t id, const char *key, const char *value,
			 bool dry_run, struct sbuf *why)
{
	struct cloud *c;
	json_t *spec = NULL;
	int rc = -ENOENT;

	pthread_mutex_lock(&e->lock);
	c = cloud_by_id(e, id);
	if (c) {
		spec = json_deep_copy(c->spec);
		if (value[0])
			json_object_set_new(spec, key, json_string(value));
		else
			json_object_del(spec, key);
		rc = configure_id(e, id, spec, dry_run, why);
	}
	pthread_mutex_unlock(&e->lock);
	json_decref(spec);
	return rc;
}

/* key=value lines (blank lines and # comments ignored) into an object. */
static int parse_kv_lines(const char *text, size_t len, json_t **out, struct sbuf *why)
{
	json_t *o = json_object();
	size_t pos = 0;
	int line = 0;

	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos), *eq;
		size_t n = nl ? (size_t)(nl - s) : len - pos;
		char key[128];

		pos += n + (nl ? 1 : 0);
		line++;
		while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		while (n && (*s == ' ' || *s == '\t')) {
			s++;
			n--;
		}
		if (!n || *s == '#')
			continue;
		eq = memchr(s, '=', n);
		if (!eq || eq == s || (size_t)(eq - s) >= sizeof(key)) {
			sbuf_addf(why, "credential line %d: expected key=value", line);
			json_decref(o);
			return -EINVAL;
		}
		snprintf(key, sizeof(key), "%.*s", (int)(eq - s), s);
		while (strlen(key) && key[strlen(key) - 1] == ' ')
			key[strlen(key) - 1] = '\0';
		json_object_set_new(o, key, json_stringn(eq + 1, n - (size_t)(eq + 1 - s)));
	}
	*out = o;
	return 0;
}

static int parse_credential(const char *text, size_t len, json_t **out, struct sbuf *why)
{
	size_t i = 0;
	json_error_t jerr;

	while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
		i++;
	if (i == len) {
		sbuf_adds(why, "an empty credential");
		return -EINVAL;
	}
	if (text[i] != '{')
		return parse_kv_lines(text, len, out, why);
	*out = json_loadb(text, len, 0, &jerr);
	if (*out && json_is_object(*out))
		return 0;
	json_decref(*out);
	*out = NULL;
	if (jsonutil_incomplete(&jerr, len))
		return -EAGAIN;
	sbuf_addf(why, "credential: malformed JSON at line %d: %s", jerr.line, jerr.text);
	return -EINVAL;
}

int engine_cloud_set_credential(struct engine *e, uint64_t id, const char *text, size_t len,
				bool dry_run, struct sbuf *why)
{
	json_t *cred = NULL;
	struct cloud *c;
	size_t from = why->len;
	int rc = parse_credential(text, len, &cred, why);

	pthread_mutex_lock(&e->lock);
	c = cloud_by_id(e, id);
	if (!c)
		rc = -ENOENT;
	else if (rc == 0 && !dry_run && !(c->cred && json_equal(c->cred, cred)))
		rc = cloud_configure(e, c, c->spec, cred, false, why);
	if (c && rc && rc != -EAGAIN)
		refuse(e, c, rc, why, from);
	if (c && !rc && !dry_run) {
		eng_set_str(&c->error, NULL);
		eng_dirty(e, "cred/%s", c->o.name);
		eng_touch(e, &c->o, ENG_CHG_ATTR);
		eng_event(e, NULL, "clouds/%s credential set", c->o.name);
	}
	pthread_mutex_unlock(&e->lock);
	json_decref(cred);
	return rc;
}

int engine_cloud_ctl(struct engine *e, uint64_t id, const char *verb, struct sbuf *why)
{
	struct cloud *c;
	int rc = 0;

	pthread_mutex_lock(&e->lock);
	c = cloud_by_id(e, id);
	if (!c) {
		rc = -ENOENT;
	} else if (strcmp(verb, "refresh") == 0) {
		c->next_health = 0;
		c->next_catalog = c->conn ? 1 : 0;
		cloud_poll_soon(e, c, 0);
	} else {
		sbuf_addf(why, "unknown verb \"%s\" (a cloud's ctl takes refresh)", verb);
		rc = refuse(e, c, -EINVAL, why, 0);
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* ---- public: reading ------------------------------------------------------------------------ */

static void text_credential(struct cloud *c, struct sbuf *out)
{
	const char *k;
	json_t *v;

	json_object_foreach(c->cred, k, v) {
		(void)v;
		sbuf_addf(out, "%s ********\n", k);
	}
}

int engine_cloud_text(struct engine *e, uint64_t id, enum cloud_text what, struct sbuf *out)
{
	struct cloud *c;
	char *s;

	pthread_mutex_lock(&e->lock);
	c = cloud_by_id(e, id);
	if (!c) {
		pthread_mutex_unlock(&e->lock);
		return -ENOENT;
	}
	switch (what) {
	case CT_SPEC:
		s = json_dumps(c->spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		sbuf_addf(out, "%s\n", s ? s : "{}");
		free(s);
		break;
	case CT_CREDENTIAL:
		text_credential(c, out);
		break;
	case CT_HEALTH:
		sbuf_addf(out, "%s\n", c->health);
		break;
	case CT_STATS:
		caller_stats(c->caller, out);
		break;
	case CT_ERROR:
		if (c->error)
			sbuf_addf(out, "%s\n", c->error);
		break;
	}
	pthread_mutex_unlock(&e->lock);
	return 0;
}

int engine_cloud_key(struct engine *e, uint64_t id, const char *key, struct sbuf *out)
{
	struct cloud *c;
	json_t *v;
	int rc = -ENOENT;

	pthread_mutex_lock(&e->lock);
	c = cloud_by_id(e, id);
	if (c) {
		v = json_object_get(c->spec, key);
		if (json_is_string(v))
			sbuf_addf(out, "%s\n", json_string_value(v));
		rc = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

size_t engine_cloud_calls_size(struct engine *e, uint64_t id)
{
	struct cloud *c;
	size_t n = 0;

	pthread_mutex_lock(&e->lock);
	c = cloud_by_id(e, id);
	if (c)
		n = evlog_size(caller_log(c->caller));
	pthread_mutex_unlock(&e->lock);
	return n;
}

int engine_cloud_calls_read(struct engine *e, uint64_t id, off_t off, size_t size,
			    struct sbuf *out)
{
	struct cloud *c;
	int rc = -ENOENT;

	pthread_mutex_lock(&e->lock);
	c = cloud_by_id(e, id);
	if (c) {
		evlog_read(caller_log(c->caller), off, size, out);
		rc = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

int engine_spec_info(struct engine *e, uint64_t id, struct drv_spec_info *out)
{
	struct obj *o;
	int rc = -ENOENT;

	pthread_mutex_lock(&e->lock);
	o = idmap_get(&e->ids, id);
	if (o && o->kind == EK_SPEC) {
		*out = ((struct catitem *)o)->u.spec;
		rc = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

int engine_image_info(struct engine *e, uint64_t id, struct drv_image_info *out)
{
	struct obj *o;
	int rc = -ENOENT;

	pthread_mutex_lock(&e->lock);
	o = idmap_get(&e->ids, id);
	if (o && o->kind == EK_IMAGE) {
		*out = ((struct catitem *)o)->u.image;
		rc = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}
