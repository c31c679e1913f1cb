/*
 * monitor_files.c - the text of the tree's monitoring files; see
 * monitor.h for each format.
 *
 * Values are copied out of the series store under its lock (a callback
 * that only copies), then formatted with no lock held; so a slow reader
 * never holds up ingest.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "monitor/dragonfly.h"
#include "monitor/monitor_int.h"
#include "monitor/numfmt.h"
#include "monitor/userdata.h"

/* One field copied out of the store. */
struct value {
	size_t name_off, name_len;	/* in values.text */
	bool is_string;
	double v;
	size_t str_off, str_len;
};

struct values {
	struct value *v;
	size_t n, cap;
	struct sbuf text;
	int err;
};

static void values_release(struct values *vs)
{
	free(vs->v);
	sbuf_release(&vs->text);
}

static void copy_value(void *ctx, const char *name, size_t nlen, bool is_string, double v,
		       const char *str, size_t slen)
{
	struct values *vs = ctx;
	struct value *e;

	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? vs->cap * 2 : 16;
		struct value *n = realloc(vs->v, cap * sizeof(*n));

		if (!n) {
			vs->err = -ENOMEM;
			return;
		}
		vs->v = n;
		vs->cap = cap;
	}
	e = &vs->v[vs->n];
	*e = (struct value){ vs->text.len, nlen, is_string, v, 0, 0 };
	if (sbuf_add(&vs->text, name, nlen)) {
		vs->err = -ENOMEM;
		return;
	}
	e->str_off = vs->text.len;
	e->str_len = slen;
	if (slen && sbuf_add(&vs->text, str, slen)) {
		vs->err = -ENOMEM;
		return;
	}
	vs->n++;
}

static const char *value_name(const struct values *vs, const struct value *e)
{
	return vs->text.buf + e->name_off;
}

static bool value_is(const struct values *vs, const struct value *e, const char *name)
{
	return e->name_len == strlen(name) && memcmp(value_name(vs, e), name, e->name_len) == 0;
}

/* A string value on one line: control characters become '?'. */
static int add_string(struct sbuf *out, const char *s, size_t n)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		rc = sbuf_addc(out, (unsigned char)s[i] < ' ' || s[i] == 0x7f ? '?' : s[i]);
	return rc;
}

static int add_value(struct sbuf *out, const struct values *vs, const struct value *e)
{
	int rc = sbuf_addf(out, "%.*s ", (int)e->name_len, value_name(vs, e));

	if (!rc)
		rc = e->is_string ? add_string(out, vs->text.buf + e->str_off, e->str_len) :
			numfmt_double(out, e->v);
	return rc ? rc : sbuf_addc(out, '\n');
}

static bool in_list(const struct dragonfly_measurement *dm, const struct values *vs,
		    const struct value *e)
{
	for (size_t i = 0; dm && i < dm->nfields; i++) {
		if (value_is(vs, e, dm->fields[i]))
			return true;
	}
	return false;
}

/* Dragonfly's fields in their order, then the others as they came. */
static int add_fields(struct sbuf *out, const char *measurement, const struct values *vs)
{
	const struct dragonfly_measurement *dm = dragonfly_find(measurement);
	int rc = 0;

	for (size_t f = 0; dm && !rc && f < dm->nfields; f++) {
		for (size_t i = 0; !rc && i < vs->n; i++) {
			if (value_is(vs, &vs->v[i], dm->fields[f]))
				rc = add_value(out, vs, &vs->v[i]);
		}
	}
	for (size_t i = 0; !rc && i < vs->n; i++) {
		if (!in_list(dm, vs, &vs->v[i]))
			rc = add_value(out, vs, &vs->v[i]);
	}
	return rc;
}

static int add_time(struct sbuf *out, const char *key, int64_t ms)
{
	char when[40];

	if (!ms)
		return sbuf_addf(out, "%s none\n", key);
	return sbuf_addf(out, "%s %s\n", key, clock_rfc3339(ms, 0, when, sizeof(when)));
}

static int add_seconds(struct sbuf *out, const char *key, double s)
{
	int rc = sbuf_addf(out, "%s ", key);

	if (!rc)
		rc = numfmt_double(out, s);
	return rc ? rc : sbuf_addc(out, '\n');
}

static int format_vm(struct monitor_vm *vm, const char *measurement, struct sbuf *out)
{
	struct values vs = { 0 };
	struct tsdb_latest l;
	int64_t age_ms;
	int rc = tsdb_source_latest(vm->src, measurement, copy_value, &vs, &l);

	if (rc == -ENOENT) {
		values_release(&vs);
		if (!dragonfly_find(measurement))
			return -ENOENT;
		return sbuf_addf(out, "observed_at none\nperiod_s %d\nage_s none\n",
				 atomic_load(&vm->interval_s));
	}
	rc = vs.err;
	if (!rc)
		rc = add_fields(out, measurement, &vs);
	if (!rc)
		rc = add_time(out, "observed_at", l.time_ns / 1000000);
	if (!rc)
		rc = add_seconds(out, "period_s", l.period_ns ? round(l.period_ns / 1e6) / 1000 :
				 atomic_load(&vm->interval_s));
	age_ms = clock_wall_ms() - l.time_ns / 1000000;
	if (!rc)
		rc = sbuf_addf(out, "age_s %lld\n", (long long)(age_ms > 0 ? age_ms / 1000 : 0));
	values_release(&vs);
	return rc;
}

int monitor_read_vm(struct monitor *mon, const char *vm_id, const char *measurement,
		    struct sbuf *out)
{
	struct monitor_vm *vm = monitor_vm_ref(mon, vm_id);
	int rc;

	if (!vm)
		return -ENOENT;
	monitor_jit_refresh(mon, vm, measurement);	/* best effort, bounded */
	rc = format_vm(vm, measurement, out);
	monitor_vm_unref(vm);
	return rc;
}

int monitor_list_measurements(struct monitor *mon, const char *vm_id, struct sbuf *out)
{
	struct monitor_vm *vm = monitor_vm_ref(mon, vm_id);
	struct sbuf seen = SBUF_INIT;
	int rc = 0;

	if (!vm)
		return -ENOENT;
	for (size_t i = 0; !rc && i < dragonfly_count; i++)
		rc = sbuf_addf(out, "%s\n", dragonfly_measurements[i].name);
	if (!rc)
		rc = tsdb_source_measurements(vm->src, &seen);
	for (char *line = seen.buf, *nl; !rc && line && (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		if (!dragonfly_find(line))
			rc = sbuf_addf(out, "%s\n", line);
	}
	sbuf_release(&seen);
	monitor_vm_unref(vm);
	return rc;
}

int monitor_read_agent(struct monitor *mon, const char *vm_id, struct sbuf *out)
{
	struct monitor_vm *vm = monitor_vm_ref(mon, vm_id);
	int64_t seen;
	const char *status;
	char pull[MONITOR_ADDR_LEN];
	int rc;

	if (!vm)
		return -ENOENT;
	seen = atomic_load(&vm->last_seen_ms);
	status = !seen ? "absent" : clock_wall_ms() - seen > monitor_stale_ms(vm) ?
		"unhealthy" : "healthy";
	pthread_mutex_lock(&vm->lock);
	strcpy(pull, vm->agent_addr[0] ? vm->agent_addr : vm->learned_addr);
	pthread_mutex_unlock(&vm->lock);
	rc = sbuf_addf(out, "status %s\n", status);
	if (!rc)
		rc = add_time(out, "last_seen", seen);
	if (!rc)
		rc = sbuf_addf(out, "interval_s %d\npull %s\n", atomic_load(&vm->interval_s),
			       pull[0] ? pull : "none");
	monitor_vm_unref(vm);
	return rc;
}

int monitor_read_agent_conf(struct monitor *mon, const char *vm_id, struct sbuf *out)
{
	struct monitor_vm *vm = monitor_vm_ref(mon, vm_id);
	int rc;

	if (!vm)
		return -ENOENT;
	rc = sbuf_addf(out, "collector=%s\ntoken=%s\ninterval=%d\nvm=%s\n", mon->url, vm->token,
		       mon->opts.interval_s, vm->id);
	monitor_vm_unref(vm);
	return rc;
}

/* ---- groups ------------------------------------------------------------------ */

struct agg {
	char *name;
	double sum, min, max;
	size_t n;
};

struct aggs {
	struct agg *a;
	size_t n, cap;
	int err;
};

static struct agg *agg_find(struct aggs *as, const char *name, size_t len)
{
	struct agg *n;

	for (size_t i = 0; i < as->n; i++) {
		if (strlen(as->a[i].name) == len && memcmp(as->a[i].name, name, len) == 0)
			return &as->a[i];
	}
	if (as->n == as->cap) {
		size_t cap = as->cap ? as->cap * 2 : 16;

		n = realloc(as->a, cap * sizeof(*n));
		if (!n)
			return NULL;
		as->a = n;
		as->cap = cap;
	}
	n = &as->a[as->n];
	n->name = strndup(name, len);
	if (!n->name)
		return NULL;
	n->sum = 0;
	n->n = 0;
	as->n++;
	return n;
}

static void agg_add(struct aggs *as, const struct values *vs)
{
	for (size_t i = 0; i < vs->n && !as->err; i++) {
		const struct value *e = &vs->v[i];
		struct agg *a;

		if (e->is_string)
			continue;
		a = agg_find(as, value_name(vs, e), e->name_len);
		if (!a) {
			as->err = -ENOMEM;
			return;
		}
		a->min = a->n ? fmin(a->min, e->v) : e->v;
		a->max = a->n ? fmax(a->max, e->v) : e->v;
		a->sum += e->v;
		a->n++;
	}
}

static int add_agg(struct sbuf *out, const struct agg *a)
{
	int rc = sbuf_addf(out, "%s_avg ", a->name);

	if (!rc)
		rc = numfmt_double(out, a->sum / (double)a->n);
	if (!rc)
		rc = sbuf_addf(out, "\n%s_min ", a->name);
	if (!rc)
		rc = numfmt_double(out, a->min);
	if (!rc)
		rc = sbuf_addf(out, "\n%s_max ", a->name);
	if (!rc)
		rc = numfmt_double(out, a->max);
	return rc ? rc : sbuf_addc(out, '\n');
}

static bool agg_listed(const struct dragonfly_measurement *dm, const char *name)
{
	for (size_t i = 0; dm && i < dm->nfields; i++) {
		if (strcmp(dm->fields[i], name) == 0)
			return true;
	}
	return false;
}

static int add_aggs(struct sbuf *out, const char *measurement, const struct aggs *as)
{
	const struct dragonfly_measurement *dm = dragonfly_find(measurement);
	int rc = 0;

	for (size_t f = 0; dm && !rc && f < dm->nfields; f++) {
		for (size_t i = 0; !rc && i < as->n; i++) {
			if (strcmp(as->a[i].name, dm->fields[f]) == 0)
				rc = add_agg(out, &as->a[i]);
		}
	}
	for (size_t i = 0; !rc && i < as->n; i++) {
		if (!agg_listed(dm, as->a[i].name))
			rc = add_agg(out, &as->a[i]);
	}
	return rc;
}

/* Fold one VM's sample of measurement into as; returns its time (ms) or 0. */
static int64_t group_member(struct monitor *mon, const char *id, const char *measurement,
			    struct aggs *as)
{
	struct monitor_vm *vm = monitor_vm_ref(mon, id);
	struct values vs = { 0 };
	struct tsdb_latest l;
	int64_t t = 0;

	if (!vm)
		return 0;
	if (tsdb_source_latest(vm->src, measurement, copy_value, &vs, &l) == 0 && !vs.err &&
	    clock_wall_ms() - l.time_ns / 1000000 <= monitor_stale_ms(vm)) {
		agg_add(as, &vs);
		t = l.time_ns / 1000000;
	}
	values_release(&vs);
	monitor_vm_unref(vm);
	return t;
}

int monitor_read_group(struct monitor *mon, const char *const *vm_ids, size_t n,
		       const char *measurement, struct sbuf *out)
{
	struct aggs as = { 0 };
	size_t reporting = 0;
	int64_t newest = 0;
	int rc;

	for (size_t i = 0; i < n; i++) {
		int64_t t = group_member(mon, vm_ids[i], measurement, &as);

		reporting += t != 0;
		newest = t > newest ? t : newest;
	}
	rc = as.err ? as.err : add_aggs(out, measurement, &as);
	if (!rc)
		rc = sbuf_addf(out, "vms_reporting %zu\nvms_total %zu\n", reporting, n);
	if (!rc)
		rc = add_time(out, "observed_at", newest);
	for (size_t i = 0; i < as.n; i++)
		free(as.a[i].name);
	free(as.a);
	return rc;
}

/* ---- history and user-data ------------------------------------------------------ */

int monitor_read_history(struct monitor *mon, const char *vm_id, const char *measurement,
			 struct sbuf *out)
{
	return tsdb_history(mon->db, vm_id, measurement, out);
}

int monitor_userdata(struct monitor *mon, const char *vm_id, const char *token,
		     const char *user_data_in, struct sbuf *out)
{
	struct userdata_agent a = { .interval_s = mon->opts.interval_s };

	if (snprintf(a.collector, sizeof(a.collector), "%s", mon->url) >= (int)sizeof(a.collector) ||
	    snprintf(a.token, sizeof(a.token), "%s", token) >= (int)sizeof(a.token) ||
	    snprintf(a.vm, sizeof(a.vm), "%s", vm_id) >= (int)sizeof(a.vm))
		return -EINVAL;
	return userdata_inject(&a, user_data_in, out);
}
