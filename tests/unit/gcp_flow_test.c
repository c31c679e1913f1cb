/*
 * gcp_flow_test.c - the GCE driver's own code paths through its operations
 * table, against a token endpoint and a compute API played by a stub
 * server (tests/unit/drvstub.h).  The stub verifies the driver's JWT
 * assertion with the service account's public key, so the exchange is
 * proven end to end: claims, RS256 signature, token caching.  Then:
 * requestId idempotency, a quota failure that arrives in the operation,
 * the firewall rule made once, label filters checked against exact
 * metadata.
 */
#include <errno.h>
#include <pthread.h>
#include <jansson.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "drivers/common/jwt.h"
#include "drivers/common/params.h"
#include "drivers/gcp/gcp.h"
#include "lib/clock.h"
#include "tests/unit/cu.h"
#include "tests/unit/drvflow.h"
#include "tests/unit/drvstub.h"

extern const struct drv_ops baristafs_driver;

#define PROJECT "proj-1"
#define EMAIL "tester@proj-1.iam.gserviceaccount.com"
#define PFX "/compute/v1/projects/" PROJECT "/"

/* The cloud the stub plays; guarded by lock. */
struct cloud {
	pthread_mutex_t lock;
	struct stub *stub;
	struct jwt_key *pub;	/* the account's public key */
	char token_uri[128];
	int exchanges;		/* token requests */
	int bad_claims;		/* assertions whose claims were wrong */
	int inserts;		/* insert POSTs */
	int firewall_posts;
	json_t *instances;	/* name -> instance */
	json_t *requests;	/* requestId -> operation name */
	json_t *ops;		/* operation name -> operation */
};

static struct cloud cloud;
static char *private_pem, *other_pem;

static void check_claims(const json_t *claims)
{
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	const char *aud = json_string_value(json_object_get(claims, "aud"));
	const char *scope = json_string_value(json_object_get(claims, "scope"));
	json_int_t iat = json_integer_value(json_object_get(claims, "iat"));
	json_int_t exp = json_integer_value(json_object_get(claims, "exp"));

	if (!iss || strcmp(iss, EMAIL) || !aud || strcmp(aud, cloud.token_uri) || !scope ||
	    !strstr(scope, "auth/compute") || exp - iat != 3600)
		cloud.bad_claims++;
}

static void token(const struct stub_req *q, struct stub_resp *r)
{
	struct params p = PARAMS_INIT;
	const char *jwt;
	json_t *claims = NULL;
	char value[32];

	params_parse(&p, q->body, q->body_len, true);
	jwt = params_get(&p, "assertion");
	cloud.exchanges++;
	if (!jwt || jwt_verify(cloud.pub, jwt, strlen(jwt), NULL, &claims) != 0) {
		flow_reply(r, 400, json_pack("{s:s, s:s}", "error", "invalid_grant",
					     "error_description", "Invalid JWT Signature."));
	} else {
		check_claims(claims);
		snprintf(value, sizeof(value), "ya29.%d", cloud.exchanges);
		flow_reply(r, 200, json_pack("{s:s, s:i, s:s}", "access_token", value,
					     "expires_in", 3599, "token_type", "Bearer"));
	}
	json_decref(claims);
	params_release(&p);
}

static json_t *new_op(const char *target, const char *status, const char *error)
{
	char name[32];
	json_t *op;

	snprintf(name, sizeof(name), "op-%zu", json_object_size(cloud.ops) + 1);
	op = json_pack("{s:s, s:s, s:s, s:s}", "kind", "compute#operation", "name", name,
		       "zone", "zones/z1", "status", status, "targetLink", target);
	if (error)
		json_object_set_new(op, "error", json_pack("{s:[{s:s, s:s}]}", "errors", "code",
							   error, "message",
							   "Quota 'CPUS' exceeded.  Limit: 8.0"));
	json_object_set(cloud.ops, name, op);
	return op;
}

/* An insert: the same requestId answers the same operation. */
static void insert(const struct stub_req *q, struct stub_resp *r)
{
	const char *rid = strstr(q->uri, "requestId=");
	json_t *body = json_loads(q->body, 0, NULL), *op;
	const char *name = json_string_value(json_object_get(body, "name"));
	bool quota = name && strncmp(name, "quota", 5) == 0;

	cloud.inserts++;
	op = rid ? json_object_get(cloud.ops, json_string_value(json_object_get(cloud.requests,
										   rid + 10)))
		 : NULL;
	if (op) {
		flow_reply(r, 200, json_incref(op));
	} else {
		/* An insert over quota is accepted, and fails later in its operation. */
		op = new_op(name, quota ? "PENDING" : "DONE", NULL);
		if (rid)
			json_object_set_new(cloud.requests, rid + 10,
					    json_string(json_string_value(json_object_get(op, "name"))));
		if (!quota) {
			json_object_set_new(body, "status", json_string("PROVISIONING"));
			json_object_set_new(body, "zone", json_string("zones/z1"));
			json_object_set(cloud.instances, name, body);
		}
		flow_reply(r, 200, op);
	}
	json_decref(body);
}

static void operation(const char *name, struct stub_resp *r)
{
	json_t *op = json_object_get(cloud.ops, name);

	if (!op) {
		flow_reply(r, 404, json_pack("{s:{s:i, s:s, s:[{s:s}]}}", "error", "code", 404,
					     "message", "not found", "errors", "reason", "notFound"));
		return;
	}
	if (strcmp(json_string_value(json_object_get(op, "status")), "PENDING") == 0) {
		json_object_set_new(op, "status", json_string("DONE"));
		json_object_set_new(op, "error", json_pack("{s:[{s:s, s:s}]}", "errors", "code",
							   "QUOTA_EXCEEDED", "message",
							   "Quota 'CPUS' exceeded.  Limit: 8.0"));
	}
	flow_reply(r, 200, json_incref(op));
}

static void instances(const struct stub_req *q, struct stub_resp *r, const char *rest)
{
	json_t *inst = json_object_get(cloud.instances, rest);

	if (strcmp(q->method, "POST") == 0 && (!*rest || *rest == '?')) {
		insert(q, r);
	} else if (strstr(rest, "/stop") || strstr(rest, "/start") || strstr(rest, "/reset")) {
		flow_reply(r, 200, new_op(rest, "DONE", NULL));
	} else if (inst && strcmp(q->method, "DELETE") != 0) {
		flow_reply(r, 200, json_incref(inst));
	} else if (strcmp(q->method, "DELETE") == 0 && strchr(rest, '?')) {
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(rest, "?"), rest);
		if (json_object_get(cloud.instances, name)) {
			json_object_del(cloud.instances, name);
			flow_reply(r, 200, new_op(name, "DONE", NULL));
		} else {
			operation("none", r);
		}
	} else {
		operation("none", r);	/* a 404 notFound */
	}
}

static void compute(const struct stub_req *q, struct stub_resp *r, const char *path)
{
	if (strcmp(path, "zones/z1") == 0) {
		flow_reply(r, 200, json_pack("{s:s}", "name", "z1"));
	} else if (strncmp(path, "global/firewalls", 16) == 0) {
		if (strcmp(q->method, "POST") == 0)
			cloud.firewall_posts++;
		if (strcmp(q->method, "POST") == 0 || cloud.firewall_posts)
			flow_reply(r, 200, new_op("fw", "DONE", NULL));
		else
			operation("none", r);
	} else if (strncmp(path, "global/images", 13) == 0) {
		flow_reply(r, 200, json_pack("{s:[{s:s, s:s, s:s}]}", "items", "name",
					     "debian-12-v1", "status", "READY", "selfLink",
					     "projects/" PROJECT "/global/images/debian-12-v1"));
	} else if (strncmp(path, "zones/z1/operations/", 20) == 0) {
		operation(path + 20, r);
	} else if (strncmp(path, "zones/z1/instances", 18) == 0) {
		instances(q, r, path[18] == '/' ? path + 19 : path + 18);
	} else {
		operation("none", r);
	}
}

/* ---- handler ------------------------------------------------------------- */

static void aggregated(struct stub_resp *r)
{
	json_t *list = json_array(), *inst;
	const char *name;

	json_object_foreach(cloud.instances, name, inst)
		json_array_append(list, inst);
	flow_reply(r, 200, json_pack("{s:{s:{s:o}}}", "items", "zones/z1", "instances", list));
}

static void handler(void *arg, const struct stub_req *q, struct stub_resp *r)
{
	const char *auth = stub_header(q, "Authorization");

	(void)arg;
	pthread_mutex_lock(&cloud.lock);
	if (strcmp(q->uri, "/token") == 0)
		token(q, r);
	else if (!auth || strncmp(auth, "Bearer ya29.", 12) != 0)
		flow_reply(r, 401, json_pack("{s:{s:i, s:s}}", "error", "code", 401, "message",
					     "Request had invalid authentication credentials."));
	else if (strncmp(q->uri, PFX "aggregated/instances", strlen(PFX) + 20) == 0)
		aggregated(r);
	else if (strncmp(q->uri, PFX, strlen(PFX)) == 0)
		compute(q, r, q->uri + strlen(PFX));
	else
		operation("none", r);
	pthread_mutex_unlock(&cloud.lock);
}

/* ---- fixtures ------------------------------------------------------------ */

static char *pem_of(EVP_PKEY *pk, bool private)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	if (private)
		PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
	else
		PEM_write_bio_PUBKEY(b, pk);
	n = BIO_get_mem_data(b, &data);
	out = strndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

static int suite_init(void)
{
	EVP_PKEY *pk = EVP_RSA_gen(2048), *other = EVP_RSA_gen(2048);
	char *pub = pem_of(pk, false);

	private_pem = pem_of(pk, true);
	other_pem = pem_of(other, true);
	jwt_key_load_pem(pub, strlen(pub), &cloud.pub);
	free(pub);
	EVP_PKEY_free(pk);
	EVP_PKEY_free(other);
	pthread_mutex_init(&cloud.lock, NULL);
	cloud.stub = stub_start(handler, NULL, NULL, NULL);
	if (!cloud.stub || !cloud.pub)
		return 1;
	snprintf(cloud.token_uri, sizeof(cloud.token_uri), "http://127.0.0.1:%d/token",
		 cloud.stub->port);
	return 0;
}

static int suite_clean(void)
{
	stub_stop(cloud.stub);
	jwt_key_free(cloud.pub);
	json_decref(cloud.instances);
	json_decref(cloud.requests);
	json_decref(cloud.ops);
	free(private_pem);
	free(other_pem);
	return 0;
}

static void reset(void)
{
	pthread_mutex_lock(&cloud.lock);
	json_decref(cloud.instances);
	json_decref(cloud.requests);
	json_decref(cloud.ops);
	cloud.instances = json_object();
	cloud.requests = json_object();
	cloud.ops = json_object();
	cloud.exchanges = cloud.bad_claims = cloud.inserts = cloud.firewall_posts = 0;
	pthread_mutex_unlock(&cloud.lock);
}

static void *connect_with(const char *pem)
{
	char base[128];

	snprintf(base, sizeof(base), "http://127.0.0.1:%d/compute/v1/", cloud.stub->port);
	return flow_connect(&baristafs_driver, "gc1",
			    json_pack("{s:s, s:s, s:s, s:s, s:[]}", "driver", "gcp", "endpoint", base,
				      "zone", "z1", "region", "r1", "image_projects"),
			    json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "type", "service_account",
				      "project_id", PROJECT, "private_key_id", "k1", "private_key",
				      pem, "client_email", EMAIL, "token_uri", cloud.token_uri));
}

/* ---- tests --------------------------------------------------------------- */

static void test_connect_bad_key(void)
{
	struct drv_config cfg = { .cloud = "x" };
	struct drv_error err = { 0 };
	json_t *spec = json_pack("{s:s}", "zone", "z1");
	json_t *cred = json_pack("{s:s, s:s, s:s}", "client_email", EMAIL, "project_id", PROJECT,
				 "private_key", "-----BEGIN PRIVATE KEY-----\nnope\n");
	void *conn = NULL;

	cfg.spec = spec;
	cfg.credential = cred;
	CU_ASSERT_EQUAL(baristafs_driver.connect(&cfg, &conn, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.code, "InvalidKey");
	json_object_del(spec, "zone");
	CU_ASSERT_EQUAL(baristafs_driver.connect(&cfg, &conn, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "'zone'"));
	json_object_set_new(spec, "zone", json_string("z1"));
	flow_no_credential(&baristafs_driver, &cfg);
	json_decref(spec);
	json_decref(cred);
}

static void test_token_exchange(void)
{
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(5000);
	void *conn;

	reset();
	conn = connect_with(private_pem);
	CU_ASSERT_EQUAL(cloud.exchanges, 0);
	CU_ASSERT_EQUAL(baristafs_driver.health(conn, &ctx, &err), 0);
	CU_ASSERT_EQUAL(baristafs_driver.health(conn, &ctx, &err), 0);
	CU_ASSERT_EQUAL(cloud.exchanges, 1);	/* cached */
	CU_ASSERT_EQUAL(cloud.bad_claims, 0);	/* iss, aud, scope, lifetime as Google wants */
	baristafs_driver.disconnect(conn);
}

static void test_wrong_key(void)
{
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(5000);
	void *conn;

	reset();
	conn = connect_with(other_pem);
	CU_ASSERT_EQUAL(baristafs_driver.health(conn, &ctx, &err), -EACCES);
	CU_ASSERT_STRING_EQUAL(err.code, "invalid_grant");
	CU_ASSERT_STRING_EQUAL(err.message, "Invalid JWT Signature.");
	baristafs_driver.disconnect(conn);
}

static const struct drv_kv tags[] = {
	{ DRV_TAG_ID, "g1/Web.1" }, { DRV_TAG_GROUP, "g1" },
	{ DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE },
};

static void test_create_request_id(void)
{
	struct drv_vm_req req = { .name = "web-1", .client_token = "tok-1", .spec = "e2-small",
				  .image = "debian-12-v1", .tags = tags, .ntags = 3,
				  .user_data = "#cloud-config\n" };
	struct drv_kv filter = { DRV_TAG_ID, "g1/Web.1" }, other = { DRV_TAG_ID, "g1/web_1" };
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(5000);
	struct drv_vm vm, again;
	void *conn;
	int n = 0;

	reset();
	conn = connect_with(private_pem);
	CU_ASSERT_EQUAL_FATAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "z1/web-1");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);
	/* The retry sends the same requestId: the cloud answers the same operation. */
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &again, &err), 0);
	CU_ASSERT_EQUAL(cloud.inserts, 2);
	CU_ASSERT_EQUAL(json_object_size(cloud.instances), 1);
	CU_ASSERT_EQUAL(cloud.firewall_posts, 1);
	CU_ASSERT_EQUAL(baristafs_driver.get_vm(conn, &ctx, "z1/web-1", &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "g1/Web.1");
	CU_ASSERT_STRING_EQUAL(vm.client_token, "tok-1");
	CU_ASSERT_STRING_EQUAL(vm.image, "debian-12-v1");
	CU_ASSERT_EQUAL(baristafs_driver.list_vms(conn, &ctx, &filter, flow_count_vm, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	/* Same label value once sanitized, but not the same exact id: not a match. */
	CU_ASSERT_EQUAL(baristafs_driver.list_vms(conn, &ctx, &other, flow_count_vm, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(baristafs_driver.control_vm(conn, &ctx, "z1/web-1", DRV_ACT_SUSPEND, &err),
			0);
	CU_ASSERT_EQUAL(baristafs_driver.delete_vm(conn, &ctx, "z1/web-1", &err), 0);
	CU_ASSERT_EQUAL(baristafs_driver.delete_vm(conn, &ctx, "z1/web-1", &err), 0);	/* gone */
	CU_ASSERT_EQUAL(baristafs_driver.get_vm(conn, &ctx, "z1/web-1", &vm, &err), -ENOENT);
	CU_ASSERT_EQUAL(baristafs_driver.get_vm(conn, &ctx, "no-zone", &vm, &err), -EINVAL);
	baristafs_driver.disconnect(conn);
}

static void test_quota_in_operation(void)
{
	struct drv_vm_req req = { .name = "quota-1", .client_token = "tok-q", .spec = "e2-small",
				  .image = "projects/" PROJECT "/global/images/debian-12-v1",
				  .tags = tags, .ntags = 3 };
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(5000);
	struct drv_vm vm;
	void *conn;

	reset();
	conn = connect_with(private_pem);
	/* Accepted (the operation is PENDING) ... */
	CU_ASSERT_EQUAL_FATAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);
	/* ... then the operation fails and the VM never appears: Failed, with GCE's reason. */
	CU_ASSERT_EQUAL(baristafs_driver.get_vm(conn, &ctx, "z1/quota-1", &vm, &err), 0);
	CU_ASSERT_EQUAL(vm.status, DRV_VM_FAILED);
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "QUOTA_EXCEEDED");
	CU_ASSERT_PTR_NOT_NULL(strstr(vm.reason, "Quota 'CPUS' exceeded"));
	/* A retry with the same token gets the failed operation back: the quota error. */
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), -EDQUOT);
	CU_ASSERT_STRING_EQUAL(err.code, "QUOTA_EXCEEDED");
	req.image = "no-such-image";
	req.client_token = "tok-r";
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.code, "UnknownImage");
	baristafs_driver.disconnect(conn);
}

static const struct cu_test tests[] = {
	{ "connect_bad_key", test_connect_bad_key },
	{ "token_exchange", test_token_exchange },
	{ "wrong_key", test_wrong_key },
	{ "create_request_id", test_create_request_id },
	{ "quota_in_operation", test_quota_in_operation },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "gcp_flow", suite_init, suite_clean, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
