/*
 * openstack_test.c - the OpenStack driver's parsers and tables against the
 * answers recorded from real clouds (../shared/fixtures/libcloud-compute/
 * openstack, openstack_v1.1), plus synthetic error bodies for each row of
 * the error table.
 */
#include <errno.h>
#include <jansson.h>

#include "drivers/openstack/openstack.h"
#include "tests/unit/cu.h"
#include "tests/unit/fixture.h"

/* ---- Keystone ------------------------------------------------------------ */

static void test_token_catalog(void)
{
	struct openstack_token_info ti;
	struct drv_error err = { 0 };
	json_t *doc;

	FIXTURE_TEST();
	doc = fixture_json("openstack/_v3__auth.json");
	CU_ASSERT_EQUAL_FATAL(openstack_parse_token(doc, "RegionOne", "public", &ti, &err), 0);
	CU_ASSERT_STRING_EQUAL(ti.catalog.compute,
			       "http://192.168.18.100:8774/v2/9c4693dce56b493b9b83197d900f7fba");
	CU_ASSERT_STRING_EQUAL(ti.catalog.image, "http://192.168.18.100:9292");
	CU_ASSERT_STRING_EQUAL(ti.catalog.network, "http://192.168.18.100:9696");
	CU_ASSERT_EQUAL(ti.expires_ms, 1407698157096LL);
	CU_ASSERT_STRING_EQUAL(ti.project_id, "9c4693dce56b493b9b83197d900f7fba");

	/* The internal interface is a different host. */
	CU_ASSERT_EQUAL(openstack_parse_token(doc, NULL, "internal", &ti, &err), 0);
	CU_ASSERT_STRING_EQUAL(ti.catalog.compute,
			       "http://controller:8774/v2/9c4693dce56b493b9b83197d900f7fba");
	CU_ASSERT_STRING_EQUAL(ti.catalog.image, "http://192.168.200.1:9292");

	/* A region the catalog does not have is an error naming it. */
	CU_ASSERT_EQUAL(openstack_parse_token(doc, "RegionTwo", "public", &ti, &err), -EIO);
	CU_ASSERT_STRING_EQUAL(err.code, "EndpointNotFound");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "RegionTwo"));
	json_decref(doc);
}

static void test_token_malformed(void)
{
	static const char *bodies[] = {
		"{}", "{\"token\": 3}", "{\"token\": {\"catalog\": []}}",
		"{\"token\": {\"expires_at\": \"yesterday\", \"catalog\": []}}",
		"{\"token\": {\"catalog\": [{\"type\": \"compute\", \"endpoints\": "
		"[{\"interface\": \"public\", \"url\": \"http://n\"}]}]}}",
	};
	struct openstack_token_info ti;

	for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
		struct drv_error err = { 0 };
		json_t *doc = json_loads(bodies[i], 0, NULL);

		CU_ASSERT_EQUAL(openstack_parse_token(doc, NULL, "public", &ti, &err), -EIO);
		CU_ASSERT_NOT_EQUAL(err.message[0], '\0');
		json_decref(doc);
	}
}

static void test_token_unauthorized(void)
{
	struct drv_error err = { 0 };
	size_t len;
	char *body;

	FIXTURE_TEST();
	body = fixture_text("openstack/_v3__auth_unauthorized.json", &len);
	CU_ASSERT_EQUAL(openstack_error(401, body, len, &err), -EACCES);
	CU_ASSERT_STRING_EQUAL(err.code, "Unauthorized");
	CU_ASSERT_STRING_EQUAL(err.message, "The request you have made requires authentication.");
	CU_ASSERT_EQUAL(err.http_status, 401);
	CU_ASSERT_FALSE(err.retryable);
	free(body);
}

/* ---- Nova servers -------------------------------------------------------- */

static void test_servers_detail(void)
{
	json_t *doc, *servers;
	struct drv_vm vm;

	FIXTURE_TEST();
	doc = fixture_json("openstack_v1.1/_servers_detail.json");
	servers = json_object_get(doc, "servers");
	CU_ASSERT_EQUAL_FATAL(json_array_size(servers), 2);

	CU_ASSERT_EQUAL(openstack_parse_server(json_array_get(servers, 0), &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "12065");	/* a number in this answer */
	CU_ASSERT_STRING_EQUAL(vm.name, "lc-test-2");
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "BUILD/spawning");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);
	CU_ASSERT_STRING_EQUAL(vm.spec, "2");
	CU_ASSERT_STRING_EQUAL(vm.image, "7");
	CU_ASSERT_STRING_EQUAL(vm.public_ip, "50.57.94.35");
	CU_ASSERT_STRING_EQUAL(vm.private_ip, "10.182.64.34");
	CU_ASSERT_EQUAL(vm.created, 1318294299);
	CU_ASSERT_STRING_EQUAL(vm.reason, "test message");
	CU_ASSERT_STRING_EQUAL(vm.zone, "");
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "");

	CU_ASSERT_EQUAL(openstack_parse_server(json_array_get(servers, 1), &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "12064");
	CU_ASSERT_STRING_EQUAL(vm.name, "lc-test");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_RUNNING);
	CU_ASSERT_STRING_EQUAL(vm.public_ip, "50.57.94.30");
	CU_ASSERT_STRING_EQUAL(vm.private_ip, "10.182.64.29");
	CU_ASSERT_STRING_EQUAL(vm.reason, "");
	json_decref(doc);
}

static void test_server_error_state(void)
{
	json_t *doc;
	struct drv_vm vm;

	FIXTURE_TEST();
	doc = fixture_json("openstack_v1.1/_servers_detail_ERROR_STATE.json");
	CU_ASSERT_EQUAL_FATAL(openstack_parse_server(json_array_get(json_object_get(doc, "servers"), 0),
						     &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "2d05bd68-3fbb-4b47-9f38-c690a5d93e45");
	CU_ASSERT_STRING_EQUAL(vm.name, "test_vm");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_FAILED);
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "ERROR");
	CU_ASSERT_STRING_EQUAL(vm.image, "");		/* booted from a volume */
	CU_ASSERT_STRING_EQUAL(vm.spec, "4");
	CU_ASSERT_STRING_EQUAL(vm.zone, "nova");
	CU_ASSERT_STRING_EQUAL(vm.private_ip, "192.168.3.4");
	CU_ASSERT_STRING_EQUAL(vm.public_ip, "");
	CU_ASSERT_EQUAL(vm.created, 1386009636);
	CU_ASSERT_PTR_NOT_NULL(strstr(vm.reason, "erred or is incapable"));
	json_decref(doc);
}

static void test_server_single_and_create(void)
{
	json_t *doc;
	struct drv_vm vm;

	FIXTURE_TEST();
	doc = fixture_json("openstack_v1.1/_servers_12064.json");
	CU_ASSERT_EQUAL(openstack_parse_server(json_object_get(doc, "server"), &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "12064");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_RUNNING);
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "ACTIVE");
	json_decref(doc);

	doc = fixture_json("openstack_v1.1/_servers_create.json");
	CU_ASSERT_EQUAL(openstack_parse_server(json_object_get(doc, "server"), &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "26f7fbee-8ce1-4c28-887a-bfe8e4bb10fe");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_UNDEFINED);
	json_decref(doc);

	doc = fixture_json("openstack_v1.1/_servers_detail_EMPTY.json");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "servers")), 0);
	json_decref(doc);
}

/* What a current Nova (2.47+) answers, with our metadata and typed addresses. */
static void test_server_modern(void)
{
	static const char body[] =
		"{\"id\": \"a1\", \"name\": \"web-1\", \"status\": \"ACTIVE\","
		" \"OS-EXT-STS:task_state\": \"powering-off\","
		" \"flavor\": {\"original_name\": \"m1.small\", \"vcpus\": 1},"
		" \"image\": {\"id\": \"img-9\"}, \"OS-EXT-AZ:availability_zone\": \"az1\","
		" \"created\": \"2024-01-02T03:04:05Z\", \"accessIPv4\": \"\","
		" \"addresses\": {\"net\": [{\"version\": 6, \"addr\": \"fe80::1\"},"
		"   {\"version\": 4, \"addr\": \"10.0.0.5\", \"OS-EXT-IPS:type\": \"fixed\"},"
		"   {\"version\": 4, \"addr\": \"203.0.113.9\", \"OS-EXT-IPS:type\": \"floating\"}]},"
		" \"metadata\": {\"baristafs-id\": \"g1/web-1\", \"baristafs-token\": \"tok-1\","
		"   \"managed-by\": \"baristafs\"}}";
	json_t *doc = json_loads(body, 0, NULL);
	struct drv_vm vm;

	CU_ASSERT_EQUAL_FATAL(openstack_parse_server(doc, &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.spec, "m1.small");
	CU_ASSERT_STRING_EQUAL(vm.image, "img-9");
	CU_ASSERT_STRING_EQUAL(vm.zone, "az1");
	CU_ASSERT_STRING_EQUAL(vm.private_ip, "10.0.0.5");
	CU_ASSERT_STRING_EQUAL(vm.public_ip, "203.0.113.9");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_SUSPENDING);
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "ACTIVE/powering-off");
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "g1/web-1");
	CU_ASSERT_STRING_EQUAL(vm.client_token, "tok-1");
	CU_ASSERT_EQUAL(vm.created, 1704164645);
	json_decref(doc);

	doc = json_loads("{\"name\": \"x\"}", 0, NULL);
	CU_ASSERT_EQUAL(openstack_parse_server(doc, &vm), -EIO);
	json_decref(doc);
}

/* ---- flavors, images, paging --------------------------------------------- */

static void test_flavors(void)
{
	static const struct {
		const char *name;
		int vcpus;
		double mem_gib;
	} want[] = {
		{ "15.5gb-slice", 8, 16.0 }, { "1gb-slice", 1, 1.0 }, { "256-slice", 1, 0.25 },
		{ "2gb-slice", 2, 2.0 }, { "30gb-slice", 8, 30.0 }, { "4gb-slice", 2, 4.0 },
		{ "512-slice", 1, 0.5 }, { "8gb-slice", 4, 8.0 },
	};
	static const char *ids[] = { "7", "3", "1", "4", "8", "5", "2", "6" };
	json_t *doc, *flavors;
	struct drv_spec_info spec;
	char id[16];

	FIXTURE_TEST();
	doc = fixture_json("openstack_v1.1/_flavors_detail.json");
	flavors = json_object_get(doc, "flavors");
	CU_ASSERT_EQUAL_FATAL(json_array_size(flavors), ARRAY_SIZE(want));
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		CU_ASSERT_EQUAL(openstack_parse_flavor(json_array_get(flavors, i), &spec, id,
						       sizeof(id)), 0);
		CU_ASSERT_STRING_EQUAL(id, ids[i]);	/* numbers in this answer */
		CU_ASSERT_STRING_EQUAL(spec.name, want[i].name);
		CU_ASSERT_EQUAL(spec.vcpus, want[i].vcpus);
		CU_ASSERT_DOUBLE_EQUAL(spec.mem_gib, want[i].mem_gib, 1e-9);
		CU_ASSERT_EQUAL(spec.gpus, 0);
		CU_ASSERT_STRING_EQUAL(spec.arch, "x86_64");
		CU_ASSERT(spec.price_usd_per_hour < 0);
	}
	CU_ASSERT_EQUAL(openstack_next_link(doc, "flavors"), NULL);
	json_decref(doc);
}

static void test_flavor_gpus_and_disabled(void)
{
	static const struct {
		const char *body;
		int rc, gpus;
		const char *model, *arch;
	} cases[] = {
		{ "{\"id\": \"g\", \"name\": \"g1\", \"vcpus\": 8, \"ram\": 65536, \"OS-FLV-WITH-EXT-SPECS:extra_specs\":"
		  " {\"pci_passthrough:alias\": \"a100:2,t4:1\"}}", 0, 3, "a100", "x86_64" },
		{ "{\"id\": \"v\", \"name\": \"v1\", \"vcpus\": 4, \"ram\": 8192, \"OS-FLV-WITH-EXT-SPECS:extra_specs\":"
		  " {\"resources:VGPU\": \"1\", \"hw:cpu_arch\": \"aarch64\"}}", 0, 1, "", "arm64" },
		{ "{\"id\": \"o\", \"name\": \"off\", \"vcpus\": 1, \"ram\": 512, \"OS-FLV-DISABLED:disabled\": true}",
		  1, 0, "", "" },
		{ "{\"id\": \"n\", \"name\": \"novcpu\", \"ram\": 512}", -EIO, 0, "", "" },
		{ "{\"vcpus\": 1}", -EIO, 0, "", "" },
		{ "{\"name\": \"noid\", \"vcpus\": 1, \"ram\": 512}", -EIO, 0, "", "" },
	};
	struct drv_spec_info spec;
	char id[16];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		json_t *doc = json_loads(cases[i].body, 0, NULL);

		CU_ASSERT_EQUAL(openstack_parse_flavor(doc, &spec, id, sizeof(id)), cases[i].rc);
		if (cases[i].rc == 0) {
			CU_ASSERT_EQUAL(spec.gpus, cases[i].gpus);
			CU_ASSERT_STRING_EQUAL(spec.gpu_model, cases[i].model);
			CU_ASSERT_STRING_EQUAL(spec.arch, cases[i].arch);
		}
		json_decref(doc);
	}
}

static void test_images_paging(void)
{
	json_t *doc, *images;
	struct drv_image_info img;

	FIXTURE_TEST();
	doc = fixture_json("openstack_v1.1/_images_v2.json");
	images = json_object_get(doc, "images");
	CU_ASSERT_EQUAL_FATAL(json_array_size(images), 2);
	CU_ASSERT_EQUAL(openstack_parse_image(json_array_get(images, 0), &img), 0);
	CU_ASSERT_STRING_EQUAL(img.id, "f24a3c1b-d52a-4116-91da-25b3eee8f55e");
	CU_ASSERT_STRING_EQUAL(img.name, "hypernode");
	CU_ASSERT_STRING_EQUAL(img.os, "ubuntu");
	CU_ASSERT_STRING_EQUAL(img.arch, "x86_64");
	CU_ASSERT_STRING_EQUAL(img.description, "hypernode");
	CU_ASSERT_EQUAL(openstack_parse_image(json_array_get(images, 1), &img), 0);
	CU_ASSERT_STRING_EQUAL(img.id, "4bd743f8-7e7d-4568-8f31-b3f06b90e70a");
	CU_ASSERT_STRING_EQUAL(openstack_next_link(doc, "images"),
			       "/v2/images?marker=e7a40226-3523-4f0f-87d8-d8dc91bbf4a3");
	json_decref(doc);

	doc = fixture_json("openstack_v1.1/_images_v2_page2.json");
	CU_ASSERT_EQUAL(json_array_size(json_object_get(doc, "images")), 1);
	CU_ASSERT_PTR_NULL(openstack_next_link(doc, "images"));
	json_decref(doc);

	/* A next link that points back at the first page: the driver's loop check catches it. */
	doc = fixture_json("openstack_v1.1/_images_v2_invalid_next.json");
	CU_ASSERT_STRING_EQUAL(openstack_next_link(doc, "images"), "/v2/images");
	json_decref(doc);
}

static void test_image_fields(void)
{
	static const char body[] =
		"{\"id\": \"u1\", \"name\": \"Ubuntu 22.04 LTS (Jammy)\", \"status\": \"active\","
		" \"os_distro\": \"ubuntu\", \"os_version\": \"22.04\", \"architecture\": \"aarch64\"}";
	json_t *doc = json_loads(body, 0, NULL);
	struct drv_image_info img;

	CU_ASSERT_EQUAL(openstack_parse_image(doc, &img), 0);
	CU_ASSERT_STRING_EQUAL(img.name, "ubuntu-22.04-lts-jammy");
	CU_ASSERT_STRING_EQUAL(img.os, "ubuntu-22.04");
	CU_ASSERT_STRING_EQUAL(img.arch, "arm64");
	CU_ASSERT_STRING_EQUAL(img.description, "Ubuntu 22.04 LTS (Jammy)");
	json_decref(doc);

	doc = json_loads("{\"id\": \"q\", \"name\": \"x\", \"status\": \"queued\"}", 0, NULL);
	CU_ASSERT_EQUAL(openstack_parse_image(doc, &img), 1);
	json_decref(doc);
	doc = json_loads("{\"id\": \"Q-1\", \"status\": \"active\"}", 0, NULL);
	CU_ASSERT_EQUAL(openstack_parse_image(doc, &img), 0);
	CU_ASSERT_STRING_EQUAL(img.name, "q-1");
	json_decref(doc);
}

static void test_nova_links(void)
{
	json_t *doc = json_loads("{\"servers\": [], \"servers_links\": [{\"rel\": \"prev\", \"href\": \"p\"},"
				 " {\"rel\": \"next\", \"href\": \"http://n/servers/detail?marker=5\"}]}",
				 0, NULL);

	CU_ASSERT_STRING_EQUAL(openstack_next_link(doc, "servers"), "http://n/servers/detail?marker=5");
	json_decref(doc);
}

/* ---- tables -------------------------------------------------------------- */

static void test_status_table(void)
{
	static const struct {
		const char *status, *task;
		enum drv_vm_status want;
	} cases[] = {
		{ "BUILD", "scheduling", DRV_VM_CREATING }, { "BUILD", NULL, DRV_VM_CREATING },
		{ "ACTIVE", NULL, DRV_VM_RUNNING }, { "ACTIVE", "powering-off", DRV_VM_SUSPENDING },
		{ "ACTIVE", "suspending", DRV_VM_SUSPENDING },
		{ "ACTIVE", "rebooting_hard", DRV_VM_REBOOTING },
		{ "ACTIVE", "deleting", DRV_VM_TERMINATING }, { "SHUTOFF", NULL, DRV_VM_SUSPENDED },
		{ "SHUTOFF", "powering-on", DRV_VM_RESUMING }, { "SHUTOFF", "deleting", DRV_VM_TERMINATING },
		{ "SUSPENDED", NULL, DRV_VM_SUSPENDED }, { "SUSPENDED", "resuming", DRV_VM_RESUMING },
		{ "PAUSED", NULL, DRV_VM_SUSPENDED }, { "SHELVED_OFFLOADED", NULL, DRV_VM_SUSPENDED },
		{ "REBOOT", NULL, DRV_VM_REBOOTING }, { "HARD_REBOOT", "rebooting_hard", DRV_VM_REBOOTING },
		{ "RESIZE", NULL, DRV_VM_RUNNING }, { "VERIFY_RESIZE", NULL, DRV_VM_RUNNING },
		{ "MIGRATING", NULL, DRV_VM_RUNNING }, { "RESCUE", NULL, DRV_VM_RUNNING },
		{ "ERROR", NULL, DRV_VM_FAILED }, { "DELETED", NULL, DRV_VM_TERMINATED },
		{ "SOFT_DELETED", NULL, DRV_VM_TERMINATED }, { "UNKNOWN", NULL, DRV_VM_UNDEFINED },
		{ NULL, NULL, DRV_VM_UNDEFINED }, { "SOMETHING_NEW", NULL, DRV_VM_UNDEFINED },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		enum drv_vm_status got = openstack_status(cases[i].status, cases[i].task);

		if (got != cases[i].want)
			fprintf(stderr, "status %s/%s: got %d want %d\n", cases[i].status,
				cases[i].task, got, cases[i].want);
		CU_ASSERT_EQUAL(got, cases[i].want);
	}
}

static void test_error_table(void)
{
	static const struct {
		int status;
		const char *body;
		int want;
		bool retryable;
		const char *code;
		int retry_after_ms;
	} cases[] = {
		{ 403, "{\"forbidden\": {\"code\": 403, \"message\": \"Quota exceeded for cores: "
		  "Requested 2, but already used 10 of 10 cores\"}}", -EDQUOT, false, "forbidden", 0 },
		{ 413, "{\"overLimit\": {\"code\": 413, \"message\": \"Quota exceeded for instances\"}}",
		  -EDQUOT, false, "overLimit", 0 },
		{ 413, "{\"overLimit\": {\"code\": 413, \"message\": \"This request was rate-limited.\","
		  " \"retryAfter\": \"59\"}}", -EAGAIN, true, "overLimit", 59000 },
		{ 429, "Too Many Requests", -EAGAIN, true, "HTTP429", 0 },
		{ 429, "{\"NeutronError\": {\"type\": \"OverQuota\", \"message\": \"Rate limit "
		  "exceeded.\", \"detail\": \"\"}}", -EAGAIN, true, "OverQuota", 0 },
		{ 403, "{\"forbidden\": {\"code\": 403, \"message\": \"Policy doesn't allow "
		  "os_compute_api:servers:create to be performed.\"}}", -EACCES, false, "forbidden", 0 },
		{ 404, "{\"itemNotFound\": {\"code\": 404, \"message\": \"Instance x could not be found.\"}}",
		  -ENOENT, false, "itemNotFound", 0 },
		{ 400, "{\"badRequest\": {\"code\": 400, \"message\": \"Flavor m9 could not be found.\"}}",
		  -EINVAL, false, "badRequest", 0 },
		{ 409, "{\"conflict\": {\"code\": 409, \"message\": \"Cannot 'os-stop' instance while it "
		  "is in vm_state stopped\"}}", -EIO, false, "conflict", 0 },
		{ 409, "{\"NeutronError\": {\"type\": \"OverQuota\", \"message\": \"Quota exceeded for "
		  "resources: ['port'].\", \"detail\": \"\"}}", -EDQUOT, false, "OverQuota", 0 },
		{ 404, "{\"NeutronError\": {\"type\": \"NetworkNotFound\", \"message\": \"Network n "
		  "could not be found.\", \"detail\": \"\"}}", -ENOENT, false, "NetworkNotFound", 0 },
		{ 500, "{\"computeFault\": {\"code\": 500, \"message\": \"Unexpected API Error.\"}}",
		  -EIO, true, "computeFault", 0 },
		{ 503, "<html><body>503 Service Unavailable</body></html>\nmore", -EIO, true, "HTTP503", 0 },
		{ 502, NULL, -EIO, true, "HTTP502", 0 },
		{ 302, "", -EIO, false, "HTTP302", 0 },
		{ 413, "{\"overLimit\": {\"code\": 413, \"message\": \"slow down\","
		  " \"retryAfter\": \"99999999999999999999\"}}", -EAGAIN, true, "overLimit", 0 },
		{ 404, "<html>404 Not Found</html>", -ENOENT, false, "HTTP404", 0 },
		{ 400, "Bad image id", -EINVAL, false, "HTTP400", 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct drv_error err = { 0 };
		const char *b = cases[i].body;
		int rc = openstack_error(cases[i].status, b, b ? strlen(b) : 0, &err);

		if (rc != cases[i].want || strcmp(err.code, cases[i].code) != 0)
			fprintf(stderr, "case %zu: rc %d code %s\n", i, rc, err.code);
		CU_ASSERT_EQUAL(rc, cases[i].want);
		CU_ASSERT_EQUAL(err.retryable, cases[i].retryable);
		CU_ASSERT_STRING_EQUAL(err.code, cases[i].code);
		CU_ASSERT_EQUAL(err.retry_after_ms, cases[i].retry_after_ms);
		CU_ASSERT_EQUAL(err.http_status, cases[i].status);
	}
}

static void test_error_fixture_not_found(void)
{
	struct drv_error err = { 0 };
	size_t len;
	char *body;

	FIXTURE_TEST();
	body = fixture_text("openstack_v1.1/_os_keypairs_not_found.json", &len);
	CU_ASSERT_EQUAL(openstack_error(404, body, len, &err), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err.code, "itemNotFound");
	CU_ASSERT_STRING_EQUAL(err.message, "The resource could not be found.");
	free(body);
}

static void test_slug(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "m1.small", "m1.small" }, { "15.5GB slice", "15.5gb-slice" },
		{ "  Ubuntu  22.04 (LTS) ", "ubuntu-22.04-lts" }, { "--x--", "x" },
		{ "_a_", "a" }, { "", "" }, { "!!!", "" }, { "A/B\\C", "a-b-c" },
		{ "0123456789012345678901234567890123456789012345678901234567890123456789",
		  "012345678901234567890123456789012345678901234567890123456789012" },
	};
	char out[128];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		openstack_slug(cases[i].in, out, sizeof(out));
		CU_ASSERT_STRING_EQUAL(out, cases[i].out);
	}
	openstack_slug("abcdef", out, 4);
	CU_ASSERT_STRING_EQUAL(out, "abc");
}

static const struct cu_test tests[] = {
	{ "token_catalog", test_token_catalog },
	{ "token_malformed", test_token_malformed },
	{ "token_unauthorized", test_token_unauthorized },
	{ "servers_detail", test_servers_detail },
	{ "server_error_state", test_server_error_state },
	{ "server_single_and_create", test_server_single_and_create },
	{ "server_modern", test_server_modern },
	{ "flavors", test_flavors },
	{ "flavor_gpus_and_disabled", test_flavor_gpus_and_disabled },
	{ "images_paging", test_images_paging },
	{ "image_fields", test_image_fields },
	{ "nova_links", test_nova_links },
	{ "status_table", test_status_table },
	{ "error_table", test_error_table },
	{ "error_fixture_not_found", test_error_fixture_not_found },
	{ "slug", test_slug },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "openstack", fixture_init, NULL, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
