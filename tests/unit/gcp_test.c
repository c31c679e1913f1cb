/*
 * gcp_test.c - the GCE driver's parsers and tables against the answers
 * recorded from the real compute v1 API (../shared/fixtures/
 * libcloud-compute/gce), plus synthetic error bodies for each table row.
 */
#include <errno.h>
#include <jansson.h>

#include "drivers/gcp/gcp.h"
#include "tests/unit/cu.h"
#include "tests/unit/fixture.h"

/* ---- instances ----------------------------------------------------------- */

static void test_instance(void)
{
	json_t *doc = NULL;
	struct drv_vm vm;

	FIXTURE_TEST();
	doc = fixture_json("gce/zones_us-central1-a_instances_node-name.json");
	CU_ASSERT_EQUAL_FATAL(gcp_parse_instance(doc, &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "us-central1-a/node-name");
	CU_ASSERT_STRING_EQUAL(vm.name, "node-name");
	CU_ASSERT_STRING_EQUAL(vm.zone, "us-central1-a");
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "RUNNING");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_RUNNING);
	CU_ASSERT_STRING_EQUAL(vm.spec, "n1-standard-1");
	CU_ASSERT_STRING_EQUAL(vm.private_ip, "10.240.72.75");
	CU_ASSERT_STRING_EQUAL(vm.public_ip, "23.236.58.15");
	CU_ASSERT_EQUAL(vm.created, 1386960323);	/* 10:45:23.351-08:00 */
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "");
	CU_ASSERT_STRING_EQUAL(vm.client_token, "");
	json_decref(doc);

	/* TERMINATED is GCE's word for stopped: the instance still exists. */
	doc = fixture_json("gce/zones_us_central1_a_instances_stopped_node.json");
	CU_ASSERT_EQUAL_FATAL(gcp_parse_instance(doc, &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "us-central1-a/stopped-node");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_SUSPENDED);
	CU_ASSERT_STRING_EQUAL(vm.status_raw, "TERMINATED");
	json_decref(doc);

	/* No access config: no public address. */
	doc = fixture_json("gce/zones_us-central1-b_instances_libcloud-lb-nopubip-001.json");
	CU_ASSERT_EQUAL_FATAL(gcp_parse_instance(doc, &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.public_ip, "");
	CU_ASSERT_STRING_EQUAL(vm.private_ip, "10.240.94.66");
	CU_ASSERT_STRING_EQUAL(vm.csp_id, "us-central1-b/libcloud-lb-nopubip-001");
	json_decref(doc);

	doc = fixture_json("gce/zones_us-central1-b_instances_libcloud-lb-demo-www-000.json");
	CU_ASSERT_STRING_EQUAL(gcp_metadata(doc, "startup-script"),
			       "apt-get -y update && apt-get -y install apache2 && "
			       "hostname > /var/www/index.html");
	CU_ASSERT_PTR_NULL(gcp_metadata(doc, "user-data"));
	json_decref(doc);
}

static void test_instance_ours(void)
{
	static const char body[] =
		"{\"name\": \"web-1\", \"zone\": \"zones/z1\", \"status\": \"STAGING\","
		" \"machineType\": \"zones/z1/machineTypes/e2-small\","
		" \"creationTimestamp\": \"2024-01-02T03:04:05.000Z\","
		" \"labels\": {\"baristafs-id\": \"g1_web-1\", \"managed-by\": \"baristafs\"},"
		" \"metadata\": {\"items\": [{\"key\": \"baristafs-id\", \"value\": \"g1/web-1\"},"
		"  {\"key\": \"baristafs-token\", \"value\": \"tok\"},"
		"  {\"key\": \"baristafs-image\", \"value\": \"debian-12\"}]},"
		" \"statusMessage\": \"starting\"}";
	json_t *doc = json_loads(body, 0, NULL);
	struct drv_vm vm;

	CU_ASSERT_EQUAL_FATAL(gcp_parse_instance(doc, &vm), 0);
	CU_ASSERT_STRING_EQUAL(vm.baristafs_id, "g1/web-1");	/* exact, from metadata */
	CU_ASSERT_STRING_EQUAL(vm.client_token, "tok");
	CU_ASSERT_STRING_EQUAL(vm.image, "debian-12");
	CU_ASSERT_STRING_EQUAL(vm.spec, "e2-small");
	CU_ASSERT_EQUAL(vm.status, DRV_VM_CREATING);
	CU_ASSERT_EQUAL(vm.created, 1704164645);
	CU_ASSERT_STRING_EQUAL(vm.reason, "starting");
	json_decref(doc);

	doc = json_loads("{\"name\": \"x\"}", 0, NULL);
	CU_ASSERT_EQUAL(gcp_parse_instance(doc, &vm), -EIO);
	json_decref(doc);
}

static void test_aggregated(void)
{
	json_t *doc;
	const char *scope;
	json_t *v;
	int instances = 0, warnings = 0;

	FIXTURE_TEST();
	doc = fixture_json("gce/aggregated_instances.json");
	json_object_foreach(json_object_get(doc, "items"), scope, v) {
		json_t *list = json_object_get(v, "instances"), *inst;
		size_t i;
		struct drv_vm vm;

		warnings += json_object_get(v, "warning") != NULL;
		json_array_foreach(list, i, inst) {
			CU_ASSERT_EQUAL(gcp_parse_instance(inst, &vm), 0);
			CU_ASSERT_STRING_EQUAL(vm.zone, scope + strlen("zones/"));
			instances++;
		}
	}
	CU_ASSERT_EQUAL(instances, 8);
	CU_ASSERT_EQUAL(warnings, 2);
	json_decref(doc);
}

/* ---- operations ---------------------------------------------------------- */

static void test_operations(void)
{
	struct gcp_op op;
	struct drv_error err = { 0 };
	json_t *doc;

	FIXTURE_TEST();
	doc = fixture_json("gce/zones_us-central1-a_instances_post.json");
	CU_ASSERT_EQUAL(gcp_parse_operation(doc, &op), 0);
	CU_ASSERT_STRING_EQUAL(op.name, "operation-zones_us-central1-a_instances_post");
	CU_ASSERT_STRING_EQUAL(op.status, "PENDING");
	CU_ASSERT_STRING_EQUAL(op.zone, "us-central1-a");
	CU_ASSERT_STRING_EQUAL(op.target, "lcnode-001");
	CU_ASSERT_EQUAL(gcp_op_error(&op, &err), 0);
	json_decref(doc);

	doc = fixture_json("gce/operations_operation_zones_us-central1-a_instances_post.json");
	CU_ASSERT_EQUAL(gcp_parse_operation(doc, &op), 0);
	CU_ASSERT_STRING_EQUAL(op.status, "DONE");
	CU_ASSERT_STRING_EQUAL(op.error_code, "");
	json_decref(doc);

	doc = fixture_json("gce/operations_operation_zones_us-central1-a_instances_node-name_delete.json");
	CU_ASSERT_EQUAL(gcp_parse_operation(doc, &op), 0);
	CU_ASSERT_STRING_EQUAL(op.status, "DONE");
	CU_ASSERT_STRING_EQUAL(op.target, "node-name");
	json_decref(doc);

	doc = fixture_json("gce/zones_us_central1_a_operations_operation_setMachineType_notstopped.json");
	CU_ASSERT_EQUAL(gcp_parse_operation(doc, &op), 0);
	CU_ASSERT_STRING_EQUAL(op.error_code, "RESOURCE_NOT_READY");
	CU_ASSERT_EQUAL(op.http_error, 400);
	CU_ASSERT_EQUAL(gcp_op_error(&op, &err), -EIO);
	CU_ASSERT_TRUE(err.retryable);
	CU_ASSERT_STRING_EQUAL(err.code, "RESOURCE_NOT_READY");
	CU_ASSERT_PTR_NOT_NULL(strstr(err.message, "is not ready"));
	json_decref(doc);
}

static void test_op_error_table(void)
{
	static const struct {
		const char *code;
		int http;
		int want;
		bool retryable;
	} cases[] = {
		{ "QUOTA_EXCEEDED", 403, -EDQUOT, false },
		{ "ZONE_RESOURCE_POOL_EXHAUSTED", 503, -EIO, false },
		{ "ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS", 503, -EIO, false },
		{ "RESOURCE_NOT_FOUND", 404, -EINVAL, false },
		{ "INVALID_FIELD_VALUE", 400, -EINVAL, false },
		{ "RATE_LIMIT_EXCEEDED", 403, -EAGAIN, true },
		{ "SOMETHING_ELSE", 0, -EIO, false },
		{ "SOMETHING_ELSE", 500, -EIO, true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct gcp_op op = { .http_error = cases[i].http };
		struct drv_error err = { 0 };

		snprintf(op.error_code, sizeof(op.error_code), "%s", cases[i].code);
		snprintf(op.error_message, sizeof(op.error_message), "Quota 'CPUS' exceeded.");
		CU_ASSERT_EQUAL(gcp_op_error(&op, &err), cases[i].want);
		CU_ASSERT_EQUAL(err.retryable, cases[i].retryable);
		CU_ASSERT_STRING_EQUAL(err.code, cases[i].code);
		CU_ASSERT_STRING_EQUAL(err.message, "Quota 'CPUS' exceeded.");
		CU_ASSERT_EQUAL(err.http_status, cases[i].http);
	}
}

/* ---- machine types, images ----------------------------------------------- */

static void test_machine_types(void)
{
	json_t *doc, *items;
	struct drv_spec_info spec;

	FIXTURE_TEST();
	doc = fixture_json("gce/zones_us-central1-a_machineTypes.json");
	items = json_object_get(doc, "items");
	CU_ASSERT_EQUAL_FATAL(json_array_size(items), 23);

	CU_ASSERT_EQUAL(gcp_parse_machine_type(json_array_get(items, 0), &spec), 0);
	CU_ASSERT_STRING_EQUAL(spec.name, "f1-micro");
	CU_ASSERT_EQUAL(spec.vcpus, 1);
	CU_ASSERT_DOUBLE_EQUAL(spec.mem_gib, 614 / 1024.0, 1e-9);
	CU_ASSERT_EQUAL(spec.gpus, 0);
	CU_ASSERT_DOUBLE_EQUAL(spec.price_usd_per_hour, 0.0076, 1e-9);
	CU_ASSERT_STRING_EQUAL(spec.price_source, gcp_price_source);
	CU_ASSERT_STRING_EQUAL(spec.arch, "x86_64");

	CU_ASSERT_EQUAL(gcp_parse_machine_type(json_array_get(items, 1), &spec), 0);
	CU_ASSERT_STRING_EQUAL(spec.name, "a2-highgpu-1g");
	CU_ASSERT_EQUAL(spec.vcpus, 12);
	CU_ASSERT_DOUBLE_EQUAL(spec.mem_gib, 85.0, 1e-9);
	CU_ASSERT_EQUAL(spec.gpus, 1);
	CU_ASSERT_STRING_EQUAL(spec.gpu_model, "nvidia-tesla-v100");

	CU_ASSERT_EQUAL(gcp_parse_machine_type(json_array_get(items, 15), &spec), 0);
	CU_ASSERT_STRING_EQUAL(spec.name, "n1-standard-1");
	CU_ASSERT_DOUBLE_EQUAL(spec.mem_gib, 3.75, 1e-9);
	/* n1 family rates: 1 vCPU + 3.75 GiB = the published 0.0475 */
	CU_ASSERT_DOUBLE_EQUAL(spec.price_usd_per_hour, 0.0475, 1e-6);
	json_decref(doc);
}

static void test_prices(void)
{
	CU_ASSERT_DOUBLE_EQUAL(gcp_price("e2-standard-2", 2, 8), 0.067006, 1e-6);
	CU_ASSERT_DOUBLE_EQUAL(gcp_price("e2-micro", 2, 1), 0.008376, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(gcp_price("n2d-standard-2", 2, 8), 0.084492, 1e-6);
	CU_ASSERT(gcp_price("m3-ultramem-32", 32, 976) < 0);	/* not in the table */
	CU_ASSERT(gcp_price("e2", 2, 8) > 0);
}

static void test_arm_type(void)
{
	json_t *doc = json_loads("{\"name\": \"t2a-standard-1\", \"guestCpus\": 1, \"memoryMb\": 4096}",
				 0, NULL);
	struct drv_spec_info spec;

	CU_ASSERT_EQUAL(gcp_parse_machine_type(doc, &spec), 0);
	CU_ASSERT_STRING_EQUAL(spec.arch, "arm64");
	CU_ASSERT(spec.price_usd_per_hour < 0);
	CU_ASSERT_STRING_EQUAL(spec.price_source, "");
	json_decref(doc);
	doc = json_loads("{\"name\": \"x\", \"memoryMb\": 4096}", 0, NULL);
	CU_ASSERT_EQUAL(gcp_parse_machine_type(doc, &spec), -EIO);
	json_decref(doc);
}

static void test_images(void)
{
	json_t *doc, *items;
	struct drv_image_info img;
	char path[256];
	size_t i;
	int offered = 0;

	FIXTURE_TEST();
	doc = fixture_json("gce/global_images.json");
	items = json_object_get(doc, "items");
	CU_ASSERT_EQUAL(gcp_parse_image(json_array_get(items, 0), &img, path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(img.name, "custom-image");
	CU_ASSERT_STRING_EQUAL(path, "projects/project_name/global/images/custom-image");
	CU_ASSERT_STRING_EQUAL(img.id, path);
	CU_ASSERT_STRING_EQUAL(img.os, "custom");	/* the family */
	CU_ASSERT_STRING_EQUAL(img.description, "a custom image");
	CU_ASSERT_STRING_EQUAL(img.arch, "x86_64");
	/* An absolute selfLink gives the same path. */
	CU_ASSERT_EQUAL(gcp_parse_image(json_array_get(items, 1), &img, path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(path, "projects/project_name/global/images/custom-image");
	CU_ASSERT_PTR_NULL(json_object_get(doc, "nextPageToken"));
	json_decref(doc);

	doc = fixture_json("gce/global_images_paged.json");
	CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(doc, "nextPageToken")), "token");
	json_decref(doc);

	/* Deprecated images are not offered: two of nineteen are current. */
	doc = fixture_json("gce/projects_debian-cloud_global_images.json");
	json_array_foreach(json_object_get(doc, "items"), i, items) {
		int rc = gcp_parse_image(items, &img, path, sizeof(path));

		CU_ASSERT(rc == 0 || rc == 1);
		offered += rc == 0;
	}
	CU_ASSERT_EQUAL(offered, 2);
	CU_ASSERT_EQUAL(gcp_parse_image(json_array_get(json_object_get(doc, "items"), 18), &img,
					path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(path, "projects/debian-cloud/global/images/debian-7-wheezy-v20131120");
	json_decref(doc);
}

/* ---- tables and helpers -------------------------------------------------- */

static void test_status_table(void)
{
	static const struct {
		const char *gce;
		enum drv_vm_status want;
	} cases[] = {
		{ "PROVISIONING", DRV_VM_CREATING }, { "STAGING", DRV_VM_CREATING },
		{ "RUNNING", DRV_VM_RUNNING }, { "STOPPING", DRV_VM_SUSPENDING },
		{ "SUSPENDING", DRV_VM_SUSPENDING }, { "TERMINATED", DRV_VM_SUSPENDED },
		{ "STOPPED", DRV_VM_SUSPENDED }, { "SUSPENDED", DRV_VM_SUSPENDED },
		{ "REPAIRING", DRV_VM_REBOOTING }, { "DEPROVISIONING", DRV_VM_TERMINATING },
		{ "PENDING", DRV_VM_CREATING }, { "BOGUS", DRV_VM_UNDEFINED }, { NULL, DRV_VM_UNDEFINED },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		CU_ASSERT_EQUAL(gcp_status(cases[i].gce), cases[i].want);
}

static void test_error_table(void)
{
	static const struct {
		int status;
		const char *body;
		int want;
		bool retryable;
		const char *code;
	} cases[] = {
		{ 403, "{\"error\": {\"code\": 403, \"message\": \"Rate Limit Exceeded\", \"errors\":"
		  " [{\"domain\": \"usageLimits\", \"reason\": \"rateLimitExceeded\"}]}}",
		  -EAGAIN, true, "rateLimitExceeded" },
		{ 429, "{\"error\": {\"code\": 429, \"message\": \"Quota exceeded for quota metric\","
		  " \"status\": \"RESOURCE_EXHAUSTED\"}}", -EAGAIN, true, "RESOURCE_EXHAUSTED" },
		{ 429, "{\"error\": {\"code\": 429, \"message\": \"Quota exceeded\", \"errors\":"
		  " [{\"reason\": \"quotaExceeded\"}]}}", -EAGAIN, true, "quotaExceeded" },
		{ 403, "{\"error\": {\"code\": 403, \"message\": \"Quota 'CPUS' exceeded.  Limit: 24.0\","
		  " \"errors\": [{\"reason\": \"quotaExceeded\"}]}}", -EDQUOT, false, "quotaExceeded" },
		{ 403, "{\"error\": {\"code\": 403, \"message\": \"Required 'compute.instances.create'\","
		  " \"errors\": [{\"reason\": \"forbidden\"}]}}", -EACCES, false, "forbidden" },
		{ 401, "{\"error\": {\"code\": 401, \"message\": \"Invalid Credentials\", \"errors\":"
		  " [{\"reason\": \"authError\"}], \"status\": \"UNAUTHENTICATED\"}}",
		  -EACCES, false, "authError" },
		{ 400, "{\"error\": \"invalid_grant\", \"error_description\": \"Invalid JWT Signature.\"}",
		  -EACCES, false, "invalid_grant" },
		{ 400, "{\"error\": {\"code\": 400, \"message\": \"Invalid value for field\", \"errors\":"
		  " [{\"reason\": \"invalid\"}]}}", -EINVAL, false, "invalid" },
		{ 400, "{\"error\": {\"code\": 400, \"message\": \"not ready\", \"errors\":"
		  " [{\"reason\": \"resourceNotReady\"}]}}", -EIO, true, "resourceNotReady" },
		{ 409, "{\"error\": {\"code\": 409, \"message\": \"already exists\", \"errors\":"
		  " [{\"reason\": \"alreadyExists\"}]}}", -EIO, false, "alreadyExists" },
		{ 503, "{\"error\": {\"code\": 503, \"message\": \"Backend Error\", \"errors\":"
		  " [{\"reason\": \"backendError\"}]}}", -EIO, true, "backendError" },
		{ 502, "<html>bad gateway</html>", -EIO, true, "HTTP502" },
		{ 418, NULL, -EIO, false, "HTTP418" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct drv_error err = { 0 };
		const char *b = cases[i].body;
		int rc = gcp_error(cases[i].status, b, b ? strlen(b) : 0, &err);

		CU_ASSERT_EQUAL(rc, cases[i].want);
		CU_ASSERT_EQUAL(err.retryable, cases[i].retryable);
		CU_ASSERT_STRING_EQUAL(err.code, cases[i].code);
	}
}

static void test_error_fixture(void)
{
	struct drv_error err = { 0 };
	size_t len;
	char *body;

	FIXTURE_TEST();
	body = fixture_text("gce/global_images_family_notfound.json", &len);
	CU_ASSERT_EQUAL(gcp_error(404, body, len, &err), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err.code, "notFound");
	CU_ASSERT_STRING_EQUAL(err.message, "The resource 'projects/project-name/global/images/family/"
					    "coreos-stable' was not found");
	free(body);
}

static void test_time(void)
{
	static const struct {
		const char *in;
		int rc;
		int64_t want;
	} cases[] = {
		{ "2013-12-13T10:45:23.351-08:00", 0, 1386960323 },
		{ "2013-12-13T18:45:23Z", 0, 1386960323 },
		{ "2013-12-14T04:15:23+09:30", 0, 1386960323 },
		{ "2013-12-13T18:45:23", -EINVAL, 0 },
		{ "2013-12-13T18:45:23+0800", -EINVAL, 0 },
		{ "yesterday", -EINVAL, 0 },
		{ NULL, -EINVAL, 0 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t t = 0;

		CU_ASSERT_EQUAL(gcp_time(cases[i].in, &t), cases[i].rc);
		if (cases[i].rc == 0)
			CU_ASSERT_EQUAL(t, cases[i].want);
	}
}

static void test_labels_and_ids(void)
{
	char out[80], a[37], b[37];

	gcp_label("Group/Web.1", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "group_web_1");
	gcp_label("managed-by", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "managed-by");
	gcp_label("0123456789012345678901234567890123456789012345678901234567890123456789", out,
		  sizeof(out));
	CU_ASSERT_EQUAL(strlen(out), 63);

	gcp_request_id("token-1", a);
	gcp_request_id("token-1", b);
	CU_ASSERT_STRING_EQUAL(a, b);	/* a retry sends the same requestId */
	gcp_request_id("token-2", b);
	CU_ASSERT_STRING_NOT_EQUAL(a, b);
	CU_ASSERT_EQUAL(strlen(a), 36);
	CU_ASSERT_EQUAL(a[14], '5');
	CU_ASSERT_PTR_NOT_NULL(strchr("89ab", a[19]));
	CU_ASSERT_STRING_EQUAL(gcp_last_segment("https://x/zones/us-central1-a"), "us-central1-a");
	CU_ASSERT_STRING_EQUAL(gcp_last_segment("plain"), "plain");
	CU_ASSERT_STRING_EQUAL(gcp_last_segment(NULL), "");
}

static const struct cu_test tests[] = {
	{ "instance", test_instance },
	{ "instance_ours", test_instance_ours },
	{ "aggregated", test_aggregated },
	{ "operations", test_operations },
	{ "op_error_table", test_op_error_table },
	{ "machine_types", test_machine_types },
	{ "prices", test_prices },
	{ "arm_type", test_arm_type },
	{ "images", test_images },
	{ "status_table", test_status_table },
	{ "error_table", test_error_table },
	{ "error_fixture", test_error_fixture },
	{ "time", test_time },
	{ "labels_and_ids", test_labels_and_ids },
	{ NULL, NULL },
};

static const struct cu_suite suites[] = {
	{ "gcp", fixture_init, NULL, tests },
	{ NULL, NULL, NULL, NULL },
};

int main(int argc, char **argv)
{
	return cu_main(argc, argv, suites);
}
