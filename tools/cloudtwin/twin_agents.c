/*
 * twin_agents.c - simulated barista-agents; see twin_agents.h.
 *
 * Two threads meet here.  The housekeeping thread runs tick(): it owns the
 * per-VM state (`vms`, touched by no one else) and appends due pushes to
 * the queue.  The sender thread owns the libcurl multi handle and takes
 * pushes off the queue.  The queue and the counters are guarded by `lock`;
 * the sender waits on `cond` when there is nothing to send.
 *
 * The load model is deterministic per VM (cloud index and sequence seed
 * it), so the same VM tells the same story across runs; only the noise is
 * drawn from a per-VM xorshift state.
 */
#include "tools/cloudtwin/twin_agents.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "tools/cloudtwin/twin_map.h"

#define DEFAULT_CONNECTIONS 16
#define DEFAULT_MAX_QUEUE 20000
#define DEFAULT_TICK_MS 500
#define PUSH_TIMEOUT_MS 5000

/* One VM as the ticker sees it. */
struct vm_agent {
	bool has_agent;			/* user-data carries the line */
	struct userdata_agent conf;
	int64_t next_ms;		/* monotonic; 0 until it runs */
	uint64_t gen;			/* last tick that saw it */
};

/* One push waiting or in flight. */
struct push {
	struct push *next;
	CURL *h;
	struct curl_slist *hdr;
	char url[300];
	struct sbuf body;
};

struct twin_agents {
	struct twin_agents_opts o;
	struct twin_map vms;		/* "cloud/seq" -> struct vm_agent; tick() only */
	uint64_t gen;			/* tick() only */
	size_t running;			/* tick() only; copied to `agents` */
	pthread_t sender;
	pthread_mutex_t lock;		/* guards everything below */
	pthread_cond_t cond;
	struct push *head, *tail;	/* waiting, oldest first */
	size_t nqueued;
	bool stop;
	size_t agents;
	uint64_t ok, failed, dropped;
};

/* ---- the load model ------------------------------------------------------------- */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

/* A uniform [0,1) draw from a seed. */
static double unit(uint64_t seed)
{
	return (double)(mix(seed) >> 11) / 9007199254740992.0;
}

static double clamp(double v, double lo, double hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

int twin_agents_sample(unsigned cloud, uint64_t seq, const struct twin_spec *spec,
		       int64_t now_ms, struct sbuf *out)
{
	uint64_t id = mix(((uint64_t)cloud << 40) ^ seq);
	double t = (double)now_ms / 1000, base = 10 + 50 * unit(id), amp = 5 + 25 * unit(id + 1);
	double period = 120 + 780 * unit(id + 2), phase = 6.283185 * unit(id + 3);
	double noise = 6 * (unit(id ^ (uint64_t)(now_ms / 1000)) - 0.5);
	double util = clamp(base + amp * sin(6.283185 * t / period + phase) + noise, 0.5, 99.5);
	double iowait = clamp(util * 0.04, 0, 100 - util), steal = clamp(util * 0.01, 0, 2);
	uint64_t mem = (uint64_t)(spec && spec->mem_mib ? spec->mem_mib : 4096) << 20;
	uint64_t disk = (uint64_t)(spec && spec->disk_gib ? spec->disk_gib : 30) << 30;
	uint64_t used = (uint64_t)((double)mem * clamp(0.25 + 0.5 * util / 100, 0, 0.95));
	uint64_t cached = mem / 5, buffers = mem / 50, dused = (uint64_t)((double)disk * (0.2 + 0.3 * unit(id + 4)));
	int64_t ns = now_ms * 1000000;
	int rc;

	rc = sbuf_addf(out, "cpu cpu_utilization=%.2f,cpu_user=%.2f,cpu_system=%.2f,cpu_idle=%.2f,"
		       "cpu_iowait=%.2f,cpu_steal=%.2f %" PRId64 "\n", util, util * 0.75,
		       util * 0.25 - steal, 100 - util - iowait, iowait, steal, ns);
	if (!rc)
		rc = sbuf_addf(out, "mem mem_utilization=%.2f,mem_total=%" PRIu64 "i,mem_used=%" PRIu64
			       "i,mem_free=%" PRIu64 "i,mem_cached=%" PRIu64 "i,mem_buffers=%" PRIu64
			       "i %" PRId64 "\n", (double)used * 100 / (double)mem, mem, used,
			       mem - used - cached - buffers, cached, buffers, ns);
	if (!rc)
		rc = sbuf_addf(out, "disk disk_utilization=%.2f,disk_total=%" PRIu64 "i,disk_used=%" PRIu64
			       "i,disk_free=%" PRIu64 "i %" PRId64 "\n", (double)dused * 100 / (double)disk,
			       disk, dused, disk - dused, ns);
	if (!rc)
		rc = sbuf_addf(out, "diskio kb_read=%.1f,kb_written=%.1f,ops_read=%.1f,ops_write=%.1f %"
			       PRId64 "\n", util * 12, util * 30, util * 0.8, util * 2.5, ns);
	if (!rc)
		rc = sbuf_addf(out, "net bytes_in=%.1f,bytes_out=%.1f,pkts_in=%.1f,pkts_out=%.1f,"
			       "err_in=0,err_out=0,drop_in=0,drop_out=0 %" PRId64 "\n", util * 5000,
			       util * 3000, util * 40, util * 30, ns);
	return rc;
}

/* ---- the queue -------------------------------------------------------------------- */

static void push_free(struct push *p)
{
	if (!p)
		return;
	curl_slist_free_all(p->hdr);
	if (p->h)
		curl_easy_cleanup(p->h);
	sbuf_release(&p->body);
	free(p);
}

static struct push *push_new(const struct userdata_agent *c, const struct twin_cloud *cloud,
			     const struct twin_vm *vm, int64_t wall_ms)
{
	struct push *p = calloc(1, sizeof(*p));
	char hdr[200];

	if (!p)
		return NULL;
	snprintf(p->url, sizeof(p->url), "%s/write?precision=ns", c->collector);
	snprintf(hdr, sizeof(hdr), "Authorization: Token %s", c->token);
	p->hdr = curl_slist_append(NULL, hdr);
	snprintf(hdr, sizeof(hdr), "X-Barista-Agent-Interval: %d", c->interval_s);
	p->hdr = curl_slist_append(p->hdr, hdr);
	p->hdr = curl_slist_append(p->hdr, "Expect:");
	if (!p->hdr || twin_agents_sample(cloud->index, vm->seq, vm->spec, wall_ms, &p->body)) {
		push_free(p);
		return NULL;
	}
	return p;
}

static void enqueue(struct twin_agents *a, struct push *p)
{
	struct push *old = NULL;

	pthread_mutex_lock(&a->lock);
	if (a->nqueued >= a->o.max_queue) {
		old = a->head;
		a->head = old->next;
		if (!a->head)
			a->tail = NULL;
		a->nqueued--;
		a->dropped++;
	}
	if (a->tail)
		a->tail->next = p;
	else
		a->head = p;
	a->tail = p;
	a->nqueued++;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	push_free(old);
}

static struct push *dequeue(struct twin_agents *a)
{
	struct push *p = a->head;

	if (p) {
		a->head = p->next;
		if (!a->head)
			a->tail = NULL;
		a->nqueued--;
		p->next = NULL;
	}
	return p;
}

/* ---- the ticker (housekeeping thread) ------------------------------------------------ */

struct visit {
	struct twin_agents *a;
	int64_t now, wall;
};

static struct vm_agent *state_of(struct twin_agents *a, const struct twin_cloud *c,
				 const struct twin_vm *vm)
{
	char key[48];
	struct vm_agent *st;

	snprintf(key, sizeof(key), "%u/%" PRIu64, c->index, vm->seq);
	st = twin_map_get(&a->vms, key);
	if (st)
		return st;
	st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->has_agent = userdata_parse(vm->user_data, vm->user_data_len, &st->conf) == 0;
	if (twin_map_put(&a->vms, key, st, NULL)) {
		free(st);
		return NULL;
	}
	return st;
}

static int visit_vm(void *arg, struct twin_cloud *c, const struct twin_vm *vm)
{
	struct visit *v = arg;
	struct vm_agent *st = state_of(v->a, c, vm);
	int64_t period;
	struct push *p;

	if (!st)
		return 0;
	st->gen = v->a->gen;
	if (!st->has_agent || vm->state != TWIN_VM_RUNNING) {
		st->next_ms = 0;	/* starts over (with a fresh phase) when it runs */
		return 0;
	}
	v->a->running++;
	period = st->conf.interval_s * 1000LL;
	if (!st->next_ms)
		st->next_ms = v->now + (int64_t)(unit(vm->seq ^ (uint64_t)v->now) * (double)period);
	if (v->now < st->next_ms)
		return 0;
	st->next_ms = st->next_ms + period > v->now ? st->next_ms + period : v->now + period;
	p = push_new(&st->conf, c, vm, v->wall);
	if (p)
		enqueue(v->a, p);
	return 0;
}

/* Forget VMs no tick saw this time (swept by the server). */
static void forget_gone(struct twin_agents *a)
{
	const char *key;
	size_t pos = 0;
	struct vm_agent *st;

	while ((st = twin_map_next(&a->vms, &pos, &key))) {
		if (st->gen != a->gen)
			free(twin_map_del(&a->vms, key));
	}
}

static void tick(void *arg, struct twin_server *s, int64_t now)
{
	struct twin_agents *a = arg;
	struct visit v = { a, now, clock_wall_ms() };

	a->gen++;
	a->running = 0;
	twin_server_foreach_vm(s, visit_vm, &v);
	forget_gone(a);
	pthread_mutex_lock(&a->lock);
	a->agents = a->running;
	pthread_mutex_unlock(&a->lock);
}

/* ---- the sender thread ------------------------------------------------------------------ */

static size_t discard(void *d, size_t s, size_t n, void *c)
{
	(void)d;
	(void)c;
	return s * n;
}

static void start_push(CURLM *multi, struct push *p)
{
	p->h = curl_easy_init();
	curl_easy_setopt(p->h, CURLOPT_URL, p->url);
	curl_easy_setopt(p->h, CURLOPT_HTTPHEADER, p->hdr);
	curl_easy_setopt(p->h, CURLOPT_POSTFIELDS, sbuf_str(&p->body));
	curl_easy_setopt(p->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)p->body.len);
	curl_easy_setopt(p->h, CURLOPT_TIMEOUT_MS, (long)PUSH_TIMEOUT_MS);
	curl_easy_setopt(p->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(p->h, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(p->h, CURLOPT_USERAGENT, "cloudtwin-agent");
	curl_easy_setopt(p->h, CURLOPT_PRIVATE, p);
	curl_multi_add_handle(multi, p->h);
}

/* Pushes in flight, owned by the sender thread. */
struct flight {
	struct push *list;
	unsigned n;
};

static void land(struct flight *f, struct push *p)
{
	for (struct push **pp = &f->list; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			f->n--;
			return;
		}
	}
}

/* Collect finished pushes. */
static void reap(struct twin_agents *a, CURLM *multi, struct flight *f)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(multi, &left))) {
		struct push *p;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&p);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(multi, msg->easy_handle);
		pthread_mutex_lock(&a->lock);
		*(msg->data.result == CURLE_OK && status == 204 ? &a->ok : &a->failed) += 1;
		pthread_mutex_unlock(&a->lock);
		land(f, p);
		push_free(p);
	}
}

/* Wait for work (or stop); start as many pushes as connections allow. */
static bool refill(struct twin_agents *a, CURLM *multi, struct flight *f)
{
	struct timespec until;
	bool stop;

	pthread_mutex_lock(&a->lock);
	if (!f->n && !a->head && !a->stop) {
		clock_gettime(CLOCK_MONOTONIC, &until);
		until.tv_nsec += 200 * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
		pthread_cond_timedwait(&a->cond, &a->lock, &until);
	}
	while (f->n < a->o.connections && a->head) {
		struct push *p = dequeue(a);

		start_push(multi, p);
		p->next = f->list;
		f->list = p;
		f->n++;
	}
	stop = a->stop;
	pthread_mutex_unlock(&a->lock);
	return !stop;
}

static void *sender(void *arg)
{
	struct twin_agents *a = arg;
	CURLM *multi = curl_multi_init();
	struct flight f = { NULL, 0 };
	int running;

	curl_multi_setopt(multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)a->o.connections);
	while (refill(a, multi, &f)) {
		curl_multi_perform(multi, &running);
		reap(a, multi, &f);
		if (f.n)
			curl_multi_poll(multi, NULL, 0, 50, NULL);
	}
	while (f.list) {	/* stopping: what is in flight is abandoned */
		struct push *p = f.list;

		f.list = p->next;
		curl_multi_remove_handle(multi, p->h);
		push_free(p);
	}
	curl_multi_cleanup(multi);
	return NULL;
}

/* ---- life cycle ---------------------------------------------------------------------------- */

int twin_agents_new(struct twin_server *s, const struct twin_agents_opts *o,
		    struct twin_agents **out, struct sbuf *err)
{
	struct twin_agents *a = calloc(1, sizeof(*a));
	pthread_condattr_t ca;
	int rc;

	if (!a)
		return -ENOMEM;
	if (o)
		a->o = *o;
	if (!a->o.connections)
		a->o.connections = DEFAULT_CONNECTIONS;
	if (!a->o.max_queue)
		a->o.max_queue = DEFAULT_MAX_QUEUE;
	if (a->o.tick_ms <= 0)
		a->o.tick_ms = DEFAULT_TICK_MS;
	pthread_mutex_init(&a->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&a->cond, &ca);
	pthread_condattr_destroy(&ca);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = twin_server_add_ticker(s, a->o.tick_ms, tick, a);
	if (!rc)
		rc = -pthread_create(&a->sender, NULL, sender, a);
	if (rc) {
		sbuf_addf(err, "simulated agents: %s", strerror(-rc));
		pthread_cond_destroy(&a->cond);
		pthread_mutex_destroy(&a->lock);
		free(a);
		curl_global_cleanup();
		return rc;
	}
	*out = a;
	return 0;
}

void twin_agents_free(struct twin_agents *a)
{
	const char *key;
	size_t pos = 0;
	void *st;

	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	a->stop = true;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->sender, NULL);
	while (a->head)
		push_free(dequeue(a));
	while ((st = twin_map_next(&a->vms, &pos, &key)))
		free(st);
	twin_map_release(&a->vms);
	pthread_cond_destroy(&a->cond);
	pthread_mutex_destroy(&a->lock);
	free(a);
	curl_global_cleanup();
}

void twin_agents_get_stats(struct twin_agents *a, struct twin_agents_stats *st)
{
	pthread_mutex_lock(&a->lock);
	st->agents = a->agents;
	st->pushes_ok = a->ok;
	st->pushes_failed = a->failed;
	st->dropped = a->dropped;
	st->queued = a->nqueued;
	pthread_mutex_unlock(&a->lock);
}
