/*
 * twin_gcp.c - Google Compute Engine: the OAuth2 JWT-bearer token
 * exchange (RS256 assertions verified with drivers/common/jwt.c against
 * the service account's key) and compute v1: instances with zone
 * operations (GET and /wait), requestId idempotency, list filters and
 * paging, aggregated lists, zones, regions, machine types, images (also of
 * the public image projects), disks, networks and firewalls.
 *
 * Paths (below the cloud prefix, or at the root where libcloud sends them):
 *   POST /token, /o/oauth2/token, /oauth2/v4/token      the token endpoint
 *   /compute/v1/projects/<project>/...                  compute
 * Root requests are routed by project, then by bearer token, then by the
 * assertion's issuer.  See link_base() for where selfLink and targetLink
 * point.
 *
 * A stopped instance reads TERMINATED, as on GCE; a deleted one is 404
 * once its delete operation is DONE.  Errors use Google's
 * {"error": {"code", "message", "errors": [{"domain", "reason"}]}}.
 */
#include <errno.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "drivers/common/codec.h"
#include "drivers/common/hash.h"
#include "drivers/common/jwt.h"
#include "lib/clock.h"
#include "tools/cloudtwin/twin_dialect.h"
#include "tools/cloudtwin/twin_rand.h"
#include "tools/cloudtwin/twin_server.h"
#include "tools/cloudtwin/twin_token.h"

#define TOKEN_PREFIX "ya29."
#define JWT_GRANT "urn:ietf:params:oauth:grant-type:jwt-bearer"
#define MAX_RESULTS 500
#define WAIT_MAX_MS 120000
#define USER_DATA_MAX 262144

struct gcp_account {
	char *email;
	struct jwt_key *key;
};

struct gcp_priv {
	struct gcp_account *accts;
	size_t n;
	const char *project;	/* the credential's project_id (borrowed from conf) */
	const char *token_uri;
};

/* One compute call in progress. */
struct gcp_call {
	struct twin_ctx *ctx;
	struct twin_cloud *c;
	char project[64];	/* the project the path names */
	const char *path;	/* below /compute/v1/projects/<project> */
	char api[600];		/* <base>/compute/v1/projects/<project> */
	json_t *body;
	const char *user;	/* the account the token belongs to */
};

static const struct gcp_priv *priv_of(const struct twin_cloud *c)
{
	return c->priv;
}

/* ---- errors -------------------------------------------------------------------- */

static int gcp_error_doc(struct twin_ctx *ctx, int status, const char *reason, const char *status_word,
			 const char *msg)
{
	json_t *err = json_pack("{s:{s:i,s:s,s:[{s:s,s:s,s:s}]}}", "error", "code", status,
				"message", msg, "errors", "message", msg, "domain", "global",
				"reason", reason);

	if (status_word)
		json_object_set_new(json_object_get(err, "error"), "status", json_string(status_word));
	twin_resp_json(ctx->resp, status, err);
	return -1;
}

static int gcp_error(struct gcp_call *k, int status, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int gcp_error(struct gcp_call *k, int status, const char *reason, const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	gcp_error_doc(k->ctx, status, reason, NULL, sbuf_str(&msg));
	sbuf_release(&msg);
	return -1;
}

static void oauth_error(struct twin_ctx *ctx, int status, const char *error, const char *desc)
{
	twin_resp_json(ctx->resp, status, json_pack("{s:s,s:s}", "error", error,
						    "error_description", desc));
}

static void gcp_fail(struct twin_ctx *ctx, enum twin_fail kind, const char *message)
{
	switch (kind) {
	case TWIN_FAIL_THROTTLED:
		twin_resp_header(ctx->resp, "Retry-After", "1");
		gcp_error_doc(ctx, 429, "rateLimitExceeded", "RESOURCE_EXHAUSTED", message ? message :
			      "Quota exceeded for quota metric 'Queries' and limit 'Queries per "
			      "minute' of service 'compute.googleapis.com'.");
		break;
	case TWIN_FAIL_TOO_LARGE:
		gcp_error_doc(ctx, 413, "uploadTooLarge", NULL, message ? message :
			      "Request payload size exceeds the limit.");
		break;
	case TWIN_FAIL_NOT_FOUND:
		gcp_error_doc(ctx, 404, "notFound", NULL, message ? message : "Not Found");
		break;
	case TWIN_FAIL_BAD_REQUEST:
		gcp_error_doc(ctx, 400, "invalid", "INVALID_ARGUMENT", message ? message :
			      "Invalid JSON payload received.");
		break;
	default:
		gcp_error_doc(ctx, 500, "backendError", NULL, message ? message :
			      "Internal error. Please try again or contact Google Support.");
	}
}

/* ---- names and links ------------------------------------------------------------------ */

/* The last path segment after "<what>/" in a URL or partial path. */
static const char *segment_after(const char *ref, const char *what, char *out, size_t len)
{
	const char *p = ref ? strstr(ref, what) : NULL, *end;
	size_t n;

	if (!p)
		return NULL;
	p += strlen(what);
	end = strchr(p, '/');
	n = end ? (size_t)(end - p) : strlen(p);
	if (!n || n >= len)
		return NULL;
	memcpy(out, p, n);
	out[n] = '\0';
	return out;
}

/* GCE resource names: [a-z]([-a-z0-9]{0,61}[a-z0-9])? */
static bool valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n == 0 || n > 63 || s[0] < 'a' || s[0] > 'z' || s[n - 1] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-") == n;
}

/* A stable numeric id (19 digits) from a seed. */
static void numeric_id(const struct twin_cloud *c, const char *seed, char out[20])
{
	char in[256];
	unsigned char md[HASH_SHA256_LEN];
	uint64_t v = 0;

	snprintf(in, sizeof(in), "%s/%s", c->name, seed);
	hash_sha256(in, strlen(in), md);
	for (int i = 0; i < 8; i++)
		v = v << 8 | md[i];
	snprintf(out, 20, "%llu", (unsigned long long)(v % 9000000000000000000ull +
							 1000000000000000000ull));
}

static void gtime(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%03d-00:00", (int)(ms % 1000));
}

/*
 * Where links point.  A request that came on Google's own paths (no cloud
 * prefix: libcloud's harness) gets Google's links, exactly as GCE writes
 * them; libcloud needs "https://" to tell a link from a name and strips
 * the host before following one.  A prefixed request gets links back to
 * cloudtwin.
 */
static const char *link_base(const struct twin_ctx *ctx)
{
	return ctx->base == ctx->root ? "https://www.googleapis.com" : ctx->base;
}

static json_t *link(const struct gcp_call *k, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static json_t *link(const struct gcp_call *k, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;
	json_t *s;

	sbuf_adds(&sb, k->api);
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	s = json_string(sbuf_str(&sb));
	sbuf_release(&sb);
	return s;
}

static const char *body_str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static const char *query(const struct gcp_call *k, const char *name)
{
	return params_get(&k->ctx->req->query, name);
}

/* ---- token endpoint ------------------------------------------------------------------- */

static const char *const audiences[] = {
	"https://oauth2.googleapis.com/token", "https://accounts.google.com/o/oauth2/token",
	"https://www.googleapis.com/oauth2/v4/token", "https://accounts.google.com/o/oauth2/v2/auth",
};

/* The claims of a JWT without verifying it (to learn the issuer). */
static json_t *peek_claims(const char *jwt)
{
	const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	struct sbuf raw = SBUF_INIT;
	json_t *doc = NULL;

	raw.max = 65536;
	if (d2 && !codec_b64_decode(&raw, d1 + 1, (size_t)(d2 - d1 - 1)))
		doc = json_loadb(sbuf_str(&raw), raw.len, 0, NULL);
	sbuf_release(&raw);
	return json_is_object(doc) ? doc : (json_decref(doc), NULL);
}

static const struct gcp_account *account(const struct twin_cloud *c, const char *email)
{
	const struct gcp_priv *p = priv_of(c);

	for (size_t i = 0; email && i < p->n; i++) {
		if (strcmp(p->accts[i].email, email) == 0)
			return &p->accts[i];
	}
	return NULL;
}

/* Google's token URLs, the configured token_uri, or the URL this request
 * was sent to (the token_uri /_twin/clouds hands out). */
static bool audience_ok(const struct twin_ctx *ctx, const char *aud)
{
	const char *uri = priv_of(ctx->cloud)->token_uri;
	size_t n = strlen(ctx->root);

	for (size_t i = 0; aud && i < sizeof(audiences) / sizeof(audiences[0]); i++) {
		if (strcmp(aud, audiences[i]) == 0)
			return true;
	}
	if (aud && uri && strcmp(aud, uri) == 0)
		return true;
	return aud && strncmp(aud, ctx->root, n) == 0 && strcmp(aud + n, ctx->req->path) == 0;
}

/* Check an assertion's times: 0 or the reason it fails. */
static const char *times_bad(const struct twin_cloud *c, const json_t *claims)
{
	json_int_t now = clock_wall_ms() / 1000;
	json_t *iat = json_object_get(claims, "iat"), *exp = json_object_get(claims, "exp");

	if (!json_is_integer(iat) || !json_is_integer(exp) || json_integer_value(exp) <= now ||
	    json_integer_value(iat) > now + c->skew_s ||
	    json_integer_value(exp) - json_integer_value(iat) > 3600)
		return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a "
		       "reasonable timeframe. Check your iat and exp values in the JWT claim.";
	return NULL;
}

/* Verify an assertion; 0 with *acct, or -1 after answering. */
static int check_assertion(struct twin_ctx *ctx, const char *jwt, const struct gcp_account **acct)
{
	json_t *peek = peek_claims(jwt), *claims = NULL;
	const char *why;
	int rc = -1;

	*acct = peek ? account(ctx->cloud, body_str(peek, "iss")) : NULL;
	if (!peek)
		oauth_error(ctx, 400, "invalid_grant", "Invalid JWT: malformed assertion.");
	else if (!*acct)
		oauth_error(ctx, 400, "invalid_grant", "Invalid grant: account not found");
	else if (jwt_verify((*acct)->key, jwt, strlen(jwt), NULL, &claims))
		oauth_error(ctx, 400, "invalid_grant", "Invalid JWT Signature.");
	else if (!audience_ok(ctx, body_str(claims, "aud")))
		oauth_error(ctx, 400, "invalid_grant", "Invalid JWT: Failed audience check.");
	else if ((why = times_bad(ctx->cloud, claims)))
		oauth_error(ctx, 400, "invalid_grant", why);
	else if (!body_str(claims, "scope") && !body_str(claims, "target_audience"))
		oauth_error(ctx, 400, "invalid_scope",
			    "Invalid OAuth scope or ID token audience provided.");
	else
		rc = 0;
	json_decref(peek);
	json_decref(claims);
	return rc;
}

static void token_endpoint(struct twin_ctx *ctx)
{
	struct params p = PARAMS_INIT;
	const struct gcp_account *acct;
	const char *grant, *assertion;
	struct sbuf tok = SBUF_INIT;
	json_t *claims;
	int64_t now = clock_wall_ms() / 1000;

	twin_req_params(ctx->req, &p);
	grant = params_get(&p, "grant_type");
	assertion = params_get(&p, "assertion");
	if (!grant || strcmp(grant, JWT_GRANT) != 0) {
		oauth_error(ctx, 400, "unsupported_grant_type", "Invalid grant_type.");
	} else if (!assertion) {
		oauth_error(ctx, 400, "invalid_request", "Missing required parameter: assertion");
	} else if (check_assertion(ctx, assertion, &acct) == 0) {
		claims = json_pack("{s:s}", "sub", acct->email);
		twin_token_issue(&tok, twin_server_token_key(ctx->srv), TOKEN_PREFIX,
				 ctx->cloud->index, now, ctx->cloud->token_ttl_s, claims);
		json_decref(claims);
		twin_resp_json(ctx->resp, 200, json_pack("{s:s,s:I,s:s}", "access_token",
			sbuf_str(&tok), "expires_in", (json_int_t)ctx->cloud->token_ttl_s - 1,
			"token_type", "Bearer"));
	}
	sbuf_release(&tok);
	params_release(&p);
}

/* Check the bearer: a token we issued or a self-signed JWT (JS client
 * with useJWTAccessWithScope).  0 or -1 after answering 401, or 403 for
 * a good token of another cloud (its account has no role here). */
static int authenticate(struct gcp_call *k)
{
	const char *tok = twin_req_bearer(k->ctx->req);
	unsigned idx = 0;
	int rc;
	json_t *claims = NULL, *peek;
	const struct gcp_account *acct;

	if (!tok) {
		twin_resp_header(k->ctx->resp, "WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\"");
		return gcp_error_doc(k->ctx, 401, "required", "UNAUTHENTICATED", "Request is missing "
			"required authentication credential. Expected OAuth 2 access token, login "
			"cookie or other valid authentication credential.");
	}
	rc = twin_token_check(tok, twin_server_token_key(k->ctx->srv), TOKEN_PREFIX,
			      clock_wall_ms() / 1000, &idx);
	if (!rc && idx == k->c->index)
		return 0;
	if (!rc)
		return gcp_error_doc(k->ctx, 403, "forbidden", "PERMISSION_DENIED",
				     "The caller does not have permission");
	peek = rc == -EACCES ? peek_claims(tok) : NULL;
	acct = peek ? account(k->c, body_str(peek, "iss")) : NULL;
	if (acct && !jwt_verify(acct->key, tok, strlen(tok), NULL, &claims) &&
	    !times_bad(k->c, claims))
		rc = 0;
	json_decref(peek);
	json_decref(claims);
	if (!rc)
		return 0;
	twin_resp_header(k->ctx->resp, "WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"");
	return gcp_error_doc(k->ctx, 401, "authError", "UNAUTHENTICATED", "Request had invalid "
		"authentication credentials. Expected OAuth 2 access token, login cookie or other "
		"valid authentication credential.");
}

/* ---- zones, regions, machine types, images ---------------------------------------------- */

static json_t *zone_json(const struct gcp_call *k, size_t r, size_t z)
{
	const char *zone = k->c->regions[r].zones[z];
	char id[20];

	numeric_id(k->c, zone, id);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:o,s:[s,s],s:b}", "kind", "compute#zone",
		"id", id + 15, "creationTimestamp", "1969-12-31T16:00:00.000-08:00", "name", zone,
		"description", zone, "status", "UP", "region",
		link(k, "/regions/%s", k->c->regions[r].name), "selfLink", link(k, "/zones/%s", zone),
		"availableCpuPlatforms", "Intel Cascade Lake", "AMD Milan", "supportsPzs", 0);
}

static json_t *region_json(const struct gcp_call *k, size_t r)
{
	const struct twin_region *g = &k->c->regions[r];
	json_t *zones = json_array();
	char id[20];
	long long quota = k->c->vcpu_quota > 0 ? (long long)k->c->vcpu_quota : 100000;

	numeric_id(k->c, g->name, id);
	for (size_t z = 0; z < g->nzones; z++)
		json_array_append_new(zones, link(k, "/zones/%s", g->zones[z]));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:[{s:s,s:I,s:I},{s:s,s:I,s:I}],s:o,s:b}",
		"kind", "compute#region", "id", id + 15, "creationTimestamp",
		"1969-12-31T16:00:00.000-08:00", "name", g->name, "description", g->name, "status",
		"UP", "zones", zones, "quotas", "metric", "CPUS", "limit", (json_int_t)quota, "usage",
		(json_int_t)k->c->vcpus_used[r], "metric", "INSTANCES", "limit",
		(json_int_t)k->c->max_vms, "usage", (json_int_t)twin_cloud_nvms(k->c), "selfLink",
		link(k, "/regions/%s", g->name), "supportsPzs", 0);
}

static json_t *machine_type_json(const struct gcp_call *k, const struct twin_spec *s,
				 const char *zone)
{
	char id[20], desc[128];
	json_t *o;

	numeric_id(k->c, s->name, id);
	snprintf(desc, sizeof(desc), "%d vCPU%s, %g GB RAM", s->vcpus, s->vcpus > 1 ? "s" : "",
		 s->mem_mib / 1024.0);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:i,s:i,s:i,s:s,s:s,s:o,s:b}", "kind",
		"compute#machineType", "id", id + 9, "creationTimestamp",
		"1969-12-31T16:00:00.000-08:00", "name", s->name, "description", desc, "guestCpus",
		s->vcpus, "memoryMb", s->mem_mib, "imageSpaceGb", 0, "maximumPersistentDisks", 128,
		"maximumPersistentDisksSizeGb", "263168", "zone", zone, "selfLink",
		link(k, "/zones/%s/machineTypes/%s", zone, s->name), "isSharedCpu",
		strncmp(s->name, "e2-micro", 8) == 0 || strncmp(s->name, "e2-small", 8) == 0);
	if (s->gpus)
		json_object_set_new(o, "accelerators", json_pack("[{s:s,s:i}]", "guestAcceleratorType",
			"nvidia-tesla-t4", "guestAcceleratorCount", s->gpus));
	return o;
}

static json_t *image_json(const struct gcp_call *k, const struct twin_image *m)
{
	char self[800];

	snprintf(self, sizeof(self), "%s/compute/v1/projects/%s/global/images/%s",
		 link_base(k->ctx), m->project, m->name);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:{s:s,s:s},s:s,s:s,s:s,s:s,s:s,s:s,s:[s],"
			 "s:s}",
		"kind", "compute#image", "id", m->id, "creationTimestamp",
		"2024-01-10T00:00:00.000-08:00", "name", m->name, "description", m->description,
		"sourceType", "RAW", "rawDisk", "source", "", "containerType", "TAR", "status",
		"READY", "archiveSizeBytes", "2147483648", "diskSizeGb", "10", "family", m->family,
		"selfLink", self, "labelFingerprint", "42WmSpB8rSM=", "storageLocations", "us",
		"architecture", strcmp(m->arch, "arm64") == 0 ? "ARM64" : "X86_64");
}

/* The image a reference names: ".../projects/<p>/global/images/[family/]<x>"
 * or "global/images/<x>" (the caller's project). */
static const struct twin_image *find_image(const struct gcp_call *k, const char *ref)
{
	char project[64], name[256];
	bool family = ref && strstr(ref, "/images/family/");

	if (!segment_after(ref, family ? "/images/family/" : "images/", name, sizeof(name)))
		return NULL;
	if (!segment_after(ref, "projects/", project, sizeof(project)))
		snprintf(project, sizeof(project), "%s", k->project);
	for (size_t i = 0; i < k->c->nimages; i++) {
		const struct twin_image *m = &k->c->images[i];

		if (strcmp(m->project, project) == 0 &&
		    strcmp(family ? m->family : m->name, name) == 0)
			return m;
	}
	return NULL;
}

/* ---- instances: rendering ---------------------------------------------------------------- */

static const char *gcp_status(const struct twin_vm *vm)
{
	bool susp = json_is_true(json_object_get(vm->extra, "suspended"));

	switch (vm->state) {
	case TWIN_VM_PENDING: return "PROVISIONING";
	case TWIN_VM_STARTING: return "STAGING";
	case TWIN_VM_STOPPING: return susp ? "SUSPENDING" : "STOPPING";
	case TWIN_VM_STOPPED: return susp ? "SUSPENDED" : "TERMINATED";
	case TWIN_VM_TERMINATING: return "STOPPING";
	case TWIN_VM_TERMINATED: return "DELETED";
	default: return "RUNNING";
	}
}

static const char *zone_region(const struct twin_cloud *c, const char *zone)
{
	const struct twin_region *r = twin_cloud_zone_region(c, zone, NULL);

	return r ? r->name : "";
}

static json_t *metadata_json(const struct twin_vm *vm)
{
	json_t *items = json_deep_copy(json_object_get(vm->extra, "metadata"));

	return json_pack("{s:s,s:s,s:o}", "kind", "compute#metadata", "fingerprint",
			 "Mc1B-HBpxv0=", "items", items ? items : json_array());
}

/* labelFingerprint: changes whenever the labels do, as GCE's does (8 bytes of a hash, base64). */
static json_t *label_fingerprint(const json_t *labels)
{
	char *text = json_dumps(labels, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char d[HASH_SHA256_LEN];
	struct sbuf b = SBUF_INIT;
	json_t *fp;

	hash_sha256(text ? text : "", text ? strlen(text) : 0, d);
	free(text);
	codec_b64_encode(&b, d, 8);
	fp = json_string(sbuf_str(&b));
	sbuf_release(&b);
	return fp;
}

static json_t *instance_json(const struct gcp_call *k, const struct twin_vm *vm)
{
	char created[48];
	json_t *o, *tags = json_deep_copy(json_object_get(vm->extra, "tags"));
	bool up = vm->state == TWIN_VM_RUNNING || vm->state == TWIN_VM_REBOOTING;

	gtime(vm->created_ms, created, sizeof(created));
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:{s:s,s:o},s:o,s:s,s:o,s:b}", "kind",
		"compute#instance", "id", json_string_value(json_object_get(vm->extra, "id")),
		"creationTimestamp", created, "name", vm->name, "description", "", "tags",
		"fingerprint", "42WmSpB8rSM=", "items", tags ? tags : json_array(), "machineType",
		link(k, "/zones/%s/machineTypes/%s", vm->zone, vm->spec->name), "status",
		gcp_status(vm), "zone", link(k, "/zones/%s", vm->zone), "canIpForward", 0);
	json_object_set_new(o, "networkInterfaces", json_pack("[{s:s,s:o,s:o,s:s,s:s,s:o,s:s}]",
		"kind", "compute#networkInterface", "network", link(k, "/global/networks/default"),
		"subnetwork", link(k, "/regions/%s/subnetworks/default", zone_region(k->c, vm->zone)),
		"networkIP", vm->private_ip, "name", "nic0", "accessConfigs", up ?
		json_pack("[{s:s,s:s,s:s,s:s,s:s}]", "kind", "compute#accessConfig", "type",
			  "ONE_TO_ONE_NAT", "name", "External NAT", "natIP", vm->public_ip,
			  "networkTier", "PREMIUM") :
		json_pack("[{s:s,s:s,s:s,s:s}]", "kind", "compute#accessConfig", "type",
			  "ONE_TO_ONE_NAT", "name", "External NAT", "networkTier", "PREMIUM"),
		"fingerprint", "zQyvYi8hGOY="));
	json_object_set_new(o, "disks", json_pack("[{s:s,s:s,s:s,s:o,s:s,s:i,s:b,s:b,s:s,s:s,s:s}]",
		"kind", "compute#attachedDisk", "type", "PERSISTENT", "mode", "READ_WRITE", "source",
		link(k, "/zones/%s/disks/%s", vm->zone, vm->name), "deviceName", "persistent-disk-0",
		"index", 0, "boot", 1, "autoDelete", 1, "interface", "SCSI", "diskSizeGb", "10",
		"architecture", strcmp(vm->spec->arch, "arm64") == 0 ? "ARM64" : "X86_64"));
	json_object_set_new(o, "metadata", metadata_json(vm));
	json_object_set_new(o, "serviceAccounts", json_pack("[{s:s,s:[s]}]", "email",
		priv_of(k->c)->accts[0].email, "scopes",
		"https://www.googleapis.com/auth/cloud-platform"));
	json_object_set_new(o, "selfLink", link(k, "/zones/%s/instances/%s", vm->zone, vm->name));
	json_object_set_new(o, "scheduling", json_pack("{s:s,s:b,s:b,s:s}", "onHostMaintenance",
		"MIGRATE", "automaticRestart", 1, "preemptible", 0, "provisioningModel", "STANDARD"));
	json_object_set_new(o, "cpuPlatform", json_string("Intel Cascade Lake"));
	json_object_set(o, "labels", vm->tags);
	json_object_set_new(o, "labelFingerprint", label_fingerprint(vm->tags));
	json_object_set_new(o, "startRestricted", json_false());
	json_object_set_new(o, "deletionProtection", json_false());
	json_object_set_new(o, "fingerprint", json_string("hsRNaKs6Wvo="));
	return o;
}

static json_t *disk_json(const struct gcp_call *k, const struct twin_vm *vm)
{
	const struct twin_image *m = twin_cloud_image(k->c, vm->image);
	char created[48], image[800];

	gtime(vm->created_ms, created, sizeof(created));
	snprintf(image, sizeof(image), "%s/compute/v1/projects/%s/global/images/%s",
		 link_base(k->ctx), m ? m->project : k->project, m ? m->name : vm->image);
	return json_pack("{s:s,s:O,s:s,s:s,s:s,s:o,s:s,s:s,s:s,s:o,s:[o],s:o,s:s}", "kind",
		"compute#disk", "id", json_object_get(vm->extra, "id"), "creationTimestamp", created,
		"name", vm->name, "sizeGb", "10", "zone", link(k, "/zones/%s", vm->zone), "status",
		"READY", "sourceImage", image, "sourceImageId", m ? m->id : "",
		"type", link(k, "/zones/%s/diskTypes/pd-balanced", vm->zone), "users",
		link(k, "/zones/%s/instances/%s", vm->zone, vm->name), "selfLink",
		link(k, "/zones/%s/disks/%s", vm->zone, vm->name), "physicalBlockSizeBytes", "4096");
}

/* ---- list filters ------------------------------------------------------------------------- */

/*
 * GCE list filters, the forms clients send: one or more "field op value"
 * terms, optionally parenthesised, joined by blanks or AND.  op is one of
 * = != (exact; value may end in '*' for a prefix), eq ne (regular
 * expression, full match) and ':' (has).  Fields: name, status, zone,
 * machineType, id, labels.<key>.  Returns -EINVAL on anything else.
 */
struct term {
	char field[96];
	char op[4];
	char value[256];
};

static const char *skip_blanks(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '(' || *p == ')')
		p++;
	return p;
}

static int read_word(const char **pp, char *out, size_t len, const char *stops)
{
	const char *p = *pp;
	size_t n = 0;
	char quote = (*p == '"' || *p == '\'') ? *p++ : 0;

	while (*p && (quote ? *p != quote : !strchr(stops, *p))) {
		if (n + 1 >= len)
			return -EINVAL;
		out[n++] = *p++;
	}
	if (quote && *p != quote)
		return -EINVAL;
	if (quote)
		p++;
	out[n] = '\0';
	*pp = p;
	return n || quote ? 0 : -EINVAL;
}

static int read_term(const char **pp, struct term *t)
{
	const char *p = skip_blanks(*pp);
	size_t n;

	if (read_word(&p, t->field, sizeof(t->field), " \t=!:()"))
		return -EINVAL;
	p = skip_blanks(p);
	n = strspn(p, "=!:");
	if (n == 0 && (strncasecmp(p, "eq ", 3) == 0 || strncasecmp(p, "ne ", 3) == 0))
		n = 2;
	if (n == 0 || n > 2)
		return -EINVAL;
	memcpy(t->op, p, n);
	t->op[n] = '\0';
	p = skip_blanks(p + n);
	if (read_word(&p, t->value, sizeof(t->value), " \t)"))
		return -EINVAL;
	*pp = p;
	return 0;
}

static bool known_field(const char *f)
{
	return !strcmp(f, "name") || !strcmp(f, "status") || !strcmp(f, "zone") ||
	       !strcmp(f, "machineType") || !strcmp(f, "id") || !strncmp(f, "labels.", 7);
}

/* Parse a filter into terms (up to max).  Number of terms or -EINVAL. */
static int parse_filter(const char *s, struct term *t, int max)
{
	const char *p = s;
	int n = 0;

	while (*(p = skip_blanks(p))) {
		if (strncmp(p, "AND ", 4) == 0) {
			p += 4;
			continue;
		}
		if (n == max || read_term(&p, &t[n]) || !known_field(t[n].field))
			return -EINVAL;
		if (strcmp(t[n].op, "=") && strcmp(t[n].op, "!=") && strcmp(t[n].op, ":") &&
		    strcasecmp(t[n].op, "eq") && strcasecmp(t[n].op, "ne"))
			return -EINVAL;
		n++;
	}
	return n;
}

static bool term_value_match(const struct term *t, const char *v)
{
	size_t n = strlen(t->value);
	bool m;

	if (!strcasecmp(t->op, "eq") || !strcasecmp(t->op, "ne")) {
		regex_t re;
		char full[300];

		snprintf(full, sizeof(full), "^(%s)$", t->value);
		if (regcomp(&re, full, REG_EXTENDED | REG_NOSUB))
			return false;
		m = v && regexec(&re, v, 0, NULL, 0) == 0;
		regfree(&re);
		return strcasecmp(t->op, "ne") ? m : !m;
	}
	if (!strcmp(t->op, ":"))
		return v && (!strcmp(t->value, "*") || strstr(v, t->value));
	m = v && (n && t->value[n - 1] == '*' ? strncmp(v, t->value, n - 1) == 0 :
		  strcmp(v, t->value) == 0);
	return strcmp(t->op, "!=") ? m : !m;
}

static bool filter_match(const struct term *t, int n, const struct twin_vm *vm)
{
	for (int i = 0; i < n; i++) {
		const char *f = t[i].field, *v;

		if (!strcmp(f, "name"))
			v = vm->name;
		else if (!strcmp(f, "status"))
			v = gcp_status(vm);
		else if (!strcmp(f, "zone"))
			v = vm->zone;
		else if (!strcmp(f, "machineType"))
			v = vm->spec->name;
		else if (!strcmp(f, "id"))
			v = json_string_value(json_object_get(vm->extra, "id"));
		else
			v = json_string_value(json_object_get(vm->tags, f + 7));
		if (!term_value_match(&t[i], v))
			return false;
	}
	return true;
}

/* ---- instances: lists ------------------------------------------------------------------- */

static bool listed(const struct twin_vm *vm)
{
	return vm->state != TWIN_VM_TERMINATED;
}

static int page_args(struct gcp_call *k, long *max, uint64_t *after, struct term *t, int *nt)
{
	const char *mr = query(k, "maxResults"), *pt = query(k, "pageToken");
	const char *f = query(k, "filter");
	struct sbuf raw = SBUF_INIT;
	char *end = NULL;
	bool bad;

	*max = mr ? strtol(mr, &end, 10) : MAX_RESULTS;
	if (mr && (*end || *max < 0 || *max > MAX_RESULTS))
		return gcp_error(k, 400, "invalid", "Invalid value for field 'maxResults': '%s'. "
				 "Must be less than or equal to 500", mr);
	*max = *max ? *max : MAX_RESULTS;
	*after = 0;
	raw.max = 64;
	bad = pt && (codec_b64_decode(&raw, pt, strlen(pt)) || strncmp(sbuf_str(&raw), "seq:", 4));
	if (pt && !bad)
		*after = strtoull(raw.buf + 4, NULL, 10);
	sbuf_release(&raw);
	if (bad)
		return gcp_error(k, 400, "invalid", "Invalid value for field 'pageToken': '%s'.", pt);
	*nt = f ? parse_filter(f, t, 8) : 0;
	if (*nt < 0)
		return gcp_error(k, 400, "invalid", "Invalid value for field 'filter': '%s'. Invalid "
				 "list filter expression.", f);
	return 0;
}

static void set_page_token(json_t *doc, uint64_t seq)
{
	struct sbuf tok = SBUF_INIT;
	char raw[32];

	snprintf(raw, sizeof(raw), "seq:%llu", (unsigned long long)seq);
	codec_b64url_encode(&tok, raw, strlen(raw));
	json_object_set_new(doc, "nextPageToken", json_string(sbuf_str(&tok)));
	sbuf_release(&tok);
}

/* Instances of `zone` (NULL: all zones) from a page's arguments into
 * items; returns the doc to complete with a page token. */
static json_t *collect(struct gcp_call *k, const char *zone, long max, uint64_t after,
		       const struct term *t, int nt, json_t *items)
{
	json_t *doc = json_object();
	long n = 0;

	for (size_t i = twin_cloud_vm_after(k->c, after); i < twin_cloud_nvms(k->c); i++) {
		struct twin_vm *vm = twin_cloud_vm_at(k->c, i, k->ctx->now);

		if (!listed(vm) || (zone && strcmp(vm->zone, zone)) || !filter_match(t, nt, vm))
			continue;
		if (n == max) {
			set_page_token(doc, twin_cloud_vm_at(k->c, i - 1, k->ctx->now)->seq);
			break;
		}
		if (zone) {
			json_array_append_new(items, instance_json(k, vm));
		} else {
			char key[96];
			json_t *z;

			snprintf(key, sizeof(key), "zones/%s", vm->zone);
			z = json_object_get(items, key);
			json_array_append_new(json_object_get(z, "instances"), instance_json(k, vm));
		}
		n++;
	}
	return doc;
}

static void list_instances(struct gcp_call *k, const char *zone)
{
	struct term t[8];
	long max;
	uint64_t after;
	int nt;
	json_t *items = json_array(), *doc;

	if (page_args(k, &max, &after, t, &nt)) {
		json_decref(items);
		return;
	}
	twin_cloud_lock(k->c);
	doc = collect(k, zone, max, after, t, nt, items);
	twin_cloud_unlock(k->c);
	json_object_set_new(doc, "kind", json_string("compute#instanceList"));
	json_object_set_new(doc, "id", json_sprintf("projects/%s/zones/%s/instances", k->project, zone));
	json_object_set_new(doc, "items", items);
	json_object_set_new(doc, "selfLink", link(k, "/zones/%s/instances", zone));
	twin_resp_json(k->ctx->resp, 200, doc);
}

static void aggregated_instances(struct gcp_call *k)
{
	struct term t[8];
	long max;
	uint64_t after;
	int nt;
	json_t *items = json_object(), *doc, *v;
	const char *key;

	if (page_args(k, &max, &after, t, &nt)) {
		json_decref(items);
		return;
	}
	for (size_t r = 0; r < k->c->nregions; r++) {
		for (size_t z = 0; z < k->c->regions[r].nzones; z++) {
			char scope[96];

			snprintf(scope, sizeof(scope), "zones/%s", k->c->regions[r].zones[z]);
			json_object_set_new(items, scope, json_pack("{s:[]}", "instances"));
		}
	}
	twin_cloud_lock(k->c);
	doc = collect(k, NULL, max, after, t, nt, items);
	twin_cloud_unlock(k->c);
	json_object_foreach(items, key, v) {
		if (json_array_size(json_object_get(v, "instances")))
			continue;
		json_object_set_new(items, key, json_pack("{s:{s:s,s:s,s:[{s:s,s:s}]}}", "warning",
			"code", "NO_RESULTS_ON_PAGE", "message", "There are no results for scope on "
			"this page.", "data", "key", "scope", "value", key));
	}
	json_object_set_new(doc, "kind", json_string("compute#instanceAggregatedList"));
	json_object_set_new(doc, "id", json_sprintf("projects/%s/aggregated/instances", k->project));
	json_object_set_new(doc, "items", items);
	json_object_set_new(doc, "selfLink", link(k, "/aggregated/instances"));
	twin_resp_json(k->ctx->resp, 200, doc);
}

/* ---- operations --------------------------------------------------------------------------- */

/* The numeric id of the instance an operation acts on ("" once it is gone). */
static const char *target_id(const struct gcp_call *k, const struct twin_op *op)
{
	size_t i = twin_cloud_vm_after(k->c, op->target_seq - 1);
	struct twin_vm *vm = twin_cloud_vm_at(k->c, i, k->ctx->now);

	if (!vm || vm->seq != op->target_seq)
		return "";
	return json_string_value(json_object_get(vm->extra, "id"));
}

static json_t *operation_json(const struct gcp_call *k, const struct twin_op *op, int64_t now)
{
	bool done = twin_cloud_op_done(op, now);
	char ins[48], end[48];
	json_t *o;

	gtime(op->created_ms, ins, sizeof(ins));
	gtime(op->done_ms, end, sizeof(end));
	o = json_pack("{s:s,s:s,s:s,s:o,s:s,s:o,s:s,s:s,s:i,s:s,s:s,s:o}", "kind",
		"compute#operation", "id", op->id + 24, "name", op->id, "zone",
		link(k, "/zones/%s", op->where), "operationType", op->kind, "targetLink",
		link(k, "/zones/%s/instances/%s", op->where, op->target), "status",
		done ? "DONE" : "RUNNING", "user", priv_of(k->c)->accts[0].email, "progress",
		done ? 100 : 0, "insertTime", ins, "startTime", ins, "selfLink",
		link(k, "/zones/%s/operations/%s", op->where, op->id));
	if (done)
		json_object_set_new(o, "endTime", json_string(end));
	if (op->target_seq)
		json_object_set_new(o, "targetId", json_string(target_id(k, op)));
	if (done && op->error_code[0]) {
		json_object_set_new(o, "error", json_pack("{s:[{s:s,s:s}]}", "errors", "code",
			op->error_code, "message", op->error_message));
		json_object_set_new(o, "httpErrorStatusCode", json_integer(op->http_status));
		json_object_set_new(o, "httpErrorMessage", json_string("FORBIDDEN"));
	}
	return o;
}

static void zone_operation(struct gcp_call *k, const char *zone, const char *name, bool wait)
{
	int64_t until = k->ctx->now + WAIT_MAX_MS, now;
	struct twin_op *op;

	for (;;) {
		twin_cloud_lock(k->c);
		op = twin_cloud_op(k->c, name);
		if (!op || strcmp(op->where, zone)) {
			twin_cloud_unlock(k->c);
			gcp_error(k, 404, "notFound", "The resource 'projects/%s/zones/%s/operations/%s' "
				  "was not found", k->project, zone, name);
			return;
		}
		now = clock_mono_ms();
		if (!wait || twin_cloud_op_done(op, now) || now >= until) {
			twin_resp_json(k->ctx->resp, 200, operation_json(k, op, now));
			twin_cloud_unlock(k->c);
			return;
		}
		twin_cloud_unlock(k->c);
		if (twin_server_sleep(k->ctx->srv, 50))
			return gcp_fail(k->ctx, TWIN_FAIL_INTERNAL, NULL);
	}
}

/* GCE ignores a repeated requestId whatever else changed: one digest for all. */
static const unsigned char *request_digest(void)
{
	static const unsigned char zero[32];

	return zero;
}

/* requestId: a repeat returns the first operation.  1 when answered. */
static int replay(struct gcp_call *k, const unsigned char digest[32])
{
	const char *rid = query(k, "requestId");
	const json_t *prior = NULL;
	struct twin_op *op;

	if (!rid)
		return 0;
	if (twin_cloud_idem_check(k->c, rid, digest, &prior) != 1)
		return 0;
	op = twin_cloud_op(k->c, json_string_value(prior));
	if (!op)
		return 0;
	twin_resp_json(k->ctx->resp, 200, operation_json(k, op, k->ctx->now));
	return 1;
}

static int request_id_bad(struct gcp_call *k)
{
	const char *rid = query(k, "requestId");

	if (!rid)
		return 0;
	if (strlen(rid) != 36 || rid[8] != '-' || rid[13] != '-' || rid[18] != '-' || rid[23] != '-' ||
	    strspn(rid, "0123456789abcdefABCDEF-") != 36 ||
	    strcmp(rid, "00000000-0000-0000-0000-000000000000") == 0)
		return gcp_error(k, 400, "invalid", "Invalid value for field 'requestId': '%s'. The "
				 "request ID must be a valid UUID with the exception that zero UUID is "
				 "not supported (00000000-0000-0000-0000-000000000000).", rid);
	return 0;
}

/* Answer with a new operation for vm (lock held). */
static void start_op(struct gcp_call *k, struct twin_vm *vm, const char *kind, const char *zone,
		     const char *name, int64_t duration, const unsigned char *digest)
{
	struct twin_op *op = twin_cloud_op_new(k->c, kind, name, zone, duration, k->ctx->now);

	if (!op)
		return gcp_fail(k->ctx, TWIN_FAIL_INTERNAL, NULL);
	op->target_seq = vm ? vm->seq : 0;
	if (query(k, "requestId"))
		twin_cloud_idem_put(k->c, query(k, "requestId"), digest, json_string(op->id));
	twin_resp_json(k->ctx->resp, 200, operation_json(k, op, k->ctx->now));
}

/* ---- instances: insert ------------------------------------------------------------------- */

struct insert_args {
	const char *name, *zone;
	const struct twin_spec *spec;
	const struct twin_image *image;
	json_t *labels, *metadata, *tags;	/* borrowed from the body */
};

static int insert_image(struct gcp_call *k, const json_t *disks, struct insert_args *a)
{
	json_t *d;
	size_t i;

	json_array_foreach(disks, i, d) {
		const char *src = body_str(json_object_get(d, "initializeParams"), "sourceImage");

		if (!json_is_true(json_object_get(d, "boot")) && i > 0)
			continue;
		if (!src)
			return gcp_error(k, 400, "invalid", "Invalid value for field "
					 "'resource.disks[%zu].initializeParams.sourceImage': ''. Source "
					 "image must be specified.", i);
		a->image = find_image(k, src);
		if (!a->image)
			return gcp_error(k, 404, "notFound", "The resource '%s' was not found", src);
		return 0;
	}
	return gcp_error(k, 400, "invalid", "Invalid value for field 'resource.disks': ''. Boot "
			 "disk must be specified.");
}

static int insert_network(struct gcp_call *k, const json_t *nics)
{
	json_t *n;
	size_t i;
	char net[96];

	json_array_foreach(nics, i, n) {
		const char *ref = body_str(n, "network");

		if (ref && (!segment_after(ref, "networks/", net, sizeof(net)) ||
			    strcmp(net, "default") != 0))
			return gcp_error(k, 404, "notFound", "The resource 'projects/%s/global/"
					 "networks/%s' was not found", k->project, ref);
	}
	return 0;
}

static int insert_checks(struct gcp_call *k, const char *zone, struct insert_args *a)
{
	const char *mt = body_str(k->body, "machineType");
	char type[96], mzone[64];

	a->zone = zone;
	a->name = body_str(k->body, "name");
	if (!valid_name(a->name))
		return gcp_error(k, 400, "invalid", "Invalid value for field 'resource.name': '%s'. "
				 "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'",
				 a->name ? a->name : "");
	if (!segment_after(mt, "machineTypes/", type, sizeof(type)))
		return gcp_error(k, 400, "invalid", "Invalid value for field 'resource.machineType': "
				 "'%s'. Invalid machine type reference.", mt ? mt : "");
	if (segment_after(mt, "zones/", mzone, sizeof(mzone)) && strcmp(mzone, zone))
		return gcp_error(k, 400, "invalid", "Invalid value for field 'resource.machineType': "
				 "'%s'. Machine type is not in zone '%s'.", mt, zone);
	a->spec = twin_cloud_spec(k->c, type);
	if (!a->spec)
		return gcp_error(k, 400, "invalid", "Invalid value for field 'resource.machineType': "
				 "'%s'. Machine type with name '%s' does not exist in zone '%s'.", mt,
				 type, zone);
	a->labels = json_object_get(k->body, "labels");
	a->metadata = json_object_get(json_object_get(k->body, "metadata"), "items");
	a->tags = json_object_get(json_object_get(k->body, "tags"), "items");
	if (insert_image(k, json_object_get(k->body, "disks"), a))
		return -1;
	return insert_network(k, json_object_get(k->body, "networkInterfaces"));
}

static int insert_user_data(struct gcp_call *k, struct twin_vm *vm, const json_t *items)
{
	json_t *it;
	size_t i;

	json_array_foreach(items, i, it) {
		const char *key = body_str(it, "key"), *val = body_str(it, "value");

		if (!key || !val || (strcmp(key, "user-data") && strcmp(key, "startup-script")))
			continue;
		if (strlen(val) > USER_DATA_MAX)
			return gcp_error(k, 400, "invalid", "Metadata value for key '%s' is too large.",
					 key);
		return twin_cloud_vm_set_user_data(vm, val, strlen(val));
	}
	return 0;
}

static struct twin_vm *insert_vm(struct gcp_call *k, const struct insert_args *a, size_t region)
{
	struct twin_vm *vm = twin_cloud_vm_new();
	char id[20], seed[300];

	if (!vm)
		return NULL;
	snprintf(seed, sizeof(seed), "instance/%s/%s/%lld", a->zone, a->name,
		 (long long)clock_wall_ms());
	numeric_id(k->c, seed, id);
	snprintf(vm->id, sizeof(vm->id), "%s", id);
	snprintf(vm->key, sizeof(vm->key), "%s/%s", a->zone, a->name);
	snprintf(vm->name, sizeof(vm->name), "%s", a->name);
	snprintf(vm->zone, sizeof(vm->zone), "%s", a->zone);
	snprintf(vm->image, sizeof(vm->image), "%s", a->image->id);
	snprintf(vm->token, sizeof(vm->token), "%s", query(k, "requestId") ? query(k, "requestId") : "");
	vm->region = region;
	vm->spec = a->spec;
	json_object_set_new(vm->extra, "id", json_string(id));
	if (json_is_object(a->labels))
		json_object_update(vm->tags, a->labels);
	if (json_is_array(a->metadata))
		json_object_set(vm->extra, "metadata", a->metadata);
	if (json_is_array(a->tags))
		json_object_set(vm->extra, "tags", a->tags);
	if (insert_user_data(k, vm, a->metadata)) {
		twin_cloud_vm_free(vm);
		return NULL;
	}
	return vm;
}

/* A failed insert: an operation that ends DONE with the quota error. */
static void quota_op(struct gcp_call *k, const struct insert_args *a, size_t region, int rc,
		     const unsigned char *digest)
{
	struct twin_op *op = twin_cloud_op_new(k->c, "insert", a->name, a->zone, 0, k->ctx->now);

	if (!op)
		return gcp_fail(k->ctx, TWIN_FAIL_INTERNAL, NULL);
	snprintf(op->error_code, sizeof(op->error_code), "QUOTA_EXCEEDED");
	if (rc == -EDQUOT)
		snprintf(op->error_message, sizeof(op->error_message), "Quota 'CPUS' exceeded.  "
			 "Limit: %lld.0 in region %s.", (long long)k->c->vcpu_quota,
			 k->c->regions[region].name);
	else
		snprintf(op->error_message, sizeof(op->error_message), "Quota 'INSTANCES' exceeded. "
			 " Limit: %lld.0 in region %s.", (long long)k->c->max_vms,
			 k->c->regions[region].name);
	op->http_status = 403;
	if (query(k, "requestId"))
		twin_cloud_idem_put(k->c, query(k, "requestId"), digest, json_string(op->id));
	twin_resp_json(k->ctx->resp, 200, operation_json(k, op, k->ctx->now));
}

static void insert(struct gcp_call *k, const char *zone)
{
	struct insert_args a = { 0 };
	const unsigned char *digest = request_digest();
	struct twin_vm *vm = NULL;
	size_t region = 0;
	int rc;

	if (!json_is_object(k->body))
		return (void)gcp_error(k, 400, "parseError", "Invalid JSON payload received: the "
				       "body must be an Instance resource.");
	if (request_id_bad(k) || insert_checks(k, zone, &a))
		return;
	twin_cloud_zone_region(k->c, zone, &region);
	twin_cloud_lock(k->c);
	if (replay(k, digest))
		goto out_unlock;
	vm = insert_vm(k, &a, region);
	if (!vm)
		goto out_unlock;
	rc = twin_cloud_add_vm(k->c, vm, k->ctx->now);
	if (rc == -EEXIST)
		gcp_error(k, 409, "alreadyExists", "The resource 'projects/%s/zones/%s/instances/%s' "
			  "already exists", k->project, zone, a.name);
	else if (rc)
		quota_op(k, &a, region, rc, digest);
	else
		start_op(k, vm, "insert", zone, a.name, k->c->delay_create, digest);
	if (!rc)
		vm = NULL;
out_unlock:
	twin_cloud_unlock(k->c);
	twin_cloud_vm_free(vm);
}

/* ---- instances: get, delete, actions -------------------------------------------------------- */

static struct twin_vm *find_instance(struct gcp_call *k, const char *zone, const char *name)
{
	char key[192];
	struct twin_vm *vm;

	snprintf(key, sizeof(key), "%s/%s", zone, name);
	vm = twin_cloud_vm_by_key(k->c, key, k->ctx->now);
	return vm && listed(vm) ? vm : NULL;
}

static int64_t act_delay(const struct twin_cloud *c, enum twin_vm_act act)
{
	switch (act) {
	case TWIN_ACT_START: return c->delay_start;
	case TWIN_ACT_STOP: return c->delay_stop;
	case TWIN_ACT_REBOOT: return c->delay_reboot;
	default: return c->delay_terminate;
	}
}

static void act(struct gcp_call *k, struct twin_vm *vm, const char *verb, const char *zone)
{
	static const struct {
		const char *verb;
		enum twin_vm_act act;
		const char *kind;
	} verbs[] = {
		{ "start", TWIN_ACT_START, "start" }, { "stop", TWIN_ACT_STOP, "stop" },
		{ "reset", TWIN_ACT_REBOOT, "reset" }, { "suspend", TWIN_ACT_STOP, "suspend" },
		{ "resume", TWIN_ACT_START, "resume" }, { "", TWIN_ACT_TERMINATE, "delete" },
	};
	const unsigned char *digest = request_digest();
	size_t i;
	enum twin_vm_state before = vm->state;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]) && strcmp(verbs[i].verb, verb); i++)
		;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return (void)gcp_error(k, 404, "notFound", "Not Found");
	if (request_id_bad(k))
		return;
	if (replay(k, digest))
		return;
	if (twin_cloud_act(k->c, vm, verbs[i].act, k->ctx->now))
		return (void)gcp_error(k, 400, "resourceNotReady", "The resource 'projects/%s/zones/"
				       "%s/instances/%s' is not ready", k->project, zone, vm->name);
	if (!strcmp(verb, "suspend") || !strcmp(verb, "stop"))
		json_object_set_new(vm->extra, "suspended", json_boolean(!strcmp(verb, "suspend")));
	start_op(k, vm, verbs[i].kind, zone, vm->name, vm->state == before &&
		 verbs[i].act != TWIN_ACT_REBOOT ? 0 : act_delay(k->c, verbs[i].act), digest);
}

/* POST .../setLabels {labels, labelFingerprint}: the fingerprint must be the current one. */
static void set_labels(struct gcp_call *k, struct twin_vm *vm, const char *zone)
{
	json_t *labels = json_object_get(k->body, "labels"), *cur;
	const char *fp = body_str(k->body, "labelFingerprint");
	int same;

	if (request_id_bad(k) || replay(k, request_digest()))
		return;
	if (labels && !json_is_object(labels))
		return (void)gcp_error(k, 400, "invalid", "Invalid value for field 'labels'");
	if (!fp)
		return (void)gcp_error(k, 400, "required", "Required field 'labelFingerprint' not "
				       "specified");
	cur = label_fingerprint(vm->tags);
	same = !strcmp(fp, json_string_value(cur));
	json_decref(cur);
	if (!same)
		return (void)gcp_error(k, 412, "conditionNotMet", "Supplied fingerprint does not "
				       "match current metadata fingerprint.");
	json_object_clear(vm->tags);
	if (labels)
		json_object_update(vm->tags, labels);
	start_op(k, vm, "setLabels", zone, vm->name, 0, request_digest());
}

/* /zones/<z>/instances/<name>[/<verb>] */
static void one_instance(struct gcp_call *k, const char *zone, const char *rest)
{
	const char *m = k->ctx->req->method, *slash = strchr(rest, '/');
	char name[96];
	struct twin_vm *vm;

	snprintf(name, sizeof(name), "%.*s", (int)(slash ? slash - rest : (long)strlen(rest)), rest);
	twin_cloud_lock(k->c);
	vm = find_instance(k, zone, name);
	if (!vm)
		gcp_error(k, 404, "notFound", "The resource 'projects/%s/zones/%s/instances/%s' was "
			  "not found", k->project, zone, name);
	else if (!slash && !strcmp(m, "GET"))
		twin_resp_json(k->ctx->resp, 200, instance_json(k, vm));
	else if (!slash && !strcmp(m, "DELETE"))
		act(k, vm, "", zone);
	else if (slash && !strcmp(m, "POST") && !strcmp(slash + 1, "setLabels"))
		set_labels(k, vm, zone);
	else if (slash && !strcmp(m, "POST"))
		act(k, vm, slash + 1, zone);
	else
		gcp_error(k, 404, "notFound", "Not Found");
	twin_cloud_unlock(k->c);
}

/* ---- zone resources ------------------------------------------------------------------------- */

static void machine_types(struct gcp_call *k, const char *zone, const char *rest)
{
	json_t *items;

	if (*rest) {
		const struct twin_spec *s = twin_cloud_spec(k->c, rest + 1);

		if (!s || strcmp(s->name, rest + 1))
			return (void)gcp_error(k, 404, "notFound", "The resource 'projects/%s/zones/%s/"
					       "machineTypes/%s' was not found", k->project, zone,
					       rest + 1);
		twin_resp_json(k->ctx->resp, 200, machine_type_json(k, s, zone));
		return;
	}
	items = json_array();
	for (size_t i = 0; i < k->c->nspecs; i++)
		json_array_append_new(items, machine_type_json(k, &k->c->specs[i], zone));
	twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:s,s:o,s:o}", "kind",
		"compute#machineTypeList", "id", zone, "items", items, "selfLink",
		link(k, "/zones/%s/machineTypes", zone)));
}

static void disks(struct gcp_call *k, const char *zone, const char *rest)
{
	json_t *items;

	twin_cloud_lock(k->c);
	if (*rest) {
		struct twin_vm *vm = find_instance(k, zone, rest + 1);

		if (!vm)
			gcp_error(k, 404, "notFound", "The resource 'projects/%s/zones/%s/disks/%s' was "
				  "not found", k->project, zone, rest + 1);
		else
			twin_resp_json(k->ctx->resp, 200, disk_json(k, vm));
		twin_cloud_unlock(k->c);
		return;
	}
	items = json_array();
	for (size_t i = 0; i < twin_cloud_nvms(k->c); i++) {
		struct twin_vm *vm = twin_cloud_vm_at(k->c, i, k->ctx->now);

		if (listed(vm) && !strcmp(vm->zone, zone))
			json_array_append_new(items, disk_json(k, vm));
	}
	twin_cloud_unlock(k->c);
	twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:o}", "kind", "compute#diskList",
						    "items", items));
}

static void aggregated_disks(struct gcp_call *k)
{
	json_t *items = json_object();

	twin_cloud_lock(k->c);
	for (size_t i = 0; i < twin_cloud_nvms(k->c); i++) {
		struct twin_vm *vm = twin_cloud_vm_at(k->c, i, k->ctx->now);
		char scope[96];

		if (!listed(vm))
			continue;
		snprintf(scope, sizeof(scope), "zones/%s", vm->zone);
		if (!json_object_get(items, scope))
			json_object_set_new(items, scope, json_pack("{s:[]}", "disks"));
		json_array_append_new(json_object_get(json_object_get(items, scope), "disks"),
				      disk_json(k, vm));
	}
	twin_cloud_unlock(k->c);
	twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:o}", "kind",
						    "compute#diskAggregatedList", "items", items));
}

static void zone_resource(struct gcp_call *k, const char *p)
{
	char zone[64];
	const char *slash = strchr(p, '/'), *m = k->ctx->req->method;
	size_t n = slash ? (size_t)(slash - p) : strlen(p);
	size_t r = 0, z = 0;

	if (n >= sizeof(zone))
		return (void)gcp_error(k, 404, "notFound", "Unknown zone.");
	memcpy(zone, p, n);
	zone[n] = '\0';
	if (!twin_cloud_zone_region(k->c, zone, &r))
		return (void)gcp_error(k, 404, "notFound", "The resource 'projects/%s/zones/%s' was "
				       "not found", k->project, zone);
	for (z = 0; strcmp(k->c->regions[r].zones[z], zone); z++)
		;
	p = slash ? slash : "";
	if (!*p)
		return twin_resp_json(k->ctx->resp, 200, zone_json(k, r, z));
	if (!strcmp(p, "/instances") && !strcmp(m, "GET"))
		return list_instances(k, zone);
	if ((!strcmp(p, "/instances") || !strcmp(p, "/instances?")) && !strcmp(m, "POST"))
		return insert(k, zone);
	if (!strncmp(p, "/instances/", 11))
		return one_instance(k, zone, p + 11);
	if (!strncmp(p, "/operations/", 12)) {
		char op[96];
		const char *w = strstr(p + 12, "/wait");

		snprintf(op, sizeof(op), "%.*s", (int)(w ? w - (p + 12) : (long)strlen(p + 12)), p + 12);
		return zone_operation(k, zone, op, w && !strcmp(m, "POST"));
	}
	if (!strncmp(p, "/machineTypes", 13))
		return machine_types(k, zone, p + 13);
	if (!strncmp(p, "/disks", 6))
		return disks(k, zone, p + 6);
	if (!strncmp(p, "/diskTypes/", 11))
		return twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o}",
			"kind", "compute#diskType", "name", p + 11, "validDiskSize", "10GB-65536GB",
			"defaultDiskSizeGb", "10", "zone", link(k, "/zones/%s", zone), "selfLink",
			link(k, "/zones/%s/diskTypes/%s", zone, p + 11)));
	gcp_error(k, 404, "notFound", "Not Found");
}

/* ---- global resources ----------------------------------------------------------------------- */

static void images(struct gcp_call *k, const char *rest)
{
	json_t *items;

	if (*rest) {
		char ref[400];
		const struct twin_image *m;

		snprintf(ref, sizeof(ref), "projects/%s/global/images%s", k->project, rest);
		m = find_image(k, ref);
		if (!m)
			return (void)gcp_error(k, 404, "notFound", "The resource '%s' was not found", ref);
		twin_resp_json(k->ctx->resp, 200, image_json(k, m));
		return;
	}
	items = json_array();
	for (size_t i = 0; i < k->c->nimages; i++) {
		if (!strcmp(k->c->images[i].project, k->project))
			json_array_append_new(items, image_json(k, &k->c->images[i]));
	}
	twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:s,s:o,s:o}", "kind",
		"compute#imageList", "id", "projects/global/images", "items", items, "selfLink",
		link(k, "/global/images")));
}

static json_t *network_json(const struct gcp_call *k)
{
	json_t *subs = json_array();

	for (size_t r = 0; r < k->c->nregions; r++)
		json_array_append_new(subs, link(k, "/regions/%s/subnetworks/default",
						 k->c->regions[r].name));
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:b,s:o,s:{s:s},s:i}", "kind", "compute#network",
		"id", "5960437925128651734", "creationTimestamp", "2024-01-01T00:00:00.000-08:00",
		"name", "default", "selfLink", link(k, "/global/networks/default"),
		"autoCreateSubnetworks", 1, "subnetworks", subs, "routingConfig", "routingMode",
		"REGIONAL", "mtu", 1460);
}

static void firewalls(struct gcp_call *k, const char *rest)
{
	const char *m = k->ctx->req->method, *name, *id;
	json_t *items, *fw;

	twin_cloud_lock(k->c);
	if (!*rest && !strcmp(m, "POST")) {
		name = body_str(k->body, "name");
		if (!json_is_object(k->body)) {
			gcp_error(k, 400, "parseError", "Invalid JSON payload received: the body must "
				  "be a Firewall resource.");
		} else if (!valid_name(name)) {
			gcp_error(k, 400, "invalid", "Invalid value for field 'resource.name': '%s'.",
				  name ? name : "");
		} else if (twin_cloud_res_get(k->c, "gcp-fw", name)) {
			gcp_error(k, 409, "alreadyExists", "The resource 'projects/%s/global/firewalls/"
				  "%s' already exists", k->project, name);
		} else {
			json_t *rec = json_deep_copy(k->body);

			json_object_set_new(rec, "kind", json_string("compute#firewall"));
			json_object_set_new(rec, "selfLink", link(k, "/global/firewalls/%s", name));
			twin_cloud_res_put(k->c, "gcp-fw", name, rec);
			twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:s,s:s,s:s,s:o,s:o,s:i}",
				"kind", "compute#operation", "name", "operation-firewall", "operationType",
				"insert", "status", "DONE", "targetLink", link(k, "/global/firewalls/%s",
				name), "selfLink", link(k, "/global/operations/operation-firewall"),
				"progress", 100));
		}
	} else if (!*rest) {
		items = json_array();
		json_object_foreach(twin_cloud_res_all(k->c, "gcp-fw"), id, fw)
			json_array_append(items, fw);
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:o}", "kind",
							    "compute#firewallList", "items", items));
	} else if ((fw = twin_cloud_res_get(k->c, "gcp-fw", rest + 1))) {
		twin_resp_json(k->ctx->resp, 200, json_incref(fw));
	} else {
		gcp_error(k, 404, "notFound", "The resource 'projects/%s/global/firewalls/%s' was not "
			  "found", k->project, rest + 1);
	}
	twin_cloud_unlock(k->c);
}

static void global_resource(struct gcp_call *k, const char *p)
{
	if (!strncmp(p, "/images", 7) && (!p[7] || p[7] == '/'))
		return images(k, p + 7);
	if (!strcmp(p, "/networks/default"))
		return twin_resp_json(k->ctx->resp, 200, network_json(k));
	if (!strcmp(p, "/networks"))
		return twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:[o]}", "kind",
			"compute#networkList", "items", network_json(k)));
	if (!strncmp(p, "/networks/", 10))
		return (void)gcp_error(k, 404, "notFound", "The resource 'projects/%s/global/networks/"
				       "%s' was not found", k->project, p + 10);
	if (!strncmp(p, "/firewalls", 10) && (!p[10] || p[10] == '/'))
		return firewalls(k, p + 10);
	if (!strncmp(p, "/operations/", 12))
		return twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:s,s:s,s:i}", "kind",
			"compute#operation", "name", p + 12, "status", "DONE", "progress", 100));
	gcp_error(k, 404, "notFound", "Not Found");
}

static void regions(struct gcp_call *k, const char *p)
{
	size_t r;
	json_t *items;

	if (!*p) {
		items = json_array();
		twin_cloud_lock(k->c);
		for (r = 0; r < k->c->nregions; r++)
			json_array_append_new(items, region_json(k, r));
		twin_cloud_unlock(k->c);
		return twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:s+,s:o,s:o}", "kind",
			"compute#regionList", "id", "projects/", k->project, "items", items,
			"selfLink", link(k, "/regions")));
	}
	for (r = 0; r < k->c->nregions; r++) {
		size_t n = strlen(k->c->regions[r].name);

		if (!strncmp(p + 1, k->c->regions[r].name, n) && (!p[n + 1] || p[n + 1] == '/'))
			break;
	}
	if (r == k->c->nregions)
		return (void)gcp_error(k, 404, "notFound", "The resource 'projects/%s/regions/%s' was "
				       "not found", k->project, p + 1);
	p += strlen(k->c->regions[r].name) + 1;
	if (!*p) {
		twin_cloud_lock(k->c);
		twin_resp_json(k->ctx->resp, 200, region_json(k, r));
		twin_cloud_unlock(k->c);
	} else if (!strcmp(p, "/subnetworks/default")) {
		twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:s,s:o,s:o,s:s,s:s,s:o}", "kind",
			"compute#subnetwork", "name", "default", "network",
			link(k, "/global/networks/default"), "region",
			link(k, "/regions/%s", k->c->regions[r].name), "ipCidrRange", "10.128.0.0/20",
			"gatewayAddress", "10.128.0.1", "selfLink",
			link(k, "/regions/%s/subnetworks/default", k->c->regions[r].name)));
	} else {
		gcp_error(k, 404, "notFound", "Not Found");
	}
}

static void zones_list(struct gcp_call *k)
{
	json_t *items = json_array();

	for (size_t r = 0; r < k->c->nregions; r++) {
		for (size_t z = 0; z < k->c->regions[r].nzones; z++)
			json_array_append_new(items, zone_json(k, r, z));
	}
	twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:s,s:o,s:o}", "kind", "compute#zoneList",
		"id", "projects/zones", "items", items, "selfLink", link(k, "/zones")));
}

static bool image_project(const struct twin_cloud *c, const char *project)
{
	for (size_t i = 0; i < c->nimages; i++) {
		if (!strcmp(c->images[i].project, project))
			return true;
	}
	return false;
}

static void compute(struct gcp_call *k)
{
	const char *p = k->path;
	bool own = !strcmp(k->project, priv_of(k->c)->project);

	if (!strncmp(p, "/global/images", 14)) {
		if (own || image_project(k->c, k->project))
			return global_resource(k, p + 7);
		/* A public image project we do not carry: no images. */
		return twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:[]}", "kind",
								   "compute#imageList", "items"));
	}
	if (!own)
		return (void)gcp_error(k, 403, "forbidden", "Required 'compute.instances.list' "
				       "permission for 'projects/%s'", k->project);
	if (!*p)
		return twin_resp_json(k->ctx->resp, 200, json_pack("{s:s,s:s,s:s}", "kind",
			"compute#project", "name", k->project, "id", "1234567890"));
	if (!strcmp(p, "/zones"))
		return zones_list(k);
	if (!strncmp(p, "/zones/", 7))
		return zone_resource(k, p + 7);
	if (!strncmp(p, "/regions", 8))
		return regions(k, p + 8);
	if (!strcmp(p, "/aggregated/instances"))
		return aggregated_instances(k);
	if (!strcmp(p, "/aggregated/disks"))
		return aggregated_disks(k);
	if (!strncmp(p, "/global/", 8))
		return global_resource(k, p + 7);
	gcp_error(k, 404, "notFound", "Not Found");
}

/* ---- dispatch ---------------------------------------------------------------------------------- */

static bool token_path(const char *p)
{
	return !strcmp(p, "/token") || !strcmp(p, "/o/oauth2/token") ||
	       !strcmp(p, "/oauth2/v4/token");
}

/* "/compute/v1/projects/<p>[/rest]": the project and the rest. */
static int compute_path(const char *path, char *project, size_t len, const char **rest)
{
	const char *p;
	size_t n;

	if (strncmp(path, "/compute/v1/projects/", 21) != 0)
		return -1;
	p = path + 21;
	n = strcspn(p, "/");
	if (!n || n >= len)
		return -1;
	memcpy(project, p, n);
	project[n] = '\0';
	*rest = p + n;
	return 0;
}

static void gcp_handle(struct twin_ctx *ctx)
{
	struct gcp_call k = { .ctx = ctx, .c = ctx->cloud };
	json_error_t err;

	if (token_path(ctx->path) && !strcmp(ctx->req->method, "POST"))
		return token_endpoint(ctx);
	if (compute_path(ctx->path, k.project, sizeof(k.project), &k.path))
		return gcp_fail(ctx, TWIN_FAIL_NOT_FOUND, NULL);
	snprintf(k.api, sizeof(k.api), "%s/compute/v1/projects/%s", link_base(ctx), k.project);
	if (authenticate(&k))
		return;
	/* Action calls ignore their bodies (libcloud sends "ignored"); the
	 * calls that take a resource check for an object themselves. */
	if (ctx->req->body.len)
		k.body = twin_req_json(ctx->req, &err);
	compute(&k);
	json_decref(k.body);
}

/* ---- routing, setup, description ----------------------------------------------------------------- */

static struct twin_cloud *gcp_claim(struct twin_server *srv, const struct twin_req *req)
{
	char project[64];
	const char *rest, *tok = twin_req_bearer(req);
	struct twin_cloud *c = NULL;
	unsigned idx;

	if (token_path(req->path)) {
		struct params p = PARAMS_INIT;
		json_t *claims = NULL;

		if (!twin_req_params(req, &p) && params_get(&p, "assertion"))
			claims = peek_claims(params_get(&p, "assertion"));
		c = twin_server_index_get(srv, "gcp-iss", body_str(claims, "iss"));
		json_decref(claims);
		params_release(&p);
		return c ? c : twin_server_index_get(srv, "gcp-iss", "");
	}
	if (compute_path(req->path, project, sizeof(project), &rest))
		return NULL;
	c = twin_server_index_get(srv, "gcp-project", project);
	if (!c && tok && !twin_token_check(tok, twin_server_token_key(srv), TOKEN_PREFIX,
					   clock_wall_ms() / 1000, &idx))
		c = twin_server_cloud_at(srv, idx);
	if (!c && tok) {
		json_t *claims = peek_claims(tok);

		c = twin_server_index_get(srv, "gcp-iss", body_str(claims, "iss"));
		json_decref(claims);
	}
	return c ? c : twin_server_index_get(srv, "gcp-iss", "");
}

static void gcp_cleanup(struct twin_cloud *c)
{
	struct gcp_priv *p = c->priv;

	for (size_t i = 0; p && i < p->n; i++) {
		free(p->accts[i].email);
		jwt_key_free(p->accts[i].key);
	}
	if (p)
		free(p->accts);
	free(p);
	c->priv = NULL;
}

static int setup_fail(struct sbuf *err, const struct twin_cloud *c, const char *what)
{
	sbuf_reset(err);
	sbuf_addf(err, "cloud %s: %s", c->name, what);
	return -EINVAL;
}

static int gcp_setup(struct twin_server *srv, struct twin_cloud *c, struct sbuf *err)
{
	struct gcp_priv *p = calloc(1, sizeof(*p));
	size_t i;
	json_t *cr;

	if (!p)
		return -ENOMEM;
	c->priv = p;
	p->accts = calloc(json_array_size(c->creds), sizeof(*p->accts));
	if (!p->accts)
		return -ENOMEM;
	p->project = json_string_value(json_object_get(twin_cloud_cred(c), "project_id"));
	p->token_uri = json_string_value(json_object_get(twin_cloud_cred(c), "token_uri"));
	twin_server_index_put(srv, "gcp-iss", "", c);
	json_array_foreach(c->creds, i, cr) {
		const char *pem = json_string_value(json_object_get(cr, "private_key"));
		const char *email = json_string_value(json_object_get(cr, "client_email"));

		p->accts[i].email = strdup(email);
		if (!p->accts[i].email || !pem ||
		    jwt_key_load_pem(pem, strlen(pem), &p->accts[i].key))
			return setup_fail(err, c, "the service account's private_key is not an RSA "
					  "PEM key");
		p->n = i + 1;
		if (twin_server_index_put(srv, "gcp-iss", email, c))
			return setup_fail(err, c, "client_email is used by another cloud");
		if (twin_server_index_put(srv, "gcp-project",
			json_string_value(json_object_get(cr, "project_id")), c))
			return setup_fail(err, c, "project_id is used by another cloud");
	}
	return 0;
}

static int gcp_describe(struct twin_server *srv, const struct twin_cloud *c, json_t *out)
{
	json_t *cred = json_deep_copy(twin_cloud_cred(c));
	char ep[512], auth[512];

	snprintf(ep, sizeof(ep), "%s/%s/compute/v1/", twin_server_http_url(srv), c->name);
	snprintf(auth, sizeof(auth), "%s/%s/token", twin_server_http_url(srv), c->name);
	if (!json_object_get(cred, "token_uri"))
		json_object_set_new(cred, "token_uri", json_string(auth));
	return json_object_update_new(out, json_pack("{s:s,s:O,s:o}", "endpoint", ep,
		"auth_endpoint", json_object_get(cred, "token_uri"), "credential", cred));
}

static int gcp_adopt(struct twin_cloud *c, struct twin_vm *vm)
{
	char id[20], seed[400];

	snprintf(seed, sizeof(seed), "instance/%s/%s/pre", vm->zone, vm->name);
	numeric_id(c, seed, id);
	snprintf(vm->id, sizeof(vm->id), "%s", id);
	snprintf(vm->key, sizeof(vm->key), "%s/%s", vm->zone, vm->name);
	json_object_set_new(vm->extra, "id", json_string(id));
	return 0;
}

const struct twin_dialect twin_gcp_dialect = {
	.name = "gcp",
	.handle = gcp_handle,
	.fail = gcp_fail,
	.claim = gcp_claim,
	.setup = gcp_setup,
	.cleanup = gcp_cleanup,
	.describe = gcp_describe,
	.status = gcp_status,
	.adopt = gcp_adopt,
};
