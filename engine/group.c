/*
 * group.c - VM groups (Tumblebug's MCIS): applying a spec by reconciling
 * towards it, group verbs, the partial-failure policies and what the
 * group's files show.
 *
 * Reconciling is planned completely before anything changes, so a spec
 * that cannot be applied (EBUSY: a live subgroup would change cloud, spec
 * or image, or a VM to be removed is busy) changes nothing.  Each
 * application that adds VMs opens a batch; when the batch's last VM has
 * finished creating, its policy runs once: continue keeps what came up,
 * rollback terminates the whole batch, refine drops the failed VMs.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/names.h"

/* ---- lifetime and records --------------------------------------------------- */

struct group *group_new(struct engine *e, const char *name, uid_t uid, gid_t gid)
{
	struct group *g = calloc(1, sizeof(*g));

	if (!g)
		return NULL;
	g->events = evlog_new(GROUP_EVENTS_BYTES);
	g->next_batch = 1;
	if (!g->events || eng_obj_init(e, &g->o, EK_GROUP, ENG_ROOT_ID, name, uid, gid) != 0) {
		evlog_free(g->events);
		free(g);
		return NULL;
	}
	return g;
}

void group_free(struct engine *e, struct group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->vms.n; i++)
		vm_free(e, (struct vm *)g->vms.v[i]);
	objvec_release(&g->vms);
	eng_obj_release(e, &g->o);
	gspec_free(g->spec);
	free(g->spec_text);
	free(g->error);
	free(g->batches);
	evlog_free(g->events);
	free(g);
}

void group_serialize(struct engine *e, struct group *g, struct sbuf *out)
{
	json_t *rec = json_pack("{s:s, s:i, s:i, s:I, s:i}", "name", g->o.name, "uid",
				(int)g->o.uid, "gid", (int)g->o.gid, "ctime",
				(json_int_t)g->o.ctime_ms, "next_batch", (int)g->next_batch);
	json_t *batches = json_array();
	char *text;

	(void)e;
	if (g->spec_text)
		json_object_set_new(rec, "spec_text", json_string(g->spec_text));
	if (g->error)
		json_object_set_new(rec, "error", json_string(g->error));
	for (size_t i = 0; i < g->nbatches; i++)
		json_array_append_new(batches, json_pack("{s:i, s:s}", "id", (int)g->batches[i].id,
							 "policy",
							 gspec_policy_name(g->batches[i].policy)));
	json_object_set_new(rec, "batches", batches);
	text = json_dumps(rec, JSON_COMPACT);
	if (text)
		sbuf_adds(out, text);
	free(text);
	json_decref(rec);
}

static void dirty(struct engine *e, struct group *g)
{
	eng_dirty(e, "group/%s", g->o.name);
	eng_touch(e, &g->o, ENG_CHG_ATTR);
}

static int load_batches(struct group *g, json_t *arr)
{
	json_t *b;
	size_t i;

	g->batches = calloc(json_array_size(arr) + 1, sizeof(*g->batches));
	if (!g->batches)
		return -ENOMEM;
	json_array_foreach(arr, i, b) {
		const char *pol = json_string_value(json_object_get(b, "policy"));
		struct batch *bt = &g->batches[g->nbatches++];

		bt->id = (uint32_t)json_integer_value(json_object_get(b, "id"));
		bt->policy = GSPEC_CONTINUE;
		for (int p = 0; pol && p < 3; p++) {
			if (strcmp(pol, gspec_policy_name((enum gspec_policy)p)) == 0)
				bt->policy = (enum gspec_policy)p;
		}
	}
	return 0;
}

int group_load(struct engine *e, const char *name, json_t *rec)
{
	const char *text = json_string_value(json_object_get(rec, "spec_text"));
	struct sbuf why = SBUF_INIT;
	struct group *g;

	if (!name_valid(name) || eng_group(e, name))
		return -EINVAL;
	g = group_new(e, name, (uid_t)json_integer_value(json_object_get(rec, "uid")),
		      (gid_t)json_integer_value(json_object_get(rec, "gid")));
	if (!g)
		return -ENOMEM;
	g->o.ctime_ms = json_integer_value(json_object_get(rec, "ctime"));
	g->next_batch = (uint32_t)json_integer_value(json_object_get(rec, "next_batch"));
	if (!g->next_batch)
		g->next_batch = 1;
	eng_set_str(&g->error, json_string_value(json_object_get(rec, "error")));
	if (text && gspec_parse(text, strlen(text), name, &g->spec, &why) == 0)
		g->spec_text = strdup(text);
	else if (text)
		eng_event(e, g, "groups/%s stored spec no longer parses (%s); write it again",
			  name, sbuf_str(&why));
	sbuf_release(&why);
	if (load_batches(g, json_object_get(rec, "batches")) != 0) {
		group_free(e, g);
		return -ENOMEM;
	}
	objvec_insert(&e->groups, &g->o);
	return 0;
}

/* ---- batches and the partial-failure policies ------------------------------------- */

static struct batch *batch_find(struct group *g, uint32_t id)
{
	for (size_t i = 0; i < g->nbatches; i++) {
		if (g->batches[i].id == id)
			return &g->batches[i];
	}
	return NULL;
}

static struct batch *batch_open(struct engine *e, struct group *g, enum gspec_policy p)
{
	struct batch *v = realloc(g->batches, (g->nbatches + 1) * sizeof(*v));

	if (!v)
		return NULL;
	g->batches = v;
	v[g->nbatches] = (struct batch){ .id = g->next_batch++, .policy = p };
	(void)e;
	return &v[g->nbatches++];
}

static void batch_close(struct group *g, struct batch *b)
{
	size_t i = (size_t)(b - g->batches);

	g->batches[i] = g->batches[--g->nbatches];
}

void group_batches_rebuild(struct engine *e, struct group *g)
{
	(void)e;
	for (size_t i = 0; i < g->vms.n; i++) {
		struct vm *v = (struct vm *)g->vms.v[i];
		struct batch *b = batch_find(g, v->batch);

		if (!b)
			continue;
		b->total++;
		if (v->action == ACT_CREATE)
			b->pending++;
		else if (v->status == DRV_VM_FAILED)
			b->failed++;
	}
}

void group_drop_vm(struct engine *e, struct group *g, struct vm *v)
{
	eng_event(e, g, "groups/%s/vms/%s removed from the record", g->o.name, v->o.name);
	objvec_remove(&g->vms, &v->o);
	g->counts[v->status]--;
	eng_removed(e, &v->o);
	eng_dirty(e, "vm/%s/%s", g->o.name, v->o.name);
	vm_free(e, v);
	eng_touch(e, &g->o, ENG_CHG_ATTR | ENG_CHG_CHILDREN);
}

/*
 * Refine one failed VM: drop the record at once when the cloud never made
 * it, else terminate it first (the record goes when it is Terminated).
 */
static void refine_vm(struct engine *e, struct group *g, struct vm *v)
{
	if (!v->csp_id) {
		group_drop_vm(e, g, v);
		return;
	}
	v->batch = UINT32_MAX; /* marks "drop when terminated" */
	vm_start(e, v, ACT_TERMINATE, NULL);
}

static void run_policy(struct engine *e, struct group *g, const struct batch *b)
{
	uint32_t id = b->id;
	enum gspec_policy p = b->policy;

	eng_event(e, g, "groups/%s request %u finished: %u of %u VMs failed; policy %s", g->o.name,
		  id, b->failed, b->total, gspec_policy_name(p));
	if (p == GSPEC_CONTINUE)
		return;
	for (size_t i = g->vms.n; i-- > 0;) {
		struct vm *v = (struct vm *)g->vms.v[i];

		if (v->batch != id)
			continue;
		if (p == GSPEC_ROLLBACK)
			vm_start(e, v, ACT_TERMINATE, NULL);
		else if (v->status == DRV_VM_FAILED)
			refine_vm(e, g, v);
	}
}

void group_batch_done(struct engine *e, struct group *g, uint32_t batch, bool failed)
{
	struct batch *b = batch_find(g, batch);
	struct batch copy;

	if (!b)
		return;
	if (b->pending)
		b->pending--;
	if (failed)
		b->failed++;
	if (b->pending)
		return;
	copy = *b;
	batch_close(g, b);
	dirty(e, g);
	if (copy.failed)
		run_policy(e, g, &copy);
	else
		eng_event(e, g, "groups/%s request %u finished: all %u VMs came up", g->o.name,
			  copy.id, copy.total);
}

/* ---- create / remove ---------------------------------------------------------------- */

static struct group *group_by_id(struct engine *e, uint64_t id)
{
	struct obj *o = idmap_get(&e->ids, id);

	return o && o->kind == EK_GROUP ? (struct group *)o : NULL;
}

static int refuse(struct engine *e, struct group *g, int rc, struct sbuf *why, size_t from)
{
	const char *reason = sbuf_str(why) + from;

	if (!g)
		return rc;
	eng_set_str(&g->error, reason);
	eng_event(e, g, "groups/%s error: %s", g->o.name, reason);
	dirty(e, g);
	return rc;
}

int engine_group_create(struct engine *e, const char *name, uid_t uid, gid_t gid,
			struct sbuf *why)
{
	struct group *g;
	int rc = 0;

	if (!name_valid(name)) {
		sbuf_addf(why, "\"%s\" is not a valid name: use [a-z0-9][a-z0-9._-]*, at most 63",
			  name);
		return -EINVAL;
	}
	pthread_mutex_lock(&e->lock);
	if (eng_group(e, name)) {
		rc = -EEXIST;
	} else if (!(g = group_new(e, name, uid, gid))) {
		rc = -ENOMEM;
	} else {
		objvec_insert(&e->groups, &g->o);
		eng_dirty(e, "group/%s", name);
		eng_touch(e, &e->root, ENG_CHG_CHILDREN);
		eng_event(e, g, "groups/%s created", name);
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

int engine_group_remove(struct engine *e, const char *name, struct sbuf *why)
{
	struct group *g;
	unsigned live;
	int rc = 0;

	pthread_mutex_lock(&e->lock);
	g = eng_group(e, name);
	live = g ? (unsigned)g->vms.n - g->counts[DRV_VM_TERMINATED] : 0;
	if (!g) {
		rc = -ENOENT;
	} else if (live) {
		sbuf_addf(why, "%u VMs of group %s are not Terminated; "
			  "echo terminate > ctl first", live, name);
		rc = refuse(e, g, -ENOTEMPTY, why, 0);
	} else {
		for (size_t i = 0; i < g->vms.n; i++)
			eng_dirty(e, "vm/%s/%s", name, g->vms.v[i]->name);
		objvec_remove(&e->groups, &g->o);
		eng_removed(e, &g->o);
		eng_dirty(e, "group/%s", name);
		eng_event(e, NULL, "groups/%s removed", name);
		group_free(e, g);
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* ---- applying a spec ------------------------------------------------------------------ */

static bool vm_live(const struct vm *v)
{
	return v->status != DRV_VM_TERMINATED;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A spec and an image the catalog knows must be of one architecture. */
static int check_arch(struct cloud *c, const struct gspec_sub *s, struct sbuf *why)
{
	const char *sa = cloud_arch(c, s->spec, NULL), *ia = cloud_arch(c, NULL, s->image);

	if (!sa[0] || !ia[0] || strcmp(sa, ia) == 0)
		return 0;
	sbuf_addf(why, "subgroup \"%s\": spec %s is %s but image %s is %s", s->name, s->spec, sa,
		  s->image, ia);
	return -EINVAL;
}

/* Does the cloud exist, have a driver, and know the spec and image? */
static int check_sub_cloud(struct engine *e, const struct gspec_sub *s, struct sbuf *why)
{
	struct cloud *c = eng_cloud(e, s->cloud);
	int has;

	if (!c) {
		sbuf_addf(why, "subgroup \"%s\": unknown cloud \"%s\" (see clouds/)", s->name,
			  s->cloud);
		return -EINVAL;
	}
	if (!c->ops) {
		sbuf_addf(why, "subgroup \"%s\": cloud \"%s\" has no driver yet", s->name, s->cloud);
		return -EINVAL;
	}
	has = cloud_has_spec(c, s->spec);
	if (has == 0) {
		sbuf_addf(why, "subgroup \"%s\": cloud %s has no spec \"%s\" (see clouds/%s/specs/)",
			  s->name, s->cloud, s->spec, s->cloud);
		return -EINVAL;
	}
	has = cloud_has_image(c, s->image);
	if (has == 0) {
		sbuf_addf(why, "subgroup \"%s\": cloud %s has no image \"%s\" (see clouds/%s/images/)",
			  s->name, s->cloud, s->image, s->cloud);
		return -EINVAL;
	}
	return check_arch(c, s, why);
}

/* Live VMs of subgroup sub, highest index first, into out (caller frees). */
static size_t live_of(struct group *g, const char *sub, struct vm ***out)
{
	struct vm **v = calloc(g->vms.n + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; v && i < g->vms.n; i++) {
		struct vm *x = (struct vm *)g->vms.v[i];

		if (strcmp(x->sub, sub) == 0 && vm_live(x))
			v[n++] = x;
	}
	for (size_t i = 1; i < n; i++) { /* insertion sort by index, descending */
		struct vm *x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1]->index < x->index; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
	*out = v;
	return n;
}

static uint32_t next_index(struct group *g, const char *sub)
{
	uint32_t max = 0;

	for (size_t i = 0; i < g->vms.n; i++) {
		struct vm *x = (struct vm *)g->vms.v[i];

		if (strcmp(x->sub, sub) == 0 && x->index > max)
			max = x->index;
	}
	return max + 1;
}

/* Can the `drop` highest live VMs of sub be terminated now? */
static int check_scale_down(struct group *g, const char *sub, size_t drop, struct sbuf *why)
{
	struct vm **live;
	size_t n = live_of(g, sub, &live);
	int rc = 0;

	for (size_t i = 0; i < drop && i < n && !rc; i++) {
		if (vmstat_allowed(live[i]->status, live[i]->action, ACT_TERMINATE) < 0) {
			sbuf_addf(why, "subgroup \"%s\" cannot shrink while %s is %s; wait, then "
				  "write the spec again", sub, live[i]->o.name,
				  vmstat_name(live[i]->status));
			rc = -EBUSY;
		}
	}
	free(live);
	return rc;
}

/* A live subgroup may change count and labels, nothing else. */
static int check_sub_change(struct group *g, const struct gspec_sub *old,
			    const struct gspec_sub *new, struct sbuf *why)
{
	struct vm **live;
	size_t n = live_of(g, old->name, &live);
	const char *what = NULL;

	free(live);
	if (!n)
		return 0;
	if (!str_eq(old->cloud, new->cloud))
		what = "cloud";
	else if (!str_eq(old->spec, new->spec))
		what = "spec";
	else if (!str_eq(old->image, new->image))
		what = "image";
	else if (!str_eq(old->zone, new->zone))
		what = "zone";
	if (!what)
		return 0;
	sbuf_addf(why, "subgroup \"%s\" has %zu live VMs: its %s cannot change (terminate them, "
		  "or add a new subgroup)", old->name, n, what);
	return -EBUSY;
}

static int plan(struct engine *e, struct group *g, const struct gspec *ns, struct sbuf *why)
{
	int rc = 0;

	for (size_t i = 0; i < ns->nsubs && !rc; i++) {
		const struct gspec_sub *s = &ns->subs[i];
		const struct gspec_sub *old = gspec_find(g->spec, s->name);
		struct vm **live;
		size_t n = live_of(g, s->name, &live);

		free(live);
		rc = check_sub_cloud(e, s, why);
		if (!rc && old)
			rc = check_sub_change(g, old, s, why);
		if (!rc && (size_t)s->count < n)
			rc = check_scale_down(g, s->name, n - (size_t)s->count, why);
	}
	for (size_t i = 0; g->spec && i < g->spec->nsubs && !rc; i++) {
		const char *sub = g->spec->subs[i].name;

		if (!gspec_find(ns, sub))
			rc = check_scale_down(g, sub, SIZE_MAX, why);
	}
	return rc;
}

/* One event for the subgroup's new VMs (each VM's own events follow). */
static void add_vms(struct engine *e, struct group *g, const struct gspec_sub *s, size_t add,
		    struct batch *b)
{
	uint32_t idx = next_index(g, s->name);

	eng_event(e, g, "groups/%s subgroup %s: %zu VMs requested on %s (%s, %s): %s-%u..%s-%u",
		  g->o.name, s->name, add, s->cloud, s->spec, s->image, s->name, (unsigned)idx,
		  s->name, (unsigned)(idx + add - 1));

	for (size_t k = 0; k < add; k++) {
		struct vm *v = vm_new(e, g, s->name, idx + (uint32_t)k, s, b->id);
		uint64_t gen;

		if (!v)
			break;
		b->total++;
		b->pending++;
		gen = eng_dirty(e, "vm/%s/%s", g->o.name, v->o.name);
		vm_submit(e, v, gen);
	}
}

static void shrink(struct engine *e, struct group *g, const char *sub, size_t keep)
{
	struct vm **live;
	size_t n = live_of(g, sub, &live);

	for (size_t i = 0; i + keep < n; i++)
		vm_start(e, live[i], ACT_TERMINATE, NULL);
	free(live);
}

/* Labels changed for a subgroup: retag its live VMs. */
static void relabel(struct engine *e, struct group *g, const struct gspec_sub *s)
{
	for (size_t i = 0; i < g->vms.n; i++) {
		struct vm *v = (struct vm *)g->vms.v[i];

		if (strcmp(v->sub, s->name) == 0 && vm_live(v) && v->csp_id && v->action == ACT_NONE)
			vm_refresh(e, v); /* the refresh task also pushes the labels */
	}
	eng_event(e, g, "groups/%s subgroup %s labels applied", g->o.name, s->name);
}

static void reconcile(struct engine *e, struct group *g, const struct gspec *old,
		      const struct gspec *ns)
{
	struct batch *b = NULL;
	size_t adds = 0;

	for (size_t i = 0; i < ns->nsubs; i++) {
		struct vm **live;
		size_t n = live_of(g, ns->subs[i].name, &live);

		free(live);
		if ((size_t)ns->subs[i].count > n)
			adds += (size_t)ns->subs[i].count - n;
	}
	if (adds)
		b = batch_open(e, g, ns->policy);
	for (size_t i = 0; i < ns->nsubs; i++) {
		const struct gspec_sub *s = &ns->subs[i];
		const struct gspec_sub *o = gspec_find(old, s->name);
		struct vm **live;
		size_t n = live_of(g, s->name, &live);

		free(live);
		if ((size_t)s->count > n && b)
			add_vms(e, g, s, (size_t)s->count - n, b);
		else if ((size_t)s->count < n)
			shrink(e, g, s->name, (size_t)s->count);
		if (o && !json_equal(o->labels, s->labels))
			relabel(e, g, s);
	}
	for (size_t i = 0; old && i < old->nsubs; i++) {
		if (!gspec_find(ns, old->subs[i].name))
			shrink(e, g, old->subs[i].name, 0);
	}
}

static int apply_spec(struct engine *e, struct group *g, struct gspec *ns, const char *text,
		      size_t len, bool dry_run, struct sbuf *why)
{
	struct gspec *old = g->spec;
	int rc;

	if (old && gspec_equal(old, ns))
		return 0; /* the same document again: nothing to do, no cloud call */
	rc = plan(e, g, ns, why);
	if (rc || dry_run)
		return rc;
	g->spec = ns;
	free(g->spec_text);
	g->spec_text = strndup(text, len);
	eng_set_str(&g->error, NULL);
	eng_event(e, g, "groups/%s spec applied: %ld VMs in %zu subgroups, on_partial_failure %s",
		  g->o.name, ns->total, ns->nsubs, gspec_policy_name(ns->policy));
	reconcile(e, g, old, ns);
	gspec_free(old);
	dirty(e, g);
	return 1; /* ns is now the group's */
}

int engine_group_set_spec(struct engine *e, uint64_t id, const char *text, size_t len,
			  bool dry_run, struct sbuf *why)
{
	struct gspec *ns = NULL;
	struct sbuf name = SBUF_INIT;
	struct group *g;
	size_t from = why->len;
	int rc;

	if (engine_name(e, id, &name) != 0)
		return -ENOENT;
	rc = gspec_parse(text, len, name.buf, &ns, why);
	sbuf_release(&name);
	pthread_mutex_lock(&e->lock);
	g = group_by_id(e, id);
	if (!g)
		rc = -ENOENT;
	else if (!rc)
		rc = apply_spec(e, g, ns, text, len, dry_run, why);
	if (rc == 1) {
		ns = NULL;
		rc = 0;
	}
	if (g && rc && rc != -EAGAIN)
		refuse(e, g, rc, why, from);
	pthread_mutex_unlock(&e->lock);
	gspec_free(ns);
	return rc;
}

/* ---- verbs ----------------------------------------------------------------------------- */

/* Check that act may start on every VM it applies to; the first refusal wins. */
static int check_all(struct group *g, enum vm_action act, struct sbuf *why, unsigned *eligible)
{
	*eligible = 0;
	for (size_t i = 0; i < g->vms.n; i++) {
		struct vm *v = (struct vm *)g->vms.v[i];
		int rc;

		if (v->status == DRV_VM_TERMINATED ||
		    (v->status == DRV_VM_FAILED && act != ACT_TERMINATE))
			continue;
		rc = vmstat_allowed(v->status, v->action, act);
		if (rc < 0) {
			sbuf_addf(why, "cannot %s group %s: VM %s is %s", vmstat_action_name(act),
				  g->o.name, v->o.name, vmstat_name(v->status));
			return rc;
		}
		(*eligible)++;
	}
	if (!*eligible) {
		sbuf_addf(why, "group %s has no VM that can %s", g->o.name, vmstat_action_name(act));
		return -EBUSY;
	}
	return 0;
}

static int group_action(struct engine *e, struct group *g, enum vm_action act, struct sbuf *why)
{
	unsigned n;
	int rc = check_all(g, act, why, &n);

	if (rc)
		return rc;
	eng_event(e, g, "groups/%s %s requested for %u VMs", g->o.name, vmstat_action_name(act),
		  n);
	for (size_t i = 0; i < g->vms.n; i++) {
		struct vm *v = (struct vm *)g->vms.v[i];

		if (v->status == DRV_VM_TERMINATED ||
		    (v->status == DRV_VM_FAILED && act != ACT_TERMINATE))
			continue;
		vm_start(e, v, act, NULL);
	}
	return 0;
}

static int group_refine(struct engine *e, struct group *g)
{
	unsigned n = 0;

	for (size_t i = g->vms.n; i-- > 0;) {
		struct vm *v = (struct vm *)g->vms.v[i];

		if (v->status == DRV_VM_FAILED && v->action == ACT_NONE) {
			refine_vm(e, g, v);
			n++;
		}
	}
	eng_event(e, g, "groups/%s refine: %u failed VMs dropped", g->o.name, n);
	return 0;
}

static void group_refresh(struct engine *e, struct group *g)
{
	for (size_t i = 0; i < g->vms.n; i++) {
		struct vm *v = (struct vm *)g->vms.v[i];
		struct cloud *c = eng_cloud(e, v->cloud);

		if (c && vm_live(v))
			cloud_poll_soon(e, c, 0);
	}
}

int engine_group_ctl(struct engine *e, uint64_t id, const char *verb, struct sbuf *why)
{
	enum vm_action act;
	struct group *g;
	size_t from = why->len;
	int rc = 0;

	pthread_mutex_lock(&e->lock);
	g = group_by_id(e, id);
	if (!g)
		rc = -ENOENT;
	else if (strcmp(verb, "refine") == 0)
		rc = group_refine(e, g);
	else if (strcmp(verb, "refresh") == 0)
		group_refresh(e, g);
	else if (vmstat_action_parse(verb, &act) == 0 && act != ACT_CREATE)
		rc = group_action(e, g, act, why);
	else {
		sbuf_addf(why, "unknown verb \"%s\" (suspend, resume, reboot, terminate, refine, "
			  "refresh)", verb);
		rc = -EINVAL;
	}
	if (g && rc)
		refuse(e, g, rc, why, from);
	else if (g)
		dirty(e, g);
	pthread_mutex_unlock(&e->lock);
	return rc;
}

/* ---- reading ----------------------------------------------------------------------------- */

static void text_counts(struct group *g, struct sbuf *out)
{
	static const enum drv_vm_status order[] = {
		DRV_VM_RUNNING,	   DRV_VM_CREATING,   DRV_VM_FAILED,	DRV_VM_SUSPENDED,
		DRV_VM_SUSPENDING, DRV_VM_RESUMING,   DRV_VM_REBOOTING, DRV_VM_TERMINATING,
		DRV_VM_TERMINATED, DRV_VM_UNDEFINED,
	};

	sbuf_addf(out, "total %zu\n", g->vms.n);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		char name[32];

		snprintf(name, sizeof(name), "%s", vmstat_name(order[i]));
		for (char *p = name; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
		sbuf_addf(out, "%s %u\n", name, g->counts[order[i]]);
	}
}

static void text_cost(struct engine *e, struct group *g, struct sbuf *out)
{
	double sum = 0;
	unsigned priced = 0, unpriced = 0;

	for (size_t i = 0; i < g->vms.n; i++) {
		struct vm *v = (struct vm *)g->vms.v[i];
		struct cloud *c;
		double p;

		if (v->status == DRV_VM_TERMINATED || v->status == DRV_VM_FAILED ||
		    v->status == DRV_VM_SUSPENDED)
			continue;
		c = eng_cloud(e, v->cloud);
		p = c ? cloud_price(c, v->spec) : -1;
		if (p < 0) {
			unpriced++;
			continue;
		}
		sum += p;
		priced++;
	}
	sbuf_addf(out, "estimate_usd_per_hour %.4f\nvms_priced %u\nvms_unpriced %u\n", sum, priced,
		  unpriced);
}

static void text_placement(struct engine *e, struct group *g, struct sbuf *out)
{
	for (size_t i = 0; g->spec && i < g->spec->nsubs; i++) {
		const struct gspec_sub *s = &g->spec->subs[i];
		struct cloud *c = eng_cloud(e, s->cloud);
		const char *zone = s->zone;

		if (!zone && c)
			zone = json_string_value(json_object_get(c->spec, "zone"));
		sbuf_addf(out, "%s.cloud %s\n%s.spec %s\n%s.image %s\n%s.zone %s\n", s->name,
			  s->cloud, s->name, s->spec, s->name, s->image, s->name,
			  zone ? zone : "default");
		sbuf_addf(out, "%s.count %ld\n%s.reason named in the spec\n", s->name, s->count,
			  s->name);
	}
}

int engine_group_text(struct engine *e, uint64_t id, enum group_text what, struct sbuf *out)
{
	struct group *g;
	char buf[96];

	pthread_mutex_lock(&e->lock);
	g = group_by_id(e, id);
	if (!g) {
		pthread_mutex_unlock(&e->lock);
		return -ENOENT;
	}
	switch (what) {
	case GT_SPEC:
		if (g->spec_text) {
			sbuf_adds(out, g->spec_text);
			if (!g->spec_text[0] || g->spec_text[strlen(g->spec_text) - 1] != '\n')
				sbuf_addc(out, '\n');
		}
		break;
	case GT_STATUS:
		sbuf_addf(out, "%s\n", vmstat_group_string(g->counts, buf, sizeof(buf)));
		break;
	case GT_COUNTS:
		text_counts(g, out);
		break;
	case GT_ERROR:
		if (g->error)
			sbuf_addf(out, "%s\n", g->error);
		break;
	case GT_PLACEMENT:
		text_placement(e, g, out);
		break;
	case GT_COST:
		text_cost(e, g, out);
		break;
	}
	pthread_mutex_unlock(&e->lock);
	return 0;
}

int engine_group_settled(struct engine *e, uint64_t id, struct sbuf *status)
{
	struct group *g;
	char buf[96];
	int rc = 1;

	pthread_mutex_lock(&e->lock);
	g = group_by_id(e, id);
	if (!g) {
		pthread_mutex_unlock(&e->lock);
		return -ENOENT;
	}
	for (size_t i = 0; i < g->vms.n && rc; i++) {
		struct vm *v = (struct vm *)g->vms.v[i];

		if (vmstat_transitional(v->status) || v->action != ACT_NONE)
			rc = 0;
	}
	if (rc)
		sbuf_addf(status, "%s\n", vmstat_group_string(g->counts, buf, sizeof(buf)));
	pthread_mutex_unlock(&e->lock);
	return rc;
}

size_t engine_group_events_size(struct engine *e, uint64_t id)
{
	struct group *g;
	size_t n = 0;

	pthread_mutex_lock(&e->lock);
	g = group_by_id(e, id);
	if (g)
		n = evlog_size(g->events);
	pthread_mutex_unlock(&e->lock);
	return n;
}

int engine_group_events_read(struct engine *e, uint64_t id, off_t off, size_t size,
			     struct sbuf *out)
{
	struct group *g;
	int rc = -ENOENT;

	pthread_mutex_lock(&e->lock);
	g = group_by_id(e, id);
	if (g) {
		evlog_read(g->events, off, size, out);
		rc = 0;
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}
