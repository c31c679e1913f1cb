/*
 * twin_openstack.c - an OpenStack cloud: Keystone v3 (password tokens, a
 * service catalog, version documents), Nova (servers, actions, flavors,
 * key pairs, and the image/network/security-group proxies libcloud's
 * 1.1 API uses), Glance v2 images and Neutron networks, subnets, ports
 * and security groups.
 *
 * Paths below the cloud's prefix:
 *   /identity[/v3[/auth/tokens]]          Keystone (the cloud's endpoint)
 *   /<region>/compute[/v2.1/...]           Nova
 *   /<region>/image[/v2/...]               Glance
 *   /<region>/network[/v2.0/...]           Neutron
 * The catalog of every token points back here, one set per region, so a
 * client that selects a region reaches that region's servers only.
 *
 * Each service keeps its own error format (Keystone {"error"}, Nova
 * {"<faultName>"}, Glance plain text, Neutron {"NeutronError"}), and
 * fail() picks the one of the service the path names.  Nova honours the
 * microversion a client asks for (servers embed flavors from 2.47) and
 * echoes it back.
 */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/clock.h"
#include "drivers/common/hash.h"
#include "drivers/common/codec.h"
#include "tools/cloudtwin/twin_rand.h"
#include "tools/cloudtwin/twin_dialect.h"
#include "tools/cloudtwin/twin_server.h"
#include "tools/cloudtwin/twin_token.h"

#define TOKEN_PREFIX "gAAAAAB"
#define NOVA_MIN 1		/* microversions 2.1 ... 2.MAX */
#define NOVA_MAX 95
#define MAX_LIMIT 1000
#define USER_DATA_MAX 65535
#define SG_KIND "os-sg"
#define RULE_KIND "os-sgr"
#define KEY_KIND "os-key"

enum os_service { SVC_IDENTITY, SVC_COMPUTE, SVC_IMAGE, SVC_NETWORK, SVC_NONE };

struct os_priv {
	char user_id[33], project_id[33];
};

/* One OpenStack call in progress. */
struct os_call {
	struct twin_ctx *ctx;
	struct twin_cloud *c;
	enum os_service svc;
	const char *path;		/* below the service's versioned root */
	size_t region;
	const struct twin_region *r;
	char svc_base[400];		/* versioned service root URL, no slash */
	int micro;			/* Nova 2.<micro> */
	json_t *body;			/* request JSON or NULL */
};

/* ---- identifiers ------------------------------------------------------------------- */

static const struct os_priv *priv_of(const struct twin_cloud *c)
{
	return c->priv;
}

/* A UUID that depends only on the cloud and a seed. */
static void stable_uuid(const struct twin_cloud *c, const char *seed, char out[37])
{
	char in[300], hex[65];

	snprintf(in, sizeof(in), "%s/%s", c->name, seed);
	hash_sha256_hex(in, strlen(in), hex);
	snprintf(out, 37, "%.8s-%.4s-4%.3s-a%.3s-%.12s", hex, hex + 8, hex + 12, hex + 16, hex + 20);
}

static void stable_hex(const struct twin_cloud *c, const char *seed, char out[33])
{
	char in[300], hex[65];

	snprintf(in, sizeof(in), "%s/%s", c->name, seed);
	hash_sha256_hex(in, strlen(in), hex);
	snprintf(out, 33, "%.32s", hex);
}

static void iso_time(int64_t ms, char *buf, size_t len)
{
	clock_rfc3339(ms, 0, buf, len);
}

/* ---- errors ---------------------------------------------------------------------- */

static void keystone_error(struct os_call *k, int status, const char *title, const char *msg)
{
	twin_resp_json(k->ctx->resp, status, json_pack("{s:{s:i,s:s,s:s}}", "error", "code", status,
						   "title", title, "message", msg));
}

static int nova_error(struct os_call *k, int status, const char *fault, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int nova_error(struct os_call *k, int status, const char *fault, const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	twin_resp_json(k->ctx->resp, status, json_pack("{s:{s:i,s:s}}", fault, "code", status,
						   "message", sbuf_str(&msg)));
	sbuf_release(&msg);
	return -1;
}

static int neutron_error(struct os_call *k, int status, const char *type, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int neutron_error(struct os_call *k, int status, const char *type, const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	twin_resp_json(k->ctx->resp, status, json_pack("{s:{s:s,s:s,s:s}}", "NeutronError", "type",
		type, "message", sbuf_str(&msg), "detail", ""));
	sbuf_release(&msg);
	return -1;
}

static void glance_error(struct os_call *k, int status, const char *msg)
{
	static const char *const titles[] = { [400] = "400 Bad Request", [401] = "401 Unauthorized",
		[404] = "404 Not Found", [409] = "409 Conflict" };
	struct sbuf text = SBUF_INIT;
	const char *title = status < 410 && titles[status] ? titles[status] : "500 Internal Server Error";

	sbuf_addf(&text, "%s\n\n%s\n\n   ", title, msg);
	twin_resp_text(k->ctx->resp, status, "text/plain; charset=UTF-8", sbuf_str(&text));
	sbuf_release(&text);
}

/* Which service a cloud-relative path addresses ("/identity...",
 * "/<region>/compute..."). */
static enum os_service service_of(const char *path, const char **rest, char *region, size_t rlen)
{
	static const char *const names[] = { "identity", "compute", "image", "network" };
	const char *p = path + 1, *slash = strchr(p, '/');
	size_t n = slash ? (size_t)(slash - p) : strlen(p);

	if (n == 8 && strncmp(p, "identity", 8) == 0) {
		*rest = p + 8;
		return SVC_IDENTITY;
	}
	if (!slash || n >= rlen)
		return SVC_NONE;
	memcpy(region, p, n);
	region[n] = '\0';
	p = slash + 1;
	for (int s = SVC_COMPUTE; s <= SVC_NETWORK; s++) {
		size_t l = strlen(names[s]);

		if (strncmp(p, names[s], l) == 0 && (p[l] == '/' || p[l] == '\0')) {
			*rest = p + l;
			return (enum os_service)s;
		}
	}
	return SVC_NONE;
}

static void os_fail(struct twin_ctx *ctx, enum twin_fail kind, const char *message)
{
	struct os_call k = { .ctx = ctx, .c = ctx->cloud };
	char region[64];
	const char *rest;
	bool throttled = kind == TWIN_FAIL_THROTTLED;
	int status = throttled ? 429 : kind == TWIN_FAIL_TOO_LARGE ? 413 :
		     kind == TWIN_FAIL_NOT_FOUND ? 404 : kind == TWIN_FAIL_BAD_REQUEST ? 400 : 500;
	const char *msg = message ? message : throttled ? "Rate limit exceeded." :
			  status == 413 ? "Request is too large." : status == 404 ? "Not found." :
			  status == 400 ? "Malformed request." :
			  "The server has either erred or is incapable of performing the requested "
			  "operation.";

	if (throttled)
		twin_resp_header(ctx->resp, "Retry-After", "1");
	switch (service_of(ctx->path, &rest, region, sizeof(region))) {
	case SVC_COMPUTE:
		nova_error(&k, status, throttled || status == 413 ? "overLimit" : status == 500 ?
			   "computeFault" : status == 404 ? "itemNotFound" : "badRequest", "%s", msg);
		break;
	case SVC_NETWORK:
		neutron_error(&k, status, throttled ? "OverQuota" : status == 500 ? "HTTPInternalServerError" :
			      "HTTPBadRequest", "%s", msg);
		break;
	case SVC_IMAGE:
		glance_error(&k, status, msg);
		break;
	default:
		keystone_error(&k, status, throttled ? "Too Many Requests" : status == 500 ?
			       "Internal Server Error" : status == 404 ? "Not Found" : "Bad Request", msg);
	}
}

/* ---- tokens -------------------------------------------------------------------------- */

/* Check X-Auth-Token; answers 401 and returns -1 when it is not good. */
static int check_token(struct os_call *k)
{
	const char *tok = twin_req_header(k->ctx->req, "X-Auth-Token");
	unsigned idx = 0;
	int rc = tok ? twin_token_check(tok, twin_server_token_key(k->ctx->srv), TOKEN_PREFIX,
					clock_wall_ms() / 1000, &idx) : -EACCES;

	if (!rc && idx == k->c->index)
		return 0;
	twin_resp_header(k->ctx->resp, "WWW-Authenticate", "Keystone uri=\"%s/identity\"", k->ctx->base);
	keystone_error(k, 401, "Unauthorized", "The request you have made requires authentication.");
	return -1;
}

static json_t *endpoint_set(struct os_call *k, const char *svc, const char *suffix)
{
	json_t *eps = json_array();

	for (size_t i = 0; i < k->c->nregions; i++) {
		static const char *const ifaces[] = { "public", "internal", "admin" };
		const char *region = k->c->regions[i].name;
		char url[512], id[33], seed[128];

		snprintf(url, sizeof(url), "%s/%s/%s%s", k->ctx->base, region, svc, suffix);
		for (size_t f = 0; f < 3; f++) {
			snprintf(seed, sizeof(seed), "ep/%s/%s/%s", region, svc, ifaces[f]);
			stable_hex(k->c, seed, id);
			json_array_append_new(eps, json_pack("{s:s,s:s,s:s,s:s,s:s}", "id", id,
				"interface", ifaces[f], "region_id", region, "region", region, "url", url));
		}
	}
	return eps;
}

static json_t *catalog(struct os_call *k)
{
	static const struct {
		const char *type, *name, *path, *suffix;
	} svcs[] = {
		{ "compute", "nova", "compute", "/v2.1" },
		{ "image", "glance", "image", "" },
		{ "network", "neutron", "network", "" },
	};
	json_t *cat = json_array();
	char id[33], url[400];

	for (size_t s = 0; s < sizeof(svcs) / sizeof(svcs[0]); s++) {
		stable_hex(k->c, svcs[s].type, id);
		json_array_append_new(cat, json_pack("{s:s,s:s,s:s,s:o}", "id", id, "type",
			svcs[s].type, "name", svcs[s].name, "endpoints",
			endpoint_set(k, svcs[s].path, svcs[s].suffix)));
	}
	stable_hex(k->c, "identity", id);
	snprintf(url, sizeof(url), "%s/identity/v3", k->ctx->base);
	json_array_append_new(cat, json_pack("{s:s,s:s,s:s,s:[{s:s,s:s,s:s,s:s,s:s}]}", "id", id,
		"type", "identity", "name", "keystone", "endpoints", "id", id, "interface", "public",
		"region_id", k->c->regions[0].name, "region", k->c->regions[0].name, "url", url));
	return cat;
}

/* The name or id of a domain reference matches the credential's domain. */
static bool domain_ok(const json_t *ref, const char *want)
{
	const char *name = json_string_value(json_object_get(ref, "name"));
	const char *id = json_string_value(json_object_get(ref, "id"));

	if (!ref)
		return true;
	if (name)
		return strcasecmp(name, want) == 0;
	return id && (strcasecmp(id, want) == 0 || (strcasecmp(want, "Default") == 0 &&
						    strcmp(id, "default") == 0));
}

/* The credential an auth body names and proves, or NULL. */
static const json_t *password_cred(struct os_call *k, const json_t *auth)
{
	const json_t *user = json_object_get(json_object_get(json_object_get(auth, "identity"),
							     "password"), "user");
	size_t i;
	json_t *cr;

	json_array_foreach(k->c->creds, i, cr) {
		const char *uname = json_string_value(json_object_get(user, "name"));
		const char *uid = json_string_value(json_object_get(user, "id"));
		const char *pw = json_string_value(json_object_get(user, "password"));
		const char *dom = json_string_value(json_object_get(cr, "domain"));

		if (!pw || !hash_equal(pw, json_string_value(json_object_get(cr, "password"))))
			continue;
		if (uid && strcmp(uid, priv_of(k->c)->user_id) == 0)
			return cr;
		if (uname && strcmp(uname, json_string_value(json_object_get(cr, "username"))) == 0 &&
		    domain_ok(json_object_get(user, "domain"), dom))
			return cr;
	}
	return NULL;
}

/* 0 when the scope is the credential's project (or absent/unscoped). */
static int scope_ok(struct os_call *k, const json_t *auth, const json_t *cr)
{
	const json_t *proj = json_object_get(json_object_get(auth, "scope"), "project");
	const char *name = json_string_value(json_object_get(proj, "name"));
	const char *id = json_string_value(json_object_get(proj, "id"));

	if (!proj)
		return 0;
	if (id)
		return strcmp(id, priv_of(k->c)->project_id) == 0 ? 0 : -1;
	return name && strcmp(name, json_string_value(json_object_get(cr, "project"))) == 0 &&
	       domain_ok(json_object_get(proj, "domain"),
			 json_string_value(json_object_get(cr, "domain"))) ? 0 : -1;
}

static json_t *token_body(struct os_call *k, const json_t *cr, bool scoped, int64_t expires)
{
	const struct os_priv *p = priv_of(k->c);
	const char *dom = json_string_value(json_object_get(cr, "domain"));
	const char *dom_id = strcasecmp(dom, "Default") == 0 ? "default" : dom;
	char now[40], exp[40], audit[23];
	json_t *t;

	clock_rfc3339(clock_wall_ms(), 1, now, sizeof(now));
	clock_rfc3339(expires * 1000, 1, exp, sizeof(exp));
	twin_rand_hex(audit, 22);
	t = json_pack("{s:[s],s:{s:s,s:O,s:{s:s,s:s},s:n},s:[s],s:s,s:s,s:{}}", "methods",
		"password", "user", "id", p->user_id, "name", json_object_get(cr, "username"),
		"domain", "id", dom_id, "name", dom, "password_expires_at", "audit_ids", audit,
		"issued_at", now, "expires_at", exp, "extras");
	if (t && scoped) {
		json_object_set_new(t, "project", json_pack("{s:s,s:O,s:{s:s,s:s}}", "id",
			p->project_id, "name", json_object_get(cr, "project"), "domain", "id", dom_id,
			"name", dom));
		json_object_set_new(t, "is_domain", json_false());
		json_object_set_new(t, "roles", json_pack("[{s:s,s:s},{s:s,s:s}]", "id",
			"9fe2ff9ee4384b1894a90878d3e92bab", "name", "member", "id",
			"3a1d3b0b7e0e4e1e8d6d8f0b4a5c6d7e", "name", "reader"));
		json_object_set_new(t, "catalog", catalog(k));
	}
	return json_pack("{s:o}", "token", t);
}

static void issue_token(struct os_call *k)
{
	const json_t *auth = json_object_get(k->body, "auth"), *cr;
	const json_t *methods = json_object_get(json_object_get(auth, "identity"), "methods");
	struct sbuf tok = SBUF_INIT;
	int64_t now = clock_wall_ms() / 1000;

	if (!json_is_object(auth) || !json_is_array(methods)) {
		keystone_error(k, 400, "Bad Request", "Expecting to find identity in auth. The server "
			       "could not comply with the request since it is either malformed or "
			       "otherwise incorrect. The client is assumed to be in error.");
		return;
	}
	cr = password_cred(k, auth);
	if (!cr || scope_ok(k, auth, cr)) {
		keystone_error(k, 401, "Unauthorized", "The request you have made requires "
			       "authentication.");
		return;
	}
	twin_token_issue(&tok, twin_server_token_key(k->ctx->srv), TOKEN_PREFIX, k->c->index, now,
			 k->c->token_ttl_s, NULL);
	twin_resp_header(k->ctx->resp, "X-Subject-Token", "%s", sbuf_str(&tok));
	twin_resp_json(k->ctx->resp, 201, token_body(k, cr, json_object_get(auth, "scope") != NULL,
						     now + k->c->token_ttl_s));
	sbuf_release(&tok);
}

static json_t *version_links(const char *href)
{
	return json_pack("[{s:s,s:s},{s:s,s:s,s:s}]", "rel", "self", "href", href, "rel",
			 "describedby", "type", "text/html", "href", "https://docs.openstack.org/");
}

static json_t *identity_version(struct os_call *k)
{
	char href[400];

	snprintf(href, sizeof(href), "%s/identity/v3/", k->ctx->base);
	return json_pack("{s:s,s:s,s:s,s:o,s:[{s:s,s:s}]}", "id", "v3.14", "status", "stable",
		"updated", "2020-04-07T00:00:00Z", "links", version_links(href), "media-types",
		"base", "application/json", "type", "application/vnd.openstack.identity-v3+json");
}

static void identity(struct os_call *k, const char *rest)
{
	const char *m = k->ctx->req->method;

	if (strcmp(rest, "") == 0 || strcmp(rest, "/") == 0) {
		twin_resp_json(k->ctx->resp, 300, json_pack("{s:{s:[o]}}", "versions", "values",
							    identity_version(k)));
	} else if (strcmp(rest, "/v3") == 0 || strcmp(rest, "/v3/") == 0) {
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "version", identity_version(k)));
	} else if (strcmp(rest, "/v3/auth/tokens") == 0 && strcmp(m, "POST") == 0) {
		issue_token(k);
	} else if (strcmp(rest, "/v3/auth/tokens") == 0 && strcmp(m, "DELETE") == 0) {
		twin_resp_json(k->ctx->resp, 204, NULL);
	} else {
		keystone_error(k, 404, "Not Found", "The resource could not be found.");
	}
}

/* ---- Nova: servers ------------------------------------------------------------------------ */

struct os_state {
	const char *status, *vm_state, *task_state;
	int power;
};

static struct os_state server_state(const struct twin_vm *vm)
{
	bool hard = json_is_true(json_object_get(vm->extra, "hard_reboot"));

	switch (vm->state) {
	case TWIN_VM_PENDING: return (struct os_state){ "BUILD", "building", "spawning", 0 };
	case TWIN_VM_RUNNING: return (struct os_state){ "ACTIVE", "active", NULL, 1 };
	case TWIN_VM_STOPPING: return (struct os_state){ "ACTIVE", "active", "powering-off", 1 };
	case TWIN_VM_STOPPED: return (struct os_state){ "SHUTOFF", "stopped", NULL, 4 };
	case TWIN_VM_STARTING: return (struct os_state){ "SHUTOFF", "stopped", "powering-on", 4 };
	case TWIN_VM_REBOOTING:
		return hard ? (struct os_state){ "HARD_REBOOT", "active", "rebooting_hard", 1 } :
			      (struct os_state){ "REBOOT", "active", "rebooting", 1 };
	case TWIN_VM_TERMINATING: return (struct os_state){ "ACTIVE", "active", "deleting", 1 };
	default: return (struct os_state){ "DELETED", "deleted", NULL, 0 };
	}
}

static const char *os_status(const struct twin_vm *vm)
{
	return server_state(vm).status;
}

static json_t *links(const struct os_call *k, const char *kind, const char *id)
{
	char self[800];

	snprintf(self, sizeof(self), "%s/%s/%s", k->svc_base, kind, id);
	return json_pack("[{s:s,s:s},{s:s,s:s}]", "rel", "self", "href", self, "rel", "bookmark",
			 "href", self);
}

static json_t *flavor_ref(const struct os_call *k, const struct twin_spec *s)
{
	if (k->micro >= 47)
		return json_pack("{s:i,s:i,s:i,s:i,s:i,s:s,s:{}}", "vcpus", s->vcpus, "ram",
				 s->mem_mib, "disk", s->disk_gib, "ephemeral", 0, "swap", 0,
				 "original_name", s->name, "extra_specs");
	return json_pack("{s:s,s:o}", "id", s->id, "links", links(k, "flavors", s->id));
}

static json_t *addresses(const struct twin_vm *vm)
{
	char mac[18];
	unsigned char b[4];

	memcpy(b, &vm->seq, sizeof(b));
	snprintf(mac, sizeof(mac), "fa:16:3e:%02x:%02x:%02x", b[2], b[1], b[0]);
	if (vm->state == TWIN_VM_PENDING)
		return json_object();
	return json_pack("{s:[{s:i,s:s,s:s,s:s},{s:i,s:s,s:s,s:s}]}", "private", "version", 4,
		"addr", vm->private_ip, "OS-EXT-IPS:type", "fixed", "OS-EXT-IPS-MAC:mac_addr", mac,
		"version", 4, "addr", vm->public_ip, "OS-EXT-IPS:type", "floating",
		"OS-EXT-IPS-MAC:mac_addr", mac);
}

/* [{"name": ...}] of the server's security groups (new reference). */
static json_t *group_names(const struct twin_vm *vm)
{
	json_t *out = json_array(), *v;
	size_t i;

	json_array_foreach(json_object_get(vm->extra, "security_groups"), i, v)
		json_array_append_new(out, json_pack("{s:O}", "name", v));
	return out;
}

static json_t *server_json(const struct os_call *k, const struct twin_vm *vm)
{
	struct os_state st = server_state(vm);
	const struct os_priv *p = priv_of(k->c);
	char created[40], updated[40], host[57];
	json_t *o;

	iso_time(vm->created_ms, created, sizeof(created));
	iso_time(vm->changed_ms, updated, sizeof(updated));
	stable_hex(k->c, vm->zone, host);
	snprintf(host + 32, sizeof(host) - 32, "%.24s", host);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:O,s:s,s:{s:s,s:o},s:o,s:s,s:s,s:o,s:s,s:s,s:o}",
		"id", vm->id, "name", vm->name, "status", st.status, "tenant_id", p->project_id,
		"user_id", p->user_id, "metadata", vm->tags, "hostId", host, "image", "id", vm->image,
		"links", links(k, "images", vm->image), "flavor", flavor_ref(k, vm->spec),
		"created", created, "updated", updated, "addresses", addresses(vm), "accessIPv4", "",
		"accessIPv6", "", "links", links(k, "servers", vm->id));
	json_object_set_new(o, "OS-DCF:diskConfig", json_string("MANUAL"));
	json_object_set_new(o, "progress", json_integer(vm->state == TWIN_VM_PENDING ? 50 : 0));
	json_object_set_new(o, "OS-EXT-AZ:availability_zone", json_string(vm->zone));
	json_object_set_new(o, "config_drive", json_string(""));
	json_object_set(o, "key_name", json_object_get(vm->extra, "key_name") ?
			json_object_get(vm->extra, "key_name") : json_null());
	json_object_set_new(o, "OS-SRV-USG:launched_at", vm->state == TWIN_VM_PENDING ?
			    json_null() : json_string(created));
	json_object_set_new(o, "OS-SRV-USG:terminated_at", json_null());
	json_object_set_new(o, "security_groups", group_names(vm));
	json_object_set_new(o, "OS-EXT-STS:task_state", st.task_state ? json_string(st.task_state) :
			    json_null());
	json_object_set_new(o, "OS-EXT-STS:vm_state", json_string(st.vm_state));
	json_object_set_new(o, "OS-EXT-STS:power_state", json_integer(st.power));
	json_object_set_new(o, "os-extended-volumes:volumes_attached", json_array());
	if (k->micro >= 9)
		json_object_set_new(o, "locked", json_false());
	if (k->micro >= 19)
		json_object_set_new(o, "description", json_null());
	if (k->micro >= 26)
		json_object_set_new(o, "tags", json_array());
	return o;
}

/* Servers visible in this region (not terminated). */
static bool visible(const struct os_call *k, const struct twin_vm *vm)
{
	return vm->region == k->region && vm->state != TWIN_VM_TERMINATED;
}

static struct twin_vm *find_server(struct os_call *k, const char *id)
{
	struct twin_vm *vm = twin_cloud_vm(k->c, id, k->ctx->now);

	return vm && visible(k, vm) ? vm : NULL;
}

static const char *query(const struct os_call *k, const char *name)
{
	return params_get(&k->ctx->req->query, name);
}

/* Server list filters: name is a regex, the others exact. */
static bool server_matches(const struct os_call *k, const struct twin_vm *vm, const regex_t *re)
{
	const char *status = query(k, "status"), *flavor = query(k, "flavor");
	const char *image = query(k, "image"), *az = query(k, "availability_zone");

	if (re && regexec(re, vm->name, 0, NULL, 0) != 0)
		return false;
	if (status && strcasecmp(status, server_state(vm).status) != 0)
		return false;
	if (flavor && strcmp(flavor, vm->spec->id) != 0)
		return false;
	if (image && strcmp(image, vm->image) != 0)
		return false;
	return !az || strcmp(az, vm->zone) == 0;
}

static long limit_param(struct os_call *k)
{
	const char *l = query(k, "limit");
	char *end;
	long v;

	if (!l)
		return MAX_LIMIT;
	v = strtol(l, &end, 10);
	if (*end || v < 0)
		return -1;
	return v > MAX_LIMIT ? MAX_LIMIT : v;
}

static json_t *next_link(const struct os_call *k, const char *what, long limit, const char *last)
{
	char href[800];

	snprintf(href, sizeof(href), "%s/%s?limit=%ld&marker=%s", k->svc_base, what, limit, last);
	return json_pack("[{s:s,s:s}]", "rel", "next", "href", href);
}

/* Newest first, as Nova sorts by default; marker is the last id seen. */
static void list_servers(struct os_call *k, bool detail)
{
	const char *name = query(k, "name"), *marker = query(k, "marker");
	long limit = limit_param(k), n = 0;
	json_t *out = json_array(), *doc;
	regex_t re;
	size_t i;
	uint64_t below = UINT64_MAX;

	if (limit < 0 || (name && regcomp(&re, name, REG_EXTENDED | REG_NOSUB))) {
		json_decref(out);
		nova_error(k, 400, "badRequest", "Invalid input for query parameters %s.",
			   limit < 0 ? "limit" : "name");
		return;
	}
	twin_cloud_lock(k->c);
	if (marker) {
		struct twin_vm *m = find_server(k, marker);

		if (!m) {
			twin_cloud_unlock(k->c);
			json_decref(out);
			if (name)
				regfree(&re);
			nova_error(k, 400, "badRequest", "marker [%s] not found", marker);
			return;
		}
		below = m->seq;
	}
	doc = json_object();
	for (i = twin_cloud_nvms(k->c); i-- > 0;) {
		struct twin_vm *vm = twin_cloud_vm_at(k->c, i, k->ctx->now);

		if (vm->seq >= below || !visible(k, vm) || !server_matches(k, vm, name ? &re : NULL))
			continue;
		if (n == limit) {
			const char *last = json_string_value(json_object_get(json_array_get(out,
				json_array_size(out) - 1), "id"));

			if (last)	/* limit=0: an empty page, nothing to continue from */
				json_object_set_new(doc, "servers_links", next_link(k, detail ?
					"servers/detail" : "servers", limit, last));
			break;
		}
		json_array_append_new(out, detail ? server_json(k, vm) : json_pack("{s:s,s:s,s:o}",
			"id", vm->id, "name", vm->name, "links", links(k, "servers", vm->id)));
		n++;
	}
	twin_cloud_unlock(k->c);
	if (name)
		regfree(&re);
	json_object_set_new(doc, "servers", out);
	twin_resp_json(k->ctx->resp, 200, doc);
}

/* The id at the end of a reference that may be a URL ("…/flavors/3"). */
static const char *ref_id(const char *ref)
{
	const char *slash = ref ? strrchr(ref, '/') : NULL;

	return slash ? slash + 1 : ref;
}

static int create_checks(struct os_call *k, const json_t *s, const struct twin_spec **spec,
			 const struct twin_image **img)
{
	const char *name = json_string_value(json_object_get(s, "name"));
	const char *image = ref_id(json_string_value(json_object_get(s, "imageRef")));
	const char *flavor = ref_id(json_string_value(json_object_get(s, "flavorRef")));
	const char *az = json_string_value(json_object_get(s, "availability_zone"));
	size_t region;

	if (!json_is_object(s) || !name || !*name || strlen(name) > 255)
		return nova_error(k, 400, "badRequest", "Invalid input for field/attribute name. "
				  "Value: %s. None is not of type 'string'", name ? name : "None");
	if (!flavor)
		return nova_error(k, 400, "badRequest", "Invalid input for field/attribute flavorRef. "
				  "Value: None. None is not of type 'string', 'integer'");
	*img = image ? twin_cloud_image(k->c, image) : NULL;
	if (!*img)
		return nova_error(k, 400, "badRequest", "Image %s could not be found.",
				  image ? image : "None");
	*spec = twin_cloud_spec(k->c, flavor);
	if (!*spec)
		return nova_error(k, 400, "badRequest", "Flavor %s could not be found.", flavor);
	if (az && (!twin_cloud_zone_region(k->c, az, &region) || region != k->region))
		return nova_error(k, 400, "badRequest", "The requested availability zone is not "
				  "available");
	return 0;
}

/* Names of the security groups asked for; each must exist here. */
static json_t *create_groups(struct os_call *k, const json_t *s)
{
	json_t *out = json_array(), *g;
	size_t i;

	json_array_foreach(json_object_get(s, "security_groups"), i, g) {
		const char *name = json_string_value(json_object_get(g, "name"));
		json_t *all = twin_cloud_res_all(k->c, SG_KIND), *sg;
		const char *id, *found = NULL;

		/* Clients pass a name or (the openstack CLI) an id; Nova shows names. */
		json_object_foreach(all, id, sg) {
			const char *sname = json_string_value(json_object_get(sg, "name"));

			if (name && json_integer_value(json_object_get(sg, "region_idx")) ==
			    (json_int_t)k->region && (strcmp(name, id) == 0 || strcmp(name, sname) == 0))
				found = sname;
		}
		if (!found) {
			json_decref(out);
			nova_error(k, 400, "badRequest", "Security group %s not found for project %s.",
				   name ? name : "None", priv_of(k->c)->project_id);
			return NULL;
		}
		json_array_append_new(out, json_string(found));
	}
	if (!json_array_size(out))
		json_array_append_new(out, json_string("default"));
	return out;
}

static int create_user_data(struct os_call *k, const json_t *s, struct twin_vm *vm)
{
	const char *ud = json_string_value(json_object_get(s, "user_data"));
	struct sbuf raw = SBUF_INIT;
	int rc = 0;

	if (!ud)
		return 0;
	raw.max = USER_DATA_MAX;
	if (codec_b64_decode(&raw, ud, strlen(ud)) || twin_cloud_vm_set_user_data(vm, raw.buf ?
							raw.buf : "", raw.len))
		rc = nova_error(k, 400, "badRequest", "User data needs to be valid base 64.");
	sbuf_release(&raw);
	return rc;
}

static int quota_error(struct os_call *k, const struct twin_spec *spec, int rc)
{
	if (rc == -EDQUOT)
		return nova_error(k, 403, "forbidden", "Quota exceeded for cores: Requested %d, but "
				  "already used %lld of %lld cores", spec->vcpus,
				  (long long)k->c->vcpus_used[k->region], (long long)k->c->vcpu_quota);
	if (rc == -ENOSPC)
		return nova_error(k, 403, "forbidden", "Quota exceeded for instances: Requested 1, "
				  "but already used %lld of %lld instances",
				  (long long)twin_cloud_nvms(k->c), (long long)k->c->max_vms);
	return nova_error(k, 500, "computeFault", "Unexpected API Error.");
}

static struct twin_vm *new_server(struct os_call *k, const json_t *s, const struct twin_spec *spec,
				  const struct twin_image *img, json_t *groups)
{
	const char *az = json_string_value(json_object_get(s, "availability_zone"));
	const json_t *meta = json_object_get(s, "metadata");
	struct twin_vm *vm = twin_cloud_vm_new();
	char pass[13];

	if (!vm)
		return NULL;
	hash_uuid4(vm->id);
	snprintf(vm->name, sizeof(vm->name), "%s", json_string_value(json_object_get(s, "name")));
	snprintf(vm->zone, sizeof(vm->zone), "%s", az ? az : k->r->zones[0]);
	snprintf(vm->image, sizeof(vm->image), "%s", img->id);
	vm->region = k->region;
	vm->spec = spec;
	if (json_is_object(meta))
		json_object_update(vm->tags, (json_t *)meta);
	twin_rand_hex(pass, 12);
	json_object_set_new(vm->extra, "adminPass", json_string(pass));
	json_object_set_new(vm->extra, "security_groups", groups);
	if (json_is_string(json_object_get(s, "key_name")))
		json_object_set(vm->extra, "key_name", json_object_get(s, "key_name"));
	return vm;
}

static void create_server(struct os_call *k)
{
	const json_t *s = json_object_get(k->body, "server");
	const struct twin_spec *spec = NULL;
	const struct twin_image *img = NULL;
	const char *key = json_string_value(json_object_get(s, "key_name"));
	struct twin_vm *vm = NULL;
	json_t *groups;
	char loc[600];
	int rc;

	if (create_checks(k, s, &spec, &img))
		return;
	twin_cloud_lock(k->c);
	if (key && !twin_cloud_res_get(k->c, KEY_KIND, key)) {
		nova_error(k, 400, "badRequest", "Invalid key_name provided.");
		goto out_unlock;
	}
	groups = create_groups(k, s);
	vm = groups ? new_server(k, s, spec, img, groups) : NULL;
	if (!vm || create_user_data(k, s, vm))
		goto out_unlock;
	rc = twin_cloud_add_vm(k->c, vm, k->ctx->now);
	if (rc) {
		quota_error(k, spec, rc);
		goto out_unlock;
	}
	snprintf(loc, sizeof(loc), "%s/servers/%s", k->svc_base, vm->id);
	twin_resp_header(k->ctx->resp, "Location", "%s", loc);
	twin_resp_json(k->ctx->resp, 202, json_pack("{s:{s:s,s:o,s:s,s:o,s:O}}", "server", "id",
		vm->id, "links", links(k, "servers", vm->id), "OS-DCF:diskConfig", "MANUAL",
		"security_groups", group_names(vm), "adminPass",
		json_object_get(vm->extra, "adminPass")));
	vm = NULL;
out_unlock:
	twin_cloud_unlock(k->c);
	twin_cloud_vm_free(vm);
}

static void server_action(struct os_call *k, struct twin_vm *vm)
{
	const char *key = json_object_iter_key(json_object_iter(k->body));
	enum twin_vm_act act;

	if (!key)
		return (void)nova_error(k, 400, "badRequest", "Malformed request body");
	if (strcmp(key, "os-start") == 0 || strcmp(key, "resume") == 0)
		act = TWIN_ACT_START;
	else if (strcmp(key, "os-stop") == 0 || strcmp(key, "suspend") == 0)
		act = TWIN_ACT_STOP;
	else if (strcmp(key, "reboot") == 0)
		act = TWIN_ACT_REBOOT;
	else
		return (void)nova_error(k, 400, "badRequest", "There is no such action: %s", key);
	if ((act == TWIN_ACT_START && vm->state != TWIN_VM_STOPPED) ||
	    (act == TWIN_ACT_STOP && vm->state != TWIN_VM_RUNNING) ||
	    twin_cloud_act(k->c, vm, act, k->ctx->now))
		return (void)nova_error(k, 409, "conflictingRequest", "Cannot '%s' instance %s while "
					"it is in vm_state %s", key, vm->id, server_state(vm).vm_state);
	if (act == TWIN_ACT_REBOOT) {
		const char *type = json_string_value(json_object_get(json_object_get(k->body, "reboot"),
								     "type"));

		json_object_set_new(vm->extra, "hard_reboot", json_boolean(type && !strcasecmp(type, "HARD")));
	}
	twin_resp_json(k->ctx->resp, 202, NULL);
}

static void delete_server(struct os_call *k, struct twin_vm *vm)
{
	twin_cloud_act(k->c, vm, TWIN_ACT_TERMINATE, k->ctx->now);
	twin_resp_json(k->ctx->resp, 204, NULL);
}

/* Nova's metadata checks: an object of strings, keys 1 to 255 bytes, values at most 255. */
static int metadata_bad(struct os_call *k, const json_t *meta)
{
	const char *key;
	json_t *v;

	if (!json_is_object(meta))
		return nova_error(k, 400, "badRequest", "Malformed request body");
	json_object_foreach((json_t *)meta, key, v) {
		if (!json_is_string(v))
			return nova_error(k, 400, "badRequest", "Invalid input for field/attribute "
					  "%s. Value: %s. is not of type 'string'", key, key);
		if (!*key || strlen(key) > 255 || strlen(json_string_value(v)) > 255)
			return nova_error(k, 400, "badRequest", "Invalid input for field/attribute "
					  "metadata. Value: %s. Additional properties are not "
					  "allowed", key);
	}
	return 0;
}

/* /servers/{id}/metadata[/{key}]: GET, PUT (replace all), POST (merge), DELETE of one key. */
static void server_metadata(struct os_call *k, struct twin_vm *vm, const char *key)
{
	const char *m = k->ctx->req->method;
	json_t *meta = json_object_get(k->body, key ? "meta" : "metadata");

	if (!key && strcmp(m, "GET") == 0) {
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:O}", "metadata", vm->tags));
	} else if (!key && (strcmp(m, "PUT") == 0 || strcmp(m, "POST") == 0)) {
		if (metadata_bad(k, meta))
			return;
		if (strcmp(m, "PUT") == 0)
			json_object_clear(vm->tags);
		json_object_update(vm->tags, meta);
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:O}", "metadata", vm->tags));
	} else if (key && strcmp(m, "GET") == 0) {
		if (!json_object_get(vm->tags, key))
			return (void)nova_error(k, 404, "itemNotFound", "Metadata item was not "
						"found");
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:{s:O}}", "meta", key,
							    json_object_get(vm->tags, key)));
	} else if (key && strcmp(m, "PUT") == 0) {
		if (metadata_bad(k, meta))
			return;
		if (json_object_size(meta) != 1 || !json_object_get(meta, key))
			return (void)nova_error(k, 400, "badRequest", "Request body and URI "
						"mismatch");
		json_object_update(vm->tags, meta);
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:O}", "meta", meta));
	} else if (key && strcmp(m, "DELETE") == 0) {
		if (json_object_del(vm->tags, key))
			return (void)nova_error(k, 404, "itemNotFound", "Metadata item was not "
						"found");
		twin_resp_json(k->ctx->resp, 204, NULL);
	} else {
		nova_error(k, 405, "HTTPMethodNotAllowed", "The method specified is not allowed "
			   "for this resource.");
	}
}

/* /servers/{id}[/action] */
static void one_server(struct os_call *k, const char *id, const char *rest)
{
	const char *m = k->ctx->req->method;
	struct twin_vm *vm;

	twin_cloud_lock(k->c);
	vm = find_server(k, id);
	if (!vm)
		nova_error(k, 404, "itemNotFound", "Instance %s could not be found.", id);
	else if (!*rest && strcmp(m, "GET") == 0)
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "server", server_json(k, vm)));
	else if (!*rest && strcmp(m, "DELETE") == 0)
		delete_server(k, vm);
	else if (strcmp(rest, "/action") == 0 && strcmp(m, "POST") == 0)
		server_action(k, vm);
	else if (strcmp(rest, "/metadata") == 0)
		server_metadata(k, vm, NULL);
	else if (strncmp(rest, "/metadata/", 10) == 0 && rest[10])
		server_metadata(k, vm, rest + 10);
	else if (strcmp(rest, "/os-security-groups") == 0)
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:[]}", "security_groups"));
	else
		nova_error(k, 404, "itemNotFound", "The resource could not be found.");
	twin_cloud_unlock(k->c);
}

/* ---- Nova: flavors, images, key pairs, limits ---------------------------------------------- */

static json_t *flavor_json(const struct os_call *k, const struct twin_spec *s, bool detail)
{
	json_t *o = json_pack("{s:s,s:s,s:o}", "id", s->id, "name", s->name, "links",
			      links(k, "flavors", s->id));

	if (!detail)
		return o;
	json_object_set_new(o, "ram", json_integer(s->mem_mib));
	json_object_set_new(o, "disk", json_integer(s->disk_gib));
	json_object_set_new(o, "vcpus", json_integer(s->vcpus));
	json_object_set_new(o, "swap", json_string(""));
	json_object_set_new(o, "rxtx_factor", json_real(1.0));
	json_object_set_new(o, "OS-FLV-EXT-DATA:ephemeral", json_integer(0));
	json_object_set_new(o, "OS-FLV-DISABLED:disabled", json_false());
	json_object_set_new(o, "os-flavor-access:is_public", json_true());
	if (k->micro >= 55)
		json_object_set_new(o, "description", json_null());
	if (k->micro >= 61)
		json_object_set_new(o, "extra_specs", json_object());
	return o;
}

static void flavors(struct os_call *k, const char *rest)
{
	bool detail = strcmp(rest, "/detail") == 0;
	json_t *list;

	if (*rest && !detail) {
		const struct twin_spec *s = twin_cloud_spec(k->c, rest + 1);
		const char *tail = strchr(rest + 1, '/');

		if (tail && strcmp(tail, "/os-extra_specs") == 0) {
			twin_resp_json(k->ctx->resp, 200, json_pack("{s:{}}", "extra_specs"));
			return;
		}
		if (!s || strcmp(s->id, rest + 1) != 0)
			return (void)nova_error(k, 404, "itemNotFound", "Flavor %s could not be found.",
						rest + 1);
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "flavor", flavor_json(k, s, true)));
		return;
	}
	list = json_array();
	for (size_t i = 0; i < k->c->nspecs; i++)
		json_array_append_new(list, flavor_json(k, &k->c->specs[i], detail));
	twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "flavors", list));
}

/* Nova's image proxy (libcloud's 1.1 API). */
static json_t *nova_image_json(const struct os_call *k, const struct twin_image *m)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:i,s:{s:s,s:s},s:o}", "id", m->id, "name",
		m->name, "status", "ACTIVE", "created", "2024-01-10T00:00:00Z", "updated",
		"2024-01-10T00:00:00Z", "minDisk", 0, "minRam", 0, "progress", 100, "metadata",
		"os_distro", m->family, "architecture", m->arch, "links", links(k, "images", m->id));
}

static void nova_images(struct os_call *k, const char *rest)
{
	json_t *list;

	if (*rest && strcmp(rest, "/detail") != 0) {
		const struct twin_image *m = twin_cloud_image(k->c, rest + 1);

		if (!m)
			return (void)nova_error(k, 404, "itemNotFound", "Image not found.");
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "image", nova_image_json(k, m)));
		return;
	}
	list = json_array();
	for (size_t i = 0; i < k->c->nimages; i++)
		json_array_append_new(list, nova_image_json(k, &k->c->images[i]));
	twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "images", list));
}

static json_t *keypair_json(const json_t *kp)
{
	return json_pack("{s:O,s:O,s:O,s:s}", "name", json_object_get(kp, "name"), "public_key",
			 json_object_get(kp, "public_key"), "fingerprint",
			 json_object_get(kp, "fingerprint"), "type", "ssh");
}

static void create_keypair(struct os_call *k)
{
	const json_t *kp = json_object_get(k->body, "keypair");
	const char *name = json_string_value(json_object_get(kp, "name"));
	const char *pub = json_string_value(json_object_get(kp, "public_key"));
	char fp[65], pretty[96];
	json_t *rec;

	if (!name || !*name || !pub || strncmp(pub, "ssh-", 4) != 0)
		return (void)nova_error(k, 400, "badRequest", "Keypair data is invalid: failed to "
					"generate fingerprint");
	hash_sha256_hex(pub, strlen(pub), fp);
	snprintf(pretty, sizeof(pretty), "%.2s:%.2s:%.2s:%.2s:%.2s:%.2s:%.2s:%.2s", fp, fp + 2,
		 fp + 4, fp + 6, fp + 8, fp + 10, fp + 12, fp + 14);
	rec = json_pack("{s:s,s:s,s:s}", "name", name, "public_key", pub, "fingerprint", pretty);
	twin_cloud_lock(k->c);
	if (twin_cloud_res_get(k->c, KEY_KIND, name)) {
		json_decref(rec);
		nova_error(k, 409, "conflictingRequest", "Key pair '%s' already exists.", name);
	} else {
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "keypair", keypair_json(rec)));
		twin_cloud_res_put(k->c, KEY_KIND, name, rec);
	}
	twin_cloud_unlock(k->c);
}

static void keypairs(struct os_call *k, const char *rest)
{
	const char *m = k->ctx->req->method;
	json_t *list, *kp;
	const char *name;

	if (!*rest && strcmp(m, "POST") == 0)
		return create_keypair(k);
	twin_cloud_lock(k->c);
	if (!*rest) {
		list = json_array();
		json_object_foreach(twin_cloud_res_all(k->c, KEY_KIND), name, kp)
			json_array_append_new(list, json_pack("{s:o}", "keypair", keypair_json(kp)));
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "keypairs", list));
	} else if (!(kp = twin_cloud_res_get(k->c, KEY_KIND, rest + 1))) {
		nova_error(k, 404, "itemNotFound", "Keypair %s not found for user %s", rest + 1,
			   priv_of(k->c)->user_id);
	} else if (strcmp(m, "DELETE") == 0) {
		twin_cloud_res_del(k->c, KEY_KIND, rest + 1);
		twin_resp_json(k->ctx->resp, 202, NULL);
	} else {
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "keypair", keypair_json(kp)));
	}
	twin_cloud_unlock(k->c);
}

static void limits(struct os_call *k)
{
	long long cores, used, inst;

	twin_cloud_lock(k->c);
	cores = k->c->vcpu_quota > 0 ? k->c->vcpu_quota : -1;
	used = k->c->vcpus_used[k->region];
	inst = (long long)k->c->max_vms;
	twin_cloud_unlock(k->c);
	twin_resp_json(k->ctx->resp, 200, json_pack("{s:{s:[],s:{s:I,s:I,s:I,s:I,s:I,s:I}}}",
		"limits", "rate", "absolute", "maxTotalCores", cores, "totalCoresUsed", used,
		"maxTotalInstances", inst, "maxTotalRAMSize", (json_int_t)-1, "maxTotalKeypairs",
		(json_int_t)100, "maxServerMeta", (json_int_t)128));
}

static void availability_zones(struct os_call *k)
{
	json_t *list = json_array();

	for (size_t z = 0; z < k->r->nzones; z++)
		json_array_append_new(list, json_pack("{s:s,s:{s:b},s:n}", "zoneName",
			k->r->zones[z], "zoneState", "available", 1, "hosts"));
	twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "availabilityZoneInfo", list));
}

/* ---- Neutron --------------------------------------------------------------------------- */

static void net_ids(struct os_call *k, const char *which, char net[37], char subnet[37])
{
	char seed[160];

	snprintf(seed, sizeof(seed), "net/%s/%s", k->r->name, which);
	stable_uuid(k->c, seed, net);
	snprintf(seed, sizeof(seed), "subnet/%s/%s", k->r->name, which);
	stable_uuid(k->c, seed, subnet);
}

static json_t *network_json(struct os_call *k, const char *which)
{
	char net[37], subnet[37];
	bool ext = strcmp(which, "public") == 0;

	net_ids(k, which, net, subnet);
	return json_pack("{s:s,s:s,s:s,s:[s],s:s,s:s,s:b,s:b,s:b,s:i,s:[],s:[s],s:b,s:[],s:s,s:s,"
			 "s:i,s:s,s:b,s:s,s:n,s:n,s:b,s:n,s:b}",
		"id", net, "name", which, "status", "ACTIVE", "subnets", subnet, "tenant_id",
		priv_of(k->c)->project_id, "project_id", priv_of(k->c)->project_id, "admin_state_up",
		1, "shared", ext, "router:external", ext, "mtu", 1450, "availability_zone_hints",
		"availability_zones", "nova", "port_security_enabled", 1, "tags", "created_at",
		"2024-01-01T00:00:00Z", "updated_at", "2024-01-01T00:00:00Z", "revision_number", 1,
		"description", "", "is_default", ext, "dns_domain", "", "ipv4_address_scope",
		"ipv6_address_scope", "l2_adjacency", 1, "qos_policy_id", "vlan_transparent", 0);
}

static json_t *subnet_json(struct os_call *k, const char *which)
{
	char net[37], subnet[37], cidr[32], gw[32], start[32], end[32];
	bool ext = strcmp(which, "public") == 0;
	unsigned idx = k->c->index & 255;

	net_ids(k, which, net, subnet);
	snprintf(cidr, sizeof(cidr), ext ? "172.24.4.0/24" : "10.%u.0.0/16", idx);
	snprintf(gw, sizeof(gw), ext ? "172.24.4.1" : "10.%u.0.1", idx);
	snprintf(start, sizeof(start), ext ? "172.24.4.2" : "10.%u.0.2", idx);
	snprintf(end, sizeof(end), ext ? "172.24.4.254" : "10.%u.255.254", idx);
	return json_pack("{s:s,s:s,s:s,s:s,s:i,s:s,s:s,s:b,s:[{s:s,s:s}],s:[],s:[],s:s,s:s,s:s,"
			 "s:s,s:i,s:n,s:n,s:n,s:n,s:[],s:[]}",
		"id", subnet, "name", ext ? "public-subnet" : "private-subnet", "network_id", net,
		"tenant_id", priv_of(k->c)->project_id, "ip_version", 4, "cidr", cidr,
		"gateway_ip", gw, "enable_dhcp", !ext, "allocation_pools", "start", start, "end", end,
		"dns_nameservers", "host_routes", "project_id", priv_of(k->c)->project_id,
		"created_at", "2024-01-01T00:00:00Z", "description", "", "updated_at",
		"2024-01-01T00:00:00Z", "revision_number", 1, "ipv6_address_mode", "ipv6_ra_mode",
		"segment_id", "subnetpool_id", "service_types", "tags");
}

/* Networks and subnets: the fixed pair every region has. */
static void neutron_fixed(struct os_call *k, const char *kind, const char *rest)
{
	static const char *const which[] = { "private", "public" };
	bool nets = strcmp(kind, "networks") == 0;
	const char *name = query(k, "name"), *id = *rest ? rest + 1 : query(k, "id");
	json_t *list = json_array();

	for (size_t i = 0; i < 2; i++) {
		json_t *o = nets ? network_json(k, which[i]) : subnet_json(k, which[i]);

		if ((name && strcmp(name, json_string_value(json_object_get(o, "name")))) ||
		    (id && strcmp(id, json_string_value(json_object_get(o, "id"))))) {
			json_decref(o);
			continue;
		}
		json_array_append_new(list, o);
	}
	if (!*rest) {
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", kind, list));
	} else if (json_array_size(list)) {
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:O}", nets ? "network" : "subnet",
							    json_array_get(list, 0)));
		json_decref(list);
	} else {
		json_decref(list);
		neutron_error(k, 404, nets ? "NetworkNotFound" : "SubnetNotFound",
			      "%s %s could not be found.", nets ? "Network" : "Subnet", rest + 1);
	}
}

static json_t *group_json(struct twin_cloud *c, const char *id, const json_t *sg)
{
	json_t *rules = json_array(), *r;
	const char *rid;

	json_object_foreach(twin_cloud_res_all(c, RULE_KIND), rid, r) {
		if (strcmp(json_string_value(json_object_get(r, "security_group_id")), id) == 0)
			json_array_append(rules, r);
	}
	return json_pack("{s:s,s:O,s:O,s:s,s:s,s:o,s:[],s:s,s:s,s:i,s:b}", "id", id, "name",
		json_object_get(sg, "name"), "description", json_object_get(sg, "description"),
		"tenant_id", priv_of(c)->project_id, "project_id", priv_of(c)->project_id,
		"security_group_rules", rules, "tags", "created_at", "2024-01-01T00:00:00Z",
		"updated_at", "2024-01-01T00:00:00Z", "revision_number", 1, "stateful", 1);
}

/* Neutron's default group: all egress, and ingress from its own members. */
static void default_rules(struct twin_cloud *c, const char *sg)
{
	static const struct {
		const char *dir, *eth;
	} rules[] = { { "egress", "IPv4" }, { "egress", "IPv6" }, { "ingress", "IPv4" },
		      { "ingress", "IPv6" } };

	for (size_t r = 0; r < sizeof(rules) / sizeof(rules[0]); r++) {
		char id[37], seed[128];

		snprintf(seed, sizeof(seed), "rule/%s/%zu", sg, r);
		stable_uuid(c, seed, id);
		twin_cloud_res_put(c, RULE_KIND, id, json_pack("{s:s,s:s,s:s,s:n,s:n,s:n,s:n,s:s*,s:s,s:s}",
			"id", id, "security_group_id", sg, "direction", rules[r].dir, "protocol",
			"port_range_min", "port_range_max", "remote_ip_prefix", "remote_group_id",
			rules[r].dir[0] == 'i' ? sg : NULL, "ethertype", rules[r].eth, "tenant_id",
			priv_of(c)->project_id));
	}
}

static void ensure_default_groups(struct twin_cloud *c)
{
	for (size_t i = 0; i < c->nregions; i++) {
		char id[37], seed[128];

		snprintf(seed, sizeof(seed), "sg/%s/default", c->regions[i].name);
		stable_uuid(c, seed, id);
		if (twin_cloud_res_get(c, SG_KIND, id))
			continue;
		twin_cloud_res_put(c, SG_KIND, id, json_pack("{s:s,s:s,s:I}", "name", "default",
			"description", "Default security group", "region_idx", (json_int_t)i));
		default_rules(c, id);
	}
}

static void create_group(struct os_call *k)
{
	const json_t *g = json_object_get(k->body, "security_group");
	const char *name = json_string_value(json_object_get(g, "name"));
	const char *desc = json_string_value(json_object_get(g, "description"));
	char id[37];

	if (!name || !*name)
		return (void)neutron_error(k, 400, "HTTPBadRequest", "Invalid input for name. "
					   "Reason: 'None' is not a valid string.");
	hash_uuid4(id);
	twin_cloud_res_put(k->c, SG_KIND, id, json_pack("{s:s,s:s,s:I}", "name", name,
		"description", desc ? desc : "", "region_idx", (json_int_t)k->region));
	twin_resp_json(k->ctx->resp, 201, json_pack("{s:o}", "security_group",
		group_json(k->c, id, twin_cloud_res_get(k->c, SG_KIND, id))));
}

static bool group_here(const struct os_call *k, const json_t *sg)
{
	return sg && json_integer_value(json_object_get(sg, "region_idx")) == (json_int_t)k->region;
}

static void security_groups(struct os_call *k, const char *rest)
{
	const char *m = k->ctx->req->method, *name = query(k, "name"), *id;
	json_t *list, *sg;

	twin_cloud_lock(k->c);
	ensure_default_groups(k->c);
	if (!*rest && strcmp(m, "POST") == 0) {
		create_group(k);
	} else if (!*rest) {
		list = json_array();
		json_object_foreach(twin_cloud_res_all(k->c, SG_KIND), id, sg) {
			if (group_here(k, sg) && (!name || strcmp(name, json_string_value(
						    json_object_get(sg, "name"))) == 0))
				json_array_append_new(list, group_json(k->c, id, sg));
		}
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "security_groups", list));
	} else if (!group_here(k, sg = twin_cloud_res_get(k->c, SG_KIND, rest + 1))) {
		neutron_error(k, 404, "SecurityGroupNotFound", "Security group %s does not exist",
			      rest + 1);
	} else if (strcmp(m, "DELETE") == 0) {
		twin_cloud_res_del(k->c, SG_KIND, rest + 1);
		twin_resp_json(k->ctx->resp, 204, NULL);
	} else {
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "security_group",
							    group_json(k->c, rest + 1, sg)));
	}
	twin_cloud_unlock(k->c);
}

/* A new reference to obj[key], or to null when it is absent. */
static json_t *copy_or_null(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return v ? json_incref(v) : json_null();
}

static void create_rule(struct os_call *k)
{
	const json_t *r = json_object_get(k->body, "security_group_rule");
	const char *gid = json_string_value(json_object_get(r, "security_group_id"));
	const char *dir = json_string_value(json_object_get(r, "direction"));
	json_t *rule;
	char id[37];

	if (!gid || !group_here(k, twin_cloud_res_get(k->c, SG_KIND, gid)))
		return (void)neutron_error(k, 404, "SecurityGroupNotFound",
					   "Security group %s does not exist", gid ? gid : "None");
	if (!dir || (strcmp(dir, "ingress") && strcmp(dir, "egress")))
		return (void)neutron_error(k, 400, "HTTPBadRequest", "Invalid input for direction. "
					   "Reason: %s is not in valid_values.", dir ? dir : "None");
	hash_uuid4(id);
	rule = json_pack("{s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:s,s:s}", "id", id, "security_group_id",
		gid, "direction", dir, "protocol", copy_or_null(r, "protocol"), "port_range_min",
		copy_or_null(r, "port_range_min"), "port_range_max", copy_or_null(r, "port_range_max"),
		"remote_ip_prefix", copy_or_null(r, "remote_ip_prefix"), "ethertype", "IPv4",
		"tenant_id", priv_of(k->c)->project_id);
	twin_cloud_res_put(k->c, RULE_KIND, id, json_incref(rule));
	twin_resp_json(k->ctx->resp, 201, json_pack("{s:o}", "security_group_rule", rule));
}

static void rules(struct os_call *k, const char *rest)
{
	const char *m = k->ctx->req->method, *id;
	json_t *list, *r;

	twin_cloud_lock(k->c);
	ensure_default_groups(k->c);
	if (!*rest && strcmp(m, "POST") == 0) {
		create_rule(k);
	} else if (!*rest) {
		list = json_array();
		json_object_foreach(twin_cloud_res_all(k->c, RULE_KIND), id, r)
			json_array_append(list, r);
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "security_group_rules", list));
	} else if (strcmp(m, "DELETE") == 0 && !twin_cloud_res_del(k->c, RULE_KIND, rest + 1)) {
		twin_resp_json(k->ctx->resp, 204, NULL);
	} else {
		neutron_error(k, 404, "SecurityGroupRuleNotFound",
			      "Security group rule %s does not exist", rest + 1);
	}
	twin_cloud_unlock(k->c);
}

/* One port per server on the private network. */
static void ports(struct os_call *k)
{
	const char *device = query(k, "device_id");
	json_t *list = json_array();
	char net[37], subnet[37];

	net_ids(k, "private", net, subnet);
	twin_cloud_lock(k->c);
	for (size_t i = 0; i < twin_cloud_nvms(k->c); i++) {
		struct twin_vm *vm = twin_cloud_vm_at(k->c, i, k->ctx->now);
		char pid[37], seed[96];

		if (!visible(k, vm) || (device && strcmp(device, vm->id)))
			continue;
		snprintf(seed, sizeof(seed), "port/%s", vm->id);
		stable_uuid(k->c, seed, pid);
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:s,s:s,s:[{s:s,s:s}],s:s,s:b}",
			"id", pid, "network_id", net, "device_id", vm->id, "device_owner",
			"compute:nova", "status", vm->state == TWIN_VM_RUNNING ? "ACTIVE" : "DOWN",
			"fixed_ips", "subnet_id", subnet, "ip_address", vm->private_ip, "tenant_id",
			priv_of(k->c)->project_id, "admin_state_up", 1));
	}
	twin_cloud_unlock(k->c);
	twin_resp_json(k->ctx->resp, 200, json_pack("{s:o}", "ports", list));
}

/* ---- Glance ------------------------------------------------------------------------------ */

static json_t *glance_image_json(const struct os_call *k, const struct twin_image *m)
{
	char self[300], file[320], sum[65];

	snprintf(self, sizeof(self), "/v2/images/%s", m->id);
	snprintf(file, sizeof(file), "/v2/images/%s/file", m->id);
	hash_sha256_hex(m->id, strlen(m->id), sum);
	return json_pack("{s:s,s:s,s:s,s:s,s:b,s:b,s:s,s:s,s:I,s:i,s:i,s:s,s:s,s:s,s:s,s:[],"
			 "s:s,s:s,s:s,s:s,s:s}",
		"id", m->id, "name", m->name, "status", "active", "visibility", "public",
		"protected", 0, "os_hidden", 0, "checksum", "", "owner", priv_of(k->c)->project_id,
		"size", (json_int_t)2361393152LL, "min_ram", 0, "min_disk", 0, "disk_format", "qcow2",
		"container_format", "bare", "created_at", "2024-01-10T00:00:00Z", "updated_at",
		"2024-01-10T00:00:00Z", "tags", "self", self, "file", file, "schema",
		"/v2/schemas/image", "os_distro", m->family, "architecture", m->arch);
}

static void glance_images(struct os_call *k, const char *rest)
{
	const char *marker = query(k, "marker"), *name = query(k, "name");
	long limit = limit_param(k), n = 0;
	json_t *list, *doc;
	size_t i = 0;

	if (*rest) {
		const struct twin_image *m = twin_cloud_image(k->c, rest + 1);

		if (!m || strcmp(m->id, rest + 1) != 0)
			return glance_error(k, 404, "No image found with ID");
		twin_resp_json(k->ctx->resp, 200, glance_image_json(k, m));
		return;
	}
	if (marker) {
		for (i = 0; i < k->c->nimages && strcmp(k->c->images[i].id, marker); i++)
			;
		if (i == k->c->nimages)
			return glance_error(k, 400, "marker could not be found");
		i++;
	}
	if (limit < 0)
		return glance_error(k, 400, "limit param must be an integer");
	list = json_array();
	doc = json_pack("{s:s,s:s}", "first", "/v2/images", "schema", "/v2/schemas/images");
	for (; i < k->c->nimages; i++) {
		const struct twin_image *m = &k->c->images[i];
		char next[400];

		if (name && strcmp(name, m->name) != 0)
			continue;
		if (n == limit) {
			/* limit=0 is an empty page with no image to continue from */
			if (n > 0) {
				snprintf(next, sizeof(next), "/v2/images?limit=%ld&marker=%s",
					 limit, k->c->images[i - 1].id);
				json_object_set_new(doc, "next", json_string(next));
			}
			break;
		}
		json_array_append_new(list, glance_image_json(k, m));
		n++;
	}
	json_object_set_new(doc, "images", list);
	twin_resp_json(k->ctx->resp, 200, doc);
}

/* ---- version documents ------------------------------------------------------------------- */

static void compute_versions(struct os_call *k, bool one)
{
	char href[500], max[8];
	json_t *v;

	snprintf(href, sizeof(href), "%s/%s/compute/v2.1/", k->ctx->base, k->r->name);
	snprintf(max, sizeof(max), "2.%d", NOVA_MAX);
	v = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o}", "id", "v2.1", "status", "CURRENT", "version",
		      max, "min_version", "2.1", "updated", "2013-07-23T11:33:21Z", "links",
		      version_links(href));
	twin_resp_json(k->ctx->resp, 200, one ? json_pack("{s:o}", "version", v) :
		       json_pack("{s:[o]}", "versions", v));
}

static void image_versions(struct os_call *k)
{
	char href[500];

	snprintf(href, sizeof(href), "%s/%s/image/v2/", k->ctx->base, k->r->name);
	twin_resp_json(k->ctx->resp, 300, json_pack("{s:[{s:s,s:s,s:[{s:s,s:s}]}]}", "versions",
		"id", "v2.9", "status", "CURRENT", "links", "rel", "self", "href", href));
}

static void network_versions(struct os_call *k)
{
	char href[500];

	snprintf(href, sizeof(href), "%s/%s/network/v2.0/", k->ctx->base, k->r->name);
	twin_resp_json(k->ctx->resp, 200, json_pack("{s:[{s:s,s:s,s:[{s:s,s:s}]}]}", "versions",
		"id", "v2.0", "status", "CURRENT", "links", "rel", "self", "href", href));
}

/* ---- dispatch ------------------------------------------------------------------------------ */

/* Strip "/<word>" from the front of *p when it is a whole segment. */
static bool eat(const char **p, const char *word)
{
	size_t n = strlen(word);

	if ((*p)[0] != '/' || strncmp(*p + 1, word, n) != 0 || ((*p)[n + 1] && (*p)[n + 1] != '/'))
		return false;
	*p += n + 1;
	return true;
}

/* Nova microversion from either header; -1 after answering 406. */
static int microversion(struct os_call *k)
{
	const char *v = twin_req_header(k->ctx->req, "OpenStack-API-Version");
	const char *old = twin_req_header(k->ctx->req, "X-OpenStack-Nova-API-Version");
	int minor = NOVA_MIN;

	if (v && strncasecmp(v, "compute ", 8) == 0)
		v += 8;
	else
		v = old;
	if (v && strcmp(v, "latest") == 0)
		minor = NOVA_MAX;
	else if (v && (sscanf(v, "2.%d", &minor) != 1 || minor < NOVA_MIN || minor > NOVA_MAX))
		return nova_error(k, 406, "computeFault", "Version %s is not supported by the API. "
				  "Minimum is 2.%d and maximum is 2.%d.", v, NOVA_MIN, NOVA_MAX);
	k->micro = minor;
	twin_resp_header(k->ctx->resp, "OpenStack-API-Version", "compute 2.%d", minor);
	twin_resp_header(k->ctx->resp, "X-OpenStack-Nova-API-Version", "2.%d", minor);
	twin_resp_header(k->ctx->resp, "Vary", "OpenStack-API-Version, X-OpenStack-Nova-API-Version");
	return 0;
}

static void compute(struct os_call *k, const char *p)
{
	const char *m = k->ctx->req->method, *id;

	if (microversion(k))
		return;
	if (eat(&p, "servers")) {
		if ((!*p || strcmp(p, "/detail") == 0) && strcmp(m, "GET") == 0)
			return list_servers(k, *p != '\0');
		if (!*p && strcmp(m, "POST") == 0)
			return create_server(k);
		if (*p) {
			char sid[64];
			const char *slash = strchr(p + 1, '/');
			size_t n = slash ? (size_t)(slash - p - 1) : strlen(p + 1);

			snprintf(sid, sizeof(sid), "%.*s", (int)(n < 63 ? n : 63), p + 1);
			return one_server(k, sid, slash ? slash : "");
		}
	}
	id = p;
	if (eat(&id, "flavors"))
		return flavors(k, id);
	if (eat(&p, "images"))
		return nova_images(k, p);
	if (eat(&p, "os-keypairs"))
		return keypairs(k, p);
	if (strcmp(p, "/limits") == 0)
		return limits(k);
	if (strcmp(p, "/os-availability-zone") == 0 || strcmp(p, "/os-availability-zone/detail") == 0)
		return availability_zones(k);
	if (strcmp(p, "/os-networks") == 0) {
		json_t *n = network_json(k, "private");

		json_object_set(n, "label", json_object_get(n, "name"));
		json_object_set_new(n, "cidr", json_string("10.0.0.0/16"));
		return twin_resp_json(k->ctx->resp, 200, json_pack("{s:[o]}", "networks", n));
	}
	if (strcmp(p, "/os-security-groups") == 0)
		return twin_resp_json(k->ctx->resp, 200, json_pack("{s:[{s:s,s:s,s:s,s:s,s:[]}]}",
			"security_groups", "id", "1", "name", "default", "description", "default",
			"tenant_id", priv_of(k->c)->project_id, "rules"));
	nova_error(k, 404, "itemNotFound", "The resource could not be found.");
}

static void network(struct os_call *k, const char *p)
{
	if (!eat(&p, "v2.0"))
		return (void)neutron_error(k, 404, "HTTPNotFound", "The resource could not be found.");
	if (eat(&p, "networks"))
		return neutron_fixed(k, "networks", p);
	if (eat(&p, "subnets"))
		return neutron_fixed(k, "subnets", p);
	if (eat(&p, "security-groups"))
		return security_groups(k, p);
	if (eat(&p, "security-group-rules"))
		return rules(k, p);
	if (strcmp(p, "/ports") == 0)
		return ports(k);
	if (strcmp(p, "/floatingips") == 0)
		return twin_resp_json(k->ctx->resp, 200, json_pack("{s:[]}", "floatingips"));
	neutron_error(k, 404, "HTTPNotFound", "The resource could not be found.");
}

static void image(struct os_call *k, const char *p)
{
	if (eat(&p, "v2") && eat(&p, "images"))
		return glance_images(k, p);
	glance_error(k, 404, "The resource could not be found.");
}

/* Version documents are public, as the real services serve them. */
static bool is_version_doc(enum os_service svc, const char *rest)
{
	if (!*rest || strcmp(rest, "/") == 0)
		return true;
	return svc == SVC_COMPUTE && (strcmp(rest, "/v2.1") == 0 || strcmp(rest, "/v2.1/") == 0);
}

static void version_doc(struct os_call *k, const char *rest)
{
	if (k->svc == SVC_IMAGE)
		image_versions(k);
	else if (k->svc == SVC_NETWORK)
		network_versions(k);
	else if (microversion(k) == 0)
		compute_versions(k, *rest != '\0' && strcmp(rest, "/") != 0);
}

/* Parse a JSON body when there is one; 400 in the service's format. */
static int read_body(struct os_call *k)
{
	json_error_t err;

	if (!k->ctx->req->body.len)
		return 0;
	k->body = twin_req_json(k->ctx->req, &err);
	if (k->body && json_is_object(k->body))
		return 0;
	os_fail(k->ctx, TWIN_FAIL_BAD_REQUEST, "Malformed request body");
	return -1;
}

static void os_handle(struct twin_ctx *ctx)
{
	struct os_call k = { .ctx = ctx, .c = ctx->cloud };
	static const char *const roots[] = { "", "compute/v2.1", "image", "network" };
	char region[64] = "";
	const char *rest = "";

	k.svc = service_of(ctx->path, &rest, region, sizeof(region));
	if (k.svc == SVC_NONE || read_body(&k))
		goto out;
	if (k.svc == SVC_IDENTITY) {
		identity(&k, rest);
		goto out;
	}
	k.r = twin_cloud_region(k.c, region, &k.region);
	if (!k.r) {
		os_fail(ctx, TWIN_FAIL_NOT_FOUND, "No such region.");
		goto out;
	}
	snprintf(k.svc_base, sizeof(k.svc_base), "%s/%s/%s", ctx->base, region, roots[k.svc]);
	if (is_version_doc(k.svc, rest)) {
		version_doc(&k, rest);
	} else if (check_token(&k) == 0) {
		if (k.svc == SVC_COMPUTE && eat(&rest, "v2.1"))
			compute(&k, rest);
		else if (k.svc == SVC_COMPUTE)
			os_fail(ctx, TWIN_FAIL_NOT_FOUND, NULL);
		else if (k.svc == SVC_IMAGE)
			image(&k, rest);
		else
			network(&k, rest);
	}
out:
	if (k.svc == SVC_NONE)
		keystone_error(&k, 404, "Not Found", "The resource could not be found.");
	json_decref(k.body);
}

/* ---- setup and description ---------------------------------------------------------------- */

static int os_setup(struct twin_server *srv, struct twin_cloud *c, struct sbuf *err)
{
	struct os_priv *p = calloc(1, sizeof(*p));

	(void)srv;
	(void)err;
	if (!p)
		return -ENOMEM;
	c->priv = p;
	stable_hex(c, "user", p->user_id);
	stable_hex(c, "project", p->project_id);
	return 0;
}

static int os_restore(struct twin_cloud *c)
{
	ensure_default_groups(c);
	return 0;
}

static void os_cleanup(struct twin_cloud *c)
{
	free(c->priv);
	c->priv = NULL;
}

static int os_describe(struct twin_server *srv, const struct twin_cloud *c, json_t *out)
{
	const json_t *cred = twin_cloud_cred(c);
	char ep[512];

	snprintf(ep, sizeof(ep), "%s/%s/identity/v3", twin_server_http_url(srv), c->name);
	return json_object_update_new(out, json_pack("{s:s,s:s,s:{s:O,s:O,s:O,s:O}}", "endpoint",
		ep, "auth_endpoint", ep, "credential", "username", json_object_get(cred, "username"),
		"password", json_object_get(cred, "password"), "project",
		json_object_get(cred, "project"), "domain", json_object_get(cred, "domain")));
}

static int os_adopt(struct twin_cloud *c, struct twin_vm *vm)
{
	(void)c;
	hash_uuid4(vm->id);
	json_object_set_new(vm->extra, "security_groups", json_pack("[s]", "default"));
	return 0;
}

const struct twin_dialect twin_openstack_dialect = {
	.name = "openstack",
	.handle = os_handle,
	.fail = os_fail,
	.setup = os_setup,
	.cleanup = os_cleanup,
	.describe = os_describe,
	.status = os_status,
	.adopt = os_adopt,
	.restore = os_restore,
};
