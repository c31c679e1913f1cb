/*
 * parse.c - what the Azure driver reads from ARM and AAD answers, its
 * tables (provisioning and power states, errors) and its shipped data
 * (prices, GPU counts, image aliases).
 *
 * Pure functions over parsed documents: unit-tested against the recorded
 * answers (../shared/fixtures/libcloud-compute/azure_arm) and fuzzed.  A
 * reader should know: a VM's status is two words, the provisioning state
 * (in the resource, "Succeeded") and the power state (only in the instance
 * view, "PowerState/running"); lists carry no power state; and the
 * instance view spells the provisioning state in lower case.
 */
#include "drivers/azure/azure.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drivers/common/drvmap.h"
#include "drivers/common/jsonh.h"
#include "lib/clock.h"

/* ---- statuses ------------------------------------------------------------- */

/* Provisioning states that decide the status whatever the power says (lower case). */
static const struct drvmap_status azure_provisioning[] = {
	{ "creating", DRV_VM_CREATING },	{ "deleting", DRV_VM_TERMINATING },
	{ "failed", DRV_VM_FAILED },		{ "canceled", DRV_VM_FAILED },
	{ NULL, DRV_VM_UNDEFINED },
};

/* Power states ("PowerState/<word>"). */
static const struct drvmap_status azure_power[] = {
	{ "starting", DRV_VM_RESUMING },	{ "running", DRV_VM_RUNNING },
	{ "stopping", DRV_VM_SUSPENDING },	{ "deallocating", DRV_VM_SUSPENDING },
	{ "stopped", DRV_VM_SUSPENDED },	{ "deallocated", DRV_VM_SUSPENDED },
	{ NULL, DRV_VM_UNDEFINED },
};

static void lower(const char *in, char *out, size_t size)
{
	size_t n = 0;

	for (; in && in[n] && n + 1 < size; n++)
		out[n] = (char)tolower((unsigned char)in[n]);
	out[n] = '\0';
}

enum drv_vm_status azure_status(const char *provisioning, const char *power)
{
	char p[32], w[32];
	enum drv_vm_status st;

	lower(provisioning, p, sizeof(p));
	lower(power, w, sizeof(w));
	st = drvmap_status(azure_provisioning, p);
	return st != DRV_VM_UNDEFINED ? st : drvmap_status(azure_power, w);
}

/* ---- VMs ------------------------------------------------------------------ */

struct iv_read {
	char provisioning[32];	/* from the instance view, lower case */
	char power[24];
	char failure[256];	/* a failed provisioning's message */
};

/* Read "ProvisioningState/x[/Code]" and "PowerState/y" of an instance view. */
static void read_instance_view(const json_t *iv, struct iv_read *r)
{
	const json_t *st;
	size_t i;

	json_array_foreach(json_object_get(iv, "statuses"), i, st) {
		const char *code = jsonh_str(st, "code");

		if (!code)
			continue;
		if (strncmp(code, "PowerState/", 11) == 0)
			lower(code + 11, r->power, sizeof(r->power));
		if (strncmp(code, "ProvisioningState/", 18) != 0)
			continue;
		lower(code + 18, r->provisioning, sizeof(r->provisioning));
		r->provisioning[strcspn(r->provisioning, "/")] = '\0';
		if (strcmp(r->provisioning, "failed") == 0)
			jsonh_copy(r->failure, sizeof(r->failure), jsonh_str(st, "message")
				   ? jsonh_str(st, "message") : jsonh_str(st, "displayStatus"));
	}
}

static void read_status(const json_t *doc, struct drv_vm *vm)
{
	const json_t *props = json_object_get(doc, "properties");
	const json_t *iv = json_object_get(props, "instanceView");
	const char *prov = jsonh_str(props, "provisioningState");
	struct iv_read r = { "", "", "" };

	if (!iv && json_object_get(doc, "statuses"))
		iv = doc;	/* an instanceView answer itself */
	read_instance_view(iv, &r);
	if (strcmp(r.provisioning, "failed") == 0 || !prov)
		prov = r.provisioning;
	snprintf(vm->status_raw, sizeof(vm->status_raw), "%.23s%s%.23s", prov ? prov : "",
		 r.power[0] ? "/" : "", r.power);
	vm->status = azure_status(prov, r.power);
	jsonh_copy(vm->reason, sizeof(vm->reason), r.failure);
}

int azure_parse_vm(const json_t *doc, struct drv_vm *vm)
{
	const json_t *props = json_object_get(doc, "properties");
	const json_t *tags = json_object_get(doc, "tags");
	const char *zone = json_string_value(json_array_get(json_object_get(doc, "zones"), 0));
	int64_t ms;

	memset(vm, 0, sizeof(*vm));
	jsonh_copy(vm->name, sizeof(vm->name), jsonh_str(doc, "name"));
	if (!vm->name[0])
		return -EIO;
	jsonh_copy(vm->csp_id, sizeof(vm->csp_id), vm->name);
	read_status(doc, vm);
	lower(jsonh_str(json_object_get(props, "hardwareProfile"), "vmSize"), vm->spec,
	      sizeof(vm->spec));
	azure_image_name(json_object_get(json_object_get(props, "storageProfile"), "imageReference"),
			 vm->image, sizeof(vm->image));
	jsonh_copy(vm->zone, sizeof(vm->zone), zone ? zone : jsonh_str(doc, "location"));
	if (jsonh_str(props, "timeCreated") &&
	    clock_parse_rfc3339(jsonh_str(props, "timeCreated"), &ms) == 0)
		vm->created = ms / 1000;
	jsonh_copy(vm->baristafs_id, sizeof(vm->baristafs_id), jsonh_str(tags, DRV_TAG_ID));
	jsonh_copy(vm->client_token, sizeof(vm->client_token), jsonh_str(tags, AZURE_TAG_TOKEN));
	return 0;
}

const char *azure_vm_nic(const json_t *doc)
{
	const json_t *nics = json_object_get(json_object_get(json_object_get(doc, "properties"),
							     "networkProfile"), "networkInterfaces");
	const json_t *nic;
	size_t i;

	json_array_foreach(nics, i, nic) {
		if (json_is_true(json_object_get(json_object_get(nic, "properties"), "primary")))
			return jsonh_str(nic, "id");
	}
	return jsonh_str(json_array_get(nics, 0), "id");
}

void azure_parse_nic(const json_t *nic, char *private_ip, size_t psize, char *pip_id,
		     size_t isize, char *public_ip, size_t usize)
{
	const json_t *cfgs = json_object_get(json_object_get(nic, "properties"), "ipConfigurations");
	const json_t *cfg = json_array_get(cfgs, 0), *c, *pip;
	size_t i;

	json_array_foreach(cfgs, i, c) {
		if (json_is_true(json_object_get(json_object_get(c, "properties"), "primary")))
			cfg = c;
	}
	pip = json_object_get(json_object_get(cfg, "properties"), "publicIPAddress");
	jsonh_copy(private_ip, psize,
		   jsonh_str(json_object_get(cfg, "properties"), "privateIPAddress"));
	jsonh_copy(pip_id, isize, jsonh_str(pip, "id"));
	jsonh_copy(public_ip, usize, jsonh_str(json_object_get(pip, "properties"), "ipAddress"));
}

/* ---- sizes, GPUs, prices --------------------------------------------------- */

/*
 * Shipped prices: pay-as-you-go Linux in East US, USD per hour, as
 * published at azure.microsoft.com/pricing/details/virtual-machines/linux
 * (2024-06).  Other regions differ; the price is an estimate for
 * placement, not a bill.
 */
const char azure_price_source[] = "Azure Linux pay-as-you-go East US price list, 2024-06";

static const struct {
	const char *size;
	double usd;
} azure_prices[] = {
	{ "Standard_A0", 0.02 },	{ "Standard_A1", 0.06 },	{ "Standard_A2", 0.12 },
	{ "Standard_A1_v2", 0.043 },	{ "Standard_A2_v2", 0.091 },	{ "Standard_A4_v2", 0.191 },
	{ "Standard_B1ls", 0.0052 },	{ "Standard_B1s", 0.0104 },	{ "Standard_B1ms", 0.0207 },
	{ "Standard_B2s", 0.0416 },	{ "Standard_B2ms", 0.0832 },	{ "Standard_B4ms", 0.166 },
	{ "Standard_B8ms", 0.333 },	{ "Standard_D2_v3", 0.096 },	{ "Standard_D4_v3", 0.192 },
	{ "Standard_D2s_v3", 0.096 },	{ "Standard_D4s_v3", 0.192 },	{ "Standard_D8s_v3", 0.384 },
	{ "Standard_D2s_v5", 0.096 },	{ "Standard_D4s_v5", 0.192 },	{ "Standard_D8s_v5", 0.384 },
	{ "Standard_D2as_v5", 0.086 },	{ "Standard_D4as_v5", 0.172 },	{ "Standard_D2ps_v5", 0.077 },
	{ "Standard_E2s_v3", 0.126 },	{ "Standard_E4s_v3", 0.252 },	{ "Standard_F2s_v2", 0.0846 },
	{ "Standard_F4s_v2", 0.169 },	{ "Standard_F8s_v2", 0.338 },	{ "Standard_NC6s_v3", 3.06 },
	{ "Standard_NC4as_T4_v3", 0.526 },
};

/* GPUs per size (vmSizes does not say). */
static const struct {
	const char *size;
	int gpus;
	const char *model;
} azure_gpus[] = {
	{ "Standard_NC6", 1, "K80" },		{ "Standard_NC12", 2, "K80" },
	{ "Standard_NC24", 4, "K80" },		{ "Standard_NC6s_v3", 1, "V100" },
	{ "Standard_NC12s_v3", 2, "V100" },	{ "Standard_NC24s_v3", 4, "V100" },
	{ "Standard_NC4as_T4_v3", 1, "T4" },	{ "Standard_NC8as_T4_v3", 1, "T4" },
	{ "Standard_NC16as_T4_v3", 1, "T4" },	{ "Standard_NC64as_T4_v3", 4, "T4" },
	{ "Standard_NV6", 1, "M60" },		{ "Standard_NC24ads_A100_v4", 1, "A100" },
	{ "Standard_ND96asr_v4", 8, "A100" },
};

double azure_price(const char *size)
{
	for (size_t i = 0; size && i < sizeof(azure_prices) / sizeof(azure_prices[0]); i++) {
		if (strcasecmp(size, azure_prices[i].size) == 0)
			return azure_prices[i].usd;
	}
	return -1;
}

/* Arm sizes carry 'p' among the feature letters after the vCPU count (D2ps_v5, B2pts_v2). */
static bool arm_size(const char *size)
{
	const char *p = strncasecmp(size, "Standard_", 9) == 0 ? size + 9 : size;

	while (isupper((unsigned char)*p))
		p++;
	while (isdigit((unsigned char)*p))
		p++;
	for (; islower((unsigned char)*p); p++) {
		if (*p == 'p')
			return true;
	}
	return false;
}

int azure_parse_size(const json_t *size, struct drv_spec_info *spec)
{
	const char *name = jsonh_str(size, "name");

	memset(spec, 0, sizeof(*spec));
	if (!name || !*name || !json_is_integer(json_object_get(size, "numberOfCores")))
		return -EIO;
	lower(name, spec->name, sizeof(spec->name));
	spec->vcpus = (int)json_integer_value(json_object_get(size, "numberOfCores"));
	spec->mem_gib = (double)json_integer_value(json_object_get(size, "memoryInMB")) / 1024.0;
	for (size_t i = 0; i < sizeof(azure_gpus) / sizeof(azure_gpus[0]); i++) {
		if (strcasecmp(name, azure_gpus[i].size) == 0) {
			spec->gpus = azure_gpus[i].gpus;
			jsonh_copy(spec->gpu_model, sizeof(spec->gpu_model), azure_gpus[i].model);
		}
	}
	jsonh_copy(spec->arch, sizeof(spec->arch), arm_size(name) ? "arm64" : "x86_64");
	spec->price_usd_per_hour = azure_price(name);
	jsonh_copy(spec->price_source, sizeof(spec->price_source),
		   spec->price_usd_per_hour >= 0 ? azure_price_source : "");
	return 0;
}

/* ---- images ----------------------------------------------------------------- */

/*
 * Marketplace images offered by name, after the aliases the az CLI ships
 * (Ubuntu2204, Debian12, ...), in the tree's naming.  list_images offers
 * those the location has; any other image is named by its URN.
 */
const struct azure_image azure_images[] = {
	{ "ubuntu-24.04", "Canonical", "ubuntu-24_04-lts", "server", "ubuntu-24.04", "x86_64" },
	{ "ubuntu-22.04", "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-gen2",
	  "ubuntu-22.04", "x86_64" },
	{ "ubuntu-22.04-arm64", "Canonical", "0001-com-ubuntu-server-jammy", "22_04-lts-arm64",
	  "ubuntu-22.04", "arm64" },
	{ "ubuntu-20.04", "Canonical", "0001-com-ubuntu-server-focal", "20_04-lts-gen2",
	  "ubuntu-20.04", "x86_64" },
	{ "debian-12", "Debian", "debian-12", "12-gen2", "debian-12", "x86_64" },
	{ "debian-11", "Debian", "debian-11", "11-gen2", "debian-11", "x86_64" },
	{ "rhel-9", "RedHat", "RHEL", "9-lvm-gen2", "rhel-9", "x86_64" },
	{ "almalinux-9", "almalinux", "almalinux-x86_64", "9-gen2", "almalinux-9", "x86_64" },
	{ NULL, NULL, NULL, NULL, NULL, NULL },
};

int azure_image_find(const char *name, struct azure_image *img, char *buf, size_t size)
{
	char *parts[4] = { NULL }, *save = NULL, *tok;
	int n = 0;

	for (const struct azure_image *a = azure_images; a->name; a++) {
		if (strcasecmp(name, a->name) == 0) {
			*img = *a;
			return 0;
		}
	}
	if (!strchr(name, ':') || strlen(name) >= size)
		return -ENOENT;
	memcpy(buf, name, strlen(name) + 1);
	for (tok = strtok_r(buf, ":", &save); tok && n < 4; tok = strtok_r(NULL, ":", &save))
		parts[n++] = tok;
	if (n < 3 || tok)
		return -ENOENT;
	*img = (struct azure_image){ name, parts[0], parts[1], parts[2], "", "x86_64" };
	return 0;
}

void azure_image_name(const json_t *ref, char *dst, size_t size)
{
	const char *pub = jsonh_str(ref, "publisher"), *offer = jsonh_str(ref, "offer");
	const char *sku = jsonh_str(ref, "sku");

	dst[0] = '\0';
	if (!pub || !offer || !sku)
		return;
	for (const struct azure_image *a = azure_images; a->name; a++) {
		if (strcasecmp(pub, a->publisher) == 0 && strcasecmp(offer, a->offer) == 0 &&
		    strcasecmp(sku, a->sku) == 0) {
			jsonh_copy(dst, size, a->name);
			return;
		}
	}
	snprintf(dst, size, "%s:%s:%s", pub, offer, sku);
}

/* ---- errors ----------------------------------------------------------------- */

/*
 * ARM codes, AAD's OAuth2 error words, and async operations' error codes;
 * unlisted codes fall back on the HTTP status (drvmap.h).  ARM reports a
 * quota as OperationNotAllowed "...exceeding approved ... quota": it is
 * looked up as QuotaExceeded (err->code keeps ARM's).  Capacity errors are
 * not retried in place: placement moves to another location.
 */
static const struct drvmap_err azure_errors[] = {
	{ "TooManyRequests", EAGAIN, true },
	{ "QuotaExceeded", EDQUOT, false },
	{ "OperationNotAllowed", EIO, false },
	{ "AuthorizationFailed", EACCES, false },
	{ "AuthenticationFailed", EACCES, false },
	{ "InvalidAuthenticationToken*", EACCES, false },
	{ "ExpiredAuthenticationToken", EACCES, false },
	{ "InvalidSubscriptionId", EACCES, false },
	{ "SubscriptionNotFound", EACCES, false },
	{ "invalid_client", EACCES, false },
	{ "unauthorized_client", EACCES, false },
	{ "invalid_request", EACCES, false },
	{ "invalid_scope", EACCES, false },
	{ "ResourceNotFound", ENOENT, false },
	{ "ResourceGroupNotFound", ENOENT, false },
	{ "NotFound", ENOENT, false },
	{ "InvalidParameter", EINVAL, false },
	{ "InvalidRequestContent", EINVAL, false },
	{ "InvalidRequestFormat", EINVAL, false },
	{ "InvalidResourceName", EINVAL, false },
	{ "BadRequest", EINVAL, false },
	{ "PlatformImageNotFound", EINVAL, false },
	{ "ImageNotFound", EINVAL, false },
	{ "InvalidTemplate*", EINVAL, false },
	{ "AllocationFailed", EIO, false },
	{ "ZonalAllocationFailed", EIO, false },
	{ "SkuNotAvailable", EIO, false },
	{ "OverconstrainedAllocationRequest", EIO, false },
	{ "Conflict", EIO, false },
	{ "RetryableError", EIO, true },
	{ "InternalServerError", EIO, true },
	{ "InternalExecutionError", EIO, true },
	{ "ServiceUnavailable", EIO, true },
	{ "GatewayTimeout", EIO, true },
	{ NULL, 0, false },
};

static int map_error(int http_status, const char *code, const char *message,
		     struct drv_error *err)
{
	struct drvmap_answer a = { .http_status = http_status, .message = message };
	char fallback[16];
	int rc;

	if (!code || !*code) {
		snprintf(fallback, sizeof(fallback), "HTTP%d", http_status);
		code = fallback;
	}
	a.code = code;
	if (strcmp(code, "OperationNotAllowed") == 0 && message && strcasestr(message, "quota"))
		a.code = "QuotaExceeded";
	if (http_status == 429)
		a.code = "TooManyRequests";	/* whatever the body calls it */
	rc = drvmap_error(azure_errors, &a, err);
	if (err) {
		jsonh_copy(err->code, sizeof(err->code), code);
		jsonh_line(err->message);
	}
	return rc;
}

int azure_error_object(const json_t *error, int http_status, struct drv_error *err)
{
	return map_error(http_status, jsonh_str(error, "code"), jsonh_str(error, "message"), err);
}

int azure_error(int http_status, const char *body, size_t len, struct drv_error *err)
{
	json_t *doc = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const json_t *e = json_object_get(doc, "error");
	int rc;

	if (json_is_string(e))	/* AAD: {"error": "invalid_client", "error_description": "..."} */
		rc = map_error(http_status, json_string_value(e), jsonh_str(doc, "error_description"),
			       err);
	else
		rc = azure_error_object(e, http_status, err);
	json_decref(doc);
	return rc;
}
