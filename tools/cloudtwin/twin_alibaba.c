/*
 * twin_alibaba.c - Alibaba Cloud ECS, the RPC API 2014-05-26: V2
 * (HMAC-SHA1, query or form) and V3 (ACS3-HMAC-SHA256, headers)
 * signatures verified with drivers/common/acs.c, XML or JSON answers by
 * Format (V3 always JSON), instances (RunInstances, CreateInstance,
 * Start/Stop/Reboot/DeleteInstance, DescribeInstances with its JSON-array
 * InstanceIds and paging), images, instance types, regions, zones,
 * security groups and key pairs, ClientToken idempotency and
 * SignatureNonce replay protection.
 *
 * ECS is regional: RegionId names the region (DescribeRegions needs
 * none).  A deleted instance leaves every list at once; addressing it
 * gives InvalidInstanceId.NotFound.  CreateInstance leaves the instance
 * Stopped, RunInstances starts it.  Errors are
 * {"RequestId", "HostId", "Code", "Message", "Recommend"} (<Error> in XML).
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "drivers/common/acs.h"
#include "drivers/common/codec.h"
#include "drivers/common/hash.h"
#include "lib/clock.h"
#include "tools/cloudtwin/twin_dialect.h"
#include "tools/cloudtwin/twin_params.h"
#include "tools/cloudtwin/twin_rand.h"
#include "tools/cloudtwin/twin_server.h"

#define USER_DATA_MAX 32768
#define SG_KIND "ali-sg"
#define KEY_KIND "ali-key"
#define NONCE_TTL_MS (15 * 60 * 1000)

/* One ECS call in progress. */
struct ali_call {
	struct twin_ctx *ctx;
	struct twin_cloud *c;
	struct params p;
	const char *action;
	bool json;		/* answer in JSON */
	size_t region;
	const struct twin_region *r;
};

struct ali_action {
	const char *name;
	void (*fn)(struct ali_call *k);
	bool regional;		/* needs RegionId */
};

/* ---- replies ------------------------------------------------------------------------ */

static int ali_error_ctx(struct twin_ctx *ctx, bool json, int status, const char *code,
			 const char *msg)
{
	char rec[256];
	json_t *doc;

	snprintf(rec, sizeof(rec), "https://api.aliyun.com/troubleshoot?q=%s&product=Ecs", code);
	doc = json_pack("{s:s,s:s,s:s,s:s,s:s}", "RequestId", ctx->request_id, "HostId",
			"ecs.aliyuncs.com", "Code", code, "Message", msg, "Recommend", rec);
	if (json)
		twin_resp_json(ctx->resp, status, doc);
	else
		twin_resp_xml(ctx->resp, status, "Error", NULL, doc);
	return -1;
}

static int ali_error(struct ali_call *k, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int ali_error(struct ali_call *k, int status, const char *code, const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	ali_error_ctx(k->ctx, k->json, status, code, sbuf_str(&msg));
	sbuf_release(&msg);
	return -1;
}

/* Whether the request asks for JSON, before parameters are parsed. */
static bool wants_json(const struct twin_ctx *ctx)
{
	const char *f = params_get(&ctx->req->query, "Format");
	const char *auth = twin_req_header(ctx->req, "Authorization");

	return (f && !strcasecmp(f, "json")) || (auth && !strncmp(auth, ACS_V3_ALGORITHM, 16));
}

static void ali_fail(struct twin_ctx *ctx, enum twin_fail kind, const char *message)
{
	bool json = wants_json(ctx);

	switch (kind) {
	case TWIN_FAIL_THROTTLED:
		ali_error_ctx(ctx, json, 400, "Throttling.User", message ? message :
			      "Request was denied due to user flow control.");
		break;
	case TWIN_FAIL_TOO_LARGE:
		ali_error_ctx(ctx, json, 413, "ContentLengthExceeded", message ? message :
			      "The request body is too large.");
		break;
	case TWIN_FAIL_NOT_FOUND:
		ali_error_ctx(ctx, json, 404, "InvalidAction.NotFound", message ? message :
			      "Specified api is not found, please check your url and method.");
		break;
	case TWIN_FAIL_BAD_REQUEST:
		ali_error_ctx(ctx, json, 400, "InvalidParameter", message ? message :
			      "The request is malformed.");
		break;
	default:
		ali_error_ctx(ctx, json, 500, "InternalError", message ? message :
			      "The request processing has failed due to some unknown error, "
			      "exception or failure.");
	}
}

static json_t *ali_doc(const struct ali_call *k)
{
	return json_pack("{s:s}", "RequestId", k->ctx->request_id);
}

static void ali_send(struct ali_call *k, json_t *doc)
{
	char root[96];

	if (k->json)
		return twin_resp_json(k->ctx->resp, 200, doc);
	snprintf(root, sizeof(root), "%sResponse", k->action);
	twin_resp_xml(k->ctx->resp, 200, root, NULL, doc);
}

/* {"<outer>": {"<inner>": items}} (items stolen). */
static json_t *wrap(const char *inner, json_t *items)
{
	return json_pack("{s:o}", inner, items ? items : json_array());
}

static const char *param(const struct ali_call *k, const char *name)
{
	return params_get(&k->p, name);
}

/* ---- identifiers ---------------------------------------------------------------------- */

/* "<kind>-<n lower-case alphanumerics>" (ECS ids), random. */
static void random_id(const char *kind, size_t n, char *out, size_t len)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char raw[32];
	char body[33];

	if (n > 32)
		n = 32;
	if (twin_rand_bytes(raw, n))
		memset(raw, 7, sizeof(raw));
	for (size_t i = 0; i < n; i++)
		body[i] = alnum[raw[i] % 36];
	body[n] = '\0';
	snprintf(out, len, "%s-%s", kind, body);
}

static void stable_id(const struct twin_cloud *c, const char *kind, const char *seed, char *out,
		      size_t len)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char md[HASH_SHA256_LEN];
	char in[256], body[21];

	snprintf(in, sizeof(in), "%s/%s/%s", c->name, kind, seed);
	hash_sha256(in, strlen(in), md);
	for (int i = 0; i < 20; i++)
		body[i] = alnum[md[i] % 36];
	body[20] = '\0';
	snprintf(out, len, "%s-%s", kind, body);
}

/* ---- authentication --------------------------------------------------------------------- */

static const char *secret_of(const struct twin_cloud *c, const char *akid)
{
	size_t i;
	json_t *cr;

	json_array_foreach(c->creds, i, cr) {
		const char *id = json_string_value(json_object_get(cr, "access_key_id"));

		if (akid && id && !strcmp(id, akid))
			return json_string_value(json_object_get(cr, "access_key_secret"));
	}
	return NULL;
}

static int check_time_nonce(struct ali_call *k, const char *ts, const char *nonce)
{
	int64_t ms, now = clock_wall_ms();
	int rc;

	if (!ts || clock_parse_rfc3339(ts, &ms))
		return ali_error(k, 400, "InvalidTimeStamp.Format", "Specified time stamp or date "
				 "value is not well formatted.");
	if (ms < now - k->c->skew_s * 1000 || ms > now + k->c->skew_s * 1000)
		return ali_error(k, 400, "InvalidTimeStamp.Expired", "Specified time stamp or date "
				 "value is expired.");
	if (!nonce)
		return ali_error(k, 400, "MissingSignatureNonce", "SignatureNonce is mandatory for "
				 "this action.");
	twin_cloud_lock(k->c);
	rc = twin_cloud_nonce_use(k->c, nonce, NONCE_TTL_MS, clock_mono_ms());
	twin_cloud_unlock(k->c);
	if (rc)
		return ali_error(k, 400, "SignatureNonceUsed", "Specified signature nonce was used "
				 "already.");
	return 0;
}

static int bad_signature(struct ali_call *k)
{
	return ali_error(k, 400, "SignatureDoesNotMatch", "Specified signature is not matched with "
			 "our calculation.");
}

static int unknown_key(struct ali_call *k)
{
	return ali_error(k, 404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
}

static int auth_v3(struct ali_call *k, const char *value)
{
	struct acs_v3_auth a;
	const struct twin_req *req = k->ctx->req;
	struct http_header *h = calloc(req->nhdrs ? req->nhdrs : 1, sizeof(*h));
	struct acs_v3_request r = { .method = req->method, .query = req->raw_query, .headers = h,
				    .nheaders = req->nhdrs, .body = req->body.buf,
				    .body_len = req->body.len };
	const char *secret;
	int rc;

	if (!h)
		return ali_error(k, 500, "InternalError", "Out of memory.");
	for (size_t i = 0; i < req->nhdrs; i++)
		h[i] = (struct http_header){ req->hdrs[i].name, req->hdrs[i].value };
	if (acs_v3_parse_authorization(value, &a)) {
		rc = ali_error(k, 400, "IncompleteSignature", "The request signature does not conform "
			       "to Aliyun standards.");
	} else if (!(secret = secret_of(k->c, a.access_key_id))) {
		rc = unknown_key(k);
	} else {
		r.signed_headers = a.signed_headers;
		rc = check_time_nonce(k, twin_req_header(req, "x-acs-date"),
				      twin_req_header(req, "x-acs-signature-nonce"));
		if (!rc && acs_v3_verify(&r, &a, secret))
			rc = bad_signature(k);
	}
	free(h);
	return rc;
}

static int auth_v2(struct ali_call *k)
{
	const char *akid = param(k, "AccessKeyId"), *method = param(k, "SignatureMethod");
	const char *secret = secret_of(k->c, akid);

	if (!akid || !param(k, "Signature"))
		return ali_error(k, 400, "MissingParameter", "The input parameter \"%s\" that is "
				 "mandatory for processing this request is not supplied.",
				 akid ? "Signature" : "AccessKeyId");
	if (!secret)
		return unknown_key(k);
	if (!method || strcmp(method, "HMAC-SHA1"))
		return ali_error(k, 400, "InvalidSignatureMethod", "Specified signature method is "
				 "not valid.");
	if (check_time_nonce(k, param(k, "Timestamp"), param(k, "SignatureNonce")))
		return -1;
	return acs_v2_verify(k->ctx->req->method, &k->p, secret) ? bad_signature(k) : 0;
}

static int ali_auth(struct ali_call *k)
{
	const char *auth = twin_req_header(k->ctx->req, "Authorization");

	if (auth && !strncmp(auth, ACS_V3_ALGORITHM, strlen(ACS_V3_ALGORITHM)))
		return auth_v3(k, auth);
	return auth_v2(k);
}

/* ---- instances: rendering --------------------------------------------------------------- */

static const char *ali_status(const struct twin_vm *vm)
{
	switch (vm->state) {
	case TWIN_VM_PENDING: return "Pending";
	case TWIN_VM_RUNNING: return "Running";
	case TWIN_VM_STOPPING: return "Stopping";
	case TWIN_VM_STOPPED: return "Stopped";
	case TWIN_VM_STARTING:
	case TWIN_VM_REBOOTING: return "Starting";
	default: return "Deleted";
	}
}

static bool listed(const struct twin_vm *vm)
{
	return vm->state != TWIN_VM_TERMINATING && vm->state != TWIN_VM_TERMINATED;
}

static json_t *ip_list(const char *ip)
{
	return ip ? json_pack("{s:[s]}", "IpAddress", ip) : json_pack("{s:[]}", "IpAddress");
}

static json_t *instance_json(const struct ali_call *k, const struct twin_vm *vm)
{
	const struct twin_image *m = twin_cloud_image(k->c, vm->image);
	bool pub = json_is_true(json_object_get(vm->extra, "public")) && vm->state != TWIN_VM_STOPPED;
	char created[40], tmp[40];
	json_t *o, *tags = json_array(), *v;
	const char *key;

	clock_rfc3339(vm->created_ms, 0, tmp, sizeof(tmp));
	snprintf(created, sizeof(created), "%.16sZ", tmp);
	json_object_foreach(vm->tags, key, v)
		json_array_append_new(tags, json_pack("{s:s,s:O}", "TagKey", key, "TagValue", v));
	o = json_pack("{s:s,s:s,s:O,s:s,s:s,s:s,s:i,s:i,s:s,s:s,s:s,s:O,s:s}",
		"InstanceId", vm->id, "InstanceName", vm->name, "Description",
		json_object_get(vm->extra, "Description"), "ImageId", vm->image, "RegionId",
		k->c->regions[vm->region].name, "ZoneId", vm->zone, "Cpu", vm->spec->vcpus,
		"Memory", vm->spec->mem_mib, "InstanceType", vm->spec->name, "InstanceTypeFamily",
		vm->spec->family, "HostName", vm->name, "SerialNumber",
		json_object_get(vm->extra, "SerialNumber"), "Status", ali_status(vm));
	json_object_set_new(o, "SecurityGroupIds", json_pack("{s:O}", "SecurityGroupId",
		json_object_get(vm->extra, "SecurityGroupIds")));
	json_object_set_new(o, "PublicIpAddress", ip_list(pub ? vm->public_ip : NULL));
	json_object_set_new(o, "InnerIpAddress", ip_list(NULL));
	json_object_set_new(o, "VpcAttributes", json_pack("{s:O,s:O,s:o,s:s}", "VpcId",
		json_object_get(vm->extra, "VpcId"), "VSwitchId", json_object_get(vm->extra,
		"VSwitchId"), "PrivateIpAddress", ip_list(vm->private_ip), "NatIpAddress", ""));
	json_object_set_new(o, "EipAddress", json_pack("{s:s,s:s,s:s}", "IpAddress", "",
						       "AllocationId", "", "InternetChargeType", ""));
	json_object_set_new(o, "InternetChargeType", json_string("PayByTraffic"));
	json_object_set_new(o, "InternetMaxBandwidthIn", json_integer(-1));
	json_object_set(o, "InternetMaxBandwidthOut", json_object_get(vm->extra, "Bandwidth"));
	json_object_set_new(o, "InstanceNetworkType", json_string("vpc"));
	json_object_set_new(o, "ClusterId", json_string(""));
	json_object_set_new(o, "VlanId", json_string(""));
	json_object_set_new(o, "InstanceChargeType", json_string("PostPaid"));
	json_object_set_new(o, "CreationTime", json_string(created));
	json_object_set_new(o, "ExpiredTime", json_string("2099-12-31T15:59Z"));
	json_object_set_new(o, "IoOptimized", json_true());
	json_object_set_new(o, "DeviceAvailable", json_true());
	json_object_set_new(o, "OperationLocks", json_pack("{s:[]}", "LockReason"));
	json_object_set_new(o, "Tags", json_pack("{s:o}", "Tag", tags));
	json_object_set_new(o, "OSType", json_string("linux"));
	json_object_set_new(o, "OSName", json_string(m ? m->description : ""));
	json_object_set_new(o, "GPUAmount", json_integer(vm->spec->gpus));
	if (json_object_get(vm->extra, "KeyPairName"))
		json_object_set(o, "KeyPairName", json_object_get(vm->extra, "KeyPairName"));
	return o;
}

/* ---- paging -------------------------------------------------------------------------------- */

/* PageNumber (from 1) and PageSize (1-100, default 10); -1 after answering. */
static int paging(struct ali_call *k, long *page, long *size)
{
	const char *pn = param(k, "PageNumber"), *ps = param(k, "PageSize");
	char *end;

	*page = pn ? strtol(pn, &end, 10) : 1;
	if (pn && (*end || *page < 1))
		return ali_error(k, 400, "InvalidParameter", "The specified parameter \"PageNumber\" "
				 "is not valid.");
	*size = ps ? strtol(ps, &end, 10) : 10;
	if (ps && (*end || *size < 1 || *size > 100))
		return ali_error(k, 400, "InvalidParameter", "The specified parameter \"PageSize\" "
				 "is not valid.");
	return 0;
}

static void page_fields(json_t *doc, long page, long size, long total)
{
	json_object_set_new(doc, "TotalCount", json_integer(total));
	json_object_set_new(doc, "PageNumber", json_integer(page));
	json_object_set_new(doc, "PageSize", json_integer(size));
}

/* A JSON-array string of ids ('["i-1","i-2"]') as an array, or NULL. */
static json_t *id_array(const char *s)
{
	json_t *a = s ? json_loads(s, 0, NULL) : NULL, *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > 100) {
		json_decref(a);
		return NULL;
	}
	json_array_foreach(a, i, v) {
		if (!json_is_string(v)) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

static bool in_list(const json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		if (!strcmp(json_string_value(v), s))
			return true;
	}
	return false;
}

/* Tag.N.Key / Tag.N.Value into an object (new). */
static json_t *tag_params(struct ali_call *k)
{
	json_t *idx = twin_params_indexes(&k->p, "Tag"), *out = json_object(), *n;
	size_t i;

	json_array_foreach(idx, i, n) {
		char kb[48], vb[48];
		const char *key, *val;

		snprintf(kb, sizeof(kb), "Tag.%lld.Key", (long long)json_integer_value(n));
		snprintf(vb, sizeof(vb), "Tag.%lld.Value", (long long)json_integer_value(n));
		key = param(k, kb);
		val = param(k, vb);
		if (key)
			json_object_set_new(out, key, json_string(val ? val : ""));
	}
	json_decref(idx);
	return out;
}

/* DescribeInstances' filters, looked up once per call, not once per VM. */
struct inst_filter {
	const char *exact[4];	/* ZoneId, Status, InstanceType, ImageId */
	const char *name, *sg;
	json_t *ids, *tags;
};

static void filter_init(struct ali_call *k, struct inst_filter *f, json_t *ids)
{
	static const char *const exact[] = { "ZoneId", "Status", "InstanceType", "ImageId" };

	for (size_t i = 0; i < 4; i++)
		f->exact[i] = param(k, exact[i]);
	f->name = param(k, "InstanceName");
	f->sg = param(k, "SecurityGroupId");
	f->ids = ids;
	f->tags = tag_params(k);
}

static bool instance_matches(struct ali_call *k, const struct twin_vm *vm,
			     const struct inst_filter *f)
{
	const char *vals[] = { vm->zone, ali_status(vm), vm->spec->name, vm->image };
	const char *key;
	json_t *v;

	if (vm->region != k->region || !listed(vm) || (f->ids && !in_list(f->ids, vm->id)))
		return false;
	for (size_t i = 0; i < 4; i++) {
		if (f->exact[i] && strcmp(f->exact[i], vals[i]))
			return false;
	}
	if (f->name && fnmatch(f->name, vm->name, 0))
		return false;
	if (f->sg && !in_list(json_object_get(vm->extra, "SecurityGroupIds"), f->sg))
		return false;
	json_object_foreach(f->tags, key, v) {
		if (!json_equal(v, json_object_get(vm->tags, key)))
			return false;
	}
	return true;
}

static void describe_instances(struct ali_call *k)
{
	const char *raw = param(k, "InstanceIds");
	json_t *ids = raw ? id_array(raw) : NULL, *items, *doc;
	struct inst_filter f;
	long page, size, total = 0;

	if (raw && !ids)
		return (void)ali_error(k, 400, "InvalidParameter", "The specified parameter "
				       "\"InstanceIds\" is not valid.");
	if (paging(k, &page, &size)) {
		json_decref(ids);
		return;
	}
	filter_init(k, &f, ids);
	items = json_array();
	twin_cloud_lock(k->c);
	for (size_t i = 0; i < twin_cloud_nvms(k->c); i++) {
		struct twin_vm *vm = twin_cloud_vm_at(k->c, i, k->ctx->now);

		if (!instance_matches(k, vm, &f))
			continue;
		if (total >= (page - 1) * size && total < page * size)
			json_array_append_new(items, instance_json(k, vm));
		total++;
	}
	twin_cloud_unlock(k->c);
	doc = ali_doc(k);
	json_object_set_new(doc, "Instances", wrap("Instance", items));
	page_fields(doc, page, size, total);
	ali_send(k, doc);
	json_decref(ids);
	json_decref(f.tags);
}

/* ---- instances: create ---------------------------------------------------------------------- */

struct create_args {
	const struct twin_spec *spec;
	const char *image, *zone, *name, *sg, *token, *key;
	long amount, min, bandwidth;
	json_t *tags;
	struct sbuf user_data;
};

static int create_basics(struct ali_call *k, struct create_args *a)
{
	const char *type = param(k, "InstanceType"), *zone = param(k, "ZoneId");
	size_t region;

	a->image = param(k, "ImageId");
	if (!a->image)
		return ali_error(k, 400, "MissingParameter", "The input parameter \"ImageId\" that is "
				 "mandatory for processing this request is not supplied.");
	if (!twin_cloud_image(k->c, a->image) || strcmp(twin_cloud_image(k->c, a->image)->id, a->image))
		return ali_error(k, 404, "InvalidImageId.NotFound", "The specified ImageId does not "
				 "exist.");
	a->spec = type ? twin_cloud_spec(k->c, type) : NULL;
	if (!a->spec)
		return ali_error(k, 400, "InvalidInstanceType.NotFound", "The specified InstanceType "
				 "does not exist.");
	a->zone = zone ? zone : k->r->zones[0];
	if (!twin_cloud_zone_region(k->c, a->zone, &region) || region != k->region)
		return ali_error(k, 404, "InvalidZoneId.NotFound", "The specified zone does not "
				 "exist.");
	return 0;
}

static int create_extras(struct ali_call *k, struct create_args *a)
{
	const char *bw = param(k, "InternetMaxBandwidthOut"), *ud = param(k, "UserData");
	char *end;

	a->name = param(k, "InstanceName");
	a->sg = param(k, "SecurityGroupId");
	a->token = param(k, "ClientToken");
	a->key = param(k, "KeyPairName");
	a->bandwidth = bw ? strtol(bw, &end, 10) : 0;
	if (bw && (*end || a->bandwidth < 0 || a->bandwidth > 100))
		return ali_error(k, 400, "InvalidInternetMaxBandwidthOut.Malformed", "The specified "
				 "parameter InternetMaxBandwidthOut is not valid.");
	if (a->token && strlen(a->token) > 64)
		return ali_error(k, 400, "InvalidClientToken.Malformed", "The specified parameter "
				 "\"ClientToken\" is not valid.");
	a->user_data.max = USER_DATA_MAX;
	if (ud && codec_b64_decode(&a->user_data, ud, strlen(ud)))
		return ali_error(k, 400, "InvalidUserData.Base64FormatInvalid", "The specified "
				 "parameter UserData must be base64 encoded.");
	a->tags = tag_params(k);
	return 0;
}

/* Checks that need the lock: the security group and the key pair. */
static int create_refs(struct ali_call *k, const struct create_args *a)
{
	json_t *sg = a->sg ? twin_cloud_res_get(k->c, SG_KIND, a->sg) : NULL;

	if (a->sg && (!sg || strcmp(json_string_value(json_object_get(sg, "RegionId")), k->r->name)))
		return ali_error(k, 404, "InvalidSecurityGroupId.NotFound", "The specified "
				 "SecurityGroupId does not exist.");
	if (a->key && !twin_cloud_res_get(k->c, KEY_KIND, a->key))
		return ali_error(k, 404, "InvalidKeyPairName.NotFound", "The specified KeyPairName "
				 "does not exist in our records.");
	return 0;
}

static struct twin_vm *one_vm(struct ali_call *k, const struct create_args *a, bool stopped)
{
	struct twin_vm *vm = twin_cloud_vm_new();
	char vpc[64], vsw[64], serial[37];

	if (!vm)
		return NULL;
	random_id("i", 20, vm->id, sizeof(vm->id));
	snprintf(vm->name, sizeof(vm->name), "%s", a->name ? a->name : vm->id);
	snprintf(vm->zone, sizeof(vm->zone), "%s", a->zone);
	snprintf(vm->image, sizeof(vm->image), "%s", a->image);
	snprintf(vm->token, sizeof(vm->token), "%s", a->token ? a->token : "");
	vm->region = k->region;
	vm->spec = a->spec;
	vm->boot_stopped = stopped;
	json_object_update(vm->tags, a->tags);
	if (a->user_data.len)
		twin_cloud_vm_set_user_data(vm, a->user_data.buf, a->user_data.len);
	stable_id(k->c, "vpc", k->r->name, vpc, sizeof(vpc));
	stable_id(k->c, "vsw", a->zone, vsw, sizeof(vsw));
	hash_uuid4(serial);
	json_object_set_new(vm->extra, "VpcId", json_string(vpc));
	json_object_set_new(vm->extra, "VSwitchId", json_string(vsw));
	json_object_set_new(vm->extra, "SerialNumber", json_string(serial));
	json_object_set_new(vm->extra, "Description", json_string(param(k, "Description") ?
				param(k, "Description") : ""));
	json_object_set_new(vm->extra, "SecurityGroupIds", a->sg ? json_pack("[s]", a->sg) :
			    json_array());
	json_object_set_new(vm->extra, "Bandwidth", json_integer(a->bandwidth));
	json_object_set_new(vm->extra, "public", json_boolean(a->bandwidth > 0));
	if (a->key)
		json_object_set_new(vm->extra, "KeyPairName", json_string(a->key));
	return vm;
}

static int quota_error(struct ali_call *k, int rc)
{
	if (rc == -EDQUOT || rc == -ENOSPC)
		return ali_error(k, 403, "QuotaExceed.ElasticQuota", "The number of vCPUs assigned to "
				 "the ECS instances has exceeded the quota in the zone. Please submit "
				 "a ticket to raise the quota.");
	return ali_error(k, 500, "InternalError", "The request processing has failed due to some "
			 "unknown error.");
}

static const char *const idem_skip[] = { "ClientToken", "Signature", "SignatureNonce",
	"Timestamp", "AccessKeyId", "SignatureMethod", "SignatureVersion", "Format", "Version",
	NULL };

/* Create a.amount VMs (lock held); the ids, or NULL after answering. */
static json_t *create_vms(struct ali_call *k, struct create_args *a, bool stopped)
{
	json_t *ids = json_array();
	long n = a->amount;

	if (k->c->vcpu_quota > 0) {
		long fit = (long)((k->c->vcpu_quota - k->c->vcpus_used[k->region]) / a->spec->vcpus);

		n = fit < n ? fit : n;
	}
	if (n < a->min) {
		json_decref(ids);
		quota_error(k, -EDQUOT);
		return NULL;
	}
	for (long i = 0; i < n; i++) {
		struct twin_vm *vm = one_vm(k, a, stopped);
		int rc = vm ? twin_cloud_add_vm(k->c, vm, k->ctx->now) : -ENOMEM;

		if (rc) {
			twin_cloud_vm_free(vm);
			if (i < a->min) {
				json_decref(ids);
				quota_error(k, rc);
				return NULL;
			}
			break;
		}
		json_array_append_new(ids, json_string(vm->id));
	}
	return ids;
}

static void create_common(struct ali_call *k, bool run)
{
	struct create_args a = { .amount = 1, .min = 1 };
	const char *amount = param(k, "Amount"), *min = param(k, "MinAmount");
	unsigned char digest[32];
	const json_t *prior = NULL;
	json_t *ids = NULL, *doc;
	int seen = 0;

	if (create_basics(k, &a) || create_extras(k, &a))
		goto out_release;
	a.amount = amount ? strtol(amount, NULL, 10) : 1;
	a.min = min ? strtol(min, NULL, 10) : a.amount;
	if (a.amount < 1 || a.amount > 100 || a.min < 1 || a.min > a.amount) {
		ali_error(k, 400, "InvalidAmount.ValueNotSupported", "The specified parameter "
			  "\"Amount\" should be between 1 and 100.");
		goto out_release;
	}
	twin_params_digest(&k->p, idem_skip, digest);
	twin_cloud_lock(k->c);
	if (create_refs(k, &a))
		goto out_unlock;
	if (a.token)
		seen = twin_cloud_idem_check(k->c, a.token, digest, &prior);
	if (seen == -EEXIST) {
		ali_error(k, 400, "IdempotentParameterMismatch", "The specified parameter has changed "
			  "while using an already used clientToken.");
		goto out_unlock;
	}
	ids = seen == 1 ? json_deep_copy(prior) : create_vms(k, &a, !run);
	if (ids && a.token && !seen)
		twin_cloud_idem_put(k->c, a.token, digest, json_incref(ids));
out_unlock:
	twin_cloud_unlock(k->c);
	if (ids) {
		doc = ali_doc(k);
		if (run) {
			json_object_set_new(doc, "InstanceIdSets", wrap("InstanceIdSet", ids));
		} else {
			json_object_set(doc, "InstanceId", json_array_get(ids, 0));
			json_decref(ids);
		}
		ali_send(k, doc);
	}
out_release:
	json_decref(a.tags);
	sbuf_release(&a.user_data);
}

static void run_instances(struct ali_call *k)
{
	create_common(k, true);
}

static void create_instance(struct ali_call *k)
{
	create_common(k, false);
}

/* ---- instances: actions -------------------------------------------------------------------------- */

static struct twin_vm *find_instance(struct ali_call *k)
{
	const char *id = param(k, "InstanceId");
	struct twin_vm *vm = id ? twin_cloud_vm(k->c, id, k->ctx->now) : NULL;

	if (!id) {
		ali_error(k, 400, "MissingParameter", "The input parameter \"InstanceId\" that is "
			  "mandatory for processing this request is not supplied.");
		return NULL;
	}
	if (!vm || !listed(vm) || vm->region != k->region) {
		ali_error(k, 404, "InvalidInstanceId.NotFound", "The specified InstanceId does not "
			  "exist.");
		return NULL;
	}
	return vm;
}

static bool allowed(const struct twin_vm *vm, enum twin_vm_act act, bool force)
{
	switch (act) {
	case TWIN_ACT_START: return vm->state == TWIN_VM_STOPPED;
	case TWIN_ACT_STOP:
	case TWIN_ACT_REBOOT: return vm->state == TWIN_VM_RUNNING;
	default: return vm->state == TWIN_VM_STOPPED || force;
	}
}

static void act(struct ali_call *k, enum twin_vm_act a, const char *force_param)
{
	const char *f = force_param ? param(k, force_param) : NULL;
	bool force = f && !strcasecmp(f, "true");
	struct twin_vm *vm;

	twin_cloud_lock(k->c);
	vm = find_instance(k);
	if (vm && (!allowed(vm, a, force) || twin_cloud_act(k->c, vm, a, k->ctx->now)))
		ali_error(k, 403, "IncorrectInstanceStatus", "The current status of the resource does "
			  "not support this operation.");
	else if (vm)
		ali_send(k, ali_doc(k));
	twin_cloud_unlock(k->c);
}

static void start_instance(struct ali_call *k)
{
	act(k, TWIN_ACT_START, NULL);
}

static void stop_instance(struct ali_call *k)
{
	act(k, TWIN_ACT_STOP, "ForceStop");
}

static void reboot_instance(struct ali_call *k)
{
	act(k, TWIN_ACT_REBOOT, "ForceStop");
}

static void delete_instance(struct ali_call *k)
{
	act(k, TWIN_ACT_TERMINATE, "Force");
}

/* ---- tags: TagResources, UntagResources (ResourceType=instance) ---------------------------------- */

#define TAG_MAX_RESOURCES 50

/* The instances of ResourceId.N into vms (lock held); 0, or nonzero after answering. */
static int tag_targets(struct ali_call *k, struct twin_vm **vms, size_t *n)
{
	const char *type = param(k, "ResourceType");
	json_t *ids = json_array(), *id;
	size_t i;
	int rc = 0;

	if (!type)
		rc = ali_error(k, 400, "MissingParameter", "The input parameter \"ResourceType\" "
			       "that is mandatory for processing this request is not supplied.");
	else if (strcasecmp(type, "instance"))
		rc = ali_error(k, 400, "InvalidResourceType.NotSupported", "The specified "
			       "ResourceType is not supported.");
	else if (!ids || twin_params_list(&k->p, "ResourceId", ids) ||
		 json_array_size(ids) > TAG_MAX_RESOURCES)
		rc = ali_error(k, 400, "InvalidResourceId.Malformed", "The specified ResourceId "
			       "is not valid.");
	else if (!json_array_size(ids))
		rc = ali_error(k, 400, "MissingParameter", "The input parameter \"ResourceId\" "
			       "that is mandatory for processing this request is not supplied.");
	*n = 0;
	json_array_foreach(rc ? NULL : ids, i, id) {
		vms[i] = twin_cloud_vm(k->c, json_string_value(id), k->ctx->now);
		if (!vms[i] || !listed(vms[i]) || vms[i]->region != k->region) {
			rc = ali_error(k, 404, "InvalidResourceId.NotFound", "The specified "
				       "ResourceIds are not found in our records.");
			break;
		}
		*n = i + 1;
	}
	json_decref(ids);
	return rc;
}

static void tag_resources(struct ali_call *k)
{
	struct twin_vm *vms[TAG_MAX_RESOURCES];
	json_t *tags = tag_params(k), *v;
	const char *key;
	size_t n;

	json_object_foreach(tags, key, v) {
		if (!*key || strlen(key) > 128 || !strncasecmp(key, "aliyun", 6) ||
		    !strncasecmp(key, "acs:", 4) || strlen(json_string_value(v)) > 128) {
			json_decref(tags);
			return (void)ali_error(k, 400, "InvalidTagKey.Malformed", "The specified "
					       "Tag.n.Key is not valid.");
		}
	}
	if (!json_object_size(tags)) {
		json_decref(tags);
		return (void)ali_error(k, 400, "MissingParameter", "The input parameter \"Tag\" "
				       "that is mandatory for processing this request is not supplied.");
	}
	twin_cloud_lock(k->c);
	if (tag_targets(k, vms, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			json_object_update(vms[i]->tags, tags);
		ali_send(k, ali_doc(k));
	}
	twin_cloud_unlock(k->c);
	json_decref(tags);
}

static void untag_resources(struct ali_call *k)
{
	const char *all = param(k, "All");
	struct twin_vm *vms[TAG_MAX_RESOURCES];
	json_t *keys = json_array(), *key;
	size_t n, j;

	if (!keys || twin_params_list(&k->p, "TagKey", keys)) {
		json_decref(keys);
		return (void)ali_error(k, 400, "InvalidTagKey.Malformed", "The specified TagKey is "
				       "not valid.");
	}
	twin_cloud_lock(k->c);
	if (tag_targets(k, vms, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (all && !strcasecmp(all, "true"))
				json_object_clear(vms[i]->tags);
			json_array_foreach(keys, j, key)
				json_object_del(vms[i]->tags, json_string_value(key));
		}
		ali_send(k, ali_doc(k));
	}
	twin_cloud_unlock(k->c);
	json_decref(keys);
}

/* ---- catalog ------------------------------------------------------------------------------------- */

static void describe_regions(struct ali_call *k)
{
	json_t *items = json_array(), *doc = ali_doc(k);

	for (size_t i = 0; i < k->c->nregions; i++) {
		char ep[128];

		snprintf(ep, sizeof(ep), "ecs.%s.aliyuncs.com", k->c->regions[i].name);
		json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:s}", "RegionId",
			k->c->regions[i].name, "LocalName", k->c->regions[i].display,
			"RegionEndpoint", ep, "Status", "available"));
	}
	json_object_set_new(doc, "Regions", wrap("Region", items));
	ali_send(k, doc);
}

static void describe_zones(struct ali_call *k)
{
	json_t *items = json_array(), *types = json_array(), *doc = ali_doc(k);

	for (size_t i = 0; i < k->c->nspecs; i++)
		json_array_append_new(types, json_string(k->c->specs[i].name));
	for (size_t z = 0; z < k->r->nzones; z++)
		json_array_append_new(items, json_pack("{s:s,s:s,s:{s:[s,s,s]},s:{s:O},s:{s:[s,s,s]}}",
			"ZoneId", k->r->zones[z], "LocalName", k->r->zones[z],
			"AvailableResourceCreation", "ResourceTypes", "Instance", "Disk", "IoOptimized",
			"AvailableInstanceTypes", "InstanceTypes", types, "AvailableDiskCategories",
			"DiskCategories", "cloud_efficiency", "cloud_ssd", "cloud_essd"));
	json_decref(types);
	json_object_set_new(doc, "Zones", wrap("Zone", items));
	ali_send(k, doc);
}

static void describe_types(struct ali_call *k)
{
	json_t *want = json_array(), *items = json_array(), *doc;
	const char *family = param(k, "InstanceTypeFamily");

	twin_params_list(&k->p, "InstanceTypes", want);
	for (size_t i = 0; i < k->c->nspecs; i++) {
		const struct twin_spec *s = &k->c->specs[i];

		if ((json_array_size(want) && !in_list(want, s->name)) ||
		    (family && strcmp(family, s->family)))
			continue;
		json_array_append_new(items, json_pack("{s:s,s:i,s:f,s:s,s:i,s:s,s:s}",
			"InstanceTypeId", s->name, "CpuCoreCount", s->vcpus, "MemorySize",
			s->mem_mib / 1024.0, "InstanceTypeFamily", s->family, "GPUAmount", s->gpus,
			"GPUSpec", s->gpus ? "NVIDIA T4" : "", "CpuArchitecture",
			strcmp(s->arch, "arm64") ? "X86" : "ARM"));
	}
	json_decref(want);
	doc = ali_doc(k);
	json_object_set_new(doc, "InstanceTypes", wrap("InstanceType", items));
	ali_send(k, doc);
}

static json_t *image_json(const struct twin_image *m)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:i,s:b,s:s}",
		"ImageId", m->id, "ImageName", m->id, "Description", m->description, "OSType",
		m->os, "Architecture", m->arch, "OSName", m->description, "Platform", m->family,
		"ImageOwnerAlias", m->project, "Status", "Available", "CreationTime",
		"2024-01-30T00:00:00Z", "Size", 20, "IsSupportIoOptimized", 1, "Usage", "instance");

	json_object_set_new(o, "DiskDeviceMappings", json_pack("{s:[{s:s,s:i,s:s,s:s,s:s,s:s}]}",
		"DiskDeviceMapping", "Device", "/dev/xvda", "Size", 20, "SnapshotId", "", "Format",
		"", "ImportOSSBucket", "", "ImportOSSObject", ""));
	json_object_set_new(o, "ImageVersion", json_string("1.0.0"));
	json_object_set_new(o, "Progress", json_string("100%"));
	json_object_set_new(o, "ProductCode", json_string(""));
	json_object_set_new(o, "IsCopied", json_false());
	json_object_set_new(o, "IsSelfShared", json_string(""));
	json_object_set_new(o, "IsSubscribed", json_false());
	json_object_set_new(o, "Tags", json_pack("{s:[]}", "Tag"));
	return o;
}

static bool image_matches(const struct ali_call *k, const struct twin_image *m)
{
	const char *ids = param(k, "ImageId"), *name = param(k, "ImageName");
	const char *owner = param(k, "ImageOwnerAlias"), *arch = param(k, "Architecture");
	char want[1100], mine[300];

	/* ImageId may list several ids, comma-separated. */
	snprintf(want, sizeof(want), ",%s,", ids ? ids : "");
	snprintf(mine, sizeof(mine), ",%s,", m->id);
	if (ids && !strstr(want, mine))
		return false;
	if (name && fnmatch(name, m->id, 0))
		return false;
	if (owner && strcmp(owner, m->project))
		return false;
	return !arch || !strcmp(arch, m->arch);
}

static void describe_images(struct ali_call *k)
{
	long page, size, total = 0;
	json_t *items, *doc;

	if (paging(k, &page, &size))
		return;
	items = json_array();
	for (size_t i = 0; i < k->c->nimages; i++) {
		if (!image_matches(k, &k->c->images[i]))
			continue;
		if (total >= (page - 1) * size && total < page * size)
			json_array_append_new(items, image_json(&k->c->images[i]));
		total++;
	}
	doc = ali_doc(k);
	json_object_set_new(doc, "RegionId", json_string(k->r->name));
	json_object_set_new(doc, "Images", wrap("Image", items));
	page_fields(doc, page, size, total);
	ali_send(k, doc);
}

/* ---- security groups and key pairs --------------------------------------------------------------- */

static void ensure_default_groups(struct twin_cloud *c)
{
	for (size_t i = 0; i < c->nregions; i++) {
		char id[64], vpc[64];

		stable_id(c, "sg", c->regions[i].name, id, sizeof(id));
		stable_id(c, "vpc", c->regions[i].name, vpc, sizeof(vpc));
		if (!twin_cloud_res_get(c, SG_KIND, id))
			twin_cloud_res_put(c, SG_KIND, id, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[]}",
				"SecurityGroupId", id, "SecurityGroupName", "default", "Description",
				"System created security group.", "VpcId", vpc, "RegionId",
				c->regions[i].name, "CreationTime", "2024-01-01T00:00:00Z", "Permissions"));
	}
}

static json_t *group_json(const json_t *g)
{
	return json_pack("{s:O,s:O,s:O,s:O,s:O,s:{s:[]}}", "SecurityGroupId",
		json_object_get(g, "SecurityGroupId"), "SecurityGroupName",
		json_object_get(g, "SecurityGroupName"), "Description",
		json_object_get(g, "Description"), "VpcId", json_object_get(g, "VpcId"),
		"CreationTime", json_object_get(g, "CreationTime"), "Tags", "Tag");
}

static void describe_groups(struct ali_call *k)
{
	const char *raw = param(k, "SecurityGroupIds"), *id;
	json_t *want = raw ? id_array(raw) : NULL, *items, *g, *doc;
	long page, size, total = 0;

	if ((raw && !want) || paging(k, &page, &size)) {
		if (raw && !want)
			ali_error(k, 400, "InvalidParameter", "The specified parameter "
				  "\"SecurityGroupIds\" is not valid.");
		json_decref(want);
		return;
	}
	items = json_array();
	twin_cloud_lock(k->c);
	json_object_foreach(twin_cloud_res_all(k->c, SG_KIND), id, g) {
		if (strcmp(json_string_value(json_object_get(g, "RegionId")), k->r->name) ||
		    (want && !in_list(want, id)))
			continue;
		if (total >= (page - 1) * size && total < page * size)
			json_array_append_new(items, group_json(g));
		total++;
	}
	twin_cloud_unlock(k->c);
	doc = ali_doc(k);
	json_object_set_new(doc, "RegionId", json_string(k->r->name));
	json_object_set_new(doc, "SecurityGroups", wrap("SecurityGroup", items));
	page_fields(doc, page, size, total);
	ali_send(k, doc);
	json_decref(want);
}

static void create_group(struct ali_call *k)
{
	const char *name = param(k, "SecurityGroupName"), *desc = param(k, "Description");
	char id[64], vpc[64];
	json_t *doc;

	random_id("sg", 20, id, sizeof(id));
	stable_id(k->c, "vpc", k->r->name, vpc, sizeof(vpc));
	twin_cloud_lock(k->c);
	twin_cloud_res_put(k->c, SG_KIND, id, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:[]}",
		"SecurityGroupId", id, "SecurityGroupName", name ? name : id, "Description",
		desc ? desc : "", "VpcId", vpc, "RegionId", k->r->name, "CreationTime",
		"2024-01-01T00:00:00Z", "Permissions"));
	twin_cloud_unlock(k->c);
	doc = ali_doc(k);
	json_object_set_new(doc, "SecurityGroupId", json_string(id));
	ali_send(k, doc);
}

/* The security group SecurityGroupId names in this region (lock held). */
static json_t *named_group(struct ali_call *k)
{
	const char *id = param(k, "SecurityGroupId");
	json_t *g = id ? twin_cloud_res_get(k->c, SG_KIND, id) : NULL;

	if (!g || strcmp(json_string_value(json_object_get(g, "RegionId")), k->r->name)) {
		ali_error(k, 404, "InvalidSecurityGroupId.NotFound", "The specified SecurityGroupId "
			  "does not exist.");
		return NULL;
	}
	return g;
}

static void authorize_group(struct ali_call *k)
{
	json_t *g;

	twin_cloud_lock(k->c);
	g = named_group(k);
	if (g && (!param(k, "IpProtocol") || !param(k, "PortRange"))) {
		ali_error(k, 400, "MissingParameter", "The input parameter \"%s\" that is mandatory "
			  "for processing this request is not supplied.", param(k, "IpProtocol") ?
			  "PortRange" : "IpProtocol");
	} else if (g) {
		json_array_append_new(json_object_get(g, "Permissions"), json_pack("{s:s,s:s,s:s}",
			"IpProtocol", param(k, "IpProtocol"), "PortRange", param(k, "PortRange"),
			"SourceCidrIp", param(k, "SourceCidrIp") ? param(k, "SourceCidrIp") : ""));
		ali_send(k, ali_doc(k));
	}
	twin_cloud_unlock(k->c);
}

static void delete_group(struct ali_call *k)
{
	json_t *g;

	twin_cloud_lock(k->c);
	g = named_group(k);
	if (g) {
		twin_cloud_res_del(k->c, SG_KIND, param(k, "SecurityGroupId"));
		ali_send(k, ali_doc(k));
	}
	twin_cloud_unlock(k->c);
}

static void import_key(struct ali_call *k)
{
	const char *name = param(k, "KeyPairName"), *body = param(k, "PublicKeyBody");
	char fp[65], pretty[48];
	json_t *doc;

	if (!name || !body)
		return (void)ali_error(k, 400, "MissingParameter", "The input parameter \"%s\" that "
				       "is mandatory for processing this request is not supplied.",
				       name ? "PublicKeyBody" : "KeyPairName");
	if (strncmp(body, "ssh-", 4) || !strchr(body, ' '))
		return (void)ali_error(k, 400, "InvalidPublicKeyBody.Malformed", "The specified "
				       "parameter \"PublicKeyBody\" is not valid.");
	hash_sha256_hex(body, strlen(body), fp);
	snprintf(pretty, sizeof(pretty), "%.32s", fp);
	twin_cloud_lock(k->c);
	if (twin_cloud_res_get(k->c, KEY_KIND, name)) {
		ali_error(k, 400, "KeyPair.AlreadyExist", "The key pair already exist.");
	} else {
		twin_cloud_res_put(k->c, KEY_KIND, name, json_pack("{s:s,s:s}", "KeyPairName", name,
			"KeyPairFingerPrint", pretty));
		doc = ali_doc(k);
		json_object_set_new(doc, "KeyPairName", json_string(name));
		json_object_set_new(doc, "KeyPairFingerPrint", json_string(pretty));
		ali_send(k, doc);
	}
	twin_cloud_unlock(k->c);
}

static void describe_keys(struct ali_call *k)
{
	const char *want = param(k, "KeyPairName"), *name;
	json_t *items = json_array(), *v, *doc;

	twin_cloud_lock(k->c);
	json_object_foreach(twin_cloud_res_all(k->c, KEY_KIND), name, v) {
		if (!want || !strcmp(want, name))
			json_array_append(items, v);
	}
	twin_cloud_unlock(k->c);
	doc = ali_doc(k);
	json_object_set_new(doc, "KeyPairs", wrap("KeyPair", items));
	page_fields(doc, 1, 50, (long)json_array_size(json_object_get(json_object_get(doc,
				"KeyPairs"), "KeyPair")));
	ali_send(k, doc);
}

static void delete_keys(struct ali_call *k)
{
	json_t *names = id_array(param(k, "KeyPairNames")), *v;
	size_t i;

	if (!names)
		return (void)ali_error(k, 400, "InvalidParameter", "The specified parameter "
				       "\"KeyPairNames\" is not valid.");
	twin_cloud_lock(k->c);
	json_array_foreach(names, i, v)
		twin_cloud_res_del(k->c, KEY_KIND, json_string_value(v));
	twin_cloud_unlock(k->c);
	json_decref(names);
	ali_send(k, ali_doc(k));
}

/* ---- dispatch ------------------------------------------------------------------------------------- */

static const struct ali_action actions[] = {
	{ "DescribeRegions", describe_regions, false },
	{ "DescribeZones", describe_zones, true },
	{ "DescribeInstanceTypes", describe_types, false },
	{ "DescribeImages", describe_images, true },
	{ "DescribeInstances", describe_instances, true },
	{ "RunInstances", run_instances, true },
	{ "CreateInstance", create_instance, true },
	{ "StartInstance", start_instance, false },
	{ "StopInstance", stop_instance, false },
	{ "RebootInstance", reboot_instance, false },
	{ "DeleteInstance", delete_instance, false },
	{ "TagResources", tag_resources, true },
	{ "UntagResources", untag_resources, true },
	{ "DescribeSecurityGroups", describe_groups, true },
	{ "CreateSecurityGroup", create_group, true },
	{ "AuthorizeSecurityGroup", authorize_group, true },
	{ "DeleteSecurityGroup", delete_group, true },
	{ "ImportKeyPair", import_key, true },
	{ "DescribeKeyPairs", describe_keys, true },
	{ "DeleteKeyPairs", delete_keys, true },
};

/* RegionId, required or (for per-instance calls) defaulting to the
 * region of the instance or the first region; -1 after answering. */
static int pick_region(struct ali_call *k, bool required)
{
	const char *rid = param(k, "RegionId");
	const char *iid = param(k, "InstanceId");
	struct twin_vm *vm;

	if (rid) {
		k->r = twin_cloud_region(k->c, rid, &k->region);
		if (!k->r)
			return ali_error(k, 404, "InvalidRegionId.NotFound", "The specified RegionId "
					 "does not exist.");
		return 0;
	}
	if (required)
		return ali_error(k, 400, "MissingParameter", "The input parameter \"RegionId\" that "
				 "is mandatory for processing this request is not supplied.");
	k->region = 0;
	twin_cloud_lock(k->c);
	vm = iid ? twin_cloud_vm(k->c, iid, k->ctx->now) : NULL;
	if (vm)
		k->region = vm->region;
	twin_cloud_unlock(k->c);
	k->r = &k->c->regions[k->region];
	return 0;
}

static void ali_handle(struct twin_ctx *ctx)
{
	struct ali_call k = { .ctx = ctx, .c = ctx->cloud, .p = PARAMS_INIT };
	const struct ali_action *a = NULL;
	const char *fmt;

	k.json = wants_json(ctx);
	if (twin_req_params(ctx->req, &k.p)) {
		ali_error(&k, 400, "InvalidParameter", "The request has too many parameters.");
		goto out_release;
	}
	fmt = param(&k, "Format");
	k.json = k.json || (fmt && !strcasecmp(fmt, "json"));
	if (ali_auth(&k))
		goto out_release;
	k.action = param(&k, "Action") ? param(&k, "Action") :
		   twin_req_header(ctx->req, "x-acs-action");
	for (size_t i = 0; k.action && i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (!strcmp(actions[i].name, k.action))
			a = &actions[i];
	}
	if (!a)
		ali_error(&k, 404, "InvalidAction.NotFound", "Specified api is not found, please "
			  "check your url and method.");
	else if (!pick_region(&k, a->regional))
		a->fn(&k);
out_release:
	params_release(&k.p);
}

/* ---- routing, setup, description ------------------------------------------------------------- */

static struct twin_cloud *ali_claim(struct twin_server *srv, const struct twin_req *req)
{
	const char *auth = twin_req_header(req, "Authorization");
	struct params p = PARAMS_INIT;
	struct twin_cloud *c = NULL;
	struct acs_v3_auth a;

	if (auth && !strncmp(auth, ACS_V3_ALGORITHM, strlen(ACS_V3_ALGORITHM))) {
		if (!acs_v3_parse_authorization(auth, &a))
			c = twin_server_index_get(srv, "ali-key", a.access_key_id);
		return c ? c : twin_server_index_get(srv, "ali-key", "");
	}
	if (twin_req_params(req, &p) == 0 && params_get(&p, "AccessKeyId") &&
	    params_get(&p, "SignatureMethod")) {
		c = twin_server_index_get(srv, "ali-key", params_get(&p, "AccessKeyId"));
		c = c ? c : twin_server_index_get(srv, "ali-key", "");
	}
	params_release(&p);
	return c;
}

static int ali_setup(struct twin_server *srv, struct twin_cloud *c, struct sbuf *err)
{
	if (twin_server_index_creds(srv, c, "ali-key", "access_key_id", err))
		return -EEXIST;
	return 0;
}

static int ali_restore(struct twin_cloud *c)
{
	ensure_default_groups(c);
	return 0;
}

static int ali_describe(struct twin_server *srv, const struct twin_cloud *c, json_t *out)
{
	const json_t *cr = twin_cloud_cred(c);
	char ep[256];

	snprintf(ep, sizeof(ep), "%s/", twin_server_http_url(srv));
	return json_object_update_new(out, json_pack("{s:s,s:{s:O,s:O}}", "endpoint", ep,
		"credential", "access_key_id", json_object_get(cr, "access_key_id"),
		"access_key_secret", json_object_get(cr, "access_key_secret")));
}

static int ali_adopt(struct twin_cloud *c, struct twin_vm *vm)
{
	char vpc[64], vsw[64], sg[64], serial[37];

	random_id("i", 20, vm->id, sizeof(vm->id));
	stable_id(c, "vpc", c->regions[vm->region].name, vpc, sizeof(vpc));
	stable_id(c, "vsw", vm->zone, vsw, sizeof(vsw));
	stable_id(c, "sg", c->regions[vm->region].name, sg, sizeof(sg));
	hash_uuid4(serial);
	json_object_set_new(vm->extra, "VpcId", json_string(vpc));
	json_object_set_new(vm->extra, "VSwitchId", json_string(vsw));
	json_object_set_new(vm->extra, "SerialNumber", json_string(serial));
	json_object_set_new(vm->extra, "Description", json_string(""));
	json_object_set_new(vm->extra, "SecurityGroupIds", json_pack("[s]", sg));
	json_object_set_new(vm->extra, "Bandwidth", json_integer(0));
	return 0;
}

const struct twin_dialect twin_alibaba_dialect = {
	.name = "alibaba",
	.handle = ali_handle,
	.fail = ali_fail,
	.claim = ali_claim,
	.setup = ali_setup,
	.describe = ali_describe,
	.status = ali_status,
	.adopt = ali_adopt,
	.restore = ali_restore,
};
