/*
 * ops.c - what the mock cloud's API does to its inventory.
 *
 * Answers follow EC2 where a choice exists: its error codes and messages
 * (InvalidInstanceID.NotFound, IncorrectInstanceState, VcpuLimitExceeded,
 * IdempotentParameterMismatch), its boot failure reason
 * (Server.InternalError), terminated instances that stay listed for a
 * while, termination that is idempotent.  Requests are validated before the
 * cloud's lock is taken; under it each operation reads the VM, decides from
 * its status in cloud time, and commits a changed copy through the journal
 * (mock_cloud_commit) before answering.
 */
#include "drivers/mock/mock_int.h"
#include "lib/clock.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#define REASON_BOOT_FAILED "Server.InternalError: Internal error on launch"
#define REASON_USER_STOP "Client.UserInitiatedShutdown: User initiated shutdown"

static const char *const standard_tags[] = { DRV_TAG_ID, DRV_TAG_GROUP, DRV_TAG_MANAGED };

static bool is_standard_tag(const char *key)
{
	for (size_t i = 0; i < sizeof(standard_tags) / sizeof(standard_tags[0]); i++) {
		if (strcmp(key, standard_tags[i]) == 0)
			return true;
	}
	return false;
}

/* A client error: EC2 answers them with HTTP 400. */
static int __attribute__((format(printf, 4, 5)))
bad_request(struct drv_error *err, int errnum, const char *code, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (err)
		err->http_status = 400;
	va_start(ap, fmt);
	rc = mock_vfail(err, errnum, code, fmt, ap);
	va_end(ap);
	return rc;
}

static int not_found(struct drv_error *err, const char *id)
{
	return bad_request(err, ENOENT, "InvalidInstanceID.NotFound",
			   "The instance ID '%s' does not exist", id);
}

/* ---- request validation (no lock) ----------------------------------- */

static int sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL))
		return -ENOMEM;
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	return 0;
}

/* Add tags to obj, checking EC2's rules.  0 or -EINVAL with err set. */
static int add_tags(json_t *obj, const struct drv_kv *tags, size_t ntags, struct drv_error *err)
{
	for (size_t i = 0; i < ntags; i++) {
		const char *k = tags[i].key, *v = tags[i].value;
		json_t *jv;

		if (!k || !k[0] || strlen(k) > MOCK_MAX_TAG_KEY)
			return bad_request(err, EINVAL, "InvalidParameterValue",
				       "Tag keys must be 1 to 128 characters");
		if (!v || strlen(v) > MOCK_MAX_TAG_VALUE)
			return bad_request(err, EINVAL, "InvalidParameterValue",
				       "The value of tag '%s' must be at most 256 characters", k);
		if (json_object_get(obj, k))
			return bad_request(err, EINVAL, "InvalidParameterValue", "Duplicate tag key '%s'", k);
		jv = json_string(v);
		/* set_new checks the key is UTF-8 and frees jv on failure */
		if (!jv || json_object_set_new(obj, k, jv))
			return bad_request(err, EINVAL, "InvalidParameterValue",
				       "Tag '%s' is not valid UTF-8", k);
	}
	if (json_object_size(obj) > MOCK_MAX_TAGS)
		return bad_request(err, EINVAL, "TagLimitExceeded",
			       "A VM can have at most 50 tags");
	return 0;
}

static bool token_ok(const char *token)
{
	size_t n = 0;

	for (; token[n]; n++) {
		if (token[n] < 0x21 || token[n] > 0x7e)
			return false;
	}
	return n <= MOCK_MAX_TOKEN;
}

static bool ssh_key_ok(const char *key)
{
	static const char *const types[] = { "ssh-", "ecdsa-", "sk-" };
	const char *sp = strchr(key, ' ');

	for (size_t i = 0; sp && i < sizeof(types) / sizeof(types[0]); i++) {
		if (strncmp(key, types[i], strlen(types[i])) == 0)
			return sp[1] != '\0' && sp[1] != ' ';
	}
	return false;
}

static int check_strings(const struct mock_settings *s, const struct drv_vm_req *req,
			 struct drv_error *err)
{
	if (!req->name || !mock_name_ok(req->name, 63))
		return bad_request(err, EINVAL, "InvalidParameterValue",
			       "Invalid VM name '%s': use 1 to 63 of [a-z0-9-], starting with a letter or digit",
			       req->name ? req->name : "(null)");
	if (req->client_token && !token_ok(req->client_token))
		return bad_request(err, EINVAL, "InvalidParameterValue",
			       "Value (%s) for parameter clientToken is invalid: at most 64 printable ASCII characters",
			       req->client_token);
	if (req->zone && !mock_settings_has_zone(s, req->zone))
		return bad_request(err, EINVAL, "InvalidParameterValue", "Invalid availability zone: [%s]",
			       req->zone);
	if (req->user_data && strlen(req->user_data) > MOCK_MAX_USER_DATA)
		return bad_request(err, EINVAL, "InvalidParameterValue",
			       "User data is limited to 16384 bytes");
	if (req->ssh_public_key && !ssh_key_ok(req->ssh_public_key))
		return bad_request(err, EINVAL, "InvalidKey.Format",
			       "Key is not in valid OpenSSH public key format");
	if (req->ntags && !req->tags)
		return bad_request(err, EINVAL, "InvalidParameterValue", "Tags missing");
	return 0;
}

static int check_catalog(const struct mock_settings *s, const struct drv_vm_req *req,
			 const struct drv_spec_info **spec, struct drv_error *err)
{
	const struct drv_image_info *image;

	*spec = req->spec ? mock_catalog_spec(&s->catalog, req->spec) : NULL;
	if (!*spec)
		return bad_request(err, EINVAL, "InvalidParameterValue", "Invalid value '%s' for spec",
			       req->spec ? req->spec : "(null)");
	image = req->image ? mock_catalog_image(&s->catalog, req->image) : NULL;
	if (!image)
		return bad_request(err, EINVAL, "InvalidAMIID.NotFound", "The image '%s' does not exist",
			       req->image ? req->image : "(null)");
	if (strcmp(image->arch, (*spec)->arch) != 0)
		return bad_request(err, EINVAL, "InvalidParameterValue",
				   "The architecture '%s' of spec '%s' does not match the architecture '%s' of image '%s'",
				   (*spec)->arch, (*spec)->name, image->arch, image->name);
	return 0;
}

/* SHA-256 of the create parameters in a canonical form (sorted JSON). */
static int fingerprint(const struct drv_vm_req *req, struct mock_vm *vm)
{
	char ud[65] = "", key[65] = "";
	json_t *canon;
	char *text;
	int rc = 0;

	if (req->user_data)
		rc = sha256_hex(req->user_data, strlen(req->user_data), ud);
	if (!rc && req->ssh_public_key)
		rc = sha256_hex(req->ssh_public_key, strlen(req->ssh_public_key), key);
	if (rc)
		return rc;
	canon = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:O}", "name", vm->name,
			  "spec", vm->spec, "image", vm->image, "zone", vm->zone,
			  "user_data_sha256", ud, "ssh_key_sha256", key, "tags", vm->tags);
	text = canon ? json_dumps(canon, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	rc = text ? sha256_hex(text, strlen(text), vm->params) : -ENOMEM;
	free(text);
	json_decref(canon);
	return rc;
}

/* A new VM record from a valid request, without seq, id or addresses. */
static int build_vm(const struct mock_settings *s, const struct drv_vm_req *req,
		    struct mock_vm **out, struct drv_error *err)
{
	const struct drv_spec_info *spec;
	struct mock_vm *vm;
	int rc;

	rc = check_strings(s, req, err);
	if (!rc)
		rc = check_catalog(s, req, &spec, err);
	if (rc)
		return rc;
	vm = mock_vm_new();
	if (!vm)
		return mock_fail(err, ENOMEM, "InternalError", "mock: out of memory");
	strcpy(vm->name, req->name);
	strcpy(vm->token, req->client_token ? req->client_token : "");
	strcpy(vm->spec, spec->name);
	strcpy(vm->image, req->image);
	strcpy(vm->zone, req->zone ? req->zone : s->zone);
	vm->vcpus = spec->vcpus;
	rc = add_tags(vm->tags, req->tags, req->ntags, err);
	if (!rc && fingerprint(req, vm))
		rc = mock_fail(err, ENOMEM, "InternalError", "mock: cannot hash the request");
	if (rc) {
		mock_vm_free(vm);
		return rc;
	}
	*out = vm;
	return 0;
}

/* ---- create (under the lock) ---------------------------------------- */

static int check_quota(const struct mock_cloud *cloud, const struct mock_settings *s,
		       int vcpus, int64_t now, struct drv_error *err)
{
	int64_t used = 0;

	if (s->quota_vcpus < 0)
		return 0;
	for (size_t i = 0; i < cloud->inv.nvms; i++) {
		if (mock_vm_alive(cloud->inv.vms[i], now))
			used += cloud->inv.vms[i]->vcpus;
	}
	if (used + vcpus <= s->quota_vcpus)
		return 0;
	return bad_request(err, EDQUOT, "VcpuLimitExceeded",
			   "You have requested more vCPU capacity than your current vCPU limit of %lld allows for the instances in region %s (quota quota_vcpus: %lld in use, %d requested)",
			   (long long)s->quota_vcpus, s->region, (long long)used, vcpus);
}

/* The connection's network and security group, made on first use. */
static int ensure_net(struct mock_cloud *cloud, int64_t now, struct drv_error *err)
{
	struct mock_net net = { .exists = true, .created_ms = now };
	uint64_t seq = cloud->inv.next_seq;

	if (cloud->inv.net.exists)
		return 0;
	mock_inv_make_id(&cloud->inv, "vpc-", ~seq, net.vpc, sizeof(net.vpc));
	mock_inv_make_id(&cloud->inv, "sg-", ~seq ^ 1, net.sg, sizeof(net.sg));
	return mock_cloud_commit_net(cloud, &net, err);
}

/* Whether the boot of VM seq fails: a pure function of the seed and seq. */
static bool boot_fails(const struct mock_settings *s, uint64_t seq)
{
	uint64_t x = mock_mix64(s->seed ^ mock_mix64(seq));

	return (double)(x >> 11) * 0x1p-53 < s->fail_rate;
}

static void place_vm(struct mock_cloud *cloud, const struct mock_settings *s, struct mock_vm *vm,
		     int64_t now)
{
	uint64_t seq = cloud->inv.next_seq;
	uint64_t host = seq - 1;

	vm->seq = seq;
	mock_inv_make_id(&cloud->inv, "i-", seq, vm->id, sizeof(vm->id));
	/* 10.0.0.0/8 in order, skipping .0 and .255. */
	snprintf(vm->private_ip, sizeof(vm->private_ip), "10.%u.%u.%u",
		 (unsigned)((host / 254 / 256) % 256), (unsigned)((host / 254) % 256),
		 (unsigned)(host % 254 + 1));
	mock_cloud_take_ip(cloud, now, vm->public_ip, sizeof(vm->public_ip));
	vm->created_ms = now;
	if (boot_fails(s, seq)) {
		mock_vm_begin(vm, DRV_VM_CREATING, DRV_VM_FAILED, now, s->boot_ms);
		vm->gone_ms = vm->until_ms + s->terminated_ttl_ms;
		strcpy(vm->reason, REASON_BOOT_FAILED);
	} else {
		mock_vm_begin(vm, DRV_VM_CREATING, DRV_VM_RUNNING, now, s->boot_ms);
	}
}

static int create_locked(struct mock_cloud *cloud, const struct mock_settings *s,
			 struct mock_vm *vm, int64_t now, struct drv_vm *out, struct drv_error *err)
{
	const struct mock_vm *same = mock_inv_by_token(&cloud->inv, vm->token);
	int rc;

	if (same && mock_vm_gone(same, now))
		same = NULL;
	if (same && strcmp(same->params, vm->params) != 0) {
		rc = bad_request(err, EINVAL, "IdempotentParameterMismatch",
				 "Client token '%s' was already used with different parameters (VM %s)",
				 vm->token, same->id);
		goto out_free;
	}
	if (same) {
		mock_vm_fill(same, now, out);
		rc = 0;
		goto out_free;
	}
	rc = check_quota(cloud, s, vm->vcpus, now, err);
	if (!rc)
		rc = ensure_net(cloud, now, err);
	if (rc)
		goto out_free;
	place_vm(cloud, s, vm, now);
	mock_vm_fill(vm, now, out);
	return mock_cloud_commit(cloud, vm, err);
out_free:
	mock_vm_free(vm);
	return rc;
}

int mock_op_create(struct mock_cloud *cloud, const struct mock_settings *s,
		   const struct drv_vm_req *req, struct drv_vm *out, struct drv_error *err)
{
	struct mock_vm *vm = NULL;
	int rc;

	if (!req || !out)
		return mock_fail(err, EINVAL, "MissingParameter", "mock: no request");
	rc = build_vm(s, req, &vm, err);
	if (rc)
		return rc;
	pthread_mutex_lock(&cloud->lock);
	rc = create_locked(cloud, s, vm, clock_wall_ms(), out, err);
	pthread_mutex_unlock(&cloud->lock);
	return rc;
}

/* ---- reading -------------------------------------------------------- */

/* The visible VM with this id, or NULL.  Caller holds the lock. */
static struct mock_vm *find(struct mock_cloud *cloud, const char *id, int64_t now)
{
	struct mock_vm *vm = id ? mock_inv_by_id(&cloud->inv, id) : NULL;

	return vm && !mock_vm_gone(vm, now) ? vm : NULL;
}

int mock_op_get(struct mock_cloud *cloud, const char *id, struct drv_vm *out,
		struct drv_error *err)
{
	const struct mock_vm *vm;
	int64_t now = clock_wall_ms();
	int rc = 0;

	if (!id || !out)
		return mock_fail(err, EINVAL, "MissingParameter", "mock: no VM id");
	pthread_mutex_lock(&cloud->lock);
	vm = find(cloud, id, now);
	if (vm)
		mock_vm_fill(vm, now, out);
	else
		rc = not_found(err, id);
	pthread_mutex_unlock(&cloud->lock);
	return rc;
}

static bool has_tag(const struct mock_vm *vm, const struct drv_kv *filter)
{
	const char *v = json_string_value(json_object_get(vm->tags, filter->key));

	return v && filter->value && strcmp(v, filter->value) == 0;
}

bool mock_op_list_page(struct mock_cloud *cloud, const struct drv_kv *filter, uint64_t *after,
		       struct drv_vm *page, size_t max, size_t *n)
{
	int64_t now = clock_wall_ms();
	bool more;
	size_t i;

	*n = 0;
	pthread_mutex_lock(&cloud->lock);
	for (i = mock_inv_after(&cloud->inv, *after); i < cloud->inv.nvms && *n < max; i++) {
		const struct mock_vm *vm = cloud->inv.vms[i];

		*after = vm->seq;
		if (!mock_vm_gone(vm, now) && has_tag(vm, filter))
			mock_vm_fill(vm, now, &page[(*n)++]);
	}
	more = i < cloud->inv.nvms;
	pthread_mutex_unlock(&cloud->lock);
	return more;
}

/* ---- actions -------------------------------------------------------- */

struct action_rule {
	enum drv_action action;
	const char *verb;		/* for IncorrectInstanceState */
	enum drv_vm_status from, during, to;
	size_t delay_off;		/* offset of its *_ms in struct mock_settings */
	const char *reason;
};

static const struct action_rule action_rules[] = {
	{ DRV_ACT_SUSPEND, "stopped", DRV_VM_RUNNING, DRV_VM_SUSPENDING, DRV_VM_SUSPENDED,
	  offsetof(struct mock_settings, suspend_ms), REASON_USER_STOP },
	{ DRV_ACT_RESUME, "started", DRV_VM_SUSPENDED, DRV_VM_RESUMING, DRV_VM_RUNNING,
	  offsetof(struct mock_settings, resume_ms), "" },
	{ DRV_ACT_REBOOT, "rebooted", DRV_VM_RUNNING, DRV_VM_REBOOTING, DRV_VM_RUNNING,
	  offsetof(struct mock_settings, reboot_ms), "" },
};

static const struct action_rule *find_rule(enum drv_action action)
{
	for (size_t i = 0; i < sizeof(action_rules) / sizeof(action_rules[0]); i++) {
		if (action_rules[i].action == action)
			return &action_rules[i];
	}
	return NULL;
}

/* Commit a copy of vm moved into a new transition.  Caller holds the lock. */
static int transition(struct mock_cloud *cloud, const struct mock_vm *vm,
		      enum drv_vm_status during, enum drv_vm_status to, int64_t now,
		      int64_t delay_ms, const char *reason, struct drv_error *err)
{
	struct mock_vm *next = mock_vm_dup(vm);

	if (!next)
		return mock_fail(err, ENOMEM, "InternalError", "mock: out of memory");
	mock_vm_begin(next, during, to, now, delay_ms);
	snprintf(next->reason, sizeof(next->reason), "%s", reason);
	return mock_cloud_commit(cloud, next, err);
}

static int control_locked(struct mock_cloud *cloud, const struct mock_settings *s,
			  const struct action_rule *rule, const char *id, int64_t now,
			  struct drv_error *err)
{
	const struct mock_vm *vm = find(cloud, id, now);
	enum drv_vm_status st;

	if (!vm)
		return not_found(err, id);
	st = mock_vm_status(vm, now);
	if (st == rule->during)
		return 0;	/* the same action again: already under way */
	if (st != rule->from)
		return bad_request(err, EBUSY, "IncorrectInstanceState",
				   "The instance '%s' is not in a state from which it can be %s (current state: %s)",
				   id, rule->verb, mock_vm_status_name(st));
	return transition(cloud, vm, rule->during, rule->to, now,
			  *(const int64_t *)((const char *)s + rule->delay_off), rule->reason, err);
}

int mock_op_control(struct mock_cloud *cloud, const struct mock_settings *s, const char *id,
		    enum drv_action action, struct drv_error *err)
{
	const struct action_rule *rule = find_rule(action);
	int rc;

	if (!rule)
		return mock_fail(err, EINVAL, "InvalidParameterValue", "mock: unknown action %d",
				 (int)action);
	if (!id)
		return mock_fail(err, EINVAL, "MissingParameter", "mock: no VM id");
	pthread_mutex_lock(&cloud->lock);
	rc = control_locked(cloud, s, rule, id, clock_wall_ms(), err);
	pthread_mutex_unlock(&cloud->lock);
	return rc;
}

static int delete_locked(struct mock_cloud *cloud, const struct mock_settings *s,
			 const char *id, int64_t now, struct drv_error *err)
{
	const struct mock_vm *vm = find(cloud, id, now);
	struct mock_vm *next;
	enum drv_vm_status st;

	if (!vm)
		return 0;	/* already gone */
	st = mock_vm_status(vm, now);
	if (st == DRV_VM_TERMINATING || st == DRV_VM_TERMINATED)
		return 0;
	next = mock_vm_dup(vm);
	if (!next)
		return mock_fail(err, ENOMEM, "InternalError", "mock: out of memory");
	/* A failed VM runs nothing: it is terminated at once. */
	mock_vm_begin(next, DRV_VM_TERMINATING, DRV_VM_TERMINATED, now,
		      st == DRV_VM_FAILED ? 0 : s->terminate_ms);
	next->gone_ms = next->until_ms + s->terminated_ttl_ms;
	if (st != DRV_VM_FAILED)
		strcpy(next->reason, REASON_USER_STOP);
	mock_cloud_ip_released(cloud);
	return mock_cloud_commit(cloud, next, err);
}

int mock_op_delete(struct mock_cloud *cloud, const struct mock_settings *s, const char *id,
		   struct drv_error *err)
{
	int rc;

	if (!id)
		return mock_fail(err, EINVAL, "MissingParameter", "mock: no VM id");
	pthread_mutex_lock(&cloud->lock);
	rc = delete_locked(cloud, s, id, clock_wall_ms(), err);
	pthread_mutex_unlock(&cloud->lock);
	return rc;
}

/* ---- tags and cleanup ----------------------------------------------- */

static int tag_locked(struct mock_cloud *cloud, const char *id, json_t *user, int64_t now,
		      struct drv_error *err)
{
	const struct mock_vm *vm = find(cloud, id, now);
	struct mock_vm *next;

	if (!vm)
		return not_found(err, id);
	for (size_t i = 0; i < sizeof(standard_tags) / sizeof(standard_tags[0]); i++) {
		json_t *v = json_object_get(vm->tags, standard_tags[i]);

		if (v && json_object_set(user, standard_tags[i], v))
			return mock_fail(err, ENOMEM, "InternalError", "mock: out of memory");
	}
	if (json_object_size(user) > MOCK_MAX_TAGS)
		return bad_request(err, EINVAL, "TagLimitExceeded", "A VM can have at most 50 tags");
	next = mock_vm_dup(vm);
	if (!next)
		return mock_fail(err, ENOMEM, "InternalError", "mock: out of memory");
	json_decref(next->tags);
	next->tags = json_incref(user);
	return mock_cloud_commit(cloud, next, err);
}

int mock_op_tag(struct mock_cloud *cloud, const char *id, const struct drv_kv *tags,
		size_t ntags, struct drv_error *err)
{
	json_t *user = json_object();
	int rc;

	if (!id || (ntags && !tags)) {
		json_decref(user);
		return mock_fail(err, EINVAL, "MissingParameter", "mock: no VM id or tags");
	}
	rc = user ? 0 : mock_fail(err, ENOMEM, "InternalError", "mock: out of memory");
	for (size_t i = 0; !rc && i < ntags; i++) {
		/* The standard tags are kept from the VM, whatever is asked. */
		if (!tags[i].key || !is_standard_tag(tags[i].key))
			rc = add_tags(user, &tags[i], 1, err);
	}
	if (!rc) {
		pthread_mutex_lock(&cloud->lock);
		rc = tag_locked(cloud, id, user, clock_wall_ms(), err);
		pthread_mutex_unlock(&cloud->lock);
	}
	json_decref(user);
	return rc;
}

static int cleanup_locked(struct mock_cloud *cloud, int64_t now, struct drv_error *err)
{
	struct mock_net net = cloud->inv.net;

	if (!net.exists)
		return 0;
	for (size_t i = 0; i < cloud->inv.nvms; i++) {
		if (mock_vm_alive(cloud->inv.vms[i], now))
			return bad_request(err, EBUSY, "DependencyViolation",
					   "The vpc '%s' has dependencies and cannot be deleted (VM %s)",
					   net.vpc, cloud->inv.vms[i]->id);
	}
	net.exists = false;
	return mock_cloud_commit_net(cloud, &net, err);
}

int mock_op_cleanup(struct mock_cloud *cloud, struct drv_error *err)
{
	int rc;

	pthread_mutex_lock(&cloud->lock);
	rc = cleanup_locked(cloud, clock_wall_ms(), err);
	pthread_mutex_unlock(&cloud->lock);
	return rc;
}
