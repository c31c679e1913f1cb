/*
 * vm.c - the VM lifecycle (DESIGN.md section 5).
 *
 * Intent first: an action is recorded (status, target action, client
 * token) and that record reaches the store before the cloud is called.
 * The call runs on the VM's cloud lane; its outcome and later readings are
 * applied under the engine lock, corrected by the action in flight
 * (vmstat_correct).  A failed call puts the VM back to what it was and
 * asks the cloud for the truth, so nothing stays stuck in a transitional
 * status.
 *
 * After a crash, every VM that was in flight is recovered by asking its
 * cloud first: by the baristafs-id tag when the create's answer never
 * reached us, by get_vm otherwise.  Only what the cloud does not show is
 * done again, with the same client token, so no VM is created twice.
 *
 * Tasks hold a VM's id, never its pointer, and look it up again under the
 * lock; they hold a reference on the cloud (cloud_get) for its caller.
 */
#include "engine/engine_int.h"

#include <errno.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/vmmon.h"
#include "lib/clock.h"

#define CREATE_GRACE_MS 120000	/* a new VM may be missing from lists this long */
#define MISSING_POLLS 3		/* polls that must miss a VM before it is gone */
#define REFINE_MARK UINT32_MAX	/* batch value: drop the record once Terminated */

enum vtask_kind { VT_ACTION, VT_REFRESH, VT_RECOVER };

struct vtask {
	struct engine *e;
	struct cloud *c;	/* reference */
	uint64_t id;		/* the VM */
	enum vtask_kind kind;
	enum vm_action act;
	enum drv_vm_status before; /* status before the action, to restore on failure */
	uint64_t gen;		/* the intent record's generation */
};

/* What a task copies out of the model to call the cloud without the lock. */
struct vcall {
	struct conn *cn;
	char target[160];
	char csp_id[128];
	char vmid[33];
	struct drv_vm_req req;
	struct drv_kv *tags;
	char *strs[8];		/* owned copies behind req */
};

/* ---- names, paths, tokens ---------------------------------------------------- */

void vm_path(const struct vm *v, struct sbuf *out)
{
	sbuf_addf(out, "groups/%s/vms/%s", v->group->o.name, v->o.name);
}

void vm_cloud_name(const struct vm *v, char *buf, size_t len)
{
	char base[128];
	size_t n;

	snprintf(base, sizeof(base), "%s-%s", v->group->o.name, v->o.name);
	for (char *p = base; *p; p++) {
		if (*p == '.' || *p == '_')
			*p = '-';
	}
	n = strlen(base);
	if (n > 50)
		base[50] = '\0';
	while ((n = strlen(base)) && base[n - 1] == '-')
		base[n - 1] = '\0';
	snprintf(buf, len, "bfs-%s-%.6s", base, v->vmid);
}

void vm_token(const struct vm *v, char *buf, size_t len)
{
	snprintf(buf, len, "bfs-%s-%u", v->vmid, (unsigned)v->attempt);
}

static void new_vmid(char out[33])
{
	unsigned char raw[16];

	RAND_bytes(raw, sizeof(raw));
	for (int i = 0; i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

/* ---- records ------------------------------------------------------------------ */

static void vm_link(struct engine *e, struct group *g, struct vm *v)
{
	struct cloud *c = eng_cloud(e, v->cloud);

	objvec_insert(&g->vms, &v->o);
	g->counts[v->status]++;
	if (c && v->status != DRV_VM_TERMINATED)
		cloud_vm_add(c, v);
}

static struct vm *vm_alloc(struct engine *e, struct group *g, const char *name)
{
	struct vm *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	v->group = g;
	v->cl_idx = -1;
	v->attempt = 1;
	if (eng_obj_init(e, &v->o, EK_VM, g->o.id, name, g->o.uid, g->o.gid) != 0) {
		free(v);
		return NULL;
	}
	return v;
}

struct vm *vm_new(struct engine *e, struct group *g, const char *sub, uint32_t index,
		  const struct gspec_sub *s, uint32_t batch)
{
	char name[80];
	struct vm *v;

	snprintf(name, sizeof(name), "%s-%u", sub, (unsigned)index);
	v = vm_alloc(e, g, name);
	if (!v)
		return NULL;
	new_vmid(v->vmid);
	v->sub = intern_get(&e->strings, sub);
	v->index = index;
	v->batch = batch;
	v->cloud = intern_get(&e->strings, s->cloud);
	v->spec = intern_get(&e->strings, s->spec);
	v->image = intern_get(&e->strings, s->image);
	v->zone = intern_get(&e->strings, s->zone);
	v->status = DRV_VM_CREATING;
	v->action = ACT_CREATE;
	v->action_ms = clock_wall_ms();
	vm_link(e, g, v);
	vmmon_vm_add(e, v);	/* its agent's token, before the record is written */
	eng_touch(e, &g->o, ENG_CHG_ATTR | ENG_CHG_CHILDREN);
	return v;
}

void vm_free(struct engine *e, struct vm *v)
{
	struct cloud *c;

	if (!v)
		return;
	c = v->cloud ? eng_cloud(e, v->cloud) : NULL;
	if (c)
		cloud_vm_del(c, v);
	vmmon_vm_remove(e, v);
	free(v->agent_token);
	eng_obj_release(e, &v->o);
	intern_put(&e->strings, v->sub);
	intern_put(&e->strings, v->cloud);
	intern_put(&e->strings, v->spec);
	intern_put(&e->strings, v->image);
	intern_put(&e->strings, v->zone);
	free(v->csp_id);
	free(v->public_ip);
	free(v->private_ip);
	free(v->cloud_status);
	free(v->error);
	free(v);
}

static void set_opt(json_t *rec, const char *key, const char *val)
{
	if (val)
		json_object_set_new(rec, key, json_string(val));
}

void vm_serialize(struct engine *e, struct vm *v, struct sbuf *out)
{
	json_t *rec = json_pack("{s:s, s:i, s:i, s:i, s:s, s:s, s:b, s:s, s:s, s:s, s:s}",
				"sub", v->sub, "index", (int)v->index, "batch", (int)v->batch,
				"attempt", (int)v->attempt, "status", vmstat_name(v->status),
				"action", vmstat_action_name(v->action), "issued", v->issued,
				"id", v->vmid, "cloud", v->cloud, "spec", v->spec, "image",
				v->image);
	char *text, *token = vmmon_seal_token(e, v);

	set_opt(rec, "agent_token", token);
	free(token);
	set_opt(rec, "zone", v->zone);
	set_opt(rec, "csp_id", v->csp_id);
	set_opt(rec, "public_ip", v->public_ip);
	set_opt(rec, "private_ip", v->private_ip);
	set_opt(rec, "cloud_status", v->cloud_status);
	set_opt(rec, "error", v->error);
	json_object_set_new(rec, "created", json_integer(v->created_ms));
	json_object_set_new(rec, "action_ms", json_integer(v->action_ms));
	json_object_set_new(rec, "ctime", json_integer(v->o.ctime_ms));
	text = json_dumps(rec, JSON_COMPACT);
	if (text)
		sbuf_adds(out, text);
	free(text);
	json_decref(rec);
}

static const char *intern_key(struct engine *e, json_t *rec, const char *key)
{
	return intern_get(&e->strings, json_string_value(json_object_get(rec, key)));
}

static char *dup_key(json_t *rec, const char *key)
{
	const char *s = json_string_value(json_object_get(rec, key));

	return s ? strdup(s) : NULL;
}

int vm_load(struct engine *e, struct group *g, const char *name, json_t *rec)
{
	const char *status = json_string_value(json_object_get(rec, "status"));
	const char *action = json_string_value(json_object_get(rec, "action"));
	const char *id = json_string_value(json_object_get(rec, "id"));
	enum drv_vm_status st;
	enum vm_action act = ACT_NONE;
	struct vm *v;

	if (!status || vmstat_parse(status, &st) || !id || strlen(id) != 32 ||
	    !json_string_value(json_object_get(rec, "cloud")) || objvec_find(&g->vms, name))
		return -EINVAL;
	if (action && strcmp(action, "none") != 0 && vmstat_action_parse(action, &act))
		return -EINVAL;
	v = vm_alloc(e, g, name);
	if (!v)
		return -ENOMEM;
	memcpy(v->vmid, id, 33);
	v->status = (uint8_t)st;
	v->action = (uint8_t)act;
	v->issued = json_is_true(json_object_get(rec, "issued"));
	v->sub = intern_key(e, rec, "sub");
	v->index = (uint32_t)json_integer_value(json_object_get(rec, "index"));
	v->batch = (uint32_t)json_integer_value(json_object_get(rec, "batch"));
	v->attempt = (uint16_t)json_integer_value(json_object_get(rec, "attempt"));
	v->cloud = intern_key(e, rec, "cloud");
	v->spec = intern_key(e, rec, "spec");
	v->image = intern_key(e, rec, "image");
	v->zone = intern_key(e, rec, "zone");
	v->csp_id = dup_key(rec, "csp_id");
	v->public_ip = dup_key(rec, "public_ip");
	v->private_ip = dup_key(rec, "private_ip");
	v->cloud_status = dup_key(rec, "cloud_status");
	v->error = dup_key(rec, "error");
	v->created_ms = json_integer_value(json_object_get(rec, "created"));
	v->action_ms = json_integer_value(json_object_get(rec, "action_ms"));
	v->o.ctime_ms = json_integer_value(json_object_get(rec, "ctime"));
	if (!v->sub)
		v->sub = intern_get(&e->strings, "");
	if (!v->spec)
		v->spec = intern_get(&e->strings, "");
	if (!v->image)
		v->image = intern_get(&e->strings, "");
	vm_link(e, g, v);
	vmmon_open_token(e, v, json_string_value(json_object_get(rec, "agent_token")));
	if (!v->agent_token)
		eng_dirty(e, "vm/%s/%s", g->o.name, v->o.name);	/* a record from before tokens */
	if (v->status != DRV_VM_TERMINATED)
		vmmon_vm_add(e, v);
	return 0;
}

/* ---- state changes (lock held) --------------------------------------------------- */

void vm_changed(struct engine *e, struct vm *v)
{
	eng_dirty(e, "vm/%s/%s", v->group->o.name, v->o.name);
	eng_touch(e, &v->o, ENG_CHG_ATTR);
	eng_touch(e, &v->group->o, ENG_CHG_ATTR);
}

static uint64_t vm_intent(struct engine *e, struct vm *v)
{
	uint64_t gen = eng_dirty(e, "vm/%s/%s", v->group->o.name, v->o.name);

	eng_touch(e, &v->o, ENG_CHG_ATTR);
	eng_touch(e, &v->group->o, ENG_CHG_ATTR);
	return gen;
}

void vm_set_status(struct engine *e, struct vm *v, enum drv_vm_status s)
{
	struct group *g = v->group;
	enum drv_vm_status old = v->status;

	if (old == s)
		return;
	g->counts[old]--;
	g->counts[s]++;
	v->status = (uint8_t)s;
	if (s == DRV_VM_TERMINATED) {
		struct cloud *c = eng_cloud(e, v->cloud);

		if (c)
			cloud_vm_del(c, v);
		vmmon_vm_remove(e, v); /* its agent's token stops working */
	}
	eng_event(e, g, "groups/%s/vms/%s %s -> %s", g->o.name, v->o.name, vmstat_name(old),
		  vmstat_name(s));
}

static void set_error(struct engine *e, struct vm *v, const char *what, int rc,
		      const struct drv_error *err)
{
	struct sbuf msg = SBUF_INIT;

	sbuf_addf(&msg, "%s: ", what);
	call_describe_error(rc, err, &msg);
	eng_set_str(&v->error, msg.buf);
	eng_touch(e, &v->o, ENG_CHG_ATTR);
	eng_event(e, v->group, "groups/%s/vms/%s error: %s", v->group->o.name, v->o.name,
		  msg.buf);
	sbuf_release(&msg);
}

/* The action in flight is over (lock held).  May free v (refine). */
static void finish_action(struct engine *e, struct vm *v)
{
	enum vm_action act = v->action;
	struct group *g = v->group;

	v->action = ACT_NONE;
	v->issued = false;
	if (act == ACT_CREATE && v->batch != REFINE_MARK)
		group_batch_done(e, g, v->batch, v->status == DRV_VM_FAILED);
	if (v->status == DRV_VM_TERMINATED && v->batch == REFINE_MARK) {
		group_drop_vm(e, g, v);
		return;
	}
	vm_changed(e, v);
}

static void fail_vm(struct engine *e, struct vm *v, const char *what, int rc,
		    const struct drv_error *err)
{
	set_error(e, v, what, rc, err);
	vm_set_status(e, v, DRV_VM_FAILED);
	finish_action(e, v);
}

/* Set *slot to s when s says something new; true when it changed. */
static bool update_str(char **slot, const char *s)
{
	if (!s[0] || (*slot && strcmp(*slot, s) == 0))
		return false;
	eng_set_str(slot, s);
	return true;
}

/*
 * Apply a reading.  Only what is new is recorded and announced: the
 * background refresh reads every VM every refresh_s, and an unchanged VM
 * must cost neither a store write nor a kernel invalidation.
 */
void vm_apply(struct engine *e, struct vm *v, const struct drv_vm *r)
{
	enum drv_vm_status st;
	bool done, changed = false;

	if (v->action != ACT_NONE && !v->issued)
		return; /* the call is not back yet; its answer decides */
	v->missing = 0;
	if (!v->csp_id)
		changed |= update_str(&v->csp_id, r->csp_id);
	changed |= update_str(&v->public_ip, r->public_ip);
	changed |= update_str(&v->private_ip, r->private_ip);
	if (r->zone[0] && (!v->zone || strcmp(v->zone, r->zone) != 0)) {
		intern_put(&e->strings, v->zone);
		v->zone = intern_get(&e->strings, r->zone);
		changed = true;
	}
	changed |= update_str(&v->cloud_status, r->status_raw);
	if (r->created && v->created_ms != r->created * 1000) {
		v->created_ms = r->created * 1000;
		changed = true;
	}
	st = vmstat_correct(r->status, (enum vm_action)v->action, &done);
	if (st == DRV_VM_UNDEFINED)
		st = (enum drv_vm_status)v->status; /* keep the last known status */
	if (st == DRV_VM_FAILED && st != v->status && r->reason[0]) {
		struct drv_error err = { 0 };

		snprintf(err.message, sizeof(err.message), "%s", r->reason);
		set_error(e, v, "the cloud reports the VM failed", -EIO, &err);
	}
	if (st != v->status) {
		vm_set_status(e, v, st);
		changed = true;
	}
	if (done && v->action != ACT_NONE)
		finish_action(e, v);
	else if (changed)
		vm_changed(e, v);
}

void vm_missing(struct engine *e, struct vm *v)
{
	int64_t age = clock_wall_ms() - v->action_ms;
	struct drv_error err = { 0 };

	if (v->action != ACT_NONE && !v->issued)
		return;
	if (v->action == ACT_TERMINATE) {
		vm_set_status(e, v, DRV_VM_TERMINATED);
		finish_action(e, v);
		return;
	}
	if (v->action == ACT_CREATE && age < CREATE_GRACE_MS)
		return; /* lists lag behind creates on real clouds */
	if (++v->missing < MISSING_POLLS)
		return;
	snprintf(err.code, sizeof(err.code), "NotFound");
	snprintf(err.message, sizeof(err.message), "the cloud no longer lists %s",
		 v->csp_id ? v->csp_id : "it");
	set_error(e, v, "vanished", -ENOENT, &err);
	vm_set_status(e, v, v->action == ACT_CREATE ? DRV_VM_FAILED : DRV_VM_TERMINATED);
	if (v->action != ACT_NONE)
		finish_action(e, v);
	else
		vm_changed(e, v);
}

void vm_check_timeout(struct engine *e, struct vm *v, int64_t now_wall, int64_t limit_ms)
{
	struct drv_error err = { 0 };

	if (v->action == ACT_NONE || !v->issued || now_wall - v->action_ms < limit_ms)
		return;
	snprintf(err.code, sizeof(err.code), "Timeout");
	snprintf(err.message, sizeof(err.message), "no %s after %lld s",
		 vmstat_name(vmstat_action_target((enum vm_action)v->action)),
		 (long long)(limit_ms / 1000));
	set_error(e, v, vmstat_action_name((enum vm_action)v->action), -ETIMEDOUT, &err);
	if (v->action == ACT_CREATE) {
		vm_set_status(e, v, DRV_VM_FAILED);
		finish_action(e, v);
		return;
	}
	finish_action(e, v);
	vm_refresh(e, v);
}

/* ---- tasks -------------------------------------------------------------------------- */

static void task_run(void *arg, bool cancelled);

static void queue(struct engine *e, struct vm *v, enum vtask_kind kind, enum vm_action act,
		  enum drv_vm_status before, uint64_t gen)
{
	struct cloud *c = eng_cloud(e, v->cloud);
	struct vtask *t;

	if (!c) {
		struct drv_error err = { 0 };

		snprintf(err.message, sizeof(err.message), "cloud %s does not exist", v->cloud);
		if (v->action == ACT_CREATE)
			fail_vm(e, v, "create", -ENOENT, &err);
		else
			set_error(e, v, vmstat_action_name((enum vm_action)v->action), -ENOENT, &err);
		return;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return;
	*t = (struct vtask){ .e = e, .c = c, .id = v->o.id, .kind = kind, .act = act,
			     .before = before, .gen = gen };
	cloud_get(c);
	eng_submit(e, c, 0, task_run, t);
}

void vm_submit(struct engine *e, struct vm *v, uint64_t gen)
{
	queue(e, v, VT_ACTION, (enum vm_action)v->action, DRV_VM_UNDEFINED, gen);
}

void vm_refresh(struct engine *e, struct vm *v)
{
	if (v->csp_id)
		queue(e, v, VT_REFRESH, ACT_NONE, DRV_VM_UNDEFINED, 0);
}

void vm_recover(struct engine *e, struct vm *v)
{
	if (v->action == ACT_NONE)
		v->action = (uint8_t)(v->status == DRV_VM_CREATING ? ACT_CREATE : ACT_NONE);
	v->issued = false;
	queue(e, v, VT_RECOVER, (enum vm_action)v->action, DRV_VM_UNDEFINED, 0);
}

int vm_start(struct engine *e, struct vm *v, enum vm_action act, struct sbuf *why)
{
	enum drv_vm_status before = (enum drv_vm_status)v->status;
	int rc = vmstat_allowed(before, (enum vm_action)v->action, act);
	uint64_t gen;

	if (rc < 0) {
		if (why)
			sbuf_addf(why, "cannot %s %s: it is %s", vmstat_action_name(act), v->o.name,
				  vmstat_name(before));
		return rc;
	}
	if (rc == 1)
		return 1;
	eng_set_str(&v->error, NULL);
	v->action = (uint8_t)act;
	v->issued = false;
	v->action_ms = clock_wall_ms();
	if (act == ACT_TERMINATE && !v->csp_id) {
		/* The cloud never made it: nothing to delete. */
		vm_set_status(e, v, DRV_VM_TERMINATED);
		finish_action(e, v);
		return 0;
	}
	vm_set_status(e, v, vmstat_action_busy(act));
	gen = vm_intent(e, v);
	queue(e, v, VT_ACTION, act, before, gen);
	return 0;
}

static struct vm *vm_by_id(struct engine *e, uint64_t id)
{
	struct obj *o = idmap_get(&e->ids, id);

	return o && o->kind == EK_VM ? (struct vm *)o : NULL;
}

static void vcall_release(struct vcall *vc)
{
	for (size_t i = 0; i < sizeof(vc->strs) / sizeof(vc->strs[0]); i++)
		free(vc->strs[i]);
	free(vc->tags);
}

static const char *keep(struct vcall *vc, int slot, const char *s)
{
	vc->strs[slot] = s ? strdup(s) : NULL;
	return vc->strs[slot];
}

/* Tags for a created resource: the standard three, then the labels. */
static void build_tags(struct vcall *vc, struct vm *v, json_t *labels)
{
	size_t n = 3 + json_object_size(labels), i = 3;
	const char *k;
	json_t *val;

	vc->tags = calloc(n, sizeof(*vc->tags));
	if (!vc->tags)
		return;
	vc->tags[0] = (struct drv_kv){ DRV_TAG_ID, vc->vmid };
	vc->tags[1] = (struct drv_kv){ DRV_TAG_GROUP, keep(vc, 6, v->group->o.name) };
	vc->tags[2] = (struct drv_kv){ DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE };
	json_object_foreach(labels, k, val)
		vc->tags[i++] = (struct drv_kv){ k, json_string_value(val) };
	vc->req.tags = vc->tags;
	vc->req.ntags = n;
}

/* Copy what the create call needs (lock held).  The labels are copied into
 * *labels (the task frees it after the call): the group's spec may be
 * replaced while the call runs, and the tags point into the copy. */
static void build_create(struct engine *e, struct vcall *vc, struct cloud *c, struct vm *v,
			 json_t **labels)
{
	const struct gspec_sub *s = gspec_find(v->group->spec, v->sub);
	const char *ssh = s && s->ssh_key ? s->ssh_key
					   : json_string_value(json_object_get(c->spec, "ssh_key"));
	char name[80], token[80];

	vm_cloud_name(v, name, sizeof(name));
	vm_token(v, token, sizeof(token));
	*labels = s ? json_deep_copy(s->labels) : json_object();
	vc->req.name = keep(vc, 0, name);
	vc->req.client_token = keep(vc, 1, token);
	vc->req.spec = keep(vc, 2, v->spec);
	vc->req.image = keep(vc, 3, v->image);
	vc->req.zone = keep(vc, 4, v->zone);
	vc->strs[5] = vmmon_user_data(e, v, s ? s->user_data : NULL);	/* + agent block */
	vc->req.user_data = vc->strs[5];
	vc->req.ssh_public_key = keep(vc, 7, ssh);
	build_tags(vc, v, *labels);
}

/* Look the VM up and copy what a call needs (lock held).  NULL when the
 * task has nothing to do any more. */
static struct vm *prepare(struct vtask *t, struct vcall *vc, json_t **labels)
{
	struct vm *v = vm_by_id(t->e, t->id);

	if (!v || t->c->removed)
		return NULL;
	if (t->kind == VT_ACTION && (v->action != t->act || v->issued))
		return NULL;
	vc->cn = cloud_conn_get(t->c);
	snprintf(vc->target, sizeof(vc->target), "%s/%s", v->group->o.name, v->o.name);
	snprintf(vc->csp_id, sizeof(vc->csp_id), "%s", v->csp_id ? v->csp_id : "");
	memcpy(vc->vmid, v->vmid, sizeof(vc->vmid));
	if (t->act == ACT_CREATE || t->kind == VT_REFRESH)
		build_create(t->e, vc, t->c, v, labels);
	return v;
}

static bool ambiguous(int rc)
{
	return rc == -EIO || rc == -EAGAIN || rc == -ETIMEDOUT;
}

/* Ask the cloud for the VM by its baristafs-id tag.  1 found (into out),
 * 0 not found, <0 the question failed. */
static int find_by_tag(struct vtask *t, struct vcall *vc, struct drv_vm *out,
		       struct drv_error *err)
{
	struct drv_kv filter = { DRV_TAG_ID, vc->vmid };
	struct drv_vm *list = NULL;
	size_t n = 0;
	int rc = call_list_vms(t->c->caller, vc->cn->ops, vc->cn->drv, &filter, &list, &n, err);

	if (rc == 0 && n) {
		*out = list[0];
		if (n > 1) {
			pthread_mutex_lock(&t->e->lock);
			eng_event(t->e, NULL, "%s: the cloud lists %zu VMs tagged %s; keeping %s",
				  vc->target, n, vc->vmid, list[0].csp_id);
			pthread_mutex_unlock(&t->e->lock);
		}
	}
	free(list);
	return rc ? rc : n > 0;
}

static void after_create(struct vtask *t, struct vm *v, int rc, const struct drv_vm *out,
			 const struct drv_error *err)
{
	if (rc) {
		fail_vm(t->e, v, "create", rc, err);
		return;
	}
	eng_set_str(&v->csp_id, out->csp_id);
	v->issued = true;
	eng_event(t->e, v->group, "groups/%s/vms/%s created by the cloud as %s",
		  v->group->o.name, v->o.name, out->csp_id);
	vm_apply(t->e, v, out);
	cloud_poll_soon(t->e, t->c, t->c->poll_ms);
}

static int do_create(struct vtask *t, struct vcall *vc, struct drv_vm *out,
		     struct drv_error *err)
{
	int rc = call_create_vm(t->c->caller, vc->cn->ops, vc->cn->drv, vc->target, &vc->req,
				out, err);

	if (ambiguous(rc)) {
		/* The answer was lost, not necessarily the VM: ask before giving up. */
		struct drv_error e2 = { 0 };

		if (find_by_tag(t, vc, out, &e2) == 1)
			rc = 0;
	}
	return rc;
}

static void after_call(struct vtask *t, struct vm *v, int rc, const struct drv_error *err)
{
	if (rc == -ENOENT && t->act == ACT_TERMINATE)
		rc = 0;
	if (rc) {
		set_error(t->e, v, vmstat_action_name(t->act), rc, err);
		if (t->before != DRV_VM_UNDEFINED)
			vm_set_status(t->e, v, t->before);
		v->action = ACT_NONE;
		v->issued = false;
		vm_changed(t->e, v);
		vm_refresh(t->e, v);
		return;
	}
	v->issued = true;
	vm_changed(t->e, v);
	cloud_poll_soon(t->e, t->c, t->c->poll_ms);
}

static int do_action(struct vtask *t, struct vcall *vc, struct drv_error *err)
{
	static const enum drv_action map[ACT_COUNT] = {
		[ACT_SUSPEND] = DRV_ACT_SUSPEND, [ACT_RESUME] = DRV_ACT_RESUME,
		[ACT_REBOOT] = DRV_ACT_REBOOT,
	};

	if (t->act == ACT_TERMINATE)
		return call_delete_vm(t->c->caller, vc->cn->ops, vc->cn->drv, vc->target, vc->csp_id,
				      err);
	return call_control_vm(t->c->caller, vc->cn->ops, vc->cn->drv, vc->target, vc->csp_id,
			       map[t->act], err);
}

static void run_action(struct vtask *t, struct vcall *vc)
{
	struct drv_error err = { 0 };
	struct drv_vm out;
	struct vm *v;
	int rc;

	rc = eng_persist_wait(t->e, t->gen);
	if (!rc && t->act == ACT_CREATE)
		rc = do_create(t, vc, &out, &err);
	else if (!rc)
		rc = do_action(t, vc, &err);
	pthread_mutex_lock(&t->e->lock);
	v = vm_by_id(t->e, t->id);
	if (v && v->action == t->act && t->act == ACT_CREATE)
		after_create(t, v, rc, &out, &err);
	else if (v && v->action == t->act)
		after_call(t, v, rc, &err);
	pthread_mutex_unlock(&t->e->lock);
}

static void push_labels(struct vtask *t, struct vcall *vc)
{
	struct drv_error err = { 0 };
	size_t n = vc->req.ntags > 3 ? vc->req.ntags - 3 : 0;
	int rc = call_tag_vm(t->c->caller, vc->cn->ops, vc->cn->drv, vc->target, vc->csp_id,
			     vc->req.tags + 3, n, &err);

	if (rc && rc != -EOPNOTSUPP) {
		struct vm *v;

		pthread_mutex_lock(&t->e->lock);
		v = vm_by_id(t->e, t->id);
		if (v)
			set_error(t->e, v, "labels", rc, &err);
		pthread_mutex_unlock(&t->e->lock);
	}
}

static void run_refresh(struct vtask *t, struct vcall *vc)
{
	struct drv_error err = { 0 };
	struct drv_vm out;
	struct vm *v;
	int rc;

	if (!vc->csp_id[0])
		return;
	push_labels(t, vc);
	rc = call_get_vm(t->c->caller, vc->cn->ops, vc->cn->drv, vc->target, vc->csp_id, &out,
			 &err);
	pthread_mutex_lock(&t->e->lock);
	v = vm_by_id(t->e, t->id);
	if (v && rc == 0)
		vm_apply(t->e, v, &out);
	else if (v && rc == -ENOENT)
		vm_missing(t->e, v);
	pthread_mutex_unlock(&t->e->lock);
}

/*
 * Recovery: ask first.  Decide under the lock whether the action is done,
 * under way (just poll), or must be made again (same token).
 */
static void run_recover(struct vtask *t, struct vcall *vc)
{
	struct drv_error err = { 0 };
	struct drv_vm out;
	struct vm *v;
	int rc, found;

	if (vc->csp_id[0]) {
		rc = call_get_vm(t->c->caller, vc->cn->ops, vc->cn->drv, vc->target, vc->csp_id,
				 &out, &err);
		found = rc == 0 ? 1 : rc == -ENOENT ? 0 : rc;
	} else {
		found = find_by_tag(t, vc, &out, &err);
	}
	pthread_mutex_lock(&t->e->lock);
	v = vm_by_id(t->e, t->id);
	if (!v || found < 0) {
		if (v) { /* cannot ask now: try again later */
			set_error(t->e, v, "recovery", found, &err);
			queue(t->e, v, VT_RECOVER, t->act, DRV_VM_UNDEFINED, 0);
		}
		pthread_mutex_unlock(&t->e->lock);
		return;
	}
	if (found) {
		eng_set_str(&v->csp_id, out.csp_id);
		snprintf(vc->csp_id, sizeof(vc->csp_id), "%s", out.csp_id);
	}
	if (v->action == ACT_NONE) {
		if (found)
			vm_apply(t->e, v, &out);
		else
			vm_missing(t->e, v);
		pthread_mutex_unlock(&t->e->lock);
		return;
	}
	if (found && (v->action == ACT_CREATE ||
		      out.status == vmstat_action_busy((enum vm_action)v->action) ||
		      out.status == vmstat_action_target((enum vm_action)v->action))) {
		eng_event(t->e, v->group, "groups/%s/vms/%s recovered: the cloud has it as %s (%s)",
			  v->group->o.name, v->o.name, out.csp_id, vmstat_name(out.status));
		v->issued = true;
		vm_apply(t->e, v, &out);
		cloud_poll_soon(t->e, t->c, 0);
		pthread_mutex_unlock(&t->e->lock);
		return;
	}
	if (!found && v->action == ACT_TERMINATE) {
		v->issued = true;
		vm_missing(t->e, v);
		pthread_mutex_unlock(&t->e->lock);
		return;
	}
	/* Not done and not under way: do it again (the same token for a create). */
	eng_event(t->e, v->group, "groups/%s/vms/%s recovery: the cloud %s; doing %s again",
		  v->group->o.name, v->o.name, found ? "has not acted" : "has no such VM",
		  vmstat_action_name((enum vm_action)v->action));
	t->gen = eng_dirty(t->e, "vm/%s/%s", v->group->o.name, v->o.name);
	t->act = (enum vm_action)v->action;
	pthread_mutex_unlock(&t->e->lock);
	run_action(t, vc);
}

static void task_run(void *arg, bool cancelled)
{
	struct vtask *t = arg;
	struct vcall vc = { 0 };
	json_t *labels = NULL;
	struct vm *v;

	pthread_mutex_lock(&t->e->lock);
	v = cancelled ? NULL : prepare(t, &vc, &labels);
	if (v && !vc.cn && t->kind == VT_RECOVER) {
		/* Recovery must ask the cloud first: wait for its connection. */
		set_error(t->e, v, "recovery", -ENOTCONN, &(struct drv_error){ .code = "Waiting" });
		if (eng_submit(t->e, t->c, clock_mono_ms() + 5000, task_run, t) == 0) {
			pthread_mutex_unlock(&t->e->lock);
			vcall_release(&vc);
			return;
		}
		v = NULL;
	} else if (v && !vc.cn) {
		struct drv_error err = { 0 };

		snprintf(err.message, sizeof(err.message), "cloud %s is not connected (health: %s)",
			 t->c->o.name, t->c->health);
		if (t->act == ACT_CREATE)
			fail_vm(t->e, v, "create", -ENOTCONN, &err);
		else if (t->kind == VT_ACTION)
			after_call(t, v, -ENOTCONN, &err);
		v = NULL;
	}
	pthread_mutex_unlock(&t->e->lock);
	if (v && t->kind == VT_ACTION)
		run_action(t, &vc);
	else if (v && t->kind == VT_REFRESH)
		run_refresh(t, &vc);
	else if (v)
		run_recover(t, &vc);
	pthread_mutex_lock(&t->e->lock);
	conn_put(vc.cn);
	cloud_put(t->e, t->c);
	pthread_mutex_unlock(&t->e->lock);
	json_decref(labels);
	vcall_release(&vc);
	free(t);
}

/* ---- public --------------------------------------------------------------------------- */

int engine_vm_ctl(struct engine *e, uint64_t id, const char *verb, struct sbuf *why)
{
	enum vm_action act;
	struct vm *v;
	size_t from = why->len;
	int rc = 0;

	pthread_mutex_lock(&e->lock);
	v = vm_by_id(e, id);
	if (!v) {
		rc = -ENOENT;
	} else if (strcmp(verb, "refresh") == 0) {
		vm_refresh(e, v);
	} else if (vmstat_action_parse(verb, &act) != 0 || act == ACT_CREATE) {
		sbuf_addf(why, "unknown verb \"%s\" (suspend, resume, reboot, terminate, refresh)",
			  verb);
		rc = -EINVAL;
	} else {
		rc = vm_start(e, v, act, why);
		if (rc == 1)
			rc = 0;
		else if (rc == 0)
			eng_event(e, v->group, "groups/%s/vms/%s %s requested", v->group->o.name,
				  v->o.name, verb);
	}
	if (v && rc) {
		eng_set_str(&v->error, sbuf_str(why) + from);
		eng_event(e, v->group, "groups/%s/vms/%s error: %s", v->group->o.name, v->o.name,
			  sbuf_str(why) + from);
		vm_changed(e, v);
	}
	pthread_mutex_unlock(&e->lock);
	return rc;
}

static void line(struct sbuf *out, const char *s)
{
	if (s && s[0])
		sbuf_addf(out, "%s\n", s);
}

int engine_vm_text(struct engine *e, uint64_t id, enum vm_field f, struct sbuf *out)
{
	struct sbuf needle = SBUF_INIT;
	struct vm *v;
	char ts[40];

	pthread_mutex_lock(&e->lock);
	v = vm_by_id(e, id);
	if (!v) {
		pthread_mutex_unlock(&e->lock);
		return -ENOENT;
	}
	switch (f) {
	case VF_STATUS:
		line(out, vmstat_name(v->status));
		break;
	case VF_TARGET:
		if (v->action == ACT_NONE)
			sbuf_adds(out, "none\n");
		else
			sbuf_addf(out, "status %s\naction %s\n",
				  vmstat_name(vmstat_action_target((enum vm_action)v->action)),
				  vmstat_action_name((enum vm_action)v->action));
		break;
	case VF_CLOUD:
		line(out, v->cloud);
		break;
	case VF_SPEC:
		line(out, v->spec);
		break;
	case VF_IMAGE:
		line(out, v->image);
		break;
	case VF_ZONE:
		line(out, v->zone);
		break;
	case VF_CSP_ID:
		line(out, v->csp_id);
		break;
	case VF_PUBLIC_IP:
		line(out, v->public_ip);
		break;
	case VF_PRIVATE_IP:
		line(out, v->private_ip);
		break;
	case VF_CREATED:
		if (v->created_ms)
			line(out, clock_rfc3339(v->created_ms, 0, ts, sizeof(ts)));
		break;
	case VF_ERROR:
		line(out, v->error);
		break;
	case VF_EVENTS:
		vm_path(v, &needle);
		sbuf_addc(&needle, ' ');
		evlog_grep(v->group->events, needle.buf, out);
		break;
	}
	pthread_mutex_unlock(&e->lock);
	sbuf_release(&needle);
	return 0;
}
