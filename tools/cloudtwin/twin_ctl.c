/*
 * twin_ctl.c - the /_twin/ control API; see twin_ctl.h.
 *
 * Inventory and settings are read under each cloud's lock and rendered
 * after it is released where possible; a cloud with 10,000 VMs is
 * rendered in one pass.  Errors are {"error": "<reason>"} with 400, 404
 * or 405.
 */
#include "tools/cloudtwin/twin_ctl.h"

#include <string.h>

#include "lib/clock.h"
#include "tools/cloudtwin/twin_server.h"

#define CTL_PREFIX "/_twin"

bool twin_ctl_match(const char *path)
{
	size_t n = strlen(CTL_PREFIX);

	return strncmp(path, CTL_PREFIX, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

static void ctl_error(struct twin_ctx *ctx, int status, const char *msg)
{
	twin_resp_json(ctx->resp, status, json_pack("{s:s}", "error", msg));
}

static json_t *describe(struct twin_ctx *ctx, const struct twin_cloud *c)
{
	const struct twin_region *r = &c->regions[0];
	json_t *regions = json_array(), *out;

	for (size_t i = 0; regions && i < c->nregions; i++) {
		json_t *zones = json_array();

		for (size_t z = 0; zones && z < c->regions[i].nzones; z++)
			json_array_append_new(zones, json_string(c->regions[i].zones[z]));
		json_array_append_new(regions, json_pack("{s:s,s:o*}", "name", c->regions[i].name,
							 "zones", zones));
	}
	out = json_pack("{s:s,s:s,s:s,s:s,s:s,s:o*}", "name", c->name, "dialect", c->dialect->name,
			"driver", c->dialect->name, "region", r->name, "zone", r->zones[0],
			"regions", regions);
	if (out && c->dialect->describe(ctx->srv, c, out)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

static json_t *user_data_json(const struct twin_vm *vm)
{
	json_t *s;

	if (!vm->user_data)
		return json_null();
	s = json_stringn(vm->user_data, vm->user_data_len);
	return s ? s : json_string("(binary user data)");
}

static json_t *vm_json(const struct twin_cloud *c, const struct twin_vm *vm)
{
	char created[40];

	clock_rfc3339(vm->created_ms, 0, created, sizeof(created));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:o,s:s,s:s,s:s,s:s}",
		"id", vm->id, "name", vm->name, "status", c->dialect->status(vm),
		"state", twin_cloud_state_name(vm->state), "region", c->regions[vm->region].name,
		"zone", vm->zone, "spec", vm->spec ? vm->spec->name : "", "image", vm->image,
		"tags", vm->tags, "user_data", user_data_json(vm), "client_token", vm->token,
		"private_ip", vm->private_ip, "public_ip", vm->public_ip, "created", created);
}

static json_t *inventory(struct twin_cloud *c, int64_t now)
{
	json_t *vms = json_array();

	twin_cloud_lock(c);
	for (size_t i = 0; vms && i < twin_cloud_nvms(c); i++)
		json_array_append_new(vms, vm_json(c, twin_cloud_vm_at(c, i, now)));
	twin_cloud_unlock(c);
	return json_pack("{s:s,s:s,s:o*}", "cloud", c->name, "dialect", c->dialect->name, "vms", vms);
}

static void get_clouds(struct twin_ctx *ctx)
{
	json_t *all = json_array();

	for (size_t i = 0; all && i < twin_server_nclouds(ctx->srv); i++)
		json_array_append_new(all, describe(ctx, twin_server_cloud_at(ctx->srv, i)));
	twin_resp_json(ctx->resp, 200, all);
}

static void get_inventory(struct twin_ctx *ctx)
{
	json_t *all = json_object();

	for (size_t i = 0; all && i < twin_server_nclouds(ctx->srv); i++) {
		struct twin_cloud *c = twin_server_cloud_at(ctx->srv, i);

		json_object_set_new(all, c->name, inventory(c, ctx->now));
	}
	twin_resp_json(ctx->resp, 200, all);
}

static void set_faults(struct twin_ctx *ctx, struct twin_cloud *c)
{
	json_error_t jerr;
	json_t *patch = twin_req_json(ctx->req, &jerr);
	struct sbuf err = SBUF_INIT;
	int rc;

	if (!patch) {
		ctl_error(ctx, 400, "body must be a JSON object of settings");
		return;
	}
	twin_cloud_lock(c);
	rc = twin_cloud_set_settings(c, patch, &err);
	twin_cloud_unlock(c);
	json_decref(patch);
	if (rc)
		ctl_error(ctx, 400, sbuf_str(&err));
	sbuf_release(&err);
}

static json_t *stats(struct twin_cloud *c)
{
	json_t *o;

	twin_cloud_lock(c);
	o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "requests", (json_int_t)c->stats.requests,
		      "throttled", (json_int_t)c->stats.throttled, "errors",
		      (json_int_t)c->stats.errors, "drops", (json_int_t)c->stats.drops, "stalls",
		      (json_int_t)c->stats.stalls, "vms", (json_int_t)twin_cloud_nvms(c));
	twin_cloud_unlock(c);
	return o;
}

/* Reset one cloud (c) or all (c NULL) and answer. */
static void reset(struct twin_ctx *ctx, struct twin_cloud *c)
{
	struct sbuf err = SBUF_INIT;
	size_t n = c ? 1 : twin_server_nclouds(ctx->srv);
	int rc = 0;

	for (size_t i = 0; !rc && i < n; i++)
		rc = twin_server_reset_cloud(ctx->srv, c ? c : twin_server_cloud_at(ctx->srv, i),
					     &err);
	if (rc)
		ctl_error(ctx, 500, err.len ? sbuf_str(&err) : "reset failed");
	else
		twin_resp_json(ctx->resp, 200, json_pack("{s:s}", "reset", c ? c->name : "all"));
	sbuf_release(&err);
}

static bool is(const struct twin_ctx *ctx, const char *method)
{
	return strcmp(ctx->req->method, method) == 0;
}

static bool known_endpoint(const char *what)
{
	static const char *const names[] = { "", "inventory", "stats", "faults", "reset" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i], what) == 0)
			return true;
	}
	return false;
}

/* /_twin/clouds/{c}[/what] */
static void one_cloud(struct twin_ctx *ctx, struct twin_cloud *c, const char *what)
{
	bool get = is(ctx, "GET");

	if (!*what && get) {
		twin_resp_json(ctx->resp, 200, describe(ctx, c));
	} else if (strcmp(what, "inventory") == 0 && get) {
		twin_resp_json(ctx->resp, 200, inventory(c, ctx->now));
	} else if (strcmp(what, "stats") == 0 && get) {
		twin_resp_json(ctx->resp, 200, stats(c));
	} else if (strcmp(what, "faults") == 0 && (get || is(ctx, "PUT") || is(ctx, "PATCH") ||
						    is(ctx, "POST"))) {
		if (!get)
			set_faults(ctx, c);
		if (get || !ctx->resp->status) {
			twin_cloud_lock(c);
			twin_resp_json(ctx->resp, 200, twin_cloud_settings(c));
			twin_cloud_unlock(c);
		}
	} else if (strcmp(what, "reset") == 0 && is(ctx, "POST")) {
		reset(ctx, c);
	} else {
		ctl_error(ctx, known_endpoint(what) ? 405 : 404, "no such control endpoint or method");
	}
}

static void clouds_path(struct twin_ctx *ctx, const char *rest)
{
	char name[64];
	const char *slash = strchr(rest, '/');
	size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
	struct twin_cloud *c;

	if (n == 0 || n >= sizeof(name)) {
		ctl_error(ctx, 404, "no such cloud");
		return;
	}
	memcpy(name, rest, n);
	name[n] = '\0';
	c = twin_server_cloud(ctx->srv, name);
	if (!c) {
		ctl_error(ctx, 404, "no such cloud");
		return;
	}
	one_cloud(ctx, c, slash ? slash + 1 : "");
}

static void health(struct twin_ctx *ctx)
{
	const char *https = twin_server_https_url(ctx->srv);
	const char *ca = twin_server_ca_file(ctx->srv);

	twin_resp_json(ctx->resp, 200, json_pack("{s:s,s:I,s:s?,s:s?,s:s?}", "status", "ok",
		"clouds", (json_int_t)twin_server_nclouds(ctx->srv),
		"http", twin_server_http_url(ctx->srv), "https", https, "ca_file", ca));
}

void twin_ctl_handle(struct twin_ctx *ctx)
{
	const char *p = ctx->path + strlen(CTL_PREFIX);

	if (*p == '/')
		p++;
	if (strcmp(p, "health") == 0 && is(ctx, "GET")) {
		health(ctx);
	} else if (strcmp(p, "clouds") == 0 && is(ctx, "GET")) {
		get_clouds(ctx);
	} else if (strncmp(p, "clouds/", 7) == 0) {
		clouds_path(ctx, p + 7);
	} else if (strcmp(p, "inventory") == 0 && is(ctx, "GET")) {
		get_inventory(ctx);
	} else if (strcmp(p, "reset") == 0 && is(ctx, "POST")) {
		reset(ctx, NULL);
	} else {
		ctl_error(ctx, 404, "no such control endpoint or method");
	}
}
