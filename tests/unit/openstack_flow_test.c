/*
 * openstack_flow_test.c - the OpenStack driver's own code paths through its
 * operations table, against a small Keystone + Nova + Glance + Neutron
 * played by a stub server (tests/unit/drvstub.h): token caching, re-auth on
 * 401, one token request for many concurrent callers, wrong credentials,
 * the connection's one-time network set-up, idempotent create by token,
 * a 409 on an action already done, and Glance's looping next link.
 */
#include <errno.h>
#include <pthread.h>
#include <jansson.h>

#include "drivers/openstack/openstack.h"
#include "lib/clock.h"
#include "tests/unit/cu.h"
#include "tests/unit/drvflow.h"
#include "tests/unit/drvstub.h"

extern const struct drv_ops baristafs_driver;

#define PASSWORD "s3cret-pa55word"

static const char *const tokens[] = { "tok-0", "tok-1", "tok-2", "tok-3", "tok-4", "tok-5",
				      "tok-6", "tok-7", "tok-8", "tok-9" };

/* The cloud the stub plays.  Every field is guarded by lock. */
struct cloud {
	pthread_mutex_t lock;
	struct stub *stub;
	int gen;		/* tokens[gen] is the last token issued */
	bool valid;		/* ... and it is still valid */
	bool revoke;		/* the next service call finds its token revoked */
	int auths;		/* token requests */
	int posts[5];		/* servers, networks, subnets, security groups, rules */
	int image_gets;
	bool sg_gone;		/* the next create finds our security group deleted */
	json_t *servers;
};

static struct cloud cloud;
static json_t *catalog_entry(const char *type, const char *path)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", cloud.stub->port, path);
	return json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "type", type, "endpoints", "interface",
			 "public", "region_id", "RegionOne", "url", url);
}

static void keystone(const struct stub_req *q, struct stub_resp *r)
{
	json_t *body = json_loads(q->body, 0, NULL);
	const char *pw = NULL;

	json_unpack(body, "{s:{s:{s:{s:{s:s}}}}}", "auth", "identity", "password", "user",
		    "password", &pw);
	cloud.auths++;
	if (!pw || strcmp(pw, PASSWORD) != 0) {
		flow_reply(r, 401, json_pack("{s:{s:i, s:s, s:s}}", "error", "code", 401, "title",
					     "Unauthorized", "message",
					     "The request you have made requires authentication."));
	} else {
		cloud.gen = (cloud.gen + 1) % 10;
		cloud.valid = true;
		r->headers[0][0] = "X-Subject-Token";
		r->headers[0][1] = tokens[cloud.gen];
		flow_reply(r, 201, json_pack("{s:{s:s, s:{s:s}, s:[o, o, o]}}", "token",
					     "expires_at", "2099-01-01T00:00:00.000000Z",
					     "project", "id", "p1", "catalog",
					     catalog_entry("compute", "/compute/v2.1"),
					     catalog_entry("image", "/image"),
					     catalog_entry("network", "/network/")));
	}
	json_decref(body);
}

static json_t *find_server(const char *id)
{
	json_t *s;
	size_t i;

	json_array_foreach(cloud.servers, i, s) {
		if (strcmp(json_string_value(json_object_get(s, "id")), id) == 0)
			return s;
	}
	return NULL;
}

static void nova_create(const struct stub_req *q, struct stub_resp *r)
{
	json_t *body = json_loads(q->body, 0, NULL), *srv = json_object_get(body, "server");
	char id[32];

	if (cloud.sg_gone) {
		cloud.sg_gone = false;
		flow_reply(r, 400, json_pack("{s:{s:i, s:s}}", "badRequest", "code", 400, "message",
					     "Security group baristafs-os1 not found for project p1."));
		json_decref(body);
		return;
	}
	snprintf(id, sizeof(id), "srv-%d", ++cloud.posts[0]);
	json_array_append_new(cloud.servers,
			      json_pack("{s:s, s:O, s:s, s:O, s:{s:s}}", "id", id, "name",
					json_object_get(srv, "name"), "status", "BUILD", "metadata",
					json_object_get(srv, "metadata"), "flavor", "id", "f1"));
	flow_reply(r, 202, json_pack("{s:{s:s}}", "server", "id", id));
	json_decref(body);
}

static void nova(const struct stub_req *q, struct stub_resp *r, const char *path)
{
	json_t *s;

	if (strncmp(path, "/flavors", 8) == 0) {
		flow_reply(r, 200, json_pack("{s:[{s:s, s:s, s:i, s:i}]}", "flavors", "id", "f1",
					     "name", "m1.small", "vcpus", 1, "ram", 2048));
	} else if (strncmp(path, "/servers/detail", 15) == 0) {
		flow_reply(r, 200, json_pack("{s:O}", "servers", cloud.servers));
	} else if (strcmp(q->method, "POST") == 0 && strcmp(path, "/servers") == 0) {
		nova_create(q, r);
	} else if (strcmp(q->method, "POST") == 0 && strcmp(path, "/os-keypairs") == 0) {
		flow_reply(r, 200, json_pack("{s:{s:s}}", "keypair", "name", "k"));
	} else if (strncmp(path, "/servers/", 9) == 0 && strstr(path, "/action")) {
		s = find_server("srv-1");
		if (strstr(q->body, "os-stop") && s &&
		    strcmp(json_string_value(json_object_get(s, "status")), "SHUTOFF") == 0)
			flow_reply(r, 409, json_pack("{s:{s:i, s:s}}", "conflict", "code", 409,
						     "message", "Cannot 'os-stop' instance while it "
						     "is in vm_state stopped"));
		else
			r->status = 202;
	} else if (strncmp(path, "/servers/", 9) == 0) {
		s = find_server(path + 9);
		if (strcmp(q->method, "DELETE") == 0)
			r->status = s ? 204 : 404;
		if (strcmp(q->method, "GET") == 0 && s)
			flow_reply(r, 200, json_pack("{s:O}", "server", s));
		else if (!s)
			flow_reply(r, 404, json_pack("{s:{s:i, s:s}}", "itemNotFound", "code", 404,
						     "message", "Instance could not be found."));
	} else {
		r->status = 404;
	}
}

static void glance(struct stub_resp *r, const char *path)
{
	cloud.image_gets++;
	/* Page 2 points at itself again: the driver must stop, not loop. */
	flow_reply(r, 200, json_pack("{s:[{s:s, s:s, s:s}], s:s}", "images", "id",
				     strstr(path, "marker=") ? "i2" : "i1", "name",
				     strstr(path, "marker=") ? "Debian 12" : "Ubuntu 22.04", "status",
				     "active", "next", "/v2/images?marker=i1"));
}

static void neutron(const struct stub_req *q, struct stub_resp *r, const char *path)
{
	static const struct {
		const char *path, *one, *many;
	} kinds[] = {	/* posts[1 + k] counts each kind's creations */
		{ "networks", "network", "networks" },
		{ "subnets", "subnet", "subnets" },
		{ "security-groups", "security_group", "security_groups" },
		{ "security-group-rules", "security_group_rule", "security_group_rules" },
	};

	for (size_t k = 0; k < ARRAY_SIZE(kinds); k++) {
		size_t n = strlen(kinds[k].path);

		if (strncmp(path, kinds[k].path, n) != 0 || (path[n] && path[n] != '?'))
			continue;
		if (strcmp(q->method, "POST") == 0) {
			cloud.posts[1 + k]++;
			flow_reply(r, 201, json_pack("{s:{s:s}}", kinds[k].one, "id", "n-1"));
		} else {
			flow_reply(r, 200, json_pack("{s:[]}", kinds[k].many));
		}
		return;
	}
	r->status = 404;
}

static void handler(void *arg, const struct stub_req *q, struct stub_resp *r)
{
	const char *token = stub_header(q, "X-Auth-Token");

	(void)arg;
	pthread_mutex_lock(&cloud.lock);
	if (strcmp(q->uri, "/identity/v3/auth/tokens") == 0) {
		keystone(q, r);
	} else if (cloud.revoke || !cloud.valid || !token || strcmp(token, tokens[cloud.gen])) {
		cloud.revoke = false;
		cloud.valid = false;	/* no token works until the next auth */
		flow_reply(r, 401, json_pack("{s:{s:i, s:s, s:s}}", "error", "code", 401, "title",
					     "Unauthorized", "message", "token expired"));
	} else if (strncmp(q->uri, "/compute/v2.1", 13) == 0) {
		nova(q, r, q->uri + 13);
	} else if (strncmp(q->uri, "/image/v2/images", 16) == 0) {
		glance(r, q->uri);
	} else if (strncmp(q->uri, "/network/v2.0/", 14) == 0) {
		neutron(q, r, q->uri + 14);
	} else {
		r->status = 404;
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
	json_decref(cloud.servers);
	return 0;
}

static void reset(void)
{
	pthread_mutex_lock(&cloud.lock);
	json_decref(cloud.servers);
	cloud.servers = json_array();
	cloud.gen = cloud.auths = cloud.image_gets = 0;
	memset(cloud.posts, 0, sizeof(cloud.posts));
	cloud.revoke = cloud.valid = cloud.sg_gone = false;
	pthread_mutex_unlock(&cloud.lock);
}

static int get_auths(void)
{
	int n;

	pthread_mutex_lock(&cloud.lock);
	n = cloud.auths;
	pthread_mutex_unlock(&cloud.lock);
	return n;
}

static void *connect_to(const char *password)
{
	char url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/identity/v3", cloud.stub->port);
	return flow_connect(&baristafs_driver, "os1",
			    json_pack("{s:s, s:s, s:s}", "driver", "openstack", "endpoint", url,
				      "region", "RegionOne"),
			    json_pack("{s:s, s:s, s:s}", "username", "demo", "password", password,
				      "project", "demo"));
}

/* ---- tests --------------------------------------------------------------- */

static void test_table(void)
{
	CU_ASSERT_EQUAL(baristafs_driver.abi_version, DRV_ABI_VERSION);
	CU_ASSERT_EQUAL(baristafs_driver.size, sizeof(struct drv_ops));
	CU_ASSERT_STRING_EQUAL(baristafs_driver.name, "openstack");
	CU_ASSERT_PTR_NOT_NULL(baristafs_driver.create_vm);
	CU_ASSERT_PTR_NOT_NULL(baristafs_driver.cleanup);
}

static void test_connect_bad_config(void)
{
	struct drv_config cfg = { .cloud = "x" };
	struct drv_error err = { 0 };
	json_t *spec = json_pack("{s:s}", "driver", "openstack");
	json_t *cred = json_pack("{s:s}", "username", "u");
	void *conn = NULL;

	cfg.spec = spec;
	cfg.credential = cred;
	CU_ASSERT_EQUAL(baristafs_driver.connect(&cfg, &conn, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "endpoint"));
	json_object_set_new(spec, "endpoint", json_string("http://127.0.0.1:1/v3"));
	CU_ASSERT_EQUAL(baristafs_driver.connect(&cfg, &conn, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.code, "MissingCredential");
	flow_no_credential(&baristafs_driver, &cfg);
	json_decref(spec);
	json_decref(cred);
}

static void test_wrong_password(void)
{
	void *conn;
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(5000);

	reset();
	conn = connect_to("wrong-password-here");
	CU_ASSERT_EQUAL(baristafs_driver.health(conn, &ctx, &err), -EACCES);
	CU_ASSERT_STRING_EQUAL(err.code, "Unauthorized");
	CU_ASSERT_EQUAL(err.http_status, 401);
	CU_ASSERT_FALSE(err.retryable);
	CU_ASSERT_PTR_NULL(strstr(err.message, "wrong-password-here"));
	baristafs_driver.disconnect(conn);
}

static void test_token_cached_and_reauth(void)
{
	void *conn;
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(5000);

	reset();
	conn = connect_to(PASSWORD);
	CU_ASSERT_EQUAL(get_auths(), 0);	/* connect makes no call */
	CU_ASSERT_EQUAL(baristafs_driver.health(conn, &ctx, &err), 0);
	CU_ASSERT_EQUAL(baristafs_driver.health(conn, &ctx, &err), 0);
	CU_ASSERT_EQUAL(get_auths(), 1);
	pthread_mutex_lock(&cloud.lock);
	cloud.revoke = true;
	pthread_mutex_unlock(&cloud.lock);
	CU_ASSERT_EQUAL(baristafs_driver.health(conn, &ctx, &err), 0);	/* 401, re-auth, repeat */
	CU_ASSERT_EQUAL(get_auths(), 2);
	baristafs_driver.disconnect(conn);
}

struct worker {
	void *conn;
	int rc;
};

static void *health_worker(void *arg)
{
	struct worker *w = arg;
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(5000);

	w->rc = baristafs_driver.health(w->conn, &ctx, &err);
	return NULL;
}

static void test_single_flight(void)
{
	struct worker w[8];
	pthread_t t[8];
	void *conn;

	reset();
	conn = connect_to(PASSWORD);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct worker){ conn, -1 };
		pthread_create(&t[i], NULL, health_worker, &w[i]);
	}
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		CU_ASSERT_EQUAL(w[i].rc, 0);
	}
	CU_ASSERT_EQUAL(get_auths(), 1);
	baristafs_driver.disconnect(conn);
}

static int count_image(void *arg, const struct drv_image_info *img)
{
	(void)img;
	(*(int *)arg)++;
	return 0;
}

static void test_image_pages_loop(void)
{
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(5000);
	void *conn;
	int n = 0;

	reset();
	conn = connect_to(PASSWORD);
	CU_ASSERT_EQUAL(baristafs_driver.list_images(conn, &ctx, count_image, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 2);
	CU_ASSERT_EQUAL(cloud.image_gets, 2);	/* the repeated link is not followed */
	baristafs_driver.disconnect(conn);
}

static void test_create_idempotent(void)
{
	static const struct drv_kv tags[] = {
		{ DRV_TAG_ID, "g1/web-1" }, { DRV_TAG_GROUP, "g1" },
		{ DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE },
	};
	struct drv_vm_req req = { .name = "web-1", .client_token = "tok-a", .spec = "m1.small",
				  .image = "ubuntu-22.04", .user_data = "#!/bin/sh\n",
				  .ssh_public_key = "ssh-ed25519 AAAA test", .tags = tags,
				  .ntags = 3 };
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(5000);
	struct drv_vm vm, again;
	struct drv_kv filter = { DRV_TAG_ID, "g1/web-1" };
	void *conn;
	int n = 0;

	reset();
	conn = connect_to(PASSWORD);
	CU_ASSERT_EQUAL_FATAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "srv-1");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);
	/* The retry finds the server by its token: no second POST. */
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &again, &err), 0);
	CU_ASSERT_STRING_EQUAL(again.csp_id, "srv-1");
	CU_ASSERT_EQUAL(cloud.posts[0], 1);
	/* Another token is another VM. */
	req.client_token = "tok-b";
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &again, &err), 0);
	CU_ASSERT_STRING_EQUAL(again.csp_id, "srv-2");
	/* The network, its subnet, the security group and its rule were made once. */
	for (int k = 1; k < 5; k++)
		CU_ASSERT_EQUAL(cloud.posts[k], 1);
	CU_ASSERT_EQUAL(baristafs_driver.list_vms(conn, &ctx, &filter, flow_count_vm, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 2);	/* both carry the same baristafs-id */
	/* Our security group deleted behind our back: refused once, made again, created. */
	cloud.sg_gone = true;
	req.client_token = "tok-d";
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &again, &err), -EINVAL);
	CU_ASSERT_TRUE(err.retryable);
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &again, &err), 0);
	CU_ASSERT_EQUAL(cloud.posts[3], 2);	/* the security group, made again */
	req.spec = "m9.huge";
	req.client_token = "tok-c";
	CU_ASSERT_EQUAL(baristafs_driver.create_vm(conn, &ctx, &req, &again, &err), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err.code, "UnknownSpec");
	baristafs_driver.disconnect(conn);
}

static void test_action_done_already_and_delete(void)
{
	static const struct drv_kv tags[] = { { DRV_TAG_MANAGED, DRV_TAG_MANAGED_VALUE } };
	struct drv_vm_req req = { .name = "db-1", .client_token = "t", .spec = "m1.small",
				  .image = "i1", .tags = tags, .ntags = 1 };
	struct drv_error err = { 0 };
	struct drv_ctx ctx = flow_ctx(5000);
	struct drv_vm vm;
	void *conn;

	reset();
	conn = connect_to(PASSWORD);
	CU_ASSERT_EQUAL_FATAL(baristafs_driver.create_vm(conn, &ctx, &req, &vm, &err), 0);
	pthread_mutex_lock(&cloud.lock);
	json_object_set_new(json_array_get(cloud.servers, 0), "status", json_string("SHUTOFF"));
	pthread_mutex_unlock(&cloud.lock);
	/* os-stop answers 409 on a stopped server: the suspend is done already. */
	CU_ASSERT_EQUAL(baristafs_driver.control_vm(conn, &ctx, "srv-1", DRV_ACT_SUSPEND, &err), 0);
	CU_ASSERT_EQUAL(baristafs_driver.control_vm(conn, &ctx, "srv-1", DRV_ACT_RESUME, &err), 0);
	CU_ASSERT_EQUAL(baristafs_driver.get_vm(conn, &ctx, "srv-1", &vm, &err), 0);
	CU_ASSERT_EQUAL(vm.status, DRV_VM_SUSPENDED);
	CU_ASSERT_STRING_EQUAL(vm.spec, "m1.small");	/* the flavor id named back */
	CU_ASSERT_EQUAL(baristafs_driver.get_vm(conn, &ctx, "nope", &vm, &err), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err.code, "itemNotFound");
	CU_ASSERT_EQUAL(baristafs_driver.delete_vm(conn, &ctx, "nope", &err), 0);
	CU_ASSERT_EQUAL(baristafs_driver.delete_vm(conn, &ctx, "srv-1", &err), 0);
	baristafs_driver.disconnect(conn);
}

static void test_deadline(void)
{
	struct drv_error err = { 0 };
	struct drv_ctx ctx = { .deadline_ms = clock_mono_ms() - 1 };
	void *conn;

	reset();
	conn = connect_to(PASSWORD);
	CU_ASSERT_EQUAL(baristafs_driver.health(conn, &ctx, &err), -ETIMEDOUT);
	CU_ASSERT_TRUE(err.retryable);
	baristafs_driver.disconnect(conn);
}

static const struct cu_test tests[] = {
	{ "table", test_table },
	{ "connect_bad_config", test_connect_bad_config },
	{ "wrong_password", test_wrong_password },
	{ "token_cached_and_reauth", test_token_cached_and_reauth },
	{ "single_flight", test_single_flight },
	{ "image_pages_loop", test_image_pages_loop },
	{ "create_idempotent", test_create_idempotent },
	{ "action_done_already_and_delete", test_action_done_already_and_delete },
	{ "deadline", test_deadline },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "openstack_flow", suite_init, suite_clean, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
