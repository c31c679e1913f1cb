/*
 * parse.c - what the GCE driver reads from compute v1 answers, its tables
 * (statuses, HTTP errors, operation errors) and its shipped prices.
 *
 * Pure functions over parsed documents: unit-tested against the answers
 * recorded from the real API (../shared/fixtures/libcloud-compute/gce) and
 * fuzzed.  Two things a reader would get wrong: TERMINATED means stopped,
 * not deleted (the instance can be started again); and times carry the
 * API's local offset ("-08:00"), not always Z.
 */
#include "drivers/gcp/gcp.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "drivers/common/drvmap.h"
#include "drivers/common/jsonh.h"
#include "drivers/common/hash.h"

const char *gcp_last_segment(const char *s)
{
	const char *slash = s ? strrchr(s, '/') : NULL;

	if (!s)
		return "";
	return slash ? slash + 1 : s;
}

int gcp_time(const char *s, int64_t *unix_s)
{
	struct tm tm;
	const char *p;
	int sign, hh, mm;

	memset(&tm, 0, sizeof(tm));
	p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p))
			p++;
	}
	*unix_s = (int64_t)timegm(&tm);
	if (strcmp(p, "Z") == 0)
		return 0;
	if ((*p != '+' && *p != '-') || sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 || strlen(p) != 6)
		return -EINVAL;
	sign = *p == '-' ? -1 : 1;
	*unix_s -= sign * (hh * 3600 + mm * 60);	/* local = UTC + offset */
	return 0;
}

void gcp_label(const char *in, char *out, size_t size)
{
	size_t n = 0, max = size - 1 < 63 ? size - 1 : 63;

	for (const char *p = in ? in : ""; *p && n < max; p++) {
		unsigned char c = (unsigned char)tolower((unsigned char)*p);

		out[n++] = (isalnum(c) && c < 0x80) || c == '-' || c == '_' ? (char)c : '_';
	}
	out[n] = '\0';
}

void gcp_request_id(const char *seed, char out[37])
{
	unsigned char md[HASH_SHA256_LEN];

	hash_sha256(seed, strlen(seed), md);
	md[6] = (md[6] & 0x0f) | 0x50;	/* version 5: name-based */
	md[8] = (md[8] & 0x3f) | 0x80;	/* RFC 4122 variant */
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 md[0], md[1], md[2], md[3], md[4], md[5], md[6], md[7], md[8], md[9], md[10],
		 md[11], md[12], md[13], md[14], md[15]);
}

/* ---- instances ----------------------------------------------------------- */

const char *gcp_metadata(const json_t *inst, const char *key)
{
	const json_t *items = json_object_get(json_object_get(inst, "metadata"), "items"), *it;
	size_t i;

	json_array_foreach(items, i, it) {
		const char *k = jsonh_str(it, "key");

		if (k && strcmp(k, key) == 0)
			return jsonh_str(it, "value");
	}
	return NULL;
}

static void read_network(const json_t *inst, struct drv_vm *vm)
{
	const json_t *nic = json_array_get(json_object_get(inst, "networkInterfaces"), 0);
	const json_t *ac = json_array_get(json_object_get(nic, "accessConfigs"), 0);

	jsonh_copy(vm->private_ip, sizeof(vm->private_ip), jsonh_str(nic, "networkIP"));
	jsonh_copy(vm->public_ip, sizeof(vm->public_ip), jsonh_str(ac, "natIP"));
}

int gcp_parse_instance(const json_t *inst, struct drv_vm *vm)
{
	const char *name = jsonh_str(inst, "name");
	const char *zone = gcp_last_segment(jsonh_str(inst, "zone"));
	const char *id = gcp_metadata(inst, DRV_TAG_ID);

	memset(vm, 0, sizeof(*vm));
	if (!name || !*zone)
		return -EIO;
	snprintf(vm->csp_id, sizeof(vm->csp_id), "%s/%s", zone, name);
	jsonh_copy(vm->name, sizeof(vm->name), name);
	jsonh_copy(vm->zone, sizeof(vm->zone), zone);
	jsonh_copy(vm->status_raw, sizeof(vm->status_raw), jsonh_str(inst, "status"));
	vm->status = gcp_status(jsonh_str(inst, "status"));
	jsonh_copy(vm->spec, sizeof(vm->spec), gcp_last_segment(jsonh_str(inst, "machineType")));
	jsonh_copy(vm->image, sizeof(vm->image), gcp_metadata(inst, GCP_META_IMAGE));
	read_network(inst, vm);
	if (gcp_time(jsonh_str(inst, "creationTimestamp"), &vm->created) != 0)
		vm->created = 0;
	if (!id)
		id = jsonh_str(json_object_get(inst, "labels"), DRV_TAG_ID);
	jsonh_copy(vm->baristafs_id, sizeof(vm->baristafs_id), id);
	jsonh_copy(vm->client_token, sizeof(vm->client_token), gcp_metadata(inst, GCP_META_TOKEN));
	jsonh_copy(vm->reason, sizeof(vm->reason), jsonh_str(inst, "statusMessage"));
	return 0;
}

int gcp_parse_operation(const json_t *doc, struct gcp_op *op)
{
	const json_t *e = json_array_get(json_object_get(json_object_get(doc, "error"), "errors"), 0);

	memset(op, 0, sizeof(*op));
	jsonh_copy(op->name, sizeof(op->name), jsonh_str(doc, "name"));
	if (!op->name[0])
		return -EIO;
	jsonh_copy(op->zone, sizeof(op->zone), gcp_last_segment(jsonh_str(doc, "zone")));
	jsonh_copy(op->status, sizeof(op->status), jsonh_str(doc, "status"));
	jsonh_copy(op->target, sizeof(op->target), gcp_last_segment(jsonh_str(doc, "targetLink")));
	jsonh_copy(op->error_code, sizeof(op->error_code), jsonh_str(e, "code"));
	jsonh_copy(op->error_message, sizeof(op->error_message), jsonh_str(e, "message"));
	op->http_error = (int)json_integer_value(json_object_get(doc, "httpErrorStatusCode"));
	return 0;
}

/* ---- machine types, images, prices --------------------------------------- */

/*
 * Shipped prices: on-demand Linux, us-central1, USD per hour, as published
 * at cloud.google.com/compute/vm-instance-pricing (2024-06).  Predefined
 * types are billed per vCPU and GiB at their family's rates; shared-core
 * and GPU types have their own price.  Other regions cost more; the price
 * is an estimate for placement, not a bill.
 */
const char gcp_price_source[] = "GCE on-demand us-central1 price list, 2024-06";

static const struct {
	const char *family;
	double vcpu, gib;
} gcp_family_rates[] = {
	{ "e2", 0.021811, 0.002923 }, { "n1", 0.031611, 0.004237 },
	{ "n2", 0.031611, 0.004237 }, { "n2d", 0.027502, 0.003686 },
	{ "t2d", 0.027502, 0.003686 }, { "c2", 0.03398, 0.00455 },
};

static const struct {
	const char *name;
	double usd;
} gcp_fixed_prices[] = {
	{ "f1-micro", 0.0076 }, { "g1-small", 0.0257 }, { "e2-micro", 0.008376 },
	{ "e2-small", 0.016751 }, { "e2-medium", 0.033503 }, { "a2-highgpu-1g", 3.673385 },
};

double gcp_price(const char *machine_type, int vcpus, double mem_gib)
{
	size_t flen = strcspn(machine_type, "-");
	size_t i;

	for (i = 0; i < sizeof(gcp_fixed_prices) / sizeof(gcp_fixed_prices[0]); i++) {
		if (strcmp(machine_type, gcp_fixed_prices[i].name) == 0)
			return gcp_fixed_prices[i].usd;
	}
	for (i = 0; i < sizeof(gcp_family_rates) / sizeof(gcp_family_rates[0]); i++) {
		if (strlen(gcp_family_rates[i].family) == flen &&
		    strncmp(machine_type, gcp_family_rates[i].family, flen) == 0)
			return vcpus * gcp_family_rates[i].vcpu + mem_gib * gcp_family_rates[i].gib;
	}
	return -1;
}

int gcp_parse_machine_type(const json_t *mt, struct drv_spec_info *spec)
{
	const json_t *accs = json_object_get(mt, "accelerators"), *a;
	size_t i;

	memset(spec, 0, sizeof(*spec));
	jsonh_copy(spec->name, sizeof(spec->name), jsonh_str(mt, "name"));
	if (!spec->name[0] || !json_is_integer(json_object_get(mt, "guestCpus")))
		return -EIO;
	spec->vcpus = (int)json_integer_value(json_object_get(mt, "guestCpus"));
	spec->mem_gib = (double)json_integer_value(json_object_get(mt, "memoryMb")) / 1024.0;
	json_array_foreach(accs, i, a) {
		spec->gpus += (int)json_integer_value(json_object_get(a, "guestAcceleratorCount"));
		if (!spec->gpu_model[0])
			jsonh_copy(spec->gpu_model, sizeof(spec->gpu_model), jsonh_str(a, "guestAcceleratorType"));
	}
	jsonh_copy(spec->arch, sizeof(spec->arch),
	     strncmp(spec->name, "t2a-", 4) == 0 || strncmp(spec->name, "c4a-", 4) == 0 ? "arm64"
											: "x86_64");
	spec->price_usd_per_hour = gcp_price(spec->name, spec->vcpus, spec->mem_gib);
	jsonh_copy(spec->price_source, sizeof(spec->price_source),
	     spec->price_usd_per_hour >= 0 ? gcp_price_source : "");
	return 0;
}

/* "projects/<p>/global/images/<n>" from a selfLink (absolute or not). */
static int image_path(const char *self, char *path, size_t size)
{
	const char *p = self ? strstr(self, "projects/") : NULL;

	if (!p || !strstr(p, "/global/images/"))
		return -EIO;
	jsonh_copy(path, size, p);
	return 0;
}

int gcp_parse_image(const json_t *image, struct drv_image_info *img, char *path, size_t size)
{
	const char *status = jsonh_str(image, "status");
	const char *state = jsonh_str(json_object_get(image, "deprecated"), "state");
	const char *arch = jsonh_str(image, "architecture");
	const char *family = jsonh_str(image, "family");

	memset(img, 0, sizeof(*img));
	jsonh_copy(img->name, sizeof(img->name), jsonh_str(image, "name"));
	if (!img->name[0] || image_path(jsonh_str(image, "selfLink"), path, size) != 0)
		return -EIO;
	if ((status && strcmp(status, "READY") != 0) || (state && strcmp(state, "ACTIVE") != 0))
		return 1;
	jsonh_copy(img->id, sizeof(img->id), path);
	jsonh_copy(img->os, sizeof(img->os), family ? family : img->name);
	jsonh_copy(img->arch, sizeof(img->arch), arch && strcasecmp(arch, "ARM64") == 0 ? "arm64"
										 : "x86_64");
	jsonh_copy(img->description, sizeof(img->description), jsonh_str(image, "description"));
	return 0;
}

/* ---- the status table ---------------------------------------------------- */

static const struct drvmap_status gcp_statuses[] = {
	{ "PROVISIONING", DRV_VM_CREATING },	{ "STAGING", DRV_VM_CREATING },
	{ "PENDING", DRV_VM_CREATING },		{ "RUNNING", DRV_VM_RUNNING },
	{ "STOPPING", DRV_VM_SUSPENDING },	{ "SUSPENDING", DRV_VM_SUSPENDING },
	{ "TERMINATED", DRV_VM_SUSPENDED },	{ "STOPPED", DRV_VM_SUSPENDED },
	{ "SUSPENDED", DRV_VM_SUSPENDED },	{ "REPAIRING", DRV_VM_REBOOTING },
	{ "DEPROVISIONING", DRV_VM_TERMINATING },
	{ NULL, DRV_VM_UNDEFINED },
};

enum drv_vm_status gcp_status(const char *status)
{
	return drvmap_status(gcp_statuses, status);
}

/* ---- the error table ----------------------------------------------------- */

/*
 * One table for both kinds of error: an HTTP answer's reason
 * (errors[0].reason, the status word, or the token endpoint's "error"),
 * and a DONE operation's error code (upper case).  A 403 is a rate limit,
 * a quota or a refusal depending on its reason; unlisted codes fall back on
 * the HTTP status (drvmap.h).  A zone out of capacity is not retried in
 * place: placement moves on to another zone.
 */
static const struct drvmap_err gcp_errors[] = {
	{ "rateLimitExceeded", EAGAIN, true },
	{ "userRateLimitExceeded", EAGAIN, true },
	{ "RESOURCE_EXHAUSTED", EAGAIN, true },
	{ "RATE_LIMIT_EXCEEDED", EAGAIN, true },
	{ "quotaExceeded", EDQUOT, false },
	{ "QUOTA_EXCEEDED", EDQUOT, false },
	{ "resourceNotReady", EIO, true },
	{ "RESOURCE_NOT_READY", EIO, true },
	{ "ZONE_RESOURCE_POOL_EXHAUSTED*", EIO, false },
	{ "invalid_grant", EACCES, false },
	{ "invalid_client", EACCES, false },
	{ "unauthorized_client", EACCES, false },
	{ "authError", EACCES, false },
	{ "forbidden", EACCES, false },
	{ "insufficientPermissions", EACCES, false },
	{ "PERMISSIONS_ERROR", EACCES, false },
	{ "notFound", ENOENT, false },
	{ "invalid", EINVAL, false },
	{ "invalidParameter", EINVAL, false },
	{ "badRequest", EINVAL, false },
	{ "required", EINVAL, false },
	{ "HTTP400", EINVAL, false },
	{ "RESOURCE_NOT_FOUND", EINVAL, false },	/* the insert named a missing image or type */
	{ "INVALID*", EINVAL, false },
	{ "alreadyExists", EIO, false },
	{ "backendError", EIO, true },
	{ NULL, 0, false },
};

int gcp_error(int http_status, const char *body, size_t len, struct drv_error *err)
{
	json_t *doc = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const json_t *e = json_object_get(doc, "error");
	const json_t *first = json_array_get(json_object_get(e, "errors"), 0);
	struct drvmap_answer a = { .http_status = http_status };
	char code[64];
	int rc;

	if (json_is_string(e)) {	/* OAuth2: {"error": "...", "error_description": "..."} */
		a.code = json_string_value(e);
		a.message = jsonh_str(doc, "error_description");
	} else {
		a.code = jsonh_str(first, "reason") ? jsonh_str(first, "reason") : jsonh_str(e, "status");
		a.message = jsonh_str(e, "message");
	}
	if (!a.code || !*a.code) {
		snprintf(code, sizeof(code), "HTTP%d", http_status);
		a.code = code;
	}
	rc = drvmap_error(gcp_errors, &a, err);
	if (http_status == 429 && err) {	/* too many requests, whatever the reason says */
		err->retryable = true;
		rc = -EAGAIN;
	}
	if (err)
		jsonh_line(err->message);
	json_decref(doc);
	return rc;
}

int gcp_op_error(const struct gcp_op *op, struct drv_error *err)
{
	struct drvmap_answer a = {
		.http_status = op->http_error, .code = op->error_code, .message = op->error_message,
	};

	if (!op->error_code[0])
		return 0;
	return drvmap_error(gcp_errors, &a, err);
}
