/*
 * monitor.c - the monitor's lifecycle, VM registry and push path; see
 * monitor.h for the contract and monitor_int.h for the layouts.
 *
 * Tokens: the registry indexes VMs by the SHA-256 of their token, so that
 * a push is matched with one hash and one lookup and the index itself
 * holds nothing an attacker could replay.  The token is kept alongside
 * (the monitor presents it when it pulls from the agent).
 *
 * VMs are reference counted: a push or a read holds its VM while it works,
 * so monitor_vm_remove() only unlinks it; whoever drops the last
 * reference frees it.  A removed VM's token stops working immediately.
 */
#include "monitor/monitor.h"

#include <curl/curl.h>
#include <errno.h>
#include <netdb.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "monitor/monitor_int.h"

#define DEFAULT_INTERVAL_S 5
#define DEFAULT_JIT_TIMEOUT_MS 300
#define MAX_ID_LEN 255
#define MIN_TOKEN_LEN 16
#define MAX_TOKEN_LEN 128

/* ---- tokens -------------------------------------------------------------------- */

int monitor_token_new(char *buf, size_t len)
{
	unsigned char raw[MONITOR_TOKEN_LEN / 2];
	static const char hex[] = "0123456789abcdef";

	if (len <= MONITOR_TOKEN_LEN)
		return -EINVAL;
	if (RAND_bytes(raw, sizeof(raw)) != 1)
		return -EIO;
	for (size_t i = 0; i < sizeof(raw); i++) {
		buf[2 * i] = hex[raw[i] >> 4];
		buf[2 * i + 1] = hex[raw[i] & 15];
	}
	buf[MONITOR_TOKEN_LEN] = '\0';
	return 0;
}

static int digest(const char *token, unsigned char out[MONITOR_DIGEST_LEN])
{
	unsigned int n = 0;

	if (EVP_Digest(token, strlen(token), out, &n, EVP_sha256(), NULL) != 1 ||
	    n != MONITOR_DIGEST_LEN)
		return -EIO;
	return 0;
}

static bool printable_word(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (; *s; s++) {
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return false;
	}
	return true;
}

/* ---- the registry ----------------------------------------------------------------- */

struct monitor_vm *monitor_vm_ref(struct monitor *mon, const char *id)
{
	struct monitor_vm *vm;

	pthread_rwlock_rdlock(&mon->vms_lock);
	vm = hmap_get(mon->by_id, id, strlen(id));
	if (vm)
		atomic_fetch_add(&vm->refs, 1);
	pthread_rwlock_unlock(&mon->vms_lock);
	return vm;
}

void monitor_vm_unref(struct monitor_vm *vm)
{
	if (!vm || atomic_fetch_sub(&vm->refs, 1) != 1)
		return;
	tsdb_source_free(vm->src);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->pulled);
	free(vm->id);
	free(vm->token);
	free(vm);
}

static int set_addr(char *dst, const char *addr)
{
	if (!addr) {
		dst[0] = '\0';
		return 0;
	}
	if (!printable_word(addr, 3, MONITOR_ADDR_LEN - 1) || !strchr(addr, ':'))
		return -EINVAL;
	strcpy(dst, addr);
	return 0;
}

static struct monitor_vm *vm_new(struct monitor *mon, const char *id, const char *token)
{
	struct monitor_vm *vm = calloc(1, sizeof(*vm));
	pthread_condattr_t ca;

	if (!vm)
		return NULL;
	atomic_init(&vm->refs, 1);
	atomic_init(&vm->interval_s, mon->opts.interval_s);
	pthread_mutex_init(&vm->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&vm->pulled, &ca);
	pthread_condattr_destroy(&ca);
	vm->id = strdup(id);
	vm->token = strdup(token);
	vm->src = tsdb_source_new(mon->db, id, mon->opts.interval_s);
	if (!vm->id || !vm->token || !vm->src || digest(token, vm->digest)) {
		monitor_vm_unref(vm);
		return NULL;
	}
	return vm;
}

static int vm_link(struct monitor *mon, struct monitor_vm *vm)
{
	int rc;

	pthread_rwlock_wrlock(&mon->vms_lock);
	rc = hmap_put(mon->by_id, vm->id, strlen(vm->id), vm);
	if (!rc) {
		rc = hmap_put(mon->by_digest, vm->digest, MONITOR_DIGEST_LEN, vm);
		if (rc)
			hmap_del(mon->by_id, vm->id, strlen(vm->id));
	}
	pthread_rwlock_unlock(&mon->vms_lock);
	return rc;
}

int monitor_vm_add(struct monitor *mon, const char *vm_id, const char *token,
		   const char *agent_addr)
{
	struct monitor_vm *vm;
	int rc;

	if (!vm_id || !token || !printable_word(vm_id, 1, MAX_ID_LEN) ||
	    !printable_word(token, MIN_TOKEN_LEN, MAX_TOKEN_LEN))
		return -EINVAL;
	vm = vm_new(mon, vm_id, token);
	if (!vm)
		return -ENOMEM;
	rc = set_addr(vm->agent_addr, agent_addr);
	if (!rc)
		rc = vm_link(mon, vm);
	if (rc)
		monitor_vm_unref(vm);
	return rc;
}

int monitor_vm_set_agent(struct monitor *mon, const char *vm_id, const char *agent_addr)
{
	struct monitor_vm *vm = monitor_vm_ref(mon, vm_id);
	int rc;

	if (!vm)
		return -ENOENT;
	pthread_mutex_lock(&vm->lock);
	rc = set_addr(vm->agent_addr, agent_addr);
	vm->next_pull_ms = 0;
	pthread_mutex_unlock(&vm->lock);
	monitor_vm_unref(vm);
	return rc;
}

int monitor_vm_remove(struct monitor *mon, const char *vm_id)
{
	struct monitor_vm *vm;

	pthread_rwlock_wrlock(&mon->vms_lock);
	vm = hmap_del(mon->by_id, vm_id, strlen(vm_id));
	if (vm)
		hmap_del(mon->by_digest, vm->digest, MONITOR_DIGEST_LEN);
	pthread_rwlock_unlock(&mon->vms_lock);
	if (!vm)
		return -ENOENT;
	/* Its history is complete when this returns, whoever still holds it. */
	tsdb_source_close(vm->src);
	monitor_vm_unref(vm);
	return 0;
}

int64_t monitor_stale_ms(const struct monitor_vm *vm)
{
	return (int64_t)atomic_load(&vm->interval_s) * 3500;
}

/* ---- parsers ------------------------------------------------------------------------ */

struct lineproto_parser *monitor_parser_get(struct monitor *mon)
{
	struct lineproto_parser *p = NULL;

	pthread_mutex_lock(&mon->parsers_lock);
	if (mon->nparsers)
		p = mon->parsers[--mon->nparsers];
	pthread_mutex_unlock(&mon->parsers_lock);
	return p ? p : lineproto_parser_new(NULL);
}

void monitor_parser_put(struct monitor *mon, struct lineproto_parser *p)
{
	pthread_mutex_lock(&mon->parsers_lock);
	if (mon->nparsers == mon->parsers_cap) {
		size_t cap = mon->parsers_cap ? mon->parsers_cap * 2 : 8;
		struct lineproto_parser **n = realloc(mon->parsers, cap * sizeof(*n));

		if (n) {
			mon->parsers = n;
			mon->parsers_cap = cap;
		}
	}
	if (mon->nparsers < mon->parsers_cap) {
		mon->parsers[mon->nparsers++] = p;
		p = NULL;
	}
	pthread_mutex_unlock(&mon->parsers_lock);
	lineproto_parser_free(p);
}

/* ---- pushes --------------------------------------------------------------------------- */

static int store_point(void *ctx, const struct lineproto_point *pt, const char **reason)
{
	struct monitor_vm *vm = ctx;
	int rc = tsdb_source_write(vm->src, pt, reason);

	if (rc == -ENOMEM) {
		*reason = "out of memory";
		rc = -EINVAL;
	}
	return rc;
}

int monitor_ingest(struct monitor *mon, struct monitor_vm *vm, const char *body, size_t len,
		   int64_t default_ns, int64_t ns_per_unit, struct lineproto_result *res)
{
	struct lineproto_parser *p = monitor_parser_get(mon);
	int rc;

	if (!p)
		return -ENOMEM;
	rc = lineproto_parse_batch(p, body, len, default_ns, ns_per_unit, store_point, vm, res);
	monitor_parser_put(mon, p);
	return rc == -EINVAL ? 0 : rc;
}

/* Remember what a push says about its agent: its pull port and interval. */
static void note_agent(struct monitor_vm *vm, const struct collector_push *push)
{
	char host[64] = "", addr[MONITOR_ADDR_LEN];
	int interval = push->agent_interval ? atoi(push->agent_interval) : 0;
	int port = push->agent_port ? atoi(push->agent_port) : 0;

	if (interval > 0 && interval <= 86400)
		atomic_store(&vm->interval_s, interval);
	if (port <= 0 || port > 65535 || !push->peer)
		return;
	if (getnameinfo(push->peer, push->peer->sa_family == AF_INET6 ?
			sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
			host, sizeof(host), NULL, 0, NI_NUMERICHOST) != 0)
		return;
	snprintf(addr, sizeof(addr), strchr(host, ':') ? "[%s]:%d" : "%s:%d", host, port);
	pthread_mutex_lock(&vm->lock);
	if (strcmp(vm->learned_addr, addr) != 0) {
		strcpy(vm->learned_addr, addr);
		vm->next_pull_ms = 0;
	}
	pthread_mutex_unlock(&vm->lock);
}

static void *op_auth(void *ctx, const char *token)
{
	struct monitor *mon = ctx;
	unsigned char d[MONITOR_DIGEST_LEN];
	struct monitor_vm *vm;

	if (digest(token, d))
		return NULL;
	pthread_rwlock_rdlock(&mon->vms_lock);
	vm = hmap_get(mon->by_digest, d, sizeof(d));
	if (vm)
		atomic_fetch_add(&vm->refs, 1);
	pthread_rwlock_unlock(&mon->vms_lock);
	return vm;
}

static void op_release(void *ctx, void *vm)
{
	(void)ctx;
	monitor_vm_unref(vm);
}

static int op_write(void *ctx, void *vmp, const struct collector_push *push,
		    struct lineproto_result *res)
{
	struct monitor_vm *vm = vmp;
	int rc = monitor_ingest(ctx, vm, push->body, push->len, push->default_ns,
				push->ns_per_unit, res);

	atomic_store(&vm->last_seen_ms, clock_wall_ms());	/* any authenticated push */
	note_agent(vm, push);
	return rc;
}

static const struct collector_ops collector_ops = {
	.auth = op_auth,
	.release = op_release,
	.write = op_write,
	.scrape = monitor_scrape,
};

/* ---- lifecycle --------------------------------------------------------------------------- */

static int copy_opts(struct monitor *mon, const struct monitor_opts *o)
{
	mon->opts = *o;
	if (mon->opts.interval_s <= 0)
		mon->opts.interval_s = DEFAULT_INTERVAL_S;
	if (mon->opts.jit_age_ms <= 0)
		mon->opts.jit_age_ms = 2 * mon->opts.interval_s * 1000;
	if (mon->opts.jit_timeout_ms <= 0)
		mon->opts.jit_timeout_ms = DEFAULT_JIT_TIMEOUT_MS;
	mon->state_dir = o->state_dir ? strdup(o->state_dir) : NULL;
	mon->agent_binary = o->agent_binary ? strdup(o->agent_binary) : NULL;
	mon->opts.state_dir = mon->state_dir;
	mon->opts.agent_binary = mon->agent_binary;
	mon->opts.listen = mon->opts.advertise_url = NULL;	/* the caller's */
	if (o->advertise_url && strlen(o->advertise_url) >= sizeof(mon->url))
		return -EINVAL;
	if ((o->state_dir && !mon->state_dir) || (o->agent_binary && !mon->agent_binary))
		return -ENOMEM;
	return 0;
}

static int open_parts(struct monitor *mon, const struct monitor_opts *o, char **err)
{
	struct tsdb_opts to = { .dir = mon->state_dir, .window_s = o->window_s,
				.retention_s = o->retention_s };
	struct collector_opts co = { .listen = o->listen, .threads = o->threads,
				     .max_body = o->max_body, .max_inflight = o->max_inflight,
				     .nice = o->ingest_nice,
				     .agent_binary = mon->agent_binary };
	int rc;

	mon->by_id = hmap_new();
	mon->by_digest = hmap_new();
	if (!mon->by_id || !mon->by_digest)
		return -ENOMEM;
	rc = tsdb_open(&to, &mon->db, err);
	if (!rc)
		rc = collector_start(&co, &collector_ops, mon, &mon->collector, err);
	if (rc)
		return rc;
	snprintf(mon->url, sizeof(mon->url), "%s%s", o->advertise_url ? "" : "http://",
		 o->advertise_url ? o->advertise_url : collector_address(mon->collector));
	return 0;
}

int monitor_new(const struct monitor_opts *opts, struct monitor **out, char **err)
{
	struct monitor *mon = calloc(1, sizeof(*mon));
	int rc;

	if (!mon)
		return -ENOMEM;
	pthread_rwlock_init(&mon->vms_lock, NULL);
	pthread_mutex_init(&mon->parsers_lock, NULL);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = copy_opts(mon, opts);
	if (!rc)
		rc = open_parts(mon, opts, err);
	if (rc) {
		monitor_free(mon);
		return rc;
	}
	*out = mon;
	return 0;
}

static void unref_each(void *ctx, void *vm)
{
	(void)ctx;
	monitor_vm_unref(vm);
}

void monitor_free(struct monitor *mon)
{
	if (!mon)
		return;
	collector_stop(mon->collector);	/* no push in flight after this */
	if (mon->by_id)
		hmap_each(mon->by_id, unref_each, NULL);
	hmap_free(mon->by_id);
	hmap_free(mon->by_digest);
	tsdb_close(mon->db);
	for (size_t i = 0; i < mon->nparsers; i++)
		lineproto_parser_free(mon->parsers[i]);
	free(mon->parsers);
	free(mon->state_dir);
	free(mon->agent_binary);
	pthread_rwlock_destroy(&mon->vms_lock);
	pthread_mutex_destroy(&mon->parsers_lock);
	curl_global_cleanup();
	free(mon);
}

const char *monitor_address(const struct monitor *mon)
{
	return collector_address(mon->collector);
}

const char *monitor_url(const struct monitor *mon)
{
	return mon->url;
}

int monitor_parse_duration(const char *s, int64_t *ms)
{
	static const struct {
		const char *unit;
		int64_t ms;
	} units[] = { { "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 },
		      { "h", 3600000 }, { "d", 86400000 } };
	char *end;
	double v;

	if (!s || !*s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 1e13)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) == 0) {
			*ms = (int64_t)(v * (double)units[i].ms);
			return 0;
		}
	}
	return -EINVAL;
}

int monitor_read_stats(struct monitor *mon, struct sbuf *out)
{
	struct collector_stats cs;
	struct tsdb_stats ts;
	size_t vms;

	collector_get_stats(mon->collector, &cs);
	tsdb_get_stats(mon->db, &ts);
	pthread_rwlock_rdlock(&mon->vms_lock);
	vms = hmap_count(mon->by_id);
	pthread_rwlock_unlock(&mon->vms_lock);
	return sbuf_addf(out,
		"vms %zu\nseries %zu\nfields %zu\nseries_memory_bytes %zu\n"
		"samples_total %llu\npoints_total %llu\nrequests_total %llu\nwrites_total %llu\n"
		"partial_writes_total %llu\nbad_lines_total %llu\nrejected_auth_total %llu\n"
		"rejected_size_total %llu\nrejected_busy_total %llu\nreceived_bytes_total %llu\n"
		"inflight_bytes %zu\nrollups_written_total %llu\nrollups_deleted_total %llu\n"
		"pulls_total %llu\npull_failures_total %llu\n",
		vms, ts.series, ts.fields, ts.bytes, (unsigned long long)ts.samples,
		(unsigned long long)cs.points, (unsigned long long)cs.requests,
		(unsigned long long)cs.writes_ok, (unsigned long long)cs.writes_partial,
		(unsigned long long)cs.bad_lines, (unsigned long long)cs.rejected_auth,
		(unsigned long long)cs.rejected_size, (unsigned long long)cs.rejected_busy,
		(unsigned long long)cs.bytes, cs.inflight, (unsigned long long)ts.rollups_written,
		(unsigned long long)ts.rollups_deleted, (unsigned long long)atomic_load(&mon->pulls),
		(unsigned long long)atomic_load(&mon->pull_failures));
}
