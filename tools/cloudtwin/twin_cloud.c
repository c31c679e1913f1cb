/*
 * twin_cloud.c - the cloud model; see twin_cloud.h.
 *
 * The one decision to keep in mind: VM state advances lazily.  Every
 * path that shows a VM calls twin_cloud_settle() first, and a state
 * change that happened while nobody looked is dated at the moment it was
 * due, not at the moment it was observed.
 */
#include "tools/cloudtwin/twin_cloud.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "lib/clock.h"
#include "tools/cloudtwin/twin_config.h"
#include "drivers/common/hash.h"

#define OP_KEEP_MS (3600 * 1000)
#define IDEM_KEEP_MS (24 * 3600 * 1000)
#define TABLE_CAP 200000

struct idem_rec {
	unsigned char digest[32];
	json_t *result;
	int64_t at;
};

/* ---- construction ---------------------------------------------------- */

static char *jdup(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return strdup(s ? s : "");
}

static int jint(const json_t *obj, const char *key)
{
	return (int)json_integer_value(json_object_get(obj, key));
}

static int64_t jnum(const json_t *obj, const char *key)
{
	return (int64_t)json_number_value(json_object_get(obj, key));
}

static int load_regions(struct twin_cloud *c, const json_t *list)
{
	size_t i, z;
	json_t *r, *zone;

	c->nregions = json_array_size(list);
	c->regions = calloc(c->nregions, sizeof(*c->regions));
	c->vcpus_used = calloc(c->nregions, sizeof(*c->vcpus_used));
	if (!c->regions || !c->vcpus_used)
		return -ENOMEM;
	json_array_foreach(list, i, r) {
		struct twin_region *g = &c->regions[i];
		json_t *zones = json_object_get(r, "zones");

		g->name = jdup(r, "name");
		g->display = jdup(r, "display");
		g->nzones = json_array_size(zones);
		g->zones = calloc(g->nzones ? g->nzones : 1, sizeof(char *));
		if (!g->name || !g->display || !g->zones)
			return -ENOMEM;
		json_array_foreach(zones, z, zone) {
			g->zones[z] = strdup(json_string_value(zone));
			if (!g->zones[z])
				return -ENOMEM;
		}
	}
	return 0;
}

static int load_specs(struct twin_cloud *c, const json_t *list)
{
	size_t i;
	json_t *s;

	c->nspecs = json_array_size(list);
	c->specs = calloc(c->nspecs ? c->nspecs : 1, sizeof(*c->specs));
	if (!c->specs)
		return -ENOMEM;
	json_array_foreach(list, i, s) {
		struct twin_spec *p = &c->specs[i];

		p->name = jdup(s, "name");
		p->id = jdup(s, "id");
		p->arch = jdup(s, "arch");
		p->family = jdup(s, "family");
		if (!p->name || !p->id || !p->arch || !p->family)
			return -ENOMEM;
		p->vcpus = jint(s, "vcpus");
		p->mem_mib = jint(s, "mem_mib");
		p->gpus = jint(s, "gpus");
		p->disk_gib = jint(s, "disk_gib");
		p->price = json_number_value(json_object_get(s, "price_usd_per_hour"));
	}
	return 0;
}

static int load_images(struct twin_cloud *c, const json_t *list)
{
	size_t i;
	json_t *m;

	c->nimages = json_array_size(list);
	c->images = calloc(c->nimages ? c->nimages : 1, sizeof(*c->images));
	if (!c->images)
		return -ENOMEM;
	json_array_foreach(list, i, m) {
		struct twin_image *p = &c->images[i];

		p->id = jdup(m, "id");
		p->name = jdup(m, "name");
		p->os = jdup(m, "os");
		p->arch = jdup(m, "arch");
		p->project = jdup(m, "project");
		p->family = jdup(m, "family");
		p->description = jdup(m, "description");
		if (!p->id || !p->name || !p->os || !p->arch || !p->project || !p->family ||
		    !p->description)
			return -ENOMEM;
	}
	return 0;
}

/* Settings from normalised faults and quota blocks; the bucket refills. */
static void load_settings(struct twin_cloud *c, const json_t *f, const json_t *q)
{
	c->faults.error_rate = json_number_value(json_object_get(f, "error_rate"));
	c->faults.latency_ms = jnum(f, "latency_ms");
	c->faults.stall_rate = json_number_value(json_object_get(f, "stall_rate"));
	c->faults.stall_ms = jnum(f, "stall_ms");
	c->faults.drop_rate = json_number_value(json_object_get(f, "drop_rate"));
	c->faults.rate_limit = json_number_value(json_object_get(f, "rate_limit"));
	c->faults.burst = json_number_value(json_object_get(f, "burst"));
	c->vcpu_quota = jnum(q, "vcpus_per_region");
	c->max_vms = jnum(q, "max_vms");
	c->bucket = -1;	/* refilled to full on first use */
}

struct twin_cloud *twin_cloud_new(const json_t *conf, unsigned index,
				  const struct twin_dialect *dialect, struct sbuf *err)
{
	struct twin_cloud *c = calloc(1, sizeof(*c));
	const json_t *d;

	if (!c)
		return NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->index = index;
	c->dialect = dialect;
	c->conf = json_deep_copy(conf);
	c->name = c->conf ? jdup(c->conf, "name") : NULL;
	c->res = json_object();
	if (!c->conf || !c->name || !c->res || load_regions(c, json_object_get(conf, "regions")) ||
	    load_specs(c, json_object_get(conf, "specs")) ||
	    load_images(c, json_object_get(conf, "images"))) {
		sbuf_reset(err);
		sbuf_adds(err, "out of memory");
		twin_cloud_free(c);
		return NULL;
	}
	c->creds = json_object_get(c->conf, "credentials");
	d = json_object_get(conf, "delays_ms");
	c->delay_create = jnum(d, "create");
	c->delay_start = jnum(d, "start");
	c->delay_stop = jnum(d, "stop");
	c->delay_reboot = jnum(d, "reboot");
	c->delay_terminate = jnum(d, "terminate");
	c->token_ttl_s = jnum(conf, "token_ttl_s");
	c->retention_s = jnum(conf, "terminated_retention_s");
	c->skew_s = jnum(conf, "clock_skew_s");
	load_settings(c, json_object_get(conf, "faults"), json_object_get(conf, "quota"));
	return c;
}

/* Free every VM, operation, record and resource (lock held or unshared). */
static void cloud_clear(struct twin_cloud *c)
{
	size_t pos = 0;
	void *v;

	for (size_t i = 0; i < c->nvms; i++)
		twin_cloud_vm_free(c->vms[i]);
	free(c->vms);
	c->vms = NULL;
	c->nvms = c->capvms = 0;
	twin_map_release(&c->by_id);
	twin_map_release(&c->by_key);
	while ((v = twin_map_next(&c->ops, &pos, NULL)))
		free(v);
	twin_map_release(&c->ops);
	pos = 0;
	while ((v = twin_map_next(&c->idem, &pos, NULL))) {
		json_decref(((struct idem_rec *)v)->result);
		free(v);
	}
	twin_map_release(&c->idem);
	pos = 0;
	while ((v = twin_map_next(&c->nonces, &pos, NULL)))
		free(v);
	twin_map_release(&c->nonces);
	json_object_clear(c->res);
	for (size_t i = 0; i < c->nregions && c->vcpus_used; i++)
		c->vcpus_used[i] = 0;
}

void twin_cloud_free(struct twin_cloud *c)
{
	if (!c)
		return;
	cloud_clear(c);
	json_decref(c->res);
	for (size_t i = 0; c->regions && i < c->nregions; i++) {
		for (size_t z = 0; c->regions[i].zones && z < c->regions[i].nzones; z++)
			free(c->regions[i].zones[z]);
		free(c->regions[i].zones);
		free(c->regions[i].name);
		free(c->regions[i].display);
	}
	for (size_t i = 0; c->specs && i < c->nspecs; i++) {
		free(c->specs[i].name);
		free(c->specs[i].id);
		free(c->specs[i].arch);
		free(c->specs[i].family);
	}
	for (size_t i = 0; c->images && i < c->nimages; i++) {
		struct twin_image *m = &c->images[i];

		free(m->id);
		free(m->name);
		free(m->os);
		free(m->arch);
		free(m->project);
		free(m->family);
		free(m->description);
	}
	free(c->regions);
	free(c->vcpus_used);
	free(c->specs);
	free(c->images);
	free(c->name);
	json_decref(c->conf);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void twin_cloud_lock(struct twin_cloud *c)
{
	pthread_mutex_lock(&c->lock);
}

void twin_cloud_unlock(struct twin_cloud *c)
{
	pthread_mutex_unlock(&c->lock);
}

/* ---- catalog ---------------------------------------------------------- */

const struct twin_spec *twin_cloud_spec(const struct twin_cloud *c, const char *name)
{
	for (size_t i = 0; name && i < c->nspecs; i++) {
		if (strcmp(c->specs[i].name, name) == 0 || strcmp(c->specs[i].id, name) == 0)
			return &c->specs[i];
	}
	return NULL;
}

const struct twin_image *twin_cloud_image(const struct twin_cloud *c, const char *id)
{
	for (size_t i = 0; id && i < c->nimages; i++) {
		if (strcmp(c->images[i].id, id) == 0 || strcmp(c->images[i].name, id) == 0)
			return &c->images[i];
	}
	return NULL;
}

const struct twin_region *twin_cloud_region(const struct twin_cloud *c, const char *name,
					    size_t *idx)
{
	for (size_t i = 0; name && i < c->nregions; i++) {
		if (strcmp(c->regions[i].name, name) == 0) {
			if (idx)
				*idx = i;
			return &c->regions[i];
		}
	}
	return NULL;
}

const struct twin_region *twin_cloud_zone_region(const struct twin_cloud *c, const char *zone,
						 size_t *idx)
{
	for (size_t i = 0; zone && i < c->nregions; i++) {
		for (size_t z = 0; z < c->regions[i].nzones; z++) {
			if (strcmp(c->regions[i].zones[z], zone) != 0)
				continue;
			if (idx)
				*idx = i;
			return &c->regions[i];
		}
	}
	return NULL;
}

const json_t *twin_cloud_cred(const struct twin_cloud *c)
{
	return json_array_get(c->creds, 0);
}

/* ---- requests --------------------------------------------------------- */

int twin_cloud_admit(struct twin_cloud *c, int64_t now)
{
	double rate = c->faults.rate_limit, burst;

	c->stats.requests++;
	if (rate <= 0)
		return 0;
	burst = c->faults.burst > 0 ? c->faults.burst : (rate > 1 ? rate : 1);
	if (c->bucket < 0) {
		c->bucket = burst;
	} else {
		c->bucket += (double)(now - c->bucket_at) * rate / 1000.0;
		if (c->bucket > burst)
			c->bucket = burst;
	}
	c->bucket_at = now;
	if (c->bucket < 1) {
		c->stats.throttled++;
		return -EAGAIN;
	}
	c->bucket -= 1;
	return 0;
}

/* ---- VMs -------------------------------------------------------------- */

struct twin_vm *twin_cloud_vm_new(void)
{
	struct twin_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->tags = json_object();
	vm->extra = json_object();
	if (!vm->tags || !vm->extra) {
		twin_cloud_vm_free(vm);
		return NULL;
	}
	return vm;
}

void twin_cloud_vm_free(struct twin_vm *vm)
{
	if (!vm)
		return;
	json_decref(vm->tags);
	json_decref(vm->extra);
	free(vm->user_data);
	free(vm);
}

int twin_cloud_vm_set_user_data(struct twin_vm *vm, const void *data, size_t len)
{
	char *p = malloc(len + 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, data, len);
	p[len] = '\0';
	free(vm->user_data);
	vm->user_data = p;
	vm->user_data_len = len;
	return 0;
}

/* Begin a transition: `state` now, `next` after `delay` ms. */
static void vm_begin(struct twin_vm *vm, enum twin_vm_state state, enum twin_vm_state next,
		     int64_t delay, int64_t now)
{
	vm->state = state;
	vm->next = next;
	vm->due = now + delay;
	vm->changed_ms = clock_wall_ms();
	if (delay <= 0) {
		vm->state = next;
		vm->due = 0;
	}
}

void twin_cloud_settle(struct twin_cloud *c, struct twin_vm *vm, int64_t now)
{
	(void)c;
	if (!vm->due || now < vm->due)
		return;
	vm->state = vm->next;
	vm->changed_ms = clock_wall_ms() - (now - vm->due);
	vm->due = 0;
}

static int vms_push(struct twin_cloud *c, struct twin_vm *vm)
{
	if (c->nvms == c->capvms) {
		size_t cap = c->capvms ? c->capvms * 2 : 64;
		struct twin_vm **v = realloc(c->vms, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->vms = v;
		c->capvms = cap;
	}
	c->vms[c->nvms++] = vm;
	return 0;
}

static void vm_addresses(const struct twin_cloud *c, struct twin_vm *vm)
{
	uint64_t n = vm->seq + 3;
	uint32_t pub = (uint32_t)((c->index * 65536ull + vm->seq) & 0x3fffff);

	snprintf(vm->private_ip, sizeof(vm->private_ip), "10.%u.%u.%u", c->index & 255,
		 (unsigned)(n >> 8) & 255, (unsigned)n & 255);
	snprintf(vm->public_ip, sizeof(vm->public_ip), "100.%u.%u.%u", 64 + (pub >> 16),
		 (pub >> 8) & 255, pub & 255);
}

int twin_cloud_add_vm(struct twin_cloud *c, struct twin_vm *vm, int64_t now)
{
	int vcpus = vm->spec ? vm->spec->vcpus : 0;
	int rc;

	if (vm->region >= c->nregions)
		return -EINVAL;
	if (c->vcpu_quota > 0 && c->vcpus_used[vm->region] + vcpus > c->vcpu_quota)
		return -EDQUOT;
	if ((int64_t)c->nvms >= c->max_vms)
		return -ENOSPC;
	if (twin_map_get(&c->by_id, vm->id) || (vm->key[0] && twin_map_get(&c->by_key, vm->key)))
		return -EEXIST;
	rc = twin_map_put(&c->by_id, vm->id, vm, NULL);
	if (!rc && vm->key[0])
		rc = twin_map_put(&c->by_key, vm->key, vm, NULL);
	if (!rc)
		rc = vms_push(c, vm);
	if (rc) {
		twin_map_del(&c->by_id, vm->id);
		if (vm->key[0])
			twin_map_del(&c->by_key, vm->key);
		return rc;
	}
	vm->seq = ++c->seq;
	vm_addresses(c, vm);
	vm->created_ms = clock_wall_ms();
	c->vcpus_used[vm->region] += vcpus;
	/* An instance created stopped (ECS CreateInstance) is there at once:
	 * clients start it right after the call returns. */
	vm_begin(vm, TWIN_VM_PENDING, vm->boot_stopped ? TWIN_VM_STOPPED : TWIN_VM_RUNNING,
		 vm->preloaded || vm->boot_stopped ? 0 : c->delay_create, now);
	return 0;
}

struct twin_vm *twin_cloud_vm(struct twin_cloud *c, const char *id, int64_t now)
{
	struct twin_vm *vm = twin_map_get(&c->by_id, id);

	if (vm)
		twin_cloud_settle(c, vm, now);
	return vm;
}

struct twin_vm *twin_cloud_vm_by_key(struct twin_cloud *c, const char *key, int64_t now)
{
	struct twin_vm *vm = twin_map_get(&c->by_key, key);

	if (vm)
		twin_cloud_settle(c, vm, now);
	return vm;
}

static int act_start(struct twin_cloud *c, struct twin_vm *vm, int64_t now)
{
	switch (vm->state) {
	case TWIN_VM_STOPPED:
		vm->deallocated = false;
		vm_begin(vm, TWIN_VM_STARTING, TWIN_VM_RUNNING, c->delay_start, now);
		return 0;
	case TWIN_VM_PENDING:
		return vm->next == TWIN_VM_RUNNING ? 0 : -EBUSY;
	case TWIN_VM_RUNNING:
	case TWIN_VM_STARTING:
	case TWIN_VM_REBOOTING:
		return 0;
	default:
		return -EBUSY;
	}
}

static int act_stop(struct twin_cloud *c, struct twin_vm *vm, bool dealloc, int64_t now)
{
	switch (vm->state) {
	case TWIN_VM_RUNNING:
	case TWIN_VM_REBOOTING:
		vm->deallocated = dealloc;
		vm_begin(vm, TWIN_VM_STOPPING, TWIN_VM_STOPPED, c->delay_stop, now);
		return 0;
	case TWIN_VM_STOPPED:
		vm->deallocated |= dealloc;
		return 0;
	case TWIN_VM_STOPPING:
		return 0;
	default:
		return -EBUSY;
	}
}

int twin_cloud_act(struct twin_cloud *c, struct twin_vm *vm, enum twin_vm_act act, int64_t now)
{
	int rc = -EBUSY;

	twin_cloud_settle(c, vm, now);
	switch (act) {
	case TWIN_ACT_START:
		rc = act_start(c, vm, now);
		break;
	case TWIN_ACT_STOP:
	case TWIN_ACT_DEALLOCATE:
		rc = act_stop(c, vm, act == TWIN_ACT_DEALLOCATE, now);
		break;
	case TWIN_ACT_REBOOT:
		if (vm->state == TWIN_VM_RUNNING)
			vm_begin(vm, TWIN_VM_REBOOTING, TWIN_VM_RUNNING, c->delay_reboot, now);
		rc = vm->state == TWIN_VM_RUNNING || vm->state == TWIN_VM_REBOOTING ? 0 : -EBUSY;
		break;
	case TWIN_ACT_TERMINATE:
		rc = 0;
		if (vm->state == TWIN_VM_TERMINATING || vm->state == TWIN_VM_TERMINATED)
			break;
		c->vcpus_used[vm->region] -= vm->spec ? vm->spec->vcpus : 0;
		vm_begin(vm, TWIN_VM_TERMINATING, TWIN_VM_TERMINATED, c->delay_terminate, now);
		break;
	}
	if (!rc)
		vm->last_act = act;
	return rc;
}

size_t twin_cloud_nvms(const struct twin_cloud *c)
{
	return c->nvms;
}

struct twin_vm *twin_cloud_vm_at(struct twin_cloud *c, size_t i, int64_t now)
{
	if (i >= c->nvms)
		return NULL;
	twin_cloud_settle(c, c->vms[i], now);
	return c->vms[i];
}

size_t twin_cloud_vm_after(const struct twin_cloud *c, uint64_t seq)
{
	size_t lo = 0, hi = c->nvms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->vms[mid]->seq <= seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int64_t twin_cloud_vm_due(const struct twin_vm *vm, int64_t now)
{
	return vm->due > now ? vm->due : now;
}

const char *twin_cloud_state_name(enum twin_vm_state s)
{
	static const char *const names[] = {
		[TWIN_VM_PENDING] = "pending", [TWIN_VM_RUNNING] = "running",
		[TWIN_VM_STOPPING] = "stopping", [TWIN_VM_STOPPED] = "stopped",
		[TWIN_VM_STARTING] = "starting", [TWIN_VM_REBOOTING] = "rebooting",
		[TWIN_VM_TERMINATING] = "terminating", [TWIN_VM_TERMINATED] = "terminated",
	};

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

/* ---- idempotency ------------------------------------------------------ */

int twin_cloud_idem_check(struct twin_cloud *c, const char *token,
			  const unsigned char digest[32], const json_t **result)
{
	struct idem_rec *r = twin_map_get(&c->idem, token);

	if (!r)
		return 0;
	if (!CRYPTO_memcmp(r->digest, digest, sizeof(r->digest)) == 0)
		return -EEXIST;
	*result = r->result;
	return 1;
}

int twin_cloud_idem_put(struct twin_cloud *c, const char *token,
			const unsigned char digest[32], json_t *result)
{
	struct idem_rec *r = calloc(1, sizeof(*r)), *old = NULL;

	if (!r || twin_map_count(&c->idem) >= TABLE_CAP ||
	    twin_map_put(&c->idem, token, r, (void **)&old)) {
		free(r);
		json_decref(result);
		return -ENOMEM;
	}
	if (old) {
		json_decref(old->result);
		free(old);
	}
	memcpy(r->digest, digest, sizeof(r->digest));
	r->result = result;
	r->at = clock_mono_ms();
	return 0;
}

/* ---- operations ------------------------------------------------------- */

struct twin_op *twin_cloud_op_new(struct twin_cloud *c, const char *kind, const char *target,
				  const char *where, int64_t duration, int64_t now)
{
	struct twin_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	hash_uuid4(op->id);
	snprintf(op->kind, sizeof(op->kind), "%s", kind);
	snprintf(op->target, sizeof(op->target), "%s", target ? target : "");
	snprintf(op->where, sizeof(op->where), "%s", where ? where : "");
	op->created_ms = clock_wall_ms();
	op->due = now + (duration > 0 ? duration : 0);
	op->done_ms = op->created_ms + (duration > 0 ? duration : 0);
	if (twin_map_count(&c->ops) >= TABLE_CAP || twin_map_put(&c->ops, op->id, op, NULL)) {
		free(op);
		return NULL;
	}
	return op;
}

struct twin_op *twin_cloud_op(struct twin_cloud *c, const char *id)
{
	return twin_map_get(&c->ops, id);
}

bool twin_cloud_op_done(const struct twin_op *op, int64_t now)
{
	return now >= op->due;
}

/* ---- nonces ----------------------------------------------------------- */

int twin_cloud_nonce_use(struct twin_cloud *c, const char *nonce, int64_t ttl_ms, int64_t now)
{
	int64_t *until = twin_map_get(&c->nonces, nonce);

	if (until && *until > now)
		return -EEXIST;
	if (until) {
		*until = now + ttl_ms;
		return 0;
	}
	if (twin_map_count(&c->nonces) >= TABLE_CAP)
		return 0;	/* full: forget rather than refuse honest clients */
	until = malloc(sizeof(*until));
	if (!until)
		return 0;
	*until = now + ttl_ms;
	if (twin_map_put(&c->nonces, nonce, until, NULL))
		free(until);
	return 0;
}

/* ---- resources -------------------------------------------------------- */

json_t *twin_cloud_res_get(struct twin_cloud *c, const char *kind, const char *id)
{
	return json_object_get(json_object_get(c->res, kind), id);
}

int twin_cloud_res_put(struct twin_cloud *c, const char *kind, const char *id, json_t *obj)
{
	json_t *k = json_object_get(c->res, kind);

	if (!k) {
		k = json_object();
		if (!k || json_object_set_new(c->res, kind, k)) {
			json_decref(obj);
			return -ENOMEM;
		}
	}
	return json_object_set_new(k, id, obj) ? -ENOMEM : 0;
}

int twin_cloud_res_del(struct twin_cloud *c, const char *kind, const char *id)
{
	return json_object_del(json_object_get(c->res, kind), id) ? -ENOENT : 0;
}

json_t *twin_cloud_res_all(struct twin_cloud *c, const char *kind)
{
	json_t *k = json_object_get(c->res, kind);

	return json_object_size(k) ? k : NULL;
}

/* ---- control ---------------------------------------------------------- */

static json_t *faults_json(const struct twin_faults *f)
{
	return json_pack("{s:f,s:I,s:f,s:I,s:f,s:f,s:f}", "error_rate", f->error_rate,
			 "latency_ms", (json_int_t)f->latency_ms, "stall_rate", f->stall_rate,
			 "stall_ms", (json_int_t)f->stall_ms, "drop_rate", f->drop_rate,
			 "rate_limit", f->rate_limit, "burst", f->burst);
}

json_t *twin_cloud_settings(const struct twin_cloud *c)
{
	json_t *s = faults_json(&c->faults);

	if (s) {
		json_object_set_new(s, "vcpus_per_region", json_integer(c->vcpu_quota));
		json_object_set_new(s, "max_vms", json_integer(c->max_vms));
	}
	return s;
}

/* Split a flat patch into its faults and quota parts. */
static int split_patch(const json_t *patch, json_t *fp, json_t *qp, struct sbuf *err)
{
	const char *key;
	json_t *v;

	if (!json_is_object(patch)) {
		sbuf_reset(err);
		sbuf_adds(err, "settings: must be a JSON object");
		return -EINVAL;
	}
	json_object_foreach((json_t *)patch, key, v) {
		if (twin_config_block_has("faults", key)) {
			json_object_set(fp, key, v);
		} else if (twin_config_block_has("quota", key)) {
			json_object_set(qp, key, v);
		} else {
			sbuf_reset(err);
			sbuf_addf(err, "settings: unknown key \"%s\"", key);
			return -EINVAL;
		}
	}
	return 0;
}

int twin_cloud_set_settings(struct twin_cloud *c, const json_t *patch, struct sbuf *err)
{
	json_t *fp = json_object(), *qp = json_object();
	json_t *f = faults_json(&c->faults);
	json_t *q = json_pack("{s:I,s:I}", "vcpus_per_region", (json_int_t)c->vcpu_quota,
			      "max_vms", (json_int_t)c->max_vms);
	int rc = fp && qp && f && q ? 0 : -ENOMEM;

	if (!rc)
		rc = split_patch(patch, fp, qp, err);
	if (!rc)
		rc = twin_config_merge_block("faults", f, fp, err);
	if (!rc)
		rc = twin_config_merge_block("quota", q, qp, err);
	if (!rc)
		load_settings(c, f, q);
	json_decref(fp);
	json_decref(qp);
	json_decref(f);
	json_decref(q);
	return rc;
}

void twin_cloud_reset(struct twin_cloud *c)
{
	cloud_clear(c);
	load_settings(c, json_object_get(c->conf, "faults"), json_object_get(c->conf, "quota"));
	memset(&c->stats, 0, sizeof(c->stats));
	c->seq = 0;
}

static void sweep_vms(struct twin_cloud *c, int64_t now)
{
	int64_t cutoff = clock_wall_ms() - c->retention_s * 1000;
	size_t j = 0;

	for (size_t i = 0; i < c->nvms; i++) {
		struct twin_vm *vm = c->vms[i];

		twin_cloud_settle(c, vm, now);
		if (vm->state == TWIN_VM_TERMINATED && vm->changed_ms <= cutoff) {
			twin_map_del(&c->by_id, vm->id);
			if (vm->key[0])
				twin_map_del(&c->by_key, vm->key);
			twin_cloud_vm_free(vm);
			continue;
		}
		c->vms[j++] = vm;
	}
	c->nvms = j;
}

void twin_cloud_sweep(struct twin_cloud *c, int64_t now)
{
	size_t pos = 0;
	const char *key;
	void *v;

	sweep_vms(c, now);
	while ((v = twin_map_next(&c->ops, &pos, &key))) {
		if (((struct twin_op *)v)->due + OP_KEEP_MS < now)
			free(twin_map_del(&c->ops, key));
	}
	pos = 0;
	while ((v = twin_map_next(&c->nonces, &pos, &key))) {
		if (*(int64_t *)v <= now)
			free(twin_map_del(&c->nonces, key));
	}
	pos = 0;
	while ((v = twin_map_next(&c->idem, &pos, &key))) {
		struct idem_rec *r = v;

		if (r->at + IDEM_KEEP_MS < now) {
			twin_map_del(&c->idem, key);
			json_decref(r->result);
			free(r);
		}
	}
}
