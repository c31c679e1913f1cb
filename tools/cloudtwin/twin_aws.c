/*
 * twin_aws.c - the EC2 Query API, version 2016-11-15.
 *
 * Requests are POST forms (awscli, the SDKs) or GET queries (libcloud),
 * signed with SigV4 or SigV2; parameters from the query and the body are
 * merged.  Answers are XML in the 2016-11-15 namespace whatever Version
 * the client sent; errors use EC2's <Response><Errors>... envelope with
 * <RequestID>, which is what botocore needs to raise the right exception.
 *
 * EC2 is regional: the region is the one in the SigV4 credential scope
 * (SigV2 has none: the cloud's first region).  Instances of other regions
 * are invisible.  Terminated instances stay listed for the retention time.
 *
 * Locking: each action takes the cloud lock once, does its work and
 * renders its JSON tree under it; XML is written after unlocking.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "lib/clock.h"
#include "tools/cloudtwin/twin_awssig.h"
#include "tools/cloudtwin/twin_params.h"
#include "drivers/common/hash.h"
#include "drivers/common/codec.h"
#include "tools/cloudtwin/twin_rand.h"
#include "tools/cloudtwin/twin_dialect.h"
#include "tools/cloudtwin/twin_server.h"

#define AWS_NS "http://ec2.amazonaws.com/doc/2016-11-15/"
#define USER_DATA_MAX 16384
#define RUN_MAX 1000
#define SG_KIND "aws-sg"
#define KEY_KIND "aws-key"

struct aws_priv {
	char owner[13];		/* the account id */
};

/* One EC2 call in progress. */
struct aws_call {
	struct twin_ctx *ctx;
	struct twin_cloud *c;
	struct params p;		/* query and form parameters */
	size_t region;
	const struct twin_region *r;
	const char *action;
};

struct aws_action {
	const char *name;
	void (*fn)(struct aws_call *k);
	bool mutating;			/* DryRun applies */
};

/* ---- replies ----------------------------------------------------------- */

/* Answer an EC2 error; returns -1 so that callers can `return FAIL(...)`. */
static int aws_error(struct twin_ctx *ctx, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int aws_error(struct twin_ctx *ctx, int status, const char *code, const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	twin_resp_xml(ctx->resp, status, "Response", NULL,
		      json_pack("{s:{s:{s:s,s:s}},s:s}", "Errors", "Error", "Code", code,
				"Message", sbuf_str(&msg), "RequestID", ctx->request_id));
	sbuf_release(&msg);
	return -1;
}

#define FAIL(k, status, code, ...) aws_error((k)->ctx, status, code, __VA_ARGS__)

/* A response document that starts with its requestId. */
static json_t *aws_doc(const struct aws_call *k)
{
	return json_pack("{s:s}", "requestId", k->ctx->request_id);
}

static void aws_send(struct aws_call *k, json_t *doc)
{
	char root[96];

	snprintf(root, sizeof(root), "%sResponse", k->action);
	twin_resp_xml(k->ctx->resp, 200, root, AWS_NS, doc);
}

/* {"item": items} (stolen); an empty list renders as an empty element. */
static json_t *item_set(json_t *items)
{
	return json_pack("{s:o}", "item", items ? items : json_array());
}

/* Answer {"requestId", key: {"item": items}} (items stolen). */
static void send_set(struct aws_call *k, const char *key, json_t *items)
{
	json_t *doc = aws_doc(k);

	json_object_set_new(doc, key, item_set(items));
	aws_send(k, doc);
}

static void aws_fail(struct twin_ctx *ctx, enum twin_fail kind, const char *message)
{
	switch (kind) {
	case TWIN_FAIL_THROTTLED:
		aws_error(ctx, 503, "RequestLimitExceeded", "%s", message ? message :
			  "Request limit exceeded.");
		break;
	case TWIN_FAIL_TOO_LARGE:
		aws_error(ctx, 413, "RequestEntityTooLarge", "%s", message ? message :
			  "Request body exceeds the maximum allowed size.");
		break;
	case TWIN_FAIL_NOT_FOUND:
		aws_error(ctx, 400, "InvalidAction", "%s", message ? message :
			  "The action or operation requested is invalid.");
		break;
	case TWIN_FAIL_BAD_REQUEST:
		aws_error(ctx, 400, "InvalidParameterValue", "%s", message ? message :
			  "Invalid request.");
		break;
	default:
		aws_error(ctx, 500, "InternalError", "%s", message ? message :
			  "An internal error has occurred");
	}
}

/* ---- identifiers ---------------------------------------------------------- */

/* "<kind>-<17 hex>" derived from the cloud and a seed: stable ids for
 * the default VPCs, subnets and security groups. */
static void stable_id(const struct twin_cloud *c, const char *kind, const char *seed, char *out,
		      size_t len)
{
	char in[256], hex[65];

	snprintf(in, sizeof(in), "%s/%s/%s", c->name, kind, seed);
	hash_sha256_hex(in, strlen(in), hex);
	snprintf(out, len, "%s-%.17s", kind, hex);
}

static void random_id(const char *kind, char *out, size_t len)
{
	char hex[18];

	twin_rand_hex(hex, 17);
	snprintf(out, len, "%s-%s", kind, hex);
}

static bool id_valid(const char *id, const char *kind)
{
	size_t k = strlen(kind), n = strlen(id);

	if (strncmp(id, kind, k) != 0 || id[k] != '-')
		return false;
	n -= k + 1;
	return (n == 8 || n == 17) && strspn(id + k + 1, "0123456789abcdef") == n;
}

static const char *owner_id(const struct twin_cloud *c)
{
	return ((const struct aws_priv *)c->priv)->owner;
}

/* ---- authentication --------------------------------------------------------- */

static const char *secret_of(const struct twin_cloud *c, const char *akid)
{
	size_t i;
	json_t *cr;

	json_array_foreach(c->creds, i, cr) {
		const char *id = json_string_value(json_object_get(cr, "access_key_id"));

		if (id && strcmp(id, akid) == 0)
			return json_string_value(json_object_get(cr, "secret_access_key"));
	}
	return NULL;
}

/* Unix seconds of "yyyymmddThhmmssZ" or an ISO timestamp; -1 if bad. */
static int64_t parse_time(const char *s)
{
	struct tm tm;
	int64_t ms;

	memset(&tm, 0, sizeof(tm));
	if (strlen(s) == 16 && strptime(s, "%Y%m%dT%H%M%SZ", &tm))
		return (int64_t)timegm(&tm);
	if (clock_parse_rfc3339(s, &ms) == 0)
		return ms / 1000;
	return -1;
}

static bool skewed(const struct twin_cloud *c, int64_t when)
{
	int64_t now = clock_wall_ms() / 1000;

	return when < 0 || when < now - c->skew_s || when > now + c->skew_s;
}

static int auth_v4(struct aws_call *k, const struct twin_sigv4 *a)
{
	const char *secret = secret_of(k->c, a->auth.access_key_id);
	int64_t when = parse_time(a->amz_date);

	if (!secret)
		return FAIL(k, 401, "AuthFailure",
			    "AWS was not able to validate the provided access credentials");
	if (strcmp(a->auth.service, "ec2") != 0)
		return FAIL(k, 403, "SignatureDoesNotMatch",
			    "Credential should be scoped to correct service: 'ec2'. ");
	if (!twin_cloud_region(k->c, a->auth.region, &k->region))
		return FAIL(k, 403, "SignatureDoesNotMatch",
			    "Credential should be scoped to a valid region, not '%s'. ", a->auth.region);
	if (a->presigned ? when < 0 || when + a->expires < clock_wall_ms() / 1000 : skewed(k->c, when))
		return FAIL(k, 400, "RequestExpired", "Request has expired.");
	if (twin_awssig_v4_verify(k->ctx->req, a, secret))
		return FAIL(k, 403, "SignatureDoesNotMatch",
			    "The request signature we calculated does not match the signature you "
			    "provided. Check your AWS Secret Access Key and signing method. Consult "
			    "the service documentation for details.");
	return 0;
}

static int auth_v2(struct aws_call *k, const char *akid)
{
	const char *secret = secret_of(k->c, akid);
	const char *ts = params_get(&k->p, "Timestamp");
	const char *exp = params_get(&k->p, "Expires");
	int rc;

	if (!secret)
		return FAIL(k, 401, "AuthFailure",
			    "AWS was not able to validate the provided access credentials");
	if ((ts && skewed(k->c, parse_time(ts))) ||
	    (exp && parse_time(exp) < clock_wall_ms() / 1000) || (!ts && !exp))
		return FAIL(k, 400, "RequestExpired", "Request has expired.");
	rc = twin_awssig_v2_verify(k->ctx->req, &k->p, secret);
	if (rc == -EINVAL)
		return FAIL(k, 400, "IncompleteSignature",
			    "The request signature does not conform to AWS standards.");
	if (rc)
		return FAIL(k, 403, "SignatureDoesNotMatch",
			    "The request signature we calculated does not match the signature you "
			    "provided. Check your AWS Secret Access Key and signing method. Consult "
			    "the service documentation for details.");
	k->region = 0;
	return 0;
}

static int aws_auth(struct aws_call *k)
{
	struct twin_sigv4 a;
	const char *akid = params_get(&k->p, "AWSAccessKeyId");
	int rc = twin_awssig_v4_parse(k->ctx->req, &a);

	if (rc == 0)
		rc = auth_v4(k, &a);
	else if (rc == -EINVAL)
		rc = FAIL(k, 400, "IncompleteSignature",
			  "The request signature does not conform to AWS standards.");
	else if (akid)
		rc = auth_v2(k, akid);
	else
		rc = FAIL(k, 401, "AuthFailure", "Request is missing Authentication Token");
	if (!rc)
		k->r = &k->c->regions[k->region];
	return rc;
}

/* ---- parameters ---------------------------------------------------------------- */

static const char *param(const struct aws_call *k, const char *name)
{
	return params_get(&k->p, name);
}

static const char *paramf(const struct aws_call *k, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static const char *paramf(const struct aws_call *k, char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return params_get(&k->p, buf);
}

/* A numbered list ("InstanceId.N") as a new array, or NULL after
 * answering InvalidParameterValue. */
static json_t *list_param(struct aws_call *k, const char *prefix)
{
	json_t *a = json_array();

	if (!a || twin_params_list(&k->p, prefix, a)) {
		json_decref(a);
		FAIL(k, 400, "InvalidParameterValue", "Invalid list of values for %s", prefix);
		return NULL;
	}
	return a;
}

/* Filter.N.Name / Filter.N.Value.M as [{"name", "values": [...]}], or
 * NULL after answering.  `known` lists the accepted names ("tag:" and
 * other prefixes end in ':'). */
static json_t *filters(struct aws_call *k, const char *const *known)
{
	json_t *idx = twin_params_indexes(&k->p, "Filter"), *out = json_array(), *n;
	size_t i;

	json_array_foreach(idx, i, n) {
		char key[64], buf[64];
		const char *name = paramf(k, key, sizeof(key), "Filter.%lld.Name",
					  (long long)json_integer_value(n));
		json_t *values = json_array();
		bool ok = false;

		snprintf(buf, sizeof(buf), "Filter.%lld.Value", (long long)json_integer_value(n));
		for (const char *const *kn = known; name && *kn && !ok; kn++) {
			size_t l = strlen(*kn);

			ok = (*kn)[l - 1] == ':' ? strncmp(name, *kn, l) == 0 : strcmp(name, *kn) == 0;
		}
		if (!ok || twin_params_list(&k->p, buf, values)) {
			FAIL(k, 400, "InvalidParameterValue", "The filter '%s' is invalid",
			     name ? name : "");
			json_decref(values);
			json_decref(out);
			json_decref(idx);
			return NULL;
		}
		json_array_append_new(out, json_pack("{s:s,s:o}", "name", name, "values", values));
	}
	json_decref(idx);
	return out;
}

/* True when one of the filter's glob values matches v (NULL never does). */
static bool value_match(const json_t *values, const char *v)
{
	size_t i;
	json_t *pat;

	json_array_foreach(values, i, pat) {
		if (v && fnmatch(json_string_value(pat), v, 0) == 0)
			return true;
	}
	return false;
}

/* A filter value as text for an item; `get` maps a filter name to it. */
typedef const char *aws_getter_fn(const void *item, const char *name, char *buf, size_t len);

static bool filters_match(const json_t *fl, const void *item, aws_getter_fn *get)
{
	size_t i;
	json_t *f;

	json_array_foreach(fl, i, f) {
		char buf[256];
		const char *name = json_string_value(json_object_get(f, "name"));

		if (!value_match(json_object_get(f, "values"), get(item, name, buf, sizeof(buf))))
			return false;
	}
	return true;
}

/* "10" -> 10 within [lo, hi]; -1 when not a number in range. */
static long bounded(const char *s, long lo, long hi)
{
	char *end;
	long v;

	if (!s || !*s)
		return -1;
	v = strtol(s, &end, 10);
	return *end || v < lo || v > hi ? -1 : v;
}

/* ---- instances: state and rendering ------------------------------------------------ */

static const struct {
	int code;
	const char *name;
} aws_states[] = {
	[TWIN_VM_PENDING] = { 0, "pending" },	[TWIN_VM_RUNNING] = { 16, "running" },
	[TWIN_VM_STOPPING] = { 64, "stopping" }, [TWIN_VM_STOPPED] = { 80, "stopped" },
	[TWIN_VM_STARTING] = { 0, "pending" },	[TWIN_VM_REBOOTING] = { 16, "running" },
	[TWIN_VM_TERMINATING] = { 32, "shutting-down" },
	[TWIN_VM_TERMINATED] = { 48, "terminated" },
};

static const char *aws_status(const struct twin_vm *vm)
{
	return aws_states[vm->state].name;
}

static json_t *state_json(enum twin_vm_state s)
{
	return json_pack("{s:i,s:s}", "code", aws_states[s].code, "name", aws_states[s].name);
}

static bool has_public_ip(const struct twin_vm *vm)
{
	return vm->state == TWIN_VM_RUNNING || vm->state == TWIN_VM_REBOOTING ||
	       vm->state == TWIN_VM_PENDING || vm->state == TWIN_VM_STARTING;
}

static json_t *tag_set(const json_t *tags)
{
	json_t *items = json_array(), *v;
	const char *key;

	json_object_foreach((json_t *)tags, key, v)
		json_array_append_new(items, json_pack("{s:s,s:O}", "key", key, "value", v));
	return item_set(items);
}

/* Where an instance stands when it is not running, as EC2 explains it. */
static void add_reason(json_t *o, const struct twin_vm *vm)
{
	char when[40];

	if (vm->state != TWIN_VM_STOPPED && vm->state != TWIN_VM_STOPPING &&
	    vm->state != TWIN_VM_TERMINATED && vm->state != TWIN_VM_TERMINATING)
		return;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S GMT",
		 gmtime(&(time_t){ (time_t)(vm->changed_ms / 1000) }));
	json_object_set_new(o, "reason", json_sprintf("User initiated (%s)", when));
	json_object_set_new(o, "stateReason", json_pack("{s:s,s:s}", "code",
		"Client.UserInitiatedShutdown", "message",
		"Client.UserInitiatedShutdown: User initiated shutdown"));
}

/* "<kind>-<17 hex>" derived from an instance id: its volume and ENI. */
static void derived_id(const char *kind, const char *from, char *out, size_t len)
{
	char hex[65];

	hash_sha256_hex(from, strlen(from), hex);
	snprintf(out, len, "%s-%.17s", kind, hex + 7);
}

static json_t *block_devices(const struct twin_vm *vm, const char *launch)
{
	char vol[32];

	derived_id("vol", vm->id, vol, sizeof(vol));
	return item_set(json_pack("[{s:s,s:{s:s,s:s,s:s,s:b}}]", "deviceName", "/dev/xvda", "ebs",
		"volumeId", vol, "status", "attached", "attachTime", launch,
		"deleteOnTermination", 1));
}

/* The instance's one network interface, as VPC instances have. */
static json_t *interfaces(const struct aws_call *k, const struct twin_vm *vm, const char *pdns,
			  const char *launch, bool pub, const char *dns)
{
	char eni[32], att[40], mac[18];
	unsigned char b[8];
	json_t *ni, *addr;

	derived_id("eni", vm->id, eni, sizeof(eni));
	derived_id("eni-attach", vm->id, att, sizeof(att));
	memcpy(b, &vm->seq, sizeof(b));
	snprintf(mac, sizeof(mac), "0e:%02x:%02x:%02x:%02x:%02x", b[4], b[3], b[2], b[1], b[0]);
	addr = json_pack("{s:s,s:s,s:b}", "privateIpAddress", vm->private_ip, "privateDnsName", pdns,
			 "primary", 1);
	ni = json_pack("{s:s,s:O,s:O,s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:o,s:{s:s,s:i,s:s,s:s,s:b}}",
		"networkInterfaceId", eni, "subnetId", json_object_get(vm->extra, "subnetId"),
		"vpcId", json_object_get(vm->extra, "vpcId"), "description", "", "ownerId",
		owner_id(k->c), "status", "in-use", "macAddress", mac, "privateIpAddress",
		vm->private_ip, "privateDnsName", pdns, "sourceDestCheck", 1, "groupSet",
		item_set(json_deep_copy(json_object_get(vm->extra, "groups"))), "attachment",
		"attachmentId", att, "deviceIndex", 0, "status", "attached", "attachTime", launch,
		"deleteOnTermination", 1);
	if (pub) {
		json_t *assoc = json_pack("{s:s,s:s,s:s}", "publicIp", vm->public_ip, "publicDnsName",
					  dns, "ipOwnerId", "amazon");

		json_object_set(addr, "association", assoc);
		json_object_set_new(ni, "association", assoc);
	}
	json_object_set_new(ni, "privateIpAddressesSet", item_set(json_pack("[o]", addr)));
	return item_set(json_pack("[o]", ni));
}

static json_t *instance_json(const struct aws_call *k, const struct twin_vm *vm)
{
	const char *region = k->c->regions[vm->region].name;
	bool pub = has_public_ip(vm);
	char launch[40], pdns[96], dns[128];
	json_t *o;

	clock_rfc3339(vm->created_ms, 1, launch, sizeof(launch));
	snprintf(pdns, sizeof(pdns), "ip-%s.%s.compute.internal", vm->private_ip, region);
	for (char *p = pdns; *p && p < pdns + 3 + strlen(vm->private_ip); p++)
		*p = *p == '.' ? '-' : *p;
	snprintf(dns, sizeof(dns), "ec2-%s.%s.compute.amazonaws.com", vm->public_ip, region);
	for (char *p = dns; *p && p < dns + 4 + strlen(vm->public_ip); p++)
		*p = *p == '.' ? '-' : *p;
	o = json_pack("{s:s,s:s,s:o,s:s,s:s,s:s}", "instanceId", vm->id, "imageId", vm->image,
		      "instanceState", state_json(vm->state), "privateDnsName", pdns, "dnsName",
		      pub ? dns : "", "reason", "");
	add_reason(o, vm);
	if (json_object_get(vm->extra, "keyName"))
		json_object_set(o, "keyName", json_object_get(vm->extra, "keyName"));
	json_object_set(o, "amiLaunchIndex", json_object_get(vm->extra, "launchIndex"));
	json_object_set_new(o, "productCodes", json_object());
	json_object_set_new(o, "instanceType", json_string(vm->spec->name));
	json_object_set_new(o, "launchTime", json_string(launch));
	json_object_set_new(o, "placement", json_pack("{s:s,s:s,s:s}", "availabilityZone",
		vm->zone, "groupName", "", "tenancy", "default"));
	json_object_set_new(o, "monitoring", json_pack("{s:s}", "state", "disabled"));
	json_object_set(o, "subnetId", json_object_get(vm->extra, "subnetId"));
	json_object_set(o, "vpcId", json_object_get(vm->extra, "vpcId"));
	json_object_set_new(o, "privateIpAddress", json_string(vm->private_ip));
	if (pub)
		json_object_set_new(o, "ipAddress", json_string(vm->public_ip));
	json_object_set_new(o, "sourceDestCheck", json_true());
	json_object_set_new(o, "groupSet", item_set(json_deep_copy(json_object_get(vm->extra,
								   "groups"))));
	json_object_set_new(o, "architecture", json_string(vm->spec->arch));
	json_object_set_new(o, "rootDeviceType", json_string("ebs"));
	json_object_set_new(o, "rootDeviceName", json_string("/dev/xvda"));
	json_object_set_new(o, "blockDeviceMapping", block_devices(vm, launch));
	json_object_set_new(o, "virtualizationType", json_string("hvm"));
	json_object_set_new(o, "clientToken", json_string(vm->token));
	json_object_set_new(o, "tagSet", tag_set(vm->tags));
	json_object_set_new(o, "hypervisor", json_string("xen"));
	json_object_set_new(o, "networkInterfaceSet", interfaces(k, vm, pdns, launch, pub, dns));
	json_object_set_new(o, "ebsOptimized", json_false());
	json_object_set_new(o, "enaSupport", json_true());
	return o;
}

/* A reservation item holding `items` (stolen); its groups are those of
 * its first instance, as a reservation's instances share them. */
static json_t *reservation_json(const struct aws_call *k, const char *rid, json_t *items)
{
	json_t *groups = json_array(), *g;
	const struct twin_vm *first = NULL;
	size_t i;

	if (json_array_size(items))
		first = twin_cloud_vm(k->c, json_string_value(json_object_get(json_array_get(items, 0),
			"instanceId")), k->ctx->now);
	json_array_foreach(first ? json_object_get(first->extra, "groups") : NULL, i, g)
		json_array_append_new(groups, json_pack("{s:O}", "groupId", json_object_get(g,
							 "groupId")));
	return json_pack("{s:s,s:s,s:o,s:o}", "reservationId", rid, "ownerId", owner_id(k->c),
			 "groupSet", item_set(groups), "instancesSet", item_set(items));
}

/* ---- RunInstances -------------------------------------------------------------------- */

struct run_spec {
	const struct twin_spec *spec;
	const char *image, *zone, *token, *key;
	char subnet[64], vpc[64];
	long min, max;
	json_t *tags, *groups;		/* owned */
	struct sbuf user_data;
};

static void run_release(struct run_spec *s)
{
	json_decref(s->tags);
	json_decref(s->groups);
	sbuf_release(&s->user_data);
}

static int run_tags(struct aws_call *k, struct run_spec *s)
{
	json_t *specs = twin_params_indexes(&k->p, "TagSpecification"), *n, *tn;
	size_t i, j;

	s->tags = json_object();
	json_array_foreach(specs, i, n) {
		char buf[96], prefix[64];
		long long si = json_integer_value(n);
		const char *type = paramf(k, buf, sizeof(buf), "TagSpecification.%lld.ResourceType", si);
		json_t *tags;

		snprintf(prefix, sizeof(prefix), "TagSpecification.%lld.Tag", si);
		tags = twin_params_indexes(&k->p, prefix);
		if (!type || (strcmp(type, "instance") && strcmp(type, "volume") &&
			      strcmp(type, "network-interface"))) {
			json_decref(tags);
			json_decref(specs);
			return FAIL(k, 400, "InvalidParameterValue",
				    "'%s' is not a valid taggable resource type for this operation.",
				    type ? type : "");
		}
		json_array_foreach(tags, j, tn) {
			char kb[128], vb[128];
			const char *key = paramf(k, kb, sizeof(kb), "%s.%lld.Key", prefix,
						 (long long)json_integer_value(tn));
			const char *val = paramf(k, vb, sizeof(vb), "%s.%lld.Value", prefix,
						 (long long)json_integer_value(tn));

			if (key && strcmp(type, "instance") == 0)
				json_object_set_new(s->tags, key, json_string(val ? val : ""));
		}
		json_decref(tags);
	}
	json_decref(specs);
	return 0;
}

static int run_image_type(struct aws_call *k, struct run_spec *s)
{
	const char *type = param(k, "InstanceType");

	s->image = param(k, "ImageId");
	if (!s->image)
		return FAIL(k, 400, "MissingParameter",
			    "The request must contain the parameter ImageId");
	if (!id_valid(s->image, "ami"))
		return FAIL(k, 400, "InvalidAMIID.Malformed",
			    "Invalid id: \"%s\" (expecting \"ami-...\")", s->image);
	if (!twin_cloud_image(k->c, s->image))
		return FAIL(k, 400, "InvalidAMIID.NotFound",
			    "The image id '[%s]' does not exist", s->image);
	s->spec = twin_cloud_spec(k->c, type ? type : "m1.small");
	if (!s->spec)
		return FAIL(k, 400, "InvalidParameterValue", "Invalid value '%s' for InstanceType.",
			    type ? type : "m1.small");
	return 0;
}

static int run_counts(struct aws_call *k, struct run_spec *s)
{
	const char *mn = param(k, "MinCount"), *mx = param(k, "MaxCount");

	if (!mn || !mx)
		return FAIL(k, 400, "MissingParameter", "The request must contain the parameter %s",
			    mn ? "MaxCount" : "MinCount");
	s->min = bounded(mn, 1, RUN_MAX);
	s->max = bounded(mx, 1, RUN_MAX);
	if (s->min < 0 || s->max < 0 || s->min > s->max)
		return FAIL(k, 400, "InvalidParameterValue",
			    "Invalid value for MinCount/MaxCount: '%s'/'%s'", mn, mx);
	return 0;
}

static int run_placement(struct aws_call *k, struct run_spec *s)
{
	const char *zone = param(k, "Placement.AvailabilityZone");
	size_t region;

	s->zone = zone ? zone : k->r->zones[0];
	if (!twin_cloud_zone_region(k->c, s->zone, &region) || region != k->region)
		return FAIL(k, 400, "InvalidParameterValue", "Invalid availability zone: [%s]",
			    s->zone);
	stable_id(k->c, "vpc", k->r->name, s->vpc, sizeof(s->vpc));
	stable_id(k->c, "subnet", s->zone, s->subnet, sizeof(s->subnet));
	if (param(k, "SubnetId") && strcmp(param(k, "SubnetId"), s->subnet) != 0) {
		char other[64];
		size_t z;

		for (z = 0; z < k->r->nzones; z++) {
			stable_id(k->c, "subnet", k->r->zones[z], other, sizeof(other));
			if (strcmp(other, param(k, "SubnetId")) == 0)
				break;
		}
		if (z == k->r->nzones || zone)
			return FAIL(k, 400, "InvalidSubnetID.NotFound",
				    "The subnet ID '%s' does not exist", param(k, "SubnetId"));
		s->zone = k->r->zones[z];
		snprintf(s->subnet, sizeof(s->subnet), "%s", other);
	}
	return 0;
}

/* The security group with this id or name in the call's region, or NULL. */
static json_t *find_group(struct aws_call *k, const char *id, const char *name)
{
	json_t *all = twin_cloud_res_all(k->c, SG_KIND), *g;
	const char *gid;

	json_object_foreach(all, gid, g) {
		if (strcmp(json_string_value(json_object_get(g, "region")), k->r->name) != 0)
			continue;
		if ((id && strcmp(gid, id) == 0) ||
		    (name && strcmp(json_string_value(json_object_get(g, "groupName")), name) == 0))
			return g;
	}
	return NULL;
}

static int run_groups(struct aws_call *k, struct run_spec *s)
{
	json_t *ids = list_param(k, "SecurityGroupId"), *names = list_param(k, "SecurityGroup");
	json_t *v;
	size_t i;
	int rc = ids && names ? 0 : -1;

	s->groups = json_array();
	if (!rc && !json_array_size(ids) && !json_array_size(names))
		json_array_append_new(names, json_string("default"));
	json_array_foreach(rc ? NULL : ids, i, v) {
		json_t *g = find_group(k, json_string_value(v), NULL);

		if (!g && !rc)
			rc = FAIL(k, 400, "InvalidGroup.NotFound",
				  "The security group '%s' does not exist", json_string_value(v));
		if (g)
			json_array_append_new(s->groups, json_pack("{s:O,s:O}", "groupId",
				json_object_get(g, "groupId"), "groupName", json_object_get(g, "groupName")));
	}
	json_array_foreach(rc ? NULL : names, i, v) {
		json_t *g = find_group(k, NULL, json_string_value(v));

		if (!g && !rc)
			rc = FAIL(k, 400, "InvalidGroup.NotFound",
				  "The security group '%s' does not exist in default VPC '%s'",
				  json_string_value(v), s->vpc);
		if (g)
			json_array_append_new(s->groups, json_pack("{s:O,s:O}", "groupId",
				json_object_get(g, "groupId"), "groupName", json_object_get(g, "groupName")));
	}
	json_decref(ids);
	json_decref(names);
	return rc;
}

static int run_extras(struct aws_call *k, struct run_spec *s)
{
	const char *ud = param(k, "UserData");

	s->key = param(k, "KeyName");
	s->token = param(k, "ClientToken");
	if (s->key && !twin_cloud_res_get(k->c, KEY_KIND, s->key))
		return FAIL(k, 400, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist",
			    s->key);
	if (s->token && (strlen(s->token) > 64 || !*s->token))
		return FAIL(k, 400, "InvalidParameterValue",
			    "Value (%s) for parameter clientToken is invalid. Length must be between "
			    "1 and 64 characters.", s->token);
	s->user_data.max = USER_DATA_MAX;
	if (ud && codec_b64_decode(&s->user_data, ud, strlen(ud)) == -E2BIG)
		return FAIL(k, 400, "InvalidParameterValue", "User data is limited to 16384 bytes");
	if (ud && *ud && !s->user_data.len)
		return FAIL(k, 400, "InvalidParameterValue", "Invalid BASE64 encoding of user data.");
	return 0;
}

/* How many of [min, max] the vCPU quota and the instance cap allow; -1
 * after answering the quota error. */
static long run_fit(struct aws_call *k, const struct run_spec *s)
{
	struct twin_cloud *c = k->c;
	long n = s->max, room = (long)(c->max_vms - (int64_t)twin_cloud_nvms(c));

	if (c->vcpu_quota > 0) {
		long fit = (long)((c->vcpu_quota - c->vcpus_used[k->region]) / s->spec->vcpus);

		n = fit < n ? fit : n;
	}
	if (room < s->min)
		return FAIL(k, 400, "InstanceLimitExceeded",
			    "Your quota allows for %ld more running instance(s). You requested at "
			    "least %ld", room > 0 ? room : 0, s->min);
	if (n < s->min)
		return FAIL(k, 400, "VcpuLimitExceeded",
			    "You have requested more vCPU capacity than your current vCPU limit of "
			    "%lld allows for the instance bucket that the specified instance type "
			    "belongs to. Please visit http://aws.amazon.com/contact-us/ec2-request to "
			    "request an adjustment to this limit.", (long long)c->vcpu_quota);
	return n < room ? n : room;
}

static struct twin_vm *run_one(struct aws_call *k, const struct run_spec *s, const char *rid,
			       long index)
{
	struct twin_vm *vm = twin_cloud_vm_new();
	const char *name = json_string_value(json_object_get(s->tags, "Name"));

	if (!vm)
		return NULL;
	random_id("i", vm->id, sizeof(vm->id));
	snprintf(vm->name, sizeof(vm->name), "%s", name ? name : vm->id);
	snprintf(vm->zone, sizeof(vm->zone), "%s", s->zone);
	snprintf(vm->image, sizeof(vm->image), "%s", s->image);
	snprintf(vm->token, sizeof(vm->token), "%s", s->token ? s->token : "");
	vm->region = k->region;
	vm->spec = s->spec;
	json_object_update(vm->tags, s->tags);
	if (s->user_data.len && twin_cloud_vm_set_user_data(vm, s->user_data.buf,
							     s->user_data.len)) {
		twin_cloud_vm_free(vm);
		return NULL;
	}
	json_object_set_new(vm->extra, "reservationId", json_string(rid));
	json_object_set_new(vm->extra, "launchIndex", json_integer(index));
	json_object_set_new(vm->extra, "subnetId", json_string(s->subnet));
	json_object_set_new(vm->extra, "vpcId", json_string(s->vpc));
	json_object_set(vm->extra, "groups", s->groups);
	if (s->key)
		json_object_set_new(vm->extra, "keyName", json_string(s->key));
	return vm;
}

/* Answer with a reservation built from instance ids (lock held). */
static void run_answer(struct aws_call *k, const char *rid, const json_t *ids)
{
	json_t *items = json_array(), *id, *doc = aws_doc(k);
	size_t i;

	json_array_foreach(ids, i, id) {
		struct twin_vm *vm = twin_cloud_vm(k->c, json_string_value(id), k->ctx->now);

		if (vm)
			json_array_append_new(items, instance_json(k, vm));
	}
	json_object_update_new(doc, reservation_json(k, rid, items));
	aws_send(k, doc);
}

static const char *const idem_skip[] = { "ClientToken", "Signature", "SignatureMethod",
	"SignatureVersion", "AWSAccessKeyId", "Timestamp", "Expires", "X-Amz-*", "Version",
	NULL };

static void run_create(struct aws_call *k, struct run_spec *s, const unsigned char digest[32])
{
	char rid[32];
	json_t *ids = json_array();
	long n = run_fit(k, s);

	random_id("r", rid, sizeof(rid));
	for (long i = 0; i < n; i++) {
		struct twin_vm *vm = run_one(k, s, rid, i);

		if (!vm || twin_cloud_add_vm(k->c, vm, k->ctx->now)) {
			twin_cloud_vm_free(vm);
			break;
		}
		json_array_append_new(ids, json_string(vm->id));
	}
	if (n < 0) {
		json_decref(ids);
		return;
	}
	if (s->token)
		twin_cloud_idem_put(k->c, s->token, digest,
				    json_pack("{s:s,s:O}", "reservationId", rid, "ids", ids));
	run_answer(k, rid, ids);
	json_decref(ids);
}

static void run_instances(struct aws_call *k)
{
	struct run_spec s = { 0 };
	unsigned char digest[32];
	const json_t *prior = NULL;
	int seen = 0;

	if (run_image_type(k, &s) || run_counts(k, &s) || run_placement(k, &s) ||
	    run_tags(k, &s))
		goto out_release;
	twin_params_digest(&k->p, idem_skip, digest);
	twin_cloud_lock(k->c);
	if (run_groups(k, &s) || run_extras(k, &s))
		goto out_unlock;
	if (s.token)
		seen = twin_cloud_idem_check(k->c, s.token, digest, &prior);
	if (seen == -EEXIST)
		FAIL(k, 400, "IdempotentParameterMismatch",
		     "Arguments on this idempotent request are inconsistent with arguments used in "
		     "previous request(s).");
	else if (seen == 1)
		run_answer(k, json_string_value(json_object_get(prior, "reservationId")),
			   json_object_get(prior, "ids"));
	else
		run_create(k, &s, digest);
out_unlock:
	twin_cloud_unlock(k->c);
out_release:
	run_release(&s);
}

/* ---- DescribeInstances ------------------------------------------------------------------ */

static const char *const instance_filters[] = { "instance-id", "instance-state-name",
	"instance-state-code", "instance-type", "image-id", "availability-zone", "tag:",
	"tag-key", "tag-value", "client-token", "private-ip-address", "ip-address",
	"reservation-id", "key-name", "vpc-id", "subnet-id", "architecture", NULL };

static const char *tag_value_any(const struct twin_vm *vm, bool keys)
{
	const char *key;
	json_t *v;

	/* Filters on any tag match when one tag does; the getter returns the
	 * first, and the caller's glob covers the common "*" case. */
	json_object_foreach(vm->tags, key, v)
		return keys ? key : json_string_value(v);
	return NULL;
}

static const char *instance_field(const void *item, const char *name, char *buf, size_t len)
{
	const struct twin_vm *vm = item;

	if (strncmp(name, "tag:", 4) == 0)
		return json_string_value(json_object_get(vm->tags, name + 4));
	if (strcmp(name, "instance-id") == 0)
		return vm->id;
	if (strcmp(name, "instance-state-name") == 0)
		return aws_states[vm->state].name;
	if (strcmp(name, "instance-state-code") == 0)
		return snprintf(buf, len, "%d", aws_states[vm->state].code) > 0 ? buf : NULL;
	if (strcmp(name, "instance-type") == 0)
		return vm->spec->name;
	if (strcmp(name, "image-id") == 0)
		return vm->image;
	if (strcmp(name, "availability-zone") == 0)
		return vm->zone;
	if (strcmp(name, "client-token") == 0)
		return vm->token;
	if (strcmp(name, "private-ip-address") == 0)
		return vm->private_ip;
	if (strcmp(name, "ip-address") == 0)
		return has_public_ip(vm) ? vm->public_ip : NULL;
	if (strcmp(name, "architecture") == 0)
		return vm->spec->arch;
	if (strcmp(name, "tag-key") == 0 || strcmp(name, "tag-value") == 0)
		return tag_value_any(vm, strcmp(name, "tag-key") == 0);
	name = strcmp(name, "reservation-id") == 0 ? "reservationId" :
	       strcmp(name, "key-name") == 0 ? "keyName" :
	       strcmp(name, "vpc-id") == 0 ? "vpcId" : "subnetId";
	return json_string_value(json_object_get(vm->extra, name));
}

static bool tag_filter_any(const json_t *fl, const struct twin_vm *vm)
{
	size_t i;
	json_t *f;

	/* tag-key and tag-value match when any tag matches. */
	json_array_foreach(fl, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		const char *key;
		json_t *v;
		bool any = false;

		if (strcmp(name, "tag-key") && strcmp(name, "tag-value"))
			continue;
		json_object_foreach(vm->tags, key, v) {
			any |= value_match(json_object_get(f, "values"),
					   strcmp(name, "tag-key") == 0 ? key : json_string_value(v));
		}
		if (!any)
			return false;
	}
	return true;
}

static bool instance_matches(const json_t *fl, const struct twin_vm *vm)
{
	json_t *plain = json_array(), *f;
	size_t i;
	bool ok;

	json_array_foreach(fl, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));

		if (strcmp(name, "tag-key") && strcmp(name, "tag-value"))
			json_array_append(plain, f);
	}
	ok = filters_match(plain, vm, instance_field) && tag_filter_any(fl, vm);
	json_decref(plain);
	return ok;
}

/* Page tokens are the last sequence number, base64url'ed. */
static void page_token(uint64_t seq, char *out, size_t len)
{
	struct sbuf sb = SBUF_INIT;
	char raw[40];

	snprintf(raw, sizeof(raw), "twin:%llu", (unsigned long long)seq);
	codec_b64url_encode(&sb, raw, strlen(raw));
	snprintf(out, len, "%s", sbuf_str(&sb));
	sbuf_release(&sb);
}

static int page_start(const char *token, uint64_t *seq)
{
	struct sbuf sb = SBUF_INIT;
	char *end;
	int rc = -EINVAL;

	sb.max = 64;
	*seq = 0;
	if (!token)
		return 0;
	if (!codec_b64_decode(&sb, token, strlen(token)) && strncmp(sbuf_str(&sb), "twin:", 5) == 0) {
		*seq = strtoull(sb.buf + 5, &end, 10);
		rc = *end || end == sb.buf + 5 ? -EINVAL : 0;
	}
	sbuf_release(&sb);
	return rc;
}

/* Check every requested id: malformed or unknown answers the error. */
static int check_ids(struct aws_call *k, const json_t *ids)
{
	struct sbuf missing = SBUF_INIT;
	size_t i, nmiss = 0;
	json_t *id;
	int rc = 0;

	json_array_foreach(ids, i, id) {
		const char *s = json_string_value(id);
		struct twin_vm *vm;

		if (!id_valid(s, "i")) {
			rc = FAIL(k, 400, "InvalidInstanceID.Malformed", "Invalid id: \"%s\"", s);
			break;
		}
		vm = twin_cloud_vm(k->c, s, k->ctx->now);
		if (!vm || vm->region != k->region)
			sbuf_addf(&missing, "%s%s", nmiss++ ? ", " : "", s);
	}
	if (rc)
		;	/* answered */
	else if (nmiss == 1)
		rc = FAIL(k, 400, "InvalidInstanceID.NotFound", "The instance ID '%s' does not exist",
			  sbuf_str(&missing));
	else if (nmiss)
		rc = FAIL(k, 400, "InvalidInstanceID.NotFound", "The instance IDs '%s' do not exist",
			  sbuf_str(&missing));
	sbuf_release(&missing);
	return rc;
}

static bool in_list(const json_t *list, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(list, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

/* Append vm to the reservation list, grouping consecutive instances. */
static void add_to_reservations(const struct aws_call *k, json_t *res, const struct twin_vm *vm)
{
	const char *rid = json_string_value(json_object_get(vm->extra, "reservationId"));
	json_t *last = json_array_get(res, json_array_size(res) - 1);

	if (!rid)
		rid = "r-00000000000000000";
	if (!last || strcmp(json_string_value(json_object_get(last, "reservationId")), rid)) {
		last = reservation_json(k, rid, json_array());
		json_array_append_new(res, last);
	}
	json_array_append_new(json_object_get(json_object_get(last, "instancesSet"), "item"),
			      instance_json(k, vm));
}

static void describe_page(struct aws_call *k, const json_t *ids, const json_t *fl,
			  uint64_t start, long max)
{
	json_t *res = json_array(), *doc = aws_doc(k);
	size_t i = twin_cloud_vm_after(k->c, start);
	long n = 0;
	char next[64] = "";

	for (; i < twin_cloud_nvms(k->c); i++) {
		struct twin_vm *vm = twin_cloud_vm_at(k->c, i, k->ctx->now);

		if (vm->region != k->region || (json_array_size(ids) && !in_list(ids, vm->id)) ||
		    !instance_matches(fl, vm))
			continue;
		if (max > 0 && n == max) {
			page_token(twin_cloud_vm_at(k->c, i - 1, k->ctx->now)->seq, next, sizeof(next));
			break;
		}
		add_to_reservations(k, res, vm);
		n++;
	}
	json_object_set_new(doc, "reservationSet", item_set(res));
	if (next[0])
		json_object_set_new(doc, "nextToken", json_string(next));
	aws_send(k, doc);
}

static void describe_instances(struct aws_call *k)
{
	json_t *ids = list_param(k, "InstanceId"), *fl = ids ? filters(k, instance_filters) : NULL;
	const char *mr = param(k, "MaxResults");
	long max = mr ? bounded(mr, 5, 1000) : 0;
	uint64_t start;

	if (!ids || !fl)
		goto out_free;
	if (mr && json_array_size(ids)) {
		FAIL(k, 400, "InvalidParameterCombination",
		     "The parameter instancesSet cannot be used with the parameter maxResults");
	} else if (max < 0) {
		FAIL(k, 400, "InvalidParameterValue", "Value ( %s ) for parameter maxResults is "
		     "invalid. Expecting a value greater than 5.", mr);
	} else if (page_start(param(k, "NextToken"), &start)) {
		FAIL(k, 400, "InvalidParameterValue", "Invalid value for parameter NextToken");
	} else {
		twin_cloud_lock(k->c);
		if (!check_ids(k, ids))
			describe_page(k, ids, fl, start, max);
		twin_cloud_unlock(k->c);
	}
out_free:
	json_decref(ids);
	json_decref(fl);
}

/* ---- Start / Stop / Terminate / Reboot --------------------------------------------------- */

static const char *act_verb(enum twin_vm_act act)
{
	switch (act) {
	case TWIN_ACT_START: return "started";
	case TWIN_ACT_STOP: return "stopped";
	case TWIN_ACT_REBOOT: return "rebooted";
	default: return "terminated";
	}
}

/* Apply act to every InstanceId.N (lock held); the state changes, or
 * NULL after answering. */
static json_t *act_all(struct aws_call *k, enum twin_vm_act act)
{
	json_t *ids = list_param(k, "InstanceId"), *items = NULL, *id;
	size_t i;

	if (!ids)
		return NULL;
	if (!json_array_size(ids)) {
		FAIL(k, 400, "MissingParameter", "The request must contain the parameter InstanceId");
		goto out_free;
	}
	if (check_ids(k, ids))
		goto out_free;
	items = json_array();
	json_array_foreach(ids, i, id) {
		struct twin_vm *vm = twin_cloud_vm(k->c, json_string_value(id), k->ctx->now);
		enum twin_vm_state before = vm->state;

		if (twin_cloud_act(k->c, vm, act, k->ctx->now)) {
			FAIL(k, 400, "IncorrectInstanceState",
			     "The instance '%s' is not in a state from which it can be %s.", vm->id,
			     act_verb(act));
			json_decref(items);
			items = NULL;
			break;
		}
		json_array_append_new(items, json_pack("{s:s,s:o,s:o}", "instanceId", vm->id,
			"currentState", state_json(vm->state), "previousState", state_json(before)));
	}
out_free:
	json_decref(ids);
	return items;
}

static void change_state(struct aws_call *k, enum twin_vm_act act)
{
	json_t *items;

	twin_cloud_lock(k->c);
	items = act_all(k, act);
	twin_cloud_unlock(k->c);
	if (!items)
		return;
	if (act == TWIN_ACT_REBOOT) {
		json_decref(items);
		aws_send(k, json_pack("{s:s,s:b}", "requestId", k->ctx->request_id, "return", 1));
		return;
	}
	aws_send(k, json_pack("{s:s,s:o}", "requestId", k->ctx->request_id, "instancesSet",
			      item_set(items)));
}

static void start_instances(struct aws_call *k)
{
	change_state(k, TWIN_ACT_START);
}

static void stop_instances(struct aws_call *k)
{
	change_state(k, TWIN_ACT_STOP);
}

static void reboot_instances(struct aws_call *k)
{
	change_state(k, TWIN_ACT_REBOOT);
}

static void terminate_instances(struct aws_call *k)
{
	change_state(k, TWIN_ACT_TERMINATE);
}

/* ---- catalog --------------------------------------------------------------------------- */

static const char *const image_filters[] = { "name", "image-id", "architecture", "owner-id",
	"owner-alias", "state", "is-public", "image-type", "platform-details", "description",
	"root-device-type", "virtualization-type", NULL };

static const char *owner_alias(const char *owner)
{
	if (strcmp(owner, "137112412989") == 0)
		return "amazon";
	return "";
}

static const char *image_field(const void *item, const char *name, char *buf, size_t len)
{
	const struct twin_image *m = item;

	(void)buf;
	(void)len;
	if (strcmp(name, "name") == 0)
		return m->name;
	if (strcmp(name, "image-id") == 0)
		return m->id;
	if (strcmp(name, "architecture") == 0)
		return m->arch;
	if (strcmp(name, "owner-id") == 0)
		return m->project;
	if (strcmp(name, "owner-alias") == 0)
		return owner_alias(m->project);
	if (strcmp(name, "state") == 0)
		return "available";
	if (strcmp(name, "is-public") == 0)
		return "true";
	if (strcmp(name, "image-type") == 0)
		return "machine";
	if (strcmp(name, "platform-details") == 0)
		return "Linux/UNIX";
	if (strcmp(name, "description") == 0)
		return m->description;
	return strcmp(name, "root-device-type") == 0 ? "ebs" : "hvm";
}

static json_t *image_json(const struct twin_image *m)
{
	char loc[300], snap[32];

	snprintf(loc, sizeof(loc), "%s/%s", m->project, m->name);
	derived_id("snap", m->id, snap, sizeof(snap));
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:b,"
			 "s:s,s:o}",
		"imageId", m->id, "imageLocation", loc, "imageState", "available",
		"imageOwnerId", m->project, "creationDate", "2023-12-07T00:00:00.000Z",
		"isPublic", 1, "architecture", m->arch, "imageType", "machine",
		"platformDetails", "Linux/UNIX", "usageOperation", "RunInstances",
		"imageOwnerAlias", owner_alias(m->project), "name", m->name,
		"description", m->description, "rootDeviceType", "ebs",
		"rootDeviceName", "/dev/sda1", "virtualizationType", "hvm", "enaSupport", 1,
		"hypervisor", "xen", "blockDeviceMapping", item_set(json_pack("[{s:s,s:{s:s,s:i,s:b,"
		"s:s,s:b}}]", "deviceName", "/dev/sda1", "ebs", "snapshotId", snap, "volumeSize", 8,
		"deleteOnTermination", 1, "volumeType", "gp2", "encrypted", 0)));
}

static bool owner_matches(const struct aws_call *k, const json_t *owners, const char *owner)
{
	size_t i;
	json_t *o;

	if (!json_array_size(owners))
		return true;
	json_array_foreach(owners, i, o) {
		const char *s = json_string_value(o);

		if (strcmp(s, owner) == 0 || strcmp(s, owner_alias(owner)) == 0 ||
		    (strcmp(s, "self") == 0 && strcmp(owner, owner_id(k->c)) == 0))
			return true;
	}
	return false;
}

static void describe_images(struct aws_call *k)
{
	json_t *ids = list_param(k, "ImageId"), *owners = ids ? list_param(k, "Owner") : NULL;
	json_t *fl = owners ? filters(k, image_filters) : NULL, *items, *id;
	size_t i;

	if (!fl)
		goto out_free;
	json_array_foreach(ids, i, id) {
		const char *s = json_string_value(id);

		if (!id_valid(s, "ami")) {
			FAIL(k, 400, "InvalidAMIID.Malformed", "Invalid id: \"%s\"", s);
			goto out_free;
		}
		if (!twin_cloud_image(k->c, s)) {
			FAIL(k, 400, "InvalidAMIID.NotFound", "The image id '[%s]' does not exist", s);
			goto out_free;
		}
	}
	items = json_array();
	for (size_t m = 0; m < k->c->nimages; m++) {
		const struct twin_image *img = &k->c->images[m];

		if ((!json_array_size(ids) || in_list(ids, img->id)) &&
		    owner_matches(k, owners, img->project) && filters_match(fl, img, image_field))
			json_array_append_new(items, image_json(img));
	}
	send_set(k, "imagesSet", items);
out_free:
	json_decref(ids);
	json_decref(owners);
	json_decref(fl);
}

static const char *const type_filters[] = { "instance-type", "vcpu-info.default-vcpus",
	"memory-info.size-in-mib", "processor-info.supported-architecture", "current-generation",
	"free-tier-eligible", NULL };

static const char *type_field(const void *item, const char *name, char *buf, size_t len)
{
	const struct twin_spec *s = item;

	if (strcmp(name, "instance-type") == 0)
		return s->name;
	if (strcmp(name, "vcpu-info.default-vcpus") == 0)
		return snprintf(buf, len, "%d", s->vcpus) > 0 ? buf : NULL;
	if (strcmp(name, "memory-info.size-in-mib") == 0)
		return snprintf(buf, len, "%d", s->mem_mib) > 0 ? buf : NULL;
	if (strcmp(name, "processor-info.supported-architecture") == 0)
		return s->arch;
	if (strcmp(name, "free-tier-eligible") == 0)
		return strcmp(s->name, "t3.micro") == 0 ? "true" : "false";
	return "true";
}

static json_t *type_json(const struct twin_spec *s)
{
	json_t *o = json_pack("{s:s,s:b,s:b,s:{s:[s,s]},s:{s:[s]},s:{s:[s]},s:b,s:s,"
			      "s:{s:{s:[s]},s:f},s:{s:i,s:i,s:i},s:{s:I},s:b,s:{s:s,s:i}}",
		"instanceType", s->name, "currentGeneration", 1, "freeTierEligible",
		strcmp(s->name, "t3.micro") == 0, "supportedUsageClasses", "item", "on-demand", "spot",
		"supportedRootDeviceTypes", "item", "ebs", "supportedVirtualizationTypes", "item",
		"hvm", "bareMetal", 0, "hypervisor", "nitro", "processorInfo",
		"supportedArchitectures", "item", s->arch, "sustainedClockSpeedInGhz", 3.1,
		"vCpuInfo", "defaultVCpus", s->vcpus, "defaultCores", s->vcpus > 1 ? s->vcpus / 2 : 1,
		"defaultThreadsPerCore", s->vcpus > 1 ? 2 : 1, "memoryInfo", "sizeInMiB",
		(json_int_t)s->mem_mib, "instanceStorageSupported", 0, "networkInfo",
		"networkPerformance", "Up to 5 Gigabit", "maximumNetworkInterfaces", 3);

	if (o && s->gpus)
		json_object_set_new(o, "gpuInfo", json_pack("{s:{s:[{s:s,s:s,s:i,s:{s:i}}]},s:i}",
			"gpus", "item", "name", "T4", "manufacturer", "NVIDIA", "count", s->gpus,
			"memoryInfo", "sizeInMiB", 15360, "totalGpuMemoryInMiB", 15360 * s->gpus));
	return o;
}

static void describe_instance_types(struct aws_call *k)
{
	json_t *want = list_param(k, "InstanceType"), *fl = want ? filters(k, type_filters) : NULL;
	json_t *items = NULL, *t, *doc;
	const char *mr = param(k, "MaxResults");
	long max = mr ? bounded(mr, 5, 100) : 0;
	uint64_t start = 0, n = 0;
	size_t i;

	if (!fl)
		goto out_free;
	if (max < 0 || page_start(param(k, "NextToken"), &start)) {
		FAIL(k, 400, "InvalidParameterValue", "Invalid MaxResults or NextToken");
		goto out_free;
	}
	json_array_foreach(want, i, t) {
		if (!twin_cloud_spec(k->c, json_string_value(t))) {
			FAIL(k, 400, "InvalidInstanceType", "The following supplied instance types do "
			     "not exist: [%s]", json_string_value(t));
			goto out_free;
		}
	}
	items = json_array();
	doc = aws_doc(k);
	for (size_t s = (size_t)start; s < k->c->nspecs; s++) {
		const struct twin_spec *sp = &k->c->specs[s];
		char next[64];

		if ((json_array_size(want) && !in_list(want, sp->name)) ||
		    !filters_match(fl, sp, type_field))
			continue;
		if (max && (long)n == max) {
			page_token(s, next, sizeof(next));
			json_object_set_new(doc, "nextToken", json_string(next));
			break;
		}
		json_array_append_new(items, type_json(sp));
		n++;
	}
	json_object_set_new(doc, "instanceTypeSet", item_set(items));
	aws_send(k, doc);
out_free:
	json_decref(want);
	json_decref(fl);
}

static void describe_regions(struct aws_call *k)
{
	json_t *want = list_param(k, "RegionName"), *items;

	if (!want)
		return;
	items = json_array();
	for (size_t i = 0; i < k->c->nregions; i++) {
		const char *name = k->c->regions[i].name;
		char ep[128];

		if (json_array_size(want) && !in_list(want, name))
			continue;
		snprintf(ep, sizeof(ep), "ec2.%s.amazonaws.com", name);
		json_array_append_new(items, json_pack("{s:s,s:s,s:s}", "regionName", name,
			"regionEndpoint", ep, "optInStatus", "opt-in-not-required"));
	}
	send_set(k, "regionInfo", items);
	json_decref(want);
}

static void describe_zones(struct aws_call *k)
{
	json_t *want = list_param(k, "ZoneName"), *items;

	if (!want)
		return;
	items = json_array();
	for (size_t z = 0; z < k->r->nzones; z++) {
		char zid[32];

		if (json_array_size(want) && !in_list(want, k->r->zones[z]))
			continue;
		snprintf(zid, sizeof(zid), "%.8s-az%zu", k->r->name, z + 1);
		json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:o,s:s,s:s}",
			"zoneName", k->r->zones[z], "optInStatus", "opt-in-not-required", "zoneState",
			"available", "regionName", k->r->name, "zoneId", zid, "groupName",
			k->r->name, "networkBorderGroup", k->r->name, "messageSet", json_object(),
			"zoneType", "availability-zone", "parentZoneName", ""));
	}
	send_set(k, "availabilityZoneInfo", items);
	json_decref(want);
}

/* ---- network, security groups, keys, tags -------------------------------------------------- */

static void describe_vpcs(struct aws_call *k)
{
	char vpc[64], dopt[64];
	json_t *doc = aws_doc(k);

	stable_id(k->c, "vpc", k->r->name, vpc, sizeof(vpc));
	stable_id(k->c, "dopt", k->r->name, dopt, sizeof(dopt));
	json_object_set_new(doc, "vpcSet", item_set(json_pack("[{s:s,s:s,s:s,s:s,s:s,s:s,s:b,s:{}}]",
		"vpcId", vpc, "ownerId", owner_id(k->c), "state", "available", "cidrBlock",
		"172.31.0.0/16", "dhcpOptionsId", dopt, "instanceTenancy", "default", "isDefault", 1,
		"tagSet")));
	aws_send(k, doc);
}

static void describe_subnets(struct aws_call *k)
{
	json_t *items = json_array(), *doc = aws_doc(k);
	char vpc[64];

	stable_id(k->c, "vpc", k->r->name, vpc, sizeof(vpc));
	for (size_t z = 0; z < k->r->nzones; z++) {
		char subnet[64], cidr[32];

		stable_id(k->c, "subnet", k->r->zones[z], subnet, sizeof(subnet));
		snprintf(cidr, sizeof(cidr), "172.31.%zu.0/20", z * 16);
		json_array_append_new(items, json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:b,s:b,s:{}}",
			"subnetId", subnet, "state", "available", "vpcId", vpc, "cidrBlock", cidr,
			"ownerId", owner_id(k->c), "availableIpAddressCount", 4091,
			"availabilityZone", k->r->zones[z], "defaultForAz", 1,
			"mapPublicIpOnLaunch", 1, "tagSet"));
	}
	json_object_set_new(doc, "subnetSet", item_set(items));
	aws_send(k, doc);
}

/* The default security group of every region exists from the start. */
static int ensure_default_groups(struct twin_cloud *c)
{
	for (size_t i = 0; i < c->nregions; i++) {
		char id[64], vpc[64];
		int rc;

		stable_id(c, "sg", c->regions[i].name, id, sizeof(id));
		stable_id(c, "vpc", c->regions[i].name, vpc, sizeof(vpc));
		if (twin_cloud_res_get(c, SG_KIND, id))
			continue;
		rc = twin_cloud_res_put(c, SG_KIND, id, json_pack("{s:s,s:s,s:s,s:s,s:s,s:[]}",
			"groupId", id, "groupName", "default", "groupDescription",
			"default VPC security group", "vpcId", vpc, "region", c->regions[i].name,
			"ipPermissions"));
		if (rc)
			return rc;
	}
	return 0;
}

static json_t *group_json(const struct aws_call *k, const json_t *g)
{
	return json_pack("{s:s,s:O,s:O,s:O,s:O,s:o,s:{s:[{s:s,s:{s:[{s:s}]}}]},s:{}}", "ownerId",
		owner_id(k->c), "groupId", json_object_get(g, "groupId"), "groupName",
		json_object_get(g, "groupName"), "groupDescription",
		json_object_get(g, "groupDescription"), "vpcId", json_object_get(g, "vpcId"),
		"ipPermissions", item_set(json_deep_copy(json_object_get(g, "ipPermissions"))),
		"ipPermissionsEgress", "item", "ipProtocol", "-1", "ipRanges", "item", "cidrIp",
		"0.0.0.0/0", "tagSet");
}

static void describe_groups(struct aws_call *k)
{
	json_t *ids = list_param(k, "GroupId"), *names = ids ? list_param(k, "GroupName") : NULL;
	json_t *items = json_array(), *v;
	size_t i;

	if (!names)
		goto out_free;
	twin_cloud_lock(k->c);
	ensure_default_groups(k->c);
	json_array_foreach(ids, i, v) {
		json_t *g = find_group(k, json_string_value(v), NULL);

		if (g)
			json_array_append_new(items, group_json(k, g));
		else {
			FAIL(k, 400, "InvalidGroup.NotFound", "The security group '%s' does not exist",
			     json_string_value(v));
			goto out_unlock;
		}
	}
	json_array_foreach(names, i, v) {
		json_t *g = find_group(k, NULL, json_string_value(v));

		if (g)
			json_array_append_new(items, group_json(k, g));
		else {
			FAIL(k, 400, "InvalidGroup.NotFound",
			     "The security group '%s' does not exist in default VPC",
			     json_string_value(v));
			goto out_unlock;
		}
	}
	if (!json_array_size(ids) && !json_array_size(names)) {
		const char *gid;
		json_t *g;

		json_object_foreach(twin_cloud_res_all(k->c, SG_KIND), gid, g) {
			if (strcmp(json_string_value(json_object_get(g, "region")), k->r->name) == 0)
				json_array_append_new(items, group_json(k, g));
		}
	}
	send_set(k, "securityGroupInfo", items);
	items = NULL;
out_unlock:
	twin_cloud_unlock(k->c);
out_free:
	json_decref(items);
	json_decref(ids);
	json_decref(names);
}

static void create_group(struct aws_call *k)
{
	const char *name = param(k, "GroupName"), *desc = param(k, "GroupDescription");
	char id[64], vpc[64];

	if (!name || !desc) {
		FAIL(k, 400, "MissingParameter", "The request must contain the parameter %s",
		     name ? "GroupDescription" : "GroupName");
		return;
	}
	stable_id(k->c, "vpc", k->r->name, vpc, sizeof(vpc));
	if (param(k, "VpcId") && strcmp(param(k, "VpcId"), vpc) != 0) {
		FAIL(k, 400, "InvalidVpcID.NotFound", "The vpc ID '%s' does not exist",
		     param(k, "VpcId"));
		return;
	}
	twin_cloud_lock(k->c);
	ensure_default_groups(k->c);
	if (find_group(k, NULL, name)) {
		FAIL(k, 400, "InvalidGroup.Duplicate",
		     "The security group '%s' already exists for VPC '%s'", name, vpc);
	} else {
		random_id("sg", id, sizeof(id));
		twin_cloud_res_put(k->c, SG_KIND, id, json_pack("{s:s,s:s,s:s,s:s,s:s,s:[]}",
			"groupId", id, "groupName", name, "groupDescription", desc, "vpcId", vpc,
			"region", k->r->name, "ipPermissions"));
		aws_send(k, json_pack("{s:s,s:b,s:s}", "requestId", k->ctx->request_id, "return",
				      1, "groupId", id));
	}
	twin_cloud_unlock(k->c);
}

static json_t *permission_json(struct aws_call *k, long long n)
{
	char b1[64], b2[64], b3[64], b4[64];
	const char *proto = paramf(k, b1, sizeof(b1), "IpPermissions.%lld.IpProtocol", n);
	const char *from = paramf(k, b2, sizeof(b2), "IpPermissions.%lld.FromPort", n);
	const char *to = paramf(k, b3, sizeof(b3), "IpPermissions.%lld.ToPort", n);
	json_t *ranges = json_array(), *idx, *c;
	size_t i;

	snprintf(b4, sizeof(b4), "IpPermissions.%lld.IpRanges", n);
	idx = twin_params_indexes(&k->p, b4);

	json_array_foreach(idx, i, c) {
		char b5[96];
		const char *cidr = paramf(k, b5, sizeof(b5), "%s.%lld.CidrIp", b4,
					  (long long)json_integer_value(c));

		if (cidr)
			json_array_append_new(ranges, json_pack("{s:s}", "cidrIp", cidr));
	}
	json_decref(idx);
	return json_pack("{s:s,s:s,s:s,s:o}", "ipProtocol", proto ? proto : "-1", "fromPort",
			 from ? from : "", "toPort", to ? to : "", "ipRanges", item_set(ranges));
}

static void authorize_ingress(struct aws_call *k)
{
	const char *id = param(k, "GroupId"), *name = param(k, "GroupName");
	json_t *idx = twin_params_indexes(&k->p, "IpPermissions"), *n, *g;
	size_t i;

	twin_cloud_lock(k->c);
	ensure_default_groups(k->c);
	g = id || name ? find_group(k, id, id ? NULL : name) : NULL;
	if (!g) {
		FAIL(k, 400, "InvalidGroup.NotFound", "The security group '%s' does not exist",
		     id ? id : name ? name : "");
	} else {
		json_array_foreach(idx, i, n)
			json_array_append_new(json_object_get(g, "ipPermissions"),
					      permission_json(k, json_integer_value(n)));
		aws_send(k, json_pack("{s:s,s:b}", "requestId", k->ctx->request_id, "return", 1));
	}
	twin_cloud_unlock(k->c);
	json_decref(idx);
}

static void delete_group(struct aws_call *k)
{
	const char *id = param(k, "GroupId"), *name = param(k, "GroupName");
	json_t *g;

	twin_cloud_lock(k->c);
	g = id || name ? find_group(k, id, id ? NULL : name) : NULL;
	if (!g)
		FAIL(k, 400, "InvalidGroup.NotFound", "The security group '%s' does not exist",
		     id ? id : name ? name : "");
	else if (strcmp(json_string_value(json_object_get(g, "groupName")), "default") == 0)
		FAIL(k, 400, "CannotDelete", "the specified group: \"%s\" name: \"default\" cannot "
		     "be deleted by a user", json_string_value(json_object_get(g, "groupId")));
	else {
		twin_cloud_res_del(k->c, SG_KIND, json_string_value(json_object_get(g, "groupId")));
		aws_send(k, json_pack("{s:s,s:b}", "requestId", k->ctx->request_id, "return", 1));
	}
	twin_cloud_unlock(k->c);
}

static void fingerprint(const struct sbuf *key, char *out, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	size_t pos = 0;

	EVP_Digest(key->buf, key->len, md, &n, EVP_md5(), NULL);
	out[0] = '\0';
	for (unsigned int i = 0; i < n && pos + 3 < len; i++)
		pos += (size_t)snprintf(out + pos, len - pos, "%s%02x", i ? ":" : "", md[i]);
}

static void import_key(struct aws_call *k)
{
	const char *name = param(k, "KeyName"), *mat = param(k, "PublicKeyMaterial");
	struct sbuf key = SBUF_INIT;
	char fp[64], kid[32];

	if (!name || !mat) {
		FAIL(k, 400, "MissingParameter", "The request must contain the parameter %s",
		     name ? "PublicKeyMaterial" : "KeyName");
		return;
	}
	key.max = 16384;
	if (codec_b64_decode(&key, mat, strlen(mat)) || strncmp(sbuf_str(&key), "ssh-", 4) != 0 ||
	    !strchr(sbuf_str(&key), ' ')) {
		FAIL(k, 400, "InvalidKey.Format", "Key is not in valid OpenSSH public key format");
		goto out_release;
	}
	fingerprint(&key, fp, sizeof(fp));
	random_id("key", kid, sizeof(kid));
	twin_cloud_lock(k->c);
	if (twin_cloud_res_get(k->c, KEY_KIND, name)) {
		FAIL(k, 400, "InvalidKeyPair.Duplicate", "The keypair '%s' already exists.", name);
	} else {
		twin_cloud_res_put(k->c, KEY_KIND, name, json_pack("{s:s,s:s,s:s,s:s,s:s}", "keyPairId",
			kid, "keyName", name, "keyFingerprint", fp, "keyType", "rsa", "publicKey",
			sbuf_str(&key)));
		aws_send(k, json_pack("{s:s,s:s,s:s,s:s}", "requestId", k->ctx->request_id,
				      "keyName", name, "keyFingerprint", fp, "keyPairId", kid));
	}
	twin_cloud_unlock(k->c);
out_release:
	sbuf_release(&key);
}

static void describe_keys(struct aws_call *k)
{
	json_t *names = list_param(k, "KeyName"), *items = json_array(), *v;
	const char *name;
	size_t i;

	if (!names)
		goto out_free;
	twin_cloud_lock(k->c);
	json_array_foreach(names, i, v) {
		if (!twin_cloud_res_get(k->c, KEY_KIND, json_string_value(v))) {
			FAIL(k, 400, "InvalidKeyPair.NotFound", "The key pair '%s' does not exist",
			     json_string_value(v));
			goto out_unlock;
		}
	}
	json_object_foreach(twin_cloud_res_all(k->c, KEY_KIND), name, v) {
		if (!json_array_size(names) || in_list(names, name))
			json_array_append_new(items, json_pack("{s:O,s:O,s:O,s:O}", "keyPairId",
				json_object_get(v, "keyPairId"), "keyName", json_object_get(v, "keyName"),
				"keyFingerprint", json_object_get(v, "keyFingerprint"), "keyType",
				json_object_get(v, "keyType")));
	}
	send_set(k, "keySet", items);
	items = NULL;
out_unlock:
	twin_cloud_unlock(k->c);
out_free:
	json_decref(items);
	json_decref(names);
}

static void delete_key(struct aws_call *k)
{
	const char *name = param(k, "KeyName");

	if (!name) {
		FAIL(k, 400, "MissingParameter", "The request must contain the parameter KeyName");
		return;
	}
	twin_cloud_lock(k->c);
	twin_cloud_res_del(k->c, KEY_KIND, name);
	twin_cloud_unlock(k->c);
	aws_send(k, json_pack("{s:s,s:b}", "requestId", k->ctx->request_id, "return", 1));
}

/* Tag.N.Key / Tag.N.Value as an object (new), or NULL after answering. */
static json_t *tag_params(struct aws_call *k, bool need_value)
{
	json_t *idx = twin_params_indexes(&k->p, "Tag"), *out = json_object(), *n;
	size_t i;

	json_array_foreach(idx, i, n) {
		char kb[48], vb[48];
		const char *key = paramf(k, kb, sizeof(kb), "Tag.%lld.Key",
					 (long long)json_integer_value(n));
		const char *val = paramf(k, vb, sizeof(vb), "Tag.%lld.Value",
					 (long long)json_integer_value(n));

		if (!key || strlen(key) > 128 || strncmp(key, "aws:", 4) == 0 ||
		    (val && strlen(val) > 256)) {
			FAIL(k, 400, "InvalidParameterValue", "Tag keys are 1 to 128 characters, "
			     "values at most 256, and keys may not start with 'aws:'");
			json_decref(out);
			out = NULL;
			break;
		}
		json_object_set_new(out, key, val || need_value ? json_string(val ? val : "") :
				    json_null());
	}
	json_decref(idx);
	return out;
}

static void tags_change(struct aws_call *k, bool create)
{
	json_t *ids = list_param(k, "ResourceId"), *tags = ids ? tag_params(k, create) : NULL, *id;
	size_t i;

	if (!tags)
		goto out_free;
	twin_cloud_lock(k->c);
	json_array_foreach(ids, i, id) {
		const char *s = json_string_value(id);
		struct twin_vm *vm = twin_cloud_vm(k->c, s, k->ctx->now);
		const char *key;
		json_t *v;

		if (strncmp(s, "i-", 2) != 0)
			continue;	/* other resources keep no tags here */
		if (!vm) {
			FAIL(k, 400, "InvalidInstanceID.NotFound",
			     "The instance ID '%s' does not exist", s);
			goto out_unlock;
		}
		json_object_foreach(tags, key, v) {
			if (create)
				json_object_set(vm->tags, key, v);
			else if (json_is_null(v) || json_equal(v, json_object_get(vm->tags, key)))
				json_object_del(vm->tags, key);
		}
	}
	aws_send(k, json_pack("{s:s,s:b}", "requestId", k->ctx->request_id, "return", 1));
out_unlock:
	twin_cloud_unlock(k->c);
out_free:
	json_decref(ids);
	json_decref(tags);
}

static void create_tags(struct aws_call *k)
{
	tags_change(k, true);
}

static void delete_tags(struct aws_call *k)
{
	tags_change(k, false);
}

static void describe_addresses(struct aws_call *k)
{
	json_t *doc = aws_doc(k);

	json_object_set_new(doc, "addressesSet", item_set(NULL));
	aws_send(k, doc);
}

/* ---- dispatch ---------------------------------------------------------------------------- */

static const struct aws_action aws_actions[] = {
	{ "RunInstances", run_instances, true },
	{ "DescribeInstances", describe_instances, false },
	{ "StartInstances", start_instances, true },
	{ "StopInstances", stop_instances, true },
	{ "RebootInstances", reboot_instances, true },
	{ "TerminateInstances", terminate_instances, true },
	{ "DescribeImages", describe_images, false },
	{ "DescribeInstanceTypes", describe_instance_types, false },
	{ "DescribeRegions", describe_regions, false },
	{ "DescribeAvailabilityZones", describe_zones, false },
	{ "DescribeVpcs", describe_vpcs, false },
	{ "DescribeSubnets", describe_subnets, false },
	{ "DescribeSecurityGroups", describe_groups, false },
	{ "CreateSecurityGroup", create_group, true },
	{ "AuthorizeSecurityGroupIngress", authorize_ingress, true },
	{ "DeleteSecurityGroup", delete_group, true },
	{ "DescribeKeyPairs", describe_keys, false },
	{ "ImportKeyPair", import_key, true },
	{ "DeleteKeyPair", delete_key, true },
	{ "CreateTags", create_tags, true },
	{ "DeleteTags", delete_tags, true },
	{ "DescribeAddresses", describe_addresses, false },
};

static const struct aws_action *find_action(const char *name)
{
	for (size_t i = 0; i < sizeof(aws_actions) / sizeof(aws_actions[0]); i++) {
		if (strcmp(aws_actions[i].name, name) == 0)
			return &aws_actions[i];
	}
	return NULL;
}

static void aws_handle(struct twin_ctx *ctx)
{
	struct aws_call k = { .ctx = ctx, .c = ctx->cloud, .p = PARAMS_INIT };
	const struct aws_action *act;
	const char *dry;

	if (!twin_params_wellformed(ctx->req->raw_query, strlen(ctx->req->raw_query)) ||
	    !twin_params_wellformed(ctx->req->body.buf, ctx->req->body.len) ||
	    twin_req_params(ctx->req, &k.p)) {
		aws_error(ctx, 400, "MalformedQueryString", "The query string contains a syntax error.");
		goto out_release;
	}
	if (aws_auth(&k))
		goto out_release;
	k.action = param(&k, "Action");
	act = k.action ? find_action(k.action) : NULL;
	dry = param(&k, "DryRun");
	if (!k.action)
		FAIL(&k, 400, "MissingAction", "The request must contain the parameter Action");
	else if (!act)
		FAIL(&k, 400, "InvalidAction", "The action %s is not valid for this web service.",
		     k.action);
	else if (dry && strcmp(dry, "true") == 0 && act->mutating)
		FAIL(&k, 412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.");
	else
		act->fn(&k);
out_release:
	params_release(&k.p);
}

/* ---- routing, setup, description -------------------------------------------------------------- */

static struct twin_cloud *aws_claim(struct twin_server *srv, const struct twin_req *req)
{
	struct twin_sigv4 a;
	struct params p = PARAMS_INIT;
	struct twin_cloud *c = NULL;

	/* A request signed the EC2 way with an unknown key or a malformed
	 * signature still deserves EC2's answer (AuthFailure, IncompleteSignature):
	 * it goes to the first EC2 cloud, whose checks refuse it. */
	if (twin_awssig_v4_parse(req, &a) != -ENOENT) {
		c = twin_server_index_get(srv, "aws-key", a.auth.access_key_id);
		return c ? c : twin_server_index_get(srv, "aws-key", "");
	}
	if (twin_req_params(req, &p) == 0 && params_get(&p, "AWSAccessKeyId") &&
	    params_get(&p, "SignatureVersion")) {
		c = twin_server_index_get(srv, "aws-key", params_get(&p, "AWSAccessKeyId"));
		c = c ? c : twin_server_index_get(srv, "aws-key", "");
	}
	params_release(&p);
	return c;
}

static int aws_setup(struct twin_server *srv, struct twin_cloud *c, struct sbuf *err)
{
	struct aws_priv *priv = calloc(1, sizeof(*priv));
	unsigned char md[32];
	size_t i;

	if (!priv)
		return -ENOMEM;
	c->priv = priv;
	hash_sha256(c->name, strlen(c->name), md);
	for (i = 0; i < 12; i++)
		priv->owner[i] = (char)('0' + md[i] % 10);
	priv->owner[0] = priv->owner[0] == '0' ? '1' : priv->owner[0];
	if (twin_server_index_creds(srv, c, "aws-key", "access_key_id", err))
		return -EEXIST;
	return 0;
}

static void aws_cleanup(struct twin_cloud *c)
{
	free(c->priv);
	c->priv = NULL;
}

static int aws_describe(struct twin_server *srv, const struct twin_cloud *c, json_t *out)
{
	const json_t *cred = twin_cloud_cred(c);
	char ep[256];

	snprintf(ep, sizeof(ep), "%s/", twin_server_http_url(srv));
	return json_object_update_new(out, json_pack("{s:s,s:{s:O,s:O}}", "endpoint", ep,
		"credential", "access_key_id", json_object_get(cred, "access_key_id"),
		"secret_access_key", json_object_get(cred, "secret_access_key")));
}

static int aws_adopt(struct twin_cloud *c, struct twin_vm *vm)
{
	char rid[32], vpc[64], subnet[64];

	random_id("i", vm->id, sizeof(vm->id));
	random_id("r", rid, sizeof(rid));
	stable_id(c, "vpc", c->regions[vm->region].name, vpc, sizeof(vpc));
	stable_id(c, "subnet", vm->zone, subnet, sizeof(subnet));
	json_object_set_new(vm->tags, "Name", json_string(vm->name));
	json_object_set_new(vm->extra, "reservationId", json_string(rid));
	json_object_set_new(vm->extra, "launchIndex", json_integer(0));
	json_object_set_new(vm->extra, "subnetId", json_string(subnet));
	json_object_set_new(vm->extra, "vpcId", json_string(vpc));
	json_object_set_new(vm->extra, "groups", json_array());
	return 0;
}

const struct twin_dialect twin_aws_dialect = {
	.name = "aws",
	.handle = aws_handle,
	.fail = aws_fail,
	.claim = aws_claim,
	.setup = aws_setup,
	.cleanup = aws_cleanup,
	.describe = aws_describe,
	.status = aws_status,
	.adopt = aws_adopt,
	.restore = ensure_default_groups,
};
