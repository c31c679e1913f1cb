/*
 * twin_server_test.c - the server in process: requests go straight into
 * twin_server_handle() (the listeners run too, on 127.0.0.1 with free
 * ports, only so that /_twin/clouds has URLs).  Covers routing by prefix
 * and by credential, the /_twin/clouds contract, every dialect's own
 * answer to injected 5xx faults, throttling and oversized bodies, dropped
 * and stalled connections, the control API's validation, preloading and
 * the VM iterator and ticker that simulated agents will use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "tests/unit/cu.h"
#include "tools/cloudtwin/twin_config.h"
#include "tools/cloudtwin/twin_server.h"

#define SIG64 "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"

static struct twin_server *srv;
static char tls_dir[] = "/tmp/twin-server-test.XXXXXX";

static const char config[] =
	"{\"defaults\": {\"delays_ms\": {\"create\": 0}},"
	" \"clouds\": ["
	"  {\"name\": \"a\", \"dialect\": \"aws\", \"preload_vms\": 3},"
	"  {\"name\": \"os\", \"dialect\": \"openstack\"},"
	"  {\"name\": \"g\", \"dialect\": \"gcp\"},"
	"  {\"name\": \"z\", \"dialect\": \"azure\"},"
	"  {\"name\": \"b\", \"dialect\": \"alibaba\"}]}";

static int ticks;

static void on_tick(void *arg, struct twin_server *s, int64_t now)
{
	(void)arg;
	(void)s;
	(void)now;
	__atomic_add_fetch(&ticks, 1, __ATOMIC_SEQ_CST);
}

static int suite_init(void)
{
	struct sbuf err = SBUF_INIT;
	json_t *conf = twin_config_parse(config, strlen(config), &err);
	struct twin_server_opts o = { .listen = "127.0.0.1:0", .tls_dir = tls_dir,
				      .config = conf, .max_body = 4096 };
	int rc = -1;

	if (conf && mkdtemp(tls_dir)) {
		srv = twin_server_new(&o, &err);
		if (srv && !twin_server_add_ticker(srv, 10, on_tick, NULL) &&
		    !twin_server_start(srv, &err))
			rc = 0;
	}
	if (rc)
		fprintf(stderr, "server: %s\n", sbuf_str(&err));
	json_decref(conf);
	sbuf_release(&err);
	return rc;
}

static int suite_clean(void)
{
	char cmd[128];

	twin_server_free(srv);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tls_dir);
	return system(cmd) == 0 ? 0 : -1;
}

struct call {
	struct twin_req req;
	struct twin_resp resp;
	json_t *json;
};

/* One request; headers are "Name: value" strings, NULL-ended. */
static void call(struct call *c, const char *method, const char *target, const char *const *hdrs,
		 const char *body)
{
	memset(c, 0, sizeof(*c));
	c->req.body.max = 4096;
	snprintf(c->req.method, sizeof(c->req.method), "%s", method);
	CU_ASSERT_EQUAL(twin_req_set_target(&c->req, target), 0);
	for (; hdrs && *hdrs; hdrs++) {
		const char *colon = strchr(*hdrs, ':');
		char name[64];

		snprintf(name, sizeof(name), "%.*s", (int)(colon - *hdrs), *hdrs);
		twin_req_add_header(&c->req, name, colon + 2);
	}
	if (body)
		twin_req_add_body(&c->req, body, strlen(body));
	twin_server_handle(srv, &c->req, &c->resp);
	c->json = json_loadb(sbuf_str(&c->resp.body), c->resp.body.len, 0, NULL);
}

static void done(struct call *c)
{
	json_decref(c->json);
	twin_req_release(&c->req);
	twin_resp_release(&c->resp);
}

static void patch(const char *cloud, const char *settings)
{
	struct call c;
	char path[128];

	snprintf(path, sizeof(path), "/_twin/clouds/%s/faults", cloud);
	call(&c, "PATCH", path, NULL, settings);
	CU_ASSERT_EQUAL(c.resp.status, 200);
	done(&c);
}

/* ---- the contract ----------------------------------------------------------------- */

static void test_clouds_contract(void)
{
	static const struct {
		const char *name, *keys[8];
		bool auth, ca;
	} want[] = {
		{ "a", { "access_key_id", "secret_access_key" }, false, false },
		{ "os", { "username", "password", "project", "domain" }, true, false },
		{ "g", { "type", "project_id", "private_key_id", "private_key", "client_email",
			 "client_id", "token_uri" }, true, false },
		{ "z", { "tenant_id", "client_id", "client_secret", "subscription_id",
			 "resource_group" }, true, true },
		{ "b", { "access_key_id", "access_key_secret" }, false, false },
	};
	struct call c;

	call(&c, "GET", "/_twin/clouds", NULL, NULL);
	CU_ASSERT_EQUAL(c.resp.status, 200);
	CU_ASSERT_EQUAL_FATAL(json_array_size(c.json), 5);
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		json_t *e = json_array_get(c.json, i), *cred = json_object_get(e, "credential");

		CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(e, "name")), want[i].name);
		CU_ASSERT(json_equal(json_object_get(e, "dialect"), json_object_get(e, "driver")));
		CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(e, "region")));
		CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(e, "zone")));
		CU_ASSERT_NSTRING_EQUAL(json_string_value(json_object_get(e, "endpoint")), "http", 4);
		CU_ASSERT_EQUAL(json_object_get(e, "auth_endpoint") != NULL, want[i].auth);
		CU_ASSERT_EQUAL(json_object_get(e, "ca_file") != NULL, want[i].ca);
		for (size_t k = 0; want[i].keys[k]; k++)
			CU_ASSERT_PTR_NOT_NULL(json_string_value(json_object_get(cred, want[i].keys[k])));
	}
	done(&c);
}

static void test_routing(void)
{
	static const char *const sigv4[] = { "Authorization: AWS4-HMAC-SHA256 Credential="
		"AKIDEXAMPLE/20150830/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=" SIG64,
		"X-Amz-Date: 20150830T123600Z", "Host: x", NULL };
	char auth[256];
	struct call c;

	/* prefixed: OpenStack version document */
	call(&c, "GET", "/os/identity/v3", NULL, NULL);
	CU_ASSERT_EQUAL(c.resp.status, 200);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(c.json, "version"),
						 "id")), "v3.14");
	done(&c);
	/* at the root: an unknown key still gets EC2's answer ... */
	call(&c, "POST", "/", sigv4, NULL);
	CU_ASSERT_EQUAL(c.resp.status, 401);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&c.resp.body), "<Code>AuthFailure</Code>"));
	done(&c);
	/* ... and the cloud's own key routes there: the stale date is judged */
	call(&c, "GET", "/_twin/clouds/a", NULL, NULL);
	snprintf(auth, sizeof(auth), "Authorization: AWS4-HMAC-SHA256 Credential=%s/20150830/"
		 "us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=" SIG64,
		 json_string_value(json_object_get(json_object_get(c.json, "credential"),
						   "access_key_id")));
	done(&c);
	call(&c, "POST", "/", (const char *const[]){ auth, sigv4[1], sigv4[2], NULL }, NULL);
	CU_ASSERT_EQUAL(c.resp.status, 400);
	CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&c.resp.body), "<Code>RequestExpired</Code>"));
	done(&c);
	/* nothing serves this */
	call(&c, "GET", "/nowhere", NULL, NULL);
	CU_ASSERT_EQUAL(c.resp.status, 404);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(c.json, "error"),
						 "message")), "no cloud serves this path");
	done(&c);
}

/* ---- faults per dialect -------------------------------------------------------------- */

struct expect {
	const char *cloud, *target;
	int status;
	const char *text;	/* what the dialect's own body carries */
};

static void expect_all(const struct expect *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct call c;

		call(&c, "GET", e[i].target, NULL, NULL);
		if (c.resp.status != e[i].status || !strstr(sbuf_str(&c.resp.body), e[i].text))
			fprintf(stderr, "%s: %d %s\n", e[i].cloud, c.resp.status, sbuf_str(&c.resp.body));
		CU_ASSERT_EQUAL(c.resp.status, e[i].status);
		CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&c.resp.body), e[i].text));
		done(&c);
	}
}

static void test_injected_errors(void)
{
	static const struct expect e[] = {
		{ "a", "/a/", 500, "<Code>InternalError</Code>" },
		{ "os", "/os/RegionOne/compute/v2.1/servers", 500, "\"computeFault\"" },
		{ "g", "/g/compute/v1/projects/g/zones", 500, "\"backendError\"" },
		{ "z", "/z/subscriptions", 500, "\"InternalServerError\"" },
		{ "b", "/b/", 500, "<Code>InternalError</Code>" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(e); i++)
		patch(e[i].cloud, "{\"error_rate\": 1}");
	expect_all(e, ARRAY_SIZE(e));
	for (size_t i = 0; i < ARRAY_SIZE(e); i++)
		patch(e[i].cloud, "{\"error_rate\": 0}");
}

static void test_throttling(void)
{
	static const struct expect e[] = {
		{ "a", "/a/", 503, "<Code>RequestLimitExceeded</Code>" },
		{ "os", "/os/RegionOne/compute/v2.1/servers", 429, "\"overLimit\"" },
		{ "g", "/g/compute/v1/projects/g/zones", 429, "RESOURCE_EXHAUSTED" },
		{ "z", "/z/subscriptions", 429, "\"TooManyRequests\"" },
		{ "b", "/b/", 400, "<Code>Throttling.User</Code>" },
	};
	struct call c;

	for (size_t i = 0; i < ARRAY_SIZE(e); i++) {
		char path[64];

		patch(e[i].cloud, "{\"rate_limit\": 0.001, \"burst\": 1}");
		snprintf(path, sizeof(path), "/_twin/clouds/%s/inventory", e[i].cloud);
		call(&c, "GET", e[i].target, NULL, NULL);	/* spends the one token */
		done(&c);
	}
	expect_all(e, ARRAY_SIZE(e));
	for (size_t i = 0; i < ARRAY_SIZE(e); i++)
		patch(e[i].cloud, "{\"rate_limit\": 0}");
}

static void test_too_large(void)
{
	static const struct {
		const char *target;
		int status;
		const char *text;
	} e[] = {
		{ "/a/", 413, "<Code>RequestEntityTooLarge</Code>" },
		{ "/os/RegionOne/compute/v2.1/servers", 413, "\"overLimit\"" },
		{ "/g/compute/v1/projects/g/zones", 413, "uploadTooLarge" },
		{ "/z/subscriptions", 413, "RequestContentTooLarge" },
		{ "/b/", 413, "ContentLengthExceeded" },
		{ "/elsewhere", 413, "request body too large" },
	};
	static char big[5000];

	memset(big, 'x', sizeof(big) - 1);
	for (size_t i = 0; i < ARRAY_SIZE(e); i++) {
		struct call c;

		call(&c, "POST", e[i].target, NULL, big);
		CU_ASSERT(c.req.body_too_big);
		CU_ASSERT_EQUAL(c.resp.status, e[i].status);
		CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&c.resp.body), e[i].text));
		done(&c);
	}
}

static void test_drop_and_stall(void)
{
	struct call c;

	patch("os", "{\"drop_rate\": 1}");
	call(&c, "GET", "/os/identity/v3", NULL, NULL);
	CU_ASSERT(c.resp.drop);
	done(&c);
	patch("os", "{\"drop_rate\": 0, \"stall_rate\": 1, \"stall_ms\": 5}");
	call(&c, "GET", "/os/identity/v3", NULL, NULL);
	CU_ASSERT(c.resp.drop);
	done(&c);
	patch("os", "{\"stall_rate\": 0, \"latency_ms\": 1}");
	call(&c, "GET", "/os/identity/v3", NULL, NULL);
	CU_ASSERT(!c.resp.drop);
	CU_ASSERT_EQUAL(c.resp.status, 200);
	done(&c);
	patch("os", "{\"latency_ms\": 0}");
	call(&c, "GET", "/_twin/clouds/os/stats", NULL, NULL);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c.json, "drops")), 1);
	CU_ASSERT_EQUAL(json_integer_value(json_object_get(c.json, "stalls")), 1);
	done(&c);
}

/* ---- the control API --------------------------------------------------------------------- */

static void test_control(void)
{
	static const struct {
		const char *method, *target, *body;
		int status;
		const char *text;
	} e[] = {
		{ "GET", "/_twin/health", NULL, 200, "\"status\":\"ok\"" },
		{ "GET", "/_twin/clouds/a/faults", NULL, 200, "\"vcpus_per_region\":1024" },
		{ "PATCH", "/_twin/clouds/a/faults", "{\"error_rate\": 7}", 400,
		  "faults.error_rate: must be between 0 and 1" },
		{ "PUT", "/_twin/clouds/a/faults", "not json", 400, "JSON object" },
		{ "PATCH", "/_twin/clouds/a/faults", "{\"warp\": 1}", 400, "unknown key \\\"warp\\\"" },
		{ "GET", "/_twin/clouds/nope", NULL, 404, "no such cloud" },
		{ "DELETE", "/_twin/clouds/a/inventory", NULL, 405, "no such control endpoint" },
		{ "GET", "/_twin/clouds/a/bogus", NULL, 404, "no such control endpoint" },
		{ "GET", "/_twin/inventory", NULL, 200, "\"cloud\":\"z\"" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(e); i++) {
		struct call c;

		call(&c, e[i].method, e[i].target, NULL, e[i].body);
		if (c.resp.status != e[i].status || !strstr(sbuf_str(&c.resp.body), e[i].text))
			fprintf(stderr, "%s %s: %d %s\n", e[i].method, e[i].target, c.resp.status,
				sbuf_str(&c.resp.body));
		CU_ASSERT_EQUAL(c.resp.status, e[i].status);
		CU_ASSERT_PTR_NOT_NULL(strstr(sbuf_str(&c.resp.body), e[i].text));
		done(&c);
	}
}

static int count_vm(void *arg, struct twin_cloud *c, const struct twin_vm *vm)
{
	(void)c;
	if (vm->state == TWIN_VM_RUNNING)
		(*(int *)arg)++;
	return 0;
}

static void test_preload_and_hooks(void)
{
	struct call c;
	json_t *vm;
	char first_id[64];
	int running = 0;
	int64_t until = clock_mono_ms() + 5000;

	call(&c, "GET", "/_twin/clouds/a/inventory", NULL, NULL);
	CU_ASSERT_EQUAL_FATAL(json_array_size(json_object_get(c.json, "vms")), 3);
	vm = json_array_get(json_object_get(c.json, "vms"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(vm, "status")), "running");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(vm, "name")), "twin-00001");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(json_object_get(vm, "tags"),
						 "cloudtwin-preloaded")), "true");
	done(&c);
	CU_ASSERT_EQUAL(twin_server_foreach_vm(srv, count_vm, &running), 0);
	CU_ASSERT_EQUAL(running, 3);
	/* the ticker runs on the housekeeping thread; wait for it, do not time it */
	while (__atomic_load_n(&ticks, __ATOMIC_SEQ_CST) < 2 && clock_mono_ms() < until)
		clock_sleep_ms(10);
	CU_ASSERT(__atomic_load_n(&ticks, __ATOMIC_SEQ_CST) >= 2);
	/* a reset forgets the VMs made since and makes the preloaded ones again */
	call(&c, "GET", "/_twin/clouds/a/inventory", NULL, NULL);
	snprintf(first_id, sizeof(first_id), "%s", json_string_value(json_object_get(
		json_array_get(json_object_get(c.json, "vms"), 0), "id")));
	done(&c);
	call(&c, "POST", "/_twin/clouds/a/reset", NULL, NULL);
	CU_ASSERT_EQUAL(c.resp.status, 200);
	done(&c);
	running = 0;
	twin_server_foreach_vm(srv, count_vm, &running);
	CU_ASSERT_EQUAL(running, 3);
	call(&c, "GET", "/_twin/clouds/a/inventory", NULL, NULL);
	vm = json_array_get(json_object_get(c.json, "vms"), 0);
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(vm, "name")), "twin-00001");
	CU_ASSERT_STRING_NOT_EQUAL(json_string_value(json_object_get(vm, "id")), first_id);
	done(&c);
}

static const struct cu_test tests[] = {
	{ "clouds_contract", test_clouds_contract },
	{ "routing", test_routing },
	{ "injected_errors", test_injected_errors },
	{ "throttling", test_throttling },
	{ "too_large", test_too_large },
	{ "drop_and_stall", test_drop_and_stall },
	{ "control", test_control },
	{ "preload_and_hooks", test_preload_and_hooks },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "twin_server", suite_init, suite_clean, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
