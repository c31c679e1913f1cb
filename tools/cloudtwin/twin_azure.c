/*
 * twin_azure.c - Azure: AAD v1 and v2 client-credentials tokens, the OIDC
 * discovery document and MSAL's instance discovery, and Resource Manager:
 * subscriptions, locations, resource groups, virtualMachines (PUT create or
 * update, GET with instanceView, list with nextLink, DELETE, start,
 * powerOff, restart, deallocate), vmSizes, the publisher/offer/sku/version
 * image tree, and the Microsoft.Network resources a VM needs (virtual
 * networks with subnets, NICs, public IPs, security groups).
 *
 * Long operations answer 201/202 with Azure-AsyncOperation (status
 * document) and Location (202 until done) headers and Retry-After; the
 * model's delays decide when they finish.  Paths are matched without
 * regard to case, as ARM does (libcloud asks for ".../InstanceView").
 * Any api-version is accepted, but one is required.
 *
 * Served on both listeners; real clients need the TLS one (libcloud only
 * speaks to port 443; the JS SDK refuses bearer tokens over http).
 * Errors are ARM's {"error": {"code", "message"}} and AAD's
 * {"error", "error_description", "error_codes"}.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drivers/common/codec.h"
#include "drivers/common/hash.h"
#include "lib/clock.h"
#include "tools/cloudtwin/twin_dialect.h"
#include "tools/cloudtwin/twin_rand.h"
#include "tools/cloudtwin/twin_server.h"
#include "tools/cloudtwin/twin_token.h"

#define MAX_SEGS 20
#define PAGE 100
#define USER_DATA_MAX 87380	/* customData: 64 KiB once decoded */
#define RG_KIND "az-rg"
#define NET_KIND "az-net"	/* every Microsoft.Network resource, by lowercase id */
#define COMPUTE "Microsoft.Compute"

struct az_priv {
	const char *tenant, *client_id, *secret, *sub, *rg;	/* borrowed from conf */
};

/* One ARM or AAD call in progress. */
struct az_call {
	struct twin_ctx *ctx;
	struct twin_cloud *c;
	char *orig[MAX_SEGS];		/* path segments as sent */
	char *low[MAX_SEGS];		/* the same, lower case */
	size_t n;
	char buf[2][1024];		/* storage for the segments */
	json_t *body;
	char sub_url[600];		/* <base>/subscriptions/<s> */
};

static const struct az_priv *priv_of(const struct twin_cloud *c)
{
	return c->priv;
}

/* ---- replies ---------------------------------------------------------------------- */

static int arm_error(struct twin_ctx *ctx, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int arm_error(struct twin_ctx *ctx, int status, const char *code, const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	twin_resp_json(ctx->resp, status, json_pack("{s:{s:s,s:s}}", "error", "code", code,
						    "message", sbuf_str(&msg)));
	sbuf_release(&msg);
	return -1;
}

static void aad_error(struct twin_ctx *ctx, int status, const char *error, int code, const char *desc)
{
	char when[40], text[512];

	clock_rfc3339(clock_wall_ms(), 0, when, sizeof(when));
	snprintf(text, sizeof(text), "AADSTS%d: %s\r\nTrace ID: %s\r\nTimestamp: %s", code, desc,
		 ctx->request_id, when);
	twin_resp_json(ctx->resp, status, json_pack("{s:s,s:s,s:[i],s:s,s:s,s:s}", "error", error,
		"error_description", text, "error_codes", code, "timestamp", when, "trace_id",
		ctx->request_id, "correlation_id", ctx->request_id));
}

static void az_fail(struct twin_ctx *ctx, enum twin_fail kind, const char *message)
{
	switch (kind) {
	case TWIN_FAIL_THROTTLED:
		twin_resp_header(ctx->resp, "Retry-After", "2");
		arm_error(ctx, 429, "TooManyRequests", "%s", message ? message : "The request is "
			  "being throttled as the limit has been reached for operation type - Read_"
			  "ObservationWindow_00:05:00. For more information, see - https://aka.ms/"
			  "throttling");
		break;
	case TWIN_FAIL_TOO_LARGE:
		arm_error(ctx, 413, "RequestContentTooLarge", "%s", message ? message :
			  "The request content size exceeds the maximum size of 4 MB.");
		break;
	case TWIN_FAIL_NOT_FOUND:
		arm_error(ctx, 404, "ResourceNotFound", "%s", message ? message :
			  "The requested resource was not found.");
		break;
	case TWIN_FAIL_BAD_REQUEST:
		arm_error(ctx, 400, "InvalidRequestContent", "%s", message ? message :
			  "The request content was invalid and could not be deserialized.");
		break;
	default:
		arm_error(ctx, 500, "InternalServerError", "%s", message ? message :
			  "Encountered internal server error. Diagnostic information: tracking id "
			  "'unavailable'.");
	}
}

static void send(struct az_call *k, int status, json_t *doc)
{
	twin_resp_header(k->ctx->resp, "x-ms-request-id", "%s", k->ctx->request_id);
	twin_resp_header(k->ctx->resp, "x-ms-correlation-request-id", "%s", k->ctx->request_id);
	twin_resp_json(k->ctx->resp, status, doc);
}

static bool is(const struct az_call *k, const char *method)
{
	return strcmp(k->ctx->req->method, method) == 0;
}

static bool seg(const struct az_call *k, size_t i, const char *word)
{
	return i < k->n && strcmp(k->low[i], word) == 0;
}

/* ---- path parsing ----------------------------------------------------------------- */

static int split(struct az_call *k, const char *path)
{
	size_t len = strlen(path);
	char *o = k->buf[0], *l = k->buf[1];

	if (len >= sizeof(k->buf[0]))
		return -E2BIG;
	memcpy(o, path, len + 1);
	for (size_t i = 0; i <= len; i++)
		l[i] = (char)tolower((unsigned char)o[i]);
	for (size_t i = 0; i < len; i++) {
		if (o[i] != '/')
			continue;
		o[i] = l[i] = '\0';
		if (!o[i + 1])
			continue;
		if (k->n == MAX_SEGS)
			return -E2BIG;
		k->orig[k->n] = o + i + 1;
		k->low[k->n++] = l + i + 1;
	}
	return 0;
}

/* ---- AAD ------------------------------------------------------------------------------ */

static json_t *credential_for(const struct twin_cloud *c, const char *client_id)
{
	size_t i;
	json_t *cr;

	json_array_foreach(c->creds, i, cr) {
		if (client_id && !strcmp(client_id, json_string_value(json_object_get(cr, "client_id"))))
			return cr;
	}
	return NULL;
}

/* AAD v1 writes every number as a string. */
static json_t *v1_token(const struct twin_cloud *c, int64_t now, const char *resource,
			const char *token)
{
	char in[24], on[24], nbf[24];

	snprintf(in, sizeof(in), "%lld", (long long)c->token_ttl_s - 1);
	snprintf(on, sizeof(on), "%lld", (long long)(now + c->token_ttl_s - 1));
	snprintf(nbf, sizeof(nbf), "%lld", (long long)now);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}", "token_type", "Bearer", "expires_in", in,
			 "ext_expires_in", in, "expires_on", on, "not_before", nbf, "resource",
			 resource, "access_token", token);
}

static void issue_token(struct az_call *k, bool v2)
{
	struct params p = PARAMS_INIT;
	const char *grant, *cid, *secret, *resource;
	struct sbuf tok = SBUF_INIT;
	int64_t now = clock_wall_ms() / 1000;
	json_t *cr, *claims;

	twin_req_params(k->ctx->req, &p);
	grant = params_get(&p, "grant_type");
	cid = params_get(&p, "client_id");
	secret = params_get(&p, "client_secret");
	resource = params_get(&p, v2 ? "scope" : "resource");
	cr = credential_for(k->c, cid);
	if (!grant || strcmp(grant, "client_credentials")) {
		aad_error(k->ctx, 400, "unsupported_grant_type", 70003, "The app requested an "
			  "unsupported grant type.");
	} else if (!cr) {
		aad_error(k->ctx, 400, "unauthorized_client", 700016, "Application with identifier "
			  "was not found in the directory.");
	} else if (!secret || !hash_equal(secret, json_string_value(json_object_get(cr,
							"client_secret")))) {
		aad_error(k->ctx, 401, "invalid_client", 7000215, "Invalid client secret provided. "
			  "Ensure the secret being sent in the request is the client secret value, "
			  "not the client secret ID.");
	} else if (!resource || !*resource) {
		aad_error(k->ctx, 400, "invalid_request", 900144, v2 ? "The request body must "
			  "contain the following parameter: 'scope'." : "The request body must contain "
			  "the following parameter: 'resource'.");
	} else {
		claims = json_pack("{s:s,s:s,s:s,s:s,s:s}", "aud", resource, "iss",
			"https://sts.windows.net/", "tid", priv_of(k->c)->tenant, "appid", cid,
			"oid", cid);
		twin_token_issue(&tok, twin_server_token_key(k->ctx->srv), "", k->c->index, now,
				 k->c->token_ttl_s, claims);
		json_decref(claims);
		send(k, 200, v2 ? json_pack("{s:s,s:I,s:I,s:s}", "token_type", "Bearer",
			"expires_in", (json_int_t)k->c->token_ttl_s - 1, "ext_expires_in",
			(json_int_t)k->c->token_ttl_s - 1, "access_token", sbuf_str(&tok)) :
			v1_token(k->c, now, resource, sbuf_str(&tok)));
	}
	sbuf_release(&tok);
	params_release(&p);
}

static json_t *oidc_document(struct az_call *k, const char *tenant)
{
	char base[700];

	snprintf(base, sizeof(base), "%s/%s", k->ctx->root, tenant);
	return json_pack("{s:s+,s:[s,s,s],s:s+,s:[s,s,s],s:[s],s:[s],s:[s,s,s,s],s:[s,s,s,s],"
			 "s:s+,s:b,s:s+,s:s+,s:s+,s:b,s:b,s:s+,s:s,s:s,s:s,s:s}",
		"token_endpoint", base, "/oauth2/v2.0/token", "token_endpoint_auth_methods_supported",
		"client_secret_post", "private_key_jwt", "client_secret_basic", "jwks_uri", base,
		"/discovery/v2.0/keys", "response_modes_supported", "query", "fragment", "form_post",
		"subject_types_supported", "pairwise", "id_token_signing_alg_values_supported",
		"RS256", "response_types_supported", "code", "id_token", "code id_token",
		"id_token token", "scopes_supported", "openid", "profile", "email", "offline_access",
		"issuer", base, "/v2.0", "request_uri_parameter_supported", 0, "userinfo_endpoint",
		base, "/openid/userinfo", "authorization_endpoint", base, "/oauth2/v2.0/authorize",
		"device_authorization_endpoint", base, "/oauth2/v2.0/devicecode",
		"http_logout_supported", 1, "frontchannel_logout_supported", 1,
		"end_session_endpoint", base, "/oauth2/v2.0/logout", "tenant_region_scope", "NA",
		"cloud_instance_name", "microsoftonline.com", "cloud_graph_host_name",
		"graph.windows.net", "msgraph_host", "graph.microsoft.com");
}

static void instance_discovery(struct az_call *k)
{
	const char *host = twin_req_header(k->ctx->req, "Host");
	char disc[700];

	snprintf(disc, sizeof(disc), "%s/%s/v2.0/.well-known/openid-configuration", k->ctx->root,
		 priv_of(k->c)->tenant);
	send(k, 200, json_pack("{s:s,s:s,s:[{s:s,s:s,s:[s]}]}", "tenant_discovery_endpoint", disc,
		"api-version", "1.1", "metadata", "preferred_network", host ? host : "localhost",
		"preferred_cache", host ? host : "localhost", "aliases", host ? host : "localhost"));
}

/* AAD paths; true when the request was one. */
static bool aad(struct az_call *k)
{
	if (seg(k, 0, "common") && seg(k, 1, "discovery") && seg(k, 2, "instance")) {
		instance_discovery(k);
	} else if (k->n == 3 && seg(k, 1, "oauth2") && seg(k, 2, "token") && is(k, "POST")) {
		issue_token(k, false);
	} else if (k->n == 4 && seg(k, 1, "oauth2") && seg(k, 2, "v2.0") && seg(k, 3, "token") &&
		   is(k, "POST")) {
		issue_token(k, true);
	} else if ((k->n == 4 && seg(k, 1, "v2.0") && seg(k, 2, ".well-known") &&
		    seg(k, 3, "openid-configuration")) ||
		   (k->n == 3 && seg(k, 1, ".well-known") && seg(k, 2, "openid-configuration"))) {
		send(k, 200, oidc_document(k, k->orig[0]));
	} else if (seg(k, 1, "discovery") && seg(k, k->n - 1, "keys")) {
		send(k, 200, json_pack("{s:[]}", "keys"));
	} else {
		return false;
	}
	return true;
}

/* Bearer check; 0 or -1 after answering 401. */
static int authenticate(struct az_call *k)
{
	const char *tok = twin_req_bearer(k->ctx->req);
	unsigned idx = 0;
	int rc;

	twin_resp_header(k->ctx->resp, "WWW-Authenticate", "Bearer authorization_uri=\"%s/%s\", "
			 "error=\"invalid_token\", error_description=\"The access token is invalid.\"",
			 k->ctx->root, priv_of(k->c)->tenant);
	if (!tok)
		return arm_error(k->ctx, 401, "AuthenticationFailed", "Authentication failed. The "
				 "'Authorization' header is missing.");
	rc = twin_token_check(tok, twin_server_token_key(k->ctx->srv), "", clock_wall_ms() / 1000,
			      &idx);
	if (rc == -EKEYEXPIRED)
		return arm_error(k->ctx, 401, "ExpiredAuthenticationToken", "The access token "
				 "expiry UTC time is earlier than current UTC time.");
	if (rc || idx != k->c->index)
		return arm_error(k->ctx, 401, "InvalidAuthenticationToken", "The access token is "
				 "invalid.");
	return 0;
}

/* ---- subscriptions, locations, resource groups ---------------------------------------------- */

static json_t *subscription_json(const struct az_call *k)
{
	char id[128], name[128];

	snprintf(id, sizeof(id), "/subscriptions/%s", priv_of(k->c)->sub);
	snprintf(name, sizeof(name), "cloudtwin %s", k->c->name);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s,s:s},s:s}", "id", id, "subscriptionId",
		priv_of(k->c)->sub, "tenantId", priv_of(k->c)->tenant, "displayName", name, "state",
		"Enabled", "subscriptionPolicies", "locationPlacementId", "Public_2014-09-01",
		"quotaId", "PayAsYouGo_2014-09-01", "spendingLimit", "Off", "authorizationSource",
		"RoleBased");
}

static json_t *locations_json(const struct az_call *k)
{
	json_t *v = json_array();

	for (size_t i = 0; i < k->c->nregions; i++) {
		const struct twin_region *r = &k->c->regions[i];
		char id[256];

		snprintf(id, sizeof(id), "/subscriptions/%s/locations/%s", priv_of(k->c)->sub, r->name);
		json_array_append_new(v, json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:s}}", "id", id, "name",
			r->name, "displayName", r->display, "regionalDisplayName", r->display,
			"metadata", "regionType", "Physical", "regionCategory", "Recommended"));
	}
	return json_pack("{s:o}", "value", v);
}

static const struct twin_region *location(const struct twin_cloud *c, const char *name,
					  size_t *idx)
{
	for (size_t i = 0; name && i < c->nregions; i++) {
		if (!strcasecmp(c->regions[i].name, name)) {
			*idx = i;
			return &c->regions[i];
		}
	}
	return NULL;
}

static json_t *provider_json(const struct az_call *k)
{
	json_t *locs = json_array();
	char id[128];

	for (size_t i = 0; i < k->c->nregions; i++)
		json_array_append_new(locs, json_string(k->c->regions[i].display));
	snprintf(id, sizeof(id), "/subscriptions/%s/providers/%s", priv_of(k->c)->sub, COMPUTE);
	return json_pack("{s:s,s:s,s:s,s:[{s:s,s:o,s:[s,s,s]},{s:s,s:O,s:[s]}]}", "id", id,
		"namespace", COMPUTE, "registrationState", "Registered", "resourceTypes",
		"resourceType", "virtualMachines", "locations", locs, "apiVersions", "2023-09-01",
		"2020-06-01", "2015-06-15", "resourceType", "locations/vmSizes", "locations", locs,
		"apiVersions", "2023-09-01");
}

/* A new reference to obj's "tags" when it is an object, else to {}. */
static json_t *tags_of(const json_t *obj)
{
	json_t *t = json_object_get(obj, "tags");

	return json_is_object(t) ? json_incref(t) : json_object();
}

static json_t *rg_json(const struct az_call *k, const char *name, const json_t *rec)
{
	char id[300];

	snprintf(id, sizeof(id), "/subscriptions/%s/resourceGroups/%s", priv_of(k->c)->sub, name);
	return json_pack("{s:s,s:s,s:s,s:O,s:{s:s},s:o}", "id", id, "name", name, "type",
		"Microsoft.Resources/resourceGroups", "location", json_object_get(rec, "location"),
		"properties", "provisioningState", "Succeeded", "tags", tags_of(rec));
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* The stored group record (lock held) or NULL. */
static json_t *find_rg(struct az_call *k, const char *name)
{
	char key[200];

	snprintf(key, sizeof(key), "%s", name);
	lower(key);
	return twin_cloud_res_get(k->c, RG_KIND, key);
}

static void put_rg(struct az_call *k, const char *name)
{
	const char *loc = json_string_value(json_object_get(k->body, "location"));
	size_t r;
	char key[200];
	json_t *old;

	if (!location(k->c, loc, &r))
		return (void)arm_error(k->ctx, 400, "LocationNotAvailableForResourceGroup", "The "
				       "provided location '%s' is not available for resource group.",
				       loc ? loc : "");
	snprintf(key, sizeof(key), "%s", name);
	lower(key);
	old = twin_cloud_res_get(k->c, RG_KIND, key);
	twin_cloud_res_put(k->c, RG_KIND, key, json_pack("{s:s,s:s,s:o}", "name", name, "location",
		k->c->regions[r].name, "tags", tags_of(k->body)));
	send(k, old ? 200 : 201, rg_json(k, name, twin_cloud_res_get(k->c, RG_KIND, key)));
}

static void resource_groups(struct az_call *k)
{
	json_t *v, *rec;
	const char *key;

	twin_cloud_lock(k->c);
	if (k->n == 3) {
		v = json_array();
		json_object_foreach(twin_cloud_res_all(k->c, RG_KIND), key, rec)
			json_array_append_new(v, rg_json(k, json_string_value(json_object_get(rec,
								"name")), rec));
		send(k, 200, json_pack("{s:o}", "value", v));
	} else if (is(k, "PUT")) {
		put_rg(k, k->orig[3]);
	} else if (!(rec = find_rg(k, k->orig[3]))) {
		arm_error(k->ctx, 404, "ResourceGroupNotFound",
			  "Resource group '%s' could not be found.", k->orig[3]);
	} else if (is(k, "DELETE")) {
		twin_cloud_res_del(k->c, RG_KIND, k->low[3]);
		send(k, 202, NULL);
	} else {
		send(k, 200, rg_json(k, json_string_value(json_object_get(rec, "name")), rec));
	}
	twin_cloud_unlock(k->c);
}

/* ---- images and sizes ------------------------------------------------------------------------- */

/* One part of an image URN "publisher:offer:sku:version" (0-3) into out. */
static const char *urn_part(const char *urn, int part, char *out, size_t len)
{
	const char *p = urn;

	for (int i = 0; i < part && p; i++) {
		p = strchr(p, ':');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return NULL;
	snprintf(out, len, "%.*s", (int)strcspn(p, ":"), p);
	return out;
}

/* Does image m match the given parts (NULL = any), case-insensitively? */
static bool urn_match(const struct twin_image *m, const char *const want[4])
{
	for (int i = 0; i < 4; i++) {
		char part[128];

		if (want[i] && (!urn_part(m->id, i, part, sizeof(part)) || strcasecmp(part, want[i])))
			return false;
	}
	return true;
}

/* The image tree: publishers, offers, skus, versions, one version. */
static void image_tree(struct az_call *k, const char *loc)
{
	static const size_t depth_at[] = { 7, 11, 13, 15, 16 };
	static const char *const names[] = { "Publishers", "Offers", "Skus", "Versions" };
	const char *want[4] = { k->n > 7 ? k->orig[7] : NULL, k->n > 11 ? k->orig[11] : NULL,
				k->n > 13 ? k->orig[13] : NULL, k->n > 15 ? k->orig[15] : NULL };
	json_t *seen = json_object(), *out = json_array();
	int level;

	for (level = 0; level < 5 && depth_at[level] != k->n; level++)
		;
	if (level == 5 || (k->n >= 9 && !(seg(k, 8, "artifacttypes") && seg(k, 9, "vmimage")))) {
		json_decref(seen);
		json_decref(out);
		return (void)arm_error(k->ctx, 404, "NotFound", "Artifact not found.");
	}
	for (size_t i = 0; i < k->c->nimages; i++) {
		const struct twin_image *m = &k->c->images[i];
		char part[128], id[900], lc[128];
		struct sbuf path = SBUF_INIT;

		if (!urn_match(m, want) || level == 4)
			continue;
		urn_part(m->id, level, part, sizeof(part));
		snprintf(lc, sizeof(lc), "%s", part);
		lower(lc);
		if (json_object_get(seen, lc))
			continue;
		json_object_set_new(seen, lc, json_true());
		sbuf_addf(&path, "/Subscriptions/%s/Providers/Microsoft.Compute/Locations/%s",
			  priv_of(k->c)->sub, loc);
		for (int l = 0; l < level; l++)
			sbuf_addf(&path, "/%s/%s%s", names[l], want[l], l == 0 ? "/ArtifactTypes/VMImage" : "");
		snprintf(id, sizeof(id), "%s/%s/%s", sbuf_str(&path), names[level], part);
		sbuf_release(&path);
		json_array_append_new(out, json_pack("{s:s,s:s,s:s}", "location", loc, "name", part,
						     "id", id));
	}
	json_decref(seen);
	if (level < 4)
		return send(k, 200, out);
	json_decref(out);
	for (size_t i = 0; i < k->c->nimages; i++) {
		if (urn_match(&k->c->images[i], want) || (!strcasecmp(want[3], "latest") &&
		    urn_match(&k->c->images[i], (const char *[4]){ want[0], want[1], want[2], NULL })))
			return send(k, 200, json_pack("{s:{s:{s:s},s:{s:s},s:s},s:s,s:s}", "properties",
				"osDiskImage", "operatingSystem", "Linux", "hyperVGeneration", "V2",
				"architecture", strcmp(k->c->images[i].arch, "arm64") ? "x64" : "Arm64",
				"location", loc, "name", want[3]));
	}
	arm_error(k->ctx, 404, "ImageVersionNotFound", "Artifact: VMImage was not found.");
}

static void vm_sizes(struct az_call *k)
{
	json_t *v = json_array();

	for (size_t i = 0; i < k->c->nspecs; i++) {
		const struct twin_spec *s = &k->c->specs[i];

		json_array_append_new(v, json_pack("{s:s,s:i,s:i,s:i,s:i,s:i}", "name", s->name,
			"numberOfCores", s->vcpus, "osDiskSizeInMB", 1047552, "resourceDiskSizeInMB",
			s->disk_gib * 1024, "memoryInMB", s->mem_mib, "maxDataDiskCount",
			s->vcpus * 2 > 64 ? 64 : s->vcpus * 2));
	}
	send(k, 200, json_pack("{s:o}", "value", v));
}

/* ---- virtual machines: rendering --------------------------------------------------------------- */

static const char *provisioning(const struct twin_vm *vm)
{
	switch (vm->state) {
	case TWIN_VM_PENDING: return "Creating";
	case TWIN_VM_STARTING:
	case TWIN_VM_STOPPING:
	case TWIN_VM_REBOOTING: return "Updating";
	case TWIN_VM_TERMINATING: return "Deleting";
	default: return "Succeeded";
	}
}

static const char *power(const struct twin_vm *vm)
{
	switch (vm->state) {
	case TWIN_VM_PENDING:
	case TWIN_VM_STARTING: return "starting";
	case TWIN_VM_STOPPING: return vm->deallocated ? "deallocating" : "stopping";
	case TWIN_VM_STOPPED: return vm->deallocated ? "deallocated" : "stopped";
	case TWIN_VM_TERMINATING:
	case TWIN_VM_TERMINATED: return "unknown";
	default: return "running";
	}
}

static const char *az_status(const struct twin_vm *vm)
{
	static const char *const words[] = {
		[TWIN_VM_PENDING] = "Creating/starting", [TWIN_VM_RUNNING] = "Succeeded/running",
		[TWIN_VM_STOPPING] = "Updating/stopping", [TWIN_VM_STOPPED] = "Succeeded/stopped",
		[TWIN_VM_STARTING] = "Updating/starting", [TWIN_VM_REBOOTING] = "Updating/running",
		[TWIN_VM_TERMINATING] = "Deleting/unknown", [TWIN_VM_TERMINATED] = "Deleted",
	};

	if (vm->deallocated && vm->state == TWIN_VM_STOPPED)
		return "Succeeded/deallocated";
	if (vm->deallocated && vm->state == TWIN_VM_STOPPING)
		return "Updating/deallocating";
	return words[vm->state];
}

static void display(const char *code, char *out, size_t len)
{
	const char *slash = strchr(code, '/');

	if (!strncmp(code, "ProvisioningState", 17))
		snprintf(out, len, "Provisioning %s", slash + 1);
	else
		snprintf(out, len, "VM %s", slash + 1);
}

static json_t *instance_view(const struct twin_vm *vm)
{
	char prov[64], pw[64], d1[80], d2[80], when[40];
	json_t *statuses;

	snprintf(prov, sizeof(prov), "ProvisioningState/%s", provisioning(vm));
	lower(prov);
	memcpy(prov, "ProvisioningState", 17);
	snprintf(pw, sizeof(pw), "PowerState/%s", power(vm));
	display(prov, d1, sizeof(d1));
	display(pw, d2, sizeof(d2));
	clock_rfc3339(vm->changed_ms, 1, when, sizeof(when));
	statuses = json_pack("[{s:s,s:s,s:s,s:s}]", "code", prov, "level", "Info", "displayStatus",
			     d1, "time", when);
	if (vm->state != TWIN_VM_PENDING)
		json_array_append_new(statuses, json_pack("{s:s,s:s,s:s}", "code", pw, "level",
							  "Info", "displayStatus", d2));
	return json_pack("{s:s,s:s,s:s,s:s,s:{s:s,s:[{s:s,s:s,s:s,s:s,s:s}],s:[]},s:o}",
			 "computerName", vm->name, "osName", "ubuntu", "osVersion", "22.04",
			 "hyperVGeneration", "V2", "vmAgent", "vmAgentVersion", "2.9.1.1", "statuses",
			 "code", "ProvisioningState/succeeded", "level", "Info", "displayStatus",
			 "Ready", "message", "Guest Agent is running", "time", when,
			 "extensionHandlers", "statuses", statuses);
}

static json_t *vm_json(const struct az_call *k, const struct twin_vm *vm, bool view)
{
	json_t *props = json_deep_copy(json_object_get(vm->extra, "properties"));
	char when[40];

	clock_rfc3339(vm->created_ms, 1, when, sizeof(when));
	json_object_set_new(props, "vmId", json_string(vm->id));
	json_object_set_new(props, "provisioningState", json_string(provisioning(vm)));
	json_object_set_new(props, "timeCreated", json_string(when));
	if (view)
		json_object_set_new(props, "instanceView", instance_view(vm));
	return json_pack("{s:O,s:s,s:s,s:s,s:O,s:o}", "id", json_object_get(vm->extra, "id"),
			 "name", vm->name, "type", "Microsoft.Compute/virtualMachines", "location",
			 k->c->regions[vm->region].name, "tags", vm->tags, "properties", props);
}

/* ---- virtual machines: operations ------------------------------------------------------------- */

/* The async operation headers for a 201/202 answer. */
static void async_headers(struct az_call *k, const struct twin_op *op, const char *loc)
{
	const char *api = params_get(&k->ctx->req->query, "api-version");

	twin_resp_header(k->ctx->resp, "Azure-AsyncOperation", "%s/providers/%s/locations/%s/"
			 "operations/%s?api-version=%s", k->sub_url, COMPUTE, loc, op->id, api);
	twin_resp_header(k->ctx->resp, "Location", "%s/providers/%s/locations/%s/"
			 "operationResults/%s?api-version=%s", k->sub_url, COMPUTE, loc, op->id, api);
	twin_resp_header(k->ctx->resp, "Retry-After", "1");
}

static void operation_status(struct az_call *k, const char *id, bool location_style)
{
	struct twin_op *op;
	bool done;
	char start[40], end[40];

	twin_cloud_lock(k->c);
	op = twin_cloud_op(k->c, id);
	done = op && twin_cloud_op_done(op, k->ctx->now);
	if (op) {
		clock_rfc3339(op->created_ms, 1, start, sizeof(start));
		clock_rfc3339(op->done_ms, 1, end, sizeof(end));
	}
	twin_cloud_unlock(k->c);
	if (!op)
		return (void)arm_error(k->ctx, 404, "ResourceNotFound", "The operation '%s' was not "
				       "found.", id);
	if (location_style && !done) {
		twin_resp_header(k->ctx->resp, "Retry-After", "1");
		twin_resp_header(k->ctx->resp, "Location", "%s/providers/%s/locations/%s/"
				 "operationResults/%s?api-version=%s", k->sub_url, COMPUTE,
				 k->orig[5], id, params_get(&k->ctx->req->query, "api-version"));
		return send(k, 202, NULL);
	}
	if (location_style)
		return send(k, 200, NULL);
	if (!done)
		twin_resp_header(k->ctx->resp, "Retry-After", "1");
	send(k, 200, done ? json_pack("{s:s,s:s,s:s,s:s}", "startTime", start, "endTime", end,
				      "status", "Succeeded", "name", id) :
			    json_pack("{s:s,s:s,s:s}", "startTime", start, "status", "InProgress",
				      "name", id));
}

static int64_t act_delay(const struct twin_cloud *c, enum twin_vm_act act)
{
	switch (act) {
	case TWIN_ACT_START: return c->delay_start;
	case TWIN_ACT_STOP:
	case TWIN_ACT_DEALLOCATE: return c->delay_stop;
	case TWIN_ACT_REBOOT: return c->delay_reboot;
	default: return c->delay_terminate;
	}
}

static void vm_action(struct az_call *k, struct twin_vm *vm, const char *verb)
{
	static const struct {
		const char *verb;
		enum twin_vm_act act;
	} verbs[] = {
		{ "start", TWIN_ACT_START }, { "poweroff", TWIN_ACT_STOP },
		{ "restart", TWIN_ACT_REBOOT }, { "deallocate", TWIN_ACT_DEALLOCATE },
	};
	enum twin_vm_state before = vm->state;
	struct twin_op *op;
	size_t i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]) && strcmp(verbs[i].verb, verb); i++)
		;
	if (i == sizeof(verbs) / sizeof(verbs[0]) || !is(k, "POST"))
		return (void)arm_error(k->ctx, 404, "ResourceNotFound", "The requested resource was "
				       "not found.");
	if (twin_cloud_act(k->c, vm, verbs[i].act, k->ctx->now))
		return (void)arm_error(k->ctx, 409, "OperationNotAllowed", "Operation '%s' is not "
				       "allowed on VM '%s' since the VM is %s.", k->orig[k->n - 1],
				       vm->name, power(vm));
	op = twin_cloud_op_new(k->c, verb, vm->name, k->c->regions[vm->region].name,
			       vm->state == before && verbs[i].act != TWIN_ACT_REBOOT ? 0 :
			       act_delay(k->c, verbs[i].act), k->ctx->now);
	if (!op)
		return az_fail(k->ctx, TWIN_FAIL_INTERNAL, NULL);
	async_headers(k, op, k->c->regions[vm->region].name);
	send(k, 202, NULL);
}

static void vm_delete(struct az_call *k, struct twin_vm *vm)
{
	struct twin_op *op;

	twin_cloud_act(k->c, vm, TWIN_ACT_TERMINATE, k->ctx->now);
	op = twin_cloud_op_new(k->c, "delete", vm->name, k->c->regions[vm->region].name,
			       twin_cloud_vm_due(vm, k->ctx->now) - k->ctx->now, k->ctx->now);
	if (!op)
		return az_fail(k->ctx, TWIN_FAIL_INTERNAL, NULL);
	async_headers(k, op, k->c->regions[vm->region].name);
	send(k, 202, NULL);
}

static void list_vms(struct az_call *k, const char *rg);

/* ---- virtual machines: PUT --------------------------------------------------------------------- */

static json_t *find_net(struct az_call *k, const char *id)
{
	char key[700];

	snprintf(key, sizeof(key), "%s", id ? id : "");
	lower(key);
	return twin_cloud_res_get(k->c, NET_KIND, key);
}

static int check_image(struct az_call *k, const json_t *ref)
{
	const char *want[4] = { json_string_value(json_object_get(ref, "publisher")),
				json_string_value(json_object_get(ref, "offer")),
				json_string_value(json_object_get(ref, "sku")),
				json_string_value(json_object_get(ref, "version")) };

	if (!want[0] || !want[1] || !want[2])
		return arm_error(k->ctx, 400, "InvalidParameter", "The value of parameter "
				 "imageReference is invalid.");
	if (want[3] && !strcasecmp(want[3], "latest"))
		want[3] = NULL;
	for (size_t i = 0; i < k->c->nimages; i++) {
		if (urn_match(&k->c->images[i], want))
			return (int)i;
	}
	return arm_error(k->ctx, 404, "PlatformImageNotFound", "The platform image '%s:%s:%s:%s' "
			 "is not available. Verify that all fields in the storage profile are "
			 "correct.", want[0], want[1], want[2], want[3] ? want[3] : "latest");
}

static int check_nics(struct az_call *k, const json_t *nics)
{
	json_t *n;
	size_t i;

	if (!json_array_size(nics))
		return arm_error(k->ctx, 400, "InvalidParameter", "Required parameter "
				 "'networkProfile' is missing (null).");
	json_array_foreach(nics, i, n) {
		const char *id = json_string_value(json_object_get(n, "id"));

		if (!find_net(k, id))
			return arm_error(k->ctx, 400, "InvalidResourceReference", "Resource %s "
					 "referenced by resource %s was not found. Please make sure that "
					 "the referenced resource exists, and that both resources are in "
					 "the same region.", id ? id : "(null)", k->orig[k->n - 1]);
	}
	return 0;
}

struct vm_args {
	const struct twin_spec *spec;
	int image;
	size_t region;
	const json_t *props;
};

static int vm_checks(struct az_call *k, struct vm_args *a)
{
	const char *loc = json_string_value(json_object_get(k->body, "location"));
	const char *size;

	a->props = json_object_get(k->body, "properties");
	size = json_string_value(json_object_get(json_object_get(a->props, "hardwareProfile"),
						 "vmSize"));
	if (!location(k->c, loc, &a->region))
		return arm_error(k->ctx, 400, "LocationNotAvailableForResourceType", "The provided "
				 "location '%s' is not available for resource type "
				 "'Microsoft.Compute/virtualMachines'.", loc ? loc : "");
	a->spec = twin_cloud_spec(k->c, size);
	if (!a->spec)
		return arm_error(k->ctx, 400, "InvalidParameter", "The value %s provided for the VM "
				 "size is not valid.", size ? size : "(null)");
	if (!json_string_value(json_object_get(json_object_get(a->props, "osProfile"),
					       "adminUsername")))
		return arm_error(k->ctx, 400, "InvalidParameter", "Required parameter "
				 "'adminUsername' is missing (null).");
	a->image = check_image(k, json_object_get(json_object_get(a->props, "storageProfile"),
						  "imageReference"));
	if (a->image < 0)
		return -1;
	return check_nics(k, json_object_get(json_object_get(a->props, "networkProfile"),
					     "networkInterfaces"));
}

/* The first NIC reference is primary unless the request says. */
static void nic_primary(json_t *nics)
{
	json_t *n;
	size_t i;

	json_array_foreach(nics, i, n) {
		if (json_object_get(n, "properties"))
			continue;
		json_object_set_new(n, "properties", json_pack("{s:b}", "primary", i == 0));
	}
}

/* The VM's stored properties: the request's, without secrets, with ids. */
static json_t *stored_props(const struct twin_vm *vm, const json_t *props, const char *rg_id)
{
	json_t *p = json_deep_copy(props), *os = json_object_get(p, "osProfile");
	json_t *disk = json_object_get(json_object_get(p, "storageProfile"), "osDisk");
	char name[200];

	json_object_del(os, "adminPassword");
	json_object_del(os, "customData");
	if (!json_object_get(os, "computerName"))
		json_object_set_new(os, "computerName", json_string(vm->name));
	if (!disk) {
		disk = json_object();
		json_object_set_new(json_object_get(p, "storageProfile"), "osDisk", disk);
	}
	snprintf(name, sizeof(name), "%s_OsDisk_1_%.16s", vm->name, vm->id);
	json_object_set_new(disk, "name", json_string(name));
	json_object_set_new(disk, "osType", json_string("Linux"));
	json_object_set_new(disk, "diskSizeGB", json_integer(30));
	if (!json_object_get(disk, "managedDisk"))
		json_object_set_new(disk, "managedDisk", json_pack("{s:s}", "storageAccountType",
								   "Standard_LRS"));
	json_object_set_new(json_object_get(disk, "managedDisk"), "id", json_sprintf(
		"%s/providers/Microsoft.Compute/disks/%s", rg_id, name));
	if (!json_object_get(json_object_get(p, "storageProfile"), "dataDisks"))
		json_object_set_new(json_object_get(p, "storageProfile"), "dataDisks", json_array());
	if (!json_object_get(os, "secrets"))
		json_object_set_new(os, "secrets", json_array());
	nic_primary(json_object_get(json_object_get(p, "networkProfile"), "networkInterfaces"));
	return p;
}

/* Attach the NICs to the VM and give them (and their public IPs) its addresses. */
static void wire_nics(struct az_call *k, const struct twin_vm *vm, const json_t *nics, bool attach)
{
	json_t *n;
	size_t i;

	json_array_foreach(nics, i, n) {
		json_t *nic = find_net(k, json_string_value(json_object_get(n, "id")));
		json_t *props = json_object_get(nic, "properties");
		json_t *ipc = json_object_get(json_array_get(json_object_get(props,
						"ipConfigurations"), 0), "properties");
		json_t *pip = find_net(k, json_string_value(json_object_get(json_object_get(ipc,
						"publicIPAddress"), "id")));

		if (!attach) {
			json_object_del(props, "virtualMachine");
			continue;
		}
		json_object_set_new(props, "virtualMachine", json_pack("{s:O}", "id",
			json_object_get(vm->extra, "id")));
		if (ipc && i == 0)
			json_object_set_new(ipc, "privateIPAddress", json_string(vm->private_ip));
		if (pip && i == 0)
			json_object_set_new(json_object_get(pip, "properties"), "ipAddress",
					    json_string(vm->public_ip));
	}
}

static int vm_user_data(struct az_call *k, struct twin_vm *vm, const json_t *props)
{
	const char *cd = json_string_value(json_object_get(json_object_get(props, "osProfile"),
							   "customData"));
	const char *ud = json_string_value(json_object_get(props, "userData"));
	struct sbuf raw = SBUF_INIT;
	int rc = 0;

	if (!cd)
		cd = ud;
	if (!cd)
		return 0;
	raw.max = USER_DATA_MAX;
	if (codec_b64_decode(&raw, cd, strlen(cd)))
		rc = arm_error(k->ctx, 400, "InvalidParameter", "Custom data in OSProfile must be in "
			       "Base64 encoding and with a maximum length of 87380 characters.");
	else
		rc = twin_cloud_vm_set_user_data(vm, raw.buf ? raw.buf : "", raw.len);
	sbuf_release(&raw);
	return rc;
}

static struct twin_vm *new_vm(struct az_call *k, const struct vm_args *a, const char *arm_id,
			      const char *key)
{
	struct twin_vm *vm = twin_cloud_vm_new();
	const json_t *tags = json_object_get(k->body, "tags");
	const json_t *zones = json_object_get(k->body, "zones");
	const struct twin_region *r = &k->c->regions[a->region];
	char rg_id[256];

	if (!vm)
		return NULL;
	hash_uuid4(vm->id);
	snprintf(vm->key, sizeof(vm->key), "%s", key);
	snprintf(vm->name, sizeof(vm->name), "%s", k->orig[k->n - 1]);
	snprintf(vm->zone, sizeof(vm->zone), "%s", json_string_value(json_array_get(zones, 0)) ?
		 json_string_value(json_array_get(zones, 0)) : r->zones[0]);
	snprintf(vm->image, sizeof(vm->image), "%s", k->c->images[a->image].id);
	vm->region = a->region;
	vm->spec = a->spec;
	if (json_is_object(tags))
		json_object_update(vm->tags, (json_t *)tags);
	json_object_set_new(vm->extra, "id", json_string(arm_id));
	json_object_set_new(vm->extra, "resourceGroup", json_string(k->orig[3]));
	snprintf(rg_id, sizeof(rg_id), "/subscriptions/%s/resourceGroups/%s", priv_of(k->c)->sub,
		 k->orig[3]);
	json_object_set_new(vm->extra, "properties", stored_props(vm, a->props, rg_id));
	if (vm_user_data(k, vm, a->props)) {
		twin_cloud_vm_free(vm);
		return NULL;
	}
	return vm;
}

static int quota_error(struct az_call *k, const struct vm_args *a, int rc)
{
	if (rc == -EDQUOT)
		return arm_error(k->ctx, 409, "OperationNotAllowed", "Operation could not be "
			"completed as it results in exceeding approved %s Cores quota. Additional "
			"details - Deployment Model: Resource Manager, Location: %s, Current Limit: "
			"%lld, Current Usage: %lld, Additional Required: %d, (Minimum) New Limit "
			"Required: %lld.", a->spec->family, k->c->regions[a->region].name,
			(long long)k->c->vcpu_quota, (long long)k->c->vcpus_used[a->region],
			a->spec->vcpus, (long long)(k->c->vcpus_used[a->region] + a->spec->vcpus));
	return arm_error(k->ctx, 409, "QuotaExceeded", "Operation results in exceeding quota "
			 "limits of Core. Maximum allowed: %lld.", (long long)k->c->max_vms);
}

static void vm_put(struct az_call *k, struct twin_vm *existing, const char *arm_id,
		   const char *key)
{
	struct vm_args a = { 0 };
	struct twin_vm *vm;
	struct twin_op *op;
	int rc;

	if (existing) {
		/* PUT by id is create-or-update: tags change, the rest stays. */
		if (json_is_object(json_object_get(k->body, "tags")))
			json_object_update(existing->tags, json_object_get(k->body, "tags"));
		return send(k, 200, vm_json(k, existing, false));
	}
	if (!json_is_object(k->body) || vm_checks(k, &a))
		return;
	vm = new_vm(k, &a, arm_id, key);
	if (!vm)
		return;
	rc = twin_cloud_add_vm(k->c, vm, k->ctx->now);
	if (rc) {
		twin_cloud_vm_free(vm);
		return (void)quota_error(k, &a, rc);
	}
	wire_nics(k, vm, json_object_get(json_object_get(a.props, "networkProfile"),
					 "networkInterfaces"), true);
	op = twin_cloud_op_new(k->c, "create", vm->name, k->c->regions[a.region].name,
			       twin_cloud_vm_due(vm, k->ctx->now) - k->ctx->now, k->ctx->now);
	if (op) {
		twin_resp_header(k->ctx->resp, "Azure-AsyncOperation", "%s/providers/%s/locations/%s/"
				 "operations/%s?api-version=%s", k->sub_url, COMPUTE,
				 k->c->regions[a.region].name, op->id,
				 params_get(&k->ctx->req->query, "api-version"));
		twin_resp_header(k->ctx->resp, "Retry-After", "1");
	}
	send(k, 201, vm_json(k, vm, false));
}

/* Linux VM names: 1-64 letters, digits, '-', '_' and '.'. */
static bool valid_vm_name(const char *s)
{
	size_t n = strlen(s);

	return n && n <= 64 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				      "0123456789-_.") == n;
}

/* Virtual Machines - Update: PATCH {"tags": {...}} replaces the tags, as ARM's PATCH does. */
static void vm_patch(struct az_call *k, struct twin_vm *vm)
{
	json_error_t jerr;
	json_t *body = twin_req_json(k->ctx->req, &jerr), *tags = json_object_get(body, "tags");

	if (!json_is_object(body) || (tags && !json_is_object(tags))) {
		json_decref(body);
		return (void)arm_error(k->ctx, 400, "InvalidRequestContent", "The request content "
				       "was invalid and could not be deserialized.");
	}
	if (tags) {
		json_object_clear(vm->tags);
		json_object_update(vm->tags, tags);
	}
	json_decref(body);
	send(k, 200, vm_json(k, vm, false));
}

/* .../resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines[/<vm>[/<x>]] */
static void vms_in_group(struct az_call *k)
{
	char key[192], arm_id[700];
	struct twin_vm *vm;

	if (strlen(k->orig[3]) > 90 || (k->n > 7 && !valid_vm_name(k->orig[7])))
		return (void)arm_error(k->ctx, is(k, "PUT") ? 400 : 404, "InvalidResourceName",
				       "Resource name %s is invalid. The name can be up to 64 "
				       "characters long.", k->n > 7 ? k->orig[7] : k->orig[3]);
	twin_cloud_lock(k->c);
	if (!find_rg(k, k->orig[3])) {
		arm_error(k->ctx, 404, "ResourceGroupNotFound", "Resource group '%s' could not be "
			  "found.", k->orig[3]);
		goto out_unlock;
	}
	snprintf(key, sizeof(key), "%s/%s", k->low[3], k->n > 7 ? k->low[7] : "");
	snprintf(arm_id, sizeof(arm_id), "/subscriptions/%s/resourceGroups/%s/providers/%s/"
		 "virtualMachines/%s", priv_of(k->c)->sub, k->orig[3], COMPUTE,
		 k->n > 7 ? k->orig[7] : "");
	vm = k->n > 7 ? twin_cloud_vm_by_key(k->c, key, k->ctx->now) : NULL;
	if (vm && vm->state == TWIN_VM_TERMINATED)
		vm = NULL;
	if (k->n == 8 && is(k, "PUT")) {
		vm_put(k, vm, arm_id, key);
	} else if (k->n == 8 && is(k, "DELETE") && !vm) {
		send(k, 204, NULL);
	} else if (k->n > 7 && !vm) {
		arm_error(k->ctx, 404, "ResourceNotFound", "The Resource 'Microsoft.Compute/"
			  "virtualMachines/%s' under resource group '%s' was not found.",
			  k->orig[7], k->orig[3]);
	} else if (k->n == 8 && is(k, "DELETE")) {
		vm_delete(k, vm);
	} else if (k->n == 8 && is(k, "GET")) {
		const char *expand = params_get(&k->ctx->req->query, "$expand");

		send(k, 200, vm_json(k, vm, expand && !strcasecmp(expand, "instanceView")));
	} else if (k->n == 9 && seg(k, 8, "instanceview") && is(k, "GET")) {
		send(k, 200, instance_view(vm));
	} else if (k->n == 8 && is(k, "PATCH")) {
		vm_patch(k, vm);
	} else if (k->n == 8) {
		arm_error(k->ctx, 405, "MethodNotAllowed", "The requested method %s is not "
			  "allowed.", k->ctx->req->method);
	} else if (k->n == 9) {
		vm_action(k, vm, k->low[8]);
	} else {
		twin_cloud_unlock(k->c);
		return list_vms(k, k->low[3]);
	}
out_unlock:
	twin_cloud_unlock(k->c);
}

/* ---- virtual machines: lists ----------------------------------------------------------------- */

/* Every VM of the subscription (rg NULL) or of a group, newest last,
 * PAGE at a time; $skiptoken is the last sequence number given. */
static void list_vms(struct az_call *k, const char *rg)
{
	const char *skip = params_get(&k->ctx->req->query, "$skiptoken");
	const char *so = params_get(&k->ctx->req->query, "statusOnly");
	/* List All's statusOnly=true: each VM with its instance view (power state). */
	bool status_only = !rg && so && !strcasecmp(so, "true");
	uint64_t after = skip ? strtoull(skip, NULL, 10) : 0;
	json_t *v = json_array(), *doc;
	size_t n = 0;

	doc = json_object();
	twin_cloud_lock(k->c);
	for (size_t i = twin_cloud_vm_after(k->c, after); i < twin_cloud_nvms(k->c); i++) {
		struct twin_vm *vm = twin_cloud_vm_at(k->c, i, k->ctx->now);
		const char *vrg = json_string_value(json_object_get(vm->extra, "resourceGroup"));

		if (vm->state == TWIN_VM_TERMINATED || (rg && (!vrg || strcasecmp(vrg, rg))))
			continue;
		if (n == PAGE) {
			json_object_set_new(doc, "nextLink", json_sprintf("%s%s?api-version=%s&"
				"%s$skiptoken=%llu", k->ctx->root, k->ctx->req->raw_path,
				params_get(&k->ctx->req->query, "api-version"),
				status_only ? "statusOnly=true&" : "",
				(unsigned long long)twin_cloud_vm_at(k->c, i - 1, k->ctx->now)->seq));
			break;
		}
		json_array_append_new(v, vm_json(k, vm, status_only));
		n++;
	}
	twin_cloud_unlock(k->c);
	json_object_set_new(doc, "value", v);
	send(k, 200, doc);
}

/* ---- Microsoft.Network -------------------------------------------------------------------------- */

static const char *const net_types[] = { "virtualnetworks", "networkinterfaces",
	"publicipaddresses", "networksecuritygroups" };
static const char *const net_names[] = { "virtualNetworks", "networkInterfaces",
	"publicIPAddresses", "networkSecurityGroups" };

static json_t *etag(void)
{
	char id[37];

	hash_uuid4(id);
	return json_sprintf("W/\"%s\"", id);
}

/* A NIC's IP configurations as Azure completes them. */
static void nic_configs(json_t *props, const char *nic_id)
{
	json_t *cfg;
	size_t i;

	json_array_foreach(json_object_get(props, "ipConfigurations"), i, cfg) {
		json_t *ipc = json_object_get(cfg, "properties");
		const char *name = json_string_value(json_object_get(cfg, "name"));
		char ip[16];

		if (!ipc) {
			ipc = json_object();
			json_object_set_new(cfg, "properties", ipc);
		}
		snprintf(ip, sizeof(ip), "10.0.0.%u", 4 + (unsigned)(twin_rand_uniform() * 250));
		json_object_set_new(cfg, "id", json_sprintf("%s/ipConfigurations/%s", nic_id,
							    name ? name : "ipconfig1"));
		json_object_set_new(cfg, "etag", etag());
		if (!json_object_get(ipc, "privateIPAddress"))
			json_object_set_new(ipc, "privateIPAddress", json_string(ip));
		json_object_set_new(ipc, "privateIPAllocationMethod", json_string("Dynamic"));
		json_object_set_new(ipc, "provisioningState", json_string("Succeeded"));
		json_object_set_new(ipc, "primary", json_boolean(i == 0));
	}
}

/* Fill in what Azure adds to a network resource on PUT. */
static void net_defaults(size_t type, json_t *rec, json_t *props, const char *id)
{
	char guid[37];

	hash_uuid4(guid);
	json_object_set_new(rec, "etag", etag());
	if (!json_object_get(rec, "tags"))
		json_object_set_new(rec, "tags", json_object());
	json_object_set_new(props, "provisioningState", json_string("Succeeded"));
	json_object_set_new(props, "resourceGuid", json_string(guid));
	if (type == 1) {
		nic_configs(props, id);
		json_object_set_new(props, "macAddress", json_string("00-0D-3A-00-00-01"));
		json_object_set_new(props, "primary", json_true());
		json_object_set_new(props, "enableIPForwarding", json_false());
		json_object_set_new(props, "dnsSettings", json_pack("{s:[],s:[]}", "dnsServers",
								    "appliedDnsServers"));
	} else if (type == 2 && !json_object_get(props, "publicIPAllocationMethod")) {
		json_object_set_new(props, "publicIPAllocationMethod", json_string("Dynamic"));
	}
}

static json_t *net_json(const json_t *rec)
{
	return json_incref((json_t *)rec);
}

static bool nic_in_use(struct az_call *k, const json_t *rec)
{
	const char *vm = json_string_value(json_object_get(json_object_get(json_object_get(rec,
		"properties"), "virtualMachine"), "id"));
	char key[300];
	struct twin_vm *v;
	const char *p;

	if (!vm || !(p = strstr(vm, "/resourceGroups/")))
		return false;
	snprintf(key, sizeof(key), "%.*s/%s", (int)strcspn(p + 16, "/"), p + 16, strrchr(vm, '/') + 1);
	lower(key);
	v = twin_cloud_vm_by_key(k->c, key, k->ctx->now);
	return v && v->state != TWIN_VM_TERMINATED;
}

/* A NIC's ipConfigurations must name an existing subnet; answers if not. */
static bool nic_subnet_missing(struct az_call *k)
{
	json_t *cfgs = json_object_get(json_object_get(k->body, "properties"), "ipConfigurations");
	json_t *cfg, *subs, *sub;
	size_t i, j;

	json_array_foreach(cfgs, i, cfg) {
		const char *id = json_string_value(json_object_get(json_object_get(json_object_get(cfg,
			"properties"), "subnet"), "id"));
		const char *cut = id ? strstr(id, "/subnets/") : NULL;
		char vnet[700];
		bool found = false;

		snprintf(vnet, sizeof(vnet), "%.*s", cut ? (int)(cut - id) : 0, id ? id : "");
		subs = json_object_get(json_object_get(find_net(k, vnet), "properties"), "subnets");
		json_array_foreach(subs, j, sub) {
			const char *name = json_string_value(json_object_get(sub, "name"));

			found |= cut && name && !strcasecmp(name, cut + 9);
		}
		if (!found) {
			arm_error(k->ctx, 400, "InvalidResourceReference", "Resource %s referenced by "
				  "resource %s was not found. Please make sure that the referenced "
				  "resource exists, and that both resources are in the same region.",
				  id ? id : "(null)", k->ctx->req->path);
			return true;
		}
	}
	return false;
}

static void net_put(struct az_call *k, size_t type, const char *id, const char *key)
{
	const json_t *old = twin_cloud_res_get(k->c, NET_KIND, key);
	const char *loc = json_string_value(json_object_get(k->body, "location"));
	json_t *rec, *props;
	size_t r = 0;

	if (!json_is_object(k->body))
		return (void)arm_error(k->ctx, 400, "InvalidRequestFormat", "Cannot parse the request.");
	if (!old && !location(k->c, loc, &r))
		return (void)arm_error(k->ctx, 400, "LocationRequired", "The location property is "
				       "required for this definition.");
	if (type == 1 && nic_subnet_missing(k))
		return;
	rec = json_deep_copy(k->body);
	props = json_object_get(rec, "properties");
	if (!props) {
		props = json_object();
		json_object_set_new(rec, "properties", props);
	}
	net_defaults(type, rec, props, id);
	json_object_set_new(rec, "id", json_string(id));
	json_object_set_new(rec, "name", json_string(k->orig[7]));
	json_object_set_new(rec, "type", json_sprintf("Microsoft.Network/%s", net_names[type]));
	if (!old)
		json_object_set_new(rec, "location", json_string(k->c->regions[r].name));
	twin_cloud_res_put(k->c, NET_KIND, key, rec);
	send(k, old ? 200 : 201, net_json(rec));
}

static void subnet(struct az_call *k, json_t *vnet, const char *id)
{
	json_t *subs = json_object_get(json_object_get(vnet, "properties"), "subnets"), *s;
	size_t i;

	json_array_foreach(subs, i, s) {
		const char *name = json_string_value(json_object_get(s, "name"));

		if (name && !strcasecmp(name, k->orig[9])) {
			json_t *out = json_deep_copy(s);

			json_object_set_new(out, "id", json_string(id));
			json_object_set_new(out, "type", json_string(
				"Microsoft.Network/virtualNetworks/subnets"));
			return send(k, 200, out);
		}
	}
	arm_error(k->ctx, 404, "NotFound", "Resource %s not found.", id);
}

static void network(struct az_call *k)
{
	char id[800], key[800];
	size_t type;
	json_t *rec, *v;
	const char *rk;

	for (type = 0; type < 4 && !seg(k, 6, net_types[type]); type++)
		;
	if (type == 4 || k->n > 10)
		return (void)arm_error(k->ctx, 404, "ResourceNotFound", "Unknown resource type.");
	snprintf(id, sizeof(id), "/subscriptions/%s/resourceGroups/%s/providers/Microsoft.Network/"
		 "%s/%s", priv_of(k->c)->sub, k->orig[3], net_names[type], k->n > 7 ? k->orig[7] : "");
	snprintf(key, sizeof(key), "%s", id);
	lower(key);
	twin_cloud_lock(k->c);
	rec = twin_cloud_res_get(k->c, NET_KIND, key);
	if (!find_rg(k, k->orig[3])) {
		arm_error(k->ctx, 404, "ResourceGroupNotFound", "Resource group '%s' could not be "
			  "found.", k->orig[3]);
	} else if (k->n == 7) {
		v = json_array();
		json_object_foreach(twin_cloud_res_all(k->c, NET_KIND), rk, rec) {
			if (!strncmp(rk, key, strlen(key)))
				json_array_append(v, rec);
		}
		send(k, 200, json_pack("{s:o}", "value", v));
	} else if (k->n == 8 && is(k, "PUT")) {
		net_put(k, type, id, key);
	} else if (k->n == 8 && is(k, "DELETE") && !rec) {
		send(k, 204, NULL);
	} else if (!rec) {
		arm_error(k->ctx, 404, "ResourceNotFound", "The Resource 'Microsoft.Network/%s/%s' "
			  "under resource group '%s' was not found.", net_names[type], k->orig[7],
			  k->orig[3]);
	} else if (k->n == 8 && is(k, "DELETE")) {
		if (type == 1 && nic_in_use(k, rec)) {
			arm_error(k->ctx, 400, "NicInUse", "Network Interface %s is used by existing "
				  "resource. In order to delete the network interface, it must be "
				  "dissociated from the resource.", id);
		} else {
			twin_cloud_res_del(k->c, NET_KIND, key);
			send(k, 200, NULL);
		}
	} else if (k->n == 8) {
		send(k, 200, net_json(rec));
	} else if (type == 0 && k->n == 10 && seg(k, 8, "subnets")) {
		subnet(k, rec, k->ctx->req->path);
	} else {
		arm_error(k->ctx, 404, "ResourceNotFound", "Unknown resource.");
	}
	twin_cloud_unlock(k->c);
}

/* ---- dispatch ----------------------------------------------------------------------------------- */

/* /subscriptions/<s>/providers/Microsoft.Compute/... */
static void compute_provider(struct az_call *k)
{
	if (k->n == 4)
		return send(k, 200, provider_json(k));
	if (k->n == 5 && seg(k, 4, "virtualmachines"))
		return list_vms(k, NULL);
	if (k->n >= 7 && seg(k, 4, "locations")) {
		size_t r;

		if (!location(k->c, k->orig[5], &r))
			return (void)arm_error(k->ctx, 404, "LocationNotFound", "The location '%s' "
					       "could not be found.", k->orig[5]);
		if (k->n == 7 && seg(k, 6, "vmsizes"))
			return vm_sizes(k);
		if (seg(k, 6, "publishers"))
			return image_tree(k, k->c->regions[r].name);
		if (k->n == 8 && seg(k, 6, "operations"))
			return operation_status(k, k->orig[7], false);
		if (k->n == 8 && seg(k, 6, "operationresults"))
			return operation_status(k, k->orig[7], true);
	}
	arm_error(k->ctx, 404, "ResourceNotFound", "The requested resource was not found.");
}

/* OS disks are not kept apart from their VMs: deleting one is a no-op. */
static void disks(struct az_call *k)
{
	if (is(k, "DELETE"))
		return send(k, 204, NULL);
	arm_error(k->ctx, 404, "ResourceNotFound", "The Resource 'Microsoft.Compute/disks/%s' under "
		  "resource group '%s' was not found.", k->n > 7 ? k->orig[7] : "", k->orig[3]);
}

static void arm(struct az_call *k)
{
	if (k->n == 1)
		return send(k, 200, json_pack("{s:[o],s:{s:s,s:i}}", "value", subscription_json(k),
					      "count", "type", "Total", "value", 1));
	if (strcasecmp(k->orig[1], priv_of(k->c)->sub))
		return (void)arm_error(k->ctx, 404, "SubscriptionNotFound", "The subscription '%s' "
				       "could not be found.", k->orig[1]);
	if (k->n == 2)
		return send(k, 200, subscription_json(k));
	if (k->n == 3 && seg(k, 2, "locations"))
		return send(k, 200, locations_json(k));
	if (seg(k, 2, "resourcegroups") && k->n <= 4)
		return resource_groups(k);
	if (seg(k, 2, "providers") && seg(k, 3, "microsoft.compute"))
		return compute_provider(k);
	if (seg(k, 2, "resourcegroups") && seg(k, 4, "providers") &&
	    seg(k, 5, "microsoft.compute") && seg(k, 6, "virtualmachines"))
		return vms_in_group(k);
	if (seg(k, 2, "resourcegroups") && seg(k, 4, "providers") &&
	    seg(k, 5, "microsoft.compute") && seg(k, 6, "disks"))
		return disks(k);
	if (seg(k, 2, "resourcegroups") && seg(k, 4, "providers") && seg(k, 5, "microsoft.network"))
		return network(k);
	arm_error(k->ctx, 404, "ResourceNotFound", "The requested resource was not found.");
}

static void az_handle(struct twin_ctx *ctx)
{
	struct az_call k = { .ctx = ctx, .c = ctx->cloud };
	json_error_t err;

	if (split(&k, ctx->path) || !k.n)
		return az_fail(ctx, TWIN_FAIL_NOT_FOUND, NULL);
	snprintf(k.sub_url, sizeof(k.sub_url), "%s/subscriptions/%s", ctx->base,
		 priv_of(ctx->cloud)->sub);
	if (!seg(&k, 0, "subscriptions") && !seg(&k, 0, "tenants")) {
		if (!aad(&k))
			az_fail(ctx, TWIN_FAIL_NOT_FOUND, NULL);
		return;
	}
	if (!params_get(&ctx->req->query, "api-version"))
		return (void)arm_error(ctx, 400, "MissingApiVersionParameter", "The api-version query "
				       "parameter (?api-version=) is required for all requests.");
	if (authenticate(&k))
		return;
	if (ctx->req->body.len && !(k.body = twin_req_json(ctx->req, &err)))
		return (void)arm_error(ctx, 400, "InvalidRequestContent", "The request content was "
				       "invalid and could not be deserialized: '%s'.", err.text);
	if (is(&k, "GET"))
		twin_resp_header(ctx->resp, "x-ms-ratelimit-remaining-subscription-reads", "11999");
	else
		twin_resp_header(ctx->resp, "x-ms-ratelimit-remaining-subscription-writes", "1199");
	if (seg(&k, 0, "tenants"))
		send(&k, 200, json_pack("{s:[{s:s+,s:s}]}", "value", "id", "/tenants/",
					priv_of(k.c)->tenant, "tenantId", priv_of(k.c)->tenant));
	else
		arm(&k);
	json_decref(k.body);
}

/* ---- routing, setup, description ------------------------------------------------------------------ */

static struct twin_cloud *az_claim(struct twin_server *srv, const struct twin_req *req)
{
	const char *p = req->path, *tok = twin_req_bearer(req);
	char first[128], second[128];
	struct twin_cloud *c;
	unsigned idx;
	size_t n;

	while (*p == '/')
		p++;
	n = strcspn(p, "/");
	if (!n || n >= sizeof(first))
		return NULL;
	snprintf(first, sizeof(first), "%.*s", (int)n, p);
	p += n;
	while (*p == '/')
		p++;
	snprintf(second, sizeof(second), "%.*s", (int)(strcspn(p, "/") < 127 ? strcspn(p, "/") : 127), p);
	lower(first);
	lower(second);
	if (!strcmp(first, "subscriptions") && *second)
		return twin_server_index_get(srv, "az-sub", second);
	if (!strcmp(first, "subscriptions") || !strcmp(first, "tenants")) {
		if (tok && !twin_token_check(tok, twin_server_token_key(srv), "", clock_wall_ms() / 1000,
					     &idx))
			return twin_server_cloud_at(srv, idx);
		return twin_server_index_get(srv, "az-tenant", "");
	}
	c = twin_server_index_get(srv, "az-tenant", first);
	if (!c && (!strcmp(first, "common") || !strcmp(first, "organizations")))
		c = twin_server_index_get(srv, "az-tenant", "");
	return c;
}

static int az_setup(struct twin_server *srv, struct twin_cloud *c, struct sbuf *err)
{
	struct az_priv *p = calloc(1, sizeof(*p));
	const json_t *cr = twin_cloud_cred(c);
	char sub[64], tenant[64];

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->tenant = json_string_value(json_object_get(cr, "tenant_id"));
	p->client_id = json_string_value(json_object_get(cr, "client_id"));
	p->secret = json_string_value(json_object_get(cr, "client_secret"));
	p->sub = json_string_value(json_object_get(cr, "subscription_id"));
	p->rg = json_string_value(json_object_get(cr, "resource_group"));
	snprintf(sub, sizeof(sub), "%s", p->sub);
	snprintf(tenant, sizeof(tenant), "%s", p->tenant);
	lower(sub);
	lower(tenant);
	twin_server_index_put(srv, "az-tenant", "", c);
	if (twin_server_index_put(srv, "az-sub", sub, c) ||
	    twin_server_index_put(srv, "az-tenant", tenant, c)) {
		sbuf_reset(err);
		sbuf_addf(err, "cloud %s: subscription %s or tenant %s is used by another cloud",
			  c->name, p->sub, p->tenant);
		return -EEXIST;
	}
	return 0;
}

/* The credential's resource group exists from the start, in the first region. */
static int az_restore(struct twin_cloud *c)
{
	const struct az_priv *p = c->priv;
	char rg[128];

	snprintf(rg, sizeof(rg), "%s", p->rg);
	lower(rg);
	return twin_cloud_res_put(c, RG_KIND, rg, json_pack("{s:s,s:s,s:{}}", "name", p->rg,
		"location", c->regions[0].name, "tags"));
}

static void az_cleanup(struct twin_cloud *c)
{
	free(c->priv);
	c->priv = NULL;
}

static int az_describe(struct twin_server *srv, const struct twin_cloud *c, json_t *out)
{
	const char *https = twin_server_https_url(srv);
	const char *base = https ? https : twin_server_http_url(srv);
	const json_t *cr = twin_cloud_cred(c);
	char ep[300];

	snprintf(ep, sizeof(ep), "%s/", base);
	return json_object_update_new(out, json_pack("{s:s,s:s,s:s?,s:{s:O,s:O,s:O,s:O,s:O}}",
		"endpoint", ep, "auth_endpoint", base, "ca_file", twin_server_ca_file(srv),
		"credential", "tenant_id", json_object_get(cr, "tenant_id"), "client_id",
		json_object_get(cr, "client_id"), "client_secret", json_object_get(cr, "client_secret"),
		"subscription_id", json_object_get(cr, "subscription_id"), "resource_group",
		json_object_get(cr, "resource_group")));
}

static int az_adopt(struct twin_cloud *c, struct twin_vm *vm)
{
	const struct az_priv *p = priv_of(c);
	char id[700], urn[4][128];

	hash_uuid4(vm->id);
	snprintf(vm->key, sizeof(vm->key), "%s/%s", p->rg, vm->name);
	lower(vm->key);
	snprintf(id, sizeof(id), "/subscriptions/%s/resourceGroups/%s/providers/%s/"
		 "virtualMachines/%s", p->sub, p->rg, COMPUTE, vm->name);
	for (int i = 0; i < 4; i++)
		urn_part(vm->image, i, urn[i], sizeof(urn[i]));
	json_object_set_new(vm->extra, "id", json_string(id));
	json_object_set_new(vm->extra, "resourceGroup", json_string(p->rg));
	json_object_set_new(vm->extra, "properties", json_pack("{s:{s:s},s:{s:{s:s,s:s,s:s,s:s},"
		"s:{s:s,s:s}},s:{s:s,s:s},s:{s:[]}}", "hardwareProfile", "vmSize", vm->spec->name,
		"storageProfile", "imageReference", "publisher", urn[0], "offer", urn[1], "sku",
		urn[2], "version", urn[3], "osDisk", "osType", "Linux", "createOption", "FromImage",
		"osProfile", "computerName", vm->name, "adminUsername", "azureuser",
		"networkProfile", "networkInterfaces"));
	return 0;
}

const struct twin_dialect twin_azure_dialect = {
	.name = "azure",
	.handle = az_handle,
	.fail = az_fail,
	.claim = az_claim,
	.setup = az_setup,
	.cleanup = az_cleanup,
	.describe = az_describe,
	.status = az_status,
	.adopt = az_adopt,
	.restore = az_restore,
};
