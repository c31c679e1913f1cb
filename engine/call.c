/*
 * call.c - the driver wrapper; see call.h for what every call goes through.
 */
#include "engine/call.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/errname.h"

#define LAT_SAMPLES 1024
#define CALLS_LOG_BYTES (256u << 10)

static const char *const op_names[CALL_NOPS] = {
	"health",  "list_specs", "list_images", "create_vm", "get_vm",
	"list_vms", "control_vm", "delete_vm",	"tag_vm",    "cleanup",
};

struct op_stats {
	uint64_t calls;		/* attempts */
	uint64_t errors;	/* failed attempts */
	uint64_t retries;
	uint32_t lat_us[LAT_SAMPLES];	/* ring of recent attempt latencies */
	uint32_t nlat;
	uint32_t next;
	char last_error[200];
};

struct caller {
	pthread_mutex_t lock;	/* guards every field below; a leaf lock */
	pthread_cond_t slot_free;
	struct call_limits lim;
	struct call_faults faults;
	int inflight;
	int64_t tat_ms;		/* GCRA theoretical arrival time */
	uint64_t rng;
	struct op_stats stats[CALL_NOPS];
	struct evlog *log;	/* own lock */
};

typedef int (*call_fn)(const struct drv_ops *ops, void *conn, const struct drv_ctx *ctx,
		       void *args, struct drv_error *err);

void call_limits_default(struct call_limits *l)
{
	*l = (struct call_limits){
		.concurrency = 16, .rps = 20, .burst = 20, .retries = 4,
		.attempt_ms = 60000, .deadline_ms = 300000,
		.backoff_ms = 200, .backoff_max_ms = 10000,
	};
}

const char *call_op_name(enum call_op op)
{
	return (unsigned)op < CALL_NOPS ? op_names[op] : "unknown";
}

struct caller *caller_new(void)
{
	struct caller *c = calloc(1, sizeof(*c));
	pthread_condattr_t ca;

	if (!c)
		return NULL;
	c->log = evlog_new(CALLS_LOG_BYTES);
	if (!c->log) {
		free(c);
		return NULL;
	}
	call_limits_default(&c->lim);
	c->rng = (uint64_t)clock_mono_ns() | 1;
	pthread_mutex_init(&c->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->slot_free, &ca);
	pthread_condattr_destroy(&ca);
	return c;
}

void caller_free(struct caller *c)
{
	if (!c)
		return;
	evlog_free(c->log);
	pthread_cond_destroy(&c->slot_free);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void caller_set_limits(struct caller *c, const struct call_limits *l)
{
	pthread_mutex_lock(&c->lock);
	c->lim = *l;
	if (c->lim.concurrency < 1)
		c->lim.concurrency = 1;
	if (c->lim.burst < 1)
		c->lim.burst = 1;
	pthread_cond_broadcast(&c->slot_free);
	pthread_mutex_unlock(&c->lock);
}

void caller_get_limits(struct caller *c, struct call_limits *l)
{
	pthread_mutex_lock(&c->lock);
	*l = c->lim;
	pthread_mutex_unlock(&c->lock);
}

void caller_set_faults(struct caller *c, const struct call_faults *f)
{
	pthread_mutex_lock(&c->lock);
	c->faults = *f;
	pthread_mutex_unlock(&c->lock);
}

struct evlog *caller_log(struct caller *c)
{
	return c->log;
}

/* xorshift64; lock held. */
static double rand01(struct caller *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 7;
	c->rng ^= c->rng << 17;
	return (double)(c->rng >> 11) / (double)(1ull << 53);
}

static void cond_wait_until(pthread_cond_t *cv, pthread_mutex_t *m, int64_t until_ms)
{
	struct timespec ts = { .tv_sec = until_ms / 1000, .tv_nsec = (until_ms % 1000) * 1000000 };

	pthread_cond_timedwait(cv, m, &ts);
}

static int slot_get(struct caller *c, int64_t deadline)
{
	pthread_mutex_lock(&c->lock);
	while (c->inflight >= c->lim.concurrency) {
		if (clock_mono_ms() >= deadline) {
			pthread_mutex_unlock(&c->lock);
			return -ETIMEDOUT;
		}
		cond_wait_until(&c->slot_free, &c->lock, deadline);
	}
	c->inflight++;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

static void slot_put(struct caller *c)
{
	pthread_mutex_lock(&c->lock);
	c->inflight--;
	pthread_cond_signal(&c->slot_free);
	pthread_mutex_unlock(&c->lock);
}

/*
 * Token bucket as GCRA: each request advances the theoretical arrival time
 * by 1/rps; a request may go when that time is at most burst-1 intervals
 * ahead of now.  Reserves the slot under the lock, sleeps outside it.
 */
static int rate_wait(struct caller *c, int64_t deadline)
{
	int64_t now = clock_mono_ms(), when, interval;

	pthread_mutex_lock(&c->lock);
	if (c->lim.rps <= 0) {
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	interval = (int64_t)(1000.0 / c->lim.rps);
	if (c->tat_ms < now)
		c->tat_ms = now;
	when = c->tat_ms - interval * (c->lim.burst - 1);
	if (when > deadline) {
		pthread_mutex_unlock(&c->lock);
		return -ETIMEDOUT;
	}
	c->tat_ms += interval;
	pthread_mutex_unlock(&c->lock);
	if (when > now)
		clock_sleep_ms(when - now);
	return 0;
}

void call_describe_error(int rc, const struct drv_error *err, struct sbuf *out)
{
	sbuf_adds(out, errname(rc));
	if (err && err->code[0])
		sbuf_addf(out, " %s", err->code);
	if (err && err->message[0])
		sbuf_addf(out, "%s %s", err->code[0] ? ":" : "", err->message);
	if (err && err->http_status)
		sbuf_addf(out, " (HTTP %d)", err->http_status);
}

static void record(struct caller *c, enum call_op op, const char *target, int64_t us, int rc,
		   const struct drv_error *err, int attempt)
{
	struct op_stats *s = &c->stats[op];
	struct sbuf line = SBUF_INIT;

	pthread_mutex_lock(&c->lock);
	s->calls++;
	if (attempt > 0)
		s->retries++;
	s->lat_us[s->next] = (uint32_t)(us > UINT32_MAX ? UINT32_MAX : us);
	s->next = (s->next + 1) % LAT_SAMPLES;
	if (s->nlat < LAT_SAMPLES)
		s->nlat++;
	if (rc) {
		struct sbuf e = SBUF_INIT;

		s->errors++;
		call_describe_error(rc, err, &e);
		snprintf(s->last_error, sizeof(s->last_error), "%s", sbuf_str(&e));
		sbuf_release(&e);
	}
	pthread_mutex_unlock(&c->lock);

	sbuf_addf(&line, "%s %s %lld ", op_names[op], target ? target : "-",
		  (long long)((us + 500) / 1000));
	if (rc)
		call_describe_error(rc, err, &line);
	else
		sbuf_adds(&line, "ok");
	if (attempt > 0)
		sbuf_addf(&line, " (retry %d)", attempt);
	evlog_add(c->log, sbuf_str(&line));
	sbuf_release(&line);
}

/* Injected faults for tests; 0 when none fired. */
static int inject(struct caller *c, const struct drv_ctx *ctx, struct drv_error *err)
{
	struct call_faults f;
	double r;

	pthread_mutex_lock(&c->lock);
	f = c->faults;
	r = rand01(c);
	pthread_mutex_unlock(&c->lock);
	if (f.latency_ms > 0) {
		int64_t left = ctx->deadline_ms - clock_mono_ms();

		clock_sleep_ms(f.latency_ms < left ? f.latency_ms : (left > 0 ? left : 0));
		if (f.latency_ms >= left)
			return drv_fail(err, ETIMEDOUT, "InjectedLatency", "deadline reached");
	}
	if (r < f.throttle_rate) {
		err->retryable = true;
		return drv_fail(err, EAGAIN, "InjectedThrottle", "throttled by fault injection");
	}
	if (r < f.throttle_rate + f.error_rate) {
		err->retryable = true;
		err->http_status = 503;
		return drv_fail(err, EIO, "InjectedFault", "5xx by fault injection");
	}
	return 0;
}

static bool retryable(int rc, const struct drv_error *err)
{
	return rc == -EAGAIN || rc == -ETIMEDOUT || (rc && err->retryable);
}

static int64_t backoff_ms(struct caller *c, int attempt, const struct drv_error *err)
{
	int64_t cap, ms;

	pthread_mutex_lock(&c->lock);
	cap = c->lim.backoff_ms << (attempt < 20 ? attempt : 20);
	if (cap > c->lim.backoff_max_ms || cap <= 0)
		cap = c->lim.backoff_max_ms;
	ms = (int64_t)(rand01(c) * (double)cap);
	pthread_mutex_unlock(&c->lock);
	if (err->retry_after_ms > ms)
		ms = err->retry_after_ms;
	return ms;
}

static int attempt_once(struct caller *c, enum call_op op, const char *target,
			const struct drv_ops *ops, void *conn, call_fn fn, void *args,
			int64_t deadline, int attempt, struct drv_error *err)
{
	struct call_limits lim;
	struct drv_ctx ctx = { 0 };
	int64_t start;
	int rc;

	caller_get_limits(c, &lim);
	memset(err, 0, sizeof(*err));
	rc = rate_wait(c, deadline);
	if (rc)
		return drv_fail(err, ETIMEDOUT, "RateLimitWait", "deadline reached waiting for rate");
	start = clock_mono_ns();
	ctx.deadline_ms = clock_mono_ms() + lim.attempt_ms;
	if (ctx.deadline_ms > deadline)
		ctx.deadline_ms = deadline;
	rc = inject(c, &ctx, err);
	if (!rc)
		rc = fn(ops, conn, &ctx, args, err);
	if (rc > 0)
		rc = -EIO;
	record(c, op, target, (clock_mono_ns() - start) / 1000, rc, err, attempt);
	return rc;
}

static int run(struct caller *c, enum call_op op, const char *target, const struct drv_ops *ops,
	       void *conn, call_fn fn, void *args, struct drv_error *err)
{
	struct call_limits lim;
	int64_t deadline;
	int rc, attempt;

	caller_get_limits(c, &lim);
	deadline = clock_mono_ms() + lim.deadline_ms;
	rc = slot_get(c, deadline);
	if (rc) {
		memset(err, 0, sizeof(*err));
		return drv_fail(err, ETIMEDOUT, "ConcurrencyWait", "deadline reached waiting for a slot");
	}
	for (attempt = 0;; attempt++) {
		int64_t pause;

		rc = attempt_once(c, op, target, ops, conn, fn, args, deadline, attempt, err);
		if (!rc || !retryable(rc, err) || attempt >= lim.retries)
			break;
		pause = backoff_ms(c, attempt, err);
		if (clock_mono_ms() + pause >= deadline)
			break;
		clock_sleep_ms(pause);
	}
	slot_put(c);
	return rc;
}

static int unsupported(struct drv_error *err)
{
	memset(err, 0, sizeof(*err));
	return drv_fail(err, EOPNOTSUPP, "NotSupported", "the cloud's driver cannot do this");
}

/* ---- one trampoline per operation --------------------------------------- */

static int do_health(const struct drv_ops *o, void *conn, const struct drv_ctx *ctx, void *a,
		     struct drv_error *err)
{
	(void)a;
	return o->health(conn, ctx, err);
}

int call_health(struct caller *c, const struct drv_ops *ops, void *conn, struct drv_error *err)
{
	if (!ops->health)
		return unsupported(err);
	return run(c, CALL_HEALTH, NULL, ops, conn, do_health, NULL, err);
}

/* A growable array filled by list callbacks; reset before each attempt. */
struct collect {
	void *items;
	size_t n, cap, size;
	const struct drv_kv *filter;
};

static int collect_add(struct collect *col, const void *item)
{
	if (col->n == col->cap) {
		size_t cap = col->cap ? col->cap * 2 : 32;
		void *p = realloc(col->items, cap * col->size);

		if (!p)
			return -ENOMEM;
		col->items = p;
		col->cap = cap;
	}
	memcpy((char *)col->items + col->n * col->size, item, col->size);
	col->n++;
	return 0;
}

static int add_spec(void *arg, const struct drv_spec_info *s)
{
	return collect_add(arg, s);
}

static int add_image(void *arg, const struct drv_image_info *i)
{
	return collect_add(arg, i);
}

static int add_vm(void *arg, const struct drv_vm *v)
{
	return collect_add(arg, v);
}

static int do_list_specs(const struct drv_ops *o, void *conn, const struct drv_ctx *ctx, void *a,
			 struct drv_error *err)
{
	((struct collect *)a)->n = 0;
	return o->list_specs(conn, ctx, add_spec, a, err);
}

static int do_list_images(const struct drv_ops *o, void *conn, const struct drv_ctx *ctx,
			  void *a, struct drv_error *err)
{
	((struct collect *)a)->n = 0;
	return o->list_images(conn, ctx, add_image, a, err);
}

static int do_list_vms(const struct drv_ops *o, void *conn, const struct drv_ctx *ctx, void *a,
		       struct drv_error *err)
{
	struct collect *col = a;

	col->n = 0;
	return o->list_vms(conn, ctx, col->filter, add_vm, a, err);
}

static int finish_list(int rc, struct collect *col, void **out, size_t *n)
{
	if (rc) {
		free(col->items);
		*out = NULL;
		*n = 0;
		return rc;
	}
	*out = col->items;
	*n = col->n;
	return 0;
}

int call_list_specs(struct caller *c, const struct drv_ops *ops, void *conn,
		    struct drv_spec_info **out, size_t *n, struct drv_error *err)
{
	struct collect col = { .size = sizeof(**out) };
	int rc;

	if (!ops->list_specs)
		return unsupported(err);
	rc = run(c, CALL_LIST_SPECS, NULL, ops, conn, do_list_specs, &col, err);
	return finish_list(rc, &col, (void **)out, n);
}

int call_list_images(struct caller *c, const struct drv_ops *ops, void *conn,
		     struct drv_image_info **out, size_t *n, struct drv_error *err)
{
	struct collect col = { .size = sizeof(**out) };
	int rc;

	if (!ops->list_images)
		return unsupported(err);
	rc = run(c, CALL_LIST_IMAGES, NULL, ops, conn, do_list_images, &col, err);
	return finish_list(rc, &col, (void **)out, n);
}

int call_list_vms(struct caller *c, const struct drv_ops *ops, void *conn,
		  const struct drv_kv *filter, struct drv_vm **out, size_t *n,
		  struct drv_error *err)
{
	struct collect col = { .size = sizeof(**out), .filter = filter };
	int rc;

	if (!ops->list_vms)
		return unsupported(err);
	rc = run(c, CALL_LIST_VMS, filter ? filter->value : NULL, ops, conn, do_list_vms, &col,
		 err);
	return finish_list(rc, &col, (void **)out, n);
}

struct vm_args {
	const struct drv_vm_req *req;
	struct drv_vm *out;
	const char *csp_id;
	enum drv_action action;
	const struct drv_kv *tags;
	size_t ntags;
};

static int do_create(const struct drv_ops *o, void *conn, const struct drv_ctx *ctx, void *a,
		     struct drv_error *err)
{
	struct vm_args *x = a;

	memset(x->out, 0, sizeof(*x->out));
	return o->create_vm(conn, ctx, x->req, x->out, err);
}

static int do_get(const struct drv_ops *o, void *conn, const struct drv_ctx *ctx, void *a,
		  struct drv_error *err)
{
	struct vm_args *x = a;

	memset(x->out, 0, sizeof(*x->out));
	return o->get_vm(conn, ctx, x->csp_id, x->out, err);
}

static int do_control(const struct drv_ops *o, void *conn, const struct drv_ctx *ctx, void *a,
		      struct drv_error *err)
{
	struct vm_args *x = a;

	return o->control_vm(conn, ctx, x->csp_id, x->action, err);
}

static int do_delete(const struct drv_ops *o, void *conn, const struct drv_ctx *ctx, void *a,
		     struct drv_error *err)
{
	return o->delete_vm(conn, ctx, ((struct vm_args *)a)->csp_id, err);
}

static int do_tag(const struct drv_ops *o, void *conn, const struct drv_ctx *ctx, void *a,
		  struct drv_error *err)
{
	struct vm_args *x = a;

	return o->tag_vm(conn, ctx, x->csp_id, x->tags, x->ntags, err);
}

static int do_cleanup(const struct drv_ops *o, void *conn, const struct drv_ctx *ctx, void *a,
		      struct drv_error *err)
{
	(void)a;
	return o->cleanup(conn, ctx, err);
}

int call_create_vm(struct caller *c, const struct drv_ops *ops, void *conn, const char *target,
		   const struct drv_vm_req *req, struct drv_vm *out, struct drv_error *err)
{
	struct vm_args a = { .req = req, .out = out };

	if (!ops->create_vm)
		return unsupported(err);
	return run(c, CALL_CREATE_VM, target, ops, conn, do_create, &a, err);
}

int call_get_vm(struct caller *c, const struct drv_ops *ops, void *conn, const char *target,
		const char *csp_id, struct drv_vm *out, struct drv_error *err)
{
	struct vm_args a = { .csp_id = csp_id, .out = out };

	if (!ops->get_vm)
		return unsupported(err);
	return run(c, CALL_GET_VM, target, ops, conn, do_get, &a, err);
}

int call_control_vm(struct caller *c, const struct drv_ops *ops, void *conn, const char *target,
		    const char *csp_id, enum drv_action action, struct drv_error *err)
{
	struct vm_args a = { .csp_id = csp_id, .action = action };

	if (!ops->control_vm)
		return unsupported(err);
	return run(c, CALL_CONTROL_VM, target, ops, conn, do_control, &a, err);
}

int call_delete_vm(struct caller *c, const struct drv_ops *ops, void *conn, const char *target,
		   const char *csp_id, struct drv_error *err)
{
	struct vm_args a = { .csp_id = csp_id };

	if (!ops->delete_vm)
		return unsupported(err);
	return run(c, CALL_DELETE_VM, target, ops, conn, do_delete, &a, err);
}

int call_tag_vm(struct caller *c, const struct drv_ops *ops, void *conn, const char *target,
		const char *csp_id, const struct drv_kv *tags, size_t ntags,
		struct drv_error *err)
{
	struct vm_args a = { .csp_id = csp_id, .tags = tags, .ntags = ntags };

	if (!ops->tag_vm)
		return unsupported(err);
	return run(c, CALL_TAG_VM, target, ops, conn, do_tag, &a, err);
}

int call_cleanup(struct caller *c, const struct drv_ops *ops, void *conn, struct drv_error *err)
{
	if (!ops->cleanup)
		return unsupported(err);
	return run(c, CALL_CLEANUP, NULL, ops, conn, do_cleanup, NULL, err);
}

/* ---- statistics ------------------------------------------------------------ */

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

static double pct_ms(const uint32_t *sorted, uint32_t n, double p)
{
	uint32_t i = (uint32_t)(p * (double)(n - 1) + 0.5);

	return (double)sorted[i] / 1000.0;
}

void caller_stats(struct caller *c, struct sbuf *out)
{
	uint32_t *tmp = malloc(sizeof(uint32_t) * LAT_SAMPLES);

	if (!tmp)
		return;
	pthread_mutex_lock(&c->lock);
	for (int op = 0; op < CALL_NOPS; op++) {
		const struct op_stats *s = &c->stats[op];
		const char *nm = op_names[op];

		if (!s->calls)
			continue;
		memcpy(tmp, s->lat_us, s->nlat * sizeof(uint32_t));
		qsort(tmp, s->nlat, sizeof(uint32_t), cmp_u32);
		sbuf_addf(out, "%s.calls %llu\n%s.errors %llu\n%s.retries %llu\n", nm,
			  (unsigned long long)s->calls, nm, (unsigned long long)s->errors, nm,
			  (unsigned long long)s->retries);
		sbuf_addf(out, "%s.p50_ms %.1f\n%s.p95_ms %.1f\n%s.p99_ms %.1f\n", nm,
			  pct_ms(tmp, s->nlat, 0.50), nm, pct_ms(tmp, s->nlat, 0.95), nm,
			  pct_ms(tmp, s->nlat, 0.99));
		sbuf_addf(out, "%s.last_error %s\n", nm, s->last_error);
	}
	pthread_mutex_unlock(&c->lock);
	free(tmp);
}

void caller_totals(struct caller *c, uint64_t *calls, uint64_t *errors, uint64_t *retries)
{
	*calls = *errors = *retries = 0;
	pthread_mutex_lock(&c->lock);
	for (int op = 0; op < CALL_NOPS; op++) {
		*calls += c->stats[op].calls;
		*errors += c->stats[op].errors;
		*retries += c->stats[op].retries;
	}
	pthread_mutex_unlock(&c->lock);
}
