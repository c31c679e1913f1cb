/*
 * parse.c - what the OpenStack driver reads from Keystone v3, Nova, Glance
 * v2 and Neutron answers, and its two tables: Nova statuses to the common
 * statuses, error answers to errno.
 *
 * Everything here is a pure function over a parsed jansson document, so it
 * is unit-tested against the answers recorded from real clouds
 * (../shared/fixtures/libcloud-compute/openstack*) and fuzzed.  Recorded
 * answers span a decade of Nova: ids come as strings or numbers, the flavor
 * as {id} or (microversion 2.47+) embedded with original_name, the image as
 * {id} or "" (boot from volume), addresses with or without OS-EXT-IPS:type.
 */
#include "drivers/openstack/openstack.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drivers/common/drvmap.h"
#include "drivers/common/jsonh.h"
#include "lib/clock.h"
#include "lib/names.h"

/* ---- small jansson readers ---------------------------------------------- */

/* An id member that may be a string or an integer, printed into dst. */
static void copy_id(char *dst, size_t size, const json_t *v)
{
	if (json_is_integer(v))
		snprintf(dst, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else
		jsonh_copy(dst, size, json_string_value(v));
}

/* An integer member that some services send as a string ("59"). */
static long long jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return 0;
}

void openstack_slug(const char *name, char *dst, size_t size)
{
	size_t n = 0, max = size - 1 < NAME_MAX_LEN ? size - 1 : NAME_MAX_LEN;
	bool dash = false;

	for (const char *p = name ? name : ""; *p && n < max; p++) {
		unsigned char c = (unsigned char)tolower((unsigned char)*p);

		if (isalnum(c) || ((c == '.' || c == '_' || c == '-') && n > 0)) {
			if (dash && n < max - 1)
				dst[n++] = '-';
			dst[n++] = (char)c;
			dash = false;
		} else if (n > 0) {
			dash = true;
		}
	}
	while (n > 0 && strchr("-._", dst[n - 1]))
		n--;
	dst[n] = '\0';
}

/* ---- Keystone ------------------------------------------------------------ */

/*
 * Copy url into dst without its trailing slashes nor `version` ("/v2" for
 * Glance, "/v2.0" for Neutron: deployments register those roots with or
 * without it; the driver adds it to every path).
 */
static void copy_url(char *dst, size_t size, const char *url, const char *version)
{
	size_t n, v = version ? strlen(version) : 0;

	jsonh_copy(dst, size, url);
	n = strlen(dst);
	while (n > 0 && dst[n - 1] == '/')
		dst[--n] = '\0';
	if (v && n > v && strcmp(dst + n - v, version) == 0)
		dst[n - v] = '\0';
}

static bool endpoint_matches(const json_t *ep, const char *region, const char *interface)
{
	const char *iface = jsonh_str(ep, "interface");
	const char *r = jsonh_str(ep, "region_id");

	if (!iface || strcmp(iface, interface) != 0 || !jsonh_str(ep, "url"))
		return false;
	if (!region || !*region)
		return true;
	if (!r)
		r = jsonh_str(ep, "region");
	return r && strcasecmp(r, region) == 0;
}

/* The URL of the first endpoint of `service` that matches, or NULL. */
static const char *service_url(const json_t *service, const char *region, const char *interface)
{
	const json_t *eps = json_object_get(service, "endpoints");
	size_t i;
	const json_t *ep;

	json_array_foreach(eps, i, ep) {
		if (endpoint_matches(ep, region, interface))
			return jsonh_str(ep, "url");
	}
	return NULL;
}

static void read_catalog(const json_t *catalog, const char *region, const char *interface,
			 struct openstack_catalog *cat)
{
	static const struct {
		const char *type;
		const char *version;	/* dropped from the root */
		size_t offset;
	} slots[] = {
		{ "compute", NULL, offsetof(struct openstack_catalog, compute) },
		{ "image", "/v2", offsetof(struct openstack_catalog, image) },
		{ "network", "/v2.0", offsetof(struct openstack_catalog, network) },
	};
	size_t i, k;
	const json_t *svc;

	json_array_foreach(catalog, i, svc) {
		const char *type = jsonh_str(svc, "type");
		const char *url = service_url(svc, region, interface);

		for (k = 0; type && url && k < sizeof(slots) / sizeof(slots[0]); k++) {
			char *dst = (char *)cat + slots[k].offset;

			if (strcmp(type, slots[k].type) == 0 && !dst[0])
				copy_url(dst, OPENSTACK_URL_MAX, url, slots[k].version);
		}
	}
}

int openstack_parse_token(const json_t *body, const char *region, const char *interface,
			  struct openstack_token_info *out, struct drv_error *err)
{
	const json_t *token = json_object_get(body, "token");
	const char *expires;
	char msg[160];

	memset(out, 0, sizeof(*out));
	if (!json_is_object(token))
		return drv_fail(err, EIO, "BadToken", "Keystone answer carries no token");
	expires = jsonh_str(token, "expires_at");
	if (expires && clock_parse_rfc3339(expires, &out->expires_ms) != 0)
		return drv_fail(err, EIO, "BadToken", "Keystone token has an unreadable expires_at");
	jsonh_copy(out->project_id, sizeof(out->project_id),
	     jsonh_str(json_object_get(token, "project"), "id"));
	read_catalog(json_object_get(token, "catalog"), region, interface, &out->catalog);
	if (out->catalog.compute[0] && out->catalog.image[0])
		return 0;
	snprintf(msg, sizeof(msg), "the catalog has no %s %s endpoint in region %s",
		 interface, out->catalog.compute[0] ? "image" : "compute",
		 region && *region ? region : "(any)");
	return drv_fail(err, EIO, "EndpointNotFound", msg);
}

/* ---- Nova servers -------------------------------------------------------- */

struct addr_pick {
	char *public_ip;
	char *private_ip;
	size_t size;
};

static void pick_address(struct addr_pick *pick, const char *net, const json_t *a)
{
	const char *ip = jsonh_str(a, "addr");
	const char *type = jsonh_str(a, "OS-EXT-IPS:type");
	bool floating;

	if (!ip || jint(a, "version") != 4)
		return;
	if (type)
		floating = strcmp(type, "floating") == 0;
	else
		floating = strcmp(net, "public") == 0;
	if (floating && !pick->public_ip[0])
		jsonh_copy(pick->public_ip, pick->size, ip);
	else if (!floating && !pick->private_ip[0])
		jsonh_copy(pick->private_ip, pick->size, ip);
}

static void read_addresses(const json_t *server, struct drv_vm *vm)
{
	struct addr_pick pick = { vm->public_ip, vm->private_ip, sizeof(vm->public_ip) };
	const char *net;
	const json_t *list, *a;
	size_t i;

	json_object_foreach((json_t *)json_object_get(server, "addresses"), net, list) {
		json_array_foreach(list, i, a)
			pick_address(&pick, net, a);
	}
	if (!vm->public_ip[0])
		jsonh_copy(vm->public_ip, sizeof(vm->public_ip), jsonh_str(server, "accessIPv4"));
}

/* The flavor's id, or (microversion 2.47+) its embedded original_name. */
static void read_flavor(const json_t *server, struct drv_vm *vm)
{
	const json_t *flavor = json_object_get(server, "flavor");

	copy_id(vm->spec, sizeof(vm->spec), json_object_get(flavor, "id"));
	if (!vm->spec[0])
		jsonh_copy(vm->spec, sizeof(vm->spec), jsonh_str(flavor, "original_name"));
}

static void read_status(const json_t *server, struct drv_vm *vm)
{
	const char *status = jsonh_str(server, "status");
	const char *task = jsonh_str(server, "OS-EXT-STS:task_state");

	if (task && *task)
		snprintf(vm->status_raw, sizeof(vm->status_raw), "%s/%s", status ? status : "", task);
	else
		jsonh_copy(vm->status_raw, sizeof(vm->status_raw), status);
	vm->status = openstack_status(status, task);
}

int openstack_parse_server(const json_t *server, struct drv_vm *vm)
{
	const json_t *meta = json_object_get(server, "metadata");
	int64_t ms;

	memset(vm, 0, sizeof(*vm));
	copy_id(vm->csp_id, sizeof(vm->csp_id), json_object_get(server, "id"));
	if (!vm->csp_id[0])
		return -EIO;
	jsonh_copy(vm->name, sizeof(vm->name), jsonh_str(server, "name"));
	read_status(server, vm);
	read_flavor(server, vm);
	copy_id(vm->image, sizeof(vm->image), json_object_get(json_object_get(server, "image"), "id"));
	jsonh_copy(vm->zone, sizeof(vm->zone), jsonh_str(server, "OS-EXT-AZ:availability_zone"));
	read_addresses(server, vm);
	if (jsonh_str(server, "created") && clock_parse_rfc3339(jsonh_str(server, "created"), &ms) == 0)
		vm->created = ms / 1000;
	jsonh_copy(vm->baristafs_id, sizeof(vm->baristafs_id), jsonh_str(meta, DRV_TAG_ID));
	jsonh_copy(vm->client_token, sizeof(vm->client_token), jsonh_str(meta, OPENSTACK_META_TOKEN));
	jsonh_copy(vm->reason, sizeof(vm->reason), jsonh_str(json_object_get(server, "fault"), "message"));
	return 0;
}

/* ---- flavors and images -------------------------------------------------- */

/* Sum the counts of a pci_passthrough:alias value ("a100:2,t4:1"); the first name is the model. */
static int alias_gpus(const char *alias, char *model, size_t size)
{
	int total = 0;
	const char *p = alias;

	while (p && *p) {
		const char *colon = strchr(p, ':');
		const char *comma = strchr(p, ',');

		if (!colon || (comma && comma < colon))
			break;
		if (!model[0])
			snprintf(model, size, "%.*s", (int)(colon - p), p);
		total += atoi(colon + 1);
		p = comma ? comma + 1 : NULL;
	}
	return total;
}

static void flavor_gpus(const json_t *extra, struct drv_spec_info *spec)
{
	const char *vgpu = jsonh_str(extra, "resources:VGPU");
	const char *alias = jsonh_str(extra, "pci_passthrough:alias");

	if (vgpu)
		spec->gpus = atoi(vgpu);
	if (!spec->gpus && alias)
		spec->gpus = alias_gpus(alias, spec->gpu_model, sizeof(spec->gpu_model));
}

/* Our arch words from what clouds write (x86_64, amd64, aarch64, arm64). */
static const char *arch_word(const char *arch)
{
	if (!arch || !*arch)
		return "x86_64";
	if (strcasecmp(arch, "aarch64") == 0 || strcasecmp(arch, "arm64") == 0)
		return "arm64";
	if (strcasecmp(arch, "amd64") == 0 || strcasecmp(arch, "x86-64") == 0)
		return "x86_64";
	return arch;
}

int openstack_parse_flavor(const json_t *flavor, struct drv_spec_info *spec, char *id,
			   size_t idsize)
{
	const json_t *extra = json_object_get(flavor, "OS-FLV-WITH-EXT-SPECS:extra_specs");
	const char *arch;

	memset(spec, 0, sizeof(*spec));
	spec->price_usd_per_hour = -1;
	openstack_slug(jsonh_str(flavor, "name"), spec->name, sizeof(spec->name));
	copy_id(id, idsize, json_object_get(flavor, "id"));
	if (!spec->name[0] || !id[0] || !json_is_integer(json_object_get(flavor, "vcpus")))
		return -EIO;
	if (json_is_true(json_object_get(flavor, "OS-FLV-DISABLED:disabled")))
		return 1;
	spec->vcpus = (int)jint(flavor, "vcpus");
	spec->mem_gib = (double)jint(flavor, "ram") / 1024.0;
	flavor_gpus(extra, spec);
	arch = jsonh_str(extra, "hw:cpu_arch");
	jsonh_copy(spec->arch, sizeof(spec->arch), arch_word(arch ? arch : jsonh_str(extra, "capabilities:cpu_arch")));
	return 0;
}

int openstack_parse_image(const json_t *image, struct drv_image_info *img)
{
	const char *status = jsonh_str(image, "status");
	const char *distro = jsonh_str(image, "os_distro");
	const char *version = jsonh_str(image, "os_version");

	memset(img, 0, sizeof(*img));
	jsonh_copy(img->id, sizeof(img->id), jsonh_str(image, "id"));
	if (!img->id[0])
		return -EIO;
	if (status && strcmp(status, "active") != 0)
		return 1;
	openstack_slug(jsonh_str(image, "name"), img->name, sizeof(img->name));
	if (!img->name[0])
		openstack_slug(img->id, img->name, sizeof(img->name));
	if (distro && version)
		snprintf(img->os, sizeof(img->os), "%s-%s", distro, version);
	else
		jsonh_copy(img->os, sizeof(img->os), distro ? distro : jsonh_str(image, "os_type"));
	jsonh_copy(img->arch, sizeof(img->arch), arch_word(jsonh_str(image, "architecture")));
	jsonh_copy(img->description, sizeof(img->description), jsonh_str(image, "name"));
	return 0;
}

const char *openstack_next_link(const json_t *body, const char *key)
{
	char member[64];
	const json_t *links, *l;
	size_t i;

	snprintf(member, sizeof(member), "%s_links", key);
	links = json_object_get(body, member);
	json_array_foreach(links, i, l) {
		const char *rel = jsonh_str(l, "rel");

		if (rel && strcmp(rel, "next") == 0)
			return jsonh_str(l, "href");
	}
	return jsonh_str(body, "next");
}

/* ---- the status table ---------------------------------------------------- */

/*
 * First match wins.  A task_state refines the status (NULL task: any task,
 * including none); clouds.md "Status mapping" is the source.
 */
static const struct openstack_status_map {
	const char *status;	/* NULL: any */
	const char *task;	/* prefix; NULL: any */
	enum drv_vm_status common;
} openstack_statuses[] = {
	{ NULL, "deleting", DRV_VM_TERMINATING },
	{ "ACTIVE", "powering-off", DRV_VM_SUSPENDING },
	{ "ACTIVE", "suspending", DRV_VM_SUSPENDING },
	{ "ACTIVE", "pausing", DRV_VM_SUSPENDING },
	{ "ACTIVE", "shelving", DRV_VM_SUSPENDING },
	{ "ACTIVE", "rebooting", DRV_VM_REBOOTING },
	{ "ACTIVE", "reboot", DRV_VM_REBOOTING },
	{ "ACTIVE", NULL, DRV_VM_RUNNING },
	{ "BUILD", NULL, DRV_VM_CREATING },
	{ "SHUTOFF", "powering-on", DRV_VM_RESUMING },
	{ "SHUTOFF", NULL, DRV_VM_SUSPENDED },
	{ "SUSPENDED", "resuming", DRV_VM_RESUMING },
	{ "SUSPENDED", NULL, DRV_VM_SUSPENDED },
	{ "PAUSED", "unpausing", DRV_VM_RESUMING },
	{ "PAUSED", NULL, DRV_VM_SUSPENDED },
	{ "SHELVED", "unshelving", DRV_VM_RESUMING },
	{ "SHELVED", NULL, DRV_VM_SUSPENDED },
	{ "SHELVED_OFFLOADED", "unshelving", DRV_VM_RESUMING },
	{ "SHELVED_OFFLOADED", NULL, DRV_VM_SUSPENDED },
	{ "REBOOT", NULL, DRV_VM_REBOOTING },
	{ "HARD_REBOOT", NULL, DRV_VM_REBOOTING },
	{ "RESIZE", NULL, DRV_VM_RUNNING },
	{ "VERIFY_RESIZE", NULL, DRV_VM_RUNNING },
	{ "REVERT_RESIZE", NULL, DRV_VM_RUNNING },
	{ "MIGRATING", NULL, DRV_VM_RUNNING },
	{ "REBUILD", NULL, DRV_VM_RUNNING },
	{ "RESCUE", NULL, DRV_VM_RUNNING },
	{ "PASSWORD", NULL, DRV_VM_RUNNING },
	{ "ERROR", NULL, DRV_VM_FAILED },
	{ "DELETED", NULL, DRV_VM_TERMINATED },
	{ "SOFT_DELETED", NULL, DRV_VM_TERMINATED },
};

enum drv_vm_status openstack_status(const char *status, const char *task_state)
{
	size_t i;

	for (i = 0; i < sizeof(openstack_statuses) / sizeof(openstack_statuses[0]); i++) {
		const struct openstack_status_map *m = &openstack_statuses[i];

		if (m->status && (!status || strcmp(m->status, status) != 0))
			continue;
		if (m->task && (!task_state || strncmp(task_state, m->task, strlen(m->task)) != 0))
			continue;
		return m->common;
	}
	return DRV_VM_UNDEFINED;	/* UNKNOWN and anything newer */
}

/* ---- the error table ----------------------------------------------------- */

/*
 * Codes are Nova's fault names, Neutron's error types and Keystone's
 * titles; codes not listed fall back on the HTTP status (drvmap.h).
 * Nova reports a quota as a 403 "forbidden" (current releases) or a 413
 * "overLimit" (older ones) whose message says "Quota exceeded": such an
 * error is looked up as OverQuota (Nova's exception name, and Neutron's
 * type) so that the table tells it from a refused policy or a rate limit;
 * err->code keeps the fault name the cloud sent.  A 429 is throttling
 * whatever its body says (a proxy, or Neutron, may call it OverQuota).
 */
static const struct drvmap_err openstack_errors[] = {
	{ "OverQuota", EDQUOT, false },
	{ "overLimit", EAGAIN, true },
	{ "HTTP413", EAGAIN, true },
	{ "HTTP429", EAGAIN, true },
	{ "Unauthorized", EACCES, false },
	{ "forbidden", EACCES, false },
	{ "Forbidden", EACCES, false },
	{ "itemNotFound", ENOENT, false },
	{ "badRequest", EINVAL, false },
	{ "HTTPBadRequest", EINVAL, false },
	{ "InvalidInput", EINVAL, false },
	{ "HTTP400", EINVAL, false },
	{ "computeFault", EIO, true },
	{ "HTTP503", EIO, true },	/* a service down behind its proxy, not a rate limit */
	{ NULL, 0, false },
};

/*
 * The fault object of an error body: Keystone's {"error": {...}}, Neutron's
 * {"NeutronError": {...}} or Nova's {"<faultName>": {...}}.  *name gets the
 * member's name.
 */
static const json_t *error_fault(const json_t *doc, const char **name)
{
	const char *key;
	const json_t *v;

	json_object_foreach((json_t *)doc, key, v) {
		if (json_is_object(v) && (jsonh_str(v, "message") || jsonh_str(v, "type"))) {
			*name = key;
			return v;
		}
	}
	return NULL;
}

/* The code of a JSON error document: Keystone's title, Neutron's type, or Nova's fault name. */
static const char *error_code(const json_t *fault, const char *name)
{
	if (strcmp(name, "error") == 0 && jsonh_str(fault, "title"))
		return jsonh_str(fault, "title");
	if (strcmp(name, "NeutronError") == 0 && jsonh_str(fault, "type"))
		return jsonh_str(fault, "type");
	return name;
}

/* A non-JSON body (Glance answers HTML or text): its first line as the message. */
static void error_text(const char *body, size_t len, char *msg, size_t size)
{
	size_t n = 0;

	while (n < len && n + 1 < size && body[n] != '\n' && body[n] != '\0') {
		msg[n] = isprint((unsigned char)body[n]) ? body[n] : ' ';
		n++;
	}
	msg[n] = '\0';
}

int openstack_error(int http_status, const char *body, size_t len, struct drv_error *err)
{
	json_t *doc = body && len ? json_loadb(body, len, 0, NULL) : NULL;
	const char *name = "";
	const json_t *fault = json_is_object(doc) ? error_fault(doc, &name) : NULL;
	struct drvmap_answer a = { .http_status = http_status };
	char code[64], text[384];
	long long retry;
	bool quota;
	int rc;

	if (fault) {
		snprintf(code, sizeof(code), "%s", error_code(fault, name));
		a.message = jsonh_str(fault, "message");
		retry = jint(fault, "retryAfter");	/* seconds, as a string or a number */
		a.retry_after_ms = retry > 0 && retry <= 3600 ? (int)retry * 1000 : 0;
	} else {
		snprintf(code, sizeof(code), "HTTP%d", http_status);
		error_text(body ? body : "", body ? len : 0, text, sizeof(text));
		a.message = text;
	}
	quota = a.message && strcasestr(a.message, "quota exceeded") &&
		(http_status == 403 || http_status == 413);
	a.code = quota ? "OverQuota" : code;
	if (http_status == 429)
		a.code = "HTTP429";	/* too many requests, whatever the body calls it */
	rc = drvmap_error(openstack_errors, &a, err);
	if (err) {
		jsonh_copy(err->code, sizeof(err->code), code);
		jsonh_line(err->message);
	}
	json_decref(doc);
	return rc;
}
