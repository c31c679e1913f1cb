/*
 * vm.c - one VM record of the mock cloud: its status in cloud time, what
 * get_vm reports, and its JSON form (the journal line, docs/mock.md).
 *
 * A status is never advanced by a timer.  A record says "state until
 * until_ms, then `then`", and every reader derives the status from the
 * wall clock.  So a VM keeps booting while the engine's process is dead, and
 * after a restart it is where real time says it is, exactly as in a real
 * cloud; tests reading the journal apply the same one-line rule.
 */
#include "drivers/mock/mock_int.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The status table: common status, journal name, the mock's own status word. */
static const struct {
	enum drv_vm_status st;
	const char *name;
	const char *raw;
} vm_states[] = {
	{ DRV_VM_CREATING, "Creating", "pending" },
	{ DRV_VM_RUNNING, "Running", "running" },
	{ DRV_VM_SUSPENDING, "Suspending", "stopping" },
	{ DRV_VM_SUSPENDED, "Suspended", "stopped" },
	{ DRV_VM_RESUMING, "Resuming", "starting" },
	{ DRV_VM_REBOOTING, "Rebooting", "rebooting" },
	{ DRV_VM_TERMINATING, "Terminating", "shutting-down" },
	{ DRV_VM_TERMINATED, "Terminated", "terminated" },
	{ DRV_VM_FAILED, "Failed", "failed" },
};

#define NSTATES (sizeof(vm_states) / sizeof(vm_states[0]))

const char *mock_vm_status_name(enum drv_vm_status st)
{
	for (size_t i = 0; i < NSTATES; i++) {
		if (vm_states[i].st == st)
			return vm_states[i].name;
	}
	return NULL;
}

static const char *status_raw(enum drv_vm_status st)
{
	for (size_t i = 0; i < NSTATES; i++) {
		if (vm_states[i].st == st)
			return vm_states[i].raw;
	}
	return "unknown";
}

static int status_parse(const char *name, enum drv_vm_status *st)
{
	for (size_t i = 0; i < NSTATES; i++) {
		if (strcmp(vm_states[i].name, name) == 0) {
			*st = vm_states[i].st;
			return 0;
		}
	}
	return -EINVAL;
}

enum drv_vm_status mock_vm_status(const struct mock_vm *vm, int64_t now_ms)
{
	return now_ms >= vm->until_ms ? vm->then : vm->state;
}

bool mock_vm_gone(const struct mock_vm *vm, int64_t now_ms)
{
	return vm->gone_ms != 0 && now_ms >= vm->gone_ms;
}

bool mock_vm_alive(const struct mock_vm *vm, int64_t now_ms)
{
	enum drv_vm_status st = mock_vm_status(vm, now_ms);

	return st != DRV_VM_TERMINATED && st != DRV_VM_FAILED;
}

void mock_vm_begin(struct mock_vm *vm, enum drv_vm_status state, enum drv_vm_status then,
		   int64_t now_ms, int64_t delay_ms)
{
	vm->state = state;
	vm->then = then;
	vm->until_ms = now_ms + delay_ms;
	vm->gone_ms = 0;
}

/* Whether a status shows the reason of the transition that led to it. */
static bool shows_reason(enum drv_vm_status st)
{
	return st == DRV_VM_FAILED || st == DRV_VM_SUSPENDING || st == DRV_VM_SUSPENDED ||
	       st == DRV_VM_TERMINATING || st == DRV_VM_TERMINATED;
}

void mock_vm_fill(const struct mock_vm *vm, int64_t now_ms, struct drv_vm *out)
{
	enum drv_vm_status st = mock_vm_status(vm, now_ms);
	bool alive = st != DRV_VM_TERMINATED && st != DRV_VM_FAILED;
	const char *bid = json_string_value(json_object_get(vm->tags, DRV_TAG_ID));

	memset(out, 0, sizeof(*out));
	snprintf(out->csp_id, sizeof(out->csp_id), "%s", vm->id);
	snprintf(out->name, sizeof(out->name), "%s", vm->name);
	snprintf(out->status_raw, sizeof(out->status_raw), "%s", status_raw(st));
	out->status = st;
	snprintf(out->spec, sizeof(out->spec), "%s", vm->spec);
	snprintf(out->image, sizeof(out->image), "%s", vm->image);
	snprintf(out->zone, sizeof(out->zone), "%s", vm->zone);
	snprintf(out->public_ip, sizeof(out->public_ip), "%s", alive ? vm->public_ip : "");
	snprintf(out->private_ip, sizeof(out->private_ip), "%s", alive ? vm->private_ip : "");
	out->created = vm->created_ms / 1000;
	snprintf(out->baristafs_id, sizeof(out->baristafs_id), "%s", bid ? bid : "");
	snprintf(out->client_token, sizeof(out->client_token), "%s", vm->token);
	snprintf(out->reason, sizeof(out->reason), "%s", shows_reason(st) ? vm->reason : "");
}

struct mock_vm *mock_vm_new(void)
{
	struct mock_vm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return NULL;
	vm->tags = json_object();
	if (!vm->tags) {
		free(vm);
		return NULL;
	}
	return vm;
}

struct mock_vm *mock_vm_dup(const struct mock_vm *vm)
{
	struct mock_vm *copy = malloc(sizeof(*copy));

	if (!copy)
		return NULL;
	*copy = *vm;
	copy->tags = json_deep_copy(vm->tags);
	if (!copy->tags) {
		free(copy);
		return NULL;
	}
	return copy;
}

void mock_vm_free(struct mock_vm *vm)
{
	if (!vm)
		return;
	json_decref(vm->tags);
	free(vm);
}

json_t *mock_vm_to_json(const struct mock_vm *vm)
{
	return json_pack("{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:I,"
			 " s:s, s:I, s:s, s:I, s:s, s:O}",
			 "kind", "vm", "seq", (json_int_t)vm->seq, "id", vm->id,
			 "name", vm->name, "token", vm->token, "params", vm->params,
			 "spec", vm->spec, "vcpus", vm->vcpus, "image", vm->image,
			 "zone", vm->zone, "private_ip", vm->private_ip,
			 "public_ip", vm->public_ip, "created_ms", (json_int_t)vm->created_ms,
			 "state", mock_vm_status_name(vm->state),
			 "until_ms", (json_int_t)vm->until_ms,
			 "then", mock_vm_status_name(vm->then),
			 "gone_ms", (json_int_t)vm->gone_ms, "reason", vm->reason,
			 "tags", vm->tags);
}

/* ---- decoding: every field checked, since the file is outside input ---- */

struct decoder {
	const json_t *obj;
	char *msg;
	size_t msglen;
};

static int dec_fail(const struct decoder *d, const char *field, const char *what)
{
	snprintf(d->msg, d->msglen, "field '%s' %s", field, what);
	return -EINVAL;
}

static int dec_str(const struct decoder *d, const char *field, char *dst, size_t size)
{
	const json_t *v = json_object_get(d->obj, field);

	if (!json_is_string(v))
		return dec_fail(d, field, "is missing or not a string");
	if (mock_copy(dst, size, json_string_value(v)))
		return dec_fail(d, field, "is too long");
	return 0;
}

static int dec_int(const struct decoder *d, const char *field, int64_t min, int64_t *dst)
{
	const json_t *v = json_object_get(d->obj, field);

	if (!json_is_integer(v))
		return dec_fail(d, field, "is missing or not an integer");
	if (json_integer_value(v) < min)
		return dec_fail(d, field, "is out of range");
	*dst = json_integer_value(v);
	return 0;
}

static int dec_status(const struct decoder *d, const char *field, enum drv_vm_status *st)
{
	char name[32];

	if (dec_str(d, field, name, sizeof(name)))
		return -EINVAL;
	if (status_parse(name, st))
		return dec_fail(d, field, "is not a VM status");
	return 0;
}

static int dec_tags(const struct decoder *d, struct mock_vm *vm)
{
	const json_t *tags = json_object_get(d->obj, "tags");
	const char *key;
	json_t *v;

	if (!json_is_object(tags) || json_object_size(tags) > 2 * MOCK_MAX_TAGS)
		return dec_fail(d, "tags", "is missing or not an object of tags");
	json_object_foreach((json_t *)tags, key, v) {
		if (!json_is_string(v))
			return dec_fail(d, "tags", "holds a value that is not a string");
	}
	return json_object_update(vm->tags, (json_t *)tags) ? -ENOMEM : 0;
}

/* The record's fields, with their JSON keys equal to the member names. */
#define STR_FIELD(f) { #f, offsetof(struct mock_vm, f), sizeof(((struct mock_vm *)0)->f) }
static const struct {
	const char *key;
	size_t off, size;
} str_fields[] = {
	STR_FIELD(id), STR_FIELD(name), STR_FIELD(token), STR_FIELD(params),
	STR_FIELD(spec), STR_FIELD(image), STR_FIELD(zone), STR_FIELD(private_ip),
	STR_FIELD(public_ip), STR_FIELD(reason),
};
#undef STR_FIELD

#define TIME_FIELD(f) { #f, offsetof(struct mock_vm, f) }
static const struct {
	const char *key;
	size_t off;
} time_fields[] = { TIME_FIELD(created_ms), TIME_FIELD(until_ms), TIME_FIELD(gone_ms) };
#undef TIME_FIELD

static int dec_strings(const struct decoder *d, struct mock_vm *vm)
{
	for (size_t i = 0; i < sizeof(str_fields) / sizeof(str_fields[0]); i++) {
		int rc = dec_str(d, str_fields[i].key, (char *)vm + str_fields[i].off,
				 str_fields[i].size);

		if (rc)
			return rc;
	}
	return vm->id[0] ? 0 : dec_fail(d, "id", "is empty");
}

static int dec_numbers(const struct decoder *d, struct mock_vm *vm)
{
	int64_t seq, vcpus;
	int rc = dec_int(d, "seq", 1, &seq);

	if (!rc)
		rc = dec_int(d, "vcpus", 0, &vcpus);
	if (!rc && vcpus > 1024)
		rc = dec_fail(d, "vcpus", "is out of range");
	for (size_t i = 0; !rc && i < sizeof(time_fields) / sizeof(time_fields[0]); i++)
		rc = dec_int(d, time_fields[i].key, 0,
			     (int64_t *)((char *)vm + time_fields[i].off));
	if (!rc)
		rc = dec_status(d, "state", &vm->state);
	if (!rc)
		rc = dec_status(d, "then", &vm->then);
	if (rc)
		return rc;
	vm->seq = (uint64_t)seq;
	vm->vcpus = (int)vcpus;
	return 0;
}

struct mock_vm *mock_vm_from_json(const json_t *obj, char *msg, size_t msglen)
{
	struct decoder d = { obj, msg, msglen };
	struct mock_vm *vm = mock_vm_new();
	int rc;

	if (!vm) {
		snprintf(msg, msglen, "out of memory");
		return NULL;
	}
	rc = dec_strings(&d, vm);
	if (!rc)
		rc = dec_numbers(&d, vm);
	if (!rc)
		rc = dec_tags(&d, vm);
	if (rc == -ENOMEM)
		snprintf(msg, msglen, "out of memory");
	if (rc) {
		mock_vm_free(vm);
		return NULL;
	}
	return vm;
}
