/*
 * azure_flow_test.c - the Azure driver's own code paths through its
 * operations table, against AAD and ARM played by a stub server
 * (tests/unit/drvstub.h): the client-credentials token and its caching, a
 * refused secret, the PUTs a VM needs and the async operations they start
 * (Azure-AsyncOperation polled until it ends, a failed one mapped),
 * idempotent create by name and token, the four-listing list_vms,
 * nextLink loops, delete with what it leaves behind, and the deadline.
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <jansson.h>

#include "drivers/azure/azure.h"
#include "drivers/common/params.h"
#include "lib/clock.h"
#include "tests/unit/cu.h"
#include "tests/unit/drvflow.h"
#include "tests/unit/drvstub.h"

extern const struct drv_ops baristafs_driver;

#define TENANT "72f988bf-0000-0000-0000-000000000000"
#define SUBID "00000000-0000-0000-0000-000000000001"
#define SECRET "app-client-secret-value"
#define RGP "/subscriptions/" SUBID "/resourceGroups/rg1/providers/"

/* The cloud the stub plays; guarded by lock. */
struct cloud {
	pthread_mutex_t lock;
	struct stub *stub;
	int tokens;		/* token requests */
	int puts;		/* PUTs of anything */
	int vm_puts;
	int deletes;
	int polls;		/* async operation GETs */
	int list_gets;		/* listings of VMs, statuses, NICs, IPs */
	bool async;		/* answer PUTs 201 + Azure-AsyncOperation */
	const char *op_result;	/* what a polled operation ends as */
	bool loop_pages;	/* the VM listing's nextLink points at itself */
	int fail_vm_puts;	/* answer this many VM PUTs with a 500 */
	bool quota;		/* answer VM PUTs with 409 QuotaExceeded */
	int fail_polls;		/* answer this many operation polls with a 503 */
	char password[80];	/* the last VM PUT's adminPassword */
	int password_changes;	/* VM PUTs whose password differed from the one before */
	json_t *res;		/* lower-case path -> resource */
};

static struct cloud cloud;

static void not_found(struct stub_resp *r)
{
	flow_reply(r, 404, json_pack("{s:{s:s, s:s}}", "error", "code", "ResourceNotFound",
				     "message", "The Resource was not found."));
}

static void token(const struct stub_req *q, struct stub_resp *r)
{
	struct params p = PARAMS_INIT;
	const char *secret;

	params_parse(&p, q->body, q->body_len, true);
	secret = params_get(&p, "client_secret");
	cloud.tokens++;
	if (!secret || strcmp(secret, SECRET) != 0 || !params_get(&p, "scope"))
		flow_reply(r, 401, json_pack("{s:s, s:s, s:[i]}", "error", "invalid_client",
					     "error_description",
					     "AADSTS7000215: Invalid client secret provided.",
					     "error_codes", 7000215));
	else
		flow_reply(r, 200, json_pack("{s:s, s:i, s:s}", "token_type", "Bearer",
					     "expires_in", 3599, "access_token", "eyJ0.arm"));
	params_release(&p);
}

/* The path without its query, lower case: the key of a resource. */
static void res_key(const char *uri, char *key, size_t size)
{
	size_t n = 0;

	for (; uri[n] && uri[n] != '?' && n + 1 < size; n++)
		key[n] = (char)tolower((unsigned char)uri[n]);
	key[n] = '\0';
}

static void put(const struct stub_req *q, struct stub_resp *r, const char *key)
{
	json_t *body = json_loads(q->body, 0, NULL);
	const char *name = strrchr(key, '/') + 1;

	const char *pw = json_string_value(json_object_get(json_object_get(json_object_get(body,
		"properties"), "osProfile"), "adminPassword"));

	cloud.puts++;
	cloud.vm_puts += strstr(key, "/virtualmachines/") != NULL;
	if (strstr(key, "/virtualmachines/") && cloud.quota) {
		json_decref(body);
		flow_reply(r, 409, json_pack("{s:{s:s, s:s}}", "error", "code", "QuotaExceeded",
					     "message", "Operation results in exceeding quota limits of "
					     "Core. Maximum allowed: 2."));
		return;
	}
	if (strstr(key, "/resourcegroups/rg1/") && !json_object_get(cloud.res,
	    "/subscriptions/" SUBID "/resourcegroups/rg1")) {
		json_decref(body);
		flow_reply(r, 404, json_pack("{s:{s:s, s:s}}", "error", "code",
					     "ResourceGroupNotFound", "message",
					     "Resource group 'rg1' could not be found."));
		return;
	}
	if (strstr(key, "/virtualmachines/") && cloud.fail_vm_puts > 0) {
		cloud.fail_vm_puts--;
		json_decref(body);
		flow_reply(r, 500, json_pack("{s:{s:s, s:s}}", "error", "code", "InternalServerError",
					     "message", "try again"));
		return;
	}
	if (pw && cloud.password[0] && strcmp(pw, cloud.password) != 0)
		cloud.password_changes++;
	if (pw)
		snprintf(cloud.password, sizeof(cloud.password), "%s", pw);
	json_object_set_new(body, "id", json_string(key));
	json_object_set_new(body, "name", json_string(name));
	if (!json_object_get(body, "properties"))
		json_object_set_new(body, "properties", json_object());
	json_object_set_new(json_object_get(body, "properties"), "provisioningState",
			    json_string(strstr(key, "/virtualmachines/") ? "Creating" : "Succeeded"));
	if (strstr(key, "/publicipaddresses/"))	/* what ARM assigns */
		json_object_set_new(json_object_get(body, "properties"), "ipAddress",
				    json_string("203.0.113.10"));
	if (strstr(key, "/networkinterfaces/"))
		json_object_set_new(json_object_get(json_array_get(json_object_get(json_object_get(
			body, "properties"), "ipConfigurations"), 0), "properties"),
			"privateIPAddress", json_string("10.78.0.4"));
	json_object_set(cloud.res, key, body);
	if (cloud.async && !strstr(key, "/virtualmachines/")) {
		static char op[160];

		snprintf(op, sizeof(op), "http://127.0.0.1:%d/ops/1?api-version=x", cloud.stub->port);
		r->headers[0][0] = "Azure-AsyncOperation";
		r->headers[0][1] = op;
		r->headers[1][0] = "Retry-After";
		r->headers[1][1] = "1";
	}
	flow_reply(r, 201, body);
}

/* A VM as GET ?$expand=instanceView answers it. */
static json_t *vm_view(json_t *vm)
{
	json_t *v = json_deep_copy(vm);

	json_object_set_new(json_object_get(v, "properties"), "provisioningState",
			    json_string("Succeeded"));
	json_object_set_new(json_object_get(v, "properties"), "instanceView",
			    json_pack("{s:[{s:s}, {s:s}]}", "statuses", "code",
				      "ProvisioningState/succeeded", "code", "PowerState/running"));
	return v;
}

static void list(struct stub_resp *r, const char *uri, const char *type, bool status)
{
	json_t *value = json_array(), *v;
	const char *key;
	char next[256];

	cloud.list_gets++;
	json_object_foreach(cloud.res, key, v) {
		if (strstr(key, type))
			json_array_append_new(value, status ? vm_view(v) : json_incref(v));
	}
	if (cloud.loop_pages && !status && strstr(type, "virtualmachines")) {
		snprintf(next, sizeof(next), "http://127.0.0.1:%d%s", cloud.stub->port, uri);
		flow_reply(r, 200, json_pack("{s:o, s:s}", "value", value, "nextLink", next));
	} else {
		flow_reply(r, 200, json_pack("{s:o}", "value", value));
	}
}

static void get(struct stub_resp *r, const char *uri, const char *key)
{
	json_t *v = json_object_get(cloud.res, key);

	if (strcmp(key, "/subscriptions") == 0)
		flow_reply(r, 200, json_pack("{s:[{s:s}]}", "value", "subscriptionId", SUBID));
	else if (strstr(key, "/vmsizes"))
		flow_reply(r, 200, json_pack("{s:[{s:s, s:i, s:i}]}", "value", "name", "Standard_B1s",
					     "numberOfCores", 1, "memoryInMB", 1024));
	else if (strstr(uri, "statusOnly=true"))
		list(r, uri, "/virtualmachines/", true);
	else if (strstr(key, "/providers/microsoft.compute/virtualmachines") &&
		 !strstr(key, "/virtualmachines/"))
		list(r, uri, "/virtualmachines/", false);
	else if (strstr(key, "networkinterfaces") && !strstr(key, "networkinterfaces/"))
		list(r, uri, "/networkinterfaces/", false);
	else if (strstr(key, "publicipaddresses") && !strstr(key, "publicipaddresses/"))
		list(r, uri, "/publicipaddresses/", false);
	else if (!v)
		not_found(r);
	else if (strstr(key, "/virtualmachines/"))
		flow_reply(r, 200, vm_view(v));
	else
		flow_reply(r, 200, json_incref(v));
}

static void handler(void *arg, const struct stub_req *q, struct stub_resp *r)
{
	const char *auth = stub_header(q, "Authorization");
	char key[512];

	(void)arg;
	res_key(q->uri, key, sizeof(key));
	pthread_mutex_lock(&cloud.lock);
	if (strcmp(q->uri, "/" TENANT "/oauth2/v2.0/token") == 0) {
		token(q, r);
	} else if (!auth || strcmp(auth, "Bearer eyJ0.arm") != 0) {
		flow_reply(r, 401, json_pack("{s:{s:s, s:s}}", "error", "code",
					     "InvalidAuthenticationToken", "message", "bad token"));
	} else if (strncmp(q->uri, "/ops/", 5) == 0 && cloud.fail_polls > 0) {
		cloud.fail_polls--;
		flow_reply(r, 503, json_pack("{s:{s:s, s:s}}", "error", "code", "ServiceUnavailable",
					     "message", "busy"));
	} else if (strncmp(q->uri, "/ops/", 5) == 0) {
		cloud.polls++;
		flow_reply(r, 200, json_pack("{s:s, s:{s:s, s:s}}", "status",
					     cloud.polls < 2 ? "InProgress" : cloud.op_result,
					     "error", "code", "AllocationFailed", "message",
					     "Allocation failed."));
	} else if (strcmp(q->method, "PUT") == 0) {
		put(q, r, key);
	} else if (strcmp(q->method, "DELETE") == 0) {
		cloud.deletes++;
		r->status = json_object_del(cloud.res, key) == 0 ? 200 : 204;
	} else if (strcmp(q->method, "POST") == 0) {
		r->status = 202;
	} else {
		get(r, q->uri, key);
	}
	pthread_mutex_unlock(&cloud.lock);
}

/* ---- fixtures ------------------------------------------------------------ */

static int suite_init(void)
{
	pthread_mutex_init(&cloud.lock, NULL);
	cloud.stub = stub_start(handler, NULL, NULL, NULL);
	return cloud.stub ? 0 : 1;
}

static int suite_clean(void)
{
	stub_stop(cloud.stub);
	json_decref(cloud.res);
	return 0;
}

static void reset(void)
{
	pthread_mutex_lock(&cloud.lock);
	json_decref(cloud.res);
	cloud.res = json_object();
	cloud.tokens = cloud.puts = cloud.vm_puts = cloud.deletes = cloud.polls = 0;
	cloud.list_gets = cloud.fail_vm_puts = cloud.fail_polls = cloud.password_changes = 0;
	cloud.password[0] = '\0';
	cloud.async = cloud.loop_pages = cloud.quota = false;
	cloud.op_result = "Succeeded";
	pthread_mutex_unlock(&cloud.lock);
}

static void *connect_with(const char *secret)
{
	char base[128];

	snprintf(base, sizeof(base), "http://127.0.0.1:%d/", cloud.stub->port);
	return flow_connect(&baristafs_driver, "az1",
			    json_pack("{s:s, s:s, s:s, s:s}", "driver", "azure", "region", "eastus",
				      "endpoint", base, "auth_endpoint", base),
			    json_pack("{s:s, s:s, s:s, s:s, s:s}", "tenant_id", TENANT, "client_id",
				      "app", "client_secret", secret, "subscription_id", SUBID,
				      "resource_group", "rg1"));
}

static const struct drv_kv tags[] = {
	{ DRV_TAG_ID, "g1/web-1" }, { DRV_TAG_GROUP, "g1" },
	{ DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE },
};

/* ---- tests --------------------------------------------------------------- */

static void test_connect_missing_keys(void)
{
	struct drv_config cfg = { .cloud = "x" };
	struct drv_error err = { 0 };
	json_t *spec = json_pack("{s:s}", "region", "eastus");
	json_t *cred = json_pack("{s:s}", "tenant_id", TENANT);
	void *conn = NULL;

	cfg.spec = spec;
	cfg.credential = cred;
	CU_ASSERT_EQUAL(baristafs_driver.connect(&cfg, &conn, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "'client_id'"));
	flow_no_credential(&baristafs_driver, &cfg);
	json_decref(spec);
	json_decref(cred);
}

static void test_health_and_secret(void)
{
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(5000);
	void *conn;

	reset();
	conn = connect_with(SECRET);
	CU_ASSERT_EQUAL(baristafs_driver.health(conn, &ctx, &err), 0);
	CU_ASSERT_EQUAL(baristafs_driver.health(conn, &ctx, &err), 0);
	CU_ASSERT_EQUAL(cloud.tokens, 1);
	baristafs_driver.disconnect(conn);

	conn = connect_with("not-the-secret-at-all");
	CU_ASSERT_EQUAL(baristafs_driver.health(conn, &ctx, &err), -EACCES);
	CU_ASSERT_STRING_EQUAL(err.code, "invalid_client");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "AADSTS7000215"));
	CU_ASSERT_PTR_NULL(strstr(err.message, "not-the-secret"));
	baristafs_driver.disconnect(conn);
}

static void test_create_list_delete(void)
{
	struct drv_vm_req req = { .name = "web-1", .client_token = "tok-1", .spec = "standard_b1s",
				  .image = "ubuntu-22.04", .tags = tags, .ntags = 3,
				  .user_data = "#cloud-config\n" };
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(10000);
	struct drv_vm vm;
	void *conn;
	int n = 0;

	reset();
	conn = connect_with(SECRET);
	CU_ASSERT_EQUAL_FATAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "web-1");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);
	/* Resource group, NSG, VNet, then the VM's public IP, NIC and itself. */
	CU_ASSERT_EQUAL(cloud.puts, 6);
	/* A retry PUTs the very same body again: ARM's PUT by name keeps one VM. */
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "web-1");
	CU_ASSERT_EQUAL(cloud.vm_puts, 2);
	CU_ASSERT_EQUAL(cloud.password_changes, 0);	/* no SSH key: a derived password */
	CU_ASSERT_STRING_NOT_EQUAL(cloud.password, "");
	CU_ASSERT_PTR_NULL(strstr(cloud.password, SECRET));

	cloud.list_gets = 0;
	CU_ASSERT_EQUAL(baristafs_driver.list_vms(conn, &ctx, NULL, flow_count_vm, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(cloud.list_gets, 4);	/* VMs, statuses, NICs, IPs: no read per VM */
	cloud.list_gets = n = 0;
	CU_ASSERT_EQUAL(baristafs_driver.list_vms(conn, &ctx, NULL, flow_count_vm, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(cloud.list_gets, 2);	/* addresses known: VMs and statuses only */
	CU_ASSERT_EQUAL(baristafs_driver.get_vm(conn, &ctx, "web-1", &vm, &err), 0);
	CU_ASSERT_EQUAL(vm.status, DRV_VM_RUNNING);
	CU_ASSERT_STRING_EQUAL(vm.private_ip, "10.78.0.4");
	CU_ASSERT_STRING_EQUAL(vm.public_ip, "203.0.113.10");
	CU_ASSERT_STRING_EQUAL(vm.client_token, "tok-1");
	CU_ASSERT_STRING_EQUAL(vm.image, "ubuntu-22.04");

	CU_ASSERT_EQUAL(baristafs_driver.control_vm(conn, &ctx, "web-1", DRV_ACT_SUSPEND, &err), 0);
	CU_ASSERT_EQUAL(baristafs_driver.delete_vm(conn, &ctx, "web-1", &err), 0);
	CU_ASSERT_EQUAL(cloud.deletes, 4);	/* the VM, its NIC, public IP and OS disk */
	CU_ASSERT_EQUAL(baristafs_driver.get_vm(conn, &ctx, "web-1", &vm, &err), -ENOENT);
	CU_ASSERT_EQUAL(baristafs_driver.get_vm(conn, &ctx, "Bad_Name", &vm, &err), -EINVAL);
	baristafs_driver.disconnect(conn);
}

static void test_create_resumes(void)
{
	struct drv_vm_req req = { .name = "app-1", .client_token = "tok-r", .spec = "standard_b1s",
				  .image = "debian-12", .tags = tags, .ntags = 3 };
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(10000);
	struct drv_vm vm;
	void *conn;

	reset();
	cloud.fail_vm_puts = 3;	/* as many as one call tries a PUT */
	conn = connect_with(SECRET);
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), -EIO);
	CU_ASSERT_TRUE(err.retryable);
	/* group, NSG, VNet, IP, NIC, and the VM refused three times */
	CU_ASSERT_EQUAL(cloud.puts, 8);
	CU_ASSERT_EQUAL(cloud.vm_puts, 3);
	/* The engine's retry starts at the VM's PUT: its IP and NIC are there already. */
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_EQUAL(cloud.puts, 9);
	CU_ASSERT_EQUAL(cloud.vm_puts, 4);
	/* One 500 on an idempotent PUT is retried inside the call, as the SDKs do. */
	req.name = "app-2";
	req.client_token = "tok-r2";
	cloud.fail_vm_puts = 1;
	memset(&err, 0, sizeof(err));
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_EQUAL(cloud.vm_puts, 6);
	baristafs_driver.disconnect(conn);
}

static void test_refused_and_lost(void)
{
	struct drv_vm_req req = { .name = "q-1", .client_token = "tok-q", .spec = "standard_b1s",
				  .image = "debian-12", .tags = tags, .ntags = 3 };
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(10000);
	struct drv_vm vm;
	void *conn;

	reset();
	cloud.quota = true;
	conn = connect_with(SECRET);
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), -EDQUOT);
	CU_ASSERT_STRING_EQUAL(err.code, "QuotaExceeded");
	/* Refused for good: the public IP and NIC made for it are deleted (and its disk tried). */
	CU_ASSERT_EQUAL(cloud.deletes, 3);
	CU_ASSERT_EQUAL(json_object_size(cloud.res), 3);	/* group, NSG, VNet */

	/* The resource group deleted behind our back: refused once, made again, created. */
	cloud.quota = false;
	json_object_clear(cloud.res);
	req.client_token = "tok-r";
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err.code, "ResourceGroupNotFound");
	CU_ASSERT_TRUE(err.retryable);
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_EQUAL(json_object_size(cloud.res), 6);
	baristafs_driver.disconnect(conn);
}

static void test_async_operations(void)
{
	struct drv_vm_req req = { .name = "db-1", .client_token = "t", .spec = "standard_b1s",
				  .image = "Debian:debian-12:12-gen2:latest", .tags = tags,
				  .ntags = 3 };
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(20000);
	struct drv_vm vm;
	void *conn;

	reset();
	cloud.async = true;
	conn = connect_with(SECRET);
	/* Each PUT answers 201 with an operation that runs once, then succeeds; a poll
	 * answered 503 on the way tells nothing and is polled again. */
	cloud.fail_polls = 1;
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), 0);
	CU_ASSERT(cloud.polls >= 2);
	CU_ASSERT_EQUAL(cloud.fail_polls, 0);
	baristafs_driver.disconnect(conn);

	reset();
	cloud.async = true;
	cloud.op_result = "Failed";
	conn = connect_with(SECRET);
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), -EIO);
	CU_ASSERT_STRING_EQUAL(err.code, "AllocationFailed");
	CU_ASSERT_STRING_EQUAL(err.message, "Allocation failed.");
	baristafs_driver.disconnect(conn);

	/* A deadline shorter than Retry-After: -ETIMEDOUT, retryable, and no sleep past it. */
	reset();
	cloud.async = true;
	conn = connect_with(SECRET);
	ctx = flow_ctx(300);
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), -ETIMEDOUT);
	CU_ASSERT_TRUE(err.retryable);
	CU_ASSERT(clock_mono_ms() <= ctx.deadline_ms + 50);
	baristafs_driver.disconnect(conn);
}

static void test_paging_loop(void)
{
	struct drv_vm_req req = { .name = "web-2", .client_token = "t2", .spec = "standard_b1s",
				  .image = "ubuntu-22.04", .tags = tags, .ntags = 3 };
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(10000);
	struct drv_vm vm;
	void *conn;
	int n = 0;

	reset();
	conn = connect_with(SECRET);
	CU_ASSERT_EQUAL_FATAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), 0);
	cloud.loop_pages = true;
	CU_ASSERT_EQUAL(baristafs_driver.list_vms(conn, &ctx, NULL, flow_count_vm, &n, &err), 0);
	/* The first page, its repeat once (the same VM, counted once), then the loop ends. */
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(cloud.list_gets, 2 + 3);
	baristafs_driver.disconnect(conn);
}

static const struct cu_test tests[] = {
	{ "connect_missing_keys", test_connect_missing_keys },
	{ "health_and_secret", test_health_and_secret },
	{ "create_list_delete", test_create_list_delete },
	{ "create_resumes", test_create_resumes },
	{ "refused_and_lost", test_refused_and_lost },
	{ "async_operations", test_async_operations },
	{ "paging_loop", test_paging_loop },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "azure_flow", suite_init, suite_clean, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
