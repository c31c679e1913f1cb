/*
 * poll.c - reading VM state back from a cloud.
 *
 * One list_vms call (tag managed-by=baristafs, pagination followed by the
 * driver) reads every VM of a cloud at once, instead of one call per VM:
 * with 100 VMs a cloud, that is 100 times fewer requests against the
 * cloud's rate limit.  While any VM of the cloud is transitional the poll
 * repeats every poll_ms; otherwise every refresh_s, to notice changes made
 * outside baristafs.  Drivers without list_vms are read VM by VM.
 *
 * Only the latest queued poll of a cloud runs (poll_gen), so asking for a
 * sooner poll never piles up tasks.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"

struct ptask {
	struct engine *e;
	struct cloud *c;	/* reference */
	uint32_t gen;
};

struct pollable {
	uint64_t id;
	char csp_id[128];
	char target[160];
};

static void poll_run(void *arg, bool cancelled);

void poll_submit(struct engine *e, struct cloud *c, int64_t when_ms)
{
	struct ptask *t = malloc(sizeof(*t));

	if (!t)
		return;
	t->e = e;
	t->c = c;
	t->gen = ++c->poll_gen;
	c->poll_due = when_ms ? when_ms : clock_mono_ms();
	cloud_get(c);
	eng_submit(e, c, when_ms, poll_run, t);
}

static int cmp_reading(const void *a, const void *b)
{
	return strcmp(((const struct drv_vm *)a)->csp_id, ((const struct drv_vm *)b)->csp_id);
}

/* VMs worth reading: known to the cloud, and not waiting for a call's answer. */
static size_t collect(struct cloud *c, struct pollable **out)
{
	struct pollable *p = calloc(c->nvms + 1, sizeof(*p));
	size_t n = 0;

	for (size_t i = 0; p && i < c->nvms; i++) {
		struct vm *v = c->vms[i];

		if (!v->csp_id || (v->action != ACT_NONE && !v->issued))
			continue;
		p[n].id = v->o.id;
		snprintf(p[n].csp_id, sizeof(p[n].csp_id), "%s", v->csp_id);
		snprintf(p[n].target, sizeof(p[n].target), "%s/%s", v->group->o.name, v->o.name);
		n++;
	}
	*out = p;
	return n;
}

/* Fallback for drivers without list_vms: one get_vm per VM. */
static int read_each(struct cloud *c, struct conn *cn, const struct pollable *p, size_t n,
		     struct drv_vm **out, size_t *nout)
{
	struct drv_vm *r = calloc(n + 1, sizeof(*r));
	struct drv_error err;
	size_t m = 0;

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		int rc = call_get_vm(c->caller, cn->ops, cn->drv, p[i].target, p[i].csp_id, &r[m],
				     &err);

		if (rc == 0)
			m++;
		else if (rc != -ENOENT) {
			free(r);
			return rc;
		}
	}
	*out = r;
	*nout = m;
	return 0;
}

static bool any_transitional(struct cloud *c)
{
	for (size_t i = 0; i < c->nvms; i++) {
		if (c->vms[i]->action != ACT_NONE || vmstat_transitional(c->vms[i]->status))
			return true;
	}
	return false;
}

static void apply_all(struct engine *e, const struct pollable *p, size_t n,
		      const struct drv_vm *r, size_t nr)
{
	for (size_t i = 0; i < n; i++) {
		struct obj *o = idmap_get(&e->ids, p[i].id);
		struct vm *v = o && o->kind == EK_VM ? (struct vm *)o : NULL;
		struct drv_vm key;
		const struct drv_vm *hit;

		if (!v || !v->csp_id || (v->action != ACT_NONE && !v->issued))
			continue;
		snprintf(key.csp_id, sizeof(key.csp_id), "%s", v->csp_id);
		hit = nr ? bsearch(&key, r, nr, sizeof(*r), cmp_reading) : NULL;
		if (hit)
			vm_apply(e, v, hit);
		else
			vm_missing(e, v);
	}
}

static void poll_run(void *arg, bool cancelled)
{
	struct ptask *t = arg;
	struct engine *e = t->e;
	struct cloud *c = t->c;
	struct pollable *p = NULL;
	struct drv_vm *r = NULL;
	struct drv_error err = { 0 };
	struct conn *cn = NULL;
	size_t n = 0, nr = 0;
	int rc = -ENOTCONN;

	pthread_mutex_lock(&e->lock);
	if (cancelled || c->removed || t->gen != c->poll_gen)
		goto out;
	c->poll_due = 0;
	cn = cloud_conn_get(c);
	n = cn ? collect(c, &p) : 0;
	pthread_mutex_unlock(&e->lock);
	if (n) {
		rc = call_list_vms(c->caller, cn->ops, cn->drv, NULL, &r, &nr, &err);
		if (rc == -EOPNOTSUPP)
			rc = read_each(c, cn, p, n, &r, &nr);
		if (rc == 0 && nr)
			qsort(r, nr, sizeof(*r), cmp_reading);
	}
	pthread_mutex_lock(&e->lock);
	if (rc == 0)
		apply_all(e, p, n, r, nr);
	if (!c->removed && any_transitional(c))
		cloud_poll_soon(e, c, rc == 0 ? c->poll_ms : c->poll_ms * 4);
	else
		c->next_poll = clock_mono_ms() + c->refresh_ms;
out:
	conn_put(cn);
	cloud_put(e, c);
	pthread_mutex_unlock(&e->lock);
	free(p);
	free(r);
	free(t);
}
