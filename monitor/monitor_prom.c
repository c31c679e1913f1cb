/*
 * monitor_prom.c - GET /metrics: every live series in Prometheus text
 * format 0.0.4, for a Prometheus server to scrape.
 *
 * Naming follows Telegraf's prometheus_client output: a field becomes
 * <measurement>_<field> (or just <field> when it already starts with
 * "<measurement>_", as Dragonfly's do: cpu_utilization, mem_total), every
 * character outside [a-zA-Z0-9_:] becomes '_'; tags become labels, plus
 * vm="<id>" (a tag named vm is exported as exported_vm, as Prometheus
 * does).  All are gauges.  A series whose newest sample is older than its
 * VM's health window is left out, like Telegraf's expiration.
 *
 * Samples of one metric must be contiguous under one # TYPE line, so the
 * lines are collected, sorted by name, de-duplicated, then written.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "monitor/monitor_int.h"
#include "monitor/numfmt.h"

struct entry {
	size_t off;		/* line in prom.text: name{labels} value\n */
	size_t name_len;	/* the metric name's length */
	size_t key_len;		/* name{labels} (without the value) */
	size_t len;
};

struct prom {
	struct sbuf text;
	struct entry *e;
	size_t n, cap;
	const char *vm_id;
	int err;
};

/* Metric names may hold ':', label names may not. */
static bool name_char(char c, bool first, bool label)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (c == ':' && !label) || (!first && c >= '0' && c <= '9');
}

static int add_name(struct sbuf *sb, const char *s, size_t n, bool first, bool label)
{
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		rc = sbuf_addc(sb, name_char(s[i], first && i == 0, label) ? s[i] : '_');
	return rc;
}

static int add_label_value(struct sbuf *sb, const char *s, size_t n)
{
	int rc = sbuf_addc(sb, '"');

	for (size_t i = 0; !rc && i < n; i++) {
		if (s[i] == '\\' || s[i] == '"')
			rc = sbuf_addc(sb, '\\');
		if (!rc)
			rc = s[i] == '\n' ? sbuf_adds(sb, "\\n") : sbuf_addc(sb, s[i]);
	}
	return rc ? rc : sbuf_addc(sb, '"');
}

static int add_labels(struct sbuf *sb, const char *vm_id, const struct tsdb_series_view *s)
{
	int rc = sbuf_adds(sb, "{vm=");

	if (!rc)
		rc = add_label_value(sb, vm_id, strlen(vm_id));
	for (size_t i = 0; !rc && i < s->ntags; i++) {
		const struct lineproto_str *k = &s->tags[i].key;
		bool vm_tag = k->len == 2 && memcmp(k->p, "vm", 2) == 0;

		rc = sbuf_adds(sb, vm_tag ? ",exported_" : ",");
		if (!rc)
			rc = add_name(sb, k->p, k->len, !vm_tag, true);
		if (!rc)
			rc = sbuf_addc(sb, '=');
		if (!rc)
			rc = add_label_value(sb, s->tags[i].value.p, s->tags[i].value.len);
	}
	return rc ? rc : sbuf_addc(sb, '}');
}

static int add_entry(struct prom *p, size_t off, size_t name_len, size_t key_len)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 1024;
		struct entry *n = realloc(p->e, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		p->e = n;
		p->cap = cap;
	}
	p->e[p->n++] = (struct entry){ off, name_len, key_len, p->text.len - off };
	return 0;
}

static void on_series(void *ctx, const struct tsdb_series_view *s, const char *field,
		      size_t flen, double v)
{
	struct prom *p = ctx;
	struct sbuf *t = &p->text;
	size_t off = t->len, name_len, key_len;
	bool prefixed = flen > s->measurement_len && field[s->measurement_len] == '_' &&
			memcmp(field, s->measurement, s->measurement_len) == 0;
	int rc = 0;

	if (p->err)
		return;
	if (!prefixed) {
		rc = add_name(t, s->measurement, s->measurement_len, true, false);
		if (!rc)
			rc = sbuf_addc(t, '_');
	}
	if (!rc)
		rc = add_name(t, field, flen, prefixed, false);
	name_len = t->len - off;
	if (!rc)
		rc = add_labels(t, p->vm_id, s);
	key_len = t->len - off;
	if (!rc)
		rc = sbuf_addc(t, ' ');
	if (!rc)
		rc = numfmt_double(t, v);
	if (!rc)
		rc = sbuf_addc(t, '\n');
	if (!rc)
		rc = add_entry(p, off, name_len, key_len);
	p->err = rc;
}

static int entry_cmp(const void *a, const void *b, void *ctx)
{
	const struct entry *x = a, *y = b;
	const char *text = ctx;
	size_t n = x->key_len < y->key_len ? x->key_len : y->key_len;
	int c = memcmp(text + x->off, text + y->off, n);

	return c ? c : (x->key_len > y->key_len) - (x->key_len < y->key_len);
}

static bool same(const char *text, const struct entry *a, const struct entry *b, bool whole_key)
{
	size_t la = whole_key ? a->key_len : a->name_len, lb = whole_key ? b->key_len : b->name_len;

	return la == lb && memcmp(text + a->off, text + b->off, la) == 0 &&
	       (whole_key || text[a->off + la] == '{');
}

static int write_sorted(struct prom *p, struct sbuf *out)
{
	const char *text = p->text.buf;
	int rc = 0;

	qsort_r(p->e, p->n, sizeof(*p->e), entry_cmp, (void *)text);
	for (size_t i = 0; !rc && i < p->n; i++) {
		const struct entry *e = &p->e[i];

		if (i && same(text, &p->e[i - 1], e, true))
			continue;	/* two series that sanitise to one */
		if (!i || !same(text, &p->e[i - 1], e, false))
			rc = sbuf_addf(out, "# TYPE %.*s gauge\n", (int)e->name_len, text + e->off);
		if (!rc)
			rc = sbuf_add(out, text + e->off, e->len);
	}
	return rc;
}

struct vm_list {
	struct monitor_vm **v;
	size_t n;
	int err;
};

static void take_ref(void *ctx, void *val)
{
	struct vm_list *l = ctx;
	struct monitor_vm *vm = val;

	atomic_fetch_add(&vm->refs, 1);
	l->v[l->n++] = vm;
}

/* Every registered VM, referenced (caller unrefs and frees the array). */
static int all_vms(struct monitor *mon, struct vm_list *l)
{
	pthread_rwlock_rdlock(&mon->vms_lock);
	l->v = malloc((hmap_count(mon->by_id) + 1) * sizeof(*l->v));
	if (l->v)
		hmap_each(mon->by_id, take_ref, l);
	pthread_rwlock_unlock(&mon->vms_lock);
	return l->v ? 0 : -ENOMEM;
}

static int add_agents(struct sbuf *out, const struct vm_list *l)
{
	int64_t now = clock_wall_ms();
	int rc = sbuf_adds(out, "# TYPE baristafs_agent_up gauge\n");

	for (size_t i = 0; !rc && i < l->n; i++) {
		int64_t seen = atomic_load(&l->v[i]->last_seen_ms);

		rc = sbuf_adds(out, "baristafs_agent_up{vm=");
		if (!rc)
			rc = add_label_value(out, l->v[i]->id, strlen(l->v[i]->id));
		if (!rc)
			rc = sbuf_addf(out, "} %d\n", seen && now - seen <= monitor_stale_ms(l->v[i]));
	}
	return rc;
}

static int add_counters(struct monitor *mon, struct sbuf *out)
{
	struct collector_stats cs;
	struct tsdb_stats ts;

	collector_get_stats(mon->collector, &cs);
	tsdb_get_stats(mon->db, &ts);
	return sbuf_addf(out,
		"# TYPE baristafs_collector_requests_total counter\n"
		"baristafs_collector_requests_total %llu\n"
		"# TYPE baristafs_collector_points_total counter\n"
		"baristafs_collector_points_total %llu\n"
		"# TYPE baristafs_collector_samples_total counter\n"
		"baristafs_collector_samples_total %llu\n"
		"# TYPE baristafs_collector_bad_lines_total counter\n"
		"baristafs_collector_bad_lines_total %llu\n"
		"# TYPE baristafs_collector_rejected_total counter\n"
		"baristafs_collector_rejected_total{reason=\"auth\"} %llu\n"
		"baristafs_collector_rejected_total{reason=\"size\"} %llu\n"
		"baristafs_collector_rejected_total{reason=\"busy\"} %llu\n"
		"# TYPE baristafs_collector_series gauge\n"
		"baristafs_collector_series %zu\n"
		"# TYPE baristafs_collector_series_memory_bytes gauge\n"
		"baristafs_collector_series_memory_bytes %zu\n",
		(unsigned long long)cs.requests, (unsigned long long)cs.points,
		(unsigned long long)cs.samples, (unsigned long long)cs.bad_lines,
		(unsigned long long)cs.rejected_auth, (unsigned long long)cs.rejected_size,
		(unsigned long long)cs.rejected_busy, ts.series, ts.bytes);
}

int monitor_scrape(void *ctx, struct sbuf *out)
{
	struct monitor *mon = ctx;
	struct prom p = { .text = { .max = out->max } };
	struct vm_list l = { 0 };
	int64_t now_ns = clock_wall_ms() * 1000000;
	int rc = all_vms(mon, &l);

	for (size_t i = 0; !rc && i < l.n && !p.err; i++) {
		p.vm_id = l.v[i]->id;
		tsdb_source_each(l.v[i]->src, now_ns - monitor_stale_ms(l.v[i]) * 1000000,
				 on_series, &p);
	}
	if (!rc)
		rc = p.err;
	if (!rc)
		rc = write_sorted(&p, out);
	if (!rc)
		rc = add_agents(out, &l);
	if (!rc)
		rc = add_counters(mon, out);
	for (size_t i = 0; i < l.n; i++)
		monitor_vm_unref(l.v[i]);
	free(l.v);
	free(p.e);
	sbuf_release(&p.text);
	return rc;
}
