/*
 * twin_server.c - clouds, listeners, routing, faults, housekeeping; see
 * twin_server.h.
 *
 * The order of what happens to a request routed to a cloud is part of the
 * contract: rate limit first (a throttled request does no work), then the
 * injected faults in the order drop, stall, latency, 5xx, then the body
 * ceiling, then the dialect.  Faults never apply to /_twin/.
 */
#include "tools/cloudtwin/twin_server.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "drivers/common/hash.h"
#include "tools/cloudtwin/twin_rand.h"
#include "tools/cloudtwin/twin_ctl.h"
#include "tools/cloudtwin/twin_dialect.h"
#include "tools/cloudtwin/twin_http.h"
#include "tools/cloudtwin/twin_map.h"
#include "tools/cloudtwin/twin_tls.h"
#include "tools/cloudtwin/twin_token.h"

#define MAX_TICKERS 16
#define SA_KEY_FILE "gcp-service-account-key.pem"

struct ticker {
	twin_server_tick_fn *fn;
	void *arg;
	int64_t period, next;
};

struct twin_server {
	/* immutable after twin_server_start */
	struct twin_cloud **clouds;
	size_t nclouds;
	struct twin_map by_name;	/* name -> cloud */
	struct twin_map index;		/* "kind\x1fvalue" -> cloud */
	char *listen, *tls_listen, *tls_dir;
	size_t max_body;
	bool log, need_tls;
	struct twin_tls tls;
	unsigned char token_key[TWIN_TOKEN_KEY_LEN];
	struct ticker tickers[MAX_TICKERS];
	size_t ntickers;
	struct twin_http *http, *https;

	pthread_mutex_t stop_lock;
	pthread_cond_t stop_cond;	/* signalled when stopping */
	bool stopping;			/* guarded by stop_lock */
	bool started;
	pthread_t housekeeper;
};

/* ---- construction ------------------------------------------------------ */

/* GCE clouds without a private key share one made in the TLS directory. */
static int gcp_key_fill(struct twin_server *s, json_t *conf, char **sa_pem, struct sbuf *err)
{
	json_t *creds = json_object_get(conf, "credentials"), *cr;
	size_t i;
	int rc;

	json_array_foreach(creds, i, cr) {
		if (json_object_get(cr, "private_key"))
			continue;
		if (!*sa_pem) {
			rc = twin_tls_ensure_key(s->tls_dir, SA_KEY_FILE, sa_pem, err);
			if (rc)
				return rc;
		}
		json_object_set_new(cr, "private_key", json_string(*sa_pem));
	}
	return 0;
}

static int add_cloud(struct twin_server *s, const json_t *conf, char **sa_pem, struct sbuf *err)
{
	const char *dname = json_string_value(json_object_get(conf, "dialect"));
	const struct twin_dialect *d = twin_dialect_find(dname ? dname : "");
	json_t *copy = json_deep_copy(conf);
	struct twin_cloud *c = NULL;
	int rc = copy ? 0 : -ENOMEM;

	if (!rc && !d) {
		sbuf_reset(err);
		sbuf_addf(err, "unknown dialect \"%s\"", dname ? dname : "");
		rc = -EINVAL;
	}
	if (!rc && strcmp(d->name, "gcp") == 0)
		rc = gcp_key_fill(s, copy, sa_pem, err);
	if (!rc) {
		c = twin_cloud_new(copy, (unsigned)s->nclouds, d, err);
		rc = c ? 0 : -ENOMEM;
	}
	json_decref(copy);
	if (rc)
		return rc;
	s->clouds[s->nclouds++] = c;
	rc = twin_map_put(&s->by_name, c->name, c, NULL);
	if (!rc && d->setup)
		rc = d->setup(s, c, err);
	if (!rc && d->restore)
		rc = d->restore(c);
	if (!rc && strcmp(d->name, "azure") == 0)
		s->need_tls = true;
	return rc;
}

/* Start-up VMs: running at once, spread over regions and zones. */
static int preload(struct twin_cloud *c, struct sbuf *err)
{
	json_int_t n = json_integer_value(json_object_get(c->conf, "preload_vms"));
	int64_t now = clock_mono_ms();
	int rc = 0;

	for (json_int_t i = 0; i < n && !rc; i++) {
		struct twin_vm *vm = twin_cloud_vm_new();
		const struct twin_region *r;

		if (!vm)
			return -ENOMEM;
		vm->region = (size_t)i % c->nregions;
		r = &c->regions[vm->region];
		snprintf(vm->zone, sizeof(vm->zone), "%s",
			 r->zones[(size_t)i / c->nregions % r->nzones]);
		snprintf(vm->name, sizeof(vm->name), "twin-%05lld", (long long)i + 1);
		snprintf(vm->image, sizeof(vm->image), "%s", c->images[0].id);
		vm->spec = &c->specs[0];
		vm->preloaded = true;
		json_object_set_new(vm->tags, "cloudtwin-preloaded", json_string("true"));
		rc = c->dialect->adopt ? c->dialect->adopt(c, vm) : -EOPNOTSUPP;
		if (!rc)
			rc = twin_cloud_add_vm(c, vm, now);
		if (rc)
			twin_cloud_vm_free(vm);
	}
	if (rc) {
		sbuf_reset(err);
		sbuf_addf(err, "cloud %s: cannot preload %lld VMs: %s", c->name, (long long)n,
			  rc == -EDQUOT ? "over quota.vcpus_per_region" :
			  rc == -ENOSPC ? "over quota.max_vms" : strerror(-rc));
	}
	return rc;
}

int twin_server_reset_cloud(struct twin_server *s, struct twin_cloud *c, struct sbuf *err)
{
	int rc;

	(void)s;
	twin_cloud_lock(c);
	twin_cloud_reset(c);
	rc = c->dialect->restore ? c->dialect->restore(c) : 0;
	if (!rc)
		rc = preload(c, err);
	twin_cloud_unlock(c);
	return rc;
}

struct twin_server *twin_server_new(const struct twin_server_opts *o, struct sbuf *err)
{
	struct twin_server *s = calloc(1, sizeof(*s));
	size_t n = json_array_size(o->config);
	char *sa_pem = NULL;
	int rc = 0;

	if (!s)
		return NULL;
	pthread_mutex_init(&s->stop_lock, NULL);
	pthread_cond_init(&s->stop_cond, NULL);
	s->listen = strdup(o->listen ? o->listen : "127.0.0.1:0");
	s->tls_listen = o->tls_listen ? strdup(o->tls_listen) : NULL;
	s->tls_dir = strdup(o->tls_dir ? o->tls_dir : ".");
	s->max_body = o->max_body ? o->max_body : (1u << 20);
	s->log = o->log;
	s->clouds = calloc(n ? n : 1, sizeof(*s->clouds));
	if (!s->listen || !s->tls_dir || !s->clouds || (o->tls_listen && !s->tls_listen) ||
	    twin_rand_bytes(s->token_key, sizeof(s->token_key)))
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < n; i++)
		rc = add_cloud(s, json_array_get(o->config, i), &sa_pem, err);
	for (size_t i = 0; !rc && i < s->nclouds; i++)
		rc = preload(s->clouds[i], err);
	free(sa_pem);
	if (!rc && (s->need_tls || s->tls_listen))
		rc = twin_tls_ensure(s->tls_dir, &s->tls, err);
	if (rc) {
		if (!err->len)
			sbuf_addf(err, "cannot set up the clouds: %s", strerror(-rc));
		twin_server_free(s);
		return NULL;
	}
	return s;
}

/* ---- housekeeping ------------------------------------------------------ */

int twin_server_sleep(struct twin_server *s, int64_t ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (ms % 1000) * 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&s->stop_lock);
	while (!s->stopping && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&s->stop_cond, &s->stop_lock, &until);
	rc = s->stopping ? -ECANCELED : 0;
	pthread_mutex_unlock(&s->stop_lock);
	return rc;
}

static void sweep_all(struct twin_server *s, int64_t now)
{
	for (size_t i = 0; i < s->nclouds; i++) {
		twin_cloud_lock(s->clouds[i]);
		twin_cloud_sweep(s->clouds[i], now);
		twin_cloud_unlock(s->clouds[i]);
	}
}

static void *housekeeping(void *arg)
{
	struct twin_server *s = arg;
	int64_t last_sweep = clock_mono_ms();

	while (twin_server_sleep(s, 200) == 0) {
		int64_t now = clock_mono_ms();

		if (now - last_sweep >= 1000) {
			sweep_all(s, now);
			last_sweep = now;
		}
		for (size_t i = 0; i < s->ntickers; i++) {
			struct ticker *t = &s->tickers[i];

			if (now < t->next)
				continue;
			t->fn(t->arg, s, now);
			t->next = now + t->period;
		}
	}
	return NULL;
}

int twin_server_add_ticker(struct twin_server *s, int64_t period_ms, twin_server_tick_fn *fn,
			   void *arg)
{
	if (s->started)
		return -EBUSY;
	if (s->ntickers == MAX_TICKERS)
		return -ENOMEM;
	s->tickers[s->ntickers++] = (struct ticker){ fn, arg, period_ms > 0 ? period_ms : 1000, 0 };
	return 0;
}

/* ---- life cycle ----------------------------------------------------------- */

static void on_request(void *arg, struct twin_req *req, struct twin_resp *resp)
{
	twin_server_handle(arg, req, resp);
}

int twin_server_start(struct twin_server *s, struct sbuf *err)
{
	struct twin_http_opts o = {
		.addr = s->listen, .max_body = s->max_body, .handler = on_request, .arg = s,
	};
	int rc = twin_http_start(&o, &s->http, err);

	if (!rc && (s->need_tls || s->tls_listen)) {
		o.addr = s->tls_listen ? s->tls_listen : "127.0.0.1:0";
		o.cert_pem = s->tls.cert_pem;
		o.key_pem = s->tls.key_pem;
		rc = twin_http_start(&o, &s->https, err);
	}
	if (!rc && pthread_create(&s->housekeeper, NULL, housekeeping, s)) {
		sbuf_reset(err);
		sbuf_adds(err, "cannot start the housekeeping thread");
		rc = -EAGAIN;
	}
	if (rc) {
		twin_http_stop(s->https);
		twin_http_stop(s->http);
		s->http = s->https = NULL;
		return rc;
	}
	s->started = true;
	return 0;
}

void twin_server_stop(struct twin_server *s)
{
	pthread_mutex_lock(&s->stop_lock);
	s->stopping = true;
	pthread_cond_broadcast(&s->stop_cond);
	pthread_mutex_unlock(&s->stop_lock);
	twin_http_stop(s->https);
	twin_http_stop(s->http);
	s->http = s->https = NULL;
	if (s->started)
		pthread_join(s->housekeeper, NULL);
	s->started = false;
}

void twin_server_free(struct twin_server *s)
{
	if (!s)
		return;
	twin_server_stop(s);
	for (size_t i = 0; i < s->nclouds; i++) {
		if (s->clouds[i]->dialect->cleanup)
			s->clouds[i]->dialect->cleanup(s->clouds[i]);
		twin_cloud_free(s->clouds[i]);
	}
	free(s->clouds);
	twin_map_release(&s->by_name);
	twin_map_release(&s->index);
	twin_tls_release(&s->tls);
	free(s->listen);
	free(s->tls_listen);
	free(s->tls_dir);
	pthread_cond_destroy(&s->stop_cond);
	pthread_mutex_destroy(&s->stop_lock);
	free(s);
}

/* ---- accessors ----------------------------------------------------------- */

const char *twin_server_http_url(const struct twin_server *s)
{
	return s->http ? twin_http_url(s->http) : "http://127.0.0.1";
}

const char *twin_server_https_url(const struct twin_server *s)
{
	return s->https ? twin_http_url(s->https) : NULL;
}

const char *twin_server_ca_file(const struct twin_server *s)
{
	return s->tls.ca_file;
}

size_t twin_server_nclouds(const struct twin_server *s)
{
	return s->nclouds;
}

struct twin_cloud *twin_server_cloud_at(const struct twin_server *s, size_t i)
{
	return i < s->nclouds ? s->clouds[i] : NULL;
}

struct twin_cloud *twin_server_cloud(const struct twin_server *s, const char *name)
{
	return twin_map_get(&s->by_name, name);
}

static int index_key(char *buf, size_t len, const char *kind, const char *value)
{
	int n = snprintf(buf, len, "%s\x1f%s", kind, value);

	return n < 0 || (size_t)n >= len ? -E2BIG : 0;
}

int twin_server_index_put(struct twin_server *s, const char *kind, const char *value,
			  struct twin_cloud *c)
{
	char key[1024];
	struct twin_cloud *old;

	if (index_key(key, sizeof(key), kind, value))
		return -E2BIG;
	old = twin_map_get(&s->index, key);
	if (old && old != c)
		return -EEXIST;
	return twin_map_put(&s->index, key, c, NULL);
}

struct twin_cloud *twin_server_index_get(const struct twin_server *s, const char *kind,
					 const char *value)
{
	char key[1024];

	if (!value || index_key(key, sizeof(key), kind, value))
		return NULL;
	return twin_map_get(&s->index, key);
}

int twin_server_index_creds(struct twin_server *s, struct twin_cloud *c, const char *kind,
			    const char *field, struct sbuf *err)
{
	size_t i;
	json_t *cr;

	twin_server_index_put(s, kind, "", c);
	json_array_foreach(c->creds, i, cr) {
		const char *v = json_string_value(json_object_get(cr, field));

		if (v && twin_server_index_put(s, kind, v, c)) {
			sbuf_reset(err);
			sbuf_addf(err, "cloud %s: %s %s is used by another cloud", c->name, field, v);
			return -EEXIST;
		}
	}
	return 0;
}

const unsigned char *twin_server_token_key(const struct twin_server *s)
{
	return s->token_key;
}

int twin_server_foreach_vm(struct twin_server *s, twin_server_vm_fn *fn, void *arg)
{
	int64_t now = clock_mono_ms();
	int rc = 0;

	for (size_t i = 0; i < s->nclouds && !rc; i++) {
		struct twin_cloud *c = s->clouds[i];

		twin_cloud_lock(c);
		for (size_t k = 0; k < twin_cloud_nvms(c) && !rc; k++)
			rc = fn(arg, c, twin_cloud_vm_at(c, k, now));
		twin_cloud_unlock(c);
	}
	return rc;
}

/* ---- routing -------------------------------------------------------------- */

/* scheme://host from the Host header when it is sane, else the listener. */
static void make_root(const struct twin_server *s, const struct twin_req *req, char *root,
		      size_t len)
{
	const char *host = twin_req_header(req, "Host");
	const char *fallback = req->tls ? twin_server_https_url(s) : twin_server_http_url(s);
	size_t n = host ? strlen(host) : 0;

	if (host && n && n < 200 && strspn(host, "abcdefghijklmnopqrstuvwxyz"
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]") == n) {
		snprintf(root, len, "%s://%s", req->tls ? "https" : "http", host);
		return;
	}
	snprintf(root, len, "%s", fallback ? fallback : "http://127.0.0.1");
}

/* The cloud named by the path's first segment; *rest gets the remainder. */
static struct twin_cloud *route_prefix(const struct twin_server *s, const char *path,
				       const char **rest)
{
	const char *seg = path + 1, *end = strchr(seg, '/');
	char name[64];
	size_t n = end ? (size_t)(end - seg) : strlen(seg);
	struct twin_cloud *c;

	if (n == 0 || n >= sizeof(name))
		return NULL;
	memcpy(name, seg, n);
	name[n] = '\0';
	c = twin_map_get(&s->by_name, name);
	if (c)
		*rest = end ? end : "/";
	return c;
}

static struct twin_cloud *route_claim(struct twin_server *s, const struct twin_req *req)
{
	for (const struct twin_dialect *const *d = twin_dialect_all(); *d; d++) {
		struct twin_cloud *c = (*d)->claim ? (*d)->claim(s, req) : NULL;

		if (c)
			return c;
	}
	return NULL;
}

static void count(struct twin_cloud *c, uint64_t *counter)
{
	twin_cloud_lock(c);
	(*counter)++;
	twin_cloud_unlock(c);
}

/* Rate limit and faults; true when the request must go no further. */
static bool apply_faults(struct twin_ctx *ctx)
{
	struct twin_cloud *c = ctx->cloud;
	struct twin_faults f;
	int admitted;

	twin_cloud_lock(c);
	admitted = twin_cloud_admit(c, ctx->now);
	f = c->faults;
	twin_cloud_unlock(c);
	if (admitted) {
		c->dialect->fail(ctx, TWIN_FAIL_THROTTLED, NULL);
		return true;
	}
	if (f.drop_rate > 0 && twin_rand_uniform() < f.drop_rate) {
		count(c, &c->stats.drops);
		ctx->resp->drop = true;
		return true;
	}
	if (f.stall_rate > 0 && twin_rand_uniform() < f.stall_rate) {
		count(c, &c->stats.stalls);
		twin_server_sleep(ctx->srv, f.stall_ms);
		ctx->resp->drop = true;
		return true;
	}
	if (f.latency_ms > 0 && twin_server_sleep(ctx->srv, f.latency_ms)) {
		ctx->resp->drop = true;
		return true;
	}
	if (f.error_rate > 0 && twin_rand_uniform() < f.error_rate) {
		count(c, &c->stats.errors);
		c->dialect->fail(ctx, TWIN_FAIL_INTERNAL, NULL);
		return true;
	}
	return false;
}

static void serve(struct twin_ctx *ctx)
{
	if (apply_faults(ctx))
		return;
	if (ctx->req->body_too_big) {
		ctx->cloud->dialect->fail(ctx, TWIN_FAIL_TOO_LARGE, NULL);
		return;
	}
	ctx->cloud->dialect->handle(ctx);
}

static void not_routed(struct twin_resp *resp, const struct twin_req *req)
{
	json_t *doc = json_pack("{s:{s:i,s:s,s:s}}", "error", "code", req->body_too_big ? 413 : 404,
				"message", req->body_too_big ? "request body too large" :
				"no cloud serves this path", "path", req->path);

	twin_resp_json(resp, req->body_too_big ? 413 : 404, doc);
}

static void log_line(const struct twin_server *s, const struct twin_ctx *ctx, int64_t t0)
{
	if (!s->log)
		return;
	fprintf(stderr, "cloudtwin: %s %s %s -> %d%s %lldms\n",
		ctx->cloud ? ctx->cloud->name : "-", ctx->req->method, ctx->req->path,
		ctx->resp->status, ctx->resp->drop ? " (dropped)" : "",
		(long long)(clock_mono_ms() - t0));
}

void twin_server_handle(struct twin_server *s, struct twin_req *req, struct twin_resp *resp)
{
	struct twin_ctx ctx = { .srv = s, .req = req, .resp = resp, .now = clock_mono_ms() };
	char root[256], base[384];
	const char *path = req->path;

	while (path[0] == '/' && path[1] == '/')
		path++;
	make_root(s, req, root, sizeof(root));
	hash_uuid4(ctx.request_id);
	ctx.root = ctx.base = root;
	ctx.path = path;
	if (twin_ctl_match(path)) {
		twin_ctl_handle(&ctx);
	} else {
		ctx.cloud = route_prefix(s, path, &ctx.path);
		if (ctx.cloud) {
			snprintf(base, sizeof(base), "%s/%s", root, ctx.cloud->name);
			ctx.base = base;
		} else {
			ctx.cloud = route_claim(s, req);
		}
		if (ctx.cloud)
			serve(&ctx);
		else
			not_routed(resp, req);
	}
	log_line(s, &ctx, ctx.now);
}
